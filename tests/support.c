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

tl_err tl_train_run(const tl_config *cfg, size_t K, float *losses, double *H,
                    tl_model **keep)
{
    tl_markov *mk = NULL;
    tl_model *m = NULL;
    int *ids = malloc(cfg->batch * sizeof *ids), *targets = malloc(cfg->batch * sizeof *targets);
    tl_err err = ids && targets ? TL_OK : TL_ENOMEM;
    if (!err) err = tl_markov_create(&mk, cfg->V_out, K, 42);
    if (!err) err = tl_model_create(&m, cfg);
    for (size_t s = 0; s < cfg->steps; s++)
        losses[s] = NAN;
    if (!err) {
        if (H)
            *H = tl_markov_entropy_rate(mk);
        tl_rng rng;
        tl_rng_seed(&rng, cfg->seed ^ 0x5eed);
        tl_markov_start(mk, ids, cfg->batch, &rng);
        for (size_t s = 0; s < cfg->steps && !err; s++) {
            tl_markov_step(mk, targets, ids, cfg->batch, &rng);
            err = tl_model_train_step(m, &losses[s], ids, targets, cfg->batch);
            memcpy(ids, targets, cfg->batch * sizeof *ids);
        }
    }
    if (keep)
        *keep = m;
    else
        tl_model_destroy(m);
    tl_markov_destroy(mk);
    free(ids);
    free(targets);
    return err;
}

double tl_mean(const float *losses, size_t from, size_t to)
{
    double s = 0.0;
    for (size_t i = from; i < to; i++)
        s += (double)losses[i];
    return to > from ? s / (double)(to - from) : (double)NAN;
}
