#include "controlplane/call_manager.hpp"

namespace l2tpx::cp {

namespace rc = ctl::result_codes;

call_manager::call_manager(timer_service &timers, random_source &rng, config cfg, aaa::authenticator *aaa,
                           aaa::address_allocator *addresses, dataplane_port &dp,
                           std::function<void(const udp_endpoint &, std::span<const uint8_t>)> send)
    : timers_(timers), rng_(rng), cfg_(std::move(cfg)), aaa_(aaa), addresses_(addresses), dp_(dp), bury_timer_(timers) {
	cfg_.ppp.server = cfg_.l2tp.local_role == role::lns;
	endpoint_hooks h;
	h.send = std::move(send);
	h.session_answered = [this](session &s) { session_answered(s); };
	h.session_up = [this](session &s) { session_up(s); };
	h.session_down = [this](session &s, const disconnect_cause &) { session_down(s); };
	h.ppp_frame = [this](session &s, std::span<const uint8_t> f) {
		auto it = links_.find(session_key{s.owner().local_id(), s.local_id()});
		if (it != links_.end() && it->second.link)
			it->second.link->receive(f);
	};
	ep_ = std::make_unique<endpoint>(timers, rng, cfg_.l2tp, std::move(h));
}

call_manager::~call_manager() {
	// Links first: their finished hooks must not reach a dead endpoint.
	for (auto &[key, c] : links_)
		if (c.installed)
			dp_.remove_session(key.first, key.second);
	for (const session_key &key : prepared_)
		dp_.remove_session(key.first, key.second);
	prepared_.clear();
	links_.clear();
	graveyard_.clear();
	ep_.reset();
}

ppp::ppp_link *call_manager::link(tunnel_id_v2 t, session_id_v2 s) {
	auto it = links_.find(session_key{t, s});
	return it == links_.end() ? nullptr : it->second.link.get();
}

bool call_manager::disconnect(tunnel_id_v2 t, session_id_v2 s) {
	ppp::ppp_link *l = link(t, s);
	if (!l)
		return false;
	l->close(ppp::down_reason::admin_close);
	return true;
}

void call_manager::session_answered(session &s) {
	const tunnel &t = s.owner();
	session_install si;
	si.local_tunnel = t.local_id();
	si.peer_tunnel = t.peer_id();
	si.local_session = s.local_id();
	si.peer_session = s.peer_id();
	si.local = cfg_.l2tp.local;
	si.peer = t.peer();
	si.sequencing = s.params().sequencing_required;
	if (auto r = dp_.prepare_session(si); !r) {
		// Without the dataplane the subscriber's PPP frames would be dropped: refuse the call.
		++counters_.dp_prepare_failures;
		s.close(rc::cdn_no_facilities_temporary, rc::error_no_resources,
		        std::string("dataplane: ") + std::string(to_string(r.error())));
		return;
	}
	prepared_.insert(session_key{t.local_id(), s.local_id()});
	++counters_.dp_prepares;
}

void call_manager::session_up(session &s) {
	const session_key key{s.owner().local_id(), s.local_id()};
	ppp::ppp_link_config pc = cfg_.ppp_for_call ? cfg_.ppp_for_call(s) : cfg_.ppp;
	pc.server = cfg_.ppp.server;
	ppp::ppp_link::hooks h;
	h.send = [this, key](std::span<const uint8_t> frame) {
		auto it = links_.find(key);
		if (it != links_.end())
			ep_->send_ppp(*it->second.s, frame);
	};
	h.network_up = [this, key](ppp::ppp_link &) { network_up(key); };
	h.finished = [this, key](ppp::ppp_link &, ppp::down_reason why) { link_finished(key, why); };
	auto link = std::make_unique<ppp::ppp_link>(timers_, rng_, pc, aaa_, addresses_, std::move(h));
	ppp::ppp_link &ref = *link;
	links_[key] = call{&s, std::move(link), false};
	++counters_.links_started;
	ref.start(&s.params());
}

void call_manager::network_up(session_key key) {
	auto it = links_.find(key);
	if (it == links_.end())
		return;
	call &c = it->second;
	const ppp::ppp_link &l = *c.link;
	const tunnel &t = c.s->owner();
	session_install si;
	si.local_tunnel = t.local_id();
	si.peer_tunnel = t.peer_id();
	si.local_session = c.s->local_id();
	si.peer_session = c.s->peer_id();
	si.local = cfg_.l2tp.local;
	si.peer = t.peer();
	si.subscriber_ipv4 = cfg_.ppp.server ? l.peer_ipv4() : l.local_ipv4();
	si.subscriber_ipv6_iid = cfg_.ppp.server ? l.peer_iid() : l.local_iid();
	si.local_ipv6_iid = cfg_.ppp.server ? l.local_iid() : l.peer_iid();
	si.mru = l.lcp_layer().peer_mru();
	si.sequencing = c.s->params().sequencing_required;
	si.pfc = l.lcp_layer().peer_pfc();
	si.acfc = l.lcp_layer().peer_acfc();
	if (auto r = dp_.install_session(si); !r) {
		++counters_.dp_install_failures;
		c.link->close(ppp::down_reason::admin_close);
		return;
	}
	c.installed = true;
	prepared_.erase(key);
	++counters_.dp_installs;
	++counters_.links_up;
	if (on_network_up)
		on_network_up(*c.s, *c.link);
}

void call_manager::link_finished(session_key key, ppp::down_reason why) {
	auto it = links_.find(key);
	if (it == links_.end())
		return;
	call c = std::move(it->second);
	links_.erase(it);
	++counters_.links_finished;
	++counters_.down[static_cast<unsigned>(why)];
	const bool prepared = prepared_.erase(key) != 0;
	if (c.installed || prepared) {
		dp_.remove_session(key.first, key.second);
		++counters_.dp_removals;
	}
	// The PPP side ended the call: tell the peer with a CDN (unless L2TP ended it).
	if (why != ppp::down_reason::lower_down && c.s->state() != session_state::closed) {
		const uint16_t result = why == ppp::down_reason::admin_close       ? rc::cdn_admin
		                        : why == ppp::down_reason::peer_terminated ? rc::cdn_lost_carrier
		                                                                   : rc::cdn_general_error;
		c.s->close(result, 0, std::string("PPP: ") + std::string(ppp::to_string(why)));
	}
	if (on_link_finished)
		on_link_finished(key, why);
	bury(std::move(c.link));
}

void call_manager::session_down(session &s) {
	const session_key key{s.owner().local_id(), s.local_id()};
	auto it = links_.find(key);
	if (it == links_.end()) {
		// Answered but never connected (CDN before ICCN, tunnel down, refused by the hook).
		if (prepared_.erase(key)) {
			dp_.remove_session(key.first, key.second);
			++counters_.dp_removals;
		}
		return;
	}
	it->second.link->lower_down(); // → link_finished(lower_down)
}

void call_manager::bury(std::unique_ptr<ppp::ppp_link> l) {
	graveyard_.push_back(std::move(l));
	if (!bury_timer_.running())
		bury_timer_.start(duration::zero(), [this] { graveyard_.clear(); });
}

} // namespace l2tpx::cp
