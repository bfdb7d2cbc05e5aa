/* support.h — helpers shared by the unit tests and every lab's tests.
 *
 * Comparisons report the worst element (index, both values, tolerance), and
 * finite differences are central: (f(w+eps) - f(w-eps)) / 2eps.
 */
#ifndef TL_SUPPORT_H
#define TL_SUPPORT_H

#include "tiedlab.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Run a cmocka group (like cmocka_run_group_tests_name) and then print
 * "tiedlab-done <nonce> <failed>", with the nonce the harness passed in
 * TL_NONCE (read and removed before any test runs). A program that stops
 * early, even with exit status 0, never prints it, and code under test does
 * not know the nonce, so printing "PASS" cannot fake it. */
#define tl_run_tests(name, tests) tl_run_group((name), (tests), sizeof(tests) / sizeof((tests)[0]))
int tl_run_group(const char *name, const struct CMUnitTest *tests, size_t n);
/* The two halves, for a main that runs several groups. */
void tl_nonce_take(void);
void tl_nonce_done(int failed);

/* Worst |got - want| - (atol + rtol*|want|) over n elements; prints the worst
 * index and both values when it is > 0. Returns 1 when all are within. */
int tl_close(const char *what, const float *got, const float *want, size_t n,
             float atol, float rtol);

/* 1 when msg contains needle; prints both otherwise. */
int tl_mentions(const char *msg, const char *needle);

/* Central finite-difference check of the model's gradient for the n floats at
 * w (a weight inside m), against the analytic gradient g, on one batch.
 * Checks at most max_checks evenly spaced entries. Returns 1 when all agree. */
int tl_gradcheck_model(const char *what, tl_model *m, float *w, const float *g,
                       size_t n, size_t max_checks, const int *ids,
                       const int *targets, size_t B);

/* Trains a model with cfg on the Markov source (K successors, data seed 42,
 * as tools/train does) for cfg->steps steps. losses[step] gets each step's
 * loss (NAN after a failure); *H the source's entropy rate. Returns the first
 * error, or TL_OK. The model is destroyed unless keep is non-NULL. */
tl_err tl_train_run(const tl_config *cfg, size_t K, float *losses, double *H,
                    tl_model **keep);

/* Mean of losses[from, to). */
double tl_mean(const float *losses, size_t from, size_t to);

#endif
