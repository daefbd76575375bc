#!/bin/bash
# SPDX-License-Identifier: MIT
# Statically keyed AES-GCM across restarts of uipsecd (issue 8, finding 12):
# the left gateway is stopped (SIGTERM) and later killed (SIGKILL) while the
# right one keeps running, and the ESP packets captured on the veth show
# that every run sends sequence numbers above the previous run's, with no
# IV seen twice (a repeated GCM nonce would give away the key stream and
# the authentication key).  The right gateway's replay window, never reset,
# checks the same from the other end: pings only pass if the numbers went up.
# Then the refusals: an unsafe state_dir stops uipsecd with an error naming
# file, line and what to do; a CBC + HMAC SA needs no state_dir.
# Environment: KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-seq-l}
NS_R=${NS_R:-uipsec-seq-r}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/capture.sh"
need_root_or_skip test_seqstore.sh
if [ ! -x "$UIPSECD" ]; then
    echo "build first: $UIPSECD" >&2
    exit 1
fi

passed=0 failed=0

ns_up
make_confs "$WORK/c" aes256gcm16 tunnel 4 || exit 1

# run NAME: pings left -> right while capturing; the capture is $WORK/NAME.pcap.
run() {
    capture_start "$NS_R" veth-ur "$WORK/$1.pcap" || return 1
    ping_ok "$NS_L" 10.10.1.1 10.10.2.1 5
    local rc=$?
    capture_stop flush
    return $rc
}

# The sequence numbers and IVs of the ESP packets from 192.0.2.1, one
# "SEQ IV" line each, read with scapy (not with uipsec's code).
esp_of() {
    $PY - "$1" <<'EOF'
import sys
from scapy.all import rdpcap, IP
for p in rdpcap(sys.argv[1]):
    if IP in p and p[IP].src == "192.0.2.1" and p[IP].proto == 50:
        esp = bytes(p[IP].payload)
        print(int.from_bytes(esp[4:8], "big"), esp[8:16].hex())
EOF
}

start_daemon "$NS_R" "$WORK/c/right.conf" || exit 1
start_daemon "$NS_L" "$WORK/c/left.conf" || exit 1
ok=1
run run1 || ok=0
stop_daemon "$NS_L"
start_daemon "$NS_L" "$WORK/c/left.conf" || exit 1
run run2 || ok=0
crash_daemon "$NS_L"
sleep 0.3
start_daemon "$NS_L" "$WORK/c/left.conf" || exit 1
run run3 || ok=0
if [ $ok = 1 ]; then
    pass "pings pass after a stop and after a kill -9 (the right side's replay window took them)"
else
    fail "pings after restarts" "$(tail -5 "$WORK/ping.log")"
fi

for r in run1 run2 run3; do esp_of "$WORK/$r.pcap" >"$WORK/$r.esp"; done
lo=0 seq_ok=1 why=
for r in run1 run2 run3; do
    n=$(wc -l <"$WORK/$r.esp")
    min=$(cut -d' ' -f1 "$WORK/$r.esp" | sort -n | head -1)
    max=$(cut -d' ' -f1 "$WORK/$r.esp" | sort -n | tail -1)
    why+="$r: $n packets, sequence numbers $min..$max; "
    if [ "$n" -lt 5 ] || [ "$min" -le "$lo" ]; then seq_ok=0; fi
    lo=$max
done
if [ $seq_ok = 1 ]; then pass "every run sends above the previous one ($why)"
else fail "sequence numbers after restart" "$why"; fi
dups=$(cat "$WORK"/run?.esp | cut -d' ' -f2 | sort | uniq -d | wc -l)
total=$(cat "$WORK"/run?.esp | wc -l)
if [ "$dups" = 0 ] && [ "$total" -ge 15 ]; then pass "no IV twice in $total packets of three runs"
else fail "IVs repeat" "$dups IVs seen more than once"; fi

mode_dir=$(stat -c %a "$WORK/state-L")
mode_files=$(stat -c %a "$WORK"/state-L/*.seq | sort -u | tr '\n' ' ')
if [ "$mode_dir" = 700 ] && [ "$mode_files" = "600 " ]; then pass "state directory 700, mark file 600"
else fail "state modes" "dir $mode_dir, files $mode_files"; fi
stop_daemon "$NS_L"

# ---- refusals ------------------------------------------------------------

chmod 777 "$WORK/state-L"
out=$(nsx "$NS_L" timeout 10 "$UIPSECD" --config "$WORK/c/left.conf" --socket "$WORK/x.sock" \
    --foreground 2>&1)
rc=$?
if [ $rc = 1 ] && [[ $out == *"left.conf:6:5: manual.net: esp_proposals = aes256gcm16"* ]] &&
    [[ $out == *"group or others may write"* ]] && [[ $out == *"aes256-sha256"* ]]; then
    pass "a group/world-writable state_dir refuses the AES-GCM SA (exit 1, file:line, what to do)"
else
    fail "unsafe state_dir" "exit $rc: $out"
fi
chmod 700 "$WORK/state-L"

make_confs "$WORK/cbc" aes256-sha256 tunnel 4 || exit 1
sed -i "s|state_dir = .*|state_dir = $WORK/nowhere/missing|" "$WORK/cbc/left.conf"
stop_daemon "$NS_R"
start_daemon "$NS_R" "$WORK/cbc/right.conf" || exit 1
if start_daemon "$NS_L" "$WORK/cbc/left.conf" && ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 &&
    [ ! -e "$WORK/nowhere" ]; then
    pass "CBC + HMAC needs no state_dir (an unusable one is not touched)"
else
    fail "CBC without state" "$(tail -3 "$WORK/$NS_L.log")"
fi
suite_end test_seqstore
