/* unit.h — the unit-test groups, one per library file; main.c runs them all. */
#ifndef TL_UNIT_H
#define TL_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

int test_err_rng(void);
int test_embedding(void);
int test_head(void);
int test_loss(void);
int test_optim(void);
int test_data(void);
int test_model(void);
int test_head_fast(void);
int test_checkpoint(void);
int test_head_ce_fused(void);

#endif
