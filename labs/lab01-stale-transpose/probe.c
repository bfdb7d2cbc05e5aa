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
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
    size_t B = c.batch, d = c.d, V = c.V_out, last = 50;
    const size_t report[] = { 0, 1, 2, 3, 5, 10, 20, 50 };
    tl_trainer t;
    float *E_then = malloc(V * d * sizeof *E_then);
    if (!E_then || tl_trainer_start(&t, &c, 4)) {
        fprintf(stderr, "probe: setup failed: %s\n", tl_last_error());
        return 1;
    }
    printf("Each training step's logits against c·tanh(h·Eᵀ/c) from the E that step began with:\n");
    printf("step  loss    max |logits - fresh|  largest |fresh logit|\n");
    size_t next = 0;
    for (size_t step = 0; step <= last; step++) {
        memcpy(E_then, t.m->E, V * d * sizeof *E_then);
        float loss;
        if (tl_trainer_step(&t, &loss)) {
            fprintf(stderr, "probe: step %zu: %s\n", step, tl_last_error());
            return 1;
        }
        if (next < sizeof report / sizeof report[0] && step == report[next]) {
            double worst = 0.0, big = 0.0;
            for (size_t b = 0; b < B; b++)
                for (size_t v = 0; v < V; v++) {
                    double z = tl_fresh_logit(t.m->h + b * d, E_then + v * d, d, c.softcap);
                    worst = fmax(worst, fabs((double)t.m->logits[b * V + v] - z));
                    big = fmax(big, fabs(z));
                }
            printf("%4zu  %.4f  %-21.3g %.3f\n", step, (double)loss, worst, big);
            next++;
        }
    }
    free(E_then);
    tl_trainer_end(&t, NULL);
    return 0;
}
