/* probe.c — lab 13: what an untied checkpoint holds, and what the loader
 * makes of it. Trains the default config untied for 150 steps on train's
 * data (as train --untied --reload-at 150 does before its reload), saves it
 * in memory, reads the file with the grader's own reader, then loads it
 * with the workspace's library and scores step 150's batch with both. */
#include "lab.h"

enum { AT = 150 };

int main(void)
{
    tl_config c = lab_config(0);
    tl_trainer t;
    float loss = NAN, before = NAN, after = NAN;
    tl_err err = tl_trainer_start(&t, &c, 4);
    for (size_t s = 0; !err && s < AT; s++)
        err = tl_trainer_step(&t, &loss);
    if (err) {
        printf("probe: training failed: %s\n", tl_last_error());
        return 2;
    }
    tl_model *m = t.m;
    size_t V = m->V, d = c.d, B = t.B, len = 0;
    int *targets = malloc(B * sizeof *targets);
    /* with the two lines train adds to its checkpoints (train.c) */
    unsigned char *bytes = checkpoint_with(m, 0, "data_seed=42\nsuccessors=4\n", &len);
    if (!targets || !bytes) {
        printf("probe: %s\n", bytes ? "out of memory" : tl_last_error());
        return 2;
    }
    ref_tl_markov_step(t.mk, targets, t.ids, B, &t.rng);   /* step 150's batch, as train draws it */
    printf("an untied model after %d steps: %zu params, head.W %s E, max |head.W - E| = %.3f\n", AT,
           tl_model_param_count(m), m->head.W == m->E ? "is" : "is not", tl_max_abs_diff(m->head.W, m->E, V * d));

    tl_st st;
    char why[200];
    if (!tl_st_read(&st, bytes, len, why, sizeof why)) {
        printf("probe: the checkpoint is not safetensors: %s\n", why);
        return 2;
    }
    const tl_st_tensor *h = tl_st_find(&st, "lm_head.weight");
    printf("its checkpoint (%zu bytes, read with the grader's reader): tied=%s, %zu tensors, ", len,
           tl_st_meta(&st, "tied") ? tl_st_meta(&st, "tied") : "(none)", st.n);
    if (h && h->ndim == 2)
        printf("lm_head.weight [%zu, %zu] among them\n", h->shape[0], h->shape[1]);
    else
        printf("no lm_head.weight\n");

    err = batch_loss(m, &before, t.ids, targets, B);
    float *logits = err ? NULL : tl_copy_floats(m->logits, B * m->head.V);
    tl_model *back = NULL;
    if (!err) err = tl_model_load_bytes(&back, bytes, len, "the checkpoint", NULL);
    if (err) {
        printf("tl_model_load_bytes: %s: %s\n", tl_strerror(err), tl_last_error());
        return 1;
    }
    printf("tl_model_load_bytes: ok\n");
    printf("  the loaded model: head %s, head.W %s E, %zu params (%zu before the save)\n",
           back->head.tied ? "TIED" : "untied", back->head.W == back->E ? "IS" : "is not",
           tl_model_param_count(back), tl_model_param_count(m));
    if (back->head.tied)
        printf("  the file's lm_head.weight and its two Adam moments were not read into anything\n");
    err = batch_loss(back, &after, t.ids, targets, B);
    if (!err && logits)
        printf("  step %d's batch: loss %.3f before the save, %.3f after the load (ln %zu = %.3f);\n"
               "  max |logit after - logit before| = %.3f\n",
               AT, (double)before, (double)after, V, log((double)V), tl_max_abs_diff(back->logits, logits, B * V));
    free(logits);
    free(bytes);
    free(targets);
    tl_model_destroy(back);
    tl_trainer_end(&t, NULL);
    return err ? 1 : 0;
}
