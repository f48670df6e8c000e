// The packet paths' fast path and the encapsulation step, inlined into the burst loop
// (path.cpp) and shared with the general handlers (decap.cpp, encap.cpp). Not a public header.
//
// The common frame layout is handled by straight-line code with fixed offsets: one
// segment, untagged Ethernet, IPv4 without options, UDP to the L2TP port, then
//   L2TPv2 data (L, S, O, P bits allowed) or L2TPv3 data (cookie 0/4/8, no L2SS), both
//   carrying PPP IPv4 (with or without FF 03) that leaves by a valid neighbour; or
//   an L2TP control message (punted);
// and on core ports untagged IPv4 to a PPP session behind an IPv4 template.
// Anything else, or any doubt about the outcome, returns fast_res::declined with the packet
// and every counter untouched, and the general parser (decap.cpp, encap.cpp) decides. Any
// other result is what the general path would have decided, with the same side effects:
// fast_res::done means the packet was appended to burst_out::tx; fast_res::act hands back
// an action (a punt, a sequence drop).
//
// Everything the fast path reads for every packet is snapshotted once per burst into a
// fast_env, a local of the burst loop that the compiler keeps in registers or on the
// stack: the stores into packet bytes (through uint8_t *, which may alias anything) would
// otherwise force a reload of every table pointer for each packet. Event counters are
// summed in the fast_env and added to path_counters once per burst (fast_env::flush).
// The outer Ethernet/IPv4/UDP header of a received frame is compared with an expected
// pattern under a mask in one go (fast_hdr_match: two 16-byte compares with SSE4.1, four
// 64-bit ones without).
#pragma once

#include <rte_lpm.h>
#include <rte_lpm6.h>

#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif

#include "dataplane/path/path_internal.hpp"
#include "shared/l2tp/peek.hpp"
#include "shared/ppp/protocol.hpp"

#define L2TPX_FAST inline __attribute__((always_inline))

namespace l2tpx::dp::detail {

// Offsets in the common layout: IPv4 header, UDP header, L2TP header.
inline constexpr uint32_t f_ip = 14, f_udp = 34, f_l2tp = 42;

// Bytes 12..43 of a frame in the common layout (EtherType, IPv4 header, UDP header, L2TP
// flags word) against an expected pattern under a mask, both in memory order.
struct fast_hdr_match {
	static constexpr uint32_t first = 12, size = 32;
#if defined(__SSE4_1__)
	__m128i want0, mask0, want1, mask1;
	void set(const uint8_t (&want)[size], const uint8_t (&mask)[size]) noexcept {
		want0 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(want));
		want1 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(want + 16));
		mask0 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(mask));
		mask1 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(mask + 16));
	}
	// d has at least first + size readable bytes.
	L2TPX_FAST bool operator()(const uint8_t *d) const noexcept {
		const __m128i a = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i *>(d + first)), want0);
		const __m128i b = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i *>(d + first + 16)), want1);
		return _mm_testz_si128(a, mask0) & _mm_testz_si128(b, mask1);
	}
#else
	uint64_t want_w[4], mask_w[4];
	void set(const uint8_t (&want)[size], const uint8_t (&mask)[size]) noexcept {
		std::memcpy(want_w, want, size);
		std::memcpy(mask_w, mask, size);
	}
	L2TPX_FAST bool operator()(const uint8_t *d) const noexcept {
		uint64_t w[4];
		std::memcpy(w, d + first, size);
		return (((w[0] ^ want_w[0]) & mask_w[0]) | ((w[1] ^ want_w[1]) & mask_w[1]) |
		        ((w[2] ^ want_w[2]) & mask_w[2]) | ((w[3] ^ want_w[3]) & mask_w[3])) == 0;
	}
#endif
};

// Per-burst snapshot of the tables (see the header comment) and the burst's event counts.
// The snapshot is as valid as per-packet reads: the writer changes a table only after an
// RCU grace period, which ends between bursts.
struct fast_env {
	const path_ctx *ctx;
	const tables_view *view;
	const session *sessions;
	session_seq *seq;
	session_stats *stats; // may be null
	const neighbour *neighbours;
	rte_lpm *core_v4;
	rte_lpm *sub_v4;
	const uint32_t *sub_v4_direct;
	uint32_t mask;
	uint32_t neighbour_count;
	uint32_t default_nh_v4;
	uint32_t sub_v4_base, sub_v4_direct_size;
	uint8_t local_v4_count;
	// The last next hop the decap path used in this burst (fast_route_v4): valid when
	// looked up, its port, the port's MTU (UINT32_MAX: unchecked) and its VLAN. Until one
	// is cached, nb_mtu 0 fails every packet's MTU compare, so a next hop index equal to
	// the initial nb_index (UINT32_MAX: no default route) is declined, never used.
	uint32_t nb_index = UINT32_MAX;
	const neighbour *nb = nullptr;
	uint32_t nb_mtu = 0;
	uint16_t nb_port = 0, nb_vlan = 0;
	fast_hdr_match access_hdr; // access ports: EtherType IPv4, IHL 5, not a fragment, UDP to
	                           // the L2TP port, to the one local address if exactly one
	uint32_t decap_v2 = 0, decap_v3 = 0, encap_v2 = 0, encap_v3 = 0, punt_l2tp_control = 0;

	explicit fast_env(const path_ctx &c) noexcept
	    : ctx(&c), view(c.view), sessions(c.view->sessions), seq(c.view->seq), stats(c.stats),
	      neighbours(c.view->neighbours), core_v4(c.view->core_v4), sub_v4(c.view->sub_v4),
	      sub_v4_direct(c.view->sub_v4_direct), mask(c.view->session_mask),
	      neighbour_count(c.view->neighbour_count),
	      default_nh_v4(__atomic_load_n(&c.view->default_nh_v4, __ATOMIC_ACQUIRE)), sub_v4_base(0),
	      sub_v4_direct_size(__atomic_load_n(&c.view->sub_v4_direct_size, __ATOMIC_ACQUIRE)),
	      local_v4_count(c.view->local_v4_count) {
		sub_v4_base = c.view->sub_v4_base; // after the size (acquire), as lookup_sub_v4 reads them
		uint8_t want[fast_hdr_match::size] = {}, msk[fast_hdr_match::size] = {};
		const auto at = [](uint32_t frame_off) { return frame_off - fast_hdr_match::first; };
		want[at(12)] = 0x08, msk[at(12)] = 0xff; // EtherType IPv4
		want[at(13)] = 0x00, msk[at(13)] = 0xff;
		want[at(14)] = 0x45, msk[at(14)] = 0xff;               // version 4, IHL 5
		msk[at(20)] = 0x3f, msk[at(21)] = 0xff;                // MF, fragment offset: 0
		want[at(23)] = ipproto_udp, msk[at(23)] = 0xff;        // protocol
		want[at(36)] = static_cast<uint8_t>(c.view->l2tp_udp_port >> 8), msk[at(36)] = 0xff;
		want[at(37)] = static_cast<uint8_t>(c.view->l2tp_udp_port), msk[at(37)] = 0xff;
		if (local_v4_count == 1) { // more than one: is_local_v4() after the match
			std::memcpy(want + at(30), &c.view->local_v4[0], 4);
			std::memset(msk + at(30), 0xff, 4);
		}
		access_hdr.set(want, msk);
	}
	void flush(path_counters &ctr) const noexcept {
		ctr.count(path_event::decap_v2, decap_v2);
		ctr.count(path_event::decap_v3, decap_v3);
		ctr.count(path_event::encap_v2, encap_v2);
		ctr.count(path_event::encap_v3, encap_v3);
		ctr.count(path_event::punt_l2tp_control, punt_l2tp_control);
	}
};

enum class fast_res : uint8_t { declined, done, act };

L2TPX_FAST void fast_append_tx(burst_out &out, rte_mbuf *m, uint16_t port) noexcept {
	out.tx_port[out.n_tx] = port;
	out.tx[out.n_tx++] = m;
}

// True when the 20-byte IPv4 header at h has a valid checksum (RFC 1071), as
// ipv4_hdr20_csum_ok() but with add-with-carry: two 64-bit words and one 32-bit word summed
// with end-around carry, folded to 32 bits with one more carry, then to 16.
L2TPX_FAST bool fast_hdr20_csum_ok(const uint8_t *h) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
	uint64_t a, b;
	uint32_t c;
	std::memcpy(&a, h, 8);
	std::memcpy(&b, h + 8, 8);
	std::memcpy(&c, h + 16, 4);
	asm("addq %[b], %[a]\n\t"
	    "adcq %[c], %[a]\n\t"
	    "adcq $0, %[a]"
	    : [a] "+r"(a)
	    : [b] "r"(b), [c] "r"(uint64_t{c})
	    : "cc");
	uint32_t lo = static_cast<uint32_t>(a);
	const uint32_t hi = static_cast<uint32_t>(a >> 32);
	asm("addl %[hi], %[lo]\n\t"
	    "adcl $0, %[lo]"
	    : [lo] "+r"(lo)
	    : [hi] "r"(hi)
	    : "cc");
	uint32_t s = (lo & 0xffffu) + (lo >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return s == 0xffffu;
#else
	return ipv4_hdr20_csum_ok(h);
#endif
}

// The receive checksum verdicts, honouring the NIC's flags: L4 not marked bad, the IPv4
// header (20 bytes at h20) marked good, or not marked bad and verified here.
L2TPX_FAST bool fast_rx_csum_ok(const rte_mbuf *m, const uint8_t *h20) noexcept {
	const uint64_t f = m->ol_flags;
	if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	const uint64_t ip = f & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	return ip != RTE_MBUF_F_RX_IP_CKSUM_BAD && fast_hdr20_csum_ok(h20);
}

// Upstream forwarding of the inner IPv4 packet at d + ip (IHL 5, itot bytes, ending at or
// before the L2TP payload end); `seq` (when not null) is the sequence state to apply
// after every other check, as decap_v2/decap_v3 do before deliver().
L2TPX_FAST fast_res fast_route_v4(fast_env &e, rte_mbuf *m, uint8_t *d, uint32_t ip, uint32_t itot, const session &s,
                                  uint32_t idx, session_seq *seq, uint32_t ns, uint32_t bits, burst_out &out,
                                  action &a) noexcept {
	const tables_view &v = *e.view;
	uint8_t *h = d + ip;
	if ((s.flags & session_flag::check_source) && load_be32(h + 12) != s.subscriber_v4)
		return fast_res::declined;
	// Multicast (first byte 224..239) or limited broadcast, or TTL would expire: the general
	// path decides (compared in memory order, swapped only for the LPM).
	uint32_t dst_raw;
	std::memcpy(&dst_raw, h + 16, 4);
	if ((h[16] & 0xf0) == 0xe0 || dst_raw == 0xffffffffu || h[8] <= 1)
		return fast_res::declined;
	uint32_t nh;
	if (!e.core_v4 || rte_lpm_lookup(e.core_v4, rte_be_to_cpu_32(dst_raw), &nh) != 0)
		nh = e.default_nh_v4;
	if (nh != e.nb_index) { // a next hop seen in this burst is not looked up again
		if (nh >= e.neighbour_count)
			return fast_res::declined;
		const neighbour &n = e.neighbours[nh];
		if (!__atomic_load_n(&n.valid, __ATOMIC_ACQUIRE))
			return fast_res::declined; // unresolved: glean in the general path
		e.nb_index = nh;
		e.nb = &n;
		e.nb_port = n.port;
		e.nb_vlan = n.vlan;
		e.nb_mtu = n.port < max_ports && v.ports[n.port].mtu ? v.ports[n.port].mtu : UINT32_MAX;
	}
	if (itot > e.nb_mtu)
		return fast_res::declined;
	const uint16_t port = e.nb_port;
	if (seq && !accept_seq(*seq, ns, bits, *e.ctx->counters)) {
		a = drop(drop_reason::seq_out_of_order);
		return fast_res::act;
	}
	// Committed: from here on the packet is forwarded.
	ipv4_ttl_dec(h);
	if (s.mss_clamp && h[9] == ipproto_tcp) {
		const pkt p{m, d, m->data_len, m->pkt_len};
		const l3_info in{ip, 20, ip + itot, ipproto_tcp, 4};
		if (mss_clamp_ip(p, in, s.mss_clamp))
			e.ctx->counters->count(path_event::mss_clamped);
	}
	const uint16_t vlan = e.nb_vlan;
	const uint32_t eth_len = vlan ? 18 : 14;
	uint8_t *eh = h - eth_len;
	std::memcpy(eh, e.nb->dst_mac, 12); // dst_mac, src_mac
	if (vlan) {
		store_be16(eh + 12, eth_vlan);
		store_be16(eh + 14, vlan);
	}
	store_be16(h - 2, eth_ipv4);
	m->data_off = static_cast<uint16_t>(m->data_off + ip - eth_len);
	m->data_len = static_cast<uint16_t>(eth_len + itot);
	m->pkt_len = eth_len + itot;
	m->ol_flags = 0;
	if (e.stats) {
		e.stats[idx].rx_packets++;
		e.stats[idx].rx_bytes += itot;
	}
	if (s.version == 2)
		e.decap_v2++;
	else
		e.decap_v3++;
	fast_append_tx(out, m, port);
	return fast_res::done;
}

// PPP IPv4 at d + h (FF 03 0021 or 0021) up to `end`: the inner header's offset and length.
L2TPX_FAST bool fast_ppp_ipv4(const uint8_t *d, uint32_t h, uint32_t end, uint32_t &ip, uint32_t &itot) noexcept {
	if (end < h + 24)
		return false;
	if (load_be32(d + h) == 0xff030021u)
		ip = h + 4;
	else if (load_be16(d + h) == ppp::proto::ipv4)
		ip = h + 2;
	else
		return false;
	if (d[ip] != 0x45)
		return false;
	itot = load_be16(d + ip + 2);
	return itot >= 20 && ip + itot <= end;
}

L2TPX_FAST fast_res fast_punt_control(fast_env &e, uint16_t in_port, rte_mbuf *m, const uint8_t *d, uint16_t w,
                                      uint32_t end, action &a) noexcept {
	const uint8_t ver = w & l2tp::version_mask;
	uint32_t tid = 0;
	if (ver == l2tp::version_v2) {
		const uint32_t id_off = f_l2tp + ((w & l2tp::flag_length) ? 4 : 2);
		if (id_off + 2 <= end)
			tid = load_be16(d + id_off);
	}
	if (m->data_off < sizeof(punt_meta))
		return fast_res::declined;
	m->data_off = static_cast<uint16_t>(m->data_off - sizeof(punt_meta));
	m->data_len = static_cast<uint16_t>(m->data_len + sizeof(punt_meta));
	m->pkt_len += sizeof(punt_meta);
	write_punt_meta(rte_pktmbuf_mtod(m, uint8_t *),
	                {punt_reason::l2tp_control, in_port, ver, 4, f_ip, f_udp, f_l2tp, f_l2tp,
	                 static_cast<uint16_t>(end - f_l2tp), 0, tid, 0, no_session});
	e.punt_l2tp_control++;
	a = punted();
	return fast_res::act;
}

L2TPX_FAST fast_res fast_access(fast_env &e, uint16_t in_port, rte_mbuf *m, burst_out &out, action &a) noexcept {
	const uint32_t len = m->data_len;
	if (len != m->pkt_len || len < f_l2tp + 8)
		return fast_res::declined;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	// EtherType IPv4, version 4, IHL 5, not a fragment (MF, offset), protocol UDP, UDP to
	// the L2TP port, and to our address when exactly one is configured.
	if (!e.access_hdr(d))
		return fast_res::declined;
	const uint32_t tot = load_be16(d + f_ip + 2);
	const uint32_t ulen = load_be16(d + f_udp + 4);
	if (tot > len - f_ip || ulen < 16 || ulen + 20 > tot)
		return fast_res::declined;
	if (!fast_rx_csum_ok(m, d + f_ip))
		return fast_res::declined;
	if (e.local_v4_count > 1 && !is_local_v4(*e.view, d + f_ip + 16))
		return fast_res::declined;
	uint32_t end = f_udp + ulen;
	const uint16_t w = load_be16(d + f_l2tp);
	uint32_t src;
	std::memcpy(&src, d + f_ip + 12, 4);

	if (w == l2tp::version_v2) { // L2TPv2 data without optional fields: the common case
		uint32_t key;
		std::memcpy(&key, d + f_l2tp + 2, 4);
		const uint32_t idx = rte_be_to_cpu_32(key) & e.mask; // session_index_v2()
		const session &s = e.sessions[idx];
		if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.rx_key != key ||
		    (s.rx_fast & (rx_fast::v2 | rx_fast::v2_noseq)) != (rx_fast::v2 | rx_fast::v2_noseq) || s.peer_v4 != src)
			return fast_res::declined;
		uint32_t ip, itot;
		if (!fast_ppp_ipv4(d, f_l2tp + 6, end, ip, itot))
			return fast_res::declined;
		return fast_route_v4(e, m, d, ip, itot, s, idx, nullptr, 0, 0, out, a);
	}
	if ((w & 0xb4ffu) == l2tp::version_v2) { // L2TPv2 data; L, S, O, P allowed
		const uint32_t fixed = 6 + ((w & l2tp::flag_length) ? 2 : 0) + ((w & l2tp::flag_sequence) ? 4 : 0) +
		                       ((w & l2tp::flag_offset) ? 2 : 0);
		if (end - f_l2tp < fixed)
			return fast_res::declined;
		uint32_t h = f_l2tp + 2;
		if (w & l2tp::flag_length) {
			const uint32_t l = load_be16(d + h);
			if (l < fixed || l > end - f_l2tp)
				return fast_res::declined;
			end = f_l2tp + l;
			h += 2;
		}
		uint32_t key;
		std::memcpy(&key, d + h, 4);
		h += 4;
		uint32_t ns = 0;
		if (w & l2tp::flag_sequence) {
			ns = load_be16(d + h);
			h += 4;
		}
		if (w & l2tp::flag_offset) {
			h += 2 + load_be16(d + h);
			if (h > end)
				return fast_res::declined;
		}
		const uint32_t idx = rte_be_to_cpu_32(key) & e.mask;
		const session &s = e.sessions[idx];
		const uint8_t need = (w & l2tp::flag_sequence) ? rx_fast::v2 : rx_fast::v2 | rx_fast::v2_noseq;
		if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.rx_key != key ||
		    (s.rx_fast & need) != need || s.peer_v4 != src)
			return fast_res::declined;
		uint32_t ip, itot;
		if (!fast_ppp_ipv4(d, h, end, ip, itot))
			return fast_res::declined;
		return fast_route_v4(e, m, d, ip, itot, s, idx, (w & l2tp::flag_sequence) ? &e.seq[idx] : nullptr, ns, 16,
		                     out, a);
	}
	if ((w & 0x800fu) == l2tp::version_v3) { // L2TPv3 data over UDP
		uint32_t key;
		std::memcpy(&key, d + f_l2tp + 4, 4);
		const uint32_t idx = rte_be_to_cpu_32(key) & e.mask; // session_index_v3()
		const session &s = e.sessions[idx];
		if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.rx_key != key ||
		    !(s.rx_fast & rx_fast::v3) || s.peer_v4 != src)
			return fast_res::declined;
		uint32_t h = f_l2tp + 8;
		if (s.rx_cookie_len) {
			if (end - h < s.rx_cookie_len)
				return fast_res::declined;
			const bool ok = s.rx_cookie_len == 4 ? std::memcmp(d + h, s.rx_cookie, 4) == 0
			                                     : std::memcmp(d + h, s.rx_cookie, 8) == 0;
			if (!ok)
				return fast_res::declined;
			h += s.rx_cookie_len;
		}
		uint32_t ip, itot;
		if (!fast_ppp_ipv4(d, h, end, ip, itot))
			return fast_res::declined;
		return fast_route_v4(e, m, d, ip, itot, s, idx, nullptr, 0, 0, out, a);
	}
	if ((w & 0x800fu) == (l2tp::flag_type | l2tp::version_v2) || (w & 0x800fu) == (l2tp::flag_type | l2tp::version_v3))
		return fast_punt_control(e, in_port, m, d, w, end, a);
	return fast_res::declined;
}

// Copies a template of len bytes (32 <= len <= max_template) with 32-byte moves, the last
// one overlapping, instead of a variable-length memcpy (rep movsb: slow to start for ~50
// bytes). Every template has Ethernet + IP + an L2TP session ID, so at least 38 bytes.
L2TPX_FAST void copy_template(uint8_t *dst, const uint8_t *src, uint32_t len) noexcept {
	static_assert(max_template >= 32 && max_template <= 96, "three 32-byte moves cover a template");
	assert(len >= 32 && len <= max_template);
	std::memcpy(dst, src, 32);
	if (len > 64) // IPv6, VLAN or cookie templates: at most 96 bytes
		std::memcpy(dst + 32, src + 32, 32);
	std::memcpy(dst + len - 32, src + len - 32, 32);
}


// Prepends s's template in front of the payload that now starts the mbuf (payload_len
// bytes), patches it and returns the action. `ppp_proto` is ignored for Ethernet PWs.
L2TPX_FAST action encap_session(const path_ctx &c, rte_mbuf *m, const session &s, uint32_t idx, uint32_t payload_len,
                                uint16_t ppp_proto) noexcept {
	const template_layout &l = s.layout;
	const uint32_t outer_ip_len = l.len - l.ip_off + payload_len;
	const tables_view &v = *c.view;
	if ((s.egress_port < max_ports && v.ports[s.egress_port].mtu && outer_ip_len > v.ports[s.egress_port].mtu) ||
	    outer_ip_len > 0xffff)
		return encap_too_big(v, m, s, ppp_proto); // ICMP error hook (path_internal.hpp)
	uint8_t *h = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, l.len));
	if (!h)
		return drop(drop_reason::no_headroom);
	copy_template(h, s.tmpl, l.len);

	if (l.ppp_proto_off)
		store_be16(h + l.ppp_proto_off, ppp_proto);
	if (l.seq_off) {
		if (s.version == 2) {
			store_be16(h + l.seq_off, static_cast<uint16_t>(next_tx_seq(v.seq[idx], 16)));
		} else {
			uint32_t word = 0;
			if (s.flags & session_flag::send_seq)
				word = 0x40000000u | next_tx_seq(v.seq[idx], 24);
			store_be32(h + l.seq_off, word);
		}
	}
	if (l.l2tp_len_off)
		store_be16(h + l.l2tp_len_off, static_cast<uint16_t>(l.len - l.l2tp_off + payload_len));
	if (l.udp_off)
		store_be16(h + l.udp_off + 4, static_cast<uint16_t>(l.len - l.udp_off + payload_len));

	uint8_t *ip = h + l.ip_off;
	if (!is_ipv6(s.encap)) {
		store_be16(ip + 2, static_cast<uint16_t>(outer_ip_len));
		uint32_t sum = static_cast<uint32_t>(l.ip_csum_base) + outer_ip_len;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		store_be16(ip + 10, static_cast<uint16_t>(~sum));
	} else {
		store_be16(ip + 4, static_cast<uint16_t>(outer_ip_len - 40));
		if (l.udp_off) {
			// RFC 8200 §8.1: UDP over IPv6 carries a checksum.
			// (rte_ipv6_udptcp_cksum_mbuf() is still experimental in DPDK 22.11.)
			const auto *ip6 = reinterpret_cast<const rte_ipv6_hdr *>(ip);
			uint16_t body = 0;
			rte_raw_cksum_mbuf(m, l.udp_off, outer_ip_len - 40, &body);
			uint32_t sum = static_cast<uint32_t>(body) + rte_ipv6_phdr_cksum(ip6, 0);
			sum = (sum & 0xffff) + (sum >> 16);
			sum = (sum & 0xffff) + (sum >> 16);
			uint16_t ck = static_cast<uint16_t>(~sum);
			if (ck == 0)
				ck = 0xffff; // RFC 768: a computed 0 is sent as all ones
			std::memcpy(h + l.udp_off + 6, &ck, 2); // sums are in memory (network) order
		}
	}
	m->ol_flags = 0;
	if (c.stats) {
		c.stats[idx].tx_packets++;
		c.stats[idx].tx_bytes += payload_len;
	}
	c.counters->count(s.version == 2 ? path_event::encap_v2 : path_event::encap_v3);
	return tx(s.egress_port);
}

// Downstream IPv4 match from the burst's snapshot: the direct /32 table, then the LPM
// (lookup_sub_v4()).
L2TPX_FAST bool fast_sub_v4(const fast_env &e, uint32_t dst, uint32_t &idx) noexcept {
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

// Core port: untagged IPv4 without options, one segment, to a subscriber route of a PPP
// session. Declines, with the packet and counters untouched, anything else and anything
// the encapsulation could refuse (too big for the access port, no headroom).
L2TPX_FAST fast_res fast_core(fast_env &e, rte_mbuf *m, burst_out &out, action &a) noexcept {
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
	if (s.mss_clamp && ih[9] == ipproto_tcp) {
		const pkt p{m, d, len, len};
		const l3_info in{14, 20, 14 + tot, ipproto_tcp, 4};
		if (mss_clamp_ip(p, in, s.mss_clamp))
			e.ctx->counters->count(path_event::mss_clamped);
	}
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

} // namespace l2tpx::dp::detail
