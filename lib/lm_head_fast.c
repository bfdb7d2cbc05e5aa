/* lm_head_fast.c — the same head as lm_head.c, blocked for cache and SIMD.
 *
 * Plain C11 that GCC vectorizes at -O2: every innermost loop runs over L
 * lanes (one SIMD register of floats), and each tile keeps many independent
 * accumulators, because the compiler may not reorder a float sum by itself.
 * Forward holds FMR×FNR dot products (lanes along d, summed at the end);
 * backward holds BMR rows × BNK columns of dH or dE and adds one scaled row of
 * E or H per step. Shapes, errors and += are lm_head.c's; only the order of the
 * additions differs, so results agree to float rounding.
 */
#include "tiedlab.h"

/* Lanes and tile sizes for the instruction set the compiler targets: x86-64's
 * baseline is SSE2 (4 floats, 16 registers). With AVX-512 (e.g. -march=native)
 * the tiles use 8-float registers, since there are 32 of them. A tile's
 * accumulators plus its loads must fit in the registers, or they spill. */
#if defined(__AVX512F__)
enum { L = 8, FMR = 4, FNR = 6, BMR = 6, BNK = 4 * L };
#elif defined(__AVX__)
enum { L = 8, FMR = 3, FNR = 4, BMR = 3, BNK = 4 * L };
#else
enum { L = 4, FMR = 3, FNR = 4, BMR = 3, BNK = 4 * L };
#endif

/* Cache blocks: rows of H (forward) and of E (backward) kept in L2 while the
 * other operand streams past them. */
enum { FWD_BLOCK_BYTES = 512 * 1024, BWD_BLOCK_BYTES = 128 * 1024 };
/* Steps of the backward whose scale factors are spread over L lanes at a time:
 * NSTEP·BMR·L floats of stack (3 KiB for SSE2, 12 KiB for AVX-512). */
enum { NSTEP = 64 };

/* "#pragma GCC unroll" below: the loops over a tile's rows must be unrolled
 * for its accumulators to live in registers, and at -O2 GCC unrolls only
 * loops that do not grow the code. The loops over L lanes are the ones the
 * vectorizer turns into single SIMD instructions. */

/* lm_head.c's check, word for word (it is static there): a caller sees the
 * same errors from either kernel. */
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

/* Rows of d floats that fit in `bytes`, rounded down to a multiple (at least one). */
static size_t rows_in(size_t bytes, size_t d, size_t multiple)
{
    size_t n = bytes / (d * sizeof(float));
    n = n / multiple * multiple;
    return n ? n : multiple;
}

/* ---- forward: logits[b, v] = H[b] · W[v] ------------------------------------ */

/* out[i, j] = h_i · w_j over the first dv columns (a multiple of L), for mr
 * rows of H and nr rows of W (constants once inlined): mr·nr·L partial sums,
 * each lane summing every L-th column, added up at the end. */
static inline __attribute__((always_inline)) void
dot_tile(float *out, size_t ldo, const float *h, const float *w, size_t d, size_t dv,
         const int mr, const int nr)
{
    float acc[FMR][FNR][L];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int j = 0; j < nr; j++)
            for (int l = 0; l < L; l++)
                acc[i][j][l] = 0.0f;
    for (size_t k = 0; k < dv; k += L) {
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
            for (int j = 0; j < nr; j++)
                for (int l = 0; l < L; l++)
                    acc[i][j][l] += h[(size_t)i * d + k + (size_t)l] * w[(size_t)j * d + k + (size_t)l];
    }
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int j = 0; j < nr; j++) {
            float s = acc[i][j][0];
#pragma GCC unroll 16
            for (int l = 1; l < L; l++)
                s += acc[i][j][l];
            out[(size_t)i * ldo + (size_t)j] = s;
        }
}

/* The four tile shapes the forward needs: whole, and its edges. Each is its
 * own function (noinline), so its loop gets every register to itself. */
static __attribute__((noinline)) void dot_tile_full(float *out, size_t ldo, const float *h, const float *w, size_t d, size_t dv)
{
    dot_tile(out, ldo, h, w, d, dv, FMR, FNR);
}

static __attribute__((noinline)) void dot_tile_row(float *out, size_t ldo, const float *h, const float *w, size_t d, size_t dv)
{
    dot_tile(out, ldo, h, w, d, dv, 1, FNR);
}

static __attribute__((noinline)) void dot_tile_col(float *out, size_t ldo, const float *h, const float *w, size_t d, size_t dv)
{
    dot_tile(out, ldo, h, w, d, dv, FMR, 1);
}

static __attribute__((noinline)) void dot_tile_one(float *out, size_t ldo, const float *h, const float *w, size_t d, size_t dv)
{
    dot_tile(out, ldo, h, w, d, dv, 1, 1);
}

/* out[i, j] += h_i · w_j over the last d - dv columns, fewer than L. */
static void dot_tail(float *out, size_t ldo, const float *h, const float *w, size_t d,
                     size_t dv, size_t mr, size_t nr)
{
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) {
            float s = out[i * ldo + j];
            for (size_t k = dv; k < d; k++)
                s += h[i * d + k] * w[j * d + k];
            out[i * ldo + j] = s;
        }
}

tl_err tl_head_forward_fast(float *logits, const float *H, const tl_head *head,
                            size_t B, size_t d, size_t V)
{
    tl_err err = check_shape("tl_head_forward", head, d, V);
    if (err)
        return err;
    if (!logits || !H)
        return tl_fail(TL_EINVAL, "tl_head_forward: NULL logits or hidden state");
    const float *W = head->W;
    size_t dv = d / L * L;   /* columns covered by whole lane groups */
    size_t Bblk = rows_in(FWD_BLOCK_BYTES, d, FMR);
    for (size_t b0 = 0; b0 < B; b0 += Bblk) {   /* these rows of H stay in L2 ... */
        size_t b1 = B - b0 < Bblk ? B : b0 + Bblk;
        for (size_t v = 0; v < V; v += FNR) {   /* ... FNR rows of W stay in L1 ... */
            size_t nr = V - v < FNR ? V - v : FNR;
            const float *w = W + v * d;
            for (size_t b = b0; b < b1; b += FMR) {   /* ... and H's rows pass by */
                size_t mr = b1 - b < FMR ? b1 - b : FMR;
                float *out = logits + b * V + v;
                const float *h = H + b * d;
                if (mr == FMR && nr == FNR)
                    dot_tile_full(out, V, h, w, d, dv);
                else if (nr == FNR)
                    for (size_t i = 0; i < mr; i++)
                        dot_tile_row(out + i * V, V, h + i * d, w, d, dv);
                else if (mr == FMR)
                    for (size_t j = 0; j < nr; j++)
                        dot_tile_col(out + j, V, h, w + j * d, d, dv);
                else
                    for (size_t i = 0; i < mr; i++)
                        for (size_t j = 0; j < nr; j++)
                            dot_tile_one(out + i * V + j, V, h + i * d, w + j * d, d, dv);
                if (dv < d)
                    dot_tail(out, V, h, w, d, dv, mr, nr);
            }
        }
    }
    return TL_OK;
}

/* ---- backward: dH += dlogits · W, dW += dlogitsᵀ · H ------------------------- */

/* y_i[0, BNK) += Σ_s g_i[s] · x_s[0, BNK) for mr rows y_i = y + i·ldy, over n
 * steps with x_s = x + s·ldx. gp[s][i] holds g_i[s] in all L lanes, so the
 * inner loop multiplies lane by lane with no shuffle. */
static inline __attribute__((always_inline)) void
axpy_tile(float *y, size_t ldy, const float (*gp)[BMR][L], const float *x, size_t ldx,
          size_t n, const int mr)
{
    float acc[BMR][BNK / L][L];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int c = 0; c < BNK / L; c++)
            for (int l = 0; l < L; l++)
                acc[i][c][l] = y[(size_t)i * ldy + (size_t)(c * L + l)];
    for (size_t s = 0; s < n; s++) {
        const float *xs = x + s * ldx;
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
            for (int c = 0; c < BNK / L; c++)
                for (int l = 0; l < L; l++)
                    acc[i][c][l] += gp[s][i][l] * xs[c * L + l];
    }
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int c = 0; c < BNK / L; c++)
            for (int l = 0; l < L; l++)
                y[(size_t)i * ldy + (size_t)(c * L + l)] = acc[i][c][l];
}

static __attribute__((noinline)) void axpy_tile_full(float *y, size_t ldy, const float (*gp)[BMR][L],
                           const float *x, size_t ldx, size_t n)
{
    axpy_tile(y, ldy, gp, x, ldx, n, BMR);
}

static __attribute__((noinline)) void axpy_tile_one(float *y, size_t ldy, const float (*gp)[BMR][L],
                          const float *x, size_t ldx, size_t n)
{
    axpy_tile(y, ldy, gp, x, ldx, n, 1);
}

/* The last columns, fewer than BNK. */
static void axpy_tail(float *y, size_t ldy, const float (*gp)[BMR][L], const float *x,
                      size_t ldx, size_t n, size_t mr, size_t cols)
{
    for (size_t i = 0; i < mr; i++)
        for (size_t s = 0; s < n; s++)
            for (size_t c = 0; c < cols; c++)
                y[i * ldy + c] += gp[s][i][0] * x[s * ldx + c];
}

/* Y[i] += Σ_s g[i·gi + s·gs] · X[s] for the rows i < rows of Y[rows, d] and
 * the steps s < n of X[n, d]. A tile of BMR rows walks its rows left to right,
 * so each row of Y streams through the cache once per NSTEP steps. */
static void axpy_rows(float *Y, const float *g, size_t gi, size_t gs,
                      const float *X, size_t n, size_t rows, size_t d)
{
    _Alignas(64) float gp[NSTEP][BMR][L];
    for (size_t i = 0; i < rows; i += BMR) {
        size_t mr = rows - i < BMR ? rows - i : BMR;
        float *Yi = Y + i * d;
        for (size_t s0 = 0; s0 < n; s0 += NSTEP) {
            size_t ns = n - s0 < NSTEP ? n - s0 : NSTEP;
            for (size_t s = 0; s < ns; s++)
                for (size_t r = 0; r < mr; r++) {
                    float gv = g[(i + r) * gi + (s0 + s) * gs];
                    for (int l = 0; l < L; l++)
                        gp[s][r][l] = gv;
                }
            const float *Xs = X + s0 * d;
            size_t dk = d / BNK * BNK;   /* columns covered by whole tiles */
            if (mr == BMR)
                for (size_t k = 0; k < dk; k += BNK)
                    axpy_tile_full(Yi + k, d, (const float (*)[BMR][L])gp, Xs + k, d, ns);
            else   /* a few rows: one step at a time, so X is read row by row, in order */
                for (size_t st = 0; st < ns; st++)
                    for (size_t r = 0; r < mr; r++)
                        for (size_t k = 0; k < dk; k += BNK)
                            axpy_tile_one(Yi + r * d + k, d, (const float (*)[BMR][L])gp[st][r],
                                          Xs + st * d + k, d, 1);
            if (dk < d)
                axpy_tail(Yi + dk, d, (const float (*)[BMR][L])gp, Xs + dk, d, ns, mr, d - dk);
        }
    }
}

tl_err tl_head_backward_fast(float *dH, tl_head *head, const float *dlogits,
                             const float *H, size_t B, size_t d, size_t V)
{
    tl_err err = check_shape("tl_head_backward", head, d, V);
    if (err)
        return err;
    if (!dH || !dlogits || !H || !head->dW)
        return tl_fail(TL_EINVAL, "tl_head_backward: NULL buffer");
    const float *W = head->W;
    float *dW = head->dW;
    size_t Vblk = rows_in(BWD_BLOCK_BYTES, d, 1);
    for (size_t v0 = 0; v0 < V; v0 += Vblk) {   /* while these rows of W and dW are in L2: */
        size_t nv = V - v0 < Vblk ? V - v0 : Vblk;
        /* dH[b] += Σ_v dlogits[b, v] W[v]: rows b, steps v */
        axpy_rows(dH, dlogits + v0, V, 1, W + v0 * d, nv, B, d);
        /* dW[v] += Σ_b dlogits[b, v] H[b]: rows v, steps b */
        axpy_rows(dW + v0 * d, dlogits + v0, 1, V, H, B, nv, d);
    }
    return TL_OK;
}
