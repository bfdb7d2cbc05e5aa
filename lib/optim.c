/* optim.c — SGD and Adam over a list of named buffers, each with its own rate.
 *
 * A tied matrix is one buffer and must be stepped once per step: registering
 * a buffer that overlaps one already in the list is an error, not a second
 * update (the bug PyTorch also refuses: one parameter in two groups).
 */
#include "tiedlab.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADAM_BETA1 0.9f
#define ADAM_BETA2 0.999f
#define ADAM_EPS   1e-8f

typedef struct {
    char name[48];
    float *w, *g;     /* borrowed: the model owns its weights and gradients */
    float *m, *v;     /* [n] Adam moments, owned */
    size_t n;
    float lr;
} param;

struct tl_optim {
    tl_optim_kind kind;
    param *params;
    size_t count, cap;
    long t;           /* steps taken, for Adam's bias correction */
};

tl_err tl_optim_create(tl_optim **out, tl_optim_kind kind)
{
    if (!out || (kind != TL_SGD && kind != TL_ADAM))
        return tl_fail(TL_EINVAL, "tl_optim_create: NULL output or unknown kind %d", (int)kind);
    *out = calloc(1, sizeof **out);
    if (!*out)
        return tl_fail(TL_ENOMEM, "tl_optim_create: out of memory");
    (*out)->kind = kind;
    return TL_OK;
}

static int overlaps(const float *a, size_t na, const float *b, size_t nb)
{
    uintptr_t a0 = (uintptr_t)a, a1 = a0 + na * sizeof(float);
    uintptr_t b0 = (uintptr_t)b, b1 = b0 + nb * sizeof(float);
    return a0 < b1 && b0 < a1;
}

tl_err tl_optim_add(tl_optim *opt, const char *name, float *w, float *g,
                    size_t n, float lr)
{
    if (!opt || !name || !w || !g || n == 0)
        return tl_fail(TL_EINVAL, "tl_optim_add: NULL argument or zero size for '%s'", name ? name : "?");
    if (!(lr >= 0.0f) || !isfinite(lr))
        return tl_fail(TL_EINVAL, "tl_optim_add: learning rate %g for '%s' is not a finite rate >= 0",
                       (double)lr, name);
    for (size_t i = 0; i < opt->count; i++)
        if (overlaps(opt->params[i].w, opt->params[i].n, w, n))
            return tl_fail(TL_EDUP, "tl_optim_add: '%s' (%zu floats) shares memory with '%s' (%zu floats), "
                           "already registered", name, n, opt->params[i].name, opt->params[i].n);
    if (opt->count == opt->cap) {
        size_t cap = opt->cap ? 2 * opt->cap : 8;
        param *p = realloc(opt->params, cap * sizeof *p);
        if (!p)
            return tl_fail(TL_ENOMEM, "tl_optim_add: out of memory");
        opt->params = p;
        opt->cap = cap;
    }
    param *p = &opt->params[opt->count];
    *p = (param){ .w = w, .g = g, .n = n, .lr = lr };
    snprintf(p->name, sizeof p->name, "%s", name);
    if (opt->kind == TL_ADAM) {
        p->m = calloc(n, sizeof *p->m);
        p->v = calloc(n, sizeof *p->v);
        if (!p->m || !p->v) {
            free(p->m);
            free(p->v);
            return tl_fail(TL_ENOMEM, "tl_optim_add: cannot allocate Adam moments for '%s'", name);
        }
    }
    opt->count++;
    return TL_OK;
}

tl_err tl_optim_step(tl_optim *opt)
{
    if (!opt)
        return tl_fail(TL_EINVAL, "tl_optim_step: NULL optimizer");
    opt->t++;
    float c1 = 1.0f - powf(ADAM_BETA1, (float)opt->t);
    float c2 = 1.0f - powf(ADAM_BETA2, (float)opt->t);
    for (size_t i = 0; i < opt->count; i++) {
        param *p = &opt->params[i];
        if (opt->kind == TL_SGD) {
            for (size_t j = 0; j < p->n; j++)
                p->w[j] -= p->lr * p->g[j];
            continue;
        }
        for (size_t j = 0; j < p->n; j++) {
            float g = p->g[j];
            p->m[j] = ADAM_BETA1 * p->m[j] + (1.0f - ADAM_BETA1) * g;
            p->v[j] = ADAM_BETA2 * p->v[j] + (1.0f - ADAM_BETA2) * g * g;
            float mhat = p->m[j] / c1, vhat = p->v[j] / c2;
            p->w[j] -= p->lr * mhat / (sqrtf(vhat) + ADAM_EPS);
        }
    }
    return TL_OK;
}

void tl_optim_zero_grad(tl_optim *opt)
{
    if (!opt)
        return;
    for (size_t i = 0; i < opt->count; i++)
        memset(opt->params[i].g, 0, opt->params[i].n * sizeof(float));
}

size_t tl_optim_param_count(const tl_optim *opt)
{
    size_t n = 0;
    for (size_t i = 0; opt && i < opt->count; i++)
        n += opt->params[i].n;
    return n;
}

void tl_optim_destroy(tl_optim *opt)
{
    if (!opt)
        return;
    for (size_t i = 0; i < opt->count; i++) {
        free(opt->params[i].m);
        free(opt->params[i].v);
    }
    free(opt->params);
    free(opt);
}

/* ---- state, for checkpoints ------------------------------------------------ */

size_t tl_optim_steps(const tl_optim *opt)
{
    return opt ? (size_t)opt->t : 0;
}

tl_err tl_optim_set_steps(tl_optim *opt, size_t steps)
{
    if (!opt)
        return tl_fail(TL_EINVAL, "tl_optim_set_steps: NULL optimizer");
    if (steps > (size_t)LONG_MAX)
        return tl_fail(TL_ERANGE, "tl_optim_set_steps: %zu steps is more than %ld", steps, LONG_MAX);
    opt->t = (long)steps;
    return TL_OK;
}

tl_err tl_optim_moments(tl_optim *opt, const char *name, float **m, float **v, size_t *n)
{
    if (!opt || !name || !m || !v || !n)
        return tl_fail(TL_EINVAL, "tl_optim_moments: NULL argument");
    for (size_t i = 0; i < opt->count; i++)
        if (!strcmp(opt->params[i].name, name)) {
            *m = opt->params[i].m;
            *v = opt->params[i].v;
            *n = opt->params[i].n;
            return TL_OK;
        }
    return tl_fail(TL_EINVAL, "tl_optim_moments: no buffer registered as '%s'", name);
}
