#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The TUN offloads of uipsecd against scapy.

    /usr/bin/python3 check.py PATH/TO/uipsec-offload-tool

Segmentation (src/daemon/gso.c): scapy builds a TCP or UDP super-packet as
the kernel hands it over with TSO/USO (checksum field holding only the
pseudo-header sum, a virtio_net_hdr asking for segmentation), the tool cuts
it, and every segment must equal, byte for byte, the packet scapy builds
for that piece of the payload (its own lengths, IPv4 ID, sequence number,
flags and checksums).  Also: partial checksums completed on single
packets, and headers that do not describe the packet refused.

Must run with Debian's /usr/bin/python3 (python3-scapy).
"""

import random
import struct
import subprocess
import sys

from scapy.all import (IP, IPv6, TCP, UDP, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop,  # noqa: E402
                       IPv6ExtHdrRouting, Raw, conf)

conf.verb = 0
NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4 = 0, 1, 3, 4, 5
GSO_ECN = 0x80
FAILED = []


class Tool:
    def __init__(self, path):
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = []
        while True:
            got = self.p.stdout.readline()
            if not got:
                sys.exit("offload tool died")
            got = got.rstrip("\n")
            if got == "end":
                return out
            out.append(got)


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pseudo_sum(pkt, proto):
    """The pseudo-header sum, folded and not complemented: what the kernel
    leaves in the checksum field of a CHECKSUM_PARTIAL packet."""
    raw = bytes(pkt)
    l4_len = len(raw) - l3_len(raw)
    if raw[0] >> 4 == 4:
        words = raw[12:20]
    else:
        words = raw[8:40]
    s = sum(struct.unpack("!%dH" % (len(words) // 2), words)) + l4_len + proto
    return fold(s)


def routing_case(tool):
    """A routing header changes the pseudo-header's destination: refused."""
    p = bytes(ip_layer(6, ext=(lambda: IPv6ExtHdrRouting(addresses=["2001:db8:3::1"]),)) /
              tcp_layer(1, "A", []) / Raw(b"r" * 3000))
    at = l3_len(p)  # stops at the routing header: refused before it matters
    expect("bad: IPv6 routing header", tool.ask("gso %s %s" % (hdr(1, GSO_TCPV6, 1000, at, 16),
                                                                p.hex())), ["bad"])


def partial(pkt, proto):
    """pkt as the kernel hands it over: checksum field = pseudo-header sum."""
    raw = bytearray(bytes(pkt))
    l3 = l3_len(raw)
    at = l3 + (16 if proto == 6 else 6)
    struct.pack_into("!H", raw, at, pseudo_sum(raw, proto))
    return bytes(raw), l3, at - l3


def ip_layer(fam, i=0, **kw):
    if fam == 4:
        return IP(src="10.1.0.1", dst="10.2.0.9", id=(kw.get("id0", 4242) + i) & 0xFFFF,
                  flags="DF", ttl=63, tos=kw.get("tos", 0))
    ip = IPv6(src="2001:db8:1::1", dst="2001:db8:2::9", hlim=63, tc=kw.get("tos", 0),
              fl=kw.get("fl", 0x12345))
    for ext in kw.get("ext", ()):
        ip = ip / ext()
    return ip


def tcp_layer(seq, flags, opts):
    return TCP(sport=40000, dport=5201, seq=seq & 0xFFFFFFFF, ack=777, flags=flags,
               window=502, options=opts)


def expect(name, got, want):
    if got != want:
        FAILED.append(name)
        i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        print("FAIL %s: %d lines, want %d; first difference in line %d:\n  got  %.160s\n"
              "  want %.160s" % (name, len(got), len(want), i, got[i] if i < len(got) else "-",
                                 want[i] if i < len(want) else "-"))


def hdr(flags, gso_type, gso_size, start, off):
    return "%d %d %d %d %d" % (flags, gso_type, gso_size, start, off)


def l3_len(raw):
    """IP header and extension headers: where TCP or UDP starts."""
    if raw[0] >> 4 == 4:
        return (raw[0] & 15) * 4
    at, nh = 40, raw[6]
    while nh in (0, 60):
        nh, at = raw[at], at + (raw[at + 1] + 1) * 8
    return at


def tcp_case(tool, fam, payload_len, mss, flags="PA", opts=(), seq0=1000, id0=4242, ecn=0,
             ext=()):
    payload = bytes(random.getrandbits(8) for _ in range(payload_len))
    sup = ip_layer(fam, id0=id0, ext=ext) / tcp_layer(seq0, flags, list(opts)) / Raw(payload)
    raw, l3, off = partial(sup, 6)
    gtype = (GSO_TCPV4 if fam == 4 else GSO_TCPV6) | ecn
    got = tool.ask("gso %s %s" % (hdr(NEEDS_CSUM, gtype, mss, l3, off), raw.hex()))
    want = []
    chunks = [payload[i:i + mss] for i in range(0, len(payload), mss)] or [b""]
    for i, c in enumerate(chunks):
        f = TCP(flags=flags).flags
        if i != len(chunks) - 1:
            f &= ~0x09  # FIN, PSH: the last segment's
        if i:
            f &= ~0x80  # CWR: the first's
        p = ip_layer(fam, i, id0=id0, ext=ext) / tcp_layer(seq0 + i * mss, f, list(opts)) / Raw(c)
        want.append("seg " + bytes(p).hex())
    if len(chunks) == 1:
        want = ["one " + bytes(sup).hex()]
    else:
        want = ["many"] + want
    expect("tcp v%d %d/%d %s%s%s" % (fam, payload_len, mss, flags, " opts" if opts else "",
                                     " ext" if ext else ""), got, want)


def udp_case(tool, fam, payload_len, size):
    payload = bytes(random.getrandbits(8) for _ in range(payload_len))
    sup = ip_layer(fam) / UDP(sport=4000, dport=5000) / Raw(payload)
    raw, l3, off = partial(sup, 17)
    got = tool.ask("gso %s %s" % (hdr(NEEDS_CSUM, GSO_UDP_L4, size, l3, off), raw.hex()))
    chunks = [payload[i:i + size] for i in range(0, len(payload), size)]
    if len(chunks) == 1:
        want = ["one " + bytes(sup).hex()]
    else:
        want = ["many"] + ["seg " + bytes(ip_layer(fam, i) / UDP(sport=4000, dport=5000) /
                                          Raw(c)).hex() for i, c in enumerate(chunks)]
    expect("udp v%d %d/%d" % (fam, payload_len, size), got, want)


def single_cases(tool):
    """No segmentation: a partial checksum completed, or the packet as is."""
    for fam in (4, 6):
        for proto, l4 in ((6, tcp_layer(5, "A", [])), (17, UDP(sport=1, dport=2))):
            p = ip_layer(fam) / l4 / Raw(b"z" * 333)
            raw, l3, off = partial(p, proto)
            got = tool.ask("gso %s %s" % (hdr(NEEDS_CSUM, GSO_NONE, 0, l3, off), raw.hex()))
            expect("complete v%d proto %d" % (fam, proto), got, ["one " + bytes(p).hex()])
            got = tool.ask("gso %s %s" % (hdr(0, GSO_NONE, 0, 0, 0), bytes(p).hex()))
            expect("plain v%d proto %d" % (fam, proto), got, ["one " + bytes(p).hex()])


def bad_cases(tool):
    """Headers that do not describe the packet: refused, never read past."""
    p4 = bytes(ip_layer(4) / tcp_layer(1, "A", []) / Raw(b"q" * 3000))
    p6 = bytes(ip_layer(6) / tcp_layer(1, "A", []) / Raw(b"q" * 3000))
    u4 = bytes(ip_layer(4) / UDP(sport=1, dport=2) / Raw(b"q" * 3000))
    short = bytearray(p4)
    struct.pack_into("!H", short, 2, 2000)  # IPv4 total length says less than was read
    doff = bytearray(p4)
    doff[32] = 0x40  # TCP data offset 16 bytes
    cases = {
        "tcpv4 type on IPv6": (hdr(1, GSO_TCPV4, 1000, 40, 16), p6),
        "tcpv6 type on IPv4": (hdr(1, GSO_TCPV6, 1000, 20, 16), p4),
        "tcp type on UDP": (hdr(1, GSO_TCPV4, 1000, 20, 6), u4),
        "udp_l4 type on TCP": (hdr(1, GSO_UDP_L4, 1000, 20, 16), p4),
        "old UFO type": (hdr(1, GSO_UDP, 1000, 20, 6), u4),
        "gso_size 0": (hdr(1, GSO_TCPV4, 0, 20, 16), p4),
        "total length mismatch": (hdr(1, GSO_TCPV4, 1000, 20, 16), bytes(short)),
        "tcp data offset < 20": (hdr(1, GSO_TCPV4, 1000, 20, 16), bytes(doff)),
        "truncated header": (hdr(1, GSO_TCPV4, 1000, 20, 16), p4[:30]),
        "csum_start past the end": (hdr(1, GSO_NONE, 0, 5000, 16), p4),
        "csum_offset past the end": (hdr(1, GSO_NONE, 0, 20, 4000), p4),
        "csum field cut": (hdr(1, GSO_NONE, 0, len(p4) - 1, 0), p4),
        "empty": (hdr(1, GSO_TCPV4, 1000, 20, 16), b""),
    }
    for name, (h, pkt) in cases.items():
        expect("bad: " + name, tool.ask("gso %s %s" % (h, pkt.hex())), ["bad"])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    random.seed(1)
    tool = Tool(sys.argv[1])
    ts = [("Timestamp", (123456, 654321)), ("NOP", None), ("NOP", None)]
    for fam in (4, 6):
        tcp_case(tool, fam, 1388 * 45, 1388)
        tcp_case(tool, fam, 1388 * 3 + 17, 1388, opts=ts)
        tcp_case(tool, fam, 5000, 1000, flags="FPA")
        tcp_case(tool, fam, 4000, 1000, flags="CA")  # CWR only on the first
        tcp_case(tool, fam, 3001, 7 * 100 + 3)
        tcp_case(tool, fam, 999, 1000)  # fits one segment
        tcp_case(tool, fam, 65535 - 200, 1448, seq0=0xFFFFF000, id0=0xFFFE)  # wraps
        tcp_case(tool, fam, 3000, 1000, ecn=GSO_ECN)
        udp_case(tool, fam, 1200 * 10, 1200)
        udp_case(tool, fam, 1200 * 3 + 5, 1200)
        udp_case(tool, fam, 800, 1200)
    tcp_case(tool, 6, 5000, 1000, ext=(IPv6ExtHdrDestOpt,))
    tcp_case(tool, 6, 4321, 1200, ext=(IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt), opts=ts)
    routing_case(tool)
    single_cases(tool)
    bad_cases(tool)
    if FAILED:
        sys.exit("%d case(s) failed: %s" % (len(FAILED), ", ".join(FAILED)))
    print("all offload cases agree with scapy")


if __name__ == "__main__":
    main()
