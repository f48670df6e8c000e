#include "controlplane/l2tp/endpoint.hpp"

#include <algorithm>

#include "shared/control/avp.hpp"

namespace l2tpx::cp {

namespace rc = ctl::result_codes;

namespace {

bool same_address(const udp_endpoint &a, const udp_endpoint &b) { return a.v6 == b.v6 && a.addr == b.addr; }

// What admission needs from an SCCRQ before a tunnel exists. Read from the unhidden AVPs;
// the tunnel decodes the message fully (and answers errors) once it is admitted.
struct sccrq_peek {
	bool is_sccrq = false;
	uint16_t assigned_tunnel = 0;
	std::optional<uint64_t> tie_breaker;
};

sccrq_peek peek_sccrq(std::span<const uint8_t> body) {
	sccrq_peek p;
	ctl::avp_reader r(body);
	bool first = true;
	while (!r.done()) {
		auto a = r.next();
		if (!a)
			break;
		if (a->vendor != 0 || a->hidden)
			continue;
		if (first) {
			first = false;
			if (a->type != 0 || a->value.size() != 2 || load_be16(a->value.data()) != 1)
				return p;
			p.is_sccrq = true;
		} else if (a->type == static_cast<uint16_t>(ctl::avp_type::assigned_tunnel_id) && a->value.size() == 2) {
			p.assigned_tunnel = load_be16(a->value.data());
		} else if (a->type == static_cast<uint16_t>(ctl::avp_type::tie_breaker) && a->value.size() == 8) {
			p.tie_breaker = load_be64(a->value.data());
		}
	}
	return p;
}

} // namespace

endpoint::endpoint(timer_service &timers, random_source &rng, endpoint_config cfg, endpoint_hooks hooks)
    : timers_(timers), rng_(rng), cfg_(std::move(cfg)), hooks_(std::move(hooks)), reap_timer_(timers) {}

endpoint::~endpoint() {
	// Tunnels' hooks must not run into a half-destroyed endpoint.
	hooks_ = {};
	tunnels_.clear();
}

tunnel *endpoint::find_tunnel(tunnel_id_v2 id) {
	auto it = tunnels_.find(id);
	return it == tunnels_.end() ? nullptr : it->second.get();
}

size_t endpoint::half_open_count() const noexcept {
	size_t n = 0;
	for (const auto &[id, t] : tunnels_)
		n += t->half_open();
	return n;
}

tunnel_id_v2 endpoint::new_tunnel_id() {
	if (tunnels_.size() >= 65535)
		return tunnel_id_v2{0};
	for (;;) {
		const auto v = rng_.next<uint16_t>();
		if (v != 0 && !tunnels_.contains(tunnel_id_v2{v}))
			return tunnel_id_v2{v};
	}
}

session_id_v2 endpoint::new_session_id(tunnel &t) {
	if (t.session_count() >= 65535)
		return session_id_v2{0};
	// Past this many tries the table is nearly full: take a unique ID and let the
	// dataplane refuse it (index_busy), which ends the call with a logged reason.
	constexpr unsigned slot_tries = 1024;
	for (unsigned tries = 0;; tries++) {
		const session_id_v2 v{rng_.next<uint16_t>()};
		if (v.value == 0 || t.find_session(v))
			continue;
		if (session_index_mask_ == 0 || tries >= slot_tries || session_slot_free(t.local_id(), v))
			return v;
	}
}

bool endpoint::session_slot_free(tunnel_id_v2 tid, session_id_v2 sid) {
	const uint32_t tunnel_bits = session_index_mask_ >> 16;
	const uint32_t session_bits = session_index_mask_ & 0xffff;
	bool free = true;
	for (auto &[id, u] : tunnels_) {
		if (((id.value ^ tid.value) & tunnel_bits) != 0)
			continue; // a different slot range
		if (session_bits == 0xffff) {
			if (u->find_session(sid))
				return false;
			continue;
		}
		u->for_each_session([&](session &s) {
			if (((s.local_id().value ^ sid.value) & session_bits) == 0)
				free = false;
		});
		if (!free)
			return false;
	}
	return true;
}

void endpoint::tunnel_dead(tunnel &) {
	if (!reap_timer_.running())
		reap_timer_.start(duration::zero(), [this] { reap(); });
}

void endpoint::reap() {
	for (auto it = tunnels_.begin(); it != tunnels_.end();) {
		if (it->second->state() == tunnel_state::dead) {
			it = tunnels_.erase(it);
		} else {
			it->second->reap_sessions();
			++it;
		}
	}
}

result<tunnel *, open_error> endpoint::open_tunnel(const udp_endpoint &peer, std::string secret) {
	size_t per_peer = 0;
	for (const auto &[id, t] : tunnels_)
		per_peer += same_address(t->peer(), peer);
	if (tunnels_.size() >= cfg_.limits.max_tunnels || per_peer >= cfg_.limits.max_tunnels_per_peer)
		return unexpected(open_error::over_limit);
	const tunnel_id_v2 id = new_tunnel_id();
	if (!id)
		return unexpected(open_error::no_ids);
	if (secret.empty())
		secret = cfg_.tunnel.secrets.default_secret;
	auto t = std::make_unique<tunnel>(*this, id, peer, std::move(secret));
	tunnel &ref = *t;
	tunnels_.emplace(id, std::move(t));
	++counters_.tunnels_created;
	ref.open();
	return &ref;
}

result<tunnel *, open_error> endpoint::adopt_tunnel(const tunnel_snapshot &s, bool hello) {
	if (!s.local || !s.peer_id || tunnels_.contains(s.local))
		return unexpected(open_error::no_ids);
	if (tunnels_.size() >= cfg_.limits.max_tunnels)
		return unexpected(open_error::over_limit);
	auto t = std::make_unique<tunnel>(*this, s.local, s.peer, std::string(cfg_.tunnel.secrets.lookup(s.peer_host)));
	tunnel &ref = *t;
	tunnels_.emplace(s.local, std::move(t));
	++counters_.tunnels_created;
	ref.adopt(s, hello);
	return &ref;
}

bool endpoint::clear_tunnel(tunnel_id_v2 id, uint16_t result) {
	tunnel *t = find_tunnel(id);
	if (!t || t->state() == tunnel_state::dead)
		return false;
	t->close(result, 0, "administrative clear");
	return true;
}

bool endpoint::clear_session(tunnel_id_v2 tid, session_id_v2 sid, uint16_t result) {
	tunnel *t = find_tunnel(tid);
	session *s = t ? t->find_session(sid) : nullptr;
	if (!s || s->state() == session_state::closed)
		return false;
	s->close(result, 0, "administrative clear");
	return true;
}

bool endpoint::send_ppp(session &s, std::span<const uint8_t> frame) {
	tunnel &t = s.owner();
	if (s.state() != session_state::established || !t.established())
		return false;
	l2tp::v2_fields f;
	f.tunnel_id = t.peer_id();
	f.session_id = s.peer_id();
	f.with_length = true;
	if (s.params().sequencing_required) {
		f.with_sequence = true;
		f.ns = s.take_data_ns();
	}
	f.payload_len = static_cast<uint16_t>(frame.size());
	std::vector<uint8_t> buf(l2tp::v2_header_size(f) + frame.size());
	const size_t n = l2tp::build_v2(buf, f);
	if (n == 0)
		return false;
	std::copy(frame.begin(), frame.end(), buf.begin() + static_cast<std::ptrdiff_t>(n));
	send_datagram(t.peer(), buf);
	return true;
}

void endpoint::receive(const udp_endpoint &from, std::span<const uint8_t> datagram) {
	++counters_.rx_packets;
	auto h = l2tp::parse_v2(datagram);
	if (!h) {
		if (l2tp::peek(datagram).version == l2tp::version_v3)
			++counters_.rx_unsupported_version;
		else
			++counters_.rx_malformed;
		return;
	}
	if (!h->is_control()) {
		receive_data(from, *h);
		return;
	}
	if (!h->tunnel_id) {
		receive_sccrq(from, *h, datagram);
		reap();
		return;
	}
	tunnel *t = find_tunnel(h->tunnel_id);
	if (!t || t->state() == tunnel_state::dead) {
		++counters_.rx_unknown_tunnel;
		return;
	}
	if (t->peer() != from) {
		// Until the SCCRP arrives the peer may answer from another port (§8.1).
		if (t->state() == tunnel_state::wait_ctl_reply && same_address(t->peer(), from)) {
			t->set_peer_port(from.port);
		} else {
			++counters_.rx_forged_source;
			return;
		}
	}
	t->receive(*h, datagram);
	reap();
}

void endpoint::receive_data(const udp_endpoint &from, const l2tp::v2_header &h) {
	tunnel *t = find_tunnel(h.tunnel_id);
	if (!t || t->state() == tunnel_state::dead) {
		++counters_.rx_unknown_tunnel;
		return;
	}
	if (t->peer() != from) {
		++counters_.rx_forged_source;
		return;
	}
	session *s = t->find_session(h.session_id);
	if (!s) {
		++counters_.rx_unknown_session;
		return;
	}
	if (s->state() != session_state::established || !t->established()) {
		++counters_.rx_data_not_up;
		return;
	}
	if (hooks_.ppp_frame)
		hooks_.ppp_frame(*s, h.payload);
}

void endpoint::receive_sccrq(const udp_endpoint &from, const l2tp::v2_header &h, std::span<const uint8_t> packet) {
	const sccrq_peek p = peek_sccrq(h.payload);
	if (!p.is_sccrq) {
		++counters_.rx_not_sccrq;
		return;
	}
	// A retransmission of an SCCRQ we already have a tunnel for.
	if (p.assigned_tunnel) {
		for (auto &[id, t] : tunnels_) {
			if (t->peer() == from && t->peer_id().value == p.assigned_tunnel && t->state() != tunnel_state::dead &&
			    t->state() != tunnel_state::wait_ctl_reply) {
				t->receive(h, packet);
				return;
			}
		}
	}
	// Tie-breaker: our own SCCRQ to this peer is outstanding.
	if (p.tie_breaker && cfg_.tunnel.tie_breaker) {
		for (auto &[id, t] : tunnels_) {
			if (t->state() != tunnel_state::wait_ctl_reply || !same_address(t->peer(), from))
				continue;
			const uint64_t ours = *cfg_.tunnel.tie_breaker, theirs = *p.tie_breaker;
			if (ours < theirs) {
				++counters_.tie_breaker_won; // the peer lost: ignore its SCCRQ
				return;
			}
			++counters_.tie_breaker_lost;
			t->abandon("tie breaker lost");
			if (ours == theirs)
				return; // both sides drop theirs
			break;
		}
	}
	if (!admit(from)) {
		++counters_.sccrq_over_limit;
		return;
	}
	const tunnel_id_v2 id = new_tunnel_id();
	if (!id) {
		++counters_.sccrq_over_limit;
		return;
	}
	auto t = std::make_unique<tunnel>(*this, id, from, std::string{});
	tunnel &ref = *t;
	tunnels_.emplace(id, std::move(t));
	++counters_.tunnels_created;
	ref.set_peer_id(tunnel_id_v2{p.assigned_tunnel});
	ref.receive(h, packet);
}

bool endpoint::admit(const udp_endpoint &from) {
	const auto &lim = cfg_.limits;
	size_t live = 0, per_peer = 0, half = 0, half_peer = 0, lingering = 0;
	tunnel *oldest_lingering = nullptr;
	std::map<std::array<uint8_t, 16>, size_t> half_by_peer;
	for (const auto &[id, t] : tunnels_) {
		if (t->state() == tunnel_state::dead)
			continue;
		// A closed tunnel lingers after its StopCCN only to re-acknowledge retransmissions
		// (31 s): it holds a table slot but is no longer the peer's tunnel. A LAC that
		// reconnects at once must not be refused because its previous tunnels still linger.
		if (t->lingering()) {
			++lingering;
			if (!oldest_lingering || t->created() < oldest_lingering->created())
				oldest_lingering = t.get();
			continue;
		}
		++live;
		const bool mine = same_address(t->peer(), from);
		per_peer += mine;
		if (t->half_open()) {
			++half;
			half_peer += mine;
			++half_by_peer[t->peer().addr];
		}
	}
	if (live >= lim.max_tunnels || per_peer >= lim.max_tunnels_per_peer)
		return false;
	if (live + lingering >= lim.max_tunnels) {
		// The table is full only because of lingering tunnels: give up the oldest one's
		// re-acknowledgement period rather than refuse a tunnel that would be up.
		++counters_.lingering_reclaimed;
		oldest_lingering->abandon("lingering tunnel reclaimed");
	}
	if (half_peer >= lim.max_half_open_per_peer) {
		// The address's half-open slots are taken: a LAC that lost our SCCRPs, or a flood
		// spoofing its address. Recycle its oldest half-open tunnel rather than refusing, so
		// that the LAC itself is admitted as soon as the flood stops (a spoofer never sees
		// the SCCRP, so its tunnels never complete). Other addresses are not touched.
		tunnel *victim = nullptr;
		for (auto &[id, t] : tunnels_)
			if (t->half_open() && same_address(t->peer(), from) && (!victim || t->created() < victim->created()))
				victim = t.get();
		if (!victim)
			return false;
		++counters_.half_open_evicted;
		victim->abandon("half-open tunnel evicted");
		return true;
	}
	if (half < lim.max_half_open)
		return true;
	// Evict the oldest half-open tunnel of the peer that holds the most.
	size_t most = 0;
	for (const auto &[addr, n] : half_by_peer)
		most = std::max(most, n);
	tunnel *victim = nullptr;
	for (auto &[id, t] : tunnels_)
		if (t->half_open() && half_by_peer[t->peer().addr] == most && (!victim || t->created() < victim->created()))
			victim = t.get();
	if (!victim)
		return false;
	++counters_.half_open_evicted;
	victim->abandon("half-open tunnel evicted");
	return true;
}

} // namespace l2tpx::cp
