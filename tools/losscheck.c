/*
 * losscheck: read training-loss logs and say, one line per finding, what
 * each curve means.  The one idea: at init a healthy LM's logits are near
 * zero, softmax is near uniform, so its cross-entropy is ln(V).  An init loss
 * of ln(V') for some other vocabulary size V' in the run means the logits
 * span the wrong vocabulary; anything far above means oversized logits; far
 * below, a model that was already trained.  The logs of tiedlab, nanoGPT,
 * llm.c, minGPT, Hugging Face's Trainer, TensorBoard and W&B are read
 * (logformats.c); training and validation curves are judged apart, and
 * validation rising while training falls is overfitting.
 *
 * Messages are in English, or in Spanish when TL_LANG (else LC_ALL, else
 * LC_MESSAGES, else LANG) starts with "es" and the "tiedlab" gettext catalog
 * is found (in $TL_LOCALEDIR, else in locale/ next to the executable).
 * Numbers print the same in every language.
 */
#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <locale.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "logformats.h"

extern char **environ;

#define _(s) gettext(s)
#define TEXT_DOMAIN "tiedlab"

/* Thresholds.  Every number that decides a verdict lives here. */
static const double DEFAULT_TOL = 0.03;      /* init logits of std s add only ~s^2/2 nats: 3% is generous */
static const long END_FRACTION = 10;         /* end loss = mean of the last tenth: averages batch noise */
static const double DIVERGE_MIN_RISE = 0.5;  /* a rise under half a nat off the minimum is noise */
static const double DIVERGE_RISE_FRAC = 0.25; /* ...and it must give back a quarter of what was learned */
static const double DIVERGE_REL = 1.10;      /* ...and end 10% above the minimum (tiny losses) */
static const long OSC_MIN_ROWS = 10;         /* too few rows to talk about step-to-step swings below this */
static const double OSC_MAX_STD = 0.5;       /* healthy steps move the loss by hundredths of a nat */
static const double PLATEAU_FRAC = 0.25;     /* still a quarter of the way from floor to chance = stopped learning */
static const long MIN_VOCAB = 2;             /* ln(1) = 0: a one-class softmax has no loss to check */
static const double OVERFIT_MIN_RISE = 0.05; /* validation up this many nats from its best... */
static const double OVERFIT_RISE_FRAC = 0.05; /* ...and this fraction of it, while training still falls */
static const double RESUME_JUMP_MIN = 0.1;   /* a jump at a resume under a tenth of a nat is noise... */
static const double RESUME_JUMP_NOISE = 4.0; /* ...and under 4x the run's own step-to-step spread */

/* Plot geometry (not verdicts). */
static const int PNG_WIDTH = 900, PNG_HEIGHT = 560; /* readable on a laptop screen */
static const int ASCII_COLS = 78, ASCII_ROWS = 20;  /* fits an 80-column terminal */

/* A function, not a constant: the translation is known only after main set up gettext. */
static const char *usage(void)
{
    return _("usage: losscheck [--vocab V] [--floor H] [--tol FRAC] [--format NAME] "
             "[--from-pretrained] [--plot FILE.png] [--ascii] [-q] LOG... (- for standard input)");
}

/* One curve being judged: a log's training or validation points, and what
 * the log and the command line say about it. */
struct curve {
    char name[512];       /* "run.csv", or "run.log (validation)" */
    const struct log *lg;
    long vocab;           /* 0 = unknown */
    bool has_floor;
    double floor;
    const long *step;
    const double *loss;
    size_t n;
};

/* ---- verdicts ---- */

struct verdict {
    const char *problem; /* first problem keyword (translated), NULL = healthy */
};

static void flag(struct verdict *v, const char *keyword)
{
    if (!v->problem)
        v->problem = keyword;
}

__attribute__((format(printf, 3, 4)))
static void finding(bool quiet, const char *path, const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", path);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static const char *nonfinite_name(double x)
{
    return isnan(x) ? "NaN" : x > 0 ? "Inf" : "-Inf";
}

static void check_init(const struct curve *r, double tol, bool pretrained, bool q, struct verdict *v)
{
    double l0 = r->loss[0];
    if (pretrained) {
        finding(q, r->name, _("starts from a trained model (--from-pretrained): first loss %.3f, init check "
                              "skipped"), l0);
        return;
    }
    if (r->vocab == 0) {
        finding(q, r->name, _("first loss %.3f: pass --vocab V to compare it with ln V (the init check)"), l0);
        return;
    }
    double lnv = log((double)r->vocab);
    if (fabs(l0 - lnv) <= tol * lnv) {
        finding(q, r->name, _("init loss %.3f ≈ ln(%ld) = %.3f (%+.1f%%): healthy init"), l0,
                r->vocab, lnv, 100.0 * (l0 - lnv) / lnv);
        return;
    }
    /* Closest other vocabulary whose ln matches, if any. */
    long best = 0;
    double best_err = 0;
    for (size_t i = 0; i < r->lg->n_others; i++) {
        long vo = r->lg->others[i];
        if (vo == r->vocab)
            continue;
        double lno = log((double)vo), err = fabs(l0 - lno);
        if (err <= tol * lno && (!best || err < best_err)) {
            best = vo;
            best_err = err;
        }
    }
    if (best) {
        finding(q, r->name,
                _("init loss %.3f ≈ ln(%ld) = %.3f, not ln(%ld) = %.3f: the logits span %ld "
                  "classes — wrong vocabulary size"),
                l0, best, log((double)best), r->vocab, lnv, best);
        /* TRANSLATORS: problem keywords are shown as "FILE: NOT HEALTHY (keyword)". */
        flag(v, _("wrong vocabulary"));
    } else if (l0 > lnv) {
        finding(q, r->name,
                _("init loss %.3f is far above ln(%ld) = %.3f (%.1fx): logits too large at init "
                  "— check the init scale"),
                l0, r->vocab, lnv, l0 / lnv);
        flag(v, _("init too high"));
    } else if (r->step[0] > 1) {
        /* logged only after some steps (the Trainer logs every logging_steps):
         * below ln V is what training does, not a sign of anything */
        finding(q, r->name,
                _("first loss %.3f at step %ld, below ln(%ld) = %.3f: the log starts after training "
                  "began, so there is no init to check"),
                l0, r->step[0], r->vocab, lnv);
    } else if (r->lg->fresh_start) {
        /* the log says this run began at init: it cannot already know the data */
        finding(q, r->name,
                _("init loss %.3f is below ln(%ld) = %.3f: the model is not at chance at step 0 "
                  "— is it pre-trained or leaking the target?"),
                l0, r->vocab, lnv);
        flag(v, _("init too low"));
    } else {
        finding(q, r->name,
                _("starts from a trained model: first loss %.3f is far below ln(%ld) = %.3f "
                  "(--from-pretrained says so and skips this check)"),
                l0, r->vocab, lnv);
    }
}

static void check_curve(const struct curve *r, double tol, bool q, struct verdict *v)
{
    size_t n = r->n;
    double lnv = r->vocab ? log((double)r->vocab) : (double)INFINITY, l0 = r->loss[0];

    size_t imin = 0;
    for (size_t i = 1; i < n; i++)
        if (r->loss[i] < r->loss[imin])
            imin = i;
    double lmin = r->loss[imin];

    size_t tail = n / (size_t)END_FRACTION;
    if (tail < 1)
        tail = 1;
    double lend = 0;
    for (size_t i = n - tail; i < n; i++)
        lend += r->loss[i];
    lend /= (double)tail;

    bool problem = false;
    bool diverging = lend > lmin + fmax(DIVERGE_MIN_RISE, DIVERGE_RISE_FRAC * (l0 - lmin)) &&
                     lend > lmin * DIVERGE_REL;
    if (diverging) {
        finding(q, r->name,
                _("diverging: loss fell to %.3f at step %ld then rose to %.3f by the end"), lmin,
                r->step[imin], lend);
        flag(v, _("diverging"));
        problem = true;
    }

    if (n >= (size_t)OSC_MIN_ROWS) {
        /* Spread of row-to-row differences over the second half. */
        size_t h = n / 2, m = n - 1 - h;
        double mean = 0, var = 0;
        for (size_t i = h + 1; i < n; i++)
            mean += r->loss[i] - r->loss[i - 1];
        mean /= (double)m;
        for (size_t i = h + 1; i < n; i++) {
            double d = r->loss[i] - r->loss[i - 1] - mean;
            var += d * d;
        }
        double sd = sqrt(var / (double)m);
        if (sd > OSC_MAX_STD) {
            finding(q, r->name, _("oscillating: loss swings by ±%.3f per step in the second half"),
                    sd);
            flag(v, _("oscillating"));
            problem = true;
        }
    }

    /* A diverged end is not a plateau; the divergence line already explains it. */
    if (!diverging && r->vocab && lend >= lnv * (1 - tol)) {
        finding(q, r->name,
                _("stuck near ln(%ld) = %.3f: end loss %.3f after %ld steps — not learning"),
                r->vocab, lnv, lend, r->step[n - 1]);
        flag(v, _("stuck"));
        problem = true;
    } else if (!diverging && r->vocab && r->has_floor && lnv > r->floor) {
        double gap = lend - r->floor, span = lnv - r->floor;
        if (gap > PLATEAU_FRAC * span) {
            finding(q, r->name,
                    _("plateau above floor: end loss %.3f vs floor H = %.3f (gap %.3f nats, %.0f%% "
                      "of the way from floor to ln V)"),
                    lend, r->floor, gap, 100.0 * gap / span);
            flag(v, _("plateau above floor"));
            problem = true;
        }
    }
    if (problem)
        return;
    if (!r->vocab)
        finding(q, r->name, _("learned: end loss %.3f, down from %.3f (no V: the stuck and plateau checks "
                              "need --vocab V)"),
                lend, l0);
    else if (!r->has_floor)
        finding(q, r->name,
                _("learned: end loss %.3f, down from %.3f (no floor H in header: plateau check "
                  "skipped)"),
                lend, l0);
    else if (lnv <= r->floor)
        finding(q, r->name,
                _("learned: end loss %.3f, down from %.3f (floor H = %.3f is not below ln(%ld): "
                  "plateau check skipped)"),
                lend, l0, r->floor, r->vocab);
    else
        finding(q, r->name, _("learned: end loss %.3f vs floor H = %.3f (gap %.3f nats)"), lend,
                r->floor, lend - r->floor);
}

/* NaN/Inf, init (the training curve only) and shape of one curve. */
static void judge_curve(const struct curve *r, double tol, bool init, bool pretrained, bool q,
                        struct verdict *v)
{
    size_t bad = r->n;
    for (size_t i = 0; i < r->n; i++)
        if (!isfinite(r->loss[i])) {
            bad = i;
            break;
        }
    if (bad < r->n) {
        const char *what = nonfinite_name(r->loss[bad]); /* NaN, Inf, -Inf: never translated */
        if (bad == 0)
            finding(q, r->name, _("loss is %s at step %ld, the very first row"), what,
                    r->step[0]);
        else
            finding(q, r->name, _("loss became %s at step %ld (last finite loss %.3f at step %ld)"),
                    what, r->step[bad], r->loss[bad - 1], r->step[bad - 1]);
        flag(v, isnan(r->loss[bad]) ? "NaN" : "Inf");
    }
    if (init && bad > 0)
        check_init(r, tol, pretrained, q, v);
    if (bad == r->n && r->n >= 2)
        check_curve(r, tol, q, v);
}

/* Mean of the losses of curve c over its last `tail` points. */
static double tail_mean(const struct series *c, size_t tail)
{
    double s = 0;
    for (size_t i = c->n - tail; i < c->n; i++)
        s += c->loss[i];
    return s / (double)tail;
}

/* The training loss at (or just before) a step. */
static double train_at(const struct series *t, long step)
{
    size_t k = 0;
    while (k + 1 < t->n && t->step[k + 1] <= step)
        k++;
    return t->loss[k];
}

/* Overfitting: validation climbs away from its best while training keeps
 * falling. A gap alone is generalization, not a finding. */
static void check_overfit(const struct log *lg, const char *name, bool q, struct verdict *v)
{
    const struct series *t = &lg->train, *val = &lg->val;
    if (val->n < 3 || t->n < 2)
        return;
    for (size_t i = 0; i < val->n; i++)
        if (!isfinite(val->loss[i]))
            return;
    size_t best = 0;
    for (size_t i = 1; i < val->n; i++)
        if (val->loss[i] < val->loss[best])
            best = i;
    size_t tail = val->n / (size_t)END_FRACTION;
    if (tail < 1)
        tail = 1;
    double vend = tail_mean(val, tail), vbest = val->loss[best];
    double tbest = train_at(t, val->step[best]), tend = t->loss[t->n - 1];
    if (best + tail < val->n && vend > vbest + fmax(OVERFIT_MIN_RISE, OVERFIT_RISE_FRAC * vbest) && tend < tbest) {
        finding(q, name,
                _("overfitting: validation loss rose from %.3f at step %ld to %.3f by the end while "
                  "training loss fell from %.3f to %.3f (gap %.3f nats)"),
                vbest, val->step[best], vend, tbest, tend, vend - tend);
        flag(v, _("overfitting"));
    }
}

/* A resume the log names: the first loss after it should continue the
 * curve, within the run's own step-to-step noise. */
static void check_resume(const struct curve *r, bool q, struct verdict *v)
{
    long at = r->lg->resumed_at;
    size_t k = 0;
    if (at < 0 || r->n < 4)
        return;
    while (k < r->n && r->step[k] < at)
        k++;
    if (k == 0 || k >= r->n)
        return;
    double mean = 0, var = 0;
    size_t m = 0;
    for (size_t i = 1; i < r->n; i++)
        if (i != k && isfinite(r->loss[i]) && isfinite(r->loss[i - 1])) {
            mean += r->loss[i] - r->loss[i - 1];
            m++;
        }
    if (m < 2)
        return;
    mean /= (double)m;
    for (size_t i = 1; i < r->n; i++)
        if (i != k && isfinite(r->loss[i]) && isfinite(r->loss[i - 1])) {
            double d = r->loss[i] - r->loss[i - 1] - mean;
            var += d * d;
        }
    double sd = sqrt(var / (double)m), jump = r->loss[k] - r->loss[k - 1];
    if (fabs(jump) > fmax(RESUME_JUMP_MIN, RESUME_JUMP_NOISE * sd)) {
        finding(q, r->name,
                _("jump at the resume at step %ld: loss %.3f, then %.3f (%+.3f nats, the run's "
                  "own steps move by ±%.3f)"),
                r->step[k], r->loss[k - 1], r->loss[k], jump, sd);
        flag(v, _("jump at resume"));
    }
}

struct options {
    long vocab;
    bool has_floor;
    double floor;
    double tol;
    bool pretrained;
    bool quiet;
};

static struct curve curve_of(const struct log *lg, const struct series *s, const char *which,
                             const struct options *o)
{
    struct curve c = { .lg = lg, .vocab = o->vocab ? o->vocab : lg->vocab,
                       .has_floor = o->has_floor || lg->has_floor,
                       .floor = o->has_floor ? o->floor : lg->floor,
                       .step = s->step, .loss = s->loss, .n = s->n };
    if (which)
        snprintf(c.name, sizeof c.name, "%s (%s)", lg->path, which);
    else
        snprintf(c.name, sizeof c.name, "%s", lg->path);
    return c;
}

/* Returns true if healthy. `init_told`: the init finding was printed already
 * (a run read from standard input, as soon as its first loss came). */
static bool check_run(const struct log *lg, const struct options *o, bool init_told)
{
    struct verdict v = {0};
    bool both = lg->val.n > 0;
    struct curve tc = curve_of(lg, &lg->train, both ? _("training") : NULL, o);
    judge_curve(&tc, o->tol, !init_told, o->pretrained, o->quiet, &v);
    check_resume(&tc, o->quiet, &v);
    if (both) {
        struct curve vc = curve_of(lg, &lg->val, _("validation"), o);
        judge_curve(&vc, o->tol, false, o->pretrained, o->quiet, &v);
        check_overfit(lg, lg->path, o->quiet, &v);
    }
    /* HEALTHY / NOT HEALTHY stay English in every language: they are status
     * words that scripts grep for (tools/lab filters them with grep -v). */
    if (v.problem)
        printf("%s: NOT HEALTHY (%s)\n", lg->path, v.problem);
    else
        printf("%s: HEALTHY\n", lg->path);
    return v.problem == NULL;
}

/* ---- plotting via an external gnuplot ---- */

/* Full path of PROG on $PATH, malloc'd, or NULL. */
static char *find_in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return NULL;
    size_t plen = strlen(prog);
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
        if (dlen == 0) { /* empty entry means the current directory */
            p = ".";
            dlen = 1;
        }
        char *cand = log_realloc(NULL, dlen + plen + 2);
        memcpy(cand, p, dlen);
        cand[dlen] = '/';
        memcpy(cand + dlen + 1, prog, plen + 1);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        if (!colon)
            return NULL;
        p = colon + 1;
    }
}

/* Write S as a gnuplot single-quoted string: '' stands for ', control chars become ?. */
static void gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("''", f);
        else
            fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
    }
    fputc('\'', f);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* Temp files live only for the duration of one plot. */
struct tmpfiles {
    char **names;
    size_t n;
};

static FILE *tmp_open(struct tmpfiles *t)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t len = strlen(dir) + sizeof "/losscheck-XXXXXX";
    char *name = log_realloc(NULL, len);
    snprintf(name, len, "%s/losscheck-XXXXXX", dir);
    int fd = mkstemp(name);
    if (fd < 0) {
        log_note(_("cannot create a temp file in %s: %s"), dir, strerror(errno));
        free(name);
        return NULL;
    }
    FILE *f = fdopen(fd, "w+");
    if (!f) {
        log_note(_("cannot open temp file %s: %s"), name, strerror(errno));
        close(fd);
        unlink(name);
        free(name);
        return NULL;
    }
    t->names = log_realloc(t->names, (t->n + 1) * sizeof *t->names);
    t->names[t->n++] = name;
    return f;
}

static void tmp_cleanup(struct tmpfiles *t)
{
    for (size_t i = 0; i < t->n; i++) {
        unlink(t->names[i]);
        free(t->names[i]);
    }
    free(t->names);
    t->names = NULL;
    t->n = 0;
}

static bool seen_double(const double *xs, size_t n, double x)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(xs[i] - x) < 5e-4) /* same to the 3 decimals the label shows */
            return true;
    return false;
}

/* A horizontal dashed reference line with its label in the key. */
static void gp_ref(FILE *gp, bool *first, const char *label, double y, const char *color)
{
    fprintf(gp, "%s\\\n  %.6f with lines dt 2 lw 1.5 lc rgb '%s' title ", *first ? "" : ",", y,
            color);
    *first = false;
    gp_quote(gp, label);
}

static long vocab_of(const struct log *lg, const struct options *o)
{
    return o->vocab ? o->vocab : lg->vocab;
}

/* One curve's points into a temp data file, and its line in the plot. */
static bool plot_curve(FILE *gp, const struct series *c, const char *title, struct tmpfiles *tmp)
{
    FILE *d = tmp_open(tmp);
    if (!d)
        return false;
    size_t npts = 0;
    for (size_t k = 0; k < c->n; k++)
        if (isfinite(c->loss[k])) {
            fprintf(d, "%ld %.9g\n", c->step[k], c->loss[k]);
            npts++;
        }
    if (fclose(d) != 0) {
        log_note(_("cannot write temp file %s: %s"), tmp->names[tmp->n - 1], strerror(errno));
        return false;
    }
    if (npts == 0)
        return true; /* gnuplot warns on empty files; nothing to draw anyway */
    fputs(",\\\n  ", gp);
    gp_quote(gp, tmp->names[tmp->n - 1]);
    fputs(" using 1:2 with lines lw 2 title ", gp);
    gp_quote(gp, title);
    return true;
}

/* Write the gnuplot script and data for all runs into temp files. */
static bool write_plot_script(FILE *gp, const struct log *runs, size_t nruns, const struct options *o,
                              bool ascii, struct tmpfiles *tmp)
{
    /* Reference levels, deduplicated across runs. */
    double *lnv = log_realloc(NULL, nruns * sizeof *lnv);
    size_t n_lnv = 0, n_other = 0, n_floor = 0, n_others_max = 0, n_curves = 0;
    for (size_t i = 0; i < nruns; i++) {
        n_others_max += runs[i].n_others;
        n_curves += runs[i].val.n > 0 ? 2 : 1;
    }
    double *other = log_realloc(NULL, n_others_max * sizeof *other);
    double *floors = log_realloc(NULL, nruns * sizeof *floors);
    for (size_t i = 0; i < nruns; i++) {
        long V = vocab_of(&runs[i], o);
        double x = V ? log((double)V) : 0;
        if (V && !seen_double(lnv, n_lnv, x))
            lnv[n_lnv++] = x;
        double h = o->has_floor ? o->floor : runs[i].floor;
        if ((o->has_floor || runs[i].has_floor) && !seen_double(floors, n_floor, h))
            floors[n_floor++] = h;
    }
    for (size_t i = 0; i < nruns; i++)
        for (size_t j = 0; j < runs[i].n_others; j++) {
            double x = log((double)runs[i].others[j]);
            if (!seen_double(lnv, n_lnv, x) && !seen_double(other, n_other, x))
                other[n_other++] = x;
        }

    size_t nkey = n_curves + n_lnv + n_other + n_floor;
    if (ascii) {
        /* Text has too few rows for a key inside the plot: put it below,
         * two entries per row, and grow the page by the rows it takes. */
        fprintf(gp, "set terminal dumb noenhanced size %d,%zu\n", ASCII_COLS,
                (size_t)ASCII_ROWS + (nkey + 1) / 2);
        fputs("set key below maxcols 2\n", gp);
    } else {
        /* Headroom at the top so the opaque key does not hide the curves. */
        fprintf(gp, "set terminal pngcairo noenhanced size %d,%d\n", PNG_WIDTH, PNG_HEIGHT);
        fputs("set key top right opaque\nset grid\n", gp);
        fprintf(gp, "set offsets 0, 0, graph %.2f, graph 0.02\n",
                fmin(0.6, 0.06 * (double)nkey));
    }
    /* Translated axis titles may hold non-ASCII letters (pérdida) or quotes. */
    fputs("set encoding utf8\nset xlabel ", gp);
    gp_quote(gp, _("step"));
    fputs("\nset ylabel ", gp);
    gp_quote(gp, _("loss (nats)"));
    fputc('\n', gp);

    /* Reference lines first, so the curves are drawn on top of them; a plot
     * with none (no V, no H) starts with a curve. */
    fputs("plot", gp);
    bool first = true;
    char label[64];
    for (size_t i = 0; i < n_lnv; i++) {
        snprintf(label, sizeof label, "ln(V)=%.3f", lnv[i]);
        gp_ref(gp, &first, label, lnv[i], "#404040");
    }
    for (size_t i = 0; i < n_other; i++) {
        snprintf(label, sizeof label, "ln(V')=%.3f", other[i]);
        gp_ref(gp, &first, label, other[i], "#c03030");
    }
    for (size_t i = 0; i < n_floor; i++) {
        snprintf(label, sizeof label, "H=%.3f", floors[i]);
        gp_ref(gp, &first, label, floors[i], "#208020");
    }
    if (first) {   /* no reference line: an invisible one keeps the ",\" joins simple */
        fputs(" NaN notitle", gp);
        first = false;
    }
    bool ok = true;
    char title[600];
    for (size_t i = 0; i < nruns && ok; i++) {
        bool both = runs[i].val.n > 0;
        snprintf(title, sizeof title, both ? "%s (%s)" : "%s", base_name(runs[i].path), _("training"));
        ok = plot_curve(gp, &runs[i].train, title, tmp);
        if (ok && both) {
            snprintf(title, sizeof title, "%s (%s)", base_name(runs[i].path), _("validation"));
            ok = plot_curve(gp, &runs[i].val, title, tmp);
        }
    }
    fputc('\n', gp);
    free(lnv);
    free(other);
    free(floors);
    return ok;
}

/* First line of a file, for a one-line report of gnuplot's complaint. */
static void first_line(const char *path, char *out, size_t outsz)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)outsz, f)) {
        char *t = log_trim(out);
        memmove(out, t, strlen(t) + 1);
    }
    fclose(f);
}

/*
 * Draw all runs with gnuplot: to OUT_PNG (pngcairo) or to stdout (dumb).
 * Never fatal: failures are one line on stderr, the verdicts decide the exit.
 */
static void plot(const struct log *runs, size_t nruns, const struct options *o, const char *out_png,
                 bool ascii)
{
    char *gnuplot = find_in_path("gnuplot");
    if (!gnuplot) {
        log_note("%s", _("gnuplot not found; install it with: sudo apt-get install gnuplot-nox"));
        return;
    }
    struct tmpfiles tmp = {0};
    FILE *script = tmp_open(&tmp);
    FILE *errf = script ? tmp_open(&tmp) : NULL;
    if (!script || !errf) {
        if (script)
            fclose(script);
        tmp_cleanup(&tmp);
        free(gnuplot);
        return;
    }
    char *script_name = tmp.names[0], *err_name = tmp.names[1];
    bool ok = write_plot_script(script, runs, nruns, o, ascii, &tmp);
    if (fclose(script) != 0) {
        log_note(_("cannot write gnuplot script: %s"), strerror(errno));
        ok = false;
    }

    /* gnuplot writes the image to its stdout, which we point at the file we
     * opened ourselves: a bad path is our error message, not gnuplot's. */
    int out_fd = -1;
    if (ok && !ascii) {
        out_fd = open(out_png, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (out_fd < 0) {
            log_note(_("cannot write plot %s: %s"), out_png, strerror(errno));
            ok = false;
        }
    }
    if (ok) {
        fflush(stdout); /* verdict text must not interleave with an ASCII plot */
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (out_fd >= 0)
            posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, fileno(errf), STDERR_FILENO);
        char *argv[] = {gnuplot, script_name, NULL};
        pid_t pid;
        int rc = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        int status = 0;
        if (rc != 0) {
            log_note(_("cannot run %s: %s"), gnuplot, strerror(rc));
            ok = false;
        } else {
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char why[200];
                first_line(err_name, why, sizeof why);
                const char *sep = why[0] ? ": " : "";
                if (WIFEXITED(status))
                    log_note(_("gnuplot failed (exit status %d)%s%s; no plot made"),
                         WEXITSTATUS(status), sep, why);
                else
                    log_note(_("gnuplot failed (signal %d)%s%s; no plot made"), WTERMSIG(status),
                         sep, why);
                ok = false;
            }
        }
    }
    struct stat st;
    if (ok && out_fd >= 0 && fstat(out_fd, &st) == 0 && st.st_size == 0) {
        log_note(_("gnuplot wrote nothing to %s; no plot made"), out_png);
        ok = false;
    }
    if (out_fd >= 0) {
        close(out_fd);
        if (!ok)
            unlink(out_png); /* no half-written PNG left behind */
    }
    fclose(errf);
    tmp_cleanup(&tmp);
    free(gnuplot);
}

/* ---- language ---- */

/* Spanish if the first non-empty of TL_LANG, LC_ALL, LC_MESSAGES, LANG starts with "es". */
static bool wants_spanish(void)
{
    static const char *const vars[] = {"TL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "es", 2) == 0;
    }
    return false;
}

/* "DIR/locale" for the directory holding PATH, malloc'd. */
static char *locale_dir_next_to(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 1;
    if (slash && dlen == 0)
        dlen = 1; /* "/prog": the directory is "/" */
    const char *dir = slash ? path : ".";
    char *out = log_realloc(NULL, dlen + sizeof "/locale");
    memcpy(out, dir, dlen);
    memcpy(out + dlen, "/locale", sizeof "/locale");
    return out;
}

/* The catalog directory: $TL_LOCALEDIR, else locale/ next to the executable, malloc'd. */
static char *catalog_dir(const char *argv0)
{
    const char *env = getenv("TL_LOCALEDIR");
    if (env && *env) {
        char *out = log_realloc(NULL, strlen(env) + 1);
        memcpy(out, env, strlen(env) + 1);
        return out;
    }
    /* readlink neither terminates nor says whether it truncated: grow until it fits. */
    for (size_t cap = 256; cap <= ((size_t)1 << 20); cap *= 2) {
        char *exe = log_realloc(NULL, cap);
        ssize_t len = readlink("/proc/self/exe", exe, cap);
        if (len < 0) {
            free(exe);
            break;
        }
        if ((size_t)len < cap) {
            exe[len] = '\0';
            char *out = locale_dir_next_to(exe);
            free(exe);
            return out;
        }
        free(exe);
    }
    return locale_dir_next_to(argv0 && *argv0 ? argv0 : "losscheck");
}

static bool is_c_locale(const char *name)
{
    return !name || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0;
}

/*
 * Pick the message language.  GNU gettext ignores LANGUAGE while LC_MESSAGES is
 * "C", and many containers have no es_* locale at all, so Spanish is asked for
 * with LANGUAGE=es on top of whatever locale exists, falling back to C.UTF-8.
 * English pins LC_MESSAGES to C: neither an installed es_ES locale nor a stray
 * LANGUAGE can switch it, and strerror() stays English too.
 */
static void setup_language(const char *argv0)
{
    bool spanish = wants_spanish();
    setlocale(LC_ALL, "");
    if (spanish) {
        setenv("LANGUAGE", "es", 1);
        if (is_c_locale(setlocale(LC_MESSAGES, NULL))) {
            setlocale(LC_MESSAGES, "C.UTF-8");
            setlocale(LC_CTYPE, "C.UTF-8");
        }
    } else {
        unsetenv("LANGUAGE");
        setlocale(LC_MESSAGES, "C");
    }
    /* Numbers print (and parse) as 5.545 in every language. */
    setlocale(LC_NUMERIC, "C");

    char *dir = catalog_dir(argv0);
    bindtextdomain(TEXT_DOMAIN, dir);
    bind_textdomain_codeset(TEXT_DOMAIN, "UTF-8");
    textdomain(TEXT_DOMAIN);
    free(dir);
}

/* ---- command line ---- */

/* "--opt VALUE" or "--opt=VALUE"; advances *i past a separate value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (strncmp(a, name, len) != 0)
        return NULL;
    if (a[len] == '=')
        return a + len + 1;
    if (a[len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        log_note(_("%s needs a value"), name);
        fprintf(stderr, "%s\n", usage());
        exit(2);
    }
    return argv[++*i];
}

static void bad_value(const char *name, const char *val, const char *want)
{
    log_note(_("%s %s: expected %s"), name, val, want);
    fprintf(stderr, "%s\n", usage());
    exit(2);
}

/* The init finding as soon as a run read from standard input has its first
 * loss: "is my loss ln V?" needs no more than that. */
struct early {
    const struct options *o;
    bool told;
};

static void first_point(const struct log *lg, void *ctx)
{
    struct early *e = ctx;
    struct verdict v = {0};
    struct curve c = curve_of(lg, &lg->train, NULL, e->o);
    if (c.n && isfinite(c.loss[0])) {
        check_init(&c, e->o->tol, e->o->pretrained, e->o->quiet, &v);
        fflush(stdout);
        e->told = true;
    }
}

int main(int argc, char **argv)
{
    setup_language(argv[0]);
    struct options o = { .tol = DEFAULT_TOL };
    bool ascii = false;
    enum log_format format = FMT_AUTO;
    const char *png = NULL;
    const char **files = log_realloc(NULL, (size_t)argc * sizeof *files);
    size_t nfiles = 0;
    bool opts_done = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (opts_done || a[0] != '-' || a[1] == '\0') {
            files[nfiles++] = a;
        } else if (strcmp(a, "--") == 0) {
            opts_done = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf(_("%s\n"
                     "Reads training-loss logs and says what each curve means: init loss vs ln(V),\n"
                     "NaN/Inf, divergence, oscillation, stuck at chance, plateau above the floor H,\n"
                     "overfitting (validation rising while training falls), a jump at a resume.\n"
                     "The format is told from the content: tiedlab's CSV (\"# V=256 H=1.83\" header,\n"
                     "then step,loss rows), nanoGPT, llm.c and minGPT console output, Hugging Face's\n"
                     "trainer_state.json, TensorBoard and W&B CSV exports, plain step/loss columns.\n"
                     "  --vocab V          number of classes V (overrides the header)\n"
                     "  --floor H          entropy-rate floor in nats (overrides the header)\n"
                     "  --tol FRAC         relative tolerance for init loss = ln(V) (default %.2f)\n"
                     "  --format NAME      read every log as NAME: %s\n"
                     "  --from-pretrained  the run starts from a trained model: no init check\n"
                     "  --plot F.png       draw all runs with gnuplot (pngcairo)\n"
                     "  --ascii            draw all runs as text with gnuplot (dumb)\n"
                     "  -q                 print only the HEALTHY / NOT HEALTHY lines\n"
                     "A LOG of - is standard input: python train.py | losscheck --vocab 65 -\n"
                     "Exit: 0 all healthy, 1 some run not healthy, 2 bad input or usage.\n"),
                   usage(), DEFAULT_TOL, log_format_names());
            free(files);
            return 0;
        } else if (strcmp(a, "-q") == 0) {
            o.quiet = true;
        } else if (strcmp(a, "--ascii") == 0) {
            ascii = true;
        } else if (strcmp(a, "--from-pretrained") == 0) {
            o.pretrained = true;
        } else if ((val = opt_value(argc, argv, &i, "--vocab"))) {
            if (!log_parse_long(val, &o.vocab) || o.vocab < MIN_VOCAB)
                bad_value("--vocab", val, _("an integer >= 2"));
        } else if ((val = opt_value(argc, argv, &i, "--floor"))) {
            if (!log_parse_double(val, &o.floor) || !isfinite(o.floor) || o.floor < 0)
                bad_value("--floor", val, _("a finite number >= 0"));
            o.has_floor = true;
        } else if ((val = opt_value(argc, argv, &i, "--tol"))) {
            if (!log_parse_double(val, &o.tol) || !(o.tol > 0 && o.tol < 1))
                bad_value("--tol", val, _("a fraction between 0 and 1"));
        } else if ((val = opt_value(argc, argv, &i, "--format"))) {
            if (!log_format_from_name(val, &format))
                bad_value("--format", val, log_format_names());
        } else if ((val = opt_value(argc, argv, &i, "--plot"))) {
            if (!*val)
                bad_value("--plot", "''", _("a file name"));
            png = val;
        } else {
            log_note(_("unknown option %s"), a);
            fprintf(stderr, "%s\n", usage());
            free(files);
            return 2;
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "%s\n", usage());
        free(files);
        return 2;
    }

    /* Load everything first; a bad file is reported and left out, exit 2. */
    struct log *runs = log_realloc(NULL, nfiles * sizeof *runs);
    bool *told = log_realloc(NULL, nfiles * sizeof *told);
    size_t nruns = 0, n_stdin = 0;
    bool input_error = false;
    for (size_t i = 0; i < nfiles; i++) {
        bool from_stdin = strcmp(files[i], "-") == 0;
        if (from_stdin && n_stdin++) {
            log_note("%s", _("standard input (-) can be read only once"));
            input_error = true;
            continue;
        }
        struct early e = { .o = &o };
        struct log lg;
        if (!log_read(&lg, files[i], format, from_stdin && !ascii && !png ? first_point : NULL, &e)) {
            input_error = true;
            continue;
        }
        if (lg.skipped)
            log_note(ngettext("%s: skipped %zu line with no loss in it (line %ld: \"%s\")",
                          "%s: skipped %zu lines with no loss in them (the first, line %ld: \"%s\")",
                          lg.skipped),
                 lg.path, lg.skipped, lg.first_skipped, lg.first_skipped_text);
        told[nruns] = e.told;
        runs[nruns++] = lg;
    }

    if (nruns > 0 && png)
        plot(runs, nruns, &o, png, false);
    if (nruns > 0 && ascii)
        plot(runs, nruns, &o, NULL, true);

    bool all_healthy = true;
    for (size_t i = 0; i < nruns; i++)
        all_healthy &= check_run(&runs[i], &o, told[i]);

    for (size_t i = 0; i < nruns; i++)
        log_free(&runs[i]);
    free(runs);
    free(told);
    free(files);
    if (fflush(stdout) != 0)
        return 2;
    return input_error ? 2 : all_healthy ? 0 : 1;
}
