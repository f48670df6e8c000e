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
export PEERS_PREFIX=l2tpx-e2e
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"
# shellcheck source=../peers/lns_lib.sh source-path=SCRIPTDIR
. "$here/../peers/lns_lib.sh"
lns_skip_unless e2e_lns 256

SUB_GW=100.64.0.1

peers_init
lns_init e2e
trap lns_exit EXIT
lns_setup_core

{
	lns_dataplane_toml
	cat <<EOF2

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
EOF2
	lns_lacs_toml e2e
} >"$LNS_TOML"
printf '%s %s\n' "$PEERS_USER" "$PEERS_PASSWORD" >"$PEERS_TMP/users"

if [ "${E2E_CAPTURE:-0}" = 1 ]; then # pcaps of both sides in the temp dir (PEERS_KEEP=1 keeps them)
	for side in "$PEERS_NS_LAC:$PEERS_IF_LAC:lac" "$LNS_NS_CORE:$LNS_IF_CORE:core"; do
		IFS=: read -r ns ifc name <<<"$side"
		ip netns exec "$ns" setsid tcpdump -i "$ifc" -U -s 0 -n -w "$PEERS_TMP/$name.pcap" \
			>>"$PEERS_TMP/tcpdump-$name.log" 2>&1 &
		PEERS_PIDS+=("$!")
	done
	sleep 1
fi

lns_check
lns_start_dataplane
peers_log "l2tpx-dataplane running (pid $DP_PID, file prefix $LNS_PREFIX)"
lns_start_controlplane
peers_log "l2tpx-controlplane running (pid $CP_PID)"

run_scapy_lac() { # auth method
	peers_log "scapy LAC: $1"
	ip netns exec "$PEERS_NS_LAC" /usr/bin/python3 "$here/scapy_lac.py" --lns "$PEERS_LNS_IP" \
		--local "$PEERS_LAC_IP" --host-name scapy-lac --secret "$PEERS_TUNNEL_SECRET" \
		--user "$PEERS_USER" --password "$PEERS_PASSWORD" --auth "$1" --ping "$LNS_CORE_HOST_IP" --count 3 \
		--mgmt "$PEERS_TMP/cp.sock" --expect-pool 100.64.0. --expect-hidden --eager-lcp >"$PEERS_TMP/scapy-$1.log" 2>&1
	local rc=$?
	cat "$PEERS_TMP/scapy-$1.log" >&2
	if [ $rc != 0 ]; then
		lns_telemetry /l2tpx/stats /l2tpx/drops /l2tpx/neighbours /l2tpx/sessions >"$PEERS_TMP/telemetry.log" 2>&1
		lns_mgmt "show stats" >"$PEERS_TMP/cp-stats.log" 2>&1
		peers_die "scapy LAC ($1) failed"
	fi
}
run_scapy_lac chap
run_scapy_lac pap

# The read-only socket answers show commands and refuses state changes.
MGMT_SOCK="$PEERS_TMP/cp-ro.sock" lns_mgmt "show tunnels" >/dev/null || peers_die "read-only socket: show tunnels failed"
if MGMT_SOCK="$PEERS_TMP/cp-ro.sock" lns_mgmt reload >"$PEERS_TMP/ro-reload.log" 2>&1; then
	peers_die "the read-only socket accepted reload"
fi
grep -q "read-only management socket" "$PEERS_TMP/ro-reload.log" || peers_die "read-only refusal: $(cat "$PEERS_TMP/ro-reload.log")"

# Users file reload: an invalid file is refused with its line and the old users stay;
# a valid one is taken by `reload` and by SIGHUP.
cp "$PEERS_TMP/users" "$PEERS_TMP/users.good"
printf '%s\n' "$PEERS_USER" >"$PEERS_TMP/users" # no secret
if lns_mgmt reload >"$PEERS_TMP/reload.log" 2>&1; then peers_die "reload accepted an invalid users file"; fi
grep -q "users:1: missing_secret; the previous 1 user(s) are kept" "$PEERS_TMP/reload.log" ||
	peers_die "reload error: $(cat "$PEERS_TMP/reload.log")"
{ cat "$PEERS_TMP/users.good"; printf 'extra-user extra-secret\n'; } >"$PEERS_TMP/users"
lns_mgmt reload | grep -q '"users": 2' || peers_die "reload of a valid users file failed"
printf 'third-user s3\n' >>"$PEERS_TMP/users"
kill -HUP "$CP_PID"
users_three() { lns_mgmt "show stats" | /usr/bin/python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["aaa"]["users"] == 3 else 1)'; }
peers_wait_for 10 "SIGHUP to re-read the users file" users_three
peers_alive "$CP_PID" || peers_die "l2tpx-controlplane died on SIGHUP"

# Every session the control plane installed is gone from the dataplane again.
sessions_gone() { lns_mgmt "show stats" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)["dataplane"]
sys.exit(0 if d["sessions_installed"] == 0 and d["in_flight"] == 0 else 1)'; }
peers_wait_for 10 "the dataplane sessions to be removed" sessions_gone

# xl2tpd + PPP stand-in through the same LNS.
export L2TPX_PPP_PING=3 L2TPX_PPP_PING_TARGET="$LNS_CORE_HOST_IP"
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
lns_mgmt "show sessions" | grep -q "\"$addr\"" || peers_die "show sessions does not list $addr"
peers_stop_xl2tpd
# After a StopCCN the LNS keeps the tunnel a while (closed) to re-ack retransmissions.
tunnels_down() { lns_mgmt "show tunnels" | /usr/bin/python3 -c 'import json,sys
t = json.load(sys.stdin)
state = [c if isinstance(c, str) else c["key"] for c in t["columns"]].index("state")
sys.exit(0 if all(r[state] in ("closed", "dead") for r in t["rows"]) else 1)'; }
peers_wait_for 15 "the LNS to close xl2tpd's tunnel after its StopCCN" tunnels_down
peers_wait_for 10 "the dataplane sessions to be removed" sessions_gone
lns_mgmt "show stats" >"$PEERS_TMP/stats.json"

# Orderly stop: the control plane first; it logs its stop.
lns_stop
grep -q "stopped" "$LNS_LOG_DIR/controlplane.log" || peers_die "l2tpx-controlplane did not log its stop"
peers_log "e2e: OK (scapy LAC with CHAP and PAP, xl2tpd at $addr; stats in stats.json)"
