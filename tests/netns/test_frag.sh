#!/bin/bash
# SPDX-License-Identifier: MIT
# IKE fragmentation (RFC 7383, issue 10) between two uipsecd in network
# namespaces over a 1280-byte path.  Each gateway has an RSA 4096
# certificate issued by an RSA 2048 intermediate CA it sends along, so
# IKE_AUTH is about 4 KB each way.  The veth MTU is 1280 and nftables
# drops every IP fragment, so an IKE_AUTH that is not fragmented by IKE
# cannot pass; nftables also counts the SKF datagrams (IKE header Next
# Payload 53) each side sends.
#
#   yes   (the default) the SA comes up, pings both ways, both sides sent
#         SKF datagrams, none larger than 1280 bytes (some over 700)
#   fragment_size  uipsec.fragment_size = 700 on both sides: up, no IKE
#         datagram over 700 bytes, more SKF datagrams than with 1280
#   accept on the initiator: it sends IKE_AUTH whole (lost), so no SA
#   no    on both sides: the same, and no SKF sent at all
#
# Prints "ok    ..." or "FAIL  ..." per check and a summary; exits 1 if a
# check failed, 77 without root or without pki.  KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-frag-l}
NS_R=${NS_R:-uipsec-frag-r}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../common/certs.sh"
certs_begin test_frag.sh nft

# The 1280-byte path, no IP fragments either way, SKF datagrams counted
# (UDP to port 500, no NAT: the IKE header starts 8 bytes into UDP, its
# Next Payload at byte 16) with the largest IKE datagram seen.
path_1280() {
    local ns ifn
    for ns in "$NS_L" "$NS_R"; do
        ifn=veth-ul
        [ "$ns" = "$NS_R" ] && ifn=veth-ur
        nsx "$ns" ip link set "$ifn" mtu 1280
        nsx "$ns" nft -f - <<'EOF' || return 1
table inet fragtest {
    counter skf { }
    counter ipfrag { }
    counter big { }
    counter over700 { }
    chain pre {
        type filter hook prerouting priority -500; policy accept;
        ip frag-off & 0x3fff != 0 counter name ipfrag drop
        exthdr frag exists counter name ipfrag drop
    }
    chain out {
        type filter hook output priority 0; policy accept;
        udp dport 500 @th,192,8 53 counter name skf
        udp dport 500 meta length > 1280 counter name big
        udp dport 500 meta length > 700 counter name over700
    }
}
EOF
    done
}

# packets NS COUNTER: what nftables counted.
packets() {
    nsx "$1" nft list counter inet fragtest "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# conf SIDE FRAGMENTATION: SIDE's certificate is SIDECert.pem; with
# FRAG_SIZE, uipsec.fragment_size.
conf() {
    {
        [ -z "${FRAG_SIZE:-}" ] || echo "uipsec { fragment_size = $FRAG_SIZE }"
        cert_conn "$1" "$1" pubkey "fragmentation = $2"
    } >"$WORK/$1/uipsecd.conf"
    chmod 600 "$WORK/$1/uipsecd.conf"
}

# run FRAG_LEFT FRAG_RIGHT: fresh daemons (and counters), then initiate.
run() {
    stop_daemon "$NS_L"
    stop_daemon "$NS_R"
    nsx "$NS_L" nft reset counters table inet fragtest >/dev/null
    nsx "$NS_R" nft reset counters table inet fragtest >/dev/null
    conf left "$1" && conf right "$2" && restart || return 1
    initiate "${3:-10}"
}

pki_ca && pki_ee left rsa 4096 left.uipsec.test && pki_ee right rsa 4096 right.uipsec.test ||
    certs_abort test_frag "PKI made with pki" "$(tail -5 "$PKI/pki.err")"
layout left left && layout right right || fail "set-up" "$(ls -R "$WORK")"
path_1280 || certs_abort test_frag "nftables and MTU 1280 set up"

run yes yes
if [ $RC = 0 ] && ping_both; then
    pass "fragmentation = yes: IKE SA and CHILD_SA up over 1280 bytes, pings both ways"
else
    fail "fragmentation = yes: IKE SA and CHILD_SA up over 1280 bytes" "$OUT" "$(logs | tail -15)"
fi
l=$(packets "$NS_L" skf) r=$(packets "$NS_R" skf)
if [ "${l:-0}" -ge 3 ] && [ "${r:-0}" -ge 3 ]; then
    pass "both sides sent IKE_AUTH in SKF fragments ($l and $r datagrams)"
else
    fail "both sides sent IKE_AUTH in SKF fragments" "left ${l:-?}, right ${r:-?}"
fi
if [ "$(packets "$NS_L" big)" = 0 ] && [ "$(packets "$NS_R" big)" = 0 ] &&
    [ "$(packets "$NS_L" over700)" -gt 0 ]; then
    pass "no IKE datagram over 1280 bytes (the default fragment_size), some over 700"
else
    fail "no IKE datagram over 1280 bytes (the default fragment_size), some over 700" \
        "over 1280: left $(packets "$NS_L" big), right $(packets "$NS_R" big)" \
        "over 700: left $(packets "$NS_L" over700)"
fi

FRAG_SIZE=700 run yes yes
l2=$(packets "$NS_L" skf) r2=$(packets "$NS_R" skf)
if [ $RC = 0 ] && ping_both && [ "$(packets "$NS_L" over700)" = 0 ] &&
    [ "$(packets "$NS_R" over700)" = 0 ] && [ "${l2:-0}" -gt "${l:-0}" ] &&
    [ "${r2:-0}" -gt "${r:-0}" ]; then
    pass "uipsec.fragment_size = 700: up, no IKE datagram over 700 bytes, more fragments ($l2 and $r2)"
else
    fail "uipsec.fragment_size = 700: up, no IKE datagram over 700 bytes, more fragments" \
        "rc $RC: $OUT" "over 700: left $(packets "$NS_L" over700), right $(packets "$NS_R" over700)" \
        "SKF: left ${l2:-?} (was $l), right ${r2:-?} (was $r)" "$(logs | tail -8)"
fi

run accept yes 6
if [ $RC != 0 ] && [ "$(packets "$NS_L" skf)" = 0 ]; then
    pass "fragmentation = accept (initiator): IKE_AUTH sent whole, lost on the 1280-byte path"
else
    fail "fragmentation = accept (initiator): IKE_AUTH sent whole, lost" "rc $RC: $OUT" \
        "SKF sent: $(packets "$NS_L" skf)"
fi

run no no 6
if [ $RC != 0 ] && [ "$(packets "$NS_L" skf)" = 0 ] && [ "$(packets "$NS_R" skf)" = 0 ]; then
    pass "fragmentation = no: no SKF, no SA ($(packets "$NS_R" ipfrag) IP fragments dropped)"
else
    fail "fragmentation = no: no SKF, IP fragments dropped, no SA" "rc $RC: $OUT" \
        "SKF $(packets "$NS_L" skf)/$(packets "$NS_R" skf), IP fragments $(packets "$NS_R" ipfrag)"
fi

suite_end test_frag
