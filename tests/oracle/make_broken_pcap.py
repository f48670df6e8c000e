#!/usr/bin/python3
"""Writes tests/data/broken_l2tp.pcap: L2TP frames that tshark must flag, plus one good one.

    /usr/bin/python3 tests/oracle/make_broken_pcap.py [OUTPUT]

  frame 1  control message whose Length field (200) is larger than the datagram
  frame 2  SCCRQ with an AVP whose length (3) is shorter than an AVP header
  frame 3  data message carrying an LCP Configure-Request cut short (length 40, 2 bytes)
  frame 4  a well-formed Hello: the oracle must not flag it
The oracle self-test (oracle_selftest.py) relies on this layout.
"""

import os
import struct
import sys

from scapy.all import IP, UDP, Ether, Raw, wrpcap  # /usr/bin/python3 has Debian's scapy


def frame(payload, t):
    p = (Ether(src="02:00:c6:12:00:02", dst="02:00:c6:12:00:01") /
         IP(src="198.18.0.2", dst="198.18.0.1", id=0, flags="DF") /
         UDP(sport=1701, dport=1701) / Raw(payload))
    p.time = t
    return p


def control(avps, length=None, tunnel=0, session=0, ns=0, nr=0):
    body = struct.pack("!HHHH", tunnel, session, ns, nr) + avps
    total = length if length is not None else 4 + len(body)
    return struct.pack("!HH", 0xC802, total) + body


def avp(attr, value, mandatory=True):
    flags_len = (0x8000 if mandatory else 0) | (6 + len(value))
    return struct.pack("!HHH", flags_len, 0, attr) + value


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "broken_l2tp.pcap")
    msg_sccrq = avp(0, struct.pack("!H", 1))
    frames = [
        control(msg_sccrq, length=200),
        control(msg_sccrq + struct.pack("!HHH", 0x8003, 0, 2)),
        struct.pack("!HHHH", 0x4002, 14, 2, 1) + bytes.fromhex("ff03c021") + bytes.fromhex("0101"),
        control(avp(0, struct.pack("!H", 6)), tunnel=2, ns=3, nr=4),
    ]
    base = 1_700_000_000
    wrpcap(out, [frame(f, base + i * 0.001) for i, f in enumerate(frames)])
    print("wrote %s (%d frames)" % (out, len(frames)))


if __name__ == "__main__":
    main()
