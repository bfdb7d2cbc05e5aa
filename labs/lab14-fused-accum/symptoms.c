/* symptoms.c — lab 14's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there.
 *
 * The runs are train --head-kernel fused --accum 8 --batch 32 (the same
 * batches, step by step); the gradients are the small tied model's on two
 * micro-batches whose input rows do not overlap (lab.h). */
#include "lab.h"

/* Prediction 1: with one micro-batch per step nothing changes. The head's
 * backward runs first, while dE is still zero, so clearing it loses nothing:
 * the fused model's dE is the unfused model's. */
static void one_micro_batch_gives_the_unfused_gradient(void **state)
{
    (void)state;
    micro_batches mb = draw_micro_batches(1401);
    tl_config c = small_fused_config(1);
    tl_model *fused, *plain;
    assert_int_equal(tl_model_create(&fused, &c), TL_OK);
    c.head_kernel = TL_HEAD_FAST;
    assert_int_equal(tl_model_create(&plain, &c), TL_OK);
    size_t n = fused->V * c.d;
    tl_optim_zero_grad(fused->opt);
    tl_optim_zero_grad(plain->opt);
    assert_int_equal(backward_micro_batch(fused, &mb, 0), TL_OK);
    assert_int_equal(backward_micro_batch(plain, &mb, 0), TL_OK);
    double gap = tl_max_abs_diff(fused->dE, plain->dE, n);
    print_message("one micro-batch: max |dE fused - dE unfused| = %.3g (|dE| = %.3f)\n", gap, norm_of(plain->dE, n));
    assert_true(gap < 1e-5);
    tl_model_destroy(fused);
    tl_model_destroy(plain);
}

/* Prediction 2: after two micro-batches, dE holds the second one's gradient
 * alone, while dW1 (and every other weight) holds the sum of both. */
static void after_two_micro_batches_dE_holds_only_the_second(void **state)
{
    (void)state;
    micro_batches mb = draw_micro_batches(1402);
    tl_config c = small_fused_config(1);
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t n = m->V * c.d, nw = c.hidden * c.d;
    float *g[2], *w1[2];
    for (int k = 0; k < 2; k++) {
        tl_optim_zero_grad(m->opt);
        assert_int_equal(backward_micro_batch(m, &mb, k), TL_OK);
        g[k] = tl_copy_floats(m->dE, n);
        w1[k] = tl_copy_floats(m->dW1, nw);
    }
    float *sum = malloc(n * sizeof *sum), *wsum = malloc(nw * sizeof *wsum);
    for (size_t i = 0; i < n; i++)
        sum[i] = g[0][i] + g[1][i];
    for (size_t i = 0; i < nw; i++)
        wsum[i] = w1[0][i] + w1[1][i];
    assert_int_equal(accumulate_two(m, &mb), TL_OK);
    double to_sum = tl_max_abs_diff(m->dE, sum, n), to_second = tl_max_abs_diff(m->dE, g[1], n);
    double w1_to_sum = tl_max_abs_diff(m->dW1, wsum, nw);
    print_message("accumulated dE: max |dE - (g1 + g2)| = %.4f, max |dE - g2| = %.3g (|g1| = %.3f)\n", to_sum,
                  to_second, norm_of(g[0], n));
    print_message("accumulated dW1: max |dW1 - (g1 + g2)| = %.3g\n", w1_to_sum);
    assert_true(to_second < 1e-6);
    assert_true(to_sum > 0.05);
    assert_true(w1_to_sum < 1e-5);
    for (int k = 0; k < 2; k++) {
        free(g[k]);
        free(w1[k]);
    }
    free(sum);
    free(wsum);
    tl_model_destroy(m);
}

/* Prediction 3: a dE that already holds something (the lookup's gradient, an
 * earlier micro-batch's) comes out of one fused call holding the head's
 * gradient alone, while dH keeps what it held plus its gradient. */
static void a_filled_dE_comes_out_holding_the_heads_gradient_alone(void **state)
{
    (void)state;
    enum { B = 130, D = 64, V = 2100 };
    const float cap = 30.0f;
    tl_input in;
    tl_input_seed(&in, 1403);
    float *E = malloc(V * D * sizeof *E), *dE = malloc(V * D * sizeof *dE);
    float *H = malloc(B * D * sizeof *H), *dH = malloc(B * D * sizeof *dH);
    int t[B];
    assert_true(E && dE && H && dH);
    tl_input_fill(E, V * D, 1.0f / sqrtf((float)D), &in);
    tl_input_fill(dE, V * D, 0.01f, &in);
    tl_input_fill(H, B * D, 1.0f, &in);
    tl_input_fill(dH, B * D, 0.01f, &in);
    for (int b = 0; b < B; b++)
        t[b] = (int)(tl_input_uniform(&in) * (float)V) % V;
    double *fill_g = as_doubles(dE, V * D), *g = calloc(V * D, sizeof *g), *hfill_g = as_doubles(dH, B * D);
    double *hg = calloc(B * D, sizeof *hg);
    assert_true(fill_g && g && hfill_g && hg);
    ref_head_ce(hfill_g, fill_g, H, E, t, B, D, V, cap);
    ref_head_ce(hg, g, H, E, t, B, D, V, cap);
    tl_head head;
    assert_int_equal(tl_head_tie(&head, E, dE, V, D), TL_OK);
    float loss;
    assert_int_equal(tl_head_ce_fused(&loss, dH, &head, H, t, B, D, V, V, cap), TL_OK);
    double to_sum = max_abs_diff_d(dE, fill_g, V * D), to_g = max_abs_diff_d(dE, g, V * D);
    double h_to_sum = max_abs_diff_d(dH, hfill_g, B * D);
    print_message("B=%d d=%d V=%d, dE filled with N(0, 0.01^2): max |dE - (fill + g)| = %.4f, max |dE - g| = %.3g\n",
                  B, D, V, to_sum, to_g);
    print_message("dH filled the same way: max |dH - (fill + g)| = %.3g\n", h_to_sum);
    assert_true(to_g < 1e-5);
    assert_true(to_sum > 0.02);
    assert_true(h_to_sum < 1e-5);
    free(E); free(dE); free(H); free(dH); free(fill_g); free(g); free(hfill_g); free(hg);
}

/* Prediction 4: the rows of E that only the first micro-batch feeds as
 * inputs end with the wrong gradient: finite differences of the two
 * micro-batches' loss disagree with the accumulated dE there. */
static void rows_fed_only_by_the_first_micro_batch_fail_finite_differences(void **state)
{
    (void)state;
    micro_batches mb = draw_micro_batches(1404);
    tl_config c = small_fused_config(1);
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t V = m->V, d = c.d;
    assert_int_equal(accumulate_two(m, &mb), TL_OK);
    float *dE = tl_copy_floats(m->dE, V * d), *fd = malloc(V * d * sizeof *fd);
    assert_true(dE && fd);
    two_batch_fd(fd, m, m->E, V * d, &mb);
    int wrong = 0, rows = 0;
    for (int v = 0; v < (int)V; v++) {
        if (!is_input(&mb, 0, v))
            continue;
        rows++;
        double gap = tl_max_abs_diff(dE + (size_t)v * d, fd + (size_t)v * d, d);
        print_message("row %2d (input of micro-batch 1 only): |dE row| %.4f, finite differences %.4f, worst gap %.4f\n",
                      v, norm_of(dE + (size_t)v * d, d), norm_of(fd + (size_t)v * d, d), gap);
        wrong += gap > 0.01;
    }
    assert_true(rows > 0);
    assert_int_equal(wrong, rows);
    free(dE);
    free(fd);
    tl_model_destroy(m);
}

/* Prediction 5: the run learns (far below ln V = 5.545) but ends higher than
 * the same run on the unfused head, which the bug does not touch. */
static void training_with_accumulation_ends_above_the_unfused_head(void **state)
{
    (void)state;
    static float fused[STEPS], plain[STEPS];
    assert_int_equal(accum_run(TL_HEAD_FUSED, ACCUM, fused), TL_OK);
    assert_int_equal(accum_run(TL_HEAD_FAST, ACCUM, plain), TL_OK);
    double f = tl_mean(fused, STEPS - TAIL, STEPS), p = tl_mean(plain, STEPS - TAIL, STEPS);
    print_message("--accum %d --batch %d, mean of the last %d steps: fused head %.3f, unfused head %.3f "
                  "(step 100: %.4f vs %.4f)\n", ACCUM, MICRO_B, TAIL, f, p, (double)fused[100], (double)plain[100]);
    assert_true(f < 0.5 * log(256.0));
    assert_true(f > p + 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_micro_batch_gives_the_unfused_gradient),
        cmocka_unit_test(after_two_micro_batches_dE_holds_only_the_second),
        cmocka_unit_test(a_filled_dE_comes_out_holding_the_heads_gradient_alone),
        cmocka_unit_test(rows_fed_only_by_the_first_micro_batch_fail_finite_differences),
        cmocka_unit_test(training_with_accumulation_ends_above_the_unfused_head),
    };
    return tl_run_tests("lab14 symptoms", tests);
}
