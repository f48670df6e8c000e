#!/usr/bin/env bash
# IPv6 for PPP subscribers through the l2tpx LNS (meson suite "interop"): l2tpx-dataplane
# (net_af_packet on veths) and l2tpx-controlplane with an IPv6 [[pool]]; the scapy LAC
# (scapy_lac.py --ipv6) in the LAC namespace; a core host with IPv6 in a third.
#
#   LAC ns                     LNS ns (DPDK owns the veth ends)            core ns
#   198.18.0.2 ── veth ── access0 198.18.0.1     core0 198.19.0.1 ── veth ── 198.19.0.2
#                                                      2001:db8:ffff::1       2001:db8:ffff::2
#   subscriber: 100.64.0.x + 2001:db8:100:N::<iid>/64 (SLAAC) ──→ route 2001:db8:100::/48 via ::1
#
# The LAC brings up the call (PAP, IPCP, IPv4 pings), then IPv6CP; sends a Router
# Solicitation and takes the prefix from the Router Advertisement (from fe80::<LNS IPv6CP
# interface identifier>, A flag, MTU option, RDNSS), checks that a Neighbor Solicitation
# for the LNS's link-local address is answered, then pings the core host over IPv6 through
# the dataplane and back. The control plane's counters must show the RS, the RA and the
# prefix; after the LAC's StopCCN the prefix is back in the pool. tshark decodes every
# packet from the LNS on the LAC's wire (L2TP → PPP → IPv6 → ICMPv6) without a Malformed
# or error-level expert item, and finds the RA with its Prefix Information option.
# Exit 77 (skipped) when not root, a binary or peer is missing, or without free hugepages;
# processes, namespaces and hugepage files are removed on exit, also after a failure.
#
# usage: ipv6_lns.sh DATAPLANE_BIN CONTROLPLANE_BIN
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DP_BIN=${1:-}
CP_BIN=${2:-}
export PEERS_PREFIX=l2tpx-ra6
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"
# shellcheck source=../peers/lns_lib.sh source-path=SCRIPTDIR
. "$here/../peers/lns_lib.sh"
lns_skip_unless ipv6_lns 256 tshark

CORE6_DP=2001:db8:ffff::1
CORE6_HOST=2001:db8:ffff::2
POOL6=2001:db8:100::/48

peers_init
lns_init ra6
trap lns_exit EXIT
lns_setup_core
# lns_setup_core turns IPv6 off everywhere (the kernel must not answer for the dataplane);
# the core host needs it back, with an address and a route to the subscribers' prefixes.
ip netns exec "$LNS_NS_CORE" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
	"net.ipv6.conf.$LNS_IF_CORE.disable_ipv6=0" net.ipv6.conf.lo.disable_ipv6=0 || peers_die "sysctl ipv6"
ip -n "$LNS_NS_CORE" addr add "$CORE6_HOST/64" dev "$LNS_IF_CORE" nodad || peers_die "core IPv6 address"
ip -n "$LNS_NS_CORE" route add "$POOL6" via "$CORE6_DP" || peers_die "core IPv6 route"

{
	lns_dataplane_toml | sed "s|^addresses = \[\"$LNS_CORE_DP_IP/24\"\]|addresses = [\"$LNS_CORE_DP_IP/24\", \"$CORE6_DP/64\"]|"
	cat <<EOF2

[controlplane]
log_level = "debug"
mgmt_socket = "$PEERS_TMP/cp.sock"
idle_max_sleep_us = 2000
shutdown_timeout_ms = 5000

[lns]
host_name = "l2tpx-ipv6"
authentication = "pap"
users_file = "$PEERS_TMP/users"
gateway_address = "100.64.0.1"
lcp_echo_interval_s = 2
lcp_echo_failures = 5
enable_ipv6cp = true
check_source = true
ra_interval_s = 30
ipv6_dns = ["2001:db8:ffff::53"]

[[lac]]
address = "$PEERS_LAC_IP"

[[pool]]
name = "v4"
first = "100.64.0.10"
last = "100.64.0.20"

[[pool]]
name = "v6"
prefix = "$POOL6"
assign_length = 64
EOF2
} >"$LNS_TOML"
grep -q "$CORE6_DP/64" "$LNS_TOML" || peers_die "could not add the core port's IPv6 address to the configuration"
printf '%s %s\n' "$PEERS_USER" "$PEERS_PASSWORD" >"$PEERS_TMP/users"

ip netns exec "$PEERS_NS_LAC" setsid tcpdump -i "$PEERS_IF_LAC" -U -s 0 -n -w "$PEERS_TMP/wire.pcap" udp port 1701 \
	>>"$PEERS_TMP/tcpdump.log" 2>&1 &
PEERS_PIDS+=("$!")

lns_check
lns_start_dataplane
lns_start_controlplane
peers_log "l2tpx-dataplane (pid $DP_PID) and l2tpx-controlplane (pid $CP_PID) running"

ip netns exec "$PEERS_NS_LAC" /usr/bin/python3 "$here/scapy_lac.py" --lns "$PEERS_LNS_IP" \
	--local "$PEERS_LAC_IP" --user "$PEERS_USER" --password "$PEERS_PASSWORD" --auth pap \
	--ping "$LNS_CORE_HOST_IP" --count 3 --ipv6 "$CORE6_HOST" --expect-prefix6 2001:db8:100: \
	--mgmt "$PEERS_TMP/cp.sock" >"$PEERS_TMP/scapy.log" 2>&1
rc=$?
cat "$PEERS_TMP/scapy.log" >&2
if [ $rc != 0 ]; then
	lns_telemetry /l2tpx/stats /l2tpx/drops /l2tpx/neighbours /l2tpx/sessions >&2
	lns_mgmt "show stats" >&2
	tail -40 "$LNS_LOG_DIR/controlplane.log" >&2
	peers_die "scapy LAC with IPv6 failed"
fi

# Counters: one prefix assigned and given back, the RS answered, RAs and the NA sent.
lns_mgmt "show stats" >"$PEERS_TMP/stats.json"
/usr/bin/python3 - "$PEERS_TMP/stats.json" <<'PY' || peers_die "control-plane IPv6 counters: $(cat "$PEERS_TMP/stats.json")"
import json, sys
c = json.load(open(sys.argv[1]))["calls"]
want = {"ipv6_prefixes_assigned": 1, "rs_received": 1, "na_sent": 1}
bad = {k: c.get(k) for k, v in want.items() if c.get(k, 0) < v}
if c.get("ra_sent", 0) < 1 or c.get("nd_invalid", 0) != 0 or bad:
    sys.exit("counters %r ra_sent %r nd_invalid %r" % (bad, c.get("ra_sent"), c.get("nd_invalid")))
PY
prefix_back() { lns_mgmt "show stats" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)
sys.exit(0 if d["dataplane"]["sessions_installed"] == 0 and d["calls"]["links_finished"] >= 1 else 1)'; }
peers_wait_for 10 "the session to leave the dataplane" prefix_back

# tshark: everything from the LNS decodes cleanly; the RA and NA are there.
sleep 1
from_lns="ip.src == $PEERS_LNS_IP"
bad=$(tshark -r "$PEERS_TMP/wire.pcap" -n -Y "$from_lns && (_ws.malformed || _ws.expert.severity >= error)" 2>/dev/null)
[ -z "$bad" ] || peers_die "tshark: packets from the LNS are malformed: $bad"
ras=$(tshark -r "$PEERS_TMP/wire.pcap" -n -Y "$from_lns && icmpv6.type == 134 && icmpv6.opt.type == 3 && icmpv6.opt.type == 5" 2>/dev/null | wc -l)
[ "$ras" -ge 1 ] || peers_die "tshark finds no Router Advertisement with Prefix Information and MTU from the LNS"
nas=$(tshark -r "$PEERS_TMP/wire.pcap" -n -Y "$from_lns && icmpv6.type == 136" 2>/dev/null | wc -l)
[ "$nas" -ge 1 ] || peers_die "tshark finds no Neighbor Advertisement from the LNS"
replies=$(tshark -r "$PEERS_TMP/wire.pcap" -n -Y "$from_lns && icmpv6.type == 129" 2>/dev/null | wc -l)
[ "$replies" -ge 3 ] || peers_die "tshark finds $replies ICMPv6 echo replies through the tunnel, want 3"

lns_stop
peers_log "ipv6_lns: OK ($ras RAs, $nas NA, $replies echo replies; $(grep -o '"prefix": "[^"]*"' "$PEERS_TMP/scapy.log" | head -1))"
