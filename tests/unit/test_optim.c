/* test_optim.c — SGD and Adam steps; a buffer is registered once. */
#include "unit.h"

#include <math.h>

static void sgd_moves_each_weight_by_its_groups_rate_times_gradient(void **state)
{
    (void)state;
    float *a = tl_shared_floats(2), *ga = tl_shared_floats(2), *b = tl_shared_floats(1), *gb = tl_shared_floats(1);
    a[0] = 1, a[1] = 2, ga[0] = 0.5f, ga[1] = -1, b[0] = 3, gb[0] = 2;
    tl_optim *o;
    assert_int_equal(tl_optim_create(&o, TL_SGD), TL_OK);
    assert_int_equal(tl_optim_add(o, "a", a, ga, 2, 0.1f), TL_OK);
    assert_int_equal(tl_optim_add(o, "b", b, gb, 1, 0.01f), TL_OK);
    assert_int_equal(tl_optim_param_count(o), 3);
    assert_int_equal(tl_optim_step(o), TL_OK);
    float want_a[2] = { 0.95f, 2.1f }, want_b[1] = { 2.98f };
    assert_true(tl_close("a", a, want_a, 2, 1e-6f, 0));
    assert_true(tl_close("b", b, want_b, 1, 1e-6f, 0));
    tl_optim_zero_grad(o);
    assert_true(ga[0] == 0 && ga[1] == 0 && gb[0] == 0);
    tl_optim_destroy(o);
    tl_shared_free(a);
    tl_shared_free(ga);
    tl_shared_free(b);
    tl_shared_free(gb);
}

static void adam_first_step_moves_by_the_rate_against_the_gradient_sign(void **state)
{
    (void)state;
    float *w = tl_shared_floats(3), *g = tl_shared_floats(3);
    g[0] = 1e-3f, g[1] = -5;
    tl_optim *o;
    tl_optim_create(&o, TL_ADAM);
    tl_optim_add(o, "w", w, g, 3, 0.01f);
    tl_optim_step(o);
    float want[3] = { -0.01f, 0.01f, 0 };
    assert_true(tl_close("w after one Adam step", w, want, 3, 1e-5f, 0));
    tl_optim_destroy(o);
    tl_shared_free(w);
    tl_shared_free(g);
}

static void registering_the_same_buffer_twice_is_an_error_naming_both(void **state)
{
    (void)state;
    float *E = tl_shared_floats(8), *dE = tl_shared_floats(8);
    tl_optim *o;
    tl_optim_create(&o, TL_ADAM);
    assert_int_equal(tl_optim_add(o, "embedding.E", E, dE, 8, 0.01f), TL_OK);
    assert_int_equal(tl_optim_add(o, "head.W", E, dE, 8, 0.02f), TL_EDUP);
    assert_true(tl_mentions(tl_last_error(), "head.W"));     /* both names, however quoted */
    assert_true(tl_mentions(tl_last_error(), "embedding.E"));
    /* a slice of a registered buffer is the same memory too */
    assert_int_equal(tl_optim_add(o, "tail", E + 4, dE + 4, 4, 0.01f), TL_EDUP);
    assert_int_equal(tl_optim_param_count(o), 8);
    tl_optim_destroy(o);
    tl_optim_destroy(NULL);
    tl_shared_free(E);
    tl_shared_free(dE);
}

static void bad_arguments_are_errors(void **state)
{
    (void)state;
    float *w = tl_shared_floats(1), *g = tl_shared_floats(1);
    tl_optim *o;
    assert_int_equal(tl_optim_create(&o, (tl_optim_kind)7), TL_EINVAL);
    tl_optim_create(&o, TL_SGD);
    assert_int_equal(tl_optim_add(o, "w", w, g, 1, NAN), TL_EINVAL);
    assert_int_equal(tl_optim_add(o, "w", w, g, 1, -1.0f), TL_EINVAL);
    assert_int_equal(tl_optim_add(o, "w", NULL, g, 1, 0.1f), TL_EINVAL);
    tl_optim_destroy(o);
    tl_shared_free(w);
    tl_shared_free(g);
}

int test_optim(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sgd_moves_each_weight_by_its_groups_rate_times_gradient),
        cmocka_unit_test(adam_first_step_moves_by_the_rate_against_the_gradient_sign),
        cmocka_unit_test(registering_the_same_buffer_twice_is_an_error_naming_both),
        cmocka_unit_test(bad_arguments_are_errors),
    };
    return tl_run_group_tests("optim", tests);
}
