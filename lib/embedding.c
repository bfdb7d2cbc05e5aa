/* embedding.c — the input side of the tied matrix.
 *
 * Forward copies row E[id]; backward scatter-adds into dE. The head adds into
 * the same dE (lm_head.c), which is why this file never assigns to dE.
 */
#include "tiedlab.h"

#include <string.h>

static tl_err check_ids(const char *fn, const int *ids, size_t B, size_t V)
{
    for (size_t b = 0; b < B; b++)
        if (ids[b] < 0 || (size_t)ids[b] >= V)
            return tl_fail(TL_ERANGE, "%s: token id %d at position %zu is out of range for V=%zu",
                           fn, ids[b], b, V);
    return TL_OK;
}

tl_err tl_embedding_forward(float *out, const int *ids, const float *E,
                            size_t B, size_t d, size_t V)
{
    if (!out || !ids || !E || d == 0 || V == 0)
        return tl_fail(TL_EINVAL, "tl_embedding_forward: NULL buffer or zero size (d=%zu, V=%zu)", d, V);
    tl_err err = check_ids("tl_embedding_forward", ids, B, V);
    if (err)
        return err;
    for (size_t b = 0; b < B; b++)
        memcpy(out + b * d, E + (size_t)ids[b] * d, d * sizeof *out);
    return TL_OK;
}

tl_err tl_embedding_backward(float *dE, const float *dout, const int *ids,
                             size_t B, size_t d, size_t V)
{
    if (!dE || !dout || !ids || d == 0 || V == 0)
        return tl_fail(TL_EINVAL, "tl_embedding_backward: NULL buffer or zero size (d=%zu, V=%zu)", d, V);
    tl_err err = check_ids("tl_embedding_backward", ids, B, V);
    if (err)
        return err;
    for (size_t b = 0; b < B; b++) {
        float *row = dE + (size_t)ids[b] * d;
        const float *g = dout + b * d;
        for (size_t k = 0; k < d; k++)
            row[k] += g[k];
    }
    return TL_OK;
}
