#!/usr/bin/python3
"""Oracle test: every packet of control_vectors.inc decoded by tshark (Wireshark's L2TP
dissector, an implementation independent of ours and of gen_vectors.py).

Checks per packet: Message Type, the list of AVP types in order (hidden AVPs, whose type
tshark does not print, are counted through l2tp.avp.hidden), no malformed-packet marker, and
for signed L2TPv3 packets that Wireshark finds the Message Digest correct (it is given the
secret; each signed packet gets its own conversation with an SCCRQ / SCCRP pair carrying the
nonces it was signed with). Exit 77 (skipped) when tshark is missing.

Run: /usr/bin/python3 shared/control/tshark_check.py
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_vectors as g  # noqa: E402

VEC = re.compile(r'\{"(v\d_\w+)", (\d), (true|false), (\d+), "([\d ]*)",\s*"([\d ]*)", "(\w*)", (-?\d), '
                 r'"(\w*)", "(\w*)", (\d+),\s*"(\w+)"\}')


def checksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ip_packet(src, dst, payload, over_ip):
    if over_ip:
        proto, l4 = 115, payload
    else:
        proto, l4 = 17, struct.pack('!HHHH', 1701, 1701, 8 + len(payload), 0) + payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack('!H', checksum(hdr)) + hdr[12:]
    return hdr + l4


def write_pcap(path, packets):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        for i, p in enumerate(packets):
            f.write(struct.pack('<IIII', i, 0, len(p), len(p)))
            f.write(p)


def setup_packets(a, b, local_nonce, remote_nonce, over_ip):
    """SCCRQ from a with local_nonce, SCCRP from b with remote_nonce: Wireshark learns both."""
    out = []
    for mt, src, dst, nonce in ((1, a, b, local_nonce), (2, b, a, remote_nonce)):
        saved = g.CANON[73]
        g.CANON[73] = nonce
        body = g.body(mt, [0, 7, 60, 61, 62, 73])
        g.CANON[73] = saved
        pkt = g.v3_header(0, 0, 0, 12 + len(body)) + body
        out.append(ip_packet(src, dst, (b'\0' * 4 if over_ip else b'') + pkt, over_ip))
    return out


def main():
    if shutil.which('tshark') is None:
        print('tshark not found: skipped')
        return 77
    vectors = VEC.findall(open(os.path.join(HERE, 'control_vectors.inc')).read())
    if len(vectors) < 50:
        print('could not read the vectors')
        return 1
    packets, checked = [], []  # checked: (index in pcap, vector)
    for n, v in enumerate(vectors):
        name, ver, over_ip, mt, avps, hid, pad, dig, ln, rn, ns, hexp = v
        a, b = [10, n // 250, n % 250, 1], [10, n // 250, n % 250, 2]
        ip = over_ip == 'true'
        if int(dig) >= 0 and int(mt) != 1:
            packets += setup_packets(a, b, bytes.fromhex(ln), bytes.fromhex(rn), ip)
        checked.append((len(packets), v))
        packets.append(ip_packet(a, b, bytes.fromhex(hexp), ip))
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, 'control_vectors.pcap')
        write_pcap(pcap, packets)
        res = subprocess.run(['tshark', '-n', '-r', pcap, '-o', 'l2tp.shared_secret:' + g_secret(),
                              '-T', 'fields', '-E', 'separator=|', '-e', 'l2tp.avp.message_type',
                              '-e', 'l2tp.avp.type', '-e', 'l2tp.avp.hidden', '-e', '_ws.malformed',
                              '-e', '_ws.expert.message'], capture_output=True, text=True, check=False)
    lines = res.stdout.splitlines()
    if len(lines) != len(packets):
        print('tshark printed %d lines for %d packets\n%s' % (len(lines), len(packets), res.stderr))
        return 1
    bad = 0
    for index, v in checked:
        name, ver, over_ip, mt, avps, hid, pad, dig, ln, rn, ns, hexp = v
        f = lines[index].split('|')
        want_types = [int(t) for t in avps.split()]
        hidden = set(int(t) for t in hid.split())
        shown = [int(t) for t in f[1].split(',')] if f[1] else []
        flags = [int(x) for x in f[2].split(',')] if f[2] else []
        problems = []
        if f[0] != mt:
            problems.append('message type %s' % f[0])
        if shown != [t for t in want_types if t not in hidden]:
            problems.append('avp types %s' % shown)
        if flags != [1 if t in hidden else 0 for t in want_types]:
            problems.append('hidden flags %s' % flags)
        if f[3]:
            problems.append('malformed')
        if 'Incorrect Digest' in f[4]:
            problems.append('digest rejected')
        if problems:
            bad += 1
            print('%s: %s' % (name, ', '.join(problems)))
    print('%d packets checked with tshark, %d bad' % (len(checked), bad))
    return 1 if bad else 0


def g_secret():
    m = re.search(r'vector_digest_secret = "([^"]*)"', open(os.path.join(HERE, 'control_vectors.inc')).read())
    return m.group(1)


if __name__ == '__main__':
    sys.exit(main())
