#!/usr/bin/python3
"""Capture a real L2TPv2 control exchange with xl2tpd (Debian's xl2tpd 1.3.18) as LAC.

This script plays a minimal LNS on 127.0.0.1:1701 inside a private network namespace
(unshare -n, needs root) and dials it with xl2tpd configured for tunnel authentication
(challenge = yes) and hidden AVPs (hidden bit = yes). The LNS answers with SCCRP and ICRP
built by gen_vectors.py's encoder; xl2tpd checks our Challenge Response and answers ours.
Every packet both ways is written as C++ to stdout:

    /usr/bin/python3 shared/control/capture_xl2tpd.py > shared/control/xl2tpd_vectors.inc

xl2tpd picks random tunnel/session IDs, challenges and random vectors, so each run gives
different bytes; the test (peer_test.cpp) reads every variable value from the packets.
pppd cannot run on these machines (no /dev/ppp), so xl2tpd ends the call with a CDN; SIGINT
then makes it send StopCCN.
"""
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_vectors as g  # noqa: E402

SECRET = b'xl2tpd-secret'
OUR_CHALLENGE = bytes(range(0x40, 0x50))
OUR_TUNNEL, OUR_SESSION = 0x0102, 0x0304


def avps(body):
    out, i = {}, 0
    while i + 6 <= len(body):
        w, _, t = struct.unpack('!HHH', body[i:i + 6])
        n = w & 0x3ff
        out.setdefault(t, body[i + 6:i + n])
        i += max(n, 6)
    return out


def lns(log_path):
    """Runs inside the namespace: answer xl2tpd, log every packet."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 1701))
    s.settimeout(8)
    log, ns, ptid, peer = [], 0, 0, None

    def avp(t, v):
        return g.avp(t, v, t not in g.M_CLEAR)

    def send(tid, sid, nr, body, what):
        nonlocal ns
        pkt = struct.pack('!HHHHHH', 0xc802, 12 + len(body), tid, sid, ns if body else ns, nr) + body
        s.sendto(pkt, peer)
        log.append(['lns', what, pkt.hex()])
        if body:
            ns += 1

    while True:
        try:
            d, peer = s.recvfrom(4096)
        except socket.timeout:
            break
        nr = struct.unpack('!H', d[8:10])[0] + 1
        if len(d) <= 12:
            log.append(['lac', 'ZLB', d.hex()])
            continue
        a = avps(d[12:])
        mt = struct.unpack('!H', a[0])[0]
        log.append(['lac', mt, d.hex()])
        if mt == 1:  # SCCRQ -> SCCRP with our challenge and the response to theirs
            ptid = struct.unpack('!H', a[9])[0]
            resp = hashlib.md5(bytes([2]) + SECRET + a[11]).digest()
            body = (avp(0, g.u16(2)) + avp(2, g.u16(0x0100)) + avp(3, g.u32(3)) + avp(7, b'l2tpx-lns') +
                    avp(9, g.u16(OUR_TUNNEL)) + avp(10, g.u16(8)) + avp(11, OUR_CHALLENGE) + avp(13, resp))
            send(ptid, 0, nr, body, 'SCCRP')
        elif mt == 10:  # ICRQ -> ICRP
            psid = struct.unpack('!H', a[14])[0]
            send(ptid, psid, (nr - 1) + 1, avp(0, g.u16(11)) + avp(14, g.u16(OUR_SESSION)), 'ICRP')
        else:
            send(ptid, 0, nr, b'', 'ZLB')
            if mt == 4:
                break
    with open(log_path, 'w') as f:
        json.dump(log, f)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--lns':
        lns(sys.argv[2])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        conf, secrets, log = (os.path.join(tmp, n) for n in ('xl2tpd.conf', 'secrets', 'log.json'))
        with open(conf, 'w') as f:
            f.write('[global]\nport = 1702\naccess control = no\n'
                    '[lac test]\nlns = 127.0.0.1\nrequire authentication = no\nchallenge = yes\n'
                    'hidden bit = yes\nautodial = yes\nredial = no\n')
        with open(secrets, 'w') as f:
            f.write('* * %s\n' % SECRET.decode())
        script = ('ip link set lo up; /usr/bin/python3 %s --lns %s & LNS=$!; sleep 0.5; '
                  'xl2tpd -D -c %s -s %s -p %s/pid -C %s/ctrl >/dev/null 2>&1 & X=$!; '
                  'sleep 4; kill -INT $X; wait $LNS; kill $X 2>/dev/null; wait'
                  % (os.path.abspath(__file__), log, conf, secrets, tmp, tmp))
        subprocess.run(['unshare', '-n', 'sh', '-c', script], check=True, timeout=60)
        with open(log) as f:
            packets = json.load(f)
    print('// Captured by shared/control/capture_xl2tpd.py from xl2tpd 1.3.18 (LAC, challenge = yes,')
    print('// hidden bit = yes) talking to a scripted LNS: do not edit, regenerate with')
    print('//   /usr/bin/python3 shared/control/capture_xl2tpd.py > shared/control/xl2tpd_vectors.inc')
    print('// Captured %s.' % time.strftime('%Y-%m-%d', time.gmtime()))
    print('inline constexpr const char *xl2tpd_secret = "%s";' % SECRET.decode())
    print('inline constexpr const char *xl2tpd_our_challenge = "%s";' % OUR_CHALLENGE.hex())
    print('inline constexpr uint16_t xl2tpd_our_tunnel = 0x%04x, xl2tpd_our_session = 0x%04x;'
          % (OUR_TUNNEL, OUR_SESSION))
    print('inline constexpr peer_packet xl2tpd_packets[] = {')
    for who, what, hexp in packets:
        print('\t{%s, "%s",\n\t "%s"},' % ('true' if who == 'lac' else 'false', what, hexp))
    print('};')
    return 0


if __name__ == '__main__':
    sys.exit(main())
