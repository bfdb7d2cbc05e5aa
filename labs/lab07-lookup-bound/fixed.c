/* fixed.c — what must be true once lab 07 is fixed. The tables of the refusal
 * tests are allocated with one row more than the V they are passed with, in
 * memory the library's process uses in place (tl_shared_floats; an ordinary
 * array would reach it as a copy of V rows only), so that on the broken
 * library these tests fail on a return code, never by touching memory they do
 * not own, and the spare row is really the memory just past the table.
 * Clamping id V to row V-1 fails the first test (no error, a wrong token);
 * guarding the forward only fails the second. What a refusal must say is the
 * property, not its wording: the call, the id and V (tl_error_names). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "support.h"

enum { V = 256, D = 64 };

static float *rows(size_t n, float value)
{
    float *w = malloc(n * D * sizeof *w);
    assert_non_null(w);
    for (size_t i = 0; i < n * D; i++)
        w[i] = value;
    return w;
}

/* n rows the library's process reads and writes in place (see the top) */
static float *shared_rows(size_t n, float value)
{
    float *w = tl_shared_floats(n * D);
    assert_non_null(w);
    for (size_t i = 0; i < n * D; i++)
        w[i] = value;
    return w;
}

static void forward_refuses_id_V_with_TL_ERANGE_naming_id_and_V(void **state)
{
    (void)state;
    float *E = shared_rows(V + 1, 0.5f), out[2 * D];
    int ids[2] = { V - 1, V };
    assert_int_equal(tl_embedding_forward(out, ids, E, 2, D, V), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_embedding_forward", "256", NULL));   /* id = V = 256 */
    /* an id apart from V shows that both are named */
    int far[1] = { V + 5 };
    assert_int_equal(tl_embedding_forward(out, far, E, 1, D, V), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_embedding_forward", "261", "256", NULL));
    tl_shared_free(E);
}

static void backward_refuses_id_V_and_adds_nothing_past_dE(void **state)
{
    (void)state;
    float *dE = shared_rows(V + 1, 0.0f), dout[2 * D];
    for (size_t k = 0; k < 2 * D; k++)
        dout[k] = 1.0f;
    int ids[2] = { 3, V };
    assert_int_equal(tl_embedding_backward(dE, dout, ids, 2, D, V), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_embedding_backward", "256", NULL));   /* id = V = 256 */
    float *zero = rows(1, 0.0f);
    assert_true(tl_close("the row past dE", dE + (size_t)V * D, zero, D, 0, 0));
    int far[1] = { V + 5 };
    assert_int_equal(tl_embedding_backward(dE, dout, far, 1, D, V), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_embedding_backward", "261", "256", NULL));
    free(zero);
    tl_shared_free(dE);
}

static void ids_0_and_V_minus_1_still_look_up_and_accumulate(void **state)
{
    (void)state;
    float *E = rows(V, 0.0f), out[2 * D];
    for (size_t k = 0; k < D; k++) {
        E[k] = 1.0f + (float)k;                      /* row 0 */
        E[(size_t)(V - 1) * D + k] = -1.0f - (float)k;   /* row V-1 */
    }
    int ids[2] = { 0, V - 1 };
    assert_int_equal(tl_embedding_forward(out, ids, E, 2, D, V), TL_OK);
    assert_true(tl_close("row 0", out, E, D, 0, 0));
    assert_true(tl_close("row V-1", out + D, E + (size_t)(V - 1) * D, D, 0, 0));

    float *dE = rows(V, 0.0f), dout[2 * D], want[D];
    for (size_t k = 0; k < 2 * D; k++)
        dout[k] = 0.25f;
    int last[2] = { V - 1, V - 1 };
    assert_int_equal(tl_embedding_backward(dE, dout, last, 2, D, V), TL_OK);
    for (size_t k = 0; k < D; k++)
        want[k] = 0.5f;
    assert_true(tl_close("dE row V-1", dE + (size_t)(V - 1) * D, want, D, 0, 0));
    free(dE);
    free(E);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_refuses_id_V_with_TL_ERANGE_naming_id_and_V),
        cmocka_unit_test(backward_refuses_id_V_and_adds_nothing_past_dE),
        cmocka_unit_test(ids_0_and_V_minus_1_still_look_up_and_accumulate),
    };
    return tl_run_tests("lab07 fixed", tests);
}
