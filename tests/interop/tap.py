# SPDX-License-Identifier: MIT
"""TAP lines of the interop checkers (vici_check.py, vici_raw.py): "ok - "
or "not ok - " per check, the detail of a failure as "#   " lines; FAILED
tells whether any check failed."""

FAILED = []


def result(ok, name, detail=""):
    print(("ok - " if ok else "not ok - ") + name)
    if not ok:
        FAILED.append(name)
        for line in str(detail).splitlines():
            print("#   " + line)
