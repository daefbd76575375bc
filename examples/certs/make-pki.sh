#!/bin/sh
# Makes the certificates of examples/certs/left.conf and right.conf with
# strongSwan's pki tool (Debian: strongswan-pki): a CA and one ECDSA
# certificate per gateway, laid out beside each configuration in DIR/left
# and DIR/right (x509ca/, x509/, private/).  For a demonstration: a real CA
# keeps its key offline.
# Usage: make-pki.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
pki --gen --type ecdsa --size 384 --outform pem >"$dir/caKey.pem" 2>/dev/null
pki --self --ca --lifetime 3650 --in "$dir/caKey.pem" --type ecdsa \
    --dn "C=CH, O=uipsec example, CN=uipsec example CA" --outform pem >"$dir/caCert.pem" 2>/dev/null
for side in left right; do
    mkdir -p "$dir/$side/x509ca" "$dir/$side/x509" "$dir/$side/private"
    cp "$dir/caCert.pem" "$dir/$side/x509ca/"
    pki --gen --type ecdsa --size 256 --outform pem >"$dir/$side/private/${side}Key.pem" 2>/dev/null
    chmod 600 "$dir/$side/private/${side}Key.pem"
    pki --pub --in "$dir/$side/private/${side}Key.pem" --type priv 2>/dev/null |
        pki --issue --cacert "$dir/caCert.pem" --cakey "$dir/caKey.pem" --lifetime 730 \
            --dn "C=CH, O=uipsec example, CN=$side.example.org" --san "$side.example.org" \
            --flag serverAuth --outform pem >"$dir/$side/x509/${side}Cert.pem" 2>/dev/null
done
echo "certificates in $dir/left and $dir/right"
