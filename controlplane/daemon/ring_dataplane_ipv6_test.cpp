// The subscriber's IPv6 prefix on the command ring: in add_session / modify_session
// (ring::session_params::v6_prefix), and update_session() for an installed session.
#include "controlplane/daemon/ring_dataplane.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace l2tpx::cp::daemon {
namespace {

using ring::command_type;

struct fake_ring : command_sink {
	std::deque<ring::command> q;
	bool try_send(const ring::command &c) override {
		q.push_back(c);
		return true;
	}
};

session_install call(uint16_t t, uint16_t s) {
	session_install si;
	si.local_tunnel = tunnel_id_v2{t};
	si.peer_tunnel = tunnel_id_v2{static_cast<uint16_t>(t + 1)};
	si.local_session = session_id_v2{s};
	si.peer_session = session_id_v2{static_cast<uint16_t>(s + 1)};
	si.local = udp_endpoint::v4(*parse_ipv4("192.0.2.1"), 1701);
	si.peer = udp_endpoint::v4(*parse_ipv4("198.18.0.2"), 1701);
	si.subscriber_ipv4 = *parse_ipv4("100.64.0.10");
	return si;
}

nd::ipv6_prefix p6(const char *s, uint8_t len) {
	nd::ipv6_prefix p;
	EXPECT_TRUE(nd::parse_ipv6(s, p.addr));
	p.length = len;
	return p;
}

TEST(ring_dataplane_ipv6, to_ring_carries_the_prefix) {
	session_install si = call(7, 9);
	EXPECT_EQ(to_ring(si, 0, 0, 0).v6_prefix.length, 0);
	si.subscriber_ipv6_prefix = p6("2001:db8:100:5::", 64);
	const ring::session_params p = to_ring(si, 0, 0, 0);
	EXPECT_EQ(p.v6_prefix.length, 64);
	EXPECT_EQ(p.v6_prefix.addr[0], 0x20);
	EXPECT_EQ(p.v6_prefix.addr[7], 0x05);
	EXPECT_EQ(p.v6_prefix.addr[15], 0x00);
	EXPECT_EQ(p.v6_delegated.length, 0);
}

TEST(ring_dataplane_ipv6, update_session_sends_modify_with_the_new_prefix) {
	fake_ring sink;
	timer_service clock;
	ring_dataplane dp{sink, clock, ring_dataplane_settings{}, nullptr};
	session_install si = call(7, 9);
	// Not installed (or only prepared): refused, nothing sent.
	EXPECT_FALSE(dp.update_session(si));
	ASSERT_TRUE(dp.prepare_session(si));
	const size_t after_prepare = sink.q.size();
	EXPECT_FALSE(dp.update_session(si));
	EXPECT_EQ(sink.q.size(), after_prepare);
	ASSERT_TRUE(dp.install_session(si));
	sink.q.clear();
	si.subscriber_ipv6_prefix = p6("2001:db8:100:5::", 64);
	ASSERT_TRUE(dp.update_session(si));
	ASSERT_EQ(sink.q.size(), 1u);
	const ring::command &c = sink.q.front();
	EXPECT_EQ(static_cast<command_type>(c.hdr.type), command_type::modify_session);
	EXPECT_EQ(c.session.local_tunnel_id, 7u);
	EXPECT_EQ(c.session.local_session_id, 9u);
	EXPECT_EQ(c.session.v6_prefix.length, 64);
	EXPECT_EQ(c.session.flags & ring::session_flag::control_only, 0);
	// The prefix withdrawn (IPv6CP closed): modify without it.
	si.subscriber_ipv6_prefix = {};
	ASSERT_TRUE(dp.update_session(si));
	EXPECT_EQ(sink.q.back().session.v6_prefix.length, 0);
	dp.remove_session(si.local_tunnel, si.local_session);
	EXPECT_FALSE(dp.update_session(si));
}

} // namespace
} // namespace l2tpx::cp::daemon
