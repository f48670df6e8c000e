#!/usr/bin/python3
"""Tests of pppd_standin.py without root or peers: codec vectors, then a whole PPP session
over a pty against a scripted LNS (LCP with a rejected option, PAP, IPCP with a Nak, ICMP
both ways, LCP echo, Protocol-Reject, Terminate)."""

import importlib.util
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
import tty
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "pppd_standin.py")
spec = importlib.util.spec_from_file_location("pppd_standin", STANDIN)
standin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(standin)


class CodecTest(unittest.TestCase):
    def test_fcs16_check_value(self):
        # CRC-16/X-25 (the PPP FCS, RFC 1662): check value of "123456789" is 0x906e.
        self.assertEqual(standin.fcs16(b"123456789") ^ 0xFFFF, 0x906E)
        # A frame followed by its FCS (little-endian) leaves the good-FCS residue.
        data = b"\xff\x03\xc0\x21\x01\x01\x00\x04"
        fcs = standin.fcs16(data) ^ 0xFFFF
        self.assertEqual(standin.fcs16(data + struct.pack("<H", fcs)), 0xF0B8)

    def test_hdlc_encode_vector(self):
        # LCP Configure-Request id 1, no options, all control characters escaped.
        frame = bytes.fromhex("ff03c021010100" "04")
        self.assertEqual(standin.hdlc_encode(frame, 0xFFFFFFFF).hex(),
                         "7eff7d23c0217d217d217d207d24" + "d1b5" + "7e")  # FCS 0xb5d1, little-endian

    def test_hdlc_escapes_follow_accm(self):
        frame = b"\xff\x03\x00\x21\x01\x7e\x7d\x11"
        enc_all = standin.hdlc_encode(frame, 0xFFFFFFFF)
        enc_none = standin.hdlc_encode(frame, 0)
        self.assertIn(b"\x7d\x31", enc_all)       # 0x11 escaped under the default ACCM
        self.assertIn(b"\x11", enc_none[1:-1])     # sent as is with ACCM 0
        self.assertIn(b"\x7d\x5e\x7d\x5d", enc_none)  # flag and escape always escaped
        for enc in (enc_all, enc_none):
            dec = standin.HdlcDecoder()
            self.assertEqual(dec.feed(enc), [frame])

    def test_decoder_drops_bad_fcs_and_splits_stream(self):
        good = standin.hdlc_encode(b"\xff\x03\xc0\x21\x09\x01\x00\x08abcd", 0xFFFFFFFF)
        bad = bytearray(good)
        bad[5] ^= 0x01
        dec = standin.HdlcDecoder()
        out = []
        stream = bytes(bad) + good + good
        for i in range(0, len(stream), 3):  # arbitrary chunking
            out += dec.feed(stream[i:i + 3])
        self.assertEqual(len(out), 2)
        self.assertEqual(dec.bad_fcs, 1)

    def test_split_ppp_compressed_forms(self):
        self.assertEqual(standin.split_ppp(b"\xff\x03\xc0\x21xy"), (0xC021, b"xy"))
        self.assertEqual(standin.split_ppp(b"\xc0\x21xy"), (0xC021, b"xy"))  # ACFC
        self.assertEqual(standin.split_ppp(b"\x21\x45"), (0x21, b"\x45"))    # ACFC + PFC
        self.assertIsNone(standin.split_ppp(b"\xff\x03"))

    def test_parse_options_rejects_bad_lengths(self):
        self.assertEqual(standin.parse_options(b"\x01\x04\x05\xdc\x07\x02"), [(1, b"\x05\xdc"), (7, b"")])
        self.assertIsNone(standin.parse_options(b"\x01\x01"))
        self.assertIsNone(standin.parse_options(b"\x01\x08\x00"))


class SettingsTest(unittest.TestCase):
    def test_optfile_directives_and_environment(self):
        with tempfile.NamedTemporaryFile("w", suffix=".options", delete=False) as f:
            f.write("user alice\npassword \"pw\"\n# l2tpx-standin: ping 3\n# l2tpx-standin: auth pap\n")
        try:
            old = os.environ.pop("L2TPX_PPP_PING", None), os.environ.get("L2TPX_PPP_USER")
            os.environ["L2TPX_PPP_USER"] = "bob"
            s = standin.load_settings(["/dev/pts/9", "passive", "nodetach", ":", "file", f.name])
        finally:
            os.unlink(f.name)
            os.environ.pop("L2TPX_PPP_USER")
            if old[1] is not None:
                os.environ["L2TPX_PPP_USER"] = old[1]
            if old[0] is not None:
                os.environ["L2TPX_PPP_PING"] = old[0]
        self.assertEqual((s["tty"], s["user"], s["password"], s["ping"], s["auth"]),
                         ("/dev/pts/9", "bob", "pw", "3", "pap"))
        self.assertIsNone(standin.check_settings(s))

    def test_bad_settings_are_reported(self):
        good = standin.load_settings([])
        for key, value in (("ping", "x"), ("ping", "-1"), ("hold", "soon"), ("auth", "mschap"),
                           ("ipv6", "yes"), ("ping-target", "10.0.0")):
            bad = dict(good, **{key: value})
            self.assertIn(key, standin.check_settings(bad) or "", (key, value))


class Peer:
    """The LNS side of the pty: HDLC framing, with a deadline on every wait."""

    def __init__(self, fd):
        self.fd = fd
        self.dec = standin.HdlcDecoder()
        self.queue = []

    def send(self, proto, payload):
        os.write(self.fd, standin.hdlc_encode(b"\xff\x03" + struct.pack("!H", proto) + payload, 0xFFFFFFFF))

    def send_ctl(self, proto, code, ident, data=b""):
        self.send(proto, struct.pack("!BBH", code, ident, len(data) + 4) + data)

    def recv(self, want_proto, timeout=20.0):
        """Next frame of want_proto (others are kept for later); returns its payload."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (p, d) in enumerate(self.queue):
                if p == want_proto:
                    del self.queue[i]
                    return d
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no frame of protocol 0x%04x (queued: %s)" % (
                    want_proto, [hex(p) for p, _ in self.queue]))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError("stand-in closed the pty")
                for f in self.dec.feed(data):
                    self.queue.append(standin.split_ppp(f))

    def recv_ctl(self, proto):
        d = self.recv(proto)
        code, ident, length = struct.unpack("!BBH", d[:4])
        return code, ident, d[4:length]


def opt(t, v):
    return bytes((t, len(v) + 2)) + v


class SessionTest(unittest.TestCase):
    def test_full_session(self):
        master, slave = os.openpty()
        tty.setraw(slave)  # as xl2tpd does before it runs pppd: no echo of what we write
        tmp = tempfile.mkdtemp(prefix="l2tpx-standin-test.")
        status = os.path.join(tmp, "status.json")
        optfile = os.path.join(tmp, "options")
        with open(optfile, "w") as f:
            f.write("user alice\npassword s3cret\n# l2tpx-standin: status %s\n" % status)
        env = dict(os.environ, L2TPX_PPP_PING="1", L2TPX_PPP_HOLD="2", L2TPX_PPP_TIMEOUT="60",
                   L2TPX_PPP_LOG=os.path.join(tmp, "log"))
        proc = subprocess.Popen([sys.executable, STANDIN, os.ttyname(slave), "passive", "nodetach", ":",
                                 "file", optfile], stdin=slave, stdout=slave, env=env)
        os.close(slave)
        try:
            self.converse(Peer(master))
            self.assertEqual(proc.wait(timeout=30), 0)
            with open(status) as f:
                st = json.load(f)
            self.assertTrue(st["ipcp_up"])
            self.assertEqual(st["local_address"], "10.0.0.2")
            self.assertEqual(st["peer_address"], "10.0.0.1")
            self.assertEqual(st["dns"], ["10.0.0.53"])
            self.assertEqual(st["echo_replies"], 1)
            self.assertEqual(st["echo_requests_answered"], 1)
            self.assertEqual(st["protocol_rejects_sent"], 1)
            self.assertEqual(st["bad_fcs"], 0)
            self.assertEqual(st["state"], "ipcp-up, terminated")
            self.assertTrue(st["ipv6cp_up"])
            self.assertEqual(st["peer_ifid"], "0200c6fffe120001")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
            for name in os.listdir(tmp):
                os.unlink(os.path.join(tmp, name))
            os.rmdir(tmp)

    def converse(self, lns):
        C = standin
        # LCP: our request carries PAP, a magic number and an option the client must reject.
        lns.send_ctl(C.PPP_LCP, C.CONF_REQ, 1, opt(1, b"\x05\xb6") + opt(3, b"\xc0\x23") +
                     opt(5, b"\x11\x22\x33\x44") + opt(17, b"\x06\x4e"))
        got = {}
        while not {"ack", "rej", "req"} <= got.keys():
            code, ident, body = lns.recv_ctl(C.PPP_LCP)
            if code == C.CONF_REQ:
                lns.send_ctl(C.PPP_LCP, C.CONF_ACK, ident, body)
                got["req"] = body
            elif code == C.CONF_REJ:
                self.assertEqual(body, opt(17, b"\x06\x4e"))
                got["rej"] = True
                lns.send_ctl(C.PPP_LCP, C.CONF_REQ, 2, opt(1, b"\x05\xb6") + opt(3, b"\xc0\x23") +
                             opt(5, b"\x11\x22\x33\x44"))
            elif code == C.CONF_ACK:
                self.assertEqual(ident, 2)
                got["ack"] = True
        self.assertIn(opt(1, struct.pack("!H", 1400)), got["req"])
        # PAP with the optfile's credentials.
        code, ident, body = lns.recv_ctl(C.PPP_PAP)
        self.assertEqual(code, 1)
        self.assertEqual(body, b"\x05alice\x06s3cret")
        lns.send_ctl(C.PPP_PAP, 2, ident, b"\x00")
        # An unknown protocol (CCP) must be Protocol-Rejected.
        lns.send_ctl(0x80FD, 1, 9, b"")
        # IPCP: Nak the client's 0.0.0.0 with an address and one DNS server, reject DNS2.
        lns.send_ctl(C.PPP_IPCP, C.CONF_REQ, 1, opt(3, bytes((10, 0, 0, 1))))
        acked = configured = False
        while not (acked and configured):
            code, ident, body = lns.recv_ctl(C.PPP_IPCP)
            if code == C.CONF_ACK:
                acked = True
            elif code == C.CONF_REQ and body.startswith(opt(3, b"\0\0\0\0")):
                lns.send_ctl(C.PPP_IPCP, C.CONF_NAK, ident, opt(3, bytes((10, 0, 0, 2))) +
                             opt(129, bytes((10, 0, 0, 53))))
            elif code == C.CONF_REQ and opt(131, b"\0\0\0\0") in body:
                lns.send_ctl(C.PPP_IPCP, C.CONF_REJ, ident, opt(131, b"\0\0\0\0"))
            elif code == C.CONF_REQ:
                self.assertEqual(body, opt(3, bytes((10, 0, 0, 2))) + opt(129, bytes((10, 0, 0, 53))))
                lns.send_ctl(C.PPP_IPCP, C.CONF_ACK, ident, body)
                configured = True
        code, _, body = lns.recv_ctl(C.PPP_LCP)
        self.assertEqual((code, body[:2]), (C.PROTO_REJ, b"\x80\xfd"))
        # IPV6CP, started by the LNS: a zero identifier is Nak'd, a unique one acked; the
        # client then asks for its own identifier.
        lns.send_ctl(C.PPP_IPV6CP, C.CONF_REQ, 1, opt(1, bytes(8)))
        client_req = None
        code, ident, body = lns.recv_ctl(C.PPP_IPV6CP)
        while code == C.CONF_REQ:  # the client's own request may come first
            client_req = (ident, body)
            code, ident, body = lns.recv_ctl(C.PPP_IPV6CP)
        self.assertEqual(code, C.CONF_NAK)
        self.assertEqual(len(body), 10)
        self.assertNotEqual(body[2:], bytes(8))
        lns.send_ctl(C.PPP_IPV6CP, C.CONF_REQ, 2, opt(1, bytes.fromhex("0200c6fffe120001")))
        got_ack = False
        while not got_ack or client_req is None:
            code, ident, body = lns.recv_ctl(C.PPP_IPV6CP)
            if code == C.CONF_ACK:
                self.assertEqual((ident, body), (2, opt(1, bytes.fromhex("0200c6fffe120001"))))
                got_ack = True
            elif code == C.CONF_REQ:
                client_req = (ident, body)
        self.assertEqual(client_req[1][:2], b"\x01\x0a")
        lns.send_ctl(C.PPP_IPV6CP, C.CONF_ACK, client_req[0], client_req[1])
        # LCP echo.
        lns.send_ctl(C.PPP_LCP, C.ECHO_REQ, 7, b"\x11\x22\x33\x44" + b"echo")
        code, ident, body = lns.recv_ctl(C.PPP_LCP)
        self.assertEqual((code, ident, body[4:]), (C.ECHO_REP, 7, b"echo"))
        # The client's ping of the peer address: answer it.
        pkt = lns.recv(C.PPP_IP)
        self.assertEqual(standin.inet_checksum(pkt[:20]), 0)
        self.assertEqual((pkt[9], pkt[12:16], pkt[16:20]), (1, bytes((10, 0, 0, 2)), bytes((10, 0, 0, 1))))
        icmp = pkt[20:]
        self.assertEqual(icmp[0], 8)
        reply = b"\0\0\0\0" + icmp[4:]
        reply = reply[:2] + struct.pack("!H", standin.inet_checksum(reply)) + reply[4:]
        self.send_ip(lns, bytes((10, 0, 0, 1)), bytes((10, 0, 0, 2)), reply)
        # Ping the client.
        req = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"hello"
        req = req[:2] + struct.pack("!H", standin.inet_checksum(req)) + req[4:]
        self.send_ip(lns, bytes((10, 0, 0, 1)), bytes((10, 0, 0, 2)), req)
        pkt = lns.recv(C.PPP_IP)
        self.assertEqual(pkt[16:20], bytes((10, 0, 0, 1)))
        self.assertEqual(pkt[20:21] + pkt[24:], b"\x00" + req[4:])
        # After the hold time, the client terminates the link.
        code, ident, _ = lns.recv_ctl(C.PPP_LCP)
        self.assertEqual(code, C.TERM_REQ)
        lns.send_ctl(C.PPP_LCP, C.TERM_ACK, ident)

    def test_chap_md5_after_naking_pap(self):
        C = standin
        master, slave = os.openpty()
        tty.setraw(slave)
        env = dict(os.environ, L2TPX_PPP_USER="bob", L2TPX_PPP_PASSWORD="chap-secret", L2TPX_PPP_AUTH="chap",
                   L2TPX_PPP_TIMEOUT="60", L2TPX_PPP_LOG=os.devnull)
        proc = subprocess.Popen([sys.executable, STANDIN, "passive", "nodetach", ":"], stdin=slave, stdout=slave,
                                env=env)
        os.close(slave)
        try:
            lns = Peer(master)
            lns.send_ctl(C.PPP_LCP, C.CONF_REQ, 1, opt(3, b"\xc0\x23"))
            acked = naked = False
            while not (acked and naked):
                code, ident, body = lns.recv_ctl(C.PPP_LCP)
                if code == C.CONF_REQ:
                    lns.send_ctl(C.PPP_LCP, C.CONF_ACK, ident, body)
                    acked = True
                elif code == C.CONF_NAK:
                    self.assertEqual((ident, body), (1, opt(3, b"\xc2\x23\x05")))
                    naked = True
            lns.send_ctl(C.PPP_LCP, C.CONF_REQ, 2, opt(3, b"\xc2\x23\x05"))
            code, ident, body = lns.recv_ctl(C.PPP_LCP)
            self.assertEqual((code, ident), (C.CONF_ACK, 2))
            challenge = bytes(range(16))
            lns.send_ctl(C.PPP_CHAP, 1, 0x42, bytes((16,)) + challenge + b"lns")
            code, ident, body = lns.recv_ctl(C.PPP_CHAP)
            # RFC 1994: Value = MD5(Identifier || secret || Challenge), then the Name.
            self.assertEqual((code, ident), (2, 0x42))
            self.assertEqual(body, b"\x10" + bytes.fromhex("25e1872583635dfa0fc8bd7accd9ee3e") + b"bob")
            lns.send_ctl(C.PPP_CHAP, 3, 0x42, b"welcome")
            code, _, body = lns.recv_ctl(C.PPP_IPCP)  # network phase reached
            self.assertEqual(code, C.CONF_REQ)
        finally:
            proc.kill()
            proc.wait()
            os.close(master)

    @staticmethod
    def send_ip(lns, src, dst, payload):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, 1, 0, src, dst)
        hdr = hdr[:10] + struct.pack("!H", standin.inet_checksum(hdr)) + hdr[12:]
        lns.send(standin.PPP_IP, hdr + payload)


if __name__ == "__main__":
    unittest.main(verbosity=2)
