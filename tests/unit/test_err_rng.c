/* test_err_rng.c — error strings, the last-error message, and the seeded RNG. */
#include "unit.h"

#include <math.h>
#include <string.h>

static void every_error_code_has_its_own_message(void **state)
{
    (void)state;
    tl_err codes[] = { TL_OK, TL_ESHAPE, TL_ERANGE, TL_EINVAL, TL_ENOMEM, TL_EDUP, TL_ENUMERIC, TL_EFORMAT, TL_EIO };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(tl_strerror(codes[i]), tl_strerror(codes[j]));
    assert_string_equal(tl_strerror((tl_err)99), "unknown error");
}

static void failure_records_a_formatted_message(void **state)
{
    (void)state;
    assert_int_equal(tl_fail(TL_ESHAPE, "f: %d vs %zu", 512, (size_t)256), TL_ESHAPE);
    assert_string_equal(tl_last_error(), "f: 512 vs 256");
}

/* Reference values computed independently from the published splitmix64 steps. */
static void rng_stream_is_splitmix64_on_every_platform(void **state)
{
    (void)state;
    tl_rng r;
    tl_rng_seed(&r, 12345);
    assert_true(tl_rng_next(&r) == 0x22118258a9d111a0ull);
    assert_true(tl_rng_next(&r) == 0x346edce5f713f8edull);
    assert_true(tl_rng_next(&r) == 0x1e9a57bc80e6721dull);
}

static void same_seed_same_numbers_different_seed_different_numbers(void **state)
{
    (void)state;
    tl_rng a, b, c;
    tl_rng_seed(&a, 7);
    tl_rng_seed(&b, 7);
    tl_rng_seed(&c, 8);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        float x = tl_rng_normal(&a), y = tl_rng_normal(&b), z = tl_rng_normal(&c);
        assert_true(x == y);
        differ += x != z;
    }
    assert_true(differ > 990);
}

/* 20 000 draws of each (each draw is a call into the library); every bound is
 * 5 standard errors wide, so a wrong scale or offset of a few percent fails. */
static void uniform_and_normal_draws_have_the_right_moments(void **state)
{
    (void)state;
    tl_rng r;
    tl_rng_seed(&r, 1);
    const int n = 20000;
    double su = 0, sn = 0, sn2 = 0;
    float lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        float u = tl_rng_uniform(&r);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        su += (double)u;
        double z = tl_rng_normal(&r);
        sn += z;
        sn2 += z * z;
    }
    assert_true(lo >= 0.0f && hi < 1.0f);
    assert_true(fabs(su / n - 0.5) < 0.01);            /* sd of the mean: 0.002 */
    assert_true(fabs(sn / n) < 0.035);                 /* 0.007 */
    assert_true(fabs(sqrt(sn2 / n) - 1.0) < 0.025);    /* 0.005 */
}

int test_err_rng(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_error_code_has_its_own_message),
        cmocka_unit_test(failure_records_a_formatted_message),
        cmocka_unit_test(rng_stream_is_splitmix64_on_every_platform),
        cmocka_unit_test(same_seed_same_numbers_different_seed_different_numbers),
        cmocka_unit_test(uniform_and_normal_draws_have_the_right_moments),
    };
    return tl_run_group_tests("err_rng", tests);
}
