// The burst loops of the packet paths (path.cpp, path_access.cpp, path_core.cpp): where
// the packets of a burst go, the prefetch distances, and the per-role loops with the fast
// path on. Not a public header.
#pragma once

#include "dataplane/path/path_internal.hpp"

namespace l2tpx::dp::detail {

// Prefetch distances, in packets: frame data, (core) the direct route entry, the session.
constexpr uint16_t data_ahead = 12, route_ahead = 8, session_ahead = 4;

// Where the packets of a burst go that the fast path did not append to out.tx itself.
struct sorter {
	burst_out &out;
	rte_mbuf *dropped[max_burst]; // left uninitialised: written before read
	uint16_t n_drop = 0;

	explicit sorter(burst_out &o) noexcept : out(o) {}

	void operator()(const path_ctx &c, uint16_t in_port, rte_mbuf *m, const detail::action &a) noexcept {
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
		case fate::icmp: // a drop that gets an ICMP error (path_internal.hpp icmp_hook)
			c.counters->count(a.why);
			m->port = in_port;
			out.icmp[out.n_icmp++] = m;
			break;
		case fate::glean: // a drop that starts next-hop resolution
			c.counters->count(a.why);
			m->port = a.port;
			out.glean[out.n_glean++] = m;
			break;
		case fate::held: // kept by a reorder buffer (reorder.hpp)
			break;
		}
	}
};

// Access and core ports with the fast path on: the whole burst (path_access.cpp,
// path_core.cpp). Event counters of the fast path are added to c.counters before return.
void access_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                  sorter &sort) noexcept;
void core_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                sorter &sort) noexcept;

} // namespace l2tpx::dp::detail
