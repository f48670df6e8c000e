// Bounded reorder buffer for sequenced data sessions (the kernel's REORDERTO; RFC 2661
// §5.8, RFC 3931 §4.6 allow either dropping or reordering out-of-order packets).
//
// A session with sequencing and session::reorder_timeout_ms != 0 gets, when a packet
// arrives ahead of the next expected Ns, a buffer from its worker's fixed pool: up to
// reorder_depth packets are held (the mbufs, untouched) sorted by Ns. They are released in
// order when the gap fills, or when the oldest has waited reorder_timeout_ms (the gap is
// then skipped: reorder_timeout, seq_gap). Released packets run through the access path
// again with the sequence check bypassed. The worker's loop calls reorder_service() only
// when a buffer is ready or a deadline has passed (reorder_pool::due(): two compares), so
// there is no per-packet timer and no allocation after start-up.
//
//  - pool exhausted, or the session's buffer owned by another worker: the packet is
//    accepted at once as without a buffer (seq_gap), counted reorder_overflow;
//  - the session's buffer full: the packet is dropped (reorder_full, reorder_overflow) and
//    the gap is skipped at the next service;
//  - a held packet whose session went down or was rewritten is freed (unknown_session).
//
// Ownership: a buffer belongs to one worker (packets of one tunnel reach one worker: RSS or
// software distribution by outer addresses); session_seq::reserved holds the owner's tag.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/path/path.hpp"

namespace l2tpx::dp {

inline constexpr uint8_t reorder_depth = 8; // packets held per session

struct reorder_held {
	rte_mbuf *m;
	uint64_t since;   // pool clock when it was held
	uint32_t ns;
	uint16_t in_port;
};

struct reorder_slot {
	uint32_t session = no_session; // session index served; no_session = free
	uint32_t generation = 0;       // the session's generation when the slot was attached
	uint32_t tag = 0;              // value of session_seq::reserved while attached
	uint32_t active_pos = 0;       // position in reorder_pool::active
	uint8_t bits = 16;             // sequence number width: 16 (v2) or 24 (v3)
	uint8_t count = 0;
	bool ready = false;            // the head is the next expected Ns, or the gap must be skipped
	bool skip = false;             // the buffer overflowed: skip the gap at the next service
	uint64_t timeout = 0;          // reorder_timeout_ms in clock ticks
	uint64_t deadline = UINT64_MAX; // oldest held packet's since + timeout
	reorder_held held[reorder_depth]; // sorted by distance from the next expected Ns
};

// One per worker. Not thread-safe: only its worker touches it.
struct reorder_pool {
	std::vector<reorder_slot> slots;
	std::vector<uint32_t> free_list;
	std::vector<uint32_t> active; // attached slots
	uint32_t owner = 0;           // worker index (tag = (owner + 1) << 20 | slot)
	uint64_t hz = 1000;           // clock ticks per second
	uint64_t now = 0;             // clock: set by the worker once per loop (TSC), by tests directly
	uint64_t next_deadline = UINT64_MAX;
	uint32_t ready = 0;           // attached slots with ready or skip set

	static constexpr uint32_t max_capacity = 1u << 20;

	reorder_pool() = default;
	reorder_pool(const reorder_pool &) = delete;
	reorder_pool &operator=(const reorder_pool &) = delete;
	~reorder_pool();

	// Allocates `capacity` slots (0: reordering off for this worker; at most max_capacity).
	void init(uint32_t capacity, uint32_t owner_index, uint64_t ticks_per_s);
	// Frees every held packet and detaches every slot (shutdown, tests).
	void clear() noexcept;
	uint32_t held_packets() const noexcept;
	bool due() const noexcept { return ready != 0 || now >= next_deadline; }
};

// Releases what is due: buffers whose gap filled, overflowed or timed out, and buffers of
// sessions that went away. Released packets go through the access path (their output in
// `out`, which this resets; drops are freed and counted) until one of out's arrays is full;
// the rest stays due for the next call. Returns the number of packets released or freed.
uint32_t reorder_service(const path_ctx &c, burst_out &out) noexcept;

namespace detail {

enum class reorder_verdict : uint8_t {
	deliver, // in order (or no buffer): go on with the packet
	held,    // kept by the buffer: the caller must not touch the mbuf any more
	old,     // at or behind the last accepted Ns: seq_out_of_order
	full,    // the session's buffer is full: drop (reorder_full)
};

// The sequence check of decap for a session with reorder_timeout_ms != 0 (replaces
// accept_seq). bits: 16 (v2 Ns) or 24 (v3 L2SS).
reorder_verdict reorder_rx(const path_ctx &c, const session &s, uint32_t idx, uint32_t ns, uint32_t bits,
                           rte_mbuf *m, uint16_t in_port) noexcept;

} // namespace detail

} // namespace l2tpx::dp
