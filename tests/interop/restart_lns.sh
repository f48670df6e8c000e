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
# shellcheck source=restart_lib.sh source-path=SCRIPTDIR
. "$here/restart_lib.sh"
lns_skip_unless restart_lns 128 mkfifo


peers_init
lns_init rst
trap lns_exit EXIT
lns_setup_core

restart_toml flush l2tpx-rst rst

lns_check
lns_start_dataplane
lns_start_controlplane
peers_log "l2tpx-controlplane running (pid $CP_PID)"

# 1. A session, held up by the scapy LAC.
restart_start_lac scapy_lac.py --count 2 --eager-lcp
holding() { lac_failed; lac_alive; lac_event holding >/dev/null; }
peers_wait_for 30 "the scapy LAC to bring its session up and hold it" holding
[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane holds $(lns_dp_sessions) session(s), not 1"
lns_mgmt "show sessions" | grep -q '"100.64.0.' || peers_die "show sessions: $(lns_mgmt "show sessions")"

# 2. kill -9: the dataplane keeps forwarding.
restart_kill_cp
lac_cmd ping 3
pinged() { lac_failed; lac_event hold_ping 'e["replies"] == 3' >/dev/null; }
peers_wait_for 20 "3 echo replies through the dataplane without a control plane" pinged
[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane lost the session while the control plane was down"

# 3. Restart with restart_policy = "flush".
lns_start_controlplane
peers_log "l2tpx-controlplane restarted (pid $CP_PID)"
stopped() { lac_failed; lac_event stopccn >/dev/null; }
peers_wait_for 15 "the LAC to receive a StopCCN for its tunnel" stopped
lac_event stopccn 'e["result"] == 2 and e["error"] == 1' >/dev/null ||
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
restart_xl2tpd_call
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
