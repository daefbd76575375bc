#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compares what swanctl prints for uipsecd with what it prints for charon
(test_vici.sh): `swanctl ... --pretty` output of both daemons, parsed into
trees, field by field.  Prints "ok - ..." / "not ok - ..." lines.

  vici_check.py sas U_FILE C_FILE    list-sas of both ends of one IKE SA
  vici_check.py conns U_FILE C_FILE U_NAME C_NAME   list-conns: one
                                     connection, configured alike on both
  vici_check.py keys U_FILE C_FILE REPLY   the keys of one reply (version,
                                     stats): uipsecd's are charon's
"""
import re
import sys

from tap import FAILED, result


def parse(text):
    """swanctl --pretty output: {"list-sa event": [tree, ...], ...}."""
    top = {}
    stack = []
    cur_list = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if cur_list is not None:
            if line == "]":
                cur_list = None
            else:
                cur_list.append(line)
            continue
        if line == "}":
            stack.pop()
            continue
        m = re.fullmatch(r"(.+?) \{", line)
        if m:
            node = {}
            if not stack:
                top.setdefault(m.group(1), []).append(node)
            else:
                stack[-1][m.group(1)] = node
            stack.append(node)
            continue
        m = re.fullmatch(r"(\S+) = \[", line)
        if m and stack:
            cur_list = stack[-1][m.group(1)] = []
            continue
        m = re.fullmatch(r"(\S+) = (.*)", line)
        if m and stack:
            stack[-1][m.group(1)] = m.group(2)
            continue
        raise ValueError("cannot read line: %r" % raw)
    return top


def read(path):
    with open(path) as f:
        return parse(f.read())


def one(tree, what, name=None):
    """The one section of the events what (the one called name)."""
    items = [i for i in tree.get(what, []) if name is None or name in i]
    if len(items) != 1 or len(items[0]) != 1:
        raise ValueError("expected one %s with one section, got %r" % (what, items))
    return next(iter(items[0].items()))


def keys(node, prefix=""):
    """Every key's path, in the order of the message."""
    out = []
    for k, v in node.items():
        out.append(prefix + k)
        if isinstance(v, dict):
            out += keys(v, prefix + k + ".")
    return out


def compare_keys(name, u, c, ignore=()):
    """The same keys, in the same order (swanctl reads some in order: an
    IKE SA's keys before its child-sas)."""
    # a CHILD_SA's section is NAME-UNIQUEID: each daemon numbers its own
    ku = [re.sub(r"^child-sas\.(.+)-[0-9]+", r"child-sas.\1-ID", k) for k in keys(u)
          if not any(re.fullmatch(i, k) for i in ignore)]
    kc = [re.sub(r"^child-sas\.(.+)-[0-9]+", r"child-sas.\1-ID", k) for k in keys(c)
          if not any(re.fullmatch(i, k) for i in ignore)]
    result(ku == kc, name + ": the same keys as charon's, in its order",
           "only uipsecd: %s\nonly charon: %s\nuipsecd: %s\ncharon:  %s" %
           (sorted(set(ku) - set(kc)), sorted(set(kc) - set(ku)), ku, kc))


def compare_values(name, pairs):
    bad = ["%s: uipsecd %r, charon %r" % (k, a, b) for k, a, b in pairs if a != b]
    result(not bad, name, "\n".join(bad))


# Keys one end of an IKE SA has and the other need not: the initiator's
# flag, the NAT flags (each side sees its own), lifetimes (configured per
# side), use-in/use-out (only after traffic), the task lists.
SIDE_ONLY = [r"initiator", r"nat-.*", r"rekey-time", r"reauth-time", r"life-time",
             r"child-sas\.[^.]+\.(rekey-time|life-time|use-in|use-out)",
             r"tasks-.*"]


def sas(u_path, c_path):
    (u_name, u), (c_name, c) = one(read(u_path), "list-sa event"), one(read(c_path), "list-sa event")
    compare_keys("list-sa", u, c, SIDE_ONLY)
    same = ["version", "state", "initiator-spi", "responder-spi", "encr-alg", "encr-keysize",
            "integ-alg", "integ-keysize", "prf-alg", "dh-group"]
    compare_values("list-sa: the IKE SA's fields agree",
                   [(k, u.get(k), c.get(k)) for k in same])
    mirror = [("local-host", "remote-host"), ("local-port", "remote-port"),
              ("local-id", "remote-id"), ("remote-host", "local-host"),
              ("remote-port", "local-port"), ("remote-id", "local-id")]
    compare_values("list-sa: each end's local is the other's remote",
                   [(a + "/" + b, u.get(a), c.get(b)) for a, b in mirror])
    # both rekey (rekey_time, 4 h by default): within that, as charon
    result(0 < int(u.get("rekey-time", 0)) <= 4 * 3600 and "rekey-time" in c,
           "list-sa: the IKE SA's rekey-time on both ends",
           "uipsecd %r, charon %r" % (u.get("rekey-time"), c.get("rekey-time")))
    result(("initiator" in u) != ("initiator" in c), "list-sa: exactly one end is the initiator",
           "uipsecd %r, charon %r" % (u.get("initiator"), c.get("initiator")))
    uc, cc = u.get("child-sas", {}), c.get("child-sas", {})
    result(len(uc) == len(cc) and uc, "list-sa: as many CHILD_SAs (%d) on both ends" % len(uc),
           "uipsecd %s, charon %s" % (list(uc), list(cc)))
    by_spi = {ch.get("spi-out"): ch for ch in cc.values()}
    for key, uch in sorted(uc.items()):
        cch = by_spi.get(uch.get("spi-in"))
        if cch is None:
            result(False, "list-sa: CHILD_SA %s: charon has one with spi-out %s" %
                   (key, uch.get("spi-in")), "charon's: %r" % cc)
            continue
        compare_keys("list-sa: CHILD_SA " + uch.get("name", key), uch, cch,
                     [r"rekey-time", r"life-time", r"use-in", r"use-out"])
        same = ["name", "state", "mode", "protocol", "encap", "encr-alg", "encr-keysize",
                "integ-alg", "integ-keysize", "dh-group", "esn"]
        compare_values("list-sa: CHILD_SA %s: fields agree" % uch.get("name"),
                       [(k, uch.get(k), cch.get(k)) for k in same] +
                       [("spi-out/spi-in", uch.get("spi-out"), cch.get("spi-in")),
                        ("local-ts/remote-ts", uch.get("local-ts"), cch.get("remote-ts")),
                        ("remote-ts/local-ts", uch.get("remote-ts"), cch.get("local-ts"))])


def conns(u_path, c_path, u_name, c_name):
    u = one(read(u_path), "list-conn event", u_name)[1]
    c = one(read(c_path), "list-conn event", c_name)[1]
    # charon lists keys uipsecd has no counterpart for: ports, IKE lifetime
    # variants, policies it does not have, per-child actions of its own
    compare_keys("list-conn", u, c, [r"local_port", r"remote_port", r"over_time", r"rand_time",
                                     r"dpd_timeout", r"children\.[^.]+\.(label|.*_action|"
                                     r"rekey_.*|life_.*|rand_.*|interface|priority|"
                                     r"inactivity|if_id_.*|mark_.*|set_mark_.*|hw_offload|"
                                     r"copy_.*|updown|hostaccess|ipcomp|policies.*|"
                                     r"sha256_96|start_action)"])
    compare_values("list-conn: fields agree",
                   [(k, u.get(k), c.get(k)) for k in ("local_addrs", "remote_addrs", "version",
                                                       "reauth_time", "rekey_time", "unique")] +
                   [(s + "." + k, u.get(s, {}).get(k), c.get(s, {}).get(k))
                    for s in ("local-1", "remote-1") for k in ("class", "id")] +
                   [("children." + n + "." + k, ch.get(k), c.get("children", {}).get(n, {}).get(k))
                    for n, ch in u.get("children", {}).items()
                    for k in ("mode", "rekey_time", "rekey_bytes", "rekey_packets", "dpd_action",
                              "close_action", "local-ts", "remote-ts")])


def rekey_events(u_path, c_path):
    """The first ike-rekey and child-rekey event of each daemon (each has
    its own, for the same rekey): the same keys, but what is one side's."""
    u, c = read(u_path), read(c_path)
    for ev in ("ike-rekey event", "child-rekey event"):
        if not u.get(ev) or not c.get(ev):
            result(False, ev + ": both daemons raised one",
                   "uipsecd %d, charon %d" % (len(u.get(ev, [])), len(c.get(ev, []))))
            continue
        (un, ut), (cn, ct) = next(iter(u[ev][0].items())), next(iter(c[ev][0].items()))
        side = [r"(old\.|new\.)?" + k for k in SIDE_ONLY] + \
            [r"child-sas\.[^.]+\.(old|new)\.(rekey-time|life-time|use-in|use-out)"]
        compare_keys(ev, ut, ct, side)


def reply_keys(u_path, c_path, reply):
    u, c = read(u_path)[reply + " reply"][0], read(c_path)[reply + " reply"][0]
    # charon's memory figures depend on its build (mallinfo, leak detective)
    # uipsecd adds its own counters of VICI clients
    compare_keys(reply, u, c, [r"mallinfo.*", r"mem.*", r"uipsecd-vici.*"])


def main(argv):
    if argv[1] == "sas":
        sas(argv[2], argv[3])
    elif argv[1] == "conns":
        conns(argv[2], argv[3], argv[4], argv[5])
    elif argv[1] == "keys":
        reply_keys(argv[2], argv[3], argv[4])
    elif argv[1] == "rekeys":
        rekey_events(argv[2], argv[3])
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
