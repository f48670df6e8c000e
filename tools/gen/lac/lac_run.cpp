#include "tools/gen/lac/lac_run.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "controlplane/call_manager.hpp"
#include "shared/l2tp/l2tpv2.hpp"
#include "tools/gen/lac/echo_packet.hpp"

namespace l2tpx::gen::lac {

namespace {

using namespace std::chrono_literals;

uint64_t now_ns() {
	return static_cast<uint64_t>(
	    std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
	        .count());
}
cp::time_point to_time_point(uint64_t ns) { return cp::time_point{cp::duration{static_cast<int64_t>(ns / 1000000)}}; }
double seconds(uint64_t from_ns, uint64_t to_ns) { return to_ns > from_ns ? double(to_ns - from_ns) / 1e9 : 0; }

enum class call_phase : uint8_t { pending, dialing, up, failed, down };

struct call {
	uint32_t tunnel_index = 0; // 0-based
	uint32_t in_tunnel = 0;    // 0-based
	call_phase phase = call_phase::pending;
	tunnel_id_v2 tid{};
	session_id_v2 sid{};
	uint64_t dialled_ns = 0;
	uint32_t address = 0; // IPCP address, host order
	uint16_t seq = 0;
};

uint32_t key_of(tunnel_id_v2 t, session_id_v2 s) { return uint32_t(t.value) << 16 | s.value; }

std::string cause_text(const char *what, const cp::disconnect_cause &c) {
	return std::string(what) + " result " + std::to_string(c.result) + " error " + std::to_string(c.error) +
	       (c.local ? " (local)" : " (from LNS)");
}

class udp_socket {
public:
	~udp_socket() {
		if (fd_ >= 0)
			::close(fd_);
	}
	std::string open(cp::ipv4_addr local, uint16_t port) {
		fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd_ < 0)
			return std::string("socket: ") + std::strerror(errno);
		const int buf = 8 << 20;
		// Best effort: large buffers absorb the bursts of 1000 sessions' echoes.
		(void)::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
		(void)::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_port = htons(port);
		sa.sin_addr.s_addr = htonl(local.value);
		if (::bind(fd_, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0)
			return "bind " + cp::to_string(local) + ":" + std::to_string(port) + ": " + std::strerror(errno);
		socklen_t len = sizeof sa;
		if (::getsockname(fd_, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
			return std::string("getsockname: ") + std::strerror(errno);
		bound_port_ = ntohs(sa.sin_port);
		return {};
	}
	int fd() const noexcept { return fd_; }
	uint16_t port() const noexcept { return bound_port_; }
	bool send(const cp::udp_endpoint &to, std::span<const uint8_t> d) {
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_port = htons(to.port);
		sa.sin_addr.s_addr = htonl(to.ipv4().value);
		return ::sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<sockaddr *>(&sa), sizeof sa) ==
		       static_cast<ssize_t>(d.size());
	}
	// Returns the datagram length, -1 when nothing is waiting.
	ssize_t receive(std::span<uint8_t> buf, cp::udp_endpoint &from) {
		sockaddr_in sa{};
		socklen_t len = sizeof sa;
		const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr *>(&sa), &len);
		if (n < 0)
			return -1;
		from = cp::udp_endpoint::v4(cp::ipv4_addr{ntohl(sa.sin_addr.s_addr)}, ntohs(sa.sin_port));
		return n;
	}

private:
	int fd_ = -1;
	uint16_t bound_port_ = 0;
};

class runner {
public:
	runner(const lac_options &o, const std::atomic<bool> &stop, const std::function<void(const run_outcome &)> &report)
	    : o_(o), stop_(stop), report_(report) {}

	run_outcome run() {
		if (auto e = sock_.open(o_.local, o_.local_port); !e.empty()) {
			out_.fatal = e;
			return std::move(out_);
		}
		build_calls();
		timers_ = std::make_unique<cp::timer_service>(to_time_point(now_ns()));
		make_call_manager();
		setup_phase();
		if (o_.target && !stop_.load() && o_.duration_s > 0)
			traffic_phase();
		finish_stats();
		if (report_)
			report_(out_);
		if (o_.hold && !stop_.load()) {
			std::fprintf(stderr, "l2tpx-lac: holding the sessions; SIGINT or SIGTERM tears them down\n");
			while (!stop_.load())
				pump(100);
		}
		teardown_phase();
		return std::move(out_);
	}

private:
	void build_calls() {
		calls_.resize(o_.total_sessions());
		out_.calls.resize(calls_.size());
		for (uint32_t i = 0; i < calls_.size(); ++i) {
			calls_[i].tunnel_index = i / o_.sessions_per_tunnel;
			calls_[i].in_tunnel = i % o_.sessions_per_tunnel;
		}
		tunnels_.assign(o_.tunnels, tunnel_id_v2{});
	}

	void make_call_manager() {
		cp::call_manager::config cfg;
		cfg.l2tp.local_role = cp::role::lac;
		cfg.l2tp.local = cp::udp_endpoint::v4(o_.local, sock_.port());
		cfg.l2tp.tunnel.host_name = o_.host_name;
		cfg.l2tp.tunnel.secrets.default_secret = o_.tunnel_secret;
		cfg.l2tp.tunnel.max_sessions = static_cast<uint16_t>(std::min<uint32_t>(o_.sessions_per_tunnel + 64, 65535));
		cfg.l2tp.limits.max_tunnels = o_.tunnels + 16;
		cfg.l2tp.limits.max_tunnels_per_peer = o_.tunnels + 16;
		cfg.ppp.enable_ipv6cp = false;
		cfg.ppp.lcp.accept_pap = o_.auth != ppp_auth::chap;
		cfg.ppp.lcp.accept_chap = o_.auth != ppp_auth::pap;
		cfg.ppp_for_call = [this](const cp::session &s) {
			cp::ppp::ppp_link_config pc = base_ppp_;
			auto it = index_.find(key_of(s.owner().local_id(), s.local_id()));
			if (it != index_.end()) {
				const call &c = calls_[it->second];
				const uint32_t n = it->second + 1, t = c.tunnel_index + 1, sn = c.in_tunnel + 1;
				pc.auth.user = expand_pattern(o_.user_pattern, n, t, sn);
				pc.auth.secret = expand_pattern(o_.password_pattern, n, t, sn);
			}
			return pc;
		};
		base_ppp_ = cfg.ppp;
		cm_ = std::make_unique<cp::call_manager>(
		    *timers_, rng_, cfg, nullptr, nullptr, dp_,
		    [this](const cp::udp_endpoint &to, std::span<const uint8_t> d) {
			    if (!sock_.send(to, d))
				    ++out_.tx_errors;
		    });
		cm_->on_network_up = [this](cp::session &s, cp::ppp::ppp_link &l) {
			auto it = index_.find(key_of(s.owner().local_id(), s.local_id()));
			if (it == index_.end())
				return;
			call &c = calls_[it->second];
			if (c.phase != call_phase::dialing)
				return;
			call_stats &st = out_.calls[it->second];
			c.phase = call_phase::up;
			c.address = l.local_ipv4().value;
			st.up = true;
			const uint64_t now = now_ns();
			st.setup_ms = double(now - c.dialled_ns) / 1e6;
			last_up_ns_ = now;
			--outstanding_;
		};
		cm_->on_link_finished = [this](cp::session_key k, cp::ppp::down_reason why) {
			auto it = index_.find(key_of(k.first, k.second));
			if (it == index_.end())
				return;
			call &c = calls_[it->second];
			if (c.phase == call_phase::up) {
				c.phase = call_phase::down;
				if (!tearing_down_)
					out_.calls[it->second].dropped_after_up = 1;
			} else if (c.phase == call_phase::dialing && why != cp::ppp::down_reason::lower_down) {
				fail(it->second, "PPP " + std::string(cp::ppp::to_string(why)));
			}
			// lower_down: the L2TP side ended it; check_dialing() reads the CDN/StopCCN cause.
		};
	}

	void fail(uint32_t i, std::string why) {
		call &c = calls_[i];
		if (c.phase == call_phase::dialing)
			--outstanding_;
		c.phase = call_phase::failed;
		out_.calls[i].failure = std::move(why);
		++resolved_failed_;
	}

	cp::tunnel *usable_tunnel(uint32_t t) {
		if (!tunnels_[t])
			return nullptr;
		cp::tunnel *tp = cm_->l2tp().find_tunnel(tunnels_[t]);
		if (!tp)
			return nullptr;
		const auto st = tp->state();
		if (st == cp::tunnel_state::closing || st == cp::tunnel_state::closed || st == cp::tunnel_state::dead)
			return nullptr;
		return tp;
	}

	void dial(uint32_t i) {
		call &c = calls_[i];
		c.dialled_ns = now_ns();
		if (first_dial_ns_ == 0)
			first_dial_ns_ = c.dialled_ns;
		cp::tunnel *tp = usable_tunnel(c.tunnel_index);
		if (!tp) {
			auto r = cm_->l2tp().open_tunnel(cp::udp_endpoint::v4(o_.lns, o_.lns_port));
			if (!r) {
				c.phase = call_phase::dialing;
				++outstanding_;
				fail(i, r.error() == cp::open_error::over_limit ? "open tunnel: over limit" : "open tunnel: no IDs");
				return;
			}
			tp = *r;
			tunnels_[c.tunnel_index] = tp->local_id();
			++out_.tunnels_opened;
		}
		cp::call_params p;
		p.calling_number = std::to_string(i + 1);
		p.call_serial = i + 1;
		auto s = tp->place_call(std::move(p));
		c.phase = call_phase::dialing;
		++outstanding_;
		if (!s) {
			fail(i, "place call: " + std::string(cp::to_string(s.error())));
			return;
		}
		c.tid = tp->local_id();
		c.sid = (*s)->local_id();
		index_[key_of(c.tid, c.sid)] = i;
	}

	// Calls whose L2TP side ended before PPP came up.
	void check_dialing() {
		for (uint32_t i = 0; i < calls_.size(); ++i) {
			call &c = calls_[i];
			if (c.phase != call_phase::dialing)
				continue;
			cp::tunnel *tp = cm_->l2tp().find_tunnel(c.tid);
			if (!tp) {
				fail(i, "tunnel gone");
				continue;
			}
			const auto ts = tp->state();
			if (ts == cp::tunnel_state::closing || ts == cp::tunnel_state::closed || ts == cp::tunnel_state::dead) {
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

	// One loop iteration: timers, the socket (at most `wait_ms`), timers again.
	void pump(int wait_ms) {
		timers_->advance_to(to_time_point(now_ns()));
		const cp::time_point next = timers_->next_deadline();
		const cp::time_point now = timers_->now();
		if (next != cp::time_point::max() && next > now)
			wait_ms = std::min<int>(wait_ms, static_cast<int>((next - now).count()) + 1);
		else if (next != cp::time_point::max())
			wait_ms = 0;
		pollfd pfd{sock_.fd(), POLLIN, 0};
		::poll(&pfd, 1, wait_ms < 0 ? 0 : wait_ms);
		uint8_t buf[4096];
		cp::udp_endpoint from;
		for (int n = 0; n < 4096; ++n) {
			const ssize_t len = sock_.receive(buf, from);
			if (len < 0)
				break;
			receive(from, std::span<const uint8_t>(buf, static_cast<size_t>(len)));
		}
		timers_->advance_to(to_time_point(now_ns()));
	}

	void receive(const cp::udp_endpoint &from, std::span<const uint8_t> d) {
		auto h = l2tp::parse_v2(d);
		if (h && !h->is_control() && from.ipv4() == o_.lns) {
			if (auto r = parse_echo_reply(h->payload)) {
				auto it = index_.find(key_of(h->tunnel_id, h->session_id));
				if (it == index_.end() || r->call != it->second || calls_[it->second].address != r->dst) {
					++out_.rx_foreign;
					return;
				}
				const uint64_t now = now_ns();
				call_stats &st = out_.calls[it->second];
				++st.received;
				st.rtt(now > r->timestamp_ns ? now - r->timestamp_ns : 0);
				return;
			}
		}
		cm_->receive(from, d);
	}

	void setup_phase() {
		const uint64_t start = now_ns();
		const uint64_t deadline = start + static_cast<uint64_t>(o_.setup_timeout_s * 1e9);
		uint32_t next = 0;
		uint64_t last_check = 0, last_progress = start;
		while (!stop_.load()) {
			const uint64_t now = now_ns();
			if (now - last_progress >= 1'000'000'000) {
				last_progress = now;
				progress("setup", next);
			}
			const uint64_t allowed = 1 + static_cast<uint64_t>(seconds(start, now) * o_.setup_rate);
			while (next < calls_.size() && outstanding_ < o_.max_outstanding && next < allowed)
				dial(next++);
			if (now - last_check > 20'000'000) {
				check_dialing();
				last_check = now;
			}
			if (next == calls_.size() && outstanding_ == 0)
				break;
			if (now >= deadline) {
				for (uint32_t i = 0; i < calls_.size(); ++i)
					if (calls_[i].phase == call_phase::dialing || calls_[i].phase == call_phase::pending)
						fail(i, "setup timeout");
				break;
			}
			pump(next < calls_.size() && outstanding_ < o_.max_outstanding ? 1 : 10);
		}
		if (stop_.load()) {
			out_.interrupted = true;
			for (uint32_t i = 0; i < calls_.size(); ++i)
				if (calls_[i].phase == call_phase::dialing || calls_[i].phase == call_phase::pending)
					fail(i, "interrupted");
		}
		out_.setup_wall_s = seconds(first_dial_ns_, last_up_ns_);
		progress("setup done", next);
	}

	void progress(const char *what, uint32_t dialled) const {
		uint32_t up = 0;
		for (const call &c : calls_)
			up += c.phase == call_phase::up;
		std::fprintf(stderr, "l2tpx-lac: %s: %u dialled, %u up, %u failed, %u in setup\n", what, dialled, up,
		             resolved_failed_, outstanding_);
	}

	void send_echo(uint32_t i) {
		call &c = calls_[i];
		cp::tunnel *tp = cm_->l2tp().find_tunnel(c.tid);
		cp::session *s = tp ? tp->find_session(c.sid) : nullptr;
		if (!s)
			return;
		echo_request req;
		req.src = c.address;
		req.dst = o_.target->value;
		req.ident = static_cast<uint16_t>(i);
		req.sequence = c.seq++;
		req.call = i;
		req.payload_bytes = o_.payload_bytes;
		req.timestamp_ns = now_ns();
		uint8_t frame[1500];
		const size_t len = build_echo_frame(req, frame);
		if (len == 0)
			return;
		const uint64_t errors = out_.tx_errors;
		if (cm_->l2tp().send_ppp(*s, std::span<const uint8_t>(frame, len)) && out_.tx_errors == errors)
			++out_.calls[i].sent;
	}

	void traffic_phase() {
		std::vector<uint32_t> up;
		for (uint32_t i = 0; i < calls_.size(); ++i)
			if (calls_[i].phase == call_phase::up && calls_[i].address)
				up.push_back(i);
		out_.traffic = true;
		if (up.empty())
			return;
		std::fprintf(stderr, "l2tpx-lac: traffic: ICMP echo to %s, %zu sessions x %g/s for %g s\n",
		             cp::to_string(*o_.target).c_str(), up.size(), o_.pps_per_session, o_.duration_s);
		const double total_rate = o_.pps_per_session * double(up.size());
		const uint64_t budget = static_cast<uint64_t>(std::llround(total_rate * o_.duration_s));
		const uint64_t start = now_ns();
		uint64_t sent = 0, rr = 0;
		while (!stop_.load() && sent < budget) {
			const uint64_t due = std::min<uint64_t>(budget, static_cast<uint64_t>(seconds(start, now_ns()) * total_rate) + 1);
			for (int burst = 0; sent < due && burst < 256; ++burst, ++sent) {
				const uint32_t i = up[rr++ % up.size()];
				if (calls_[i].phase == call_phase::up)
					send_echo(i);
			}
			pump(sent < due ? 0 : 1);
		}
		out_.traffic_s = seconds(start, now_ns());
		const uint64_t wait_end = now_ns() + static_cast<uint64_t>(o_.reply_wait_s * 1e9);
		while (!stop_.load() && now_ns() < wait_end)
			pump(5);
		out_.interrupted = out_.interrupted || stop_.load();
	}

	void teardown_phase() {
		tearing_down_ = true;
		std::vector<tunnel_id_v2> open;
		cm_->l2tp().for_each_tunnel([&](cp::tunnel &t) { open.push_back(t.local_id()); });
		for (tunnel_id_v2 id : open)
			cm_->l2tp().clear_tunnel(id);
		// StopCCN is reliable: wait for the acknowledgements (the tunnel then lingers in
		// `closed` to re-ack retransmissions, or is reaped).
		const uint64_t deadline = now_ns() + 10'000'000'000ull;
		auto closing = [&] {
			size_t n = 0;
			for (tunnel_id_v2 id : open)
				if (cp::tunnel *t = cm_->l2tp().find_tunnel(id); t && t->state() == cp::tunnel_state::closing)
					++n;
			return n;
		};
		while (closing() > 0 && now_ns() < deadline)
			pump(10);
		out_.tunnels_closed_clean = static_cast<uint32_t>(open.size() - closing());
	}

	void finish_stats() {
		for (uint32_t i = 0; i < calls_.size(); ++i)
			if (calls_[i].phase == call_phase::pending)
				out_.calls[i].failure = "not dialled";
	}

	const lac_options &o_;
	const std::atomic<bool> &stop_;
	const std::function<void(const run_outcome &)> &report_;
	run_outcome out_;
	udp_socket sock_;
	std::unique_ptr<cp::timer_service> timers_;
	cp::system_random rng_;
	cp::null_dataplane dp_;
	cp::ppp::ppp_link_config base_ppp_;
	std::unique_ptr<cp::call_manager> cm_;
	std::vector<call> calls_;
	std::vector<tunnel_id_v2> tunnels_;
	std::unordered_map<uint32_t, uint32_t> index_; // key_of(tunnel, session) → call index
	uint32_t outstanding_ = 0;
	uint32_t resolved_failed_ = 0;
	uint64_t first_dial_ns_ = 0, last_up_ns_ = 0;
	bool tearing_down_ = false;
};

} // namespace

run_outcome run_lac(const lac_options &o, const std::atomic<bool> &stop,
                    const std::function<void(const run_outcome &)> &report) {
	runner r(o, stop, report);
	return r.run();
}

} // namespace l2tpx::gen::lac
