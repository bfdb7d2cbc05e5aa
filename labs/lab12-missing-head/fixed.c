/* fixed.c — what must be true once lab 12 is fixed. Each test states what a
 * checkpoint's round trip must keep, not how the loader does it: a tied file
 * loads as a tied model whose head reads the loaded E (the same buffers), an
 * untied one keeps its own head, training goes on from a load as if it had
 * never stopped, and a file that lacks a weight the model needs is refused,
 * naming that weight, instead of leaving the weight at a fresh init.
 *
 * Copying E into the untied head after the load gives the right logits at
 * once, and fails the first and third tests: two buffers, V*d more
 * parameters, and a copy that drifts from E as training goes on. Always
 * tying fails the first (an untied file no longer loads as an untied
 * model); reading the right key but still skipping a missing weight, or
 * taking the tie from whether lm_head.weight is there, fails the last.
 * Expected values come from copies taken before the calls; the files are
 * made and edited with the grader's own safetensors writer, never the
 * library's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "lab.h"

enum { TRAINED = 12 };

/* The default config (V = 256, d = 64), tied or not. */
static tl_config config(int tied)
{
    tl_config c = tl_config_default();
    c.tied = tied;
    return c;
}

/* A copy (malloc'd) of n floats. */
static float *copy_of(const float *w, size_t n)
{
    float *c = malloc(n * sizeof *c);
    assert_non_null(c);
    memcpy(c, w, n * sizeof *c);
    return c;
}

/* Saved and loaded, each way, the model is the model that was saved: the
 * tie in memory is the tie of the file, with the same weights, and a tied
 * head is the loaded E itself, not a matrix of its own. */
static void a_tied_file_loads_tied_and_an_untied_file_untied(void **state)
{
    (void)state;
    for (int tied = 1; tied >= 0; tied--) {
        tl_config c = config(tied);
        tl_model *m = trained_model(&c, TRAINED);
        assert_non_null(m);
        size_t V = m->V, d = c.d, hV = m->head.V, count = tl_model_param_count(m);
        float *E = copy_of(m->E, V * d), *W = copy_of(m->head.W, hV * d);
        size_t len;
        unsigned char *b = save_bytes(m, 0, &len);
        assert_non_null(b);
        assert_true(tl_close("E after the save (saving must not change it)", m->E, E, V * d, 0, 0));
        tl_model *back = NULL;
        tl_err err = tl_model_load_bytes(&back, b, len, "lab12.safetensors", NULL);
        if (err)
            fail_msg("tied=%d: the load fails: %s", tied, tl_last_error());
        assert_non_null(back);
        print_message("tied=%d file: loaded head.tied = %d, head.W %s E, head.dW %s dE, %zu parameters (saved: %zu)\n",
                      tied, back->head.tied, back->head.W == back->E ? "==" : "!=",
                      back->head.dW == back->dE ? "==" : "!=", tl_model_param_count(back), count);
        if (!back->head.tied != !tied)
            fail_msg("a file saved %s (tied=%d) loads as %s model", tied ? "tied" : "untied", tied,
                     back->head.tied ? "a tied" : "an untied");
        assert_int_equal(back->V, V);
        assert_int_equal(back->head.V, hV);
        assert_int_equal(tl_model_param_count(back), count);
        assert_true(tl_close("E loaded vs E saved", back->E, E, V * d, 0, 0));
        if (tied) {
            assert_ptr_equal(back->head.W, back->E);
            assert_ptr_equal(back->head.dW, back->dE);
            assert_int_equal(back->head.d, d);
            assert_int_equal(count, tl_tied_param_count(&c, V));
            /* and a caller who asks for the tied model gets it */
            tl_model *again = NULL;
            err = tl_model_load_bytes(&again, b, len, "lab12.safetensors", &c);
            if (err)
                fail_msg("loading the tied file as the tied config it was saved with: %s", tl_last_error());
            assert_true(again->head.tied && again->head.W == again->E);
            tl_model_destroy(again);
        } else {
            assert_ptr_not_equal(back->head.W, back->E);
            assert_true(tl_close("the untied head loaded vs saved", back->head.W, W, hV * d, 0, 0));
        }
        free(E);
        free(W);
        free(b);
        tl_model_destroy(back);
        tl_model_destroy(m);
    }
}

/* The loaded model scores any batch as the saved one does: the same logits
 * for the same ids (drawn afresh by the grader), computed from copies of the
 * saved model's logits taken before the loaded model ran. */
static void the_loaded_tied_model_gives_the_saved_models_logits(void **state)
{
    (void)state;
    tl_config c = config(1);
    tl_model *m = trained_model(&c, TRAINED);
    assert_non_null(m);
    enum { B = 32 };
    size_t V = m->V;
    int ids[B];
    tl_input in;
    tl_input_seed(&in, 1212);
    for (size_t i = 0; i < B; i++) {
        ids[i] = (int)(tl_input_uniform(&in) * (float)V);
        if (ids[i] >= (int)V)
            ids[i] = (int)V - 1;
    }
    size_t len;
    unsigned char *b = save_bytes(m, 0, &len);
    assert_non_null(b);
    assert_int_equal(tl_model_forward(m, ids, B), TL_OK);
    float *want = copy_of(m->logits, B * V);
    tl_model *back = NULL;
    tl_err err = tl_model_load_bytes(&back, b, len, "lab12.safetensors", NULL);
    if (err)
        fail_msg("the load fails: %s", tl_last_error());
    assert_int_equal(tl_model_forward(back, ids, B), TL_OK);
    assert_int_equal(back->head.V, V);
    assert_true(tl_close("logits of the loaded model vs the saved one", back->logits, want, B * V, 1e-6f, 1e-5f));
    free(want);
    free(b);
    tl_model_destroy(back);
    tl_model_destroy(m);
}

/* 2N steps in one go, and N + save + load + N: the same losses. Every float
 * of the state is in the file, so the run after the load is the same run. */
static void training_after_a_load_goes_on_as_if_it_never_stopped(void **state)
{
    (void)state;
    enum { N = 20 };
    for (int tied = 1; tied >= 0; tied--) {
        tl_config c = config(tied);
        float straight[2 * N], resumed[2 * N];
        tl_trainer a, r;
        assert_int_equal(tl_trainer_start(&a, &c, 4), TL_OK);
        assert_int_equal(tl_trainer_start(&r, &c, 4), TL_OK);
        for (size_t i = 0; i < 2 * N; i++)
            assert_int_equal(tl_trainer_step(&a, &straight[i]), TL_OK);
        for (size_t i = 0; i < 2 * N; i++) {
            if (i == N) {
                size_t len;
                unsigned char *b = save_bytes(r.m, 0, &len);
                assert_non_null(b);
                tl_model *back = NULL;
                tl_err err = tl_model_load_bytes(&back, b, len, "resume.safetensors", NULL);
                free(b);
                if (err)
                    fail_msg("tied=%d: the load at step %d fails: %s", tied, N, tl_last_error());
                tl_model_destroy(r.m);
                r.m = back;
            }
            assert_int_equal(tl_trainer_step(&r, &resumed[i]), TL_OK);
        }
        print_message("tied=%d: step %d (the first after the load): loss %.4f in one run, %.4f resumed; "
                      "step %d: %.4f, %.4f\n", tied, N, (double)straight[N], (double)resumed[N], 2 * N - 1,
                      (double)straight[2 * N - 1], (double)resumed[2 * N - 1]);
        char what[64];
        snprintf(what, sizeof what, "tied=%d: losses resumed vs in one run", tied);
        assert_true(tl_close(what, resumed, straight, 2 * N, 1e-6f, 1e-6f));
        tl_trainer_end(&a, NULL);
        tl_trainer_end(&r, NULL);
    }
}

/* name appears in msg as a whole tensor name: "norm.weight" is not found in
 * "block.norm.weight" or "adam.m.norm.weight". */
static int names_tensor(const char *msg, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(msg, name); p; p = strstr(p + 1, name)) {
        char before = p == msg ? ' ' : p[-1], after = p[n];
        int part_before = before == '.' || before == '_' || (before >= 'a' && before <= 'z');
        int part_after = after == '.' || after == '_' || (after >= 'a' && after <= 'z');
        if (!part_before && !part_after)
            return 1;
    }
    return 0;
}

/* These bytes, which lack `what`, must be refused: an error, *out NULL, a
 * message that begins with the call and names the file and the tensor. */
static void refused_naming(const unsigned char *b, size_t len, const char *what, const char *file_kind)
{
    tl_model *out = (tl_model *)0x1;
    tl_err err = tl_model_load_bytes(&out, b, len, "incomplete.safetensors", NULL);
    if (err == TL_OK) {
        print_message("the %s file without %s loads as %s model with %zu parameters\n", file_kind, what,
                      out->head.tied ? "a tied" : "an untied", tl_model_param_count(out));
        tl_model_destroy(out);
        fail_msg("the %s file without %s loads: that weight is then whatever the model was made with",
                 file_kind, what);
    }
    const char *msg = tl_last_error();
    if (out)
        fail_msg("the %s file without %s is refused, but *out is %p, not NULL", file_kind, what, (void *)out);
    if (!tl_error_names(msg, "tl_model_load", NULL) || !tl_mentions(msg, "incomplete.safetensors") ||
        !names_tensor(msg, what))
        fail_msg("the %s file without %s is refused, but the message should begin with the call and name the file "
                 "and '%s': \"%s\"", file_kind, what, what, msg);
}

/* The file of a model of c (weights only or with Adam's moments) without
 * `drop` (and its moments), refused by the loader. */
static void refused_without(const tl_config *c, unsigned flags, const char *drop)
{
    static tl_st st;
    static tl_st_out o;
    tl_model *m = trained_model(c, 2);
    assert_non_null(m);
    size_t len;
    unsigned char *b = save_bytes(m, flags, &len);
    tl_model_destroy(m);
    assert_non_null(b);
    assert_true(tl_st_read(&st, b, len, NULL, 0));
    tl_st_copy(&o, &st);
    assert_true(tl_st_drop(&o, drop));
    char moment[96];
    snprintf(moment, sizeof moment, "adam.m.%s", drop);
    assert_int_equal(tl_st_drop(&o, moment), !flags);
    snprintf(moment, sizeof moment, "adam.v.%s", drop);
    assert_int_equal(tl_st_drop(&o, moment), !flags);
    size_t n;
    unsigned char *bad = tl_st_write(&o, &n);
    assert_non_null(bad);
    char kind[64];
    snprintf(kind, sizeof kind, "%s%s", c->tied ? "tied" : "untied", flags ? " weights-only" : "");
    refused_naming(bad, n, drop, kind);
    free(bad);
    free(b);
}

static void a_file_that_lacks_a_weight_is_refused_naming_it(void **state)
{
    (void)state;
    static const char *const weights[] = { "embed.weight", "block.norm.weight", "block.up.weight",
                                           "block.down.weight", "norm.weight", "lm_head.weight" };
    tl_config tied = config(1), untied = config(0);
    /* with Adam's moments: the head of an untied file, a weight of a tied one */
    refused_without(&untied, 0, "lm_head.weight");
    refused_without(&tied, 0, "block.up.weight");
    /* weights only: every weight of each kind of model, one at a time */
    for (size_t i = 0; i < 6; i++) {
        if (i < 5)
            refused_without(&tied, TL_SAVE_WEIGHTS_ONLY, weights[i]);
        refused_without(&untied, TL_SAVE_WEIGHTS_ONLY, weights[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tied_file_loads_tied_and_an_untied_file_untied),
        cmocka_unit_test(the_loaded_tied_model_gives_the_saved_models_logits),
        cmocka_unit_test(training_after_a_load_goes_on_as_if_it_never_stopped),
        cmocka_unit_test(a_file_that_lacks_a_weight_is_refused_naming_it),
    };
    return tl_run_tests("lab12 fixed", tests);
}
