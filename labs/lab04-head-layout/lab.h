/* lab.h — lab 04: what symptoms.c, fixed.c and probe.c share. */
#ifndef LAB04_LAB_H
#define LAB04_LAB_H

#include "support.h"

#include <stdlib.h>
#include <string.h>

/* A tied model of shape V x d with the soft-cap off, so that its logits are
 * the raw head output, and a batch of NB ids spread over its vocabulary. */
enum { NB = 16 };
static inline tl_config raw_config(size_t V, size_t d)
{
    tl_config c = tl_config_default();
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
    c.V_in = c.V_out = V;
    c.d = d;
    c.softcap = 0.0f;
    c.batch = NB;
    return c;
}
static inline void spread_ids(int ids[NB], size_t V)
{
    for (size_t b = 0; b < NB; b++)
        ids[b] = (int)((b * 37 + 5) % V);
}

/* The head alone: tied to a random E[V, d] (N(0, 1) entries, so O(1)
 * logits), with its logits for B random hidden states H[B, d]. E0 is a
 * private copy of E taken before the library saw it: what the logits must be
 * computed from, and what E must still be after the forward. */
typedef struct {
    float *E, *dE, *H, *logits, *E0;
} head_case;

static inline void head_case_run(head_case *hc, size_t V, size_t d, size_t B, uint64_t seed)
{
    hc->E = tl_shared_floats(V * d);   /* the head keeps pointers to E and dE */
    hc->dE = tl_shared_floats(V * d);
    hc->H = malloc(B * d * sizeof *hc->H);
    hc->logits = malloc(B * V * sizeof *hc->logits);
    hc->E0 = malloc(V * d * sizeof *hc->E0);
    assert_true(hc->E && hc->dE && hc->H && hc->logits && hc->E0);
    tl_input r;
    tl_input_seed(&r, seed);
    tl_input_fill(hc->E, V * d, 1.0f, &r);
    tl_input_fill(hc->H, B * d, 1.0f, &r);
    memcpy(hc->E0, hc->E, V * d * sizeof *hc->E0);
    tl_head h;
    assert_int_equal(tl_head_tie(&h, hc->E, hc->dE, V, d), TL_OK);
    assert_int_equal(tl_head_forward(hc->logits, hc->H, &h, B, d, V), TL_OK);
}

static inline void head_case_free(head_case *hc)
{
    tl_shared_free(hc->E); tl_shared_free(hc->dE); free(hc->H); free(hc->logits); free(hc->E0);
}

/* The small tied model's dE on one batch (ids repeated, so both paths reach
 * one row) against finite differences; tl_gradcheck_model prints the worst
 * element when they disagree. Returns 1 when they agree. */
static inline int E_gradient_agrees_with_finite_differences(void)
{
    tl_config c = tl_small_config();
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[5] = { 3, 7, 3, 11, 0 }, t[5] = { 7, 5, 3, 9, 11 };
    float dE[TL_SMALL_V * TL_SMALL_D];
    assert_int_equal(tl_gradients(m, NULL, ids, t, 5), TL_OK);
    memcpy(dE, m->dE, sizeof dE);   /* the check re-runs forward */
    int ok = tl_gradcheck_model("dE", m, m->E, dE, TL_SMALL_V * TL_SMALL_D, TL_SMALL_V * TL_SMALL_D,
                                ids, t, 5);
    tl_model_destroy(m);
    return ok;
}

#endif
