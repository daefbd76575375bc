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

# start_daemon NS CONFIG: runs uipsecd in NS with a private copy of CONFIG;
# its log is $WORK/NS.log and its control socket $WORK/NS.sock.
start_daemon() {
    local ns=$1 conf=$WORK/$1.conf
    install -m 600 "$2" "$conf"
    nsx "$ns" "$UIPSECD" --config "$conf" --socket "$WORK/$ns.sock" --foreground \
        ${DEBUG:+--debug} >"$WORK/$ns.log" 2>&1 &
    for _ in $(seq 50); do
        [ -S "$WORK/$ns.sock" ] && return 0
        sleep 0.1
    done
    echo "uipsecd in $ns did not start:" >&2
    cat "$WORK/$ns.log" >&2
    return 1
}

stop_daemon() {
    local pid
    pid=$(ip netns pids "$1" 2>/dev/null | head -1)
    [ -n "$pid" ] && kill "$pid" && wait "$pid" 2>/dev/null
    return 0
}

ctl() { local ns=$1; shift; nsx "$ns" "$UIPSECCTL" --socket "$WORK/$ns.sock" "$@"; }
