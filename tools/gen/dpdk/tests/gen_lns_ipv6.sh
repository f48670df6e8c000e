#!/usr/bin/env bash
# l2tpx-gen with IPv6 subscribers against our LNS (docs/generator.md, "IPv6 streams"): the
# lab of tools/gen/lab_lib.sh (l2tpx-dataplane + l2tpx-controlplane in namespaces) with
# IPv6CP on, an IPv6 [[pool]] (a /64 per subscriber, announced by Router Advertisement)
# and an IPv6 address on the dataplane's core port:
#
#   generator access ── L2TPv2/PPP ── LNS ── core0 2001:db8:ffff::1/64 ── generator core 2001:db8:ffff::2
#   subscriber n: 100.64.0.x and 2001:db8:100:N::<IPv6CP interface identifier> (SLAAC)
#
# Every session opens IPv6CP, sends a Router Solicitation (the LNS must count each one)
# and forms its address from a Router Advertisement; the
# generator then sends IPv4 and IPv6 streams both ways (traffic.ip_version = "both"; the
# core side answers ND for its address and resolves the dataplane's). It must see zero
# loss in each family and direction, every session with an address, and its counts must
# equal the dataplane's (decap_v2 = upstream sent, encap_v2 = downstream sent, both
# families together; the RS/RA are punted/injected, not counted there) and the control
# plane's (one prefix per session). Root only (exit 77 otherwise); everything (processes,
# namespaces, hugepage files) is removed on any exit by lab_lib.sh's EXIT trap.
#
# With IP_VERSION 6 the streams are IPv6 only (the sessions still run IPCP).
#
# usage: gen_lns_ipv6.sh L2TPX_GEN L2TPX_DATAPLANE L2TPX_CONTROLPLANE [SESSIONS] [RATE_PER_STREAM] [IP_VERSION]
#                        [GEN OPTION...]   (IP_VERSION: both (default) or 6; options e.g. --data-seq)
set -uo pipefail
[ "$(id -u)" = 0 ] || { echo "gen_lns_ipv6: needs root (namespaces); skipped"; exit 77; }
[ $# -ge 3 ] || { echo "usage: $0 GEN DATAPLANE CONTROLPLANE [SESSIONS] [RATE]" >&2; exit 2; }
GEN=$(realpath "$1")
# shellcheck disable=SC2034 # LAB_*_BIN are read by tools/gen/lab_lib.sh
LAB_DP_BIN=$(realpath "$2")
# shellcheck disable=SC2034
LAB_CP_BIN=$(realpath "$3")
SESSIONS=${4:-200}
RATE=${5:-20}
IP_VERSION=${6:-both}
shift $(($# < 6 ? $# : 6))
case $IP_VERSION in both | 6) ;; *) echo "IP_VERSION: both or 6" >&2; exit 2 ;; esac
GEN_EXTRA=("$@")
export PEERS_PREFIX=genv6-lns
# shellcheck source=../../lab_lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/../../lab_lib.sh"

lab_init
lab_users "$GEN" "$SESSIONS"
lab_enable_ipv6 # the core port's IPv6 address, IPv6CP, an IPv6 [[pool]] of /64s
lab_start_lns
mapfile -t V6_ARGS < <(lab_gen_ipv6_args)

peers_log "l2tpx-gen: $SESSIONS sessions, streams (ip_version $IP_VERSION) at $RATE pps each, both ways for 3 s ${GEN_EXTRA[*]}"
lab_run_gen "$GEN" "$SESSIONS" --setup-rate 400 --max-outstanding 64 --setup-timeout 60s --rate "$RATE" --duration 3s \
	--drain 1s --max-lag 250ms --frame-sizes 96,128,512 --direction both --ip-version "$IP_VERSION" \
	"${V6_ARGS[@]}" --max-loss 0 --min-sessions-up "$SESSIONS" \
	--quiet "${GEN_EXTRA[@]}"
if [ "$GEN_RC" != 0 ]; then
	cat "$PEERS_TMP/gen.log" >&2
	lns_telemetry /l2tpx/stats /l2tpx/drops >&2
	peers_die "l2tpx-gen exited $GEN_RC"
fi

lns_telemetry /l2tpx/stats >"$PEERS_TMP/stats.json"
lns_telemetry /l2tpx/drops >"$PEERS_TMP/drops.json"
lns_mgmt "show stats" >"$PEERS_TMP/cp_stats.json" || peers_die "l2tpxctl show stats"
/usr/bin/python3 - "$PEERS_TMP/report.json" "$PEERS_TMP/stats.json" "$PEERS_TMP/cp_stats.json" "$SESSIONS" "$IP_VERSION" <<'PY' ||
import json, sys
rep = json.load(open(sys.argv[1]))
stats = json.load(open(sys.argv[2]))
calls = json.load(open(sys.argv[3]))["calls"]
sessions = int(sys.argv[4])
families = ["ipv4", "ipv6"] if sys.argv[5] == "both" else ["ipv6"]
def stat(name):
    if name in stats:
        return int(stats[name])
    for v in stats.values():  # nested layouts: {"events": {...}}
        if isinstance(v, dict) and name in v:
            return int(v[name])
    raise SystemExit("dataplane stats have no %s: %s" % (name, json.dumps(stats)[:400]))
up, down = rep["directions"]["up"], rep["directions"]["down"]
fam = rep["families"]
v6 = rep["setup"]["ipv6"]
checks = [
    ("sessions up", rep["sessions"]["up"], sessions),
    ("IPv6 addresses formed from an RA", v6["addresses"], sessions),
    ("RAs failing validation", v6["ra_invalid"], 0),
    ("control plane: prefixes assigned", calls["ipv6_prefixes_assigned"], sessions),
    ("RS sent (one per session)", v6["rs_sent"], sessions),
    ("control plane: RS received = sent", calls["rs_received"], v6["rs_sent"]),
    ("control plane: invalid ND", calls["nd_invalid"], 0),
    ("upstream received", up["rx_packets"], up["tx_packets"]),
    ("downstream received", down["rx_packets"], down["tx_packets"]),
    ("dataplane decap_v2 = upstream sent", stat("decap_v2"), up["tx_packets"]),
    ("dataplane encap_v2 = downstream sent", stat("encap_v2"), down["tx_packets"]),
    ("families reported", len(fam), len(families)),
    ("up = sum of the families' up", up["tx_packets"], sum(fam[f]["directions"]["up"]["tx_packets"] for f in families)),
    ("down = sum of the families' down", down["tx_packets"],
     sum(fam[f]["directions"]["down"]["tx_packets"] for f in families)),
    ("dataplane seq_gap (data Ns skipped)", stat("seq_gap"), 0),
    ("lost", rep["totals"]["lost"], 0),
    ("NIC refused", rep["ports"]["tx_refused"], 0),
]
streams_per_session = rep["totals"]["streams"] // (sessions * len(families) * 2)
for f in families:
    for d in ("up", "down"):
        x = fam[f]["directions"][d]
        checks.append(("%s %s received" % (f, d), x["rx_packets"], x["tx_packets"]))
        checks.append(("%s %s streams" % (f, d), x["streams"], sessions * streams_per_session))
bad = 0
for what, got, want in checks:
    ok = got == want
    bad += not ok
    print("%-40s %10d %s %d" % (what, got, "==" if ok else "!=", want))
if streams_per_session == 0:
    print("no streams"); bad += 1
for f in families:
    for d in ("up", "down"):
        if fam[f]["directions"][d]["tx_packets"] == 0:
            print("no %s %s traffic sent" % (f, d)); bad += 1
sys.exit(1 if bad else 0)
PY
	{ cat "$PEERS_TMP/drops.json" "$PEERS_TMP/cp_stats.json" >&2; peers_die "report, dataplane and control-plane counters disagree"; }
peers_log "PASS"
