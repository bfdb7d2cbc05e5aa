/* support.h — helpers shared by the unit tests and every lab's tests.
 *
 * Comparisons report the worst element (index, both values, tolerance), and
 * finite differences are central: (f(w+eps) - f(w-eps)) / 2eps.
 */
#ifndef TL_SUPPORT_H
#define TL_SUPPORT_H

#include "tiedlab.h"
#include "judge/judge.h"
#include "ref.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Run a cmocka group (like cmocka_run_group_tests_name), counting the tests
 * that start. A graded program's verdict is its last line on stdout,
 * "tiedlab-done ran=R of=N failed=F hung=H", printed by tl_report_done: the
 * harness passes it only when every test of every group ran (R = N) and none
 * failed. In a graded program the library runs in another process
 * (tests/judge/), so nothing it does can print that line or stop the count. */
#define tl_run_group_tests(name, tests) tl_run_group((name), (tests), sizeof(tests) / sizeof((tests)[0]))
int tl_run_group(const char *name, const struct CMUnitTest *tests, size_t n);
/* One group, then the verdict line; returns the number of failed tests. */
#define tl_run_tests(name, tests) tl_report_done(tl_run_group_tests((name), (tests)))
int tl_report_done(int failed);

/* ---- inputs: drawn from the grader's copy of rng.c (tests/ref.h) ------------ */

/* Inputs a test makes up (random matrices, perturbations) come from here,
 * never from the library's own tl_rng_*. The seed is mixed with
 * TL_INPUT_SEED when the harness sets one (check-fix and grading draw it
 * fresh for every run), so no library can know its inputs in advance. */
typedef ref_rng tl_input;
void  tl_input_seed(tl_input *in, uint64_t seed);
float tl_input_uniform(tl_input *in);             /* [0, 1) */
float tl_input_normal(tl_input *in);              /* N(0, 1) */
void  tl_input_fill(float *w, size_t n, float std, tl_input *in);    /* N(0, std^2) */
void  tl_input_fill_uniform(float *w, size_t n, float bound, tl_input *in);  /* U(-bound, bound) */
/* n zeroed floats the library may keep a pointer to (a tied E and dE,
 * optimizer parameters): tl_shared_alloc, freed with tl_shared_free. */
float *tl_shared_floats(size_t n);

/* Worst |got - want| - (atol + rtol*|want|) over n elements; prints the worst
 * index and both values when it is > 0. Returns 1 when all are within. */
int tl_close(const char *what, const float *got, const float *want, size_t n,
             float atol, float rtol);

/* max over n of |a[i] - b[i]|, in double; INFINITY when any difference is
 * NaN (a NaN is never close to anything, itself included). */
double tl_max_abs_diff(const float *a, const float *b, size_t n);
/* Standard deviation of n floats (their population std), in double. */
double tl_std_of(const float *w, size_t n);
/* A private copy of n floats (malloc'd; free it): what a buffer held before
 * a call. NULL when out of memory. */
float *tl_copy_floats(const float *src, size_t n);

/* A gradient added onto what a buffer held (start): 1 when every element has
 * |got - want| <= tol · (max|want - start| + 1e-3), the gradient's own size
 * setting the scale, not the values it was added to; prints the worst element
 * otherwise. want is in double (a reference computed by the test). */
int tl_grad_close(const char *what, const float *got, const double *want, const float *start,
                  size_t n, double tol);

/* 1 when msg contains needle; prints both otherwise. */
int tl_mentions(const char *msg, const char *needle);
/* What an error message must say, not how: msg begins with the call's name
 * ("tl_head_forward: ...", a longer name such as tl_head_forward_fast counts)
 * and holds each of the numbers after it, each as a whole number ("12" is not
 * found in "128"). NULL ends the list. 1 when it does; prints what is missing
 * otherwise. */
int tl_error_names(const char *msg, const char *call, ...);

/* Central finite-difference check of the model's gradient for the n floats at
 * w (a weight inside m), against the analytic gradient g, on one batch.
 * Checks at most max_checks evenly spaced entries. Returns 1 when all agree. */
int tl_gradcheck_model(const char *what, tl_model *m, float *w, const float *g,
                       size_t n, size_t max_checks, const int *ids,
                       const int *targets, size_t B);

/* Trains a model with cfg on the Markov source (K successors, data seed 42,
 * as tools/train does, from the grader's copy of data.c) for cfg->steps steps. losses[step] gets each step's
 * loss (NAN after a failure); *H the source's entropy rate. Returns the first
 * error, or TL_OK. The model is destroyed unless keep is non-NULL. */
tl_err tl_train_run(const tl_config *cfg, size_t K, float *losses, double *H,
                    tl_model **keep);

/* Mean of losses[from, to). */
double tl_mean(const float *losses, size_t from, size_t to);

/* tl_train_run one step at a time, for a test or probe that looks at the
 * model between steps: the same data (the Markov source with K successors,
 * data seed 42) and the same batches, so its losses are tl_train_run's. */
typedef struct {
    tl_model *m;          /* the model being trained */
    ref_markov *mk;       /* the grader's copy of the data source (ref.h) */
    int *ids, *targets;   /* [B]: the next step's inputs (the last step's targets) */
    size_t B;             /* cfg->batch */
    ref_rng rng;
} tl_trainer;
/* Creates the source and the model and starts the chains. Returns the first
 * error, or TL_OK; tl_trainer_end frees what was made either way. */
tl_err tl_trainer_start(tl_trainer *t, const tl_config *cfg, size_t K);
/* One training step on the next batch; *loss gets its loss. */
tl_err tl_trainer_step(tl_trainer *t, float *loss);
/* Frees the source and the batches, and the model unless keep is non-NULL
 * (then *keep gets it). */
void tl_trainer_end(tl_trainer *t, tl_model **keep);

/* Where a run starts and where it ends: trains like tl_train_run and gives
 * the first step's loss (before any update) and the mean loss of the last
 * `tail` steps (tail <= cfg->steps). first and H may be NULL. */
tl_err tl_train_ends(const tl_config *cfg, size_t K, size_t tail, float *first,
                     double *end, double *H);

/* Trains the default config (K = 4, as tools/train) with the given kernel
 * (TL_HEAD_REFERENCE where a lab breaks the plain loops) and compares the mean
 * loss of its last 30 steps with `reference`, a healthy run's figure, within
 * tol (tl_close with atol tol), after printing both. Returns 1 when it is
 * within, 0 when not or when training failed (the error is printed). */
int tl_default_run_ends_near(tl_head_kernel kernel, float reference, float tol);

/* The loss of the first batch before any update (one step of tl_train_run at
 * lr 0): a tied model at its init std starts near ln V. */
tl_err tl_loss_at_init(const tl_config *cfg, size_t K, float *loss);

/* Floats a tied model of cfg trains when E has V rows: E once (V·d), the two
 * RMSNorm gains (2d) and the MLP (2·hidden·d). A model that counts more holds
 * E, or a copy of it, twice. */
size_t tl_tied_param_count(const tl_config *cfg, size_t V);

/* The small model of the gradient checks: the default config shrunk to
 * V = 12, d = 6, hidden 8, batch 5, with E drawn at std 0.5 (seed 3). Its
 * weights are O(1), so each path's share of a gradient is big enough for
 * finite differences to see. Tied; set .tied = 0 for the untied twin. */
enum { TL_SMALL_V = 12, TL_SMALL_D = 6, TL_SMALL_HIDDEN = 8, TL_SMALL_B = 5 };
tl_config tl_small_config(void);

/* tl_model_train_step without the optimizer step: zero every gradient, then
 * forward, loss (into *loss, which may be NULL) and backward on one batch.
 * Returns the first error, or TL_OK. */
tl_err tl_gradients(tl_model *m, float *loss, const int *ids, const int *targets,
                    size_t B);

/* One logit computed afresh, in double, from a hidden state h[d] and a row
 * e[d] of E: z = h·e, then cap·tanh(z/cap) when cap > 0 (the model's soft-cap;
 * 0 gives the raw score). A tied head must give this with E as it is now, so
 * tests compare the model's logits with it after E changes. */
double tl_fresh_logit(const float *h, const float *e, size_t d, float cap);
/* out[b, v] = tl_fresh_logit(H[b], E[v], cap) rounded to float, for B hidden
 * states H[B, d] and the V rows of E[V, d]. */
void tl_fresh_logits(float *out, const float *H, const float *E, size_t B,
                     size_t d, size_t V, float cap);
/* max over [B, V] of |logits[b, v] - tl_fresh_logit(H[b], E[v], cap)|, in
 * double: about 0 when the head scored with this E. */
double tl_fresh_logits_max_diff(const float *logits, const float *H, const float *E,
                                size_t B, size_t d, size_t V, float cap);

#endif
