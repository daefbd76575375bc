#!/bin/bash
# SPDX-License-Identifier: MIT
# Interop with strongSwan 5.9 (Debian's charon with kernel-libipsec), run by
# the harness in ../shared/interop/strongswan: strongSwan in one network
# namespace, uipsecd in the other, IKEv2 with PSK, ESP in UDP (the harness's
# strongSwan always acts as if behind NAT).  docs/INTEROP.md lists every
# check.
#
# Part 1, uipsecd initiates (left), strongSwan responds (right):
#   gcm256  aes256gcm16-prfsha256-x25519 / ESP aes256gcm16, then a second
#           CHILD_SA with PFS (aes256gcm16-x25519) created by uipsecd,
#           deleted by strongSwan, created again by strongSwan (the IKE
#           SA's responder); the IKE SA deleted by uipsecd
#   cbc     aes128-sha256-modp2048 / ESP aes128-sha256, deleted by strongSwan
#   chacha  chacha20poly1305-prfsha256-ecp256 / ESP chacha20poly1305,
#           deleted by uipsecd
#   ipv6    IPv6 outer and inner, ESP in UDP over IPv6 with its checksum
#   a wrong PSK, an IKE proposal mismatch and a traffic selector mismatch
# Part 2, strongSwan initiates (left), uipsecd responds (right): the same
#   three suites; the second CHILD_SA created by strongSwan, deleted by
#   uipsecd, created again by uipsecd over the IKE SA it responded to.
#
# Each working case: IKE SA and CHILD_SAs listed on both sides with the same
# SPIs, pings both ways, a capture on the veth decrypted by tshark with the
# keys uipsecd wrote (wireshark_keys), terminate, nothing left on either side.
#
# Needs root (exit 77 without it) and the harness folder (exit 77 if it is
# missing; $UIPSEC_SHARED/interop/strongswan or ../shared/interop/strongswan
# next to the source tree).  Environment: BUILD (the build folder),
# UIPSECD/UIPSECCTL (other binaries), KEEP=1 keeps the work folder,
# ONLY=WORD runs only the cases whose name contains WORD (gcm256, cbc,
# chacha, badpsk, noprop, badts, ipv6; part1, part2).
set -uo pipefail

. "$(dirname "$0")/lib.sh"
HERE=$TOP/tests/interop
PY=/usr/bin/python3 # Debian's
CHECK=$HERE/interop_check.py
interop_need test_strongswan.sh
for f in /usr/lib/ipsec/charon /usr/sbin/swanctl /usr/bin/tshark /usr/bin/dumpcap "$PY"; do
    [ -x "$f" ] || { echo "$f missing: run scripts/deps.sh" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/uipsec-interop.XXXXXX)
export SWAN_STATE=$WORK/swan
PSK=interop-harness-psk-not-secret # the harness's

# ---- Results ---------------------------------------------------------------

check() { # check NAME COMMAND...: passes if COMMAND succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "failed: $*"; fi
}
# tally COMMAND...: runs a checker that prints "ok - " / "not ok - " lines.
tally() {
    local out rc line bad=0
    out=$("$@" 2>&1)
    rc=$?
    while IFS= read -r line; do
        echo "$line"
        case $line in
        "ok - "*) passed=$((passed + 1)) ;;
        "not ok - "*) failed=$((failed + 1)) bad=1 ;;
        esac
    done <<<"$out"
    if [ $rc != 0 ] && [ $bad = 0 ]; then fail "checker exited $rc: ${*:1:3}"; fi
    return $rc
}
selected() { [[ $1 == *"${ONLY:-}"* ]]; }

# ---- Processes -------------------------------------------------------------

CAPTURE_PID= UIPSECD_NS=
cleanup() {
    capture_stop
    stop_uipsecd
    swan stop "$L" >/dev/null 2>&1
    swan stop "$R" >/dev/null 2>&1
    pair down >/dev/null 2>&1
    if [ "$failed" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$WORK"
    else
        echo "# logs, configurations and captures kept in $WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

UIPSECD_PID=
# start_uipsecd NS CONF: uipsecd in NS; log $WORK/uipsecd-NS.log, socket
# $WORK/NS.sock, keys in $WORK/keys-NS.
start_uipsecd() {
    local ns=$1
    UIPSECD_NS=$ns
    UIPSECD_LOG=$WORK/uipsecd-$ns.log
    SOCK=$WORK/$ns.sock
    KEYS=$WORK/keys-$ns
    rm -f "$SOCK"
    mkdir -p -m 700 "$KEYS"
    # not through nsx: $! must be uipsecd itself, not a subshell
    ip netns exec "$ns" "$UIPSECD" --config "$2" --foreground >"$UIPSECD_LOG" 2>&1 &
    UIPSECD_PID=$!
    for _ in $(seq 100); do
        [ -S "$SOCK" ] && return 0
        kill -0 "$UIPSECD_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "uipsecd did not start in $ns:" >&2
    cat "$UIPSECD_LOG" >&2
    return 1
}
# uipsecd_alive NAME: uipsecd has run throughout, without a sanitizer report
uipsecd_alive() {
    local r
    r=$(grep -m3 -E "Sanitizer|runtime error" "$UIPSECD_LOG")
    if kill -0 "$UIPSECD_PID" 2>/dev/null && [ -z "$r" ]; then
        pass "$1: uipsecd ran throughout, no sanitizer report"
    else
        fail "$1: uipsecd ran throughout, no sanitizer report" "${r:-it has exited}" \
            "$(tail -5 "$UIPSECD_LOG")"
    fi
}
stop_uipsecd() {
    [ -n "$UIPSECD_PID" ] || return 0
    kill "$UIPSECD_PID" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$UIPSECD_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -9 "$UIPSECD_PID" 2>/dev/null
    wait "$UIPSECD_PID" 2>/dev/null
    UIPSECD_PID=
}

ctl() { nsx "$UIPSECD_NS" "$UIPSECCTL" --socket "$SOCK" "$@"; }
sw() { swan swanctl "$SWAN_NS" "$@"; }

# captures: capture_start NS IFACE FILE, capture_stop [flush]
. "$TOP/tests/netns/capture.sh"

# ---- Inspection ------------------------------------------------------------

# dump_sas: both sides' SA lists into $WORK/u.json and $WORK/s.raw.
dump_sas() {
    ctl --json list-sas >"$WORK/u.json" 2>&1
    sw --list-sas --raw >"$WORK/s.raw" 2>&1
}
check_sas() { # check_sas LABEL CHECKER-ARGS...
    dump_sas
    tally "$PY" "$CHECK" sas "$1" "$WORK/u.json" "$WORK/s.raw" --spis-out "$WORK/spis" "${@:2}"
}
# check_nothing LABEL: within 5 s, no SA on either side, and no route in
# table 220 on either side (uipsecd has routes there only for traps; there
# are none here).
check_nothing() {
    local end=$((SECONDS + 5))
    while :; do
        dump_sas
        "$PY" "$CHECK" nosas "$1" "$WORK/u.json" "$WORK/s.raw" -q && break
        [ $SECONDS -lt $end ] || break
        sleep 0.1
    done
    tally "$PY" "$CHECK" nosas "$1" "$WORK/u.json" "$WORK/s.raw"
    local r
    r=$(nsx "$UIPSECD_NS" ip -4 route show table 220; nsx "$UIPSECD_NS" ip -6 route show table 220)
    if [ -z "$r" ]; then pass "$1: uipsecd: no route left in table 220"
    else fail "$1: uipsecd: no route left in table 220" "$r"; fi
    r=$(nsx "$SWAN_NS" ip route show table 220 2>/dev/null)
    if [ -z "$r" ]; then pass "$1: strongSwan: no route left in table 220"
    else fail "$1: strongSwan: no route left in table 220" "$r"; fi
}
spi_of() { awk -v c="$1" '$1 == c { print $2 "/" $3 }' "$WORK/spis" | tail -1; }

# ping_both LABEL LEFT_ADDR RIGHT_ADDR: 3 pings each way, all answered.
ping_both() {
    local out
    out=$(nsx "$L" ping -n -c 3 -i 0.05 -W 2 -I "$2" "$3" 2>&1)
    if grep -q " 3 received" <<<"$out"; then pass "$1: ping $2 -> $3 (3/3)"
    else fail "$1: ping $2 -> $3 (3/3)" "$(tail -2 <<<"$out")"; fi
    out=$(nsx "$R" ping -n -c 3 -i 0.05 -W 2 -I "$3" "$2" 2>&1)
    if grep -q " 3 received" <<<"$out"; then pass "$1: ping $3 -> $2 (3/3)"
    else fail "$1: ping $3 -> $2 (3/3)" "$(tail -2 <<<"$out")"; fi
}

# log marks: the logs' line counts when a case starts, to look at its lines
mark_logs() {
    U_MARK=$(wc -l <"$UIPSECD_LOG")
    S_MARK=$(wc -l <"$SWAN_STATE/$SWAN_NS/charon.log")
}
u_log() { tail -n +"$((U_MARK + 1))" "$UIPSECD_LOG"; }
s_log() { tail -n +"$((S_MARK + 1))" "$SWAN_STATE/$SWAN_NS/charon.log"; }
c_log() { s_log; }
# grep_log NAME u|c REGEX: the case's lines of uipsecd's (u) or charon's (c)
# log have one matching REGEX
grep_log() {
    # not grep -q: tail would get SIGPIPE, and pipefail would fail the pipe
    if "$2_log" | grep -E -- "$3" >/dev/null; then pass "$1"
    else fail "$1" "no line matching: $3"; fi
}
# no_complaints LABEL: no warning or error in uipsecd's log, and no error,
# retransmission or parse failure in charon's, since mark_logs
no_complaints() {
    local u s
    u=$(u_log | grep -E "uipsecd (warning|error)")
    s=$(s_log | grep -E "retransmit|failed|invalid|unacceptable|error|MAC mismatch|ignor|unknown|critical|malformed")
    if [ -z "$u" ]; then pass "$1: no warning or error in uipsecd's log"
    else fail "$1: no warning or error in uipsecd's log" "${u:0:2000}"; fi
    if [ -z "$s" ]; then pass "$1: no error, retransmission or complaint in charon's log"
    else fail "$1: no error, retransmission or complaint in charon's log" "${s:0:2000}"; fi
}
# case_start NAME ... case_end: after a failure in the case, its lines of
# both logs are printed
FAIL_MARK=0
case_start() {
    echo "# ---- $1"
    CASE=$1
    FAIL_MARK=$failed
    rm -f "$WORK/spis"
    mark_logs
}
case_end() {
    [ "$failed" = "$FAIL_MARK" ] && return 0
    echo "# ---- $CASE failed; uipsecd's log ($UIPSECD_LOG) from the case's start:"
    u_log | tail -40 | sed 's/^/#   /'
    echo "# ---- charon's log ($SWAN_STATE/$SWAN_NS/charon.log), last 60 lines of the case:"
    s_log | tail -60 | sed 's/^/#   /'
}

# ---- Configurations --------------------------------------------------------

# The strongSwan sides: copies of the harness's confs (strongswan.conf
# includes ../charon.conf), with our own swanctl.conf.
SC=$WORK/swanconf
mkdir -p "$SC/left" "$SC/right"
cp "$HARNESS/conf/charon.conf" "$SC/"
cp "$HARNESS/conf/left/strongswan.conf" "$SC/left/"
cp "$HARNESS/conf/right/strongswan.conf" "$SC/right/"

# swan_conn NAME LOCAL REMOTE LOCAL_ID REMOTE_ID IKE_PROPOSALS CHILD...
# CHILD: NAME:LOCAL_TS:REMOTE_TS:ESP_PROPOSALS, or with | for : (IPv6)
swan_conn() {
    local name=$1 la=$2 ra=$3 lid=$4 rid=$5 props=$6 c n lts rts esp
    shift 6
    cat <<EOF
    $name {
        version = 2
        local_addrs = $la
        remote_addrs = $ra
        proposals = $props
        encap = yes
        rekey_time = 0
        dpd_delay = 0
        local {
            auth = psk
            id = $lid
        }
        remote {
            auth = psk
            id = $rid
        }
        children {
EOF
    for c in "$@"; do
        if [[ $c == *"|"* ]]; then IFS='|' read -r n lts rts esp <<<"$c"
        else IFS=: read -r n lts rts esp <<<"$c"; fi
        cat <<EOF
            $n {
                mode = tunnel
                local_ts = $lts
                remote_ts = $rts
                esp_proposals = $esp
                rekey_time = 0
            }
EOF
    done
    echo "        }"
    echo "    }"
}

# The harness's PSK, as a secrets entry (every configuration has it).
harness_secret() {
    cat <<EOF
    ike-harness {
        id-left = left.ipsec.test
        id-right = right.ipsec.test
        secret = "$PSK"
    }
EOF
}

RESP_IKE="aes256gcm16-prfsha256-x25519, aes128gcm16-prfsha256-x25519, chacha20poly1305-prfsha256-ecp256, chacha20poly1305-prfsha256-x25519, aes128-sha256-modp2048"
RESP_ESP="aes256gcm16, aes128gcm16, chacha20poly1305, aes128-sha256"
NET1_L=10.10.1.0/24 NET1_R=10.10.2.0/24 # the harness's subnets
NET6_L=2001:db8:1::/64 NET6_R=2001:db8:2::/64 IN6_L=2001:db8:1::1 IN6_R=2001:db8:2::1
OUT6_L=2001:db8::1 OUT6_R=2001:db8::2
NET2_L=10.10.11.0/24 NET2_R=10.10.12.0/24 # for the second CHILD_SA
IN1_L=10.10.1.1 IN1_R=10.10.2.1 IN2_L=10.10.11.1 IN2_R=10.10.12.1

# strongSwan responder (part 1): the harness's "net" with ecp256 for
# ChaCha20 and a second child "net2" with PFS, and with the peer's address
# instead of %any so that it can create net2 over an IKE SA uipsecd made;
# "badpsk", a peer whose PSK (below) differs from the one uipsecd has for it.
{
    echo "connections {"
    swan_conn net 192.0.2.2 192.0.2.1 right.ipsec.test left.ipsec.test "$RESP_IKE" \
        "net:$NET1_R:$NET1_L:$RESP_ESP" "net2:$NET2_R:$NET2_L:aes256gcm16-x25519"
    swan_conn badpsk 192.0.2.2 %any right.ipsec.test badpsk.ipsec.test "$RESP_IKE" \
        "badpsk:$NET1_R:$NET1_L:$RESP_ESP"
    swan_conn net6 $OUT6_R $OUT6_L right.ipsec.test left.ipsec.test "$RESP_IKE" \
        "net6|$NET6_R|$NET6_L|$RESP_ESP"
    cat <<EOF
}
secrets {
$(harness_secret)
    ike-badpsk {
        id-right = right.ipsec.test
        id-bad = badpsk.ipsec.test
        secret = "the-psk-strongswan-has-for-badpsk"
    }
}
EOF
} >"$SC/right/swanctl.conf"

# strongSwan initiator (part 2): one connection per suite.
{
    echo "connections {"
    swan_conn gcm256 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "gcm256:$NET1_L:$NET1_R:aes256gcm16" \
        "gcm256b:$NET2_L:$NET2_R:aes256gcm16-x25519"
    swan_conn cbc 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes128-sha256-modp2048 "cbc:$NET1_L:$NET1_R:aes128-sha256"
    swan_conn chacha 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        chacha20poly1305-prfsha256-ecp256 "chacha:$NET1_L:$NET1_R:chacha20poly1305"
    swan_conn net6 $OUT6_L $OUT6_R left.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "net6|$NET6_L|$NET6_R|aes256gcm16"
    # rekeying by strongSwan: the CHILD_SA (with PFS) every 6 s, the IKE
    # SA after 14 s; an explicit life_time keeps libipsec from expiring the
    # CHILD_SA before its rekey
    swan_conn rk 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "rk:$NET1_L:$NET1_R:aes256gcm16-x25519" |
        sed -e 's/^        rekey_time = 0$/        rekey_time = 14s\n        over_time = 30s\n        rand_time = 0/' \
            -e 's/^                rekey_time = 0$/                rekey_time = 6s\n                life_time = 20s\n                rand_time = 0/'
    cat <<EOF
}
secrets {
$(harness_secret)
}
EOF
} >"$SC/left/swanctl.conf"

# uipsecd_conn: as swan_conn, for uipsecd (no rekey_time/dpd_delay: off by
# default).
uipsecd_conn() { swan_conn "$@" | grep -vE "rekey_time|dpd_delay"; }

# uipsecd initiator (part 1)
{
    cat <<EOF
uipsec {
    socket = $WORK/$L.sock
    wireshark_keys = $WORK/keys-$L
}
connections {
EOF
    uipsecd_conn gcm256 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "gcm256:$NET1_L:$NET1_R:aes256gcm16" \
        "gcm256b:$NET2_L:$NET2_R:aes256gcm16-x25519"
    uipsecd_conn cbc 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes128-sha256-modp2048 "cbc:$NET1_L:$NET1_R:aes128-sha256"
    uipsecd_conn chacha 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        chacha20poly1305-prfsha256-ecp256 "chacha:$NET1_L:$NET1_R:chacha20poly1305"
    uipsecd_conn badpsk 192.0.2.1 192.0.2.2 badpsk.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "badpsk:$NET1_L:$NET1_R:aes256gcm16"
    uipsecd_conn net6 $OUT6_L $OUT6_R left.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "net6|$NET6_L|$NET6_R|aes256gcm16"
    # strongSwan has no ecp384 proposal
    uipsecd_conn noprop 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes256-sha384-ecp384 "noprop:$NET1_L:$NET1_R:aes256gcm16"
    # rekeying by uipsecd: the CHILD_SA every 6 s, the IKE SA after 14 s
    uipsecd_conn rk 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "rk:$NET1_L:$NET1_R:aes256gcm16" |
        sed -e 's/^\(        proposals = .*\)$/\1\n        rekey_time = 14s/' \
            -e 's/^\(                esp_proposals = .*\)$/\1\n                rekey_time = 6s/'
    # nor a child for 10.99.0.0/24
    uipsecd_conn badts 192.0.2.1 192.0.2.2 left.ipsec.test right.ipsec.test \
        aes256gcm16-prfsha256-x25519 "badts:$NET1_L:10.99.0.0/24:aes256gcm16"
    cat <<EOF
}
secrets {
$(harness_secret)
    ike-badpsk {
        id-bad = badpsk.ipsec.test
        id-right = right.ipsec.test
        secret = "not-the-psk-strongswan-has"
    }
}
EOF
} >"$WORK/uipsecd-init.conf"

# uipsecd responder (part 2)
{
    cat <<EOF
uipsec {
    socket = $WORK/$R.sock
    wireshark_keys = $WORK/keys-$R
}
connections {
EOF
    uipsecd_conn net 192.0.2.2 %any right.ipsec.test left.ipsec.test \
        "aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048, chacha20poly1305-prfsha256-ecp256" \
        "net:$NET1_R:$NET1_L:aes256gcm16, aes128-sha256, chacha20poly1305, aes256gcm16-x25519" \
        "net2:$NET2_R:$NET2_L:aes256gcm16-x25519"
    uipsecd_conn net6 $OUT6_R %any right.ipsec.test left.ipsec.test \
        aes256gcm16-prfsha256-x25519 "net6|$NET6_R|$NET6_L|aes256gcm16"
    cat <<EOF
}
secrets {
$(harness_secret)
}
EOF
} >"$WORK/uipsecd-resp.conf"
chmod 600 "$WORK"/*.conf "$SC"/*/swanctl.conf

# ---- Cases -----------------------------------------------------------------

# capture_check LABEL PCAP ARGS...: the capture checker on PCAP with
# uipsecd's keys.
capture_check() { tally "$PY" "$CHECK" capture "$1" "$2" "$KEYS" "${@:3}"; }

# initiate_u CHILD: uipsecctl initiate, exit 0
initiate_u() {
    local out
    if out=$(ctl initiate --child "$2" --timeout 20 2>&1); then
        pass "$1: uipsecctl initiate --child $2"
    else
        fail "$1: uipsecctl initiate --child $2" "$out"
        return 1
    fi
}
initiate_s() {
    local out
    if out=$(sw --initiate --child "$2" --timeout 20 2>&1); then
        pass "$1: swanctl --initiate --child $2"
    else
        fail "$1: swanctl --initiate --child $2" "$(tail -5 <<<"$out")"
        return 1
    fi
}
terminate_u() { # terminate_u LABEL --ike|--child NAME
    local out
    if out=$(ctl terminate "$2" "$3" --timeout 10 2>&1); then
        pass "$1: uipsecctl terminate $2 $3"
    else
        fail "$1: uipsecctl terminate $2 $3" "$out"
    fi
}
terminate_s() {
    local out
    if out=$(sw --terminate "$2" "$3" --timeout 10 2>&1); then
        pass "$1: swanctl --terminate $2 $3"
    else
        fail "$1: swanctl --terminate $2 $3" "$(tail -5 <<<"$out")"
    fi
}
# gone_child LABEL UCHILD SCHILD: within 5 s the child has gone on both sides
gone_child() {
    local u s end=$((SECONDS + 5))
    while :; do
        dump_sas
        u=$(grep -c "\"name\": *\"$2\"" "$WORK/u.json")
        s=$(grep -c "name=$3 " "$WORK/s.raw")
        [ "$u" = 0 ] && [ "$s" = 0 ] && break
        [ $SECONDS -lt $end ] || break
        sleep 0.1
    done
    if [ "$u" = 0 ] && [ "$s" = 0 ]; then pass "$1: CHILD_SA $2/$3 gone on both sides"
    else fail "$1: CHILD_SA $2/$3 gone on both sides" "$(cat "$WORK/u.json")" "$(cat "$WORK/s.raw")"; fi
}

# A working suite.  suite LABEL WHO_INITIATES(u|s) WHO_TERMINATES(u|s)
#   UCONN SCONN UCHILD SCHILD UIKE SIKE UESP SESP [nodecrypt]
suite() {
    local label=$1 ini=$2 term=$3 uconn=$4 sconn=$5 uch=$6 sch=$7 uike=$8 sike=$9
    local uesp=${10} sesp=${11} nodec=${12:-} pcap=$WORK/$1.pcap
    selected "$label" || return 0
    case_start "$label"
    capture_start "$R" veth-r "$pcap" || { fail "$label: capture"; return; }
    if [ "$ini" = u ]; then initiate_u "$label" "$uch"; else initiate_s "$label" "$sch"; fi
    check_sas "$label" --ike "$uconn:$sconn:$uike:$sike" --child "$uch:$sch:$uesp:$sesp"
    if [ "$ini" = u ]; then
        grep_log "$label: uipsecd logs the IKE SA established (initiator)" u \
            "$uconn\[[0-9]+\]: IKE SA established with right.ipsec.test \(initiator\)"
    else
        grep_log "$label: uipsecd logs the IKE SA established (responder)" u \
            "$uconn\[[0-9]+\]: IKE SA established with left.ipsec.test \(responder\)"
    fi
    grep_log "$label: uipsecd logs CHILD_SA $uch installed" u "CHILD_SA $uch installed: $uesp"
    ping_both "$label" "$IN1_L" "$IN1_R"
    dump_sas
    tally "$PY" "$CHECK" counters "$label" "$WORK/u.json" "$WORK/s.raw" "$uch" "$sch" 6
    if [ "$term" = u ]; then terminate_u "$label" --ike "$uconn"
    else terminate_s "$label" --ike "$sconn"; fi
    check_nothing "$label"
    grep_log "$label: uipsecd logs the IKE SA deleted" u "$uconn\[[0-9]+\]: IKE SA deleted"
    no_complaints "$label"
    capture_stop flush
    local ids=left.ipsec.test,right.ipsec.test
    if [ -n "$nodec" ]; then
        capture_check "$label" "$pcap" --no-decrypt --exchanges IKE_SA_INIT:2,IKE_AUTH:2,INFORMATIONAL:2
        # what Wireshark 4.0 cannot decrypt, python-cryptography can
        tally "$PY" "$HERE/chacha_check.py" "$label" "$pcap" "$KEYS" "$IN1_L>$IN1_R"
    else
        capture_check "$label" "$pcap" --auth-ids "$ids" \
            --exchanges IKE_SA_INIT:2,IKE_AUTH:2,INFORMATIONAL:2 \
            --ping "$IN1_L>$IN1_R" --ping "$IN1_R>$IN1_L"
    fi
    case_end
}

# IPv6 outside and inside, ESP in UDP (the harness's strongSwan always
# encapsulates): v6_case LABEL u|s.  The capture must hold ESP in UDP over
# IPv6 both ways, and tshark must find the UDP checksum of every ESP packet
# right (IPv6 forbids a zero one).  Both uipsecd and strongSwan send
# through the kernel's UDP sockets (uipsecd in UDP_SEGMENT trains), so the
# veths' checksum offload is turned off for the case: the kernel then
# finishes every checksum, and cuts every train, before the capture.
v6_case() {
    local label=$1 ini=$2 pcap=$WORK/$1.pcap n bad
    selected "$label" || return 0
    case_start "$label"
    ip netns exec "$L" ethtool -K veth-l tx off >/dev/null
    ip netns exec "$R" ethtool -K veth-r tx off >/dev/null
    capture_start "$R" veth-r "$pcap" || { fail "$label: capture"; return; }
    if [ "$ini" = u ]; then initiate_u "$label" net6; else initiate_s "$label" net6; fi
    check_sas "$label" --ike "net6:net6:aes256gcm16-prfsha256-x25519:AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519" \
        --child "net6:net6:aes256gcm16-noesn:AES_GCM_16-256"
    grep_log "$label: uipsecd logs CHILD_SA net6 installed, ESP in UDP" u \
        "CHILD_SA net6 installed: aes256gcm16.*ESP in UDP"
    ping_both "$label" "$IN6_L" "$IN6_R"
    if [ "$ini" = u ]; then terminate_u "$label" --ike net6; else terminate_s "$label" --ike net6; fi
    check_nothing "$label"
    no_complaints "$label"
    capture_stop flush
    ip netns exec "$L" ethtool -K veth-l tx on >/dev/null
    ip netns exec "$R" ethtool -K veth-r tx on >/dev/null
    n=$(tshark -r "$pcap" -Y "ipv6 && udp.port == 4500 && esp" 2>/dev/null | wc -l)
    bad=$(tshark -r "$pcap" -o udp.check_checksum:TRUE \
        -Y "esp && (udp.checksum.status != 1 || udp.checksum == 0)" 2>/dev/null | wc -l)
    if [ "$n" -ge 12 ] && [ "$bad" = 0 ]; then
        pass "$label: $n ESP-in-UDP packets over IPv6 captured, every UDP checksum right"
    else
        fail "$label: ESP-in-UDP packets over IPv6 captured (>= 12), every UDP checksum right" \
            "$n ESP-in-UDP over IPv6; $bad with a bad or zero UDP checksum"
    fi
    case_end
}

# fail_case LABEL CHILD NOTIFY STRONGSWAN_NOTIFY NOTIFY_NUMBER: uipsecd
# initiates CHILD, which strongSwan refuses.
fail_case() {
    local label=$1 child=$2 notify=$3 snotify=$4 num=$5 pcap=$WORK/$1.pcap out rc
    selected "$label" || return 0
    case_start "$label"
    capture_start "$R" veth-r "$pcap" || { fail "$label: capture"; return; }
    # An error in the IKE_SA_INIT answer is unauthenticated: uipsecd keeps
    # retransmitting until its retries run out (RFC 7296 2.21.1), so the
    # initiate times out, naming the error, and terminate ends it.
    local wait=20
    [ "$num" = 14 ] && wait=5
    out=$(ctl initiate --child "$child" --timeout $wait 2>&1)
    rc=$?
    [ "$num" = 14 ] && ctl terminate --ike "$child" >/dev/null 2>&1
    if [ $rc != 0 ] && grep -q "$notify" <<<"$out"; then
        pass "$label: uipsecctl initiate --child $child fails (exit $rc) with $notify"
    else
        fail "$label: uipsecctl initiate --child $child fails with $notify" "exit $rc: $out"
    fi
    grep_log "$label: uipsecd logs $notify" u "$child(\[[0-9]+\])?: .*$notify"
    grep_log "$label: charon sends N($snotify)" c "generating .* N\($snotify\)"
    check_nothing "$label"
    capture_stop flush
    if [ "$num" = 14 ]; then # retransmitted while it waits for a valid answer
        capture_check "$label" "$pcap" --failure --retransmits --exchanges IKE_SA_INIT:2 --notify "$num"
    else
        capture_check "$label" "$pcap" --failure --exchanges IKE_SA_INIT:2,IKE_AUTH:2 --notify "$num"
    fi
    case_end
}

# The second CHILD_SA with PFS (two_children u|s): the IKE initiator (u:
# uipsecd, part 1; s: strongSwan, part 2) creates the IKE SA and both
# CHILD_SAs; the other side deletes the second one and creates it again,
# as the IKE SA's responder (TSi is then its own side: RFC 7296 2.9); the
# IKE initiator deletes the IKE SA.
two_children() {
    local who=$1 label pcap ike ch1 ch2 uc1 uc2 sc1 sc2 spis1 spis2 spis3= n=3 cc=2 ini oth
    if [ "$who" = u ]; then
        label=gcm256-2nd-child-by-uipsecd ike="gcm256:net" ch1=gcm256 ch2=gcm256b
        uc1=gcm256 uc2=gcm256b sc1=net sc2=net2 ini=u oth=s
    else
        label=gcm256-2nd-child-by-strongswan ike="net:gcm256" ch1=gcm256 ch2=gcm256b
        uc1=net uc2=net2 sc1=gcm256 sc2=gcm256b ini=s oth=u
    fi
    selected "$label" || return 0
    pcap=$WORK/$label.pcap
    local ike_p="$ike:aes256gcm16-prfsha256-x25519:AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519"
    local child1="$uc1:$sc1:aes256gcm16-noesn:AES_GCM_16-256"
    local child2="$uc2:$sc2:aes256gcm16-x25519-noesn:AES_GCM_16-256/CURVE_25519"
    # the names each side knows its children by
    local mine1 mine2 other2
    if [ "$ini" = u ]; then mine1=$uc1 mine2=$uc2 other2=$sc2; else mine1=$sc1 mine2=$sc2 other2=$uc2; fi
    case_start "$label"
    capture_start "$R" veth-r "$pcap" || { fail "$label: capture"; return; }
    "initiate_$ini" "$label" "$mine1"
    "initiate_$ini" "$label" "$mine2"
    check_sas "$label" --ike "$ike_p" --child "$child1" --child "$child2"
    grep_log "$label: charon logs the CREATE_CHILD_SA with KE (PFS)" c \
        "(parsed|generating) CREATE_CHILD_SA request [0-9]+ \[ .*KE.*\]"
    spis1=$(spi_of "$uc1") spis2=$(spi_of "$uc2")
    ping_both "$label" "$IN1_L" "$IN1_R"
    ping_both "$label (second CHILD_SA)" "$IN2_L" "$IN2_R"
    "terminate_$oth" "$label" --child "$other2"
    gone_child "$label" "$uc2" "$sc2"
    check_sas "$label: after deleting the second CHILD_SA" --ike "$ike_p" --child "$child1"
    ping_both "$label (first CHILD_SA still there)" "$IN1_L" "$IN1_R"
    if "initiate_$oth" "$label: as the IKE SA's responder" "$other2"; then
        check_sas "$label: second CHILD_SA again, by the IKE responder" \
            --ike "$ike_p" --child "$child1" --child "$child2"
        spis3=/$(spi_of "$uc2")
        ping_both "$label (second CHILD_SA by the IKE responder)" "$IN2_L" "$IN2_R"
        n=6 cc=4
    fi
    if [ "$ini" = u ]; then terminate_u "$label" --ike gcm256; else terminate_s "$label" --ike gcm256; fi
    check_nothing "$label"
    no_complaints "$label"
    capture_stop flush
    capture_check "$label" "$pcap" --auth-ids left.ipsec.test,right.ipsec.test --pfs \
        --exchanges IKE_SA_INIT:2,IKE_AUTH:2,CREATE_CHILD_SA:$cc,INFORMATIONAL:4 \
        --ping "$IN1_L>$IN1_R@${spis1}" --ping "$IN1_R>$IN1_L@${spis1}" \
        --ping "$IN2_L>$IN2_R@${spis2}${spis3}" --ping "$IN2_R>$IN2_L@${spis2}${spis3}" --count $n
    case_end
}

# Rekeying under traffic: 20 s of pings (every 0.2 s) while the CHILD_SA
# is rekeyed at least twice and the IKE SA once, by the side that
# initiated (rekey_case LABEL u|s UCONN SCONN UCHILD SCHILD UESP SESP).
rekey_case() {
    local label=$1 ini=$2 uconn=$3 sconn=$4 uch=$5 sch=$6 uesp=$7 sesp=$8
    local pcap=$WORK/$1.pcap out
    selected "$label" || return 0
    case_start "$label"
    capture_start "$R" veth-r "$pcap" || { fail "$label: capture"; return; }
    if [ "$ini" = u ]; then initiate_u "$label" "$uch"; else initiate_s "$label" "$sch"; fi
    out=$(nsx "$L" ping -n -c 100 -i 0.2 -W 1 -I "$IN1_L" "$IN1_R" 2>&1)
    if grep -q " 100 received" <<<"$out"; then pass "$label: 100 pings over 20 s of rekeying, none lost"
    else fail "$label: 100 pings over 20 s of rekeying, none lost" "$(tail -2 <<<"$out")"; fi
    rekeys=$(u_log | grep -cE "CHILD_SA $uch installed: .*rekeyed")
    check "$label: uipsecd logs CHILD_SA $uch rekeyed at least twice ($rekeys)" [ "$rekeys" -ge 2 ]
    grep_log "$label: uipsecd logs the IKE SA rekeyed" u "$uconn\[[0-9]+\]: IKE SA rekeyed, now"
    grep_log "$label: uipsecd logs the old CHILD_SAs deleted" u "CHILD_SA $uch deleted"
    check_sas "$label: after the rekeys, one IKE SA and one CHILD_SA on each side" \
        --ike "$uconn:$sconn:aes256gcm16-prfsha256-x25519:AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519" \
        --child "$uch:$sch:$uesp:$sesp"
    ping_both "$label: after the rekeys" "$IN1_L" "$IN1_R"
    if [ "$ini" = u ]; then terminate_u "$label" --ike "$uconn"
    else terminate_s "$label" --ike "$sconn"; fi
    check_nothing "$label"
    no_complaints "$label"
    capture_stop flush
    capture_check "$label" "$pcap" --auth-ids left.ipsec.test,right.ipsec.test \
        --exchanges IKE_SA_INIT:2,IKE_AUTH:2,CREATE_CHILD_SA:6,INFORMATIONAL:6 \
        --ping "$IN1_L>$IN1_R" --ping "$IN1_R>$IN1_L"
    case_end
}

# ---- Run -------------------------------------------------------------------

START=$(date +%s)
pair down >/dev/null 2>&1 # left by a run that was killed
pair up >"$WORK/netns-pair.log" 2>&1 || { cat "$WORK/netns-pair.log"; fail "netns-pair.sh up"; exit 1; }
# inner addresses for the second CHILD_SA, on lo like the harness's
nsx "$L" ip addr add "$IN2_L/32" dev lo
nsx "$R" ip addr add "$IN2_R/32" dev lo
check "no path between the protected subnets without a tunnel" \
    bash -c "! ip netns exec $L ping -n -c 1 -W 1 -I $IN1_L $IN1_R >/dev/null 2>&1"

PART1=1 PART2=1
case ${ONLY:-} in
part1) PART2= ONLY= ;;
part2) PART1= ONLY= ;;
esac

if [ -n "$PART1" ]; then
    echo "# ==== part 1: uipsecd initiates (in $L), strongSwan responds (in $R)"
    SWAN_NS=$R
    swan start "$R" "$SC/right" >"$WORK/swan-start-$R.log" 2>&1 ||
        { cat "$WORK/swan-start-$R.log"; fail "strongSwan starts in $R"; exit 1; }
    start_uipsecd "$L" "$WORK/uipsecd-init.conf" || { fail "uipsecd starts in $L"; exit 1; }
    two_children u
    suite gcm256-uipsecd-init u u gcm256 net gcm256 net \
        aes256gcm16-prfsha256-x25519 AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519 \
        aes256gcm16-noesn AES_GCM_16-256
    suite cbc-uipsecd-init u s cbc net cbc net \
        aes128-prfsha256-sha256-modp2048 AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 \
        aes128-sha256-noesn AES_CBC-128/HMAC_SHA2_256_128
    suite chacha-uipsecd-init u u chacha net chacha net \
        chacha20poly1305-prfsha256-ecp256 CHACHA20_POLY1305/PRF_HMAC_SHA2_256/ECP_256 \
        chacha20poly1305-noesn CHACHA20_POLY1305 nodecrypt
    rekey_case rekey-by-uipsecd u rk net rk net aes256gcm16-noesn AES_GCM_16-256
    v6_case ipv6-uipsecd-init u
    fail_case badpsk-uipsecd-init badpsk AUTHENTICATION_FAILED AUTH_FAILED 24
    fail_case noprop-uipsecd-init noprop NO_PROPOSAL_CHOSEN NO_PROP 14
    fail_case badts-uipsecd-init badts TS_UNACCEPTABLE TS_UNACCEPT 38
    m=$(find "$KEYS" -type f -printf '%m %f\n')
    if [ -z "$m" ] && [ -n "${ONLY:-}" ]; then pass "uipsecd's key files are 0600 # SKIP no case of part 1 ran"
    elif [ -n "$m" ] && ! grep -qv '^600 ' <<<"$m"; then pass "uipsecd's key files are 0600"
    else fail "uipsecd's key files are 0600" "${m:-no key files}"; fi
    uipsecd_alive "part 1"
    stop_uipsecd
    swan stop "$R" >/dev/null
fi

if [ -n "$PART2" ]; then
    echo "# ==== part 2: strongSwan initiates (in $L), uipsecd responds (in $R)"
    SWAN_NS=$L
    start_uipsecd "$R" "$WORK/uipsecd-resp.conf" || { fail "uipsecd starts in $R"; exit 1; }
    swan start "$L" "$SC/left" >"$WORK/swan-start-$L.log" 2>&1 ||
        { cat "$WORK/swan-start-$L.log"; fail "strongSwan starts in $L"; exit 1; }
    two_children s
    suite gcm256-strongswan-init s s net gcm256 net gcm256 \
        aes256gcm16-prfsha256-x25519 AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519 \
        aes256gcm16-noesn AES_GCM_16-256
    suite cbc-strongswan-init s u net cbc net cbc \
        aes128-prfsha256-sha256-modp2048 AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 \
        aes128-sha256-noesn AES_CBC-128/HMAC_SHA2_256_128
    suite chacha-strongswan-init s s net chacha net chacha \
        chacha20poly1305-prfsha256-ecp256 CHACHA20_POLY1305/PRF_HMAC_SHA2_256/ECP_256 \
        chacha20poly1305-noesn CHACHA20_POLY1305 nodecrypt
    rekey_case rekey-by-strongswan s net rk net rk aes256gcm16-x25519-noesn \
        AES_GCM_16-256/CURVE_25519
    v6_case ipv6-strongswan-init s
    uipsecd_alive "part 2"
    stop_uipsecd
    swan stop "$L" >/dev/null
fi

echo "# $passed passed, $failed failed ($(($(date +%s) - START)) s)"
[ "$failed" = 0 ]
