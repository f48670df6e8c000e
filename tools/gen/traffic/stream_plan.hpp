// The streams of a run, from the [traffic] config and the number of sessions: each stream
// ID's session, direction and rate, and which TX worker sends it.
//
// Stream IDs are dense. For session s (0-based), the configured families in the order
// IPv4, IPv6 (index f), the configured directions in the order up, down (index d), and
// k < streams_per_session:
//     id = ((s * families + f) * directions + d) * streams_per_session + k
// so a session's streams are adjacent and the session of a stream is a division away.
#pragma once

#include "shared/base/result.hpp"
#include "tools/gen/traffic/report.hpp"
#include "tools/gen/traffic/run_config.hpp"
#include "tools/gen/traffic/scheduler.hpp"

#include <cstdint>
#include <vector>

namespace l2tpx::gen {

inline constexpr uint64_t max_streams = 16u << 20; // 16 Mi: bounds per-core RX memory

enum class plan_error : uint8_t {
	too_many_streams, // sessions x directions x streams_per_session > max_streams
	no_rate,          // neither rate_per_stream nor rate_total (config not validated)
	rate_too_low,     // rate_total smaller than the number of streams
	bad_sizes,        // the size spec yields no pattern
};
const char *to_string(plan_error e) noexcept;

struct stream_plan {
	std::vector<stream_info> streams; // index = stream ID
	std::vector<rate> rates;          // per stream ID
	std::vector<uint16_t> pattern;    // frame-size cycle, shared by every stream

	// The group of each stream for rx_recorder (stream_group: 0 up, 1 down, 2/3 the same for IPv6).
	std::vector<uint8_t> groups() const;
};

result<stream_plan, plan_error> plan_streams(const traffic_config &cfg, uint32_t sessions);

// Adds to `s` the streams of direction `dir` that worker `worker` of `workers` sends (the
// direction's streams dealt round robin: counts differ by at most one), one profile per
// distinct rate. wire_overhead: bytes counted
// on top of each frame size for bit rates (ethernet_wire_overhead, plus the tunnel's
// encapsulation upstream). Returns the number of streams added.
size_t assign_streams(scheduler &s, const stream_plan &plan, direction dir, uint32_t worker, uint32_t workers,
                      uint32_t wire_overhead);

} // namespace l2tpx::gen
