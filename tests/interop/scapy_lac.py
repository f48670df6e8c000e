#!/usr/bin/python3
"""An L2TPv2 LAC and PPP client for the end-to-end test (tests/interop/e2e_scapy_lac.sh).

Runs in the LAC's network namespace and talks to l2tpx's LNS over a UDP socket:
  SCCRQ/SCCRP/SCCCN with tunnel authentication (Challenge / Challenge Response, both ways),
  hidden AVPs (RFC 2661 §4.3) unhidden with the tunnel secret,
  ICRQ/ICRP/ICCN, reliable delivery (Ns/Nr, ZLB acks, retransmission, duplicate re-acks),
  then PPP in data messages: LCP (magic, Echo-Reply to keepalives, Protocol-Reject for
  protocols it does not run), PAP or CHAP-MD5, IPCP (address from the LNS's Nak), and ICMP
  echo built with scapy to an address behind the dataplane's core port, whose replies
  must come back through the tunnel. With --ipv6: IPv6CP (interface identifiers), a Router
  Solicitation whose Router Advertisement gives the /64 (SLAAC address = prefix + our
  interface identifier), a Neighbor Solicitation for the LNS's link-local address answered
  by a Neighbor Advertisement, and ICMPv6 echoes to an address behind the core port. Optionally checks the management socket (show
  sessions / show tunnel / clear session), then tears down with StopCCN.

Prints one JSON line per milestone; exits 0 on success, 1 with a reason on failure.
"""
import argparse
import hashlib
import json
import os
import random
import select
import socket
import struct
import sys
import time

from scapy.layers.inet import ICMP, IP
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                                ICMPv6ND_RS, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS, IPv6)

# Message types (RFC 2661 §3.2)
SCCRQ, SCCRP, SCCCN, STOPCCN, HELLO = 1, 2, 3, 4, 6
ICRQ, ICRP, ICCN, CDN = 10, 11, 12, 14
MSG_NAMES = {1: "SCCRQ", 2: "SCCRP", 3: "SCCCN", 4: "StopCCN", 6: "HELLO", 10: "ICRQ", 11: "ICRP",
             12: "ICCN", 14: "CDN", 15: "WEN", 16: "SLI"}
# AVPs (§4.4)
A_MSG, A_RESULT, A_PROTO, A_FRAMING, A_BEARER, A_FIRMWARE, A_HOST, A_VENDOR = 0, 1, 2, 3, 4, 6, 7, 8
A_TUNNEL, A_RWS, A_CHALLENGE, A_CHAL_RESP, A_SESSION, A_SERIAL = 9, 10, 11, 13, 14, 15
A_BEARER_TYPE, A_FRAMING_TYPE, A_TX_SPEED = 18, 19, 24
# PPP
P_LCP, P_PAP, P_CHAP, P_IPCP, P_IP = 0xC021, 0xC023, 0xC223, 0x8021, 0x0021
P_IPV6CP, P_IPV6 = 0x8057, 0x0057

T_BIT, L_BIT, S_BIT, O_BIT = 0x8000, 0x4000, 0x0800, 0x0200


def log(event, **kw):
    kw["event"] = event
    kw["t"] = round(time.monotonic() - START, 3)
    print(json.dumps(kw), flush=True)


def fail(reason):
    log("failed", reason=reason)
    sys.exit(1)


START = time.monotonic()


def avp(attr, value, mandatory=True):
    return struct.pack("!HHH", (0x8000 if mandatory else 0) | (6 + len(value)), 0, attr) + value


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


A_RANDOM_VECTOR = 36


def unhide(attr, value, secret, rv):
    """RFC 2661 §4.3: value = MD5 chain over (attribute, secret, Random Vector) XOR
    (original length, original value, padding)."""
    if not rv or not secret:
        raise ValueError("hidden AVP %d without a Random Vector or a secret" % attr)
    out = b""
    prev = u16(attr) + secret + rv
    for i in range(0, len(value), 16):
        key = hashlib.md5(prev).digest()
        chunk = value[i:i + 16]
        out += bytes(a ^ b for a, b in zip(chunk, key))
        prev = secret + chunk
    n, = struct.unpack("!H", out[:2])
    if n > len(out) - 2:
        raise ValueError("hidden AVP %d: bad original length" % attr)
    return out[2:2 + n]


def parse_avps(body, secret=b""):
    out = {}
    rv = None
    i = 0
    while i + 6 <= len(body):
        w, vendor, attr = struct.unpack("!HHH", body[i:i + 6])
        length = w & 0x3FF
        if length < 6 or i + length > len(body):
            raise ValueError("bad AVP length")
        value = body[i + 6:i + length]
        if vendor == 0 and attr == A_RANDOM_VECTOR:
            rv = value
        if w & 0x4000:
            value = unhide(attr, value, secret, rv)
            HIDDEN_SEEN.add(attr)
        if vendor == 0:
            out[attr] = value
        i += length
    return out


HIDDEN_SEEN = set()


def parse_l2tp(pkt):
    flags, = struct.unpack("!H", pkt[:2])
    if flags & 0xF != 2:
        raise ValueError("not L2TPv2")
    off = 2
    if flags & L_BIT:
        length, = struct.unpack("!H", pkt[off:off + 2])
        off += 2
        pkt = pkt[:length]
    tid, sid = struct.unpack("!HH", pkt[off:off + 4])
    off += 4
    ns = nr = None
    if flags & S_BIT:
        ns, nr = struct.unpack("!HH", pkt[off:off + 4])
        off += 4
    if flags & O_BIT:
        osz, = struct.unpack("!H", pkt[off:off + 2])
        off += 2 + osz
    return flags, tid, sid, ns, nr, pkt[off:]


def seq_lt(a, b):
    return ((a - b) & 0xFFFF) >= 0x8000


class Lac:
    def __init__(self, args):
        self.args = args
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((args.local, args.local_port))
        self.peer = (args.lns, 1701)
        self.ns = 0
        self.nr = 0
        self.unacked = []  # [ns, bytes, last_sent, tries]
        self.ack_due = False
        self.local_tid = random.randint(1, 0xFFFF)
        self.peer_tid = 0
        self.local_sid = random.randint(1, 0xFFFF)
        self.peer_sid = 0
        self.ctl_in = []
        self.ppp_in = []
        self.counters = {"retransmits": 0, "duplicates": 0, "zlb_sent": 0, "echo_replies_sent": 0,
                         "protocol_rejects_sent": 0}
        # PPP state
        self.magic = random.randint(1, 0xFFFFFFFF)
        self.lcp_id = 1
        self.lcp_requests_sent = 0
        self.lcp_last_request = 0
        self.lcp_ours_acked = False
        self.lcp_theirs_acked = False
        self.lns_auth = None
        self.auth_ok = False
        self.ipcp_ours_acked = False
        self.ipcp_theirs_acked = False
        self.address = "0.0.0.0"
        self.terminated = False

    # --- L2TP control channel -------------------------------------------------------
    def _ctl_packet(self, avps, sid, ns, nr):
        body = b"".join(avps)
        return struct.pack("!HHHHHH", T_BIT | L_BIT | S_BIT | 2, 12 + len(body), self.peer_tid, sid, ns, nr) + body

    def send_ctl(self, msg_type, avps, sid=0):
        pkt = self._ctl_packet([avp(A_MSG, u16(msg_type))] + avps, sid, self.ns, self.nr)
        self.unacked.append([self.ns, pkt, time.monotonic(), 0])
        self.ns = (self.ns + 1) & 0xFFFF
        self.ack_due = False
        self.sock.sendto(pkt, self.peer)
        log("tx", msg=MSG_NAMES.get(msg_type, msg_type))

    def send_zlb(self):
        self.sock.sendto(self._ctl_packet([], 0, self.ns, self.nr), self.peer)
        self.ack_due = False
        self.counters["zlb_sent"] += 1

    def send_ppp(self, proto, payload):
        frame = b"\xff\x03" + u16(proto) + payload
        self.sock.sendto(struct.pack("!HHH", 2, self.peer_tid, self.peer_sid) + frame, self.peer)

    def retransmit(self):
        now = time.monotonic()
        for u in self.unacked:
            if now - u[2] >= min(1 << u[3], 8):
                if u[3] >= 6:
                    fail("control message Ns=%d never acknowledged" % u[0])
                # Refresh Nr: it acknowledges everything received since.
                pkt = bytearray(u[1])
                struct.pack_into("!H", pkt, 10, self.nr)
                self.sock.sendto(bytes(pkt), self.peer)
                u[2] = now
                u[3] += 1
                self.counters["retransmits"] += 1

    def receive(self, timeout):
        """Reads datagrams for up to `timeout` s, handling acks; queues messages and frames."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.sock], [], [], min(left, 0.1))
            self.retransmit()
            if not r:
                if self.ack_due:
                    self.send_zlb()
                continue
            pkt, src = self.sock.recvfrom(4096)
            if src[0] != self.peer[0]:
                continue
            self.peer = src  # the LNS may answer from another port (§8.1); we keep to it
            try:
                flags, tid, sid, ns, nr, payload = parse_l2tp(pkt)
            except (ValueError, struct.error) as e:
                fail("unparsable datagram from the LNS: %s" % e)
            if not flags & T_BIT:
                if tid != self.local_tid or sid != self.local_sid:
                    fail("data message for %d/%d, ours is %d/%d" % (tid, sid, self.local_tid, self.local_sid))
                if payload[:2] == b"\xff\x03":
                    payload = payload[2:]
                proto, = struct.unpack("!H", payload[:2])
                self.ppp_in.append((proto, payload[2:]))
                self.handle_ppp_background()
                continue
            if ns is None:
                fail("control message without sequence numbers")
            self.unacked = [u for u in self.unacked if not seq_lt(u[0], nr)]
            if not payload:
                continue  # ZLB
            if ns != self.nr:
                self.counters["duplicates"] += 1
                self.send_zlb()  # a retransmission: our ack was lost (RFC 2661 §5.8: ack duplicates)
                mt = struct.unpack("!H", payload[6:8])[0] if len(payload) >= 8 else None
                log("rx_duplicate", msg=MSG_NAMES.get(mt, mt), ns=ns, nr=nr, expected_ns=self.nr)
                continue
            self.nr = (self.nr + 1) & 0xFFFF
            self.ack_due = True
            try:
                avps = parse_avps(payload, self.args.secret.encode())
            except ValueError as e:
                fail(str(e))
            mt, = struct.unpack("!H", avps[A_MSG])
            log("rx", msg=MSG_NAMES.get(mt, mt), ns=ns, nr=nr)
            if mt == HELLO:
                continue
            self.ctl_in.append((mt, avps))
        if self.ack_due:
            self.send_zlb()

    def expect_ctl(self, want, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            while self.ctl_in:
                mt, avps = self.ctl_in.pop(0)
                if mt == want:
                    return avps
                if mt in (STOPCCN, CDN):
                    rc = avps.get(A_RESULT, b"")
                    fail("the LNS sent %s (result %s) while waiting for %s" % (
                        MSG_NAMES[mt], rc.hex(), MSG_NAMES.get(want, want)))
            self.receive(0.05)
        fail("no %s within %ss" % (MSG_NAMES.get(want, want), timeout))

    def acked(self):
        return not self.unacked

    # --- tunnel and call ------------------------------------------------------------
    def open_tunnel(self):
        secret = self.args.secret.encode()
        challenge = os.urandom(16)
        avps = [avp(A_PROTO, u16(0x0100)), avp(A_HOST, self.args.host_name.encode()),
                avp(A_FRAMING, u32(3)), avp(A_TUNNEL, u16(self.local_tid)), avp(A_RWS, u16(4)),
                avp(A_VENDOR, b"l2tpx-scapy-lac", False), avp(A_FIRMWARE, u16(0x0100), False)]
        if secret:
            avps.append(avp(A_CHALLENGE, challenge))
        self.send_ctl(SCCRQ, avps)
        a = self.expect_ctl(SCCRP)
        self.peer_tid, = struct.unpack("!H", a[A_TUNNEL])
        reply = []
        if secret:
            want = hashlib.md5(bytes([SCCRP]) + secret + challenge).digest()
            if a.get(A_CHAL_RESP) != want:
                fail("the LNS's Challenge Response is wrong or missing")
            if A_CHALLENGE not in a:
                fail("the LNS did not challenge us although a secret is configured")
            reply.append(avp(A_CHAL_RESP, hashlib.md5(bytes([SCCCN]) + secret + a[A_CHALLENGE]).digest()))
        self.send_ctl(SCCCN, reply)
        self.wait_acked("SCCCN")
        log("tunnel_up", local=self.local_tid, peer=self.peer_tid, host=a.get(A_HOST, b"").decode())

    def wait_acked(self, what, timeout=10):
        end = time.monotonic() + timeout
        while not self.acked():
            if time.monotonic() > end:
                fail("%s not acknowledged" % what)
            self.receive(0.05)

    def place_call(self):
        self.send_ctl(ICRQ, [avp(A_SESSION, u16(self.local_sid)), avp(A_SERIAL, u32(1)),
                             avp(A_BEARER_TYPE, u32(2))])
        a = self.expect_ctl(ICRP)
        self.peer_sid, = struct.unpack("!H", a[A_SESSION])
        self.send_ctl(ICCN, [avp(A_TX_SPEED, u32(100000000)), avp(A_FRAMING_TYPE, u32(1))], sid=self.peer_sid)
        if self.args.eager_lcp:
            # As pppd behind a real LAC does: LCP starts with the ICCN, not after its ack.
            self.lcp_request()
        self.wait_acked("ICCN")
        log("call_up", local=self.local_sid, peer=self.peer_sid)

    # --- PPP ------------------------------------------------------------------------
    @staticmethod
    def options(data):
        out = []
        i = 0
        while i + 2 <= len(data):
            t, ln = data[i], data[i + 1]
            if ln < 2 or i + ln > len(data):
                raise ValueError("bad option")
            out.append((t, data[i + 2:i + ln]))
            i += ln
        return out

    @staticmethod
    def cp(code, ident, data=b""):
        return bytes([code, ident]) + u16(4 + len(data)) + data

    def lcp_request(self):
        self.send_ppp(P_LCP, self.cp(1, self.lcp_id, bytes([5, 6]) + u32(self.magic)))
        self.lcp_requests_sent += 1
        self.lcp_last_request = time.monotonic()

    def handle_lcp(self, p):
        code, ident = p[0], p[1]
        data = p[4:struct.unpack("!H", p[2:4])[0]]
        if code == 1:  # Configure-Request
            nak = b""
            for t, v in self.options(data):
                if t == 3:  # Authentication-Protocol
                    proto = struct.unpack("!H", v[:2])[0]
                    want = self.args.auth
                    if want == "pap" and proto != P_PAP:
                        nak += bytes([3, 4]) + u16(P_PAP)
                    elif want == "chap" and (proto != P_CHAP or v[2:3] != b"\x05"):
                        nak += bytes([3, 5]) + u16(P_CHAP) + b"\x05"
                    else:
                        self.lns_auth = want
            if nak:
                self.send_ppp(P_LCP, self.cp(3, ident, nak))
            else:
                self.send_ppp(P_LCP, self.cp(2, ident, data))
                self.lcp_theirs_acked = True
        elif code == 2 and ident == self.lcp_id:
            self.lcp_ours_acked = True
        elif code in (3, 4):
            fail("the LNS refused our LCP Configure-Request (code %d)" % code)
        elif code == 5:  # Terminate-Request
            self.send_ppp(P_LCP, self.cp(6, ident))
            self.terminated = True
            log("lcp_terminated")
        elif code == 9:  # Echo-Request
            self.send_ppp(P_LCP, self.cp(10, ident, u32(self.magic) + data[4:]))
            self.counters["echo_replies_sent"] += 1

    def handle_ppp_background(self):
        """Frames answered whatever the phase: LCP, and Protocol-Reject for the unknown."""
        keep = []
        for proto, p in self.ppp_in:
            if proto == P_LCP:
                self.handle_lcp(p)
            elif proto in (P_PAP, P_CHAP, P_IPCP, P_IP) or (self.args.ipv6 and proto in (P_IPV6CP, P_IPV6)):
                keep.append((proto, p))
            else:  # IPv6CP, CCP, ...: not run here
                self.send_ppp(P_LCP, self.cp(8, random.randint(1, 255), u16(proto) + p[:64]))
                self.counters["protocol_rejects_sent"] += 1
        self.ppp_in = keep

    def take(self, proto):
        for i, (pr, p) in enumerate(self.ppp_in):
            if pr == proto:
                del self.ppp_in[i]
                return p
        return None

    def run_lcp(self, timeout=15):
        end = time.monotonic() + timeout
        while not (self.lcp_ours_acked and self.lcp_theirs_acked):
            if time.monotonic() > end:
                fail("LCP did not open (ours acked %s, theirs acked %s)" % (self.lcp_ours_acked,
                                                                             self.lcp_theirs_acked))
            if not self.lcp_ours_acked and time.monotonic() - self.lcp_last_request > 1:
                self.lcp_request()
            self.receive(0.05)
        if self.args.eager_lcp and self.lcp_requests_sent != 1:
            fail("the LNS lost our first LCP Configure-Request, sent with the ICCN (%d sent): "
                 "the session was not in the dataplane yet" % self.lcp_requests_sent)
        if self.lns_auth != self.args.auth:
            fail("the LNS did not agree to %s" % self.args.auth)
        log("lcp_up", auth=self.lns_auth)

    def run_auth(self, timeout=15):
        user, pw = self.args.user.encode(), self.args.password.encode()
        end = time.monotonic() + timeout
        last = 0
        ident = 1
        while not self.auth_ok:
            if time.monotonic() > end:
                fail("%s did not succeed" % self.args.auth)
            if self.args.auth == "pap" and time.monotonic() - last > 1:
                self.send_ppp(P_PAP, self.cp(1, ident, bytes([len(user)]) + user + bytes([len(pw)]) + pw))
                last = time.monotonic()
            self.receive(0.05)
            p = self.take(P_PAP if self.args.auth == "pap" else P_CHAP)
            while p is not None:
                code = p[0]
                if self.args.auth == "pap":
                    if code == 2:
                        self.auth_ok = True
                    elif code == 3:
                        fail("PAP refused: %r" % p[5:])
                else:
                    if code == 1:  # Challenge: MD5(id, secret, challenge)
                        vlen = p[4]
                        chal = p[5:5 + vlen]
                        resp = hashlib.md5(bytes([p[1]]) + pw + chal).digest()
                        self.send_ppp(P_CHAP, self.cp(2, p[1], bytes([16]) + resp + user))
                    elif code == 3:
                        self.auth_ok = True
                    elif code == 4:
                        fail("CHAP refused")
                p = self.take(P_PAP if self.args.auth == "pap" else P_CHAP)
        log("auth_ok", method=self.args.auth)

    def run_ipcp(self, timeout=15):
        end = time.monotonic() + timeout
        last = 0
        ident = 1
        while not (self.ipcp_ours_acked and self.ipcp_theirs_acked):
            if time.monotonic() > end:
                fail("IPCP did not open (address %s)" % self.address)
            if not self.ipcp_ours_acked and time.monotonic() - last > 1:
                ident += 1
                self.send_ppp(P_IPCP, self.cp(1, ident, bytes([3, 6]) + socket.inet_aton(self.address)))
                last = time.monotonic()
            self.receive(0.05)
            p = self.take(P_IPCP)
            while p is not None:
                code, pid = p[0], p[1]
                data = p[4:struct.unpack("!H", p[2:4])[0]]
                if code == 1:
                    self.send_ppp(P_IPCP, self.cp(2, pid, data))
                    self.ipcp_theirs_acked = True
                    for t, v in self.options(data):
                        if t == 3:
                            self.gateway = socket.inet_ntoa(v)
                elif code == 2 and pid == ident:
                    self.ipcp_ours_acked = True
                elif code == 3 and pid == ident:
                    for t, v in self.options(data):
                        if t == 3:
                            self.address = socket.inet_ntoa(v)
                    last = 0  # ask again at once with the suggested address
                elif code == 4:
                    fail("the LNS rejected our IPCP options")
                p = self.take(P_IPCP)
        log("ipcp_up", address=self.address, gateway=getattr(self, "gateway", None))

    def ping(self, target, count, timeout=2, tries=3):
        """Echo requests to `target`; each seq is retried (the dataplane may drop the first
        packets while it resolves the core next hop). Returns the seqs answered."""
        replies = 0
        ident = random.randint(1, 0xFFFF)
        for seq in range(count):
            got = False
            for attempt in range(tries):
                pkt = IP(src=self.address, dst=target, ttl=64) / ICMP(type=8, id=ident, seq=seq) / (b"l2tpx-e2e" * 4)
                self.send_ppp(P_IP, bytes(pkt))
                end = time.monotonic() + timeout
                while not got and time.monotonic() < end:
                    self.receive(0.05)
                    p = self.take(P_IP)
                    while p is not None:
                        ip = IP(p)
                        if (ip.haslayer(ICMP) and ip[ICMP].type == 0 and ip[ICMP].id == ident and
                                ip[ICMP].seq == seq and ip.src == target and ip.dst == self.address):
                            got = True
                        p = self.take(P_IP)
                if got:
                    break
            if got:
                replies += 1
            log("ping", seq=seq, reply=got, attempts=attempt + 1)
        return replies

    # --- IPv6 (tests/interop/ipv6_lns.sh) -------------------------------------------------
    def run_ipv6cp(self, timeout=15):
        """IPv6CP (RFC 5072): our Interface-Identifier (taken from the LNS's Nak if it
        suggests another), the LNS's acknowledged as it asks."""
        self.iid = random.getrandbits(64) | 1
        self.lns_iid = None
        ours_acked = theirs_acked = False
        end = time.monotonic() + timeout
        last = 0
        ident = 0x40
        while not (ours_acked and theirs_acked):
            if time.monotonic() > end:
                fail("IPv6CP did not open (ours acked %s, theirs acked %s)" % (ours_acked, theirs_acked))
            if not ours_acked and time.monotonic() - last > 1:
                ident += 1
                self.send_ppp(P_IPV6CP, self.cp(1, ident, bytes([1, 10]) + struct.pack("!Q", self.iid)))
                last = time.monotonic()
            self.receive(0.05)
            p = self.take(P_IPV6CP)
            while p is not None:
                code, pid = p[0], p[1]
                data = p[4:struct.unpack("!H", p[2:4])[0]]
                if code == 1:
                    for t, v in self.options(data):
                        if t == 1:
                            self.lns_iid, = struct.unpack("!Q", v)
                    self.send_ppp(P_IPV6CP, self.cp(2, pid, data))
                    theirs_acked = True
                elif code == 2 and pid == ident:
                    ours_acked = True
                elif code == 3 and pid == ident:
                    for t, v in self.options(data):
                        if t == 1:
                            self.iid, = struct.unpack("!Q", v)
                    last = 0
                elif code == 4:
                    fail("the LNS rejected our IPv6CP options")
                p = self.take(P_IPV6CP)
        if not self.lns_iid:
            fail("the LNS sent no Interface-Identifier")
        self.ll = "fe80::%x:%x:%x:%x" % tuple((self.iid >> s) & 0xFFFF for s in (48, 32, 16, 0))
        self.lns_ll = "fe80::%x:%x:%x:%x" % tuple((self.lns_iid >> s) & 0xFFFF for s in (48, 32, 16, 0))
        log("ipv6cp_up", link_local=self.ll, lns_link_local=self.lns_ll)

    def take_ipv6(self, match, timeout):
        """The first IPv6 packet (scapy) for which match() holds, within timeout s."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.receive(0.05)
            p = self.take(P_IPV6)
            while p is not None:
                pkt = IPv6(p)
                if match(pkt):
                    return pkt
                p = self.take(P_IPV6)
        return None

    def run_slaac(self, timeout=10):
        """Router Solicitation → Router Advertisement from the LNS's link-local address with
        the prefix (A flag) and the MTU; the address is prefix + our interface identifier.
        Then NS for the LNS's link-local address → NA."""
        rs = IPv6(src=self.ll, dst="ff02::2", hlim=255) / ICMPv6ND_RS()
        self.send_ppp(P_IPV6, bytes(rs))
        ra = self.take_ipv6(lambda x: x.haslayer(ICMPv6ND_RA), timeout)
        if ra is None:
            fail("no Router Advertisement within %ss of our Router Solicitation" % timeout)
        if ra.src != self.lns_ll or ra.dst != "ff02::1" or ra.hlim != 255:
            fail("RA from %s to %s hop limit %d" % (ra.src, ra.dst, ra.hlim))
        if ra[ICMPv6ND_RA].M or ra[ICMPv6ND_RA].O or ra[ICMPv6ND_RA].routerlifetime == 0:
            fail("RA flags M=%d O=%d lifetime %d" % (ra[ICMPv6ND_RA].M, ra[ICMPv6ND_RA].O,
                                                       ra[ICMPv6ND_RA].routerlifetime))
        if not ra.haslayer(ICMPv6NDOptPrefixInfo) or not ra.haslayer(ICMPv6NDOptMTU):
            fail("RA without Prefix Information or MTU: %r" % ra)
        pi = ra[ICMPv6NDOptPrefixInfo]
        if pi.prefixlen != 64 or not pi.A:
            fail("prefix %s/%d A=%d" % (pi.prefix, pi.prefixlen, pi.A))
        net = socket.inet_pton(socket.AF_INET6, pi.prefix)[:8]
        self.address6 = socket.inet_ntop(socket.AF_INET6, net + struct.pack("!Q", self.iid))
        self.prefix6 = "%s/%d" % (pi.prefix, pi.prefixlen)
        dns = list(ra[ICMPv6NDOptRDNSS].dns) if ra.haslayer(ICMPv6NDOptRDNSS) else []
        log("slaac", prefix=self.prefix6, address=self.address6, mtu=ra[ICMPv6NDOptMTU].mtu,
            router_lifetime=ra[ICMPv6ND_RA].routerlifetime, dns=dns)
        if self.args.expect_prefix6 and not self.address6.startswith(self.args.expect_prefix6):
            fail("prefix %s is not from the pool %s" % (self.prefix6, self.args.expect_prefix6))
        ns = IPv6(src=self.ll, dst=self.lns_ll, hlim=255) / ICMPv6ND_NS(tgt=self.lns_ll)
        self.send_ppp(P_IPV6, bytes(ns))
        na = self.take_ipv6(lambda x: x.haslayer(ICMPv6ND_NA), timeout)
        if na is None or na[ICMPv6ND_NA].tgt != self.lns_ll or not na[ICMPv6ND_NA].S or not na[ICMPv6ND_NA].R:
            fail("no solicited Neighbor Advertisement for %s: %r" % (self.lns_ll, na))
        log("nd_ok", target=self.lns_ll)

    def ping6(self, target, count, timeout=2, tries=3):
        replies = 0
        ident = random.randint(1, 0xFFFF)
        for seq in range(count):
            got = False
            for attempt in range(tries):
                pkt = IPv6(src=self.address6, dst=target, hlim=64) / ICMPv6EchoRequest(id=ident, seq=seq,
                                                                                       data=b"l2tpx-v6" * 4)
                self.send_ppp(P_IPV6, bytes(pkt))
                got = self.take_ipv6(lambda x: (x.haslayer(ICMPv6EchoReply) and x[ICMPv6EchoReply].id == ident and
                                                x[ICMPv6EchoReply].seq == seq and x.src == target and
                                                x.dst == self.address6), timeout) is not None
                if got:
                    break
            replies += got
            log("ping6", seq=seq, reply=got, attempts=attempt + 1)
        return replies

    # --- hold mode (tests/interop/restart_lns.sh) ----------------------------------------
    def hold(self, fifo_path, target):
        """Keeps the tunnel and session alive (acks, HELLOs, LCP Echo-Replies) and serves
        commands, one per line, from the FIFO: `ping N` (N echoes to the --ping target,
        logged as hold_ping), `status` (counters), `quit`. A StopCCN from the LNS is
        logged with its result code and acknowledged, then the LAC exits 0; a CDN is
        logged and the tunnel kept."""
        fd = os.open(fifo_path, os.O_RDWR | os.O_NONBLOCK)  # RDWR: no EOF when writers close
        buf = b""
        log("holding", tunnel=self.local_tid, session=self.local_sid, address=self.address)
        while True:
            self.receive(0.1)
            self.handle_ppp_background()
            self.ppp_in = [(pr, p) for pr, p in self.ppp_in if pr not in (P_IP, P_IPV6)]  # stray replies, RAs
            while self.ctl_in:
                mt, avps = self.ctl_in.pop(0)
                rc = avps.get(A_RESULT, b"")
                result = {"result": struct.unpack("!H", rc[:2])[0] if len(rc) >= 2 else None,
                          "error": struct.unpack("!H", rc[2:4])[0] if len(rc) >= 4 else None,
                          "message": rc[4:].decode(errors="replace")}
                if mt == STOPCCN:
                    log("stopccn", assigned_tunnel=struct.unpack("!H", avps[A_TUNNEL])[0] if A_TUNNEL in avps
                        else None, **result)
                    self.receive(1.0)  # acks it (ZLB) and re-acks retransmissions
                    log("done", address=self.address, stopped_by_lns=True, **self.counters)
                    sys.exit(0)
                if mt == CDN:
                    log("cdn", **result)
                    self.peer_sid = 0
                else:
                    log("rx_other", msg=MSG_NAMES.get(mt, mt))
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                chunk = b""
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                words = line.decode().split()
                if not words:
                    continue
                if words[0] == "ping":
                    n = int(words[1]) if len(words) > 1 else 3
                    got = self.ping(target, n) if self.peer_sid else 0
                    log("hold_ping", count=n, replies=got)
                elif words[0] == "status":
                    log("status", session=self.peer_sid, **self.counters)
                elif words[0] == "quit":
                    log("done", address=self.address, stopped_by_lns=False, **self.counters)
                    sys.exit(0)
                else:
                    log("unknown_command", line=line.decode())

    # --- teardown -------------------------------------------------------------------
    def stop_tunnel(self):
        self.send_ctl(STOPCCN, [avp(A_TUNNEL, u16(self.local_tid)), avp(A_RESULT, u16(1))])
        self.wait_acked("StopCCN")
        log("tunnel_stopped")


def mgmt(path, cmd, args=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall((json.dumps({"v": 1, "id": 1, "cmd": cmd, "args": args or {}}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    r = json.loads(buf)
    if not r.get("ok"):
        fail("mgmt %s: %s" % (cmd, r.get("error")))
    return r["result"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lns", required=True)
    ap.add_argument("--local", required=True)
    ap.add_argument("--local-port", type=int, default=1701)
    ap.add_argument("--host-name", default="scapy-lac")
    ap.add_argument("--secret", default="")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--auth", choices=["pap", "chap"], default="chap")
    ap.add_argument("--ping", required=True, help="address behind the LNS's core port")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--mgmt", help="management socket: check show sessions / clear session")
    ap.add_argument("--expect-hidden", action="store_true", help="fail unless the LNS hides some AVP")
    ap.add_argument("--eager-lcp", action="store_true",
                    help="send LCP Configure-Request with the ICCN; fail unless the first one is answered")
    ap.add_argument("--expect-pool", help="prefix the address must start with, e.g. 100.64.0.")
    ap.add_argument("--ipv6", metavar="TARGET6",
                    help="also run IPv6CP, SLAAC from the LNS's RA and ICMPv6 echoes to TARGET6")
    ap.add_argument("--expect-prefix6", help="the SLAAC address must start with this, e.g. 2001:db8:100:")
    ap.add_argument("--hold", metavar="FIFO",
                    help="after the pings, keep the call up and take commands from FIFO (see Lac.hold)")
    a = ap.parse_args()

    lac = Lac(a)
    lac.open_tunnel()
    lac.place_call()
    lac.run_lcp()
    lac.run_auth()
    lac.run_ipcp()
    if a.expect_pool and not lac.address.startswith(a.expect_pool):
        fail("address %s is not from the pool %s" % (lac.address, a.expect_pool))
    replies = lac.ping(a.ping, a.count)
    if replies != a.count:
        fail("%d of %d echo requests answered through the tunnel" % (replies, a.count))
    if a.ipv6:
        lac.run_ipv6cp()
        lac.run_slaac()
        replies6 = lac.ping6(a.ipv6, a.count)
        if replies6 != a.count:
            fail("%d of %d ICMPv6 echo requests answered through the tunnel" % (replies6, a.count))
        if a.mgmt:
            s = mgmt(a.mgmt, "show session", {"id": lac.peer_sid, "tunnel": lac.peer_tid})
            log("show_session", session=s)
    if a.hold:
        lac.hold(a.hold, a.ping)
    if a.mgmt:
        rows = mgmt(a.mgmt, "show sessions")["rows"]
        mine = [r for r in rows if r[1] == lac.peer_sid]
        if not mine or lac.address not in mine[0]:
            fail("show sessions does not list session %d with %s: %r" % (lac.peer_sid, lac.address, rows))
        t = mgmt(a.mgmt, "show tunnel", {"id": lac.peer_tid})
        if t.get("peer_id") != lac.local_tid or t.get("state") != "established":
            fail("show tunnel: %r" % t)
        log("mgmt_ok", sessions=len(rows))
        # An operator clears the session: LCP Terminate, then CDN.
        mgmt(a.mgmt, "clear session", {"id": lac.peer_sid, "tunnel": lac.peer_tid})
        lac.expect_ctl(CDN, timeout=15)
        if not lac.terminated:
            fail("CDN without an LCP Terminate-Request first")
        log("session_cleared")
    lac.stop_tunnel()
    if a.expect_hidden and not HIDDEN_SEEN:
        fail("the LNS hid no AVP although hide_avps is on")
    log("done", address=lac.address, replies=replies, hidden_avps=sorted(HIDDEN_SEEN), **lac.counters)


if __name__ == "__main__":
    main()
