/* probe.c — lab 05's figures: how many floats the optimizer holds for the
 * tied model, and how far one plain SGD step moves E, in units of lr·dE. */
#include "lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tl_config c = sgd_config();
    tl_model *m;
    if (tl_model_create(&m, &c)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    size_t Vd = m->V * c.d, truth = tl_tied_param_count(&c, m->V);
    size_t count = tl_model_param_count(m);
    printf("  parameters the optimizer steps: %zu\n", count);
    printf("  a tied model has:               %zu  (V*d + 2d + 2*hidden*d, E counted once)\n", truth);
    if (count > truth)
        printf("  surplus:                        %zu = %.2f x V*d\n", count - truth,
               (double)(count - truth) / (double)Vd);

    float *E0 = malloc(Vd * sizeof *E0);
    if (!E0)
        return 1;
    if (step_once(m, E0)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    double dot = 0.0, gg = 0.0;
    for (size_t i = 0; i < Vd; i++) {
        dot += (double)(E0[i] - m->E[i]) * (double)m->dE[i];
        gg += (double)m->dE[i] * (double)m->dE[i];
    }
    printf("  one SGD step (lr %.1f) moved E by %.3f x lr*dE; a matrix stepped once moves 1.000 x\n",
           (double)c.lr, gg > 0.0 ? dot / gg / (double)c.lr : 0.0);
    free(E0);
    tl_model_destroy(m);
    return 0;
}
