// The traffic part of an l2tpx-gen run configuration: [traffic] and [thresholds] in TOML,
// plus command-line overrides. Field reference: docs/generator.md.
//
// Every error names the source ("gen.toml" or "command line"), line and column when known,
// and the dotted field ("traffic.frame_sizes[2]"). Unknown keys in [traffic] and
// [thresholds] are errors (typos); other top-level tables are errors unless the caller
// lists them in extra_tables (the generator's other sections are parsed elsewhere).
#pragma once

#include "shared/base/result.hpp"
#include "tools/gen/traffic/rate.hpp"
#include "tools/gen/traffic/report.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace l2tpx::gen {

enum class traffic_direction : uint8_t { up, down, both };
const char *to_string(traffic_direction d) noexcept;

// traffic_config::ip_version: inner IPv4, inner IPv6, or a set of streams per family.
inline constexpr uint8_t ip_version_both = 46;

struct traffic_config {
	std::optional<rate> rate_per_stream; // exactly one of the two is set
	std::optional<rate> rate_total;      // split evenly over all streams (exact sum)
	size_spec sizes;                     // default: fixed 64-byte frames
	uint64_t duration_ms = 10000;        // traffic phase
	uint64_t drain_ms = 1000;            // wait for in-flight packets after TX stops
	uint64_t max_lag_ms = 10;            // a stream further behind schedule is re-timed (scheduler)
	traffic_direction direction = traffic_direction::both;
	uint32_t streams_per_session = 1;    // per direction
	uint8_t ip_version = 4;              // inner packets: 4, 6 or ip_version_both ("both")
	uint32_t report_top = 10;            // worst streams listed in the report

	bool has_ipv4() const noexcept { return ip_version != 6; }
	bool has_ipv6() const noexcept { return ip_version != 4; }
	bool operator==(const traffic_config &) const = default;
};

struct run_config {
	traffic_config traffic;
	thresholds limits;
	bool operator==(const run_config &) const = default;
};

#define L2TPX_GEN_CONFIG_ERRORS(X)                                                                 \
	X(io, "cannot read file")                                                                      \
	X(syntax, "TOML syntax error")                                                                 \
	X(unknown_table, "unknown top-level table")                                                    \
	X(unknown_key, "unknown key")                                                                  \
	X(missing_key, "missing required key")                                                         \
	X(wrong_type, "wrong value type")                                                              \
	X(out_of_range, "value out of range")                                                          \
	X(bad_value, "invalid value")                                                                  \
	X(conflict, "conflicting keys")                                                                \
	X(bad_override, "malformed command-line override")

enum class config_errc : uint8_t {
#define L2TPX_X(name, text) name,
	L2TPX_GEN_CONFIG_ERRORS(L2TPX_X)
#undef L2TPX_X
};
const char *to_string(config_errc e) noexcept;

// Trivially copyable so it fits result<T, E>; texts are truncated to the buffers.
struct config_error {
	config_errc code = config_errc::bad_value;
	uint32_t line = 0;   // 1-based; 0 when unknown or from the command line
	uint32_t column = 0;
	char source[96]{};
	char field[96]{};
	char detail[192]{};

	// "gen.toml:4:8: traffic.rate_total: invalid value: ..."
	std::string to_string() const;
};

struct config_options {
	std::string_view source_name = "<config>";
	std::span<const std::string_view> extra_tables{}; // other top-level tables, not checked here
	// "traffic.duration=30s" or "thresholds.max_loss_percent=0.1": the value is TOML, or a
	// bare string when it does not parse as TOML ("30s", "simple", "10Mbps").
	std::span<const std::string> overrides{};
};

result<run_config, config_error> parse_run_config(std::string_view toml_text, const config_options &opts = {});
result<run_config, config_error> load_run_config(const std::string &path, const config_options &opts = {});

// Maps a command-line option to the override key it sets ("rate" ->
// "traffic.rate_per_stream"); nullptr for an option that is not a traffic option.
// Options: rate, rate-total, duration, drain, max-lag, frame-size, frame-sizes, imix, direction,
// streams-per-session, ip-version, max-loss, min-sessions-up, max-p99-us.
const char *override_key_for_option(std::string_view option) noexcept;

// "10s", "500ms", "2m", "1h", "1.5s" -> milliseconds; nullopt when malformed.
std::optional<uint64_t> parse_duration_ms(std::string_view text) noexcept;

} // namespace l2tpx::gen
