/* symptoms.c — lab 09's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there.
 *
 * These tests run without sanitizers, so they never run a forward after
 * growing: it would read the head's stale pointer, freed memory. They compare
 * pointers and sizes only; the probe shows the forward under AddressSanitizer
 * (make lab09). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lab.h"

/* Prediction 1: E and dE moved to new memory, the head did not follow: it
 * still holds the old pointers, which grow_vocab has just freed. */
static void after_growing_the_head_still_points_at_the_old_E_and_dE(void **state)
{
    (void)state;
    tl_model *m = grown_model();
    print_message("head.W %s m->E, head.dW %s m->dE\n",
                  m->head.W == m->E ? "==" : "!=", m->head.dW == m->dE ? "==" : "!=");
    assert_ptr_not_equal(m->head.W, m->E);
    assert_ptr_not_equal(m->head.dW, m->dE);
    tl_model_destroy(m);
}

/* Prediction 2: the model has 260 tokens, the head still scores 256 of them,
 * so the logits have no column for the four new tokens. */
static void after_growing_the_head_has_256_rows_while_the_model_has_260(void **state)
{
    (void)state;
    tl_model *m = grown_model();
    print_message("m->V = %zu, cfg.V_out = %zu, head.V = %zu\n", m->V, m->cfg.V_out, m->head.V);
    assert_int_equal(m->V, 260);
    assert_int_equal(m->cfg.V_out, 260);
    assert_int_equal(m->head.V, 256);
    tl_model_destroy(m);
}

/* Prediction 3: the loss names the disagreement: 256 logit columns for
 * targets from 260 classes. Called without a forward (the forward would read
 * freed memory first); the width check comes before any logit is read. */
static void loss_reports_256_logit_columns_for_260_classes(void **state)
{
    (void)state;
    tl_model *m = grown_model();
    int targets[2] = { 258, 259 };
    float loss;
    assert_int_equal(tl_model_loss(m, &loss, targets, 2), TL_ESHAPE);
    print_message("%s\n", tl_last_error());
    assert_true(tl_mentions(tl_last_error(), "tl_cross_entropy_forward"));
    assert_true(tl_mentions(tl_last_error(), "256 columns"));
    assert_true(tl_mentions(tl_last_error(), "260 classes"));
    tl_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(after_growing_the_head_still_points_at_the_old_E_and_dE),
        cmocka_unit_test(after_growing_the_head_has_256_rows_while_the_model_has_260),
        cmocka_unit_test(loss_reports_256_logit_columns_for_260_classes),
    };
    return tl_run_tests("lab09 symptoms", tests);
}
