// Full calls: a LAC built from this library dials an LNS built from it, over a simulated
// wire and clock: SCCRQ … ICCN, LCP, CHAP/PAP, IPCP/IPv6CP → installed in the dataplane;
// then every way a call can end removes it there and returns the address.
#include "controlplane/call_manager.hpp"

#include <gtest/gtest.h>

#include <random>

#include "controlplane/l2tp/l2tp_test_harness.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::test {
namespace {

namespace rc = ctl::result_codes;
using ppp::down_reason;

ipv4_addr ip(const char *s) { return *parse_ipv4(s); }

struct full_call {
	timer_service ts;
	seeded_random rng_lac{21}, rng_lns{22};
	aaa::local_authenticator users{aaa::user_db::parse("alice pw-a\nbob pw-b 198.51.100.7\n").value()};
	aaa::address_allocator pool;
	recording_dataplane lns_dp, lac_dp;
	std::unique_ptr<call_manager> lac, lns;
	std::vector<datagram> wire;
	bool lac_cut = false; // the LAC vanishes: nothing it sends arrives
	double loss = 0, dup = 0; // both directions
	int jitter_ms = 0;
	std::mt19937 wire_rng{7};
	std::vector<std::pair<session_key, down_reason>> lns_finished, lac_finished;

	explicit full_call(ppp::auth_protocol auth = ppp::auth_protocol::chap_md5, std::string user = "alice",
	                   std::string pw = "pw-a", unsigned echo_failures = 3) {
		pool.add_pool(aaa::ipv4_pool::create("sub", ip("100.64.0.2"), ip("100.64.0.3")).value());
		call_manager::config lns_cfg;
		lns_cfg.l2tp = two_ends::lns_default();
		lns_cfg.l2tp.tunnel.secrets.default_secret = "tunnel-secret";
		lns_cfg.l2tp.tunnel.secrets.require = true;
		lns_cfg.ppp.lcp.require_auth = auth;
		lns_cfg.ppp.ipcp.local = ip("100.64.0.1");
		lns_cfg.ppp.ipcp.dns1 = ip("192.0.2.53");
		lns_cfg.ppp.lcp.echo_failures = echo_failures;
		call_manager::config lac_cfg;
		lac_cfg.l2tp = two_ends::lac_default();
		lac_cfg.l2tp.tunnel.secrets.default_secret = "tunnel-secret";
		lac_cfg.ppp.auth.user = user;
		lac_cfg.ppp.auth.secret = pw;
		lac_cfg.ppp.lcp.echo_failures = echo_failures;
		lns = std::make_unique<call_manager>(ts, rng_lns, lns_cfg, &users, &pool, lns_dp, sender(lns_addr, false));
		lac = std::make_unique<call_manager>(ts, rng_lac, lac_cfg, nullptr, nullptr, lac_dp, sender(lac_addr, true));
		lns->on_link_finished = [this](session_key k, down_reason r) { lns_finished.emplace_back(k, r); };
		lac->on_link_finished = [this](session_key k, down_reason r) { lac_finished.emplace_back(k, r); };
	}
	std::function<void(const udp_endpoint &, std::span<const uint8_t>)> sender(udp_endpoint self, bool is_lac) {
		return [this, self, is_lac](const udp_endpoint &to, std::span<const uint8_t> d) {
			if (is_lac && lac_cut)
				return;
			datagram g{ts.now(), self, to, std::vector<uint8_t>(d.begin(), d.end())};
			wire.push_back(g);
			std::uniform_real_distribution<double> u(0, 1);
			if (u(wire_rng) < loss)
				return;
			const int copies = u(wire_rng) < dup ? 2 : 1;
			for (int i = 0; i < copies; ++i) {
				const auto delay = 10ms + duration{std::uniform_int_distribution<int>(0, jitter_ms)(wire_rng)};
				ts.arm(delay, [this, is_lac, g] {
					auto &dst = is_lac ? lns : lac;
					if (dst)
						dst->receive(g.from, g.bytes);
				});
			}
		};
	}
	tunnel *lac_tunnel() {
		tunnel *t = nullptr;
		lac->l2tp().for_each_tunnel([&](tunnel &x) { t = &x; });
		return t;
	}
	tunnel *lns_tunnel() {
		tunnel *t = nullptr;
		lns->l2tp().for_each_tunnel([&](tunnel &x) { t = &x; });
		return t;
	}
	session *dial() {
		auto t = lac->l2tp().open_tunnel(lns_addr);
		if (!t)
			return nullptr;
		call_params p;
		p.calling_number = "0612345678";
		auto s = (*t)->place_call(p);
		return s ? *s : nullptr;
	}
	// PPP frame protocols seen on the wire in L2TP data messages from `from`.
	size_t ppp_frames(const udp_endpoint &from, uint16_t protocol) const {
		size_t n = 0;
		for (const auto &g : wire) {
			auto h = l2tp::parse_v2(g.bytes);
			if (g.from != from || !h || h->is_control())
				continue;
			auto f = ::l2tpx::ppp::parse_frame(h->payload);
			n += f && f->protocol == protocol;
		}
		return n;
	}
};

TEST(full_call, lac_dials_lns_and_the_subscriber_is_installed) {
	full_call c;
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	const session_install &si = c.lns_dp.sessions.begin()->second;
	tunnel *lt = c.lns_tunnel(), *at = c.lac_tunnel();
	ASSERT_TRUE(lt && at);
	EXPECT_EQ(si.local_tunnel, lt->local_id());
	EXPECT_EQ(si.peer_tunnel, at->local_id());
	EXPECT_NE(si.local_session.value, 0);
	EXPECT_NE(si.peer_session.value, 0);
	EXPECT_EQ(si.peer, lac_addr);
	EXPECT_EQ(si.local, lns_addr);
	EXPECT_EQ(si.subscriber_ipv4, ip("100.64.0.2"));
	EXPECT_NE(si.subscriber_ipv6_iid, 0u);
	EXPECT_EQ(si.mru, 1500);
	// The LAC side (generator) installed its end too, with the address it was given.
	ASSERT_EQ(c.lac_dp.sessions.size(), 1u);
	const session_install &ai = c.lac_dp.sessions.begin()->second;
	EXPECT_EQ(ai.subscriber_ipv4, ip("100.64.0.2"));
	EXPECT_EQ(ai.peer_session, si.local_session);
	EXPECT_EQ(ai.local_session, si.peer_session);
	EXPECT_EQ(ai.subscriber_ipv6_iid, si.subscriber_ipv6_iid);
	// What crossed: tunnel auth, the call, LCP, CHAP, IPCP, IPv6CP.
	EXPECT_GE(c.ppp_frames(lns_addr, ::l2tpx::ppp::proto::chap), 2u);
	EXPECT_GE(c.ppp_frames(lac_addr, ::l2tpx::ppp::proto::ipcp), 2u);
	EXPECT_GE(c.ppp_frames(lac_addr, ::l2tpx::ppp::proto::ipv6cp), 1u);
	EXPECT_EQ(c.lns->counters().dp_installs, 1u);
	ppp::ppp_link *l = c.lns->link(si.local_tunnel, si.local_session);
	ASSERT_TRUE(l);
	EXPECT_EQ(l->user(), "alice");
	EXPECT_EQ(c.pool.available(), 1u);
}

TEST(full_call, fixed_address_with_pap) {
	full_call c(ppp::auth_protocol::pap, "bob", "pw-b");
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	EXPECT_EQ(c.lns_dp.sessions.begin()->second.subscriber_ipv4, ip("198.51.100.7"));
}

TEST(full_call, bad_password_ends_with_cdn_and_nothing_installed) {
	full_call c(ppp::auth_protocol::chap_md5, "alice", "nope");
	ASSERT_TRUE(c.dial());
	c.ts.advance(10s);
	EXPECT_TRUE(c.lns_dp.installs.empty());
	ASSERT_EQ(c.lns_finished.size(), 1u);
	EXPECT_EQ(c.lns_finished[0].second, down_reason::auth_failed);
	EXPECT_EQ(c.lns->link_count(), 0u);
	EXPECT_EQ(c.pool.available(), 2u);
	EXPECT_TRUE(c.lns_tunnel()->established()) << "the tunnel survives a failed call";
	EXPECT_EQ(c.lns_tunnel()->session_count(), 0u);
}

TEST(full_call, every_teardown_path_removes_the_session_and_frees_the_address) {
	enum class how {
		lcp_terminate_by_subscriber,
		admin_disconnect_ppp,
		cdn_from_lac,
		admin_clear_session_lns,
		stopccn_from_lac,
		admin_clear_tunnel_lns,
		echo_timeout,
	};
	const std::pair<how, down_reason> rows[] = {
		{how::lcp_terminate_by_subscriber, down_reason::peer_terminated},
		{how::admin_disconnect_ppp, down_reason::admin_close},
		{how::cdn_from_lac, down_reason::lower_down},
		{how::admin_clear_session_lns, down_reason::lower_down},
		{how::stopccn_from_lac, down_reason::lower_down},
		{how::admin_clear_tunnel_lns, down_reason::lower_down},
		{how::echo_timeout, down_reason::echo_timeout},
	};
	for (const auto &[h, want] : rows) {
		full_call c;
		session *lac_s = c.dial();
		ASSERT_TRUE(lac_s);
		c.ts.advance(2s);
		ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
		const session_key k = c.lns_dp.sessions.begin()->first;
		ASSERT_EQ(c.pool.available(), 1u);
		switch (h) {
		case how::lcp_terminate_by_subscriber:
			ASSERT_TRUE(c.lac->disconnect(lac_s->owner().local_id(), lac_s->local_id()));
			break;
		case how::admin_disconnect_ppp: ASSERT_TRUE(c.lns->disconnect(k.first, k.second)); break;
		case how::cdn_from_lac: lac_s->close(rc::cdn_lost_carrier); break;
		case how::admin_clear_session_lns: ASSERT_TRUE(c.lns->l2tp().clear_session(k.first, k.second)); break;
		case how::stopccn_from_lac: ASSERT_TRUE(c.lac->l2tp().clear_tunnel(lac_s->owner().local_id())); break;
		case how::admin_clear_tunnel_lns: ASSERT_TRUE(c.lns->l2tp().clear_tunnel(k.first)); break;
		case how::echo_timeout: c.lac_cut = true; break;
		}
		c.ts.advance(h == how::echo_timeout ? 60s : 10s);
		const int row = static_cast<int>(h);
		EXPECT_TRUE(c.lns_dp.sessions.empty()) << "row " << row;
		ASSERT_EQ(c.lns_dp.removals.size(), 1u) << "row " << row;
		EXPECT_EQ(c.lns_dp.removals[0], k) << "row " << row;
		EXPECT_EQ(c.pool.available(), 2u) << "row " << row;
		ASSERT_EQ(c.lns_finished.size(), 1u) << "row " << row;
		EXPECT_EQ(c.lns_finished[0].second, want) << "row " << row;
		EXPECT_EQ(c.lns->link_count(), 0u) << "row " << row;
		if (h != how::echo_timeout) {
			EXPECT_TRUE(c.lac_dp.sessions.empty()) << "row " << row << ": the LAC side is cleaned too";
		}
	}
}

TEST(full_call, many_calls_on_one_tunnel_and_pool_exhaustion) {
	full_call c;
	auto t = c.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	for (int i = 0; i < 3; ++i)
		ASSERT_TRUE((*t)->place_call({}));
	c.ts.advance(5s);
	// Two addresses in the pool; IPv6CP still brings the third subscriber up (IPv6 only).
	EXPECT_EQ(c.lns_dp.sessions.size(), 3u);
	size_t v4 = 0;
	for (const auto &[k, s] : c.lns_dp.sessions)
		v4 += !s.subscriber_ipv4.is_unspecified();
	EXPECT_EQ(v4, 2u);
	EXPECT_EQ(c.pool.available(), 0u);
	ASSERT_TRUE(c.lns->l2tp().clear_tunnel(c.lns_tunnel()->local_id()));
	c.ts.advance(40s);
	EXPECT_TRUE(c.lns_dp.sessions.empty());
	EXPECT_EQ(c.pool.available(), 2u);
	EXPECT_EQ(c.lns->l2tp().tunnel_count(), 0u);
}

TEST(full_call, comes_up_over_a_lossy_reordering_duplicating_wire) {
	for (uint32_t seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
		// 15 % loss each way would end some links as dead peers with 3 missed echoes.
		full_call c(ppp::auth_protocol::chap_md5, "alice", "pw-a", 20);
		c.wire_rng.seed(seed);
		c.loss = 0.15;
		c.dup = 0.1;
		c.jitter_ms = 400;
		auto t = c.lac->l2tp().open_tunnel(lns_addr);
		ASSERT_TRUE(t);
		for (int i = 0; i < 2; ++i)
			ASSERT_TRUE((*t)->place_call({}));
		c.ts.advance(120s);
		EXPECT_EQ(c.lns_dp.sessions.size(), 2u) << "seed " << seed;
		EXPECT_EQ(c.lac_dp.sessions.size(), 2u) << "seed " << seed;
		EXPECT_EQ(c.pool.available(), 0u) << "seed " << seed;
	}
}

// The session reaches the dataplane when the LNS answers the call, before the ICRP goes
// out: the LAC's first LCP frame can never beat it. It is completed once IPCP opens.
TEST(full_call, session_is_prepared_before_the_icrp_and_installed_at_ipcp) {
	full_call c;
	bool prepared_before_icrp = false;
	size_t lns_sent = 0;
	ASSERT_TRUE(c.dial());
	for (int i = 0; i < 200 && c.lns_dp.sessions.empty(); i++) {
		c.ts.advance(5ms);
		for (; lns_sent < c.wire.size(); lns_sent++) {
			const datagram &g = c.wire[lns_sent];
			auto h = l2tp::parse_v2(g.bytes);
			if (g.from != lns_addr || !h || !h->is_control() || h->payload.size() < 8 ||
			    load_be16(h->payload.data() + 6) != 11 /* ICRP */)
				continue;
			ASSERT_EQ(c.lns_dp.prepared.size(), 1u);
			const session_install &p = c.lns_dp.prepared.begin()->second;
			EXPECT_TRUE(p.subscriber_ipv4.is_unspecified());
			EXPECT_NE(p.peer_session.value, 0);
			EXPECT_EQ(p.peer_session.value, h->session_id.value);
			EXPECT_EQ(p.peer, lac_addr);
			EXPECT_TRUE(c.lns_dp.sessions.empty());
			prepared_before_icrp = true;
		}
	}
	EXPECT_TRUE(prepared_before_icrp);
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	EXPECT_TRUE(c.lns_dp.prepared.empty()); // completed, not duplicated
	EXPECT_EQ(c.lns->counters().dp_prepares, 1u);
	EXPECT_EQ(c.lns->counters().dp_installs, 1u);
	// The LAC prepared its end when it got the ICRP, before sending the ICCN.
	EXPECT_EQ(c.lac->counters().dp_prepares, 1u);
}

// A call that ends before PPP runs (CDN after the ICRP) leaves nothing in the dataplane.
TEST(full_call, a_call_cleared_before_iccn_is_removed_from_the_dataplane) {
	full_call d;
	ASSERT_TRUE(d.dial());
	for (int i = 0; i < 200 && d.lns_dp.prepared.empty(); i++)
		d.ts.advance(1ms);
	ASSERT_EQ(d.lns_dp.prepared.size(), 1u);
	const session_key key = d.lns_dp.prepared.begin()->first;
	ASSERT_TRUE(d.lns->l2tp().clear_session(key.first, key.second));
	d.ts.advance(1s);
	EXPECT_TRUE(d.lns_dp.prepared.empty());
	EXPECT_TRUE(d.lns_dp.sessions.empty());
	EXPECT_EQ(d.lns->counters().dp_removals, 1u);
	EXPECT_EQ(d.lns->link_count(), 0u);
	EXPECT_EQ(d.pool.available(), 2u);
}

// A dataplane that cannot take the session refuses the call: CDN, no ICRP, tunnel kept.
TEST(full_call, dataplane_refusing_the_prepare_refuses_the_call) {
	full_call c;
	c.lns_dp.fail_next_prepare = true;
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	EXPECT_EQ(c.lns->counters().dp_prepare_failures, 1u);
	EXPECT_TRUE(c.lns_dp.prepared.empty());
	EXPECT_TRUE(c.lns_dp.sessions.empty());
	ASSERT_TRUE(c.lac_tunnel() && c.lns_tunnel());
	EXPECT_TRUE(c.lac_tunnel()->established());
	EXPECT_EQ(c.lac_tunnel()->session_count(), 0u);
	EXPECT_EQ(c.lac->l2tp().counters().sessions_established, 0u);
	// The next call on the same tunnel works.
	ASSERT_TRUE(c.lac_tunnel()->place_call(call_params{}));
	c.ts.advance(2s);
	EXPECT_EQ(c.lns_dp.sessions.size(), 1u);
}

TEST(full_call, dataplane_refusal_ends_the_call) {
	full_call c;
	c.lns_dp.capacity = 0;
	ASSERT_TRUE(c.dial());
	c.ts.advance(10s);
	EXPECT_EQ(c.lns->counters().dp_install_failures, 1u);
	EXPECT_EQ(c.lns->link_count(), 0u);
	EXPECT_EQ(c.pool.available(), 2u);
}

} // namespace
} // namespace l2tpx::cp::test

namespace l2tpx::cp::test {
namespace {

// Every datagram of a real call, mutated at random and replayed into a fresh LNS (with a
// live tunnel of its own): counted drops and protocol answers, never a crash.
TEST(full_call, mutated_traffic_is_survived) {
	full_call ref;
	ASSERT_TRUE(ref.dial());
	ref.ts.advance(2s);
	std::vector<std::vector<uint8_t>> corpus;
	for (const auto &g : ref.wire)
		if (g.from == lac_addr)
			corpus.push_back(g.bytes);
	ASSERT_GT(corpus.size(), 8u);

	full_call c;
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	std::mt19937 rng(99);
	for (int i = 0; i < 3000; ++i) {
		auto d = corpus[rng() % corpus.size()];
		const int flips = 1 + static_cast<int>(rng() % 4);
		for (int f = 0; f < flips && !d.empty(); ++f)
			d[rng() % d.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
		if (rng() % 8 == 0)
			d.resize(rng() % (d.size() + 1));
		const udp_endpoint from = rng() % 2 ? lac_addr : udp_endpoint::v4(ipv4_addr{static_cast<uint32_t>(0xcb007100u + rng() % 8)}, 1701);
		c.lns->receive(from, d);
		if (i % 100 == 0)
			c.ts.advance(100ms);
	}
	c.ts.advance(60s);
	const auto &k = c.lns->l2tp().counters();
	EXPECT_GT(k.rx_malformed + k.rx_unknown_tunnel + k.rx_forged_source + k.rx_decode_error + k.sccrq_over_limit, 0u);
}

} // namespace
} // namespace l2tpx::cp::test
