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
# Environment: N (default 1000), LIMIT seconds (default above); KEEP=1
# keeps $WORK; DEBUG=1 runs the daemons with --debug.
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
    $PY - "$1" "$N" "$PSK_SEED" <<'PYEOF'
import base64, sys
side, n, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
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
for k in ike-cookie-required ike-half-open-limit ike-init-rate-limited ike-half-open-evicted ike-auth-backoff; do
    echo "# right drops $k: $(ctl "$NS_R" --json status | $PY -c 'import json, sys; print(json.load(sys.stdin)["drops"].get(sys.argv[1], 0))' "$k")"
done
if [ "$cl" -ge "$N" ] && [ "$cr" -ge "$N" ]; then
    pass "all $N CHILD_SAs installed on both sides within $LIMIT s (${took} s, $rate a second)"
else
    fail "all $N CHILD_SAs installed on both sides within $LIMIT s" \
        "left $cl, right $cr after ${took} s" "right: $(grep -E 'warn|fail' "$WORK/$NS_R.log" | head -5)" \
        "left: $(grep -E 'warn|fail' "$WORK/$NS_L.log" | head -5)"
fi
suite_end test_scale.sh
