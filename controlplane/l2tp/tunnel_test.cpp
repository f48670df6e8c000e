#include "controlplane/l2tp/endpoint.hpp"

#include <gtest/gtest.h>

#include <set>

#include "controlplane/l2tp/l2tp_test_harness.hpp"

namespace l2tpx::cp::test {
namespace {

using M = ctl::msg_type;
namespace rc = ctl::result_codes;

TEST(tunnel, lac_opens_lns_answers) {
	two_ends n;
	auto t = n.lac.ep->open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	n.run();
	tunnel *lac_t = n.only_tunnel(n.lac), *lns_t = n.only_tunnel(n.lns);
	ASSERT_TRUE(lac_t && lns_t);
	EXPECT_TRUE(lac_t->established());
	EXPECT_TRUE(lns_t->established());
	EXPECT_EQ(lac_t->peer_id(), lns_t->local_id());
	EXPECT_EQ(lns_t->peer_id(), lac_t->local_id());
	EXPECT_NE(lac_t->local_id().value, 0);
	EXPECT_NE(lns_t->local_id().value, 0);
	EXPECT_EQ(lac_t->peer_host_name(), "lns1");
	EXPECT_EQ(lns_t->peer_host_name(), "lac1");
	EXPECT_EQ(lns_t->peer_rws(), 8);
	EXPECT_EQ(n.types_from(lac_addr), (std::vector<M>{M::sccrq, M::scccn}));
	EXPECT_EQ(n.types_from(lns_addr, true), (std::vector<M>{M::sccrp, M::zlb}));
	EXPECT_EQ(n.lac.ev.log, (std::vector<std::string>{"tunnel_up lns1"}));
	EXPECT_EQ(n.lns.ev.log, (std::vector<std::string>{"tunnel_up lac1"}));
	EXPECT_EQ(n.lns.ep->counters().tunnels_established, 1u);
}

TEST(tunnel, ids_are_random_unique_nonzero) {
	two_ends n;
	std::set<uint16_t> ids;
	for (int i = 0; i < 50; ++i) {
		auto t = n.lac.ep->open_tunnel(udp_endpoint::v4(ip4(0x0a000000u + static_cast<uint32_t>(i)), 1701));
		ASSERT_TRUE(t);
		EXPECT_NE((*t)->local_id().value, 0);
		ids.insert((*t)->local_id().value);
	}
	EXPECT_EQ(ids.size(), 50u);
	EXPECT_FALSE(ids.contains(1) && ids.contains(2) && ids.contains(3)) << "not sequential";
}

TEST(tunnel, authentication_both_ways) {
	auto lac = two_ends::lac_default();
	auto lns = two_ends::lns_default();
	lac.tunnel.secrets.default_secret = "s3cret";
	lns.tunnel.secrets.by_host["lac1"] = "s3cret";
	lns.tunnel.secrets.require = true;
	two_ends n(lac, lns);
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run();
	ASSERT_TRUE(n.only_tunnel(n.lac)->established());
	ASSERT_TRUE(n.only_tunnel(n.lns)->established());
	std::vector<uint8_t> keep;
	auto sccrq = n.last(lac_addr, M::sccrq, keep);
	ASSERT_TRUE(sccrq && sccrq->has_challenge());
	auto sccrp = n.last(lns_addr, M::sccrp, keep);
	ASSERT_TRUE(sccrp && sccrp->has_challenge() && sccrp->has_challenge_response());
	auto scccn = n.last(lac_addr, M::scccn, keep);
	ASSERT_TRUE(scccn && scccn->has_challenge_response());
}

TEST(tunnel, authentication_failures) {
	struct row {
		const char *lac_secret, *lns_secret;
		bool require;
		uint16_t stop_result;
		const udp_endpoint *stopper;
	} rows[] = {
		{"right", "wrong", false, rc::stopccn_not_authorized, &lac_addr}, // LNS answers wrongly: LAC stops
		{"", "s3cret", false, rc::stopccn_not_authorized, &lac_addr},     // LAC cannot answer the challenge
		{"s3cret", "", false, rc::stopccn_not_authorized, &lns_addr},     // LNS cannot answer
		{"", "", true, rc::stopccn_not_authorized, &lns_addr},            // LNS requires auth
	};
	for (const auto &r : rows) {
		auto lac = two_ends::lac_default();
		auto lns = two_ends::lns_default();
		lac.tunnel.secrets.default_secret = r.lac_secret;
		lns.tunnel.secrets.default_secret = r.lns_secret;
		lns.tunnel.secrets.require = r.require;
		two_ends n(lac, lns);
		ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
		n.run(40s);
		std::vector<uint8_t> keep;
		auto stop = n.last(*r.stopper, M::stopccn, keep);
		ASSERT_TRUE(stop) << r.lac_secret << "/" << r.lns_secret;
		EXPECT_EQ(stop->result_code.result, r.stop_result);
		EXPECT_EQ(n.lac.ep->tunnel_count(), 0u) << "gone after the linger time";
		EXPECT_EQ(n.lns.ep->tunnel_count(), 0u);
		EXPECT_EQ(n.lac.ev.tunnel_down.size(), 1u);
		EXPECT_EQ(n.lac.ev.tunnel_down[0].result, r.stop_result);
	}
}

TEST(tunnel, retransmits_sccrq_then_gives_up) {
	two_ends n;
	n.filter = [](datagram &g) { return g.from != lac_addr; }; // nothing reaches the LNS
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run(30s);
	EXPECT_EQ(n.lac.ep->tunnel_count(), 1u);
	n.run(2s);
	EXPECT_EQ(n.lac.ep->tunnel_count(), 0u);
	EXPECT_EQ(n.lac.ep->counters().tunnel_transport_failures, 1u);
	ASSERT_EQ(n.lac.ev.tunnel_down.size(), 1u);
	EXPECT_EQ(n.lac.ev.tunnel_down[0].result, rc::stopccn_general_error);
}

TEST(tunnel, lost_and_duplicated_handshake_messages) {
	two_ends n;
	int sccrp_seen = 0, scccn_seen = 0;
	n.filter = [&](datagram &g) {
		auto t = msg_type_of(g.bytes);
		if (t == M::sccrp && sccrp_seen++ == 0)
			return false; // first SCCRP lost: the LAC retransmits its SCCRQ
		if (t == M::scccn && scccn_seen++ == 0)
			return false;
		return true;
	};
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run(10s);
	ASSERT_EQ(n.lns.ep->tunnel_count(), 1u) << "retransmitted SCCRQ reused the tunnel";
	EXPECT_TRUE(n.only_tunnel(n.lac)->established());
	EXPECT_TRUE(n.only_tunnel(n.lns)->established());
	EXPECT_EQ(n.lns.ep->counters().tunnels_created, 1u);
}

TEST(tunnel, stopccn_from_lac_and_admin_clear_on_lns) {
	for (bool from_lac : {true, false}) {
		two_ends n;
		auto t = n.lac.ep->open_tunnel(lns_addr);
		ASSERT_TRUE(t);
		call_params p;
		p.calling_number = "100";
		ASSERT_TRUE((*t)->place_call(p));
		n.run();
		ASSERT_EQ(n.lns.ev.up_sessions.size(), 1u);
		if (from_lac)
			ASSERT_TRUE(n.lac.ep->clear_tunnel(n.only_tunnel(n.lac)->local_id()));
		else
			ASSERT_TRUE(n.lns.ep->clear_tunnel(n.only_tunnel(n.lns)->local_id(), rc::stopccn_shutting_down));
		n.run(1s);
		const uint16_t want = from_lac ? rc::stopccn_general_clear : rc::stopccn_shutting_down;
		for (side *s : {&n.lac, &n.lns}) {
			ASSERT_EQ(s->ev.tunnel_down.size(), 1u);
			EXPECT_EQ(s->ev.tunnel_down[0].result, want);
			ASSERT_EQ(s->ev.session_down.size(), 1u) << "sessions go down with the tunnel";
		}
		EXPECT_EQ(n.types_from(from_lac ? lns_addr : lac_addr, true).back(), M::zlb) << "StopCCN acknowledged";
		n.run(40s);
		EXPECT_EQ(n.lac.ep->tunnel_count(), 0u);
		EXPECT_EQ(n.lns.ep->tunnel_count(), 0u);
	}
}

TEST(tunnel, simultaneous_stopccn) {
	two_ends n;
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run();
	ASSERT_TRUE(n.lac.ep->clear_tunnel(n.only_tunnel(n.lac)->local_id()));
	ASSERT_TRUE(n.lns.ep->clear_tunnel(n.only_tunnel(n.lns)->local_id()));
	n.run(40s);
	for (side *s : {&n.lac, &n.lns}) {
		EXPECT_EQ(s->ev.tunnel_down.size(), 1u);
		EXPECT_EQ(s->ep->tunnel_count(), 0u);
		EXPECT_EQ(s->ep->counters().tunnels_closed, 1u);
	}
	EXPECT_EQ(n.types_from(lac_addr).back(), M::stopccn);
	EXPECT_EQ(n.types_from(lns_addr).back(), M::stopccn);
}

TEST(tunnel, hello_keepalive_and_dead_peer) {
	auto lac = two_ends::lac_default();
	lac.tunnel.transport.hello_interval = 60s;
	two_ends n(lac, two_ends::lns_default());
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run(61s);
	// The first side to see 60 s of silence sends HELLO; its arrival keeps the other quiet.
	EXPECT_EQ(n.types_from(lns_addr).back(), M::hello);
	EXPECT_EQ(n.types_from(lac_addr).back(), M::scccn);
	EXPECT_EQ(n.types_from(lac_addr, true).back(), M::zlb);
	EXPECT_TRUE(n.only_tunnel(n.lac)->established());
	// The LNS vanishes: HELLO is retransmitted until the tunnel fails.
	n.lns.ep.reset();
	n.run(60s);
	EXPECT_EQ(n.types_from(lac_addr).back(), M::hello);
	n.run(60s);
	EXPECT_EQ(n.lac.ep->tunnel_count(), 0u);
	ASSERT_EQ(n.lac.ev.tunnel_down.size(), 1u);
}

TEST(tunnel, tie_breaker) {
	struct row {
		uint64_t lac_tb, lns_tb;
		size_t lac_tunnels, lns_tunnels; // after settling
	} rows[] = {
		{1, 2, 1, 1}, // the LAC's SCCRQ wins: one tunnel, initiated by the LAC
		{2, 1, 1, 1}, // the LNS's wins
		{5, 5, 0, 0}, // equal: both dropped
	};
	for (const auto &r : rows) {
		auto lac = two_ends::lac_default();
		auto lns = two_ends::lns_default();
		lac.tunnel.tie_breaker = r.lac_tb;
		lns.tunnel.tie_breaker = r.lns_tb;
		two_ends n(lac, lns);
		ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
		ASSERT_TRUE(n.lns.ep->open_tunnel(lac_addr));
		n.run(5s);
		EXPECT_EQ(n.lac.ep->tunnel_count(), r.lac_tunnels) << r.lac_tb << " vs " << r.lns_tb;
		EXPECT_EQ(n.lns.ep->tunnel_count(), r.lns_tunnels) << r.lac_tb << " vs " << r.lns_tb;
		EXPECT_EQ(n.lac.ep->counters().tie_breaker_lost, r.lac_tb >= r.lns_tb ? 1u : 0u);
		EXPECT_EQ(n.lns.ep->counters().tie_breaker_lost, r.lns_tb >= r.lac_tb ? 1u : 0u);
		if (r.lac_tunnels) {
			EXPECT_TRUE(n.only_tunnel(n.lac)->established());
			EXPECT_TRUE(n.only_tunnel(n.lns)->established());
			EXPECT_EQ(n.only_tunnel(n.lac)->peer_id(), n.only_tunnel(n.lns)->local_id());
		}
	}
}

// --- hostile input -----------------------------------------------------------------------

std::vector<uint8_t> sccrq_bytes(uint16_t assigned, std::vector<std::vector<uint8_t>> extra = {}, bool host = true) {
	auto p = control_packet(0, 0, 0, 0,
	                        {avp(0, {0, 1}), avp(2, {1, 0}), avp(3, {0, 0, 0, 3}), avp(9, {uint8_t(assigned >> 8), uint8_t(assigned)})});
	if (host) {
		auto h = avp(7, {'r', 'a', 'w'});
		p.insert(p.end(), h.begin(), h.end());
	}
	for (const auto &e : extra)
		p.insert(p.end(), e.begin(), e.end());
	p[2] = static_cast<uint8_t>(p.size() >> 8);
	p[3] = static_cast<uint8_t>(p.size());
	return p;
}

TEST(tunnel_hostile, hand_built_sccrq_vectors) {
	struct row {
		const char *name;
		std::vector<uint8_t> packet;
		bool establishes; // an SCCRP comes back
		uint16_t result, error; // else the StopCCN
	} rows[] = {
		{"valid", sccrq_bytes(0x1234), true, 0, 0},
		{"unknown mandatory AVP", sccrq_bytes(0x1234, {avp(99, {0, 0})}), false, rc::stopccn_general_error,
		 rc::error_unknown_mandatory_avp},
		{"unknown optional AVP is ignored", sccrq_bytes(0x1234, {avp(99, {0, 0}, false)}), true, 0, 0},
		{"missing Host Name", sccrq_bytes(0x1234, {}, false), false, rc::stopccn_general_error, rc::error_bad_value},
		{"bad AVP length", sccrq_bytes(0x1234, {avp(10, {0, 4, 0})}), false, rc::stopccn_general_error,
		 rc::error_bad_length},
		{"assigned tunnel 0", sccrq_bytes(0), false, rc::stopccn_general_error, rc::error_bad_value},
	};
	for (const auto &r : rows) {
		two_ends n;
		const udp_endpoint raw = udp_endpoint::v4(ip4(0xc6336401), 1701);
		n.lns.ep->receive(raw, r.packet);
		n.run(100ms);
		ASSERT_FALSE(n.wire.empty()) << r.name;
		const auto &reply = n.wire.front();
		EXPECT_EQ(reply.to, raw) << r.name;
		std::vector<uint8_t> keep = reply.bytes;
		auto h = l2tp::parse_v2(keep);
		ASSERT_TRUE(h) << r.name;
		ctl::message m;
		ASSERT_TRUE(ctl::decode_body(h->payload, {}, m)) << r.name;
		if (r.establishes) {
			EXPECT_EQ(m.type(), M::sccrp) << r.name;
			EXPECT_EQ(h->tunnel_id.value, 0x1234) << r.name;
			EXPECT_EQ(h->nr, 1) << r.name;
		} else {
			ASSERT_EQ(m.type(), M::stopccn) << r.name;
			EXPECT_EQ(m.result_code.result, r.result) << r.name;
			EXPECT_EQ(m.result_code.error, r.error) << r.name;
		}
	}
}

TEST(tunnel, sccrq_with_hidden_avps_uses_the_secret_of_its_host_name) {
	auto lns = two_ends::lns_default();
	lns.tunnel.secrets.by_host["hider"] = "hide-secret";
	two_ends n(two_ends::lac_default(), lns);
	ctl::message m;
	const std::vector<uint8_t> rv{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	m.set_message_type(M::sccrq)
		.set_protocol_version(0x0100)
		.set_host_name(ctl::as_bytes("hider"))
		.set_framing_capabilities(3)
		.set_assigned_tunnel_id(0x4242)
		.set_random_vector(ctl::bytes(rv.data(), rv.size()))
		.hide(ctl::avp_type::assigned_tunnel_id)
		.hide(ctl::avp_type::framing_capabilities);
	ctl::encode_options opt;
	opt.secret = ctl::as_bytes("hide-secret");
	std::vector<uint8_t> buf(512);
	auto len = ctl::encode_packet({}, m, opt, buf);
	ASSERT_TRUE(len);
	buf.resize(*len);
	const udp_endpoint raw = udp_endpoint::v4(ip4(0xc6336499), 1701);
	n.lns.ep->receive(raw, buf);
	n.run(100ms);
	ASSERT_FALSE(n.wire.empty());
	EXPECT_EQ(msg_type_of(n.wire.front().bytes), M::sccrp);
	EXPECT_EQ(l2tp::parse_v2(n.wire.front().bytes)->tunnel_id.value, 0x4242) << "hidden Assigned Tunnel ID read";
}

TEST(tunnel_hostile, unknown_tunnels_forged_sources_garbage) {
	two_ends n;
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run();
	tunnel *t = n.only_tunnel(n.lns);
	ASSERT_TRUE(t && t->established());
	const auto hello = control_packet(t->local_id().value, 0, 1, 1, {avp(0, {0, 6})});
	const udp_endpoint forger = udp_endpoint::v4(ip4(0xc6336402), 1701);
	const udp_endpoint other_port = udp_endpoint::v4(lac_addr.ipv4(), 4000);
	n.lns.ep->receive(forger, hello);
	n.lns.ep->receive(other_port, hello);
	EXPECT_EQ(n.lns.ep->counters().rx_forged_source, 2u);
	EXPECT_EQ(t->transport().stats().rx_messages, 2u) << "SCCRQ and SCCCN only";
	auto unknown = control_packet(static_cast<uint16_t>(t->local_id().value + 1), 0, 0, 0, {avp(0, {0, 6})});
	n.lns.ep->receive(lac_addr, unknown);
	EXPECT_EQ(n.lns.ep->counters().rx_unknown_tunnel, 1u);
	n.lns.ep->receive(lac_addr, std::vector<uint8_t>{0xc8});
	n.lns.ep->receive(lac_addr, std::vector<uint8_t>{0xc8, 0x03, 0, 12});
	EXPECT_EQ(n.lns.ep->counters().rx_malformed, 1u);
	EXPECT_EQ(n.lns.ep->counters().rx_unsupported_version, 1u);
	// Tunnel ID 0 on something else than an SCCRQ.
	n.lns.ep->receive(lac_addr, control_packet(0, 0, 0, 0, {avp(0, {0, 6})}));
	EXPECT_EQ(n.lns.ep->counters().rx_not_sccrq, 1u);
	// Data for a session that does not exist.
	std::vector<uint8_t> data{0x00, 0x02, uint8_t(t->local_id().value >> 8), uint8_t(t->local_id().value), 0x55, 0x55, 0xff, 0x03};
	n.lns.ep->receive(lac_addr, data);
	EXPECT_EQ(n.lns.ep->counters().rx_unknown_session, 1u);
	n.run();
	EXPECT_TRUE(t->established()) << "none of this hurt the tunnel";
}

TEST(tunnel_hostile, sccrq_flood_cannot_lock_out_a_lac) {
	auto lns = two_ends::lns_default();
	lns.limits.max_half_open = 16;
	lns.limits.max_half_open_per_peer = 4;
	two_ends n(two_ends::lac_default(), lns);
	// One flooding address: capped at its per-peer half-open limit, its oldest recycled.
	const udp_endpoint flooder = udp_endpoint::v4(ip4(0xc6336400), 1701);
	for (uint16_t i = 1; i <= 100; ++i)
		n.lns.ep->receive(flooder, sccrq_bytes(i));
	EXPECT_EQ(n.lns.ep->half_open_count(), 4u);
	EXPECT_EQ(n.lns.ep->counters().sccrq_over_limit, 0u);
	EXPECT_EQ(n.lns.ep->counters().half_open_evicted, 96u);
	// Spoofed sources: every slot taken, then the oldest are evicted.
	for (uint32_t i = 1; i <= 200; ++i)
		n.lns.ep->receive(udp_endpoint::v4(ip4(0x0a000000u + i), 1701), sccrq_bytes(7));
	EXPECT_EQ(n.lns.ep->half_open_count(), 16u);
	EXPECT_GT(n.lns.ep->counters().half_open_evicted, 96u);
	// The legitimate LAC still gets its tunnel (the flood pauses for one round trip).
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run(100ms);
	ASSERT_NE(n.only_tunnel(n.lac), nullptr);
	EXPECT_TRUE(n.only_tunnel(n.lac)->established());
	size_t established = 0;
	n.lns.ep->for_each_tunnel([&](tunnel &t) { established += t.established(); });
	EXPECT_EQ(established, 1u);
	// Half-open tunnels expire on their own: SCCRP is never acknowledged.
	n.run(40s);
	EXPECT_EQ(n.lns.ep->half_open_count(), 0u);
	EXPECT_EQ(n.lns.ep->tunnel_count(), 1u);
}

TEST(tunnel_hostile, flood_spoofing_the_lacs_own_address_does_not_lock_it_out) {
	auto lns = two_ends::lns_default();
	lns.limits.max_half_open_per_peer = 4;
	two_ends n(two_ends::lac_default(), lns);
	// SCCRQs that claim to come from the LAC's address (other ports) fill its slots...
	for (uint16_t i = 1; i <= 50; ++i)
		n.lns.ep->receive(udp_endpoint::v4(lac_addr.ipv4(), uint16_t(20000 + i)), sccrq_bytes(i));
	EXPECT_EQ(n.lns.ep->half_open_count(), 4u);
	// ...and the LAC itself still gets its tunnel at once, not after they expire.
	ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run(100ms);
	ASSERT_NE(n.only_tunnel(n.lac), nullptr);
	EXPECT_TRUE(n.only_tunnel(n.lac)->established());
}

TEST(tunnel_hostile, per_peer_and_global_tunnel_limits) {
	auto lns = two_ends::lns_default();
	lns.limits.max_tunnels_per_peer = 2;
	lns.limits.max_tunnels = 3;
	two_ends n(two_ends::lac_default(), lns);
	for (int i = 0; i < 3; ++i)
		ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run();
	EXPECT_EQ(n.lns.ep->tunnel_count(), 2u);
	EXPECT_GE(n.lns.ep->counters().sccrq_over_limit, 1u);
	const udp_endpoint other = udp_endpoint::v4(ip4(0xc6336409), 1701);
	n.lns.ep->receive(other, sccrq_bytes(1));
	n.lns.ep->receive(udp_endpoint::v4(ip4(0xc633640a), 1701), sccrq_bytes(1));
	EXPECT_EQ(n.lns.ep->tunnel_count(), 3u);
}

TEST(tunnel_hostile, lingering_tunnels_do_not_refuse_a_reconnecting_lac) {
	// A LAC that tears its tunnels down and dials again at once: the closed tunnels linger
	// 31 s on the LNS to re-acknowledge a retransmitted StopCCN, but they must count neither
	// against the per-peer limit nor, while a slot is needed, against the table.
	auto lns = two_ends::lns_default();
	lns.limits.max_tunnels_per_peer = 2;
	lns.limits.max_tunnels = 3;
	two_ends n(two_ends::lac_default(), lns);
	for (int round = 0; round < 3; ++round) {
		for (int i = 0; i < 2; ++i)
			ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
		n.run(100ms); // well below the first retransmission: no SCCRQ may have been refused
		size_t up = 0, lingering = 0;
		n.lns.ep->for_each_tunnel([&](tunnel &t) {
			up += t.established();
			lingering += t.lingering();
		});
		EXPECT_EQ(up, 2u) << "round " << round;
		EXPECT_LE(up + lingering, 3u) << "round " << round;
		n.lac.ep->for_each_tunnel([](tunnel &t) {
			if (t.established())
				t.close(1);
		});
		n.run(100ms);
	}
	EXPECT_EQ(n.lns.ep->counters().sccrq_over_limit, 0u);
	EXPECT_GE(n.lns.ep->counters().lingering_reclaimed, 1u);
	// The limits still hold for tunnels that are up.
	for (int i = 0; i < 3; ++i)
		ASSERT_TRUE(n.lac.ep->open_tunnel(lns_addr));
	n.run(100ms);
	size_t up = 0;
	n.lns.ep->for_each_tunnel([&](tunnel &t) { up += t.established(); });
	EXPECT_EQ(up, 2u);
	EXPECT_GE(n.lns.ep->counters().sccrq_over_limit, 1u);
}

} // namespace
} // namespace l2tpx::cp::test
