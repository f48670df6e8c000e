#!/usr/bin/env bash
# Regenerates tests/data/xl2tpd_l2tpns.pcap: a capture of real peers talking L2TPv2.
#
#   xl2tpd 1.3.18 (LAC) + tests/peers/pppd_standin.py  <-- veth -->  l2tpns 2.4.1 (LNS) + FreeRADIUS
#
# Run as root: sudo tests/peers/capture_xl2tpd_l2tpns.sh [OUTPUT.pcap]
# It creates two network namespaces (l2tpx-cap-PID-lns/-lac), captures UDP 1701 on the
# LAC's veth and removes everything again on exit, failed or not. l2tpns asks for CHAP
# first, then PAP. Three calls, each in its own tunnel:
#   1. "auth":  tunnel authentication (Challenge / Challenge Response AVPs, Random Vector),
#               LCP + CHAP-MD5 + IPCP + IPV6CP (l2tpns has an ipv6_prefix, so it also
#               sends a router advertisement), two pings of the LNS, then the stand-in
#               terminates LCP and xl2tpd sends a CDN (LAC-initiated call teardown); the
#               tunnel stays.
#   2. "badpw": no tunnel authentication; the stand-in Naks CHAP with PAP and sends a wrong
#               password: RADIUS rejects it and l2tpns closes the call with a CDN (it sends
#               no PAP Authenticate-Nak).
#   3. "plain": no tunnel authentication, PAP (after a Nak of CHAP), session up with two
#               pings, then l2tpns is stopped with SIGQUIT: a StopCCN for each of the three
#               tunnels (no CDN first), each acknowledged by a ZLB.
# Set PEERS_KEEP=1 to keep the temp dir with all logs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../data/xl2tpd_l2tpns.pcap}
export PEERS_PREFIX=l2tpx-cap
# shellcheck source=peers_lib.sh source-path=SCRIPTDIR
. "$here/peers_lib.sh"

peers_call_done() { # name: the stand-in has exited (its status no longer says starting/up)
	local st
	st=$(peers_status_field "$1" state) || return 1
	case $st in
	"ipcp-up, "* | down:* | failed:*) return 0 ;;
	esac
	return 1
}

peers_init
peers_start_radius
peers_start_l2tpns "$PEERS_TUNNEL_SECRET"
peers_start_capture "$PEERS_TMP/capture.pcap"
export L2TPX_PPP_PING=2
peers_start_xl2tpd auth:secret:2::any badpw:plain:0:wrong-password:pap plain:plain:0::pap

peers_dial auth
peers_wait_for 30 "call auth to finish" peers_call_done auth
[ "$(peers_status_field auth state)" = "ipcp-up, terminated" ] || peers_die "call auth: $(peers_status_field auth state)"
[ "$(peers_status_field auth echo_replies)" = 2 ] || peers_die "call auth: no echo replies"
sleep 1 # let the CDN's acknowledgement go by

peers_dial badpw
peers_wait_for 30 "call badpw to be refused" peers_call_done badpw
# l2tpns answers a RADIUS reject by closing the call (CDN) without a PAP Authenticate-Nak.
if [ "$(peers_status_field badpw auth_ok)" != False ] || [ "$(peers_status_field badpw lcp_up)" != True ]; then
	peers_die "call badpw: expected LCP up and PAP refused, got: $(peers_status_field badpw state)"
fi
sleep 1

peers_dial plain
peers_wait_for 30 "call plain to reach IPCP" peers_ipcp_up plain
peers_wait_for 10 "call plain's pings" peers_pings_done plain 2

peers_log "stopping l2tpns (SIGQUIT: StopCCN for every tunnel)"
peers_stop_l2tpns
sleep 1
peers_stop_xl2tpd
peers_stop_capture

n=$(tcpdump -r "$PEERS_TMP/capture.pcap" -n 2>/dev/null | wc -l)
[ "$n" -gt 20 ] || peers_die "only $n packets captured"
mkdir -p "$(dirname "$out")"
cp "$PEERS_TMP/capture.pcap" "$out" || peers_die "cannot write $out"
chmod 644 "$out"
peers_log "wrote $out ($n packets)"
