// Burst loop: prefetch ahead, dispatch on the port role, sort each packet into tx / punt /
// local / icmp / glean, free the drops in one call.
//
// Software pipelining with prefetch distances (VPP-style): the frame data of packet i + 12;
// on access ports, the session record line and the per-lcore session_stats entry that
// packet i + 4's L2TP header selects in the common layout; on core ports, the direct /32
// entry of packet i + 8's destination, then the session lines and stats entry that entry
// names for packet i + 4. A wrong guess (other layout, unknown session) costs only the
// prefetch.
//
// Access and core ports with the fast path on (and no port VLAN) run a loop of their own:
// each packet goes through the fast path (fast_path.hpp) with the burst's fast_env, and a
// packet it forwards is appended to out.tx there, without a per-packet fate switch; only
// a packet the fast path hands back an action for (punt, sequence drop) or declines (then
// the general handler of the port role decides) goes through sort(). Event counters of
// the fast path are added once per burst. Every other port runs the general loop.
//
// Sessions are indexed directly by ID (session.hpp), so a lookup is one load plus an ID
// comparison; a VPP-style "last tunnel" cache would cost as much as it saves here.
#include <rte_ring.h>

#include "dataplane/path/fast_path.hpp"

static_assert(l2tpx::dp::max_ports == RTE_MAX_ETHPORTS, "tables_view::ports must cover every DPDK port");

namespace l2tpx::dp {

namespace {
using detail::fast_env;

// Prefetch distances, in packets: frame data, (core) the direct route entry, the session.
constexpr uint16_t data_ahead = 12, route_ahead = 8, session_ahead = 4;

// The v2 Tunnel ID + Session ID, or v3 Session ID, word of a frame in the common layout.
L2TPX_FAST void prefetch_access_session(const fast_env &e, const rte_mbuf *m) noexcept {
	using namespace detail;
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
// Ports on a VLAN (port_info::vlan, dpconf): the frame's outer tag must carry that VID.
inline bool on_port_vlan(const rte_mbuf *m, uint16_t vlan) noexcept {
	using namespace detail;
	if (m->data_len < 18)
		return false;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint16_t tpid = load_be16(d + 12);
	return (tpid == eth_vlan || tpid == eth_qinq || tpid == eth_qinq_old) && (load_be16(d + 14) & 0x0fff) == vlan;
}

// Where the packets of a burst go that the fast path did not append to out.tx itself.
struct sorter {
	burst_out &out;
	rte_mbuf *dropped[max_burst]; // left uninitialised: written before read
	uint16_t n_drop = 0;

	explicit sorter(burst_out &o) noexcept : out(o) {}

	void operator()(const path_ctx &c, uint16_t in_port, rte_mbuf *m, const detail::action &a) noexcept {
		using detail::fate;
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

// One packet of an access port through the fast path, else the general handler.
L2TPX_FAST void access_one(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf *m, burst_out &out,
                           sorter &sort) noexcept {
	using namespace detail;
	action a;
	const fast_res r = fast_access(e, in_port, m, out, a);
	if (r == fast_res::done)
		return;
	if (r == fast_res::declined)
		a = handle_access(c, in_port, m);
	sort(c, in_port, m, a);
}

// One packet of a core port through the fast path, else the general handler.
L2TPX_FAST void core_one(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf *m, burst_out &out,
                         sorter &sort) noexcept {
	using namespace detail;
	action a;
	const fast_res r = fast_core(e, m, out, a);
	if (r == fast_res::done)
		return;
	if (r == fast_res::declined)
		a = handle_core(c, m);
	sort(c, in_port, m, a);
}

void access_burst(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                  sorter &sort) noexcept {
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
}

void core_burst(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                sorter &sort) noexcept {
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
	if (fast && (role == port_role::access || role == port_role::core)) {
		for (uint16_t i = 0; i < n && i < data_ahead; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		fast_env e(c);
		if (role == port_role::access)
			access_burst(c, e, in_port, pkts, n, out, sort);
		else
			core_burst(c, e, in_port, pkts, n, out, sort);
		e.flush(*c.counters);
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
