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

/* The empirical mean of -log P(next | cur) over 400 000 transitions is H:
 * 4000 chains, started near the stationary law, 100 steps each. */
static void sampled_text_has_the_stated_entropy_rate(void **state)
{
    (void)state;
    enum { CHAINS = 4000, STEPS = 100 };
    tl_markov *mk;
    tl_markov_create(&mk, 32, 4, 11);
    tl_rng r;
    tl_rng_seed(&r, 5);
    static int cur[CHAINS], nx[CHAINS];
    tl_markov_start(mk, cur, CHAINS, &r);
    double nll = 0;
    for (int s = 0; s < STEPS; s++) {
        tl_markov_step(mk, nx, cur, CHAINS, &r);
        for (size_t b = 0; b < CHAINS; b++) {
            size_t k = 0;
            while (k < 4 && mk->next[(size_t)cur[b] * 4 + k] != nx[b])
                k++;
            assert_true(k < 4);   /* every step goes to one of cur's successors */
            double p = mk->cdf[(size_t)cur[b] * 4 + k] - (k ? mk->cdf[(size_t)cur[b] * 4 + k - 1] : 0.0f);
            nll -= log(p);
            cur[b] = nx[b];
        }
    }
    double H = tl_markov_entropy_rate(mk);
    assert_true(fabs(nll / ((double)CHAINS * STEPS) - H) < 0.01);
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
    assert_true(tl_error_names(tl_last_error(), "tl_markov_create", "4", "5", NULL));
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
    return tl_run_group_tests("data", tests);
}
