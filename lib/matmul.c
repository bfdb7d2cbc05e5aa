/* matmul.c — the blocked matrix products behind the fast head and the model's
 * MLP: out = A · Wᵀ forward, and both gradients backward.
 *
 * Plain C11 loops that GCC vectorizes (matmul_tiles.h), compiled once for the
 * baseline x86-64 (SSE2) and once each for AVX2+FMA and AVX-512, which add
 * their own outer-product kernels (matmul_outer.h, GCC's vector extension)
 * and, built with OpenMP (make OPENMP=1), split each product among threads.
 * The first call picks the widest this CPU runs, unless tl_isa_use chose
 * another. Only the order of the additions differs from a plain triple
 * loop, so results agree with it to float rounding; each build adds in its
 * own order, the same on any thread count, so the baseline gives the same
 * numbers on every x86-64 machine (the tools and the tests ask for it when
 * TL_ISA=base, as the lab engine sets).
 */
#include "tiedlab.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Cache blocks: rows of A (forward) and of W (backward) kept in L2 while the
 * other operand streams past them. */
enum { FWD_BLOCK_BYTES = 512 * 1024, BWD_BLOCK_BYTES = 128 * 1024 };
/* Steps of the baseline backward whose scale factors are spread over L lanes at
 * a time: NSTEP·BMR·L floats of stack (3 KiB). */
enum { NSTEP = 64 };
/* The AVX2 and AVX-512 forward packs panels of W (matmul_outer.h) when K is at
 * most KOUT_MAX (a panel of KOUT_MAX rows stays in L1) and A has at least
 * OUT_MIN_M rows to share each panel's packing. */
enum { KOUT_MAX = 128, OUT_MIN_M = 8 };

/* Rows of k floats that fit in `bytes`, rounded down to a multiple (at least one). */
static size_t rows_in(size_t bytes, size_t k, size_t multiple)
{
    size_t n = bytes / (k * sizeof(float));
    n = n / multiple * multiple;
    return n ? n : multiple;
}

/* out[i, j] += a_i · w_j over the last K - kv columns, fewer than L. */
static void dot_tail(float *out, size_t ldo, const float *a, const float *w, size_t K,
                     size_t kv, size_t mr, size_t nr)
{
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) {
            float s = out[i * ldo + j];
            for (size_t k = kv; k < K; k++)
                s += a[i * K + k] * w[j * K + k];
            out[i * ldo + j] = s;
        }
}

/* Baseline: 4-float registers, 16 of them. */
#define L 4
#define FMR 3
#define FNR 4
#define BMR 3
#define BNK 16
#define KNAME(f) f##_base
#include "matmul_tiles.h"
#undef L
#undef FMR
#undef FNR
#undef BMR
#undef BNK
#undef KNAME

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(TL_MATMUL_BASE_ONLY)
#define TL_X86_CLONES 1
/* Where share t of T starts in n items split in multiples of `align` (t = T: n). */
static size_t share(size_t n, size_t t, size_t T, size_t align)
{
    size_t units = (n + align - 1) / align, at = units * t / T * align;
    return t >= T || at > n ? n : at;
}

/* AVX2 + FMA: 8-float registers, 16 of them. */
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define L 8
#define FMR 3
#define FNR 4
#define BMR 3
#define BNK 32
#define KNAME(f) f##_avx2
#define OMR 4
#define ONV 3
#define BNV 4
#include "matmul_tiles.h"
#include "matmul_outer.h"
#undef L
#undef FMR
#undef FNR
#undef BMR
#undef BNK
#undef KNAME
#pragma GCC pop_options

/* AVX-512: 16-float registers, 32 of them. */
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#define L 16
#define FMR 4
#define FNR 6
#define BMR 6
#define BNK 64
#define KNAME(f) f##_avx512
#define OMR 8
#define ONV 3
#define BNV 4
#include "matmul_tiles.h"
#include "matmul_outer.h"
#undef L
#undef FMR
#undef FNR
#undef BMR
#undef BNK
#undef KNAME
#pragma GCC pop_options
#endif

static int isa_now = -1;   /* -1: not chosen yet */

static int isa_runs(tl_isa isa)
{
    switch (isa) {
    case TL_ISA_BASE:
        return 1;
#ifdef TL_X86_CLONES
    case TL_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case TL_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && isa_runs(TL_ISA_AVX2);
#endif
    default:
        return 0;
    }
}

tl_isa tl_isa_best(void)
{
    return isa_runs(TL_ISA_AVX512) ? TL_ISA_AVX512 : isa_runs(TL_ISA_AVX2) ? TL_ISA_AVX2 : TL_ISA_BASE;
}

tl_isa tl_isa_current(void)
{
    if (isa_now < 0)
        isa_now = (int)tl_isa_best();
    return (tl_isa)isa_now;
}

tl_err tl_isa_use(tl_isa isa)
{
    if (!isa_runs(isa))
        return tl_fail(TL_EINVAL, "tl_isa_use: this CPU (or build) cannot run %s kernels", tl_isa_name(isa));
    isa_now = (int)isa;
    return TL_OK;
}

const char *tl_isa_name(tl_isa isa)
{
    switch (isa) {
    case TL_ISA_BASE:   return "base";
    case TL_ISA_AVX2:   return "avx2";
    case TL_ISA_AVX512: return "avx512";
    }
    return "unknown";
}

#ifdef TL_X86_CLONES
/* Threads for a product of `fma` multiply-adds: OpenMP's count (OMP_NUM_THREADS,
 * omp_set_num_threads), but no fewer than about 2^20 for each (some 10 µs
 * of work: starting a team costs a few). Without OpenMP, 1. */
static size_t threads_for(double fma)
{
#ifdef _OPENMP
    double most = fma / 1048576.0;
    int T = omp_in_parallel() ? 1 : omp_get_max_threads();
    return most < 2.0 ? 1 : most < (double)T ? (size_t)most : (size_t)T;
#else
    (void)fma;
    return 1;
#endif
}
#endif

/* The baseline build runs on one thread, always: its numbers are the labs'.
 * The others split out's columns (forward) or dA's and dW's rows (backward)
 * into PARTS shares per thread, taken as threads come free (a thread the OS
 * holds back then delays its share, not a whole half); each element's sum is
 * the same in any share, so any thread count gives the same numbers. */
enum { PARTS = 4 };

void tl_matmul_forward(float *out, const float *A, const float *W, size_t M, size_t K, size_t N)
{
    tl_isa isa = tl_isa_current();
    if (isa == TL_ISA_BASE) {
        forward_base(out, A, W, M, K, N, 0, N);
        return;
    }
#ifdef TL_X86_CLONES
    size_t T = threads_for((double)M * (double)K * (double)N);
    size_t P = T > 1 ? PARTS * T : 1;
#ifdef _OPENMP
#pragma omp parallel for num_threads(T) if (T > 1) schedule(dynamic, 1)
#endif
    for (size_t t = 0; t < P; t++) {
        size_t n0 = share(N, t, P, 64), n1 = share(N, t + 1, P, 64);
        if (isa == TL_ISA_AVX512)
            forward_cols_avx512(out, A, W, M, K, N, n0, n1);
        else
            forward_cols_avx2(out, A, W, M, K, N, n0, n1);
    }
#endif
}

void tl_matmul_backward(float *dA, float *dW, const float *dout, const float *A,
                        const float *W, size_t M, size_t K, size_t N)
{
    tl_isa isa = tl_isa_current();
    if (isa == TL_ISA_BASE) {
        backward_base(dA, dW, dout, A, W, M, K, N);
        return;
    }
#ifdef TL_X86_CLONES
    size_t T = threads_for(2.0 * (double)M * (double)K * (double)N);
    size_t P = T > 1 ? PARTS * T : 1;
#ifdef _OPENMP
#pragma omp parallel for num_threads(T) if (T > 1) schedule(dynamic, 1)
#endif
    for (size_t t = 0; t < P; t++) {
        if (isa == TL_ISA_AVX512)
            backward_share_avx512(dA, dW, dout, A, W, M, K, N, t, P);
        else
            backward_share_avx2(dA, dW, dout, A, W, M, K, N, t, P);
    }
#endif
}
