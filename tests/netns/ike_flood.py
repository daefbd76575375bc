#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile IKE datagrams against a uipsecd responder (run by test_ike.sh).

Runs in the left gateway's namespace and sends, over ordinary UDP sockets,
one kind of traffic per call to the right gateway's IKE ports:

  garbage    random bytes to UDP 500 (IPv4 and IPv6) and, behind the
             non-ESP marker, to UDP 4500 (IPv4 and IPv6)
  malformed  IKE headers cut short (1-27 bytes), with a length field that
             is not the datagram's, of IKE version 1, and 9,000 bytes long
             (more than any IKE message uipsecd takes)
  unknown    well-formed IKE_AUTH and INFORMATIONAL requests for IKE SAs
             that do not exist (random SPIs), to 500 and to 4500
  init       IKE_SA_INIT requests with random SPIs, nonces and x25519 keys,
             from the addresses given; answers are read but not followed
  init-cookie as init, but a COOKIE the responder asks for is sent back as
             RFC 7296 2.6 wants: each such request makes a half-open SA
             (--same-ke: every request replays one public value, no DH)
  badke      IKE_SA_INIT for MODP-3072 whose KE is no group element (all
             ones: above the prime), from the addresses given
  mixed      --rate a second for --duration seconds, in turn: x25519 and
             invalid MODP-3072 requests from spoofed sources (raw socket,
             198.18.0.0/15, answers go nowhere) and invalid ones from the
             addresses given; the load test's flood (--kinds: a subset,
             e.g. 1,2 for invalid KEs only)

--v6 sends init, init-cookie and badke over IPv6 from --src6 (a list).

Datagrams go out in bursts of --burst with a pause between them, so that the
test measures uipsecd and not the socket buffers (the kernel's receive
errors are read by the caller all the same).  The last line of output is a
JSON object: what was sent, and for init/init-cookie what came back.
"""

import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

IKE_SA_INIT, IKE_AUTH, INFORMATIONAL = 34, 35, 37
PL_SA, PL_KE, PL_NONCE, PL_NOTIFY, PL_SK = 33, 34, 40, 41, 46
N_COOKIE = 16390
FLAG_I = 0x08
rng = random.Random(os.environ.get("IKE_FLOOD_SEED", "1"))


def header(spi_i, spi_r, np, exch, flags, msg_id, body_len, version=0x20):
    return spi_i + spi_r + struct.pack("!BBBBLL", np, version, exch, flags, msg_id,
                                       28 + body_len)


def payload(np, body):
    return struct.pack("!BBH", np, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def ike_sa_init(spi_i, nonce, ke, cookie=None, modp=False):
    """IKE_SA_INIT request: [N(COOKIE)], SA (aes256gcm16-prfsha256-x25519,
    or with modp aes128-sha256-modp3072), KE (group 31 or 15), Ni."""
    if modp:
        xforms = (transform(False, 1, 12, struct.pack("!HH", 0x800e, 128)) +  # AES-CBC 128
                  transform(False, 2, 5) +  # PRF HMAC-SHA2-256
                  transform(False, 3, 12) +  # INTEG HMAC-SHA2-256-128
                  transform(True, 4, 15))  # DH MODP-3072
        nxf, group = 4, 15
    else:
        xforms = (transform(False, 1, 20, struct.pack("!HH", 0x800e, 256)) +  # AES-GCM-16, 256
                  transform(False, 2, 5) +  # PRF HMAC-SHA2-256
                  transform(True, 4, 31))  # DH curve25519
        nxf, group = 3, 31
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(xforms), 1, 1, 0, nxf) + xforms
    pls = []
    if cookie is not None:
        pls.append((PL_NOTIFY, struct.pack("!BBH", 0, 0, N_COOKIE) + cookie))
    pls += [(PL_SA, prop), (PL_KE, struct.pack("!HH", group, 0) + ke), (PL_NONCE, nonce)]
    body = b""
    for i, (_, b) in enumerate(pls):
        nxt = pls[i + 1][0] if i + 1 < len(pls) else 0
        body += payload(nxt, b)
    return header(spi_i, b"\0" * 8, pls[0][0], IKE_SA_INIT, FLAG_I, 0, len(body)) + body


def parse_answer(data):
    """(SPIi, cookie or None, whether it carries an SA payload)."""
    if len(data) < 28:
        return None, None, False
    spi_i, np, off = data[:8], data[16], 28
    cookie, has_sa = None, False
    while np and off + 4 <= len(data):
        nxt, _, plen = struct.unpack("!BBH", data[off:off + 4])
        if plen < 4:
            break
        body = data[off + 4:off + plen]
        if np == PL_SA:
            has_sa = True
        if np == PL_NOTIFY and len(body) >= 4 and struct.unpack("!H", body[2:4])[0] == N_COOKIE:
            cookie = body[4 + body[1]:]
        np, off = nxt, off + plen
    return spi_i, cookie, has_sa


class Sender:
    def __init__(self, args):
        self.a = args
        self.sent = 0
        self.socks = {}

    def sock(self, family, src):
        key = (family, src)
        if key not in self.socks:
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.bind((src, 0))
            s.setblocking(False)
            self.socks[key] = s
        return self.socks[key]

    def send(self, data, port=500, v6=False, src=None):
        if v6:
            s, dst = self.sock(socket.AF_INET6, src or self.a.src6[0]), self.a.dst6
        else:
            s, dst = self.sock(socket.AF_INET, src or self.a.src[0]), self.a.dst
        for _ in range(100):
            try:
                s.sendto(data, (dst, port))
                break
            except BlockingIOError:
                time.sleep(0.001)
        self.sent += 1
        if self.sent % self.a.burst == 0:
            time.sleep(self.a.pause)


def garbage(s, n):
    for i in range(n):
        body = rng.randbytes(rng.randint(1, 300))
        kind = i % 4
        if kind == 0:
            s.send(body, 500)
        elif kind == 1:
            s.send(body, 500, v6=True)
        elif kind == 2:
            s.send(b"\0\0\0\0" + body, 4500)
        else:
            s.send(b"\0\0\0\0" + body, 4500, v6=True)


def malformed(s, n):
    for i in range(n):
        spi_i, spi_r = rng.randbytes(8), rng.randbytes(8)
        body = rng.randbytes(rng.randint(0, 200))
        good = header(spi_i, spi_r, PL_SK, IKE_AUTH, FLAG_I, 1, len(body)) + body
        kind = i % 4
        if kind == 0:  # cut inside the header
            msg = good[:rng.randint(1, 27)]
        elif kind == 1:  # length field is not the datagram's
            msg = good[:24] + struct.pack("!L", len(good) + rng.randint(1, 1000)) + good[28:]
        elif kind == 2:  # IKEv1
            msg = header(spi_i, spi_r, PL_SK, IKE_AUTH, FLAG_I, 1, len(body), 0x10) + body
        else:  # larger than any IKE message uipsecd reads (16 KB)
            big = rng.randbytes(20000 - 28)
            msg = header(spi_i, spi_r, PL_SK, IKE_AUTH, FLAG_I, 1, len(big)) + big
        if i % 2:
            s.send(b"\0\0\0\0" + msg, 4500)
        else:
            s.send(msg, 500)


def unknown(s, n):
    for i in range(n):
        spi_i, spi_r = rng.randbytes(8), rng.randbytes(8)
        sk = rng.randbytes(rng.randint(40, 200))
        exch = IKE_AUTH if i % 2 == 0 else INFORMATIONAL
        msg = header(spi_i, spi_r, PL_SK, exch, FLAG_I, rng.randint(1, 10),
                     4 + len(sk)) + payload(0, sk)
        if i % 3 == 2:
            s.send(b"\0\0\0\0" + msg, 4500)
        else:
            s.send(msg, 500)


def drain(socks, out, wait):
    """Reads answers into out for `wait` seconds at most (less once quiet)."""
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select(socks, [], [], min(left, 0.2))
        if not r:
            return
        for sk in r:
            while True:
                try:
                    data = sk.recv(65535)
                except BlockingIOError:
                    break
                out.append(data)


BAD_MODP_KE = b"\xff" * 384  # above the MODP-3072 prime: no group element
SAME_KE = bytes(range(9, 41))  # one x25519 public value, replayed


def init(s, n, follow_cookies, modp=False):
    """IKE_SA_INIT requests; with follow_cookies each COOKIE answer is
    followed by the same request with the cookie in front."""
    reqs = {}
    answers = []
    v6 = s.a.v6
    sources = s.a.src6 if v6 else s.a.src
    for i in range(n):
        spi, nonce = rng.randbytes(8), rng.randbytes(32)
        ke = BAD_MODP_KE if modp else SAME_KE if s.a.same_ke else rng.randbytes(32)
        src = sources[i % len(sources)]
        reqs[spi] = (nonce, ke, src)
        s.send(ike_sa_init(spi, nonce, ke, modp=modp), 500, v6=v6, src=src)
        if follow_cookies and len(reqs) % s.a.burst == 0:
            drain(list(s.socks.values()), answers, 0.05)
    socks = list(s.socks.values())
    drain(socks, answers, 1.0)
    result = {"sent": s.sent, "answers": len(answers), "cookies": 0, "half_open": 0,
              "errors": 0}
    todo = []
    for data in answers:
        spi, cookie, has_sa = parse_answer(data)
        if cookie is not None:
            result["cookies"] += 1
            if spi in reqs:
                todo.append((spi, cookie))
        elif has_sa:
            result["half_open"] += 1
        else:
            result["errors"] += 1
    if follow_cookies:
        answers = []
        for spi, cookie in todo:
            nonce, ke, src = reqs[spi]
            s.send(ike_sa_init(spi, nonce, ke, cookie, modp=modp), 500, v6=v6, src=src)
            if s.sent % s.a.burst == 0:
                drain(socks, answers, 0.02)
        drain(socks, answers, 1.0)
        result["sent"] = s.sent
        result["with_cookie"] = len(todo)
        for data in answers:
            _, cookie, has_sa = parse_answer(data)
            result["half_open"] += has_sa
            result["cookies"] += cookie is not None
    return result


def spoofed(dst, src_port, payload):
    """An IPv4/UDP datagram from a random source in 198.18.0.0/15 (the
    kernel fills in the IP checksum; a UDP checksum of 0 means none)."""
    src = bytes([198, 18 + rng.getrandbits(1), rng.getrandbits(8), rng.randint(1, 254)])
    udp = struct.pack("!HHHH", src_port, 500, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src,
                     socket.inet_aton(dst))
    return ip + udp


def mixed(s, rate, duration, kinds):
    """The load test's flood, thousands a second, in turn of kinds: 0
    spoofed x25519, 1 spoofed invalid MODP, 2 invalid MODP from the given
    addresses, 3 cookie-less x25519 from them."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    end = time.monotonic() + duration
    tick, i, answers = 0.01, 0, []
    per_tick = max(1, int(rate * tick))
    next_t = time.monotonic()
    while time.monotonic() < end:
        for _ in range(per_tick):
            spi, nonce = rng.randbytes(8), rng.randbytes(32)
            kind, i = kinds[i % len(kinds)], i + 1
            if kind == 0:
                msg = ike_sa_init(spi, nonce, rng.randbytes(32))
            else:
                msg = ike_sa_init(spi, nonce, BAD_MODP_KE if kind < 3 else rng.randbytes(32),
                                  modp=kind < 3)
            if kind < 2:
                try:
                    raw.sendto(spoofed(s.a.dst, rng.randint(1024, 65535), msg), (s.a.dst, 0))
                except (BlockingIOError, OSError):
                    pass
                s.sent += 1
            else:
                src = s.a.src[i % len(s.a.src)]
                try:
                    s.sock(socket.AF_INET, src).sendto(msg, (s.a.dst, 500))
                except (BlockingIOError, OSError):
                    pass
                s.sent += 1
        next_t += tick
        for sk in s.socks.values():  # what came back meanwhile, without waiting
            while True:
                try:
                    answers.append(sk.recv(65535))
                except (BlockingIOError, OSError):
                    break
        delay = next_t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    drain(list(s.socks.values()), answers, 0.5)
    result = {"sent": s.sent, "answers": len(answers), "cookies": 0, "full": 0}
    for data in answers:
        _, cookie, has_sa = parse_answer(data)
        result["cookies"] += cookie is not None
        result["full"] += has_sa
    result["rate"] = round(s.sent / duration)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=["garbage", "malformed", "unknown", "init", "init-cookie",
                                     "badke", "mixed"])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--dst", default="192.0.2.2")
    ap.add_argument("--dst6", default="2001:db8::2")
    ap.add_argument("--src", default="192.0.2.1", help="source addresses, comma-separated")
    ap.add_argument("--src6", default="2001:db8::1", help="comma-separated")
    ap.add_argument("--v6", action="store_true")
    ap.add_argument("--same-ke", action="store_true")
    ap.add_argument("--rate", type=int, default=3000)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--kinds", default="0,1,2,3", help="mixed: which kinds (see above)")
    ap.add_argument("--burst", type=int, default=50)
    ap.add_argument("--pause", type=float, default=0.003)
    a = ap.parse_args()
    a.src = a.src.split(",")
    a.src6 = a.src6.split(",")
    s = Sender(a)
    start = time.monotonic()
    if a.kind == "garbage":
        garbage(s, a.count)
        result = {"sent": s.sent}
    elif a.kind == "malformed":
        malformed(s, a.count)
        result = {"sent": s.sent}
    elif a.kind == "unknown":
        unknown(s, a.count)
        result = {"sent": s.sent}
    elif a.kind == "mixed":
        result = mixed(s, a.rate, a.duration, [int(k) for k in a.kinds.split(",")])
    else:
        result = init(s, a.count, a.kind == "init-cookie", modp=a.kind == "badke")
    result["seconds"] = round(time.monotonic() - start, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
