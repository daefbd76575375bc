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


def main():
    cases = json.load(open(os.path.join(vectors, "scapy_esp_ah_generated.json")))
    for i, v in enumerate(cases):
        for cfg in range(0, 256, 17):
            if v.get("outer_packet"):
                write("seeds-decap", f"raw-{i}-{cfg}", bytes([0, cfg]) + bytes.fromhex(v["outer_packet"]))
            write("seeds-decap", f"rt-{i}-{cfg}", bytes([1, cfg]) + bytes.fromhex(v["inner_packet"]))
        if v.get("esp_plaintext"):
            write("seeds-decap", f"forged-{i}", bytes([2, 0]) + bytes.fromhex(v["esp_plaintext"]))
        sa = {"protocol": v["protocol"].lower(), "mode": v["mode"], "spi": v["spi"],
              "seq": v["seq"], "esn": v["esn"], "replay_window": 64}
        write("seeds-sa-file", f"sa-{i}", json.dumps(sa).encode())
    print(f"fuzz seeds: {len(cases)} vectors from {vectors}")


main()
