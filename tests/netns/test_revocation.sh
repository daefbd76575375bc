#!/bin/bash
# SPDX-License-Identifier: MIT
# Revocation fetched over HTTP (issue 10, section 3) between two uipsecd in
# network namespaces.  A PKI is made at test time with strongSwan's pki:
# a root CA, an intermediate under it whose certificate names the root's
# CRL, and end-entity certificates naming the intermediate's CRL or an
# OCSP responder.  The CRLs are served by python's http.server and OCSP
# by `openssl ocsp` (an independent responder, with nonces), both in the
# right namespace on 192.0.2.2; nothing is in x509crl/.
#
#   crl         good certificates: both sides fetch the CRLs the chain
#               names (the server saw the GETs) and the SA comes up
#   crl-revoked right's certificate is on the intermediate's CRL: left
#               refuses it, naming the date and the CRL's URI
#   ocsp        right's certificate names the OCSP responder: left asks it
#               (it saw a request) and the SA comes up
#   ocsp-revoked the responder says revoked: refused, naming the responder
#   unreachable a CRL URI whose server drops every packet: a PSK tunnel
#               comes up while the fetch waits; strict refuses after the
#               fetch timed out, saying so in uipsecctl
#               initiate's answer; ifuri refuses when the server refuses
#               the connection; relaxed accepts
#   authorities a certificate naming no URI, its issuer's CRL URI given
#               by authorities { NAME { cacert crl_uris } }: fetched (a
#               PEM CRL), and the revoked certificate refused
#
# Prints "ok    ..." or "FAIL  ..." per check and a summary; exits 1 if a
# check failed, 77 without root, pki or openssl.  KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-rev-l}
NS_R=${NS_R:-uipsec-rev-r}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../common/certs.sh"
certs_begin test_revocation.sh openssl
WWW=$WORK/www
URL=http://192.0.2.2:8080

# ---- the PKI: root -> intermediate (names the root's CRL) -> end entities
mkdir -p "$WWW"
pki_ca --crl "$URL/root.crl" || certs_abort test_revocation "pki: the CAs" "$(tail -3 "$PKI/pki.err")"
# end entities under the intermediate (pki_ee NAME TYPE SIZE CN [options])
pki_ee left ecdsa 256 left.uipsec.test --crl "$URL/inter.crl" &&
    pki_ee right ecdsa 256 right.uipsec.test --crl "$URL/inter.crl" &&
    pki_ee rrevoked ecdsa 256 right.uipsec.test --crl "$URL/inter.crl" &&
    pki_ee rocsp ecdsa 256 right.uipsec.test --ocsp http://192.0.2.2:8081 &&
    pki_ee rocsprev ecdsa 256 right.uipsec.test --ocsp http://192.0.2.2:8081 &&
    pki_ee rdrop ecdsa 256 right.uipsec.test --crl http://192.0.2.2:8098/inter.crl &&
    pki_ee rrefused ecdsa 256 right.uipsec.test --crl http://192.0.2.2:8097/inter.crl &&
    pki_ee rplain ecdsa 256 right.uipsec.test &&
    pkiq --signcrl --cacert "$PKI/rootCert.pem" --cakey "$PKI/rootKey.pem" --outform der \
        >"$WWW/root.crl" &&
    pkiq --signcrl --cacert "$PKI/interCert.pem" --cakey "$PKI/interKey.pem" \
        --reason key-compromise --cert "$PKI/rrevokedCert.pem" --outform der >"$WWW/inter.crl" &&
    pkiq --signcrl --cacert "$PKI/interCert.pem" --cakey "$PKI/interKey.pem" \
        --reason superseded --cert "$PKI/rplainCert.pem" --outform pem >"$WWW/inter2.crl" ||
    fail "pki: end entities and CRLs" "$(tail -3 "$PKI/pki.err")"

# The OCSP responder's database (openssl ca's index.txt): rocsp valid,
# rocsprev revoked yesterday.
index_line() {
    local serial end
    serial=$(openssl x509 -in "$PKI/$2Cert.pem" -noout -serial | cut -d= -f2)
    end=$(date -u -d "+30 days" +%y%m%d%H%M%SZ)
    printf '%s\t%s\t%s\t%s\tunknown\t/CN=%s\n' "$1" "$end" "$3" "$serial" "$2"
}
{
    index_line V rocsp ""
    index_line R rocsprev "$(date -u -d yesterday +%y%m%d%H%M%SZ)"
} >"$PKI/index.txt"

# ---- servers, in the right namespace
nsx "$NS_R" /usr/bin/python3 -m http.server 8080 --bind 192.0.2.2 --directory "$WWW" \
    >"$WORK/http.log" 2>&1 &
nsx "$NS_R" openssl ocsp -index "$PKI/index.txt" -port 8081 -CA "$PKI/interCert.pem" \
    -rsigner "$PKI/interCert.pem" -rkey "$PKI/interKey.pem" -ignore_err \
    -reqout "$WORK/ocspreq.der" \
    >"$WORK/ocsp.log" 2>&1 &
# a server that never answers (a timeout), and none at all (refused)
nsx "$NS_R" nft -f - <<'EOF' || fail "nft: a server that never answers"
table inet revtest {
    chain drop8098 {
        type filter hook input priority 0; policy accept;
        tcp dport 8098 drop
    }
}
EOF
wait_listen "$NS_R" 8080 && wait_listen "$NS_R" 8081 ||
    fail "servers listen" "$(cat "$WORK/http.log" "$WORK/ocsp.log")"

# ---- configurations: the swanctl layout (certs.sh), no x509crl/
conf() { # SIDE NAME [REVOCATION [EXTRA]]
    local me=1 peer=2 addr=192.0.2.1 paddr=192.0.2.2
    [ "$1" = right ] && me=2 peer=1 addr=192.0.2.2 paddr=192.0.2.1
    {
        cert_conn "$1" "$2" pubkey "" "" "revocation = ${3:-relaxed}"
        # a PSK tunnel beside it, to show that waiting for a fetch stalls
        # no other IKE SA (sections of one name are merged)
        cat <<EOF
connections {
    psk {
        local_addrs = $addr
        remote_addrs = $paddr
        proposals = aes128gcm16-prfsha256-ecp256
        local {
            auth = psk
        }
        remote {
            auth = psk
        }
        children {
            psk {
                local_ts = 10.10.$me.1/32[tcp/7]
                remote_ts = 10.10.$peer.1/32[tcp/7]
                esp_proposals = aes128gcm16
            }
        }
    }
}
secrets {
    ike-psk {
        secret = "revocation test pre-shared key"
    }
}
${4:-}
EOF
    } >"$WORK/$1/uipsecd.conf"
    chmod 600 "$WORK/$1/uipsecd.conf"
}

# run RIGHT_CERT [LEFT_REVOCATION [LEFT_EXTRA [nothing]]]: both daemons
# anew, left initiates (unless nothing).
run() {
    stop_daemon "$NS_L"
    stop_daemon "$NS_R"
    layout left left && layout right "$1" && conf left left "${2:-}" "${3:-}" && conf right "$1" &&
        restart || {
        OUT="set-up failed" RC=1
        return
    }
    [ "${4:-}" = nothing ] || initiate 30 # else the caller initiates
}
up() { [ $RC = 0 ] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3; }
# refused CASE TEXT: the initiation failed and left's log (and, where it
# says so, the answer) names TEXT.
refused() {
    if [ $RC != 0 ] && grep -qF -- "$2" "$WORK/$NS_L.log"; then
        pass "$1"
    else
        fail "$1" "rc=$RC $OUT" "$(logs | tail -n 12)"
    fi
}

run right
if up && [ "$(grep -c 'GET /inter.crl' "$WORK/http.log")" -ge 2 ] &&
    grep -q 'GET /root.crl' "$WORK/http.log"; then
    pass "crl: both sides fetched the CRLs the chains name, SA up"
else
    fail "crl: both sides fetched the CRLs the chains name, SA up" "rc=$RC $OUT" \
        "$(cat "$WORK/http.log")" "$(logs)"
fi

run rrevoked
refused "crl-revoked: refused, naming the date and the CRL" \
    "was revoked on"
grep -qF "by the CRL from $URL/inter.crl" "$WORK/$NS_L.log" &&
    pass "crl-revoked: the log names the CRL's URI" ||
    fail "crl-revoked: the log names the CRL's URI" "$(logs)"

run rocsp
if up && grep -q "Received request" "$WORK/ocsp.log" &&
    openssl ocsp -reqin "$WORK/ocspreq.der" -req_text 2>&1 | grep -q "OCSP Nonce"; then
    pass "ocsp: the responder was asked (with a nonce), SA up"
else
    fail "ocsp: the responder was asked (with a nonce), SA up" "rc=$RC $OUT" "$(cat "$WORK/ocsp.log")" "$(logs)"
fi

run rocsprev
refused "ocsp-revoked: refused by the responder's answer" \
    "by the OCSP responder http://192.0.2.2:8081"

# the fetch takes 10 s: meanwhile the PSK tunnel comes up at once
run_bg() { ctl "$NS_L" initiate --child net --timeout 30 >"$WORK/out" 2>&1; echo "$?" >"$WORK/rc"; }
run rdrop strict "" nothing
rm -f "$WORK/rc"
run_bg &
bg=$!
sleep 1
start=$(date +%s%N)
if ctl "$NS_L" initiate --child psk --timeout 5 >/dev/null 2>&1 &&
    [ $((($(date +%s%N) - start) / 1000000)) -lt 3000 ] && [ ! -s "$WORK/rc" ]; then
    pass "waiting for a fetch stalls no other IKE SA (PSK tunnel up meanwhile)"
else
    fail "waiting for a fetch stalls no other IKE SA (PSK tunnel up meanwhile)" "$(logs)"
fi
wait $bg
RC=$(cat "$WORK/rc")
OUT=$(cat "$WORK/out")
refused "unreachable, strict: refused after the fetch timed out" \
    "no CRL could be fetched from http://192.0.2.2:8098/inter.crl: timeout after 10 s"
case "$OUT" in
*"timeout after 10 s"*) pass "unreachable, strict: uipsecctl initiate says why" ;;
*) fail "unreachable, strict: uipsecctl initiate says why" "$OUT" ;;
esac

run rrefused ifuri
refused "unreachable, ifuri: refused (the certificate names a CRL)" \
    "no CRL could be fetched from http://192.0.2.2:8097/inter.crl"

run rrefused relaxed
if up; then
    pass "unreachable, relaxed: accepted"
else
    fail "unreachable, relaxed: accepted" "rc=$RC $OUT" "$(logs)"
fi

# authorities: a certificate that names no URI, the CRL URI of its issuer
# given in the configuration (swanctl's authorities section); this CRL
# is PEM
run rplain relaxed "authorities {
    inter {
        cacert = $PKI/interCert.pem
        crl_uris = $URL/inter2.crl
    }
}"
refused "authorities: the configured CRL URI of the issuer is fetched, revoked refused" \
    "by the CRL from $URL/inter2.crl"

suite_end test_revocation
