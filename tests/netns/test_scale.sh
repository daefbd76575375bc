#!/bin/bash
# SPDX-License-Identifier: MIT
# Many tunnels at once between two uipsecd peers with the DEFAULT
# admission limits (admit.h): the left gateway has N connections
# (PSK, aes256gcm16-prfsha256-x25519, one CHILD_SA each with its own
# traffic selectors, its own identities and key), all start_action =
# start, so that it initiates all N in the same moment it starts; the
# right one answers them.  Passes when all N CHILD_SAs are installed on
# both sides within LIMIT seconds; prints the time taken and the setup
# rate, and a line of progress every few seconds.
#
# The admission rules must tell this gateway, which echoes cookies and
# completes IKE_AUTH, from a flood (test_ike.sh's hostile and admission
# groups): before they did, 100 connections took over a minute.
#
# The bound: on this 2-core machine 1000 come up in 2-3 s (about 400 a
# second; 100 in 0.9 s), so LIMIT is 30 s (90 s in a sanitizer build),
# room for a loaded machine; before, the admission rules let 98 of 1000
# up in 60 s (66 of 100 in 90 s), and an initiator that sends all its
# IKE_SA_INIT at once, unpaced, took 33 s.  About 20 s in all.
#
# FLOOD=1: first fills the right's table of half-open SAs (IKE_HALF_OPEN_MAX)
# from 100 more addresses that echo cookies and never send IKE_AUTH
# (ike_flood.py init-cookie): the gateway still gets all N up in time,
# none of its half-open SAs evicted (an evicted one would make its
# IKE_AUTH count ike-unknown-spi), the flood's evicted for it.
#
# Environment: N (default 1000), LIMIT seconds (default above), FLOOD;
# KEEP=1 keeps $WORK; DEBUG=1 runs the daemons with --debug.
set -uo pipefail
NS_L=${NS_L:-uipsec-scl-l}
NS_R=${NS_R:-uipsec-scl-r}
. "$(dirname "$0")/lib.sh"
need_root_or_skip test_scale.sh
if [ ! -x "$UIPSECD" ] || [ ! -x "$UIPSECCTL" ]; then
    echo "build first: $UIPSECD, $UIPSECCTL" >&2
    exit 1
fi
N=${N:-1000}
LIMIT=${LIMIT:-30}
grep -qx 'UIPSEC_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && LIMIT=${LIMIT_SANITIZED:-90}
passed=0 failed=0

# conf L|R: N connections c0..c(N-1), selectors 10.20.x.y/32 (left) and
# 10.30.x.y/32 (right) for connection x*250+y-1, each its own PSK.
conf() {
    $PY - "$1" "$N" "$PSK_SEED" "${FLOOD:-}" <<'PYEOF'
import base64, sys
side, n, seed, flood = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
me, peer, laddr, raddr, lnet, rnet, start = (
    ("right", "left", "192.0.2.2", "192.0.2.1", 30, 20, "none") if side == "R" else
    ("left", "right", "192.0.2.1", "192.0.2.2", 20, 30, "start"))
out = ["# test_scale.sh: the %s gateway, %d connections" % (me, n), "connections {"]
for i in range(n):
    ts = "%d.%d" % (i // 250, i % 250 + 1)
    out.append("""    c%d {
        local_addrs = %s
        remote_addrs = %s
        proposals = aes256gcm16-prfsha256-x25519
        local { auth = psk
            id = c%d.%s.test }
        remote { auth = psk
            id = c%d.%s.test }
        children { c%d { local_ts = 10.%d.%s/32
                remote_ts = 10.%d.%s/32
                esp_proposals = aes256gcm16
                start_action = %s } }
    }""" % (i, laddr, raddr, i, me, i, peer, i, lnet, ts, rnet, ts, start))
if side == "R" and flood:  # answers anyone: the flood's half-open SAs
    out.append("""    rw {
        local_addrs = 192.0.2.2
        proposals = aes256gcm16-prfsha256-x25519
        local { auth = psk
            id = right.rw.test }
        remote { auth = psk }
        children { rw { local_ts = 10.31.0.0/16
                remote_ts = dynamic } }
    }""")
out += ["}", "secrets {"]
for i in range(n):
    key = base64.b64encode(("scale-%06d-%s" % (i, seed)).encode()).decode()
    out.append("    ike-c%d { id-1 = c%d.left.test\n        id-2 = c%d.right.test\n"
               "        secret = 0s%s }" % (i, i, i, key))
out.append("}")
print("\n".join(out))
PYEOF
}

# children NS: the CHILD_SAs NS lists as installed.
children() {
    ctl "$1" --json list-sas | $PY -c '
import json, sys
j = json.load(sys.stdin)
print(sum(len(s["children"]) for s in j.get("ike_sas", []) if s["state"] == "ESTABLISHED"))'
}

ns_up
PSK_SEED=$(openssl rand -hex 8)
conf L >"$WORK/left.conf"
conf R >"$WORK/right.conf"
chmod 600 "$WORK/left.conf" "$WORK/right.conf"
if ! start_daemon "$NS_R" "$WORK/right.conf"; then
    fail "the right uipsecd starts with $N connections"
    suite_end test_scale.sh
    exit 1
fi
# drop NAME: the right's drop counter NAME.
drop() {
    ctl "$NS_R" --json status | $PY -c 'import json, sys; print(json.load(sys.stdin)["drops"].get(sys.argv[1], 0))' "$1"
}
# half_open: the right's IKE SAs not established.
half_open() {
    ctl "$NS_R" --json list-sas | $PY -c '
import json, sys
print(sum(s["state"] != "ESTABLISHED" for s in json.load(sys.stdin).get("ike_sas", [])))'
}
if [ -n "${FLOOD:-}" ]; then
    for i in $(seq 10 109); do nsx "$NS_L" ip addr add 192.0.2.$i/24 dev veth-ul; done
    src=$(seq -s, -f '192.0.2.%g' 10 109)
    for pass in 1 2 3 4; do # each address gets 10 answers a second: again if short
        IKE_FLOOD_SEED=scale$pass nsx "$NS_L" "$PY" "$HERE/ike_flood.py" init-cookie --count 2000 \
            --src "$src" --same-ke --burst 50 --pause 0.02 >/dev/null 2>&1
        ho=$(half_open)
        [ "$ho" -ge 990 ] && break
        sleep 2.5
    done
    echo "# the flood holds $ho half-open SAs on the right (IKE_HALF_OPEN_MAX 1000)"
    [ "$ho" -ge 990 ] || fail "the flood fills the right's half-open table (>= 990)" "half-open: $ho"
    unknown0=$(drop ike-unknown-spi) evicted0=$(drop ike-half-open-evicted)
fi
t0=$EPOCHREALTIME
start_daemon "$NS_L" "$WORK/left.conf" || fail "the left uipsecd starts with $N connections"
cl=0 cr=0 next=0
while :; do
    took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    cl=$(children "$NS_L") cr=$(children "$NS_R")
    [ "$cl" -ge "$N" ] && [ "$cr" -ge "$N" ] && break
    if awk -v t="$took" -v l="$LIMIT" 'BEGIN { exit !(t >= l) }'; then break; fi
    if awk -v t="$took" -v n="$next" 'BEGIN { exit !(t >= n) }'; then
        echo "# after ${took} s: $cl CHILD_SAs up on the left, $cr on the right"
        next=$((next + 5))
    fi
    sleep 0.5
done
rate=$(awk -v n="$cr" -v t="$took" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')
echo "# $N connections initiated at once: $cl CHILD_SAs up on the left, $cr on the right after ${took} s ($rate a second)"
for k in ike-cookie-required ike-half-open-limit ike-init-rate-limited ike-half-open-evicted ike-auth-backoff ike-unknown-spi; do
    echo "# right drops $k: $(drop $k)"
done
if [ "$cl" -ge "$N" ] && [ "$cr" -ge "$N" ]; then
    pass "all $N CHILD_SAs installed on both sides within $LIMIT s (${took} s, $rate a second)"
else
    fail "all $N CHILD_SAs installed on both sides within $LIMIT s" \
        "left $cl, right $cr after ${took} s" "right: $(grep -E 'warn|fail' "$WORK/$NS_R.log" | head -5)" \
        "left: $(grep -E 'warn|fail' "$WORK/$NS_L.log" | head -5)"
fi
if [ -n "${FLOOD:-}" ]; then
    unknown=$(($(drop ike-unknown-spi) - unknown0)) evicted=$(($(drop ike-half-open-evicted) - evicted0))
    if [ "$unknown" = 0 ] && [ "$evicted" -gt 0 ]; then
        pass "amid the flood: the flood's half-open SAs evicted for the gateway's ($evicted), none of the gateway's (ike-unknown-spi +0)"
    else
        fail "amid the flood: the flood's half-open SAs evicted for the gateway's, none of the gateway's" \
            "ike-half-open-evicted +$evicted, ike-unknown-spi +$unknown"
    fi
fi
suite_end test_scale.sh
