#!/usr/bin/env bash
# Interop smoke test (meson suite "interop"): xl2tpd (LAC) with the PPP stand-in dials
# l2tpns (LNS, FreeRADIUS behind it) across two network namespaces, with tunnel
# authentication and CHAP-MD5. Passes when the call reaches IPCP-up and IPV6CP-up on both
# sides (stand-in status file and l2tpns's log), the stand-in's pings of the LNS are
# answered, and l2tpns shuts the tunnel and session down on xl2tpd's StopCCN.
# Exit 77 (skipped) when not root or a peer is not installed. Cleans up on any exit.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "interop_smoke: skipped: needs root for network namespaces"
	exit 77
fi
for c in ip unshare setsid xl2tpd l2tpns freeradius tcpdump /usr/bin/python3 /usr/sbin/pppd; do
	command -v "$c" >/dev/null 2>&1 || { echo "interop_smoke: skipped: $c not installed"; exit 77; }
done

export PEERS_PREFIX=l2tpx-smoke
# shellcheck source=peers_lib.sh source-path=SCRIPTDIR
. "$here/peers_lib.sh"

fail() { peers_die "$*"; }

peers_init
peers_start_radius
peers_start_l2tpns "$PEERS_TUNNEL_SECRET"
export L2TPX_PPP_PING=3
peers_start_xl2tpd smoke:secret:0
peers_dial smoke
peers_wait_for 30 "IPCP up in the stand-in" peers_ipcp_up smoke
peers_wait_for 15 "3 echo replies" peers_pings_done smoke 3

addr=$(peers_status_field smoke local_address)
case $addr in
198.19.0.*) ;;
*) fail "stand-in got address '$addr', not one from l2tpns's pool $PEERS_POOL" ;;
esac
# l2tpns asks for CHAP first (radius_authtypes chap,pap); the stand-in accepts CHAP-MD5.
[ "$(peers_status_field smoke auth_protocol)" = chap-md5 ] || fail "CHAP-MD5 was not negotiated"
[ "$(peers_status_field smoke auth_ok)" = True ] || fail "CHAP not successful"
[ "$(peers_status_field smoke bad_fcs)" = 0 ] || fail "frames with a bad FCS from xl2tpd"
# l2tpns has an ipv6_prefix: it starts IPV6CP, which the stand-in negotiates.
[ "$(peers_status_field smoke ipv6cp_up)" = True ] || fail "IPV6CP did not open"
[ "$(peers_status_field smoke protocol_rejects_sent)" = 0 ] || fail "the stand-in Protocol-Rejected something"

# l2tpns's side (log lines of l2tpns 2.4.1): RADIUS accepted the login, IPCP opened with
# the address the stand-in got.
log="$PEERS_TMP/l2tpns.log"
grep -q "CHAP User $PEERS_USER authentication allowed" "$log" || fail "l2tpns did not log the CHAP/RADIUS login"
grep -q "IPCP: Opened, session is now active" "$log" || fail "l2tpns did not log IPCP Opened"
grep -q "IPV6CP: Opened" "$log" || fail "l2tpns did not log IPV6CP Opened"
grep -q "Login by $PEERS_USER at $addr " "$log" || fail "l2tpns did not log the login at $addr"

# Teardown: SIGINT makes xl2tpd send a StopCCN; l2tpns must shut tunnel and session down.
peers_stop_xl2tpd
peers_wait_for 10 "l2tpns to shut the tunnel down" grep -q "Received StopCCN" "$log"
peers_wait_for 10 "l2tpns to shut the session down" grep -q "Shutting down session 1" "$log"
peers_alive "$PEERS_L2TPNS_PID" || fail "l2tpns died"
peers_log "interop smoke: OK (address $addr, echo replies 3)"
