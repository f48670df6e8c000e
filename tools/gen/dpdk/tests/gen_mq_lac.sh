#!/usr/bin/env bash
# l2tpx-gen as a LAC with its ports on two RX queues against our LNS (docs/generator.md,
# "Several RX queues"): the lab of tools/gen/lab_lib.sh (l2tpx-dataplane +
# l2tpx-controlplane), the generator's ports as net_af_packet with qpairs=2 and
# rx_queues = 2, three lcores on this machine's two CPUs (two workers, one per queue). The
# sessions come up through the control frames both RX workers pass to the main lcore (one
# multi-producer ring); the traffic must pass with zero loss, its counts must equal the
# dataplane's decap_v2 / encap_v2, and both RX workers must have measured traffic (the
# upstream frames reach the core port with one flow per subscriber address).
# Root only (exit 77 otherwise); cleans up on any exit (lab_lib.sh's EXIT trap).
#
# usage: gen_mq_lac.sh L2TPX_GEN L2TPX_DATAPLANE L2TPX_CONTROLPLANE [SESSIONS] [RATE_PER_STREAM]
set -uo pipefail
[ "$(id -u)" = 0 ] || { echo "gen_mq_lac: needs root (namespaces); skipped"; exit 77; }
[ $# -ge 3 ] || { echo "usage: $0 GEN DATAPLANE CONTROLPLANE [SESSIONS] [RATE]" >&2; exit 2; }
GEN=$(realpath "$1")
# shellcheck disable=SC2034 # LAB_*_BIN are read by tools/gen/lab_lib.sh
LAB_DP_BIN=$(realpath "$2")
# shellcheck disable=SC2034
LAB_CP_BIN=$(realpath "$3")
SESSIONS=${4:-64}
RATE=${5:-20}
export PEERS_PREFIX=genv3-mq
# shellcheck source=../../lab_lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/../../lab_lib.sh"

lab_init
lab_users "$GEN" "$SESSIONS"
lab_start_lns

cat >"$PEERS_TMP/gen.toml" <<EOF
[access]
rx_queues = 2
[core]
rx_queues = 2
[traffic]
rate_per_stream = $RATE
EOF
mapfile -t ARGS < <(lab_gen_args)
peers_log "l2tpx-gen: $SESSIONS sessions, two RX queues per port, $RATE pps per stream both ways for 3 s"
ip netns exec "$PEERS_NS_LAC" "$GEN" -c "$PEERS_TMP/gen.toml" "${ARGS[@]}" \
	--access-port "net_af_packet0,iface=$PEERS_IF_LAC,qpairs=2" --core-port "net_af_packet1,iface=$LAB_IF_CORE,qpairs=2" \
	--sessions "$SESSIONS" --user 'user{n}@lab' --password 'pw-{n}' --setup-rate 400 --max-outstanding 64 \
	--setup-timeout 60s --duration 3s --drain 1s --max-lag 250ms --frame-sizes 64,128,512 --direction both \
	--max-loss 0 --min-sessions-up "$SESSIONS" --quiet --json "$PEERS_TMP/report.json" -- \
	--log-level=lib.eal:warning -m 128 --lcores "0@0,1@1,2@1" \
	>"$PEERS_TMP/gen.out" 2>"$PEERS_TMP/gen.log" </dev/null &
LAB_GEN_PID=$!
PEERS_PIDS+=("$LAB_GEN_PID")
peers_wait_for 100 "l2tpx-gen to finish" lab_gen_done_
wait "$LAB_GEN_PID"
GEN_RC=$?
LAB_GEN_PID=
cat "$PEERS_TMP/gen.out"
[ "$GEN_RC" = 0 ] || { cat "$PEERS_TMP/gen.log" >&2; peers_die "l2tpx-gen exited $GEN_RC"; }

lns_telemetry /l2tpx/stats >"$PEERS_TMP/stats.json"
/usr/bin/python3 - "$PEERS_TMP/report.json" "$PEERS_TMP/stats.json" "$SESSIONS" <<'PY' || peers_die "report and dataplane counters disagree"
import json, sys
rep = json.load(open(sys.argv[1]))
stats = json.load(open(sys.argv[2]))
def stat(name):
    if name in stats:
        return int(stats[name])
    for v in stats.values():
        if isinstance(v, dict) and name in v:
            return int(v[name])
    raise SystemExit("dataplane stats have no %s" % name)
up, down = rep["directions"]["up"], rep["directions"]["down"]
per = rep["ports"].get("rx_measured_per_worker", [])
checks = [
    ("sessions up", rep["sessions"]["up"], int(sys.argv[3])),
    ("upstream received", up["rx_packets"], up["tx_packets"]),
    ("downstream received", down["rx_packets"], down["tx_packets"]),
    ("dataplane decap_v2 = upstream sent", stat("decap_v2"), up["tx_packets"]),
    ("dataplane encap_v2 = downstream sent", stat("encap_v2"), down["tx_packets"]),
    ("lost", rep["totals"]["lost"], 0),
    ("RX workers", len(per), 2),
    ("RX workers that measured traffic", sum(1 for n in per if n > 0), 2),
    ("measured = received", sum(per), up["rx_packets"] + down["rx_packets"]),
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
