// l2tpx-lac: socket-based LAC emulator (docs/lab.md).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>

#include <nlohmann/json.hpp>

#include "tools/gen/lac/lac_options.hpp"
#include "tools/gen/lac/lac_run.hpp"

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }
} // namespace

int main(int argc, char **argv) {
	using namespace l2tpx::gen::lac;
	const auto parsed = parse_args(std::span<const char *const>(argv + 1, static_cast<size_t>(argc > 0 ? argc - 1 : 0)));
	if (parsed.help) {
		std::cout << usage("l2tpx-lac");
		return 0;
	}
	if (!parsed.ok()) {
		std::cerr << "l2tpx-lac: " << parsed.error << "\n" << usage("l2tpx-lac");
		return 2;
	}
	const lac_options &o = parsed.options;
	if (o.print_users) {
		for (uint32_t i = 0; i < o.total_sessions(); ++i) {
			const uint32_t t = i / o.sessions_per_tunnel + 1, n = i % o.sessions_per_tunnel + 1;
			std::cout << expand_pattern(o.user_pattern, i + 1, t, n) << ' '
			          << expand_pattern(o.password_pattern, i + 1, t, n) << '\n';
		}
		return 0;
	}
	struct sigaction sa{};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);

	std::fprintf(stderr, "l2tpx-lac: %u sessions over %u tunnels (%u per tunnel) to %s:%u\n", o.total_sessions(),
	             o.tunnels, o.sessions_per_tunnel, l2tpx::cp::to_string(o.lns).c_str(), o.lns_port);
	run_summary s;
	const std::function<void(const run_outcome &)> report = [&](const run_outcome &r) {
		s = summarize(r.calls, r.setup_wall_s, r.traffic, r.traffic_s, o.max_loss_percent);
		if (r.interrupted) {
			s.verdict.push_back("interrupted by a signal");
			s.pass = false;
		}
		std::cout << render_table(s);
		std::printf("%-28s %llu\n", "socket send errors", static_cast<unsigned long long>(r.tx_errors));
		std::printf("%-28s %llu\n", "unmatched echo replies", static_cast<unsigned long long>(r.rx_foreign));
		std::fflush(stdout);
	};
	run_outcome r = run_lac(o, g_stop, report);
	if (!r.fatal.empty()) {
		std::cerr << "l2tpx-lac: " << r.fatal << "\n";
		return 3;
	}
	std::printf("%-28s %u opened, %u closed (StopCCN acknowledged)\n", "tunnels", r.tunnels_opened,
	            r.tunnels_closed_clean);
	if (!o.json_path.empty()) {
		nlohmann::json j = to_json(s);
		j["tunnels"] = {{"opened", r.tunnels_opened}, {"closed_clean", r.tunnels_closed_clean}};
		j["socket_send_errors"] = r.tx_errors;
		j["unmatched_replies"] = r.rx_foreign;
		std::ofstream f(o.json_path);
		f << j.dump(2) << '\n';
		f.flush();
		if (!f) {
			std::cerr << "l2tpx-lac: cannot write " << o.json_path << "\n";
			return 3;
		}
	}
	return s.pass ? 0 : 1;
}
