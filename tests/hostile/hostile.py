#!/usr/bin/python3
"""Hostile input against l2tpx's LNS on the wire (tests/hostile/hostile_lns.sh, docs/testing.md).

Runs in the LAC's network namespace. A legitimate LAC (tests/interop/scapy_lac.py's `Lac`,
over a UDP socket) keeps a tunnel and a PPP session up while an attacker writes raw
Ethernet frames built with scapy on the same veth (any source address and port) and reads
the LNS's answers from an AF_PACKET socket:

  malformed   SCCRQs that miss a mandatory AVP, carry an unknown mandatory AVP, a
              truncated AVP, an AVP length below 6, a bad protocol version, Assigned Tunnel
              ID 0, an L2TP Length beyond the datagram, a hidden AVP without a secret:
              each answered by the StopCCN result/error code of docs/controlplane.md, or
              dropped and counted; an unknown M=0 AVP is a positive control (SCCRP)
  unknown     control and data messages for tunnels/sessions that do not exist, Tunnel ID 0
              on something else than an SCCRQ, an SCCRQ from an address no [[lac]] admits:
              no answer, counted
  forged      StopCCN, CDN and data for the live tunnel with its right IDs and Ns from the
              wrong address and from the wrong port: nothing changes
  flood       5,000 SCCRQs from distinct source ports (half from one address, half from
              116 addresses) while a second legitimate LAC opens a tunnel; after the flood
              it places a call and pings, and so does the first one
  flood_own_address  500 SCCRQs spoofing the legitimate LAC's own address (other ports);
              right after them a third LAC from that address must get its tunnel
Between the stages the first LAC pings through the dataplane and `show sessions` must list
it. Every stage checks the control plane's counters (`show stats`) against what was sent.
Prints one JSON line per check; exits 0 when all pass, 1 with the reasons otherwise.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import scapy_lac  # noqa: E402  (the legitimate LAC of the interop test)
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

avp, u16, u32 = scapy_lac.avp, scapy_lac.u16, scapy_lac.u32
SCCRQ, SCCRP, STOPCCN, ICRQ, CDN, HELLO = 1, 2, 4, 10, 14, 6
A_MSG, A_RESULT, A_PROTO, A_FRAMING, A_HOST, A_TUNNEL, A_SESSION = 0, 1, 2, 3, 7, 9, 14
A_RANDOM_VECTOR = 36
T_BIT, L_BIT, S_BIT = 0x8000, 0x4000, 0x0800
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

FAILURES = []
START = time.monotonic()


def log(event, **kw):
    kw["event"] = event
    kw["t"] = round(time.monotonic() - START, 3)
    print(json.dumps(kw, sort_keys=True), flush=True)


def check(ok, what, **kw):
    log("check", ok=bool(ok), what=what, **kw)
    if not ok:
        FAILURES.append(what)
    return ok


def ctl_msg(tid, sid, ns, nr, avps, version=2, length=None):
    body = b"".join(avps)
    n = 12 + len(body) if length is None else length
    return struct.pack("!HHHHHH", T_BIT | L_BIT | S_BIT | version, n, tid, sid, ns, nr) + body


def data_msg(tid, sid, ppp):
    return struct.pack("!HHH", 2, tid, sid) + ppp


def sccrq_avps(tid, host=b"hostile", proto=0x0100, omit=(), extra=()):
    avps = {A_MSG: avp(A_MSG, u16(SCCRQ)), A_PROTO: avp(A_PROTO, u16(proto)), A_HOST: avp(A_HOST, host),
            A_FRAMING: avp(A_FRAMING, u32(3)), A_TUNNEL: avp(A_TUNNEL, u16(tid))}
    return [v for k, v in avps.items() if k not in omit] + list(extra)


def raw_avp(flags_len, vendor, attr, value):
    """An AVP with a length field of our choosing (M bit included in flags_len)."""
    return struct.pack("!HHH", flags_len, vendor, attr) + value


def parse_ctl(payload):
    """(flags, tid, sid, ns, nr, {attr: value}) of a control message, vendor-0 AVPs only
    (hidden ones are kept hidden: the attacker has no secret)."""
    flags, = struct.unpack_from("!H", payload)
    if not flags & T_BIT or len(payload) < 12:
        return None
    _, length, tid, sid, ns, nr = struct.unpack_from("!HHHHHH", payload)
    out, off = {}, 12
    while off + 6 <= min(length, len(payload)):
        fl, vendor, attr = struct.unpack_from("!HHH", payload, off)
        n = fl & 0x3FF
        if n < 6:
            break
        if vendor == 0:
            out[attr] = payload[off + 6:off + n]
        off += n
    return flags, tid, sid, ns, nr, out


class Wire:
    """Raw frames on the LAC's veth: spoofed sends, and the LNS's answers by destination."""

    def __init__(self, iface, lns_ip, lns_mac):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((iface, 0))
        self.mac = self.sock.getsockname()[4]
        self.lns_ip = lns_ip
        self.lns_mac = lns_mac
        self.answers = {}  # (dst ip, dst port) -> [l2tp payload, ...]
        self.from_lns = 0
        self.sent = 0

    def frame(self, src_ip, sport, payload, dport=1701):
        src_mac = ":".join("%02x" % b for b in self.mac)
        return bytes(Ether(src=src_mac, dst=self.lns_mac) / IP(src=src_ip, dst=self.lns_ip, ttl=64) /
                     UDP(sport=sport, dport=dport) / Raw(payload))

    def send(self, src_ip, sport, payload):
        self.send_frame(self.frame(src_ip, sport, payload))

    def send_frame(self, f):
        self.sock.send(f)
        self.sent += 1

    def drain(self, timeout=0.0):
        end = time.monotonic() + timeout
        while True:
            r, _, _ = select.select([self.sock], [], [], max(0.0, end - time.monotonic()))
            if not r:
                return
            while True:
                try:
                    f, addr = self.sock.recvfrom(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING or len(f) < 42 or f[12:14] != b"\x08\x00":
                    continue
                ihl = (f[14] & 0x0F) * 4
                if f[23] != 17 or socket.inet_ntoa(f[26:30]) != self.lns_ip:
                    continue
                sport, dport = struct.unpack_from("!HH", f, 14 + ihl)
                if sport != 1701:
                    continue
                self.from_lns += 1
                dst = (socket.inet_ntoa(f[30:34]), dport)
                self.answers.setdefault(dst, []).append(f[14 + ihl + 8:])
            if time.monotonic() >= end:
                return


class Ctx:
    def __init__(self, a):
        self.a = a
        self.wire = Wire(a.iface, a.lns, a.lns_mac)
        self.lac = None

    def service(self, seconds, until=None):
        """Keep the legitimate LAC answering (acks, LCP echo) while collecting answers, for
        `seconds` or until something arrived for the (address, port) `until`."""
        end = time.monotonic() + seconds
        while True:
            if self.lac:
                self.lac.receive(0.02)
            self.wire.drain(0.02 if not self.lac else 0.0)
            if time.monotonic() >= end or (until and self.wire.answers.get(until)):
                if until:
                    self.wire.drain(0.05)
                return

    def stats(self):
        return scapy_lac.mgmt(self.a.mgmt, "show stats")

    def dp(self):
        """The dataplane's /l2tpx/stats and /l2tpx/drops (DPDK telemetry)."""
        out = {}
        for cmd in ("/l2tpx/stats", "/l2tpx/drops"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(3)
            s.connect(self.a.telemetry)
            s.recv(16384)
            s.send(cmd.encode())
            r = json.loads(s.recv(1 << 20).decode())
            s.close()
            body = r.get(cmd, {})
            if isinstance(body, dict):
                for k, v in body.items():
                    if isinstance(v, (int, float)):
                        out[k] = v
        return out


def delta(after, before, *path):
    a, b = after, before
    for p in path:
        a, b = a.get(p, {}), b.get(p, {})
    return (a or 0) - (b or 0)


class LacArgs(argparse.Namespace):
    """scapy_lac.Lac's options: any option it gains later is off (None) unless set here."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return None


def new_lac(a, port):
    la = LacArgs(lns=a.lns, local=a.lac_ip, local_port=port, host_name=a.host_name, secret=a.secret,
                            user=a.user, password=a.password, auth="pap", ping=a.ping, count=2, mgmt=a.mgmt)
    return scapy_lac.Lac(la)


def bring_up(lac):
    lac.open_tunnel()
    lac.place_call()
    lac.run_lcp()
    lac.run_auth()
    lac.run_ipcp()


def session_alive(ctx, lac, what):
    """The legitimate session still pings through the dataplane and is listed as up."""
    replies = lac.ping(ctx.a.ping, 2)
    check(replies == 2, "%s: the legitimate session still pings (%d/2)" % (what, replies))
    rows = scapy_lac.mgmt(ctx.a.mgmt, "show sessions")["rows"]
    mine = [r for r in rows if r[1] == lac.peer_sid and lac.address in r]
    check(mine, "%s: show sessions lists session %d with %s" % (what, lac.peer_sid, lac.address))
    t = scapy_lac.mgmt(ctx.a.mgmt, "show tunnel", {"id": lac.peer_tid})
    check(t.get("state") == "established" and t.get("peer_id") == lac.local_tid,
          "%s: tunnel %d still established" % (what, lac.peer_tid), state=t.get("state"))


# --- (b)/(d) malformed SCCRQs -------------------------------------------------------------
def hidden_framing(secret_less_rv):
    """A Random Vector and a hidden Framing Capabilities AVP (H=1): no secret can unhide it."""
    return [avp(A_RANDOM_VECTOR, secret_less_rv),
            raw_avp(0x8000 | 0x4000 | (6 + 16), 0, A_FRAMING, os.urandom(16))]


def malformed_cases():
    """(name, payload builder(tid), expected answer): ("stopccn", result, error), ("sccrp",)
    or ("none", {counter: increment}) where one of the counters must count it (the dataplane's
    ("dp", drop reason) or the control plane's (area, counter))."""
    tail_trunc = raw_avp(0x8000 | 20, 0, 200, b"\x00\x01")  # claims 20 bytes, has 8
    return [
        ("unknown_optional_avp_positive_control",
         lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t, extra=[avp(200, b"ignore me", False)])), ("sccrp",)),
        ("missing_host_name", lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t, omit=(A_HOST,))), ("stopccn", 2, 3)),
        ("missing_framing_capabilities",
         lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t, omit=(A_FRAMING,))), ("stopccn", 2, 3)),
        ("unknown_mandatory_avp",
         lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t, extra=[avp(200, b"must understand")])), ("stopccn", 2, 8)),
        ("unknown_mandatory_vendor_avp",
         lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t, extra=[raw_avp(0x8000 | 8, 9, 1, b"\x00\x01")])),
         ("stopccn", 2, 8)),
        ("truncated_avp", lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t) + [tail_trunc]), ("stopccn", 2, 2)),
        ("avp_length_below_6",
         lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t) + [raw_avp(0x8000 | 4, 0, 200, b"\x00\x00")]),
         ("stopccn", 2, 2)),
        ("protocol_version_2_0", lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t, proto=0x0200)), ("stopccn", 5, 0)),
        ("assigned_tunnel_id_0", lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(0)), ("stopccn", 2, 3)),
        ("hidden_avp_without_secret",
         lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t, omit=(A_FRAMING,), extra=hidden_framing(os.urandom(16)))),
         ("stopccn", 2, 3)),
        # The L2TP Length says 600 bytes, the datagram has ~50: the dataplane's header check.
        ("l2tp_length_beyond_datagram",
         lambda t: ctl_msg(0, 0, 0, 0, sccrq_avps(t), length=600),
         ("none", {("dp", "bad_length"): 1, ("l2tp", "rx_malformed"): 1})),
        # The first AVP (Message Type) is cut: not recognisable as an SCCRQ.
        ("truncated_message_type",
         lambda t: ctl_msg(0, 0, 0, 0, [struct.pack("!HHH", 0x8000 | 8, 0, 0)]),
         ("none", {("l2tp", "rx_not_sccrq"): 1})),
    ]


def stage_malformed(ctx):
    a = ctx.a
    before, dp_before = ctx.stats(), ctx.dp()
    expect_created = 0
    for i, (name, build, want) in enumerate(malformed_cases()):
        src, sport, tid = a.attacker_ip, 20000 + i, 0x4000 + i
        ctx.wire.send(src, sport, build(tid))
        expect_created += want[0] in ("stopccn", "sccrp")
        ctx.service(3.0 if want[0] != "none" else 0.7, until=(src, sport) if want[0] != "none" else None)
        msgs = [parse_ctl(p) for p in ctx.wire.answers.get((src, sport), [])]
        msgs = [m for m in msgs if m and A_MSG in m[5]]
        types = [struct.unpack("!H", m[5][A_MSG])[0] for m in msgs]
        if want[0] == "sccrp":
            check(types[:1] == [SCCRP], "%s: answered with SCCRP" % name, answers=types)
        elif want[0] == "stopccn":
            stops = [m for m in msgs if struct.unpack("!H", m[5][A_MSG])[0] == STOPCCN]
            if check(stops and types[0] == STOPCCN, "%s: answered with StopCCN" % name, answers=types):
                f, htid, _, ns, nr, avps = stops[0]
                res = avps.get(A_RESULT, b"")
                got = (struct.unpack_from("!H", res)[0] if len(res) >= 2 else None,
                       struct.unpack_from("!H", res, 2)[0] if len(res) >= 4 else 0)
                check(got == (want[1], want[2]), "%s: StopCCN result/error %d/%d" % (name, want[1], want[2]),
                      got=list(got), message=res[4:].decode("latin-1"))
                want_tid = 0 if name == "assigned_tunnel_id_0" else tid
                check(htid == want_tid, "%s: StopCCN addressed to our Assigned Tunnel ID" % name, got=htid)
                # Acknowledge it (ZLB) so the LNS stops retransmitting.
                lns_tid = struct.unpack("!H", avps[A_TUNNEL])[0] if len(avps.get(A_TUNNEL, b"")) == 2 else 0
                ctx.wire.send(src, sport, ctl_msg(lns_tid, 0, 1, (ns + 1) & 0xFFFF, []))
        else:
            check(not types, "%s: no answer" % name, answers=types)
    ctx.service(0.5)
    after, dp_after = ctx.stats(), ctx.dp()
    for name, build, want in malformed_cases():
        if want[0] == "none":
            got = {}
            for (area, counter), n in want[1].items():
                got["%s.%s" % (area, counter)] = (dp_after.get(counter, 0) - dp_before.get(counter, 0)) \
                    if area == "dp" else delta(after, before, area, counter)
            check(sum(got.values()) == 1, "%s: counted once, in one of %s" % (name, sorted(got)), deltas=got)
    created = delta(after, before, "l2tp", "tunnels_created")
    check(created == expect_created, "malformed: one tunnel created per SCCRQ that is answered",
          expected=expect_created, got=created)
    dec = delta(after, before, "l2tp", "rx_decode_error")
    # Assigned Tunnel ID 0 decodes; the tunnel refuses its value.
    n_decode = sum(1 for n, _, w in malformed_cases() if w[0] == "stopccn" and w[1] == 2 and n != "assigned_tunnel_id_0")
    check(dec == n_decode, "malformed: rx_decode_error counts the undecodable SCCRQs", expected=n_decode, got=dec)


# --- (d) unknown tunnels and sessions, not admitted peers ------------------------------------
def stage_unknown(ctx):
    a, lac = ctx.a, ctx.lac
    before, dp_before = ctx.stats(), ctx.dp()
    tunnels = {v for r in scapy_lac.mgmt(a.mgmt, "show tunnels")["rows"] for v in r if isinstance(v, int)}
    bogus = next(t for t in range(0x7000, 0xFFFF) if t not in tunnels)
    n = 10
    for i in range(n):
        # HELLO for a tunnel that does not exist.
        ctx.wire.send(a.attacker_ip, 21000 + i, ctl_msg(bogus, 0, 0, 0, [avp(A_MSG, u16(HELLO))]))
        # ICRQ with Tunnel ID 0 (only SCCRQ may use it).
        ctx.wire.send(a.attacker_ip, 21100 + i, ctl_msg(0, 0, 0, 0, [avp(A_MSG, u16(ICRQ)),
                                                                     avp(A_SESSION, u16(5))]))
        # An SCCRQ from an address no [[lac]] admits.
        ctx.wire.send(a.not_allowed_ip, 21200 + i, ctl_msg(0, 0, 0, 0, sccrq_avps(0x5000 + i)))
        # PPP LCP Echo-Request in a data message for a session the live tunnel does not have,
        # from the tunnel's own peer address and port (punted: punt_unknown_sessions).
        bad_sid = (lac.peer_sid + 1 + i) & 0xFFFF or 1
        ctx.wire.send(a.lac_ip, lac.args.local_port,
                      data_msg(lac.peer_tid, bad_sid, b"\xff\x03\xc0\x21\x09\x01\x00\x08\x00\x00\x00\x00"))
    ctx.service(1.0)
    after, dp_after = ctx.stats(), ctx.dp()
    answered = [k for k in ctx.wire.answers if k[1] in range(21000, 21300)]
    check(not answered, "unknown: nothing answered", answered=answered)
    for area, counter, want in (("l2tp", "rx_unknown_tunnel", n), ("l2tp", "rx_not_sccrq", n),
                                ("daemon", "rx_peer_not_allowed", n), ("l2tp", "rx_unknown_session", n)):
        got = delta(after, before, area, counter)
        check(got == want, "unknown: %s.%s counts what was sent" % (area, counter), expected=want, got=got)
    pu = dp_after.get("punt_unknown_session", 0) - dp_before.get("punt_unknown_session", 0)
    check(pu == n, "unknown: the dataplane punted the data for unknown sessions", expected=n, got=pu)
    check(delta(after, before, "l2tp", "tunnels_created") == 0, "unknown: no tunnel created")


# --- (c) forged StopCCN / CDN / data from the wrong address or port ----------------------------
def stage_forged(ctx):
    a, lac = ctx.a, ctx.lac
    before, dp_before = ctx.stats(), ctx.dp()
    sources = [(a.attacker_ip, lac.args.local_port, "wrong address"), (a.lac_ip, lac.args.local_port + 1000,
                                                                         "wrong port")]
    for src, sport, why in sources:
        stop = ctl_msg(lac.peer_tid, 0, lac.ns, lac.nr, [avp(A_MSG, u16(STOPCCN)), avp(A_TUNNEL, u16(lac.local_tid)),
                                                         avp(A_RESULT, u16(1))])
        cdn = ctl_msg(lac.peer_tid, lac.peer_sid, lac.ns, lac.nr,
                      [avp(A_MSG, u16(CDN)), avp(A_RESULT, u16(3)), avp(A_SESSION, u16(lac.local_sid))])
        lcp_term = data_msg(lac.peer_tid, lac.peer_sid, b"\xff\x03\xc0\x21\x05\x07\x00\x04")
        for p in (cdn, stop, lcp_term):
            ctx.wire.send(src, sport, p)
        log("forged", source="%s:%d" % (src, sport), why=why)
    ctx.service(1.5)
    after, dp_after = ctx.stats(), ctx.dp()
    # Control messages reach the control plane and are refused there; the data message (an
    # LCP Terminate-Request for the live session) is dropped by the dataplane's source check.
    # (A dataplane that checks only the address hands the wrong-port data message to the
    # control plane, which refuses it as forged too.)
    fwd = delta(after, before, "l2tp", "rx_forged_source")
    check(fwd >= 4, "forged: rx_forged_source counts the 2 StopCCN and 2 CDN", got=fwd)
    wp = dp_after.get("wrong_peer", 0) - dp_before.get("wrong_peer", 0)
    check(wp + (fwd - 4) == 2, "forged: the 2 data messages are refused (wrong_peer or rx_forged_source)",
          wrong_peer=wp, rx_forged_source=fwd)
    check(delta(after, before, "l2tp", "tunnels_closed") == 0 and delta(after, before, "l2tp", "sessions_closed") == 0,
          "forged: no tunnel or session closed")
    answered = [k for k in ctx.wire.answers if k in [(s, p) for s, p, _ in sources]]
    check(not answered, "forged: nothing answered to the forger", answered=answered)
    check(not lac.terminated, "forged: the LAC saw no LCP Terminate")
    session_alive(ctx, lac, "after forged StopCCN/CDN")


# --- (a) SCCRQ flood while a legitimate LAC connects ------------------------------------------
def flood_frames(ctx, n):
    """n SCCRQs from distinct source ports: half from one address, half spread over
    a.flood_hosts addresses of the admitted prefix (spoofed; they never answer)."""
    a, w = ctx.a, ctx.wire
    # A template: only the source address and port, the Assigned Tunnel ID and checksums change.
    base = w.frame("198.18.0.1", 1, ctl_msg(0, 0, 0, 0, sccrq_avps(1, host=b"flood")))
    frames = []
    prefix = a.flood_prefix.rsplit(".", 1)[0]
    for i in range(n):
        if i % 2 == 0:
            src, sport = a.flood_single_ip, 10000 + i // 2
        else:
            j = i // 2
            src = "%s.%d" % (prefix, a.flood_first_host + j % a.flood_hosts)
            sport = 10000 + j // a.flood_hosts
        f = bytearray(base)
        f[26:30] = socket.inet_aton(src)
        struct.pack_into("!H", f, 24, 0)
        struct.pack_into("!H", f, 24, ip_checksum(bytes(f[14:34])))
        struct.pack_into("!H", f, 34, sport)
        # Assigned Tunnel ID: last AVP of the template, its value the last 2 bytes.
        struct.pack_into("!H", f, len(f) - 2, 1 + i % 0xFFFE)
        struct.pack_into("!H", f, 40, 0)  # UDP checksum 0: none (IPv4)
        frames.append(bytes(f))
    return frames


def ip_checksum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def stage_flood(ctx):
    a = ctx.a
    frames = flood_frames(ctx, a.flood)
    before, dp_before = ctx.stats(), ctx.dp()
    pid = os.fork()
    if pid == 0:  # the flooder: paced bursts, as fast as the LNS's punt path takes them
        try:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((a.iface, 0))
            for k in range(0, len(frames), a.flood_burst):
                for f in frames[k:k + a.flood_burst]:
                    s.send(f)
                time.sleep(a.flood_gap_ms / 1000.0)
        finally:
            os._exit(0)
    t0 = time.monotonic()
    # A second legitimate LAC (another source port) opens its tunnel during the flood.
    lac2 = new_lac(a, a.second_lac_port)
    try:
        lac2.open_tunnel()
        up_during = time.monotonic() - t0
    except SystemExit:
        up_during = None
    _, status = os.waitpid(pid, 0)
    flood_s = time.monotonic() - t0
    log("flood_sent", sccrq=len(frames), seconds=round(flood_s, 3), exit=status)
    check(up_during is not None, "flood: a legitimate LAC's tunnel comes up during the flood",
          seconds=up_during and round(up_during, 3))
    mid = ctx.stats()
    check(mid["half_open"] <= a.max_half_open, "flood: half-open tunnels stay within max_half_open",
          half_open=mid["half_open"], limit=a.max_half_open)
    ctx.service(1.0)
    after, dp_after = ctx.stats(), ctx.dp()
    created = delta(after, before, "l2tp", "tunnels_created")
    over = delta(after, before, "l2tp", "sccrq_over_limit")
    rx = delta(after, before, "daemon", "rx_datagrams")
    ring_full = dp_after.get("punt_ring_full", 0) - dp_before.get("punt_ring_full", 0)
    log("flood_counters", tunnels_created=created, sccrq_over_limit=over,
        half_open_evicted=delta(after, before, "l2tp", "half_open_evicted"), rx_datagrams=rx,
        punt_ring_full=ring_full, half_open=after["half_open"], tunnels=after["tunnels"])
    # Every flood SCCRQ is accounted for: a tunnel (then evicted or expiring) or refused over a
    # limit, or dropped by the dataplane when the punt ring was full. lac2's SCCRQ/SCCCN and ZLBs
    # and the first LAC's keepalives are the only other datagrams in this window.
    # Exact when the punt ring never overflowed (ring_full also counts other packets).
    got = created + over - 1  # lac2's tunnel
    check(len(frames) - ring_full <= got <= len(frames),
          "flood: tunnels_created + sccrq_over_limit (+ punt_ring_full) = SCCRQs sent",
          sent=len(frames), got=got, punt_ring_full=ring_full)
    if up_during is not None:
        try:
            lac2.place_call()
            lac2.run_lcp()
            lac2.run_auth()
            lac2.run_ipcp()
            r = lac2.ping(a.ping, 2)
            check(r == 2, "flood: the second LAC's session pings after the flood (%d/2)" % r)
            lac2.stop_tunnel()
        except SystemExit:
            check(False, "flood: the second LAC's call comes up after the flood")
    session_alive(ctx, ctx.lac, "after the flood")
    # The flood leaves no session and, once the half-open tunnels expire, no tunnel behind.
    check(after["links"] <= 2, "flood: no PPP link other than the legitimate ones", links=after["links"])


def stage_flood_own_address(ctx):
    """SCCRQs from the legitimate LAC's own address (spoofed, other ports) fill its
    per-address half-open slots; right after the flood the LAC itself must still connect."""
    a, w = ctx.a, ctx.wire
    n = a.flood_own
    before = ctx.stats()
    for i in range(n):
        w.send(a.lac_ip, 30000 + i, ctl_msg(0, 0, 0, 0, sccrq_avps(0x6000 + i, host=b"flood-own")))
        if i % a.flood_burst == a.flood_burst - 1:
            time.sleep(a.flood_gap_ms / 1000.0)
    ctx.service(0.3)
    mid = ctx.stats()
    log("flood_own_sent", sccrq=n, tunnels_created=delta(mid, before, "l2tp", "tunnels_created"),
        sccrq_over_limit=delta(mid, before, "l2tp", "sccrq_over_limit"),
        half_open_evicted=delta(mid, before, "l2tp", "half_open_evicted"), half_open=mid["half_open"])
    t0 = time.monotonic()
    lac3 = new_lac(a, a.second_lac_port + 1)
    try:
        lac3.open_tunnel()
        check(True, "flood from the LAC's own address: the LAC connects after it",
              seconds=round(time.monotonic() - t0, 3))
        lac3.stop_tunnel()
    except SystemExit:
        after = ctx.stats()
        check(False, "flood from the LAC's own address: the LAC connects after it",
              sccrq_over_limit=delta(after, mid, "l2tp", "sccrq_over_limit"), half_open=after["half_open"])
    lac3.sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iface", required=True, help="the LAC namespace's veth")
    ap.add_argument("--lns", required=True)
    ap.add_argument("--lns-mac", required=True)
    ap.add_argument("--lac-ip", required=True)
    ap.add_argument("--attacker-ip", required=True, help="an admitted address that is not the LAC's")
    ap.add_argument("--not-allowed-ip", required=True, help="an address no [[lac]] admits")
    ap.add_argument("--flood-prefix", required=True, help="admitted /24 base for spoofed flood sources")
    ap.add_argument("--flood-first-host", type=int, default=10)
    ap.add_argument("--flood-hosts", type=int, default=116)
    ap.add_argument("--flood-single-ip", required=True)
    ap.add_argument("--flood", type=int, default=5000)
    ap.add_argument("--flood-own", type=int, default=500, help="SCCRQs spoofing the LAC's own address")
    ap.add_argument("--flood-burst", type=int, default=32)
    ap.add_argument("--flood-gap-ms", type=float, default=4.0)
    ap.add_argument("--max-half-open", type=int, default=256)
    ap.add_argument("--second-lac-port", type=int, default=1702)
    ap.add_argument("--host-name", default="scapy-lac")
    ap.add_argument("--secret", default="")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--ping", required=True)
    ap.add_argument("--mgmt", required=True)
    ap.add_argument("--telemetry", required=True, help="the dataplane's dpdk_telemetry.v2 socket")
    ap.add_argument("--stages", default="malformed,unknown,forged,flood,flood_own_address")
    a = ap.parse_args()
    random.seed()

    ctx = Ctx(a)
    ctx.lac = new_lac(a, 1701)
    bring_up(ctx.lac)
    log("legitimate_lac_up", tunnel=ctx.lac.peer_tid, session=ctx.lac.peer_sid, address=ctx.lac.address)
    session_alive(ctx, ctx.lac, "before the attacks")
    stages = {"malformed": stage_malformed, "unknown": stage_unknown, "forged": stage_forged, "flood": stage_flood,
              "flood_own_address": stage_flood_own_address}
    for name in a.stages.split(","):
        log("stage", name=name)
        stages[name](ctx)
        if name != "forged":
            session_alive(ctx, ctx.lac, "after stage %s" % name)
    st = ctx.stats()
    log("final_stats", l2tp=st["l2tp"], daemon={k: v for k, v in st["daemon"].items() if k != "punt_errors"},
        half_open=st["half_open"], tunnels=st["tunnels"], answers_from_lns=ctx.wire.from_lns)
    ctx.lac.stop_tunnel()
    if FAILURES:
        log("failed", checks=FAILURES)
        sys.exit(1)
    log("done", frames_sent=ctx.wire.sent + a.flood)


if __name__ == "__main__":
    main()
