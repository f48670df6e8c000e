#!/usr/bin/python3
"""tshark as a decoder oracle for L2TP captures.

    tshark_check.py PCAP [--expect EXPECT.json] [-o PREF:VALUE]... [-d udp.port==N,l2tp]...
                    [--require PROTO | --any-protocol]
    tshark_check.py PCAP --dump N        # print every field of frame N (to write expectations)

Decodes PCAP with `tshark -T json` and fails (exit 1) when
  * a frame carries a Malformed Packet marker (_ws.malformed), or an expert item of
    severity warning or error (_ws.expert.severity), anywhere in its tree;
  * a frame does not contain the required protocol (default "l2tp": a frame tshark did not
    decode as L2TP would otherwise pass unchecked; --any-protocol turns this off);
  * an expectation from EXPECT.json does not hold.
Exit 2 means the check could not run (tshark missing, unreadable file, bad JSON).

EXPECT.json:
    {
      "frame_count": 79,                     optional: exact number of frames
      "frames": {
        "1": [ {"l2tp.avp.message_type": "1"}, {"l2tp.avp.type": 11} ],
        "9": [ {"lcp/ppp.code": 1}, {"l2tp.Ns": null} ]
      }
    }
Each {field: value} pair is one expectation on that frame (1-based, as tshark numbers
frames). A field is a tshark field name, optionally prefixed with "LAYER/" to look only
inside one protocol layer (e.g. "lcp/ppp.code" vs "ipcp/ppp.code"). Values:
    "text" or number   some occurrence of the field equals it (numbers also match tshark's
                       hex rendering: 51202 matches "0xc802")
    [v1, v2, ...]      the field's occurrences, in order, are exactly these
    null               the field does not occur in the frame
"""

import argparse
import collections
import json
import shutil
import subprocess
import sys

SEVERITY = {0x00100000: "comment", 0x00200000: "chat", 0x00400000: "note", 0x00600000: "warning",
            0x00800000: "error"}
SEVERITY_FAIL = 0x00600000  # warning and above


def run_tshark(pcap, prefs, decode_as, tshark):
    cmd = [tshark, "-n", "-r", pcap, "-T", "json"]
    for p in prefs:
        cmd += ["-o", p]
    for d in decode_as:
        cmd += ["-d", d]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise SystemExit("tshark_check: cannot run %s: %s" % (tshark, e)) from e
    if proc.returncode != 0:
        err = "\n".join(l for l in proc.stderr.splitlines() if "dangerous" not in l)
        print("tshark_check: tshark failed (exit %d): %s" % (proc.returncode, err.strip()), file=sys.stderr)
        sys.exit(2)
    # Keep repeated keys (tshark repeats field names within one object).
    return json.loads(proc.stdout or "[]", object_pairs_hook=lambda pairs: pairs)


class Frame:
    """The flattened decode of one frame: (layer, field, value) in tree order."""

    def __init__(self, number, layers):
        self.number = number
        self.fields = []
        self.problems = []
        for layer, tree in layers:
            self._walk(layer, layer, tree)

    def _walk(self, layer, key, node):
        if isinstance(node, list) and node and all(isinstance(x, tuple) for x in node):
            pairs = node
            expert = dict((k, v) for k, v in pairs if isinstance(v, str))
            if "_ws.expert.severity" in expert:
                sev = int(expert["_ws.expert.severity"], 0)
                if sev >= SEVERITY_FAIL:
                    self.problems.append("%s expert item in %s: %s" % (
                        SEVERITY.get(sev, hex(sev)), layer, expert.get("_ws.expert.message", "?")))
            for k, v in pairs:
                self._walk(layer, k, v)
        elif isinstance(node, list):  # a field rendered as an array of values
            for v in node:
                self._walk(layer, key, v)
        elif isinstance(node, str):
            self.fields.append((layer, key, node))
            if key == "_ws.malformed":
                self.problems.append("malformed packet in %s" % layer)

    def values(self, field):
        layer = None
        if "/" in field:
            layer, field = field.split("/", 1)
        return [v for l, k, v in self.fields if k == field and (layer is None or l == layer)]

    def protocols(self):
        p = self.values("frame.protocols")
        return p[0].split(":") if p else []


def same(expected, actual):
    if isinstance(expected, bool):
        expected = int(expected)
    if isinstance(expected, int):
        try:
            return int(actual, 0) == expected
        except ValueError:
            try:
                return int(actual, 10) == expected
            except ValueError:
                return False
    return str(expected) == actual


def check_expectation(frame, field, expected):
    got = frame.values(field)
    if expected is None:
        return None if not got else "should be absent, found %s" % got
    if isinstance(expected, list):
        if len(got) == len(expected) and all(same(e, a) for e, a in zip(expected, got)):
            return None
        return "expected the sequence %s, got %s" % (expected, got)
    if any(same(expected, a) for a in got):
        return None
    return "expected %s, got %s" % (json.dumps(expected), got if got else "no such field")


def load_expectations(path):
    try:
        with open(path) as f:
            exp = json.load(f)
    except (OSError, ValueError) as e:
        print("tshark_check: cannot read %s: %s" % (path, e), file=sys.stderr)
        sys.exit(2)
    if not isinstance(exp, dict) or not isinstance(exp.get("frames", {}), dict):
        print("tshark_check: %s: expected an object with a \"frames\" object" % path, file=sys.stderr)
        sys.exit(2)
    return exp


def summary(frames):
    msg_names = {"0": "ZLB", "1": "SCCRQ", "2": "SCCRP", "3": "SCCCN", "4": "StopCCN", "6": "HELLO",
                 "7": "OCRQ", "8": "OCRP", "9": "OCCN", "10": "ICRQ", "11": "ICRP", "12": "ICCN",
                 "14": "CDN", "15": "WEN", "16": "SLI"}
    counts = collections.Counter()
    for fr in frames:
        protos = fr.protocols()
        if "l2tp" not in protos:
            continue
        t = fr.values("l2tp.avp.message_type")
        if fr.values("l2tp.type") == ["1"]:
            counts[msg_names.get(t[0], "type " + t[0]) if t else "ZLB"] += 1
        else:
            inner = [p for p in protos[protos.index("l2tp") + 1:] if p not in ("ppp", "data")]
            counts["data:" + (inner[0] if inner else "other")] += 1
    return ", ".join("%s %d" % kv for kv in sorted(counts.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("--expect", help="JSON file of per-frame field expectations")
    ap.add_argument("-o", dest="prefs", action="append", default=[], help="tshark preference PREF:VALUE")
    ap.add_argument("-d", dest="decode_as", action="append", default=[],
                    help="tshark decode-as rule, e.g. udp.port==1702,l2tp")
    ap.add_argument("--require", default="l2tp", help="protocol every frame must contain (default l2tp)")
    ap.add_argument("--any-protocol", action="store_true", help="do not require a protocol")
    ap.add_argument("--dump", type=int, metavar="N", help="print the fields of frame N and exit")
    ap.add_argument("--tshark", default=shutil.which("tshark") or "tshark")
    args = ap.parse_args()

    packets = run_tshark(args.pcap, args.prefs, args.decode_as, args.tshark)
    frames = []
    for i, pkt in enumerate(packets, 1):
        src = dict(pkt).get("_source", [])
        layers = dict(src).get("layers", [])
        frames.append(Frame(i, layers))

    if args.dump is not None:
        if not 1 <= args.dump <= len(frames):
            print("tshark_check: no frame %d (%d frames)" % (args.dump, len(frames)), file=sys.stderr)
            return 2
        for layer, key, value in frames[args.dump - 1].fields:
            print("%-10s %-40s %s" % (layer, key, value))
        return 0

    failures = []
    for fr in frames:
        for p in fr.problems:
            failures.append("frame %d: %s" % (fr.number, p))
        if not args.any_protocol and args.require not in fr.protocols():
            failures.append("frame %d: not decoded as %s (protocols %s)" % (
                fr.number, args.require, ":".join(fr.protocols()) or "?"))

    checked = 0
    if args.expect:
        exp = load_expectations(args.expect)
        if "frame_count" in exp and exp["frame_count"] != len(frames):
            failures.append("frame count: expected %d, got %d" % (exp["frame_count"], len(frames)))
        for num, items in sorted(exp.get("frames", {}).items(), key=lambda kv: int(kv[0])):
            n = int(num)
            if not 1 <= n <= len(frames):
                failures.append("frame %d: missing (the capture has %d frames)" % (n, len(frames)))
                continue
            if isinstance(items, dict):
                items = [items]
            for item in items:
                for field, expected in item.items():
                    checked += 1
                    err = check_expectation(frames[n - 1], field, expected)
                    if err:
                        failures.append("frame %d: field %s: %s" % (n, field, err))

    print("%s: %d frames (%s); %d expectations checked" % (args.pcap, len(frames), summary(frames), checked))
    if failures:
        for f in failures:
            print("FAIL " + f)
        print("%d problem(s)" % len(failures))
        return 1
    print("OK: no malformed frames, no expert warnings or errors%s" % (
        ", every expectation holds" if args.expect else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
