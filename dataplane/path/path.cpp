// Burst loop: prefetch ahead (DPDK l3fwd style), dispatch on the port role, sort each
// packet into tx / punt / local, free the drops in one call.
//
// Sessions are indexed directly by ID (session.hpp), so a lookup is one load plus an ID
// comparison; a VPP-style "last tunnel" cache would cost as much as it saves here.
#include <rte_ring.h>

#include "dataplane/path/path_internal.hpp"

static_assert(l2tpx::dp::max_ports == RTE_MAX_ETHPORTS, "tables_view::ports must cover every DPDK port");

namespace l2tpx::dp {

namespace {
constexpr uint16_t prefetch_ahead = 4;
}

uint16_t process_rx_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out) noexcept {
	using namespace detail;
	out.n_tx = out.n_punt = out.n_local = 0;
	if (n > max_burst)
		n = max_burst;
	rte_mbuf *dropped[max_burst];
	uint16_t n_drop = 0;
	const port_role role = in_port < max_ports ? c.view->ports[in_port].role : port_role::unused;
	const path_event rx_event = role == port_role::core         ? path_event::rx_core
	                            : role == port_role::attachment ? path_event::rx_attachment
	                                                            : path_event::rx_access;
	if (role != port_role::unused)
		c.counters->count(rx_event, n);

	for (uint16_t i = 0; i < n && i < prefetch_ahead; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + prefetch_ahead < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + prefetch_ahead], void *));
		rte_mbuf *m = pkts[i];
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
		switch (a.f) {
		case fate::tx:
			out.tx_port[out.n_tx] = a.port;
			out.tx[out.n_tx++] = m;
			break;
		case fate::punt:
			out.punt[out.n_punt++] = m;
			break;
		case fate::local:
			out.local[out.n_local++] = m;
			break;
		case fate::drop:
			c.counters->count(a.why);
			dropped[n_drop++] = m;
			break;
		}
	}
	c.counters->count(path_event::tx, out.n_tx);
	c.counters->count(path_event::local, out.n_local);
	if (n_drop)
		rte_pktmbuf_free_bulk(dropped, n_drop);
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
