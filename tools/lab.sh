#!/usr/bin/env bash
# The l2tpx lab in one command (docs/lab.md): on a fresh Debian 12 machine, as root,
# installs what is needed (tools/setup.sh), builds, and runs the LNS (l2tpx-dataplane +
# l2tpx-controlplane) in network namespaces against l2tpx-gen, the DPDK LAC emulator and
# traffic generator: by default 1,000 PPP sessions over 10 tunnels and 10 s of
# bidirectional UDP traffic through every session, measured at both ends. Prints the
# generator's report and the LNS's counters, then removes everything (also after a failure
# or Ctrl-C).
#
#   generator ns                          LNS ns (DPDK owns both veth ends)
#   access 198.18.0.2 ── veth ── access0 198.18.0.1
#   core   198.19.0.2 ── veth ── core0   198.19.0.1
#   l2tpx-gen (both ports)        l2tpx-dataplane + l2tpx-controlplane
#                                 subscribers 100.64.0.0/10 (pool sized to the sessions)
#
# usage: tools/lab.sh [--sessions N] [--duration S] [--rate PPS] [--ipv6] [--keep] [--json PATH] [--no-setup]
# Exit status: l2tpx-gen's (0 all sessions up and loss within --max-loss, 1 otherwise),
# 2 bad usage, other values when the lab could not be brought up.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
SESSIONS=1000
DURATION=10
RATE=10
MAX_LOSS=0
IPV6=0
KEEP=0
SETUP=1
JSON_OUT=
BUILD=${L2TPX_LAB_BUILD:-$repo/build-lab}

usage() {
	cat <<EOF
usage: $0 [options]
  --sessions N     PPP sessions to bring up, 100 per tunnel (default $SESSIONS)
  --duration S     seconds of traffic through every session (default $DURATION)
  --rate PPS       packets per second per session and direction (default $RATE)
  --max-loss PCT   loss above this fails the run (default $MAX_LOSS)
  --ipv6           IPv6 subscribers too: IPv6CP, a /64 per session by Router
                   Advertisement, IPv4 and IPv6 streams through every session
  --keep           hold the sessions after the report; Ctrl-C tears everything down
  --no-setup       skip tools/setup.sh (packages, hugepages)
  --build DIR      build directory (default $BUILD, or \$L2TPX_LAB_BUILD)
  --json PATH      copy l2tpx-gen's JSON report there
EOF
}
bad() { echo "lab: $*" >&2; usage >&2; exit 2; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
while [ $# -gt 0 ]; do
	case $1 in
	--sessions) [ $# -ge 2 ] && is_uint "$2" && [ "$2" -ge 1 ] && [ "$2" -le 60000 ] ||
		bad "--sessions: 1..60000"; SESSIONS=$2; shift 2 ;;
	--duration) [ $# -ge 2 ] && is_num "$2" || bad "--duration: seconds"; DURATION=$2; shift 2 ;;
	--rate) [ $# -ge 2 ] && is_num "$2" || bad "--rate: packets per second"; RATE=$2; shift 2 ;;
	--max-loss) [ $# -ge 2 ] && is_num "$2" || bad "--max-loss: percent"; MAX_LOSS=$2; shift 2 ;;
	--build) [ $# -ge 2 ] || bad "--build: a directory"; BUILD=$2; shift 2 ;;
	--json) [ $# -ge 2 ] || bad "--json: a file path"; JSON_OUT=$(realpath -m "$2"); shift 2 ;;
	--ipv6) IPV6=1; shift ;;
	--keep) KEEP=1; shift ;;
	--no-setup) SETUP=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) bad "unknown option '$1'" ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "lab: must run as root (namespaces, hugepages, packages)" >&2; exit 1; }

say() { printf '\nlab: %s\n' "$*" >&2; }
TUNNELS=$(((SESSIONS + 99) / 100))

# 1. Machine and build.
if [ $SETUP = 1 ]; then
	say "tools/setup.sh (packages, hugepages)"
	bash "$repo/tools/setup.sh" || exit 1
fi
say "building in $BUILD"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$repo" >"/tmp/l2tpx-lab-meson.log" 2>&1 ||
		{ tail -30 /tmp/l2tpx-lab-meson.log >&2; echo "lab: meson setup failed" >&2; exit 1; }
fi
ninja -C "$BUILD" dataplane/l2tpx-dataplane controlplane/daemon/l2tpx-controlplane tools/l2tpxctl/l2tpxctl \
	tools/gen/dpdk/l2tpx-gen || { echo "lab: build failed" >&2; exit 1; }
# shellcheck disable=SC2034 # LAB_*_BIN are read by tools/gen/lab_lib.sh
LAB_DP_BIN=$BUILD/dataplane/l2tpx-dataplane
# shellcheck disable=SC2034
LAB_CP_BIN=$BUILD/controlplane/daemon/l2tpx-controlplane
CTL_BIN=$BUILD/tools/l2tpxctl/l2tpxctl
GEN_BIN=$BUILD/tools/gen/dpdk/l2tpx-gen

# 2. Namespaces, configuration, the LNS (tools/gen/lab_lib.sh; its EXIT trap removes them).
export PEERS_PREFIX=l2tpx-lab
# shellcheck source=gen/lab_lib.sh
. "$repo/tools/gen/lab_lib.sh"
lab_exit() {
	local rc=$?
	if [ -n "$JSON_OUT" ] && [ -f "${PEERS_TMP:-}/report.json" ]; then
		cp "$PEERS_TMP/report.json" "$JSON_OUT" || echo "lab: cannot write $JSON_OUT" >&2
	fi
	(exit $rc)
	lab_cleanup
}
lab_init
trap lab_exit EXIT
USER_ARGS=(--sessions "$SESSIONS" --tunnels "$TUNNELS" --user 'user{n}@lab' --password 'pw-{n}')
"$GEN_BIN" --print-users "${USER_ARGS[@]}" >"$PEERS_TMP/users" || peers_die "l2tpx-gen --print-users"
lab_write_config "$SESSIONS" "$PEERS_TMP/users"
[ $IPV6 = 0 ] || lab_enable_ipv6
say "starting l2tpx-dataplane and l2tpx-controlplane (session table $LAB_SESSION_CAPACITY slots)"
lab_start_lns

ctl() { "$CTL_BIN" -s "$PEERS_TMP/cp.sock" "$@"; }
counters() { # heading
	say "$1: l2tpxctl show stats"
	ctl show stats || true
	say "$1: dataplane telemetry (non-zero)"
	lns_telemetry /l2tpx/stats /l2tpx/drops | /usr/bin/python3 -c '
import json, sys
for name, line in zip(("/l2tpx/stats", "/l2tpx/drops"), sys.stdin):
    flat = {}
    def walk(p, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(p + [k], x)
        elif v not in (0, "0", None, [], {}):
            flat[".".join(p)] = v
    walk([], json.loads(line))
    print(name, json.dumps(flat, sort_keys=True))' || true
}

# 3. The generator: setup, traffic, report; teardown (StopCCN) before it exits.
say "l2tpx-gen: $SESSIONS sessions over $TUNNELS tunnels, $RATE pps per session each way for $DURATION s"
mapfile -t GEN_ARGS < <(lab_gen_args)
GEN_EXTRA=()
FRAME_SIZES=64,594,1400
[ $KEEP = 1 ] && GEN_EXTRA+=(--hold 24h)
if [ $IPV6 = 1 ]; then # an IPv6 stream frame is at least 82 bytes
	mapfile -t GEN_V6 < <(lab_gen_ipv6_args)
	GEN_EXTRA+=(--ip-version both "${GEN_V6[@]}")
	FRAME_SIZES=82,594,1400
fi
ip netns exec "$PEERS_NS_LAC" "$GEN_BIN" "${GEN_ARGS[@]}" "${USER_ARGS[@]}" --auth any \
	--setup-rate 500 --max-outstanding 128 --setup-timeout 120s --rate "$RATE" --duration "${DURATION}s" --max-lag 250ms \
	--frame-sizes "$FRAME_SIZES" --direction both --max-loss "$MAX_LOSS" --min-sessions-up "$SESSIONS" \
	--json "$PEERS_TMP/report.json" "${GEN_EXTRA[@]}" -- --log-level=lib.eal:warning -m 256 \
	>"$PEERS_TMP/gen.out" 2>"$PEERS_TMP/gen.log" </dev/null &
LAB_GEN_PID=$!
PEERS_PIDS+=("$LAB_GEN_PID")
tail -n +1 -f "$PEERS_TMP/gen.log" --pid "$LAB_GEN_PID" >&2 &
PEERS_PIDS+=("$!")
traffic_started() { ! peers_alive "$LAB_GEN_PID" || grep -q "^l2tpx-gen: traffic" "$PEERS_TMP/gen.log"; }
peers_wait_for 300 "the generator's sessions" traffic_started
sleep 1
peers_alive "$LAB_GEN_PID" && counters "while the traffic runs"
report_ready() { ! peers_alive "$LAB_GEN_PID" || grep -q "^result" "$PEERS_TMP/gen.out"; }
peers_wait_for $((${DURATION%.*} + 60)) "the generator's report" report_ready

if [ $KEEP = 1 ] && peers_alive "$LAB_GEN_PID"; then
	say "l2tpx-gen report (sessions held)"
	cat "$PEERS_TMP/gen.out"
	counters "with the sessions held"
	echo >&2
	echo "lab: --keep: everything stays up. To inspect:" >&2
	echo "  $CTL_BIN -s $PEERS_TMP/cp.sock show sessions" >&2
	echo "  $CTL_BIN -s $PEERS_TMP/cp.sock show tunnels" >&2
	echo "  logs in $PEERS_TMP" >&2
	echo "Press Ctrl-C to tear the sessions down and remove the lab." >&2
fi
wait "$LAB_GEN_PID"
GEN_RC=$?
LAB_GEN_PID=
sleep 0.5
say "l2tpx-gen report (exit status $GEN_RC)"
cat "$PEERS_TMP/gen.out"
counters "after the teardown"
exit $GEN_RC
