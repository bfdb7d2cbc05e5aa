/* test_head_fast.c — the blocked kernels give the reference loop's numbers,
 * in every build of them (tl_isa) this CPU can run.
 *
 * Shapes are chosen so that every remainder path runs: batch rows left over
 * after whole tiles (B = 1, 3, 65; 9 and 13 past the AVX2 and AVX-512
 * forward's 4 and 8 rows, which start at 8), widths below and between whole
 * SIMD lane groups (d = 1, 7, 100; 17 one past AVX-512's 16 lanes; 128 and
 * 129 on either side of the widest d the packed-panel forward takes),
 * vocabularies shorter than a tile or ending 1, 2 or 3 rows into one (V = 1,
 * 3, 5, 7, 1001; 49 one past the AVX-512 panel's 48 columns), and one shape
 * big enough to be split into cache blocks. Every shape runs, and each
 * failure prints its worst element.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void randn(float *w, size_t n, uint64_t seed, float std)
{
    tl_input r;
    tl_input_seed(&r, seed);
    tl_input_fill(w, n, std, &r);
}

/* A sum of d products of N(0,1) numbers, in another order than the
 * reference's: the rounding differs by about d·2⁻²⁴ at worst. */
static float atol_for(size_t d)
{
    return 1e-6f * (float)d;
}

typedef struct { size_t B, d, V; } shape;

/* The wide builds' outer-product tiles (matmul_outer.h) add remainders of
 * their own: B 9 and 13, d 17, 128 and 129, V 49. The baseline build keeps
 * the dot-product tiles, whose remainders the smaller grid covers, and it is
 * the build every graded run uses (TL_ISA=base), so it runs that grid alone. */
static const size_t Bs[] = { 1, 3, 9, 13, 64, 65 }, ds[] = { 1, 7, 17, 64, 100, 128, 129 };
static const size_t Vs[] = { 1, 3, 5, 7, 49, 256, 1001 };
static const size_t Bs_base[] = { 1, 3, 64, 65 }, ds_base[] = { 1, 7, 64, 100 };
static const size_t Vs_base[] = { 1, 3, 5, 7, 256, 1001 };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One forward of each kernel on random H and E; 1 when they agree. */
static int forward_agrees(shape s)
{
    size_t B = s.B, d = s.d, V = s.V;
    float *H = malloc(B * d * sizeof *H), *E = tl_shared_floats(V * d), *dE = tl_shared_floats(V * d);
    float *want = malloc(B * V * sizeof *want), *got = malloc(B * V * sizeof *got);
    int ok = 0;
    if (H && E && dE && want && got) {
        randn(H, B * d, 11 + B, 1.0f);
        randn(E, V * d, 13 + V, 1.0f);
        for (size_t i = 0; i < B * V; i++)
            got[i] = NAN;   /* every logit must be written */
        tl_head h;
        char what[96];
        snprintf(what, sizeof what, "fast logits, B=%zu d=%zu V=%zu", B, d, V);
        ok = tl_head_tie(&h, E, dE, V, d) == TL_OK
             && tl_head_forward(want, H, &h, B, d, V) == TL_OK
             && tl_head_forward_fast(got, H, &h, B, d, V) == TL_OK
             && tl_close(what, got, want, B * V, atol_for(d), 1e-5f);
    }
    free(H);
    tl_shared_free(E);
    tl_shared_free(dE);
    free(want);
    free(got);
    return ok;
}

/* One backward of each kernel into gradients that already hold numbers (the
 * embedding's share in dE, another path's in dH); 1 when dH and dE agree. */
static int backward_agrees(shape s)
{
    size_t B = s.B, d = s.d, V = s.V;
    float *H = malloc(B * d * sizeof *H), *E = tl_shared_floats(V * d);
    float *G = malloc(B * V * sizeof *G);
    float *dE_want = tl_shared_floats(V * d), *dE_got = tl_shared_floats(V * d);
    float *dH_want = malloc(B * d * sizeof *dH_want), *dH_got = malloc(B * d * sizeof *dH_got);
    int ok = 0;
    if (H && E && G && dE_want && dE_got && dH_want && dH_got) {
        randn(H, B * d, 17 + B, 1.0f);
        randn(E, V * d, 19 + V, 1.0f);
        randn(G, B * V, 23 + d, 1.0f);
        randn(dE_want, V * d, 29, 1.0f);
        randn(dH_want, B * d, 31, 1.0f);
        memcpy(dE_got, dE_want, V * d * sizeof *dE_got);
        memcpy(dH_got, dH_want, B * d * sizeof *dH_got);
        tl_head ref, fast;
        char what_dH[96], what_dE[96];
        snprintf(what_dH, sizeof what_dH, "fast dH, B=%zu d=%zu V=%zu", B, d, V);
        snprintf(what_dE, sizeof what_dE, "fast dE, B=%zu d=%zu V=%zu", B, d, V);
        ok = tl_head_tie(&ref, E, dE_want, V, d) == TL_OK
             && tl_head_tie(&fast, E, dE_got, V, d) == TL_OK
             && tl_head_backward(dH_want, &ref, G, H, B, d, V) == TL_OK
             && tl_head_backward_fast(dH_got, &fast, G, H, B, d, V) == TL_OK;
        /* dH sums V products, dE sums B */
        ok = ok && tl_close(what_dH, dH_got, dH_want, B * d, atol_for(V), 1e-5f);
        ok = ok && tl_close(what_dE, dE_got, dE_want, V * d, atol_for(B), 1e-5f);
    }
    free(H);
    tl_shared_free(E);
    free(G);
    tl_shared_free(dE_want);
    tl_shared_free(dE_got);
    free(dH_want);
    free(dH_got);
    return ok;
}

/* Runs check(shape) for every shape in the grid under one kernel build;
 * returns how many failed. */
static int grid_failures(int (*check)(shape))
{
    int base = tl_isa_current() == TL_ISA_BASE, failed = 0;
    const size_t *B = base ? Bs_base : Bs, *d = base ? ds_base : ds, *V = base ? Vs_base : Vs;
    size_t nB = base ? COUNT(Bs_base) : COUNT(Bs), nd = base ? COUNT(ds_base) : COUNT(ds);
    size_t nV = base ? COUNT(Vs_base) : COUNT(Vs);
    for (size_t a = 0; a < nB; a++)
        for (size_t b = 0; b < nd; b++)
            for (size_t c = 0; c < nV; c++)
                failed += !check((shape){ B[a], d[b], V[c] });
    return failed;
}

/* Every build this CPU runs (at least the baseline), then back to the one
 * that ran before; when TL_ISA names one (the lab engine, check-fix and the
 * graders set base), that build alone: it is the one their programs run. */
static int every_isa(int (*each)(void))
{
    int failed = 0, ran = 0;
    tl_isa before = tl_isa_current();
    const char *only = getenv("TL_ISA");
    for (int isa = TL_ISA_BASE; isa <= TL_ISA_AVX512; isa++) {
        if (only && *only && strcmp(only, tl_isa_name((tl_isa)isa)) != 0)
            continue;
        if (tl_isa_use((tl_isa)isa) != TL_OK)
            continue;
        int f = each();
        if (f)
            print_error("kernel build %s: %d failure(s)\n", tl_isa_name((tl_isa)isa), f);
        failed += f;
        ran++;
    }
    assert_int_equal(tl_isa_use(before), TL_OK);
    return ran ? failed : -1;
}

static int forward_grid(void) { return grid_failures(forward_agrees); }
static int backward_grid(void) { return grid_failures(backward_agrees); }

static void fast_forward_equals_the_reference_loop_for_every_remainder(void **state)
{
    (void)state;
    assert_int_equal(every_isa(forward_grid), 0);
}

static void fast_backward_equals_the_reference_loop_for_every_remainder(void **state)
{
    (void)state;
    assert_int_equal(every_isa(backward_grid), 0);
}

/* B·d and V·d past the kernels' cache blocks, so the batch and the
 * vocabulary are each split into several blocks, the last one short. */
static int across_blocks(void)
{
    shape s = { 70, 2000, 37 };
    return !forward_agrees(s) + !backward_agrees(s);
}

static void fast_kernels_agree_across_cache_blocks(void **state)
{
    (void)state;
    assert_int_equal(every_isa(across_blocks), 0);
}

/* The library runs the widest build the CPU has, or the one TL_ISA names when
 * the CPU runs it (the lab engine sets base); one it cannot run is an error
 * that names it, and changes nothing. */
static void isa_choice_is_the_best_and_refuses_what_cannot_run(void **state)
{
    (void)state;
    tl_isa want = tl_isa_best(), before = tl_isa_current();
    const char *env = getenv("TL_ISA");
    for (int isa = TL_ISA_BASE; env && isa <= TL_ISA_AVX512; isa++)
        if (!strcmp(env, tl_isa_name((tl_isa)isa)) && tl_isa_use((tl_isa)isa) == TL_OK)
            want = (tl_isa)isa;
    assert_int_equal(tl_isa_use(before), TL_OK);
    assert_int_equal(before, want);
    assert_int_equal(tl_isa_use(TL_ISA_BASE), TL_OK);
    assert_int_equal(tl_isa_current(), TL_ISA_BASE);
    assert_int_equal(tl_isa_use((tl_isa)99), TL_EINVAL);
    assert_true(tl_error_names(tl_last_error(), "tl_isa_use", NULL));
    assert_int_equal(tl_isa_current(), TL_ISA_BASE);
    assert_int_equal(tl_isa_use(before), TL_OK);
    assert_string_equal(tl_isa_name(TL_ISA_AVX2), "avx2");
}

static void fast_backward_adds_to_what_the_gradients_already_hold(void **state)
{
    (void)state;
    enum { B = 5, D = 9, V = 6 };
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    float H[B * D], dH[B * D], G[B * V];
    float dE_alone[V * D], dH_alone[B * D], dE_want[V * D], dH_want[B * D];
    randn(E, V * D, 41, 1.0f);
    randn(H, B * D, 43, 1.0f);
    randn(G, B * V, 47, 1.0f);
    tl_head h;
    assert_int_equal(tl_head_tie(&h, E, dE, V, D), TL_OK);
    memset(dH, 0, sizeof dH);
    assert_int_equal(tl_head_backward_fast(dH, &h, G, H, B, D, V), TL_OK);
    memcpy(dE_alone, dE, sizeof dE_alone);  /* the head's share alone */
    memcpy(dH_alone, dH, sizeof dH);
    for (int i = 0; i < V * D; i++) {
        dE[i] = 0.5f;                       /* the lookup already added 0.5 */
        dE_want[i] = 0.5f + dE_alone[i];
    }
    for (int i = 0; i < B * D; i++) {
        dH[i] = -0.25f;                     /* another path into H added -0.25 */
        dH_want[i] = -0.25f + dH_alone[i];
    }
    assert_int_equal(tl_head_backward_fast(dH, &h, G, H, B, D, V), TL_OK);
    assert_true(tl_close("dE = lookup's share + head's share", dE, dE_want, V * D, 1e-6f, 1e-6f));
    assert_true(tl_close("dH = other path's share + head's share", dH, dH_want, B * D, 1e-6f, 1e-6f));
    tl_shared_free(E);
    tl_shared_free(dE);
}

static void fast_shape_errors_name_the_function_and_both_sizes(void **state)
{
    (void)state;
    enum { B = 3, D = 4, V = 6 };
    float *E = tl_shared_floats(V * D), *dE = tl_shared_floats(V * D);
    float H[B * D] = { 0 }, logits[B * 2 * V] = { 0 };
    tl_head h;
    assert_int_equal(tl_head_tie(&h, E, dE, V, D), TL_OK);
    assert_int_equal(tl_head_forward_fast(logits, H, &h, B, D, 2 * V), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_forward", "6", "12", NULL));
    assert_int_equal(tl_head_forward_fast(logits, H, &h, B, D + 3, V), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_forward", "4", "7", NULL));
    assert_int_equal(tl_head_backward_fast(H, &h, logits, H, B, D + 1, V), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_backward", "4", "5", NULL));
    assert_int_equal(tl_head_backward_fast(H, &h, logits, H, B, D, V - 1), TL_ESHAPE);
    assert_true(tl_error_names(tl_last_error(), "tl_head_backward", "6", "5", NULL));
    assert_int_equal(tl_head_forward_fast(NULL, H, &h, B, D, V), TL_EINVAL);
    assert_true(tl_error_names(tl_last_error(), "tl_head_forward", NULL));
    assert_int_equal(tl_head_backward_fast(NULL, &h, logits, H, B, D, V), TL_EINVAL);
    assert_true(tl_error_names(tl_last_error(), "tl_head_backward", NULL));
    assert_int_equal(tl_head_forward_fast(logits, H, NULL, B, D, V), TL_EINVAL);
    tl_shared_free(E);
    tl_shared_free(dE);
}

int test_head_fast(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_forward_equals_the_reference_loop_for_every_remainder),
        cmocka_unit_test(fast_backward_equals_the_reference_loop_for_every_remainder),
        cmocka_unit_test(fast_kernels_agree_across_cache_blocks),
        cmocka_unit_test(fast_backward_adds_to_what_the_gradients_already_hold),
        cmocka_unit_test(fast_shape_errors_name_the_function_and_both_sizes),
        cmocka_unit_test(isa_choice_is_the_best_and_refuses_what_cannot_run),
    };
    return tl_run_group_tests("head_fast", tests);
}
