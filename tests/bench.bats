#!/usr/bin/env bats
# bench.bats — `make bench` runs and writes what it says: a smoke test on the
# small shapes (--quick) of the OpenMP copy `make bench` runs. It checks the
# files' shape, never a speed.

load helpers

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    make -s OPENMP=1 build/default-omp/bench >/dev/null
    export OUT="$BATS_FILE_TMPDIR/bench"
    build/default-omp/bench --quick --out "$OUT" >"$BATS_FILE_TMPDIR/bench.out" 2>&1
}

setup() {
    cd "$BATS_TEST_DIRNAME/.."
}

@test "bench --quick times every variant and gives each a ratio to OpenBLAS" {
    head -n1 "$OUT/bench.csv" | grep -qx 'B,d,V,variant,pass,gflops,ratio_to_openblas,median_ms,reps,held_bytes,tokens_per_s,threads,peak_fraction'
    for v in reference transpose fast_base openblas; do
        grep -q "^64,64,256,$v,forward,.*,1,[0-9.]*\$" "$OUT/bench.csv"
    done
    # OpenBLAS is the yardstick at every thread count: its own ratio is 1
    awk -F, '$4 == "openblas" && $7 != "1.0000" { bad = 1 } END { exit bad }' "$OUT/bench.csv"
    # the cached transpose has no backward
    run grep -q ',transpose,backward,' "$OUT/bench.csv"
    [ "$status" -eq 1 ]
    grep -q ',tiny_model,train_step,' "$OUT/bench.csv"
    grep -q 'the build the library uses here: ' "$BATS_FILE_TMPDIR/bench.out"
}

@test "bench says how it measured the FMA peak and gives every kernel row a fraction of it" {
    grep -q '^  peak      FP32 FMA peak, measured here' "$BATS_FILE_TMPDIR/bench.out" ||
        grep -q '^  peak      no FMA on this CPU' "$BATS_FILE_TMPDIR/bench.out"
    # a fraction in (0, 3] on every kernel row, the training row has none. A
    # true fraction is at most 1, but the peak and a row are timed at different
    # moments, and on a loaded machine (the suite runs this beside verify) a
    # peak timed in a busy moment can put a row measured in a quiet one above 1;
    # a wrong flop count or unit is off by far more than 3x
    awk -F, 'NR > 1 && $4 != "tiny_model" && !($13 > 0 && $13 <= 3) { bad = 1 } END { exit bad }' "$OUT/bench.csv"
}

@test "bench times the library's build and OpenBLAS on every core, each against itself on one" {
    cores=$(nproc)
    [ "$cores" -gt 1 ] || skip "one core: nothing to scale"
    lib=$(sed -n 's/.*the build the library uses here: \([a-z0-9]*\).*/\1/p' "$BATS_FILE_TMPDIR/bench.out")
    for v in "fast_$lib" openblas; do
        for pass in forward backward; do
            grep -q "^64,64,256,$v,$pass,.*,$cores,[0-9.]*\$" "$OUT/bench.csv"
        done
    done
    grep -q "^On $cores threads: " "$BATS_FILE_TMPDIR/bench.out"
}

@test "bench's fused rows compare the fused head with both unfused paths, and hold a chunk, not the logits" {
    for v in fused unfused_openblas unfused_fast; do
        for pass in forward forward_backward; do
            grep -q "^64,768,256,$v,$pass," "$OUT/bench.csv"
            grep -q "^64,768,32000,$v,$pass," "$OUT/bench.csv"
        done
    done
    # at V = 32000 the fused path holds under a tenth of one copy of the logits
    # (B·V·4 bytes), and less than 2x what it holds at V = 256: a chunk, not
    # something that grows with V; the unfused forward+backward holds three copies
    awk -F, '$4 == "fused" && $3 == 256 { small = $10 }
             $4 == "fused" && $3 == 32000 { big = $10; if (10 * $10 >= $1 * $3 * 4) bad = 1 }
             $4 ~ /^unfused_/ && $5 == "forward_backward" && $10 != 3 * $1 * $3 * 4 { bad = 1 }
             END { exit bad || !small || !big || big >= 2 * small }' "$OUT/bench.csv"
    awk -F, '$4 == "unfused_openblas" && $7 != "1.0000" { bad = 1 } END { exit bad }' "$OUT/bench.csv"
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
