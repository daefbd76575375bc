# SPDX-License-Identifier: MIT
"""strongSwan's test network in Linux network namespaces (README section 5).

A switch namespace holds three bridges: br0 "internet" 192.168.0.0/24 +
fec0::/16, br1 moon's LAN 10.1.0.0/16 + fec1::/16, br2 sun's LAN
10.2.0.0/16 + fec2::/16.  Each host is a namespace PREFIX+HOST whose eth0
(and eth1) are veths to those bridges, with the addresses and MACs of
strongSwan's guests.  The switch owns .254 on each bridge (the default
gateway of the internet hosts) and does not forward between them, so no
traffic can bypass the gateways.
"""
import os
import signal
import subprocess
import time

PREFIX = "ss-"  # several runs side by side use ss0-, ss1-, ...

# host: [(ifname, bridge, ipv4/len, ipv6/len, mac, up)], ipv4 default gw
HOSTS = {
    "moon": ([("eth0", "br0", "192.168.0.1/24", "fec0::1/16", "52:54:00:c7:b8:b0", True),
              ("eth1", "br1", "10.1.0.1/16", "fec1::1/16", "52:54:00:43:e3:35", True)],
             "192.168.0.254"),
    "sun": ([("eth0", "br0", "192.168.0.2/24", "fec0::2/16", "52:54:00:77:43:ea", True),
             ("eth1", "br2", "10.2.0.1/16", "fec2::1/16", "52:54:00:0f:97:db", True)],
            "192.168.0.254"),
    "carol": ([("eth0", "br0", "192.168.0.100/24", "fec0::10/16", "52:54:00:ae:f1:f8", True)],
              "192.168.0.254"),
    "dave": ([("eth0", "br0", "192.168.0.200/24", "fec0::20/16", "52:54:00:b9:15:a9", True)],
             "192.168.0.254"),
    "winnetou": ([("eth0", "br0", "192.168.0.150/24", "fec0::15/16", "52:54:00:4b:23:fa", True)],
                 "192.168.0.254"),
    "alice": ([("eth0", "br1", "10.1.0.10/16", "fec1::10/16", "52:54:00:9a:e2:de", True),
               ("eth1", "br0", "192.168.0.50/24", "fec0::5/16", "52:54:00:3b:0c:d7", False)],
              "10.1.0.1"),
    "venus": ([("eth0", "br1", "10.1.0.20/16", "fec1::20/16", "52:54:00:69:d3:80", True)],
              "10.1.0.1"),
    "bob": ([("eth0", "br2", "10.2.0.10/16", "fec2::10/16", "52:54:00:40:85:6b", True)],
            "10.2.0.1"),
}
BRIDGES = {"br0": ("192.168.0.254/24", "fec0::fe/16"),
           "br1": ("10.1.0.254/16", "fec1::fe/16"),
           "br2": ("10.2.0.254/16", "fec2::fe/16")}


def host_addresses():
    """Every address of every host (without prefix), for pattern checks."""
    out = {}
    for host, (ifs, _gw) in HOSTS.items():
        out[host] = [a.split("/")[0] for i in ifs for a in (i[2], i[3])]
    return out


def _sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def namespaces():
    out = _sh("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def up(hosts, prefix=PREFIX):
    """Create the switch and the HOSTS' namespaces; returns their names."""
    down(prefix)
    switch = prefix + "switch"
    _sh("ip", "netns", "add", switch)
    _sh("ip", "link", "set", "lo", "up", ns=switch)
    for br, (a4, a6) in BRIDGES.items():
        _sh("ip", "link", "add", br, "type", "bridge", ns=switch)
        _sh("ip", "addr", "add", a4, "dev", br, ns=switch)
        _sh("ip", "-6", "addr", "add", a6, "dev", br, "nodad", ns=switch)
        _sh("ip", "link", "set", br, "up", ns=switch)
    for sysctl in ("net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0"):
        _sh("sysctl", "-qw", sysctl, ns=switch)
    for host in hosts:
        ns = prefix + host
        ifs, gw = HOSTS[host]
        _sh("ip", "netns", "add", ns)
        _sh("ip", "link", "set", "lo", "up", ns=ns)
        for ifname, br, a4, a6, mac, is_up in ifs:
            peer = f"{host[:6]}-{ifname}"
            _sh("ip", "link", "add", ifname, "netns", ns, "address", mac,
                "type", "veth", "peer", "name", peer, "netns", switch)
            _sh("ip", "link", "set", peer, "master", br, "up", ns=switch)
            if not is_up:
                continue
            _sh("ip", "addr", "add", a4, "dev", ifname, ns=ns)
            _sh("ip", "-6", "addr", "add", a6, "dev", ifname, "nodad", ns=ns)
            _sh("ip", "link", "set", ifname, "up", ns=ns)
        _sh("ip", "route", "add", "default", "via", gw, ns=ns)
        # hosts/default/etc/sysctl.d/99-strongswan.conf, on every guest
        # rp_filter 2: tests/libipsec/host2host-cert (routes into ipsec0)
        for sysctl in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                       "net.ipv4.conf.all.rp_filter=2"):
            _sh("sysctl", "-qw", sysctl, ns=ns)
    return [prefix + h for h in hosts]


def kill_all(ns):
    """End every process left in namespace NS (all of them ours)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _sh("ip", "netns", "pids", ns, check=False).stdout.split()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(int(pid), sig)
            except (ProcessLookupError, ValueError):
                pass
        for _ in range(30):
            if not _sh("ip", "netns", "pids", ns, check=False).stdout.split():
                return
            time.sleep(0.1)


def down(prefix=PREFIX):
    """Remove every namespace of a run (PREFIX*), ending their processes."""
    for ns in namespaces():
        if ns.startswith(prefix):
            kill_all(ns)
            _sh("ip", "netns", "del", ns, check=False)
