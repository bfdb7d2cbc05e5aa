#!/usr/bin/env bats
# sandbox.bats — what a library that the guard did not stop can do from inside
# the worker process (tests/judge/): a probe library (tests/fixtures/sandbox/)
# looks for files, the network, processes and the environment, and a judge
# prints what it found. Runs in a scratch copy of the tree.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
    export REPO="$BATS_FILE_TMPDIR/repo"
    copy_tree "$REPO"
    make -s -C "$REPO" build >/dev/null
    export PROBE="$BATS_FILE_TMPDIR/probe-lib" B="$BATS_FILE_TMPDIR/probe-build"
    export OUTSIDE="$BATS_FILE_TMPDIR/outside"
    mkdir -p "$OUTSIDE"
    cp -R "$REPO/lib" "$PROBE"
    { printf '#define PROBE_READ "%s"\n#define PROBE_WRITE_DIR "%s"\n' "$REPO/README.md" "$OUTSIDE"
      cat "$REPO/tests/fixtures/sandbox/probe.c"; } >>"$PROBE/model.c"
    awk '/^tl_config tl_config_default\(void\)$/ { print "void tl_probe(void);"; print; getline; print;
                                                   print "    tl_probe();"; next } { print }' \
        "$PROBE/model.c" >"$PROBE/model.c.new"
    mv "$PROBE/model.c.new" "$PROBE/model.c"
    make -s -C "$REPO" LIBDIR="$PROBE" BUILD="$B" "$B/worker" "$B/judge/client.o" >/dev/null
    cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -include "$REPO/tests/judge/stubs.h" -I"$PROBE" -I"$REPO/tests" \
        "$REPO/tests/fixtures/sandbox/judge.c" "$B/judge/client.o" -o "$B/probe-judge"
    export TL_WORKER="$B/worker"
}

@test "under bubblewrap the library has none of the harness's variables, no tree, no network, no other process, no root" {
    TL_SANDBOX=bwrap run --separate-stderr "$B/probe-judge"
    [ "$status" -eq 0 ]
    # loopback only (a connection to it is refused: nothing listens there)
    [[ "$output" =~ ^probe\ tl_env=0\ read=0\ create=0\ ifaces=1\ net=refused\ fork=[01]\ pid=([0-9]+)\ uid=([0-9]+)$ ]]
    [ "${BASH_REMATCH[1]}" -lt 10 ]          # its own process namespace: it sees no judge
    [ "${BASH_REMATCH[2]}" -ne 0 ]           # never root, even when the judge is
    [ ! -e "$OUTSIDE/tiedlab-probe-was-here" ]
}

@test "without a sandbox the library still gets none of the harness's variables" {
    TL_SANDBOX=none run --separate-stderr "$B/probe-judge"
    [ "$status" -eq 0 ]
    [[ "$output" == "probe tl_env=0 read=1 "* ]]   # it reads what the user reads: only the guard stops that
    [[ "$stderr" != *"no sandbox"* ]]           # asked for none: nothing to say
    rm -f "$OUTSIDE/tiedlab-probe-was-here"
}

@test "where bubblewrap cannot run, the judge says so in one line and goes on with the limits" {
    TL_BWRAP=/bin/false TL_SANDBOX=auto run --separate-stderr "$B/probe-judge"
    [ "$status" -eq 0 ]
    [[ "$output" == "probe tl_env=0 "* ]]
    [ "$(grep -c '^tiedlab: no sandbox (' <<<"$stderr")" -eq 1 ]
    rm -f "$OUTSIDE/tiedlab-probe-was-here"
}

@test "TL_SANDBOX=bwrap where bubblewrap cannot run stops the judge with one line, never a silent fallback" {
    TL_BWRAP=/bin/false TL_SANDBOX=bwrap run --separate-stderr "$B/probe-judge"
    [ "$status" -ne 0 ]
    [[ "$stderr" == *"TL_SANDBOX=bwrap, but bubblewrap cannot run here"* ]]
    [ ! -e "$OUTSIDE/tiedlab-probe-was-here" ]
}
