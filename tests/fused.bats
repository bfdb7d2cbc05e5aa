#!/usr/bin/env bats
# fused.bats — train with the head fused into the loss (lib/head_ce_fused.c)
# and with gradient accumulation (--accum N): the fused run follows the
# unfused one step for step, an accumulated run resumes bit for bit, and bad
# values are one line and a non-zero exit.
# Uses the real tree's build/default (make build), in a scratch directory.

load helpers

setup_file() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    make -s -C "$ROOT" build >/dev/null
}

setup() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    TRAIN=$ROOT/build/default/train
    cd "$BATS_TEST_TMPDIR"
}

rows() { grep -v '^#' "$1" | tail -n +2; }

# worst |a - b| over two logs' losses, step by step (same steps in both)
worst_diff() {
    paste -d, <(rows "$1") <(rows "$2") |
        awk -F, '$1 != $3 { print "step mismatch"; exit 1 }
                 { d = $2 - $4; if (d < 0) d = -d; if (d > w) w = d } END { printf "%.3g\n", w }'
}

@test "--head-kernel fused: the losses of the fast head, step by step, and the log says which head ran" {
    "$TRAIN" --steps 200 --log fast.csv --quiet
    "$TRAIN" --steps 200 --head-kernel fused --log fused.csv --quiet
    grep -q 'head_kernel=fused' fused.csv
    grep -q 'head_kernel=fast' fast.csv
    w=$(worst_diff fast.csv fused.csv)
    echo "worst loss difference: $w"
    awk -v w="$w" 'BEGIN { exit !(w < 1e-3) }'
    # not the same file: the fused run really ran another code path
    [ "$(rows fast.csv | wc -l)" -eq 200 ]
    run "$ROOT/build/default/losscheck" fused.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *HEALTHY* ]]
}

@test "--accum 4: one step per four batches, a lower loss than one batch per step, and resumed bit for bit" {
    "$TRAIN" --steps 100 --log one.csv --quiet
    "$TRAIN" --steps 100 --accum 4 --head-kernel fused --log acc.csv --quiet
    grep -q 'accum=4' acc.csv
    # four times the data per step: the mean of the last 20 losses is lower
    m1=$(rows one.csv | tail -n 20 | awk -F, '{ s += $2 } END { print s / NR }')
    m4=$(rows acc.csv | tail -n 20 | awk -F, '{ s += $2 } END { print s / NR }')
    echo "last 20 steps: accum 1 $m1, accum 4 $m4"
    awk -v a="$m1" -v b="$m4" 'BEGIN { exit !(b < a - 0.05) }'
    # saved at 50 and resumed: the checkpoint keeps accum, the data is replayed
    "$TRAIN" --steps 50 --accum 4 --head-kernel fused --save half.safetensors --log two.csv --quiet
    "$TRAIN" --resume half.safetensors --steps 100 --log two.csv --quiet
    diff <(rows acc.csv) <(rows two.csv)
}

@test "bad --head-kernel and --accum values, and --accum on a resume: one line, exit 2" {
    run "$TRAIN" --head-kernel fusd
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"fast, reference or fused"* ]]
    run "$TRAIN" --accum 0
    [ "$status" -eq 2 ]
    [[ "$output" == *"--accum"*"1 to 1024"* ]]
    "$TRAIN" --steps 10 --save s.safetensors --quiet
    run "$TRAIN" --resume s.safetensors --accum 2 --steps 20
    [ "$status" -eq 2 ]
    [[ "$output" == *"--accum comes from the checkpoint"* ]]
}
