#!/usr/bin/python3
"""A pppd stand-in for xl2tpd on machines without kernel PPP.

xl2tpd runs `pppd <pty> passive nodetach <local:remote | :> ... file <optfile>` with the pty
slave on stdin/stdout. This program speaks async-HDLC PPP (RFC 1662: 0x7e flags, 0x7d
escapes under the negotiated ACCM, FCS-16) on that pty as a PPP *client*:

  LCP   negotiates MRU and magic number, acks the peer's PAP demand, answers Echo-Request,
        Protocol-Rejects what it does not speak, Terminate-Acks
  PAP / CHAP-MD5  authenticates with a user name and password (RFC 1334 / RFC 1994)
  IPCP  asks for an address (and DNS servers) and acks the peer's address
  IPV6CP  when the peer starts it: negotiates interface identifiers (RFC 5072)
  ICMP  optionally pings the peer (or a given address) and answers echo requests to itself

It writes a JSON status file at every state change (atomically) and a text log.

Settings, in increasing priority: pppd options (`user NAME`, `password PW`, also read from
the `file OPTFILE`), directives in the optfile written as pppd comments so that a real pppd
ignores them (`# l2tpx-standin: KEY VALUE`), and environment variables:

  key          env                     meaning
  user         L2TPX_PPP_USER          PAP user name (default "test")
  password     L2TPX_PPP_PASSWORD      PAP password / CHAP secret (default "test")
  auth         L2TPX_PPP_AUTH          what to accept when the peer demands authentication:
                                       "any" (PAP or CHAP-MD5, as asked), "pap" (Nak CHAP
                                       with PAP), "chap" (Nak PAP with CHAP-MD5)
                                       (default "any")
  status       L2TPX_PPP_STATUS        status file (JSON); none by default
  log          L2TPX_PPP_LOG           log file; stderr by default
  ipv6         L2TPX_PPP_IPV6          "passive": answer the peer's IPV6CP and negotiate
                                       interface identifiers; "no": Protocol-Reject it
                                       (default "passive")
  ping         L2TPX_PPP_PING          echo requests to send once IPCP is up (default 0)
  ping-target  L2TPX_PPP_PING_TARGET   address to ping (default: the peer's IPCP address)
  hold         L2TPX_PPP_HOLD          seconds to stay up after the pings, then terminate
                                       the link (LCP Terminate-Request) and exit; 0 = stay
                                       until SIGTERM/hangup (default 0)
  timeout      L2TPX_PPP_TIMEOUT       give up when IPCP is not up after this many seconds
                                       (default 30)

Exit status: 0 after a clean termination that followed IPCP-up, 1 otherwise.
"""

import hashlib
import json
import os
import select
import signal
import struct
import sys
import termios
import time
import tty

PPP_LCP = 0xC021
PPP_PAP = 0xC023
PPP_CHAP = 0xC223
PPP_IPCP = 0x8021
PPP_IPV6CP = 0x8057
PPP_IP = 0x0021
PPP_IPV6 = 0x0057

CONF_REQ, CONF_ACK, CONF_NAK, CONF_REJ = 1, 2, 3, 4
TERM_REQ, TERM_ACK, CODE_REJ, PROTO_REJ = 5, 6, 7, 8
ECHO_REQ, ECHO_REP, DISCARD_REQ = 9, 10, 11

LCP_MRU, LCP_ACCM, LCP_AUTH, LCP_MAGIC, LCP_PFC, LCP_ACFC = 1, 2, 3, 5, 7, 8
IPCP_ADDR, IPCP_DNS1, IPCP_DNS2 = 3, 129, 131
IPV6CP_IFID = 1

RESTART_S = 3.0
MAX_CONFIGURE = 10


# --- async HDLC (RFC 1662) -------------------------------------------------------------

def _fcs_table():
    table = []
    for b in range(256):
        v = b
        for _ in range(8):
            v = (v >> 1) ^ 0x8408 if v & 1 else v >> 1
        table.append(v)
    return table


FCS_TABLE = _fcs_table()


def fcs16(data, fcs=0xFFFF):
    for b in data:
        fcs = (fcs >> 8) ^ FCS_TABLE[(fcs ^ b) & 0xFF]
    return fcs


def hdlc_encode(frame, accm):
    """frame: address/control + protocol + information. Returns the escaped, flagged bytes."""
    fcs = fcs16(frame) ^ 0xFFFF
    raw = frame + struct.pack("<H", fcs)
    out = bytearray(b"\x7e")
    for b in raw:
        if b in (0x7E, 0x7D) or (b < 0x20 and accm & (1 << b)):
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    out.append(0x7E)
    return bytes(out)


class HdlcDecoder:
    """Splits a byte stream into frames; drops frames with a bad FCS (counted)."""

    def __init__(self):
        self.buf = bytearray()
        self.escaped = False
        self.bad_fcs = 0

    def feed(self, data):
        frames = []
        for b in data:
            if b == 0x7E:
                if len(self.buf) >= 4:
                    if fcs16(self.buf) == 0xF0B8:
                        frames.append(bytes(self.buf[:-2]))
                    else:
                        self.bad_fcs += 1
                self.buf.clear()
                self.escaped = False
            elif b == 0x7D:
                self.escaped = True
            else:
                self.buf.append(b ^ 0x20 if self.escaped else b)
                self.escaped = False
        return frames


def split_ppp(frame):
    """Returns (protocol, payload) of a PPP frame with or without ACFC/PFC, or None."""
    if frame[:2] == b"\xff\x03":
        frame = frame[2:]
    if not frame:
        return None
    if frame[0] & 1:  # compressed protocol field
        return frame[0], frame[1:]
    if len(frame) < 2:
        return None
    return (frame[0] << 8) | frame[1], frame[2:]


def parse_options(data):
    opts = []
    while len(data) >= 2:
        t, ln = data[0], data[1]
        if ln < 2 or ln > len(data):
            return None
        opts.append((t, data[2:ln]))
        data = data[ln:]
    return opts if not data else None


def build_options(opts):
    return b"".join(bytes((t, len(v) + 2)) + v for t, v in opts)


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_str(b):
    return ".".join(str(x) for x in b)


def ip_bytes(s):
    parts = [int(x) for x in s.split(".")]
    if len(parts) != 4 or any(p < 0 or p > 255 for p in parts):
        raise ValueError("bad IPv4 address %r" % s)
    return bytes(parts)


# --- settings ----------------------------------------------------------------------------

def load_settings(argv):
    s = {"user": "test", "password": "test", "auth": "any", "ipv6": "passive", "status": "", "log": "", "ping": "0",
         "ping-target": "", "hold": "0", "timeout": "30", "tty": ""}
    args = list(argv)
    optfiles = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("/dev/"):
            s["tty"] = a
        elif a in ("user", "password") and i + 1 < len(args):
            s[a] = args[i + 1]
            i += 1
        elif a == "file" and i + 1 < len(args):
            optfiles.append(args[i + 1])
            i += 1
        i += 1
    for path in optfiles:
        try:
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("# l2tpx-standin:"):
                        kv = line[len("# l2tpx-standin:"):].split(None, 1)
                        if len(kv) == 2 and kv[0] in s:
                            s[kv[0]] = kv[1].strip()
                        continue
                    words = line.split(None, 1)
                    if len(words) == 2 and words[0] in ("user", "password"):
                        s[words[0]] = words[1].strip().strip('"')
        except OSError:
            pass
    for key in list(s):
        env = "L2TPX_PPP_" + key.upper().replace("-", "_")
        if env in os.environ:
            s[key] = os.environ[env]
    return s


def check_settings(s):
    """Returns an error message for the first bad setting, or None."""
    choices = {"auth": ("any", "pap", "chap"), "ipv6": ("passive", "no")}
    for key, allowed in choices.items():
        if s[key] not in allowed:
            return "%s must be one of %s, not %r" % (key, "/".join(allowed), s[key])
    for key, conv in (("ping", int), ("hold", float), ("timeout", float)):
        try:
            if conv(s[key]) < 0:
                raise ValueError
        except ValueError:
            return "%s must be a number >= 0, not %r" % (key, s[key])
    if s["ping-target"]:
        try:
            ip_bytes(s["ping-target"])
        except ValueError:
            return "ping-target must be an IPv4 address, not %r" % s["ping-target"]
    return None


# --- the PPP client ----------------------------------------------------------------------

class Link:
    def __init__(self, settings, fd):
        self.s = settings
        self.fd = fd
        self.log_f = open(settings["log"], "a", buffering=1) if settings["log"] else sys.stderr
        self.dec = HdlcDecoder()
        self.tx_accm = 0xFFFFFFFF  # until LCP is up, escape every control character
        self.magic = struct.unpack("!I", os.urandom(4))[0] or 1
        self.ident = 0
        self.req_id = {}  # protocol -> identifier of our outstanding request
        self.start = time.monotonic()
        # LCP
        self.lcp_opts = [(LCP_MRU, struct.pack("!H", 1400)), (LCP_MAGIC, struct.pack("!I", self.magic))]
        self.lcp_acked = self.lcp_ack_sent = False
        self.lcp_tries = 0
        self.lcp_next = 0.0
        self.peer_auth = None
        # PAP / CHAP
        self.auth_ok = False
        self.chap_responses = 0
        self.pap_tries = 0
        self.pap_next = 0.0
        # IPCP
        self.ipcp_addr = b"\0\0\0\0"
        self.ipcp_opts = [IPCP_ADDR, IPCP_DNS1, IPCP_DNS2]
        self.dns = {IPCP_DNS1: b"\0\0\0\0", IPCP_DNS2: b"\0\0\0\0"}
        self.ipcp_acked = self.ipcp_ack_sent = False
        self.ipcp_tries = 0
        self.ipcp_next = 0.0
        self.peer_addr = None
        # IPV6CP (started when the peer starts it)
        self.ifid = os.urandom(8)
        self.peer_ifid = None
        self.v6_started = self.v6_acked = self.v6_ack_sent = False
        self.v6_tries = 0
        self.v6_next = 0.0
        # ICMP
        self.ping_total = int(settings["ping"])
        self.ping_sent = self.ping_replies = self.echo_answered = 0
        self.ping_next = 0.0
        self.ping_id = os.getpid() & 0xFFFF
        self.up_since = None
        self.state = "starting"
        self.terminating = False
        self.counters = {"rx_frames": 0, "tx_frames": 0, "protocol_rejects_sent": 0, "rx_ipv6_dropped": 0}

    # logging and status
    def log(self, msg):
        self.log_f.write("%.3f pppd-standin[%d]: %s\n" % (time.monotonic() - self.start, os.getpid(), msg))

    def write_status(self):
        if not self.s["status"]:
            return
        st = {
            "state": self.state,
            "lcp_up": self.lcp_up(),
            "auth_ok": self.auth_ok,
            "auth_protocol": {PPP_PAP: "pap", PPP_CHAP: "chap-md5", None: "none"}.get(self.peer_auth),
            "ipcp_up": self.ipcp_up(),
            "ipv6cp_up": self.v6_acked and self.v6_ack_sent,
            "local_ifid": self.ifid.hex() if self.v6_acked else None,
            "peer_ifid": self.peer_ifid.hex() if self.peer_ifid else None,
            "local_address": ip_str(self.ipcp_addr) if self.ipcp_up() else None,
            "peer_address": ip_str(self.peer_addr) if self.peer_addr else None,
            "dns": [ip_str(v) for v in self.dns.values() if v != b"\0\0\0\0"],
            "echo_requests_sent": self.ping_sent,
            "echo_replies": self.ping_replies,
            "echo_requests_answered": self.echo_answered,
            "chap_responses": self.chap_responses,
            "bad_fcs": self.dec.bad_fcs,
            "user": self.s["user"],
            "tty": self.s["tty"],
            "pid": os.getpid(),
        }
        st.update(self.counters)
        tmp = self.s["status"] + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.s["status"])

    def set_state(self, state):
        if state != self.state:
            self.state = state
            self.log("state " + state)
            self.write_status()

    def lcp_up(self):
        return self.lcp_acked and self.lcp_ack_sent

    def ipcp_up(self):
        return self.ipcp_acked and self.ipcp_ack_sent

    # output
    def send(self, proto, payload):
        frame = b"\xff\x03" + struct.pack("!H", proto) + payload
        accm = 0xFFFFFFFF if proto == PPP_LCP else self.tx_accm
        data = hdlc_encode(frame, accm)
        while data:
            try:
                n = os.write(self.fd, data)
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)
                continue
            except OSError as e:  # EIO: xl2tpd closed the pty
                self.finish("pty closed on write (%s)" % e.strerror, 0 if self.up_since else 1)
            data = data[n:]
        self.counters["tx_frames"] += 1

    def send_ctl(self, proto, code, ident, data):
        self.send(proto, struct.pack("!BBH", code, ident, len(data) + 4) + data)

    def next_id(self, proto=None):
        """A fresh identifier; for proto, remembered as the one its answer must carry."""
        self.ident = (self.ident + 1) & 0xFF
        if proto is not None:
            self.req_id[proto] = self.ident
        return self.ident

    # timers
    def tick(self, now):
        if self.terminating:
            return
        if not self.lcp_acked and now >= self.lcp_next:
            if self.lcp_tries >= MAX_CONFIGURE:
                self.fail("LCP: no Configure-Ack after %d requests" % MAX_CONFIGURE)
            self.lcp_tries += 1
            self.lcp_next = now + RESTART_S
            self.send_ctl(PPP_LCP, CONF_REQ, self.next_id(PPP_LCP), build_options(self.lcp_opts))
        if self.lcp_up() and self.peer_auth == PPP_PAP and not self.auth_ok and now >= self.pap_next:
            if self.pap_tries >= MAX_CONFIGURE:
                self.fail("PAP: no answer")
            self.pap_tries += 1
            self.pap_next = now + RESTART_S
            u, p = self.s["user"].encode(), self.s["password"].encode()
            self.send_ctl(PPP_PAP, 1, self.next_id(PPP_PAP), bytes((len(u),)) + u + bytes((len(p),)) + p)
        if self.network_phase() and not self.ipcp_acked and now >= self.ipcp_next:
            if self.ipcp_tries >= MAX_CONFIGURE:
                self.fail("IPCP: no Configure-Ack after %d requests" % MAX_CONFIGURE)
            self.ipcp_tries += 1
            self.ipcp_next = now + RESTART_S
            self.send_ctl(PPP_IPCP, CONF_REQ, self.next_id(PPP_IPCP), self.ipcp_request())
        if self.v6_started and not self.v6_acked and now >= self.v6_next:
            if self.v6_tries >= MAX_CONFIGURE:
                self.fail("IPV6CP: no Configure-Ack after %d requests" % MAX_CONFIGURE)
            self.v6_tries += 1
            self.v6_next = now + RESTART_S
            self.send_ctl(PPP_IPV6CP, CONF_REQ, self.next_id(PPP_IPV6CP), build_options([(IPV6CP_IFID, self.ifid)]))
        if self.ipcp_up() and self.ping_sent < self.ping_total and now >= self.ping_next:
            self.ping_next = now + 1.0
            self.send_ping()

    def network_phase(self):
        return self.lcp_up() and (self.peer_auth is None or self.auth_ok)

    def ipcp_request(self):
        opts = []
        for t in self.ipcp_opts:
            opts.append((t, self.ipcp_addr if t == IPCP_ADDR else self.dns[t]))
        return build_options(opts)

    # input
    def receive(self, frame):
        self.counters["rx_frames"] += 1
        parsed = split_ppp(frame)
        if parsed is None:
            return
        proto, data = parsed
        if proto in (PPP_LCP, PPP_PAP, PPP_CHAP, PPP_IPCP):
            if len(data) < 4:
                return
            code, ident, length = struct.unpack("!BBH", data[:4])
            if length < 4 or length > len(data):
                return
            body = data[4:length]
            if proto == PPP_LCP:
                self.lcp_input(code, ident, body)
            elif proto == PPP_PAP:
                self.pap_input(code, ident, body)
            elif proto == PPP_CHAP:
                self.chap_input(code, ident, body)
            else:
                self.ipcp_input(code, ident, body)
        elif proto == PPP_IPV6CP and self.s["ipv6"] != "no" and len(data) >= 4:
            code, ident, length = struct.unpack("!BBH", data[:4])
            if 4 <= length <= len(data):
                self.ipv6cp_input(code, ident, data[4:length])
        elif proto == PPP_IP:
            self.ip_input(data)
        elif proto == PPP_IPV6 and self.v6_started:
            # e.g. l2tpns's router advertisement, sent before it acks our IPV6CP request
            self.counters["rx_ipv6_dropped"] += 1
        elif self.lcp_up():
            self.counters["protocol_rejects_sent"] += 1
            self.log("protocol 0x%04x rejected" % proto)
            self.send_ctl(PPP_LCP, PROTO_REJ, self.next_id(), struct.pack("!H", proto) + data[:1400])

    def lcp_input(self, code, ident, body):
        if code == CONF_REQ:
            opts = parse_options(body)
            if opts is None:
                return
            rej, nak, auth = [], [], None
            for t, v in opts:
                if t == LCP_MRU and len(v) == 2:
                    continue
                if t == LCP_ACCM and len(v) == 4:
                    continue
                if t == LCP_MAGIC and len(v) == 4:
                    if struct.unpack("!I", v)[0] == self.magic:
                        nak.append((t, struct.pack("!I", self.magic ^ 0x5A5A5A5A)))  # looped back?
                    continue
                if t in (LCP_PFC, LCP_ACFC) and not v:
                    continue
                if t == LCP_AUTH and len(v) >= 2:
                    auth = struct.unpack("!H", v[:2])[0]
                    want = self.acceptable_auth(auth, v[2:])
                    if want is not None:
                        nak.append((LCP_AUTH, want))
                    continue
                rej.append((t, v))
            if rej:
                self.send_ctl(PPP_LCP, CONF_REJ, ident, build_options(rej))
            elif nak:
                self.send_ctl(PPP_LCP, CONF_NAK, ident, build_options(nak))
            else:
                self.send_ctl(PPP_LCP, CONF_ACK, ident, body)
                self.peer_auth = auth
                for t, v in opts:
                    if t == LCP_ACCM:
                        self.tx_accm = struct.unpack("!I", v)[0]
                if not self.lcp_ack_sent:
                    self.lcp_ack_sent = True
                    self.log("LCP: acked the peer's request (auth %s)" % (hex(auth) if auth else "none"))
                self.lcp_maybe_up()
        elif code == CONF_ACK and ident == self.req_id.get(PPP_LCP):
            self.lcp_acked = True
            self.lcp_maybe_up()
        elif code == CONF_NAK and ident == self.req_id.get(PPP_LCP):
            opts = parse_options(body) or []
            for t, v in opts:
                self.lcp_opts = [(ot, v if ot == t else ov) for ot, ov in self.lcp_opts]
            self.lcp_next = 0.0
        elif code == CONF_REJ and ident == self.req_id.get(PPP_LCP):
            rejected = {t for t, _ in parse_options(body) or []}
            self.lcp_opts = [(t, v) for t, v in self.lcp_opts if t not in rejected]
            self.lcp_next = 0.0
        elif code == ECHO_REQ:
            self.send_ctl(PPP_LCP, ECHO_REP, ident, struct.pack("!I", self.magic) + body[4:])
        elif code == TERM_REQ:
            self.log("LCP: peer sent Terminate-Request")
            self.send_ctl(PPP_LCP, TERM_ACK, ident, b"")
            self.finish("terminated by peer", 0 if self.up_since else 1)
        elif code == TERM_ACK and self.terminating:
            self.finish("terminated", 0 if self.up_since else 1)
        elif code == PROTO_REJ or code == CODE_REJ:
            self.log("LCP: peer rejected %s" % body[:4].hex())
        elif code in (ECHO_REP, DISCARD_REQ):
            pass
        else:
            self.send_ctl(PPP_LCP, CODE_REJ, self.next_id(), bytes((code, ident)) +
                          struct.pack("!H", len(body) + 4) + body)

    def acceptable_auth(self, proto, data):
        """None when the demanded protocol is acceptable, else the option value to Nak with."""
        mode = self.s["auth"]
        pap = struct.pack("!H", PPP_PAP)
        chap_md5 = struct.pack("!HB", PPP_CHAP, 5)
        if proto == PPP_PAP and mode in ("any", "pap"):
            return None
        if proto == PPP_CHAP and data == b"\x05" and mode in ("any", "chap"):
            return None
        return chap_md5 if mode == "chap" else pap

    def lcp_maybe_up(self):
        if self.lcp_up() and self.state in ("starting",):
            self.set_state("lcp-up")
            self.pap_next = self.ipcp_next = 0.0

    def pap_input(self, code, ident, body):
        if code == 2 and not self.auth_ok:  # Authenticate-Ack
            self.auth_ok = True
            self.set_state("auth-ok")
            self.ipcp_next = 0.0
        elif code == 3:  # Authenticate-Nak
            msg = body[1:1 + body[0]].decode("ascii", "replace") if body else ""
            self.fail("PAP: authentication refused: %s" % msg)

    def chap_input(self, code, ident, body):
        if self.peer_auth != PPP_CHAP:
            return
        if code == 1:  # Challenge: answer MD5(identifier || secret || challenge) (RFC 1994 4.1)
            if not body or body[0] == 0 or 1 + body[0] > len(body):
                return
            challenge = body[1:1 + body[0]]
            digest = hashlib.md5(bytes((ident,)) + self.s["password"].encode() + challenge).digest()
            self.chap_responses += 1
            self.send_ctl(PPP_CHAP, 2, ident, bytes((len(digest),)) + digest + self.s["user"].encode())
        elif code == 3 and not self.auth_ok:  # Success
            self.auth_ok = True
            self.set_state("auth-ok")
            self.ipcp_next = 0.0
        elif code == 4:  # Failure
            self.fail("CHAP: authentication refused: %s" % body.decode("ascii", "replace"))

    def ipcp_input(self, code, ident, body):
        if not self.network_phase():
            return
        if code == CONF_REQ:
            opts = parse_options(body)
            if opts is None:
                return
            rej = [(t, v) for t, v in opts if not (t == IPCP_ADDR and len(v) == 4)]
            if rej:
                self.send_ctl(PPP_IPCP, CONF_REJ, ident, build_options(rej))
                return
            for t, v in opts:
                self.peer_addr = v
            self.send_ctl(PPP_IPCP, CONF_ACK, ident, body)
            self.ipcp_ack_sent = True
            self.ipcp_maybe_up()
        elif code == CONF_ACK and ident == self.req_id.get(PPP_IPCP):
            self.ipcp_acked = True
            self.ipcp_maybe_up()
        elif code == CONF_NAK and ident == self.req_id.get(PPP_IPCP):
            for t, v in parse_options(body) or []:
                if t == IPCP_ADDR and len(v) == 4:
                    self.ipcp_addr = v
                elif t in self.dns and len(v) == 4:
                    self.dns[t] = v
            self.ipcp_next = 0.0
        elif code == CONF_REJ and ident == self.req_id.get(PPP_IPCP):
            rejected = {t for t, _ in parse_options(body) or []}
            self.ipcp_opts = [t for t in self.ipcp_opts if t not in rejected]
            self.ipcp_next = 0.0
        elif code == TERM_REQ:
            self.send_ctl(PPP_IPCP, TERM_ACK, ident, b"")
            self.ipcp_acked = self.ipcp_ack_sent = False

    def ipv6cp_input(self, code, ident, body):
        if not self.network_phase():
            return
        if code == CONF_REQ:
            opts = parse_options(body)
            if opts is None:
                return
            self.v6_started = True
            rej = [(t, v) for t, v in opts if not (t == IPV6CP_IFID and len(v) == 8)]
            if rej:
                self.send_ctl(PPP_IPV6CP, CONF_REJ, ident, build_options(rej))
                return
            for _, v in opts:
                if v == bytes(8) or v == self.ifid:  # RFC 5072 4.1: suggest a unique one
                    alt = bytes(b ^ 0x5A for b in self.ifid)
                    self.send_ctl(PPP_IPV6CP, CONF_NAK, ident, build_options([(IPV6CP_IFID, alt)]))
                    return
                self.peer_ifid = v
            self.send_ctl(PPP_IPV6CP, CONF_ACK, ident, body)
            self.v6_ack_sent = True
            self.ipv6cp_maybe_up()
        elif code == CONF_ACK and ident == self.req_id.get(PPP_IPV6CP):
            self.v6_acked = True
            self.ipv6cp_maybe_up()
        elif code == CONF_NAK and ident == self.req_id.get(PPP_IPV6CP):
            for t, v in parse_options(body) or []:
                if t == IPV6CP_IFID and len(v) == 8 and v != bytes(8):
                    self.ifid = v
            self.v6_next = 0.0
        elif code == CONF_REJ and ident == self.req_id.get(PPP_IPV6CP):
            self.log("IPV6CP: peer rejected the interface identifier; giving up on IPv6")
            self.v6_started = False
        elif code == TERM_REQ:
            self.send_ctl(PPP_IPV6CP, TERM_ACK, ident, b"")
            self.v6_acked = self.v6_ack_sent = False

    def ipv6cp_maybe_up(self):
        if self.v6_acked and self.v6_ack_sent:
            self.log("IPV6CP up: local fe80::%s peer fe80::%s" % (
                self.ifid.hex(), self.peer_ifid.hex() if self.peer_ifid else "?"))
            self.write_status()

    def ipcp_maybe_up(self):
        if self.ipcp_up() and self.up_since is None:
            self.up_since = time.monotonic()
            self.log("IPCP up: local %s peer %s" % (ip_str(self.ipcp_addr),
                                                     ip_str(self.peer_addr) if self.peer_addr else "?"))
            self.set_state("ipcp-up")

    # IPv4 / ICMP
    def ping_dst(self):
        if self.s["ping-target"]:
            return ip_bytes(self.s["ping-target"])
        return self.peer_addr

    def send_ip(self, dst, proto, payload, ident=0):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                          self.ipcp_addr, dst)
        hdr = hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]
        self.send(PPP_IP, hdr + payload)

    def send_ping(self):
        dst = self.ping_dst()
        if not dst or dst == b"\0\0\0\0":
            self.log("ICMP: no address to ping")
            self.ping_total = 0
            return
        self.ping_sent += 1
        data = b"l2tpx-standin" + struct.pack("!I", self.ping_sent)
        icmp = struct.pack("!BBHHH", 8, 0, 0, self.ping_id, self.ping_sent) + data
        icmp = icmp[:2] + struct.pack("!H", inet_checksum(icmp)) + icmp[4:]
        self.send_ip(dst, 1, icmp, ident=self.ping_sent)
        self.write_status()

    def ip_input(self, pkt):
        if len(pkt) < 20 or pkt[0] >> 4 != 4:
            return
        hlen = (pkt[0] & 0x0F) * 4
        total = struct.unpack("!H", pkt[2:4])[0]
        if hlen < 20 or total < hlen or total > len(pkt) or pkt[9] != 1:
            return
        icmp = pkt[hlen:total]
        if len(icmp) < 8 or inet_checksum(icmp) != 0:
            return
        src, dst = pkt[12:16], pkt[16:20]
        typ, _, _, ident, seq = struct.unpack("!BBHHH", icmp[:8])
        if typ == 0 and ident == self.ping_id:
            self.ping_replies += 1
            self.log("ICMP: echo reply %d from %s" % (seq, ip_str(src)))
            self.write_status()
        elif typ == 8 and dst == self.ipcp_addr:
            rep = b"\0\0\0\0" + icmp[4:]
            rep = rep[:2] + struct.pack("!H", inet_checksum(rep)) + rep[4:]
            self.send_ip(src, 1, rep)
            self.echo_answered += 1
            self.write_status()

    # the end
    def terminate(self, why):
        if self.terminating:
            return
        self.terminating = True
        self.log("terminating: " + why)
        self.set_state("terminating")
        self.send_ctl(PPP_LCP, TERM_REQ, self.next_id(PPP_LCP), b"")
        self.term_deadline = time.monotonic() + RESTART_S

    def fail(self, why):
        self.log("failed: " + why)
        self.state = "failed: " + why
        self.write_status()
        raise SystemExit(1)

    def finish(self, why, code):
        self.log("exit: %s (echo %d/%d)" % (why, self.ping_replies, self.ping_sent))
        self.state = "ipcp-up, " + why if code == 0 else "down: " + why
        self.write_status()
        raise SystemExit(code)

    def run(self):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append("SIGTERM"))
        signal.signal(signal.SIGINT, lambda *_: stop.append("SIGINT"))
        signal.signal(signal.SIGHUP, lambda *_: stop.append("SIGHUP"))
        self.log("start: user %s, tty %s" % (self.s["user"], self.s["tty"] or "stdin"))
        self.write_status()
        timeout = float(self.s["timeout"])
        hold = float(self.s["hold"])
        while True:
            now = time.monotonic()
            if stop and not self.terminating:
                self.terminate(stop[0])
            if self.terminating and now >= self.term_deadline:
                self.finish("terminated (no Terminate-Ack)", 0 if self.up_since else 1)
            if not self.up_since and now - self.start > timeout:
                self.fail("IPCP not up after %g s" % timeout)
            if (self.up_since and hold > 0 and self.ping_sent >= self.ping_total and
                    now - self.up_since >= hold):
                self.terminate("hold time over")
            self.tick(now)
            try:
                r, _, _ = select.select([self.fd], [], [], 0.2)
            except InterruptedError:
                continue
            if not r:
                continue
            try:
                data = os.read(self.fd, 4096)
            except BlockingIOError:
                continue
            except OSError as e:  # EIO: xl2tpd closed the pty
                self.finish("pty closed (%s)" % e.strerror, 0 if self.up_since else 1)
            if not data:
                self.finish("pty closed", 0 if self.up_since else 1)
            for frame in self.dec.feed(data):
                self.receive(frame)


def main(argv):
    settings = load_settings(argv[1:])
    err = check_settings(settings)
    if err:
        print("pppd-standin: bad setting: " + err, file=sys.stderr)
        return 2
    fd = 0
    if settings["tty"] and not os.isatty(0):
        fd = os.open(settings["tty"], os.O_RDWR | os.O_NOCTTY)
    if os.isatty(fd):
        tty.setraw(fd, termios.TCSANOW)
    link = Link(settings, fd)
    try:
        link.run()
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
