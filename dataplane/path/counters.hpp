// Per-lcore counters of the packet paths. One alignas(64) struct per worker, written only
// by that worker, summed on read by whoever exports them (telemetry, l2tpxctl, tests).
// Names come from the X-macro lists drop_reasons.def and counters.def.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l2tpx::dp {

enum class drop_reason : uint16_t {
#define X(name, desc) name,
#include "dataplane/path/drop_reasons.def"
#undef X
};

enum class path_event : uint16_t {
#define X(name, desc) name,
#include "dataplane/path/counters.def"
#undef X
};

inline constexpr size_t drop_reason_count = 0
#define X(name, desc) +1
#include "dataplane/path/drop_reasons.def"
#undef X
	;

inline constexpr size_t path_event_count = 0
#define X(name, desc) +1
#include "dataplane/path/counters.def"
#undef X
	;

// "bad_cookie", ...; "?" for a value out of range.
const char *to_string(drop_reason r) noexcept;
const char *to_string(path_event e) noexcept;
const char *description(drop_reason r) noexcept;
const char *description(path_event e) noexcept;
std::optional<drop_reason> drop_reason_from_string(std::string_view name) noexcept;
std::optional<path_event> path_event_from_string(std::string_view name) noexcept;

struct alignas(64) path_counters {
	uint64_t event[path_event_count];
	uint64_t drop[drop_reason_count];

	void count(path_event e, uint64_t n = 1) noexcept { event[static_cast<size_t>(e)] += n; }
	void count(drop_reason r, uint64_t n = 1) noexcept { drop[static_cast<size_t>(r)] += n; }
	uint64_t operator[](path_event e) const noexcept { return event[static_cast<size_t>(e)]; }
	uint64_t operator[](drop_reason r) const noexcept { return drop[static_cast<size_t>(r)]; }
	uint64_t total_drops() const noexcept {
		uint64_t t = 0;
		for (uint64_t d : drop)
			t += d;
		return t;
	}
	// Adds another lcore's counters (for export).
	void add(const path_counters &o) noexcept {
		for (size_t i = 0; i < path_event_count; i++)
			event[i] += o.event[i];
		for (size_t i = 0; i < drop_reason_count; i++)
			drop[i] += o.drop[i];
	}
};

} // namespace l2tpx::dp
