#!/bin/bash
# The one command for the dataplane benchmark (docs/benchmarks.md):
#   tools/bench/run.sh [--full] [--quick] [--no-callgrind] [--out FILE]
# 1. builds l2tpx-dp-bench in build-bench-release (buildtype=release, -march=native) and
#    build-bench-v2 (release, -march=x86-64-v2: valgrind 3.19 cannot run AVX-512);
# 2. runs dpdk-testpmd io forwarding between two net_null ports (the baseline) when it is
#    installed; the io_fwd scenario (rx_burst -> tx_burst on the benchmark's own port, no
#    path) is measured in every run and is the baseline when testpmd is absent;
# 3. runs every scenario at 1, 1k, 100k sessions and the decap/punt ones at 1M sessions
#    (--full: encap at 1M too; installing 1M /32 routes in rte_lpm takes minutes);
# 4. counts instructions per packet under callgrind at 1 and 1k sessions, and at 1 session
#    again with the frames marked RX-checksum-good (--rx-cksum-offload);
# 5. prints a table and one JSON object per scenario per line, also written to FILE
#    (default build-bench-release/bench-results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
full=0 quick=0 callgrind=1 out=""
while [ $# -gt 0 ]; do
	case "$1" in
	--full) full=1 ;;
	--quick) quick=1 ;;
	--no-callgrind) callgrind=0 ;;
	--out) out=$2; shift ;;
	*) echo "usage: $0 [--full] [--quick] [--no-callgrind] [--out FILE]" >&2; exit 2 ;;
	esac
	shift
done
rel=$root/build-bench-release v2=$root/build-bench-v2
out=${out:-$rel/bench-results.jsonl}
work=$(mktemp -d /tmp/l2tpx-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
target=tools/bench/l2tpx-dp-bench

build() { # dir, extra meson options...
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=release "$@" >"$work/setup.log" 2>&1 ||
		{ cat "$work/setup.log" >&2; exit 1; }
	ninja -C "$dir" "$target" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
}
echo "== build" >&2
build "$rel"
[ $callgrind = 0 ] || build "$v2" -Dmarch=x86-64-v2

sessions=1,1000,100000 packets=8000000
[ $quick = 0 ] || sessions=1,1000 packets=1000000

echo "== baseline: dpdk-testpmd io forwarding, net_null0 <-> net_null1, one forwarding core" >&2
baseline=0
if command -v dpdk-testpmd >/dev/null; then
	# Non-interactive testpmd stops when stdin closes: sleep keeps it open for 8 s.
	sleep 8 | timeout 20 dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix "l2tpx-bench-tp-$$" \
		--vdev net_null0 --vdev net_null1 --log-level='*:error' --no-telemetry -- \
		--forward-mode=io --stats-period 2 --nb-cores=1 --total-num-mbufs=16384 >"$work/testpmd.log" 2>&1 || true
	# Last stats period: the sum of both ports' Rx-pps is what the one core forwarded.
	baseline=$($py - "$work/testpmd.log" <<'EOF'
import re, sys
pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", open(sys.argv[1], errors="replace").read())]
print("%.2f" % (sum(pps[-2:]) / 1e6) if len(pps) >= 2 else 0)
EOF
)
	echo "testpmd io: $baseline Mpps" >&2
else
	echo "dpdk-testpmd not installed: the baseline is the io_fwd scenario (rx_burst -> tx_burst on the same port)" >&2
fi

echo "== scenarios ($sessions sessions)" >&2
"$rel/$target" --sessions "$sessions" --packets "$packets" >"$work/native.jsonl"
if [ $quick = 0 ]; then
	scen=v2_decap,v2_decap_lso,v2_punt,v3_decap,io_fwd
	[ $full = 0 ] || scen=all
	"$rel/$target" --sessions 1000000 --scenarios "$scen" --packets "$packets" >>"$work/native.jsonl"
fi

if [ $callgrind = 1 ]; then
	echo "== callgrind (1 and 1000 sessions)" >&2
	if command -v valgrind >/dev/null; then
		(cd "$work" && valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$work/cg.out" \
			"$v2/$target" --callgrind --sessions 1,1000 >"$work/cg.jsonl" 2>"$work/cg.log") ||
			{ tail -20 "$work/cg.log" >&2; echo "callgrind run failed" >&2; }
		# Same at 1 session with the frames marked checksum-good, as a NIC with RX offload would.
		(cd "$work" && valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$work/cgo.out" \
			"$v2/$target" --callgrind --rx-cksum-offload --sessions 1 >"$work/cgo.jsonl" 2>"$work/cgo.log") ||
			{ tail -20 "$work/cgo.log" >&2; echo "callgrind run (rx offload) failed" >&2; }
	else
		echo "valgrind not found: no instruction counts" >&2
	fi
fi

$py - "$work" "$baseline" "$out" <<'EOF'
import glob, json, os, re, sys
work, baseline, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
rows = [json.loads(l) for l in open(os.path.join(work, "native.jsonl")) if l.startswith("{")]
# Callgrind dumps: "desc: Trigger: Client Request: path|worker <scenario> <sessions> <pkts>"
def counts(pattern):
    res = {}
    for f in glob.glob(os.path.join(work, pattern)):
        text = open(f, errors="replace").read()
        m = re.search(r"^desc: Trigger: Client Request: (path|worker) (\S+) (\d+) (\d+)", text, re.M)
        t = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
        if m and t:
            res[(m.group(1), m.group(2), int(m.group(3)))] = int(t.group(1)) / int(m.group(4))
    return res
instr, instr_offload = counts("cg.out*"), counts("cgo.out*")
targets = {"v2_decap": 90, "v2_decap_lso": 110, "v2_encap": 120, "v3_decap": 100, "v3_encap": 100, "v2_punt": 60}
mpps_targets = {"v2_decap": 14, "v2_decap_lso": 14, "v3_decap": 14, "v2_encap": 10.25, "v3_encap": 10.25}
lines = []
print("%-14s %9s %8s %8s %8s %10s %10s %12s" % ("scenario", "sessions", "Mpps", "cyc/pkt", "median",
      "instr/pkt", "worker_ins", "base Mpps"))
io = {r["sessions"]: r["mpps"] for r in rows if r["scenario"] == "io_fwd"}
for r in rows:
    key = (r["scenario"], r["sessions"])
    ip, iw = instr.get(("path",) + key), instr.get(("worker",) + key)
    if baseline > 0:
        r["baseline_mpps"], r["baseline"] = baseline, "dpdk-testpmd io, net_null0<->net_null1"
    else:
        r["baseline_mpps"], r["baseline"] = io.get(r["sessions"], 0.0), "io_fwd (rx_burst->tx_burst, net_ring)"
    if ip is not None and r["scenario"] == "io_fwd":
        ip = None
    if ip is not None:
        r["instructions_per_pkt"] = round(ip, 1)
        r["instructions_target"] = targets.get(r["scenario"])
    if iw is not None:
        r["instructions_per_pkt_worker"] = round(iw, 1)
    io_ = instr_offload.get(("path",) + key)
    if io_ is not None and r["scenario"] != "io_fwd":
        r["instructions_per_pkt_rx_offload"] = round(io_, 1)
    if r["sessions"] >= 1000000 and r["scenario"] in mpps_targets:
        r["mpps_target"] = mpps_targets[r["scenario"]]
    print("%-14s %9d %8.2f %8.1f %8.1f %10s %10s %12.2f" % (r["scenario"], r["sessions"], r["mpps"],
          r["cycles_per_pkt"], r["cycles_per_pkt_median"], "%.1f" % ip if ip is not None else "-",
          "%.1f" % iw if iw is not None else "-", r["baseline_mpps"]))
    lines.append(json.dumps(r, separators=(",", ":")))
print()
for l in lines:
    print(l)
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print("written to " + out, file=sys.stderr)
EOF
