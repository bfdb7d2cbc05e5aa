/* symptoms.c — lab 10's predictions, asserted on the broken workspace.
 * Each test is one predicted symptom; all of them pass while the bug is there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "lab.h"

/* No model whose logits all lie in [-c, c] beats H + ln(1 + (V-K)/K·e^(-2c)):
 * at best it gives the K successors e^c each and the V-K others e^-c. */
static double capped_bound(double H, double c, double V, double K)
{
    return H + log(1.0 + (V - K) / K * exp(-2.0 * c));
}

/* Prediction 1: the cap is invisible at init; the loss starts at ln(256). */
static void loss_at_init_is_ln_256(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    c.steps = 1;
    float loss;
    assert_int_equal(tl_train_run(&c, 4, &loss, NULL, NULL), TL_OK);
    print_message("loss at step 0: %.3f (ln 256 = %.3f)\n", (double)loss, log(256.0));
    assert_true(fabs((double)loss - log(256.0)) < 0.02 * log(256.0));
}

/* Prediction 2: the loss falls, then stops far above the floor, and it has
 * stopped: the last 100 steps gain almost nothing. */
static void loss_plateaus_far_above_the_floor_H(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float *losses = malloc(c.steps * sizeof *losses);
    double H;
    assert_non_null(losses);
    assert_int_equal(tl_train_run(&c, 4, losses, &H, NULL), TL_OK);
    double mid = tl_mean(losses, c.steps - 130, c.steps - 100), end = tl_mean(losses, c.steps - 30, c.steps);
    free(losses);
    print_message("end loss %.3f (mean of the last 30 steps), 100 steps earlier %.3f; floor H %.3f, "
                  "gap %.3f nats; best any model capped at %.2f can do: >= %.3f\n",
                  end, mid, H, end - H, (double)c.softcap,
                  capped_bound(H, (double)c.softcap, (double)c.V_out, 4.0));
    assert_true(end >= H + 1.0);
    assert_true(fabs(mid - end) < 0.2);
}

/* Prediction 3: after training, every logit is inside [-c, c], and the
 * model presses against the wall: the largest is almost exactly c. */
static void trained_logits_stay_within_the_cap_and_press_against_it(void **state)
{
    (void)state;
    tl_config c = tl_config_default();
    float *losses = malloc(c.steps * sizeof *losses);
    tl_model *m;
    assert_non_null(losses);
    assert_int_equal(tl_train_run(&c, 4, losses, NULL, &m), TL_OK);
    free(losses);
    int ids[256];
    for (int i = 0; i < 256; i++)
        ids[i] = i;
    assert_int_equal(tl_model_forward(m, ids, 256), TL_OK);
    float big;
    double raw;   /* the largest score before the cap, h·E[v] */
    largest_logit_and_score(m->logits, m->h, m->E, 256, c.d, m->V, &big, &raw);
    print_message("max |logit| after %zu steps: %.4f; cap c = %.2f; max |h·E[v]| before the cap: %.2f\n",
                  c.steps, (double)big, (double)c.softcap, raw);
    tl_model_destroy(m);
    assert_true(big <= c.softcap);
    assert_true(big >= 0.95f * c.softcap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_at_init_is_ln_256),
        cmocka_unit_test(loss_plateaus_far_above_the_floor_H),
        cmocka_unit_test(trained_logits_stay_within_the_cap_and_press_against_it),
    };
    return tl_run_tests("lab10 symptoms", tests);
}
