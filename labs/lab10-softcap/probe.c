/* probe.c — lab 10: what the default model's logit cap does to a raw score.
 * Scales the final RMSNorm gain so that the largest score h·E[v] takes each
 * value of a ladder, and prints the logit that comes out of tl_model_forward.
 * With --trained: trains the default model (300 steps, about a second) and
 * prints its largest logit and the largest raw score behind the logits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static int trained(void)
{
    tl_config c = tl_config_default();
    float *losses = malloc(c.steps * sizeof *losses);
    tl_model *m = NULL;
    double H = 0.0;
    int ids[256];
    for (int i = 0; i < 256; i++)
        ids[i] = i;
    tl_err err = losses ? tl_train_run(&c, 4, losses, &H, &m) : TL_ENOMEM;
    size_t B = c.V_out < 256 ? c.V_out : 256;
    if (!err)
        err = tl_model_forward(m, ids, B);
    if (err) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        tl_model_destroy(m);
        free(losses);
        return 1;
    }
    float big;
    double raw;
    largest_logit_and_score(m->logits, m->h, m->head.W, B, c.d, m->head.V, &big, &raw);
    printf("After %zu steps (end loss %.3f, mean of the last 30; floor H %.3f), over every input id:\n",
           c.steps, tl_mean(losses, c.steps - 30, c.steps), H);
    printf("  largest |logit|: %.4f\n", (double)big);
    printf("  largest raw score |h·E[v]| behind the logits: %.2f\n", raw);
    tl_model_destroy(m);
    free(losses);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--trained") == 0)
        return trained();
    if (argc > 1) {
        fprintf(stderr, "usage: probe [--trained]\n");
        return 2;
    }
    static const double ladder[] = { 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0 };
    tl_config c = tl_config_default();
    tl_model *m;
    if (tl_model_create(&m, &c) != TL_OK) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    size_t d = c.d;
    float g2[1024];
    if (d > sizeof g2 / sizeof g2[0]) {
        tl_model_destroy(m);
        return 1;
    }
    for (size_t k = 0; k < d; k++)
        g2[k] = m->g2[k];
    printf("The default model's logits, for raw scores h·E[v] of every size:\n");
    printf("  %12s  %12s\n", "raw score", "logit");
    float out_max = 0.0f;
    for (size_t r = 0; r < sizeof ladder / sizeof ladder[0]; r++) {
        size_t best;
        double zbest;
        for (size_t k = 0; k < d; k++)
            m->g2[k] = g2[k];
        /* h scales with g2: rescale so the largest score is the rung */
        if (scale_largest_score(m, ladder[r], &zbest, &best) != TL_OK) {
            fprintf(stderr, "probe: %s\n", tl_last_error());
            tl_model_destroy(m);
            return 1;
        }
        float l = m->logits[best];
        printf("  %12.2f  %12.4f\n", fabs(zbest), (double)(zbest < 0 ? -l : l));
        out_max = fabsf(l) > out_max ? fabsf(l) : out_max;
    }
    printf("The largest logit this model can output: %.4f\n", (double)out_max);
    printf("(build/ws/lab10/lab/probe --trained: the same after 300 steps of training)\n");
    tl_model_destroy(m);
    return 0;
}
