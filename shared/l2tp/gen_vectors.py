#!/usr/bin/python3
"""Cross-check vectors for the L2TP header codecs, produced or decoded by other implementations.

Writes three C++ tables next to this script, included by the tests:

- scapy_v2_vectors.inc: L2TPv2 packets built by scapy (scapy.layers.l2tp, RFC 2661) with the
  fields scapy was given; each is also decoded by tshark and must agree. l2tpv2_test.cpp
  parses every vector with parse_v2() and rebuilds it with build_v2(): both must match.
- tshark_v3_data_vectors.inc, tshark_v3_control_vectors.inc: L2TPv3 headers written by hand
  from the RFC 3931 diagrams (scapy has no L2TPv3 layer), over UDP and IP; the fields in the
  tables are the ones tshark decodes, with the cookie size and sublayer set per vector.
  l2tpv3_test.cpp parses and rebuilds each one.

Regenerate (needs Debian's python3-scapy, hence /usr/bin/python3, and tshark):

    /usr/bin/python3 shared/l2tp/gen_vectors.py

Scapy's L2TP layer quirk: it pads the Offset Size field to 4 bytes, i.e. always writes 2
bytes of offset padding, so only offset_size=2 vectors agree with RFC 2661 semantics.
"""

import os
import subprocess
import sys
import tempfile

import scapy
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.l2tp import L2TP
from scapy.packet import Raw
from scapy.utils import wrpcap

HERE = os.path.dirname(os.path.abspath(__file__))
REGEN = "// Regenerate: /usr/bin/python3 shared/l2tp/gen_vectors.py\n"

# (name, flags, tunnel, session, ns, nr, offset_size, payload)
# flags: scapy FlagsField names: control, length, sequence, offset, priority
V2_CASES = [
    ("data_plain", "", 1, 2, 0, 0, 0, bytes.fromhex("ff03c021010100040000")),
    ("data_length", "length", 0x1234, 0xabcd, 0, 0, 0, bytes.fromhex("ff030021450000")),
    ("data_sequence", "sequence", 7, 9, 0x0102, 0x0304, 0, bytes.fromhex("ff030021")),
    ("data_length_sequence", "length+sequence", 65535, 65535, 65535, 0, 0, b"\x21\x45"),
    ("data_priority", "priority", 100, 200, 0, 0, 0, bytes.fromhex("c0210901")),
    ("data_offset2", "offset", 3, 4, 0, 0, 2, bytes.fromhex("ff03c021")),
    ("data_length_offset2", "length+offset", 5, 6, 0, 0, 2, bytes.fromhex("ff030057")),
    ("data_all", "length+sequence+offset+priority", 0xfeed, 0xbeef, 10, 20, 2, bytes.fromhex("ff03c0210a")),
    ("control_sccrq", "control+length+sequence", 0, 0, 0, 0, 0,
     bytes.fromhex("8008000000000001")),
    ("control_zlb", "control+length+sequence", 0x4242, 0, 3, 7, 0, b""),
    ("control_session", "control+length+sequence", 1, 2, 0x8000, 0x7fff, 0,
     bytes.fromhex("800800000000000a")),
]

# (name, over_udp, session_id, cookie, l2ss (None | (s_bit, seq)), payload)
V3_DATA_CASES = [
    ("ip_plain", False, 0x00010203, b"", None, bytes.fromhex("ffff0800")),
    ("ip_cookie4", False, 1, bytes.fromhex("a1a2a3a4"), None, bytes.fromhex("0800")),
    ("ip_cookie8", False, 0x80000000, bytes.fromhex("b1b2b3b4b5b6b7b8"), None, bytes.fromhex("0800")),
    ("ip_l2ss", False, 3, b"", (True, 0x123456), bytes.fromhex("0800")),
    ("ip_cookie4_l2ss", False, 4, bytes.fromhex("c1c2c3c4"), (True, 0xffffff), bytes.fromhex("08")),
    ("ip_cookie8_l2ss_s0", False, 5, bytes.fromhex("0102030405060708"), (False, 0), bytes.fromhex("0800")),
    ("udp_plain", True, 0xfffffffe, b"", None, bytes.fromhex("ffff0800")),
    ("udp_cookie4", True, 6, bytes.fromhex("d1d2d3d4"), None, bytes.fromhex("0800")),
    ("udp_cookie8", True, 7, bytes.fromhex("e1e2e3e4e5e6e7e8"), None, bytes.fromhex("0800")),
    ("udp_l2ss", True, 8, b"", (True, 1), bytes.fromhex("0800")),
    ("udp_cookie8_l2ss", True, 9, bytes.fromhex("0102030405060708"), (True, 7), bytes.fromhex("ffff0800")),
]

# (name, over_udp, ccid, ns, nr, avps)
V3_CONTROL_CASES = [
    ("udp_sccrq", True, 0, 0, 0, bytes.fromhex("8008000000000001")),
    ("udp_zlb", True, 0x12345678, 5, 6, b""),
    ("ip_sccrq", False, 0, 0, 0, bytes.fromhex("8008000000000001")),
    ("ip_zlb", False, 0xffffffff, 0xffff, 0xfffe, b""),
]


def frame(payload, over_udp):
    ip = IP(src="192.0.2.1", dst="192.0.2.2")
    if over_udp:
        return Ether() / ip / UDP(sport=1701, dport=1701) / Raw(payload)
    ip.proto = 115
    return Ether() / ip / Raw(payload)


def tshark_fields(payload, over_udp, fields, prefs=()):
    """Decode one packet with tshark; returns {field: value} ('' when absent)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "p.pcap")
        wrpcap(path, [frame(payload, over_udp)])
        cmd = ["tshark", "-r", path, "-T", "fields", "-E", "occurrence=f"]
        for p in prefs:
            cmd += ["-o", p]
        for f in fields:
            cmd += ["-e", f]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    values = out.rstrip("\n").split("\t")
    return dict(zip(fields, values + [""] * (len(fields) - len(values))))


def num(v):
    return int(v, 0) if v else 0


def flag(v):
    return v in ("1", "True", "true")


def cbool(b):
    return "true" if b else "false"


def check(cond, what):
    if not cond:
        sys.exit("gen_vectors.py: disagreement: " + what)


def gen_v2():
    lines = ["// Generated by shared/l2tp/gen_vectors.py with scapy %s; do not edit.\n" % scapy.VERSION, REGEN,
             "// {name, hex (as built by scapy), T, L, S, O, P, tunnel, session, ns, nr, offset_size, payload hex}\n"]
    for name, flags, tid, sid, ns, nr, off, payload in V2_CASES:
        pkt = L2TP(hdr=flags if flags else 0, tunnel_id=tid, session_id=sid, ns=ns, nr=nr, offset=off) / Raw(payload)
        raw = bytes(pkt)
        fl = set(flags.split("+")) if flags else set()
        t = tshark_fields(raw, True, ["l2tp.tunnel", "l2tp.session", "l2tp.Ns", "l2tp.Nr", "l2tp.length",
                                      "l2tp.offset"])
        check(num(t["l2tp.tunnel"]) == tid and num(t["l2tp.session"]) == sid, name + ": tshark ids %s" % t)
        if "sequence" in fl or "control" in fl:
            check(num(t["l2tp.Ns"]) == ns and num(t["l2tp.Nr"]) == nr, name + ": tshark Ns/Nr %s" % t)
        if "length" in fl:
            check(num(t["l2tp.length"]) == len(raw), name + ": tshark Length %s" % t)
        if "offset" in fl:
            check(num(t["l2tp.offset"]) == off, name + ": tshark Offset %s" % t)
        bit = lambda n: cbool(n in fl)
        lines.append('{"%s", "%s", %s, %s, %s, %s, %s, %d, %d, %d, %d, %d, "%s"},\n' % (
            name, raw.hex(), bit("control"), bit("length"), bit("sequence"), bit("offset"),
            bit("priority"), tid, sid, ns, nr, off, payload.hex()))
    return "".join(lines)


def v3_data_bytes(over_udp, sid, cookie, l2ss, payload):
    b = b""
    if over_udp:
        b += bytes.fromhex("00030000")  # T=0, Ver=3, Reserved
    b += sid.to_bytes(4, "big") + cookie
    if l2ss is not None:
        s, seq = l2ss
        b += ((0x40000000 if s else 0) | (seq & 0xffffff)).to_bytes(4, "big")
    return b + payload


def gen_v3_data():
    cookie_pref = {0: "None", 4: "4 Byte Cookie", 8: "8 Byte Cookie"}
    lines = ["// Generated by shared/l2tp/gen_vectors.py, decoded by tshark; do not edit.\n", REGEN,
             "// {name, over UDP, hex, cookie_len, l2ss, session id, cookie hex, S bit, seq, payload hex}\n"]
    for name, over_udp, sid, cookie, l2ss, payload in V3_DATA_CASES:
        raw = v3_data_bytes(over_udp, sid, cookie, l2ss, payload)
        prefs = ["l2tp.cookie_size:" + cookie_pref[len(cookie)],
                 "l2tp.l2_specific:" + ("Default L2-Specific" if l2ss else "None")]
        t = tshark_fields(raw, over_udp, ["l2tp.sid", "l2tp.cookie", "l2tp.l2_spec_s", "l2tp.l2_spec_sequence",
                                          "data.data"], prefs)
        check(num(t["l2tp.sid"]) == sid, name + ": %s" % t)
        check(t["l2tp.cookie"].replace(":", "") == cookie.hex(), name + ": %s" % t)
        check(t["data.data"].replace(":", "") == payload.hex(), name + ": %s" % t)
        if l2ss is not None:
            check(flag(t["l2tp.l2_spec_s"]) == l2ss[0] and num(t["l2tp.l2_spec_sequence"]) == l2ss[1],
                  name + ": %s" % t)
        lines.append('{"%s", %s, "%s", %d, %s, %du, "%s", %s, %du, "%s"},\n' % (
            name, cbool(over_udp), raw.hex(), len(cookie), cbool(l2ss is not None), num(t["l2tp.sid"]),
            t["l2tp.cookie"].replace(":", ""), cbool(flag(t["l2tp.l2_spec_s"])), num(t["l2tp.l2_spec_sequence"]),
            t["data.data"].replace(":", "")))
    return "".join(lines)


def gen_v3_control():
    lines = ["// Generated by shared/l2tp/gen_vectors.py, decoded by tshark; do not edit.\n", REGEN,
             "// {name, over UDP, hex, ccid, ns, nr, Length, AVP bytes}\n"]
    for name, over_udp, ccid, ns, nr, avps in V3_CONTROL_CASES:
        hdr = bytes.fromhex("c803") + (12 + len(avps)).to_bytes(2, "big") + ccid.to_bytes(4, "big") + \
            ns.to_bytes(2, "big") + nr.to_bytes(2, "big")
        raw = (b"" if over_udp else bytes(4)) + hdr + avps
        t = tshark_fields(raw, over_udp, ["l2tp.type", "l2tp.ccid", "l2tp.Ns", "l2tp.Nr", "l2tp.length"])
        check(num(t["l2tp.type"]) == 1, name + ": %s" % t)
        check((num(t["l2tp.ccid"]), num(t["l2tp.Ns"]), num(t["l2tp.Nr"])) == (ccid, ns, nr), name + ": %s" % t)
        check(num(t["l2tp.length"]) == 12 + len(avps), name + ": %s" % t)
        lines.append('{"%s", %s, "%s", %du, %d, %d, %d, %d},\n' % (
            name, cbool(over_udp), raw.hex(), num(t["l2tp.ccid"]), num(t["l2tp.Ns"]), num(t["l2tp.Nr"]),
            num(t["l2tp.length"]), len(avps)))
    return "".join(lines)


def main():
    outputs = {
        "scapy_v2_vectors.inc": gen_v2(),
        "tshark_v3_data_vectors.inc": gen_v3_data(),
        "tshark_v3_control_vectors.inc": gen_v3_control(),
    }
    for name, text in outputs.items():
        with open(os.path.join(HERE, name), "w") as f:
            f.write(text)
        print("wrote", os.path.join(HERE, name))


if __name__ == "__main__":
    main()
