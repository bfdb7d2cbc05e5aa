/* direct.c — judge.h for programs that link the library in their own
 * process (symptoms, probes, builds under SAN=1): shared memory is the
 * ordinary heap and a failed call cannot happen. Never used for grading. */
#include "judge.h"

#include <malloc.h>
#include <stdlib.h>

void *tl_shared_alloc(size_t bytes)
{
    return calloc(1, bytes ? bytes : 1);
}

void tl_shared_free(void *p)
{
    free(p);
}

size_t tl_block_size(const void *p)
{
    return p ? malloc_usable_size((void *)(uintptr_t)p) : 0;
}

void tl_judge_on_failure(void (*fail)(const char *msg))
{
    (void)fail;
}

int tl_judge_hung(void)
{
    return 0;
}

int tl_judged(void)
{
    return 0;
}
