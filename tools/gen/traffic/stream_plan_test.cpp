#include "tools/gen/traffic/stream_plan.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace l2tpx::gen {
namespace {

traffic_config config(traffic_direction d, uint32_t sps) {
	traffic_config c;
	c.direction = d;
	c.streams_per_session = sps;
	c.rate_per_stream = rate{rate_unit::pps, 100};
	return c;
}

TEST(StreamPlan, IdLayout) {
	auto p = plan_streams(config(traffic_direction::both, 2), 3);
	ASSERT_TRUE(p);
	ASSERT_EQ(p->streams.size(), 12u);
	// Session 0: up 0,1 down 2,3; session 1: up 4,5 down 6,7; ...
	const direction U = direction::up, D = direction::down;
	const std::array<std::pair<uint32_t, direction>, 12> want{
	    {{0, U}, {0, U}, {0, D}, {0, D}, {1, U}, {1, U}, {1, D}, {1, D}, {2, U}, {2, U}, {2, D}, {2, D}}};
	for (uint32_t i = 0; i < 12; i++) {
		EXPECT_EQ(p->streams[i].id, i);
		EXPECT_EQ(p->streams[i].session, want[i].first) << i;
		EXPECT_EQ(p->streams[i].dir, want[i].second) << i;
		EXPECT_EQ(p->rates[i], (rate{rate_unit::pps, 100}));
	}
	EXPECT_EQ(p->groups()[2], 1);
	EXPECT_EQ(p->pattern, std::vector<uint16_t>{64});

	auto down = plan_streams(config(traffic_direction::down, 1), 2);
	ASSERT_TRUE(down);
	ASSERT_EQ(down->streams.size(), 2u);
	EXPECT_EQ(down->streams[1].session, 1u);
	EXPECT_EQ(down->streams[1].dir, direction::down);
	auto none = plan_streams(config(traffic_direction::both, 1), 0);
	ASSERT_TRUE(none);
	EXPECT_TRUE(none->streams.empty());
}

TEST(StreamPlan, Families) {
	auto c = config(traffic_direction::both, 1);
	c.ip_version = ip_version_both;
	auto p = plan_streams(c, 2);
	ASSERT_TRUE(p);
	ASSERT_EQ(p->streams.size(), 8u);
	// Session 0: v4 up 0, v4 down 1, v6 up 2, v6 down 3; session 1: 4..7.
	const std::array<uint8_t, 8> family{4, 4, 6, 6, 4, 4, 6, 6};
	const std::array<uint8_t, 8> group{0, 1, 2, 3, 0, 1, 2, 3};
	const auto groups = p->groups();
	for (uint32_t i = 0; i < 8; i++) {
		EXPECT_EQ(p->streams[i].session, i / 4) << i;
		EXPECT_EQ(p->streams[i].family, family[i]) << i;
		EXPECT_EQ(p->streams[i].dir, i % 2 ? direction::down : direction::up) << i;
		EXPECT_EQ(groups[i], group[i]) << i;
	}
	c.ip_version = 6;
	c.direction = traffic_direction::up;
	c.streams_per_session = 2;
	auto six = plan_streams(c, 3);
	ASSERT_TRUE(six);
	ASSERT_EQ(six->streams.size(), 6u);
	for (const stream_info &s : six->streams) {
		EXPECT_EQ(s.family, 6);
		EXPECT_EQ(stream_group(s), 2);
	}
	EXPECT_EQ(six->streams[5].session, 2u);
}

TEST(StreamPlan, Errors) {
	auto c = config(traffic_direction::both, 1024);
	EXPECT_EQ(plan_streams(c, 100000).error(), plan_error::too_many_streams);
	c = config(traffic_direction::both, 1);
	c.rate_per_stream.reset();
	EXPECT_EQ(plan_streams(c, 1).error(), plan_error::no_rate);
	c.rate_total = rate{rate_unit::pps, 3};
	EXPECT_EQ(plan_streams(c, 2).error(), plan_error::rate_too_low);
	c.rate_total = rate{rate_unit::pps, 4};
	EXPECT_TRUE(plan_streams(c, 2));
	c.sizes = size_spec{size_mode::imix, {}};
	EXPECT_EQ(plan_streams(c, 2).error(), plan_error::bad_sizes);
	EXPECT_STREQ(to_string(plan_error::rate_too_low), "rate_too_low");
}

TEST(StreamPlan, TotalRateExactAcrossWorkers) {
	// 1000003 pps in total over 7 sessions x 2 directions x 3 streams, sent by 3 upstream and
	// 2 downstream workers for 1 simulated second: exactly 1000003 packets.
	traffic_config c = config(traffic_direction::both, 3);
	c.rate_per_stream.reset();
	c.rate_total = rate{rate_unit::pps, 1000003};
	c.sizes = simple_imix();
	auto p = plan_streams(c, 7);
	ASSERT_TRUE(p);
	const uint64_t hz = 1000000000;
	std::vector<scheduler> workers;
	std::set<uint32_t> seen;
	size_t assigned = 0;
	for (uint32_t w = 0; w < 3; w++) {
		workers.emplace_back(scheduler_options{.hz = hz});
		const size_t n = assign_streams(workers.back(), *p, direction::up, w, 3, ethernet_wire_overhead + 38);
		EXPECT_EQ(n, 7u); // 21 upstream streams over 3 workers
		assigned += n;
	}
	for (uint32_t w = 0; w < 2; w++) {
		workers.emplace_back(scheduler_options{.hz = hz});
		const size_t n = assign_streams(workers.back(), *p, direction::down, w, 2, ethernet_wire_overhead);
		EXPECT_EQ(n, w == 0 ? 11u : 10u); // 21 downstream streams over 2 workers
		assigned += n;
	}
	EXPECT_EQ(assigned, 42u);
	uint64_t total = 0;
	std::array<tx_item, 128> out;
	for (auto &s : workers) {
		for (size_t i = 0; i < s.stream_count(); i++)
			EXPECT_TRUE(seen.insert(s.stream_id(i)).second); // each stream on one worker
		s.start(0, hz);
		for (uint64_t now = 0; !s.done(); now += 20000)
			for (size_t n; (n = s.poll(now, out)) != 0;)
				total += n;
	}
	EXPECT_EQ(seen.size(), 42u);
	EXPECT_EQ(total, 1000003u);
	EXPECT_EQ(assign_streams(workers[0], *p, direction::up, 3, 3, 0), 0u);
	// One stream per direction per session, two workers: both get streams of each direction.
	traffic_config one = config(traffic_direction::both, 1);
	auto q = plan_streams(one, 4);
	ASSERT_TRUE(q);
	for (uint32_t w = 0; w < 2; w++) {
		scheduler s;
		EXPECT_EQ(assign_streams(s, *q, direction::up, w, 2, 0), 2u);
		EXPECT_EQ(assign_streams(s, *q, direction::down, w, 2, 0), 2u);
	}
}

} // namespace
} // namespace l2tpx::gen
