/* lab.h — lab 05: the one plain-SGD step that symptoms.c, fixed.c and probe.c
 * take, to see how far it moves E. */
#ifndef LAB05_LAB_H
#define LAB05_LAB_H

#include "support.h"

#include <stdlib.h>
#include <string.h>

/* The default model with plain SGD at lr 0.5: a step moves E by lr·dE
 * exactly, once per registration. */
static inline tl_config sgd_config(void)
{
    tl_config c = tl_config_default();
    c.optim = TL_SGD;
    c.lr = 0.5f;
    return c;
}

/* Copies E into E0 (m->V·d floats), then takes one training step on a fixed
 * batch of 8: afterwards m->E is E after the step and m->dE its gradient. */
static inline tl_err step_once(tl_model *m, float *E0)
{
    int ids[8] = { 3, 17, 42, 99, 128, 200, 7, 255 }, t[8] = { 4, 18, 43, 100, 129, 201, 8, 0 };
    float loss;
    memcpy(E0, m->E, m->V * m->cfg.d * sizeof *E0);
    return tl_model_train_step(m, &loss, ids, t, 8);
}

/* One plain-SGD step of the default model, measured: *gg gets sum dE², and
 * *times how far E moved along dE in units of lr·dE (1 for a matrix stepped
 * once). Returns 1 when E0 - E1 = factor·lr·dE element by element (tl_close,
 * under the name `what`, prints the worst element otherwise); 0 when not, or
 * when the gradient is zero. */
static inline int sgd_step_moves_E_by(float factor, const char *what, double *gg, double *times)
{
    tl_config c = sgd_config();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t n = m->V * c.d;
    float *E0 = malloc(n * sizeof *E0), *moved = malloc(n * sizeof *moved), *want = malloc(n * sizeof *want);
    assert_non_null(E0);
    assert_non_null(moved);
    assert_non_null(want);
    assert_int_equal(step_once(m, E0), TL_OK);
    double dot = 0.0;
    *gg = 0.0;
    for (size_t i = 0; i < n; i++) {
        moved[i] = E0[i] - m->E[i];          /* dE still holds this step's gradient */
        want[i] = factor * c.lr * m->dE[i];
        dot += (double)moved[i] * (double)m->dE[i];
        *gg += (double)m->dE[i] * (double)m->dE[i];
    }
    *times = dot / *gg / (double)c.lr;
    int close = *gg > 0.0 && tl_close(what, moved, want, n, 1e-7f, 1e-3f);
    free(E0);
    free(moved);
    free(want);
    tl_model_destroy(m);
    return close;
}

#endif
