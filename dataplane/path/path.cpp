// Burst loop: prefetch ahead, dispatch on the port role, sort each packet into tx / punt /
// local / icmp / glean, free the drops in one call.
//
// Access and core ports with the fast path on (and no port VLAN) run a loop of their own
// (path_access.cpp, path_core.cpp: prefetch pipeline, fast path, sorter for the rest);
// every other port runs the general loop here, with the frame data prefetched 12 packets
// ahead. Event counters of the fast path are added once per burst.
//
// Sessions are indexed directly by ID (session.hpp), so a lookup is one load plus an ID
// comparison; a VPP-style "last tunnel" cache would cost as much as it saves here.
#include <rte_ring.h>

#include "dataplane/path/burst.hpp"

static_assert(l2tpx::dp::max_ports == RTE_MAX_ETHPORTS, "tables_view::ports must cover every DPDK port");

namespace l2tpx::dp {

namespace {
using namespace detail;

// Ports on a VLAN (port_info::vlan, dpconf): the frame's outer tag must carry that VID.
inline bool on_port_vlan(const rte_mbuf *m, uint16_t vlan) noexcept {
	if (m->data_len < 18)
		return false;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint16_t tpid = load_be16(d + 12);
	return (tpid == eth_vlan || tpid == eth_qinq || tpid == eth_qinq_old) && (load_be16(d + 14) & 0x0fff) == vlan;
}

// Without the fast path (or on a port with a VLAN, or an attachment port): the general
// handlers only.
void general_burst(const path_ctx &c, port_role role, uint16_t port_vlan, uint16_t in_port, rte_mbuf **pkts,
                   uint16_t n, sorter &sort) noexcept {
	using namespace detail;
	for (uint16_t i = 0; i < n && i < data_ahead; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + data_ahead < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + data_ahead], void *));
		rte_mbuf *m = pkts[i];
		if (port_vlan && !on_port_vlan(m, port_vlan)) {
			c.counters->count(drop_reason::wrong_vlan);
			sort.dropped[sort.n_drop++] = m;
			continue;
		}
		action a;
		switch (role) {
		case port_role::access:
			a = handle_access(c, in_port, m);
			break;
		case port_role::core:
			a = handle_core(c, m);
			break;
		case port_role::attachment:
			a = handle_attachment(c, in_port, m);
			break;
		default:
			a = drop(drop_reason::port_unused);
			break;
		}
		sort(c, in_port, m, a);
	}
}
} // namespace

uint16_t process_rx_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out) noexcept {
	using namespace detail;
	out.n_tx = out.n_punt = out.n_local = out.n_icmp = out.n_glean = 0;
	if (n > max_burst)
		n = max_burst;
	const port_role role = in_port < max_ports ? c.view->ports[in_port].role : port_role::unused;
	const path_event rx_event = role == port_role::core         ? path_event::rx_core
	                            : role == port_role::attachment ? path_event::rx_attachment
	                                                            : path_event::rx_access;
	if (role != port_role::unused)
		c.counters->count(rx_event, n);

	// A port on a VLAN takes only frames with its tag (else wrong_vlan); the fast path
	// handles untagged frames only, so such a port skips it.
	const uint16_t port_vlan = role != port_role::unused ? c.view->ports[in_port].vlan : 0;
	const bool fast = c.view->fast_path && port_vlan == 0;
	sorter sort(out);
	if (fast && role == port_role::access) {
		access_burst(c, in_port, pkts, n, out, sort);
	} else if (fast && role == port_role::core) {
		core_burst(c, in_port, pkts, n, out, sort);
	} else {
		general_burst(c, role, port_vlan, in_port, pkts, n, sort);
	}
	c.counters->count(path_event::tx, out.n_tx);
	c.counters->count(path_event::local, out.n_local);
	if (sort.n_drop)
		rte_pktmbuf_free_bulk(sort.dropped, sort.n_drop);
	return n;
}

uint16_t flush_punts(const path_ctx &c, burst_out &out) noexcept {
	uint16_t done = 0;
	if (out.n_punt && c.view->punt_ring)
		done = static_cast<uint16_t>(
		    rte_ring_enqueue_burst(c.view->punt_ring, reinterpret_cast<void *const *>(out.punt), out.n_punt, nullptr));
	if (done < out.n_punt) {
		c.counters->count(drop_reason::punt_ring_full, out.n_punt - done);
		rte_pktmbuf_free_bulk(out.punt + done, out.n_punt - done);
	}
	out.n_punt = 0;
	return done;
}

} // namespace l2tpx::dp
