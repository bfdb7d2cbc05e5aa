/* symptoms.c — lab 06's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "lab.h"

/* Prediction 1: one logit of 100 is enough: exp(100) does not fit in a float,
 * so the loss is Inf and the library reports it. */
static void cross_entropy_of_logits_100_0_0_0_is_inf(void **state)
{
    (void)state;
    float z[4] = { 100, 0, 0, 0 }, loss = 0.0f;
    int t[1] = { 0 };
    tl_err err = tl_cross_entropy_forward(&loss, NULL, z, t, 1, 4, 4);
    print_message("loss of {100, 0, 0, 0} with target 0: %f (exact: %.3g), error %s\n",
                  (double)loss, log1p(3.0 * exp(-100.0)), tl_strerror(err));
    assert_int_equal(err, TL_ENUMERIC);
    assert_true(!isfinite(loss));
}

/* Prediction 2: the softmax of the same row is not a distribution: every
 * probability is exp(z - Inf) = 0. */
static void softmax_of_logits_100_0_0_0_sums_to_0(void **state)
{
    (void)state;
    float z[4] = { 100, 0, 0, 0 }, p[4];
    tl_softmax_forward(p, z, 1, 4);
    double s = (double)p[0] + (double)p[1] + (double)p[2] + (double)p[3];
    print_message("softmax of {100, 0, 0, 0}: %g %g %g %g, sum %g\n",
                  (double)p[0], (double)p[1], (double)p[2], (double)p[3], s);
    assert_true(s < 0.5);
}

/* Prediction 3: the edge is ln(FLT_MAX) = 88.72: a logit of 88 still works,
 * 89 does not. */
static void loss_breaks_between_logit_88_and_89(void **state)
{
    (void)state;
    float z88[4] = { 88, 0, 0, 0 }, z89[4] = { 89, 0, 0, 0 }, l88 = 0.0f, l89 = 0.0f;
    int t[1] = { 1 };
    assert_int_equal(tl_cross_entropy_forward(&l88, NULL, z88, t, 1, 4, 4), TL_OK);
    assert_int_equal(tl_cross_entropy_forward(&l89, NULL, z89, t, 1, 4, 4), TL_ENUMERIC);
    print_message("target 1: logit 88 -> loss %.3f (exact 88.000); logit 89 -> loss %f; ln(FLT_MAX) = %.2f\n",
                  (double)l88, (double)l89, log(3.4028234663852886e38));
    assert_true(fabs((double)l88 - 88.0) < 0.01);
    assert_true(!isfinite(l89));
}

/* Prediction 4: softmax does not care about a shift, only this code does:
 * the same row minus its max, {0, -100, -100, -100}, gives the right loss. */
static void the_same_row_minus_its_max_is_fine(void **state)
{
    (void)state;
    float z[4] = { 0, -100, -100, -100 }, loss = -1.0f;
    int t[1] = { 1 };
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t, 1, 4, 4), TL_OK);
    print_message("loss of {0, -100, -100, -100} with target 1: %.3f (exact 100.000)\n", (double)loss);
    assert_true(fabs((double)loss - 100.0) < 0.01);
}

/* Prediction 5: without the cap, training first learns (the loss is near 0),
 * then a logit passes 88.7 and the loss becomes Inf. */
static void uncapped_training_learns_then_the_loss_becomes_inf(void **state)
{
    (void)state;
    tl_config c = uncapped();
    float losses[400];
    assert_int_equal(tl_train_run(&c, 1, losses, NULL, NULL), TL_ENUMERIC);
    size_t k = first_nonfinite(losses, c.steps);
    assert_true(k < c.steps);
    print_message("first non-finite loss at step %zu (%f); the step before: %.4f; mean of the 20 before: %.4f\n",
                  k, (double)losses[k], (double)losses[k - 1], tl_mean(losses, k - 20, k));
    assert_true(k > 100);
    assert_true(tl_mean(losses, k - 20, k) < 1.0);
}

/* Prediction 6: with the default cap of 30 no logit gets near 88.7, and the
 * same code trains without a single non-finite loss: the cap hid the bug. */
static void capped_training_stays_finite(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float losses[300];
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    for (size_t s = 0; s < c.steps; s++)
        assert_true(isfinite(losses[s]));
    print_message("softcap 30: 300 finite losses, mean of the last 30 %.3f\n", tl_mean(losses, 270, 300));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cross_entropy_of_logits_100_0_0_0_is_inf),
        cmocka_unit_test(softmax_of_logits_100_0_0_0_sums_to_0),
        cmocka_unit_test(loss_breaks_between_logit_88_and_89),
        cmocka_unit_test(the_same_row_minus_its_max_is_fine),
        cmocka_unit_test(uncapped_training_learns_then_the_loss_becomes_inf),
        cmocka_unit_test(capped_training_stays_finite),
    };
    return tl_run_tests("lab06 symptoms", tests);
}
