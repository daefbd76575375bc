#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Bulk TCP or UDP through a tunnel, every byte checked at the other end.

    bulk.py tcp-server ADDR PORT MBYTES SEED
    bulk.py tcp-client SRC ADDR PORT MBYTES SEED [STREAMS]
    bulk.py udp-server ADDR PORT COUNT SIZE
    bulk.py udp-client SRC ADDR PORT COUNT SIZE [GSO_SIZE]

TCP: both ends send MBYTES of a seeded pseudo-random stream at once (each
connection its own seed), in writes of odd, varying sizes, and each end
compares what it receives with the stream it expects, byte for byte: a
segment cut or coalesced wrongly on the way (TUN offloads) cannot pass
even where the inner checksums are not checked again.  UDP: COUNT
datagrams of SIZE bytes, numbered, sent with UDP_SEGMENT (one system call
per GSO_SIZE train) when asked; the server reports how many arrived
intact.  Exit status 0 on success, 1 with a message otherwise.
"""

import random
import socket
import struct
import sys
import threading
import time

UDP_SEGMENT = 103


def stream(seed, nbytes):
    return random.Random(seed).randbytes(nbytes)


def send_all(sock, data, seed):
    sizes = random.Random(seed ^ 0x5A5A)
    at = 0
    while at < len(data):
        n = sizes.choice((1, 7, 100, 1399, 1448, 4093, 16411, 65521, 200003))
        sock.sendall(data[at:at + n])
        at += n
    sock.shutdown(socket.SHUT_WR)


def recv_check(sock, want, who, errors):
    got = bytearray()
    while True:
        b = sock.recv(1 << 20)
        if not b:
            break
        got += b
    if got != want:
        bad = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                   min(len(got), len(want)))
        errors.append("%s: %d bytes received, %d expected, first difference at %d"
                      % (who, len(got), len(want), bad))


def exchange(sock, nbytes, my_seed, peer_seed, who):
    errors = []
    mine = stream(my_seed, nbytes)
    theirs = stream(peer_seed, nbytes)
    t = threading.Thread(target=send_all, args=(sock, mine, my_seed))
    t.start()
    recv_check(sock, theirs, who, errors)
    t.join()
    return errors


def tcp_server(addr, port, mbytes, seed, streams=8):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(streams)
    ls.settimeout(30)
    errors, threads = [], []
    nbytes = mbytes << 20

    def one(conn):
        i = struct.unpack("!I", conn.recv(4, socket.MSG_WAITALL))[0]
        errors.extend(exchange(conn, nbytes, seed + 2 * i + 1, seed + 2 * i, "server %d" % i))
        conn.close()

    try:
        while True:
            conn, _ = ls.accept()
            ls.settimeout(2)
            t = threading.Thread(target=one, args=(conn,))
            t.start()
            threads.append(t)
    except socket.timeout:
        pass
    for t in threads:
        t.join()
    if errors or not threads:
        sys.exit("; ".join(errors) or "no connection")


def tcp_client(src, addr, port, mbytes, seed, streams=1):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    errors, threads = [], []
    nbytes = mbytes << 20

    def one(i):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(60)
        s.connect((addr, port))
        s.sendall(struct.pack("!I", i))
        errors.extend(exchange(s, nbytes, seed + 2 * i, seed + 2 * i + 1, "client %d" % i))
        s.close()

    for i in range(streams):
        t = threading.Thread(target=one, args=(i,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    if errors:
        sys.exit("; ".join(errors))


def payload(i, size):
    head = struct.pack("!I", i)
    return head + random.Random(i).randbytes(size - 4)


def udp_server(addr, port, count, size):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, port))
    s.settimeout(3)
    seen, bad = set(), 0
    try:
        while len(seen) < count:
            d = s.recv(65536)
            i = struct.unpack("!I", d[:4])[0] if len(d) >= 4 else -1
            if len(d) != size or i >= count or d != payload(i, size):
                bad += 1
            else:
                seen.add(i)
    except socket.timeout:
        pass
    print("received %d of %d intact, %d damaged" % (len(seen), count, bad))
    sys.exit(0 if not bad and len(seen) >= count * 0.95 else 1)


def udp_client(src, addr, port, count, size, gso=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    per = max(1, gso)
    for i in range(0, count, per):
        k = min(per, count - i)
        data = b"".join(payload(i + j, size) for j in range(k))
        if gso and k > 1:
            s.sendmsg([data], [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("H", size))],
                       0, (addr, port))
        else:
            for j in range(k):
                s.sendto(data[j * size:(j + 1) * size], (addr, port))
        time.sleep(0.001)  # no more than the receiver's queue holds


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "tcp-server":
        tcp_server(a[1], int(a[2]), int(a[3]), int(a[4]))
    elif a[0] == "tcp-client":
        tcp_client(a[1], a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]) if len(a) > 6 else 1)
    elif a[0] == "udp-server":
        udp_server(a[1], int(a[2]), int(a[3]), int(a[4]))
    elif a[0] == "udp-client":
        udp_client(a[1], a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]) if len(a) > 6 else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
