# shellcheck shell=bash
# l2tpx's own LNS (l2tpx-dataplane, the DPDK primary, on net_af_packet; l2tpx-controlplane,
# a DPDK secondary) in the LNS namespace of peers_lib.sh. One set of functions for every
# script that runs it: tests/interop (e2e_lns.sh, restart_lns.sh), tests/hostile,
# tools/gen/lab_lib.sh (tools/lab.sh, the generator's tests), tools/bench/cp and
# tools/bench/compare. Source peers_lib.sh first, then this file.
#
# Test layout (lns_init + lns_setup_core): a core host in a third namespace.
#   LAC ns                     LNS ns (DPDK owns the veth ends)            core ns
#   198.18.0.2 ── veth ── access0 198.18.0.1     core0 198.19.0.1 ── veth ── 198.19.0.2
#
#   lns_skip_unless NAME PAGES [COMMAND...]   exit 77 without root, binaries, peers, hugepages
#   peers_init; lns_init TAG; trap lns_exit EXIT; lns_setup_core
#   { lns_dataplane_toml [KEY=VALUE]...; cat <<EOF ... EOF; [lns_lacs_toml POOL]; } >"$LNS_TOML"
#   lns_check; lns_start_dataplane [CONFIG]; lns_start_controlplane [SOCKET]
#   lns_mgmt CMD [JSON]     the management socket ($MGMT_SOCK: another one)
#   lns_telemetry CMD...    the dataplane's DPDK telemetry answers, one JSON line each
#   lns_stop                orderly stop: the control plane (must exit 0), then the dataplane
#   lns_end [PID...]        ends those, the control plane, the dataplane, whatever their state;
#                           removes the DPDK files (between benchmark runs)
# lns_exit [PID...] (the EXIT trap) ends those, then the control plane before the dataplane
# (a DPDK secondary must not outlive its primary), runs peers_cleanup (which also deletes
# the core namespace) and removes the DPDK files of our file prefix, also after a failure.
#
# Scripts with their own layout set the variables lns_init sets, then use the same functions.
# shellcheck disable=SC2034 # LNS_* outputs are read by the scripts that source this file
# Variables (set by lns_init, or by the caller):
#   LNS_PREFIX      DPDK --file-prefix of the LNS
#   LNS_TOML        the configuration the control plane reads (and the dataplane, by default)
#   LNS_LOG_DIR     where dataplane.log, controlplane.log and check.log go ($PEERS_TMP)
#   LNS_IF_CORE_DP  the dataplane's core port (empty: none), LNS_CORE_DP_IP its address,
#                   LNS_CORE_HOST_IP its gateway
#   LNS_NS_CORE, LNS_IF_CORE  the core namespace and its interface (lns_setup_core)
#   LNS_ACCESS_DEVARGS  appended to the access port's devargs (e.g. ",framecnt=4096")
#   LNS_WRAP        command words both processes run under (e.g. taskset -c 2)
#   LNS_DP_BIN, LNS_CP_BIN  the binaries ($DP_BIN, $CP_BIN by default)
# Outputs: DP_PID, CP_PID.

LNS_CORE_DP_IP=198.19.0.1
LNS_CORE_HOST_IP=198.19.0.2
LNS_CORE_DP_MAC=02:00:c6:13:00:01
LNS_CORE_HOST_MAC=02:00:c6:13:00:02
LNS_WRAP=()
CP_PID=
DP_PID=

# lns_skip_unless NAME PAGES [COMMAND...]: exits 77 (meson: skipped), saying why as NAME,
# unless we are root, $DP_BIN and $CP_BIN are executables, peers_init's commands, the
# given ones and scapy are installed and PAGES 2 MiB hugepages are free on a mounted
# /dev/hugepages.
lns_skip_unless() {
	local name=$1 pages=$2 c free_huge why=
	shift 2
	if [ "$(id -u)" != 0 ]; then
		why="needs root for network namespaces"
	elif [ ! -x "$DP_BIN" ]; then
		why="no l2tpx-dataplane binary ($DP_BIN)"
	elif [ ! -x "$CP_BIN" ]; then
		why="no l2tpx-controlplane binary ($CP_BIN)"
	fi
	for c in ip unshare setsid mount xl2tpd l2tpns freeradius tcpdump /usr/bin/python3 /usr/sbin/pppd "$@"; do
		[ -n "$why" ] && break
		command -v "$c" >/dev/null 2>&1 || why="$c not installed"
	done
	if [ -z "$why" ] && ! /usr/bin/python3 -c 'import scapy' 2>/dev/null; then why="python3-scapy not installed"; fi
	free_huge=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if [ -z "$why" ] && [ "${free_huge:-0}" -lt "$pages" ]; then
		why="needs $pages free 2 MiB hugepages (have ${free_huge:-0})"
	fi
	if [ -z "$why" ] && ! mountpoint -q /dev/hugepages; then why="/dev/hugepages is not mounted"; fi
	[ -z "$why" ] && return 0
	echo "$name: skipped: $why"
	exit 77
}

lns_init() { # tag (3 letters, e.g. e2e): names of our file prefix, namespace and veths
	local tag=$1
	LNS_PREFIX="l2tpx-$tag-$$"
	LNS_NS_CORE="l2tpx-$tag-$$-core"
	LNS_IF_CORE_DP="lx${tag:0:1}$$d"
	LNS_IF_CORE="lx${tag:0:1}$$h"
	LNS_TOML="$PEERS_TMP/lns.toml"
	LNS_LOG_DIR=$PEERS_TMP
}

# lns_exit [PID...]: the EXIT trap. Ends the given processes (e.g. a generator whose
# StopCCNs should still reach the LNS), then the control plane (a DPDK secondary must not
# outlive its primary), each with SIGTERM, SIGKILL after 15 s; then peers_cleanup (the rest
# by PID, the namespaces incl. $PEERS_NS_CORE, the temp dir) in a subshell (it ends with
# `exit`); then the DPDK files of our file prefix; exits with the status it was called with.
lns_exit() {
	local rc=$? pid i
	trap - EXIT
	trap '' INT TERM
	for pid in "$@" "$CP_PID"; do
		if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
		kill -TERM "$pid"
		for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	(
		(exit $rc)
		peers_cleanup
	)
	rc=$?
	lns_remove_dpdk_files
	exit $rc
}

# The kernel must not own the dataplane's address (it would answer UDP 1701 and ARP).
lns_setup_core() {
	local ns
	ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_LNS"
	ip netns add "$LNS_NS_CORE" || peers_die "netns add"
	PEERS_NS_CORE=$LNS_NS_CORE # peers_cleanup deletes it
	ip link add "$LNS_IF_CORE_DP" netns "$PEERS_NS_LNS" type veth peer name "$LNS_IF_CORE" netns "$LNS_NS_CORE" ||
		peers_die "veth"
	ip -n "$LNS_NS_CORE" link set lo up
	ip -n "$LNS_NS_CORE" addr add "$LNS_CORE_HOST_IP/24" dev "$LNS_IF_CORE"
	ip -n "$LNS_NS_CORE" link set "$LNS_IF_CORE" address "$LNS_CORE_HOST_MAC" up
	ip -n "$PEERS_NS_LNS" link set "$LNS_IF_CORE_DP" address "$LNS_CORE_DP_MAC" up
	ip -n "$LNS_NS_CORE" route add 100.64.0.0/10 via "$LNS_CORE_DP_IP"
	for ns in "$PEERS_NS_LNS" "$PEERS_NS_LAC" "$LNS_NS_CORE"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
}

# lns_dataplane_toml [KEY=VALUE]...: prints the dataplane's tables: [dataplane] (the
# defaults below; an argument overrides a key or, for another key, adds it; values are TOML)
# and its ports: access0 on $PEERS_IF_LNS (+ $LNS_ACCESS_DEVARGS, e.g. ",framecnt=4096"),
# core0 on $LNS_IF_CORE_DP when set. One file may configure both processes: the caller
# appends [controlplane], [lns], [[lac]] and [[pool]].
# shellcheck disable=SC2120 # the arguments are optional
lns_dataplane_toml() {
	local -A v=()
	local keys=(main_lcore worker_lcores file_prefix mbuf_pool_size mbuf_cache_size session_capacity
		tunnel_capacity route_capacity command_ring_size event_ring_size punt_ring_size inject_ring_size
		idle_max_sleep_us telemetry)
	local defaults=(0 '[]' "\"$LNS_PREFIX\"" 4095 64 1024 64 1024 256 1024 1024 1024 1000 true)
	local i kv k
	for ((i = 0; i < ${#keys[@]}; i++)); do v[${keys[i]}]=${defaults[i]}; done
	for kv in "$@"; do
		k=${kv%%=*}
		[ -n "${v[$k]+set}" ] || keys+=("$k")
		v[$k]=${kv#*=}
	done
	echo "[dataplane]"
	for k in "${keys[@]}"; do echo "$k = ${v[$k]}"; done
	cat <<EOF

[[port]]
name = "access0"
devargs = "net_af_packet0,iface=$PEERS_IF_LNS${LNS_ACCESS_DEVARGS:-}"
role = "access"
addresses = ["$PEERS_LNS_IP/24"]
EOF
	[ -n "${LNS_IF_CORE_DP:-}" ] || return 0
	cat <<EOF

[[port]]
name = "core0"
devargs = "net_af_packet1,iface=$LNS_IF_CORE_DP"
role = "core"
addresses = ["$LNS_CORE_DP_IP/24"]
gateway = "$LNS_CORE_HOST_IP"     # default route; the /24 above is also a connected route
EOF
}

# lns_lacs_toml POOL: the LNS's [[lac]] tables for the test layout (the scapy LAC at
# $PEERS_LAC_IP as "scapy-lac", xl2tpd in 198.18.0.0/24 as "lac-xl", both with
# $PEERS_TUNNEL_SECRET) and the address pool POOL, 100.64.0.10 to 100.64.0.20.
lns_lacs_toml() {
	cat <<EOF

[[lac]]
address = "$PEERS_LAC_IP"
host_name = "scapy-lac"
secret = "$PEERS_TUNNEL_SECRET"

[[lac]]
address = "198.18.0.0/24"
host_name = "lac-xl"
secret = "$PEERS_TUNNEL_SECRET"

[[pool]]
name = "$1"
first = "100.64.0.10"
last = "100.64.0.20"
EOF
}

# lns_check: the control plane's --check of $LNS_TOML; dies with its message.
lns_check() {
	"${LNS_CP_BIN:-$CP_BIN}" -c "$LNS_TOML" --check >"$LNS_LOG_DIR/check.log" 2>&1 ||
		peers_die "configuration check: $(cat "$LNS_LOG_DIR/check.log")"
}

# lns_start_dataplane [CONFIG]: starts l2tpx-dataplane in the LNS namespace with CONFIG
# (default $LNS_TOML) under "${LNS_WRAP[@]}" (e.g. taskset -c 2), sets DP_PID (also in
# PEERS_PIDS) and waits until it logs "running".
# shellcheck disable=SC2120 # the argument is optional
lns_start_dataplane() {
	ip netns exec "$PEERS_NS_LNS" setsid "${LNS_WRAP[@]}" "${LNS_DP_BIN:-$DP_BIN}" -c "${1:-$LNS_TOML}" \
		-- --log-level=lib.eal:warning >>"$LNS_LOG_DIR/dataplane.log" 2>&1 </dev/null &
	DP_PID=$!
	PEERS_PIDS+=("$DP_PID")
	peers_wait_for 60 "l2tpx-dataplane to run" lns_dp_ready_
}
lns_dp_ready_() {
	peers_alive "$DP_PID" || peers_die "l2tpx-dataplane exited: $(tail -5 "$LNS_LOG_DIR/dataplane.log")"
	grep -q "running" "$LNS_LOG_DIR/dataplane.log" 2>/dev/null
}

# lns_start_controlplane [SOCKET]: starts l2tpx-controlplane with $LNS_TOML (under
# "${LNS_WRAP[@]}"), sets CP_PID (not in PEERS_PIDS: lns_exit and lns_end stop it before
# the dataplane) and waits until it has attached: it logs "running" once more than before
# (it may be a restart after a kill), or, given a SOCKET (a log level that prints no
# "running" line), until that management socket exists.
# shellcheck disable=SC2120 # the argument is optional
lns_start_controlplane() {
	LNS_CP_SOCK_=${1:-}
	LNS_CP_STARTS_=$(grep -c "l2tpx-controlplane running" "$LNS_LOG_DIR/controlplane.log" 2>/dev/null)
	ip netns exec "$PEERS_NS_LNS" setsid "${LNS_WRAP[@]}" "${LNS_CP_BIN:-$CP_BIN}" -c "$LNS_TOML" \
		-- --log-level=lib.eal:warning >>"$LNS_LOG_DIR/controlplane.log" 2>&1 </dev/null &
	CP_PID=$!
	peers_wait_for 60 "l2tpx-controlplane to attach" lns_cp_ready_
}
lns_cp_ready_() {
	peers_alive "$CP_PID" || peers_die "l2tpx-controlplane exited: $(tail -5 "$LNS_LOG_DIR/controlplane.log")"
	if [ -n "$LNS_CP_SOCK_" ]; then
		[ -S "$LNS_CP_SOCK_" ]
		return
	fi
	local n
	n=$(grep -c "l2tpx-controlplane running" "$LNS_LOG_DIR/controlplane.log" 2>/dev/null)
	[ "${n:-0}" -gt "${LNS_CP_STARTS_:-0}" ]
}

# Orderly stop: the control plane first (it must exit by itself with 0), then the dataplane.
lns_stop() {
	local i cp_rc
	kill -TERM "$CP_PID"
	for ((i = 0; i < 100; i++)); do peers_alive "$CP_PID" || break; sleep 0.1; done
	peers_alive "$CP_PID" && peers_die "l2tpx-controlplane did not exit on SIGTERM"
	wait "$CP_PID"
	cp_rc=$?
	[ $cp_rc = 0 ] || peers_die "l2tpx-controlplane exited with $cp_rc"
	kill -TERM "$DP_PID"
	for ((i = 0; i < 100; i++)); do peers_alive "$DP_PID" || break; sleep 0.1; done
}

# lns_end [PID...]: ends the given processes (e.g. a LAC), then the control plane, then the
# dataplane, each with SIGTERM and SIGKILL after 10 s, whatever state they are in; then
# removes the DPDK files of our file prefix. For clean-ups and between benchmark runs.
lns_end() {
	local pid i
	for pid in "$@" "$CP_PID" "$DP_PID"; do
		if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
		kill -TERM "$pid"
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	CP_PID='' DP_PID=''
	lns_remove_dpdk_files
}

# The hugepage files and runtime directory of our file prefix (left behind when a process
# was killed).
lns_remove_dpdk_files() {
	[ -n "${LNS_PREFIX:-}" ] || return 0
	rm -f /dev/hugepages/"${LNS_PREFIX}"map_* 2>/dev/null
	rm -rf "/var/run/dpdk/$LNS_PREFIX" 2>/dev/null
}

lns_mgmt() { # cmd [json args]: prints the result, fails on an error answer ($MGMT_SOCK: other socket)
	local args=${2:-'{}'}
	/usr/bin/python3 - "${MGMT_SOCK:-$PEERS_TMP/cp.sock}" "$1" "$args" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall((json.dumps({"v": 1, "id": 1, "cmd": sys.argv[2], "args": json.loads(sys.argv[3])}) + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c:
        break
    buf += c
r = json.loads(buf)
if not r.get("ok"):
    sys.exit("mgmt %s: %s" % (sys.argv[2], r.get("error")))
print(json.dumps(r["result"]))
PY
}

lns_telemetry_socket() { echo "/var/run/dpdk/$LNS_PREFIX/dpdk_telemetry.v2"; }

lns_telemetry() { # command...: the dataplane's DPDK telemetry answers, one JSON line each
	/usr/bin/python3 - "$(lns_telemetry_socket)" "$@" <<'PY'
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
        print(json.dumps(r.get(cmd, r)))
    except (OSError, ValueError) as e:
        print(json.dumps({"error": str(e)}))
PY
}

lns_dp_sessions() { # the dataplane's installed-session count (telemetry /l2tpx/stats)
	lns_telemetry /l2tpx/stats |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["sessions"])'
}
