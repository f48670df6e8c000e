#include "tools/gen/lac/call_table.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace l2tpx::gen {

uint64_t now_ns() {
	return static_cast<uint64_t>(
	    std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
	        .count());
}
double seconds(uint64_t from_ns, uint64_t to_ns) { return to_ns > from_ns ? double(to_ns - from_ns) / 1e9 : 0; }
cp::time_point to_time_point(uint64_t ns) { return cp::time_point{cp::duration{static_cast<int64_t>(ns / 1000000)}}; }

std::string cause_text(const char *what, const cp::disconnect_cause &c) {
	return std::string(what) + " result " + std::to_string(c.result) + " error " + std::to_string(c.error) +
	       (c.local ? " (local)" : " (from LNS)");
}

namespace {
bool tunnel_ending(cp::tunnel_state st) {
	return st == cp::tunnel_state::closing || st == cp::tunnel_state::closed || st == cp::tunnel_state::dead;
}
} // namespace

call_table::call_table(const call_layout &l) : lns_(l.lns) {
	const uint32_t per = l.sessions_per_tunnel ? l.sessions_per_tunnel : 1;
	const uint32_t lacs = l.lacs ? l.lacs : 1;
	calls_.resize(l.sessions);
	for (uint32_t i = 0; i < l.sessions; ++i) {
		calls_[i].tunnel_index = i / per;
		calls_[i].in_tunnel = i % per;
		calls_[i].lac = calls_[i].tunnel_index % lacs;
	}
	// Every call's tunnel has a slot, however the layout's tunnel count was reached.
	const uint32_t needed = l.sessions ? (l.sessions - 1) / per + 1 : 0;
	tunnels_.assign(std::max(l.tunnels, needed), tunnel_id_v2{});
}

std::optional<uint32_t> call_table::find(uint32_t lac, tunnel_id_v2 t, session_id_v2 s) const {
	auto it = index_.find(key(lac, t, s));
	if (it == index_.end())
		return std::nullopt;
	return it->second;
}

std::optional<uint32_t> call_table::network_up(uint32_t lac, const cp::session &s, uint32_t address) {
	auto i = find(lac, s.owner().local_id(), s.local_id());
	if (!i)
		return std::nullopt;
	call &c = calls_[*i];
	if (c.phase != call_phase::dialing)
		return std::nullopt;
	c.phase = call_phase::up;
	c.address = address;
	c.peer_tunnel = s.owner().peer_id().value;
	c.peer_session = s.peer_id().value;
	const uint64_t now = now_ns();
	c.setup_ms = double(now - c.dialled_ns) / 1e6;
	last_up_ns_ = now;
	--outstanding_;
	++up_;
	return i;
}

link_end call_table::link_finished(uint32_t lac, cp::session_key k, cp::ppp::down_reason why, uint32_t &call_index) {
	auto i = find(lac, k.first, k.second);
	if (!i)
		return link_end::ignored;
	call_index = *i;
	call &c = calls_[*i];
	if (c.phase == call_phase::up) {
		c.phase = call_phase::down;
		--up_;
		if (*i < cleared_ns_.size() && cleared_ns_[*i]) {
			const uint64_t now = now_ns(), took = now - cleared_ns_[*i];
			cleared_ns_[*i] = 0;
			--clearing_;
			++clear_done_;
			clear_sum_ns_ += took;
			clear_max_ns_ = std::max(clear_max_ns_, took);
			clear_last_ns_ = now;
		}
		return link_end::went_down;
	}
	if (c.phase == call_phase::dialing && why != cp::ppp::down_reason::lower_down) {
		fail(*i, "PPP " + std::string(cp::ppp::to_string(why)));
		return link_end::failed;
	}
	return link_end::ignored;
}

void call_table::fail(uint32_t i, const std::string &why) {
	call &c = calls_[i];
	if (c.phase == call_phase::dialing)
		--outstanding_;
	c.phase = call_phase::failed;
	++failed_;
	if (on_fail_)
		on_fail_(i, why);
}

cp::tunnel *call_table::usable_tunnel(uint32_t t, uint32_t lac) {
	if (!tunnels_[t])
		return nullptr;
	cp::tunnel *tp = cms_[lac]->l2tp().find_tunnel(tunnels_[t]);
	if (!tp || tunnel_ending(tp->state()))
		return nullptr;
	return tp;
}

void call_table::dial(uint32_t i) {
	call &c = calls_[i];
	c.dialled_ns = now_ns();
	if (first_dial_ns_ == 0)
		first_dial_ns_ = c.dialled_ns;
	if (c.lac >= cms_.size()) {
		c.phase = call_phase::dialing;
		++outstanding_;
		fail(i, "no call manager");
		return;
	}
	cp::call_manager &cm = *cms_[c.lac];
	cp::tunnel *tp = usable_tunnel(c.tunnel_index, c.lac);
	c.phase = call_phase::dialing;
	++outstanding_;
	if (!tp) {
		auto r = cm.l2tp().open_tunnel(lns_);
		if (!r) {
			fail(i, r.error() == cp::open_error::over_limit ? "open tunnel: over limit" : "open tunnel: no IDs");
			return;
		}
		tp = *r;
		tunnels_[c.tunnel_index] = tp->local_id();
		++tunnels_opened_;
	}
	cp::call_params p;
	p.calling_number = std::to_string(i + 1);
	p.call_serial = i + 1;
	if (on_setup_)
		if (std::string e = on_setup_(i, p); !e.empty()) {
			fail(i, e);
			return;
		}
	auto s = tp->place_call(std::move(p));
	if (!s) {
		fail(i, "place call: " + std::string(cp::to_string(s.error())));
		return;
	}
	c.tid = tp->local_id();
	c.sid = (*s)->local_id();
	index_[key(c.lac, c.tid, c.sid)] = i;
}

void call_table::check_dialing() {
	for (uint32_t i = 0; i < calls_.size(); ++i) {
		call &c = calls_[i];
		if (c.phase != call_phase::dialing)
			continue;
		cp::tunnel *tp = cms_[c.lac]->l2tp().find_tunnel(c.tid);
		if (!tp) {
			fail(i, "tunnel gone");
			continue;
		}
		if (tunnel_ending(tp->state())) {
			fail(i, cause_text("tunnel down: StopCCN", tp->cause()));
			continue;
		}
		cp::session *s = tp->find_session(c.sid);
		if (!s)
			fail(i, "call cleared");
		else if (s->state() == cp::session_state::closed)
			fail(i, cause_text("call cleared: CDN", s->cause()));
	}
}

dial_result call_table::dial_all(std::span<const uint32_t> todo, const dial_limits &lim, const std::atomic<bool> &stop,
                                 const std::function<void(bool more)> &pump,
                                 const std::function<void(uint64_t now, size_t dialled)> &tick) {
	dial_result res;
	const uint64_t start = now_ns();
	const uint64_t deadline = start + lim.timeout_ns;
	size_t &next = res.dialled;
	uint64_t last_check = 0;
	while (!stop.load()) {
		const uint64_t now = now_ns();
		if (tick)
			tick(now, next);
		const uint64_t allowed = 1 + static_cast<uint64_t>(seconds(start, now) * lim.setup_rate);
		while (next < todo.size() && outstanding_ < lim.max_outstanding && next < allowed)
			dial(todo[next++]);
		if (now - last_check > 20'000'000) {
			check_dialing();
			last_check = now;
		}
		if (next == todo.size() && outstanding_ == 0)
			break;
		if (now >= deadline) {
			for (uint32_t i : todo)
				if (calls_[i].phase == call_phase::dialing || calls_[i].phase == call_phase::pending)
					fail(i, "setup timeout");
			break;
		}
		pump(next < todo.size() && outstanding_ < lim.max_outstanding);
	}
	if (stop.load()) {
		res.interrupted = true;
		for (uint32_t i : todo)
			if (calls_[i].phase == call_phase::dialing || calls_[i].phase == call_phase::pending)
				fail(i, "interrupted");
	}
	return res;
}

clear_result call_table::clear_all(const clear_limits &lim, const std::atomic<bool> &stop,
                                   const std::function<void(bool more)> &pump) {
	clear_result res;
	std::vector<uint32_t> todo;
	for (uint32_t i = 0; i < calls_.size(); ++i)
		if (calls_[i].phase == call_phase::up)
			todo.push_back(i);
	res.requested = uint32_t(todo.size());
	cleared_ns_.assign(calls_.size(), 0);
	clearing_ = 0;
	clear_done_ = clear_sum_ns_ = clear_max_ns_ = clear_last_ns_ = 0;
	const uint64_t start = now_ns();
	const uint64_t deadline = start + lim.timeout_ns;
	size_t next = 0;
	auto failed = [&](const std::string &why) {
		++res.failed;
		++res.failures[why];
	};
	while (!stop.load()) {
		const uint64_t now = now_ns();
		const uint64_t allowed = 1 + static_cast<uint64_t>(seconds(start, now) * lim.rate);
		while (next < todo.size() && clearing_ < lim.max_outstanding && next < allowed) {
			const uint32_t i = todo[next++];
			call &c = calls_[i];
			if (c.phase != call_phase::up)
				continue; // went down on its own meanwhile: nothing to clear
			if (res.first_ns == 0)
				res.first_ns = now_ns();
			// Marked first: a link that is not past LCP Starting finishes inside disconnect().
			cleared_ns_[i] = now_ns();
			++clearing_;
			if (c.lac >= cms_.size() || !cms_[c.lac]->disconnect(c.tid, c.sid)) {
				cleared_ns_[i] = 0;
				--clearing_;
				failed("teardown: no PPP link");
			}
		}
		if (next == todo.size() && clearing_ == 0)
			break;
		if (now >= deadline) {
			// Cleared and still not down, or never reached under the rate.
			for (size_t k = 0; k < todo.size(); ++k)
				if (k < next ? cleared_ns_[todo[k]] != 0 : calls_[todo[k]].phase == call_phase::up)
					failed("teardown timeout");
			break;
		}
		pump(next < todo.size() && clearing_ < lim.max_outstanding);
	}
	res.interrupted = stop.load();
	res.cleared = uint32_t(clear_done_);
	res.last_down_ns = clear_last_ns_;
	res.avg_ms = clear_done_ ? double(clear_sum_ns_) / double(clear_done_) / 1e6 : 0;
	res.max_ms = double(clear_max_ns_) / 1e6;
	cleared_ns_.clear();
	clearing_ = 0;
	return res;
}

std::vector<uint32_t> call_table::up_with_address() const {
	std::vector<uint32_t> up;
	for (uint32_t i = 0; i < calls_.size(); ++i)
		if (calls_[i].phase == call_phase::up && calls_[i].address)
			up.push_back(i);
	return up;
}

uint32_t clear_all_tunnels(std::span<const std::unique_ptr<cp::call_manager>> managers,
                           const std::function<void()> &pump, uint64_t timeout_ns) {
	std::vector<std::pair<uint32_t, tunnel_id_v2>> open;
	for (uint32_t m = 0; m < managers.size(); ++m)
		managers[m]->l2tp().for_each_tunnel([&](cp::tunnel &t) { open.emplace_back(m, t.local_id()); });
	for (auto &[m, id] : open)
		managers[m]->l2tp().clear_tunnel(id);
	// StopCCN is reliable: wait for the acknowledgements (the tunnel then lingers in
	// `closed` to re-ack retransmissions, or is reaped).
	const uint64_t deadline = now_ns() + timeout_ns;
	auto closing = [&] {
		size_t n = 0;
		for (auto &[m, id] : open)
			if (cp::tunnel *t = managers[m]->l2tp().find_tunnel(id); t && t->state() == cp::tunnel_state::closing)
				++n;
		return n;
	};
	while (closing() > 0 && now_ns() < deadline)
		pump();
	return static_cast<uint32_t>(open.size() - closing());
}

} // namespace l2tpx::gen
