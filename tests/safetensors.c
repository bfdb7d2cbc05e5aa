/* safetensors.c — the grader's reader and writer of safetensors bytes
 * (safetensors.h). Independent of lib/checkpoint.c on purpose: what one
 * gets wrong, the other sees. */
#include "safetensors.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t cap, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static size_t size_of(const json_t *j, int *ok)
{
    if (!json_is_integer(j) || json_integer_value(j) < 0) {
        *ok = 0;
        return 0;
    }
    return (size_t)json_integer_value(j);
}

int tl_st_read(tl_st *st, const void *bytes, size_t len, char *why, size_t why_len)
{
    const unsigned char *b = bytes;
    memset(st, 0, sizeof *st);
    if (len < 8)
        return fail(why, why_len, "%zu bytes: too short for a safetensors file", len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | b[i];
    if (n > len - 8)
        return fail(why, why_len, "the header size %llu is more than the %zu bytes that follow",
                    (unsigned long long)n, len - 8);
    json_error_t je;
    json_t *root = json_loadb((const char *)b + 8, (size_t)n, 0, &je);
    if (!root)
        return fail(why, why_len, "the header is not JSON: %s", je.text);
    int ok = json_is_object(root);
    st->header_len = (size_t)n;
    st->data = b + 8 + n;
    st->data_len = len - 8 - (size_t)n;
    const char *key;
    json_t *e;
    json_object_foreach(root, key, e) {
        if (!ok)
            break;
        if (!strcmp(key, "__metadata__")) {
            const char *k;
            json_t *v;
            if (!json_is_object(e)) {
                ok = 0;
                break;
            }
            json_object_foreach(e, k, v) {
                if (!json_is_string(v) || st->nmeta == TL_ST_MAX) {
                    ok = 0;
                    break;
                }
                snprintf(st->key[st->nmeta], sizeof st->key[0], "%s", k);
                snprintf(st->val[st->nmeta], sizeof st->val[0], "%s", json_string_value(v));
                st->nmeta++;
            }
            continue;
        }
        json_t *dtype = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape"),
               *off = json_object_get(e, "data_offsets");
        if (st->n == TL_ST_MAX || !json_is_string(dtype) || !json_is_array(shape) || !json_is_array(off) ||
            json_array_size(shape) > 8 || json_array_size(off) != 2) {
            ok = 0;
            break;
        }
        tl_st_tensor *t = &st->t[st->n++];
        snprintf(t->name, sizeof t->name, "%s", key);
        snprintf(t->dtype, sizeof t->dtype, "%s", json_string_value(dtype));
        t->ndim = json_array_size(shape);
        for (size_t i = 0; i < t->ndim; i++)
            t->shape[i] = size_of(json_array_get(shape, i), &ok);
        t->begin = size_of(json_array_get(off, 0), &ok);
        t->end = size_of(json_array_get(off, 1), &ok);
        if (t->begin > t->end || t->end > st->data_len)
            ok = 0;
    }
    json_decref(root);
    if (!ok)
        return fail(why, why_len, "the header is not a safetensors header (tensors of dtype, shape and "
                    "data_offsets inside the data, __metadata__ of strings)");
    return 1;
}

const tl_st_tensor *tl_st_find(const tl_st *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name))
            return &st->t[i];
    return NULL;
}

const char *tl_st_meta(const tl_st *st, const char *key)
{
    for (size_t i = 0; i < st->nmeta; i++)
        if (!strcmp(st->key[i], key))
            return st->val[i];
    return NULL;
}

size_t tl_st_numel(const tl_st_tensor *t)
{
    size_t n = 1;
    for (size_t i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

void tl_st_floats(float *out, const tl_st *st, const tl_st_tensor *t)
{
    size_t n = (t->end - t->begin) / 4;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = st->data + t->begin + 4 * i;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        memcpy(&out[i], &u, 4);
    }
}

/* ---- writing -------------------------------------------------------------------- */

void tl_st_copy(tl_st_out *o, const tl_st *st)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < st->n; i++) {
        const tl_st_tensor *t = &st->t[i];
        tl_st_put(o, t->name, t->dtype, t->ndim, t->shape, st->data + t->begin, t->end - t->begin);
    }
    for (size_t i = 0; i < st->nmeta; i++)
        tl_st_set_meta(o, st->key[i], st->val[i]);
}

int tl_st_drop(tl_st_out *o, const char *name)
{
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->t[i].name, name)) {
            memmove(&o->t[i], &o->t[i + 1], (o->n - i - 1) * sizeof o->t[0]);
            o->n--;
            return 1;
        }
    return 0;
}

void tl_st_put(tl_st_out *o, const char *name, const char *dtype, size_t ndim, const size_t *shape,
               const void *data, size_t bytes)
{
    size_t i = 0;
    while (i < o->n && strcmp(o->t[i].name, name))
        i++;
    if (i == o->n) {
        if (o->n == TL_ST_MAX)
            return;
        o->n++;
    }
    snprintf(o->t[i].name, sizeof o->t[i].name, "%s", name);
    snprintf(o->t[i].dtype, sizeof o->t[i].dtype, "%s", dtype);
    o->t[i].ndim = ndim > 8 ? 8 : ndim;
    for (size_t k = 0; k < o->t[i].ndim; k++)
        o->t[i].shape[k] = shape[k];
    o->t[i].data = data;
    o->t[i].bytes = bytes;
}

void tl_st_set_meta(tl_st_out *o, const char *key, const char *val)
{
    size_t i = 0;
    while (i < o->nmeta && strcmp(o->key[i], key))
        i++;
    if (!val) {
        if (i < o->nmeta) {
            memmove(o->key[i], o->key[i + 1], (o->nmeta - i - 1) * sizeof o->key[0]);
            memmove(o->val[i], o->val[i + 1], (o->nmeta - i - 1) * sizeof o->val[0]);
            o->nmeta--;
        }
        return;
    }
    if (i == o->nmeta) {
        if (o->nmeta == TL_ST_MAX)
            return;
        o->nmeta++;
    }
    snprintf(o->key[i], sizeof o->key[0], "%s", key);
    snprintf(o->val[i], sizeof o->val[0], "%s", val);
}

unsigned char *tl_st_write(const tl_st_out *o, size_t *len)
{
    json_t *root = json_object(), *meta = json_object();
    size_t at = 0;
    if (o->nmeta) {
        for (size_t i = 0; i < o->nmeta; i++)
            json_object_set_new(meta, o->key[i], json_string(o->val[i]));
        json_object_set_new(root, "__metadata__", meta);
    } else {
        json_decref(meta);
    }
    for (size_t i = 0; i < o->n; i++) {
        json_t *shape = json_array();
        for (size_t k = 0; k < o->t[i].ndim; k++)
            json_array_append_new(shape, json_integer((json_int_t)o->t[i].shape[k]));
        json_object_set_new(root, o->t[i].name,
                            json_pack("{s:s, s:o, s:[II]}", "dtype", o->t[i].dtype, "shape", shape,
                                      "data_offsets", (json_int_t)at, (json_int_t)(at + o->t[i].bytes)));
        at += o->t[i].bytes;
    }
    char *h = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!h)
        return NULL;
    size_t hl = strlen(h), hp = (hl + 7) / 8 * 8;
    *len = 8 + hp + at;
    unsigned char *out = malloc(*len);
    if (out) {
        for (int i = 0; i < 8; i++)
            out[i] = (unsigned char)((uint64_t)hp >> (8 * i));
        memcpy(out + 8, h, hl);
        memset(out + 8 + hl, ' ', hp - hl);
        size_t p = 8 + hp;
        for (size_t i = 0; i < o->n; i++) {
            if (o->t[i].bytes)
                memcpy(out + p, o->t[i].data, o->t[i].bytes);
            p += o->t[i].bytes;
        }
    }
    free(h);
    return out;
}
