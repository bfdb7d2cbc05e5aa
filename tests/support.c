/* support.c — see support.h. */
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char nonce[64] = "-";

void tl_nonce_take(void)
{
    const char *e = getenv("TL_NONCE");
    if (e && *e)
        snprintf(nonce, sizeof nonce, "%s", e);
    unsetenv("TL_NONCE");
}

void tl_nonce_done(int failed)
{
    printf("tiedlab-done %s %d\n", nonce, failed);
    fflush(stdout);
}

int tl_run_group(const char *name, const struct CMUnitTest *tests, size_t n)
{
    tl_nonce_take();
    int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    tl_nonce_done(failed);
    return failed;
}

int tl_close(const char *what, const float *got, const float *want, size_t n,
             float atol, float rtol)
{
    size_t worst = 0;
    double excess = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs((double)got[i] - (double)want[i]);
        double e = isnan(diff) ? (double)INFINITY : diff - ((double)atol + (double)rtol * fabs((double)want[i]));
        if (e > excess) {
            excess = e;
            worst = i;
        }
    }
    if (n == 0 || excess <= 0.0)
        return 1;
    fprintf(stderr, "%s: worst element %zu: got %.7g, want %.7g (|diff| %.3g, tolerance %.3g + %.3g*|want|)\n",
            what, worst, (double)got[worst], (double)want[worst],
            fabs((double)got[worst] - (double)want[worst]), (double)atol, (double)rtol);
    return 0;
}

int tl_mentions(const char *msg, const char *needle)
{
    if (msg && strstr(msg, needle))
        return 1;
    fprintf(stderr, "expected the message to mention '%s', got: '%s'\n", needle, msg ? msg : "(null)");
    return 0;
}

static double batch_loss(tl_model *m, const int *ids, const int *targets, size_t B)
{
    float loss = NAN;
    if (tl_model_forward(m, ids, B) || tl_model_loss(m, &loss, targets, B))
        return NAN;
    return (double)loss;
}

int tl_gradcheck_model(const char *what, tl_model *m, float *w, const float *g,
                       size_t n, size_t max_checks, const int *ids,
                       const int *targets, size_t B)
{
    const float eps = 1e-2f;
    size_t stride = n > max_checks ? n / max_checks : 1;
    size_t count = (n + stride - 1) / stride;
    float *fd = malloc(count * sizeof *fd), *an = malloc(count * sizeof *an);
    if (!fd || !an) {
        free(fd);
        free(an);
        return 0;
    }
    size_t c = 0;
    for (size_t i = 0; i < n && c < count; i += stride, c++) {
        float keep = w[i];
        w[i] = keep + eps;
        double lp = batch_loss(m, ids, targets, B);
        w[i] = keep - eps;
        double lm = batch_loss(m, ids, targets, B);
        w[i] = keep;
        fd[c] = (float)((lp - lm) / (2.0 * (double)eps));
        an[c] = g[i];
    }
    int ok = tl_close(what, an, fd, c, 2e-3f, 3e-2f);
    free(fd);
    free(an);
    return ok;
}

tl_err tl_trainer_start(tl_trainer *t, const tl_config *cfg, size_t K)
{
    t->m = NULL;
    t->mk = NULL;
    t->B = cfg->batch;
    t->ids = malloc(t->B * sizeof *t->ids);
    t->targets = malloc(t->B * sizeof *t->targets);
    tl_err err = t->ids && t->targets ? TL_OK : TL_ENOMEM;
    if (!err) err = tl_markov_create(&t->mk, cfg->V_out, K, 42);
    if (!err) err = tl_model_create(&t->m, cfg);
    if (!err) {
        tl_rng_seed(&t->rng, cfg->seed ^ 0x5eed);
        tl_markov_start(t->mk, t->ids, t->B, &t->rng);
    }
    return err;
}

tl_err tl_trainer_step(tl_trainer *t, float *loss)
{
    tl_markov_step(t->mk, t->targets, t->ids, t->B, &t->rng);
    tl_err err = tl_model_train_step(t->m, loss, t->ids, t->targets, t->B);
    memcpy(t->ids, t->targets, t->B * sizeof *t->ids);
    return err;
}

void tl_trainer_end(tl_trainer *t, tl_model **keep)
{
    if (keep)
        *keep = t->m;
    else
        tl_model_destroy(t->m);
    tl_markov_destroy(t->mk);
    free(t->ids);
    free(t->targets);
    t->m = NULL;
    t->mk = NULL;
    t->ids = t->targets = NULL;
}

tl_err tl_train_run(const tl_config *cfg, size_t K, float *losses, double *H,
                    tl_model **keep)
{
    tl_trainer t;
    tl_err err = tl_trainer_start(&t, cfg, K);
    for (size_t s = 0; s < cfg->steps; s++)
        losses[s] = NAN;
    if (!err && H)
        *H = tl_markov_entropy_rate(t.mk);
    for (size_t s = 0; s < cfg->steps && !err; s++)
        err = tl_trainer_step(&t, &losses[s]);
    tl_trainer_end(&t, keep);
    return err;
}

tl_err tl_train_ends(const tl_config *cfg, size_t K, size_t tail, float *first,
                     double *end, double *H)
{
    float *losses = malloc((cfg->steps ? cfg->steps : 1) * sizeof *losses);
    if (!losses)
        return TL_ENOMEM;
    tl_err err = tl_train_run(cfg, K, losses, H, NULL);
    if (first)
        *first = cfg->steps ? losses[0] : NAN;
    *end = tl_mean(losses, cfg->steps - tail, cfg->steps);
    free(losses);
    return err;
}

int tl_default_run_ends_near(tl_head_kernel kernel, float reference, float tol)
{
    tl_config c = tl_config_default();
    c.head_kernel = kernel;
    double tail;
    if (tl_train_ends(&c, 4, 30, NULL, &tail, NULL) != TL_OK) {
        fprintf(stderr, "the default run failed: %s\n", tl_last_error());
        return 0;
    }
    float end = (float)tail;
    print_message("loss over the last 30 steps: %.3f (reference %.3f)\n", (double)end, (double)reference);
    return tl_close("mean loss over the last 30 steps", &end, &reference, 1, tol, 0.0f);
}

tl_err tl_loss_at_init(const tl_config *cfg, size_t K, float *loss)
{
    tl_config c = *cfg;
    c.steps = 1;
    c.lr = 0.0f;   /* the loss of step 0 is computed before any update */
    return tl_train_run(&c, K, loss, NULL, NULL);
}

size_t tl_tied_param_count(const tl_config *cfg, size_t V)
{
    return V * cfg->d + 2 * cfg->d + 2 * cfg->hidden * cfg->d;
}

tl_config tl_small_config(void)
{
    tl_config c = tl_config_default();
    c.V_in = c.V_out = TL_SMALL_V;
    c.d = TL_SMALL_D;
    c.hidden = TL_SMALL_HIDDEN;
    c.batch = TL_SMALL_B;
    c.init_std = 0.5f;
    c.seed = 3;
    return c;
}

tl_err tl_gradients(tl_model *m, float *loss, const int *ids, const int *targets,
                    size_t B)
{
    float scratch;
    tl_optim_zero_grad(m->opt);
    tl_err err = tl_model_forward(m, ids, B);
    if (!err) err = tl_model_loss(m, loss ? loss : &scratch, targets, B);
    if (!err) err = tl_model_backward(m, targets, B);
    return err;
}

double tl_fresh_logit(const float *h, const float *e, size_t d, float cap)
{
    double z = 0.0;
    for (size_t k = 0; k < d; k++)
        z += (double)h[k] * (double)e[k];
    if (cap > 0.0f)
        z = (double)cap * tanh(z / (double)cap);
    return z;
}

void tl_fresh_logits(float *out, const float *H, const float *E, size_t B,
                     size_t d, size_t V, float cap)
{
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++)
            out[b * V + v] = (float)tl_fresh_logit(H + b * d, E + v * d, d, cap);
}

double tl_fresh_logits_max_diff(const float *logits, const float *H, const float *E,
                                size_t B, size_t d, size_t V, float cap)
{
    double worst = 0.0;
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++)
            worst = fmax(worst, fabs((double)logits[b * V + v] -
                                     tl_fresh_logit(H + b * d, E + v * d, d, cap)));
    return worst;
}

double tl_mean(const float *losses, size_t from, size_t to)
{
    double s = 0.0;
    for (size_t i = from; i < to; i++)
        s += (double)losses[i];
    return to > from ? s / (double)(to - from) : (double)NAN;
}
