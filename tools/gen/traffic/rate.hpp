// Rates and frame sizes of a stream: what to send, before the scheduler decides when.
//
// Frame sizes are Ethernet frame sizes of the inner packet, FCS included, as the packet
// appears on the core-side port (RFC 2544 convention: 64..1518 without VLAN). A rate in
// bits per second counts every frame as it occupies the wire on the port that sends it:
//   wire bytes = frame size + encapsulation overhead + 20
// where 20 = preamble (7) + start-of-frame delimiter (1) + minimum inter-frame gap (12), and
// the encapsulation overhead is what the access-side tunnel adds (outer IP/UDP/L2TP/PPP
// minus nothing: the inner Ethernet header is replaced by the outer one), 0 downstream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpx::gen {

inline constexpr uint32_t ethernet_wire_overhead = 20; // preamble + SFD + inter-frame gap

enum class rate_unit : uint8_t { pps, bps };

struct rate {
	rate_unit unit = rate_unit::pps;
	uint64_t value = 0; // packets or bits per second

	bool operator==(const rate &) const = default;
};

// "64000", "64000pps", "10kpps", "1.5Mpps", "100Mbps", "9.6Gbps", "1bps" (SI prefixes k, M,
// G, T; decimals must resolve to a whole number). nullopt when malformed, zero or too large.
std::optional<rate> parse_rate(std::string_view text) noexcept;

// Digits with an optional fraction ("12", "2.5") times `scale`, exactly: nullopt when there
// are no digits, a stray character, a whole part above `max_whole`, more than 12 fraction
// digits, or a fraction that does not come out in whole units of the result.
std::optional<uint64_t> parse_scaled_decimal(std::string_view text, uint64_t scale, uint64_t max_whole) noexcept;
std::string format_rate(const rate &r);

// Share i (0-based) of `total` split over n streams: sums exactly to total.
constexpr uint64_t split_rate(uint64_t total, uint64_t n, uint64_t i) noexcept {
	return total / n + (i < total % n ? 1 : 0);
}

// Frame-size selection. The scheduler cycles through `pattern`: weighted entries are
// interleaved smoothly (smooth weighted round robin), so any window of the pattern holds
// the weights' proportions as closely as integers allow, and every full cycle exactly.
struct size_weight {
	uint16_t size = 0;
	uint32_t weight = 1;
	bool operator==(const size_weight &) const = default;
};

enum class size_mode : uint8_t { fixed, list, imix };

struct size_spec {
	size_mode mode = size_mode::fixed;
	// fixed: one entry; list: weights 1. (Not {{64, 1}}: GCC 12 -O2 -march=x86-64-v3 warns
	// maybe-uninitialized on copies of that initializer list.)
	std::vector<size_weight> entries = std::vector<size_weight>(1, size_weight{64, 1});
	bool operator==(const size_spec &) const = default;
};

// The simple IMIX: 7 x 64, 4 x 594, 1 x 1518.
size_spec simple_imix();

inline constexpr uint16_t max_frame_size = 9600;
inline constexpr uint32_t max_pattern_length = 65536;

// The frame-size cycle for a spec, weights reduced by their greatest common divisor. Empty
// when the spec is empty, a weight is zero, or the cycle would exceed max_pattern_length.
std::vector<uint16_t> build_size_pattern(const size_spec &spec);

// Mean frame size of a spec (for reports), weighted.
double mean_frame_size(const size_spec &spec) noexcept;

} // namespace l2tpx::gen
