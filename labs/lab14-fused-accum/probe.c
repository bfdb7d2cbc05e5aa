/* probe.c — lab 14: where the tied dE's gradient goes when micro-batches are
 * accumulated through the fused head. Two micro-batches of the small tied
 * model (V = 12, d = 6), the first feeding rows 0..5 of E as inputs, the
 * second rows 6..11: each one's own dE, then both after one zero_grad, and
 * finite differences of their summed loss on the rows only the first feeds. */
#include "lab.h"

int main(void)
{
    micro_batches mb = draw_micro_batches(1404);
    tl_config c = small_fused_config(1);
    tl_model *m;
    if (tl_model_create(&m, &c) != TL_OK) {
        printf("probe: %s\n", tl_last_error());
        return 2;
    }
    size_t V = m->V, d = c.d, n = V * d, nw = c.hidden * c.d;
    float *g[2] = { NULL, NULL }, *w1[2] = { NULL, NULL };
    tl_err err = TL_OK;
    for (int k = 0; !err && k < 2; k++) {
        tl_optim_zero_grad(m->opt);
        err = backward_micro_batch(m, &mb, k);
        g[k] = tl_copy_floats(m->dE, n);
        w1[k] = tl_copy_floats(m->dW1, nw);
    }
    if (!err) err = accumulate_two(m, &mb);
    float *sum = malloc(n * sizeof *sum), *wsum = malloc(nw * sizeof *wsum), *fd = malloc(n * sizeof *fd);
    if (err || !sum || !wsum || !fd || !g[1] || !w1[1]) {
        printf("probe: %s\n", err ? tl_last_error() : "out of memory");
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        sum[i] = g[0][i] + g[1][i];
    for (size_t i = 0; i < nw; i++)
        wsum[i] = w1[0][i] + w1[1][i];
    printf("micro-batch 1 feeds rows");
    for (int b = 0; b < TL_SMALL_B; b++)
        printf(" %d", mb.ids[0][b]);
    printf(", micro-batch 2 rows");
    for (int b = 0; b < TL_SMALL_B; b++)
        printf(" %d", mb.ids[1][b]);
    printf("\n|g1| = %.4f, |g2| = %.4f (each micro-batch's own dE, norms over all of E)\n", norm_of(g[0], n),
           norm_of(g[1], n));
    printf("after both, one zero_grad before them:\n");
    printf("  dW1: max |dW1 - (g1 + g2)| = %.3g\n", tl_max_abs_diff(m->dW1, wsum, nw));
    printf("  dE:  max |dE - (g1 + g2)| = %.4f, max |dE - g2| = %.3g\n", tl_max_abs_diff(m->dE, sum, n),
           tl_max_abs_diff(m->dE, g[1], n));
    float *dE = tl_copy_floats(m->dE, n);
    two_batch_fd(fd, m, m->E, n, &mb);
    printf("finite differences of loss1 + loss2, rows fed only by micro-batch 1:\n");
    for (int v = 0; v < (int)V; v++)
        if (is_input(&mb, 0, v))
            printf("  row %2d: |dE row| %.4f, |finite differences| %.4f, worst element off by %.4f\n", v,
                   norm_of(dE + (size_t)v * d, d), norm_of(fd + (size_t)v * d, d),
                   tl_max_abs_diff(dE + (size_t)v * d, fd + (size_t)v * d, d));
    free(dE);
    free(fd);
    free(sum);
    free(wsum);
    for (int k = 0; k < 2; k++) {
        free(g[k]);
        free(w1[k]);
    }
    tl_model_destroy(m);
    return 0;
}
