#!/bin/bash
# SPDX-License-Identifier: MIT
# The certificates for test_certs, made by strongSwan's pki
# (tests/common/pki.sh) and laid out the swanctl way beside a
# uipsecd.conf; for each certificate file F.pem the independent reference
# ref/F.ref, what `openssl x509` prints of it.  Runs the test binary with the
# folder as argv[1] and removes the folder after.  Without pki: skipped
# (exit 77).  Usage: certs_pki.sh TEST_BINARY
set -eu
bin=$1
if ! command -v pki >/dev/null 2>&1; then
    echo "certs_pki: strongSwan's pki is not installed (package strongswan-pki): skipped" >&2
    exit 77
fi
dir=$(mktemp -d /tmp/certs-pki.XXXXXX)
trap 'rm -rf "$dir"' EXIT
PKI=$dir/pki
. "$(dirname "$0")/../common/pki.sh"
fail() { cat "$PKI/pki.err" >&2; exit 1; }

pki_ca || fail
pki_ee gw ecdsa 256 gw.uipsec.test --lifetime 400 || fail      # not soon
pki_ee soon rsa 3072 soon.uipsec.test --lifetime 10 || fail    # warned
pki_ee old ed25519 - old.uipsec.test --not-before "01.01.20 00:00:00" \
    --not-after "01.01.21 00:00:00" || fail                     # expired
# a CA test_certs puts in x509ca/ to see a reload read it
pkiq --self --ca --lifetime 100 --in "$PKI/otherKey.pem" --type ed25519 \
    --dn "C=CH, O=elsewhere, CN=New Root CA" --outform pem >"$PKI/newCert.pem" || fail
mkdir -p "$dir/x509" "$dir/x509ca" "$dir/private"
cp "$PKI"/{gw,soon,old,inter,other}Cert.pem "$dir/x509/"
cp "$PKI/rootCert.pem" "$dir/x509ca/"
cp "$PKI"/{gw,soon,old}Key.pem "$dir/private/"

nameopt=sep_comma_plus_space,sname,esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_der
mkdir "$dir/ref"
for f in "$dir"/x509/*.pem "$dir"/x509ca/*.pem; do
    b=${f##*/}
    openssl x509 -in "$f" -noout -subject -nameopt "$nameopt" -serial -startdate -enddate \
        -dateopt iso_8601 -fingerprint -sha256 >"$dir/ref/${b%.pem}.ref"
done

# gw: its certificate, any trusted CA; soon: pins the root as cacerts;
# old: the expired one; psk: no certificate at all.
conn() {
    cat <<EOC
    $1 {
        local_addrs = 192.0.2.1
        remote_addrs = 192.0.2.$2
        local { auth = pubkey
            certs = $1Cert.pem }
        remote { auth = pubkey
            $3 }
        children { $1 { remote_ts = 10.0.$2.0/24 } }
    }
EOC
}
{
    echo "connections {"
    conn gw 2 ""
    conn soon 3 "cacerts = rootCert.pem"
    conn old 4 ""
    cat <<EOC
    psk {
        local_addrs = 192.0.2.1
        remote_addrs = 192.0.2.5
        local { auth = psk }
        remote { auth = psk }
        children { psk { remote_ts = 10.0.5.0/24 } }
    }
}
secrets { ike-1 { secret = 0sWm9DYkDNx0m1y4Sk0y8xr4Kz4OAKuzpM1Sf7nLqg1jU= } }
EOC
} >"$dir/uipsecd.conf"
chmod 600 "$dir/uipsecd.conf"
"$bin" "$dir"
