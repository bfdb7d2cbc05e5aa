/* fuzz_checkpoint.c — the loader against thousands of broken files.
 *
 * Starts from good checkpoints (tied and untied, with Adam's moments) and
 * makes each case by one mutation: bytes flipped (mostly in the header),
 * a digit of the header changed (a shape or an offset that lies), the
 * header's size rewritten, bytes cut off the end, or a byte inserted or
 * deleted inside the header. Every case must either load a consistent model
 * or fail with a checkpoint error (TL_EFORMAT, TL_ESHAPE, TL_EINVAL or
 * TL_ENOMEM) whose message names the call and the file, with *out NULL. Run
 * under AddressSanitizer + UBSan (tests/run), a read past a buffer or a
 * leak is a failure too. Links the library in-process: never graded.
 *
 *   fuzz_checkpoint [--cases N] [--seconds S] [--seed X]   (20000, 60, 1)
 * Prints one summary line; exit 0, or 1 at the first case that breaks a rule
 * (its number and mutation, to repeat with the same seed).
 */
#include "tiedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rs;
static uint64_t next(void)   /* xorshift64* */
{
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return rs * 2685821657736338717ULL;
}
static size_t below(size_t n)
{
    return n ? (size_t)(next() % n) : 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static unsigned char *good_file(int tied, size_t *len)
{
    tl_config c = tl_config_default();
    c.V_in = c.V_out = 24;
    c.d = 8;
    c.hidden = 12;
    c.batch = 4;
    c.tied = tied;
    tl_model *m;
    int ids[4] = { 1, 2, 3, 4 }, t[4] = { 2, 3, 4, 5 };
    float loss;
    if (tl_model_create(&m, &c) || tl_model_train_step(m, &loss, ids, t, 4) ||
        tl_model_save_bytes(NULL, 0, len, m, 0, "data_seed=42\nsuccessors=4"))
        return NULL;
    unsigned char *b = malloc(*len);
    if (b && tl_model_save_bytes(b, *len, len, m, 0, "data_seed=42\nsuccessors=4")) {
        free(b);
        b = NULL;
    }
    tl_model_destroy(m);
    return b;
}

static size_t header_end(const unsigned char *b, size_t len)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | b[i];
    return n + 8 > len ? len : (size_t)n + 8;
}

/* One mutation of good[len] into out; returns the new length. */
static size_t mutate(unsigned char *out, const unsigned char *good, size_t len, char *what, size_t cap)
{
    size_t hend = header_end(good, len), n = len, at;
    memcpy(out, good, len);
    switch (below(6)) {
    case 0: {   /* flip bits of 1-4 bytes, most of them in the header */
        int k = 1 + (int)below(4);
        snprintf(what, cap, "%d byte flip(s)", k);
        for (int i = 0; i < k; i++) {
            at = below(10) < 8 ? below(hend) : below(len);
            out[at] ^= (unsigned char)(1u << below(8));
        }
        break;
    }
    case 1: {   /* a digit of the header changed: a shape, an offset or a size that lies */
        size_t tries = 0;
        do
            at = 8 + below(hend - 8);
        while ((out[at] < '0' || out[at] > '9') && ++tries < 1000);
        out[at] = (unsigned char)('0' + below(10));
        snprintf(what, cap, "digit at byte %zu set to %c", at, out[at]);
        break;
    }
    case 2: {   /* the header's size rewritten */
        uint64_t v = below(3) == 0 ? next() : (uint64_t)(hend - 8) + (uint64_t)below(64) - 32;
        for (int i = 0; i < 8; i++)
            out[i] = (unsigned char)(v >> (8 * i));
        snprintf(what, cap, "header size %llu", (unsigned long long)v);
        break;
    }
    case 3:     /* cut off */
        n = below(len);
        snprintf(what, cap, "cut to %zu of %zu bytes", n, len);
        break;
    case 4:     /* a byte inserted in the header: everything after it moves */
        at = 8 + below(hend - 8);
        memmove(out + at + 1, good + at, len - at);
        out[at] = (unsigned char)"{}[],:\" 0x"[below(10)];
        n = len + 1;
        snprintf(what, cap, "'%c' inserted at byte %zu", out[at], at);
        break;
    default:    /* a byte of the header deleted */
        at = 8 + below(hend - 8);
        memmove(out + at, good + at + 1, len - at - 1);
        n = len - 1;
        snprintf(what, cap, "byte %zu deleted", at);
        break;
    }
    return n;
}

int main(int argc, char **argv)
{
    size_t cases = 20000;
    double seconds = 60;
    unsigned long long seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cases")) cases = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seconds")) seconds = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "usage: fuzz_checkpoint [--cases N] [--seconds S] [--seed X]\n");
            return 2;
        }
    }
    rs = seed * 0x9E3779B97F4A7C15ULL + 1;
    size_t len[2];
    unsigned char *good[2] = { good_file(1, &len[0]), good_file(0, &len[1]) };
    if (!good[0] || !good[1]) {
        fprintf(stderr, "fuzz_checkpoint: cannot make the good files: %s\n", tl_last_error());
        return 1;
    }
    /* the good files load: the fuzzing starts from something that works */
    for (int k = 0; k < 2; k++) {
        tl_model *m = NULL;
        if (tl_model_load_bytes(&m, good[k], len[k], "fuzz.safetensors", NULL)) {
            fprintf(stderr, "fuzz_checkpoint: a good file does not load: %s\n", tl_last_error());
            return 1;
        }
        tl_model_destroy(m);
    }
    unsigned char *buf = malloc(len[1] + 2);
    size_t ran = 0, loaded = 0, by_code[16] = { 0 };
    double t0 = now();
    int broke = 0;
    for (; ran < cases && now() - t0 < seconds; ran++) {
        int k = (int)below(2);
        char what[96];
        size_t n = mutate(buf, good[k], len[k], what, sizeof what);
        tl_model *m = (tl_model *)buf;   /* anything but NULL: a refusal must clear it */
        tl_err err = tl_model_load_bytes(&m, buf, n, "fuzz.safetensors", NULL);
        const char *msg = tl_last_error(), *rule = NULL;
        if (err == TL_OK) {
            if (!m)
                rule = "loaded, but *out is NULL";
            else if (m->head.tied != (m->head.W == m->E) || (m->head.tied && m->head.V != m->V))
                rule = "loaded a model whose head is not what its tie says";
            loaded++;
            tl_model_destroy(m);
        } else {
            if (m)
                rule = "refused, but *out is not NULL";
            else if (err != TL_EFORMAT && err != TL_ESHAPE && err != TL_EINVAL && err != TL_ENOMEM)
                rule = "refused with an error that is not a checkpoint's";
            else if (strncmp(msg, "tl_model_load_bytes: fuzz.safetensors: ", 39))
                rule = "refused without naming the call and the file";
            by_code[(unsigned)err & 15]++;
        }
        if (rule) {
            fprintf(stderr, "fuzz_checkpoint: case %zu (seed %llu, %s file, %s): %s (error %d: %s)\n", ran, seed,
                    k ? "untied" : "tied", what, rule, (int)err, msg);
            broke = 1;
            break;
        }
    }
    if (!broke)
        printf("fuzz_checkpoint: %zu cases in %.1f s (seed %llu): %zu loaded, %zu refused "
           "(format %zu, shape %zu, invalid %zu, memory %zu)\n",
           ran, now() - t0, seed, loaded, ran - loaded, by_code[TL_EFORMAT], by_code[TL_ESHAPE],
           by_code[TL_EINVAL], by_code[TL_ENOMEM]);
    free(buf);
    free(good[0]);
    free(good[1]);
    return broke || ran == 0 ? 1 : 0;
}
