/* tiedlab.h — one matrix, two jobs.
 *
 * A tied language model keeps a single table E[V, d] (row-major). The input
 * embedding reads row E[id]; the output head scores every row against the
 * hidden state: logits[B, V] = H[B, d] · Eᵀ. Both paths add their gradient
 * into the same dE. Everything in this library exists to make that one idea
 * exact, checkable and breakable (the labs break copies of it).
 *
 * API in reading order:
 *   errors       tl_err, tl_strerror, tl_last_error
 *   rng          tl_rng_seed, tl_rng_next, tl_rng_uniform, tl_rng_normal
 *   embedding    tl_embedding_forward, tl_embedding_backward
 *   lm head      tl_head_tie, tl_head_create_untied, tl_head_free,
 *                tl_head_forward, tl_head_backward, tl_head_bytes_held,
 *                tl_head_bytes_saved_by_tying
 *                (blocked, SIMD: tl_head_forward_fast, tl_head_backward_fast)
 *                (fused with the loss: tl_head_ce_fused, tl_head_ce_fused_forward,
 *                tl_head_ce_fused_backward, tl_head_ce_fused_bytes)
 *   loss         tl_softmax_forward, tl_cross_entropy_forward,
 *                tl_cross_entropy_backward
 *   init         TL_TIED_INIT_STD, tl_init_normal, tl_init_uniform
 *   optimizer    tl_optim_create, tl_optim_add, tl_optim_step,
 *                tl_optim_zero_grad, tl_optim_param_count, tl_optim_destroy
 *   data         tl_markov_create, tl_markov_entropy_rate, tl_markov_next,
 *                tl_markov_start, tl_markov_step, tl_markov_destroy
 *   matmul       tl_matmul_forward, tl_matmul_backward,
 *                tl_isa_best, tl_isa_current, tl_isa_use, tl_isa_name
 *   model        tl_config_default, tl_model_create, tl_model_forward,
 *                tl_model_loss, tl_model_backward, tl_model_train_step,
 *                tl_model_param_count, tl_model_grow_vocab, tl_model_destroy
 *   checkpoint   tl_model_save_bytes, tl_model_load_bytes (safetensors in
 *                memory), tl_model_save, tl_model_load (files);
 *                tl_optim_steps, tl_optim_set_steps, tl_optim_moments
 *
 * Conventions: outputs first, then inputs, then sizes (B batch, d width,
 * V vocabulary). Gradients are accumulated with +=, never assigned, so two
 * paths into one buffer sum. Anything a caller can get wrong returns a tl_err
 * and leaves a message naming the function and both sizes.
 */
#ifndef TIEDLAB_H
#define TIEDLAB_H

#include <stddef.h>
#include <stdint.h>

/* ---- errors ------------------------------------------------------------ */

typedef enum {
    TL_OK = 0,
    TL_ESHAPE,   /* two sizes that must agree do not */
    TL_ERANGE,   /* an index (token id, target) is outside [0, V) */
    TL_EINVAL,   /* a bad argument: NULL, zero size, negative rate */
    TL_ENOMEM,   /* allocation failed */
    TL_EDUP,     /* the same buffer registered twice */
    TL_ENUMERIC, /* a NaN or Inf where a number was required */
    TL_EFORMAT,  /* bytes that are not what they claim: a corrupt or foreign checkpoint */
    TL_EIO       /* a file that cannot be read or written */
} tl_err;

const char *tl_strerror(tl_err err);
/* Message of the most recent failure in this thread, e.g.
 * "tl_cross_entropy_forward: logits have 512 columns, targets need 256 classes". */
const char *tl_last_error(void);
/* For library code: record a message and return err. */
tl_err tl_fail(tl_err err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- rng: splitmix64, the same stream on every platform ------------------ */

typedef struct { uint64_t state; } tl_rng;

void     tl_rng_seed(tl_rng *rng, uint64_t seed);
uint64_t tl_rng_next(tl_rng *rng);
float    tl_rng_uniform(tl_rng *rng);        /* [0, 1), 24 random bits */
float    tl_rng_normal(tl_rng *rng);         /* N(0, 1), Box-Muller in double */

/* ---- embedding: E[V, d] row-major -------------------------------------- */

/* out[b] = E[ids[b]]. An id outside [0, V) is TL_ERANGE naming id and V. */
tl_err tl_embedding_forward(float *out, const int *ids, const float *E,
                            size_t B, size_t d, size_t V);
/* dE[ids[b]] += dout[b]; repeated ids accumulate. */
tl_err tl_embedding_backward(float *dE, const float *dout, const int *ids,
                             size_t B, size_t d, size_t V);

/* ---- lm head ------------------------------------------------------------ */

typedef struct {
    size_t V, d;
    float *W;    /* [V, d] row-major. Tied: borrows E. Untied: owned. */
    float *dW;   /* [V, d] gradient. Tied: borrows dE, the embedding's own. */
    int tied;
} tl_head;

/* Point the head at the embedding's E and dE; nothing is copied or owned. */
tl_err tl_head_tie(tl_head *head, float *E, float *dE, size_t V, size_t d);
/* A separate W[V, d] (zeroed; init it yourself) and its gradient. */
tl_err tl_head_create_untied(tl_head *head, size_t V, size_t d);
void   tl_head_free(tl_head *head);   /* frees only what the head owns */

/* logits[B, V] = H[B, d] · Wᵀ. V and d are what the caller's buffers hold;
 * they must match the head's. */
tl_err tl_head_forward(float *logits, const float *H, const tl_head *head,
                       size_t B, size_t d, size_t V);
/* dH += dlogits · W; head->dW += dlogitsᵀ · H. */
tl_err tl_head_backward(float *dH, tl_head *head, const float *dlogits,
                        const float *H, size_t B, size_t d, size_t V);
size_t tl_head_bytes_held(const tl_head *head);
/* Bytes a separate head matrix would need that tying saves: V·d floats, twice
 * (weight and gradient); 0 for an untied head. */
size_t tl_head_bytes_saved_by_tying(const tl_head *head);
/* The same two products through the blocked kernels (tl_matmul_*, below):
 * same shapes, errors and +=, another order of additions. The model uses
 * these unless its config asks for the reference loops. */
tl_err tl_head_forward_fast(float *logits, const float *H, const tl_head *head,
                            size_t B, size_t d, size_t V);
tl_err tl_head_backward_fast(float *dH, tl_head *head, const float *dlogits,
                             const float *H, size_t B, size_t d, size_t V);

/* The head and the cross-entropy fused (head_ce_fused.c): the loss and its
 * gradients chunk by chunk over V, the logits never held beyond a block of
 * rows x a chunk of columns (tl_head_ce_fused_bytes: the scratch it holds
 * while it runs, against B·V floats for the unfused logits alone). The logits
 * are softcap·tanh(H·Wᵀ / softcap) (softcap 0: H·Wᵀ), as in the model; the
 * loss is their mean cross-entropy against targets from n_classes classes
 * (= V, checked like tl_cross_entropy_forward). The gradients are ADDED:
 * dH += dL/dH and head->dW += dL/dW, on top of what a tied dE already holds.
 *   tl_head_ce_fused: both at once; dH NULL for the loss alone.
 *   _forward: the loss, and lse[B] (NULL to skip) = each row's log Σ exp z;
 *   _backward: the gradients from the forward's lse, without the loss. */
tl_err tl_head_ce_fused(float *loss, float *dH, tl_head *head, const float *H, const int *targets,
                        size_t B, size_t d, size_t V, size_t n_classes, float softcap);
tl_err tl_head_ce_fused_forward(float *loss, double *lse, const tl_head *head, const float *H,
                                const int *targets, size_t B, size_t d, size_t V,
                                size_t n_classes, float softcap);
tl_err tl_head_ce_fused_backward(float *dH, tl_head *head, const float *H, const int *targets,
                                 const double *lse, size_t B, size_t d, size_t V, float softcap);
size_t tl_head_ce_fused_bytes(size_t B, size_t d, size_t V);

/* ---- matmul: blocked kernels, one build per instruction set ---------------- */

/* out[M, N] = A[M, K] · Wᵀ, W [N, K] row-major: out[i, j] = A[i] · W[j]. */
void tl_matmul_forward(float *out, const float *A, const float *W, size_t M, size_t K, size_t N);
/* dA[M, K] += dout · W;  dW[N, K] += doutᵀ · A. */
void tl_matmul_backward(float *dA, float *dW, const float *dout, const float *A,
                        const float *W, size_t M, size_t K, size_t N);

/* Which build of the kernels runs: the widest this CPU has, unless a tool or
 * a test asks for another it runs (base, avx2, avx512) with tl_isa_use
 * (TL_EINVAL if the CPU cannot run it; the tools and tests do when the
 * environment's TL_ISA names one). Each build adds in its own order: one
 * build, the same numbers on every machine. */
typedef enum { TL_ISA_BASE, TL_ISA_AVX2, TL_ISA_AVX512 } tl_isa;
tl_isa      tl_isa_best(void);
tl_isa      tl_isa_current(void);
tl_err      tl_isa_use(tl_isa isa);
const char *tl_isa_name(tl_isa isa);   /* "base" (x86-64: SSE2), "avx2", "avx512" */

/* ---- loss --------------------------------------------------------------- */

/* Row-wise softmax; subtracts each row's max first so exp never overflows. */
void   tl_softmax_forward(float *probs, const float *logits, size_t B, size_t V);
/* Mean cross-entropy over the batch. V_logits is the logits' width, n_classes
 * the vocabulary the targets come from: they must be equal. probs may be NULL. */
tl_err tl_cross_entropy_forward(float *loss, float *probs, const float *logits,
                                const int *targets, size_t B, size_t V_logits,
                                size_t n_classes);
/* dlogits += (probs - onehot(targets)) / B. */
tl_err tl_cross_entropy_backward(float *dlogits, const float *probs,
                                 const int *targets, size_t B, size_t V);

/* ---- init ---------------------------------------------------------------- */

/* The tied default (GPT-2's): with a final RMSNorm the hidden state has norm
 * sqrt(d), so logits have std 0.02·sqrt(d) = 0.16 at d = 64 and the loss at
 * init is ln(V) + 0.013 (5.558 for V = 256). */
#define TL_TIED_INIT_STD 0.02f

void tl_init_normal(float *w, size_t n, float std, tl_rng *rng);
void tl_init_uniform(float *w, size_t n, float bound, tl_rng *rng);

/* ---- optimizer ------------------------------------------------------------ */

typedef enum { TL_SGD, TL_ADAM } tl_optim_kind;
typedef struct tl_optim tl_optim;

tl_err tl_optim_create(tl_optim **out, tl_optim_kind kind);
/* Register n floats w (with gradient g) under a name, stepped at rate lr.
 * A buffer that overlaps one already registered is TL_EDUP: a tied matrix is
 * registered once. */
tl_err tl_optim_add(tl_optim *opt, const char *name, float *w, float *g,
                    size_t n, float lr);
tl_err tl_optim_step(tl_optim *opt);            /* one update of every param */
void   tl_optim_zero_grad(tl_optim *opt);
size_t tl_optim_param_count(const tl_optim *opt); /* floats registered */
void   tl_optim_destroy(tl_optim *opt);
/* The optimizer's own state, for checkpoints: the steps taken (Adam's bias
 * correction depends on them), and Adam's moments m[n] and v[n] of the
 * buffer registered under name (both NULL for SGD). */
size_t tl_optim_steps(const tl_optim *opt);
tl_err tl_optim_set_steps(tl_optim *opt, size_t steps);
tl_err tl_optim_moments(tl_optim *opt, const char *name, float **m, float **v, size_t *n);

/* ---- data: a sparse Markov source with a known entropy rate --------------- */

typedef struct {
    size_t V, K;     /* vocabulary; successors per token */
    int *next;       /* [V, K] successor ids */
    float *cdf;      /* [V, K] cumulative transition probabilities */
    double H;        /* entropy rate in nats: the floor no model beats */
} tl_markov;

tl_err tl_markov_create(tl_markov **out, size_t V, size_t K, uint64_t seed);
double tl_markov_entropy_rate(const tl_markov *mk);
int    tl_markov_next(const tl_markov *mk, int cur, tl_rng *rng);
/* B independent chains: cur[b] starts warmed up, near the stationary law. */
void   tl_markov_start(const tl_markov *mk, int *cur, size_t B, tl_rng *rng);
/* next[b] ~ P(. | cur[b]) for each chain. */
void   tl_markov_step(const tl_markov *mk, int *next, const int *cur, size_t B, tl_rng *rng);
void   tl_markov_destroy(tl_markov *mk);

/* ---- model: embedding -> RMSNorm + MLP block (residual) -> RMSNorm -> head -- */

/* Gemma 2's final-logit cap: c·tanh(z/c) is ≈ z while |z| << c and never
 * exceeds c, so one runaway logit cannot dominate the softmax. */
#define TL_SOFTCAP_DEFAULT 30.0f

/* Which code runs the head's two products in the model. FAST (the default):
 * tl_head_forward_fast/backward_fast, matmul.c's blocked kernels. REFERENCE:
 * lm_head.c's plain loops tl_head_forward/backward, 4x slower in training and
 * the code the labs on the head break (their runs ask for it). FUSED: the
 * head and the loss in one (tl_head_ce_fused_*): tl_model_forward stops at
 * h, tl_model_loss makes the logits a chunk at a time, and the model holds no
 * logits, probs or dlogits (NULL) but lse[B]. The MLP's two layers always run
 * matmul.c's kernels. */
typedef enum { TL_HEAD_FAST, TL_HEAD_REFERENCE, TL_HEAD_FUSED } tl_head_kernel;

typedef struct {
    size_t V_in;     /* rows of E: ids the embedding accepts */
    size_t V_out;    /* classes the targets come from (the data's vocabulary) */
    size_t d;        /* width */
    size_t hidden;   /* MLP width */
    float init_std;  /* std of E */
    float softcap;   /* logits = c·tanh(z / c) with c = softcap; 0 turns it off */
    float lr;
    size_t steps, batch;
    uint64_t seed;
    int tied;        /* 1: the head is E; 0: the head owns W[V_out, d] */
    tl_optim_kind optim;
    tl_head_kernel head_kernel;
} tl_config;

typedef struct {
    tl_config cfg;
    size_t V;             /* rows of E */
    float *E, *dE;        /* [V, d]: owned, shared with the head when tied */
    tl_head head;
    float *g1, *dg1;      /* [d] gain of the block's RMSNorm */
    float *W1, *dW1;      /* [hidden, d] */
    float *W2, *dW2;      /* [d, hidden] */
    float *g2, *dg2;      /* [d] gain of the final RMSNorm */
    tl_optim *opt;
    size_t B_cap;         /* activations below hold B_cap rows */
    float *x, *n1, *a, *s, *y, *h;   /* [B, d] [B, d] [B, hid] [B, hid] [B, d] [B, d] */
    float *r1, *r2;                  /* [B] inverse RMS of x and y */
    float *logits, *probs;           /* [B, V] (NULL with TL_HEAD_FUSED) */
    float *dx, *dn1, *da, *dy, *dh, *dlogits;   /* gradients of the above */
    int *ids;                        /* [B] ids of the last forward */
    double *lse;                     /* [B] with TL_HEAD_FUSED: each row's log-sum-exp */
} tl_model;

tl_config tl_config_default(void);
tl_err tl_model_create(tl_model **out, const tl_config *cfg);
void   tl_model_destroy(tl_model *m);
/* Fills m->logits [B, V] for B input ids (with TL_HEAD_FUSED: m->h only). */
tl_err tl_model_forward(tl_model *m, const int *ids, size_t B);
/* Mean cross-entropy of the last forward against targets; fills m->probs. */
tl_err tl_model_loss(tl_model *m, float *loss, const int *targets, size_t B);
/* Accumulates every gradient for the last forward + loss. */
tl_err tl_model_backward(tl_model *m, const int *targets, size_t B);
/* zero grads, forward, loss, backward, optimizer step. */
tl_err tl_model_train_step(tl_model *m, float *loss, const int *ids,
                           const int *targets, size_t B);
/* Distinct trainable floats (a tied E counts once). */
size_t tl_model_param_count(const tl_model *m);
/* Grow the vocabulary to V_new rows (e.g. added special tokens): E and dE move
 * to new memory (the old is freed), new rows are drawn at init_std, the head re-tied to the new E, and
 * the optimizer rebuilt over the new buffers (its Adam moments restart). */
tl_err tl_model_grow_vocab(tl_model *m, size_t V_new);

/* ---- checkpoint: safetensors (8-byte little-endian header size, a JSON
 * header naming each tensor's dtype, shape and byte range, raw data) ------ */

/* A tied model stores E once, as embed.weight; an untied one also stores
 * lm_head.weight. __metadata__ holds the config (tied, V_in, V_out, d,
 * hidden, ...) and step, the optimizer's steps taken; Adam's moments are
 * tensors adam.m.NAME and adam.v.NAME unless flags has TL_SAVE_WEIGHTS_ONLY.
 * meta: NULL, or the caller's own "key=value" lines, kept verbatim. */
#define TL_SAVE_WEIGHTS_ONLY 1u

/* The file's bytes into buf[cap]; *len gets how many there are. With buf
 * NULL (cap 0), only *len is set: the size to allocate. */
tl_err tl_model_save_bytes(void *buf, size_t cap, size_t *len, const tl_model *m,
                           unsigned flags, const char *meta);
/* A new model from a file's bytes; name (the file's) is what errors say.
 * want: NULL (the file decides), or the model the caller expects: its V_in,
 * V_out, d and hidden (each when not 0) and tied must be the file's. The
 * head is tied to the loaded E when the file says tied. Anything wrong (a
 * truncated file, a header that lies about sizes or offsets, overlapping
 * tensors, a wrong dtype, a missing or unexpected tensor) is an error naming
 * the file and what is wrong; *out is then NULL and nothing is kept. */
tl_err tl_model_load_bytes(tl_model **out, const void *bytes, size_t len, const char *name,
                           const tl_config *want);
/* The same through a file. Saving writes a temporary file next to path and
 * renames it: an existing file is replaced whole or not at all. */
tl_err tl_model_save(const tl_model *m, const char *path, unsigned flags, const char *meta);
tl_err tl_model_load(tl_model **out, const char *path, const tl_config *want);

#endif
