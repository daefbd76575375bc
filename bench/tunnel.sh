#!/bin/bash
# bench/tunnel.sh: throughput through the uipsecd tunnel between two network
# namespaces, side by side with the plain veth, wireguard-go and strongSwan
# (kernel-libipsec), in one run.  Needs root.
#
#   bench/tunnel.sh [--seconds S | --quick] [--runs N] [--only LIST]
#                   [--udp-len BYTES] [--udp-rate RATE] [--perf DIR] [--keep]
#
# Columns (each made fresh, one after the other):
#   veth          iperf3 over the plain veth, outer addresses 192.0.2.1 -> .2
#   uipsecd       uipsecd, examples/manual/{left,right}.conf: aes256gcm16, static keys,
#                 raw ESP (IP protocol 50)
#   uipsecd-udp   the same with encap = yes: ESP in UDP 4500 (RFC 3948), as
#                 strongSwan's kernel-libipsec always does
#   wireguard-go  the anchor: a current wireguard-go with batched UDP I/O, UDP
#                 GSO/GRO and TUN offloads (../shared/anchors/wireguard-go, or
#                 $WG_BIN); Debian's older one only when the anchor is missing.
#                 One TUN per namespace, keys made here
#   strongswan    strongSwan charon with kernel-libipsec, conn gcm256, through
#                 the shared interop harness (../shared/interop/strongswan or
#                 $UIPSEC_SHARED); n/a when the harness is missing
# The tunnels carry 10.10.1.1 (left) -> 10.10.2.1 (right), iperf3 client on
# the left, server on the right.
#
# Tests (iperf3, figures from the receiver):
#   tcp-1    TCP, 1 stream, Mbit/s
#   tcp-4    TCP, 4 streams (-P 4), Mbit/s summed
#   udp-64   UDP with 64-byte payloads (--udp-len), sent as fast as iperf3 can
#            (-b 0, or --udp-rate), received packets/s and loss
# Below the figures: the ratios uipsecd/veth, uipsecd/wireguard-go,
# uipsecd-udp/wireguard-go, uipsecd/strongswan and uipsecd-udp/strongswan
# (the like-for-like one), and
# the CPU the tunnel daemons of both sides used during each test.
#
# Options:
#   --seconds S     length of each iperf3 test (default 5)
#   --quick         2 s per test
#   --runs N        repeat the whole sequence N times, namespaces made anew
#                   each time; the tables show the median (default 1)
#   --only LIST     comma list of columns to run (default all five)
#   --udp-len B     UDP payload bytes (default 64)
#   --udp-rate R    iperf3 -b for the UDP test (default 0: unlimited)
#   --perf-udp     profile ESP in UDP (uipsecd-udp's configuration) with --perf
#   --perf DIR      afterwards, one more uipsecd TCP 1-stream run under
#                   `perf record -g` on both daemons; reports written to DIR
#   --keep          keep the work folder (logs, iperf3 JSON) and print its path
#   --workers N     uipsecd with workers = N (uipsec.workers; default: one per CPU)
#
# Every veth of every column has GRO on (veth has it off by default): that
# is what lets a UDP socket with UDP_GRO (wireguard-go's, uipsecd's ESP in
# UDP) take a train of datagrams in one receive, as on a real NIC.
#
# Environment: BUILD (default build), UIPSEC_SHARED (the shared folder, or the
# strongswan harness folder itself), NS_L/NS_R (uipsecd/wireguard-go/veth
# namespaces, default uipsec-bench-l/-r), SWAN_NS_L/SWAN_NS_R (strongSwan's,
# default swan-bench-l/-r): the defaults differ from the test suites' and the
# harness's own names so that a bench run and a test run on the same machine
# do not tear down each other's namespaces.
#
# Missing packages (iperf3, ethtool, wireguard-tools, python3; strongSwan
# through the harness's deps.sh) are installed with apt-get
# --no-install-recommends when the script runs.  Everything it starts is
# stopped and every namespace it made is deleted at exit, also on failure or
# Ctrl-C.  Exit status: 0 all columns measured (or n/a), 1 a column or a
# test failed, 2 bad arguments.
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

SECS=5
RUNS=1
ONLY="veth,uipsecd,uipsecd-udp,wireguard-go,strongswan"
UDP_LEN=64
UDP_RATE=0
PERF_DIR=
PERF_UDP=
KEEP_WORK=
WORKERS=
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECS=${2:-}; shift 2 ;;
        --quick) SECS=2; shift ;;
        --runs) RUNS=${2:-}; shift 2 ;;
        --only) ONLY=${2:-}; shift 2 ;;
        --udp-len) UDP_LEN=${2:-}; shift 2 ;;
        --udp-rate) UDP_RATE=${2:-}; shift 2 ;;
        --perf) PERF_DIR=${2:-}; shift 2 ;;
        --perf-udp) PERF_UDP=1; shift ;;
        --keep) KEEP_WORK=1; shift ;;
        --workers) WORKERS=${2:-}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "tunnel.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
for v in seconds:$SECS runs:$RUNS udp-len:$UDP_LEN ${WORKERS:+workers:$WORKERS}; do
    case "${v#*:}" in ''|*[!0-9]*|0) echo "tunnel.sh: --${v%%:*} needs a positive whole number" >&2; exit 2 ;; esac
done
case "$UDP_RATE" in ''|*[!0-9KMGkmg]*) echo "tunnel.sh: --udp-rate: e.g. 0, 200M, 1G" >&2; exit 2 ;; esac
ALL_COLS="veth uipsecd uipsecd-udp wireguard-go strongswan"
COLS=
for c in ${ONLY//,/ }; do
    case " $ALL_COLS " in *" $c "*) COLS="$COLS $c" ;;
        *) echo "tunnel.sh: --only: unknown column '$c' (known: $ALL_COLS)" >&2; exit 2 ;; esac
done
[ -n "$COLS" ] || { echo "tunnel.sh: --only: no column" >&2; exit 2; }

if [ "$(id -u)" != 0 ]; then
    echo "tunnel.sh needs root: it creates network namespaces, veth pairs and TUN devices." >&2
    exit 1
fi

BENCH=$(mktemp -d /tmp/uipsec-tunnel-bench.XXXXXX)
NS_L=${NS_L:-uipsec-bench-l}
NS_R=${NS_R:-uipsec-bench-r}
WORK=$BENCH/ns # lib.sh's folder: logs and control sockets of uipsecd
. "$(cd "$(dirname "$0")" && pwd)/../tests/netns/lib.sh"
SWAN_L=${SWAN_NS_L:-swan-bench-l}
SWAN_R=${SWAN_NS_R:-swan-bench-r}
WG_L=wg-bench-l # interface names: wireguard-go's socket is /var/run/wireguard/NAME.sock,
WG_R=wg-bench-r # outside the namespaces, so the two sides need different names
PORT=5201
RES=$BENCH/results.tsv # column test run value(s)
LOGS=$BENCH/logs
mkdir -p "$LOGS"
: >"$RES"
FAILED=0
SWANDIR=
SWAN_WHY=
SRV_PID=

# ---------------------------------------------------------------- teardown

swan_down() {
    [ -n "$SWANDIR" ] || return 0
    LEFT_NS=$SWAN_L RIGHT_NS=$SWAN_R SWAN_STATE=$BENCH/swan bash "$SWANDIR/swan.sh" stop "$SWAN_L" >/dev/null 2>&1
    LEFT_NS=$SWAN_L RIGHT_NS=$SWAN_R SWAN_STATE=$BENCH/swan bash "$SWANDIR/swan.sh" stop "$SWAN_R" >/dev/null 2>&1
    LEFT_NS=$SWAN_L RIGHT_NS=$SWAN_R bash "$SWANDIR/netns-pair.sh" down >/dev/null 2>&1
    return 0
}

pair_down() {
    ns_down >/dev/null 2>&1
    rm -f "/var/run/wireguard/$WG_L.sock" "/var/run/wireguard/$WG_R.sock"
    return 0
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null; fi
    pair_down
    swan_down
    if [ -n "$KEEP_WORK" ]; then
        echo "work folder kept: $BENCH"
    else
        rm -rf "$BENCH"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# gro_on NS: GRO on every veth of the namespace.
gro_on() {
    local ifn
    for ifn in $(ip -n "$1" -o link show type veth | awk -F'[:@ ]+' '{print $2}'); do
        nsx "$1" ethtool -K "$ifn" gro on >/dev/null 2>&1
    done
}

# lib.sh's ns_up installs its own EXIT trap: put ours back.
pair_up() {
    ns_up >/dev/null 2>&1 || return 1
    trap cleanup EXIT
    gro_on "$NS_L"
    gro_on "$NS_R"
    for _ in $(seq 30); do
        nsx "$NS_L" ping -c1 -W1 -q 192.0.2.2 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- packages

install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing ${missing[*]} (apt-get --no-install-recommends)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOGS/apt.log" 2>&1 ||
        { tail -5 "$LOGS/apt.log" >&2; return 1; }
}

install_missing iperf3 python3 iproute2 iputils-ping ethtool ||
    { echo "tunnel.sh: cannot install iperf3/python3/ethtool" >&2; exit 1; }
WG_WHY=
WG_BIN=${WG_BIN:-}
if [ -z "$WG_BIN" ]; then
    for d in ${UIPSEC_SHARED:+"$UIPSEC_SHARED"} "$TOP/../shared"; do
        [ -x "$d/anchors/wireguard-go/wireguard-go" ] && { WG_BIN=$(cd "$d/anchors/wireguard-go" && pwd)/wireguard-go; break; }
    done
fi
case " $COLS " in *" wireguard-go "*)
    if [ -n "$WG_BIN" ]; then
        install_missing wireguard-tools || WG_WHY="apt-get install wireguard-tools failed"
    else
        install_missing wireguard-go wireguard-tools || WG_WHY="apt-get install wireguard-go wireguard-tools failed"
        WG_BIN=$(command -v wireguard-go)
    fi ;;
esac
case " $COLS " in *" uipsecd"*)
    [ -x "$UIPSECD" ] || { echo "tunnel.sh: $UIPSECD missing; run 'make build' first" >&2; exit 1; } ;;
esac
case " $COLS " in *" strongswan "*)
    if [ -n "${UIPSEC_SHARED:-}" ]; then
        cands=("$UIPSEC_SHARED/interop/strongswan" "$UIPSEC_SHARED")
    else
        cands=("$TOP/../shared/interop/strongswan")
    fi
    for d in "${cands[@]}"; do
        if [ -f "$d/swan.sh" ] && [ -f "$d/netns-pair.sh" ] && [ -f "$d/deps.sh" ]; then
            SWANDIR=$(cd "$d" && pwd)
            break
        fi
    done
    if [ -z "$SWANDIR" ]; then
        SWAN_WHY="no strongSwan harness (swan.sh, netns-pair.sh, deps.sh) in ${cands[*]}"
    elif ! bash "$SWANDIR/deps.sh" >"$LOGS/swan-deps.log" 2>&1; then
        SWAN_WHY="the harness's deps.sh failed (its last lines are above)"
        tail -3 "$LOGS/swan-deps.log" >&2
    fi
    ;;
esac

# ---------------------------------------------------------------- measuring

# CPU ticks (user + system, all threads) of the given processes.
cpu_ticks() {
    local t=0 p f
    for p in "$@"; do
        f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        set -- $f
        t=$((t + ${12} + ${13}))
    done
    echo "$t"
}

# Packets the kernel dropped in both namespaces, as "SOCKET INTERFACE":
# SOCKET is the drop count of the tunnel's own sockets (every raw socket,
# and UDP sockets on port 4500 or 51820): the receive queue of a daemon that
# did not read fast enough; INTERFACE is rx_dropped + tx_dropped of every
# interface (a TUN queue the daemon did not empty, a full veth backlog).
kernel_drops() {
    local ns sock=0 ifd=0 v
    for ns in "$@"; do
        v=$(nsx "$ns" awk 'FNR > 1 && (FILENAME ~ /raw/ || $2 ~ /:(1194|CA6C)$/) { s += $NF }
                          END { print s + 0 }' /proc/net/raw /proc/net/udp 2>/dev/null) || v=0
        sock=$((sock + ${v:-0}))
        v=$(nsx "$ns" sh -c 'cat /sys/class/net/*/statistics/rx_dropped /sys/class/net/*/statistics/tx_dropped' 2>/dev/null |
            awk '{ s += $1 } END { print s + 0 }') || v=0
        ifd=$((ifd + ${v:-0}))
    done
    echo "$sock $ifd"
}

# iperf_run COL TEST RUN LNS RNS SERVER CLIENT DAEMON_PIDS -- IPERF3 ARGS
# Writes the client's JSON to $LOGS and one line to $RES.
iperf_run() {
    local col=$1 test=$2 run=$3 lns=$4 rns=$5 saddr=$6 caddr=$7 pids=$8
    shift 9
    local json=$LOGS/$col.$test.$run.json t0 t1 c0 c1 hz d0 d1
    hz=$(getconf CLK_TCK)
    nsx "$rns" iperf3 -s -1 -B "$saddr" -p $PORT >"$LOGS/$col.$test.$run.server" 2>&1 &
    SRV_PID=$!
    for _ in $(seq 50); do
        nsx "$rns" ss -ltn "sport = :$PORT" 2>/dev/null | grep -q LISTEN && break
        sleep 0.1
    done
    d0=$(kernel_drops "$lns" "$rns")
    c0=$(cpu_ticks $pids)
    t0=$(date +%s.%N)
    timeout $((SECS + 30)) ip netns exec "$lns" iperf3 -c "$saddr" -B "$caddr" -p $PORT \
        -t "$SECS" -J "$@" >"$json" 2>&1
    t1=$(date +%s.%N)
    c1=$(cpu_ticks $pids)
    d1=$(kernel_drops "$lns" "$rns")
    # the server exits after one test; give it a moment, then make sure
    for _ in $(seq 30); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=
    python3 - "$json" "$col" "$test" "$run" "$c0" "$c1" "$t0" "$t1" "$hz" "${pids:+1}" "$d0" "$d1" >>"$RES" <<'EOF'
import json, sys
path, col, test, run, c0, c1, t0, t1, hz, have, d0, d1 = sys.argv[1:]
cpu = "-"
if have:
    cpu = "%.0f" % (100.0 * (int(c1) - int(c0)) / int(hz) / (float(t1) - float(t0)))
drops = "\t".join(str(int(b) - int(a)) for a, b in zip(d0.split(), d1.split()))
retr = "-"
try:
    d = json.load(open(path))
    if "error" in d:
        raise ValueError(d["error"])
    if test.startswith("tcp"):
        s = d["end"]["sum_received"]
        retr = d["end"]["sum_sent"].get("retransmits", "-")
        print(f"{col}\t{test}\t{run}\tok\t{s['bits_per_second'] / 1e6:.1f}\t-\t-\t{cpu}"
              f"\t{drops}\t{retr}")
    else:
        s = d["end"].get("sum_received") or d["end"]["sum"]
        secs = s["seconds"] or float(t1) - float(t0)
        got = s["packets"] - s["lost_packets"]
        print(f"{col}\t{test}\t{run}\tok\t{got / secs:.0f}\t{s['lost_percent']:.1f}"
              f"\t{s['packets'] / secs:.0f}\t{cpu}\t{drops}\t{retr}")
except Exception as e:
    msg = str(e).replace("\t", " ").replace("\n", " ")[:80]
    print(f"{col}\t{test}\t{run}\terror\t{msg}\t-\t-\t{cpu}\t{drops}\t{retr}")
EOF
    tail -1 "$RES" | grep -q "	ok	" || FAILED=1
}

# run_tests COL RUN LNS RNS SERVER CLIENT DAEMON_PIDS
run_tests() {
    local col=$1 run=$2 lns=$3 rns=$4 s=$5 c=$6 pids=$7
    iperf_run "$col" tcp-1 "$run" "$lns" "$rns" "$s" "$c" "$pids" --
    iperf_run "$col" tcp-4 "$run" "$lns" "$rns" "$s" "$c" "$pids" -- -P 4
    iperf_run "$col" udp-64 "$run" "$lns" "$rns" "$s" "$c" "$pids" -- -u -l "$UDP_LEN" -b "$UDP_RATE"
}

# fail COL RUN REASON: every test of the column gets the reason
fail() {
    local t
    for t in tcp-1 tcp-4 udp-64; do
        printf '%s\t%s\t%s\tfail\t%s\t-\t-\t-\t-\t-\t-\n' "$1" "$t" "$2" "$3" >>"$RES"
    done
    echo "  $1: FAILED: $3" >&2
    FAILED=1
}

na() {
    local t
    for t in tcp-1 tcp-4 udp-64; do
        printf '%s\t%s\t%s\tna\t%s\t-\t-\t-\t-\t-\t-\n' "$1" "$t" "$2" "$3" >>"$RES"
    done
    echo "  $1: n/a: $3"
}

# wait until LNS reaches ADDR from SRC through the tunnel
tunnel_ping() {
    local lns=$1 src=$2 dst=$3
    for _ in $(seq 40); do
        nsx "$lns" ping -c1 -W1 -q -I "$src" "$dst" >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    return 1
}

ns_pids() { ip netns pids "$1" 2>/dev/null | tr '\n' ' '; }

# ---------------------------------------------------------------- columns

col_veth() {
    local run=$1
    pair_up || { fail veth "$run" "cannot make the namespaces"; pair_down; return; }
    run_tests veth "$run" "$NS_L" "$NS_R" 192.0.2.2 192.0.2.1 ""
    pair_down
}

uipsecd_report() {
    local col=$1 run=$2 ns
    for ns in "$NS_L" "$NS_R"; do
        ctl "$ns" status >"$LOGS/$col.$run.$ns.status" 2>&1
        ctl "$ns" list-sas >"$LOGS/$col.$run.$ns.sas" 2>&1
    done
}

uipsecd_pid() {
    local p
    for p in $(ip netns pids "$1" 2>/dev/null); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = uipsecd ] && echo "$p"
    done
}

col_uipsecd() {
    local col=$1 run=$2 lconf=$TOP/examples/manual/left.conf rconf=$TOP/examples/manual/right.conf pids ns
    if [ "$col" = uipsecd-udp ] || [ -n "$WORKERS" ]; then
        # the same tunnel, with ESP in UDP 4500 (RFC 3948) for uipsecd-udp,
        # and workers = N (--workers)
        local encap='s/^\( *\)mode = tunnel$/&/' work='s/^\( *\)interface = uipsec0$/&/'
        [ "$col" = uipsecd-udp ] && encap='s/^\( *\)mode = tunnel$/&\n\1encap = yes/'
        [ -n "$WORKERS" ] && work="s/^\\( *\\)interface = uipsec0\$/&\\n\\1workers = $WORKERS/"
        lconf=$BENCH/left-$col.conf
        rconf=$BENCH/right-$col.conf
        sed "$encap; $work" "$TOP/examples/manual/left.conf" >"$lconf"
        sed "$encap; $work" "$TOP/examples/manual/right.conf" >"$rconf"
        { [ "$col" != uipsecd-udp ] || grep -q 'encap = yes' "$lconf"; } &&
            { [ -z "$WORKERS" ] || grep -q "workers = $WORKERS" "$rconf"; } ||
            { fail "$col" "$run" "cannot make the uipsecd configuration"; return; }
    fi
    pair_up || { fail "$col" "$run" "cannot make the namespaces"; pair_down; return; }
    if ! start_daemon "$NS_L" "$lconf" 2>"$LOGS/$col.$run.start" ||
       ! start_daemon "$NS_R" "$rconf" 2>>"$LOGS/$col.$run.start"; then
        fail "$col" "$run" "uipsecd did not start: $(head -c 200 "$LOGS/$col.$run.start" | tr '\n' ' ')"
        pair_down; return
    fi
    if ! tunnel_ping "$NS_L" 10.10.1.1 10.10.2.1; then
        fail "$col" "$run" "no ping through the tunnel"
        cp "$WORK"/*.log "$LOGS/" 2>/dev/null
        pair_down; return
    fi
    pids="$(ns_pids "$NS_L")$(ns_pids "$NS_R")"
    run_tests "$col" "$run" "$NS_L" "$NS_R" 10.10.2.1 10.10.1.1 "$pids"
    uipsecd_report "$col" "$run"
    for ns in "$NS_L" "$NS_R"; do
        if [ -z "$(uipsecd_pid "$ns")" ]; then
            echo "  $col: uipsecd in $ns is GONE after the tests; its log:" >&2
            tail -20 "$WORK/$ns.log" >&2
            FAILED=1
        fi
    done
    cp "$WORK"/*.log "$LOGS/" 2>/dev/null
    pair_down
}

# wg_side RUN NS IFACE KEY PEER_PUB PEER_OUTER LOCAL_INNER PEER_NET: one end
wg_side() {
    local run=$1 ns=$2 ifn=$3 key=$4 peer=$5 endpoint=$6 inner=$7 net=$8
    nsx "$ns" env WG_PROCESS_FOREGROUND=1 "$WG_BIN" "$ifn" >"$LOGS/wireguard-go.$run.$ns.log" 2>&1 &
    for _ in $(seq 50); do
        [ -S "/var/run/wireguard/$ifn.sock" ] && break
        sleep 0.1
    done
    nsx "$ns" wg set "$ifn" listen-port 51820 private-key "$key" \
        peer "$peer" endpoint "$endpoint:51820" allowed-ips "$net" &&
    nsx "$ns" ip link set "$ifn" up &&
    nsx "$ns" ip route add "$net" dev "$ifn" src "$inner"
}

col_wireguard() {
    local run=$1 pl pr pids
    if [ -n "$WG_WHY" ]; then na wireguard-go "$run" "$WG_WHY"; return; fi
    pair_up || { fail wireguard-go "$run" "cannot make the namespaces"; pair_down; return; }
    (umask 077; wg genkey >"$BENCH/wg-l.key"; wg genkey >"$BENCH/wg-r.key")
    pl=$(wg pubkey <"$BENCH/wg-l.key")
    pr=$(wg pubkey <"$BENCH/wg-r.key")
    if ! wg_side "$run" "$NS_L" "$WG_L" "$BENCH/wg-l.key" "$pr" 192.0.2.2 10.10.1.1 10.10.2.0/24 2>"$LOGS/wg.$run.err" ||
       ! wg_side "$run" "$NS_R" "$WG_R" "$BENCH/wg-r.key" "$pl" 192.0.2.1 10.10.2.1 10.10.1.0/24 2>>"$LOGS/wg.$run.err"; then
        fail wireguard-go "$run" "set-up failed: $(head -c 200 "$LOGS/wg.$run.err" | tr '\n' ' ')"
        pair_down; return
    fi
    if ! tunnel_ping "$NS_L" 10.10.1.1 10.10.2.1; then
        fail wireguard-go "$run" "no ping through the tunnel"
        pair_down; return
    fi
    pids="$(ns_pids "$NS_L")$(ns_pids "$NS_R")"
    run_tests wireguard-go "$run" "$NS_L" "$NS_R" 10.10.2.1 10.10.1.1 "$pids"
    nsx "$NS_L" wg show "$WG_L" >"$LOGS/wireguard-go.$run.left.show" 2>&1
    nsx "$NS_R" wg show "$WG_R" >"$LOGS/wireguard-go.$run.right.show" 2>&1
    pair_down
}

col_strongswan() {
    local run=$1 pids
    if [ -n "$SWAN_WHY" ]; then na strongswan "$run" "$SWAN_WHY"; return; fi
    swan_down
    rm -rf "$BENCH/swan"
    local H="env LEFT_NS=$SWAN_L RIGHT_NS=$SWAN_R SWAN_STATE=$BENCH/swan bash $SWANDIR"
    if ! $H/netns-pair.sh up >"$LOGS/swan.$run.log" 2>&1 ||
       ! $H/swan.sh start "$SWAN_R" "$SWANDIR/conf/right" >>"$LOGS/swan.$run.log" 2>&1 ||
       ! $H/swan.sh start "$SWAN_L" "$SWANDIR/conf/left" >>"$LOGS/swan.$run.log" 2>&1 ||
       ! $H/swan.sh swanctl "$SWAN_L" --initiate --ike gcm256 --child gcm256 --timeout 20 \
            >>"$LOGS/swan.$run.log" 2>&1; then
        fail strongswan "$run" "harness set-up failed: $(tail -2 "$LOGS/swan.$run.log" | tr '\n' ' ')"
        cp "$BENCH"/swan/*/charon.log "$LOGS/" 2>/dev/null
        swan_down; return
    fi
    if ! tunnel_ping "$SWAN_L" 10.10.1.1 10.10.2.1; then
        fail strongswan "$run" "no ping through the tunnel"
        swan_down; return
    fi
    gro_on "$SWAN_L"
    gro_on "$SWAN_R"
    pids="$(ns_pids "$SWAN_L")$(ns_pids "$SWAN_R")"
    run_tests strongswan "$run" "$SWAN_L" "$SWAN_R" 10.10.2.1 10.10.1.1 "$pids"
    $H/swan.sh swanctl "$SWAN_L" --list-sas >"$LOGS/swan.$run.sas" 2>&1
    swan_down
}

# ---------------------------------------------------------------- the run

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "tunnel.sh: $(nproc) CPUs, $(uname -r), ${SECS} s per test, $RUNS run(s), columns:$COLS"
bt=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
rev=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)
[ -n "$rev" ] && [ -n "$(git -C "$TOP" status --porcelain --untracked-files=no 2>/dev/null)" ] && rev="$rev+changes"
echo "uipsecd: $UIPSECD (${bt:-RelWithDebInfo, the default}; built $(date -r "$UIPSECD" '+%F %T' 2>/dev/null); tree ${rev:-unknown})"
case " $COLS " in *" wireguard-go "*)
    [ -n "$WG_BIN" ] && echo "wireguard-go: $WG_BIN ($("$WG_BIN" --version 2>/dev/null | head -1))" ;;
esac
echo "load average at start: $(load)"
for run in $(seq "$RUNS"); do
    for col in $COLS; do
        echo "run $run: $col (load $(load))"
        case $col in
            veth) col_veth "$run" ;;
            uipsecd|uipsecd-udp) col_uipsecd "$col" "$run" ;;
            wireguard-go) col_wireguard "$run" ;;
            strongswan) col_strongswan "$run" ;;
        esac
    done
done
echo "load average at end: $(load)"
echo

python3 - "$RES" "$COLS" "$RUNS" "$UDP_LEN" <<'EOF'
import statistics, sys
path, cols, runs, udp_len = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), sys.argv[4]
rows = {}
for line in open(path):
    col, test, run, status, val, loss, sent, cpu, sdrop, idrop, retr = line.rstrip("\n").split("\t")
    rows.setdefault((col, test), []).append((status, val, loss, sent, cpu, sdrop, idrop, retr))
tests = [("tcp-1", "TCP 1 stream, Mbit/s"), ("tcp-4", "TCP 4 streams, Mbit/s"),
         ("udp-64", f"UDP {udp_len} B, received kpps")]

def med(col, test, i=1):
    ok = [float(r[i]) for r in rows.get((col, test), []) if r[0] == "ok" and r[i] != "-"]
    return statistics.median(ok) if ok else None

def cell(col, test):
    r = rows.get((col, test), [])
    v = med(col, test)
    if v is None:
        if not r:
            return "-"
        return "n/a" if r[0][0] == "na" else "FAILED"
    if test.startswith("udp"):
        return f"{v / 1000:.0f} ({med(col, test, 2):.0f}% lost)"
    return f"{v:.0f}"

w = [24] + [18] * len(cols)
def line(cells):
    print("".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(cells)))

print(f"median of {runs} run(s); receiver side; UDP: kpps received (share of sent packets lost)")
line(["test"] + cols)
for t, name in tests:
    line([name] + [cell(c, t) for c in cols])

ratios = [("uipsecd", "veth"), ("uipsecd", "wireguard-go"), ("uipsecd-udp", "wireguard-go"),
          ("uipsecd", "strongswan"), ("uipsecd-udp", "strongswan")]
ratios = [(a, b) for a, b in ratios if a in cols and b in cols]
if ratios:
    print()
    w = [24] + [26] * len(ratios)
    line(["ratio"] + [f"{a}/{b}" for a, b in ratios])
    for t, name in tests:
        out = []
        for a, b in ratios:
            x, y = med(a, t), med(b, t)
            out.append(f"{x / y:.2f}" if x is not None and y else "n/a")
        line([name.split(",")[0]] + out)

daemons = [c for c in cols if c != "veth"]
if daemons:
    print()
    print("CPU of the tunnel daemons, both sides added, % of one core (user + system time of their")
    print("processes), and in brackets the figure above per core of it (Mbit/s or kpps per 100%)")
    w = [24] + [18] * len(daemons)
    line(["test"] + daemons)
    for t, name in tests:
        out = []
        for c in daemons:
            v = med(c, t, 4)
            per = [float(r[1]) / float(r[4]) * 100 for r in rows.get((c, t), [])
                   if r[0] == "ok" and r[4] not in ("-", "0")]
            if v is None:
                out.append("-")
            elif per:
                p = statistics.median(per) / (1000 if t.startswith("udp") else 1)
                out.append(f"{v:.0f}% ({p:.0f})")
            else:
                out.append(f"{v:.0f}%")
        line([name.split(",")[0]] + out)

def worst(col, test, i):
    v = [int(r[i]) for r in rows.get((col, test), []) if r[0] in ("ok", "error") and r[i] != "-"]
    return max(v) if v else None

print()
print("packets dropped by the kernel, both sides, most in one run: tunnel sockets' receive queues /")
print("interface queues (TUN, veth) / TCP retransmits (UDP: packets sent, kpps)")
w = [24] + [18] * len(cols)
line(["test"] + cols)
for t, name in tests:
    out = []
    for c in cols:
        a, b = worst(c, t, 5), worst(c, t, 6)
        if a is None:
            out.append("-")
            continue
        if t.startswith("udp"):
            third = med(c, t, 3)
            third = "-" if third is None else f"{third / 1000:.0f}"
        else:
            third = worst(c, t, 7)
        out.append(f"{a}/{b}/{third}")
    line([name.split(",")[0]] + out)

bad = [(c, t, r) for (c, t), rs in rows.items() for r in rs if r[0] in ("fail", "error", "na")]
seen = set()
for c, t, r in bad:
    key = (c, r[0], r[1])
    if key in seen:
        continue
    seen.add(key)
    print(f"{c}: {'n/a' if r[0] == 'na' else r[0]}: {r[1]}")
EOF

if [ -n "$PERF_DIR" ]; then
    mkdir -p "$PERF_DIR"
    PERF_DIR=$(cd "$PERF_DIR" && pwd)
    echo
    echo "perf: one more uipsecd TCP 1-stream run of ${SECS} s under perf record -g, both daemons"
    if ! command -v perf >/dev/null; then
        install_missing linux-perf || echo "perf: cannot install linux-perf" >&2
    fi
    plc=$TOP/examples/manual/left.conf prc=$TOP/examples/manual/right.conf
    if [ -n "$PERF_UDP" ]; then
        plc=$BENCH/left-udp.conf prc=$BENCH/right-udp.conf
        sed 's/^\( *\)mode = tunnel$/&\n\1encap = yes/' "$TOP/examples/manual/left.conf" >"$plc"
        sed 's/^\( *\)mode = tunnel$/&\n\1encap = yes/' "$TOP/examples/manual/right.conf" >"$prc"
    fi
    pair_up && start_daemon "$NS_L" "$plc" && start_daemon "$NS_R" "$prc" &&
        tunnel_ping "$NS_L" 10.10.1.1 10.10.2.1 || { echo "perf: set-up failed" >&2; exit 1; }
    pl=$(uipsecd_pid "$NS_L" | paste -sd,) # both processes: the parent and the network one
    pr=$(uipsecd_pid "$NS_R" | paste -sd,)
    nsx "$NS_R" iperf3 -s -1 -B 10.10.2.1 -p $PORT >/dev/null 2>&1 &
    SRV_PID=$!
    sleep 0.5
    perf record -q -g -o "$PERF_DIR/uipsecd-left.data" -p "$pl" -- sleep "$SECS" >/dev/null 2>&1 &
    p1=$!
    perf record -q -g -o "$PERF_DIR/uipsecd-right.data" -p "$pr" -- sleep "$SECS" >/dev/null 2>&1 &
    p2=$!
    perf record -q -a -o "$PERF_DIR/system.data" -- sleep "$SECS" >/dev/null 2>&1 &
    p3=$!
    nsx "$NS_L" iperf3 -c 10.10.2.1 -B 10.10.1.1 -p $PORT -t "$SECS" -f m | grep receiver
    wait $p1 $p2 $p3
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=
    for s in left right; do
        perf report -i "$PERF_DIR/uipsecd-$s.data" --no-children --sort dso,sym -g none --stdio \
            2>/dev/null | grep -v '^$' >"$PERF_DIR/uipsecd-$s.self.txt"
        perf report -i "$PERF_DIR/uipsecd-$s.data" --no-children --sort dso -g none --stdio \
            2>/dev/null | grep -v '^$' >"$PERF_DIR/uipsecd-$s.dso.txt"
        perf report -i "$PERF_DIR/uipsecd-$s.data" --children --sort sym -g none --stdio \
            2>/dev/null | grep -v '^$' >"$PERF_DIR/uipsecd-$s.children.txt"
    done
    perf report -i "$PERF_DIR/system.data" --sort comm,dso --stdio 2>/dev/null | grep -v '^$' >"$PERF_DIR/system.txt"
    echo "perf: data and reports in $PERF_DIR (uipsecd-{left,right}.{self,dso,children}.txt, system.txt)"
    python3 - "$PERF_DIR" <<'EOF2'
import re, sys
d = sys.argv[1]
def rows(name):
    out = []
    for l in open(f"{d}/{name}"):
        if l.startswith("#"):
            continue
        m = re.match(r"\s*([\d.]+)%\s+(?:([\d.]+)%\s+)?(.*)$", l)
        if m:
            out.append((float(m.group(1)), m.group(3).strip()))
    return out
calls = [("sendmmsg (outer packets out, and the veth peer's receive path)",
          ("__libc_sendto", "__x64_sys_sendto", "__x64_sys_sendmmsg", "sendmmsg",
           "raw_sendmsg", "udp_sendmsg")),
         ("write to TUN (inner packets in, and the inner TCP/UDP receive)",
          ("__GI___libc_write", "__libc_write", "__x64_sys_write", "__x64_sys_writev",
           "writev", "tun_chr_write_iter")),
         ("read from TUN", ("__GI___libc_read", "__x64_sys_read", "__x64_sys_readv", "readv",
                            "tun_chr_read_iter")),
         ("recvmmsg on the outer sockets", ("__libc_recvmsg", "__x64_sys_recvmsg",
                                            "__x64_sys_recvmmsg", "recvmmsg")),
         ("epoll_wait", ("epoll_wait", "__x64_sys_epoll_wait", "do_epoll_wait"))]
for side in ("left", "right"):
    print(f"uipsecd {side} ({'sends ESP, receives the ACKs' if side == 'left' else 'receives ESP, sends the ACKs'}):")
    dso = rows(f"uipsecd-{side}.dso.txt")
    print("  by object:  " + ", ".join(f"{n.split()[-1]} {p:.1f}%" for p, n in dso[:5]))
    ch = {n.split()[-1]: p for p, n in rows(f"uipsecd-{side}.children.txt")}
    print("  in syscalls, callees included:")
    for what, syms in calls:
        p = max(ch.get(x, 0.0) for x in syms)
        print(f"    {p:5.1f}%  {what}")
    print("  top symbols, own time:")
    for p, n in rows(f"uipsecd-{side}.self.txt")[:12]:
        print(f"    {p:5.2f}%  {n}")
print("whole machine during the run, by command:")
by = {}
for p, n in rows("system.txt"):
    by[n.split()[0]] = by.get(n.split()[0], 0) + p
print("  " + ", ".join(f"{c} {p:.1f}%" for c, p in sorted(by.items(), key=lambda x: -x[1])[:8]))
EOF2
    pair_down
fi
exit "$FAILED"
