#!/usr/bin/env bash
# Interop test (meson suite "interop"): our LAC side against l2tpns, an LNS we did not
# write, with FreeRADIUS behind it for the PPP logins. 100 sessions (2 tunnels x 50, tunnel
# authentication, PPP with CHAP-MD5 as l2tpns asks first, IPCP) must come up with
# addresses from l2tpns's pool, and ICMP echo from every session to a host behind l2tpns
# (LAC -> l2tpns -> tun0 -> core namespace and back) must pass with zero loss at a modest
# rate. Checked from both sides: the LAC's JSON report and l2tpns's log (one RADIUS login
# and one "IPCP: Opened" per session, all with pool addresses), then the teardown.
#
# usage: lac_l2tpns.sh [--lac socket|gen] [LAC-BINARY]
#   --lac socket  l2tpx-lac, the socket LAC (default); LAC-BINARY or $L2TPX_LAC, else
#                 build/tools/gen/lac/l2tpx-lac
#   --lac gen     l2tpx-gen, the DPDK generator; LAC-BINARY or $L2TPX_GEN. It owns the LAC's
#                 veth and the core host's veth (net_af_packet) and sends UDP streams both
#                 ways (up: LAC -> l2tpns -> core, down: core -> l2tpns -> LAC) instead of
#                 ICMP echo; every packet must arrive.
# Environment: L2TPX_LAC_SESSIONS (100), L2TPX_LAC_TUNNELS (2), L2TPX_LAC_RATE (2 per
# session), L2TPX_LAC_DURATION (5 s); PEERS_KEEP=1 keeps the logs.
# Exit 77 (skipped) when not root or a peer or the LAC binary is missing. Cleans up
# (l2tpns, FreeRADIUS, the LAC, namespaces, temp dir) on any exit.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
LAC_KIND=socket
LAC_BIN=
while [ $# -gt 0 ]; do
	case $1 in
	--lac) LAC_KIND=${2:-}; shift 2 || { echo "lac_l2tpns: --lac socket|gen" >&2; exit 2; } ;;
	-h | --help) sed -n '2,19p' "$0"; exit 0 ;;
	*) LAC_BIN=$1; shift ;;
	esac
done
skip() { echo "lac_l2tpns: skipped: $*"; exit 77; }
case $LAC_KIND in
socket) LAC_BIN=${LAC_BIN:-${L2TPX_LAC:-$repo/build/tools/gen/lac/l2tpx-lac}} ;;
gen) LAC_BIN=${LAC_BIN:-${L2TPX_GEN:-}} ;;
*) echo "lac_l2tpns: --lac socket|gen" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for c in ip unshare setsid l2tpns freeradius /usr/bin/python3; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
[ -n "$LAC_BIN" ] && [ -x "$LAC_BIN" ] || skip "no $LAC_KIND LAC binary ('$LAC_BIN')"

SESSIONS=${L2TPX_LAC_SESSIONS:-100}
TUNNELS=${L2TPX_LAC_TUNNELS:-2}
RATE=${L2TPX_LAC_RATE:-2}
DURATION=${L2TPX_LAC_DURATION:-5}

export PEERS_PREFIX=l2tpx-lacl2tpns
# shellcheck source=peers_lib.sh source-path=SCRIPTDIR
. "$here/peers_lib.sh"
fail() { peers_die "$*"; }

peers_init
GEN_PREFIX="l2tpx-lacl2tpns-$$" # l2tpx-gen's DPDK --file-prefix: its runtime dir goes on exit
lac_exit() {
	local rc=$?
	rm -rf "/var/run/dpdk/$GEN_PREFIX" 2>/dev/null
	(exit $rc)
	peers_cleanup
}
trap lac_exit EXIT
peers_start_core

# Subscribers user1@l2tpns … with their own passwords, known to FreeRADIUS.
USER_PATTERN='user{n}@l2tpns'
PASSWORD_PATTERN='pw-{t}-{s}-{n}'
# The same split of sessions over tunnels in both LACs ({t} and {s} depend on it).
SESSION_ARGS=(--sessions "$SESSIONS" --tunnels "$TUNNELS")
[ "$LAC_KIND" = gen ] && SESSION_ARGS+=(--sessions-per-tunnel $(((SESSIONS + TUNNELS - 1) / TUNNELS)))
"$LAC_BIN" "${SESSION_ARGS[@]}" --user "$USER_PATTERN" --password "$PASSWORD_PATTERN" \
	--print-users >"$PEERS_TMP/users" 2>"$PEERS_TMP/print-users.log" || fail "l2tpx-lac --print-users"
[ "$(wc -l <"$PEERS_TMP/users")" = "$SESSIONS" ] || fail "--print-users did not give $SESSIONS users"
export PEERS_RADIUS_USERS="$PEERS_TMP/users"
# No IPv6 prefix: l2tpns then does not start IPV6CP (our LAC negotiates IPv4 only and would
# Protocol-Reject it; that path is covered by the xl2tpd smoke test). l2tpns's LCP echo
# every 5 s: a LAC that did not answer keepalives would lose its sessions in longer runs.
export PEERS_L2TPNS_EXTRA=$'set ipv6_prefix ::\nset echo_timeout 5'
peers_start_radius
peers_start_l2tpns "$PEERS_TUNNEL_SECRET"

# How each LAC runs and what its report must say. `run_lac_KIND` starts the LAC with the
# load above (sessions, tunnel secret, users, echo/traffic to the core host) and waits for
# it; `check_report_KIND` reads its JSON report.
run_lac_socket() {
	# The socket LAC lives in the LAC namespace's kernel: 198.18.0.2 on the veth.
	ip netns exec "$PEERS_NS_LAC" "$LAC_BIN" --lns "$PEERS_LNS_IP" --local "$PEERS_LAC_IP" \
		"${SESSION_ARGS[@]}" --user "$USER_PATTERN" --password "$PASSWORD_PATTERN" \
		--auth any --secret "$PEERS_TUNNEL_SECRET" --host-name l2tpx-lac --json "$PEERS_TMP/lac.json" \
		--target "$PEERS_CORE_IP" --rate "$RATE" --duration "$DURATION" --max-loss 0 \
		--max-outstanding 32 --setup-rate 200 --setup-timeout 60 --reply-wait 2 \
		>"$PEERS_TMP/lac.out" 2>"$PEERS_TMP/lac.log" </dev/null &
	LAC_PID=$!
	PEERS_PIDS+=("$LAC_PID")
	wait "$LAC_PID"
}

check_report_socket() {
	/usr/bin/python3 - "$PEERS_TMP/lac.json" "$SESSIONS" "$RATE" "$DURATION" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n, rate, dur = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s, t = r["sessions"], r["traffic"]
errors = []
if s["up"] != n or s["failed"] != 0:
    errors.append("%d of %d sessions up, failures %s" % (s["up"], n, s["failures"]))
if s["down_during_run"] != 0:
    errors.append("%d sessions went down during the run" % s["down_during_run"])
if not t:
    errors.append("no traffic phase")
else:
    expected = round(n * rate * dur)
    if t["sent"] != expected:
        errors.append("sent %d echo requests, expected %d" % (t["sent"], expected))
    if t["received"] != t["sent"] or t["loss_percent"] != 0:
        errors.append("received %d of %d echo replies" % (t["received"], t["sent"]))
    if t["sessions_without_reply"] != 0:
        errors.append("%d sessions without any reply" % t["sessions_without_reply"])
    print("echo requests %d, replies %d" % (t["sent"], t["received"]))
if not r["pass"]:
    errors.append("verdict: %s" % r["verdict"])
for e in errors:
    print("lac report:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

run_lac_gen() {
	# l2tpx-gen owns two DPDK ports (net_af_packet): the LAC's veth end, and the core host's
	# veth end, moved into the LAC namespace so that one process opens both. The kernel
	# keeps no address on either (it would answer ARP and UDP for the generator).
	ip -n "$PEERS_NS_LAC" addr flush dev "$PEERS_IF_LAC"
	ip -n "$PEERS_NS_CORE" link set "$PEERS_IF_CORE" netns "$PEERS_NS_LAC" || fail "moving the core veth"
	ip -n "$PEERS_NS_LAC" link set "$PEERS_IF_CORE" up
	ip netns exec "$PEERS_NS_LAC" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$PEERS_NS_LAC" "$LAC_BIN" --access-port "net_af_packet0,iface=$PEERS_IF_LAC" \
		--lac "$PEERS_LAC_IP" --lns "$PEERS_LNS_IP" \
		--core-port "net_af_packet1,iface=$PEERS_IF_CORE" --core-address "$PEERS_CORE_IP" \
		--core-next-hop "$PEERS_CORE_GW_IP" "${SESSION_ARGS[@]}" --user "$USER_PATTERN" --password "$PASSWORD_PATTERN" \
		--auth any --secret "$PEERS_TUNNEL_SECRET" --host-name l2tpx-lac \
		--setup-rate 200 --max-outstanding 32 --setup-timeout 60 \
		--rate "$RATE" --duration "$DURATION" --direction both --frame-size 128 \
		--max-loss 0 --min-sessions-up "$SESSIONS" --quiet --json "$PEERS_TMP/lac.json" \
		-- --no-huge -m 256 --file-prefix "$GEN_PREFIX" \
		>"$PEERS_TMP/lac.out" 2>"$PEERS_TMP/lac.log" </dev/null &
	LAC_PID=$!
	PEERS_PIDS+=("$LAC_PID")
	wait "$LAC_PID"
}

check_report_gen() {
	/usr/bin/python3 - "$PEERS_TMP/lac.json" "$SESSIONS" "$RATE" "$DURATION" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n, rate, dur = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
errors = []
if r["sessions"]["up"] != n:
    errors.append("%d of %d sessions up" % (r["sessions"]["up"], n))
t = r["totals"]
# One stream per direction per session at RATE each.
expected = round(2 * n * rate * dur)
if t["tx_packets"] < 0.9 * expected:
    errors.append("sent %d packets, expected about %d" % (t["tx_packets"], expected))
if t["lost"] != 0 or t["loss_percent"] != 0:
    errors.append("lost %d of %d packets" % (t["lost"], t["tx_packets"]))
for d in ("up", "down"):
    if d not in r["directions"] or r["directions"][d]["rx_packets"] == 0:
        errors.append("no traffic received %sstream" % d)
if not r["result"]["pass"]:
    errors.append("result: %s" % r["result"]["reasons"])
print("packets sent %d, received %d" % (t["tx_packets"], t["rx_packets"]))
for e in errors:
    print("gen report:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

peers_log "$LAC_KIND LAC: $SESSIONS sessions over $TUNNELS tunnels, traffic to $PEERS_CORE_IP at $RATE/s per session for $DURATION s"
"run_lac_$LAC_KIND"
lac_rc=$?
cat "$PEERS_TMP/lac.out" >&2
[ -s "$PEERS_TMP/lac.json" ] || fail "the LAC wrote no report (exit $lac_rc)"
# The LAC's view: every session up, every packet back.
traffic_summary=$("check_report_$LAC_KIND") || fail "the LAC's report (above)"
[ "$lac_rc" = 0 ] || fail "the LAC exited with $lac_rc"

# l2tpns's view (log lines of l2tpns 2.4.1): one RADIUS-accepted login and one IPCP open
# per session, every address from the pool and all of them distinct.
log="$PEERS_TMP/l2tpns.log"
logins=$(grep -cE "(CHAP|PAP) User user[0-9]+@l2tpns authentication allowed" "$log")
[ "$logins" = "$SESSIONS" ] || fail "l2tpns logged $logins RADIUS logins, not $SESSIONS"
opened=$(grep -c "IPCP: Opened, session is now active" "$log")
[ "$opened" = "$SESSIONS" ] || fail "l2tpns logged $opened IPCP opens, not $SESSIONS"
grep -oE "Login by user[0-9]+@l2tpns at [0-9.]+ " "$log" | awk '{print $5}' >"$PEERS_TMP/addresses"
[ "$(sort -u "$PEERS_TMP/addresses" | wc -l)" = "$SESSIONS" ] || fail "l2tpns did not log $SESSIONS distinct login addresses"
grep -qvE '^198\.19\.0\.[0-9]+$' "$PEERS_TMP/addresses" && fail "an address outside l2tpns's pool $PEERS_POOL"
# The LAC's teardown (StopCCN per tunnel) reached l2tpns.
peers_wait_for 10 "l2tpns to see both StopCCNs" \
	sh -c "[ \$(grep -c 'Received StopCCN' '$log') -ge $TUNNELS ]"
peers_alive "$PEERS_L2TPNS_PID" || fail "l2tpns died"
peers_log "lac_l2tpns ($LAC_KIND LAC): OK: $SESSIONS sessions up through l2tpns, $traffic_summary, zero loss"
