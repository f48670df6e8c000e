#include "tools/gen/lac/lac_report.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace l2tpx::gen::lac {

run_summary summarize(const std::vector<call_stats> &calls, double setup_wall_s, bool traffic, double traffic_s,
                      double max_loss_percent) {
	run_summary s;
	s.requested = static_cast<uint32_t>(calls.size());
	s.setup_wall_s = setup_wall_s;
	s.traffic = traffic;
	s.traffic_s = traffic_s;
	s.max_loss_percent = max_loss_percent;
	double setup_sum = 0;
	uint64_t rtt_sum = 0, rtt_n = 0, rtt_min = UINT64_MAX, rtt_max = 0;
	for (const call_stats &c : calls) {
		if (!c.up) {
			++s.failed;
			++s.failures[c.failure.empty() ? "unknown" : c.failure];
			continue;
		}
		if (s.up == 0 || c.setup_ms < s.setup_ms_min)
			s.setup_ms_min = c.setup_ms;
		if (c.setup_ms > s.setup_ms_max)
			s.setup_ms_max = c.setup_ms;
		setup_sum += c.setup_ms;
		++s.up;
		s.dropped_after_up += c.dropped_after_up ? 1 : 0;
		s.sent += c.sent;
		s.received += c.received;
		if (c.sent > 0 && c.received == 0)
			++s.sessions_without_reply;
		if (c.received) {
			rtt_min = std::min(rtt_min, c.rtt_min_ns);
			rtt_max = std::max(rtt_max, c.rtt_max_ns);
			rtt_sum += c.rtt_sum_ns;
			rtt_n += c.received;
		}
	}
	if (s.up) {
		s.setup_ms_avg = setup_sum / s.up;
		s.setups_per_s = setup_wall_s > 0 ? s.up / setup_wall_s : 0;
	}
	// Replies beyond the requests (duplicates) do not make loss negative.
	const uint64_t answered = std::min(s.received, s.sent);
	s.loss_percent = s.sent ? 100.0 * double(s.sent - answered) / double(s.sent) : 0;
	if (rtt_n) {
		s.rtt_ms_min = double(rtt_min) / 1e6;
		s.rtt_ms_max = double(rtt_max) / 1e6;
		s.rtt_ms_avg = double(rtt_sum) / double(rtt_n) / 1e6;
	}
	if (s.up != s.requested)
		s.verdict.push_back(std::to_string(s.requested - s.up) + " of " + std::to_string(s.requested) +
		                    " sessions did not come up");
	if (s.dropped_after_up)
		s.verdict.push_back(std::to_string(s.dropped_after_up) + " sessions went down during the run");
	if (traffic && s.up && s.sent == 0)
		s.verdict.push_back("no packet was sent");
	if (traffic && s.loss_percent > max_loss_percent) {
		char b[96];
		std::snprintf(b, sizeof b, "loss %.3f %% above --max-loss %.3f %%", s.loss_percent, max_loss_percent);
		s.verdict.push_back(b);
	}
	s.pass = s.verdict.empty();
	return s;
}

std::string render_table(const run_summary &s) {
	std::string out;
	char b[256];
	auto line = [&](const char *fmt, auto... v) {
		std::snprintf(b, sizeof b, fmt, v...);
		out += b;
		out += '\n';
	};
	line("%-28s %u", "sessions requested", s.requested);
	line("%-28s %u", "sessions up", s.up);
	line("%-28s %u", "sessions failed", s.failed);
	for (const auto &[why, n] : s.failures)
		line("  %-26s %u", why.c_str(), n);
	line("%-28s %.3f s (%.1f setups/s)", "setup time", s.setup_wall_s, s.setups_per_s);
	line("%-28s %.1f / %.1f / %.1f ms", "per-call setup min/avg/max", s.setup_ms_min, s.setup_ms_avg,
	     s.setup_ms_max);
	if (s.traffic) {
		line("%-28s %.3f s", "traffic time", s.traffic_s);
		line("%-28s %llu", "echo requests sent", static_cast<unsigned long long>(s.sent));
		line("%-28s %llu", "echo replies received", static_cast<unsigned long long>(s.received));
		line("%-28s %.3f %% (max %.3f %%)", "loss", s.loss_percent, s.max_loss_percent);
		line("%-28s %u", "sessions without any reply", s.sessions_without_reply);
		line("%-28s %.3f / %.3f / %.3f ms", "RTT min/avg/max", s.rtt_ms_min, s.rtt_ms_avg, s.rtt_ms_max);
	} else {
		line("%-28s %s", "traffic", "none (no --target)");
	}
	line("%-28s %u", "sessions down during run", s.dropped_after_up);
	line("%-28s %s", "result", s.pass ? "PASS" : "FAIL");
	for (const auto &v : s.verdict)
		line("  %s", v.c_str());
	return out;
}

nlohmann::json to_json(const run_summary &s) {
	nlohmann::json j;
	j["sessions"] = {{"requested", s.requested}, {"up", s.up}, {"failed", s.failed},
	                 {"failures", s.failures}, {"down_during_run", s.dropped_after_up}};
	j["setup"] = {{"wall_s", s.setup_wall_s}, {"setups_per_s", s.setups_per_s}, {"call_ms_min", s.setup_ms_min},
	              {"call_ms_avg", s.setup_ms_avg}, {"call_ms_max", s.setup_ms_max}};
	if (s.traffic)
		j["traffic"] = {{"duration_s", s.traffic_s}, {"sent", s.sent}, {"received", s.received},
		                {"loss_percent", s.loss_percent}, {"sessions_without_reply", s.sessions_without_reply},
		                {"rtt_ms_min", s.rtt_ms_min}, {"rtt_ms_avg", s.rtt_ms_avg}, {"rtt_ms_max", s.rtt_ms_max}};
	else
		j["traffic"] = nullptr;
	j["max_loss_percent"] = s.max_loss_percent;
	j["pass"] = s.pass;
	j["verdict"] = s.verdict;
	return j;
}

} // namespace l2tpx::gen::lac
