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
#         SKF datagrams, none larger than 1280 bytes
#   accept on the initiator: it sends IKE_AUTH whole (lost), so no SA
#   no    on both sides: the same, and no SKF sent at all
#
# Prints "ok    ..." or "FAIL  ..." per check and a summary; exits 1 if a
# check failed, 77 without root or without pki.  KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-frag-l}
NS_R=${NS_R:-uipsec-frag-r}
. "$(dirname "$0")/lib.sh"
need_root_or_skip test_frag.sh
if ! command -v pki >/dev/null || ! command -v nft >/dev/null; then
    echo "test_frag.sh: strongSwan's pki tool or nft is missing (make deps)" >&2
    exit 77
fi
if [ ! -x "$UIPSECD" ] || [ ! -x "$UIPSECCTL" ]; then
    echo "build first: $UIPSECD, $UIPSECCTL" >&2
    exit 1
fi
passed=0 failed=0
PKI=$WORK/pki
ns_up
. "$(dirname "$0")/../common/pki.sh"

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
    chain pre {
        type filter hook prerouting priority -500; policy accept;
        ip frag-off & 0x3fff != 0 counter name ipfrag drop
        exthdr frag exists counter name ipfrag drop
    }
    chain out {
        type filter hook output priority 0; policy accept;
        udp dport 500 @th,192,8 53 counter name skf
        udp dport 500 meta length > 1280 counter name big
    }
}
EOF
    done
}

# packets NS COUNTER: what nftables counted.
packets() {
    nsx "$1" nft list counter inet fragtest "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

layout() {
    local dir=$WORK/$1
    rm -rf "$dir"
    mkdir -p "$dir/x509" "$dir/x509ca" "$dir/private"
    cp "$PKI/$1Cert.pem" "$PKI/interCert.pem" "$dir/x509/" && cp "$PKI/rootCert.pem" "$dir/x509ca/" &&
        cp "$PKI/$1Key.pem" "$dir/private/"
}

# conf SIDE FRAGMENTATION
conf() {
    local me=1 rts=10.10.2.0/24 laddr=192.0.2.1 raddr=192.0.2.2
    if [ "$1" = right ]; then me=2 rts=10.10.1.0/24 laddr=192.0.2.2 raddr=192.0.2.1; fi
    cat >"$WORK/$1/uipsecd.conf" <<EOF
connections {
    net {
        local_addrs = $laddr
        remote_addrs = $raddr
        proposals = aes256gcm16-prfsha256-x25519
        fragmentation = $2
        local {
            auth = pubkey
            certs = $1Cert.pem
        }
        remote {
            auth = pubkey
            id = "C=CH, O=uipsec test, CN=*"
        }
        children {
            net {
                local_ts = 10.10.$me.0/24
                remote_ts = $rts
                esp_proposals = aes256gcm16
            }
        }
    }
}
EOF
    chmod 600 "$WORK/$1/uipsecd.conf"
}

logs() { cat "$WORK/$NS_L.log" "$WORK/$NS_R.log"; }
OUT="" RC=1

# run FRAG_LEFT FRAG_RIGHT: fresh daemons (and counters), then initiate.
run() {
    stop_daemon "$NS_L"
    stop_daemon "$NS_R"
    nsx "$NS_L" nft reset counters table inet fragtest >/dev/null
    nsx "$NS_R" nft reset counters table inet fragtest >/dev/null
    conf left "$1" && conf right "$2" &&
        start_daemon "$NS_R" "$WORK/right/uipsecd.conf" in-place &&
        start_daemon "$NS_L" "$WORK/left/uipsecd.conf" in-place || return 1
    OUT=$(ctl "$NS_L" initiate --child net --timeout "${3:-10}" 2>&1)
    RC=$?
}

if ! pki_ca || ! pki_ee left rsa 4096 left.uipsec.test || ! pki_ee right rsa 4096 right.uipsec.test; then
    fail "PKI made with pki" "$(tail -5 "$PKI/pki.err")"
    suite_end test_frag
    exit 1
fi
layout left && layout right || fail "set-up" "$(ls -R "$WORK")"
if ! path_1280; then
    fail "nftables and MTU 1280 set up"
    suite_end test_frag
    exit 1
fi

run yes yes
if [ $RC = 0 ] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 && ping_ok "$NS_R" 10.10.2.1 10.10.1.1 3; then
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
if [ "$(packets "$NS_L" big)" = 0 ] && [ "$(packets "$NS_R" big)" = 0 ]; then
    pass "no IKE datagram over 1280 bytes"
else
    fail "no IKE datagram over 1280 bytes" "left $(packets "$NS_L" big), right $(packets "$NS_R" big)"
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
