#!/usr/bin/env bash
# Control-plane restart with restart_policy = "adopt" while the dataplane keeps forwarding
# (meson suite "interop", docs/operations.md "Restarting the control plane"). Same
# namespaces as restart_lns.sh:
#
#   LAC ns                     LNS ns (DPDK owns the veth ends)            core ns
#   198.18.0.2 ── veth ── access0 198.18.0.1     core0 198.19.0.1 ── veth ── 198.19.0.2
#
# 1. l2tpx-dataplane + l2tpx-controlplane (restart_policy = "adopt", state file in the
#    test's directory); the scapy LAC (restart_adopt_lac.py) brings a session up (CHAP,
#    IPCP) and holds it.
# 2. The LAC streams 50 pings (one every 0.2 s, no retry); meanwhile the control plane is
#    killed with SIGKILL and started again. Not one ping may be lost.
# 3. The new control plane adopted the call: `show stats` counts 1 adopted tunnel and
#    session and nothing removed, `show sessions` lists the user and the address, the
#    dataplane still holds 1 session; the LAC received the adopted tunnel's HELLO in
#    sequence (no duplicate, nothing out of order), its own HELLO is acknowledged, its
#    LCP Echo-Request answered with the magic number of before the restart, and the LNS's
#    Echo-Requests keep coming with that magic number.
# 4. The LAC sends a CDN: the session leaves the dataplane, the address returns to the
#    pool, the state file is empty again.
# 5. The same with xl2tpd and the PPP stand-in: the adopted tunnel's HELLO acknowledged,
#    LCP echoes answered, xl2tpd's StopCCN (SIGINT) accepted and the session removed.
# 6. SIGTERM both processes.
# Exit 77 (skipped) when not root, a binary or scapy is missing, or without free
# hugepages. Everything (processes, namespaces, hugepage files of our file prefix) is
# removed on exit, also after a failure. About 50 s.
#
# usage: restart_adopt.sh DATAPLANE_BIN CONTROLPLANE_BIN
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DP_BIN=${1:-}
CP_BIN=${2:-}
export PEERS_PREFIX=l2tpx-adopt
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"
# shellcheck source=../peers/lns_lib.sh source-path=SCRIPTDIR
. "$here/../peers/lns_lib.sh"
# shellcheck source=restart_lib.sh source-path=SCRIPTDIR
. "$here/restart_lib.sh"
lns_skip_unless restart_adopt 128 mkfifo

stats() { # python expression on d = show stats' "daemon" object
	lns_mgmt "show stats" | /usr/bin/python3 -c "import json,sys
d = json.load(sys.stdin)['daemon']
sys.exit(0 if ($1) else 1)"
}

peers_init
lns_init adp
trap lns_exit EXIT
lns_setup_core

STATE_FILE=$PEERS_TMP/cp.state
restart_toml adopt l2tpx-adopt adopt "state_file = \"$STATE_FILE\""

lns_check
lns_start_dataplane
lns_start_controlplane
peers_log "l2tpx-controlplane running (pid $CP_PID), state file $STATE_FILE"
[ -s "$STATE_FILE" ] || peers_die "no state file $STATE_FILE after the start"

# 1. A session, held up by the scapy LAC.
restart_start_lac restart_adopt_lac.py
holding() { lac_failed; lac_alive; lac_event holding >/dev/null; }
peers_wait_for 30 "the scapy LAC to bring its session up and hold it" holding
ADDRESS=$(lac_event holding | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane holds $(lns_dp_sessions) session(s), not 1"
lns_echo_seen() { lac_failed; lac_event lns_echo >/dev/null; }
peers_wait_for 10 "an LCP Echo-Request from the LNS" lns_echo_seen
MAGIC=$(lac_event lns_echo | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["magic"])')
peers_log "session up: user $PEERS_USER, address $ADDRESS, LNS magic $MAGIC"

# 2. kill -9 and restart while 50 pings stream through the dataplane.
MARK=$(lac_lines)
lac_cmd stream 50
sleep 1.5
restart_kill_cp
sleep 1
lns_start_controlplane
peers_log "l2tpx-controlplane restarted (pid $CP_PID)"
streamed() { lac_failed; lac_alive; lac_event stream True "$MARK" >/dev/null; }
peers_wait_for 30 "the ping stream to end" streamed
STREAM=$(lac_event stream True "$MARK")
peers_log "ping stream across the restart: $STREAM"
lac_event stream 'e["replies"] == 50 and e["lost"] == 0' "$MARK" >/dev/null ||
	peers_die "pings were lost across the restart: $STREAM"

# 3. Adopted: counters, show sessions, the dataplane, the LAC's view of the transport.
adopted() { stats 'd["adopted_sessions"] == 1 and d["adopted_tunnels"] == 1'; }
peers_wait_for 10 "show stats to count the adopted tunnel and session" adopted
stats 'd["adopt_removed_sessions"] == 0 and d["adopt_forgotten_sessions"] == 0 and d["adopt_forgotten_tunnels"] == 0
       and d["adopt_mismatches"] == 0 and d["state_file_errors"] == 0 and d["stale_sessions"] == 0' ||
	peers_die "unexpected restart outcome: $(lns_mgmt "show stats")"
[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane holds $(lns_dp_sessions) session(s) after the adoption"
peers_log "control plane: $(grep -m1 'tunnel(s) adopted;' "$LNS_LOG_DIR/controlplane.log")"
SESSIONS=$(lns_mgmt "show sessions")
echo "$SESSIONS" | grep -q "\"$PEERS_USER\"" || peers_die "show sessions lacks the user: $SESSIONS"
echo "$SESSIONS" | grep -q "\"$ADDRESS\"" || peers_die "show sessions lacks the address: $SESSIONS"
hello_rx() { lac_failed; lac_event rx 'e["msg"] == "HELLO"' "$MARK" >/dev/null; }
peers_wait_for 5 "the adopted tunnel's HELLO at the LAC" hello_rx
peers_log "LAC received: $(lac_event rx 'e["msg"] == "HELLO"' "$MARK")"
if lac_event rx_duplicate True "$MARK" >/dev/null; then
	peers_die "the LAC saw a control message out of sequence after the restart: $(lac_event rx_duplicate True "$MARK")"
fi
lac_cmd hello
hello_acked() { lac_failed; lac_alive; lac_event hello_acked True "$MARK" >/dev/null; }
peers_wait_for 10 "the LAC's HELLO to be acknowledged" hello_acked
lac_cmd echo
echoed() { lac_failed; lac_alive; lac_event echo_reply True "$MARK" >/dev/null; }
peers_wait_for 10 "the LAC's LCP Echo-Request to be answered" echoed
lac_event echo_reply "e['magic'] == $MAGIC" "$MARK" >/dev/null ||
	peers_die "Echo-Reply with another magic number than before the restart: $(lac_event echo_reply True "$MARK")"
MARK2=$(lac_lines)
lac_cmd status
sleep 4.5 # two echo intervals
lac_cmd status
two_status() { lac_event status True "$((MARK2 + 1))" >/dev/null; }
peers_wait_for 5 "the LAC's status" two_status
/usr/bin/python3 - "$(lac_log)" "$MARK2" <<'PY' || peers_die "the LNS's LCP Echo-Requests stopped after the restart"
import json, sys
st = [json.loads(l) for n, l in enumerate(open(sys.argv[1]), 1) if n > int(sys.argv[2]) and '"status"' in l]
sys.exit(0 if len(st) >= 2 and st[-1]["echo_replies_sent"] > st[0]["echo_replies_sent"] else 1)
PY
[ "$(grep -c '"lns_echo"' "$(lac_log)")" = 1 ] ||
	peers_die "the LNS changed its LCP magic number: $(grep '"lns_echo"' "$(lac_log)")"
peers_log "adopted: HELLO and LCP echo answered both ways with the magic number of before"

# 4. The LAC hangs up: removed from the dataplane, address back in the pool, state empty.
lac_cmd cdn
cdn_acked() { lac_failed; lac_alive; lac_event cdn_acked True "$MARK" >/dev/null; }
peers_wait_for 10 "the LAC's CDN to be acknowledged" cdn_acked
no_dp_sessions() { [ "$(lns_dp_sessions)" = 0 ]; }
peers_wait_for 10 "the dataplane to have no session left" no_dp_sessions
pool_full() { lns_mgmt "show config" | /usr/bin/python3 -c 'import json,sys
c = json.load(sys.stdin)
rows = c["pools"]["rows"]
sys.exit(0 if rows and rows[0][1] == rows[0][2] == 11 and c["state_records"] == 0 else 1)'; }
peers_wait_for 10 "the address back in the pool and the state file empty" pool_full
lns_mgmt "show stats" >"$PEERS_TMP/stats.json"
lac_cmd quit
for ((i = 0; i < 50; i++)); do peers_alive "$LAC_PID" || break; sleep 0.1; done
wait "$LAC_PID" || peers_die "the scapy LAC exited with $?: $(tail -3 "$(lac_log)")"

# 5. The same with xl2tpd (+ the PPP stand-in) as the LAC: a real peer must take the
#    adopted tunnel's HELLO (it acknowledges it: no retransmission), keep answering LCP
#    echoes, and its StopCCN (SIGINT) must be accepted in sequence by the new process.
restart_xl2tpd_call
lns_start_controlplane
xl_adopted() { stats 'd["adopted_sessions"] == 1 and d["adopted_tunnels"] == 1 and d["adopt_removed_sessions"] == 0'; }
peers_wait_for 10 "show stats to count xl2tpd's tunnel and session adopted" xl_adopted
sleep 12 # beyond lcp_echo_interval_s x lcp_echo_failures: the LCP echoes are answered
TUNNEL=$(lns_mgmt "show tunnels" | /usr/bin/python3 -c 'import json,sys; r = json.load(sys.stdin)["rows"]; print(r[0][0] if len(r) == 1 else 0)')
[ "$TUNNEL" != 0 ] || peers_die "show tunnels: $(lns_mgmt "show tunnels")"
lns_mgmt "show tunnel" "{\"id\": $TUNNEL}" >"$PEERS_TMP/xl_tunnel.json"
/usr/bin/python3 -c 'import json,sys
t = json.load(open(sys.argv[1]))
tr = t["transport"]
sys.exit(0 if t["state"] == "established" and tr["tx_messages"] >= 1 and tr["tx_retransmits"] == 0
         and tr["rx_zlb"] + tr["rx_messages"] >= 1 and t["sessions"] == 1 else 1)' "$PEERS_TMP/xl_tunnel.json" ||
	peers_die "xl2tpd's adopted tunnel: $(cat "$PEERS_TMP/xl_tunnel.json")"
[ "$(lns_dp_sessions)" = 1 ] || peers_die "xl2tpd's session left the dataplane after the adoption"
lns_mgmt "show sessions" | grep -q "\"$PEERS_USER\"" || peers_die "show sessions: $(lns_mgmt "show sessions")"
if grep -qiE "tunnel state lost|StopCCN" "$PEERS_TMP/xl2tpd.log"; then
	peers_die "xl2tpd saw the tunnel closed: $(grep -iE "tunnel state lost|StopCCN" "$PEERS_TMP/xl2tpd.log" | head -3)"
fi
peers_log "xl2tpd's call adopted: HELLO acknowledged, LCP echoes answered for 12 s"
peers_stop_xl2tpd
peers_wait_for 10 "the dataplane to have no session left after xl2tpd's StopCCN" no_dp_sessions
peers_wait_for 10 "the address back in the pool" pool_full
stats 'd["adopted_sessions"] == 1' || peers_die "show stats: $(lns_mgmt "show stats")"

# 6. Orderly stop.
lns_stop
CP_PID= DP_PID=
peers_log "restart adopt: OK (kill -9 under 50 pings: none lost; session, tunnel and PPP continued; CDN removed it; the same with xl2tpd, ended by its StopCCN; stats in stats.json)"
