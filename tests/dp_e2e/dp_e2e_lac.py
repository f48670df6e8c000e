#!/usr/bin/python3
"""A kernel-free L2TPv2 LAC data plane for tests/dp_e2e: one session, no control channel
(the session is installed in l2tpx-dataplane through its command ring, not by L2TP
control messages).

It owns UDP port 1701 on its address (so the kernel sends no port-unreachable), and
 - sends ICMP echo requests from the subscriber address inside L2TPv2 + PPP to the LNS
   and expects each reply back through the tunnel (upstream decap, downstream encap);
 - answers ICMP echo requests that the LNS encapsulates towards any address in --answer
   (downstream encap through subscriber routes), like a subscriber's host would;
 - optionally sends one echo with a spoofed source (--spoof) that must not come back;
 - with --expect-icmp N, waits for N ICMP Time Exceeded / Destination Unreachable errors
   addressed to the subscriber through the tunnel (the dataplane's ICMP errors).

Every received data packet's L2TP header is checked: version 2, no T bit, our tunnel and
session IDs, Length (when present) equal to the datagram length, PPP protocol 0x0021.
Exits 0 when every ping was answered and --answer-count requests were answered within
--timeout seconds; 1 otherwise (with the reason).
"""
import argparse
import ipaddress
import socket
import struct
import sys
import threading
import time

from scapy.layers.inet import ICMP, IP  # noqa: E402  (scapy only builds/parses here)


def l2tp_data(tunnel, session, payload, length_bit, seq_bit, ns):
    flags = 0x0002  # version 2, data
    hdr = b""
    if length_bit:
        flags |= 0x4000
    if seq_bit:
        flags |= 0x0800
    fields = struct.pack("!HH", tunnel, session)
    if seq_bit:
        fields += struct.pack("!HH", ns & 0xFFFF, 0)
    total = 2 + (2 if length_bit else 0) + len(fields) + len(payload)
    hdr = struct.pack("!H", flags) + (struct.pack("!H", total) if length_bit else b"") + fields
    return hdr + payload


def parse_l2tp(data):
    """(tunnel, session, ppp payload) of an L2TPv2 data message, or raise ValueError."""
    if len(data) < 6:
        raise ValueError("short datagram")
    flags = struct.unpack("!H", data[:2])[0]
    if flags & 0x000F != 2:
        raise ValueError("version %d" % (flags & 0xF))
    if flags & 0x8000:
        raise ValueError("T bit set on a data message")
    off = 2
    if flags & 0x4000:
        length = struct.unpack("!H", data[off:off + 2])[0]
        if length != len(data):
            raise ValueError("Length %d, datagram %d" % (length, len(data)))
        off += 2
    tunnel, session = struct.unpack("!HH", data[off:off + 4])
    off += 4
    if flags & 0x0800:
        off += 4
    if flags & 0x0200:
        (osize,) = struct.unpack("!H", data[off:off + 2])
        off += 2 + osize
    ppp = data[off:]
    if ppp[:2] == b"\xff\x03":
        ppp = ppp[2:]
    if ppp[:1] and ppp[0] & 1:  # compressed protocol field
        proto, ppp = ppp[0], ppp[1:]
    else:
        proto, ppp = struct.unpack("!H", ppp[:2])[0], ppp[2:]
    if proto != 0x0021:
        raise ValueError("PPP protocol 0x%04x" % proto)
    return tunnel, session, ppp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", required=True, help="our (LAC) address; UDP 1701 is bound on it")
    ap.add_argument("--lns", required=True)
    ap.add_argument("--tunnel", type=int, required=True, help="the LNS's tunnel ID (we send to it)")
    ap.add_argument("--session", type=int, required=True, help="the LNS's session ID")
    ap.add_argument("--our-tunnel", type=int, required=True, help="our tunnel ID (the LNS sends to it)")
    ap.add_argument("--our-session", type=int, required=True)
    ap.add_argument("--subscriber", required=True, help="source address of our pings")
    ap.add_argument("--ping", required=True, help="address to ping through the tunnel")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--answer", default="", help="comma-separated prefixes whose echo requests we answer")
    ap.add_argument("--answer-count", type=int, default=0, help="requests to answer before exiting")
    ap.add_argument("--spoof", default="", help="send one echo from this source; it must not come back")
    ap.add_argument("--length-bit", action="store_true", help="send the L bit (Length)")
    ap.add_argument("--seq-bit", action="store_true", help="send the S bit (Ns/Nr)")
    ap.add_argument("--expect-icmp", type=int, default=0, help="ICMP errors to the subscriber to wait for")
    ap.add_argument("--ttl", type=int, default=64,
                    help="with --count 0 and --expect-icmp: send echo requests with this TTL (once a second) "
                         "until the errors arrive; --ttl 1 requires Time Exceeded from the LNS's address")
    ap.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args()

    answer_nets = [ipaddress.ip_network(p) for p in a.answer.split(",") if p]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((a.local, 1701))
    sock.settimeout(0.2)
    lns = (a.lns, 1701)
    lock = threading.Lock()
    state = {"replies": set(), "answered": 0, "spoof_back": 0, "errors": [], "ns": 0, "icmp": 0, "icmp_from": []}
    ident = 0x4C32
    stop = threading.Event()

    def send_ip(pkt):
        with lock:
            ns = state["ns"]
            state["ns"] += 1
        sock.sendto(l2tp_data(a.tunnel, a.session, b"\xff\x03\x00\x21" + bytes(pkt), a.length_bit,
                              a.seq_bit, ns), lns)

    def receiver():
        while not stop.is_set():
            try:
                data, src = sock.recvfrom(65535)
            except socket.timeout:
                continue
            try:
                if src != lns:
                    raise ValueError("datagram from %s:%d" % src)
                tunnel, session, ppp = parse_l2tp(data)
                if (tunnel, session) != (a.our_tunnel, a.our_session):
                    raise ValueError("IDs %d/%d, expected %d/%d" % (tunnel, session, a.our_tunnel, a.our_session))
                ip = IP(ppp)
                if not ip.haslayer(ICMP):
                    raise ValueError("not ICMP: %r" % ip.summary())
                icmp = ip[ICMP]
                if icmp.type == 0 and icmp.id == ident:
                    if ip.dst == a.spoof:
                        state["spoof_back"] += 1
                    elif ip.src == a.ping and ip.dst == a.subscriber:
                        state["replies"].add(icmp.seq)
                        print("reply seq=%d ttl=%d through the tunnel" % (icmp.seq, ip.ttl), flush=True)
                    else:
                        raise ValueError("unexpected reply %s" % ip.summary())
                elif icmp.type in (3, 11) and ip.dst == a.subscriber:
                    state["icmp"] += 1
                    state["icmp_from"].append((icmp.type, icmp.code, ip.src))
                    print("ICMP error type %d code %d from %s through the tunnel" % (icmp.type, icmp.code, ip.src),
                          flush=True)
                elif icmp.type == 8 and any(ipaddress.ip_address(ip.dst) in n for n in answer_nets):
                    rep = IP(src=ip.dst, dst=ip.src, ttl=64) / ICMP(type=0, id=icmp.id, seq=icmp.seq) / bytes(
                        icmp.payload)
                    send_ip(rep)
                    state["answered"] += 1
                    print("answered echo request %s -> %s seq=%d" % (ip.src, ip.dst, icmp.seq), flush=True)
                else:
                    raise ValueError("unexpected packet %s" % ip.summary())
            except (ValueError, struct.error, IndexError) as e:
                state["errors"].append(str(e))
                print("bad packet: %s" % e, flush=True)

    t = threading.Thread(target=receiver, daemon=True)
    t.start()
    print("ready", flush=True)
    deadline = time.monotonic() + a.timeout
    if a.spoof:
        send_ip(IP(src=a.spoof, dst=a.ping, ttl=64) / ICMP(type=8, id=ident, seq=999) / b"spoofed")
    for seq in range(1, a.count + 1):
        # Resend each request once a second until answered (the first ones may race ARP).
        while seq not in state["replies"] and time.monotonic() < deadline:
            send_ip(IP(src=a.subscriber, dst=a.ping, ttl=64) / ICMP(type=8, id=ident, seq=seq) / (b"l2tpx-dp-e2e" * 4))
            end = time.monotonic() + 1.0
            while seq not in state["replies"] and time.monotonic() < end:
                time.sleep(0.01)
    if a.count == 0 and a.expect_icmp and a.ttl != 64:
        while state["icmp"] < a.expect_icmp and time.monotonic() < deadline:
            send_ip(IP(src=a.subscriber, dst=a.ping, ttl=a.ttl) / ICMP(type=8, id=ident, seq=500) / b"ttl-probe")
            end = time.monotonic() + 1.0
            while state["icmp"] < a.expect_icmp and time.monotonic() < end:
                time.sleep(0.01)
    while (state["answered"] < a.answer_count or state["icmp"] < a.expect_icmp) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a late reply to the spoofed echo would show here
    stop.set()
    t.join()
    ok = True
    missing = [s for s in range(1, a.count + 1) if s not in state["replies"]]
    if missing:
        print("FAILED: no reply through the tunnel for seq %s" % missing)
        ok = False
    if state["answered"] < a.answer_count:
        print("FAILED: answered %d echo requests from the core, expected %d" % (state["answered"], a.answer_count))
        ok = False
    if state["icmp"] < a.expect_icmp:
        print("FAILED: %d ICMP errors through the tunnel, expected %d" % (state["icmp"], a.expect_icmp))
        ok = False
    if a.ttl == 1 and a.expect_icmp and (11, 0, a.lns) not in state["icmp_from"]:
        print("FAILED: no Time Exceeded from the LNS %s (got %s)" % (a.lns, state["icmp_from"]))
        ok = False
    if state["spoof_back"]:
        print("FAILED: the echo with the spoofed source %s was forwarded" % a.spoof)
        ok = False
    if state["errors"]:
        print("FAILED: %d malformed packets: %s" % (len(state["errors"]), state["errors"][:3]))
        ok = False
    print("%s: %d/%d replies, %d requests answered" % ("OK" if ok else "FAILED", a.count - len(missing), a.count,
                                                       state["answered"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
