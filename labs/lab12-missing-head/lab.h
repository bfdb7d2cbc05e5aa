/* lab.h — lab 12: what symptoms.c, fixed.c and probe.c share. */
#ifndef LAB12_LAB_H
#define LAB12_LAB_H

#include "support.h"
#include "safetensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The checkpoint's bytes (malloc'd; free them), through the size query. */
static inline unsigned char *save_bytes(const tl_model *m, unsigned flags, size_t *len)
{
    size_t need = 0, got = 0;
    *len = 0;
    if (tl_model_save_bytes(NULL, 0, &need, m, flags, NULL) != TL_OK || need < 8)
        return NULL;
    unsigned char *b = malloc(need);
    if (b && tl_model_save_bytes(b, need, &got, m, flags, NULL) != TL_OK) {
        free(b);
        return NULL;
    }
    *len = got;
    return b;
}

/* A model of c after `steps` steps of tl_trainer (Adam's moments not zero),
 * or NULL. */
static inline tl_model *trained_model(const tl_config *c, size_t steps)
{
    tl_trainer t;
    float loss;
    tl_model *m = NULL;
    tl_err err = tl_trainer_start(&t, c, 4);
    for (size_t i = 0; !err && i < steps; i++)
        err = tl_trainer_step(&t, &loss);
    tl_trainer_end(&t, err ? NULL : &m);
    return m;
}

#endif
