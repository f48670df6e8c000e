# shellcheck shell=bash
# Shared by the real-peer scripts in tests/peers: two network namespaces joined by a veth
# pair, FreeRADIUS + l2tpns (LNS) in one, xl2tpd (LAC) with the PPP stand-in in the other.
# Source it, set the variables below, call peers_init, then the peers_start_* functions.
# peers_cleanup (installed as an EXIT trap by peers_init) stops every process started here
# by its PID, deletes the namespaces and the temp dir, even after a failure.
#
# shellcheck disable=SC2034 # PEERS_* outputs are read by the scripts that source this file
# Inputs (set before peers_init):
#   PEERS_PREFIX   name prefix of namespaces, veths and the temp dir (e.g. l2tpx-cap)
#   PEERS_KEEP     1: keep the temp dir (logs) after exit
#   PEERS_KEEP_ON_FAILURE  1: keep it only when the run failed
#   PEERS_RADIUS_USERS     optional file of "user password" lines (l2tpx-lac --print-users):
#                  FreeRADIUS accepts them besides the test user
#   PEERS_L2TPNS_EXTRA     optional l2tpns startup-config lines, appended last (a later `set`
#                  overrides an earlier one)
# Outputs: PEERS_TMP (temp dir), PEERS_NS_LNS, PEERS_NS_LAC, PEERS_IF_LNS, PEERS_IF_LAC,
#          PEERS_LNS_IP, PEERS_LAC_IP; after peers_start_core: PEERS_NS_CORE, PEERS_CORE_IP.

PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_STANDIN="$PEERS_DIR/pppd_standin.py"
PEERS_USER=l2tpx-test
PEERS_PASSWORD=l2tpx-pw-1
PEERS_TUNNEL_SECRET=l2tpx-tunnel-secret
PEERS_RADIUS_SECRET=l2tpx-radius-secret
PEERS_LNS_IP=198.18.0.1
PEERS_LAC_IP=198.18.0.2
PEERS_CORE_GW_IP=198.20.0.1 # the LNS namespace's side of the core link (peers_start_core)
PEERS_CORE_IP=198.20.0.2    # a host behind the LNS: ping target, reached through l2tpns's tun
PEERS_POOL=${PEERS_POOL:-198.19.0.0/24} # l2tpns's pool (a larger one for benchmarks)
PEERS_IPV6_PREFIX=2001:db8:198::
PEERS_LNS_AUTHTYPES=${PEERS_LNS_AUTHTYPES:-chap,pap} # l2tpns's radius_authtypes, by preference
PEERS_PIDS=()

peers_log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
peers_die() { peers_log "FAILED: $*"; exit 1; }

peers_need() { # commands...
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || peers_die "missing command: $c"
	done
}

peers_init() {
	[ "$(id -u)" = 0 ] || peers_die "must run as root (network namespaces)"
	peers_need ip unshare setsid mount xl2tpd l2tpns freeradius tcpdump /usr/bin/python3
	# The stand-in is bind-mounted over pppd, so the mount point must exist (package ppp).
	[ -e /usr/sbin/pppd ] || peers_die "missing /usr/sbin/pppd (package ppp), the stand-in's mount point"
	local tag=$$
	PEERS_NS_LNS="${PEERS_PREFIX}-${tag}-lns"
	PEERS_NS_LAC="${PEERS_PREFIX}-${tag}-lac"
	# Interface names: at most 15 characters.
	PEERS_IF_LNS="lxp${tag}n"
	PEERS_IF_LAC="lxp${tag}c"
	PEERS_TMP=$(mktemp -d "/tmp/${PEERS_PREFIX}.XXXXXX") || peers_die "mktemp"
	chmod 755 "$PEERS_TMP"
	trap peers_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	ip netns add "$PEERS_NS_LNS" || peers_die "netns add"
	ip netns add "$PEERS_NS_LAC" || peers_die "netns add"
	# Created inside the namespaces: nothing is ever left behind in the root namespace.
	ip link add "$PEERS_IF_LNS" netns "$PEERS_NS_LNS" type veth peer name "$PEERS_IF_LAC" netns "$PEERS_NS_LAC" ||
		peers_die "veth"
	ip -n "$PEERS_NS_LNS" link set lo up
	ip -n "$PEERS_NS_LAC" link set lo up
	ip -n "$PEERS_NS_LNS" addr add "$PEERS_LNS_IP/24" dev "$PEERS_IF_LNS"
	ip -n "$PEERS_NS_LAC" addr add "$PEERS_LAC_IP/24" dev "$PEERS_IF_LAC"
	# Fixed MACs keep regenerated captures comparable.
	ip -n "$PEERS_NS_LNS" link set "$PEERS_IF_LNS" address 02:00:c6:12:00:01 up
	ip -n "$PEERS_NS_LAC" link set "$PEERS_IF_LAC" address 02:00:c6:12:00:02 up
	# l2tpns's cluster code needs a multicast-capable interface.
	ip -n "$PEERS_NS_LNS" link set lo multicast on
	peers_log "namespaces $PEERS_NS_LNS / $PEERS_NS_LAC, temp dir $PEERS_TMP"
}

peers_cleanup() {
	local rc=$? pid ns i
	# Ignore INT/TERM while cleaning up: a daemon that signals its process group must not
	# cut the clean-up short (every daemon runs under setsid for that reason too).
	trap - EXIT
	trap '' INT TERM
	# Our daemons first (SIGTERM, then SIGKILL), newest first, by the PIDs we recorded.
	for ((i = ${#PEERS_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${PEERS_PIDS[i]}
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		local alive=0
		for pid in "${PEERS_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for pid in "${PEERS_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	# Anything still living in our namespaces (e.g. a stand-in whose xl2tpd died) was
	# started by this script: end it by PID before the namespaces go.
	for ns in "${PEERS_NS_LNS:-}" "${PEERS_NS_LAC:-}" "${PEERS_NS_CORE:-}"; do
		[ -n "$ns" ] || continue
		if ip netns list 2>/dev/null | grep -qw "^$ns"; then
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
			ip netns del "$ns" 2>/dev/null
		fi
	done
	if [ -n "${PEERS_TMP:-}" ] && [ -d "$PEERS_TMP" ]; then
		if [ "${PEERS_KEEP:-0}" = 1 ] || { [ $rc != 0 ] && [ "${PEERS_KEEP_ON_FAILURE:-0}" = 1 ]; }; then
			peers_log "logs kept in $PEERS_TMP"
		else
			if [ $rc != 0 ]; then
				# Show the logs before they go: the only trace of what went wrong.
				for f in "$PEERS_TMP"/*.log "$PEERS_TMP"/*.status; do
					[ -f "$f" ] || continue
					echo "----- $(basename "$f") (last 40 lines)" >&2
					tail -n 40 "$f" >&2
				done
			fi
			rm -rf "$PEERS_TMP"
		fi
	fi
	exit $rc
}

peers_wait_for() { # seconds, description, command...: poll until the command succeeds
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	until "$@"; do
		[ $SECONDS -lt $deadline ] || peers_die "timed out after ${secs}s waiting for $what"
		sleep 0.2
	done
}

peers_alive() { kill -0 "$1" 2>/dev/null; }

# FreeRADIUS with a minimal configuration written from scratch: PAP and CHAP against a users file,
# one client (127.0.0.1), accounting answered. Listens on 127.0.0.1 in the LNS namespace.
peers_start_radius() {
	local d="$PEERS_TMP/raddb"
	mkdir -p "$d/run" "$d/log"
	cat >"$d/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $d/log
raddbdir = $d
radacctdir = $d/log
name = freeradius
confdir = $d
modconfdir = $d
run_dir = $d/run
db_dir = $d
libdir = /usr/lib/freeradius
pidfile = $d/run/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
	destination = files
	file = $PEERS_TMP/radius.log
	auth = yes
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 1
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 2
	max_requests_per_server = 0
}
client localhost {
	ipaddr = 127.0.0.1
	secret = $PEERS_RADIUS_SECRET
	require_message_authenticator = no
}
modules {
	pap {
		normalise = yes
	}
	chap {
	}
	files {
		filename = $d/users
	}
	always ok {
		rcode = ok
	}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = 1812
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = 1813
	}
	authorize {
		files
		chap
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
	}
	preacct {
		ok
	}
	accounting {
		ok
	}
}
EOF
	cat >"$d/users" <<EOF
$PEERS_USER Cleartext-Password := "$PEERS_PASSWORD"
	Service-Type = Framed-User,
	Framed-Protocol = PPP
EOF
	if [ -n "${PEERS_RADIUS_USERS:-}" ]; then
		# "user password" per line, as l2tpx-lac --print-users writes them; lines with quotes
		# or backslashes (which the users syntax would need escaped) are refused.
		awk -v q='"' 'NF == 2 && index($0, q) == 0 && index($0, "\\") == 0 {
			printf "%s Cleartext-Password := %s%s%s\n\tService-Type = Framed-User,\n\tFramed-Protocol = PPP\n", $1, q, $2, q
			next
		}
		NF > 0 { bad = 1 }
		END { exit bad }' "$PEERS_RADIUS_USERS" >>"$d/users" || peers_die "bad line in $PEERS_RADIUS_USERS"
	fi
	# The dictionary lives in /usr/share/freeradius; radiusd.conf may not name it.
	# shellcheck disable=SC2016 # a literal FreeRADIUS directive
	printf '$INCLUDE /usr/share/freeradius/dictionary\n' >"$d/dictionary"
	ip netns exec "$PEERS_NS_LNS" setsid freeradius -f -d "$d" -l "$PEERS_TMP/radius.log" \
		>>"$PEERS_TMP/radius.out.log" 2>&1 &
	PEERS_RADIUS_PID=$!
	PEERS_PIDS+=("$PEERS_RADIUS_PID")
	peers_wait_for 15 "FreeRADIUS to listen" peers_radius_ready
	peers_log "FreeRADIUS up (pid $PEERS_RADIUS_PID)"
}

peers_radius_ready() {
	peers_alive "$PEERS_RADIUS_PID" || peers_die "FreeRADIUS exited (see radius.log)"
	ip netns exec "$PEERS_NS_LNS" ss -Hlun 2>/dev/null | grep -q '127.0.0.1:1812'
}

# l2tpns as LNS, in a private mount namespace with its own /etc/l2tpns.
#   $1: l2tp_secret ("" for none)
peers_start_l2tpns() {
	local secret=$1 d="$PEERS_TMP/l2tpns"
	mkdir -p "$d"
	{
		echo 'set debug 3'
		echo "set log_file \"$PEERS_TMP/l2tpns.log\""
		echo "set pid_file \"$PEERS_TMP/l2tpns.pid\""
		[ -n "$secret" ] && echo "set l2tp_secret \"$secret\""
		echo "set bind_address $PEERS_LNS_IP"
		echo 'set primary_dns 198.19.255.1'
		echo 'set secondary_dns 198.19.255.2'
		echo 'set primary_radius 127.0.0.1'
		echo "set radius_secret \"$PEERS_RADIUS_SECRET\""
		echo 'set radius_accounting no'
		echo "set radius_authtypes \"$PEERS_LNS_AUTHTYPES\""
		echo 'set cli_bind_address 127.0.0.1'
		echo 'set cluster_interface "lo"'
		echo 'set cluster_hb_interval 5'
		echo 'set cluster_hb_timeout 31'
		echo 'set allow_duplicate_users yes'
		echo 'set send_garp no'
		# Keep l2tpns's default LCP restart time (3): it counts whole clock seconds, so with 1
		# it may resend its Configure-Request within milliseconds, and a resend racing the
		# stand-in's Reject/Nak leaves l2tpns 2.4.1 ignoring every later Configure-Ack
		# ("No ACK for LCP ConfigReq... resending" forever).
		echo 'set echo_timeout 10'
		echo 'set random_device "/dev/urandom"'
		# IPv6: l2tpns then starts IPV6CP after IPCP and routes PREFIX::/64 per session.
		echo "set ipv6_prefix $PEERS_IPV6_PREFIX"
		[ -z "${PEERS_L2TPNS_EXTRA:-}" ] || printf '%s\n' "$PEERS_L2TPNS_EXTRA"
	} >"$d/startup-config"
	echo "$PEERS_POOL" >"$d/ip_pool"
	: >"$d/users"
	ip netns exec "$PEERS_NS_LNS" setsid unshare -m --propagation private \
		sh -c "mount --bind '$d' /etc/l2tpns && exec l2tpns -c /etc/l2tpns/startup-config" \
		>>"$PEERS_TMP/l2tpns.out.log" 2>&1 &
	PEERS_L2TPNS_PID=$!
	PEERS_PIDS+=("$PEERS_L2TPNS_PID")
	peers_wait_for 30 "l2tpns to declare itself master" peers_l2tpns_ready
	peers_log "l2tpns master (pid $PEERS_L2TPNS_PID)"
}

peers_l2tpns_ready() {
	peers_alive "$PEERS_L2TPNS_PID" || peers_die "l2tpns exited (see l2tpns.log)"
	grep -q 'I am declaring myself the master' "$PEERS_TMP/l2tpns.log" 2>/dev/null
}

# A third namespace, PREFIX-PID-core, behind the LNS namespace: $PEERS_CORE_IP there,
# $PEERS_CORE_GW_IP on the LNS side, forwarding on in the LNS namespace and a route back to
# l2tpns's pool. Subscriber traffic to $PEERS_CORE_IP then goes LAC -> l2tpns -> tun0 -> the
# LNS namespace's kernel -> core host, and the reply the same way back. Call it after
# peers_init; peers_cleanup deletes the namespace.
peers_start_core() {
	local tag=$$
	PEERS_NS_CORE="${PEERS_PREFIX}-${tag}-core"
	PEERS_IF_CORE_LNS="lxp${tag}g"
	PEERS_IF_CORE="lxp${tag}h"
	ip netns add "$PEERS_NS_CORE" || peers_die "netns add"
	ip link add "$PEERS_IF_CORE_LNS" netns "$PEERS_NS_LNS" type veth peer name "$PEERS_IF_CORE" \
		netns "$PEERS_NS_CORE" || peers_die "veth"
	ip -n "$PEERS_NS_CORE" link set lo up
	ip -n "$PEERS_NS_LNS" addr add "$PEERS_CORE_GW_IP/24" dev "$PEERS_IF_CORE_LNS"
	ip -n "$PEERS_NS_CORE" addr add "$PEERS_CORE_IP/24" dev "$PEERS_IF_CORE"
	ip -n "$PEERS_NS_LNS" link set "$PEERS_IF_CORE_LNS" address 02:00:c6:14:00:01 up
	ip -n "$PEERS_NS_CORE" link set "$PEERS_IF_CORE" address 02:00:c6:14:00:02 up
	ip -n "$PEERS_NS_CORE" route add "$PEERS_POOL" via "$PEERS_CORE_GW_IP" || peers_die "core route"
	ip netns exec "$PEERS_NS_LNS" sysctl -qw net.ipv4.ip_forward=1
	# Every echo is answered: no ICMP rate limit on the core host.
	ip netns exec "$PEERS_NS_CORE" sysctl -qw net.ipv4.icmp_ratelimit=0
	peers_log "core namespace $PEERS_NS_CORE ($PEERS_CORE_IP)"
}

# xl2tpd as LAC with the stand-in bound over /usr/sbin/pppd in a private mount namespace.
#   $@: one LAC section per argument, "NAME:AUTH:HOLD[:PASSWORD[:PPPAUTH]]"
#       AUTH  secret: tunnel authentication (Challenge AVPs) with $PEERS_TUNNEL_SECRET and
#                     "hidden bit" (xl2tpd 1.3.18 then sends a Random Vector AVP; it hides
#                     no AVP unless built with TEST_HIDDEN)
#             plain:  no tunnel authentication
#       HOLD  seconds the stand-in keeps the call up after IPCP (0: until torn down)
#       PASSWORD  PAP password / CHAP secret (default: the test user's right password)
#       PPPAUTH   the stand-in's "auth" setting: any (default), pap or chap
# Each call's stand-in writes $PEERS_TMP/NAME.status and logs to $PEERS_TMP/NAME.ppp.log.
# Other stand-in settings come from the environment (L2TPX_PPP_*), e.g. L2TPX_PPP_PING=3.
peers_start_xl2tpd() {
	local d="$PEERS_TMP/xl2tpd" spec name auth hold password pppauth
	mkdir -p "$d"
	printf '[global]\nport = 1701\nlisten-addr = %s\nauth file = %s/l2tp-secrets\nmax retries = 5\n' \
		"$PEERS_LAC_IP" "$d" >"$d/xl2tpd.conf"
	# "them us secret": the secret for tunnels to the LNS, whatever the host names.
	printf '* * %s\n' "$PEERS_TUNNEL_SECRET" >"$d/l2tp-secrets"
	chmod 600 "$d/l2tp-secrets"
	for spec in "$@"; do
		IFS=: read -r name auth hold password pppauth <<<"$spec"
		{
			echo
			echo "[lac $name]"
			echo "lns = $PEERS_LNS_IP"
			echo "hostname = lac-$name"
			echo "pppoptfile = $d/$name.options"
			if [ "$auth" = secret ]; then
				echo "challenge = yes"
				echo "hidden bit = yes"
			else
				echo "challenge = no"
				echo "hidden bit = no"
			fi
			echo "length bit = yes"
			echo "require authentication = no"
			echo "redial = no"
			echo "tunnel rws = 4"
		} >>"$d/xl2tpd.conf"
		{
			echo "user $PEERS_USER"
			echo "password ${password:-$PEERS_PASSWORD}"
			echo "# l2tpx-standin: status $PEERS_TMP/$name.status"
			echo "# l2tpx-standin: log $PEERS_TMP/$name.ppp.log"
			echo "# l2tpx-standin: hold ${hold:-0}"
			echo "# l2tpx-standin: auth ${pppauth:-any}"
		} >"$d/$name.options"
	done
	# A private, executable copy: the checkout may have lost the exec bit or be noexec.
	install -m 755 "$PEERS_STANDIN" "$d/pppd"
	ip netns exec "$PEERS_NS_LAC" setsid unshare -m --propagation private \
		sh -c "mount --bind '$d/pppd' /usr/sbin/pppd && exec xl2tpd -D -c '$d/xl2tpd.conf' -s '$d/l2tp-secrets' -p '$d/xl2tpd.pid' -C '$d/l2tp-control'" \
		>>"$PEERS_TMP/xl2tpd.log" 2>&1 &
	PEERS_XL2TPD_PID=$!
	PEERS_PIDS+=("$PEERS_XL2TPD_PID")
	PEERS_XL2TPD_CONTROL="$d/l2tp-control"
	peers_wait_for 10 "xl2tpd's control pipe" peers_xl2tpd_ready
	peers_log "xl2tpd up (pid $PEERS_XL2TPD_PID)"
}

peers_xl2tpd_ready() {
	peers_alive "$PEERS_XL2TPD_PID" || peers_die "xl2tpd exited (see xl2tpd.log)"
	[ -p "$PEERS_XL2TPD_CONTROL" ]
}

peers_dial() { # LAC section name
	echo "c $1" >"$PEERS_XL2TPD_CONTROL" || peers_die "cannot write to xl2tpd's control pipe"
	peers_log "dialled $1"
}

peers_status_field() { # name, json key: prints the stand-in's status value
	/usr/bin/python3 -c 'import json,sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2])
except (OSError, ValueError):
    sys.exit(1)
print("" if v is None else v)' "$PEERS_TMP/$1.status" "$2" 2>/dev/null
}

peers_pings_done() { # name, count: the stand-in has seen count echo replies
	[ "$(peers_status_field "$1" echo_replies)" = "$2" ]
}

peers_ipcp_up() { # name: true once IPCP is up; dies when the call already ended without it
	local st
	[ "$(peers_status_field "$1" ipcp_up)" = True ] && return 0
	st=$(peers_status_field "$1" state) || return 1
	case $st in
	down:* | failed:*) peers_die "call $1 ended before IPCP: $st" ;;
	esac
	return 1
}

# Packet capture on the LAC's veth (UDP 1701 only).
peers_start_capture() { # output pcap
	ip netns exec "$PEERS_NS_LAC" setsid tcpdump -i "$PEERS_IF_LAC" -U -s 0 -n -w "$1" 'udp port 1701' \
		>>"$PEERS_TMP/tcpdump.log" 2>&1 &
	PEERS_TCPDUMP_PID=$!
	PEERS_PIDS+=("$PEERS_TCPDUMP_PID")
	peers_wait_for 10 "tcpdump to listen" grep -q 'listening on' "$PEERS_TMP/tcpdump.log"
}

peers_stop_capture() {
	kill -INT "$PEERS_TCPDUMP_PID" 2>/dev/null
	wait "$PEERS_TCPDUMP_PID" 2>/dev/null
	peers_log "capture stopped: $(grep -E 'packets captured' "$PEERS_TMP/tcpdump.log")"
}

peers_stop_xl2tpd() { # SIGINT: xl2tpd sends StopCCN for each tunnel
	kill -INT "$PEERS_XL2TPD_PID" 2>/dev/null
	wait "$PEERS_XL2TPD_PID" 2>/dev/null
}

peers_stop_l2tpns() { # SIGQUIT: l2tpns closes its sessions and tunnels, then exits
	kill -QUIT "$PEERS_L2TPNS_PID" 2>/dev/null
	local i
	for ((i = 0; i < 50; i++)); do
		peers_alive "$PEERS_L2TPNS_PID" || break
		sleep 0.1
	done
}
