/* lm_head.c — the output side of the tied matrix: logits = H · Eᵀ.
 *
 * A tied head owns nothing: W and dW are the embedding's E and dE, read in
 * place ([V, d] row-major, so row v of W is the vector scored for token v).
 * Backward adds into dW, on top of what the embedding's backward added.
 */
#include "tiedlab.h"

#include <stdlib.h>

tl_err tl_head_tie(tl_head *head, float *E, float *dE, size_t V, size_t d)
{
    if (!head || !E || !dE || V == 0 || d == 0)
        return tl_fail(TL_EINVAL, "tl_head_tie: NULL buffer or zero size (V=%zu, d=%zu)", V, d);
    *head = (tl_head){ .V = V, .d = d, .W = E, .dW = dE, .tied = 1 };
    return TL_OK;
}

tl_err tl_head_create_untied(tl_head *head, size_t V, size_t d)
{
    if (!head || V == 0 || d == 0)
        return tl_fail(TL_EINVAL, "tl_head_create_untied: NULL head or zero size (V=%zu, d=%zu)", V, d);
    *head = (tl_head){ .V = V, .d = d, .tied = 0 };
    head->W = calloc(V * d, sizeof *head->W);
    head->dW = calloc(V * d, sizeof *head->dW);
    if (!head->W || !head->dW) {
        tl_head_free(head);
        return tl_fail(TL_ENOMEM, "tl_head_create_untied: cannot allocate 2 x %zu x %zu floats", V, d);
    }
    return TL_OK;
}

void tl_head_free(tl_head *head)
{
    if (!head)
        return;
    if (!head->tied) {
        free(head->W);
        free(head->dW);
    }
    *head = (tl_head){ 0 };
}

static tl_err check_shape(const char *fn, const tl_head *head, size_t d, size_t V)
{
    if (!head || !head->W)
        return tl_fail(TL_EINVAL, "%s: head is not set up", fn);
    if (head->V != V)
        return tl_fail(TL_ESHAPE, "%s: head has %zu rows, caller expects %zu logits", fn, head->V, V);
    if (head->d != d)
        return tl_fail(TL_ESHAPE, "%s: head rows have width %zu, hidden state has width %zu", fn, head->d, d);
    return TL_OK;
}

/* Both kernels check their arguments here, so a caller sees the same errors
 * from either, named after the reference functions. */
static tl_err check_forward(const float *logits, const float *H, const tl_head *head,
                            size_t d, size_t V)
{
    tl_err err = check_shape("tl_head_forward", head, d, V);
    if (!err && (!logits || !H))
        err = tl_fail(TL_EINVAL, "tl_head_forward: NULL logits or hidden state");
    return err;
}

static tl_err check_backward(const float *dH, const tl_head *head, const float *dlogits,
                             const float *H, size_t d, size_t V)
{
    tl_err err = check_shape("tl_head_backward", head, d, V);
    if (!err && (!dH || !dlogits || !H || !head->dW))
        err = tl_fail(TL_EINVAL, "tl_head_backward: NULL buffer");
    return err;
}

tl_err tl_head_forward(float *logits, const float *H, const tl_head *head,
                       size_t B, size_t d, size_t V)
{
    tl_err err = check_forward(logits, H, head, d, V);
    if (err)
        return err;
    const float *W = head->W;
    for (size_t b = 0; b < B; b++) {
        const float *h = H + b * d;
        for (size_t v = 0; v < V; v++) {
            const float *w = W + v * d;   /* row v of E: contiguous */
            float acc = 0.0f;
            for (size_t k = 0; k < d; k++)
                acc += h[k] * w[k];
            logits[b * V + v] = acc;
        }
    }
    return TL_OK;
}

tl_err tl_head_backward(float *dH, tl_head *head, const float *dlogits,
                        const float *H, size_t B, size_t d, size_t V)
{
    tl_err err = check_backward(dH, head, dlogits, H, d, V);
    if (err)
        return err;
    const float *W = head->W;
    float *dW = head->dW;
    for (size_t b = 0; b < B; b++) {
        const float *h = H + b * d;
        float *dh = dH + b * d;
        for (size_t v = 0; v < V; v++) {
            float g = dlogits[b * V + v];
            const float *w = W + v * d;
            float *dw = dW + v * d;
            for (size_t k = 0; k < d; k++) {
                dh[k] += g * w[k];
                dw[k] += g * h[k];   /* += : the embedding's gradient is already here */
            }
        }
    }
    return TL_OK;
}

/* The same two products through matmul.c's blocked kernels: E is read in
 * place, as above, in tiles that stay in cache. */
tl_err tl_head_forward_fast(float *logits, const float *H, const tl_head *head,
                            size_t B, size_t d, size_t V)
{
    tl_err err = check_forward(logits, H, head, d, V);
    if (err)
        return err;
    tl_matmul_forward(logits, H, head->W, B, d, V);
    return TL_OK;
}

tl_err tl_head_backward_fast(float *dH, tl_head *head, const float *dlogits,
                             const float *H, size_t B, size_t d, size_t V)
{
    tl_err err = check_backward(dH, head, dlogits, H, d, V);
    if (err)
        return err;
    tl_matmul_backward(dH, head->dW, dlogits, H, head->W, B, d, V);
    return TL_OK;
}

size_t tl_head_bytes_held(const tl_head *head)
{
    return head && !head->tied && head->W ? 2 * head->V * head->d * sizeof(float) : 0;
}

size_t tl_head_bytes_saved_by_tying(const tl_head *head)
{
    return head && head->tied ? 2 * head->V * head->d * sizeof(float) : 0;
}
