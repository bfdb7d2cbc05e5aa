#!/usr/bin/env bats
# checkpoint.bats — save, resume and inspect a tied model (lib/checkpoint.c):
# a resumed run gives the losses of one that never stopped, the file reads in
# Python with json and numpy alone, a tied file stores E once, and bad input
# is one line and a non-zero exit with nothing of the learner's touched.
# Uses the real tree's build/default (make build), in a scratch directory.

load helpers

setup_file() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    make -s -C "$ROOT" build >/dev/null
}

setup() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    TRAIN=$ROOT/build/default/train
    INSPECT=$ROOT/build/default/inspect
    PY=/usr/bin/python3   # Debian's, with python3-numpy
    cd "$BATS_TEST_TMPDIR"
}

rows() { grep -v '^#' "$1"; }

@test "150 steps, save, resume to 300: the losses of 300 steps in one run, bit for bit" {
    "$TRAIN" --steps 300 --log one.csv --quiet
    "$TRAIN" --steps 150 --save half.safetensors --log two.csv --quiet
    [ -s half.safetensors ]
    run "$TRAIN" --resume half.safetensors --steps 300 --log two.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"resumed half.safetensors at step 150"* ]]
    diff <(rows one.csv) <(rows two.csv)
    [ "$(rows two.csv | wc -l)" -eq 301 ]          # step,loss and 300 rows, 0 to 299
    grep -q '^# resumed_at=150 from half.safetensors' two.csv
    # the same untied, and with SGD
    "$TRAIN" --steps 120 --untied --sgd --lr 0.05 --log u1.csv --quiet
    "$TRAIN" --steps 70 --untied --sgd --lr 0.05 --save u.safetensors --log u2.csv --quiet
    "$TRAIN" --resume u.safetensors --steps 120 --log u2.csv --quiet
    diff <(rows u1.csv) <(rows u2.csv)
    # a resumed log is still one healthy curve to losscheck
    run "$ROOT/build/default/losscheck" two.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *HEALTHY* ]]
}

@test "--reload-at saves and loads in memory: the same losses, and the log says where" {
    "$TRAIN" --steps 200 --log one.csv --quiet
    run "$TRAIN" --steps 200 --reload-at 80 --log re.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"step 80: saved and loaded the model"* ]]
    diff <(rows one.csv) <(rows re.csv)
    grep -q 'resumed_at=80' re.csv
    run "$TRAIN" --steps 200 --reload-at 200
    [ "$status" -ne 0 ]
    [[ "$output" == *"--reload-at 200 must be"* ]]
}

@test "a checkpoint train wrote reads in Python (json, numpy): names, shapes, dtypes, values as train printed" {
    "$PY" -c 'import numpy' || skip "python3-numpy is not installed (tools/setup installs it)"
    for untied in "" --untied; do
        "$TRAIN" --steps 40 $untied --save ck.safetensors --quiet --tensor-sums >c.txt
        "$PY" "$ROOT/tests/read_checkpoint.py" ck.safetensors >py.txt
        [ "$(grep -c '^tensor ' c.txt)" -eq "$([ -n "$untied" ] && echo 6 || echo 5)" ]
        diff c.txt <(grep '^tensor ' py.txt)
        grep -qx "meta tied=$([ -n "$untied" ] && echo 0 || echo 1)" py.txt
        grep -qx 'meta V_in=256' py.txt
        grep -qx 'meta d=64' py.txt
        grep -qx 'meta step=40' py.txt
    done
}

@test "the Python reader itself fails on a file that breaks the format" {
    "$PY" -c 'import numpy' || skip "python3-numpy is not installed"
    "$TRAIN" --steps 5 --save ck.safetensors --quiet
    head -c 2000 ck.safetensors >cut.safetensors
    run "$PY" "$ROOT/tests/read_checkpoint.py" cut.safetensors
    [ "$status" -ne 0 ]
}

@test "a tied file stores E once: V·d floats smaller than the untied one, 3x that with Adam's moments" {
    "$TRAIN" --steps 1 --save tied.safetensors --quiet
    "$TRAIN" --steps 1 --untied --save untied.safetensors --quiet
    t=$(stat -c %s tied.safetensors) u=$(stat -c %s untied.safetensors)
    d=$((u - t - 3 * 256 * 64 * 4))
    # the rest is the header: one tensor and its two moments more to name
    [ "$d" -gt 0 ] && [ "$d" -lt 400 ]
    run "$INSPECT" tied.safetensors
    [ "$status" -eq 0 ]
    [[ "$output" == *"model: tied"* ]]
    [[ "$output" == *"tying saves 65,536 bytes in this file"* ]]
    [[ "$output" == *"196,608 with Adam's moments"* ]]
    [[ "$output" == *"loads: tied model"*"head reads E"*"131,072 bytes"* ]]
    [[ "$output" != *"  lm_head.weight "* ]]
    run "$INSPECT" untied.safetensors
    [ "$status" -eq 0 ]
    [[ "$output" == *"model: untied"* ]]
    [[ "$output" == *"lm_head.weight "*"F32"*"[256, 64]"*"65,536"* ]]
    [[ "$output" == *"lm_head.weight differs from embed.weight"*"a head of its own"* ]]
    [[ "$output" == *"loads: untied model"* ]]
}

@test "make inspect CKPT=file, and without CKPT one line saying what to give" {
    "$TRAIN" --steps 1 --save ck.safetensors --quiet
    run make -s -C "$ROOT" inspect CKPT="$PWD/ck.safetensors"
    [ "$status" -eq 0 ]
    [[ "$output" == *"embed.weight"*"[256, 64]"* ]]
    run make -s -C "$ROOT" inspect
    [ "$status" -ne 0 ]
    [[ "$output" == *"make inspect: give a checkpoint"* ]]
}

@test "inspect on bad files: one line, a non-zero exit" {
    "$TRAIN" --steps 1 --save ck.safetensors --quiet
    printf 'not a checkpoint at all, just text\n' >text.safetensors
    run "$INSPECT" text.safetensors
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"text.safetensors is not a safetensors file"* ]]
    run "$INSPECT" missing.safetensors
    [ "$status" -eq 2 ]
    [[ "$output" == *"cannot read missing.safetensors"* ]]
    # the data cut: the grader's reader refuses it before the library sees it
    head -c "$(($(stat -c %s ck.safetensors) - 100))" ck.safetensors >cut.safetensors
    run "$INSPECT" cut.safetensors
    [ "$status" -eq 2 ]
    [[ "$output" == *"cut.safetensors is not a safetensors file"* ]]
    # safetensors, but not tiedlab's: listed, then why it does not load
    "$PY" - ck.safetensors other.safetensors <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
h = json.loads(raw[8:8 + n])
h["__metadata__"]["format"] = "pt"
out = json.dumps(h, separators=(",", ":")).encode()
out += b" " * (-len(out) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(out)) + out + raw[8 + n:])
PY
    run "$INSPECT" other.safetensors
    [ "$status" -eq 1 ]
    [[ "$output" == *"embed.weight"* ]]
    [[ "${lines[-1]}" == "does not load: tl_model_load: other.safetensors: __metadata__ format is 'pt'"* ]]
}

@test "train --resume refuses bad input in one line, and the log and the file are untouched" {
    "$TRAIN" --steps 60 --save ck.safetensors --log run.csv --quiet
    cp run.csv run.before
    cp ck.safetensors ck.before
    run "$TRAIN" --resume nope.safetensors --steps 100
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"cannot read nope.safetensors"* ]]
    printf 'hello\n' >junk.safetensors
    run "$TRAIN" --resume junk.safetensors --steps 100
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"junk.safetensors is not a checkpoint"* ]]
    run "$TRAIN" --resume ck.safetensors --steps 100 --d 32
    [ "$status" -eq 2 ]
    [[ "$output" == *"--d comes from the checkpoint"* ]]
    run "$TRAIN" --resume ck.safetensors --steps 50
    [ "$status" -ne 0 ]
    [[ "$output" == *"at step 60 already"* ]]
    "$TRAIN" --steps 80 --log longer.csv --quiet
    run "$TRAIN" --resume ck.safetensors --steps 100 --log longer.csv
    [ "$status" -ne 0 ]
    [[ "$output" == *"longer.csv already has steps up to 79"* ]]
    # a truncated checkpoint: the library's one line names the file
    head -c 5000 ck.safetensors >cut.safetensors
    run "$TRAIN" --resume cut.safetensors --steps 100
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"cut.safetensors"* ]]
    cmp run.csv run.before
    cmp ck.safetensors ck.before
}

@test "a file for another model, and one not saved by train, are refused naming what differs" {
    "$PY" -c 'import numpy' || skip "python3-numpy is not installed"
    "$TRAIN" --steps 5 --save ck.safetensors --quiet
    # the same file without train's data_seed: it cannot be resumed
    "$PY" - ck.safetensors nodata.safetensors <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
h = json.loads(raw[8:8 + n])
del h["__metadata__"]["data_seed"]
out = json.dumps(h, separators=(",", ":")).encode()
out += b" " * (-len(out) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(out)) + out + raw[8 + n:])
PY
    run "$TRAIN" --resume nodata.safetensors --steps 10
    [ "$status" -ne 0 ]
    [[ "$output" == *"nodata.safetensors has no data_seed"*"not saved by train"* ]]
}

@test "--save into a directory that does not exist: one line, exit 1, no stray file" {
    run "$TRAIN" --steps 3 --save no/such/dir/ck.safetensors --quiet
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"tl_model_save: no/such/dir/ck.safetensors: cannot write"* ]]
    [ -z "$(ls)" ]
    run "$TRAIN" --steps 3 --save-every 2 --quiet
    [ "$status" -eq 2 ]
    [[ "$output" == *"--save-every needs --save"* ]]
}

@test "--save-every N: the file holds the last save, whole, with its step, and no temporary file is left" {
    "$TRAIN" --steps 100 --save-every 40 --save ck.safetensors --log a.csv --quiet
    "$PY" "$ROOT/tests/read_checkpoint.py" ck.safetensors | grep -qx 'meta step=100'
    "$TRAIN" --steps 90 --save-every 40 --save mid.safetensors --quiet
    # the last save of a 90-step run with --save-every 40 is at the end, step 90
    "$PY" "$ROOT/tests/read_checkpoint.py" mid.safetensors | grep -qx 'meta step=90'
    [ -z "$(ls | grep '\.tmp\.')" ]
}
