/* lab.h — lab 10: the scores behind the default model's logits, as
 * symptoms.c, fixed.c and probe.c measure them. A raw score is h·E[v],
 * before the cap: tl_fresh_logit with cap 0. */
#ifndef LAB10_LAB_H
#define LAB10_LAB_H

#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The best loss a model whose logits all lie in [-c, c] can reach is
 * H + ln(1 + (V-K)/K·e^(-2c)): at best the K successors of a token get e^c
 * each and the V-K others e^-c. capped_gap is that excess over H. */
static inline double capped_gap(double c, double V, double K)
{
    return log1p((V - K) / K * exp(-2.0 * c));
}

/* A cap is loose enough when its excess is at most eps nats: c >= cap_min,
 * the c where the excess is exactly eps (5.53 for V = 256, K = 4 and
 * eps = CAP_EPS). */
#define CAP_EPS 1e-3
static inline double cap_min(double V, double K, double eps)
{
    return 0.5 * log((V - K) / K / expm1(eps));
}

/* Runs the default model on 4 ids with its final RMSNorm gain scaled so
 * that the largest raw score is exactly `want` in size (h scales with g2,
 * and nothing before it does): a forward, the rescale, a forward again.
 * *raw gets that largest score (signed) and *at its index in m->logits.
 * The scores come from a copy of E taken before the forwards (a forward
 * only reads E), so a library that wrote E would not be measured by it. */
static inline tl_err scale_largest_score(tl_model *m, double want, double *raw, size_t *at)
{
    int ids[4] = { 3, 70, 141, 250 };
    size_t B = 4, V = m->V, d = m->cfg.d, best = 0;
    double zbest = 0.0;
    float *E = malloc(V * d * sizeof *E);
    if (!E)
        return TL_ENOMEM;
    memcpy(E, m->E, V * d * sizeof *E);
    for (int pass = 0; pass < 2; pass++) {
        tl_err err = tl_model_forward(m, ids, B);
        if (err) {
            free(E);
            return err;
        }
        zbest = 0.0;
        for (size_t i = 0; i < B * V; i++) {
            double z = tl_fresh_logit(m->h + (i / V) * d, E + (i % V) * d, d, 0.0f);
            if (fabs(z) > fabs(zbest)) {
                zbest = z;
                best = i;
            }
        }
        if (pass == 0)
            for (size_t k = 0; k < d; k++)
                m->g2[k] *= (float)(want / fabs(zbest));
    }
    free(E);
    *raw = zbest;
    *at = best;
    return TL_OK;
}

/* Over the last forward's B rows, scored by a head W[V, d]: the largest
 * |logit| (after the cap) and the largest |raw score| h·W[v] (before it). */
static inline void largest_logit_and_score(const float *logits, const float *h, const float *W,
                                           size_t B, size_t d, size_t V, float *big, double *raw)
{
    *big = 0.0f;
    *raw = 0.0;
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++) {
            float l = fabsf(logits[b * V + v]);
            *big = l > *big ? l : *big;
            double z = tl_fresh_logit(h + b * d, W + v * d, d, 0.0f);
            *raw = fabs(z) > *raw ? fabs(z) : *raw;
        }
}

#endif
