/* symptoms.c — lab 12's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there.
 *
 * The checkpoint is the one `train --reload-at 150` makes: the default tied
 * model after 150 steps, with Adam's moments. The file is read with the
 * grader's own reader (tests/safetensors.h), never with the library's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "lab.h"

enum { AT = 150 };

/* The model at step 150 and its file, made once for every test. */
static tl_model *saved;
static unsigned char *file;
static size_t file_len;

static void the_checkpoint(void)
{
    if (saved)
        return;
    tl_config c = tl_config_default();
    saved = trained_model(&c, AT);
    assert_non_null(saved);
    file = save_bytes(saved, 0, &file_len);
    assert_non_null(file);
}

static tl_model *loaded(void)
{
    the_checkpoint();
    tl_model *back = NULL;
    assert_int_equal(tl_model_load_bytes(&back, file, file_len, "lab12.safetensors", NULL), TL_OK);
    assert_non_null(back);
    return back;
}

/* Prediction 1: the saver is right. The file holds E once, as embed.weight,
 * no lm_head.weight, and says tied=1; it has no tie_word_embeddings. */
static void the_file_stores_E_once_says_tied_1_and_has_no_lm_head(void **state)
{
    (void)state;
    the_checkpoint();
    static tl_st st;
    char why[200];
    if (!tl_st_read(&st, file, file_len, why, sizeof why))
        fail_msg("%s", why);
    const char *tied = tl_st_meta(&st, "tied"), *hf = tl_st_meta(&st, "tie_word_embeddings");
    print_message("%zu tensors (5 weights and their Adam moments), lm_head.weight %s; tied=%s, "
                  "tie_word_embeddings %s\n", st.n, tl_st_find(&st, "lm_head.weight") ? "present" : "absent",
                  tied ? tied : "(absent)", hf ? hf : "absent");
    assert_int_equal(st.n, 15);
    assert_non_null(tl_st_find(&st, "embed.weight"));
    assert_null(tl_st_find(&st, "lm_head.weight"));
    assert_non_null(tied);
    assert_string_equal(tied, "1");
    assert_null(hf);
}

/* Prediction 2: the loaded model is untied: its head has a matrix and a
 * gradient of its own, and neither is E's. */
static void the_loaded_model_is_untied_and_its_head_is_not_E(void **state)
{
    (void)state;
    tl_model *back = loaded();
    print_message("saved: head.tied = %d, head.W %s E; loaded: head.tied = %d, head.W %s E, head.dW %s dE\n",
                  saved->head.tied, saved->head.W == saved->E ? "==" : "!=", back->head.tied,
                  back->head.W == back->E ? "==" : "!=", back->head.dW == back->dE ? "==" : "!=");
    assert_true(saved->head.tied);
    assert_false(back->head.tied);
    assert_ptr_not_equal(back->head.W, back->E);
    assert_ptr_not_equal(back->head.dW, back->dE);
    tl_model_destroy(back);
}

/* Prediction 3: the optimizer now steps one more V x d matrix. */
static void the_loaded_model_has_V_times_d_more_parameters(void **state)
{
    (void)state;
    tl_model *back = loaded();
    size_t before = tl_model_param_count(saved), after = tl_model_param_count(back);
    size_t Vd = saved->V * saved->cfg.d;
    print_message("%zu parameters before the save, %zu after the load (+%zu; V*d = %zu)\n", before, after,
                  after - before, Vd);
    assert_int_equal(before, tl_tied_param_count(&saved->cfg, saved->V));
    assert_int_equal(after, before + Vd);
    tl_model_destroy(back);
}

/* Prediction 4: E is the trained E, bit for bit; the head is a fresh draw at
 * init_std (0.02), the very head tl_model_create gives an untied model of
 * this config. Nothing of it comes from the file. */
static void the_loaded_head_is_a_fresh_init_while_E_is_the_saved_E(void **state)
{
    (void)state;
    tl_model *back = loaded();
    size_t n = back->V * back->cfg.d;
    tl_config c = back->cfg;
    tl_model *fresh;
    assert_int_equal(tl_model_create(&fresh, &c), TL_OK);   /* the file's config: untied, seed 1 */
    double dE = tl_max_abs_diff(back->E, saved->E, n), sE = tl_std_of(back->E, n);
    double sW = tl_std_of(back->head.W, n), dfresh = tl_max_abs_diff(back->head.W, fresh->head.W, n);
    print_message("max |E loaded - E saved| = %g (E's std %.4f); head.W's std %.4f (init_std %g), "
                  "max |head.W - a fresh untied model's head| = %g\n", dE, sE, sW, (double)c.init_std, dfresh);
    assert_true(dE == 0.0);
    assert_true(fabs(sW - (double)c.init_std) < 0.1 * (double)c.init_std);
    assert_true(sE > 3.0 * sW);
    assert_true(dfresh == 0.0);
    tl_model_destroy(fresh);
    tl_model_destroy(back);
}

/* Prediction 5: the first step after the load scores like an untrained
 * model, near ln V, where the run that never stopped is near 2. */
static void the_first_step_after_the_load_is_near_ln_V(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_trainer a, r;
    float la = NAN, lr = NAN;
    assert_int_equal(tl_trainer_start(&a, &c, 4), TL_OK);
    assert_int_equal(tl_trainer_start(&r, &c, 4), TL_OK);
    for (size_t s = 0; s < AT; s++) {
        assert_int_equal(tl_trainer_step(&a, &la), TL_OK);
        assert_int_equal(tl_trainer_step(&r, &lr), TL_OK);
    }
    size_t len;
    unsigned char *b = save_bytes(r.m, 0, &len);
    assert_non_null(b);
    tl_model *back = NULL;
    assert_int_equal(tl_model_load_bytes(&back, b, len, "lab12.safetensors", NULL), TL_OK);
    free(b);
    tl_model_destroy(r.m);
    r.m = back;
    assert_int_equal(tl_trainer_step(&a, &la), TL_OK);
    assert_int_equal(tl_trainer_step(&r, &lr), TL_OK);
    double lnV = log((double)c.V_out);
    print_message("step %d: loss %.3f in the run that never stopped, %.3f after the load (ln V = %.3f)\n", AT,
                  (double)la, (double)lr, lnV);
    assert_true(fabs((double)lr - lnV) < 0.05);
    assert_true((double)la < 0.5 * lnV);
    tl_trainer_end(&a, NULL);
    tl_trainer_end(&r, NULL);
}

/* Prediction 6: the missing head is no accident of the tie: a file that
 * lacks any weight (here block.up.weight and its two moments) loads without
 * a word, and that weight is a fresh draw too. */
static void a_file_without_block_up_weight_loads_without_a_word(void **state)
{
    (void)state;
    the_checkpoint();
    static tl_st st;
    static tl_st_out o;
    assert_true(tl_st_read(&st, file, file_len, NULL, 0));
    tl_st_copy(&o, &st);
    assert_true(tl_st_drop(&o, "block.up.weight"));
    assert_true(tl_st_drop(&o, "adam.m.block.up.weight"));
    assert_true(tl_st_drop(&o, "adam.v.block.up.weight"));
    size_t len;
    unsigned char *b = tl_st_write(&o, &len);
    assert_non_null(b);
    tl_model *back = NULL;
    tl_err err = tl_model_load_bytes(&back, b, len, "no-up.safetensors", NULL);
    free(b);
    print_message("without block.up.weight: %s%s%s\n", tl_strerror(err), err ? ": " : "",
                  err ? tl_last_error() : "");
    assert_int_equal(err, TL_OK);
    size_t n = back->cfg.hidden * back->cfg.d;
    tl_model *fresh;
    assert_int_equal(tl_model_create(&fresh, &back->cfg), TL_OK);
    double dsaved = tl_max_abs_diff(back->W1, saved->W1, n), dfresh = tl_max_abs_diff(back->W1, fresh->W1, n);
    print_message("  W1: max |loaded - saved| = %.3g, max |loaded - a fresh model's| = %g\n", dsaved, dfresh);
    assert_true(dsaved > 0.0);
    assert_true(dfresh == 0.0);
    tl_model_destroy(fresh);
    tl_model_destroy(back);
}

/* Prediction 7: a caller who asks for the tied model the file was saved as
 * is refused: the loader says the file is untied. */
static void asking_for_the_tied_model_it_was_saved_as_is_refused(void **state)
{
    (void)state;
    the_checkpoint();
    tl_config want = tl_config_default();
    tl_model *back = NULL;
    tl_err err = tl_model_load_bytes(&back, file, file_len, "lab12.safetensors", &want);
    print_message("want tied: %s: %s\n", tl_strerror(err), tl_last_error());
    assert_int_equal(err, TL_ESHAPE);
    assert_null(back);
    assert_true(tl_mentions(tl_last_error(), "untied (tied=0)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_file_stores_E_once_says_tied_1_and_has_no_lm_head),
        cmocka_unit_test(the_loaded_model_is_untied_and_its_head_is_not_E),
        cmocka_unit_test(the_loaded_model_has_V_times_d_more_parameters),
        cmocka_unit_test(the_loaded_head_is_a_fresh_init_while_E_is_the_saved_E),
        cmocka_unit_test(the_first_step_after_the_load_is_near_ln_V),
        cmocka_unit_test(a_file_without_block_up_weight_loads_without_a_word),
        cmocka_unit_test(asking_for_the_tied_model_it_was_saved_as_is_refused),
    };
    return tl_run_tests("lab12 symptoms", tests);
}
