/* lab.h — lab 08: what symptoms.c, fixed.c and probe.c share. */
#ifndef LAB08_LAB_H
#define LAB08_LAB_H

#include "support.h"

#include <math.h>

/* A batch of 8 in which tokens 4, 18, 100 and 201 are targets, never inputs. */
enum { NB = 8 };
static const int batch_ids[NB] __attribute__((unused)) = { 3, 17, 42, 99, 128, 200, 7, 255 };
static const int batch_targets[NB] __attribute__((unused)) = { 4, 18, 43, 100, 129, 201, 8, 0 };

/* forward, loss and backward on the batch, without zeroing the gradients
 * first. Returns the first error, or TL_OK. */
static inline tl_err backward_on_the_batch(tl_model *m)
{
    float loss;
    tl_err err = tl_model_forward(m, batch_ids, NB);
    if (!err) err = tl_model_loss(m, &loss, batch_targets, NB);
    if (!err) err = tl_model_backward(m, batch_targets, NB);
    return err;
}

#endif
