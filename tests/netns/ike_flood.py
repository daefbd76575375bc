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


def ike_sa_init(spi_i, nonce, ke, cookie=None):
    """IKE_SA_INIT request: [N(COOKIE)], SA (aes256gcm16-prfsha256-x25519),
    KE (group 31), Ni."""
    xforms = (transform(False, 1, 20, struct.pack("!HH", 0x800e, 256)) +  # ENCR AES-GCM-16, 256
              transform(False, 2, 5) +  # PRF HMAC-SHA2-256
              transform(True, 4, 31))  # DH curve25519
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(xforms), 1, 1, 0, 3) + xforms
    pls = []
    if cookie is not None:
        pls.append((PL_NOTIFY, struct.pack("!BBH", 0, 0, N_COOKIE) + cookie))
    pls += [(PL_SA, prop), (PL_KE, struct.pack("!HH", 31, 0) + ke), (PL_NONCE, nonce)]
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
            s, dst = self.sock(socket.AF_INET6, self.a.src6), self.a.dst6
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
        else:  # larger than any IKE message uipsecd reads
            big = rng.randbytes(9000 - 28)
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


def init(s, n, follow_cookies):
    """IKE_SA_INIT requests; with follow_cookies each COOKIE answer is
    followed by the same request with the cookie in front."""
    reqs = {}
    answers = []
    sources = s.a.src
    for i in range(n):
        spi, nonce, ke = rng.randbytes(8), rng.randbytes(32), rng.randbytes(32)
        src = sources[i % len(sources)]
        reqs[spi] = (nonce, ke, src)
        s.send(ike_sa_init(spi, nonce, ke), 500, src=src)
        if follow_cookies and len(reqs) % s.a.burst == 0:
            drain(list(s.socks.values()), answers, 0.05)
    socks = list(s.socks.values())
    drain(socks, answers, 1.0)
    result = {"sent": s.sent, "answers": len(answers), "cookies": 0, "half_open": 0}
    todo = []
    for data in answers:
        spi, cookie, has_sa = parse_answer(data)
        if cookie is not None:
            result["cookies"] += 1
            if spi in reqs:
                todo.append((spi, cookie))
        elif has_sa:
            result["half_open"] += 1
    if follow_cookies:
        answers = []
        for spi, cookie in todo:
            nonce, ke, src = reqs[spi]
            s.send(ike_sa_init(spi, nonce, ke, cookie), 500, src=src)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=["garbage", "malformed", "unknown", "init", "init-cookie"])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--dst", default="192.0.2.2")
    ap.add_argument("--dst6", default="2001:db8::2")
    ap.add_argument("--src", default="192.0.2.1", help="source addresses, comma-separated")
    ap.add_argument("--src6", default="2001:db8::1")
    ap.add_argument("--burst", type=int, default=50)
    ap.add_argument("--pause", type=float, default=0.003)
    a = ap.parse_args()
    a.src = a.src.split(",")
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
    else:
        result = init(s, a.count, a.kind == "init-cookie")
    result["seconds"] = round(time.monotonic() - start, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
