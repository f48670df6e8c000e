#include "tools/gen/lac/echo_packet.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace l2tpx::gen::lac {
namespace {

echo_request sample() {
	echo_request r;
	r.src = 0x64400002; // 100.64.0.2
	r.dst = 0xc6130002; // 198.19.0.2
	r.ident = 7;
	r.sequence = 3;
	r.call = 6;
	r.timestamp_ns = 0x0102030405060708ull;
	r.payload_bytes = 16;
	return r;
}

// What a host answers: swap addresses, type 0, fix both checksums.
std::vector<uint8_t> reply_of(std::vector<uint8_t> f) {
	uint8_t *ip = f.data() + 4;
	for (int i = 0; i < 4; ++i)
		std::swap(ip[12 + i], ip[16 + i]);
	ip[10] = ip[11] = 0;
	const uint16_t ipc = internet_checksum({ip, 20});
	ip[10] = uint8_t(ipc >> 8);
	ip[11] = uint8_t(ipc);
	uint8_t *icmp = ip + 20;
	icmp[0] = 0;
	icmp[2] = icmp[3] = 0;
	const uint16_t c = internet_checksum({icmp, f.size() - 24});
	icmp[2] = uint8_t(c >> 8);
	icmp[3] = uint8_t(c);
	return f;
}

TEST(echo_packet, request_bytes) {
	uint8_t buf[128];
	const size_t n = build_echo_frame(sample(), buf);
	const std::vector<uint8_t> want{
	    0xff, 0x03, 0x00, 0x21,                                                 // PPP
	    0x45, 0x00, 0x00, 0x2c, 0x00, 0x03, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, // IPv4
	    0x64, 0x40, 0x00, 0x02, 0xc6, 0x13, 0x00, 0x02,                         //
	    0x08, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x03,                         // ICMP echo
	    0x4c, 0x32, 0x4c, 0x58, 0x00, 0x00, 0x00, 0x06,                         // magic, call
	    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,                         // timestamp
	};
	ASSERT_EQ(n, want.size());
	std::vector<uint8_t> got(buf, buf + n);
	// Checksums verified separately: zero them for the byte comparison.
	EXPECT_EQ(internet_checksum({buf + 4, 20}), 0);
	EXPECT_EQ(internet_checksum({buf + 24, n - 24}), 0);
	got[14] = got[15] = 0;
	got[26] = got[27] = 0;
	EXPECT_EQ(got, want);
}

TEST(echo_packet, too_small_buffer_or_payload) {
	uint8_t buf[128];
	EXPECT_EQ(build_echo_frame(sample(), std::span<uint8_t>(buf, 47)), 0u);
	echo_request r = sample();
	r.payload_bytes = 15;
	EXPECT_EQ(build_echo_frame(r, buf), 0u);
	r.payload_bytes = 100;
	EXPECT_EQ(build_echo_frame(r, buf), 0u);
	EXPECT_EQ(build_echo_frame(r, std::span<uint8_t>(buf, 128)), 0u);
	uint8_t big[256];
	EXPECT_EQ(build_echo_frame(r, big), 132u);
}

TEST(echo_packet, reply_round_trip_and_compressed_headers) {
	uint8_t buf[128];
	const size_t n = build_echo_frame(sample(), buf);
	const auto reply = reply_of({buf, buf + n});
	auto r = parse_echo_reply(reply);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->src, 0xc6130002u);
	EXPECT_EQ(r->dst, 0x64400002u);
	EXPECT_EQ(r->call, 6u);
	EXPECT_EQ(r->timestamp_ns, 0x0102030405060708ull);
	// ACFC (no FF 03) and PFC (protocol 0x21 in one byte).
	std::vector<uint8_t> acfc(reply.begin() + 2, reply.end());
	EXPECT_TRUE(parse_echo_reply(acfc));
	std::vector<uint8_t> pfc(reply.begin() + 3, reply.end());
	EXPECT_TRUE(parse_echo_reply(pfc));
}

TEST(echo_packet, everything_else_is_not_a_reply) {
	uint8_t buf[128];
	const size_t n = build_echo_frame(sample(), buf);
	const auto good = reply_of({buf, buf + n});
	auto mutate = [&](size_t at, uint8_t v) {
		auto f = good;
		f[at] = v;
		return f;
	};
	const std::vector<std::vector<uint8_t>> rows{
	    {},
	    {0xff, 0x03},
	    {buf, buf + n},                           // the request itself (type 8)
	    mutate(3, 0x57),                          // IPv6 protocol
	    mutate(2, 0xc0),                          // LCP (C0 21)
	    mutate(4, 0x65),                          // version 6
	    mutate(4, 0x44),                          // IHL 16 bytes
	    mutate(13, 17),                           // UDP
	    mutate(16, 0x65),                         // IPv4 checksum broken
	    mutate(32, 0x00),                         // magic broken (ICMP checksum too)
	    mutate(10, 0x20),                         // more fragments
	    std::vector<uint8_t>(good.begin(), good.end() - 1), // truncated below total length
	};
	for (size_t i = 0; i < rows.size(); ++i)
		EXPECT_FALSE(parse_echo_reply(rows[i])) << "row " << i;
}

TEST(echo_packet, checksum_vectors) {
	// RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 → checksum 220d.
	const uint8_t v[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	EXPECT_EQ(internet_checksum(v), 0x220d);
	const uint8_t odd[] = {0x01};
	EXPECT_EQ(internet_checksum(odd), 0xfeff);
	EXPECT_EQ(internet_checksum({}), 0xffff);
}

} // namespace
} // namespace l2tpx::gen::lac
