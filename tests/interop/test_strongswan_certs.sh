#!/bin/bash
# SPDX-License-Identifier: MIT
# Certificate interop with strongSwan 5.9 (Debian's charon with
# kernel-libipsec, the harness in ../shared/interop/strongswan), issue 10.
# A PKI made at test time with strongSwan's pki (tests/common/pki.sh): a
# root CA and an intermediate under it; for each side and key type an
# end-entity certificate issued by the intermediate.  Both sides hold only
# the root in x509ca/; each has its own certificate and the intermediate in
# x509/, so the intermediate must travel in CERT payloads.  Identities are
# the subject DNs, each side's remote id "C=CH, O=uipsec test, CN=*".
#
# For ECDSA P-256, P-384, P-521, RSA 2048, RSA with PSS (rsa/pss), Ed25519
# and Ed448, and once with FQDN subjectAltNames as identities (ECDSA):
#   uipsecd initiates, strongSwan responds; then strongSwan initiates,
#   uipsecd responds.  Each time: swanctl and uipsecctl both list the
#   CHILD_SA, pings go both ways, charon logs its peer's authentication
#   with the signature scheme, uipsecd logs the scheme it verified, the
#   IKE_AUTH messages (two certificates: over 1280 bytes) are fragmented
#   by both sides and reassembled by both (RFC 7383), and after terminate
#   nothing is left on either side.
# Refusals: strongSwan's certificate from a CA uipsecd does not trust
# (uipsecd logs "not trusted"), and uipsecd's certificate from a CA
# strongSwan does not trust (charon refuses; nothing installed).
# Revocation fetched over HTTP (CRL distribution points, OCSP): both fetch
# the CRLs of good certificates; uipsecd refuses strongSwan's certificate
# on a fetched CRL and on its OCSP responder's answer; charon (with its
# revocation and curl plugins) refuses uipsecd's on a fetched CRL.
#
# Needs root, the harness and pki (exit 77 without them).  KEEP=1 keeps the
# work folder; ONLY=WORD runs the key types whose name holds WORD.
set -uo pipefail

export LEFT_NS=${LEFT_NS:-uipsec-swc-l} RIGHT_NS=${RIGHT_NS:-uipsec-swc-r}
. "$(dirname "$0")/lib.sh"
interop_need test_strongswan_certs.sh
if ! command -v pki >/dev/null; then
    echo "SKIP test_strongswan_certs.sh: no pki (make deps)" >&2
    exit 77
fi
for f in /usr/lib/ipsec/charon /usr/sbin/swanctl; do
    [ -x "$f" ] || { echo "$f missing" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/uipsec-interop-certs.XXXXXX)
export SWAN_STATE=$WORK/swan
PKI=$WORK/pki
. "$TOP/tests/common/certs.sh"

UPID= UNS= SNS=
stop_all() {
    [ -n "$UPID" ] && { kill "$UPID" 2>/dev/null; wait "$UPID" 2>/dev/null; }
    UPID=
    [ -n "$SNS" ] && swan stop "$SNS" >/dev/null 2>&1
    SNS=
}
cleanup() {
    stop_all
    pair down >/dev/null 2>&1
    if [ "$failed" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "# kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- configurations ---------------------------------------------------------------
# conn_text SIDE NAME AUTH: tests/common/certs.sh's connection "net"
# (strongSwan's and uipsecd's syntax are one), in UDP as the harness's
# strongSwan always is.
# With SAN_IDS set, the identities are the FQDN subjectAltNames instead
# (left.uipsec.test, right.uipsec.test).
conn_text() {
    local other=right
    [ "$1" = right ] && other=left
    if [ -n "${SAN_IDS:-}" ]; then
        REMOTE_ID=$other.uipsec.test cert_conn "$1" "$2" "$3" "version = 2
        encap = yes" "id = $1.uipsec.test"
    else
        cert_conn "$1" "$2" "$3" "version = 2
        encap = yes"
    fi
}

# start_swan SIDE NAME AUTH [ROOT]: charon on SIDE with certificate NAME.
start_swan() {
    local dir=$WORK/swan-$1 ns=$L
    [ "$1" = right ] && ns=$R
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$HARNESS/conf/$1/strongswan.conf" "$dir/"
    sed -i "s|include ../charon.conf|include $HARNESS/conf/charon.conf|" "$dir/strongswan.conf"
    # strongSwan signs with PSS only when told so (its rsa_pss option)
    [ "$3" = rsa/pss ] && printf 'charon {\n    rsa_pss = yes\n}\n' >>"$dir/strongswan.conf"
    # revocation checks: the harness's plugins and strongSwan's fetcher
    [ -n "${SWAN_REVOCATION:-}" ] && printf 'charon {\n    load = %s revocation curl\n}\n' \
        "$(sed -n 's/^ *load = //p' "$HARNESS/conf/charon.conf")" >>"$dir/strongswan.conf"
    cert_files "$dir" "$2" "${4:-rootCert}" && conn_text "$1" "$2" "$3" >"$dir/swanctl.conf" &&
        swan start "$ns" "$dir" >"$WORK/swan-start.log" 2>&1 && SNS=$ns
}

# start_uipsecd SIDE NAME AUTH [ROOT]: uipsecd on SIDE with certificate NAME.
start_uipsecd() {
    local dir=$WORK/u-$1 ns=$L
    [ "$1" = right ] && ns=$R
    rm -rf "$dir" && mkdir -p "$dir"
    cert_files "$dir" "$2" "${4:-rootCert}" || return 1
    {
        printf 'uipsec {\n    socket = %s\n    vici_socket = %s\n}\n' "$WORK/u.sock" "$WORK/u.vici"
        conn_text "$1" "$2" "$3"
    } >"$dir/uipsecd.conf"
    chmod 600 "$dir/uipsecd.conf"
    UNS=$ns ULOG=$WORK/uipsecd-$1.log
    rm -f "$WORK/u.sock"
    ip netns exec "$ns" "$UIPSECD" --config "$dir/uipsecd.conf" --foreground >"$ULOG" 2>&1 &
    UPID=$!
    for _ in $(seq 100); do
        [ -S "$WORK/u.sock" ] && return 0
        sleep 0.05
    done
    cat "$ULOG" >&2
    return 1
}
ctl() { nsx "$UNS" "$UIPSECCTL" --socket "$WORK/u.sock" "$@"; }
sw() { swan swanctl "$SNS" "$@"; }
clog() { cat "$SWAN_STATE/$SNS/charon.log"; }

u_children() { ctl --json list-sas | /usr/bin/python3 -c '
import json, sys
print(sum(len(s["children"]) for s in json.load(sys.stdin).get("ike_sas", [])))'; }
pings() {
    nsx "$L" ping -n -c 3 -i 0.05 -W 2 -I 10.10.1.1 10.10.2.1 >/dev/null 2>&1 &&
        nsx "$R" ping -n -c 3 -i 0.05 -W 2 -I 10.10.2.1 10.10.1.1 >/dev/null 2>&1
}

# run_case LABEL U_SIDE NAME_U NAME_S AUTH SCHEME SWAN_SCHEME: uipsecd on
# U_SIDE (left: it initiates), strongSwan on the other side.
run_case() {
    local label=$1 us=$2 ss=left out ok=1
    [ "$us" = left ] && ss=right
    stop_all
    if ! start_uipsecd "$us" "$3" "$5" || ! start_swan "$ss" "$4" "$5"; then
        fail "$label: both daemons start" "$(cat "$WORK/swan-start.log" "$ULOG" | tail -8)"
        return
    fi
    if [ "$us" = left ]; then out=$(ctl initiate --child net --timeout 15 2>&1) || ok=0
    else out=$(sw --initiate --child net --timeout 15 2>&1) || ok=0; fi
    if [ $ok = 1 ] && [ "$(u_children)" = 1 ] && pings; then
        pass "$label: CHILD_SA up on both sides, pings both ways"
    else
        fail "$label: CHILD_SA up on both sides, pings both ways" "$(tail -3 <<<"$out")" \
            "$(tail -6 "$ULOG")" "$(clog | grep -iE "auth|cert|fail|error" | tail -8)"
        return
    fi
    if grep "authenticated with $6" "$ULOG" >/dev/null; then pass "$label: uipsecd verified $6"
    else fail "$label: uipsecd verified $6" "$(grep -i authentic "$ULOG" | tail -3)"; fi
    # uipsecd's identity: its subject DN, or with SAN_IDS its FQDN
    local dn='C=CH, O=uipsec test, CN='
    [ -n "${SAN_IDS:-}" ] && dn=
    if clog | grep -E "authentication of '$dn[a-z]+\.uipsec\.test' with $7 successful" >/dev/null; then
        pass "$label: charon verified uipsecd's $7 signature"
    else
        fail "$label: charon verified uipsecd's $7 signature" "$(clog | grep -i "authentication of" | tail -3)"
    fi
    # IKE_AUTH with two certificates is over 1280 bytes: both fragment it
    if grep "IKE_AUTH 1: [0-9]* bytes sent in [0-9]* fragments" "$ULOG" >/dev/null &&
        clog | grep "reassembled fragmented IKE message" >/dev/null &&
        clog | grep "splitting IKE message" >/dev/null; then
        pass "$label: IKE_AUTH fragmented both ways (RFC 7383), reassembled by both"
    else
        fail "$label: IKE_AUTH fragmented both ways (RFC 7383), reassembled by both" \
            "$(grep fragment "$ULOG" | tail -2)" "$(clog | grep -i fragment | tail -4)"
    fi
    # swanctl --list-conns against uipsecd names its certificate as charon
    # names its own
    if [ "$label" = "ecdsa, uipsecd initiates" ]; then
        local uc sc
        uc=$(nsx "$UNS" swanctl --list-conns --uri "unix://$WORK/u.vici" 2>&1)
        sc=$(sw --list-conns 2>&1)
        if grep -q "certs: C=CH, O=uipsec test, CN=left.uipsec.test" <<<"$uc" &&
            grep -q "certs: C=CH, O=uipsec test, CN=right.uipsec.test" <<<"$sc"; then
            pass "$label: swanctl --list-conns over VICI lists uipsecd's certificate as charon does its own"
        else
            fail "$label: swanctl --list-conns over VICI lists uipsecd's certificate as charon does its own" \
                "$uc" "$sc"
        fi
    fi
    ctl terminate --ike net --timeout 10 >/dev/null 2>&1
    sleep 0.5
    if [ "$(u_children)" = 0 ] && ! sw --list-sas --raw 2>/dev/null | grep "state=ESTABLISHED" >/dev/null; then
        pass "$label: terminated, nothing left on either side"
    else
        fail "$label: terminated, nothing left on either side" "$(ctl list-sas)" "$(sw --list-sas)"
    fi
}

# refused LABEL U_NAME S_NAME U_ROOT S_ROOT TEXT WHERE(u|c): uipsecd on the
# left (certificate U_NAME, trusting U_ROOT) initiates to strongSwan
# (S_NAME, S_ROOT); the refusing side logs TEXT and nothing is installed.
refused() {
    local out rc logged
    stop_all
    start_uipsecd left "$2" pubkey "$4" && start_swan right "$3" pubkey "$5" || {
        fail "$1: both daemons start"
        return
    }
    out=$(ctl initiate --child net --timeout 15 2>&1)
    rc=$?
    if [ "$7" = u ]; then logged=$(grep -F "$6" "$ULOG"); else logged=$(clog | grep -F "$6"); fi
    if [ $rc != 0 ] && [ "$(u_children)" = 0 ] && [ -n "$logged" ]; then
        pass "$1: refused (\"$6\" in the $([ "$7" = u ] && echo uipsecd || echo charon) log), nothing installed"
    else
        fail "$1: refused" "$out" "$(tail -5 "$ULOG")" "$(clog | grep -iE "cert|trust|auth|revo|crl|ocsp" | tail -6)"
    fi
}

pair up >/dev/null || { echo "cannot make the namespaces" >&2; exit 1; }
if ! pki_ca; then
    fail "PKI made with pki" "$(cat "$PKI/pki.err")"
    exit 1
fi

# name type size u_scheme swan_scheme auth
while read -r name type size auth scheme swan_scheme; do
    [[ $name == *"${ONLY:-}"* ]] || continue
    scheme=${scheme//_/ } # the table's spaces
    if ! pki_ee "l$name" "$type" "$size" left.uipsec.test || ! pki_ee "s$name" "$type" "$size" right.uipsec.test ||
        ! pki_ee "r$name" "$type" "$size" right.uipsec.test || ! pki_ee "t$name" "$type" "$size" left.uipsec.test; then
        fail "pki: $name certificates" "$(tail -3 "$PKI/pki.err")"
        continue
    fi
    run_case "$name, uipsecd initiates" left "l$name" "s$name" "$auth" "$scheme" "$swan_scheme"
    run_case "$name, strongSwan initiates" right "r$name" "t$name" "$auth" "$scheme" "$swan_scheme"
done <<'EOF'
ecdsa ecdsa 256 pubkey ECDSA_with_SHA-256 ECDSA_WITH_SHA256_DER
rsa rsa 2048 pubkey RSA_PKCS#1_v1.5_with_SHA-256 RSA_EMSA_PKCS1_SHA2_256
rsapss rsa 2048 rsa/pss RSA-PSS_with_SHA-256 RSA_EMSA_PSS_SHA2_256_SALT_32
ed25519 ed25519 - pubkey Ed25519 ED25519
p384 ecdsa 384 pubkey ECDSA_with_SHA-384 ECDSA_WITH_SHA384_DER
p521 ecdsa 521 pubkey ECDSA_with_SHA-512 ECDSA_WITH_SHA512_DER
ed448 ed448 - pubkey Ed448 ED448
EOF

# identities that are FQDN subjectAltNames rather than the subject DNs
if [[ san == *"${ONLY:-}"* ]]; then
    export SAN_IDS=1
    pki_ee lsan ecdsa 256 left.uipsec.test && pki_ee ssan ecdsa 256 right.uipsec.test &&
        run_case "FQDN SAN identities, uipsecd initiates" left lsan ssan pubkey "ECDSA with SHA-256" \
            ECDSA_WITH_SHA256_DER &&
        run_case "FQDN SAN identities, strongSwan initiates" right ssan lsan pubkey \
            "ECDSA with SHA-256" ECDSA_WITH_SHA256_DER
    unset SAN_IDS
fi

if [[ ecdsa == *"${ONLY:-}"* ]]; then
    refused "strongSwan's certificate from a CA uipsecd does not trust" lecdsa secdsa otherCert \
        rootCert "not trusted" u
    refused "uipsecd's certificate from a CA strongSwan does not trust" lecdsa secdsa rootCert \
        otherCert "no trusted" c
fi

# ---- revocation fetched over HTTP: CRLs from the certificates'
# distribution points, OCSP from their AIA, served in the left namespace
# (192.0.2.1) by python's http.server and openssl ocsp; uipsecd on the left
# initiates, charon (with its revocation and curl plugins) responds
revocation() {
    local url=http://192.0.2.1:8080 www=$WORK/www serial
    mkdir -p "$www"
    pki_ee lcrl ecdsa 256 left.uipsec.test --crl "$url/inter.crl" &&
        pki_ee scrl ecdsa 256 right.uipsec.test --crl "$url/inter.crl" &&
        pki_ee lrev ecdsa 256 left.uipsec.test --crl "$url/inter.crl" &&
        pki_ee srev ecdsa 256 right.uipsec.test --crl "$url/inter.crl" &&
        pki_ee socsp ecdsa 256 right.uipsec.test --ocsp http://192.0.2.1:8081 &&
        pkiq --signcrl --cacert "$PKI/interCert.pem" --cakey "$PKI/interKey.pem" \
            --reason key-compromise --cert "$PKI/lrevCert.pem" --cert "$PKI/srevCert.pem" \
            --outform der >"$www/inter.crl" || {
        fail "pki: revocation certificates" "$(tail -3 "$PKI/pki.err")"
        return
    }
    serial=$(openssl x509 -in "$PKI/socspCert.pem" -noout -serial | cut -d= -f2)
    printf 'R\t%s\t%s\t%s\tunknown\t/CN=socsp\n' "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" \
        "$(date -u -d yesterday +%y%m%d%H%M%SZ)" "$serial" >"$PKI/index.txt"
    nsx "$L" /usr/bin/python3 -m http.server 8080 --bind 192.0.2.1 --directory "$www" \
        >"$WORK/http.log" 2>&1 &
    nsx "$L" openssl ocsp -index "$PKI/index.txt" -port 8081 -CA "$PKI/interCert.pem" \
        -rsigner "$PKI/interCert.pem" -rkey "$PKI/interKey.pem" -ignore_err >"$WORK/ocsp.log" 2>&1 &
    sleep 1
    export SWAN_REVOCATION=1
    # both fetch: uipsecd from itself, charon over the veth
    stop_all
    if start_uipsecd left lcrl pubkey && start_swan right scrl pubkey &&
        ctl initiate --child net --timeout 15 >/dev/null 2>&1 && [ "$(u_children)" = 1 ] && pings &&
        grep -q '^192.0.2.1 .*GET /inter.crl' "$WORK/http.log" &&
        grep -q '^192.0.2.2 .*GET /inter.crl' "$WORK/http.log"; then
        pass "CRLs fetched by uipsecd and by charon, CHILD_SA up, pings both ways"
    else
        fail "CRLs fetched by uipsecd and by charon, CHILD_SA up, pings both ways" \
            "$(cat "$WORK/http.log")" "$(tail -5 "$ULOG")" "$(clog | grep -iE "crl|fetch|revo" | tail -5)"
    fi
    refused "uipsecd refuses strongSwan's certificate on a fetched CRL" lcrl srev "" "" \
        "by the CRL from $url/inter.crl" u
    refused "uipsecd refuses strongSwan's certificate its OCSP responder says is revoked" lcrl \
        socsp "" "" "by the OCSP responder http://192.0.2.1:8081" u
    refused "charon refuses uipsecd's certificate on a fetched CRL" lrev scrl "" "" \
        "certificate was revoked" c
    unset SWAN_REVOCATION
}

if [[ revocation == *"${ONLY:-}"* ]]; then
    revocation
fi

echo "# $passed passed, $failed failed"
[ "$failed" = 0 ]
