#!/bin/sh
# Runs every fuzz target for a while from a seed corpus made of the shared
# vectors.  Usage: run.sh BUILD_DIR SECONDS.  Fails on any crash or leak.
set -eu
build=$1
seconds=$2
here=$(dirname "$0")
work=$build/fuzz-work
mkdir -p "$work"

/usr/bin/python3 "$here/seeds.py" "$work"

run() {
    name=$1
    secs=$2
    shift 2
    [ -x "$build/tests/fuzz/$name" ] || { echo "fuzz: $name was not built" >&2; exit 1; }
    mkdir -p "$work/corpus-$name"
    echo "fuzz: $name for ${secs}s"
    "$build/tests/fuzz/$name" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$work/$name-" -max_len=9200 "$work/corpus-$name" "$@" \
        >"$work/$name.log" 2>&1 || { tail -50 "$work/$name.log"; exit 1; }
    grep -E 'stat::number_of_executed_units' "$work/$name.log" || true
}

run fuzz_decap "$seconds" "$work/seeds-decap"
if [ -x "$build/tests/fuzz/fuzz_sa_file" ]; then
    run fuzz_sa_file $((seconds / 3)) "$work/seeds-sa-file"
fi
run fuzz_spd $((seconds / 3)) "$work/seeds-spd"
if [ -x "$build/tests/fuzz/fuzz_conf" ]; then
    run fuzz_conf $((seconds / 3)) "$here/seeds-conf"
fi
if [ -x "$build/tests/fuzz/fuzz_ike" ]; then
    run fuzz_ike $((seconds / 3)) "$here/seeds-ike"
    run fuzz_ikesa $((seconds / 3)) "$here/seeds-ikesa"
fi
mkdir -p "$work/seeds-ctl"
printf '{"ok":true,"result":{"sas":[{"name":"net","spi":"c0de0102","packets":3,"drops":{"replayed":1}}]}}' \
    >"$work/seeds-ctl/list-sas"
printf '{"ok":false,"error":"unknown command"}' >"$work/seeds-ctl/refused"
printf '{"ok":true,"result":{"added":1,"removed":0,"kept":2}}' >"$work/seeds-ctl/reload"
run fuzz_ctl $((seconds / 6)) "$work/seeds-ctl"
echo "fuzz: no crash, no leak"
