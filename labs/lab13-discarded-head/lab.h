/* lab.h — lab 13: the trained models, checkpoints and copies that
 * symptoms.c, fixed.c and probe.c share. */
#ifndef LAB13_LAB_H
#define LAB13_LAB_H

#include "support.h"
#include "safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default config (V = 256, d = 64), tied or untied. */
static inline tl_config lab_config(int tied)
{
    tl_config c = tl_config_default();
    c.tied = tied;
    return c;
}

/* A model of lab_config(tied) after `steps` steps on train's data (the
 * Markov source with 4 successors, data seed 42): Adam's moments are not
 * zero, and an untied head has moved away from E. NULL on an error. */
static inline tl_model *trained_model(int tied, size_t steps)
{
    tl_config c = lab_config(tied);
    tl_trainer t;
    float loss;
    tl_err err = tl_trainer_start(&t, &c, 4);
    for (size_t s = 0; !err && s < steps; s++)
        err = tl_trainer_step(&t, &loss);
    tl_model *m = NULL;
    tl_trainer_end(&t, err ? NULL : &m);
    return m;
}

/* The checkpoint's bytes (malloc'd), with the caller's metadata lines meta
 * (or NULL), through the size query first; NULL on an error (tl_last_error
 * says which). */
static inline unsigned char *checkpoint_with(const tl_model *m, unsigned flags, const char *meta, size_t *len)
{
    size_t need = 0, got = 0;
    *len = 0;
    if (tl_model_save_bytes(NULL, 0, &need, m, flags, meta) != TL_OK || need == 0)
        return NULL;
    unsigned char *b = malloc(need);
    if (b && tl_model_save_bytes(b, need, &got, m, flags, meta) != TL_OK) {
        free(b);
        return NULL;
    }
    *len = got;
    return b;
}

static inline unsigned char *checkpoint_of(const tl_model *m, unsigned flags, size_t *len)
{
    return checkpoint_with(m, flags, NULL, len);
}

/* B token ids in [0, V), drawn from the grader's inputs (tests/support.h). */
static inline void input_ids(int *ids, size_t B, size_t V, uint64_t seed)
{
    tl_input in;
    tl_input_seed(&in, seed);
    for (size_t b = 0; b < B; b++) {
        size_t v = (size_t)(tl_input_uniform(&in) * (float)V);
        ids[b] = (int)(v < V ? v : V - 1);
    }
}

/* The loss of one batch, without an update: forward and loss only. */
static inline tl_err batch_loss(tl_model *m, float *loss, const int *ids, const int *targets, size_t B)
{
    tl_err err = tl_model_forward(m, ids, B);
    if (!err) err = tl_model_loss(m, loss, targets, B);
    return err;
}

#endif
