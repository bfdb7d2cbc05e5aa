#!/usr/bin/env bats
# Tests for tools/losscheck: each log below is built to trip exactly one
# verdict (init vs ln V, NaN/Inf, diverging, oscillating, stuck, plateau).
# Run: LOSSCHECK=build/losscheck bats tests/losscheck.bats

bats_require_minimum_version 1.5.0

setup_file() {
    if [ -z "${LOSSCHECK:-}" ]; then
        echo "LOSSCHECK is not set: run as LOSSCHECK=path/to/losscheck bats tests/losscheck.bats" >&2
        return 1
    fi
    if [ ! -x "$LOSSCHECK" ]; then
        echo "LOSSCHECK=$LOSSCHECK is not an executable file" >&2
        return 1
    fi
}

setup() {
    # Absolute, so tests may cd or change PATH.
    LC="$(cd "$(dirname "$LOSSCHECK")" && pwd)/$(basename "$LOSSCHECK")"
    FIX="$BATS_TEST_DIRNAME/fixtures/logs"
    T="$BATS_TEST_TMPDIR"
    HDR="V=256 V_in=512 V_out=256 H=1.8342 d=64 seed=1 lr=0.01"
    # The tests below expect English unless they ask for a language (lang_run):
    # a Spanish LANG or a stray TL_LOCALEDIR in the caller's shell must not leak in.
    export TL_LANG=en
}

# mklog FILE "HEADER" N EXPR: a trainer-style log, loss at step s = awk EXPR
# (awk sees s, n, L = ln 256, H = 1.8342). Like train's, its header says the
# run starts at init (start=init).
mklog() {
    local file=$1 header=$2 n=$3 expr=$4
    {
        printf '# tiedlab train log\n# %s start=init\nstep,loss\n' "$header"
        awk -v n="$n" -v H=1.8342 \
            "BEGIN { L = log(256); for (s = 0; s < n; s++) printf \"%d,%.4f\\n\", s, ($expr) }"
    } >"$file"
}

# A healthy run: ln 256 decaying to 0.1 nat above the floor, tiny wiggle.
HEALTHY_EXPR='H + 0.1 + (L - H - 0.1) * exp(-s / 40) + 0.01 * sin(s)'

# replace_loss FILE FROM_STEP WORD: loss from that step on becomes WORD (nan, inf...).
replace_loss() {
    awk -F, -v OFS=, -v k="$2" -v w="$3" '/^[0-9]/ && $1 >= k { $2 = w } 1' "$1" >"$1.tmp"
    mv "$1.tmp" "$1"
}

has() { # output contains $1
    [[ "$output" == *"$1"* ]] && return 0
    printf 'expected stdout to contain: %s\n--- stdout was:\n%s\n' "$1" "$output" >&2
    return 1
}

lacks() {
    [[ "$output" != *"$1"* ]] && return 0
    printf 'expected stdout NOT to contain: %s\n--- stdout was:\n%s\n' "$1" "$output" >&2
    return 1
}

err_has() {
    [[ "$stderr" == *"$1"* ]] && return 0
    printf 'expected stderr to contain: %s\n--- stderr was:\n%s\n' "$1" "$stderr" >&2
    return 1
}

status_is() {
    [ "$status" -eq "$1" ] && return 0
    printf 'expected exit %s, got %s\n--- stdout:\n%s\n--- stderr:\n%s\n' \
        "$1" "$status" "$output" "${stderr:-}" >&2
    return 1
}

need_gnuplot() {
    command -v gnuplot >/dev/null || skip "gnuplot is not installed"
}

# ---- verdicts ----

@test "healthy run: init at ln(256), learns to near the floor, exit 0" {
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    run --separate-stderr "$LC" "$T/healthy.csv"
    status_is 0
    has "healthy.csv: init loss 5.545 ≈ ln(256) = 5.545 (+0.0%): healthy init"
    has "learned: end loss 1.93"
    has "vs floor H = 1.834 (gap 0.10"
    has "healthy.csv: HEALTHY"
    lacks "NOT HEALTHY"
    [ -z "$stderr" ]
}

@test "init far above ln V: logits too large, exit 1 even though it learns" {
    mklog "$T/high.csv" "V=256 H=1.8342" 300 '2 + 19.9 * exp(-s / 20)'
    run --separate-stderr "$LC" "$T/high.csv"
    status_is 1
    has "init loss 21.900 is far above ln(256) = 5.545 (3.9x): logits too large at init — check the init scale"
    has "learned: end loss 2.000"
    has "high.csv: NOT HEALTHY (init too high)"
}

@test "init at ln(512) with V=256: wrong vocabulary size" {
    mklog "$T/wrongv.csv" "$HDR" 300 'H + 0.1 + (log(512) - H - 0.1) * exp(-s / 40)'
    run --separate-stderr "$LC" "$T/wrongv.csv"
    status_is 1
    has "init loss 6.238 ≈ ln(512) = 6.238, not ln(256) = 5.545: the logits span 512 classes — wrong vocabulary size"
    has "wrongv.csv: NOT HEALTHY (wrong vocabulary)"
    lacks "far above"
}

@test "init above ln V but matching no other vocabulary: init too high, not wrong vocabulary" {
    # Same 6.238 start, but the header names no V'=512.
    mklog "$T/noother.csv" "V=256 H=1.8342" 300 'H + 0.1 + (log(512) - H - 0.1) * exp(-s / 40)'
    run --separate-stderr "$LC" "$T/noother.csv"
    status_is 1
    has "far above ln(256) = 5.545 (1.1x)"
    lacks "wrong vocabulary"
}

@test "init below ln V: not at chance at step 0" {
    mklog "$T/low.csv" "V=256 H=1.8342" 300 'H + 0.1 + (3.1 - H - 0.1) * exp(-s / 40)'
    run --separate-stderr "$LC" "$T/low.csv"
    status_is 1
    has "init loss 3.100 is below ln(256) = 5.545: the model is not at chance at step 0"
    has "low.csv: NOT HEALTHY (init too low)"
}

@test "flat at 5.54: stuck near ln(256)" {
    mklog "$T/stuck.csv" "V=256 H=1.8342" 300 '5.54 + 0.005 * sin(s)'
    run --separate-stderr "$LC" "$T/stuck.csv"
    status_is 1
    has "healthy init"
    has "stuck near ln(256) = 5.545: end loss 5.540 after 299 steps — not learning"
    has "stuck.csv: NOT HEALTHY (stuck)"
    lacks "learned"
    lacks "plateau"
}

@test "NaN at step 57: reported with the last finite loss, curve not judged" {
    mklog "$T/nan.csv" "V=256 H=1.8342" 100 "$HEALTHY_EXPR"
    replace_loss "$T/nan.csv" 57 nan
    expected=$(awk -F, '$1 == 56 { printf "%.3f", $2 }' "$T/nan.csv")
    run --separate-stderr "$LC" "$T/nan.csv"
    status_is 1
    has "loss became NaN at step 57 (last finite loss $expected at step 56)"
    has "healthy init"
    has "nan.csv: NOT HEALTHY (NaN)"
    lacks "learned"
    lacks "stuck"
}

@test "NaN spelled NaN and -nan is still NaN" {
    mklog "$T/a.csv" "V=256 H=1.8342" 100 "$HEALTHY_EXPR"
    replace_loss "$T/a.csv" 40 NaN
    mklog "$T/b.csv" "V=256 H=1.8342" 100 "$HEALTHY_EXPR"
    replace_loss "$T/b.csv" 41 -nan
    run --separate-stderr "$LC" "$T/a.csv" "$T/b.csv"
    status_is 1
    has "a.csv: loss became NaN at step 40"
    has "b.csv: loss became NaN at step 41"
}

@test "Inf and -Inf are findings, not parse errors" {
    mklog "$T/inf.csv" "V=256 H=1.8342" 100 "$HEALTHY_EXPR"
    replace_loss "$T/inf.csv" 30 inf
    mklog "$T/ninf.csv" "V=256 H=1.8342" 100 "$HEALTHY_EXPR"
    replace_loss "$T/ninf.csv" 31 -inf
    run --separate-stderr "$LC" "$T/inf.csv" "$T/ninf.csv"
    status_is 1
    has "inf.csv: loss became Inf at step 30 (last finite loss"
    has "ninf.csv: loss became -Inf at step 31"
    has "inf.csv: NOT HEALTHY (Inf)"
    [ -z "$stderr" ]
}

@test "NaN in the very first row: no init check" {
    printf '# V=256\n0,nan\n1,nan\n' >"$T/nan0.csv"
    run --separate-stderr "$LC" "$T/nan0.csv"
    status_is 1
    has "loss is NaN at step 0"
    lacks "init loss"
}

@test "falls to 2.31 at step 120 then climbs: diverging" {
    mklog "$T/div.csv" "V=256 H=1.8342" 300 \
        '(s <= 120) ? L - (L - 2.31) * s / 120 : 2.31 + (4.9 - 2.31) * (s - 120) / 179'
    run --separate-stderr "$LC" "$T/div.csv"
    status_is 1
    has "diverging: loss fell to 2.310 at step 120 then rose to 4.69"
    has "div.csv: NOT HEALTHY (diverging)"
    lacks "learned"
}

@test "diverging back up past ln V is diverging, not stuck" {
    mklog "$T/blowup.csv" "V=256 H=1.8342" 300 \
        '(s <= 100) ? L - (L - 2.0) * s / 100 : 2.0 + 6.0 * (s - 100) / 199'
    run --separate-stderr "$LC" "$T/blowup.csv"
    status_is 1
    has "diverging: loss fell to 2.000 at step 100"
    lacks "stuck"
    has "blowup.csv: NOT HEALTHY (diverging)"
}

@test "a small late bump is not divergence" {
    # Rises 0.2 nats off its minimum at the end: under the 0.5-nat threshold.
    mklog "$T/bump.csv" "V=256 H=1.8342" 300 \
        '(s <= 250) ? H + 0.1 + (L - H - 0.1) * exp(-s / 30) : H + 0.1 + 0.2 * (s - 250) / 49'
    run --separate-stderr "$LC" "$T/bump.csv"
    status_is 0
    lacks "diverging"
}

@test "tiny vocabulary: a 0.25-nat rise off the minimum is still noise" {
    # V=4: ln 4 = 1.386, falls to 0.5, ends ~0.25 higher.  Under half a nat:
    # not divergence, even though it is more than a quarter of what was learned.
    mklog "$T/v4.csv" "V=4" 300 '(s <= 200) ? 0.5 + 0.886 * (1 - s / 200) : 0.5 + 0.3 * (s - 200) / 99'
    run --separate-stderr "$LC" "$T/v4.csv"
    status_is 0
    has "init loss 1.386 ≈ ln(4) = 1.386"
    lacks "diverging"
}

@test "swinging by 1.6 nats per step in the second half: oscillating" {
    mklog "$T/osc.csv" "V=256 H=1.8342" 300 \
        '(s < 150) ? H + 0.1 + (L - H - 0.1) * exp(-s / 20) : H + 0.5 + ((s % 2) ? 0.8 : -0.8)'
    run --separate-stderr "$LC" "$T/osc.csv"
    status_is 1
    has "oscillating: loss swings by ±1.600 per step in the second half"
    has "osc.csv: NOT HEALTHY (oscillating)"
}

@test "levels off at 3.9 with H=1.834: plateau above floor" {
    mklog "$T/plat.csv" "V=256 H=1.8342" 300 '3.9 + (L - 3.9) * exp(-s / 30)'
    run --separate-stderr "$LC" "$T/plat.csv"
    status_is 1
    has "plateau above floor: end loss 3.900 vs floor H = 1.834 (gap 2.066 nats, 56% of the way from floor to ln V)"
    has "plat.csv: NOT HEALTHY (plateau above floor)"
}

@test "no H: plateau check skipped and said so; --floor turns it on" {
    mklog "$T/plat.csv" "V=256" 300 '3.9 + (L - 3.9) * exp(-s / 30)'
    run --separate-stderr "$LC" "$T/plat.csv"
    status_is 0
    has "learned: end loss 3.900, down from 5.545 (no floor H in header: plateau check skipped)"
    run --separate-stderr "$LC" --floor 1.8342 "$T/plat.csv"
    status_is 1
    has "plateau above floor: end loss 3.900 vs floor H = 1.834"
}

@test "a single row: only the init check" {
    printf '# V=256 H=1.8342\nstep,loss\n0,5.5502\n' >"$T/one.csv"
    run --separate-stderr "$LC" "$T/one.csv"
    status_is 0
    has "init loss 5.550 ≈ ln(256) = 5.545 (+0.1%): healthy init"
    has "one.csv: HEALTHY"
    [ "${#lines[@]}" -eq 2 ]
}

# ---- options ----

@test "--vocab overrides the header V" {
    # Header says 512, the loss says 256.
    mklog "$T/v.csv" "V=512 H=1.8342" 300 "$HEALTHY_EXPR"
    run --separate-stderr "$LC" "$T/v.csv"
    status_is 1
    has "is below ln(512) = 6.238"
    run --separate-stderr "$LC" --vocab 256 "$T/v.csv"
    status_is 0
    has "init loss 5.545 ≈ ln(256) = 5.545 (+0.0%): healthy init"
    run --separate-stderr "$LC" --vocab=256 "$T/v.csv"
    status_is 0
}

@test "--vocab supplies V when the header has none" {
    run --separate-stderr "$LC" --vocab 256 "$FIX/no_vocab.csv"
    status_is 1 # 3 rows flat at chance: stuck, but judged
    has "init loss 5.546 ≈ ln(256) = 5.545"
    has "stuck near ln(256)"
}

@test "--tol widens what counts as ln V at init" {
    mklog "$T/tol.csv" "V=256 H=1.8342" 300 'H + 0.1 + (5.80 - H - 0.1) * exp(-s / 40)'
    run --separate-stderr "$LC" "$T/tol.csv"
    status_is 1
    has "init loss 5.800 is far above ln(256)"
    run --separate-stderr "$LC" --tol 0.05 "$T/tol.csv"
    status_is 0
    has "init loss 5.800 ≈ ln(256) = 5.545 (+4.6%): healthy init"
}

@test "-q prints only the verdict lines" {
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    mklog "$T/stuck.csv" "V=256 H=1.8342" 300 '5.54 + 0.005 * sin(s)'
    run --separate-stderr "$LC" -q "$T/healthy.csv" "$T/stuck.csv"
    status_is 1
    [ "${#lines[@]}" -eq 2 ]
    [ "${lines[0]}" = "$T/healthy.csv: HEALTHY" ]
    [ "${lines[1]}" = "$T/stuck.csv: NOT HEALTHY (stuck)" ]
}

@test "several files: one healthy, one not -> both reported, exit 1" {
    mklog "$T/good.csv" "$HDR" 300 "$HEALTHY_EXPR"
    mklog "$T/bad.csv" "$HDR" 300 'H + 0.1 + (log(512) - H - 0.1) * exp(-s / 40)'
    run --separate-stderr "$LC" "$T/good.csv" "$T/bad.csv"
    status_is 1
    has "good.csv: HEALTHY"
    has "bad.csv: NOT HEALTHY (wrong vocabulary)"
    # Files are reported in command-line order.
    [[ "$output" == *"good.csv: HEALTHY"*"bad.csv: init loss"* ]]
}

@test "-h prints usage and exits 0" {
    run --separate-stderr "$LC" -h
    status_is 0
    has "usage: losscheck"
    run --separate-stderr "$LC" --help
    status_is 0
}

@test "unknown option: usage on stderr, exit 2" {
    run --separate-stderr "$LC" --frobnicate x.csv
    status_is 2
    err_has "usage: losscheck"
    [ -z "$output" ]
}

@test "bad option values and no files: exit 2" {
    mklog "$T/h.csv" "$HDR" 10 "$HEALTHY_EXPR"
    for args in "--tol 2" "--tol x" "--vocab 1" "--vocab 25x" "--floor -1" "--vocab"; do
        # shellcheck disable=SC2086
        run --separate-stderr "$LC" $args "$T/h.csv"
        [ "$status" -eq 2 ] || { echo "args '$args' gave exit $status"; return 1; }
    done
    run --separate-stderr "$LC"
    status_is 2
    err_has "usage:"
}

# ---- input format ----

@test "CRLF, blank lines, comments and a 10000-char comment: same verdicts as the LF file" {
    mklog "$T/lf.csv" "$HDR" 300 "$HEALTHY_EXPR"
    long=$(printf '#%010000d' 0)
    awk -v long="$long" '{ print } NR == 10 { print ""; print "# checkpoint saved" }
        NR == 50 { print "   "; print long } END { print "" }' "$T/lf.csv" |
        sed 's/$/\r/' >"$T/crlf.csv"
    grep -q $'\r$' "$T/crlf.csv"
    run --separate-stderr "$LC" "$T/lf.csv"
    status_is 0
    lf_out=${output//lf.csv/X}
    run --separate-stderr "$LC" "$T/crlf.csv"
    status_is 0
    [ -z "$stderr" ]
    crlf_out=${output//crlf.csv/X}
    [ "$lf_out" = "$crlf_out" ] || { diff <(echo "$lf_out") <(echo "$crlf_out"); return 1; }
}

@test "a non-number loss is an error with FILE:LINE, exit 2" {
    run --separate-stderr "$LC" "$FIX/bad_loss.csv"
    status_is 2
    err_has "losscheck: $FIX/bad_loss.csv:6: "
    err_has "5.4S10"
    [ -z "$output" ]
}

@test "a row with three columns is an error with FILE:LINE" {
    run --separate-stderr "$LC" "$FIX/bad_columns.csv"
    status_is 2
    err_has "bad_columns.csv:5: expected 2 columns"
}

@test "a step that is not an integer is an error with FILE:LINE" {
    run --separate-stderr "$LC" "$FIX/bad_step.csv"
    status_is 2
    err_has "bad_step.csv:6: step \"0.5\" is not an integer"
}

@test "a garbage line longer than 4096 chars is an error at its own line" {
    mklog "$T/long.csv" "$HDR" 20 "$HEALTHY_EXPR"
    printf '7,%05000d\n' 1 | tr 0 x >>"$T/long.csv"
    run --separate-stderr "$LC" "$T/long.csv"
    status_is 2
    err_has "long.csv:24: loss"
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "a header with no data rows is an error" {
    run --separate-stderr "$LC" "$FIX/header_only.csv"
    status_is 2
    err_has "header_only.csv:"
    err_has "no data rows"
}

@test "missing file: one line on stderr, exit 2" {
    run --separate-stderr "$LC" "$T/nope.csv"
    status_is 2
    err_has "nope.csv"
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "no V anywhere: the checks that need none still run, and the init line says what to pass" {
    run --separate-stderr "$LC" "$FIX/no_vocab.csv"
    status_is 0
    has "no_vocab.csv: first loss 5.546: pass --vocab V to compare it with ln V (the init check)"
    has "no_vocab.csv: HEALTHY"
    [ -z "$stderr" ]
    # a curve that diverges is still found without V
    mklog "$T/div-nov.csv" "d=64" 200 's < 100 ? 5 - s / 50 : 3 + (s - 100) / 20'
    run --separate-stderr "$LC" "$T/div-nov.csv"
    status_is 1
    has "diverging: loss fell to"
    has "div-nov.csv: NOT HEALTHY (diverging)"
}

@test "a first loss far below ln V is a trained model's start, unless the log says it starts at init" {
    { printf 'step,loss\n'; awk 'BEGIN { for (s = 0; s < 300; s++) printf "%d,%.4f\n", s, 2.0 - s / 1000 }'; } >"$T/ft.csv"
    run --separate-stderr "$LC" --vocab 256 "$T/ft.csv"
    status_is 0
    has "ft.csv: starts from a trained model: first loss 2.000 is far below ln(256) = 5.545"
    has "ft.csv: HEALTHY"
    run --separate-stderr "$LC" --vocab 256 --from-pretrained "$T/ft.csv"
    status_is 0
    has "starts from a trained model (--from-pretrained): first loss 2.000, init check skipped"
    # the same curve in a log whose header says start=init: the model cannot know the data yet
    mklog "$T/ft-init.csv" "V=256" 300 '2.0 - s / 1000'
    run --separate-stderr "$LC" "$T/ft-init.csv"
    status_is 1
    has "ft-init.csv: NOT HEALTHY (init too low)"
}

@test "one bad file among good ones: the good one is still judged, exit 2" {
    mklog "$T/good.csv" "$HDR" 300 "$HEALTHY_EXPR"
    run --separate-stderr "$LC" "$T/good.csv" "$FIX/bad_loss.csv"
    status_is 2
    has "good.csv: HEALTHY"
    err_has "bad_loss.csv:6:"
}

# ---- plots ----

@test "--plot writes a PNG and removes its temp files" {
    need_gnuplot
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    mklog "$T/stuck.csv" "V=256 H=1.8342" 300 '5.54 + 0.005 * sin(s)'
    mkdir "$T/tmp"
    run --separate-stderr env TMPDIR="$T/tmp" "$LC" --plot "$T/x.png" "$T/healthy.csv" "$T/stuck.csv"
    status_is 1
    has "healthy.csv: HEALTHY"
    [ -z "$stderr" ] || { echo "stderr: $stderr"; return 1; }
    [ "$(head -c 8 "$T/x.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
    [ -z "$(ls -A "$T/tmp")" ] || { ls -la "$T/tmp"; return 1; }
}

@test "--ascii draws the runs with ln(V), ln(V') and H labels" {
    need_gnuplot
    mklog "$T/wrongv.csv" "$HDR" 300 'H + 0.1 + (log(512) - H - 0.1) * exp(-s / 40)'
    run --separate-stderr "$LC" --ascii "$T/wrongv.csv"
    status_is 1
    has "ln(V)=5.545"
    has "ln(V')=6.238"
    has "H=1.834"
    has "wrongv.csv"
    has "step"
    has "wrongv.csv: NOT HEALTHY (wrong vocabulary)"
    [ "${#lines[@]}" -gt 15 ]
}

@test "without gnuplot on PATH: verdicts still print, install hint, exit from verdicts" {
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    mklog "$T/stuck.csv" "V=256 H=1.8342" 300 '5.54 + 0.005 * sin(s)'
    hint="losscheck: gnuplot not found; install it with: sudo apt-get install gnuplot-nox"

    run --separate-stderr env PATH=/nonexistent "$LC" --plot "$T/x.png" "$T/healthy.csv"
    status_is 0
    has "healthy.csv: HEALTHY"
    [ "$stderr" = "$hint" ]
    [ ! -e "$T/x.png" ]

    run --separate-stderr env PATH=/nonexistent "$LC" --ascii "$T/stuck.csv"
    status_is 1
    has "stuck near ln(256)"
    [ "$stderr" = "$hint" ]
}

@test "gnuplot failing: one-line note, no PNG left, exit from verdicts" {
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    mkdir "$T/bin" "$T/tmp"
    printf '#!/bin/sh\necho "line 3: unknown terminal" >&2\necho "more noise" >&2\nexit 1\n' \
        >"$T/bin/gnuplot"
    chmod +x "$T/bin/gnuplot"
    run --separate-stderr env PATH="$T/bin" TMPDIR="$T/tmp" "$LC" --plot "$T/x.png" "$T/healthy.csv"
    status_is 0
    has "healthy.csv: HEALTHY"
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
    err_has "losscheck: gnuplot failed"
    err_has "line 3: unknown terminal"
    [ ! -e "$T/x.png" ]
    [ -z "$(ls -A "$T/tmp")" ]
}

# ---- languages ----

PO_ES="$BATS_TEST_DIRNAME/../po/es.po"

# es_catalog: compile the Spanish catalog into $T/locale and point LOCALEDIR at it.
es_catalog() {
    command -v msgfmt >/dev/null || skip "msgfmt (gettext) is not installed"
    LOCALEDIR="$T/locale"
    mkdir -p "$LOCALEDIR/es/LC_MESSAGES"
    msgfmt -c -o "$LOCALEDIR/es/LC_MESSAGES/tiedlab.mo" "$PO_ES"
}

# lang_run [VAR=VALUE...] -- ARGS...: run losscheck with TL_LOCALEDIR=$LOCALEDIR and
# no language variable set except the ones given.
lang_run() {
    local vars=()
    while [ "$1" != -- ]; do
        vars+=("$1")
        shift
    done
    shift
    run --separate-stderr env -u TL_LANG -u LC_ALL -u LC_MESSAGES -u LANG -u LANGUAGE \
        TL_LOCALEDIR="$LOCALEDIR" "${vars[@]}" "$LC" "$@"
}

# same_numbers TEXT1 TEXT2: both hold the same numbers, in the same order, byte for byte.
same_numbers() {
    local a b
    a=$(grep -oE '[0-9]+(\.[0-9]+)?' <<<"$1")
    b=$(grep -oE '[0-9]+(\.[0-9]+)?' <<<"$2")
    [ -n "$a" ] && [ "$a" = "$b" ] && return 0
    printf 'numbers differ:\n--- first:\n%s\n--- second:\n%s\n' "$1" "$2" >&2
    diff <(echo "$a") <(echo "$b") >&2
    return 1
}

WRONGV_EXPR='H + 0.1 + (log(512) - H - 0.1) * exp(-s / 40)'

@test "TL_LANG=es: healthy run in Spanish, same numbers and exit code as in English" {
    es_catalog
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    lang_run TL_LANG=en -- "$T/healthy.csv"
    status_is 0
    has "healthy init"
    en_status=$status en_out=$output
    lang_run TL_LANG=es -- "$T/healthy.csv"
    status_is "$en_status"
    has "healthy.csv: pérdida inicial 5.545 ≈ ln(256) = 5.545 (+0.0%): inicialización sana"
    has "healthy.csv: aprendió: pérdida final 1.93"
    has "frente al suelo H = 1.834 (diferencia de 0.10"
    has "healthy.csv: HEALTHY"
    lacks "init loss"
    lacks "learned"
    [ "${#lines[@]}" -eq 3 ]
    same_numbers "$en_out" "$output"
    [ -z "$stderr" ]
}

@test "TL_LANG=es: wrong vocabulary in Spanish, same numbers and exit code as in English" {
    es_catalog
    mklog "$T/wrongv.csv" "$HDR" 300 "$WRONGV_EXPR"
    lang_run TL_LANG=en -- "$T/wrongv.csv"
    status_is 1
    en_status=$status en_out=$output
    lang_run TL_LANG=es -- "$T/wrongv.csv"
    status_is "$en_status"
    has "wrongv.csv: pérdida inicial 6.238 ≈ ln(512) = 6.238, no ln(256) = 5.545: los logits abarcan 512 clases — tamaño de vocabulario incorrecto"
    has "wrongv.csv: NOT HEALTHY (vocabulario incorrecto)"
    lacks "wrong vocabulary"
    same_numbers "$en_out" "$output"
}

@test "TL_LANG=es: NaN in Spanish, same numbers and exit code as in English" {
    es_catalog
    mklog "$T/nan.csv" "V=256 H=1.8342" 100 "$HEALTHY_EXPR"
    replace_loss "$T/nan.csv" 57 nan
    expected=$(awk -F, '$1 == 56 { printf "%.3f", $2 }' "$T/nan.csv")
    lang_run TL_LANG=en -- "$T/nan.csv"
    status_is 1
    en_status=$status en_out=$output
    lang_run TL_LANG=es -- "$T/nan.csv"
    status_is "$en_status"
    has "nan.csv: la pérdida se volvió NaN en el paso 57 (última pérdida finita: $expected, en el paso 56)"
    has "inicialización sana"
    has "nan.csv: NOT HEALTHY (NaN)"
    same_numbers "$en_out" "$output"
}

@test "TL_LANG=es: a garbage file still exits 2 with FILE:LINE, message in Spanish" {
    es_catalog
    lang_run TL_LANG=en -- "$FIX/bad_loss.csv"
    status_is 2
    en_stderr=$stderr
    lang_run TL_LANG=es -- "$FIX/bad_loss.csv"
    status_is 2
    [ -z "$output" ]
    err_has "losscheck: $FIX/bad_loss.csv:6: la pérdida \"5.4S10\" no es un número"
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
    same_numbers "$en_stderr" "$stderr"
    lang_run TL_LANG=es -- "$FIX/bad_columns.csv"
    status_is 2
    err_has "bad_columns.csv:5: se esperaban 2 columnas \"step,loss\""
}

@test "TL_LANG=es -q: the verdict lines keep the HEALTHY / NOT HEALTHY status words" {
    es_catalog
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    mklog "$T/stuck.csv" "V=256 H=1.8342" 300 '5.54 + 0.005 * sin(s)'
    lang_run TL_LANG=es -- -q "$T/healthy.csv" "$T/stuck.csv"
    status_is 1
    [ "${#lines[@]}" -eq 2 ]
    [ "${lines[0]}" = "$T/healthy.csv: HEALTHY" ]
    [ "${lines[1]}" = "$T/stuck.csv: NOT HEALTHY (estancada)" ]
}

@test "LANG, LC_ALL or LC_MESSAGES naming a missing es_ES locale give Spanish" {
    es_catalog
    mklog "$T/wrongv.csv" "$HDR" 300 "$WRONGV_EXPR"
    # An empty variable does not count: the next one in line decides.
    for v in "LANG=es_ES.UTF-8" "LC_ALL=es_ES.UTF-8" "LC_MESSAGES=es_ES.UTF-8" "LANG=es_MX" \
        "TL_LANG= LC_ALL= LANG=es_ES.UTF-8"; do
        # shellcheck disable=SC2086
        lang_run $v -- "$T/wrongv.csv"
        [ "$status" -eq 1 ] || { echo "with $v: exit $status"; return 1; }
        has "NOT HEALTHY (vocabulario incorrecto)" || { echo "with $v"; return 1; }
        has "pérdida inicial 6.238 ≈ ln(512)" || { echo "with $v"; return 1; }
    done
}

@test "LC_ALL=C, TL_LANG=en or a stray LANGUAGE=es: English" {
    es_catalog
    mklog "$T/wrongv.csv" "$HDR" 300 "$WRONGV_EXPR"
    for vs in "LC_ALL=C" "LC_ALL=C LANG=es_ES.UTF-8" "TL_LANG=en LANG=es_ES.UTF-8" \
        "TL_LANG=en LC_ALL=es_ES.UTF-8" "LC_ALL=C.UTF-8 LANGUAGE=es" "LANGUAGE=es"; do
        # shellcheck disable=SC2086
        lang_run $vs -- "$T/wrongv.csv"
        [ "$status" -eq 1 ] || { echo "with $vs: exit $status"; return 1; }
        has "the logits span 512 classes — wrong vocabulary size" || { echo "with $vs"; return 1; }
        lacks "vocabulario" || { echo "with $vs"; return 1; }
    done
}

@test "TL_LANG=es with no catalog in TL_LOCALEDIR: English, same exit codes" {
    mkdir "$T/empty"
    LOCALEDIR="$T/empty"
    mklog "$T/wrongv.csv" "$HDR" 300 "$WRONGV_EXPR"
    lang_run TL_LANG=es -- "$T/wrongv.csv"
    status_is 1
    has "wrong vocabulary size"
    has "wrongv.csv: NOT HEALTHY (wrong vocabulary)"
    [ -z "$stderr" ]
    lang_run TL_LANG=es -- "$FIX/bad_loss.csv"
    status_is 2
    err_has "bad_loss.csv:6: loss \"5.4S10\" is not a number"
}

@test "without TL_LOCALEDIR the catalog is found in locale/ next to the executable" {
    es_catalog
    mklog "$T/wrongv.csv" "$HDR" 300 "$WRONGV_EXPR"
    mkdir -p "$T/inst" "$T/links"
    cp "$LC" "$T/inst/losscheck"
    cp -r "$T/locale" "$T/inst/locale"
    ln -s "$T/inst/losscheck" "$T/links/losscheck"
    LC="$T/links/losscheck" # through a symlink: the real executable's directory counts
    LOCALEDIR=
    lang_run TL_LANG=es -- "$T/wrongv.csv"
    status_is 1
    has "wrongv.csv: NOT HEALTHY (vocabulario incorrecto)"
    LC="$T/inst/losscheck"
    lang_run TL_LANG=en -- "$T/wrongv.csv"
    has "wrongv.csv: NOT HEALTHY (wrong vocabulary)"
}

@test "an installed es_ES locale: numbers still print and parse as 5.545, TL_LANG=en still wins" {
    es_catalog
    command -v localedef >/dev/null || skip "localedef is not installed"
    mkdir "$T/loc"
    localedef -i es_ES -f UTF-8 "$T/loc/es_ES.UTF-8" >/dev/null 2>&1 || true
    [ "$(LOCPATH="$T/loc" LC_ALL=es_ES.UTF-8 locale decimal_point 2>/dev/null)" = "," ] ||
        skip "cannot build an es_ES.UTF-8 locale here (no locale sources?)"
    mklog "$T/wrongv.csv" "$HDR" 300 "$WRONGV_EXPR"
    lang_run LOCPATH="$T/loc" LANG=es_ES.UTF-8 -- "$T/wrongv.csv" "$T/nope.csv"
    status_is 2
    has "wrongv.csv: pérdida inicial 6.238 ≈ ln(512) = 6.238, no ln(256) = 5.545"
    has "frente al suelo H = 1.834"
    has "wrongv.csv: NOT HEALTHY (vocabulario incorrecto)"
    err_has "nope.csv: no se puede abrir"
    lang_run LOCPATH="$T/loc" LANG=es_ES.UTF-8 TL_LANG=en -- "$T/wrongv.csv" "$T/nope.csv"
    status_is 2
    has "wrong vocabulary size"
    lacks "pérdida"
    err_has "nope.csv: cannot open: No such file or directory"
}

@test "TL_LANG=es: usage, option errors and the gnuplot hint are in Spanish" {
    es_catalog
    lang_run TL_LANG=es -- -h
    status_is 0
    has "uso: losscheck [--vocab V] [--floor H] [--tol FRACCIÓN]"
    has "(por defecto 0.03)"
    lang_run TL_LANG=es -- --tol 2 x.csv
    status_is 2
    err_has "losscheck: --tol 2: se esperaba una fracción entre 0 y 1"
    err_has "uso: losscheck"
    lang_run TL_LANG=es -- --frobnicate x.csv
    status_is 2
    err_has "losscheck: opción desconocida: --frobnicate"
    mklog "$T/healthy.csv" "$HDR" 300 "$HEALTHY_EXPR"
    lang_run TL_LANG=es PATH=/nonexistent -- --plot "$T/x.png" "$T/healthy.csv"
    status_is 0
    [ "$stderr" = "losscheck: no se encontró gnuplot; instálalo con: sudo apt-get install gnuplot-nox" ]
}

@test "TL_LANG=es --ascii: Spanish axis title, ln(V) and H labels unchanged" {
    need_gnuplot
    es_catalog
    mklog "$T/wrongv.csv" "$HDR" 300 "$WRONGV_EXPR"
    lang_run TL_LANG=es -- --ascii "$T/wrongv.csv"
    status_is 1
    has "paso"
    has "ln(V)=5.545"
    has "ln(V')=6.238"
    has "H=1.834"
    [ -z "$stderr" ]
}

@test "the Spanish catalog has every message of losscheck.c and logformats.c, none fuzzy or untranslated" {
    for t in xgettext msgcmp msgfmt; do
        command -v "$t" >/dev/null || skip "$t (gettext) is not installed"
    done
    xgettext -L C --keyword=_ --keyword=ngettext:1,2 --from-code=UTF-8 -o "$T/lc.pot" \
        "$BATS_TEST_DIRNAME/../tools/losscheck.c" "$BATS_TEST_DIRNAME/../tools/logformats.c"
    run --separate-stderr msgcmp "$PO_ES" "$T/lc.pot"
    status_is 0
    run --separate-stderr msgfmt -c --statistics -o "$T/x.mo" "$PO_ES"
    status_is 0
    err_has "translated messages."
    [[ "$stderr" != *fuzzy* && "$stderr" != *untranslated* ]] || { echo "$stderr"; return 1; }
}

# ---- the logs people really have ----

FMT="$BATS_TEST_DIRNAME/fixtures/logs/formats"

# The same curve as each format writes it, from a tiedlab log made by mklog
# (step,loss rows): nanoGPT, llm.c and W&B also get a validation curve equal
# to the training one, so that nothing but the format differs.
as_nanogpt() {
    echo "Initializing a new model from scratch"
    awk -F, '/^[0-9]/ { if ($1 % 25 == 0) printf "step %d: train loss %s, val loss %s\n", $1, $2, $2
                        printf "iter %d: loss %s, time 112.58ms, mfu 3.31%%\n", $1, $2 }' "$1"
}
as_llmc() {
    echo "[GPT-2]"
    awk -F, '/^[0-9]/ { if ($1 % 25 == 0) printf "val loss %s\n", $2
                        printf "step %4d/300: train loss %s norm 1.2 (took 133.95 ms | 2445 tok/s)\n", $1, $2 }' "$1"
}
as_mingpt() { awk -F, '/^[0-9]/ { printf "iter_dt 20.12ms; iter %d: train loss %s\n", $1, $2 }' "$1"; }
as_hf() {
    awk -F, 'BEGIN { printf "{\n  \"global_step\": 300,\n  \"log_history\": [" }
             /^[0-9]/ { v = $2; if (v == "nan") v = "NaN"; else if (v == "inf") v = "Infinity"
                        printf "%s\n    {\"epoch\": 0.1, \"learning_rate\": 0.001, \"loss\": %s, \"step\": %d}", (n++ ? "," : ""), v, $1 }
             END { printf ",\n    {\"step\": 300, \"train_loss\": 2.0, \"train_runtime\": 1.5}\n  ]\n}\n" }' "$1"
}
as_tensorboard() { echo "Wall time,Step,Value"; awk -F, '/^[0-9]/ { printf "%.3f,%d,%s\n", 1733000000 + $1 / 2, $1, $2 }' "$1"; }
as_wandb() {
    echo '"Step","run-1 - train/loss","run-1 - train/loss__MIN","run-1 - train/loss__MAX","run-1 - eval/loss"'
    awk -F, '/^[0-9]/ { printf "\"%d\",\"%s\",\"%s\",\"%s\",\"%s\"\n", $1, $2, $2, $2, ($1 % 25 == 0 ? $2 : "") }' "$1"
}
as_columns() { echo "step loss"; awk -F, '/^[0-9]/ { printf "%d\t%s\n", $1, $2 }' "$1"; }

# findings FILE.OUT: what was said of the training curve, path and label off
findings() { grep -v '(validation): ' "$1" | grep -v ': overfitting: ' | sed -E 's/^[^:]*: //'; }

@test "every format is told from its content and gives the same verdicts as the same curve in tiedlab's CSV" {
    local curves=("$HEALTHY_EXPR" '5.54 + 0.005 * sin(s)' 's < 100 ? 5.5 - s / 50 : 3.5 + (s - 100) / 20'
                  '2 + 19.9 * exp(-s / 20)')
    local c=0 fmt
    for expr in "${curves[@]}"; do
        c=$((c + 1))
        mklog "$T/c$c.csv" "V=256" 300 "$expr"
        "$LC" --vocab 256 --floor 1.8342 "$T/c$c.csv" >"$T/c$c.want" 2>/dev/null || true
        want=$(findings "$T/c$c.want")
        for fmt in nanogpt llmc mingpt hf tensorboard wandb columns; do
            "as_$fmt" "$T/c$c.csv" >"$T/c$c.$fmt"
            "$LC" --vocab 256 --floor 1.8342 "$T/c$c.$fmt" >"$T/c$c.$fmt.out" 2>"$T/c$c.$fmt.err" || true
            got=$(findings "$T/c$c.$fmt.out")
            [ "$got" = "$want" ] || { printf 'curve %d as %s:\n%s\n--- tiedlab CSV:\n%s\n' "$c" "$fmt" "$got" "$want"; return 1; }
            # forcing the detected format reads it the same
            "$LC" --vocab 256 --floor 1.8342 --format "$fmt" "$T/c$c.$fmt" >"$T/c$c.$fmt.forced" 2>/dev/null || true
            cmp -s "$T/c$c.$fmt.out" "$T/c$c.$fmt.forced" || { echo "--format $fmt reads curve $c otherwise"; return 1; }
        done
    done
}

@test "a NaN mid-run is found in every format, JSON's bare NaN included" {
    mklog "$T/nan.csv" "V=256" 100 "$HEALTHY_EXPR"
    replace_loss "$T/nan.csv" 57 nan
    for fmt in nanogpt llmc mingpt hf tensorboard wandb columns; do
        "as_$fmt" "$T/nan.csv" >"$T/nan.$fmt"
        run --separate-stderr "$LC" --vocab 256 "$T/nan.$fmt"
        status_is 1
        has "loss became NaN at step 57"
        has "NOT HEALTHY (NaN)"
    done
}

@test "nanoGPT's console: banners skipped and counted in one line, train and val judged apart" {
    run --separate-stderr "$LC" --vocab 65 "$FMT/nanogpt-shakespeare-char.log"
    status_is 0
    has "nanogpt-shakespeare-char.log (training): init loss 4.265 ≈ ln(65) = 4.174 (+2.2%): healthy init"
    has "nanogpt-shakespeare-char.log (validation): learned: end loss 1.474"
    has "nanogpt-shakespeare-char.log: HEALTHY"
    err_has "nanogpt-shakespeare-char.log: skipped 20 lines with no loss in them (the first, line 1: \"Overriding config"
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "llm.c's console: a GPT-2 fine-tune starts from a trained model, a diverging run is found in both curves" {
    run --separate-stderr "$LC" --vocab 50257 "$FMT/llmc-gpt2-124M.log"
    status_is 0
    has "(training): starts from a trained model: first loss 5.356 is far below ln(50257) = 10.825"
    has "(validation): learned: end loss 4.093, down from 5.325"
    run --separate-stderr "$LC" --vocab 50257 --from-pretrained "$FMT/llmc-gpt2-124M.log"
    status_is 0
    has "starts from a trained model (--from-pretrained): first loss 5.356, init check skipped"
    run --separate-stderr "$LC" --vocab 50257 "$FMT/llmc-cuda-diverging.log"
    status_is 1
    has "(training): init loss 10.920 ≈ ln(50257) = 10.825 (+0.9%): healthy init"
    has "(training): diverging: loss fell to 7.400 at step 60"
    has "(validation): diverging:"
    has "llmc-cuda-diverging.log: NOT HEALTHY (diverging)"
}

@test "minGPT's lines with other text on them, TensorBoard's and W&B's exports, plain columns" {
    run --separate-stderr "$LC" --vocab 65 "$FMT/mingpt-chargpt.log"
    status_is 0
    has "mingpt-chargpt.log: init loss 4.180 ≈ ln(65) = 4.174 (+0.1%): healthy init"
    err_has "skipped 4 lines"
    run --separate-stderr "$LC" --vocab 256 "$FMT/tensorboard-run-.-tag-train_loss.csv"
    status_is 1
    has "stuck near ln(256) = 5.545: end loss 5.540 after 299 steps — not learning"
    run --separate-stderr "$LC" --vocab 256 "$FMT/wandb_export_2026-12-01.csv"
    status_is 0
    has "wandb_export_2026-12-01.csv (training): init loss 5.545"
    has "wandb_export_2026-12-01.csv (validation): learned: end loss 1.315"
    run --separate-stderr "$LC" --vocab 256 "$FMT/columns.txt"
    status_is 0
    has "columns.txt: learned: end loss 1.903"
    [ -z "$stderr" ]   # the header row is a header, not a skipped line
}

@test "Hugging Face's trainer_state.json: the log starts after step 0, and validation turning up is overfitting" {
    run --separate-stderr "$LC" --vocab 50257 "$FMT/trainer_state.json"
    status_is 1
    has "trainer_state.json (training): first loss 9.887 at step 10, below ln(50257) = 10.825: the log starts after training began"
    has "trainer_state.json: overfitting: validation loss rose from 2.985 at step 600 to 3.330 by the end while training loss fell from 1.174 to 1.012"
    has "trainer_state.json: NOT HEALTHY (overfitting)"
    lacks "starts from a trained model"
    run --separate-stderr "$LC" --vocab 50257 "$FMT/trainer_state-nan.json"
    status_is 1
    has "(training): loss became NaN at step 500 (last finite loss 1.362 at step 490)"
}

@test "a gap between validation and training alone is not overfitting" {
    mklog "$T/base.csv" "V=256" 300 "$HEALTHY_EXPR"
    awk -F, '/^[0-9]/ { if ($1 % 25 == 0) printf "step %d: train loss %s, val loss %.4f\n", $1, $2, $2 + 0.4
                        printf "iter %d: loss %s\n", $1, $2 }' "$T/base.csv" >"$T/gap.log"
    run --separate-stderr "$LC" --vocab 256 "$T/gap.log"
    status_is 0
    lacks "overfitting"
}

@test "standard input: the init verdict comes first, as soon as the first loss is read" {
    run --separate-stderr bash -c "cat '$FMT/nanogpt-shakespeare-char.log' | '$LC' --vocab 65 -"
    status_is 0
    [[ "${lines[0]}" == "-: init loss 4.265 ≈ ln(65) = 4.174 (+2.2%): healthy init" ]]
    has "-: HEALTHY"
    [ "$(grep -c 'healthy init' <<<"$output")" -eq 1 ]
    # a fifo fed slowly: the verdict on the init is out before the run ends
    mkfifo "$T/pipe"
    ( printf 'step 0: train loss 4.17, val loss 4.18\niter 0: loss 4.17\n'; sleep 2
      printf 'iter 1: loss 4.0\niter 2: loss 3.9\n' ) >"$T/pipe" &
    "$LC" --vocab 65 - <"$T/pipe" >"$T/early.out" &
    lc=$!
    sleep 1
    grep -q 'healthy init' "$T/early.out"
    wait "$lc" || true
    wait
    grep -q '^-: ' "$T/early.out"
}

@test "--format forces one; an unknown name lists them all" {
    run --separate-stderr "$LC" --vocab 65 --format columns "$FMT/nanogpt-shakespeare-char.log"
    status_is 2
    err_has "nanogpt-shakespeare-char.log: no loss line in"
    run --separate-stderr "$LC" --vocab 65 --format tensorboard "$FMT/nanogpt-shakespeare-char.log"
    status_is 2
    err_has "a tensorboard export needs a step column and a loss column"
    run --separate-stderr "$LC" --format nope "$FMT/columns.txt"
    status_is 2
    err_has "--format nope: expected tiedlab, nanogpt, llmc, mingpt, hf, tensorboard, wandb, columns"
}

@test "bad input: binary, a 10 MB line, negative, backward and repeated steps, broken or empty JSON, no loss line" {
    head -c 4096 /dev/urandom | tr -d '\n' | { cat; printf '\0\n'; } >"$T/bin.dat"
    run --separate-stderr "$LC" "$T/bin.dat"
    status_is 2
    err_has "bin.dat:1: holds NUL bytes: a binary file, not a training log"
    { head -c 10000000 /dev/zero | tr '\0' 'x'; printf '\niter 0: loss 5.5\niter 1: loss 5.0\n'; } >"$T/long.log"
    run --separate-stderr "$LC" --vocab 256 "$T/long.log"
    status_is 0
    err_has "long.log: skipped 1 line with no loss in it (line 1: \"xxxx"
    printf 'step loss\n0 5.5\n-3 5.4\n' >"$T/neg.txt"
    run --separate-stderr "$LC" "$T/neg.txt"
    status_is 2
    err_has "neg.txt:3: step -3 is negative"
    printf 'iter 0: loss 5.5\niter 10: loss 5.0\niter 5: loss 4.0\n' >"$T/back.log"
    run --separate-stderr "$LC" "$T/back.log"
    status_is 2
    err_has "back.log:3: the training curve goes back from step 10 to step 5"
    printf '0,5.5\n1,5.4\n1,5.3\n' >"$T/dup.csv"
    run --separate-stderr "$LC" "$T/dup.csv"
    status_is 2
    err_has "dup.csv:3: step 1 of the training curve again (first at line 2)"
    printf '{"log_history": []}\n' >"$T/empty.json"
    run --separate-stderr "$LC" "$T/empty.json"
    status_is 2
    err_has 'empty.json: log_history has no "loss" or "eval_loss" entry'
    printf '{"log_history": [{"loss": 1.0, "step": 1},\n' >"$T/cut.json"
    run --separate-stderr "$LC" "$T/cut.json"
    status_is 2
    err_has "cut.json:2:"
    err_has "not JSON"
    printf '{"epoch": 3}\n' >"$T/other.json"
    run --separate-stderr "$LC" "$T/other.json"
    status_is 2
    err_has 'other.json: no "log_history" list'
    printf 'Loading model...\nwarming up\nall done\n' >"$T/none.log"
    run --separate-stderr "$LC" "$T/none.log"
    status_is 2
    err_has "none.log: no loss line in 3 lines"
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
    printf '0 5.5\n1 inf\n2 5.0\n' >"$T/inf.txt"
    run --separate-stderr "$LC" --vocab 256 "$T/inf.txt"
    status_is 1
    has "loss became Inf at step 1"
}

@test "the new findings in Spanish: overfitting, a trained model's start, the skipped lines" {
    lang_run TL_LANG=es -- --vocab 50257 "$FMT/trainer_state.json"
    status_is 1
    has "sobreajuste: la pérdida de validación subió de 2.985 en el paso 600 a 3.330"
    has "NOT HEALTHY (sobreajuste)"
    lang_run TL_LANG=es -- --vocab 50257 "$FMT/llmc-gpt2-124M.log"
    has "parte de un modelo ya entrenado: la primera pérdida, 5.356, queda muy por debajo de ln(50257) = 10.825"
    err_has "se omitieron 21 líneas sin pérdida"
}
