/* fixed.c — what must be true once lab 09 is fixed. Every test checks the
 * head's pointers and size before it runs a forward, so on the broken
 * library (or a half fix) it fails on an assertion, never by reading or
 * writing freed memory. Re-pointing head.W alone, or growing E with realloc
 * and hoping it stays put, fails the first test; re-tying the head only after
 * the activations were reallocated (logits still 256 wide: a full batch then
 * writes past them) fails the last one, which asks the library's allocator
 * how big the buffers are (tl_block_size) instead of overrunning them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "lab.h"

/* The head must be the grown E: same pointers, same number of rows. */
static void assert_head_is_the_grown_E(const tl_model *m, size_t V)
{
    if (m->head.W != m->E || m->head.dW != m->dE || m->head.V != V)
        print_message("after growing to V=%zu: m->V = %zu, head.V = %zu, head.W %s m->E, head.dW %s m->dE\n",
                      V, m->V, m->head.V, m->head.W == m->E ? "==" : "!=",
                      m->head.dW == m->dE ? "==" : "!=");
    assert_int_equal(m->V, V);
    assert_ptr_equal(m->head.W, m->E);
    assert_ptr_equal(m->head.dW, m->dE);
    assert_int_equal(m->head.V, V);
    assert_int_equal(m->head.d, m->cfg.d);
    assert_true(m->head.tied);
}

static void growing_reties_the_head_to_the_new_E_and_dE_with_260_rows(void **state)
{
    (void)state;
    tl_model *m = grown_model();
    assert_head_is_the_grown_E(m, 260);
    assert_int_equal(tl_model_grow_vocab(m, 264), TL_OK);   /* and again */
    assert_head_is_the_grown_E(m, 264);
    tl_model_destroy(m);
}

static void train_step_after_growing_gives_tokens_258_and_259_probability(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 5;
    float losses[5];
    tl_model *m;
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, &m), TL_OK);
    assert_int_equal(tl_model_grow_vocab(m, 260), TL_OK);
    assert_head_is_the_grown_E(m, 260);   /* before any forward: never touch freed memory */
    int ids[2] = { 259, 3 }, t[2] = { 258, 259 };
    float loss;
    assert_int_equal(tl_model_train_step(m, &loss, ids, t, 2), TL_OK);
    print_message("loss %.3f (ln 260 = %.3f), p(258) = %.5f, p(259) = %.5f\n", (double)loss,
                  log(260.0), (double)m->probs[258], (double)m->probs[260 + 259]);
    assert_true(isfinite(loss));
    assert_true(m->probs[258] > 1e-4f && m->probs[260 + 259] > 1e-4f);
    /* the head's gradient reached the new rows of the one shared dE */
    double g = 0.0;
    for (size_t k = 0; k < c.d; k++)
        g += fabs((double)m->dE[258 * c.d + k]);
    assert_true(g > 0.0);
    tl_model_destroy(m);
}

static void a_new_token_can_be_learned_as_a_prediction(void **state)
{
    (void)state;
    tl_model *m = grown_model();
    assert_head_is_the_grown_E(m, 260);
    int ids[1] = { 7 }, t[1] = { 258 };
    float loss = NAN, first = NAN;
    for (int s = 0; s < 20; s++) {
        assert_int_equal(tl_model_train_step(m, &loss, ids, t, 1), TL_OK);
        if (s == 0)
            first = m->probs[258];
    }
    print_message("p(258 | 7): %.4f at the first step, %.4f after 20 steps\n",
                  (double)first, (double)m->probs[258]);
    assert_true(m->probs[258] > 0.5f);
    tl_model_destroy(m);
}

/* logits, probs and dlogits are [B_cap, V], sized for the head's V when
 * they were allocated, which must be the grown V. Growing may keep a full
 * batch of them (B_cap > 0) or drop them (B_cap = 0) for the next forward
 * to allocate: either way, whenever the model holds them they hold B_cap x
 * 260 floats. The head was checked first, so the forward that allocates
 * them never reads freed memory. */
static void activations_after_growing_hold_a_full_batch_of_260_logits(void **state)
{
    (void)state;
    tl_model *m = grown_model();
    assert_head_is_the_grown_E(m, 260);
    if (m->B_cap == 0) {   /* dropped: a full batch's forward makes them */
        size_t B = m->cfg.batch;
        int *ids = malloc(B * sizeof *ids);
        assert_non_null(ids);
        for (size_t b = 0; b < B; b++)
            ids[b] = (int)(259 - (b * 37) % 260);   /* the new ids among them */
        tl_err err = tl_model_forward(m, ids, B);
        free(ids);
        assert_int_equal(err, TL_OK);
        assert_true(m->B_cap >= B);
    }
    size_t need = m->B_cap * 260 * sizeof(float);
    print_message("B_cap = %zu: logits need %zu bytes, hold %zu\n", m->B_cap, need,
                  tl_block_size(m->logits));
    assert_true(m->B_cap >= 1);
    assert_true(tl_block_size(m->logits) >= need);
    assert_true(tl_block_size(m->probs) >= need);
    assert_true(tl_block_size(m->dlogits) >= need);
    tl_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(growing_reties_the_head_to_the_new_E_and_dE_with_260_rows),
        cmocka_unit_test(train_step_after_growing_gives_tokens_258_and_259_probability),
        cmocka_unit_test(a_new_token_can_be_learned_as_a_prediction),
        cmocka_unit_test(activations_after_growing_hold_a_full_batch_of_260_logits),
    };
    return tl_run_tests("lab09 fixed", tests);
}
