/* probe.c — lab 11: how fast is the workspace's tl_head_forward against a
 * row-by-row reference compiled into this program? Measured twice: at the
 * lab's default size (E is 64 KB and sits in cache) and at GPT-2's vocabulary
 * (V = 50257, d = 128: E is 26 MB). The two kernels alternate, and each
 * figure is a median, so a busy machine slows both alike.
 * Options for the second measurement: --V N --d N --B N --reps N. */
#include "lab.h"

#include <stdio.h>
#include <string.h>

/* Prints one comparison; returns 0, or 1 when something failed. */
static int measure(size_t V, size_t d, size_t B, size_t reps)
{
    float *E = malloc(V * d * sizeof *E), *dE = calloc(V * d, sizeof *dE);
    float *H = malloc(B * d * sizeof *H);
    float *got = malloc(B * V * sizeof *got), *want = malloc(B * V * sizeof *want);
    double *ratio = malloc(reps * sizeof *ratio), *t_ws = malloc(reps * sizeof *t_ws),
           *t_ref = malloc(reps * sizeof *t_ref);
    tl_head head;
    int bad = !E || !dE || !H || !got || !want || !ratio || !t_ws || !t_ref;
    if (bad)
        fprintf(stderr, "probe: out of memory for V=%zu, d=%zu, B=%zu\n", V, d, B);
    if (!bad) {
        tl_rng r;
        tl_rng_seed(&r, 11);
        tl_init_uniform(E, V * d, 0.1f, &r);
        tl_init_uniform(H, B * d, 1.0f, &r);
        bad = tl_head_tie(&head, E, dE, V, d) != TL_OK;
    }
    if (!bad)
        bad = time_alternating(&head, H, E, got, want, B, d, V, reps, t_ws, t_ref) != TL_OK;
    if (bad && E && dE && H && got && want && ratio && t_ws && t_ref)
        fprintf(stderr, "probe: %s\n", tl_last_error());
    if (!bad) {
        double worst = tl_max_abs_diff(got, want, B * V);
        double median = median_ratio(t_ws, t_ref, ratio, reps);
        double flops = 2.0 * (double)B * (double)V * (double)d;
        printf("B=%zu d=%zu V=%zu (E is %.2f MB), median of %zu alternating runs:\n",
               B, d, V, (double)(V * d * sizeof *E) / 1e6, reps);
        printf("  tl_head_forward (yours)  %8.3f ms  %5.2f GFLOP/s\n", 1e3 * t_ws[reps / 2],
               flops / t_ws[reps / 2] / 1e9);
        printf("  row-by-row reference     %8.3f ms  %5.2f GFLOP/s\n", 1e3 * t_ref[reps / 2],
               flops / t_ref[reps / 2] / 1e9);
        printf("  throughput ratio yours/reference: %.2f   max |yours - reference| = %.2g\n",
               median, worst);
        tl_head_free(&head);
    }
    free(E); free(dE); free(H); free(got); free(want);
    free(ratio); free(t_ws); free(t_ref);
    return bad;
}

int main(int argc, char **argv)
{
    size_t V = 50257, d = 128, B = 1, reps = 3;
    for (int i = 1; i < argc; i += 2) {
        size_t *dst = i + 1 >= argc ? NULL : !strcmp(argv[i], "--V") ? &V :
                      !strcmp(argv[i], "--d") ? &d : !strcmp(argv[i], "--B") ? &B :
                      !strcmp(argv[i], "--reps") ? &reps : NULL;
        if (!dst || sscanf(argv[i + 1], "%zu", dst) != 1 || *dst == 0) {
            fprintf(stderr, "usage: probe [--V N] [--d N] [--B N] [--reps N]\n");
            return 2;
        }
    }
    printf("The lab's default size:\n");
    int bad = measure(256, 64, 64, 9);
    printf("A real vocabulary:\n");
    bad |= measure(V, d, B, reps);
    return bad;
}
