# SPDX-License-Identifier: MIT
# A test PKI made with strongSwan's pki tool (package strongswan-pki), for
# the tests that run uipsecd with certificates (through certs.sh beside
# it, which sources it).  Source it, set PKI to a folder, then:
#   pki_ca [OPTIONS...]    rootCert/Key.pem (ECDSA P-384, "uipsec Root CA"),
#                          interCert/Key.pem (RSA 2048, under the root; the
#                          pki --issue OPTIONS given, e.g. --crl URI),
#                          otherCert/Key.pem (Ed25519, a root nobody trusts)
#   pki_ee NAME TYPE SIZE CN [pki --issue options...]
#                          NAMEKey.pem and NAMECert.pem for "CN=CN" (and a
#                          DNS subjectAltName CN), issued by the intermediate;
#                          SIZE - for key types without one
# Each returns non-zero when pki fails (its messages are in $PKI/pki.err).
PKI_DN="C=CH, O=uipsec test"

pkiq() { pki "$@" 2>>"$PKI/pki.err"; } # pki talks about its plugins on stderr

pki_ca() {
    mkdir -p "$PKI"
    pkiq --gen --type ecdsa --size 384 --outform pem >"$PKI/rootKey.pem" &&
        pkiq --self --ca --lifetime 30 --in "$PKI/rootKey.pem" --type ecdsa \
            --dn "$PKI_DN, CN=uipsec Root CA" --outform pem >"$PKI/rootCert.pem" &&
        pkiq --gen --type rsa --size 2048 --outform pem >"$PKI/interKey.pem" &&
        pkiq --pub --in "$PKI/interKey.pem" --type priv |
        pkiq --issue --cacert "$PKI/rootCert.pem" --cakey "$PKI/rootKey.pem" --ca --lifetime 30 \
            --dn "$PKI_DN, CN=uipsec Intermediate CA" "$@" --outform pem >"$PKI/interCert.pem" &&
        pkiq --gen --type ed25519 --outform pem >"$PKI/otherKey.pem" &&
        pkiq --self --ca --lifetime 30 --in "$PKI/otherKey.pem" --type ed25519 \
            --dn "C=CH, O=elsewhere, CN=Other Root CA" --outform pem >"$PKI/otherCert.pem"
}

pki_ee() {
    local name=$1 type=$2 size=$3 cn=$4 gen=(--gen --type "$2")
    shift 4
    [ "$size" != - ] && gen+=(--size "$size")
    pkiq "${gen[@]}" --outform pem >"$PKI/${name}Key.pem" &&
        pkiq --pub --in "$PKI/${name}Key.pem" --type priv |
        pkiq --issue --cacert "$PKI/interCert.pem" --cakey "$PKI/interKey.pem" --lifetime 30 \
            --dn "$PKI_DN, CN=$cn" --san "$cn" --flag serverAuth "$@" \
            --outform pem >"$PKI/${name}Cert.pem"
}
