#!/bin/bash
# make demo: a real IPsec tunnel between two network namespaces, negotiated
# with IKEv2 (pre-shared key) by the example configurations, with ping and
# iperf3 across it.  demo.sh certs (make demo-certs): the same with X.509
# certificates made on the spot (examples/certs/).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "make demo"

# log_since NS LINE: NS's uipsecd log from line LINE on, indented.
log_since() { tail -n +"$2" "$WORK/$1.log" | sed 's/^/    /'; }

echo "== two gateways: $NS_L (192.0.2.1) and $NS_R (192.0.2.2), one veth between them"
ns_up
if [ "${1:-}" = certs ]; then
    echo "== a CA and a certificate per gateway, made with strongSwan's pki (examples/certs/make-pki.sh)"
    sh "$TOP/examples/certs/make-pki.sh" "$WORK/pki"
    for side in left right; do
        install -m 600 "$TOP/examples/certs/$side.conf" "$WORK/pki/$side/uipsecd.conf"
        ls -R "$WORK/pki/$side" | sed 's/^/    /'
    done
    echo "== uipsecd on both, configured from examples/certs/left.conf and right.conf"
    echo "   (connection \"net\": IKEv2 with ECDSA certificates, ESP aes256gcm16 for 10.10.1.0/24 <-> 10.10.2.0/24)"
    start_daemon "$NS_R" "$WORK/pki/right/uipsecd.conf" in-place
    start_daemon "$NS_L" "$WORK/pki/left/uipsecd.conf" in-place
else
    echo "== uipsecd on both, configured from examples/left.conf and examples/right.conf"
    echo "   (connection \"net\": IKEv2 with a pre-shared key, ESP aes256gcm16 for 10.10.1.0/24 <-> 10.10.2.0/24)"
    # The examples are copied with mode 600 (start_daemon): uipsecd wants the
    # keys readable by root only, and git does not keep that mode.
    start_daemon "$NS_R" "$TOP/examples/right.conf"
    start_daemon "$NS_L" "$TOP/examples/left.conf"
fi
echo "== uipsecctl initiate --child net on the left: IKE_SA_INIT and IKE_AUTH with 192.0.2.2"
nl=$(($(wc -l <"$WORK/$NS_L.log") + 1))
nr=$(($(wc -l <"$WORK/$NS_R.log") + 1))
ctl "$NS_L" initiate --child net --timeout 10
echo "   the left uipsecd's log:"
log_since "$NS_L" "$nl"
echo "   the right uipsecd's log:"
log_since "$NS_R" "$nr"
echo "== ping from the protected host 10.10.1.1 to 10.10.2.1, through the tunnel"
nsx "$NS_L" ping -c 3 -i 0.2 -I 10.10.1.1 10.10.2.1
echo "== iperf3, 5 seconds, TCP through the tunnel"
nsx "$NS_R" iperf3 -s -1 -B 10.10.2.1 >/dev/null 2>&1 &
server=$!
sleep 0.5
nsx "$NS_L" iperf3 -c 10.10.2.1 -B 10.10.1.1 -t 5 -f m | grep -E "sender|receiver"
wait "$server" || true
echo "== uipsecctl list-sas on the left: the IKE SA, its CHILD_SA and the two ESP SAs"
ctl "$NS_L" list-sas
echo "== uipsecctl list-sas on the right"
ctl "$NS_R" list-sas
echo "== stopping the left uipsecd (SIGTERM): it deletes the IKE SA at the right (INFORMATIONAL)"
nr=$(($(wc -l <"$WORK/$NS_R.log") + 1))
stop_daemon "$NS_L"
for _ in $(seq 20); do
    grep -q "deleted by the peer" <(tail -n +"$nr" "$WORK/$NS_R.log") && break
    sleep 0.1
done
echo "   the right uipsecd's log:"
log_since "$NS_R" "$nr"
echo "== stopping the right uipsecd: the devices and routes go away"
stop_daemon "$NS_R"
echo "demo done"
