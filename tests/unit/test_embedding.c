/* test_embedding.c — lookup copies rows; backward scatter-adds; ids are checked. */
#include "unit.h"

#include <string.h>

enum { V = 5, D = 3 };

static void fill(float *E)
{
    for (int i = 0; i < V * D; i++)
        E[i] = (float)i;
}

static void forward_copies_row_id_of_E(void **state)
{
    (void)state;
    float E[V * D], out[3 * D];
    fill(E);
    int ids[3] = { 4, 0, 4 };
    assert_int_equal(tl_embedding_forward(out, ids, E, 3, D, V), TL_OK);
    for (int b = 0; b < 3; b++)
        assert_true(tl_close("row", out + b * D, E + ids[b] * D, D, 0, 0));
}

static void id_equal_to_V_is_out_of_range_naming_id_and_V(void **state)
{
    (void)state;
    float E[(V + 1) * D], out[2 * D];   /* a spare row: a wrong bound reads it, not the stack */
    fill(E);
    int ids[2] = { 1, V };
    assert_int_equal(tl_embedding_forward(out, ids, E, 2, D, V), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_embedding_forward", "5", NULL));
    int neg[1] = { -1 };
    assert_int_equal(tl_embedding_forward(out, neg, E, 1, D, V), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_embedding_forward", "-1", NULL));
}

static void backward_accumulates_repeated_ids_on_top_of_existing_gradient(void **state)
{
    (void)state;
    float dE[V * D], want[V * D];
    for (int i = 0; i < V * D; i++)
        dE[i] = want[i] = 1.0f;   /* e.g. the head's share, already there */
    int ids[3] = { 2, 2, 0 };
    float dout[3 * D] = { 1, 2, 3, 10, 20, 30, 5, 5, 5 };
    assert_int_equal(tl_embedding_backward(dE, dout, ids, 3, D, V), TL_OK);
    for (int k = 0; k < D; k++) {
        want[2 * D + k] += dout[k] + dout[D + k];
        want[0 * D + k] += dout[2 * D + k];
    }
    assert_true(tl_close("dE", dE, want, V * D, 0, 0));
    int bad[1] = { 9 };
    assert_int_equal(tl_embedding_backward(dE, dout, bad, 1, D, V), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_embedding_backward", "9", NULL));
}

static void null_buffers_are_an_error_not_a_crash(void **state)
{
    (void)state;
    int ids[1] = { 0 };
    assert_int_equal(tl_embedding_forward(NULL, ids, NULL, 1, D, V), TL_EINVAL);
    assert_int_equal(tl_embedding_backward(NULL, NULL, ids, 1, D, V), TL_EINVAL);
}

int test_embedding(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_copies_row_id_of_E),
        cmocka_unit_test(id_equal_to_V_is_out_of_range_naming_id_and_V),
        cmocka_unit_test(backward_accumulates_repeated_ids_on_top_of_existing_gradient),
        cmocka_unit_test(null_buffers_are_an_error_not_a_crash),
    };
    return tl_run_group_tests("embedding", tests);
}
