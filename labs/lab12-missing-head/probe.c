/* probe.c — lab 12: train the default tied model to step 150, save it to
 * safetensors bytes and load them back, as `train --reload-at 150` does.
 * Prints what the file holds (read with the grader's own reader, not the
 * library's), what the loaded model is, and the loss of step 150 for a run
 * that never stopped and for the reloaded one, on the same batch.
 * Options: --at N (the step to reload at; default 150). */
#include "lab.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    size_t at = 150;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--at") && i + 1 < argc) {
            at = (size_t)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: probe [--at N]\n");
            return 2;
        }
    }
    tl_config c = tl_config_default();
    tl_trainer a, r;   /* one never stops; the other is reloaded at step `at` */
    float la = NAN, lr = NAN;
    if (tl_trainer_start(&a, &c, 4) || tl_trainer_start(&r, &c, 4)) {
        fprintf(stderr, "probe: %s\n", tl_last_error());
        return 1;
    }
    for (size_t s = 0; s < at; s++)
        if (tl_trainer_step(&a, &la) || tl_trainer_step(&r, &lr)) {
            fprintf(stderr, "probe: step %zu: %s\n", s, tl_last_error());
            return 1;
        }
    tl_model *m = r.m;
    size_t V = m->V, d = c.d, len = 0;
    printf("before the save (step %zu): %s model, %zu parameters, head.W %s E\n", at,
           m->head.tied ? "tied" : "untied", tl_model_param_count(m), m->head.W == m->E ? "is" : "is not");

    unsigned char *b = save_bytes(m, 0, &len);
    static tl_st st;
    char why[200];
    if (!b || !tl_st_read(&st, b, len, why, sizeof why)) {
        fprintf(stderr, "probe: save: %s\n", b ? why : tl_last_error());
        return 1;
    }
    printf("the file (%zu bytes), as the grader's reader sees it:\n", len);
    for (size_t i = 0; i < st.n; i++)
        if (strncmp(st.t[i].name, "adam.", 5)) {
            if (st.t[i].ndim == 2)
                printf("  %-18s [%zu, %zu]\n", st.t[i].name, st.t[i].shape[0], st.t[i].shape[1]);
            else
                printf("  %-18s [%zu]\n", st.t[i].name, st.t[i].shape[0]);
        }
    printf("  (and adam.m.*, adam.v.* of each)   lm_head.weight: %s\n",
           tl_st_find(&st, "lm_head.weight") ? "present" : "absent");
    const char *tie = tl_st_meta(&st, "tied"), *hf = tl_st_meta(&st, "tie_word_embeddings");
    printf("  __metadata__: tied=%s, tie_word_embeddings=%s\n", tie ? tie : "(absent)", hf ? hf : "(absent)");

    float *E = malloc(V * d * sizeof *E);
    if (!E)
        return 1;
    memcpy(E, m->E, V * d * sizeof *E);
    tl_model *back = NULL;
    tl_err err = tl_model_load_bytes(&back, b, len, "probe.safetensors", NULL);
    free(b);
    if (err) {
        printf("the load fails: %s\n", tl_last_error());
        return 1;
    }
    printf("after the load: %s model, %zu parameters (%+ld), head.W %s E, head.dW %s dE\n",
           back->head.tied ? "tied" : "untied", tl_model_param_count(back),
           (long)tl_model_param_count(back) - (long)tl_model_param_count(m),
           back->head.W == back->E ? "is" : "is not", back->head.dW == back->dE ? "is" : "is not");
    printf("  E: max |loaded - saved| = %.3g, std %.4f\n", tl_max_abs_diff(back->E, E, V * d), tl_std_of(back->E, V * d));
    if (back->head.W != back->E)
        printf("  head.W: std %.4f, max |head.W - E| = %.3g\n", tl_std_of(back->head.W, back->head.V * d),
               tl_max_abs_diff(back->head.W, back->E, back->head.V * d));
    tl_model_destroy(r.m);
    r.m = back;

    if (tl_trainer_step(&a, &la) || tl_trainer_step(&r, &lr)) {
        fprintf(stderr, "probe: step %zu: %s\n", at, tl_last_error());
        return 1;
    }
    printf("step %zu: loss %.3f in the run that never stopped, %.3f after the load (ln %zu = %.3f)\n", at,
           (double)la, (double)lr, V, log((double)V));
    free(E);
    tl_trainer_end(&a, NULL);
    tl_trainer_end(&r, NULL);
    return 0;
}
