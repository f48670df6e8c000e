#!/usr/bin/python3
"""A deterministic fault injector between two interfaces (docs/generator.md, "Tests").

Relays every Ethernet frame between IF_A and IF_B. Traffic frames (IPv4/UDP to or from
the generator's traffic port, plain or inside L2TP) are counted per direction: every
DROP_EVERY-th is dropped, and every SWAP_EVERY-th is held back and sent right after the
next frame of the same stream (its signature's stream ID), which reorders that stream by
exactly one. A frame held longer than 0.3 s goes out as is (not counted as swapped).
Everything else (ARP, control) passes at once. On SIGTERM it writes what it did as JSON:
{"a_to_b": {"traffic": N, "dropped": N, "swapped": N}, "b_to_a": {...}}.

usage: fault_relay.py IF_A IF_B DROP_EVERY SWAP_EVERY TRAFFIC_PORT OUT.json
"""
import json
import select
import signal
import socket
import struct
import sys
import time

PACKET_OUTGOING = 4
ETH_P_ALL = 0x0003


def stream_of(frame, port):
    """The signature's stream ID of a plain IPv4/UDP traffic frame to `port`, else None."""
    if len(frame) < 14 + 20 + 8 + 8 or struct.unpack_from("!H", frame, 12)[0] != 0x0800:
        return None
    ihl = (frame[14] & 0x0F) * 4
    if frame[14 + 9] != 17:
        return None
    udp = 14 + ihl
    if len(frame) < udp + 8 + 8 or struct.unpack_from("!H", frame, udp + 2)[0] != port:
        return None
    magic = struct.unpack_from("!H", frame, udp + 8)[0]
    if magic not in (0x7A5E, 0x7A53):
        return None
    return struct.unpack_from("!I", frame, udp + 8 + 4)[0]


def main():
    if_a, if_b = sys.argv[1], sys.argv[2]
    drop_every, swap_every, port = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    out_path = sys.argv[6]
    socks = {}
    for name in (if_a, if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        socks[name] = s
    peer = {if_a: if_b, if_b: if_a}
    label = {if_a: "a_to_b", if_b: "b_to_a"}
    stats = {d: {"traffic": 0, "dropped": 0, "swapped": 0, "passed": 0} for d in label.values()}
    held = {d: {} for d in label.values()}  # stream -> (frame, time held)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    with open(out_path + ".ready", "w") as f:
        f.write("ready\n")
    while not done:
        try:
            ready, _, _ = select.select(list(socks.values()), [], [], 0.05)
        except InterruptedError:
            continue
        for s in ready:
            name = s.getsockname()[0]
            try:
                frame, addr = s.recvfrom(65535)
            except BlockingIOError:
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            d = label[name]
            out = socks[peer[name]]
            st = stats[d]
            stream = stream_of(frame, port)
            if stream is None:
                out.send(frame)
                continue
            st["traffic"] += 1
            n = st["traffic"]
            if n % drop_every == 0:
                st["dropped"] += 1
                continue
            if stream in held[d]:
                late, _ = held[d].pop(stream)
                out.send(frame)
                out.send(late)
                st["swapped"] += 1
                st["passed"] += 2
                continue
            if n % swap_every == 0:
                held[d][stream] = (frame, time.monotonic())
                continue
            out.send(frame)
            st["passed"] += 1
        now = time.monotonic()
        for d, h in held.items():
            for stream in [k for k, (_, t) in h.items() if now - t > 0.3]:
                frame, _ = h.pop(stream)
                socks[if_b if d == "a_to_b" else if_a].send(frame)
                stats[d]["passed"] += 1
    for d, h in held.items():  # frames still held at the end: never delivered
        stats[d]["stranded"] = len(h)
    with open(out_path, "w") as f:
        json.dump(stats, f)


if __name__ == "__main__":
    main()
