#!/bin/bash
# SPDX-License-Identifier: MIT
# IKEv2 with certificates (issue 10) between two uipsecd in network
# namespaces.  A PKI is made at test time with strongSwan's pki tool: a
# root CA, an intermediate CA under it, and for each gateway an end-entity
# certificate per key type, issued by the intermediate.  Each gateway's
# files are laid out the swanctl way beside its configuration (x509/ its
# certificate and the intermediate, x509ca/ the root only, private/ its
# key), so the intermediate reaches the peer only in a CERT payload.
#
#   keys        ECDSA P-256, P-384, P-521, RSA 2048 (PKCS#1 v1.5), RSA/PSS,
#               Ed25519, Ed448: the SA comes up with the subject DNs as
#               identities, the remote id a DN with wildcards; ping both
#               ways; each side logs the signature scheme it verified (RFC
#               7427; ECDSA with its curve's hash)
#   SAN ids     local.id and the peer's remote.id an FQDN that is the
#               certificate's dNSName subjectAltName, then an address that
#               is its iPAddress subjectAltName: up, pings, uipsecctl shows
#               those ids; the address without the SAN in the certificate
#               is refused
#   passphrase  an encrypted private key, its passphrase in secrets
#               { private-* { file secret } }
#   pkcs12      left's key, certificate and intermediate CA in one
#               encrypted PKCS#12 bundle (pkcs12/, its passphrase in
#               secrets.pkcs12-*), no certs =: the certificate is found
#               by local.id, the intermediate sent from the bundle
#   rawkeys     no certificates at all: each side holds its own key and the
#               peer's public key (pubkey/, pubkeys =), FQDN identities
#   mixed       one side signs, the other uses a PSK (each its own method)
#   choice      several connections on one address pair (strongSwan's
#               choice): IKE_SA_INIT goes to the first whose proposals fit,
#               IKE_AUTH moves to the one whose remote id fits best (an
#               exact DN above a wildcard) for the peer's method (a PSK
#               initiation stays with the PSK connection)
#   revocation  CRLs in x509crl/ (signed by pki --signcrl): a revoked
#               certificate is refused naming the date; revocation =
#               strict accepts a chain whose every CA's CRL is at hand and
#               refuses one without them
#   refusals    an unknown CA (also once a reload removed the root), an
#               expired certificate, an identity the
#               certificate does not hold: refused with a log line that
#               names the certificate and the check; nothing installed
#
# Prints "ok    ..." or "FAIL  ..." per check and a summary; exits 1 if a
# check failed, 77 without root or without pki.  KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-crt-l}
NS_R=${NS_R:-uipsec-crt-r}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../common/certs.sh"
certs_begin test_certs.sh

# end_entity NAME TYPE SIZE SIDE [options]: the certificate of gateway SIDE.
end_entity() { pki_ee "$1" "$2" "$3" "$4.uipsec.test" "${@:5}"; }

# conf SIDE NAME AUTH [LOCAL_EXTRA] [SECRETS]: SIDE's uipsecd.conf
# (tests/common/certs.sh's connection), $REVOCATION in its remote section.
conf() {
    {
        cert_conn "$1" "$2" "$3" "" "${4:-}" "${REVOCATION:+revocation = $REVOCATION}"
        printf 'secrets {\n%s\n}\n' "${5:-}"
    } >"$WORK/$1/uipsecd.conf"
    chmod 600 "$WORK/$1/uipsecd.conf"
}

# up CASE NAME_L NAME_R AUTH: both sides with their certificates; the SA
# must come up and carry pings, and both must have verified SCHEME.
up() {
    local case=$1 scheme=$5
    layout left "$2" && layout right "$3" && conf left "$2" "$4" && conf right "$3" "$4" || {
        fail "$case: set-up" "$(ls -R "$WORK/left" "$WORK/right")"
        return
    }
    if ! restart; then
        fail "$case: daemons start" "$(logs | tail -20)"
        return
    fi
    initiate
    if [ $RC = 0 ] && [ "$(state "$NS_L")" = "ESTABLISHED 1" ] && ping_both; then
        pass "$case: IKE SA and CHILD_SA up, pings both ways"
    else
        fail "$case: IKE SA and CHILD_SA up, pings both ways" "$OUT" "$(logs | tail -20)"
        return
    fi
    if [ "$(grep -c "authenticated with $scheme" <(logs))" -ge 2 ]; then
        pass "$case: both sides verified $scheme"
    else
        fail "$case: both sides verified $scheme" "$(logs | grep -i authenticat | tail -6)"
    fi
}

# refused CASE TEXT: the last initiate failed, TEXT is in a log, and
# neither side holds an IKE SA or CHILD_SA.
refused() {
    if [ $RC != 0 ] && logs | grep -F -- "$2" >/dev/null && [ "$(state "$NS_L")" = none ] &&
        [ "$(state "$NS_R")" = none ]; then
        pass "$1: refused, logged \"$2\", nothing installed"
    else
        fail "$1: refused, logged \"$2\", nothing installed" "rc $RC: $OUT" \
            "left: $(state "$NS_L"), right: $(state "$NS_R")" "$(logs | tail -12)"
    fi
}

pki_ca || certs_abort test_certs "PKI made with pki" "$(cat "$PKI/pki.err")"

# pair L R TYPE SIZE: end-entity certificates L (left) and R (right).
pair() {
    end_entity "$1" "$3" "$4" left && end_entity "$2" "$3" "$4" right && return 0
    fail "pki: $3 certificates" "$(tail -5 "$PKI/pki.err")"
    return 1
}

pair lecdsa recdsa ecdsa 256 && up "ECDSA P-256" lecdsa recdsa pubkey "ECDSA with SHA-256"
pair lrsa rrsa rsa 2048 && up "RSA 2048" lrsa rrsa pubkey "RSA PKCS#1 v1.5 with SHA-256" &&
    up "RSA/PSS" lrsa rrsa rsa/pss "RSA-PSS with SHA-256"
pair led red ed25519 - && up "Ed25519" led red pubkey "Ed25519"
# the curves' own hashes (RFC 7427 with SHA-384 and SHA-512) and Ed448
pair lp384 rp384 ecdsa 384 && up "ECDSA P-384" lp384 rp384 pubkey "ECDSA with SHA-384"
pair lp521 rp521 ecdsa 521 && up "ECDSA P-521" lp521 rp521 pubkey "ECDSA with SHA-512"
pair led448 red448 ed448 - && up "Ed448" led448 red448 pubkey "Ed448"

# ---- identities that are subjectAltNames: an FQDN (the dNSName SAN of
# pki_ee) and an address (an iPAddress SAN) as local.id on one side and
# remote.id on the other
ids() { # ids NS: "LOCAL_ID REMOTE_ID" of NS's first IKE SA, as uipsecctl shows them
    ctl "$1" --json list-sas | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin).get("ike_sas", [])
print("%s %s" % (s[0]["local_id"], s[0]["remote_id"]) if s else "none")'
}
# san_ids CASE NAME_L NAME_R ID_L ID_R: each side's id its SAN, the peer's
# its remote id; the SA comes up with them and carries pings.
san_ids() {
    layout left "$2" && layout right "$3" && REMOTE_ID=$5 conf left "$2" pubkey "id = $4" &&
        REMOTE_ID=$4 conf right "$3" pubkey "id = $5"
    if restart && initiate && [ "$(state "$NS_L")" = "ESTABLISHED 1" ] && ping_both &&
        [ "$(ids "$NS_L")" = "$4 $5" ] && [ "$(ids "$NS_R")" = "$5 $4" ]; then
        pass "$1: ids $4 and $5 confirmed by the certificates, pings both ways"
    else
        fail "$1: ids $4 and $5 confirmed by the certificates, pings both ways" "$OUT" \
            "left: $(ids "$NS_L"), right: $(ids "$NS_R")" "$(logs | tail -8)"
    fi
}
san_ids "FQDN subjectAltName" lecdsa recdsa left.uipsec.test right.uipsec.test
if pki_ee lip ecdsa 256 left.uipsec.test --san 192.0.2.1 &&
    pki_ee rip ecdsa 256 right.uipsec.test --san 192.0.2.2; then
    san_ids "IP address subjectAltName" lip rip 192.0.2.1 192.0.2.2
    # the same ids with certificates without the address SANs: refused
    layout left lecdsa && layout right recdsa && REMOTE_ID=192.0.2.2 conf left lecdsa pubkey \
        "id = 192.0.2.1" && REMOTE_ID=192.0.2.1 conf right recdsa pubkey "id = 192.0.2.2" &&
        restart && initiate
    refused "an address id without its iPAddress subjectAltName" "does not confirm the identity"
else
    fail "pki: certificates with IP address SANs" "$(tail -3 "$PKI/pki.err")"
fi

# ---- an encrypted key, its passphrase in secrets
if openssl pkcs8 -topk8 -in "$PKI/lecdsaKey.pem" -passout pass:s3cret -v2 aes-256-cbc \
    -out "$PKI/lencKey.pem" 2>/dev/null; then
    cp "$PKI/lecdsaCert.pem" "$PKI/lencCert.pem"
    layout left lenc && layout right recdsa && conf right recdsa pubkey &&
        conf left lenc pubkey "" "    private-left { file = lencKey.pem
        secret = s3cret }"
    if restart && initiate && [ "$(state "$NS_L")" = "ESTABLISHED 1" ]; then
        pass "an encrypted private key opened with its secrets.private-* passphrase"
    else
        fail "an encrypted private key opened with its secrets.private-* passphrase" "$OUT" \
            "$(logs | tail -8)"
    fi
fi

# ---- a PKCS#12 bundle instead of x509/ and private/, found by local.id
layout left lecdsa && layout right recdsa && conf right recdsa pubkey &&
    conf left lecdsa pubkey 'id = "C=CH, O=uipsec test, CN=left.uipsec.test"' \
        "    pkcs12-left { file = left.p12
        secret = p12-s3cret }"
sed -i 's|            certs = lecdsaCert.pem||' "$WORK/left/uipsecd.conf"
rm -rf "$WORK/left/x509" "$WORK/left/private" && mkdir -p "$WORK/left/pkcs12"
if openssl pkcs12 -export -in "$PKI/lecdsaCert.pem" -inkey "$PKI/lecdsaKey.pem" \
    -certfile "$PKI/interCert.pem" -passout pass:p12-s3cret -out "$WORK/left/pkcs12/left.p12" \
    2>"$WORK/p12.err" && restart && initiate && [ "$(state "$NS_L")" = "ESTABLISHED 1" ]; then
    pass "PKCS#12: key, certificate (found by local.id) and intermediate from one bundle"
else
    fail "PKCS#12: key, certificate (found by local.id) and intermediate from one bundle" \
        "$OUT" "$(cat "$WORK/p12.err")" "$(logs | tail -8)"
fi

# ---- raw public keys (pubkeys =), Ed25519, no certificate anywhere
rawkeys() { # rawkeys SIDE OTHER: SIDE's configuration and files
    local dir=$WORK/$1 me=1 peer=2 addr=192.0.2.1 paddr=192.0.2.2
    [ "$1" = right ] && me=2 peer=1 addr=192.0.2.2 paddr=192.0.2.1
    rm -rf "$dir" && mkdir -p "$dir/private" "$dir/pubkey"
    cp "$PKI/${1:0:1}edKey.pem" "$dir/private/" &&
        pkiq --pub --in "$PKI/${1:0:1}edKey.pem" --type priv --outform pem >"$dir/pubkey/$1.pem" &&
        pkiq --pub --in "$PKI/${2:0:1}edKey.pem" --type priv --outform pem >"$dir/pubkey/$2.pem" ||
        return 1
    cat >"$dir/uipsecd.conf" <<EOF
connections {
    net {
        local_addrs = $addr
        remote_addrs = $paddr
        local { auth = pubkey
                id = $1.uipsec.test
                pubkeys = $1.pem }
        remote { auth = pubkey
                 id = $2.uipsec.test
                 pubkeys = $2.pem }
        children { net { local_ts = 10.10.$me.0/24
                         remote_ts = 10.10.$peer.0/24 } }
    }
}
EOF
    chmod 600 "$dir/uipsecd.conf"
}
if rawkeys left right && rawkeys right left && restart && initiate &&
    [ "$(state "$NS_L")" = "ESTABLISHED 1" ] && ping_both; then
    pass "raw public keys (pubkeys =, Ed25519): up without any certificate, pings both ways"
else
    fail "raw public keys (pubkeys =, Ed25519): up without any certificate, pings both ways" \
        "$OUT" "$(logs | tail -8)"
fi

# ---- each side its own method: left signs, right uses a PSK
PSKS="    ike-1 { id-1 = right.uipsec.test
        secret = 0sWm9DYkDNx0m1y4Sk0y8xr4Kz4OAKuzpM1Sf7nLqg1jU= }"
layout left lecdsa && layout right recdsa &&
    REMOTE_AUTH=psk conf left lecdsa pubkey "" "$PSKS" &&
    sed -i 's|id = "C=CH, O=uipsec test, CN=\*"|id = right.uipsec.test|' "$WORK/left/uipsecd.conf"
conf right recdsa psk "id = right.uipsec.test" "$PSKS" &&
    sed -i 's|            certs = recdsaCert.pem||' "$WORK/right/uipsecd.conf"
if restart && initiate && [ "$(state "$NS_L")" = "ESTABLISHED 1" ] && ping_both; then
    pass "mixed: left signs (ECDSA), right answers with a PSK; pings both ways"
else
    fail "mixed: left signs (ECDSA), right answers with a PSK; pings both ways" "$OUT" \
        "$(logs | tail -10)"
fi

# ---- which connection answers: right has, on the same addresses, "psk"
# (auth = psk, proposals aes128-sha256-modp3072), "wild" (remote id
# CN=*) and "exact" (remote id CN=left.uipsec.test), in that order
choice_conf() {
    local c name rid auth props
    {
        echo "connections {"
        for c in "psk|left.uipsec.test|psk|aes128-sha256-modp3072" \
            "wild|\"C=CH, O=uipsec test, CN=*\"|pubkey|aes256gcm16-prfsha256-x25519" \
            "exact|\"C=CH, O=uipsec test, CN=left.uipsec.test\"|pubkey|aes256gcm16-prfsha256-x25519"; do
            IFS='|' read -r name rid auth props <<<"$c"
            cat <<EOF
    $name {
        local_addrs = 192.0.2.2
        remote_addrs = 192.0.2.1
        proposals = $props
        local {
            auth = $auth
            $([ "$auth" = psk ] && echo "id = right.uipsec.test" || echo "certs = recdsaCert.pem")
        }
        remote {
            auth = $auth
            id = $rid
        }
        children {
            via$name {
                local_ts = 10.10.2.0/24
                remote_ts = 10.10.1.0/24
            }
        }
    }
EOF
        done
        echo "}"
        echo "secrets {"
        echo "$PSKS"
        echo "}"
    } >"$WORK/right/uipsecd.conf"
    chmod 600 "$WORK/right/uipsecd.conf"
}
# right_conn: the connection name of right's IKE SA
right_conn() {
    ctl "$NS_R" --json list-sas | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin).get("ike_sas", [])
print(s[0]["name"] if s else "none")'
}
layout left lecdsa && layout right recdsa && conf left lecdsa pubkey && choice_conf
if restart && initiate && [ "$(state "$NS_L")" = "ESTABLISHED 1" ] && [ "$(right_conn)" = exact ] &&
    grep "switching from connection wild to exact" "$WORK/$NS_R.log" >/dev/null; then
    pass "choice: IKE_SA_INIT to \"wild\" (\"psk\" lacks the proposal), IKE_AUTH switched to \"exact\""
else
    fail "choice: IKE_SA_INIT to \"wild\" (\"psk\" lacks the proposal), IKE_AUTH switched to \"exact\"" \
        "$OUT" "right's IKE SA: $(right_conn)" "$(logs | grep -iE "switch|fail" | tail -5)"
fi
REMOTE_AUTH=psk conf left lecdsa psk "id = left.uipsec.test" "$PSKS" &&
    sed -i -e 's|id = "C=CH, O=uipsec test, CN=\*"|id = right.uipsec.test|' \
        -e 's|            certs = lecdsaCert.pem||' \
        -e 's|proposals = aes256gcm16-prfsha256-x25519|proposals = aes128-sha256-modp3072|' \
        "$WORK/left/uipsecd.conf"
if restart && initiate && [ "$(state "$NS_L")" = "ESTABLISHED 1" ] && [ "$(right_conn)" = psk ]; then
    pass "choice: a PSK initiation is answered by \"psk\""
else
    fail "choice: a PSK initiation is answered by \"psk\"" "$OUT" "right's IKE SA: $(right_conn)" \
        "$(logs | tail -6)"
fi

# ---- revocation: CRLs of the root (for the intermediate) and of the
# intermediate (for the gateways), one revoking left's certificate
crl() { # crl NAME ISSUER [--cert FILE --reason key-compromise]
    local name=$1 issuer=$2
    shift 2
    pkiq --signcrl --cacert "$PKI/${issuer}Cert.pem" --cakey "$PKI/${issuer}Key.pem" "$@" \
        --outform pem >"$PKI/$name.pem"
}
with_crls() { # with_crls CRL...: right's x509crl/ holds them
    mkdir -p "$WORK/right/x509crl"
    for c in "$@"; do cp "$PKI/$c.pem" "$WORK/right/x509crl/"; done
}
if crl rootcrl root && crl intercrl inter && crl revoked inter --cert "$PKI/lecdsaCert.pem" \
    --reason key-compromise; then
    layout left lecdsa && layout right recdsa && conf left lecdsa pubkey &&
        conf right recdsa pubkey && with_crls revoked && restart && initiate
    refused "revoked certificate (relaxed, the default)" "was revoked on"
    layout left lecdsa && layout right recdsa && conf left lecdsa pubkey &&
        REVOCATION=strict conf right recdsa pubkey && with_crls rootcrl intercrl
    if restart && initiate && [ "$(state "$NS_L")" = "ESTABLISHED 1" ]; then
        pass "revocation = strict: accepted with every CA's CRL at hand"
    else
        fail "revocation = strict: accepted with every CA's CRL at hand" "$OUT" "$(logs | tail -6)"
    fi
    layout left lecdsa && layout right recdsa && conf left lecdsa pubkey &&
        REVOCATION=strict conf right recdsa pubkey && with_crls intercrl && restart && initiate
    refused "revocation = strict without the root's CRL" "no CRL for"
else
    fail "pki --signcrl" "$(tail -3 "$PKI/pki.err")"
fi

# ---- refusals
layout left lecdsa && layout right recdsa otherCert && conf left lecdsa pubkey &&
    conf right recdsa pubkey && restart && initiate
refused "unknown CA (right trusts another root), the CAs it trusts named" \
    'not trusted (we trust "C=CH, O=elsewhere, CN=Other Root CA")'

# a reload takes the new credentials (the connections' certificate
# objects are made anew): right stops trusting the root
layout left lecdsa && layout right recdsa && conf left lecdsa pubkey && conf right recdsa pubkey &&
    restart && initiate
if [ $RC = 0 ] && rm "$WORK/right/x509ca/rootCert.pem" && cp "$PKI/otherCert.pem" "$WORK/right/x509ca/" &&
    ctl "$NS_R" reload >/dev/null && ctl "$NS_L" terminate --ike net --timeout 10 >/dev/null; then
    initiate
    refused "after a reload that removed the root from x509ca/" "not trusted"
else
    fail "up, then reload" "$OUT" "$(logs | tail -6)"
fi

# an expired certificate: the same key, valid in 2020 only
pki_ee lold ecdsa 256 left.uipsec.test --not-before "01.01.20 00:00:00" \
    --not-after "01.01.21 00:00:00"
layout left lold && layout right recdsa && conf left lold pubkey && conf right recdsa pubkey &&
    restart && initiate
refused "expired certificate" "expired on"

layout left lecdsa && layout right recdsa && conf left lecdsa pubkey "id = other.uipsec.test" &&
    conf right recdsa pubkey && sed -i 's|id = "C=CH, O=uipsec test, CN=\*"|id = %any|' \
    "$WORK/right/uipsecd.conf" && restart && initiate
refused "an identity the certificate does not hold" "does not confirm the identity"

suite_end test_certs
