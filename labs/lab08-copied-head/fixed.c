/* fixed.c — what must be true once lab 08 is fixed. All but the last fail
 * on the broken workspace; copying E into head.W after every step ("keep
 * them in sync") passes the last one and fails the other four: the memory
 * is still doubled and the head's gradient still never reaches E. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "lab.h"

static void tied_head_is_E_itself(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_ptr_equal(m->head.W, m->E);
    assert_ptr_equal(m->head.dW, m->dE);
    assert_true(m->head.tied);
    tl_model_destroy(m);
}

static void tying_saves_2Vd_floats_and_the_head_holds_none(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(tl_head_bytes_saved_by_tying(&m->head), 2 * m->V * c.d * sizeof(float));
    assert_int_equal(tl_head_bytes_held(&m->head), 0);
    tl_model_destroy(m);
}

static void tied_model_counts_E_once(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(tl_model_param_count(m), tl_tied_param_count(&c, m->V));
    tl_model_destroy(m);
}

/* A row of E whose token is never an input gets exactly the head's share:
 * dE[v] = sum_b dz[b, v] * h[b], with dz the gradient of the uncapped logits. */
static void E_gets_the_heads_gradient_in_rows_never_fed_as_input(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(backward_on_the_batch(m), TL_OK);
    size_t d = c.d, V = m->V;
    size_t rows[4] = { 4, 18, 100, 201 };   /* targets, never inputs */
    float got[4 * 64], want[4 * 64];
    assert_true(d <= 64);
    double norm = 0.0;
    for (size_t r = 0; r < 4; r++)
        for (size_t k = 0; k < d; k++) {
            double s = 0.0;
            for (size_t b = 0; b < NB; b++)
                s += (double)m->dlogits[b * V + rows[r]] * (double)m->h[b * d + k];
            want[r * d + k] = (float)s;
            got[r * d + k] = m->dE[rows[r] * d + k];
            norm += fabs(s);
        }
    assert_true(norm > 0.0);
    assert_true(tl_close("dE rows of tokens never fed as input vs the head's gradient",
                         got, want, 4 * d, 1e-6f, 1e-3f));
    tl_model_destroy(m);
}

static void after_steps_the_head_reads_the_current_E(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 5;
    float losses[5];
    tl_model *m = NULL;
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, &m), TL_OK);
    enum { B = 4 };
    int ids[B] = { 0, 1, 2, 3 };
    assert_int_equal(tl_model_forward(m, ids, B), TL_OK);
    size_t d = c.d, V = m->V;
    float *want = malloc(B * V * sizeof *want);
    assert_non_null(want);
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++) {
            float z = 0.0f;
            for (size_t k = 0; k < d; k++)
                z += m->h[b * d + k] * m->E[v * d + k];
            want[b * V + v] = c.softcap * tanhf(z / c.softcap);
        }
    assert_true(tl_close("logits after 5 steps vs c*tanh(h . E^T / c)", m->logits, want, B * V, 1e-5f, 1e-4f));
    free(want);
    tl_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tied_head_is_E_itself),
        cmocka_unit_test(tying_saves_2Vd_floats_and_the_head_holds_none),
        cmocka_unit_test(tied_model_counts_E_once),
        cmocka_unit_test(E_gets_the_heads_gradient_in_rows_never_fed_as_input),
        cmocka_unit_test(after_steps_the_head_reads_the_current_E),
    };
    return tl_run_tests("lab08 fixed", tests);
}
