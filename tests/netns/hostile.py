#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile traffic against a live uipsecd tunnel (run by test_hostile.sh).

Runs inside the left gateway's namespace and writes Ethernet frames straight
onto its veth, so that they reach the right gateway as if from the wire:

  replayed   a genuine packet the right side already took, sent again
  too-old    a genuine packet sent again after more than the replay window
  tampered   a genuine packet given the next sequence number and a flipped
             byte: its ICV fails, and the sequence number stays unused
  truncated  a genuine packet cut after 4 bytes of payload; and one of 3 bytes
  unknown    a genuine packet with an SPI nobody configured
  garbage    random bytes as ESP (IPv4, IPv6), as AH, as ESP after a real
             SPI, as UDP 4500 payload
  keepalive  a NAT-keepalive (0xff) and an IKE_SA_INIT (non-ESP marker) on 4500
             for which no connection is configured
  wrong-encap a genuine packet as raw ESP for an SA that wants UDP, or in UDP
             for one that does not
  cleartext  an ICMP echo, and a TCP SYN, from 10.10.1.1 to 10.10.2.1 in clear
  flood      20,000 garbage packets in bursts of 100; then 20,000 as fast as
             the socket goes, where the kernel may drop some before uipsecd:
             counted + dropped by the kernel must be all of them

After each: the right daemon still runs and answers, its counters moved by
exactly what is expected (in-SA packet counts included: nothing hostile
is taken), and a ping through the tunnel works.  One line per scenario;
the last line is "N passed, M failed".
"""

import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.sendrecv import AsyncSniffer

import ipsec_ref

IKE_PORT_NATT = 4500
NOISE = {"daemon:no-policy"}  # the kernel's own IPv6 chatter routed into the TUN
LEFT_UDP_OUT = "left:udp-out"
rng = random.Random(os.environ.get("HOSTILE_SEED", "1"))


class Tunnel:
    def __init__(self, args):
        self.a = args
        self.conn = ipsec_ref.connections(args.conf)[0]
        self.encap = self.conn.encap
        self.raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.raw.bind((args.iface, 0))
        with open("/sys/class/net/%s/address" % args.iface) as f:
            self.mac = f.read().strip()
        self.eth4 = bytes(Ether(src=self.mac, dst=args.peer_mac, type=0x0800))
        self.eth6 = bytes(Ether(src=self.mac, dst=args.peer_mac, type=0x86dd))

    # --- talking to the daemons ---

    def ctl(self, sock, command):
        out = subprocess.run([self.a.ctl, "--socket", sock, "--json", command],
                             capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            raise RuntimeError("uipsecctl %s: exit %d: %s" % (command, out.returncode,
                                                               out.stderr.strip()))
        return json.loads(out.stdout)

    def counters(self):
        """The right daemon's drop counters and its SAs' packet counts."""
        c = {}
        for k, v in self.ctl(self.a.right_sock, "status")["drops"].items():
            c["daemon:" + k] = v
        for sa in self.ctl(self.a.right_sock, "list-sas")["sas"]:
            c["sa-%s:packets" % sa["direction"]] = sa["packets"]
            for k, v in sa["drops"].items():
                c["sa-%s:%s" % (sa["direction"], k)] = v
        c[LEFT_UDP_OUT] = left_udp_out()
        return c

    def left_out_seq(self):
        return [s for s in self.ctl(self.a.left_sock, "list-sas")["sas"]
                if s["direction"] == "out"][0]["seq"]

    def alive(self):
        pid = self.a.right_pid
        return os.path.exists("/proc/%d" % pid) and \
            self.ctl(self.a.right_sock, "status")["pid"] == pid

    def ping(self, count=1):
        return subprocess.run(["ping", "-n", "-q", "-c", str(count), "-i", "0.01", "-W", "2",
                               "-I", "10.10.1.1", "10.10.2.1"],
                              capture_output=True, text=True).returncode == 0

    # --- packets ---

    def genuine(self):
        """The ESP payload (from the SPI on) of a packet the left daemon just
        sent and the right one took: an echo request through the tunnel."""
        got, ready = [], threading.Event()
        sn = AsyncSniffer(iface=self.a.iface, store=False, started_callback=ready.set,
                          prn=lambda p: got.append(bytes(p)), lfilter=self.is_esp_out)
        sn.start()
        ready.wait(5)
        ok = self.ping()
        time.sleep(0.1)
        sn.stop()
        if not ok or not got:
            raise RuntimeError("no genuine packet: ping %s, %d captured" % (ok, len(got)))
        frame = got[-1]
        ip = frame[14:]
        off = ipsec_ref.ipsec_layout(ip)[1]
        return ip[off:struct.unpack("!H", ip[2:4])[0]]

    def is_esp_out(self, p):
        """ESP from the left daemon: raw, or in UDP (not a keepalive)."""
        if IP not in p or p[IP].src != self.a.local:
            return False
        if p[IP].proto == 50:
            return True
        return UDP in p and p[UDP].dport == IKE_PORT_NATT and len(p[UDP].payload) > 8

    # Built by hand, not by scapy: the flood makes 20,000 of them.
    def ip4(self, proto, payload, src=None, dst=None):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), rng.randint(0, 0xffff),
                          0x4000, 64, proto, 0,
                          socket.inet_pton(socket.AF_INET, src or self.a.local),
                          socket.inet_pton(socket.AF_INET, dst or self.a.remote))
        return hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:] + payload

    def ip6(self, nh, payload):
        return struct.pack("!LHBB16s16s", 6 << 28, len(payload), nh, 64,
                           socket.inet_pton(socket.AF_INET6, self.a.local6),
                           socket.inet_pton(socket.AF_INET6, self.a.remote6)) + payload

    def udp4(self, payload):
        """UDP checksum 0: none (RFC 768), as RFC 3948 senders usually do."""
        udp = struct.pack("!HHHH", IKE_PORT_NATT, IKE_PORT_NATT, 8 + len(payload), 0)
        return self.ip4(17, udp + payload)

    def esp(self, esp_bytes, encap=None):
        """ESP as this SA carries it (or as told: raw or in UDP)."""
        encap = self.encap if encap is None else encap
        return self.udp4(esp_bytes) if encap else self.ip4(50, esp_bytes)

    def send(self, packets, paced=True):
        """Paced: bursts of 100 and a pause, so that a flood tests uipsecd,
        not the veth's queue.  Unpaced: as fast as the socket goes."""
        for i, p in enumerate(packets):
            self.raw.send((self.eth4 if p[0] >> 4 == 4 else self.eth6) + p)
            if paced and i % 100 == 99:
                time.sleep(0.002)

    def kernel_drops(self):
        """Packets the kernel dropped before uipsecd could read them: the
        right side's raw and UDP sockets' drop counts, the veth's drops on
        both ends (veth counts a full receive queue on the sender)."""
        total = 0
        for table in ("raw", "raw6", "udp"):
            with open("/proc/%d/net/%s" % (self.a.right_pid, table)) as f:
                for line in list(f)[1:]:
                    total += int(line.split()[-1])
        for path, column in (("/proc/%d/net/dev" % self.a.right_pid, 3),  # receive drop
                             ("/proc/self/net/dev", 11)):  # transmit drop
            with open(path) as f:
                for line in f:
                    if line.strip().startswith("veth"):
                        total += int(line.split(":")[1].split()[column])
        return total


def ip_checksum(hdr):
    total = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def random_spi(conn):
    while True:
        spi = rng.randint(256, 0xffffffff)
        if spi not in (conn.in_sa.spi, conn.out_sa.spi):
            return spi


def flip(data, at):
    return data[:at] + bytes([data[at] ^ rng.randint(1, 255)]) + data[at + 1:]


# --- scenarios: each returns (packets, expected deltas, or an int: that many
# drops under any reason) ---

def sc_replayed(t):
    return [t.esp(t.genuine())], {"sa-in:replayed": 1}


def sc_too_old(t):
    old = t.genuine()
    window = t.a.replay_window
    if not t.ping(window + 8):
        raise RuntimeError("ping -c %d failed" % (window + 8))
    return [t.esp(old)], {"sa-in:too-old": 1}


def sc_tampered(t):
    esp = t.genuine()
    nxt = t.left_out_seq() + 1  # the next genuine packet gets this number
    esp = esp[:4] + struct.pack("!L", nxt) + esp[8:]
    return [t.esp(flip(esp, rng.randrange(8, len(esp))))], {"sa-in:auth-failed": 1}


def sc_truncated(t):
    esp = t.genuine()
    return [t.esp(esp[:12]), t.esp(esp[:3])], {"sa-in:truncated": 1, "daemon:truncated": 1}


def sc_unknown_spi(t):
    esp = t.genuine()
    return [t.esp(struct.pack("!L", random_spi(t.conn)) + esp[4:])], {"daemon:unknown-spi": 1}


def garbage(t, n):
    """n random packets, of every kind the daemon reads."""
    out = []
    spi = struct.pack("!L", t.conn.out_sa.spi)  # what the right side takes in
    for i in range(n):
        body = rng.randbytes(rng.randint(0, 300))
        kind = i % 5
        if kind == 0:
            out.append(t.ip4(50, body))
        elif kind == 1:
            out.append(t.ip4(51, body))
        elif kind == 2:
            out.append(t.udp4(body or b"\x01"))
        elif kind == 3:
            out.append(t.esp(spi + body))
        else:
            out.append(t.ip6(50, body))
    return out


def sc_garbage(t):
    return garbage(t, 50), 50


def sc_keepalive(t):
    ike = b"\0\0\0\0" + rng.randbytes(8) + b"\0" * 8 + bytes([0x21, 0x20, 34, 8]) + \
        struct.pack("!LL", 0, 28)
    return [t.udp4(b"\xff"), t.udp4(ike)], {"daemon:nat-keepalive": 1,
                                             "daemon:ike-no-connection": 1}


def sc_wrong_encap(t):
    esp = t.genuine()
    esp = esp[:4] + struct.pack("!L", t.left_out_seq() + 1) + esp[8:]
    return [t.esp(esp, encap=not t.encap)], {"daemon:wrong-protocol": 1}


def sc_cleartext(t):
    """Packets in clear that a PROTECT policy covers (RFC 4301 5.2) reach the
    kernel, not uipsecd; without uipsecd's nftables table (cleardrop.c) the
    kernel takes them and answers through the tunnel (sa-out:packets +1).
    Expected: dropped and counted as clear-for-protect, no answer."""
    echo = bytes(IP(src="10.10.1.1", dst="10.10.2.1") / ICMP(id=0x4242, seq=1) / b"cleartext")
    return [echo], {"daemon:clear-for-protect": 1}


def sc_cleartext_tcp(t):
    syn = bytes(IP(src="10.10.1.1", dst="10.10.2.1") / TCP(sport=40000, dport=22, flags="S"))
    return [syn], {"daemon:clear-for-protect": 1}


def sc_flood(t):
    return garbage(t, t.a.flood), t.a.flood


def sc_flood_burst(t):
    t.paced = False
    return garbage(t, t.a.flood), t.a.flood


# --- running them ---

def drops_of(d):
    return sum(v for k, v in d.items() if not k.endswith(":packets"))


def reached(d, want, lost):
    if isinstance(want, dict):
        return all(d.get(k, 0) >= v for k, v in want.items())
    return drops_of(d) + lost >= want


def settle(t, before, want, lost_before, timeout=5.0):
    """The counters once they hold what is expected (or at the timeout),
    read again 0.2 s later so that counts arriving late show too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reached(delta(before, t.counters()), want, t.kernel_drops() - lost_before):
            time.sleep(0.2)
            break
        time.sleep(0.1)
    return t.counters(), t.kernel_drops() - lost_before


def delta(before, after):
    """What moved, less what the left daemon did by itself: its own
    NAT-keepalives (every 20 s with encap = yes) are its only UDP sends."""
    d = {}
    for k in set(before) | set(after):
        v = after.get(k, 0) - before.get(k, 0)
        if v and k not in NOISE:
            d[k] = v
    own = d.pop(LEFT_UDP_OUT, 0)
    if own and "daemon:nat-keepalive" in d:
        d["daemon:nat-keepalive"] -= own
        if not d["daemon:nat-keepalive"]:
            del d["daemon:nat-keepalive"]
    return d


def left_udp_out():
    """UDP datagrams sent from the left namespace (this script runs there)."""
    with open("/proc/self/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("OutDatagrams")])


def check(d, want, lost):
    """Problems with the counters' moves d, kernel drops lost."""
    if isinstance(want, dict):
        if d != want or lost:
            return ["counters moved by %s (kernel drops %d), want %s" % (fmt(d), lost,
                                                                          fmt(want))]
        return []
    problems = []
    if drops_of(d) + lost != want:
        problems.append("%d sent, %d counted by uipsecd, %d dropped by the kernel before it: "
                        "%d unaccounted for" % (want, drops_of(d), lost,
                                                want - drops_of(d) - lost))
    if any(k.endswith(":packets") for k in d):
        problems.append("garbage taken as packets: %s" % fmt(d))
    if drops_of(d) < want // 2:
        problems.append("uipsecd read fewer than half of them")
    return problems


def run(t, name, fn):
    detail = ""
    try:
        t.paced = True
        packets, want = fn(t)  # may ping: those packets are not the scenario's
        before, lost_before = t.counters(), t.kernel_drops()
        start = time.monotonic()
        t.send(packets, t.paced)
        secs = time.monotonic() - start
        after, lost = settle(t, before, want, lost_before)
        d = delta(before, after)
        problems = check(d, want, lost)
        if isinstance(want, dict):
            detail = fmt(d)
        else:
            detail = "%d sent in %.2f s: %d counted (%s), %d dropped by the kernel first" % (
                want, secs, drops_of(d), fmt(d), lost)
    except Exception as err:  # a scenario that cannot run is a failure, not a crash
        problems = ["%s: %s" % (type(err).__name__, err)]
    if not t.alive():
        problems.append("the right uipsecd is gone or does not answer")
    elif not t.ping(3):
        problems.append("no ping through the tunnel afterwards")
    print("%-5s %-13s %s%s" % ("ok" if not problems else "FAIL", name, detail,
                               "".join("\n      " + p for p in problems)))
    sys.stdout.flush()
    return not problems


def fmt(d):
    return ", ".join("%s +%d" % (k, v) for k, v in sorted(d.items())) or "no change"


SCENARIOS = [("replayed", sc_replayed), ("too-old", sc_too_old), ("tampered", sc_tampered),
             ("truncated", sc_truncated), ("unknown-spi", sc_unknown_spi),
             ("garbage", sc_garbage), ("keepalive", sc_keepalive),
             ("wrong-encap", sc_wrong_encap), ("cleartext", sc_cleartext),
             ("cleartext-tcp", sc_cleartext_tcp), ("flood", sc_flood),
             ("flood-burst", sc_flood_burst)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conf", required=True, help="the left gateway's configuration")
    ap.add_argument("--iface", default="veth-ul")
    ap.add_argument("--peer-mac", required=True)
    ap.add_argument("--local", default="192.0.2.1")
    ap.add_argument("--remote", default="192.0.2.2")
    ap.add_argument("--local6", default="2001:db8::1")
    ap.add_argument("--remote6", default="2001:db8::2")
    ap.add_argument("--left-sock", required=True)
    ap.add_argument("--right-sock", required=True)
    ap.add_argument("--right-pid", type=int, required=True)
    ap.add_argument("--ctl", required=True, help="uipsecctl")
    ap.add_argument("--replay-window", type=int, default=32)
    ap.add_argument("--flood", type=int, default=20000)
    ap.add_argument("--only", default="", help="run the scenarios whose name has this")
    args = ap.parse_args()
    t = Tunnel(args)
    passed = failed = 0
    for name, fn in SCENARIOS:
        if args.only in name:
            if run(t, name, fn):
                passed += 1
            else:
                failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
