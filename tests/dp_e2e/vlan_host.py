#!/usr/bin/python3
"""A host on an 802.1Q VLAN without the kernel's 8021q module (not available here), for
the eth_vlan pseudowire of tests/dp_e2e: raw frames through an AF_PACKET socket (scapy).

  vlan_host.py respond --iface IF --vlan 42 --mac M --ip 10.3.0.2 --seconds 20
      answers ARP requests and ICMP echo requests for --ip that arrive tagged with --vlan
      (replies are tagged too) until --seconds pass or --stop-file exists; prints one
      line per answer and, at the end, "untagged_seen N": untagged IPv4/ARP frames for --ip
      that reached it (must be 0 through an eth_vlan pseudowire).
  vlan_host.py ping --iface IF --vlan 42 --mac M --ip 10.3.0.1 --dst 10.3.0.2 --count 3
      resolves --dst by tagged ARP, sends --count tagged echo requests (each retried once a
      second until answered) and exits 0 when every one was answered; with --untagged N it
      first sends N untagged echo requests to the same MAC (they must not cross).
"""
import argparse
import os
import select
import sys
import time

from scapy.config import conf
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Dot1Q, Ether


def vlan_of(p):
    return p[Dot1Q].vlan if p.haslayer(Dot1Q) else None


def recv(sock, timeout):
    r, _, _ = select.select([sock], [], [], timeout)
    if not r:
        return None
    try:
        return sock.recv()
    except OSError:
        return None


def respond(a, sock):
    untagged = 0
    end = time.monotonic() + a.seconds
    print("ready", flush=True)
    while time.monotonic() < end:
        if a.stop_file and os.path.exists(a.stop_file):
            break
        p = recv(sock, 0.1)
        if p is None or not p.haslayer(Ether):
            continue
        v = vlan_of(p)
        if p.haslayer(ARP) and p[ARP].op == 1 and p[ARP].pdst == a.ip:
            if v != a.vlan:
                untagged += 1
                continue
            rep = Ether(src=a.mac, dst=p[Ether].src) / Dot1Q(vlan=a.vlan) / ARP(
                op=2, hwsrc=a.mac, psrc=a.ip, hwdst=p[ARP].hwsrc, pdst=p[ARP].psrc)
            sock.send(rep)
            print("arp reply to %s" % p[ARP].psrc, flush=True)
        elif p.haslayer(ICMP) and p[IP].dst == a.ip and p[ICMP].type == 8:
            if v != a.vlan:
                untagged += 1
                continue
            ip = p[IP]
            rep = Ether(src=a.mac, dst=p[Ether].src) / Dot1Q(vlan=a.vlan) / IP(src=a.ip, dst=ip.src) / ICMP(
                type=0, id=ip[ICMP].id, seq=ip[ICMP].seq) / bytes(ip[ICMP].payload)
            sock.send(rep)
            print("echo reply to %s seq=%d" % (ip.src, ip[ICMP].seq), flush=True)
    print("untagged_seen %d" % untagged, flush=True)
    return 0


def ping(a, sock):
    deadline = time.monotonic() + a.timeout
    dst_mac = None
    while dst_mac is None and time.monotonic() < deadline:
        sock.send(Ether(src=a.mac, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=a.vlan) / ARP(
            op=1, hwsrc=a.mac, psrc=a.ip, pdst=a.dst))
        end = time.monotonic() + 1.0
        while dst_mac is None and time.monotonic() < end:
            p = recv(sock, 0.1)
            if p is not None and p.haslayer(ARP) and p[ARP].op == 2 and p[ARP].psrc == a.dst and vlan_of(p) == a.vlan:
                dst_mac = p[ARP].hwsrc
    if dst_mac is None:
        print("FAILED: no tagged ARP reply from %s" % a.dst)
        return 1
    print("%s is at %s (VLAN %d)" % (a.dst, dst_mac, a.vlan), flush=True)
    for i in range(a.untagged):
        sock.send(Ether(src=a.mac, dst=dst_mac) / IP(src=a.ip, dst=a.dst) / ICMP(type=8, id=0x7A6, seq=1000 + i))
    answered = 0
    for seq in range(1, a.count + 1):
        got = False
        while not got and time.monotonic() < deadline:
            sock.send(Ether(src=a.mac, dst=dst_mac) / Dot1Q(vlan=a.vlan) / IP(src=a.ip, dst=a.dst) / ICMP(
                type=8, id=0x7A6, seq=seq) / (b"vlan-pw" * 8))
            end = time.monotonic() + 1.0
            while not got and time.monotonic() < end:
                p = recv(sock, 0.1)
                if p is None or not p.haslayer(ICMP):
                    continue
                if p[ICMP].type == 0 and p[ICMP].id == 0x7A6 and p[ICMP].seq == seq and p[IP].src == a.dst:
                    if vlan_of(p) != a.vlan:
                        print("FAILED: reply seq=%d arrived with VLAN %s" % (seq, vlan_of(p)))
                        return 1
                    got = True
        if got:
            answered += 1
            print("echo reply seq=%d (VLAN %d)" % (seq, a.vlan), flush=True)
    print("%s: %d/%d answered" % ("OK" if answered == a.count else "FAILED", answered, a.count))
    return 0 if answered == a.count else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["respond", "ping"])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--vlan", type=int, required=True)
    ap.add_argument("--mac", required=True)
    ap.add_argument("--ip", required=True)
    ap.add_argument("--dst")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--untagged", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--stop-file", default="")
    ap.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args()
    conf.verb = 0
    sock = conf.L2socket(iface=a.iface)
    try:
        return respond(a, sock) if a.mode == "respond" else ping(a, sock)
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
