#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reads a capture of a live uipsecd tunnel with scapy and the configured keys.

    decrypt_capture.py --conf left.conf --pcap veth.pcap [--echo SRC DST N]...

left.conf is the configuration of one gateway (its `out` SAs protect what it
sends); the capture is of the link between the gateways (Ethernet).  Checks:
  * every packet between the two gateways is ESP or AH of the configured
    kind (in UDP 4500 with encap = yes), of a configured SPI, with sequence
    numbers going up, and decrypts and verifies with the configured keys;
  * no packet that a policy covers (source in one side's selectors,
    destination in the other's) is in clear, IPv6 neighbour discovery
    apart;
  * every decrypted packet fits the selectors of its direction;
  * --echo SRC DST N: among the decrypted packets are N ICMP(v6) echo
    requests from SRC to DST and N echo replies back.
Prints what it found; exit status 0 if all holds, 1 if not, 2 on bad usage.
"""

import argparse
import ipaddress
import struct
import sys
from collections import Counter

from scapy.layers.inet import ICMP, IP
from scapy.layers.inet6 import IPv6
from scapy.utils import RawPcapReader

import ipsec_ref

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86dd
ND_TYPES = range(133, 138)  # router/neighbour solicitation and advertisement, redirect
ECHO = {4: (8, 0), 6: (128, 129)}  # (request, reply)


def ip_of(frame):
    """The IP packet in an Ethernet frame, without the frame's padding."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    pkt = frame[14:]
    if etype == ETH_IPV4 and len(pkt) >= 20 and pkt[0] >> 4 == 4:
        return pkt[:struct.unpack("!H", pkt[2:4])[0]]
    if etype == ETH_IPV6 and len(pkt) >= 40 and pkt[0] >> 4 == 6:
        return pkt[:40 + struct.unpack("!H", pkt[4:6])[0]]
    return None


def addrs(pkt):
    if pkt[0] >> 4 == 4:
        return ipaddress.ip_address(pkt[12:16]), ipaddress.ip_address(pkt[16:20])
    return ipaddress.ip_address(pkt[8:24]), ipaddress.ip_address(pkt[24:40])


def net_list(selectors):
    return [ipaddress.ip_network(s, strict=False) for s in selectors]


def inside(addr, nets):
    return any(addr.version == n.version and addr in n for n in nets)


class Reader:
    def __init__(self, conns):
        self.problems = []
        self.sas = {}  # (outer src, outer dst) -> [(direction, SA, src nets, dst nets)]
        for c in conns:
            local, remote = ipaddress.ip_address(c.local), ipaddress.ip_address(c.remote)
            lts, rts = net_list(c.local_ts), net_list(c.remote_ts)
            self.sas.setdefault((local, remote), []).append(("out", c, c.out_sa, lts, rts))
            self.sas.setdefault((remote, local), []).append(("in", c, c.in_sa, rts, lts))
        self.last_seq = {}
        self.count = Counter()
        self.echo = Counter()  # (kind, src, dst)

    def problem(self, n, text):
        if len(self.problems) < 20:
            self.problems.append("packet %d: %s" % (n, text))
        elif len(self.problems) == 20:
            self.problems.append("(more problems not shown)")

    def read(self, n, pkt):
        src, dst = addrs(pkt)
        proto, off = ipsec_ref.ipsec_layout(pkt)
        if (src, dst) in self.sas and proto in (ipsec_ref.IPPROTO_ESP, ipsec_ref.IPPROTO_AH):
            return self.ipsec(n, pkt, src, dst, proto, off)
        if self.protected_pair(src, dst):
            return self.cleartext(n, pkt, src, dst, proto, off)
        self.count["other (no policy covers it)"] += 1

    def protected_pair(self, src, dst):
        """Whether a policy covers src -> dst: then it must not be in clear."""
        for entries in self.sas.values():
            for _, _, _, src_nets, dst_nets in entries:
                if inside(src, src_nets) and inside(dst, dst_nets):
                    return True
        return False

    def cleartext(self, n, pkt, src, dst, proto, off):
        """Traffic a policy covers, in clear: only neighbour discovery may be."""
        if proto == 58 and len(pkt) > off and pkt[off] in ND_TYPES:
            self.count["IPv6 neighbour discovery in clear"] += 1
            return
        self.count["CLEARTEXT"] += 1
        self.problem(n, "in clear on the wire: %s -> %s protocol %d" % (src, dst, proto))

    def ipsec(self, n, pkt, src, dst, proto, off):
        ah = self.sas[(src, dst)][0][2].suite.proto == "ah"
        if proto != (ipsec_ref.IPPROTO_AH if ah else ipsec_ref.IPPROTO_ESP):
            return self.problem(n, "%s -> %s: %s, but the connection is %s" % (
                src, dst, "AH" if proto == ipsec_ref.IPPROTO_AH else "ESP", "AH" if ah else "ESP"))
        encap = pkt[9] == ipsec_ref.IPPROTO_UDP if pkt[0] >> 4 == 4 else False
        if encap and len(pkt) - off == 1 and pkt[off] == 0xff:
            self.count["NAT-keepalive"] += 1
            return
        spi_at = off + (4 if proto == ipsec_ref.IPPROTO_AH else 0)
        if len(pkt) < spi_at + 8:
            return self.problem(n, "%s -> %s: IPsec header cut short" % (src, dst))
        spi, seq = struct.unpack("!LL", pkt[spi_at:spi_at + 8])
        match = [x for x in self.sas[(src, dst)] if x[2].spi == spi]
        if not match:
            return self.problem(n, "%s -> %s: SPI %08x is not configured" % (src, dst, spi))
        direction, conn, sa, src_nets, dst_nets = match[0]
        if encap != conn.encap:
            return self.problem(n, "SPI %08x: UDP encapsulation %s, configured %s" % (
                spi, encap, conn.encap))
        if seq <= self.last_seq.get(spi, 0):
            self.problem(n, "SPI %08x: sequence number %d after %d" % (
                spi, seq, self.last_seq[spi]))
        self.last_seq[spi] = seq
        try:
            inner = sa.decrypt(pkt)
        except Exception as err:  # integrity failure or a packet scapy cannot parse
            return self.problem(n, "SPI %08x seq %d does not decrypt: %r" % (spi, seq, err))
        label = "%s %s%s %08x" % (conn.proposal, "AH" if proto == 51 else "ESP",
                                  "-in-UDP" if encap else "", spi)
        self.count["decrypted %s (%s -> %s)" % (label, src, dst)] += 1
        self.inner(n, inner, src_nets, dst_nets)

    def inner(self, n, inner, src_nets, dst_nets):
        if not inner or inner[0] >> 4 not in (4, 6):
            return self.problem(n, "decrypted packet is not IP: %s" % inner[:16].hex())
        src, dst = addrs(inner)
        if not inside(src, src_nets) or not inside(dst, dst_nets):
            self.problem(n, "decrypted %s -> %s is outside the selectors" % (src, dst))
        ip = IP(inner) if inner[0] >> 4 == 4 else IPv6(inner)
        if inner[0] >> 4 == 4 and ICMP in ip:
            kind = ip[ICMP].type
        elif inner[0] >> 4 == 6 and ip.haslayer("ICMPv6EchoRequest"):
            kind = 128
        elif inner[0] >> 4 == 6 and ip.haslayer("ICMPv6EchoReply"):
            kind = 129
        else:
            return
        req, rep = ECHO[src.version]
        if kind in (req, rep):
            self.echo[("request" if kind == req else "reply", src, dst)] += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conf", required=True, help="configuration of one gateway")
    ap.add_argument("--pcap", required=True, help="capture of the link (Ethernet)")
    ap.add_argument("--echo", nargs=3, action="append", default=[],
                    metavar=("SRC", "DST", "N"), help="N echo requests SRC->DST and replies")
    args = ap.parse_args()
    reader = Reader(ipsec_ref.connections(args.conf))
    n = 0
    for n, (frame, _) in enumerate(RawPcapReader(args.pcap), 1):
        pkt = ip_of(frame)
        if pkt is None:
            reader.count["not IP (ARP, ...)"] += 1
        else:
            reader.read(n, pkt)
    for src, dst, count in args.echo:
        s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        for kind, a, b in (("request", s, d), ("reply", d, s)):
            got = reader.echo[(kind, a, b)]
            if got != int(count):
                reader.problems.append("%d echo %ss %s -> %s decrypted, want %s" % (
                    got, kind, a, b, count))
    print("%s: %d frames" % (args.pcap, n))
    for what, count in sorted(reader.count.items()):
        print("  %5d %s" % (count, what))
    for (kind, a, b), count in sorted(reader.echo.items(), key=str):
        print("  %5d inner echo %s %s -> %s" % (count, kind, a, b))
    decrypted = sum(v for k, v in reader.count.items() if k.startswith("decrypted"))
    if not decrypted:
        reader.problems.append("no IPsec packet in the capture")
    for p in reader.problems:
        print("  PROBLEM: " + p)
    return 1 if reader.problems else 0


if __name__ == "__main__":
    sys.exit(main())
