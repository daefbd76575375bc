#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seed batches for fuzz_gro_udp (tests/fuzz/fuzz_gro_udp.c): runs of UDP
datagrams over IPv4 and IPv6 that gro_udp merges, so that the fuzzer starts
from super-packets rather than finding valid checksums by chance.

A record is a control byte, a 2-byte length and that many bytes; the
control bits are fuzz_gro_udp.c's (FIX_* set lengths and checksums,
CONTINUE makes the next datagram of the record before, ROOM picks the
tailroom, WITH_HDR gives the packet a hdr as gro_tcp would).

Usage: seeds_gro_udp.py DIR
"""
import os
import struct
import sys

FIX = 0x01 | 0x02 | 0x20  # IPv4 header checksum, UDP checksum, lengths
NO_UDP_CSUM = 0x01 | 0x20  # a zero UDP checksum is copied on
CONTINUE = 0x04
PERTURB = 0x40
WITH_HDR = 0x80
ROOM_64K = 0x18
ROOM_3000 = 0x10


def udp(data):
    return struct.pack("!HHHH", 1000, 2000, 8 + len(data), 0) + data


def v4(t, flags=0x4000):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 1, flags, 64, 17, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + t


def v6(t):
    a = bytes([0x20, 1, 0x0D, 0xB8] + [0] * 11)
    return struct.pack("!IHBB16s16s", 0x60000000, len(t), 17, 64, a + b"\x01", a + b"\x02") + t


def rec(ctrl, b):
    return bytes([ctrl]) + struct.pack("!H", len(b)) + b


def seeds():
    for fam, ip in (("4", v4), ("6", v6)):
        yield "run" + fam, [rec(FIX | ROOM_64K, ip(udp(bytes(range(100)))))] + [
            rec(FIX | CONTINUE, bytes([i]) * 100) for i in range(6)] + [rec(FIX | CONTINUE, b"x" * 50)]
        yield "big" + fam, [rec(FIX | ROOM_64K, ip(udp(b"a" * 8000)))] + [
            rec(FIX | CONTINUE, b"b" * 8000) for _ in range(9)]
        yield "mix" + fam, [
            rec(FIX | ROOM_64K, ip(udp(b"a" * 300))),
            rec(FIX | CONTINUE | PERTURB, b"\x05\x01" + b"c" * 300),
            rec(FIX | CONTINUE | ROOM_3000, b"d" * 300),
            rec(FIX | CONTINUE | WITH_HDR, b"d" * 300),
            rec(0, b"\x45\x00"),
            rec(FIX | CONTINUE | ROOM_3000, b"e" * 300)]
    yield "nocsum", [rec(NO_UDP_CSUM | ROOM_64K, v4(udp(b"n" * 200), 0))] + [
        rec(NO_UDP_CSUM | CONTINUE, b"o" * 200) for _ in range(5)]
    yield "segs", [rec(FIX | ROOM_64K, v6(udp(b"z" * 10)))] + [
        rec(FIX | CONTINUE, b"y" * 10) for _ in range(69)]


def main():
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, recs in seeds():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(b"".join(recs))


if __name__ == "__main__":
    main()
