#!/usr/bin/env bash
# End-to-end test of l2tpx-dataplane alone (meson suite "interop"; docs/dataplane.md,
# "End-to-end tests"): DPDK on net_af_packet over veth pairs in network namespaces, no
# control plane.
#
# Part 1: static L2TPv3 Ethernet pseudowires between two dataplanes, declared in their
# TOML files ([[static_tunnel]]/[[static_session]]):
#
#   site A ns                       dp ns                                    site B ns
#   10.1.0.1 a1 ─ veth ─ DP A att1 ┐                          ┌ att1 DP B ─ veth ─ b1 10.1.0.2
#   10.2.0.1 a2 ─ veth ─ DP A att2 ├ access 192.0.2.1 ═ veth ═ 192.0.2.2 access ┤ att2 ... b2 10.2.0.2
#   10.3.0.1 a3 (42) ─ veth ─ DP A att3 ┘                     └ att3 DP B ─ veth ─ b3 (42) 10.3.0.2
#
#   pw 1 (a1-b1): L2TPv3/UDP, 4-byte cookies, default L2-specific sublayer, sequencing both ways
#   pw 2 (a2-b2): L2TPv3/IP (protocol 115), no cookie, no sublayer
#   pw 3 (a3-b3): L2TPv3/UDP, 8-byte cookies, eth_vlan: only VLAN 42 is carried; untagged
#                 frames on that port are not (counted no_attachment). The VLAN hosts are
#                 vlan_host.py (scapy on raw frames): this kernel has no 8021q module.
#   The dataplanes resolve each other by ARP (no static neighbours); each site pings the
#   other; per-session counters and drop counters are checked through telemetry.
#   The access link between the dataplanes is VLAN 7 on both sides ([[port]] vlan = 7):
#   ARP, the session templates and the received frames are all tagged. Then, with DP B
#   stopped (SIGSTOP), 3000 untagged frames overflow its AF_PACKET RX ring: the kernel's
#   ring drops show in /l2tpx/ports (kernel_ring_drops) and the frames that fitted in the
#   ring are dropped as wrong_vlan.
#
# Part 2 (needs free hugepages: a DPDK secondary shares them; skipped otherwise): one
# dataplane as LNS, an L2TPv2 session installed through the command ring by l2tpx-dp-ring
# (add_tunnel, add_session with a subscriber /32 and a framed route, add_route), a
# kernel-free LAC (dp_e2e_lac.py: L2TPv2 + PPP over a UDP socket) pinging a core host
# through the tunnel and answering the core host's pings to the subscriber and its routed
# prefixes; modify_session turns the source check on (a spoofed source is dropped):
#
#   LAC ns 198.18.0.2 ─ veth ─ access 198.18.0.1 [DP C] core 198.19.0.1 ─ veth ─ 198.19.0.2 core ns
#
# then a duplicate add_session (exists), counters by get_session_counters, remove_session,
# remove_tunnel, and the session's traffic is dropped as unknown_session afterwards.
#
# Exit 77 (skipped) when not root or a tool is missing. Every process, namespace, temp dir
# and DPDK file of our prefixes is removed on exit, also after a failure.
#
# usage: dp_e2e.sh DATAPLANE_BIN DP_RING_BIN
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DP_BIN=${1:-}
RING_BIN=${2:-}
skip() { echo "dp_e2e: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
[ -x "$DP_BIN" ] || skip "no l2tpx-dataplane binary ($DP_BIN)"
[ -x "$RING_BIN" ] || skip "no l2tpx-dp-ring binary ($RING_BIN)"
for c in ip ping /usr/bin/python3; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed"

# peers_log, peers_die, peers_wait_for, peers_alive (peers_init is not used: it needs the
# real peers; this script keeps its own namespaces and cleanup).
# shellcheck source=../peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../peers/peers_lib.sh"

T=$$
TMP=$(mktemp -d "/tmp/l2tpx-dp-e2e.XXXXXX") || { echo "mktemp failed"; exit 1; }
NS_DP="l2tpx-dpe-$T-dp"
# Dataplane b runs in a namespace of its own: net_af_packet's PACKET_FANOUT group id is
# (pid ^ ifindex) & 0xffff, per network namespace, so two dataplanes with nearby pids in
# one namespace can collide on it and fail to start (EINVAL).
NS_DPB="l2tpx-dpe-$T-dpb"
NS_A="l2tpx-dpe-$T-a"
NS_B="l2tpx-dpe-$T-b"
NS_LAC="l2tpx-dpe-$T-lac"
NS_CORE="l2tpx-dpe-$T-core"
PREFIXES=("l2tpx-dpe-$T-a" "l2tpx-dpe-$T-b" "l2tpx-dpe-$T-c")
PIDS=()

cleanup() {
	local rc=$? i pid ns alive
	trap - EXIT
	trap '' INT TERM
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		alive=0
		for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	for ns in "$NS_DP" "$NS_DPB" "$NS_A" "$NS_B" "$NS_LAC" "$NS_CORE"; do
		if ip netns list 2>/dev/null | grep -qw "^$ns"; then
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
			ip netns del "$ns" 2>/dev/null
		fi
	done
	for p in "${PREFIXES[@]}"; do
		rm -f /dev/hugepages/"${p}"map_* 2>/dev/null
		rm -rf "/var/run/dpdk/$p" 2>/dev/null
	done
	if [ $rc != 0 ] && [ $rc != 77 ]; then
		for f in "$TMP"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $(basename "$f") (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	fi
	if [ "${DP_E2E_KEEP:-0}" = 1 ]; then
		echo "logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# telemetry PREFIX COMMAND [KEY]: the JSON answer, or one value of it.
telemetry() {
	/usr/bin/python3 - "/var/run/dpdk/$1/dpdk_telemetry.v2" "$2" "${3:-}" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(2)
s.connect(sys.argv[1])
s.recv(16384)
s.send(sys.argv[2].encode())
d = json.loads(s.recv(1 << 20).decode())
v = next(iter(d.values()))
if sys.argv[3]:
    print(v[sys.argv[3]])
else:
    print(json.dumps(v))
PY
}
save_telemetry() { # PREFIX: everything a failure report needs, into the logs
	local c
	for c in /l2tpx/stats /l2tpx/drops /l2tpx/neighbours /l2tpx/sessions /l2tpx/ports; do
		echo "$c: $(telemetry "$1" "$c" 2>&1)"
	done >"$TMP/telemetry-$1.log"
}
fail() { # message: saves the telemetry of the running dataplanes, then dies
	local p
	for p in "${PREFIXES[@]}"; do
		[ -S "/var/run/dpdk/$p/dpdk_telemetry.v2" ] && save_telemetry "$p"
	done
	peers_die "$*"
}

# veth NAME_IN_NS1 NS1 NAME_IN_NS2 NS2: created inside the namespaces (nothing in the root ns).
veth() {
	ip link add "$1" netns "$2" type veth peer name "$3" netns "$4" || fail "veth $1/$3"
	ip -n "$2" link set "$1" up
	ip -n "$4" link set "$3" up
}

# start_dp NAME CONFIG [EXTRA EAL ARGS...]: starts a dataplane in NS_DP (b: NS_DPB), waits
# until it runs.
start_dp() {
	local name=$1 conf=$2 pid ns=$NS_DP
	shift 2
	[ "$name" = b ] && ns=$NS_DPB
	ip netns exec "$ns" setsid "$DP_BIN" -c "$conf" -- --log-level=lib.eal:warning "$@" \
		>>"$TMP/dp-$name.log" 2>&1 </dev/null &
	pid=$!
	PIDS+=("$pid")
	eval "DP_PID_$name=$pid"
	dp_running() { peers_alive "$1" || fail "l2tpx-dataplane $2 exited: $(tail -5 "$TMP/dp-$2.log")"; grep -q "running" "$TMP/dp-$2.log"; }
	peers_wait_for 30 "l2tpx-dataplane $name to run" dp_running "$pid" "$name"
	peers_log "l2tpx-dataplane $name running (pid $pid)"
}

stop_dp() { # NAME: SIGTERM, must exit 0 within 10 s
	local pid i
	pid=$(eval echo "\$DP_PID_$1")
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do peers_alive "$pid" || break; sleep 0.1; done
	peers_alive "$pid" && fail "l2tpx-dataplane $1 did not stop on SIGTERM"
	wait "$pid"
	local rc=$?
	[ $rc = 0 ] || fail "l2tpx-dataplane $1 exited with $rc"
}

# ping_ok NS DST: 5 echoes at 0.2 s after the path is up (the first may wait for ARP).
ping_ok() {
	local ns=$1 dst=$2
	peers_wait_for 20 "a first echo reply from $dst in $ns" ip netns exec "$ns" ping -c 1 -W 1 -q "$dst" >/dev/null
	ip netns exec "$ns" ping -c 5 -i 0.2 -W 2 -q "$dst" >"$TMP/ping.out" 2>&1 ||
		fail "ping $dst from $ns: $(cat "$TMP/ping.out")"
	grep -q " 0% packet loss" "$TMP/ping.out" || fail "ping $dst from $ns lost packets: $(cat "$TMP/ping.out")"
}

for ns in "$NS_DP" "$NS_DPB" "$NS_A" "$NS_B"; do
	ip netns add "$ns" || fail "netns add $ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

#### Part 1: static L2TPv3 pseudowires between two dataplanes ####
veth "lxe${T}wa" "$NS_DP" "lxe${T}wb" "$NS_DPB"
for i in 1 2 3; do
	veth "lxe${T}a$i" "$NS_A" "lxe${T}A$i" "$NS_DP"
	veth "lxe${T}b$i" "$NS_B" "lxe${T}B$i" "$NS_DPB"
	# Sites: fixed MACs, distinct per side (the pseudowire is one Ethernet segment).
	ip -n "$NS_A" link set "lxe${T}a$i" address "02:00:0a:0$i:00:01"
	ip -n "$NS_B" link set "lxe${T}b$i" address "02:00:0a:0$i:00:02"
done
ip -n "$NS_A" addr add 10.1.0.1/24 dev "lxe${T}a1"
ip -n "$NS_B" addr add 10.1.0.2/24 dev "lxe${T}b1"
ip -n "$NS_A" addr add 10.2.0.1/24 dev "lxe${T}a2"
ip -n "$NS_B" addr add 10.2.0.2/24 dev "lxe${T}b2"
# No 8021q module here: the VLAN 42 hosts of pw 3 are vlan_host.py (scapy, raw frames).

# write_v3_conf NAME LOCAL REMOTE OUR_BASE PEER_BASE LCORE COOKIE_A COOKIE_B: one side's file.
write_v3_conf() {
	local name=$1 local=$2 remote=$3 ours=$4 peers=$5 lcore=$6 c4=$7 pc4=$8 c8=$9 pc8=${10}
	local up=${name^^}
	cat >"$TMP/$name.toml" <<EOF
[dataplane]
main_lcore = $lcore
worker_lcores = []
eal_args = ["--no-huge", "-m", "512"]
file_prefix = "l2tpx-dpe-$T-$name"
mbuf_pool_size = 4095
mbuf_cache_size = 64
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
idle_max_sleep_us = 1000

[[port]]
name = "wan"
devargs = "net_af_packet0,iface=lxe${T}w$name"
role = "access"
vlan = 7
addresses = ["$local/24"]

[[port]]
name = "att1"
devargs = "net_af_packet1,iface=lxe${T}${up}1"
role = "attachment"

[[port]]
name = "att2"
devargs = "net_af_packet2,iface=lxe${T}${up}2"
role = "attachment"

[[port]]
name = "att3"
devargs = "net_af_packet3,iface=lxe${T}${up}3"
role = "attachment"

[[static_tunnel]]
tunnel_id = ${ours}0
peer_tunnel_id = ${peers}0
encap = "udp"
local = "$local"
remote = "$remote"
udp_sport = 1701
udp_dport = 1701

[[static_tunnel]]
tunnel_id = ${ours}1
peer_tunnel_id = ${peers}1
encap = "ip"
local = "$local"
remote = "$remote"

[[static_session]]
tunnel_id = ${ours}0
session_id = ${ours}00
peer_session_id = ${peers}00
cookie = "$c4"
peer_cookie = "$pc4"
l2spec_type = "default"
seq = "both"
pseudowire = "eth"
attachment_port = "att1"

[[static_session]]
tunnel_id = ${ours}1
session_id = ${ours}01
peer_session_id = ${peers}01
l2spec_type = "none"
pseudowire = "eth"
attachment_port = "att2"

[[static_session]]
tunnel_id = ${ours}0
session_id = ${ours}02
peer_session_id = ${peers}02
cookie = "$c8"
peer_cookie = "$pc8"
l2spec_type = "default"
pseudowire = "eth_vlan"
attachment_port = "att3"
vlan = 42
EOF
}
# The veth ends of the access link are lxe$T-wa (DP A) and lxe$T-wb (DP B).
write_v3_conf a 192.0.2.1 192.0.2.2 1 2 0 0x0a0b0c0d 0x01020304 0x1112131415161718 0x2122232425262728
write_v3_conf b 192.0.2.2 192.0.2.1 2 1 1 0x01020304 0x0a0b0c0d 0x2122232425262728 0x1112131415161718
"$DP_BIN" -c "$TMP/a.toml" --check >"$TMP/check.log" 2>&1 || fail "--check: $(cat "$TMP/check.log")"
start_dp a "$TMP/a.toml"
start_dp b "$TMP/b.toml"

ping_ok "$NS_A" 10.1.0.2
peers_log "pw 1 (L2TPv3/UDP, 4-byte cookies, L2SS, sequencing): 10.1.0.1 <-> 10.1.0.2 OK"
ping_ok "$NS_B" 10.2.0.1
peers_log "pw 2 (L2TPv3/IP, no cookie): 10.2.0.2 <-> 10.2.0.1 OK"
ip netns exec "$NS_B" /usr/bin/python3 "$here/vlan_host.py" respond --iface "lxe${T}b3" --vlan 42 \
	--mac 02:00:0a:03:00:02 --ip 10.3.0.2 --seconds 40 --stop-file "$TMP/vlan.stop" >"$TMP/vlan-b.log" 2>&1 &
VLAN_PID=$!
PIDS+=("$VLAN_PID")
peers_wait_for 15 "the VLAN responder to start" grep -qs ready "$TMP/vlan-b.log"
# Two untagged echoes first: att3 has no session for untagged frames, so they must not cross.
ip netns exec "$NS_A" /usr/bin/python3 "$here/vlan_host.py" ping --iface "lxe${T}a3" --vlan 42 \
	--mac 02:00:0a:03:00:01 --ip 10.3.0.1 --dst 10.3.0.2 --count 3 --untagged 2 >"$TMP/vlan-a.log" 2>&1 ||
	fail "VLAN 42 ping over pw 3: $(tail -3 "$TMP/vlan-a.log")"
touch "$TMP/vlan.stop"
wait "$VLAN_PID" || fail "VLAN responder: $(tail -3 "$TMP/vlan-b.log")"
grep -q "^untagged_seen 0$" "$TMP/vlan-b.log" || fail "untagged frames crossed the eth_vlan pseudowire: $(tail -1 "$TMP/vlan-b.log")"
no_att=$(telemetry "l2tpx-dpe-$T-a" /l2tpx/drops no_attachment) || fail "telemetry"
[ "$no_att" -ge 2 ] || fail "untagged frames on att3 not counted as no_attachment ($no_att)"
peers_log "pw 3 (L2TPv3/UDP, 8-byte cookies, VLAN 42): tagged 10.3.0.1 <-> 10.3.0.2 OK, untagged dropped"

# Per-session counters on both sides: every pw carried traffic both ways; no cookie or
# sequence drops.
for side in a b; do
	base=1
	[ $side = b ] && base=2
	for s in 00 01 02; do
		j=$(telemetry "l2tpx-dpe-$T-$side" "/l2tpx/sessions,${base}$s") || fail "telemetry session ${base}$s"
		read -r rx tx <<<"$(/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["rx_packets"], d["tx_packets"])' "$j")"
		if [ "$rx" -lt 4 ] || [ "$tx" -lt 4 ]; then fail "DP $side session ${base}$s: rx $rx tx $tx packets"; fi
	done
	for r in bad_cookie seq_out_of_order seq_missing unknown_session wrong_peer; do
		v=$(telemetry "l2tpx-dpe-$T-$side" /l2tpx/drops "$r") || fail "telemetry"
		[ "$v" = 0 ] || fail "DP $side counted $v $r drops"
	done
done
peers_log "static L2TPv3: per-session counters and drops OK"
# The wan link is VLAN 7: nothing arrived untagged or with another tag so far.
for side in a b; do
	v=$(telemetry "l2tpx-dpe-$T-$side" /l2tpx/drops wrong_vlan) || fail "telemetry"
	[ "$v" = 0 ] || fail "DP $side counted $v wrong_vlan drops on a link where both sides tag"
	v=$(telemetry "l2tpx-dpe-$T-$side" /l2tpx/ports | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["wan"]["vlan"])')
	[ "$v" = 7 ] || fail "DP $side reports vlan $v for its wan port"
done
# Kernel ring drops: DP B stopped, 3000 untagged frames into its wan port (the PMD's ring
# holds 512 frames by default), DP B resumed.
kill -STOP "$DP_PID_b"
ip netns exec "$NS_DP" /usr/bin/python3 - "lxe${T}wa" 3000 <<'PY' || { kill -CONT "$DP_PID_b"; fail "flood"; }
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = b"\xff" * 6 + bytes.fromhex("020000000099") + b"\x88\xb5" + bytes(46)
for _ in range(int(sys.argv[2])):
    s.send(frame)
PY
kill -CONT "$DP_PID_b"
ring_drops() {
	telemetry "l2tpx-dpe-$T-b" /l2tpx/ports | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["wan"]["kernel_ring_drops"])'
}
ring_drops_seen() { [ "$(ring_drops 2>/dev/null || echo 0)" -ge 1000 ]; }
peers_wait_for 10 "DP B to report kernel ring drops" ring_drops_seen
wrong=$(telemetry "l2tpx-dpe-$T-b" /l2tpx/drops wrong_vlan) || fail "telemetry"
[ "$wrong" -ge 100 ] || fail "untagged frames on the VLAN 7 port: $wrong wrong_vlan drops, expected the ring's share"
peers_log "VLAN 7 access link OK; kernel ring drops $(ring_drops), wrong_vlan $wrong"
stop_dp b
stop_dp a

#### Part 2: L2TPv2 session installed through the command ring ####
free_huge=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "${free_huge:-0}" -lt 300 ] || ! mountpoint -q /dev/hugepages; then
	peers_log "part 2 skipped: a DPDK secondary needs hugepages (${free_huge:-0} free, 300 wanted)"
	peers_log "dp_e2e: OK (static L2TPv3 part only)"
	exit 0
fi
for ns in "$NS_LAC" "$NS_CORE"; do
	ip netns add "$ns" || fail "netns add $ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
veth "lxe${T}l" "$NS_LAC" "lxe${T}L" "$NS_DP"
veth "lxe${T}k" "$NS_CORE" "lxe${T}K" "$NS_DP"
ip -n "$NS_LAC" addr add 198.18.0.2/24 dev "lxe${T}l"
ip -n "$NS_CORE" addr add 198.19.0.2/24 dev "lxe${T}k"
ip -n "$NS_CORE" route add 100.64.0.0/10 via 198.19.0.1
PFX_C="l2tpx-dpe-$T-c"
cat >"$TMP/c.toml" <<EOF
[dataplane]
main_lcore = 0
worker_lcores = []
eal_args = ["--socket-limit", "512"]
file_prefix = "$PFX_C"
mbuf_pool_size = 4095
mbuf_cache_size = 64
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
idle_max_sleep_us = 1000

[[port]]
name = "access0"
devargs = "net_af_packet0,iface=lxe${T}L"
role = "access"
addresses = ["198.18.0.1/24"]

[[port]]
name = "core0"
devargs = "net_af_packet1,iface=lxe${T}K"
role = "core"
addresses = ["198.19.0.1/24"]  # connected route: 198.19.0.2 is on-link, no gateway needed
EOF
start_dp c "$TMP/c.toml"

# IDs: LNS tunnel 0x1234 / session 0x0042 (index (0x1234 << 16 | 0x42) & 1023 = 66), LAC 0x5678 / 0x0099.
SESS="version=2 port=0 local_tunnel=4660 local_session=66 peer_tunnel=22136 peer_session=153 \
local=198.18.0.1 peer=198.18.0.2 subscriber=100.64.0.10 route=100.65.0.0/24"
ring() { # commands...: through l2tpx-dp-ring (a DPDK secondary), output appended to ring.log
	"$RING_BIN" --file-prefix "$PFX_C" "$@" >>"$TMP/ring.log" 2>&1
}
ring "hello" \
	"add_tunnel version=2 port=0 local_tunnel=4660 peer_tunnel=22136 local=198.18.0.1 peer=198.18.0.2" \
	"add_session $SESS" \
	"add_route version=2 local_tunnel=4660 local_session=66 prefix=100.66.0.0/24" \
	"expect=exists add_session $SESS" \
	"expect=not_found add_route version=2 local_tunnel=4660 local_session=67 prefix=100.67.0.0/24" ||
	fail "l2tpx-dp-ring (install): $(tail -3 "$TMP/ring.log")"
peers_log "v2 session installed through the command ring"

lac() { # LOG extra args...: the LAC script, output to lac-LOG.log
	local log=$1
	shift
	ip netns exec "$NS_LAC" /usr/bin/python3 "$here/dp_e2e_lac.py" --local 198.18.0.2 --lns 198.18.0.1 \
		--tunnel 4660 --session 66 --our-tunnel 22136 --our-session 153 --subscriber 100.64.0.10 \
		--ping 198.19.0.2 "$@" >"$TMP/lac-$log.log" 2>&1
}
# The LAC pings the core host (L bit on); the core host pings the subscriber, an address of
# the framed route and one of the route added by add_route, answered by the LAC.
lac pings --count 3 --answer 100.64.0.10/32,100.65.0.0/24,100.66.0.0/24 --answer-count 18 --length-bit --timeout 40 &
LAC_PID=$!
PIDS+=("$LAC_PID")
peers_wait_for 10 "the LAC script to start" grep -qs ready "$TMP/lac-pings.log"
ping_ok "$NS_CORE" 100.64.0.10
ping_ok "$NS_CORE" 100.65.0.1
ping_ok "$NS_CORE" 100.66.0.7
wait "$LAC_PID" || fail "LAC: $(tail -5 "$TMP/lac-pings.log")"
peers_log "v2: the LAC pings through the tunnel, the core reaches the subscriber and its routes: OK"

# modify_session in place: source check on. The subscriber's pings (S bit, no L bit) still
# pass; an echo with another source is dropped as spoofed_source.
ring "modify_session $SESS flags=check_source" || fail "modify_session: $(tail -3 "$TMP/ring.log")"
lac seq --count 2 --seq-bit --spoof 100.64.0.99 --timeout 15 || fail "LAC with S bit: $(tail -5 "$TMP/lac-seq.log")"
spoofed=$(telemetry "$PFX_C" /l2tpx/drops spoofed_source) || fail "telemetry"
[ "$spoofed" -ge 1 ] || fail "the spoofed echo was not counted as spoofed_source ($spoofed)"
ring "get_session_counters version=2 local_tunnel=4660 local_session=66" ||
	fail "get_session_counters: $(tail -3 "$TMP/ring.log")"
read -r rx tx <<<"$(sed -n 's/^session_counters .* rx_packets=\([0-9]*\) .* tx_packets=\([0-9]*\) .*/\1 \2/p' "$TMP/ring.log" | tail -1)"
# Upstream: 5 LAC echoes + >= 18 answers; downstream: 5 replies + >= 18 core echoes.
if [ "${rx:-0}" -lt 23 ] || [ "${tx:-0}" -lt 23 ]; then fail "session counters rx ${rx:-?} tx ${tx:-?}"; fi
peers_log "v2 session counters: rx $rx tx $tx packets"

# ICMP errors from the paths' hook (docs/dataplane.md, "ICMP errors"): the LAC's echo with
# TTL 1 gets Time Exceeded from the LNS's access address back through the tunnel; the core
# host's DF ping of 1500 bytes, too big once encapsulated for the access port (MTU 1500),
# gets Fragmentation Needed with the MTU left for inner packets (1500 - 40 with the L bit,
# 1500 - 38 without), quoting 576 bytes.
lac icmp --count 0 --expect-icmp 1 --ttl 1 --timeout 15 &
LAC_PID=$!
PIDS+=("$LAC_PID")
ip netns exec "$NS_CORE" /usr/bin/python3 -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(15)
print("ready", flush=True)
while True:
    d, src = s.recvfrom(2048)
    ihl = (d[0] & 15) * 4
    t, c = d[ihl], d[ihl + 1]
    mtu = struct.unpack("!H", d[ihl + 6:ihl + 8])[0]
    if t == 3 and c == 4 and src[0] == "198.19.0.1":
        print("frag needed from %s mtu %d quoting %d bytes" % (src[0], mtu, len(d) - ihl - 8), flush=True)
        sys.exit(0 if mtu in (1460, 1462) and len(d) == 576 else 1)
' >"$TMP/core-icmp.log" 2>&1 &
CORE_ICMP_PID=$!
PIDS+=("$CORE_ICMP_PID")
peers_wait_for 10 "the ICMP listeners" grep -qs ready "$TMP/core-icmp.log"
ip netns exec "$NS_CORE" ping -M do -s 1472 -c 1 -W 2 -q 100.64.0.10 >/dev/null 2>&1
wait "$LAC_PID" || fail "no ICMP Time Exceeded through the tunnel: $(tail -5 "$TMP/lac-icmp.log")"
wait "$CORE_ICMP_PID" || fail "no Fragmentation Needed at the core host: $(tail -3 "$TMP/core-icmp.log")"
[ "$(telemetry "$PFX_C" /l2tpx/stats icmp_errors_sent)" -ge 2 ] || fail "icmp_errors_sent is below 2"
[ "$(telemetry "$PFX_C" /l2tpx/drops ttl_exceeded)" -ge 1 ] || fail "ttl_exceeded not counted"
[ "$(telemetry "$PFX_C" /l2tpx/drops too_big)" -ge 1 ] || fail "too_big not counted"
peers_log "ICMP errors: time exceeded down the session, fragmentation needed to the core host: OK"

# Glean: 198.19.0.5 is on the core link but has never spoken. The LAC's first echo to it
# reaches the connected route's unresolved slot: the path hands it to the main lcore, which
# sends an ARP request at once; the host answers and the next echoes pass.
ip -n "$NS_CORE" addr add 198.19.0.5/24 dev "lxe${T}k"
nn_before=$(telemetry "$PFX_C" /l2tpx/drops no_neighbour) || fail "telemetry"
gleans_before=$(telemetry "$PFX_C" /l2tpx/stats neighbour_gleans) || fail "telemetry" # 198.19.0.2 may be one
lac glean --count 2 --ping 198.19.0.5 --timeout 10 || fail "LAC to the gleaned host: $(tail -5 "$TMP/lac-glean.log")"
[ "$(telemetry "$PFX_C" /l2tpx/stats neighbour_gleans)" = $((gleans_before + 1)) ] ||
	fail "neighbour_gleans did not grow by 1 (one request per target)"
[ "$(telemetry "$PFX_C" /l2tpx/drops no_neighbour)" -gt "$nn_before" ] || fail "no_neighbour not counted"
peers_log "glean: 198.19.0.5 resolved from the first routed packet, reached through the tunnel: OK"

ring "remove_session version=2 local_tunnel=4660 local_session=66" \
	"remove_tunnel version=2 local_tunnel=4660" \
	"expect=not_found remove_session version=2 local_tunnel=4660 local_session=66" ||
	fail "l2tpx-dp-ring (remove): $(tail -3 "$TMP/ring.log")"
before=$(telemetry "$PFX_C" /l2tpx/drops unknown_session) || fail "telemetry"
lac removed --count 1 --timeout 3 && fail "traffic passed after remove_session"
after=$(telemetry "$PFX_C" /l2tpx/drops unknown_session) || fail "telemetry"
[ "$after" -gt "$before" ] || fail "data for the removed session not counted unknown_session ($before -> $after)"
ip netns exec "$NS_CORE" ping -c 1 -W 1 -q 100.65.0.1 >/dev/null 2>&1 && fail "the framed route survived remove_session"
[ "$(telemetry "$PFX_C" /l2tpx/stats sessions)" = 0 ] || fail "sessions left in the dataplane"
peers_log "v2: remove_session/remove_tunnel through the ring, traffic dropped afterwards: OK"
stop_dp c
peers_log "dp_e2e: OK"
