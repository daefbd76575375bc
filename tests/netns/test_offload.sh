#!/bin/bash
# SPDX-License-Identifier: MIT
# The TUN and UDP offloads of uipsecd (issue 9), live: TCP super-packets
# read from the TUN device are cut into segments, consecutive segments
# written back coalesced, ESP in UDP sent in UDP_SEGMENT trains and
# received with UDP_GRO.  Every case moves a seeded pseudo-random stream
# both ways at once (bulk.py) and checks it byte for byte at both ends,
# and checks in `uipsecctl status` that the offload it is about was used.
# The veths have GRO on, as a NIC has: that is what lets a receiver take a
# UDP train whole.  Environment: KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-off-l}
NS_R=${NS_R:-uipsec-off-r}
. "$(dirname "$0")/lib.sh"
need_root_or_skip test_offload.sh
if [ ! -x "$UIPSECD" ]; then
    echo "build first: $UIPSECD" >&2
    exit 1
fi
PY=/usr/bin/python3
BULK="$PY $(dirname "$0")/bulk.py"
passed=0 failed=0
MB=${MB:-16}

gro_on() {
    nsx "$NS_L" ethtool -K veth-ul gro on >/dev/null 2>&1
    nsx "$NS_R" ethtool -K veth-ur gro on >/dev/null 2>&1
}

# bulk SRC DST [STREAMS]: MB MiB each way per stream, checked at both ends.
bulk() {
    local spid rc port=5300 seed=$RANDOM
    nsx "$NS_R" $BULK tcp-server "$2" $port "$MB" $seed >"$WORK/bulk-server.log" 2>&1 &
    spid=$!
    wait_listen "$NS_R" $port || { kill $spid 2>/dev/null; return 1; }
    timeout 120 ip netns exec "$NS_L" $BULK tcp-client "$1" "$2" $port "$MB" $seed "${3:-1}" \
        >"$WORK/bulk-client.log" 2>&1
    rc=$?
    wait $spid || rc=1
    return $rc
}

# dp NS KEY: a datapath counter of NS's uipsecd.
dp() {
    ctl_json "$1" status | $PY -c "import json,sys; print(json.load(sys.stdin)['datapath']['$2'])"
}

# sa_drops NS: the SAs' drops of NS's uipsecd, "reason=count ..." (empty
# when none): on a clean path nothing may be lost, replayed or too old
# (a train split or coalesced out of order would be).
sa_drops() {
    ctl_json "$1" list-sas | $PY -c "
import json, sys
d = {}
for sa in json.load(sys.stdin)['sas']:
    for k, v in sa.get('drops', {}).items():
        d[k] = d.get(k, 0) + v
print(' '.join('%s=%d' % kv for kv in sorted(d.items()) if kv[1]))"
}

# tunnel NAME PROPOSAL FAMILY ENCAP INNER [EXTRA]: both daemons up on a
# fresh configuration; pings pass.
tunnel() {
    stop_daemon "$NS_L" 2>/dev/null
    stop_daemon "$NS_R" 2>/dev/null
    make_confs "$WORK/$1" "$2" tunnel "$3" "$4" "$5" "${7:-}" || return 1
    [ -z "${6:-}" ] || sed -i "s|^    interface = uipsec0|&\n    $6|" "$WORK/$1/left.conf" "$WORK/$1/right.conf"
    start_daemon "$NS_R" "$WORK/$1/right.conf" && start_daemon "$NS_L" "$WORK/$1/left.conf" || return 1
    case $5 in
    6) ping_ok "$NS_L" 2001:db8:1::1 2001:db8:2::1 ;;
    *) ping_ok "$NS_L" 10.10.1.1 10.10.2.1 ;;
    esac
}

# check NAME COND DETAIL: pass or fail on a shell condition.
check() {
    if eval "$2"; then pass "$1"; else fail "$1" "$3"; fi
}

ns_up
gro_on

# ---- raw ESP, IPv4: TSO cut on the way out, segments coalesced on the way in
if tunnel raw4 aes256gcm16 4 no 4 && bulk 10.10.1.1 10.10.2.1; then
    pass "raw ESP, IPv4: $MB MiB each way intact"
    for ns in "$NS_L" "$NS_R"; do
        s=$(dp "$ns" tun_super) c=$(dp "$ns" tun_coalesced) m=$(dp "$ns" tun_merged)
        check "raw ESP, IPv4, $ns: super-packets cut ($s) and segments coalesced ($c, of $m)" \
            '[ "$s" -gt 0 ] && [ "$c" -gt 0 ] && [ "$m" -gt "$c" ]' "$(ctl "$ns" status)"
        d=$(sa_drops "$ns")
        check "raw ESP, IPv4, $ns: no packet dropped by an SA (${d:-none})" '[ -z "$d" ]' \
            "$(ctl "$ns" list-sas)"
    done
else
    fail "raw ESP, IPv4" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
fi

# ---- ESP in UDP, IPv4, four flows: UDP trains both ways
if tunnel udp4 aes128gcm16 4 yes 4 && bulk 10.10.1.1 10.10.2.1 4; then
    pass "ESP in UDP, IPv4, 4 streams: $MB MiB each way each intact"
    t=$(dp "$NS_L" udp_gso_trains) g=$(dp "$NS_R" udp_gro_receives)
    check "ESP in UDP, IPv4: trains sent ($t) and received whole ($g)" \
        '[ "$t" -gt 0 ] && [ "$g" -gt 0 ]' "$(ctl "$NS_L" status; ctl "$NS_R" status)"
    dl=$(sa_drops "$NS_L") dr=$(sa_drops "$NS_R")
    check "ESP in UDP, IPv4: no packet dropped by an SA, none out of order (left: ${dl:-none}, right: ${dr:-none})" \
        '[ -z "$dl" ] && [ -z "$dr" ]' "$(ctl "$NS_R" list-sas)"
else
    fail "ESP in UDP, IPv4, 4 streams" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
fi

# ---- IPv6 inside and out, ESP in UDP
if tunnel udp6 aes256gcm16 6 yes 6 && bulk 2001:db8:1::1 2001:db8:2::1; then
    pass "ESP in UDP, IPv6 in IPv6: $MB MiB each way intact"
    s=$(dp "$NS_L" tun_super) t=$(dp "$NS_L" udp_gso_trains) g=$(dp "$NS_R" udp_gro_receives)
    check "ESP in UDP, IPv6: TSO6 cut ($s), trains ($t) received whole ($g)" \
        '[ "$s" -gt 0 ] && [ "$t" -gt 0 ] && [ "$g" -gt 0 ]' "$(ctl "$NS_L" status)"
    d=$(sa_drops "$NS_R")
    check "ESP in UDP, IPv6: no packet dropped by an SA (${d:-none})" '[ -z "$d" ]' \
        "$(ctl "$NS_R" list-sas)"
else
    fail "ESP in UDP, IPv6" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
fi

# ---- IPv6 inside IPv4, CBC + HMAC (the OpenSSL path)
if tunnel v6in4 aes128-sha256 4 no 6 && bulk 2001:db8:1::1 2001:db8:2::1; then
    pass "raw ESP, IPv6 in IPv4, AES-CBC + HMAC: $MB MiB each way intact"
else
    fail "raw ESP, IPv6 in IPv4" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
fi

# ---- loss: every 23rd ESP packet into the right side is dropped, so
# segments arrive with holes and retransmissions out of order
if tunnel loss aes256gcm16 4 no 4; then
    nsx "$NS_R" nft -f - <<'EOF'
table inet uipsec_offload_test {
    chain in {
        type filter hook input priority -10;
        meta l4proto esp numgen inc mod 23 == 0 counter drop
    }
}
EOF
    if bulk 10.10.1.1 10.10.2.1 2; then
        lost=$(nsx "$NS_R" nft list table inet uipsec_offload_test | grep -o 'packets [0-9]*' | cut -d' ' -f2)
        check "one ESP packet in 23 lost: 2 streams intact both ways ($lost dropped)" \
            '[ "${lost:-0}" -gt 0 ]' "the drop rule saw nothing"
    else
        fail "with loss" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
    fi
    nsx "$NS_R" nft delete table inet uipsec_offload_test
fi

# ---- path MTU: the TUN devices raised to 1500 by hand, so TCP's segments
# are larger than the SA can carry; each gets a too-big answer (the
# segment, not the super-packet, is what is compared), TCP lowers its MSS
if tunnel pmtu aes256gcm16 4 no 4; then
    # both ends: each advertises the MSS of its own device
    nsx "$NS_L" ip link set uipsec0 mtu 1500
    nsx "$NS_R" ip link set uipsec0 mtu 1500
    if bulk 10.10.1.1 10.10.2.1; then
        tb=$(ctl_json "$NS_L" status | $PY -c "import json,sys; print(json.load(sys.stdin)['drops'].get('too-big', 0))")
        check "TUN MTU above the SA's: too-big answers ($tb), then $MB MiB each way intact" \
            '[ "$tb" -gt 0 ]' "$(ctl "$NS_L" status)"
    else
        fail "path MTU" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
    fi
fi

# ---- UDP segmentation offload (USO) from an application
if tunnel uso aes256gcm16 4 yes 4; then
    nsx "$NS_R" $BULK udp-server 10.10.2.1 5400 4000 1200 >"$WORK/udp-server.log" 2>&1 &
    spid=$!
    sleep 0.3
    nsx "$NS_L" $BULK udp-client 10.10.1.1 10.10.2.1 5400 4000 1200 20 >"$WORK/udp-client.log" 2>&1
    if wait $spid; then
        pass "UDP_SEGMENT from an application: $(cat "$WORK/udp-server.log")"
        if [ "$(ctl_json "$NS_L" status | $PY -c "import json,sys; print(json.load(sys.stdin)['offload'])")" = "TCP and UDP" ]; then
            s=$(dp "$NS_L" tun_super) c=$(dp "$NS_R" tun_coalesced)
            check "USO: the kernel handed over UDP super-packets ($s), the far side wrote them coalesced ($c)" \
                '[ "$s" -gt 0 ] && [ "$c" -gt 0 ]' "$(ctl "$NS_L" status; ctl "$NS_R" status)"
        fi
    else
        fail "UDP_SEGMENT from an application" "$(cat "$WORK/udp-server.log" "$WORK/udp-client.log")"
    fi
fi

# ---- two data-path workers: a multi-queue TUN device, each worker its own
# sockets, received ESP spread by SPI in the kernel (a BPF filter on each
# raw socket, a BPF program over the SO_REUSEPORT group of UDP sockets):
# every packet reaches one worker, all of an SA the same one, so only the
# worker the inbound SPI names decrypts and writes to the TUN device.  It
# writes each flow to the queue steer.c picks, and the kernel sends the
# flow's packets the other way on that queue: 16 flows of the one SA pair
# are encrypted by both workers (all on one: 2 chances in 65,536), and
# leave in sequence order (no SA drop on the far side).  The worker the
# SPI names offers parts of its long runs of the SA's packets to the other
# when that one is idle (share.c): the SA is decrypted by both, delivered
# in order by the first.  The replay window is 32 (the default: only runs
# that span less share) in one case, 4096 in the other.
workers_case() { # NAME ENCAP WINDOW
    local spi w w0 w1 r r0 r1 h0 h1 dl dr MB=2 helped=0
    if ! tunnel "$1" aes128gcm16 4 "$2" 4 "workers = 2" "replay_window = $3" ||
        ! bulk 10.10.1.1 10.10.2.1 16; then
        fail "workers = 2, $1: 16 streams" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
        return
    fi
    pass "workers = 2, $1: $MB MiB each way in each of 16 streams intact"
    for ns in "$NS_L" "$NS_R"; do
        spi=$(ctl_json "$ns" list-sas | $PY -c "import json,sys
print(int([s for s in json.load(sys.stdin)['sas'] if s['direction'] == 'in'][0]['spi'], 16))")
        w=$(ctl_json "$ns" status | $PY -c "import json,sys
r = json.load(sys.stdin); dp = r['datapath']; ws = dp['workers']
assert r['workers'] == 2 and len(ws) == 2, r['workers']
for k in ('tun_reads', 'tun_writes', 'udp_gso_trains', 'udp_gro_receives', 'rx_helped'):
    assert sum(x[k] for x in ws) == dp[k], k
assert dp['rx_shared'] == dp['rx_helped'], (dp['rx_shared'], dp['rx_helped'])
print(' '.join(str(x['tun_writes']) for x in ws), ' '.join(str(x['tun_reads']) for x in ws),
      ' '.join(str(x['rx_helped']) for x in ws))")
        read -r w0 w1 r0 r1 h0 h1 <<<"$w"
        check "workers = 2, $1, $ns: only worker $((spi % 2)), named by SPI $(printf %08x "$spi"), delivers (TUN writes per worker: $w0 $w1)" \
            '[ -n "$w1" ] && [ $(( spi % 2 ? w1 : w0 )) -gt 0 ] && [ $(( spi % 2 ? w0 : w1 )) = 0 ]' \
            "$(ctl "$ns" status)"
        check "workers = 2, $1, $ns: both workers encrypt for the one SA, each at least a tenth (TUN reads per worker: $r0 $r1)" \
            '[ $((r0 * 10)) -ge $((r0 + r1)) ] && [ $((r1 * 10)) -ge $((r0 + r1)) ] && [ "$r0" -gt 0 ]' \
            "$(ctl "$ns" status)"
        check "workers = 2, $1, $ns: the worker the SPI names decrypts for no other (packets it decrypted for the other: $(( spi % 2 ? h1 : h0 )))" \
            '[ $(( spi % 2 ? h1 : h0 )) = 0 ]' "$(ctl "$ns" status)"
        helped=$((helped + (spi % 2 ? h0 : h1)))
    done
    check "workers = 2, $1, window $3: the other worker decrypted part of the SA's packets on receive ($helped, both ends)" \
        '[ "$helped" -gt 0 ]' "$(ctl "$NS_L" status; ctl "$NS_R" status)"
    dl=$(sa_drops "$NS_L") dr=$(sa_drops "$NS_R")
    check "workers = 2, $1: no packet dropped by an SA, none twice or out of order (left: ${dl:-none}, right: ${dr:-none})" \
        '[ -z "$dl" ] && [ -z "$dr" ]' "$(ctl "$NS_L" list-sas; ctl "$NS_R" list-sas)"
}
workers_case workers-raw no 32
workers_case workers-udp yes 4096

# ---- offload = no: the same, packet by packet
if tunnel off aes256gcm16 4 yes 4 "offload = no" && bulk 10.10.1.1 10.10.2.1; then
    s=$(dp "$NS_L" tun_super) o=$(ctl_json "$NS_L" status | $PY -c "import json,sys; print(json.load(sys.stdin)['offload'])")
    check "offload = no: $MB MiB each way intact, no super-packet ($s), offloads $o" \
        '[ "$s" = 0 ] && [ "$o" = off ]' "$(ctl "$NS_L" status)"
else
    fail "offload = no" "$(cat "$WORK/bulk-client.log" "$WORK/bulk-server.log" | tail -5)"
fi

suite_end test_offload
