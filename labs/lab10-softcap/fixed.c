/* fixed.c — what must be true once lab 10 is fixed. All fail on the broken
 * workspace. The answer is a range, not Gemma 2's 30: the default cap c
 * must be large enough that no capped model is kept more than CAP_EPS nats
 * above the floor (H + ln(1 + (V-K)/K·e^(-2c)) <= H + CAP_EPS, so
 * c >= cap_min), and still a cap: below ln(FLT_MAX) = 88.72, so a logit of
 * 1000 comes out just under c, where e^logit is still a finite float (no
 * cap at all is not a fix). It must be c·tanh(z/c) (a logit of 1 passes
 * almost unchanged), and the default model must learn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lab.h"

/* The default model with its largest raw score h·E[v] scaled to `want` in
 * size (scale_largest_score): that score, the logit it became, and the cap
 * the model runs with. */
static void cap_one_score(double want, double *raw, float *logit, double *cap)
{
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t best = 0;
    assert_int_equal(scale_largest_score(m, want, raw, &best), TL_OK);
    *logit = m->logits[best];
    *cap = (double)c.softcap;
    tl_model_destroy(m);
}

/* Any c in [cap_min, ln(FLT_MAX)) is right; the library's 30 is one of them. */
static void default_cap_is_large_enough_for_the_floor_and_still_a_cap(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    double cap = (double)c.softcap, V = (double)c.V_out, K = 4.0;
    double lo = cap_min(V, K, CAP_EPS), hi = log((double)FLT_MAX);
    print_message("default cap c = %g; right: %.2f <= c < %.2f (V = %.0f, K = %.0f); "
                  "best loss any model capped at c can reach: H + %.3g\n",
                  cap, lo, hi, V, K, cap > 0.0 ? capped_gap(cap, V, K) : 0.0);
    assert_true(cap > 0.0);                           /* 0 switches the cap off */
    assert_true(cap >= lo);                           /* loose enough to learn */
    assert_true(capped_gap(cap, V, K) <= CAP_EPS);
    assert_true(cap < hi);                            /* tight enough to be a cap */
}

/* The largest logit the model can output: just under c, so in the range
 * too (at least cap_min, below 88.72), whatever the raw score behind it. */
static void default_cap_squashes_a_logit_of_1000_to_just_under_c(void **state)
{
    (void)state;
    double raw, cap;
    float logit;
    cap_one_score(1000.0, &raw, &logit, &cap);
    double lo = cap_min((double)tl_config_default().V_out, 4.0, CAP_EPS), hi = log((double)FLT_MAX);
    print_message("raw score %.1f -> logit %.4f (want just under c = %g in size, c·tanh(1000/c), "
                  "with %.2f <= c < %.2f)\n", raw, (double)logit, cap, lo, hi);
    assert_true(fabs(fabs(raw) - 1000.0) < 1.0);
    assert_true(cap > 0.0);
    assert_true(fabs((double)logit) <= cap * (1.0 + 1e-6));
    assert_true(fabs((double)logit) > 0.999 * cap);
    assert_true((logit > 0.0f) == (raw > 0.0));
    assert_true(fabs((double)logit) >= 0.999 * lo && fabs((double)logit) < hi);
}

/* c·tanh(1/c) = 1 - 1/(3c²) + ...: within 1.1% of 1 for every c >= cap_min. */
static void default_cap_passes_a_logit_of_1_almost_unchanged(void **state)
{
    (void)state;
    double raw, cap;
    float logit;
    cap_one_score(1.0, &raw, &logit, &cap);
    double want = cap > 0.0 ? cap * tanh(raw / cap) : raw;
    print_message("raw score %.4f -> logit %.4f (want c·tanh(z/c) = %.4f for c = %g)\n", raw,
                  (double)logit, want, cap);
    assert_true(fabs((double)logit - want) < 1e-4);
    assert_true(fabs((double)logit - raw) < 0.02 * fabs(raw));
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
        cmocka_unit_test(default_cap_is_large_enough_for_the_floor_and_still_a_cap),
        cmocka_unit_test(default_cap_squashes_a_logit_of_1000_to_just_under_c),
        cmocka_unit_test(default_cap_passes_a_logit_of_1_almost_unchanged),
        cmocka_unit_test(default_model_learns_to_near_the_floor),
    };
    return tl_run_tests("lab10 fixed", tests);
}
