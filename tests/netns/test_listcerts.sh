#!/bin/bash
# SPDX-License-Identifier: MIT
# uipsecctl list-certs and the certificate expiry warning (issue 10) with
# one uipsecd in a network namespace.  A PKI made at test time with
# strongSwan's pki (tests/common/pki.sh), laid out the swanctl way beside
# the configuration: x509/ two end-entity certificates (one valid for a
# year, one for 10 days) and the intermediate, x509ca/ the root.
#
#   fields   every certificate's subject, serial, notBefore/notAfter and
#            SHA-256 fingerprint in `uipsecctl --json list-certs` equal
#            what `openssl x509` prints of the same file; key, chain,
#            trust and the connections using it as configured
#   warning  the certificate that expires in 10 days is logged once as a
#            warning naming it, its file, its connection and its date; the
#            one valid for a year is not; a reload does not repeat it
#   reload   a CA put in x509ca/ is listed (trusted) after uipsecctl
#            reload, and gone after it is removed and reloaded again
#   x509aa   a file in x509aa/ (attribute certificates, not supported) is
#            not read; uipsecd warns once at start and once at the reload,
#            naming the folder and the file
#
# Prints "ok    ..." or "FAIL  ..." per check and a summary; exits 1 if a
# check failed, 77 without root or without pki.  KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-lc-l}
NS_R=${NS_R:-uipsec-lc-r}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../common/certs.sh"
certs_begin test_listcerts.sh
GW=$WORK/gw
: >"$WORK/$NS_R.log" # no daemon there; suite_end reads its log

pki_ca && pki_ee left ecdsa 256 left.uipsec.test --lifetime 365 &&
    pki_ee soon ecdsa 256 soon.uipsec.test --lifetime 10 ||
    certs_abort test_listcerts "PKI made with pki" "$(tail -5 "$PKI/pki.err")"
cert_files "$GW" left && cp "$PKI/soonCert.pem" "$GW/x509/" && cp "$PKI/soonKey.pem" "$GW/private/"
# an attribute certificate's place: not read, one warning per load
mkdir -p "$GW/x509aa" && echo "not read" >"$GW/x509aa/staff.pem"

# conn NAME REMOTE: a connection with certificate NAMECert.pem that trusts
# any CA of x509ca/ (remote auth = pubkey without cacerts).
conn() {
    cat <<EOC
    $1 {
        local_addrs = 192.0.2.1
        remote_addrs = $2
        local { auth = pubkey
            certs = $1Cert.pem }
        remote { auth = pubkey
            id = "C=CH, O=uipsec test, CN=*" }
        children { $1 { local_ts = 10.10.1.0/24
            remote_ts = 10.10.$3.0/24 } }
    }
EOC
}
{
    echo "connections {"
    conn left 192.0.2.2 2
    conn soon 192.0.2.3 3
    echo "}"
} >"$GW/uipsecd.conf"
chmod 600 "$GW/uipsecd.conf"

start_daemon "$NS_L" "$GW/uipsecd.conf" in-place ||
    certs_abort test_listcerts "uipsecd starts with the certificates"
pass "uipsecd starts with the certificates"

# ---- x509aa/ ---------------------------------------------------------------------
aa_line="$GW/x509aa/: 1 file not used (staff.pem): attribute certificates (strongSwan's groups = \
membership) are not supported and are ignored"
count_aa() { grep -cF -- "$aa_line" "$WORK/$NS_L.log"; }
if [ "$(count_aa)" = 1 ]; then
    pass "x509aa/: one warning at start naming the folder and the file"
else
    fail "x509aa/: one warning at start naming the folder and the file" "wanted: $aa_line" \
        "$(grep -i x509aa "$WORK/$NS_L.log")"
fi

# ---- fields against openssl ---------------------------------------------------
# check_fields JSON FILE...: each FILE's entry in list-certs JSON against
# `openssl x509` of FILE; prints the differences, nothing if none.
NAMEOPT=sep_comma_plus_space,sname,esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_der
check_fields() {
    local json=$1 f
    shift
    for f in "$@"; do
        echo "== $f"
        openssl x509 -in "$f" -noout -subject -nameopt "$NAMEOPT" -serial -startdate -enddate \
            -dateopt iso_8601 -fingerprint -sha256
    done | /usr/bin/python3 -c '
import json, re, sys
certs = {c["file"]: c for c in json.load(open(sys.argv[1]))["certs"]}
def colons(h):  # openssl: upper case, the serial without colons
    h = h.lower().replace(":", "")
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))
f = None
for line in sys.stdin.read().splitlines():
    if line.startswith("== "):
        f = line[3:]
        if f not in certs:
            print(f, "not listed")
        continue
    if f not in certs:
        continue
    key, val = line.split("=", 1)
    c = certs[f]
    want, got = {
        "subject": (val, c["subject"]),
        "serial": (colons(val), c["serial"]),
        "notBefore": (val.replace(" ", "T"), c["not_before"]),
        "notAfter": (val.replace(" ", "T"), c["not_after"]),
        "sha256 Fingerprint": (colons(val), c["sha256"]),
    }[key]
    if want != got:
        print("%s %s: openssl %r, list-certs %r" % (f, key, want, got))
' "$json"
}

ctl "$NS_L" --json list-certs >"$WORK/list.json" 2>"$WORK/list.err"
files=("$GW"/x509/*.pem "$GW"/x509ca/*.pem)
diffs=$(check_fields "$WORK/list.json" "${files[@]}")
n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["certs"]))' \
    "$WORK/list.json" 2>/dev/null)
if [ -z "$diffs" ] && [ "$n" = ${#files[@]} ]; then
    pass "list-certs: ${#files[@]} certificates, subject, serial, dates, SHA-256 as openssl prints"
else
    fail "list-certs: ${#files[@]} certificates, subject, serial, dates, SHA-256 as openssl prints" \
        "listed: $n" "$diffs" "$(cat "$WORK/list.err")"
fi

# what NAME: one certificate's key, ca/trusted, days, chain length and uses.
what() {
    /usr/bin/python3 -c '
import json, sys
c = [c for c in json.load(open(sys.argv[1]))["certs"] if c["file"].endswith("/" + sys.argv[2])][0]
print(c["key"], "ca" if c["ca"] else "ee", "trusted" if c["trusted"] else "-",
      "expired" if c["expired"] else "valid", len(c["chain"]), c.get("chain_error", "-"),
      " ".join(u["connection"] + "/" + u["as"] for u in c["used_by"]) or "unused")
' "$WORK/list.json" "$1" 2>&1
}
expect() { # expect FILE TEXT
    local got
    got=$(what "$1")
    if [ "$got" = "$2" ]; then pass "list-certs $1: $2"; else fail "list-certs $1: $2" "got: $got"; fi
}
expect leftCert.pem "ECDSA P-256 ee - valid 3 - left/local"
expect soonCert.pem "ECDSA P-256 ee - valid 3 - soon/local"
expect interCert.pem "RSA 2048 ca - valid 2 - unused"
expect rootCert.pem "ECDSA P-384 ca trusted valid 1 - left/ca soon/ca"

days=$(/usr/bin/python3 -c '
import json, sys
print([c for c in json.load(open(sys.argv[1]))["certs"] if "soon" in c["file"]][0]["expires_in_days"])
' "$WORK/list.json")
text=$(ctl "$NS_L" list-certs 2>&1)
# pki --lifetime 10: 10 days within the second it was made, 9 after
if [[ "$days" =~ ^(9|10)$ ]] && grep -qE "expires in (9|10) days" <<<"$text"; then
    pass "soonCert: expires in $days days (JSON and text)"
else
    fail "soonCert: expires in 9 or 10 days (JSON and text)" "JSON: $days" "$text"
fi

# ---- the warning ------------------------------------------------------------------
end=$(openssl x509 -in "$GW/x509/soonCert.pem" -noout -enddate -dateopt iso_8601 |
    sed 's/^notAfter=//; s/ /T/')
line="certificate \"C=CH, O=uipsec test, CN=soon.uipsec.test\" ($GW/x509/soonCert.pem) used by \
connection soon expires on $end (in "
count_warn() { grep -F -- "$line" "$WORK/$NS_L.log" | grep -cE '\(in (9|10) days\); renew it$'; }
if [ "$(count_warn)" = 1 ] && ! grep -q "CN=left.uipsec.test.*renew it" "$WORK/$NS_L.log"; then
    pass "warned once of soonCert at start, not of leftCert (a year)"
else
    fail "warned once of soonCert at start, not of leftCert (a year)" "wanted: $line" \
        "$(grep -i "certificate" "$WORK/$NS_L.log")"
fi

# ---- reload -------------------------------------------------------------------------
listed_other() {
    ctl "$NS_L" --json list-certs | /usr/bin/python3 -c '
import json, sys
print(" ".join("trusted" if c["trusted"] else "untrusted"
               for c in json.load(sys.stdin)["certs"] if c["subject"].endswith("CN=Other Root CA")) or "no")'
}
cp "$PKI/otherCert.pem" "$GW/x509ca/"
out=$(ctl "$NS_L" reload 2>&1)
if [ "$(listed_other)" = trusted ]; then
    pass "reload: a CA put in x509ca/ is listed, trusted"
else
    fail "reload: a CA put in x509ca/ is listed, trusted" "$out" "listed: $(listed_other)" \
        "$(tail -5 "$WORK/$NS_L.log")"
fi
if [ "$(count_aa)" = 2 ]; then
    pass "reload: x509aa/ warned of again, once"
else
    fail "reload: x509aa/ warned of again, once" "$(grep -i x509aa "$WORK/$NS_L.log")"
fi
if [ "$(count_warn)" = 1 ]; then
    pass "reload: the warning of soonCert not repeated the same day"
else
    fail "reload: the warning of soonCert not repeated the same day" \
        "$(grep -F "renew it" "$WORK/$NS_L.log")"
fi
rm "$GW/x509ca/otherCert.pem"
out=$(ctl "$NS_L" reload 2>&1)
if [ "$(listed_other)" = no ]; then
    pass "reload: a CA removed from x509ca/ is no longer listed"
else
    fail "reload: a CA removed from x509ca/ is no longer listed" "$out" "listed: $(listed_other)"
fi

suite_end test_listcerts
