#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Registers for VICI events that swanctl 5.9.8 never asks for (its
--monitor-sa takes ike-updown and child-updown only) and prints those that
come within SECONDS the way swanctl --pretty prints events, for
vici_check.py and test_vici.sh.   Usage: vici_events.py SOCKET SECONDS EVENT...
"""
import select
import struct
import sys
import time

from vici_raw import EVENT, EVENT_CONFIRM, EVENT_REGISTER, connect, named, recv_packet

SECTION_START, SECTION_END, KEY_VALUE, LIST_START, LIST_ITEM, LIST_END = range(1, 7)


def pretty(msg, out, depth=1):
    """The elements of msg as indented lines; the position after them."""
    at = 0
    while at < len(msg):
        kind = msg[at]
        at += 1
        pad = "  " * depth
        if kind in (SECTION_END, LIST_END):
            depth -= 1
            out.append("  " * depth + ("}" if kind == SECTION_END else "]"))
            continue
        if kind == LIST_ITEM:
            n = struct.unpack(">H", msg[at:at + 2])[0]
            out.append(pad + msg[at + 2:at + 2 + n].decode(errors="replace"))
            at += 2 + n
            continue
        name = msg[at + 1:at + 1 + msg[at]].decode()
        at += 1 + msg[at]
        if kind == SECTION_START:
            out.append(pad + name + " {")
            depth += 1
        elif kind == LIST_START:
            out.append(pad + name + " = [")
            depth += 1
        else:
            n = struct.unpack(">H", msg[at:at + 2])[0]
            out.append(pad + name + " = " + msg[at + 2:at + 2 + n].decode(errors="replace"))
            at += 2 + n
    return out


def main(path, seconds, events):
    s = connect(path)
    for ev in events:
        s.sendall(named(EVENT_REGISTER, ev))
        if (recv_packet(s) or b"\xff")[0] != EVENT_CONFIRM:
            print("cannot register for %s" % ev, file=sys.stderr)
            return 1
    end = time.time() + seconds
    while time.time() < end:
        if not select.select([s], [], [], max(0.0, end - time.time()))[0]:
            break
        pk = recv_packet(s)
        if pk is None:
            break
        if pk[0] != EVENT:
            continue
        name = pk[2:2 + pk[1]].decode()
        print("\n".join([name + " event {"] + pretty(pk[2 + pk[1]:], []) + ["}"]))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]), sys.argv[3:]))
