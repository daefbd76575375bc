#!/bin/sh
# Certificates for test_ident made by independent tools: strongSwan's pki
# (the DER strongSwan writes for a DN text) and openssl (UTF8String
# values, and the subject as `openssl x509 -nameopt` prints it).  Runs the
# test binary with the folder as argv[1] and removes the folder after.
# Without pki the certificate cases are skipped, the others still run.
# Usage: ident_pki.sh TEST_BINARY
set -eu
bin=$1
if ! command -v pki >/dev/null 2>&1; then
    echo "ident_pki: strongSwan's pki is not installed (package strongswan-pki):" \
        "certificate cases skipped" >&2
    exec "$bin"
fi
dir=$(mktemp -d /tmp/ident-pki.XXXXXX)
trap 'rm -rf "$dir"' EXIT
nameopt=sep_comma_plus_space,sname,esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_der

# quiet CMD...: pki talks about its plugins on stderr; shown only on failure.
quiet() {
    "$@" 2>"$dir/stderr" || { cat "$dir/stderr" >&2; exit 1; }
}

quiet pki --gen --type ed25519 --outform pem >"$dir/key.pem"

# subject NAME: NAME.subject, NAME.pem's subject as openssl prints it
# with the flags ident.c gives X509_NAME_print_ex.
subject() {
    openssl x509 -in "$dir/$1.pem" -noout -subject -nameopt "$nameopt" |
        sed 's/^subject=//' | tr -d '\n' >"$dir/$1.subject"
}

# cert NAME DN [pki options]: NAME.pem, NAME.dn (the text pki was given)
# and NAME.subject.
cert() {
    name=$1 dn=$2
    shift 2
    quiet pki --self --in "$dir/key.pem" --type ed25519 --dn "$dn" "$@" --outform pem \
        >"$dir/$name.pem"
    printf '%s' "$dn" >"$dir/$name.dn"
    subject "$name"
}

cert moon "C=CH, O=strongSwan, CN=moon.strongswan.org" --san moon.strongswan.org \
    --san 192.168.0.1 --san moon@strongswan.org --san fec0::1
cert sun "C=CH, O=strongSwan, CN=sun.strongswan.org" # no SANs: CN only
cert attrs1 "C=CH, ST=Zug, L=Rapperswil, O=strongSwan, OU=Ünit, CN=a*b, E=all@strongswan.org, \
serialNumber=123, DC=org, UID=x, SN=s, G=g, I=i, T=t"
cert attrs2 "D=d, N=n, street=Main 1, postalCode=8640, dnQualifier=q, dmdName=m, pseudonym=p, \
ID=id, EN=7, UN=un, UA=ua, ND=nd, TCGID=tcg"
cert slash "/c=CH/o=strongSwan, Inc./cn=  spaced  value  "
cert long "C=CH, O=strongSwan, OU=$(printf '%0200d' 0), CN=long.strongswan.org"
# openssl's default string mask writes UTF8String where pki writes
# PrintableString: the same DN in other bytes.
quiet openssl req -x509 -newkey ed25519 -nodes -keyout "$dir/utf8.key" -days 1 \
    -subj "/C=CH/O=strongSwan/CN=moon.strongswan.org" -out "$dir/utf8.pem"
subject utf8

"$bin" "$dir"
