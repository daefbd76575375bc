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


def short(why):
    """A failing line shortened to host::command::pattern start::hit, and
    the first error of a daemon (after " [") cut to its first clause."""
    note = ""
    if " [" in why and why.endswith("]"):
        why, note = why[:why.rindex(" [")], why[why.rindex(" [") + 2:-1]
        note = note.split("; proposals are keywords")[0].split("; sun (")[0]
        note = re.sub(r"loading connection '[^']*' failed: load-conn:\d+:\d+: ", "", note)
        note = note[:150] + ("…" if len(note) > 150 else "")
    f = why.split("::")
    if len(f) >= 3:
        pat = f[2] if len(f[2]) <= 70 else f[2][:70] + "…"
        why = "::".join([f[0].strip(), f[1].strip(), pat] + f[3:4])
    return why + (f" — {note}" if note else "")


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
