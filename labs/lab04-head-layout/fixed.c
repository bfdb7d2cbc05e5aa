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

#include "lab.h"

/* The head alone on a random E[V, d] (O(1) values), square and V < d first. */
static void head_forward_is_H_times_E_transposed_at_several_shapes(void **state)
{
    (void)state;
    const size_t shapes[][2] = { { 64, 64 }, { 32, 64 }, { 256, 64 }, { 7, 3 }, { 3, 7 }, { 1, 5 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t V = shapes[i][0], d = shapes[i][1], B = 4;
        head_case hc;
        head_case_run(&hc, V, d, B, 11 + i);
        float *want = malloc(B * V * sizeof *want);
        assert_non_null(want);
        tl_fresh_logits(want, hc.H, hc.E0, B, d, V, 0.0f);   /* row v of E, as it was */
        char what[96];
        snprintf(what, sizeof what, "logits vs H·Eᵀ at V=%zu, d=%zu", V, d);
        assert_true(tl_close(what, hc.logits, want, B * V, 1e-4f, 1e-4f));
        snprintf(what, sizeof what, "E after the forward at V=%zu, d=%zu (it only reads E)", V, d);
        assert_true(tl_close(what, hc.E, hc.E0, V * d, 0.0f, 0.0f));
        head_case_free(&hc);
        free(want);
    }
}

/* Tying means one vector per token: the vector the lookup returns for token v
 * is the vector the head scores for token v. */
static void logit_of_token_v_is_h_dot_the_lookup_vector_of_v(size_t V, size_t d)
{
    tl_config c = tl_config_default();
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
    c.V_in = c.V_out = V;
    c.d = d;
    c.softcap = 0.0f;
    c.batch = 4;
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[4] = { 0, (int)(V / 2), (int)(V - 1), 1 % (int)V };
    float *logits = malloc(4 * V * sizeof *logits), *want = malloc(4 * V * sizeof *want);
    float *row = malloc(d * sizeof *row), *E0 = malloc(V * d * sizeof *E0);
    assert_true(logits && want && row && E0);
    memcpy(E0, m->E, V * d * sizeof *E0);
    assert_int_equal(tl_model_forward(m, ids, 4), TL_OK);
    assert_true(tl_close("E after the model's forward (it only reads E)", m->E, E0, V * d, 0.0f, 0.0f));
    memcpy(logits, m->logits, 4 * V * sizeof *logits);
    for (size_t v = 0; v < V; v++) {
        int id = (int)v;
        assert_int_equal(tl_embedding_forward(row, &id, m->E, 1, d, m->V), TL_OK);
        for (size_t b = 0; b < 4; b++)
            want[b * V + v] = (float)tl_fresh_logit(m->h + b * d, row, d, 0.0f);
    }
    char what[80];
    snprintf(what, sizeof what, "logits vs h·(lookup vector) at V=%zu, d=%zu", V, d);
    assert_true(tl_close(what, logits, want, 4 * V, 1e-5f, 1e-4f));
    free(logits); free(want); free(row); free(E0);
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
    assert_true(E_gradient_agrees_with_finite_differences());
}

/* The reference run ends at 1.736 (mean of the last 30 of 300 steps). */
static void default_training_reaches_the_reference_loss(void **state)
{
    (void)state;
    assert_true(tl_default_run_ends_near(TL_HEAD_REFERENCE, 1.736f, 0.11f));
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
