#!/bin/bash
# make demo: a real IPsec tunnel between two network namespaces, keyed by
# the example configurations, with ping and iperf3 across it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "make demo"

echo "== two gateways: $NS_L (192.0.2.1) and $NS_R (192.0.2.2), one veth between them"
ns_up
echo "== uipsecd on both, configured from examples/left.conf and examples/right.conf"
start_daemon "$NS_L" "$TOP/examples/left.conf"
start_daemon "$NS_R" "$TOP/examples/right.conf"
echo "== ping from the protected host 10.10.1.1 to 10.10.2.1, through the tunnel"
nsx "$NS_L" ping -c 3 -i 0.2 -I 10.10.1.1 10.10.2.1
echo "== iperf3, 5 seconds, TCP through the tunnel"
nsx "$NS_R" iperf3 -s -1 -B 10.10.2.1 >/dev/null 2>&1 &
server=$!
sleep 0.5
nsx "$NS_L" iperf3 -c 10.10.2.1 -B 10.10.1.1 -t 5 -f m | grep -E "sender|receiver"
wait "$server" || true
echo "== uipsecctl list-sas on the left"
ctl "$NS_L" list-sas
echo "== uipsecctl list-sas on the right"
ctl "$NS_R" list-sas
echo "== stopping: SIGTERM, the devices and routes go away"
stop_daemon "$NS_L"
stop_daemon "$NS_R"
echo "demo done"
