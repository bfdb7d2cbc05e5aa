/* isa_env.h — TL_ISA=base|avx2|avx512 picks the build of the blocked kernels
 * (lib/matmul.c). The harness and the tools read it and ask the library with
 * tl_isa_use; the library itself reads no environment. A build this CPU
 * cannot run, or another word, leaves the library's choice (the widest). */
#ifndef TL_ISA_ENV_H
#define TL_ISA_ENV_H

#include "tiedlab.h"

#include <stdlib.h>
#include <string.h>

static inline void tl_isa_from_env(void)
{
    static const struct { const char *name; tl_isa isa; } builds[] = {
        { "base", TL_ISA_BASE }, { "avx2", TL_ISA_AVX2 }, { "avx512", TL_ISA_AVX512 },
    };
    const char *want = getenv("TL_ISA");
    for (size_t i = 0; want && i < sizeof builds / sizeof builds[0]; i++)
        if (!strcmp(want, builds[i].name))
            (void)tl_isa_use(builds[i].isa);
}

#endif
