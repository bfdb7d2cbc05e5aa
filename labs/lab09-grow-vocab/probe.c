/* probe.c — lab 09: grow a tied model's vocabulary from 256 to 260 tokens
 * (four special tokens), then run one full-batch forward and the loss, with
 * the new ids 259 as an input and 258, 259 as targets.
 *
 * `make lab09` runs it under AddressSanitizer. It prints what it can see with
 * pointer comparisons first, so the lines above a sanitizer report are true. */
#include "tiedlab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* print before a sanitizer report ends the run */
    tl_config c = tl_config_default();
    tl_model *m;
    if (tl_model_create(&m, &c) != TL_OK) {
        printf("probe: %s\n", tl_last_error());
        return 2;
    }
    size_t V_old = m->V;
    tl_err err = tl_model_grow_vocab(m, V_old + 4);
    if (err) {
        printf("tl_model_grow_vocab failed: %s\n", tl_last_error());
        tl_model_destroy(m);
        return 1;
    }
    printf("grew the vocabulary %zu -> %zu: m->V = %zu, head.V = %zu\n", V_old, m->V, m->V, m->head.V);
    printf("  head.W is m->E: %s; head.dW is m->dE: %s\n",
           m->head.W == m->E ? "yes" : "NO", m->head.dW == m->dE ? "yes" : "NO");

    /* a full batch: the activations must hold B_cap rows of the new width */
    size_t B = m->B_cap;
    int *ids = malloc(B * sizeof *ids), *targets = malloc(B * sizeof *targets);
    if (!ids || !targets || B < 2) {
        printf("probe: no batch to run\n");
        return 2;
    }
    for (size_t b = 0; b < B; b++) {
        ids[b] = (int)((b * 37) % V_old);
        targets[b] = (int)((b * 53 + 1) % V_old);
    }
    ids[0] = (int)m->V - 1;
    targets[0] = (int)m->V - 2;
    targets[1] = (int)m->V - 1;
    printf("tl_model_forward on a batch of %zu ids, the first one %d...\n", B, ids[0]);
    err = tl_model_forward(m, ids, B);
    printf("  %s%s%s; the logits have %zu columns\n", tl_strerror(err), err ? ": " : "",
           err ? tl_last_error() : "", m->head.V);
    if (!err) {
        float loss;
        printf("tl_model_loss with targets %d, %d, ...\n", targets[0], targets[1]);
        err = tl_model_loss(m, &loss, targets, B);
        if (err)
            printf("  %s: %s\n", tl_strerror(err), tl_last_error());
        else
            printf("  loss %.3f (ln %zu = %.3f); p(%d) = %.5f, p(%d) = %.5f\n", (double)loss,
                   m->V, log((double)m->V), targets[0], (double)m->probs[targets[0]],
                   targets[1], (double)m->probs[m->head.V + (size_t)targets[1]]);
    }
    free(ids);
    free(targets);
    tl_model_destroy(m);
    return err ? 1 : 0;
}
