// Unit tests of the dataplane runtime's DPDK-free parts: EAL arguments, idle back-off,
// session parameter conversion.
#include "dataplane/backoff.hpp"
#include "dataplane/eal_args.hpp"
#include "dataplane/session_convert.hpp"
#include "shared/config/config_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

using namespace l2tpx;

namespace {

bool has(const std::vector<std::string> &v, const std::string &s) { return std::find(v.begin(), v.end(), s) != v.end(); }

cfg::config load(const std::string &text) {
	auto r = cfg::load_string(text);
	EXPECT_TRUE(r) << r.error().to_string();
	return r ? *r : cfg::config{};
}

TEST(eal_args, from_config) {
	auto c = load(R"(
[dataplane]
main_lcore = 0
worker_lcores = [2, 3]
file_prefix = "lns1"
eal_args = ["--no-huge", "-m", "256"]
[[port]]
name = "a"
devargs = "net_af_packet0,iface=veth0"
role = "access"
[[port]]
name = "b"
devargs = "0000:01:00.1"
role = "core"
)");
	auto v = dp::build_eal_args(c, "prog", {"--log-level=8"});
	ASSERT_GE(v.size(), 5u);
	EXPECT_EQ(v[0], "prog");
	EXPECT_TRUE(has(v, "--file-prefix=lns1"));
	EXPECT_TRUE(has(v, "--proc-type=primary"));
	EXPECT_TRUE(has(v, "0,2,3"));
	EXPECT_TRUE(has(v, "--main-lcore=0"));
	EXPECT_TRUE(has(v, "--vdev=net_af_packet0,iface=veth0"));
	EXPECT_TRUE(has(v, "0000:01:00.1"));
	EXPECT_FALSE(has(v, "--no-pci"));
	EXPECT_EQ(v.back(), "--log-level=8"); // command line last: it wins
	EXPECT_EQ(v[v.size() - 2], "256");
}

TEST(eal_args, vdev_only_adds_no_pci_and_respects_lcores) {
	auto c = load(R"(
[dataplane]
eal_args = ["--lcores", "(0,1)@0"]
telemetry = false
[[port]]
name = "a"
devargs = "net_null0"
role = "access"
)");
	auto v = dp::build_eal_args(c, "prog", {});
	EXPECT_TRUE(has(v, "--no-pci"));
	EXPECT_TRUE(has(v, "--no-telemetry"));
	EXPECT_FALSE(has(v, "-l"));
	EXPECT_FALSE(has(v, "--main-lcore=0"));
	auto w = dp::build_eal_args(c, "prog", {"-a", "0000:02:00.0"});
	EXPECT_FALSE(has(w, "--no-pci"));
}

TEST(eal_args, device_names) {
	EXPECT_TRUE(dp::is_vdev("net_ring0"));
	EXPECT_TRUE(dp::is_vdev("net_memif0,role=server"));
	EXPECT_FALSE(dp::is_vdev("0000:01:00.0"));
	EXPECT_EQ(dp::port_device_name("net_af_packet0,iface=veth0"), "net_af_packet0");
	EXPECT_EQ(dp::port_device_name("0000:01:00.0"), "0000:01:00.0");
}

using act = dp::idle_backoff::action;

TEST(idle_backoff, spins_then_sleeps_doubling_to_max) {
	dp::idle_backoff b(cfg::idle_backoff{3, 10});
	EXPECT_EQ(b.on_poll(0), act::pause);
	EXPECT_EQ(b.on_poll(0), act::pause);
	EXPECT_EQ(b.on_poll(0), act::pause);
	const uint32_t expect[] = {1, 2, 4, 8, 10, 10};
	for (uint32_t e : expect) {
		EXPECT_EQ(b.on_poll(0), act::sleep);
		EXPECT_EQ(b.sleep_us(), e);
	}
	EXPECT_EQ(b.on_poll(5), act::none); // work resets everything
	EXPECT_FALSE(b.sleeping());
	EXPECT_EQ(b.on_poll(0), act::pause);
}

TEST(idle_backoff, zero_max_sleep_is_busy_polling) {
	dp::idle_backoff b(cfg::idle_backoff{0, 0});
	for (int i = 0; i < 100; i++)
		EXPECT_EQ(b.on_poll(0), act::pause);
}

ring::session_params v2_session() {
	ring::session_params p{};
	p.version = 2;
	p.enc = ring::encap::udp;
	p.pw_type = ring::pw::ppp;
	p.flags = ring::session_flag::send_seq | ring::session_flag::require_seq;
	p.local_tunnel_id = 10;
	p.local_session_id = 20;
	p.peer_tunnel_id = 30;
	p.peer_session_id = 40;
	p.access_port = 1;
	p.local_udp_port = 1701;
	p.peer_udp_port = 1702;
	p.local.family = p.peer.family = 4;
	const uint8_t l[] = {192, 0, 2, 1}, r[] = {192, 0, 2, 2}, sub[] = {100, 64, 0, 7};
	std::memcpy(p.local.bytes, l, 4);
	std::memcpy(p.peer.bytes, r, 4);
	std::memcpy(p.subscriber_v4, sub, 4);
	p.mss_clamp = 1400;
	return p;
}

TEST(session_convert, v2_ppp) {
	dp::session_params b;
	std::string err;
	ASSERT_TRUE(dp::to_build_params(v2_session(), 7, 9, b, err)) << err;
	EXPECT_EQ(b.encap, dp::encap_kind::v2_udp4);
	EXPECT_EQ(b.pw, dp::pw_type::ppp);
	EXPECT_EQ(b.local_tunnel_id, 10u);
	EXPECT_EQ(b.peer_session_id, 40u);
	EXPECT_EQ(b.tunnel_index, 7u);
	EXPECT_EQ(b.generation, 9u);
	EXPECT_EQ(b.subscriber_v4, 0x64400007u);
	EXPECT_EQ(b.peer_udp_port, 1702);
	EXPECT_EQ(b.egress_port, 1);
	EXPECT_EQ(b.mss_clamp, 1400);
	EXPECT_TRUE(b.flags & dp::session_flag::send_seq);
	EXPECT_TRUE(b.flags & dp::session_flag::require_seq);
	EXPECT_EQ(b.peer_addr[3], 2);
	dp::session rec{};
	auto r = dp::build_session(b, rec);
	EXPECT_TRUE(r);
}

TEST(session_convert, rejects_v2_over_ip_and_bad_version) {
	dp::session_params b;
	std::string err;
	auto p = v2_session();
	p.enc = ring::encap::ip;
	EXPECT_FALSE(dp::to_build_params(p, 0, 0, b, err));
	p = v2_session();
	p.version = 4;
	EXPECT_FALSE(dp::to_build_params(p, 0, 0, b, err));
	EXPECT_FALSE(err.empty());
}

TEST(session_convert, static_l2tpv3_from_config) {
	auto c = load(R"(
[[port]]
name = "wan"
devargs = "net_null0"
role = "access"
addresses = ["2001:db8::1/64"]
[[port]]
name = "lan"
devargs = "net_null1"
role = "attachment"
[[static_tunnel]]
tunnel_id = 5
peer_tunnel_id = 6
encap = "ip"
local = "2001:db8::1"
remote = "2001:db8::2"
[[static_session]]
tunnel_id = 5
session_id = 0x10001
peer_session_id = 0x20002
cookie = "0x01020304"
peer_cookie = "0x0a0b0c0d0e0f1011"
seq = "recv"
pseudowire = "eth_vlan"
vlan = 100
attachment_port = "lan"
reorder_timeout_ms = 40
)");
	ASSERT_EQ(c.static_sessions.size(), 1u);
	const auto t = dp::static_tunnel_params(c.static_tunnels[0], 3);
	EXPECT_EQ(t.version, 3);
	EXPECT_EQ(t.enc, ring::encap::ip);
	EXPECT_EQ(t.local_udp_port, 0);
	EXPECT_EQ(t.port, 3);
	const auto s = dp::static_session_params(c.static_sessions[0], c.static_tunnels[0], 3, 4);
	EXPECT_EQ(s.local_session_id, 0x10001u);
	EXPECT_EQ(s.peer_session_id, 0x20002u);
	EXPECT_EQ(s.pw_type, ring::pw::eth_vlan);
	EXPECT_EQ(s.attach_port, 4);
	EXPECT_EQ(s.attach_vlan, 100);
	EXPECT_EQ(s.cookie_len, 4);
	EXPECT_EQ(s.peer_cookie_len, 8);
	EXPECT_EQ(s.peer_cookie[7], 0x11);
	EXPECT_EQ(s.flags, ring::session_flag::require_seq | ring::session_flag::l2ss);
	EXPECT_EQ(s.reorder_timeout_ms, 40);
	dp::session_params b;
	std::string err;
	ASSERT_TRUE(dp::to_build_params(s, 0, 1, b, err)) << err;
	EXPECT_EQ(b.encap, dp::encap_kind::v3_ip6);
	EXPECT_EQ(b.pw, dp::pw_type::eth_vlan);
	dp::session rec{};
	auto r = dp::build_session(b, rec);
	EXPECT_TRUE(r) << (r ? "" : dp::to_string(r.error()));
	EXPECT_EQ(rec.rx_cookie_len, 4);
	EXPECT_EQ(rec.reorder_timeout_ms, 40);
	EXPECT_EQ(rec.rx_fast, 0); // reordering is the general path's
}

} // namespace
