// Core ports' burst loop with the fast path on (burst.hpp): prefetch ahead (frame data of
// packet i + 12, the direct /32 entry of packet i + 8's destination, then the session lines
// and stats entry that entry names for packet i + 4), then each packet through
// fast_core(); a packet it forwards is appended to out.tx there, only an action or a
// declined packet (then handle_core() decides) goes through the sorter.
#include "dataplane/path/burst.hpp"
#include "dataplane/path/fast_core.hpp"

namespace l2tpx::dp::detail {

namespace {

// Core ports, untagged IPv4: the direct /32 entry of the destination (the LPM is not
// prefetched), then the session record's lines and the stats entry it names.
L2TPX_FAST const uint32_t *direct_entry(const fast_env &e, const rte_mbuf *m) noexcept {
	if (m->data_len < 34 || e.sub_v4_direct_size == 0)
		return nullptr;
	const uint32_t off = load_be32(rte_pktmbuf_mtod(m, const uint8_t *) + 30) - e.sub_v4_base;
	return off < e.sub_v4_direct_size ? e.sub_v4_direct + off : nullptr;
}
L2TPX_FAST void prefetch_core_route(const fast_env &e, const rte_mbuf *m, const uint32_t *&entry) noexcept {
	entry = direct_entry(e, m);
	if (entry)
		rte_prefetch0(entry);
}
L2TPX_FAST void prefetch_core_session(const fast_env &e, const uint32_t *entry) noexcept {
	if (!entry)
		return;
	const uint32_t idx = __atomic_load_n(entry, __ATOMIC_RELAXED);
	if (idx > e.mask)
		return;
	const auto *rec = reinterpret_cast<const char *>(&e.sessions[idx]);
	rte_prefetch0(rec);
	rte_prefetch0(rec + 64);
	rte_prefetch0(rec + 128); // templates longer than 54 bytes (v3 cookies, IPv6, VLAN) reach line 2
	if (e.stats)
		rte_prefetch0(&e.stats[idx]);
}
// One packet of a core port through the fast path, else the general handler.
L2TPX_FAST void core_one(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf *m, burst_out &out,
                         sorter &sort) noexcept {
	action a;
	const fast_res r = fast_core(e, m, out, a);
	if (r == fast_res::done)
		return;
	if (r == fast_res::declined)
		a = handle_core(c, m);
	sort(c, in_port, m, a);
}

} // namespace

void core_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                sorter &sort) noexcept {
	for (uint16_t i = 0; i < n && i < data_ahead; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	fast_env e(c);
	const uint32_t *entry[max_burst]; // direct /32 entries found by the route stage
	for (uint16_t i = 0; i < n && i < route_ahead; i++)
		prefetch_core_route(e, pkts[i], entry[i]);
	for (uint16_t i = 0; i < n && i < session_ahead; i++)
		prefetch_core_session(e, entry[i]);
	uint16_t i = 0;
	for (; i + data_ahead < n; i++) { // every prefetch in range
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + data_ahead], void *));
		prefetch_core_route(e, pkts[i + route_ahead], entry[i + route_ahead]);
		prefetch_core_session(e, entry[i + session_ahead]);
		core_one(c, e, in_port, pkts[i], out, sort);
	}
	for (; i < n; i++) {
		if (i + route_ahead < n)
			prefetch_core_route(e, pkts[i + route_ahead], entry[i + route_ahead]);
		if (i + session_ahead < n)
			prefetch_core_session(e, entry[i + session_ahead]);
		core_one(c, e, in_port, pkts[i], out, sort);
	}
	e.flush(*c.counters);
}

} // namespace l2tpx::dp::detail
