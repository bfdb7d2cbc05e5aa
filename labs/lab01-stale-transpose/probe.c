/* probe.c — lab 01: does the tied head score with the E of this step?
 * Trains the default model (softcap included) and, after chosen steps,
 * compares that step's logits with c·tanh(h·Eᵀ/c) computed from E as it was
 * when the step began. A right head gives ~1e-7 at every step. */
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    tl_config c = tl_config_default();
    size_t B = c.batch, d = c.d, V = c.V_out, last = 50;
    const size_t report[] = { 0, 1, 2, 3, 5, 10, 20, 50 };
    tl_markov *mk = NULL;
    tl_model *m = NULL;
    int *ids = malloc(B * sizeof *ids), *targets = malloc(B * sizeof *targets);
    float *E_then = malloc(V * d * sizeof *E_then);
    if (!ids || !targets || !E_then || tl_markov_create(&mk, V, 4, 42) || tl_model_create(&m, &c)) {
        fprintf(stderr, "probe: setup failed: %s\n", tl_last_error());
        return 1;
    }
    tl_rng rng;
    tl_rng_seed(&rng, c.seed ^ 0x5eed);
    tl_markov_start(mk, ids, B, &rng);
    printf("Each training step's logits against c·tanh(h·Eᵀ/c) from the E that step began with:\n");
    printf("step  loss    max |logits - fresh|  largest |fresh logit|\n");
    size_t next = 0;
    for (size_t step = 0; step <= last; step++) {
        tl_markov_step(mk, targets, ids, B, &rng);
        memcpy(E_then, m->E, V * d * sizeof *E_then);
        float loss;
        if (tl_model_train_step(m, &loss, ids, targets, B)) {
            fprintf(stderr, "probe: step %zu: %s\n", step, tl_last_error());
            return 1;
        }
        if (next < sizeof report / sizeof report[0] && step == report[next]) {
            double worst = 0.0, big = 0.0;
            for (size_t b = 0; b < B; b++)
                for (size_t v = 0; v < V; v++) {
                    double z = 0.0;
                    for (size_t k = 0; k < d; k++)
                        z += (double)m->h[b * d + k] * (double)E_then[v * d + k];
                    if (c.softcap > 0.0f)
                        z = (double)c.softcap * tanh(z / (double)c.softcap);
                    worst = fmax(worst, fabs((double)m->logits[b * V + v] - z));
                    big = fmax(big, fabs(z));
                }
            printf("%4zu  %.4f  %-21.3g %.3f\n", step, (double)loss, worst, big);
            next++;
        }
        memcpy(ids, targets, B * sizeof *ids);
    }
    free(ids);
    free(targets);
    free(E_then);
    tl_model_destroy(m);
    tl_markov_destroy(mk);
    return 0;
}
