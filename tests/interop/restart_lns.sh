#!/usr/bin/env bash
# Control-plane restart while the dataplane keeps forwarding (meson suite "interop",
# docs/operations.md "Restarting the control plane"). Same namespaces as e2e_lns.sh:
#
#   LAC ns                     LNS ns (DPDK owns the veth ends)            core ns
#   198.18.0.2 ── veth ── access0 198.18.0.1     core0 198.19.0.1 ── veth ── 198.19.0.2
#
# 1. l2tpx-dataplane + l2tpx-controlplane (restart_policy = "flush"); the scapy LAC
#    (scapy_lac.py --hold) brings a session up (CHAP, IPCP), pings 198.19.0.2 and holds.
# 2. kill -9 the control plane: the session stays in the dataplane and pings still pass.
# 3. Start the control plane again: it finds the session in the dataplane's dump, removes
#    it and sends the LAC's tunnel a StopCCN (result 2, error 1); the LAC receives it and
#    exits; the dataplane has no session left; `show stats` counts what was removed.
# 4. The same with xl2tpd and the PPP stand-in (tests/peers) as the LAC: xl2tpd logs the
#    StopCCN's message.
# 5. SIGTERM both processes.
# Exit 77 (skipped) when not root, a binary or scapy is missing, or without free
# hugepages. Everything (processes, namespaces, hugepage files of our file prefix) is
# removed on exit, also after a failure. About 20 s.
#
# usage: restart_lns.sh DATAPLANE_BIN CONTROLPLANE_BIN
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DP_BIN=${1:-}
CP_BIN=${2:-}
skip() { echo "restart_lns: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
[ -x "$DP_BIN" ] || skip "no l2tpx-dataplane binary ($DP_BIN)"
[ -x "$CP_BIN" ] || skip "no l2tpx-controlplane binary ($CP_BIN)"
# peers_lib.sh's peers_init needs all of these (it dies otherwise): skip instead.
for c in ip unshare setsid mount mkfifo xl2tpd l2tpns freeradius tcpdump /usr/bin/python3 /usr/sbin/pppd; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed"
free_huge=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
[ "${free_huge:-0}" -ge 128 ] || skip "needs 128 free 2 MiB hugepages (have ${free_huge:-0}; it uses about 105)"
mountpoint -q /dev/hugepages || skip "/dev/hugepages is not mounted"

export PEERS_PREFIX=l2tpx-rst
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"

RS_PREFIX="l2tpx-rst-$$"      # DPDK --file-prefix
RS_NS_CORE="l2tpx-rst-$$-core"
RS_IF_CORE_DP="lxr$$d"        # in the LNS namespace, DPDK's core port
RS_IF_CORE="lxr$$h"           # in the core namespace
CORE_DP_IP=198.19.0.1
CORE_HOST_IP=198.19.0.2
CP_PID=
DP_PID=
LAC_PID=

rs_cleanup() {
	local rc=$?
	trap - EXIT
	local i pid
	# The control plane before the dataplane: a secondary must not outlive its primary.
	if [ -n "$CP_PID" ] && kill -0 "$CP_PID" 2>/dev/null; then
		kill -TERM "$CP_PID"
		for ((i = 0; i < 80; i++)); do kill -0 "$CP_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$CP_PID" 2>/dev/null
	fi
	for ((i = ${#PEERS_PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PEERS_PIDS[i]}" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		local alive=0
		for pid in "${PEERS_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	if ip netns list 2>/dev/null | grep -qw "^$RS_NS_CORE"; then
		for pid in $(ip netns pids "$RS_NS_CORE" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$RS_NS_CORE" 2>/dev/null
	fi
	rm -f /dev/hugepages/"${RS_PREFIX}"map_* 2>/dev/null
	rm -rf "/var/run/dpdk/$RS_PREFIX" 2>/dev/null
	(exit $rc)
	peers_cleanup # exits with $rc
}

dp_log() { echo "$PEERS_TMP/dataplane.log"; }
cp_log() { echo "$PEERS_TMP/controlplane.log"; }
lac_log() { echo "$PEERS_TMP/lac.log"; }

dp_sessions() { # the dataplane's installed-session count (telemetry /l2tpx/stats)
	/usr/bin/python3 - "/var/run/dpdk/$RS_PREFIX/dpdk_telemetry.v2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(2)
s.connect(sys.argv[1])
s.recv(16384)
s.send(b"/l2tpx/stats")
print(json.loads(s.recv(1 << 20).decode())["/l2tpx/stats"]["sessions"])
PY
}

mgmt() { # cmd [json args]: prints the result, fails on an error answer
	local args=${2:-'{}'}
	/usr/bin/python3 - "$PEERS_TMP/cp.sock" "$1" "$args" <<'PY'
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

lac_event() { # event [python condition on the JSON line `e`]: the LAC logged it
	/usr/bin/python3 - "$(lac_log)" "$1" "${2:-True}" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == sys.argv[2] and eval(sys.argv[3], {"e": e}):
        sys.exit(0)
sys.exit(1)
PY
}
lac_failed() { lac_event failed && peers_die "the scapy LAC failed: $(grep '"failed"' "$(lac_log)")"; return 1; }

start_cp() {
	ip netns exec "$PEERS_NS_LNS" setsid "$CP_BIN" -c "$PEERS_TMP/lns.toml" -- --log-level=lib.eal:warning \
		>>"$(cp_log)" 2>&1 </dev/null &
	CP_PID=$!
	local n_before=$1
	cp_ready() {
		peers_alive "$CP_PID" || peers_die "l2tpx-controlplane exited: $(tail -5 "$(cp_log)")"
		local n
		n=$(cat "$(cp_log)" 2>/dev/null | grep -c "l2tpx-controlplane running")
		[ "${n:-0}" -gt "$n_before" ]
	}
	peers_wait_for 30 "l2tpx-controlplane to attach" cp_ready
}

peers_init
trap rs_cleanup EXIT

ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_LNS"
ip netns add "$RS_NS_CORE" || peers_die "netns add"
ip link add "$RS_IF_CORE_DP" netns "$PEERS_NS_LNS" type veth peer name "$RS_IF_CORE" netns "$RS_NS_CORE" ||
	peers_die "veth"
ip -n "$RS_NS_CORE" link set lo up
ip -n "$RS_NS_CORE" addr add "$CORE_HOST_IP/24" dev "$RS_IF_CORE"
ip -n "$RS_NS_CORE" link set "$RS_IF_CORE" address 02:00:c6:13:00:02 up
ip -n "$PEERS_NS_LNS" link set "$RS_IF_CORE_DP" address 02:00:c6:13:00:01 up
ip -n "$RS_NS_CORE" route add 100.64.0.0/10 via "$CORE_DP_IP"
for ns in "$PEERS_NS_LNS" "$PEERS_NS_LAC" "$RS_NS_CORE"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

cat >"$PEERS_TMP/lns.toml" <<EOF2
[dataplane]
main_lcore = 0
worker_lcores = []
file_prefix = "$RS_PREFIX"
mbuf_pool_size = 4095
mbuf_cache_size = 64
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
command_ring_size = 256
event_ring_size = 1024
punt_ring_size = 1024
inject_ring_size = 1024
idle_max_sleep_us = 1000
telemetry = true

[[port]]
name = "access0"
devargs = "net_af_packet0,iface=$PEERS_IF_LNS"
role = "access"
addresses = ["$PEERS_LNS_IP/24"]

[[port]]
name = "core0"
devargs = "net_af_packet1,iface=$RS_IF_CORE_DP"
role = "core"
addresses = ["$CORE_DP_IP/24"]
gateway = "$CORE_HOST_IP"

[controlplane]
log_level = "debug"
mgmt_socket = "$PEERS_TMP/cp.sock"
idle_max_sleep_us = 2000
shutdown_timeout_ms = 3000
hello_interval_s = 30
restart_policy = "flush"

[lns]
host_name = "l2tpx-rst"
authentication = "chap"
users_file = "$PEERS_TMP/users"
gateway_address = "100.64.0.1"
lcp_echo_interval_s = 2
lcp_echo_failures = 5
enable_ipv6cp = false

[[lac]]
address = "$PEERS_LAC_IP"
host_name = "scapy-lac"
secret = "$PEERS_TUNNEL_SECRET"

[[lac]]
address = "198.18.0.0/24"
host_name = "lac-xl"
secret = "$PEERS_TUNNEL_SECRET"

[[pool]]
name = "rst"
first = "100.64.0.10"
last = "100.64.0.20"
EOF2
printf '%s %s\n' "$PEERS_USER" "$PEERS_PASSWORD" >"$PEERS_TMP/users"

"$CP_BIN" -c "$PEERS_TMP/lns.toml" --check >"$PEERS_TMP/check.log" 2>&1 || peers_die "--check: $(cat "$PEERS_TMP/check.log")"

ip netns exec "$PEERS_NS_LNS" setsid "$DP_BIN" -c "$PEERS_TMP/lns.toml" -- --log-level=lib.eal:warning \
	>>"$(dp_log)" 2>&1 </dev/null &
DP_PID=$!
PEERS_PIDS+=("$DP_PID")
dp_ready() { peers_alive "$DP_PID" || peers_die "l2tpx-dataplane exited"; grep -q "running" "$(dp_log)"; }
peers_wait_for 60 "l2tpx-dataplane to run" dp_ready

start_cp 0
peers_log "l2tpx-controlplane running (pid $CP_PID)"

# 1. A session, held up by the scapy LAC.
mkfifo "$PEERS_TMP/lac.fifo" || peers_die "mkfifo"
ip netns exec "$PEERS_NS_LAC" /usr/bin/python3 "$here/scapy_lac.py" --lns "$PEERS_LNS_IP" \
	--local "$PEERS_LAC_IP" --host-name scapy-lac --secret "$PEERS_TUNNEL_SECRET" \
	--user "$PEERS_USER" --password "$PEERS_PASSWORD" --auth chap --ping "$CORE_HOST_IP" --count 2 \
	--eager-lcp --hold "$PEERS_TMP/lac.fifo" >"$(lac_log)" 2>&1 </dev/null &
LAC_PID=$!
PEERS_PIDS+=("$LAC_PID")
holding() { lac_failed; peers_alive "$LAC_PID" || peers_die "the scapy LAC exited: $(tail -3 "$(lac_log)")"; lac_event holding; }
peers_wait_for 30 "the scapy LAC to bring its session up and hold it" holding
[ "$(dp_sessions)" = 1 ] || peers_die "the dataplane holds $(dp_sessions) session(s), not 1"
mgmt "show sessions" | grep -q '"100.64.0.' || peers_die "show sessions: $(mgmt "show sessions")"
lac_cmd() { echo "$*" >"$PEERS_TMP/lac.fifo"; }

# 2. kill -9: the dataplane keeps forwarding.
kill -KILL "$CP_PID"
wait "$CP_PID" 2>/dev/null
peers_log "l2tpx-controlplane killed (-9)"
lac_cmd ping 3
pinged() { lac_failed; lac_event hold_ping 'e["replies"] == 3'; }
peers_wait_for 20 "3 echo replies through the dataplane without a control plane" pinged
[ "$(dp_sessions)" = 1 ] || peers_die "the dataplane lost the session while the control plane was down"

# 3. Restart with restart_policy = "flush".
start_cp 1
peers_log "l2tpx-controlplane restarted (pid $CP_PID)"
stopped() { lac_failed; lac_event stopccn; }
peers_wait_for 15 "the LAC to receive a StopCCN for its tunnel" stopped
lac_event stopccn 'e["result"] == 2 and e["error"] == 1' ||
	peers_die "StopCCN result: $(grep '"stopccn"' "$(lac_log)")"
no_dp_sessions() { [ "$(dp_sessions)" = 0 ]; }
peers_wait_for 10 "the dataplane to have no session left" no_dp_sessions
stats_ok() { mgmt "show stats" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)["daemon"]
sys.exit(0 if d["stale_sessions"] == 1 and d["stale_sessions_removed"] == 1 and d["stale_tunnels"] == 1
         and d["stale_tunnels_closed"] == 1 else 1)'; }
peers_wait_for 10 "show stats to count the removed session and the closed tunnel" stats_ok
for ((i = 0; i < 50; i++)); do peers_alive "$LAC_PID" || break; sleep 0.1; done
peers_alive "$LAC_PID" && peers_die "the scapy LAC did not exit after the StopCCN"
wait "$LAC_PID" || peers_die "the scapy LAC exited with $?: $(tail -3 "$(lac_log)")"
mgmt "show stats" >"$PEERS_TMP/stats.json"

# 4. The same with xl2tpd (+ the PPP stand-in) as the LAC: a real peer must take the
#    restarted control plane's StopCCN (it acknowledges the Ns=0 probe as a duplicate,
#    then accepts the StopCCN in sequence).
peers_start_xl2tpd xl:secret:0
peers_dial xl
peers_wait_for 30 "IPCP up in the stand-in behind xl2tpd" peers_ipcp_up xl
[ "$(dp_sessions)" = 1 ] || peers_die "the dataplane holds $(dp_sessions) session(s) for xl2tpd's call, not 1"
kill -KILL "$CP_PID"
wait "$CP_PID" 2>/dev/null
peers_log "l2tpx-controlplane killed (-9) with xl2tpd's call up"
start_cp 2
xl_closed() { grep -q "tunnel state lost" "$PEERS_TMP/xl2tpd.log"; }
peers_wait_for 15 "xl2tpd to log the StopCCN" xl_closed
peers_wait_for 10 "the dataplane to have no session left" no_dp_sessions
xl_stats_ok() { mgmt "show stats" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)["daemon"]
sys.exit(0 if d["stale_sessions_removed"] == 1 and d["stale_tunnels_closed"] == 1 else 1)'; }
peers_wait_for 10 "show stats to count xl2tpd's tunnel closed" xl_stats_ok
peers_log "xl2tpd: $(grep -m1 "tunnel state lost" "$PEERS_TMP/xl2tpd.log")"

# 5. Orderly stop.
kill -TERM "$CP_PID"
for ((i = 0; i < 100; i++)); do peers_alive "$CP_PID" || break; sleep 0.1; done
peers_alive "$CP_PID" && peers_die "l2tpx-controlplane did not exit on SIGTERM"
wait "$CP_PID"
cp_rc=$?
[ $cp_rc = 0 ] || peers_die "l2tpx-controlplane exited with $cp_rc"
kill -TERM "$DP_PID"
for ((i = 0; i < 100; i++)); do peers_alive "$DP_PID" || break; sleep 0.1; done
peers_log "restart: OK (flush: sessions removed, StopCCN taken by the scapy LAC and by xl2tpd; stats in stats.json)"
