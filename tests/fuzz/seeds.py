#!/usr/bin/python3
"""Writes fuzz seed corpora made from the shared vectors (run by run.sh)."""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
vectors = os.environ.get("UIPSEC_VECTORS",
                         os.path.join(here, "..", "..", "..", "shared", "vectors"))
out = sys.argv[1]


def write(folder, name, data):
    os.makedirs(os.path.join(out, folder), exist_ok=True)
    with open(os.path.join(out, folder, name), "wb") as f:
        f.write(data)


def suite(v):
    """The strongSwan keyword of a vector's algorithms."""
    enc, integ = v.get("encryption") or "", v.get("integrity") or ""
    bits = "256" if "256-bit" in enc else "128"
    if v["protocol"] == "AH":
        return "sha256"
    if "GCM" in enc:
        return f"aes{bits}gcm16"
    if "CHACHA" in enc:
        return "chacha20poly1305"
    return ("null" if "NULL" in enc else f"aes{bits}") + "-sha256"


def sa_file(v):
    """A complete SA file for the vector, so seeds reach deep into the parser."""
    sa = {"protocol": v["protocol"].lower(), "mode": v["mode"], "suite": suite(v),
          "spi": v["spi"], "seq": v["seq"], "esn": v["esn"], "replay_window": 64,
          "udp_encapsulation": {"sport": 4500, "dport": 4500} if v.get("udp_encapsulation") else None}
    for key in ("enc_key", "salt", "auth_key", "iv", "tunnel_src", "tunnel_dst"):
        if v.get(key):
            sa[key] = v[key]
    if v["esn"]:
        sa["esn_high"] = v.get("esn_high") or 0
    return sa


def main():
    cases = json.load(open(os.path.join(vectors, "scapy_esp_ah_generated.json")))
    for i, v in enumerate(cases):
        for cfg in range(0, 256, 17):
            if v.get("outer_packet"):
                write("seeds-decap", f"raw-{i}-{cfg}", bytes([0, cfg]) + bytes.fromhex(v["outer_packet"]))
            write("seeds-decap", f"rt-{i}-{cfg}", bytes([1, cfg]) + bytes.fromhex(v["inner_packet"]))
        if v.get("esp_plaintext"):
            write("seeds-decap", f"forged-{i}", bytes([2, 0]) + bytes.fromhex(v["esp_plaintext"]))
        write("seeds-sa-file", f"sa-{i}", json.dumps(sa_file(v), indent=1).encode())
        inner = bytes.fromhex(v["inner_packet"])
        write("seeds-spd", f"fixed-{i}", b"\x01" + inner)
        if v.get("outer_packet"):
            write("seeds-spd", f"outer-{i}", b"\x01" + bytes.fromhex(v["outer_packet"]))
        write("seeds-spd", f"made-{i}", b"\x02\x05" + bytes(range(i, i + 60)) + inner)
    for i, t in enumerate(["10.1.0.0/16[tcp/http]\n10.2.0.0/16", "%any[icmp/8]\n%any",
                           "2001:db8::/32[ipv6-icmp/128]\n%any6",
                           "10.0.0.1-10.0.0.9\n192.168.0.1[udp/53]",
                           "10.0.0.0/8[any/opaque]\n10.1.0.0/16[icmp/3:1-3:5]"]):
        write("seeds-spd", f"text-{i}", b"\x00" + t.encode())
    print(f"fuzz seeds: {len(cases)} vectors from {vectors}")


main()
