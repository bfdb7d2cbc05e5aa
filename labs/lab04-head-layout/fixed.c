/* fixed.c — what must be true once lab 04 is fixed. All fail on the broken
 * workspace. A backward rewritten to match the wrong forward passes the
 * gradient check and trains, but fails the layout tests; a fix that only
 * holds for a square E fails at V < d first; storing E transposed fails the
 * head test and the lookup test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* The head alone on a random E[V, d] (O(1) values), square and V < d first. */
static void head_forward_is_H_times_E_transposed_at_several_shapes(void **state)
{
    (void)state;
    const size_t shapes[][2] = { { 64, 64 }, { 32, 64 }, { 256, 64 }, { 7, 3 }, { 3, 7 }, { 1, 5 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t V = shapes[i][0], d = shapes[i][1], B = 4;
        float *E = malloc(V * d * sizeof *E), *dE = calloc(V * d, sizeof *dE);
        float *H = malloc(B * d * sizeof *H);
        float *logits = malloc(B * V * sizeof *logits), *want = malloc(B * V * sizeof *want);
        assert_true(E && dE && H && logits && want);
        tl_rng r;
        tl_rng_seed(&r, 11 + i);
        tl_init_normal(E, V * d, 1.0f, &r);
        tl_init_normal(H, B * d, 1.0f, &r);
        for (size_t b = 0; b < B; b++)
            for (size_t v = 0; v < V; v++) {
                double acc = 0;
                for (size_t k = 0; k < d; k++)
                    acc += (double)H[b * d + k] * (double)E[v * d + k];   /* row v of E */
                want[b * V + v] = (float)acc;
            }
        tl_head h;
        assert_int_equal(tl_head_tie(&h, E, dE, V, d), TL_OK);
        assert_int_equal(tl_head_forward(logits, H, &h, B, d, V), TL_OK);
        char what[64];
        snprintf(what, sizeof what, "logits vs H·Eᵀ at V=%zu, d=%zu", V, d);
        assert_true(tl_close(what, logits, want, B * V, 1e-4f, 1e-4f));
        free(E); free(dE); free(H); free(logits); free(want);
    }
}

/* Tying means one vector per token: the vector the lookup returns for token v
 * is the vector the head scores for token v. */
static void logit_of_token_v_is_h_dot_the_lookup_vector_of_v(size_t V, size_t d)
{
    tl_config c = tl_config_default();
    c.V_in = c.V_out = V;
    c.d = d;
    c.softcap = 0.0f;
    c.batch = 4;
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[4] = { 0, (int)(V / 2), (int)(V - 1), 1 % (int)V };
    assert_int_equal(tl_model_forward(m, ids, 4), TL_OK);
    float *logits = malloc(4 * V * sizeof *logits), *want = malloc(4 * V * sizeof *want);
    float *row = malloc(d * sizeof *row);
    assert_true(logits && want && row);
    memcpy(logits, m->logits, 4 * V * sizeof *logits);
    for (size_t v = 0; v < V; v++) {
        int id = (int)v;
        assert_int_equal(tl_embedding_forward(row, &id, m->E, 1, d, m->V), TL_OK);
        for (size_t b = 0; b < 4; b++) {
            double acc = 0;
            for (size_t k = 0; k < d; k++)
                acc += (double)m->h[b * d + k] * (double)row[k];
            want[b * V + v] = (float)acc;
        }
    }
    char what[80];
    snprintf(what, sizeof what, "logits vs h·(lookup vector) at V=%zu, d=%zu", V, d);
    assert_true(tl_close(what, logits, want, 4 * V, 1e-5f, 1e-4f));
    free(logits); free(want); free(row);
    tl_model_destroy(m);
}

static void model_logits_use_the_lookup_vectors_at_V64_d64(void **state)
{
    (void)state;
    logit_of_token_v_is_h_dot_the_lookup_vector_of_v(64, 64);
}

static void model_logits_use_the_lookup_vectors_at_V32_d64(void **state)
{
    (void)state;
    logit_of_token_v_is_h_dot_the_lookup_vector_of_v(32, 64);
}

static void model_logits_use_the_lookup_vectors_at_V256_d64(void **state)
{
    (void)state;
    logit_of_token_v_is_h_dot_the_lookup_vector_of_v(256, 64);
}

static void E_gradient_matches_finite_differences(void **state)
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
    assert_true(tl_gradcheck_model("dE", m, m->E, dE, 12 * 6, 12 * 6, ids, t, 5));
    tl_model_destroy(m);
}

/* The reference run ends at 1.736 (mean of the last 30 of 300 steps). */
static void default_training_reaches_the_reference_loss(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float *losses = malloc(c.steps * sizeof *losses);
    assert_non_null(losses);
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    float end = (float)tl_mean(losses, c.steps - 30, c.steps), reference = 1.736f;
    print_message("loss over the last 30 steps: %.3f (reference 1.736)\n", (double)end);
    assert_true(tl_close("mean loss over the last 30 steps", &end, &reference, 1, 0.11f, 0.0f));
    free(losses);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(head_forward_is_H_times_E_transposed_at_several_shapes),
        cmocka_unit_test(model_logits_use_the_lookup_vectors_at_V64_d64),
        cmocka_unit_test(model_logits_use_the_lookup_vectors_at_V32_d64),
        cmocka_unit_test(model_logits_use_the_lookup_vectors_at_V256_d64),
        cmocka_unit_test(E_gradient_matches_finite_differences),
        cmocka_unit_test(default_training_reaches_the_reference_loss),
    };
    return tl_run_tests("lab04 fixed", tests);
}
