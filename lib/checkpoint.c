/* checkpoint.c — a model to and from safetensors bytes.
 *
 * A tied model's head is its embedding, so the file stores E once
 * (embed.weight) and says tied=1 in __metadata__; an untied model's head is
 * a tensor of its own (lm_head.weight). Loading builds the model the
 * metadata describes, so a tied head reads the loaded E itself, and checks
 * every byte range and shape before it trusts one: a header is data from
 * outside, parsed with jansson, never by hand.
 */
#include "tiedlab.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT      "tiedlab"
#define VERSION     "1"
#define HEADER_MAX  ((size_t)100 << 20)   /* safetensors' own limit on a header */
#define MAX_TENSORS 32
#define MAX_DIM     ((size_t)1 << 24)     /* no size of this model is near it */

/* ---- the tensors of a model ------------------------------------------------ */

typedef struct {
    const char *name;    /* in the file */
    const char *param;   /* in the optimizer (model.c's register_params) */
    size_t ndim, shape[2];
    float *w;            /* the model's buffer; NULL before there is a model */
} slot;

/* The weights a model with this config has, in file order; m may be NULL. */
static size_t slots_of(slot s[6], const tl_config *c, const tl_model *m)
{
    size_t n = 0;
    s[n++] = (slot){ "embed.weight", "E", 2, { c->V_in, c->d }, m ? m->E : NULL };
    s[n++] = (slot){ "block.norm.weight", "g1", 1, { c->d, 0 }, m ? m->g1 : NULL };
    s[n++] = (slot){ "block.up.weight", "W1", 2, { c->hidden, c->d }, m ? m->W1 : NULL };
    s[n++] = (slot){ "block.down.weight", "W2", 2, { c->d, c->hidden }, m ? m->W2 : NULL };
    s[n++] = (slot){ "norm.weight", "g2", 1, { c->d, 0 }, m ? m->g2 : NULL };
    if (!c->tied)   /* a tied head is embed.weight: nothing more to store */
        s[n++] = (slot){ "lm_head.weight", "head.W", 2, { c->V_out, c->d }, m ? m->head.W : NULL };
    return n;
}

static size_t numel(const slot *s)
{
    return s->ndim == 1 ? s->shape[0] : s->shape[0] * s->shape[1];
}

/* ---- bytes: little-endian on every host ------------------------------------ */

static void put_u64le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_floats(unsigned char *dst, const float *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        for (int k = 0; k < 4; k++)
            dst[4 * i + (size_t)k] = (unsigned char)(u >> (8 * k));
    }
#else
    memcpy(dst, src, n * sizeof(float));
#endif
}

static void get_floats(float *dst, const unsigned char *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 |
                     (uint32_t)src[4 * i + 2] << 16 | (uint32_t)src[4 * i + 3] << 24;
        memcpy(&dst[i], &u, 4);
    }
#else
    memcpy(dst, src, n * sizeof(float));
#endif
}

/* ---- saving ------------------------------------------------------------------ */

static const char *const own_keys[] = {
    "format", "version", "tied", "V_in", "V_out", "d", "hidden", "init_std", "softcap",
    "lr", "steps", "batch", "seed", "optim", "head_kernel", "step",
};

static int set_str(json_t *obj, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_str(json_t *obj, const char *key, const char *fmt, ...)
{
    char v[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    return json_object_set_new(obj, key, json_string(v));
}

/* x in the fewest digits that read back as x: 0.01, not 0.00999999978 */
static int set_float(json_t *obj, const char *key, float x)
{
    char v[32];
    for (int p = 6; p <= 9; p++) {
        snprintf(v, sizeof v, "%.*g", p, (double)x);
        if (strtof(v, NULL) == x)
            break;
    }
    return json_object_set_new(obj, key, json_string(v));
}

/* The caller's "key=value" lines into meta: keys of letters, digits, '_',
 * '.' and '-', none of the library's own, values without control bytes. */
static tl_err add_caller_meta(json_t *meta, const char *lines)
{
    for (const char *p = lines; p && *p;) {
        size_t n = strcspn(p, "\n");
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : 0;
        if (n == 0) {
            p++;
            continue;
        }
        if (!eq || klen == 0 || klen > 63)
            return tl_fail(TL_EINVAL, "tl_model_save_bytes: meta line '%.*s' is not key=value", (int)(n > 60 ? 60 : n), p);
        char key[64];
        memcpy(key, p, klen);
        key[klen] = '\0';
        if (strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != klen)
            return tl_fail(TL_EINVAL, "tl_model_save_bytes: meta key '%s' has characters other than letters, digits, _ . -", key);
        for (size_t i = 0; i < sizeof own_keys / sizeof own_keys[0]; i++)
            if (!strcmp(key, own_keys[i]))
                return tl_fail(TL_EINVAL, "tl_model_save_bytes: meta key '%s' is the library's own", key);
        size_t vlen = n - klen - 1;
        for (size_t i = 0; i < vlen; i++)
            if ((unsigned char)eq[1 + i] < 0x20)
                return tl_fail(TL_EINVAL, "tl_model_save_bytes: meta value of '%s' has a control character", key);
        if (json_object_set_new(meta, key, json_stringn(eq + 1, vlen)))
            return tl_fail(TL_EINVAL, "tl_model_save_bytes: meta value of '%s' is not UTF-8", key);
        p += n;
    }
    return TL_OK;
}

typedef struct {
    char name[64];
    const float *w;
    size_t n, ndim, shape[2];
} out_tensor;

tl_err tl_model_save_bytes(void *buf, size_t cap, size_t *len, const tl_model *m,
                           unsigned flags, const char *meta_lines)
{
    if (!len || !m || (!buf && cap))
        return tl_fail(TL_EINVAL, "tl_model_save_bytes: NULL argument");
    if (flags & ~TL_SAVE_WEIGHTS_ONLY)
        return tl_fail(TL_EINVAL, "tl_model_save_bytes: unknown flags %#x", flags & ~TL_SAVE_WEIGHTS_ONLY);
    tl_config c = m->cfg;
    c.V_in = m->V;
    c.tied = m->head.tied;
    if (!c.tied)
        c.V_out = m->head.V;
    slot s[6];
    size_t ns = slots_of(s, &c, m), nt = 0;
    out_tensor t[3 * 6];
    for (size_t i = 0; i < ns; i++)
        t[nt++] = (out_tensor){ .w = s[i].w, .n = numel(&s[i]), .ndim = s[i].ndim,
                                .shape = { s[i].shape[0], s[i].shape[1] } };
    for (size_t i = 0; i < ns; i++)
        snprintf(t[i].name, sizeof t[i].name, "%s", s[i].name);
    int moments = c.optim == TL_ADAM && !(flags & TL_SAVE_WEIGHTS_ONLY);
    for (size_t i = 0; moments && i < ns; i++) {
        float *mm = NULL, *vv = NULL;
        size_t n = 0;
        tl_err err = tl_optim_moments(m->opt, s[i].param, &mm, &vv, &n);
        if (err)
            return err;
        if (!mm || !vv || n != numel(&s[i]))
            return tl_fail(TL_EINVAL, "tl_model_save_bytes: the optimizer holds %zu moments for '%s', the model %zu",
                           n, s[i].param, numel(&s[i]));
        out_tensor base = t[i];
        base.w = mm;
        snprintf(base.name, sizeof base.name, "adam.m.%s", s[i].name);
        t[nt++] = base;
        base.w = vv;
        snprintf(base.name, sizeof base.name, "adam.v.%s", s[i].name);
        t[nt++] = base;
    }

    json_t *root = json_object(), *meta = json_object();
    if (!root || !meta) {
        json_decref(root);
        json_decref(meta);
        return tl_fail(TL_ENOMEM, "tl_model_save_bytes: out of memory");
    }
    json_object_set_new(root, "__metadata__", meta);
    set_str(meta, "format", FORMAT);
    set_str(meta, "version", VERSION);
    set_str(meta, "tied", "%d", c.tied ? 1 : 0);
    set_str(meta, "V_in", "%zu", c.V_in);
    set_str(meta, "V_out", "%zu", c.V_out);
    set_str(meta, "d", "%zu", c.d);
    set_str(meta, "hidden", "%zu", c.hidden);
    set_float(meta, "init_std", c.init_std);
    set_float(meta, "softcap", c.softcap);
    set_float(meta, "lr", c.lr);
    set_str(meta, "steps", "%zu", c.steps);
    set_str(meta, "batch", "%zu", c.batch);
    set_str(meta, "seed", "%llu", (unsigned long long)c.seed);
    set_str(meta, "optim", "%s", c.optim == TL_ADAM ? "adam" : "sgd");
    set_str(meta, "head_kernel", "%s", c.head_kernel == TL_HEAD_REFERENCE ? "reference"
                                        : c.head_kernel == TL_HEAD_FUSED   ? "fused" : "fast");
    set_str(meta, "step", "%zu", tl_optim_steps(m->opt));
    tl_err err = add_caller_meta(meta, meta_lines);
    size_t at = 0;
    for (size_t i = 0; !err && i < nt; i++) {
        json_t *shape = t[i].ndim == 1 ? json_pack("[I]", (json_int_t)t[i].shape[0])
                                       : json_pack("[II]", (json_int_t)t[i].shape[0], (json_int_t)t[i].shape[1]);
        size_t bytes = t[i].n * sizeof(float);
        json_t *e = json_pack("{s:s, s:o, s:[II]}", "dtype", "F32", "shape", shape, "data_offsets",
                              (json_int_t)at, (json_int_t)(at + bytes));
        if (!e || json_object_set_new(root, t[i].name, e))
            err = tl_fail(TL_ENOMEM, "tl_model_save_bytes: out of memory");
        at += bytes;
    }
    char *header = err ? NULL : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (err)
        return err;
    if (!header)
        return tl_fail(TL_ENOMEM, "tl_model_save_bytes: out of memory");
    size_t hlen = strlen(header), hpad = (hlen + 7) / 8 * 8;   /* data 8-byte aligned */
    size_t total = 8 + hpad + at;
    *len = total;
    if (!buf) {
        free(header);
        return TL_OK;
    }
    if (cap < total) {
        free(header);
        return tl_fail(TL_ESHAPE, "tl_model_save_bytes: the checkpoint needs %zu bytes, the buffer has %zu", total, cap);
    }
    unsigned char *p = buf;
    put_u64le(p, hpad);
    memcpy(p + 8, header, hlen);
    memset(p + 8 + hlen, ' ', hpad - hlen);
    free(header);
    p += 8 + hpad;
    for (size_t i = 0; i < nt; i++) {
        put_floats(p, t[i].w, t[i].n);
        p += t[i].n * sizeof(float);
    }
    return TL_OK;
}

/* ---- loading: the header, checked against the bytes --------------------------- */

typedef struct {
    const char *name;
    size_t ndim, shape[8];
    size_t begin, end;       /* into the data, after the header */
    int used;
} in_tensor;

typedef struct {
    const char *fn, *file;
    json_t *root, *meta;
    in_tensor t[MAX_TENSORS];
    size_t nt;
    const unsigned char *data;
    size_t data_len;
} ckpt;

#define BAD(f, err, ...) bad((f), (err), __VA_ARGS__)
static tl_err bad(const ckpt *f, tl_err err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static tl_err bad(const ckpt *f, tl_err err, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return tl_fail(err, "%s: %s: %s", f->fn, f->file, what);
}

static int by_begin(const void *a, const void *b)
{
    const in_tensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static int json_size(const json_t *j, size_t *out)
{
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return 0;
    *out = (size_t)json_integer_value(j);
    return 1;
}

static tl_err read_tensor(ckpt *f, const char *key, json_t *e)
{
    if (f->nt == MAX_TENSORS)
        return BAD(f, TL_EFORMAT, "more than %d tensors: not a tiedlab checkpoint", MAX_TENSORS);
    in_tensor *t = &f->t[f->nt];
    *t = (in_tensor){ .name = key };
    if (!json_is_object(e) || json_object_size(e) != 3)
        return BAD(f, TL_EFORMAT, "tensor '%s' is not an object of dtype, shape and data_offsets", key);
    json_t *dtype = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape"),
           *off = json_object_get(e, "data_offsets");
    if (!json_is_string(dtype) || !json_is_array(shape) || !json_is_array(off))
        return BAD(f, TL_EFORMAT, "tensor '%s' is not an object of dtype, shape and data_offsets", key);
    if (strcmp(json_string_value(dtype), "F32"))
        return BAD(f, TL_EFORMAT, "tensor '%s' has dtype %.16s; tiedlab stores F32 only", key, json_string_value(dtype));
    t->ndim = json_array_size(shape);
    if (t->ndim > 8)
        return BAD(f, TL_EFORMAT, "tensor '%s' has %zu dimensions", key, t->ndim);
    size_t n = 1;
    for (size_t i = 0; i < t->ndim; i++) {
        if (!json_size(json_array_get(shape, i), &t->shape[i]) || t->shape[i] > MAX_DIM)
            return BAD(f, TL_EFORMAT, "tensor '%s' has a dimension that is not a size up to %zu", key, MAX_DIM);
        if (__builtin_mul_overflow(n, t->shape[i], &n))
            return BAD(f, TL_EFORMAT, "tensor '%s' has more elements than memory holds", key);
    }
    if (json_array_size(off) != 2 || !json_size(json_array_get(off, 0), &t->begin) ||
        !json_size(json_array_get(off, 1), &t->end) || t->begin > t->end)
        return BAD(f, TL_EFORMAT, "tensor '%s' has data_offsets that are not [begin, end] with begin <= end", key);
    if (t->end > f->data_len)
        return BAD(f, TL_EFORMAT, "tensor '%s' ends at byte %zu of the data, which has %zu (truncated?)",
                   key, t->end, f->data_len);
    size_t bytes;
    if (__builtin_mul_overflow(n, sizeof(float), &bytes) || bytes != t->end - t->begin)
        return BAD(f, TL_EFORMAT, "tensor '%s' has %zu elements (%zu bytes of F32), but data_offsets give %zu bytes",
                   key, n, n * sizeof(float), t->end - t->begin);
    f->nt++;
    return TL_OK;
}

static tl_err parse(ckpt *f, const unsigned char *bytes, size_t len)
{
    if (len < 8)
        return BAD(f, TL_EFORMAT, "%zu bytes is too short for a safetensors file (8 bytes of header size first)", len);
    uint64_t hlen = get_u64le(bytes);
    if (hlen > len - 8)
        return BAD(f, TL_EFORMAT, "the header says it is %llu bytes, but only %zu bytes follow (truncated?)",
                   (unsigned long long)hlen, len - 8);
    if (hlen > HEADER_MAX)
        return BAD(f, TL_EFORMAT, "a header of %llu bytes is over safetensors' limit of %zu",
                   (unsigned long long)hlen, HEADER_MAX);
    if (hlen < 2 || bytes[8] != '{')
        return BAD(f, TL_EFORMAT, "the header does not start with '{': not a safetensors file");
    json_error_t je;
    f->root = json_loadb((const char *)bytes + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!f->root)
        return BAD(f, TL_EFORMAT, "the header is not JSON: %s (at byte %d)", je.text, je.position);
    if (!json_is_object(f->root))
        return BAD(f, TL_EFORMAT, "the header is not a JSON object");
    f->data = bytes + 8 + hlen;
    f->data_len = len - 8 - (size_t)hlen;
    const char *key;
    json_t *e;
    json_object_foreach(f->root, key, e) {
        if (!strcmp(key, "__metadata__")) {
            f->meta = e;
            continue;
        }
        tl_err err = read_tensor(f, key, e);
        if (err)
            return err;
    }
    /* the ranges, in order, must tile the data: no overlap, no gap */
    in_tensor sorted[MAX_TENSORS];
    memcpy(sorted, f->t, f->nt * sizeof *sorted);
    qsort(sorted, f->nt, sizeof *sorted, by_begin);
    size_t at = 0;
    for (size_t i = 0; i < f->nt; i++) {
        if (sorted[i].begin < at)
            return BAD(f, TL_EFORMAT, "tensors '%s' (bytes %zu-%zu) and '%s' (bytes %zu-%zu) overlap",
                       sorted[i - 1].name, sorted[i - 1].begin, sorted[i - 1].end,
                       sorted[i].name, sorted[i].begin, sorted[i].end);
        if (sorted[i].begin > at)
            return BAD(f, TL_EFORMAT, "bytes %zu-%zu of the data belong to no tensor", at, sorted[i].begin);
        at = sorted[i].end;
    }
    if (at != f->data_len)
        return BAD(f, TL_EFORMAT, "%zu bytes after the last tensor belong to no tensor", f->data_len - at);
    if (!f->meta)
        return BAD(f, TL_EFORMAT, "no __metadata__: not a tiedlab checkpoint");
    if (!json_is_object(f->meta))
        return BAD(f, TL_EFORMAT, "__metadata__ is not an object of strings");
    json_object_foreach(f->meta, key, e)
        if (!json_is_string(e))
            return BAD(f, TL_EFORMAT, "__metadata__ value of '%s' is not a string", key);
    json_t *fmt = json_object_get(f->meta, "format");
    if (!fmt || strcmp(json_string_value(fmt), FORMAT))
        return BAD(f, TL_EFORMAT, "__metadata__ format is '%.32s', not '" FORMAT "': not a tiedlab checkpoint",
                   fmt ? json_string_value(fmt) : "(none)");
    json_t *ver = json_object_get(f->meta, "version");
    if (!ver || strcmp(json_string_value(ver), VERSION))
        return BAD(f, TL_EFORMAT, "__metadata__ version is '%.32s'; this library reads version " VERSION,
                   ver ? json_string_value(ver) : "(none)");
    return TL_OK;
}

/* ---- the config in __metadata__ ------------------------------------------------ */

static const char *meta_str(const ckpt *f, const char *key)
{
    json_t *v = json_object_get(f->meta, key);
    return v ? json_string_value(v) : NULL;
}

static tl_err meta_size(const ckpt *f, const char *key, size_t min, size_t max, size_t *out)
{
    const char *v = meta_str(f, key);
    char *end;
    if (!v)
        return BAD(f, TL_EFORMAT, "__metadata__ has no '%s'", key);
    unsigned long long x = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || x < min || x > max)
        return BAD(f, TL_EFORMAT, "__metadata__ %s='%.32s' is not a whole number from %zu to %zu", key, v, min, max);
    *out = (size_t)x;
    return TL_OK;
}

static tl_err meta_float(const ckpt *f, const char *key, float *out)
{
    const char *v = meta_str(f, key);
    char *end;
    if (!v)
        return BAD(f, TL_EFORMAT, "__metadata__ has no '%s'", key);
    float x = strtof(v, &end);
    if (end == v || *end || !isfinite(x))
        return BAD(f, TL_EFORMAT, "__metadata__ %s='%.32s' is not a finite number", key, v);
    *out = x;
    return TL_OK;
}

static tl_err meta_word(const ckpt *f, const char *key, const char *a, const char *b, int *is_b)
{
    const char *v = meta_str(f, key);
    if (!v)
        return BAD(f, TL_EFORMAT, "__metadata__ has no '%s'", key);
    if (strcmp(v, a) && strcmp(v, b))
        return BAD(f, TL_EFORMAT, "__metadata__ %s='%.32s' is neither %s nor %s", key, v, a, b);
    *is_b = !strcmp(v, b);
    return TL_OK;
}

/* head_kernel: fast, reference or fused. */
static tl_err meta_kernel(const ckpt *f, int *reference, int *fused)
{
    const char *v = meta_str(f, "head_kernel");
    if (!v)
        return BAD(f, TL_EFORMAT, "__metadata__ has no 'head_kernel'");
    *reference = !strcmp(v, "reference");
    *fused = !strcmp(v, "fused");
    if (!*reference && !*fused && strcmp(v, "fast"))
        return BAD(f, TL_EFORMAT, "__metadata__ head_kernel='%.32s' is not fast, reference or fused", v);
    return TL_OK;
}

/* The config the file was saved with: every key must be there. */
static tl_err read_config(tl_config *c, size_t *step, const ckpt *f)
{
    size_t seed = 0;
    int tied = 0, sgd = 0, reference = 0;
    *c = tl_config_default();
    tl_err err = meta_word(f, "tied", "0", "1", &tied);
    if (!err) err = meta_size(f, "V_in", 1, MAX_DIM, &c->V_in);
    if (!err) err = meta_size(f, "V_out", 1, MAX_DIM, &c->V_out);
    if (!err) err = meta_size(f, "d", 1, 1 << 16, &c->d);
    if (!err) err = meta_size(f, "hidden", 1, 1 << 20, &c->hidden);
    if (!err) err = meta_size(f, "batch", 1, 1 << 16, &c->batch);
    if (!err) err = meta_size(f, "steps", 0, (size_t)1 << 40, &c->steps);
    if (!err) err = meta_size(f, "step", 0, (size_t)1 << 40, step);
    if (!err) err = meta_size(f, "seed", 0, SIZE_MAX, &seed);
    if (!err) err = meta_float(f, "init_std", &c->init_std);
    if (!err) err = meta_float(f, "softcap", &c->softcap);
    if (!err) err = meta_float(f, "lr", &c->lr);
    if (!err) err = meta_word(f, "optim", "adam", "sgd", &sgd);
    int fused = 0;
    if (!err) err = meta_kernel(f, &reference, &fused);
    c->tied = tied;
    c->seed = seed;
    c->optim = sgd ? TL_SGD : TL_ADAM;
    c->head_kernel = fused ? TL_HEAD_FUSED : reference ? TL_HEAD_REFERENCE : TL_HEAD_FAST;
    /* the activations are [batch, V_out] and [batch, hidden]: bounded here,
     * since a header that is only bytes must not make the model allocate
     * more than a real run would */
    if (!err && (c->batch * c->V_out > ((size_t)1 << 26) || c->batch * c->hidden > ((size_t)1 << 26)))
        err = BAD(f, TL_EFORMAT, "__metadata__ batch=%zu with V_out=%zu and hidden=%zu is more than tiedlab allocates",
                  c->batch, c->V_out, c->hidden);
    if (!err && c->tied && c->V_in != c->V_out)
        err = BAD(f, TL_ESHAPE, "__metadata__ says tied with V_in=%zu and V_out=%zu: a tied head scores the rows of E",
                  c->V_in, c->V_out);
    return err;
}

static tl_err check_wanted(const ckpt *f, const tl_config *c, const tl_config *want)
{
    const struct { const char *key; size_t have, wanted; } sizes[] = {
        { "V_in", c->V_in, want->V_in }, { "V_out", c->V_out, want->V_out },
        { "d", c->d, want->d }, { "hidden", c->hidden, want->hidden },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].wanted && sizes[i].have != sizes[i].wanted)
            return BAD(f, TL_ESHAPE, "the file has %s=%zu, the model wanted has %s=%zu",
                       sizes[i].key, sizes[i].have, sizes[i].key, sizes[i].wanted);
    if (!c->tied != !want->tied)
        return BAD(f, TL_ESHAPE, "the file's model is %s (tied=%d), the model wanted is %s (tied=%d)",
                   c->tied ? "tied" : "untied", c->tied ? 1 : 0, want->tied ? "tied" : "untied", want->tied ? 1 : 0);
    return TL_OK;
}

static in_tensor *find(ckpt *f, const char *name)
{
    for (size_t i = 0; i < f->nt; i++)
        if (!strcmp(f->t[i].name, name))
            return &f->t[i];
    return NULL;
}

/* The tensor a slot needs, with the slot's shape: missing is an error. */
static tl_err match(ckpt *f, const char *name, const slot *s, in_tensor **out)
{
    in_tensor *t = find(f, name);
    if (!t && !strcmp(name, "lm_head.weight"))
        return BAD(f, TL_EFORMAT, "has no tensor 'lm_head.weight', which an untied model (tied=0) needs");
    if (!t && !strncmp(name, "adam.", 5))
        return BAD(f, TL_EFORMAT, "has no tensor '%s': Adam's moments are saved for every weight or for none", name);
    if (!t)
        return BAD(f, TL_EFORMAT, "has no tensor '%s', which the model needs", name);
    int same = t->ndim == s->ndim && t->shape[0] == s->shape[0] && (s->ndim == 1 || t->shape[1] == s->shape[1]);
    if (!same) {
        char got[64] = "[", *p = got + 1;
        for (size_t i = 0; i < t->ndim && p < got + 40; i++)
            p += snprintf(p, 20, "%s%zu", i ? ", " : "", t->shape[i]);
        snprintf(p, 4, "]");
        if (s->ndim == 1)
            return BAD(f, TL_ESHAPE, "tensor '%s' is %s; the metadata makes it [%zu]", name, got, s->shape[0]);
        return BAD(f, TL_ESHAPE, "tensor '%s' is %s; the metadata makes it [%zu, %zu]", name, got,
                   s->shape[0], s->shape[1]);
    }
    t->used = 1;
    *out = t;
    return TL_OK;
}

/* One tensor of the file, to be copied into a buffer of the model: a
 * slot's weight (kind 0) or its Adam moment m (1) or v (2). */
typedef struct {
    size_t slot;
    int kind;
    const in_tensor *src;
} copy;

static tl_err load(tl_model **out, const unsigned char *bytes, size_t len, const char *fn,
                   const char *file, const tl_config *want)
{
    static const char *const prefix[3] = { "", "adam.m.", "adam.v." };
    ckpt f = { .fn = fn, .file = file };
    tl_config c;
    size_t step = 0, ns = 0, np = 0;
    tl_model *m = NULL;
    slot s[6];
    copy plan[3 * 6];
    tl_err err = parse(&f, bytes, len);
    if (!err) err = read_config(&c, &step, &f);
    if (!err && want) err = check_wanted(&f, &c, want);
    if (!err) ns = slots_of(s, &c, NULL);
    /* Adam's moments: for every weight or for none (a weights-only file) */
    int with_moments = 0;
    for (size_t i = 0; !err && c.optim == TL_ADAM && i < f.nt; i++)
        with_moments |= !strncmp(f.t[i].name, "adam.", 5);
    /* every tensor the model needs is in the file, with its shape ... */
    for (size_t i = 0; !err && i < ns; i++) {
        for (int k = 0; !err && k < (with_moments ? 3 : 1); k++) {
            char name[80];
            in_tensor *t = NULL;
            snprintf(name, sizeof name, "%s%s", prefix[k], s[i].name);
            err = match(&f, name, &s[i], &t);
            if (!err)
                plan[np++] = (copy){ i, k, t };
        }
    }
    /* ... and the file holds nothing else */
    for (size_t i = 0; !err && i < f.nt; i++)
        if (!f.t[i].used)
            err = BAD(&f, TL_EFORMAT, "has a tensor '%s' that a%s model of this config does not have",
                      f.t[i].name, !strcmp(f.t[i].name, "lm_head.weight") ? " tied" : "");
    if (!err && (err = tl_model_create(&m, &c))) {   /* a config the model refuses: say whose */
        char why[400];
        snprintf(why, sizeof why, "%s", tl_last_error());
        err = BAD(&f, err, "the model of its __metadata__ cannot be made: %s", why);
    }
    if (!err)
        slots_of(s, &c, m);
    for (size_t j = 0; !err && j < np; j++) {
        const slot *sl = &s[plan[j].slot];
        float *dst = sl->w, *pm = NULL, *pv = NULL;
        size_t n = numel(sl);
        if (plan[j].kind) {
            err = tl_optim_moments(m->opt, sl->param, &pm, &pv, &n);
            if (!err && (!pm || !pv || n != numel(sl)))
                err = BAD(&f, TL_EINVAL, "the optimizer holds no moments for '%s'", sl->name);
            dst = plan[j].kind == 1 ? pm : pv;
        }
        if (!err)
            get_floats(dst, f.data + plan[j].src->begin, n);
    }
    /* without its moments, Adam starts over: step 0 of its bias correction */
    if (!err) err = tl_optim_set_steps(m->opt, with_moments || c.optim == TL_SGD ? step : 0);
    json_decref(f.root);
    if (err) {
        tl_model_destroy(m);
        return err;
    }
    *out = m;
    return TL_OK;
}

tl_err tl_model_load_bytes(tl_model **out, const void *bytes, size_t len, const char *name,
                           const tl_config *want)
{
    if (!out)
        return tl_fail(TL_EINVAL, "tl_model_load_bytes: NULL output");
    *out = NULL;
    if (!bytes && len)
        return tl_fail(TL_EINVAL, "tl_model_load_bytes: NULL bytes");
    return load(out, bytes ? bytes : "", len, "tl_model_load_bytes", name ? name : "checkpoint", want);
}
