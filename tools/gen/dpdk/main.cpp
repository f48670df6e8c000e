// l2tpx-gen: the DPDK LAC emulator and traffic generator (docs/generator.md).
#include <csignal>
#include <cstdio>

#include "tools/gen/dpdk/gen_config.hpp"
#include "tools/gen/dpdk/gen_run.hpp"

namespace {
std::atomic<bool> stop_flag{false};
void on_signal(int) { stop_flag.store(true); }
} // namespace

int main(int argc, char **argv) {
	using namespace l2tpx::gen::dpdk;
	const auto parsed = parse_args(std::span<const char *const>(argv + 1, size_t(argc - 1)));
	if (parsed.help) {
		std::fputs(usage(argv[0]).c_str(), stdout);
		return 0;
	}
	if (!parsed.ok()) {
		std::fprintf(stderr, "l2tpx-gen: %s\n%s", parsed.error.c_str(), usage(argv[0]).c_str());
		return exit_usage;
	}
	if (parsed.options.print_users) { // the LNS's users file for these patterns
		const sessions_config &s = parsed.options.cfg.sessions;
		for (uint32_t i = 0; i < s.sessions; ++i) {
			const uint32_t t = i / s.sessions_per_tunnel + 1, n = i % s.sessions_per_tunnel + 1;
			std::printf("%s %s\n", expand_credentials(s.user, i + 1, t, n).c_str(),
			            expand_credentials(s.password, i + 1, t, n).c_str());
		}
		return 0;
	}
	struct sigaction sa {};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	return run_generator(parsed.options, argv[0], stop_flag);
}
