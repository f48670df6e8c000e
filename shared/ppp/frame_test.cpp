#include "shared/ppp/frame.hpp"

#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "shared/ppp/test_util.hpp"
#include "shared/ppp/test_vectors.hpp"

namespace l2tpx::ppp {
namespace {

using testing::same_bytes;
using testing::within;

TEST(PppFrame, ParsesScapyVectors) {
	for (const auto &v : test_vectors::frames) {
		SCOPED_TRACE(v.name);
		auto f = parse_frame(v.raw);
		ASSERT_TRUE(f) << to_string(f.error());
		EXPECT_EQ(f->protocol, v.protocol);
		EXPECT_EQ(f->header_len, v.header_len);
		EXPECT_EQ(f->address_control, v.address_control);
		EXPECT_EQ(f->protocol_compressed, v.protocol_compressed);
		EXPECT_EQ(f->payload.size(), v.payload_len);
		EXPECT_EQ(f->payload.data(), v.raw.data() + v.header_len);
	}
}

TEST(PppFrame, BuildsScapyVectors) {
	for (const auto &v : test_vectors::frames) {
		SCOPED_TRACE(v.name);
		frame_compression c{!v.address_control, v.protocol_compressed};
		if (v.protocol == proto::lcp && !v.address_control)
			continue; // we never omit FF 03 before LCP (RFC 1661 §6.6)
		std::array<uint8_t, 64> out{};
		size_t n = build_frame(out, v.protocol, v.raw.subspan(v.header_len), c);
		ASSERT_EQ(n, v.raw.size());
		EXPECT_TRUE(same_bytes(std::span(out).first(n), v.raw));
	}
}

struct header_case {
	uint16_t protocol;
	bool acfc;
	bool pfc;
	std::vector<uint8_t> header;
};

TEST(PppFrame, PfcAcfcCombinations) {
	const header_case cases[] = {
	        {proto::ipv4, false, false, {0xff, 0x03, 0x00, 0x21}},
	        {proto::ipv4, true, false, {0x00, 0x21}},
	        {proto::ipv4, false, true, {0xff, 0x03, 0x21}},
	        {proto::ipv4, true, true, {0x21}},
	        {proto::ipv6, true, true, {0x57}},
	        {proto::ipv6, false, true, {0xff, 0x03, 0x57}},
	        {proto::mpls_unicast, true, true, {0x02, 0x81}}, // >= 0x100: never compressed
	        {proto::ipcp, true, true, {0x80, 0x21}},
	        {proto::ipv6cp, false, true, {0xff, 0x03, 0x80, 0x57}},
	        {proto::pap, true, false, {0xc0, 0x23}},
	        {proto::chap, true, true, {0xc2, 0x23}},
	        {proto::lcp, true, true, {0xff, 0x03, 0xc0, 0x21}}, // LCP: always full (§6.5, §6.6)
	        {proto::lcp, false, false, {0xff, 0x03, 0xc0, 0x21}},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(::testing::Message() << std::hex << c.protocol << " acfc=" << c.acfc << " pfc=" << c.pfc);
		frame_compression fc{c.acfc, c.pfc};
		EXPECT_EQ(frame_header_len(c.protocol, fc), c.header.size());
		std::array<uint8_t, 8> out{};
		size_t n = build_frame_header(out, c.protocol, fc);
		ASSERT_EQ(n, c.header.size());
		EXPECT_TRUE(same_bytes(std::span(out).first(n), c.header));
		// Too small a buffer writes nothing.
		EXPECT_EQ(build_frame_header(std::span(out).first(n - 1), c.protocol, fc), 0u);
		// What we build, we parse back.
		auto f = parse_frame(std::span<const uint8_t>(out).first(n));
		ASSERT_TRUE(f) << to_string(f.error());
		EXPECT_EQ(f->protocol, c.protocol);
		EXPECT_EQ(f->header_len, n);
		EXPECT_EQ(f->address_control, c.header[0] == 0xff);
		EXPECT_TRUE(f->payload.empty());
	}
}

TEST(PppFrame, BuildFrameRejectsInvalidProtocolAndSmallBuffer) {
	std::array<uint8_t, 16> out{};
	const uint8_t payload[] = {1, 2, 3, 4};
	EXPECT_EQ(build_frame_header(out, 0x0020, {}), 0u); // even
	EXPECT_EQ(build_frame_header(out, 0x0121, {}), 0u); // high octet odd
	EXPECT_EQ(build_frame(out, 0x0000, payload), 0u);
	EXPECT_EQ(build_frame(std::span(out).first(7), proto::ipv4, payload), 0u);
	EXPECT_EQ(build_frame(std::span(out).first(8), proto::ipv4, payload), 8u);
	EXPECT_EQ(build_frame(std::span(out).first(5), proto::ipv4, payload, {true, true}), 5u);
}

struct bad_frame {
	const char *name;
	std::vector<uint8_t> bytes;
	error err;
};

TEST(PppFrame, RejectsMalformedHeaders) {
	const bad_frame cases[] = {
	        {"empty", {}, error::frame_truncated},
	        {"address only", {0xff}, error::frame_truncated},
	        {"address control only", {0xff, 0x03}, error::frame_truncated},
	        {"half protocol after ac", {0xff, 0x03, 0xc0}, error::frame_truncated},
	        {"half protocol", {0x80}, error::frame_truncated},
	        {"bad control", {0xff, 0x01, 0x00, 0x21}, error::frame_bad_address_control},
	        {"bad control ff", {0xff, 0xff, 0x00, 0x21}, error::frame_bad_address_control},
	        {"even protocol", {0x00, 0x20, 0x45}, error::frame_bad_protocol},
	        {"even protocol after ac", {0xff, 0x03, 0xc0, 0x22}, error::frame_bad_protocol},
	        {"zero protocol", {0x00, 0x00}, error::frame_bad_protocol},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		auto f = parse_frame(c.bytes);
		ASSERT_FALSE(f);
		EXPECT_EQ(f.error(), c.err) << to_string(f.error());
	}
}

TEST(PppFrame, EveryPrefixFailsCleanlyOrParses) {
	for (const auto &v : test_vectors::frames) {
		SCOPED_TRACE(v.name);
		for (size_t n = 0; n < v.raw.size(); ++n) {
			// A copy of exactly n bytes so that ASan sees any read past the end.
			std::vector<uint8_t> buf(v.raw.begin(), v.raw.begin() + static_cast<std::ptrdiff_t>(n));
			auto f = parse_frame(buf);
			if (n < v.header_len) {
				ASSERT_FALSE(f) << n;
				EXPECT_EQ(f.error(), error::frame_truncated);
			} else {
				ASSERT_TRUE(f) << n;
				EXPECT_EQ(f->protocol, v.protocol);
				EXPECT_EQ(f->payload.size(), n - v.header_len);
				EXPECT_TRUE(within(f->payload, buf));
			}
		}
	}
}

TEST(PppFrame, ProtocolHelpers) {
	EXPECT_TRUE(is_valid_protocol(proto::ipv4));
	EXPECT_TRUE(is_valid_protocol(proto::lcp));
	EXPECT_FALSE(is_valid_protocol(0x0020));
	EXPECT_FALSE(is_valid_protocol(0x0121));
	EXPECT_TRUE(is_network_layer(proto::ipv6));
	EXPECT_TRUE(is_network_control(proto::ipcp));
	EXPECT_TRUE(is_network_control(proto::ccp));
	EXPECT_FALSE(is_network_control(proto::lcp));
	EXPECT_TRUE(is_link_control(proto::chap));
	EXPECT_STREQ(protocol_name(proto::lcp), "lcp");
	EXPECT_STREQ(protocol_name(proto::ipv6cp), "ipv6cp");
	EXPECT_EQ(protocol_name(0x1234), nullptr);
}

} // namespace
} // namespace l2tpx::ppp
