#!/usr/bin/env bash
# Measurement correctness (docs/generator.md, "Tests"): l2tpx-gen against our LNS with a
# deterministic fault injector on the core link (fault_relay.py: drops every 37th traffic
# frame and swaps every 23rd with the next frame of its stream, in each direction). The
# report must give exactly the injected figures: per direction, lost = frames dropped,
# reordered = swaps, no duplicates. Root only (exit 77 otherwise); cleans up on any exit.
#
# usage: gen_faults.sh L2TPX_GEN L2TPX_DATAPLANE L2TPX_CONTROLPLANE
set -uo pipefail
[ "$(id -u)" = 0 ] || { echo "gen_faults: needs root (namespaces); skipped"; exit 77; }
[ $# -ge 3 ] || { echo "usage: $0 GEN DATAPLANE CONTROLPLANE" >&2; exit 2; }
GEN=$(realpath "$1")
# shellcheck disable=SC2034 # LAB_*_BIN are read by tools/gen/lab_lib.sh
LAB_DP_BIN=$(realpath "$2")
# shellcheck disable=SC2034
LAB_CP_BIN=$(realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)
SESSIONS=8
DROP_EVERY=37
SWAP_EVERY=23
export PEERS_PREFIX=l2tpx-genfault
# shellcheck disable=SC2034 # read by tools/gen/lab_lib.sh
LAB_CORE_RELAY=1
# shellcheck source=../../lab_lib.sh
. "$HERE/../../lab_lib.sh"

lab_init
lab_users "$GEN" "$SESSIONS"

ip netns exec "$PEERS_NS_CORE" /usr/bin/python3 "$HERE/fault_relay.py" "$LAB_IF_RELAY_A" "$LAB_IF_RELAY_B" \
	"$DROP_EVERY" "$SWAP_EVERY" 9000 "$PEERS_TMP/relay.json" >"$PEERS_TMP/relay.log" 2>&1 </dev/null &
RELAY_PID=$!
PEERS_PIDS+=("$RELAY_PID")
_relay_ready() { peers_alive "$RELAY_PID" || peers_die "fault_relay.py exited"; [ -f "$PEERS_TMP/relay.json.ready" ]; }
peers_wait_for 20 "the fault relay" _relay_ready

lab_start_lns

peers_log "l2tpx-gen: $SESSIONS sessions, 2 streams per session and direction, 100 pps each, 3 s"
lab_run_gen "$GEN" "$SESSIONS" --rate 100 --streams-per-session 2 --duration 3s --drain 1s --max-lag 250ms \
	--frame-sizes 64,200 --direction both --quiet --all-streams
# Loss is expected: the run "fails" its (default) checks only if a threshold was set; none is.
[ "$GEN_RC" = 0 ] || [ "$GEN_RC" = 1 ] || { cat "$PEERS_TMP/gen.log" >&2; peers_die "l2tpx-gen exited $GEN_RC"; }
kill -TERM "$RELAY_PID"
_relay_done() { [ -s "$PEERS_TMP/relay.json" ]; }
peers_wait_for 10 "the relay's figures" _relay_done

/usr/bin/python3 - "$PEERS_TMP/report.json" "$PEERS_TMP/relay.json" "$SESSIONS" <<'PY' || peers_die "report and injected faults disagree"
import json, sys
rep = json.load(open(sys.argv[1]))
relay = json.load(open(sys.argv[2]))
sessions = int(sys.argv[3])
print("relay:", json.dumps(relay))
# Upstream reaches the generator's core port through relay a_to_b; downstream leaves it b_to_a.
up, down = rep["directions"]["up"], rep["directions"]["down"]
checks = [
    ("sessions up", rep["sessions"]["up"], sessions),
    ("upstream frames seen by the relay", relay["a_to_b"]["traffic"], up["tx_packets"]),
    ("downstream frames seen by the relay", relay["b_to_a"]["traffic"], down["tx_packets"]),
    ("upstream lost = dropped", up["lost"], relay["a_to_b"]["dropped"]),
    ("downstream lost = dropped", down["lost"], relay["b_to_a"]["dropped"]),
    ("upstream reordered = swapped", up["reordered"], relay["a_to_b"]["swapped"]),
    ("downstream reordered = swapped", down["reordered"], relay["b_to_a"]["swapped"]),
    ("duplicates", rep["totals"]["duplicates"], 0),
    ("frames stranded in the relay", relay["a_to_b"]["stranded"] + relay["b_to_a"]["stranded"], 0),
]
bad = 0
for what, got, want in checks:
    ok = got == want
    bad += not ok
    print("%-40s %8d %s %d" % (what, got, "==" if ok else "!=", want))
if min(relay["a_to_b"]["dropped"], relay["b_to_a"]["dropped"], relay["a_to_b"]["swapped"], relay["b_to_a"]["swapped"]) == 0:
    print("the relay injected nothing in some direction"); bad += 1
sys.exit(1 if bad else 0)
PY
peers_log "PASS"
