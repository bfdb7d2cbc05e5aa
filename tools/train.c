/* train.c — train the tiny tied model on the Markov source and log the loss.
 *
 * The log is CSV `step,loss` behind `# V=… H=…` header lines, so losscheck can
 * compare the curve with its ceiling ln(V) and its floor H. The model's sizes
 * come from tl_config_default() of the library it is linked with (a lab's
 * workspace, usually), overridden only by the options given. The data comes
 * from the grader's copy of data.c (tests/ref.h), never the library's.
 *
 * Built as a judge (tests/judge/): the library runs in its own process, and
 * this program, which writes the log, holds none of its code.
 */
#include "tiedlab.h"
#include "isa_env.h"
#include "ref.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: train [--steps N] [--batch B] [--lr X] [--seed S] [--V V] [--d D]\n"
          "             [--hidden N] [--init-std X] [--softcap C] [--successors K]\n"
          "             [--data-seed S] [--untied] [--sgd] [--head-kernel fast|reference]\n"
          "             [--log FILE] [--every N] [--quiet]\n", f);
}

static int parse_size(const char *opt, const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || end == s) {
        fprintf(stderr, "train: %s needs a whole number, got '%s'\n", opt, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (errno || *end || end == s || !isfinite(v)) {
        fprintf(stderr, "train: %s needs a number, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* keep progress and errors in order */
    tl_config cfg = tl_config_default();
    size_t K = 4, data_seed = 42, every = 50, V = 0, seed = (size_t)cfg.seed;
    const char *log_path = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--untied")) { cfg.tied = 0; continue; }
        if (!strcmp(a, "--sgd")) { cfg.optim = TL_SGD; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!v) {
            fprintf(stderr, "train: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (!strcmp(a, "--steps")) bad = parse_size(a, v, &cfg.steps);
        else if (!strcmp(a, "--batch")) bad = parse_size(a, v, &cfg.batch);
        else if (!strcmp(a, "--lr")) bad = parse_float(a, v, &cfg.lr);
        else if (!strcmp(a, "--seed")) bad = parse_size(a, v, &seed);
        else if (!strcmp(a, "--V")) bad = parse_size(a, v, &V);
        else if (!strcmp(a, "--d")) bad = parse_size(a, v, &cfg.d);
        else if (!strcmp(a, "--hidden")) bad = parse_size(a, v, &cfg.hidden);
        else if (!strcmp(a, "--init-std")) bad = parse_float(a, v, &cfg.init_std);
        else if (!strcmp(a, "--softcap")) bad = parse_float(a, v, &cfg.softcap);
        else if (!strcmp(a, "--successors")) bad = parse_size(a, v, &K);
        else if (!strcmp(a, "--data-seed")) bad = parse_size(a, v, &data_seed);
        else if (!strcmp(a, "--every")) bad = parse_size(a, v, &every);
        else if (!strcmp(a, "--log")) log_path = v;
        else if (!strcmp(a, "--head-kernel")) {
            if (!strcmp(v, "fast")) cfg.head_kernel = TL_HEAD_FAST;
            else if (!strcmp(v, "reference")) cfg.head_kernel = TL_HEAD_REFERENCE;
            else {
                fprintf(stderr, "train: --head-kernel is fast or reference, got '%s'\n", v);
                return 2;
            }
        }
        else {
            fprintf(stderr, "train: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (bad)
            return 2;
        i++;
    }
    cfg.seed = seed;
    if (V) {
        /* --V sets the data's vocabulary; a tied model's E follows it unless the
         * library's default says otherwise */
        size_t extra = cfg.V_in - cfg.V_out;
        cfg.V_out = V;
        cfg.V_in = V + extra;
    }
    if (every == 0)
        every = 1;

    ref_markov *mk = NULL;
    tl_model *m = NULL;
    FILE *logf = NULL;
    int *ids = NULL, *targets = NULL, rc = 1;
    tl_isa_from_env();
    if (ref_tl_markov_create(&mk, cfg.V_out, K, data_seed) != TL_OK) {
        fprintf(stderr, "train: %s\n", ref_tl_last_error());
        goto out;
    }
    tl_err err = tl_model_create(&m, &cfg);
    if (err) {
        fprintf(stderr, "train: %s\n", tl_last_error());
        goto out;
    }
    ids = malloc(cfg.batch * sizeof *ids);
    targets = malloc(cfg.batch * sizeof *targets);
    if (!ids || !targets) {
        fprintf(stderr, "train: out of memory\n");
        goto out;
    }
    if (log_path && !(logf = fopen(log_path, "w"))) {
        fprintf(stderr, "train: cannot write %s: %s\n", log_path, strerror(errno));
        goto out;
    }
    double H = ref_tl_markov_entropy_rate(mk);
    if (logf) {
        fprintf(logf, "# tiedlab train log\n");
        fprintf(logf, "# V=%zu V_in=%zu V_out=%zu H=%.4f d=%zu hidden=%zu init_std=%g softcap=%g lr=%g "
                     "batch=%zu steps=%zu seed=%zu tied=%d head_kernel=%s isa=%s start=init\n",
                cfg.V_out, cfg.V_in, cfg.V_out, H, cfg.d, cfg.hidden, (double)cfg.init_std,
                (double)cfg.softcap, (double)cfg.lr, cfg.batch, cfg.steps, seed, cfg.tied,
                cfg.head_kernel == TL_HEAD_FAST ? "fast" : "reference", tl_isa_name(tl_isa_current()));
        fprintf(logf, "step,loss\n");
    }
    if (!quiet)
        printf("train: V=%zu (E has %zu rows), d=%zu, %zu params; ln(V)=%.3f, floor H=%.3f\n",
               cfg.V_out, m->V, cfg.d, tl_model_param_count(m), log((double)cfg.V_out), H);

    ref_rng rng;
    ref_tl_rng_seed(&rng, seed ^ 0x5eed);   /* the same stream as tests/support.c's tl_train_run */
    ref_tl_markov_start(mk, ids, cfg.batch, &rng);
    for (size_t step = 0; step < cfg.steps; step++) {
        ref_tl_markov_step(mk, targets, ids, cfg.batch, &rng);
        float loss = NAN;
        err = tl_model_train_step(m, &loss, ids, targets, cfg.batch);
        if (logf && (err == TL_OK || err == TL_ENUMERIC)) {
            fprintf(logf, "%zu,%.6f\n", step, (double)loss);
            fflush(logf);
        }
        if (err) {
            fprintf(stderr, "train: step %zu: %s\n", step, tl_last_error());
            goto out;
        }
        if (!quiet && (step % every == 0 || step + 1 == cfg.steps))
            printf("step %4zu  loss %.4f\n", step, (double)loss);
        memcpy(ids, targets, cfg.batch * sizeof *ids);
    }
    rc = 0;
out:
    if (logf)
        fclose(logf);
    free(ids);
    free(targets);
    tl_model_destroy(m);
    ref_tl_markov_destroy(mk);
    return rc;
}
