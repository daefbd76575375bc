#!/usr/bin/python3
"""Decrypts the ChaCha20-Poly1305 parts of a capture, which Wireshark 4.0
cannot, with python-cryptography and the keys uipsecd logged.

    chacha_check.py LABEL PCAP KEYDIR PING...

KEYDIR holds uipsecd's wireshark_keys files; ChaCha20-Poly1305 keys are the
comment lines there ("# SPIi,SPIr: ... SK_ei HEX SK_er HEX" and
"# A -> B SPI 0x...: ... key HEX").  Every IKE message after IKE_SA_INIT
(UDP 4500, non-ESP marker) must open with SK_ei or SK_er as its I flag says
(RFC 7634, RFC 5282: nonce = salt | IV, AAD = IKE header and SK header) and
its payload chain must fill the plaintext exactly up to the padding; every
ESP-in-UDP packet must open with its SPI's key (AAD = SPI | sequence) and
hold an IPv4 ICMP echo; each PING (SRC>DST) must appear.  Prints
"ok - ..." / "not ok - ..." lines like the other checks; exit 1 on failure.
"""
import os
import re
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from scapy.all import IP, UDP, rdpcap

SK = 46


def report(ok, what, details=()):
    print("%s - %s" % ("ok" if ok else "not ok", what))
    for d in list(details)[:10]:
        print('#   ' + d)
    return bool(ok)


def read_keys(keydir):
    ike, esp = {}, {}
    for name in ('ikev2_decryption_table', 'esp_sa'):
        path = os.path.join(keydir, name)
        if not os.path.exists(path):
            continue
        for line in open(path):
            m = re.match(r'# ([0-9a-f]{16}),([0-9a-f]{16}): .* SK_ei ([0-9a-f]+) SK_er ([0-9a-f]+)',
                         line)
            if m:
                ike[(m.group(1), m.group(2))] = (bytes.fromhex(m.group(3)),
                                                 bytes.fromhex(m.group(4)))
            m = re.match(r'# \S+ -> \S+ SPI 0x([0-9a-f]{8}): .* key ([0-9a-f]+)', line)
            if m:
                esp[int(m.group(1), 16)] = bytes.fromhex(m.group(2))
    return ike, esp


def open_aead(key, iv, aad, ct):
    """key: 32-byte key | 4-byte salt (RFC 7634 2)."""
    return ChaCha20Poly1305(key[:32]).decrypt(key[32:36] + iv, ct, aad)


def chain_fits(first, plain):
    """The inner payloads fill the plaintext up to its padding (3.14)."""
    if not plain:
        return False
    pad = plain[-1]
    if pad + 1 > len(plain):
        return False
    body = plain[:len(plain) - 1 - pad]
    nxt, at = first, 0
    while nxt != 0:
        if at + 4 > len(body):
            return False
        nxt2, _, length = struct.unpack('!BBH', body[at:at + 4])
        if length < 4 or at + length > len(body):
            return False
        nxt, at = nxt2, at + length
    return at == len(body)


def open_ike(msg, ike_keys):
    """'' if msg opens and parses, else why not."""
    if len(msg) < 28 + 4 + 8 + 16:
        return 'too short'
    spi_i, spi_r = msg[0:8].hex(), msg[8:16].hex()
    first, flags = msg[16], msg[19]
    if first != SK:
        return 'first payload %d, not SK' % first
    keys = ike_keys.get((spi_i, spi_r))
    if not keys:
        return 'no keys logged for %s_i %s_r' % (spi_i, spi_r)
    inner_first = msg[28]
    aad = msg[:32]
    try:
        plain = open_aead(keys[0] if flags & 0x08 else keys[1], msg[32:40], aad, msg[40:])
    except InvalidTag:
        return 'ICV does not verify'
    return '' if chain_fits(inner_first, plain) else 'inner payload chain does not fit'


def open_esp(data, esp_keys):
    """(inner IP packet, '') or (None, why)."""
    spi, seq = struct.unpack('!LL', data[:8])
    key = esp_keys.get(spi)
    if not key:
        return None, 'SPI %08x: no key logged' % spi
    try:
        plain = open_aead(key, data[8:16], data[:8], data[16:])
    except InvalidTag:
        return None, 'SPI %08x seq %d: ICV does not verify' % (spi, seq)
    pad, nh = plain[-2], plain[-1]
    if nh != 4:
        return None, 'SPI %08x: next header %d, not IPv4' % (spi, nh)
    return plain[:len(plain) - 2 - pad], ''


def main():
    label, pcap, keydir = sys.argv[1:4]
    pings = [p.split('>') for p in sys.argv[4:]]
    ike_keys, esp_keys = read_keys(keydir)
    n_ike = n_esp = 0
    bad_ike, bad_esp, echoes = [], [], set()
    for i, pkt in enumerate(rdpcap(pcap), 1):
        if UDP not in pkt or pkt[UDP].dport != 4500:
            continue
        data = bytes(pkt[UDP].payload)
        if data[:4] == b'\0\0\0\0':
            n_ike += 1
            why = open_ike(data[4:], ike_keys)
            if why:
                bad_ike.append('frame %d: %s' % (i, why))
        elif len(data) > 8:
            n_esp += 1
            inner, why = open_esp(data, esp_keys)
            if why:
                bad_esp.append('frame %d: %s' % (i, why))
                continue
            ip = IP(inner)
            if ip.proto == 1:
                echoes.add((ip.src, ip.dst))
    ok = report(bool(n_ike > 0 and not bad_ike and ike_keys),
                '%s: the %d IKE messages on 4500 decrypt with ChaCha20-Poly1305 (python-'
                'cryptography, the keys uipsecd logged) and their payloads parse'
                % (label, n_ike), bad_ike)
    ok &= report(n_esp > 0 and not bad_esp,
                 '%s: the %d ESP packets decrypt with ChaCha20-Poly1305 and hold IPv4'
                 % (label, n_esp), bad_esp)
    for src, dst in pings:
        ok &= report((src, dst) in echoes and (dst, src) in echoes,
                     '%s: decrypted ESP carries ICMP %s <-> %s' % (label, src, dst))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
