// The core ports' fast path (see fast_path.hpp for the contract): untagged IPv4 to a PPP
// session, encapsulated from the session's template. Inlined into the core burst loop
// (path_core.cpp). Not a public header.
//
// Three tiers, each a strict subset of the next, each handing a packet it cannot finish
// over untouched (nothing written, nothing counted); a packet a tier finishes gets exactly
// the bytes, counters and fate the general path would give it:
//  1. lean_core(): the session already found and the frame already checked by the burst
//     loop's prefetch stages (through the direct /32 entry; lean_pre()), a template of the
//     lean form (session::tx_lean != 0: PPP, UDP over untagged IPv4, no sequence number to
//     write, at most 62 bytes, in the record's second line), what depends on the template
//     form, egress port and version cached per run of sessions with one key, every length
//     patch and the outer checksum from the total length, fixed offsets throughout, the
//     template copied with two 32-byte moves, no call.
//  2. fast_core(): any PPP session behind an IPv4 or IPv6 template, the LPM included.
//  3. handle_core() (encap.cpp): everything.
#pragma once

#include "dataplane/path/fast_path.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace l2tpx::dp::detail {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the core fast path compares words in memory order");

// Per-burst snapshot for the core ports' tiers 2 and 3 (as fast_env for the access ports:
// see fast_path.hpp) and the burst's encapsulation events.
struct core_env {
	const path_ctx *ctx;
	const tables_view *view;
	const session *sessions;
	session_seq *seq;
	session_stats *stats; // may be null
	rte_lpm *sub_v4;
	const uint32_t *sub_v4_direct;
	uint32_t mask;
	uint32_t sub_v4_base, sub_v4_direct_size;
	uint8_t local_v4_count;
	// The prefetch stage's local address test (path_core.cpp): the first local address in
	// host order, or, with none configured, an address whose direct-table offset is out of
	// range (so the test changes nothing).
	uint32_t local0;
	uint32_t encap_v2 = 0, encap_v3 = 0;

	explicit core_env(const path_ctx &c) noexcept
	    : ctx(&c), view(c.view), sessions(c.view->sessions), seq(c.view->seq), stats(c.stats),
	      sub_v4(c.view->sub_v4), sub_v4_direct(c.view->sub_v4_direct), mask(c.view->session_mask),
	      sub_v4_base(0), sub_v4_direct_size(__atomic_load_n(&c.view->sub_v4_direct_size, __ATOMIC_ACQUIRE)),
	      local_v4_count(c.view->local_v4_count) {
		sub_v4_base = c.view->sub_v4_base; // after the size (acquire), as lookup_sub_v4 reads them
		local0 = local_v4_count ? rte_be_to_cpu_32(c.view->local_v4[0]) : sub_v4_base - 1;
	}
	void flush(path_counters &ctr) const noexcept {
		ctr.count(path_event::encap_v2, encap_v2);
		ctr.count(path_event::encap_v3, encap_v3);
	}
};

// Downstream IPv4 match from the burst's snapshot: the direct /32 table, then the LPM
// (lookup_sub_v4()).
L2TPX_FAST bool fast_sub_v4(const core_env &e, uint32_t dst, uint32_t &idx) noexcept {
	const uint32_t off = dst - e.sub_v4_base;
	if (off < e.sub_v4_direct_size) {
		const uint32_t i = __atomic_load_n(&e.sub_v4_direct[off], __ATOMIC_RELAXED);
		if (i != no_session) {
			idx = i;
			return true;
		}
	}
	return e.sub_v4 && rte_lpm_lookup(e.sub_v4, dst, &idx) == 0;
}

// MSS clamp of an untagged IPv4 packet without options at d (total length tot), counted.
__attribute__((noinline)) inline void fast_core_mss(core_env &e, rte_mbuf *m, uint8_t *d, uint32_t len, uint32_t tot,
                                                    uint16_t clamp) noexcept {
	const pkt p{m, d, len, len};
	const l3_info in{14, 20, 14 + tot, ipproto_tcp, 4};
	if (mss_clamp_ip(p, in, clamp))
		e.ctx->counters->count(path_event::mss_clamped);
}

// Core port: untagged IPv4 without options, one segment, to a subscriber route of a PPP
// session. Declines, with the packet and counters untouched, anything else and anything
// the encapsulation could refuse (too big for the access port, no headroom).
L2TPX_FAST fast_res fast_core(core_env &e, rte_mbuf *m, burst_out &out, action &a) noexcept {
	const uint32_t len = m->data_len;
	if (len != m->pkt_len || len < 34)
		return fast_res::declined;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	if ((load_be32(d + 12) & 0xffffff00u) != 0x08004500u)
		return fast_res::declined;
	const uint32_t tot = load_be16(d + 16);
	if (tot < 20 || tot > len - 14 || d[22] <= 1 ||
	    ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	     ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD || !fast_hdr20_csum_ok(d + 14))))
		return fast_res::declined;
	const tables_view &v = *e.view;
	if (e.local_v4_count && is_local_v4(v, d + 30))
		return fast_res::declined;
	uint32_t idx;
	if (!fast_sub_v4(e, load_be32(d + 30), idx) || idx > e.mask)
		return fast_res::declined;
	const session &s = e.sessions[idx];
	if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.pw != pw_type::ppp)
		return fast_res::declined;
	const template_layout &l = s.layout;
	const bool outer_v4 = !is_ipv6(s.encap);
	const uint16_t port = s.egress_port;
	const uint32_t outer_ip_len = l.len - l.ip_off + tot;
	if (outer_v4 && ((port < max_ports && v.ports[port].mtu && outer_ip_len > v.ports[port].mtu) ||
	                 outer_ip_len > 0xffff || m->data_off + 14u < l.len))
		return fast_res::declined; // too_big (ICMP error) or no_headroom: the general path
	// Committed (as handle_core after its checks): TTL, MSS clamp, strip Ethernet, encapsulate.
	uint8_t *ih = d + 14;
	ipv4_ttl_dec(ih);
	if (s.mss_clamp && ih[9] == ipproto_tcp)
		fast_core_mss(e, m, d, len, tot, s.mss_clamp);
	if (!outer_v4) { // IPv6 outer header: UDP checksum over the packet; encap_session()
		m->data_off = static_cast<uint16_t>(m->data_off + 14);
		m->data_len = static_cast<uint16_t>(tot);
		m->pkt_len = tot;
		a = encap_session(*e.ctx, m, s, idx, tot, ppp::proto::ipv4);
		return fast_res::act;
	}
	// encap_session() for an IPv4 outer header, whose checks were made above.
	uint8_t *h = ih - l.len;
	copy_template(h, s.tmpl, l.len);
	if (l.ppp_proto_off)
		store_be16(h + l.ppp_proto_off, ppp::proto::ipv4);
	if (l.seq_off) {
		if (s.version == 2) {
			store_be16(h + l.seq_off, static_cast<uint16_t>(next_tx_seq(e.seq[idx], 16)));
		} else {
			uint32_t word = 0;
			if (s.flags & session_flag::send_seq)
				word = 0x40000000u | next_tx_seq(e.seq[idx], 24);
			store_be32(h + l.seq_off, word);
		}
	}
	if (l.l2tp_len_off)
		store_be16(h + l.l2tp_len_off, static_cast<uint16_t>(l.len - l.l2tp_off + tot));
	if (l.udp_off)
		store_be16(h + l.udp_off + 4, static_cast<uint16_t>(l.len - l.udp_off + tot));
	uint8_t *oip = h + l.ip_off;
	store_be16(oip + 2, static_cast<uint16_t>(outer_ip_len));
	uint32_t sum = static_cast<uint32_t>(l.ip_csum_base) + outer_ip_len;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	store_be16(oip + 10, static_cast<uint16_t>(~sum));
	m->data_off = static_cast<uint16_t>(m->data_off + 14 - l.len);
	m->data_len = static_cast<uint16_t>(l.len + tot);
	m->pkt_len = l.len + tot;
	m->ol_flags = 0;
	if (e.stats) {
		e.stats[idx].tx_packets++;
		e.stats[idx].tx_bytes += tot;
	}
	if (s.version == 2)
		e.encap_v2++;
	else
		e.encap_v3++;
	fast_append_tx(out, m, port);
	return fast_res::done;
}

// ---- tier 1: the lean encapsulation ----

// The outer IPv4 header checksum (host order) from the inverted sum of the rest of the
// header (nbase = ~base, session::tx_csum_base) and the total length: ~(base + len folded
// once) is nbase - len with an end-around borrow (a 16-bit subtract and subtract with
// borrow; equal for every base and length: checked for all 2^32 pairs).
L2TPX_FAST uint16_t lean_outer_csum(uint16_t nbase, uint16_t len) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
	asm("subw %[l], %[b]\n\t"
	    "sbbw $0, %[b]"
	    : [b] "+r"(nbase)
	    : [l] "r"(len)
	    : "cc");
	return nbase;
#else
	const uint32_t d = static_cast<uint32_t>(nbase) - len;
	return static_cast<uint16_t>(d - (d >> 31)); // a borrow: one less (modulo 2^16)
#endif
}

// The second 32-byte move's bytes ORed in: the PPP protocol IPv4 in its last two bytes,
// the template's placeholder (zero).
struct alignas(32) lean_ppp_ipv4_t {
	uint8_t b[32];
};
inline constexpr lean_ppp_ipv4_t lean_ppp_ipv4{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x21}};

#if defined(__AVX2__)
L2TPX_FAST __m256i lean_ppp_ipv4_vec() noexcept {
	return _mm256_load_si256(reinterpret_cast<const __m256i *>(lean_ppp_ipv4.b));
}
#endif

// Copies the lean template (32 <= len <= 62 bytes, ending at d + 14) in front of the inner
// packet, with the PPP protocol IPv4 (the template's last two bytes): bytes [0, 32) to
// h = d + 14 - len and bytes [len - 32, len) to d - 18.
L2TPX_FAST void lean_copy(uint8_t *h, uint8_t *d, const uint8_t *t, size_t len) noexcept {
#if defined(__AVX2__) && defined(__GNUC__)
	// In asm: as intrinsics, the 32-byte values make GCC realign the stack and lose a register.
	using b32 = uint8_t[32];
	asm("vmovdqu %[t0], %%ymm0\n\t"
	    "vpor %[t1], %[k], %%ymm1\n\t"
	    "vmovdqu %%ymm0, %[h0]\n\t"
	    "vmovdqu %%ymm1, %[h1]"
	    : [h0] "=m"(*reinterpret_cast<b32 *>(h)), [h1] "=m"(*reinterpret_cast<b32 *>(d - 18))
	    : [t0] "m"(*reinterpret_cast<const b32 *>(t)), [t1] "m"(*reinterpret_cast<const b32 *>(t + len - 32)),
	      [k] "x"(lean_ppp_ipv4_vec())
	    : "xmm0", "xmm1");
#else
	uint8_t a[32], b[32]; // both loaded before either store: [h, h + 32) may overlap the second
	std::memcpy(a, t, 32);
	std::memcpy(b, t + len - 32, 32);
	std::memcpy(h, a, 32);
	std::memcpy(d - 18, b, 32);
	store_be16(d + 12, ppp::proto::ipv4);
#endif
}

// The session the session stage gives a packet whose entry names none: state free, so
// tier 1 hands the packet on (to a tier that looks the route up again).
inline constexpr session lean_no_session{};

// The burst's state for tier 1 and the prefetch stages that feed it (path_core.cpp).
struct lean_state {
	rte_mbuf **pkts;
	uint32_t n;
	// route stage
	const uint32_t *direct;
	uint32_t base, size, local0; // as core_env's sub_v4_base, sub_v4_direct_size, local0
	// session stage
	uint32_t mask;
	const session *sessions;
	session_stats *stats; // null: Stats is false
	// tier 1: the values of the current run of sessions with one key (the 64-bit word
	// egress_port .. tx_lean, session.hpp), set by lean_rekey()
	const tables_view *view;
	uint64_t ckey = ~uint64_t{0}; // the key (none yet: no session has tx_lean 0xffff)
	size_t chlen = 0;             // tx_hlen
	size_t cmtu = 0;              // largest outer IPv4 total length of the egress port (MTU, or 0xffff)
	size_t clen_off = 0;          // where the L2TP Length goes (from the new frame start): 44, or
	                              // without one the outer header checksum (written after it)
	bool cmss = false;            // MSS clamp on
	bool cv3 = false;             // L2TPv3
	uint32_t mark = 0;            // lean encapsulations before the current run
	uint32_t v3 = 0;              // lean L2TPv3 encapsulations of the runs before it
	uint32_t n_tx;                // out.n_tx, written back around tiers 2 and 3 (lean_run()
	                              // keeps it in a register)
	uint32_t n_tx0;               // out.n_tx at the start of the burst
	uint32_t n_other = 0;         // packets tiers 2 and 3 appended to out.tx
	size_t quad_end = 0; // end of the packets tier 1 takes four at a time (path_core.cpp)
#if defined(__AVX2__)
	// the AVX2 stages' per-burst constants (path_core.cpp, lean_vec_init())
	__m128i v_base, v_local0, v_size_m1s, v_mask_s;
	__m256i v_sessions, v_stats;
#endif
	alignas(32) uint32_t off[max_burst]; // route stage: each packet's direct /32 entry (its offset
	                                     // in the table), or UINT32_MAX for none
	alignas(32) uint8_t *dp[max_burst];  // and its frame data (rte_pktmbuf_mtod())
	alignas(32) int64_t pre[max_burst];  // and tier 1's frame checks (lean_pre()): the inner total
	                                     // length, or -1
	alignas(32) const session *sp[max_burst]; // session stage: each packet's session record (or lean_no_session)
	alignas(32) session_stats *st[max_burst]; // and stats entry (Stats)

	// The burst's snapshot of the tables, as core_env takes it.
	lean_state(const path_ctx &c, rte_mbuf **p, uint16_t count, uint16_t tx) noexcept
	    : pkts(p), n(count), direct(c.view->sub_v4_direct), base(0),
	      size(__atomic_load_n(&c.view->sub_v4_direct_size, __ATOMIC_ACQUIRE)), local0(0),
	      mask(c.view->session_mask), sessions(c.view->sessions), stats(c.stats), view(c.view), n_tx(tx), n_tx0(tx) {
		base = c.view->sub_v4_base; // after the size (acquire), as lookup_sub_v4 reads them
		local0 = c.view->local_v4_count ? rte_be_to_cpu_32(c.view->local_v4[0]) : base - 1;
	}
	// Lean encapsulations so far, with n_tx the TX count.
	uint32_t lean(size_t tx) const noexcept { return static_cast<uint32_t>(tx) - n_tx0 - n_other; }
	// Counts the burst's encapsulations: tier 1's, and tiers 2 and 3's (e, when they ran).
	void flush(path_counters &ctr, const core_env *e) const noexcept {
		const uint32_t all = lean(n_tx);
		uint32_t v3_all = v3 + (cv3 ? all - mark : 0), v2_all = all - v3_all;
		if (e) {
			v2_all += e->encap_v2;
			v3_all += e->encap_v3;
		}
		ctr.count(path_event::encap_v2, v2_all);
		ctr.count(path_event::encap_v3, v3_all);
	}
};

// A session whose key differs from the run's (the rare case: not inlined): false when its
// template is not of the lean form (the cached values stay); else ends the current run
// (its encapsulations counted for its version, n_tx being the TX count) and caches the
// values of the new key: template length, the egress port's limit (encap_session()'s
// too_big test), where the L2TP Length goes, MSS clamp, version.
__attribute__((noinline)) inline bool lean_rekey(lean_state &L, uint64_t key, size_t n_tx) noexcept {
	const uint32_t lean = static_cast<uint32_t>(key >> 48);
	if (lean == 0)
		return false;
	const uint32_t now = L.lean(n_tx);
	if (L.cv3)
		L.v3 += now - L.mark;
	L.mark = now;
	L.ckey = key;
	L.chlen = lean & 0xff;
	const uint32_t p = static_cast<uint16_t>(key);
	L.cmtu = p < max_ports && L.view->ports[p].mtu ? L.view->ports[p].mtu : 0xffffu;
	L.clen_off = (lean & tx_lean_flag::l2tp_len) ? 44 : 24;
	L.cmss = (lean & tx_lean_flag::mss) != 0;
	L.cv3 = ((lean >> 8) & 3) == 3;
	return true;
}

// Tier 1's checks of the frame alone, made by the route stage (path_core.cpp; its AVX2 form
// makes the same on four frames): one segment, EtherType IPv4, IHL 5, 20 <= total length
// <= frame - 14, TTL > 1 (else the general path sends Time Exceeded), the header checksum
// (the NIC's verdict "good", or none and computed), headroom for the longest lean template
// (so that tier 1 needs no headroom test; with less, tier 2 makes the exact one). The inner
// total length, or -1.
L2TPX_FAST int64_t lean_pre(const rte_mbuf *m, const uint8_t *d) noexcept {
	const size_t len = m->data_len;
	if (len != m->pkt_len || (load_be32(d + 12) & 0xffffff00u) != 0x08004500u) // IPv4, version 4, IHL 5
		return -1;
	if (m->data_off < max_lean_template - 14) // headroom for any lean template
		return -1;
	const size_t tot = load_be16(d + 16);
	if (tot < 20 || tot + 14 > len || d[22] <= 1)
		return -1;
	const uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD || (f == 0 && lean_hdr20_csum_ok(d + 14)))
		return static_cast<int64_t>(tot);
	return -1;
}

// Tier 1 for packet i, whose session the prefetch stages found through its destination's
// direct /32 entry (L.sp[i]; lean_no_session: none). True when the packet was encapsulated and
// appended to out.tx at n_tx (the caller's copy of L.n_tx, which it increments); false with
// it and every counter untouched.
// Makes every check of handle_core() + encap_session() for this layout: session up, the
// frame's checks (lean_pre(), made by the route stage), not a local address (the route
// stage tested the first one; MultiLocal: the others here), MTU of the egress port,
// headroom. What
// depends on the session's template form, egress port and version is one compare of its
// key (session::tx_lean) with the run's (lean_rekey()).
template <bool Stats, bool MultiLocal>
L2TPX_FAST bool lean_core(lean_state &L, rte_mbuf *m, size_t i, burst_out &out, size_t &n_tx) noexcept {
	const session *s = L.sp[i];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != session_state::up)
		return false;
	uint64_t key;
	std::memcpy(&key, &s->egress_port, 8);
	if (__builtin_expect(key != L.ckey, 0) && !lean_rekey(L, key, n_tx))
		return false; // not the lean form
	const int64_t pre = L.pre[i]; // the frame's checks (route stage)
	if (pre < 0)
		return false;
	const size_t tot = static_cast<size_t>(pre);
	uint8_t *d = L.dp[i];
	if (MultiLocal && is_local_v4(*L.view, d + 30))
		return false;
	const size_t hlen = L.chlen;
	const size_t ip_len = tot + hlen; // outer IPv4 total length
	if (ip_len > L.cmtu) // too big: the general path sends the ICMP error (the headroom: lean_pre())
		return false;
	// A TCP SYN to a session with an MSS clamp: tier 2 clamps (its flags byte is read even
	// beyond a short frame: the data room is larger; a wrong guess only hands the packet on).
	if (__builtin_expect(L.cmss, 0) && d[23] == ipproto_tcp && (d[14 + 20 + 13] & 0x02))
		return false;
	// Committed: TTL, strip Ethernet, encapsulate.
	lean_ttl_dec(d + 14);
	uint8_t *h = d - hlen;
	lean_copy(h, d, s->tmpl, hlen + 14);
	store_be16(h + 16, static_cast<uint16_t>(ip_len));
	store_be16(h + 38, static_cast<uint16_t>(ip_len - 20)); // UDP length
	// the L2TP Length at byte 44, or without one into the header checksum (written next)
	store_be16(h + L.clen_off, static_cast<uint16_t>(ip_len - 28));
	store_be16(h + 24, lean_outer_csum(s->tx_csum_base, static_cast<uint16_t>(ip_len)));
	m->data_off = static_cast<uint16_t>(m->data_off - hlen); // read again: one subtract in memory
	const uint32_t frame = static_cast<uint32_t>(ip_len + 14);
	m->data_len = static_cast<uint16_t>(frame);
	m->pkt_len = frame;
	m->ol_flags = 0;
	if (Stats) {
		session_stats *st = L.st[i];
		st->tx_bytes += tot;
		asm("" : "+r"(st)); // two scalar adds, not a vector built for one 16-byte add
		st->tx_packets++;
	}
	out.tx_port[n_tx] = static_cast<uint16_t>(L.ckey);
	out.tx[n_tx] = m;
	n_tx++;
	return true;
}

} // namespace l2tpx::dp::detail
