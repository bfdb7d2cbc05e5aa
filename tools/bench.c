/* bench.c — how fast the LM head runs, and how fast the tiny model trains.
 *
 * logits[B, V] = H[B, d] · Eᵀ forward, dH += dlogits · E and dE += dlogitsᵀ · H
 * backward, timed for: the library's reference loop, a cached transpose Eᵀ
 * (stored [d, V], as some engines keep it), the library's blocked kernels
 * (matmul.c, in each build this CPU runs: baseline SSE2, AVX2, AVX-512), and
 * OpenBLAS's cblas_sgemm on one thread, the yardstick.
 * Every figure is the median of several runs; ratios are to OpenBLAS in the
 * same run. It prints figures and never fails because a machine is slow.
 */
#include "tiedlab.h"
#include "isa_env.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
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
 * MAXREP (a variant whose one run takes a second or more gets 3 in all, that
 * run included). Then the variants take turns, one run each per round, so a
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
        if (first >= 1.0) {
            times[v][n[v]++] = first;
            reps[v] = 3;
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
    fprintf(csv, "%zu,%zu,%zu,tiny_model,train_step,,,%.4f,%d,0,%.1f\n", cfg.batch, cfg.d,
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

    openblas_set_num_threads(1);
    tl_isa_from_env();
    tl_isa lib_isa = tl_isa_current();   /* the widest, or TL_ISA's; the variants switch it */
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
    printf("tiedlab bench: LM head on one thread; GFLOP/s is the median of the runs, x is the ratio to OpenBLAS in this run\n");
    printf("  cpu       %s\n", cpu);
    printf("  OpenBLAS  %s, core %s, %d thread(s)\n", openblas_get_config(), openblas_get_corename(),
           openblas_get_num_threads());
    printf("  fast      matmul.c's kernels, one build per instruction set (flags %s);\n"
           "            the build the library uses here: %s\n", TL_BENCH_FLAGS,
           tl_isa_name(lib_isa));
    printf("  load      %s (/proc/loadavg: other work on this machine lowers every figure)\n", load);
    printf("  flop      forward 2·B·d·V, backward 4·B·d·V (dH and dE)\n\n");

    fprintf(csv, "B,d,V,variant,pass,gflops,ratio_to_openblas,median_ms,reps,held_bytes,tokens_per_s\n");
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
    double goal[NVARIANT][2];   /* [variant][fwd, bwd]: ratio to OpenBLAS at the goal's shape */
    for (int v = 0; v < NVARIANT; v++)
        goal[v][FWD] = goal[v][BWD] = -1.0;
    int nshape = 0;
    printf("%-22s %-20s %8s %6s %8s %6s %10s %10s %11s\n", "shape", "variant", "fwd GF/s", "x",
           "bwd GF/s", "x", "fwd ms", "bwd ms", "held");
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
                nshape++;
                double flop = 2.0 * (double)B * (double)d * (double)V;
                /* about 0.4 s of runs for each figure; the slow reference loop gets 3 */
                double budget = quick ? 0.05 : 0.4;
                timing t[NVARIANT][2], tf[NVARIANT], tb[NVARIANT];
                size_t held[NVARIANT] = { 0 }, grew_f = 0, grew_b = 0;
                measure_all(tf, &p, FWD, flop, budget, &grew_f);
                measure_all(tb, &p, BWD, 2.0 * flop, budget, &grew_b);
                for (int v = 0; v < NVARIANT; v++) {
                    t[v][FWD] = tf[v];
                    t[v][BWD] = tb[v];
                }
                blas_rss += grew_f + grew_b;
                held[BLAS] = blas_rss;
                if (B == 64 && d == 768 && V == 50257 && t[BLAS][FWD].ran && t[BLAS][BWD].ran)
                    for (int v = FAST_BASE; v <= FAST_AVX512; v++)
                        for (int pass = FWD; pass <= BWD; pass++)
                            if (t[v][pass].ran)
                                goal[v][pass] = t[v][pass].gflops / t[BLAS][pass].gflops;
                held[REF] = tl_head_bytes_held(&p.head);   /* tied: 0 */
                held[TRANSPOSE] = d * V * sizeof(float);   /* the copy Eᵀ */
                char shape[64], fwd[32], bwd[32], hb[32], fms[16], bms[16];
                snprintf(shape, sizeof shape, "B=%zu d=%zu V=%zu", B, d, V);
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
                    if (!t[v][FWD].ran)
                        snprintf(fms, sizeof fms, "-");
                    if (!t[v][BWD].ran)
                        snprintf(bms, sizeof bms, "-");
                    printf("%-22s %-20s %s %s %10s %10s %11s\n", v == 0 ? shape : "",
                           variant_name[v], fwd, bwd, fms, bms, hb);
                    for (int pass = FWD; pass <= BWD; pass++) {
                        const timing *x = &t[v][pass], *ob = &t[BLAS][pass];
                        if (!x->ran)
                            continue;
                        fprintf(csv, "%zu,%zu,%zu,%s,%s,%.3f,%.4f,%.4f,%d,%zu,\n", B, d, V,
                                variant_key[v], pass == FWD ? "forward" : "backward", x->gflops,
                                ob->ran && ob->gflops > 0.0 ? x->gflops / ob->gflops : 0.0,
                                x->ms, x->reps, held[v]);
                    }
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
                problem_free(&p);
            }
    printf("\nheld: memory a variant keeps beyond E, dE, H, dH, logits and dlogits. The tied\n"
           "reference and fast kernels hold none (the fast backward borrows 3 KiB of stack\n"
           "in its SSE2 build, 6 KiB in AVX2's, 24 KiB in AVX-512's, while it runs); the\n"
           "cached transpose holds a second copy of E (d·V floats) that every optimizer\n"
           "step makes stale (lab 01); OpenBLAS's figure is how much its calls have grown\n"
           "this process so far (its work buffers).\n");
    printf("\nGoal (reported, not asserted): the fast kernel at >= 50%% of one-thread OpenBLAS at\n"
           "B=64, d=768, V=50257.\n");
    int measured = 0;
    for (int v = FAST_BASE; v <= FAST_AVX512; v++) {
        if (goal[v][FWD] < 0.0 || goal[v][BWD] < 0.0)
            continue;
        measured = 1;
        printf("  %-20s forward %3.0f%%%s   backward %3.0f%%%s%s\n", variant_name[v],
               100.0 * goal[v][FWD], goal[v][FWD] >= 0.5 ? " (met)" : " (not met)",
               100.0 * goal[v][BWD], goal[v][BWD] >= 0.5 ? " (met)" : " (not met)",
               isa_of(v) == lib_isa ? "   <- the build the library uses here" : "");
    }
    if (!measured)
        printf("  not measured in this run\n");
    tl_isa_use(lib_isa);   /* training runs on what the library would pick */
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
