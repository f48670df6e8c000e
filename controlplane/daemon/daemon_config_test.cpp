#include "controlplane/daemon/daemon_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace l2tpx::cp::daemon {
namespace {

const std::string base = R"([dataplane]
file_prefix = "t1"
[[port]]
name = "access0"
devargs = "net_null0"
role = "access"
addresses = ["192.0.2.1/24", "192.0.2.9/24"]
[[port]]
name = "core0"
devargs = "net_null1"
role = "core"
addresses = ["198.51.100.1/24"]
)";

const std::string lns_ok = R"([lns]
host_name = "lns-t"
authentication = "pap"
users_file = "/nonexistent/users"
gateway_address = "100.64.0.1"
dns = ["192.0.2.53"]
lcp_echo_interval_s = 5
[[pool]]
name = "a"
first = "100.64.0.10"
last = "100.64.0.20"
)";

TEST(daemon_config, example_file_loads) {
	auto c = load_file(std::string(L2TPX_CPD_SOURCE_DIR) + "/../../config/lns.toml");
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_EQ(c->lns.host_name, "lns1");
	EXPECT_EQ(c->pools.size(), 2u);
	EXPECT_EQ(c->lacs.size(), 1u);
	EXPECT_EQ(c->cp.mgmt_socket_mode, 0660u);
	EXPECT_EQ(c->access_port(), 0);
}

TEST(daemon_config, dataplane_loader_needs_our_tables_registered) {
	const std::string text = base + lns_ok;
	EXPECT_FALSE(cfg::load_string(text)); // unknown top-level table [lns]
	cfg::load_options o;
	o.extra_tables = own_tables;
	EXPECT_TRUE(cfg::load_string(text, o));
}

TEST(daemon_config, sections_map_to_the_library) {
	auto c = load_string(base + lns_ok + "[controlplane]\nhello_interval_s = 30\nreceive_window = 16\n" +
	                     "[[lac]]\naddress = \"192.0.2.0/24\"\nhost_name = \"lac1\"\nsecret = \"s1\"\n");
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_EQ(c->dataplane.dataplane.file_prefix, "t1");
	const call_manager::config lib = c->library_config();
	EXPECT_EQ(lib.l2tp.local_role, role::lns);
	EXPECT_EQ(to_string(lib.l2tp.local), "192.0.2.1:1701");
	EXPECT_EQ(lib.l2tp.tunnel.host_name, "lns-t");
	EXPECT_EQ(lib.l2tp.tunnel.transport.hello_interval, duration(30000));
	EXPECT_EQ(lib.l2tp.tunnel.transport.our_rws, 16);
	EXPECT_EQ(lib.l2tp.tunnel.secrets.lookup("lac1"), "s1");
	EXPECT_EQ(lib.ppp.lcp.require_auth, ppp::auth_protocol::pap);
	EXPECT_EQ(lib.ppp.lcp.echo_interval, duration(5000));
	EXPECT_EQ(to_string(lib.ppp.ipcp.local), "100.64.0.1");
	ASSERT_TRUE(lib.ppp.ipcp.dns1);
	EXPECT_EQ(to_string(*lib.ppp.ipcp.dns1), "192.0.2.53");
	EXPECT_FALSE(lib.ppp.ipcp.dns2);
}

TEST(daemon_config, data_reorder_timeout_defaults_to_off) {
	auto d = load_string(base + lns_ok);
	ASSERT_TRUE(d) << d.error().to_string();
	EXPECT_EQ(d->lns.data_reorder_timeout_ms, 0);
	std::string text = base + lns_ok;
	text.replace(text.find("lcp_echo_interval_s"), 0, "data_reorder_timeout_ms = 250\n");
	auto c = load_string(text);
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_EQ(c->lns.data_reorder_timeout_ms, 250);
}

TEST(daemon_config, lac_lookup_takes_the_longest_prefix) {
	auto c = load_string(base + lns_ok + "[[lac]]\naddress = \"10.0.0.0/8\"\n" +
	                     "[[lac]]\naddress = \"10.1.2.3\"\nhost_name = \"x\"\nsecret = \"y\"\n");
	ASSERT_TRUE(c) << c.error().to_string();
	cfg::ip_address a;
	ASSERT_TRUE(cfg::parse_ip("10.1.2.3", a));
	ASSERT_NE(c->find_lac(a), nullptr);
	EXPECT_EQ(c->find_lac(a)->host_name, "x");
	ASSERT_TRUE(cfg::parse_ip("10.9.9.9", a));
	ASSERT_NE(c->find_lac(a), nullptr);
	EXPECT_EQ(c->find_lac(a)->host_name, "");
	ASSERT_TRUE(cfg::parse_ip("11.0.0.1", a));
	EXPECT_EQ(c->find_lac(a), nullptr);
}

TEST(daemon_config, pool_prefix_leaves_out_network_and_broadcast) {
	auto c = load_string(base + R"([lns]
authentication = "none"
gateway_address = "100.64.0.1"
[[pool]]
name = "p"
prefix = "100.64.1.0/24"
)");
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_EQ(cfg::format_ip(c->pools[0].first), "100.64.1.1");
	EXPECT_EQ(cfg::format_ip(c->pools[0].last), "100.64.1.254");
}

struct bad_case {
	const char *name;
	std::string text;
	cfg::errc code;
	const char *field;
	uint32_t line;
};

TEST(daemon_config, errors_name_line_and_field) {
	const uint32_t lns_line = 13; // first line after `base`; lns_ok spans 13..23
	const bad_case cases[] = {
	    {"unknown key", base + "[lns]\nhostname = \"x\"\n", cfg::errc::unknown_key, "lns.hostname", lns_line + 1},
	    {"wrong type", base + lns_ok + "[controlplane]\nhello_interval_s = \"60\"\n", cfg::errc::wrong_type,
	     "controlplane.hello_interval_s", lns_line + 12},
	    {"out of range", base + lns_ok + "[controlplane]\nmax_retransmits = 0\n", cfg::errc::out_of_range,
	     "controlplane.max_retransmits", lns_line + 12},
	    {"no lns", base, cfg::errc::missing_key, "lns", 0},
	    {"bad gateway", base + "[lns]\nauthentication = \"none\"\ngateway_address = \"100.64.0\"\n",
	     cfg::errc::bad_value, "lns.gateway_address", lns_line + 2},
	    {"users file needed", base + "[lns]\ngateway_address = \"100.64.0.1\"\n", cfg::errc::missing_key,
	     "lns.users_file", lns_line},
	    {"bad auth", base + "[lns]\nauthentication = \"mschap\"\n", cfg::errc::bad_value, "lns.authentication",
	     lns_line + 1},
	    {"no pool", base + "[lns]\nauthentication = \"none\"\ngateway_address = \"100.64.0.1\"\n",
	     cfg::errc::missing_key, "pool", 0},
	    {"pool reversed", base + lns_ok + "[[pool]]\nname = \"b\"\nfirst = \"100.64.1.9\"\nlast = \"100.64.1.1\"\n",
	     cfg::errc::bad_value, "pool[1].last", lns_line + 14},
	    {"pool twice", base + lns_ok + "[[pool]]\nname = \"a\"\nprefix = \"100.65.0.0/24\"\n", cfg::errc::duplicate,
	     "pool[1].name", lns_line + 11},
	    {"lac secret without host", base + lns_ok + "[[lac]]\naddress = \"10.0.0.1\"\nsecret = \"s\"\n",
	     cfg::errc::missing_key, "lac[0].host_name", lns_line + 13},
	    {"lac bad address", base + lns_ok + "[[lac]]\naddress = \"10.0.0.300\"\n", cfg::errc::bad_value,
	     "lac[0].address", lns_line + 12},
	    {"local address not ours", base + "[lns]\nauthentication = \"none\"\nlocal_address = \"192.0.2.7\"\n" +
	                                   "gateway_address = \"100.64.0.1\"\n[[pool]]\nname = \"a\"\nprefix = \"100.64.0.0/24\"\n",
	     cfg::errc::bad_reference, "lns.local_address", lns_line + 2},
	    {"syntax", base + "[lns\n", cfg::errc::syntax, "", lns_line},
	    {"unknown group", base + lns_ok + "[controlplane]\nmgmt_socket_group = \"no-such-group-l2tpx\"\n",
	     cfg::errc::bad_value, "controlplane.mgmt_socket_group", lns_line + 12},
	    {"group type", base + lns_ok + "[controlplane]\nmgmt_readonly_socket_group = true\n", cfg::errc::wrong_type,
	     "controlplane.mgmt_readonly_socket_group", lns_line + 12},
	    {"negative gid", base + lns_ok + "[controlplane]\nmgmt_socket_group = -1\n", cfg::errc::bad_value,
	     "controlplane.mgmt_socket_group", lns_line + 12},
	    {"read-only socket = admin socket",
	     base + lns_ok + "[controlplane]\nmgmt_socket = \"/run/a.sock\"\nmgmt_readonly_socket = \"/run/a.sock\"\n",
	     cfg::errc::bad_value, "controlplane.mgmt_readonly_socket", lns_line + 13},
	    {"read-only mode", base + lns_ok + "[controlplane]\nmgmt_readonly_socket_mode = 0o1777\n",
	     cfg::errc::out_of_range, "controlplane.mgmt_readonly_socket_mode", lns_line + 12},
	    {"restart policy unknown", base + lns_ok + "[controlplane]\nrestart_policy = \"keep\"\n",
	     cfg::errc::bad_value, "controlplane.restart_policy", lns_line + 12},
	    {"state file relative", base + lns_ok + "[controlplane]\nstate_file = \"run/state\"\n",
	     cfg::errc::bad_value, "controlplane.state_file", lns_line + 12},
	    {"state file empty", base + lns_ok + "[controlplane]\nstate_file = \"\"\n", cfg::errc::bad_value,
	     "controlplane.state_file", lns_line + 12},
	    {"state file type", base + lns_ok + "[controlplane]\nstate_file = 3\n", cfg::errc::wrong_type,
	     "controlplane.state_file", lns_line + 12},
	    {"restart policy type", base + lns_ok + "[controlplane]\nrestart_policy = 1\n", cfg::errc::wrong_type,
	     "controlplane.restart_policy", lns_line + 12},
	    {"reorder timeout range",
	     base + "[lns]\nauthentication = \"none\"\ngateway_address = \"100.64.0.1\"\ndata_reorder_timeout_ms = 65536\n",
	     cfg::errc::out_of_range, "lns.data_reorder_timeout_ms", lns_line + 3},
	    {"reorder timeout type",
	     base + "[lns]\nauthentication = \"none\"\ngateway_address = \"100.64.0.1\"\ndata_reorder_timeout_ms = \"5\"\n",
	     cfg::errc::wrong_type, "lns.data_reorder_timeout_ms", lns_line + 3},
	};
	for (const auto &c : cases) {
		auto r = load_string(c.text, "t.toml");
		ASSERT_FALSE(r) << c.name;
		EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().to_string();
		EXPECT_STREQ(r.error().field, c.field) << c.name << ": " << r.error().to_string();
		if (c.line) {
			EXPECT_EQ(r.error().line, c.line) << c.name << ": " << r.error().to_string();
		}
		EXPECT_STREQ(r.error().source, "t.toml") << c.name;
	}
}

TEST(daemon_config, restart_policy_defaults_to_flush) {
	auto d = load_string(base + lns_ok);
	ASSERT_TRUE(d) << d.error().to_string();
	EXPECT_EQ(d->cp.on_restart, restart_policy::flush);
	auto f = load_string(base + lns_ok + "[controlplane]\nrestart_policy = \"flush\"\n");
	ASSERT_TRUE(f) << f.error().to_string();
	EXPECT_EQ(f->cp.on_restart, restart_policy::flush);
	EXPECT_STREQ(to_string(f->cp.on_restart), "flush");
}

TEST(daemon_config, restart_policy_adopt_and_state_file) {
	auto d = load_string(base + lns_ok);
	ASSERT_TRUE(d) << d.error().to_string();
	EXPECT_EQ(d->cp.state_file, "/run/l2tpx/controlplane.state");
	auto a = load_string(base + lns_ok + "[controlplane]\nrestart_policy = \"adopt\"\nstate_file = \"/var/lib/x/st\"\n");
	ASSERT_TRUE(a) << a.error().to_string();
	EXPECT_EQ(a->cp.on_restart, restart_policy::adopt);
	EXPECT_STREQ(to_string(a->cp.on_restart), "adopt");
	EXPECT_EQ(a->cp.state_file, "/var/lib/x/st");
}

TEST(daemon_config, management_socket_permissions) {
	auto c = load_string(base + lns_ok + "[controlplane]\nmgmt_socket_group = \"root\"\nmgmt_socket_mode = 0o640\n" +
	                     "mgmt_readonly_socket = \"/run/l2tpx/ro.sock\"\nmgmt_readonly_socket_group = 4242\n");
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_EQ(c->cp.mgmt_socket_gid, std::optional<uint32_t>(0));
	EXPECT_EQ(c->cp.mgmt_socket_mode, 0640u);
	EXPECT_EQ(c->cp.mgmt_readonly_socket, "/run/l2tpx/ro.sock");
	EXPECT_EQ(c->cp.mgmt_readonly_socket_mode, 0666u);
	EXPECT_EQ(c->cp.mgmt_readonly_socket_gid, std::optional<uint32_t>(4242));
	auto d = load_string(base + lns_ok);
	ASSERT_TRUE(d);
	EXPECT_FALSE(d->cp.mgmt_socket_gid);
	EXPECT_TRUE(d->cp.mgmt_readonly_socket.empty());
}

TEST(daemon_config, tunnel_auth_required_needs_a_secret_per_lac) {
	std::string text = base + lns_ok + "[[lac]]\naddress = \"10.0.0.1\"\n";
	text.replace(text.find("[lns]\n"), 6, "[lns]\ntunnel_auth_required = true\n");
	auto r = load_string(text);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, cfg::errc::missing_key);
	EXPECT_STREQ(r.error().field, "lac[0].secret");
}

} // namespace
} // namespace l2tpx::cp::daemon
