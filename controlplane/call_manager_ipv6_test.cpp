// IPv6 for PPP subscribers through the whole library: a LAC built from it dials an LNS with
// an IPv6 prefix pool; when IPv6CP opens the LNS assigns a /64, installs it with the
// session and advertises it (RA over PPP 0x0057), answers the subscriber's RS and NS, and
// every end of the call returns the prefix and removes it from the dataplane.
#include "controlplane/call_manager.hpp"

#include <gtest/gtest.h>

#include "controlplane/l2tp/l2tp_test_harness.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::test {
namespace {

using ppp::down_reason;
namespace proto = ::l2tpx::ppp::proto;

ipv4_addr ip(const char *s) { return *parse_ipv4(s); }
nd::ipv6_prefix p6(const char *s, uint8_t len) {
	nd::ipv6_prefix p;
	EXPECT_TRUE(nd::parse_ipv6(s, p.addr));
	p.length = len;
	return p;
}

struct v6_call {
	timer_service ts;
	seeded_random rng_lac{31}, rng_lns{32};
	aaa::local_authenticator users{aaa::user_db::parse("alice pw-a\n").value()};
	aaa::address_allocator pool;
	recording_dataplane lns_dp, lac_dp;
	std::unique_ptr<call_manager> lac, lns;
	std::vector<datagram> wire;

	// `v6_pool_bits`: the pool holds 2^bits /64s.
	explicit v6_call(unsigned v6_pool_bits = 1, bool ipv4 = true) {
		pool.add_pool(aaa::ipv4_pool::create("sub", ip("100.64.0.2"), ip("100.64.0.9")).value());
		call_manager::config lns_cfg;
		lns_cfg.l2tp = two_ends::lns_default();
		lns_cfg.ppp.lcp.require_auth = ppp::auth_protocol::pap;
		lns_cfg.ppp.ipcp.local = ip("100.64.0.1");
		lns_cfg.ppp.enable_ipcp = ipv4;
		lns_cfg.ipv6_pools.push_back(
		        aaa::ipv6_pool::create("v6", p6("2001:db8:100::", static_cast<uint8_t>(64 - v6_pool_bits)), 64).value());
		lns_cfg.ra.dns = {p6("2001:db8::53", 128).addr};
		call_manager::config lac_cfg;
		lac_cfg.l2tp = two_ends::lac_default();
		lac_cfg.ppp.auth.user = "alice";
		lac_cfg.ppp.auth.secret = "pw-a";
		lac_cfg.ppp.enable_ipcp = ipv4;
		lns = std::make_unique<call_manager>(ts, rng_lns, lns_cfg, &users, &pool, lns_dp, sender(lns_addr, false));
		lac = std::make_unique<call_manager>(ts, rng_lac, lac_cfg, nullptr, nullptr, lac_dp, sender(lac_addr, true));
	}
	std::function<void(const udp_endpoint &, std::span<const uint8_t>)> sender(udp_endpoint self, bool is_lac) {
		return [this, self, is_lac](const udp_endpoint &to, std::span<const uint8_t> d) {
			datagram g{ts.now(), self, to, std::vector<uint8_t>(d.begin(), d.end())};
			wire.push_back(g);
			ts.arm(10ms, [this, is_lac, g] {
				auto &dst = is_lac ? lns : lac;
				if (dst)
					dst->receive(g.from, g.bytes);
			});
		};
	}
	session *dial() {
		auto t = lac->l2tp().open_tunnel(lns_addr);
		if (!t)
			return nullptr;
		auto s = (*t)->place_call(call_params{});
		return s ? *s : nullptr;
	}
	// IPv6 packets (PPP 0x0057) the LNS sent, parsed as ND.
	std::vector<nd::nd_message> lns_nd(uint8_t type) const {
		std::vector<nd::nd_message> out;
		for (const auto &g : wire) {
			auto h = l2tp::parse_v2(g.bytes);
			if (g.from != lns_addr || !h || h->is_control())
				continue;
			auto f = ::l2tpx::ppp::parse_frame(h->payload);
			if (!f || f->protocol != proto::ipv6)
				continue;
			auto m = nd::parse_nd(f->payload);
			EXPECT_TRUE(m) << "the LNS sent an invalid ND packet";
			if (m && m->type == type)
				out.push_back(*m);
		}
		return out;
	}
	// The LAC's subscriber sends an IPv6 packet inside PPP.
	void lac_sends_ipv6(session &s, std::span<const uint8_t> packet) {
		std::array<uint8_t, 256> buf;
		const size_t n = ::l2tpx::ppp::build_frame(buf, proto::ipv6, packet);
		ASSERT_NE(n, 0u);
		ASSERT_TRUE(lac->l2tp().send_ppp(s, std::span<const uint8_t>(buf.data(), n)));
	}
};

std::vector<uint8_t> icmp(const nd::ipv6_bytes &src, const nd::ipv6_bytes &dst, uint8_t type, const nd::ipv6_bytes *target) {
	std::vector<uint8_t> p(40 + (target ? 24 : 8), 0);
	p[0] = 0x60;
	p[5] = static_cast<uint8_t>(p.size() - 40);
	p[6] = 58;
	p[7] = 255;
	std::copy(src.begin(), src.end(), p.begin() + 8);
	std::copy(dst.begin(), dst.end(), p.begin() + 24);
	p[40] = type;
	if (target)
		std::copy(target->begin(), target->end(), p.begin() + 48);
	const uint16_t c = nd::icmpv6_checksum(src, dst, std::span(p).subspan(40));
	p[42] = static_cast<uint8_t>(c >> 8);
	p[43] = static_cast<uint8_t>(c);
	return p;
}

TEST(ipv6_call, ipv6cp_open_assigns_installs_and_advertises_a_prefix) {
	v6_call c;
	session *s = c.dial();
	ASSERT_TRUE(s);
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	const auto &[key, si] = *c.lns_dp.sessions.begin();
	EXPECT_EQ(si.subscriber_ipv4, ip("100.64.0.2"));
	EXPECT_EQ(si.subscriber_ipv6_prefix, p6("2001:db8:100::", 64));
	EXPECT_EQ(c.lns->ipv6_prefix(key.first, key.second), si.subscriber_ipv6_prefix);
	EXPECT_EQ(c.lns->ipv6_prefixes().available(), 1u);
	EXPECT_EQ(c.lns->counters().ipv6_prefixes_assigned, 1u);
	// The RA: from fe80::<our IPv6CP interface identifier> to ff02::1.
	const ppp::ppp_link *l = c.lns->link(key.first, key.second);
	ASSERT_TRUE(l);
	auto ras = c.lns_nd(nd::icmp_type::router_advertisement);
	ASSERT_GE(ras.size(), 1u);
	EXPECT_EQ(ras[0].source, nd::link_local(l->local_iid()));
	EXPECT_EQ(ras[0].destination, nd::all_nodes());
	EXPECT_EQ(ras[0].router_lifetime_s, 1800);
	EXPECT_EQ(c.lns->counters().ra_sent, ras.size());
	// The installed session carries the interface identifiers IPv6CP negotiated.
	EXPECT_EQ(si.local_ipv6_iid, l->local_iid());
	EXPECT_EQ(si.subscriber_ipv6_iid, l->peer_iid());

	// RS from the subscriber (punted by the dataplane): answered by an RA.
	const auto peer_ll = nd::link_local(l->peer_iid());
	c.ts.advance(5s);
	const size_t before = c.lns_nd(nd::icmp_type::router_advertisement).size();
	c.lac_sends_ipv6(*s, icmp(peer_ll, nd::all_routers(), nd::icmp_type::router_solicitation, nullptr));
	c.ts.advance(100ms);
	EXPECT_EQ(c.lns->counters().rs_received, 1u);
	EXPECT_EQ(c.lns_nd(nd::icmp_type::router_advertisement).size(), before + 1);
	// NS for our link-local address: a solicited NA back to the subscriber.
	const auto ours = nd::link_local(l->local_iid());
	c.lac_sends_ipv6(*s, icmp(peer_ll, ours, nd::icmp_type::neighbor_solicitation, &ours));
	c.ts.advance(100ms);
	auto nas = c.lns_nd(nd::icmp_type::neighbor_advertisement);
	ASSERT_EQ(nas.size(), 1u);
	EXPECT_EQ(nas[0].destination, peer_ll);
	EXPECT_EQ(nas[0].target, ours);

	// Teardown from the LNS: the prefix goes back, the session leaves the dataplane and no
	// more RAs go out.
	ASSERT_TRUE(c.lns->disconnect(key.first, key.second));
	c.ts.advance(5s);
	EXPECT_TRUE(c.lns_dp.sessions.empty());
	EXPECT_EQ(c.lns->ipv6_prefixes().available(), 2u);
	const size_t after = c.lns_nd(nd::icmp_type::router_advertisement).size();
	c.ts.advance(3600s);
	EXPECT_EQ(c.lns_nd(nd::icmp_type::router_advertisement).size(), after);
}

TEST(ipv6_call, ipv6cp_renegotiation_withdraws_the_prefix_then_assigns_one_again) {
	v6_call c;
	session *s = c.dial();
	ASSERT_TRUE(s);
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	const session_key key = c.lns_dp.sessions.begin()->first;
	const nd::ipv6_prefix first = c.lns->ipv6_prefix(key.first, key.second);
	ASSERT_EQ(first.length, 64);
	// The subscriber sends a new IPv6CP Configure-Request: IPv6CP leaves Opened (RFC 1661
	// RCR in Opened: tld), so the prefix is withdrawn, then renegotiated.
	const ppp::ppp_link *ll = c.lac->link(s->owner().local_id(), s->local_id());
	ASSERT_TRUE(ll);
	std::array<uint8_t, 14> req = {1, 0x77, 0, 14, 1, 10};
	for (int i = 0; i < 8; i++)
		req[6 + i] = static_cast<uint8_t>(ll->local_iid() >> (56 - 8 * i));
	std::array<uint8_t, 32> frame;
	const size_t n = ::l2tpx::ppp::build_frame(frame, proto::ipv6cp, req);
	ASSERT_TRUE(c.lac->l2tp().send_ppp(*s, std::span<const uint8_t>(frame.data(), n)));
	c.ts.advance(3s);
	ASSERT_GE(c.lns_dp.updates.size(), 2u);
	const size_t u = c.lns_dp.updates.size();
	EXPECT_EQ(c.lns_dp.updates[u - 2].subscriber_ipv6_prefix.length, 0); // withdrawn
	const nd::ipv6_prefix again = c.lns_dp.updates[u - 1].subscriber_ipv6_prefix;
	EXPECT_EQ(again.length, 64);
	EXPECT_NE(again, first); // a fresh prefix first; the released one waits
	EXPECT_EQ(c.lns->ipv6_prefix(key.first, key.second), again);
	EXPECT_EQ(c.lns->ipv6_prefixes().available(), 1u);
	EXPECT_EQ(c.lns->counters().ipv6_prefixes_assigned, 2u);
	EXPECT_EQ(c.lns_dp.sessions.at(key).subscriber_ipv6_prefix, again);
}

TEST(ipv6_call, every_teardown_path_returns_the_prefix) {
	enum class how { lac_cdn, stop_ccn, lcp_terminate, lower_down };
	for (how h : {how::lac_cdn, how::stop_ccn, how::lcp_terminate, how::lower_down}) {
		v6_call c;
		session *s = c.dial();
		ASSERT_TRUE(s);
		c.ts.advance(2s);
		ASSERT_EQ(c.lns->ipv6_prefixes().available(), 1u) << int(h);
		switch (h) {
		case how::lac_cdn: s->close(ctl::result_codes::cdn_admin, 0, "bye"); break;
		case how::stop_ccn: s->owner().close(ctl::result_codes::stopccn_general_clear, 0, "bye"); break;
		case how::lcp_terminate: {
			const session_key k{s->owner().local_id(), s->local_id()};
			ASSERT_TRUE(c.lac->disconnect(k.first, k.second));
			break;
		}
		case how::lower_down: {
			tunnel *t = nullptr;
			c.lns->l2tp().for_each_tunnel([&](tunnel &x) { t = &x; });
			ASSERT_TRUE(t);
			ASSERT_TRUE(c.lns->l2tp().clear_tunnel(t->local_id()));
			break;
		}
		}
		c.ts.advance(30s);
		EXPECT_EQ(c.lns->ipv6_prefixes().available(), 2u) << int(h);
		EXPECT_TRUE(c.lns_dp.sessions.empty()) << int(h);
		EXPECT_EQ(c.lns->link_count(), 0u) << int(h);
	}
}

TEST(ipv6_call, exhausted_pool_leaves_ipv4_up_without_a_prefix) {
	v6_call c(0); // one /64
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 2u);
	unsigned with_prefix = 0;
	for (const auto &[k, si] : c.lns_dp.sessions)
		with_prefix += si.subscriber_ipv6_prefix.length == 64;
	EXPECT_EQ(with_prefix, 1u);
	EXPECT_EQ(c.lns->counters().ipv6_no_prefix, 1u);
	EXPECT_EQ(c.lns->counters().ipv6_prefixes_assigned, 1u);
}

// What "adopt" uses after a restart: a call keeps a recorded prefix, claimed from the pool.
TEST(ipv6_call, a_recorded_prefix_is_claimed_and_advertised) {
	v6_call c(0); // one /64
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 2u);
	session_key with{}, without{};
	for (const auto &[k, si] : c.lns_dp.sessions)
		(si.subscriber_ipv6_prefix.length ? with : without) = k;
	const nd::ipv6_prefix p = c.lns->ipv6_prefix(with.first, with.second);
	ASSERT_EQ(p.length, 64);
	EXPECT_FALSE(c.lns->adopt_ipv6_prefix(without.first, without.second, p)); // in use
	EXPECT_FALSE(c.lns->adopt_ipv6_prefix(with.first, with.second, p));       // has one
	ASSERT_TRUE(c.lns->disconnect(with.first, with.second));
	c.ts.advance(5s);
	ASSERT_EQ(c.lns->ipv6_prefixes().available(), 1u);
	const size_t ras = c.lns_nd(nd::icmp_type::router_advertisement).size();
	const size_t updates = c.lns_dp.updates.size();
	ASSERT_TRUE(c.lns->adopt_ipv6_prefix(without.first, without.second, p));
	c.ts.advance(100ms);
	EXPECT_EQ(c.lns->ipv6_prefix(without.first, without.second), p);
	EXPECT_EQ(c.lns->ipv6_prefixes().available(), 0u);
	EXPECT_EQ(c.lns_nd(nd::icmp_type::router_advertisement).size(), ras + 1);
	EXPECT_EQ(c.lns_dp.updates.size(), updates); // the dataplane has it already
	EXPECT_FALSE(c.lns->adopt_ipv6_prefix(without.first, without.second, p));
	EXPECT_FALSE(c.lns->adopt_ipv6_prefix(tunnel_id_v2{1}, session_id_v2{1}, p)); // no such call
}

TEST(ipv6_call, ipv6_only_subscriber_is_installed_with_its_prefix) {
	v6_call c(1, false);
	ASSERT_TRUE(c.dial());
	c.ts.advance(2s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	const session_install &si = c.lns_dp.sessions.begin()->second;
	EXPECT_TRUE(si.subscriber_ipv4.is_unspecified());
	EXPECT_EQ(si.subscriber_ipv6_prefix, p6("2001:db8:100::", 64));
	EXPECT_GE(c.lns_nd(nd::icmp_type::router_advertisement).size(), 1u);
}

// The LNS offers IPCP, the subscriber's PPP rejects it (IPv6 only): IPv6CP opens, IPCP
// gives up, and the call is installed with its prefix and no IPv4 address; the pool
// address offered goes back. The link stays up.
TEST(ipv6_call, ipcp_rejected_by_the_subscriber_installs_an_ipv6_only_call) {
	v6_call c(1, true);
	call_manager::config lac_cfg;
	lac_cfg.l2tp = two_ends::lac_default();
	lac_cfg.ppp.auth.user = "alice";
	lac_cfg.ppp.auth.secret = "pw-a";
	lac_cfg.ppp.enable_ipcp = false;
	c.lac = std::make_unique<call_manager>(c.ts, c.rng_lac, lac_cfg, nullptr, nullptr, c.lac_dp,
	                                       c.sender(lac_addr, true));
	const size_t free_v4 = c.pool.available();
	ASSERT_TRUE(c.dial());
	c.ts.advance(5s);
	ASSERT_EQ(c.lns_dp.sessions.size(), 1u);
	const session_install &si = c.lns_dp.sessions.begin()->second;
	EXPECT_TRUE(si.subscriber_ipv4.is_unspecified());
	EXPECT_EQ(si.subscriber_ipv6_prefix, p6("2001:db8:100::", 64));
	EXPECT_EQ(c.pool.available(), free_v4);
	EXPECT_EQ(c.lns->link_count(), 1u);
	EXPECT_EQ(c.lns->counters().links_up, 1u);
	EXPECT_GE(c.lns_nd(nd::icmp_type::router_advertisement).size(), 1u);
	c.ts.advance(60s);
	EXPECT_EQ(c.lns->link_count(), 1u) << "an IPCP failure with IPv6CP open keeps the link";
	EXPECT_EQ(c.lns_dp.sessions.size(), 1u);
}

} // namespace
} // namespace l2tpx::cp::test
