// l2tpx-controlplane: the LNS control plane process (docs/controlplane.md).
//
//   l2tpx-controlplane -c lns.toml [--check] [-v] [-- EAL args...]
//
// Reads the dataplane's configuration file and its own tables, attaches to the running
// l2tpx-dataplane as a DPDK secondary process, and runs until SIGINT/SIGTERM, when it
// tears every tunnel down with StopCCN before exiting. SIGHUP re-reads the users file. Exit codes: 0 stopped, 1 bad
// configuration, 2 cannot attach, 3 the dataplane went away (or restarted) under it.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "controlplane/daemon/daemon.hpp"
#include "controlplane/daemon/dpdk_attach.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t reload_requested = 0;

void on_signal(int) { stop_requested = 1; }
void on_hup(int) { reload_requested = 1; }

void usage(const char *prog) {
	std::fprintf(stderr,
	             "usage: %s -c FILE [--check] [-v] [-- EAL args...]\n"
	             "  -c, --config FILE  TOML file shared with l2tpx-dataplane ([controlplane], [lns], [[lac]], [[pool]])\n"
	             "  --check            validate the configuration and the users file, then exit\n"
	             "  -v, --verbose      debug logging (overrides controlplane.log_level)\n",
	             prog);
}

} // namespace

int main(int argc, char **argv) {
	using namespace l2tpx::cp;
	std::string config_path;
	bool check = false, verbose = false;
	std::vector<std::string> eal_extra;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if ((a == "-c" || a == "--config") && i + 1 < argc) {
			config_path = argv[++i];
		} else if (a == "--check") {
			check = true;
		} else if (a == "-v" || a == "--verbose") {
			verbose = true;
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
	auto conf = daemon::load_file(config_path);
	if (!conf) {
		spdlog::error("{}", conf.error().to_string());
		return 1;
	}
	spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::from_str(conf->cp.log_level));

	aaa::user_db users;
	if (!conf->lns.users_file.empty()) {
		auto db = aaa::user_db::load_file(conf->lns.users_file);
		if (!db) {
			if (db.error().line)
				spdlog::error("users file {}:{}: {}", conf->lns.users_file, db.error().line,
				              aaa::to_string(db.error().code));
			else
				spdlog::error("users file {}: {}", conf->lns.users_file, aaa::to_string(db.error().code));
			return 1;
		}
		users = std::move(*db);
	}
	if (check) {
		std::printf("configuration OK: %zu pool(s), %zu LAC(s), %zu user(s), file prefix \"%s\"\n", conf->pools.size(),
		            conf->lacs.size(), users.size(), conf->dataplane.dataplane.file_prefix.c_str());
		return 0;
	}
	if (conf->lacs.empty())
		spdlog::warn("no [[lac]] configured: tunnels are accepted from any address");
	aaa::local_authenticator auth(std::move(users), conf->lns.users_file);

	daemon::attach_options ao;
	ao.file_prefix = conf->dataplane.dataplane.file_prefix;
	ao.lcore = conf->cp.lcore;
	ao.eal_args = conf->cp.eal_args;
	ao.eal_args.insert(ao.eal_args.end(), eal_extra.begin(), eal_extra.end());
	ao.program = argv[0];
	std::string err;
	auto io = daemon::dpdk_attachment::attach(ao, err);
	if (!io) {
		spdlog::error("{}", err);
		return 2;
	}
	struct sigaction sa {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	struct sigaction hup {};
	hup.sa_handler = on_hup;
	sigemptyset(&hup.sa_mask);
	sigaction(SIGHUP, &hup, nullptr); // re-read the users file
	std::signal(SIGPIPE, SIG_IGN);

	int rc = 0;
	{
		system_random rng;
		daemon::daemon d(*conf, *io, rng, auth);
		if (!d.attach(err, duration(conf->cp.command_timeout_ms * 5))) {
			spdlog::error("{}", err);
			rc = 2;
		} else if (!d.open_mgmt(err)) {
			spdlog::error("management socket: {}", err);
			rc = 2;
		} else {
			spdlog::info("l2tpx-controlplane running: LNS \"{}\" (SIGINT/SIGTERM to stop, SIGHUP to re-read the users file)", conf->lns.host_name);
			d.run(&stop_requested, &reload_requested);
			if (d.dataplane_lost()) {
				io->abandon();
				rc = 3;
			}
		}
	}
	io.reset();
	spdlog::info("stopped");
	return rc;
}
