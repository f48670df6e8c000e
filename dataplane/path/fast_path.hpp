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
	                           // the L2TP port, to the one local address if exactly one;
	                           // set by set_access_hdr() before fast_access() first runs
	bool access_hdr_set = false;
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
	}
	// Builds access_hdr (once per burst, when a packet first needs the fast path: the lean
	// path handles most bursts without it).
	__attribute__((noinline)) void set_access_hdr() noexcept {
		const path_ctx &c = *ctx;
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
		access_hdr_set = true;
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

// The lean paths' header arithmetic (path_access.cpp, fast_core.hpp).

// True when the 20-byte IPv4 header at h has a valid checksum: the five 32-bit words summed
// with end-around carry (add, four adc with memory operands, adc 0), and the sum tested for
// a multiple of 0xffff by one multiplication with 0xffff's inverse modulo 2^32 (x is a
// multiple of an odd d exactly when x * d^-1 mod 2^32 <= (2^32 - 1) / d). 2^16 and 2^32
// are 1 modulo 0xffff, so the sum is congruent to the sum of the ten 16-bit words; a
// multiple of 0xffff folds to 0xffff, the valid sum (0 cannot occur: byte 0 is 0x45), and
// the sum does not depend on the byte order it is taken in. Same verdict as
// ipv4_hdr20_csum_ok().
inline constexpr uint32_t inverse_mod_2_32(uint32_t a) noexcept {
	uint32_t x = a; // Newton's iteration: each step doubles the correct low bits (3 -> 48)
	for (int i = 0; i < 4; i++)
		x *= 2 - a * x;
	return x;
}
inline constexpr uint32_t inv_ffff = inverse_mod_2_32(0xffff);
static_assert(inv_ffff == 0xfffeffffu && static_cast<uint32_t>(inv_ffff * 0xffffu) == 1);

L2TPX_FAST bool lean_hdr20_csum_ok(const uint8_t *h) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
	using w32 = uint32_t;
	uint32_t a;
	asm("movl %[w0], %[a]\n\t"
	    "addl %[w1], %[a]\n\t"
	    "adcl %[w2], %[a]\n\t"
	    "adcl %[w3], %[a]\n\t"
	    "adcl %[w4], %[a]\n\t"
	    "adcl $0, %[a]"
	    : [a] "=&r"(a)
	    : [w0] "m"(*reinterpret_cast<const w32 *>(h)), [w1] "m"(*reinterpret_cast<const w32 *>(h + 4)),
	      [w2] "m"(*reinterpret_cast<const w32 *>(h + 8)), [w3] "m"(*reinterpret_cast<const w32 *>(h + 12)),
	      [w4] "m"(*reinterpret_cast<const w32 *>(h + 16))
	    : "cc");
	return static_cast<uint32_t>(a * inv_ffff) <= UINT32_MAX / 0xffffu;
#else
	return ipv4_hdr20_csum_ok(h);
#endif
}

// The header checksum (memory order) after the TTL decrement, bit for bit what
// ipv4_ttl_dec() writes: ~(~c + 0xfffe folded) is c + 1, or c + 2 for c >= 0xfffe.
L2TPX_FAST uint16_t lean_ttl_csum(uint16_t c) noexcept {
	return static_cast<uint16_t>(c + 1 + (c >= 0xfffe));
}

// lean_ttl_csum() in place on the checksum at p: c + 2, carry out of 16 bits (c >= 0xfffe),
// then + 0xffff + carry, i.e. - 1 + carry: two instructions on memory.
L2TPX_FAST void lean_ttl_csum_at(uint8_t *p) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
	asm("addw $2, %[c]\n\t"
	    "adcw $-1, %[c]"
	    : [c] "+m"(*reinterpret_cast<uint16_t *>(p))
	    :
	    : "cc");
#else
	uint16_t c;
	std::memcpy(&c, p, 2);
	c = lean_ttl_csum(c);
	std::memcpy(p, &c, 2);
#endif
}

// Decrements the TTL of the IPv4 header at h, checksum updated as ipv4_ttl_dec() does.
L2TPX_FAST void lean_ttl_dec(uint8_t *h) noexcept {
	h[8]--;
	lean_ttl_csum_at(h + 10);
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

} // namespace l2tpx::dp::detail
