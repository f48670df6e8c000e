#!/usr/bin/env bash
# Call-setup benchmark of l2tpx's LNS (docs/benchmarks.md, "Call setup (control plane)"):
# full L2TP + PPP setups (SCCRQ…SCCCN per tunnel, ICRQ/ICRP/ICCN, LCP, PAP, IPCP per call)
# per second through the dataplane, and the time until all sessions are up.
#
#   LAC ns                         LNS ns (DPDK owns the veth end)
#   198.18.0.2  l2tpx-lac  ── veth ── access0 198.18.0.1  l2tpx-dataplane + l2tpx-controlplane
#   (pinned to CPU --lac-cpu)                             (both pinned to CPU --lns-cpu)
#
# The dataplane runs its one lcore with the idle back-off on (idle_max_sleep_us), so it
# shares its CPU with the control plane; the load is l2tpx-lac (tools/gen/lac), the
# socket LAC, dialling as fast as it can (--setup-rate 1e6, a cap on calls in setup).
# Each scenario starts a fresh LNS. Prints a table and one JSON line per scenario:
#   {"scenario", "sessions", "tunnels", "setups_per_s", "seconds_to_all_up", "up", "failed",
#    "tunnel_auth", "auth", "max_outstanding", "call_ms_avg", "call_ms_max",
#    "cpu_s": {"lns": .., "lac": ..}, "lns_cpu_share", "lac_cpu_share", "failures": {..}, ...}
# Not a test: nothing here passes or fails on a timing. Exit status 0 when every scenario
# ran (whatever the rate), 1 when the lab could not be set up or a run broke, 2 bad usage.
#
# usage: tools/bench/cp/run.sh [--quick] [--scenarios LIST] [--build DIR] [--out FILE]
set -uo pipefail

repo=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${L2TPX_BENCH_BUILD:-$repo/build}
QUICK=0
SCENARIOS=
OUT=
LNS_CPU=0
LAC_CPU=1
MAX_OUTSTANDING=1024
KEEP_LOGS=0
CP_BIN_OVERRIDE=
# net_af_packet's RX ring (DPDK default 512 frames). The dataplane shares its CPU with the
# control plane, so a burst of control traffic can outlast its ring; the kernel then drops
# frames that no counter of ours sees (docs/benchmarks.md). 0 keeps the default.
AF_PACKET_FRAMES=4096

usage() {
	cat <<EOF
usage: $0 [options]
  --quick            one scenario, 500 sessions (what the meson benchmark runs)
  --scenarios LIST   comma-separated, from: $(echo pap-1k pap-1k-tauth pap-10k pap-10k-tauth pap-500 | tr ' ' ',')
                     (default: pap-1k,pap-1k-tauth,pap-10k,pap-10k-tauth)
  --build DIR        build directory with the binaries (default $BUILD, or \$L2TPX_BENCH_BUILD)
  --out FILE         also append the JSON lines to FILE
  --lns-cpu N        CPU of the dataplane and the control plane (default $LNS_CPU)
  --lac-cpu N        CPU of l2tpx-lac (default $LAC_CPU)
  --max-outstanding N  calls in setup at once in l2tpx-lac (default $MAX_OUTSTANDING)
  --af-packet-frames N  RX ring of the dataplane's net_af_packet port (default $AF_PACKET_FRAMES)
  --cp-bin PATH      another l2tpx-controlplane (e.g. a patched build) with this build's dataplane
  --keep-logs        keep the temp dir with every log
Environment (diagnosis, with --keep-logs): BENCH_CP_CAPTURE=1 captures L2TP on both veth
ends; BENCH_CP_PERF=1 records the control plane with perf (controlplane.perf.data).
EOF
}
bad() { echo "bench-cp: $*" >&2; usage >&2; exit 2; }
need_uint() { # option value...: the option's value must be a non-negative integer
	if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then bad "$1: a number"; fi
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--scenarios) [ $# -ge 2 ] || bad "--scenarios: a list"; SCENARIOS=$2; shift 2 ;;
	--build) [ $# -ge 2 ] || bad "--build: a directory"; BUILD=$(realpath -m "$2"); shift 2 ;;
	--out) [ $# -ge 2 ] || bad "--out: a file"; OUT=$(realpath -m "$2"); shift 2 ;;
	--lns-cpu) need_uint "$@"; LNS_CPU=$2; shift 2 ;;
	--lac-cpu) need_uint "$@"; LAC_CPU=$2; shift 2 ;;
	--max-outstanding) need_uint "$@"; MAX_OUTSTANDING=$2; shift 2 ;;
	--af-packet-frames) need_uint "$@"; AF_PACKET_FRAMES=$2; shift 2 ;;
	--cp-bin)
		if [ $# -lt 2 ] || [ ! -x "$2" ]; then bad "--cp-bin: an executable"; fi
		CP_BIN_OVERRIDE=$(realpath "$2"); shift 2 ;;
	--keep-logs) KEEP_LOGS=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) bad "unknown option '$1'" ;;
	esac
done
if [ -z "$SCENARIOS" ]; then
	if [ $QUICK = 1 ]; then SCENARIOS=pap-500; else SCENARIOS=pap-1k,pap-1k-tauth,pap-10k,pap-10k-tauth; fi
fi
# name → "sessions tunnels tunnel_auth"
scenario_def() {
	case $1 in
	pap-500) echo "500 5 0" ;;
	pap-1k) echo "1000 10 0" ;;
	pap-1k-tauth) echo "1000 10 1" ;;
	pap-10k) echo "10000 100 0" ;;
	pap-10k-tauth) echo "10000 100 1" ;;
	*) return 1 ;;
	esac
}
IFS=, read -r -a SCEN <<<"$SCENARIOS"
for s in "${SCEN[@]}"; do scenario_def "$s" >/dev/null || bad "unknown scenario '$s'"; done

[ "$(id -u)" = 0 ] || { echo "bench-cp: must run as root (namespaces, hugepages)" >&2; exit 1; }
[ "$LNS_CPU" != "$LAC_CPU" ] || bad "--lns-cpu and --lac-cpu must differ"
DP_BIN=$BUILD/dataplane/l2tpx-dataplane
CP_BIN=$BUILD/controlplane/daemon/l2tpx-controlplane
LAC_BIN=$BUILD/tools/gen/lac/l2tpx-lac
[ -n "$CP_BIN_OVERRIDE" ] && CP_BIN=$CP_BIN_OVERRIDE
if [ ! -x "$DP_BIN" ] || [ ! -x "$CP_BIN" ] || [ ! -x "$LAC_BIN" ]; then
	[ -f "$BUILD/build.ninja" ] || { echo "bench-cp: $BUILD is not a meson build directory (--build)" >&2; exit 1; }
	ninja -C "$BUILD" dataplane/l2tpx-dataplane controlplane/daemon/l2tpx-controlplane tools/gen/lac/l2tpx-lac ||
		{ echo "bench-cp: build failed" >&2; exit 1; }
fi
mountpoint -q /dev/hugepages || { echo "bench-cp: /dev/hugepages is not mounted (tools/setup.sh)" >&2; exit 1; }
free_huge=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
# The v2 session index is (tunnel ID << 16 | session ID) & (capacity - 1) with random IDs:
# a large table keeps slot collisions between tunnels rare (docs/lab.md). 1M slots ≈ 160 pages.
if [ "${free_huge:-0}" -ge 400 ]; then
	SESSION_CAPACITY=1048576
elif [ "${free_huge:-0}" -ge 160 ]; then
	SESSION_CAPACITY=262144
else
	echo "bench-cp: needs at least 160 free 2 MiB hugepages (have ${free_huge:-0})" >&2
	exit 1
fi

export PEERS_PREFIX=l2tpx-bcp
# peers_init checks for every real peer's binary; the benchmark needs none of them, so
# only insist on what it uses.
for c in ip setsid taskset /usr/bin/python3; do
	command -v "$c" >/dev/null 2>&1 || { echo "bench-cp: $c not installed" >&2; exit 1; }
done
# shellcheck source=../../../tests/peers/peers_lib.sh source-path=SCRIPTDIR
. "$repo/tests/peers/peers_lib.sh"
# shellcheck source=../../../tests/peers/lns_lib.sh source-path=SCRIPTDIR
. "$repo/tests/peers/lns_lib.sh"
[ $KEEP_LOGS = 1 ] && export PEERS_KEEP=1

LNS_PREFIX="l2tpx-bcp-$$" # DPDK --file-prefix
LNS_WRAP=(taskset -c "$LNS_CPU")
LAC_PID=

stop_lns() { # the LAC, the control plane, the dataplane; then the DPDK files of our prefix
	lns_end "$LAC_PID"
	LAC_PID=
}
b_exit() {
	local rc=$?
	trap - EXIT
	stop_lns
	(
		(exit $rc)
		peers_cleanup
	)
	exit $?
}

peers_init
trap b_exit EXIT
ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_LNS"
for ns in "$PEERS_NS_LNS" "$PEERS_NS_LAC"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

udp_rcvbuf_errors() { # namespace: UDP datagrams its kernel dropped for a full socket buffer
	ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' \
		/proc/net/snmp 2>/dev/null || echo 0
}
dp_drops_json() { # the dataplane's non-zero drop counters and the access port's imissed (DPDK telemetry)
	/usr/bin/python3 - "$(lns_telemetry_socket)" <<'PY' 2>/dev/null || echo '{}'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(2)
s.connect(sys.argv[1])
s.recv(16384)
s.send(b"/l2tpx/drops")
r = json.loads(s.recv(1 << 20).decode()).get("/l2tpx/drops", {})
out = {k: v for k, v in r.items() if isinstance(v, int) and v}
s.send(b"/ethdev/stats,0")
e = json.loads(s.recv(1 << 20).decode()).get("/ethdev/stats", {})
if e.get("imissed"):
    out["access_port_imissed"] = e["imissed"]  # frames the port's RX ring had no room for
print(json.dumps(out))
PY
}

cpu_ticks() { # pid: utime + stime in clock ticks (0 when gone)
	awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

run_scenario() { # name
	local name=$1 sessions tunnels tauth
	read -r sessions tunnels tauth <<<"$(scenario_def "$name")"
	local d="$PEERS_TMP/$name"
	mkdir -p "$d"
	local pool_last_n=$((0x64400000 + 10 + sessions + 63))
	local pool_last
	pool_last=$(printf '%d.%d.%d.%d' $((pool_last_n >> 24 & 255)) $((pool_last_n >> 16 & 255)) \
		$((pool_last_n >> 8 & 255)) $((pool_last_n & 255)))
	local lac_args=(--sessions "$sessions" --tunnels "$tunnels" --user 'user{n}@bench' --password 'pw-{n}')
	"$LAC_BIN" "${lac_args[@]}" --print-users >"$d/users" || { echo "bench-cp: l2tpx-lac --print-users" >&2; return 1; }
	local ring_arg=""
	[ "$AF_PACKET_FRAMES" -gt 0 ] && ring_arg=",framecnt=$AF_PACKET_FRAMES"
	local secret_line="" auth_required=false lac_secret=()
	if [ "$tauth" = 1 ]; then
		secret_line="secret = \"$PEERS_TUNNEL_SECRET\""
		auth_required=true
		lac_secret=(--secret "$PEERS_TUNNEL_SECRET")
	fi
	LNS_TOML="$d/lns.toml"
	LNS_LOG_DIR=$d
	LNS_ACCESS_DEVARGS=$ring_arg
	{
		lns_dataplane_toml main_lcore="$LNS_CPU" mbuf_pool_size=16383 mbuf_cache_size=128 \
			session_capacity="$SESSION_CAPACITY" tunnel_capacity=1024 route_capacity=16384 command_ring_size=4096 \
			event_ring_size=4096 punt_ring_size=4096 inject_ring_size=4096 idle_max_sleep_us=200 \
			punt_unknown_sessions=true
		cat <<EOF

[controlplane]
lcore = $LNS_CPU
log_level = "warn"
mgmt_socket = "$d/cp.sock"
idle_max_sleep_us = 500
shutdown_timeout_ms = 5000
hello_interval_s = 60
receive_window = 64
max_tunnels = 4096
max_tunnels_per_peer = 1024
max_half_open = 1024
max_half_open_per_peer = 1024
max_sessions_per_tunnel = 4096

[lns]
host_name = "l2tpx-bench"
tunnel_auth_required = $auth_required
authentication = "pap"
users_file = "$d/users"
gateway_address = "100.64.0.1"
lcp_echo_interval_s = 60
lcp_echo_failures = 3
enable_ipv6cp = false
check_source = true

[[lac]]
address = "$PEERS_LAC_IP"
host_name = "l2tpx-lac"
$secret_line

[[pool]]
name = "bench"
first = "100.64.0.10"
last = "$pool_last"
EOF
	} >"$LNS_TOML"
	"$CP_BIN" -c "$d/lns.toml" --check >"$d/check.log" 2>&1 || { cat "$d/check.log" >&2; return 1; }
	lns_start_dataplane
	# log_level "warn" (no per-call lines): ready once the management socket exists.
	lns_start_controlplane "$d/cp.sock"
	PEERS_PIDS+=("$CP_PID")
	local cap_pid=
	if [ "${BENCH_CP_CAPTURE:-0}" = 1 ]; then # diagnosis: every L2TP packet on the LAC's veth
		: >"$d/tcpdump.log"
		ip netns exec "$PEERS_NS_LAC" setsid tcpdump -i "$PEERS_IF_LAC" -U -s 256 -n -B 32768 -w "$d/lac-side.pcap" \
			'udp port 1701' >>"$d/tcpdump.log" 2>&1 &
		cap_pid=$!
		PEERS_PIDS+=("$cap_pid")
		peers_wait_for 10 "tcpdump to listen" grep -q 'listening on' "$d/tcpdump.log"
		# The same on the LNS's veth (beside net_af_packet): what reached the dataplane's port.
		: >"$d/tcpdump-lns.log"
		ip netns exec "$PEERS_NS_LNS" setsid tcpdump -i "$PEERS_IF_LNS" -U -s 256 -n -B 32768 -w "$d/lns-side.pcap" \
			'udp port 1701' >>"$d/tcpdump-lns.log" 2>&1 &
		cap_pid="$cap_pid $!"
		PEERS_PIDS+=("$!")
		peers_wait_for 10 "tcpdump to listen" grep -q 'listening on' "$d/tcpdump-lns.log"
	fi
	local perf_pid=
	if [ "${BENCH_CP_PERF:-0}" = 1 ]; then # diagnosis: where the control plane's CPU goes
		perf record -q -F 999 -g -p "$CP_PID" -o "$d/controlplane.perf.data" >"$d/perf.log" 2>&1 &
		perf_pid=$!
	fi
	sleep 0.5
	local dp0 cp0 t0 t1 rcvbuf0
	rcvbuf0=$(udp_rcvbuf_errors "$PEERS_NS_LAC")
	dp0=$(cpu_ticks "$DP_PID")
	cp0=$(cpu_ticks "$CP_PID")
	t0=$(date +%s.%N)
	# --hold: the LAC keeps the sessions after its report, so the LNS's view can be read
	# before the teardown; no --target: no traffic phase.
	ip netns exec "$PEERS_NS_LAC" taskset -c "$LAC_CPU" "$LAC_BIN" --lns "$PEERS_LNS_IP" --local "$PEERS_LAC_IP" \
		"${lac_args[@]}" --auth pap "${lac_secret[@]}" --max-outstanding "$MAX_OUTSTANDING" --setup-rate 1000000 \
		--setup-timeout 300 --json "$d/lac.json" --hold >"$d/lac.out" 2>"$d/lac.log" </dev/null &
	LAC_PID=$!
	local i
	for ((i = 0; i < 3200; i++)); do # up to 320 s (--setup-timeout 300): the report, sessions held
		grep -q '^result' "$d/lac.out" 2>/dev/null && break
		peers_alive "$LAC_PID" || break
		sleep 0.1
	done
	t1=$(date +%s.%N)
	local dp1 cp1 lac_ticks
	dp1=$(cpu_ticks "$DP_PID")
	cp1=$(cpu_ticks "$CP_PID")
	lac_ticks=$(cpu_ticks "$LAC_PID")
	echo "$(($(udp_rcvbuf_errors "$PEERS_NS_LAC") - rcvbuf0))" >"$d/lac-rcvbuf-errors"
	[ -n "$perf_pid" ] && { kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null; }
	dp_drops_json >"$d/dp-drops.json"
	MGMT_SOCK="$d/cp.sock" lns_mgmt "show stats" >"$d/cp-stats.json" 2>/dev/null || echo '{}' >"$d/cp-stats.json"
	# The LAC tears its sessions down (StopCCN) and writes its JSON report on SIGTERM.
	if peers_alive "$LAC_PID"; then
		kill -TERM "$LAC_PID"
		for ((i = 0; i < 600; i++)); do peers_alive "$LAC_PID" || break; sleep 0.1; done
	fi
	wait "$LAC_PID" 2>/dev/null
	LAC_PID=
	local p
	for p in $cap_pid; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	stop_lns
	[ -s "$d/lac.json" ] || { echo "bench-cp: $name: l2tpx-lac wrote no report" >&2; tail -20 "$d/lac.log" >&2; return 1; }
	/usr/bin/python3 - "$name" "$sessions" "$tunnels" "$tauth" "$MAX_OUTSTANDING" "$d/lac.json" "$d/cp-stats.json" \
		"$dp0" "$dp1" "$cp0" "$cp1" "$lac_ticks" "$t0" "$t1" "$(getconf CLK_TCK)" "$(cat "$d/lac-rcvbuf-errors")" \
		"$d/dp-drops.json" "$AF_PACKET_FRAMES" >>"$PEERS_TMP/results.jsonl" <<'PY'
import json, sys
(name, sessions, tunnels, tauth, outstanding, lac_path, cp_path, dp0, dp1, cp0, cp1, lac_ticks, t0, t1,
 hz, rcvbuf, drops_path, afp) = sys.argv[1:]
r = json.load(open(lac_path))
try:
    cp = json.load(open(cp_path))
except ValueError:
    cp = {}
hz = float(hz)
wall = float(t1) - float(t0)
setup = r["setup"]
out = {
    "scenario": name, "sessions": int(sessions), "tunnels": int(tunnels), "auth": "pap",
    "tunnel_auth": tauth == "1", "max_outstanding": int(outstanding),
    "setups_per_s": round(setup["setups_per_s"], 1), "seconds_to_all_up": round(setup["wall_s"], 3),
    "up": r["sessions"]["up"], "failed": r["sessions"]["failed"], "failures": r["sessions"]["failures"],
    "call_ms_avg": round(setup["call_ms_avg"], 1), "call_ms_max": round(setup["call_ms_max"], 1),
    "cpu_s": {"dataplane": round((int(dp1) - int(dp0)) / hz, 2), "controlplane": round((int(cp1) - int(cp0)) / hz, 2),
              "lac": round(int(lac_ticks) / hz, 2)},
    "window_s": round(wall, 2), "lac_socket_send_errors": r.get("socket_send_errors"),
    "af_packet_frames": int(afp) or 512,
}
lns = (int(dp1) - int(dp0) + int(cp1) - int(cp0)) / hz
out["lns_cpu_share"] = round(lns / wall, 2) if wall else None
out["lac_cpu_share"] = round(int(lac_ticks) / hz / wall, 2) if wall else None
calls = cp.get("calls", {})
l2 = cp.get("l2tp", {})
try:
    drops = json.load(open(drops_path))
except ValueError:
    drops = {}
out["lns"] = {"sessions_installed": cp.get("dataplane", {}).get("sessions_installed"),
              "install_failures": cp.get("daemon", {}).get("install_failures"),
              "rx_datagrams": cp.get("daemon", {}).get("rx_datagrams"),
              "tx_datagrams": cp.get("daemon", {}).get("tx_datagrams"),
              # PPP frames that arrived before the session was up (the LAC's LCP beat its ICCN)
              "rx_data_not_up": l2.get("rx_data_not_up"),
              "calls": {k: v for k, v in calls.items() if k != "down" and v},
              "dataplane_drops": drops}
out["lac_udp_rcvbuf_errors"] = int(rcvbuf)
print(json.dumps(out, sort_keys=False))
PY
}

say() { printf 'bench-cp: %s\n' "$*" >&2; }
say "control plane $CP_BIN"
say "$(nproc) CPUs; LNS (dataplane + control plane) on CPU $LNS_CPU, l2tpx-lac on CPU $LAC_CPU; load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$PEERS_TMP/results.jsonl"
rc=0
for s in "${SCEN[@]}"; do
	say "scenario $s ($(scenario_def "$s" | awk '{printf "%d sessions over %d tunnels, tunnel auth %s", $1, $2, ($3 ? "on" : "off")}'))"
	run_scenario "$s" || rc=1
done

/usr/bin/python3 - "$PEERS_TMP/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("%-16s %8s %7s %6s %12s %10s %8s %9s %9s %9s" % ("scenario", "sessions", "tunnels", "t-auth", "setups/s",
                                                    "all up (s)", "failed", "cp cpu s", "dp cpu s", "lac cpu s"))
for r in rows:
    print("%-16s %8d %7d %6s %12.1f %10.3f %8d %9.2f %9.2f %9.2f" % (
        r["scenario"], r["sessions"], r["tunnels"], "yes" if r["tunnel_auth"] else "no", r["setups_per_s"],
        r["seconds_to_all_up"], r["failed"], r["cpu_s"]["controlplane"], r["cpu_s"]["dataplane"], r["cpu_s"]["lac"]))
for r in rows:
    print(json.dumps(r))
PY
[ -n "$OUT" ] && cat "$PEERS_TMP/results.jsonl" >>"$OUT"
exit $rc
