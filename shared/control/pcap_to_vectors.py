#!/usr/bin/python3
"""Turn the L2TP control packets of a real-peer capture into C++ vectors for peer_test.cpp.

    /usr/bin/python3 shared/control/pcap_to_vectors.py tests/data/xl2tpd_l2tpns.pcap \\
        > shared/control/l2tpns_vectors.inc

tests/data/xl2tpd_l2tpns.pcap (made by tests/peers/capture_xl2tpd_l2tpns.sh) holds xl2tpd
1.3.18 as LAC and l2tpns 2.4.1 as LNS. Reads classic pcap (Ethernet or raw IP), IPv4, UDP
port 1701, L2TPv2 control messages (T bit set) only; the Message Type is read by tshark-free
byte walking so the test can compare it with what the C++ decoder finds.
"""
import struct
import sys


def packets(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        off += 16
        frame = data[off:off + incl]
        off += incl
        if linktype == 1:  # Ethernet
            if len(frame) < 14 or struct.unpack('!H', frame[12:14])[0] != 0x0800:
                continue
            ip = frame[14:]
        elif linktype in (101, 228):  # raw IPv4
            ip = frame
        elif linktype == 113:  # Linux cooked
            if struct.unpack('!H', frame[14:16])[0] != 0x0800:
                continue
            ip = frame[16:]
        else:
            raise SystemExit('unsupported link type %d' % linktype)
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        sport, dport, ulen = struct.unpack('!HHH', udp[:6])
        if 1701 not in (sport, dport):
            continue
        payload = udp[8:ulen]
        if len(payload) >= 2 and payload[0] & 0x80 and payload[1] & 15 == 2:
            yield '%d.%d.%d.%d' % tuple(ip[12:16]), payload


def main():
    print('// Extracted by shared/control/pcap_to_vectors.py from %s: do not edit.' % sys.argv[1])
    print('inline constexpr pcap_packet l2tpns_packets[] = {')
    for src, p in packets(sys.argv[1]):
        mt = struct.unpack('!H', p[18:20])[0] if len(p) >= 20 else 0
        print('\t{"%s", %d,\n\t "%s"},' % (src, mt, p.hex()))
    print('};')


if __name__ == '__main__':
    main()
