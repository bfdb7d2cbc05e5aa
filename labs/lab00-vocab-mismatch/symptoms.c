/* symptoms.c — lab 00's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "support.h"

/* Prediction 1: training stops at the first loss, in the call that compares
 * the two sizes, and the message names both. */
static void train_step_fails_in_cross_entropy_naming_512_and_256(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 1;
    float loss;
    assert_int_equal(tl_train_run(&c, 4, &loss, NULL, NULL), TL_ESHAPE);
    assert_true(tl_mentions(tl_last_error(), "tl_cross_entropy_forward"));
    assert_true(tl_mentions(tl_last_error(), "512"));
    assert_true(tl_mentions(tl_last_error(), "256"));
}

/* Prediction 2: E has twice the rows the data needs, and the parameter count
 * shows it. */
static void E_has_512_rows_for_256_token_data(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(m->V, 512);
    assert_int_equal(c.V_out, 256);
    assert_int_equal(m->head.V, 512);
    assert_int_equal(tl_model_param_count(m), tl_tied_param_count(&c, 512));
    tl_model_destroy(m);
}

/* Prediction 3: scored over all of the head's columns, the loss at init is
 * ln(512) = 6.238, not ln(256) = 5.545. */
static void loss_over_the_heads_columns_starts_at_ln_512(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[8] = { 0, 1, 2, 3, 250, 251, 252, 253 }, t[8] = { 1, 2, 3, 4, 251, 252, 253, 254 };
    assert_int_equal(tl_model_forward(m, ids, 8), TL_OK);
    float loss;
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, m->logits, t, 8, m->head.V, m->head.V), TL_OK);
    print_message("loss at init over %zu columns: %.3f (ln 512 = %.3f, ln 256 = %.3f)\n",
                  m->head.V, (double)loss, log(512.0), log(256.0));
    assert_true(fabs((double)loss - log(512.0)) < 0.02 * log(512.0));
    tl_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(train_step_fails_in_cross_entropy_naming_512_and_256),
        cmocka_unit_test(E_has_512_rows_for_256_token_data),
        cmocka_unit_test(loss_over_the_heads_columns_starts_at_ln_512),
    };
    return tl_run_tests("lab00 symptoms", tests);
}
