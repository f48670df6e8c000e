#include "controlplane/ppp/ppp_link.hpp"

#include <array>
#include <utility>

#include "controlplane/l2tp/session.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::ppp {

namespace proto = codec::proto;

std::string_view to_string(link_phase p) noexcept {
	switch (p) {
#define X(n)                                                                                       \
	case link_phase::n:                                                                        \
		return #n;
		L2TPX_CP_PPP_PHASES(X)
#undef X
	}
	return "unknown";
}

std::string_view to_string(down_reason r) noexcept {
	switch (r) {
#define X(n)                                                                                       \
	case down_reason::n:                                                                       \
		return #n;
		L2TPX_CP_PPP_DOWN_REASONS(X)
#undef X
	}
	return "unknown";
}

namespace {
ipcp_config ipcp_cfg(const ppp_link_config &c) {
	ipcp_config i = c.ipcp;
	i.server = c.server;
	if (!c.server)
		i.local = ipv4_addr{};
	return i;
}
lcp_config lcp_cfg(const ppp_link_config &c) {
	lcp_config l = c.lcp;
	if (!c.server)
		l.require_auth = auth_protocol::none;
	return l;
}
} // namespace

ppp_link::ppp_link(timer_service &timers, random_source &rng, const ppp_link_config &cfg, aaa::authenticator *aaa,
                   aaa::address_allocator *addresses, hooks h)
    : timers_(timers), cfg_(cfg), aaa_(aaa), addresses_(addresses), hooks_(std::move(h)),
      lcp_(timers, rng, cfg.fsm, lcp_cfg(cfg), *this, *this, *this), ipcp_(timers, cfg.fsm, ipcp_cfg(cfg), *this, *this),
      ipv6cp_(timers, rng, cfg.fsm, *this, *this) {
	if (cfg_.server && aaa_)
		auth_server_ = std::make_unique<authenticator_side>(
		        timers, rng, cfg_.auth, *aaa_, static_cast<frame_sink &>(*this),
		        [this](auth_result r, const aaa::auth_accept *a, const std::string &user) {
			        user_ = user;
			        if (r == auth_result::success)
				        authenticated(a);
			        else
				        close(r == auth_result::timeout ? down_reason::auth_timeout : down_reason::auth_failed);
		        });
	if (!cfg_.server) {
		user_ = cfg_.auth.user;
		auth_client_ = std::make_unique<peer_side>(timers, cfg_.auth, static_cast<frame_sink &>(*this), [this](auth_result r) {
			if (r == auth_result::success)
				enter_network();
			else
				close(r == auth_result::timeout ? down_reason::auth_timeout : down_reason::auth_failed);
		});
	}
}

ppp_link::~ppp_link() { release_address(); }

void ppp_link::send_frame(uint16_t protocol, std::span<const uint8_t> info) {
	std::array<uint8_t, 1600> buf;
	const size_t n = codec::build_frame(buf, protocol, info);
	if (protocol == proto::pap || protocol == proto::chap)
		++auth_frames_sent_;
	if (n && hooks_.send)
		hooks_.send(std::span(buf.data(), n));
}

void ppp_link::start(const call_params *proxy) {
	phase_ = link_phase::establish;
	if (proxy && !cfg_.server && start_proxied_client(*proxy))
		return;
	if (proxy && cfg_.server && cfg_.accept_proxy_lcp && !proxy->last_sent_lcp_confreq.empty() &&
	    !proxy->last_received_lcp_confreq.empty()) {
		// Proxy LCP: LCP is Opened without a word; layer_up() ran inside accept_proxy().
		// With proxy auth of the negotiated kind it left authentication to the check
		// here (no Challenge on the wire); otherwise it started authentication.
		const bool proxy_auth = cfg_.accept_proxy_auth && proxy->has_proxy_auth && auth_server_;
		proxy_auth_type_ = proxy_auth ? proxy->proxy_authen_type : 0;
		if (lcp_.accept_proxy(proxy->last_sent_lcp_confreq, proxy->last_received_lcp_confreq)) {
			proxy_used_ = true;
			if (proxy_auth_used_ && phase_ == link_phase::authenticate)
				auth_server_->check_proxy(proxy->proxy_authen_type, proxy->proxy_authen_name,
				                          proxy->proxy_authen_challenge,
				                          static_cast<uint8_t>(proxy->proxy_authen_id),
				                          proxy->proxy_authen_response);
			return;
		}
		proxy_auth_type_ = 0;
	}
	lcp_.fsm().open();
	lcp_.fsm().up();
}

// Client, LAC side of the proxy: the LAC negotiated LCP with the user (and authenticated
// it) and sent that as proxy AVPs in the ICCN. The link starts where the negotiation left
// it: LCP Opened on those options (the user's request is ours, the LAC's the peer's),
// authenticated when proxy authentication was sent, so IPCP/IPv6CP start at once. An LNS
// that does not take the proxy sends an LCP Configure-Request: the Opened FSM then
// renegotiates (tld, scr, sca) and authentication runs for real.
bool ppp_link::start_proxied_client(const call_params &p) {
	if (p.last_sent_lcp_confreq.empty() || p.last_received_lcp_confreq.empty())
		return false;
	proxy_auth_type_ = p.has_proxy_auth ? p.proxy_authen_type : 0;
	// layer_up() runs inside accept_proxy() and reads proxy_auth_type_.
	if (!lcp_.accept_proxy(p.last_received_lcp_confreq, p.last_sent_lcp_confreq)) {
		proxy_auth_type_ = 0;
		return false;
	}
	proxy_used_ = true;
	return true;
}

void ppp_link::receive(std::span<const uint8_t> frame) {
	if (finished_)
		return;
	auto f = codec::parse_frame(frame);
	if (!f) {
		++rx_discarded_;
		return;
	}
	switch (f->protocol) {
	case proto::lcp:
		return lcp_.receive(f->payload);
	case proto::pap:
	case proto::chap:
		if (phase_ != link_phase::authenticate && phase_ != link_phase::network) {
			++rx_discarded_;
			return;
		}
		if (auth_server_)
			auth_server_->receive(f->protocol, f->payload);
		else if (auth_client_)
			auth_client_->receive(f->protocol, f->payload);
		return;
	case proto::ipcp:
	case proto::ipv6cp:
		if (phase_ != link_phase::network) {
			++rx_discarded_; // §3.4: NCP packets before the Network phase are discarded
			return;
		}
		if (f->protocol == proto::ipcp && ipcp_on_)
			return ipcp_.receive(f->payload);
		if (f->protocol == proto::ipv6cp && ipv6cp_on_)
			return ipv6cp_.receive(f->payload);
		return lcp_.reject_protocol(f->protocol, f->payload);
	case proto::ipv4:
	case proto::ipv6:
		++rx_discarded_; // subscriber data is the dataplane's
		return;
	default:
		return lcp_.reject_protocol(f->protocol, f->payload);
	}
}

void ppp_link::layer_up(uint16_t protocol) {
	if (adopting_)
		return;
	if (protocol == proto::lcp) {
		phase_ = link_phase::authenticate;
		if (cfg_.server) {
			const auth_protocol need = lcp_.peer_must_auth();
			const uint16_t proxied = std::exchange(proxy_auth_type_, uint16_t{0});
			if (need == auth_protocol::none || !auth_server_)
				authenticated(nullptr);
			else if ((need == auth_protocol::chap_md5 && proxied == 2) || (need == auth_protocol::pap && proxied == 3))
				proxy_auth_used_ = true; // start() checks the proxied credentials
			else
				auth_server_->start(need);
		} else {
			const auth_protocol need = lcp_.we_must_auth();
			const uint16_t proxied = std::exchange(proxy_auth_type_, uint16_t{0});
			if (need == auth_protocol::none) {
				enter_network();
			} else if ((need == auth_protocol::chap_md5 && proxied == 2) || (need == auth_protocol::pap && proxied == 3)) {
				// Proxy authentication: the LAC proved the user already. An LNS that does
				// not accept it may still challenge (CHAP): answered from the network phase.
				proxy_auth_used_ = true;
				if (need == auth_protocol::chap_md5)
					auth_client_->start(need); // waits for a Challenge, sends nothing
				enter_network();
			} else {
				auth_client_->start(need);
			}
		}
		return;
	}
	if (!net_up_ && (protocol == proto::ipcp || !ipcp_on_)) {
		net_up_ = true;
		if (hooks_.network_up)
			hooks_.network_up(*this);
	}
	if (protocol == proto::ipv6cp && ipv6cp_observer_)
		ipv6cp_observer_();
}

bool ppp_link::adopt(const link_snapshot &s) {
	if (phase_ != link_phase::dead || finished_ || !cfg_.server)
		return false;
	if (!s.peer_ipv4.is_unspecified()) {
		if (!cfg_.enable_ipcp || !addresses_)
			return false;
		auto a = addresses_->acquire(s.peer_ipv4);
		if (!a || *a != s.peer_ipv4) {
			if (a)
				(void)addresses_->release(*a);
			return false;
		}
		held_address_ = *a;
	} else if (!s.ipv6cp_opened) {
		return false; // no network layer to continue
	}
	user_ = s.user;
	adopting_ = true;
	lcp::restored r;
	r.peer_mru = s.peer_mru;
	r.peer_pfc = s.peer_pfc;
	r.peer_acfc = s.peer_acfc;
	r.our_magic = s.our_magic;
	r.peer_magic = s.peer_magic;
	r.peer_must_auth = s.auth;
	r.echo_interval = s.echo_interval;
	r.echo_failures = s.echo_failures;
	lcp_.restore(r);
	phase_ = link_phase::network;
	ipcp_on_ = held_address_.has_value();
	if (ipcp_on_)
		ipcp_.restore(s.peer_ipv4);
	// IPv6CP still negotiating at the restart is not continued: the peer's IPv6CP packets
	// get a Protocol-Reject (its IPv4 is up and stays up).
	ipv6cp_on_ = s.ipv6cp_opened && cfg_.enable_ipv6cp;
	if (ipv6cp_on_)
		ipv6cp_.restore(s.local_iid, s.peer_iid);
	adopting_ = false;
	net_up_ = true;
	return true;
}

link_snapshot ppp_link::snapshot() const {
	link_snapshot s;
	s.user = user_;
	s.peer_mru = lcp_.peer_mru();
	s.peer_pfc = lcp_.peer_pfc();
	s.peer_acfc = lcp_.peer_acfc();
	s.our_magic = lcp_.our_magic();
	s.peer_magic = lcp_.peer_magic();
	s.auth = lcp_.peer_must_auth();
	if (ipcp_on_ && ipcp_.fsm().is_opened())
		s.peer_ipv4 = ipcp_.peer_address();
	s.ipv6cp_opened = ipv6cp_on_ && ipv6cp_.fsm().is_opened();
	if (s.ipv6cp_opened) {
		s.local_iid = ipv6cp_.local_iid();
		s.peer_iid = ipv6cp_.peer_iid();
	}
	s.echo_interval = cfg_.lcp.echo_interval;
	s.echo_failures = cfg_.lcp.echo_failures;
	return s;
}

void ppp_link::authenticated(const aaa::auth_accept *accept) {
	if (cfg_.server && cfg_.enable_ipcp && addresses_) {
		auto a = addresses_->acquire(accept ? accept->fixed_ipv4 : std::nullopt);
		if (a) {
			held_address_ = *a;
			ipcp_.set_peer_address(*a);
		} else if (!cfg_.enable_ipv6cp) {
			close(down_reason::no_address);
			return;
		}
	}
	enter_network();
}

void ppp_link::enter_network() {
	if (phase_ != link_phase::authenticate)
		return;
	phase_ = link_phase::network;
	ipcp_on_ = cfg_.enable_ipcp && (!cfg_.server || held_address_);
	ipv6cp_on_ = cfg_.enable_ipv6cp;
	if (!ipcp_on_ && !ipv6cp_on_) {
		close(down_reason::ncp_failed);
		return;
	}
	if (ipcp_on_) {
		ipcp_.fsm().open();
		ipcp_.fsm().up();
	}
	if (ipv6cp_on_) {
		ipv6cp_.fsm().open();
		ipv6cp_.fsm().up();
	}
}

void ppp_link::layer_down(uint16_t protocol) {
	if (protocol == proto::ipv6cp && ipv6cp_observer_)
		ipv6cp_observer_();
	if (protocol != proto::lcp)
		return;
	// Left Opened for Req-Sent/Ack-Sent: the peer's Configure-Request renegotiates.
	if (const fsm_state st = lcp_.fsm().state(); st == fsm_state::req_sent || st == fsm_state::ack_sent)
		++lcp_renegotiations_;
	// LCP left Opened: the network layers go down with it.
	if (auth_server_)
		auth_server_->stop();
	if (auth_client_)
		auth_client_->stop();
	ipcp_.fsm().down();
	ipv6cp_.fsm().down();
	ipcp_on_ = ipv6cp_on_ = false;
	// Left Opened for Stopping: the peer sent Terminate-Request (or rejected LCP).
	if (!closing_reason_ && lcp_.fsm().state() == fsm_state::stopping)
		closing_reason_ = down_reason::peer_terminated;
	if (phase_ != link_phase::dead)
		phase_ = link_phase::terminate;
}

void ppp_link::layer_finished(uint16_t protocol) {
	if (protocol == proto::lcp) {
		finish(closing_reason_.value_or(down_reason::negotiation_failed));
		return;
	}
	// An NCP gave up. With none left the link is useless.
	if (protocol == proto::ipcp) {
		ipcp_on_ = false;
		// IPCP is done for good (its packets are Protocol-Rejected from now on). Before
		// network_up the address was never installed: it goes back to the pool, and the
		// IPv6-only subscriber has none. After it (IPCP was Opened, then renegotiated and
		// failed) the dataplane still routes it to this call: kept until the link ends.
		if (cfg_.server && held_address_ && !net_up_) {
			release_address();
			ipcp_.set_peer_address(ipv4_addr{});
		}
	}
	if (protocol == proto::ipv6cp)
		ipv6cp_on_ = false;
	const bool any_open = (ipcp_on_ && ipcp_.fsm().state() != fsm_state::stopped) ||
	                      (ipv6cp_on_ && ipv6cp_.fsm().state() != fsm_state::stopped);
	if (!any_open && phase_ == link_phase::network) {
		close(down_reason::ncp_failed);
		return;
	}
	// IPCP gave up (rejected, Max-Failure) while IPv6CP is Opened: an IPv6-only
	// subscriber. layer_up() held network_up back for IPCP; the link is usable now.
	if (protocol == proto::ipcp && !net_up_ && !closing_reason_ && phase_ == link_phase::network && ipv6cp_on_ &&
	    ipv6cp_.fsm().is_opened()) {
		net_up_ = true;
		if (hooks_.network_up)
			hooks_.network_up(*this);
	}
}

void ppp_link::protocol_rejected(uint16_t protocol) {
	if (protocol == proto::ipcp && ipcp_on_)
		ipcp_.fsm().handle(fsm_event::rxj_minus);
	else if (protocol == proto::ipv6cp && ipv6cp_on_)
		ipv6cp_.fsm().handle(fsm_event::rxj_minus);
}

void ppp_link::close(down_reason why) {
	if (finished_ || closing_reason_)
		return;
	closing_reason_ = why;
	phase_ = link_phase::terminate;
	lcp_.fsm().close();
	// Not yet past Starting: nothing to terminate, finished at once.
	if (!finished_ && (lcp_.fsm().state() == fsm_state::initial || lcp_.fsm().state() == fsm_state::closed))
		finish(why);
}

void ppp_link::lower_down() {
	if (finished_)
		return;
	lcp_.fsm().down();
	lcp_.stop_echo();
	// A link already terminating keeps the reason it was terminating for.
	finish(closing_reason_.value_or(down_reason::lower_down));
}

void ppp_link::release_address() {
	if (held_address_ && addresses_)
		(void)addresses_->release(*held_address_);
	held_address_.reset();
}

void ppp_link::finish(down_reason why) {
	if (finished_)
		return;
	finished_ = true;
	phase_ = link_phase::dead;
	if (auth_server_)
		auth_server_->stop();
	if (auth_client_)
		auth_client_->stop();
	release_address();
	if (hooks_.finished)
		hooks_.finished(*this, why); // last: may destroy *this
}

} // namespace l2tpx::cp::ppp
