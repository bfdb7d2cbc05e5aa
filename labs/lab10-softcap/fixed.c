/* fixed.c — what must be true once lab 10 is fixed. All fail on the broken
 * workspace. The cap must still be there (a logit of 1000 comes out just
 * under 30), must be c·tanh(z/c) (a logit of 1 passes almost unchanged), and
 * the default model must learn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "lab.h"

/* The default model with its largest raw score h·E[v] scaled to `want` in
 * size (scale_largest_score): that score, and the logit it became. */
static void cap_one_score(double want, double *raw, float *logit)
{
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t best = 0;
    assert_int_equal(scale_largest_score(m, want, raw, &best), TL_OK);
    *logit = m->logits[best];
    tl_model_destroy(m);
}

static void default_cap_squashes_a_logit_of_1000_to_just_under_30(void **state)
{
    (void)state;
    double raw;
    float logit;
    cap_one_score(1000.0, &raw, &logit);
    print_message("raw score %.1f -> logit %.4f (want just under 30 in size: 30·tanh(1000/30))\n", raw,
                  (double)logit);
    assert_true(fabs(fabs(raw) - 1000.0) < 1.0);
    assert_true(fabsf(logit) > 29.9f && fabsf(logit) <= 30.0f);
    assert_true((logit > 0.0f) == (raw > 0.0));
}

static void default_cap_passes_a_logit_of_1_almost_unchanged(void **state)
{
    (void)state;
    double raw;
    float logit;
    cap_one_score(1.0, &raw, &logit);
    print_message("raw score %.4f -> logit %.4f (want 30·tanh(1/30) = %.4f)\n", raw, (double)logit,
                  30.0 * tanh(1.0 / 30.0));
    assert_true(fabs((double)logit - raw) < 1e-3);
}

static void default_model_learns_to_near_the_floor(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float first;
    double H, end;
    assert_int_equal(tl_train_ends(&c, 4, 30, &first, &end, &H), TL_OK);
    double start = (double)first;
    print_message("loss %.3f at init, %.3f at the end (mean of the last 30 steps); floor H %.3f\n",
                  start, end, H);
    assert_true(fabs(start - log(256.0)) < 0.02 * log(256.0));
    assert_true(end < 1.9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_cap_squashes_a_logit_of_1000_to_just_under_30),
        cmocka_unit_test(default_cap_passes_a_logit_of_1_almost_unchanged),
        cmocka_unit_test(default_model_learns_to_near_the_floor),
    };
    return tl_run_tests("lab10 fixed", tests);
}
