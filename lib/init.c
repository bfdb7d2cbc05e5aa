/* init.c — filling weights with seeded random numbers.
 *
 * The scale of E matters twice in a tied model: it is the size of every input
 * vector and of every logit. See TL_TIED_INIT_STD in tiedlab.h.
 */
#include "tiedlab.h"

void tl_init_normal(float *w, size_t n, float std, tl_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        w[i] = std * tl_rng_normal(rng);
}

void tl_init_uniform(float *w, size_t n, float bound, tl_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        w[i] = bound * (2.0f * tl_rng_uniform(rng) - 1.0f);
}
