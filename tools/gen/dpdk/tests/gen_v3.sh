#!/usr/bin/env bash
# l2tpx-gen with static L2TPv3 Ethernet pseudowires against l2tpx-dataplane (docs/generator.md,
# "Pseudowires"). No control plane: the dataplane is configured with [[static_tunnel]] /
# [[static_session]] and the generator with the mirror image (config written below).
#
#   gen ns                                    dp ns (DPDK owns both veth ends)
#   access gv3<pid>a ──── veth ──── gv3<pid>A access  (L2TPv3 over IPv4/IPv6)
#   core   gv3<pid>c ──── veth ──── gv3<pid>C attachment (the inner Ethernet frames)
#
# Mode "v4": three pseudowires on one attachment port, by VLAN: 42 L2TPv3/UDP with 4-byte
# cookies, default sublayer and sequencing both ways; 43 L2TPv3/IP without cookie or
# sublayer; 44 L2TPv3/UDP with 8-byte cookies and the sublayer without sequencing.
# Mode "v6": the same over IPv6 (42 UDP, 43 IP) plus 44 over IPv4 in the same run; each
# side resolves the other by ND (and ARP) — no static neighbours.
# Mode "eth": one untagged (whole attachment port) pseudowire over UDP/IPv6 with 8-byte
# cookies and sequencing both ways.
# Mode "mq": mode v4 plus 13 pseudowires, the generator's ports on two queues (qpairs=2,
# rx_queues=2): both RX workers must have measured traffic.
# The generator sends both ways at a modest rate; the run must pass with zero loss and
# its report must equal the dataplane's counters (decap_v3 = upstream frames sent and
# received, encap_v3 = downstream frames sent and received, per session too).
# Root only (exit 77 otherwise); every process, namespace and DPDK file is removed on exit.
#
# usage: gen_v3.sh L2TPX_GEN L2TPX_DATAPLANE [v4|v6|eth|mq] [RATE_PER_STREAM]
set -uo pipefail
[ "$(id -u)" = 0 ] || { echo "gen_v3: needs root (namespaces); skipped"; exit 77; }
[ $# -ge 2 ] || { echo "usage: $0 GEN DATAPLANE [v4|v6|eth|mq] [RATE]" >&2; exit 2; }
GEN=$(realpath "$1")
DP_BIN=$(realpath "$2")
MODE=${3:-v4}
RATE=${4:-50}
case $MODE in v4 | v6 | mq | eth) ;; *) echo "gen_v3: unknown mode $MODE" >&2; exit 2 ;; esac
command -v /usr/bin/python3 >/dev/null || { echo "gen_v3: skipped: no python3"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../../tests/peers/peers_lib.sh source-path=SCRIPTDIR
. "$here/../../../../tests/peers/peers_lib.sh" # peers_log, peers_die, peers_wait_for, peers_alive

T=$$
TMP=$(mktemp -d "/tmp/genv3-$MODE.XXXXXX") || { echo "mktemp failed"; exit 1; }
NS_GEN="genv3-$T-gen"
NS_DP="genv3-$T-dp"
DP_PREFIX="genv3-$T-dp"
IF_GA="gv3${T}a" IF_DA="gv3${T}A" IF_GC="gv3${T}c" IF_DC="gv3${T}C"
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
	for ns in "$NS_GEN" "$NS_DP"; do
		if ip netns list 2>/dev/null | grep -qw "^$ns"; then
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
			ip netns del "$ns" 2>/dev/null
		fi
	done
	rm -f /dev/hugepages/"${DP_PREFIX}"map_* 2>/dev/null
	rm -rf "/var/run/dpdk/$DP_PREFIX" 2>/dev/null
	if [ $rc != 0 ] && [ $rc != 77 ]; then
		for f in "$TMP"/*.log "$TMP"/*.out; do
			[ -f "$f" ] || continue
			echo "----- $(basename "$f") (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	fi
	if [ "${GEN_V3_KEEP:-0}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

telemetry() { # COMMAND: the answer's value as JSON
	/usr/bin/python3 - "/var/run/dpdk/$DP_PREFIX/dpdk_telemetry.v2" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(2)
s.connect(sys.argv[1])
s.recv(16384)
s.send(sys.argv[2].encode())
print(json.dumps(next(iter(json.loads(s.recv(1 << 20).decode()).values()))))
PY
}

for ns in "$NS_GEN" "$NS_DP"; do
	ip netns add "$ns" || peers_die "netns add $ns"
	ip -n "$ns" link set lo up
	# The kernels stay silent on the DPDK links (no RS, no DAD, no answers).
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$IF_GA" netns "$NS_GEN" type veth peer name "$IF_DA" netns "$NS_DP" || peers_die "veth"
ip link add "$IF_GC" netns "$NS_GEN" type veth peer name "$IF_DC" netns "$NS_DP" || peers_die "veth"
link_up() { # NS IF
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$1" link set "$2" up
}
link_up "$NS_GEN" "$IF_GA"
link_up "$NS_GEN" "$IF_GC"
link_up "$NS_DP" "$IF_DA"
link_up "$NS_DP" "$IF_DC"

# The tunnels: IPv4 192.0.2.1 (LNS) / 192.0.2.2 (generator); IPv6 2001:db8:5::1 / ::2.
L4=192.0.2.1 G4=192.0.2.2 L6=2001:db8:5::1 G6=2001:db8:5::2
if [ "$MODE" = v6 ] || [ "$MODE" = eth ]; then
	T1_L=$L6 T1_G=$G6 T2_L=$L6 T2_G=$G6
else
	T1_L=$L4 T1_G=$G4 T2_L=$L4 T2_G=$G4
fi

# The dataplane: tunnels 10 (UDP) and 11 (IP) in the mode's family, 12 (UDP, IPv4).
cat >"$TMP/dp.toml" <<EOF
[dataplane]
worker_lcores = []
eal_args = ["--no-huge", "-m", "256", "--no-pci"]
file_prefix = "$DP_PREFIX"
mbuf_pool_size = 4095
mbuf_cache_size = 64
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
idle_max_sleep_us = 200

[[port]]
name = "wan"
devargs = "net_af_packet0,iface=$IF_DA"
role = "access"
addresses = ["$L4/24", "$L6/64"]

[[port]]
name = "lan"
devargs = "net_af_packet1,iface=$IF_DC"
role = "attachment"

[[static_tunnel]]
tunnel_id = 10
peer_tunnel_id = 20
encap = "udp"
local = "$T1_L"
remote = "$T1_G"

[[static_tunnel]]
tunnel_id = 11
peer_tunnel_id = 21
encap = "ip"
local = "$T2_L"
remote = "$T2_G"

[[static_tunnel]]
tunnel_id = 12
peer_tunnel_id = 22
encap = "udp"
local = "$L4"
remote = "$G4"

EOF

# The generator: the mirror image (its local is the dataplane's remote, IDs and cookies
# swapped).
GEN_ACCESS_DEVARGS="net_af_packet0,iface=$IF_GA"
GEN_CORE_DEVARGS="net_af_packet1,iface=$IF_GC"
GEN_RXQ=1
GEN_LCORES=(-l "0,1")
if [ "$MODE" = mq ]; then
	# Two worker lcores (one per RX queue) on this machine's two CPUs: lcore 2 shares CPU 1.
	# net_af_packet spreads over all its qpairs sockets by flow hash: every queue must be read.
	GEN_ACCESS_DEVARGS+=",qpairs=2"
	GEN_CORE_DEVARGS+=",qpairs=2"
	GEN_RXQ=2
	GEN_LCORES=(--lcores "0@0,1@1,2@1")
fi
cat >"$TMP/gen.toml" <<EOF
[access]
port = "$GEN_ACCESS_DEVARGS"
rx_queues = $GEN_RXQ

[core]
port = "$GEN_CORE_DEVARGS"
rx_queues = $GEN_RXQ

[[static_tunnel]]
tunnel_id = 20
peer_tunnel_id = 10
encap = "udp"
local = "$T1_G"
remote = "$T1_L"

[[static_tunnel]]
tunnel_id = 21
peer_tunnel_id = 11
encap = "ip"
local = "$T2_G"
remote = "$T2_L"

[[static_tunnel]]
tunnel_id = 22
peer_tunnel_id = 12
encap = "udp"
local = "$G4"
remote = "$L4"

[traffic]
rate_per_stream = $RATE
duration = "3s"
drain = "1s"
max_lag = "250ms"
frame_sizes = [64, 128, 512, 1400]
direction = "both"
streams_per_session = 2

[thresholds]
max_loss_percent = 0
EOF

# pw_pair TUNNEL DP_SID GEN_SID DP_COOKIE GEN_COOKIE L2SPEC SEQ VLAN: a session of the
# dataplane (tunnel TUNNEL) and its mirror in the generator (tunnel TUNNEL + 10); cookies
# "-" for none, VLAN 0 for an untagged (whole-port) pseudowire.
DP_SIDS=()
pw_pair() {
	local t=$1 dsid=$2 gsid=$3 dc=$4 gc=$5 l2spec=$6 seq=$7 vlan=$8 pw=eth_vlan
	[ "$vlan" = 0 ] && pw=eth
	{
		printf '\n[[static_session]]\ntunnel_id = %d\nsession_id = %d\npeer_session_id = %d\n' "$t" "$dsid" "$gsid"
		[ "$dc" != - ] && printf 'cookie = "%s"\npeer_cookie = "%s"\n' "$dc" "$gc"
		printf 'l2spec_type = "%s"\nseq = "%s"\npseudowire = "%s"\nattachment_port = "lan"\n' "$l2spec" "$seq" "$pw"
		[ "$vlan" != 0 ] && printf 'vlan = %d\n' "$vlan"
	} >>"$TMP/dp.toml"
	{
		printf '\n[[static_session]]\ntunnel_id = %d\nsession_id = %d\npeer_session_id = %d\n' $((t + 10)) "$gsid" "$dsid"
		[ "$gc" != - ] && printf 'cookie = "%s"\npeer_cookie = "%s"\n' "$gc" "$dc"
		printf 'l2spec_type = "%s"\nseq = "%s"\npseudowire = "%s"\n' "$l2spec" "$seq" "$pw"
		[ "$vlan" != 0 ] && printf 'vlan = %d\n' "$vlan"
	} >>"$TMP/gen.toml"
	DP_SIDS+=("$dsid")
}
if [ "$MODE" = eth ]; then
	# One untagged pseudowire (the whole attachment port), UDP/IPv6, 8-byte cookies, sequencing.
	pw_pair 10 100 200 0x0a0b0c0d0e0f1011 0x0102030405060708 default both 0
else
	pw_pair 10 100 200 0x0a0b0c0d 0x01020304 default both 42
	pw_pair 11 101 201 - - none none 43
	pw_pair 12 102 202 0x1112131415161718 0x2122232425262728 default none 44
fi
if [ "$MODE" = mq ]; then
	# 13 more (VLANs 45..57 in tunnel 10): 16 flows each way for the flow hash that spreads
	# frames over the queues.
	for ((k = 3; k < 16; k++)); do pw_pair 10 $((100 + k)) $((200 + k)) - - none none $((42 + k)); done
fi
PWS=${#DP_SIDS[@]}

ip netns exec "$NS_DP" setsid "$DP_BIN" -c "$TMP/dp.toml" -- --log-level=lib.eal:warning >"$TMP/dp.log" 2>&1 </dev/null &
DP_PID=$!
PIDS+=("$DP_PID")
dp_running() { peers_alive "$DP_PID" || peers_die "l2tpx-dataplane exited: $(tail -5 "$TMP/dp.log")"; grep -q "running" "$TMP/dp.log"; }
peers_wait_for 30 "l2tpx-dataplane to run" dp_running
peers_log "l2tpx-dataplane running; l2tpx-gen: $PWS pseudowires ($MODE), $RATE pps per stream both ways for 3 s"

ip netns exec "$NS_GEN" "$GEN" -c "$TMP/gen.toml" --quiet --all-streams --json "$TMP/report.json" -- \
	--no-huge -m 256 "${GEN_LCORES[@]}" --log-level=lib.eal:warning >"$TMP/gen.out" 2>"$TMP/gen.log" </dev/null &
GEN_PID=$!
PIDS+=("$GEN_PID")
gen_done() { ! peers_alive "$GEN_PID"; }
peers_wait_for 60 "l2tpx-gen to finish" gen_done
wait "$GEN_PID"
GEN_RC=$?
cat "$TMP/gen.out"
if [ "$GEN_RC" != 0 ]; then
	for c in /l2tpx/stats /l2tpx/drops /l2tpx/neighbours; do echo "$c: $(telemetry $c 2>&1)"; done >"$TMP/telemetry.log"
	peers_die "l2tpx-gen exited $GEN_RC"
fi

telemetry /l2tpx/stats >"$TMP/stats.json" || peers_die "telemetry /l2tpx/stats"
telemetry /l2tpx/neighbours >"$TMP/neighbours.json" || peers_die "telemetry /l2tpx/neighbours"
# Session table index = session ID & (capacity - 1): the IDs themselves here.
for sid in "${DP_SIDS[@]:0:3}"; do
	telemetry "/l2tpx/sessions,$sid" || echo '{}'
done >"$TMP/sessions.json"
/usr/bin/python3 - "$TMP/report.json" "$TMP/stats.json" "$TMP/sessions.json" "$MODE" "$(IFS=,; echo "${DP_SIDS[*]}")" <<'PY' ||
import json, sys
rep = json.load(open(sys.argv[1]))
stats = json.load(open(sys.argv[2]))
sessions = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
mode = sys.argv[4]
def stat(name):
    if name in stats:
        return int(stats[name])
    for v in stats.values():
        if isinstance(v, dict) and name in v:
            return int(v[name])
    raise SystemExit("dataplane stats have no %s: %s" % (name, json.dumps(stats)[:400]))
up, down = rep["directions"]["up"], rep["directions"]["down"]
checks = [
    ("pseudowires up", rep["sessions"]["up"], len(sys.argv[5].split(","))),
    ("upstream received", up["rx_packets"], up["tx_packets"]),
    ("downstream received", down["rx_packets"], down["tx_packets"]),
    ("dataplane decap_v3 = upstream sent", stat("decap_v3"), up["tx_packets"]),
    ("dataplane encap_v3 = downstream sent", stat("encap_v3"), down["tx_packets"]),
    ("lost", rep["totals"]["lost"], 0),
    ("NIC refused", rep["ports"]["tx_refused"], 0),
]
# Per pseudowire: the dataplane's session counters against the generator's streams
# (stream "session" = the generator's session ID = the dataplane's peer_session_id).
sent = {}
for s in rep.get("streams", []):
    sent.setdefault((s["session"], s["direction"]), 0)
    sent[(s["session"], s["direction"])] += s["tx_packets"]
by_id = {}
for s in sessions:
    if isinstance(s, dict) and "local_session_id" in s:
        by_id[int(s["local_session_id"])] = s
for dp_sid in map(int, sys.argv[5].split(",")[:3]):
    gen_sid = dp_sid + 100
    s = by_id.get(dp_sid)
    if s is None:
        checks.append(("dataplane session %d present" % dp_sid, 0, 1))
        continue
    if (gen_sid, "up") in sent:
        checks.append(("session %d rx = pw %d upstream sent" % (dp_sid, gen_sid), int(s["rx_packets"]), sent[(gen_sid, "up")]))
        checks.append(("session %d tx = pw %d downstream sent" % (dp_sid, gen_sid), int(s["tx_packets"]), sent[(gen_sid, "down")]))
if mode in ("v6", "eth"):
    neigh = json.load(open(sys.argv[2].replace("stats.json", "neighbours.json")))
    checks.append(("dataplane resolved 2001:db8:5::2 by ND", int(any("2001:db8:5::2 " in n for n in neigh)), 1))
if mode == "mq":
    per = rep["ports"].get("rx_measured_per_worker", [])
    checks.append(("RX workers", len(per), 2))
    checks.append(("RX workers that measured traffic", sum(1 for n in per if n > 0), 2))
bad = 0
for what, got, want in checks:
    ok = got == want
    bad += not ok
    print("%-48s %10d %s %d" % (what, got, "==" if ok else "!=", want))
if up["tx_packets"] == 0 or down["tx_packets"] == 0:
    print("no traffic sent"); bad += 1
if not by_id:
    print("no per-session counters in /l2tpx/sessions: %s" % json.dumps(sessions)[:300]); bad += 1
sys.exit(1 if bad else 0)
PY
	peers_die "report and dataplane counters disagree"
peers_log "PASS"
