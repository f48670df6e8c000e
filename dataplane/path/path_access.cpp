// Access ports' burst loop with the fast path on (burst.hpp).
//
// Three tiers per packet, each handling a subset of what the next one handles:
//  1. The lean path (AVX2 builds, this file): the exact layouts of nearly all traffic as
//     straight-line code: L2TPv2 data (plain, or with any of L, S, O, P) and L2TPv3 data
//     over UDP (cookie 0/4/8, no L2SS), carrying FF 03 00 21 + IPv4 without options, with
//     no padding anywhere (the IPv4 total length, UDP length, L2TP Length and inner total
//     length all follow from the frame length); and L2TPv2 control messages (T L S),
//     punted. The outer Ethernet/IPv4/UDP/L2TP header (bytes 12..43) and the PPP + inner
//     IPv4 header are each one masked 32-byte compare whose pattern carries the lengths
//     derived from the frame length, so one branch covers some twenty field checks.
//  2. The fast path (fast_access.hpp): every common layout, with per-field checks.
//  3. The general handlers (handle_access(), decap.cpp).
// A packet the lean path cannot finish is handed over untouched (nothing written, nothing
// counted) to tier 2, which hands it to tier 3 the same way; a packet a tier finishes gets
// exactly the bytes, counters and fate the general path would give it
// (FastPathMatchesGeneralPath and FastPathMatchesGeneralPathInBursts in path_test.cpp).
//
// Prefetch pipeline: frame data of packet i + 12; the session record line, stats entry and,
// with the v2 S bit, the sequence state that packet i + 4's L2TP header selects (a wrong
// guess costs only the prefetch).
#include "dataplane/path/burst.hpp"
#include "dataplane/path/fast_access.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace l2tpx::dp::detail {

namespace {

// The v2 Tunnel ID + Session ID, or v3 Session ID, word of a frame in the common layout:
// after the flags word for v3 and for v2 with L (0x40 in the first byte), else right after
// it; one test of the flags word decides.
L2TPX_FAST void prefetch_access_session(const fast_env &e, const rte_mbuf *m) noexcept {
	if (m->data_len < f_l2tp + 8)
		return;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t w; // memory order: first flags byte in the low half
	uint32_t k2, k4;
	std::memcpy(&w, d + f_l2tp, 2);
	std::memcpy(&k2, d + f_l2tp + 2, 4);
	std::memcpy(&k4, d + f_l2tp + 4, 4);
	// L (0x40 of byte 0) or version 3 (bit 0 of byte 1's version nibble; v2 has it clear)
	const uint32_t key = (w & 0x0140u) ? k4 : k2;
	const uint32_t idx = rte_be_to_cpu_32(key) & e.mask;
	rte_prefetch0(&e.sessions[idx]);
	// A prefetch never faults: no test for a null stats array (integer arithmetic, not
	// pointer arithmetic on a null pointer).
	rte_prefetch0(reinterpret_cast<const void *>(reinterpret_cast<uintptr_t>(e.stats) + idx * sizeof(session_stats)));
	if ((w & 0x0f88u) == 0x0208u) // v2 data with S
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

#if defined(__AVX2__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the lean path compares words in memory order");

// Frame layout the lean path accepts (offsets from the Ethernet header):
//   12 EtherType 0800 | 14 IPv4 45 .. (16 total = len - 14) .. (20 no MF, offset 0) ..
//   23 proto 17 .. 30 dst (the one local address, if one) | 34 UDP .. 36 dport .. (38 UDP
//   length = len - 34, 40 checksum 0) | 42 L2TP flags 00 02 (v2 data) / 00 03 (v3 data) /
//   c8 02 (v2 control) ...
//   v2: 44 Tunnel ID, Session ID | 48 FF 03 00 21 | 52 inner IPv4
//   v2 with L/S/O/P: Length (= len - 42), IDs, Ns Nr, Offset Size + pad | FF 03 00 21 | IPv4
//   v3: 44 reserved | 46 Session ID | 50 cookie (0/4/8) | FF 03 00 21 | inner IPv4
// The A window is bytes 12..43; the B window the 32 bytes from 12 before the inner IPv4
// header: PPP at 8, inner IPv4 at 12 (45 at 12, total length = len - inner offset at 14),
// TTL at 20, protocol 21, source 24, destination 28.
constexpr uint32_t lean_a = 12;             // first byte of the A window
constexpr uint32_t lean_b = 12;             // the B window starts this far before the inner IPv4
constexpr uint32_t lean_min = f_l2tp + 8;   // as fast_access()
constexpr uint32_t lean_v2_ip = 52;         // v2 inner IPv4 header
constexpr uint32_t lean_v3_ip = 54;         // v3 inner IPv4 header without a cookie

alignas(32) constexpr uint8_t lean_want_a[32] = {
    0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 0, ipproto_udp, 0, 0, 0, 0, // 12..27
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                    // 28..43 (port, address set per burst)
};
alignas(32) constexpr uint8_t lean_mask_a[32] = {
    0xff, 0xff, 0xff, 0, 0xff, 0xff, 0, 0, 0x3f, 0xff, 0, 0xff, 0, 0, 0, 0, // ..., total length, frag, proto
    0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0,       // dst (set per burst when one local
                                                                            // address), dport, UDP length,
                                                                            // UDP checksum 0 (else the fast
                                                                            // path verifies it)
};
// PPP + inner IPv4 in the B window: FF 03 00 21, 45, inner total length.
alignas(32) constexpr uint8_t lean_want_b[32] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x03, 0x00, 0x21, 0x45};
alignas(32) constexpr uint8_t lean_mask_b[32] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff};
// The 16-bit lanes that carry lengths, in both windows at once (each window's mask is 0 on
// the other's length lanes): lane 2 (A bytes 16-17, IPv4 total length) = len - 14, lane 13
// (A bytes 38-39, UDP length) = len - 34, lane 7 (B: the inner total length) = len - the
// inner IPv4 offset. Other lanes 0.
alignas(32) constexpr uint16_t lean_len_sel[16] = {0, 0, 0xffff, 0, 0, 0, 0, 0xffff, 0, 0, 0, 0, 0, 0xffff, 0, 0};
constexpr uint16_t lean_len_k(uint32_t lane, uint32_t ip) noexcept {
	return lane == 2 ? 14 : lane == 13 ? 34 : lane == 7 ? static_cast<uint16_t>(ip) : 0;
}
struct lean_k_table {
	alignas(32) uint16_t k[16];
};
constexpr lean_k_table lean_k_for(uint32_t ip) noexcept {
	lean_k_table t{};
	for (uint32_t i = 0; i < 16; i++)
		t.k[i] = lean_len_k(i, ip);
	return t;
}
constexpr lean_k_table lean_k_v2 = lean_k_for(lean_v2_ip);
// Byte swap within each 16-bit lane (vpshufb works per 128-bit half).
alignas(32) constexpr uint8_t lean_swap16[32] = {1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14,
                                                 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14};

L2TPX_FAST __m256i lean_load(const void *p) noexcept {
	return _mm256_loadu_si256(static_cast<const __m256i *>(p));
}

// Per-burst state of the lean path (a local of the burst loop, as fast_env).
struct lean_env {
	__m256i want_a, mask_a; // A window: per port (L2TP port, local address)
	// The next hop last used (UINT32_MAX: none yet): its Ethernet header (dst, src, [8100
	// VLAN,] 0800) right-aligned in 32 bytes, stored in one move so that it ends where the
	// inner IPv4 header starts; the MTU to check (0: no next hop, every packet declined;
	// UINT32_MAX: unchecked), the port, and 52 minus the Ethernet header's length.
	__m256i eth;
	uint32_t nb_index = UINT32_MAX;
	uint32_t nb_mtu = 0;
	uint16_t nb_port = 0;
	uint16_t adj52 = lean_v2_ip - 14; // how far the frame start moves when the inner header is at 52
	uint32_t min_len = lean_min; // 0x10000 (never) when the lean path is off: several local addresses
	__m128i punt_lo;             // punt_meta's first 16 bytes for a v2 control message on this port

	lean_env(const fast_env &e, uint16_t in_port) noexcept {
		alignas(32) uint8_t want[32], mask[32];
		std::memcpy(want, lean_want_a, 32);
		std::memcpy(mask, lean_mask_a, 32);
		store_be16(want + 36 - lean_a, e.view->l2tp_udp_port);
		if (e.local_v4_count == 1) { // none: any address; several: the lean path is off
			std::memcpy(want + 30 - lean_a, &e.view->local_v4[0], 4);
			std::memset(mask + 30 - lean_a, 0xff, 4);
		}
		want_a = lean_load(want);
		mask_a = lean_load(mask);
		eth = _mm256_setzero_si256();
		if (e.local_v4_count > 1)
			min_len = 0x10000;
		const uint64_t w0 = uint64_t{punt_meta_magic} | uint64_t{punt_meta_version} << 16 |
		                    uint64_t{static_cast<uint8_t>(punt_reason::l2tp_control)} << 24 | uint64_t{in_port} << 32 |
		                    uint64_t{l2tp::version_v2} << 48 | uint64_t{4} << 56;
		const uint64_t w1 = uint64_t{f_ip} | uint64_t{f_udp} << 16 | uint64_t{f_l2tp} << 32 | uint64_t{f_l2tp} << 48;
		punt_lo = _mm_set_epi64x(static_cast<long long>(w1), static_cast<long long>(w0));
		if (!e.core_v4) // every packet goes to the default next hop: resolved once per burst
			set_nb(e, e.default_nh_v4);
	}

	// Caches next hop nh as fast_route_v4() validates it; false: the fast path decides.
	__attribute__((noinline)) bool set_nb(const fast_env &e, uint32_t nh) noexcept {
		if (nh >= e.neighbour_count)
			return false;
		const neighbour &n = e.neighbours[nh];
		if (!__atomic_load_n(&n.valid, __ATOMIC_ACQUIRE))
			return false;
		static_assert(offsetof(neighbour, dst_mac) == 0 && offsetof(neighbour, src_mac) == 6 && sizeof(neighbour) >= 16);
		uint32_t len = 14;
		if (n.vlan == 0) { // the MACs moved to bytes 2..13 of the upper half, 08 00 after them
			alignas(16) static constexpr int8_t to_eth[16] = {-1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1, -1};
			alignas(16) static constexpr uint8_t type_ipv4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00};
			const __m128i macs = _mm_loadu_si128(reinterpret_cast<const __m128i *>(&n));
			const __m128i hi = _mm_or_si128(_mm_shuffle_epi8(macs, _mm_load_si128(reinterpret_cast<const __m128i *>(to_eth))),
			                                _mm_load_si128(reinterpret_cast<const __m128i *>(type_ipv4)));
			eth = _mm256_inserti128_si256(_mm256_setzero_si256(), hi, 1);
		} else {
			alignas(32) uint8_t h[32] = {};
			len = 18;
			uint8_t *p = h + 32 - len;
			std::memcpy(p, n.dst_mac, 12); // dst_mac, src_mac
			store_be16(p + 12, eth_vlan);
			store_be16(p + 14, n.vlan);
			store_be16(h + 30, eth_ipv4);
			eth = lean_load(h);
		}
		adj52 = static_cast<uint16_t>(lean_v2_ip - len);
		nb_port = n.port;
		const tables_view &v = *e.view;
		nb_mtu = n.port < max_ports && v.ports[n.port].mtu ? v.ports[n.port].mtu : UINT32_MAX;
		nb_index = nh;
		return true;
	}
};

// The expected lengths of a frame of `len` bytes (bc: len in every 16-bit lane) with the
// inner IPv4 header at 52, big-endian in their lanes, 0 elsewhere. For the B window of a
// frame whose inner header is at ip instead, pass len - (ip - 52): lane 7 is then len - ip.
L2TPX_FAST __m256i lean_lengths(__m256i bc, const lean_k_table &k = lean_k_v2) noexcept {
	const __m256i x = _mm256_and_si256(bc, _mm256_load_si256(reinterpret_cast<const __m256i *>(lean_len_sel)));
	return _mm256_shuffle_epi8(_mm256_sub_epi16(x, _mm256_load_si256(reinterpret_cast<const __m256i *>(k.k))),
	                           _mm256_load_si256(reinterpret_cast<const __m256i *>(lean_swap16)));
}

// The B window at d + ip - lean_b matches (PPP IPv4, 45, inner total length in lens).
L2TPX_FAST bool lean_b_ok(const uint8_t *d, uint32_t ip, __m256i lens) noexcept {
	const __m256i want = _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i *>(lean_want_b)), lens);
	return _mm256_testz_si256(_mm256_xor_si256(lean_load(d + ip - lean_b), want),
	                          _mm256_load_si256(reinterpret_cast<const __m256i *>(lean_mask_b)));
}

// The receive checksum verdict of fast_rx_csum_ok() for the common flag values: none
// (software check) or IPv4 header good and L4 not bad. Anything else: the fast path decides.
// (The A window takes only a zero UDP checksum: a non-zero one is the fast path's.)
L2TPX_FAST bool lean_rx_csum_ok(const rte_mbuf *m, const uint8_t *d) noexcept {
	const uint64_t f = m->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	if (f == 0)
		return lean_hdr20_csum_ok(d + f_ip);
	return (f & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	       (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

// Session counters: two adds (the compiler would otherwise pair them in a vector).
L2TPX_FAST void lean_count_rx(session_stats &st, uint64_t bytes) noexcept {
	asm("addq $1, %[p]\n\t"
	    "addq %[b], %[by]"
	    : [p] "+m"(st.rx_packets), [by] "+m"(st.rx_bytes)
	    : [b] "r"(bytes)
	    : "cc");
}

// The session's state (low byte) and rx_fast (high byte) in one acquire load: they are
// adjacent (session.hpp) and the writer stores rx_fast before it releases state.
typedef uint16_t __attribute__((may_alias)) lean_u16;
L2TPX_FAST uint32_t lean_state_rx(const session &s) noexcept {
	return __atomic_load_n(reinterpret_cast<const lean_u16 *>(&s.state), __ATOMIC_ACQUIRE);
}
// lean_state_rx() of an up session whose rx_fast has every bit of need (mask: the bits to test).
constexpr uint32_t lean_up_with(uint8_t need) noexcept {
	return static_cast<uint8_t>(session_state::up) | uint32_t{need} << 8;
}
constexpr uint32_t lean_up_mask(uint8_t need) noexcept { return 0xffu | uint32_t{need} << 8; }

// accept_seq(st, ns, 16, ctr) with the atomic builtins on the same fields (the members of
// std::atomic_ref are not always inlined).
L2TPX_FAST bool lean_accept_seq16(session_seq &st, uint32_t ns, const fast_env &e) noexcept {
	if (__builtin_expect(__atomic_load_n(&st.rx_valid, __ATOMIC_RELAXED) != 0, 1)) {
		const uint32_t diff = (ns - __atomic_load_n(&st.rx_next, __ATOMIC_RELAXED)) & 0xffffu;
		if (diff >= 0x8000u)
			return false;
		if (__builtin_expect(diff != 0, 0))
			e.ctx->counters->count(path_event::seq_gap);
	} else {
		__atomic_store_n(&st.rx_valid, 1u, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&st.rx_next, (ns + 1) & 0xffffu, __ATOMIC_RELAXED);
	return true;
}

// The inner part of a v2/v3 data frame whose outer header and session matched; `ip` is the
// inner IPv4 offset, `lens` the lengths for it, `seq` (when not null) the sequence state
// to apply after every other check. True when the packet was forwarded (appended at
// out.tx[n_tx]); false: untouched.
template <bool Lpm, bool Stats, bool Seq = false>
L2TPX_FAST bool lean_forward(lean_env &L, fast_env &e, rte_mbuf *m, uint8_t *d, uint32_t len, uint32_t ip,
                             __m256i lens, const session &s, session_stats *st, session_seq *seq, uint32_t ns,
                             burst_out &out, uint16_t &n_tx) noexcept {
	if (!lean_b_ok(d, ip, lens))
		return false;
	const uint8_t *h = d + ip;
	// TTL would expire, or multicast / broadcast / class E: the fast path decides.
	if (h[8] <= 1 || h[16] >= 0xe0)
		return false;
	if ((s.flags & session_flag::check_source) && load_be32(h + 12) != s.subscriber_v4)
		return false;
	if (s.mss_clamp && h[9] == ipproto_tcp)
		return false;
	if constexpr (Lpm) { // else the default next hop, resolved per burst
		uint32_t nh;
		if (rte_lpm_lookup(e.core_v4, load_be32(h + 16), &nh) != 0)
			nh = e.default_nh_v4;
		if (nh != L.nb_index && !L.set_nb(e, nh))
			return false;
	}
	const uint32_t itot = len - ip;
	if (itot > L.nb_mtu)
		return false;
	if (Seq && !lean_accept_seq16(*seq, ns, e))
		return false; // nothing changed: the fast path drops it (seq_out_of_order)
	// Committed.
	lean_ttl_dec(d + ip);
	_mm256_storeu_si256(reinterpret_cast<__m256i *>(d + ip - 32), L.eth); // ends at the inner header
	const uint32_t adj = ip - lean_v2_ip + L.adj52; // the inner header minus the new Ethernet header
	m->data_off = static_cast<uint16_t>(m->data_off + adj);
	const uint32_t nl = len - adj;
	m->data_len = static_cast<uint16_t>(nl);
	m->pkt_len = nl;
	m->ol_flags = 0;
	if constexpr (Stats)
		lean_count_rx(*st, itot);
	out.tx_port[n_tx] = L.nb_port;
	out.tx[n_tx++] = m;
	return true;
}

// A v2 control message (T L S, Ver 2) whose outer header matched: punted as
// fast_punt_control() does. False: untouched.
L2TPX_FAST bool lean_punt(const lean_env &L, fast_env &e, rte_mbuf *m, const uint8_t *d, uint32_t len,
                          burst_out &out) noexcept {
	if (m->data_off < sizeof(punt_meta))
		return false;
	const uint64_t tid = load_be16(d + f_l2tp + 4);
	m->data_off = static_cast<uint16_t>(m->data_off - sizeof(punt_meta));
	m->data_len = static_cast<uint16_t>(len + sizeof(punt_meta));
	m->pkt_len = len + sizeof(punt_meta);
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
	const uint64_t w2 = uint64_t{len - f_l2tp} | tid << 32;
	const uint64_t w3 = uint64_t{no_session} << 32;
	_mm_storeu_si128(reinterpret_cast<__m128i *>(h), L.punt_lo);
	_mm_storeu_si128(reinterpret_cast<__m128i *>(h + 16),
	                 _mm_set_epi64x(static_cast<long long>(w3), static_cast<long long>(w2)));
	e.punt_l2tp_control++;
	out.punt[out.n_punt++] = m;
	return true;
}

// L2TPv2 data with some of L, S, O, P (fast_access()'s second case) and no padding: the
// Length field, when present, is the whole L2TP message. f: the flags byte (T L x x S x O P,
// T clear); every offset follows from its bits.
template <bool Lpm, bool Stats, bool Seq>
L2TPX_FAST bool lean_v2_flags(lean_env &L, fast_env &e, rte_mbuf *m, uint8_t *d, uint32_t len, uint32_t f,
                              const session &s, session_stats *st, burst_out &out, uint16_t &n_tx) noexcept {
	static_assert(l2tp::flag_length == 0x4000 && l2tp::flag_sequence == 0x0800 && l2tp::flag_offset == 0x0200);
	const uint32_t key_at = f_l2tp + 2 + ((f >> 5) & 2); // after the Length field (L)
	const uint32_t os_at = key_at + 4 + ((f >> 1) & 4);  // after Ns and Nr (S)
	uint32_t ip = os_at + 4;                             // PPP header, then the inner IPv4 header
	if (f & 0x02)                                        // O: Offset Size and that many pad bytes
		ip += 2 + load_be16(d + os_at); // within the data room (len >= lean_min); checked below
	if (len < ip + 20 || ip < f_l2tp + 2 + lean_b || ((f & 0x40) && load_be16(d + f_l2tp + 2) != len - f_l2tp))
		return false;
	uint32_t key, src;
	std::memcpy(&key, d + key_at, 4);
	std::memcpy(&src, d + f_ip + 12, 4);
	constexpr uint8_t need = Seq ? rx_fast::v2 : rx_fast::v2 | rx_fast::v2_noseq;
	if ((lean_state_rx(s) & lean_up_mask(need)) != lean_up_with(need) || s.rx_key != key || s.peer_v4 != src)
		return false;
	const __m256i lens = lean_lengths(_mm256_set1_epi16(static_cast<short>(len - (ip - lean_v2_ip))));
	session_seq *seq = nullptr;
	uint32_t ns = 0;
	if constexpr (Seq) {
		seq = &e.seq[rte_be_to_cpu_32(key) & e.mask];
		ns = load_be16(d + key_at + 4);
	}
	if (!lean_forward<Lpm, Stats, Seq>(L, e, m, d, len, ip, lens, s, st, seq, ns, out, n_tx))
		return false;
	e.decap_v2++;
	return true;
}

// One packet through the lean path; false: untouched, the fast path decides. Lpm: e.core_v4
// is set; Stats: e.stats is.
template <bool Lpm, bool Stats>
L2TPX_FAST bool lean_access(lean_env &L, fast_env &e, rte_mbuf *m, const session &s, session_stats *st,
                            burst_out &out, uint16_t &n_tx) noexcept {
	const uint32_t len = m->data_len;
	if (len != m->pkt_len || len < L.min_len)
		return false;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	const __m256i bc = _mm256_set1_epi16(static_cast<short>(len));
	const __m256i lens = lean_lengths(bc);
	if (!_mm256_testz_si256(_mm256_xor_si256(lean_load(d + lean_a), _mm256_xor_si256(L.want_a, lens)), L.mask_a))
		return false;
	if (!lean_rx_csum_ok(m, d))
		return false;
	uint16_t w;
	std::memcpy(&w, d + f_l2tp, 2);
	if (w == 0x0200) { // v2 data, no optional fields
		if (len < lean_v2_ip + 20)
			return false;
		uint32_t key, src;
		std::memcpy(&key, d + f_l2tp + 2, 4);
		std::memcpy(&src, d + f_ip + 12, 4);
		// rx_fast is v2 | v2_noseq exactly (build_session() derives no other bit with v2)
		if (lean_state_rx(s) != lean_up_with(rx_fast::v2 | rx_fast::v2_noseq) || s.rx_key != key || s.peer_v4 != src)
			return false;
		if (!lean_forward<Lpm, Stats>(L, e, m, d, len, lean_v2_ip, lens, s, st, nullptr, 0, out, n_tx))
			return false;
		e.decap_v2++;
		return true;
	}
	if (w == 0x0300) { // v3 data over UDP
		uint32_t key, src;
		std::memcpy(&key, d + f_l2tp + 4, 4);
		std::memcpy(&src, d + f_ip + 12, 4);
		if ((lean_state_rx(s) & lean_up_mask(rx_fast::v3)) != lean_up_with(rx_fast::v3) || s.rx_key != key ||
		    s.peer_v4 != src)
			return false;
		// rx_cookie_len is 0, 4 or 8 (build_session() refuses anything else)
		const uint32_t clen = s.rx_cookie_len;
		const uint32_t ip = lean_v3_ip + clen;
		if (len < ip + 20)
			return false;
		// The cookie bytes after the Session ID against the record's, compared under a mask
		// of clen bytes; 8 bytes are within the frame: len >= ip + 20.
		static constexpr uint64_t cookie_mask[4] = {0, 0xffffffffu, ~uint64_t{0}, ~uint64_t{0}};
		uint64_t pc, sc;
		std::memcpy(&pc, d + f_l2tp + 8, 8);
		std::memcpy(&sc, s.rx_cookie, 8);
		if ((pc ^ sc) & cookie_mask[(clen >> 2) & 3])
			return false;
		const __m256i lens3 = lean_lengths(_mm256_set1_epi16(static_cast<short>(len - (ip - lean_v2_ip))));
		if (!lean_forward<Lpm, Stats>(L, e, m, d, len, ip, lens3, s, st, nullptr, 0, out, n_tx))
			return false;
		e.decap_v3++;
		return true;
	}
	if (w == 0x02c8) // v2 control: T L S
		return lean_punt(L, e, m, d, len, out);
	if ((w & 0xffb4u) == 0x0200u) // v2 data with some of L (0x40), S (0x08), O (0x02), P (0x01)
		return (w & 0x08) ? lean_v2_flags<Lpm, Stats, true>(L, e, m, d, len, w & 0xffu, s, st, out, n_tx)
		                  : lean_v2_flags<Lpm, Stats, false>(L, e, m, d, len, w & 0xffu, s, st, out, n_tx);
	return false;
}

// The fast path and the general handlers for a packet the lean path left: out.tx has
// n_tx packets; returns the new count.
__attribute__((noinline)) uint16_t access_slow(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf *m,
                                               burst_out &out, sorter &sort, uint16_t n_tx) noexcept {
	if (!e.access_hdr_set)
		e.set_access_hdr();
	out.n_tx = n_tx;
	access_one(c, e, in_port, m, out, sort);
	return out.n_tx;
}

// Session stage of the lean path for packet j: the session record and stats entry its
// L2TP header selects (as prefetch_access_session()), prefetched and kept in sl for the
// lean path (which then only checks that the record is the packet's). A frame shorter
// than lean_min selects slot 0, which costs only the prefetch: the lean path uses no slot
// for a frame that short.
struct lean_slots {
	const session *s[max_burst];
	session_stats *st[max_burst];
};

template <bool Stats>
L2TPX_FAST void lean_stage(const fast_env &e, rte_mbuf *const *pkts, uint32_t j, lean_slots &sl) noexcept {
	const rte_mbuf *m = pkts[j];
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t w = 0, k2 = 0, k4 = 0; // flags word in memory order, ID words at 44 and 46
	if (__builtin_expect(m->data_len >= lean_min, 1)) {
		std::memcpy(&w, d + f_l2tp, 2);
		std::memcpy(&k2, d + f_l2tp + 2, 4);
		std::memcpy(&k4, d + f_l2tp + 4, 4);
	}
	// L (0x40 of byte 0) or version 3 (bit 0 of byte 1's version nibble; v2 has it clear)
	const uint32_t idx = rte_be_to_cpu_32((w & 0x0140u) ? k4 : k2) & e.mask;
	const session *s = &e.sessions[idx];
	sl.s[j] = s;
	rte_prefetch0(s);
	if constexpr (Stats) {
		sl.st[j] = &e.stats[idx];
		rte_prefetch0(sl.st[j]);
	}
	if ((w & 0x0f88u) == 0x0208u) // v2 data with S
		rte_prefetch0(&e.seq[idx]);
}

// The burst after the first data prefetches: the session stage one group of four ahead,
// then the lean path, else the slow one, per packet.
template <bool Lpm, bool Stats>
void lean_burst(const path_ctx &c, fast_env &e, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                sorter &sort) noexcept {
	lean_env L(e, in_port);
	lean_slots sl; // written by the stage before the lean path reads an entry
	uint16_t n_tx = out.n_tx; // out.n_tx is stale while the lean path appends
	uint32_t i = 0;
	for (; i < n && i < session_ahead; i++)
		lean_stage<Stats>(e, pkts, i, sl);
	for (i = 0; i + data_ahead < n; i++) { // both prefetches in range
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + data_ahead], void *));
		lean_stage<Stats>(e, pkts, i + session_ahead, sl);
		if (!lean_access<Lpm, Stats>(L, e, pkts[i], *sl.s[i], sl.st[i], out, n_tx))
			n_tx = access_slow(c, e, in_port, pkts[i], out, sort, n_tx);
	}
	for (; i < n; i++) {
		if (i + session_ahead < n)
			lean_stage<Stats>(e, pkts, i + session_ahead, sl);
		if (!lean_access<Lpm, Stats>(L, e, pkts[i], *sl.s[i], sl.st[i], out, n_tx))
			n_tx = access_slow(c, e, in_port, pkts[i], out, sort, n_tx);
	}
	out.n_tx = n_tx;
}
#endif

} // namespace

void access_burst(const path_ctx &c, uint16_t in_port, rte_mbuf **pkts, uint16_t n, burst_out &out,
                  sorter &sort) noexcept {
	if (n >= data_ahead) {
#pragma GCC unroll 12
		for (uint16_t i = 0; i < data_ahead; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	} else {
		for (uint16_t i = 0; i < n; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	}
	fast_env e(c);
#if defined(__AVX2__)
	// Two branches of every packet decided once per burst: a core route table to look up,
	// session counters to update.
	if (e.core_v4)
		e.stats ? lean_burst<true, true>(c, e, in_port, pkts, n, out, sort)
		        : lean_burst<true, false>(c, e, in_port, pkts, n, out, sort);
	else
		e.stats ? lean_burst<false, true>(c, e, in_port, pkts, n, out, sort)
		        : lean_burst<false, false>(c, e, in_port, pkts, n, out, sort);
#else
	e.set_access_hdr();
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
#endif
	e.flush(*c.counters);
}

} // namespace l2tpx::dp::detail
