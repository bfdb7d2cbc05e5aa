/* handoff.h — one call between the judge and the worker, through the
 * mailbox's two counters (judge.h): spin a little, then sleep on a futex.
 * For client.c and worker.c only (they are built with _GNU_SOURCE). */
#ifndef TL_HANDOFF_H
#define TL_HANDOFF_H

#include <stdint.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

/* Waits while *word == seen, up to ns nanoseconds (0: no limit). */
static inline void tl_futex_wait(uint32_t *word, uint32_t seen, long ns)
{
    struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
    syscall(SYS_futex, word, FUTEX_WAIT, seen, ns ? &ts : NULL, NULL, 0);
}

static inline void tl_futex_wake(uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Spins about `spins` times, then sleeps in slices of slice_ns, until
 * *word != seen or give_up() says so (checked once per slice). Returns the
 * new value, or `seen` when it gave up. */
static inline uint32_t tl_await_change(uint32_t *word, uint32_t seen, unsigned spins, long slice_ns,
                                       int (*give_up)(void))
{
    uint32_t v;
    /* a short spin, giving the core away now and then: on a busy machine the
     * other side may need this very core to answer */
    for (unsigned i = 0; i < spins; i++) {
        if ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != seen)
            return v;
        if (i % 64 == 63)
            sched_yield();
        else
            __builtin_ia32_pause();
    }
    for (;;) {
        if ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != seen)
            return v;
        if (give_up && give_up())
            return seen;
        tl_futex_wait(word, seen, slice_ns);
    }
}

#endif
