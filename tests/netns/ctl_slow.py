#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile control clients for test_daemon.sh (issue 8, finding 6).

  ctl_slow.py SOCK trickle   one request, one byte every 0.8 s (it would take
                             about 17 s): prints {"seconds": S, "answer": A},
                             S the time until the daemon closed, A its answer
  ctl_slow.py SOCK idle N    N connections that send nothing: prints
                             {"busy": B, "timed_out": T, "seconds": S}, B those
                             refused at once as too many, T those answered
                             with the request deadline, S when the last closed
"""
import json
import socket
import sys
import time

REQUEST = b'{"command":"status"}\n'


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_answer(s, until):
    data = b""
    while time.monotonic() < until:
        s.settimeout(max(0.01, until - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").strip()


def trickle(path):
    s = connect(path)
    start = time.monotonic()
    answer = None
    for byte in REQUEST:
        try:
            got = s.recv(65536, socket.MSG_DONTWAIT)
            answer = got.decode(errors="replace").strip()  # the daemon is done
            break
        except BlockingIOError:
            pass
        except ConnectionResetError:
            break
        try:
            s.send(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(0.8)
    if answer is None:
        answer = read_answer(s, time.monotonic() + 5)
    print(json.dumps({"seconds": round(time.monotonic() - start, 2), "answer": answer}))


def idle(path, n):
    start = time.monotonic()
    socks = [connect(path) for _ in range(n)]
    busy = timed_out = 0
    for s in socks:
        a = read_answer(s, start + 10)
        busy += "too many control clients" in a
        timed_out += "not complete within 2 seconds" in a
    print(json.dumps({"busy": busy, "timed_out": timed_out,
                      "seconds": round(time.monotonic() - start, 2)}))


if __name__ == "__main__":
    if sys.argv[2] == "trickle":
        trickle(sys.argv[1])
    else:
        idle(sys.argv[1], int(sys.argv[3]))
