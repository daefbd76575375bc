#!/bin/bash
# SPDX-License-Identifier: MIT
# uipsecd as a program: its command line, every configuration error it
# documents (exact message, file:line:col, exit 1), and on a live tunnel
# between two namespaces: stop and start, SIGHUP and `uipsecctl reload`
# with nothing, one connection added, changed and removed, and broken files
# (refused, the old configuration kept), and what SIGTERM leaves behind
# (nothing: TUN device, routes, rules, nftables table and socket gone).
# Environment: ONLY=TEXT runs the checks whose name contains TEXT (the live
# ones always start from a working tunnel); KEEP=1 keeps $WORK.
set -uo pipefail
NS_L=${NS_L:-uipsec-dmn-l}
NS_R=${NS_R:-uipsec-dmn-r}
. "$(dirname "$0")/lib.sh"
need_root_or_skip test_daemon.sh
if [ ! -x "$UIPSECD" ] || [ ! -x "$UIPSECCTL" ]; then
    echo "build first: $UIPSECD, $UIPSECCTL" >&2
    exit 1
fi

passed=0 failed=0
ns_up
CASES=$WORK/cases
mkdir -p "$CASES"

selected() { [[ $1 == *"${ONLY:-}"* ]]; }

# ---- The command line ----------------------------------------------------

check_usage() {
    local name=$1 want_rc=$2 out rc
    shift 2
    selected "$name" || return 0
    out=$(nsx "$NS_L" timeout 10 "$UIPSECD" "$@" 2>&1 >/dev/null)
    rc=$?
    # getopt may say first what it did not like
    if [ $rc = "$want_rc" ] && grep -q "^usage: uipsecd --config FILE " <<<"$out"; then
        pass "$name"
    else
        fail "$name" "exit $rc (want $want_rc), stderr: $out"
    fi
}

check_usage "usage: no --config, exit 2" 2 --foreground
check_usage "usage: an argument too many, exit 2" 2 --config /dev/null extra
check_usage "usage: unknown option, exit 2" 2 --config /dev/null --frobnicate
if selected "usage: --help"; then
    out=$("$UIPSECD" --help 2>/dev/null)
    if [ $? = 0 ] && [[ $out == "usage: uipsecd --config FILE "* ]]; then pass "usage: --help, exit 0"
    else fail "usage: --help, exit 0" "$(head -1 <<<"$out")"; fi
fi

# ---- Configuration errors --------------------------------------------------
# Every message config.c, value.c and settings.c give for a file, run through the
# daemon: stderr must be exactly "uipsecd: FILE:LINE:COL: message" and the
# exit status 1.  Each case edits a valid file (base_conf) with sed.

base_conf() {
    cat <<'EOF'
uipsec {
    interface = uipsec-t0
}
manual {
    net {
        local_addrs = 192.0.2.1
        remote_addrs = 192.0.2.2
        local_ts = 10.10.1.0/24
        remote_ts = 10.10.2.0/24
        esp_proposals = aes128-sha256
        out {
            spi = 0xc0de0102
            enc_key = 0x000102030405060708090a0b0c0d0e0f
            integ_key = 0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
        }
        in {
            spi = 0xc0de0201
            enc_key = 0x303132333435363738393a3b3c3d3e3f
            integ_key = 0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f
        }
    }
}
EOF
}

# expect_error NAME FILE MESSAGE: uipsecd --config FILE fails with exit 1
# and "uipsecd: MESSAGE" alone on stderr (@F@ in MESSAGE stands for FILE).
expect_error() {
    local name=$1 file=$2 want="uipsecd: ${3//@F@/$2}" got rc
    selected "$name" || return 0
    got=$(nsx "$NS_L" timeout 10 "$UIPSECD" --config "$file" --socket "$WORK/bad.sock" \
        --foreground 2>&1 >/dev/null)
    rc=$?
    if [ $rc = 1 ] && [ "$got" = "$want" ]; then
        pass "$name"
    else
        fail "$name" "exit $rc (want 1)" "got:  $got" "want: $want"
    fi
}

# expect_start_error NAME FILE MESSAGE: errors found while the connections are
# made: logged at error level, exit 1, and nothing is left behind.
expect_start_error() {
    local name=$1 file=$2 want=${3//@F@/$2} got rc
    selected "$name" || return 0
    got=$(nsx "$NS_L" timeout 10 "$UIPSECD" --config "$file" --socket "$WORK/bad.sock" \
        --foreground 2>&1 >/dev/null)
    rc=$?
    if [ $rc = 1 ] && grep -qxF -- "uipsecd error: $want" <<<"$(cut -d' ' -f2- <<<"$got")" &&
        ! leftovers "$NS_L" uipsec-t0 >/dev/null; then
        pass "$name"
    else
        fail "$name" "exit $rc (want 1)" "got:  $got" "want: uipsecd error: $want" \
            "left behind: $(leftovers "$NS_L" uipsec-t0)"
    fi
}

# leftovers NS [IFACE]: what of uipsecd is still in NS; fails if nothing.
leftovers() {
    local ns=$1 ifn=${2:-uipsec0} left=""
    nsx "$ns" ip link show "$ifn" >/dev/null 2>&1 && left+=" the TUN device $ifn;"
    nsx "$ns" ip -4 rule | grep -q "lookup 220" && left+=" the IPv4 rule to table 220;"
    nsx "$ns" ip -6 rule | grep -q "lookup 220" && left+=" the IPv6 rule to table 220;"
    [ -n "$(nsx "$ns" ip -4 route show table 220 2>/dev/null)" ] && left+=" IPv4 routes in table 220;"
    [ -n "$(nsx "$ns" ip -6 route show table 220 2>/dev/null)" ] && left+=" IPv6 routes in table 220;"
    nsx "$ns" nft list table inet uipsecd >/dev/null 2>&1 && left+=" nftables table inet uipsecd;"
    [ -e "$WORK/$ns.sock" ] && left+=" the control socket;"
    [ -n "$left" ] && echo "$left"
}

LONG_NAME=n123456789012345678901234567890123456789012345678901234567890123 # 64 bytes
NINE_TS="10.10.1.0/28, 10.10.1.16/28, 10.10.1.32/28, 10.10.1.48/28, 10.10.1.64/28, 10.10.1.80/28, 10.10.1.96/28, 10.10.1.112/28, 10.10.1.128/28"

# sed edit of base_conf | message after "FILE:".  Key sizes are checked
# per connection, "in" first, and their errors point at the connection.  Lines of base_conf: 1
# uipsec {, 2 interface, 4 manual {, 5 net {, 6 local_addrs, 7 remote_addrs,
# 8 local_ts, 9 remote_ts, 10 esp_proposals, 11 out {, 12 spi, 13 enc_key,
# 14 integ_key, 16 in {, 17 spi, 18 enc_key, 19 integ_key.
BAD=(
    # sections
    '1i foo { }'
    '1:1: unknown section "foo"; known: uipsec, manual, connections, secrets, authorities'
    '1i connections { c { } }'
    '1:15: connections.c: local { auth = psk } is missing'
    '1i secrets { eap-x { } }'
    '1:11: secrets.eap-x: only IKE pre-shared keys (ike<suffix>) and private key passphrases (private<suffix>, rsa, ecdsa, pkcs8, pkcs12) are supported yet; remove it'
    # uipsec { }
    '2s/interface/interfaces/'
    '2:5: unknown key "interfaces" in uipsec; known: interface, path_mtu, fragment_size, socket, socket_group, vici, vici_socket, vici_group, address4, address6, wireshark_keys, state_dir, offload, workers'
    '2s/uipsec-t0/uipsec-interface0/'
    '2:5: interface: value longer than 15 characters'
    '2a\    path_mtu = 1000'
    '3:5: path_mtu = 1000: at least 1280 (the IPv6 minimum)'
    '2a\    path_mtu = 70000'
    '3:5: path_mtu = "70000": expected a whole number from 0 to 65535'
    '2a\    path_mtu = 1500x'
    '3:5: path_mtu = "1500x": expected a whole number from 0 to 65535'
    '2a\    socket_group = uipsec-no-such-group'
    '3:5: socket_group = uipsec-no-such-group: no such group'
    '2a\    address4 = 2001:db8::1'
    '3:5: address4 = 2001:db8::1: expected an IPv4 address'
    '2a\    address6 = 10.0.0.1'
    '3:5: address6 = 10.0.0.1: expected an IPv6 address'
    '2a\    address4 = gateway'
    '3:5: address4 = "gateway": expected one IPv4 or IPv6 address'
    '2a\    interface { }'
    '3:5: "interface" is already a key (at 2:5); rename the key or the section'
    # manual { NAME { } }
    '4a\    x = 1'
    '5:5: manual.x must be a section: x { local_addrs = ... }'
    "5s/net/$LONG_NAME/"
    "5:5: name \"$LONG_NAME\" is longer than 63 characters"
    '6s/local_addrs/local_addr/'
    '6:9: unknown key "local_addr" in manual.net; known: local_addrs, remote_addrs, local_ts, remote_ts, mode, esp_proposals, ah_proposals, encap, replay_window, tfc_padding, priority, life_bytes, life_packets, rekey_bytes, rekey_packets, in, out'
    '6s/.*/        local_addrs { }/'
    '6:9: "local_addrs" is a section here but must be a key: write local_addrs = VALUE'
    '6s/192.0.2.1/192.0.2.300/'
    '6:9: local_addrs = "192.0.2.300": expected one IPv4 or IPv6 address'
    '6s/192.0.2.1/192.0.2.1, 192.0.2.3/'
    '6:9: local_addrs = "192.0.2.1, 192.0.2.3": expected one IPv4 or IPv6 address'
    '6d'
    '5:5: manual.net: local_addrs is missing'
    '7d'
    '5:5: manual.net: remote_addrs is missing'
    '10d'
    '5:5: manual.net: esp_proposals (or ah_proposals) is missing'
    '16,20d'
    '5:5: manual.net: in { spi ... } is missing'
    '11,15d'
    '5:5: manual.net: out { spi ... } is missing'
    '7s/192.0.2.2/2001:db8::2/'
    '5:5: manual.net: local_addrs and remote_addrs are of different families'
    '8d'
    '5:5: manual.net: tunnel mode needs local_ts and remote_ts'
    "8s|=.*|= $NINE_TS|"
    '8:9: local_ts: at most 8 selectors of up to 63 characters each'
    '8s/=.*/= ,/'
    '8:9: local_ts: no traffic selector given'
    '10a\        mode = tunnnel'
    '11:9: mode = tunnnel: expected tunnel or transport'
    '10a\        ah_proposals = sha256'
    '11:9: ah_proposals: give either esp_proposals or ah_proposals, once'
    '10s/aes128-sha256/aes128-sha256, aes256gcm16/'
    '10:9: esp_proposals = aes128-sha256, aes256gcm16: a manually keyed SA has exactly one proposal'
    '10s/aes128-sha256/aes128-md5/'
    '10:9: esp_proposals = aes128-md5: unknown or unsupported; use e.g. aes256gcm16, chacha20poly1305, aes128-sha256 (see uipsec-packet suites)'
    '10s/esp_proposals = aes128-sha256/ah_proposals = md5/'
    '10:9: ah_proposals = md5: unknown or unsupported; use e.g. aes256gcm16, chacha20poly1305, aes128-sha256 (AH: sha256) (see uipsec-packet suites)'
    $'10s/esp_proposals = aes128-sha256/ah_proposals = sha256/\n10a\\        encap = yes'
    '5:5: manual.net: encap = yes needs ESP: AH cannot cross a NAT (RFC 3948)'
    '10a\        encap = maybe'
    '11:9: encap = "maybe": expected yes or no'
    '10a\        replay_window = 65537'
    '11:9: replay_window = "65537": expected a whole number from 0 to 65536'
    '10a\        tfc_padding = 9001'
    '11:9: tfc_padding = "9001": expected a whole number from 0 to 9000'
    '10a\        priority = -1'
    '11:9: priority = "-1": expected a whole number from 0 to 4294967295'
    '10a\        life_bytes = 10X'
    '11:9: life_bytes = "10X": expected a whole number from 0 to 18446744073709551615'
    '10a\        rekey_packets = 1k2'
    '11:9: rekey_packets = "1k2": expected a whole number from 0 to 18446744073709551615'
    # in { } and out { }
    $'16,20d\n15a\\        in = yes'
    '16:9: in must be a section: in { spi = ... enc_key = ... }'
    '12d'
    '11:9: out: spi is missing'
    '12s/0xc0de0102/0x10/'
    '12:13: spi = 0x10: SPIs 0-255 are reserved (RFC 4303 2.1); use a larger one, e.g. 0xc0de0010'
    '12s/0xc0de0102/0x1c0de0102/'
    '12:13: spi = "0x1c0de0102": expected a whole number from 0 to 4294967295'
    '13s/enc_key/key/'
    '13:13: unknown key "key" in out; known: spi, enc_key, integ_key'
    '13s/= 0x/= 0xzz/'
    '13:13: enc_key: expected a key as 0x followed by hex digits (or 0s and base64), at most 36 bytes'
    '14s/= 0x.*/= 0x0011/'
    '5:5: manual.net.out: integ_key has 2 bytes, aes128-sha256 needs 32'
    '13s/= 0x.*/= 0x0011/'
    '5:5: manual.net.out: enc_key has 2 bytes, aes128-sha256 needs 16'
    '18s/= 0x.*/= 0s3q0=/'
    '5:5: manual.net.in: enc_key has 2 bytes, aes128-sha256 needs 16'
    $'10s/aes128-sha256/aes128gcm16/\n14d\n19d'
    '5:5: manual.net.in: enc_key has 16 bytes, aes128gcm16 needs 20 (key and 4-byte salt)'
    # the syntax (docs/CONFIGURATION.md, "Errors" and "stricter than strongSwan")
    '22d'
    "22:1: missing '}' for section \"manual\" opened at 4:1; add it where the section ends"
    '$a }'
    "23:1: unexpected '}': no section is open in this file; remove it"
    '2a\    children = {'
    "3:16: '{' in a value; drop the '=' to open a section, or quote the value"
    '2a\    path_mtu = 1{5'
    "3:17: '{' in a value; drop the '=' to open a section, or quote the value"
    '5s/net {/net : base {/'
    '5:9: "net : ..." (a section that inherits from others) is not supported; copy the inherited settings into "net"'
    '2a\    socket = "C:\\data"'
    "3:17: unknown escape '\\d'; write '\\\\' for a backslash"
    '2a\    socket = "abc'
    "3:14: string is not closed; add '\"' at its end"
    '2a\    intérface = uipsec1'
    '3:8: byte 0xc3 is not allowed in a name; names are printable ASCII'
    '2a\    if.name = uipsec1'
    "3:7: '.' is not allowed in a name; use '-' or '_' instead"
    '2a\    interface'
    "3:5: expected '=' or '{' after \"interface\"; write \"interface = VALUE\" for a key or \"interface {\" for a section"
    '3a include missing.conf'
    "4:9: include \"missing.conf\": no such file; fix the path (relative paths start in the including file's directory)"
    '3a include subdir'
    "4:9: included file \"$CASES/subdir\": not a regular file; give a file, not a directory or device"
    '3a include @SELF@'
    '4:9: include loop: "@F@" is already being read; remove this include'
)

mkdir -p "$CASES/subdir"
for ((i = 0; i < ${#BAD[@]}; i += 2)); do
    f=$CASES/bad$((i / 2)).conf
    base_conf | sed -e "${BAD[i]//@SELF@/$(basename "$f")}" >"$f"
    chmod 600 "$f"
    label=${BAD[i + 1]//@F@/FILE}
    expect_error "config: ${label:0:90}" "$f" "@F@:${BAD[i + 1]}"
done

# An included file closes only what it opens.
f=$CASES/closes.conf
base_conf | sed '4a\    include close.inc' >"$f"
printf '}\n' >"$CASES/close.inc"
chmod 600 "$f" "$CASES/close.inc"
expect_error "config: '}' in an included file" "$f" \
    "$CASES/close.inc:1:1: unexpected '}': no section is open in this file; remove it"

# A control character in a value.
f=$CASES/control.conf
base_conf | sed $'2a\\    socket = a\x01b' >"$f"
chmod 600 "$f"
expect_error "config: control character" "$f" "@F@:3:15: control character 0x01; remove it"

# Interface names the kernel would not take (found by fuzz_config).
for name in '""' '"a b"' 'a/b' 'tun:0'; do
    f=$CASES/ifname.conf
    base_conf | sed "s|interface = uipsec-t0|interface = $name|" >"$f"
    chmod 600 "$f"
    shown=${name//\"/}
    expect_error "config: interface = $name refused" "$f" \
        "@F@:2:5: interface = \"$shown\": not a name for a network interface (1 to 15 bytes, no '/', ':' or blank); e.g. uipsec0"
done

# Files: missing, not a file, and keys others may read.
expect_error "config: no such file" "$CASES/none.conf" "@F@: cannot open: No such file or directory"
expect_error "config: a directory" "$CASES/subdir" \
    "@F@: not a regular file; give a file, not a directory or device"
for mode in 644:"group and others read" 640:"group read" 604:"others read" \
    606:"others read and write" 620:"group write"; do
    f=$CASES/mode${mode%%:*}.conf
    base_conf >"$f"
    chmod "${mode%%:*}" "$f"
    expect_error "config: mode ${mode%%:*} refused with the chmod hint" "$f" \
        "@F@:13:13: enc_key: the file holds keys but others may read it: @F@: mode 0${mode%%:*} lets ${mode#*:} it, and it may hold secrets; run: chmod 600 @F@"
done
f=$CASES/owner.conf
base_conf >"$f"
chmod 600 "$f"
chown 4242 "$f"
expect_error "config: owned by another user" "$f" \
    "@F@:13:13: enc_key: the file holds keys but others may read it: @F@: owned by uid 4242, which is neither root nor uid 0 that reads it; run: chown root @F@"

# Found while the connections are made, after the file was read.
f=$CASES/selector.conf
base_conf | sed '8s|10.10.1.0/24|10.10.1.0/33|' >"$f"
chmod 600 "$f"
expect_start_error "config: selector with a bad prefix length" "$f" \
    '@F@:5:5: manual.net: local_ts "10.10.1.0/33": prefix length "33" is not a number from 0 to 32'
f=$CASES/hostbits.conf
base_conf | sed '8s|10.10.1.0/24|10.10.1.1/24|' >"$f"
chmod 600 "$f"
expect_start_error "config: selector with host bits" "$f" \
    '@F@:5:5: manual.net: local_ts "10.10.1.1/24": host bits set: the subnet is 10.10.1.0/24'
f=$CASES/dupspi.conf
{
    base_conf
    base_conf | sed -n '4,22p' | sed 's/net {/other {/'
} >"$f"
chmod 600 "$f"
expect_start_error "config: an inbound SPI twice" "$f" \
    '@F@:24:5: manual.other: in.spi c0de0201 is also used by manual.net'

# The Wireshark key log's folder must be root's alone (issue 8, finding 8;
# keylog.c checks it again at every write: tests/unit/test_keylog.c).
mkdir -p -m 1777 "$CASES/pubkeys"
f=$CASES/pubkeys.conf
base_conf | sed "2a\\    wireshark_keys = $CASES/pubkeys" >"$f"
chmod 600 "$f"
expect_error "config: wireshark_keys in a folder others may write" "$f" \
    "@F@:3:5: wireshark_keys = $CASES/pubkeys: the folder may be changed by others (owner uid 0, mode 1777), who could read the keys; make it root's alone (chown root $CASES/pubkeys; chmod 700 $CASES/pubkeys)"

# ---- The control socket's file (issue 8, finding 6) -------------------------
# Made only in a folder nobody else may change; a file in the way is left
# alone unless it is a dead socket; a live daemon's socket is not taken.

# socket_refused NAME PATH MESSAGE: uipsecd --socket PATH exits 1 and logs
# "control socket PATH: MESSAGE".
socket_refused() {
    local name=$1 path=$2 want="control socket $2: $3" got rc f=$CASES/sock.conf
    selected "$name" || return 0
    base_conf >"$f"
    chmod 600 "$f"
    got=$(nsx "$NS_L" timeout 10 "$UIPSECD" --config "$f" --socket "$path" --foreground 2>&1 >/dev/null)
    rc=$?
    if [ $rc = 1 ] && grep -qF -- "$want" <<<"$got" && ! leftovers "$NS_L" uipsec-t0 >/dev/null; then
        pass "$name"
    else
        fail "$name" "exit $rc (want 1)" "got:  $got" "want: ... $want" \
            "left behind: $(leftovers "$NS_L" uipsec-t0)"
    fi
}

S=$CASES/sock
mkdir -p -m 755 "$S"
mkdir -p -m 1777 "$S/public"
socket_refused "socket: in a folder others may write, refused" "$S/public/c.sock" \
    "its folder $S/public (owner uid 0, mode 1777) may be changed by others; use a folder owned by root that only root may write (like /run), or make it so (chown root $S/public; chmod go-w $S/public)"
echo precious >"$S/file"
socket_refused "socket: a regular file in the way, refused and kept" "$S/file" \
    "a file that is not a socket is in the way; remove it or choose another path (socket = ... or --socket)"
ln -sf "$S/file" "$S/link"
socket_refused "socket: a symbolic link in the way, refused and kept" "$S/link" \
    "a file that is not a socket is in the way; remove it or choose another path (socket = ... or --socket)"
if selected "socket: "; then
    if [ "$(cat "$S/file")" = precious ] && [ -L "$S/link" ]; then pass "socket: the file and link in the way are untouched"
    else fail "socket: the file and link in the way are untouched" "$(ls -l "$S")"; fi
fi

# A dead socket is replaced; the group gets 0660; a live daemon's socket is
# not taken by a second one.
if selected "socket: stale"; then
    f=$CASES/sockgroup.conf
    base_conf | sed '2a\    socket_group = nogroup' >"$f"
    chmod 600 "$f"
    $PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$S/live.sock"
    nsx "$NS_L" "$UIPSECD" --config "$f" --socket "$S/live.sock" --foreground >"$WORK/sock.log" 2>&1 &
    for _ in $(seq 50); do nsx "$NS_L" "$UIPSECCTL" --socket "$S/live.sock" status >/dev/null 2>&1 && break; sleep 0.1; done
    if nsx "$NS_L" "$UIPSECCTL" --socket "$S/live.sock" status >/dev/null 2>&1; then
        pass "socket: stale: a dead socket in the way is replaced"
    else
        fail "socket: stale: a dead socket in the way is replaced" "$(cat "$WORK/sock.log")"
    fi
    got=$(stat -c '%a %G' "$S/live.sock")
    if [ "$got" = "660 nogroup" ]; then pass "socket: stale: socket_group gives mode 0660 and the group"
    else fail "socket: stale: socket_group gives mode 0660 and the group" "got $got"; fi
    base_conf | sed 's/uipsec-t0/uipsec-t1/' >"$CASES/sock2.conf"
    chmod 600 "$CASES/sock2.conf"
    got=$(nsx "$NS_L" timeout 10 "$UIPSECD" --config "$CASES/sock2.conf" --socket "$S/live.sock" --foreground 2>&1 >/dev/null)
    rc=$?
    if [ $rc = 1 ] && grep -qF "another uipsecd answers on it" <<<"$got" &&
        nsx "$NS_L" "$UIPSECCTL" --socket "$S/live.sock" status >/dev/null 2>&1; then
        pass "socket: stale: a live daemon's socket is not taken"
    else
        fail "socket: stale: a live daemon's socket is not taken" "exit $rc: $got"
    fi
    stop_daemon "$NS_L"
    if [ ! -e "$S/live.sock" ]; then pass "socket: stale: removed at the end"
    else fail "socket: stale: removed at the end" "$(ls -l "$S/live.sock")"; fi
fi

# ---- The live daemon ---------------------------------------------------------

L=$CASES/live
make_confs "$L" aes128-sha256 tunnel 4
cp "$L/left.conf" "$L/left.base"
cp "$L/right.conf" "$L/right.base"

# v6_conn SIDE: a second connection, for inner IPv6 over IPv6, with the
# keys in $L/v6.keys (made by new_v6_keys).
new_v6_keys() {
    echo "$(openssl rand -hex 36) $(openssl rand -hex 36) 0xe$(openssl rand -hex 4 | cut -c2-8) 0xf$(openssl rand -hex 4 | cut -c2-8)" >"$L/v6.keys"
}

v6_conn() {
    local me=1 peer=2 k1 k2 s1 s2
    read -r k1 k2 s1 s2 <"$L/v6.keys"
    if [ "$1" = R ]; then me=2 peer=1; local t=$k1; k1=$k2; k2=$t; t=$s1; s1=$s2; s2=$t; fi
    cat <<EOF
manual {
    net6 {
        local_addrs = 2001:db8::$me
        remote_addrs = 2001:db8::$peer
        local_ts = 2001:db8:$me::/64
        remote_ts = 2001:db8:$peer::/64
        esp_proposals = aes256gcm16
        out {
            spi = $s1
            enc_key = 0x$k1
        }
        in {
            spi = $s2
            enc_key = 0x$k2
        }
    }
}
EOF
}

# set_confs WHAT: the daemons' (private copies of their) files: "base", or
# "v6" (base + the IPv6 connection, merged into manual { } from a second
# section of that name).
set_confs() {
    local side
    for side in left right; do
        cat "$L/$side.base" >"$WORK/$([ $side = left ] && echo "$NS_L" || echo "$NS_R").conf"
    done
    if [ "$1" = v6 ]; then
        v6_conn L >>"$WORK/$NS_L.conf"
        v6_conn R >>"$WORK/$NS_R.conf"
    fi
}

out_seq() { # NS CONNECTION: the sequence number of its outbound SA
    ctl_json "$1" list-sas | $PY -c '
import json, sys
print([s["seq"] for s in json.load(sys.stdin)["sas"]
       if s["name"] == sys.argv[1] and s["direction"] == "out"][0])' "$2"
}

sa_count() { ctl_json "$1" list-sas | $PY -c 'import json, sys; print(len(json.load(sys.stdin)["sas"]))'; }

# wait_log NS TEXT N: until TEXT is in NS's log N times (5 s at most).
wait_log() {
    for _ in $(seq 100); do
        [ "$(grep -cF -- "$2" "$WORK/$1.log")" -ge "$3" ] && return 0
        sleep 0.05
    done
    return 1
}

# hup_both RESULT: SIGHUP to both daemons, and both log RESULT (one more time).
hup_both() {
    local ns n
    for ns in "$NS_L" "$NS_R"; do
        n=$(grep -cF -- "$1" "$WORK/$ns.log")
        kill -HUP "$(daemon_pid "$ns")"
        wait_log "$ns" "$1" $((n + 1)) || return 1
    done
}

check_sanitizers() {
    local ns report
    for ns in "$NS_L" "$NS_R"; do
        if report=$(sanitizer_report "$ns"); then
            fail "live: $ns's uipsecd log, $1, has a sanitizer report" "$report"
        fi
    done
}

tunnel_up() {
    start_daemon "$NS_L" "$L/left.conf" && start_daemon "$NS_R" "$L/right.conf" &&
        ping_ok "$NS_L" 10.10.1.1 10.10.2.1
}

if ! tunnel_up; then
    fail "live: a tunnel to start from" "$(tail -3 "$WORK/$NS_L.log")"
else
    pass "live: the tunnel works"

    # -- restart: both sides, as static keys restart their sequence numbers
    if selected "live: restart"; then
        stop_daemon "$NS_L" && stop_daemon "$NS_R"
        check_sanitizers "before the restart"
        left=$(leftovers "$NS_L")$(leftovers "$NS_R")
        if [ -z "$left" ]; then pass "live: SIGTERM leaves nothing behind"
        else fail "live: SIGTERM leaves nothing behind" "$left"; fi
        if tunnel_up; then pass "live: restart, the tunnel works again"
        else fail "live: restart, the tunnel works again"; fi
    fi

    # -- reload without a change: the SAs stay, sequence numbers go on
    if selected "live: reload"; then
        s0=$(out_seq "$NS_L" net)
        if hup_both "reloaded: 0 added, 0 removed, 1 unchanged" && ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 &&
            [ "$(out_seq "$NS_L" net)" = $((s0 + 3)) ]; then
            pass "live: SIGHUP, nothing changed: SAs kept, sequence numbers $s0 -> $((s0 + 3))"
        else
            fail "live: SIGHUP, nothing changed: SAs kept" "seq $s0 -> $(out_seq "$NS_L" net)" \
                "$(tail -2 "$WORK/$NS_L.log")"
        fi
        s0=$(out_seq "$NS_L" net)
        got=$(ctl "$NS_L" --json reload | tr -d ' \n')
        if [ "$got" = '{"added":0,"removed":0,"kept":1}' ] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 &&
            [ "$(out_seq "$NS_L" net)" = $((s0 + 3)) ]; then
            pass "live: uipsecctl reload, nothing changed: SAs kept"
        else
            fail "live: uipsecctl reload, nothing changed: SAs kept" "answer $got" \
                "seq $s0 -> $(out_seq "$NS_L" net)"
        fi

        # -- one connection added, changed, removed
        s0=$(out_seq "$NS_L" net)
        new_v6_keys
        set_confs v6
        if hup_both "reloaded: 1 added, 0 removed, 1 unchanged" &&
            ping_ok "$NS_L" 2001:db8:1::1 2001:db8:2::1 && ping_ok "$NS_R" 2001:db8:2::1 2001:db8:1::1 &&
            [ "$(sa_count "$NS_L")" = 4 ] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1 1 &&
            [ "$(out_seq "$NS_L" net)" = $((s0 + 1)) ]; then
            pass "live: SIGHUP, a connection added: it works, the other one kept its SAs"
        else
            fail "live: SIGHUP, a connection added" "$(tail -3 "$WORK/$NS_L.log")"
        fi
        s0=$(out_seq "$NS_L" net)
        new_v6_keys
        set_confs v6
        if hup_both "reloaded: 1 added, 1 removed, 1 unchanged" &&
            ping_ok "$NS_L" 2001:db8:1::1 2001:db8:2::1 && [ "$(out_seq "$NS_L" net6)" = 3 ] &&
            ping_ok "$NS_L" 10.10.1.1 10.10.2.1 1 && [ "$(out_seq "$NS_L" net)" = $((s0 + 1)) ]; then
            pass "live: SIGHUP, a connection's keys changed: new SAs for it, the other one kept"
        else
            fail "live: SIGHUP, a connection changed" "net6 seq $(out_seq "$NS_L" net6)" \
                "$(tail -3 "$WORK/$NS_L.log")"
        fi
        set_confs base
        if hup_both "reloaded: 0 added, 1 removed, 1 unchanged" && [ "$(sa_count "$NS_L")" = 2 ] &&
            [ -z "$(nsx "$NS_L" ip -6 route show table 220)" ] &&
            ! ping_ok "$NS_L" 2001:db8:1::1 2001:db8:2::1 1 && ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: SIGHUP, a connection removed: its SAs and route are gone"
        else
            fail "live: SIGHUP, a connection removed" "$(sa_count "$NS_L") SAs" \
                "routes: $(nsx "$NS_L" ip -6 route show table 220)"
        fi

        # -- a new path_mtu: the device's MTU follows at once
        mtu0=$(nsx "$NS_L" cat /sys/class/net/uipsec0/mtu)
        sed -i '/^uipsec {/a\    path_mtu = 1300' "$WORK/$NS_L.conf"
        n=$(grep -c "reloaded:" "$WORK/$NS_L.log")
        kill -HUP "$(daemon_pid "$NS_L")"
        wait_log "$NS_L" "reloaded:" $((n + 1))
        mtu1=$(nsx "$NS_L" cat /sys/class/net/uipsec0/mtu)
        set_confs base
        n=$(grep -c "reloaded:" "$WORK/$NS_L.log")
        kill -HUP "$(daemon_pid "$NS_L")"
        wait_log "$NS_L" "reloaded:" $((n + 1))
        mtu2=$(nsx "$NS_L" cat /sys/class/net/uipsec0/mtu)
        if [ "$mtu1" -lt 1300 ] && [ "$mtu1" -lt "$mtu0" ] && [ "$mtu2" = "$mtu0" ] &&
            ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: SIGHUP with path_mtu = 1300: the TUN MTU follows ($mtu0 -> $mtu1 -> $mtu2)"
        else
            fail "live: SIGHUP with path_mtu = 1300: the TUN MTU follows" "$mtu0 -> $mtu1 -> $mtu2"
        fi

        # -- broken files: refused, the old configuration stays
        s0=$(out_seq "$NS_L" net)
        conf=$WORK/$NS_L.conf
        printf 'manual {\n    net {\n        mode = sideways\n    }\n}\n' >>"$conf"
        base_lines=$(wc -l <"$L/left.base")
        want="$conf:$((base_lines + 3)):9: mode = sideways: expected tunnel or transport"
        n=$(grep -c "reload refused" "$WORK/$NS_L.log")
        kill -HUP "$(daemon_pid "$NS_L")"
        if wait_log "$NS_L" "reload refused, configuration unchanged: $want" $((n + 1)) &&
            ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 && [ "$(out_seq "$NS_L" net)" = $((s0 + 3)) ]; then
            pass "live: SIGHUP with an error: refused, logged with file:line:col, old SAs work"
        else
            fail "live: SIGHUP with an error" "log: $(tail -1 "$WORK/$NS_L.log")" "want: $want"
        fi
        got=$(ctl "$NS_L" reload 2>&1)
        rc=$?
        if [ $rc = 1 ] && [[ $got == *"$want"* ]] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: uipsecctl reload with an error: exit 1 and the message"
        else
            fail "live: uipsecctl reload with an error" "exit $rc: $got" "want: $want"
        fi
        printf 'manual {\n    net {\n        mode = tunnel\n    }\n' >"$conf.tail"
        cat "$L/left.base" "$conf.tail" >"$conf"
        got=$(ctl "$NS_L" reload 2>&1)
        rc=$?
        want="$conf:$((base_lines + 5)):1: missing '}' for section \"manual\" opened at $((base_lines + 1)):1; add it where the section ends"
        if [ $rc = 1 ] && [[ $got == *"$want"* ]] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: uipsecctl reload with a syntax error: refused"
        else
            fail "live: uipsecctl reload with a syntax error" "exit $rc: $got" "want: $want"
        fi
        { cat "$L/left.base"; sed -n '/^manual {/,$p' "$L/left.base" | sed 's/net {/net2 {/'; } >"$conf"
        got=$(ctl "$NS_L" reload 2>&1)
        rc=$?
        if [ $rc = 1 ] && [[ $got == *"in.spi "*" is also used by manual.net"* ]] &&
            [ "$(sa_count "$NS_L")" = 2 ] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: uipsecctl reload with an inbound SPI twice: refused, old SAs work"
        else
            fail "live: uipsecctl reload with an inbound SPI twice" "exit $rc: $got"
        fi
        chmod 644 "$conf"
        cat "$L/left.base" >"$conf"
        got=$(ctl "$NS_L" reload 2>&1)
        rc=$?
        if [ $rc = 1 ] && [[ $got == *"run: chmod 600 $conf"* ]] && ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: uipsecctl reload of a file others may read: refused with the chmod hint"
        else
            fail "live: uipsecctl reload of a file others may read" "exit $rc: $got"
        fi
        chmod 600 "$conf"
        sed 's/interface = uipsec0/interface = uipsec9/' "$L/left.base" >"$conf"
        n=$(grep -c "take effect at restart" "$WORK/$NS_L.log")
        got=$(ctl "$NS_L" --json reload | tr -d ' \n')
        if [ "$got" = '{"added":0,"removed":0,"kept":1}' ] &&
            wait_log "$NS_L" "reload: interface, socket, offload and workers changes take effect at restart" $((n + 1)) &&
            nsx "$NS_L" ip link show uipsec0 >/dev/null 2>&1 && ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: reload with another interface name: warned, kept until restart"
        else
            fail "live: reload with another interface name" "answer $got" "$(tail -2 "$WORK/$NS_L.log")"
        fi
        before=$(ctl_json "$NS_L" status | $PY -c 'import json, sys; print(json.load(sys.stdin)["workers"])')
        other=$((before == 1 ? 2 : 1))
        sed "s/interface = uipsec0/&\n    workers = $other/" "$L/left.base" >"$conf"
        n=$(grep -c "take effect at restart" "$WORK/$NS_L.log")
        got=$(ctl "$NS_L" --json reload | tr -d ' \n')
        after=$(ctl_json "$NS_L" status | $PY -c 'import json, sys; print(json.load(sys.stdin)["workers"])')
        if [ "$got" = '{"added":0,"removed":0,"kept":1}' ] && [ "$after" = "$before" ] &&
            wait_log "$NS_L" "reload: interface, socket, offload and workers changes take effect at restart" $((n + 1)) &&
            ping_ok "$NS_L" 10.10.1.1 10.10.2.1; then
            pass "live: reload with workers = $other: warned, $before kept until restart"
        else
            fail "live: reload with another workers count" "answer $got, workers $before then $after" "$(tail -2 "$WORK/$NS_L.log")"
        fi
        cat "$L/left.base" >"$conf"
    fi

    # -- control clients that trickle bytes or send none (issue 8, finding
    # 6): status and the tunnel go on meanwhile, each is cut at its 2 s
    # deadline, and at most 32 are served at once
    if selected "live: control"; then
        slow=()
        for i in 1 2 3; do
            nsx "$NS_L" $PY "$HERE/ctl_slow.py" "$WORK/$NS_L.sock" trickle >"$WORK/trickle$i.out" &
            slow+=($!)
        done
        sleep 0.5
        t0=$(date +%s%N)
        st=$(ctl "$NS_L" status 2>&1)
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ "$ms" -lt 1000 ] && grep -q "uipsecd" <<<"$st" && ping_ok "$NS_L" 10.10.1.1 10.10.2.1 5; then
            pass "live: control: status answers in ${ms} ms and the tunnel works while 3 clients trickle"
        else
            fail "live: control: status answers and the tunnel works while 3 clients trickle" \
                "status took $ms ms: $st"
        fi
        wait "${slow[@]}"
        bad=
        for i in 1 2 3; do
            $PY -c 'import json, sys; r = json.load(open(sys.argv[1]))
sys.exit(not (r["seconds"] < 4 and "not complete within 2 seconds" in r["answer"]))' "$WORK/trickle$i.out" ||
                bad+=" $(cat "$WORK/trickle$i.out")"
        done
        if [ -z "$bad" ]; then pass "live: control: a trickling client is cut at its 2 s deadline"
        else fail "live: control: a trickling client is cut at its 2 s deadline" "$bad"; fi
        got=$(nsx "$NS_L" $PY "$HERE/ctl_slow.py" "$WORK/$NS_L.sock" idle 40)
        if $PY -c 'import json, sys; r = json.loads(sys.argv[1])
sys.exit(not (r["busy"] == 8 and r["timed_out"] == 32 and r["seconds"] < 4))' "$got" &&
            ctl "$NS_L" status >/dev/null; then
            pass "live: control: 40 silent clients: 32 served and cut at 2 s, 8 refused at once"
        else
            fail "live: control: 40 silent clients: 32 served and cut at 2 s, 8 refused at once" "$got"
        fi
    fi

    # -- what the kernel drops at the outer sockets is shown: the network
    # process stopped, 30,000 ESP packets overflow its 8 MB receive queue
    if selected "live: socket-overflow"; then
        child=$(ctl "$NS_L" --json status | $PY -c 'import json, sys; print(json.load(sys.stdin)["network_pid"])')
        kill -STOP "$child"
        nsx "$NS_R" $PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
for i in range(30000):
    s.sendto(b"\xde\xad\xbe\xef" + i.to_bytes(4, "big") + bytes(1192), ("192.0.2.1", 0))'
        kill -CONT "$child"
        ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 >/dev/null
        got=$(ctl "$NS_L" --json status | $PY -c 'import json, sys
print(json.load(sys.stdin)["drops"].get("socket-overflow", 0))')
        if [ "$got" -gt 0 ] && ctl "$NS_L" status | grep -q "socket-overflow" &&
            ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3; then
            pass "live: socket-overflow: $got ESP packets the kernel dropped while uipsecd was stopped are shown in status"
        else
            fail "live: socket-overflow: what the kernel dropped is shown in status" "socket-overflow: $got" \
                "$(ctl "$NS_L" status 2>&1)"
        fi
    fi

    # -- and at the TUN device: the network process stopped, 20,000 UDP
    # datagrams into the tunnel overflow the device's queue
    if selected "live: tun-queue-overflow"; then
        child=$(ctl "$NS_L" --json status | $PY -c 'import json, sys; print(json.load(sys.stdin)["network_pid"])')
        kill -STOP "$child"
        nsx "$NS_L" $PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.10.1.1", 0))
for i in range(20000):
    s.sendto(bytes(100), ("10.10.2.1", 9))'
        kill -CONT "$child"
        ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3 >/dev/null
        got=$(ctl "$NS_L" --json status | $PY -c 'import json, sys
print(json.load(sys.stdin)["drops"].get("tun-queue-overflow", 0))')
        want=$(nsx "$NS_L" cat /sys/class/net/uipsec0/statistics/tx_dropped)
        if [ "$got" -gt 0 ] && [ "$got" = "$want" ] && ctl "$NS_L" status | grep -q "tun-queue-overflow" &&
            ping_ok "$NS_L" 10.10.1.1 10.10.2.1 3; then
            pass "live: tun-queue-overflow: $got packets the kernel dropped at the TUN queue while uipsecd was stopped are shown in status"
        else
            fail "live: tun-queue-overflow: what the kernel dropped is shown in status" \
                "tun-queue-overflow: $got, sysfs tx_dropped: $want" "$(ctl "$NS_L" status 2>&1)"
        fi
    fi

    # -- SIGINT stops as SIGTERM does
    if selected "live: SIGINT"; then
        kill -INT "$(daemon_pid "$NS_R")"
        for _ in $(seq 100); do [ -z "$(daemon_pids "$NS_R")" ] && break; sleep 0.05; done
        left=$(leftovers "$NS_R")
        if [ -z "$(daemon_pids "$NS_R")" ] && [ -z "$left" ]; then pass "live: SIGINT stops it and leaves nothing"
        else fail "live: SIGINT stops it and leaves nothing" "$left"; fi
    fi
    stop_daemon "$NS_L"
    stop_daemon "$NS_R"
    check_sanitizers "at the end"
    left=$(leftovers "$NS_L")$(leftovers "$NS_R")
    if [ -z "$left" ]; then pass "live: SIGTERM at the end leaves nothing behind"
    else fail "live: SIGTERM at the end leaves nothing behind" "$left"; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
