#!/bin/bash
# SPDX-License-Identifier: MIT
# Live tunnels between two namespaces, one case per suite x topology:
# fresh random keys, uipsecd on both gateways, ping both ways and TCP across,
# and the veth captured during the ping and read back by scapy with the
# configured keys (decrypt_capture.py): what crosses the wire is ESP or AH an
# independent implementation reads, and nothing protected is in clear.
#
#   every suite:
#   tunnel4     tunnel mode, IPv4 in IPv4
#   tunnel6     tunnel mode, IPv6 in IPv6
#   udp4        tunnel mode, IPv4 in ESP in UDP 4500 in IPv4 (encap = yes; ESP only)
#   transport4  transport mode between 192.0.2.1 and 192.0.2.2
#   transport6  transport mode between 2001:db8::1 and 2001:db8::2
#   a few suites:
#   tunnel4in6, tunnel6in4, udp6in4   the inner family is not the outer one
#   dual4       one connection for both inner families (local_ts = 10.10.1.0/24,
#               2001:db8:1::/64 ...) over IPv4
#
# dual4 once found that uipsecd refused connections with selectors of both
# families, and transport6 that the cleartext drop rules ate IPv6
# neighbour discovery (neighbour caches are flushed before every case, so
# that no case hides it); both fixed, both kept.
#
# One namespace pair serves every case; only the daemons restart.
# Environment: ONLY=TEXT runs the cases whose name contains TEXT;
# KEEP=1 keeps the work directory (configs, captures, logs).
set -uo pipefail
NS_L=${NS_L:-uipsec-tun-l}
NS_R=${NS_R:-uipsec-tun-r}
. "$(dirname "$0")/lib.sh"
need_root_or_skip test_tunnels.sh
if [ ! -x "$UIPSECD" ] || [ ! -x "$UIPSECCTL" ]; then
    echo "build first: $UIPSECD, $UIPSECCTL" >&2
    exit 1
fi

ESP_SUITES="aes128gcm16 aes256gcm16 chacha20poly1305 aes128gmac aes256gmac aes128-sha256
            aes256-sha384 aes256-sha512 null-sha256 aes128-sha256-esn"
AH_SUITES="sha256 sha384 sha512"
TOPOLOGIES="tunnel4 tunnel6 udp4 transport4 transport6"
EXTRA_CASES="aes256gcm16/tunnel4in6 aes256gcm16/tunnel6in4 aes256gcm16/udp6in4
             aes128-sha256/tunnel4in6 aes128-sha256/tunnel6in4 sha256/tunnel4in6
             sha256/tunnel6in4 aes256gcm16/dual4 chacha20poly1305/dual4"
PINGS=3
passed=0 failed=0

ns_up

# check_pings CASE_DIR SRC DST: pings both ways, noted for decrypt_capture.py.
check_pings() {
    ping_ok "$NS_L" "$2" "$3" $PINGS || { why+=" ping $2->$3 failed;"; return; }
    ping_ok "$NS_R" "$3" "$2" $PINGS || { why+=" ping $3->$2 failed;"; return; }
    echo "--echo $2 $3 $PINGS --echo $3 $2 $PINGS" >>"$1/echo"
}

# run_case PROPOSAL TOPOLOGY: one line, ok or FAIL with the reasons.
run_case() {
    local prop=$1 topo=$2 name="$1/$2" dir mode=tunnel fam encap=no inner t0=$SECONDS
    local l4=10.10.1.1 r4=10.10.2.1 l6=2001:db8:1::1 r6=2001:db8:2::1 tl tr
    dir=$WORK/cases/${name//\//_}
    why=""
    case $topo in
    tunnel4 | transport4) fam=4 inner=4 ;;
    tunnel6 | transport6) fam=6 inner=6 ;;
    tunnel4in6) fam=6 inner=4 ;;
    tunnel6in4) fam=4 inner=6 ;;
    udp4) fam=4 inner=4 encap=yes ;;
    udp6in4) fam=4 inner=6 encap=yes ;;
    dual4) fam=4 inner=46 ;;
    *) echo "unknown topology $topo" >&2; exit 2 ;;
    esac
    case $topo in
    transport*) mode=transport l4=192.0.2.1 r4=192.0.2.2 l6=2001:db8::1 r6=2001:db8::2 ;;
    esac
    if [ "${inner:0:1}" = 4 ]; then tl=$l4 tr=$r4; else tl=$l6 tr=$r6; fi
    make_confs "$dir" "$prop" "$mode" "$fam" "$encap" "$inner" || { why=" no config"; finish; return; }
    : >"$dir/echo"
    : >"$WORK/ping.log"
    rm -f "$WORK/$NS_L.log" "$WORK/$NS_R.log"
    # Each case meets its peer afresh, as after a boot: no neighbour entries
    # (ARP, IPv6 ND) from the cases before.
    nsx "$NS_L" ip neigh flush all
    nsx "$NS_R" ip neigh flush all
    if ! start_daemon "$NS_L" "$dir/left.conf" 2>"$dir/start.err" ||
        ! start_daemon "$NS_R" "$dir/right.conf" 2>>"$dir/start.err"; then
        why=" daemon did not start: $(grep -m1 error "$dir/start.err")"
    elif capture_start "$NS_R" veth-ur "$dir/veth.pcap" 2>"$dir/capture.err"; then
        [[ $inner == *4* ]] && check_pings "$dir" "$l4" "$r4"
        [[ $inner == *6* ]] && check_pings "$dir" "$l6" "$r6"
        sleep 0.3 # dumpcap gets packets in blocks every 250 ms: let the last one go
        capture_stop
        if [ -n "$why" ]; then
            why+=" TCP not tried;"
        elif ! tcp_ok "$NS_L" "$NS_R" "$tl" "$tr" 1M; then
            why+=" TCP $tl->$tr failed ($(tail -1 "$WORK/iperf3-client.log"));"
        fi
    else
        why+=" dumpcap did not start;"
    fi
    for side in "$NS_L" "$NS_R"; do # for a failure's diagnosis
        [ -S "$WORK/$side.sock" ] || continue
        ctl "$side" list-sas >>"$WORK/$side.log" 2>&1
        ctl "$side" status | grep drops >>"$WORK/$side.log" 2>&1
    done
    stop_daemon "$NS_L" || why+=" left uipsecd did not stop;"
    stop_daemon "$NS_R" || why+=" right uipsecd did not stop;"
    sanitizer_report "$NS_L" >/dev/null && why+=" left uipsecd: sanitizer report;"
    sanitizer_report "$NS_R" >/dev/null && why+=" right uipsecd: sanitizer report;"
    cp "$WORK/$NS_L.log" "$dir/left.log" 2>/dev/null
    cp "$WORK/$NS_R.log" "$dir/right.log" 2>/dev/null
    if [ -s "$dir/veth.pcap" ]; then
        # shellcheck disable=SC2046 # the --echo arguments are words
        if ! $PY "$HERE/decrypt_capture.py" --conf "$dir/left.conf" --pcap "$dir/veth.pcap" \
            $(cat "$dir/echo") >"$dir/decrypt.out" 2>&1; then
            why+=" capture check failed;"
        fi
    fi
    finish
}

finish() {
    if [ -z "$why" ]; then
        passed=$((passed + 1))
        printf 'ok    %-26s %2ds  %s packets decrypted, %s of them echo; TCP 1M both ways\n' \
            "$name" $((SECONDS - t0)) \
            "$(awk '/ decrypted /{n += $1} END {print n + 0}' "$dir/decrypt.out")" \
            "$(awk '/ inner echo /{n += $1} END {print n + 0}' "$dir/decrypt.out")"
        return
    fi
    failed=$((failed + 1))
    printf 'FAIL  %-26s %2ds %s\n' "$name" $((SECONDS - t0)) "$why"
    [ -f "$dir/decrypt.out" ] && sed 's/^/      | /' "$dir/decrypt.out"
    grep -E "icmp_seq|received|rror" "$WORK/ping.log" | head -12 | sed 's/^/      | ping: /'
    for side in left right; do
        [ -f "$dir/$side.log" ] && tail -8 "$dir/$side.log" | sed "s/^/      | $side: /"
    done
}

cases=""
for prop in $ESP_SUITES $AH_SUITES; do
    for topo in $TOPOLOGIES; do
        case $prop/$topo in sha*/udp4) continue ;; esac # RFC 3948 is ESP only
        cases+=" $prop/$topo"
    done
done
for c in $cases $EXTRA_CASES; do
    [[ $c == *"${ONLY:-}"* ]] && run_case "${c%/*}" "${c#*/}"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
