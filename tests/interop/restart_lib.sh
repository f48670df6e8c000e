# shellcheck shell=bash
# Shared by the control-plane restart tests (restart_lns.sh: restart_policy "flush",
# restart_adopt.sh: "adopt"): their LNS configuration, the scapy LAC held through a FIFO
# and read back from its JSON-lines log, and the kill -9 of the control plane. Source
# peers_lib.sh and lns_lib.sh first.
#
#   restart_toml POLICY HOST POOL [LINE...]   writes $LNS_TOML and the users file
#   restart_start_lac SCRIPT [ARG...]         starts a scapy LAC that holds its session
#   restart_kill_cp [WHY]                     kill -9 of the control plane
#   restart_xl2tpd_call                       xl2tpd's call up, then restart_kill_cp
#   lac_event EVENT [CONDITION] [AFTER_LINE]  prints the first such line of the LAC's log
#   lac_failed, lac_alive                     die when the LAC failed / exited
#   lac_cmd WORDS...; lac_lines               command to the holding LAC; its log's length

LAC_PID=

# restart_toml POLICY HOST POOL [LINE...]: the dataplane of lns_dataplane_toml, a control
# plane with restart_policy POLICY (the LINEs appended to [controlplane]), an LNS named
# HOST (CHAP against $PEERS_TMP/users, IPCP only), the test layout's two LACs and the
# pool POOL.
restart_toml() {
	local policy=$1 host=$2 pool=$3
	shift 3
	{
		lns_dataplane_toml
		cat <<EOF

[controlplane]
log_level = "debug"
mgmt_socket = "$PEERS_TMP/cp.sock"
idle_max_sleep_us = 2000
shutdown_timeout_ms = 3000
hello_interval_s = 30
restart_policy = "$policy"
EOF
		[ $# = 0 ] || printf '%s\n' "$@"
		cat <<EOF

[lns]
host_name = "$host"
authentication = "chap"
users_file = "$PEERS_TMP/users"
gateway_address = "100.64.0.1"
lcp_echo_interval_s = 2
lcp_echo_failures = 5
enable_ipv6cp = false
EOF
		lns_lacs_toml "$pool"
	} >"$LNS_TOML"
	printf '%s %s\n' "$PEERS_USER" "$PEERS_PASSWORD" >"$PEERS_TMP/users"
}

lac_log() { echo "$PEERS_TMP/lac.log"; }

# restart_start_lac SCRIPT [ARG...]: the scapy LAC SCRIPT (in tests/interop) in the LAC
# namespace, CHAP as $PEERS_USER, pinging the core host, holding its session and reading
# commands from $PEERS_TMP/lac.fifo; its JSON lines go to $(lac_log). Sets LAC_PID.
restart_start_lac() {
	local script=$1
	shift
	mkfifo "$PEERS_TMP/lac.fifo" || peers_die "mkfifo"
	ip netns exec "$PEERS_NS_LAC" /usr/bin/python3 "$RESTART_LIB_DIR/$script" --lns "$PEERS_LNS_IP" \
		--local "$PEERS_LAC_IP" --host-name scapy-lac --secret "$PEERS_TUNNEL_SECRET" \
		--user "$PEERS_USER" --password "$PEERS_PASSWORD" --auth chap --ping "$LNS_CORE_HOST_IP" \
		"$@" --hold "$PEERS_TMP/lac.fifo" >"$(lac_log)" 2>&1 </dev/null &
	LAC_PID=$!
	PEERS_PIDS+=("$LAC_PID")
}
RESTART_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

lac_event() { # event [python condition on the JSON line `e`] [after line N]: prints the line the LAC logged
	/usr/bin/python3 - "$(lac_log)" "$1" "${2:-True}" "${3:-0}" <<'PY'
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    if n <= int(sys.argv[4]):
        continue
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == sys.argv[2] and eval(sys.argv[3], {"e": e}):
        print(line.strip())
        sys.exit(0)
sys.exit(1)
PY
}
lac_failed() { lac_event failed >/dev/null && peers_die "the scapy LAC failed: $(grep '"failed"' "$(lac_log)")"; return 1; }
lac_lines() { wc -l <"$(lac_log)"; }
lac_cmd() { echo "$*" >"$PEERS_TMP/lac.fifo"; }
lac_alive() { peers_alive "$LAC_PID" || peers_die "the scapy LAC exited: $(tail -3 "$(lac_log)")"; }

# restart_kill_cp [WHY]: SIGKILL to the control plane, reaped; logs "killed (-9)" and WHY.
restart_kill_cp() {
	kill -KILL "$CP_PID"
	wait "$CP_PID" 2>/dev/null
	peers_log "l2tpx-controlplane killed (-9)${1:+ $1}"
}

# restart_xl2tpd_call: xl2tpd (+ the PPP stand-in) as the LAC dials; once IPCP is up and
# the dataplane holds its one session, the control plane is killed (-9).
restart_xl2tpd_call() {
	peers_start_xl2tpd xl:secret:0
	peers_dial xl
	peers_wait_for 30 "IPCP up in the stand-in behind xl2tpd" peers_ipcp_up xl
	[ "$(lns_dp_sessions)" = 1 ] || peers_die "the dataplane holds $(lns_dp_sessions) session(s) for xl2tpd's call, not 1"
	restart_kill_cp "with xl2tpd's call up"
}
