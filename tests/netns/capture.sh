# shellcheck shell=bash
# Packet captures for the namespace tests (tests/netns, tests/interop).

# capture_start NS IFACE FILE / capture_stop: dumpcap on IFACE into FILE
# (pcap).  dumpcap says "Capturing on" before it captures: it is ready once
# a probe is in the file, which it writes packet by packet as it writes to
# a pipe.  The probe is a ping to the IPv4 broadcast address of the veth:
# it goes out at once and nobody answers it.  The kernel hands dumpcap
# packets every 250 ms: wait that long before capture_stop, or give it
# "flush" and it waits.
capture_start() {
    rm -f "$3" "$3.log"
    ip netns exec "$1" dumpcap -q -P -i "$2" -w - >"$3" 2>"$3.log" &
    CAPTURE_PID=$!
    for _ in $(seq 60); do
        ip netns exec "$1" ping -b -n -c 1 -W 0.05 -I "$2" 192.0.2.255 >/dev/null 2>&1
        [ "$(stat -c %s "$3" 2>/dev/null || echo 0)" -gt 24 ] && return 0
        kill -0 "$CAPTURE_PID" 2>/dev/null || break
    done
    echo "dumpcap did not start:" >&2
    cat "$3.log" >&2
    return 1
}

capture_stop() {
    [ -n "${CAPTURE_PID:-}" ] || return 0
    [ "${1:-}" != flush ] || sleep 0.3
    kill -INT "$CAPTURE_PID" 2>/dev/null
    wait "$CAPTURE_PID" 2>/dev/null
    CAPTURE_PID=
}
