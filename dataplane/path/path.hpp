// Packet path entry points. A worker calls process_rx_burst() for each burst it receives,
// then transmits out.tx, hands out.local to the runtime's ARP/ND/ICMP handling, out.icmp
// and out.glean to the main lcore (ICMP errors, next-hop resolution), and calls
// flush_punts(). Dropped packets are freed and counted inside process_rx_burst(). Packets
// a reorder buffer holds (reorder.hpp) come out later from reorder_service().
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
	// Packets that get an ICMP error (dataplane/icmp_error.hpp): data at the offending IP
	// header, m->port = the input port, m->hash.usr = icmp_punt_word(). Already counted
	// under their drop reason (ttl_exceeded, too_big); the worker hands them to the main lcore.
	rte_mbuf *icmp[max_burst];
	// Routed frames towards an on-link next hop that is not resolved yet (glean): Ethernet
	// header written with our source MAC and a zero destination, m->port = the egress core
	// port. Counted no_neighbour; the main lcore starts resolution (and sends the frame
	// if the MAC is known by then).
	rte_mbuf *glean[max_burst];
	uint16_t n_tx;
	uint16_t n_punt;
	uint16_t n_local;
	uint16_t n_icmp;
	uint16_t n_glean;
};

struct reorder_pool;

// Per-worker context.
struct path_ctx {
	const tables_view *view;
	path_counters *counters;
	session_stats *stats; // this worker's per-session counters (capacity entries); may be null
	reorder_pool *reorder = nullptr; // this worker's reorder buffers (reorder.hpp); null: none
	bool releasing = false;          // set by reorder_service() while it re-runs held packets
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
