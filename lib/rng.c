/* rng.c — splitmix64: a 64-bit counter pushed through a fixed mixing function.
 *
 * Integer-only, so the uniform stream is bit-identical on every platform;
 * normals go through Box-Muller in double and are rounded to float.
 */
#include "tiedlab.h"

#include <math.h>

void tl_rng_seed(tl_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t tl_rng_next(tl_rng *rng)
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float tl_rng_uniform(tl_rng *rng)
{
    /* the top 24 bits fit a float's mantissa exactly */
    return (float)(tl_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

float tl_rng_normal(tl_rng *rng)
{
    /* u1 in (0, 1] so log never sees 0 */
    double u1 = ((double)(tl_rng_next(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(tl_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
