// TX pacing: decides, at each poll of a worker, which packets of which streams are due.
//
// Timing: each stream's packet k is due at
//     start + floor(C_k * hz / R)
// where R is the stream's rate (packets or bits per second), C_k the cost of the packets
// before it (k packets, or their bits on the wire) and hz the clock's ticks per second. The
// floor is kept exactly with an integer quotient and remainder per step (Bresenham), so a
// stream running for D seconds sends exactly the packets due before start + D*hz: R*D
// packets at a packet rate, and at a bit rate every packet whose first bit fits in R*D bits.
// There is no drift, whatever the poll interval.
//
// Scale: streams sit in a hashed timing wheel keyed by their next due time (slots of
// 2^slot_shift ticks). A poll walks only the slots that elapsed since the last poll, so its
// cost follows the packets due, not the number of streams (100k streams and more). A late
// poll sends each due stream's backlog in bursts of at most max_burst packets per stream per
// poll; a stream more than max_lag ticks behind is re-timed to now (counted in lag_resets)
// instead of bursting a long backlog into the device under test.
//
// Hot path (poll): no allocation, no exceptions, no locks. One scheduler per worker core.
#pragma once

#include "tools/gen/traffic/rate.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace l2tpx::gen {

// One packet to send.
struct tx_item {
	uint32_t stream = 0;     // the stream's ID as given to add_stream
	uint16_t frame_size = 0; // Ethernet frame size of the inner packet, FCS included
	uint64_t seq = 0;        // 0, 1, 2, ... per stream
	uint64_t due = 0;        // when it was due, in ticks (the TX timestamp is taken at send)
};

struct scheduler_options {
	uint64_t hz = 1000000000;     // clock ticks per second (TSC frequency, or 1e9 for ns)
	uint32_t slot_shift = 0;      // slot width 2^slot_shift ticks; 0: about 1 us from hz
	uint32_t slots_log2 = 16;     // wheel size
	uint32_t max_burst = 32;      // packets per stream per poll
	uint64_t max_lag = 0;         // ticks; 0: hz / 100 (10 ms)
};

struct scheduler_counters {
	uint64_t packets = 0;    // tx_items produced
	uint64_t lag_resets = 0; // streams re-timed because they fell more than max_lag behind
	uint64_t lag_ticks = 0;  // time skipped by those resets
};

class scheduler {
public:
	explicit scheduler(const scheduler_options &opts = {});

	// Setup (allocates). A profile is a rate plus a frame-size pattern; streams share it.
	// wire_overhead: bytes added to each frame size on the sending port for bit rates
	// (encapsulation + ethernet_wire_overhead). Returns the profile index, or -1 when the
	// pattern is empty or the rate zero.
	int add_profile(const rate &r, std::span<const uint16_t> size_pattern, uint32_t wire_overhead);
	// Adds a stream with the given ID (carried in tx_item) using a profile. Returns its
	// local index, or -1 for an unknown profile.
	int add_stream(uint32_t stream_id, int profile);

	// Starts every stream for `duration` ticks. Streams are spread over the first packet
	// interval of their profile (stream i of n starts i/n of an interval late) so that many
	// streams do not all fire at `now`; each still runs exactly `duration` ticks.
	void start(uint64_t now, uint64_t duration);

	// Fills `out` with due packets (in due order per stream; streams interleaved) and returns
	// how many. Call with a monotonic `now`. Items that do not fit stay due for the next poll.
	size_t poll(uint64_t now, std::span<tx_item> out) noexcept;

	// True when every stream has sent all its packets.
	bool done() const noexcept { return active_ == 0; }
	size_t stream_count() const noexcept { return streams_.size(); }
	uint32_t stream_id(size_t local) const noexcept { return streams_[local].id; }
	uint64_t sent(size_t local) const noexcept { return streams_[local].seq; }
	const scheduler_counters &counters() const noexcept { return counters_; }
	uint64_t hz() const noexcept { return opts_.hz; }

private:
	static constexpr uint32_t nil = UINT32_MAX;
	struct step {
		uint64_t ticks; // whole ticks to the next packet
		uint64_t rem;   // remainder, in 1/denom ticks
	};
	struct profile {
		uint64_t denom = 1;           // the rate: packets or bits per second
		std::vector<uint16_t> sizes;  // frame-size cycle
		std::vector<step> steps;      // interval after each pattern entry
	};
	struct stream {
		uint64_t due = 0;  // next packet's due time, whole ticks
		uint64_t rem = 0;  // fractional part of due, in 1/denom ticks
		uint64_t end = 0;  // packets due at or after this are not sent
		uint64_t seq = 0;  // next sequence number = packets sent
		uint32_t id = 0;
		uint32_t profile = 0;
		uint32_t pos = 0;  // position in the profile's size pattern
		uint32_t next = nil;
	};

	enum class drain_result : uint8_t {
		waiting,  // next packet due later
		capped,   // max_burst sent, more is due
		out_full, // the output span filled up, more is due
		finished, // every packet of the run sent
	};
	void insert(uint32_t s, uint64_t min_slot) noexcept;
	// Sends what is due from stream s into out[n...].
	drain_result drain(uint32_t s, uint64_t now, std::span<tx_item> out, size_t &n) noexcept;

	scheduler_options opts_;
	uint64_t slot_mask_ = 0;
	uint64_t cur_slot_ = 0; // absolute index of the oldest slot not yet fully processed
	size_t active_ = 0;
	std::vector<profile> profiles_;
	std::vector<stream> streams_;
	std::vector<uint32_t> heads_;
	scheduler_counters counters_;
};

} // namespace l2tpx::gen
