#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seed batches for fuzz_gro (tests/fuzz/fuzz_gro.c): runs of TCP segments
over IPv4 and IPv6 that gro_tcp merges, so that the fuzzer starts from
super-packets rather than finding valid checksums by chance.

A record is a control byte, a 2-byte length and that many bytes; the
control bits are fuzz_gro.c's (FIX_* set lengths and checksums, CONTINUE
makes the next segment of the record before, ROOM picks the tailroom).

Usage: seeds_gro.py DIR
"""
import os
import struct
import sys

FIX = 0x01 | 0x02 | 0x20  # IPv4 header checksum, TCP checksum, lengths
CONTINUE = 0x04
PERTURB = 0x40
ROOM_64K = 0x18
ROOM_3000 = 0x10
TS = b"\x01\x01\x08\x0a" + struct.pack("!II", 1, 2)  # NOP NOP timestamps


def tcp(seq, data, opts=b""):
    th = 20 + len(opts)
    return struct.pack("!HHIIBBHHH", 1000, 2000, seq, 5000, th // 4 << 4, 0x10, 100, 0, 0) + opts + data


def v4(t):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 1, 0x4000, 64, 6, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + t


def v6(t):
    a = bytes([0x20, 1, 0x0D, 0xB8] + [0] * 11)
    return struct.pack("!IHBB16s16s", 0x60000000, len(t), 6, 64, a + b"\x01", a + b"\x02") + t


def rec(ctrl, b):
    return bytes([ctrl]) + struct.pack("!H", len(b)) + b


def seeds():
    for fam, ip in (("4", v4), ("6", v6)):
        first = ip(tcp(1000, bytes(range(100)), TS))
        yield "run" + fam, [rec(FIX | ROOM_64K, first)] + [
            rec(FIX | CONTINUE, bytes([i]) * 100) for i in range(6)] + [rec(FIX | CONTINUE, b"x" * 50)]
        yield "big" + fam, [rec(FIX | ROOM_64K, ip(tcp(0, b"a" * 8000)))] + [
            rec(FIX | CONTINUE, b"b" * 8000) for _ in range(9)]
        yield "mix" + fam, [
            rec(FIX | ROOM_64K, ip(tcp(0, b"a" * 300))),
            rec(FIX | CONTINUE | PERTURB, b"\x05\x01" + b"c" * 300),
            rec(FIX | CONTINUE | ROOM_3000, b"d" * 300),
            rec(0, b"\x45\x00"),
            rec(FIX | CONTINUE | ROOM_3000, b"e" * 300)]
    yield "segs", [rec(FIX | ROOM_64K, v4(tcp(0, b"z" * 10)))] + [
        rec(FIX | CONTINUE, b"y" * 10) for _ in range(69)]


def main():
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, recs in seeds():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(b"".join(recs))


if __name__ == "__main__":
    main()
