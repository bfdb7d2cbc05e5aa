/* symptoms.c — lab 11's predictions, asserted on the broken workspace.
 * The head computes the right numbers, only slowly: the ratio is measured in
 * this run against a row-by-row kernel compiled into this program, never
 * against a clock. All tests pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lab.h"

enum { REPS = 5 };

/* Prediction 1: the numbers are right; a change of loop order changes only
 * the rounding, and here not even that. */
static void logits_equal_the_row_by_row_reference(void **state)
{
    (void)state;
    bench s;
    bench_logits(&s);
    double worst = tl_max_abs_diff(s.got, s.want, (size_t)BIG_B * BIG_V);
    print_message("V=%d d=%d: max |tl_head_forward - reference| = %.2g\n", BIG_V, BIG_D, worst);
    assert_true(tl_close("logits vs row-by-row reference", s.got, s.want, (size_t)BIG_B * BIG_V, 1e-5f, 1e-4f));
    bench_teardown(&s);
}

/* Prediction 2: with E far bigger than the caches, the workspace's head runs
 * at a small fraction of the reference's throughput. */
static void throughput_is_far_below_the_row_by_row_reference(void **state)
{
    (void)state;
    double gws, gref, ratio = throughput_ratio(REPS, &gws, &gref);
    print_message("V=%d d=%d B=%d: tl_head_forward %.2f GFLOP/s, reference %.2f GFLOP/s, ratio %.2f\n",
                  BIG_V, BIG_D, BIG_B, gws, gref, ratio);
    assert_true(ratio < 0.25);
}

/* Prediction 3: at the lab's default size training is healthy: same
 * numbers, so the same learning. */
static void default_model_still_learns(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
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
