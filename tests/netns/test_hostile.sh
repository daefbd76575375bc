#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile traffic against live tunnels: replayed, too old, tampered,
# truncated, unknown-SPI, garbage, keepalive/IKE, wrong encapsulation and
# cleartext packets, and a flood of 20,000, written onto the veth from the
# left gateway's namespace by hostile.py (scapy).  After each the right
# uipsecd must run and answer, count exactly what was sent under the
# expected reason, and still carry a ping.
#
# Three tunnels: aes256gcm16, aes128-sha256, and aes256gcm16 in UDP 4500.
# Environment: ONLY=TEXT runs the scenarios whose name contains TEXT;
# FLOOD=N sends N packets in the flood (default 20000); KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-hos-l}
NS_R=${NS_R:-uipsec-hos-r}
. "$(dirname "$0")/lib.sh"
need_root_or_skip test_hostile.sh
if [ ! -x "$UIPSECD" ] || [ ! -x "$UIPSECCTL" ]; then
    echo "build first: $UIPSECD, $UIPSECCTL" >&2
    exit 1
fi

WINDOW=32
passed=0 failed=0
ns_up
peer_mac=$(nsx "$NS_R" cat /sys/class/net/veth-ur/address)

# tunnel PROPOSAL ENCAP: the scenarios against one tunnel.
tunnel() {
    local dir=$WORK/$1-$2 out n m
    echo "== $1, encap = $2"
    make_confs "$dir" "$1" tunnel 4 "$2" 4 "replay_window = $WINDOW"
    if ! start_daemon "$NS_L" "$dir/left.conf" || ! start_daemon "$NS_R" "$dir/right.conf" ||
        ! ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
        echo "FAIL  no working tunnel to start from"
        failed=$((failed + 1))
        return
    fi
    out=$(nsx "$NS_L" "$PY" "$HERE/hostile.py" --conf "$dir/left.conf" --peer-mac "$peer_mac" \
        --left-sock "$WORK/$NS_L.sock" --right-sock "$WORK/$NS_R.sock" \
        --right-pid "$(daemon_pid "$NS_R")" --ctl "$UIPSECCTL" --replay-window $WINDOW \
        --flood "${FLOOD:-20000}" --only "${ONLY:-}" 2>&1)
    echo "$out" | sed '$d'
    if [[ $(tail -1 <<<"$out") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        n=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]}
    else
        echo "FAIL  hostile.py ended early: $(tail -1 <<<"$out")"
        n=0 m=1
    fi
    passed=$((passed + n)) failed=$((failed + m))
    if [ "$m" -gt 0 ]; then
        echo "  right uipsecd's log:"
        tail -20 "$WORK/$NS_R.log" | sed 's/^/  | /'
    fi
    stop_daemon "$NS_L"
    stop_daemon "$NS_R" || { echo "FAIL  the right uipsecd did not stop"; failed=$((failed + 1)); }
    if sanitizer_report "$NS_R"; then
        echo "FAIL  the right uipsecd's log has a sanitizer report"
        failed=$((failed + 1))
    fi
}

tunnel aes256gcm16 no
tunnel aes128-sha256 no
tunnel aes256gcm16 yes

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
