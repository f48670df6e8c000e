#include "controlplane/l2tp/session.hpp"

#include <gtest/gtest.h>

#include <set>

#include "controlplane/l2tp/l2tp_test_harness.hpp"

namespace l2tpx::cp::test {
namespace {

using M = ctl::msg_type;
namespace rc = ctl::result_codes;

struct call_fixture : ::testing::Test {
	std::unique_ptr<two_ends> n;
	tunnel *lac_t = nullptr;

	void up(endpoint_config lac = two_ends::lac_default(), endpoint_config lns = two_ends::lns_default()) {
		n = std::make_unique<two_ends>(lac, lns);
		auto t = n->lac.ep->open_tunnel(lns_addr);
		ASSERT_TRUE(t);
		lac_t = *t;
	}
	session *lns_session() { return n->lns.ev.up_sessions.empty() ? nullptr : n->lns.ev.up_sessions.back(); }
	session *lac_session() { return n->lac.ev.up_sessions.empty() ? nullptr : n->lac.ev.up_sessions.back(); }
};

TEST_F(call_fixture, incoming_call_placed_before_the_tunnel_is_up) {
	up();
	call_params p;
	p.call_serial = 77;
	p.calling_number = "0123456789";
	p.called_number = "lns";
	p.tx_connect_speed = 100000000;
	p.framing_type = 1;
	p.sequencing_required = true;
	p.last_sent_lcp_confreq = {1, 1, 0, 8, 1, 4, 5, 0xdc};
	p.has_proxy_auth = true;
	p.proxy_authen_type = 3;
	p.proxy_authen_name = "alice";
	p.proxy_authen_response = {'p', 'w'};
	auto s = lac_t->place_call(p);
	ASSERT_TRUE(s);
	n->run();
	EXPECT_EQ(n->types_from(lac_addr), (std::vector<M>{M::sccrq, M::scccn, M::icrq, M::iccn}));
	EXPECT_EQ(n->types_from(lns_addr), (std::vector<M>{M::sccrp, M::icrp}));
	session *lns = lns_session(), *lac = lac_session();
	ASSERT_TRUE(lns && lac);
	EXPECT_EQ(lac, *s);
	EXPECT_EQ(lns->state(), session_state::established);
	EXPECT_EQ(lns->peer_id(), lac->local_id());
	EXPECT_EQ(lac->peer_id(), lns->local_id());
	EXPECT_NE(lns->local_id().value, 0);
	const call_params &got = lns->params();
	EXPECT_EQ(got.call_serial, 77u);
	EXPECT_EQ(got.calling_number, "0123456789");
	EXPECT_EQ(got.called_number, "lns");
	EXPECT_EQ(got.tx_connect_speed, 100000000u);
	EXPECT_TRUE(got.sequencing_required);
	EXPECT_EQ(got.last_sent_lcp_confreq, p.last_sent_lcp_confreq);
	EXPECT_TRUE(got.has_proxy_auth);
	EXPECT_EQ(got.proxy_authen_name, "alice");
	EXPECT_EQ(got.proxy_authen_response, p.proxy_authen_response);
	EXPECT_EQ(lns->direction(), call_direction::incoming);
}

// A LAC must not start PPP for a call while its ICCN still waits behind a closed send
// window: the LNS would get LCP for a call it has not connected. With the LNS advertising
// a window of 1 and six calls dialled at once, every session_up on the LAC side must come
// after that call's ICCN went on the wire.
TEST_F(call_fixture, lac_starts_ppp_only_once_its_iccn_is_on_the_wire) {
	auto lns = two_ends::lns_default();
	lns.tunnel.transport.our_rws = 1;
	up(two_ends::lac_default(), lns);
	n->run();
	ASSERT_EQ(lac_t->state(), tunnel_state::established);
	int iccn_sent = 0;
	bool ppp_before_iccn = false;
	// When an ICCN goes out, the calls already up must be those whose ICCN went before.
	n->filter = [&](datagram &g) {
		if (g.from == lac_addr && msg_type_of(g.bytes) == M::iccn) {
			if (n->lac.ev.up_sessions.size() > static_cast<size_t>(iccn_sent))
				ppp_before_iccn = true;
			++iccn_sent;
		}
		return true;
	};
	for (int i = 0; i < 6; ++i)
		ASSERT_TRUE(lac_t->place_call(call_params{}));
	n->run(5s);
	EXPECT_EQ(iccn_sent, 6);
	EXPECT_EQ(n->lac.ev.up_sessions.size(), 6u);
	EXPECT_FALSE(ppp_before_iccn);
	EXPECT_EQ(n->lns.ev.up_sessions.size(), 6u);
}

TEST_F(call_fixture, outgoing_call_from_the_lns) {
	up();
	n->run();
	tunnel *lns_t = n->only_tunnel(n->lns);
	call_params p;
	p.called_number = "555";
	p.minimum_bps = 1000;
	p.maximum_bps = 64000;
	auto s = lns_t->place_call(p);
	ASSERT_TRUE(s);
	n->run();
	EXPECT_EQ(n->types_from(lns_addr), (std::vector<M>{M::sccrp, M::ocrq}));
	EXPECT_EQ(n->types_from(lac_addr), (std::vector<M>{M::sccrq, M::scccn, M::ocrp, M::occn}));
	ASSERT_TRUE(lns_session() && lac_session());
	EXPECT_EQ(lns_session(), *s);
	EXPECT_EQ(lac_session()->params().called_number, "555");
	EXPECT_EQ(lns_session()->params().tx_connect_speed, 64000u);
	// Roles are explicit: a LAC does not place outgoing calls, an LNS does not accept them.
	EXPECT_EQ(lac_t->place_call({}).value()->direction(), call_direction::incoming);
}

TEST_F(call_fixture, cdn_in_every_direction) {
	struct row {
		bool from_lac;
		bool admin;
	} rows[] = {{true, false}, {false, false}, {true, true}, {false, true}};
	for (const auto &r : rows) {
		up();
		ASSERT_TRUE(lac_t->place_call({}));
		n->run();
		session *lns = lns_session(), *lac = lac_session();
		ASSERT_TRUE(lns && lac);
		if (r.admin)
			ASSERT_TRUE((r.from_lac ? n->lac.ep : n->lns.ep)
			                    ->clear_session((r.from_lac ? lac : lns)->owner().local_id(),
			                                    (r.from_lac ? lac : lns)->local_id()));
		else
			(r.from_lac ? lac : lns)->close(rc::cdn_lost_carrier, 0, "bye");
		n->run();
		std::vector<uint8_t> keep;
		auto cdn = n->last(r.from_lac ? lac_addr : lns_addr, M::cdn, keep);
		ASSERT_TRUE(cdn);
		const uint16_t want = r.admin ? rc::cdn_admin : rc::cdn_lost_carrier;
		EXPECT_EQ(cdn->result_code.result, want);
		for (side *s : {&n->lac, &n->lns}) {
			ASSERT_EQ(s->ev.session_down.size(), 1u);
			EXPECT_EQ(s->ev.session_down[0].result, want);
		}
		EXPECT_FALSE(n->lac.ev.session_down[0].local == n->lns.ev.session_down[0].local);
		EXPECT_EQ(n->only_tunnel(n->lns)->session_count(), 0u) << "reaped";
		EXPECT_TRUE(n->only_tunnel(n->lns)->established()) << "the tunnel stays";
	}
}

TEST_F(call_fixture, wen_and_sli_are_applied) {
	up();
	ASSERT_TRUE(lac_t->place_call({}));
	n->run();
	ctl::call_errors_value e{};
	e.crc_errors = 3;
	e.timeout_errors = 1;
	ASSERT_TRUE(lac_session()->send_wen(e));
	ASSERT_TRUE(lns_session()->send_sli(0, 0xa0000));
	n->run();
	EXPECT_EQ(lns_session()->params().call_errors.crc_errors, 3u);
	EXPECT_EQ(lns_session()->params().wen_count, 1u);
	EXPECT_EQ(lac_session()->params().receive_accm, 0xa0000u);
	EXPECT_EQ(lac_session()->params().send_accm, 0u);
	EXPECT_EQ(n->lns.ev.log.back(), "link_info");
	EXPECT_EQ(n->lac.ev.log.back(), "link_info");
}

TEST_F(call_fixture, hidden_avps_when_configured) {
	auto lac = two_ends::lac_default();
	auto lns = two_ends::lns_default();
	lac.tunnel.secrets.default_secret = "hide-me";
	lac.tunnel.hide_avps = true;
	lns.tunnel.secrets.default_secret = "hide-me";
	up(lac, lns);
	call_params p;
	p.calling_number = "secret-number";
	ASSERT_TRUE(lac_t->place_call(p));
	n->run();
	ASSERT_TRUE(lns_session());
	EXPECT_EQ(lns_session()->params().calling_number, "secret-number");
	// On the wire the ICRQ carries a Random Vector and hidden values.
	for (const auto &g : n->wire) {
		if (msg_type_of(g.bytes) != M::icrq)
			continue;
		const std::string s(g.bytes.begin(), g.bytes.end());
		EXPECT_EQ(s.find("secret-number"), std::string::npos);
	}
	std::vector<uint8_t> keep;
	EXPECT_FALSE(n->last(lac_addr, M::icrq, keep)) << "cannot be decoded without the secret";
}

TEST_F(call_fixture, session_ids_avoid_busy_dataplane_slots) {
	// A 16-slot dataplane table: every one of 16 sessions must get a slot of its own, which
	// random IDs alone would not give (the birthday bound makes a collision near certain).
	up();
	n->lns.ep->set_session_index_mask(15);
	for (int i = 0; i < 16; i++)
		ASSERT_TRUE(lac_t->place_call({}));
	n->run();
	tunnel &t = *n->only_tunnel(n->lns);
	std::set<uint32_t> slots;
	t.for_each_session([&](session &s) {
		slots.insert(((uint32_t(t.local_id().value) << 16) | s.local_id().value) & 15);
	});
	EXPECT_EQ(t.session_count(), 16u);
	EXPECT_EQ(slots.size(), 16u);
}

TEST_F(call_fixture, session_limit_and_wrong_direction) {
	auto lns = two_ends::lns_default();
	lns.tunnel.max_sessions = 1;
	up(two_ends::lac_default(), lns);
	auto a = lac_t->place_call({});
	auto b = lac_t->place_call({});
	ASSERT_TRUE(a && b);
	n->run();
	// Session pointers live until their session_down hook returns: b is gone now.
	EXPECT_EQ((*a)->state(), session_state::established);
	EXPECT_EQ(lac_t->session_count(), 1u);
	ASSERT_EQ(n->lac.ev.session_down.size(), 1u);
	EXPECT_EQ(n->lac.ev.session_down[0].result, rc::cdn_no_facilities_temporary);
	EXPECT_EQ(n->lns.ep->counters().sessions_over_limit, 1u);

	// An OCRQ sent to the LNS (only a LAC answers those) is refused with a CDN.
	tunnel &t = *n->only_tunnel(n->lns);
	const uint16_t ns = lac_t->transport().next_ns(), nr = lac_t->transport().expected_ns();
	auto ocrq = control_packet(t.local_id().value, 0, ns, nr,
	                           {avp(0, {0, 7}), avp(14, {0x33, 0x33}), avp(15, {0, 0, 0, 1}), avp(16, {0, 0, 0, 0}),
	                            avp(17, {0, 0, 0, 1}), avp(18, {0, 0, 0, 1}), avp(19, {0, 0, 0, 1}), avp(21, {'1'})});
	n->lns.ep->receive(lac_addr, ocrq);
	n->run();
	std::vector<uint8_t> keep;
	auto cdn = n->last(lns_addr, M::cdn, keep);
	ASSERT_TRUE(cdn);
	EXPECT_EQ(cdn->result_code.result, rc::cdn_general_error);
	EXPECT_EQ(l2tp::parse_v2(keep)->session_id.value, 0x3333);
	EXPECT_EQ(t.session_count(), 1u);
}

TEST_F(call_fixture, broken_session_message_ends_the_session_only) {
	up();
	ASSERT_TRUE(lac_t->place_call({}));
	n->run();
	session *lns = lns_session();
	ASSERT_TRUE(lns);
	tunnel &t = lns->owner();
	// A WEN with an unknown mandatory AVP, sent by hand in sequence.
	const uint16_t ns = lac_t->transport().next_ns(), nr = lac_t->transport().expected_ns();
	std::vector<uint8_t> p{0xc8, 0x02, 0, 0, uint8_t(t.local_id().value >> 8), uint8_t(t.local_id().value),
	                       uint8_t(lns->local_id().value >> 8), uint8_t(lns->local_id().value),
	                       uint8_t(ns >> 8), uint8_t(ns), uint8_t(nr >> 8), uint8_t(nr),
	                       0x80, 8, 0, 0, 0, 0, 0, 15,      // Message Type WEN
	                       0x80, 8, 0, 0, 0, 99, 0, 0};     // unknown mandatory 99
	p[3] = static_cast<uint8_t>(p.size());
	n->lns.ep->receive(lac_addr, p);
	n->run();
	ASSERT_EQ(n->lns.ev.session_down.size(), 1u);
	EXPECT_EQ(n->lns.ev.session_down[0].result, rc::cdn_general_error);
	EXPECT_EQ(n->lns.ev.session_down[0].error, rc::error_unknown_mandatory_avp);
	EXPECT_TRUE(t.established());
	// A message for a session that does not exist is counted.
	const uint16_t ns2 = static_cast<uint16_t>(ns + 1);
	std::vector<uint8_t> q{0xc8, 0x02, 0, 0, uint8_t(t.local_id().value >> 8), uint8_t(t.local_id().value), 0x77, 0x77,
	                       uint8_t(ns2 >> 8), uint8_t(ns2), uint8_t(nr >> 8), uint8_t(nr),
	                       0x80, 8, 0, 0, 0, 0, 0, 16, // SLI
	                       0x80, 16, 0, 0, 0, 35, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	q[3] = static_cast<uint8_t>(q.size());
	n->lns.ep->receive(lac_addr, q);
	EXPECT_EQ(n->lns.ep->counters().rx_unknown_session, 1u);
}

TEST_F(call_fixture, ppp_frames_cross_in_data_messages) {
	up();
	ASSERT_TRUE(lac_t->place_call({}));
	n->run();
	const std::vector<uint8_t> frame{0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4};
	ASSERT_TRUE(n->lac.ep->send_ppp(*lac_session(), frame));
	ASSERT_TRUE(n->lns.ep->send_ppp(*lns_session(), frame));
	n->run();
	ASSERT_EQ(n->lns.ev.frames.size(), 1u);
	EXPECT_EQ(n->lns.ev.frames[0], frame);
	ASSERT_EQ(n->lac.ev.frames.size(), 1u);
	// Data from the wrong source is dropped.
	std::vector<uint8_t> h;
	for (const auto &g : n->wire)
		if (g.from == lac_addr && !msg_type_of(g.bytes))
			h = g.bytes;
	ASSERT_FALSE(h.empty());
	n->lns.ep->receive(udp_endpoint::v4(ip4(1), 1701), h);
	EXPECT_EQ(n->lns.ep->counters().rx_forged_source, 1u);
}

} // namespace
} // namespace l2tpx::cp::test
