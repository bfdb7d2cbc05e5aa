/* fixed.c — what must be true once lab 06 is fixed. All fail on the broken
 * workspace. Clamping the logits before exp stays finite but gets the loss
 * of {500, -500, 0} wrong; replacing an Inf loss by a big number gets both
 * the softmax and the loss wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "lab.h"

/* Rows of huge logits: the softmax is exact and finite, and a row of equal
 * very negative logits is uniform. */
static void softmax_of_huge_logits_is_exact(void **state)
{
    (void)state;
    float z[3 * 4] = { 1000, 999, -1000, 0,
                       -1000, -1000, -1000, -1000,
                       -500, 500, 499.5f, 300 }, p[12];
    tl_softmax_forward(p, z, 3, 4);
    double e1 = exp(-1.0), eh = exp(-0.5);
    float want[12] = { (float)(1.0 / (1.0 + e1)), (float)(e1 / (1.0 + e1)), 0.0f, 0.0f,
                       0.25f, 0.25f, 0.25f, 0.25f,
                       0.0f, (float)(1.0 / (1.0 + eh)), (float)(eh / (1.0 + eh)), 0.0f };
    assert_true(tl_close("softmax of huge logits", p, want, 12, 1e-6f, 1e-4f));
}

static void cross_entropy_of_plus_minus_500_is_exact(void **state)
{
    (void)state;
    float z[2 * 3] = { 500, -500, 0, 500, -500, 0 }, loss;
    int t1[1] = { 1 }, t0[1] = { 0 };
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t1, 1, 3, 3), TL_OK);
    print_message("loss of {500, -500, 0}, target 1: %.4f (exact 1000)\n", (double)loss);
    assert_true(fabs((double)loss - 1000.0) < 1e-3);
    assert_int_equal(tl_cross_entropy_forward(&loss, NULL, z, t0, 1, 3, 3), TL_OK);
    assert_true(fabs((double)loss) < 1e-6);
}

/* A batch of ordinary logits matches a log-sum-exp computed here in double. */
static void cross_entropy_matches_a_double_reference(void **state)
{
    (void)state;
    enum { B = 8, V = 256 };
    static float z[B * V], p[B * V], pw[B * V];
    int t[B];
    tl_input r;
    tl_input_seed(&r, 6);
    for (size_t i = 0; i < B * V; i++)
        z[i] = 3.0f * tl_input_normal(&r);
    double want = 0.0;
    for (size_t b = 0; b < B; b++) {
        t[b] = (int)(b * 31 % V);
        double mx = -INFINITY, s = 0.0;
        for (size_t v = 0; v < V; v++)
            mx = fmax(mx, (double)z[b * V + v]);
        for (size_t v = 0; v < V; v++)
            s += exp((double)z[b * V + v] - mx);
        for (size_t v = 0; v < V; v++)
            pw[b * V + v] = (float)(exp((double)z[b * V + v] - mx) / s);
        want += (mx + log(s) - (double)z[b * V + (size_t)t[b]]) / B;
    }
    float loss;
    assert_int_equal(tl_cross_entropy_forward(&loss, p, z, t, B, V, V), TL_OK);
    assert_true(fabs((double)loss - want) < 1e-5 * want);
    assert_true(tl_close("probs vs double reference", p, pw, B * V, 1e-7f, 1e-5f));
}

/* The lab's training run (TRAIN_ARGS: --softcap 0 --successors 1 --lr 0.2
 * --steps 400): every loss finite, and the model learns the chain. */
static void uncapped_training_stays_finite_and_learns(void **state)
{
    (void)state;
    tl_config c = uncapped();
    float losses[400];
    tl_err err = tl_train_run(&c, 1, losses, NULL, NULL);
    size_t k = first_nonfinite(losses, c.steps);
    if (k < c.steps)
        fail_msg("loss is %f at step %zu (%s)", (double)losses[k], k, tl_last_error());
    assert_int_equal(err, TL_OK);
    print_message("400 finite losses; mean of the last 40: %.4f\n", tl_mean(losses, 360, 400));
    assert_true(tl_mean(losses, 360, 400) < 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(softmax_of_huge_logits_is_exact),
        cmocka_unit_test(cross_entropy_of_plus_minus_500_is_exact),
        cmocka_unit_test(cross_entropy_matches_a_double_reference),
        cmocka_unit_test(uncapped_training_stays_finite_and_learns),
    };
    return tl_run_tests("lab06 fixed", tests);
}
