/* fixed.c — what must be true once lab 14 is fixed. Every test fails on the
 * broken fused head, which clears each chunk's slice of head->dW on the first
 * block of rows. Each test states the property, not the reference fix's
 * shape: tl_head_ce_fused and its split calls ADD their gradients to whatever
 * dH and head->dW hold (tied or untied, on every shape that crosses a block
 * of rows or a chunk of the vocabulary), the loss alone writes no gradient,
 * the model's gradients over micro-batches are their sum and agree with
 * finite differences, and training with accumulation ends where a healthy run
 * does. Expected gradients are computed here, in double, from private copies
 * of the inputs (ref_head_ce in lab.h), never by another library call; the
 * inputs come from the grader's own rng (tl_input_*). So clearing dE in the
 * model instead, clearing it in the forward, assigning on later blocks,
 * assigning for untied heads only, or clearing dH's rows instead all fail. */
#include "lab.h"

/* One case of the fused head: B rows of width d against V classes, capped or
 * not, a head tied to a shared E or owning its W. */
typedef struct { size_t B, d, V; float cap; int tied; } shape;

/* The chunk of the vocabulary is chosen from d in head_ce_fused.c (at most
 * 4096 columns, about a thousand at d = 256), the block of rows is a few
 * hundred: V goes past one chunk at its d, and B from 1 to 513, so one, two
 * and three blocks of rows all run. */
static const shape shapes[] = {
    { 1, 64, 4500, 30.0f, 1 },  { 63, 64, 257, 0.0f, 0 },    { 64, 256, 1100, 2.0f, 1 },
    { 257, 64, 4500, 0.0f, 1 }, { 130, 256, 1100, 30.0f, 0 }, { 300, 8, 4100, 2.0f, 1 },
    { 65, 8, 300, 30.0f, 0 },   { 513, 64, 300, 30.0f, 1 },
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A head for a shape, its W ~ N(0, 1/d) (logits of O(1)) and its dW already
 * holding N(0, 0.01²), the size of a gradient: what the lookup or an earlier
 * micro-batch leaves in a tied dE. */
typedef struct {
    tl_head head;
    float *E, *dE;   /* the shared buffers of a tied head (NULL when untied) */
} test_head;

static void make_head(test_head *th, const shape *s, tl_input *in)
{
    size_t V = s->V, d = s->d;
    memset(th, 0, sizeof *th);
    if (s->tied) {
        th->E = tl_shared_floats(V * d);
        th->dE = tl_shared_floats(V * d);
        assert_true(th->E && th->dE);
        assert_int_equal(tl_head_tie(&th->head, th->E, th->dE, V, d), TL_OK);
    } else {
        assert_int_equal(tl_head_create_untied(&th->head, V, d), TL_OK);
    }
    assert_true(th->head.W && th->head.dW);
    tl_input_fill(th->head.W, V * d, 1.0f / sqrtf((float)d), in);
    tl_input_fill(th->head.dW, V * d, 0.01f, in);
}

static void free_head(test_head *th)
{
    if (th->E) {
        tl_shared_free(th->E);
        tl_shared_free(th->dE);
    } else {
        tl_head_free(&th->head);
    }
}

static void draw_targets(int *t, size_t B, size_t V, tl_input *in)
{
    for (size_t b = 0; b < B; b++) {
        size_t v = (size_t)(tl_input_uniform(in) * (float)V);
        t[b] = (int)(v < V ? v : V - 1);
    }
}

/* the loss to within a few float ulps of each logit, carried into ln V */
static int loss_close(const char *what, float got, double want, size_t d)
{
    if (fabs((double)got - want) <= 2e-6 * (1.0 + fabs(want)) * (1.0 + (double)d / 64.0))
        return 1;
    print_error("%s: the loss, worst element 0: got %.9g, want %.9g\n", what, (double)got, want);
    return 0;
}

/* After one tl_head_ce_fused, dH = its start + dL/dH and head->dW = its start
 * + dL/dW, on every shape, for a tied and an untied head alike. */
static void fused_gradients_add_onto_whatever_dH_and_dW_hold(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < COUNT(shapes); i++) {
        const shape *s = &shapes[i];
        size_t B = s->B, d = s->d, V = s->V;
        tl_input in;
        tl_input_seed(&in, 1400 + i);
        test_head th;
        make_head(&th, s, &in);
        float *H = malloc(B * d * sizeof *H), *dH = malloc(B * d * sizeof *dH);
        int *t = malloc(B * sizeof *t);
        assert_true(H && dH && t);
        tl_input_fill(H, B * d, 1.0f, &in);
        tl_input_fill(dH, B * d, 0.01f, &in);
        draw_targets(t, B, V, &in);
        /* private copies, taken before the call */
        float *W0 = tl_copy_floats(th.head.W, V * d), *dW0 = tl_copy_floats(th.head.dW, V * d);
        float *dH0 = tl_copy_floats(dH, B * d);
        double *wH = as_doubles(dH, B * d), *wW = as_doubles(th.head.dW, V * d);
        assert_true(W0 && dW0 && dH0 && wH && wW);
        double want = ref_head_ce(wH, wW, H, W0, t, B, d, V, s->cap);
        char what[160];
        snprintf(what, sizeof what, "B=%zu d=%zu V=%zu cap=%g, %s head", B, d, V, (double)s->cap,
                 s->tied ? "tied" : "untied");
        float loss = NAN;
        tl_err err = tl_head_ce_fused(&loss, dH, &th.head, H, t, B, d, V, V, s->cap);
        int ok = !err;
        if (err)
            print_error("%s: %s\n", what, tl_last_error());
        print_message("%s: max |dW - (start + gradient)| = %.3g, max |dH - (start + gradient)| = %.3g\n", what,
                      max_abs_diff_d(th.head.dW, wW, V * d), max_abs_diff_d(dH, wH, B * d));
        char w2[200];
        ok = ok && loss_close(what, loss, want, d);
        snprintf(w2, sizeof w2, "head->dW, %s", what);
        ok = ok && tl_grad_close(w2, th.head.dW, wW, dW0, V * d, 1e-4);
        snprintf(w2, sizeof w2, "dH, %s", what);
        ok = ok && tl_grad_close(w2, dH, wH, dH0, B * d, 1e-4);
        assert_memory_equal(th.head.W, W0, V * d * sizeof *W0);   /* the weights are read, never written */
        failed += !ok;
        free(H); free(dH); free(t); free(W0); free(dW0); free(dH0); free(wH); free(wW);
        free_head(&th);
        if (failed)
            break;   /* one shape's worst element says it; the rest would say it again */
    }
    assert_int_equal(failed, 0);
}

/* Two micro-batches through the split calls (the forward's lse, then the
 * backward from it) into one head: head->dW ends at its start + both
 * gradients, and each micro-batch's dH at its start + its own. */
static void two_split_calls_add_both_micro_batches_onto_dW(void **state)
{
    (void)state;
    const shape cases[] = { { 130, 64, 2100, 30.0f, 1 }, { 32, 8, 4100, 0.0f, 0 } };
    for (size_t c = 0; c < COUNT(cases); c++) {
        const shape *s = &cases[c];
        size_t B = s->B, d = s->d, V = s->V;
        tl_input in;
        tl_input_seed(&in, 1420 + c);
        test_head th;
        make_head(&th, s, &in);
        float *W0 = tl_copy_floats(th.head.W, V * d), *dW0 = tl_copy_floats(th.head.dW, V * d);
        double *wW = as_doubles(th.head.dW, V * d), *lse = malloc(B * sizeof *lse);
        assert_true(W0 && dW0 && wW && lse);
        for (int k = 0; k < 2; k++) {
            float *H = malloc(B * d * sizeof *H), *dH = malloc(B * d * sizeof *dH);
            int *t = malloc(B * sizeof *t);
            assert_true(H && dH && t);
            tl_input_fill(H, B * d, 1.0f, &in);
            tl_input_fill(dH, B * d, 0.01f, &in);
            draw_targets(t, B, V, &in);
            float *dH0 = tl_copy_floats(dH, B * d);
            double *wH = as_doubles(dH, B * d);
            double want = ref_head_ce(wH, wW, H, W0, t, B, d, V, s->cap);
            float loss = NAN;
            assert_int_equal(tl_head_ce_fused_forward(&loss, lse, &th.head, H, t, B, d, V, V, s->cap), TL_OK);
            assert_true(loss_close("tl_head_ce_fused_forward", loss, want, d));
            assert_int_equal(tl_head_ce_fused_backward(dH, &th.head, H, t, lse, B, d, V, s->cap), TL_OK);
            char what[160];
            snprintf(what, sizeof what, "dH of micro-batch %d (B=%zu d=%zu V=%zu, %s)", k + 1, B, d, V,
                     s->tied ? "tied" : "untied");
            assert_true(tl_grad_close(what, dH, wH, dH0, B * d, 1e-4));
            free(H); free(dH); free(t); free(dH0); free(wH);
        }
        print_message("B=%zu d=%zu V=%zu, %s: after two micro-batches max |dW - (start + g1 + g2)| = %.3g\n", B, d,
                      V, s->tied ? "tied" : "untied", max_abs_diff_d(th.head.dW, wW, V * d));
        assert_true(tl_grad_close("head->dW after two micro-batches vs start + g1 + g2", th.head.dW, wW, dW0, V * d,
                                1e-4));
        free(W0); free(dW0); free(wW); free(lse);
        free_head(&th);
    }
}

/* The loss alone (dH NULL, or the forward) leaves dW exactly as it was; the
 * gradient call after it adds to what is there. */
static void the_loss_alone_writes_no_gradient_and_the_gradient_call_adds(void **state)
{
    (void)state;
    const shape s = { 65, 64, 2100, 30.0f, 1 };
    size_t B = s.B, d = s.d, V = s.V;
    tl_input in;
    tl_input_seed(&in, 1430);
    test_head th;
    make_head(&th, &s, &in);
    float *H = malloc(B * d * sizeof *H), *dH = malloc(B * d * sizeof *dH);
    int *t = malloc(B * sizeof *t);
    double *lse = malloc(B * sizeof *lse);
    assert_true(H && dH && t && lse);
    tl_input_fill(H, B * d, 1.0f, &in);
    memset(dH, 0, B * d * sizeof *dH);
    draw_targets(t, B, V, &in);
    float *W0 = tl_copy_floats(th.head.W, V * d), *dW0 = tl_copy_floats(th.head.dW, V * d);
    double *wW = as_doubles(th.head.dW, V * d), *wH = as_doubles(dH, B * d);
    assert_true(W0 && dW0 && wW && wH);
    double want = ref_head_ce(wH, wW, H, W0, t, B, d, V, s.cap);
    float alone = NAN, fwd = NAN, both = NAN;
    assert_int_equal(tl_head_ce_fused(&alone, NULL, &th.head, H, t, B, d, V, V, s.cap), TL_OK);
    assert_true(loss_close("tl_head_ce_fused with dH NULL", alone, want, d));
    assert_memory_equal(th.head.dW, dW0, V * d * sizeof *dW0);
    assert_int_equal(tl_head_ce_fused_forward(&fwd, lse, &th.head, H, t, B, d, V, V, s.cap), TL_OK);
    assert_true(loss_close("tl_head_ce_fused_forward", fwd, want, d));
    assert_memory_equal(th.head.dW, dW0, V * d * sizeof *dW0);
    print_message("the loss alone: %.6f (reference %.6f), head->dW untouched\n", (double)alone, want);
    assert_int_equal(tl_head_ce_fused(&both, dH, &th.head, H, t, B, d, V, V, s.cap), TL_OK);
    assert_true(tl_grad_close("head->dW after the loss alone, then the gradient call", th.head.dW, wW, dW0, V * d,
                            1e-4));
    free(H); free(dH); free(t); free(lse); free(W0); free(dW0); free(wW); free(wH);
    free_head(&th);
}

/* In the model (fused head), two micro-batches' backward passes after one
 * zero_grad leave each gradient at the sum of the two micro-batches' own:
 * dE (the lookup's share and the head's) as dW1, tied and untied. */
static void the_model_accumulates_every_gradient_over_micro_batches(void **state)
{
    (void)state;
    micro_batches mb = draw_micro_batches(1440);
    for (int tied = 1; tied >= 0; tied--) {
        tl_config c = small_fused_config(tied);
        tl_model *m;
        assert_int_equal(tl_model_create(&m, &c), TL_OK);
        size_t V = m->V, d = c.d, Vh = m->head.V, hid = c.hidden;
        float *sE = calloc(V * d, sizeof *sE), *sW = calloc(Vh * d, sizeof *sW), *s1 = calloc(hid * d, sizeof *s1);
        assert_true(sE && sW && s1);
        for (int k = 0; k < 2; k++) {
            tl_optim_zero_grad(m->opt);
            assert_int_equal(backward_micro_batch(m, &mb, k), TL_OK);
            for (size_t i = 0; i < V * d; i++)
                sE[i] += m->dE[i];
            for (size_t i = 0; i < Vh * d; i++)
                sW[i] += m->head.dW[i];
            for (size_t i = 0; i < hid * d; i++)
                s1[i] += m->dW1[i];
        }
        assert_int_equal(accumulate_two(m, &mb), TL_OK);
        print_message("%s: max |accumulated - (g1 + g2)|: dE %.3g, head.dW %.3g, dW1 %.3g\n",
                      tied ? "tied" : "untied", tl_max_abs_diff(m->dE, sE, V * d), tl_max_abs_diff(m->head.dW, sW, Vh * d),
                      tl_max_abs_diff(m->dW1, s1, hid * d));
        assert_true(tl_close("dW1 accumulated vs the sum of the two micro-batches'", m->dW1, s1, hid * d, 1e-6f, 1e-5f));
        assert_true(tl_close("dE accumulated vs the sum of the two micro-batches'", m->dE, sE, V * d, 1e-6f, 1e-5f));
        if (!tied)
            assert_true(tl_close("head.dW accumulated vs the sum of the two micro-batches'", m->head.dW, sW, Vh * d,
                                 1e-6f, 1e-5f));
        free(sE); free(sW); free(s1);
        tl_model_destroy(m);
    }
}

/* The accumulated dE is the gradient of micro-batch 1's loss + micro-batch
 * 2's: central differences of that sum agree with it on every row of E,
 * first on the rows that only micro-batch 1 feeds as inputs. */
static void rows_fed_only_by_the_first_micro_batch_match_finite_differences(void **state)
{
    (void)state;
    micro_batches mb = draw_micro_batches(1450);
    tl_config c = small_fused_config(1);
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t V = m->V, d = c.d;
    assert_int_equal(accumulate_two(m, &mb), TL_OK);
    float *dE = tl_copy_floats(m->dE, V * d), *fd = malloc(V * d * sizeof *fd);
    assert_true(dE && fd);
    two_batch_fd(fd, m, m->E, V * d, &mb);
    int bad = 0;
    for (int v = 0; v < (int)V; v++) {
        if (!is_input(&mb, 0, v))
            continue;
        char what[96];
        snprintf(what, sizeof what, "dE row %d (an input of micro-batch 1 only)", v);
        print_message("%s: |analytic| %.4f, |finite differences| %.4f\n", what,
                      norm_of(dE + (size_t)v * d, d), norm_of(fd + (size_t)v * d, d));
        bad += !tl_close(what, dE + (size_t)v * d, fd + (size_t)v * d, d, 2e-3f, 3e-2f);
    }
    assert_int_equal(bad, 0);
    assert_true(tl_close("dE (two micro-batches, every row) vs finite differences", dE, fd, V * d, 2e-3f, 3e-2f));
    free(dE);
    free(fd);
    tl_model_destroy(m);
}

/* train --head-kernel fused --accum 8 --batch 32: a healthy library's run
 * averages 1.383 over its last 30 of 300 steps (the unfused head's run gives
 * the same); with only the last micro-batch in dE it averages 1.602. */
static void training_with_the_fused_head_and_accumulation_ends_near_the_healthy_run(void **state)
{
    (void)state;
    float losses[STEPS];
    tl_err err = accum_run(TL_HEAD_FUSED, ACCUM, losses);
    if (err)
        fail_msg("the run failed: %s", tl_last_error());
    float end = (float)tl_mean(losses, STEPS - TAIL, STEPS), reference = 1.383f;
    print_message("fused head, --accum %d --batch %d: step 100 %.4f, mean of the last %d steps %.3f (healthy %.3f)\n",
                  ACCUM, MICRO_B, (double)losses[100], TAIL, (double)end, (double)reference);
    assert_true(tl_close("mean loss over the last 30 steps", &end, &reference, 1, 0.08f, 0.0f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fused_gradients_add_onto_whatever_dH_and_dW_hold),
        cmocka_unit_test(two_split_calls_add_both_micro_batches_onto_dW),
        cmocka_unit_test(the_loss_alone_writes_no_gradient_and_the_gradient_call_adds),
        cmocka_unit_test(the_model_accumulates_every_gradient_over_micro_batches),
        cmocka_unit_test(rows_fed_only_by_the_first_micro_batch_match_finite_differences),
        cmocka_unit_test(training_with_the_fused_head_and_accumulation_ends_near_the_healthy_run),
    };
    return tl_run_tests("lab14 fixed", tests);
}
