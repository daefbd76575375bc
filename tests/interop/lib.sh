# SPDX-License-Identifier: MIT
# Shared by the strongSwan interop suites (test_strongswan.sh with PSKs,
# test_strongswan_certs.sh with certificates): where the binaries and the
# harness (../shared/interop/strongswan) are, the skip rules, and the TAP
# results.  Source it with LEFT_NS and RIGHT_NS set (or their defaults
# below), then call interop_need NAME.
#
#   interop_need NAME   exit 77 (ctest's skip) without root or without the
#                       harness; exit 1 if uipsecd or uipsecctl is missing;
#                       sets HARNESS
#   pair / swan         the harness's netns-pair.sh and swan.sh (run with
#                       bash: they may have lost their x bits)
#   nsx NS CMD...       CMD in the network namespace NS
#   pass NAME / fail NAME [DETAIL...]   "ok - " / "not ok - " lines, counted
#                       in passed and failed
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
UIPSECD=${UIPSECD:-$BUILD/src/daemon/uipsecd}
UIPSECCTL=${UIPSECCTL:-$BUILD/src/ctl/uipsecctl}
export LEFT_NS=${LEFT_NS:-uipsec-swan-l} RIGHT_NS=${RIGHT_NS:-uipsec-swan-r}
L=$LEFT_NS R=$RIGHT_NS

interop_need() {
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP $1: needs root (network namespaces, veth, TUN)" >&2
        exit 77
    fi
    HARNESS=
    local d
    for d in ${UIPSEC_SHARED:+"$UIPSEC_SHARED/interop/strongswan" "$UIPSEC_SHARED"} \
        "$TOP/../shared/interop/strongswan"; do
        if [ -f "$d/swan.sh" ] && [ -f "$d/netns-pair.sh" ]; then HARNESS=$(cd "$d" && pwd); break; fi
    done
    if [ -z "$HARNESS" ]; then
        echo "SKIP $1: no strongSwan harness (\$UIPSEC_SHARED/interop/strongswan or $TOP/../shared/interop/strongswan)" >&2
        exit 77
    fi
    for d in "$UIPSECD" "$UIPSECCTL"; do
        [ -x "$d" ] || { echo "build first: $d missing" >&2; exit 1; }
    done
}

pair() { bash "$HARNESS/netns-pair.sh" "$@"; }
swan() { bash "$HARNESS/swan.sh" "$@"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() {
    failed=$((failed + 1))
    echo "not ok - $1"
    shift
    local line
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
