// What one l2tpx-lac run measured, and its two renderings: a readable table and a JSON
// object (schema in docs/lab.md). Pure, unit tested.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace l2tpx::gen::lac {

// Per-call figures kept by the run loop.
struct call_stats {
	bool up = false;
	std::string failure;       // why the call never came up ("" while up or pending)
	double setup_ms = 0;       // first packet of the call → IPCP up
	uint64_t sent = 0, received = 0;
	uint64_t rtt_min_ns = UINT64_MAX, rtt_max_ns = 0, rtt_sum_ns = 0;
	uint64_t dropped_after_up = 0; // 1 when the call went down during the run
	void rtt(uint64_t ns) noexcept {
		rtt_min_ns = ns < rtt_min_ns ? ns : rtt_min_ns;
		rtt_max_ns = ns > rtt_max_ns ? ns : rtt_max_ns;
		rtt_sum_ns += ns;
	}
};

struct run_summary {
	uint32_t requested = 0, up = 0, failed = 0;
	std::map<std::string, uint32_t> failures; // reason → calls
	uint32_t dropped_after_up = 0;
	double setup_wall_s = 0;      // first call dialled → last call up
	double setups_per_s = 0;
	double setup_ms_min = 0, setup_ms_avg = 0, setup_ms_max = 0;
	double traffic_s = 0;
	uint64_t sent = 0, received = 0;
	uint32_t sessions_without_reply = 0; // up, sent > 0, received == 0
	double loss_percent = 0;
	double rtt_ms_min = 0, rtt_ms_avg = 0, rtt_ms_max = 0;
	double max_loss_percent = 0;
	bool traffic = false;
	bool pass = false;
	std::vector<std::string> verdict; // why it failed, one line each
};

// setup_wall_s, traffic_s: measured by the caller. Loss counts only sessions that were up.
run_summary summarize(const std::vector<call_stats> &calls, double setup_wall_s, bool traffic, double traffic_s,
                      double max_loss_percent);
std::string render_table(const run_summary &s);
nlohmann::json to_json(const run_summary &s);

} // namespace l2tpx::gen::lac
