#include "tools/gen/dpdk/gen_config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <unistd.h>

namespace l2tpx::gen::dpdk {
namespace {

constexpr const char *full = R"(
[access]
port = "net_af_packet0,iface=veth0"
lac_addresses = ["198.18.0.2", "198.18.0.3"]
lns = "198.18.0.1"
lns_port = 1701
local_port = 1702
lns_mac = "02:00:00:00:00:01"

[core]
port = "net_af_packet1,iface=veth1"
addresses = ["198.19.0.2"]
next_hop = "198.19.0.1"
udp_port = 7000

[sessions]
tunnels = 4
sessions_per_tunnel = 50
user = "user{session}@lab"
password = "pw-{n}"
auth = "chap"
tunnel_secret = "s3cret"
hide_avps = true
setup_rate = 100.5
max_outstanding = 10
setup_timeout = "30s"
hold = "2s"
data_sequence = true

[traffic]
rate_per_stream = "100pps"
duration = "5s"

[thresholds]
max_loss_percent = 0
min_sessions_up = 200
)";

struct temp_file {
	std::string path;
	explicit temp_file(const std::string &text) {
		char tmpl[] = "/tmp/gen_config_testXXXXXX";
		const int fd = mkstemp(tmpl);
		path = tmpl;
		FILE *f = fdopen(fd, "w");
		std::fputs(text.c_str(), f);
		std::fclose(f);
	}
	~temp_file() { std::remove(path.c_str()); }
};

parse_outcome parse(std::vector<const char *> args) { return parse_args(args); }

TEST(GenConfig, FullFile) {
	temp_file f(full);
	auto r = parse({"-c", f.path.c_str()});
	ASSERT_TRUE(r.ok()) << r.error;
	const gen_config &c = r.options.cfg;
	EXPECT_EQ(c.access.port, "net_af_packet0,iface=veth0");
	ASSERT_EQ(c.access.lac_addresses.size(), 2u);
	EXPECT_EQ(c.access.lac_addresses[1], 0xC6120003u);
	EXPECT_EQ(c.access.lns, 0xC6120001u);
	EXPECT_EQ(c.access.local_port, 1702);
	ASSERT_TRUE(c.access.lns_mac);
	EXPECT_EQ(format_mac(*c.access.lns_mac), "02:00:00:00:00:01");
	EXPECT_EQ(c.core.next_hop, 0xC6130001u);
	EXPECT_EQ(c.core.udp_port, 7000);
	EXPECT_EQ(c.sessions.tunnels, 4u);
	EXPECT_EQ(c.sessions.sessions, 200u); // tunnels x sessions_per_tunnel
	EXPECT_EQ(c.sessions.auth, ppp_auth::chap);
	EXPECT_TRUE(c.sessions.hide_avps);
	EXPECT_DOUBLE_EQ(c.sessions.setup_rate, 100.5);
	EXPECT_EQ(c.sessions.setup_timeout_ms, 30000u);
	EXPECT_EQ(c.sessions.hold_ms, 2000u);
	EXPECT_TRUE(c.sessions.data_sequence);
	EXPECT_EQ(c.run.traffic.duration_ms, 5000u);
	EXPECT_EQ(c.run.limits.min_sessions_up, 200u);
}

TEST(GenConfig, FlagsOverrideTheFile) {
	temp_file f(full);
	auto r = parse({"-c", f.path.c_str(), "--sessions", "150", "--lac", "10.0.0.1", "--rate-total", "1Mpps",
	                "--duration", "1s", "--auth", "pap", "--lns-mac", "02:aa:bb:cc:dd:ee", "--max-loss", "0.5",
	                "--", "-l", "0,1", "--no-huge"});
	ASSERT_TRUE(r.ok()) << r.error;
	const gen_config &c = r.options.cfg;
	EXPECT_EQ(c.sessions.sessions, 150u);
	EXPECT_EQ(c.sessions.tunnels, 4u); // given in the file
	ASSERT_EQ(c.access.lac_addresses.size(), 1u);
	EXPECT_EQ(c.access.lac_addresses[0], 0x0A000001u);
	EXPECT_FALSE(c.run.traffic.rate_per_stream);
	ASSERT_TRUE(c.run.traffic.rate_total);
	EXPECT_EQ(c.run.traffic.duration_ms, 1000u);
	EXPECT_EQ(c.sessions.auth, ppp_auth::pap);
	EXPECT_EQ(format_mac(*c.access.lns_mac), "02:aa:bb:cc:dd:ee");
	EXPECT_EQ(c.run.limits.max_loss_percent, 0.5);
	EXPECT_EQ(r.options.eal_args, (std::vector<std::string>{"-l", "0,1", "--no-huge"}));
}

TEST(GenConfig, SessionsAloneGiveTheTunnels) {
	auto r = parse({"--access-port", "net_null0", "--lac", "198.18.0.2", "--lns", "198.18.0.1", "--core-port",
	                "net_null1", "--core-address", "198.19.0.2", "--core-next-hop", "198.19.0.1", "--sessions", "1001",
	                "--rate", "10"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.cfg.sessions.tunnels, 11u); // 100 per tunnel by default
	EXPECT_EQ(r.options.cfg.sessions.sessions, 1001u);
}

TEST(GenConfig, ErrorsNameTheFieldAndLine) {
	struct bad {
		const char *toml;
		const char *expect;
	};
	const bad cases[] = {
	    {"[access]\nlns = \"198.18.0.300\"\n", "2:7: access.lns: invalid value"},
	    {"[access]\nfoo = 1\n", "access.foo: unknown key"},
	    {"[sessions]\nauth = \"md5\"\n", "sessions.auth: invalid value"},
	    {"[sessions]\nuser = \"u{x}\"\n", "unknown placeholder"},
	    {"[sessions]\ntunnels = 0\n", "sessions.tunnels: value out of range"},
	    {"[core]\nnext_hop_mac = \"02:00\"\n", "core.next_hop_mac: invalid value"},
	    {"[traffic]\nrate_total = \"fast\"\n", "traffic.rate_total"},
	    {"[access]\nport = \"x\"\n", "the [traffic] table is required"},
	    {"[nonsense]\n", "unknown top-level table"},
	};
	for (const bad &b : cases) {
		temp_file f(b.toml);
		auto r = parse({"-c", f.path.c_str()});
		ASSERT_FALSE(r.ok()) << b.toml;
		EXPECT_NE(r.error.find(b.expect), std::string::npos) << r.error;
	}
}

TEST(GenConfig, ValidationCatchesMissingAndInconsistentFields) {
	EXPECT_NE(parse({"--rate", "10"}).error.find("access.port"), std::string::npos);
	auto r = parse({"--access-port", "net_null0", "--lac", "198.18.0.2", "--lns", "198.18.0.1", "--core-port", "net_null1",
	                "--core-address", "198.19.0.2", "--core-next-hop", "198.19.0.1", "--tunnels", "1", "--sessions",
	                "200", "--rate", "10"});
	EXPECT_NE(r.error.find("exceeds tunnels x sessions_per_tunnel"), std::string::npos) << r.error;
	r = parse({"--access-port", "net_null0", "--lac", "198.18.0.2", "--lns", "198.18.0.1", "--core-port", "net_null1",
	           "--core-address", "198.19.0.2", "--core-next-hop", "198.19.0.1", "--hide-avps", "--rate", "10"});
	EXPECT_NE(r.error.find("hide_avps needs"), std::string::npos) << r.error;
	r = parse({"--access-port", "net_null0", "--lac", "198.18.0.2", "--lns", "198.18.0.1", "--core-port", "net_null1",
	           "--core-address", "198.19.0.2", "--core-next-hop", "198.19.0.1", "--frame-size", "1518", "--rate", "10"});
	EXPECT_NE(r.error.find("does not fit access.mtu"), std::string::npos) << r.error;
	EXPECT_NE(parse({"--lac", "1.2.3", "--rate", "10"}).error.find("--lac"), std::string::npos);
	EXPECT_NE(parse({"--bogus"}).error.find("unknown option"), std::string::npos);
	EXPECT_TRUE(parse({"--help"}).help);
}

TEST(GenConfig, BenchNeedsOnlyTheAccessPort) {
	auto r = parse({"--bench", "--access-port", "net_null0", "--rate-total", "100Mpps", "--duration", "1s"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_TRUE(r.options.bench);
	EXPECT_TRUE(r.options.cfg.access.lns_mac);
}

TEST(GenConfig, PrintUsersNeedsNoPorts) {
	auto r = parse({"--print-users", "--sessions", "5", "--user", "u{n}"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_TRUE(r.options.print_users);
	EXPECT_EQ(r.options.cfg.sessions.sessions, 5u);
}

TEST(GenConfig, Credentials) {
	EXPECT_EQ(expand_credentials("user{session}@realm", 7, 2, 3), "user7@realm");
	EXPECT_EQ(expand_credentials("{tunnel}-{s}-{n}-{t}", 7, 2, 3), "2-3-7-2");
	EXPECT_EQ(check_credentials("a{n}b"), "");
	EXPECT_NE(check_credentials("a{q}"), "");
	EXPECT_NE(check_credentials("a}"), "");
}

TEST(GenConfig, ParsersRejectMalformedText) {
	EXPECT_EQ(parse_ipv4("10.0.0.1"), 0x0A000001u);
	for (const char *s : {"", "10.0.0", "10.0.0.1.2", "256.0.0.1", "a.b.c.d", "10.0.0.1 ", "1..2.3"})
		EXPECT_FALSE(parse_ipv4(s)) << s;
	EXPECT_TRUE(parse_mac("02:00:00:00:00:0f"));
	for (const char *s : {"", "02:00:00:00:00", "02-00-00-00-00-01", "02:00:00:00:00:0g"})
		EXPECT_FALSE(parse_mac(s)) << s;
}

TEST(GenConfig, EalArguments) {
	gen_options o;
	o.cfg.access.port = "net_af_packet0,iface=a";
	o.cfg.core.port = "0000:3b:00.0";
	auto a = build_eal_args(o, "gen");
	EXPECT_EQ(a, (std::vector<std::string>{"gen", "--vdev=net_af_packet0,iface=a", "-a", "0000:3b:00.0", "-l", "0,1",
	                                       "--in-memory", "-m", "256"}));
	o.cfg.core.port = "net_null1";
	o.eal_args = {"-l", "2-5", "--file-prefix=x", "--no-huge"};
	a = build_eal_args(o, "gen");
	EXPECT_EQ(a, (std::vector<std::string>{"gen", "--vdev=net_af_packet0,iface=a", "--vdev=net_null1", "-l", "2-5",
	                                       "--file-prefix=x", "--no-huge", "-m", "256", "--no-pci"}));
}

} // namespace
} // namespace l2tpx::gen::dpdk

namespace l2tpx::gen::dpdk {
namespace {

// The example run files in config/ stay valid (L2TPX_SOURCE_ROOT is set by meson).
TEST(GenConfig, ExampleRunFilesAreValid) {
	const char *root = std::getenv("L2TPX_SOURCE_ROOT");
	if (root == nullptr)
		GTEST_SKIP() << "L2TPX_SOURCE_ROOT not set";
	const std::string dir = std::string(root) + "/config/";
	for (const char *name : {"gen-lab.toml", "gen-l2tpns.toml", "gen-null-bench.toml"}) {
		const std::string path = dir + name;
		std::vector<const char *> args{"-c", path.c_str()};
		if (std::string_view(name) == "gen-null-bench.toml")
			args.push_back("--bench");
		auto r = parse_args(args);
		EXPECT_TRUE(r.ok()) << name << ": " << r.error;
	}
}

} // namespace
} // namespace l2tpx::gen::dpdk
