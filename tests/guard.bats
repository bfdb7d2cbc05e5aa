#!/usr/bin/env bats
# guard.bats — grading that a learner's code cannot fool (issue 11): one crafted
# submission per class of the threat model in tools/guard, each graded to 0
# with the guard's reason; the same attempts with the guard off, graded to 0 by
# the judge and the sandbox alone; honest fixes that look unusual still earn
# every point. Runs in a scratch copy of the tree.

load helpers

CHEATS=tests/fixtures/cheats

# add_cheat WS FILE: append a crafted file to the workspace's model.c and call
# its tl_cheat_run first thing in tl_config_default, which every program calls
add_cheat() {
    cat "$2" >>"$1/model.c"
    awk '/^tl_config tl_config_default\(void\)$/ { print "void tl_cheat_run(void);"; print; getline; print;
                                                   print "    tl_cheat_run();"; next } { print }' \
        "$1/model.c" >"$1/model.c.new"
    mv "$1/model.c.new" "$1/model.c"
}

# expect_of FILE: the reason pattern a crafted file says it must be graded with
expect_of() { sed -n 's/^ \* expect: //p' "$1" | sed 's| \*/$||'; }

# reason LEARNER [OUT]: the graded text of lab 00, all checks
reason() { jq -r '[.tests[] | select(.tags[0] == "lab00") | .output] | join("\n")' "${2:-$OUT}/$1/results.json"; }
score() { jq -r '[.tests[] | select(.tags[0] == "lab00") | .score] | add' "${2:-$OUT}/$1/results.json"; }

# the guard-off subset: the attempts that would run if nothing refused them
OFF="1-constructor 1-destructor-atexit 2-getenv 2-proc-environ 2-memory-scan 3-framework-runner 3-harness-runner 3-libc 5-write-results 6-raw-syscall 6-signal-longjmp 7-stop-early"

setup_file() {
    export REPO="$BATS_FILE_TMPDIR/repo"
    copy_tree "$REPO"
    make -s -C "$REPO" build >/dev/null
    export CLASS="$BATS_FILE_TMPDIR/class" OFFCLASS="$BATS_FILE_TMPDIR/offclass"
    export OUT="$BATS_FILE_TMPDIR/graded" OUT_OFF="$BATS_FILE_TMPDIR/graded-off"
    for f in "$REPO/$CHEATS"/*.c; do
        n=$(basename "$f" .c)
        make_submission "$CLASS/$n" 00 broken
        add_cheat "$CLASS/$n/work/lab00" "$f"
        if [[ " $OFF " == *" $n "* ]]; then
            mkdir -p "$OFFCLASS"
            cp -R "$CLASS/$n" "$OFFCLASS/$n"
        fi
    done
    # honest fixes that look unusual: a static helper, a static table,
    # <math.h>, a new tl_ function and an error message through tl_fail
    make_submission "$CLASS/honest-extras" 00 fixed
    cat >>"$CLASS/honest-extras/work/lab00/model.c" <<'C'

#include <math.h>
static const float honest_table[4] = { 1.0f, 2.0f, 3.0f, 4.0f };
static float honest_norm(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * (double)x[i];
    return (float)sqrt(s) + expf(0.0f) - 1.0f;
}
tl_err tl_vocab_check(size_t V_in, size_t V_out);
tl_err tl_vocab_check(size_t V_in, size_t V_out)
{
    if (V_in != V_out)
        return tl_fail(TL_ESHAPE, "tl_model_create: E has %zu rows, the data %zu classes", V_in, V_out);
    return honest_norm(honest_table, 4) > 0.0f ? TL_OK : TL_EINVAL;
}
C
    make_submission "$CLASS/honest-fixed" 00 fixed
    cd "$REPO"
    LABS=00 TL_TIMEOUT=20 timeout 900 make -s grade-all SUBMISSIONS="$CLASS" RESULTS="$OUT" >"$BATS_FILE_TMPDIR/on.out" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/on.status"
    LABS=00 TL_GUARD=0 TL_TIMEOUT=20 timeout 900 make -s grade-all SUBMISSIONS="$OFFCLASS" RESULTS="$OUT_OFF" \
        >"$BATS_FILE_TMPDIR/off.out" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/off.status"
}

setup() {
    cd "$REPO"
}

# check_class N: every crafted file of class N graded 0, its reason matching
check_class() {
    local f n want got bad=0
    for f in "$REPO/$CHEATS/$1"-*.c; do
        n=$(basename "$f" .c)
        want=$(expect_of "$f")
        [ -n "$want" ] || { echo "$n: no expect: line"; bad=1; continue; }
        got=$(score "$n")
        [ "$got" = 0 ] || { echo "$n: scored $got, want 0"; bad=1; }
        reason "$n" | grep -qE "$want" || { echo "$n: reason does not match '$want':"; reason "$n" | head -n 8; bad=1; }
    done
    [ "$bad" -eq 0 ]
}

@test "every crafted submission was graded" {
    [ "$(cat "$BATS_FILE_TMPDIR/on.status")" -eq 0 ]
    for f in "$REPO/$CHEATS"/*.c; do
        [ -f "$OUT/$(basename "$f" .c)/results.json" ] || { echo "no results for $(basename "$f")"; false; }
    done
}

@test "class 1: constructors, destructors, atexit, a replaced main, an ifunc earn 0, with the guard's line" {
    check_class 1
}

@test "class 2: the environment, /proc/self, environ and a walk through memory earn 0" {
    check_class 2
}

@test "class 3: replacing the framework's runner, the harness's or the C library's functions earns 0" {
    check_class 3
}

@test "class 4: calling the harness's own functions earns 0" {
    check_class 4
}

@test "class 5: writing the grade's files or reaching the network earns 0, and nothing is written" {
    check_class 5
    [ ! -e /autograder/results/results.json ] || ! grep -q '"score": 100' /autograder/results/results.json
    # the grade's own results.json, not the forged one: its tests, all scored 0
    jq -e '(.tests | length) >= 1 and ([.tests[].score] | add) == 0 and (.tests[0].name | test("lab00"))' \
        "$OUT/5-write-results/results.json" >/dev/null
}

@test "class 6: raw system calls, signal handlers, longjmp and frame walks earn 0" {
    check_class 6
}

@test "class 7: a library that stops the program at its first call earns 0" {
    check_class 7
}

@test "a refused lab says why in one line of summary.txt, and in junit.xml" {
    line=$(grep '^lab00' "$OUT/1-constructor/summary.txt")
    [[ "$line" == *"0 / 10"*"refused: model.c"* ]]
    grep -q '<testcase name="guard" classname="tiedlab.lab00"' "$OUT/1-constructor/junit.xml"
    grep -q 'failure message="the guard refused the library' "$OUT/1-constructor/junit.xml"
}

@test "honest fixes with a static helper, a table, math.h, a new tl_ function and tl_fail earn every point" {
    [ "$(score honest-extras)" = 10 ]
    [ "$(score honest-fixed)" = 10 ]
    reason honest-extras | grep -q 'uses only what a lab needs'
}

@test "with the guard off, every attempt still earns 0: the judge and the sandbox hold" {
    [ "$(cat "$BATS_FILE_TMPDIR/off.status")" -eq 0 ]
    bad=0
    for n in $OFF; do
        got=$(score "$n" "$OUT_OFF")
        [ "$got" = 0 ] || { echo "$n (guard off): scored $got"; reason "$n" "$OUT_OFF" | head -n 10; bad=1; }
        ! reason "$n" "$OUT_OFF" | grep -q 'refused' || { echo "$n: the guard ran"; bad=1; }
    done
    [ "$bad" -eq 0 ]
}

@test "with the guard off, a constructor's forged verdict and stop are seen as a library that did not start" {
    reason 1-constructor "$OUT_OFF" | grep -q "the library's process did not start"
    reason 2-memory-scan "$OUT_OFF" | grep -q "fixed-behaviour tests fail"
    reason 7-stop-early "$OUT_OFF" | grep -qE "the library's process stopped \(exit status 0\) during tl_config_default"
}

# A grader's own program that claims too few tests (or none) is a FAIL: the
# count is checked, not just the exit status.
@test "a verdict line that ran fewer tests than it defines, or none, or no line at all, fails" {
    fixed=labs/lab00-vocab-mismatch/fixed.c
    cp "$fixed" "$BATS_TEST_TMPDIR/fixed.c.orig"
    make_submission "$REPO" 00 fixed
    for body in 'dprintf(3, "tiedlab-done ran=2 of=3 failed=0 hung=0\n");' \
                'dprintf(3, "tiedlab-done ran=0 of=0 failed=0 hung=0\n");' \
                'puts("tiedlab-done ran=3 of=3 failed=0 hung=0");'; do
        printf '#include <stdio.h>\nint main(void)\n{\n    %s\n    return 0;\n}\n' "$body" >"$fixed"
        run make -s check-fix LAB=00
        [ "$status" -ne 0 ]
        [[ "$output" =~ "fixed-behaviour tests fail: "(only 2 of its 3 tests ran|only 0 of its 0 tests ran|the program stopped before its verdict) ]]
    done
    cp "$BATS_TEST_TMPDIR/fixed.c.orig" "$fixed"
    rm -rf work notes/lab00.md
}
