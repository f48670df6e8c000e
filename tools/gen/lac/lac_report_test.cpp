#include "tools/gen/lac/lac_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace l2tpx::gen::lac {
namespace {

call_stats up_call(double setup_ms, uint64_t sent, uint64_t received, uint64_t rtt_ns) {
	call_stats c;
	c.up = true;
	c.setup_ms = setup_ms;
	c.sent = sent;
	for (uint64_t i = 0; i < received; ++i)
		c.rtt(rtt_ns + i * 1000);
	c.received = received;
	return c;
}

call_stats failed_call(const char *why) {
	call_stats c;
	c.failure = why;
	return c;
}

TEST(lac_report, all_up_no_loss_passes) {
	std::vector<call_stats> calls{up_call(10, 10, 10, 1'000'000), up_call(30, 10, 10, 2'000'000)};
	run_summary s = summarize(calls, 2.0, true, 10, 1.0);
	EXPECT_EQ(s.requested, 2u);
	EXPECT_EQ(s.up, 2u);
	EXPECT_EQ(s.failed, 0u);
	EXPECT_DOUBLE_EQ(s.setups_per_s, 1.0);
	EXPECT_DOUBLE_EQ(s.setup_ms_min, 10);
	EXPECT_DOUBLE_EQ(s.setup_ms_avg, 20);
	EXPECT_DOUBLE_EQ(s.setup_ms_max, 30);
	EXPECT_EQ(s.sent, 20u);
	EXPECT_EQ(s.received, 20u);
	EXPECT_DOUBLE_EQ(s.loss_percent, 0);
	EXPECT_DOUBLE_EQ(s.rtt_ms_min, 1.0);
	EXPECT_DOUBLE_EQ(s.rtt_ms_max, 2.009);
	EXPECT_NEAR(s.rtt_ms_avg, 1.5045, 1e-9);
	EXPECT_TRUE(s.pass);
	EXPECT_NE(render_table(s).find("PASS"), std::string::npos);
	const auto j = to_json(s);
	EXPECT_EQ(j["sessions"]["up"], 2);
	EXPECT_EQ(j["traffic"]["sent"], 20);
	EXPECT_EQ(j["pass"], true);
}

TEST(lac_report, failures_grouped_by_reason_fail_the_run) {
	std::vector<call_stats> calls{up_call(5, 0, 0, 0), failed_call("PPP auth_failed"), failed_call("PPP auth_failed"),
	                              failed_call("setup timeout"), failed_call("")};
	run_summary s = summarize(calls, 1.0, false, 0, 1.0);
	EXPECT_EQ(s.up, 1u);
	EXPECT_EQ(s.failed, 4u);
	EXPECT_EQ(s.failures.at("PPP auth_failed"), 2u);
	EXPECT_EQ(s.failures.at("setup timeout"), 1u);
	EXPECT_EQ(s.failures.at("unknown"), 1u);
	EXPECT_FALSE(s.pass);
	ASSERT_EQ(s.verdict.size(), 1u);
	EXPECT_EQ(s.verdict[0], "4 of 5 sessions did not come up");
	const std::string t = render_table(s);
	EXPECT_NE(t.find("PPP auth_failed"), std::string::npos);
	EXPECT_NE(t.find("FAIL"), std::string::npos);
	EXPECT_TRUE(to_json(s)["traffic"].is_null());
}

TEST(lac_report, loss_threshold) {
	const struct {
		uint64_t sent, received;
		double max_loss;
		bool pass;
		double loss;
	} rows[] = {
	    {100, 100, 0, true, 0},     {100, 99, 1, true, 1},     {100, 98, 1, false, 2},
	    {100, 0, 100, true, 100},   {100, 105, 0, true, 0},    // duplicates never make loss negative
	};
	for (const auto &r : rows) {
		std::vector<call_stats> calls{up_call(1, r.sent, r.received, 1000)};
		run_summary s = summarize(calls, 1.0, true, 1, r.max_loss);
		EXPECT_DOUBLE_EQ(s.loss_percent, r.loss) << r.sent << "/" << r.received;
		EXPECT_EQ(s.pass, r.pass) << r.sent << "/" << r.received;
	}
}

TEST(lac_report, silent_sessions_and_drops_are_reported) {
	call_stats dropped = up_call(1, 10, 10, 1000);
	dropped.dropped_after_up = 1;
	std::vector<call_stats> calls{up_call(1, 10, 0, 0), dropped};
	run_summary s = summarize(calls, 1.0, true, 1, 100);
	EXPECT_EQ(s.sessions_without_reply, 1u);
	EXPECT_EQ(s.dropped_after_up, 1u);
	EXPECT_FALSE(s.pass);
}

TEST(lac_report, traffic_requested_but_nothing_sent_fails) {
	std::vector<call_stats> calls{up_call(1, 0, 0, 0)};
	run_summary s = summarize(calls, 1.0, true, 1, 100);
	EXPECT_FALSE(s.pass);
}

} // namespace
} // namespace l2tpx::gen::lac
