/* fixed.c — what must be true once lab 01 is fixed: the tied head scores
 * with E as it is at the moment of the forward. A copy refreshed in the
 * backward (one step late) or every N forwards still fails the first two. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Ten training steps, as tl_train_run takes them; after each, the logits of
 * that step's forward must be h·Eᵀ with E as it was when the step began. */
static void every_training_forward_scores_with_the_current_E(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
    c.softcap = 0.0f;   /* compare the raw h·Eᵀ */
    size_t B = c.batch, d = c.d, V = c.V_out;
    tl_trainer t;
    assert_int_equal(tl_trainer_start(&t, &c, 4), TL_OK);
    float *E_then = malloc(V * d * sizeof *E_then);
    assert_non_null(E_then);
    for (int step = 0; step < 10; step++) {
        memcpy(E_then, t.m->E, V * d * sizeof *E_then);
        float loss;
        assert_int_equal(tl_trainer_step(&t, &loss), TL_OK);
        double diff = tl_fresh_logits_max_diff(t.m->logits, t.m->h, E_then, B, d, V, 0.0f);
        if (diff > 1e-4)
            fail_msg("step %d: max |logits - h·Eᵀ| = %.3g: the forward did not read the current E", step, diff);
    }
    free(E_then);
    tl_trainer_end(&t, NULL);
}

/* Whoever changes E (an optimizer, a checkpoint load, a test), the tied head
 * sees it at its very next forward. */
static void tied_head_sees_each_edit_of_E_at_its_next_forward(void **state)
{
    (void)state;
    enum { B = 2, D = 8, V = 16 };
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    float E_now[V * D], H[B * D], logits[B * V];
    tl_input r;
    tl_input_seed(&r, 7);
    tl_input_fill(E, V * D, 1.0f, &r);
    tl_input_fill(H, B * D, 1.0f, &r);
    tl_head h;
    assert_int_equal(tl_head_tie(&h, E, dE, V, D), TL_OK);
    for (int edit = 0; edit < 4; edit++) {
        memcpy(E_now, E, sizeof E_now);
        assert_int_equal(tl_head_forward(logits, H, &h, B, D, V), TL_OK);
        double diff = tl_fresh_logits_max_diff(logits, H, E_now, B, D, V, 0.0f);
        if (diff > 1e-5)
            fail_msg("after edit %d: max |logits - H·Eᵀ| = %.3g", edit, diff);
        if (memcmp(E, E_now, sizeof E_now))
            fail_msg("after edit %d: the forward changed E (a head reads E, never writes it)", edit);
        for (size_t i = 0; i < V * D; i++)   /* what an optimizer step would do */
            E[i] += 0.5f * tl_input_normal(&r);
    }
    tl_head_free(&h);
    tl_shared_free(E);
    tl_shared_free(dE);
}

/* The default run learns like the reference: 1.74 over its last 30 steps. */
static void default_run_ends_near_the_reference_loss(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
    double end;
    assert_int_equal(tl_train_ends(&c, 4, 30, NULL, &end, NULL), TL_OK);
    print_message("mean loss over the last 30 steps: %.3f (reference 1.74)\n", end);
    assert_true(fabs(end - 1.74) < 0.25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_training_forward_scores_with_the_current_E),
        cmocka_unit_test(tied_head_sees_each_edit_of_E_at_its_next_forward),
        cmocka_unit_test(default_run_ends_near_the_reference_loss),
    };
    return tl_run_tests("lab01 fixed", tests);
}
