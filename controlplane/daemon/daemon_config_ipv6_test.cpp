// IPv6 keys of the control plane's configuration: [[pool]] with an IPv6 prefix, the RA
// settings of [lns], and what they become in the protocol library.
#include "controlplane/daemon/daemon_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace l2tpx::cp::daemon {
namespace {

const std::string base = R"([dataplane]
file_prefix = "t6"
[[port]]
name = "access0"
devargs = "net_null0"
role = "access"
addresses = ["192.0.2.1/24"]
[[port]]
name = "core0"
devargs = "net_null1"
role = "core"
addresses = ["198.51.100.1/24", "2001:db8:ffff::1/64"]
)";

const std::string lns = R"([lns]
authentication = "none"
gateway_address = "100.64.0.1"
)";

const std::string pool4 = "[[pool]]\nname = \"v4\"\nprefix = \"100.64.0.0/24\"\n";
const std::string pool6 = "[[pool]]\nname = \"v6\"\nprefix = \"2001:db8:100::/48\"\n";

TEST(daemon_config_ipv6, ipv6_pool_and_ra_settings_reach_the_library) {
	auto c = load_string(base + R"([lns]
authentication = "none"
gateway_address = "100.64.0.1"
ra_interval_s = 60
ipv6_dns = ["2001:db8::53", "2001:db8::54"]
)" + pool4 + pool6 + "[[pool]]\nname = \"v6b\"\nprefix = \"2001:db8:200::/56\"\nassign_length = 60\n");
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_EQ(c->pools.size(), 1u);
	ASSERT_EQ(c->pools6.size(), 2u);
	EXPECT_EQ(c->pools6[0].assign_length, 64);
	EXPECT_EQ(c->pools6[1].assign_length, 60);
	const call_manager::config lib = c->library_config();
	ASSERT_EQ(lib.ipv6_pools.size(), 2u);
	EXPECT_EQ(lib.ipv6_pools[0].size(), 65536u);
	EXPECT_EQ(nd::to_string(lib.ipv6_pools[0].prefix()), "2001:db8:100::/48");
	EXPECT_EQ(lib.ipv6_pools[1].size(), 16u);
	EXPECT_EQ(lib.ra.max_interval, duration(60000));
	EXPECT_EQ(lib.ra.min_interval, duration(20000));
	EXPECT_EQ(lib.ra.router_lifetime_s, 180); // 3 × ra_interval_s
	EXPECT_FALSE(lib.ra.on_link);
	ASSERT_EQ(lib.ra.dns.size(), 2u);
	EXPECT_EQ(nd::to_string(lib.ra.dns[1]), "2001:db8::54");
}

TEST(daemon_config_ipv6, defaults_follow_rfc4861) {
	auto c = load_string(base + lns + pool4);
	ASSERT_TRUE(c) << c.error().to_string();
	const call_manager::config lib = c->library_config();
	EXPECT_TRUE(lib.ipv6_pools.empty());
	EXPECT_EQ(lib.ra.max_interval, duration(600000));
	EXPECT_EQ(lib.ra.min_interval, duration(200000));
	EXPECT_EQ(lib.ra.router_lifetime_s, 1800);
}

TEST(daemon_config_ipv6, ipv6_only_lns_needs_no_ipv4_pool) {
	auto c = load_string(base + lns + pool6);
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_TRUE(c->pools.empty());
	EXPECT_EQ(c->pools6.size(), 1u);
}

TEST(daemon_config_ipv6, errors_name_the_field) {
	struct row {
		std::string extra;
		std::string field;
	} rows[] = {
		{"[[pool]]\nname = \"x\"\nprefix = \"2001:db8:100::/72\"\n", "pool[1].prefix"},
		{"[[pool]]\nname = \"x\"\nprefix = \"2001:db8:100::1/48\"\n", "pool[1].prefix"},
		{"[[pool]]\nname = \"x\"\nprefix = \"2001:db8::/32\"\n", "pool[1].assign_length"}, // 2^32 prefixes
		{"[[pool]]\nname = \"x\"\nprefix = \"2001:db8:100::/48\"\nassign_length = 40\n", "pool[1].assign_length"},
		{"[[pool]]\nname = \"x\"\nprefix = \"2001:db8:100::/48\"\nassign_length = 65\n", "pool[1].assign_length"},
		{"[[pool]]\nname = \"x\"\nprefix = \"2001:db8:100::/48\"\nfirst = \"::1\"\n", "pool[1].first"},
		{"[[pool]]\nname = \"v4\"\nprefix = \"2001:db8:100::/48\"\n", "pool[1].name"}, // duplicate across families
	};
	for (const row &r : rows) {
		auto c = load_string(base + lns + pool4 + r.extra);
		ASSERT_FALSE(c) << r.extra;
		EXPECT_EQ(c.error().field, r.field) << r.extra << " → " << c.error().to_string();
		EXPECT_GT(c.error().line, 0u) << r.extra;
	}
	struct lrow {
		std::string key;
		std::string field;
	} lns_rows[] = {
		{"ra_interval_s = 3", "lns.ra_interval_s"},
		{"ra_interval_s = 1801", "lns.ra_interval_s"},
		{"ra_interval_s = 600\nra_router_lifetime_s = 100", "lns.ra_router_lifetime_s"},
		{"ra_router_lifetime_s = 9001", "lns.ra_router_lifetime_s"},
		{"ipv6_dns = [\"192.0.2.53\"]", "lns.ipv6_dns[0]"},
		{"ipv6_dns = [\"::1\", \"::2\", \"::3\", \"::4\"]", "lns.ipv6_dns"},
		{"enable_ipv6cp = false", "lns.enable_ipv6cp"},
	};
	for (const lrow &r : lns_rows) {
		auto c = load_string(base + lns + r.key + "\n" + pool4 + pool6);
		ASSERT_FALSE(c) << r.key;
		EXPECT_EQ(c.error().field, r.field) << r.key << " → " << c.error().to_string();
	}
	// A router lifetime of 0 (not a default router) is allowed.
	EXPECT_TRUE(load_string(base + lns + "ra_router_lifetime_s = 0\n" + pool4 + pool6));
}

} // namespace
} // namespace l2tpx::cp::daemon
