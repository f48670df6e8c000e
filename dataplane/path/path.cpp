// Burst loop: prefetch ahead, dispatch on the port role, sort each packet into tx / punt /
// local, free the drops in one call.
//
// Software pipelining with prefetch distances (VPP-style): the frame data of packet i + 12;
// on access ports, the session record line and the per-lcore session_stats entry that
// packet i + 4's L2TP header selects in the common layout; on core ports, the direct /32
// entry of packet i + 8's destination, then the session lines and stats entry that entry
// names for packet i + 4. A wrong guess (other layout, unknown session) costs only the
// prefetch.
// Each packet first goes through the fast path (fast_path.hpp), then, if the fast path
// declines, through the general handler of its port role.
//
// Sessions are indexed directly by ID (session.hpp), so a lookup is one load plus an ID
// comparison; a VPP-style "last tunnel" cache would cost as much as it saves here.
#include <rte_ring.h>

#include "dataplane/path/fast_path.hpp"

static_assert(l2tpx::dp::max_ports == RTE_MAX_ETHPORTS, "tables_view::ports must cover every DPDK port");

namespace l2tpx::dp {

namespace {
// Prefetch distances, in packets: frame data, (core) the direct route entry, the session.
constexpr uint16_t data_ahead = 12, route_ahead = 8, session_ahead = 4;

// The v2 Tunnel ID + Session ID, or v3 Session ID, word of a frame in the common layout.
inline void prefetch_access_session(const path_ctx &c, const rte_mbuf *m) noexcept {
	using namespace detail;
	if (m->data_len < f_l2tp + 8)
		return;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint16_t w = load_be16(d + f_l2tp);
	// v3: Session ID after the flags word; v2: Tunnel ID, Session ID after the optional Length;
	// with the v2 S bit also the sequence state.
	const uint32_t off = (w & l2tp::version_mask) == l2tp::version_v3 ? f_l2tp + 4
	                                                                  : f_l2tp + ((w & l2tp::flag_length) ? 4 : 2);
	const uint32_t idx = load_be32(d + off) & c.view->session_mask;
	rte_prefetch0(&c.view->sessions[idx]);
	if (c.stats)
		rte_prefetch0(&c.stats[idx]);
	if ((w & (l2tp::version_mask | l2tp::flag_sequence)) == (l2tp::version_v2 | l2tp::flag_sequence))
		rte_prefetch0(&c.view->seq[idx]);
}

// Core ports, untagged IPv4: the direct /32 entry of the destination (the LPM is not
// prefetched), then the session record's lines and the stats entry it names.
inline const uint32_t *direct_entry(const tables_view &v, const rte_mbuf *m) noexcept {
	const uint32_t size = __atomic_load_n(&v.sub_v4_direct_size, __ATOMIC_ACQUIRE);
	if (m->data_len < 34 || size == 0)
		return nullptr;
	const uint32_t off = load_be32(rte_pktmbuf_mtod(m, const uint8_t *) + 30) - v.sub_v4_base;
	return off < size ? v.sub_v4_direct + off : nullptr;
}
inline void prefetch_core_route(const path_ctx &c, const rte_mbuf *m, const uint32_t *&entry) noexcept {
	entry = direct_entry(*c.view, m);
	if (entry)
		rte_prefetch0(entry);
}
inline void prefetch_core_session(const path_ctx &c, const uint32_t *entry) noexcept {
	if (!entry)
		return;
	const uint32_t idx = __atomic_load_n(entry, __ATOMIC_RELAXED);
	if (idx > c.view->session_mask)
		return;
	const auto *rec = reinterpret_cast<const char *>(&c.view->sessions[idx]);
	rte_prefetch0(rec);
	rte_prefetch0(rec + 64);
	rte_prefetch0(rec + 128); // templates longer than 54 bytes (v3 cookies, IPv6, VLAN) reach line 2
	if (c.stats)
		rte_prefetch0(&c.stats[idx]);
}
} // namespace

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

	const bool access = role == port_role::access;
	const bool fast = c.view->fast_path;
	const uint32_t *entry[max_burst]; // core: direct /32 entries found by the route stage
	for (uint16_t i = 0; i < n && i < data_ahead; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	if (access) {
		for (uint16_t i = 0; i < n && i < session_ahead; i++)
			prefetch_access_session(c, pkts[i]);
	} else if (role == port_role::core) {
		for (uint16_t i = 0; i < n && i < route_ahead; i++)
			prefetch_core_route(c, pkts[i], entry[i]);
		for (uint16_t i = 0; i < n && i < session_ahead; i++)
			prefetch_core_session(c, entry[i]);
	}
	for (uint16_t i = 0; i < n; i++) {
		if (i + data_ahead < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + data_ahead], void *));
		rte_mbuf *m = pkts[i];
		action a;
		switch (role) {
		case port_role::access:
			if (i + session_ahead < n)
				prefetch_access_session(c, pkts[i + session_ahead]);
			if (!fast || !fast_access(c, in_port, m, a))
				a = handle_access(c, in_port, m);
			break;
		case port_role::core:
			if (i + route_ahead < n)
				prefetch_core_route(c, pkts[i + route_ahead], entry[i + route_ahead]);
			if (i + session_ahead < n)
				prefetch_core_session(c, entry[i + session_ahead]);
			if (!fast || !fast_core(c, m, a))
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
