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

#include "support.h"

/* Runs the default model on a few ids with its final RMSNorm gain scaled so
 * that the largest raw score h·E[v] is exactly `want` (h scales with g2, and
 * nothing before it does). Returns the raw score and the logit it became. */
static void cap_one_score(double want, double *raw, float *logit)
{
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[4] = { 3, 70, 141, 250 };
    size_t B = 4, V = m->V, d = c.d, best = 0;
    double zbest = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(tl_model_forward(m, ids, B), TL_OK);
        zbest = 0.0;
        for (size_t i = 0; i < B * V; i++) {
            size_t b = i / V, v = i % V;
            double z = 0.0;
            for (size_t k = 0; k < d; k++)
                z += (double)m->h[b * d + k] * (double)m->E[v * d + k];
            if (fabs(z) > fabs(zbest)) {
                zbest = z;
                best = i;
            }
        }
        if (pass == 0)
            for (size_t k = 0; k < d; k++)
                m->g2[k] *= (float)(want / fabs(zbest));
    }
    *raw = zbest;
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
    float *losses = malloc(c.steps * sizeof *losses);
    double H;
    assert_non_null(losses);
    assert_int_equal(tl_train_run(&c, 4, losses, &H, NULL), TL_OK);
    double start = (double)losses[0], end = tl_mean(losses, c.steps - 30, c.steps);
    free(losses);
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
