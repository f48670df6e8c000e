#include "tools/gen/traffic/rate.hpp"

#include <gtest/gtest.h>

#include <map>

namespace l2tpx::gen {
namespace {

TEST(Rate, Parse) {
	const struct {
		const char *text;
		rate_unit unit;
		uint64_t value;
	} ok[] = {
	    {"64000", rate_unit::pps, 64000},       {"64000pps", rate_unit::pps, 64000},
	    {"10kpps", rate_unit::pps, 10000},      {"1.5Mpps", rate_unit::pps, 1500000},
	    {"100Mbps", rate_unit::bps, 100000000}, {"9.6Gbps", rate_unit::bps, 9600000000},
	    {"1bps", rate_unit::bps, 1},            {"0.001kpps", rate_unit::pps, 1},
	    {"1Tbps", rate_unit::bps, 1000000000000},
	};
	for (const auto &c : ok) {
		auto r = parse_rate(c.text);
		ASSERT_TRUE(r) << c.text;
		EXPECT_EQ(r->unit, c.unit) << c.text;
		EXPECT_EQ(r->value, c.value) << c.text;
	}
	for (const char *bad : {"", "pps", "0", "0pps", "1.5", "1.0001kpps", "-5", "10 Mbps", "10Xbps", "1..2k",
	                        "k", "99999999999999999999", "2000Tbps", "1e6", "0.999999999999Tbps"})
		EXPECT_FALSE(parse_rate(bad)) << bad;
}

TEST(Rate, Format) {
	EXPECT_EQ(format_rate({rate_unit::pps, 10000}), "10kpps");
	EXPECT_EQ(format_rate({rate_unit::bps, 1500000}), "1500kbps");
	EXPECT_EQ(format_rate({rate_unit::bps, 10000000000}), "10Gbps");
	EXPECT_EQ(format_rate({rate_unit::pps, 1234}), "1234pps");
}

TEST(Rate, SplitSumsExactly) {
	for (uint64_t total : {1ull, 7ull, 1000ull, 999999937ull}) {
		for (uint64_t n : {1ull, 3ull, 7ull, 1000ull}) {
			uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
			for (uint64_t i = 0; i < n; i++) {
				uint64_t r = split_rate(total, n, i);
				sum += r;
				lo = std::min(lo, r);
				hi = std::max(hi, r);
			}
			EXPECT_EQ(sum, total);
			EXPECT_LE(hi - lo, 1u);
		}
	}
}

TEST(SizePattern, SimpleImix) {
	auto p = build_size_pattern(simple_imix());
	ASSERT_EQ(p.size(), 12u);
	std::map<uint16_t, int> count;
	for (auto s : p)
		count[s]++;
	EXPECT_EQ(count[64], 7);
	EXPECT_EQ(count[594], 4);
	EXPECT_EQ(count[1518], 1);
	// Smooth: never more than two 64s between larger frames at this ratio, and the
	// pattern is the smooth weighted round robin order.
	const std::vector<uint16_t> want{64, 594, 64, 64, 594, 64, 1518, 64, 594, 64, 594, 64};
	EXPECT_EQ(p, want);
	EXPECT_NEAR(mean_frame_size(simple_imix()), (7 * 64 + 4 * 594 + 1518) / 12.0, 1e-9);
}

TEST(SizePattern, FixedListCustom) {
	EXPECT_EQ(build_size_pattern({size_mode::fixed, {{128, 1}}}), std::vector<uint16_t>{128});
	EXPECT_EQ(build_size_pattern({size_mode::list, {{64, 1}, {128, 1}, {256, 1}}}),
	          (std::vector<uint16_t>{64, 128, 256}));
	// Weights reduced by their gcd: 30:10 -> 3:1.
	auto p = build_size_pattern({size_mode::imix, {{100, 30}, {200, 10}}});
	EXPECT_EQ(p, (std::vector<uint16_t>{100, 100, 200, 100}));
	EXPECT_TRUE(build_size_pattern({size_mode::imix, {}}).empty());
	EXPECT_TRUE(build_size_pattern({size_mode::imix, {{64, 0}}}).empty());
	EXPECT_TRUE(build_size_pattern({size_mode::imix, {{64, 65536}, {65, 1}}}).empty());
}

TEST(Rate, ScaledDecimalIsExactAndBounded) {
	EXPECT_EQ(parse_scaled_decimal("2.5", 1000, 100), 2500u);
	EXPECT_EQ(parse_scaled_decimal("100", 1, 100), 100u);
	EXPECT_FALSE(parse_scaled_decimal("101", 1, 100));
	EXPECT_FALSE(parse_scaled_decimal("0.0001", 1000, 100));               // not a whole unit
	EXPECT_FALSE(parse_scaled_decimal("0.999999999999", 1000000000000, 1)); // frac * scale overflows
	EXPECT_FALSE(parse_scaled_decimal(".", 10, 100));
}

} // namespace
} // namespace l2tpx::gen
