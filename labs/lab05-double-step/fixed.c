/* fixed.c — what must be true once lab 05 is fixed. All fail on the broken
 * workspace; halving the head group's rate still fails every one of them:
 * E is then stepped 1.5 times and still counted twice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lab.h"

static void tied_model_counts_E_once(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(tl_model_param_count(m), tl_tied_param_count(&c, m->V));
    tl_model_destroy(m);
}

static void one_sgd_step_moves_E_by_exactly_lr_times_its_gradient(void **state)
{
    (void)state;
    double gg, times;
    int close = sgd_step_moves_E_by(1.0f, "E0 - E1 vs lr*dE", &gg, &times);
    assert_true(gg > 0.0);
    assert_true(close);
}

/* The same memory under a second name is refused, and the message names both
 * entries, however it quotes or words them (the names are ones no wording
 * contains by chance); the refused entry is not held. */
static void registering_E_twice_is_EDUP_naming_both(void **state)
{
    (void)state;
    float *E = tl_shared_floats(8), *dE = tl_shared_floats(8);   /* the optimizer keeps them */
    tl_optim *o;
    assert_int_equal(tl_optim_create(&o, TL_SGD), TL_OK);
    assert_int_equal(tl_optim_add(o, "embedding.E", E, dE, 8, 0.01f), TL_OK);
    assert_int_equal(tl_optim_add(o, "head.W", E, dE, 8, 0.01f), TL_EDUP);
    assert_true(tl_mentions(tl_last_error(), "head.W"));
    assert_true(tl_mentions(tl_last_error(), "embedding.E"));
    assert_int_equal(tl_optim_param_count(o), 8);
    tl_optim_destroy(o);
    tl_shared_free(E);
    tl_shared_free(dE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tied_model_counts_E_once),
        cmocka_unit_test(one_sgd_step_moves_E_by_exactly_lr_times_its_gradient),
        cmocka_unit_test(registering_E_twice_is_EDUP_naming_both),
    };
    return tl_run_tests("lab05 fixed", tests);
}
