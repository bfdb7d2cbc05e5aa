/* probe.c — lab 07: look up token id 256 in a model whose E has 256 rows.
 *
 * `make lab07` runs it under AddressSanitizer. Run it yourself with another id:
 *   build/san-ws/lab07/lab/probe 257
 * The last id is the one that is looked up (default 256 = V), after id 255.
 */
#include "tiedlab.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* print before a sanitizer report ends the run */
    int id = argc > 1 ? atoi(argv[1]) : 256;
    tl_config c = tl_config_default();
    tl_model *m;
    if (tl_model_create(&m, &c) != TL_OK) {
        printf("probe: %s\n", tl_last_error());
        return 2;
    }
    int ids[2] = { 255, id };
    printf("E has V=%zu rows (ids 0..%zu). Looking up ids {255, %d} with tl_model_forward...\n",
           m->V, m->V - 1, id);
    tl_err err = tl_model_forward(m, ids, 2);
    if (err == TL_OK) {
        printf("tl_model_forward returned TL_OK: id %d was accepted and row %d of a %zu-row table was read.\n",
               id, id, m->V);
    } else {
        printf("tl_model_forward refused it: %s\n  %s\n", tl_strerror(err), tl_last_error());
        float *dout = calloc(2 * c.d, sizeof *dout);
        err = dout ? tl_embedding_backward(m->dE, dout, ids, 2, c.d, m->V) : TL_ENOMEM;
        printf("tl_embedding_backward with the same ids: %s\n  %s\n", tl_strerror(err),
               err ? tl_last_error() : "(accepted: it would have added into a row past dE)");
        free(dout);
    }
    tl_model_destroy(m);
    return 0;
}
