#include "tests/dp_e2e/ring_cmd_parse.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace l2tpx;
using test::parse_ring_command;

namespace {

TEST(ring_cmd_parse, add_tunnel_v2) {
	auto r = parse_ring_command("add_tunnel version=2 port=0 local_tunnel=1000 peer_tunnel=0x7d0 local=198.18.0.1 "
	                            "peer=198.18.0.2",
	                            42);
	ASSERT_TRUE(r.ok) << r.error;
	EXPECT_EQ(r.cmd.hdr.version, ring::abi_version);
	EXPECT_EQ(r.cmd.hdr.type, uint16_t(ring::command_type::add_tunnel));
	EXPECT_EQ(r.cmd.hdr.seq, 42u);
	const auto &t = r.cmd.tunnel;
	EXPECT_EQ(t.version, 2);
	EXPECT_EQ(t.enc, ring::encap::udp);
	EXPECT_EQ(t.local_tunnel_id, 1000u);
	EXPECT_EQ(t.peer_tunnel_id, 2000u);
	EXPECT_EQ(t.local_udp_port, 1701);
	EXPECT_EQ(t.peer_udp_port, 1701);
	EXPECT_EQ(t.local.family, 4);
	const uint8_t local[4] = {198, 18, 0, 1}, peer[4] = {198, 18, 0, 2};
	EXPECT_EQ(std::memcmp(t.local.bytes, local, 4), 0);
	EXPECT_EQ(std::memcmp(t.peer.bytes, peer, 4), 0);
}

TEST(ring_cmd_parse, add_session_every_field) {
	auto r = parse_ring_command(
	    "add_session version=3 encap=ip pw=eth_vlan port=1 attach_port=2 vlan=42 local_tunnel=10 local_session=100 "
	    "peer_tunnel=20 peer_session=200 local=2001:db8::1 peer=2001:db8::2 flags=send_seq,require_seq,l2ss "
	    "mss=1400 mru=1492 cookie=0a0b0c0d peer_cookie=0x0102030405060708 subscriber=100.64.0.10 "
	    "route=10.1.0.0/24 route=10.2.0.0/16 v6_prefix=2001:db8:1::/64",
	    1);
	ASSERT_TRUE(r.ok) << r.error;
	const auto &s = r.cmd.session;
	EXPECT_EQ(s.version, 3);
	EXPECT_EQ(s.enc, ring::encap::ip);
	EXPECT_EQ(s.pw_type, ring::pw::eth_vlan);
	EXPECT_EQ(s.access_port, 1);
	EXPECT_EQ(s.attach_port, 2);
	EXPECT_EQ(s.attach_vlan, 42);
	EXPECT_EQ(s.local_session_id, 100u);
	EXPECT_EQ(s.peer_session_id, 200u);
	EXPECT_EQ(s.local_udp_port, 0); // encap ip: no UDP ports by default
	EXPECT_EQ(s.flags, ring::session_flag::send_seq | ring::session_flag::require_seq | ring::session_flag::l2ss);
	EXPECT_EQ(s.mss_clamp, 1400);
	EXPECT_EQ(s.mru, 1492);
	EXPECT_EQ(s.local.family, 6);
	ASSERT_EQ(s.cookie_len, 4);
	EXPECT_EQ(s.cookie[0], 0x0a);
	EXPECT_EQ(s.cookie[3], 0x0d);
	ASSERT_EQ(s.peer_cookie_len, 8);
	EXPECT_EQ(s.peer_cookie[7], 0x08);
	const uint8_t sub[4] = {100, 64, 0, 10};
	EXPECT_EQ(std::memcmp(s.subscriber_v4, sub, 4), 0);
	ASSERT_EQ(s.framed_route_count, 2);
	EXPECT_EQ(s.framed_routes[1].addr[1], 2);
	EXPECT_EQ(s.framed_routes[1].length, 16);
	EXPECT_EQ(s.v6_prefix.length, 64);
	EXPECT_EQ(s.v6_prefix.addr[5], 1);
}

TEST(ring_cmd_parse, small_commands) {
	auto r = parse_ring_command("add_route version=2 local_tunnel=1 local_session=2 prefix=2001:db8::/48", 1);
	ASSERT_TRUE(r.ok) << r.error;
	EXPECT_EQ(r.cmd.route.prefix.family, 6);
	EXPECT_EQ(r.cmd.route.length, 48);
	r = parse_ring_command("add_neighbour port=1 address=198.19.0.2 mac=02:00:c6:13:00:02", 1);
	ASSERT_TRUE(r.ok) << r.error;
	EXPECT_EQ(r.cmd.neighbour.port, 1);
	EXPECT_EQ(r.cmd.neighbour.mac[5], 2);
	r = parse_ring_command("remove_neighbour port=1 address=198.19.0.2", 1);
	EXPECT_TRUE(r.ok) << r.error;
	r = parse_ring_command("  hello  ", 9);
	ASSERT_TRUE(r.ok) << r.error;
	EXPECT_EQ(r.cmd.hdr.type, uint16_t(ring::command_type::hello));
	r = parse_ring_command("dump_sessions", 1);
	EXPECT_TRUE(r.ok) << r.error;
	r = parse_ring_command("get_session_counters version=2 local_tunnel=1 local_session=2", 1);
	EXPECT_TRUE(r.ok) << r.error;
	r = parse_ring_command("remove_session version=2 local_tunnel=1 local_session=2", 1);
	EXPECT_TRUE(r.ok) << r.error;
	r = parse_ring_command("remove_tunnel version=3 local_tunnel=1", 1);
	EXPECT_TRUE(r.ok) << r.error;
}

struct bad_case {
	const char *text;
	const char *error_starts_with;
};

TEST(ring_cmd_parse, errors_name_the_word) {
	const bad_case cases[] = {
	    {"", "empty command"},
	    {"frobnicate", "frobnicate: unknown command"},
	    {"hello extra", "extra: expected key=value"},
	    {"hello x=1", "x: unknown or repeated key"},
	    {"remove_tunnel version=2", "local_tunnel: missing"},
	    {"remove_tunnel version=4 local_tunnel=1", "version: "},
	    {"remove_tunnel version=2 local_tunnel=1 local_tunnel=2", "local_tunnel: unknown or repeated"},
	    {"remove_tunnel version=2 local_tunnel=0x1ffffffff", "local_tunnel: not a number"},
	    {"add_tunnel version=2 port=0 local_tunnel=1 peer_tunnel=2 local=198.18.0.1 peer=2001:db8::1",
	     "peer: family differs"},
	    {"add_tunnel version=2 port=0 local_tunnel=1 peer_tunnel=2 local=198.18.0.300 peer=198.18.0.2",
	     "local: not an IPv4"},
	    {"add_tunnel version=2 port=0 local_tunnel=1 peer_tunnel=2 local=1.1.1.1 peer=1.1.1.2 encap=gre",
	     "encap: must be"},
	    {"add_session version=2 port=0 local_tunnel=1 local_session=1 peer_tunnel=2 peer_session=2 local=1.1.1.1 "
	     "peer=1.1.1.2 cookie=0a0b0c",
	     "cookie: must be 4 or 8"},
	    {"add_session version=2 port=0 local_tunnel=1 local_session=1 peer_tunnel=2 peer_session=2 local=1.1.1.1 "
	     "peer=1.1.1.2 flags=send_seq,bogus",
	     "flags: unknown flag 'bogus'"},
	    {"add_session version=2 port=0 local_tunnel=1 local_session=1 peer_tunnel=2 peer_session=2 local=1.1.1.1 "
	     "peer=1.1.1.2 route=10.0.0.0/33",
	     "route: must be"},
	    {"add_session version=2 port=0 local_tunnel=1 local_session=1 peer_tunnel=2 peer_session=2 local=1.1.1.1 "
	     "peer=1.1.1.2 subscriber=2001:db8::1",
	     "subscriber: must be an IPv4"},
	    {"add_session version=2 port=0 local_tunnel=1 local_session=1 peer_tunnel=2 peer_session=2 local=1.1.1.1 "
	     "peer=1.1.1.2 route=1.0.0.0/8 route=2.0.0.0/8 route=3.0.0.0/8 route=4.0.0.0/8 route=5.0.0.0/8 "
	     "route=6.0.0.0/8 route=7.0.0.0/8 route=8.0.0.0/8 route=9.0.0.0/8",
	     "route: at most 8"},
	    {"add_session version=2 port=0 local_tunnel=1 local_session=1 peer_tunnel=2 peer_session=2 local=1.1.1.1 "
	     "peer=1.1.1.2 vlan=4096",
	     "vlan: not a number in 0..4095"},
	    {"add_neighbour port=1 address=198.19.0.2", "mac: missing"},
	    {"add_neighbour port=1 address=198.19.0.2 mac=02:00:c6:13:00", "mac: must be"},
	    {"add_neighbour port=1 address=198.19.0.2 mac=02-00-c6-13-00-02", "mac: must be"},
	    {"add_route version=2 local_tunnel=1 local_session=2 prefix=10.0.0.0", "prefix: must be"},
	};
	for (const auto &c : cases) {
		auto r = parse_ring_command(c.text, 1);
		EXPECT_FALSE(r.ok) << c.text;
		EXPECT_EQ(r.error.rfind(c.error_starts_with, 0), 0u) << c.text << " -> " << r.error;
	}
}

TEST(ring_cmd_parse, describe_events) {
	ring::event e = ring::make_event(ring::event_type::completion, 7);
	e.done.command = uint16_t(ring::command_type::add_session);
	e.done.result = ring::status::index_busy;
	e.done.index = 12;
	std::strcpy(e.done.detail, "slot used");
	EXPECT_EQ(test::describe_event(e), "completion seq=7 add_session index_busy index=12 detail=\"slot used\"");
	e = ring::make_event(ring::event_type::session_counters, 3);
	e.counters.ref = {2, {}, 1000, 7};
	e.counters.index = 5;
	e.counters.rx_packets = 3;
	e.counters.tx_packets = 4;
	EXPECT_EQ(test::describe_event(e), "session_counters seq=3 version=2 local_tunnel=1000 local_session=7 index=5 "
	                                   "rx_packets=3 rx_bytes=0 tx_packets=4 tx_bytes=0");
	e.hdr.version = 9;
	EXPECT_EQ(test::describe_event(e), "bad_version version=9 seq=3");
}

} // namespace
