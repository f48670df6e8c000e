// Runtime counters of one lcore (ports, rings, idle loop). One alignas(64) struct per lcore,
// written only by that lcore, summed on read (telemetry). The packet paths' own counters
// (events and drop reasons) are dp::path_counters, kept beside these in each worker.
#pragma once

#include "dataplane/path/tables_view.hpp"

#include <cstddef>
#include <cstdint>

namespace l2tpx::dp {

#define L2TPX_LCORE_COUNTERS(X)                                                                   \
	X(polls, "loop iterations")                                                                   \
	X(busy_polls, "iterations that found work")                                                   \
	X(sleeps, "idle sleeps (back-off)")                                                           \
	X(local_to_main, "frames for the dataplane itself handed to the main lcore")                  \
	X(local_ring_full, "frames for the dataplane itself dropped: local ring full")                \
	X(spread_out, "packets spread to other workers (software distribution)")                      \
	X(spread_ring_full, "packets dropped: a worker's spread ring was full")                       \
	X(spread_in, "packets received from the software distributor")                                \
	X(icmp_to_main, "packets handed to the main lcore for an ICMP error (icmp ring)")            \
	X(icmp_ring_full, "packets that would get an ICMP error dropped: icmp ring full")            \
	X(glean_to_main, "frames to an unresolved on-link next hop handed to the main lcore")        \
	X(glean_ring_full, "such frames dropped: local ring over half full (kept for ARP/ND)")

enum class lcore_counter : uint8_t {
#define L2TPX_X(name, desc) name,
	L2TPX_LCORE_COUNTERS(L2TPX_X)
#undef L2TPX_X
	count_
};
inline constexpr size_t lcore_counter_count = static_cast<size_t>(lcore_counter::count_);
const char *to_string(lcore_counter c) noexcept;

struct alignas(64) lcore_stats {
	uint64_t c[lcore_counter_count];
	uint64_t port_rx[max_ports];      // packets received per port
	uint64_t port_tx[max_ports];      // packets handed to the NIC per port
	uint64_t port_tx_drop[max_ports]; // packets the TX queue refused (freed)

	void count(lcore_counter k, uint64_t n = 1) noexcept { c[static_cast<size_t>(k)] += n; }
	uint64_t operator[](lcore_counter k) const noexcept { return c[static_cast<size_t>(k)]; }
	void add(const lcore_stats &o) noexcept {
		for (size_t i = 0; i < lcore_counter_count; i++)
			c[i] += o.c[i];
		for (size_t i = 0; i < max_ports; i++) {
			port_rx[i] += o.port_rx[i];
			port_tx[i] += o.port_tx[i];
			port_tx_drop[i] += o.port_tx_drop[i];
		}
	}
};

} // namespace l2tpx::dp
