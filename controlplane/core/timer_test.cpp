#include "controlplane/core/timer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace l2tpx::cp {
namespace {

using namespace std::chrono_literals;

TEST(timer_service, runs_in_deadline_then_arming_order) {
	timer_service ts;
	std::vector<int> ran;
	ts.arm(30ms, [&] { ran.push_back(3); });
	ts.arm(10ms, [&] { ran.push_back(1); });
	ts.arm(10ms, [&] { ran.push_back(2); });
	EXPECT_EQ(ts.next_deadline(), time_point{10ms});
	EXPECT_EQ(ts.advance(20ms), 2u);
	EXPECT_EQ(ran, (std::vector<int>{1, 2}));
	EXPECT_EQ(ts.now(), time_point{20ms});
	EXPECT_EQ(ts.advance(10ms), 1u);
	EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
	EXPECT_EQ(ts.next_deadline(), time_point::max());
}

TEST(timer_service, callback_sees_its_deadline_and_may_rearm_and_cancel) {
	timer_service ts;
	std::vector<time_point> seen;
	timer_handle other = ts.arm(25ms, [&] { ADD_FAILURE() << "cancelled timer ran"; });
	std::function<void()> tick = [&] {
		seen.push_back(ts.now());
		if (seen.size() < 3)
			ts.arm(10ms, tick);
		ts.cancel(other);
	};
	ts.arm(10ms, tick);
	ts.advance(100ms);
	EXPECT_EQ(seen, (std::vector<time_point>{time_point{10ms}, time_point{20ms}, time_point{30ms}}));
	EXPECT_EQ(ts.armed_count(), 0u);
}

TEST(timer, raii_cancels_and_restart_replaces) {
	timer_service ts;
	int fired = 0;
	{
		timer t(ts);
		t.start(10ms, [&] { ++fired; });
		EXPECT_TRUE(t.running());
	}
	ts.advance(20ms);
	EXPECT_EQ(fired, 0);
	timer t(ts);
	t.start(10ms, [&] { fired += 1; });
	t.start(50ms, [&] { fired += 10; });
	ts.advance(20ms);
	EXPECT_EQ(fired, 0);
	ts.advance(40ms);
	EXPECT_EQ(fired, 10);
	EXPECT_FALSE(t.running());
}

TEST(timer_service, never_goes_backwards) {
	timer_service ts(time_point{100ms});
	ts.advance_to(time_point{50ms});
	EXPECT_EQ(ts.now(), time_point{100ms});
	int fired = 0;
	ts.arm(-5ms, [&] { ++fired; });
	ts.advance(0ms);
	EXPECT_EQ(fired, 1);
}

} // namespace
} // namespace l2tpx::cp
