/* data.c — a synthetic corpus whose best possible loss is known exactly.
 *
 * Each token has K successors with seeded random probabilities: a Markov chain.
 * Its entropy rate H = sum_v pi(v) * H(next | v) is the floor no model can beat,
 * and ln(V) is the ceiling a model at chance sits on. Every run knows both.
 */
#include "tiedlab.h"

#include <math.h>
#include <stdlib.h>

static int contains(const int *xs, size_t n, int x)
{
    for (size_t i = 0; i < n; i++)
        if (xs[i] == x)
            return 1;
    return 0;
}

/* Stationary distribution by power iteration, then the entropy rate. */
static double entropy_rate(const tl_markov *mk, const double *prob)
{
    size_t V = mk->V, K = mk->K;
    double *pi = malloc(V * sizeof *pi), *nx = malloc(V * sizeof *nx);
    double H = NAN;
    if (!pi || !nx)
        goto out;
    for (size_t v = 0; v < V; v++)
        pi[v] = 1.0 / (double)V;
    for (int it = 0; it < 5000; it++) {
        for (size_t v = 0; v < V; v++)
            nx[v] = 0.0;
        for (size_t v = 0; v < V; v++)
            for (size_t k = 0; k < K; k++)
                nx[mk->next[v * K + k]] += pi[v] * prob[v * K + k];
        /* half-lazy step: same stationary distribution, converges on periodic chains too */
        double diff = 0.0;
        for (size_t v = 0; v < V; v++) {
            double p = 0.5 * (pi[v] + nx[v]);
            diff += fabs(p - pi[v]);
            pi[v] = p;
        }
        if (diff < 1e-13)
            break;
    }
    H = 0.0;
    for (size_t v = 0; v < V; v++)
        for (size_t k = 0; k < K; k++) {
            double p = prob[v * K + k];
            if (p > 0.0)
                H -= pi[v] * p * log(p);
        }
out:
    free(pi);
    free(nx);
    return H;
}

tl_err tl_markov_create(tl_markov **out, size_t V, size_t K, uint64_t seed)
{
    if (!out || V < 2 || K < 1 || K > V || V > (size_t)INT32_MAX)
        return tl_fail(TL_EINVAL, "tl_markov_create: need 1 <= K <= V and V >= 2 (V=%zu, K=%zu)", V, K);
    tl_markov *mk = calloc(1, sizeof *mk);
    double *prob = malloc(V * K * sizeof *prob);
    if (mk) {
        mk->next = malloc(V * K * sizeof *mk->next);
        mk->cdf = malloc(V * K * sizeof *mk->cdf);
    }
    if (!mk || !prob || !mk->next || !mk->cdf) {
        free(prob);
        tl_markov_destroy(mk);
        return tl_fail(TL_ENOMEM, "tl_markov_create: cannot allocate %zu x %zu transitions", V, K);
    }
    mk->V = V;
    mk->K = K;
    tl_rng rng;
    tl_rng_seed(&rng, seed);
    for (size_t v = 0; v < V; v++) {
        int *nx = mk->next + v * K;
        /* v -> v+1 is always possible: one cycle through every token keeps
         * the chain irreducible, so pi and H are well defined */
        nx[0] = (int)((v + 1) % V);
        for (size_t k = 1; k < K; k++) {
            int c;
            do
                c = (int)(tl_rng_next(&rng) % V);
            while (contains(nx, k, c));
            nx[k] = c;
        }
        /* Dirichlet(1) weights: -log(u) draws, normalised */
        double total = 0.0;
        for (size_t k = 0; k < K; k++) {
            double u = ((double)(tl_rng_next(&rng) >> 11) + 1.0) / 9007199254740993.0;
            prob[v * K + k] = -log(u);
            total += prob[v * K + k];
        }
        double acc = 0.0;
        for (size_t k = 0; k < K; k++) {
            prob[v * K + k] /= total;
            acc += prob[v * K + k];
            mk->cdf[v * K + k] = (float)acc;
        }
        mk->cdf[v * K + K - 1] = 1.0f;
    }
    mk->H = entropy_rate(mk, prob);
    free(prob);
    if (!isfinite(mk->H)) {
        tl_markov_destroy(mk);
        return tl_fail(TL_ENOMEM, "tl_markov_create: out of memory computing the entropy rate");
    }
    *out = mk;
    return TL_OK;
}

double tl_markov_entropy_rate(const tl_markov *mk)
{
    return mk->H;
}

int tl_markov_next(const tl_markov *mk, int cur, tl_rng *rng)
{
    const float *cdf = mk->cdf + (size_t)cur * mk->K;
    float u = tl_rng_uniform(rng);
    size_t k = 0;
    while (k + 1 < mk->K && u >= cdf[k])
        k++;
    return mk->next[(size_t)cur * mk->K + k];
}

void tl_markov_start(const tl_markov *mk, int *cur, size_t B, tl_rng *rng)
{
    for (size_t b = 0; b < B; b++) {
        int c = (int)(tl_rng_next(rng) % mk->V);
        for (int i = 0; i < 64; i++)   /* warm up: forget the uniform start */
            c = tl_markov_next(mk, c, rng);
        cur[b] = c;
    }
}

void tl_markov_step(const tl_markov *mk, int *next, const int *cur, size_t B, tl_rng *rng)
{
    for (size_t b = 0; b < B; b++)
        next[b] = tl_markov_next(mk, cur[b], rng);
}

void tl_markov_destroy(tl_markov *mk)
{
    if (!mk)
        return;
    free(mk->next);
    free(mk->cdf);
    free(mk);
}
