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
export PEERS_PREFIX=l2tpx-rst
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"
# shellcheck source=../peers/lns_lib.sh source-path=SCRIPTDIR
. "$here/../peers/lns_lib.sh"
lns_skip_unless restart_lns 128 mkfifo

LAC_PID=

lac_log() { echo "$PEERS_TMP/lac.log"; }

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

peers_init
lns_init rst
trap lns_exit EXIT
lns_setup_core

{
	lns_dataplane_toml
	cat <<EOF2

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
} >"$LNS_TOML"
printf '%s %s\n' "$PEERS_USER" "$PEERS_PASSWORD" >"$PEERS_TMP/users"

lns_check
lns_start_dataplane
lns_start_controlplane
peers_log "l2tpx-controlplane running (pid $CP_PID)"

# 1. A session, held up by the scapy LAC.
mkfifo "$PEERS_TMP/lac.fifo" || peers_die "mkfifo"
ip netns exec "$PEERS_NS_LAC" /usr/bin/python3 "$here/scapy_lac.py" --lns "$PEERS_LNS_IP" \
	--local "$PEERS_LAC_IP" --host-name scapy-lac --secret "$PEERS_TUNNEL_SECRET" \
	--user "$PEERS_USER" --password "$PEERS_PASSWORD" --auth chap --ping "$LNS_CORE_HOST_IP" --count 2 \
	--eager-lcp --hold "$PEERS_TMP/lac.fifo" >"$(lac_log)" 2>&1 </dev/null &
LAC_PID=$!
PEERS_PIDS+=("$LAC_PID")
holding() { lac_failed; peers_alive "$LAC_PID" || peers_die "the scapy LAC exited: $(tail -3 "$(lac_log)")"; lac_event holding; }
peers_wait_for 30 "the scapy LAC to bring its session up and hold it" holding
[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane holds $(lns_dp_sessions) session(s), not 1"
lns_mgmt "show sessions" | grep -q '"100.64.0.' || peers_die "show sessions: $(lns_mgmt "show sessions")"
lac_cmd() { echo "$*" >"$PEERS_TMP/lac.fifo"; }

# 2. kill -9: the dataplane keeps forwarding.
kill -KILL "$CP_PID"
wait "$CP_PID" 2>/dev/null
peers_log "l2tpx-controlplane killed (-9)"
lac_cmd ping 3
pinged() { lac_failed; lac_event hold_ping 'e["replies"] == 3'; }
peers_wait_for 20 "3 echo replies through the dataplane without a control plane" pinged
[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane lost the session while the control plane was down"

# 3. Restart with restart_policy = "flush".
lns_start_controlplane
peers_log "l2tpx-controlplane restarted (pid $CP_PID)"
stopped() { lac_failed; lac_event stopccn; }
peers_wait_for 15 "the LAC to receive a StopCCN for its tunnel" stopped
lac_event stopccn 'e["result"] == 2 and e["error"] == 1' ||
	peers_die "StopCCN result: $(grep '"stopccn"' "$(lac_log)")"
no_dp_sessions() { [ "$(lns_dp_sessions)" = 0 ]; }
peers_wait_for 10 "the dataplane to have no session left" no_dp_sessions
stats_ok() { lns_mgmt "show stats" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)["daemon"]
sys.exit(0 if d["stale_sessions"] == 1 and d["stale_sessions_removed"] == 1 and d["stale_tunnels"] == 1
         and d["stale_tunnels_closed"] == 1 else 1)'; }
peers_wait_for 10 "show stats to count the removed session and the closed tunnel" stats_ok
for ((i = 0; i < 50; i++)); do peers_alive "$LAC_PID" || break; sleep 0.1; done
peers_alive "$LAC_PID" && peers_die "the scapy LAC did not exit after the StopCCN"
wait "$LAC_PID" || peers_die "the scapy LAC exited with $?: $(tail -3 "$(lac_log)")"
lns_mgmt "show stats" >"$PEERS_TMP/stats.json"

# 4. The same with xl2tpd (+ the PPP stand-in) as the LAC: a real peer must take the
#    restarted control plane's StopCCN (it acknowledges the Ns=0 probe as a duplicate,
#    then accepts the StopCCN in sequence).
peers_start_xl2tpd xl:secret:0
peers_dial xl
peers_wait_for 30 "IPCP up in the stand-in behind xl2tpd" peers_ipcp_up xl
[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane holds $(lns_dp_sessions) session(s) for xl2tpd's call, not 1"
kill -KILL "$CP_PID"
wait "$CP_PID" 2>/dev/null
peers_log "l2tpx-controlplane killed (-9) with xl2tpd's call up"
lns_start_controlplane
xl_closed() { grep -q "tunnel state lost" "$PEERS_TMP/xl2tpd.log"; }
peers_wait_for 15 "xl2tpd to log the StopCCN" xl_closed
peers_wait_for 10 "the dataplane to have no session left" no_dp_sessions
xl_stats_ok() { lns_mgmt "show stats" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)["daemon"]
sys.exit(0 if d["stale_sessions_removed"] == 1 and d["stale_tunnels_closed"] == 1 else 1)'; }
peers_wait_for 10 "show stats to count xl2tpd's tunnel closed" xl_stats_ok
peers_log "xl2tpd: $(grep -m1 "tunnel state lost" "$PEERS_TMP/xl2tpd.log")"

# 5. The dataplane stops first, with the control plane attached: it asks the control plane
#    to detach before it frees the shared rings (freeing unmaps their hugepages in every
#    secondary); the control plane exits 3 ("dataplane gone"), never with a crash.
kill -TERM "$DP_PID"
wait "$DP_PID"
dp_rc=$?
[ "$dp_rc" = 0 ] || peers_die "l2tpx-dataplane exited with $dp_rc"
cp_gone() { ! peers_alive "$CP_PID"; }
peers_wait_for 10 "the control plane to leave after the dataplane" cp_gone
wait "$CP_PID"
cp_rc=$?
[ "$cp_rc" = 3 ] || peers_die "l2tpx-controlplane exited with $cp_rc after the dataplane stopped (3 expected)"
grep -q "secondary process(es) detached" "$LNS_LOG_DIR/dataplane.log" ||
	peers_die "the dataplane did not ask the control plane to detach"
CP_PID= DP_PID=
peers_log "restart: OK (flush: sessions removed, StopCCN taken by the scapy LAC and by xl2tpd; stats in stats.json; dataplane stopped first: control plane detached, exit 3)"
