#!/usr/bin/env bats
# bench.bats — `make bench` runs and writes what it says: a smoke test on the
# small shapes (--quick). It checks the files' shape, never a speed.

load helpers

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    make -s build/default/bench >/dev/null
    export OUT="$BATS_FILE_TMPDIR/bench"
    OPENBLAS_NUM_THREADS=1 build/default/bench --quick --out "$OUT" >"$BATS_FILE_TMPDIR/bench.out" 2>&1
}

setup() {
    cd "$BATS_TEST_DIRNAME/.."
}

@test "bench --quick times every variant and gives each a ratio to OpenBLAS" {
    head -n1 "$OUT/bench.csv" | grep -qx 'B,d,V,variant,pass,gflops,ratio_to_openblas,median_ms,reps,held_bytes,tokens_per_s'
    for v in reference transpose fast_base openblas; do
        grep -q "^64,64,256,$v,forward," "$OUT/bench.csv"
    done
    # OpenBLAS is the yardstick: its own ratio is 1
    awk -F, '$4 == "openblas" && $5 == "forward" && $7 != "1.0000" { bad = 1 } END { exit bad }' "$OUT/bench.csv"
    # the cached transpose has no backward
    run grep -q ',transpose,backward,' "$OUT/bench.csv"
    [ "$status" -eq 1 ]
    grep -q ',tiny_model,train_step,' "$OUT/bench.csv"
    grep -q 'the build the library uses here: ' "$BATS_FILE_TMPDIR/bench.out"
}

@test "the chart's data has one column per variant on every line" {
    awk -F, 'NR == 1 { n = NF } NF != n || n != 7 { exit 1 }' "$OUT/bench-fwd.csv"
    awk -F, 'NR == 1 { n = NF } NF != n || n != 6 { exit 1 }' "$OUT/bench-bwd.csv"
    [ "$(wc -l <"$OUT/bench-fwd.csv")" -gt 1 ]
}

@test "gnuplot draws the chart from the script bench writes" {
    command -v gnuplot >/dev/null || skip "gnuplot is not installed"
    gnuplot "$OUT/bench.gp"
    head -c 8 "$OUT/bench.png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'
}
