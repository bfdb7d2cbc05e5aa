/* fixed.c — what must be true once lab 08 is fixed. All five fail on the
 * broken workspace; copying E into head.W after every step ("keep them in
 * sync") passes the last one and fails the other four: the memory is still
 * doubled and the head's gradient still never reaches E. Each states what
 * tying is (one buffer, one gradient), not how the fix wires it: any place
 * in tl_model_create that leaves the head borrowing E and dE passes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* A row of E whose token is never an input gets exactly the head's share,
 * added to what dE held: dE[v] += sum_b dz[b, v] * h[b], where dz is the
 * gradient of the raw score h·E[v]: (p - onehot) / B, times the cap's
 * derivative 1 - (logit / c)^2. dz is computed here, in double, from copies
 * of what the forward and the loss gave (h, the capped logits, probs), taken
 * before the backward, never from the library's own dlogits. */
static void E_gets_the_heads_gradient_in_rows_never_fed_as_input(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t d = m->cfg.d, V = m->V;
    enum { R = 4 };
    size_t rows[R] = { 4, 18, 100, 201 };   /* targets, never inputs */
    float loss;
    assert_int_equal(tl_model_forward(m, batch_ids, NB), TL_OK);
    assert_int_equal(tl_model_loss(m, &loss, batch_targets, NB), TL_OK);
    float *h = malloc(NB * d * sizeof *h), *logits = malloc(NB * V * sizeof *logits);
    float *probs = malloc(NB * V * sizeof *probs);
    float *got = malloc(R * d * sizeof *got), *want = malloc(R * d * sizeof *want);
    assert_true(h && logits && probs && got && want);
    memcpy(h, m->h, NB * d * sizeof *h);
    memcpy(logits, m->logits, NB * V * sizeof *logits);
    memcpy(probs, m->probs, NB * V * sizeof *probs);
    for (size_t r = 0; r < R; r++)
        memcpy(want + r * d, m->dE + rows[r] * d, d * sizeof *want);   /* dE before */
    assert_int_equal(tl_model_backward(m, batch_targets, NB), TL_OK);
    double cap = (double)m->cfg.softcap, norm = 0.0;
    for (size_t r = 0; r < R; r++)
        for (size_t k = 0; k < d; k++) {
            double s = 0.0;
            for (size_t b = 0; b < NB; b++) {
                size_t v = rows[r];
                double dz = ((double)probs[b * V + v] - (batch_targets[b] == (int)v)) / (double)NB;
                if (cap > 0.0) {
                    double t = (double)logits[b * V + v] / cap;
                    dz *= 1.0 - t * t;
                }
                s += dz * (double)h[b * d + k];
            }
            want[r * d + k] = (float)((double)want[r * d + k] + s);
            got[r * d + k] = m->dE[rows[r] * d + k];
            norm += fabs(s);
        }
    assert_true(norm > 0.0);
    assert_true(tl_close("dE rows of tokens never fed as input vs the head's gradient",
                         got, want, R * d, 1e-6f, 1e-3f));
    free(h); free(logits); free(probs); free(got); free(want);
    tl_model_destroy(m);
}

/* After training steps, the head scores with E as it is now: the logits are
 * c·tanh(h·E[v] / c) for the E the forward read (a copy taken before it,
 * and the forward must leave E as it was). */
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
    size_t d = c.d, V = m->V;
    float *E_now = malloc(V * d * sizeof *E_now), *want = malloc(B * V * sizeof *want);
    assert_true(E_now && want);
    memcpy(E_now, m->E, V * d * sizeof *E_now);
    assert_int_equal(tl_model_forward(m, ids, B), TL_OK);
    assert_true(tl_close("E after a forward (the head only reads it)", m->E, E_now, V * d, 0, 0));
    tl_fresh_logits(want, m->h, E_now, B, d, V, m->cfg.softcap);
    assert_true(tl_close("logits after 5 steps vs c*tanh(h . E^T / c)", m->logits, want, B * V, 1e-5f, 1e-4f));
    free(E_now);
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
