/* bench.c — how fast the LM head runs, and how fast the tiny model trains.
 *
 * logits[B, V] = H[B, d] · Eᵀ forward, dH += dlogits · E and dE += dlogitsᵀ · H
 * backward, timed for: the library's reference loop, a cached transpose Eᵀ
 * (stored [d, V], as some engines keep it), the library's blocked kernels
 * (matmul.c, in each build this CPU runs: baseline SSE2, AVX2, AVX-512), and
 * OpenBLAS's cblas_sgemm, the yardstick: all on one thread, then the
 * library's build and OpenBLAS on every core (built with OpenMP: make bench
 * links an OpenMP copy of the library). Then the head fused with the
 * cross-entropy (tl_head_ce_fused) against the two unfused paths, time and
 * memory held. Every figure is the median of several runs; ratios are to
 * OpenBLAS at the same thread count in the same run. It prints figures and
 * never fails because a machine is slow.
 */
#include "tiedlab.h"
#include "isa_env.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* OpenBLAS's own calls, declared here too in case cblas.h is another vendor's. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

#ifndef TL_BENCH_FLAGS
#define TL_BENCH_FLAGS "?"
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Resident set size of this process in bytes (0 if /proc is not there). */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * 4096;
}

/* Ticks of all CPUs from /proc/stat: *steal is the time the hypervisor gave
 * this machine's CPUs to someone else. */
static double cpu_ticks(double *steal)
{
    unsigned long long x[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    *steal = 0.0;
    if (!f)
        return 0.0;
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &x[0], &x[1], &x[2],
                     &x[3], &x[4], &x[5], &x[6], &x[7]);
    fclose(f);
    if (got < 8)
        return 0.0;
    double total = 0.0;
    for (int i = 0; i < 8; i++)
        total += (double)x[i];
    *steal = (double)x[7];
    return total;
}

static void first_line_of(const char *path, const char *key, char *out, size_t n)
{
    char line[512];
    FILE *f = fopen(path, "r");
    snprintf(out, n, "?");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key))) {
            char *v = strchr(line, ':');
            v = v ? v + 1 : line;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t len = strcspn(v, "\n");
            if (len >= n)
                len = n - 1;
            memcpy(out, v, len);
            out[len] = 0;
            break;
        }
    fclose(f);
}

/* ---- threads and the FMA peak ------------------------------------------------ */

/* Cores the bench may use: OpenMP's count of processors (1 without OpenMP,
 * where the library's kernels run on one thread whatever is asked). */
static int cores(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

/* The library's kernels (OpenMP) and OpenBLAS (its own pthreads) on n threads. */
static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(n);
}

/* OpenBLAS's threads spin for about 2^28 cycles after a call before they
 * sleep, and take the cores from whatever runs next: on several threads,
 * each variant runs its runs in a block, and the bench waits this long after
 * OpenBLAS's. (OpenMP's threads spin for far less.) */
static void let_spinners_sleep(void)
{
    struct timespec t = { 0, 100 * 1000 * 1000 };
    nanosleep(&t, NULL);
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define BENCH_X86 1
typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
enum { CHAINS = 16 };   /* independent FMAs in flight: latency 4 × 2 units, twice over */

/* fma_loop16, fma_loop8: `iters` rounds of CHAINS independent FMAs on 16 (or
 * 8) lanes; returns the sum so that nothing is optimized away. fp-contract:
 * a·x + y is one FMA. One body, compiled for each width's instruction set. */
#define FMA_LOOP(name, vec, lanes, isa)                                      \
    __attribute__((target(isa), optimize("fp-contract=fast"), noinline))    \
    static float name(long iters, float x, float y)                          \
    {                                                                        \
        vec acc[CHAINS];                                                     \
        for (int c = 0; c < CHAINS; c++)                                     \
            acc[c] = (vec){ 0 } + (float)c;                                  \
        for (long i = 0; i < iters; i++)                                     \
            _Pragma("GCC unroll 16")                                         \
            for (int c = 0; c < CHAINS; c++)                                 \
                acc[c] = acc[c] * x + y;                                     \
        float s = 0.0f;                                                      \
        for (int c = 0; c < CHAINS; c++)                                     \
            for (int l = 0; l < (lanes); l++)                                \
                s += acc[c][l];                                              \
        return s;                                                            \
    }
FMA_LOOP(fma_loop16, v16, 16, "avx512f,fma")
FMA_LOOP(fma_loop8, v8, 8, "avx2,fma")
#endif

static volatile float fma_sink;
static volatile float fma_x = 0.999999f, fma_y = 1e-7f;

/* FP32 FMA peak in GFLOP/s of `threads` threads at once, measured: each runs
 * CHAINS independent FMA chains of the widest vectors the CPU has (*lanes);
 * best of 5 runs of about 10 ms (of 25 on several threads, after one to wake
 * them: on a shared machine a run in which every core is ours at once is the
 * rarer one, and any other run understates the peak). 0 when the CPU has no
 * FMA. */
static double fma_peak(int threads, int *lanes)
{
    *lanes = 0;
#ifdef BENCH_X86
    int w = __builtin_cpu_supports("avx512f") ? 16 : __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2") ? 8 : 0;
    *lanes = w;
    if (!w)
        return 0.0;
    const long iters = 2000000;
    double best = 0.0;
    for (int r = threads > 1 ? -1 : 0; r < (threads > 1 ? 25 : 5); r++) {
        double t0 = now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
        {
            float s = w == 16 ? fma_loop16(iters, fma_x, fma_y) : fma_loop8(iters, fma_x, fma_y);
            fma_sink = s;
        }
        double dt = now() - t0;
        double gf = (double)threads * (double)iters * CHAINS * w * 2.0 / dt * 1e-9;
        if (r >= 0)   /* r = -1 only wakes the threads */
            best = gf > best ? gf : best;
    }
    return best;
#else
    (void)threads;
    return 0.0;
#endif
}

/* ---- the variants --------------------------------------------------------- */

typedef struct {
    size_t B, d, V;
    float *H, *E, *Et, *logits;   /* [B, d] [V, d] [d, V] [B, V] */
    float *dlogits, *dH, *dE;     /* [B, V] [B, d] [V, d] */
    tl_head head;                 /* tied: borrows E and dE */
} problem;

enum { REF, TRANSPOSE, FAST_BASE, FAST_AVX2, FAST_AVX512, BLAS, NVARIANT };
enum { FWD, BWD };
static const char *const variant_name[NVARIANT] = {
    "reference loop", "cached transpose", "fast SSE2 (base)", "fast AVX2", "fast AVX-512", "OpenBLAS",
};
static const char *const variant_key[NVARIANT] = {
    "reference", "transpose", "fast_base", "fast_avx2", "fast_avx512", "openblas",
};

static tl_isa isa_of(int variant)
{
    return variant == FAST_AVX512 ? TL_ISA_AVX512 : variant == FAST_AVX2 ? TL_ISA_AVX2 : TL_ISA_BASE;
}

/* logits[b, v] = Σ_k H[b, k] Eᵀ[k, v]: the loop an engine writes once it keeps
 * Eᵀ [d, V], so that the innermost loop walks a row of Eᵀ. */
static void transpose_forward(problem *p)
{
    size_t B = p->B, d = p->d, V = p->V;
    for (size_t b = 0; b < B; b++) {
        float *out = p->logits + b * V;
        for (size_t v = 0; v < V; v++)
            out[v] = 0.0f;
        for (size_t k = 0; k < d; k++) {
            float h = p->H[b * d + k];
            const float *et = p->Et + k * V;
            for (size_t v = 0; v < V; v++)
                out[v] += h * et[v];
        }
    }
}

static void blas_forward(problem *p)
{
    int B = (int)p->B, d = (int)p->d, V = (int)p->V;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, V, d, 1.0f, p->H, d, p->E, d,
                0.0f, p->logits, V);
}

static void blas_backward(problem *p)
{
    int B = (int)p->B, d = (int)p->d, V = (int)p->V;
    /* dH[B, d] += dlogits[B, V] · E[V, d] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d, V, 1.0f, p->dlogits, V, p->E, d,
                1.0f, p->dH, d);
    /* dE[V, d] += dlogitsᵀ[V, B] · H[B, d] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, d, B, 1.0f, p->dlogits, V, p->H, d,
                1.0f, p->dE, d);
}

/* Runs one variant once; 0 when it ran. */
static int run(problem *p, int variant, int pass)
{
    tl_err err = TL_OK;
    switch (variant) {
    case REF:
        err = pass == FWD ? tl_head_forward(p->logits, p->H, &p->head, p->B, p->d, p->V)
                          : tl_head_backward(p->dH, &p->head, p->dlogits, p->H, p->B, p->d, p->V);
        break;
    case TRANSPOSE:
        if (pass == BWD)
            return -1;   /* the cache serves the forward only */
        transpose_forward(p);
        break;
    case FAST_BASE:
    case FAST_AVX2:
    case FAST_AVX512:
        if (tl_isa_use(isa_of(variant)))
            return -1;   /* this CPU cannot run that build */
        err = pass == FWD ? tl_head_forward_fast(p->logits, p->H, &p->head, p->B, p->d, p->V)
                          : tl_head_backward_fast(p->dH, &p->head, p->dlogits, p->H, p->B, p->d, p->V);
        break;
    case BLAS:
        if (pass == FWD)
            blas_forward(p);
        else
            blas_backward(p);
        break;
    default:
        return -1;
    }
    if (err) {
        fprintf(stderr, "bench: %s\n", tl_last_error());
        return -1;
    }
    return 0;
}

typedef struct {
    int ran;
    double gflops, ms;   /* median */
    int reps;
} timing;
enum { MAXREP = 9 };

/* Times every variant of one pass on one shape. One run of each decides how
 * many it gets: enough for about `budget` seconds, at least 3 and at most
 * MAXREP (a variant whose one run takes a second or more gets that run only). Then the variants take turns, one run each per round, so a
 * machine that slows down or speeds up midway moves them all alike, and the
 * ratios stay fair. *blas_rss gets what OpenBLAS's first run added to RSS. */
static void measure_all(timing *out, problem *p, int pass, double flop, double budget,
                        size_t *blas_rss)
{
    double times[NVARIANT][MAXREP];
    int reps[NVARIANT], n[NVARIANT], rounds = 0;
    for (int v = 0; v < NVARIANT; v++) {
        out[v] = (timing){ 0, 0.0, 0.0, 0 };
        n[v] = reps[v] = 0;
        size_t rss0 = v == BLAS ? rss_bytes() : 0;
        double t0 = now();
        if (run(p, v, pass))
            continue;
        double first = now() - t0;
        if (v == BLAS) {
            size_t rss1 = rss_bytes();
            *blas_rss = rss1 > rss0 ? rss1 - rss0 : 0;
        }
        if (first >= 1.0) {   /* the reference loop at the big shapes: one run is enough */
            times[v][n[v]++] = first;
            reps[v] = 1;
        } else {
            reps[v] = first > 0.0 ? (int)(budget / first) : MAXREP;
            reps[v] = reps[v] < 3 ? 3 : reps[v] > MAXREP ? MAXREP : reps[v];
        }
        rounds = reps[v] > rounds ? reps[v] : rounds;
    }
    for (int r = 0; r < rounds; r++)
        for (int v = 0; v < NVARIANT; v++)
            if (n[v] < reps[v]) {
                double t0 = now();
                run(p, v, pass);
                times[v][n[v]++] = now() - t0;
            }
    for (int v = 0; v < NVARIANT; v++) {
        if (!reps[v])
            continue;
        qsort(times[v], (size_t)n[v], sizeof times[v][0], cmp_double);
        double med = n[v] % 2 ? times[v][n[v] / 2] : 0.5 * (times[v][n[v] / 2 - 1] + times[v][n[v] / 2]);
        out[v].ran = 1;
        out[v].ms = 1e3 * med;
        out[v].gflops = med > 0.0 ? flop / med * 1e-9 : 0.0;
        out[v].reps = n[v];
    }
}

/* Times one variant's runs in a block, for the benches on several threads
 * (let_spinners_sleep): a first run decides how many, enough for about
 * `budget` seconds, at least 3 and at most MAXREP; a first run of half a
 * second or more counts, and may be the only one (the fused section's
 * biggest shapes). */
typedef int (*runner)(void *ctx, int variant, int pass);

static void time_block(timing *out, runner fn, void *ctx, int variant, int pass, double flop,
                       double budget)
{
    double times[MAXREP];
    int n = 0, reps;
    *out = (timing){ 0, 0.0, 0.0, 0 };
    double t0 = now();
    if (fn(ctx, variant, pass))
        return;
    double first = now() - t0;
    if (first >= 0.5) {
        times[n++] = first;
        reps = (int)(budget / first);
        reps = reps < 1 ? 1 : reps > MAXREP ? MAXREP : reps;
    } else {
        reps = first > 0.0 ? (int)(budget / first) : MAXREP;
        reps = reps < 3 ? 3 : reps > MAXREP ? MAXREP : reps;
    }
    while (n < reps) {
        t0 = now();
        fn(ctx, variant, pass);
        times[n++] = now() - t0;
    }
    qsort(times, (size_t)n, sizeof times[0], cmp_double);
    double med = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    *out = (timing){ 1, med > 0.0 ? flop / med * 1e-9 : 0.0, 1e3 * med, n };
}

static int run_kernel(void *p, int variant, int pass)
{
    return run(p, variant, pass);
}

static void fill(float *w, size_t n, uint64_t seed, float std)
{
    tl_rng r;
    tl_rng_seed(&r, seed);
    tl_init_normal(w, n, std, &r);
}

static void problem_free(problem *p)
{
    free(p->H);
    free(p->E);
    free(p->Et);
    free(p->logits);
    free(p->dlogits);
    free(p->dH);
    free(p->dE);
}

static int problem_make(problem *p, size_t B, size_t d, size_t V)
{
    *p = (problem){ .B = B, .d = d, .V = V };
    p->H = malloc(B * d * sizeof(float));
    p->E = malloc(V * d * sizeof(float));
    p->Et = malloc(d * V * sizeof(float));
    p->logits = malloc(B * V * sizeof(float));
    p->dlogits = malloc(B * V * sizeof(float));
    p->dH = calloc(B * d, sizeof(float));
    p->dE = calloc(V * d, sizeof(float));
    if (!p->H || !p->E || !p->Et || !p->logits || !p->dlogits || !p->dH || !p->dE) {
        problem_free(p);
        return -1;
    }
    fill(p->H, B * d, 1, 1.0f);
    fill(p->E, V * d, 2, TL_TIED_INIT_STD);
    fill(p->dlogits, B * V, 3, 1e-3f);   /* small: backward adds into dH and dE on every run */
    memset(p->logits, 0, B * V * sizeof(float));   /* touch every page before timing */
    memset(p->dH, 0, B * d * sizeof(float));
    memset(p->dE, 0, V * d * sizeof(float));
    for (size_t v = 0; v < V; v++)   /* the cached transpose: built once, never refreshed */
        for (size_t k = 0; k < d; k++)
            p->Et[k * V + v] = p->E[v * d + k];
    if (tl_head_tie(&p->head, p->E, p->dE, V, d)) {
        problem_free(p);
        return -1;
    }
    return 0;
}

/* ---- output ---------------------------------------------------------------- */

static void human_bytes(char *out, size_t n, double bytes)
{
    if (bytes < 1024.0)
        snprintf(out, n, "%.0f B", bytes);
    else if (bytes < 1024.0 * 1024.0)
        snprintf(out, n, "%.1f KiB", bytes / 1024.0);
    else
        snprintf(out, n, "%.1f MiB", bytes / (1024.0 * 1024.0));
}

static void cell(char *out, size_t n, const timing *t, const timing *blas)
{
    if (!t->ran)
        snprintf(out, n, "%8s %6s", "-", "");
    else if (blas->ran && blas->gflops > 0.0)
        snprintf(out, n, "%8.2f %5.2fx", t->gflops, t->gflops / blas->gflops);
    else
        snprintf(out, n, "%8.2f %6s", t->gflops, "");
}

static int mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *s = buf + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static void write_gnuplot(const char *dir, int nshape)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.gp", dir);
    FILE *gp = fopen(path, "w");
    if (!gp) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(gp,
            "# made by tools/bench.c: gnuplot %s/bench.gp draws %s/bench.png\n"
            "set terminal pngcairo noenhanced size 1500,1000 font ',10'\n"
            "set output '%s/bench.png'\n"
            "set datafile separator ','\n"
            "set datafile missing '-'\n"
            "set style data histograms\n"
            "set style histogram clustered gap 1\n"
            "set style fill solid 0.85 border -1\n"
            "set boxwidth 0.9\n"
            "set logscale y\n"
            "set yrange [0.1:*]\n"
            "set grid ytics mytics\n"
            "set ylabel 'GFLOP/s (log scale; median of runs)'\n"
            "set xtics rotate by -30 left\n"
            "set key outside right top vertical\n"
            "set bmargin 7\n"
            "set multiplot layout 2,1 title 'tiedlab LM head, one thread: logits = H·Eᵀ and its backward (%d shapes)'\n"
            "set title 'forward'\n"
            "plot for [c=2:7] '%s/bench-fwd.csv' using c:xtic(1) title columnheader(c) lc c-1\n"
            "set title 'backward (dH and dE; the cached transpose serves the forward only)'\n"
            "plot for [c=2:6] '%s/bench-bwd.csv' using c:xtic(1) title columnheader(c) lc (c == 2 ? 1 : c)\n"
            "unset multiplot\n",
            dir, dir, dir, nshape, dir, dir);
    fclose(gp);
}

/* ---- the head fused with the cross-entropy -------------------------------------- */

/* loss = mean CE(softcap(H·Eᵀ), targets), and (pass BWD) its gradients into dH
 * and the tied dE: fused (tl_head_ce_fused, logits never held whole), or
 * unfused, the logits made whole by OpenBLAS or by the library's kernels,
 * then capped, then the library's cross-entropy, then (BWD) the cap's
 * derivative and the products back. */
enum { F_FUSED, F_BLAS, F_FAST, NFUSED };
static const char *const fused_name[NFUSED] = { "fused", "OpenBLAS + CE", "fast kernels + CE" };
static const char *const fused_key[NFUSED] = { "fused", "unfused_openblas", "unfused_fast" };
static const float SOFTCAP = 30.0f;

typedef struct {
    size_t B, d, V;
    float *H, *E, *dE, *dH;             /* [B, d] [V, d] [V, d] [B, d] */
    float *logits, *probs, *dlogits;    /* [B, V] each: the unfused paths only */
    int *targets;                       /* [B] */
    tl_head head;                       /* tied: borrows E and dE */
    float loss;
    double t0, loss_s[MAXREP];          /* when a run started; when each knew its loss */
    int nloss;
} fproblem;

/* logits = c·tanh(logits / c), in place. One thread, as the library's CE:
 * OpenMP threads here would wait for cores that OpenBLAS's threads, just
 * done with the product, still spin on. */
static void softcap_forward(float *z, size_t n, float c)
{
    for (size_t i = 0; i < n; i++)
        z[i] = c * tanhf(z[i] / c);
}

/* dz *= 1 - tanh²(z/c), from the capped logits. */
static void softcap_backward(float *dz, const float *capped, size_t n, float c)
{
    for (size_t i = 0; i < n; i++) {
        float t = capped[i] / c;
        dz[i] *= 1.0f - t * t;
    }
}

static int run_fused(void *ctx, int variant, int pass)
{
    fproblem *f = ctx;
    size_t B = f->B, d = f->d, V = f->V, n = B * V;
    float c = SOFTCAP;
    tl_err err = TL_OK;
    f->t0 = now();
    if (variant == F_FUSED)
        err = tl_head_ce_fused(&f->loss, pass == BWD ? f->dH : NULL, &f->head, f->H, f->targets, B, d, V,
                               V, c);
    else if (!f->logits)
        return -1;   /* no memory for the whole logits */
    else {
        if (variant == F_BLAS)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)V, (int)d, 1.0f, f->H,
                        (int)d, f->E, (int)d, 0.0f, f->logits, (int)V);
        else
            err = tl_head_forward_fast(f->logits, f->H, &f->head, B, d, V);
        softcap_forward(f->logits, n, c);
        if (!err)
            err = tl_cross_entropy_forward(&f->loss, pass == BWD ? f->probs : NULL, f->logits,
                                           f->targets, B, V, V);
        if (f->nloss < MAXREP)
            f->loss_s[f->nloss++] = now() - f->t0;
        if (!err && pass == BWD) {
            memset(f->dlogits, 0, n * sizeof(float));
            err = tl_cross_entropy_backward(f->dlogits, f->probs, f->targets, B, V);
            softcap_backward(f->dlogits, f->logits, n, c);
            if (!err && variant == F_BLAS) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)d, (int)V, 1.0f,
                            f->dlogits, (int)V, f->E, (int)d, 1.0f, f->dH, (int)d);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)V, (int)d, (int)B, 1.0f,
                            f->dlogits, (int)V, f->H, (int)d, 1.0f, f->dE, (int)d);
            } else if (!err)
                err = tl_head_backward_fast(f->dH, &f->head, f->dlogits, f->H, B, d, V);
        }
    }
    if (err) {
        fprintf(stderr, "bench: %s\n", tl_last_error());
        return -1;
    }
    return 0;
}

static void fproblem_free(fproblem *f)
{
    free(f->H);
    free(f->E);
    free(f->dE);
    free(f->dH);
    free(f->logits);
    free(f->probs);
    free(f->dlogits);
    free(f->targets);
}

static void fill(float *w, size_t n, uint64_t seed, float std);

/* 0 when made; the unfused paths' B·V buffers may be missing (logits NULL). */
static int fproblem_make(fproblem *f, size_t B, size_t d, size_t V)
{
    *f = (fproblem){ .B = B, .d = d, .V = V };
    f->H = malloc(B * d * sizeof(float));
    f->E = malloc(V * d * sizeof(float));
    f->dE = calloc(V * d, sizeof(float));
    f->dH = calloc(B * d, sizeof(float));
    f->targets = malloc(B * sizeof(int));
    if (!f->H || !f->E || !f->dE || !f->dH || !f->targets || tl_head_tie(&f->head, f->E, f->dE, V, d)) {
        fproblem_free(f);
        return -1;
    }
    fill(f->H, B * d, 5, 1.0f);
    fill(f->E, V * d, 6, TL_TIED_INIT_STD);
    memset(f->dE, 0, V * d * sizeof(float));   /* touch every page before timing */
    memset(f->dH, 0, B * d * sizeof(float));
    tl_rng r;
    tl_rng_seed(&r, 7);
    for (size_t b = 0; b < B; b++)
        f->targets[b] = (int)(tl_rng_next(&r) % V);
    f->logits = malloc(B * V * sizeof(float));
    f->probs = malloc(B * V * sizeof(float));
    f->dlogits = malloc(B * V * sizeof(float));
    if (!f->logits || !f->probs || !f->dlogits) {
        free(f->logits);
        free(f->probs);
        free(f->dlogits);
        f->logits = f->probs = f->dlogits = NULL;
    } else {
        memset(f->logits, 0, B * V * sizeof(float));
        memset(f->probs, 0, B * V * sizeof(float));
        memset(f->dlogits, 0, B * V * sizeof(float));
    }
    return 0;
}

static void human_bytes(char *out, size_t n, double bytes);

/* The fused section: B × V at d = 768, on `threads` threads (the library's
 * build, and OpenBLAS in its path, alike). One row per (shape, variant, pass). */
static void bench_fused(FILE *csv, int quick, int threads, double peak)
{
    static const size_t Bs[] = { 64, 1024, 4096 }, Vs[] = { 256, 32000, 50257 };
    const size_t d = 768;
    set_threads(threads);
    printf("\nThe head fused with the cross-entropy (tl_head_ce_fused) against the unfused paths, d=%zu,\n"
           "softcap %g, random targets, %d thread(s); x is the speed relative to OpenBLAS + CE; held is the\n"
           "memory a path holds beyond H, E, dH, dE: fused, tl_head_ce_fused_bytes; unfused, the whole\n"
           "logits (loss only; probs are not kept) or logits, probs and dlogits (forward+backward),\n"
           "against B·V·4 bytes, one copy of the logits. The big shapes get one run (B=4096) or a few;\n"
           "from B=1024 on, an unfused path's loss time is the time to its loss within its\n"
           "forward+backward run (its CE then also writes the probs):\n",
           d, (double)SOFTCAP, threads);
    printf("%-20s %-18s %9s %7s %11s %7s %10s %10s %12s %8s\n", "shape", "path", "loss ms", "x",
           "loss+grad ms", "x", "GF/s", "%peak", "held", "/ B·V·4");
    for (size_t ib = 0; ib < 3; ib++)
        for (size_t iv = 0; iv < 3; iv++) {
            size_t B = Bs[ib], V = Vs[iv];
            if (quick && (B > 64 || V > 32000))   /* the smoke run: one small V, one large */
                continue;
            fproblem f;
            if (fproblem_make(&f, B, d, V)) {
                printf("B=%zu d=%zu V=%zu: out of memory, skipped\n", B, d, V);
                continue;
            }
            double flop = 2.0 * (double)B * (double)d * (double)V;
            /* the big shapes get a run or two: B=4096 takes seconds */
            double budget = quick ? 0.05 : B >= 4096 ? 0.5 : B >= 1024 ? 1.0 : 0.3;
            /* From B = 1024 on, an unfused path's loss is timed inside its forward+backward runs
             * (the time until it knows the loss): a run of its own would only repeat that part. */
            int split = B >= 1024;
            timing t[NFUSED][2];
            for (int v = 0; v < NFUSED; v++) {
                if (!(split && v != F_FUSED))
                    time_block(&t[v][FWD], run_fused, &f, v, FWD, flop, budget);
                f.nloss = 0;
                time_block(&t[v][BWD], run_fused, &f, v, BWD, 3.0 * flop, budget);
                if (split && v != F_FUSED && t[v][BWD].ran) {
                    int k = f.nloss - t[v][BWD].reps;   /* the timed runs, after the untimed first */
                    k = k < 0 ? 0 : k;
                    qsort(f.loss_s + k, (size_t)(f.nloss - k), sizeof f.loss_s[0], cmp_double);
                    double med = f.loss_s[k + (f.nloss - k) / 2];
                    t[v][FWD] = (timing){ 1, flop / med * 1e-9, 1e3 * med, f.nloss - k };
                }
                if (threads > 1 && v == F_BLAS)
                    let_spinners_sleep();
            }
            char shape[64];
            snprintf(shape, sizeof shape, "B=%zu d=%zu V=%zu", B, d, V);
            double logits_bytes = (double)B * (double)V * sizeof(float);
            for (int v = 0; v < NFUSED; v++) {
                size_t held[2];
                held[FWD] = v == F_FUSED ? tl_head_ce_fused_bytes(B, d, V) : B * V * sizeof(float);
                held[BWD] = v == F_FUSED ? tl_head_ce_fused_bytes(B, d, V) : 3 * B * V * sizeof(float);
                char cells[2][32], hb[32], ratio[2][16];
                for (int pass = FWD; pass <= BWD; pass++) {
                    const timing *x = &t[v][pass], *ob = &t[F_BLAS][pass];
                    snprintf(cells[pass], sizeof cells[pass], x->ran ? "%.2f" : "-", x->ms);
                    snprintf(ratio[pass], sizeof ratio[pass], x->ran && ob->ran ? "%.2fx" : "", ob->ms / x->ms);
                    if (!x->ran)
                        continue;
                    fprintf(csv, "%zu,%zu,%zu,%s,%s,%.3f,%.4f,%.4f,%d,%zu,,%d,%.6f\n", B, d, V, fused_key[v],
                            pass == FWD ? "forward" : "forward_backward", x->gflops,
                            ob->ran ? ob->ms / x->ms : 0.0, x->ms, x->reps, held[pass], threads,
                            peak > 0.0 ? x->gflops / peak : 0.0);
                }
                human_bytes(hb, sizeof hb, (double)held[BWD]);
                char frac[16], pk[16], gf[16];
                snprintf(frac, sizeof frac, "%.3g", (double)held[BWD] / logits_bytes);
                snprintf(gf, sizeof gf, t[v][BWD].ran ? "%.1f" : "-", t[v][BWD].gflops);
                snprintf(pk, sizeof pk, t[v][BWD].ran && peak > 0.0 ? "%.0f%%" : "-",
                         100.0 * t[v][BWD].gflops / peak);
                printf("%-20s %-18s %9s %7s %11s %7s %10s %10s %12s %8s\n", v == 0 ? shape : "",
                       fused_name[v], cells[FWD], ratio[FWD], cells[BWD], ratio[BWD], gf, pk, hb, frac);
            }
            fproblem_free(&f);
        }
    printf("(GF/s and %%peak: the forward+backward, counted as 6·B·d·V flops (the two products and\n"
           "the backward's two), whether or not a path makes the logits twice as the fused one does;\n"
           "held for the loss alone: the fused path's is the same, the unfused one's is B·V·4.)\n");
}

/* ---- training throughput ------------------------------------------------------ */

/* The loop tools/train.c runs, timed: tokens (batch × steps) per second. */
static void bench_training(FILE *csv)
{
    tl_config cfg = tl_config_default();
    tl_markov *mk = NULL;
    tl_model *m = NULL;
    int *ids = malloc(cfg.batch * sizeof *ids), *targets = malloc(cfg.batch * sizeof *targets);
    if (!ids || !targets || tl_markov_create(&mk, cfg.V_out, 4, 42) || tl_model_create(&m, &cfg)) {
        printf("training: cannot set up the model: %s\n", tl_last_error());
        goto out;
    }
    double best_tps[5];
    int runs = 5;
    size_t steps = cfg.steps;
    for (int r = 0; r < runs; r++) {
        tl_rng rng;
        tl_rng_seed(&rng, cfg.seed ^ 0x5eed);
        tl_markov_start(mk, ids, cfg.batch, &rng);
        double t0 = now();
        for (size_t s = 0; s < steps; s++) {
            float loss;
            tl_markov_step(mk, targets, ids, cfg.batch, &rng);
            if (tl_model_train_step(m, &loss, ids, targets, cfg.batch)) {
                printf("training: step %zu: %s\n", s, tl_last_error());
                goto out;
            }
            memcpy(ids, targets, cfg.batch * sizeof *ids);
        }
        double dt = now() - t0;
        best_tps[r] = dt > 0.0 ? (double)(steps * cfg.batch) / dt : 0.0;
    }
    qsort(best_tps, (size_t)runs, sizeof best_tps[0], cmp_double);
    double tps = best_tps[runs / 2];
    printf("\nTraining the tiny model (tl_config_default: V=%zu, d=%zu, hidden=%zu, batch=%zu, Adam), "
           "%zu steps, median of %d runs:\n  %.0f tokens/s (%.2f ms per step)\n",
           cfg.V_out, cfg.d, cfg.hidden, cfg.batch, steps, runs, tps,
           1e3 * (double)cfg.batch / tps);
    fprintf(csv, "%zu,%zu,%zu,tiny_model,train_step,,,%.4f,%d,0,%.1f,1,\n", cfg.batch, cfg.d,
            cfg.V_out, 1e3 * (double)cfg.batch / tps, runs, tps);
out:
    tl_model_destroy(m);
    tl_markov_destroy(mk);
    free(ids);
    free(targets);
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("usage: bench [--out DIR] [--quick]\n"
          "  --out DIR  where bench.csv, the chart's data and bench.gp go (default build/bench)\n"
          "  --quick    the small shapes only, for a smoke test\n", f);
}

enum { MAXSHAPE = 12 };

/* One CSV row of the kernel tables. */
static void csv_row(FILE *csv, size_t B, size_t d, size_t V, const char *key, int pass, const timing *x,
                    const timing *ob, size_t held, int threads, double peak)
{
    fprintf(csv, "%zu,%zu,%zu,%s,%s,%.3f,%.4f,%.4f,%d,%zu,,%d,%.6f\n", B, d, V, key,
            pass == FWD ? "forward" : "backward", x->gflops,
            ob->ran && ob->gflops > 0.0 ? x->gflops / ob->gflops : 0.0, x->ms, x->reps, held, threads,
            peak > 0.0 ? x->gflops / peak : 0.0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *dir = "build/bench";
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "bench: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (mkdir_p(dir)) {
        fprintf(stderr, "bench: cannot create %s: %s\n", dir, strerror(errno));
        return 2;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.csv", dir);
    FILE *csv = fopen(path, "w");
    snprintf(path, sizeof path, "%s/bench-fwd.csv", dir);
    FILE *pf = fopen(path, "w");
    snprintf(path, sizeof path, "%s/bench-bwd.csv", dir);
    FILE *pb = fopen(path, "w");
    if (!csv || !pf || !pb) {
        fprintf(stderr, "bench: cannot write in %s: %s\n", dir, strerror(errno));
        return 2;
    }

    int ncores = cores();
    set_threads(1);
    tl_isa_from_env();
    tl_isa lib_isa = tl_isa_current();   /* the widest, or TL_ISA's; the variants switch it */
    int lib_variant = lib_isa == TL_ISA_AVX512 ? FAST_AVX512 : lib_isa == TL_ISA_AVX2 ? FAST_AVX2 : FAST_BASE;
    double steal0, ticks0 = cpu_ticks(&steal0);
    char cpu[256], load[128];
    first_line_of("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    FILE *lf = fopen("/proc/loadavg", "r");
    snprintf(load, sizeof load, "?");
    if (lf) {
        if (!fgets(load, sizeof load, lf))
            snprintf(load, sizeof load, "?");
        char *sp = load;   /* keep the three load averages */
        for (int f = 0; f < 3 && sp; f++)
            sp = strchr(sp + 1, ' ');
        load[sp ? (size_t)(sp - load) : strcspn(load, "\n")] = 0;
        fclose(lf);
    }
    int lanes;
    double peak1 = fma_peak(1, &lanes), peakN = ncores > 1 ? fma_peak(ncores, &lanes) : peak1;
    printf("tiedlab bench: LM head on one thread, then on %d; GFLOP/s is the median of the runs, x is the ratio to\n"
           "OpenBLAS at the same thread count in this run, %%pk the fraction of the FMA peak\n", ncores);
    printf("  cpu       %s, %d core(s)\n", cpu, ncores);
    printf("  OpenBLAS  %s, core %s\n", openblas_get_config(), openblas_get_corename());
    printf("  fast      matmul.c's kernels, one build per instruction set (flags %s%s);\n"
           "            the build the library uses here: %s\n", TL_BENCH_FLAGS,
#ifdef _OPENMP
           ", OpenMP: the AVX2 and AVX-512 builds split their work among threads",
#else
           ", no OpenMP: one thread only",
#endif
           tl_isa_name(lib_isa));
    printf("  load      %s (/proc/loadavg: other work on this machine lowers every figure)\n", load);
    printf("  flop      forward 2·B·d·V, backward 4·B·d·V (dH and dE)\n");
    if (peak1 > 0.0)
        printf("  peak      FP32 FMA peak, measured here (not a nominal clock): %d independent chains of\n"
               "            %d-lane FMAs, best of 5 runs of 2e6 rounds: %.1f GFLOP/s on one core (= %d lanes x 2 flops\n"
               "            x %.2f G FMA/s: 2 FMA units at %.2f GHz, or 1 at %.2f), %.1f GFLOP/s on %d at once\n"
               "            (best of 25: a run with every core free at once)\n",
               CHAINS, lanes, peak1, lanes, peak1 / (2.0 * lanes), peak1 / (4.0 * lanes), peak1 / (2.0 * lanes),
               peakN, ncores);
    else
        printf("  peak      no FMA on this CPU: no %%pk\n");
    printf("  csv       %s/bench.csv, one row per (shape, variant, pass, threads): B,d,V,variant,pass,\n"
           "            gflops, ratio_to_openblas (the speed over OpenBLAS's on as many threads; for the\n"
           "            fused rows, over the OpenBLAS + CE path's), median_ms, reps, held_bytes (memory a\n"
           "            variant holds, below), tokens_per_s (training row), threads, peak_fraction\n"
           "            (gflops over the FMA peak of that many cores)\n\n", dir);

    fprintf(csv, "B,d,V,variant,pass,gflops,ratio_to_openblas,median_ms,reps,held_bytes,tokens_per_s,threads,peak_fraction\n");
    fprintf(pf, "shape");
    fprintf(pb, "shape");
    for (int v = 0; v < NVARIANT; v++) {
        fprintf(pf, ",%s", variant_name[v]);
        if (v != TRANSPOSE)   /* the transpose has no backward */
            fprintf(pb, ",%s", variant_name[v]);
    }
    fprintf(pf, "\n");
    fprintf(pb, "\n");

    static const size_t Bs[] = { 1, 64 }, ds[] = { 64, 768 }, Vs[] = { 256, 32000, 50257 };
    size_t blas_rss = 0;   /* what OpenBLAS's calls have added to this process */
    /* the library's build and OpenBLAS: [shape][0 = library, 1 = OpenBLAS][pass], 1 thread and all */
    timing one[MAXSHAPE][2][2], all[MAXSHAPE][2][2];
    char shapes[MAXSHAPE][64];
    int nshape = 0, below = 0;
    printf("%-22s %-20s %8s %6s %4s %8s %6s %4s %10s %10s %11s\n", "shape", "variant", "fwd GF/s", "x",
           "%pk", "bwd GF/s", "x", "%pk", "fwd ms", "bwd ms", "held");
    for (size_t ib = 0; ib < 2; ib++)
        for (size_t id = 0; id < 2; id++)
            for (size_t iv = 0; iv < 3; iv++) {
                size_t B = Bs[ib], d = ds[id], V = Vs[iv];
                if (quick && (d > 64 || V > 32000))
                    continue;
                problem p;
                if (problem_make(&p, B, d, V)) {
                    printf("B=%zu d=%zu V=%zu: out of memory, skipped\n", B, d, V);
                    continue;
                }
                double flop = 2.0 * (double)B * (double)d * (double)V;
                /* about 0.4 s of runs for each figure; the slow reference loop gets 1 at the big shapes */
                double budget = quick ? 0.05 : 0.4;
                timing t[NVARIANT][2], tf[NVARIANT], tb[NVARIANT];
                size_t held[NVARIANT] = { 0 }, grew_f = 0, grew_b = 0;
                set_threads(1);
                measure_all(tf, &p, FWD, flop, budget, &grew_f);
                measure_all(tb, &p, BWD, 2.0 * flop, budget, &grew_b);
                for (int v = 0; v < NVARIANT; v++) {
                    t[v][FWD] = tf[v];
                    t[v][BWD] = tb[v];
                }
                blas_rss += grew_f + grew_b;
                held[BLAS] = blas_rss;
                held[REF] = tl_head_bytes_held(&p.head);   /* tied: 0 */
                held[TRANSPOSE] = d * V * sizeof(float);   /* the copy Eᵀ */
                char *shape = shapes[nshape], fwd[32], bwd[32], hb[32], fms[16], bms[16], pkf[8], pkb[8];
                snprintf(shape, sizeof shapes[0], "B=%zu d=%zu V=%zu", B, d, V);
                fprintf(pf, "%s", shape);
                fprintf(pb, "%s", shape);
                for (int v = 0; v < NVARIANT; v++) {
                    if (!t[v][FWD].ran && !t[v][BWD].ran)
                        continue;
                    cell(fwd, sizeof fwd, &t[v][FWD], &t[BLAS][FWD]);
                    cell(bwd, sizeof bwd, &t[v][BWD], &t[BLAS][BWD]);
                    human_bytes(hb, sizeof hb, (double)held[v]);
                    snprintf(fms, sizeof fms, "%.3f", t[v][FWD].ms);
                    snprintf(bms, sizeof bms, "%.3f", t[v][BWD].ms);
                    snprintf(pkf, sizeof pkf, "%.0f", peak1 > 0.0 ? 100.0 * t[v][FWD].gflops / peak1 : 0.0);
                    snprintf(pkb, sizeof pkb, "%.0f", peak1 > 0.0 ? 100.0 * t[v][BWD].gflops / peak1 : 0.0);
                    if (!t[v][FWD].ran)
                        snprintf(fms, sizeof fms, "-"), snprintf(pkf, sizeof pkf, "-");
                    if (!t[v][BWD].ran)
                        snprintf(bms, sizeof bms, "-"), snprintf(pkb, sizeof pkb, "-");
                    printf("%-22s %-20s %s %4s %s %4s %10s %10s %11s%s\n", v == 0 ? shape : "",
                           variant_name[v], fwd, pkf, bwd, pkb, fms, bms, hb,
                           v == lib_variant ? "  <- library" : "");
                    for (int pass = FWD; pass <= BWD; pass++)
                        if (t[v][pass].ran)
                            csv_row(csv, B, d, V, variant_key[v], pass, &t[v][pass], &t[BLAS][pass], held[v], 1,
                                    peak1);
                }
                for (int v = 0; v < NVARIANT; v++) {
                    if (t[v][FWD].ran)
                        fprintf(pf, ",%.3f", t[v][FWD].gflops);
                    else
                        fprintf(pf, ",-");
                    if (t[v][BWD].ran)
                        fprintf(pb, ",%.3f", t[v][BWD].gflops);
                    else if (v != TRANSPOSE)
                        fprintf(pb, ",-");
                }
                fprintf(pf, "\n");
                fprintf(pb, "\n");
                for (int pass = FWD; pass <= BWD; pass++) {
                    one[nshape][0][pass] = t[lib_variant][pass];
                    one[nshape][1][pass] = t[BLAS][pass];
                    below += t[lib_variant][pass].ran && t[BLAS][pass].ran
                             && t[lib_variant][pass].gflops < t[BLAS][pass].gflops;
                }
                /* every core: the library's build and OpenBLAS, each in its own block */
                for (int pass = FWD; ncores > 1 && pass <= BWD; pass++) {
                    set_threads(ncores);
                    tl_isa_use(lib_isa);
                    time_block(&all[nshape][0][pass], run_kernel, &p, lib_variant, pass,
                               pass == FWD ? flop : 2.0 * flop, budget);
                    time_block(&all[nshape][1][pass], run_kernel, &p, BLAS, pass,
                               pass == FWD ? flop : 2.0 * flop, budget);
                    let_spinners_sleep();
                    for (int w = 0; w < 2; w++)
                        if (all[nshape][w][pass].ran)
                            csv_row(csv, B, d, V, variant_key[w ? BLAS : lib_variant], pass, &all[nshape][w][pass],
                                    &all[nshape][1][pass], w ? blas_rss : 0, ncores, peakN);
                }
                set_threads(1);
                nshape++;
                problem_free(&p);
            }
    printf("\nheld: memory a variant keeps beyond E, dE, H, dH, logits and dlogits. The tied\n"
           "reference and fast kernels hold none (they borrow stack while they run: the fast\n"
           "backward 3 KiB in its SSE2 build; the AVX2 and AVX-512 forward 12 and 28 KiB for a\n"
           "panel of E packed transposed when d <= 128); the cached transpose holds a second copy\n"
           "of E (d·V floats) that every optimizer step makes stale (lab 01); OpenBLAS's figure\n"
           "is how much its calls have grown this process so far (its work buffers).\n");
    printf("\nGoal (reported, not asserted): the library's build (%s) at >= 1.0x one-thread OpenBLAS,\n"
           "forward and backward, at every shape: %s", tl_isa_name(lib_isa),
           below ? "not met at" : "met.\n");
    for (int i = 0; i < nshape && below; i++)
        for (int pass = FWD; pass <= BWD; pass++)
            if (one[i][0][pass].ran && one[i][1][pass].ran && one[i][0][pass].gflops < one[i][1][pass].gflops)
                printf(" %s %s (%.2fx);", shapes[i], pass == FWD ? "forward" : "backward",
                       one[i][0][pass].gflops / one[i][1][pass].gflops);
    if (below)
        printf("\n");

    if (ncores > 1) {
        printf("\nOn %d threads: the library's build (%s) and OpenBLAS, each against itself on one thread\n"
               "(scaling) and against the other on %d (x); each runs its runs in a block, and OpenBLAS's\n"
               "are followed by 0.1 s for its spinning threads to sleep:\n", ncores, tl_isa_name(lib_isa),
               ncores);
        printf("%-22s %-5s %9s %9s %7s %9s %9s %7s %7s %5s\n", "shape", "pass", "fast 1t", "fast Nt",
               "scale", "BLAS 1t", "BLAS Nt", "scale", "x", "%pk");
        for (int i = 0; i < nshape; i++)
            for (int pass = FWD; pass <= BWD; pass++) {
                const timing *f1 = &one[i][0][pass], *fn = &all[i][0][pass];
                const timing *b1 = &one[i][1][pass], *bn = &all[i][1][pass];
                if (!f1->ran || !fn->ran || !b1->ran || !bn->ran)
                    continue;
                printf("%-22s %-5s %9.2f %9.2f %6.2fx %9.2f %9.2f %6.2fx %6.2fx %4.0f%%\n",
                       pass == FWD ? shapes[i] : "", pass == FWD ? "fwd" : "bwd", f1->gflops, fn->gflops,
                       fn->gflops / f1->gflops, b1->gflops, bn->gflops, bn->gflops / b1->gflops,
                       fn->gflops / bn->gflops, peakN > 0.0 ? 100.0 * fn->gflops / peakN : 0.0);
            }
        printf("(GF/s; %%pk: the library's on %d threads, over the FMA peak of %d cores)\n", ncores, ncores);
    } else
        printf("\nOne core%s: no thread scaling to report.\n",
#ifdef _OPENMP
               ""
#else
               " usable (built without OpenMP: make bench builds its own OpenMP copy)"
#endif
        );

    tl_isa_use(lib_isa);   /* the fused rows and training run on what the library would pick */
    bench_fused(csv, quick, ncores, ncores > 1 ? peakN : peak1);
    set_threads(1);
    bench_training(csv);
    double steal1, ticks1 = cpu_ticks(&steal1);
    if (ticks1 > ticks0)
        printf("\nSteal: the hypervisor gave %.1f%% of this machine's CPU time to others while the bench ran;\n"
               "load at the start: %s.\n", 100.0 * (steal1 - steal0) / (ticks1 - ticks0), load);
    fclose(pf);
    fclose(pb);
    fclose(csv);
    write_gnuplot(dir, nshape);
    printf("\nCSV: %s/bench.csv   chart data: %s/bench-fwd.csv, %s/bench-bwd.csv   script: %s/bench.gp\n",
           dir, dir, dir, dir);
    return 0;
}
