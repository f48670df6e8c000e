#!/usr/bin/env bash
# The l2tpx lab in one command (docs/lab.md): on a fresh Debian 12 machine, as root,
# installs what is needed (tools/setup.sh), builds, and runs the LNS (l2tpx-dataplane +
# l2tpx-controlplane) in network namespaces against l2tpx-lac, the socket-based LAC
# emulator: by default 1,000 PPP sessions over 10 tunnels and 10 s of ICMP echo through
# every session to a host behind the LNS's core port. Prints the LAC's report and the LNS's
# counters, then removes everything (also after a failure or Ctrl-C).
#
#   LAC ns                     LNS ns (DPDK owns both veth ends)           core ns
#   198.18.0.2 ── veth ── access0 198.18.0.1     core0 198.19.0.1 ── veth ── 198.19.0.2
#   l2tpx-lac                  l2tpx-dataplane + l2tpx-controlplane        ping target
#                              subscribers 100.64.0.0/10 (pool sized to the sessions)
#
# usage: tools/lab.sh [--sessions N] [--duration S] [--rate PPS] [--keep] [--json PATH] [--no-setup]
# Exit status: l2tpx-lac's (0 all sessions up and loss within --max-loss, 1 otherwise),
# 2 bad usage, other values when the lab could not be brought up.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
SESSIONS=1000
DURATION=10
RATE=2
MAX_LOSS=1
KEEP=0
SETUP=1
JSON_OUT=
BUILD=${L2TPX_LAB_BUILD:-$repo/build-lab}

usage() {
	cat <<EOF
usage: $0 [options]
  --sessions N     PPP sessions to bring up, 100 per tunnel (default $SESSIONS)
  --duration S     seconds of ICMP echo through every session (default $DURATION)
  --rate PPS       echo requests per second per session (default $RATE)
  --max-loss PCT   loss above this fails the run (default $MAX_LOSS)
  --keep           leave everything running after the report; Ctrl-C tears it down
  --no-setup       skip tools/setup.sh (packages, hugepages)
  --build DIR      build directory (default $BUILD, or \$L2TPX_LAB_BUILD)
  --json PATH      copy l2tpx-lac's JSON report there
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
	tools/gen/lac/l2tpx-lac || { echo "lab: build failed" >&2; exit 1; }
DP_BIN=$BUILD/dataplane/l2tpx-dataplane
CP_BIN=$BUILD/controlplane/daemon/l2tpx-controlplane
CTL_BIN=$BUILD/tools/l2tpxctl/l2tpxctl
LAC_BIN=$BUILD/tools/gen/lac/l2tpx-lac

# The dataplane indexes L2TPv2 sessions by (tunnel ID << 16 | session ID) & (capacity - 1)
# and both IDs are random (docs/controlplane-daemon.md, known limits): the larger the table,
# the rarer two calls of different tunnels land on one slot. 2M slots cost ~0.5 GiB.
free_huge=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
mountpoint -q /dev/hugepages || { echo "lab: /dev/hugepages is not mounted (run tools/setup.sh)" >&2; exit 1; }
if [ "${free_huge:-0}" -ge 600 ]; then
	SESSION_CAPACITY=2097152
elif [ "${free_huge:-0}" -ge 320 ]; then
	SESSION_CAPACITY=1048576
elif [ "${free_huge:-0}" -ge 128 ]; then
	SESSION_CAPACITY=262144
else
	echo "lab: needs at least 128 free 2 MiB hugepages (have ${free_huge:-0})" >&2
	exit 1
fi

# 2. Namespaces (tests/peers/peers_lib.sh: cleanup trap, names l2tpx-lab-PID-*).
export PEERS_PREFIX=l2tpx-lab
# shellcheck source=../tests/peers/peers_lib.sh
. "$repo/tests/peers/peers_lib.sh"

LAB_PREFIX="l2tpx-lab-$$"     # DPDK --file-prefix
LAB_NS_CORE="l2tpx-lab-$$-core"
LAB_IF_CORE_DP="lxl$$d"
LAB_IF_CORE="lxl$$h"
CORE_DP_IP=198.19.0.1
CORE_HOST_IP=198.19.0.2
SUB_GW=100.64.0.1
LAC_PID=
CP_PID=

lab_cleanup() {
	local rc=$? i pid
	trap - EXIT
	trap '' INT TERM
	# The LAC first (its StopCCNs still reach the LNS), then the control plane before the
	# dataplane: a DPDK secondary must not outlive its primary.
	for pid in "$LAC_PID" "$CP_PID"; do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid"
		for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
	if ip netns list 2>/dev/null | grep -qw "^$LAB_NS_CORE"; then
		for pid in $(ip netns pids "$LAB_NS_CORE" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$LAB_NS_CORE" 2>/dev/null
	fi
	(exit $rc)
	peers_cleanup # ends the rest, deletes the namespaces and the temp dir; exits with $rc
}
# peers_cleanup ends with `exit`: run the clean-up in a subshell, then remove the DPDK
# files of our prefix (left behind when a process had to be killed).
lab_exit() {
	local rc=$?
	if [ -n "$JSON_OUT" ] && [ -f "${PEERS_TMP:-}/lac-report.json" ]; then
		cp "$PEERS_TMP/lac-report.json" "$JSON_OUT" || echo "lab: cannot write $JSON_OUT" >&2
	fi
	(
		(exit $rc)
		lab_cleanup
	)
	rc=$?
	rm -f /dev/hugepages/"${LAB_PREFIX}"map_* 2>/dev/null
	rm -rf "/var/run/dpdk/$LAB_PREFIX" 2>/dev/null
	exit $rc
}

peers_init
trap lab_exit EXIT

ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_LNS"
ip netns add "$LAB_NS_CORE" || peers_die "netns add"
ip link add "$LAB_IF_CORE_DP" netns "$PEERS_NS_LNS" type veth peer name "$LAB_IF_CORE" netns "$LAB_NS_CORE" ||
	peers_die "veth"
ip -n "$LAB_NS_CORE" link set lo up
ip -n "$LAB_NS_CORE" addr add "$CORE_HOST_IP/24" dev "$LAB_IF_CORE"
ip -n "$LAB_NS_CORE" link set "$LAB_IF_CORE" address 02:00:c6:13:00:02 up
ip -n "$PEERS_NS_LNS" link set "$LAB_IF_CORE_DP" address 02:00:c6:13:00:01 up
ip -n "$LAB_NS_CORE" route add 100.64.0.0/10 via "$CORE_DP_IP"
for ns in "$PEERS_NS_LNS" "$PEERS_NS_LAC" "$LAB_NS_CORE"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# The ping target answers every echo: no ICMP rate limit in its namespace.
ip netns exec "$LAB_NS_CORE" sysctl -qw net.ipv4.icmp_ratelimit=0

# 3. Configuration: pool 100.64.0.10 … sized to the sessions, users from the LAC's pattern.
pool_last_n=$((0x64400000 + 10 + SESSIONS + 63))
POOL_LAST=$(printf '%d.%d.%d.%d' $((pool_last_n >> 24 & 255)) $((pool_last_n >> 16 & 255)) \
	$((pool_last_n >> 8 & 255)) $((pool_last_n & 255)))
LAC_ARGS=(--sessions "$SESSIONS" --tunnels "$TUNNELS" --user 'user{n}@lab' --password 'pw-{n}')
"$LAC_BIN" "${LAC_ARGS[@]}" --print-users >"$PEERS_TMP/users" || peers_die "l2tpx-lac --print-users"

cat >"$PEERS_TMP/dp.toml" <<EOF
[dataplane]
main_lcore = 0
worker_lcores = []
file_prefix = "$LAB_PREFIX"
mbuf_pool_size = 16383
mbuf_cache_size = 128
session_capacity = $SESSION_CAPACITY
tunnel_capacity = 1024
route_capacity = 1024
command_ring_size = 1024
event_ring_size = 4096
punt_ring_size = 4096
inject_ring_size = 4096
idle_max_sleep_us = 200
telemetry = true
# A LAC sends LCP right after its ICCN, before the control plane's install reaches the
# table: punt such frames (bounded by the punt ring) instead of dropping them.
punt_unknown_sessions = true

[[port]]
name = "access0"
devargs = "net_af_packet0,iface=$PEERS_IF_LNS"
role = "access"
addresses = ["$PEERS_LNS_IP/24"]

[[port]]
name = "core0"
devargs = "net_af_packet1,iface=$LAB_IF_CORE_DP"
role = "core"
addresses = ["$CORE_DP_IP/24"]
gateway = "$CORE_HOST_IP"
EOF
cp "$PEERS_TMP/dp.toml" "$PEERS_TMP/lns.toml"
cat >>"$PEERS_TMP/lns.toml" <<EOF

[controlplane]
log_level = "info"
mgmt_socket = "$PEERS_TMP/cp.sock"
idle_max_sleep_us = 500
shutdown_timeout_ms = 5000
hello_interval_s = 60
receive_window = 16
max_half_open_per_peer = 16

[lns]
host_name = "l2tpx-lab"
tunnel_auth_required = true
authentication = "chap"
auth_fallback = true
users_file = "$PEERS_TMP/users"
gateway_address = "$SUB_GW"
dns = ["198.19.0.53"]
lcp_echo_interval_s = 10
lcp_echo_failures = 3
enable_ipv6cp = false
check_source = true

[[lac]]
address = "$PEERS_LAC_IP"
host_name = "l2tpx-lac"
secret = "$PEERS_TUNNEL_SECRET"

[[pool]]
name = "lab"
first = "100.64.0.10"
last = "$POOL_LAST"
EOF

"$CP_BIN" -c "$PEERS_TMP/lns.toml" --check >"$PEERS_TMP/check.log" 2>&1 ||
	peers_die "configuration check: $(cat "$PEERS_TMP/check.log")"

# 4. The LNS.
say "starting l2tpx-dataplane (session table $SESSION_CAPACITY slots) and l2tpx-controlplane"
ip netns exec "$PEERS_NS_LNS" setsid "$DP_BIN" -c "$PEERS_TMP/dp.toml" -- --log-level=lib.eal:warning \
	>>"$PEERS_TMP/dataplane.log" 2>&1 </dev/null &
DP_PID=$!
PEERS_PIDS+=("$DP_PID")
dp_ready() { peers_alive "$DP_PID" || peers_die "l2tpx-dataplane exited"; grep -q "running" "$PEERS_TMP/dataplane.log"; }
peers_wait_for 60 "l2tpx-dataplane to run" dp_ready

ip netns exec "$PEERS_NS_LNS" setsid "$CP_BIN" -c "$PEERS_TMP/lns.toml" -- --log-level=lib.eal:warning \
	>>"$PEERS_TMP/controlplane.log" 2>&1 </dev/null &
CP_PID=$!
PEERS_PIDS+=("$CP_PID")
cp_ready() {
	peers_alive "$CP_PID" || peers_die "l2tpx-controlplane exited"
	grep -q "l2tpx-controlplane running" "$PEERS_TMP/controlplane.log"
}
peers_wait_for 60 "l2tpx-controlplane to attach" cp_ready

ctl() { "$CTL_BIN" -s "$PEERS_TMP/cp.sock" "$@"; }
dp_telemetry() { # command...: the dataplane's DPDK telemetry answers
	/usr/bin/python3 - "/var/run/dpdk/$LAB_PREFIX/dpdk_telemetry.v2" "$@" <<'PY'
import json, socket, sys
for cmd in sys.argv[2:]:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(2)
        s.connect(sys.argv[1])
        s.recv(16384)  # greeting
        s.send(cmd.encode())
        r = json.loads(s.recv(1 << 20).decode())
        s.close()
        body = r.get(cmd, r)
        if isinstance(body, dict):
            nonzero = {k: v for k, v in body.items() if v not in (0, "0", None, [], {})}
            print("%s (non-zero): %s" % (cmd, json.dumps(nonzero, sort_keys=True)))
        else:
            print("%s: %s" % (cmd, json.dumps(body)))
    except (OSError, ValueError) as e:
        print("%s: %s" % (cmd, e))
PY
}
counters() { # heading
	say "$1: l2tpxctl show stats"
	ctl show stats || true
	say "$1: dataplane telemetry"
	dp_telemetry /l2tpx/stats /l2tpx/drops || true
}

# 5. The LAC: setup, traffic, report; teardown (StopCCN) when it exits.
say "l2tpx-lac: $SESSIONS sessions over $TUNNELS tunnels, ICMP echo to $CORE_HOST_IP at $RATE/s per session for $DURATION s"
LAC_EXTRA=()
[ $KEEP = 1 ] && LAC_EXTRA+=(--hold)
ip netns exec "$PEERS_NS_LAC" "$LAC_BIN" --lns "$PEERS_LNS_IP" --local "$PEERS_LAC_IP" "${LAC_ARGS[@]}" \
	--auth any --secret "$PEERS_TUNNEL_SECRET" --target "$CORE_HOST_IP" --duration "$DURATION" --rate "$RATE" \
	--max-loss "$MAX_LOSS" --max-outstanding 128 --setup-rate 500 --setup-timeout 120 \
	--json "$PEERS_TMP/lac-report.json" "${LAC_EXTRA[@]}" >"$PEERS_TMP/lac.out" 2>"$PEERS_TMP/lac.log" </dev/null &
LAC_PID=$!
# Progress lines as they come; the LNS's view while the sessions are up.
tail -n +1 -f "$PEERS_TMP/lac.log" --pid "$LAC_PID" >&2 &
TAIL_PID=$!
PEERS_PIDS+=("$TAIL_PID")
traffic_started() { ! peers_alive "$LAC_PID" || grep -q "^l2tpx-lac: traffic\|setup done" "$PEERS_TMP/lac.log"; }
peers_wait_for 300 "the LAC's sessions" traffic_started
sleep 1
peers_alive "$LAC_PID" && counters "while the sessions are up"
report_ready() { ! peers_alive "$LAC_PID" || grep -q "^result" "$PEERS_TMP/lac.out"; }
peers_wait_for $((${DURATION%.*} + 60)) "the LAC's report" report_ready

if [ $KEEP = 1 ] && peers_alive "$LAC_PID"; then
	say "l2tpx-lac report (sessions held)"
	cat "$PEERS_TMP/lac.out"
	counters "with the sessions held"
	echo >&2
	echo "lab: --keep: everything stays up. To inspect:" >&2
	echo "  $CTL_BIN -s $PEERS_TMP/cp.sock show sessions" >&2
	echo "  $CTL_BIN -s $PEERS_TMP/cp.sock show tunnels" >&2
	echo "  (the LAC only answers LCP: a ping from $LAB_NS_CORE to a subscriber is dropped by it, not by the LNS)" >&2
	echo "  logs in $PEERS_TMP" >&2
	echo "Press Ctrl-C to tear the sessions down and remove the lab." >&2
fi
wait "$LAC_PID"
LAC_RC=$?
LAC_PID=
sleep 0.5
say "l2tpx-lac report (exit status $LAC_RC)"
cat "$PEERS_TMP/lac.out"
counters "after the teardown"
exit $LAC_RC
