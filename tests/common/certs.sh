# SPDX-License-Identifier: MIT
# The certificate fixture of the live tests: gateways whose credentials are
# laid out the swanctl way, made from the PKI of pki.sh (sourced here).
# Gateway "left" is 192.0.2.1 protecting 10.10.1.0/24, "right" 192.0.2.2
# protecting 10.10.2.0/24 (tests/netns/lib.sh's namespaces, and the
# strongSwan harness's).
#
# For every test (netns and interop):
#   cert_files DIR NAME [ROOT]   DIR/x509/ NAMECert.pem and the intermediate,
#                                DIR/x509ca/ ROOT.pem (default rootCert),
#                                DIR/private/ NAMEKey.pem
#   cert_conn SIDE NAME AUTH [CONN] [LOCAL] [REMOTE]
#                                the configuration text of SIDE's one
#                                connection "net" (child "net"): local
#                                auth AUTH, certs = NAMECert.pem; remote
#                                auth $REMOTE_AUTH (pubkey), id $REMOTE_ID
#                                (the DN "C=CH, O=uipsec test, CN=*");
#                                CONN, LOCAL, REMOTE: more lines for the
#                                connection, its local and remote sections
# For the netns tests (tests/netns/lib.sh sourced first):
#   certs_begin NAME [TOOL...]   exit 77 without root, pki or TOOL; exit 1
#                                unbuilt; counters zeroed, PKI=$WORK/pki,
#                                the namespaces up
#   certs_abort NAME CHECK [DETAIL...]   CHECK failed; the suite ends
#   layout SIDE NAME [ROOT]      cert_files into a fresh $WORK/SIDE
#   restart                      fresh daemons on $WORK/{right,left}/uipsecd.conf
#   initiate                     left initiates CHILD_SA net: OUT, RC
#   state NS                     "ESTABLISHED n-children" of the first IKE
#                                SA, or "none"
#   ping_both / logs             pings across the tunnel both ways / both logs
. "$(dirname "${BASH_SOURCE[0]}")/pki.sh"

cert_files() {
    mkdir -p "$1/x509" "$1/x509ca" "$1/private"
    cp "$PKI/${2}Cert.pem" "$PKI/interCert.pem" "$1/x509/" && cp "$PKI/${3:-rootCert}.pem" "$1/x509ca/" &&
        cp "$PKI/${2}Key.pem" "$1/private/"
}

cert_conn() {
    local me=1 peer=2 addr=192.0.2.1 paddr=192.0.2.2
    local rid=${REMOTE_ID:-'"C=CH, O=uipsec test, CN=*"'}
    [ "$1" = right ] && me=2 peer=1 addr=192.0.2.2 paddr=192.0.2.1
    cat <<EOF
connections {
    net {
        local_addrs = $addr
        remote_addrs = $paddr
        proposals = aes256gcm16-prfsha256-x25519
        ${4:-}
        local {
            auth = $3
            certs = $2Cert.pem
            ${5:-}
        }
        remote {
            auth = ${REMOTE_AUTH:-pubkey}
            id = $rid
            ${6:-}
        }
        children {
            net {
                local_ts = 10.10.$me.0/24
                remote_ts = 10.10.$peer.0/24
                esp_proposals = aes256gcm16
            }
        }
    }
}
EOF
}

certs_begin() {
    local t
    need_root_or_skip "$1"
    for t in pki "${@:2}"; do
        if ! command -v "$t" >/dev/null; then
            echo "$1: $t is missing (make deps)" >&2
            exit 77
        fi
    done
    if [ ! -x "$UIPSECD" ] || [ ! -x "$UIPSECCTL" ]; then
        echo "build first: $UIPSECD, $UIPSECCTL" >&2
        exit 1
    fi
    passed=0 failed=0
    PKI=$WORK/pki
    ns_up
}

certs_abort() {
    local name=$1
    shift
    fail "$@"
    suite_end "$name"
    exit 1
}

layout() {
    rm -rf "${WORK:?}/$1"
    cert_files "$WORK/$1" "$2" "${3:-}"
}

restart() {
    stop_daemon "$NS_L"
    stop_daemon "$NS_R"
    start_daemon "$NS_R" "$WORK/right/uipsecd.conf" in-place &&
        start_daemon "$NS_L" "$WORK/left/uipsecd.conf" in-place
}

OUT="" RC=1
initiate() { OUT=$(ctl "$NS_L" initiate --child net --timeout "${1:-10}" 2>&1); RC=$?; }

state() {
    ctl "$1" --json list-sas | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin).get("ike_sas", [])
print("%s %d" % (s[0]["state"], len(s[0]["children"])) if s else "none")'
}

ping_both() { ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 && ping_ok "$NS_R" 10.10.2.1 10.10.1.1 3; }
logs() { cat "$WORK/$NS_L.log" "$WORK/$NS_R.log"; }
