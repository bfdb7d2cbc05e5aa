/* logformats.h — the training logs losscheck reads, told apart by their
 * content: tiedlab's CSV, the console output of nanoGPT, llm.c and minGPT,
 * Hugging Face Trainer's trainer_state.json, TensorBoard's and Weights &
 * Biases' CSV exports, and plain step/loss columns. Each becomes one or two
 * curves, training and validation, of (step, loss) points.
 */
#ifndef TL_LOGFORMATS_H
#define TL_LOGFORMATS_H

#include <stdbool.h>
#include <stddef.h>

enum log_format {
    FMT_AUTO,          /* detected from the content */
    FMT_TIEDLAB,       /* "# V=256 H=1.08 ..." header lines, then step,loss rows */
    FMT_NANOGPT,       /* "iter N: loss X, time ...", "step N: train loss X, val loss Y" */
    FMT_LLMC,          /* "step N/M: train loss X ...", "val loss X" */
    FMT_MINGPT,        /* "... iter N: train loss X ..." */
    FMT_HF,            /* trainer_state.json: log_history[].loss, .eval_loss, .step */
    FMT_TENSORBOARD,   /* CSV "Wall time,Step,Value" */
    FMT_WANDB,         /* CSV "Step,<run> - loss,<run> - loss__MIN,..." */
    FMT_COLUMNS        /* "step loss" (comma or blanks), an optional header row */
};

struct series {
    long *step;
    double *loss;
    long *line;        /* where each point came from, for messages */
    size_t n, cap;
};

struct log {
    const char *path;          /* as given: "-" is standard input */
    enum log_format format;
    long vocab;                /* V the log itself names (tiedlab's header), 0: none */
    bool has_floor;
    double floor;              /* H, the entropy-rate floor, when the log names it */
    long *others;              /* other vocabulary sizes V' the header names */
    size_t n_others;
    bool fresh_start;          /* the log says it starts from init (tiedlab: start=init) */
    long resumed_at;           /* a step where the log says it resumed, -1: none */
    struct series train, val;
    size_t skipped;            /* lines that held no loss, and the first of them */
    long first_skipped;
    char first_skipped_text[48];
};

/* Called with the log and the training curve's first point as soon as it is
 * read, before the rest: losscheck answers "is my loss ln V?" at once when
 * it reads a run that is still going (standard input). */
typedef void (*log_first_point_fn)(const struct log *lg, void *ctx);

const char *log_format_name(enum log_format f);
/* "tiedlab", "nanogpt", ...: false for another word. */
bool log_format_from_name(const char *name, enum log_format *out);
/* The names, for a usage line: "tiedlab, nanogpt, ..." */
const char *log_format_names(void);

/* Reads a log (path "-": standard input) in `format` (FMT_AUTO: detected).
 * On bad input, prints one line naming the file and what is wrong, and
 * returns false; lg is then freed. `first` may be NULL. */
bool log_read(struct log *lg, const char *path, enum log_format format,
              log_first_point_fn first, void *ctx);
void log_free(struct log *lg);

/* The number parsing every format shares, for the command line too. */
char *log_trim(char *s);                           /* blanks and line ends off both sides */
bool log_parse_long(const char *s, long *out);     /* the whole string, base 10 */
bool log_parse_double(const char *s, double *out); /* the whole string; nan and inf too */

/* "losscheck: " and the message, one line on stderr. */
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* realloc, or "out of memory" and exit 2. */
void *log_realloc(void *p, size_t n);

#endif
