#!/bin/sh
# Runs every fuzz target from a seed corpus made of the shared vectors.
# Usage: run.sh BUILD_DIR SECONDS [RUNS]
#   without RUNS (make test): each target for its share of SECONDS;
#   with RUNS (make fuzz-long): each target for RUNS executions or SECONDS,
#   whichever comes first.
# Fails on any crash or leak; prints each target's execution count.
set -eu
build=$1
seconds=$2
runs=${3:-}
here=$(dirname "$0")
work=$build/fuzz-work
mkdir -p "$work"

/usr/bin/python3 "$here/seeds.py" "$work"

# run NAME SHARE SEEDS...: SHARE divides SECONDS in the short runs.
run() {
    name=$1
    secs=$((seconds / $2))
    shift 2
    limit=
    [ -x "$build/tests/fuzz/$name" ] || { echo "fuzz: $name was not built" >&2; exit 1; }
    if [ -n "$runs" ]; then
        secs=$seconds
        limit=-runs=$runs
    fi
    mkdir -p "$work/corpus-$name"
    echo "fuzz: $name for ${secs}s${runs:+ or $runs runs}"
    "$build/tests/fuzz/$name" -max_total_time="$secs" $limit -print_final_stats=1 \
        -artifact_prefix="$work/$name-" -max_len=9200 "$work/corpus-$name" "$@" \
        >"$work/$name.log" 2>&1 || { tail -50 "$work/$name.log"; exit 1; }
    grep -E 'stat::number_of_executed_units' "$work/$name.log" || true
}

run fuzz_decap 1 "$work/seeds-decap"
if [ -x "$build/tests/fuzz/fuzz_sa_file" ]; then
    run fuzz_sa_file 3 "$work/seeds-sa-file"
fi
run fuzz_spd 3 "$work/seeds-spd"
if [ -x "$build/tests/fuzz/fuzz_settings" ]; then
    run fuzz_settings 3 "$here/seeds-conf"
fi
if [ -x "$build/tests/fuzz/fuzz_config" ]; then
    run fuzz_config 3 "$here/seeds-conf" "$here/../../examples"
fi
if [ -x "$build/tests/fuzz/fuzz_ike" ]; then
    run fuzz_ike 3 "$here/seeds-ike"
    run fuzz_ikesa 3 "$here/seeds-ikesa"
    run fuzz_ident 12 "$here/seeds-ident"
    run fuzz_cert 6 "$here/seeds-cert"
    run fuzz_revoc 12
    run fuzz_frag 12
fi
if [ -x "$build/tests/fuzz/fuzz_admit" ]; then
    run fuzz_admit 3
fi
if [ -x "$build/tests/fuzz/fuzz_ike_rt" ]; then
    /usr/bin/python3 "$here/seeds_ike_rt.py" "$work/seeds-ike-rt"
    run fuzz_ike_rt 3 "$work/seeds-ike-rt"
fi
if [ -x "$build/tests/fuzz/fuzz_privproto" ]; then
    run fuzz_privproto 3 "$here/seeds-privproto"
fi
if [ -x "$build/tests/fuzz/fuzz_sig" ]; then
    run fuzz_sig 6 "$here/seeds-sig"
fi
mkdir -p "$work/seeds-ctl"
printf '{"ok":true,"result":{"sas":[{"name":"net","spi":"c0de0102","packets":3,"drops":{"replayed":1}}]}}' \
    >"$work/seeds-ctl/list-sas"
printf '{"ok":false,"error":"unknown command"}' >"$work/seeds-ctl/refused"
printf '{"ok":true,"result":{"added":1,"removed":0,"kept":2}}' >"$work/seeds-ctl/reload"
/usr/bin/python3 "$here/seeds_gro.py" "$work/seeds-gro"
run fuzz_gro 3 "$work/seeds-gro"
/usr/bin/python3 "$here/seeds_gro_udp.py" "$work/seeds-gro-udp"
run fuzz_gro_udp 6 "$work/seeds-gro-udp"
run fuzz_gso 6
run fuzz_steer 12
run fuzz_ctl 6 "$work/seeds-ctl"
run fuzz_ctl_request 6 "$here/seeds-ctl-request"
run fuzz_vici 6 "$here/seeds-vici"
echo "fuzz: no crash, no leak"
