#!/usr/bin/env bash
# Hostile input on the wire against l2tpx's LNS (meson suite "interop", docs/testing.md):
# l2tpx-dataplane (net_af_packet on veths) + l2tpx-controlplane in one namespace, the
# attacker and the legitimate LACs (tests/hostile/hostile.py, scapy) in another, a core
# host in a third to answer the legitimate sessions' pings.
#
#   LAC ns                       LNS ns (DPDK owns both veth ends)          core ns
#   198.18.0.2  legitimate LACs ── access0 198.18.0.1   core0 198.19.0.1 ── 198.19.0.2
#   198.18.0.3/.4/.10-.125/.200  attacker (raw frames, spoofed sources)
#
# Stages (hostile.py): malformed SCCRQs, messages for unknown tunnels/sessions and from
# addresses no [[lac]] admits, forged StopCCN/CDN/data from the wrong address or port, a
# flood of 5,000 SCCRQs from distinct source ports while a second LAC connects. Then every
# control packet the LNS sent (captured on the LAC's veth) must decode in tshark without a
# Malformed or error-level expert item, and both processes must still be running.
# Exit 77 (skipped) when not root, when a binary or tool is missing, or without free
# hugepages. Processes, namespaces and the hugepage files of our prefix are removed on
# exit, also after a failure.
#
# usage: hostile_lns.sh DATAPLANE_BIN CONTROLPLANE_BIN
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DP_BIN=${1:-}
CP_BIN=${2:-}
export PEERS_PREFIX=l2tpx-hos
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"
# shellcheck source=../peers/lns_lib.sh source-path=SCRIPTDIR
. "$here/../peers/lns_lib.sh"
lns_skip_unless hostile_lns 128 tshark

LNS_MAC=02:00:c6:12:00:01     # set by peers_init on the LNS's veth, kept by net_af_packet

peers_init
lns_init hos
trap lns_exit EXIT
lns_setup_core
ip netns exec "$LNS_NS_CORE" sysctl -qw net.ipv4.icmp_ratelimit=0
# Answers to spoofed sources must not come back as ICMP errors from the LAC's kernel.
ip netns exec "$PEERS_NS_LAC" sysctl -qw net.ipv4.icmp_ratelimit=0

# Small DPDK footprint (other tests share the hugepages); the limits the flood must respect
# are the control plane's defaults, written out. A larger RX ring on the access port than
# net_af_packet's 512 frames: the flood must not outlast it while the dataplane is
# descheduled (the kernel would drop frames that no counter of ours sees).
LNS_ACCESS_DEVARGS=",framecnt=4096"
{
	lns_dataplane_toml mbuf_pool_size=8191 punt_ring_size=4096 inject_ring_size=4096 idle_max_sleep_us=200 \
		punt_unknown_sessions=true
	cat <<EOF

[controlplane]
log_level = "info"
mgmt_socket = "$PEERS_TMP/cp.sock"
idle_max_sleep_us = 500
shutdown_timeout_ms = 5000
hello_interval_s = 60
max_tunnels = 4096
max_tunnels_per_peer = 64
max_half_open = 256
max_half_open_per_peer = 4

[lns]
host_name = "l2tpx-hostile"
tunnel_auth_required = false
authentication = "pap"
users_file = "$PEERS_TMP/users"
gateway_address = "100.64.0.1"
lcp_echo_interval_s = 10
lcp_echo_failures = 5
enable_ipv6cp = false
check_source = true

# The legitimate LAC, with tunnel authentication.
[[lac]]
address = "$PEERS_LAC_IP"
host_name = "scapy-lac"
secret = "$PEERS_TUNNEL_SECRET"

# The attacker's addresses are admitted (a LAN of LACs without secrets); 198.18.0.200 is not.
[[lac]]
address = "198.18.0.0/25"

[[pool]]
name = "hostile"
first = "100.64.0.10"
last = "100.64.0.40"
EOF
} >"$LNS_TOML"
printf '%s %s\n' "$PEERS_USER" "$PEERS_PASSWORD" >"$PEERS_TMP/users"

# Every packet on the LAC's veth, for the tshark check at the end.
: >"$PEERS_TMP/tcpdump.log"
ip netns exec "$PEERS_NS_LAC" setsid tcpdump -i "$PEERS_IF_LAC" -U -s 0 -n -B 16384 -w "$PEERS_TMP/wire.pcap" \
	'udp port 1701' >>"$PEERS_TMP/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
PEERS_PIDS+=("$TCPDUMP_PID")
peers_wait_for 10 "tcpdump to listen" grep -q 'listening on' "$PEERS_TMP/tcpdump.log"

lns_check
lns_start_dataplane
lns_start_controlplane
peers_log "LNS up (dataplane $DP_PID, control plane $CP_PID, file prefix $LNS_PREFIX)"

ip netns exec "$PEERS_NS_LAC" /usr/bin/python3 "$here/hostile.py" --iface "$PEERS_IF_LAC" --lns "$PEERS_LNS_IP" \
	--lns-mac "$LNS_MAC" --lac-ip "$PEERS_LAC_IP" --attacker-ip 198.18.0.3 --not-allowed-ip 198.18.0.200 \
	--flood-prefix 198.18.0.0 --flood-first-host 10 --flood-hosts 116 --flood-single-ip 198.18.0.4 \
	--flood "${HOSTILE_FLOOD:-5000}" --max-half-open 256 \
	--host-name scapy-lac --secret "$PEERS_TUNNEL_SECRET" --user "$PEERS_USER" --password "$PEERS_PASSWORD" \
	--ping "$LNS_CORE_HOST_IP" --mgmt "$PEERS_TMP/cp.sock" --telemetry "$(lns_telemetry_socket)" \
	${HOSTILE_STAGES:+--stages "$HOSTILE_STAGES"} >"$PEERS_TMP/hostile.log" 2>&1
HOSTILE_RC=$?
grep -v '"ok": true' "$PEERS_TMP/hostile.log" >&2
echo "hostile_lns: $(grep -c '"ok": true' "$PEERS_TMP/hostile.log") checks passed" >&2

peers_alive "$CP_PID" || peers_die "l2tpx-controlplane died under hostile input"
peers_alive "$DP_PID" || peers_die "l2tpx-dataplane died under hostile input"

# tshark: every L2TP control packet from the LNS decodes without Malformed or error items.
sleep 0.5
kill -INT "$TCPDUMP_PID" 2>/dev/null
wait "$TCPDUMP_PID" 2>/dev/null
from_lns="ip.src == $PEERS_LNS_IP && udp.srcport == 1701"
n_ctl=$(tshark -r "$PEERS_TMP/wire.pcap" -n -Y "$from_lns && l2tp.type == 1" 2>/dev/null | wc -l)
bad=$(tshark -r "$PEERS_TMP/wire.pcap" -n -Y "$from_lns && (_ws.malformed || _ws.expert.severity >= error)" 2>/dev/null)
peers_log "tshark: $n_ctl control packets from the LNS on the wire"
[ "$n_ctl" -gt 100 ] || peers_die "tshark saw only $n_ctl control packets from the LNS (capture broken?)"
if [ -n "$bad" ]; then
	echo "$bad" | head -20 >&2
	peers_die "tshark: $(echo "$bad" | wc -l) packets from the LNS are malformed"
fi

[ $HOSTILE_RC = 0 ] || peers_die "hostile.py: checks failed (see above)"
peers_log "hostile: OK"
