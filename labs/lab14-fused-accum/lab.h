/* lab.h — lab 14: what symptoms.c, fixed.c and probe.c share. The run of
 * train --head-kernel fused --accum 8 --batch 32 (the same data, step by
 * step), a double-precision reference for the fused head and its loss, and
 * two micro-batches on the small tied model whose input rows do not overlap. */
#ifndef LAB14_LAB_H
#define LAB14_LAB_H

#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TRAIN_ARGS: 8 micro-batches of 32 rows per optimizer step, 300 steps. */
enum { ACCUM = 8, MICRO_B = 32, STEPS = 300, TAIL = 30 };

/* The default config with the given head kernel and micro-batches of 32. */
static inline tl_config lab_config(tl_head_kernel kernel)
{
    tl_config c = tl_config_default();
    c.head_kernel = kernel;
    c.batch = MICRO_B;
    return c;
}

/* One optimizer step of train --accum n: zero the gradients once, then n
 * forward/loss/backward passes into the same buffers, the chains going on
 * from micro-batch to micro-batch (tools/train.c's accumulated_step).
 * *loss: the micro-batches' mean loss. */
static inline tl_err accum_step(tl_trainer *t, float *loss, size_t n)
{
    double sum = 0.0;
    tl_err err = TL_OK;
    tl_optim_zero_grad(t->m->opt);
    for (size_t k = 0; !err && k < n; k++) {
        if (k > 0)
            memcpy(t->ids, t->targets, t->B * sizeof *t->ids);
        ref_tl_markov_step(t->mk, t->targets, t->ids, t->B, &t->rng);
        float l = NAN;
        err = tl_model_forward(t->m, t->ids, t->B);
        if (!err) err = tl_model_loss(t->m, &l, t->targets, t->B);
        if (!err) err = tl_model_backward(t->m, t->targets, t->B);
        sum += (double)l;
    }
    memcpy(t->ids, t->targets, t->B * sizeof *t->ids);
    *loss = (float)(sum / (double)n);
    return err ? err : tl_optim_step(t->m->opt);
}

/* train's run with lab_config(kernel) and --accum n: losses[STEPS] (NAN
 * after a failure). Returns the first error. */
static inline tl_err accum_run(tl_head_kernel kernel, size_t n, float *losses)
{
    tl_config c = lab_config(kernel);
    tl_trainer t;
    for (size_t s = 0; s < STEPS; s++)
        losses[s] = NAN;
    tl_err err = tl_trainer_start(&t, &c, 4);
    for (size_t s = 0; !err && s < STEPS; s++)
        err = accum_step(&t, &losses[s], n);
    tl_trainer_end(&t, NULL);
    return err;
}

/* ---- the fused head in double, from its inputs alone ---------------------- */

/* The mean cross-entropy of softcap(H·Wᵀ) against targets, and its gradients
 * ADDED to dH[B, d] and dW[V, d] (which the caller fills with what the buffers
 * held before the call): dlogit = (softmax(z) − onehot) / B, times
 * 1 − tanh²(raw / cap) when capped. */
static inline double ref_head_ce(double *dH, double *dW, const float *H, const float *W, const int *t,
                                 size_t B, size_t d, size_t V, float cap)
{
    double *z = malloc(V * sizeof *z), total = 0.0;
    if (!z)
        return NAN;
    for (size_t b = 0; b < B; b++) {
        const float *h = H + b * d;
        double mx = -INFINITY, sum = 0.0;
        for (size_t v = 0; v < V; v++) {
            z[v] = tl_fresh_logit(h, W + v * d, d, cap);
            mx = z[v] > mx ? z[v] : mx;
        }
        for (size_t v = 0; v < V; v++)
            sum += exp(z[v] - mx);
        double lse = mx + log(sum);
        total += lse - z[t[b]];
        if (!dH)
            continue;
        for (size_t v = 0; v < V; v++) {
            double g = (exp(z[v] - lse) - (v == (size_t)t[b])) / (double)B;
            if (cap > 0.0f) {
                double th = z[v] / (double)cap;
                g *= 1.0 - th * th;
            }
            const float *w = W + v * d;
            for (size_t k = 0; k < d; k++) {
                dH[b * d + k] += g * (double)w[k];
                dW[v * d + k] += g * (double)h[k];
            }
        }
    }
    free(z);
    return total / (double)B;
}

/* n floats as doubles (malloc'd): the start of a reference gradient. */
static inline double *as_doubles(const float *src, size_t n)
{
    double *c = malloc(n * sizeof *c);
    for (size_t i = 0; c && i < n; i++)
        c[i] = (double)src[i];
    return c;
}

/* max over n of |got − want|, want in double */
static inline double max_abs_diff_d(const float *got, const double *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)got[i] - want[i]));
    return worst;
}

/* the Euclidean norm of n floats, in double */
static inline double norm_of(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * (double)x[i];
    return sqrt(s);
}

/* ---- two micro-batches on the small model --------------------------------- */

/* The small model (V = 12, d = 6, O(1) weights) on the fused head, tied or
 * untied. */
static inline tl_config small_fused_config(int tied)
{
    tl_config c = tl_small_config();
    c.head_kernel = TL_HEAD_FUSED;
    c.tied = tied;
    return c;
}

/* Two micro-batches of TL_SMALL_B rows from the grader's inputs: the first
 * feeds only rows 0..V/2−1 of E as inputs, the second only rows V/2..V−1, so
 * the rows of the first half are inputs of the first micro-batch alone. The
 * targets are any rows. */
typedef struct {
    int ids[2][TL_SMALL_B], targets[2][TL_SMALL_B];
} micro_batches;

static inline micro_batches draw_micro_batches(uint64_t seed)
{
    micro_batches mb;
    tl_input in;
    tl_input_seed(&in, seed);
    enum { HALF = TL_SMALL_V / 2 };
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < TL_SMALL_B; b++) {
            int v = (int)(tl_input_uniform(&in) * HALF);
            mb.ids[k][b] = k * HALF + (v < HALF ? v : HALF - 1);
            v = (int)(tl_input_uniform(&in) * TL_SMALL_V);
            mb.targets[k][b] = v < TL_SMALL_V ? v : TL_SMALL_V - 1;
        }
    return mb;
}

/* forward, loss and backward of micro-batch k, adding into the gradients */
static inline tl_err backward_micro_batch(tl_model *m, const micro_batches *mb, int k)
{
    float loss;
    tl_err err = tl_model_forward(m, mb->ids[k], TL_SMALL_B);
    if (!err) err = tl_model_loss(m, &loss, mb->targets[k], TL_SMALL_B);
    if (!err) err = tl_model_backward(m, mb->targets[k], TL_SMALL_B);
    return err;
}

/* What one optimizer step of --accum 2 takes: the gradients zeroed once,
 * then both micro-batches' backward passes. */
static inline tl_err accumulate_two(tl_model *m, const micro_batches *mb)
{
    tl_optim_zero_grad(m->opt);
    tl_err err = backward_micro_batch(m, mb, 0);
    if (!err) err = backward_micro_batch(m, mb, 1);
    return err;
}

/* The loss that accumulation differentiates: micro-batch 1's + 2's. */
static inline double two_batch_loss(tl_model *m, const micro_batches *mb)
{
    double sum = 0.0;
    for (int k = 0; k < 2; k++) {
        float l = NAN;
        if (tl_model_forward(m, mb->ids[k], TL_SMALL_B) || tl_model_loss(m, &l, mb->targets[k], TL_SMALL_B))
            return NAN;
        sum += (double)l;
    }
    return sum;
}

/* Central differences of two_batch_loss for the n floats at w (inside m):
 * fd[n]. */
static inline void two_batch_fd(float *fd, tl_model *m, float *w, size_t n, const micro_batches *mb)
{
    const float eps = 1e-2f;
    for (size_t i = 0; i < n; i++) {
        float keep = w[i];
        w[i] = keep + eps;
        double up = two_batch_loss(m, mb);
        w[i] = keep - eps;
        double down = two_batch_loss(m, mb);
        w[i] = keep;
        fd[i] = (float)((up - down) / (2.0 * (double)eps));
    }
}

/* 1 when row v of E is an input of micro-batch k */
static inline int is_input(const micro_batches *mb, int k, int v)
{
    for (int b = 0; b < TL_SMALL_B; b++)
        if (mb->ids[k][b] == v)
            return 1;
    return 0;
}

#endif
