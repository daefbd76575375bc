#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Cross-check uipsec-packet against scapy 2.5's IPsec layer.

    /usr/bin/python3 crosscheck.py PATH/TO/uipsec-packet

Every case is one SA: suite x mode x address families (x UDP encapsulation)
x ESN x backend x direction, with packets of 0 to ~9000 payload bytes.
  encap: random inner packets -> uipsec-packet encap -> scapy decrypts them
         back to the inner packet, byte for byte; also checked: outer header,
         UDP header, SPI, sequence number, IV reuse, padding 1, 2, 3, ...
  decap: scapy encrypts -> uipsec-packet decap -> the inner packet, byte for
         byte; then replays (too-old, replayed), a flipped byte (auth-failed)
         followed by the same packet intact (the failure must not use up its
         sequence number), bad padding under a valid ICV (bad-padding); for
         AH, changed mutable outer fields (accepted).

Where scapy 2.5 is missing something or wrong, this script computes the
reference itself with python3-cryptography / hmac: AES-GMAC (RFC 4543, not in
scapy 2.5), the ESN high half in ESP HMAC ICVs (scapy leaves it out), the
length of the ESP-in-UDP header (scapy writes 8).

Environment:
  UIPSEC_CROSSCHECK_SEED      random seed (default 1): a failure reproduces
  UIPSEC_CROSSCHECK_ONLY      run only the cases whose name contains this text
  UIPSEC_CROSSCHECK_BACKENDS  backends to run (default "openssl,ipsec-mb")
  UIPSEC_CROSSCHECK_JOBS      worker processes (default: the number of CPUs)
  UIPSEC_CROSSCHECK_VERBOSE   1: print every case and its result
  UIPSEC_CROSSCHECK_KEEP      keep each case's SA file (NAME.json), input lines
                              (NAME.in) and expected decap output (NAME.want) in
                              this directory: uipsec-packet decap NAME.json < NAME.in

Must run with Debian's /usr/bin/python3 (python3-scapy, python3-cryptography).
"""

import copy
import hashlib
import hmac
import json
import multiprocessing
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from scapy.compat import raw
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_Router_Alert
from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrHopByHop, PadN, RouterAlert)
from scapy.layers.ipsec import AH, ESP, IPSecIntegrityError, SecurityAssociation

# Result names printed by uipsec-packet (uipsec_result_name()).
ERR_AUTH = "auth-failed"
ERR_REPLAY = "replayed"
ERR_TOO_OLD = "too-old"
ERR_PADDING = "bad-padding"

# A suite: strongSwan keyword, protocol, scapy encryption name, encryption key,
# salt and ICV length, scapy integrity name, hash for our own HMAC, HMAC key length.
Suite = namedtuple("Suite", "name proto crypt enc_len salt_len icv_len auth hash auth_len")
SUITES = [
    Suite("aes128gcm16", "esp", "AES-GCM", 16, 4, 16, None, None, 0),
    Suite("aes256gcm16", "esp", "AES-GCM", 32, 4, 16, None, None, 0),
    Suite("chacha20poly1305", "esp", "CHACHA20-POLY1305", 32, 4, 16, None, None, 0),
    Suite("aes128gmac", "esp", "AES-GMAC", 16, 4, 16, None, None, 0),
    Suite("aes256gmac", "esp", "AES-GMAC", 32, 4, 16, None, None, 0),
    Suite("aes128-sha256", "esp", "AES-CBC", 16, 0, 16, "SHA2-256-128", "sha256", 32),
    Suite("aes256-sha256", "esp", "AES-CBC", 32, 0, 16, "SHA2-256-128", "sha256", 32),
    Suite("aes128-sha384", "esp", "AES-CBC", 16, 0, 24, "SHA2-384-192", "sha384", 48),
    Suite("aes256-sha384", "esp", "AES-CBC", 32, 0, 24, "SHA2-384-192", "sha384", 48),
    Suite("aes128-sha512", "esp", "AES-CBC", 16, 0, 32, "SHA2-512-256", "sha512", 64),
    Suite("aes256-sha512", "esp", "AES-CBC", 32, 0, 32, "SHA2-512-256", "sha512", 64),
    Suite("null-sha256", "esp", "NULL", 0, 0, 16, "SHA2-256-128", "sha256", 32),
    Suite("null-sha384", "esp", "NULL", 0, 0, 24, "SHA2-384-192", "sha384", 48),
    Suite("null-sha512", "esp", "NULL", 0, 0, 32, "SHA2-512-256", "sha512", 64),
    Suite("sha256", "ah", None, 0, 0, 16, "SHA2-256-128", "sha256", 32),
    Suite("sha384", "ah", None, 0, 0, 24, "SHA2-384-192", "sha384", 48),
    Suite("sha512", "ah", None, 0, 0, 32, "SHA2-512-256", "sha512", 64),
]

# (mode, inner family, outer family, UDP encapsulation).  Transport mode has
# one family.  UDP encapsulation over IPv6 carries a UDP checksum (RFC 8200
# 8.1), checked here with this script's own sum; in transport mode over IPv6
# scapy 2.5 misplaces the UDP header (its lengths are off by 8), so that
# case has no reference here.
TOPOLOGIES = [
    ("tunnel", 4, 4, False), ("tunnel", 6, 6, False),
    ("tunnel", 4, 6, False), ("tunnel", 6, 4, False),
    ("transport", 4, 4, False), ("transport", 6, 6, False),
    ("tunnel", 4, 4, True), ("tunnel", 6, 4, True), ("transport", 4, 4, True),
    ("tunnel", 4, 6, True), ("tunnel", 6, 6, True),
]

ENDPOINTS = {4: ("203.0.113.1", "203.0.113.2"), 6: ("2001:db8:1::1", "2001:db8:1::2")}
PACKETS_PER_CASE = 5  # one per payload_sizes() entry
IPPROTO_UDP, IPPROTO_ESP, IPPROTO_AH = 17, 50, 51

Case = namedtuple("Case", "suite mode inner outer natt esn backend direction")


def case_name(c):
    fam = "%din%d" % (c.inner, c.outer) if c.mode == "tunnel" else "ipv%d" % c.inner
    return "/".join([c.suite.name, c.mode, fam] + (["udp"] if c.natt else []) +
                    ["esn" if c.esn else "noesn", c.backend, c.direction])


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import scapy_gmac  # noqa: E402,F401  registers AES-GMAC with scapy


# --- Keys, SAs and the SA file ---

def make_keys(rng, suite):
    return {"spi": rng.randint(0x100, 0xffffffff),
            "enc_key": rng.randbytes(suite.enc_len), "salt": rng.randbytes(suite.salt_len),
            "auth_key": rng.randbytes(suite.auth_len)}


def scapy_sa(case, keys, tunnel_header, udp_ports):
    s = case.suite
    kw = dict(spi=keys["spi"], esn_en=case.esn)
    if s.crypt:
        kw.update(crypt_algo=s.crypt, crypt_key=keys["enc_key"] + keys["salt"])
    if s.auth:
        kw.update(auth_algo=s.auth, auth_key=keys["auth_key"])
    if case.mode == "tunnel":
        kw["tunnel_header"] = tunnel_header
    if case.natt:
        kw["nat_t_header"] = UDP(sport=udp_ports[0], dport=udp_ports[1])
    return SecurityAssociation(ESP if s.proto == "esp" else AH, **kw)


def sa_file_dict(case, keys, seq, udp_ports):
    sa = {"protocol": case.suite.proto, "mode": case.mode, "suite": case.suite.name,
          "spi": "%08x" % keys["spi"], "enc_key": keys["enc_key"].hex(),
          "salt": keys["salt"].hex(), "auth_key": keys["auth_key"].hex(),
          "esn": case.esn, "esn_high": seq >> 32, "seq": seq & 0xffffffff,
          "replay_window": 64,
          "udp_encapsulation": ({"sport": udp_ports[0], "dport": udp_ports[1]}
                                if case.natt else None),
          "backend": case.backend}
    if case.mode == "tunnel":
        sa["tunnel_src"], sa["tunnel_dst"] = ENDPOINTS[case.outer]
    return sa


def seq_plan(rng, case):
    """Sequence numbers (64-bit with ESN) of the PACKETS_PER_CASE packets.
    encap: consecutive from the SA file's first number; with ESN a third of
    the SAs start just below a 2^32 boundary so that the high half goes up.
    decap: a jump of more than the window after the first packet (the
    receiver starts at esn_high:0); with ESN a third of the SAs then cross a
    2^32 boundary (RFC 4303 A2.2 inference both ways)."""
    n = PACKETS_PER_CASE
    high = rng.randint(1, 0xfffffff0) << 32 if case.esn else 0
    kind = rng.choice(["one", "random", "wrap"] if case.esn else ["one", "random"])
    first = high | (1 if kind == "one" else rng.randint(2, 1 << 24))
    if case.direction == "encap":
        if kind == "wrap":
            first = high | 0xfffffffd
        return [first + i for i in range(n)]
    if kind == "wrap":
        return [first, high | rng.randint(1 << 31, (1 << 32) - 64)] + \
            [high + (1 << 32) - 2 + i for i in range(n - 2)]
    jump = rng.randint(65, 1 << 20)
    return [first] + [first + jump + i for i in range(n - 1)]


# --- Inner packets ---

def rand_addr(rng, family):
    if family == 4:
        return "%d.%d.%d.%d" % (rng.choice([10, 192, 198]), rng.randint(0, 255),
                                rng.randint(0, 255), rng.randint(1, 254))
    return "2001:db8:%x::%x" % (rng.randint(0, 0xffff), rng.randint(1, 0xffff))


def rand_port(rng):
    """Not 500 or 4500: scapy dissects UDP 4500 as ESP, and then its AH code
    signs the inner 'ESP' instead of the AH header (ICV left all zero)."""
    while True:
        port = rng.randint(1, 65535)
        if port not in (500, 4500):
            return port


def payload_sizes(rng):
    """Inner payload lengths: empty, tiny, small, about 1400 and up to 9000."""
    return [0, rng.randint(1, 24), rng.randint(25, 300), rng.randint(1300, 1450),
            rng.randint(8000, 9000)]


def make_inner(rng, case, plen, extras):
    """A random ICMP/UDP/TCP packet of family case.inner with plen payload bytes;
    extras adds IPv4 options or IPv6 extension headers.  Returns raw bytes."""
    if case.mode == "transport":
        src, dst = ENDPOINTS[case.inner]
    else:
        src, dst = rand_addr(rng, case.inner), rand_addr(rng, case.inner)
    if case.inner == 4:
        hdr = IP(src=src, dst=dst, tos=rng.randint(0, 255), id=rng.randint(0, 0xffff),
                 flags=rng.choice([0, 2]), ttl=rng.randint(1, 255))
        if extras:
            hdr.options = [IPOption_Router_Alert()]
    else:
        hdr = IPv6(src=src, dst=dst, tc=rng.randint(0, 255), fl=rng.randint(0, 0xfffff),
                   hlim=rng.randint(1, 255))
        if extras:
            hdr = hdr / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / \
                IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)])
    kind = rng.choice(["icmp", "udp", "tcp"])
    if kind == "icmp":
        l4 = (ICMP(id=rng.randint(0, 0xffff), seq=rng.randint(0, 0xffff)) if case.inner == 4
              else ICMPv6EchoRequest(id=rng.randint(0, 0xffff), seq=rng.randint(0, 0xffff)))
    elif kind == "udp":
        l4 = UDP(sport=rand_port(rng), dport=rand_port(rng))
    else:
        l4 = TCP(sport=rand_port(rng), dport=rand_port(rng),
                 seq=rng.randint(0, 0xffffffff), flags="PA")
    return raw(hdr / l4 / rng.randbytes(plen)), kind


def make_inners(rng, case):
    """[(bytes, description)]: one packet per size; one of them with IPv4
    options / IPv6 hop-by-hop and destination options headers."""
    sizes = payload_sizes(rng)
    extra_at = rng.randrange(len(sizes))
    out = []
    for i, plen in enumerate(sizes):
        data, kind = make_inner(rng, case, plen, i == extra_at)
        out.append((data, "%s%s len %d" % (kind, "+ext" if i == extra_at else "", len(data))))
    return out


def parse_ip(data):
    return IP(data) if data[0] >> 4 == 4 else IPv6(data)


# --- Outer packet layout ---

def ip_header_len(data):
    return (data[0] & 15) * 4 if data[0] >> 4 == 4 else 40


def ipv4_checksum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp4_checksum(data, hl):
    """Ones' complement sum over the IPv4 pseudo-header and UDP datagram: 0 if
    the checksum in it is right."""
    udp = data[hl:]
    pseudo = data[12:20] + struct.pack("!BBH", 0, IPPROTO_UDP, len(udp))
    return ipv4_checksum(pseudo + udp + b"\0" * (len(udp) & 1))


def udp6_checksum(data, uoff):
    """The same over the IPv6 pseudo-header (RFC 8200 8.1), for a UDP header
    at uoff: 0 if right."""
    udp = data[uoff:]
    pseudo = data[8:40] + struct.pack("!LxxxB", len(udp), IPPROTO_UDP)
    return ipv4_checksum(pseudo + udp + b"\0" * (len(udp) & 1))


def ipsec_layout(data):
    """(protocol, offset) of the header after the IP header, UDP-encapsulation
    header and IPv6 hop-by-hop, routing and destination options headers: the
    ESP or AH header in an outer packet."""
    if data[0] >> 4 == 4:
        proto, off = data[9], ip_header_len(data)
    else:
        proto, off = data[6], 40
        while proto in (0, 43, 60) and off + 8 <= len(data):
            proto, off = data[off], off + (data[off + 1] + 1) * 8
    if proto == IPPROTO_UDP:
        return IPPROTO_ESP, off + 8
    return proto, off


def ipsec_offset(data):
    return ipsec_layout(data)[1]


def fix_natt_udp_length(data):
    """scapy 2.5 writes UDP length 8 into the ESP-in-UDP header (it computes
    the UDP length before appending ESP); put the real length there, and
    over IPv6 the checksum that goes with it."""
    off = ipsec_offset(data) - 8
    data = data[:off + 4] + struct.pack("!H", len(data) - off) + b"\0\0" + data[off + 8:]
    if data[0] >> 4 == 6:
        csum = udp6_checksum(data, off) or 0xffff
        data = data[:off + 6] + struct.pack("!H", csum) + data[off + 8:]
    return data


def esp_icv(suite, auth_key, esp_wo_icv, esn_en, esn_high):
    """HMAC ICV computed here, not by scapy: scapy 2.5 leaves the ESN high half
    out of the ESP HMAC input (RFC 4303 2.2.1 appends it after the packet)."""
    msg = esp_wo_icv + (struct.pack("!L", esn_high) if esn_en else b"")
    return hmac.new(auth_key, msg, getattr(hashlib, suite.hash)).digest()[:suite.icv_len]


def resign_esp_esn(case, keys, data, esn_high):
    off, icv_len = ipsec_offset(data), case.suite.icv_len
    body = data[off:len(data) - icv_len]
    return data[:len(data) - icv_len] + esp_icv(case.suite, keys["auth_key"], body,
                                               True, esn_high)


def esp_iv_len(suite):
    if suite.proto != "esp":
        return 0
    return {"AES-CBC": 16, "NULL": 0}.get(suite.crypt, 8)


def esp_hmac_esn(case):
    return case.suite.proto == "esp" and case.suite.auth is not None and case.esn


def esp_plaintext(case, keys, esp, esn_high):
    """Independent decryption of an ESP packet (SPI to ICV) with
    python3-cryptography, for the trailer checks scapy does not make."""
    s, spi_seq = case.suite, esp[:8]
    aad = spi_seq[:4] + struct.pack("!L", esn_high) + spi_seq[4:] if case.esn else spi_seq
    if s.crypt in ("AES-GCM", "CHACHA20-POLY1305"):
        cls = AESGCM if s.crypt == "AES-GCM" else ChaCha20Poly1305
        return cls(keys["enc_key"]).decrypt(keys["salt"] + esp[8:16], esp[16:], aad)
    if s.crypt == "AES-GMAC":
        return esp[16:-16]
    if s.crypt == "AES-CBC":
        dec = Cipher(algorithms.AES(keys["enc_key"]), modes.CBC(esp[8:24])).decryptor()
        return dec.update(esp[24:len(esp) - s.icv_len]) + dec.finalize()
    return esp[8:len(esp) - s.icv_len]


# --- Running the tool ---

def run_tool(tool, verb, sa_path, packets):
    text = "".join(p.hex() + "\n" for p in packets)
    with open(sa_path[:-len(".json")] + ".in", "w") as f:  # for UIPSEC_CROSSCHECK_KEEP
        f.write(text)
    try:
        proc = subprocess.run([tool, verb, sa_path], input=text, capture_output=True,
                              text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, -1, "timed out"
    return proc.stdout.splitlines(), proc.returncode, proc.stderr.strip()


def first_difference(got, want):
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return "first difference at offset %d (got %02x, want %02x; got %d bytes, want %d)" % (
                i, a, b, len(got), len(want))
    return "lengths differ: got %d bytes, want %d" % (len(got), len(want))


def seq_split(seq, esn):
    return (seq & 0xffffffff, seq >> 32 if esn else 0)


# --- encap: uipsec encrypts, scapy decrypts ---

def check_outer(case, keys, outer, seq, udp_ports):
    """The outer header, UDP header, SPI and sequence number; None if fine."""
    if len(outer) < 48 or outer[0] >> 4 != case.outer:
        return "not an IPv%d packet" % case.outer
    hl = ip_header_len(outer)
    want_proto = IPPROTO_ESP if case.suite.proto == "esp" else IPPROTO_AH
    if case.outer == 4:
        total, proto, addrs = struct.unpack("!H", outer[2:4])[0], outer[9], outer[12:20]
        if ipv4_checksum(outer[:hl]) != 0:
            return "bad outer IPv4 header checksum"
        if struct.unpack("!H", outer[6:8])[0] & 0x3fff:
            return "outer packet is a fragment"
    else:
        total, proto, addrs = struct.unpack("!H", outer[4:6])[0] + 40, outer[6], outer[8:40]
    if total != len(outer):
        return "outer IP length %d, packet is %d bytes" % (total, len(outer))
    if case.natt and proto != IPPROTO_UDP:
        return "outer protocol %d, want UDP" % proto
    if ipsec_layout(outer)[0] != want_proto:
        return "no %s header after the IP header (protocol %d)" % (case.suite.proto, proto)
    want_addrs = b"".join(socket.inet_pton(socket.AF_INET if case.outer == 4 else socket.AF_INET6, a)
                          for a in ENDPOINTS[case.outer])
    if addrs != want_addrs:
        return "outer addresses %s, want %s" % (addrs.hex(), want_addrs.hex())
    if case.natt:
        uoff = ipsec_offset(outer) - 8
        sport, dport, ulen, csum = struct.unpack("!HHHH", outer[uoff:uoff + 8])
        if (sport, dport) != udp_ports or ulen != len(outer) - uoff:
            return "UDP header %s, want ports %s length %d" % (
                outer[uoff:uoff + 8].hex(), udp_ports, len(outer) - uoff)
        # RFC 3948 2.1: zero SHOULD be sent over IPv4, but a checksum must be
        # right; over IPv6 zero is not allowed (RFC 8200 8.1).
        if case.outer == 6 and (not csum or udp6_checksum(outer, uoff) != 0):
            return "bad IPv6 UDP checksum %04x" % csum
        if case.outer == 4 and csum and udp4_checksum(outer, uoff) != 0:
            return "bad UDP checksum %04x" % csum
    off = ipsec_offset(outer)
    spi_at = off + (4 if case.suite.proto == "ah" else 0)
    spi, low = struct.unpack("!LL", outer[spi_at:spi_at + 8])
    if (spi, low) != (keys["spi"], seq & 0xffffffff):
        return "SPI %08x seq %d, want %08x seq %d" % (spi, low, keys["spi"], seq & 0xffffffff)
    return None


def check_trailer(case, keys, outer, esn_high):
    """ESP: padding 1, 2, 3, ..., block alignment, next header."""
    esp = outer[ipsec_offset(outer):]
    s = case.suite
    try:
        plain = esp_plaintext(case, keys, esp, esn_high)
    except InvalidTag:
        return "python3-cryptography: tag does not verify"
    padlen, nh = plain[-2], plain[-1]
    if padlen + 2 > len(plain) or plain[-2 - padlen:-2] != bytes(range(1, padlen + 1)):
        return "padding is not 1, 2, 3, ...: %s" % plain[-2 - padlen:].hex()
    if (esp_iv_len(s) + len(plain)) % 4 or (s.crypt == "AES-CBC" and len(plain) % 16):
        return "ESP payload of %d bytes is not aligned" % len(plain)
    # In transport mode scapy restores the protocol from the next header and
    # the byte comparison checks it; in tunnel mode scapy ignores it.
    want_nh = 4 if case.inner == 4 else 41
    if case.mode == "tunnel" and nh != want_nh:
        return "next header %d, want %d" % (nh, want_nh)
    return None


def decrypt_encap_output(case, keys, sa, outer, seq):
    """scapy's decryption of a uipsec packet: the inner packet's bytes.  Raises
    on an integrity failure."""
    low, high = seq_split(seq, case.esn)
    sa.esn = high
    verify = True
    if esp_hmac_esn(case):
        # scapy's own ICV check leaves out the ESN high half; check it here.
        off, n = ipsec_offset(outer), case.suite.icv_len
        want = esp_icv(case.suite, keys["auth_key"], outer[off:len(outer) - n], True, high)
        if outer[len(outer) - n:] != want:
            raise IPSecIntegrityError("ICV (with ESN high half) does not verify")
        verify = False
    return raw(sa.decrypt(parse_ip(outer), verify=verify))


def run_encap(tool, tmp, case, rng):
    keys = make_keys(rng, case.suite)
    udp_ports = (rng.choice([4500, rng.randint(1024, 65535)]), 4500)
    seqs = seq_plan(rng, case)
    inners = make_inners(rng, case)
    sa_dict = sa_file_dict(case, keys, seqs[0], udp_ports)
    first_iv = rng.randbytes(esp_iv_len(case.suite)) if rng.random() < 0.5 else b""
    if first_iv:
        sa_dict["iv"] = first_iv.hex()
    path = write_sa(tmp, case, sa_dict)
    lines, rc, err = run_tool(tool, "encap", path, [p for p, _ in inners])
    if lines is None or rc != 0 or len(lines) != len(inners):
        return ["encap exit %s, %s output lines for %d packets: %s" % (
            rc, "no" if lines is None else len(lines), len(inners), err or (lines or [""])[0])]
    sa = scapy_sa(case, keys, IP() if case.outer == 4 else IPv6(), udp_ports)
    problems, ivs = [], []
    for i, ((inner, desc), line, seq) in enumerate(zip(inners, lines, seqs)):
        problem = check_encap_packet(case, keys, sa, inner, line, seq, udp_ports, ivs)
        if not problem and i == 0 and first_iv and ivs[0] != first_iv:
            problem = "IV %s, the SA file asks for %s" % (ivs[0].hex(), first_iv.hex())
        if problem:
            problems.append("packet %d (%s, seq %#x): %s" % (i, desc, seq, problem))
    return problems


def check_encap_packet(case, keys, sa, inner, line, seq, udp_ports, ivs):
    try:
        outer = bytes.fromhex(line)
    except ValueError:
        return "output is not hex: %.60s" % line
    problem = check_outer(case, keys, outer, seq, udp_ports)
    if problem:
        return problem
    try:
        got = decrypt_encap_output(case, keys, sa, outer, seq)
    except (IPSecIntegrityError, InvalidTag) as err:
        return "ICV / tag does not verify (%s)" % (
            "scapy" if "pkt_icv" in str(err) or not str(err) else err)
    except Exception as err:  # scapy could not parse the packet at all
        return "scapy cannot decrypt: %r" % err
    if got != inner:
        return "decrypted packet differs: " + first_difference(got, inner)
    if case.suite.proto == "esp":
        off = ipsec_offset(outer)
        iv = outer[off + 8:off + 8 + esp_iv_len(case.suite)]
        if iv and iv in ivs:
            return "IV %s used twice" % iv.hex()
        ivs.append(iv)
        return check_trailer(case, keys, outer, seq_split(seq, case.esn)[1])
    return None


# --- decap: scapy encrypts, uipsec decrypts ---

def tunnel_header(rng, family):
    # DS field 0 in the outer header: whether it (or ECN) is copied to the
    # inner header on decapsulation is a local policy (RFC 4301 5.1.2.1, RFC 6040).
    src, dst = ENDPOINTS[family]
    if family == 4:
        return IP(src=src, dst=dst, id=rng.randint(0, 0xffff), flags=rng.choice([0, 2]),
                  ttl=rng.randint(2, 255))
    return IPv6(src=src, dst=dst, fl=rng.randint(0, 0xfffff), hlim=rng.randint(2, 255))


def scapy_encrypt(case, keys, sa, inner, seq, rng, fix_esn_icv=True):
    low, high = seq_split(seq, case.esn)
    sa.seq_num, sa.esn = low, high
    iv = rng.randbytes(sa.crypt_algo.iv_size) if case.suite.proto == "esp" else None
    data = raw(sa.encrypt(parse_ip(inner), iv=iv))
    if case.natt:
        data = fix_natt_udp_length(data)
    if fix_esn_icv and esp_hmac_esn(case):
        data = resign_esp_esn(case, keys, data, high)
    return data


def flip_byte(rng, case, data):
    """data with one byte after the ESP/AH header changed (never the AH ICV
    padding of IPv6, which is outside what the ICV protects in scapy)."""
    off = ipsec_offset(data)
    if case.suite.proto == "ah":
        ah_end = off + (data[off + 1] + 2) * 4
        choices = list(range(off + 12, off + 12 + case.suite.icv_len)) + \
            list(range(ah_end, len(data)))
        at = rng.choice(choices)
    else:
        at = rng.randrange(off + 8, len(data))
    return data[:at] + bytes([data[at] ^ rng.randint(1, 255)]) + data[at + 1:]


def mutate_ah_outer(rng, data):
    """Changes fields AH leaves out of its ICV (RFC 4302 3.3.3.1): TTL / hop
    limit, DSCP, the IPv4 DF bit, the IPv6 flow label."""
    b = bytearray(data)
    if b[0] >> 4 == 4:
        b[1] = (b[1] & 3) | (rng.randint(0, 63) << 2)
        b[6] ^= 0x40
        b[8] = rng.randint(1, 255)
        b[10:12] = b"\0\0"
        b[10:12] = struct.pack("!H", ipv4_checksum(bytes(b[:ip_header_len(b)])))
    else:
        b[0] = 0x60 | rng.randint(0, 15)
        b[1] = rng.randint(0, 255) & 0xcf  # keep the ECN bits 0
        b[7] = rng.randint(1, 255)
    return bytes(b)


def bad_padding_encrypt(case, keys, sa, inner, seq, rng):
    """An ESP packet with a valid ICV whose padding is not 1, 2, 3, ... (at
    least one block of padding, one byte of it changed)."""
    algo = sa.crypt_algo

    def pad(esp):
        esp = algo.pad(esp)
        align = max(algo.block_size, 4)
        esp.padlen += align
        padding = bytearray(range(1, esp.padlen + 1))
        padding[rng.randrange(esp.padlen)] ^= rng.randint(1, 255)
        esp.padding = bytes(padding)
        return esp

    bad = copy.copy(algo)
    bad.pad = pad
    sa.crypt_algo = bad
    try:
        return scapy_encrypt(case, keys, sa, inner, seq, rng)
    finally:
        sa.crypt_algo = algo


def write_sa(tmp, case, sa):
    path = os.path.join(tmp, case_name(case).replace("/", "_") + ".json")
    with open(path, "w") as f:
        json.dump(sa, f)
    return path


def decap_plan(rng, case, keys, sa, seqs):
    """[(outer packet, expected output line, description)]."""
    inners = make_inners(rng, case)
    plan = []
    for i, ((inner, desc), seq) in enumerate(zip(inners, seqs)):
        outer = scapy_encrypt(case, keys, sa, inner, seq, rng)
        plan.append((outer, inner.hex(), "%s, seq %#x" % (desc, seq)))
        if i == 1:
            # After the jump packet 0 is left of the window.  With ESN the
            # receiver takes such a low half for the next high half (RFC 4303
            # A2.2), so the ICV fails instead.
            want = "error: " + (ERR_AUTH if case.esn else ERR_TOO_OLD)
            plan.append((plan[0][0], want, "replay of packet 0"))
    inner, desc = inners[1]
    seq = seqs[-1] + 1
    good = scapy_encrypt(case, keys, sa, inner, seq, rng)
    plan.append((flip_byte(rng, case, good), "error: " + ERR_AUTH, "flipped byte, seq %#x" % seq))
    plan.append((good, inner.hex(), "same packet not flipped, seq %#x" % seq))
    plan.append((plan[-3][0], "error: " + ERR_REPLAY, "replay of packet %d" % (len(seqs) - 1)))
    if seqs[-1] >> 32 != seqs[0] >> 32:
        # Across the wrap the receiver infers packet 0's high half as the new
        # one (RFC 4303 A2.2: low half far left of the top), so the ICV fails.
        plan.append((plan[0][0], "error: " + ERR_AUTH, "replay of packet 0 after the wrap"))
    seq += 1
    if case.suite.proto == "esp":
        bad = bad_padding_encrypt(case, keys, sa, inner, seq, rng)
        plan.append((bad, "error: " + ERR_PADDING, "padding not 1, 2, 3, ..., seq %#x" % seq))
        seq += 1
    if esp_hmac_esn(case):
        bad = scapy_encrypt(case, keys, sa, inner, seq, rng, fix_esn_icv=False)
        plan.append((bad, "error: " + ERR_AUTH, "ICV without the ESN high half, seq %#x" % seq))
    if case.suite.proto == "ah":
        mutated = mutate_ah_outer(rng, scapy_encrypt(case, keys, sa, inner, seq, rng))
        want = raw(sa.decrypt(parse_ip(mutated)))
        plan.append((mutated, want.hex(), "mutable outer fields changed, seq %#x" % seq))
    return plan


def run_decap(tool, tmp, case, rng):
    keys = make_keys(rng, case.suite)
    udp_ports = (rng.choice([4500, rng.randint(1024, 65535)]), 4500)
    seqs = seq_plan(rng, case)
    sa = scapy_sa(case, keys, tunnel_header(rng, case.outer), udp_ports)
    plan = decap_plan(rng, case, keys, sa, seqs)
    path = write_sa(tmp, case, sa_file_dict(case, keys, seqs[0], udp_ports))
    lines, rc, err = run_tool(tool, "decap", path, [p for p, _, _ in plan])
    with open(path[:-len(".json")] + ".want", "w") as f:
        f.write("".join(w + "\n" for _, w, _ in plan))
    if lines is None or len(lines) != len(plan):
        return ["decap exit %s, %s output lines for %d packets: %s" % (
            rc, "no" if lines is None else len(lines), len(plan), err or (lines or [""])[0])]
    problems = []
    for i, ((outer, want, desc), got) in enumerate(zip(plan, lines)):
        if got == want:
            continue
        if want.startswith("error:") or got.startswith("error:"):
            detail = "got %.60s, want %.60s" % (got, want)
        else:
            detail = first_difference(bytes.fromhex(got), bytes.fromhex(want))
        problems.append("packet %d (%s): %s; input %.80s..." % (i, desc, detail, outer.hex()))
    want_rc = 1 if any(w.startswith("error:") for _, w, _ in plan) else 0
    if rc != want_rc:
        problems.append("exit status %d, want %d" % (rc, want_rc))
    return problems


# --- Driver ---

def all_cases(backends):
    cases = []
    for suite in SUITES:
        for mode, inner, outer, natt in TOPOLOGIES:
            if natt and suite.proto == "ah":
                continue
            for esn in (False, True):
                for backend in backends:
                    for direction in ("encap", "decap"):
                        cases.append(Case(suite, mode, inner, outer, natt, esn, backend, direction))
    return cases


_TOOL = None
_TMP = None
_SEED = None


def _init_worker(tool, tmp, seed):
    global _TOOL, _TMP, _SEED
    _TOOL, _TMP, _SEED = tool, tmp, seed


def run_case(case):
    name = case_name(case)
    rng = random.Random("%s:%s" % (_SEED, name))
    try:
        fn = run_encap if case.direction == "encap" else run_decap
        return name, fn(_TOOL, _TMP, case, rng)
    except Exception as err:  # a bug in this script or scapy: still one line
        import traceback
        return name, ["crosscheck.py error: %r at %s" % (
            err, traceback.format_exc().strip().splitlines()[-3].strip())]


def runnable_suites(tool):
    """{(protocol, suite): set of backends} from `uipsec-packet suites`, so
    that a build without intel-ipsec-mb skips its cases visibly instead of
    failing them; None if the tool cannot say (then every case runs)."""
    try:
        out = subprocess.run([tool, "suites"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    table = {}
    for line in out.splitlines()[1:]:
        words = line.split()
        if len(words) >= 2:
            table[(words[0], words[1])] = set(words[2:])
    return table or None


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s PATH/TO/uipsec-packet\n" % argv[0])
        return 2
    tool = os.path.abspath(argv[1])
    seed = os.environ.get("UIPSEC_CROSSCHECK_SEED", "1")
    only = os.environ.get("UIPSEC_CROSSCHECK_ONLY", "")
    backends = os.environ.get("UIPSEC_CROSSCHECK_BACKENDS", "openssl,ipsec-mb").split(",")
    verbose = os.environ.get("UIPSEC_CROSSCHECK_VERBOSE") == "1"
    jobs = int(os.environ.get("UIPSEC_CROSSCHECK_JOBS", "0")) or os.cpu_count() or 1
    cases = [c for c in all_cases(backends) if only in case_name(c)]
    runnable = runnable_suites(tool)
    if runnable is not None:
        skipped = {(c.suite.name, c.backend) for c in cases
                   if c.backend not in runnable.get((c.suite.proto, c.suite.name), ())}
        for suite, backend in sorted(skipped):
            print("SKIP %s on %s: uipsec-packet suites does not list it" % (suite, backend))
        cases = [c for c in cases if (c.suite.name, c.backend) not in skipped]
    start = time.monotonic()
    passed = failed = 0
    keep = os.environ.get("UIPSEC_CROSSCHECK_KEEP")
    if keep:
        os.makedirs(keep, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="uipsec-crosscheck-") as tmp:
        with multiprocessing.Pool(jobs, _init_worker, (tool, keep or tmp, seed)) as pool:
            for name, problems in pool.imap(run_case, cases, chunksize=4):
                if problems:
                    failed += 1
                    for p in problems:
                        print("FAIL %s: %s" % (name, p))
                else:
                    passed += 1
                    if verbose:
                        print("ok   %s" % name)
                sys.stdout.flush()
    print("seed %s, %d cases in %.1f s" % (seed, len(cases), time.monotonic() - start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
