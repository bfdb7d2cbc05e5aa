/* ref.h — the grader's own copy of the library's rng, init and data source
 * (lib/rng.c, init.c, data.c, err.c, built from lib/ and renamed ref_tl_* by
 * objcopy; Makefile). The harness draws every input and every batch of data
 * from it, never from the library under test, so a library cannot make its
 * own test data easy. The types are lib/tiedlab.h's, as lib/ has them. */
#ifndef TL_REF_H
#define TL_REF_H

#include <stddef.h>
#include <stdint.h>

typedef struct { uint64_t state; } ref_rng;    /* lib/tiedlab.h's tl_rng */
typedef struct ref_markov ref_markov;          /* lib/tiedlab.h's tl_markov */

void   ref_tl_rng_seed(ref_rng *rng, uint64_t seed);
uint64_t ref_tl_rng_next(ref_rng *rng);
float  ref_tl_rng_uniform(ref_rng *rng);
float  ref_tl_rng_normal(ref_rng *rng);
void   ref_tl_init_normal(float *w, size_t n, float std, ref_rng *rng);
void   ref_tl_init_uniform(float *w, size_t n, float bound, ref_rng *rng);
int    ref_tl_markov_create(ref_markov **out, size_t V, size_t K, uint64_t seed);  /* a tl_err */
double ref_tl_markov_entropy_rate(const ref_markov *mk);
void   ref_tl_markov_start(const ref_markov *mk, int *cur, size_t B, ref_rng *rng);
void   ref_tl_markov_step(const ref_markov *mk, int *next, const int *cur, size_t B, ref_rng *rng);
void   ref_tl_markov_destroy(ref_markov *mk);
const char *ref_tl_last_error(void);

#endif
