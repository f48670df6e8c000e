#!/usr/bin/python3
"""Generates the dataplane pcap cases: cases/<name>/{send.pcap, expect.pcap, punt.pcap,
counters.json, case.toml}, against the table set in fixture.toml.

    /usr/bin/python3 tests/pcap/gen.py [OUTDIR]      (default: tests/pcap/cases)
    /usr/bin/python3 tests/pcap/gen.py --check DIR   exit 1 unless DIR holds exactly what
                                                     gen.py would write (committed cases
                                                     are up to date)

send.pcap   frames received on the case's port, in order
expect.pcap frames the paths must transmit, in order, byte for byte
punt.pcap   frames the paths must punt (without their punt_meta), in order
counters.json  every non-zero path counter by name (all others must stay 0)
case.toml   port, tx_port, description, and how tshark must decode expect.pcap
            (oracle) and send.pcap (send_oracle)
"""

import json
import os
import shutil
import struct
import sys
import tomllib

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, raw  # noqa: E402
from scapy.layers.inet6 import ICMPv6ND_NS

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixture.toml"), "rb") as f:
    FIX = tomllib.load(f)

PEER = FIX["peer"]
NB = FIX["neighbour"]
S = {s["name"]: s for s in FIX["session"]}
ACCESS, CORE, ATTACH, ATTACH_VLAN, UNUSED = 0, 1, 2, 3, 7
ACCESS_ON_VLAN, CORE_ON_VLAN = 4, 5  # ports with a `vlan` (802.1Q sub-interfaces)
ROLE_EVENT = {ACCESS: "rx_access", CORE: "rx_core", ATTACH: "rx_attachment", ATTACH_VLAN: "rx_attachment",
              ACCESS_ON_VLAN: "rx_access", CORE_ON_VLAN: "rx_core"}
PORT_VLAN = {p["id"]: p.get("vlan", 0) for p in FIX["port"]}
SERVER = "203.0.113.5"
SERVER6 = "2001:db8:ffff::5"

PROTO_IPV4, PROTO_IPV6 = 0x0021, 0x0057


def write_pcap(path, frames):
    """Classic pcap, Ethernet, deterministic timestamps (1 ms apart)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            fr = bytes(fr)
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
            f.write(fr)


# ---- packet helpers ------------------------------------------------------------------

def inner4(src, dst, ttl=64, size=24, tcp=None):
    l4 = tcp if tcp is not None else UDP(sport=40000, dport=40001) / Raw(bytes(i & 0xFF for i in range(size)))
    return IP(src=src, dst=dst, ttl=ttl, id=1) / l4


def inner6(src, dst, hlim=64, size=24):
    return IPv6(src=src, dst=dst, hlim=hlim) / UDP(sport=40000, dport=40001) / Raw(bytes(i & 0xFF for i in range(size)))


def forwarded(pkt):
    """The same IP packet one hop later: TTL/hop limit - 1, IPv4 checksum recomputed."""
    p = pkt.__class__(raw(pkt))
    if IP in p and p.__class__ is IP:
        p.ttl -= 1
        del p.chksum
    else:
        p.hlim -= 1
    return raw(p)


def to_core(pkt):
    """What the core router receives for a subscriber packet."""
    et = 0x0800 if pkt.__class__ is IP else 0x86DD
    return raw(Ether(dst=NB["dst_mac"], src=NB["src_mac"], type=et)) + forwarded(pkt)


def from_core(pkt, vlan=None):
    et = 0x0800 if pkt.__class__ is IP else 0x86DD
    if vlan is not None:
        return raw(Ether(dst=NB["src_mac"], src=NB["dst_mac"]) / Dot1Q(vlan=vlan, type=et) / pkt)
    return raw(Ether(dst=NB["src_mac"], src=NB["dst_mac"], type=et) / pkt)


def ppp(proto, payload, ac=True, pfc=False):
    hdr = b"\xff\x03" if ac else b""
    hdr += bytes([proto]) if pfc else struct.pack(">H", proto)
    return hdr + bytes(payload)


def v2(tid, sid, payload, L=False, S=None, O=None, P=False, T=False):
    """L2TPv2 header + payload. S = (Ns, Nr), O = offset pad bytes."""
    flags = 0x0002 | (0x8000 if T else 0) | (0x4000 if L else 0) | (0x0800 if S is not None else 0)
    flags |= (0x0200 if O is not None else 0) | (0x0100 if P else 0)
    body = struct.pack(">HH", tid, sid)
    if S is not None:
        body += struct.pack(">HH", *S)
    if O is not None:
        body += struct.pack(">H", len(O)) + O
    body += bytes(payload)
    if L:
        return struct.pack(">HH", flags, 4 + len(body)) + body
    return struct.pack(">H", flags) + body


def v3_udp(sid, payload, cookie=b"", l2ss=None):
    return struct.pack(">HHI", 0x0003, 0, sid) + cookie + (l2ss or b"") + bytes(payload)


def v3_ip(sid, payload, cookie=b"", l2ss=None):
    return struct.pack(">I", sid) + cookie + (l2ss or b"") + bytes(payload)


def l2ss(seq=None):
    return struct.pack(">I", 0x40000000 | seq) if seq is not None else b"\x00\x00\x00\x00"


def from_lac(l2tp, src=None, dst=None, proto="udp", v6=False, vlan=None, sport=1701, dport=1701,
             ip_kw=None, chksum=None):
    """chksum None: scapy computes the UDP checksum; 0: none sent."""
    eth = Ether(dst=PEER["local_mac"], src=PEER["peer_mac"])
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan)
    kw = ip_kw or {}
    if v6:
        ip = IPv6(src=src or PEER["peer_v6"], dst=dst or PEER["local_v6"], **kw)
    else:
        ip = IP(src=src or PEER["peer_v4"], dst=dst or PEER["local_v4"], id=7, **kw)
    if proto == "udp":
        return raw(eth / ip / UDP(sport=sport, dport=dport, chksum=chksum) / Raw(bytes(l2tp)))
    if v6:
        ip.nh = 115
    else:
        ip.proto = 115
    return raw(eth / ip / Raw(bytes(l2tp)))


def cookie(s, key):
    return bytes.fromhex(s.get(key, ""))


def to_lac(s, payload, proto=None, ns=None):
    """The frame the dataplane sends to the LAC for session s (template + payload)."""
    v6 = s["encap"].endswith("6")
    eth = Ether(dst=PEER["peer_mac"], src=PEER["local_mac"])
    if PORT_VLAN.get(s.get("egress_port", ACCESS)):  # the access port's 802.1Q tag
        eth = eth / Dot1Q(vlan=PORT_VLAN[s["egress_port"]])
    if v6:
        ip = IPv6(src=PEER["local_v6"], dst=PEER["peer_v6"], hlim=64)
    else:
        ip = IP(src=PEER["local_v4"], dst=PEER["peer_v4"], id=0, flags="DF", ttl=64)
    flags = s.get("flags", [])
    if s.get("pw", "ppp") == "ppp":
        body = ppp(proto, payload, ac=s.get("ppp_address_control", True))
    else:
        body = bytes(payload)
    if s["encap"].startswith("v2"):
        l2 = v2(s["peer_tunnel"], s["peer_session"], body, L=s.get("v2_length", False),
                S=(ns, 0) if "send_seq" in flags else None)
    else:
        seqw = (l2ss(ns) if "send_seq" in flags else l2ss()) if "l2ss" in flags else None
        if "udp" in s["encap"]:
            l2 = v3_udp(s["peer_session"], body, cookie(s, "tx_cookie"), seqw)
        else:
            l2 = v3_ip(s["peer_session"], body, cookie(s, "tx_cookie"), seqw)
    if "udp" in s["encap"]:
        udp = UDP(sport=1701, dport=1701) if v6 else UDP(sport=1701, dport=1701, chksum=0)
        return raw(eth / ip / udp / Raw(l2))
    if v6:
        ip.nh = 115
    else:
        ip.proto = 115
    return raw(eth / ip / Raw(l2))


def sub(s):
    return s["subscriber"]


# ---- cases --------------------------------------------------------------------------

CASES = []


def case(name, port, desc, send, expect=(), punt=(), counters=None, oracle="any", prefs=(), tx_port=None):
    """oracle: "l2tp" (expect.pcap must decode as L2TP), "any" (no protocol required),
    "none" (tshark not run: nothing transmitted)."""
    c = {k: v for k, v in (counters or {}).items() if v}
    if port in ROLE_EVENT:
        c[ROLE_EVENT[port]] = c.get(ROLE_EVENT[port], 0) + len(send)
    if expect:
        c["tx"] = len(expect)
    if tx_port is None:
        tx_port = CORE if port == ACCESS else ACCESS
    CASES.append(dict(name=name, port=port, desc=desc, send=list(send), expect=list(expect), punt=list(punt),
                      counters=c, oracle=oracle if expect else "none", prefs=list(prefs), tx_port=tx_port))


def gen_v2():
    s = S["v2"]
    up = inner4(sub(s), SERVER)
    out = to_core(up)
    tid, sid = s["local_tunnel"], s["local_session"]
    variants = {
        "plain": v2(tid, sid, ppp(PROTO_IPV4, up)),
        "L": v2(tid, sid, ppp(PROTO_IPV4, up), L=True),
        "S": v2(tid, sid, ppp(PROTO_IPV4, up), S=(0, 0)),
        "O0": v2(tid, sid, ppp(PROTO_IPV4, up), O=b""),
        "O4": v2(tid, sid, ppp(PROTO_IPV4, up), O=b"\xaa\xbb\xcc\xdd"),
        "P": v2(tid, sid, ppp(PROTO_IPV4, up), P=True),
        "no_ff03": v2(tid, sid, ppp(PROTO_IPV4, up, ac=False)),
        "pfc": v2(tid, sid, ppp(PROTO_IPV4, up, pfc=True)),
        "pfc_no_ff03": v2(tid, sid, ppp(PROTO_IPV4, up, ac=False, pfc=True)),
        "L_S_O_P_pfc": v2(tid, sid, ppp(PROTO_IPV4, up, pfc=True), L=True, S=(9, 3), O=b"\x00\x00", P=True),
    }
    for k, l2 in variants.items():
        case("v2_decap_" + k, ACCESS, "L2TPv2 data, header variant %s, to the core" % k,
             [from_lac(l2)], [out], counters={"decap_v2": 1})
    case("v2_decap_no_udp_csum", ACCESS, "L2TPv2 data with UDP checksum 0 (none sent)",
         [from_lac(variants["plain"], chksum=0)], [out], counters={"decap_v2": 1})
    case("v2_decap_vlan", ACCESS, "L2TPv2 data on an 802.1Q-tagged access frame",
         [from_lac(variants["plain"], vlan=10)], [out], counters={"decap_v2": 1})
    case("v2_decap_padded", ACCESS, "Ethernet padding and L2TP Length padding are trimmed",
         [from_lac(v2(tid, sid, ppp(PROTO_IPV4, inner4(sub(s), SERVER, size=0)))) + b"\x00" * 8,
          from_lac(v2(tid, sid, ppp(PROTO_IPV4, up), L=True) + b"\xee" * 6)],
         [to_core(inner4(sub(s), SERVER, size=0)), out], counters={"decap_v2": 2})
    up6 = inner6("2001:db8:100::10", SERVER6)
    case("v2_decap_ipv6", ACCESS, "IPv6 over PPP (0x0057) to the core",
         [from_lac(v2(tid, sid, ppp(PROTO_IPV6, up6)))], [to_core(up6)], counters={"decap_v2": 1})
    down = inner4(SERVER, sub(s))
    case("v2_encap", CORE, "core IPv4 -> L2TPv2/UDP/IPv4 template",
         [from_core(down), from_core(inner4(SERVER, sub(s), size=900))],
         [to_lac(s, forwarded(down), PROTO_IPV4), to_lac(s, forwarded(inner4(SERVER, sub(s), size=900)), PROTO_IPV4)],
         counters={"encap_v2": 2}, oracle="l2tp")
    down6 = inner6(SERVER6, "2001:db8:100::10")
    case("v2_encap_ipv6", CORE, "core IPv6 -> PPP 0x0057 in L2TPv2",
         [from_core(down6)], [to_lac(s, forwarded(down6), PROTO_IPV6)], counters={"encap_v2": 1}, oracle="l2tp")
    sn = S["v2_noac"]
    d = inner4(SERVER, sub(sn))
    case("v2_encap_no_ff03", CORE, "session configured without PPP address/control",
         [from_core(d)], [to_lac(sn, forwarded(d), PROTO_IPV4)], counters={"encap_v2": 1}, oracle="l2tp")
    s6 = S["v2_udp6"]
    d = inner4(SERVER, sub(s6))
    u = inner4(sub(s6), SERVER)
    case("v2_encap_udp6", CORE, "L2TPv2 over UDP over IPv6 (UDP checksum computed)",
         [from_core(d)], [to_lac(s6, forwarded(d), PROTO_IPV4)], counters={"encap_v2": 1}, oracle="l2tp")
    case("v2_decap_udp6", ACCESS, "L2TPv2 over UDP over IPv6 to the core",
         [from_lac(v2(s6["local_tunnel"], s6["local_session"], ppp(PROTO_IPV4, u)), v6=True)], [to_core(u)],
         counters={"decap_v2": 1})


def gen_seq():
    s = S["v2_seq"]
    tid, sid = s["local_tunnel"], s["local_session"]
    d = [inner4(SERVER, sub(s), size=10 + i) for i in range(3)]
    case("v2_seq_send", CORE, "Length and Ns on sent packets, Ns counting from 0",
         [from_core(p) for p in d], [to_lac(s, forwarded(p), PROTO_IPV4, ns=i) for i, p in enumerate(d)],
         counters={"encap_v2": 3}, oracle="l2tp")
    u = [inner4(sub(s), SERVER, size=10 + i) for i in range(8)]
    ns_list = [0, 1, 1, 0, 5, 0x8005 + 1, 0x7000, None]
    send = [from_lac(v2(tid, sid, ppp(PROTO_IPV4, u[i]), S=(ns, 0) if ns is not None else None))
            for i, ns in enumerate(ns_list)]
    # 0, 1 accepted; 1 (dup) and 0 (old) dropped; 5 accepted with a gap; 0x8006 is 0x8000
    # ahead of 6, i.e. half the space behind: out of order; 0x7000 accepted (gap); no Ns:
    # seq_missing.
    case("v2_seq_receive", ACCESS, "require Ns; drop duplicates and old Ns; count gaps",
         send, [to_core(u[0]), to_core(u[1]), to_core(u[4]), to_core(u[6])],
         counters={"decap_v2": 4, "seq_out_of_order": 3, "seq_missing": 1, "seq_gap": 2})


def tcp_syn(src, dst, mss, ack=False):
    opts = [("MSS", mss), ("NOP", None), ("WScale", 7)]
    return inner4(src, dst, tcp=TCP(sport=40000, dport=80, flags="SA" if ack else "S", seq=1, ack=5 if ack else 0,
                                    options=opts))


def gen_mss():
    s = S["v2_mss"]
    tid, sid = s["local_tunnel"], s["local_session"]
    syn = tcp_syn(sub(s), SERVER, 1460)
    small = tcp_syn(sub(s), SERVER, 1300)
    clamped = tcp_syn(sub(s), SERVER, 1400)
    case("mss_clamp_up", ACCESS, "subscriber SYN MSS 1460 -> 1400; 1300 unchanged",
         [from_lac(v2(tid, sid, ppp(PROTO_IPV4, syn))), from_lac(v2(tid, sid, ppp(PROTO_IPV4, small)))],
         [to_core(clamped), to_core(small)], counters={"decap_v2": 2, "mss_clamped": 1})
    sa = tcp_syn(SERVER, sub(s), 8960, ack=True)
    sa_c = tcp_syn(SERVER, sub(s), 1400, ack=True)
    case("mss_clamp_down", CORE, "server SYN-ACK MSS 8960 -> 1400 towards the subscriber",
         [from_core(sa)], [to_lac(s, forwarded(sa_c), PROTO_IPV4)], counters={"encap_v2": 1, "mss_clamped": 1},
         oracle="l2tp")
    syn6 = IPv6(src="2001:db8:112::1", dst=SERVER6, hlim=64) / TCP(sport=40000, dport=80, flags="S",
                                                                     options=[("MSS", 1440)])
    syn6c = IPv6(src="2001:db8:112::1", dst=SERVER6, hlim=64) / TCP(sport=40000, dport=80, flags="S",
                                                                      options=[("MSS", 1380)])
    case("mss_clamp_up_ipv6", ACCESS, "IPv6 SYN MSS 1440 -> 1380 (clamp - 20)",
         [from_lac(v2(tid, sid, ppp(PROTO_IPV6, syn6)))], [to_core(syn6c)], counters={"decap_v2": 1, "mss_clamped": 1})


def gen_punt():
    s = S["v2"]
    tid, sid = s["local_tunnel"], s["local_session"]
    sccrq = v2(0, 0, bytes.fromhex("8008000000000001"), L=True, S=(0, 0), T=True)
    hello = v2(tid, 0, bytes.fromhex("8008000000000006"), L=True, S=(3, 4), T=True)
    zlb = v2(tid, 0, b"", L=True, S=(4, 4), T=True)
    frames = [from_lac(sccrq), from_lac(hello), from_lac(zlb)]
    case("punt_l2tp_control", ACCESS, "L2TPv2 control messages (SCCRQ, HELLO, ZLB) are punted",
         frames, punt=frames, counters={"punt_l2tp_control": 3})
    # L2TPv3 control header (T, L, S, Ver 3; Length 20; CCID 0; Ns 0; Nr 0) + Message Type SCCRQ.
    sccrq3 = bytes.fromhex("c8030014" "00000000" "0000" "0000" "8008000000000001")
    v3ctl = from_lac(struct.pack(">I", 0) + sccrq3, proto="ip")
    v3udpctl = from_lac(sccrq3)
    case("punt_l2tp_control_v3", ACCESS, "L2TPv3 control over IP (session 0) and over UDP (T=1)",
         [v3ctl, v3udpctl], punt=[v3ctl, v3udpctl], counters={"punt_l2tp_control": 2})
    lcp = bytes.fromhex("01010008 01040578".replace(" ", ""))
    frames = [from_lac(v2(tid, sid, ppp(0xC021, lcp))),
              from_lac(v2(tid, sid, ppp(0x8021, bytes.fromhex("0101000a0306640000 0a".replace(" ", ""))))),
              from_lac(v2(tid, sid, ppp(0xC023, bytes.fromhex("0101000c" "04" "75736572" "02" "7077")))),
              from_lac(v2(tid, sid, ppp(0xC223, bytes.fromhex("0201000600aa")))),
              from_lac(v2(tid, sid, ppp(0x8057, bytes.fromhex("01010004")))),
              from_lac(v2(tid, sid, ppp(0x0281, b"\x00\x01\x01\x40" + raw(inner4(sub(s), SERVER))))),
              from_lac(v2(tid, sid, ppp(0xC021, lcp, ac=False)))]
    case("punt_ppp_control", ACCESS, "LCP, IPCP, PAP, CHAP, IPv6CP, MPLS, LCP without FF03 are punted",
         frames, punt=frames, counters={"punt_ppp_control": len(frames)})
    from scapy.layers.inet6 import ICMPv6ND_RS
    rs = IPv6(src="fe80::1", dst="ff02::2", hlim=255) / ICMPv6ND_RS()
    ns = IPv6(src="fe80::1", dst="fe80::2", hlim=255) / ICMPv6ND_NS(tgt="fe80::2")
    dhcp = IPv6(src="fe80::1", dst="ff02::1:2", hlim=1) / UDP(sport=546, dport=547) / Raw(b"\x01\x00\x00\x01")
    frames = [from_lac(v2(tid, sid, ppp(PROTO_IPV6, p))) for p in (rs, ns, dhcp)]
    case("punt_subscriber_ipv6_local", ACCESS, "subscriber RS, NS and DHCPv6 (link scope) go to the control plane",
         frames, punt=frames, counters={"punt_subscriber_local": 3})
    local = [raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER["peer_mac"]) / ARP(psrc=PEER["peer_v4"], pdst=PEER["local_v4"])),
             raw(Ether(dst=PEER["local_mac"], src=PEER["peer_mac"]) / IP(src=PEER["peer_v4"], dst=PEER["local_v4"]) / ICMP()),
             raw(Ether(dst=PEER["local_mac"], src=PEER["peer_mac"]) / IPv6(src=PEER["peer_v6"], dst="ff02::1:ff00:1")
                 / ICMPv6ND_NS(tgt=PEER["local_v6"]))]
    case("local_access", ACCESS, "ARP, ping to the LNS address and ND go to the local output",
         local, counters={"local": 3})
    local_core = [raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=NB["dst_mac"]) / ARP(psrc="203.0.113.1", pdst=PEER["local_v4"]))]
    case("local_core", CORE, "ARP on the core port goes to the local output", local_core, counters={"local": 1})


def gen_v3():
    for name in ("v3udp_c0", "v3udp_c4", "v3udp_c8", "v3ip_c0", "v3ip_c4", "v3ip_c8"):
        s = S[name]
        enc = v3_udp if "udp" in s["encap"] else v3_ip
        proto = "udp" if "udp" in s["encap"] else "ip"
        u = inner4(sub(s), SERVER)
        d = inner4(SERVER, sub(s))
        rxc = cookie(s, "rx_cookie")
        good = from_lac(enc(s["local_session"], ppp(PROTO_IPV4, u), rxc), proto=proto)
        send = [good]
        counters = {"decap_v3": 1}
        if rxc:
            bad = bytearray(rxc)
            bad[-1] ^= 0xFF
            send.append(from_lac(enc(s["local_session"], ppp(PROTO_IPV4, u), bytes(bad)), proto=proto))
            counters["bad_cookie"] = 1
        case(name + "_decap", ACCESS, "L2TPv3 %s PPP, %d-byte cookie checked" % (proto, len(rxc)),
             send, [to_core(u)], counters=counters)
        prefs = ["l2tp.cookie_size:" + {0: "None", 4: "4 Byte Cookie", 8: "8 Byte Cookie"}[len(cookie(s, "tx_cookie"))],
                 "l2tp.l2_specific:None"]
        case(name + "_encap", CORE, "core IPv4 -> L2TPv3 %s PPP with %d-byte cookie" % (proto, len(cookie(s, "tx_cookie"))),
             [from_core(d)], [to_lac(s, forwarded(d), PROTO_IPV4)], counters={"encap_v3": 1}, oracle="l2tp",
             prefs=prefs)

    s = S["v3ip6"]
    u = inner4(sub(s), SERVER)
    rxc = cookie(s, "rx_cookie")
    d = [inner4(SERVER, sub(s), size=20 + i) for i in range(2)]
    case("v3ip6_decap", ACCESS, "L2TPv3 over IPv6 (proto 115), 8-byte cookie, L2SS with and without S",
         [from_lac(v3_ip(s["local_session"], ppp(PROTO_IPV4, u), rxc, l2ss(5)), proto="ip", v6=True),
          from_lac(v3_ip(s["local_session"], ppp(PROTO_IPV4, u), rxc, l2ss()), proto="ip", v6=True),
          from_lac(v3_ip(s["local_session"], ppp(PROTO_IPV4, u), rxc, l2ss(5)), proto="ip", v6=True)],
         [to_core(u), to_core(u)], counters={"decap_v3": 2, "seq_out_of_order": 1})
    case("v3ip6_encap", CORE, "core IPv4 -> L2TPv3 over IPv6 with cookie and L2SS Ns 0, 1",
         [from_core(p) for p in d], [to_lac(s, forwarded(p), PROTO_IPV4, ns=i) for i, p in enumerate(d)],
         counters={"encap_v3": 2}, oracle="l2tp", prefs=["l2tp.cookie_size:8 Byte Cookie",
                                                          "l2tp.l2_specific:Default L2-Specific"])

    s = S["v3eth"]
    frame = raw(Ether(dst="02:aa:00:00:00:01", src="02:bb:00:00:00:01") / inner4("10.0.0.1", "10.0.0.2"))
    frame2 = raw(Ether(dst="02:aa:00:00:00:01", src="02:bb:00:00:00:01") / Dot1Q(vlan=7) / inner4("10.0.0.1", "10.0.0.2"))
    rxc = cookie(s, "rx_cookie")
    sid = s["local_session"]
    send = [from_lac(v3_ip(sid, frame, rxc, l2ss(10)), proto="ip"),
            from_lac(v3_ip(sid, frame2, rxc, l2ss(11)), proto="ip"),
            from_lac(v3_ip(sid, frame, rxc, l2ss(11)), proto="ip"),
            from_lac(v3_ip(sid, frame, rxc, l2ss(None)), proto="ip"),
            from_lac(v3_ip(sid, frame, rxc, l2ss(100)), proto="ip")]
    case("v3eth_decap", ACCESS, "Ethernet PW over L2TPv3/IP: cookie, L2SS sequence required",
         send, [frame, frame2, frame], counters={"decap_v3": 3, "seq_out_of_order": 1, "seq_missing": 1,
                                                "seq_gap": 1}, tx_port=ATTACH)
    case("v3eth_encap", ATTACH, "attachment port frames (untagged and tagged) -> Ethernet PW with L2SS Ns",
         [frame, frame2], [to_lac(s, frame, ns=0), to_lac(s, frame2, ns=1)], counters={"encap_v3": 2},
         oracle="l2tp", prefs=["l2tp.cookie_size:4 Byte Cookie", "l2tp.l2_specific:Default L2-Specific"])
    s = S["v3vlan"]
    tagged = raw(Ether(dst="02:aa:00:00:00:02", src="02:bb:00:00:00:02") / Dot1Q(vlan=42) / inner4("10.0.1.1", "10.0.1.2"))
    other = raw(Ether(dst="02:aa:00:00:00:02", src="02:bb:00:00:00:02") / Dot1Q(vlan=43) / inner4("10.0.1.1", "10.0.1.2"))
    untagged = raw(Ether(dst="02:aa:00:00:00:02", src="02:bb:00:00:00:02") / inner4("10.0.1.1", "10.0.1.2"))
    case("v3vlan_encap", ATTACH_VLAN, "VLAN 42 of port 3 -> Ethernet VLAN PW over L2TPv3/UDP; others dropped",
         [tagged, other, untagged], [to_lac(s, tagged)], counters={"encap_v3": 1, "no_attachment": 2},
         oracle="l2tp", prefs=["l2tp.cookie_size:None", "l2tp.l2_specific:Default L2-Specific"])
    case("v3vlan_decap", ACCESS, "Ethernet VLAN PW over L2TPv3/UDP to port 3",
         [from_lac(v3_udp(s["local_session"], tagged, b"", l2ss()))], [tagged], counters={"decap_v3": 1},
         tx_port=ATTACH_VLAN)


def gen_drops():
    s = S["v2"]
    tid, sid = s["local_tunnel"], s["local_session"]
    good_l2 = v2(tid, sid, ppp(PROTO_IPV4, inner4(sub(s), SERVER)))
    good = from_lac(good_l2)

    def d(name, frames, port=ACCESS, desc=None, case_name=None):
        case("drop_" + (case_name or name), port, desc or ("dropped: " + name), frames, counters={name: len(frames)})

    d("truncated_eth", [bytes(13)])
    d("too_many_vlans", [raw(Ether(dst=PEER["local_mac"], src=PEER["peer_mac"]) / Dot1Q(vlan=1) / Dot1Q(vlan=2)
                             / Dot1Q(vlan=3) / IP(src=PEER["peer_v4"], dst=PEER["local_v4"]))])
    d("not_ip", [raw(Ether(dst=PEER["local_mac"], src=PEER["peer_mac"], type=0x88CC) / Raw(bytes(46)))])
    d("truncated_ip", [good[:30], good[:-3]])
    bad_hdr = bytearray(good)
    bad_hdr[14] = 0x46 ^ 0x20  # version 6 in an IPv4 ethertype
    d("bad_ip_header", [bytes(bad_hdr)])
    bad_ck = bytearray(good)
    bad_ck[24] ^= 0x01
    d("bad_ip_csum", [bytes(bad_ck)])
    bad_udp = bytearray(good)
    bad_udp[41] ^= 0x01
    s6 = S["v2_udp6"]
    bad_udp6 = bytearray(from_lac(v2(s6["local_tunnel"], s6["local_session"], ppp(PROTO_IPV4, inner4(sub(s6), SERVER))),
                                  v6=True))
    bad_udp6[14 + 40 + 7] ^= 0x01
    d("bad_udp_csum", [bytes(bad_udp), bytes(bad_udp6)], desc="dropped: UDP checksum wrong (IPv4, IPv6)")
    d("ip_fragment", [from_lac(good_l2, ip_kw={"flags": "MF"}), from_lac(good_l2, ip_kw={"frag": 100})])
    d("ttl_exceeded", [from_lac(v2(tid, sid, ppp(PROTO_IPV4, inner4(sub(s), SERVER, ttl=1)))),
                       from_lac(v2(tid, sid, ppp(PROTO_IPV6, inner6("2001:db8:100::10", SERVER6, hlim=1))))])
    case("drop_ttl_exceeded_core", CORE, "dropped: ttl_exceeded downstream",
         [from_core(inner4(SERVER, sub(s), ttl=1))], counters={"ttl_exceeded": 1})
    d("not_l2tp", [from_lac(good_l2, dst="192.0.2.200", dport=1702), raw(Ether(dst=PEER["local_mac"], src=PEER["peer_mac"])
                                                        / IP(src=PEER["peer_v4"], dst="198.51.100.200") / ICMP())])
    d("not_local_address", [from_lac(good_l2, dst="192.0.2.99")])
    d("truncated_l2tp", [from_lac(b"\x00"), from_lac(struct.pack(">HH", 0x0002, tid)),
                         from_lac(v2(tid, sid, b"", O=b"")[:-2] + b"\x00\x40"),
                         from_lac(struct.pack(">HHI", 0x0003, 0, 0x00010101)[:6]),
                         from_lac(v3_ip(S["v3ip_c8"]["local_session"], b"", b"\xc1\xc2"), proto="ip")])
    d("bad_version", [from_lac(struct.pack(">HHH", 0x0001, tid, sid) + ppp(PROTO_IPV4, b"")),
                      from_lac(struct.pack(">HHH", 0x0004, tid, sid) + ppp(PROTO_IPV4, b""))])
    d("bad_length", [from_lac(struct.pack(">HHHH", 0x4002, 3, tid, sid) + ppp(PROTO_IPV4, inner4(sub(s), SERVER))),
                     from_lac(struct.pack(">HHHH", 0x4002, 200, tid, sid) + ppp(PROTO_IPV4, inner4(sub(s), SERVER)))])
    d("unknown_session", [from_lac(v2(tid, 77, ppp(PROTO_IPV4, inner4(sub(s), SERVER)))),
                          from_lac(v2(tid + 1, sid, ppp(PROTO_IPV4, inner4(sub(s), SERVER)))),
                          from_lac(v3_udp(0x00070707, ppp(PROTO_IPV4, inner4(sub(s), SERVER)))),
                          from_lac(v3_ip(S["v3udp_c0"]["local_session"], ppp(PROTO_IPV4, inner4(sub(s), SERVER))),
                                   proto="ip")])
    d("wrong_peer", [from_lac(good_l2, src="198.51.100.99"), from_lac(good_l2, v6=True)])
    d("bad_cookie", [from_lac(v3_ip(S["v3ip_c4"]["local_session"], ppp(PROTO_IPV4, inner4(sub(S["v3ip_c4"]), SERVER)),
                                    b"\x00\x00\x00\x00"), proto="ip")])
    s3 = S["v2_seq"]
    d("seq_missing", [from_lac(v2(s3["local_tunnel"], s3["local_session"], ppp(PROTO_IPV4, inner4(sub(s3), SERVER))))])
    d("truncated_ppp", [from_lac(v2(tid, sid, b"")), from_lac(v2(tid, sid, b"\xff\x03")),
                        from_lac(v2(tid, sid, b"\xff\x03\x00"))])
    d("spoofed_source", [from_lac(v2(tid, sid, ppp(PROTO_IPV4, inner4("100.64.0.99", SERVER))))])
    su = S["v2_setup"]
    d("session_not_open", [from_lac(v2(su["local_tunnel"], su["local_session"], ppp(PROTO_IPV4, inner4(sub(s), SERVER)))),
                           from_lac(v2(su["local_tunnel"], su["local_session"],
                                       ppp(PROTO_IPV6, inner6("2001:db8:100::10", SERVER6))))],
      desc="data for a call whose NCP is not up (control_only): IPv4 and global IPv6 dropped")
    d("bad_inner_ip", [from_lac(v2(tid, sid, ppp(PROTO_IPV4, b"\x45\x00\x00"))),
                       from_lac(v2(tid, sid, ppp(PROTO_IPV4, raw(inner4(sub(s), SERVER))[:-4]))),
                       from_lac(v2(tid, sid, ppp(PROTO_IPV6, raw(inner4(sub(s), SERVER)) + bytes(20))))])
    d("not_routable", [from_lac(v2(tid, sid, ppp(PROTO_IPV4, inner4(sub(s), "224.0.0.251")))),
                       from_lac(v2(tid, sid, ppp(PROTO_IPV4, inner4(sub(s), "255.255.255.255"))))])
    d("no_route", [from_core(inner4(SERVER, "100.64.1.1")), from_core(inner6(SERVER6, "2001:db8:999::1"))], port=CORE)
    d("session_mismatch", [from_core(inner4(SERVER, "100.64.9.9"))], port=CORE,
      desc="route to an empty session slot")
    d("too_big", [from_core(inner4(SERVER, sub(s), size=1500 - 20 - 8 - 28 - 4 + 1))], port=CORE,
      desc="encapsulated packet over the access port MTU (1500)")
    d("no_attachment", [raw(Ether(dst="02:aa:00:00:00:02", src="02:bb:00:00:00:02") / Dot1Q(vlan=99)
                            / inner4("10.0.1.1", "10.0.1.2"))], port=ATTACH_VLAN)
    case("drop_port_unused", UNUSED, "dropped: packet on a port without a role", [good],
         counters={"port_unused": 1})
    d("not_ip", [raw(Ether(dst=NB["src_mac"], src=NB["dst_mac"], type=0x88CC) / Raw(bytes(46)))], port=CORE,
      case_name="not_ip_core")


# ---- dpconf: ports on a VLAN, subscriber source check ------------------------------------

def gen_port_vlan():
    """Port 4 (access) lives on VLAN 100, port 5 (core) on VLAN 200: frames with the port's
    tag are handled, untagged or other-VLAN frames are dropped (wrong_vlan), and what the
    dataplane sends through port 4 carries tag 100."""
    s = S["v2_vlan"]
    tid, sid = s["local_tunnel"], s["local_session"]
    vid = PORT_VLAN[ACCESS_ON_VLAN]
    up = inner4(sub(s), SERVER)
    data = v2(tid, sid, ppp(PROTO_IPV4, up))
    sccrq = from_lac(v2(0, 0, bytes.fromhex("8008000000000001"), L=True, S=(0, 0), T=True), vlan=vid)
    arp = raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER["peer_mac"]) / Dot1Q(vlan=vid)
              / ARP(psrc=PEER["peer_v4"], pdst=PEER["local_v4"]))
    case("vlan_port_decap", ACCESS_ON_VLAN,
         "access port on VLAN 100: tagged L2TPv2 data to the (untagged) core, control punted, ARP local",
         [from_lac(data, vlan=vid), sccrq, arp], [to_core(up)], punt=[sccrq],
         counters={"decap_v2": 1, "punt_l2tp_control": 1, "local": 1}, tx_port=CORE)
    down = inner4(SERVER, sub(s))
    case("vlan_port_encap", CORE, "core IPv4 -> L2TPv2 template of a session on VLAN 100 (tag in the template)",
         [from_core(down)], [to_lac(s, forwarded(down), PROTO_IPV4)], counters={"encap_v2": 1}, oracle="l2tp",
         tx_port=ACCESS_ON_VLAN)
    cvid = PORT_VLAN[CORE_ON_VLAN]
    case("vlan_core_port_encap", CORE_ON_VLAN, "core port on VLAN 200: tagged IPv4 -> session on VLAN 100",
         [from_core(down, vlan=cvid)], [to_lac(s, forwarded(down), PROTO_IPV4)], counters={"encap_v2": 1},
         oracle="l2tp", tx_port=ACCESS_ON_VLAN)
    untagged_arp = raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER["peer_mac"])
                       / ARP(psrc=PEER["peer_v4"], pdst=PEER["local_v4"]))
    frames = [from_lac(data), from_lac(data, vlan=vid + 1), untagged_arp, sccrq[:14]]
    case("drop_wrong_vlan", ACCESS_ON_VLAN, "access port on VLAN 100: untagged, VLAN 101, untagged ARP, runt dropped",
         frames, counters={"wrong_vlan": len(frames)})
    frames = [from_core(down), from_core(down, vlan=cvid + 1)]
    case("drop_wrong_vlan_core", CORE_ON_VLAN, "core port on VLAN 200: untagged and VLAN 201 dropped",
         frames, counters={"wrong_vlan": len(frames)})


def gen_source_check():
    """Session "v2" has check_source: upstream sources must route back to it (subscriber
    /32, framed route 100.64.5.0/24, IPv6 prefix 2001:db8:100::/64)."""
    s = S["v2"]
    tid, sid = s["local_tunnel"], s["local_session"]
    ok = [inner4("100.64.5.7", SERVER), inner6("2001:db8:100::99", SERVER6)]
    case("source_check_accept", ACCESS, "check_source: sources in a framed route and in the IPv6 prefix pass",
         [from_lac(v2(tid, sid, ppp(PROTO_IPV6 if IPv6 in p else PROTO_IPV4, p))) for p in ok],
         [to_core(p) for p in ok], counters={"decap_v2": len(ok)})
    bad = [inner4("100.64.6.1", SERVER),    # no route
           inner4("100.64.0.12", SERVER),   # another session's /32
           inner4("100.64.9.9", SERVER),    # a route to another (empty) slot
           inner4("0.0.0.0", SERVER),       # unspecified
           inner6("2001:db8:112::1", SERVER6),  # another session's prefix
           inner6("2001:db8:999::1", SERVER6)]  # no route
    case("drop_spoofed_source_routes", ACCESS,
         "check_source: IPv4 and IPv6 sources that do not route back to the session are dropped",
         [from_lac(v2(tid, sid, ppp(PROTO_IPV6 if IPv6 in p else PROTO_IPV4, p))) for p in bad],
         counters={"spoofed_source": len(bad)})


def generate(out):
    gen_v2()
    gen_seq()
    gen_mss()
    gen_punt()
    gen_v3()
    gen_drops()
    gen_port_vlan()
    gen_source_check()
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    names = set()
    for c in CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        d = os.path.join(out, c["name"])
        os.makedirs(d)
        write_pcap(os.path.join(d, "send.pcap"), c["send"])
        write_pcap(os.path.join(d, "expect.pcap"), c["expect"])
        write_pcap(os.path.join(d, "punt.pcap"), c["punt"])
        with open(os.path.join(d, "counters.json"), "w") as f:
            json.dump(dict(sorted(c["counters"].items())), f, indent=1)
            f.write("\n")
        with open(os.path.join(d, "case.toml"), "w") as f:
            f.write("description = %s\n" % json.dumps(c["desc"]))
            f.write("port = %d\n" % c["port"])
            f.write("tx_port = %d\n" % c["tx_port"])
            f.write("oracle = %s\n" % json.dumps(c["oracle"]))
            # Inputs of drop cases are broken on purpose; all others must decode cleanly.
            f.write("send_oracle = %s\n" % json.dumps("none" if c["name"].startswith("drop_") else "any"))
            f.write("tshark_prefs = [%s]\n" % ", ".join(json.dumps(p) for p in c["prefs"]))


def check(committed):
    import filecmp
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "cases")
        generate(fresh)
        bad = []

        def walk(cmp, rel=""):
            bad.extend(os.path.join(rel, n) for n in cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files)
            for name, sub in cmp.subdirs.items():
                walk(sub, os.path.join(rel, name))

        walk(filecmp.dircmp(fresh, committed))
        # dircmp compares by stat signature first; compare contents to be sure.
        for root, _, files in os.walk(fresh):
            for n in files:
                a = os.path.join(root, n)
                b = os.path.join(committed, os.path.relpath(a, fresh))
                if os.path.exists(b) and not filecmp.cmp(a, b, shallow=False):
                    bad.append(os.path.relpath(a, fresh))
    if bad:
        print("cases out of date (run /usr/bin/python3 tests/pcap/gen.py): " + ", ".join(sorted(set(bad))))
        return 1
    print("%d cases up to date" % len(CASES))
    return 0


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "cases")
    generate(out)
    print("%d cases in %s" % (len(CASES), out))


if __name__ == "__main__":
    main()
