// Receive-side measurement: per-stream sequence and latency statistics, kept per worker core
// (one rx_recorder each, no sharing) and merged on read.
//
// Sequence accounting, per stream (sequence numbers start at 0 on every stream):
// - received: every packet with a valid signature, duplicates included;
// - duplicate: a sequence number already received, detected within a window of the last
//   rx_window sequence numbers up to the highest one seen (a circular bitmap, as in IPsec
//   anti-replay, RFC 6479);
// - reordered: arrived with a sequence number below the highest seen and not a duplicate
//   (so swapping two adjacent packets counts 1); those more than rx_window below the
//   highest cannot be checked for duplication and are counted as reordered and as late;
// - lost: sent - (received - duplicates), final once the TX side's count is known and the
//   in-flight packets had time to arrive; while running, (highest + 1) - unique is the
//   loss so far from sequence gaps (a gap later filled by a reordered packet is not lost).
// These are exact as long as each stream is received on a single core (true with RSS on
// the flow's 5-tuple); merged across cores, counts still add up but a reorder between
// cores is not seen.
//
// Latency = RX timestamp - TX timestamp in clock ticks, converted to nanoseconds; recorded
// in the stream's histogram and in the core's total histogram for the stream's group
// (direction), which has finer resolution.
#pragma once

#include "tools/gen/traffic/histogram.hpp"
#include "tools/gen/traffic/payload.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace l2tpx::gen {

// Packets not measured, per reason. X(name, description)
#define L2TPX_GEN_RX_DROPS(X)                                                                      \
	X(foreign, "no test signature: UDP payload too short or no magic")                             \
	X(corrupt, "signature magic present but its checksum does not match")                          \
	X(unknown_stream, "signature names a stream ID this run does not have")

enum class rx_drop : uint8_t {
#define L2TPX_X(name, desc) name,
	L2TPX_GEN_RX_DROPS(L2TPX_X)
#undef L2TPX_X
};
inline constexpr size_t rx_drop_count = 0
#define L2TPX_X(name, desc) +1
	L2TPX_GEN_RX_DROPS(L2TPX_X)
#undef L2TPX_X
	;
const char *to_string(rx_drop d) noexcept;
const char *describe(rx_drop d) noexcept;

inline constexpr uint32_t rx_window = 256;
inline constexpr size_t rx_groups = 4; // stream groups with their own totals (up, down; up, down IPv6)

struct stream_rx_stats {
	uint64_t received = 0;   // valid signatures, duplicates included
	uint64_t duplicates = 0;
	uint64_t reordered = 0;  // below the highest seen, not a duplicate (late ones included)
	uint64_t late = 0;       // more than rx_window below the highest: not checked for duplicates
	uint64_t bytes = 0;      // frame bytes as given to the recorder
	uint64_t highest = 0;    // highest sequence number seen (valid when received > 0)
	uint64_t clock_errors = 0; // RX timestamp before TX timestamp: latency not recorded
	stream_latency_histogram latency; // nanoseconds

	uint64_t unique() const noexcept { return received - duplicates; }
	// Loss from sequence gaps so far.
	uint64_t gap_loss() const noexcept {
		if (received == 0)
			return 0;
		return highest + 1 > unique() ? highest + 1 - unique() : 0;
	}
	// Final loss given the number of packets the TX side sent.
	uint64_t lost(uint64_t sent) const noexcept { return sent > unique() ? sent - unique() : 0; }
	// Adds another core's figures for the same stream.
	void merge(const stream_rx_stats &o) noexcept;
};

// Ticks -> nanoseconds (hz >= 1 MHz), rounded to nearest, as a 16.48 fixed-point multiply (exact for
// hz = 1e9; below 1e-4 ns of error per second of latency otherwise).
struct tick_converter {
	static constexpr unsigned shift = 48;
	uint64_t mult = uint64_t(1) << shift;
	explicit tick_converter(uint64_t hz = 1000000000) noexcept;
	uint64_t to_ns(uint64_t ticks) const noexcept {
		__extension__ using u128 = unsigned __int128;
		return static_cast<uint64_t>((u128(ticks) * mult + (u128(1) << (shift - 1))) >> shift);
	}
};

class rx_recorder {
public:
	// stream_group[i]: the group (0..rx_groups-1) of stream i; empty: all in group 0.
	rx_recorder(size_t streams, uint64_t hz, std::span<const uint8_t> stream_group = {});

	// Measures one received packet from its UDP payload. rx_ts in the TX clock's ticks.
	void on_packet(std::span<const uint8_t> udp_payload, uint64_t rx_ts, uint32_t frame_bytes) noexcept {
		const signature sig = read_signature(udp_payload);
		if (sig.status != signature_status::ok) {
			drops_[size_t(sig.status == signature_status::bad_checksum ? rx_drop::corrupt : rx_drop::foreign)]++;
			return;
		}
		if (sig.stream >= streams_.size()) {
			drops_[size_t(rx_drop::unknown_stream)]++;
			return;
		}
		uint64_t seq = sig.seq, tx_ts = sig.tx_ts;
		if (sig.short_form) {
			const stream_rx_stats &st = streams_[sig.stream].stats;
			seq = extend_seq32(st.received ? st.highest : 0, static_cast<uint32_t>(seq));
			tx_ts = extend_ts32(rx_ts, static_cast<uint32_t>(tx_ts));
		}
		record(sig.stream, seq, tx_ts, rx_ts, frame_bytes);
	}

	// Measures a packet whose signature was already read and extended; stream <
	// stream_count() (on_packet checks it and counts unknown_stream).
	void record(uint32_t stream, uint64_t seq, uint64_t tx_ts, uint64_t rx_ts, uint32_t frame_bytes) noexcept;

	size_t stream_count() const noexcept { return streams_.size(); }
	const stream_rx_stats &stream(size_t i) const noexcept { return streams_[i].stats; }
	const total_latency_histogram &group_latency(size_t g) const noexcept { return totals_[g]; }
	uint64_t drops(rx_drop d) const noexcept { return drops_[size_t(d)]; }

private:
	// The window and the counters share the first cache lines; the histogram follows.
	struct alignas(64) entry {
		std::array<uint64_t, rx_window / 64> window{}; // bit seq % rx_window: seq was received
		uint8_t group = 0;
		stream_rx_stats stats;
	};
	tick_converter conv_;
	std::vector<entry> streams_;
	std::array<total_latency_histogram, rx_groups> totals_{};
	std::array<uint64_t, rx_drop_count> drops_{};
};

} // namespace l2tpx::gen
