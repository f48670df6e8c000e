#!/usr/bin/env bash
# End-to-end test of the l2tpx LNS (meson suite "interop"): l2tpx-dataplane (DPDK primary,
# net_af_packet on veths) and l2tpx-controlplane (DPDK secondary) in one namespace; a LAC
# in another; a core host in a third.
#
#   LAC ns                     LNS ns (DPDK owns the veth ends)            core ns
#   198.18.0.2 ── veth ── access0 198.18.0.1     core0 198.19.0.1 ── veth ── 198.19.0.2
#                                  subscribers 100.64.0.0/24 ──────────────→ route via .1
#
# 1. scapy LAC (scapy_lac.py): tunnel with authentication and hidden AVPs, call, LCP, CHAP, IPCP, three
#    ICMP echoes to 198.19.0.2 answered through the tunnel; management socket checks
#    (show sessions, show tunnel, clear session → LCP Terminate + CDN); StopCCN.
# 2. The same with PAP (the LNS asks for CHAP and falls back when the LAC Naks it).
# 3. xl2tpd as LAC with the PPP stand-in (tests/peers): IPCP up, three pings answered,
#    SIGINT → StopCCN, the LNS forgets the tunnel.
# 4. SIGTERM to the control plane: clean exit; then the dataplane.
# Exit 77 (skipped) when not root, when a binary or peer is missing, or without free
# hugepages. Everything (processes, namespaces, hugepage files of our file prefix) is
# removed on exit, also after a failure.
#
# usage: e2e_lns.sh DATAPLANE_BIN CONTROLPLANE_BIN
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DP_BIN=${1:-}
CP_BIN=${2:-}
skip() { echo "e2e_lns: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
[ -x "$DP_BIN" ] || skip "no l2tpx-dataplane binary ($DP_BIN)"
[ -x "$CP_BIN" ] || skip "no l2tpx-controlplane binary ($CP_BIN)"
for c in ip unshare setsid xl2tpd l2tpns freeradius tcpdump /usr/bin/python3 /usr/sbin/pppd; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed"
free_huge=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
[ "${free_huge:-0}" -ge 256 ] || skip "needs 256 free 2 MiB hugepages (have ${free_huge:-0})"
mountpoint -q /dev/hugepages || skip "/dev/hugepages is not mounted"

export PEERS_PREFIX=l2tpx-e2e
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"

E2E_PREFIX="l2tpx-e2e-$$"     # DPDK --file-prefix
E2E_NS_CORE="l2tpx-e2e-$$-core"
E2E_IF_CORE_DP="lxe$$d"       # in the LNS namespace, DPDK's core port
E2E_IF_CORE="lxe$$h"          # in the core namespace
CORE_DP_IP=198.19.0.1
CORE_HOST_IP=198.19.0.2
SUB_GW=100.64.0.1

e2e_cleanup() {
	local rc=$?
	# Processes first (peers_cleanup: SIGTERM, then SIGKILL, newest first: the control
	# plane before the dataplane), then what peers_lib does not know about.
	trap - EXIT
	local i pid
	# The control plane before the dataplane: a secondary must not outlive its primary.
	if [ -n "${CP_PID:-}" ] && kill -0 "$CP_PID" 2>/dev/null; then
		kill -TERM "$CP_PID"
		for ((i = 0; i < 80; i++)); do kill -0 "$CP_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	for ((i = ${#PEERS_PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PEERS_PIDS[i]}" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		local alive=0
		for pid in "${PEERS_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	if ip netns list 2>/dev/null | grep -qw "^$E2E_NS_CORE"; then
		for pid in $(ip netns pids "$E2E_NS_CORE" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$E2E_NS_CORE" 2>/dev/null
	fi
	e2e_remove_dpdk_files
	(exit $rc)
	peers_cleanup # exits with $rc
}

dp_log() { echo "$PEERS_TMP/dataplane.log"; }
cp_log() { echo "$PEERS_TMP/controlplane.log"; }
# The hugepage files and runtime directory of our file prefix (peers_cleanup ends the
# processes; these remain when one was killed).
e2e_remove_dpdk_files() {
	rm -f /dev/hugepages/"${E2E_PREFIX}"map_* 2>/dev/null
	rm -rf "/var/run/dpdk/$E2E_PREFIX" 2>/dev/null
}

dp_telemetry() { # command...: the dataplane's telemetry answers, for failure reports
	/usr/bin/python3 - "/var/run/dpdk/$E2E_PREFIX/dpdk_telemetry.v2" "$@" <<'PY'
import socket, sys
for cmd in sys.argv[2:]:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(2)
        s.connect(sys.argv[1])
        s.recv(16384)  # greeting
        s.send(cmd.encode())
        print(s.recv(1 << 20).decode())
        s.close()
    except OSError as e:
        print("%s: %s" % (cmd, e))
PY
}

mgmt() { # cmd [json args]: prints the result, fails on an error answer ($MGMT_SOCK: other socket)
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

peers_init
trap e2e_cleanup EXIT

# The kernel must not own the dataplane's address (it would answer UDP 1701 and ARP).
ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_LNS"
ip netns add "$E2E_NS_CORE" || peers_die "netns add"
ip link add "$E2E_IF_CORE_DP" netns "$PEERS_NS_LNS" type veth peer name "$E2E_IF_CORE" netns "$E2E_NS_CORE" ||
	peers_die "veth"
ip -n "$E2E_NS_CORE" link set lo up
ip -n "$E2E_NS_CORE" addr add "$CORE_HOST_IP/24" dev "$E2E_IF_CORE"
ip -n "$E2E_NS_CORE" link set "$E2E_IF_CORE" address 02:00:c6:13:00:02 up
ip -n "$PEERS_NS_LNS" link set "$E2E_IF_CORE_DP" address 02:00:c6:13:00:01 up
ip -n "$E2E_NS_CORE" route add 100.64.0.0/10 via "$CORE_DP_IP"
for ns in "$PEERS_NS_LNS" "$PEERS_NS_LAC" "$E2E_NS_CORE"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

# One file configures both processes: the dataplane's tables first, then the control plane's.
cat >"$PEERS_TMP/lns.toml" <<EOF2
[dataplane]
main_lcore = 0
worker_lcores = []
file_prefix = "$E2E_PREFIX"
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
devargs = "net_af_packet1,iface=$E2E_IF_CORE_DP"
role = "core"
addresses = ["$CORE_DP_IP/24"]
gateway = "$CORE_HOST_IP"     # default route; the /24 above is also a connected route
EOF2
cat >>"$PEERS_TMP/lns.toml" <<EOF2

[controlplane]
log_level = "debug"
mgmt_socket = "$PEERS_TMP/cp.sock"
mgmt_readonly_socket = "$PEERS_TMP/cp-ro.sock"
idle_max_sleep_us = 2000
shutdown_timeout_ms = 5000
hello_interval_s = 30

[lns]
host_name = "l2tpx-e2e"
tunnel_auth_required = true
hide_avps = true
authentication = "chap"
auth_fallback = true
users_file = "$PEERS_TMP/users"
gateway_address = "$SUB_GW"
dns = ["198.19.0.53"]
lcp_echo_interval_s = 2
lcp_echo_failures = 5
enable_ipv6cp = false
check_source = true

[[lac]]
address = "$PEERS_LAC_IP"
host_name = "scapy-lac"
secret = "$PEERS_TUNNEL_SECRET"

[[lac]]
address = "198.18.0.0/24"
host_name = "lac-xl"
secret = "$PEERS_TUNNEL_SECRET"

[[pool]]
name = "e2e"
first = "100.64.0.10"
last = "100.64.0.20"
EOF2
printf '%s %s\n' "$PEERS_USER" "$PEERS_PASSWORD" >"$PEERS_TMP/users"

if [ "${E2E_CAPTURE:-0}" = 1 ]; then # pcaps of both sides in the temp dir (PEERS_KEEP=1 keeps them)
	for side in "$PEERS_NS_LAC:$PEERS_IF_LAC:lac" "$E2E_NS_CORE:$E2E_IF_CORE:core"; do
		IFS=: read -r ns ifc name <<<"$side"
		ip netns exec "$ns" setsid tcpdump -i "$ifc" -U -s 0 -n -w "$PEERS_TMP/$name.pcap" \
			>>"$PEERS_TMP/tcpdump-$name.log" 2>&1 &
		PEERS_PIDS+=("$!")
	done
	sleep 1
fi

"$CP_BIN" -c "$PEERS_TMP/lns.toml" --check >"$PEERS_TMP/check.log" 2>&1 || peers_die "--check: $(cat "$PEERS_TMP/check.log")"

ip netns exec "$PEERS_NS_LNS" setsid "$DP_BIN" -c "$PEERS_TMP/lns.toml" -- --log-level=lib.eal:warning \
	>>"$(dp_log)" 2>&1 </dev/null &
DP_PID=$!
PEERS_PIDS+=("$DP_PID")
dp_ready() { peers_alive "$DP_PID" || peers_die "l2tpx-dataplane exited"; grep -q "running" "$(dp_log)"; }
peers_wait_for 60 "l2tpx-dataplane to run" dp_ready
peers_log "l2tpx-dataplane running (pid $DP_PID, file prefix $E2E_PREFIX)"

ip netns exec "$PEERS_NS_LNS" setsid "$CP_BIN" -c "$PEERS_TMP/lns.toml" -- --log-level=lib.eal:warning \
	>>"$(cp_log)" 2>&1 </dev/null &
CP_PID=$!
PEERS_PIDS+=("$CP_PID")
cp_ready() { peers_alive "$CP_PID" || peers_die "l2tpx-controlplane exited"; grep -q "l2tpx-controlplane running" "$(cp_log)"; }
peers_wait_for 60 "l2tpx-controlplane to attach" cp_ready
peers_log "l2tpx-controlplane running (pid $CP_PID)"

run_scapy_lac() { # auth method
	peers_log "scapy LAC: $1"
	ip netns exec "$PEERS_NS_LAC" /usr/bin/python3 "$here/scapy_lac.py" --lns "$PEERS_LNS_IP" \
		--local "$PEERS_LAC_IP" --host-name scapy-lac --secret "$PEERS_TUNNEL_SECRET" \
		--user "$PEERS_USER" --password "$PEERS_PASSWORD" --auth "$1" --ping "$CORE_HOST_IP" --count 3 \
		--mgmt "$PEERS_TMP/cp.sock" --expect-pool 100.64.0. --expect-hidden --eager-lcp >"$PEERS_TMP/scapy-$1.log" 2>&1
	local rc=$?
	cat "$PEERS_TMP/scapy-$1.log" >&2
	if [ $rc != 0 ]; then
		dp_telemetry /l2tpx/stats /l2tpx/drops /l2tpx/neighbours /l2tpx/sessions >"$PEERS_TMP/telemetry.log" 2>&1
		mgmt "show stats" >"$PEERS_TMP/cp-stats.log" 2>&1
		peers_die "scapy LAC ($1) failed"
	fi
}
run_scapy_lac chap
run_scapy_lac pap

# The read-only socket answers show commands and refuses state changes.
MGMT_SOCK="$PEERS_TMP/cp-ro.sock" mgmt "show tunnels" >/dev/null || peers_die "read-only socket: show tunnels failed"
if MGMT_SOCK="$PEERS_TMP/cp-ro.sock" mgmt reload >"$PEERS_TMP/ro-reload.log" 2>&1; then
	peers_die "the read-only socket accepted reload"
fi
grep -q "read-only management socket" "$PEERS_TMP/ro-reload.log" || peers_die "read-only refusal: $(cat "$PEERS_TMP/ro-reload.log")"

# Users file reload: an invalid file is refused with its line and the old users stay;
# a valid one is taken by `reload` and by SIGHUP.
cp "$PEERS_TMP/users" "$PEERS_TMP/users.good"
printf '%s\n' "$PEERS_USER" >"$PEERS_TMP/users" # no secret
if mgmt reload >"$PEERS_TMP/reload.log" 2>&1; then peers_die "reload accepted an invalid users file"; fi
grep -q "users:1: missing_secret; the previous 1 user(s) are kept" "$PEERS_TMP/reload.log" ||
	peers_die "reload error: $(cat "$PEERS_TMP/reload.log")"
{ cat "$PEERS_TMP/users.good"; printf 'extra-user extra-secret\n'; } >"$PEERS_TMP/users"
mgmt reload | grep -q '"users": 2' || peers_die "reload of a valid users file failed"
printf 'third-user s3\n' >>"$PEERS_TMP/users"
kill -HUP "$CP_PID"
users_three() { mgmt "show stats" | /usr/bin/python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["aaa"]["users"] == 3 else 1)'; }
peers_wait_for 10 "SIGHUP to re-read the users file" users_three
peers_alive "$CP_PID" || peers_die "l2tpx-controlplane died on SIGHUP"

# Every session the control plane installed is gone from the dataplane again.
sessions_gone() { mgmt "show stats" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)["dataplane"]
sys.exit(0 if d["sessions_installed"] == 0 and d["in_flight"] == 0 else 1)'; }
peers_wait_for 10 "the dataplane sessions to be removed" sessions_gone

# xl2tpd + PPP stand-in through the same LNS.
export L2TPX_PPP_PING=3 L2TPX_PPP_PING_TARGET="$CORE_HOST_IP"
peers_start_xl2tpd xl:secret:0
peers_dial xl
peers_wait_for 30 "IPCP up in the stand-in behind xl2tpd" peers_ipcp_up xl
peers_wait_for 20 "3 echo replies through the tunnel" peers_pings_done xl 3
addr=$(peers_status_field xl local_address)
case $addr in
100.64.0.*) ;;
*) peers_die "the stand-in got '$addr', not an address of the pool" ;;
esac
[ "$(peers_status_field xl auth_ok)" = True ] || peers_die "PPP authentication with the stand-in failed"
mgmt "show sessions" | grep -q "\"$addr\"" || peers_die "show sessions does not list $addr"
peers_stop_xl2tpd
# After a StopCCN the LNS keeps the tunnel a while (closed) to re-ack retransmissions.
tunnels_down() { mgmt "show tunnels" | /usr/bin/python3 -c 'import json,sys
t = json.load(sys.stdin)
state = [c if isinstance(c, str) else c["key"] for c in t["columns"]].index("state")
sys.exit(0 if all(r[state] in ("closed", "dead") for r in t["rows"]) else 1)'; }
peers_wait_for 15 "the LNS to close xl2tpd's tunnel after its StopCCN" tunnels_down
peers_wait_for 10 "the dataplane sessions to be removed" sessions_gone
mgmt "show stats" >"$PEERS_TMP/stats.json"

# Orderly stop: the control plane first.
kill -TERM "$CP_PID"
for ((i = 0; i < 100; i++)); do peers_alive "$CP_PID" || break; sleep 0.1; done
peers_alive "$CP_PID" && peers_die "l2tpx-controlplane did not exit on SIGTERM"
wait "$CP_PID"
cp_rc=$?
[ $cp_rc = 0 ] || peers_die "l2tpx-controlplane exited with $cp_rc"
grep -q "stopped" "$(cp_log)" || peers_die "l2tpx-controlplane did not log its stop"
kill -TERM "$DP_PID"
for ((i = 0; i < 100; i++)); do peers_alive "$DP_PID" || break; sleep 0.1; done
peers_log "e2e: OK (scapy LAC with CHAP and PAP, xl2tpd at $addr; stats in stats.json)"
