// ICMP/ICMPv6 error builder and rate limiter (dataplane/icmp_error.hpp). The four full
// vectors' lengths and checksums come from scapy 2.5 building the same messages
// (IP()/ICMP(type=11) etc. over the same offending bytes), an independent implementation.
#include "dataplane/icmp_error.hpp"
#include "shared/base/byteorder.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

using namespace l2tpx;
using namespace l2tpx::dp;

namespace {

constexpr std::array<uint8_t, 4> our4{192, 0, 2, 1};
constexpr std::array<uint8_t, 16> our6{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

// IPv4 packet: ID 0x1234, TTL 1, the given protocol, 198.51.100.7 -> 203.0.113.9, payload
// bytes (i*7+3) & 0xff. The header checksum is left 0: the builder quotes, never checks it.
std::vector<uint8_t> v4(size_t total, bool df, uint8_t proto = 17, std::array<uint8_t, 4> src = {198, 51, 100, 7},
                        std::array<uint8_t, 4> dst = {203, 0, 113, 9}, uint16_t frag = 0) {
	std::vector<uint8_t> p = {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0x12, 0x34,
	                          uint8_t((df ? 0x40 : 0) | (frag >> 8)), uint8_t(frag), 1, proto, 0, 0};
	p.insert(p.end(), src.begin(), src.end());
	p.insert(p.end(), dst.begin(), dst.end());
	for (size_t i = 0; i + 20 < total; i++)
		p.push_back(uint8_t(i * 7 + 3));
	return p;
}
// IPv6 packet: 2001:db8::7 -> 2001:db8:1::9, next header `nh`, hop limit 1, payload bytes
// (i*5+1) & 0xff.
std::vector<uint8_t> v6(size_t plen, uint8_t nh = 17, uint8_t src_first = 0x20) {
	std::vector<uint8_t> p = {0x60, 0, 0, 0, uint8_t(plen >> 8), uint8_t(plen), nh, 1};
	const uint8_t src[16] = {src_first, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
	const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9};
	p.insert(p.end(), src, src + 16);
	p.insert(p.end(), dst, dst + 16);
	for (size_t i = 0; i < plen; i++)
		p.push_back(uint8_t(i * 5 + 1));
	return p;
}

struct vector_case {
	const char *name;
	icmp_error kind;
	std::vector<uint8_t> offending;
	uint32_t mtu;
	size_t length;      // from scapy
	uint16_t ip_csum;   // IPv4 header checksum (scapy); 0 for IPv6
	uint16_t icmp_csum; // from scapy
	uint8_t first8[8];  // first 8 bytes of the IP header
};

TEST(icmp_error, scapy_vectors) {
	const vector_case cases[] = {
	    {"v4 time exceeded", icmp_error::time_exceeded, v4(100, false), 0, 128, 0x8d81, 0x03c6,
	     {0x45, 0xc0, 0x00, 0x80, 0, 0, 0, 0}},
	    {"v4 frag needed, quote cut to 576", icmp_error::too_big, v4(1500, true), 1400, 576, 0x8bc1, 0xd1c2,
	     {0x45, 0xc0, 0x02, 0x40, 0, 0, 0, 0}},
	    {"v6 time exceeded", icmp_error::time_exceeded, v6(60), 0, 148, 0, 0xab5f,
	     {0x6c, 0x00, 0x00, 0x00, 0x00, 0x6c, 0x3a, 0x40}},
	    {"v6 packet too big, quote cut to 1280", icmp_error::too_big, v6(1460), 1280, 1280, 0, 0x1fee,
	     {0x6c, 0x00, 0x00, 0x00, 0x04, 0xd8, 0x3a, 0x40}},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		std::vector<uint8_t> out(2000, 0xee);
		const bool is4 = (c.offending[0] >> 4) == 4;
		auto r = build_icmp_error(c.kind, c.offending, is4 ? std::span<const uint8_t>(our4) : std::span<const uint8_t>(our6),
		                          c.mtu, out);
		ASSERT_EQ(r.verdict, icmp_verdict::ok) << to_string(r.verdict);
		ASSERT_EQ(r.length, c.length);
		EXPECT_EQ(std::memcmp(out.data(), c.first8, 8), 0);
		const size_t hl = is4 ? 20 : 40;
		if (is4) {
			EXPECT_EQ(load_be16(out.data() + 10), c.ip_csum);
			EXPECT_EQ(std::memcmp(out.data() + 12, our4.data(), 4), 0);
			EXPECT_EQ(std::memcmp(out.data() + 16, c.offending.data() + 12, 4), 0);
		} else {
			EXPECT_EQ(std::memcmp(out.data() + 8, our6.data(), 16), 0);
			EXPECT_EQ(std::memcmp(out.data() + 24, c.offending.data() + 8, 16), 0);
		}
		EXPECT_EQ(load_be16(out.data() + hl + 2), c.icmp_csum);
		// The quote is the offending packet's beginning.
		EXPECT_EQ(std::memcmp(out.data() + hl + 8, c.offending.data(), r.length - hl - 8), 0);
		EXPECT_EQ(out[r.length], 0xee); // nothing written past the end
	}
}

TEST(icmp_error, mtu_fields) {
	std::vector<uint8_t> out(2000);
	auto r = build_icmp_error(icmp_error::too_big, v4(1500, true), our4, 1492, out);
	ASSERT_EQ(r.verdict, icmp_verdict::ok);
	EXPECT_EQ(out[20], 3);
	EXPECT_EQ(out[21], 4);
	EXPECT_EQ(load_be16(out.data() + 24), 0);
	EXPECT_EQ(load_be16(out.data() + 26), 1492);
	// IPv6: the MTU is 32 bits and never below the IPv6 minimum.
	r = build_icmp_error(icmp_error::too_big, v6(1460), our6, 1000, out);
	ASSERT_EQ(r.verdict, icmp_verdict::ok);
	EXPECT_EQ(out[40], 2);
	EXPECT_EQ(load_be32(out.data() + 44), 1280u);
	r = build_icmp_error(icmp_error::too_big, v6(1460), our6, 1400, out);
	EXPECT_EQ(load_be32(out.data() + 44), 1400u);
	// A packet shorter than its captured bytes (Ethernet padding): quote up to its length.
	auto small = v4(40, false);
	small.resize(60, 0);
	r = build_icmp_error(icmp_error::time_exceeded, small, our4, 0, out);
	ASSERT_EQ(r.verdict, icmp_verdict::ok);
	EXPECT_EQ(r.length, 20u + 8u + 40u);
}

struct suppress_case {
	const char *name;
	icmp_error kind;
	std::vector<uint8_t> offending;
	icmp_verdict verdict;
};

TEST(icmp_error, when_not_to_send) {
	auto icmp4 = [](uint8_t type) {
		auto p = v4(64, false, 1);
		p[20] = type;
		return p;
	};
	auto icmp6 = [](uint8_t type) {
		auto p = v6(32, 58);
		p[40] = type;
		return p;
	};
	// IPv6 with a hop-by-hop header (8 bytes) in front of an ICMPv6 error.
	auto hbh = v6(48, 0);
	hbh[40] = 58;
	hbh[41] = 0;
	hbh[48] = 1; // destination unreachable
	const suppress_case cases[] = {
	    {"empty", icmp_error::time_exceeded, {}, icmp_verdict::truncated},
	    {"short v4", icmp_error::time_exceeded, [] { auto p = v4(40, false); p.resize(19); return p; }(),
	     icmp_verdict::truncated},
	    {"short v6", icmp_error::time_exceeded, std::vector<uint8_t>(39, 0x60), icmp_verdict::truncated},
	    {"version 5", icmp_error::time_exceeded, std::vector<uint8_t>(40, 0x50), icmp_verdict::not_ip},
	    {"v4 IHL 4", icmp_error::time_exceeded, [] { auto p = v4(40, false); p[0] = 0x44; return p; }(),
	     icmp_verdict::not_ip},
	    {"v4 about dest unreachable", icmp_error::time_exceeded, icmp4(3), icmp_verdict::about_icmp_error},
	    {"v4 about time exceeded", icmp_error::too_big, icmp4(11), icmp_verdict::about_icmp_error},
	    {"v4 about redirect", icmp_error::time_exceeded, icmp4(5), icmp_verdict::about_icmp_error},
	    {"v4 non-first fragment", icmp_error::time_exceeded, v4(100, false, 17, {198, 51, 100, 7}, {203, 0, 113, 9}, 185),
	     icmp_verdict::fragment},
	    {"v4 from 0.0.0.0", icmp_error::time_exceeded, v4(60, false, 17, {0, 0, 0, 0}), icmp_verdict::bad_source},
	    {"v4 from loopback", icmp_error::time_exceeded, v4(60, false, 17, {127, 0, 0, 1}), icmp_verdict::bad_source},
	    {"v4 from multicast", icmp_error::time_exceeded, v4(60, false, 17, {224, 0, 0, 5}), icmp_verdict::bad_source},
	    {"v4 from broadcast", icmp_error::too_big, v4(60, true, 17, {255, 255, 255, 255}), icmp_verdict::bad_source},
	    {"v4 TTL to multicast", icmp_error::time_exceeded, v4(60, false, 17, {198, 51, 100, 7}, {239, 1, 1, 1}),
	     icmp_verdict::multicast_dest},
	    {"v6 about dest unreachable", icmp_error::time_exceeded, icmp6(1), icmp_verdict::about_icmp_error},
	    {"v6 about packet too big", icmp_error::too_big, icmp6(2), icmp_verdict::about_icmp_error},
	    {"v6 error behind hop-by-hop", icmp_error::time_exceeded, hbh, icmp_verdict::about_icmp_error},
	    {"v6 from multicast", icmp_error::time_exceeded, v6(20, 17, 0xff), icmp_verdict::bad_source},
	    {"v6 from ::", icmp_error::time_exceeded, [] { auto p = v6(20); std::memset(p.data() + 8, 0, 16); return p; }(),
	     icmp_verdict::bad_source},
	    {"v6 hop limit to multicast", icmp_error::time_exceeded, [] { auto p = v6(20); p[24] = 0xff; return p; }(),
	     icmp_verdict::multicast_dest},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		std::vector<uint8_t> out(2000);
		const bool six = !c.offending.empty() && (c.offending[0] >> 4) == 6;
		auto r = build_icmp_error(c.kind, c.offending, six ? std::span<const uint8_t>(our6) : std::span<const uint8_t>(our4),
		                          1400, out);
		EXPECT_EQ(r.verdict, c.verdict) << to_string(r.verdict);
		EXPECT_EQ(r.length, 0u);
	}
	// Errors about echo requests are fine; so is Packet Too Big about a multicast packet.
	std::vector<uint8_t> out(2000);
	EXPECT_EQ(build_icmp_error(icmp_error::time_exceeded, icmp4(8), our4, 0, out).verdict, icmp_verdict::ok);
	EXPECT_EQ(build_icmp_error(icmp_error::time_exceeded, icmp6(128), our6, 0, out).verdict, icmp_verdict::ok);
	auto mc6 = v6(1400);
	mc6[24] = 0xff;
	EXPECT_EQ(build_icmp_error(icmp_error::too_big, mc6, our6, 1280, out).verdict, icmp_verdict::ok);
	// Wrong address family for our address, and no room.
	EXPECT_EQ(build_icmp_error(icmp_error::time_exceeded, v4(60, false), our6, 0, out).verdict, icmp_verdict::not_ip);
	std::vector<uint8_t> tiny(100);
	EXPECT_EQ(build_icmp_error(icmp_error::time_exceeded, v4(100, false), our4, 0, tiny).verdict, icmp_verdict::no_room);
}

TEST(icmp_error, rate_limiter) {
	const uint64_t hz = 1000000; // ticks per second
	icmp_rate_limiter rl(10, 5, hz);
	uint64_t now = 777;
	int ok = 0;
	for (int i = 0; i < 20; i++)
		ok += rl.allow(now);
	EXPECT_EQ(ok, 5); // the burst
	EXPECT_EQ(rl.limited(), 15u);
	now += hz / 10; // one token
	EXPECT_TRUE(rl.allow(now));
	EXPECT_FALSE(rl.allow(now));
	// Fractions add up: 20 steps of 1/200 s = 1 token.
	for (int i = 0; i < 19; i++) {
		now += hz / 200;
		EXPECT_FALSE(rl.allow(now)) << i;
	}
	now += hz / 200;
	EXPECT_TRUE(rl.allow(now));
	// A long idle time refills to the burst, not beyond (and does not overflow).
	now += hz * 1000000000ull;
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += rl.allow(now);
	EXPECT_EQ(ok, 5);
	// Time going backwards (another lcore's TSC) takes nothing and gives nothing.
	EXPECT_FALSE(rl.allow(now - hz));
}

} // namespace
