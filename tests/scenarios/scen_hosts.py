# SPDX-License-Identifier: MIT
"""One scenario host: its /etc, its private mounts, its commands.

Each host has a state directory D with etc/ (the upper layer of an overlay
over the real /etc), run/, log/ and tmp/.  A holder process, started in
the host's network namespace with its own mount namespace, mounts the
overlay on /etc and binds run/, log/, tmp/ over /run, /var/log, /tmp; every
command of the scenario and every daemon enters that mount namespace
(nsenter), so they all see one /etc/swanctl, one /var/run/charon.vici, one
/var/log/daemon.log and one /tmp/tcpdump.log per host, as on strongSwan's
guests.  etc/ is assembled as load-testconfig does (README sections 3.2,
3.3), then adapted for kernel-libipsec peers (README section 7; each rule
is listed in ADAPTATIONS and in docs/INTEROP.md).
"""
import os
import re
import shutil
import subprocess

from scen_certs import copy_generated
from scen_net import HOSTS

HERE = os.path.dirname(os.path.abspath(__file__))

PLACEHOLDERS = {
    "PH_IP_MOON": "192.168.0.1", "PH_IP_MOON1": "10.1.0.1",
    "PH_IP_SUN": "192.168.0.2", "PH_IP_SUN1": "10.2.0.1",
    "PH_IP_ALICE": "10.1.0.10", "PH_IP_ALICE1": "192.168.0.50",
    "PH_IP_VENUS": "10.1.0.20", "PH_IP_BOB": "10.2.0.10",
    "PH_IP_CAROL": "192.168.0.100", "PH_IP_CAROL1": "10.3.0.1",
    "PH_IP_DAVE": "192.168.0.200", "PH_IP_DAVE1": "10.3.0.2",
    "PH_IP_WINNETOU": "192.168.0.150",
    "PH_IP6_MOON": "fec0::1", "PH_IP6_MOON1": "fec1::1",
    "PH_IP6_SUN": "fec0::2", "PH_IP6_SUN1": "fec2::1",
    "PH_IP6_ALICE": "fec1::10", "PH_IP6_ALICE1": "fec0::5",
    "PH_IP6_VENUS": "fec1::20", "PH_IPV6_BOB": "fec2::10",
    "PH_IP6_CAROL": "fec0::10", "PH_IP6_CAROL1": "fec3::1",
    "PH_IP6_DAVE": "fec0::20", "PH_IP6_DAVE1": "fec3::2",
    "PH_IP6_WINNETOU": "fec0::15",
}
# longer names first, as load-testconfig: PH_IP_CAROL10 becomes 10.3.0.10
_PH_ORDER = sorted(PLACEHOLDERS, key=len, reverse=True)

# files of hosts/default/etc a namespace host uses (the rest configures
# ssh, init, apt, ... of a full guest and would disturb the real system)
DEFAULT_FILES = ("hosts", "iptables.rules", "iptables.flush", "iptables.drop",
                 "ip6tables.rules", "ip6tables.flush", "strongswan.conf.testing")

ADAPTATIONS = """\
charon hosts: "charon-systemd { }" is read as "charon { }" (Debian 12 has no charon-systemd)
charon hosts: kernel-libipsec is loaded before kernel-netlink (no XFRM here)
charon hosts: integrity_test = yes becomes no (Debian's charon is built without integrity checksums and exits otherwise)
charon hosts: the kdf plugin is loaded (strongSwan 5.9.8's openssl plugin has no PRF+/KDF, 6.0's has)
charon hosts: allow_peer_ts = yes and the fwmark pair of tests/libipsec/host2host-cert (kernel-netlink !0x42, socket-default 0x42), and rp_filter = 2 on every host, so traffic selectors that are the IKE peer's address work
charon hosts: charon logs to /var/log/daemon.log (level 1 and the scenario's syslog daemon levels) and /var/log/auth.log (level 0) with filelogs (no syslog daemon)
all hosts: iptables.rules/ip6tables.rules also accept everything in and out of the TUN device (ipsec0 for charon, uipsec0 for uipsecd), in place of _updown iptables' per-SA rules, which need XFRM
uipsecd hosts: swanctl.conf and private keys are made mode 0600 (uipsecd refuses secrets others may read)
"""

# tests/libipsec/host2host-cert's settings, for every charon: a traffic
# selector that is the IKE peer's address (rw-* scenarios) works only if
# charon's own packets (marked 0x42) bypass the routes into ipsec0
PEER_TS = ("  plugins {\n    kernel-libipsec {\n      allow_peer_ts = yes\n    }\n"
           "    kernel-netlink {\n      fwmark = !0x42\n    }\n"
           "    socket-default {\n      fwmark = 0x42\n    }\n  }\n")

TUN = {"charon": "ipsec0", "uipsecd": "uipsec0"}


def substitute(text):
    for ph in _PH_ORDER:
        text = text.replace(ph, PLACEHOLDERS[ph])
    return text


def _overlay(src, dst, only=None, placeholders=False):
    """Copy SRC's tree onto DST (files added or replaced, never removed)."""
    if not os.path.isdir(src):
        return
    for root, _dirs, files in os.walk(src):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), src)
            if only is not None and rel.split("/")[0] not in only:
                continue
            if rel.startswith("network/"):
                continue  # interfaces come from scen_net
            target = os.path.join(dst, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.lexists(target):
                os.unlink(target)
            shutil.copy2(os.path.join(root, f), target)
            if placeholders and not f.endswith(".pem"):
                try:
                    with open(target) as fh:
                        text = fh.read()
                except UnicodeDecodeError:
                    continue
                new = substitute(text)
                if new != text:
                    with open(target, "w") as fh:
                        fh.write(new)


def _load_libipsec(conf):
    """strongswan.conf of a charon host, adapted (ADAPTATIONS 1, 2)."""
    conf = re.sub(r"\bcharon-systemd(\s*\{)", r"charon\1", conf)
    conf = re.sub(r"^(\s*)integrity_test\s*=\s*yes", r"\1integrity_test = no", conf, flags=re.M)

    def fix(m):
        words = m.group(2).split()
        if "kdf" not in words:
            words.insert(0, "kdf")
        if "kernel-libipsec" in words:
            return m.group(1) + " ".join(words)
        if "kernel-netlink" in words:
            words.insert(words.index("kernel-netlink"), "kernel-libipsec")
        else:
            words.append("kernel-libipsec")
        return m.group(1) + " ".join(words)
    return re.sub(r"(\bload\s*=[ \t]*)(.*\bkernel-netlink\b.*)", fix, conf)


def _syslog_levels(conf):
    """The levels of the scenario's syslog { daemon { } } section, if any."""
    m = re.search(r"\bsyslog\s*\{.*?\bdaemon\s*\{([^}]*)\}", conf, re.S)
    return re.findall(r"^\s*([a-z_]+)\s*=\s*(-?\d+)", m.group(1), re.M) if m else []


def _open_tun(path, tun):
    """Accept all traffic of TUN in a filter table file (ADAPTATIONS 4)."""
    if not os.path.isfile(path):
        return
    with open(path) as f:
        text = f.read()
    rules = (f"-A INPUT -i {tun} -j ACCEPT\n-A OUTPUT -o {tun} -j ACCEPT\n"
             f"-A FORWARD -i {tun} -j ACCEPT\n-A FORWARD -o {tun} -j ACCEPT\n")
    m = re.search(r"^\*filter\b.*?^COMMIT", text, re.S | re.M)
    if not m:
        return
    end = m.end() - len("COMMIT")
    with open(path, "w") as f:
        f.write(text[:end] + rules + text[end:])


def build_etc(etc, host, role, shared, scen, certs, rel):
    """Assemble HOST's /etc upper layer in ETC for scenario SCEN (name REL)."""
    os.makedirs(etc)
    _overlay(os.path.join(shared, "hosts", "default", "etc"), etc, only=DEFAULT_FILES)
    _overlay(os.path.join(shared, "hosts", host, "etc"), etc)
    copy_generated(os.path.join(certs, "hosts", host, "etc"), etc)
    _overlay(os.path.join(scen, "hosts", host, "etc"), etc, placeholders=True)
    copy_generated(os.path.join(certs, "tests", rel, "hosts", host, "etc"), etc)
    for name in ("iptables.rules", "ip6tables.rules"):
        _open_tun(os.path.join(etc, name), TUN.get(role, "ipsec0"))
    sconf = os.path.join(etc, "strongswan.conf")
    conf = ""
    if os.path.isfile(sconf):
        with open(sconf) as f:
            conf = f.read()
    if role == "charon":
        with open(sconf, "w") as f:
            f.write(_load_libipsec(conf))
    levels = "".join(f"      {k} = {v}\n" for k, v in _syslog_levels(conf))
    with open(os.path.join(etc, "strongswan.conf.scen"), "w") as f:
        f.write("# generated by tests/scenarios: the test build's defaults, then\n"
                "# charon's log in /var/log/daemon.log (no syslog daemon here)\n"
                "charon {\n  filelog {\n    daemonlog {\n"
                "      path = /var/log/daemon.log\n      time_format = %b %e %T\n"
                "      ike_name = yes\n      flush_line = yes\n      default = 1\n" + levels +
                "    }\n    authlog {\n      path = /var/log/auth.log\n"
                "      time_format = %b %e %T\n      ike_name = yes\n"
                "      flush_line = yes\n      default = 0\n"
                "    }\n  }\n" + PEER_TS + "}\ninclude strongswan.conf.testing\n")
    with open(os.path.join(etc, "scen-ifaces"), "w") as f:
        for ifname, _br, a4, a6, _mac, _up in HOSTS[host][0]:
            f.write(f"{ifname} {a4} {a6}\n")  # for bin/ifup, bin/ifdown
    if role == "uipsecd":
        _uipsecd_files(etc)


def _uipsecd_files(etc):
    """uipsecd's own configuration beside the host's swanctl.conf."""
    swanctl = os.path.join(etc, "swanctl")
    os.makedirs(swanctl, exist_ok=True)
    for sub in ("", "rsa", "ecdsa", "pkcs8", "pkcs12", "private"):
        d = os.path.join(swanctl, sub)
        if not os.path.isdir(d):
            continue
        for f in os.listdir(d):
            p = os.path.join(d, f)
            if os.path.isfile(p) and (sub or f == "swanctl.conf"):
                os.chmod(p, 0o600)
    # minimal: VICI only, swanctl --load-all brings everything (the
    # scenario's own pretest);  full: the host's swanctl.conf at startup too
    for mode, extra in (("minimal", ""), ("full", "include swanctl.conf\n")):
        path = os.path.join(swanctl, f"uipsecd-{mode}.conf")
        with open(path, "w") as f:
            f.write("# generated by tests/scenarios for uipsecd\n"
                    "uipsec {\n    vici_socket = /var/run/charon.vici\n"
                    "    socket = /run/uipsecd.sock\n}\n" + extra)
        os.chmod(path, 0o600)


class Host:
    """A running host: namespace, state directory, holder process."""

    def __init__(self, name, role, statedir, env, prefix):
        self.name, self.role, self.dir = name, role, statedir
        self.ns = prefix + name
        self.env = env
        self.holder = None
        self.tcpdump = None

    def start(self):
        for sub in ("run", "log", "tmp", "etc.work", "root"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(os.path.join(self.dir, "tmp"), 0o1777)
        script = ('set -e\n'
                  'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc,'
                  'workdir=$1/etc.work" /etc\n'
                  'mount --bind "$1/run" /run\nmount --bind "$1/log" /var/log\n'
                  'mount --bind "$1/tmp" /tmp\necho ready\nexec sleep infinity\n')
        self.holder = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "--mount",
             "--propagation", "private", "bash", "-c", script, "holder", self.dir],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            start_new_session=True)
        line = self.holder.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"{self.name}: could not set up its mounts")
        with open(os.path.join(self.dir, "holder.pid"), "w") as f:
            f.write(f"{self.holder.pid}\n")
        with open(os.path.join(self.dir, "env"), "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in self.env.items()))

    def argv(self, command):
        """argv that runs the shell COMMAND inside the host."""
        return [os.path.join(HERE, "hostexec"), self.dir, command]

    def run(self, command, timeout=60):
        """Run COMMAND in the host; returns (stdout, stderr)."""
        try:
            res = subprocess.run(self.argv(command), capture_output=True,
                                 text=True, timeout=timeout, errors="replace")
            return res.stdout, res.stderr
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            return out, f"timed out after {timeout} s"

    def path(self, p):
        """Where the host's /tmp, /var/log, /run, /etc path P is here."""
        for inside, sub in (("/tmp/", "tmp"), ("/var/log/", "log"),
                            ("/run/", "run"), ("/var/run/", "run"), ("/etc/", "etc")):
            if p.startswith(inside):
                return os.path.join(self.dir, sub, p[len(inside):])
        return p
