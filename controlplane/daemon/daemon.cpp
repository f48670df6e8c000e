#include "controlplane/daemon/daemon.hpp"

#include <poll.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "shared/control/message.hpp"
#include "shared/l2tp/l2tpv2.hpp"
#include "shared/mgmt/commands.hpp"
#include "shared/mgmt/server.hpp"

namespace l2tpx::cp::daemon {

namespace {

aaa::address_allocator make_pools(const daemon_config &cfg) {
	aaa::address_allocator a;
	for (const auto &p : cfg.pools) {
		auto pool = aaa::ipv4_pool::create(p.name, ipv4_addr{load_be32(p.first.bytes.data())},
		                                   ipv4_addr{load_be32(p.last.bytes.data())});
		if (pool)
			a.add_pool(std::move(*pool));
		else
			spdlog::error("pool {}: {}", p.name, to_string(pool.error()));
	}
	return a;
}

std::string describe(const udp_endpoint &e) { return to_string(e); }

} // namespace

time_point daemon::steady_now() {
	return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}

daemon::peer_key daemon::key_of(const udp_endpoint &e) {
	peer_key k;
	k.v6 = e.v6;
	std::copy(e.addr.begin(), e.addr.begin() + (e.v6 ? 16 : 4), k.addr.begin());
	return k;
}

daemon::daemon(const daemon_config &cfg, dataplane_io &io, random_source &rng, aaa::local_authenticator &auth)
    : cfg_(cfg), io_(io), timers_(steady_now()), rng_(rng), auth_(auth), pools_(make_pools(cfg)),
      dp_(io, timers_,
          ring_dataplane_settings{
              static_cast<uint8_t>(cfg.lns.check_source ? ring::session_flag::check_source : 0),
              cfg.lns.mss_clamp, duration(cfg.cp.command_timeout_ms), 65536, rng.next<uint32_t>() | 1,
              cfg.lns.data_reorder_timeout_ms},
          [this](const udp_endpoint &peer) { return port_for(peer); }),
      peer_limiter_(cfg.cp.log_rate_per_s), dp_limiter_(cfg.cp.log_rate_per_s), started_(timers_.now()) {
	const call_manager::config lib = cfg.library_config();
	local_ = lib.l2tp.local;
	tx_buf_.resize(65536);
	calls_ = std::make_unique<call_manager>(
	    timers_, rng_, lib, &auth_, &pools_, dp_,
	    [this](const udp_endpoint &to, std::span<const uint8_t> d) { send_datagram(to, d); });
	calls_->on_network_up = [this](session &s, ppp::ppp_link &l) {
		up_since_[session_key{s.owner().local_id(), s.local_id()}] = timers_.now();
		spdlog::info("session {}/{} up: user \"{}\" address {} (peer {} tunnel {} session {})",
		             s.owner().local_id().value, s.local_id().value, l.user(), to_string(l.peer_ipv4()),
		             describe(s.owner().peer()), s.owner().peer_id().value, s.peer_id().value);
		record_session(s, l);
	};
	calls_->on_link_finished = [this](session_key key, ppp::down_reason why) {
		up_since_.erase(key);
		debug_session_.erase({key.first.value, key.second.value});
		forget_session(key);
		spdlog::info("session {}/{} finished: {}", key.first.value, key.second.value, ppp::to_string(why));
	};
	dp_.on_install_failed = [this](tunnel_id_v2 t, session_id_v2 s, ring::status st, const std::string &detail) {
		++counters_.install_failures;
		uint64_t sup = 0;
		if (dp_limiter_.allow(timers_.now(), sup))
			spdlog::warn("session {}/{}: the dataplane refused it ({}{}{}); ending the call{}", t.value, s.value,
			             ring::to_string(st), detail.empty() ? "" : ": ", detail,
			             sup ? fmt::format(" ({} similar lines suppressed)", sup) : "");
		// PPP running: LCP Terminate, then CDN. Refused while only prepared (ICRP): CDN.
		if (!calls_->disconnect(t, s))
			calls_->l2tp().clear_session(t, s, ctl::result_codes::cdn_no_facilities_temporary);
	};
	dp_.on_error = [this](const std::string &e) {
		uint64_t sup = 0;
		if (dp_limiter_.allow(timers_.now(), sup))
			spdlog::error("dataplane: {}{}", e, sup ? fmt::format(" ({} similar lines suppressed)", sup) : "");
	};
	dp_.on_other_event = [this](const ring::event &e) { on_dp_event(e); };
}

daemon::~daemon() {
	// Whatever is recorded stays in the state file for the next instance.
	detach_store();
	store_.reset();
	calls_.reset();
}

uint32_t daemon::debug_mask_tunnel(uint16_t t) const {
	auto it = debug_tunnel_.find(t);
	return it == debug_tunnel_.end() ? 0 : it->second;
}

void daemon::on_dp_event(const ring::event &e) {
	const auto type = static_cast<ring::event_type>(e.hdr.type);
	if (type == ring::event_type::ready) {
		if (have_boot_id_ && e.ready.boot_id != boot_id_) {
			spdlog::critical("the dataplane restarted (boot id {:#x} -> {:#x}): its sessions are gone; exiting",
			                 boot_id_, e.ready.boot_id);
			fatal_ = true;
		}
		boot_id_ = e.ready.boot_id;
		have_boot_id_ = true;
		ready_ = e.ready;
		return;
	}
	if (type == ring::event_type::session_entry) {
		if (phase_ == phase::dump && e.hdr.seq == startup_seq_) {
			if (saved_)
				dumped_.push_back(e.entry); // reconciled once the dump is complete
			else
				note_stale_session(e.entry);
		}
		return;
	}
	if (type != ring::event_type::completion || e.hdr.seq != startup_seq_ || phase_ == phase::running)
		return;
	if (e.done.result != ring::status::ok) {
		spdlog::error("dataplane start-up command {} failed: {}", ring::to_string(static_cast<ring::command_type>(e.done.command)),
		              ring::to_string(e.done.result));
		fatal_ = true;
		return;
	}
	switch (phase_) {
	case phase::hello:
		phase_ = phase::dump;
		startup_seq_ = dp_.send(ring::make_command(ring::command_type::dump_sessions, 0));
		break;
	case phase::dump:
		if (saved_) {
			reconcile();
			phase_ = phase::running;
			stop_stale_tunnels();
			break;
		}
		phase_ = phase::flush;
		startup_seq_ = dp_.send(ring::make_command(ring::command_type::flush_sessions, 0));
		break;
	case phase::flush:
		counters_.stale_sessions_removed += e.done.index;
		if (e.done.index)
			spdlog::info("removed {} session(s) left by an earlier control plane", e.done.index);
		phase_ = phase::running;
		stop_stale_tunnels();
		if (cfg_.cp.on_restart == restart_policy::adopt && open_store()) {
			std::string err;
			if (!store_->publish(err)) {
				++counters_.state_file_errors;
				spdlog::error("state file: {}; sessions will not be adoptable after a restart", err);
				store_.reset();
			}
		}
		break;
	case phase::running: break;
	}
}

void daemon::note_stale_session(const ring::session_entry_body &e) {
	const ring::session_params &p = e.params;
	if (p.version != 2) {
		spdlog::info("dataplane holds L2TPv{} session {} (index {}); static sessions are kept", p.version,
		             p.local_session_id, e.index);
		return;
	}
	// One line per session up to a few, then a summary (stop_stale_tunnels): a restart under
	// 100 000 sessions must not flood the log.
	if (++counters_.stale_sessions <= 16)
		spdlog::warn("dataplane holds L2TPv2 session {}/{} (index {}, peer tunnel {} session {}) from an earlier "
		             "control plane: its L2TP and PPP state is lost (restart_policy = \"{}\"{}); removing it",
		             p.local_tunnel_id, p.local_session_id, e.index, p.peer_tunnel_id, p.peer_session_id,
		             to_string(cfg_.cp.on_restart),
		             cfg_.cp.on_restart == restart_policy::adopt ? ", not in the state file" : "");
	if (p.local_tunnel_id == 0 || p.local_tunnel_id > 0xffff || p.peer_tunnel_id == 0 || p.peer_tunnel_id > 0xffff ||
	    (p.peer.family != 4 && p.peer.family != 6))
		return; // nobody to tell
	stale_tunnel &t = stale_[static_cast<uint16_t>(p.local_tunnel_id)];
	if (t.sessions++ == 0) {
		t.peer.v6 = p.peer.family == 6;
		std::copy(p.peer.bytes, p.peer.bytes + (t.peer.v6 ? 16 : 4), t.peer.addr.begin());
		t.peer.port = p.peer_udp_port;
		t.peer_tunnel = static_cast<uint16_t>(p.peer_tunnel_id);
	}
}

void daemon::stop_stale_tunnels() {
	if (stale_.empty())
		return;
	counters_.stale_tunnels += stale_.size();
	stale_until_ = timers_.now() + stale_tunnel_linger;
	spdlog::warn("{} L2TPv2 session(s) in {} tunnel(s) of an earlier control plane removed; StopCCN to their peers",
	             counters_.stale_sessions, stale_.size());
	for (const auto &[id, t] : stale_)
		send_stale_stopccn(id, 0, 0); // sequence state unknown: see stale_tunnel
}

void daemon::send_stale_stopccn(uint16_t old_tunnel, uint16_t ns, uint16_t nr) {
	auto it = stale_.find(old_tunnel);
	if (it == stale_.end() || it->second.stopccns >= max_stale_stopccns)
		return;
	stale_tunnel &t = it->second;
	static constexpr std::string_view why = "control plane restarted: tunnel state lost";
	ctl::message m;
	ctl::result_code_value r;
	r.result = ctl::result_codes::stopccn_general_error;
	r.error = ctl::result_codes::error_no_control_connection;
	r.has_error = true;
	r.message = ctl::as_bytes(why);
	m.set_message_type(ctl::msg_type::stopccn).set_assigned_tunnel_id(old_tunnel).set_result_code(r);
	ctl::control_header h;
	h.tunnel_id = tunnel_id_v2{t.peer_tunnel};
	h.ns = ns;
	h.nr = nr;
	uint8_t buf[256];
	auto n = ctl::encode_packet(h, m, ctl::encode_options{}, buf);
	if (!n) {
		spdlog::error("cannot encode a StopCCN: {}", ctl::to_string(n.error()));
		return;
	}
	++t.stopccns;
	++counters_.stale_stopccns;
	spdlog::debug("StopCCN (2/1: {}) to {} tunnel {} (was our tunnel {}), Ns {} Nr {}", why, describe(t.peer),
	              t.peer_tunnel, old_tunnel, ns, nr);
	send_datagram(t.peer, std::span<const uint8_t>(buf, *n));
}

void daemon::send_stale_zlb(uint16_t peer_tunnel, const udp_endpoint &to, uint16_t ns, uint16_t nr) {
	ctl::message m;
	m.message_type = ctl::msg_type::zlb;
	ctl::control_header h;
	h.tunnel_id = tunnel_id_v2{peer_tunnel};
	h.ns = ns;
	h.nr = nr;
	uint8_t buf[32];
	if (auto n = ctl::encode_packet(h, m, ctl::encode_options{}, buf))
		send_datagram(to, std::span<const uint8_t>(buf, *n));
}

// A control message on a tunnel of an earlier control plane (see stale_tunnel). true when
// it was one (and handled here).
bool daemon::handle_stale_control(const udp_endpoint &from, std::span<const uint8_t> datagram) {
	auto h = l2tp::parse_v2(datagram);
	if (!h || !h->is_control())
		return false;
	auto it = stale_.find(h->tunnel_id.value);
	if (it == stale_.end() || it->second.peer != from)
		return false;
	if (tunnel *t = calls_->l2tp().find_tunnel(h->tunnel_id); t && t->peer() == from)
		return false; // the ID was drawn again for this peer: the new tunnel's
	stale_tunnel &st = it->second;
	const bool zlb = h->payload.empty();
	// Message Type AVP first: 6-byte AVP header, then the 2-byte type.
	const uint16_t type = h->payload.size() >= 8 ? load_be16(h->payload.data() + 6) : 0;
	if (!zlb && type == static_cast<uint16_t>(ctl::msg_type::stopccn)) {
		send_stale_zlb(st.peer_tunnel, from, h->nr, static_cast<uint16_t>(h->ns + 1));
		spdlog::debug("tunnel {} of an earlier control plane: {} sent its own StopCCN; closed", it->first,
		              describe(from));
		close_stale(it);
		return true;
	}
	if (zlb && st.in_sequence && h->nr == static_cast<uint16_t>(st.in_sequence_ns + 1)) {
		spdlog::debug("tunnel {} of an earlier control plane: {} acknowledged the StopCCN; closed", it->first,
		              describe(from));
		close_stale(it);
		return true;
	}
	// The ZLB acknowledging our Ns=0 probe as a duplicate, a HELLO, a retransmission: now
	// the peer's sequence state is known.
	st.in_sequence = true;
	st.in_sequence_ns = h->nr;
	send_stale_stopccn(it->first, h->nr, zlb ? h->ns : static_cast<uint16_t>(h->ns + 1));
	return true;
}

void daemon::close_stale(std::map<uint16_t, stale_tunnel>::iterator it) {
	++counters_.stale_tunnels_closed;
	stale_.erase(it);
	if (stale_.empty())
		spdlog::info("every tunnel of the earlier control plane is closed ({} by the peer's acknowledgement or StopCCN)",
		             counters_.stale_tunnels_closed);
}

void daemon::expire_stale_tunnels(time_point now) {
	if (stale_.empty() || now < stale_until_)
		return;
	counters_.stale_tunnels_unanswered += stale_.size();
	spdlog::warn("{} tunnel(s) of an earlier control plane never acknowledged a StopCCN; forgotten (their peers "
	             "will time out)",
	             stale_.size());
	stale_.clear();
}

bool daemon::attach(std::string &error, duration timeout) {
	const time_point deadline = steady_now() + timeout;
	ring::event e;
	// Events left in the ring (the dataplane's start-up ready) say which dataplane this is.
	while (io_.poll_event(e))
		dp_.on_event(e);
	if (cfg_.cp.on_restart == restart_policy::adopt)
		load_saved_state();
	phase_ = phase::hello;
	startup_seq_ = dp_.send(ring::make_command(ring::command_type::hello, 0));
	while (phase_ != phase::running && !fatal_) {
		const time_point now = steady_now();
		if (now >= deadline) {
			error = "the dataplane did not answer hello/dump/flush within " + std::to_string(timeout.count()) +
			        " ms (is it running with the same file prefix and processing commands?)";
			return false;
		}
		timers_.advance_to(now);
		dp_.pump();
		bool any = false;
		while (io_.poll_event(e)) {
			dp_.on_event(e);
			any = true;
		}
		if (!any) {
			const timespec ts{0, 1000000};
			nanosleep(&ts, nullptr);
		}
	}
	if (fatal_) {
		error = "the dataplane refused the start-up commands";
		return false;
	}
	if (ready_.session_capacity != 0)
		calls_->l2tp().set_session_index_mask(ready_.session_capacity - 1);
	spdlog::info("attached to the dataplane: boot id {:#x}, {} session slots, {} tunnel slots, {} port(s)",
	             ready_.boot_id, ready_.session_capacity, ready_.tunnel_capacity, ready_.port_count);
	return true;
}

bool daemon::allowed(const udp_endpoint &from) const {
	if (cfg_.lacs.empty())
		return true;
	cfg::ip_address a;
	a.family = from.v6 ? 6 : 4;
	std::copy(from.addr.begin(), from.addr.end(), a.bytes.begin());
	return cfg_.find_lac(a) != nullptr;
}

uint16_t daemon::port_for(const udp_endpoint &peer) const {
	auto it = routes_.find(key_of(peer));
	return it != routes_.end() ? it->second.port : cfg_.access_port();
}

template <typename... Args> void daemon::peer_log(int level, const char *fmt, Args &&...args) {
	uint64_t suppressed = 0;
	if (!peer_limiter_.allow(timers_.now(), suppressed))
		return;
	std::string line = fmt::vformat(fmt, fmt::make_format_args(args...));
	if (suppressed)
		line += fmt::format(" ({} similar lines suppressed)", suppressed);
	spdlog::log(static_cast<spdlog::level::level_enum>(level), "{}", line);
}

void daemon::handle_punt(std::span<const uint8_t> data) {
	auto p = parse_punt(data);
	if (!p) {
		++counters_.punt_errors[static_cast<unsigned>(p.error())];
		peer_log(spdlog::level::debug, "punted packet dropped: {}", to_string(p.error()));
		return;
	}
	if (!allowed(p->from)) {
		++counters_.rx_peer_not_allowed;
		peer_log(spdlog::level::warn, "L2TP from {} dropped: no [[lac]] admits this address", describe(p->from));
		return;
	}
	if (p->to.v6 != local_.v6 || p->to.addr != local_.addr || p->to.port != local_.port) {
		++counters_.rx_not_local;
		peer_log(spdlog::level::debug, "L2TP from {} to {} dropped: not the LNS address {}", describe(p->from),
		         describe(p->to), describe(local_));
		return;
	}
	const peer_key k = key_of(p->from);
	if (routes_.size() < 65536 || routes_.contains(k))
		routes_[k] = l2_route_from(*p);
	if (!debug_tunnel_.empty() || !debug_session_.empty()) {
		const auto tid = static_cast<uint16_t>(p->meta.tunnel_id);
		uint32_t mask = debug_mask_tunnel(tid);
		if (auto it = debug_session_.find({tid, static_cast<uint16_t>(p->meta.session_id)}); it != debug_session_.end())
			mask |= it->second;
		const bool control = p->meta.reason == ring::punt_reason::l2tp_control;
		if (mask & (control ? mgmt::debug_control : mgmt::debug_ppp))
			spdlog::info("debug {}/{}: rx {} bytes from {} ({})", tid, p->meta.session_id, p->datagram.size(),
			             describe(p->from), control ? "control" : fmt::format("ppp {:#06x}", p->meta.ppp_protocol));
	}
	if (!stale_.empty() && p->meta.reason == ring::punt_reason::l2tp_control &&
	    handle_stale_control(p->from, p->datagram))
		return;
	++counters_.rx_datagrams;
	// An ICRQ is answered with an ICRP only after the library prepared the session in the
	// dataplane (call_manager::session_answered → ring_dataplane::prepare_session): the
	// add_session command is in the ring before the ICRP is injected.
	calls_->receive(p->from, p->datagram);
}

void daemon::send_datagram(const udp_endpoint &to, std::span<const uint8_t> datagram) {
	const size_t n = build_udp_packet(local_, to, datagram, tx_buf_, ip_id_++);
	if (!n) {
		++counters_.tx_build_failed;
		peer_log(spdlog::level::warn, "datagram of {} bytes to {} cannot be sent", datagram.size(), describe(to));
		return;
	}
	ring::inject_meta meta{};
	meta.magic = ring::inject_meta_magic;
	meta.version = ring::inject_meta_version;
	meta.session_index = UINT32_MAX;
	std::span<const uint8_t> l2;
	auto it = routes_.find(key_of(to));
	if (it != routes_.end()) {
		meta.kind = ring::inject_kind::ethernet;
		meta.out_port = it->second.port;
		l2 = std::span<const uint8_t>(it->second.header.data(), it->second.l2_len);
	} else {
		meta.kind = ring::inject_kind::ip;
		meta.out_port = cfg_.access_port();
		++counters_.tx_via_ip;
	}
	if (!io_.inject(meta, l2, std::span<const uint8_t>(tx_buf_.data(), n))) {
		++counters_.tx_inject_failed;
		peer_log(spdlog::level::warn, "inject to {} failed (no mbuf or inject ring full)", describe(to));
		return;
	}
	++counters_.tx_datagrams;
}

unsigned daemon::poll(time_point now) {
	unsigned work = timers_.advance_to(now);
	expire_stale_tunnels(now);
	work += io_.drain_punts(256, [this](std::span<const uint8_t> d) { handle_punt(d); });
	ring::event e;
	for (unsigned i = 0; i < 256 && io_.poll_event(e); i++, work++)
		dp_.on_event(e);
	work += dp_.pump();
	if (mgmt_)
		work += static_cast<unsigned>(mgmt_->on_readable());
	if (mgmt_ro_)
		work += static_cast<unsigned>(mgmt_ro_->on_readable());
	return work;
}

void daemon::begin_shutdown() {
	if (shutting_down_)
		return;
	shutting_down_ = true;
	shutdown_deadline_ = timers_.now() + duration(cfg_.cp.shutdown_timeout_ms);
	std::vector<tunnel_id_v2> ids;
	calls_->l2tp().for_each_tunnel([&](tunnel &t) { ids.push_back(t.local_id()); });
	spdlog::info("shutting down: StopCCN to {} tunnel(s)", ids.size());
	for (tunnel_id_v2 id : ids)
		calls_->l2tp().clear_tunnel(id, ctl::result_codes::stopccn_general_clear);
}

bool daemon::shutdown_done() const {
	return shutting_down_ && calls_->l2tp().tunnel_count() == 0 && calls_->link_count() == 0 && dp_.idle();
}

daemon::users_reload daemon::reload_users() {
	users_reload out;
	const std::string &path = cfg_.lns.users_file;
	out.users = auth_.db().size();
	if (path.empty()) {
		++counters_.users_reload_failures;
		out.message = "no lns.users_file configured (authentication = \"none\")";
		spdlog::warn("reload: {}; nothing to reload", out.message);
		return out;
	}
	const size_t before = out.users;
	if (auto r = auth_.reload(); !r) {
		++counters_.users_reload_failures;
		out.message = r.error().line ? fmt::format("users file {}:{}: {}", path, r.error().line,
		                                           aaa::to_string(r.error().code))
		                             : fmt::format("users file {}: {}", path, aaa::to_string(r.error().code));
		out.message += fmt::format("; the previous {} user(s) are kept", before);
		spdlog::error("reload: {}", out.message);
		return out;
	}
	++counters_.users_reloads;
	out.ok = true;
	out.users = auth_.db().size();
	out.message = fmt::format("users file {}: {} user(s) (was {})", path, out.users, before);
	spdlog::info("reload: {}; sessions up are not affected", out.message);
	return out;
}

void daemon::run(const volatile std::sig_atomic_t *stop, volatile std::sig_atomic_t *reload) {
	const uint32_t max_idle = cfg_.cp.idle_max_sleep_us;
	for (;;) {
		const time_point now = steady_now();
		if (reload && *reload) {
			*reload = 0;
			(void)reload_users(); // logged
		}
		if (now >= next_alive_check_) {
			next_alive_check_ = now + duration(500);
			if (!io_.alive()) {
				spdlog::critical("the dataplane is stopping or gone; exiting without touching its rings");
				fatal_ = true;
				break;
			}
		}
		const unsigned work = poll(now);
		if (fatal_)
			break;
		if (*stop && !shutting_down_)
			begin_shutdown();
		if (shutting_down_ && (shutdown_done() || now >= shutdown_deadline_)) {
			if (!shutdown_done())
				spdlog::warn("shutdown timeout: {} tunnel(s) unacknowledged, {} dataplane command(s) pending",
				             calls_->l2tp().tunnel_count(), dp_.queued() + dp_.in_flight());
			break;
		}
		if (work) {
			idle_us_ = 0;
			continue;
		}
		idle_us_ = idle_us_ ? std::min(idle_us_ * 2, max_idle) : std::min<uint32_t>(10, max_idle);
		int64_t sleep_us = idle_us_;
		const time_point next = timers_.next_deadline();
		if (next != time_point::max())
			sleep_us = std::min<int64_t>(sleep_us, std::max<int64_t>(0, (next - now).count() * 1000));
		if (sleep_us <= 0)
			continue;
		++counters_.idle_sleeps;
		const timespec ts{static_cast<time_t>(sleep_us / 1000000), static_cast<long>(sleep_us % 1000000) * 1000};
		pollfd pfd[2] = {{mgmt_ ? mgmt_->fd() : -1, POLLIN, 0}, {mgmt_ro_ ? mgmt_ro_->fd() : -1, POLLIN, 0}};
		ppoll(pfd, 2, &ts, nullptr); // EINTR (a signal) just ends the sleep
	}
	if (fatal_) {
		// Nothing can be sent to a dataplane that is gone: drop the library's state without
		// letting it queue removals (the ring port ignores them from here on).
		dp_.detach();
		calls_.reset();
		return;
	}
	// Nothing is left to adopt: every call ended (or is removed just below).
	if (store_) {
		detach_store();
		store_->clear();
	}
	// The library's destructor removes the sessions it installed or prepared.
	calls_.reset();
	dp_.remove_all();
	const time_point flush_deadline = steady_now() + duration(1000);
	while (!dp_.idle() && steady_now() < flush_deadline && io_.alive()) {
		timers_.advance_to(steady_now());
		dp_.pump();
		ring::event e;
		while (io_.poll_event(e))
			dp_.on_event(e);
		const timespec ts{0, 200000};
		nanosleep(&ts, nullptr);
	}
	if (!dp_.idle())
		spdlog::warn("{} dataplane command(s) unanswered at exit", dp_.queued() + dp_.in_flight());
}

} // namespace l2tpx::cp::daemon
