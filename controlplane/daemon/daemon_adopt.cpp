// restart_policy = "adopt": the state file and the reconciliation of what it records with
// what the dataplane still holds (docs/controlplane.md "Restart").
//
//   in the state file and in the dataplane  → tunnel, session and PPP link continued
//   in the dataplane only (or not adoptable) → removed from it (and its tunnel with its
//                                              last session); the peer is told: CDN on an
//                                              adopted tunnel, else StopCCN (as flush does)
//   in the state file only                   → forgotten: CDN on an adopted tunnel, else
//                                              the tunnel is continued just long enough to
//                                              send a StopCCN in sequence
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <unistd.h>

#include "controlplane/daemon/daemon.hpp"

namespace l2tpx::cp::daemon {

namespace {

namespace rc = ctl::result_codes;

int64_t to_ms(time_point t) { return t.time_since_epoch().count(); }

bool same_peer(const ring::ip_addr &a, uint16_t port, const udp_endpoint &e) {
	if (a.family != (e.v6 ? 6 : 4) || port != e.port)
		return false;
	return std::memcmp(a.bytes, e.addr.data(), e.v6 ? 16 : 4) == 0;
}

nd::ipv6_prefix prefix_of(const ring::session_params &p) {
	nd::ipv6_prefix r;
	std::memcpy(r.addr.data(), p.v6_prefix.addr, 16);
	r.length = p.v6_prefix.length;
	return r;
}

ipv4_addr subscriber_of(const ring::session_params &p) {
	return ipv4_addr{static_cast<uint32_t>(p.subscriber_v4[0]) << 24 | static_cast<uint32_t>(p.subscriber_v4[1]) << 16 |
	                 static_cast<uint32_t>(p.subscriber_v4[2]) << 8 | p.subscriber_v4[3]};
}

} // namespace

void daemon::load_saved_state() {
	const std::string &path = cfg_.cp.state_file;
	auto st = load_state(path);
	if (!st) {
		if (st.error() == state_error::missing) {
			spdlog::info("restart_policy adopt: no state file {}; nothing to adopt (sessions left in the dataplane "
			             "are flushed)",
			             path);
		} else {
			++counters_.state_file_errors;
			spdlog::error("restart_policy adopt: state file {} is unusable ({}{}); falling back to flush: sessions "
			              "left in the dataplane are removed and their peers sent a StopCCN",
			              path, to_string(st.error()),
			              st.error() == state_error::unreadable ? std::string(": ") + std::strerror(errno) : "");
		}
		return;
	}
	counters_.state_records_torn += st->torn;
	counters_.state_records_corrupt += st->corrupt;
	if (st->torn || st->corrupt)
		spdlog::warn("state file {}: {} record(s) being written at the crash and {} corrupt record(s) ignored; "
		             "their sessions are removed",
		             path, st->torn, st->corrupt);
	spdlog::info("state file {}: {} tunnel(s), {} session(s) recorded by the previous instance", path,
	             st->tunnels.size(), st->sessions.size());
	saved_ = std::move(*st);
}

bool daemon::open_store() {
	std::string err;
	const uint64_t cap = std::min<uint64_t>(uint64_t{cfg_.cp.max_tunnels} + std::max<uint32_t>(ready_.session_capacity, 1024),
	                                        1u << 24);
	store_ = state_store::create(cfg_.cp.state_file, static_cast<uint32_t>(cap), err);
	if (store_)
		return true;
	++counters_.state_file_errors;
	// A previous file left in place would be adopted by the next instance with stale
	// sequence numbers: remove it, the next start then flushes.
	(void)::unlink(cfg_.cp.state_file.c_str());
	spdlog::error("state file: {}; the sessions of this instance cannot be adopted after a restart (flush then)", err);
	return false;
}

void daemon::record_tunnel(tunnel &t) {
	if (!store_ || tunnel_slot_.contains(t.local_id()))
		return;
	saved_tunnel st;
	st.t.local = t.local_id();
	st.t.peer_id = t.peer_id();
	st.t.peer = t.peer();
	st.t.peer_host = t.peer_host_name();
	st.t.peer_rws = t.peer_rws();
	st.created_ms = to_ms(t.created());
	const uint32_t slot = store_->put_tunnel(st);
	if (slot == state_store::none) {
		++counters_.state_full;
		return;
	}
	tunnel_slot_[t.local_id()] = slot;
	t.set_sequence_mirror(store_->mirror(slot)); // writes the current Ns/Nr at once
}

// At network_up, after adoption, and again whenever IPv6CP opens or closes (the prefix
// comes and goes with it): the record is rewritten in place.
void daemon::record_session(session &s, ppp::ppp_link &l) {
	if (!store_)
		return;
	tunnel &t = s.owner();
	const session_key key{t.local_id(), s.local_id()};
	record_tunnel(t);
	if (!tunnel_slot_.contains(t.local_id()))
		return;
	// IPv6CP changes inside the link's receive(); call_manager assigns or releases the
	// prefix after it: the record is rewritten once that is done (a zero-delay timer).
	l.set_ipv6cp_observer([this, key] {
		timers_.arm(duration::zero(), [this, key] {
			if (!store_ || !session_slot_.contains(key))
				return; // ended (forgotten) meanwhile
			tunnel *tp = calls_->l2tp().find_tunnel(key.first);
			session *sp = tp ? tp->find_session(key.second) : nullptr;
			ppp::ppp_link *lp = calls_->link(key.first, key.second);
			if (sp && lp)
				record_session(*sp, *lp);
		});
	});
	saved_session ss;
	ss.tunnel = t.local_id().value;
	ss.session = s.local_id().value;
	ss.peer_session = s.peer_id().value;
	ss.sequencing = s.params().sequencing_required;
	ss.link = l.snapshot();
	auto up = up_since_.find(key);
	ss.up_since_ms = to_ms(up != up_since_.end() ? up->second : timers_.now());
	ss.ipv6_prefix = calls_->ipv6_prefix(key.first, key.second);
	if (auto old = session_slot_.find(key); old != session_slot_.end()) {
		// A rewrite: the old record goes first (its slot is taken again). A crash in
		// between leaves the session unrecorded or torn: removed at the next start.
		store_->erase(old->second);
		session_slot_.erase(old);
	}
	const uint32_t slot = store_->put_session(ss);
	if (slot == state_store::none) {
		++counters_.state_full;
		// A tunnel record without a session record would outlive the tunnel: drop it.
		auto next = session_slot_.lower_bound(session_key{t.local_id(), session_id_v2{0}});
		if (next == session_slot_.end() || next->first.first != t.local_id()) {
			t.set_sequence_mirror(nullptr);
			store_->erase(tunnel_slot_[t.local_id()]);
			tunnel_slot_.erase(t.local_id());
		}
		uint64_t sup = 0;
		if (dp_limiter_.allow(timers_.now(), sup))
			spdlog::warn("session {}/{} not recorded in the state file (full, or a user name over {} bytes): a "
			             "restart removes it",
			             ss.tunnel, ss.session, state_max_user);
		return;
	}
	session_slot_[session_key{t.local_id(), s.local_id()}] = slot;
}

void daemon::forget_session(session_key key) {
	auto it = session_slot_.find(key);
	if (it == session_slot_.end() || !store_)
		return;
	store_->erase(it->second);
	session_slot_.erase(it);
	// The tunnel's record goes with its last recorded session.
	auto next = session_slot_.lower_bound(session_key{key.first, session_id_v2{0}});
	if (next != session_slot_.end() && next->first.first == key.first)
		return;
	auto t = tunnel_slot_.find(key.first);
	if (t == tunnel_slot_.end())
		return;
	if (tunnel *tp = calls_->l2tp().find_tunnel(key.first))
		tp->set_sequence_mirror(nullptr);
	store_->erase(t->second);
	tunnel_slot_.erase(t);
}

void daemon::detach_store() {
	if (calls_)
		calls_->l2tp().for_each_tunnel([](tunnel &t) { t.set_sequence_mirror(nullptr); });
	tunnel_slot_.clear();
	session_slot_.clear();
}

void daemon::send_restart_cdn(tunnel &t, uint16_t local_session, uint16_t peer_session, std::string_view why) {
	ctl::message cdn;
	ctl::result_code_value r;
	r.result = rc::cdn_general_error;
	r.has_error = true;
	r.message = ctl::as_bytes(why);
	cdn.set_message_type(ctl::msg_type::cdn).set_result_code(r).set_assigned_session_id(local_session);
	t.send_message(cdn, session_id_v2{peer_session});
}

void daemon::reconcile() {
	const state_contents &st = *saved_;
	std::map<uint16_t, const saved_tunnel *> tunnels;
	for (const saved_tunnel &t : st.tunnels)
		tunnels[t.t.local.value] = &t;
	std::map<std::pair<uint16_t, uint16_t>, const saved_session *> sessions;
	for (const saved_session &s : st.sessions)
		sessions[{s.tunnel, s.session}] = &s;

	(void)open_store(); // records the adopted sessions as they are continued

	// Which dumped sessions can be adopted, grouped by tunnel.
	using pair_t = std::pair<const ring::session_entry_body *, const saved_session *>;
	std::map<uint16_t, std::vector<pair_t>> adopt;
	std::vector<const ring::session_entry_body *> remove;
	for (const ring::session_entry_body &e : dumped_) {
		const ring::session_params &p = e.params;
		if (p.version != 2) {
			spdlog::info("dataplane holds L2TPv{} session {} (index {}); static sessions are kept", p.version,
			             p.local_session_id, e.index);
			continue;
		}
		const auto lt = static_cast<uint16_t>(p.local_tunnel_id), ls = static_cast<uint16_t>(p.local_session_id);
		auto ss = p.local_tunnel_id <= 0xffff && p.local_session_id <= 0xffff ? sessions.find({lt, ls}) : sessions.end();
		auto tt = tunnels.find(lt);
		if (ss == sessions.end() || tt == tunnels.end()) {
			remove.push_back(&e);
			continue;
		}
		const saved_tunnel &t = *tt->second;
		const saved_session &s = *ss->second;
		const bool match = p.peer_tunnel_id == t.t.peer_id.value && p.peer_session_id == s.peer_session &&
		                   same_peer(p.peer, p.peer_udp_port, t.t.peer) &&
		                   same_peer(p.local, p.local_udp_port, local_) && subscriber_of(p) == s.link.peer_ipv4 &&
		                   prefix_of(p) == s.ipv6_prefix;
		if (!match) {
			++counters_.adopt_mismatches;
			spdlog::warn("session {}/{}: the state file and the dataplane disagree (peer IDs, peer or local "
			             "address, subscriber address or IPv6 prefix); removing it",
			             lt, ls);
			remove.push_back(&e);
			continue;
		}
		adopt[lt].emplace_back(&e, &s);
		sessions.erase(ss); // matched
	}

	// Continue the tunnels and their sessions.
	std::set<uint16_t> adopted_tunnels;
	for (auto &[lt, list] : adopt) {
		const saved_tunnel &t = *tunnels[lt];
		auto tp = calls_->l2tp().adopt_tunnel(t.t);
		if (!tp) {
			spdlog::warn("tunnel {}: cannot be continued; removing its {} session(s)", lt, list.size());
			for (const pair_t &x : list)
				remove.push_back(x.first);
			continue;
		}
		tunnel &tun = **tp;
		adopted_tunnels.insert(lt);
		++counters_.adopted_tunnels;
		size_t continued = 0;
		for (const pair_t &x : list) {
			const ring::session_params &p = x.first->params;
			const saved_session &s = *x.second;
			call_params cp;
			cp.sequencing_required = s.sequencing;
			ppp::ppp_link *l = calls_->adopt_call(tun, session_id_v2{s.session}, session_id_v2{s.peer_session},
			                                      std::move(cp), s.link);
			if (!l) {
				// adopt_call sent the CDN; the dataplane entry goes.
				spdlog::warn("session {}/{} (user \"{}\", address {}): PPP state not adoptable (address taken?); "
				             "removed",
				             lt, s.session, s.link.user, to_string(s.link.peer_ipv4));
				ring::command c = ring::make_command(ring::command_type::remove_session, 0);
				c.session.version = 2;
				c.session.enc = ring::encap::udp;
				c.session.local_tunnel_id = p.local_tunnel_id;
				c.session.local_session_id = p.local_session_id;
				dp_.send(c);
				++counters_.adopt_removed_sessions;
				continue;
			}
			const session_key key{tun.local_id(), session_id_v2{s.session}};
			// The prefix the dataplane still routes (the same as recorded: matched above) is
			// claimed again, so the next frame does not bring a new one.
			dp_.adopt(key.first, key.second, x.first->index);
			if (s.ipv6_prefix.length != 0 && !calls_->adopt_ipv6_prefix(key.first, key.second, s.ipv6_prefix)) {
				// Not in an IPv6 pool any more, taken, or IPv6CP disabled now: left routed
				// but unclaimed it could be handed to another call. The call is ended
				// (LCP Terminate, CDN; call_manager removes it from the dataplane).
				++counters_.adopt_removed_sessions;
				spdlog::warn("session {}/{} (user \"{}\"): IPv6 prefix {} cannot be claimed again (not in an "
				             "IPv6 pool, taken, or IPv6CP disabled); ending the call",
				             lt, s.session, s.link.user, nd::to_string(s.ipv6_prefix));
				calls_->disconnect(key.first, key.second);
				continue;
			}
			++continued;
			up_since_[key] = time_point(duration(s.up_since_ms));
			++counters_.adopted_sessions;
			if (session *sp = tun.find_session(key.second))
				record_session(*sp, *l);
			if (counters_.adopted_sessions <= 16)
				spdlog::info("session {}/{} adopted: user \"{}\" address {} (peer {} tunnel {} session {})", lt,
				             s.session, s.link.user, to_string(s.link.peer_ipv4), to_string(t.t.peer),
				             t.t.peer_id.value, s.peer_session);
		}
		if (continued == 0) {
			// Nothing of it survived: it is forgotten like a tunnel in the state file only.
			++counters_.adopt_forgotten_tunnels;
			tun.close(rc::stopccn_general_error, rc::error_no_control_connection,
			          "control plane restarted: no session left");
			ring::command c = ring::make_command(ring::command_type::remove_tunnel, 0);
			c.tunnel.version = 2;
			c.tunnel.local_tunnel_id = lt;
			dp_.send(c);
		}
	}

	// In the dataplane only: removed. The peer hears a CDN on an adopted tunnel; otherwise
	// the tunnel goes too, and its peer gets a StopCCN: in sequence when the state file
	// knows the tunnel (below), else as flush does (stale_tunnel: probe, then in sequence).
	std::set<uint16_t> removed_tunnels;
	for (const ring::session_entry_body *e : remove) {
		const ring::session_params &p = e->params;
		const auto lt = static_cast<uint16_t>(p.local_tunnel_id);
		ring::command c = ring::make_command(ring::command_type::remove_session, 0);
		c.session.version = 2;
		c.session.enc = ring::encap::udp;
		c.session.local_tunnel_id = p.local_tunnel_id;
		c.session.local_session_id = p.local_session_id;
		dp_.send(c);
		++counters_.adopt_removed_sessions;
		++counters_.stale_sessions_removed;
		if (adopted_tunnels.contains(lt)) {
			if (tunnel *t = calls_->l2tp().find_tunnel(tunnel_id_v2{lt}); t && t->established())
				send_restart_cdn(*t, static_cast<uint16_t>(p.local_session_id), static_cast<uint16_t>(p.peer_session_id),
				                 "control plane restarted: session state lost");
			continue;
		}
		removed_tunnels.insert(lt);
		if (!tunnels.contains(lt))
			note_stale_session(*e);
	}
	for (uint16_t lt : removed_tunnels) {
		ring::command c = ring::make_command(ring::command_type::remove_tunnel, 0);
		c.tunnel.version = 2;
		c.tunnel.local_tunnel_id = lt;
		dp_.send(c);
	}

	// In the state file only (what `sessions` still holds): the peer is told.
	for (const auto &[key, s] : sessions) {
		++counters_.adopt_forgotten_sessions;
		if (adopted_tunnels.contains(key.first)) {
			if (tunnel *t = calls_->l2tp().find_tunnel(tunnel_id_v2{key.first}); t && t->established())
				send_restart_cdn(*t, s->session, s->peer_session, "control plane restarted: session not in the dataplane");
		}
	}
	for (const auto &[lt, t] : tunnels) {
		if (adopted_tunnels.contains(lt))
			continue;
		// Continued just long enough to close it properly, with the right Ns/Nr.
		auto tp = calls_->l2tp().adopt_tunnel(t->t, false);
		if (!tp)
			continue;
		++counters_.adopt_forgotten_tunnels;
		(*tp)->close(rc::stopccn_general_error, rc::error_no_control_connection,
		             "control plane restarted: tunnel state lost");
	}

	if (store_) {
		std::string err;
		if (!store_->publish(err)) {
			++counters_.state_file_errors;
			spdlog::error("state file: {}; sessions will not be adoptable after a restart", err);
			detach_store();
			store_.reset();
		}
	}
	spdlog::info("restart_policy adopt: {} session(s) in {} tunnel(s) adopted; {} removed from the dataplane "
	             "({} mismatched); {} session(s) and {} tunnel(s) of the state file forgotten (CDN / StopCCN)",
	             counters_.adopted_sessions, counters_.adopted_tunnels, counters_.adopt_removed_sessions,
	             counters_.adopt_mismatches, counters_.adopt_forgotten_sessions, counters_.adopt_forgotten_tunnels);
	dumped_.clear();
	dumped_.shrink_to_fit();
	saved_.reset();
}

} // namespace l2tpx::cp::daemon
