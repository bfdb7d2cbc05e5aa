/* symptoms.c — lab 04's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* max |logits - H·Eᵀ| of a fresh tied model of shape V x d (soft-cap off),
 * with E read as the lookup reads it: row v is E[v*d .. v*d + d). */
static double max_diff_from_H_Et(size_t V, size_t d)
{
    tl_config c = tl_config_default();
    c.V_in = c.V_out = V;
    c.d = d;
    c.softcap = 0.0f;
    enum { B = 16 };
    c.batch = B;
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[B];
    for (size_t b = 0; b < B; b++)
        ids[b] = (int)((b * 37 + 5) % V);
    assert_int_equal(tl_model_forward(m, ids, B), TL_OK);   /* no error, no crash */
    double worst = 0;
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++) {
            double want = 0;
            for (size_t k = 0; k < d; k++)
                want += (double)m->h[b * d + k] * (double)m->E[v * d + k];
            worst = fmax(worst, fabs((double)m->logits[b * V + v] - want));
        }
    tl_model_destroy(m);
    return worst;
}

/* Prediction 1: at the model's shape the logits are not H·Eᵀ. Measured 0.915,
 * larger than the biggest true logit (0.697). */
static void logits_differ_from_H_Et_at_V256_d64(void **state)
{
    (void)state;
    double diff = max_diff_from_H_Et(256, 64);
    print_message("V=256, d=64: max |logits - H·Eᵀ| = %.4f\n", diff);
    assert_true(diff > 0.3);
}

/* Prediction 2: a square E does not hide it: W[k*V + v] then reads Eᵀ, which
 * is not E. Measured 0.759. */
static void logits_differ_from_H_Et_when_V_equals_d(void **state)
{
    (void)state;
    double diff = max_diff_from_H_Et(64, 64);
    print_message("V=64, d=64: max |logits - H·Eᵀ| = %.4f\n", diff);
    assert_true(diff > 0.3);
}

/* Prediction 3: no shape check and no error catch it: every index k*V + v
 * stays in [0, V·d), whatever V and d are, so the head returns TL_OK with
 * wrong logits at every shape (here on a random E with O(1) entries). */
static void head_forward_returns_ok_with_wrong_logits_at_every_shape(void **state)
{
    (void)state;
    const size_t shapes[][2] = { { 256, 64 }, { 64, 64 }, { 32, 64 }, { 7, 3 }, { 3, 7 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t V = shapes[i][0], d = shapes[i][1], B = 4;
        float *E = malloc(V * d * sizeof *E), *dE = calloc(V * d, sizeof *dE);
        float *H = malloc(B * d * sizeof *H), *logits = malloc(B * V * sizeof *logits);
        assert_true(E && dE && H && logits);
        tl_rng r;
        tl_rng_seed(&r, 7);
        tl_init_normal(E, V * d, 1.0f, &r);
        tl_init_normal(H, B * d, 1.0f, &r);
        tl_head h;
        assert_int_equal(tl_head_tie(&h, E, dE, V, d), TL_OK);
        assert_int_equal(tl_head_forward(logits, H, &h, B, d, V), TL_OK);
        double worst = 0;
        for (size_t b = 0; b < B; b++)
            for (size_t v = 0; v < V; v++) {
                double want = 0;
                for (size_t k = 0; k < d; k++)
                    want += (double)H[b * d + k] * (double)E[v * d + k];
                worst = fmax(worst, fabs((double)logits[b * V + v] - want));
            }
        print_message("V=%3zu, d=%2zu: TL_OK, max |logits - H·Eᵀ| = %.3f\n", V, d, worst);
        assert_true(worst > 0.1);
        free(E); free(dE); free(H); free(logits);
    }
}

/* Prediction 4: the backward is still the gradient of H·Eᵀ, so it is not the
 * gradient of what the forward computes: the gradient check of E fails. */
static void E_gradient_disagrees_with_finite_differences(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.V_in = c.V_out = 12;
    c.d = 6;
    c.hidden = 8;
    c.batch = 5;
    c.init_std = 0.5f;
    c.seed = 3;
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[5] = { 3, 7, 3, 11, 0 }, t[5] = { 7, 5, 3, 9, 11 };
    float loss, dE[12 * 6];
    tl_optim_zero_grad(m->opt);
    assert_int_equal(tl_model_forward(m, ids, 5), TL_OK);
    assert_int_equal(tl_model_loss(m, &loss, t, 5), TL_OK);
    assert_int_equal(tl_model_backward(m, t, 5), TL_OK);
    memcpy(dE, m->dE, sizeof dE);
    print_message("expect a 'worst element' line for dE below: that is the symptom\n");
    assert_false(tl_gradcheck_model("dE", m, m->E, dE, 12 * 6, 12 * 6, ids, t, 5));
    tl_model_destroy(m);
}

/* Prediction 5: training never gets below ln 256 for long and climbs. Measured:
 * lowest 5.524 at step 8, mean of the last 30 steps 33.96. */
static void training_climbs_far_above_ln_V(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float *losses = malloc(c.steps * sizeof *losses);
    assert_non_null(losses);
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    double end = tl_mean(losses, c.steps - 30, c.steps);
    print_message("loss %.3f at step 0, %.3f over the last 30 steps (ln 256 = %.3f)\n",
                  (double)losses[0], end, log(256.0));
    assert_true(end > 3.0 * log(256.0));
    free(losses);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logits_differ_from_H_Et_at_V256_d64),
        cmocka_unit_test(logits_differ_from_H_Et_when_V_equals_d),
        cmocka_unit_test(head_forward_returns_ok_with_wrong_logits_at_every_shape),
        cmocka_unit_test(E_gradient_disagrees_with_finite_differences),
        cmocka_unit_test(training_climbs_far_above_ln_V),
    };
    return tl_run_tests("lab04 symptoms", tests);
}
