// Core ports' burst loop with the fast path on (burst.hpp, fast_core.hpp).
//
// Two prefetch stages run ahead of the packet being encapsulated:
//  - route (packet i + 8): reads the destination address, finds its direct /32 entry
//    (tables_view::sub_v4_direct) and prefetches it; a destination outside the direct
//    block, or equal to the first local address, gets an entry that holds no_session;
//  - session (packet i + 4): reads that entry, keeps the session record (or
//    lean_no_session) and stats entry for the packet and prefetches the record's three
//    lines and the stats entry.
// The frame data is not prefetched on its own: the route stage's read of the destination,
// eight packets ahead, is that prefetch. Then each packet goes to tier 1 (lean_core()) in
// a run without calls (lean_run(): what the loop keeps stays in registers); a packet tier
// 1 cannot finish ends the run and goes to tier 2 (fast_core(), which looks the route up
// again, LPM included) and tier 3 (handle_core()), then the next run starts after it, so
// the order of the burst is kept.
#include "dataplane/path/burst.hpp"
#include "dataplane/path/fast_core.hpp"

namespace l2tpx::dp::detail {

namespace {

// Prefetch distances, in packets: the route stage, the session stage.
constexpr size_t core_route_ahead = 8, core_session_ahead = 4;

// A direct entry that names no session: the route stage's result for a packet that has none.
constexpr uint32_t lean_no_entry = no_session;

// Route stage for packet j: the address of its destination's direct /32 entry
// (L.no_entry when it has none), prefetched.
L2TPX_FAST void core_route(lean_state &L, rte_mbuf *const *pkts, size_t j) noexcept {
	// The frame may be shorter than 34 bytes: the address read is then garbage (the data
	// room holds far more than 34 bytes), which only makes this a wrong guess; tier 1
	// checks the length before it trusts the result.
	const uint32_t dst = load_be32(rte_pktmbuf_mtod(pkts[j], const uint8_t *) + 30);
	const uint32_t off = dst - L.base;
	const uint32_t *entry = L.no_entry; // a load: a register is worth more than the address
	if (__builtin_expect(off < L.size && dst != L.local0, 1))
		entry = L.direct + off;
	rte_prefetch0(entry);
	L.entry[j] = entry;
}

// Session stage for packet j: the session record its entry names (else lean_no_session),
// its three lines and the stats entry prefetched.
template <bool Stats> L2TPX_FAST void core_session(lean_state &L, size_t j) noexcept {
	const uint32_t idx = __atomic_load_n(L.entry[j], __ATOMIC_RELAXED);
	const session *s = &lean_no_session; // state free: tier 1 hands the packet on
	if (__builtin_expect(idx <= L.mask, 1)) {
		s = &L.sessions[idx];
		const auto *rec = reinterpret_cast<const char *>(s);
		rte_prefetch0(rec);
		rte_prefetch0(rec + 64);
		rte_prefetch0(rec + 128);
		if (Stats) {
			L.st[j] = &L.stats[idx];
			rte_prefetch0(L.st[j]);
		}
	}
	L.sp[j] = s;
}

// Tiers 2 and 3 for one packet (not inlined: the rare case).
__attribute__((noinline)) void core_slow(const path_ctx &c, core_env &e, uint16_t in_port, rte_mbuf *m,
                                         burst_out &out, sorter &sort) noexcept {
	action a;
	const fast_res r = fast_core(e, m, out, a);
	if (r == fast_res::done)
		return;
	if (r == fast_res::declined)
		a = handle_core(c, m);
	sort(c, in_port, m, a);
}

// Runs packets i, i + 1, ... through the prefetch stages and tier 1 until one needs tier 2
// (returns its index) or the burst ends (returns n). No call inside: what the loop keeps
// stays in registers.
template <bool Stats, bool MultiLocal>
__attribute__((noinline)) size_t lean_run(lean_state &L, burst_out &out, size_t i) noexcept {
	const size_t n = L.n;
	rte_mbuf *const *const pkts = L.pkts;
	size_t n_tx = L.n_tx; // in a register (L's fields are read again after each byte store)
	for (; i < L.steady_end; i++) { // both stages in range (a memory operand: no register)
		core_route(L, pkts, i + core_route_ahead);
		core_session<Stats>(L, i + core_session_ahead);
		if (!lean_core<Stats, MultiLocal>(L, pkts[i], i, out, n_tx))
			goto done;
	}
	for (; i + core_session_ahead < n; i++) { // the session stage in range
		core_session<Stats>(L, i + core_session_ahead);
		if (!lean_core<Stats, MultiLocal>(L, pkts[i], i, out, n_tx))
			goto done;
	}
	for (; i < n; i++)
		if (!lean_core<Stats, MultiLocal>(L, pkts[i], i, out, n_tx))
			break;
done:
	L.n_tx = static_cast<uint32_t>(n_tx);
	return i;
}

template <bool Stats, bool MultiLocal>
void core_loop(const path_ctx &c, core_env &e, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
               sorter &sort) noexcept {
	lean_state L(e, &lean_no_entry, pkts, n, out.n_tx);
	L.steady_end = n > core_route_ahead ? n - core_route_ahead : 0;
	if (__builtin_expect(n >= core_route_ahead, 1)) { // fixed trip counts: unrolled
		for (size_t j = 0; j < core_route_ahead; j++)
			core_route(L, pkts, j);
		for (size_t j = 0; j < core_session_ahead; j++)
			core_session<Stats>(L, j);
	} else {
		for (size_t j = 0; j < n; j++)
			core_route(L, pkts, j);
		for (size_t j = 0; j < n && j < core_session_ahead; j++)
			core_session<Stats>(L, j);
	}
	for (size_t i = lean_run<Stats, MultiLocal>(L, out, 0); i < n; i = lean_run<Stats, MultiLocal>(L, out, i + 1)) {
		// pkts[i] needs tier 2 or 3; its stages ran
		out.n_tx = static_cast<uint16_t>(L.n_tx);
		core_slow(c, e, in_port, pkts[i], out, sort);
		L.n_other += out.n_tx - L.n_tx;
		L.n_tx = out.n_tx;
	}
	out.n_tx = static_cast<uint16_t>(L.n_tx);
	L.flush(e);
}

} // namespace

void core_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                sorter &sort) noexcept {
	core_env e(c);
	const bool multi_local = e.local_v4_count > 1;
	if (c.stats) {
		if (multi_local)
			core_loop<true, true>(c, e, in_port, pkts, n, out, sort);
		else
			core_loop<true, false>(c, e, in_port, pkts, n, out, sort);
	} else {
		if (multi_local)
			core_loop<false, true>(c, e, in_port, pkts, n, out, sort);
		else
			core_loop<false, false>(c, e, in_port, pkts, n, out, sort);
	}
	e.flush(*c.counters);
}

} // namespace l2tpx::dp::detail
