/* symptoms.c — lab 08's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lab.h"

/* Prediction 1: the "tied" head holds a second V·d matrix and its gradient,
 * and tying saves nothing. */
static void head_holds_2Vd_floats_and_tying_saves_nothing(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t Vd = m->V * c.d;
    print_message("head holds %zu bytes (2*V*d floats = %zu), tying saves %zu bytes; W %s E\n",
                  tl_head_bytes_held(&m->head), 2 * Vd * sizeof(float),
                  tl_head_bytes_saved_by_tying(&m->head), m->head.W == m->E ? "==" : "!=");
    assert_int_equal(tl_head_bytes_held(&m->head), 2 * Vd * sizeof(float));
    assert_int_equal(tl_head_bytes_saved_by_tying(&m->head), 0);
    assert_ptr_not_equal(m->head.W, m->E);
    assert_ptr_not_equal(m->head.dW, m->dE);
    tl_model_destroy(m);
}

/* Prediction 2: the optimizer steps the copy as a parameter of its own, so
 * the count is V·d above a tied model's. */
static void param_count_is_Vd_above_the_tied_count(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t Vd = m->V * c.d, tied = tl_tied_param_count(&c, m->V);
    print_message("param count %zu; a tied model has %zu\n", tl_model_param_count(m), tied);
    assert_int_equal(tl_model_param_count(m), tied + Vd);
    tl_model_destroy(m);
}

/* Prediction 3: it looks tied at step 0 (the copy is exact), and one step
 * later head.W and E are two different matrices. */
static void head_W_equals_E_at_step_0_and_differs_after_one_step(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t n = m->V * c.d;
    double before = tl_max_abs_diff(m->head.W, m->E, n);
    float loss;
    assert_int_equal(tl_model_train_step(m, &loss, batch_ids, batch_targets, NB), TL_OK);
    double after = tl_max_abs_diff(m->head.W, m->E, n);
    print_message("max |head.W - E|: %.3g at step 0, %.3g after one Adam step (lr %g)\n",
                  before, after, (double)c.lr);
    assert_true(before == 0.0);
    assert_true(after > 0.5 * (double)c.lr);
    tl_model_destroy(m);
}

/* Prediction 4: the head's gradient goes into its own dW, so a row of E
 * whose token was never an input gets no gradient at all. */
static void rows_of_E_never_fed_as_input_get_no_gradient(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(backward_on_the_batch(m), TL_OK);
    size_t d = c.d, row = 4;   /* token 4 is a target here, never an input */
    double gE = 0.0, gW = 0.0;
    for (size_t k = 0; k < d; k++) {
        gE += fabs((double)m->dE[row * d + k]);
        gW += fabs((double)m->head.dW[row * d + k]);
    }
    print_message("row %zu (a target, never an input): sum |dE| = %.3g, sum |head.dW| = %.3g\n",
                  row, gE, gW);
    assert_true(gE == 0.0);
    assert_true(gW > 0.0);
    tl_model_destroy(m);
}

/* Prediction 5: training still works, because this is simply an untied
 * model with a head that starts equal to E. */
static void training_still_learns(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float losses[300];
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    double end = tl_mean(losses, 270, 300);
    print_message("loss %.3f at step 0, mean of the last 30 steps %.3f (ln 256 = %.3f)\n",
                  (double)losses[0], end, log(256.0));
    assert_true(fabs((double)losses[0] - log(256.0)) < 0.02 * log(256.0));
    assert_true(end < 0.4 * log(256.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(head_holds_2Vd_floats_and_tying_saves_nothing),
        cmocka_unit_test(param_count_is_Vd_above_the_tied_count),
        cmocka_unit_test(head_W_equals_E_at_step_0_and_differs_after_one_step),
        cmocka_unit_test(rows_of_E_never_fed_as_input_get_no_gradient),
        cmocka_unit_test(training_still_learns),
    };
    return tl_run_tests("lab08 symptoms", tests);
}
