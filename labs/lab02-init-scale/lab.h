/* lab.h — lab 02: what symptoms.c, fixed.c and probe.c share. */
#ifndef LAB02_LAB_H
#define LAB02_LAB_H

#include "support.h"

#include <math.h>

/* A batch of NB input ids spread over the vocabulary: 0, 4, 8, ..., 252. */
enum { NB = 64 };
static inline void spread_ids(int ids[NB])
{
    for (int b = 0; b < NB; b++)
        ids[b] = b * 4;
}

/* Mean over the batch of the logit each input id gives itself, after a
 * forward of ids: large when the model predicts that its input repeats. */
static inline double own_logit_mean(const tl_model *m, const int *ids, size_t B)
{
    size_t V = m->head.V;
    double own = 0.0;
    for (size_t b = 0; b < B; b++)
        own += (double)m->logits[b * V + (size_t)ids[b]] / (double)B;
    return own;
}

#endif
