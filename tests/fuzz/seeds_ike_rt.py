#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz_ike_rt: record sequences (the format is described at the
top of fuzz_ike_rt.c) that take the runtime through whole conversations,
plus the IKE messages of seeds-ike and seeds-ikesa as raw datagrams.

Usage: seeds_ike_rt.py OUT_DIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# peers: 0 alice (IPv4), 1 bob (IPv4 behind a NAT), 2 carol (IPv6),
# 3 the site gateway the daemon initiates to, 4 dave (carol's /64)
ALICE, BOB, CAROL, SITE, DAVE = range(5)


def deliver(i=0):
    return bytes([0, i])


def run(n=31):
    return bytes([1, n])


def drop(i=0):
    return bytes([2, i])


def mutate(i, flips):
    out = bytes([3, i, len(flips) - 1])
    for off, x in flips:
        out += off.to_bytes(2, "big") + bytes([x])
    return out


def raw(src, port, payload):
    """port & 8 on an IPv4 source: through the data path's UDP 4500"""
    return bytes([4, src, port]) + len(payload).to_bytes(2, "big") + payload


def tick(step):
    return bytes([5, step])


def peer_init(p, variant=0, child=0):
    return bytes([6, p, variant, child])


# peer task kinds
CHILD, DELETE_CHILD, DELETE_IKE, LIVENESS, REKEY_CHILD, REKEY_IKE, FORGET, ANSWER = range(8)
# peer configuration variants
(GOOD, WRONG_PSK, OTHER_ID, ECP256_FIRST, NO_PROPOSAL, ENCAP, INITIAL_CONTACT, NO_PFS,
 CBC_ECP256) = range(9)


def task(p, kind, arg=0, slot=0):
    return bytes([7, p, slot, kind, arg])


# daemon ops
INITIATE, TERM_IKE, TERM_CHILD, TRAP, NFT_FAIL, COOKIE_ROTATE, WAITING, RELOAD = range(8)


def daemon(sub, arg=0):
    return bytes([8, sub, arg])


def spoof(i, src):
    return bytes([9, i, src])


def connect(p, variant=0, child=0):
    return peer_init(p, variant, child) + run() + run()


def lifecycle(p):
    return (connect(p) + task(p, CHILD, 1) + run() + task(p, REKEY_CHILD, 0) + run() +
            task(p, REKEY_IKE) + run() + task(p, DELETE_CHILD, 0) + run() + task(p, LIVENESS) +
            run() + tick(4 | 8) + task(p, DELETE_IKE) + run())


SEEDS = {
    "alice-connect": connect(ALICE),
    "alice-lifecycle": lifecycle(ALICE),
    "bob-nat-lifecycle": lifecycle(BOB),
    "carol-v6-lifecycle": lifecycle(CAROL),
    "site-peer-initiates": lifecycle(SITE),
    "daemon-initiates": daemon(INITIATE, 0) + run() + run() + daemon(INITIATE, 1) + run() +
    daemon(TERM_CHILD, 0) + run() + daemon(TERM_IKE, 0) + run(),
    "trap": daemon(TRAP) + run() + run() + daemon(TRAP) + tick(1) + run(),
    "initiate-lost": daemon(INITIATE, 0) + drop() + tick(3) + daemon(WAITING, 0) + tick(5) +
    tick(5) + run(),
    # a half-open flood from alice's address (new SPIs by mutation), then
    # carol connects through the cookie exchange
    "prefix-flood": peer_init(ALICE) +
    b"".join(mutate(0, [(k % 8, 1 + k)]) + run(2) for k in range(40)) + connect(CAROL) +
    tick(2) + tick(6) + run(),
    # more half-open SAs than the cookie threshold: the peers' retries
    # carry the cookie
    # twelve from one /64: five, then only with cookies, and at most ten
    "v6-prefix-half-open": (peer_init(CAROL) + peer_init(DAVE)) * 6 + deliver() * 12 + run() +
    tick(0) + run() * 3,
    "cookies": b"".join(peer_init(p) * 3 for p in range(4)) + deliver() * 12 + run() * 3 +
    tick(2 | 8) + run(),
    # the same request from many places: retransmission answers and
    # reflection to the original address only
    "spoofed-repeats": peer_init(ALICE) + deliver() + b"".join(
        peer_init(ALICE) + spoof(0, s) for s in range(8)) + run(),
    "wrong-psk": b"".join(connect(ALICE, 1) + tick(1) for _ in range(6)) + connect(ALICE),
    "identities-and-limits": connect(ALICE) + connect(ALICE, 6) + connect(BOB, 2) +
    connect(BOB) + connect(CAROL, 2) + task(ALICE, CHILD, 1) + run() + task(ALICE, CHILD, 1, 1) +
    run() + task(BOB, CHILD, 2) + run(),
    "proposals": connect(ALICE, ECP256_FIRST) + connect(BOB, NO_PROPOSAL) + connect(CAROL, ENCAP) +
    connect(BOB, CBC_ECP256) + connect(SITE, NO_PFS) +
    task(SITE, CHILD, 1) + run() + task(CAROL, CHILD, 1) + run(),
    "nft-fails": daemon(NFT_FAIL, 1) + connect(ALICE) + daemon(NFT_FAIL, 0) + connect(BOB) +
    task(BOB, CHILD, 1) + run(),
    "lifetimes": connect(ALICE) + daemon(INITIATE, 0) + run() + run() +
    b"".join(tick(7 | 8) for _ in range(8)),
    "peer-dies": connect(ALICE) + connect(SITE) + task(ALICE, FORGET) + task(SITE, FORGET) +
    b"".join(tick(6) for _ in range(4)),
    # KE values off their curve: dropped unanswered
    "bad-ke": peer_init(ALICE, CBC_ECP256) +
    b"".join(mutate(0, [(off, 0x5a)]) for off in range(44, 260, 4)) + run(),
    # unique = keep and max_ike_sas over IPv6; one identity from two places
    "keep-and-limits-v6": connect(CAROL) + connect(CAROL) + connect(CAROL) +
    connect(CAROL, OTHER_ID) + connect(DAVE, OTHER_ID) + task(DAVE, CHILD, 1) + run() +
    task(CAROL, CHILD, 1) + run() + task(CAROL, CHILD, 1, 1) + run(),
    # the gateway answers the daemon with errors, then with a wrong PSK
    "site-answers-errors": task(SITE, ANSWER, NO_PROPOSAL) + daemon(INITIATE, 0) + run() +
    daemon(WAITING, 0) + tick(3) + daemon(WAITING, 4) + tick(6 | 8) +
    task(SITE, ANSWER, WRONG_PSK) + daemon(INITIATE, 1) + run() + run() +
    task(SITE, ANSWER, GOOD) + daemon(INITIATE, 0) + run() + run(),
    "reload": connect(ALICE) + daemon(RELOAD) + daemon(TRAP) + run() + run() + daemon(RELOAD) +
    daemon(TERM_IKE, 1) + run(),
    "auth-mutated": peer_init(CAROL) + run(1) + mutate(0, [(40, 0x80)]) + mutate(0, [(60, 0)]) +
    run(),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "seeds-ike-rt")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    # Raw datagrams: every IKE message of the codec's seeds, from alice's
    # address, and from a stranger to port 4500
    for sub in ("seeds-ike", "seeds-ikesa"):
        d = os.path.join(HERE, sub)
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                msg = f.read()[:8192]
            with open(os.path.join(out, "raw-%s-%s" % (sub, name)), "wb") as f:
                f.write(raw(0, 0, msg) + raw(4, 5, msg) + raw(5, 8 | 1, msg))


if __name__ == "__main__":
    main()
