#include "controlplane/call_manager.hpp"

#include <algorithm>
#include <array>

#include "shared/ppp/frame.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp {

namespace rc = ctl::result_codes;

namespace {
// RA MTU option: what both ends of the PPP link accept (our MRU and the peer's).
uint16_t ra_mtu(const ppp::ppp_link_config &cfg, const ppp::ppp_link &l) {
	return std::min(cfg.lcp.mru, l.lcp_layer().peer_mru());
}
} // namespace

call_manager::call_manager(timer_service &timers, random_source &rng, config cfg, aaa::authenticator *aaa,
                           aaa::address_allocator *addresses, dataplane_port &dp,
                           std::function<void(const udp_endpoint &, std::span<const uint8_t>)> send)
    : timers_(timers), rng_(rng), cfg_(std::move(cfg)), aaa_(aaa), addresses_(addresses), dp_(dp), bury_timer_(timers) {
	cfg_.ppp.server = cfg_.l2tp.local_role == role::lns;
	if (cfg_.ppp.server)
		for (const aaa::ipv6_pool &p : cfg_.ipv6_pools)
			prefixes_.add_pool(p);
	endpoint_hooks h;
	h.send = std::move(send);
	h.session_answered = [this](session &s) { session_answered(s); };
	h.session_up = [this](session &s) { session_up(s); };
	h.session_down = [this](session &s, const disconnect_cause &) { session_down(s); };
	h.ppp_frame = [this](session &s, std::span<const uint8_t> f) {
		ppp_frame(session_key{s.owner().local_id(), s.local_id()}, f);
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
	links_[key] = call{&s, std::move(link), false, {}, {}};
	++counters_.links_started;
	ref.start(&s.params());
}

ppp::ppp_link *call_manager::adopt_call(tunnel &t, session_id_v2 local, session_id_v2 peer, call_params params,
                                        const ppp::link_snapshot &snap) {
	session *s = t.adopt_session(local, peer, std::move(params));
	if (!s)
		return nullptr;
	const session_key key{t.local_id(), local};
	ppp::ppp_link_config pc = cfg_.ppp_for_call ? cfg_.ppp_for_call(*s) : cfg_.ppp;
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
	if (!link->adopt(snap)) {
		s->close(rc::cdn_general_error, 0, "control plane restarted: PPP state not adoptable");
		return nullptr;
	}
	ppp::ppp_link &ref = *link;
	links_[key] = call{s, std::move(link), true, {}, {}};
	++counters_.links_started;
	++counters_.links_up;
	++counters_.links_adopted;
	return &ref;
}

void call_manager::network_up(session_key key) {
	auto it = links_.find(key);
	if (it == links_.end())
		return;
	call &c = it->second;
	const ppp::ppp_link &l = *c.link;
	if (auto r = dp_.install_session(install_of(c)); !r) {
		++counters_.dp_install_failures;
		c.link->close(ppp::down_reason::admin_close);
		return;
	}
	c.installed = true;
	prepared_.erase(key);
	++counters_.dp_installs;
	++counters_.links_up;
	if (c.ra && !c.ra->running()) // IPv6CP opened first: advertise now that data can pass
		c.ra->start(l.local_iid(), *c.prefix, ra_mtu(cfg_.ppp, l));
	if (on_network_up)
		on_network_up(*c.s, *c.link);
}

session_install call_manager::install_of(const call &c) const {
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
	if (c.prefix)
		si.subscriber_ipv6_prefix = *c.prefix;
	si.mru = l.lcp_layer().peer_mru();
	si.sequencing = c.s->params().sequencing_required;
	si.pfc = l.lcp_layer().peer_pfc();
	si.acfc = l.lcp_layer().peer_acfc();
	return si;
}

void call_manager::link_finished(session_key key, ppp::down_reason why) {
	auto it = links_.find(key);
	if (it == links_.end())
		return;
	call c = std::move(it->second);
	links_.erase(it);
	ipv6_down(c);
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

nd::ipv6_prefix call_manager::ipv6_prefix(tunnel_id_v2 t, session_id_v2 s) const {
	auto it = links_.find(session_key{t, s});
	return it != links_.end() && it->second.prefix ? *it->second.prefix : nd::ipv6_prefix{};
}

// PPP frames of an established session: IPv6 here is what the dataplane punts (link-scope
// source or destination: RS, NS); the rest is the link's. After each frame the IPv6 side
// follows IPv6CP: a prefix and RAs while it is Opened, none otherwise.
void call_manager::ppp_frame(session_key key, std::span<const uint8_t> frame) {
	auto it = links_.find(key);
	if (it == links_.end() || !it->second.link)
		return;
	if (auto f = ::l2tpx::ppp::parse_frame(frame); f && f->protocol == ::l2tpx::ppp::proto::ipv6 && cfg_.ppp.server) {
		if (it->second.ra)
			it->second.ra->receive(f->payload);
		else
			++counters_.nd_ignored;
		return;
	}
	it->second.link->receive(frame); // may end the call
	sync_ipv6(key);
}

void call_manager::sync_ipv6(session_key key) {
	auto it = links_.find(key);
	if (it == links_.end() || !cfg_.ppp.server || prefixes_.empty())
		return;
	call &c = it->second;
	const ppp::ppp_link &l = *c.link;
	const bool open = l.ipv6cp_layer().fsm().is_opened();
	if (!open) {
		c.v6_tried = false;
		if (!c.prefix)
			return;
		// IPv6CP left Opened (renegotiation, Terminate): the prefix goes back to the pool
		// and out of the dataplane; a new one comes when IPv6CP opens again.
		ipv6_down(c);
		if (c.installed) {
			if (auto r = dp_.update_session(install_of(c)); r)
				++counters_.dp_updates;
			else
				++counters_.dp_update_failures;
		}
		return;
	}
	if (c.v6_tried)
		return;
	c.v6_tried = true;
	auto p = prefixes_.acquire();
	if (!p) {
		++counters_.ipv6_no_prefix; // IPv6CP stays open; the subscriber has link-local only
		return;
	}
	c.prefix = *p;
	++counters_.ipv6_prefixes_assigned;
	make_advertiser(key, c);
	if (!c.installed)
		return; // network_up installs the prefix with the session, then starts the RAs
	if (auto r = dp_.update_session(install_of(c)); !r) {
		++counters_.dp_update_failures;
		ipv6_down(c);
		return;
	}
	++counters_.dp_updates;
	c.ra->start(l.local_iid(), *c.prefix, ra_mtu(cfg_.ppp, l));
}

bool call_manager::adopt_ipv6_prefix(tunnel_id_v2 t, session_id_v2 s, const nd::ipv6_prefix &p) {
	const session_key key{t, s};
	auto it = links_.find(key);
	if (it == links_.end() || !cfg_.ppp.server)
		return false;
	call &c = it->second;
	if (!c.installed || c.prefix || !c.link->ipv6cp_layer().fsm().is_opened() || !prefixes_.acquire(p))
		return false;
	c.prefix = p;
	c.v6_tried = true;
	++counters_.ipv6_prefixes_assigned;
	make_advertiser(key, c);
	c.ra->start(c.link->local_iid(), p, ra_mtu(cfg_.ppp, *c.link));
	return true;
}

void call_manager::make_advertiser(session_key key, call &c) {
	c.ra = std::make_unique<nd::router_advertiser>(
	        timers_, rng_, cfg_.ra,
	        [this, key](std::span<const uint8_t> packet) {
		        auto i = links_.find(key);
		        if (i == links_.end())
			        return;
		        std::array<uint8_t, 320> buf;
		        const size_t n = ::l2tpx::ppp::build_frame(buf, ::l2tpx::ppp::proto::ipv6, packet);
		        if (n)
			        ep_->send_ppp(*i->second.s, std::span<const uint8_t>(buf.data(), n));
	        },
	        counters_);
}

void call_manager::ipv6_down(call &c) {
	if (c.ra)
		c.ra->stop();
	c.ra.reset();
	if (c.prefix)
		(void)prefixes_.release(*c.prefix);
	c.prefix.reset();
}

void call_manager::bury(std::unique_ptr<ppp::ppp_link> l) {
	graveyard_.push_back(std::move(l));
	if (!bury_timer_.running())
		bury_timer_.start(duration::zero(), [this] { graveyard_.clear(); });
}

} // namespace l2tpx::cp
