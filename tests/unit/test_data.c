/* test_data.c — the Markov source: valid transitions and a correct entropy rate. */
#include "unit.h"

#include <math.h>
#include <stdlib.h>

static void transitions_are_distinct_and_the_cdf_ends_at_one(void **state)
{
    (void)state;
    tl_markov *mk;
    assert_int_equal(tl_markov_create(&mk, 64, 4, 3), TL_OK);
    for (size_t v = 0; v < 64; v++) {
        for (size_t i = 0; i < 4; i++) {
            assert_true(mk->next[v * 4 + i] >= 0 && mk->next[v * 4 + i] < 64);
            for (size_t j = i + 1; j < 4; j++)
                assert_int_not_equal(mk->next[v * 4 + i], mk->next[v * 4 + j]);
            if (i)
                assert_true(mk->cdf[v * 4 + i] >= mk->cdf[v * 4 + i - 1]);
        }
        assert_true(mk->cdf[v * 4 + 3] == 1.0f);
    }
    double H = tl_markov_entropy_rate(mk);
    assert_true(H > 0.1 && H < log(4.0));
    tl_markov_destroy(mk);
    tl_markov_destroy(NULL);
}

/* The empirical mean of -log P(next | cur) along a long sample is H. */
static void sampled_text_has_the_stated_entropy_rate(void **state)
{
    (void)state;
    tl_markov *mk;
    tl_markov_create(&mk, 32, 4, 11);
    tl_rng r;
    tl_rng_seed(&r, 5);
    int cur;
    tl_markov_start(mk, &cur, 1, &r);
    double nll = 0;
    const int n = 400000;
    for (int i = 0; i < n; i++) {
        int nx = tl_markov_next(mk, cur, &r);
        size_t k = 0;
        while (mk->next[(size_t)cur * 4 + k] != nx)
            k++;
        double p = mk->cdf[(size_t)cur * 4 + k] - (k ? mk->cdf[(size_t)cur * 4 + k - 1] : 0.0f);
        nll -= log(p);
        cur = nx;
    }
    double H = tl_markov_entropy_rate(mk);
    assert_true(fabs(nll / n - H) < 0.01);
    tl_markov_destroy(mk);
}

static void same_seed_same_source(void **state)
{
    (void)state;
    tl_markov *a, *b;
    tl_markov_create(&a, 50, 3, 99);
    tl_markov_create(&b, 50, 3, 99);
    for (size_t i = 0; i < 150; i++)
        assert_int_equal(a->next[i], b->next[i]);
    assert_true(a->H == b->H);
    tl_markov_destroy(a);
    tl_markov_destroy(b);
}

static void impossible_sizes_are_errors(void **state)
{
    (void)state;
    tl_markov *mk;
    assert_int_equal(tl_markov_create(&mk, 4, 5, 1), TL_EINVAL);
    assert_true(tl_mentions(tl_last_error(), "V=4, K=5"));
    assert_int_equal(tl_markov_create(&mk, 1, 1, 1), TL_EINVAL);
}

int test_data(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transitions_are_distinct_and_the_cdf_ends_at_one),
        cmocka_unit_test(sampled_text_has_the_stated_entropy_rate),
        cmocka_unit_test(same_seed_same_source),
        cmocka_unit_test(impossible_sizes_are_errors),
    };
    return cmocka_run_group_tests_name("data", tests, NULL, NULL);
}
