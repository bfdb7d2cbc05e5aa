/* model.c — the smallest language model that really learns, with a tied head.
 *
 *   x = E[id]                      embedding (E is [V, d])
 *   y = x + W2 · silu(W1 · rmsnorm(x; g1))
 *   h = rmsnorm(y; g2)
 *   logits = c·tanh(h · Eᵀ / c)     the same E, read as the head; c = softcap
 *
 * One token of context is enough to reach the Markov source's floor H, so a
 * healthy run goes from ln(V) at step 0 down toward H.
 */
#include "tiedlab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RMS_EPS 1e-6f

tl_config tl_config_default(void)
{
    return (tl_config){
        .V_in = 256, .V_out = 256, .d = 64, .hidden = 128,
        .init_std = TL_TIED_INIT_STD, .softcap = TL_SOFTCAP_DEFAULT, .lr = 1e-2f,
        .steps = 300, .batch = 64, .seed = 1, .tied = 1, .optim = TL_ADAM,
        .head_kernel = TL_HEAD_FAST,
    };
}

/* ---- building blocks ----------------------------------------------------- */

/* out[b] = x[b] * r[b] * g, r[b] = 1 / rms(x[b]) */
static void rmsnorm_forward(float *out, float *r, const float *x, const float *g,
                            size_t B, size_t d)
{
    for (size_t b = 0; b < B; b++) {
        const float *xb = x + b * d;
        double ss = 0.0;
        for (size_t k = 0; k < d; k++)
            ss += (double)xb[k] * (double)xb[k];
        r[b] = (float)(1.0 / sqrt(ss / (double)d + (double)RMS_EPS));
        for (size_t k = 0; k < d; k++)
            out[b * d + k] = xb[k] * r[b] * g[k];
    }
}

/* dx += r*g*dout - r^3/d * x * sum_k(g*dout*x);  dg += sum_b dout*x*r */
static void rmsnorm_backward(float *dx, float *dg, const float *dout, const float *x,
                             const float *r, const float *g, size_t B, size_t d)
{
    for (size_t b = 0; b < B; b++) {
        const float *xb = x + b * d, *db = dout + b * d;
        double dot = 0.0;
        for (size_t k = 0; k < d; k++) {
            dot += (double)(g[k] * db[k] * xb[k]);
            dg[k] += db[k] * xb[k] * r[b];
        }
        float c = (float)(dot * (double)r[b] * (double)r[b] * (double)r[b] / (double)d);
        for (size_t k = 0; k < d; k++)
            dx[b * d + k] += r[b] * g[k] * db[k] - c * xb[k];
    }
}

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* ---- lifetime ------------------------------------------------------------ */

static float *zalloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static void free_activations(tl_model *m)
{
    float **bufs[] = { &m->x, &m->n1, &m->a, &m->s, &m->y, &m->h, &m->r1, &m->r2,
                       &m->logits, &m->probs, &m->dx, &m->dn1, &m->da, &m->dy,
                       &m->dh, &m->dlogits };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        free(*bufs[i]);
        *bufs[i] = NULL;
    }
    free(m->ids);
    free(m->lse);
    m->ids = NULL;
    m->lse = NULL;
    m->B_cap = 0;
}

/* Activations for B rows; logits are as wide as the head. A fused head holds
 * no logits, only each row's log-sum-exp from the loss for the backward. */
static tl_err ensure_batch(tl_model *m, size_t B)
{
    if (B <= m->B_cap)
        return TL_OK;
    free_activations(m);
    size_t d = m->cfg.d, hid = m->cfg.hidden, V = m->head.V;
    m->x = zalloc(B * d);   m->n1 = zalloc(B * d);  m->a = zalloc(B * hid);
    m->s = zalloc(B * hid); m->y = zalloc(B * d);   m->h = zalloc(B * d);
    m->r1 = zalloc(B);      m->r2 = zalloc(B);
    int fused = m->cfg.head_kernel == TL_HEAD_FUSED;
    if (fused)
        m->lse = calloc(B, sizeof *m->lse);
    else {
        m->logits = zalloc(B * V); m->probs = zalloc(B * V); m->dlogits = zalloc(B * V);
    }
    m->dx = zalloc(B * d);  m->dn1 = zalloc(B * d); m->da = zalloc(B * hid);
    m->dy = zalloc(B * d);  m->dh = zalloc(B * d);
    m->ids = calloc(B, sizeof *m->ids);
    if (!m->ids || !m->x || !m->n1 || !m->a || !m->s || !m->y || !m->h || !m->r1 || !m->r2 ||
        (fused ? !m->lse : !m->logits || !m->probs || !m->dlogits) || !m->dx || !m->dn1 || !m->da ||
        !m->dy || !m->dh) {
        free_activations(m);
        return tl_fail(TL_ENOMEM, "tl_model: cannot allocate activations for B=%zu", B);
    }
    m->B_cap = B;
    return TL_OK;
}

/* Every trainable buffer, registered once each: the tied E is one entry. */
static tl_err register_params(tl_model *m)
{
    size_t d = m->cfg.d, hid = m->cfg.hidden;
    float lr = m->cfg.lr;
    tl_optim_destroy(m->opt);
    m->opt = NULL;
    tl_err err = tl_optim_create(&m->opt, m->cfg.optim);
    if (!err) err = tl_optim_add(m->opt, "E", m->E, m->dE, m->V * d, lr);
    if (!err) err = tl_optim_add(m->opt, "g1", m->g1, m->dg1, d, lr);
    if (!err) err = tl_optim_add(m->opt, "W1", m->W1, m->dW1, hid * d, lr);
    if (!err) err = tl_optim_add(m->opt, "W2", m->W2, m->dW2, d * hid, lr);
    if (!err) err = tl_optim_add(m->opt, "g2", m->g2, m->dg2, d, lr);
    if (!err && !m->head.tied)
        err = tl_optim_add(m->opt, "head.W", m->head.W, m->head.dW, m->head.V * d, lr);
    return err;
}

tl_err tl_model_create(tl_model **out, const tl_config *cfg)
{
    if (!out || !cfg)
        return tl_fail(TL_EINVAL, "tl_model_create: NULL argument");
    *out = NULL;
    if (cfg->V_in == 0 || cfg->V_out == 0 || cfg->d == 0 || cfg->hidden == 0 || cfg->batch == 0)
        return tl_fail(TL_EINVAL, "tl_model_create: zero size (V_in=%zu, V_out=%zu, d=%zu, hidden=%zu, batch=%zu)",
                       cfg->V_in, cfg->V_out, cfg->d, cfg->hidden, cfg->batch);
    if (!(cfg->softcap >= 0.0f) || !isfinite(cfg->softcap))
        return tl_fail(TL_EINVAL, "tl_model_create: softcap %g is not a finite cap >= 0 (0 = off)", (double)cfg->softcap);
    if (!(cfg->init_std >= 0.0f) || !isfinite(cfg->init_std))
        return tl_fail(TL_EINVAL, "tl_model_create: init_std %g is not a finite std >= 0", (double)cfg->init_std);
    if (cfg->head_kernel != TL_HEAD_FAST && cfg->head_kernel != TL_HEAD_REFERENCE &&
        cfg->head_kernel != TL_HEAD_FUSED)
        return tl_fail(TL_EINVAL, "tl_model_create: head_kernel %d is not TL_HEAD_FAST, TL_HEAD_REFERENCE or TL_HEAD_FUSED",
                       (int)cfg->head_kernel);
    tl_model *m = calloc(1, sizeof *m);
    if (!m)
        return tl_fail(TL_ENOMEM, "tl_model_create: out of memory");
    m->cfg = *cfg;
    size_t V = cfg->V_in, d = cfg->d, hid = cfg->hidden;
    m->V = V;
    m->E = zalloc(V * d);    m->dE = zalloc(V * d);
    m->g1 = zalloc(d);       m->dg1 = zalloc(d);
    m->W1 = zalloc(hid * d); m->dW1 = zalloc(hid * d);
    m->W2 = zalloc(d * hid); m->dW2 = zalloc(d * hid);
    m->g2 = zalloc(d);       m->dg2 = zalloc(d);
    tl_err err = TL_OK;
    if (!m->E || !m->dE || !m->g1 || !m->dg1 || !m->W1 || !m->dW1 || !m->W2 || !m->dW2 ||
        !m->g2 || !m->dg2)
        err = tl_fail(TL_ENOMEM, "tl_model_create: cannot allocate weights (V=%zu, d=%zu)", V, d);
    if (!err)
        err = cfg->tied ? tl_head_tie(&m->head, m->E, m->dE, V, d)
                        : tl_head_create_untied(&m->head, cfg->V_out, d);
    if (err) {
        tl_model_destroy(m);
        return err;
    }

    tl_rng rng;
    tl_rng_seed(&rng, cfg->seed);
    tl_init_normal(m->E, V * d, cfg->init_std, &rng);
    tl_init_uniform(m->W1, hid * d, 1.0f / sqrtf((float)d), &rng);
    tl_init_uniform(m->W2, d * hid, 1.0f / sqrtf((float)hid), &rng);
    for (size_t k = 0; k < d; k++)
        m->g1[k] = m->g2[k] = 1.0f;
    if (!cfg->tied)
        tl_init_normal(m->head.W, cfg->V_out * d, cfg->init_std, &rng);

    err = register_params(m);
    if (!err)
        err = ensure_batch(m, cfg->batch);
    if (err) {
        tl_model_destroy(m);
        return err;
    }
    *out = m;
    return TL_OK;
}

void tl_model_destroy(tl_model *m)
{
    if (!m)
        return;
    free_activations(m);
    tl_optim_destroy(m->opt);
    tl_head_free(&m->head);
    free(m->E);  free(m->dE);
    free(m->g1); free(m->dg1);
    free(m->W1); free(m->dW1);
    free(m->W2); free(m->dW2);
    free(m->g2); free(m->dg2);
    free(m);
}

/* ---- forward and backward ---------------------------------------------------- */

tl_err tl_model_forward(tl_model *m, const int *ids, size_t B)
{
    if (!m || !ids || B == 0)
        return tl_fail(TL_EINVAL, "tl_model_forward: NULL argument or empty batch");
    tl_err err = ensure_batch(m, B);
    if (err)
        return err;
    size_t d = m->cfg.d, hid = m->cfg.hidden;
    err = tl_embedding_forward(m->x, ids, m->E, B, d, m->V);
    if (err)
        return err;
    memcpy(m->ids, ids, B * sizeof *ids);   /* backward scatters into these rows */
    rmsnorm_forward(m->n1, m->r1, m->x, m->g1, B, d);
    tl_matmul_forward(m->a, m->n1, m->W1, B, d, hid);
    for (size_t i = 0; i < B * hid; i++)
        m->s[i] = m->a[i] * sigmoidf(m->a[i]);
    tl_matmul_forward(m->y, m->s, m->W2, B, hid, d);
    for (size_t i = 0; i < B * d; i++)
        m->y[i] += m->x[i];
    rmsnorm_forward(m->h, m->r2, m->y, m->g2, B, d);
    if (m->cfg.head_kernel == TL_HEAD_FUSED)
        return TL_OK;   /* the loss makes the logits, a chunk at a time */
    err = m->cfg.head_kernel == TL_HEAD_FAST
              ? tl_head_forward_fast(m->logits, m->h, &m->head, B, d, m->head.V)
              : tl_head_forward(m->logits, m->h, &m->head, B, d, m->head.V);
    float c = m->cfg.softcap;
    if (!err && c > 0.0f)
        for (size_t i = 0; i < B * m->head.V; i++)
            m->logits[i] = c * tanhf(m->logits[i] / c);
    return err;
}

tl_err tl_model_loss(tl_model *m, float *loss, const int *targets, size_t B)
{
    if (!m || !loss || !targets || B == 0 || B > m->B_cap)
        return tl_fail(TL_EINVAL, "tl_model_loss: NULL argument or batch %zu without a forward", B);
    /* the logits are as wide as the head; the targets come from V_out classes */
    if (m->cfg.head_kernel == TL_HEAD_FUSED)
        return tl_head_ce_fused_forward(loss, m->lse, &m->head, m->h, targets, B, m->cfg.d,
                                        m->head.V, m->cfg.V_out, m->cfg.softcap);
    return tl_cross_entropy_forward(loss, m->probs, m->logits, targets, B, m->head.V, m->cfg.V_out);
}

/* The unfused head's backward: dlogits from the probabilities, through the
 * cap's derivative, then dh and the head's dW (dE when tied). */
static tl_err head_backward(tl_model *m, const int *targets, size_t B)
{
    size_t d = m->cfg.d, V = m->head.V;
    memset(m->dlogits, 0, B * V * sizeof(float));
    tl_err err = tl_cross_entropy_backward(m->dlogits, m->probs, targets, B, V);
    float c = m->cfg.softcap;
    if (!err && c > 0.0f)
        for (size_t i = 0; i < B * V; i++) {
            float t = m->logits[i] / c;          /* tanh(z / c), from the capped logit */
            m->dlogits[i] *= 1.0f - t * t;
        }
    if (!err)   /* into dE when tied */
        err = m->cfg.head_kernel == TL_HEAD_FAST
                  ? tl_head_backward_fast(m->dh, &m->head, m->dlogits, m->h, B, d, V)
                  : tl_head_backward(m->dh, &m->head, m->dlogits, m->h, B, d, V);
    return err;
}

tl_err tl_model_backward(tl_model *m, const int *targets, size_t B)
{
    if (!m || !targets || B == 0 || B > m->B_cap)
        return tl_fail(TL_EINVAL, "tl_model_backward: NULL argument or batch %zu without a forward", B);
    size_t d = m->cfg.d, hid = m->cfg.hidden;
    memset(m->dh, 0, B * d * sizeof(float));
    memset(m->dy, 0, B * d * sizeof(float));
    memset(m->dn1, 0, B * d * sizeof(float));
    tl_err err = m->cfg.head_kernel == TL_HEAD_FUSED   /* into dE when tied, too */
                     ? tl_head_ce_fused_backward(m->dh, &m->head, m->h, targets, m->lse, B, d,
                                                 m->head.V, m->cfg.softcap)
                     : head_backward(m, targets, B);
    if (err)
        return err;
    rmsnorm_backward(m->dy, m->dg2, m->dh, m->y, m->r2, m->g2, B, d);
    memcpy(m->dx, m->dy, B * d * sizeof(float));        /* the residual path */
    memset(m->da, 0, B * hid * sizeof(float));
    tl_matmul_backward(m->da, m->dW2, m->dy, m->s, m->W2, B, hid, d);   /* da holds ds here */
    for (size_t i = 0; i < B * hid; i++) {
        float sg = sigmoidf(m->a[i]);
        m->da[i] *= sg * (1.0f + m->a[i] * (1.0f - sg));   /* silu'(a) */
    }
    tl_matmul_backward(m->dn1, m->dW1, m->da, m->n1, m->W1, B, d, hid);
    rmsnorm_backward(m->dx, m->dg1, m->dn1, m->x, m->r1, m->g1, B, d);
    return tl_embedding_backward(m->dE, m->dx, m->ids, B, d, m->V);
}

tl_err tl_model_train_step(tl_model *m, float *loss, const int *ids,
                           const int *targets, size_t B)
{
    if (!m || !loss)
        return tl_fail(TL_EINVAL, "tl_model_train_step: NULL argument");
    tl_optim_zero_grad(m->opt);
    tl_err err = tl_model_forward(m, ids, B);
    if (!err) err = tl_model_loss(m, loss, targets, B);
    if (!err) err = tl_model_backward(m, targets, B);
    if (!err) err = tl_optim_step(m->opt);
    return err;
}

size_t tl_model_param_count(const tl_model *m)
{
    return tl_optim_param_count(m->opt);
}

tl_err tl_model_grow_vocab(tl_model *m, size_t V_new)
{
    if (!m)
        return tl_fail(TL_EINVAL, "tl_model_grow_vocab: NULL model");
    if (!m->head.tied)
        return tl_fail(TL_EINVAL, "tl_model_grow_vocab: only a tied model grows in one place");
    if (V_new < m->V)
        return tl_fail(TL_ESHAPE, "tl_model_grow_vocab: cannot shrink from V=%zu to V=%zu", m->V, V_new);
    size_t d = m->cfg.d, V_old = m->V;
    /* new buffers, then free the old ones: like a framework's resize, E moves,
     * and anything still holding the old pointer holds freed memory */
    float *E = malloc(V_new * d * sizeof *E), *dE = calloc(V_new * d, sizeof *dE);
    if (!E || !dE) {
        free(E);
        free(dE);
        return tl_fail(TL_ENOMEM, "tl_model_grow_vocab: cannot grow E to %zu x %zu", V_new, d);
    }
    memcpy(E, m->E, V_old * d * sizeof *E);
    free(m->E);
    free(m->dE);
    m->E = E;
    m->dE = dE;
    tl_rng rng;
    tl_rng_seed(&rng, m->cfg.seed ^ (uint64_t)V_new);
    tl_init_normal(m->E + V_old * d, (V_new - V_old) * d, m->cfg.init_std, &rng);
    m->V = V_new;
    m->cfg.V_in = m->cfg.V_out = V_new;
    /* E and dE moved: the head must point at the new ones, with the new V */
    tl_err err = tl_head_tie(&m->head, m->E, m->dE, V_new, d);
    size_t B = m->B_cap;
    free_activations(m);              /* logits, probs, dlogits are [B, V] */
    if (!err) err = ensure_batch(m, B);
    if (!err) err = register_params(m);
    return err;
}
