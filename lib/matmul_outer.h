/* matmul_outer.h — the AVX2 and AVX-512 builds' own kernels, beside
 * matmul_tiles.h's (the baseline keeps those alone, and so its numbers).
 * matmul.c includes it after matmul_tiles.h with the same L and KNAME, and
 *   OMR, ONV     forward outer-product tile: OMR rows of A by ONV·L columns,
 *   BNV          backward tile width in registers (BMR rows by BNV·L columns).
 *
 * Forward, K <= KOUT_MAX: a dot product per output ends in a horizontal sum
 * of L lanes, which costs more than the K/L multiply-adds before it when K is
 * small. Here a panel of ONV·L rows of W is packed transposed, [K][ONV·L],
 * and each step k adds A[i, k] (broadcast) times a row of the panel into
 * OMR·ONV registers of outputs: no horizontal sum, and each out[i, j] is
 * Σ_k A[i, k]·W[j, k] in the plain loop's order.
 * Backward: matmul_tiles.h's axpy tiles with the scale factor broadcast from
 * memory as it is used (one load that feeds every vector of a row), instead
 * of spread over L lanes in a buffer first: the spreading cost as much as the
 * multiply-adds when K is small.
 * Vectors are GCC's vector extension (vector_size): plain arithmetic on
 * them, and __builtin_shuffle for the transpose; no intrinsics, no asm.
 */

typedef float KNAME(vec) __attribute__((vector_size(L * sizeof(float))));
/* the same, for loads and stores at any float's address */
typedef float KNAME(vecu) __attribute__((vector_size(L * sizeof(float)), aligned(sizeof(float)), may_alias));
typedef int KNAME(ivec) __attribute__((vector_size(L * sizeof(float))));

#define NP (ONV * L)   /* columns of a forward panel */

/* ---- packing: wt[k][j] = W[j, k] ------------------------------------------- */

/* The transpose of an L×L block in registers, in log₂L stages: stage h swaps
 * the off-diagonal h×h blocks of every 2h×2h block (lane l of row i+h moves
 * to lane l+h of row i, and back). */
#define TR_LO(l, h) (((l) & (h)) ? L + (l) - (h) : (l))
#define TR_HI(l, h) (((l) & (h)) ? L + (l) : (l) + (h))
#define TR_8(F, h) F(0, h), F(1, h), F(2, h), F(3, h), F(4, h), F(5, h), F(6, h), F(7, h)
#if L == 16
#define TR_MASK(F, h) { TR_8(F, h), F(8, h), F(9, h), F(10, h), F(11, h), F(12, h), F(13, h), F(14, h), F(15, h) }
#elif L == 8
#define TR_MASK(F, h) { TR_8(F, h) }
#else
#error "matmul_outer.h: L must be 8 or 16"
#endif
#define TR_STAGE(r, h)                                                       \
    do {                                                                     \
        const KNAME(ivec) lo = TR_MASK(TR_LO, h), hi = TR_MASK(TR_HI, h);    \
        _Pragma("GCC unroll 16")                                             \
        for (int i = 0; i < L; i++)                                          \
            if (!(i & (h))) {                                                \
                KNAME(vec) x = r[i], y = r[i + (h)];                         \
                r[i] = __builtin_shuffle(x, y, lo);                          \
                r[i + (h)] = __builtin_shuffle(x, y, hi);                    \
            }                                                                \
    } while (0)

/* Panel of nr <= NP rows of W[.., K] (the rest zero): wt[k·NP + j] = W[j·K + k]. */
static void KNAME(pack_panel)(float *wt, const float *W, size_t nr, size_t K)
{
    size_t jv = nr / L * L, kv = K / L * L;
    for (size_t j0 = 0; j0 < jv; j0 += L) {
        for (size_t k0 = 0; k0 < kv; k0 += L) {
            KNAME(vec) r[L];
#pragma GCC unroll 16
            for (int i = 0; i < L; i++)
                r[i] = *(const KNAME(vecu) *)(W + (j0 + (size_t)i) * K + k0);
#if L == 16
            TR_STAGE(r, 8);
#endif
            TR_STAGE(r, 4);
            TR_STAGE(r, 2);
            TR_STAGE(r, 1);
#pragma GCC unroll 16
            for (int i = 0; i < L; i++)
                *(KNAME(vec) *)(wt + (k0 + (size_t)i) * NP + j0) = r[i];
        }
        for (size_t k = kv; k < K; k++)
            for (size_t j = j0; j < j0 + L; j++)
                wt[k * NP + j] = W[j * K + k];
    }
    for (size_t k = 0; k < K; k++)
        for (size_t j = jv; j < NP; j++)
            wt[k * NP + j] = j < nr ? W[j * K + k] : 0.0f;
}

/* ---- forward: outer products over a packed panel ---------------------------- */

/* out[i, j] = Σ_k a[i·K + k] · wt[k·NP + j] for i < OMR, j < NP. */
static __attribute__((noinline)) void
KNAME(outer_full)(float *out, size_t ldo, const float *a, const float *wt, size_t K)
{
    KNAME(vec) acc[OMR][ONV];
#pragma GCC unroll 8
    for (int i = 0; i < OMR; i++)
#pragma GCC unroll 8
        for (int c = 0; c < ONV; c++)
            acc[i][c] = (KNAME(vec)){ 0 };
    for (size_t k = 0; k < K; k++) {
        KNAME(vec) w[ONV];
#pragma GCC unroll 8
        for (int c = 0; c < ONV; c++)
            w[c] = *(const KNAME(vec) *)(wt + k * NP + (size_t)(c * L));
#pragma GCC unroll 8
        for (int i = 0; i < OMR; i++) {
            float s = a[(size_t)i * K + k];
#pragma GCC unroll 8
            for (int c = 0; c < ONV; c++)
                acc[i][c] += s * w[c];
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < OMR; i++)
#pragma GCC unroll 8
        for (int c = 0; c < ONV; c++)
            *(KNAME(vecu) *)(out + (size_t)i * ldo + (size_t)(c * L)) = acc[i][c];
}

/* Columns [n_begin, n_end) of out = A · Wᵀ, for K <= KOUT_MAX: panel by panel,
 * each packed once per block of rows of A that stays in L2. The last rows and
 * columns run the same tile on zero-padded copies. */
static void KNAME(forward_outer)(float *out, const float *A, const float *W, size_t M, size_t K,
                                 size_t N, size_t n_begin, size_t n_end)
{
    _Alignas(64) float wt[KOUT_MAX * NP];
    _Alignas(64) float a_pad[OMR * KOUT_MAX], o_pad[OMR * NP];
    size_t m_full = M / OMR * OMR, mr = M - m_full;
    memset(a_pad, 0, sizeof a_pad);
    memcpy(a_pad, A + m_full * K, mr * K * sizeof(float));
    size_t Mblk = rows_in(FWD_BLOCK_BYTES, K, OMR);
    for (size_t m0 = 0; m0 < M; m0 += Mblk) {
        size_t m1 = M - m0 < Mblk ? M : m0 + Mblk;
        for (size_t n = n_begin; n < n_end; n += NP) {
            size_t nr = n_end - n < NP ? n_end - n : NP;
            KNAME(pack_panel)(wt, W + n * K, nr, K);
            for (size_t m = m0; m < m1; m += OMR) {
                const float *a = m < m_full ? A + m * K : a_pad;
                size_t rows = m < m_full ? OMR : mr;
                if (rows == OMR && nr == NP) {
                    KNAME(outer_full)(out + m * N + n, N, a, wt, K);
                    continue;
                }
                KNAME(outer_full)(o_pad, NP, a, wt, K);
                for (size_t i = 0; i < rows; i++)
                    memcpy(out + (m + i) * N + n, o_pad + i * NP, nr * sizeof(float));
            }
        }
    }
}

/* ---- backward: broadcast-FMA axpy tiles -------------------------------------- */

/* y_i[0, nv·L) += Σ_s g[i·gi + s·gs] · x_s[0, nv·L) for mr rows y_i = y + i·ldy,
 * over n steps with x_s = x + s·ldx (mr and nv constants once inlined). */
static inline __attribute__((always_inline)) void
KNAME(bc_tile)(float *y, size_t ldy, const float *g, size_t gi, size_t gs, const float *x,
               size_t ldx, size_t n, const int mr, const int nv)
{
    KNAME(vec) acc[BMR][BNV];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int c = 0; c < nv; c++)
            acc[i][c] = (KNAME(vec)){ 0 };
    for (size_t s = 0; s < n; s++) {
        KNAME(vec) xs[BNV];
#pragma GCC unroll 8
        for (int c = 0; c < nv; c++)
            xs[c] = *(const KNAME(vecu) *)(x + s * ldx + (size_t)(c * L));
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            float gv = g[(size_t)i * gi + s * gs];
#pragma GCC unroll 8
            for (int c = 0; c < nv; c++)
                acc[i][c] += gv * xs[c];
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int c = 0; c < nv; c++)
            *(KNAME(vecu) *)(y + (size_t)i * ldy + (size_t)(c * L)) += acc[i][c];
}

static __attribute__((noinline)) void
KNAME(bc_full)(float *y, size_t ldy, const float *g, size_t gi, size_t gs, const float *x, size_t ldx, size_t n)
{
    KNAME(bc_tile)(y, ldy, g, gi, gs, x, ldx, n, BMR, BNV);
}

static __attribute__((noinline)) void
KNAME(bc_row)(float *y, size_t ldy, const float *g, size_t gi, size_t gs, const float *x, size_t ldx, size_t n)
{
    KNAME(bc_tile)(y, ldy, g, gi, gs, x, ldx, n, 1, BNV);
}

static __attribute__((noinline)) void
KNAME(bc_col)(float *y, size_t ldy, const float *g, size_t gi, size_t gs, const float *x, size_t ldx, size_t n)
{
    KNAME(bc_tile)(y, ldy, g, gi, gs, x, ldx, n, BMR, 1);
}

static __attribute__((noinline)) void
KNAME(bc_one)(float *y, size_t ldy, const float *g, size_t gi, size_t gs, const float *x, size_t ldx, size_t n)
{
    KNAME(bc_tile)(y, ldy, g, gi, gs, x, ldx, n, 1, 1);
}

/* Y[i, k] += Σ_s g[i·gi + s·gs] · X[s, k] for the rows [r_begin, r_end) and
 * columns [k_begin, k_end) of Y[.., K] (a thread's share), over the steps
 * s < n of X[n, K]: tiles of BMR rows by BNV·L columns, then single vectors,
 * then the last columns one float at a time. Each element is Y plus one sum
 * over s, in order, whatever tile or share it falls in. */
static void KNAME(bc_rows)(float *Y, const float *g, size_t gi, size_t gs, const float *X, size_t n,
                           size_t r_begin, size_t r_end, size_t k_begin, size_t k_end, size_t K)
{
    size_t kt = k_begin + (k_end - k_begin) / (BNV * L) * (BNV * L);
    size_t kv = k_begin + (k_end - k_begin) / L * L;
    for (size_t i = r_begin; i < r_end; i += BMR) {
        size_t mr = r_end - i < BMR ? r_end - i : BMR;
        float *Yi = Y + i * K;
        const float *gr = g + i * gi;
        if (mr == BMR) {
            for (size_t k = k_begin; k < kt; k += BNV * L)
                KNAME(bc_full)(Yi + k, K, gr, gi, gs, X + k, K, n);
            for (size_t k = kt; k < kv; k += L)
                KNAME(bc_col)(Yi + k, K, gr, gi, gs, X + k, K, n);
        } else
            for (size_t r = 0; r < mr; r++) {
                for (size_t k = k_begin; k < kt; k += BNV * L)
                    KNAME(bc_row)(Yi + r * K + k, K, gr + r * gi, gi, gs, X + k, K, n);
                for (size_t k = kt; k < kv; k += L)
                    KNAME(bc_one)(Yi + r * K + k, K, gr + r * gi, gi, gs, X + k, K, n);
            }
        for (size_t r = 0; r < mr; r++)   /* the last columns, fewer than L */
            for (size_t k = kv; k < k_end; k++) {
                float sum = 0.0f;
                for (size_t s = 0; s < n; s++)
                    sum += gr[r * gi + s * gs] * X[s * K + k];
                Yi[r * K + k] += sum;
            }
    }
}

/* ---- entry points: one thread's share ---------------------------------------- */

/* Columns [n_begin, n_end) of out = A · Wᵀ: panels for a narrow K, the dot
 * tiles of matmul_tiles.h for a wide one (the choice depends on the shape
 * alone, never on the share, so every thread count gives the same numbers). */
static void KNAME(forward_cols)(float *out, const float *A, const float *W, size_t M, size_t K,
                                size_t N, size_t n_begin, size_t n_end)
{
    if (K <= KOUT_MAX && M >= OUT_MIN_M)
        KNAME(forward_outer)(out, A, W, M, K, N, n_begin, n_end);
    else
        KNAME(forward)(out, A, W, M, K, N, n_begin, n_end);
}

/* Share t of T: dA += dout · W on its share of dA (rows, or columns when A has
 * too few rows to share) and dW += doutᵀ · A on its share of dW's rows, block by
 * block of W's rows so that each block is read from L2 by both products. */
static void KNAME(backward_share)(float *dA, float *dW, const float *dout, const float *A,
                                  const float *W, size_t M, size_t K, size_t N, size_t t, size_t T)
{
    size_t Nblk = rows_in(BWD_BLOCK_BYTES, K, BMR);
    int by_rows = M >= T * BMR;
    size_t a0 = share(by_rows ? M : K, t, T, by_rows ? BMR : L);
    size_t a1 = share(by_rows ? M : K, t + 1, T, by_rows ? BMR : L);
    for (size_t n0 = 0; n0 < N; n0 += Nblk) {
        size_t nn = N - n0 < Nblk ? N - n0 : Nblk;
        /* dA[m] += Σ_n dout[m, n] W[n]: rows m, steps n */
        if (by_rows)
            KNAME(bc_rows)(dA, dout + n0, N, 1, W + n0 * K, nn, a0, a1, 0, K, K);
        else
            KNAME(bc_rows)(dA, dout + n0, N, 1, W + n0 * K, nn, 0, M, a0, a1, K);
        /* dW[n] += Σ_m dout[m, n] A[m]: rows n, steps m */
        KNAME(bc_rows)(dW + n0 * K, dout + n0, 1, N, A, M, share(nn, t, T, BMR),
                       share(nn, t + 1, T, BMR), 0, K, K);
    }
}

#undef NP
#undef TR_LO
#undef TR_HI
#undef TR_8
#undef TR_MASK
#undef TR_STAGE
#undef OMR
#undef ONV
#undef BNV
