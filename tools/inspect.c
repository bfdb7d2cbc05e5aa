/* inspect.c — what a checkpoint holds: `make inspect CKPT=file`.
 *
 * Lists the tensors (name, dtype, shape, bytes) as the grader's own reader
 * finds them (tests/safetensors.h), says whether the model is tied and what
 * tying saves, and then loads the file with the library (tl_model_load) to
 * say whether it loads, and if not, why. An untied file's head is compared
 * with its embedding: a copy of E is a tie saved twice, anything else is a
 * head of its own.
 *
 *   inspect FILE        exit 0: it loads; 1: it does not; 2: not safetensors
 */
#include "tiedlab.h"
#include "safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1234567 as "1,234,567" */
static const char *grouped(size_t n)
{
    static char ring[8][32];
    static unsigned k;
    char digits[24], *out = ring[k++ % 8];
    int len = snprintf(digits, sizeof digits, "%zu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

static const char *meta_or(const tl_st *st, const char *key, const char *dflt)
{
    const char *v = tl_st_meta(st, key);
    return v ? v : dflt;
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: inspect FILE.safetensors\n");
        return 2;
    }
    const char *path = argv[1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "inspect: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap);
    while (b && (len += fread(b + len, 1, cap - len, f)) == cap) {
        unsigned char *nb = realloc(b, 2 * cap);
        if (!nb)
            free(b);
        b = nb;
        cap *= 2;
    }
    fclose(f);
    if (!b) {
        fprintf(stderr, "inspect: %s: out of memory\n", path);
        return 2;
    }
    static tl_st st;
    char why[256];
    if (!tl_st_read(&st, b, len, why, sizeof why)) {
        fprintf(stderr, "inspect: %s is not a safetensors file: %s\n", path, why);
        free(b);
        return 2;
    }

    printf("%s: safetensors, %s bytes (header %s), format %s version %s, step %s\n", path, grouped(len),
           grouped(st.header_len), meta_or(&st, "format", "(none)"), meta_or(&st, "version", "?"),
           meta_or(&st, "step", "?"));
    const char *tied = tl_st_meta(&st, "tied");
    printf("model: %s, V_in=%s, V_out=%s, d=%s, hidden=%s, optim %s, lr %s\n",
           !tied ? "tied or not: the metadata does not say" : !strcmp(tied, "1") ? "tied (the head is embed.weight)"
                                                                              : "untied (the head is lm_head.weight)",
           meta_or(&st, "V_in", "?"), meta_or(&st, "V_out", "?"), meta_or(&st, "d", "?"),
           meta_or(&st, "hidden", "?"), meta_or(&st, "optim", "?"), meta_or(&st, "lr", "?"));
    printf("  %-28s %-5s %-12s %12s\n", "tensor", "dtype", "shape", "bytes");
    size_t weights = 0, moments = 0;
    for (size_t i = 0; i < st.n; i++) {
        const tl_st_tensor *t = &st.t[i];
        char shape[64] = "[";
        for (size_t k = 0, o = 1; k < t->ndim && o < 48; k++)
            o += (size_t)snprintf(shape + o, sizeof shape - o, "%s%zu", k ? ", " : "", t->shape[k]);
        strcat(shape, "]");
        printf("  %-28s %-5s %-12s %12s\n", t->name, t->dtype, shape, grouped(t->end - t->begin));
        if (!strncmp(t->name, "adam.", 5))
            moments += t->end - t->begin;
        else
            weights += t->end - t->begin;
    }
    printf("weights %s bytes, Adam's moments %s bytes\n", grouped(weights), grouped(moments));

    const tl_st_tensor *E = tl_st_find(&st, "embed.weight"), *W = tl_st_find(&st, "lm_head.weight");
    if (E && !W) {
        size_t head = E->end - E->begin;
        printf("tying saves %s bytes in this file (E is stored once, no lm_head.weight)%s%s%s\n", grouped(head),
               moments ? ", " : "", moments ? grouped(3 * head) : "", moments ? " with Adam's moments" : "");
    } else if (E && W) {
        size_t n = tl_st_numel(W);
        double worst = -1;
        if (tl_st_numel(E) == n && E->end - E->begin == W->end - W->begin) {
            float *e = malloc(n * sizeof *e), *w = malloc(n * sizeof *w);
            if (e && w) {
                tl_st_floats(e, &st, E);
                tl_st_floats(w, &st, W);
                worst = 0;
                for (size_t i = 0; i < n; i++)
                    worst = fmax(worst, fabs((double)e[i] - (double)w[i]));
            }
            free(e);
            free(w);
        }
        if (worst == 0)
            printf("lm_head.weight is a copy of embed.weight: a tie saved twice (%s bytes tying would save)\n",
                   grouped(W->end - W->begin));
        else if (worst > 0)
            printf("lm_head.weight differs from embed.weight (largest difference %.3g): a head of its own; "
                   "tying this model would throw it away\n", worst);
        else
            printf("lm_head.weight has another shape than embed.weight: a head of its own\n");
    }

    tl_model *m = NULL;
    if (tl_model_load(&m, path, NULL)) {
        printf("does not load: %s\n", tl_last_error());
        free(b);
        return 1;
    }
    printf("loads: %s model, %s parameters, head %s E", m->head.tied ? "tied" : "untied",
           grouped(tl_model_param_count(m)), m->head.W == m->E ? "reads" : "does not read");
    if (m->head.tied)
        printf("; in training memory tying saves %s bytes (a head matrix and its gradient)",
               grouped(tl_head_bytes_saved_by_tying(&m->head)));
    printf("\n");
    tl_model_destroy(m);
    free(b);
    return 0;
}
