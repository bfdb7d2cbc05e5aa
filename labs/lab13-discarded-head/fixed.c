/* fixed.c — what must be true once lab 13 is fixed. Every test fails on the
 * broken loader, which ties whatever file it reads and leaves the tensors it
 * has no place for unread. Each test states a property of loading, not the
 * reference fix's shape: the file's own tie decides how it loads (so "never
 * tie" fails the first test as "always tie" does), an untied model comes back
 * with its own head and trains on as if it never stopped, a head the file
 * holds is never dropped in silence (refusing the file and loading it with
 * that head are both accepted), and a caller that expects a tie the file
 * does not have is told so. Copying lm_head.weight into E after the load
 * fails the first two: the model is still tied, and its input embedding is
 * gone. Values are compared with private copies taken before the save, and
 * error messages are read for what they name, never for their wording. */
#include "lab.h"

/* The file says tied=1 or tied=0, and the model it loads is that: a tied head
 * is E itself (the same pointers), an untied one a matrix of its own. The
 * parameter count is the saved model's: V·d more when untied. */
static void each_file_loads_with_the_tie_it_was_saved_with(void **state)
{
    (void)state;
    for (int tied = 1; tied >= 0; tied--) {
        tl_config c = lab_config(tied);
        tl_model *m = trained_model(tied, 10), *back = NULL;
        assert_non_null(m);
        size_t len, want = tl_tied_param_count(&c, m->V) + (tied ? 0 : m->V * c.d);
        assert_int_equal(tl_model_param_count(m), want);
        unsigned char *b = checkpoint_of(m, 0, &len);
        assert_non_null(b);
        tl_st st;
        assert_true(tl_st_read(&st, b, len, NULL, 0));
        assert_string_equal(tl_st_meta(&st, "tied"), tied ? "1" : "0");
        tl_err err = tl_model_load_bytes(&back, b, len, tied ? "tied.safetensors" : "untied.safetensors", NULL);
        if (err)
            fail_msg("a file saved with tied=%d does not load: %s", tied, tl_last_error());
        assert_non_null(back);
        print_message("saved tied=%d, %zu params; loaded: head %s, head.W %s E, %zu params\n", tied, want,
                      back->head.tied ? "tied" : "untied", back->head.W == back->E ? "==" : "!=",
                      tl_model_param_count(back));
        if (!!back->head.tied != tied)
            fail_msg("a file saved with tied=%d loaded %s", tied, back->head.tied ? "tied: its head is E" : "untied");
        if (tied) {
            assert_ptr_equal(back->head.W, back->E);
            assert_ptr_equal(back->head.dW, back->dE);
        } else {
            assert_ptr_not_equal(back->head.W, back->E);
            assert_ptr_not_equal(back->head.dW, back->dE);
        }
        assert_int_equal(back->head.V, m->head.V);
        assert_int_equal(tl_model_param_count(back), want);
        free(b);
        tl_model_destroy(back);
        tl_model_destroy(m);
    }
}

/* An untied model saved and loaded is the same model: its E and its head
 * hold the values they held before the save, and it gives the same logits
 * for the same ids. */
static void an_untied_model_comes_back_with_its_own_head_and_logits(void **state)
{
    (void)state;
    enum { B = 16 };
    tl_model *m = trained_model(0, 20), *back = NULL;
    assert_non_null(m);
    size_t V = m->V, d = m->cfg.d, Vh = m->head.V, len;
    int ids[B];
    input_ids(ids, B, V, 1301);
    assert_int_equal(tl_model_forward(m, ids, B), TL_OK);
    float *E = tl_copy_floats(m->E, V * d), *W = tl_copy_floats(m->head.W, Vh * d);
    float *logits = tl_copy_floats(m->logits, B * Vh);
    assert_true(E && W && logits);
    assert_true(tl_max_abs_diff(W, E, V * d) > 0.0);   /* a head of its own */
    unsigned char *b = checkpoint_of(m, 0, &len);
    assert_non_null(b);
    tl_model_destroy(m);
    tl_err err = tl_model_load_bytes(&back, b, len, "untied.safetensors", NULL);
    if (err)
        fail_msg("the untied file does not load: %s", tl_last_error());
    if (back->head.tied)
        fail_msg("the untied file loaded tied: its head is E, not the head that was saved");
    assert_ptr_not_equal(back->head.W, back->E);
    assert_int_equal(back->V, V);
    assert_int_equal(back->head.V, Vh);
    assert_true(tl_close("E after the load vs E before the save", back->E, E, V * d, 0.0f, 0.0f));
    assert_true(tl_close("head.W after the load vs head.W before the save", back->head.W, W, Vh * d, 0.0f, 0.0f));
    assert_int_equal(tl_model_forward(back, ids, B), TL_OK);
    print_message("max |logit after the load - logit before the save|: %.3g over %d ids\n",
                  tl_max_abs_diff(back->logits, logits, B * Vh), B);
    assert_true(tl_close("logits after the load vs before the save", back->logits, logits, B * Vh, 1e-6f, 1e-6f));
    free(E);
    free(W);
    free(logits);
    free(b);
    tl_model_destroy(back);
}

/* 20 steps in one go, and 10 + save + load + 10: the same losses, tied and
 * untied. The file holds every weight and both of Adam's moments of each, so
 * a loaded model is the one that was saved, optimizer and all. */
static void training_goes_on_after_a_load_as_if_it_never_stopped(void **state)
{
    (void)state;
    enum { N = 20, AT = 10 };
    for (int tied = 1; tied >= 0; tied--) {
        tl_config c = lab_config(tied);
        float straight[N], resumed[N];
        tl_trainer a, r;
        assert_int_equal(tl_trainer_start(&a, &c, 4), TL_OK);
        assert_int_equal(tl_trainer_start(&r, &c, 4), TL_OK);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(tl_trainer_step(&a, &straight[i]), TL_OK);
        for (size_t i = 0; i < N; i++) {
            if (i == AT) {
                size_t len;
                unsigned char *b = checkpoint_of(r.m, 0, &len);
                assert_non_null(b);
                tl_model *back = NULL;
                tl_err err = tl_model_load_bytes(&back, b, len, "resume.safetensors", NULL);
                free(b);
                if (err)
                    fail_msg("tied=%d: the checkpoint of step %d does not load: %s", tied, AT, tl_last_error());
                tl_model_destroy(r.m);
                r.m = back;
            }
            assert_int_equal(tl_trainer_step(&r, &resumed[i]), TL_OK);
        }
        print_message("tied=%d: loss at step %d: %.4f in one run, %.4f right after the load (ln %zu = %.3f)\n",
                      tied, AT, (double)straight[AT], (double)resumed[AT], c.V_out, log((double)c.V_out));
        assert_true(tl_close(tied ? "tied: losses resumed vs in one run" : "untied: losses resumed vs in one run",
                             resumed, straight, N, 1e-6f, 1e-6f));
        tl_trainer_end(&a, NULL);
        tl_trainer_end(&r, NULL);
    }
}

/* A file that says tied=1 but also holds an lm_head.weight unlike its E
 * (drawn here) is not what it says. Loading it must not drop that tensor:
 * either the file is refused, with *out NULL and a message that names the
 * tensor or the tie, or the model loads untied with that tensor as its head.
 * Loaded tied with the tensor thrown away is the one wrong answer. With and
 * without Adam's moments in the file. */
static void a_head_the_file_holds_is_never_dropped_in_silence(void **state)
{
    (void)state;
    for (unsigned flags = 0; flags <= TL_SAVE_WEIGHTS_ONLY; flags += TL_SAVE_WEIGHTS_ONLY) {
        tl_model *m = trained_model(1, 5), *back = (tl_model *)0x1;
        assert_non_null(m);
        size_t V = m->V, d = m->cfg.d, len, flen;
        unsigned char *b = checkpoint_of(m, flags, &len);
        assert_non_null(b);
        tl_model_destroy(m);
        tl_st st;
        static tl_st_out o;
        assert_true(tl_st_read(&st, b, len, NULL, 0));
        assert_null(tl_st_find(&st, "lm_head.weight"));
        tl_st_copy(&o, &st);
        float *head = malloc(V * d * sizeof *head), *E = malloc(V * d * sizeof *E);
        assert_true(head && E);
        tl_input in;
        tl_input_seed(&in, 1302 + flags);
        tl_input_fill(head, V * d, 0.5f, &in);
        const tl_st_tensor *e = tl_st_find(&st, "embed.weight");
        assert_non_null(e);
        assert_int_equal(tl_st_numel(e), V * d);
        tl_st_floats(E, &st, e);
        size_t shape[2] = { V, d };
        tl_st_put(&o, "lm_head.weight", "F32", 2, shape, head, V * d * sizeof *head);
        unsigned char *f = tl_st_write(&o, &flen);
        assert_non_null(f);
        tl_err err = tl_model_load_bytes(&back, f, flen, "crafted.safetensors", NULL);
        if (err) {
            const char *msg = tl_last_error();
            print_message("%s: refused: %s\n", flags ? "weights only" : "with moments", msg);
            assert_null(back);
            if (!strstr(msg, "lm_head.weight") && !strstr(msg, "tied"))
                fail_msg("refused, but the message names neither lm_head.weight nor the tie: \"%s\"", msg);
        } else {
            assert_non_null(back);
            print_message("%s: loaded %s, max |head.W - lm_head.weight| = %.3g\n", flags ? "weights only" : "with moments",
                          back->head.tied ? "tied" : "untied", tl_max_abs_diff(back->head.W, head, V * d));
            if (back->head.tied)
                fail_msg("a tied=1 file with an lm_head.weight unlike its E loaded tied: the tensor was dropped");
            assert_int_equal(back->head.V, V);
            assert_true(tl_close("the loaded head vs the file's lm_head.weight", back->head.W, head, V * d, 0.0f, 0.0f));
            assert_true(tl_close("the loaded E vs the file's embed.weight", back->E, E, V * d, 0.0f, 0.0f));
            tl_model_destroy(back);
        }
        free(f);
        free(head);
        free(E);
        free(b);
    }
}

/* want says which model the caller expects. An untied file asked for as a
 * tied model is refused (*out NULL, the message names the call and the
 * tie): the file's tie is read and checked, never assumed. So is a tied file
 * asked for as untied, and each loads when asked for as what it is. */
static void a_tie_the_file_does_not_have_is_refused(void **state)
{
    (void)state;
    for (int tied = 0; tied <= 1; tied++) {
        tl_model *m = trained_model(tied, 5), *back = (tl_model *)0x1;
        assert_non_null(m);
        size_t len;
        unsigned char *b = checkpoint_of(m, 0, &len);
        assert_non_null(b);
        tl_model_destroy(m);
        tl_config want = lab_config(!tied);
        tl_err err = tl_model_load_bytes(&back, b, len, "other.safetensors", &want);
        print_message("a tied=%d file, asked for with want->tied = %d: %s%s%s\n", tied, !tied, tl_strerror(err),
                      err ? ": " : "", err ? tl_last_error() : "");
        if (!err) {
            tl_model_destroy(back);
            fail_msg("a tied=%d file loaded for a caller that wants tied=%d", tied, !tied);
        }
        assert_null(back);
        assert_true(tl_error_names(tl_last_error(), "tl_model_load", NULL));
        assert_true(tl_mentions(tl_last_error(), "tied"));
        want = lab_config(tied);
        err = tl_model_load_bytes(&back, b, len, "same.safetensors", &want);
        if (err)
            fail_msg("a tied=%d file asked for as tied=%d does not load: %s", tied, tied, tl_last_error());
        assert_int_equal(!!back->head.tied, tied);
        tl_model_destroy(back);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_file_loads_with_the_tie_it_was_saved_with),
        cmocka_unit_test(an_untied_model_comes_back_with_its_own_head_and_logits),
        cmocka_unit_test(training_goes_on_after_a_load_as_if_it_never_stopped),
        cmocka_unit_test(a_head_the_file_holds_is_never_dropped_in_silence),
        cmocka_unit_test(a_tie_the_file_does_not_have_is_refused),
    };
    return tl_run_tests("lab13 fixed", tests);
}
