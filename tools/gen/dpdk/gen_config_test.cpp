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
	                "200", "--sessions-per-tunnel", "100", "--rate", "10"});
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

TEST(GenConfig, SessionsAndTunnelsSpreadEvenly) {
	const std::vector<std::string> base{"--access-port", "net_null0", "--lac", "198.18.0.2", "--lns", "198.18.0.1",
	                                    "--core-port", "net_null1", "--core-address", "198.19.0.2",
	                                    "--core-next-hop", "198.19.0.1", "--rate", "10"};
	auto with = [&](std::initializer_list<const char *> extra) {
		std::vector<const char *> v;
		for (const std::string &a : base)
			v.push_back(a.c_str());
		v.insert(v.end(), extra);
		return parse(v);
	};
	auto r = with({"--sessions", "100", "--tunnels", "2"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.cfg.sessions.tunnels, 2u);
	EXPECT_EQ(r.options.cfg.sessions.sessions_per_tunnel, 50u);
	r = with({"--sessions", "101", "--tunnels", "2"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.cfg.sessions.sessions_per_tunnel, 51u);
	r = with({"--sessions", "100"}); // the total alone: the default 100 per tunnel
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.cfg.sessions.tunnels, 1u);
	EXPECT_EQ(r.options.cfg.sessions.sessions_per_tunnel, 100u);
	r = with({"--sessions", "100", "--tunnels", "2", "--sessions-per-tunnel", "80"}); // explicit wins
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.cfg.sessions.sessions_per_tunnel, 80u);
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

namespace l2tpx::gen::dpdk {
namespace {

// Proxy LCP / authentication, IPv6CP and teardown pacing: keys, flags, validation.
TEST(GenConfig, ProxyIpv6cpAndTeardownRate) {
	const std::string base = std::string(full).substr(0, std::string(full).find("[traffic]"));
	temp_file f(base + "proxy_lcp = true\nproxy_auth = true\nipv6cp = true\nteardown_rate = 250.5\n"
	                   "[traffic]\nrate_per_stream = 10\n");
	auto r = parse({"-c", f.path.c_str()});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_TRUE(r.options.cfg.sessions.proxy_lcp);
	EXPECT_TRUE(r.options.cfg.sessions.proxy_auth);
	EXPECT_TRUE(r.options.cfg.sessions.enable_ipv6cp);
	EXPECT_DOUBLE_EQ(r.options.cfg.sessions.teardown_rate, 250.5);
	// Absent keys keep the old behaviour.
	temp_file plain(full);
	r = parse({"-c", plain.path.c_str()});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_FALSE(r.options.cfg.sessions.proxy_lcp);
	EXPECT_FALSE(r.options.cfg.sessions.proxy_auth);
	EXPECT_FALSE(r.options.cfg.sessions.enable_ipv6cp);
	EXPECT_EQ(r.options.cfg.sessions.teardown_rate, 0.0);
	// Flags.
	r = parse({"-c", plain.path.c_str(), "--proxy-lcp", "--proxy-auth", "--ipv6cp", "--teardown-rate", "40"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_TRUE(r.options.cfg.sessions.proxy_lcp && r.options.cfg.sessions.proxy_auth);
	EXPECT_TRUE(r.options.cfg.sessions.enable_ipv6cp);
	EXPECT_DOUBLE_EQ(r.options.cfg.sessions.teardown_rate, 40.0);
	// Errors.
	r = parse({"-c", plain.path.c_str(), "--proxy-auth"});
	EXPECT_NE(r.error.find("proxy_auth needs sessions.proxy_lcp"), std::string::npos) << r.error;
	r = parse({"-c", plain.path.c_str(), "--teardown-rate", "-1"});
	EXPECT_NE(r.error.find("--teardown-rate"), std::string::npos) << r.error;
	r = parse({"-c", plain.path.c_str(), "--teardown-rate", "fast"});
	EXPECT_NE(r.error.find("--teardown-rate"), std::string::npos) << r.error;
	for (const char *bad : {"proxy_lcp = 1\n", "teardown_rate = -5\n", "teardown_rate = \"x\"\n"}) {
		temp_file b(base + bad + "[traffic]\nrate_per_stream = 10\n");
		r = parse({"-c", b.path.c_str()});
		EXPECT_NE(r.error.find("sessions."), std::string::npos) << bad << " " << r.error;
	}
}

// config/gen-proxy.toml, the example of these keys, stays valid.
TEST(GenConfig, ProxyExampleRunFileIsValid) {
	const char *root = std::getenv("L2TPX_SOURCE_ROOT");
	if (root == nullptr)
		GTEST_SKIP() << "L2TPX_SOURCE_ROOT not set";
	const std::string path = std::string(root) + "/config/gen-proxy.toml";
	auto r = parse_args(std::vector<const char *>{"-c", path.c_str()});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_TRUE(r.options.cfg.sessions.proxy_lcp && r.options.cfg.sessions.proxy_auth);
	EXPECT_GT(r.options.cfg.sessions.teardown_rate, 0.0);
}

} // namespace
} // namespace l2tpx::gen::dpdk

namespace l2tpx::gen::dpdk {
namespace {

// Static L2TPv3 pseudowires ([[static_tunnel]] / [[static_session]]) and RX queues.
constexpr const char *pw_file = R"(
[access]
port = "net_af_packet0,iface=a"
rx_queues = 2
[core]
port = "net_af_packet1,iface=c"
rx_queues = 4
[[static_tunnel]]
tunnel_id = 20
peer_tunnel_id = 10
encap = "udp"
local = "192.0.2.2"
remote = "192.0.2.1"
udp_sport = 1705
[[static_tunnel]]
tunnel_id = 21
encap = "ip"
local = "2001:db8:5::2"
remote = "2001:db8:5::1"
[[static_session]]
tunnel_id = 20
session_id = 200
peer_session_id = 100
cookie = "0x01020304"
peer_cookie = "0x1112131415161718"
l2spec_type = "default"
seq = "send"
pseudowire = "eth_vlan"
vlan = 42
[[static_session]]
tunnel_id = 21
session_id = 201
peer_session_id = 101
l2spec_type = "none"
[traffic]
rate_per_stream = 10
)";

TEST(GenConfigPw, StaticPseudowiresAndQueues) {
	temp_file f(pw_file);
	auto r = parse({"-c", f.path.c_str()});
	ASSERT_TRUE(r.ok()) << r.error;
	const gen_config &c = r.options.cfg;
	ASSERT_TRUE(c.pseudowires());
	EXPECT_EQ(c.access.rx_queues, 2);
	EXPECT_EQ(c.core.rx_queues, 4);
	ASSERT_EQ(c.pw_tunnels.size(), 2u);
	const pw_tunnel_config &t0 = c.pw_tunnels[0], &t1 = c.pw_tunnels[1];
	EXPECT_EQ(t0.tunnel_id, 20u);
	EXPECT_EQ(t0.peer_tunnel_id, 10u);
	EXPECT_EQ(t0.encap, cfg::l2tp_encap::udp);
	EXPECT_TRUE(t0.local.is_v4());
	EXPECT_EQ(t0.udp_sport, 1705);
	EXPECT_EQ(t0.udp_dport, 1701);
	EXPECT_EQ(t1.encap, cfg::l2tp_encap::ip);
	EXPECT_TRUE(t1.remote.is_v6());
	ASSERT_EQ(c.pw_sessions.size(), 2u);
	const pw_session_config &s0 = c.pw_sessions[0], &s1 = c.pw_sessions[1];
	EXPECT_EQ(s0.session_id, 200u);
	EXPECT_EQ(s0.peer_session_id, 100u);
	EXPECT_EQ(s0.cookie, (std::vector<uint8_t>{1, 2, 3, 4}));
	EXPECT_EQ(s0.peer_cookie.size(), 8u);
	EXPECT_TRUE(s0.l2spec);
	EXPECT_TRUE(s0.seq_send);
	EXPECT_FALSE(s0.seq_recv);
	EXPECT_TRUE(s0.eth_vlan);
	EXPECT_EQ(s0.vlan, 42);
	EXPECT_FALSE(s1.l2spec);
	EXPECT_FALSE(s1.eth_vlan);
	// Defaults a pseudowire run fills in: the inner packets' far end.
	EXPECT_EQ(c.core.addresses, std::vector<uint32_t>{0xC6130002u});
	// Overheads: IPv4/UDP + 8 + cookie 8 + sublayer 4 + tagged Ethernet 18; IPv6/IP + 4 + 14.
	EXPECT_EQ(pw_overhead(t0, s0), 20u + 16 + 8 + 4 + 18);
	EXPECT_EQ(pw_overhead(t1, s1), 40u + 4 + 14);
	// Without the new keys nothing changes.
	temp_file plain(full);
	auto p = parse({"-c", plain.path.c_str()});
	ASSERT_TRUE(p.ok()) << p.error;
	EXPECT_FALSE(p.options.cfg.pseudowires());
	EXPECT_EQ(p.options.cfg.access.rx_queues, 1);
	EXPECT_EQ(p.options.cfg.core.rx_queues, 1);
}

TEST(GenConfigPw, ErrorsNameTheField) {
	const std::string head = "[access]\nport = \"a\"\n[core]\nport = \"c\"\n[traffic]\nrate_per_stream = 10\n";
	const std::string tun = "[[static_tunnel]]\ntunnel_id = 1\nlocal = \"192.0.2.2\"\nremote = \"192.0.2.1\"\n";
	const std::string ses = "[[static_session]]\ntunnel_id = 1\nsession_id = 5\npeer_session_id = 6\n";
	struct bad {
		std::string toml;
		const char *expect;
	};
	const bad cases[] = {
	    {head + "[[static_tunnel]]\ntunnel_id = 1\nlocal = \"192.0.2.2\"\n", "static_tunnel[0]: missing key"},
	    {head + "[[static_tunnel]]\ntunnel_id = 1\nlocal = \"192.0.2.2\"\nremote = \"2001:db8::1\"\n",
	     "static_tunnel[0].remote: invalid value"},
	    {head + "[[static_tunnel]]\ntunnel_id = 1\nlocal = \"192.0.2.x\"\nremote = \"192.0.2.1\"\n",
	     "static_tunnel[0].local: invalid value"},
	    {head + tun + "encap = \"gre\"\n", "static_tunnel[0].encap: invalid value"},
	    {head + tun + "port = \"wan\"\n", "static_tunnel[0].port: unknown key"},
	    {head + tun + tun, "static_tunnel[1].tunnel_id: duplicate"},
	    {head + ses, "static_session[0].tunnel_id: bad reference"},
	    {head + tun + ses + "cookie = \"0x010203\"\n", "static_session[0].cookie: invalid value"},
	    {head + tun + ses + "seq = \"both\"\nl2spec_type = \"none\"\n", "sequencing needs l2spec_type"},
	    {head + tun + ses + "pseudowire = \"eth_vlan\"\n", "eth_vlan\" and vlan go together"},
	    {head + tun + ses + "vlan = 4095\n", "static_session[0].vlan: value out of range"},
	    {head + tun + ses + ses, "static_session[1].session_id: duplicate"},
	    {head + tun + ses + "[[static_session]]\ntunnel_id = 1\nsession_id = 7\npeer_session_id = 8\n",
	     "more than one untagged"},
	    {head + tun + ses + "attachment_port = \"lan\"\n", "static_session[0].attachment_port: unknown key"},
	    {"static_tunnel = 1\n" + head, "expected [[static_tunnel]] tables"},
	    {head + tun, "[[static_tunnel]] without a [[static_session]]"},
	    {head + tun + ses + "[[static_tunnel]]\ntunnel_id = 2\nlocal = \"192.0.2.2\"\nremote = \"192.0.2.9\"\n",
	     "one LNS address per address family"},
	    {head + "[access]\n", "TOML syntax error"},
	    {head.substr(0, head.find("[core]")) + "rx_queues = 0\n" + head.substr(head.find("[core]")), "access.rx_queues"},
	};
	for (const bad &b : cases) {
		temp_file f(b.toml);
		auto r = parse({"-c", f.path.c_str()});
		ASSERT_FALSE(r.ok()) << b.toml;
		EXPECT_NE(r.error.find(b.expect), std::string::npos) << b.expect << " / " << r.error;
	}
	// A pseudowire run needs both ports, and the frames must fit the MTU.
	temp_file no_core("[access]\nport = \"a\"\n[traffic]\nrate_per_stream = 10\n" + tun + ses);
	EXPECT_NE(parse({"-c", no_core.path.c_str()}).error.find("core.port"), std::string::npos);
	temp_file f(head + tun + ses);
	EXPECT_TRUE(parse({"-c", f.path.c_str()}).ok());
	// IPv4 20 + UDP/L2TPv3 16 + sublayer 4 + Ethernet 14 + inner (size - 18) <= 1500.
	auto big = parse({"-c", f.path.c_str(), "--frame-size", "1465"});
	EXPECT_NE(big.error.find("does not fit access.mtu"), std::string::npos) << big.error;
	EXPECT_TRUE(parse({"-c", f.path.c_str(), "--frame-size", "1464"}).ok());
}

TEST(GenConfigPw, ExampleRunFileIsValid) {
	const char *root = std::getenv("L2TPX_SOURCE_ROOT");
	if (root == nullptr)
		GTEST_SKIP() << "L2TPX_SOURCE_ROOT not set";
	const std::string path = std::string(root) + "/config/gen-v3.toml";
	auto r = parse_args(std::vector<const char *>{"-c", path.c_str()});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.cfg.pw_sessions.size(), 2u);
}

// IPv6 streams over PPP: the core's IPv6 keys and flags, ip_version, what they need.
TEST(GenConfig, Ipv6Streams) {
	const std::string text(full);
	const std::string with6 = text.substr(0, text.find("udp_port = 7000")) +
	                          "address6 = \"2001:db8:ffff::2\"\nnext_hop6 = \"2001:db8:ffff::1\"\n" +
	                          text.substr(text.find("udp_port = 7000"));
	temp_file f(with6);
	auto r = parse({"-c", f.path.c_str(), "--ip-version", "both", "--frame-size", "96"});
	ASSERT_TRUE(r.ok()) << r.error;
	const gen_config &c = r.options.cfg;
	EXPECT_EQ(c.run.traffic.ip_version, ip_version_both);
	ASSERT_TRUE(c.core.address6 && c.core.next_hop6);
	EXPECT_EQ(format_ipv6(*c.core.address6), "2001:db8:ffff::2");
	EXPECT_EQ(format_ipv6(*c.core.next_hop6), "2001:db8:ffff::1");
	EXPECT_TRUE(c.sessions.enable_ipv6cp); // IPv6 streams negotiate IPv6CP by themselves
	// The flags override the file's.
	r = parse({"-c", f.path.c_str(), "--ip-version", "6", "--frame-size", "96", "--core-address6", "2001:db8:1::2",
	           "--core-next-hop6", "fe80::1"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.cfg.run.traffic.ip_version, 6);
	EXPECT_EQ(format_ipv6(*r.options.cfg.core.address6), "2001:db8:1::2");
	EXPECT_EQ(format_ipv6(*r.options.cfg.core.next_hop6), "fe80::1");
	// An IPv4 run ignores the IPv6 keys and leaves IPv6CP alone.
	r = parse({"-c", f.path.c_str()});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_FALSE(r.options.cfg.sessions.enable_ipv6cp);

	temp_file plain(full);
	struct bad_case {
		std::vector<const char *> args;
		const char *want;
	};
	const bad_case bad[] = {
	    {{"--ip-version", "6", "--frame-size", "96"}, "needs core.address6 (--core-address6)"},
	    {{"--ip-version", "both", "--frame-size", "96", "--core-address6", "2001:db8::2"},
	     "needs core.next_hop6 (--core-next-hop6)"},
	    {{"--ip-version", "both", "--frame-size", "64"}, "traffic.frame_size"},
	    {{"--ip-version", "6", "--frame-size", "96", "--core-address6", "198.19.0.2"}, "--core-address6"},
	    {{"--core-next-hop6", "ff02::1"}, "expected a unicast IPv6 address"},
	    {{"--core-address6", "::"}, "expected a unicast IPv6 address"},
	};
	for (const bad_case &b : bad) {
		std::vector<const char *> args{"-c", plain.path.c_str()};
		args.insert(args.end(), b.args.begin(), b.args.end());
		r = parse(args);
		EXPECT_NE(r.error.find(b.want), std::string::npos) << b.want << ": " << r.error;
	}
	// A static next-hop MAC stands in for the IPv6 next hop's resolution.
	r = parse({"-c", plain.path.c_str(), "--ip-version", "6", "--frame-size", "96", "--core-address6", "2001:db8::2",
	           "--next-hop-mac", "02:00:00:00:00:09"});
	EXPECT_TRUE(r.ok()) << r.error;
	for (const char *key : {"address6 = \"198.19.0.2\"\n", "next_hop6 = \"ff02::2\"\n", "address6 = 6\n"}) {
		temp_file b(text.substr(0, text.find("udp_port = 7000")) + key + text.substr(text.find("udp_port = 7000")));
		r = parse({"-c", b.path.c_str()});
		EXPECT_NE(r.error.find("core."), std::string::npos) << key << " " << r.error;
	}
	// Pseudowire and bench runs stay IPv4.
	r = parse({"--bench", "--access-port", "net_null0", "--rate", "10", "--ip-version", "6", "--frame-size", "96"});
	EXPECT_NE(r.error.find("IPv4 inner packets only"), std::string::npos) << r.error;
}

} // namespace
} // namespace l2tpx::gen::dpdk
