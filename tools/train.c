/* train.c — train the tiny tied model on the Markov source and log the loss.
 *
 * The log is CSV `step,loss` behind `# V=… H=…` header lines, so losscheck can
 * compare the curve with its ceiling ln(V) and its floor H. The model's sizes
 * come from tl_config_default() of the library it is linked with (a lab's
 * workspace, usually), overridden only by the options given. The data comes
 * from the grader's copy of data.c (tests/ref.h), never the library's.
 *
 * Checkpoints (safetensors, lib/checkpoint.c): --save writes one at the end
 * (and every N steps with --save-every N), --resume goes on from one: the
 * model and its optimizer from the file, the data stream replayed to the
 * file's step, so a resumed run gives the losses of one that never stopped.
 * --reload-at N saves and loads the model at step N in memory: a resume in
 * one run. The log says where a run resumed (resumed_at=N), so losscheck
 * can see a jump there.
 *
 * --accum N: each optimizer step takes the gradients of N batches, one after
 * the other, added into the same buffers (a tied E's dE among them), as a
 * framework's gradient accumulation does; the loss logged is their mean.
 *
 * Built as a judge (tests/judge/): the library runs in its own process, and
 * this program, which writes the log, holds none of its code.
 */
#include "tiedlab.h"
#include "isa_env.h"
#include "judge/judge.h"
#include "ref.h"
#include "safetensors.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: train [--steps N] [--batch B] [--lr X] [--seed S] [--V V] [--d D]\n"
          "             [--hidden N] [--init-std X] [--softcap C] [--successors K]\n"
          "             [--data-seed S] [--untied] [--sgd] [--head-kernel fast|reference|fused]\n"
          "             [--accum N] [--log FILE] [--every N] [--quiet]\n"
          "             [--save FILE] [--save-every N] [--resume FILE] [--reload-at N]\n"
          "             [--tensor-sums]\n"
          "--steps N trains until step N (a resumed run counts the checkpoint's steps);\n"
          "--resume takes the model, its optimizer and the data from the file, so it\n"
          "takes none of the options that set them.\n", f);
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

/* The whole of a file, malloc'd; NULL (with a message) when it cannot be read. */
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "train: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *nb = cap > ((size_t)1 << 34) ? NULL : realloc(b, 2 * cap);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        fprintf(stderr, "train: cannot read %s%s\n", path, b ? "" : ": out of memory");
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

/* A size from the checkpoint's metadata that train needs (read here, not by
 * the library: the data stream is the grader's). */
static int meta_size(const tl_st *st, const char *path, const char *key, size_t *out)
{
    const char *v = tl_st_meta(st, key);
    char *end;
    errno = 0;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || v[0] == '-') {
        fprintf(stderr, "train: %s has no %s in its metadata%s\n", path, key,
                strcmp(key, "data_seed") && strcmp(key, "successors") ? ""
                : ": it was not saved by train, so its data cannot be resumed");
        return -1;
    }
    *out = (size_t)x;
    return 0;
}

/* One optimizer step over n batches of B rows, their gradients added into
 * the same buffers; the chains go on from batch to batch (ids holds the last
 * batch's inputs, targets its targets). *loss: the batches' mean loss. */
static tl_err accumulated_step(tl_model *m, float *loss, const ref_markov *mk, int *ids, int *targets,
                               size_t B, size_t n, ref_rng *rng)
{
    double sum = 0.0;
    tl_err err = TL_OK;
    tl_optim_zero_grad(m->opt);
    for (size_t k = 0; !err && k < n; k++) {
        if (k > 0)
            memcpy(ids, targets, B * sizeof *ids);
        ref_tl_markov_step(mk, targets, ids, B, rng);
        float l = NAN;
        err = tl_model_forward(m, ids, B);
        if (!err) err = tl_model_loss(m, &l, targets, B);
        if (!err) err = tl_model_backward(m, targets, B);
        sum += (double)l;
    }
    *loss = (float)(sum / (double)n);
    return err ? err : tl_optim_step(m->opt);
}

/* One line per weight of the model as it is in memory, under the name the
 * checkpoint format gives it: shape, the sum of the floats' bit patterns
 * modulo 2^32 (exact, in any order), their sum, the first and the last. A
 * reader of the file (tests/read_checkpoint.py) prints the same lines. */
static void print_tensor_sums(const tl_model *m)
{
    size_t V = m->V, d = m->cfg.d, hid = m->cfg.hidden;
    const struct { const char *name; const float *w; size_t r, c; } t[] = {
        { "embed.weight", m->E, V, d }, { "block.norm.weight", m->g1, d, 0 },
        { "block.up.weight", m->W1, hid, d }, { "block.down.weight", m->W2, d, hid },
        { "norm.weight", m->g2, d, 0 }, { "lm_head.weight", m->head.W, m->head.V, d },
    };
    for (size_t i = 0; i < 6; i++) {
        if (i == 5 && m->head.tied)
            break;
        size_t n = t[i].c ? t[i].r * t[i].c : t[i].r;
        uint32_t bits = 0;
        double sum = 0;
        for (size_t k = 0; k < n; k++) {
            uint32_t u;
            memcpy(&u, &t[i].w[k], 4);
            bits += u;
            sum += (double)t[i].w[k];
        }
        char shape[48];
        if (t[i].c)
            snprintf(shape, sizeof shape, "[%zu,%zu]", t[i].r, t[i].c);
        else
            snprintf(shape, sizeof shape, "[%zu]", t[i].r);
        printf("tensor %s F32 %s bits=%u sum=%.6e first=%.9g last=%.9g\n", t[i].name, shape, (unsigned)bits, sum,
               (double)t[i].w[0], (double)t[i].w[n - 1]);
    }
}

/* The last step of a log train wrote, or -1 when it has none. */
static long last_logged_step(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    long last = -1;
    while (f && fgets(line, sizeof line, f)) {
        char *end;
        long v = strtol(line, &end, 10);
        if (end != line && *end == ',')
            last = v;
    }
    if (f)
        fclose(f);
    return last;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);   /* keep progress and errors in order */
    tl_config cfg = tl_config_default();
    size_t K = 4, data_seed = 42, every = 50, V = 0, seed = (size_t)cfg.seed, save_every = 0, reload_at = 0, accum = 1;
    const char *log_path = NULL, *save_path = NULL, *resume_path = NULL, *fixed_by = NULL;
    int quiet = 0, steps_given = 0, reload = 0, sums = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        /* the options a resumed run takes from its checkpoint */
        static const char *const model_opts[] = {
            "--untied", "--sgd", "--batch", "--lr", "--seed", "--V", "--d", "--hidden", "--init-std",
            "--softcap", "--successors", "--data-seed", "--head-kernel", "--accum",
        };
        for (size_t k = 0; k < sizeof model_opts / sizeof model_opts[0]; k++)
            if (!strcmp(a, model_opts[k]))
                fixed_by = model_opts[k];
        if (!strcmp(a, "--untied")) { cfg.tied = 0; continue; }
        if (!strcmp(a, "--sgd")) { cfg.optim = TL_SGD; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (!strcmp(a, "--tensor-sums")) { sums = 1; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!v) {
            fprintf(stderr, "train: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (!strcmp(a, "--steps")) { bad = parse_size(a, v, &cfg.steps); steps_given = 1; }
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
        else if (!strcmp(a, "--save")) save_path = v;
        else if (!strcmp(a, "--save-every")) bad = parse_size(a, v, &save_every);
        else if (!strcmp(a, "--resume")) resume_path = v;
        else if (!strcmp(a, "--reload-at")) { bad = parse_size(a, v, &reload_at); reload = 1; }
        else if (!strcmp(a, "--accum")) bad = parse_size(a, v, &accum);
        else if (!strcmp(a, "--head-kernel")) {
            if (!strcmp(v, "fast")) cfg.head_kernel = TL_HEAD_FAST;
            else if (!strcmp(v, "reference")) cfg.head_kernel = TL_HEAD_REFERENCE;
            else if (!strcmp(v, "fused")) cfg.head_kernel = TL_HEAD_FUSED;
            else {
                fprintf(stderr, "train: --head-kernel is fast, reference or fused, got '%s'\n", v);
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
    if (resume_path && fixed_by) {
        fprintf(stderr, "train: %s comes from the checkpoint when resuming (%s); leave it out\n",
                fixed_by, resume_path);
        return 2;
    }
    if (accum == 0 || accum > 1024) {
        fprintf(stderr, "train: --accum is a number of batches from 1 to 1024, got %zu\n", accum);
        return 2;
    }
    if (save_every && !save_path) {
        fprintf(stderr, "train: --save-every needs --save FILE\n");
        return 2;
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
    unsigned char *ck = NULL;
    size_t first = 0;   /* the step a resumed run starts at */
    tl_isa_from_env();
    tl_err err;
    if (resume_path) {
        /* the model from the library; the data's sizes from the file, read here */
        size_t len = 0, V_out = 0, batch = 0, file_seed = 0, step = 0;
        tl_st st;
        char why[256];
        if (!(ck = read_file(resume_path, &len)))
            goto out;
        if (!tl_st_read(&st, ck, len, why, sizeof why)) {
            fprintf(stderr, "train: %s is not a checkpoint: %s\n", resume_path, why);
            goto out;
        }
        if (meta_size(&st, resume_path, "V_out", &V_out) || meta_size(&st, resume_path, "batch", &batch) ||
            meta_size(&st, resume_path, "seed", &file_seed) || meta_size(&st, resume_path, "step", &step) ||
            meta_size(&st, resume_path, "data_seed", &data_seed) || meta_size(&st, resume_path, "successors", &K))
            goto out;
        if (tl_st_meta(&st, "accum") && meta_size(&st, resume_path, "accum", &accum))   /* 1 when absent */
            goto out;
        err = tl_model_load_bytes(&m, ck, len, resume_path, NULL);
        if (err) {
            fprintf(stderr, "train: %s\n", tl_last_error());
            goto out;
        }
        size_t target = steps_given ? cfg.steps : m->cfg.steps;
        cfg = m->cfg;   /* what the model was made with, for the log's header */
        cfg.V_out = V_out;
        cfg.batch = batch;
        cfg.seed = file_seed;
        cfg.steps = target;
        seed = file_seed;
        first = step;
        if (cfg.steps <= first) {
            fprintf(stderr, "train: %s is at step %zu already; --steps N goes on to step N\n", resume_path, first);
            goto out;
        }
    }
    if (reload && (reload_at == 0 || reload_at <= first || reload_at >= cfg.steps)) {
        fprintf(stderr, "train: --reload-at %zu must be a step after the start (%zu) and before --steps (%zu)\n",
                reload_at, first, cfg.steps);
        goto out;
    }
    if (ref_tl_markov_create(&mk, cfg.V_out, K, data_seed) != TL_OK) {
        fprintf(stderr, "train: %s\n", ref_tl_last_error());
        goto out;
    }
    if (!m && (err = tl_model_create(&m, &cfg))) {
        fprintf(stderr, "train: %s\n", tl_last_error());
        goto out;
    }
    ids = malloc(cfg.batch * sizeof *ids);
    targets = malloc(cfg.batch * sizeof *targets);
    if (!ids || !targets) {
        fprintf(stderr, "train: out of memory\n");
        goto out;
    }
    double H = ref_tl_markov_entropy_rate(mk);
    if (log_path) {
        /* a resumed run goes on in the log of the run it resumes */
        long last = resume_path ? last_logged_step(log_path) : -1;
        if (last >= (long)first) {
            fprintf(stderr, "train: %s already has steps up to %ld, the checkpoint is at step %zu: "
                    "give another --log\n", log_path, last, first);
            goto out;
        }
        if (!(logf = fopen(log_path, last >= 0 ? "a" : "w"))) {
            fprintf(stderr, "train: cannot write %s: %s\n", log_path, strerror(errno));
            goto out;
        }
        if (last >= 0) {
            fprintf(logf, "# resumed_at=%zu from %s\n", first, resume_path);
        } else {
            fprintf(logf, "# tiedlab train log\n");
            fprintf(logf, "# V=%zu V_in=%zu V_out=%zu H=%.4f d=%zu hidden=%zu init_std=%g softcap=%g lr=%g "
                          "batch=%zu steps=%zu seed=%zu tied=%d head_kernel=%s isa=%s start=%s",
                    cfg.V_out, cfg.V_in, cfg.V_out, H, cfg.d, cfg.hidden, (double)cfg.init_std,
                    (double)cfg.softcap, (double)cfg.lr, cfg.batch, cfg.steps, seed, cfg.tied,
                    cfg.head_kernel == TL_HEAD_FAST ? "fast" : cfg.head_kernel == TL_HEAD_FUSED ? "fused" : "reference",
                    tl_isa_name(tl_isa_current()), resume_path ? "resume" : "init");
            if (accum > 1)
                fprintf(logf, " accum=%zu", accum);
            if (resume_path)
                fprintf(logf, " resumed_at=%zu", first);
            if (reload)
                fprintf(logf, " resumed_at=%zu", reload_at);
            fprintf(logf, "\nstep,loss\n");
        }
    }
    if (!quiet)
        printf("train: V=%zu (E has %zu rows), d=%zu, %zu params; ln(V)=%.3f, floor H=%.3f%s\n",
               cfg.V_out, m->V, cfg.d, tl_model_param_count(m), log((double)cfg.V_out), H,
               resume_path ? "; resumed" : "");
    if (resume_path && !quiet)
        printf("train: resumed %s at step %zu\n", resume_path, first);

    char meta[128];
    snprintf(meta, sizeof meta, "data_seed=%zu\nsuccessors=%zu\naccum=%zu\n", data_seed, K, accum);
    ref_rng rng;
    ref_tl_rng_seed(&rng, seed ^ 0x5eed);   /* the same stream as tests/support.c's tl_train_run */
    ref_tl_markov_start(mk, ids, cfg.batch, &rng);
    for (size_t step = 0; step < first * accum; step++) {   /* a resumed run's data, replayed */
        ref_tl_markov_step(mk, targets, ids, cfg.batch, &rng);
        memcpy(ids, targets, cfg.batch * sizeof *ids);
    }
    for (size_t step = first; step < cfg.steps; step++) {
        if (reload && step == reload_at) {
            /* save and load in memory: the run goes on from what the file holds */
            size_t len = 0, got = 0;
            unsigned char *b = NULL;
            tl_model *back = NULL;
            err = tl_model_save_bytes(NULL, 0, &len, m, 0, meta);
            if (!err && !(b = tl_shared_alloc(len)))
                err = tl_fail(TL_ENOMEM, "train: no memory for a checkpoint of %zu bytes", len);
            if (!err) err = tl_model_save_bytes(b, len, &got, m, 0, meta);
            if (!err) err = tl_model_load_bytes(&back, b, got, "the reloaded checkpoint", NULL);
            tl_shared_free(b);
            if (err) {
                fprintf(stderr, "train: step %zu: reload: %s\n", step, tl_last_error());
                goto out;
            }
            tl_model_destroy(m);
            m = back;
            if (!quiet)
                printf("train: step %zu: saved and loaded the model (%zu bytes)\n", step, got);
        }
        float loss = NAN;
        if (accum > 1)
            err = accumulated_step(m, &loss, mk, ids, targets, cfg.batch, accum, &rng);
        else {
            ref_tl_markov_step(mk, targets, ids, cfg.batch, &rng);
            err = tl_model_train_step(m, &loss, ids, targets, cfg.batch);
        }
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
        if (save_every && (step + 1) % save_every == 0 && step + 1 < cfg.steps) {
            if (tl_model_save(m, save_path, 0, meta)) {
                fprintf(stderr, "train: step %zu: %s\n", step, tl_last_error());
                goto out;
            }
            if (!quiet)
                printf("train: step %zu: saved %s\n", step, save_path);
        }
    }
    if (save_path) {
        if (tl_model_save(m, save_path, 0, meta)) {
            fprintf(stderr, "train: %s\n", tl_last_error());
            goto out;
        }
        if (!quiet)
            printf("train: saved %s at step %zu\n", save_path, cfg.steps);
    }
    if (sums)
        print_tensor_sums(m);
    rc = 0;
out:
    if (logf)
        fclose(logf);
    free(ck);
    free(ids);
    free(targets);
    tl_model_destroy(m);
    ref_tl_markov_destroy(mk);
    return rc;
}
