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

#include "support.h"

static void tied_model_counts_E_once(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(tl_model_param_count(m), m->V * c.d + 2 * c.d + 2 * c.hidden * c.d);
    tl_model_destroy(m);
}

static void one_sgd_step_moves_E_by_exactly_lr_times_its_gradient(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.optim = TL_SGD;
    c.lr = 0.5f;
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t n = m->V * c.d;
    float *E0 = malloc(n * sizeof *E0), *moved = malloc(n * sizeof *moved), *want = malloc(n * sizeof *want);
    assert_non_null(E0);
    assert_non_null(moved);
    assert_non_null(want);
    memcpy(E0, m->E, n * sizeof *E0);
    int ids[8] = { 3, 17, 42, 99, 128, 200, 7, 255 }, t[8] = { 4, 18, 43, 100, 129, 201, 8, 0 };
    float loss;
    assert_int_equal(tl_model_train_step(m, &loss, ids, t, 8), TL_OK);
    double gg = 0.0;
    for (size_t i = 0; i < n; i++) {
        moved[i] = E0[i] - m->E[i];
        want[i] = c.lr * m->dE[i];
        gg += (double)m->dE[i] * (double)m->dE[i];
    }
    assert_true(gg > 0.0);
    assert_true(tl_close("E0 - E1 vs lr*dE", moved, want, n, 1e-7f, 1e-3f));
    free(E0);
    free(moved);
    free(want);
    tl_model_destroy(m);
}

static void registering_E_twice_is_EDUP_naming_both(void **state)
{
    (void)state;
    float E[8] = { 0 }, dE[8] = { 0 };
    tl_optim *o;
    assert_int_equal(tl_optim_create(&o, TL_SGD), TL_OK);
    assert_int_equal(tl_optim_add(o, "E", E, dE, 8, 0.01f), TL_OK);
    assert_int_equal(tl_optim_add(o, "head.W", E, dE, 8, 0.01f), TL_EDUP);
    assert_true(tl_mentions(tl_last_error(), "'head.W'"));
    assert_true(tl_mentions(tl_last_error(), "'E'"));
    assert_int_equal(tl_optim_param_count(o), 8);
    tl_optim_destroy(o);
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
