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
#include <set>
#include <span>
#include <vector>

#include "controlplane/aaa/aaa.hpp"
#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/dataplane_port.hpp"
#include "controlplane/l2tp/endpoint.hpp"
#include "controlplane/ppp/ppp_link.hpp"

namespace l2tpx::cp {

#define L2TPX_CP_CALL_COUNTERS(X)                                                               \
	X(links_started) X(links_up) X(links_finished) X(dp_installs) X(dp_install_failures)          \
	X(dp_removals) X(dp_prepares) X(dp_prepare_failures)

struct call_counters {
#define X(n) uint64_t n = 0;
	L2TPX_CP_CALL_COUNTERS(X)
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
	};
	// LNS: aaa and addresses are required. LAC: both may be null.
	call_manager(timer_service &timers, random_source &rng, config cfg, aaa::authenticator *aaa,
	             aaa::address_allocator *addresses, dataplane_port &dp,
	             std::function<void(const udp_endpoint &, std::span<const uint8_t>)> send);
	~call_manager();

	void receive(const udp_endpoint &from, std::span<const uint8_t> datagram) { ep_->receive(from, datagram); }
	endpoint &l2tp() noexcept { return *ep_; }
	ppp::ppp_link *link(tunnel_id_v2 t, session_id_v2 s);
	// Ends a subscriber's call from the PPP side (LCP Terminate, then CDN).
	bool disconnect(tunnel_id_v2 t, session_id_v2 s);
	size_t link_count() const noexcept { return links_.size(); }
	const call_counters &counters() const noexcept { return counters_; }
	// Optional observers (tests, l2tpxctl).
	std::function<void(session &, ppp::ppp_link &)> on_network_up;
	std::function<void(session_key, ppp::down_reason)> on_link_finished;

private:
	struct call {
		session *s;
		std::unique_ptr<ppp::ppp_link> link;
		bool installed = false;
	};
	void session_answered(session &s);
	void session_up(session &s);
	void session_down(session &s);
	void network_up(session_key key);
	void link_finished(session_key key, ppp::down_reason why);
	void bury(std::unique_ptr<ppp::ppp_link> l);

	timer_service &timers_;
	random_source &rng_;
	config cfg_;
	aaa::authenticator *aaa_;
	aaa::address_allocator *addresses_;
	dataplane_port &dp_;
	std::unique_ptr<endpoint> ep_;
	std::map<session_key, call> links_;
	std::set<session_key> prepared_; // in the dataplane as "control only", not installed yet
	std::vector<std::unique_ptr<ppp::ppp_link>> graveyard_; // finished links, freed off-stack
	timer bury_timer_;
	call_counters counters_;
};

} // namespace l2tpx::cp
