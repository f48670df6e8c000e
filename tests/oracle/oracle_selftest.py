#!/usr/bin/python3
"""Checks that tshark_check.py passes what it must pass and flags exactly what it must flag.

    oracle_selftest.py TSHARK_CHECK DATA_DIR ORACLE_DIR

A should_fail meson test only proves "it exited non-zero"; this one proves that the oracle
exits 1 (not 2: "could not run") and names the right frames and fields.
"""

import json
import os
import re
import subprocess
import sys


def run(checker, *args):
    p = subprocess.run([sys.executable, checker, *args], capture_output=True, text=True, check=False)
    return p.returncode, p.stdout + p.stderr


def main():
    checker, data, oracle = sys.argv[1:4]
    failures = []

    def expect(cond, what, output):
        if not cond:
            failures.append("%s\n--- output:\n%s" % (what, output))

    good = os.path.join(oracle, "xl2tpd_l2tpns.expect.json")
    with open(good) as f:
        facts = sum(len(item) for items in json.load(f)["frames"].values() for item in items)
    rc, out = run(checker, os.path.join(data, "xl2tpd_l2tpns.pcap"), "--expect", good)
    expect(rc == 0 and "; %d expectations checked" % facts in out,
           "the real capture must pass with all %d expectations checked (rc %d)" % (facts, rc), out)

    rc, out = run(checker, os.path.join(data, "broken_l2tp.pcap"))
    flagged = sorted({int(m) for m in re.findall(r"^FAIL frame (\d+):", out, re.M)})
    expect(rc == 1, "the broken capture must fail with exit 1 (got %d)" % rc, out)
    expect(flagged == [1, 2, 3], "frames 1-3 flagged, frame 4 not (got %s)" % flagged, out)
    expect("AVP length must be >= 6" in out, "frame 2's expert message is named", out)

    rc, out = run(checker, os.path.join(data, "xl2tpd_l2tpns.pcap"), "--expect",
                  os.path.join(oracle, "wrong.expect.json"))
    lines = [l for l in out.splitlines() if l.startswith("FAIL ")]
    want = ["frame count", "frame 1: field l2tp.avp.message_type", "frame 1: field l2tp.avp.type",
            "frame 1: field l2tp.avp.hidden", "frame 2: field l2tp.avp.assigned_tunnel_id", "frame 9: field lcp/ppp.code",
            "frame 9: field l2tp.Ns", "frame 500: missing"]
    expect(rc == 1, "wrong expectations must fail with exit 1 (got %d)" % rc, out)
    for w in want:
        expect(any(l.startswith("FAIL " + w) for l in lines), "a failure line for '%s'" % w, out)
    expect(len(lines) == len(want), "exactly %d failures (got %d)" % (len(want), len(lines)), out)

    rc, out = run(checker, os.path.join(data, "does-not-exist.pcap"))
    expect(rc == 2, "a missing file is exit 2, not a verdict (got %d)" % rc, out)

    for f in failures:
        print("FAIL " + f)
    print("oracle self-test: %s" % ("%d failure(s)" % len(failures) if failures else "OK"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
