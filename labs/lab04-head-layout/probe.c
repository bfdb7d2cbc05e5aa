/* probe.c — lab 04: do the head's logits equal H · Eᵀ, with E read as [V, d]?
 *
 *   build/ws/lab04/lab/probe [--V N] [--d N]    (defaults: the model's, 256 and 64)
 *
 * Builds a tied model of that shape (soft-cap off, so the logits are the raw
 * head output), runs one forward pass and compares the logits with H · Eᵀ
 * computed here in double precision. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v == 0 || v > 4096)
        return 0;
    *out = (size_t)v;
    return 1;
}

int main(int argc, char **argv)
{
    tl_config c = tl_config_default();
    c.head_kernel = TL_HEAD_REFERENCE;   /* the model runs the head loop this lab breaks */
    size_t V = c.V_in, d = c.d, B = NB;
    for (int i = 1; i < argc; i++) {
        size_t *dst = !strcmp(argv[i], "--V") ? &V : !strcmp(argv[i], "--d") ? &d : NULL;
        if (!dst || i + 1 >= argc || !parse_size(argv[i + 1], dst)) {
            fprintf(stderr, "usage: probe [--V N] [--d N]   (1..4096; defaults V=256, d=64)\n");
            return 2;
        }
        i++;
    }
    c = raw_config(V, d);   /* soft-cap off: compare the raw H · Eᵀ */
    tl_model *m;
    if (tl_model_create(&m, &c)) {
        printf("probe: %s\n", tl_last_error());
        return 1;
    }
    int ids[NB];
    spread_ids(ids, V);
    tl_err err = tl_model_forward(m, ids, B);
    if (err) {
        printf("probe: tl_model_forward returned %s: %s\n", tl_strerror(err), tl_last_error());
        tl_model_destroy(m);
        return 1;
    }
    double worst = 0, scale = 0;
    size_t at = 0;
    for (size_t b = 0; b < B; b++)
        for (size_t v = 0; v < V; v++) {
            double want = tl_fresh_logit(m->h + b * d, m->E + v * d, d, 0.0f);   /* row v of E[V, d] */
            double diff = fabs((double)m->logits[b * V + v] - want);
            scale = fabs(want) > scale ? fabs(want) : scale;
            if (diff > worst) {
                worst = diff;
                at = b * V + v;
            }
        }
    printf("Head of a tied model with V=%zu, d=%zu (E is [%zu, %zu]); forward returned %s.\n",
           V, d, V, d, tl_strerror(err));
    printf("  max |logits - H·Eᵀ| = %.4f over %zu x %zu logits", worst, B, V);
    if (worst > 0)
        printf(" (worst: batch row %zu, token %zu)", at / V, at % V);
    printf("\n");
    printf("  largest |H·Eᵀ|      = %.4f\n", scale);
    printf("  %s\n", worst <= 1e-4 * (1.0 + scale) ? "the logits are H·Eᵀ" : "the logits are NOT H·Eᵀ");
    printf("Other shapes: %s --V 64 --d 64   (or any V, d up to 4096)\n", argv[0]);
    tl_model_destroy(m);
    return 0;
}
