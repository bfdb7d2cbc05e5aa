/* probe.c — lab 08's figures: the memory the head holds against what tying
 * should save, and how far the head's W drifts from E as training goes on.
 * Options: --steps N (last step to report; default 50). Trains on the same
 * data stream as train and tl_train_run. */
#include "lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double max_abs(const float *a, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)a[i]) > worst)
            worst = fabs((double)a[i]);
    return worst;
}

int main(int argc, char **argv)
{
    size_t last = 50;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
            last = (size_t)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: probe [--steps N]\n");
            return 2;
        }
    }
    tl_config c = tl_config_default();
    tl_trainer t;
    if (tl_trainer_start(&t, &c, 4)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    tl_model *m = t.m;
    size_t Vd = m->V * c.d;
    printf("  bytes held by the head:     %8zu  (a tied head holds 0)\n", tl_head_bytes_held(&m->head));
    printf("  bytes tying should save:    %8zu  (2 * V * d * 4 = %zu)\n",
           tl_head_bytes_saved_by_tying(&m->head), 2 * Vd * sizeof(float));
    printf("  head.W %s E, head.dW %s dE; param count %zu (tied: %zu)\n",
           m->head.W == m->E ? "is" : "is not", m->head.dW == m->dE ? "is" : "is not",
           tl_model_param_count(m), tl_tied_param_count(&c, m->V));

    printf("  max |head.W - E| after   0 steps: %.4g\n", tl_max_abs_diff(m->head.W, m->E, Vd));
    for (size_t s = 1; s <= last; s++) {
        float loss;
        if (tl_trainer_step(&t, &loss)) {
            fprintf(stderr, "probe: step %zu: %s\n", s, tl_last_error());
            break;
        }
        if (s == 1 || s == 10 || s == 50 || s == 100 || s == 300 || s == last)
            printf("  max |head.W - E| after %3zu steps: %.4g   (largest |E| entry: %.3g)\n", s,
                   tl_max_abs_diff(m->head.W, m->E, Vd), max_abs(m->E, Vd));
    }
    tl_trainer_end(&t, NULL);
    return 0;
}
