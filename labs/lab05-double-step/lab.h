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

/* The fixed batch of 8 that every step here is taken on. */
enum { STEP_B = 8 };
static inline void step_batch(int ids[STEP_B], int t[STEP_B])
{
    static const int i0[STEP_B] = { 3, 17, 42, 99, 128, 200, 7, 255 };
    static const int t0[STEP_B] = { 4, 18, 43, 100, 129, 201, 8, 0 };
    memcpy(ids, i0, sizeof i0);
    memcpy(t, t0, sizeof t0);
}

/* Copies E into E0 (m->V·d floats), then takes one training step on the
 * fixed batch: afterwards m->E is E after the step. */
static inline tl_err step_once(tl_model *m, float *E0)
{
    int ids[STEP_B], t[STEP_B];
    float loss;
    step_batch(ids, t);
    memcpy(E0, m->E, m->V * m->cfg.d * sizeof *E0);
    return tl_model_train_step(m, &loss, ids, t, STEP_B);
}

/* One plain-SGD step of the default model, measured against the batch's
 * gradient g of E, which is taken (tl_gradients, a step without the update)
 * and copied before the step, so nothing depends on what the step leaves in
 * dE afterwards. *gg gets sum g², and *times how far E moved along g in
 * units of lr·g (1 for a matrix stepped once). Returns 1 when
 * E0 - E1 = factor·lr·g element by element (tl_close, under the name `what`,
 * prints the worst element otherwise); 0 when not, or when g is zero. */
static inline int sgd_step_moves_E_by(float factor, const char *what, double *gg, double *times)
{
    tl_config c = sgd_config();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t n = m->V * c.d;
    float *E0 = malloc(n * sizeof *E0), *g = malloc(n * sizeof *g);
    float *moved = malloc(n * sizeof *moved), *want = malloc(n * sizeof *want);
    assert_non_null(E0);
    assert_non_null(g);
    assert_non_null(moved);
    assert_non_null(want);
    int ids[STEP_B], t[STEP_B];
    step_batch(ids, t);
    assert_int_equal(tl_gradients(m, NULL, ids, t, STEP_B), TL_OK);
    memcpy(g, m->dE, n * sizeof *g);
    assert_int_equal(step_once(m, E0), TL_OK);
    double dot = 0.0;
    *gg = 0.0;
    for (size_t i = 0; i < n; i++) {
        moved[i] = E0[i] - m->E[i];
        want[i] = factor * c.lr * g[i];
        dot += (double)moved[i] * (double)g[i];
        *gg += (double)g[i] * (double)g[i];
    }
    *times = dot / *gg / (double)c.lr;
    int close = *gg > 0.0 && tl_close(what, moved, want, n, 1e-7f, 1e-3f);
    free(E0);
    free(g);
    free(moved);
    free(want);
    tl_model_destroy(m);
    return close;
}

#endif
