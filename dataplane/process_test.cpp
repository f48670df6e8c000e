// Starts the real l2tpx-dataplane binary on net_null ports (--no-huge), checks that it
// comes up, answers DPDK telemetry under /l2tpx/..., and stops cleanly on SIGTERM and
// SIGINT with exit status 0; a broken config exits 1 with the line named.
#include "dataplane/test_process.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using l2tpx::dp::test::process;

std::string write_config(const std::string &prefix, const std::string &extra = "") {
	const std::string path = "/tmp/" + prefix + ".toml";
	std::ofstream f(path);
	f << "[dataplane]\nworker_lcores = []\nfile_prefix = \"" << prefix << R"("
mbuf_pool_size = 2047
mbuf_cache_size = 32
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
idle_max_sleep_us = 1000
[[port]]
name = "access0"
devargs = "net_null0,no-rx=1"
role = "access"
addresses = ["192.0.2.1/24"]
[[port]]
name = "core0"
devargs = "net_null1,no-rx=1"
role = "core"
addresses = ["198.51.100.1/24"]
gateway = "198.51.100.254"
neighbours = [{ address = "198.51.100.254", mac = "02:00:00:00:01:fe" }]
)" << extra;
	return path;
}

// EAL's runtime folder: /var/run/dpdk for root, else $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk.
std::string runtime_dir(const std::string &prefix) {
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const std::string base = geteuid() == 0 ? "/var/run" : (xdg ? xdg : "/tmp");
	return base + "/dpdk/" + prefix;
}

std::string telemetry(const std::string &prefix, const std::string &cmd) {
	const std::string path = runtime_dir(prefix) + "/dpdk_telemetry.v2";
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", path.c_str());
	if (connect(s, reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0) {
		close(s);
		return "connect failed: " + std::string(std::strerror(errno)) + " (" + path + ")";
	}
	char buf[65536];
	(void)!read(s, buf, sizeof(buf)); // greeting
	(void)!write(s, cmd.data(), cmd.size());
	const ssize_t n = read(s, buf, sizeof(buf));
	close(s);
	return n > 0 ? std::string(buf, size_t(n)) : "";
}

std::string prefix_for(const char *what) { return "l2tpx-dp-proc-" + std::string(what) + "-" + std::to_string(getpid()); }

// Removes the EAL runtime folder and the config, also when a test fails half-way.
struct cleanup {
	std::string prefix;
	~cleanup() {
		std::error_code ec;
		std::filesystem::remove_all(runtime_dir(prefix), ec);
		std::filesystem::remove("/tmp/" + prefix + ".toml", ec);
	}
};

TEST(dataplane_process, starts_serves_telemetry_and_stops_on_sigterm) {
	const std::string prefix = prefix_for("term");
	cleanup guard{prefix};
	const std::string conf = write_config(prefix);
	process p({L2TPX_DATAPLANE_BIN, "-c", conf, "--", "--no-huge", "-m", "512", "--log-level=*:error"});
	ASSERT_TRUE(p.wait_for("running")) << p.log();
	const std::string stats = telemetry(prefix, "/l2tpx/stats");
	EXPECT_NE(stats.find("\"session_capacity\":1024"), std::string::npos) << stats;
	const std::string ports = telemetry(prefix, "/l2tpx/ports");
	EXPECT_NE(ports.find("\"access0\""), std::string::npos) << ports;
	EXPECT_NE(ports.find("\"core\""), std::string::npos) << ports;
	const std::string drops = telemetry(prefix, "/l2tpx/drops");
	EXPECT_NE(drops.find("\"unknown_session\":0"), std::string::npos) << drops;
	const std::string neigh = telemetry(prefix, "/l2tpx/neighbours");
	EXPECT_NE(neigh.find("198.51.100.254 02:00:00:00:01:fe static"), std::string::npos) << neigh;
	EXPECT_EQ(p.stop(SIGTERM), 0) << p.log();
	EXPECT_NE(p.log().find("stopped"), std::string::npos) << p.log();
}

TEST(dataplane_process, installs_static_l2tpv3_sessions) {
	const std::string prefix = prefix_for("static");
	cleanup guard{prefix};
	const std::string conf = write_config(prefix, R"(
[[port]]
name = "lan"
devargs = "net_null2,no-rx=1"
role = "attachment"
[[static_tunnel]]
tunnel_id = 10
peer_tunnel_id = 20
local = "192.0.2.1"
remote = "192.0.2.2"
[[static_session]]
tunnel_id = 10
session_id = 100
peer_session_id = 200
cookie = "0x0a0b0c0d"
peer_cookie = "0x01020304"
attachment_port = "lan"
)");
	// The peer's MAC comes from a static neighbour: the session is up at once.
	std::string text;
	{
		std::ifstream in(conf);
		text.assign(std::istreambuf_iterator<char>(in), {});
	}
	const std::string needle = "addresses = [\"192.0.2.1/24\"]";
	text.insert(text.find(needle) + needle.size(), "\nneighbours = [{ address = \"192.0.2.2\", mac = \"02:00:00:00:00:02\" }]");
	std::ofstream(conf) << text;
	process p({L2TPX_DATAPLANE_BIN, "-c", conf, "--", "--no-huge", "-m", "512", "--log-level=*:error"});
	ASSERT_TRUE(p.wait_for("running")) << p.log();
	const std::string all = telemetry(prefix, "/l2tpx/sessions");
	EXPECT_NE(all.find("\"count\":1"), std::string::npos) << all;
	EXPECT_NE(all.find("[100]"), std::string::npos) << all;
	const std::string one = telemetry(prefix, "/l2tpx/sessions,100");
	EXPECT_NE(one.find("\"state\":\"up\""), std::string::npos) << one;
	EXPECT_NE(one.find("\"origin\":\"static\""), std::string::npos) << one;
	EXPECT_NE(one.find("\"pseudowire\":\"eth\""), std::string::npos) << one;
	const std::string tunnels = telemetry(prefix, "/l2tpx/tunnels");
	EXPECT_NE(tunnels.find("\"count\":1"), std::string::npos) << tunnels;
	const size_t open = tunnels.find("\"indexes\":[");
	ASSERT_NE(open, std::string::npos) << tunnels;
	const std::string tunnel =
	    telemetry(prefix, "/l2tpx/tunnels," + std::to_string(std::strtoul(tunnels.c_str() + open + 11, nullptr, 10)));
	EXPECT_NE(tunnel.find("\"local_tunnel_id\":10"), std::string::npos) << tunnel;
	EXPECT_NE(tunnel.find("\"sessions\":1"), std::string::npos) << tunnel;
	EXPECT_NE(tunnel.find("\"origin\":\"static\""), std::string::npos) << tunnel;
	EXPECT_NE(tunnel.find("\"rx_packets\":0"), std::string::npos) << tunnel;
	EXPECT_EQ(telemetry(prefix, "/l2tpx/tunnels,9999").find("\"index\""), std::string::npos);
	// 2^32 + 100 must not wrap onto session 100; nor may signs or trailing text pass.
	for (const char *bad : {"/l2tpx/sessions,4294967396", "/l2tpx/sessions,-1", "/l2tpx/sessions,100x"})
		EXPECT_EQ(telemetry(prefix, bad).find("\"index\""), std::string::npos) << bad;
	EXPECT_EQ(p.stop(SIGTERM), 0) << p.log();
}

TEST(dataplane_process, stops_on_sigint_with_a_worker_lcore) {
	const std::string prefix = prefix_for("int");
	cleanup guard{prefix};
	const std::string conf = write_config(prefix);
	process p({L2TPX_DATAPLANE_BIN, "-c", conf, "--", "--no-huge", "-m", "512", "--lcores=(0-1)@(0-1)",
	           "--log-level=*:error"});
	ASSERT_TRUE(p.wait_for("running")) << p.log();
	EXPECT_EQ(p.stop(SIGINT), 0) << p.log();
}

TEST(dataplane_process, config_error_exits_1_naming_the_line) {
	const std::string prefix = prefix_for("bad");
	cleanup guard{prefix};
	const std::string conf = write_config(prefix, "\n[[port]]\nname = \"x\"\ndevargs = \"net_null9\"\nrole = \"edge\"\n");
	process p({L2TPX_DATAPLANE_BIN, "-c", conf});
	EXPECT_EQ(p.wait_exit(), 1);
	EXPECT_NE(p.log().find(".toml:26:"), std::string::npos) << p.log();
	EXPECT_NE(p.log().find("port[2].role"), std::string::npos) << p.log();
}

TEST(dataplane_process, missing_device_exits_2) {
	const std::string prefix = prefix_for("nodev");
	cleanup guard{prefix};
	const std::string conf = write_config(prefix);
	// --no-vdev-like: drop the devices by asking EAL for none (the config's --vdev remain,
	// so use a port name that does not exist instead).
	std::ofstream(conf, std::ios::app) << "\n[[port]]\nname = \"ghost\"\ndevargs = \"0000:ff:1f.7\"\nrole = \"core\"\n";
	process p({L2TPX_DATAPLANE_BIN, "-c", conf, "--", "--no-huge", "-m", "512", "--no-pci", "--log-level=*:error"});
	EXPECT_EQ(p.wait_exit(), 2) << p.log();
	EXPECT_NE(p.log().find("ghost"), std::string::npos) << p.log();
}

} // namespace
