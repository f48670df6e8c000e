# shellcheck shell=bash
# Our LNS (l2tpx-dataplane + l2tpx-controlplane) in network namespaces, facing one
# generator namespace that holds both of the generator's ports. Sourced by tools/lab.sh and
# the generator's interop tests (tools/gen/dpdk/tests/). Needs root; builds nothing.
#
#   generator ns ($PEERS_NS_LAC)          LNS ns ($PEERS_NS_LNS, DPDK owns both veth ends)
#   access: $PEERS_IF_LAC  ───── veth ─── access0 198.18.0.1
#   core:   $LAB_IF_CORE   ───── veth ─── core0   198.19.0.1 (gateway 198.19.0.2)
#   l2tpx-gen answers ARP for 198.18.0.2 (LAC) and 198.19.0.2 (core host); the kernel
#   of its namespace holds no address on either interface, so it stays silent.
#   Subscribers: 100.64.0.10 … (pool sized to the sessions).
#
# LAB_CORE_RELAY=1 before lab_init puts a relay namespace ($PEERS_NS_CORE) on the core link,
# with interfaces $LAB_IF_RELAY_A (LNS side) and $LAB_IF_RELAY_B (generator side).
# Use:  lab_init; lab_write_config SESSIONS USERS_FILE; [lab_enable_ipv6;] lab_start_lns; … ;
# exit (the EXIT trap removes everything). Set LAB_DP_BIN, LAB_CP_BIN before lab_start_lns.

export PEERS_PREFIX=${PEERS_PREFIX:-l2tpx-lab}
LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../tests/peers/peers_lib.sh source-path=SCRIPTDIR
. "$LAB_REPO/tests/peers/peers_lib.sh"
# shellcheck source=../../tests/peers/lns_lib.sh source-path=SCRIPTDIR
. "$LAB_REPO/tests/peers/lns_lib.sh"

LAB_CORE_DP_IP=198.19.0.1
LAB_CORE_HOST_IP=198.19.0.2
LAB_SUB_GW=100.64.0.1
LAB_LAC2_IP=198.18.0.3
LAB_GEN_PID=

# The EXIT trap: the generator first (its StopCCNs still reach the LNS), then the LNS and
# everything else (lns_exit).
lab_cleanup() {
	lns_exit "$LAB_GEN_PID"
}

lab_init() {
	peers_init
	trap lab_cleanup EXIT
	LAB_PREFIX="${PEERS_PREFIX}-$$" # DPDK --file-prefix of the LNS
	LAB_IF_CORE_DP="lxg$$d"
	LAB_IF_CORE="lxg$$h"
	# lns_lib.sh's names for the same (it starts and stops the LNS).
	LNS_PREFIX=$LAB_PREFIX
	LNS_IF_CORE_DP=$LAB_IF_CORE_DP
	LNS_CORE_DP_IP=$LAB_CORE_DP_IP
	LNS_CORE_HOST_IP=$LAB_CORE_HOST_IP
	LNS_TOML="$PEERS_TMP/lns.toml"
	LNS_LOG_DIR=$PEERS_TMP
	ip -n "$PEERS_NS_LNS" addr flush dev "$PEERS_IF_LNS"
	ip -n "$PEERS_NS_LAC" addr flush dev "$PEERS_IF_LAC"
	if [ "${LAB_CORE_RELAY:-0}" = 1 ]; then
		# A relay namespace on the core link (the fault injector's): LNS core0 ── $LAB_IF_RELAY_A
		# [relay ns] $LAB_IF_RELAY_B ── the generator's core port. peers_cleanup removes it.
		PEERS_NS_CORE="${PEERS_PREFIX}-$$-relay"
		LAB_IF_RELAY_A="lxg$$a"
		LAB_IF_RELAY_B="lxg$$b"
		ip netns add "$PEERS_NS_CORE" || peers_die "netns add"
		ip link add "$LAB_IF_CORE_DP" netns "$PEERS_NS_LNS" type veth peer name "$LAB_IF_RELAY_A" netns "$PEERS_NS_CORE" ||
			peers_die "veth"
		ip link add "$LAB_IF_CORE" netns "$PEERS_NS_LAC" type veth peer name "$LAB_IF_RELAY_B" netns "$PEERS_NS_CORE" ||
			peers_die "veth"
		ip netns exec "$PEERS_NS_CORE" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		for i in "$LAB_IF_RELAY_A" "$LAB_IF_RELAY_B"; do
			ip netns exec "$PEERS_NS_CORE" sysctl -qw net.ipv6.conf."$i".disable_ipv6=1
			ip -n "$PEERS_NS_CORE" link set "$i" promisc on up
		done
	else
		ip link add "$LAB_IF_CORE_DP" netns "$PEERS_NS_LNS" type veth peer name "$LAB_IF_CORE" netns "$PEERS_NS_LAC" ||
			peers_die "veth"
	fi
	ip -n "$PEERS_NS_LAC" link set "$LAB_IF_CORE" address 02:00:c6:13:00:02 up
	ip -n "$PEERS_NS_LNS" link set "$LAB_IF_CORE_DP" address 02:00:c6:13:00:01 up
	for ns in "$PEERS_NS_LNS" "$PEERS_NS_LAC"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip netns exec "$PEERS_NS_LAC" sysctl -qw net.ipv6.conf."$PEERS_IF_LAC".disable_ipv6=1 \
		net.ipv6.conf."$LAB_IF_CORE".disable_ipv6=1
}

# lab_write_config SESSIONS USERS_FILE: $PEERS_TMP/dp.toml and lns.toml.
lab_write_config() {
	local sessions=$1 users=$2 free_huge capacity pool_last_n
	# The dataplane indexes L2TPv2 sessions by (tunnel ID << 16 | session ID) & (capacity - 1)
	# with random IDs: the larger the table, the rarer two calls collide on one slot.
	free_huge=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	mountpoint -q /dev/hugepages || peers_die "/dev/hugepages is not mounted (run tools/setup.sh)"
	if [ "${LAB_SESSION_CAPACITY:-}" ]; then
		capacity=$LAB_SESSION_CAPACITY
	elif [ "${free_huge:-0}" -ge 600 ]; then
		capacity=2097152
	elif [ "${free_huge:-0}" -ge 320 ]; then
		capacity=1048576
	elif [ "${free_huge:-0}" -ge 128 ]; then
		capacity=262144
	else
		peers_die "needs at least 128 free 2 MiB hugepages (have ${free_huge:-0})"
	fi
	LAB_SESSION_CAPACITY=$capacity
	pool_last_n=$((0x64400000 + 10 + sessions + 63))
	LAB_POOL_LAST=$(printf '%d.%d.%d.%d' $((pool_last_n >> 24 & 255)) $((pool_last_n >> 16 & 255)) \
		$((pool_last_n >> 8 & 255)) $((pool_last_n & 255)))
	# A LAC sends LCP right after its ICCN, before the control plane's install reaches the
	# table: punt such frames (bounded by the punt ring) instead of dropping them.
	lns_dataplane_toml mbuf_pool_size=16383 mbuf_cache_size=128 session_capacity="$capacity" tunnel_capacity=1024 \
		command_ring_size=1024 event_ring_size=4096 punt_ring_size=4096 inject_ring_size=4096 idle_max_sleep_us=200 \
		punt_unknown_sessions=true >"$PEERS_TMP/dp.toml"
	cp "$PEERS_TMP/dp.toml" "$PEERS_TMP/lns.toml"
	cat >>"$PEERS_TMP/lns.toml" <<EOF2

[controlplane]
log_level = "info"
mgmt_socket = "$PEERS_TMP/cp.sock"
idle_max_sleep_us = 500
shutdown_timeout_ms = 5000
hello_interval_s = 60
receive_window = 16
max_half_open_per_peer = 16

[lns]
host_name = "l2tpx-lab"
tunnel_auth_required = true
authentication = "chap"
auth_fallback = true
users_file = "$users"
gateway_address = "$LAB_SUB_GW"
dns = ["198.19.0.53"]
lcp_echo_interval_s = 10
lcp_echo_failures = 3
enable_ipv6cp = false
check_source = true

[[lac]]
address = "$PEERS_LAC_IP"
host_name = "l2tpx-gen"
secret = "$PEERS_TUNNEL_SECRET"

# A second LAC address, for runs that emulate two LACs (--lac $LAB_LAC2_IP).
[[lac]]
address = "$LAB_LAC2_IP"
host_name = "l2tpx-gen"
secret = "$PEERS_TUNNEL_SECRET"

[[pool]]
name = "lab"
first = "100.64.0.10"
last = "$LAB_POOL_LAST"
EOF2
	LNS_CP_BIN=$LAB_CP_BIN lns_check
}

# lab_enable_ipv6: IPv6 subscribers in the configuration lab_write_config wrote: the core
# port gets $LAB_CORE6_DP_IP/64 (a connected /64 towards the generator's core address
# $LAB_CORE6_HOST_IP), the LNS IPv6CP and an IPv6 [[pool]] of /64s from $LAB_POOL6 (one per
# subscriber, announced by Router Advertisement). The generator then needs
# --ip-version 6|both --core-address6 $LAB_CORE6_HOST_IP --core-next-hop6 $LAB_CORE6_DP_IP.
LAB_CORE6_DP_IP=2001:db8:ffff::1
LAB_CORE6_HOST_IP=2001:db8:ffff::2
LAB_POOL6=2001:db8:100::/48
lab_enable_ipv6() {
	local f
	for f in "$PEERS_TMP/dp.toml" "$PEERS_TMP/lns.toml"; do
		sed -i -e "s|^addresses = \[\"$LAB_CORE_DP_IP/24\"\]|addresses = [\"$LAB_CORE_DP_IP/24\", \"$LAB_CORE6_DP_IP/64\"]|" "$f"
		grep -q "\"$LAB_CORE6_DP_IP/64\"" "$f" || peers_die "could not add the core port's IPv6 address to $f"
	done
	sed -i -e 's/^enable_ipv6cp = false$/enable_ipv6cp = true/' "$PEERS_TMP/lns.toml"
	grep -q '^enable_ipv6cp = true$' "$PEERS_TMP/lns.toml" || peers_die "could not enable IPv6CP in lns.toml"
	cat >>"$PEERS_TMP/lns.toml" <<EOF2

[[pool]]
name = "lab6"
prefix = "$LAB_POOL6"
assign_length = 64
EOF2
	LNS_CP_BIN=$LAB_CP_BIN lns_check
}

# lab_gen_ipv6_args: the l2tpx-gen options for the IPv6 side of this lab (lab_enable_ipv6).
lab_gen_ipv6_args() {
	printf '%s\n' --core-address6 "$LAB_CORE6_HOST_IP" --core-next-hop6 "$LAB_CORE6_DP_IP"
}

lab_start_lns() {
	LNS_DP_BIN=$LAB_DP_BIN
	LNS_CP_BIN=$LAB_CP_BIN
	lns_start_dataplane "$PEERS_TMP/dp.toml"
	lns_start_controlplane
	PEERS_PIDS+=("$CP_PID")
}

# lab_gen_args: the l2tpx-gen options that describe this lab (ports, addresses, secret).
lab_gen_args() {
	printf '%s\n' --access-port "net_af_packet0,iface=$PEERS_IF_LAC" --lac "$PEERS_LAC_IP" --lns "$PEERS_LNS_IP" \
		--core-port "net_af_packet1,iface=$LAB_IF_CORE" --core-address "$LAB_CORE_HOST_IP" \
		--core-next-hop "$LAB_CORE_DP_IP" --secret "$PEERS_TUNNEL_SECRET" --host-name l2tpx-gen
}

# lab_users GEN SESSIONS: the generator's users (user{n}@lab / pw-{n}) in $PEERS_TMP/users
# and the LNS configuration for them (lab_write_config).
lab_users() {
	"$1" --print-users --sessions "$2" --user 'user{n}@lab' --password 'pw-{n}' >"$PEERS_TMP/users" ||
		peers_die "l2tpx-gen --print-users"
	lab_write_config "$2" "$PEERS_TMP/users"
}

# lab_run_gen GEN SESSIONS OPTION...: runs l2tpx-gen in the generator namespace against the
# lab's LNS as lab_users' users, with the options, its report in $PEERS_TMP/report.json and
# 128 MB of EAL memory; waits up to 100 s for it to exit, prints its summary (gen.out; its
# log is gen.log) and sets GEN_RC to its exit status.
# shellcheck disable=SC2034 # GEN_RC is read by the caller
lab_run_gen() {
	local gen=$1 sessions=$2 args
	shift 2
	mapfile -t args < <(lab_gen_args)
	ip netns exec "$PEERS_NS_LAC" "$gen" "${args[@]}" --sessions "$sessions" --user 'user{n}@lab' --password 'pw-{n}' \
		"$@" --json "$PEERS_TMP/report.json" -- --log-level=lib.eal:warning -m 128 \
		>"$PEERS_TMP/gen.out" 2>"$PEERS_TMP/gen.log" </dev/null &
	LAB_GEN_PID=$!
	PEERS_PIDS+=("$LAB_GEN_PID")
	peers_wait_for 100 "l2tpx-gen to finish" lab_gen_done_
	wait "$LAB_GEN_PID"
	GEN_RC=$?
	LAB_GEN_PID=
	cat "$PEERS_TMP/gen.out"
}
lab_gen_done_() { ! peers_alive "$LAB_GEN_PID"; }
