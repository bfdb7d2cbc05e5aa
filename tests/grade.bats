#!/usr/bin/env bats
# grade.bats — the instructor kit: grading that a learner cannot fool, a class
# gradebook, the Gradescope bundle and the GitHub Classroom workflow, status and
# new-lab. Runs in a scratch copy of the tree.

load helpers

# inject DIR CODE: put C code at the start of tl_config_default in a workspace
inject() {
    CODE="$2" awk 'NR == 1 { print "#include <stdio.h>" } { print }
        /^tl_config tl_config_default\(void\)$/ { getline; print; print "    " ENVIRON["CODE"] }' \
        "$1/model.c" > "$1/model.c.new"
    mv "$1/model.c.new" "$1/model.c"
    grep -qF "$2" "$1/model.c"
}

# score_of RESULTS_DIR: the total score in results.json
score_of() { jq -r '.score' "$1/results.json"; }

# make_old LEARNER_DIR: its lab00 workspace, and the record of what it was
# made from, as lib/ was before checkpoint.c (tests/fixtures/lib-before-checkpoints)
make_old() {
    local ws=$1/work/lab00 base=$1/work/.state/lab00/base f
    rm -f "$ws"/checkpoint*.c
    for f in tiedlab.h err.c optim.c; do cp "$REPO/tests/fixtures/lib-before-checkpoints/$f" "$ws/$f"; done
    mkdir -p "$(dirname "$base")"
    cp -R "$ws" "$base"
    patch -s -R -p1 -d "$base" < "$REPO/fixes/lab00-vocab-mismatch.patch"   # the broken start
}

setup_file() {
    export REPO="$BATS_FILE_TMPDIR/repo"
    copy_tree "$REPO"
    make -s -C "$REPO" build >/dev/null
    export CLASS="$BATS_FILE_TMPDIR/class" OUT="$BATS_FILE_TMPDIR/graded"
    # twenty learners: the honest ones, and the ones who try to fool the grader
    make_submission "$CLASS/fixed" 00 fixed
    make_submission "$CLASS/unfixed" 00 broken
    make_submission "$CLASS/edits-tests" 00 broken
    mkdir -p "$CLASS/edits-tests/labs/lab00-vocab-mismatch" "$CLASS/edits-tests/tests/unit"
    printf 'int main(void) { return 0; }\n' > "$CLASS/edits-tests/labs/lab00-vocab-mismatch/fixed.c"
    printf 'int main(void) { return 0; }\n' > "$CLASS/edits-tests/tests/unit/main.c"
    make_submission "$CLASS/prints-pass" 00 fixed
    inject "$CLASS/prints-pass/work/lab00" 'printf("[  PASSED  ] 3 test(s).\ntiedlab-done 0 0\nPASS\n"); fflush(stdout); exit(0);'
    make_submission "$CLASS/loops" 00 fixed
    inject "$CLASS/loops/work/lab00" 'for (volatile int spin = 1; spin;) {}'
    make_submission "$CLASS/allocates" 00 fixed
    inject "$CLASS/allocates/work/lab00" 'for (;;) { char *p = malloc(1 << 24); memset(p, 1, 1 << 24); }'
    make_submission "$CLASS/segfaults" 00 fixed
    inject "$CLASS/segfaults/work/lab00" '*(volatile int *)0 = 1;'
    make_submission "$CLASS/writes-results" 00 broken
    inject "$CLASS/writes-results/work/lab00" "FILE *cheat = fopen(\"$OUT/writes-results/results.json\", \"w\"); if (cheat) { fputs(\"{\\\"score\\\": 100}\", cheat); fclose(cheat); }"
    for i in 1 2; do make_submission "$CLASS/learner-fixed-$i" 00 fixed; done
    # a learner who started before lib/ had checkpoints, and fixed the lab
    make_submission "$CLASS/older-lib" 00 fixed
    make_old "$CLASS/older-lib"
    for i in 1 2 3 4 5 6 7 8 9; do mkdir -p "$CLASS/learner-idle-$i"; done
    cd "$REPO"
    TL_TIMEOUT=15 GRADE_LAB_SECONDS=200 timeout 900 make -s grade-all SUBMISSIONS="$CLASS" RESULTS="$OUT" \
        >"$BATS_FILE_TMPDIR/grade-all.out" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/grade-all.status"
}

setup() {
    cd "$REPO"
}

@test "grade-all over twenty learners finishes and writes a results.json each" {
    [ "$(cat "$BATS_FILE_TMPDIR/grade-all.status")" -eq 0 ]
    grep -q 'graded 20 learners' "$BATS_FILE_TMPDIR/grade-all.out"
    [ "$(ls "$OUT"/*/results.json | wc -l)" -eq 20 ]
}

@test "results.json has Gradescope's fields and adds up" {
    for r in "$OUT"/*/results.json; do
        jq -e '(.score | type == "number") and (.execution_time | type == "number")
               and (.output | type == "string") and (.visibility == "visible")
               and (.tests | length > 0)
               and all(.tests[]; (.name | type == "string") and (.number | type == "string")
                   and (.score | type == "number") and (.max_score | type == "number")
                   and (.status == "passed" or .status == "failed") and (.output | type == "string")
                   and (.visibility == "visible"))
               and (.score == ([.tests[].score] | add))' "$r" >/dev/null || { echo "bad: $r"; cat "$r"; false; }
    done
}

@test "the gradebook adds up to each learner's results.json" {
    [ "$(head -n1 "$OUT/gradebook.csv")" = "learner,lab,score,max_score" ]
    [ "$(tail -n +2 "$OUT/totals.csv" | wc -l)" -eq 20 ]
    while IFS=, read -r learner score max; do
        [ "$learner" = learner ] && continue
        sum=$(awk -F, -v l="$learner" '$1 == l { s += $3 } END { print s + 0 }' "$OUT/gradebook.csv")
        [ "$sum" = "$score" ] || { echo "$learner: gradebook $sum, totals $score"; false; }
        [ "$(jq -r .score "$OUT/$learner/results.json")" = "$score" ] || { echo "$learner: results.json differs"; false; }
    done < "$OUT/totals.csv"
}

@test "a fixed lab earns its points, an unfixed one none, an idle learner none" {
    [ "$(jq -r '[.tests[] | select(.tags[0] == "lab00") | .score] | add' "$OUT/fixed/results.json")" = 10 ]
    [ "$(jq -r '[.tests[] | select(.tags[0] == "lab00") | .score] | add' "$OUT/unfixed/results.json")" = 0 ]
    [ "$(score_of "$OUT/learner-idle-1")" = 0 ]
    grep -q 'not started' "$OUT/learner-idle-1/summary.txt"
    grep -q 'classname="tiedlab.lab00"' "$OUT/fixed/junit.xml"
    grep -q '<failure' "$OUT/unfixed/junit.xml"
}

@test "a workspace made before lib/ had checkpoints is graded with what lib/ gained merged in" {
    [ "$(jq -r '[.tests[] | select(.tags[0] == "lab00") | .score] | add' "$OUT/older-lib/results.json")" = 10 ]
    # the submission itself is not changed
    [ ! -e "$CLASS/older-lib/work/lab00/checkpoint.c" ]
}

@test "edited test files in a submission are ignored: the pristine tests grade it" {
    [ "$(score_of "$OUT/edits-tests")" = 0 ]
}

@test "printing PASS and exiting 0 early earns nothing: the guard refuses it, naming both calls" {
    [ "$(score_of "$OUT/prints-pass")" = 0 ]
    jq -r '.tests[].output' "$OUT/prints-pass/results.json" | grep -qE 'model.c calls (printf|puts)'
    jq -r '.tests[].output' "$OUT/prints-pass/results.json" | grep -q 'model.c calls exit'
}

@test "an infinite loop is a failed check with a reason, not a hung grader" {
    [ "$(score_of "$OUT/loops")" = 0 ]
    # the judge stops the call at 3/4 of the 15 s limit and names it; the
    # checks after it are not run
    jq -r '.tests[].output' "$OUT/loops/results.json" | grep -q 'tl_config_default did not return within 11 s'
    jq -r '.tests[].output' "$OUT/loops/results.json" | grep -q 'not run, the previous check hung'
}

@test "unbounded allocation and a segfault are failed checks with a reason" {
    [ "$(score_of "$OUT/allocates")" = 0 ]
    jq -r '.tests[].output' "$OUT/allocates/results.json" | grep -qE 'crashed|exception|timed out|did not return within'
    [ "$(score_of "$OUT/segfaults")" = 0 ]
    jq -r '.tests[].output' "$OUT/segfaults/results.json" | grep -qE 'Segmentation fault|SEGV'
}

@test "writing to the results path does not change the grade" {
    [ "$(score_of "$OUT/writes-results")" = 0 ]
    jq -e '.tests | length > 1' "$OUT/writes-results/results.json" >/dev/null
}

@test "make grade grades this checkout's own workspaces" {
    rm -rf work
    make_submission "$REPO" 00 fixed
    run make -s grade LABS=00 RESULTS="$BATS_TEST_TMPDIR/r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"10 of 10 points"* ]]
    [ "$(score_of "$BATS_TEST_TMPDIR/r")" = 10 ]
    rm -rf work
}

@test "the Gradescope bundle grades a fixed and an unfixed submission in an /autograder look-alike" {
    run make -s autograder
    [ "$status" -eq 0 ]
    ag="$BATS_TEST_TMPDIR/autograder"
    mkdir -p "$ag/source"
    unzip -q build/autograder.zip -d "$ag/source"
    [ -x "$ag/source/setup.sh" ] && [ -x "$ag/source/run_autograder" ]
    [ ! -e "$ag/source/work" ]
    (cd "$ag/source" && ./setup.sh >/dev/null)
    cp "$ag/source/run_autograder" "$ag/run_autograder"
    make_submission "$ag/submission" 00 fixed
    LABS=00 AUTOGRADER_ROOT="$ag" run "$ag/run_autograder"
    [ "$status" -eq 0 ]
    [ "$(score_of "$ag/results")" = 10 ]
    # a submission of just the lab folders, unfixed
    rm -rf "$ag/submission" "$ag/results"
    make_submission "$BATS_TEST_TMPDIR/bare" 00 broken
    mv "$BATS_TEST_TMPDIR/bare/work" "$ag/submission"
    LABS=00 AUTOGRADER_ROOT="$ag" run "$ag/run_autograder"
    [ "$status" -eq 0 ]
    [ "$(score_of "$ag/results")" = 0 ]
}

@test "the Classroom workflow's commands pass a fixed lab and fail an unfixed one" {
    run make -s classroom
    [ "$status" -eq 0 ]
    wf=.github/workflows/classroom.yml
    grep -q 'classroom-resources/autograding-command-grader@v1' "$wf"
    grep -q 'classroom-resources/autograding-grading-reporter@v1' "$wf"
    cmd=$(sed -n 's/^ *command: \(LABS=00 .*\)$/\1/p' "$wf")
    [ -n "$cmd" ]
    learner="$BATS_TEST_TMPDIR/learner-repo"
    copy_tree "$learner"
    make_submission "$learner" 00 fixed
    (cd "$learner" && bash -c "$cmd" >/dev/null)
    rm -rf "$learner/work"
    make_submission "$learner" 00 broken
    run bash -c "cd '$learner' && $cmd"
    [ "$status" -ne 0 ]
}

@test "make status reads progress from disk and changes nothing" {
    rm -rf work notes/lab00.md
    run make -s status
    [ "$status" -eq 0 ]
    [[ "$output" == *"00     One matrix, two vocabularies"*"not started"* ]]
    make -s lab00 >/dev/null
    make -s hint LAB=00 >/dev/null
    printf '\n## Predictions\nIt stops with an error naming 512 and 256.\n' >> notes/lab00.md
    before=$(find work notes -type f -exec md5sum {} + | sort)
    run make -s status
    after=$(find work notes -type f -exec md5sum {} + | sort)
    [ "$before" = "$after" ]
    line=$(printf '%s\n' "$output" | grep '^00 ')
    [[ "$line" == *"in progress"*"1/3"*"yes"*"never"* ]]
    patch -s -p1 -d work/lab00 < fixes/lab00-vocab-mismatch.patch
    make -s check-fix LAB=00 >/dev/null
    run make -s status
    [[ "$(printf '%s\n' "$output" | grep '^00 ')" == *"fixed"*"pass "* ]]
    rm -rf work notes/lab00.md
}

@test "make new-lab scaffolds every part, and verify fails until it is filled in" {
    run make -s new-lab NAME=my-idea
    [ "$status" -eq 0 ]
    lab=$(ls -d labs/lab*-my-idea)
    for f in lab.conf lab.md hints/1.md hints/2.md hints/3.md symptoms.c fixed.c; do
        [ -f "$lab/$f" ] || { echo "missing $lab/$f"; false; }
    done
    [ -f "breaks/$(basename "$lab").patch" ] && [ -f "fixes/$(basename "$lab").patch" ]
    n=$(basename "$lab" | cut -c4-5)
    run tools/lab verify "$n"
    [ "$status" -ne 0 ]
    [[ "$output" == *"still has TODO"* ]]
    [[ "$output" == *"no hunk in"* ]]
    [ -d "tests/valid-fixes/$(basename "$lab")" ]
    [[ "$output" == *"0 valid fix(es) under tests/valid-fixes/"* ]]
    run make -s new-lab NAME='Bad Name'
    [ "$status" -ne 0 ]
    rm -rf "$lab" "breaks/$(basename "$lab").patch" "fixes/$(basename "$lab").patch" \
        "tests/wrong-fixes/$(basename "$lab")" "tests/valid-fixes/$(basename "$lab")"
}
