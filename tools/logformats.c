/* logformats.c — see logformats.h. Lines are read one at a time, so a run
 * still going on standard input is judged as it comes; the format is the
 * first line that only one format writes. trainer_state.json is parsed with
 * jansson (Debian's libjansson), never by hand.
 */
#include "logformats.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libintl.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define _(s) gettext(s)

static const long MIN_VOCAB = 2;   /* ln(1) = 0: a one-class softmax has no loss to check */

static const struct { enum log_format f; const char *name; } NAMES[] = {
    { FMT_TIEDLAB, "tiedlab" }, { FMT_NANOGPT, "nanogpt" }, { FMT_LLMC, "llmc" },
    { FMT_MINGPT, "mingpt" }, { FMT_HF, "hf" }, { FMT_TENSORBOARD, "tensorboard" },
    { FMT_WANDB, "wandb" }, { FMT_COLUMNS, "columns" },
};

const char *log_format_name(enum log_format f)
{
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (NAMES[i].f == f)
            return NAMES[i].name;
    return "auto";
}

bool log_format_from_name(const char *name, enum log_format *out)
{
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strcmp(NAMES[i].name, name) == 0) {
            *out = NAMES[i].f;
            return true;
        }
    return false;
}

const char *log_format_names(void)
{
    return "tiedlab, nanogpt, llmc, mingpt, hf, tensorboard, wandb, columns";
}

void log_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("losscheck: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void *log_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        log_note("%s", _("out of memory"));
        exit(2);
    }
    return q;
}

/* ---- numbers and points ----------------------------------------------------------- */

char *log_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        s[--len] = '\0';
    return s;
}

/* The whole string is a base-10 integer. */
bool log_parse_long(const char *s, long *out)
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

/* The whole string is a number; nan and inf spellings are numbers on purpose
 * (a loss that became NaN is a finding, not bad input). */
bool log_parse_double(const char *s, double *out)
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

/* An integer step written as 100, 100.0 or 1e2 (exports write floats). */
static bool parse_step(const char *s, long *out)
{
    double d;
    if (log_parse_long(s, out))
        return true;
    if (!log_parse_double(s, &d) || !isfinite(d) || d != floor(d) || fabs(d) > 9e15)
        return false;
    *out = (long)d;
    return true;
}

static void add_other(struct log *lg, long v)
{
    for (size_t i = 0; i < lg->n_others; i++)
        if (lg->others[i] == v)
            return;
    lg->others = log_realloc(lg->others, (lg->n_others + 1) * sizeof *lg->others);
    lg->others[lg->n_others++] = v;
}

static void series_push(struct series *s, long step, double loss, long line)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->step = log_realloc(s->step, s->cap * sizeof *s->step);
        s->loss = log_realloc(s->loss, s->cap * sizeof *s->loss);
        s->line = log_realloc(s->line, s->cap * sizeof *s->line);
    }
    s->step[s->n] = step;
    s->loss[s->n] = loss;
    s->line[s->n] = line;
    s->n++;
}

static void series_free(struct series *s)
{
    free(s->step);
    free(s->loss);
    free(s->line);
    memset(s, 0, sizeof *s);
}

/* One point of a curve: steps are whole numbers >= 0 that only go up. */
static bool add_point(struct log *lg, struct series *s, const char *curve, long step, double loss, long line)
{
    if (step < 0) {
        log_note(_("%s:%ld: step %ld is negative"), lg->path, line, step);
        return false;
    }
    if (s->n && step == s->step[s->n - 1]) {
        log_note(_("%s:%ld: step %ld of the %s curve again (first at line %ld)"), lg->path, line, step,
                 curve, s->line[s->n - 1]);
        return false;
    }
    if (s->n && step < s->step[s->n - 1]) {
        log_note(_("%s:%ld: the %s curve goes back from step %ld to step %ld (two runs in one log?)"),
                 lg->path, line, curve, s->step[s->n - 1], step);
        return false;
    }
    series_push(s, step, loss, line);
    return true;
}

static void skip_line(struct log *lg, const char *line, long lineno)
{
    if (lg->skipped++ == 0) {
        lg->first_skipped = lineno;
        snprintf(lg->first_skipped_text, sizeof lg->first_skipped_text, "%s", line);
    }
}

/* ---- consoles: nanoGPT, llm.c, minGPT ---------------------------------------------- */

/* A number: each NUM holds three groups (the number, its exponent, "inity"). */
#define NUM "([-+]?[0-9]*[.]?[0-9]+([eE][-+]?[0-9]+)?|[-+]?[Nn][Aa][Nn]|[-+]?[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)"

enum { RX_NANO_EVAL, RX_NANO_ITER, RX_LLMC_STEP, RX_LLMC_VAL, RX_MINGPT, RX_COUNT };
static const char *const RX_SRC[RX_COUNT] = {
    [RX_NANO_EVAL] = "^step ([0-9]+): train loss " NUM ", val loss " NUM,
    [RX_NANO_ITER] = "^iter ([0-9]+): loss " NUM,
    [RX_LLMC_STEP] = "^step +([0-9]+)(/[0-9]+)?: train loss " NUM,
    [RX_LLMC_VAL] = "^val loss " NUM,
    [RX_MINGPT] = "iter ([0-9]+): train loss " NUM,
};
static regex_t rx[RX_COUNT];
static bool rx_ready;

static void rx_init(void)
{
    if (rx_ready)
        return;
    for (int i = 0; i < RX_COUNT; i++)
        if (regcomp(&rx[i], RX_SRC[i], REG_EXTENDED) != 0) {
            log_note("internal error: a pattern does not compile: %s", RX_SRC[i]);
            exit(2);
        }
    rx_ready = true;
}

/* Group k of a match, copied into out. */
static const char *group(const char *line, const regmatch_t *m, int k, char *out, size_t n)
{
    size_t len = (size_t)(m[k].rm_eo - m[k].rm_so);
    if (len >= n)
        len = n - 1;
    memcpy(out, line + m[k].rm_so, len);
    out[len] = '\0';
    return out;
}

static bool matches(int which, const char *line, regmatch_t *m)
{
    return regexec(&rx[which], line, 10, m, 0) == 0;
}

/* The one format a console line belongs to, or FMT_AUTO. */
static enum log_format console_of(const char *line)
{
    regmatch_t m[10];
    if (matches(RX_NANO_EVAL, line, m) || matches(RX_NANO_ITER, line, m))
        return FMT_NANOGPT;
    if (matches(RX_LLMC_STEP, line, m) || matches(RX_LLMC_VAL, line, m))
        return FMT_LLMC;
    if (matches(RX_MINGPT, line, m))
        return FMT_MINGPT;
    return FMT_AUTO;
}

/* ---- one line of each format ----------------------------------------------------------- */

struct parse {
    struct log *lg;
    struct series eval_train;   /* nanoGPT's "train loss" at evaluations: the curve if no iter lines */
    long last_step;             /* llm.c: its "val loss" lines name no step */
    bool header_seen;           /* columns, CSV exports: the header row */
    int cols;                   /* CSV exports: the columns of step, train and val loss */
    int col_step, col_train, col_val;
    log_first_point_fn first;
    void *ctx;
    bool told;
};

static void tell_first(struct parse *p)
{
    if (!p->told && p->first && p->lg->train.n == 1) {
        p->told = true;
        p->first(p->lg, p->ctx);
    }
}

/* tiedlab: a '#' line's V=, H=, V_*= and start= words; others are ignored. */
static bool tiedlab_header(struct log *lg, char *line, long lineno)
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
            if (!log_parse_long(val, &v) || v < MIN_VOCAB) {
                log_note(_("%s:%ld: header V=%s is not a vocabulary size (integer >= %ld)"), lg->path, lineno, val,
                         MIN_VOCAB);
                return false;
            }
            lg->vocab = v;
        } else if (strcmp(key, "H") == 0) {
            if (!log_parse_double(val, &h) || !isfinite(h) || h < 0) {
                log_note(_("%s:%ld: header H=%s is not an entropy floor (finite number >= 0)"), lg->path, lineno,
                         val);
                return false;
            }
            lg->has_floor = true;
            lg->floor = h;
        } else if (key[0] == 'V' && key[1] == '_') {
            if (log_parse_long(val, &v) && v >= MIN_VOCAB)
                add_other(lg, v);
        } else if (strcmp(key, "start") == 0) {
            lg->fresh_start = strcmp(val, "init") == 0;
        } else if (strcmp(key, "resumed_at") == 0) {
            if (log_parse_long(val, &v) && v >= 0)
                lg->resumed_at = v;
        }
    }
    return true;
}

/* tiedlab: "step,loss" rows, strictly: this is the lab's own log. */
static bool tiedlab_line(struct parse *p, char *line, long lineno)
{
    struct log *lg = p->lg;
    if (*line == '#')
        return tiedlab_header(lg, line, lineno);
    char *comma = strchr(line, ',');
    if (!comma || strchr(comma + 1, ',')) {
        int cols = 1;
        for (const char *q = line; *q; q++)
            cols += *q == ',';
        log_note(_("%s:%ld: expected 2 columns \"step,loss\", got %d: \"%.60s\""), lg->path, lineno, cols, line);
        return false;
    }
    *comma = '\0';
    char *s_step = log_trim(line), *s_loss = log_trim(comma + 1);
    if (strcmp(s_step, "step") == 0 && strcmp(s_loss, "loss") == 0)
        return true;
    long step;
    double loss;
    if (!log_parse_long(s_step, &step)) {
        log_note(_("%s:%ld: step \"%.60s\" is not an integer"), lg->path, lineno, s_step);
        return false;
    }
    if (!log_parse_double(s_loss, &loss)) {
        log_note(_("%s:%ld: loss \"%.60s\" is not a number"), lg->path, lineno, s_loss);
        return false;
    }
    if (!add_point(lg, &lg->train, _("training"), step, loss, lineno))
        return false;
    tell_first(p);
    return true;
}

static bool console_line(struct parse *p, const char *line, long lineno)
{
    struct log *lg = p->lg;
    regmatch_t m[10];
    char a[64], b[64], c[64];
    long step;
    double x, y;
    switch (lg->format) {
    case FMT_NANOGPT:
        if (matches(RX_NANO_ITER, line, m) && log_parse_long(group(line, m, 1, a, sizeof a), &step) &&
            log_parse_double(group(line, m, 2, b, sizeof b), &x)) {
            if (!add_point(lg, &lg->train, _("training"), step, x, lineno))
                return false;
            tell_first(p);
            return true;
        }
        if (matches(RX_NANO_EVAL, line, m) && log_parse_long(group(line, m, 1, a, sizeof a), &step) &&
            log_parse_double(group(line, m, 2, b, sizeof b), &x) && log_parse_double(group(line, m, 5, c, sizeof c), &y))
            return add_point(lg, &p->eval_train, _("training"), step, x, lineno) &&
                   add_point(lg, &lg->val, _("validation"), step, y, lineno);
        break;
    case FMT_LLMC:
        if (matches(RX_LLMC_STEP, line, m) && log_parse_long(group(line, m, 1, a, sizeof a), &step) &&
            log_parse_double(group(line, m, 3, b, sizeof b), &x)) {
            p->last_step = step;
            if (!add_point(lg, &lg->train, _("training"), step, x, lineno))
                return false;
            tell_first(p);
            return true;
        }
        if (matches(RX_LLMC_VAL, line, m) && log_parse_double(group(line, m, 1, a, sizeof a), &x)) {
            /* evaluated before the next step trains */
            step = p->last_step + 1;
            if (lg->val.n && lg->val.step[lg->val.n - 1] == step)
                lg->val.loss[lg->val.n - 1] = x;
            else if (!add_point(lg, &lg->val, _("validation"), step, x, lineno))
                return false;
            return true;
        }
        break;
    case FMT_MINGPT:
        if (matches(RX_MINGPT, line, m) && log_parse_long(group(line, m, 1, a, sizeof a), &step) &&
            log_parse_double(group(line, m, 2, b, sizeof b), &x)) {
            if (!add_point(lg, &lg->train, _("training"), step, x, lineno))
                return false;
            tell_first(p);
            return true;
        }
        break;
    default:
        break;
    }
    skip_line(lg, line, lineno);
    return true;
}

/* Fields of a CSV line, quotes removed ("a, b" stays one field). At most max. */
static int csv_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        while (*p == ' ')
            p++;
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;   /* "" inside quotes */
                *out++ = *p++;
            }
            if (*p == '"')
                p++;
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        char end = *p;
        *out = '\0';
        f[n++] = log_trim(start);
        if (end != ',')
            break;
        p++;
    }
    return n;
}

static bool lower_has(const char *s, const char *needle)
{
    char buf[256];
    size_t i = 0;
    for (; s[i] && i < sizeof buf - 1; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[i] = '\0';
    return strstr(buf, needle) != NULL;
}

static bool is_val_name(const char *s)
{
    return lower_has(s, "val") || lower_has(s, "eval") || lower_has(s, "test");
}

enum { MAX_COLS = 256 };

/* TensorBoard's and W&B's exports: a header row names the columns. */
static bool export_line(struct parse *p, char *line, long lineno)
{
    struct log *lg = p->lg;
    char *f[MAX_COLS];
    int n = csv_fields(line, f, MAX_COLS);
    if (!p->header_seen) {
        p->header_seen = true;
        p->col_step = p->col_train = p->col_val = -1;
        for (int i = 0; i < n; i++) {
            if (lg->format == FMT_TENSORBOARD) {
                if (!strcasecmp(f[i], "step"))
                    p->col_step = i;
                else if (!strcasecmp(f[i], "value"))
                    p->col_train = i;
                continue;
            }
            if (!strcasecmp(f[i], "step") || !strcasecmp(f[i], "_step") || lower_has(f[i], "global_step")) {
                if (p->col_step < 0)
                    p->col_step = i;
                continue;
            }
            const char *metric = strstr(f[i], " - ");
            metric = metric ? metric + 3 : f[i];
            if (!lower_has(metric, "loss") || lower_has(metric, "__min") || lower_has(metric, "__max"))
                continue;
            if (is_val_name(metric)) {
                if (p->col_val < 0)
                    p->col_val = i;
            } else if (p->col_train < 0) {
                p->col_train = i;
            }
        }
        if (p->col_step < 0 || (p->col_train < 0 && p->col_val < 0)) {
            log_note(_("%s:%ld: a %s export needs a step column and a loss column, got: \"%.80s\""), lg->path,
                     lineno, log_format_name(lg->format), line);
            return false;
        }
        return true;
    }
    long step;
    double x;
    bool got = false;
    if (p->col_step >= n || !parse_step(f[p->col_step], &step)) {
        skip_line(lg, f[0], lineno);
        return true;
    }
    if (p->col_train >= 0 && p->col_train < n && *f[p->col_train]) {
        if (!log_parse_double(f[p->col_train], &x)) {
            log_note(_("%s:%ld: loss \"%.60s\" is not a number"), lg->path, lineno, f[p->col_train]);
            return false;
        }
        if (!add_point(lg, &lg->train, _("training"), step, x, lineno))
            return false;
        tell_first(p);
        got = true;
    }
    if (p->col_val >= 0 && p->col_val < n && *f[p->col_val]) {
        if (!log_parse_double(f[p->col_val], &x)) {
            log_note(_("%s:%ld: loss \"%.60s\" is not a number"), lg->path, lineno, f[p->col_val]);
            return false;
        }
        if (!add_point(lg, &lg->val, _("validation"), step, x, lineno))
            return false;
        got = true;
    }
    if (!got)
        skip_line(lg, f[0], lineno);   /* W&B writes a row per logged step, some with no loss */
    return true;
}

/* Fields separated by a comma or by blanks. */
static int split_columns(char *line, char **f, int max)
{
    if (strchr(line, ','))
        return csv_fields(line, f, max);
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t", &save); w && n < max; w = strtok_r(NULL, " \t", &save))
        f[n++] = w;
    return n;
}

/* Plain columns: step and loss, and a third for validation if the header
 * names it so; a header row only before the data. */
static bool columns_line(struct parse *p, char *line, long lineno)
{
    struct log *lg = p->lg;
    char *f[8];
    int n = split_columns(line, f, 8);
    long step;
    double x, y;
    if (n >= 2 && parse_step(f[0], &step) && log_parse_double(f[1], &x)) {
        if (!add_point(lg, &lg->train, _("training"), step, x, lineno))
            return false;
        tell_first(p);
        if (n >= 3 && p->col_val == 2 && log_parse_double(f[2], &y) &&
            !add_point(lg, &lg->val, _("validation"), step, y, lineno))
            return false;
        return true;
    }
    if (!p->header_seen && lg->train.n == 0 && n >= 2 && !parse_step(f[0], &step)) {
        p->header_seen = true;
        p->col_val = n >= 3 && is_val_name(f[2]) ? 2 : -1;
        return true;
    }
    skip_line(lg, line, lineno);
    return true;
}

/* ---- trainer_state.json ------------------------------------------------------------------- */

/* Python's json writes NaN, Infinity and -Infinity bare, which JSON has no
 * word for: outside strings they become the strings "NaN", ... */
static char *quote_python_numbers(const char *in, size_t len, size_t *out_len)
{
    char *out = log_realloc(NULL, len * 3 + 1);
    size_t o = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        if (in_str) {
            out[o++] = ch;
            if (ch == '\\' && i + 1 < len)
                out[o++] = in[++i];
            else if (ch == '"')
                in_str = false;
            continue;
        }
        static const char *const words[] = { "-Infinity", "Infinity", "NaN" };
        bool done = false;
        for (size_t w = 0; w < 3 && !done; w++) {
            size_t wl = strlen(words[w]);
            if (i + wl <= len && memcmp(in + i, words[w], wl) == 0) {
                out[o++] = '"';
                memcpy(out + o, words[w], wl);
                o += wl;
                out[o++] = '"';
                i += wl - 1;
                done = true;
            }
        }
        if (done)
            continue;
        if (ch == '"')
            in_str = true;
        out[o++] = ch;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static bool json_loss(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    return json_is_string(v) && log_parse_double(json_string_value(v), out);
}

static bool hf_read(struct parse *p, const char *text, size_t len)
{
    struct log *lg = p->lg;
    size_t qlen;
    char *q = quote_python_numbers(text, len, &qlen);
    json_error_t err;
    json_t *root = json_loadb(q, qlen, 0, &err);
    free(q);
    if (!root) {
        log_note(_("%s:%d:%d: not JSON: %s"), lg->path, err.line, err.column, err.text);
        return false;
    }
    json_t *hist = json_is_object(root) ? json_object_get(root, "log_history") : NULL;
    if (!json_is_array(hist)) {
        log_note(_("%s: no \"log_history\" list: not a Trainer's trainer_state.json"), lg->path);
        json_decref(root);
        return false;
    }
    bool ok = true;
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e) {
        long line = (long)i + 1;   /* the entry's number, for messages */
        json_t *st = json_object_get(e, "step");
        double x;
        if (!json_is_integer(st))
            continue;   /* not a point of any curve */
        long step = (long)json_integer_value(st);
        /* an entry has a training loss, an evaluation loss, or neither (the
         * run's summary at the end, learning rates): nothing to say then */
        if (json_loss(json_object_get(e, "loss"), &x)) {
            ok = add_point(lg, &lg->train, _("training"), step, x, line);
            tell_first(p);
        }
        if (ok && json_loss(json_object_get(e, "eval_loss"), &x))
            ok = add_point(lg, &lg->val, _("validation"), step, x, line);
        if (!ok)
            break;
    }
    json_decref(root);
    if (ok && lg->train.n == 0 && lg->val.n == 0) {
        log_note(_("%s: log_history has no \"loss\" or \"eval_loss\" entry"), lg->path);
        return false;
    }
    return ok;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* The format a line shows, judging from the lines so far (first: the first
 * non-empty one), or FMT_AUTO while it cannot tell. */
static enum log_format detect(const char *line, bool first)
{
    if (first && line[0] == '{')
        return FMT_HF;
    if (line[0] == '#' && (strstr(line, "V=") || strstr(line, "H=") || strstr(line, "tiedlab")))
        return FMT_TIEDLAB;
    if (first) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", line);
        char *f[MAX_COLS];
        int n = csv_fields(buf, f, MAX_COLS);
        if (n == 3 && !strcasecmp(f[0], "wall time") && !strcasecmp(f[1], "step") && !strcasecmp(f[2], "value"))
            return FMT_TENSORBOARD;
        if (n >= 2 && (!strcasecmp(f[0], "step") || !strcasecmp(f[0], "_step")) && strstr(line, " - "))
            return FMT_WANDB;
    }
    enum log_format c = console_of(line);
    if (c != FMT_AUTO)
        return c;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    char *f[8];
    long step;
    double x;
    if (split_columns(buf, f, 8) >= 2 && parse_step(f[0], &step) && log_parse_double(f[1], &x))
        return FMT_COLUMNS;
    return FMT_AUTO;
}

static bool one_line(struct parse *p, char *line, long lineno)
{
    switch (p->lg->format) {
    case FMT_TIEDLAB:     return tiedlab_line(p, line, lineno);
    case FMT_NANOGPT:
    case FMT_LLMC:
    case FMT_MINGPT:      return console_line(p, line, lineno);
    case FMT_TENSORBOARD:
    case FMT_WANDB:       return export_line(p, line, lineno);
    case FMT_COLUMNS:     return columns_line(p, line, lineno);
    default:              skip_line(p->lg, line, lineno); return true;
    }
}

struct held { char **line; long *lineno; size_t n, cap; };

static void hold(struct held *h, const char *line, long lineno)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->line = log_realloc(h->line, h->cap * sizeof *h->line);
        h->lineno = log_realloc(h->lineno, h->cap * sizeof *h->lineno);
    }
    h->line[h->n] = strdup(line);
    if (!h->line[h->n]) {
        log_note("%s", _("out of memory"));
        exit(2);
    }
    h->lineno[h->n++] = lineno;
}

static void held_free(struct held *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->line[i]);
    free(h->line);
    free(h->lineno);
}

/* The rest of f, after the line `start`, in one buffer (for JSON). */
static char *slurp(FILE *f, const char *start, size_t *len)
{
    size_t cap = strlen(start) + 65536, n = strlen(start);
    char *buf = log_realloc(NULL, cap);
    memcpy(buf, start, n);
    buf[n++] = '\n';
    for (;;) {
        if (cap - n < 65536)
            buf = log_realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    *len = n;
    return buf;
}

bool log_read(struct log *lg, const char *path, enum log_format format, log_first_point_fn first, void *ctx)
{
    memset(lg, 0, sizeof *lg);
    lg->path = path;
    lg->resumed_at = -1;
    lg->format = format;
    rx_init();
    bool use_stdin = strcmp(path, "-") == 0;
    FILE *f = use_stdin ? stdin : fopen(path, "r");
    if (!f) {
        log_note(_("%s: cannot open: %s"), path, strerror(errno));
        return false;
    }
    struct parse p = { .lg = lg, .last_step = -1, .col_val = -1, .first = first, .ctx = ctx };
    struct held held = { 0 };
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t got;
    long lineno = 0;
    bool ok = true, seen_text = false;
    while (ok && (got = getline(&buf, &bufcap, f)) != -1) {
        lineno++;
        if (memchr(buf, '\0', (size_t)got)) {
            log_note(_("%s:%ld: holds NUL bytes: a binary file, not a training log"), path, lineno);
            ok = false;
            break;
        }
        char *line = log_trim(buf);
        if (*line == '\0')
            continue;
        if (lg->format == FMT_AUTO) {
            lg->format = detect(line, !seen_text);
            seen_text = true;
            if (lg->format == FMT_AUTO) {   /* banners before the first loss line */
                hold(&held, line, lineno);
                continue;
            }
        }
        if (lg->format == FMT_HF) {
            size_t len;
            char *all = slurp(f, buf, &len);
            if (held.n) {   /* JSON forced on a file that begins with other lines */
                log_note(_("%s:%ld: trainer_state.json must begin with '{'"), path, held.lineno[0]);
                ok = false;
            } else {
                ok = hf_read(&p, all, len);
            }
            free(all);
            break;
        }
        /* what came before the format showed: parsed as it, now that it is known */
        for (size_t i = 0; i < held.n && ok; i++)
            ok = one_line(&p, held.line[i], held.lineno[i]);
        held_free(&held);
        memset(&held, 0, sizeof held);
        if (ok)
            ok = one_line(&p, line, lineno);
    }
    if (ok && ferror(f)) {
        log_note(_("%s:%ld: read error: %s"), path, lineno + 1, strerror(errno));
        ok = false;
    }
    for (size_t i = 0; i < held.n; i++)
        skip_line(lg, held.line[i], held.lineno[i]);
    held_free(&held);
    free(buf);
    if (!use_stdin)
        fclose(f);
    /* nanoGPT without iter lines: its evaluations are the training curve */
    if (ok && lg->train.n == 0 && p.eval_train.n) {
        lg->train = p.eval_train;
        memset(&p.eval_train, 0, sizeof p.eval_train);
        tell_first(&p);
    }
    series_free(&p.eval_train);
    if (ok && lg->train.n == 0 && lg->val.n == 0) {
        if (lg->format == FMT_TIEDLAB)
            log_note(_("%s:%ld: no data rows (expected \"step,loss\" lines)"), path, lineno > 0 ? lineno : 1);
        else if (lg->format == FMT_AUTO || lg->format == FMT_COLUMNS)
            log_note(_("%s: no loss line in %ld lines (formats read: %s)"), path, lineno, log_format_names());
        else
            log_note(_("%s: no loss line in %ld lines read as %s"), path, lineno, log_format_name(lg->format));
        ok = false;
    }
    if (ok && lg->train.n == 0) {   /* validation only: judge it as the curve */
        lg->train = lg->val;
        memset(&lg->val, 0, sizeof lg->val);
    }
    if (!ok)
        log_free(lg);
    return ok;
}

void log_free(struct log *lg)
{
    free(lg->others);
    lg->others = NULL;
    lg->n_others = 0;
    series_free(&lg->train);
    series_free(&lg->val);
}
