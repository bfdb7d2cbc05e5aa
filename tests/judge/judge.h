/* judge.h — the judge and the library's process, and the memory they share.
 *
 * A graded program (a lab's fixed.c, the unit tests, train) is a judge: it
 * holds the test framework, the harness and every assertion, and none of the
 * learner's code. The learner's library runs in another process, the worker
 * (worker.c), started by the judge through a sandbox where the machine has
 * one. Each call of a tiedlab.h function in the judge is a request to the
 * worker (stubs.h); the worker makes the call and answers. The two share one
 * block of memory, the arena, mapped at the same address in both, so the
 * model the library allocates (its E, logits, gradients) is read and written
 * by the tests directly, as in one process. The threat model is at the top of
 * tools/guard.
 *
 * Arena layout (TL_ARENA_BASE, size chosen by the judge):
 *   mailbox     one request and its answer
 *   scratch     copies of the judge's own arrays for the current call
 *   shared      buffers the judge allocates for the library to keep
 *               (tl_shared_alloc): a tied E, optimizer parameters
 *   worker heap everything the worker allocates (its malloc)
 * Nothing the judge keeps for itself (expected values, the framework's
 * state, its stack) is in the arena: the worker can write all of the arena.
 */
#ifndef TL_JUDGE_H
#define TL_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#define TL_ARENA_BASE ((uintptr_t)0x3f0000000000ULL)

enum { TL_MAILBOX_BYTES = 16384, TL_MAX_ARGS = 12, TL_STR_BYTES = 1024, TL_BLOB_BYTES = 4096 };

/* Written by the judge (fn, a), answered by the worker (ret, str, blob).
 * A call is a handoff through two counters: the judge bumps req and wakes
 * the worker, the worker answers and sets rep to the same number (spinning a
 * few microseconds, then sleeping on a futex: a call costs about as much as
 * a function call through a cache miss, not a pipe's round trip). */
typedef struct {
    uint32_t req, rep;
    uint32_t fn;
    uint32_t argc;
    uint64_t a[TL_MAX_ARGS];
    union {
        uint64_t u;
        int64_t i;
        double d;
        float f;
    } ret;
    char str[TL_STR_BYTES];             /* a string answer (tl_last_error) */
    unsigned char blob[TL_BLOB_BYTES];  /* a struct answer (tl_config) */
} tl_mailbox;

/* Regions of an arena of `size` bytes, as offsets from TL_ARENA_BASE. */
typedef struct {
    size_t scratch, shared, heap, end;
} tl_arena_layout;

static inline tl_arena_layout tl_arena_layout_of(size_t size)
{
    tl_arena_layout l;
    l.scratch = TL_MAILBOX_BYTES;
    l.shared = size / 8;
    l.heap = size / 8 + size / 4;
    l.end = size;
    return l;
}

/* One id per tiedlab.h function (api.def), and tl_fail. */
enum {
    TL_FN_NONE,
#define TL_API(name, ...) TL_FN_##name,
#include "api.def"
#undef TL_API
    TL_FN_tl_fail,
    TL_FN_COUNT
};

/* The header of every block of the worker's heap, right before it. */
typedef struct {
    uint64_t magic;
    uint64_t bytes;   /* the bytes asked for (the block may hold more) */
} tl_heap_header;
#define TL_HEAP_MAGIC 0x74696564686561ULL

/* Fds of the worker: the arena, and its end of a pipe that says "ready"
 * once and then stays open, so that the judge sees it end. */
enum { TL_WORKER_ARENA_FD = 3, TL_WORKER_REP_FD = 4 };

/* ---- for tests and tools (judge side; direct.c gives the in-process twin) ---- */

/* Memory the library may keep a pointer to (a tied E and dE, optimizer
 * parameters): zeroed, in the arena. In-process builds: calloc. */
void *tl_shared_alloc(size_t bytes);
void  tl_shared_free(void *p);
/* Bytes usable in a block the library allocated (its malloc's size class);
 * 0 when p is not the start of one. */
size_t tl_block_size(const void *p);

/* What a failed call does: print the message and stop the test (the harness
 * sets this to fail the running cmocka test), or, by default, print it and
 * exit with status 3. */
void tl_judge_on_failure(void (*fail)(const char *msg));
/* 1 once a call hung (the worker was stopped): later calls fail at once. */
int tl_judge_hung(void);
/* 1 in a judge (the library is another process), 0 in-process. */
int tl_judged(void);

#endif
