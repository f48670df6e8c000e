// The control plane assembled: an L2TP endpoint, one PPP link per established session, and
// the dataplane port. When a call is answered (ICRP) the session is prepared in the
// dataplane (control only: PPP frames reach us, no data passes); when the link's network
// layer comes up it is installed; whichever way a call ends (LCP Terminate, CDN, StopCCN, admin clear, echo
// timeout, tunnel failure) it is removed there and its address goes back to the pool.
//
// The same class serves the LNS (PPP server, AAA, pools) and the LAC side of the traffic
// generator (PPP client with per-call credentials, null or recording dataplane).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "controlplane/aaa/aaa.hpp"
#include "controlplane/aaa/ipv6_pool.hpp"
#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/dataplane_port.hpp"
#include "controlplane/l2tp/endpoint.hpp"
#include "controlplane/nd/router_advertiser.hpp"
#include "controlplane/ppp/ppp_link.hpp"

namespace l2tpx::cp {

// Every counter of call_counters (management output); the IPv6 ND ones live in the base.
#define L2TPX_CP_CALL_COUNTERS(X) L2TPX_CP_CALL_OWN_COUNTERS(X) L2TPX_CP_RA_COUNTERS(X)
#define L2TPX_CP_CALL_OWN_COUNTERS(X)                                                           \
	X(links_started) X(links_up) X(links_finished) X(dp_installs) X(dp_install_failures)          \
	X(dp_removals) X(dp_prepares) X(dp_prepare_failures) X(links_adopted)                        \
	X(ipv6_prefixes_assigned) X(ipv6_no_prefix) X(dp_updates) X(dp_update_failures)

struct call_counters : nd::ra_counters {
#define X(n) uint64_t n = 0;
	L2TPX_CP_CALL_OWN_COUNTERS(X)
#undef X
	uint64_t down[ppp::down_reason_count] = {}; // by ppp::down_reason
};

class call_manager {
public:
	struct config {
		endpoint_config l2tp;
		ppp::ppp_link_config ppp;
		// Optional: PPP settings per call (the generator's user names), else `ppp`.
		std::function<ppp::ppp_link_config(const session &)> ppp_for_call;
		// LNS, IPv6 (SLAAC): one prefix per subscriber whose IPv6CP opens, advertised in
		// Router Advertisements and installed with its session. No pool: IPv6CP may open
		// but no prefix is assigned and no RA sent.
		std::vector<aaa::ipv6_pool> ipv6_pools;
		nd::ra_config ra;
	};
	// LNS: aaa and addresses are required. LAC: both may be null.
	call_manager(timer_service &timers, random_source &rng, config cfg, aaa::authenticator *aaa,
	             aaa::address_allocator *addresses, dataplane_port &dp,
	             std::function<void(const udp_endpoint &, std::span<const uint8_t>)> send);
	~call_manager();

	void receive(const udp_endpoint &from, std::span<const uint8_t> datagram) { ep_->receive(from, datagram); }
	endpoint &l2tp() noexcept { return *ep_; }
	ppp::ppp_link *link(tunnel_id_v2 t, session_id_v2 s);
	// Continues a call of an earlier control plane (restart_policy = "adopt") on a tunnel
	// from endpoint::adopt_tunnel(): the session established, its PPP link as it was
	// (ppp_link::adopt), counted as installed — the dataplane still holds it, the caller
	// tells its dataplane_port. nullptr when the session or the link cannot be adopted
	// (ID in use, address taken): the session is then closed with a CDN and nothing of
	// it is kept here.
	ppp::ppp_link *adopt_call(tunnel &t, session_id_v2 local, session_id_v2 peer, call_params params,
	                          const ppp::link_snapshot &snap);
	// Ends a subscriber's call from the PPP side (LCP Terminate, then CDN).
	bool disconnect(tunnel_id_v2 t, session_id_v2 s);
	size_t link_count() const noexcept { return links_.size(); }
	// The IPv6 prefix assigned to a call (length 0: none).
	nd::ipv6_prefix ipv6_prefix(tunnel_id_v2 t, session_id_v2 s) const;
	const aaa::ipv6_allocator &ipv6_prefixes() const noexcept { return prefixes_; }
	// restart_policy = "adopt": the prefix an adopted call had (recorded by the earlier
	// instance; the dataplane still routes it): claimed from the pools and advertised again,
	// nothing sent to the dataplane. False (nothing changed) unless the call is installed,
	// its IPv6CP Opened, it has no prefix yet and `p` can be claimed.
	bool adopt_ipv6_prefix(tunnel_id_v2 t, session_id_v2 s, const nd::ipv6_prefix &p);
	const call_counters &counters() const noexcept { return counters_; }
	// Optional observers (tests, l2tpxctl).
	std::function<void(session &, ppp::ppp_link &)> on_network_up;
	std::function<void(session_key, ppp::down_reason)> on_link_finished;

private:
	struct call {
		session *s;
		std::unique_ptr<ppp::ppp_link> link;
		bool installed = false;
		std::optional<nd::ipv6_prefix> prefix{};   // assigned while IPv6CP is open
		std::unique_ptr<nd::router_advertiser> ra{}; // created with the prefix
		bool v6_tried = false; // a prefix was asked for since IPv6CP opened
	};
	void session_answered(session &s);
	void session_up(session &s);
	void session_down(session &s);
	void network_up(session_key key);
	void link_finished(session_key key, ppp::down_reason why);
	void bury(std::unique_ptr<ppp::ppp_link> l);
	void ppp_frame(session_key key, std::span<const uint8_t> frame);
	void sync_ipv6(session_key key);
	void ipv6_down(call &c);
	void make_advertiser(session_key key, call &c);
	session_install install_of(const call &c) const;

	timer_service &timers_;
	random_source &rng_;
	config cfg_;
	aaa::authenticator *aaa_;
	aaa::address_allocator *addresses_;
	dataplane_port &dp_;
	aaa::ipv6_allocator prefixes_; // before links_: calls hold prefixes from it
	std::unique_ptr<endpoint> ep_;
	std::map<session_key, call> links_;
	std::set<session_key> prepared_; // in the dataplane as "control only", not installed yet
	std::vector<std::unique_ptr<ppp::ppp_link>> graveyard_; // finished links, freed off-stack
	timer bury_timer_;
	call_counters counters_;
};

} // namespace l2tpx::cp
