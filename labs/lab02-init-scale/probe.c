/* probe.c — lab 02: how big is E, and what does that do to the logits at init?
 * Then the tempting fix, E = 0, measured: its loss and its gradients.
 * Options: --softcap C (0 = off), --untied. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static float max_abs(const float *w, size_t n)
{
    float mx = 0.0f;
    for (size_t i = 0; i < n; i++)
        mx = fmaxf(mx, fabsf(w[i]));
    return mx;
}

/* The tempting fix, measured: E = 0, one forward, loss and backward. */
static int zero_E(tl_config c)
{
    c.init_std = 0.0f;
    c.tied = 1;
    tl_model *m;
    if (tl_model_create(&m, &c)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    for (size_t i = 0; i < m->V * c.d; i++)   /* whatever the library draws */
        m->E[i] = 0.0f;
    enum { B = 64 };
    int ids[B], t[B];
    for (int b = 0; b < B; b++) {
        ids[b] = b * 4;
        t[b] = (b * 4 + 1) % (int)c.V_out;
    }
    float loss = NAN;
    if (tl_gradients(m, &loss, ids, t, B)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        tl_model_destroy(m);
        return 1;
    }
    size_t d = c.d, hid = c.hidden;
    printf("if E were all zeros (the tempting fix):\n");
    printf("  loss at init          %.3f   (exactly ln V)\n", (double)loss);
    printf("  largest |gradient|    dE %g, dW1 %g, dW2 %g, dg1 %g, dg2 %g\n",
           (double)max_abs(m->dE, m->V * d), (double)max_abs(m->dW1, hid * d),
           (double)max_abs(m->dW2, d * hid), (double)max_abs(m->dg1, d),
           (double)max_abs(m->dg2, d));
    tl_model_destroy(m);
    return 0;
}

int main(int argc, char **argv)
{
    tl_config c = tl_config_default();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--untied"))
            c.tied = 0;
        else if (!strcmp(argv[i], "--softcap") && i + 1 < argc)
            c.softcap = strtof(argv[++i], NULL);
        else {
            fprintf(stderr, "usage: probe [--softcap C] [--untied]\n");
            return 2;
        }
    }
    tl_model *m;
    if (tl_model_create(&m, &c)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    enum { B = NB };
    int ids[B];
    spread_ids(ids);
    if (tl_model_forward(m, ids, B)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        tl_model_destroy(m);
        return 1;
    }
    size_t V = m->head.V, d = c.d;
    double own = own_logit_mean(m, ids, B), hn = 0.0;
    for (int b = 0; b < B; b++) {
        double ss = 0.0;
        for (size_t k = 0; k < d; k++)
            ss += (double)m->h[(size_t)b * d + k] * (double)m->h[(size_t)b * d + k];
        hn += sqrt(ss) / B;
    }
    printf("%s model, softcap %g, V=%zu, d=%zu\n", c.tied ? "tied" : "untied",
           (double)c.softcap, V, d);
    printf("  cfg.init_std          %.4f\n", (double)c.init_std);
    printf("  measured std of E     %.4f\n", tl_std_of(m->E, m->V * d));
    printf("  |h| (final RMSNorm)   %.2f   (sqrt(d) = %.2f)\n", hn, sqrt((double)d));
    printf("  std of the logits     %.3f   (healthy: 0.02*sqrt(d) = %.2f)\n",
           tl_std_of(m->logits, B * V), 0.02 * sqrt((double)d));
    printf("  own-token logit       %.2f   (logit of the input id itself, mean over %d ids)\n",
           own, B);
    tl_model_destroy(m);

    float loss;
    if (tl_loss_at_init(&c, 4, &loss) && !isfinite(loss)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    printf("  loss at init          %.3f   (ln V = %.3f: %.2fx)\n", (double)loss,
           log((double)c.V_out), (double)loss / log((double)c.V_out));
    return zero_E(c);
}
