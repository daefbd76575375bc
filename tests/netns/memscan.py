#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""memscan.py PID BASE64: how many times the bytes BASE64 stand for occur
in the writable memory of process PID (heap, stack, data), read through
/proc/PID/mem as root.  The privilege-separation test asks it whether the
unprivileged uipsecd holds a pre-shared key (it must not) and, as a check
that the scan works at all, whether the privileged parent does (it must)."""
import base64
import re
import sys


def count(pid, needle):
    n = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or "r" not in m.group(3) or "w" not in m.group(3):
                continue
            lo, hi = int(m.group(1), 16), int(m.group(2), 16)
            if hi - lo > 1 << 30:
                continue  # a sanitizer's shadow memory, reserved, not data
            try:
                mem.seek(lo)
                n += mem.read(hi - lo).count(needle)
            except OSError:
                pass  # a guard page or a mapping that went away
    return n


if __name__ == "__main__":
    print(count(int(sys.argv[1]), base64.b64decode(sys.argv[2])))
