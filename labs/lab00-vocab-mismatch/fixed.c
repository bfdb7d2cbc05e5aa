/* fixed.c — what must be true once lab 00 is fixed. All fail on the broken
 * workspace; a fix that only quiets the error (slicing the logits, passing
 * 256 as their width) still fails the row counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "support.h"

static void tied_default_model_has_one_row_of_E_per_class(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(c.V_in, c.V_out);
    assert_int_equal(m->V, c.V_out);
    assert_int_equal(m->head.V, c.V_out);
    tl_model_destroy(m);
}

static void tied_default_model_counts_256_rows_once(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    assert_int_equal(tl_model_param_count(m), tl_tied_param_count(&c, 256));
    tl_model_destroy(m);
}

static void default_model_trains_from_ln_256(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 100;
    float losses[100];
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    assert_true(fabs((double)losses[0] - log(256.0)) < 0.02 * log(256.0));
    assert_true(tl_mean(losses, 90, 100) < 0.6 * log(256.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tied_default_model_has_one_row_of_E_per_class),
        cmocka_unit_test(tied_default_model_counts_256_rows_once),
        cmocka_unit_test(default_model_trains_from_ln_256),
    };
    return tl_run_tests("lab00 fixed", tests);
}
