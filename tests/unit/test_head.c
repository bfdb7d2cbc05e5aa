/* test_head.c — the tied head borrows E, computes H·Eᵀ, and adds into dE. */
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { B = 3, D = 4, V = 6 };

static void randn(float *w, size_t n, uint64_t seed, float std)
{
    tl_input r;
    tl_input_seed(&r, seed);
    tl_input_fill(w, n, std, &r);
}

static void tied_head_borrows_E_and_dE_and_reports_the_bytes_it_saves(void **state)
{
    (void)state;
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    tl_head h;
    assert_int_equal(tl_head_tie(&h, E, dE, V, D), TL_OK);
    assert_ptr_equal(h.W, E);
    assert_ptr_equal(h.dW, dE);
    assert_int_equal(tl_head_bytes_held(&h), 0);
    assert_int_equal(tl_head_bytes_saved_by_tying(&h), 2 * V * D * sizeof(float));
    tl_head_free(&h);   /* must not free the borrowed E */

    tl_head u;
    assert_int_equal(tl_head_create_untied(&u, V, D), TL_OK);
    assert_ptr_not_equal(u.W, E);
    assert_int_equal(tl_head_bytes_held(&u), 2 * V * D * sizeof(float));
    assert_int_equal(tl_head_bytes_saved_by_tying(&u), 0);
    tl_head_free(&u);
    tl_head_free(NULL);
    tl_shared_free(E);
    tl_shared_free(dE);
}

static void forward_is_H_times_E_transposed(void **state)
{
    (void)state;
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    float E_then[V * D], H[B * D], logits[B * V], want[B * V];
    randn(E, V * D, 1, 1.0f);
    randn(H, B * D, 2, 1.0f);
    memcpy(E_then, E, sizeof E_then);
    tl_head h;
    assert_int_equal(tl_head_tie(&h, E, dE, V, D), TL_OK);
    assert_int_equal(tl_head_forward(logits, H, &h, B, D, V), TL_OK);
    tl_fresh_logits(want, H, E_then, B, D, V, 0.0f);   /* h_b · E[v]: E[v, k] = Eᵀ[k, v] */
    assert_true(tl_close("logits", logits, want, B * V, 1e-6f, 1e-5f));
    assert_true(tl_close("E after the forward (it only reads E)", E, E_then, V * D, 0, 0));
    tl_shared_free(E);
    tl_shared_free(dE);
}

static void shape_errors_name_the_function_and_both_sizes(void **state)
{
    (void)state;
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    float H[B * D], logits[B * 2 * V];
    tl_head h;
    assert_int_equal(tl_head_tie(&h, E, dE, V, D), TL_OK);
    assert_int_equal(tl_head_forward(logits, H, &h, B, D, 2 * V), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_forward", "6", "12", NULL));
    assert_int_equal(tl_head_backward(H, &h, logits, H, B, D + 1, V), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_backward", "4", "5", NULL));
    tl_shared_free(E);
    tl_shared_free(dE);
}

/* loss(H, E) = CE(H·Eᵀ, targets) */
static double loss_of(const float *H, float *E, float *dE, const int *t)
{
    float logits[B * V], loss;
    tl_head h;
    tl_head_tie(&h, E, dE, V, D);
    tl_head_forward(logits, H, &h, B, D, V);
    tl_cross_entropy_forward(&loss, NULL, logits, t, B, V, V);
    return (double)loss;
}

/* fd[i] = central finite difference of loss_of in w[i], for the n floats at w
 * (inside H or E) */
static void finite_differences(float *fd, float *w, size_t n, const float *H, float *E,
                               float *scratch, const int *t)
{
    const float eps = 1e-2f;
    for (size_t i = 0; i < n; i++) {
        float keep = w[i];
        w[i] = keep + eps; double lp = loss_of(H, E, scratch, t);
        w[i] = keep - eps; double lm = loss_of(H, E, scratch, t);
        w[i] = keep;
        fd[i] = (float)((lp - lm) / (2 * (double)eps));
    }
}

static void head_gradients_match_finite_differences(void **state)
{
    (void)state;
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    float H[B * D], dH[B * D], logits[B * V], probs[B * V], dlogits[B * V];
    int t[B] = { 1, 5, 1 };
    randn(E, V * D, 3, 0.7f);
    randn(H, B * D, 4, 0.7f);
    memset(dH, 0, sizeof dH);
    memset(dlogits, 0, sizeof dlogits);
    tl_head h;
    float loss;
    tl_head_tie(&h, E, dE, V, D);
    tl_head_forward(logits, H, &h, B, D, V);
    tl_cross_entropy_forward(&loss, probs, logits, t, B, V, V);
    tl_cross_entropy_backward(dlogits, probs, t, B, V);
    assert_int_equal(tl_head_backward(dH, &h, dlogits, H, B, D, V), TL_OK);

    float fdE[V * D], fdH[B * D], *scratch = tl_shared_floats(V * D);
    finite_differences(fdE, E, V * D, H, E, scratch, t);
    finite_differences(fdH, H, B * D, H, E, scratch, t);
    assert_true(tl_close("dE vs finite difference", dE, fdE, V * D, 1e-3f, 2e-2f));
    assert_true(tl_close("dH vs finite difference", dH, fdH, B * D, 1e-3f, 2e-2f));
    tl_shared_free(E);
    tl_shared_free(dE);
    tl_shared_free(scratch);
}

static void tied_backward_adds_to_what_the_embedding_put_in_dE(void **state)
{
    (void)state;
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    float want[V * D], H[B * D], dH[B * D], dlogits[B * V];
    randn(E, V * D, 5, 1.0f);
    randn(H, B * D, 6, 1.0f);
    randn(dlogits, B * V, 7, 1.0f);
    memset(dH, 0, sizeof dH);
    tl_head h;
    tl_head_tie(&h, E, dE, V, D);
    tl_head_backward(dH, &h, dlogits, H, B, D, V);
    memcpy(want, dE, sizeof want);          /* the head's share alone */
    for (int i = 0; i < V * D; i++) {
        want[i] += 0.5f;
        dE[i] = 0.5f;                       /* pretend the lookup already added 0.5 */
    }
    memset(dH, 0, sizeof dH);
    tl_head_backward(dH, &h, dlogits, H, B, D, V);
    assert_true(tl_close("dE = lookup's share + head's share", dE, want, V * D, 1e-6f, 1e-6f));
    tl_shared_free(E);
    tl_shared_free(dE);
}

int test_head(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tied_head_borrows_E_and_dE_and_reports_the_bytes_it_saves),
        cmocka_unit_test(forward_is_H_times_E_transposed),
        cmocka_unit_test(shape_errors_name_the_function_and_both_sizes),
        cmocka_unit_test(head_gradients_match_finite_differences),
        cmocka_unit_test(tied_backward_adds_to_what_the_embedding_put_in_dE),
    };
    return tl_run_group_tests("head", tests);
}
