# SPDX-License-Identifier: MIT
"""An independent reader of uipsecd's packets, for the live tunnel tests.

scapy 2.5's IPsec layer decrypts and verifies; where it is missing something
or wrong, python3-cryptography and hmac fill in, as in tests/scapy/crosscheck.py:
  * AES-GMAC (RFC 4543) is not in scapy 2.5: registered here as a CryptAlgo;
  * scapy leaves the ESN high half out of ESP HMAC ICVs (RFC 4303 2.2.1):
    those ICVs are checked here and scapy decrypts without verifying.

Also here: the reader of the small configuration files the tests generate
(the swanctl.conf subset that lib.sh's make_confs writes), so that packets
are read with exactly the keys the daemons were given.

Must run with Debian's /usr/bin/python3 (python3-scapy, python3-cryptography).
"""

import hashlib
import os
import hmac
import re
import struct
import sys
from collections import namedtuple

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import AH, ESP, IPSecIntegrityError, SecurityAssociation

# strongSwan keyword -> protocol, scapy cipher, key and salt bytes, ICV bytes,
# scapy integrity algorithm, hashlib name.
Suite = namedtuple("Suite", "proto crypt enc_len salt_len icv_len auth hash")
SUITES = {
    "aes128gcm16": Suite("esp", "AES-GCM", 16, 4, 16, None, None),
    "aes256gcm16": Suite("esp", "AES-GCM", 32, 4, 16, None, None),
    "chacha20poly1305": Suite("esp", "CHACHA20-POLY1305", 32, 4, 16, None, None),
    "aes128gmac": Suite("esp", "AES-GMAC", 16, 4, 16, None, None),
    "aes256gmac": Suite("esp", "AES-GMAC", 32, 4, 16, None, None),
    "aes128-sha256": Suite("esp", "AES-CBC", 16, 0, 16, "SHA2-256-128", "sha256"),
    "aes256-sha256": Suite("esp", "AES-CBC", 32, 0, 16, "SHA2-256-128", "sha256"),
    "aes128-sha384": Suite("esp", "AES-CBC", 16, 0, 24, "SHA2-384-192", "sha384"),
    "aes256-sha384": Suite("esp", "AES-CBC", 32, 0, 24, "SHA2-384-192", "sha384"),
    "aes128-sha512": Suite("esp", "AES-CBC", 16, 0, 32, "SHA2-512-256", "sha512"),
    "aes256-sha512": Suite("esp", "AES-CBC", 32, 0, 32, "SHA2-512-256", "sha512"),
    "null-sha256": Suite("esp", "NULL", 0, 0, 16, "SHA2-256-128", "sha256"),
    "null-sha384": Suite("esp", "NULL", 0, 0, 24, "SHA2-384-192", "sha384"),
    "null-sha512": Suite("esp", "NULL", 0, 0, 32, "SHA2-512-256", "sha512"),
    "sha256": Suite("ah", None, 0, 0, 16, "SHA2-256-128", "sha256"),
    "sha384": Suite("ah", None, 0, 0, 24, "SHA2-384-192", "sha384"),
    "sha512": Suite("ah", None, 0, 0, 32, "SHA2-512-256", "sha512"),
}

IPPROTO_UDP, IPPROTO_ESP, IPPROTO_AH = 17, 50, 51
NAT_T_PORT = 4500


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import scapy_gmac  # noqa: E402,F401  registers AES-GMAC with scapy


def parse_proposal(proposal):
    """'aes128-sha256-esn' -> (Suite, esn)."""
    esn = proposal.endswith("-esn")
    name = proposal[:-4] if esn else proposal
    if name not in SUITES:
        raise ValueError("unknown proposal %r" % proposal)
    return SUITES[name], esn


# --- One direction of a manually keyed connection ---

class Direction:
    """One SA as a reader sees it: scapy's SecurityAssociation plus what
    scapy cannot check by itself."""

    def __init__(self, proposal, mode, encap, spi, enc_key, integ_key):
        self.suite, self.esn = parse_proposal(proposal)
        self.spi = spi
        self.integ_key = integ_key
        s = self.suite
        if len(enc_key) != s.enc_len + s.salt_len:
            raise ValueError("enc_key of %d bytes for %s" % (len(enc_key), proposal))
        kw = dict(spi=spi, esn_en=self.esn, esn=0)
        if s.crypt:
            kw.update(crypt_algo=s.crypt, crypt_key=enc_key)
        if s.auth:
            kw.update(auth_algo=s.auth, auth_key=integ_key)
        if mode == "tunnel":
            kw["tunnel_header"] = IP()  # only its presence counts for decryption
        if encap:
            kw["nat_t_header"] = UDP(sport=NAT_T_PORT, dport=NAT_T_PORT)
        self.sa = SecurityAssociation(ESP if s.proto == "esp" else AH, **kw)

    def decrypt(self, outer):
        """The packet inside the outer packet (bytes, from its IP header on).
        Raises IPSecIntegrityError (or InvalidTag) if it does not verify.
        The live tests start at sequence number 1, so the ESN high half is 0."""
        verify = True
        if self.suite.proto == "esp" and self.suite.auth and self.esn:
            off, n = ipsec_layout(outer)[1], self.suite.icv_len
            want = esp_hmac_icv(self.suite, self.integ_key, outer[off:len(outer) - n], 0)
            if not hmac.compare_digest(outer[len(outer) - n:], want):
                raise IPSecIntegrityError("ICV (with the ESN high half) does not verify")
            verify = False
        pkt = IP(outer) if outer[0] >> 4 == 4 else IPv6(outer)
        return bytes(self.sa.decrypt(pkt, verify=verify))


def esp_hmac_icv(suite, key, esp_wo_icv, esn_high):
    """RFC 4303 2.2.1 / 3.3.2.1: with ESN the high half is appended to the
    HMAC input (but not sent); scapy 2.5 leaves it out."""
    msg = esp_wo_icv + struct.pack("!L", esn_high)
    return hmac.new(key, msg, getattr(hashlib, suite.hash)).digest()[:suite.icv_len]


# --- Packet layout (raw bytes, no dissection) ---

def ipsec_layout(data):
    """(protocol, offset) after the IP header, IPv6 hop-by-hop, routing and
    destination options headers; UDP 4500 counts as ESP after its header."""
    if data[0] >> 4 == 4:
        proto, off = data[9], (data[0] & 15) * 4
    else:
        proto, off = data[6], 40
        while proto in (0, 43, 60) and off + 8 <= len(data):
            proto, off = data[off], off + (data[off + 1] + 1) * 8
    if proto == IPPROTO_UDP and off + 8 <= len(data):
        dport = struct.unpack("!H", data[off + 2:off + 4])[0]
        sport = struct.unpack("!H", data[off:off + 2])[0]
        if NAT_T_PORT in (sport, dport):
            return IPPROTO_ESP, off + 8
    return proto, off


# --- The generated configuration files ---

def parse_conf(path):
    """The tree of a swanctl.conf-style file as nested dicts; enough for the
    files the tests write (no includes, no quoted multi-line strings)."""
    root, stack = {}, []
    cur = root
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.fullmatch(r"([\w.-]+)\s*\{", line)
            if m:
                stack.append(cur)
                cur = cur.setdefault(m.group(1), {})
            elif line == "}":
                cur = stack.pop()
            elif "=" in line:
                key, value = (s.strip() for s in line.split("=", 1))
                cur[key] = value
            else:
                raise ValueError("%s:%d: cannot read %r" % (path, lineno, line))
    return root


def _hex(value):
    return bytes.fromhex(value[2:]) if value else b""


Conn = namedtuple("Conn", "name local remote mode encap proposal out_sa in_sa local_ts remote_ts")


def connections(path):
    """The manual connections of a configuration file, seen from its side."""
    conns = []
    for name, c in parse_conf(path).get("manual", {}).items():
        proposal = c.get("esp_proposals") or c.get("ah_proposals")
        mode = c.get("mode", "tunnel")
        encap = c.get("encap", "no") in ("yes", "true", "1")
        sas = []
        for d in ("out", "in"):
            k = c[d]
            sas.append(Direction(proposal, mode, encap, int(k["spi"], 16),
                                 _hex(k.get("enc_key")), _hex(k.get("integ_key"))))
        ts = [[t.strip() for t in c.get(key, c[addr]).split(",")]
              for key, addr in (("local_ts", "local_addrs"), ("remote_ts", "remote_addrs"))]
        conns.append(Conn(name, c["local_addrs"], c["remote_addrs"], mode, encap, proposal,
                          sas[0], sas[1], ts[0], ts[1]))
    return conns
