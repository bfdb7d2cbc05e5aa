/* lab.h — lab 11: what symptoms.c, fixed.c and probe.c share. A row-by-row
 * reference kernel compiled into each program, and the harness that times it
 * against the workspace's tl_head_forward: the two alternate, and each figure
 * is a median, so a busy machine slows both alike (never a clock). */
#ifndef LAB11_LAB_H
#define LAB11_LAB_H

#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

/* GPT-2's vocabulary with a small width: E is 26 MB, one token at a time */
enum { BIG_V = 50257, BIG_D = 128, BIG_B = 1 };

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* logits[b, v] = h_b · E[v]: row v of E is contiguous. */
static void reference_forward(float *logits, const float *H, const float *E,
                              size_t B, size_t d, size_t V)
{
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++) {
            const float *w = E + v * d;
            float acc = 0.0f;
            for (size_t k = 0; k < d; k++)
                acc += H[b * d + k] * w[k];
            logits[b * V + v] = acc;
        }
}

/* Called only through this pointer, so the compiler cannot specialise the
 * reference for the sizes used here: it is compiled like the library's kernel. */
static void (*volatile reference)(float *, const float *, const float *, size_t, size_t, size_t) =
    reference_forward;

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* reps runs of each kernel, alternating who goes first: t_ws[i] and t_ref[i]
 * get the seconds of the workspace's head and of the reference in run i.
 * Stops at the head's first error and returns it, or TL_OK. */
static inline tl_err time_alternating(const tl_head *head, const float *H, const float *E,
                                      float *got, float *want, size_t B, size_t d, size_t V,
                                      size_t reps, double *t_ws, double *t_ref)
{
    tl_err err = TL_OK;
    for (size_t i = 0; i < reps && !err; i++)
        for (int turn = 0; turn < 2 && !err; turn++) {   /* alternate who goes first */
            double t0 = now();
            if ((turn == 0) == (i % 2 == 0)) {
                err = tl_head_forward(got, H, head, B, d, V);
                t_ws[i] = now() - t0;
            } else {
                reference(want, H, E, B, d, V);
                t_ref[i] = now() - t0;
            }
        }
    return err;
}

/* Sorts the reps times of each kernel and returns the median of the ratios
 * t_ref[i] / t_ws[i] (into ratio[reps]): the workspace's throughput as a
 * fraction of the reference's. The median times are then t_ws[reps / 2]
 * and t_ref[reps / 2]. */
static inline double median_ratio(double *t_ws, double *t_ref, double *ratio, size_t reps)
{
    for (size_t i = 0; i < reps; i++)
        ratio[i] = t_ref[i] / t_ws[i];   /* throughput of yours / reference's */
    qsort(ratio, reps, sizeof *ratio, cmp_double);
    qsort(t_ws, reps, sizeof *t_ws, cmp_double);
    qsort(t_ref, reps, sizeof *t_ref, cmp_double);
    return ratio[reps / 2];
}

/* 1 when every logit got[b, v] is h_b · E[v] to within what float rounding
 * allows for a dot product of d terms added in any order (with or without
 * FMA, in tiles, in double): |got - z| <= gamma_d · sum_k |h_k · E[v, k]|
 * + u·|z|, with z computed in double, u = 2^-24 and gamma_d = d·u / (1 - d·u)
 * (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5). Order
 * of additions is not the point; reading the right row of the current E is.
 * Prints the worst logit otherwise. */
static inline int logits_within_float_rounding(const char *what, const float *got,
                                               const float *H, const float *E,
                                               size_t B, size_t d, size_t V)
{
    const double u = 0x1p-24, gamma = (double)d * u / (1.0 - (double)d * u);
    double worst = 0.0, worst_z = 0.0, worst_tol = 0.0;
    size_t worst_i = 0;
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++) {
            double z = 0.0, mag = 0.0;
            for (size_t k = 0; k < d; k++) {
                double p = (double)H[b * d + k] * (double)E[v * d + k];
                z += p;
                mag += fabs(p);
            }
            double tol = gamma * mag + u * fabs(z);
            double excess = fabs((double)got[b * V + v] - z) - tol;
            if (isnan(excess))
                excess = INFINITY;
            if (excess > worst) {
                worst = excess;
                worst_z = z;
                worst_tol = tol;
                worst_i = b * V + v;
            }
        }
    if (worst > 0.0)
        print_message("%s: worst logit [b=%zu, v=%zu] is %.9g, h·E[v] = %.9g, allowed +-%.3g\n",
                      what, worst_i / V, worst_i % V, (double)got[worst_i], worst_z, worst_tol);
    return worst == 0.0;
}

/* The tests' bench: a head tied to a random E[BIG_V, BIG_D] and the buffers
 * for both kernels' logits. */
typedef struct {
    float *E, *dE, *H, *got, *want;
    tl_head head;
} bench;

static inline void bench_setup(bench *s)
{
    size_t n = (size_t)BIG_V * BIG_D;
    s->E = tl_shared_floats(n);    /* the head keeps pointers to E and dE */
    s->dE = tl_shared_floats(n);
    s->H = malloc((size_t)BIG_B * BIG_D * sizeof(float));
    s->got = malloc((size_t)BIG_B * BIG_V * sizeof(float));
    s->want = malloc((size_t)BIG_B * BIG_V * sizeof(float));
    assert_true(s->E && s->dE && s->H && s->got && s->want);
    tl_input r;
    tl_input_seed(&r, 11);
    tl_input_fill_uniform(s->E, n, 0.1f, &r);
    tl_input_fill_uniform(s->H, (size_t)BIG_B * BIG_D, 1.0f, &r);
    assert_int_equal(tl_head_tie(&s->head, s->E, s->dE, BIG_V, BIG_D), TL_OK);
}

static inline void bench_teardown(bench *s)
{
    tl_head_free(&s->head);
    tl_shared_free(s->E); tl_shared_free(s->dE); free(s->H); free(s->got); free(s->want);
}

/* A fresh bench with both kernels' logits: s->got from the workspace's
 * tl_head_forward, s->want from the reference. bench_teardown frees it. */
static inline void bench_logits(bench *s)
{
    bench_setup(s);
    assert_int_equal(tl_head_forward(s->got, s->H, &s->head, BIG_B, BIG_D, BIG_V), TL_OK);
    reference(s->want, s->H, s->E, BIG_B, BIG_D, BIG_V);
}

enum { MAX_REPS = 16 };

/* On a fresh bench, the median over reps (<= MAX_REPS) alternating pairs of
 * (reference time / workspace time): the workspace's throughput as a
 * fraction of the reference's. Both kernels' median GFLOP/s go to *gflops_ws
 * and *gflops_ref. */
static inline double throughput_ratio(size_t reps, double *gflops_ws, double *gflops_ref)
{
    double ratio[MAX_REPS], t_ws[MAX_REPS], t_ref[MAX_REPS];
    assert_true(reps >= 1 && reps <= MAX_REPS);
    bench s;
    bench_setup(&s);
    assert_int_equal(time_alternating(&s.head, s.H, s.E, s.got, s.want, BIG_B, BIG_D, BIG_V,
                                      reps, t_ws, t_ref), TL_OK);
    bench_teardown(&s);
    double r = median_ratio(t_ws, t_ref, ratio, reps);
    double flops = 2.0 * BIG_B * BIG_V * BIG_D;
    *gflops_ws = flops / t_ws[reps / 2] / 1e9;
    *gflops_ref = flops / t_ref[reps / 2] / 1e9;
    return r;
}

#endif
