/* test_checkpoint.c — safetensors save and load: a tied model stores E once
 * and loads tied, a resumed model trains exactly as one never stopped, and
 * every kind of bad file is one error naming the file and what is wrong.
 * Files are read and made with the grader's own reader (tests/safetensors.h),
 * never with the library's. */
#include "unit.h"
#include "safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tl_config ckpt_config(int tied)
{
    tl_config c = tl_config_default();
    c.V_in = c.V_out = 64;
    c.d = 16;
    c.hidden = 32;
    c.batch = 8;
    c.tied = tied;
    return c;
}

/* A model of c after `steps` training steps (Adam's moments not zero). */
static tl_model *trained(const tl_config *c, size_t steps)
{
    tl_trainer t;
    float loss;
    assert_int_equal(tl_trainer_start(&t, c, 4), TL_OK);
    for (size_t i = 0; i < steps; i++)
        assert_int_equal(tl_trainer_step(&t, &loss), TL_OK);
    tl_model *m = NULL;
    tl_trainer_end(&t, &m);
    return m;
}

/* The checkpoint's bytes (malloc'd), through the size query first. */
static unsigned char *save(const tl_model *m, unsigned flags, const char *meta, size_t *len)
{
    size_t need = 0, got = 0;
    assert_int_equal(tl_model_save_bytes(NULL, 0, &need, m, flags, meta), TL_OK);
    assert_true(need > 8);
    unsigned char *b = malloc(need);
    assert_non_null(b);
    assert_int_equal(tl_model_save_bytes(b, need, &got, m, flags, meta), TL_OK);
    assert_int_equal(got, need);
    *len = got;
    return b;
}

static void same_floats(const char *what, const float *a, const float *b, size_t n)
{
    if (memcmp(a, b, n * sizeof *a))
        for (size_t i = 0; i < n; i++)
            if (memcmp(&a[i], &b[i], sizeof *a))
                fail_msg("%s[%zu]: %.9g after the load, %.9g before", what, i, (double)a[i], (double)b[i]);
}

/* Every weight bit for bit, and the same config. */
static void same_model(const tl_model *a, const tl_model *b)
{
    size_t d = a->cfg.d, hid = a->cfg.hidden;
    assert_int_equal(a->V, b->V);
    assert_int_equal(a->cfg.V_out, b->cfg.V_out);
    assert_int_equal(d, b->cfg.d);
    assert_int_equal(hid, b->cfg.hidden);
    assert_int_equal(a->head.tied, b->head.tied);
    assert_int_equal(a->head.V, b->head.V);
    assert_true(a->cfg.lr == b->cfg.lr && a->cfg.softcap == b->cfg.softcap && a->cfg.seed == b->cfg.seed);
    assert_int_equal(a->cfg.optim, b->cfg.optim);
    same_floats("E", b->E, a->E, a->V * d);
    same_floats("g1", b->g1, a->g1, d);
    same_floats("W1", b->W1, a->W1, hid * d);
    same_floats("W2", b->W2, a->W2, d * hid);
    same_floats("g2", b->g2, a->g2, d);
    same_floats("head.W", b->head.W, a->head.W, a->head.V * d);
}

static void tied_model_round_trips_and_loads_tied(void **state)
{
    (void)state;
    tl_config c = ckpt_config(1);
    tl_model *m = trained(&c, 3), *back = NULL;
    size_t len;
    unsigned char *b = save(m, 0, NULL, &len);
    assert_int_equal(tl_model_load_bytes(&back, b, len, "tied.safetensors", NULL), TL_OK);
    assert_non_null(back);
    same_model(back, m);
    /* tied in memory: the head reads the loaded E itself, with its gradient */
    assert_true(back->head.tied);
    assert_ptr_equal(back->head.W, back->E);
    assert_ptr_equal(back->head.dW, back->dE);
    assert_int_equal(tl_model_param_count(back), tl_model_param_count(m));
    assert_int_equal(tl_optim_steps(back->opt), 3);
    float *m1, *v1, *m2, *v2;
    size_t n1, n2;
    assert_int_equal(tl_optim_moments(m->opt, "E", &m1, &v1, &n1), TL_OK);
    assert_int_equal(tl_optim_moments(back->opt, "E", &m2, &v2, &n2), TL_OK);
    assert_int_equal(n1, n2);
    same_floats("Adam m of E", m2, m1, n1);
    same_floats("Adam v of E", v2, v1, n1);
    free(b);
    tl_model_destroy(back);
    tl_model_destroy(m);
}

static void untied_model_round_trips_with_its_own_head(void **state)
{
    (void)state;
    tl_config c = ckpt_config(0);
    tl_model *m = trained(&c, 3), *back = NULL;
    size_t len;
    unsigned char *b = save(m, 0, NULL, &len);
    assert_int_equal(tl_model_load_bytes(&back, b, len, "untied.safetensors", NULL), TL_OK);
    same_model(back, m);
    assert_false(back->head.tied);
    assert_true(back->head.W != back->E);
    assert_int_equal(tl_model_param_count(back), tl_model_param_count(m));
    free(b);
    tl_model_destroy(back);
    tl_model_destroy(m);
}

/* Read with the grader's reader: names, dtypes, shapes, values, metadata. */
static void the_file_is_safetensors_that_stores_a_tied_E_once(void **state)
{
    (void)state;
    for (int tied = 1; tied >= 0; tied--) {
        tl_config c = ckpt_config(tied);
        tl_model *m = trained(&c, 2);
        size_t len, V = c.V_in, d = c.d, hid = c.hidden;
        unsigned char *b = save(m, 0, "run=unit test", &len);
        tl_st st;
        char why[200];
        if (!tl_st_read(&st, b, len, why, sizeof why))
            fail_msg("tied=%d: %s", tied, why);
        assert_int_equal((8 + st.header_len) % 8, 0);   /* the data is 8-byte aligned */
        const struct { const char *name; size_t r, c; const float *w; } want[] = {
            { "embed.weight", V, d, m->E }, { "block.norm.weight", d, 0, m->g1 },
            { "block.up.weight", hid, d, m->W1 }, { "block.down.weight", d, hid, m->W2 },
            { "norm.weight", d, 0, m->g2 }, { "lm_head.weight", V, d, m->head.W },
        };
        size_t weights = 0;
        for (size_t i = 0; i < 6; i++) {
            const tl_st_tensor *t = tl_st_find(&st, want[i].name);
            if (i == 5 && tied) {
                if (t)
                    fail_msg("a tied file stores lm_head.weight: E would be there twice");
                continue;
            }
            if (!t)
                fail_msg("tied=%d: no tensor %s", tied, want[i].name);
            assert_string_equal(t->dtype, "F32");
            assert_int_equal(t->ndim, want[i].c ? 2 : 1);
            assert_int_equal(t->shape[0], want[i].r);
            if (want[i].c)
                assert_int_equal(t->shape[1], want[i].c);
            size_t n = tl_st_numel(t);
            float *got = malloc(n * sizeof *got);
            tl_st_floats(got, &st, t);
            same_floats(want[i].name, got, want[i].w, n);
            free(got);
            weights += n * 4;
            char moment[96];
            snprintf(moment, sizeof moment, "adam.m.%s", want[i].name);
            assert_non_null(tl_st_find(&st, moment));
        }
        /* weights, then Adam's two moments of each: three times the weights */
        assert_int_equal(st.data_len, 3 * weights);
        assert_string_equal(tl_st_meta(&st, "tied"), tied ? "1" : "0");
        assert_string_equal(tl_st_meta(&st, "V_in"), "64");
        assert_string_equal(tl_st_meta(&st, "d"), "16");
        assert_string_equal(tl_st_meta(&st, "hidden"), "32");
        assert_string_equal(tl_st_meta(&st, "step"), "2");
        assert_string_equal(tl_st_meta(&st, "run"), "unit test");
        free(b);
        tl_model_destroy(m);
    }
}

static void tying_saves_V_times_d_floats_per_copy_in_the_file(void **state)
{
    (void)state;
    size_t len[2][2];
    for (int tied = 0; tied < 2; tied++) {
        tl_config c = ckpt_config(tied);
        tl_model *m = trained(&c, 1);
        for (int only = 0; only < 2; only++) {
            tl_st st;
            unsigned char *b = save(m, only ? TL_SAVE_WEIGHTS_ONLY : 0, NULL, &len[tied][only]);
            assert_true(tl_st_read(&st, b, len[tied][only], NULL, 0));
            len[tied][only] = st.data_len;
            free(b);
        }
        tl_model_destroy(m);
    }
    size_t Vd4 = 64 * 16 * 4;
    assert_int_equal(len[0][1] - len[1][1], Vd4);       /* weights only: the head */
    assert_int_equal(len[0][0] - len[1][0], 3 * Vd4);   /* and its two moments */
}

/* 10 steps in one go, and 5 + save + load + 5: the same losses, bit for bit
 * (every float of the state is saved exactly and the run is deterministic). */
static void a_resumed_model_trains_exactly_as_one_never_stopped(void **state)
{
    (void)state;
    for (int tied = 1; tied >= 0; tied--) {
        tl_config c = ckpt_config(tied);
        float straight[10], resumed[10];
        tl_trainer a, r;
        assert_int_equal(tl_trainer_start(&a, &c, 4), TL_OK);
        assert_int_equal(tl_trainer_start(&r, &c, 4), TL_OK);
        for (size_t i = 0; i < 10; i++)
            assert_int_equal(tl_trainer_step(&a, &straight[i]), TL_OK);
        for (size_t i = 0; i < 10; i++) {
            if (i == 5) {
                size_t len;
                unsigned char *b = save(r.m, 0, NULL, &len);
                tl_model *back = NULL;
                assert_int_equal(tl_model_load_bytes(&back, b, len, "resume.safetensors", NULL), TL_OK);
                free(b);
                tl_model_destroy(r.m);
                r.m = back;
            }
            assert_int_equal(tl_trainer_step(&r, &resumed[i]), TL_OK);
        }
        for (size_t i = 0; i < 10; i++)
            if (memcmp(&straight[i], &resumed[i], sizeof(float)))
                fail_msg("tied=%d, step %zu: loss %.9g resumed, %.9g in one run", tied, i,
                         (double)resumed[i], (double)straight[i]);
        tl_trainer_end(&a, NULL);
        tl_trainer_end(&r, NULL);
    }
}

static void a_weights_only_file_restarts_adam_and_sgd_saves_no_moments(void **state)
{
    (void)state;
    tl_config c = ckpt_config(1);
    tl_model *m = trained(&c, 4), *back = NULL;
    size_t len;
    tl_st st;
    unsigned char *b = save(m, TL_SAVE_WEIGHTS_ONLY, NULL, &len);
    assert_true(tl_st_read(&st, b, len, NULL, 0));
    assert_int_equal(st.n, 5);
    assert_int_equal(tl_model_load_bytes(&back, b, len, "weights.safetensors", NULL), TL_OK);
    same_model(back, m);
    assert_int_equal(tl_optim_steps(back->opt), 0);   /* moments at 0: Adam's step 1 comes next */
    free(b);
    tl_model_destroy(back);
    tl_model_destroy(m);

    c.optim = TL_SGD;
    m = trained(&c, 4);
    b = save(m, 0, NULL, &len);
    assert_true(tl_st_read(&st, b, len, NULL, 0));
    assert_int_equal(st.n, 5);
    assert_string_equal(tl_st_meta(&st, "optim"), "sgd");
    assert_int_equal(tl_model_load_bytes(&back, b, len, "sgd.safetensors", NULL), TL_OK);
    assert_int_equal(back->cfg.optim, TL_SGD);
    assert_int_equal(tl_optim_steps(back->opt), 4);
    free(b);
    tl_model_destroy(back);
    tl_model_destroy(m);
}

static void a_buffer_too_small_and_bad_caller_metadata_are_refused(void **state)
{
    (void)state;
    tl_config c = ckpt_config(1);
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t need = 0, got = 0;
    assert_int_equal(tl_model_save_bytes(NULL, 0, &need, m, 0, NULL), TL_OK);
    unsigned char *b = malloc(need);
    char cap[32], needs[32];
    snprintf(cap, sizeof cap, "%zu", need - 1);
    snprintf(needs, sizeof needs, "%zu", need);
    assert_int_equal(tl_model_save_bytes(b, need - 1, &got, m, 0, NULL), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_model_save_bytes", needs, cap, NULL));
    assert_int_equal(tl_model_save_bytes(b, need, &got, m, 0, "tied=0"), TL_EINVAL);
    assert_true(tl_mentions(tl_last_error(), "tied"));
    assert_int_equal(tl_model_save_bytes(b, need, &got, m, 0, "no equals sign"), TL_EINVAL);
    free(b);
    tl_model_destroy(m);
}

static void a_file_for_another_model_is_refused_naming_both(void **state)
{
    (void)state;
    tl_config c = ckpt_config(1);
    tl_model *m, *back = (tl_model *)0x1;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t len;
    unsigned char *b = save(m, 0, NULL, &len);
    tl_config want = c;
    want.d = 32;
    assert_int_equal(tl_model_load_bytes(&back, b, len, "other.safetensors", &want), TL_ESHAPE);
    assert_null(back);
    assert_true(tl_error_names(tl_last_error(), "tl_model_load", "16", "32", NULL));
    assert_true(tl_mentions(tl_last_error(), "other.safetensors"));
    want = c;
    want.V_in = want.V_out = 512;
    assert_int_equal(tl_model_load_bytes(&back, b, len, "other.safetensors", &want), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_model_load", "64", "512", NULL));
    want = c;
    want.tied = 0;
    assert_int_equal(tl_model_load_bytes(&back, b, len, "other.safetensors", &want), TL_ESHAPE);
    assert_true(tl_mentions(tl_last_error(), "tied"));
    want = c;
    assert_int_equal(tl_model_load_bytes(&back, b, len, "other.safetensors", &want), TL_OK);
    tl_model_destroy(back);
    free(b);
    tl_model_destroy(m);
}

/* ---- bad files --------------------------------------------------------------- */

/* Loading these bytes fails with err, out stays NULL, and the message begins
 * with the call, names the file and says each of the words. */
static void refused(const unsigned char *b, size_t len, tl_err err, const char *what, const char *word1,
                    const char *word2)
{
    tl_model *out = (tl_model *)0x1;
    tl_err got = tl_model_load_bytes(&out, b, len, "bad.safetensors", NULL);
    if (got != err)
        fail_msg("%s: error %d (%s), want %d: %s", what, (int)got, tl_strerror(got), (int)err, tl_last_error());
    if (out)
        fail_msg("%s: refused, but *out is %p, not NULL", what, (void *)out);
    const char *msg = tl_last_error();
    if (strncmp(msg, "tl_model_load", 13) || !strstr(msg, "bad.safetensors") ||
        (word1 && !strstr(msg, word1)) || (word2 && !strstr(msg, word2)))
        fail_msg("%s: the message should begin with the call, name bad.safetensors%s%s%s%s: \"%s\"", what,
                 word1 ? " and say " : "", word1 ? word1 : "", word2 ? " and " : "", word2 ? word2 : "", msg);
}

/* A good file of c, read into o for editing. The bytes stay alive in *b. */
static void good_file(tl_st *st, tl_st_out *o, unsigned char **b, size_t *len, int tied)
{
    tl_config c = ckpt_config(tied);
    tl_model *m = trained(&c, 1);
    *b = save(m, 0, NULL, len);
    tl_model_destroy(m);
    assert_true(tl_st_read(st, *b, *len, NULL, 0));
    tl_st_copy(o, st);
}

static void refused_after(tl_st_out *o, tl_err err, const char *what, const char *w1, const char *w2)
{
    size_t len;
    unsigned char *b = tl_st_write(o, &len);
    assert_non_null(b);
    refused(b, len, err, what, w1, w2);
    free(b);
}

static void truncated_and_foreign_bytes_are_one_error_each(void **state)
{
    (void)state;
    tl_st st;
    static tl_st_out o;
    unsigned char *b;
    size_t len;
    good_file(&st, &o, &b, &len, 1);
    refused(b, 0, TL_EFORMAT, "an empty file", "short", NULL);
    refused(b, 5, TL_EFORMAT, "5 bytes", "short", NULL);
    refused(b, 8 + st.header_len / 2, TL_EFORMAT, "cut inside the header", "header", NULL);
    refused(b, len - 4, TL_EFORMAT, "cut inside the data", "truncated", NULL);
    refused(b, len / 2, TL_EFORMAT, "cut in half", "truncated", NULL);
    unsigned char text[80] = "tied weights are one matrix, read twice, by two paths. This is text.";
    refused(text, sizeof text, TL_EFORMAT, "a text file", "header", NULL);
    unsigned char lies[64];
    memcpy(lies, b, sizeof lies);
    lies[6] = 0x7f;   /* a header size of petabytes */
    refused(lies, sizeof lies, TL_EFORMAT, "a header size that lies", "header", NULL);
    unsigned char *junk = malloc(len);
    memcpy(junk, b, len);
    junk[8 + 1] = '}';   /* JSON that ends too soon */
    refused(junk, len, TL_EFORMAT, "a header that is not JSON", "JSON", NULL);
    memcpy(junk, b, len);
    junk[8] = '[';
    refused(junk, len, TL_EFORMAT, "a header that is not an object", "header", NULL);
    free(junk);
    free(b);
}

static void a_header_that_lies_about_a_tensor_is_refused(void **state)
{
    (void)state;
    tl_st st;
    static tl_st_out o;
    unsigned char *b;
    size_t len;

    good_file(&st, &o, &b, &len, 1);
    snprintf(o.t[0].dtype, sizeof o.t[0].dtype, "F16");
    refused_after(&o, TL_EFORMAT, "a wrong dtype", "F16", o.t[0].name);

    tl_st_copy(&o, &st);
    o.t[1].shape[0] += 1;   /* more elements than its bytes */
    refused_after(&o, TL_EFORMAT, "a shape bigger than its bytes", o.t[1].name, NULL);

    /* two tensors over the same bytes: the header written by hand */
    {
        char hdr[512];
        const tl_st_tensor *e = tl_st_find(&st, "block.norm.weight");
        int n = snprintf(hdr, sizeof hdr,
                         "{\"a\":{\"dtype\":\"F32\",\"shape\":[%zu],\"data_offsets\":[0,%zu]},"
                         "\"b\":{\"dtype\":\"F32\",\"shape\":[%zu],\"data_offsets\":[0,%zu]}}",
                         tl_st_numel(e), 4 * tl_st_numel(e), tl_st_numel(e), 4 * tl_st_numel(e));
        size_t flen = 8 + (size_t)n + 4 * tl_st_numel(e);
        unsigned char *f = calloc(1, flen);
        f[0] = (unsigned char)n;
        memcpy(f + 8, hdr, (size_t)n);
        refused(f, flen, TL_EFORMAT, "overlapping tensors", "overlap", NULL);
        /* a range past the data */
        n = snprintf(hdr, sizeof hdr, "{\"a\":{\"dtype\":\"F32\",\"shape\":[%zu],\"data_offsets\":[%zu,%zu]}}",
                     tl_st_numel(e), (size_t)64, 64 + 4 * tl_st_numel(e));
        memset(f, 0, flen);
        f[0] = (unsigned char)n;
        memcpy(f + 8, hdr, (size_t)n);
        refused(f, 8 + (size_t)n + 4 * tl_st_numel(e), TL_EFORMAT, "data_offsets past the end", "ends at byte", NULL);
        free(f);
    }

    /* a gap: the bytes of one tensor belong to nobody */
    tl_st_copy(&o, &st);
    size_t sh = 4;
    static float pad[4];
    tl_st_put(&o, "zz.gap", "F32", 1, &sh, pad, sizeof pad);
    size_t l2;
    unsigned char *g = tl_st_write(&o, &l2);
    tl_st st2;
    assert_true(tl_st_read(&st2, g, l2, NULL, 0));
    /* rewrite the gap tensor out of the header by hand: drop its entry */
    char *h = (char *)g + 8, *at = strstr(h, ",\"zz.gap\"");
    assert_non_null(at);
    char *end = strchr(at + 1, '}');
    memset(at, ' ', (size_t)(end - at + 1));
    /* the data still has the 16 bytes at its end */
    refused(g, l2, TL_EFORMAT, "bytes that belong to no tensor", "no tensor", NULL);
    free(g);
    free(b);
}

static void a_missing_or_unexpected_tensor_is_named(void **state)
{
    (void)state;
    tl_st st;
    static tl_st_out o;
    unsigned char *b;
    size_t len;

    good_file(&st, &o, &b, &len, 1);
    assert_true(tl_st_drop(&o, "block.up.weight"));
    refused_after(&o, TL_EFORMAT, "a missing weight", "block.up.weight", NULL);

    tl_st_copy(&o, &st);
    assert_true(tl_st_drop(&o, "adam.v.norm.weight"));
    refused_after(&o, TL_EFORMAT, "one of Adam's moments missing", "adam.v.norm.weight", NULL);

    tl_st_copy(&o, &st);
    size_t sh = 3;
    static float three[3] = { 1, 2, 3 };
    tl_st_put(&o, "extra.bias", "F32", 1, &sh, three, sizeof three);
    refused_after(&o, TL_EFORMAT, "a tensor no model has", "extra.bias", NULL);

    /* a tied file that also stores a head of its own: the file contradicts
     * itself, and its head must not vanish. Refused naming the tensor, or
     * loaded with that head (as a loader that trusts the tensors would) */
    tl_st_copy(&o, &st);
    const tl_st_tensor *e = tl_st_find(&st, "embed.weight");
    size_t n = tl_st_numel(e);
    float *head = malloc(n * sizeof *head);
    tl_input in;
    tl_input_seed(&in, 77);
    tl_input_fill(head, n, 0.05f, &in);
    tl_st_put(&o, "lm_head.weight", "F32", 2, e->shape, head, n * sizeof *head);
    size_t hl;
    unsigned char *hb = tl_st_write(&o, &hl);
    tl_model *got = NULL;
    tl_err herr = tl_model_load_bytes(&got, hb, hl, "bad.safetensors", NULL);
    if (herr == TL_OK) {
        if (got->head.tied || got->head.W == got->E)
            fail_msg("a tied file holding a different lm_head.weight loaded tied: the head in the file was thrown away");
        same_floats("head.W", got->head.W, head, n);
        tl_model_destroy(got);
    } else {
        assert_null(got);
        assert_true(tl_mentions(tl_last_error(), "lm_head.weight"));
    }
    free(hb);
    free(head);
    free(b);

    /* an untied file without its head */
    good_file(&st, &o, &b, &len, 0);
    assert_true(tl_st_drop(&o, "lm_head.weight"));
    tl_st_drop(&o, "adam.m.lm_head.weight");
    tl_st_drop(&o, "adam.v.lm_head.weight");
    refused_after(&o, TL_EFORMAT, "an untied file without its head", "lm_head.weight", NULL);
    free(b);
}

static void metadata_that_is_missing_or_disagrees_is_refused(void **state)
{
    (void)state;
    tl_st st;
    static tl_st_out o;
    unsigned char *b;
    size_t len;
    good_file(&st, &o, &b, &len, 1);

    tl_st_set_meta(&o, "format", NULL);
    refused_after(&o, TL_EFORMAT, "no format in the metadata", "format", NULL);
    tl_st_copy(&o, &st);
    tl_st_set_meta(&o, "format", "pytorch");
    refused_after(&o, TL_EFORMAT, "another format", "pytorch", NULL);
    tl_st_copy(&o, &st);
    tl_st_set_meta(&o, "d", NULL);
    refused_after(&o, TL_EFORMAT, "no d", "'d'", NULL);
    tl_st_copy(&o, &st);
    tl_st_set_meta(&o, "hidden", "thirty-two");
    refused_after(&o, TL_EFORMAT, "hidden that is not a number", "thirty-two", NULL);
    tl_st_copy(&o, &st);
    tl_st_set_meta(&o, "V_in", "128");
    tl_st_set_meta(&o, "V_out", "128");
    refused_after(&o, TL_ESHAPE, "a V_in the tensors do not have", "embed.weight", "128");
    tl_st_copy(&o, &st);
    tl_st_set_meta(&o, "tied", "yes");
    refused_after(&o, TL_EFORMAT, "tied that is neither 0 nor 1", "tied", NULL);
    tl_st_copy(&o, &st);
    o.nmeta = 0;
    refused_after(&o, TL_EFORMAT, "no __metadata__", "__metadata__", NULL);
    free(b);
}

int test_checkpoint(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tied_model_round_trips_and_loads_tied),
        cmocka_unit_test(untied_model_round_trips_with_its_own_head),
        cmocka_unit_test(the_file_is_safetensors_that_stores_a_tied_E_once),
        cmocka_unit_test(tying_saves_V_times_d_floats_per_copy_in_the_file),
        cmocka_unit_test(a_resumed_model_trains_exactly_as_one_never_stopped),
        cmocka_unit_test(a_weights_only_file_restarts_adam_and_sgd_saves_no_moments),
        cmocka_unit_test(a_buffer_too_small_and_bad_caller_metadata_are_refused),
        cmocka_unit_test(a_file_for_another_model_is_refused_naming_both),
        cmocka_unit_test(truncated_and_foreign_bytes_are_one_error_each),
        cmocka_unit_test(a_header_that_lies_about_a_tensor_is_refused),
        cmocka_unit_test(a_missing_or_unexpected_tensor_is_named),
        cmocka_unit_test(metadata_that_is_missing_or_disagrees_is_refused),
    };
    return tl_run_group_tests("checkpoint", tests);
}
