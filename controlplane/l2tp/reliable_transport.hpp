// Reliable delivery of L2TP control messages: RFC 2661 §5.8 and Appendix A.
//
// The transport knows sequence numbers and opaque message bytes, nothing else: the tunnel
// hands it complete encoded messages and gets them back in order. On every transmission
// (first send, retransmission, ZLB ack) it calls hooks.transmit(ns, nr, bytes) and the
// tunnel patches Ns/Nr into the header (bytes empty = ZLB, the tunnel builds a bare header).
//
//   - 16-bit modular Ns/Nr; Nr acknowledges every message before it.
//   - receive window: ours (advertised by the tunnel in Receive Window Size) bounds the
//     out-of-order buffer; the peer's bounds what we keep in flight.
//   - duplicates (Ns behind the expected one) are acknowledged at once with a ZLB;
//     messages received in order are acked by the next outgoing message or, after
//     ack_delay without one, by a ZLB (at once when half our window is unacknowledged).
//   - retransmission of the oldest unacknowledged message with exponential backoff
//     (initial, doubling, capped); more than max_retries → hooks.on_failure (tunnel down).
//   - Appendix A congestion control: cwnd starts at 1, slow start up to ssthresh (initially
//     the peer's window), then +1 per cwnd acks; a timeout sets ssthresh = cwnd/2, cwnd = 1.
//   - hello_interval without any message from the peer → hooks.on_hello_due (send HELLO).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "controlplane/core/timer.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::cp {

struct transport_config {
	uint16_t our_rws = 8;          // our Receive Window Size (out-of-order buffer bound)
	uint16_t peer_rws = 4;         // the peer's; RFC 2661 default when it sends none
	duration retransmit_initial{1000};
	duration retransmit_cap{8000}; // backoff 1, 2, 4, 8, 8 ... s
	unsigned max_retries = 5;      // retransmissions of one message before failure
	duration ack_delay{100};       // ZLB after this long without a piggyback chance
	duration hello_interval{60000};// 0 disables keepalive
	size_t max_queued = 256;       // messages waiting for window space plus in flight
};

#define L2TPX_CP_TRANSPORT_ERRORS(X)                                                            \
	X(queue_full)                                                                          \
	X(failed)

enum class transport_error : uint8_t {
#define X(n) n,
	L2TPX_CP_TRANSPORT_ERRORS(X)
#undef X
};
std::string_view to_string(transport_error e) noexcept;

// What receive() did with a message.
#define L2TPX_CP_RX_VERDICTS(X)                                                                 \
	X(accepted)      /* in order: delivered (possibly with buffered followers) */            \
	X(zlb)           /* bare acknowledgement */                                            \
	X(buffered)      /* ahead of the expected Ns, inside our window */                     \
	X(duplicate)     /* already received: re-acknowledged with a ZLB */                    \
	X(outside_window) /* too far ahead: dropped */                                         \
	X(bad_nr)        /* acknowledges messages never sent: dropped */                       \
	X(dead)          /* transport already failed */

enum class rx_verdict : uint8_t {
#define X(n, ...) n,
	L2TPX_CP_RX_VERDICTS(X)
#undef X
};
std::string_view to_string(rx_verdict v) noexcept;

#define L2TPX_CP_TRANSPORT_COUNTERS(X)                                                          \
	X(tx_messages)                                                                         \
	X(tx_retransmits)                                                                      \
	X(tx_zlb)                                                                              \
	X(rx_messages)                                                                         \
	X(rx_zlb)                                                                              \
	X(rx_duplicates)                                                                       \
	X(rx_reordered)                                                                        \
	X(rx_outside_window)                                                                   \
	X(rx_bad_nr)                                                                           \
	X(tx_queue_full)                                                                       \
	X(hellos_due)                                                                          \
	X(resyncs)      /* restored tunnel: unacked messages renumbered to the peer's Nr */

struct transport_stats {
#define X(n) uint64_t n = 0;
	L2TPX_CP_TRANSPORT_COUNTERS(X)
#undef X
};

// The sequence state of a tunnel, mirrored with plain stores into memory the owner
// provides (the control plane's state file, a MAP_SHARED mapping that survives a crash of
// the process), so that a restarted process can continue the tunnel (restore()).
struct sequence_mirror {
	uint16_t ns;    // Ns of the next message we queue
	uint16_t nr;    // Nr we send: the next Ns expected from the peer
	uint16_t acked; // our oldest unacknowledged Ns (== ns when everything is acknowledged)
	uint16_t reserved;
};
static_assert(sizeof(sequence_mirror) == 8);

class reliable_transport {
public:
	struct hooks {
		// Put one message (or a ZLB when msg is empty) on the wire with these Ns/Nr.
		std::function<void(uint16_t ns, uint16_t nr, std::span<const uint8_t> msg)> transmit;
		// A message went unacknowledged after max_retries retransmissions. Called last
		// from a timer callback: the owner may destroy the transport from it.
		std::function<void()> on_failure;
		// The peer has been silent for hello_interval and nothing is in flight.
		std::function<void()> on_hello_due;
	};

	reliable_transport(timer_service &timers, const transport_config &cfg, hooks h);
	reliable_transport(const reliable_transport &) = delete;
	reliable_transport &operator=(const reliable_transport &) = delete;

	// Queues a message (sent now if the window allows). Returns the Ns it was given.
	result<uint16_t, transport_error> send(std::vector<uint8_t> msg);
	// Processes a message from the peer (msg empty = ZLB). In-order messages become
	// available through pop(); the caller handles them after receive() returns.
	rx_verdict receive(uint16_t ns, uint16_t nr, std::span<const uint8_t> msg);
	std::optional<std::vector<uint8_t>> pop();

	// The peer's Receive Window Size, learned from SCCRQ/SCCRP (0 is invalid: ignored).
	void set_peer_rws(uint16_t rws);
	// Sends a ZLB now (e.g. the final ack of a StopCCN).
	void ack_now();
	// Stops all timers; later sends fail, received messages are still acknowledged.
	void stop();
	// Continues a tunnel of an earlier process from its mirrored sequence state: the next
	// message goes out with Ns `ns`, we expect `nr`. Messages in flight when that process
	// died are lost; while `acked` < `ns` the peer may not have received some of them and
	// would wait forever for those Ns. So until the first acknowledgement, an Nr in
	// [acked, ns) fills the gap [Nr, ns) with messages from `filler` (a HELLO: harmless to
	// deliver), queued before ours, and sends everything again from there: what the peer
	// buffered beyond the gap stays valid. Without a filler the gap is not repaired.
	void restore(uint16_t ns, uint16_t nr, uint16_t acked);
	void set_filler(std::function<std::vector<uint8_t>()> filler) { filler_ = std::move(filler); }
	// Mirrors the sequence state into *m from now on (nullptr: stop). *m is written at once.
	void set_mirror(sequence_mirror *m) noexcept {
		mirror_ = m;
		sync_mirror();
	}

	bool all_acked() const noexcept { return window_.empty(); }
	size_t in_flight() const noexcept { return in_flight_; }
	size_t queued() const noexcept { return window_.size() - in_flight_; }
	uint16_t cwnd() const noexcept { return cwnd_; }
	uint16_t ssthresh() const noexcept { return ssthresh_; }
	uint16_t next_ns() const noexcept { return next_ns_; }
	uint16_t expected_ns() const noexcept { return expected_; }
	duration current_rto() const noexcept { return rto_; }
	bool failed() const noexcept { return failed_; }
	const transport_stats &stats() const noexcept { return stats_; }
	const transport_config &config() const noexcept { return cfg_; }

private:
	struct entry {
		uint16_t ns;
		unsigned retries = 0;
		std::vector<uint8_t> msg;
	};

	void pump();
	void transmit(entry &e);
	void process_ack(uint16_t nr);
	void on_retransmit_timeout();
	void on_hello_timeout();
	void schedule_ack();
	void restart_hello();
	uint16_t send_window() const noexcept;
	void sync_mirror() noexcept {
		if (!mirror_)
			return;
		// Plain stores to shared memory: each field is one aligned 16-bit store, so a crash
		// at any point leaves every field consistent on its own.
		volatile sequence_mirror *m = mirror_;
		m->ns = next_ns_;
		m->nr = expected_;
		m->acked = window_.empty() ? next_ns_ : window_.front().ns;
	}

	timer_service &timers_;
	transport_config cfg_;
	hooks hooks_;
	timer retransmit_timer_;
	timer ack_timer_;
	timer hello_timer_;

	std::deque<entry> window_; // [0, in_flight_) sent and unacked, rest waiting
	size_t in_flight_ = 0;
	// [0, transmitted_) went out at least once: an Nr may acknowledge up to there, also after
	// a timeout made us send them again (in_flight_ drops to 1, go-back-N).
	size_t transmitted_ = 0;
	uint16_t next_ns_ = 0;     // Ns of the next message queued
	uint16_t expected_ = 0;    // Nr we send: next Ns expected from the peer
	uint16_t cwnd_ = 1;
	uint16_t ssthresh_;
	uint16_t ca_acks_ = 0;     // acks counted towards the next congestion-avoidance step
	uint16_t unacked_rx_ = 0;  // messages delivered since our last Nr went out
	duration rto_;
	bool failed_ = false;
	bool stopped_ = false;
	bool resync_ = false;        // restored, nothing acknowledged yet
	uint16_t resync_low_ = 0;    // ... the oldest Ns the peer may still expect
	sequence_mirror *mirror_ = nullptr;
	std::function<std::vector<uint8_t>()> filler_;

	std::map<uint16_t, std::vector<uint8_t>> reorder_; // ahead of expected_, keyed by Ns
	std::deque<std::vector<uint8_t>> delivered_;
	transport_stats stats_;
};

} // namespace l2tpx::cp
