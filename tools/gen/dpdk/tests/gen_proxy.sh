#!/usr/bin/env bash
# l2tpx-gen's proxy LCP / proxy authentication, IPv6CP and paced teardown against our LNS
# (docs/generator.md, "Proxy LCP and authentication"): l2tpx-dataplane + l2tpx-controlplane
# in namespaces (tools/gen/lab_lib.sh), SESSIONS calls with proxy AVPs in their ICCNs,
# IPv6CP, traffic both ways, then a teardown at TEARDOWN_RATE calls/s. A capture on the
# generator's access link is decoded by tshark.
#   MODE accept:      the LNS has accept_proxy_lcp/auth = true and IPv6CP on: every call is
#                     up with the proxy taken (the generator's report, the LNS's sessions
#                     say proxy_used), no LCP Configure-Request and no PAP/CHAP on the wire,
#                     IPv6CP interface identifiers on every session; one flap cycle (paced
#                     teardown, re-dial with the proxy again) before the traffic ends.
#   MODE renegotiate: the LNS does not take the proxy: it sends LCP Configure-Requests, the
#                     generator's PPP client renegotiates and authenticates; every call is up.
# Both: every ICCN carries the proxy AVPs; every call is cleared by the paced teardown and
# every tunnel closes cleanly. Root only (exit 77 otherwise); cleans up on any exit.
#
# usage: gen_proxy.sh L2TPX_GEN L2TPX_DATAPLANE L2TPX_CONTROLPLANE MODE [SESSIONS] [AUTH] [TEARDOWN_RATE]
set -uo pipefail
[ "$(id -u)" = 0 ] || { echo "gen_proxy: needs root (namespaces); skipped"; exit 77; }
[ $# -ge 4 ] || { echo "usage: $0 GEN DATAPLANE CONTROLPLANE accept|renegotiate [SESSIONS] [AUTH] [RATE]" >&2; exit 2; }
command -v tshark >/dev/null || { echo "gen_proxy: needs tshark; skipped"; exit 77; }
GEN=$(realpath "$1")
# shellcheck disable=SC2034 # LAB_*_BIN are read by tools/gen/lab_lib.sh
LAB_DP_BIN=$(realpath "$2")
# shellcheck disable=SC2034
LAB_CP_BIN=$(realpath "$3")
MODE=$4
SESSIONS=${5:-100}
AUTH=${6:-chap}
TEARDOWN_RATE=${7:-100}
case "$MODE" in accept | renegotiate) ;; *) echo "MODE: accept or renegotiate" >&2; exit 2 ;; esac
FLAP=0
[ "$MODE" = accept ] && FLAP=1
export PEERS_PREFIX=l2tpx-genppp
# shellcheck source=../../lab_lib.sh
. "$(dirname "$0")/../../lab_lib.sh"

lab_init
lab_users "$GEN" "$SESSIONS"
# The LNS's side of the proxy (docs/controlplane.md): taken or not, and IPv6CP.
if [ "$MODE" = accept ]; then
	sed -i -e 's/^enable_ipv6cp = false$/enable_ipv6cp = true\naccept_proxy_lcp = true\naccept_proxy_auth = true/' \
		"$PEERS_TMP/lns.toml"
	grep -q '^accept_proxy_auth = true$' "$PEERS_TMP/lns.toml" || peers_die "could not enable the proxy in lns.toml"
fi
lab_start_lns
# DPDK's af_packet sends past the kernel's taps: a capture at each end of the access link
# sees what arrives there (LNS → generator at the generator's end, the reverse at the LNS's).
peers_start_capture "$PEERS_TMP/access.pcap"
ip netns exec "$PEERS_NS_LNS" setsid tcpdump -i "$PEERS_IF_LNS" -U -s 0 -n -w "$PEERS_TMP/access_lns.pcap" \
	'udp port 1701' >>"$PEERS_TMP/tcpdump_lns.log" 2>&1 &
CAP_LNS_PID=$!
PEERS_PIDS+=("$CAP_LNS_PID")
peers_wait_for 10 "tcpdump at the LNS's end to listen" grep -q 'listening on' "$PEERS_TMP/tcpdump_lns.log"

# The generator holds the sessions 6 s after its report, while the LNS's sessions are read.
peers_log "l2tpx-gen: $SESSIONS sessions, proxy LCP + $AUTH authentication, IPv6CP, teardown at $TEARDOWN_RATE/s ($MODE)"
mapfile -t GEN_ARGS < <(lab_gen_args)
ip netns exec "$PEERS_NS_LAC" "$GEN" "${GEN_ARGS[@]}" --sessions "$SESSIONS" --user 'user{n}@lab' --password 'pw-{n}' \
	--auth "$AUTH" --proxy-lcp --proxy-auth --ipv6cp --teardown-rate "$TEARDOWN_RATE" --setup-rate 400 \
	--max-outstanding 32 --setup-timeout 60s --rate 20 --duration 2s --drain 1s --max-lag 250ms --frame-sizes 64,512 \
	--max-loss 0 --min-sessions-up "$SESSIONS" --flap "$FLAP" --flap-down 200ms --hold 6s --quiet --json "$PEERS_TMP/report.json" \
	-- --log-level=lib.eal:warning -m 128 >"$PEERS_TMP/gen.out" 2>"$PEERS_TMP/gen.log" </dev/null &
LAB_GEN_PID=$!
PEERS_PIDS+=("$LAB_GEN_PID")
gen_reported_() { grep -q '^proxy:' "$PEERS_TMP/gen.out" || ! peers_alive "$LAB_GEN_PID"; }
peers_wait_for 90 "the generator's report" gen_reported_
peers_alive "$LAB_GEN_PID" || { cat "$PEERS_TMP/gen.out" "$PEERS_TMP/gen.log" >&2; peers_die "l2tpx-gen ended early"; }

# The LNS's view of every session while they are held up.
/usr/bin/python3 - "$PEERS_TMP/cp.sock" "$PEERS_TMP/lns_sessions.json" <<'PY' || peers_die "reading the LNS's sessions"
import json, socket, sys
def ask(cmd, args):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall((json.dumps({"v": 1, "id": 1, "cmd": cmd, "args": args}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            break
        buf += c
    s.close()
    r = json.loads(buf)
    if not r.get("ok"):
        raise SystemExit("mgmt %s: %s" % (cmd, r.get("error")))
    return r["result"]
t = ask("show sessions", {})
keys = [c["key"] if isinstance(c, dict) else c for c in t["columns"]]
out = []
for row in t["rows"]:
    r = dict(zip(keys, row))
    out.append(ask("show session", {"tunnel": r["tunnel"], "id": r["id"]}))
json.dump(out, open(sys.argv[2], "w"))
PY

peers_wait_for 60 "l2tpx-gen to finish" lab_gen_done_
wait "$LAB_GEN_PID"
GEN_RC=$?
LAB_GEN_PID=
peers_stop_capture
kill -INT "$CAP_LNS_PID" 2>/dev/null
wait "$CAP_LNS_PID" 2>/dev/null
cat "$PEERS_TMP/gen.out"
[ "$GEN_RC" = 0 ] || { cat "$PEERS_TMP/gen.log" >&2; peers_die "l2tpx-gen exited $GEN_RC"; }

# GEN_PROXY_KEEP=DIR keeps the captures for a look at them.
[ -z "${GEN_PROXY_KEEP:-}" ] || cp "$PEERS_TMP/access.pcap" "$PEERS_TMP/access_lns.pcap" "$GEN_PROXY_KEEP"
count() { # display filter: frames in both access captures
	local f n=0
	for f in "$PEERS_TMP/access.pcap" "$PEERS_TMP/access_lns.pcap"; do
		n=$((n + $(tshark -r "$f" -Y "$1" 2>/dev/null | wc -l)))
	done
	echo "$n"
}
LCP_CONFREQ=$(count 'lcp && ppp.code == 1')
AUTH_FRAMES=$(count 'chap || pap')
# ICCN with Last Sent LCP CONFREQ (27) and Proxy Authen Response (33).
ICCN_PROXY=$(count 'l2tp.avp.message_type == 12 && l2tp.avp.type == 27 && l2tp.avp.type == 33')
IPV6CP_ACKS=$(count 'ipv6cp && ppp.code == 2')
peers_log "capture: $LCP_CONFREQ LCP Configure-Requests, $AUTH_FRAMES PAP/CHAP frames, $ICCN_PROXY ICCNs with proxy AVPs, $IPV6CP_ACKS IPv6CP Configure-Acks"

/usr/bin/python3 - "$PEERS_TMP/report.json" "$PEERS_TMP/lns_sessions.json" "$SESSIONS" "$MODE" \
	"$LCP_CONFREQ" "$AUTH_FRAMES" "$ICCN_PROXY" "$IPV6CP_ACKS" "$FLAP" <<'PY' || peers_die "proxy / IPv6CP / teardown checks"
import json, sys
rep = json.load(open(sys.argv[1]))
lns = json.load(open(sys.argv[2]))
n, mode = int(sys.argv[3]), sys.argv[4]
confreq, auth_frames, iccn_proxy, v6acks, flap = map(int, sys.argv[5:10])
setups = n * (1 + flap)  # every flap cycle sets every call up again
setup, proxy, td = rep["setup"], rep["setup"]["proxy"], rep["teardown"]
lns_proxy = sum(1 for s in lns if s.get("ppp") and s["ppp"].get("proxy_used"))
lns_iid = sum(1 for s in lns if s.get("ppp") and s["ppp"].get("peer_iid"))
accept = mode == "accept"
checks = [
    ("sessions up", rep["sessions"]["up"], n),
    ("ICCNs with proxy AVPs on the wire", iccn_proxy, setups),
    ("generator: proxy setups", proxy["setups"], setups),
    ("generator: LCP taken by the LNS", proxy["lcp_taken"], setups if accept else 0),
    ("generator: LCP renegotiated", proxy["lcp_renegotiated"], 0 if accept else setups),
    ("generator: authentication taken", proxy["auth_taken"], setups if accept else 0),
    ("generator: authentication redone", proxy["auth_redone"], 0 if accept else setups),
    ("flap cycles", setup.get("flap_cycles", 0), flap),
    ("flap: teardown failures", setup.get("flap_teardown_failed", 0), 0),
    ("LNS sessions", len(lns), n),
    ("LNS sessions with proxy_used", lns_proxy, n if accept else 0),
    ("generator: IPv6CP opened", setup["ipv6cp"]["opened"], n if accept else 0),
    ("LNS sessions with an interface identifier", lns_iid, n if accept else 0),
    ("teardown: calls cleared", td["cleared"], n),
    ("teardown: failed", td["failed"], 0),
    ("tunnels closed cleanly", setup["tunnels_closed_clean"], setup["tunnels_opened"]),
    ("lost", rep["totals"]["lost"], 0),
]
if accept:
    checks += [("LCP Configure-Requests on the wire", confreq, 0), ("PAP/CHAP frames on the wire", auth_frames, 0),
               ("IPv6CP Configure-Acks on the wire", v6acks, 2 * setups)]
bad = 0
for what, got, want in checks:
    ok = got == want
    bad += not ok
    print("%-45s %8d %s %d" % (what, got, "==" if ok else "!=", want))
if not accept:
    # The LNS asked each call for LCP; each client answered with its own request.
    for what, got, least in [("LCP Configure-Requests on the wire", confreq, 2 * setups),
                             ("PAP/CHAP frames on the wire", auth_frames, 2 * setups)]:
        ok = got >= least
        bad += not ok
        print("%-45s %8d %s %d" % (what, got, ">=" if ok else "<", least))
# Paced: n calls at the rate take at least (n - 1) / rate seconds (a lower bound the pacing
# guarantees however slow the machine, so no flakiness).
rate, least = td["rate"], (n - 1) / td["rate"] * 0.95
for what, got in [("teardown seconds", td["seconds"]), ("flap teardown seconds", setup.get("flap_teardown_s"))]:
    if got is None:
        continue
    ok = got >= least * max(flap, 1) if what.startswith("flap") else got >= least
    bad += not ok
    print("%-45s %8.3f %s %.3f" % (what, got, ">=" if ok else "<", least))
sys.exit(1 if bad else 0)
PY
peers_log "PASS"
