# Shared by the live tunnel tests and `make demo`: two namespaces joined by
# a veth pair, each a gateway with a protected host address on lo.
#
#   uipsec-left                                    uipsec-right
#   veth-ul 192.0.2.1/24  2001:db8::1/64  <---->  veth-ur 192.0.2.2/24  2001:db8::2/64
#   lo      10.10.1.1/32  2001:db8:1::1/128        lo      10.10.2.1/32  2001:db8:2::1/128
#
# Source it, then call ns_up; ns_down runs from the EXIT trap it installs.

NS_L=${NS_L:-uipsec-left}
NS_R=${NS_R:-uipsec-right}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
UIPSECD=$BUILD/src/daemon/uipsecd
UIPSECCTL=$BUILD/src/ctl/uipsecctl
WORK=${WORK:-$(mktemp -d /tmp/uipsec-netns.XXXXXX)}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "$1 needs root: it creates network namespaces, a veth pair and TUN devices." >&2
        echo "Run it as root (e.g. sudo make demo)." >&2
        exit 1
    fi
}

ns_side() {
    local ns=$1 ifn=$2 o4=$3 o6=$4 i4=$5 i6=$6
    nsx "$ns" ip link set lo up
    nsx "$ns" ip link set "$ifn" up
    nsx "$ns" ip addr add "$o4/24" dev "$ifn"
    nsx "$ns" ip -6 addr add "$o6/64" dev "$ifn" nodad
    nsx "$ns" ip addr add "$i4/32" dev lo
    nsx "$ns" ip -6 addr add "$i6/128" dev lo
    nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

ns_up() {
    ns_down 2>/dev/null
    mkdir -p "$WORK" # ns_down removes it
    trap ns_down EXIT
    ip netns add "$NS_L"
    ip netns add "$NS_R"
    ip link add veth-ul netns "$NS_L" type veth peer name veth-ur netns "$NS_R"
    ns_side "$NS_L" veth-ul 192.0.2.1 2001:db8::1 10.10.1.1 2001:db8:1::1
    ns_side "$NS_R" veth-ur 192.0.2.2 2001:db8::2 10.10.2.1 2001:db8:2::1
}

ns_down() {
    for ns in "$NS_L" "$NS_R"; do
        if ip netns list | grep -qw "$ns"; then
            ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
            sleep 0.2
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
            ip netns del "$ns"
        fi
    done
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}

# start_daemon NS CONFIG [in-place]: runs uipsecd in NS with a private copy
# of CONFIG (with in-place, CONFIG itself: the swanctl directories beside
# it are found); its log is $WORK/NS.log and its control socket
# $WORK/NS.sock.
start_daemon() {
    local ns=$1 conf=$WORK/$1.conf
    if [ "${3:-}" = in-place ]; then conf=$2; else install -m 600 "$2" "$conf"; fi
    rm -f "$WORK/$ns.sock" # left by a daemon that was killed: not a sign of life
    nsx "$ns" "$UIPSECD" --config "$conf" --socket "$WORK/$ns.sock" --foreground \
        ${DEBUG:+--debug} >"$WORK/$ns.log" 2>&1 &
    local pid=$!
    for _ in $(seq 50); do
        [ -S "$WORK/$ns.sock" ] && return 0
        kill -0 "$pid" 2>/dev/null || break # it has exited
        sleep 0.1
    done
    echo "uipsecd in $ns did not start:" >&2
    cat "$WORK/$ns.log" >&2
    return 1
}

# stop_daemon NS: SIGTERM to the uipsecd in NS (only to it: captures and
# servers may run there too), then waits until it has gone, at most 5 s.
stop_daemon() {
    local pids
    pids=$(daemon_pids "$1")
    [ -n "$pids" ] || return 0
    kill $pids 2>/dev/null
    for _ in $(seq 100); do
        [ -z "$(daemon_pids "$1")" ] && return 0
        sleep 0.05
    done
    echo "uipsecd in $1 did not stop within 5 s" >&2
    return 1
}

daemon_pids() {
    local p
    for p in $(ip netns pids "$1" 2>/dev/null); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = uipsecd ] && echo "$p"
    done
    return 0
}

# crash_daemon NS: kills uipsecd's processes in NS as a power cut would.
# Both are stopped first: killed one by one, the child would see its
# parent go and stop cleanly, sending DELETEs a crash never sends.
crash_daemon() {
    local pids
    pids=$(daemon_pids "$1")
    [ -n "$pids" ] || return 0
    kill -STOP $pids 2>/dev/null
    kill -9 $pids 2>/dev/null
    return 0
}

# daemon_pid NS: the privileged parent among them (signals go to it).
daemon_pid() {
    local p pp
    for p in $(daemon_pids "$1"); do
        pp=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)
        [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = uipsecd ] || echo "$p"
    done
    return 0
}

ctl() { local ns=$1; shift; nsx "$ns" "$UIPSECCTL" --socket "$WORK/$ns.sock" "$@"; }

# ---- For the live tests (test_tunnels.sh, test_hostile.sh, test_daemon.sh) ----

PY=/usr/bin/python3 # Debian's: the one with python3-scapy and python3-cryptography
HERE=$TOP/tests/netns

# need_root_or_skip NAME: as need_root, but exit 77 (ctest's SKIP_RETURN_CODE).
need_root_or_skip() {
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP $1: needs root (network namespaces, veth, TUN)" >&2
        rmdir "$WORK" 2>/dev/null
        exit 77
    fi
}

# suite_key_bytes PROPOSAL: "ENC INTEG", the key lengths config.c wants, in
# bytes; AEAD enc_keys end with the 4-byte salt.
suite_key_bytes() {
    local p=${1%-esn} enc=0 integ=0
    case $p in
    aes128gcm16 | aes128gmac) echo "20 0"; return 0 ;;
    aes256gcm16 | aes256gmac | chacha20poly1305) echo "36 0"; return 0 ;;
    aes128-*) enc=16 ;;
    aes256-*) enc=32 ;;
    null-* | sha256 | sha384 | sha512) enc=0 ;;
    *) return 1 ;;
    esac
    case $p in
    *sha256) integ=32 ;;
    *sha384) integ=48 ;;
    *sha512) integ=64 ;;
    *) return 1 ;;
    esac
    echo "$enc $integ"
}

# hex_key BYTES: a random key as 0x-hex; nothing for 0 bytes.
hex_key() {
    [ "$1" -eq 0 ] || echo "0x$(openssl rand -hex "$1")"
}

# keys_block SPI ENC INTEG: the body of an in { } or out { } section.
keys_block() {
    echo "            spi = $1"
    [ -z "$2" ] || echo "            enc_key = $2"
    [ -z "$3" ] || echo "            integ_key = $3"
}

# make_confs DIR PROPOSAL MODE FAMILY [ENCAP [INNER [EXTRA]]]: DIR/left.conf
# and DIR/right.conf, one connection "net" with fresh random SPIs and keys,
# in and out mirrored.  FAMILY is the outer one (4: 192.0.2.x, 6:
# 2001:db8::x).  Tunnel mode protects, by INNER (4, 6 or 46; default:
# FAMILY), 10.10.1.0/24 and 2001:db8:1::/64 (left) to 10.10.2.0/24 and
# 2001:db8:2::/64 (right); transport mode the two gateways (the selectors
# default to their addresses).  EXTRA: lines for the connection.
make_confs() {
    local dir=$1 prop=$2 mode=$3 fam=$4 encap=${5:-no} inner=${6:-$4} extra=${7:-}
    local kind=esp_proposals sizes ek ik spi_lr spi_rl enc_lr enc_rl int_lr int_rl
    case ${prop%-esn} in sha256 | sha384 | sha512) kind=ah_proposals ;; esac
    sizes=$(suite_key_bytes "$prop") || { echo "make_confs: unknown proposal $prop" >&2; return 1; }
    read -r ek ik <<<"$sizes"
    spi_lr=0xc$(openssl rand -hex 4 | cut -c2-8)
    spi_rl=0xd$(openssl rand -hex 4 | cut -c2-8)
    enc_lr=$(hex_key "$ek") enc_rl=$(hex_key "$ek")
    int_lr=$(hex_key "$ik") int_rl=$(hex_key "$ik")
    mkdir -p "$dir"
    conf_side L "$prop" "$kind" "$mode" "$fam" "$encap" "$inner" "$extra" \
        "$spi_lr" "$enc_lr" "$int_lr" "$spi_rl" "$enc_rl" "$int_rl" >"$dir/left.conf"
    conf_side R "$prop" "$kind" "$mode" "$fam" "$encap" "$inner" "$extra" \
        "$spi_rl" "$enc_rl" "$int_rl" "$spi_lr" "$enc_lr" "$int_lr" >"$dir/right.conf"
    chmod 600 "$dir/left.conf" "$dir/right.conf"
}

# conf_side L|R PROPOSAL KIND MODE FAMILY ENCAP INNER EXTRA
#           OUT_SPI OUT_ENC OUT_INT IN_SPI IN_ENC IN_INT
conf_side() {
    local me=1 peer=2 lts rts
    [ "$1" = R ] && me=2 peer=1
    case $7 in
    4) lts=10.10.$me.0/24 rts=10.10.$peer.0/24 ;;
    6) lts=2001:db8:$me::/64 rts=2001:db8:$peer::/64 ;;
    *) lts="10.10.$me.0/24, 2001:db8:$me::/64" rts="10.10.$peer.0/24, 2001:db8:$peer::/64" ;;
    esac
    echo "uipsec {"
    echo "    interface = uipsec0"
    echo "    state_dir = $WORK/state-$1" # sequence marks of manual AEAD SAs
    echo "}"
    echo "manual {"
    echo "    net {"
    if [ "$5" = 6 ]; then
        echo "        local_addrs = 2001:db8::$me"
        echo "        remote_addrs = 2001:db8::$peer"
    else
        echo "        local_addrs = 192.0.2.$me"
        echo "        remote_addrs = 192.0.2.$peer"
    fi
    if [ "$4" = tunnel ]; then
        echo "        local_ts = $lts"
        echo "        remote_ts = $rts"
    fi
    echo "        mode = $4"
    echo "        $3 = $2"
    echo "        encap = $6"
    [ -z "$8" ] || printf '        %s\n' "$8"
    echo "        out {"
    keys_block "$9" "${10}" "${11}"
    echo "        }"
    echo "        in {"
    keys_block "${12}" "${13}" "${14}"
    echo "        }"
    echo "    }"
    echo "}"
}

# ping_ok NS SRC DST [COUNT]: COUNT echo requests, every one answered.
# Its output goes to $WORK/ping.log.
ping_ok() {
    local n=${4:-3} out
    out=$(nsx "$1" ping -n -c "$n" -i 0.05 -W 2 -I "$2" "$3" 2>&1)
    echo "$out" >>"$WORK/ping.log"
    grep -q " $n received" <<<"$out"
}

# wait_listen NS PORT: until a TCP socket listens on PORT in NS (5 s at most).
wait_listen() {
    for _ in $(seq 100); do
        nsx "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

# tcp_ok CLIENT_NS SERVER_NS SRC DST [BYTES]: iperf3 moves BYTES (default 1M)
# each way between SRC and DST, within 20 s.
tcp_ok() {
    local spid rc
    ip netns exec "$2" iperf3 -s -1 -B "$4" >"$WORK/iperf3-server.log" 2>&1 &
    spid=$!
    if ! wait_listen "$2" 5201; then
        kill "$spid" 2>/dev/null
        wait "$spid" 2>/dev/null
        return 1
    fi
    timeout 20 ip netns exec "$1" iperf3 -c "$4" -B "$3" -n "${5:-1M}" --bidir \
        >"$WORK/iperf3-client.log" 2>&1
    rc=$?
    kill "$spid" 2>/dev/null # still there only if the client never got through
    wait "$spid" 2>/dev/null
    return $rc
}

# capture_start NS IFACE FILE / capture_stop [flush]: capture.sh
. "$(dirname "${BASH_SOURCE[0]}")/capture.sh"

# sanitizer_report NS: the start of an ASan, LSan or UBSan report in the log
# of NS's uipsecd (builds with UIPSEC_SANITIZE); fails if there is none.
sanitizer_report() { grep -m3 -E "Sanitizer|runtime error" "$WORK/$1.log"; }

# ctl_json NS COMMAND: the daemon's answer to COMMAND as JSON.
ctl_json() { ctl "$1" --json "$2"; }

# Results of the plain-text suites (test_daemon, test_cleardrop,
# test_seqstore, test_ike): pass NAME; fail NAME [DETAIL...]; counted in
# passed and failed, which the suite sets to 0.
pass() { passed=$((passed + 1)); echo "ok    $1"; }
# suite_end NAME: both daemons stopped, a sanitizer report in either log
# failed, the summary line; its status is the suite's.
suite_end() {
    local ns report
    stop_daemon "$NS_L" 2>/dev/null
    stop_daemon "$NS_R" 2>/dev/null
    for ns in "$NS_L" "$NS_R"; do
        if report=$(sanitizer_report "$ns"); then fail "sanitizer report in $ns.log" "$report"; fi
    done
    echo "$1: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}
fail() {
    failed=$((failed + 1))
    echo "FAIL  $1"
    shift
    for line in "$@"; do printf '      %s\n' "$line"; done
}
