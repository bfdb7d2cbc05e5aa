/* symptoms.c — lab 13's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there.
 *
 * The model is the one train --untied --reload-at 150 saves: the default
 * config, untied, after 150 steps on train's data (tl_trainer gives the same
 * batches). Its checkpoint is made once and loaded by each test. */
#include "lab.h"

enum { AT = 150 };

typedef struct {
    unsigned char *bytes;   /* the checkpoint at step AT */
    size_t len;
    size_t params;          /* the saved model's count */
    float loss_before;      /* the step-AT batch, scored by the saved model */
    int *ids, *targets;     /* that batch */
    size_t B;
    float *logits;          /* [B, V] of the saved model on it */
} saved_run;

/* The untied run up to step AT, saved; the batch of step AT scored by the
 * model before the save. Made once, then shared. */
static const saved_run *untied_run(void)
{
    static saved_run r;
    if (r.bytes)
        return &r;
    tl_config c = lab_config(0);
    tl_trainer t;
    float loss;
    assert_int_equal(tl_trainer_start(&t, &c, 4), TL_OK);
    for (size_t s = 0; s < AT; s++)
        assert_int_equal(tl_trainer_step(&t, &loss), TL_OK);
    r.B = t.B;
    r.ids = malloc(r.B * sizeof *r.ids);
    r.targets = malloc(r.B * sizeof *r.targets);
    assert_true(r.ids && r.targets);
    memcpy(r.ids, t.ids, r.B * sizeof *r.ids);
    ref_tl_markov_step(t.mk, r.targets, r.ids, r.B, &t.rng);   /* step AT's targets, as train draws them */
    r.params = tl_model_param_count(t.m);
    r.bytes = checkpoint_of(t.m, 0, &r.len);
    assert_non_null(r.bytes);
    assert_int_equal(batch_loss(t.m, &r.loss_before, r.ids, r.targets, r.B), TL_OK);
    r.logits = tl_copy_floats(t.m->logits, r.B * t.m->head.V);
    assert_non_null(r.logits);
    tl_trainer_end(&t, NULL);
    return &r;
}

static tl_model *load_untied_run(const saved_run *r)
{
    tl_model *m = NULL;
    tl_err err = tl_model_load_bytes(&m, r->bytes, r->len, "untied.safetensors", NULL);
    if (err)
        fail_msg("the untied checkpoint does not load: %s", tl_last_error());
    return m;
}

/* Prediction 1: the file is right. It says tied=0 and holds a trained head,
 * lm_head.weight, that is not E, with its two Adam moments. */
static void the_file_says_tied_0_and_holds_a_head_unlike_E(void **state)
{
    (void)state;
    const saved_run *r = untied_run();
    tl_st st;
    char why[200];
    if (!tl_st_read(&st, r->bytes, r->len, why, sizeof why))
        fail_msg("%s", why);
    const tl_st_tensor *h = tl_st_find(&st, "lm_head.weight"), *e = tl_st_find(&st, "embed.weight");
    assert_true(h && e);
    assert_int_equal(tl_st_numel(h), tl_st_numel(e));
    size_t n = tl_st_numel(h);
    float *hw = malloc(n * sizeof *hw), *ew = malloc(n * sizeof *ew);
    assert_true(hw && ew);
    tl_st_floats(hw, &st, h);
    tl_st_floats(ew, &st, e);
    double gap = tl_max_abs_diff(hw, ew, n);
    print_message("tied=%s, %zu tensors, lm_head.weight [%zu, %zu]; max |lm_head.weight - embed.weight| = %.3f\n",
                  tl_st_meta(&st, "tied"), st.n, h->shape[0], h->shape[1], gap);
    assert_string_equal(tl_st_meta(&st, "tied"), "0");
    assert_non_null(tl_st_find(&st, "adam.m.lm_head.weight"));
    assert_non_null(tl_st_find(&st, "adam.v.lm_head.weight"));
    assert_true(gap > 0.1);
    free(hw);
    free(ew);
}

/* Prediction 2: it loads without an error, as a tied model: the head is E. */
static void the_untied_file_loads_as_a_tied_model_whose_head_is_E(void **state)
{
    (void)state;
    tl_model *m = load_untied_run(untied_run());
    print_message("loaded: head.tied = %d, head.W %s E, head.dW %s dE\n", m->head.tied,
                  m->head.W == m->E ? "==" : "!=", m->head.dW == m->dE ? "==" : "!=");
    assert_true(m->head.tied);
    assert_ptr_equal(m->head.W, m->E);
    assert_ptr_equal(m->head.dW, m->dE);
    tl_model_destroy(m);
}

/* Prediction 3: V·d parameters (the head) are gone, with their moments. */
static void the_loaded_model_has_V_times_d_fewer_parameters(void **state)
{
    (void)state;
    const saved_run *r = untied_run();
    tl_model *m = load_untied_run(r);
    size_t Vd = m->V * m->cfg.d;
    print_message("%zu params saved, %zu loaded (%zu fewer; V*d = %zu)\n", r->params,
                  tl_model_param_count(m), r->params - tl_model_param_count(m), Vd);
    assert_int_equal(tl_model_param_count(m) + Vd, r->params);
    tl_model_destroy(m);
}

/* Prediction 4: the same batch gets other logits: the trained hidden states
 * are now scored against the rows of E, not against the head's. */
static void the_same_batch_gets_other_logits_after_the_load(void **state)
{
    (void)state;
    const saved_run *r = untied_run();
    tl_model *m = load_untied_run(r);
    assert_int_equal(tl_model_forward(m, r->ids, r->B), TL_OK);
    double gap = tl_max_abs_diff(m->logits, r->logits, r->B * m->head.V);
    print_message("max |logit after the load - logit before the save| = %.3f over a batch of %zu\n", gap, r->B);
    assert_true(gap > 1.0);
    tl_model_destroy(m);
}

/* Prediction 5: the loss of the next batch, 2.2 before the save, is above
 * ln V after the load: worse than a model that knows nothing. */
static void the_next_batch_scores_worse_than_uniform_after_the_load(void **state)
{
    (void)state;
    const saved_run *r = untied_run();
    tl_model *m = load_untied_run(r);
    float after;
    assert_int_equal(batch_loss(m, &after, r->ids, r->targets, r->B), TL_OK);
    double lnV = log((double)m->V);
    print_message("step %d's batch: loss %.3f before the save, %.3f after the load (ln %zu = %.3f)\n", AT,
                  (double)r->loss_before, (double)after, m->V, lnV);
    assert_true((double)r->loss_before < 0.5 * lnV);
    assert_true((double)after > lnV);
    tl_model_destroy(m);
}

/* Prediction 6: a caller whose config says tied gets its tied model from the
 * untied file, without a word: the file's tie is never compared. */
static void a_caller_that_wants_tied_gets_a_tied_model_from_the_untied_file(void **state)
{
    (void)state;
    const saved_run *r = untied_run();
    tl_config want = lab_config(1);
    tl_model *m = NULL;
    tl_err err = tl_model_load_bytes(&m, r->bytes, r->len, "untied.safetensors", &want);
    print_message("want->tied = 1 on a tied=0 file: %s, head.tied = %d\n", tl_strerror(err), m ? m->head.tied : -1);
    assert_int_equal(err, TL_OK);
    assert_true(m->head.tied);
    tl_model_destroy(m);
}

/* Prediction 7: a tensor that no model has loads without a word either: the
 * loader reads what it looks for and leaves the rest. */
static void a_tensor_no_model_has_is_left_unread_without_a_word(void **state)
{
    (void)state;
    tl_model *m = trained_model(1, 2), *back = NULL;
    assert_non_null(m);
    size_t len, flen, sh = 3;
    unsigned char *b = checkpoint_of(m, 0, &len);
    assert_non_null(b);
    tl_model_destroy(m);
    tl_st st;
    static tl_st_out o;
    static const float three[3] = { 1, 2, 3 };
    assert_true(tl_st_read(&st, b, len, NULL, 0));
    tl_st_copy(&o, &st);
    tl_st_put(&o, "extra.bias", "F32", 1, &sh, three, sizeof three);
    unsigned char *f = tl_st_write(&o, &flen);
    assert_non_null(f);
    tl_err err = tl_model_load_bytes(&back, f, flen, "extra.safetensors", NULL);
    print_message("a tied file with a tensor 'extra.bias' added: %s\n", tl_strerror(err));
    assert_int_equal(err, TL_OK);
    tl_model_destroy(back);
    free(f);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_file_says_tied_0_and_holds_a_head_unlike_E),
        cmocka_unit_test(the_untied_file_loads_as_a_tied_model_whose_head_is_E),
        cmocka_unit_test(the_loaded_model_has_V_times_d_fewer_parameters),
        cmocka_unit_test(the_same_batch_gets_other_logits_after_the_load),
        cmocka_unit_test(the_next_batch_scores_worse_than_uniform_after_the_load),
        cmocka_unit_test(a_caller_that_wants_tied_gets_a_tied_model_from_the_untied_file),
        cmocka_unit_test(a_tensor_no_model_has_is_left_unread_without_a_word),
    };
    return tl_run_tests("lab13 symptoms", tests);
}
