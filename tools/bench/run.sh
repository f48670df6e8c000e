#!/bin/bash
# The one command for the dataplane benchmark (docs/benchmarks.md):
#   tools/bench/run.sh [--quick] [--full] [--no-callgrind] [--workers N] [--out FILE]
# 1. builds l2tpx-dp-bench in build-bench-release (-O2, NDEBUG, -march=native) and
#    build-bench-v3 (the same with -march=x86-64-v3, AVX2: valgrind 3.19 cannot run AVX-512);
#    -O2 (debugoptimized + b_ndebug) because GCC 12 -O3 trips -Werror=restrict in a
#    std::string copy of shared/config, which the bench now links (dataplane tables);
# 2. runs dpdk-testpmd io forwarding between two net_null ports (the baseline) when it is
#    installed; the io_fwd scenario (rx_burst -> tx_burst on the benchmark's own port, no
#    path) is measured in every run and is the baseline when testpmd is absent;
# 3. runs every scenario at 1, 1k, 100k and 1M sessions (subscriber routes in the direct
#    /32 table; --full: also the encap scenarios at 100k with the routes in rte_lpm, --lpm);
#    the tables are in hugepages (--huge) when enough are free, else on the heap;
#    then the install benchmark: 200k add_session commands through a command ring applied
#    by the main lcore while a worker (lcore 1) forwards (--install);
# 4. counts instructions per packet under callgrind at 1 and 1k sessions, and at 1 session
#    again with the frames marked RX-checksum-good (--rx-cksum-offload);
# 5. prints a table and one JSON object per scenario per line, also written to FILE
#    (default build-bench-release/bench-results.jsonl).
# --workers N: every timed scenario with N workers (lcores 0..N-1, one net_ring port each).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
full=0 quick=0 callgrind=1 out="" workers=1
while [ $# -gt 0 ]; do
	case "$1" in
	--full) full=1 ;;
	--quick) quick=1 ;;
	--no-callgrind) callgrind=0 ;;
	--out) out=$2; shift ;;
	--workers) workers=$2; shift ;;
	*) echo "usage: $0 [--full] [--quick] [--no-callgrind] [--workers N] [--out FILE]" >&2; exit 2 ;;
	esac
	shift
done
rel=$root/build-bench-release cg=$root/build-bench-v3
out=${out:-$rel/bench-results.jsonl}
work=$(mktemp -d /tmp/l2tpx-bench.XXXXXX)
tp_prefix="l2tpx-bench-tp-$$"
trap 'rm -rf "$work" "/var/run/dpdk/$tp_prefix" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$tp_prefix"' EXIT
py=/usr/bin/python3
target=tools/bench/l2tpx-dp-bench

build() { # dir, extra meson options...
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=debugoptimized -Db_ndebug=true "$@" \
		>"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
	meson configure "$dir" --buildtype=debugoptimized -Db_ndebug=true >/dev/null # older release dirs
	ninja -C "$dir" "$target" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
}
echo "== build" >&2
build "$rel"
[ $callgrind = 0 ] || build "$cg" -Dmarch=x86-64-v3

sessions=1,1000,100000 packets=8000000
[ $quick = 0 ] || sessions=1,1000 packets=1000000

echo "== baseline: dpdk-testpmd io forwarding, net_null0 <-> net_null1, one forwarding core" >&2
baseline=0
if command -v dpdk-testpmd >/dev/null; then
	# Non-interactive testpmd stops when stdin closes: sleep keeps it open for 8 s.
	sleep 8 | timeout 20 dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix "$tp_prefix" \
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

# Hugepage-backed tables (as the dataplane runtime has them) when enough are free: the 1M
# run needs about 600 MiB (2^20 slots x 244 bytes, mbufs, rings).
mem=--huge
free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
[ "${free_pages:-0}" -ge 400 ] || { mem=; echo "fewer than 400 free hugepages: tables on the heap (--no-huge)" >&2; }
echo "== scenarios ($sessions sessions, $workers worker(s)${mem:+, hugepages})" >&2
"$rel/$target" $mem --workers "$workers" --sessions "$sessions" --packets "$packets" >"$work/native.jsonl"
if [ $quick = 0 ]; then
	"$rel/$target" $mem --workers "$workers" --sessions 1000000 --packets "$packets" >>"$work/native.jsonl"
	echo "== install rate: 200k sessions through a command ring while a worker forwards" >&2
	"$rel/$target" $mem --install 200000 >>"$work/native.jsonl" ||
		echo "install benchmark failed (it needs two lcores)" >&2
	if [ $full = 1 ]; then
		echo "== encap with the subscriber /32s in rte_lpm (--lpm), 100k sessions" >&2
		"$rel/$target" $mem --lpm --workers "$workers" --sessions 100000 --scenarios v2_encap,v3_encap \
			--packets "$packets" | sed 's/^{"scenario":"\([a-z0-9_]*\)"/{"scenario":"\1_lpm"/' >>"$work/native.jsonl"
	fi
fi

if [ $callgrind = 1 ]; then
	echo "== callgrind (1 and 1000 sessions)" >&2
	if command -v valgrind >/dev/null; then
		(cd "$work" && valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$work/cg.out" \
			"$cg/$target" --callgrind --sessions 1,1000 >"$work/cg.jsonl" 2>"$work/cg.log") ||
			{ tail -20 "$work/cg.log" >&2; echo "callgrind run failed" >&2; }
		# Same at 1 session with the frames marked checksum-good, as a NIC with RX offload would.
		(cd "$work" && valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$work/cgo.out" \
			"$cg/$target" --callgrind --rx-cksum-offload --sessions 1 >"$work/cgo.jsonl" 2>"$work/cgo.log") ||
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
    if "install_rate_per_s" in r:
        print("%-14s %9s %8s installs/s: %.0f, forwarding %.2f Mpps (no churn %.2f, ratio %.2f)" % ("",
              "", "", r["install_rate_per_s"], r["mpps"], r["mpps_no_churn"], r["forwarding_ratio"]))
    lines.append(json.dumps(r, separators=(",", ":")))
print()
for l in lines:
    print(l)
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print("written to " + out, file=sys.stderr)
EOF
