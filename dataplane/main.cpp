// l2tpx-dataplane: the DPDK primary process.
//
//   l2tpx-dataplane -c FILE [--check] [-v] [-- EXTRA_EAL_ARGS...]
//
// Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 for a configuration error,
// 2 when EAL or the runtime cannot start.
#include "dataplane/eal_args.hpp"
#include "dataplane/runtime.hpp"
#include "shared/config/config_loader.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

namespace {

void usage(const char *argv0) {
	std::fprintf(stderr,
	             "usage: %s -c CONFIG [--check] [-v|--verbose] [-- EAL_ARGS...]\n"
	             "  -c, --config FILE  dataplane configuration (TOML)\n"
	             "  --check            validate the configuration and print the EAL arguments, then exit\n"
	             "  -v, --verbose      debug logging\n"
	             "  EAL_ARGS           appended to the EAL arguments built from the configuration\n",
	             argv0);
}

void on_signal(int) { l2tpx::dp::runtime::request_stop(); }

} // namespace

int main(int argc, char **argv) {
	std::string config_path;
	bool check = false;
	std::vector<std::string> eal_extra;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if ((a == "-c" || a == "--config") && i + 1 < argc) {
			config_path = argv[++i];
		} else if (a == "--check") {
			check = true;
		} else if (a == "-v" || a == "--verbose") {
			spdlog::set_level(spdlog::level::debug);
		} else if (a == "-h" || a == "--help") {
			usage(argv[0]);
			return 0;
		} else if (a == "--") {
			for (i++; i < argc; i++)
				eal_extra.emplace_back(argv[i]);
		} else {
			usage(argv[0]);
			return 1;
		}
	}
	if (config_path.empty()) {
		usage(argv[0]);
		return 1;
	}
	// One file configures the whole concentrator.
	l2tpx::cfg::load_options opts;
	opts.extra_tables = l2tpx::cfg::controlplane_tables;
	auto conf = l2tpx::cfg::load_file(config_path, opts);
	if (!conf) {
		spdlog::error("{}", conf.error().to_string());
		return 1;
	}
	const auto eal_args = l2tpx::dp::build_eal_args(*conf, argv[0], eal_extra);
	std::string joined;
	for (const auto &s : eal_args)
		joined += (joined.empty() ? "" : " ") + s;
	if (check) {
		std::printf("configuration OK: %zu port(s), %zu static tunnel(s), %zu static session(s)\nEAL: %s\n",
		            conf->ports.size(), conf->static_tunnels.size(), conf->static_sessions.size(), joined.c_str());
		return 0;
	}
	spdlog::info("l2tpx-dataplane starting: EAL {}", joined);

	std::vector<char *> eal_argv;
	std::vector<std::string> storage = eal_args;
	for (auto &s : storage)
		eal_argv.push_back(s.data());
	eal_argv.push_back(nullptr);
	if (rte_eal_init(static_cast<int>(storage.size()), eal_argv.data()) < 0) {
		spdlog::error("EAL init failed: {}", rte_strerror(rte_errno));
		return 2;
	}
	struct sigaction sa {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);

	int rc = 0;
	{
		l2tpx::dp::runtime rt;
		std::string err;
		if (!rt.setup(*conf, err)) {
			spdlog::error("setup failed: {}", err);
			rc = 2;
		} else {
			spdlog::info("running (SIGINT/SIGTERM to stop)");
			rt.run();
		}
		rt.teardown();
	}
	rte_eal_cleanup();
	spdlog::info("stopped");
	return rc;
}
