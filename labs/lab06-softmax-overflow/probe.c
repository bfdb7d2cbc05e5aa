/* probe.c — lab 06: where does the loss stop being a number? One row
 * {k, 0, 0, 0} per k, through the library's cross-entropy and softmax, next
 * to the exact values. With --train: the lab's training run again, printing
 * the largest logit as it grows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static void rows(void)
{
    const float ks[] = { 10, 50, 88, 88.7f, 88.8f, 100, 1000 };
    printf("row {k, 0, 0, 0}, target 1 (a zero logit): exact loss = k + ln(1 + 3e^-k)\n");
    printf("  %8s  %14s  %14s  %12s\n", "k", "library loss", "exact loss", "sum of probs");
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        float z[4] = { ks[i], 0, 0, 0 }, p[4], loss = NAN;
        int t[1] = { 1 };
        (void)tl_cross_entropy_forward(&loss, NULL, z, t, 1, 4, 4);
        tl_softmax_forward(p, z, 1, 4);
        double k = (double)ks[i], exact = k + log1p(3.0 * exp(-k));
        printf("  %8.1f  %14.4f  %14.4f  %12.4f\n", k, (double)loss, exact,
               (double)p[0] + (double)p[1] + (double)p[2] + (double)p[3]);
    }
    printf("exp overflows a float above ln(FLT_MAX) = %.2f\n", log(3.4028234663852886e38));
}

/* train --softcap 0 --successors 1 --lr 0.2 --steps 400, as tools/train runs it */
static int train(void)
{
    tl_config c = uncapped();
    tl_trainer t;
    tl_err err = tl_trainer_start(&t, &c, 1);
    if (!err) {
        printf("training with no cap, one successor, lr 0.2: the largest logit of each batch\n");
        for (size_t s = 0; s < c.steps && !err; s++) {
            float loss = NAN;
            err = tl_trainer_step(&t, &loss);
            float mx = -INFINITY;
            for (size_t i = 0; i < c.batch * t.m->head.V; i++)
                mx = fmaxf(mx, t.m->logits[i]);
            if (s % 50 == 0 || mx > 80.0f || err)
                printf("  step %3zu  loss %10.4f  largest logit %7.2f%s\n", s, (double)loss,
                       (double)mx, mx > 88.72f ? "  > 88.72" : "");
        }
    }
    if (err)
        printf("stopped: %s\n", tl_last_error());
    tl_trainer_end(&t, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--train"))
        return train();
    if (argc != 1) {
        fprintf(stderr, "usage: probe [--train]\n");
        return 2;
    }
    rows();
    printf("(probe --train: the lab's training run, with its largest logit)\n");
    return 0;
}
