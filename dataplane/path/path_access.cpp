// Access ports' burst loop with the fast path on (burst.hpp): prefetch ahead (frame data of
// packet i + 12; the session record line, stats entry and, with the v2 S bit, the
// sequence state that packet i + 4's L2TP header selects in the common layout; a wrong
// guess costs only the prefetch), then each packet through fast_access(); a packet it
// forwards is appended to out.tx there, only a punt, a sequence drop or a declined packet
// (then handle_access() decides) goes through the sorter.
#include "dataplane/path/burst.hpp"
#include "dataplane/path/fast_access.hpp"

namespace l2tpx::dp::detail {

namespace {

// The v2 Tunnel ID + Session ID, or v3 Session ID, word of a frame in the common layout.
L2TPX_FAST void prefetch_access_session(const fast_env &e, const rte_mbuf *m) noexcept {
	if (m->data_len < f_l2tp + 8)
		return;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	// v3: Session ID after the flags word; v2: Tunnel ID, Session ID after the optional
	// Length (L, 0x40 in the first byte); with the v2 S bit (0x08) also the sequence state.
	const uint8_t b0 = d[f_l2tp], ver = d[f_l2tp + 1] & 0x0f;
	const uint32_t off = f_l2tp + 2 + ((ver == l2tp::version_v3 || (b0 & 0x40)) ? 2 : 0);
	const uint32_t idx = load_be32(d + off) & e.mask;
	rte_prefetch0(&e.sessions[idx]);
	// A prefetch never faults: no test for a null stats array (integer arithmetic, not
	// pointer arithmetic on a null pointer).
	rte_prefetch0(reinterpret_cast<const void *>(reinterpret_cast<uintptr_t>(e.stats) + idx * sizeof(session_stats)));
	if ((b0 & 0x08) && ver == l2tp::version_v2)
		rte_prefetch0(&e.seq[idx]);
}

// One packet of an access port through the fast path, else the general handler.
L2TPX_FAST void access_one(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf *m, burst_out &out,
                           sorter &sort) noexcept {
	action a;
	const fast_res r = fast_access(e, in_port, m, out, a);
	if (r == fast_res::done)
		return;
	if (r == fast_res::declined)
		a = handle_access(c, in_port, m);
	sort(c, in_port, m, a);
}

} // namespace

void access_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                  sorter &sort) noexcept {
	for (uint16_t i = 0; i < n && i < data_ahead; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	fast_env e(c);
	for (uint16_t i = 0; i < n && i < session_ahead; i++)
		prefetch_access_session(e, pkts[i]);
	uint16_t i = 0;
	for (; i + data_ahead < n; i++) { // both prefetches in range
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + data_ahead], void *));
		prefetch_access_session(e, pkts[i + session_ahead]);
		access_one(c, e, in_port, pkts[i], out, sort);
	}
	for (; i < n; i++) {
		if (i + session_ahead < n)
			prefetch_access_session(e, pkts[i + session_ahead]);
		access_one(c, e, in_port, pkts[i], out, sort);
	}
	e.flush(*c.counters);
}

} // namespace l2tpx::dp::detail
