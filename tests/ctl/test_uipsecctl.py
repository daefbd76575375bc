#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""uipsecctl against a fake uipsecd.

For each case a fake daemon listens on a Unix socket in a temporary folder,
takes one request line and sends a canned answer (a good one, an error, a
malformed one, or none at all).  A case may give a list of answers, one per
connection in turn, the last one repeated (terminate, then its list-sas
polls).  What uipsecctl sent, its exit status, its stdout and its stderr are
compared with expected/CASE.txt; any difference fails the test.  Requests
repeated one after the other are shown once, with how often.  After a deliberate change of the output, regenerate the
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
          "offload": "TCP and UDP",
          "datapath": {"tun_reads": 120, "tun_super": 20, "tun_segments": 900, "tun_writes": 300,
                       "tun_coalesced": 25, "tun_merged": 1000, "udp_gso_trains": 40,
                       "udp_gso_packets": 1000, "udp_gro_receives": 30, "udp_gro_packets": 800},
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

def err(msg):
    return (json.dumps({"ok": False, "error": msg}, separators=(",", ":")) + "\n").encode()


def child(name, spi_in, spi_out, **kw):
    base = {"name": name, "state": "INSTALLED", "mode": "tunnel", "encap": True,
            "spi_in": spi_in, "spi_out": spi_out, "proposal": "aes256gcm16-noesn",
            "installed": 8, "packets_in": 5, "bytes_in": 420, "packets_out": 5, "bytes_out": 420,
            "local_ts": ["10.10.1.0/24"], "remote_ts": ["10.10.2.0/24"]}
    base.update(kw)
    return base


def ike_sa(name, ike_id, children, **kw):
    base = {"name": name, "id": ike_id, "state": "ESTABLISHED", "role": "initiator",
            "local": "192.0.2.1", "local_port": 4500, "remote": "192.0.2.2", "remote_port": 4500,
            "local_id": "left.ipsec.test", "remote_id": "right.ipsec.test",
            "spi_i": "bc96b16eed150b6c", "spi_r": "ba2134bd38e32d12",
            "proposal": "aes256gcm16-prfsha256-x25519", "nat": True, "established": 8,
            "children": children}
    base.update(kw)
    return base


GCM = ike_sa("gcm256", 1, [child("gcm256", "36cdaf36", "84938fe6")])
GCM_SAS = [sa("gcm256", "36cdaf36", "in", encap=True, packets=5, bytes=420, seq=5, replay_seen=5),
           sa("gcm256", "84938fe6", "out", encap=True, packets=5, bytes=420, seq=5)]
SAS_IKE = {"sas": SAS["sas"][:3] + GCM_SAS + [
    sa("web", "c5a0e001", "in", suite="aes128gcm16", local="2001:db8::1", remote="2001:db8::2"),
    sa("web", "c5a0e002", "out", suite="aes128gcm16", local="2001:db8::1",
       remote="2001:db8::2")],
    "ike_sas": [
    GCM,
    ike_sa("v6", 7, [
        child("web", "c5a0e001", "c5a0e002", encap=False, mode="transport", installed=3725,
              proposal="aes128gcm16-esn", packets_in=2000000, bytes_in=2500000000,
              packets_out=0, bytes_out=0,
              local_ts=["2001:db8:1::/48[tcp/443]", "2001:db8:2::/48"], remote_ts=[]),
        child("dns", "c5a0e003", "c5a0e004", state="REKEYED", encap=False, installed=None,
              remote_ts="2001:db8:53::1[udp/53]")],
        role="responder", local="2001:db8::1", local_port=500, remote="2001:db8::2",
        remote_port=500, local_id="2001:db8::1", remote_id="%any", nat=False,
        spi_i="0123456789abcdef", spi_r="fedcba9876543210", established=93784),
    ike_sa("road\u001b[2J", 8, [], state="INIT_SENT", spi_r="0000000000000000",
           proposal="", nat=False, established=None, remote="198.51.100.7", remote_port=500,
           local_port=500, remote_id="%any"),
]}
IKE_WRONG_TYPES = {"sas": [sa("x", "0badf00d", "in")], "ike_sas": [
    {"name": 5, "id": "one", "role": None, "local_port": -1, "nat": "yes",
     "established": "long", "children": {"spi_in": "0badf00d"}},
    {"children": [{"spi_in": 7, "installed": -3, "bytes_in": 1.5, "local_ts": [1, "10.0.0.0/8"],
                   "remote_ts": {}, "mode": "x" * 40, "encap": 1}, "not an object"]},
    [], None]}
SAS_IKE_ONLY = {"sas": GCM_SAS, "ike_sas": [GCM]}
NO_SAS = {"sas": [], "ike_sas": []}

def cert(subject, issuer, **kw):
    base = {"file": "/etc/uipsec/x509/gwCert.pem", "subject": subject, "issuer": issuer,
            "serial": "5a:01", "not_before": "2026-12-01T00:00:00Z",
            "not_after": "2026-12-21T00:00:00Z", "expires_in_days": 12, "expired": False,
            "key": "ECDSA P-256", "sans": [], "ca": False, "trusted": False,
            "sha256": "ab:" * 31 + "cd", "chain": [], "used_by": []}
    base.update(kw)
    return base


ROOT = "C=CH, O=uipsec test, CN=uipsec Root CA"
CERTS = {"certs": [
    cert("C=CH, O=uipsec test, CN=gw", ROOT, sans=["gw.uipsec.test", "192.0.2.1"],
         chain=["C=CH, O=uipsec test, CN=gw", ROOT],
         used_by=[{"connection": "gw", "as": "local"}]),
    cert(ROOT, ROOT, file="/etc/uipsec/x509ca/rootCert.pem", key="Ed25519", ca=True,
         trusted=True, expires_in_days=1, chain=[ROOT],
         used_by=[{"connection": "gw", "as": "ca"}, {"connection": "rw", "as": "ca"}]),
    cert("C=CH, CN=old", "C=CH, CN=other", file="/etc/uipsec/x509/old.pem", key="RSA 3072",
         expires_in_days=-3, expired=True, chain_error="unable to get local issuer certificate"),
    cert("\x1b[2J", "?", key=None, expired=None, expires_in_days="x", used_by=[{"as": 1}]),
]}

CONNS = {"conns": [
    {"name": "gcm256", "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2",
     "proposals": "aes256gcm16-prfsha256-x25519", "encap": True,
     "local_id": "left.ipsec.test", "remote_id": "right.ipsec.test", "auth": "psk",
     "children": [
         {"name": "gcm256", "mode": "tunnel", "esp_proposals": "aes256gcm16",
          "local_ts": ["10.10.1.0/24"], "remote_ts": ["10.10.2.0/24"], "start_action": "start"},
         {"name": "gcm256-web", "mode": "transport",
          "esp_proposals": "aes128gcm16-x25519,chacha20poly1305",
          "local_ts": ["dynamic"], "remote_ts": ["10.10.3.0/24[tcp/80]", "10.10.4.0/24"],
          "start_action": "trap"}]},
    {"name": "road", "local_addrs": "%any", "remote_addrs": "%any",
     "proposals": "aes128-sha256-modp2048", "encap": False,
     "local_id": "(local address)", "remote_id": "%any", "auth": "psk", "children": []},
    {"name": "odd\u001b[2J", "local_addrs": ["2001:db8::1", "2001:db8::3"], "remote_addrs": 5,
     "auth": "eap-tls", "children": [{"name": "x", "local_ts": [], "remote_ts": None}]},
]}

INITIATED = {"child": "gcm256", "ike": "gcm256", "id": 1, "spi_in": "36cdaf36",
             "spi_out": "84938fe6", "proposal": "aes256gcm16-noesn"}
DELETING = ok({"status": "deleting"})
GCM_GONE_CHILD = {"sas": [], "ike_sas": [ike_sa("gcm256", 1, [])]}
GCM_AGAIN = {"sas": GCM_SAS, "ike_sas": [ike_sa("gcm256", 2, [child("gcm256", "0badf00d",
                                                                     "84938fe6")])]}
GCM_DELETING = {"sas": GCM_SAS, "ike_sas": [dict(GCM, state="DELETING")]}

IKE_STATUS = dict(STATUS, ike_sas=3, ike_sas_established=2,
                  drops={"ike-malformed": 4, "ike-unknown-spi": 2,
                                 "ike-no-connection": 1, "ike-half-open-limit": 0,
                                 "ike-dropped": 3, "trap-pending": 17, "no-policy": 12})

# Cases whose request count depends on timing: repeats are shown without one.
UNCOUNTED = {"terminate-timeout"}

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
    ("unknown-command", ["list-keys"], None),
    ("unknown-option", ["--verbose", "status"], None),
    ("unknown-command-option", ["list-pols", "--child", "net"], None),
    ("socket-without-path", ["--socket"], None),
    ("status-ike", ["status"], ok(IKE_STATUS)),
    ("list-sas-ike", ["list-sas"], ok(SAS_IKE)),
    ("list-sas-ike-only", ["list-sas"], ok(SAS_IKE_ONLY)),
    ("list-sas-ike-json", ["list-sas", "--json"], ok(SAS_IKE_ONLY)),
    ("list-sas-ike-empty", ["list-sas"], ok(NO_SAS)),
    ("list-sas-ike-wrong-types", ["list-sas"], ok(IKE_WRONG_TYPES)),
    ("list-sas-ike-not-a-list", ["list-sas"], ok({"sas": [], "ike_sas": {"gcm256": 1}})),
    ("list-conns", ["list-conns"], ok(CONNS)),
    ("list-conns-json", ["--json", "list-conns"], ok({"conns": CONNS["conns"][:1]})),
    ("list-conns-empty", ["list-conns"], ok({"conns": []})),
    ("list-conns-not-a-list", ["list-conns"], ok({"conns": None})),
    ("list-certs", ["list-certs"], ok(CERTS)),
    ("list-certs-json", ["--json", "list-certs"], ok({"certs": CERTS["certs"][:1]})),
    ("list-certs-empty", ["list-certs"], ok({"certs": []})),
    ("list-certs-not-a-list", ["list-certs"], ok({"certs": {"file": 1}})),
    ("initiate", ["initiate", "--child", "gcm256"], ok(INITIATED)),
    ("initiate-timeout", ["initiate", "--timeout", "120", "--child", "gcm256"], ok(INITIATED)),
    ("initiate-json", ["initiate", "--child", "gcm256", "--json"], ok(INITIATED)),
    ("initiate-no-proposal", ["initiate", "--child", "gcm256"],
     err("gcm256: CHILD_SA gcm256 not made: NO_PROPOSAL_CHOSEN")),
    ("initiate-auth-failed", ["initiate", "--child", "gcm256"],
     err("gcm256[1]: IKE SA failed: peer refused our AUTH, notify AUTHENTICATION_FAILED")),
    ("initiate-daemon-timeout", ["initiate", "--child", "gcm256", "--timeout", "1"],
     err("timed out waiting for the CHILD_SA; it may still come up (uipsecctl list-sas)")),
    ("initiate-not-waited", ["initiate", "--child", "gcm256"],
     ok({"child": "gcm256", "status": "negotiating"})),
    ("initiate-hang", ["initiate", "--child", "gcm256", "--timeout", "1"], "hang"),
    ("initiate-no-child", ["initiate"], None),
    ("initiate-ike", ["initiate", "--ike", "gcm256", "--child", "gcm256"], None),
    ("initiate-timeout-zero", ["initiate", "--child", "gcm256", "--timeout", "0"], None),
    ("initiate-timeout-hour", ["initiate", "--child", "gcm256", "--timeout", "3600"], None),
    ("initiate-timeout-word", ["initiate", "--child", "gcm256", "--timeout", "5s"], None),
    ("initiate-timeout-missing", ["initiate", "--child", "gcm256", "--timeout"], None),
    ("initiate-help", ["initiate", "--help"], None),
    ("terminate-ike", ["terminate", "--ike", "gcm256"],
     [DELETING, ok(GCM_DELETING), ok(GCM_DELETING), ok(NO_SAS)]),
    ("terminate-child", ["terminate", "--child", "gcm256"],
     [DELETING, ok(SAS_IKE_ONLY), ok(GCM_GONE_CHILD)]),
    ("terminate-ike-again", ["terminate", "--ike", "gcm256"],
     [DELETING, ok(SAS_IKE_ONLY), ok(GCM_AGAIN)]),
    ("terminate-child-again", ["terminate", "--child", "gcm256"],
     [DELETING, ok(SAS_IKE_ONLY), ok(GCM_AGAIN)]),
    ("terminate-at-once", ["terminate", "--child", "gcm256"], [DELETING, ok(GCM_GONE_CHILD)]),
    ("terminate-json", ["--json", "terminate", "--ike", "gcm256"], [DELETING, ok(NO_SAS)]),
    ("terminate-no-wait", ["terminate", "--ike", "gcm256", "--timeout", "0"], [DELETING]),
    ("terminate-timeout", ["terminate", "--ike", "gcm256", "--timeout", "1"],
     [DELETING, ok(GCM_DELETING)]),
    ("terminate-refused", ["terminate", "--ike", "gcm9"], err('no IKE SA named "gcm9" is up')),
    ("terminate-poll-malformed", ["terminate", "--ike", "gcm256"],
     [DELETING, ok(SAS_IKE_ONLY), b"{}\n"]),
    ("terminate-poll-refused", ["terminate", "--ike", "gcm256"],
     [DELETING, err("uipsecd is stopping")]),
    ("terminate-both", ["terminate", "--ike", "gcm256", "--child", "gcm256"], None),
    ("terminate-neither", ["terminate", "--timeout", "5"], None),
    ("terminate-timeout-word", ["terminate", "--ike", "gcm256", "--timeout", "-1"], None),
    ("terminate-help", ["terminate", "--help"], None),
]


def serve(listener, answers, requests, client_done):
    """Takes connections until uipsecctl is done, records each request and
    answers it with the next answer (the last one again and again)."""
    while not client_done.is_set():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        answer = answers[min(len(requests), len(answers) - 1)]
        serve_one(conn, answer, requests, client_done)


def serve_one(conn, answer, requests, client_done):
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
        answers = answer if isinstance(answer, list) else [answer]
        server = threading.Thread(target=serve, args=(listener, answers, requests, client_done))
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
    return transcript(args, requests, proc, tmp, name in UNCOUNTED)


def request_lines(requests, uncounted):
    """One "request:" line per run of equal requests."""
    runs = []
    for r in requests:
        if runs and runs[-1][0] == r:
            runs[-1][1] += 1
        else:
            runs.append([r, 1])
    lines = ""
    for r, n in runs or [[None, 1]]:
        line = r.decode("utf-8", "backslashreplace") if r is not None else "(none)\n"
        if not line.endswith("\n"):
            line += "\\ no newline at end\n"
        lines += "request: " + line
        if n > 1:
            lines += "  (and again, any number of times)\n" if uncounted else f"  ({n} times)\n"
    return lines


def transcript(args, requests, proc, tmp, uncounted):
    def text(b):
        s = b.decode("utf-8", "backslashreplace").replace(tmp, "$TMP")
        return s if not s or s.endswith("\n") else s + "\n\\ no newline at end\n"

    shown = " ".join(args).replace(tmp, "$TMP")
    return (f"$ uipsecctl {shown}\n{request_lines(requests, uncounted)}exit: {proc.returncode}\n"
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
