/* stubs.h — force-included (-include) in every judged translation unit: each
 * tiedlab.h function becomes a request to the library's process (judge.h).
 *
 * The stubs are GNU extern inline, so every call is inlined at its call site,
 * where the compiler still knows how big the caller's array is
 * (__builtin_dynamic_object_size): a copy never reads or writes past a
 * judge's buffer, even when a test passes a wrong size on purpose to check
 * the library's error. Calls that are not inlined go to the same functions
 * in client.c, which copy the sizes the arguments give.
 */
#ifndef TL_STUBS_H
#define TL_STUBS_H

#include "tiedlab.h"
#include "judge.h"

#include <string.h>

/* One request being built. */
typedef struct {
    tl_mailbox *mb;
    const char *name;
    size_t nback;                 /* copies back into the judge's memory */
    struct { void *to; const void *from; size_t n; } back[TL_MAX_ARGS];
    struct { const void *p; size_t n; void *at; } mapped[TL_MAX_ARGS];
    size_t nmapped;
} tl_call;

void   tl_call_begin(tl_call *c, uint32_t fn, const char *name);
void   tl_arg_copy(tl_call *c, unsigned i, const void *p, size_t bytes, size_t known, int back);
void   tl_arg_keep(tl_call *c, unsigned i, const void *p, const char *what);
void   tl_arg_handle(tl_call *c, unsigned i, const void *p, const char *what);
void   tl_arg_str(tl_call *c, unsigned i, const char *s, size_t known);
void   tl_call_run(tl_call *c);
const char *tl_call_str(tl_call *c);
size_t tl_n(size_t a, size_t b, size_t elem);   /* a·b·elem, SIZE_MAX on overflow */
uint64_t tl_float_word(float x);

#if defined(__has_builtin)
#if __has_builtin(__builtin_dynamic_object_size)
#define TL_BOS(p) __builtin_dynamic_object_size((p), 0)
#endif
#endif
#ifndef TL_BOS
#define TL_BOS(p) __builtin_object_size((p), 0)
#endif

#define TL_N(a, b, T) tl_n((a), (b), sizeof(T))

/* marshal steps (api.def) */
#define IN(i, p, n) tl_arg_copy(&c_, (i), (p), (n), TL_STUB_BOS(p), 0);
#define IO(i, p, n) tl_arg_copy(&c_, (i), (p), (n), TL_STUB_BOS(p), 1);
#define KEEP(i, p)  tl_arg_keep(&c_, (i), (p), #p);
#define H(i, p)     tl_arg_handle(&c_, (i), (p), #p);
#define S(i, s)     tl_arg_str(&c_, (i), (s), TL_STUB_BOS(s));
#define Z(i, x)     c_.mb->a[i] = (uint64_t)(x);
#define U(i, x)     c_.mb->a[i] = (uint64_t)(x);
#define I(i, x)     c_.mb->a[i] = (uint64_t)(int64_t)(x);
#define F(i, x)     c_.mb->a[i] = tl_float_word(x);

/* how each kind of result comes back */
#define TL_RET_ERR(T)    return (T)c_.mb->ret.i;
#define TL_RET_INT(T)    return (T)c_.mb->ret.i;
#define TL_RET_SIZE(T)   return (T)c_.mb->ret.u;
#define TL_RET_U64(T)    return (T)c_.mb->ret.u;
#define TL_RET_DOUBLE(T) return c_.mb->ret.d;
#define TL_RET_FLOAT(T)  return c_.mb->ret.f;
#define TL_RET_STR(T)    return tl_call_str(&c_);
#define TL_RET_CONFIG(T) { T r_; memcpy(&r_, c_.mb->blob, sizeof r_); return r_; }
#define TL_RET_VOID(T)

#define TL_STUB_BODY(name, RET, RT, params, marshal)                        \
    RT name params                                                          \
    {                                                                       \
        tl_call c_;                                                         \
        tl_call_begin(&c_, TL_FN_##name, #name);                            \
        marshal                                                             \
        tl_call_run(&c_);                                                   \
        TL_RET_##RET(RT)                                                    \
    }

#ifndef TL_STUBS_OUT_OF_LINE
/* A struct result must fit the mailbox; a learner's tiedlab.h that makes
 * tl_config bigger is refused here, at compile time. */
_Static_assert(sizeof(tl_config) <= TL_BLOB_BYTES, "tl_config is too big for the judge's mailbox");
#define TL_STUB_BOS(p) TL_BOS(p)
#define TL_API(name, RET, RT, params, marshal, sargs) \
    extern __inline __attribute__((__always_inline__, __gnu_inline__, __artificial__)) \
    TL_STUB_BODY(name, RET, RT, params, marshal)
#include "api.def"
#undef TL_API
#endif

#endif
