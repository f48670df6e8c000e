#include "tools/gen/traffic/payload.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

namespace l2tpx::gen {
namespace {

TEST(Signature, LongFormBytes) {
	std::array<uint8_t, 24> buf{};
	ASSERT_EQ(write_signature(buf, 1, 2, 3), 24u);
	// comp = ~(0x7A5E + 0x0001 + 0x0002 + 0x0003) = ~0x7A64
	const std::array<uint8_t, 24> want{0x7A, 0x5E, 0x85, 0x9B, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
	                                   0,    0,    0,    0,    0, 0, 0, 3};
	EXPECT_EQ(buf, want);
}

TEST(Signature, ShortFormBytes) {
	std::array<uint8_t, 18> buf{};
	ASSERT_EQ(write_signature(buf, 0x00010002, 0x1'0000'0005, 0xFFFF'0000'0000'0007), 16u);
	// Only the low 32 bits of seq and ts; comp = ~(0x7A53 + 1 + 2 + 5 + 7) = ~0x7A62
	const std::array<uint8_t, 18> want{0x7A, 0x53, 0x85, 0x9D, 0, 1, 0, 2, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0};
	EXPECT_EQ(buf, want);
}

struct round_trip_case {
	size_t room;
	uint32_t stream;
	uint64_t seq;
	uint64_t ts;
};

TEST(Signature, RoundTrip) {
	const round_trip_case cases[] = {
	    {24, 0, 0, 0},
	    {24, 0xFFFFFFFF, UINT64_MAX, UINT64_MAX},
	    {1472, 12345, 0x0123456789ABCDEF, 0xFEDCBA9876543210},
	    {16, 7, 0xFFFFFFFF, 0x12345678},
	    {23, 99999, 42, 0xDEADBEEF},
	    {16, 0, 0, 0},
	};
	for (const auto &c : cases) {
		std::vector<uint8_t> buf(c.room, 0xAA);
		const size_t n = write_signature(buf, c.stream, c.seq, c.ts);
		const bool is_long = c.room >= signature_long_size;
		ASSERT_EQ(n, is_long ? signature_long_size : signature_short_size);
		const signature sig = read_signature(buf);
		ASSERT_EQ(sig.status, signature_status::ok) << c.room;
		EXPECT_EQ(sig.short_form, !is_long);
		EXPECT_EQ(sig.stream, c.stream);
		EXPECT_EQ(sig.seq, is_long ? c.seq : uint32_t(c.seq));
		EXPECT_EQ(sig.tx_ts, is_long ? c.ts : uint32_t(c.ts));
	}
}

TEST(Signature, NoRoom) {
	std::array<uint8_t, 15> buf{};
	EXPECT_EQ(write_signature(buf, 1, 1, 1), 0u);
}

TEST(Signature, ForeignAndCorrupt) {
	std::array<uint8_t, 24> good{};
	ASSERT_EQ(write_signature(good, 5, 6, 7), 24u);

	EXPECT_EQ(read_signature(std::span<const uint8_t>(good).first(15)).status, signature_status::too_short);
	// Long magic but truncated below 24 bytes.
	EXPECT_EQ(read_signature(std::span<const uint8_t>(good).first(20)).status, signature_status::too_short);

	std::array<uint8_t, 64> zero{};
	EXPECT_EQ(read_signature(zero).status, signature_status::bad_magic);
	std::array<uint8_t, 32> dns{0x12, 0x34, 0x01, 0x00, 0x00, 0x01};
	EXPECT_EQ(read_signature(dns).status, signature_status::bad_magic);

	// Any single-byte change after the magic is detected.
	for (size_t i = 2; i < good.size(); i++) {
		auto bad = good;
		bad[i] ^= 0x10;
		EXPECT_EQ(read_signature(bad).status, signature_status::bad_checksum) << i;
	}
}

TEST(Signature, RandomBytesAreNotSignatures) {
	// Random traffic needs the magic (2^-16) and the word sum (2^-16) to pass; with the magic
	// forced, the sum alone rejects all but about 1 in 65535.
	std::mt19937_64 rng(11);
	std::vector<uint8_t> buf(64);
	int accepted_random = 0, accepted_forced = 0, corrupt = 0;
	for (int i = 0; i < 200000; i++) {
		for (auto &b : buf)
			b = static_cast<uint8_t>(rng());
		const size_t len = rng() % buf.size();
		const bool forced = i % 2;
		if (forced)
			store_be16(buf.data(), i % 4 == 1 ? signature_magic_long : signature_magic_short);
		const signature sig = read_signature(std::span<const uint8_t>(buf).first(len));
		(forced ? accepted_forced : accepted_random) += sig.status == signature_status::ok;
		corrupt += sig.status == signature_status::bad_checksum;
	}
	EXPECT_EQ(accepted_random, 0);
	EXPECT_LE(accepted_forced, 8); // ~1 expected of ~69000 with a full-length magic
	EXPECT_GT(corrupt, 60000);
}

// IPv4 pseudo-header + UDP header + payload: the checksum field makes the total sum 0xFFFF.
static uint16_t udp_sum_v4(const std::vector<uint8_t> &udp) {
	const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {198, 51, 100, 7};
	uint32_t pseudo = load_be16(src) + load_be16(src + 2) + load_be16(dst) + load_be16(dst + 2) + 17 +
	                  static_cast<uint32_t>(udp.size());
	return ones_complement_sum(udp, pseudo);
}

TEST(Signature, UdpChecksumStaysValid) {
	// A template packet: UDP header + 40 bytes payload, checksum computed once.
	for (size_t payload : {16u, 18u, 24u, 40u, 1000u}) {
		std::vector<uint8_t> udp(8 + payload, 0x5C);
		store_be16(&udp[0], 4000);
		store_be16(&udp[2], 5000);
		store_be16(&udp[4], static_cast<uint16_t>(udp.size()));
		store_be16(&udp[6], 0);
		ASSERT_NE(write_signature(std::span<uint8_t>(udp).subspan(8), 0, 0, 0), 0u);
		const uint16_t csum = static_cast<uint16_t>(~udp_sum_v4(udp));
		store_be16(&udp[6], csum);
		ASSERT_EQ(udp_sum_v4(udp), 0xFFFF);

		const uint64_t values[][3] = {{1, 1, 1}, {77, 0xFFFFFFFFFFFF, 0x1234567890}, {UINT32_MAX, UINT64_MAX, UINT64_MAX}};
		for (const auto &v : values) {
			write_signature(std::span<uint8_t>(udp).subspan(8), uint32_t(v[0]), v[1], v[2]);
			EXPECT_EQ(load_be16(&udp[6]), csum);
			EXPECT_EQ(udp_sum_v4(udp), 0xFFFF) << payload << " " << v[0];
		}
	}
}

TEST(Signature, ExtendSeq32) {
	const struct {
		uint64_t ref;
		uint32_t low;
		uint64_t want;
	} cases[] = {
	    {0, 0, 0},
	    {0, 5, 5},
	    {10, 7, 7},
	    {0xFFFFFFF0, 0x00000003, 0x100000003},       // forward across the 32-bit wrap
	    {0x100000003, 0xFFFFFFF0, 0xFFFFFFF0},       // reordered back across it
	    {0x500000000, 0x7FFFFFFF, 0x57FFFFFFF},
	    {2, 0xFFFFFFFE, 0xFFFFFFFE},                 // would be negative: no wrap yet
	};
	for (const auto &c : cases)
		EXPECT_EQ(extend_seq32(c.ref, c.low), c.want) << std::hex << c.ref << " " << c.low;
}

TEST(Signature, ExtendTs32) {
	const struct {
		uint64_t now;
		uint32_t low;
		uint64_t want;
	} cases[] = {
	    {1000, 900, 900},
	    {1000, 1000, 1000},
	    {0x1'0000'0010, 0xFFFFFFF0, 0xFFFFFFF0},
	    {0x7'0000'0000, 0x1, 0x6'0000'0001},
	    {0x7'1234'5678, 0x1234'0000, 0x7'1234'0000},
	};
	for (const auto &c : cases)
		EXPECT_EQ(extend_ts32(c.now, c.low), c.want);
}

TEST(Signature, MinFrameSizes) {
	EXPECT_EQ(min_frame_size(4, false), 62u); // 64-byte IPv4 frames carry the short form
	EXPECT_EQ(min_frame_size(4, true), 70u);
	EXPECT_EQ(min_frame_size(6, false), 82u);
	EXPECT_EQ(min_frame_size(6, true), 90u);
}

} // namespace
} // namespace l2tpx::gen
