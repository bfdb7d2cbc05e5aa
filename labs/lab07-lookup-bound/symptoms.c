/* symptoms.c — lab 07's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there.
 *
 * These tests run without sanitizers, so they never read past a real table:
 * each table is allocated with one row more than the V it is passed with, and
 * that extra row stands for "the memory just past E". Reading past the model's
 * own E is the probe's job, under AddressSanitizer (make lab07). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "support.h"

enum { V = 256, D = 64 };

/* E[V + 1, D]: rows 0..V-1 are the table, row V the memory just past it. */
static float *table_with_a_row_past_the_end(float past_value)
{
    float *E = malloc((size_t)(V + 1) * D * sizeof *E);
    assert_non_null(E);
    for (size_t i = 0; i < (size_t)V * D; i++)
        E[i] = 0.01f * (float)(i % 97);
    for (size_t k = 0; k < D; k++)
        E[(size_t)V * D + k] = past_value;
    return E;
}

/* Prediction 1: id == V is accepted, and the "row" it copies is whatever lies
 * just past the table. */
static void forward_accepts_id_V_and_copies_the_row_past_the_table(void **state)
{
    (void)state;
    float *E = table_with_a_row_past_the_end(-7.0f), out[2 * D];
    int ids[2] = { V - 1, V };
    assert_int_equal(tl_embedding_forward(out, ids, E, 2, D, V), TL_OK);
    assert_true(tl_close("row for id V", out + D, E + (size_t)V * D, D, 0, 0));
    print_message("tl_embedding_forward(id %d, V=%d) returned TL_OK; out[0] = %.1f, "
                  "the first float past the table\n", V, V, (double)out[D]);
    free(E);
}

/* Prediction 2: backward accepts it too, and adds its gradient into the row
 * past dE: a write out of bounds, not just a read. */
static void backward_accepts_id_V_and_adds_into_the_row_past_dE(void **state)
{
    (void)state;
    float *dE = table_with_a_row_past_the_end(0.0f), dout[D];
    for (size_t k = 0; k < D; k++)
        dout[k] = 1.0f;
    int ids[1] = { V };
    assert_int_equal(tl_embedding_backward(dE, dout, ids, 1, D, V), TL_OK);
    float sum = 0.0f;
    for (size_t k = 0; k < D; k++)
        sum += dE[(size_t)V * D + k];
    print_message("tl_embedding_backward(id %d, V=%d) returned TL_OK; it added %.0f into the "
                  "%d floats past dE\n", V, V, (double)sum, D);
    assert_true(sum == (float)D);
    free(dE);
}

/* Prediction 3: the check is not missing, it is off by one: V + 1 and -1 are
 * still refused, with the message naming the id and V. */
static void id_V_plus_1_is_still_refused_naming_id_and_V(void **state)
{
    (void)state;
    float *E = table_with_a_row_past_the_end(0.0f), out[D];
    int ids[1] = { V + 1 }, neg[1] = { -1 };
    assert_int_equal(tl_embedding_forward(out, ids, E, 1, D, V), TL_ERANGE);
    assert_true(tl_mentions(tl_last_error(), "token id 257"));
    assert_true(tl_mentions(tl_last_error(), "V=256"));
    print_message("id %d: %s\n", V + 1, tl_last_error());
    assert_int_equal(tl_embedding_forward(out, neg, E, 1, D, V), TL_ERANGE);
    free(E);
}

/* Prediction 4: training cannot notice. The data only produces ids 0..V-1,
 * so the loss still falls from ln 256 toward the floor. */
static void training_never_sees_id_V_and_still_learns(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 100;
    float losses[100];
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    print_message("loss at step 0: %.3f (ln 256 = %.3f); mean of steps 90-99: %.3f\n",
                  (double)losses[0], log(256.0), tl_mean(losses, 90, 100));
    assert_true(fabs((double)losses[0] - log(256.0)) < 0.02 * log(256.0));
    assert_true(tl_mean(losses, 90, 100) < 0.6 * log(256.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_accepts_id_V_and_copies_the_row_past_the_table),
        cmocka_unit_test(backward_accepts_id_V_and_adds_into_the_row_past_dE),
        cmocka_unit_test(id_V_plus_1_is_still_refused_naming_id_and_V),
        cmocka_unit_test(training_never_sees_id_V_and_still_learns),
    };
    return tl_run_tests("lab07 symptoms", tests);
}
