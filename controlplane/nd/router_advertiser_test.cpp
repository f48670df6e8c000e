#include "controlplane/nd/router_advertiser.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace l2tpx::cp::nd {
namespace {

using namespace std::chrono_literals;

ipv6_bytes a6(const char *s) {
	ipv6_bytes a{};
	EXPECT_TRUE(parse_ipv6(s, a)) << s;
	return a;
}

// An RS / NS from the subscriber, checksum computed here (the codec test pins the function
// against scapy).
std::vector<uint8_t> icmp_packet(const ipv6_bytes &src, const ipv6_bytes &dst, uint8_t type, const ipv6_bytes *target) {
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
	const uint16_t c = icmpv6_checksum(src, dst, std::span(p).subspan(40));
	p[42] = static_cast<uint8_t>(c >> 8);
	p[43] = static_cast<uint8_t>(c);
	return p;
}

struct fixture {
	timer_service timers;
	seeded_random rng{7};
	ra_config cfg;
	ra_counters counters;
	std::vector<std::vector<uint8_t>> sent;
	std::vector<time_point> when;
	router_advertiser ra{timers, rng, cfg, [this](std::span<const uint8_t> p) {
		                     sent.emplace_back(p.begin(), p.end());
		                     when.push_back(timers.now());
	                     },
	                     counters};
	const uint64_t iid = 0x0200000000000001ull;
	ipv6_prefix prefix{a6("2001:db8:100:7::"), 64};
	ipv6_bytes peer = a6("fe80::abcd");

	void rs() { ra.receive(icmp_packet(peer, all_routers(), icmp_type::router_solicitation, nullptr)); }
};

TEST(router_advertiser, first_ra_carries_prefix_mtu_and_link_local_source) {
	fixture f;
	f.cfg.dns = {a6("2001:db8::53")};
	f.ra.start(f.iid, f.prefix, 1452);
	ASSERT_EQ(f.sent.size(), 1u);
	const auto &p = f.sent[0];
	auto m = parse_nd(p);
	ASSERT_TRUE(m) << to_string(m.error());
	EXPECT_EQ(m->type, icmp_type::router_advertisement);
	EXPECT_EQ(m->source, link_local(f.iid));
	EXPECT_EQ(m->destination, all_nodes());
	EXPECT_EQ(m->router_lifetime_s, 1800);
	ASSERT_EQ(p.size(), 40u + 16 + 8 + 32 + 24);
	EXPECT_EQ(p[45], 0x00);                                        // M=0 O=0
	EXPECT_EQ(p[56], option::mtu);
	EXPECT_EQ((p[60] << 24 | p[61] << 16 | p[62] << 8 | p[63]), 1452);
	EXPECT_EQ(p[64], option::prefix_information);
	EXPECT_EQ(p[66], 64);
	EXPECT_EQ(p[67], 0x40);                                        // A=1, L=0
	EXPECT_TRUE(std::equal(f.prefix.addr.begin(), f.prefix.addr.end(), p.begin() + 80));
	EXPECT_EQ(p[96], option::rdnss);
	EXPECT_EQ((p[100] << 24 | p[101] << 16 | p[102] << 8 | p[103]), 1800); // 3 × 600 s
	EXPECT_EQ(f.counters.ra_sent, 1u);
}

TEST(router_advertiser, solicitations_are_answered_at_most_every_3_seconds) {
	fixture f;
	f.ra.start(f.iid, f.prefix, 1500);
	f.timers.advance(1000ms);
	f.rs(); // 1 s after the last RA: delayed to 3 s after it
	f.rs(); // a second one while the answer is pending: no extra RA
	EXPECT_EQ(f.sent.size(), 1u);
	EXPECT_EQ(f.counters.rs_rate_limited, 2u);
	f.timers.advance(1999ms);
	EXPECT_EQ(f.sent.size(), 1u);
	f.timers.advance(1ms);
	ASSERT_EQ(f.sent.size(), 2u);
	EXPECT_EQ(f.when[1] - f.when[0], 3000ms);
	f.timers.advance(3000ms);
	const size_t before = f.sent.size();
	f.rs(); // 3 s after the last: at once
	EXPECT_EQ(f.sent.size(), before + 1);
	EXPECT_EQ(f.counters.rs_received, 3u);
	EXPECT_EQ(f.counters.ra_solicited, 2u);
}

TEST(router_advertiser, unsolicited_schedule_follows_rfc4861) {
	fixture f;
	f.cfg.max_interval = 60s;
	f.cfg.min_interval = 20s;
	f.ra.start(f.iid, f.prefix, 1500);
	f.timers.advance(3600s);
	ASSERT_GE(f.sent.size(), 4u);
	// The first three intervals are at most 16 s (MAX_INITIAL_RTR_ADVERT_INTERVAL), the rest
	// within [min, max].
	for (size_t i = 1; i < f.sent.size(); i++) {
		const auto gap = f.when[i] - f.when[i - 1];
		if (i <= 3) {
			EXPECT_LE(gap, 16000ms) << i;
		} else {
			EXPECT_GE(gap, 20000ms) << i;
			EXPECT_LE(gap, 60000ms) << i;
		}
	}
	EXPECT_GE(f.sent.size(), 3600u / 60);
	EXPECT_LE(f.sent.size(), 3u + 3600u / 20);
	f.ra.stop();
	const size_t n = f.sent.size();
	f.timers.advance(3600s);
	f.rs();
	EXPECT_EQ(f.sent.size(), n);
	EXPECT_EQ(f.timers.armed_count(), 0u);
}

TEST(router_advertiser, neighbor_solicitations_for_our_address_get_an_advertisement) {
	fixture f;
	f.ra.start(f.iid, f.prefix, 1500);
	f.sent.clear();
	const ipv6_bytes ours = link_local(f.iid);
	f.ra.receive(icmp_packet(f.peer, ours, icmp_type::neighbor_solicitation, &ours));
	ASSERT_EQ(f.sent.size(), 1u);
	auto na = parse_nd(f.sent[0]);
	ASSERT_TRUE(na);
	EXPECT_EQ(na->type, icmp_type::neighbor_advertisement);
	EXPECT_EQ(na->destination, f.peer);
	EXPECT_EQ(na->target, ours);
	EXPECT_EQ(f.sent[0][44], 0xe0); // R S O
	// DAD probe for our address: to all nodes, S clear.
	const ipv6_bytes unspec{};
	f.ra.receive(icmp_packet(unspec, solicited_node(ours), icmp_type::neighbor_solicitation, &ours));
	ASSERT_EQ(f.sent.size(), 2u);
	auto dad = parse_nd(f.sent[1]);
	ASSERT_TRUE(dad);
	EXPECT_EQ(dad->destination, all_nodes());
	EXPECT_EQ(f.sent[1][44], 0xa0); // R O
	// The subscriber's own DAD: not ours to answer.
	const ipv6_bytes theirs = a6("2001:db8:100:7::5");
	f.ra.receive(icmp_packet(unspec, solicited_node(theirs), icmp_type::neighbor_solicitation, &theirs));
	EXPECT_EQ(f.sent.size(), 2u);
	EXPECT_EQ(f.counters.ns_received, 3u);
	EXPECT_EQ(f.counters.na_sent, 2u);
	EXPECT_EQ(f.counters.nd_ignored, 1u);
}

TEST(router_advertiser, bad_and_foreign_packets_are_counted_not_answered) {
	fixture f;
	f.ra.start(f.iid, f.prefix, 1500);
	f.sent.clear();
	auto bad = icmp_packet(f.peer, all_routers(), icmp_type::router_solicitation, nullptr);
	bad[43] ^= 1; // checksum
	f.ra.receive(bad);
	auto hop = icmp_packet(f.peer, all_routers(), icmp_type::router_solicitation, nullptr);
	hop[7] = 64; // off-link
	f.ra.receive(hop);
	f.ra.receive(std::vector<uint8_t>(10, 0));
	auto mld = icmp_packet(f.peer, all_routers(), 143, nullptr); // MLDv2 report
	f.ra.receive(mld);
	EXPECT_TRUE(f.sent.empty());
	EXPECT_EQ(f.counters.nd_invalid, 3u);
	EXPECT_EQ(f.counters.nd_ignored, 1u);
	EXPECT_EQ(f.counters.rs_received, 0u);
}

} // namespace
} // namespace l2tpx::cp::nd
