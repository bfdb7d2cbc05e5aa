/* loss.c — softmax and mean cross-entropy over a batch.
 *
 * At init the logits are near zero, softmax is near uniform and the loss is
 * near ln(V): the first number a healthy run prints. Sums run in double.
 */
#include "tiedlab.h"

#include <math.h>

/* log sum_v exp(z[v]), computed as max + log sum exp(z[v] - max): every exp
 * is <= 1, so large logits cannot overflow. Softmax and the loss both use it. */
static double row_logsumexp(const float *z, size_t V)
{
    float max = z[0];
    for (size_t v = 1; v < V; v++)
        if (z[v] > max)
            max = z[v];
    double sum = 0.0;
    for (size_t v = 0; v < V; v++)
        sum += exp((double)(z[v] - max));
    return (double)max + log(sum);
}

void tl_softmax_forward(float *probs, const float *logits, size_t B, size_t V)
{
    for (size_t b = 0; b < B; b++) {
        const float *z = logits + b * V;
        double lse = row_logsumexp(z, V);
        for (size_t v = 0; v < V; v++)
            probs[b * V + v] = (float)exp((double)z[v] - lse);
    }
}

static tl_err check_targets(const char *fn, const int *targets, size_t B, size_t n)
{
    for (size_t b = 0; b < B; b++)
        if (targets[b] < 0 || (size_t)targets[b] >= n)
            return tl_fail(TL_ERANGE, "%s: target %d at position %zu is out of range for %zu classes",
                           fn, targets[b], b, n);
    return TL_OK;
}

tl_err tl_cross_entropy_forward(float *loss, float *probs, const float *logits,
                                const int *targets, size_t B, size_t V_logits,
                                size_t n_classes)
{
    if (!loss || !logits || !targets || B == 0 || V_logits == 0)
        return tl_fail(TL_EINVAL, "tl_cross_entropy_forward: NULL buffer or zero size (B=%zu, V=%zu)",
                       B, V_logits);
    if (V_logits != n_classes)
        return tl_fail(TL_ESHAPE, "tl_cross_entropy_forward: logits have %zu columns, targets need %zu classes",
                       V_logits, n_classes);
    tl_err err = check_targets("tl_cross_entropy_forward", targets, B, n_classes);
    if (err)
        return err;
    size_t V = V_logits;
    double total = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *z = logits + b * V;
        total += row_logsumexp(z, V) - (double)z[targets[b]];   /* -log softmax(z)[t] */
    }
    if (probs)
        tl_softmax_forward(probs, logits, B, V);
    *loss = (float)(total / (double)B);
    if (!isfinite(*loss))
        return tl_fail(TL_ENUMERIC, "tl_cross_entropy_forward: loss is %f", (double)*loss);
    return TL_OK;
}

tl_err tl_cross_entropy_backward(float *dlogits, const float *probs,
                                 const int *targets, size_t B, size_t V)
{
    if (!dlogits || !probs || !targets || B == 0 || V == 0)
        return tl_fail(TL_EINVAL, "tl_cross_entropy_backward: NULL buffer or zero size (B=%zu, V=%zu)", B, V);
    tl_err err = check_targets("tl_cross_entropy_backward", targets, B, V);
    if (err)
        return err;
    float inv_B = 1.0f / (float)B;
    for (size_t b = 0; b < B; b++) {
        for (size_t v = 0; v < V; v++)
            dlogits[b * V + v] += probs[b * V + v] * inv_B;
        dlogits[b * V + (size_t)targets[b]] -= inv_B;
    }
    return TL_OK;
}
