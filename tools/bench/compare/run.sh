#!/usr/bin/env bash
# Side by side, in one run on one machine: our LNS (l2tpx-dataplane + l2tpx-controlplane,
# started as tools/lab.sh starts them) and l2tpns (+ FreeRADIUS, on its tun device), each
# loaded by the same generator with the same options (docs/benchmarks.md, "LNS comparison").
#
# For each LNS, in fresh namespaces (LAC ns -- veth -- LNS ns -- veth -- core ns):
#  1. setup: the generator dials --sessions calls over --tunnels tunnels (PPP: LCP, CHAP-MD5
#     for l2tpns / CHAP for l2tpx, IPCP) as fast as the LNS takes them (at most
#     --max-outstanding calls in setup at once), no traffic: setups/s and seconds until all
#     are up, repeated --setup-runs times;
#  2. forwarding: --fwd-sessions sessions send ICMP echo to a host in the core namespace
#     (upstream through the LNS, the replies downstream through it) for --probe-s seconds per
#     probe; the total rate doubles from --start-pps until a probe loses a packet (or the
#     generator cannot reach the rate), then --bisect steps narrow the highest zero-loss rate.
# Prints a table and one JSON object per LNS per line (also written to --out).
#
# usage: tools/bench/compare/run.sh [options]   (root; exit 77 when not root)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../../.." && pwd)
SESSIONS=1000
TUNNELS=10
MAX_OUTSTANDING=100
SETUP_RATE_LIST=200,300,500,1000,2000,5000,1000000
NO_FWD=0
SETUP_RUNS=1
FWD_SESSIONS=100
PROBE_S=3
START_PPS=1000
MAX_PPS=400000
BISECT=4
LNS_LIST=l2tpx,l2tpns
BUILD=${L2TPX_COMPARE_BUILD:-$repo/build}
LAC_KIND=socket
LAC_BIN=
OUT=
DO_BUILD=1

usage() {
	cat <<EOF
usage: $0 [options]
  --lns LIST           which LNS, in order (default $LNS_LIST)
  --sessions N         sessions for the setup measurement (default $SESSIONS)
  --tunnels T          tunnels they are spread over (default $TUNNELS)
  --max-outstanding N  calls in setup at once (default $MAX_OUTSTANDING)
  --setup-rates LIST   the generator's caps on dialled calls/s, one setup measurement
                       each; the best is the headline (default $SETUP_RATE_LIST;
                       1000000 = no cap)
  --setup-runs K       setup measurements per LNS (default $SETUP_RUNS)
  --fwd-sessions M     sessions carrying the forwarding probes (default $FWD_SESSIONS)
  --no-fwd             setup measurement only
  --probe-s S          seconds of traffic per probe (default $PROBE_S)
  --start-pps R        first probe's total echo requests/s (default $START_PPS)
  --max-pps R          highest probe (default $MAX_PPS)
  --bisect K           bisection steps after the first lossy probe (default $BISECT)
  --build DIR          build directory with the LNS and l2tpx-lac (default $BUILD,
                       or \$L2TPX_COMPARE_BUILD); built there unless --no-build
  --lac socket|gen     the generator: l2tpx-lac (default) or l2tpx-gen
  --lac-bin PATH       the generator's binary (default from --build)
  --out FILE           JSON lines (default BUILD/compare-results.jsonl)
  --no-build           do not run ninja
EOF
}
bad() { echo "compare: $*" >&2; usage >&2; exit 2; }
is_uint() { [[ ${1:-} =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ]; }
while [ $# -gt 0 ]; do
	case $1 in
	--lns) LNS_LIST=${2:-}; shift 2 || bad "--lns: a list" ;;
	--sessions) is_uint "${2:-}" || bad "--sessions: a count"; SESSIONS=$2; shift 2 ;;
	--tunnels) is_uint "${2:-}" || bad "--tunnels: a count"; TUNNELS=$2; shift 2 ;;
	--max-outstanding) is_uint "${2:-}" || bad "--max-outstanding: a count"; MAX_OUTSTANDING=$2; shift 2 ;;
	--setup-rates) [[ ${2:-} =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || bad "--setup-rates: calls/s,..."
		SETUP_RATE_LIST=$2; shift 2 ;;
	--no-fwd) NO_FWD=1; shift ;;
	--setup-runs) is_uint "${2:-}" || bad "--setup-runs: a count"; SETUP_RUNS=$2; shift 2 ;;
	--fwd-sessions) is_uint "${2:-}" || bad "--fwd-sessions: a count"; FWD_SESSIONS=$2; shift 2 ;;
	--probe-s) is_uint "${2:-}" || bad "--probe-s: whole seconds"; PROBE_S=$2; shift 2 ;;
	--start-pps) is_uint "${2:-}" || bad "--start-pps: a rate"; START_PPS=$2; shift 2 ;;
	--max-pps) is_uint "${2:-}" || bad "--max-pps: a rate"; MAX_PPS=$2; shift 2 ;;
	--bisect) [[ ${2:-} =~ ^[0-9]+$ ]] || bad "--bisect: a count"; BISECT=$2; shift 2 ;;
	--build) [ -n "${2:-}" ] || bad "--build: a directory"; BUILD=$(realpath -m "$2"); shift 2 ;;
	--lac) LAC_KIND=${2:-}; shift 2 || bad "--lac: socket|gen" ;;
	--lac-bin) [ -n "${2:-}" ] || bad "--lac-bin: a path"; LAC_BIN=$(realpath -m "$2"); shift 2 ;;
	--out) [ -n "${2:-}" ] || bad "--out: a file"; OUT=$(realpath -m "$2"); shift 2 ;;
	--no-build) DO_BUILD=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) bad "unknown option '$1'" ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "compare: skipped: needs root (namespaces, hugepages)"; exit 77; }
[ "$FWD_SESSIONS" -le "$SESSIONS" ] || bad "--fwd-sessions must not exceed --sessions"
[ "$SESSIONS" -le 4000 ] || bad "--sessions: at most 4000 (the pools are a /20)"
case $LAC_KIND in socket | gen) ;; *) bad "--lac: socket|gen" ;; esac
IFS=, read -r -a LNSES <<<"$LNS_LIST"
IFS=, read -r -a SETUP_RATES <<<"$SETUP_RATE_LIST"
SETUP_RATE=${SETUP_RATES[0]}
for l in "${LNSES[@]}"; do
	case $l in l2tpx | l2tpns) ;; *) bad "--lns: l2tpx and/or l2tpns, not '$l'" ;; esac
done
OUT=${OUT:-$BUILD/compare-results.jsonl}
say() { printf '%s compare: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

DP_BIN=$BUILD/dataplane/l2tpx-dataplane
CP_BIN=$BUILD/controlplane/daemon/l2tpx-controlplane
if [ -z "$LAC_BIN" ]; then
	if [ "$LAC_KIND" = socket ]; then LAC_BIN=$BUILD/tools/gen/lac/l2tpx-lac; else LAC_BIN=$BUILD/tools/gen/dpdk/l2tpx-gen; fi
fi
if [ $DO_BUILD = 1 ]; then
	targets=()
	[[ ,$LNS_LIST, == *,l2tpx,* ]] && targets+=(dataplane/l2tpx-dataplane controlplane/daemon/l2tpx-controlplane)
	if [ "$LAC_KIND" = socket ]; then targets+=(tools/gen/lac/l2tpx-lac); else targets+=(tools/gen/dpdk/l2tpx-gen); fi
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$repo" >/dev/null || { echo "compare: meson setup failed" >&2; exit 1; }
	fi
	[ ${#targets[@]} = 0 ] || ninja -C "$BUILD" "${targets[@]}" >&2 || { echo "compare: build failed" >&2; exit 1; }
fi
[ -x "$LAC_BIN" ] || { echo "compare: no generator at $LAC_BIN" >&2; exit 1; }
if [[ ,$LNS_LIST, == *,l2tpx,* ]]; then
	[ -x "$DP_BIN" ] && [ -x "$CP_BIN" ] || { echo "compare: no l2tpx LNS in $BUILD" >&2; exit 1; }
fi
if [[ ,$LNS_LIST, == *,l2tpns,* ]]; then
	for c in l2tpns freeradius; do
		command -v $c >/dev/null || { echo "compare: $c is not installed" >&2; exit 1; }
	done
fi

RESULTS=$(mktemp /tmp/l2tpx-compare-results.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT
MACHINE="$(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -r)"
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# ---------------------------------------------------------------------------------------
# One LNS phase. Runs in a subshell: peers_lib.sh's EXIT trap removes its namespaces and
# processes whatever happens; the phase appends its JSON line to $RESULTS.
phase() { # lns
	local LNS=$1
	export PEERS_PREFIX=l2tpx-cmp
	export PEERS_POOL=198.19.0.0/20
	# shellcheck source=../../../tests/peers/peers_lib.sh source-path=SCRIPTDIR
	. "$repo/tests/peers/peers_lib.sh"
	# shellcheck source=../../../tests/peers/lns_lib.sh source-path=SCRIPTDIR
	. "$repo/tests/peers/lns_lib.sh"
	DP_PREFIX="l2tpx-cmp-$BASHPID"
	LNS_PREFIX=$DP_PREFIX
	GEN_PREFIX="l2tpx-cmp-gen-$BASHPID"
	CP_PID=
	phase_exit() {
		local rc=$? i
		trap '' INT TERM
		# The control plane (a DPDK secondary) must not outlive its primary: stop it first
		# and wait, before peers_cleanup signals everything else at once.
		if [ -n "$CP_PID" ] && kill -0 "$CP_PID" 2>/dev/null; then
			kill -TERM "$CP_PID"
			for ((i = 0; i < 150; i++)); do kill -0 "$CP_PID" 2>/dev/null || break; sleep 0.1; done
		fi
		(
			(exit $rc)
			peers_cleanup
		)
		rc=$?
		# DPDK files of our prefix, left behind when a process had to be killed.
		lns_remove_dpdk_files
		rm -rf "/var/run/dpdk/$GEN_PREFIX" 2>/dev/null
		exit $rc
	}
	peers_init
	trap phase_exit EXIT
	peers_start_core
	SOFTNET_START=$(softnet_dropped)
	for ns in "$PEERS_NS_LNS" "$PEERS_NS_LAC" "$PEERS_NS_CORE"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	USER_PATTERN='user{n}@cmp'
	PASSWORD_PATTERN='pw-{n}'
	session_args "$SESSIONS"
	"$LAC_BIN" "${SESSION_ARGS[@]}" --user "$USER_PATTERN" --password "$PASSWORD_PATTERN" \
		--print-users >"$PEERS_TMP/users" || peers_die "--print-users"
	[ "$LAC_KIND" = gen ] && gen_topology
	case $LNS in
	l2tpns) start_l2tpns ;;
	l2tpx) start_l2tpx ;;
	esac

	local k rate_cap json setup_runs=""
	for rate_cap in "${SETUP_RATES[@]}"; do
		for ((k = 1; k <= SETUP_RUNS; k++)); do
			json="$PEERS_TMP/setup-$rate_cap-$k.json"
			say "$LNS: setup: $SESSIONS sessions over $TUNNELS tunnels, at most $MAX_OUTSTANDING in setup, dialled at most $rate_cap/s (run $k)"
			read -r up sps wall avg < <(SETUP_RATE=$rate_cap "setup_once_$LAC_KIND" "$json")
			[ -n "$up" ] || peers_die "setup run: no report (see lac.log)"
			local per_call=""
			[ "$avg" = null ] || per_call=", call avg $avg ms"
			say "$LNS: setup: $up/$SESSIONS up, $sps setups/s, all up after $wall s$per_call"
			setup_runs+="${setup_runs:+,}{\"setup_rate_cap\":$rate_cap,\"up\":$up,\"setups_per_s\":$sps,\"seconds_to_all_up\":$wall,\"call_ms_avg\":$avg}"
			settle
		done
	done

	# Forwarding: doubling, then bisection between the best clean and the first lossy rate.
	local good=0 good_achieved=0 bad_rate=0 rate=$START_PPS probes="" verdict limit=""
	probe() { # total pps -> sets verdict (clean|loss|slow|setup) and achieved
		local r=$1
		read -r verdict achieved sent received < <("probe_once_$LAC_KIND" "$PEERS_TMP/probe-$r.json" "$r")
		say "$LNS: probe $r pps: $verdict (sent $sent at $achieved/s, received $received)"
		probes+="${probes:+,}{\"pps\":$r,\"achieved_pps\":$achieved,\"sent\":$sent,\"received\":$received,\"verdict\":\"$verdict\"}"
		settle
	}
	while [ $NO_FWD = 0 ]; do
		probe "$rate"
		case $verdict in
		clean) good=$rate good_achieved=$achieved ;;
		slow) limit="generator"; bad_rate=$rate; break ;;
		setup) limit="setup"; bad_rate=$rate; break ;;
		*) bad_rate=$rate; break ;;
		esac
		[ "$rate" -lt "$MAX_PPS" ] || { limit="max-pps"; break; }
		rate=$((rate * 2 > MAX_PPS ? MAX_PPS : rate * 2))
	done
	if [ "$bad_rate" -gt 0 ] && [ -z "$limit" ]; then
		for ((k = 0; k < BISECT; k++)); do
			rate=$(((good + bad_rate) / 2))
			[ "$rate" -gt "$good" ] && [ "$rate" -lt "$bad_rate" ] || break
			probe "$rate"
			if [ "$verdict" = clean ]; then
				good=$rate good_achieved=$achieved
			else
				bad_rate=$rate
				[ "$verdict" = slow ] && { limit="generator"; break; }
				[ "$verdict" = setup ] && { limit="setup"; break; }
			fi
		done
		limit=${limit:-loss}
	fi
	drop_counters >"$PEERS_TMP/counters.json" || echo '{}' >"$PEERS_TMP/counters.json"
	/usr/bin/python3 - "$LNS" "$SESSIONS" "$TUNNELS" "$MAX_OUTSTANDING" "$FWD_SESSIONS" "$PROBE_S" "$good" \
		"$good_achieved" "$bad_rate" "$limit" "[$probes]" "[$setup_runs]" \
		"$LAC_KIND" "$MACHINE" "$DATE" "$NO_FWD" "$PEERS_TMP/counters.json" >>"$RESULTS" <<'PY'
import json, sys
a = sys.argv[1:]
runs = json.loads(a[11])
# The headline: the best run among those that brought every session up (else the best).
complete = [r for r in runs if r["up"] == int(a[1])] or runs
best = max(complete, key=lambda r: r["setups_per_s"])
row = {
    "lns": a[0], "sessions": int(a[1]), "tunnels": int(a[2]), "max_outstanding": int(a[3]),
    "sessions_up": min(r["up"] for r in runs), "setups_per_s": best["setups_per_s"],
    "seconds_to_all_up": best["seconds_to_all_up"], "call_ms_avg": best["call_ms_avg"],
    "setup_rate_cap": best["setup_rate_cap"], "setup_runs": runs}
if a[15] == "0":
    row.update({
        "fwd_sessions": int(a[4]), "probe_s": int(a[5]),
        "zero_loss_pps": int(a[7]), "zero_loss_requested_pps": int(a[6]),
        "zero_loss_pps_both_directions": 2 * int(a[7]),
        "first_failed_pps": int(a[8]) or None, "limited_by": a[9] or None,
        "probes": json.loads(a[10])})
try:
    row["drops_whole_phase"] = json.load(open(a[16]))
except (OSError, ValueError):
    pass
row.update({"generator": "l2tpx-lac" if a[12] == "socket" else "l2tpx-gen", "machine": a[13], "date": a[14]})
print(json.dumps(row))
PY
	say "$LNS: done"
}

# Where packets were lost, summed over the whole phase (setup runs and every probe): the
# generator's and the LNS's UDP receive-buffer overflows, the kernel's link drops in the
# three namespaces (veths, l2tpns's tun0) and, for l2tpx, the dataplane's drop counters and
# its ports' missed/error counts. Prints one JSON object.
drop_counters() {
	local lac_snmp lns_snmp core_snmp links telemetry='{}'
	lac_snmp=$(ip netns exec "$PEERS_NS_LAC" cat /proc/net/snmp)
	lns_snmp=$(ip netns exec "$PEERS_NS_LNS" cat /proc/net/snmp)
	links=$(for ns in "$PEERS_NS_LAC" "$PEERS_NS_LNS" "$PEERS_NS_CORE"; do ip -n "$ns" -s -j link show; done |
		/usr/bin/python3 -c 'import json,sys; print(json.dumps([l for x in sys.stdin if x.strip() for l in json.loads(x)]))')
	if [ -n "${DP_PREFIX:-}" ] && [ -S "/var/run/dpdk/$DP_PREFIX/dpdk_telemetry.v2" ]; then
		telemetry=$(/usr/bin/python3 - "/var/run/dpdk/$DP_PREFIX/dpdk_telemetry.v2" <<'TPY'
import json, socket, sys
out = {}
for cmd in ("/l2tpx/drops", "/ethdev/stats,0", "/ethdev/stats,1"):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(2)
        s.connect(sys.argv[1])
        s.recv(16384)
        s.send(cmd.encode())
        body = json.loads(s.recv(1 << 20).decode()).get(cmd.split(",")[0], {})
        s.close()
        lossy = lambda k: not cmd.startswith("/ethdev") or any(w in k for w in ("miss", "err", "drop", "nombuf"))
        out[cmd] = {k: v for k, v in body.items() if isinstance(v, int) and v and lossy(k)}
    except (OSError, ValueError) as e:
        out[cmd] = str(e)
print(json.dumps(out))
TPY
)
	fi
	core_snmp=$(ip netns exec "$PEERS_NS_CORE" cat /proc/net/snmp)
	/usr/bin/python3 - "$lac_snmp" "$lns_snmp" "$links" "$telemetry" "$core_snmp" "$SOFTNET_START" "$(softnet_dropped)" <<'CPY'
import json, sys
def udp(snmp):
    rows = [l.split() for l in snmp.splitlines() if l.startswith("Udp:")]
    d = dict(zip(rows[0][1:], (int(x) for x in rows[1][1:]))) if len(rows) >= 2 else {}
    return {k: d.get(k, 0) for k in ("InErrors", "RcvbufErrors", "SndbufErrors")}
links = {}
for l in json.loads(sys.argv[3] or "[]"):
    st = l.get("stats64", {})
    d = {"rx_dropped": st.get("rx", {}).get("dropped", 0), "tx_dropped": st.get("tx", {}).get("dropped", 0)}
    if any(d.values()):
        links[l["ifname"]] = d
def icmp(snmp):
    rows = [l.split() for l in snmp.splitlines() if l.startswith("Icmp:")]
    d = dict(zip(rows[0][1:], (int(x) for x in rows[1][1:]))) if len(rows) >= 2 else {}
    return {k: d.get(k, 0) for k in ("InEchos", "OutEchoReps")}
out = {"generator_udp": udp(sys.argv[1]), "lns_ns_udp": udp(sys.argv[2]), "link_drops": links,
       "core_host_icmp": icmp(sys.argv[5]),
       "softnet_backlog_drops_machine_wide": int(sys.argv[7]) - int(sys.argv[6])}
t = json.loads(sys.argv[4])
if t:
    out["dataplane"] = t
print(json.dumps(out))
CPY
}

# Packets dropped because a CPU's input backlog was full (veth delivers through it), summed
# over all CPUs: machine-wide, not per namespace (other work on the machine counts too).
softnet_dropped() {
	local dropped rest sum=0
	while read -r _ dropped rest; do sum=$((sum + 16#$dropped)); done </proc/net/softnet_stat
	echo "$sum"
}

# Lets the LNS reap the previous run's tunnels before the next one dials.
settle() { sleep 2; }

# The generator, the same for both LNS. SESSION_ARGS: how N sessions are spread over the
# tunnels (the users' {t}/{s} placeholders depend on it, so --print-users gets it too).
session_args() { # n
	local n=$1 t=$TUNNELS
	[ "$n" -lt "$t" ] && t=$n
	SESSION_ARGS=(--sessions "$n" --tunnels "$t")
	# l2tpx-gen fills tunnels of --sessions-per-tunnel (default 100) one after the other.
	[ "$LAC_KIND" = gen ] && SESSION_ARGS+=(--sessions-per-tunnel $(((n + t - 1) / t)))
}

# l2tpx-lac: a UDP socket in the LAC namespace; ICMP echo to the core host.
run_lac() { # json, sessions, options...
	local json=$1 n=$2
	shift 2
	session_args "$n"
	rm -f "$json"
	ip netns exec "$PEERS_NS_LAC" "$LAC_BIN" --lns "$PEERS_LNS_IP" --local "$PEERS_LAC_IP" \
		"${SESSION_ARGS[@]}" --user "$USER_PATTERN" --password "$PASSWORD_PATTERN" \
		--auth any --secret "$PEERS_TUNNEL_SECRET" --max-outstanding "$MAX_OUTSTANDING" --setup-rate "$SETUP_RATE" \
		--json "$json" "$@" >>"$PEERS_TMP/lac.out" 2>>"$PEERS_TMP/lac.log" </dev/null
}

setup_once_socket() { # json -> "up setups_per_s seconds_to_all_up call_ms_avg"
	run_lac "$1" "$SESSIONS" --setup-timeout 300
	/usr/bin/python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(r["sessions"]["up"], round(r["setup"]["setups_per_s"], 1), round(r["setup"]["wall_s"], 3), round(r["setup"]["call_ms_avg"], 1))' "$1" 2>/dev/null
}

probe_once_socket() { # json, total pps -> "verdict achieved_pps sent received"
	local per
	per=$(awk -v r="$2" -v m="$FWD_SESSIONS" 'BEGIN { printf "%.6f", r / m }')
	run_lac "$1" "$FWD_SESSIONS" --setup-timeout 120 --target "$PEERS_CORE_IP" --rate "$per" \
		--duration "$PROBE_S" --reply-wait 1 --max-loss 0
	/usr/bin/python3 -c 'import json,sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("setup 0 0 0"); sys.exit()
want, n = float(sys.argv[2]), int(sys.argv[3])
t = r.get("traffic") or {}
if r["sessions"]["up"] != n or not t:
    print("setup 0 0 0"); sys.exit()
achieved = t["sent"] / t["duration_s"] if t["duration_s"] > 0 else 0
v = "loss" if t["received"] < t["sent"] else ("slow" if achieved < 0.95 * want else "clean")
print(v, round(achieved), t["sent"], t["received"])' "$1" "$2" "$FWD_SESSIONS"
}

# l2tpx-gen: DPDK on the LAC's veth end and on the core host's veth end, which moves into
# the LAC namespace (one process opens both); UDP streams in both directions.
gen_topology() {
	ip -n "$PEERS_NS_LAC" addr flush dev "$PEERS_IF_LAC"
	ip -n "$PEERS_NS_CORE" link set "$PEERS_IF_CORE" netns "$PEERS_NS_LAC" || peers_die "moving the core veth"
	ip -n "$PEERS_NS_LAC" link set "$PEERS_IF_CORE" up
}

run_gen() { # json, sessions, options...
	local json=$1 n=$2
	shift 2
	session_args "$n"
	rm -f "$json"
	ip netns exec "$PEERS_NS_LAC" "$LAC_BIN" --access-port "net_af_packet0,iface=$PEERS_IF_LAC" \
		--lac "$PEERS_LAC_IP" --lns "$PEERS_LNS_IP" --core-port "net_af_packet1,iface=$PEERS_IF_CORE" \
		--core-address "$PEERS_CORE_IP" --core-next-hop "$PEERS_CORE_GW_IP" \
		"${SESSION_ARGS[@]}" --user "$USER_PATTERN" --password "$PASSWORD_PATTERN" \
		--auth any --secret "$PEERS_TUNNEL_SECRET" --host-name l2tpx-lac \
		--max-outstanding "$MAX_OUTSTANDING" --setup-rate "$SETUP_RATE" --frame-size 128 --quiet \
		--json "$json" "$@" -- --no-huge -m 256 --file-prefix "$GEN_PREFIX" \
		>>"$PEERS_TMP/lac.out" 2>>"$PEERS_TMP/lac.log" </dev/null
}

setup_once_gen() {
	# The shortest traffic phase the generator has (1 s at 1 pps per session, upstream).
	run_gen "$1" "$SESSIONS" --setup-timeout 300 --rate 1 --duration 1 --direction up
	/usr/bin/python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(r["sessions"]["up"], round(r["setup"]["setups_per_s"], 1), round(r["setup"]["setup_s"], 3), "null")' "$1" 2>/dev/null
}

probe_once_gen() { # json, pps per direction
	run_gen "$1" "$FWD_SESSIONS" --setup-timeout 120 --rate-total $(($2 * 2)) --direction both \
		--duration "$PROBE_S" --max-loss 0
	/usr/bin/python3 -c 'import json,sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("setup 0 0 0"); sys.exit()
want, n = float(sys.argv[2]), int(sys.argv[3])
t = r["totals"]
if r["sessions"]["up"] != n or t["tx_packets"] == 0:
    print("setup 0 0 0"); sys.exit()
achieved = t["tx_packets"] / 2 / r["duration_s"] if r["duration_s"] > 0 else 0
v = "loss" if t["lost"] > 0 else ("slow" if achieved < 0.95 * want else "clean")
print(v, round(achieved), t["tx_packets"], t["rx_packets"])' "$1" "$2" "$FWD_SESSIONS"
}

start_l2tpns() {
	export PEERS_RADIUS_USERS="$PEERS_TMP/users"
	# Production-like: warnings only (debug 3 logs every PPP packet), no IPv6 (the LAC
	# negotiates IPv4 only), LCP echo every 10 s.
	export PEERS_L2TPNS_EXTRA=$'set debug 2\nset ipv6_prefix ::'
	peers_start_radius
	peers_start_l2tpns "$PEERS_TUNNEL_SECRET"
}

start_l2tpx() {
	# DPDK owns both veth ends of the LNS namespace: the kernel must not answer for them.
	ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_LNS"
	ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_CORE_LNS"
	ip netns exec "$PEERS_NS_LNS" sysctl -qw net.ipv4.ip_forward=0
	LNS_IF_CORE_DP=$PEERS_IF_CORE_LNS
	LNS_CORE_DP_IP=$PEERS_CORE_GW_IP
	LNS_CORE_HOST_IP=$PEERS_CORE_IP
	LNS_TOML="$PEERS_TMP/lns.toml"
	LNS_LOG_DIR=$PEERS_TMP
	# A burst of calls outlasts net_af_packet's default 512-frame RX ring while the
	# dataplane shares its CPU; the kernel drops the overflow uncounted (as tools/bench/cp).
	LNS_ACCESS_DEVARGS=",framecnt=4096"
	lns_dataplane_toml mbuf_pool_size=16383 mbuf_cache_size=128 session_capacity=65536 tunnel_capacity=1024 \
		route_capacity=8192 command_ring_size=1024 event_ring_size=4096 punt_ring_size=4096 inject_ring_size=4096 \
		idle_max_sleep_us=200 punt_unknown_sessions=true >"$PEERS_TMP/dp.toml"
	cp "$PEERS_TMP/dp.toml" "$PEERS_TMP/lns.toml"
	cat >>"$PEERS_TMP/lns.toml" <<EOF

[controlplane]
log_level = "warn"
mgmt_socket = "$PEERS_TMP/cp.sock"
idle_max_sleep_us = 500
shutdown_timeout_ms = 5000
hello_interval_s = 60
receive_window = 16
max_half_open_per_peer = 16

[lns]
host_name = "l2tpx-cmp"
tunnel_auth_required = true
authentication = "chap"
auth_fallback = true
users_file = "$PEERS_TMP/users"
gateway_address = "198.19.0.1"
dns = ["198.19.255.1"]
lcp_echo_interval_s = 10
lcp_echo_failures = 3
enable_ipv6cp = false
check_source = true

[[lac]]
address = "$PEERS_LAC_IP"
host_name = "l2tpx-lac"
secret = "$PEERS_TUNNEL_SECRET"

[[pool]]
name = "cmp"
first = "198.19.0.10"
last = "198.19.15.250"
EOF
	lns_check
	lns_start_dataplane "$PEERS_TMP/dp.toml"
	# The management socket is opened once the control plane has attached (its log level is
	# "warn" here, so no "running" line).
	lns_start_controlplane "$PEERS_TMP/cp.sock"
	PEERS_PIDS+=("$CP_PID") # stopped first by phase_exit
	peers_log "l2tpx LNS up (dataplane $DP_PID, control plane $CP_PID)"
}

# ---------------------------------------------------------------------------------------
say "machine: $MACHINE; load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "generator: $LAC_BIN"
failed=0
for l in "${LNSES[@]}"; do
	(phase "$l") || { say "$l: phase failed (exit $?)"; failed=1; }
done

[ -s "$RESULTS" ] || { echo "compare: no results" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
cp "$RESULTS" "$OUT"
/usr/bin/python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print()
print("%-7s %9s %6s %9s %11s %12s %9s %9s %14s %-10s" % ("lns", "sessions", "up", "setups/s", "s to all up",
      "(dial cap)", "call ms", "fwd sess", "zero-loss pps", "limit"))
for r in rows:
    print("%-7s %9d %6d %9.1f %11.3f %12s %9s %9s %14s %-10s" % (r["lns"], r["sessions"], r["sessions_up"],
          r["setups_per_s"], r["seconds_to_all_up"], r["setup_rate_cap"] if r["setup_rate_cap"] < 1000000 else "none",
          "-" if r["call_ms_avg"] is None else "%.1f" % r["call_ms_avg"], r.get("fwd_sessions", "-"),
          r.get("zero_loss_pps", "-"), r.get("limited_by") or "-"))
print("setup runs:")
for r in rows:
    print("  %-7s " % r["lns"] + "  ".join("cap %s: %d up, %.1f/s" % (
        x["setup_rate_cap"] if x["setup_rate_cap"] < 1000000 else "none", x["up"], x["setups_per_s"]) for x in r["setup_runs"]))
print("drops over each phase (setup runs and all probes):")
for r in rows:
    print("  %-7s %s" % (r["lns"], json.dumps(r.get("drops_whole_phase", {}))))
if rows[0]["generator"] == "l2tpx-lac":
    print("(zero-loss pps: ICMP echo requests/s upstream, as many replies downstream; generator l2tpx-lac)")
else:
    print("(zero-loss pps: UDP packets/s in each direction, 128-byte frames; generator l2tpx-gen)")
print()
for r in rows:
    print(json.dumps(r))
PY
say "JSON lines in $OUT"
exit $failed
