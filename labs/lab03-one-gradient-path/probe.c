/* probe.c — lab 03: the gradient of E, row by row, against finite differences.
 * A small tied model (V=12, d=6, O(1) weights) and one batch in which some rows
 * of E are fed as input, some are only targets, and some are neither. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static double loss_of(tl_model *m)
{
    float loss = NAN;
    if (tl_model_forward(m, ids, B) || tl_model_loss(m, &loss, targets, B))
        return NAN;
    return (double)loss;
}

static double row_norm(const float *r)
{
    double s = 0;
    for (int k = 0; k < D; k++)
        s += (double)r[k] * (double)r[k];
    return sqrt(s);
}

int main(void)
{
    tl_config c = tl_small_config();
    tl_model *m;
    if (tl_model_create(&m, &c)) {
        printf("probe: %s\n", tl_last_error());
        return 1;
    }
    float loss, dE[V * D], fd[V * D];
    if (tl_gradients(m, &loss, ids, targets, B)) {
        printf("probe: %s\n", tl_last_error());
        tl_model_destroy(m);
        return 1;
    }
    memcpy(dE, m->dE, sizeof dE);
    const float eps = 1e-2f;
    for (int i = 0; i < V * D; i++) {
        float keep = m->E[i];
        m->E[i] = keep + eps;
        double lp = loss_of(m);
        m->E[i] = keep - eps;
        double lm = loss_of(m);
        m->E[i] = keep;
        fd[i] = (float)((lp - lm) / (2.0 * (double)eps));
    }
    printf("Gradient of E on one batch (V=%d, d=%d), ids {3,7,3,11,0} -> targets {7,5,3,9,11}:\n", V, D);
    printf("  row  role                 |dE row| (backward)   |dE row| (finite differences)\n");
    const struct { int row; const char *role; } show[] = {
        { 0, "fed as input only" }, { 3, "input and target" },
        { 5, "target only" },       { 1, "neither" },
    };
    for (size_t i = 0; i < sizeof show / sizeof show[0]; i++)
        printf("  %3d  %-20s %10.4f            %10.4f\n", show[i].row, show[i].role,
               row_norm(dE + show[i].row * D), row_norm(fd + show[i].row * D));
    double worst = 0;
    int at = 0;
    for (int i = 0; i < V * D; i++)
        if (fabs((double)dE[i] - (double)fd[i]) > worst) {
            worst = fabs((double)dE[i] - (double)fd[i]);
            at = i;
        }
    printf("  max |backward - finite difference| over E: %.4f (row %d, column %d)\n", worst, at / D, at % D);
    int others = tl_gradcheck_model("dW1", m, m->W1, m->dW1, c.hidden * D, 48, ids, targets, B) &&
                 tl_gradcheck_model("dW2", m, m->W2, m->dW2, D * c.hidden, 48, ids, targets, B) &&
                 tl_gradcheck_model("dg1", m, m->g1, m->dg1, D, D, ids, targets, B) &&
                 tl_gradcheck_model("dg2", m, m->g2, m->dg2, D, D, ids, targets, B);
    printf("  W1, W2, g1, g2 against finite differences: %s\n", others ? "agree" : "DISAGREE");
    tl_model_destroy(m);
    return 0;
}
