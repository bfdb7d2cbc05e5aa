/* safetensors.h — the grader's own reader and writer of safetensors bytes
 * (jansson), apart from the library's checkpoint.c: tests read what the
 * library wrote without asking it, and make the files a test needs (a
 * tensor dropped or added, a header that lies) by hand. train reads its
 * resume metadata with it; tools/inspect lists a file with it.
 *
 * The format: 8 bytes of little-endian header size N, N bytes of JSON (an
 * object: per tensor {"dtype", "shape", "data_offsets": [begin, end]} into
 * the data that follows; "__metadata__" of strings), then the data.
 */
#ifndef TL_SAFETENSORS_H
#define TL_SAFETENSORS_H

#include <stddef.h>

enum { TL_ST_MAX = 64 };

typedef struct {
    char name[96];
    char dtype[16];
    size_t ndim, shape[8];
    size_t begin, end;          /* into the data */
} tl_st_tensor;

typedef struct {
    size_t n, nmeta;
    tl_st_tensor t[TL_ST_MAX];  /* in the header's order */
    char key[TL_ST_MAX][64], val[TL_ST_MAX][256];
    size_t header_len;          /* N */
    const unsigned char *data;  /* the bytes after the header (not copied) */
    size_t data_len;
} tl_st;

/* Reads the header of a file's bytes into st. Returns 1, or 0 with why
 * (one line) when they are not safetensors. Checks what it needs to read
 * safely (sizes, ranges inside the data), not what tiedlab requires. */
int tl_st_read(tl_st *st, const void *bytes, size_t len, char *why, size_t why_len);
const tl_st_tensor *tl_st_find(const tl_st *st, const char *name);
const char *tl_st_meta(const tl_st *st, const char *key);   /* NULL when absent */
size_t tl_st_numel(const tl_st_tensor *t);
/* An F32 tensor's elements (little-endian in the file) into out[numel]. */
void tl_st_floats(float *out, const tl_st *st, const tl_st_tensor *t);

/* ---- writing ------------------------------------------------------------------ */

typedef struct {
    size_t n, nmeta;
    struct {
        char name[96];
        char dtype[16];
        size_t ndim, shape[8];
        const void *data;       /* borrowed until tl_st_write */
        size_t bytes;
    } t[TL_ST_MAX];
    char key[TL_ST_MAX][64], val[TL_ST_MAX][256];
} tl_st_out;

/* Every tensor and metadata entry of st, in its order. */
void tl_st_copy(tl_st_out *o, const tl_st *st);
/* Removes a tensor; 1 if there was one. */
int  tl_st_drop(tl_st_out *o, const char *name);
/* Adds a tensor, or replaces the one of that name. */
void tl_st_put(tl_st_out *o, const char *name, const char *dtype, size_t ndim, const size_t *shape,
               const void *data, size_t bytes);
/* Sets a metadata entry; val NULL removes it. */
void tl_st_set_meta(tl_st_out *o, const char *key, const char *val);
/* The file's bytes (malloc'd; free them), tensors laid out in order. */
unsigned char *tl_st_write(const tl_st_out *o, size_t *len);

#endif
