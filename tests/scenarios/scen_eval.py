# SPDX-License-Identifier: MIT
"""pretest/evaltest/posttest lines, run and judged as strongSwan's do-tests
does (README of the scenario directory, section 4), plus the adaptation of
evaltest patterns to forced UDP encapsulation (section 7).
"""
import os
import re
import signal
import subprocess
import tempfile
import time

from scen_net import host_addresses

# Rules for patterns of lines that involve a kernel-libipsec charon: it
# fakes NAT detection (Debian 12's strongSwan 5.9.8 has no raw_esp), so
# IKE floats to port 4500 and ESP is ESP-in-UDP.  Applied only where a
# charon of IPSECHOSTS takes part (the line's host, or a host the pattern
# names); two uipsecd gateways talk plain ESP on port 500, unadapted.
ENCAP = r".\(4500\|ipsec-nat-t\)"
SWANCTL_RULES = [
    (r"\blocal-port=500\b", "local-port=4500"),
    (r"\bremote-port=500\b", "remote-port=4500"),
    (r"protocol=ESP spi-in=", "protocol=ESP encap=yes spi-in="),
    # a NATed charon whose peer fakes NAT too sees the peer "behind NAT"
    (r"nat-local=yes nat-any=yes", r"nat-local=yes \(nat-remote=yes \)\?nat-any=yes"),
]
ESP_PAIR = re.compile(r"(\S+?) > (\S+?): ESP")
RULES_DOC = """\
"ip xfrm state/policy" lines are not evaluated (no XFRM: kernel-libipsec and uipsecd keep SAs in userspace; swanctl --list-sas lines check the same SAs)
lines involving a kernel-libipsec charon (forced UDP encapsulation): local-port=500 -> local-port=4500, remote-port=500 -> remote-port=4500
lines involving a kernel-libipsec charon: "protocol=ESP spi-in=" -> "protocol=ESP encap=yes spi-in="
lines involving a kernel-libipsec charon: "nat-local=yes nat-any=yes" -> "nat-local=yes \(nat-remote=yes \)\?nat-any=yes" (the peer's faked NAT shows)
tcpdump lines involving a kernel-libipsec charon: "A > B: ESP" -> "A.(4500|ipsec-nat-t) > B.(4500|ipsec-nat-t): UDP-encap: ESP"
"""


def not_evaluable(command):
    """Lines on the kernel's XFRM state and policies: kernel-libipsec and
    uipsecd keep their SAs in userspace, so there is nothing to look at;
    the same scenarios check the SAs with swanctl --list-sas."""
    return re.match(r"\s*ip\s+(-s\s+)?xfrm\b", command) is not None


def split_line(line):
    """A .dat line as do-tests splits it, or None for comments/blank."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    return [f for f in line.rstrip("\n").split("::")]


def _named_hosts(pattern):
    found = set()
    for host, addrs in host_addresses().items():
        if re.search(rf"\b(ip6-)?{host}1?\.strongswan\.org", pattern):
            found.add(host)
        for a in addrs:
            if re.search(rf"(?<![\d:.]){re.escape(a)}(?![\d])", pattern.replace("\\:", ":")):
                found.add(host)
    return found


def adapt(host, command, pattern, charon_hosts):
    """PATTERN adapted to UDP encapsulation where a charon takes part."""
    involved = {host} | _named_hosts(pattern)
    if not involved & charon_hosts:
        return pattern
    if command.strip() != "tcpdump":
        for rx, repl in SWANCTL_RULES:
            pattern = re.sub(rx, lambda _m, r=repl: r, pattern)
        return pattern
    if "UDP-encap" in pattern:
        return pattern
    new = ESP_PAIR.sub(lambda m: f"{m.group(1)}{ENCAP} > {m.group(2)}{ENCAP}: UDP-encap: ESP",
                       pattern)
    if new == pattern:
        new = pattern.replace(": ESP", ENCAP + ": UDP-encap: ESP")
    return new


def local_words(command):
    """The command as ssh sends it: the local shell's view of "COMMAND"."""
    res = subprocess.run(["bash", "-c", 'set -- "' + command + '"; printf %s "$*"'],
                         capture_output=True, text=True)
    return res.stdout


def grep_count(output, pattern):
    """(matched, lines): grep "PATTERN" on OUTPUT in a shell, as do-tests."""
    pattern = re.sub(r"[ \t]+", " ", pattern)
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write(output)
        name = f.name
    try:
        res = subprocess.run(["bash", "-c", 'grep "' + pattern + '" "$1"', "grep", name],
                             capture_output=True, text=True, errors="replace")
    finally:
        os.unlink(name)
    lines = res.stdout.splitlines()
    return res.returncode == 0, len(lines)


def holds(output, pattern, hit):
    """do-tests' verdict for one evaltest line (README section 4, 4-5)."""
    hit = hit.strip()
    matched, count = grep_count(output, pattern)
    if hit == "YES":
        return matched
    if hit == "NO":
        return not matched
    if hit.isdigit():
        return max(count, 1) == int(hit)
    return True  # an action line: never fails


def start_tcpdump(host):
    host.run("tcpdump -l --immediate-mode -i eth0 not port ssh and not port domain"
             " >/tmp/tcpdump.log 2>/tmp/tcpdump.err.log & echo $! >/run/tcpdump.pid")
    err = host.path("/tmp/tcpdump.err.log")
    for _ in range(50):
        if os.path.exists(err) and "listening on" in open(err).read():
            return True
        time.sleep(0.1)
    return False


def stop_tcpdump(host):
    """Stop HOST's tcpdump once (later tcpdump lines read the same file)."""
    pidfile = host.path("/run/tcpdump.pid")
    if os.path.exists(pidfile):
        try:
            pid = int(open(pidfile).read().strip())
            time.sleep(0.3)  # packets still on their way through the bridge
            os.kill(pid, signal.SIGINT)
            for _ in range(20):
                os.kill(pid, 0)
                time.sleep(0.1)
        except (ValueError, ProcessLookupError):
            pass
        os.unlink(pidfile)
    try:
        with open(host.path("/tmp/tcpdump.log"), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def run_eval_command(host, command, timeout=60):
    """ssh root@HOST COMMAND >out: COMMAND is read by the local shell
    (redirections and pipes in it run here, as in do-tests)."""
    with tempfile.NamedTemporaryFile("r", delete=False) as out:
        name = out.name
    script = '"$HOSTEXEC" "$HOSTDIR" ' + command + ' >"$OUT" 2>/dev/null'
    env = dict(os.environ, HOSTEXEC=host.argv("")[0], HOSTDIR=host.dir, OUT=name)
    try:
        subprocess.run(["bash", "-c", script], env=env, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pass
    with open(name, errors="replace") as f:
        text = f.read()
    os.unlink(name)
    return text
