#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks that each ELF binary given was built hardened: PIE (type DYN with
# an interpreter), full RELRO (GNU_RELRO segment and BIND_NOW), the stack
# protector (__stack_chk_fail imported) and _FORTIFY_SOURCE (some __*_chk
# function imported).  Prints one line per binary; exits 1 if any misses one.
# Usage: check-hardening.sh BINARY...
status=0
for bin in "$@"; do
    missing=
    hdr=$(readelf -hlW "$bin" 2>/dev/null) || { echo "FAIL  $bin: not an ELF file"; status=1; continue; }
    dyn=$(readelf -dW "$bin")
    syms=$(readelf --dyn-syms -W "$bin")
    echo "$hdr" | grep -q 'Type: *DYN' && echo "$hdr" | grep -q 'INTERP' || missing="$missing PIE"
    echo "$hdr" | grep -q 'GNU_RELRO' || missing="$missing RELRO"
    echo "$dyn" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' || missing="$missing BIND_NOW"
    echo "$syms" | grep -q ' __stack_chk_fail' || missing="$missing stack-protector"
    echo "$syms" | grep -Eq ' __[a-z0-9_]+_chk(@|$)' || missing="$missing _FORTIFY_SOURCE"
    if [ -n "$missing" ]; then
        echo "FAIL  $bin: missing$missing"
        status=1
    else
        echo "ok    $bin: PIE, full RELRO, BIND_NOW, stack protector, fortified"
    fi
done
exit $status
