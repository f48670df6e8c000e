// Core ports' burst loop with the fast path on (burst.hpp, fast_core.hpp).
//
// Two prefetch stages run ahead of the packet being encapsulated:
//  - route (packets i + 8 ..): reads the mbuf and the frame's header words, makes tier 1's
//    checks of the frame (lean_pre(): their verdict and the inner total length kept per
//    packet), finds the destination's direct /32 entry (tables_view::sub_v4_direct) and
//    prefetches it; a destination outside the direct block, or equal to the first local
//    address, gets no entry (lean_no_off);
//  - session (packets i + 4 ..): reads that entry, keeps the session record (or
//    lean_no_session) and stats entry for the packet and prefetches the record's first two
//    lines (all that tier 1 reads) and the stats entry.
// With AVX2 both stages run for four packets at a time (core_route4(), core_session4():
// the mbuf fields, header words and direct entries gathered, the tests made on four lanes),
// and the steady loop takes four packets per iteration. The frame data is not prefetched
// on its own: the route stage's reads, eight packets ahead, are that prefetch. Then each
// packet goes to tier 1 (lean_core()) in a run without calls (lean_run(): what the loop
// keeps stays in registers); a packet tier 1 cannot finish ends the run and goes to tier
// 2 (fast_core(), which looks the route up again, LPM included) and tier 3
// (handle_core()), then the next run starts after it, so the order of the burst is kept.
#include "dataplane/path/burst.hpp"
#include "dataplane/path/fast_core.hpp"

#include <algorithm>
#include <optional>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace l2tpx::dp::detail {

namespace {

// Prefetch distances, in packets: the route stage, the session stage. Multiples of 4: the
// stages run four packets at a time in the steady loop.
constexpr size_t core_route_ahead = 8, core_session_ahead = 4;

constexpr uint32_t lean_no_off = UINT32_MAX; // the route stage's result for a packet without an entry

// The address of direct entry off (prefetched only: for lean_no_off it lies beyond the
// table, which a prefetch does not mind).
L2TPX_FAST const void *lean_entry_addr(const lean_state &L, uint32_t off) noexcept {
	return reinterpret_cast<const void *>(reinterpret_cast<uintptr_t>(L.direct) + uintptr_t{off} * 4);
}

// Route stage for packet j: its frame data and the offset of its destination's direct /32
// entry (lean_no_off when it has none: outside the direct block, or the first local
// address), the entry prefetched.
L2TPX_FAST void core_route(lean_state &L, rte_mbuf *const *pkts, size_t j) noexcept {
	// The frame may be shorter than 34 bytes: the address read is then garbage (the data
	// room holds far more than 34 bytes), which only makes this a wrong guess; lean_pre()
	// rejects such a frame, so tier 1 never trusts the result.
	uint8_t *d = rte_pktmbuf_mtod(pkts[j], uint8_t *);
	const uint32_t dst = load_be32(d + 30);
	uint32_t off = dst - L.base;
	if (!(off < L.size && dst != L.local0))
		off = lean_no_off;
	rte_prefetch0(lean_entry_addr(L, off));
	L.off[j] = off;
	L.dp[j] = d;
	L.pre[j] = lean_pre(pkts[j], d);
}

// Session stage for packet j: the session record its entry names (else lean_no_session),
// its first two lines (all that tier 1 reads: session.hpp) and the stats entry prefetched.
template <bool Stats> L2TPX_FAST void core_session(lean_state &L, size_t j) noexcept {
	const uint32_t off = L.off[j];
	const session *s = &lean_no_session; // state free: tier 1 hands the packet on
	if (off != lean_no_off) {
		const uint32_t idx = __atomic_load_n(&L.direct[off], __ATOMIC_RELAXED);
		if (__builtin_expect(idx <= L.mask, 1)) {
			s = &L.sessions[idx];
			const auto *rec = reinterpret_cast<const char *>(s);
			rte_prefetch0(rec);
			rte_prefetch0(rec + 64);
			if (Stats) {
				L.st[j] = &L.stats[idx];
				rte_prefetch0(L.st[j]);
			}
		}
	}
	L.sp[j] = s;
}

#if defined(__AVX2__)
// The stages for packets j .. j + 3 with AVX2: the mbuf fields, destinations and direct
// entries gathered four at a time, the tests made on four lanes. Same results as four
// calls of the scalar stages (a lane without a session gets lean_no_session; its stats
// entry, never read, the first one). The direct entries are read by a gather, whose
// element loads are aligned 4-byte loads, as the relaxed loads of core_session(). The
// burst's constants are lean_state's (memory operands: registers are worth more to tier 1),
// the fixed ones below.
L2TPX_FAST void lean_vec_init(lean_state &L) noexcept {
	L.v_base = _mm_set1_epi32(static_cast<int>(L.base));
	L.v_local0 = _mm_set1_epi32(static_cast<int>(L.local0));
	L.v_size_m1s = _mm_set1_epi32(static_cast<int>((L.size - 1) ^ 0x80000000u));
	L.v_mask_s = _mm_set1_epi32(static_cast<int>(L.mask ^ 0x80000000u));
	L.v_sessions = _mm256_set1_epi64x(static_cast<long long>(reinterpret_cast<uintptr_t>(L.sessions)));
	L.v_stats = _mm256_set1_epi64x(static_cast<long long>(reinterpret_cast<uintptr_t>(L.stats)));
}

// The fixed constants (vpshufb: -1 makes a zero byte).
template <typename T> struct alignas(32) lean_v4 {
	T v[32 / sizeof(T)];
};
constexpr lean_v4<int64_t> lean_flags{{RTE_MBUF_F_RX_IP_CKSUM_MASK, RTE_MBUF_F_RX_IP_CKSUM_MASK,
                                       RTE_MBUF_F_RX_IP_CKSUM_MASK, RTE_MBUF_F_RX_IP_CKSUM_MASK}};
constexpr lean_v4<int64_t> lean_good{{RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_GOOD,
                                      RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_GOOD}};
constexpr lean_v4<int64_t> lean_m32{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}};
constexpr lean_v4<int64_t> lean_m48{{0xffffffffffff, 0xffffffffffff, 0xffffffffffff, 0xffffffffffff}};
constexpr lean_v4<int64_t> lean_ffff{{0xffff, 0xffff, 0xffff, 0xffff}};
constexpr lean_v4<int64_t> lean_eth_mask{{0xffffff, 0xffffff, 0xffffff, 0xffffff}};
constexpr lean_v4<int64_t> lean_eth{{0x450008, 0x450008, 0x450008, 0x450008}}; // 08 00 45 in memory order
constexpr lean_v4<int64_t> lean_20{{20, 20, 20, 20}};
constexpr lean_v4<int64_t> lean_34{{34, 34, 34, 34}};
constexpr lean_v4<int64_t> lean_1{{1, 1, 1, 1}};
constexpr int64_t lean_room = max_lean_template - 14; // headroom for any lean template (> room - 1)
constexpr lean_v4<int64_t> lean_room4{{lean_room - 1, lean_room - 1, lean_room - 1, lean_room - 1}};
constexpr lean_v4<int64_t> lean_inv{{inv_ffff, inv_ffff, inv_ffff, inv_ffff}};
constexpr int64_t lean_lim = UINT32_MAX / 0xffffu;
constexpr lean_v4<int64_t> lean_lim4{{lean_lim, lean_lim, lean_lim, lean_lim}};
constexpr lean_v4<int64_t> lean_rec{{sizeof(session), sizeof(session), sizeof(session), sizeof(session)}};
constexpr lean_v4<int32_t> lean_sign{
    {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN}};
constexpr char z = -1;
// the total length (bytes 4, 5 of the word at frame + 12), big-endian, zero-extended
constexpr lean_v4<char> lean_shuf_tot{{5, 4, z, z, z, z, z, z, 13, 12, z, z, z, z, z, z,
                                       5, 4, z, z, z, z, z, z, 13, 12, z, z, z, z, z, z}};
// data_len (bytes 4, 5 of the word at mbuf + 0x24, after pkt_len), zero-extended
constexpr lean_v4<char> lean_shuf_dl{{4, 5, z, z, z, z, z, z, 12, 13, z, z, z, z, z, z,
                                      4, 5, z, z, z, z, z, z, 12, 13, z, z, z, z, z, z}};
// the TTL (byte 2 of the word at frame + 20)
constexpr lean_v4<char> lean_shuf_ttl{{2, z, z, z, z, z, z, z, 10, z, z, z, z, z, z, z,
                                       2, z, z, z, z, z, z, z, 10, z, z, z, z, z, z, z}};
// the destination (bytes 2..5 of the word at frame + 28) in host order, the two of each
// 128-bit lane in its first 8 bytes (then vpermq takes both lanes' to the first 16)
constexpr lean_v4<char> lean_shuf_dst{{5, 4, 3, 2, 13, 12, 11, 10, z, z, z, z, z, z, z, z,
                                       5, 4, 3, 2, 13, 12, 11, 10, z, z, z, z, z, z, z, z}};
constexpr lean_v4<const session *> lean_none{{&lean_no_session, &lean_no_session, &lean_no_session, &lean_no_session}};

template <typename T> L2TPX_FAST __m256i k256(const lean_v4<T> &k) noexcept {
	return _mm256_load_si256(reinterpret_cast<const __m256i *>(k.v));
}
template <typename T> L2TPX_FAST __m128i k128(const lean_v4<T> &k) noexcept {
	return _mm_load_si128(reinterpret_cast<const __m128i *>(k.v));
}

// A gather's base for absolute addresses in the index vector: field offset o of the struct
// each index points to.
template <size_t o, typename T> inline const T *lean_at() noexcept {
	return reinterpret_cast<const T *>(static_cast<uintptr_t>(o));
}

// vpblendvb: b where the byte's top bit in mask is set, else a (as an intrinsic, GCC adds a
// compare to make the mask it cannot see is one already).
L2TPX_FAST __m256i lean_blend(__m256i a, __m256i b, __m256i mask) noexcept {
	__m256i r;
	asm("vpblendvb %[m], %[b], %[a], %[r]" : [r] "=x"(r) : [a] "x"(a), [b] "x"(b), [m] "x"(mask));
	return r;
}

// prefetcht0 of direct entry off (for lean_no_off, an address beyond the table: a prefetch
// does not mind).
L2TPX_FAST void lean_prefetch_entry(const uint32_t *direct, uint32_t off) noexcept {
	asm volatile("prefetcht0 (%0,%1,4)" : : "r"(direct), "r"(uint64_t{off}));
}

// The route stage for four packets, lean_pre() included. The frame words read: 12..19
// (EtherType, version/IHL, total length), 20..27, 28..35 (the destination at 30; the
// header checksum covers 14..33); mbuf words: buf_addr, data_off, ol_flags, pkt_len +
// data_len.
L2TPX_FAST void core_route4(lean_state &L, rte_mbuf *const *pkts, size_t j) noexcept {
	static_assert(offsetof(rte_mbuf, buf_addr) == 0 && offsetof(rte_mbuf, data_off) == 16 &&
	              offsetof(rte_mbuf, ol_flags) == 0x18 && offsetof(rte_mbuf, pkt_len) == 0x24 &&
	              offsetof(rte_mbuf, data_len) == 0x28);
	const __m256i mb = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(pkts + j));
	const __m256i buf = _mm256_i64gather_epi64(lean_at<0, long long>(), mb, 1);
	const __m256i doff = _mm256_and_si256(_mm256_i64gather_epi64(lean_at<16, long long>(), mb, 1), k256(lean_ffff));
	const __m256i d = _mm256_add_epi64(buf, doff);
	_mm256_store_si256(reinterpret_cast<__m256i *>(L.dp + j), d);
	const __m256i w12 = _mm256_i64gather_epi64(lean_at<12, long long>(), d, 1);
	const __m256i w20 = _mm256_i64gather_epi64(lean_at<20, long long>(), d, 1);
	const __m256i w28 = _mm256_i64gather_epi64(lean_at<28, long long>(), d, 1);
	// route: the destination's direct entry
	const __m128i dst =
	    _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_shuffle_epi8(w28, k256(lean_shuf_dst)), 0x08));
	const __m128i off = _mm_sub_epi32(dst, L.v_base);
	// off >= size (unsigned, as signed on the sign-flipped values), or the first local address
	const __m128i none = _mm_or_si128(_mm_cmpgt_epi32(_mm_xor_si128(off, k128(lean_sign)), L.v_size_m1s),
	                                  _mm_cmpeq_epi32(dst, L.v_local0));
	_mm_store_si128(reinterpret_cast<__m128i *>(L.off + j), _mm_or_si128(off, none));
	const uint32_t *direct = L.direct;
	lean_prefetch_entry(direct, L.off[j]);
	lean_prefetch_entry(direct, L.off[j + 1]);
	lean_prefetch_entry(direct, L.off[j + 2]);
	lean_prefetch_entry(direct, L.off[j + 3]);
	// lean_pre(), 64-bit lanes
	const __m256i lens = _mm256_i64gather_epi64(lean_at<0x24, long long>(), mb, 1);
	const __m256i flags =
	    _mm256_and_si256(_mm256_i64gather_epi64(lean_at<0x18, long long>(), mb, 1), k256(lean_flags));
	const __m256i dl = _mm256_shuffle_epi8(lens, k256(lean_shuf_dl));
	const __m256i tot = _mm256_shuffle_epi8(w12, k256(lean_shuf_tot));
	// one segment, EtherType + version/IHL, TTL > 1, headroom
	const __m256i ok1 = _mm256_and_si256(
	    _mm256_and_si256(_mm256_cmpeq_epi64(_mm256_and_si256(lens, k256(lean_m32)), dl),
	                     _mm256_cmpeq_epi64(_mm256_and_si256(w12, k256(lean_eth_mask)), k256(lean_eth))),
	    _mm256_and_si256(_mm256_cmpgt_epi64(_mm256_shuffle_epi8(w20, k256(lean_shuf_ttl)), k256(lean_1)),
	                     _mm256_cmpgt_epi64(doff, k256(lean_room4))));
	// tot < 20 or tot - 20 > len - 34: tot - 20 wraps in the low 32 bits (large and positive)
	const __m256i bad =
	    _mm256_cmpgt_epi64(_mm256_sub_epi32(tot, k256(lean_20)), _mm256_sub_epi64(dl, k256(lean_34)));
	// the header checksum: words 14..19, 20..27, 28..33 summed as integers (below 2^50), which
	// is the one's-complement sum modulo 0xffff; folded below 2^32; good when a multiple of
	// 0xffff (times the inverse of 0xffff modulo 2^32 at most UINT32_MAX / 0xffff, as
	// lean_hdr20_csum_ok())
	const __m256i sum =
	    _mm256_add_epi64(_mm256_add_epi64(_mm256_srli_epi64(w12, 16), _mm256_and_si256(w20, k256(lean_m32))),
	                     _mm256_add_epi64(_mm256_srli_epi64(w20, 32), _mm256_and_si256(w28, k256(lean_m48))));
	const __m256i f32 = _mm256_add_epi64(_mm256_srli_epi64(sum, 32), _mm256_and_si256(sum, k256(lean_m32)));
	const __m256i f16 = _mm256_add_epi64(_mm256_srli_epi64(f32, 16), _mm256_and_si256(f32, k256(lean_ffff)));
	const __m256i csum_bad = _mm256_cmpgt_epi64(_mm256_mullo_epi32(f16, k256(lean_inv)), k256(lean_lim4));
	// the NIC's verdict good, or none and the checksum good
	const __m256i cs_ok =
	    _mm256_or_si256(_mm256_cmpeq_epi64(flags, k256(lean_good)),
	                    _mm256_andnot_si256(csum_bad, _mm256_cmpeq_epi64(flags, _mm256_setzero_si256())));
	// tot where every check passed, else -1
	_mm256_store_si256(reinterpret_cast<__m256i *>(L.pre + j),
	                   lean_blend(_mm256_set1_epi64x(-1), _mm256_or_si256(tot, bad), _mm256_and_si256(ok1, cs_ok)));
}

template <bool Stats> L2TPX_FAST void core_session4(lean_state &L, size_t j) noexcept {
	const __m128i off = _mm_load_si128(reinterpret_cast<const __m128i *>(L.off + j));
	// the gather loads the lanes whose mask has the top bit set: off ^ sign, for off below 2^31
	// (lean_no_off: not loaded, the lane keeps no_session)
	const __m128i idx = _mm_mask_i32gather_epi32(_mm_set1_epi32(-1), reinterpret_cast<const int *>(L.direct), off,
	                                             _mm_xor_si128(off, k128(lean_sign)), 4);
	const __m256i bad = _mm256_cvtepi32_epi64(_mm_cmpgt_epi32(_mm_xor_si128(idx, k128(lean_sign)), L.v_mask_s));
	const __m256i idx64 = _mm256_cvtepu32_epi64(idx);
	const __m256i rec = _mm256_add_epi64(L.v_sessions, _mm256_mul_epu32(idx64, k256(lean_rec)));
	_mm256_store_si256(reinterpret_cast<__m256i *>(L.sp + j), lean_blend(rec, k256(lean_none), bad));
	if (Stats) {
		static_assert(sizeof(session_stats) == 32);
		const __m256i st = _mm256_add_epi64(L.v_stats, _mm256_slli_epi64(idx64, 5));
		_mm256_store_si256(reinterpret_cast<__m256i *>(L.st + j), lean_blend(st, L.v_stats, bad));
	}
#define L2TPX_SESSION_PREFETCH(k)                                                                                      \
	do {                                                                                                           \
		const auto *r = reinterpret_cast<const char *>(L.sp[j + (k)]);                                         \
		rte_prefetch0(r);                                                                                      \
		rte_prefetch0(r + 64);                                                                                 \
		if (Stats)                                                                                             \
			rte_prefetch0(L.st[j + (k)]);                                                                  \
	} while (0)
	L2TPX_SESSION_PREFETCH(0);
	L2TPX_SESSION_PREFETCH(1);
	L2TPX_SESSION_PREFETCH(2);
	L2TPX_SESSION_PREFETCH(3);
#undef L2TPX_SESSION_PREFETCH
}
#else
L2TPX_FAST void lean_vec_init(lean_state &) noexcept {}
L2TPX_FAST void core_route4(lean_state &L, rte_mbuf *const *pkts, size_t j) noexcept {
	for (size_t k = 0; k < 4; k++)
		core_route(L, pkts, j + k);
}
template <bool Stats> L2TPX_FAST void core_session4(lean_state &L, size_t j) noexcept {
	for (size_t k = 0; k < 4; k++)
		core_session<Stats>(L, j + k);
}
#endif

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
// (returns its index) or the burst ends (returns n). No call inside but the rare
// lean_rekey(): what the loop keeps stays in registers. Up to L.quad_end (a multiple of 4)
// the packets go four at a time, the stages first for the four packets 8 ahead (route) and
// 4 ahead (session); a run that starts inside such a group (after a packet of it that
// needed tier 2) finishes the group first, its stages having run. After L.quad_end the
// route stage has run for the whole burst and the session stage runs one packet at a time.
template <bool Stats, bool MultiLocal>
__attribute__((noinline)) size_t lean_run(lean_state &L, burst_out &out, size_t i) noexcept {
	const size_t n = L.n;
	rte_mbuf *const *const pkts = L.pkts;
	size_t n_tx = L.n_tx; // in a register (L's fields are read again after each byte store)
	if (i < L.quad_end) {
		for (; i & 3; i++)
			if (!lean_core<Stats, MultiLocal>(L, pkts[i], i, out, n_tx))
				goto done;
		for (; i < L.quad_end; i += 4) { // a memory operand: no register
			core_route4(L, pkts, i + core_route_ahead);
			core_session4<Stats>(L, i + core_session_ahead);
			if (!lean_core<Stats, MultiLocal>(L, pkts[i], i, out, n_tx))
				goto done;
			if (!lean_core<Stats, MultiLocal>(L, pkts[i + 1], i + 1, out, n_tx)) {
				i += 1;
				goto done;
			}
			if (!lean_core<Stats, MultiLocal>(L, pkts[i + 2], i + 2, out, n_tx)) {
				i += 2;
				goto done;
			}
			if (!lean_core<Stats, MultiLocal>(L, pkts[i + 3], i + 3, out, n_tx)) {
				i += 3;
				goto done;
			}
		}
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
void core_loop(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
               sorter &sort) noexcept {
	lean_state L(c, pkts, n, out.n_tx);
	std::optional<core_env> e; // tiers 2 and 3's snapshot: taken when the burst first needs them
	if (__builtin_expect(L.size == 0, 0)) { // no direct table: tier 1 finds nothing
		e.emplace(c);
		for (size_t i = 0; i < n; i++)
			core_slow(c, *e, in_port, pkts[i], out, sort);
		e->flush(*c.counters);
		return;
	}
	if (L.size > uint32_t{INT32_MAX}) // the stages' offsets stay below 2^31 (tier 2 finds the rest)
		L.size = INT32_MAX;
	// The steady loop takes the packets before quad_end four at a time, the stages for
	// packets [quad_end, quad_end + 8) included: the route stage runs for [8, quad_end + 8)
	// there, for the rest here; the session stage for [4, quad_end + 4) there, [0, 4) here,
	// the rest one at a time after quad_end.
	L.quad_end = n >= core_route_ahead + 4 ? (n - core_route_ahead) & ~size_t{3} : 0;
	const size_t route_end = L.quad_end ? L.quad_end + core_route_ahead : 0;
	{
		lean_vec_init(L);
		size_t j = 0;
		for (; j + 4 <= core_route_ahead && j + 4 <= n; j += 4)
			core_route4(L, pkts, j);
		for (j = std::max(j, route_end); j < n; j++)
			core_route(L, pkts, j);
		if (n >= core_session_ahead) {
			core_session4<Stats>(L, 0);
		} else {
			for (j = 0; j < n; j++)
				core_session<Stats>(L, j);
		}
	}
	for (size_t i = lean_run<Stats, MultiLocal>(L, out, 0); i < n; i = lean_run<Stats, MultiLocal>(L, out, i + 1)) {
		// pkts[i] needs tier 2 or 3; its stages ran
		out.n_tx = static_cast<uint16_t>(L.n_tx);
		if (!e)
			e.emplace(c);
		core_slow(c, *e, in_port, pkts[i], out, sort);
		L.n_other += out.n_tx - L.n_tx;
		L.n_tx = out.n_tx;
	}
	out.n_tx = static_cast<uint16_t>(L.n_tx);
	L.flush(*c.counters, e ? &*e : nullptr);
}

} // namespace

void core_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                sorter &sort) noexcept {
	const bool multi_local = c.view->local_v4_count > 1;
	if (c.stats) {
		if (multi_local)
			core_loop<true, true>(c, in_port, pkts, n, out, sort);
		else
			core_loop<true, false>(c, in_port, pkts, n, out, sort);
	} else {
		if (multi_local)
			core_loop<false, true>(c, in_port, pkts, n, out, sort);
		else
			core_loop<false, false>(c, in_port, pkts, n, out, sort);
	}
}

} // namespace l2tpx::dp::detail
