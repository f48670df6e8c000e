#!/usr/bin/env python3
"""The scapy LAC of scapy_lac.py for tests/interop/restart_adopt.sh: one call held up while
the LNS's control plane is killed and restarted with restart_policy = "adopt".

Brings a call up exactly as scapy_lac.py does (tunnel authentication, CHAP, IPCP, pings),
then holds it: acknowledges control messages, answers HELLOs and LCP Echo-Requests, and
takes commands, one per line, from the FIFO given with --hold:

  stream N      N echo requests to --ping, one every 0.2 s, each answered within 1 s or
                lost (no retry); logs {"event": "stream", "count", "replies", "lost"}
  hello         a HELLO; logs "hello_acked" with the Nr of the acknowledgement
  echo          an LCP Echo-Request; logs "echo_reply" with the LNS's magic number
  cdn           CDN for our session (result 3); logs "cdn_acked" once acknowledged
  status        logs the counters (LCP Echo-Requests answered, duplicates, ...)
  quit          exits 0

Every LCP Echo-Request of the LNS is logged once as "lns_echo" with its magic number.
A StopCCN or CDN from the LNS is logged ("stopccn" / "cdn"); a StopCCN ends the LAC.
One JSON line per event on stdout; exit 1 with a "failed" line on a protocol error.
"""
import argparse
import os
import random
import select
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scapy_lac as sl  # noqa: E402
from scapy.layers.inet import ICMP, IP  # noqa: E402


class AdoptLac(sl.Lac):
    def __init__(self, args):
        super().__init__(args)
        self.echo_replies = {}  # LCP identifier -> magic of the LNS's Echo-Reply
        self.lns_magics = set()

    def handle_lcp(self, p):
        code, ident = p[0], p[1]
        if code == 10 and len(p) >= 8:  # Echo-Reply to our request
            self.echo_replies[ident] = struct.unpack("!I", p[4:8])[0]
            return
        if code == 9 and len(p) >= 8:
            magic = struct.unpack("!I", p[4:8])[0]
            if magic not in self.lns_magics:
                self.lns_magics.add(magic)
                sl.log("lns_echo", magic=magic)
        super().handle_lcp(p)

    def service(self, timeout):
        """Receives for `timeout` s, answering LCP; logs the LNS's CDN / StopCCN."""
        self.receive(timeout)
        self.handle_ppp_background()
        while self.ctl_in:
            mt, avps = self.ctl_in.pop(0)
            rc = avps.get(sl.A_RESULT, b"")
            result = {"result": struct.unpack("!H", rc[:2])[0] if len(rc) >= 2 else None,
                      "error": struct.unpack("!H", rc[2:4])[0] if len(rc) >= 4 else None,
                      "message": rc[4:].decode(errors="replace")}
            if mt == sl.STOPCCN:
                sl.log("stopccn", **result)
                self.receive(1.0)
                sl.log("done", stopped_by_lns=True, **self.counters)
                sys.exit(0)
            if mt == sl.CDN:
                sess, = struct.unpack("!H", avps[sl.A_SESSION]) if sl.A_SESSION in avps else (None,)
                sl.log("cdn", assigned_session=sess, **result)
            else:
                sl.log("rx_other", msg=sl.MSG_NAMES.get(mt, mt))

    def stream(self, target, count):
        ident = random.randint(1, 0xFFFF)
        replies = 0
        for seq in range(count):
            start = time.monotonic()
            pkt = IP(src=self.address, dst=target, ttl=64) / ICMP(type=8, id=ident, seq=seq) / (b"l2tpx-adopt" * 4)
            self.send_ppp(sl.P_IP, bytes(pkt))
            got = False
            while not got and time.monotonic() - start < 1.0:
                self.service(0.02)
                p = self.take(sl.P_IP)
                while p is not None:
                    ip = IP(p)
                    if (ip.haslayer(ICMP) and ip[ICMP].type == 0 and ip[ICMP].id == ident and
                            ip[ICMP].seq == seq):
                        got = True
                    p = self.take(sl.P_IP)
            replies += got
            left = 0.2 - (time.monotonic() - start)
            if left > 0:
                self.service(left)
        sl.log("stream", count=count, replies=replies, lost=count - replies)

    def hold_commands(self, fifo_path, target):
        fd = os.open(fifo_path, os.O_RDWR | os.O_NONBLOCK)
        buf = b""
        sl.log("holding", tunnel=self.local_tid, session=self.local_sid, peer_tunnel=self.peer_tid,
               peer_session=self.peer_sid, address=self.address)
        while True:
            self.service(0.1)
            self.ppp_in = [(pr, p) for pr, p in self.ppp_in if pr != sl.P_IP]
            r, _, _ = select.select([fd], [], [], 0)
            if r:
                try:
                    buf += os.read(fd, 4096)
                except BlockingIOError:
                    pass
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                words = line.decode().split()
                if not words:
                    continue
                cmd = words[0]
                if cmd == "stream":
                    self.stream(target, int(words[1]) if len(words) > 1 else 10)
                elif cmd == "hello":
                    self.send_ctl(sl.HELLO, [])
                    self.wait_acked("HELLO")
                    sl.log("hello_acked", nr=self.nr, ns=self.ns)
                elif cmd == "echo":
                    ident = random.randint(1, 255)
                    self.send_ppp(sl.P_LCP, self.cp(9, ident, sl.u32(self.magic)))
                    end = time.monotonic() + 3
                    while ident not in self.echo_replies and time.monotonic() < end:
                        self.service(0.05)
                    if ident not in self.echo_replies:
                        sl.fail("LCP Echo-Request %d not answered" % ident)
                    sl.log("echo_reply", magic=self.echo_replies[ident])
                elif cmd == "cdn":
                    self.send_ctl(sl.CDN, [sl.avp(sl.A_RESULT, sl.u16(3)), sl.avp(sl.A_SESSION, sl.u16(self.local_sid))],
                                  sid=self.peer_sid)
                    self.wait_acked("CDN")
                    self.peer_sid = 0
                    sl.log("cdn_acked")
                elif cmd == "status":
                    sl.log("status", session=self.peer_sid, **self.counters)
                elif cmd == "quit":
                    sl.log("done", stopped_by_lns=False, **self.counters)
                    sys.exit(0)
                else:
                    sl.log("unknown_command", line=line.decode())


class Args(argparse.Namespace):
    """scapy_lac.Lac reads options this LAC does not offer: they are off (None)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return None


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
    ap.add_argument("--ping", required=True)
    ap.add_argument("--hold", required=True, metavar="FIFO")
    a = Args(**vars(ap.parse_args()))
    a.eager_lcp = True  # LCP Configure-Request with the ICCN, as pppd behind a LAC does
    lac = AdoptLac(a)
    lac.open_tunnel()
    lac.place_call()
    lac.run_lcp()
    lac.run_auth()
    lac.run_ipcp()
    if lac.ping(a.ping, 2) != 2:
        sl.fail("the first echo requests were not answered through the tunnel")
    lac.hold_commands(a.hold, a.ping)


if __name__ == "__main__":
    main()
