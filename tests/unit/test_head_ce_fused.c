/* test_head_ce_fused.c — the head fused with the loss gives the loss and the
 * gradients of the unfused path, without ever holding the logits.
 *
 * The expected numbers are computed here, in double, from the inputs alone
 * (tl_fresh_logit: the grader's own dot product and cap), never from another
 * library call. Shapes cross every block and chunk boundary the kernel may
 * use: batches of 1 to 513 rows (one block, two, three), widths of 1, 8, 100
 * and 768, and vocabularies of 1, 3, 257, 700, 1001, 4099 and 9001 columns (one
 * chunk to several, at each width), each with the cap on
 * (30, the model's default; 2, where tanh bends hard) and off.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { size_t B, d, V; float cap; } shape;

static const shape shapes[] = {
    { 1, 1, 1, 0.0f },     { 3, 8, 3, 30.0f },     { 64, 8, 257, 2.0f },
    { 65, 100, 1001, 30.0f }, { 130, 8, 9001, 2.0f }, { 3, 100, 4099, 0.0f },
    { 65, 768, 700, 30.0f },  { 1, 768, 257, 2.0f },  { 300, 1, 4099, 30.0f },
    { 257, 100, 3, 0.0f },  { 513, 8, 300, 2.0f },
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Inputs of one case: H [B, d] ~ N(0, 1), E [V, d] ~ N(0, 1/d) so logits are
 * O(1), targets uniform over V; dH and dE start with what other paths put
 * there (N(0, 0.01²): the size of a gradient, so that V float additions into
 * them round no worse than into zero), so an assignment instead of += shows. */
typedef struct {
    shape s;
    float *H, *E, *dE, *dH;
    int *t;
    tl_head head;
} inputs;

static int make_inputs(inputs *in, shape s, uint64_t seed)
{
    size_t B = s.B, d = s.d, V = s.V;
    *in = (inputs){ .s = s };
    in->H = malloc(B * d * sizeof *in->H);
    in->dH = malloc(B * d * sizeof *in->dH);
    in->t = malloc(B * sizeof *in->t);
    in->E = tl_shared_floats(V * d);
    in->dE = tl_shared_floats(V * d);
    if (!in->H || !in->dH || !in->t || !in->E || !in->dE)
        return 0;
    tl_input r;
    tl_input_seed(&r, seed);
    tl_input_fill(in->H, B * d, 1.0f, &r);
    tl_input_fill(in->E, V * d, 1.0f / sqrtf((float)d), &r);
    tl_input_fill(in->dE, V * d, 0.01f, &r);
    tl_input_fill(in->dH, B * d, 0.01f, &r);
    for (size_t b = 0; b < B; b++)
        in->t[b] = (int)(tl_input_uniform(&r) * (float)V) % (int)V;
    return tl_head_tie(&in->head, in->E, in->dE, V, d) == TL_OK;
}

static void free_inputs(inputs *in)
{
    free(in->H);
    free(in->dH);
    free(in->t);
    tl_shared_free(in->E);
    tl_shared_free(in->dE);
}

/* The loss, and dH and dE after the call (the starting values plus the
 * gradients), in double from the inputs. dlogit = (softmax(z) - onehot) / B,
 * times 1 - tanh²(raw / cap) when capped. */
static double expected(const inputs *in, double *dH, double *dE)
{
    size_t B = in->s.B, d = in->s.d, V = in->s.V;
    float cap = in->s.cap;
    double *z = malloc(V * sizeof *z), total = 0.0;
    for (size_t i = 0; i < B * d; i++)
        dH[i] = (double)in->dH[i];
    for (size_t i = 0; i < V * d; i++)
        dE[i] = (double)in->dE[i];
    for (size_t b = 0; b < B; b++) {
        const float *h = in->H + b * d;
        double mx = -INFINITY, sum = 0.0;
        for (size_t v = 0; v < V; v++) {
            z[v] = tl_fresh_logit(h, in->E + v * d, d, cap);
            mx = z[v] > mx ? z[v] : mx;
        }
        for (size_t v = 0; v < V; v++)
            sum += exp(z[v] - mx);
        double lse = mx + log(sum);
        total += lse - z[in->t[b]];
        for (size_t v = 0; v < V; v++) {
            double g = (exp(z[v] - lse) - (v == (size_t)in->t[b])) / (double)B;
            if (cap > 0.0f) {
                double th = z[v] / (double)cap;
                g *= 1.0 - th * th;
            }
            const float *e = in->E + v * d;
            for (size_t k = 0; k < d; k++) {
                dH[b * d + k] += g * (double)e[k];
                dE[v * d + k] += g * (double)h[k];
            }
        }
    }
    free(z);
    return total / (double)B;
}

/* One call of tl_head_ce_fused against the double reference; 1 when the
 * loss and both gradients agree. */
static int fused_agrees(shape s, uint64_t seed)
{
    inputs in;
    size_t B = s.B, d = s.d, V = s.V;
    double *wH = malloc(B * d * sizeof *wH), *wE = malloc(V * d * sizeof *wE);
    float *dH0 = malloc(B * d * sizeof *dH0), *dE0 = malloc(V * d * sizeof *dE0);
    int ok = 0;
    if (make_inputs(&in, s, seed) && wH && wE && dH0 && dE0) {
        memcpy(dH0, in.dH, B * d * sizeof *dH0);
        memcpy(dE0, in.dE, V * d * sizeof *dE0);
        double want = expected(&in, wH, wE);
        float loss = NAN;
        char what[128];
        snprintf(what, sizeof what, "B=%zu d=%zu V=%zu cap=%g", B, d, V, (double)s.cap);
        tl_err err = tl_head_ce_fused(&loss, in.dH, &in.head, in.H, in.t, B, d, V, V, s.cap);
        if (err)
            print_error("%s: %s\n", what, tl_last_error());
        /* float sums of d products, then of V exponentials: a few float ulps of
         * each logit, carried into a loss of about ln V */
        ok = !err && fabs((double)loss - want) <= 2e-6 * (1.0 + fabs(want)) * (1.0 + (double)d / 64.0);
        if (!err && !ok)
            print_error("%s: loss %.9g, expected %.9g\n", what, (double)loss, want);
        char w2[160];
        snprintf(w2, sizeof w2, "dH, %s", what);
        ok = ok && tl_grad_close(w2, in.dH, wH, dH0, B * d, 1e-4);
        snprintf(w2, sizeof w2, "dE, %s", what);
        ok = ok && tl_grad_close(w2, in.dE, wE, dE0, V * d, 1e-4);
    }
    free_inputs(&in);
    free(wH);
    free(wE);
    free(dH0);
    free(dE0);
    return ok;
}

static void fused_matches_a_double_reference_on_every_remainder(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < COUNT(shapes); i++)
        failed += !fused_agrees(shapes[i], 100 + i);
    assert_int_equal(failed, 0);
}

/* The split calls: the forward's loss and lse, then the backward from that
 * lse, give what the one call gives; lse is each row's log Σ exp z. */
static void forward_then_backward_equals_the_one_call(void **state)
{
    (void)state;
    shape s = { 65, 100, 1001, 30.0f };
    inputs a, b;
    assert_true(make_inputs(&a, s, 7) && make_inputs(&b, s, 7));
    size_t B = s.B, d = s.d, V = s.V;
    double *lse = malloc(B * sizeof *lse), *wH = malloc(B * d * sizeof *wH), *wE = malloc(V * d * sizeof *wE);
    float l1 = NAN, l2 = NAN;
    assert_int_equal(tl_head_ce_fused(&l1, a.dH, &a.head, a.H, a.t, B, d, V, V, s.cap), TL_OK);
    assert_int_equal(tl_head_ce_fused_forward(&l2, lse, &b.head, b.H, b.t, B, d, V, V, s.cap), TL_OK);
    assert_int_equal(tl_head_ce_fused_backward(b.dH, &b.head, b.H, b.t, lse, B, d, V, s.cap), TL_OK);
    assert_float_equal(l1, l2, 1e-6f * fabsf(l1));
    assert_true(tl_close("dH, split vs one call", b.dH, a.dH, B * d, 1e-6f, 1e-5f));
    assert_true(tl_close("dE, split vs one call", b.dE, a.dE, V * d, 1e-6f, 1e-5f));
    /* lse against the reference: the loss of a row is lse - z[target] */
    double worst = 0.0;
    double *z = malloc(V * sizeof *z);
    for (size_t r = 0; r < B; r++) {
        double mx = -INFINITY, sum = 0.0;
        for (size_t v = 0; v < V; v++) {
            z[v] = tl_fresh_logit(b.H + r * d, b.E + v * d, d, s.cap);
            mx = fmax(mx, z[v]);
        }
        for (size_t v = 0; v < V; v++)
            sum += exp(z[v] - mx);
        worst = fmax(worst, fabs(lse[r] - (mx + log(sum))));
    }
    print_message("lse: worst |error| %.3g over %zu rows\n", worst, B);
    assert_true(worst < 1e-5);
    free(z);
    free(lse);
    free(wH);
    free(wE);
    free_inputs(&a);
    free_inputs(&b);
}

/* Two calls into the same dE (two micro-batches of gradient accumulation)
 * leave the sum of both gradients on top of what dE held: no chunk of any
 * call may assign. Then the loss alone (dH NULL) touches no gradient. */
static void gradients_add_over_calls_and_the_loss_alone_writes_none(void **state)
{
    (void)state;
    shape s = { 300, 8, 4099, 2.0f };
    inputs x;
    assert_true(make_inputs(&x, s, 21));
    size_t B = s.B, d = s.d, V = s.V;
    double *wH = malloc(B * d * sizeof *wH), *wE = malloc(V * d * sizeof *wE);
    double *wH2 = malloc(B * d * sizeof *wH2), *wE2 = malloc(V * d * sizeof *wE2);
    float *dE0 = malloc(V * d * sizeof *dE0), *dH0 = malloc(B * d * sizeof *dH0);
    memcpy(dE0, x.dE, V * d * sizeof *dE0);
    memcpy(dH0, x.dH, B * d * sizeof *dH0);
    expected(&x, wH, wE);
    float loss;
    assert_int_equal(tl_head_ce_fused(&loss, x.dH, &x.head, x.H, x.t, B, d, V, V, s.cap), TL_OK);
    assert_int_equal(tl_head_ce_fused(&loss, x.dH, &x.head, x.H, x.t, B, d, V, V, s.cap), TL_OK);
    for (size_t i = 0; i < V * d; i++)   /* start + 2 g */
        wE2[i] = 2.0 * wE[i] - (double)dE0[i];
    for (size_t i = 0; i < B * d; i++)
        wH2[i] = 2.0 * wH[i] - (double)dH0[i];
    assert_true(tl_grad_close("dE after two calls", x.dE, wE2, dE0, V * d, 1e-4));
    assert_true(tl_grad_close("dH after two calls", x.dH, wH2, dH0, B * d, 1e-4));

    memcpy(dE0, x.dE, V * d * sizeof *dE0);
    float alone = NAN;
    assert_int_equal(tl_head_ce_fused(&alone, NULL, &x.head, x.H, x.t, B, d, V, V, s.cap), TL_OK);
    assert_float_equal(alone, loss, 1e-6f * fabsf(loss));
    assert_memory_equal(x.dE, dE0, V * d * sizeof *dE0);
    free(wH); free(wE); free(wH2); free(wE2); free(dE0); free(dH0);
    free_inputs(&x);
}

/* Central differences of the loss itself, in float, on a small case. */
static void fused_gradients_match_finite_differences(void **state)
{
    (void)state;
    shape s = { 3, 5, 7, 2.0f };
    inputs x;
    assert_true(make_inputs(&x, s, 5));
    size_t B = s.B, d = s.d, V = s.V;
    memset(x.dH, 0, B * d * sizeof *x.dH);
    memset(x.dE, 0, V * d * sizeof *x.dE);
    float loss;
    assert_int_equal(tl_head_ce_fused(&loss, x.dH, &x.head, x.H, x.t, B, d, V, V, s.cap), TL_OK);
    const float eps = 1e-2f;
    int bad = 0;
    float *ws[2] = { x.E, x.H }, *gs[2] = { x.dE, x.dH };
    size_t ns[2] = { V * d, B * d };
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < ns[w]; i++) {
            float keep = ws[w][i], up, down;
            ws[w][i] = keep + eps;
            assert_int_equal(tl_head_ce_fused(&up, NULL, &x.head, x.H, x.t, B, d, V, V, s.cap), TL_OK);
            ws[w][i] = keep - eps;
            assert_int_equal(tl_head_ce_fused(&down, NULL, &x.head, x.H, x.t, B, d, V, V, s.cap), TL_OK);
            ws[w][i] = keep;
            double fd = ((double)up - (double)down) / (2.0 * (double)eps);
            if (fabs(fd - (double)gs[w][i]) > 2e-3 + 1e-2 * fabs(fd)) {
                print_error("%s[%zu]: analytic %.6g, finite differences %.6g\n", w ? "dH" : "dE", i,
                            (double)gs[w][i], fd);
                bad++;
            }
        }
    assert_int_equal(bad, 0);
    free_inputs(&x);
}

/* What it holds while it runs is a chunk, not the logits: at GPT-2's shape
 * (B = 4096, d = 768, V = 50257) under 1% of B·V floats, and more than none. */
static void the_fused_path_holds_a_chunk_not_the_logits(void **state)
{
    (void)state;
    size_t B = 4096, d = 768, V = 50257;
    size_t held = tl_head_ce_fused_bytes(B, d, V), logits = B * V * sizeof(float);
    print_message("held %zu bytes against %zu for the logits (%.4f%%)\n", held, logits,
                  100.0 * (double)held / (double)logits);
    assert_true(held > 0 && held < logits / 100);
    /* and a model on the fused head allocates no logits at all */
    tl_config c = tl_small_config();
    c.head_kernel = TL_HEAD_FUSED;
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_null(m->logits);
    assert_null(m->probs);
    assert_null(m->dlogits);
    tl_model_destroy(m);
}

static void fused_errors_name_the_call_and_both_sizes(void **state)
{
    (void)state;
    shape s = { 4, 8, 16, 30.0f };
    inputs x;
    assert_true(make_inputs(&x, s, 9));
    float loss;
    double lse[4];
    assert_int_equal(tl_head_ce_fused(&loss, x.dH, &x.head, x.H, x.t, 4, 8, 16, 12, 30.0f), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_ce_fused", "16", "12", NULL));
    assert_int_equal(tl_head_ce_fused_forward(&loss, lse, &x.head, x.H, x.t, 4, 8, 20, 20, 30.0f), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_ce_fused_forward", "16", "20", NULL));
    assert_int_equal(tl_head_ce_fused_backward(x.dH, &x.head, x.H, x.t, lse, 4, 6, 16, 30.0f), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_ce_fused_backward", "8", "6", NULL));
    x.t[2] = 16;
    assert_int_equal(tl_head_ce_fused(&loss, NULL, &x.head, x.H, x.t, 4, 8, 16, 16, 30.0f), TL_ERANGE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_ce_fused", "16", NULL));
    x.t[2] = 0;
    assert_int_equal(tl_head_ce_fused(&loss, NULL, &x.head, x.H, x.t, 4, 8, 16, 16, -1.0f), TL_EINVAL);
    assert_int_equal(tl_head_ce_fused(NULL, NULL, &x.head, x.H, x.t, 4, 8, 16, 16, 30.0f), TL_EINVAL);
    lse[0] = lse[1] = lse[3] = 1.0;
    lse[2] = NAN;   /* not what a forward leaves */
    assert_int_equal(tl_head_ce_fused_backward(x.dH, &x.head, x.H, x.t, lse, 4, 8, 16, 30.0f), TL_ENUMERIC);
    free_inputs(&x);
}

int test_head_ce_fused(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fused_matches_a_double_reference_on_every_remainder),
        cmocka_unit_test(forward_then_backward_equals_the_one_call),
        cmocka_unit_test(gradients_add_over_calls_and_the_loss_alone_writes_none),
        cmocka_unit_test(fused_gradients_match_finite_differences),
        cmocka_unit_test(the_fused_path_holds_a_chunk_not_the_logits),
        cmocka_unit_test(fused_errors_name_the_call_and_both_sizes),
    };
    return tl_run_group_tests("head_ce_fused", tests);
}
