// A full LNS call driven by hand-built bytes: every control message and PPP frame of the
// LAC side is written out here octet by octet, so the LNS is checked against the wire
// format itself rather than against our own encoder.
#include "controlplane/call_manager.hpp"

#include <gtest/gtest.h>

#include "controlplane/l2tp/l2tp_test_harness.hpp"

namespace l2tpx::cp::test {
namespace {

using bytes = std::vector<uint8_t>;

struct lns_under_test {
	timer_service ts;
	seeded_random rng{5};
	aaa::local_authenticator users{aaa::user_db::parse("alice pw-a\n").value()};
	aaa::address_allocator pool;
	recording_dataplane dp;
	std::unique_ptr<call_manager> lns;
	std::vector<bytes> out; // every datagram the LNS sent
	const udp_endpoint lac = udp_endpoint::v4(ipv4_addr{0xcb007105}, 1701); // 203.0.113.5

	lns_under_test() {
		pool.add_pool(aaa::ipv4_pool::create("p", ipv4_addr{0x64400002}, ipv4_addr{0x64400002}).value());
		call_manager::config cfg;
		cfg.l2tp = two_ends::lns_default();
		cfg.ppp.lcp.require_auth = ppp::auth_protocol::pap;
		cfg.ppp.lcp.echo_interval = duration::zero();
		cfg.ppp.ipcp.local = ipv4_addr{0x64400001};
		cfg.ppp.enable_ipv6cp = false;
		lns = std::make_unique<call_manager>(ts, rng, cfg, &users, &pool, dp,
		                                     [this](const udp_endpoint &, std::span<const uint8_t> d) {
			                                     out.emplace_back(d.begin(), d.end());
		                                     });
	}
	void send(const bytes &b) {
		lns->receive(lac, b);
		ts.advance(std::chrono::milliseconds(1));
	}
	// The last control message of this type the LNS sent, decoded.
	std::optional<ctl::message> last_ctl(ctl::msg_type t, bytes &keep, l2tp::v2_header *hdr = nullptr) {
		for (auto it = out.rbegin(); it != out.rend(); ++it) {
			if (msg_type_of(*it) != t)
				continue;
			keep = *it;
			auto h = l2tp::parse_v2(keep);
			ctl::message m;
			if (!h || !ctl::decode_body(h->payload, {}, m))
				return std::nullopt;
			if (hdr)
				*hdr = *h;
			return m;
		}
		return std::nullopt;
	}
	// The last PPP frame the LNS sent for this protocol and code (the information field).
	bytes last_ppp(uint16_t protocol, uint8_t code) {
		for (auto it = out.rbegin(); it != out.rend(); ++it) {
			auto h = l2tp::parse_v2(*it);
			if (!h || h->is_control() || h->payload.size() < 5)
				continue;
			const auto &p = h->payload;
			if (p[0] == 0xff && p[1] == 0x03 && load_be16(p.data() + 2) == protocol && p[4] == code)
				return bytes(p.begin() + 4, p.end());
		}
		return {};
	}
};

bytes data(uint16_t tunnel, uint16_t session, bytes ppp) {
	bytes d{0x00, 0x02, uint8_t(tunnel >> 8), uint8_t(tunnel), uint8_t(session >> 8), uint8_t(session)};
	d.insert(d.end(), ppp.begin(), ppp.end());
	return d;
}

TEST(full_call_bytes, lns_call_from_hand_built_vectors) {
	lns_under_test t;
	// SCCRQ: Message Type 1, Protocol Version 1.0, Framing Capabilities 3, Assigned Tunnel
	// ID 0x1111, Host Name "raw", Receive Window Size 4.
	t.send(control_packet(0, 0, 0, 0,
	                      {avp(0, {0, 1}), avp(2, {1, 0}), avp(3, {0, 0, 0, 3}), avp(9, {0x11, 0x11}),
	                       avp(7, {'r', 'a', 'w'}), avp(10, {0, 4})}));
	bytes keep;
	l2tp::v2_header h;
	auto sccrp = t.last_ctl(ctl::msg_type::sccrp, keep, &h);
	ASSERT_TRUE(sccrp);
	EXPECT_EQ(h.tunnel_id.value, 0x1111);
	EXPECT_EQ(h.ns, 0);
	EXPECT_EQ(h.nr, 1);
	const uint16_t T = sccrp->assigned_tunnel_id;
	ASSERT_NE(T, 0);
	EXPECT_EQ(sccrp->protocol_version, 0x0100);
	EXPECT_EQ(ctl::as_string(sccrp->host_name), "lns1");

	// SCCCN (Ns 1, Nr 1), then ICRQ: Assigned Session ID 0x2222, Call Serial Number 9.
	t.send(control_packet(T, 0, 1, 1, {avp(0, {0, 3})}));
	t.send(control_packet(T, 0, 2, 1, {avp(0, {0, 10}), avp(14, {0x22, 0x22}), avp(15, {0, 0, 0, 9})}));
	auto icrp = t.last_ctl(ctl::msg_type::icrp, keep, &h);
	ASSERT_TRUE(icrp);
	EXPECT_EQ(h.session_id.value, 0x2222);
	EXPECT_EQ(h.nr, 3);
	const uint16_t S = icrp->assigned_session_id;
	ASSERT_NE(S, 0);
	// ICCN: (Tx) Connect Speed 10 Mb/s, Framing Type sync.
	t.send(control_packet(T, S, 3, 2, {avp(0, {0, 12}), avp(24, {0, 0x98, 0x96, 0x80}), avp(19, {0, 0, 0, 1})}));
	ASSERT_EQ(t.lns->link_count(), 1u);

	// LCP: the LNS asks for PAP; we request Magic-Number 0x12345678.
	bytes lns_req = t.last_ppp(0xc021, 1);
	ASSERT_FALSE(lns_req.empty());
	t.send(data(T, S, {0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x0a, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78}));
	bytes ack = t.last_ppp(0xc021, 2);
	EXPECT_EQ(ack, (bytes{0x02, 0x01, 0x00, 0x0a, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78}));
	bytes our_ack{0xff, 0x03, 0xc0, 0x21};
	our_ack.insert(our_ack.end(), lns_req.begin(), lns_req.end());
	our_ack[4] = 0x02; // Configure-Ack of the LNS's request
	t.send(data(T, S, our_ack));

	// PAP: peer-id "alice", password "pw-a".
	t.send(data(T, S,
	            {0xff, 0x03, 0xc0, 0x23, 0x01, 0x07, 0x00, 0x0f, 0x05, 'a', 'l', 'i', 'c', 'e', 0x04, 'p', 'w', '-', 'a'}));
	bytes pap = t.last_ppp(0xc023, 2);
	ASSERT_FALSE(pap.empty()) << "Authenticate-Ack";
	EXPECT_EQ(pap[1], 0x07);

	// IPCP: 0.0.0.0 is Nak'd with 100.64.0.2; asking for it is Ack'd.
	bytes lns_ipcp = t.last_ppp(0x8021, 1);
	ASSERT_FALSE(lns_ipcp.empty());
	EXPECT_EQ(bytes(lns_ipcp.begin() + 4, lns_ipcp.end()), (bytes{0x03, 0x06, 100, 64, 0, 1}));
	t.send(data(T, S, {0xff, 0x03, 0x80, 0x21, 0x01, 0x01, 0x00, 0x0a, 0x03, 0x06, 0, 0, 0, 0}));
	EXPECT_EQ(t.last_ppp(0x8021, 3), (bytes{0x03, 0x01, 0x00, 0x0a, 0x03, 0x06, 100, 64, 0, 2}));
	t.send(data(T, S, {0xff, 0x03, 0x80, 0x21, 0x01, 0x02, 0x00, 0x0a, 0x03, 0x06, 100, 64, 0, 2}));
	EXPECT_EQ(t.last_ppp(0x8021, 2), (bytes{0x02, 0x02, 0x00, 0x0a, 0x03, 0x06, 100, 64, 0, 2}));
	bytes ipcp_ack{0xff, 0x03, 0x80, 0x21};
	ipcp_ack.insert(ipcp_ack.end(), lns_ipcp.begin(), lns_ipcp.end());
	ipcp_ack[4] = 0x02;
	t.send(data(T, S, ipcp_ack));

	ASSERT_EQ(t.dp.sessions.size(), 1u);
	const session_install &si = t.dp.sessions.begin()->second;
	EXPECT_EQ(si.local_tunnel.value, T);
	EXPECT_EQ(si.peer_tunnel.value, 0x1111);
	EXPECT_EQ(si.local_session.value, S);
	EXPECT_EQ(si.peer_session.value, 0x2222);
	EXPECT_EQ(si.peer, t.lac);
	EXPECT_EQ(si.subscriber_ipv4.value, 0x64400002u);

	// StopCCN (Ns 4): result 1. The session leaves the dataplane, the address the pool.
	t.send(control_packet(T, 0, 4, 2, {avp(0, {0, 4}), avp(9, {0x11, 0x11}), avp(1, {0, 1})}));
	EXPECT_TRUE(t.dp.sessions.empty());
	EXPECT_EQ(t.pool.available(), 1u);
	EXPECT_EQ(msg_type_of(t.out.back()), ctl::msg_type::zlb) << "StopCCN acknowledged at once";
	EXPECT_EQ(l2tp::parse_v2(t.out.back())->nr, 5);
}

} // namespace
} // namespace l2tpx::cp::test
