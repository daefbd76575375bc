#!/bin/bash
# SPDX-License-Identifier: MIT
# VICI: Debian's own swanctl drives uipsecd, and what it prints for uipsecd
# is compared, field by field, with what it prints for strongSwan's charon
# at the other end of the same IKE SA (the harness in
# ../shared/interop/strongswan: charon in one network namespace, uipsecd in
# the other).
#
#   version, stats        the keys of charon's replies, swanctl's summary
#   list-conns            uipsecd's connection against charon's listing of
#                         the same connection text
#   initiate --child      control-log lines, success, within its timeout;
#                         a peer that never answers: timed out with its reason
#   list-sas              both ends of the IKE SA and its CHILD_SA: the same
#                         keys, the same SPIs, algorithms, selectors mirrored
#   terminate --ike       success, nothing left on either side; --ike-id
#                         ends that IKE SA
#   load-conn, load-all   connections, certificates, keys, secrets and
#                         authorities of a swanctl.conf loaded into a
#                         uipsecd whose own file holds no connection; its
#                         tunnels come up with charon (PSK and certificates);
#                         reload-settings keeps them, load-conns unloads
#                         what the file no longer holds; bad data refused;
#                         rekeys raise ike-rekey and child-rekey events
#   list-pools            refused, naming the missing feature
#   the socket            root's alone (0600); with vici_group 0660 and the
#                         group
#   hostile clients       vici_raw.py: unknown commands and events,
#                         malformed, oversized, slow and surplus clients
#
# Needs root and the harness (exit 77, skipped, without them).  BUILD (the
# build folder), KEEP=1 keeps the work folder.
set -uo pipefail

export LEFT_NS=${LEFT_NS:-uipsec-vici-l} RIGHT_NS=${RIGHT_NS:-uipsec-vici-r}
. "$(dirname "$0")/lib.sh" # TOP, BUILD, UIPSECD, L, R, pair, swan, nsx, pass, fail
interop_need test_vici.sh
HERE=$TOP/tests/interop
PY=/usr/bin/python3
for f in /usr/lib/ipsec/charon /usr/sbin/swanctl "$PY"; do
    [ -x "$f" ] || { echo "$f missing: run scripts/deps.sh" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/uipsec-vici.XXXXXX)
export SWAN_STATE=$WORK/swan
PSK=interop-harness-psk-not-secret
VSOCK=$WORK/uipsecd.vici
# u ARGS: swanctl against uipsecd; c ARGS: against charon
u() { timeout 60 ip netns exec "$L" swanctl "$@" --uri "unix://$VSOCK"; }
c() { swan swanctl "$R" "$@"; }

tally() { # runs a checker printing ok / not ok lines
    local out line rc
    out=$("$@" 2>&1)
    rc=$?
    while IFS= read -r line; do
        echo "$line"
        case $line in
        "ok - "*) passed=$((passed + 1)) ;;
        "not ok - "*) failed=$((failed + 1)) ;;
        esac
    done <<<"$out"
    [ $rc = 0 ] || grep -q "^not ok" <<<"$out" || fail "checker exited $rc: ${*:1:3}"
}
has() { # has NAME TEXT REGEX
    if grep -Eq -- "$3" <<<"$2"; then pass "$1"; else fail "$1" "no line matching: $3" "$2"; fi
}

UIPSECD_PID=
cleanup() {
    if [ -n "$UIPSECD_PID" ]; then
        kill "$UIPSECD_PID" 2>/dev/null
        wait "$UIPSECD_PID" 2>/dev/null
    fi
    swan stop "$R" >/dev/null 2>&1
    pair down >/dev/null 2>&1
    if [ "$failed" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"
    else echo "# logs and configurations kept in $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- configurations ---------------------------------------------------------

# conn NAME LOCAL REMOTE LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS [CHILD [MORE]]
# (MORE: lines added to the child)
conn() {
    cat <<EOF
    $1 {
        version = 2
        local_addrs = $2
        remote_addrs = $3
        proposals = aes256gcm16-prfsha256-x25519
        encap = yes
        local {
            auth = psk
            id = $4
        }
        remote {
            auth = psk
            id = $5
        }
        children {
            ${8:-net} {
                local_ts = $6
                remote_ts = $7
                esp_proposals = aes256gcm16${9:+
                $9}
            }
        }
    }
EOF
}
SECRETS="secrets {
    ike-harness {
        id-left = left.ipsec.test
        id-right = right.ipsec.test
        secret = \"$PSK\"
    }
}"
GW_L=$(conn gw 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test 10.10.1.0/24 10.10.2.0/24)

# certgw ADDR PEER NAME PEER_CN TS REMOTE_TS: a connection with certificates
certgw() {
    cat <<EOF
    certgw {
        local_addrs = $1
        remote_addrs = $2
        proposals = aes256gcm16-prfsha256-x25519
        encap = yes
        local {
            auth = pubkey
            certs = $3Cert.pem
        }
        remote {
            auth = pubkey
            id = "C=CH, O=uipsec test, CN=$4"
        }
        children {
            certnet {
                local_ts = $5
                remote_ts = $6
                esp_proposals = aes256gcm16
            }
        }
    }
EOF
}
# a PKI (tests/common/pki.sh) for the connections loaded over VICI
PKI=$WORK/pki
. "$TOP/tests/common/pki.sh"
if ! command -v pki >/dev/null; then
    echo "SKIP test_vici.sh: no pki (make deps)" >&2
    exit 77
fi
pki_ca && pki_ee lv ecdsa 256 left.vici.test && pki_ee rv rsa 2048 right.vici.test ||
    { echo "pki failed: $(cat "$PKI/pki.err")" >&2; exit 1; }

SC=$WORK/swanconf
mkdir -p "$SC/right/x509" "$SC/right/x509ca" "$SC/right/private"
cp "$HARNESS/conf/charon.conf" "$SC/"
cp "$HARNESS/conf/right/strongswan.conf" "$SC/right/"
cp "$PKI/rootCert.pem" "$SC/right/x509ca/"
cp "$PKI/rvCert.pem" "$PKI/interCert.pem" "$SC/right/x509/"
cp "$PKI/rvKey.pem" "$SC/right/private/"
# charon answers gw and certgw, and holds uipsecd's own gw as "copy" for
# list-conns
{
    echo "connections {"
    conn gw 192.0.2.2 192.0.2.1 right.ipsec.test left.ipsec.test 10.10.2.0/24 10.10.1.0/24
    certgw 192.0.2.2 192.0.2.1 rv left.vici.test 10.10.2.0/24 10.10.1.0/24
    sed 's/^    gw {/    copy {/' <<<"$GW_L"
    echo "}"
    echo "$SECRETS"
} >"$SC/right/swanctl.conf"

# a CA beside uipsecd's configuration, and an authorities section for it
mkdir -p "$WORK/x509ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/C=CH/O=uipsec test/CN=VICI Test CA" -keyout "$WORK/ca.key" \
    -out "$WORK/x509ca/ca.pem" >/dev/null 2>&1 || { echo "openssl req failed" >&2; exit 1; }
AUTHORITIES="authorities {
    testca {
        cacert = ca.pem
        crl_uris = http://ca.uipsec.test/ca.crl
    }
}"

# uipsecd_conf [GROUP]: uipsecd's, with VICI on $VSOCK (SETTINGS_ONLY=1:
# its own section alone, every connection to come over VICI)
uipsecd_conf() {
    echo "uipsec {"
    echo "    socket = $WORK/uipsecd.sock"
    echo "    vici_socket = $VSOCK"
    [ -z "${1:-}" ] || echo "    vici_group = $1"
    echo "}"
    [ -z "${SETTINGS_ONLY:-}" ] || return 0
    echo "connections {"
    echo "$GW_L"
    conn nowhere 192.0.2.1 192.0.2.99 left.ipsec.test right.ipsec.test 10.10.1.0/24 \
        10.10.99.0/24 nowhere-net
    conn trapped 192.0.2.1 192.0.2.98 left.ipsec.test right.ipsec.test 10.10.1.0/25 \
        10.10.98.0/24 trapped-net "start_action = trap"
    echo "}"
    echo "$SECRETS"
    echo "$AUTHORITIES"
}

start_uipsecd() {
    uipsecd_conf "${1:-}" >"$WORK/uipsecd.conf"
    chmod 600 "$WORK/uipsecd.conf"
    ip netns exec "$L" "$UIPSECD" --config "$WORK/uipsecd.conf" --foreground \
        >>"$WORK/uipsecd.log" 2>&1 &
    UIPSECD_PID=$!
    for _ in $(seq 100); do
        [ -S "$VSOCK" ] && return 0
        kill -0 "$UIPSECD_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "uipsecd did not start:" >&2
    cat "$WORK/uipsecd.log" >&2
    exit 1
}
stop_uipsecd() {
    kill "$UIPSECD_PID" 2>/dev/null
    wait "$UIPSECD_PID" 2>/dev/null
    UIPSECD_PID=
}

pair down >/dev/null 2>&1
pair up >/dev/null || { echo "netns-pair.sh up failed" >&2; exit 1; }
swan start "$R" "$SC/right" >/dev/null || { echo "charon did not start" >&2; exit 1; }
start_uipsecd

# ---- the socket ---------------------------------------------------------------

mode=$(stat -c '%a %U' "$VSOCK")
if [ "$mode" = "600 root" ]; then pass "the VICI socket is root's alone (0600)"
else fail "the VICI socket is root's alone (0600)" "$mode"; fi

# ---- version, stats, algorithms ----------------------------------------------------

out=$(u --version --daemon 2>&1)
has "swanctl --version --daemon: uipsecd's name and version, the system's" "$out" \
    "^strongSwan [0-9.]+ uipsecd \(Linux, [^,]+, [^,]+\)$"
u --version --daemon --pretty >"$WORK/u.version" 2>&1
c --version --daemon --pretty >"$WORK/c.version" 2>&1
tally "$PY" "$HERE/vici_check.py" keys "$WORK/u.version" "$WORK/c.version" version
u --stats --pretty >"$WORK/u.stats" 2>&1
c --stats --pretty >"$WORK/c.stats" 2>&1
tally "$PY" "$HERE/vici_check.py" keys "$WORK/u.stats" "$WORK/c.stats" stats
out=$(u --stats 2>&1)
has "swanctl --stats: uptime" "$out" "^uptime: [0-9]+ seconds?, since [A-Z][a-z]{2} [0-9]{2} "
has "swanctl --stats: no IKE SA yet" "$out" "^IKE_SAs: 0 total, 0 half-open$"
out=$(u --list-algs 2>&1)
has "swanctl --list-algs: AES_GCM_16 and CURVE_25519" "$out" "AES_GCM_16"
has "swanctl --list-algs: the key exchange methods" "$out" "CURVE_25519"

# ---- connections ------------------------------------------------------------------

u --list-conns --pretty >"$WORK/u.conns" 2>&1
c --list-conns --pretty >"$WORK/c.conns" 2>&1
tally "$PY" "$HERE/vici_check.py" conns "$WORK/u.conns" "$WORK/c.conns" gw copy
out=$(u --list-conns 2>&1)
has "swanctl --list-conns: gw, its peer and its child" "$out" "^gw: IKEv2"
has "swanctl --list-conns: nowhere too" "$out" "^nowhere: IKEv2"

# ---- initiate, list-sas -------------------------------------------------------------

# swanctl --monitor-sa sees what follows
ip netns exec "$L" swanctl --monitor-sa --pretty --uri "unix://$VSOCK" >"$WORK/monitor" 2>&1 &
MONITOR=$!
ip netns exec "$L" swanctl --log --uri "unix://$VSOCK" >"$WORK/log" 2>&1 &
LOGGER=$!
sleep 0.5
out=$(u --initiate --child net --timeout 20 2>&1)
rc=$?
has "swanctl --initiate --child net: control-log lines" "$out" "^\[IKE\] gw\[[0-9]+\]: .*established"
has "swanctl --initiate --child net: completed" "$out" "^initiate completed successfully$"
[ $rc = 0 ] && pass "swanctl --initiate: exit status 0" || fail "swanctl --initiate: exit status 0" "$rc"
nsx "$L" ping -c 3 -i 0.1 -W 2 -I 10.10.1.1 10.10.2.1 >/dev/null 2>&1 || true
u --list-sas --pretty >"$WORK/u.sas" 2>&1
c --list-sas --ike gw --pretty >"$WORK/c.sas" 2>&1
tally "$PY" "$HERE/vici_check.py" sas "$WORK/u.sas" "$WORK/c.sas"
out=$(u --list-sas 2>&1)
has "swanctl --list-sas: the IKE SA" "$out" "^gw: #[0-9]+, ESTABLISHED, IKEv2, [0-9a-f]{16}_i\* [0-9a-f]{16}_r$"
has "swanctl --list-sas: the CHILD_SA" "$out" "^  net: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256$"
has "swanctl --list-sas: traffic counted" "$out" "^    out [0-9a-f]{8}, +[1-9][0-9]* bytes, +[1-9][0-9]* packets"
out=$(u --list-sas --ike nowhere 2>&1)
[ -z "$out" ] && pass "swanctl --list-sas --ike nowhere: nothing" ||
    fail "swanctl --list-sas --ike nowhere: nothing" "$out"
out=$(u --stats 2>&1)
has "swanctl --stats: one IKE SA" "$out" "^IKE_SAs: 1 total, 0 half-open$"

# a peer that never answers: the timeout ends the wait, with the reason
t0=$SECONDS
out=$(u --initiate --child nowhere-net --timeout 2 2>&1)
rc=$?
has "initiate towards nobody: control-log lines" "$out" "^\[IKE\] nowhere\[[0-9]+\]: initiating"
has "initiate towards nobody: timed out" "$out" "^initiate failed: initiate timed out"
t=$((SECONDS - t0))
[ $rc != 0 ] && [ $t -le 5 ] && pass "initiate towards nobody: exit status 1 after its 2 s" ||
    fail "initiate towards nobody: exit status 1 after its 2 s" "rc $rc after $t s"
out=$(u --initiate --child net --ike nowhere 2>&1)
has "initiate of a child in another connection: refused" "$out" \
    "initiate failed: CHILD_SA config 'net' not found in connection 'nowhere'"
out=$(u --initiate --child no-such-child 2>&1)
has "initiate of an unknown child: refused, naming it" "$out" \
    "initiate failed: CHILD_SA config 'no-such-child' not found"

# ---- terminate -----------------------------------------------------------------------

out=$(u --terminate --ike gw 2>&1)
rc=$?
has "swanctl --terminate --ike gw: completed" "$out" "^terminate completed successfully$"
[ $rc = 0 ] && pass "swanctl --terminate: exit status 0" || fail "swanctl --terminate: exit status 0" "$rc"
sleep 1.2 # a tick or two
kill -INT $MONITOR $LOGGER
wait $MONITOR $LOGGER
has "swanctl --log: the IKE SA's lines" "$(cat "$WORK/log")" \
    "^[0-9]{2}\[IKE\] gw\[[0-9]+\]: IKE SA established"
mon=$(cat "$WORK/monitor")
n=$(grep -c "^ike-updown event {" <<<"$mon")
[ "$n" = 2 ] && pass "swanctl --monitor-sa: two ike-updown events (up, down)" ||
    fail "swanctl --monitor-sa: two ike-updown events (up, down)" "$n" "$mon"
n=$(grep -c "^child-updown event {" <<<"$mon")
[ "$n" = 2 ] && pass "swanctl --monitor-sa: two child-updown events (up, down)" ||
    fail "swanctl --monitor-sa: two child-updown events (up, down)" "$n" "$mon"
n=$(grep -c "^  up = yes$" <<<"$mon")
[ "$n" = 2 ] && pass "swanctl --monitor-sa: up = yes in the two up events" ||
    fail "swanctl --monitor-sa: up = yes in the two up events" "$n" "$mon"
has "swanctl --monitor-sa: the CHILD_SA in its events" "$mon" "^      net-[0-9]+ \{$"
out=$(u --terminate --ike nowhere 2>&1)
has "swanctl --terminate --ike nowhere (still connecting): completed" "$out" \
    "^terminate completed successfully$"
out=$(u --list-sas 2>&1)
[ -z "$out" ] && pass "after terminate: no SA at uipsecd" || fail "after terminate: no SA at uipsecd" "$out"
sleep 0.5
out=$(c --list-sas 2>&1)
[ -z "$out" ] && pass "after terminate: no SA at charon" || fail "after terminate: no SA at charon" "$out"
out=$(u --terminate --ike gw 2>&1)
has "terminate of what is not up: refused" "$out" "terminate failed: no IKE SA named \"gw\" is up"

# terminate --ike-id: that IKE SA alone, by the unique id list-sas shows
u --initiate --child net --timeout 20 >/dev/null 2>&1
id=$(u --list-sas --raw 2>/dev/null | grep -o 'uniqueid=[0-9]*' | head -n 1 | cut -d= -f2)
out=$(u --terminate --ike-id "${id:-0}" 2>&1)
has "swanctl --terminate --ike-id ${id:-?}: completed" "$out" "^terminate completed successfully$"
out=$(u --list-sas 2>&1)
[ -z "$out" ] && pass "after terminate --ike-id: no SA at uipsecd" ||
    fail "after terminate --ike-id: no SA at uipsecd" "$out"
out=$(u --terminate --ike-id 99999 2>&1)
has "terminate --ike-id of no IKE SA: refused" "$out" "terminate failed: no IKE SA #99999 is up"

# ---- load-conn --------------------------------------------------------------------------

# swanctl --load-conns reads the connections of a swanctl.conf, as uipsecd
# does: a changed one replaces the file's, a key uipsecd lacks is refused
out=$(u --load-conns --file "$WORK/uipsecd.conf" 2>&1)
has "swanctl --load-conns of uipsecd's own file: all loaded" "$out" \
    "^successfully loaded 3 connections, 0 unloaded$"
sed 's#10.10.99.0/24#10.10.97.0/24#' "$WORK/uipsecd.conf" >"$WORK/changed.conf"
out=$(u --load-conns --file "$WORK/changed.conf" 2>&1)
has "swanctl --load-conns of a changed connection: loaded" "$out" \
    "^successfully loaded 3 connections, 0 unloaded$"
out=$(u --list-conns 2>&1)
has "the changed connection replaced the file's" "$out" "^    remote: 10.10.97.0/24$"
sed 's/^\(        encap = yes\)$/\1\n        vips = 0.0.0.0/' "$WORK/uipsecd.conf" >"$WORK/vips.conf"
out=$(u --load-conns --file "$WORK/vips.conf" 2>&1)
has "swanctl --load-conns with a key uipsecd lacks: refused, naming it" "$out" \
    "loading connection 'gw' failed: load-conn:[0-9]+:1: .*vips"
# swanctl --load-all, as a strongSwan user's scripts run it
mkdir -p "$WORK/swanctl"
out=$(SWANCTL_DIR=$WORK/swanctl u --load-all --noprompt --file "$WORK/uipsecd.conf" 2>&1 |
    grep -v "^opening directory")
has "swanctl --load-all: the connections" "$out" "^successfully loaded 3 connections, 0 unloaded$"
has "swanctl --load-all: the CA certificate (x509ca/)" "$out" \
    "^loaded certificate from '.*/x509ca/ca.pem'$"
has "swanctl --load-all: the authority" "$out" "^loaded authority 'testca'$"
has "swanctl --load-all: the secret" "$out" "^loaded ike secret 'ike-harness'$"
bad=$(grep -iE "fail|error" <<<"$out" | grep -v "pools")
[ -z "$bad" ] && pass "swanctl --load-all: nothing failed" || fail "swanctl --load-all: nothing failed" "$bad"
out=$(u --list-conns 2>&1)
has "after them, the connections are as the file has them" "$out" "^    remote: 10.10.99.0/24$"

# ---- counters -------------------------------------------------------------------------

out=$(u --counters --reset 2>&1)
has "swanctl --counters --reset: completed" "$out" "^reset-counters completed successfully$"
# two datagrams to port 500 that are no IKE messages
nsx "$R" "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(2): s.sendto(b"not an IKE message", ("192.0.2.1", 500))'
sleep 0.3
out=$(u --counters 2>&1)
has "swanctl --counters: global" "$out" "^global:$"
has "swanctl --counters: the two as charon's invalid" "$out" "^  invalid +: 2$"
has "swanctl --counters: the two under uipsecd's name" "$out" "^  ike-malformed +: 2$"
u --counters --reset >/dev/null 2>&1
out=$(u --counters 2>&1)
has "swanctl --counters after --reset: 0" "$out" "^  ike-malformed +: 0$"
out=$(u --counters --name gw 2>&1)
has "swanctl --counters --name: refused, saying why" "$out" "not per connection"

# ---- policies ---------------------------------------------------------------------------

out=$(u --list-pols 2>&1)
has "swanctl --list-pols: the trap, named as charon names it" "$out" \
    "^trapped/trapped-net(, reqid [0-9]+)?, TUNNEL$"
has "swanctl --list-pols: its selectors" "$out" "^  local:  10.10.1.0/25$"
has "swanctl --list-pols: its remote selector" "$out" "^  remote: 10.10.98.0/24$"
out=$(u --list-pols --child gw 2>&1)
[ -z "$out" ] && pass "swanctl --list-pols --child gw: nothing (no trap)" ||
    fail "swanctl --list-pols --child gw: nothing (no trap)" "$out"

# ---- refused ---------------------------------------------------------------------------

out=$(u --list-pools --raw 2>&1)
has "swanctl --list-pools: refused, naming the missing feature" "$out" \
    "success=no errmsg=get-pools: uipsecd has no virtual IP pools"

out=$(u --rekey --ike gw 2>&1)
has "swanctl --rekey: refused, saying why" "$out" "^rekey failed: uipsecd rekeys on the schedule"
out=$(u --install --child net 2>&1)
has "swanctl --install: refused, saying why" "$out" "^install failed: uipsecd installs a trap"
out=$(u --list-authorities 2>&1)
rc=$?
[ $rc = 0 ] && pass "swanctl --list-authorities: exit status 0" ||
    fail "swanctl --list-authorities: exit status 0" "rc $rc" "$out"
has "swanctl --list-authorities: the section" "$out" "^testca:$"
has "swanctl --list-authorities: its CA's subject" "$out" \
    "^  cacert: C=CH, O=uipsec test, CN=VICI Test CA$"
has "swanctl --list-authorities: its CRL URI" "$out" "^  crl_uris: +http://ca.uipsec.test/ca.crl$"
out=$(u --list-certs 2>&1)
has "swanctl --list-certs: the CA certificate" "$out" "CN=VICI Test CA"

# ---- hostile clients --------------------------------------------------------------------

tally nsx "$L" "$PY" "$HERE/vici_raw.py" "$VSOCK"
out=$(u --stats --pretty 2>&1)
has "stats: the hostile clients counted as malformed" "$out" "^    malformed = 4$"
has "stats: the oversized one counted" "$out" "^    too-large = 1$"
has "stats: the slow one counted" "$out" "^    too-slow = 1$"
has "stats: the surplus ones counted" "$out" "^    refused-busy = 8$"
has "stats: the unknown command counted" "$out" "^    unknown-command = 1$"
# a client parked in initiate that sent more: its bytes wait, and cost
# the daemon nothing meanwhile (they once woke the loop without end)
cpu() { # clock ticks of the processes in the uipsecd namespace
    local t=0 p
    for p in $(ip netns pids "$L"); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo $t
}
t0=$(cpu)
tally nsx "$L" "$PY" "$HERE/vici_raw.py" "$VSOCK" parked nowhere-net
t=$(($(cpu) - t0))
[ "$t" -lt 50 ] && pass "while it waited, uipsecd used $t ticks of CPU (under 50)" ||
    fail "while it waited, uipsecd used under 50 ticks of CPU" "$t ticks in about 2 s"
if kill -0 "$UIPSECD_PID" 2>/dev/null; then pass "uipsecd ran throughout"
else fail "uipsecd ran throughout" "$(tail -5 "$WORK/uipsecd.log")"; fi

# ---- a daemon configured over VICI alone --------------------------------------------

stop_uipsecd
SETTINGS_ONLY=1 start_uipsecd
LD=$WORK/loaded
mkdir -p "$LD/x509" "$LD/x509ca" "$LD/private"
cp "$PKI/rootCert.pem" "$LD/x509ca/"
cp "$PKI/lvCert.pem" "$PKI/interCert.pem" "$LD/x509/"
cp "$PKI/lvKey.pem" "$LD/private/"
{
    echo "connections {"
    echo "$GW_L"
    certgw 192.0.2.1 192.0.2.2 lv right.vici.test 10.10.1.0/24 10.10.2.0/24
    echo "}"
    echo "$SECRETS"
} >"$LD/swanctl.conf"
out=$(u --list-conns 2>&1)
[ -z "$out" ] && pass "uipsecd with no connection in its file: none listed" ||
    fail "uipsecd with no connection in its file: none listed" "$out"
out=$(SWANCTL_DIR=$LD u --load-all --noprompt 2>&1 | grep -v "^opening directory")
has "load-all: the connections" "$out" "^successfully loaded 2 connections, 0 unloaded$"
has "load-all: our certificate" "$out" "^loaded certificate from '$LD/x509/lvCert.pem'$"
has "load-all: the root" "$out" "^loaded certificate from '$LD/x509ca/rootCert.pem'$"
has "load-all: the private key" "$out" "^loaded [a-z]+ key from '$LD/private/lvKey.pem'$"
has "load-all: the secret" "$out" "^loaded ike secret 'ike-harness'$"
bad=$(grep -iE "fail|error" <<<"$out" | grep -v "pools")
[ -z "$bad" ] && pass "load-all: nothing failed" || fail "load-all: nothing failed" "$bad"
out=$(u --initiate --child net --timeout 20 2>&1)
has "loaded PSK connection: initiate completed" "$out" "^initiate completed successfully$"
if nsx "$L" ping -c 2 -i 0.2 -W 2 -I 10.10.1.1 10.10.2.1 >/dev/null 2>&1; then
    pass "loaded PSK connection: ping through the tunnel"
else fail "loaded PSK connection: ping through the tunnel"; fi
u --terminate --ike gw >/dev/null 2>&1 # the same selectors next
out=$(u --initiate --child certnet --timeout 20 2>&1)
has "loaded certificate connection: initiate completed" "$out" "^initiate completed successfully$"
out=$(c --list-sas --ike certgw 2>&1)
has "charon: the certificate IKE SA is up" "$out" "^certgw: #[0-9]+, ESTABLISHED"
has "charon: it authenticated uipsecd's certificate" "$out" "CN=left.vici.test"
if nsx "$L" ping -c 2 -i 0.2 -W 2 -I 10.10.1.1 10.10.2.1 >/dev/null 2>&1; then
    pass "loaded certificate connection: ping through the tunnel"
else fail "loaded certificate connection: ping through the tunnel"; fi
out=$(u --reload-settings 2>&1)
rc=$?
[ $rc = 0 ] && pass "reload-settings: exit status 0" || fail "reload-settings: exit status 0" "$out"
out=$(u --list-conns 2>&1)
has "after reload-settings the loaded connections stay" "$out" "^certgw: IKEv2"
out=$(u --list-sas 2>&1)
has "after reload-settings the IKE SAs stay" "$out" "^certgw: #[0-9]+, ESTABLISHED"
# swanctl unloads what the file no longer holds (get-conns, unload-conn)
sed '/^    certgw {/,/^    }$/d' "$LD/swanctl.conf" >"$LD/fewer.conf"
out=$(SWANCTL_DIR=$LD u --load-conns --file "$LD/fewer.conf" 2>&1)
has "load-conns of a file without certgw: it is unloaded" "$out" \
    "^successfully loaded 1 connections, 1 unloaded$"
out=$(u --list-conns 2>&1)
grep -q "^certgw:" <<<"$out" && fail "certgw is gone" "$out" || pass "certgw is gone"
# data that is not a certificate: refused, saying so
printf 'not a certificate\n' >"$LD/x509/junkCert.pem"
sed 's/certs = lvCert.pem/certs = junkCert.pem/' "$LD/swanctl.conf" >"$LD/junk.conf"
out=$(SWANCTL_DIR=$LD u --load-conns --file "$LD/junk.conf" 2>&1)
has "a connection with junk for a certificate: refused, saying why" "$out" \
    "loading connection 'certgw' failed: .*certs: not a certificate"
rm -f "$LD/x509/junkCert.pem"
out=$(u --list-conns 2>&1)
has "the refused connection left the others alone" "$out" "^gw: IKEv2"
# rekeys as VICI events (swanctl 5.9.8 registers none: vici_events.py):
# ike-rekey and child-rekey with the old and the new SA, keyed as charon
# keys its own events of the same rekeys, and no up or down event for them
sed -e 's/^\(        encap = yes\)$/\1\n        rekey_time = 4s\n        over_time = 6s/' \
    -e 's/^\(                esp_proposals = aes256gcm16\)$/\1\n                rekey_time = 3s/' \
    "$LD/fewer.conf" >"$LD/quick.conf"
SWANCTL_DIR=$LD u --load-conns --file "$LD/quick.conf" >/dev/null 2>&1
u --initiate --child net --timeout 20 >/dev/null 2>&1
EVS="ike-updown child-updown ike-rekey child-rekey"
ip netns exec "$L" "$PY" "$HERE/vici_events.py" "$VSOCK" 7 $EVS >"$WORK/u.rekeys" 2>&1 &
EV_U=$!
ip netns exec "$R" "$PY" "$HERE/vici_events.py" "$SWAN_STATE/$R/run/charon.vici" 7 $EVS \
    >"$WORK/c.rekeys" 2>&1 &
EV_C=$!
wait $EV_U $EV_C
mon=$(cat "$WORK/u.rekeys")
n=$(grep -c "^ike-rekey event {" <<<"$mon")
[ "$n" -ge 1 ] && pass "an ike-rekey event ($n)" || fail "an ike-rekey event" "$mon"
n=$(grep -c "^child-rekey event {" <<<"$mon")
[ "$n" -ge 1 ] && pass "a child-rekey event ($n)" || fail "a child-rekey event" "$mon"
has "ike-rekey holds the old IKE SA" "$mon" "^    old \{$"
has "and the new one" "$mon" "^    new \{$"
has "child-rekey holds the CHILD_SA's old and new" "$mon" "^        old \{$"
n=$(grep -c "updown event {" <<<"$mon")
[ "$n" = 0 ] && pass "no up or down events for rekeys" ||
    fail "no up or down events for rekeys" "$n" "$mon"
tally "$PY" "$HERE/vici_check.py" rekeys "$WORK/u.rekeys" "$WORK/c.rekeys"
if nsx "$L" ping -c 2 -i 0.2 -W 2 -I 10.10.1.1 10.10.2.1 >/dev/null 2>&1; then
    pass "after the rekeys: ping through the tunnel"
else fail "after the rekeys: ping through the tunnel"; fi

r=$(grep -c "added vici connection" "$WORK/uipsecd.log")
[ "$r" -ge 2 ] && pass "the log names the connections loaded" ||
    fail "the log names the connections loaded" "$r"

# ---- the group ---------------------------------------------------------------------------

stop_uipsecd
[ ! -e "$VSOCK" ] && pass "uipsecd removes the VICI socket when it stops" ||
    fail "uipsecd removes the VICI socket when it stops"
start_uipsecd nogroup
mode=$(stat -c '%a %G' "$VSOCK")
if [ "$mode" = "660 nogroup" ]; then pass "with vici_group: 0660 and the group"
else fail "with vici_group: 0660 and the group" "$mode"; fi
stop_uipsecd

r=$(grep -E "Sanitizer|runtime error" "$WORK/uipsecd.log" | head -3)
[ -z "$r" ] && pass "no sanitizer report" || fail "no sanitizer report" "$r"
echo "# $passed passed, $failed failed"
[ "$failed" = 0 ]
