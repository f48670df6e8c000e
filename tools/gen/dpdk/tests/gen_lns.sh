#!/usr/bin/env bash
# l2tpx-gen against our LNS (docs/generator.md, "Tests"): l2tpx-dataplane + l2tpx-controlplane
# on net_af_packet in namespaces, as tools/lab.sh starts them (tools/gen/lab_lib.sh); the
# generator brings up SESSIONS PPP sessions (CHAP, tunnel authentication), sends
# bidirectional traffic at a modest rate and must see zero loss; its report's counts must
# equal the dataplane's counters (decap_v2 = upstream frames sent and received, encap_v2 =
# downstream frames sent and received). Root only (exit 77 otherwise); cleans up on any exit.
#
# usage: gen_lns.sh L2TPX_GEN L2TPX_DATAPLANE L2TPX_CONTROLPLANE [SESSIONS] [RATE_PER_STREAM] [GEN OPTION...]
# (extra options go to l2tpx-gen, e.g. --hide-avps --auth pap --data-seq --flap 1)
set -uo pipefail
[ "$(id -u)" = 0 ] || { echo "gen_lns: needs root (namespaces); skipped"; exit 77; }
[ $# -ge 3 ] || { echo "usage: $0 GEN DATAPLANE CONTROLPLANE [SESSIONS] [RATE]" >&2; exit 2; }
GEN=$(realpath "$1")
# shellcheck disable=SC2034 # LAB_*_BIN are read by tools/gen/lab_lib.sh
LAB_DP_BIN=$(realpath "$2")
# shellcheck disable=SC2034
LAB_CP_BIN=$(realpath "$3")
SESSIONS=${4:-200}
RATE=${5:-20}
shift $(($# < 5 ? $# : 5))
GEN_EXTRA=("$@")
export PEERS_PREFIX=l2tpx-gentest
# shellcheck source=../../lab_lib.sh
. "$(dirname "$0")/../../lab_lib.sh"

lab_init
lab_users "$GEN" "$SESSIONS"
lab_start_lns

peers_log "l2tpx-gen: $SESSIONS sessions, $RATE pps per stream both ways for 3 s ${GEN_EXTRA[*]}"
lab_run_gen "$GEN" "$SESSIONS" --setup-rate 400 --max-outstanding 64 --setup-timeout 60s --rate "$RATE" --duration 3s \
	--drain 1s --max-lag 250ms --frame-sizes 64,128,512 --direction both --max-loss 0 --min-sessions-up "$SESSIONS" \
	--quiet "${GEN_EXTRA[@]}"
[ "$GEN_RC" = 0 ] || { cat "$PEERS_TMP/gen.log" >&2; peers_die "l2tpx-gen exited $GEN_RC"; }

lns_telemetry /l2tpx/stats >"$PEERS_TMP/stats.json"
/usr/bin/python3 - "$PEERS_TMP/report.json" "$PEERS_TMP/stats.json" "$SESSIONS" <<'PY' || peers_die "report and dataplane counters disagree"
import json, sys
rep = json.load(open(sys.argv[1]))
stats = json.load(open(sys.argv[2]))
sessions = int(sys.argv[3])
def stat(name):
    if name in stats:
        return int(stats[name])
    for v in stats.values():  # nested layouts: {"events": {...}}
        if isinstance(v, dict) and name in v:
            return int(v[name])
    raise SystemExit("dataplane stats have no %s: %s" % (name, json.dumps(stats)[:400]))
up, down = rep["directions"]["up"], rep["directions"]["down"]
checks = [
    ("sessions up", rep["sessions"]["up"], sessions),
    ("upstream received", up["rx_packets"], up["tx_packets"]),
    ("downstream received", down["rx_packets"], down["tx_packets"]),
    ("dataplane decap_v2 = upstream sent", stat("decap_v2"), up["tx_packets"]),
    ("dataplane encap_v2 = downstream sent", stat("encap_v2"), down["tx_packets"]),
    ("lost", rep["totals"]["lost"], 0),
    ("NIC refused", rep["ports"]["tx_refused"], 0),
]
bad = 0
for what, got, want in checks:
    ok = got == want
    bad += not ok
    print("%-40s %10d %s %d" % (what, got, "==" if ok else "!=", want))
if up["tx_packets"] == 0 or down["tx_packets"] == 0:
    print("no traffic sent"); bad += 1
sys.exit(1 if bad else 0)
PY
peers_log "PASS"
