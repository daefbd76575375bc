#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A VICI client written from the protocol's description, for what swanctl
never sends (test_vici.sh): unknown commands and events, malformed and
oversized packets, slow and surplus clients.  Prints "ok - ..." /
"not ok - ..." lines.   Usage: vici_raw.py SOCKET [parked CHILD]
"""
import socket
import struct
import sys
import time

from tap import FAILED, result

CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
EVENT_REGISTER, EVENT_UNREGISTER, EVENT_CONFIRM, EVENT_UNKNOWN, EVENT = 3, 4, 5, 6, 7


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # blocking: waits for room in the listen backlog
    s.settimeout(10)
    return s


def named(ptype, name, msg=b""):
    body = bytes([ptype, len(name)]) + name.encode() + msg
    return struct.pack(">I", len(body)) + body


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            return None
        out += chunk
    return out


def recv_packet(s):
    head = recv_exact(s, 4)
    if head is None:
        return None
    return recv_exact(s, struct.unpack(">I", head)[0])


def closed(s, wait=10):
    """True if the daemon closes the connection (within wait seconds)."""
    s.settimeout(wait)
    try:
        while True:
            if not s.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def answers_version(path):
    s = connect(path)
    s.sendall(named(CMD_REQUEST, "version"))
    p = recv_packet(s)
    s.close()
    return p is not None and p[0] == CMD_RESPONSE and b"uipsecd" in p


def kv(key, value):
    return bytes([3, len(key)]) + key.encode() + struct.pack(">H", len(value)) + value.encode()


def parked(path, child):
    """An initiate that waits (child never comes up, 2 s timeout) and a
    version request sent behind it: answered in order, the version after
    the wait."""
    s = connect(path)
    s.sendall(named(EVENT_REGISTER, "control-log"))  # its log lines come while it waits
    confirm = recv_packet(s)
    s.sendall(named(CMD_REQUEST, "initiate", kv("child", child) + kv("timeout", "2000")))
    t0 = time.monotonic()
    time.sleep(0.3)  # parked by now: these bytes wait in the socket
    s.sendall(named(CMD_REQUEST, "version"))
    events = 0
    while True:
        first = recv_packet(s) or b""
        if first[:1] != bytes([EVENT]):
            break
        events += 1
    waited = time.monotonic() - t0
    second = recv_packet(s) or b""
    s.close()
    result(confirm == bytes([EVENT_CONFIRM]) and events > 0,
           "a client registered for control-log gets its initiation's lines", (confirm, events))
    result(first[:1] == bytes([CMD_RESPONSE]) and b"timed out" in first and 1.5 < waited < 4,
           "a waiting initiate answers at its timeout", (waited, first))
    result(second[:1] == bytes([CMD_RESPONSE]) and b"uipsecd" in second,
           "the request sent behind it is answered after it", second)
    return 1 if FAILED else 0


def main(path):
    s = connect(path)
    s.sendall(named(CMD_REQUEST, "no-such-command"))
    p = recv_packet(s)
    result(p == bytes([CMD_UNKNOWN]), "an unknown command is answered CMD_UNKNOWN", p)
    s.sendall(named(EVENT_REGISTER, "no-such-event"))
    p = recv_packet(s)
    result(p == bytes([EVENT_UNKNOWN]), "an unknown event is answered EVENT_UNKNOWN", p)
    s.sendall(named(EVENT_REGISTER, "ike-updown") + named(EVENT_UNREGISTER, "ike-updown"))
    p, q = recv_packet(s), recv_packet(s)
    result(p == q == bytes([EVENT_CONFIRM]), "register and unregister are confirmed", (p, q))
    s.sendall(named(CMD_REQUEST, "get-pools"))
    p = recv_packet(s) or b""
    result(p[:1] == bytes([CMD_RESPONSE]) and b"success\x00\x02no" in p and b"pools" in p,
           "get-pools answers success = no, naming pools", p)
    s.close()

    for what, data in [
        ("a section never closed", named(CMD_REQUEST, "list-sas", b"\x01\x01s")),
        ("a value longer than the packet", named(CMD_REQUEST, "list-sas", b"\x03\x01k\xff\xff")),
        ("a response packet from the client", struct.pack(">I", 1) + bytes([CMD_RESPONSE])),
        ("an unknown packet type", struct.pack(">I", 1) + b"\x09"),
        ("a packet longer than 64 KiB", struct.pack(">I", 0x7fffffff) + b"\x00"),
    ]:
        s = connect(path)
        s.sendall(data)
        result(closed(s), "%s: the connection is closed" % what)
        s.close()
    result(answers_version(path), "after them, uipsecd answers version")

    s = connect(path)
    s.sendall(b"\x00\x00")  # half a length, then nothing
    t0 = time.monotonic()
    ok = closed(s, 12)
    result(ok and time.monotonic() - t0 < 8,
           "a client that stops inside a packet is dropped after 5 s",
           "%.1f s" % (time.monotonic() - t0))
    s.close()

    many = [connect(path) for _ in range(40)]
    time.sleep(0.5)
    shut = sum(1 for c in many if closed(c, 0.2))
    result(shut == 8, "of 40 clients at once, 32 are kept and 8 refused", "%d refused" % shut)
    for c in many:
        c.close()
    time.sleep(0.3)
    result(answers_version(path), "after them, uipsecd answers version")
    return 1 if FAILED else 0


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[2] == "parked":
        sys.exit(parked(sys.argv[1], sys.argv[3]))
    sys.exit(main(sys.argv[1]))
