#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""uipsecctl against a fake uipsecd.

For each case a fake daemon listens on a Unix socket in a temporary folder,
takes one request line and sends a canned answer (a good one, an error, a
malformed one, or none at all).  What uipsecctl sent, its exit status, its
stdout and its stderr are compared with expected/CASE.txt; any difference
fails the test.  After a deliberate change of the output, regenerate the
files and review the diff:

    test_uipsecctl.py path/to/uipsecctl tests/ctl/expected --update
"""
import difflib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

MiB = 1024 * 1024


def ok(result):
    return (json.dumps({"ok": True, "result": result}, separators=(",", ":")) + "\n").encode()


def lifetime(soft_bytes=0, hard_bytes=0, soft_packets=0, hard_packets=0, soft=False, hard=False):
    return {"soft_bytes": soft_bytes, "hard_bytes": hard_bytes, "soft_packets": soft_packets,
            "hard_packets": hard_packets, "soft_expired": soft, "hard_expired": hard}


def sa(name, spi, direction, **kw):
    base = {"name": name, "spi": spi, "direction": direction, "protocol": "esp",
            "mode": "tunnel", "suite": "aes256gcm16", "encap": False,
            "local": "192.0.2.1", "remote": "192.0.2.2", "backend": "ipsec-mb", "esn": False,
            "packets": 0, "bytes": 0, "seq": 0, "replay_window": 64 if direction == "in" else 0,
            "replay_seen": 0, "lifetime": lifetime(), "drops": {}}
    base.update(kw)
    return base


STATUS = {"daemon": "uipsecd", "version": "0.1.0", "pid": 4242, "uptime": 93784,
          "config": "/etc/uipsec/uipsecd.conf", "interface": "uipsec0", "mtu": 1400,
          "sas": 6, "policies": 5,
          "drops": {"no-policy": 12, "auth-failed": 3, "replayed": 0}}

V6 = {"local": "2001:db8::1", "remote": "2001:db8::2"}
SAS = {"sas": [
    sa("net", "c0de0001", "in", packets=12, bytes=1234, seq=12, replay_seen=12,
       drops={"auth-failed": 3, "replayed": 1, "too-old": 0}),
    sa("db", "0000d002", "out", protocol="ah", mode="transport", suite="sha256", esn=True,
       backend="openssl", packets=4000000000, bytes=5 * 1024 ** 4, seq=4000000000,
       lifetime=lifetime(hard_packets=4294967295, soft_packets=3865470566, soft=True), **V6),
    sa("net", "c0de0002", "out", packets=30, bytes=3482, seq=30,
       lifetime=lifetime(soft_bytes=966367641, hard_bytes=1073741824)),
    sa("road\u001b[2J", "c0de0101", "in", suite="chacha20poly1305", encap=True,
       remote="198.51.100.7", packets=1, bytes=84, seq=1, replay_window=0),
    sa("db", "0000d001", "in", protocol="ah", mode="transport", suite="sha256", esn=True,
       backend="openssl", packets=1023, bytes=1048524, seq=1023, replay_window=1024,
       replay_seen=1000, lifetime=lifetime(hard_bytes=2 * MiB, hard=True), **V6),
    sa("net", "c0de0003", "in", packets=0, bytes=0, seq=0,
       lifetime=lifetime(soft_packets=900000)),
]}

POLS = {"policies": [
    {"name": "net", "direction": "out", "action": "protect", "priority": 100,
     "local_ts": "10.10.1.0/24", "remote_ts": "10.10.2.0/24", "spi": "c0de0002",
     "packets": 30, "bytes": 3482},
    {"name": "net", "direction": "in", "action": "protect", "priority": 100,
     "local_ts": "10.10.1.0/24", "remote_ts": "10.10.2.0/24", "spi": "c0de0001",
     "packets": 12, "bytes": 1234},
    {"name": "web", "direction": "out", "action": "protect", "priority": 2000,
     "local_ts": "10.10.1.0/24", "remote_ts": "10.10.3.0/24[tcp/80]", "spi": None,
     "packets": 0, "bytes": 0},
    {"name": "dns", "direction": "out", "action": "bypass", "priority": 50,
     "local_ts": "0.0.0.0/0", "remote_ts": "0.0.0.0/0[udp/53]", "spi": None,
     "packets": 1500, "bytes": 150000},
    {"name": "drop6", "direction": "in", "action": "discard", "priority": 1,
     "local_ts": "::/0", "remote_ts": "2001:db8:bad::/48", "spi": None,
     "packets": 7, "bytes": 560},
], "drops": {"no-policy": 12, "selector-mismatch": 2, "clear-for-protect": 0}}

WRONG_TYPES = {"sas": [{"name": "x", "spi": 1234, "direction": "in", "bytes": "lots",
                        "packets": -1, "seq": 1.5, "lifetime": "none", "drops": [1]}]}

# name, arguments, answer.  The answer is bytes to send, "hang" (take the
# request, never answer), or None (no daemon).  {sock} is the socket path.
CASES = [
    ("status", ["status"], ok(STATUS)),
    ("status-json", ["--json", "status"], ok(STATUS)),
    ("list-sas", ["list-sas"], ok(SAS)),
    ("list-sas-json", ["list-sas", "--json"], ok(SAS)),
    ("list-sas-empty", ["list-sas"], ok({"sas": []})),
    ("list-sas-empty-json", ["--json", "list-sas"], ok({"sas": []})),
    ("list-sas-wrong-types", ["list-sas"], ok(WRONG_TYPES)),
    ("list-sas-not-a-list", ["list-sas"], ok({"sas": {}})),
    ("list-pols", ["list-pols"], ok(POLS)),
    ("list-pols-json", ["list-pols", "--json"], ok(POLS)),
    ("list-pols-empty", ["list-pols"], ok({"policies": [], "drops": {"no-policy": 0}})),
    ("reload", ["reload"], ok({"added": 2, "removed": 1, "kept": 3})),
    ("reload-json", ["--json", "reload"], ok({"added": 2, "removed": 1, "kept": 3})),
    ("socket-option", ["--socket", "{sock}", "status"], ok(STATUS)),
    ("refused", ["reload"],
     b'{"ok":false,"error":"/etc/uipsec/uipsecd.conf:12:5: unknown key \'foo\'; '
     b'remove it or see docs/CONFIGURATION.md"}\n'),
    ("refused-json", ["--json", "reload"], b'{"ok":false,"error":"reload already running"}\n'),
    ("refused-control-chars", ["status"], b'{"ok":false,"error":"bad\\u001b[31m name"}\n'),
    ("malformed-not-json", ["status"], b"this is not json\n"),
    ("malformed-no-ok", ["status"], b'{"result":{}}\n'),
    ("malformed-ok-string", ["status"], b'{"ok":"yes","result":{}}\n'),
    ("malformed-no-result", ["status"], b'{"ok":true}\n'),
    ("malformed-result-list", ["status"], b'{"ok":true,"result":[]}\n'),
    ("malformed-no-error", ["status"], b'{"ok":false}\n'),
    ("malformed-trailing", ["status"], b'{"ok":true,"result":{}} {}\n'),
    ("malformed-nul", ["status"], b'{"ok":true,"result":{}}\0\n'),
    ("malformed-empty-line", ["status"], b"\n"),
    ("malformed-deep", ["status"], b"[" * 100000 + b"\n"),
    ("no-newline", ["status"], ok(STATUS)[:-1]),
    ("closed-without-answer", ["status"], b""),
    ("too-long", ["status"], b'{"ok":true,"result":{"x":"' + b"a" * (16 * MiB) + b'"}}\n'),
    ("timeout", ["status"], "hang"),
    ("no-daemon", ["--socket", "{sock}.absent", "status"], None),
    ("permission-denied", ["status"], ok(STATUS)),
    ("path-too-long", ["--socket", "/" + "x" * 120, "status"], None),
    ("usage", ["--help"], None),
    ("usage-command", ["list-sas", "--help"], None),
    ("no-command", [], None),
    ("unknown-command", ["list-conns"], None),
    ("unknown-option", ["--verbose", "status"], None),
    ("unknown-command-option", ["list-pols", "--child", "net"], None),
    ("socket-without-path", ["--socket"], None),
]


def serve(listener, answer, requests, client_done):
    """Takes one connection, records the request, answers."""
    while True:
        try:
            conn, _ = listener.accept()
            break
        except socket.timeout:
            if client_done.is_set():
                return  # uipsecctl never connected
    with conn:
        conn.settimeout(30)
        data = b""
        try:
            while b"\n" not in data and len(data) <= 8192:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            requests.append(data)
            if answer == "hang":
                client_done.wait(30)  # uipsecctl half-closes: recv() would see EOF
            else:
                conn.sendall(answer)
        except OSError:
            pass  # the client gave up first, as it should on a long answer


def nobody_copy(binary, workdir):
    """A copy of the binary that user nobody can run (build trees may be private)."""
    d = os.path.join(workdir, "bin")
    os.mkdir(d)
    os.chmod(workdir, 0o755)
    os.chmod(d, 0o755)
    copy = os.path.join(d, "uipsecctl")
    shutil.copy(binary, copy)
    os.chmod(copy, 0o755)
    return copy


def run_case(binary, tmp, name, args, answer):
    """Returns the transcript of one case, as in the expected file."""
    sock_path = os.path.join(tmp, "d.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    env = {k: v for k, v in os.environ.items() if k != "UIPSECD_SOCKET"}
    env["UIPSECD_SOCKET"] = sock_path
    requests, listener, server, extra = [], None, None, {}
    client_done = threading.Event()
    if answer is not None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(sock_path)
        listener.listen(1)
        listener.settimeout(0.05)
        server = threading.Thread(target=serve, args=(listener, answer, requests, client_done))
        server.start()
    if name == "permission-denied":
        if os.geteuid() == 0:
            # tmp is 0700: user nobody may not reach the socket.
            binary = nobody_copy(binary, tempfile.mkdtemp(prefix="uipsecctl-bin-"))
            extra = {"user": 65534, "group": 65534, "extra_groups": [], "cwd": "/"}
        else:
            os.chmod(sock_path, 0)
    argv = [binary] + [a.replace("{sock}", sock_path) for a in args]
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, timeout=60, **extra)
    except PermissionError:
        if not extra:
            raise
        return None  # this system cannot switch to user nobody
    finally:
        client_done.set()
        if extra:
            shutil.rmtree(os.path.dirname(os.path.dirname(binary)))
        if listener is not None:
            server.join()
            listener.close()
    return transcript(args, requests, proc, tmp)


def transcript(args, requests, proc, tmp):
    def text(b):
        s = b.decode("utf-8", "backslashreplace").replace(tmp, "$TMP")
        return s if not s or s.endswith("\n") else s + "\n\\ no newline at end\n"

    request = requests[0].decode("utf-8", "backslashreplace") if requests else "(none)\n"
    if not request.endswith("\n"):
        request += "\\ no newline at end\n"
    shown = " ".join(args).replace(tmp, "$TMP")
    return (f"$ uipsecctl {shown}\nrequest: {request}exit: {proc.returncode}\n"
            f"--- stdout\n{text(proc.stdout)}--- stderr\n{text(proc.stderr)}")


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] != "--update"):
        sys.exit("usage: test_uipsecctl.py UIPSECCTL EXPECTED_DIR [--update]")
    binary, expected_dir = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = len(sys.argv) == 4
    failed = 0
    only = os.environ.get("CASE")
    with tempfile.TemporaryDirectory(prefix="uipsecctl-") as tmp:
        for name, args, answer in CASES:
            if only and name != only:
                continue
            start = time.monotonic()
            got = run_case(binary, tmp, name, args, answer)
            if got is None:
                print(f"skip {name}: cannot run as user nobody")
                continue
            path = os.path.join(expected_dir, name + ".txt")
            if update:
                with open(path, "w") as f:
                    f.write(got)
                continue
            try:
                with open(path) as f:
                    want = f.read()
            except FileNotFoundError:
                want = ""
            if got != want:
                failed += 1
                print(f"FAIL {name}")
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True), path, "uipsecctl"))
            else:
                print(f"ok   {name} ({time.monotonic() - start:.1f} s)")
    if failed:
        sys.exit(f"{failed} of {len(CASES)} cases differ from {expected_dir}")
    print(f"all {len(CASES)} cases as expected" if not update else "expected files written")


if __name__ == "__main__":
    main()
