// End-of-run report: per-stream figures merged across cores, totals per direction and
// overall, the worst streams, threshold evaluation, and the two renderings (a readable
// table, a JSON object whose schema is in docs/generator.md).
#pragma once

#include "tools/gen/traffic/rx_stats.hpp"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace l2tpx::gen {

// Stream groups: the index of a stream's totals in rx_recorder (upstream = LAC -> LNS ->
// core, downstream = core -> LNS -> LAC).
enum class direction : uint8_t { up = 0, down = 1 };
const char *to_string(direction d) noexcept;

struct stream_info {
	uint32_t id = 0;      // stream ID carried in the signature (dense: 0..streams-1)
	uint32_t session = 0; // the session the stream runs over
	direction dir = direction::up;
	uint8_t family = 4;   // inner IP version: 4 or 6
};

// A stream's group in rx_recorder: its direction, + 2 for IPv6 (up, down, up v6, down v6).
inline uint8_t stream_group(const stream_info &s) noexcept {
	return static_cast<uint8_t>(uint8_t(s.dir) + (s.family == 6 ? 2 : 0));
}

struct thresholds {
	std::optional<double> max_loss_percent;   // total loss, percent of packets sent
	std::optional<uint32_t> min_sessions_up;  // sessions established
	std::optional<double> max_p99_latency_us; // p99 over all received packets
	bool operator==(const thresholds &) const = default;
};

// Everything a report is made from.
struct run_result {
	double duration_s = 0;          // traffic phase, as configured
	uint32_t sessions_requested = 0;
	uint32_t sessions_up = 0;
	std::vector<stream_info> streams;  // index = stream ID
	std::vector<uint64_t> sent;        // per stream ID, summed over TX cores
	std::vector<stream_rx_stats> rx;   // per stream ID, merged over RX cores
	std::array<total_latency_histogram, rx_groups> latency{}; // per group (stream_group), merged
	std::array<uint64_t, rx_drop_count> rx_drops{};
	uint64_t tx_lag_resets = 0;

	// Sizes the per-stream vectors for these streams (sent and rx zeroed).
	void set_streams(std::vector<stream_info> s);
	// Adds one RX core's recorder (its stream indices are stream IDs).
	void add_rx(const rx_recorder &core);
};

struct latency_figures {
	uint64_t samples = 0;
	uint64_t min_ns = 0, p50_ns = 0, p99_ns = 0, max_ns = 0;
	double avg_ns = 0;
};

struct figures {
	uint64_t streams = 0;
	uint64_t sent = 0;
	uint64_t received = 0; // duplicates included
	uint64_t lost = 0;
	uint64_t duplicates = 0;
	uint64_t reordered = 0;
	uint64_t late = 0;
	uint64_t clock_errors = 0;
	uint64_t rx_bytes = 0;
	latency_figures latency;
	double loss_percent() const noexcept { return sent ? 100.0 * double(lost) / double(sent) : 0.0; }
};

struct report {
	figures total;
	std::array<figures, 2> per_direction;               // [direction], both families
	std::array<std::array<figures, 2>, 2> per_family{}; // [0 IPv4, 1 IPv6][direction]
	std::array<figures, 2> family_total{};              // [0 IPv4, 1 IPv6]
	bool has_ipv6 = false;                              // some stream is IPv6: families reported
	std::vector<uint32_t> worst; // stream IDs, worst first: loss %, then p99, then ID
	bool pass = true;
	std::vector<std::string> reasons; // one line per missed threshold
};

// Figures for one stream.
figures stream_figures(const run_result &r, uint32_t stream);
report build_report(const run_result &r, const thresholds &t, size_t top_n = 10);

std::string format_table(const run_result &r, const report &rep);
// all_streams: include every stream under "streams" (large with many streams).
nlohmann::ordered_json to_json(const run_result &r, const report &rep, const thresholds &t, bool all_streams = false);

} // namespace l2tpx::gen
