# SPDX-License-Identifier: MIT
"""Certificates for strongSwan's scenarios, made with strongSwan's pki.

The scenarios' keys and certificates are not in strongSwan's git; its
testing/scripts/build-certs-chroot makes them.  We run that script as the
README of the scenario directory (section 6) describes: on a scratch copy
of hosts/ and tests/, with the directories of groups outside the corpus
created empty, its SQL/TKM tail cut off, and OpenSSL instead of the sha3
plugin that Debian's pki lacks.  The result stays in the scratch copy (the
cache); the runner layers its *.pem/*.der/*.crl/*.p12 files onto the hosts.
"""
import os
import shutil
import subprocess

GENERATED = (".pem", ".der", ".crl", ".p12")
DONE = ".complete"


def _missing_dirs(testing):
    """Directories build-certs-chroot cd's into that the corpus lacks."""
    dirs = [f"tests/tnc/{s}/hosts/alice/etc/swanctl" for s in (
        "tnccs-20-pdp-eap", "tnccs-20-pdp-pt-tls", "tnccs-20-ev-pt-tls",
        "tnccs-20-hcd-eap")]
    dirs += [f"tests/ikev1/ecdsa-certs/hosts/{h}/etc/swanctl"
             for h in ("moon", "carol", "dave")]
    dirs += [f"tests/{t}/{s}/hosts/{h}/etc/swanctl"
             for t in ("botan", "wolfssl")
             for s in ("net2net-sha3-rsa-cert", "net2net-ed25519")
             for h in ("moon", "sun")]
    for d in dirs:
        os.makedirs(os.path.join(testing, d), exist_ok=True)


def generate(shared, cache, log):
    """Make the material under CACHE/testing once; returns that directory.

    A cache that holds a finished generation is reused as is (the caller
    decides whether a cache may outlive one run)."""
    testing = os.path.join(cache, "testing")
    if os.path.exists(os.path.join(testing, DONE)):
        return testing
    if os.path.exists(testing):
        shutil.rmtree(testing)
    os.makedirs(os.path.join(testing, "scripts"))
    shutil.copytree(os.path.join(shared, "hosts"), os.path.join(testing, "hosts"),
                    symlinks=False)
    shutil.copytree(os.path.join(shared, "tests"), os.path.join(testing, "tests"),
                    symlinks=False)
    shutil.copy(os.path.join(shared, "reference", "testing.conf"), testing)
    script = os.path.join(testing, "scripts", "build-certs-chroot")
    with open(os.path.join(shared, "reference", "build-certs-chroot")) as f:
        text = f.read()
    text = text.split("\n# SQL Data")[0] + "\n"
    text = text.replace('SHA3_PKI_PLUGINS="gmp pem pkcs1 random sha1 sha3 x509"',
                        'SHA3_PKI_PLUGINS="gmp pem pkcs1 random sha1 openssl x509"')
    with open(script, "w") as f:
        f.write(text)
    _missing_dirs(testing)
    with open(log, "w") as out:
        res = subprocess.run(["bash", script], cwd=testing, stdout=out,
                             stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise RuntimeError(f"build-certs-chroot failed (exit {res.returncode}), see {log}")
    _make_www(testing, log)
    open(os.path.join(testing, DONE), "w").close()
    return testing


def _make_www(testing, log):
    """winnetou's web root (CRLs, CA certificates, hash-and-URL files) by
    its generate-crl, with /etc/ca and /var/www pointed into the cache."""
    ca = os.path.join(testing, "hosts", "winnetou", "etc", "ca")
    www = os.path.join(testing, "www")
    for sub in ("certs/research", "certs/sales"):
        os.makedirs(os.path.join(www, sub), exist_ok=True)
    with open(os.path.join(ca, "generate-crl")) as f:
        text = f.read()
    text = text.replace('ROOT="/var/www"', f'ROOT="{www}"').replace("/etc/ca", ca)
    script = os.path.join(testing, "scripts", "generate-crl")
    with open(script, "w") as f:
        f.write(text)
    with open(log, "a") as out:
        subprocess.run(["bash", script], cwd=ca, stdout=out, stderr=subprocess.STDOUT)


def www(testing):
    return os.path.join(testing, "www")


def copy_generated(src, dst):
    """Copy the generated files (keys, certificates, CRLs) of SRC into DST."""
    if not os.path.isdir(src):
        return
    for root, _dirs, files in os.walk(src):
        for f in files:
            if not f.endswith(GENERATED):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)
            target = os.path.join(dst, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.lexists(target):
                os.unlink(target)
            shutil.copy2(os.path.join(root, f), target)
