#include "dataplane/path/session_build.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dataplane/path/counters.hpp"

using namespace l2tpx::dp;

namespace {

session_params v2_params() {
	session_params p;
	p.encap = encap_kind::v2_udp4;
	p.local_tunnel_id = 0x1111;
	p.local_session_id = 0x2222;
	p.peer_tunnel_id = 0x3333;
	p.peer_session_id = 0x4444;
	const uint8_t lm[6] = {0x02, 0, 0, 0, 0, 1}, pm[6] = {0x02, 0, 0, 0, 0, 2};
	std::memcpy(p.local_mac, lm, 6);
	std::memcpy(p.peer_mac, pm, 6);
	const uint8_t la[4] = {192, 0, 2, 1}, pa[4] = {198, 51, 100, 2};
	std::memcpy(p.local_addr, la, 4);
	std::memcpy(p.peer_addr, pa, 4);
	return p;
}

std::vector<uint8_t> tmpl(const session &s) { return {s.tmpl, s.tmpl + s.layout.len}; }

} // namespace

TEST(SessionBuild, V2Udp4Template) {
	session s;
	ASSERT_TRUE(build_session(v2_params(), s));
	const std::vector<uint8_t> want = {
	    0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,                         // Ethernet
	    0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2,      // IPv4
	    0x06, 0xa5, 0x06, 0xa5, 0, 0, 0, 0,                                           // UDP
	    0x00, 0x02, 0x33, 0x33, 0x44, 0x44,                                           // L2TPv2
	    0xff, 0x03, 0, 0};                                                            // PPP
	EXPECT_EQ(tmpl(s), want);
	EXPECT_EQ(s.layout.ip_off, 14);
	EXPECT_EQ(s.layout.udp_off, 34);
	EXPECT_EQ(s.layout.l2tp_off, 42);
	EXPECT_EQ(s.layout.l2tp_len_off, 0);
	EXPECT_EQ(s.layout.seq_off, 0);
	EXPECT_EQ(s.layout.ppp_proto_off, 50);
	EXPECT_EQ(s.state, session_state::up);
	EXPECT_EQ(s.version, 2);
	// Checksum base: header words with length 0 and checksum 0, folded.
	uint32_t sum = 0x4500 + 0x4000 + 0x4011 + 0xc000 + 0x0201 + 0xc633 + 0x6402;
	sum = (sum & 0xffff) + (sum >> 16);
	EXPECT_EQ(s.layout.ip_csum_base, sum);
}

TEST(SessionBuild, V2LengthSequenceVlanNoAc) {
	auto p = v2_params();
	p.v2_length = true;
	p.flags = session_flag::send_seq;
	p.vlan = 100;
	p.ppp_address_control = false;
	session s;
	ASSERT_TRUE(build_session(p, s));
	EXPECT_EQ(s.layout.ip_off, 18);
	const uint8_t *l2tp = s.tmpl + s.layout.l2tp_off;
	EXPECT_EQ(l2tp[0], 0x48); // L + S
	EXPECT_EQ(l2tp[1], 0x02);
	EXPECT_EQ(s.layout.l2tp_len_off, s.layout.l2tp_off + 2);
	EXPECT_EQ(s.layout.seq_off, s.layout.l2tp_off + 8);
	EXPECT_EQ(s.layout.ppp_proto_off, s.layout.l2tp_off + 12);
	EXPECT_EQ(s.layout.len, s.layout.ppp_proto_off + 2);
}

TEST(SessionBuild, V3Ip6CookieL2ss) {
	session_params p = v2_params();
	p.encap = encap_kind::v3_ip6;
	p.pw = pw_type::eth;
	p.local_session_id = 0xabcdef01;
	p.peer_session_id = 0x01020304;
	p.tx_cookie_len = 8;
	for (int i = 0; i < 8; i++)
		p.tx_cookie[i] = static_cast<uint8_t>(0xa0 + i);
	p.rx_cookie_len = 4;
	p.flags = session_flag::l2ss | session_flag::send_seq;
	session s;
	ASSERT_TRUE(build_session(p, s));
	EXPECT_EQ(s.layout.udp_off, 0);
	EXPECT_EQ(s.layout.ip_off, 14);
	EXPECT_EQ(s.tmpl[14 + 6], 115);
	EXPECT_EQ(s.layout.l2tp_off, 54);
	const uint8_t want[] = {1, 2, 3, 4, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
	EXPECT_EQ(std::memcmp(s.tmpl + 54, want, sizeof(want)), 0);
	EXPECT_EQ(s.layout.seq_off, 54 + 12);
	EXPECT_EQ(s.layout.ppp_proto_off, 0);
	EXPECT_EQ(s.layout.len, 54 + 16);
}

TEST(SessionBuild, LargestTemplateFits) {
	session_params p = v2_params();
	p.encap = encap_kind::v3_udp6;
	p.vlan = 4094;
	p.local_session_id = 7;
	p.peer_session_id = 7;
	p.tx_cookie_len = 8;
	p.flags = session_flag::l2ss;
	session s;
	ASSERT_TRUE(build_session(p, s));
	EXPECT_EQ(s.layout.len, 18 + 40 + 8 + 8 + 8 + 4 + 2 + 2);
	EXPECT_LE(s.layout.len, max_template);
}

struct bad_case {
	const char *name;
	void (*mutate)(session_params &);
	session_build_error want;
};

TEST(SessionBuild, RejectsBadParameters) {
	const bad_case cases[] = {
	    {"v2 session id > 16 bits", [](session_params &p) { p.local_session_id = 0x10000; }, session_build_error::bad_ids},
	    {"zero session id", [](session_params &p) { p.peer_session_id = 0; }, session_build_error::bad_ids},
	    {"v2 cookie", [](session_params &p) { p.tx_cookie_len = 4; }, session_build_error::bad_cookie},
	    {"cookie length 5",
	     [](session_params &p) {
		     p.encap = encap_kind::v3_udp4;
		     p.rx_cookie_len = 5;
	     },
	     session_build_error::bad_cookie},
	    {"v2 ethernet pw", [](session_params &p) { p.pw = pw_type::eth; }, session_build_error::bad_pw},
	    {"eth_vlan without vlan",
	     [](session_params &p) {
		     p.encap = encap_kind::v3_udp4;
		     p.pw = pw_type::eth_vlan;
	     },
	     session_build_error::bad_pw},
	    {"v3 seq without l2ss",
	     [](session_params &p) {
		     p.encap = encap_kind::v3_ip4;
		     p.flags = session_flag::send_seq;
	     },
	     session_build_error::bad_seq},
	    {"vlan 4095", [](session_params &p) { p.vlan = 4095; }, session_build_error::bad_vlan},
	};
	for (const auto &c : cases) {
		auto p = v2_params();
		c.mutate(p);
		session s;
		auto r = build_session(p, s);
		ASSERT_FALSE(r) << c.name;
		EXPECT_EQ(r.error(), c.want) << c.name << ": " << to_string(r.error());
	}
}

TEST(SessionBuild, IndexScheme) {
	EXPECT_EQ(session_index_v2(0x0001, 0x0002, 0xffff), 0x0002u);
	EXPECT_EQ(session_index_v2(0x0003, 0x0002, 0xfffff), 0x30002u);
	EXPECT_EQ(session_index_v3(0x12345678, 0xffff), 0x5678u);
	session s;
	auto p = v2_params();
	ASSERT_TRUE(build_session(p, s));
	EXPECT_EQ(session_index(s, 0x3ffff), session_index_v2(0x1111, 0x2222, 0x3ffff));
}

TEST(Counters, NamesRoundTrip) {
	for (size_t i = 0; i < drop_reason_count; i++) {
		const auto r = static_cast<drop_reason>(i);
		auto back = drop_reason_from_string(to_string(r));
		ASSERT_TRUE(back.has_value()) << i;
		EXPECT_EQ(*back, r);
	}
	for (size_t i = 0; i < path_event_count; i++) {
		const auto e = static_cast<path_event>(i);
		auto back = path_event_from_string(to_string(e));
		ASSERT_TRUE(back.has_value()) << i;
		EXPECT_EQ(*back, e);
	}
	EXPECT_STREQ(to_string(drop_reason::bad_cookie), "bad_cookie");
	EXPECT_STREQ(to_string(path_event::decap_v2), "decap_v2");
	EXPECT_FALSE(drop_reason_from_string("nope").has_value());
	EXPECT_STREQ(to_string(static_cast<drop_reason>(9999)), "?");
}
