/* matmul_tiles.h — the blocked kernels of matmul.c, written once and compiled
 * once per instruction set. Not a public header: matmul.c includes it with
 *   L            floats per SIMD register,
 *   FMR, FNR     forward tile: FMR rows of A by FNR rows of W (FMR·FNR·L sums),
 *   BMR, BNK     backward tile: BMR rows of the gradient, BNK columns,
 *   KNAME(f)     f with this instruction set's suffix,
 * and, around it, "#pragma GCC target" for the instruction set (matmul.c
 * undefines them after each build). The baseline runs these kernels; the
 * AVX2 and AVX-512 builds run this forward for a wide K and replace the rest
 * with matmul_outer.h's.
 *
 * Every innermost loop runs over L lanes, and each tile keeps many
 * independent accumulators, because the compiler may not reorder a float sum
 * by itself. A tile's accumulators plus its loads must fit in the registers,
 * or they spill. "#pragma GCC unroll": the loops over a tile's rows must be
 * unrolled for the accumulators to live in registers, and at -O2 GCC unrolls
 * only loops that do not grow the code.
 */

/* ---- forward: out[i, j] = a_i · w_j ------------------------------------------ */

/* out[i, j] = a_i · w_j over the first kv columns (a multiple of L), for mr
 * rows of A and nr rows of W (constants once inlined): mr·nr·L partial sums,
 * each lane summing every L-th column, added up at the end. */
static inline __attribute__((always_inline)) void
KNAME(dot_tile)(float *out, size_t ldo, const float *a, const float *w, size_t k_all,
                size_t kv, const int mr, const int nr)
{
    float acc[FMR][FNR][L];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int j = 0; j < nr; j++)
            for (int l = 0; l < L; l++)
                acc[i][j][l] = 0.0f;
    for (size_t k = 0; k < kv; k += L) {
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
            for (int j = 0; j < nr; j++)
                for (int l = 0; l < L; l++)
                    acc[i][j][l] += a[(size_t)i * k_all + k + (size_t)l] * w[(size_t)j * k_all + k + (size_t)l];
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
static __attribute__((noinline)) void
KNAME(dot_full)(float *out, size_t ldo, const float *a, const float *w, size_t k_all, size_t kv)
{
    KNAME(dot_tile)(out, ldo, a, w, k_all, kv, FMR, FNR);
}

static __attribute__((noinline)) void
KNAME(dot_row)(float *out, size_t ldo, const float *a, const float *w, size_t k_all, size_t kv)
{
    KNAME(dot_tile)(out, ldo, a, w, k_all, kv, 1, FNR);
}

static __attribute__((noinline)) void
KNAME(dot_col)(float *out, size_t ldo, const float *a, const float *w, size_t k_all, size_t kv)
{
    KNAME(dot_tile)(out, ldo, a, w, k_all, kv, FMR, 1);
}

static __attribute__((noinline)) void
KNAME(dot_one)(float *out, size_t ldo, const float *a, const float *w, size_t k_all, size_t kv)
{
    KNAME(dot_tile)(out, ldo, a, w, k_all, kv, 1, 1);
}

/* Columns [n_begin, n_end) of out[M, N] (a thread's share; every output is
 * one tile's sum, whichever share it falls in). */
static void KNAME(forward)(float *out, const float *A, const float *W, size_t M, size_t K, size_t N,
                           size_t n_begin, size_t n_end)
{
    size_t kv = K / L * L;   /* columns covered by whole lane groups */
    size_t Mblk = rows_in(FWD_BLOCK_BYTES, K, FMR);
    for (size_t m0 = 0; m0 < M; m0 += Mblk) {    /* these rows of A stay in L2 ... */
        size_t m1 = M - m0 < Mblk ? M : m0 + Mblk;
        for (size_t n = n_begin; n < n_end; n += FNR) {    /* ... FNR rows of W stay in L1 ... */
            size_t nr = n_end - n < FNR ? n_end - n : FNR;
            const float *w = W + n * K;
            for (size_t m = m0; m < m1; m += FMR) {   /* ... and A's rows pass by */
                size_t mr = m1 - m < FMR ? m1 - m : FMR;
                float *o = out + m * N + n;
                const float *a = A + m * K;
                if (mr == FMR && nr == FNR)
                    KNAME(dot_full)(o, N, a, w, K, kv);
                else if (nr == FNR)
                    for (size_t i = 0; i < mr; i++)
                        KNAME(dot_row)(o + i * N, N, a + i * K, w, K, kv);
                else if (mr == FMR)
                    for (size_t j = 0; j < nr; j++)
                        KNAME(dot_col)(o + j, N, a, w + j * K, K, kv);
                else
                    for (size_t i = 0; i < mr; i++)
                        for (size_t j = 0; j < nr; j++)
                            KNAME(dot_one)(o + i * N + j, N, a + i * K, w + j * K, K, kv);
                if (kv < K)
                    dot_tail(o, N, a, w, K, kv, mr, nr);
            }
        }
    }
}

/* ---- backward: Y[i] += Σ_s g(i, s) · X[s] ------------------------------------ */

/* y_i[0, BNK) += Σ_s g_i[s] · x_s[0, BNK) for mr rows y_i = y + i·ldy, over n
 * steps with x_s = x + s·ldx. gp[s][i] holds g_i[s] in all L lanes, so the
 * inner loop multiplies lane by lane with no shuffle. The sums start at zero
 * and are added to y at the end: starting them from y reads like a memcpy to
 * GCC, which then keeps them in memory (half the speed, measured in AVX2). */
static inline __attribute__((always_inline)) void
KNAME(axpy_tile)(float *y, size_t ldy, const float (*gp)[BMR][L], const float *x, size_t ldx,
                 size_t n, const int mr)
{
    float acc[BMR][BNK / L][L];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int c = 0; c < BNK / L; c++)
            for (int l = 0; l < L; l++)
                acc[i][c][l] = 0.0f;
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
                y[(size_t)i * ldy + (size_t)(c * L + l)] += acc[i][c][l];
}

static __attribute__((noinline)) void
KNAME(axpy_full)(float *y, size_t ldy, const float (*gp)[BMR][L], const float *x, size_t ldx, size_t n)
{
    KNAME(axpy_tile)(y, ldy, gp, x, ldx, n, BMR);
}

static __attribute__((noinline)) void
KNAME(axpy_one)(float *y, size_t ldy, const float (*gp)[BMR][L], const float *x, size_t ldx, size_t n)
{
    KNAME(axpy_tile)(y, ldy, gp, x, ldx, n, 1);
}

/* Y[i] += Σ_s g[i·gi + s·gs] · X[s] for the rows i < rows of Y[rows, K] and
 * the steps s < n of X[n, K]. A tile of BMR rows walks its row left to right,
 * so each row of Y streams through the cache once per NSTEP steps. */
static void KNAME(axpy_rows)(float *Y, const float *g, size_t gi, size_t gs,
                             const float *X, size_t n, size_t rows, size_t K)
{
    _Alignas(64) float gp[NSTEP][BMR][L];
    size_t kk = K / BNK * BNK;   /* columns covered by whole tiles */
    for (size_t i = 0; i < rows; i += BMR) {
        size_t mr = rows - i < BMR ? rows - i : BMR;
        float *Yi = Y + i * K;
        for (size_t s0 = 0; s0 < n; s0 += NSTEP) {
            size_t ns = n - s0 < NSTEP ? n - s0 : NSTEP;
            for (size_t s = 0; s < ns; s++)
                for (size_t r = 0; r < mr; r++) {
                    float gv = g[(i + r) * gi + (s0 + s) * gs];
                    for (int l = 0; l < L; l++)
                        gp[s][r][l] = gv;
                }
            const float *Xs = X + s0 * K;
            if (mr == BMR)
                for (size_t k = 0; k < kk; k += BNK)
                    KNAME(axpy_full)(Yi + k, K, (const float (*)[BMR][L])gp, Xs + k, K, ns);
            else   /* a few rows: one step at a time, so X is read row by row, in order */
                for (size_t st = 0; st < ns; st++)
                    for (size_t r = 0; r < mr; r++)
                        for (size_t k = 0; k < kk; k += BNK)
                            KNAME(axpy_one)(Yi + r * K + k, K, (const float (*)[BMR][L])gp[st][r],
                                            Xs + st * K + k, K, 1);
            for (size_t r = 0; r < mr; r++)   /* the last columns, fewer than BNK */
                for (size_t s = 0; s < ns; s++)
                    for (size_t k = kk; k < K; k++)
                        Yi[r * K + k] += gp[s][r][0] * Xs[s * K + k];
        }
    }
}

/* unused in the AVX2 and AVX-512 builds, which run matmul_outer.h's backward */
static __attribute__((unused)) void
KNAME(backward)(float *dA, float *dW, const float *dout, const float *A, const float *W,
                size_t M, size_t K, size_t N)
{
    size_t Nblk = rows_in(BWD_BLOCK_BYTES, K, 1);
    for (size_t n0 = 0; n0 < N; n0 += Nblk) {   /* while these rows of W and dW are in L2: */
        size_t nn = N - n0 < Nblk ? N - n0 : Nblk;
        /* dA[m] += Σ_n dout[m, n] W[n]: rows m, steps n */
        KNAME(axpy_rows)(dA, dout + n0, N, 1, W + n0 * K, nn, M, K);
        /* dW[n] += Σ_m dout[m, n] A[m]: rows n, steps m */
        KNAME(axpy_rows)(dW + n0 * K, dout + n0, 1, N, A, M, nn, K);
    }
}
