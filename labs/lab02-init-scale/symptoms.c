/* symptoms.c — lab 02's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lab.h"

/* The loss of the first batch, before any update. */
static double loss_at_init(tl_config c)
{
    float loss;
    assert_int_equal(tl_loss_at_init(&c, 4, &loss), TL_OK);
    return (double)loss;
}

/* Prediction 1: the loss at init is far above ln(256) = 5.545. The cap of 30
 * bounds every logit, so the loss cannot go much past 30. */
static void loss_at_init_is_over_5x_ln_V(void **state)
{
    (void)state;
    double L = loss_at_init(tl_config_default()), lnV = log(256.0);
    print_message("loss at init %.3f, ln 256 = %.3f: %.2fx\n", L, lnV, L / lnV);
    assert_true(L > 5.0 * lnV);
    assert_true(L < 31.0);
}

/* Prediction 2: E is drawn at std 1, the embedding default, although the
 * config asks for 0.02. */
static void E_has_std_1_while_the_config_says_0_02(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    double s = tl_std_of(m->E, m->V * c.d);
    print_message("std of E %.4f, cfg.init_std %.4f\n", s, (double)c.init_std);
    assert_true(fabs((double)c.init_std - 0.02) < 1e-6);
    assert_true(fabs(s - 1.0) < 0.05);
    tl_model_destroy(m);
}

/* Prediction 3: at init the model is sure the next token repeats the input.
 * h is the normalised E[id] (norm 8 = sqrt(d)), so h·E[id] ≈ 8·|E[id]| ≈ 64,
 * which the cap squeezes to about 29; other logits have std about 8. */
static void input_tokens_own_logit_sits_at_the_cap(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    int ids[NB];
    spread_ids(ids);
    assert_int_equal(tl_model_forward(m, ids, NB), TL_OK);
    double own = own_logit_mean(m, ids, NB);
    double s = tl_std_of(m->logits, NB * m->head.V);
    print_message("mean own-token logit %.2f (cap 30); std of all logits %.2f (0.16 when healthy)\n",
                  own, s);
    assert_true(own > 25.0);
    assert_true(s > 5.0);
    tl_model_destroy(m);
}

/* Prediction 4: the cap was hiding part of it. Without the cap the logits are
 * raw h·Eᵀ and the loss at init is over 10x ln V. */
static void without_the_cap_the_loss_at_init_is_over_10x_ln_V(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.softcap = 0.0f;
    double L = loss_at_init(c), lnV = log(256.0);
    print_message("softcap off: loss at init %.3f = %.1fx ln 256\n", L, L / lnV);
    assert_true(L > 10.0 * lnV);
}

/* Prediction 5: an untied model embeds with the same E but scores with its
 * own W at init_std: it starts at ln V. The std of E only hurts as a head. */
static void untied_model_starts_at_ln_V(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.tied = 0;
    double L = loss_at_init(c), lnV = log(256.0);
    print_message("untied: loss at init %.3f, ln 256 = %.3f\n", L, lnV);
    assert_true(fabs(L - lnV) < 0.02 * lnV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_at_init_is_over_5x_ln_V),
        cmocka_unit_test(E_has_std_1_while_the_config_says_0_02),
        cmocka_unit_test(input_tokens_own_logit_sits_at_the_cap),
        cmocka_unit_test(without_the_cap_the_loss_at_init_is_over_10x_ln_V),
        cmocka_unit_test(untied_model_starts_at_ln_V),
    };
    return tl_run_tests("lab02 symptoms", tests);
}
