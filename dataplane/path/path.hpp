// Packet path entry points. A worker calls process_rx_burst() for each burst it receives,
// then transmits out.tx, hands out.local to the runtime's ARP/ND/ICMP handling, and calls
// flush_punts(). Dropped packets are freed and counted inside process_rx_burst().
//
// No allocation, no exceptions, no logging, no virtual calls.
#pragma once

#include <cstdint>

#include "dataplane/path/counters.hpp"
#include "dataplane/path/session.hpp"
#include "dataplane/path/tables_view.hpp"

struct rte_mbuf;

namespace l2tpx::dp {

inline constexpr uint16_t max_burst = 64;

// Where each packet of a burst went. Reset by process_rx_burst().
struct burst_out {
	rte_mbuf *tx[max_burst];
	uint16_t tx_port[max_burst]; // egress port of tx[i]
	rte_mbuf *punt[max_burst];   // punt_meta prepended; see punt_meta.hpp
	rte_mbuf *local[max_burst];  // unmodified frames for the dataplane itself (ARP, ND, ...)
	uint16_t n_tx;
	uint16_t n_punt;
	uint16_t n_local;
};

// Per-worker context.
struct path_ctx {
	const tables_view *view;
	path_counters *counters;
	session_stats *stats; // this worker's per-session counters (capacity entries); may be null
};

// Processes the packets received on in_port, according to that port's role:
//   access:     L2TP decapsulation (v2, v3/UDP, v3/IP), punting of control traffic
//   core:       IPv4/IPv6 to subscribers -> L2TP encapsulation
//   attachment: Ethernet frames -> L2TPv3 Ethernet pseudowire
// ARP, ND and packets for the dataplane's own addresses go to out.local.
// Consumes min(n, max_burst) packets and returns that number; the caller keeps the rest.
uint16_t process_rx_burst(const path_ctx &ctx, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                          burst_out &out) noexcept;

// Enqueues out.punt on view->punt_ring; what does not fit is freed and counted
// (punt_ring_full). Returns the number enqueued. Sets out.n_punt to 0.
uint16_t flush_punts(const path_ctx &ctx, burst_out &out) noexcept;

} // namespace l2tpx::dp
