/* test_model.c — the tiny tied model: init at ln(V), exact gradients, learning. */
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void default_config_is_tied_with_one_vocabulary(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    assert_true(c.tied);
    assert_int_equal(c.V_in, c.V_out);
    assert_true(c.init_std == TL_TIED_INIT_STD);
    assert_true(c.softcap == TL_SOFTCAP_DEFAULT);
}

static double loss_at_init(size_t V)
{
    tl_config c = tl_config_default();
    c.V_in = c.V_out = V;
    float loss;
    assert_int_equal(tl_loss_at_init(&c, 4, &loss), TL_OK);
    return (double)loss;
}

static void loss_at_init_is_within_2_percent_of_ln_V(void **state)
{
    (void)state;
    size_t Vs[] = { 256, 512 };
    for (size_t i = 0; i < 2; i++) {
        double L = loss_at_init(Vs[i]), lnV = log((double)Vs[i]);
        if (fabs(L - lnV) > 0.02 * lnV)
            fail_msg("V=%zu: loss at init %.4f, ln V %.4f", Vs[i], L, lnV);
    }
}

/* A small model with O(1) weights, ids repeated so both paths reach one row. */
static tl_model *small_model_with(int tied, tl_head_kernel kernel)
{
    tl_config c = tl_small_config();
    c.tied = tied;
    c.head_kernel = kernel;
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    tl_input r;   /* move the gains off 1 so their gradient is not a special case */
    tl_input_seed(&r, 4);
    for (size_t k = 0; k < c.d; k++) {
        m->g1[k] = 0.5f + tl_input_uniform(&r);
        m->g2[k] = 0.5f + tl_input_uniform(&r);
    }
    return m;
}

static tl_model *small_model(int tied)
{
    return small_model_with(tied, TL_HEAD_FAST);
}

/* Every head kernel: the blocked one the model runs by default, the plain
 * loops the labs run, and the head fused with the loss. */
static void tied_model_gradients_match_finite_differences(void **state)
{
    (void)state;
    for (int kernel = TL_HEAD_FAST; kernel <= TL_HEAD_FUSED; kernel++) {
        tl_model *m = small_model_with(1, (tl_head_kernel)kernel);
        int ids[5] = { 3, 7, 3, 11, 0 }, t[5] = { 7, 3, 3, 0, 11 };
        assert_int_equal(tl_gradients(m, NULL, ids, t, 5), TL_OK);
        size_t d = m->cfg.d, h = m->cfg.hidden;
        /* copies: the check re-runs forward, which must not see changed gradients */
        float *dE = malloc(m->V * d * sizeof *dE);
        memcpy(dE, m->dE, m->V * d * sizeof *dE);
        assert_true(tl_gradcheck_model("dE (lookup + head)", m, m->E, dE, m->V * d, 72, ids, t, 5));
        assert_true(tl_gradcheck_model("dW1", m, m->W1, m->dW1, h * d, 48, ids, t, 5));
        assert_true(tl_gradcheck_model("dW2", m, m->W2, m->dW2, d * h, 48, ids, t, 5));
        assert_true(tl_gradcheck_model("dg1", m, m->g1, m->dg1, d, 6, ids, t, 5));
        assert_true(tl_gradcheck_model("dg2", m, m->g2, m->dg2, d, 6, ids, t, 5));
        free(dE);
        tl_model_destroy(m);
    }
}

/* The head kernel changes only the order of additions: the same run, step
 * for step, to float rounding. An unknown kernel is refused by name. */
static void both_head_kernels_train_alike(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 30;
    float fast[30], ref[30], fused[30];
    assert_int_equal(tl_train_run(&c, 4, fast, NULL, NULL), TL_OK);
    c.head_kernel = TL_HEAD_REFERENCE;
    assert_int_equal(tl_train_run(&c, 4, ref, NULL, NULL), TL_OK);
    assert_true(tl_close("losses, fast head vs reference head", fast, ref, 30, 1e-4f, 1e-4f));
    c.head_kernel = TL_HEAD_FUSED;
    assert_int_equal(tl_train_run(&c, 4, fused, NULL, NULL), TL_OK);
    assert_true(tl_close("losses, fast head vs fused head + loss", fused, fast, 30, 1e-4f, 1e-4f));
    c.head_kernel = (tl_head_kernel)7;
    tl_model *m = NULL;
    assert_int_equal(tl_model_create(&m, &c), TL_EINVAL);
    assert_null(m);
    assert_true(tl_error_names(tl_last_error(), "tl_model_create", "7", NULL));
}

/* Two backward passes without zeroing must give twice every gradient: each
 * path adds, nothing clears a buffer that another path has written (the
 * fused head's chunks included). */
static void gradients_accumulate_over_two_backward_passes(void **state)
{
    (void)state;
    static const tl_head_kernel kernels[] = { TL_HEAD_FAST, TL_HEAD_FUSED };
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        tl_model *m = small_model_with(1, kernels[k]);
        int ids[5] = { 3, 7, 3, 11, 0 }, t[5] = { 7, 3, 3, 0, 11 };
        size_t nE = m->V * m->cfg.d, nW1 = m->cfg.hidden * m->cfg.d;
        assert_int_equal(tl_gradients(m, NULL, ids, t, 5), TL_OK);
        float *once = malloc((nE + nW1) * sizeof *once), *twice = malloc((nE + nW1) * sizeof *twice);
        memcpy(once, m->dE, nE * sizeof *once);
        memcpy(once + nE, m->dW1, nW1 * sizeof *once);
        for (size_t i = 0; i < nE + nW1; i++)
            once[i] *= 2.0f;
        assert_int_equal(tl_model_backward(m, t, 5), TL_OK);   /* no zero_grad in between */
        memcpy(twice, m->dE, nE * sizeof *twice);
        memcpy(twice + nE, m->dW1, nW1 * sizeof *twice);
        assert_true(tl_close("dE and dW1 after two backward passes", twice, once, nE + nW1, 1e-6f, 1e-5f));
        free(once);
        free(twice);
        tl_model_destroy(m);
    }
}

static void untied_model_gradients_match_finite_differences(void **state)
{
    (void)state;
    tl_model *m = small_model(0);
    int ids[5] = { 1, 2, 1, 9, 9 }, t[5] = { 2, 1, 9, 9, 4 };
    assert_int_equal(tl_gradients(m, NULL, ids, t, 5), TL_OK);
    assert_ptr_not_equal(m->head.W, m->E);
    assert_true(tl_gradcheck_model("dE (lookup only)", m, m->E, m->dE, m->V * m->cfg.d, 72, ids, t, 5));
    assert_true(tl_gradcheck_model("head dW", m, m->head.W, m->head.dW, m->head.V * m->cfg.d, 72, ids, t, 5));
    tl_model_destroy(m);
}

static void softcap_bounds_the_logits_and_keeps_gradients_exact(void **state)
{
    (void)state;
    tl_model *m = small_model(1);
    m->cfg.softcap = 1.5f;
    for (size_t i = 0; i < m->V * m->cfg.d; i++)
        m->E[i] *= 4.0f;                 /* logits well beyond the cap */
    int ids[5] = { 3, 7, 3, 11, 0 }, t[5] = { 7, 3, 3, 0, 11 };
    assert_int_equal(tl_gradients(m, NULL, ids, t, 5), TL_OK);
    float big = 0;
    for (size_t i = 0; i < 5 * m->V; i++) {
        assert_true(fabsf(m->logits[i]) <= 1.5f);
        big = fabsf(m->logits[i]) > big ? fabsf(m->logits[i]) : big;
    }
    assert_true(big > 1.2f);             /* the cap is actually in play */
    float *dE = malloc(m->V * m->cfg.d * sizeof *dE);
    memcpy(dE, m->dE, m->V * m->cfg.d * sizeof *dE);
    assert_true(tl_gradcheck_model("dE through the softcap", m, m->E, dE, m->V * m->cfg.d, 72, ids, t, 5));
    free(dE);
    tl_model_destroy(m);
}

static void tied_model_counts_E_once(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *t, *u;
    assert_int_equal(tl_model_create(&t, &c), TL_OK);
    c.tied = 0;
    assert_int_equal(tl_model_create(&u, &c), TL_OK);
    size_t V = c.V_out, d = c.d;
    assert_int_equal(tl_model_param_count(t), tl_tied_param_count(&c, V));
    assert_int_equal(tl_model_param_count(u), tl_tied_param_count(&c, V) + V * d);   /* + head W */
    assert_int_equal(tl_head_bytes_saved_by_tying(&t->head), 2 * V * d * sizeof(float));
    tl_model_destroy(t);
    tl_model_destroy(u);
    tl_model_destroy(NULL);
}

static void head_reads_the_current_E_after_training_steps(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 5;
    c.softcap = 0.0f;                    /* compare the raw h·Eᵀ */
    float losses[5];
    tl_model *m;
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, &m), TL_OK);
    assert_ptr_equal(m->head.W, m->E);
    int ids[2] = { 5, 200 };
    assert_int_equal(tl_model_forward(m, ids, 2), TL_OK);
    float *want = malloc(2 * m->V * sizeof *want);
    tl_fresh_logits(want, m->h, m->E, 2, c.d, m->V, 0.0f);
    assert_true(tl_close("logits vs fresh h·Eᵀ", m->logits, want, 2 * m->V, 1e-5f, 1e-4f));
    free(want);
    tl_model_destroy(m);
}

static void training_gets_well_below_ln_V_toward_H(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float first;
    double H, end;
    assert_int_equal(tl_train_ends(&c, 4, 30, &first, &end, &H), TL_OK);
    double lnV = log((double)c.V_out);
    print_message("loss %.3f at init, %.3f at the end; ln V %.3f, floor H %.3f\n",
                  (double)first, end, lnV, H);
    assert_true(end < H + 0.25 * (lnV - H));
    assert_true(end > H - 0.05);   /* no model beats the source's entropy rate */
}

static void same_seed_same_losses(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 20;
    float a[20], b[20];
    tl_train_run(&c, 4, a, NULL, NULL);
    tl_train_run(&c, 4, b, NULL, NULL);
    assert_memory_equal(a, b, sizeof a);
}

/* A tied model whose E has 512 rows for data with 256 classes never yields a
 * loss: it is refused with TL_ESHAPE and a message that names the call and
 * both sizes, at creation or at the latest at its first loss. Either place is
 * right (earlier is kinder); a loss computed over the wrong width is not. */
static void mismatched_vocabularies_are_refused_naming_both_sizes(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.V_in = 512;
    c.V_out = 256;
    tl_model *m = NULL;
    tl_err err = tl_model_create(&m, &c);
    if (err == TL_OK) {
        int ids[2] = { 1, 2 }, t[2] = { 2, 3 };
        float loss;
        err = tl_model_forward(m, ids, 2);
        if (err == TL_OK)
            err = tl_model_loss(m, &loss, t, 2);
        tl_model_destroy(m);
    } else {
        assert_null(m);
    }
    assert_int_equal(err, TL_ESHAPE);
    const char *msg = tl_last_error();
    print_message("refused: %s\n", msg);
    assert_true(tl_error_names(msg, "tl_", "512", "256", NULL));   /* "tl_<call>: ..." */
}

static void input_id_outside_the_vocabulary_is_an_error(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    tl_model_create(&m, &c);
    int ids[1] = { 256 };
    assert_int_equal(tl_model_forward(m, ids, 1), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_", "256", NULL));
    tl_model_destroy(m);
}

static void growing_the_vocabulary_reties_the_head_and_predicts_new_tokens(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 3;
    float losses[3];
    tl_model *m;
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, &m), TL_OK);
    assert_int_equal(tl_model_grow_vocab(m, 260), TL_OK);
    assert_int_equal(m->V, 260);
    assert_ptr_equal(m->head.W, m->E);
    assert_ptr_equal(m->head.dW, m->dE);
    assert_int_equal(m->head.V, 260);
    assert_int_equal(tl_model_param_count(m), tl_tied_param_count(&c, 260));
    int ids[2] = { 259, 3 }, t[2] = { 258, 259 };
    float loss;
    assert_int_equal(tl_model_train_step(m, &loss, ids, t, 2), TL_OK);
    assert_true(isfinite(loss));
    assert_true(m->probs[258] > 1e-4f && m->probs[260 + 259] > 1e-4f);
    assert_int_equal(tl_model_grow_vocab(m, 100), TL_ESHAPE);
    tl_model_destroy(m);
}

int test_model(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_config_is_tied_with_one_vocabulary),
        cmocka_unit_test(loss_at_init_is_within_2_percent_of_ln_V),
        cmocka_unit_test(tied_model_gradients_match_finite_differences),
        cmocka_unit_test(both_head_kernels_train_alike),
        cmocka_unit_test(gradients_accumulate_over_two_backward_passes),
        cmocka_unit_test(untied_model_gradients_match_finite_differences),
        cmocka_unit_test(softcap_bounds_the_logits_and_keeps_gradients_exact),
        cmocka_unit_test(tied_model_counts_E_once),
        cmocka_unit_test(head_reads_the_current_E_after_training_steps),
        cmocka_unit_test(training_gets_well_below_ln_V_toward_H),
        cmocka_unit_test(same_seed_same_losses),
        cmocka_unit_test(mismatched_vocabularies_are_refused_naming_both_sizes),
        cmocka_unit_test(input_id_outside_the_vocabulary_is_an_error),
        cmocka_unit_test(growing_the_vocabulary_reties_the_head_and_predicts_new_tokens),
    };
    return tl_run_group_tests("model", tests);
}
