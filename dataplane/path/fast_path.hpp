// The packet paths' fast path and the encapsulation step, inlined into the burst loop
// (path.cpp) and shared with the general handlers (decap.cpp, encap.cpp). Not a public header.
//
// The common frame layout is handled by straight-line code with fixed offsets: one
// segment, untagged Ethernet, IPv4 without options, UDP to the L2TP port, then
//   L2TPv2 data (L, S, O, P bits allowed) or L2TPv3 data (cookie 0/4/8, no L2SS), both
//   carrying PPP IPv4 (with or without FF 03) that leaves by a valid neighbour; or
//   an L2TP control message (punted).
// Anything else, or any doubt about the outcome, returns false with the packet and every
// counter untouched, and the general parser (decap.cpp, encap.cpp) decides. When it returns true, `a` is
// what the general path would have decided, with the same side effects.
#pragma once

#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "dataplane/path/path_internal.hpp"
#include "shared/l2tp/peek.hpp"
#include "shared/ppp/protocol.hpp"

#define L2TPX_FAST inline __attribute__((always_inline))

namespace l2tpx::dp::detail {

// Offsets in the common layout: IPv4 header, UDP header, L2TP header.
inline constexpr uint32_t f_ip = 14, f_udp = 34, f_l2tp = 42;

// Upstream forwarding of the inner IPv4 packet at d + ip (IHL 5, itot bytes, ending at or
// before the L2TP payload end); `seq` (when not null) is the sequence state to apply
// after every other check, as decap_v2/decap_v3 do before deliver().
L2TPX_FAST bool fast_route_v4(const path_ctx &c, rte_mbuf *m, uint8_t *d, uint32_t ip, uint32_t itot, const session &s,
                          uint32_t idx, session_seq *seq, uint32_t ns, uint32_t bits, action &a) noexcept {
	const tables_view &v = *c.view;
	uint8_t *h = d + ip;
	const uint32_t dst = load_be32(h + 16);
	if ((s.flags & session_flag::check_source) && load_be32(h + 12) != s.subscriber_v4)
		return false;
	if ((dst >> 28) == 0xe || dst == 0xffffffffu || h[8] <= 1)
		return false;
	uint32_t nh;
	if (!v.core_v4 || rte_lpm_lookup(v.core_v4, dst, &nh) != 0)
		nh = __atomic_load_n(&v.default_nh_v4, __ATOMIC_ACQUIRE);
	if (nh >= v.neighbour_count)
		return false;
	const neighbour &n = v.neighbours[nh];
	if (!__atomic_load_n(&n.valid, __ATOMIC_ACQUIRE))
		return false;
	if (n.port < max_ports && v.ports[n.port].mtu && itot > v.ports[n.port].mtu)
		return false;
	if (seq && !accept_seq(*seq, ns, bits, *c.counters)) {
		a = drop(drop_reason::seq_out_of_order);
		return true;
	}
	// Committed: from here on the packet is forwarded.
	ipv4_ttl_dec(h);
	if (s.mss_clamp && h[9] == ipproto_tcp) {
		const pkt p{m, d, m->data_len, m->pkt_len};
		const l3_info in{ip, 20, ip + itot, ipproto_tcp, 4};
		if (mss_clamp_ip(p, in, s.mss_clamp))
			c.counters->count(path_event::mss_clamped);
	}
	const uint32_t eth_len = n.vlan ? 18 : 14;
	uint8_t *e = h - eth_len;
	std::memcpy(e, n.dst_mac, 12); // dst_mac, src_mac
	if (n.vlan) {
		store_be16(e + 12, eth_vlan);
		store_be16(e + 14, n.vlan);
	}
	store_be16(h - 2, eth_ipv4);
	m->data_off = static_cast<uint16_t>(m->data_off + ip - eth_len);
	m->data_len = static_cast<uint16_t>(eth_len + itot);
	m->pkt_len = eth_len + itot;
	m->ol_flags = 0;
	if (c.stats) {
		c.stats[idx].rx_packets++;
		c.stats[idx].rx_bytes += itot;
	}
	c.counters->count(s.version == 2 ? path_event::decap_v2 : path_event::decap_v3);
	a = tx(n.port);
	return true;
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

L2TPX_FAST bool fast_punt_control(const path_ctx &c, uint16_t in_port, rte_mbuf *m, const uint8_t *d, uint16_t w,
                              uint32_t end, action &a) noexcept {
	const uint8_t ver = w & l2tp::version_mask;
	uint32_t tid = 0;
	if (ver == l2tp::version_v2) {
		const uint32_t id_off = f_l2tp + ((w & l2tp::flag_length) ? 4 : 2);
		if (id_off + 2 <= end)
			tid = load_be16(d + id_off);
	}
	if (m->data_off < sizeof(punt_meta))
		return false;
	m->data_off = static_cast<uint16_t>(m->data_off - sizeof(punt_meta));
	m->data_len = static_cast<uint16_t>(m->data_len + sizeof(punt_meta));
	m->pkt_len += sizeof(punt_meta);
	write_punt_meta(rte_pktmbuf_mtod(m, uint8_t *),
	                {punt_reason::l2tp_control, in_port, ver, 4, f_ip, f_udp, f_l2tp, f_l2tp,
	                 static_cast<uint16_t>(end - f_l2tp), 0, tid, 0, no_session});
	c.counters->count(path_event::punt_l2tp_control);
	a = punted();
	return true;
}

L2TPX_FAST bool fast_access(const path_ctx &c, uint16_t in_port, rte_mbuf *m, action &a) noexcept {
	const uint32_t len = m->data_len;
	if (len != m->pkt_len || len < f_l2tp + 8)
		return false;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	const tables_view &v = *c.view;
	// EtherType IPv4, version 4, IHL 5 (the TOS byte is masked off).
	if ((load_be32(d + 12) & 0xffffff00u) != 0x08004500u)
		return false;
	// Not a fragment (MF, offset), protocol UDP (the TTL byte is masked off).
	if ((load_be32(d + f_ip + 6) & 0x3fff00ffu) != ipproto_udp)
		return false;
	const uint32_t tot = load_be16(d + f_ip + 2);
	const uint32_t ulen = load_be16(d + f_udp + 4);
	if (load_be16(d + f_udp + 2) != v.l2tp_udp_port || tot > len - f_ip || ulen < 16 || ulen + 20 > tot)
		return false;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD || !ipv4_rx_csum_ok(m, d + f_ip))
		return false;
	if (v.local_v4_count && !is_local_v4(v, d + f_ip + 16))
		return false;
	uint32_t end = f_udp + ulen;
	const uint16_t w = load_be16(d + f_l2tp);
	uint32_t src;
	std::memcpy(&src, d + f_ip + 12, 4);

	if (w == l2tp::version_v2) { // L2TPv2 data without optional fields: the common case
		uint32_t key;
		std::memcpy(&key, d + f_l2tp + 2, 4);
		const uint32_t idx = rte_be_to_cpu_32(key) & v.session_mask; // session_index_v2()
		const session &s = v.sessions[idx];
		if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.rx_key != key ||
		    (s.rx_fast & (rx_fast::v2 | rx_fast::v2_noseq)) != (rx_fast::v2 | rx_fast::v2_noseq) || s.peer_v4 != src)
			return false;
		uint32_t ip, itot;
		if (!fast_ppp_ipv4(d, f_l2tp + 6, end, ip, itot))
			return false;
		return fast_route_v4(c, m, d, ip, itot, s, idx, nullptr, 0, 0, a);
	}
	if ((w & 0xb4ffu) == l2tp::version_v2) { // L2TPv2 data; L, S, O, P allowed
		const uint32_t fixed = 6 + ((w & l2tp::flag_length) ? 2 : 0) + ((w & l2tp::flag_sequence) ? 4 : 0) +
		                       ((w & l2tp::flag_offset) ? 2 : 0);
		if (end - f_l2tp < fixed)
			return false;
		uint32_t h = f_l2tp + 2;
		if (w & l2tp::flag_length) {
			const uint32_t l = load_be16(d + h);
			if (l < fixed || l > end - f_l2tp)
				return false;
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
				return false;
		}
		const uint32_t idx = rte_be_to_cpu_32(key) & v.session_mask;
		const session &s = v.sessions[idx];
		const uint8_t need = (w & l2tp::flag_sequence) ? rx_fast::v2 : rx_fast::v2 | rx_fast::v2_noseq;
		if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.rx_key != key ||
		    (s.rx_fast & need) != need || s.peer_v4 != src)
			return false;
		uint32_t ip, itot;
		if (!fast_ppp_ipv4(d, h, end, ip, itot))
			return false;
		return fast_route_v4(c, m, d, ip, itot, s, idx, (w & l2tp::flag_sequence) ? &v.seq[idx] : nullptr, ns,
		                     16, a);
	}
	if ((w & 0x800fu) == l2tp::version_v3) { // L2TPv3 data over UDP
		uint32_t key;
		std::memcpy(&key, d + f_l2tp + 4, 4);
		const uint32_t idx = rte_be_to_cpu_32(key) & v.session_mask; // session_index_v3()
		const session &s = v.sessions[idx];
		if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.rx_key != key ||
		    !(s.rx_fast & rx_fast::v3) || s.peer_v4 != src)
			return false;
		uint32_t h = f_l2tp + 8;
		if (s.rx_cookie_len) {
			if (end - h < s.rx_cookie_len)
				return false;
			const bool ok = s.rx_cookie_len == 4 ? std::memcmp(d + h, s.rx_cookie, 4) == 0
			                                     : std::memcmp(d + h, s.rx_cookie, 8) == 0;
			if (!ok)
				return false;
			h += s.rx_cookie_len;
		}
		uint32_t ip, itot;
		if (!fast_ppp_ipv4(d, h, end, ip, itot))
			return false;
		return fast_route_v4(c, m, d, ip, itot, s, idx, nullptr, 0, 0, a);
	}
	if ((w & 0x800fu) == (l2tp::flag_type | l2tp::version_v2) || (w & 0x800fu) == (l2tp::flag_type | l2tp::version_v3))
		return fast_punt_control(c, in_port, m, d, w, end, a);
	return false;
}

// Copies a template of len bytes (32 <= len <= max_template) with 32-byte moves, the last
// one overlapping, instead of a variable-length memcpy (rep movsb: slow to start for ~50
// bytes). Every template has Ethernet + IP + an L2TP session ID, so at least 38 bytes.
L2TPX_FAST void copy_template(uint8_t *dst, const uint8_t *src, uint32_t len) noexcept {
	static_assert(max_template >= 32);
	assert(len >= 32 && len <= max_template);
	uint32_t o = 0;
	for (; o + 32 < len; o += 32)
		std::memcpy(dst + o, src + o, 32);
	std::memcpy(dst + len - 32, src + len - 32, 32);
}

// Core port: untagged IPv4 without options, one segment, to a subscriber route of a PPP
// session. Returns false, with the packet and counters untouched, for anything else.
L2TPX_FAST bool fast_core(const path_ctx &c, rte_mbuf *m, action &a) noexcept;

// Prepends s's template in front of the payload that now starts the mbuf (payload_len
// bytes), patches it and returns the action. `ppp_proto` is ignored for Ethernet PWs.
L2TPX_FAST action encap_session(const path_ctx &c, rte_mbuf *m, const session &s, uint32_t idx, uint32_t payload_len,
                                uint16_t ppp_proto) noexcept {
	const template_layout &l = s.layout;
	const uint32_t outer_ip_len = l.len - l.ip_off + payload_len;
	const tables_view &v = *c.view;
	if (s.egress_port < max_ports && v.ports[s.egress_port].mtu && outer_ip_len > v.ports[s.egress_port].mtu)
		return drop(drop_reason::too_big);
	if (outer_ip_len > 0xffff)
		return drop(drop_reason::too_big);
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


L2TPX_FAST bool fast_core(const path_ctx &c, rte_mbuf *m, action &a) noexcept {
	const uint32_t len = m->data_len;
	if (len != m->pkt_len || len < 34)
		return false;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	if ((load_be32(d + 12) & 0xffffff00u) != 0x08004500u)
		return false;
	const uint32_t tot = load_be16(d + 16);
	if (tot < 20 || tot > len - 14 || d[22] <= 1 || !ipv4_rx_csum_ok(m, d + 14))
		return false;
	const tables_view &v = *c.view;
	if (v.local_v4_count && is_local_v4(v, d + 30))
		return false;
	uint32_t idx;
	if (!lookup_sub_v4(v, load_be32(d + 30), idx) || idx > v.session_mask)
		return false;
	const session &s = v.sessions[idx];
	if (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != session_state::up || s.pw != pw_type::ppp)
		return false;
	// Committed (as handle_core after its checks): TTL, MSS clamp, strip Ethernet, encapsulate.
	uint8_t *h = d + 14;
	ipv4_ttl_dec(h);
	if (s.mss_clamp && h[9] == ipproto_tcp) {
		const pkt p{m, d, len, len};
		const l3_info in{14, 20, 14 + tot, ipproto_tcp, 4};
		if (mss_clamp_ip(p, in, s.mss_clamp))
			c.counters->count(path_event::mss_clamped);
	}
	m->data_off = static_cast<uint16_t>(m->data_off + 14);
	m->data_len = static_cast<uint16_t>(tot);
	m->pkt_len = tot;
	a = encap_session(c, m, s, idx, tot, ppp::proto::ipv4);
	return true;
}

} // namespace l2tpx::dp::detail
