#!/bin/bash
# SPDX-License-Identifier: MIT
# Cleartext for a protected selector never gets through (cleardrop.c).
# uipsecd runs in the left namespace with manual SAs whose remote selectors
# are addresses the right namespace spoofs: UDP packets from them, in
# clear, to the left's protected 10.10.1.1 must all be dropped by the
# kernel, counted by a UDP receiver there (an independent reference: what
# a program on the protected host would get).
#   churn: a probe sends continuously while reloads replace the SA that
#          protects the probed selector and add and remove 300 others:
#          0 delivered (the old rebuild deleted the table, then re-made it).
#   many:  1,000 SAs and 3 whose selectors are no prefixes (a range,
#          overlapping port ranges), one spoofed packet for each selector:
#          0 delivered (the old script stopped at 64 KiB / 512 policies,
#          silently).
# Each part also sends from an unprotected source, which must arrive: the
# probe itself works.  Environment: KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-cd-l}
NS_R=${NS_R:-uipsec-cd-r}
. "$(dirname "$0")/lib.sh"
need_root_or_skip test_cleardrop.sh
if [ ! -x "$UIPSECD" ] || [ ! -x "$UIPSECCTL" ]; then
    echo "build first: $UIPSECD, $UIPSECCTL" >&2
    exit 1
fi

passed=0 failed=0

ns_up
nsx "$NS_R" ip route add 10.10.1.0/24 via 192.0.2.1

# one_sa NAME NUMBER REMOTE_TS: a manual SA from 192.0.2.2 to 10.10.1.1.
one_sa() {
    local spi=$((0x30000000 + $2))
    printf '    %s {\n        local_addrs = 192.0.2.1\n        remote_addrs = 192.0.2.2\n' "$1"
    printf '        local_ts = 10.10.1.1/32\n        remote_ts = %s\n' "$3"
    printf '        mode = tunnel\n        esp_proposals = aes128-sha256\n'
    printf '        out {\n            spi = 0x%08x\n            enc_key = 0x%032x\n' $spi $2
    printf '            integ_key = 0x%064x\n        }\n' $2
    printf '        in {\n            spi = 0x%08x\n            enc_key = 0x%032x\n' \
        $((spi + 0x01000000)) $2
    printf '            integ_key = 0x%064x\n        }\n    }\n' $2
}

# conf FILE N GEN [EXTRA]: N manual SAs from 192.0.2.2, local 10.10.1.1,
# remote 10.30.x.y (x.y from the SA's number); plus "guard", protecting
# 10.40.0.0/16, whose SPIs and keys change with GEN so that every reload
# replaces it; EXTRA=yes adds SAs whose selectors are no prefixes (a range,
# port ranges that overlap: the kernel's interval sets).
conf() {
    local file=$1 n=$2 gen=$3 extra=${4:-} i
    {
        printf 'uipsec {\n    interface = uipsec0\n}\nmanual {\n'
        printf '    guard {\n        local_addrs = 192.0.2.1\n        remote_addrs = 192.0.2.2\n'
        printf '        local_ts = 10.10.1.1/32\n        remote_ts = 10.40.0.0/16\n'
        printf '        mode = tunnel\n        esp_proposals = aes128-sha256\n'
        printf '        out {\n            spi = 0x%08x\n            enc_key = 0x%032x\n' \
            $((0x10000000 + gen)) "$gen"
        printf '            integ_key = 0x%064x\n        }\n' "$gen"
        printf '        in {\n            spi = 0x%08x\n            enc_key = 0x%032x\n' \
            $((0x20000000 + gen)) "$gen"
        printf '            integ_key = 0x%064x\n        }\n    }\n' "$gen"
        for ((i = 0; i < n; i++)); do
            one_sa "sa$i" $i "10.30.$((i / 256)).$((i % 256))/32"
        done
        if [ -n "$extra" ]; then
            one_sa range 5000 10.50.0.1-10.50.0.5
            one_sa ports1 5001 "10.60.0.0/16[udp/39990-40005]"
            one_sa ports2 5002 "10.60.0.0/24[udp/40000-40020]"
        fi
        printf '}\n'
    } >"$file"
    chmod 600 "$file"
}

# The receiver: counts UDP datagrams to port 9999 by source until its
# stop file appears, then prints "protected unprotected".
cat >"$WORK/rx.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", 9999))
s.settimeout(0.2)
open(sys.argv[2], "w").close()
prot = unprot = 0
while not os.path.exists(sys.argv[1]):
    try:
        _, (src, _) = s.recvfrom(64)
    except socket.timeout:
        continue
    if src.startswith("10.99."):
        unprot += 1
    else:
        prot += 1
print(prot, unprot)
PY
# The sender: spoofed UDP in raw IP.  "loop SECONDS SRC" sends from SRC
# (and every 10th from 10.99.0.1) until SECONDS have passed; "each SRC..."
# sends one from each SRC then 10 from 10.99.0.1.  Prints how many it sent
# from protected sources.
cat >"$WORK/tx.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def pkt(src):
    udp = struct.pack("!HHHH", 40000, 9999, 8 + 4, 0) + b"test"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton("10.10.1.1"))
    return ip + udp
def send(p):
    while True:
        try:
            return s.sendto(p, ("10.10.1.1", 0))
        except BlockingIOError:
            time.sleep(0.001)
sent = 0
if sys.argv[1] == "loop":
    end, p, ctl = time.time() + float(sys.argv[2]), pkt(sys.argv[3]), pkt("10.99.0.1")
    while time.time() < end:
        for i in range(10):
            send(p)
            sent += 1
        send(ctl)
        time.sleep(0.0005)
else:
    for src in sys.argv[2:]:
        send(pkt(src))
        sent += 1
        if sent % 100 == 0:
            time.sleep(0.002)
    for _ in range(10):
        send(pkt("10.99.0.1"))
print(sent)
PY

# probe SENDER-ARGS...: runs the receiver and the sender; sets got_prot,
# got_unprot, sent.
probe() {
    rm -f "$WORK/rx.stop" "$WORK/rx.ready"
    nsx "$NS_L" $PY "$WORK/rx.py" "$WORK/rx.stop" "$WORK/rx.ready" >"$WORK/rx.out" &
    local rx=$!
    for _ in $(seq 50); do [ -e "$WORK/rx.ready" ] && break; sleep 0.1; done
    sent=$(nsx "$NS_R" $PY "$WORK/tx.py" "$@")
    sleep 0.5
    touch "$WORK/rx.stop"
    wait $rx
    read -r got_prot got_unprot <"$WORK/rx.out"
}

# ---- churn: reloads while the probe runs --------------------------------

conf "$WORK/c0.conf" 0 1
start_daemon "$NS_L" "$WORK/c0.conf" || exit 1
CONF=$WORK/$NS_L.conf # the daemon's private copy, re-read by reloads
churn() {
    local end=$((SECONDS + $1)) gen=2 reloads=0
    while [ $SECONDS -lt $end ]; do
        # every reload replaces guard; every other one adds 300 SAs, the
        # next removes them again
        conf "$CONF" $(((gen % 2) * 300)) $gen
        ctl "$NS_L" reload >/dev/null 2>&1 && reloads=$((reloads + 1))
        gen=$((gen + 1))
    done
    echo $reloads >"$WORK/reloads"
}
churn 20 &
CHURN=$!
probe loop 20 10.40.0.1
wait $CHURN
reloads=$(cat "$WORK/reloads")
if [ "$reloads" -ge 5 ] && [ "$got_prot" = 0 ] && [ "$got_unprot" -gt 0 ]; then
    pass "churn: $reloads reloads, $sent spoofed packets for a protected selector, 0 delivered ($got_unprot unprotected ones were)"
else
    fail "churn: $got_prot of $sent spoofed packets delivered during $reloads reloads (want 0; unprotected control: $got_unprot delivered)" \
        "$(grep -iE 'error|warn' "$WORK/$NS_L.log" | tail -3)"
fi
drops=$(ctl "$NS_L" --json status | $PY -c 'import json,sys; print(json.load(sys.stdin)["drops"].get("clear-for-protect", 0))')
if [ "${drops:-0}" -gt 0 ]; then
    pass "churn: the drops are counted (clear-for-protect $drops)"
else
    fail "churn: clear-for-protect not counted" "$(ctl "$NS_L" --json status)"
fi
stop_daemon "$NS_L"

# ---- many: 1,000 SAs ----------------------------------------------------

conf "$WORK/many.conf" 1000 1 yes
start_daemon "$NS_L" "$WORK/many.conf" || exit 1
srcs=(10.50.0.3 10.60.0.7) # the range, the overlapping port ranges
for ((i = 0; i < 1000; i++)); do srcs+=("10.30.$((i / 256)).$((i % 256))"); done
probe each "${srcs[@]}"
if [ "$got_prot" = 0 ] && [ "$got_unprot" -gt 0 ] && [ "$sent" = 1002 ]; then
    pass "many: 1,003 SAs, one spoofed packet for each selector, 0 delivered"
else
    fail "many: $got_prot of $sent spoofed packets delivered with 1,000 SAs (want 0; unprotected control: $got_unprot delivered)" \
        "$(grep -iE 'error|warn' "$WORK/$NS_L.log" | tail -3)"
fi
# list-pols shows every policy (it stopped at 512), as many as status counts
pols=$(ctl "$NS_L" --json list-pols | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["policies"]))')
want=$(ctl "$NS_L" --json status | $PY -c 'import json,sys; print(json.load(sys.stdin)["policies"])')
if [ "${pols:-0}" = "$want" ] && [ "$want" -gt 2000 ]; then
    pass "many: list-pols lists all $want policies"
else
    fail "many: list-pols lists all policies" "listed ${pols:-none}, status counts ${want:-none}"
fi
stop_daemon "$NS_L"
if nsx "$NS_L" nft list table inet uipsecd >/dev/null 2>&1; then
    fail "stop: the nftables table inet uipsecd is left behind"
else
    pass "stop: the nftables table is gone"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
