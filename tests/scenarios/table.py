#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""table.py UIPSECD.out STRONGSWAN.out: the docs/INTEROP.md table from two
outputs of tests/scenarios/run (one with --gateway uipsecd, one with
--gateway strongswan), one row per scenario in either."""
import re
import sys


def results(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^(\S+): (pass|fail|skipped)(?: \((.*)\))?$", line.rstrip("\n"))
            if m:
                out[m.group(1)] = (m.group(2), m.group(3) or "")
    return out


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def short(why, limit=160):
    """A failing line shortened to its host, command and hit."""
    f = why.split("::")
    if len(f) >= 3:
        note = why[why.rfind(" ["):] if why.endswith("]") and " [" in why else ""
        why = f"{f[0]}::{f[1].strip()}::{f[2][:60]}{'…' if len(f[2]) > 60 else ''}" \
              f"{'::' + f[3].split(' [')[0] if len(f) > 3 else ''}{note}"
    return why if len(why) <= limit * 3 else why[:limit * 3] + "…"


def main():
    u, s = results(sys.argv[1]), results(sys.argv[2])
    print("| scenario | uipsecd | strongSwan (control) | first line that did not hold / reason |")
    print("|---|---|---|---|")
    for name in sorted(set(u) | set(s)):
        ur, uw = u.get(name, ("not run", ""))
        sr, sw = s.get(name, ("not run", ""))
        why = uw if ur != "pass" else ""
        if sr != "pass" and sw and sw != uw:
            why = (why + "; " if why else "") + "control: " + sw
        print(f"| {name} | {ur} | {sr} | {cell(short(why))} |")


if __name__ == "__main__":
    main()
