// The core ports' fast path (see fast_path.hpp for the contract): untagged IPv4 to a PPP
// session, encapsulated from the session's template. Inlined into the core burst loop
// (path_core.cpp). Not a public header.
//
// Three tiers, each a strict subset of the next, each handing a packet it cannot finish
// over untouched (nothing written, nothing counted); a packet a tier finishes gets exactly
// the bytes, counters and fate the general path would give it:
//  1. lean_core(): the session already found by the burst loop's prefetch stages (through
//     the direct /32 entry), a template of the lean form (template_layout::tx_hlen != 0:
//     PPP, UDP over untagged IPv4, no sequence number to write, at most 64 bytes), every
//     length patch and the outer checksum from the total length, fixed offsets throughout,
//     the template copied with two 32-byte moves, no call.
//  2. fast_core(): any PPP session behind an IPv4 or IPv6 template, the LPM included.
//  3. handle_core() (encap.cpp): everything.
#pragma once

#include "dataplane/path/fast_path.hpp"

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

// The outer IPv4 header checksum (host order) from the sum of the rest of the header
// (base, at most 0xffff) and the total length: base + len folded once (the sum is at most
// 0x1fffe), inverted.
L2TPX_FAST uint16_t lean_outer_csum(uint16_t base, uint16_t len) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
	asm("addw %[l], %[b]\n\t"
	    "adcw $0, %[b]"
	    : [b] "+r"(base)
	    : [l] "r"(len)
	    : "cc");
	return static_cast<uint16_t>(~base);
#else
	uint32_t sum = static_cast<uint32_t>(base) + len;
	sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
#endif
}

// Copies the lean template (32 <= len <= 64 bytes, ending at d + 14) in front of the inner
// packet: bytes [0, 32) to h = d + 14 - len and bytes [len - 32, len) to d - 18.
L2TPX_FAST void lean_copy(uint8_t *h, uint8_t *d, const uint8_t *t, uint32_t len) noexcept {
#if defined(__AVX2__) && defined(__GNUC__)
	// In asm: as intrinsics, the 32-byte values make GCC realign the stack and lose a register.
	using b32 = uint8_t[32];
	asm("vmovdqu %[t0], %%ymm0\n\t"
	    "vmovdqu %[t1], %%ymm1\n\t"
	    "vmovdqu %%ymm0, %[h0]\n\t"
	    "vmovdqu %%ymm1, %[h1]"
	    : [h0] "=m"(*reinterpret_cast<b32 *>(h)), [h1] "=m"(*reinterpret_cast<b32 *>(d - 18))
	    : [t0] "m"(*reinterpret_cast<const b32 *>(t)), [t1] "m"(*reinterpret_cast<const b32 *>(t + len - 32))
	    : "xmm0", "xmm1");
#else
	uint8_t a[32], b[32]; // both loaded before either store: [h, h + 32) may overlap the second
	std::memcpy(a, t, 32);
	std::memcpy(b, t + len - 32, 32);
	std::memcpy(h, a, 32);
	std::memcpy(d - 18, b, 32);
#endif
}

// The session the session stage gives a packet whose entry names none: state free, so
// tier 1 hands the packet on (to a tier that looks the route up again).
inline constexpr session lean_no_session{};

// The burst's state for tier 1 and the prefetch stages that feed it (path_core.cpp).
struct lean_state {
	rte_mbuf **pkts;
	uint32_t n;
	size_t steady_end; // first packet whose route stage is out of range (path_core.cpp)
	// route stage
	const uint32_t *direct;
	uint32_t base, size, local0; // core_env's sub_v4_base, sub_v4_direct_size, local0
	const uint32_t *no_entry;    // a direct entry holding no_session (path_core.cpp)
	uint32_t vsum = 0;           // sum of the L2TP versions (2 or 3) of the lean encapsulations:
	                             // 2 * lean + the v3 ones (not next to n_tx: GCC would pair
	                             // the two increments into a vector add)
	// session stage
	uint32_t mask;
	const session *sessions;
	session_stats *stats; // null: Stats is false
	// tier 1
	const tables_view *view;
	size_t cport = SIZE_MAX; // egress port of the last lean encapsulation (none yet)
	size_t cmtu = 0;         // its largest outer IPv4 total length (MTU, or 0xffff)
	uint32_t n_tx;               // out.n_tx, written back around tiers 2 and 3 (lean_run()
	                             // keeps it in a register)
	uint32_t n_tx0;              // out.n_tx at the start of the burst
	uint32_t n_other = 0;        // packets tiers 2 and 3 appended to out.tx
	const uint32_t *entry[max_burst]; // route stage: each packet's direct /32 entry
	const session *sp[max_burst]; // session stage: each packet's session record (or lean_no_session)
	session_stats *st[max_burst]; // and stats entry (Stats)

	lean_state(const core_env &e, const uint32_t *none, rte_mbuf **p, uint16_t count, uint16_t tx) noexcept
	    : pkts(p), n(count), steady_end(0), direct(e.sub_v4_direct), base(e.sub_v4_base), size(e.sub_v4_direct_size),
	      local0(e.local0), no_entry(none), mask(e.mask), sessions(e.sessions), stats(e.stats), view(e.view), n_tx(tx),
	      n_tx0(tx) {}
	void flush(core_env &e) const noexcept {
		const uint32_t lean = n_tx - n_tx0 - n_other;
		const uint32_t v3 = vsum - 2 * lean;
		e.encap_v3 += v3;
		e.encap_v2 += lean - v3;
	}
};

// Largest outer IPv4 total length egress port p takes (encap_session()'s too_big test).
__attribute__((noinline)) inline uint32_t lean_port_limit(const tables_view &v, uint32_t p) noexcept {
	return p < max_ports && v.ports[p].mtu ? v.ports[p].mtu : 0xffffu;
}

// Tier 1 for packet i, whose session the prefetch stages found through its destination's
// direct /32 entry (L.sp[i]; lean_no_session: none). True when the packet was encapsulated and
// appended to out.tx at n_tx (the caller's copy of L.n_tx, which it increments); false with
// it and every counter untouched.
// Makes every check of handle_core() + encap_session() for this layout: session up, one
// segment, EtherType IPv4, IHL 5, 20 <= total length <= frame - 14, TTL > 1, the header
// checksum (the NIC's verdict or computed), not a local address (the route stage tested
// the first one; MultiLocal: the others here), MTU of the egress port, headroom.
template <bool Stats, bool MultiLocal>
L2TPX_FAST bool lean_core(lean_state &L, rte_mbuf *m, size_t i, burst_out &out, size_t &n_tx) noexcept {
	const session *s = L.sp[i];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != session_state::up)
		return false;
	const size_t hlen = s->layout.tx_hlen; // 0: not the lean form
	if (hlen == 0)
		return false;
	const size_t len = m->data_len;
	if (len != m->pkt_len)
		return false;
	const size_t data_off = m->data_off;
	uint8_t *d = static_cast<uint8_t *>(m->buf_addr) + data_off;
	if ((load_be32(d + 12) & 0xffffff00u) != 0x08004500u) // IPv4, version 4, IHL 5
		return false;
	const size_t tot = load_be32(d + 14) & 0xffff; // zero-extended once (a 16-bit load is not)
	// 20 <= tot <= len - 14 (so len >= 34), as one signed compare
	if (static_cast<int64_t>(static_cast<uint32_t>(tot) - 20u) > static_cast<int64_t>(len) - 34)
		return false;
	if (d[22] <= 1) // TTL: the general path sends Time Exceeded
		return false;
	const uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (__builtin_expect(f != 0, 0)) {
		if (f != RTE_MBUF_F_RX_IP_CKSUM_GOOD)
			return false;
	} else if (!lean_hdr20_csum_ok(d + 14)) {
		return false;
	}
	if (MultiLocal && is_local_v4(*L.view, d + 30))
		return false;
	const size_t ip_len = tot + hlen; // outer IPv4 total length
	const size_t port = s->egress_port;
	if (__builtin_expect(port != L.cport, 0)) {
		L.cport = port;
		L.cmtu = lean_port_limit(*L.view, static_cast<uint32_t>(port));
	}
	if (ip_len > L.cmtu || data_off < hlen) // too big (ICMP error) or no headroom
		return false;
	// A TCP SYN to a session with an MSS clamp: tier 2 clamps (its flags byte is read even
	// beyond a short frame: the data room is larger; a wrong guess only hands the packet on).
	if (__builtin_expect(s->mss_clamp != 0, 0) && d[23] == ipproto_tcp && (d[14 + 20 + 13] & 0x02))
		return false;
	// Committed: TTL, strip Ethernet, encapsulate.
	lean_ttl_dec(d + 14);
	uint8_t *h = d - hlen;
	lean_copy(h, d, s->tmpl, hlen + 14);
	store_be16(d + 12, ppp::proto::ipv4); // the PPP protocol, the template's last two bytes
	store_be16(h + 16, static_cast<uint16_t>(ip_len));
	store_be16(h + 38, static_cast<uint16_t>(ip_len - 20)); // UDP length
	if (s->layout.l2tp_len_off) // at byte 44
		store_be16(h + 44, static_cast<uint16_t>(ip_len - 28));
	store_be16(h + 24, lean_outer_csum(s->layout.ip_csum_base, static_cast<uint16_t>(ip_len)));
	m->data_off = static_cast<uint16_t>(m->data_off - hlen); // read again: one subtract in memory
	const uint32_t frame = static_cast<uint32_t>(ip_len + 14);
	m->data_len = static_cast<uint16_t>(frame);
	m->pkt_len = frame;
	m->ol_flags = 0;
	if (Stats) {
		session_stats *st = L.st[i];
		st->tx_bytes += ip_len - hlen; // tot
		asm("" : "+r"(st)); // two scalar adds, not a vector built for one 16-byte add
		st->tx_packets++;
	}
	L.vsum += s->version; // 2 or 3, as build_session() sets it (in memory: a register is
	                      // worth more for the rest)
	out.tx_port[n_tx] = s->egress_port; // read again: cheaper than keeping it in a register
	out.tx[n_tx] = m;
	n_tx++;
	return true;
}

} // namespace l2tpx::dp::detail
