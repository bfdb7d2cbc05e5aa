/* test_loss.c — stable softmax, cross-entropy at ln(V), width checks, gradient. */
#include "unit.h"

#include <math.h>
#include <string.h>

static void softmax_rows_sum_to_one_even_for_huge_logits(void **state)
{
    (void)state;
    float z[2 * 4] = { 1000, 999, 998, -1000, 0.1f, 0.2f, 0.3f, 0.4f }, p[8];
    tl_softmax_forward(p, z, 2, 4);
    for (int b = 0; b < 2; b++) {
        double s = 0;
        for (int v = 0; v < 4; v++) {
            assert_true(isfinite(p[b * 4 + v]));
            s += (double)p[b * 4 + v];
        }
        assert_true(fabs(s - 1.0) < 1e-6);
    }
    assert_true(fabs((double)p[0] - 1.0 / (1.0 + exp(-1.0) + exp(-2.0))) < 1e-6);
}

static void zero_logits_give_a_loss_of_ln_V(void **state)
{
    (void)state;
    enum { B = 4, V = 256 };
    static float z[B * V];
    int t[B] = { 0, 17, 255, 3 };
    float loss;
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t, B, V, V), TL_OK);
    assert_true(fabs((double)loss - log(256.0)) < 1e-5);
}

static void huge_logits_give_a_finite_loss(void **state)
{
    (void)state;
    float z[3] = { 500, -500, 0 }, loss;
    int t[1] = { 1 };
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t, 1, 3, 3), TL_OK);
    assert_true(fabs((double)loss - 1000.0) < 1e-3);
}

static void width_mismatch_names_both_sizes(void **state)
{
    (void)state;
    static float z[2 * 512];
    int t[2] = { 0, 1 };
    float loss;
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t, 2, 512, 256), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_cross_entropy_forward", "512", "256", NULL));
}

static void target_outside_the_classes_is_out_of_range(void **state)
{
    (void)state;
    float z[2 * 4] = { 0 }, loss, p[8], d[8] = { 0 };
    int t[2] = { 0, 4 };
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t, 2, 4, 4), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_cross_entropy_forward", "4", NULL));
    assert_int_equal(tl_cross_entropy_backward(d, p, t, 2, 4), TL_ERANGE);
}

static void nan_logits_are_reported_not_returned_silently(void **state)
{
    (void)state;
    float z[2] = { NAN, 0 }, loss;
    int t[1] = { 0 };
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t, 1, 2, 2), TL_ENUMERIC);
}

static void cross_entropy_gradient_matches_finite_differences(void **state)
{
    (void)state;
    enum { B = 3, V = 5 };
    float z[B * V], p[B * V], d[B * V], fd[B * V], loss;
    int t[B] = { 4, 0, 2 };
    tl_input r;
    tl_input_seed(&r, 9);
    tl_input_fill(z, B * V, 2.0f, &r);
    memset(d, 0, sizeof d);
    tl_cross_entropy_forward(&loss, p, z, t, B, V, V);
    tl_cross_entropy_backward(d, p, t, B, V);
    const float eps = 1e-2f;
    for (int i = 0; i < B * V; i++) {
        float keep = z[i], lp, lm;
        z[i] = keep + eps; tl_cross_entropy_forward(&lp, NULL, z, t, B, V, V);
        z[i] = keep - eps; tl_cross_entropy_forward(&lm, NULL, z, t, B, V, V);
        z[i] = keep;
        fd[i] = (lp - lm) / (2 * eps);
    }
    assert_true(tl_close("dlogits vs finite difference", d, fd, B * V, 1e-3f, 1e-2f));
}

int test_loss(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(softmax_rows_sum_to_one_even_for_huge_logits),
        cmocka_unit_test(zero_logits_give_a_loss_of_ln_V),
        cmocka_unit_test(huge_logits_give_a_finite_loss),
        cmocka_unit_test(width_mismatch_names_both_sizes),
        cmocka_unit_test(target_outside_the_classes_is_out_of_range),
        cmocka_unit_test(nan_logits_are_reported_not_returned_silently),
        cmocka_unit_test(cross_entropy_gradient_matches_finite_differences),
    };
    return tl_run_group_tests("loss", tests);
}
