#!/usr/bin/env bats
# engine.bats — the learner's loop through make: lab00, hint, check-fix, reset,
# and every way a bad request should fail. Runs in a scratch copy of the tree,
# so the real work/ and notes/ are never touched.

load helpers

setup_file() {
    export REPO="$BATS_FILE_TMPDIR/repo"
    copy_tree "$REPO"
    make -s -C "$REPO" build >/dev/null
}

setup() {
    cd "$REPO"
}

fresh_lab00() {
    rm -rf work notes/lab00.md
    run make -s lab00
    [ "$status" -eq 0 ]
}

@test "make lab00 shows the error naming 512, 256 and the call that caught it" {
    fresh_lab00
    [[ "$output" == *"tl_cross_entropy_forward: logits have 512 columns, targets need 256 classes"* ]]
    [[ "$output" == *"E has 512 rows"* ]]
    [ -f work/lab00/model.c ]
    [ -f notes/lab00.md ]
    grep -q '^## Predictions' notes/lab00.md
}

@test "make lab00 shows the silenced run against ln(V) with losscheck's verdict and plot" {
    fresh_lab00
    [[ "$output" == *"ln(V)=5.545"* ]]
    [[ "$output" == *"NOT HEALTHY"* ]]
    head -c 8 work/.state/lab00/demo-silenced.png | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'
}

@test "make lab00 again keeps the learner's edits and notes" {
    fresh_lab00
    echo '/* my edit */' >> work/lab00/model.c
    echo 'my prediction' >> notes/lab00.md
    run make -s lab00
    [ "$status" -eq 0 ]
    [[ "$output" == *"your edits are kept"* ]]
    grep -q 'my edit' work/lab00/model.c
    grep -q 'my prediction' notes/lab00.md
}

@test "make lab00 again reuses the silenced demo's build, and still shows it" {
    fresh_lab00
    local bin=build/demo/lab00-silenced/train
    [ -x "$bin" ]
    local before
    before=$(stat -c %Y.%i "$bin")
    sleep 1
    run make -s lab00
    [ "$status" -eq 0 ]
    [ "$(stat -c %Y.%i "$bin")" = "$before" ]
    [[ "$output" == *"What if: Silence the complaint"* ]]
    [[ "$output" == *"NOT HEALTHY"* ]]
}

@test "lab runs use the baseline kernel build, so every machine gets the texts' figures" {
    fresh_lab00
    grep -qE ' isa=base( |$)' work/.state/lab00/demo-silenced.csv
    local t=$BATS_TEST_TMPDIR
    TL_ISA=base build/default/train --steps 100 --log "$t/a.csv" --quiet
    TL_ISA=base build/default/train --steps 100 --log "$t/b.csv" --quiet
    cmp "$t/a.csv" "$t/b.csv"
    # another build adds in another order: the same run differs in the last digits
    for isa in avx2 avx512; do
        TL_ISA=$isa build/default/train --steps 100 --log "$t/$isa.csv" --quiet
        if grep -qE " isa=$isa( |\$)" "$t/$isa.csv"; then
            run cmp -s <(grep -v '^#' "$t/a.csv") <(grep -v '^#' "$t/$isa.csv")
            [ "$status" -eq 1 ]
        fi
    done
}

@test "make hint shows one hint at a time, then the hidden cause" {
    fresh_lab00
    run make -s hint LAB=00
    [ "$status" -eq 0 ]
    [[ "$output" == *"Hint 1 of 3"* ]]
    [[ "$output" != *"Hint 2"* ]]
    [[ "$output" != *"tl_config_default"* ]]
    run make -s hint LAB=0
    [[ "$output" == *"Hint 2 of 3"* ]]
    run make -s hint LAB=lab00
    [[ "$output" == *"Hint 3 of 3"* ]]
    run make -s hint LAB=00
    [ "$status" -eq 0 ]
    [[ "$output" == *"hidden cause"* ]]
    [[ "$output" == *"V_in = 512"* ]]
}

@test "check-fix fails on the untouched broken workspace and says so in words" {
    fresh_lab00
    run make -s check-fix LAB=00
    [ "$status" -ne 0 ]
    [[ "$output" == *"NOT FIXED"* ]]
    [[ "$output" == *"FAIL  the lab's fixed-behaviour tests fail"* ]]
    [[ "$output" == *"Your changes: none yet"* ]]
    grep -q '^fail' work/.state/lab00/last-check
}

@test "check-fix passes after the fix diff and shows the learner's diff" {
    fresh_lab00
    patch -s -p1 -d work/lab00 < fixes/lab00-vocab-mismatch.patch
    run make -s check-fix LAB=00
    [ "$status" -eq 0 ]
    [[ "$output" == *"FIXED: lab 00 passes every check"* ]]
    [[ "$output" == *"+++ yours/model.c"* ]]
    [[ "$output" == *"-        .V_in = 512"* ]]
    grep -q '^pass' work/.state/lab00/last-check
}

@test "check-fix with no LAB checks every lab that has a workspace" {
    fresh_lab00
    patch -s -p1 -d work/lab00 < fixes/lab00-vocab-mismatch.patch
    run make -s check-fix
    [ "$status" -eq 0 ]
    [[ "$output" == *"check-fix: lab 00"* ]]
}

@test "check-fix rejects a fix that slices the logits to 256 columns" {
    fresh_lab00
    patch -s -p1 -d work/lab00 < tests/wrong-fixes/lab00-vocab-mismatch/slice-logits.patch
    run make -s check-fix LAB=00
    [ "$status" -ne 0 ]
    [[ "$output" == *"NOT FIXED"* ]]
    [[ "$output" == *"memmove"* ]]   # the diff shown is the learner's own
}

@test "check-fix fails a learner's code that hangs, with a reason, in bounded time" {
    fresh_lab00
    patch -s -p1 -d work/lab00 < fixes/lab00-vocab-mismatch.patch
    sed -i 's|^    memcpy(m->ids, ids, B \* sizeof \*ids);.*|&\n    for (volatile int spin = 1; spin;) {}|' work/lab00/model.c
    grep -q 'volatile int spin' work/lab00/model.c
    start=$SECONDS
    TL_TIMEOUT=2 run make -s check-fix LAB=00
    [ "$status" -ne 0 ]
    # the judge stops the call (3/4 of the limit) and says which; the checks
    # after it are not run at all
    [[ "$output" == *"fixed-behaviour tests fail: a call into the library hung and was stopped"* ]]
    [[ "$output" == *"tl_model_train_step did not return within 1 s"* ]]
    [[ "$output" == *"unit tests: not run, the previous check hung"* ]]
    [[ "$output" == *"training run: not run, the previous check hung"* ]]
    [[ "$output" == *"NOT FIXED"* ]]
    [ $((SECONDS - start)) -lt 30 ]
}

@test "check-fix fails a learner's code that crashes, naming the crash" {
    fresh_lab00
    patch -s -p1 -d work/lab00 < fixes/lab00-vocab-mismatch.patch
    sed -i 's|^    memcpy(m->ids, ids, B \* sizeof \*ids);.*|&\n    *(volatile int *)0 = 1;|' work/lab00/model.c
    grep -q 'volatile int \*)0' work/lab00/model.c
    run make -s check-fix LAB=00
    [ "$status" -ne 0 ]
    # the library's process crashed, not the test program: the judge says where
    [[ "$output" == *"the library's process crashed with signal SEGV during tl_model_"* ]]
    [[ "$output" == *"(train: a call into the library failed)"* ]]
}

@test "check-fix on code that does not compile says so and fails" {
    fresh_lab00
    echo 'this is not C' >> work/lab00/loss.c
    run make -s check-fix LAB=00
    [ "$status" -ne 0 ]
    [[ "$output" == *"FAIL  the library does not compile"* ]]
}

@test "reset saves the old workspace to a timestamped backup, then recreates it" {
    fresh_lab00
    echo '/* keep me */' >> work/lab00/embedding.c
    echo 'my notes' >> notes/lab00.md
    run make -s reset LAB=00
    [ "$status" -eq 0 ]
    backup=$(ls -d work/backups/lab00-* | head -n1)
    grep -q 'keep me' "$backup/embedding.c"
    run grep -q 'keep me' work/lab00/embedding.c
    [ "$status" -eq 1 ]
    grep -q 'my notes' notes/lab00.md
    run make -s reset LAB=00
    [ "$(ls -d work/backups/lab00-* | wc -l)" -eq 2 ]
}

@test "a workspace made from an older lib/ gets lib/'s new file and header change, the learner's edits kept" {
    # a copy of the tree whose lib/ moves on after the learner started
    local r=$BATS_TEST_TMPDIR/moved
    copy_tree "$r"
    cd "$r"
    run make -s lab00
    patch -s -p1 -d work/lab00 < fixes/lab00-vocab-mismatch.patch
    echo '/* the learner was here */' >> work/lab00/tiedlab.h
    sed -i '1s|^|/* lib/ moved on */\n|' lib/tiedlab.h
    printf '#include "tiedlab.h"\nint tl_extra_answer(void);\nint tl_extra_answer(void) { return 42; }\n' > lib/extra.c
    run make -s check-fix LAB=00
    [ "$status" -eq 0 ]
    [[ "$output" == *"was made from an older lib/"* ]]
    [[ "$output" == *"extra.c: new in lib/, added"* ]]
    [[ "$output" == *"tiedlab.h: lib/'s changes merged into your edits"* ]]
    [[ "$output" == *"FIXED: lab 00"* ]]
    grep -q 'lib/ moved on' work/lab00/tiedlab.h
    grep -q 'the learner was here' work/lab00/tiedlab.h
    grep -q 'V_in = 256' work/lab00/model.c
    [ -f work/lab00/extra.c ]
    # the workspace as it was is kept, and the next run has nothing to bring
    before=$(ls -d work/.state/lab00/upgrade-*/before)
    grep -q 'the learner was here' "$before/tiedlab.h"
    [ ! -e "$before/extra.c" ]
    run make -s check-fix LAB=00
    [[ "$output" != *"older lib/"* ]]
    # where lib/ and the learner changed the same line, the learner's stays
    sed -i '1s|.*|/* lib/ moved again */|' lib/tiedlab.h
    sed -i '1s|.*|/* the learner rewrote this line */|' work/lab00/tiedlab.h
    run make -s check-fix LAB=00
    [[ "$output" == *"tiedlab.h: your edits and lib/'s overlap: kept yours"* ]]
    [[ "$output" == *"Finish the merge"* ]]
    head -n1 work/lab00/tiedlab.h | grep -q 'the learner rewrote this line'
    grep -q '^<<<<<<< yours' work/.state/lab00/upgrade-*/tiedlab.h.merge
}

@test "an unknown or malformed LAB is one clear line and a non-zero exit" {
    run make -s hint LAB=99
    [ "$status" -ne 0 ]
    [[ "$output" == *"tiedlab: there is no lab 99 (labs: 00"* ]]
    run make -s lab99
    [ "$status" -ne 0 ]
    [[ "$output" == *"there is no lab 99"* ]]
    run make -s check-fix LAB=abc
    [ "$status" -ne 0 ]
    [[ "$output" == *"'abc' is not a lab number"* ]]
    run make -s hint
    [ "$status" -ne 0 ]
    [[ "$output" == *"which lab?"* ]]
}

@test "check-fix without a workspace tells the learner to start the lab" {
    rm -rf work
    run make -s check-fix LAB=00
    [ "$status" -ne 0 ]
    [[ "$output" == *"no workspace for lab 00 yet: run make lab00 first"* ]]
    run make -s check-fix
    [ "$status" -ne 0 ]
    [[ "$output" == *"no lab has a workspace yet"* ]]
}

@test "a break patch that does not apply is one line, and no workspace appears" {
    rm -rf work
    cp breaks/lab00-vocab-mismatch.patch "$BATS_TEST_TMPDIR/keep.patch"
    printf 'garbage\n' > breaks/lab00-vocab-mismatch.patch
    run make -s lab00
    cp "$BATS_TEST_TMPDIR/keep.patch" breaks/lab00-vocab-mismatch.patch
    [ "$status" -ne 0 ]
    [[ "$output" == *"tiedlab: breaks/lab00-vocab-mismatch.patch does not apply to lib/"* ]]
    [ ! -e work/lab00 ]
}

@test "a missing tool is named with the package to install" {
    bin="$BATS_TEST_TMPDIR/bin"
    mkdir -p "$bin"
    for t in bash make cc gcc timeout cat grep sed awk cut tr head basename dirname mktemp rm cp mv nproc find wc sort date; do
        ln -sf "$(command -v "$t")" "$bin/$t"
    done
    PATH="$bin" run make -s lab00
    [ "$status" -ne 0 ]
    [[ "$output" == *"'patch' is not installed; on Debian: sudo apt-get install patch"* ]]
}

@test "make help lists every target, and README names every one of them" {
    run make -s help
    [ "$status" -eq 0 ]
    # every .PHONY line, with its continuation lines
    targets=$(awk '/^\.PHONY:/ { on = 1 } on { printf "%s ", $0 } on && !/\\$/ { on = 0 }' Makefile |
        sed -e 's/\.PHONY://g' -e 's/\\//g' | tr ' ' '\n' | grep -v '^$')
    [ "$(printf '%s\n' "$targets" | wc -l)" -ge 15 ]
    for t in $targets; do
        [[ "$output" == *"make $t"* ]] || { echo "make help lacks $t"; false; }
        grep -q "make $t" README.md || { echo "README lacks make $t"; false; }
    done
    [[ "$output" == *"make lab00"* ]]
}

@test "lab00 in Spanish shows the Spanish text and the same 512/256 error" {
    rm -rf work notes/lab00.md
    run make -s lab00 TL_LANG=es
    [ "$status" -eq 0 ]
    [[ "$output" == *"Una matriz, dos vocabularios"* ]]
    [[ "$output" == *"Predice"* ]] || [[ "$output" == *"predices"* ]]
    [[ "$output" == *"tl_cross_entropy_forward: logits have 512 columns, targets need 256 classes"* ]]
    [[ "$output" == *"ln(V)=5.545"* ]]
    grep -q '^## Predicciones' notes/lab00.md
}

@test "the language follows LANG, and an explicit TL_LANG is remembered per workspace" {
    rm -rf work notes/lab00.md
    LANG=es_ES.UTF-8 run make -s hint LAB=00
    [[ "$output" == *"Pista 1 de 3"* ]]
    LANG=C run make -s hint LAB=00
    [[ "$output" == *"Hint 2 of 3"* ]]
    rm -rf work
    make -s lab00 TL_LANG=es >/dev/null
    LANG=C run make -s hint LAB=00
    [[ "$output" == *"Pista 1 de 3"* ]]
    LANG=es_ES.UTF-8 run make -s hint LAB=00 TL_LANG=en
    [[ "$output" == *"Hint 2 of 3"* ]]
    LANG=es_ES.UTF-8 run make -s hint LAB=00
    [[ "$output" == *"Hint 3 of 3"* ]]
}

@test "check-fix gives the same exit codes in both languages" {
    rm -rf work notes/lab00.md
    make -s lab00 >/dev/null
    LANG=C run make -s check-fix LAB=00
    en=$status
    LANG=es_ES.UTF-8 run make -s check-fix LAB=00
    [ "$status" -eq "$en" ] && [ "$status" -ne 0 ]
    [[ "$output" == *"SIN CORREGIR"* ]]
    patch -s -p1 -d work/lab00 < fixes/lab00-vocab-mismatch.patch
    LANG=C run make -s check-fix LAB=00
    [ "$status" -eq 0 ]
    LANG=es_ES.UTF-8 run make -s check-fix LAB=00
    [ "$status" -eq 0 ]
    [[ "$output" == *"CORREGIDO: el lab 00"* ]]
    [[ "$output" == *"Causa oculta"* ]] || [[ "$output" == *"V_in = 512"* ]]
}

@test "a missing translation falls back to English with a one-line note" {
    rm -rf work notes/lab00.md
    mv labs/lab00-vocab-mismatch/hints.es "$BATS_TEST_TMPDIR/hints.es"
    TL_LANG=es run make -s hint LAB=00
    mv "$BATS_TEST_TMPDIR/hints.es" labs/lab00-vocab-mismatch/hints.es
    [ "$status" -eq 0 ]
    [[ "$output" == *"Pista 1 de 3"* ]]
    [[ "$output" == *"aún no hay traducción al español de labs/lab00-vocab-mismatch/hints/1.md"* ]]
    [[ "$output" == *"Where is the number 512 decided?"* ]]
    [ "$(printf '%s\n' "$output" | grep -c 'aún no hay traducción')" -eq 1 ]
}

@test "errors for a bad LAB are translated too" {
    LANG=es_ES.UTF-8 run make -s hint LAB=99
    [ "$status" -ne 0 ]
    [[ "$output" == *"tiedlab: no existe el lab 99"* ]]
}

@test "verify fails when a lab lacks a Spanish section or hint" {
    cp labs/lab00-vocab-mismatch/lab.es.md "$BATS_TEST_TMPDIR/keep.md"
    sed -i '/^## Causa oculta/,/^## Por qué/{/^## Por qué/!d}' labs/lab00-vocab-mismatch/lab.es.md
    TL_VERIFY=texts run tools/lab verify 00
    cp "$BATS_TEST_TMPDIR/keep.md" labs/lab00-vocab-mismatch/lab.es.md
    [ "$status" -ne 0 ]
    [[ "$output" == *"lab.es.md lacks section(s): 'Causa oculta'"* ]]
}

@test "every engine message has its Spanish translation in po/es.po" {
    command -v xgettext >/dev/null || skip "xgettext (gettext) is not installed"
    xgettext -k -L Shell --keyword=_ --keyword=_f --keyword=sayf --keyword=dief --from-code=UTF-8 \
        -o "$BATS_TEST_TMPDIR/engine.pot" tools/lab
    [ "$(grep -c '^msgid' "$BATS_TEST_TMPDIR/engine.pot")" -gt 50 ]
    msgcmp po/es.po "$BATS_TEST_TMPDIR/engine.pot"
    run msgfmt -c --statistics -o /dev/null po/es.po
    [ "$status" -eq 0 ]
    [[ "$output" != *untranslated* ]] && [[ "$output" != *fuzzy* ]]
}
