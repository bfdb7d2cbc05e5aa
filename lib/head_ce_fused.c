/* head_ce_fused.c — the head and the cross-entropy in one pass over V, with
 * the logits never held whole.
 *
 * The loss needs one number per row, log Σ_v exp(z_v) − z_target, but the
 * unfused path holds B·V logits, their probabilities and their gradient
 * (8192 rows at V = 50257: 1.6 GB each in fp32). Here the rows go in blocks
 * of FUSED_ROWS, and for each block the vocabulary in chunks: a chunk of
 * logits Z = H_blk · W_chunkᵀ is made (matmul.c's kernels), capped, and
 * folded into a running max and sum (the online log-sum-exp), then dropped.
 * The backward makes each chunk again, turns it into its gradient in place,
 *   g = (softmax(z) − onehot(target)) / B · (1 − tanh²(z/c)),
 * and sends it through the kernels' backward, which ADDS into dH and into
 * head->dW. With a tied head dW is the embedding's dE: whatever the lookup or
 * an earlier micro-batch put there stays, so no chunk may assign.
 *
 * What it costs: one more product than the unfused path (the chunks of the
 * forward are made twice), for B·V floats that are never allocated.
 */
#include "tiedlab.h"

#include <math.h>
#include <stdlib.h>

/* With OPENMP=1 the rows of a chunk are shared among the threads (each row's
 * numbers are the same on any count); the kernels share their products. */
#ifdef _OPENMP
#define ROWS_IN_PARALLEL _Pragma("omp parallel for schedule(static) if (rows * n >= 65536)")
#else
#define ROWS_IN_PARALLEL
#endif

/* Rows of H per block, and the most columns of W a chunk spans: the chunk's
 * rows of W (cols·d floats) are kept near FUSED_CHUNK_BYTES so that they stay
 * in cache while the block's rows pass over them twice. */
enum { FUSED_ROWS = 256, FUSED_CHUNK_BYTES = 1024 * 1024, FUSED_MIN_COLS = 64, FUSED_MAX_COLS = 4096 };

static size_t block_rows(size_t B) { return B < FUSED_ROWS ? B : FUSED_ROWS; }

static size_t chunk_cols(size_t d, size_t V)
{
    size_t c = FUSED_CHUNK_BYTES / (d * sizeof(float));
    c = c / 16 * 16;
    if (c < FUSED_MIN_COLS) c = FUSED_MIN_COLS;
    if (c > FUSED_MAX_COLS) c = FUSED_MAX_COLS;
    return c < V ? c : V;
}

size_t tl_head_ce_fused_bytes(size_t B, size_t d, size_t V)
{
    if (B == 0 || d == 0 || V == 0)
        return 0;
    size_t rows = block_rows(B);
    /* the chunk of logits (its gradient overwrites it), and the block's
     * running max, running sum and target logit */
    return rows * chunk_cols(d, V) * sizeof(float) + rows * 3 * sizeof(double);
}

static tl_err check_args(const char *fn, const tl_head *head, const float *H, const int *targets,
                         size_t B, size_t d, size_t V, size_t n_classes, float softcap)
{
    if (!head || !head->W)
        return tl_fail(TL_EINVAL, "%s: head is not set up", fn);
    if (!H || !targets || B == 0)
        return tl_fail(TL_EINVAL, "%s: NULL buffer or empty batch (B=%zu)", fn, B);
    if (head->V != V)
        return tl_fail(TL_ESHAPE, "%s: head has %zu rows, caller expects %zu logits", fn, head->V, V);
    if (head->d != d)
        return tl_fail(TL_ESHAPE, "%s: head rows have width %zu, hidden state has width %zu", fn, head->d, d);
    if (V != n_classes)
        return tl_fail(TL_ESHAPE, "%s: logits have %zu columns, targets need %zu classes", fn, V, n_classes);
    if (!(softcap >= 0.0f) || !isfinite(softcap))
        return tl_fail(TL_EINVAL, "%s: softcap %g is not a finite cap >= 0 (0 = off)", fn, (double)softcap);
    for (size_t b = 0; b < B; b++)
        if (targets[b] < 0 || (size_t)targets[b] >= V)
            return tl_fail(TL_ERANGE, "%s: target %d at position %zu is out of range for %zu classes",
                           fn, targets[b], b, V);
    return TL_OK;
}

/* Z[rows, cols] = softcap(H_blk · W[v0 : v0+cols]ᵀ), as the model caps them. */
static void make_chunk(float *Z, const float *Hb, const float *W, size_t rows, size_t d,
                       size_t v0, size_t n, float c)
{
    tl_matmul_forward(Z, Hb, W + v0 * d, rows, d, n);
    if (c > 0.0f) {
        ROWS_IN_PARALLEL
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < n; j++)
                Z[i * n + j] = c * tanhf(Z[i * n + j] / c);
    }
}

/* lse[b] = log Σ_v exp(z[b, v]) for the block's rows, chunk by chunk: when a
 * chunk raises a row's max, the sum so far is scaled down to the new max, so
 * every exp is <= 1. Each exp is a float's (expf, within an ulp or two), the
 * sums are in double. zt[b] gets the target's logit. */
static void block_logsumexp(double *lse, double *zt, float *Z, double *mx, const float *Hb,
                            const int *tb, const float *W, size_t rows, size_t d, size_t V,
                            size_t cols, float c)
{
    for (size_t i = 0; i < rows; i++) {
        mx[i] = -INFINITY;
        lse[i] = 0.0;   /* the running sum until the end */
    }
    for (size_t v0 = 0; v0 < V; v0 += cols) {
        size_t n = V - v0 < cols ? V - v0 : cols;
        make_chunk(Z, Hb, W, rows, d, v0, n, c);
        ROWS_IN_PARALLEL
        for (size_t i = 0; i < rows; i++) {
            const float *z = Z + i * n;
            float m = z[0];
            for (size_t j = 1; j < n; j++)
                if (z[j] > m)
                    m = z[j];
            if ((double)m > mx[i]) {
                lse[i] *= exp(mx[i] - (double)m);   /* exp(-inf) = 0 on the first chunk */
                mx[i] = (double)m;
            }
            double s = 0.0;
            float m0 = (float)mx[i];   /* a chunk's max or more: exact in float */
            for (size_t j = 0; j < n; j++)
                s += (double)expf(z[j] - m0);
            lse[i] += s;
            size_t t = (size_t)tb[i];
            if (t >= v0 && t < v0 + n)
                zt[i] = (double)z[t - v0];
        }
    }
    for (size_t i = 0; i < rows; i++)
        lse[i] = mx[i] + log(lse[i]);
}

/* dH_blk += G · W_chunk and dW_chunk += Gᵀ · H_blk, G made in place in Z. */
static void block_backward(float *dHb, float *dW, float *Z, const double *lse, const float *Hb,
                           const int *tb, const float *W, size_t rows, size_t d, size_t V,
                           size_t cols, float c, float inv_B)
{
    for (size_t v0 = 0; v0 < V; v0 += cols) {
        size_t n = V - v0 < cols ? V - v0 : cols;
        make_chunk(Z, Hb, W, rows, d, v0, n, c);
        ROWS_IN_PARALLEL
        for (size_t i = 0; i < rows; i++) {
            float *z = Z + i * n;
            size_t t = (size_t)tb[i];
            float l = (float)lse[i];
            for (size_t j = 0; j < n; j++) {
                float g = expf(z[j] - l) * inv_B;   /* softmax(z)[j] / B */
                if (v0 + j == t)
                    g -= inv_B;
                if (c > 0.0f) {
                    float th = z[j] / c;   /* tanh(z / c), from the capped logit */
                    g *= 1.0f - th * th;
                }
                z[j] = g;
            }
        }
        tl_matmul_backward(dHb, dW + v0 * d, Z, Hb, W + v0 * d, rows, d, n);
    }
}

/* The shared body: loss (and lse) always, the gradients when dH is set. */
static tl_err fused(const char *fn, float *loss, double *lse_out, float *dH, const double *lse_in,
                    const tl_head *head, const float *H, const int *targets, size_t B, size_t d,
                    size_t V, float c)
{
    size_t rows = block_rows(B), cols = chunk_cols(d, V);
    float *Z = malloc(rows * cols * sizeof *Z);
    double *work = malloc(rows * 3 * sizeof *work);
    if (!Z || !work) {
        free(Z);
        free(work);
        return tl_fail(TL_ENOMEM, "%s: cannot allocate a chunk of %zu x %zu logits", fn, rows, cols);
    }
    double *lse = work, *zt = work + rows, *mx = work + 2 * rows;
    float inv_B = 1.0f / (float)B;
    double total = 0.0;
    for (size_t r0 = 0; r0 < B; r0 += rows) {
        size_t nr = B - r0 < rows ? B - r0 : rows;
        const float *Hb = H + r0 * d;
        const int *tb = targets + r0;
        if (lse_in) {
            for (size_t i = 0; i < nr; i++)
                lse[i] = lse_in[r0 + i];
        } else {
            block_logsumexp(lse, zt, Z, mx, Hb, tb, head->W, nr, d, V, cols, c);
            for (size_t i = 0; i < nr; i++) {
                total += lse[i] - zt[i];   /* -log softmax(z)[t] */
                if (lse_out)
                    lse_out[r0 + i] = lse[i];
            }
        }
        if (dH)
            block_backward(dH + r0 * d, head->dW, Z, lse, Hb, tb, head->W, nr, d, V, cols, c, inv_B);
    }
    free(Z);
    free(work);
    if (loss) {
        *loss = (float)(total / (double)B);
        if (!isfinite(*loss))
            return tl_fail(TL_ENUMERIC, "%s: loss is %f", fn, (double)*loss);
    }
    return TL_OK;
}

tl_err tl_head_ce_fused_forward(float *loss, double *lse, const tl_head *head, const float *H,
                                const int *targets, size_t B, size_t d, size_t V,
                                size_t n_classes, float softcap)
{
    const char *fn = "tl_head_ce_fused_forward";
    tl_err err = check_args(fn, head, H, targets, B, d, V, n_classes, softcap);
    if (!err && !loss)
        err = tl_fail(TL_EINVAL, "%s: NULL loss", fn);
    return err ? err : fused(fn, loss, lse, NULL, NULL, head, H, targets, B, d, V, softcap);
}

tl_err tl_head_ce_fused_backward(float *dH, tl_head *head, const float *H, const int *targets,
                                 const double *lse, size_t B, size_t d, size_t V, float softcap)
{
    const char *fn = "tl_head_ce_fused_backward";
    tl_err err = check_args(fn, head, H, targets, B, d, V, V, softcap);
    if (!err && (!dH || !lse || !head->dW))
        err = tl_fail(TL_EINVAL, "%s: NULL dH, lse or head gradient", fn);
    for (size_t b = 0; !err && b < B; b++)
        if (!isfinite(lse[b]))
            err = tl_fail(TL_ENUMERIC, "%s: lse of row %zu is %f, not a forward's", fn, b, lse[b]);
    return err ? err : fused(fn, NULL, NULL, dH, lse, head, H, targets, B, d, V, softcap);
}

tl_err tl_head_ce_fused(float *loss, float *dH, tl_head *head, const float *H, const int *targets,
                        size_t B, size_t d, size_t V, size_t n_classes, float softcap)
{
    const char *fn = "tl_head_ce_fused";
    tl_err err = check_args(fn, head, H, targets, B, d, V, n_classes, softcap);
    if (!err && (!loss || (dH && !head->dW)))
        err = tl_fail(TL_EINVAL, "%s: NULL loss or head gradient", fn);
    return err ? err : fused(fn, loss, NULL, dH, NULL, head, H, targets, B, d, V, softcap);
}
