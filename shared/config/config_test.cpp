#include "shared/config/config_loader.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace l2tpx::cfg;

namespace {

constexpr const char *minimal_port = R"(
[[port]]
name = "a0"
devargs = "net_null0"
role = "access"
addresses = ["192.0.2.1/24"]
)";

TEST(config, defaults_when_empty) {
	auto r = load_string("");
	ASSERT_TRUE(r) << r.error().to_string();
	EXPECT_EQ(r->dataplane.l2tp_udp_port, 1701);
	EXPECT_EQ(r->dataplane.file_prefix, "l2tpx");
	EXPECT_TRUE(r->ports.empty());
}

TEST(config, full_dataplane_section) {
	auto r = load_string(R"(
[dataplane]
main_lcore = 2
worker_lcores = [3, 4]
eal_args = ["--no-huge", "-m", "256"]
file_prefix = "t1"
session_capacity = 1048576
l2tp_udp_port = 1702
idle_spin_polls = 10
idle_max_sleep_us = 50
distribution = "software"
command_ring_size = 256
punt_unknown_sessions = true
reorder_buffers = 0
)");
	ASSERT_TRUE(r) << r.error().to_string();
	const auto &d = r->dataplane;
	EXPECT_EQ(d.main_lcore, 2u);
	EXPECT_EQ(d.worker_lcores, (std::vector<uint32_t>{3, 4}));
	EXPECT_EQ(d.eal_args.size(), 3u);
	EXPECT_EQ(d.file_prefix, "t1");
	EXPECT_EQ(d.session_capacity, 1048576u);
	EXPECT_EQ(d.l2tp_udp_port, 1702);
	EXPECT_EQ(d.backoff.spin_polls, 10u);
	EXPECT_EQ(d.backoff.max_sleep_us, 50u);
	EXPECT_EQ(d.dist, distribution::software);
	EXPECT_EQ(d.command_ring_size, 256u);
	EXPECT_TRUE(d.punt_unknown_sessions);
	EXPECT_EQ(d.reorder_buffers, 0u); // reordering off
	EXPECT_EQ(load_string("")->dataplane.reorder_buffers, 4096u);
	auto big = load_string("[dataplane]\nreorder_buffers = 1048576\n");
	ASSERT_TRUE(big) << big.error().to_string();
	EXPECT_EQ(big->dataplane.reorder_buffers, 1048576u);
}

TEST(config, port_fields) {
	auto r = load_string(R"(
[[port]]
name = "core0"
devargs = "net_ring0"
role = "core"
addresses = ["198.51.100.1/24", "2001:db8::1/64"]
mac = "02:00:00:00:01:01"
mtu = 9000
vlan = 100
gateway = "198.51.100.254"
gateway6 = "2001:db8::fe"
neighbours = [{ address = "198.51.100.254", mac = "02-00-00-00-01-FE" }]
)");
	ASSERT_TRUE(r) << r.error().to_string();
	ASSERT_EQ(r->ports.size(), 1u);
	const auto &p = r->ports[0];
	EXPECT_EQ(p.role, port_role::core);
	ASSERT_EQ(p.addresses.size(), 2u);
	EXPECT_TRUE(p.addresses[0].address.is_v4());
	EXPECT_EQ(p.addresses[0].length, 24);
	EXPECT_EQ(p.addresses[0].address.bytes[0], 198);
	EXPECT_TRUE(p.addresses[1].address.is_v6());
	EXPECT_EQ(p.addresses[1].length, 64);
	ASSERT_TRUE(p.mac);
	EXPECT_EQ((*p.mac)[5], 0x01);
	EXPECT_EQ(p.mtu, 9000);
	EXPECT_EQ(p.vlan, 100);
	ASSERT_TRUE(p.gateway4);
	EXPECT_EQ(format_ip(*p.gateway4), "198.51.100.254");
	ASSERT_TRUE(p.gateway6);
	EXPECT_EQ(format_ip(*p.gateway6), "2001:db8::fe");
	ASSERT_EQ(p.neighbours.size(), 1u);
	EXPECT_EQ(p.neighbours[0].mac[5], 0xfe);
	EXPECT_EQ(p.line, 2u);
}

TEST(config, port_vlan_default_and_zero) {
	auto r = load_string(std::string(minimal_port) + "[[port]]\nname = \"c0\"\ndevargs = \"net_null1\"\nrole = \"core\"\n"
	                                                  "vlan = 0\n[[port]]\nname = \"c1\"\ndevargs = \"net_null2\"\n"
	                                                  "role = \"core\"\nvlan = 4094\n");
	ASSERT_TRUE(r) << r.error().to_string();
	ASSERT_EQ(r->ports.size(), 3u);
	EXPECT_EQ(r->ports[0].vlan, 0); // absent: untagged
	EXPECT_EQ(r->ports[1].vlan, 0);
	EXPECT_EQ(r->ports[2].vlan, 4094);
	EXPECT_FALSE(r->ports[0].verify_udp_checksum); // absent: the dataplane decides per driver
}

TEST(config, port_verify_udp_checksum) {
	for (const bool v : {true, false}) {
		auto r = load_string("[[port]]\nname = \"a0\"\ndevargs = \"net_null0\"\nrole = \"access\"\nverify_udp_checksum = " +
		                     std::string(v ? "true" : "false") + "\n");
		ASSERT_TRUE(r) << r.error().to_string();
		ASSERT_TRUE(r->ports[0].verify_udp_checksum);
		EXPECT_EQ(*r->ports[0].verify_udp_checksum, v);
	}
}

TEST(config, static_l2tpv3) {
	auto r = load_string(std::string(minimal_port) + R"(
[[port]]
name = "lan"
devargs = "net_null1"
role = "attachment"

[[static_tunnel]]
tunnel_id = 10
peer_tunnel_id = 20
local = "192.0.2.1"
remote = "192.0.2.2"
udp_sport = 5000
udp_dport = 6000

[[static_session]]
tunnel_id = 10
session_id = 100
peer_session_id = 200
cookie = "0x0a0b0c0d"
peer_cookie = "0102030405060708"
seq = "both"
pseudowire = "eth_vlan"
vlan = 7
attachment_port = "lan"
reorder_timeout_ms = 100
)");
	ASSERT_TRUE(r) << r.error().to_string();
	ASSERT_EQ(r->static_tunnels.size(), 1u);
	const auto &t = r->static_tunnels[0];
	EXPECT_EQ(t.tunnel_id, 10u);
	EXPECT_EQ(t.encap, l2tp_encap::udp);
	EXPECT_EQ(t.udp_sport, 5000);
	EXPECT_EQ(t.udp_dport, 6000);
	EXPECT_EQ(t.port, "a0"); // derived from the local address
	ASSERT_EQ(r->static_sessions.size(), 1u);
	const auto &s = r->static_sessions[0];
	EXPECT_EQ(s.cookie, (std::vector<uint8_t>{0x0a, 0x0b, 0x0c, 0x0d}));
	EXPECT_EQ(s.peer_cookie.size(), 8u);
	EXPECT_TRUE(s.seq_send);
	EXPECT_TRUE(s.seq_recv);
	EXPECT_EQ(s.pw, pseudowire::eth_vlan);
	EXPECT_EQ(s.vlan, 7);
	EXPECT_EQ(s.l2spec, l2spec_type::default_);
	EXPECT_EQ(s.reorder_timeout_ms, 100);
}

TEST(config, static_session_reorder_timeout_default_and_range) {
	const std::string base = std::string(minimal_port) +
	                         "[[port]]\nname = \"lan\"\ndevargs = \"net_null1\"\nrole = \"attachment\"\n"
	                         "[[static_tunnel]]\ntunnel_id = 1\npeer_tunnel_id = 1\nlocal = \"192.0.2.1\"\n"
	                         "remote = \"192.0.2.2\"\n[[static_session]]\ntunnel_id = 1\nsession_id = 1\n"
	                         "peer_session_id = 1\nattachment_port = \"lan\"\n";
	const struct {
		std::string extra;
		uint16_t want;
	} cases[] = {{"", 0}, {"reorder_timeout_ms = 0\n", 0}, {"reorder_timeout_ms = 1\n", 1},
	             {"reorder_timeout_ms = 65535\nseq = \"recv\"\n", 65535}};
	for (const auto &c : cases) {
		auto r = load_string(base + c.extra);
		ASSERT_TRUE(r) << c.extra << r.error().to_string();
		EXPECT_EQ(r->static_sessions[0].reorder_timeout_ms, c.want) << c.extra;
	}
}

TEST(config, registered_extra_table_is_accepted) {
	static constexpr std::string_view extra[] = {"controlplane"};
	load_options o;
	o.extra_tables = extra;
	auto r = load_string("[controlplane]\nanything = 1\n", o);
	ASSERT_TRUE(r) << r.error().to_string();
	auto r2 = load_string("[controlplane]\nanything = 1\n");
	ASSERT_FALSE(r2);
	EXPECT_EQ(r2.error().code, errc::unknown_table);
	EXPECT_EQ(r2.error().line, 1u);
}

struct bad_case {
	const char *name;
	std::string text;
	errc code;
	uint32_t line;
	const char *field; // substring expected in error.field
};

class config_invalid : public ::testing::TestWithParam<bad_case> {};

TEST_P(config_invalid, reports_code_line_and_field) {
	const auto &c = GetParam();
	load_options o;
	o.source_name = "t.toml";
	auto r = load_string(c.text, o);
	ASSERT_FALSE(r) << c.name;
	const error &e = r.error();
	EXPECT_EQ(e.code, c.code) << e.to_string();
	EXPECT_EQ(e.line, c.line) << e.to_string();
	EXPECT_NE(std::string(e.field).find(c.field), std::string::npos) << e.to_string();
	EXPECT_EQ(e.to_string().rfind("t.toml:", 0), 0u) << e.to_string();
}

const std::string P = minimal_port; // lines 2..6

INSTANTIATE_TEST_SUITE_P(
    table, config_invalid,
    ::testing::Values(
        bad_case{"syntax", "[dataplane\n", errc::syntax, 1, ""},
        bad_case{"unknown_top", "\n[radius]\nx=1\n", errc::unknown_table, 2, "radius"},
        bad_case{"unknown_key", "[dataplane]\nsesion_capacity = 5\n", errc::unknown_key, 2, "dataplane.sesion_capacity"},
        bad_case{"wrong_type", "[dataplane]\nl2tp_udp_port = \"1701\"\n", errc::wrong_type, 2, "dataplane.l2tp_udp_port"},
        bad_case{"port_range", "[dataplane]\nl2tp_udp_port = 70000\n", errc::out_of_range, 2, "l2tp_udp_port"},
        bad_case{"capacity_range", "[dataplane]\nsession_capacity = 99999999\n", errc::out_of_range, 2,
                 "session_capacity"},
        bad_case{"capacity_pow2", "[dataplane]\nsession_capacity = 1000000\n", errc::bad_value, 2, "session_capacity"},
        bad_case{"ring_pow2", "[dataplane]\ncommand_ring_size = 1000\n", errc::bad_value, 2, "command_ring_size"},
        bad_case{"bool_type", "[dataplane]\ntelemetry = 1\n", errc::wrong_type, 2, "dataplane.telemetry"},
        bad_case{"reorder_buffers_range", "[dataplane]\nreorder_buffers = 1048577\n", errc::out_of_range, 2,
                 "dataplane.reorder_buffers"},
        bad_case{"reorder_buffers_type", "[dataplane]\nreorder_buffers = true\n", errc::wrong_type, 2,
                 "dataplane.reorder_buffers"},
        bad_case{"dist_word", "[dataplane]\ndistribution = \"magic\"\n", errc::bad_value, 2, "distribution"},
        bad_case{"worker_dup_main", "[dataplane]\nmain_lcore = 1\nworker_lcores = [2, 1]\n", errc::duplicate, 3,
                 "worker_lcores[1]"},
        bad_case{"prefix_chars", "[dataplane]\nfile_prefix = \"a b\"\n", errc::bad_value, 2, "file_prefix"},
        bad_case{"port_not_array", "[port]\nname = \"x\"\n", errc::wrong_type, 1, "port"},
        bad_case{"port_no_role", "[[port]]\nname = \"x\"\ndevargs = \"net_null0\"\n", errc::missing_key, 1,
                 "port[0].role"},
        bad_case{"port_bad_role", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"edge\"\n", errc::bad_value, 4,
                 "port[0].role"},
        bad_case{"port_bad_addr", P + "\n[[port]]\nname = \"y\"\ndevargs = \"d\"\nrole = \"core\"\naddresses = [\"10.0.0.1/33\"]\n",
                 errc::bad_value, 12, "port[1].addresses[0]"},
        bad_case{"port_no_len", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"core\"\naddresses = [\"10.0.0.1\"]\n",
                 errc::bad_value, 5, "addresses[0]"},
        bad_case{"port_mtu", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"core\"\nmtu = 20\n", errc::out_of_range, 5,
                 "port[0].mtu"},
        bad_case{"port_mac_multicast", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"core\"\nmac = \"01:00:5e:00:00:01\"\n",
                 errc::bad_value, 5, "port[0].mac"},
        bad_case{"port_vlan_range", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"core\"\nvlan = 4095\n",
                 errc::out_of_range, 5, "port[0].vlan"},
        bad_case{"port_vlan_negative", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"access\"\nvlan = -1\n",
                 errc::out_of_range, 5, "port[0].vlan"},
        bad_case{"port_vlan_type", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"access\"\nvlan = \"100\"\n",
                 errc::wrong_type, 5, "port[0].vlan"},
        bad_case{"port_verify_udp_type",
                 "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"access\"\nverify_udp_checksum = \"yes\"\n",
                 errc::wrong_type, 5, "port[0].verify_udp_checksum"},
        bad_case{"port_vlan_attachment", P + "[[port]]\nname = \"b0\"\ndevargs = \"n1\"\nrole = \"attachment\"\nvlan = 7\n",
                 errc::bad_value, 11, "port[1].vlan"},
        bad_case{"gateway_family", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"core\"\ngateway = \"2001:db8::1\"\n",
                 errc::bad_value, 5, "gateway"},
        bad_case{"dup_port_name", P + "[[port]]\nname = \"a0\"\ndevargs = \"net_null9\"\nrole = \"core\"\n",
                 errc::duplicate, 8, "port[1].name"},
        bad_case{"dup_devargs", P + "[[port]]\nname = \"b0\"\ndevargs = \"net_null0\"\nrole = \"core\"\n",
                 errc::duplicate, 9, "port[1].devargs"},
        bad_case{"dup_address", P + "[[port]]\nname = \"b0\"\ndevargs = \"n1\"\nrole = \"core\"\naddresses=[\"192.0.2.1/32\"]\n",
                 errc::duplicate, 11, "port[1].addresses"},
        bad_case{"neighbour_family", "[[port]]\nname = \"x\"\ndevargs = \"d\"\nrole = \"core\"\naddresses = [\"10.0.0.1/8\"]\n"
                                     "neighbours = [{ address = \"2001:db8::2\", mac = \"02:00:00:00:00:02\" }]\n",
                 errc::bad_value, 6, "neighbours"},
        bad_case{"tunnel_missing_id", P + "[[static_tunnel]]\npeer_tunnel_id = 1\nlocal=\"192.0.2.1\"\nremote=\"192.0.2.2\"\n",
                 errc::missing_key, 7, "static_tunnel[0].tunnel_id"},
        bad_case{"tunnel_zero_id", P + "[[static_tunnel]]\ntunnel_id = 0\n", errc::out_of_range, 8, "tunnel_id"},
        bad_case{"tunnel_family_mix",
                 P + "[[static_tunnel]]\ntunnel_id=1\npeer_tunnel_id=1\nlocal=\"192.0.2.1\"\nremote=\"2001:db8::2\"\n",
                 errc::bad_value, 11, "static_tunnel[0].remote"},
        bad_case{"tunnel_ip_with_ports",
                 P + "[[static_tunnel]]\ntunnel_id=1\npeer_tunnel_id=1\nencap=\"ip\"\nlocal=\"192.0.2.1\"\nremote=\"192.0.2.2\"\nudp_sport=5\n",
                 errc::bad_value, 13, "static_tunnel[0]"},
        bad_case{"tunnel_foreign_local",
                 P + "[[static_tunnel]]\ntunnel_id=1\npeer_tunnel_id=1\nlocal=\"192.0.2.9\"\nremote=\"192.0.2.2\"\n",
                 errc::bad_reference, 10, "static_tunnel[0].local"},
        bad_case{"tunnel_dup",
                 P + "[[static_tunnel]]\ntunnel_id=1\npeer_tunnel_id=1\nlocal=\"192.0.2.1\"\nremote=\"192.0.2.2\"\n"
                     "[[static_tunnel]]\ntunnel_id=1\npeer_tunnel_id=2\nlocal=\"192.0.2.1\"\nremote=\"192.0.2.3\"\n",
                 errc::duplicate, 13, "static_tunnel[1].tunnel_id"},
        bad_case{"session_unknown_tunnel",
                 P + "[[static_session]]\ntunnel_id=5\nsession_id=1\npeer_session_id=1\nattachment_port=\"a0\"\n",
                 errc::bad_reference, 8, "static_session[0].tunnel_id"},
        bad_case{"session_bad_cookie",
                 P + "[[static_session]]\ntunnel_id=5\nsession_id=1\npeer_session_id=1\ncookie=\"0x010203\"\n",
                 errc::bad_value, 11, "static_session[0].cookie"},
        bad_case{"session_vlan_missing",
                 P + "[[static_session]]\ntunnel_id=5\nsession_id=1\npeer_session_id=1\npseudowire=\"eth_vlan\"\n"
                     "attachment_port=\"a0\"\n",
                 errc::missing_key, 7, "static_session[0].vlan"},
        bad_case{"session_seq_without_l2spec",
                 P + "[[static_session]]\ntunnel_id=5\nsession_id=1\npeer_session_id=1\nl2spec_type=\"none\"\nseq=\"send\"\n"
                     "attachment_port=\"a0\"\n",
                 errc::bad_value, 12, "static_session[0].seq"},
        bad_case{"session_reorder_range",
                 P + "[[static_session]]\ntunnel_id=5\nsession_id=1\npeer_session_id=1\nreorder_timeout_ms=65536\n"
                     "attachment_port=\"a0\"\n",
                 errc::out_of_range, 11, "static_session[0].reorder_timeout_ms"},
        bad_case{"session_reorder_negative",
                 P + "[[static_session]]\ntunnel_id=5\nsession_id=1\npeer_session_id=1\nreorder_timeout_ms=-1\n"
                     "attachment_port=\"a0\"\n",
                 errc::out_of_range, 11, "static_session[0].reorder_timeout_ms"},
        bad_case{"session_reorder_without_l2spec",
                 P + "[[static_session]]\ntunnel_id=5\nsession_id=1\npeer_session_id=1\nl2spec_type=\"none\"\n"
                     "reorder_timeout_ms=50\nattachment_port=\"a0\"\n",
                 errc::bad_value, 12, "static_session[0].reorder_timeout_ms"},
        bad_case{"session_attach_not_attachment",
                 P + "[[static_tunnel]]\ntunnel_id=1\npeer_tunnel_id=1\nlocal=\"192.0.2.1\"\nremote=\"192.0.2.2\"\n"
                     "[[static_session]]\ntunnel_id=1\nsession_id=1\npeer_session_id=1\nattachment_port=\"a0\"\n",
                 errc::bad_reference, 16, "attachment_port"}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(config, parse_helpers) {
	ip_address a;
	EXPECT_TRUE(parse_ip("10.1.2.3", a));
	EXPECT_EQ(a.family, 4);
	EXPECT_FALSE(parse_ip("10.1.2", a));
	EXPECT_FALSE(parse_ip("", a));
	EXPECT_FALSE(parse_ip(std::string(100, '1'), a));
	ip_prefix p;
	EXPECT_TRUE(parse_prefix("::/0", p));
	EXPECT_EQ(p.length, 0);
	EXPECT_FALSE(parse_prefix("::/129", p));
	EXPECT_FALSE(parse_prefix("1.2.3.4/", p));
	EXPECT_FALSE(parse_prefix("1.2.3.4/2x", p));
	mac_address m;
	EXPECT_TRUE(parse_mac("aa:BB:cc:00:11:22", m));
	EXPECT_EQ(m[1], 0xbb);
	EXPECT_FALSE(parse_mac("aa:bb:cc:00:11", m));
	EXPECT_FALSE(parse_mac("aa:bb:cc:00:11:2g", m));
	std::vector<uint8_t> b;
	EXPECT_TRUE(parse_hex_bytes("0xA0b1", b));
	EXPECT_EQ(b, (std::vector<uint8_t>{0xa0, 0xb1}));
	EXPECT_FALSE(parse_hex_bytes("abc", b));
}

TEST(config, example_files_load) {
	for (const char *f : {"/config/lns-example.toml", "/config/static-l2tpv3.toml"}) {
		auto r = load_file(std::string(L2TPX_SOURCE_ROOT) + f);
		ASSERT_TRUE(r) << r.error().to_string();
	}
	// The whole-concentrator example carries the control plane's tables too.
	EXPECT_FALSE(load_file(std::string(L2TPX_SOURCE_ROOT) + "/config/lns.toml"));
	load_options opts;
	opts.extra_tables = controlplane_tables;
	auto lns = load_file(std::string(L2TPX_SOURCE_ROOT) + "/config/lns.toml", opts);
	ASSERT_TRUE(lns) << lns.error().to_string();
	auto r = load_file(std::string(L2TPX_SOURCE_ROOT) + "/config/static-l2tpv3.toml");
	ASSERT_TRUE(r);
	EXPECT_EQ(r->static_sessions.size(), 2u);
	EXPECT_EQ(r->static_tunnels[0].port, "wan");
}

TEST(config, missing_file_is_io_error) {
	auto r = load_file("/nonexistent/l2tpx.toml");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, errc::io);
}

} // namespace
