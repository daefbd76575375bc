#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks for the strongSwan interop test (test_strongswan.sh).

Every check prints one line, "ok - LABEL: what" or "not ok - LABEL: what",
followed by "#"-lines with the details of a failure.  The exit status is 1
if any check failed.

  interop_check.py sas LABEL UIPSEC_JSON SWAN_RAW --ike UCONN:SCONN:UPROP:SPROP
                   [--child UCHILD:SCHILD:UPROP:SPROP]...
      The SAs uipsecd (`uipsecctl --json list-sas`) and strongSwan
      (`swanctl --list-sas --raw`) list: one IKE SA on each side, ESTABLISHED,
      with the same SPIs, the same IDs (crosswise), the expected proposal and
      NAT-T on port 4500; exactly the CHILD_SAs given, INSTALLED on both
      sides, tunnel mode in UDP, their SPIs crosswise equal, traffic
      selectors crosswise equal, the expected ESP proposal, and the ESP SAs
      present in uipsecd's data plane.  Proposals are written as each side
      shows them: uipsecd's keywords (aes256gcm16-prfsha256-x25519) and
      swanctl's names (AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519).

  interop_check.py counters LABEL UIPSEC_JSON SWAN_RAW UCHILD SCHILD MIN
      The CHILD_SA's packet counters: uipsecd's in and out equal
      strongSwan's out and in, and are at least MIN.

  interop_check.py nosas LABEL UIPSEC_JSON SWAN_RAW [-q]
      No IKE SA, no CHILD_SA and no ESP SA on either side (-q: only the
      exit status).

  interop_check.py capture LABEL PCAP KEYDIR [options]
      Reads PCAP (taken on the veth between the two gateways) with tshark,
      decrypting it with the keys uipsecd wrote to KEYDIR (wireshark_keys):
      every IKE message after IKE_SA_INIT is on UDP 4500 and decrypted,
      nothing is malformed or flagged by Wireshark's expert system
      (warning or error), no IKE message was retransmitted, ESP is only
      ESP-in-UDP on port 4500, and every ESP packet decrypts.
        --auth-ids I,R     IKE_AUTH requests show ID I, responses ID R
        --ping SRC>DST[@SPI/SPI...]
                           echo requests SRC->DST and replies DST->SRC inside
                           ESP (with one of the SPIs), --count each
        --count N          (default 3)
        --exchanges NAME:N,...   at least N messages of each exchange
        --pfs              each CREATE_CHILD_SA message has KE and Nonce
        --notify TYPE      some IKE message carries notify TYPE (decimal)
        --failure          a failed negotiation: no ESP at all
        --retransmits      a request was sent again (instead of: none was)
        --no-decrypt       the suite is not decryptable by Wireshark 4.0
                           (ChaCha20-Poly1305): IKE_SA_INIT must parse
                           cleanly and every later IKE message and every
                           ESP packet must stay encrypted
"""
import argparse
import json
import os
import re
import subprocess
import sys

FAILED = 0


def report(label, ok, what, details=()):
    global FAILED
    print('%s - %s: %s' % ('ok' if ok else 'not ok', label, what))
    if not ok:
        FAILED += 1
        for d in details:
            print('#   %s' % d)
    return ok


# ---- swanctl --list-sas --raw ---------------------------------------------

TOKEN = re.compile(r'\s*(?:(\}|\{)|([^\s={}]+)\s*\{|([^\s={}]+)=(\[[^\]]*\]|[^\s{}]*))')


def parse_vici(text):
    """'name {k=v k=[a b] sub {..}}' into nested dicts (lists for [..])."""
    pos = 0
    stack = [{}]
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            break
        pos = m.end()
        if m.group(1) == '}':
            if len(stack) > 1:
                stack.pop()
        elif m.group(1) == '{':
            new = {}
            stack[-1]['_%d' % len(stack[-1])] = new
            stack.append(new)
        elif m.group(2):
            new = {}
            stack[-1][m.group(2)] = new
            stack.append(new)
        else:
            v = m.group(4)
            if v.startswith('['):
                v = v[1:-1].split()
            stack[-1][m.group(3)] = v
    return stack[0]


def swan_ike_sas(raw):
    """[(name, dict)] of the IKE SAs in swanctl --list-sas --raw output."""
    sas = []
    for line in raw.splitlines():
        if not line.startswith('list-sa event'):
            continue
        tree = parse_vici(line[len('list-sa event'):])
        for v in tree.values():
            if isinstance(v, dict):
                for name, sa in v.items():
                    if isinstance(sa, dict):
                        sas.append((name, sa))
    return sas


def swan_prop(d, ike):
    enc = d.get('encr-alg', '')
    if d.get('encr-keysize'):
        enc += '-' + d['encr-keysize']
    parts = [enc]
    for k in ('integ-alg', 'prf-alg', 'dh-group') if ike else ('integ-alg', 'dh-group'):
        if d.get(k):
            parts.append(d[k])
    return '/'.join(parts)


def load_uipsec(path):
    with open(path) as f:
        text = f.read()
    try:
        r = json.loads(text)
    except ValueError as e:
        raise SystemExit('not ok - %s is not JSON (%s): %r' % (path, e, text[:300]))
    return r.get('result', r)


def cmd_sas(a):
    label = a.label
    u = load_uipsec(a.uipsec)
    with open(a.swan) as f:
        s_sas = swan_ike_sas(f.read())
    uconn, sconn, uprop, sprop = a.ike.split(':')
    u_ikes = u.get('ike_sas', [])
    ok = report(label, len(u_ikes) == 1 and len(s_sas) == 1,
                'one IKE SA on each side (uipsecd %d, strongSwan %d)' % (len(u_ikes), len(s_sas)),
                ['uipsecd: %s' % json.dumps(u_ikes)[:600], 'strongSwan: %r' % s_sas])
    if not u_ikes or not s_sas:
        return
    ui, (sname, si) = u_ikes[0], s_sas[0]
    got = (ui.get('name'), ui.get('state'), ui.get('proposal'), ui.get('local_port'),
           ui.get('remote_port'))
    report(label, got == (uconn, 'ESTABLISHED', uprop, 4500, 4500),
           'uipsecd: IKE SA %s ESTABLISHED, %s, on port 4500' % (uconn, uprop),
           ['got name, state, proposal, ports: %r' % (got,)])
    got = (sname, si.get('state'), swan_prop(si, True), si.get('local-port'),
           si.get('remote-port'))
    report(label, got == (sconn, 'ESTABLISHED', sprop, '4500', '4500'),
           'strongSwan: IKE SA %s ESTABLISHED, %s, on port 4500' % (sconn, sprop),
           ['got name, state, proposal, ports: %r' % (got,)])
    got_u = (ui.get('spi_i'), ui.get('spi_r'), ui.get('local_id'), ui.get('remote_id'))
    got_s = (si.get('initiator-spi'), si.get('responder-spi'), si.get('remote-id'),
             si.get('local-id'))
    report(label, got_u == got_s,
           'same IKE SPIs %s_i %s_r and IDs %s <-> %s on both sides' % got_u,
           ['uipsecd spi_i, spi_r, local_id, remote_id: %r' % (got_u,),
            'strongSwan initiator-spi, responder-spi, remote-id, local-id: %r' % (got_s,)])
    role = ui.get('role')
    s_init = si.get('initiator') == 'yes'
    report(label, (role == 'initiator') != s_init,
           'roles: uipsecd %s, strongSwan %s' % (role, 'initiator' if s_init else 'responder'),
           ['uipsecd role %r, strongSwan initiator=%r' % (role, si.get('initiator'))])

    u_children = {c.get('name'): c for c in ui.get('children', [])}
    s_children = {}
    for c in (si.get('child-sas') or {}).values():
        if isinstance(c, dict):
            s_children[c.get('name')] = c
    want = [c.split(':') for c in a.child]
    report(label, sorted(u_children) == sorted(c[0] for c in want) and
           sorted(s_children) == sorted(c[1] for c in want),
           'CHILD_SAs: uipsecd %s, strongSwan %s' % (
               ','.join(c[0] for c in want), ','.join(c[1] for c in want)),
           ['uipsecd has %s' % sorted(u_children), 'strongSwan has %s' % sorted(s_children)])
    data_spis = {(x.get('direction'), x.get('spi')) for x in u.get('sas', [])}
    for uname, sname_c, up, sp in want:
        uc, sc = u_children.get(uname), s_children.get(sname_c)
        if uc is None or sc is None:
            continue
        details = ['uipsecd: %s' % json.dumps(uc), 'strongSwan: %r' % sc]
        report(label, uc.get('state') == 'INSTALLED' and sc.get('state') == 'INSTALLED' and
               uc.get('mode') == 'tunnel' and sc.get('mode') == 'TUNNEL' and
               uc.get('encap') is True and sc.get('encap') == 'yes',
               'CHILD_SA %s/%s INSTALLED, tunnel mode, ESP in UDP, on both sides'
               % (uname, sname_c), details)
        report(label, uc.get('spi_in') == sc.get('spi-out') and
               uc.get('spi_out') == sc.get('spi-in'),
               'CHILD_SA %s: SPIs match (uipsecd in %s out %s)'
               % (uname, uc.get('spi_in'), uc.get('spi_out')), details)
        report(label, uc.get('proposal') == up and swan_prop(sc, False) == sp,
               'CHILD_SA %s: ESP %s / %s' % (uname, up, sp),
               ['got %r / %r' % (uc.get('proposal'), swan_prop(sc, False))])
        report(label, uc.get('local_ts') == sc.get('remote-ts') and
               uc.get('remote_ts') == sc.get('local-ts'),
               'CHILD_SA %s: traffic selectors %s === %s on both sides'
               % (uname, ','.join(uc.get('local_ts') or []), ','.join(uc.get('remote_ts') or [])),
               details)
        report(label, ('in', uc.get('spi_in')) in data_spis and
               ('out', uc.get('spi_out')) in data_spis,
               'CHILD_SA %s: both ESP SAs in uipsecd\'s data plane' % uname,
               ['data plane SAs: %s' % sorted(data_spis)])
        if a.spis_out:
            with open(a.spis_out, 'a') as f:
                f.write('%s %s %s\n' % (uname, uc.get('spi_in'), uc.get('spi_out')))


def cmd_counters(a):
    u = load_uipsec(a.uipsec)
    with open(a.swan) as f:
        s_sas = swan_ike_sas(f.read())
    uc = [c for i in u.get('ike_sas', []) for c in i.get('children', []) if c.get('name') == a.uchild]
    sc = [c for _, i in s_sas for c in (i.get('child-sas') or {}).values()
          if isinstance(c, dict) and c.get('name') == a.schild]
    got = None
    if uc and sc:
        uc, sc = uc[0], sc[0]
        got = (uc.get('packets_in'), uc.get('packets_out'),
               int(sc.get('packets-out', -1)), int(sc.get('packets-in', -1)))
    report(a.label, got is not None and got[0] == got[2] >= a.min and got[1] == got[3] >= a.min,
           'CHILD_SA %s: packets uipsecd in %s out %s = strongSwan out %s in %s (at least %d)'
           % ((a.uchild,) + (got or ('?',) * 4) + (a.min,)),
           ['uipsecd: %s' % json.dumps(uc)[:600], 'strongSwan: %r' % (sc,)])


def cmd_nosas(a):
    u = load_uipsec(a.uipsec)
    with open(a.swan) as f:
        s_sas = swan_ike_sas(f.read())
    u_ikes, u_sas = u.get('ike_sas', []), u.get('sas', [])
    ok = not u_ikes and not u_sas and not s_sas
    if a.quiet:
        return ok
    u_children = [c for i in u_ikes for c in i.get('children', [])]
    s_children = [c for _, i in s_sas for c in (i.get('child-sas') or {}).values()]
    report(a.label, not u_sas and not u_children and not s_children,
           'no CHILD_SA or ESP SA on either side',
           ['uipsecd ESP SAs: %s' % json.dumps(u_sas)[:800],
            'uipsecd CHILD_SAs: %s' % json.dumps(u_children)[:800],
            'strongSwan CHILD_SAs: %r' % s_children])
    report(a.label, not u_ikes and not s_sas, 'no IKE SA on either side',
           ['uipsecd: %s' % json.dumps(u_ikes)[:800], 'strongSwan: %r' % s_sas])
    return ok


# ---- captures ---------------------------------------------------------------

FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'ip.proto', 'udp.srcport', 'udp.dstport',
          'isakmp.ispi', 'isakmp.rspi', 'isakmp.exchangetype', 'isakmp.flag_r',
          'isakmp.flag_i', 'isakmp.messageid', 'isakmp.typepayload', 'isakmp.enc.decrypted',
          'isakmp.id.data.fqdn', 'isakmp.notify.msgtype', 'esp.spi', 'icmp.type',
          '_ws.malformed', '_ws.expert.severity', '_ws.expert.message', 'frame.protocols']
EXCHANGES = {34: 'IKE_SA_INIT', 35: 'IKE_AUTH', 36: 'CREATE_CHILD_SA', 37: 'INFORMATIONAL'}
NOTIFIES = {14: 'NO_PROPOSAL_CHOSEN', 24: 'AUTHENTICATION_FAILED', 38: 'TS_UNACCEPTABLE'}
PI_WARN = 0x00600000
SK = 46


def key_opts(keydir):
    opts = ['-o', 'esp.enable_encryption_decode:TRUE']
    for name in ('ikev2_decryption_table', 'esp_sa'):
        path = os.path.join(keydir, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith('#'):
                    opts += ['-o', 'uat:%s:%s' % (name, line)]
    return opts


def read_capture(pcap, opts):
    cmd = ['tshark', '-n', '-r', pcap] + opts + ['-T', 'fields', '-E', 'separator=\t',
                                                 '-E', 'occurrence=a', '-E', 'aggregator=|']
    for f in FIELDS:
        cmd += ['-e', f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit('not ok - tshark failed on %s: %s' % (pcap, p.stderr[-500:]))
    frames = []
    for line in p.stdout.splitlines():
        vals = line.split('\t')
        vals += [''] * (len(FIELDS) - len(vals))
        frames.append({k: (v.split('|') if v else []) for k, v in zip(FIELDS, vals)})
    return frames


def first(fr, k, conv=str):
    v = fr[k]
    return conv(v[0]) if v else None


def ints(fr, k):
    return [int(x, 0) for x in fr[k] if x]


def cmd_capture(a):
    label = a.label
    frames = read_capture(a.pcap, key_opts(a.keydir))
    ike = [f for f in frames if f['isakmp.exchangetype']]
    esp = [f for f in frames if f['esp.spi']]
    desc = lambda f: 'frame %s %s %s' % (f['frame.number'][0],
                                         EXCHANGES.get(first(f, 'isakmp.exchangetype', int), '?'),
                                         'response' if first(f, 'isakmp.flag_r') == '1' else 'request')

    # exchanges seen
    counts = {}
    for f in ike:
        name = EXCHANGES.get(first(f, 'isakmp.exchangetype', int), 'other')
        counts[name] = counts.get(name, 0) + 1
    seen = ', '.join('%s %d' % (k, v) for k, v in sorted(counts.items()))
    if a.exchanges:
        want = dict((x.split(':')[0], int(x.split(':')[1])) for x in a.exchanges.split(','))
        report(label, all(counts.get(k, 0) >= n for k, n in want.items()),
               'IKE messages captured: %s' % seen, ['wanted at least %s' % a.exchanges])

    # Wireshark's complaints
    bad = []
    for f in ike + esp:
        sev = [s for s in ints(f, '_ws.expert.severity') if s >= PI_WARN]
        protos = ':'.join(f['frame.protocols'])
        if f['_ws.malformed'] or sev or '_ws.malformed' in protos:
            what = desc(f) if f in ike else 'frame %s ESP' % f['frame.number'][0]
            bad.append('%s: protocols %s, expert %r' % (what, protos, f['_ws.expert.message']))
    report(label, not bad, 'no malformed packet or expert warning in %d IKE and %d ESP packets'
           % (len(ike), len(esp)), bad)

    # retransmissions
    keys = {}
    for f in ike:
        k = (first(f, 'isakmp.ispi'), first(f, 'isakmp.rspi'), first(f, 'isakmp.messageid'),
             first(f, 'isakmp.flag_r'), first(f, 'isakmp.exchangetype'))
        keys.setdefault(k, []).append(f['frame.number'][0])
    dups = ['%r in frames %s' % (k, v) for k, v in keys.items() if len(v) > 1]
    if a.retransmits:  # an initiator waiting through an unauthenticated error
        report(label, bool(dups), 'the IKE_SA_INIT request retransmitted (RFC 7296 2.21.1)',
               ['no IKE message was sent twice'])
    else:
        report(label, not dups, 'no IKE message sent twice (no retransmission)', dups)

    # ports: IKE_SA_INIT on 500, the rest on 4500; ESP only in UDP 4500
    wrong = [desc(f) + ' ports %s>%s' % (first(f, 'udp.srcport'), first(f, 'udp.dstport'))
             for f in ike if (first(f, 'udp.dstport'), first(f, 'udp.srcport')) !=
             (('500', '500') if first(f, 'isakmp.exchangetype') == '34' else ('4500', '4500'))]
    wrong += ['frame %s: ESP not in UDP 4500' % f['frame.number'][0]
              for f in esp if first(f, 'udp.dstport') != '4500']
    wrong += ['frame %s: raw ESP (IP protocol 50)' % f['frame.number'][0]
              for f in frames if '50' in f['ip.proto'][:1]]
    report(label, not wrong, 'IKE_SA_INIT on UDP 500, later IKE and all ESP on UDP 4500', wrong)

    # cleartext inner traffic
    clear = ['frame %s' % f['frame.number'][0] for f in frames
             if f['icmp.type'] and not f['esp.spi'] and
             any(x.startswith('10.10.') for x in f['ip.src'] + f['ip.dst'])]
    report(label, not clear, 'no cleartext packet between the protected subnets', clear)

    later = [f for f in ike if first(f, 'isakmp.exchangetype') != '34']
    init = [f for f in ike if first(f, 'isakmp.exchangetype') == '34']
    nodata = [desc(f) for f in init
              if not (set(ints(f, 'isakmp.typepayload')) >= {33, 34, 40} or
                      41 in ints(f, 'isakmp.typepayload'))]
    report(label, init and not nodata,
           '%d IKE_SA_INIT messages parsed (SA, KE, Nonce or a notify)' % len(init), nodata)
    if a.no_decrypt:
        dec = [desc(f) for f in later if f['isakmp.enc.decrypted'] or
               set(ints(f, 'isakmp.typepayload')) - {SK}]
        nosk = [desc(f) for f in later if SK not in ints(f, 'isakmp.typepayload')]
        report(label, later and not dec and not nosk,
               'the %d IKE messages after IKE_SA_INIT are encrypted (SK payload, not '
               'decryptable by Wireshark 4.0)' % len(later), dec + nosk)
        dec = ['frame %s' % f['frame.number'][0] for f in esp if f['icmp.type']]
        report(label, len(esp) >= 4 * a.count and not dec,
               '%d ESP packets, none readable without the keys (want >= %d)'
               % (len(esp), 4 * a.count), dec)
        return

    undec = [desc(f) for f in later if not f['isakmp.enc.decrypted']]
    if later or not a.failure:
        report(label, later and not undec,
               'the %d IKE messages after IKE_SA_INIT decrypted with uipsecd\'s keys'
               % len(later), undec)
    if a.auth_ids:
        i_id, r_id = a.auth_ids.split(',')
        missing = []
        auth = [f for f in later if first(f, 'isakmp.exchangetype') == '35']
        for f in auth:
            want = r_id if first(f, 'isakmp.flag_r') == '1' else i_id
            if want not in f['isakmp.id.data.fqdn']:
                missing.append('%s: IDs %r, want %s' % (desc(f), f['isakmp.id.data.fqdn'], want))
        report(label, len(auth) >= 2 and not missing,
               'IKE_AUTH request shows IDi %s, response IDr %s' % (i_id, r_id), missing)
    if a.pfs:
        # (a refusal, a lone error notify, is checked elsewhere)
        cc = [f for f in later if first(f, 'isakmp.exchangetype') == '36' and
              ints(f, 'isakmp.typepayload') != [SK, 41]]
        nokey = ['%s: payloads %s' % (desc(f), ints(f, 'isakmp.typepayload')) for f in cc
                 if not set(ints(f, 'isakmp.typepayload')) >= {33, 34, 40, 44, 45}]
        report(label, len(cc) >= 2 and not nokey,
               '%d CREATE_CHILD_SA messages carry SA, KE (PFS), Nonce, TSi, TSr' % len(cc),
               nokey)
    for n in a.notify:
        has = [desc(f) for f in ike if n in ints(f, 'isakmp.notify.msgtype')]
        report(label, bool(has), 'notify %s on the wire (%s)'
               % (NOTIFIES.get(n, str(n)), ', '.join(has) or 'none'))

    if a.failure:
        report(label, not esp, 'no ESP packet (%d)' % len(esp))
        return
    undec = ['frame %s SPI %s' % (f['frame.number'][0], first(f, 'esp.spi')) for f in esp
             if len(f['ip.src']) < 2]
    report(label, esp and not undec, 'all %d ESP packets decrypted with uipsecd\'s keys'
           % len(esp), undec)
    for spec in a.ping:
        m = re.fullmatch(r'([^>@]+)>([^>@]+)(?:@(.+))?', spec)
        src, dst, spis = m.group(1), m.group(2), m.group(3)
        spis = {int(s, 16) for s in spis.split('/')} if spis else None
        n_req = n_rep = 0
        wrong_sa = []
        for f in esp:
            if len(f['ip.src']) < 2 or not f['icmp.type']:
                continue
            isrc, idst, t = f['ip.src'][-1], f['ip.dst'][-1], first(f, 'icmp.type')
            if (isrc, idst, t) == (src, dst, '8'):
                n_req += 1
            elif (isrc, idst, t) == (dst, src, '0'):
                n_rep += 1
            else:
                continue
            if spis is not None and int(first(f, 'esp.spi'), 0) not in spis:
                wrong_sa.append('frame %s in SPI %s' % (f['frame.number'][0], first(f, 'esp.spi')))
        report(label, n_req >= a.count and n_rep >= a.count and not wrong_sa,
               'ESP carries %d echo requests %s -> %s and %d replies%s'
               % (n_req, src, dst, n_rep,
                  ' in SPIs %s' % '/'.join('%08x' % s for s in sorted(spis)) if spis else ''),
               wrong_sa + ['want %d of each' % a.count])


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('sas')
    s.add_argument('label')
    s.add_argument('uipsec')
    s.add_argument('swan')
    s.add_argument('--ike', required=True)
    s.add_argument('--child', action='append', default=[])
    s.add_argument('--spis-out')
    s = sub.add_parser('counters')
    s.add_argument('label')
    s.add_argument('uipsec')
    s.add_argument('swan')
    s.add_argument('uchild')
    s.add_argument('schild')
    s.add_argument('min', type=int)
    s = sub.add_parser('nosas')
    s.add_argument('label')
    s.add_argument('uipsec')
    s.add_argument('swan')
    s.add_argument('-q', '--quiet', action='store_true')
    s = sub.add_parser('capture')
    s.add_argument('label')
    s.add_argument('pcap')
    s.add_argument('keydir')
    s.add_argument('--auth-ids')
    s.add_argument('--ping', action='append', default=[])
    s.add_argument('--count', type=int, default=3)
    s.add_argument('--exchanges')
    s.add_argument('--pfs', action='store_true')
    s.add_argument('--notify', action='append', type=int, default=[])
    s.add_argument('--no-decrypt', action='store_true')
    s.add_argument('--failure', action='store_true')
    s.add_argument('--retransmits', action='store_true')
    a = p.parse_args()
    if a.cmd == 'sas':
        cmd_sas(a)
    elif a.cmd == 'counters':
        cmd_counters(a)
    elif a.cmd == 'nosas':
        return 0 if cmd_nosas(a) else 1
    else:
        cmd_capture(a)
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
