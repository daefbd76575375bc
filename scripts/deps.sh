#!/bin/sh
# Installs every Debian package uipsec needs to build, test and demo.
# Idempotent and quiet when everything is present.  Needs root to install.
set -eu

PACKAGES="
gcc make cmake pkg-config
clang libclang-rt-14-dev
libssl-dev libipsec-mb-dev libcjson-dev libmnl-dev libnftables-dev
libcmocka-dev libseccomp-dev libcurl4-openssl-dev
python3 python3-scapy python3-cryptography
iproute2 iputils-ping iperf3 tshark nftables ethtool
tcpdump iptables conntrack openssl util-linux
strongswan-charon strongswan-swanctl strongswan-pki libcharon-extra-plugins
libstrongswan-standard-plugins libstrongswan-extra-plugins
"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
# uipsecd's unprivileged process runs as this system user (docs/SECURITY.md,
# "Process model"); without it uipsecd falls back to nobody, with a warning.
if [ "$(id -u)" = 0 ] && ! getent passwd uipsecd >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin uipsecd
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "uipsec: missing Debian packages:$missing" >&2
    echo "uipsec: run 'make deps' as root, or: apt-get install --no-install-recommends$missing" >&2
    exit 1
fi
echo "uipsec: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
