/* symptoms.c — lab 11's predictions, asserted on the broken workspace.
 * The head computes the right numbers, only slowly: the ratio is measured in
 * this run against a row-by-row kernel compiled into this program, never
 * against a clock. All tests pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "support.h"

/* GPT-2's vocabulary with a small width: E is 26 MB, one token at a time */
enum { BIG_V = 50257, BIG_D = 128, BIG_B = 1, REPS = 5 };

static double now(void)
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    float *E, *dE, *H, *got, *want;
    tl_head head;
} bench;

static void bench_setup(bench *s)
{
    size_t n = (size_t)BIG_V * BIG_D;
    s->E = malloc(n * sizeof(float));
    s->dE = calloc(n, sizeof(float));
    s->H = malloc((size_t)BIG_B * BIG_D * sizeof(float));
    s->got = malloc((size_t)BIG_B * BIG_V * sizeof(float));
    s->want = malloc((size_t)BIG_B * BIG_V * sizeof(float));
    assert_true(s->E && s->dE && s->H && s->got && s->want);
    tl_rng r;
    tl_rng_seed(&r, 11);
    tl_init_uniform(s->E, n, 0.1f, &r);
    tl_init_uniform(s->H, (size_t)BIG_B * BIG_D, 1.0f, &r);
    assert_int_equal(tl_head_tie(&s->head, s->E, s->dE, BIG_V, BIG_D), TL_OK);
}

static void bench_teardown(bench *s)
{
    tl_head_free(&s->head);
    free(s->E); free(s->dE); free(s->H); free(s->got); free(s->want);
}

/* Median over REPS alternating pairs of (reference time / workspace time):
 * the workspace's throughput as a fraction of the reference's. */
static double throughput_ratio(bench *s, double *gflops_ws, double *gflops_ref)
{
    double ratio[REPS], t_ws[REPS], t_ref[REPS];
    for (int i = 0; i < REPS; i++)
        for (int turn = 0; turn < 2; turn++) {   /* alternate who goes first */
            double t0 = now();
            if ((turn == 0) == (i % 2 == 0)) {
                assert_int_equal(tl_head_forward(s->got, s->H, &s->head, BIG_B, BIG_D, BIG_V), TL_OK);
                t_ws[i] = now() - t0;
            } else {
                reference(s->want, s->H, s->E, BIG_B, BIG_D, BIG_V);
                t_ref[i] = now() - t0;
            }
        }
    for (int i = 0; i < REPS; i++)
        ratio[i] = t_ref[i] / t_ws[i];
    qsort(ratio, REPS, sizeof *ratio, cmp_double);
    qsort(t_ws, REPS, sizeof *t_ws, cmp_double);
    qsort(t_ref, REPS, sizeof *t_ref, cmp_double);
    double flops = 2.0 * BIG_B * BIG_V * BIG_D;
    *gflops_ws = flops / t_ws[REPS / 2] / 1e9;
    *gflops_ref = flops / t_ref[REPS / 2] / 1e9;
    return ratio[REPS / 2];
}

/* Prediction 1: the numbers are right; a change of loop order changes only
 * the rounding, and here not even that. */
static void logits_equal_the_row_by_row_reference(void **state)
{
    (void)state;
    bench s;
    bench_setup(&s);
    assert_int_equal(tl_head_forward(s.got, s.H, &s.head, BIG_B, BIG_D, BIG_V), TL_OK);
    reference(s.want, s.H, s.E, BIG_B, BIG_D, BIG_V);
    double worst = 0.0;
    for (size_t i = 0; i < (size_t)BIG_B * BIG_V; i++)
        worst = fmax(worst, fabs((double)s.got[i] - (double)s.want[i]));
    print_message("V=%d d=%d: max |tl_head_forward - reference| = %.2g\n", BIG_V, BIG_D, worst);
    assert_true(tl_close("logits vs row-by-row reference", s.got, s.want, (size_t)BIG_B * BIG_V, 1e-5f, 1e-4f));
    bench_teardown(&s);
}

/* Prediction 2: with E far bigger than the caches, the workspace's head runs
 * at a small fraction of the reference's throughput. */
static void throughput_is_far_below_the_row_by_row_reference(void **state)
{
    (void)state;
    bench s;
    bench_setup(&s);
    double gws, gref, ratio = throughput_ratio(&s, &gws, &gref);
    print_message("V=%d d=%d B=%d: tl_head_forward %.2f GFLOP/s, reference %.2f GFLOP/s, ratio %.2f\n",
                  BIG_V, BIG_D, BIG_B, gws, gref, ratio);
    assert_true(ratio < 0.25);
    bench_teardown(&s);
}

/* Prediction 3: at the lab's default size training is healthy: same
 * numbers, so the same learning. */
static void default_model_still_learns(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 100;
    float losses[100];
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    double end = tl_mean(losses, 90, 100);
    print_message("loss %.3f at step 0, %.3f over steps 90-99\n", (double)losses[0], end);
    assert_true(fabs((double)losses[0] - log(256.0)) < 0.02 * log(256.0));
    assert_true(end < 0.6 * log(256.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logits_equal_the_row_by_row_reference),
        cmocka_unit_test(throughput_is_far_below_the_row_by_row_reference),
        cmocka_unit_test(default_model_still_learns),
    };
    return tl_run_tests("lab11 symptoms", tests);
}
