/* symptoms.c — lab 05's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

/* Prediction 1: the optimizer holds E's V·d floats twice, so the model
 * reports V·d more parameters than a tied model has. */
static void param_count_holds_E_twice(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    tl_model *m;
    assert_int_equal(tl_model_create(&m, &c), TL_OK);
    size_t Vd = m->V * c.d, truth = tl_tied_param_count(&c, m->V);
    print_message("param count %zu; tied truth V*d + 2d + 2*hidden*d = %zu; V*d = %zu\n",
                  tl_model_param_count(m), truth, Vd);
    assert_int_equal(tl_model_param_count(m), truth + Vd);
    tl_model_destroy(m);
}

/* Prediction 2: with plain SGD one step moves E by 2·lr·dE, not lr·dE. */
static void one_sgd_step_moves_E_by_twice_lr_times_its_gradient(void **state)
{
    (void)state;
    double gg, times;
    int close = sgd_step_moves_E_by(2.0f, "E0 - E1 vs 2*lr*dE", &gg, &times);
    print_message("one SGD step moved E by %.4f x lr*dE (a tied E moves by 1 x)\n", times);
    assert_true(gg > 0.0);
    assert_true(close);
}

/* Prediction 3: the optimizer takes the same buffer again when it comes
 * under another name. */
static void optimizer_accepts_E_again_as_head_W(void **state)
{
    (void)state;
    float *E = tl_shared_floats(8), *dE = tl_shared_floats(8);   /* the optimizer keeps them */
    tl_optim *o;
    assert_int_equal(tl_optim_create(&o, TL_SGD), TL_OK);
    assert_int_equal(tl_optim_add(o, "E", E, dE, 8, 0.01f), TL_OK);
    assert_int_equal(tl_optim_add(o, "head.W", E, dE, 8, 0.01f), TL_OK);
    print_message("E registered twice: the optimizer now steps %zu floats for 8\n",
                  tl_optim_param_count(o));
    assert_int_equal(tl_optim_param_count(o), 16);
    tl_optim_destroy(o);
}

/* Prediction 4: at SGD lr 3, which the tied reference trains at, E moves at
 * an effective rate of 6 and the loss leaves ln(256) upward within ten
 * steps and never comes back down. */
static void sgd_at_lr_3_blows_up_and_never_learns(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.optim = TL_SGD;
    c.lr = 3.0f;
    float losses[300];
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, NULL), TL_OK);
    size_t worst = 0;
    for (size_t s = 0; s < 300; s++)
        if (losses[s] > losses[worst])
            worst = s;
    double end = tl_mean(losses, 270, 300);
    print_message("SGD lr 3: loss %.3f at step 0, %.3f at step %zu, mean of the last 30 steps %.3f "
                  "(ln 256 = %.3f)\n", (double)losses[0], (double)losses[worst], worst, end, log(256.0));
    assert_true((double)losses[worst] > 3.0 * log(256.0));
    assert_true(worst < 20);
    assert_true(end > 0.8 * log(256.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(param_count_holds_E_twice),
        cmocka_unit_test(one_sgd_step_moves_E_by_twice_lr_times_its_gradient),
        cmocka_unit_test(optimizer_accepts_E_again_as_head_W),
        cmocka_unit_test(sgd_at_lr_3_blows_up_and_never_learns),
    };
    return tl_run_tests("lab05 symptoms", tests);
}
