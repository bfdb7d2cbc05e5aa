/*
 * losscheck: read tiedlab training-loss logs and say, one line per finding,
 * what each curve means.  The one idea: at init a healthy LM's logits are
 * near zero, softmax is near uniform, so its cross-entropy is ln(V).  An
 * init loss of ln(V') for some other vocabulary size V' in the run means the
 * logits span the wrong vocabulary; anything far above means oversized logits.
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

/* Plot geometry (not verdicts). */
static const int PNG_WIDTH = 900, PNG_HEIGHT = 560; /* readable on a laptop screen */
static const int ASCII_COLS = 78, ASCII_ROWS = 20;  /* fits an 80-column terminal */

/* A function, not a constant: the translation is known only after main set up gettext. */
static const char *usage(void)
{
    return _("usage: losscheck [--vocab V] [--floor H] [--tol FRAC] [--plot FILE.png] [--ascii] "
             "[-q] LOG...");
}

__attribute__((format(printf, 1, 2)))
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("losscheck: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        note("%s", _("out of memory"));
        exit(2);
    }
    return q;
}

/* One log file, parsed. */
struct run {
    const char *path;
    long vocab;           /* 0 = unknown */
    bool has_floor;
    double floor;         /* H, entropy-rate floor in nats */
    long *others;         /* other vocabulary sizes V' named in the header */
    size_t n_others;
    long *step;
    double *loss;
    size_t n;
    size_t cap;
};

static void run_free(struct run *r)
{
    free(r->others);
    free(r->step);
    free(r->loss);
}

static void add_other(struct run *r, long v)
{
    for (size_t i = 0; i < r->n_others; i++)
        if (r->others[i] == v)
            return;
    r->others = xrealloc(r->others, (r->n_others + 1) * sizeof *r->others);
    r->others[r->n_others++] = v;
}

static void add_row(struct run *r, long step, double loss)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->step = xrealloc(r->step, r->cap * sizeof *r->step);
        r->loss = xrealloc(r->loss, r->cap * sizeof *r->loss);
    }
    r->step[r->n] = step;
    r->loss[r->n] = loss;
    r->n++;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                       s[len - 1] == '\n'))
        s[--len] = '\0';
    return s;
}

/* Whole string is a base-10 integer in range. */
static bool parse_long(const char *s, long *out)
{
    char *end;
    if (*s == '\0')
        return false;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* Whole string is a number; nan/inf spellings are accepted on purpose. */
static bool parse_double(const char *s, double *out)
{
    char *end;
    if (*s == '\0')
        return false;
    double v = strtod(s, &end);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

/* A '#' line: pick out V=, H= and V_*= pairs, ignore every other word. */
static bool parse_header(struct run *r, char *line, long lineno, long *hdr_vocab)
{
    char *save = NULL;
    for (char *w = strtok_r(line, " \t#", &save); w; w = strtok_r(NULL, " \t#", &save)) {
        char *eq = strchr(w, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *key = w, *val = eq + 1;
        long v;
        double h;
        if (strcmp(key, "V") == 0) {
            if (!parse_long(val, &v) || v < MIN_VOCAB) {
                note(_("%s:%ld: header V=%s is not a vocabulary size (integer >= %ld)"), r->path,
                     lineno, val, MIN_VOCAB);
                return false;
            }
            *hdr_vocab = v;
        } else if (strcmp(key, "H") == 0) {
            if (!parse_double(val, &h) || !isfinite(h) || h < 0) {
                note(_("%s:%ld: header H=%s is not an entropy floor (finite number >= 0)"), r->path,
                     lineno, val);
                return false;
            }
            r->has_floor = true;
            r->floor = h;
        } else if (key[0] == 'V' && key[1] == '_') {
            if (parse_long(val, &v) && v >= MIN_VOCAB)
                add_other(r, v);
        }
    }
    return true;
}

/* Parse one data line "step,loss" (already trimmed, non-empty, not a comment). */
static bool parse_row(struct run *r, char *line, long lineno)
{
    char *comma = strchr(line, ',');
    if (!comma || strchr(comma + 1, ',')) {
        int cols = 1;
        for (const char *p = line; *p; p++)
            cols += *p == ',';
        note(_("%s:%ld: expected 2 columns \"step,loss\", got %d: \"%.60s\""), r->path, lineno,
             cols, line);
        return false;
    }
    *comma = '\0';
    char *s_step = trim(line), *s_loss = trim(comma + 1);
    if (strcmp(s_step, "step") == 0 && strcmp(s_loss, "loss") == 0)
        return true; /* the optional column header */
    long step;
    double loss;
    if (!parse_long(s_step, &step)) {
        note(_("%s:%ld: step \"%.60s\" is not an integer"), r->path, lineno, s_step);
        return false;
    }
    if (!parse_double(s_loss, &loss)) {
        note(_("%s:%ld: loss \"%.60s\" is not a number"), r->path, lineno, s_loss);
        return false;
    }
    add_row(r, step, loss);
    return true;
}

/* Read a whole log.  getline: no line length limit, nothing truncated. */
static bool load_run(struct run *r, long vocab_opt, bool has_floor_opt, double floor_opt)
{
    FILE *f = fopen(r->path, "r");
    if (!f) {
        note(_("%s: cannot open: %s"), r->path, strerror(errno));
        return false;
    }
    char *buf = NULL;
    size_t bufcap = 0;
    long lineno = 0, hdr_vocab = 0;
    bool ok = true;
    while (ok && getline(&buf, &bufcap, f) != -1) {
        lineno++;
        char *line = trim(buf);
        if (*line == '\0')
            continue;
        if (*line == '#')
            ok = parse_header(r, line, lineno, &hdr_vocab);
        else
            ok = parse_row(r, line, lineno);
    }
    if (ok && ferror(f)) {
        note(_("%s:%ld: read error: %s"), r->path, lineno + 1, strerror(errno));
        ok = false;
    }
    free(buf);
    fclose(f);
    if (!ok)
        return false;
    if (r->n == 0) {
        note(_("%s:%ld: no data rows (expected \"step,loss\" lines)"), r->path,
             lineno > 0 ? lineno : 1);
        return false;
    }
    /* --vocab wins; a different header V is then just another vocabulary in the run. */
    r->vocab = vocab_opt ? vocab_opt : hdr_vocab;
    if (vocab_opt && hdr_vocab && hdr_vocab != vocab_opt)
        add_other(r, hdr_vocab);
    if (r->vocab == 0) {
        note(_("%s: no vocabulary size: the header has no V=... and --vocab was not given"),
             r->path);
        return false;
    }
    if (has_floor_opt) {
        r->has_floor = true;
        r->floor = floor_opt;
    }
    return true;
}

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

static void check_init(const struct run *r, double tol, bool q, struct verdict *v)
{
    double l0 = r->loss[0];
    double lnv = log((double)r->vocab);
    if (fabs(l0 - lnv) <= tol * lnv) {
        finding(q, r->path, _("init loss %.3f ≈ ln(%ld) = %.3f (%+.1f%%): healthy init"), l0,
                r->vocab, lnv, 100.0 * (l0 - lnv) / lnv);
        return;
    }
    /* Closest other vocabulary whose ln matches, if any. */
    long best = 0;
    double best_err = 0;
    for (size_t i = 0; i < r->n_others; i++) {
        long vo = r->others[i];
        if (vo == r->vocab)
            continue;
        double lno = log((double)vo), err = fabs(l0 - lno);
        if (err <= tol * lno && (!best || err < best_err)) {
            best = vo;
            best_err = err;
        }
    }
    if (best) {
        finding(q, r->path,
                _("init loss %.3f ≈ ln(%ld) = %.3f, not ln(%ld) = %.3f: the logits span %ld "
                  "classes — wrong vocabulary size"),
                l0, best, log((double)best), r->vocab, lnv, best);
        /* TRANSLATORS: problem keywords are shown as "FILE: NOT HEALTHY (keyword)". */
        flag(v, _("wrong vocabulary"));
    } else if (l0 > lnv) {
        finding(q, r->path,
                _("init loss %.3f is far above ln(%ld) = %.3f (%.1fx): logits too large at init "
                  "— check the init scale"),
                l0, r->vocab, lnv, l0 / lnv);
        flag(v, _("init too high"));
    } else {
        finding(q, r->path,
                _("init loss %.3f is below ln(%ld) = %.3f: the model is not at chance at step 0 "
                  "— is it pre-trained or leaking the target?"),
                l0, r->vocab, lnv);
        flag(v, _("init too low"));
    }
}

static void check_curve(const struct run *r, double tol, bool q, struct verdict *v)
{
    size_t n = r->n;
    double lnv = log((double)r->vocab), l0 = r->loss[0];

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
        finding(q, r->path,
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
            finding(q, r->path, _("oscillating: loss swings by ±%.3f per step in the second half"),
                    sd);
            flag(v, _("oscillating"));
            problem = true;
        }
    }

    /* A diverged end is not a plateau; the divergence line already explains it. */
    if (!diverging && lend >= lnv * (1 - tol)) {
        finding(q, r->path,
                _("stuck near ln(%ld) = %.3f: end loss %.3f after %ld steps — not learning"),
                r->vocab, lnv, lend, r->step[n - 1]);
        flag(v, _("stuck"));
        problem = true;
    } else if (!diverging && r->has_floor && lnv > r->floor) {
        double gap = lend - r->floor, span = lnv - r->floor;
        if (gap > PLATEAU_FRAC * span) {
            finding(q, r->path,
                    _("plateau above floor: end loss %.3f vs floor H = %.3f (gap %.3f nats, %.0f%% "
                      "of the way from floor to ln V)"),
                    lend, r->floor, gap, 100.0 * gap / span);
            flag(v, _("plateau above floor"));
            problem = true;
        }
    }
    if (problem)
        return;
    if (!r->has_floor)
        finding(q, r->path,
                _("learned: end loss %.3f, down from %.3f (no floor H in header: plateau check "
                  "skipped)"),
                lend, l0);
    else if (lnv <= r->floor)
        finding(q, r->path,
                _("learned: end loss %.3f, down from %.3f (floor H = %.3f is not below ln(%ld): "
                  "plateau check skipped)"),
                lend, l0, r->floor, r->vocab);
    else
        finding(q, r->path, _("learned: end loss %.3f vs floor H = %.3f (gap %.3f nats)"), lend,
                r->floor, lend - r->floor);
}

/* Returns true if healthy. */
static bool check_run(const struct run *r, double tol, bool q)
{
    struct verdict v = {0};
    size_t bad = r->n;
    for (size_t i = 0; i < r->n; i++)
        if (!isfinite(r->loss[i])) {
            bad = i;
            break;
        }
    if (bad < r->n) {
        const char *what = nonfinite_name(r->loss[bad]); /* NaN, Inf, -Inf: never translated */
        if (bad == 0)
            finding(q, r->path, _("loss is %s at step %ld, the very first row"), what,
                    r->step[0]);
        else
            finding(q, r->path, _("loss became %s at step %ld (last finite loss %.3f at step %ld)"),
                    what, r->step[bad], r->loss[bad - 1], r->step[bad - 1]);
        flag(&v, isnan(r->loss[bad]) ? "NaN" : "Inf");
    }
    if (bad > 0)
        check_init(r, tol, q, &v);
    if (bad == r->n && r->n >= 2)
        check_curve(r, tol, q, &v);
    /* HEALTHY / NOT HEALTHY stay English in every language: they are status
     * words that scripts grep for (tools/lab filters them with grep -v). */
    if (v.problem)
        printf("%s: NOT HEALTHY (%s)\n", r->path, v.problem);
    else
        printf("%s: HEALTHY\n", r->path);
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
        char *cand = xrealloc(NULL, dlen + plen + 2);
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
    char *name = xrealloc(NULL, len);
    snprintf(name, len, "%s/losscheck-XXXXXX", dir);
    int fd = mkstemp(name);
    if (fd < 0) {
        note(_("cannot create a temp file in %s: %s"), dir, strerror(errno));
        free(name);
        return NULL;
    }
    FILE *f = fdopen(fd, "w+");
    if (!f) {
        note(_("cannot open temp file %s: %s"), name, strerror(errno));
        close(fd);
        unlink(name);
        free(name);
        return NULL;
    }
    t->names = xrealloc(t->names, (t->n + 1) * sizeof *t->names);
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

/* Write the gnuplot script and data for all runs into temp files. */
static bool write_plot_script(FILE *gp, const struct run *runs, size_t nruns, bool ascii,
                              struct tmpfiles *tmp)
{
    /* Reference levels, deduplicated across runs. */
    double *lnv = xrealloc(NULL, nruns * sizeof *lnv);
    size_t n_lnv = 0, n_other = 0, n_floor = 0, n_others_max = 0;
    for (size_t i = 0; i < nruns; i++)
        n_others_max += runs[i].n_others;
    double *other = xrealloc(NULL, n_others_max * sizeof *other);
    double *floors = xrealloc(NULL, nruns * sizeof *floors);
    for (size_t i = 0; i < nruns; i++) {
        double x = log((double)runs[i].vocab);
        if (!seen_double(lnv, n_lnv, x))
            lnv[n_lnv++] = x;
        if (runs[i].has_floor && !seen_double(floors, n_floor, runs[i].floor))
            floors[n_floor++] = runs[i].floor;
    }
    for (size_t i = 0; i < nruns; i++)
        for (size_t j = 0; j < runs[i].n_others; j++) {
            double x = log((double)runs[i].others[j]);
            if (!seen_double(lnv, n_lnv, x) && !seen_double(other, n_other, x))
                other[n_other++] = x;
        }

    size_t nkey = nruns + n_lnv + n_other + n_floor;
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

    /* Reference lines first, so the curves are drawn on top of them. */
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
    bool ok = true;
    for (size_t i = 0; i < nruns && ok; i++) {
        FILE *d = tmp_open(tmp);
        if (!d) {
            ok = false;
            break;
        }
        size_t npts = 0;
        for (size_t k = 0; k < runs[i].n; k++)
            if (isfinite(runs[i].loss[k])) {
                fprintf(d, "%ld %.9g\n", runs[i].step[k], runs[i].loss[k]);
                npts++;
            }
        if (fclose(d) != 0) {
            note(_("cannot write temp file %s: %s"), tmp->names[tmp->n - 1], strerror(errno));
            ok = false;
            break;
        }
        if (npts == 0)
            continue; /* gnuplot warns on empty files; nothing to draw anyway */
        fputs(",\\\n  ", gp);
        gp_quote(gp, tmp->names[tmp->n - 1]);
        fputs(" using 1:2 with lines lw 2 title ", gp);
        gp_quote(gp, base_name(runs[i].path));
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
        char *t = trim(out);
        memmove(out, t, strlen(t) + 1);
    }
    fclose(f);
}

/*
 * Draw all runs with gnuplot: to OUT_PNG (pngcairo) or to stdout (dumb).
 * Never fatal: failures are one line on stderr, the verdicts decide the exit.
 */
static void plot(const struct run *runs, size_t nruns, const char *out_png, bool ascii)
{
    char *gnuplot = find_in_path("gnuplot");
    if (!gnuplot) {
        note("%s", _("gnuplot not found; install it with: sudo apt-get install gnuplot-nox"));
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
    bool ok = write_plot_script(script, runs, nruns, ascii, &tmp);
    if (fclose(script) != 0) {
        note(_("cannot write gnuplot script: %s"), strerror(errno));
        ok = false;
    }

    /* gnuplot writes the image to its stdout, which we point at the file we
     * opened ourselves: a bad path is our error message, not gnuplot's. */
    int out_fd = -1;
    if (ok && !ascii) {
        out_fd = open(out_png, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (out_fd < 0) {
            note(_("cannot write plot %s: %s"), out_png, strerror(errno));
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
            note(_("cannot run %s: %s"), gnuplot, strerror(rc));
            ok = false;
        } else {
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char why[200];
                first_line(err_name, why, sizeof why);
                const char *sep = why[0] ? ": " : "";
                if (WIFEXITED(status))
                    note(_("gnuplot failed (exit status %d)%s%s; no plot made"),
                         WEXITSTATUS(status), sep, why);
                else
                    note(_("gnuplot failed (signal %d)%s%s; no plot made"), WTERMSIG(status),
                         sep, why);
                ok = false;
            }
        }
    }
    struct stat st;
    if (ok && out_fd >= 0 && fstat(out_fd, &st) == 0 && st.st_size == 0) {
        note(_("gnuplot wrote nothing to %s; no plot made"), out_png);
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
    char *out = xrealloc(NULL, dlen + sizeof "/locale");
    memcpy(out, dir, dlen);
    memcpy(out + dlen, "/locale", sizeof "/locale");
    return out;
}

/* The catalog directory: $TL_LOCALEDIR, else locale/ next to the executable, malloc'd. */
static char *catalog_dir(const char *argv0)
{
    const char *env = getenv("TL_LOCALEDIR");
    if (env && *env) {
        char *out = xrealloc(NULL, strlen(env) + 1);
        memcpy(out, env, strlen(env) + 1);
        return out;
    }
    /* readlink neither terminates nor says whether it truncated: grow until it fits. */
    for (size_t cap = 256; cap <= ((size_t)1 << 20); cap *= 2) {
        char *exe = xrealloc(NULL, cap);
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
        note(_("%s needs a value"), name);
        fprintf(stderr, "%s\n", usage());
        exit(2);
    }
    return argv[++*i];
}

static void bad_value(const char *name, const char *val, const char *want)
{
    note(_("%s %s: expected %s"), name, val, want);
    fprintf(stderr, "%s\n", usage());
    exit(2);
}

int main(int argc, char **argv)
{
    setup_language(argv[0]);
    long vocab = 0;
    bool has_floor = false, ascii = false, quiet = false;
    double floor_h = 0, tol = DEFAULT_TOL;
    const char *png = NULL;
    const char **files = xrealloc(NULL, (size_t)argc * sizeof *files);
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
                     "Reads tiedlab loss logs (\"# V=256 H=1.83 ...\" header, then step,loss rows)\n"
                     "and says what each curve means: init loss vs ln(V), NaN/Inf, divergence,\n"
                     "oscillation, stuck at chance, plateau above the floor H.\n"
                     "  --vocab V       number of classes V (overrides the header)\n"
                     "  --floor H       entropy-rate floor in nats (overrides the header)\n"
                     "  --tol FRAC      relative tolerance for init loss = ln(V) (default %.2f)\n"
                     "  --plot F.png    draw all runs with gnuplot (pngcairo)\n"
                     "  --ascii         draw all runs as text with gnuplot (dumb)\n"
                     "  -q              print only the HEALTHY / NOT HEALTHY lines\n"
                     "Exit: 0 all healthy, 1 some run not healthy, 2 bad input or usage.\n"),
                   usage(), DEFAULT_TOL);
            free(files);
            return 0;
        } else if (strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (strcmp(a, "--ascii") == 0) {
            ascii = true;
        } else if ((val = opt_value(argc, argv, &i, "--vocab"))) {
            if (!parse_long(val, &vocab) || vocab < MIN_VOCAB)
                bad_value("--vocab", val, _("an integer >= 2"));
        } else if ((val = opt_value(argc, argv, &i, "--floor"))) {
            if (!parse_double(val, &floor_h) || !isfinite(floor_h) || floor_h < 0)
                bad_value("--floor", val, _("a finite number >= 0"));
            has_floor = true;
        } else if ((val = opt_value(argc, argv, &i, "--tol"))) {
            if (!parse_double(val, &tol) || !(tol > 0 && tol < 1))
                bad_value("--tol", val, _("a fraction between 0 and 1"));
        } else if ((val = opt_value(argc, argv, &i, "--plot"))) {
            if (!*val)
                bad_value("--plot", "''", _("a file name"));
            png = val;
        } else {
            note(_("unknown option %s"), a);
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
    struct run *runs = xrealloc(NULL, nfiles * sizeof *runs);
    size_t nruns = 0;
    bool input_error = false;
    for (size_t i = 0; i < nfiles; i++) {
        struct run r = {.path = files[i]};
        if (load_run(&r, vocab, has_floor, floor_h)) {
            runs[nruns++] = r;
        } else {
            run_free(&r);
            input_error = true;
        }
    }

    if (nruns > 0 && png)
        plot(runs, nruns, png, false);
    if (nruns > 0 && ascii)
        plot(runs, nruns, NULL, true);

    bool all_healthy = true;
    for (size_t i = 0; i < nruns; i++)
        all_healthy &= check_run(&runs[i], tol, quiet);

    for (size_t i = 0; i < nruns; i++)
        run_free(&runs[i]);
    free(runs);
    free(files);
    if (fflush(stdout) != 0)
        return 2;
    return input_error ? 2 : all_healthy ? 0 : 1;
}
