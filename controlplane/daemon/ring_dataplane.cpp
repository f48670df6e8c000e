#include "controlplane/daemon/ring_dataplane.hpp"

#include <cstring>

namespace l2tpx::cp::daemon {

namespace {

ring::ip_addr to_ring_addr(const udp_endpoint &e) {
	ring::ip_addr a{};
	a.family = e.v6 ? 6 : 4;
	std::memcpy(a.bytes, e.addr.data(), e.v6 ? 16 : 4);
	return a;
}

} // namespace

ring::tunnel_params to_ring_tunnel(const session_install &s, uint16_t access_port) {
	ring::tunnel_params t{};
	t.version = 2;
	t.enc = ring::encap::udp;
	t.port = access_port;
	t.local_tunnel_id = s.local_tunnel.value;
	t.peer_tunnel_id = s.peer_tunnel.value;
	t.local_udp_port = s.local.port;
	t.peer_udp_port = s.peer.port;
	t.local = to_ring_addr(s.local);
	t.peer = to_ring_addr(s.peer);
	return t;
}

ring::session_params to_ring(const session_install &s, uint16_t access_port, uint8_t flags, uint16_t mss_clamp,
                             uint16_t reorder_timeout_ms) {
	ring::session_params p{};
	p.version = 2;
	p.enc = ring::encap::udp;
	p.pw_type = ring::pw::ppp;
	p.flags = flags;
	if (s.sequencing) {
		p.flags |= ring::session_flag::send_seq;
		p.reorder_timeout_ms = reorder_timeout_ms;
	}
	if (s.subscriber_ipv4.is_unspecified())
		p.flags |= ring::session_flag::check_source; // no IPv4 address: no IPv4 passes upstream
	p.local_tunnel_id = s.local_tunnel.value;
	p.local_session_id = s.local_session.value;
	p.peer_tunnel_id = s.peer_tunnel.value;
	p.peer_session_id = s.peer_session.value;
	p.access_port = access_port;
	p.mru = s.mru;
	p.mss_clamp = mss_clamp;
	p.local_udp_port = s.local.port;
	p.peer_udp_port = s.peer.port;
	p.local = to_ring_addr(s.local);
	p.peer = to_ring_addr(s.peer);
	const uint32_t v4 = s.subscriber_ipv4.value;
	p.subscriber_v4[0] = static_cast<uint8_t>(v4 >> 24);
	p.subscriber_v4[1] = static_cast<uint8_t>(v4 >> 16);
	p.subscriber_v4[2] = static_cast<uint8_t>(v4 >> 8);
	p.subscriber_v4[3] = static_cast<uint8_t>(v4);
	std::memcpy(p.v6_prefix.addr, s.subscriber_ipv6_prefix.addr.data(), 16);
	p.v6_prefix.length = s.subscriber_ipv6_prefix.length;
	return p;
}

ring_dataplane::ring_dataplane(command_sink &sink, timer_service &clock, ring_dataplane_settings s,
                               port_lookup port_for)
    : sink_(sink), clock_(clock), settings_(s), port_for_(std::move(port_for)),
      next_seq_(s.first_seq ? s.first_seq : 1) {}

void ring_dataplane::enqueue(ring::command c) {
	queue_.push_back(c);
	pump();
}

uint32_t ring_dataplane::send(ring::command c) {
	c.hdr.version = ring::abi_version;
	c.hdr.seq = next_seq_++;
	if (next_seq_ == 0)
		next_seq_ = 1; // seq 0 marks unsolicited events
	const uint32_t seq = c.hdr.seq;
	enqueue(c);
	return seq;
}

void ring_dataplane::add(const session_install &s, bool complete) {
	const uint16_t port = port_for_ ? port_for_(s.peer) : 0;
	tunnel_state &t = tunnels_[s.local_tunnel];
	if (t.sessions++ == 0) {
		ring::command c = ring::make_command(ring::command_type::add_tunnel, 0);
		c.tunnel = to_ring_tunnel(s, port);
		send(c);
	}
	ring::command c = ring::make_command(ring::command_type::add_session, 0);
	const uint8_t flags = settings_.session_flags | (complete ? 0 : ring::session_flag::control_only);
	c.session = to_ring(s, port, flags, settings_.mss_clamp, settings_.reorder_timeout_ms);
	sessions_.emplace(session_key{s.local_tunnel, s.local_session}, session_state{UINT32_MAX, complete});
	send(c);
}

result<void, dp_error> ring_dataplane::prepare_session(const session_install &s) {
	if (sessions_.contains(session_key{s.local_tunnel, s.local_session}))
		return {};
	if (queue_.size() + 2 > settings_.max_queued) {
		++counters_.queue_overflow;
		return unexpected(dp_error::unavailable); // the call is refused (CDN)
	}
	session_install pre = s;
	pre.subscriber_ipv4 = ipv4_addr{};
	pre.subscriber_ipv6_iid = 0;
	++counters_.preinstalls;
	add(pre, false);
	return {};
}

result<void, dp_error> ring_dataplane::install_session(const session_install &s) {
	const session_key key{s.local_tunnel, s.local_session};
	auto it = sessions_.find(key);
	if (it != sessions_.end() && it->second.complete)
		return unexpected(dp_error::duplicate);
	if (queue_.size() + 2 > settings_.max_queued) {
		++counters_.queue_overflow;
		return unexpected(dp_error::unavailable);
	}
	if (it == sessions_.end()) {
		add(s, true);
		return {};
	}
	it->second.complete = true;
	ring::command c = ring::make_command(ring::command_type::modify_session, 0);
	c.session = to_ring(s, port_for_ ? port_for_(s.peer) : 0, settings_.session_flags, settings_.mss_clamp,
	                    settings_.reorder_timeout_ms);
	send(c);
	return {};
}

result<void, dp_error> ring_dataplane::update_session(const session_install &s) {
	auto it = sessions_.find(session_key{s.local_tunnel, s.local_session});
	if (it == sessions_.end() || !it->second.complete)
		return unexpected(dp_error::unavailable);
	if (queue_.size() + 1 > settings_.max_queued) {
		++counters_.queue_overflow;
		return unexpected(dp_error::unavailable);
	}
	ring::command c = ring::make_command(ring::command_type::modify_session, 0);
	c.session = to_ring(s, port_for_ ? port_for_(s.peer) : 0, settings_.session_flags, settings_.mss_clamp,
	                    settings_.reorder_timeout_ms);
	send(c);
	return {};
}

void ring_dataplane::adopt(tunnel_id_v2 t, session_id_v2 s, uint32_t index) {
	if (!sessions_.emplace(session_key{t, s}, session_state{index, true}).second)
		return;
	++tunnels_[t].sessions;
}

void ring_dataplane::release_tunnel_ref(tunnel_id_v2 t) {
	auto it = tunnels_.find(t);
	if (it == tunnels_.end() || --it->second.sessions > 0)
		return;
	tunnels_.erase(it);
	ring::command c = ring::make_command(ring::command_type::remove_tunnel, 0);
	c.tunnel.version = 2;
	c.tunnel.local_tunnel_id = t.value;
	send(c);
}

void ring_dataplane::remove_session(tunnel_id_v2 local_tunnel, session_id_v2 local_session) {
	auto it = sessions_.find(session_key{local_tunnel, local_session});
	if (it == sessions_.end())
		return;
	sessions_.erase(it);
	ring::command c = ring::make_command(ring::command_type::remove_session, 0);
	c.session.version = 2;
	c.session.enc = ring::encap::udp;
	c.session.local_tunnel_id = local_tunnel.value;
	c.session.local_session_id = local_session.value;
	send(c);
	release_tunnel_ref(local_tunnel);
}

void ring_dataplane::remove_tunnel(tunnel_id_v2 local_tunnel) {
	std::vector<session_id_v2> ids;
	for (auto it = sessions_.lower_bound(session_key{local_tunnel, session_id_v2{0}});
	     it != sessions_.end() && it->first.first == local_tunnel; ++it)
		ids.push_back(it->first.second);
	for (session_id_v2 s : ids)
		remove_session(local_tunnel, s);
}

void ring_dataplane::remove_all() {
	while (!sessions_.empty())
		remove_session(sessions_.begin()->first.first, sessions_.begin()->first.second);
}

uint32_t ring_dataplane::session_index(tunnel_id_v2 t, session_id_v2 s) const {
	auto it = sessions_.find(session_key{t, s});
	return it == sessions_.end() ? UINT32_MAX : it->second.index;
}

unsigned ring_dataplane::pump() {
	unsigned n = 0;
	if (detached_) {
		queue_.clear();
		return 0;
	}
	while (!queue_.empty()) {
		if (!sink_.try_send(queue_.front())) {
			++counters_.ring_full_retries;
			break;
		}
		const ring::command &c = queue_.front();
		in_flight_[c.hdr.seq] = pending{c, clock_.now(), false};
		queue_.pop_front();
		++counters_.commands_sent;
		++n;
	}
	const time_point now = clock_.now();
	for (auto &[seq, p] : in_flight_) {
		if (!p.timed_out && now - p.sent >= settings_.command_timeout) {
			p.timed_out = true;
			++counters_.command_timeouts;
			error("dataplane has not answered " +
			      std::string(ring::to_string(static_cast<ring::command_type>(p.cmd.hdr.type))) + " seq " +
			      std::to_string(seq) + " for " + std::to_string((now - p.sent).count()) + " ms");
		}
	}
	return n;
}

void ring_dataplane::complete(const ring::event &e, const ring::command &c) {
	const auto type = static_cast<ring::command_type>(c.hdr.type);
	const ring::status st = e.done.result;
	char detail[sizeof(e.done.detail) + 1] = {};
	std::memcpy(detail, e.done.detail, sizeof(e.done.detail));
	if (st == ring::status::ok) {
		++counters_.completions_ok;
		if (type == ring::command_type::add_session) {
			auto it = sessions_.find(session_key{tunnel_id_v2{static_cast<uint16_t>(c.session.local_tunnel_id)},
			                                     session_id_v2{static_cast<uint16_t>(c.session.local_session_id)}});
			if (it != sessions_.end())
				it->second.index = e.done.index;
		}
		return;
	}
	// Removing what is not there is what we wanted; a tunnel already there is usable.
	if ((st == ring::status::not_found &&
	     (type == ring::command_type::remove_session || type == ring::command_type::remove_tunnel)) ||
	    (st == ring::status::exists && type == ring::command_type::add_tunnel)) {
		++counters_.completions_ok;
		return;
	}
	++counters_.completions_failed;
	++by_status_[static_cast<size_t>(st) & 15];
	error(std::string(ring::to_string(type)) + " failed: " + ring::to_string(st) + (detail[0] ? ": " : "") + detail);
	if (type == ring::command_type::add_session || type == ring::command_type::modify_session) {
		const tunnel_id_v2 t{static_cast<uint16_t>(c.session.local_tunnel_id)};
		const session_id_v2 s{static_cast<uint16_t>(c.session.local_session_id)};
		auto it = sessions_.find(session_key{t, s});
		if (it == sessions_.end())
			return; // already removed by the library
		++counters_.install_failures;
		sessions_.erase(it);
		if (type == ring::command_type::modify_session) {
			// The preinstalled session is still there: take it out.
			ring::command rm = ring::make_command(ring::command_type::remove_session, 0);
			rm.session.version = 2;
			rm.session.enc = ring::encap::udp;
			rm.session.local_tunnel_id = t.value;
			rm.session.local_session_id = s.value;
			send(rm);
		}
		release_tunnel_ref(t);
		if (on_install_failed)
			on_install_failed(t, s, st, detail);
	}
}

void ring_dataplane::on_event(const ring::event &e) {
	if (e.hdr.version != ring::abi_version) {
		++counters_.events_bad_version;
		return;
	}
	const auto type = static_cast<ring::event_type>(e.hdr.type);
	if (type == ring::event_type::completion) {
		auto it = in_flight_.find(e.hdr.seq);
		if (it == in_flight_.end()) {
			++counters_.completions_unmatched;
		} else {
			const ring::command c = it->second.cmd;
			in_flight_.erase(it);
			complete(e, c);
		}
	} else if (type != ring::event_type::ready && type != ring::event_type::session_counters &&
	           type != ring::event_type::session_entry) {
		++counters_.events_unknown;
		return;
	}
	if (on_other_event)
		on_other_event(e);
}

} // namespace l2tpx::cp::daemon
