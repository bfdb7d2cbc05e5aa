/* worker.c — the library's process (judge.h): the learner's library linked
 * with this file and nothing of the tests. It maps the arena the judge made,
 * allocates everything in it (this file's malloc), and makes one call of
 * tiedlab.h per request.
 *
 * Nothing here is trusted by the judge: the learner's code runs in this
 * process and can change any of it. What it answers is checked by the judge,
 * and what it does beyond answering is bounded by the sandbox and the limits
 * the judge starts it with (tests/judge/client.c, tools/guard).
 */
#define _GNU_SOURCE
#include "tiedlab.h"
#include "judge.h"
#include "handoff.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- malloc over the arena's heap -------------------------------------------------- */

/* Power-of-two blocks from 32 bytes, each behind a tl_heap_header that
 * records the size asked for; free blocks are kept in one list per size.
 * realloc that grows a block always moves it, as any allocator may: code
 * that hopes a block stays put finds out here. Before the arena is mapped
 * (the C library's own start-up), blocks come from a small static buffer. */
enum { MIN_SHIFT = 5, CLASSES = 44 };
static _Alignas(64) unsigned char boot[1 << 20];
static uintptr_t lo = (uintptr_t)boot, hi = (uintptr_t)boot + sizeof boot, bump = (uintptr_t)boot;
static void *freelist[CLASSES];

#define ALIGNED_MAGIC 0x616c69676e6564ULL   /* a memalign block: bytes is its offset */

static tl_heap_header *header_of(void *p)
{
    return (tl_heap_header *)p - 1;
}

static unsigned class_of(size_t bytes)
{
    unsigned c = 0;
    while (c < CLASSES && ((size_t)1 << (c + MIN_SHIFT)) - sizeof(tl_heap_header) < bytes)
        c++;
    return c;
}

void *malloc(size_t bytes)
{
    unsigned c = class_of(bytes ? bytes : 1);
    if (c >= CLASSES)
        return NULL;
    size_t size = (size_t)1 << (c + MIN_SHIFT);
    void *p = freelist[c];
    if (p) {
        memcpy(&freelist[c], p, sizeof(void *));
    } else {
        uintptr_t at = (bump + sizeof(tl_heap_header) + 63) / 64 * 64 - sizeof(tl_heap_header);
        if (at > hi || size > hi - at)
            return NULL;
        bump = at + size;
        p = (char *)at + sizeof(tl_heap_header);
    }
    header_of(p)->magic = TL_HEAP_MAGIC;
    header_of(p)->bytes = bytes;
    return p;
}

void free(void *p)
{
    if (!p)
        return;
    tl_heap_header *h = header_of(p);
    if (h->magic == ALIGNED_MAGIC) {
        free((char *)p - h->bytes);
        return;
    }
    if ((uintptr_t)p >= (uintptr_t)boot && (uintptr_t)p < (uintptr_t)boot + sizeof boot)
        return;   /* the start-up buffer is never reused */
    if (h->magic != TL_HEAP_MAGIC)
        abort();  /* not a block of this heap: a double free or a wild pointer */
    unsigned c = class_of((size_t)h->bytes);
    h->magic = 0;
    memcpy(p, &freelist[c], sizeof(void *));
    freelist[c] = p;
}

void *calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    void *p = malloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

size_t malloc_usable_size(void *p)
{
    return p && header_of(p)->magic == TL_HEAP_MAGIC ? (size_t)header_of(p)->bytes : 0;
}

void *realloc(void *p, size_t bytes)
{
    if (!p)
        return malloc(bytes);
    if (bytes == 0) {
        free(p);
        return NULL;
    }
    size_t have = malloc_usable_size(p);
    if (have >= bytes) {          /* shrinking stays put */
        header_of(p)->bytes = bytes;
        return p;
    }
    void *q = malloc(bytes);
    if (q && have)
        memcpy(q, p, have);
    if (q)
        free(p);
    return q;
}

void *memalign(size_t align, size_t bytes)
{
    if (align <= 16)
        return malloc(bytes);
    if (align & (align - 1))
        return NULL;
    char *raw = malloc(bytes + align + sizeof(tl_heap_header));
    if (!raw)
        return NULL;
    uintptr_t user = ((uintptr_t)raw + sizeof(tl_heap_header) + align - 1) & ~(uintptr_t)(align - 1);
    header_of((void *)user)->magic = ALIGNED_MAGIC;
    header_of((void *)user)->bytes = user - (uintptr_t)raw;
    return (void *)user;
}

void *aligned_alloc(size_t align, size_t bytes)
{
    return memalign(align, bytes);
}

int posix_memalign(void **out, size_t align, size_t bytes)
{
    void *p = memalign(align, bytes);
    if (!p)
        return 12;   /* ENOMEM */
    *out = p;
    return 0;
}

void *valloc(size_t bytes)
{
    return memalign(4096, bytes);
}

void *pvalloc(size_t bytes)
{
    return memalign(4096, (bytes + 4095) / 4096 * 4096);
}

/* ---- one request -------------------------------------------------------------------- */

static float float_of(uint64_t w)
{
    uint32_t u = (uint32_t)w;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void answer_str(tl_mailbox *mb, const char *s)
{
    size_t n = s ? strnlen(s, TL_STR_BYTES - 1) : 0;
    if (n)
        memcpy(mb->str, s, n);
    mb->str[n] = 0;
}

#define P(i) ((void *)(uintptr_t)mb->a[i])
#define Z(i) ((size_t)mb->a[i])
#define U(i) ((uint64_t)mb->a[i])
#define I(i) ((int)(int64_t)mb->a[i])
#define EN(i, T) ((T)(int64_t)mb->a[i])
#define F(i) float_of(mb->a[i])

#define TL_SERVE_ERR(T, call)    mb->ret.i = (int64_t)(call);
#define TL_SERVE_INT(T, call)    mb->ret.i = (int64_t)(call);
#define TL_SERVE_SIZE(T, call)   mb->ret.u = (uint64_t)(call);
#define TL_SERVE_U64(T, call)    mb->ret.u = (uint64_t)(call);
#define TL_SERVE_DOUBLE(T, call) mb->ret.d = (call);
#define TL_SERVE_FLOAT(T, call)  mb->ret.f = (call);
#define TL_SERVE_STR(T, call)    answer_str(mb, (call));
#define TL_SERVE_CONFIG(T, call) { T r_ = (call); memcpy(mb->blob, &r_, sizeof r_); }
#define TL_SERVE_VOID(T, call)   (call);

static void serve(tl_mailbox *mb)
{
    switch (mb->fn) {
#define TL_API(name, RET, RT, params, marshal, sargs) \
    case TL_FN_##name: TL_SERVE_##RET(RT, name sargs) break;
#include "api.def"
#undef TL_API
    case TL_FN_tl_fail:
        mb->ret.i = (int64_t)tl_fail(EN(0, tl_err), "%s", (const char *)P(1));
        break;
    default:
        mb->ret.i = -1;
        break;
    }
}

int main(int argc, char **argv)
{
    size_t size = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 0;
    void *at = size ? mmap((void *)TL_ARENA_BASE, size, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_FIXED_NOREPLACE, TL_WORKER_ARENA_FD, 0) : MAP_FAILED;
    if (at != (void *)TL_ARENA_BASE) {
        fprintf(stderr, "tiedlab worker: cannot map the shared memory\n");
        return 2;
    }
    tl_arena_layout l = tl_arena_layout_of(size);
    lo = bump = TL_ARENA_BASE + l.heap;
    hi = TL_ARENA_BASE + l.end;
    (void)lo;
    tl_mailbox *mb = (tl_mailbox *)TL_ARENA_BASE;
    uint32_t last = __atomic_load_n(&mb->req, __ATOMIC_ACQUIRE);
    if (write(TL_WORKER_REP_FD, "R", 1) != 1)
        return 2;
    for (;;) {
        uint32_t seq = tl_await_change(&mb->req, last, 512, 1000L * 1000 * 1000, NULL);
        last = seq;
        serve(mb);
        __atomic_store_n(&mb->rep, seq, __ATOMIC_RELEASE);
        tl_futex_wake(&mb->rep);
    }
}
