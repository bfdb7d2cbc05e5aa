/* lab.h — lab 06: the lab's training run (TRAIN_ARGS: --softcap 0
 * --successors 1 --lr 0.2 --steps 400), which symptoms.c, fixed.c and probe.c
 * share. Its one successor per token is K = 1 for tl_train_run. */
#ifndef LAB06_LAB_H
#define LAB06_LAB_H

#include "support.h"

#include <math.h>

/* No cap, lr 0.2, 400 steps: with one successor per token a model may grow
 * as confident as it likes. */
static inline tl_config uncapped(void)
{
    tl_config c = tl_config_default();
    c.softcap = 0.0f;
    c.lr = 0.2f;
    c.steps = 400;
    return c;
}

/* The index of the first non-finite loss in losses[0, n), or n. */
static inline size_t first_nonfinite(const float *losses, size_t n)
{
    size_t k = 0;
    while (k < n && isfinite(losses[k]))
        k++;
    return k;
}

#endif
