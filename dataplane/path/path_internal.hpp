// Inline helpers shared by the packet path translation units (not a public header).
//
// The protocol headers are read here with lean hot-path code instead of the shared/l2tp
// parsers: those validate every field into a view struct for the control plane, while
// the dataplane needs only the IDs, the data offset and a handful of flags, with all
// bounds derived from the first mbuf segment. Constants come from shared/l2tp and
// shared/ppp where they exist.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstddef>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>

#include "dataplane/icmp_error.hpp"
#include "dataplane/path/counters.hpp"
#include "dataplane/path/path.hpp"
#include "dataplane/path/punt_meta.hpp"
#include "dataplane/path/session_build.hpp"
#include "shared/base/byteorder.hpp"

// Small helpers of the per-packet paths: always inlined (GCC's heuristics give up inside
// the large inlined fast path).
#define L2TPX_INLINE inline __attribute__((always_inline))

namespace l2tpx::dp::detail {

inline constexpr uint16_t eth_ipv4 = 0x0800;
inline constexpr uint16_t eth_arp = 0x0806;
inline constexpr uint16_t eth_vlan = 0x8100;
inline constexpr uint16_t eth_qinq = 0x88a8;
inline constexpr uint16_t eth_qinq_old = 0x9100;
inline constexpr uint16_t eth_ipv6 = 0x86dd;
inline constexpr uint8_t ipproto_tcp = 6;
inline constexpr uint8_t ipproto_udp = 17;
inline constexpr uint8_t ipproto_icmpv6 = 58;
inline constexpr uint8_t ipproto_l2tp = 115;

// What happens to one packet. icmp and glean are drops (counted under `why`) whose mbuf
// goes on to the main lcore (burst_out::icmp, burst_out::glean) instead of being freed.
// held: kept by the session's reorder buffer (reorder.hpp), released later.
enum class fate : uint8_t { tx, punt, local, drop, icmp, glean, held };
struct action {
	fate f;
	drop_reason why; // fate::drop, fate::icmp, fate::glean
	uint16_t port;   // fate::tx, fate::glean (the egress core port)
};
inline action drop(drop_reason r) noexcept { return {fate::drop, r, 0}; }
inline action tx(uint16_t port) noexcept { return {fate::tx, drop_reason::truncated_eth, port}; }
inline action local() noexcept { return {fate::local, drop_reason::truncated_eth, 0}; }
inline action punted() noexcept { return {fate::punt, drop_reason::truncated_eth, 0}; }

// The ICMP hook (dataplane/icmp_error.hpp): the offending IP packet starts at ip_off of the
// first segment; it leaves the burst on burst_out::icmp with its data at that header and
// m->hash.usr saying which error to send, to whom. The burst loop sets m->port.
L2TPX_INLINE action icmp_hook(rte_mbuf *m, uint32_t ip_off, icmp_error kind, uint16_t mtu, bool to_subscriber,
                              drop_reason why) noexcept {
	rte_pktmbuf_adj(m, static_cast<uint16_t>(ip_off));
	m->hash.usr = icmp_punt_word(kind, mtu, to_subscriber);
	m->ol_flags = 0;
	return {fate::icmp, why, 0};
}

// A packet larger than the egress MTU (too_big): IPv4 with DF and IPv6 get an ICMP error
// (Fragmentation Needed / Packet Too Big) reporting `mtu`; IPv4 without DF is only dropped
// (no fragmentation here).
L2TPX_INLINE action too_big_action(rte_mbuf *m, const uint8_t *ip, uint32_t ip_off, uint8_t family, uint32_t mtu,
                                   bool to_subscriber) noexcept {
	if (family == 4 && !(ip[6] & 0x40))
		return {fate::drop, drop_reason::too_big, 0};
	return icmp_hook(m, ip_off, icmp_error::too_big, static_cast<uint16_t>(mtu > 0xffff ? 0xffff : mtu),
	                 to_subscriber, drop_reason::too_big);
}

// The first segment of a received packet. Headers are only parsed inside it.
struct pkt {
	rte_mbuf *m;
	uint8_t *d;       // first byte of the frame
	uint32_t seg_len; // bytes in the first segment
	uint32_t len;     // bytes in the whole packet
};
inline pkt make_pkt(rte_mbuf *m) noexcept {
	return {m, rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m)};
}

// 0 when [0, end) is in the first segment, else the reason to drop.
inline bool fits(const pkt &p, uint32_t end) noexcept { return end <= p.seg_len; }
inline drop_reason short_reason(const pkt &p, uint32_t end, drop_reason truncated) noexcept {
	return end <= p.len ? drop_reason::segmented_headers : truncated;
}

// Ethernet + up to two VLAN tags.
struct l2_info {
	uint32_t l3_off;
	uint16_t ethertype;
	uint16_t vlan; // VID of the outer tag, vlan_untagged if none
};
inline bool parse_l2(const pkt &p, l2_info &l2, drop_reason &why) noexcept {
	if (!fits(p, 14)) {
		why = short_reason(p, 14, drop_reason::truncated_eth);
		return false;
	}
	uint32_t off = 12;
	uint16_t et = load_be16(p.d + off);
	l2.vlan = vlan_untagged;
	int tags = 0;
	while (et == eth_vlan || et == eth_qinq || et == eth_qinq_old) {
		if (++tags > 2) {
			why = drop_reason::too_many_vlans;
			return false;
		}
		if (!fits(p, off + 6)) {
			why = short_reason(p, off + 6, drop_reason::truncated_eth);
			return false;
		}
		if (tags == 1)
			l2.vlan = load_be16(p.d + off + 2) & 0x0fff;
		off += 4;
		et = load_be16(p.d + off);
	}
	l2.ethertype = et;
	l2.l3_off = off + 2;
	return true;
}

// True when the 20-byte IPv4 header at h (no options) has a valid checksum: two 64-bit and
// one 32-bit add with end-around carry, then folds, instead of rte_raw_cksum's 16-bit loop.
// The one's-complement sum does not depend on the byte order it is computed in, and 0xffff
// reads the same both ways; a header is never all zeros, so 0 cannot stand for 0xffff.
L2TPX_INLINE bool ipv4_hdr20_csum_ok(const uint8_t *h) noexcept {
	uint64_t a, b;
	uint32_t c;
	std::memcpy(&a, h, 8);
	std::memcpy(&b, h + 8, 8);
	std::memcpy(&c, h + 16, 4);
	uint64_t s = a + b;
	s += s < a;
	const uint64_t t = s + c;
	s = t + (t < s);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return s == 0xffffu;
}

// Decrements the TTL of the IPv4 header at h (TTL > 1) and updates its checksum: RFC 1624
// eqn. 3 with m' = m - 0x0100, so ~m + m' = 0xfeff, added in memory order (0xfffe). Gives
// the same bytes as decrement_ttl().
L2TPX_INLINE void ipv4_ttl_dec(uint8_t *h) noexcept {
	h[8]--;
	uint16_t ck;
	std::memcpy(&ck, h + 10, 2);
	uint32_t s = static_cast<uint16_t>(~ck);
	s += __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0xfffeu : 0xfeffu;
	s = (s & 0xffffu) + (s >> 16);
	ck = static_cast<uint16_t>(~s);
	std::memcpy(h + 10, &ck, 2);
}

// The IPv4 header checksum check of the access and core paths, honouring the NIC's verdict.
L2TPX_INLINE bool ipv4_rx_csum_ok(const rte_mbuf *m, const uint8_t *h20) noexcept {
	const uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	return f != RTE_MBUF_F_RX_IP_CKSUM_BAD && ipv4_hdr20_csum_ok(h20);
}

// The receive verdict on the UDP checksum of the datagram of ulen bytes at l4 (its length
// field, within the packet), after the IP header at ip (family 4 or 6), as the kernel's
// UDP encapsulation receive gives it: flagged bad by the NIC: false; flagged good (or
// NONE: the data is verified): true; a zero checksum field (none sent: RFC 768, and RFC
// 6935 for tunnels over IPv6): true; on a port that trusts UDP checksums
// (port_info::trust_udp_csum): true; else verified here over the pseudo-header and the
// datagram, segments included. Not inlined: nearly all L2TP data carries no checksum.
__attribute__((noinline)) inline bool udp_rx_csum_ok(const rte_mbuf *m, const uint8_t *ip, uint8_t family,
                                                     uint32_t l4, uint32_t ulen, bool trust) noexcept {
	const uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD || f == RTE_MBUF_F_RX_L4_CKSUM_NONE || trust)
		return true;
	const uint8_t *u = rte_pktmbuf_mtod(m, const uint8_t *) + l4;
	if (u[6] == 0 && u[7] == 0)
		return true;
	uint16_t body;
	if (rte_raw_cksum_mbuf(m, l4, ulen, &body) != 0)
		return false;
	// Pseudo-header: the addresses, then zero, protocol 17 and the UDP length as 16-bit words.
	uint32_t sum = family == 4 ? rte_raw_cksum(ip + 12, 8) : rte_raw_cksum(ip + 8, 32);
	sum += rte_cpu_to_be_16(ipproto_udp) + rte_cpu_to_be_16(static_cast<uint16_t>(ulen)) + body;
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

// Validated outer or inner IP header.
struct l3_info {
	uint32_t off;     // IP header
	uint32_t hdr_len; // IPv4 IHL*4, IPv6 40
	uint32_t end;     // off + total length
	uint8_t proto;    // IPv4 protocol / IPv6 next header
	uint8_t family;   // 4 or 6
};

inline bool parse_ipv4(const pkt &p, uint32_t off, uint32_t limit, bool verify_csum, l3_info &l3,
                       drop_reason &why, drop_reason truncated = drop_reason::truncated_ip,
                       drop_reason bad = drop_reason::bad_ip_header) noexcept {
	if (!fits(p, off + 20)) {
		why = short_reason(p, off + 20, truncated);
		return false;
	}
	const uint8_t *h = p.d + off;
	const uint32_t ihl = (h[0] & 0x0fu) * 4;
	if ((h[0] >> 4) != 4 || ihl < 20) {
		why = bad;
		return false;
	}
	if (!fits(p, off + ihl)) {
		why = short_reason(p, off + ihl, truncated);
		return false;
	}
	const uint32_t tot = load_be16(h + 2);
	if (tot < ihl) {
		why = bad;
		return false;
	}
	if (off + tot > limit) {
		why = truncated;
		return false;
	}
	if (verify_csum) {
		const uint64_t f = p.m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		const bool ok = f == RTE_MBUF_F_RX_IP_CKSUM_GOOD ||
		                (f != RTE_MBUF_F_RX_IP_CKSUM_BAD &&
		                 (ihl == 20 ? ipv4_hdr20_csum_ok(h) : rte_raw_cksum(h, ihl) == 0xffff));
		if (!ok) {
			why = drop_reason::bad_ip_csum;
			return false;
		}
	}
	l3 = {off, ihl, off + tot, h[9], 4};
	return true;
}

inline bool parse_ipv6(const pkt &p, uint32_t off, uint32_t limit, l3_info &l3, drop_reason &why,
                       drop_reason truncated = drop_reason::truncated_ip,
                       drop_reason bad = drop_reason::bad_ip_header) noexcept {
	if (!fits(p, off + 40)) {
		why = short_reason(p, off + 40, truncated);
		return false;
	}
	const uint8_t *h = p.d + off;
	if ((h[0] >> 4) != 6) {
		why = bad;
		return false;
	}
	const uint32_t end = off + 40 + load_be16(h + 4);
	if (end > limit) {
		why = truncated;
		return false;
	}
	l3 = {off, 40, end, h[6], 6};
	return true;
}

// ICMPv6 Neighbor Discovery / Router messages (types 133..137) directly after the header.
inline bool is_nd(const pkt &p, const l3_info &l3) noexcept {
	if (l3.proto != ipproto_icmpv6 || !fits(p, l3.off + 41))
		return false;
	const uint8_t type = p.d[l3.off + 40];
	return type >= 133 && type <= 137;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
L2TPX_INLINE uint16_t csum_replace16(uint16_t hc, uint16_t old_word, uint16_t new_word) noexcept {
	uint32_t s = static_cast<uint16_t>(~hc);
	s += static_cast<uint16_t>(~old_word);
	s += new_word;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(~s);
}

// Decrements the IPv4 TTL / IPv6 hop limit in place. False when it would reach 0.
inline bool decrement_ttl(uint8_t *ip, uint8_t family) noexcept {
	if (family == 4) {
		if (ip[8] <= 1)
			return false;
		const uint16_t old_word = load_be16(ip + 8);
		ip[8]--;
		store_be16(ip + 10, csum_replace16(load_be16(ip + 10), old_word, load_be16(ip + 8)));
		return true;
	}
	if (ip[7] <= 1)
		return false;
	ip[7]--;
	return true;
}

// encap_session()'s too_big: the packet (data at the inner IP header, TTL already
// decremented by the core path) is larger than the access port's MTU once encapsulated.
// Restores the TTL (the ICMP quote shows the packet as received) and reports the MTU left
// for inner packets. Ethernet pseudowire frames are only dropped.
inline action encap_too_big(const tables_view &v, rte_mbuf *m, const session &s, uint16_t ppp_proto) noexcept {
	if (s.pw != pw_type::ppp || (ppp_proto != 0x0021 && ppp_proto != 0x0057))
		return {fate::drop, drop_reason::too_big, 0};
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t family = ppp_proto == 0x0021 ? 4 : 6;
	if (family == 4) {
		const uint16_t old_word = load_be16(ip + 8);
		ip[8]++;
		store_be16(ip + 10, csum_replace16(load_be16(ip + 10), old_word, load_be16(ip + 8)));
	} else {
		ip[7]++;
	}
	uint32_t limit = 0xffff;
	if (s.egress_port < max_ports && v.ports[s.egress_port].mtu && v.ports[s.egress_port].mtu < limit)
		limit = v.ports[s.egress_port].mtu;
	const uint32_t overhead = s.layout.len - s.layout.ip_off;
	return too_big_action(m, ip, 0, family, limit > overhead ? limit - overhead : 0, false);
}

// Lowers the MSS option of a TCP SYN (or SYN-ACK) to max_mss and fixes the TCP checksum.
// tcp points at the TCP header, avail bytes of it are readable. True when it changed.
inline bool clamp_mss(uint8_t *tcp, uint32_t avail, uint16_t max_mss) noexcept {
	if (avail < 20 || !(tcp[13] & 0x02))
		return false;
	const uint32_t doff = (tcp[12] >> 4) * 4u;
	if (doff < 20 || doff > avail)
		return false;
	for (uint32_t i = 20; i < doff;) {
		const uint8_t kind = tcp[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= doff)
			break;
		const uint8_t olen = tcp[i + 1];
		if (olen < 2 || i + olen > doff)
			break;
		if (kind == 2 && olen == 4) {
			const uint16_t mss = load_be16(tcp + i + 2);
			if (mss <= max_mss)
				return false;
			store_be16(tcp + i + 2, max_mss);
			store_be16(tcp + 16, csum_replace16(load_be16(tcp + 16), mss, max_mss));
			return true;
		}
		i += olen;
	}
	return false;
}

// Applies the session's MSS clamp to an IP packet (IPv4 value; IPv6 gets 20 less).
inline bool mss_clamp_ip(const pkt &p, const l3_info &ip, uint16_t clamp) noexcept {
	if (ip.proto != ipproto_tcp)
		return false;
	if (ip.family == 4) {
		if (load_be16(p.d + ip.off + 6) & 0x1fff) // not the first fragment
			return false;
	} else if (clamp <= 20) {
		return false;
	}
	const uint32_t t = ip.off + ip.hdr_len;
	if (t >= ip.end || t >= p.seg_len)
		return false;
	const uint32_t avail = (ip.end < p.seg_len ? ip.end : p.seg_len) - t;
	return clamp_mss(p.d + t, avail, ip.family == 4 ? clamp : static_cast<uint16_t>(clamp - 20));
}

L2TPX_INLINE bool is_local_v4(const tables_view &v, const uint8_t *addr) noexcept {
	uint32_t a;
	std::memcpy(&a, addr, 4);
	for (uint8_t i = 0; i < v.local_v4_count; i++)
		if (v.local_v4[i] == a)
			return true;
	return false;
}
inline bool is_local_v6(const tables_view &v, const uint8_t *addr) noexcept {
	for (uint8_t i = 0; i < v.local_v6_count; i++)
		if (std::memcmp(v.local_v6[i], addr, 16) == 0)
			return true;
	return false;
}
inline bool is_local(const tables_view &v, const pkt &p, const l3_info &l3) noexcept {
	return l3.family == 4 ? is_local_v4(v, p.d + l3.off + 16) : is_local_v6(v, p.d + l3.off + 24);
}
// L2TP is accepted on any address when none is configured for the family.
inline bool accepts_l2tp(const tables_view &v, const pkt &p, const l3_info &l3) noexcept {
	if (l3.family == 4)
		return v.local_v4_count == 0 || is_local_v4(v, p.d + l3.off + 16);
	return v.local_v6_count == 0 || is_local_v6(v, p.d + l3.off + 24);
}

// Downstream IPv4 match: the direct /32 table, then the LPM (tables_view::sub_v4_direct).
L2TPX_INLINE bool lookup_sub_v4(const tables_view &v, uint32_t dst, uint32_t &idx) noexcept {
	if (const uint32_t size = __atomic_load_n(&v.sub_v4_direct_size, __ATOMIC_ACQUIRE); size != 0) {
		const uint32_t off = dst - v.sub_v4_base;
		if (off < size) {
			const uint32_t i = __atomic_load_n(&v.sub_v4_direct[off], __ATOMIC_RELAXED);
			if (i != no_session) {
				idx = i;
				return true;
			}
		}
	}
	return v.sub_v4 && rte_lpm_lookup(v.sub_v4, dst, &idx) == 0;
}

inline const session *live_session(const tables_view &v, uint32_t idx) noexcept {
	assert(v.sessions && v.seq && idx <= v.session_mask);
	const session *s = &v.sessions[idx];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != session_state::up)
		return nullptr;
	return s;
}

// Sequence check of a received data packet (RFC 2661 §5.8 / RFC 3931 §4.6). `bits` is 16
// (v2 Ns) or 24 (v3 L2SS). Packets older than or equal to the last accepted one are dropped.
L2TPX_INLINE bool accept_seq(session_seq &st, uint32_t ns, uint32_t bits, path_counters &ctr) noexcept {
	const uint32_t mask = (1u << bits) - 1;
	std::atomic_ref<uint32_t> valid(st.rx_valid), next(st.rx_next);
	if (valid.load(std::memory_order_relaxed)) {
		const uint32_t diff = (ns - next.load(std::memory_order_relaxed)) & mask;
		if (diff >= (1u << (bits - 1)))
			return false;
		if (diff)
			ctr.count(path_event::seq_gap);
	} else {
		valid.store(1, std::memory_order_relaxed);
	}
	next.store((ns + 1) & mask, std::memory_order_relaxed);
	return true;
}

inline uint32_t next_tx_seq(session_seq &st, uint32_t bits) noexcept {
	return std::atomic_ref<uint32_t>(st.tx_next).fetch_add(1, std::memory_order_relaxed) & ((1u << bits) - 1);
}

// Writes punt_meta at h with four 64-bit stores (the struct is host order, little endian).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "punt_meta is built with little-endian word stores");
static_assert(offsetof(punt_meta, in_port) == 4 && offsetof(punt_meta, family) == 7 &&
              offsetof(punt_meta, l3_offset) == 8 && offsetof(punt_meta, payload_offset) == 14 &&
              offsetof(punt_meta, payload_length) == 16 && offsetof(punt_meta, tunnel_id) == 20 &&
              offsetof(punt_meta, session_id) == 24 && offsetof(punt_meta, session_index) == 28);
struct punt_words {
	punt_reason reason;
	uint16_t in_port;
	uint8_t l2tp_version;
	uint8_t family;
	uint16_t l3_off, l4_off, l2tp_off, payload_off, payload_len, ppp_proto;
	uint32_t tunnel_id, session_id, session_index;
};
L2TPX_INLINE void write_punt_meta(uint8_t *h, const punt_words &p) noexcept {
	const uint64_t w0 = uint64_t{punt_meta_magic} | uint64_t{punt_meta_version} << 16 |
	                    uint64_t{static_cast<uint8_t>(p.reason)} << 24 | uint64_t{p.in_port} << 32 |
	                    uint64_t{p.l2tp_version} << 48 | uint64_t{p.family} << 56;
	const uint64_t w1 = uint64_t{p.l3_off} | uint64_t{p.l4_off} << 16 | uint64_t{p.l2tp_off} << 32 |
	                    uint64_t{p.payload_off} << 48;
	const uint64_t w2 = uint64_t{p.payload_len} | uint64_t{p.ppp_proto} << 16 | uint64_t{p.tunnel_id} << 32;
	const uint64_t w3 = uint64_t{p.session_id} | uint64_t{p.session_index} << 32;
	std::memcpy(h, &w0, 8);
	std::memcpy(h + 8, &w1, 8);
	std::memcpy(h + 16, &w2, 8);
	std::memcpy(h + 24, &w3, 8);
}

action handle_access(const path_ctx &c, uint16_t in_port, rte_mbuf *m) noexcept;
action handle_core(const path_ctx &c, rte_mbuf *m) noexcept;
action handle_attachment(const path_ctx &c, uint16_t in_port, rte_mbuf *m) noexcept;

} // namespace l2tpx::dp::detail
