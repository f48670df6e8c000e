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
#include <array>
#include <memory>

#include "controlplane/call_manager.hpp"
#include "shared/l2tp/l2tpv2.hpp"
#include "tools/gen/lac/call_table.hpp"
#include "tools/gen/lac/echo_packet.hpp"

namespace l2tpx::gen::lac {

namespace {

using namespace std::chrono_literals;

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
	    : o_(o), stop_(stop), report_(report), calls_(layout(o)) {}

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
	static call_layout layout(const lac_options &o) {
		call_layout l;
		l.sessions = o.total_sessions();
		l.sessions_per_tunnel = o.sessions_per_tunnel;
		l.tunnels = o.tunnels;
		l.lacs = 1;
		l.lns = cp::udp_endpoint::v4(o.lns, o.lns_port);
		return l;
	}

	void build_calls() {
		out_.calls.resize(calls_.size());
		seq_.assign(calls_.size(), 0);
		calls_.on_fail([this](uint32_t i, const std::string &why) { out_.calls[i].failure = why; });
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
			if (auto i = calls_.find(0, s.owner().local_id(), s.local_id())) {
				const call &c = calls_[*i];
				const uint32_t n = *i + 1, t = c.tunnel_index + 1, sn = c.in_tunnel + 1;
				pc.auth.user = expand_pattern(o_.user_pattern, n, t, sn);
				pc.auth.secret = expand_pattern(o_.password_pattern, n, t, sn);
			}
			return pc;
		};
		base_ppp_ = cfg.ppp;
		cms_[0] = std::make_unique<cp::call_manager>(
		    *timers_, rng_, cfg, nullptr, nullptr, dp_,
		    [this](const cp::udp_endpoint &to, std::span<const uint8_t> d) {
			    if (!sock_.send(to, d))
				    ++out_.tx_errors;
		    });
		calls_.attach(cms_);
		cms_[0]->on_network_up = [this](cp::session &s, cp::ppp::ppp_link &l) {
			if (auto i = calls_.network_up(0, s, l.local_ipv4().value)) {
				call_stats &st = out_.calls[*i];
				st.up = true;
				st.setup_ms = calls_[*i].setup_ms;
			}
		};
		cms_[0]->on_link_finished = [this](cp::session_key k, cp::ppp::down_reason why) {
			uint32_t i = 0;
			if (calls_.link_finished(0, k, why, i) == link_end::went_down && !tearing_down_)
				out_.calls[i].dropped_after_up = 1;
		};
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
				auto i = calls_.find(0, h->tunnel_id, h->session_id);
				if (!i || r->call != *i || calls_[*i].address != r->dst) {
					++out_.rx_foreign;
					return;
				}
				const uint64_t now = now_ns();
				call_stats &st = out_.calls[*i];
				++st.received;
				st.rtt(now > r->timestamp_ns ? now - r->timestamp_ns : 0);
				return;
			}
		}
		cms_[0]->receive(from, d);
	}

	void setup_phase() {
		std::vector<uint32_t> all(calls_.size());
		for (uint32_t i = 0; i < all.size(); ++i)
			all[i] = i;
		dial_limits lim;
		lim.setup_rate = o_.setup_rate;
		lim.max_outstanding = o_.max_outstanding;
		lim.timeout_ns = static_cast<uint64_t>(o_.setup_timeout_s * 1e9);
		uint64_t last_progress = now_ns();
		const dial_result r = calls_.dial_all(
		    all, lim, stop_, [this](bool more) { pump(more ? 1 : 10); },
		    [&](uint64_t now, size_t dialled) {
			    if (now - last_progress >= 1'000'000'000) {
				    last_progress = now;
				    progress("setup", uint32_t(dialled));
			    }
		    });
		if (r.interrupted)
			out_.interrupted = true;
		out_.setup_wall_s = seconds(calls_.first_dial_ns(), calls_.last_up_ns());
		out_.tunnels_opened = calls_.tunnels_opened();
		progress("setup done", uint32_t(r.dialled));
	}

	void progress(const char *what, uint32_t dialled) const {
		std::fprintf(stderr, "l2tpx-lac: %s: %u dialled, %u up, %u failed, %u in setup\n", what, dialled, calls_.up(),
		             calls_.failed(), calls_.outstanding());
	}

	void send_echo(uint32_t i) {
		call &c = calls_[i];
		cp::tunnel *tp = cms_[0]->l2tp().find_tunnel(c.tid);
		cp::session *s = tp ? tp->find_session(c.sid) : nullptr;
		if (!s)
			return;
		echo_request req;
		req.src = c.address;
		req.dst = o_.target->value;
		req.ident = static_cast<uint16_t>(i);
		req.sequence = seq_[i]++;
		req.call = i;
		req.payload_bytes = o_.payload_bytes;
		req.timestamp_ns = now_ns();
		uint8_t frame[1500];
		const size_t len = build_echo_frame(req, frame);
		if (len == 0)
			return;
		const uint64_t errors = out_.tx_errors;
		if (cms_[0]->l2tp().send_ppp(*s, std::span<const uint8_t>(frame, len)) && out_.tx_errors == errors)
			++out_.calls[i].sent;
	}

	void traffic_phase() {
		const std::vector<uint32_t> up = calls_.up_with_address();
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
		out_.tunnels_closed_clean = clear_all_tunnels(cms_, [this] { pump(10); }, 10'000'000'000ull);
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
	std::array<std::unique_ptr<cp::call_manager>, 1> cms_; // one LAC address
	call_table calls_;
	std::vector<uint16_t> seq_; // next echo sequence number per call
	bool tearing_down_ = false;
};

} // namespace

run_outcome run_lac(const lac_options &o, const std::atomic<bool> &stop,
                    const std::function<void(const run_outcome &)> &report) {
	runner r(o, stop, report);
	return r.run();
}

} // namespace l2tpx::gen::lac
