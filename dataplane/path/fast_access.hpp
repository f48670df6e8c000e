// The access ports' fast path (see fast_path.hpp for the contract): L2TPv2/L2TPv3 data in
// the common layout decapsulated and routed, L2TP control messages punted. Inlined into
// the access burst loop (path_access.cpp). Not a public header.
#pragma once

#include "dataplane/path/fast_path.hpp"

namespace l2tpx::dp::detail {

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
	// A UDP checksum (rare on L2TP data) is verified by udp_rx_csum_ok(); a wrong one is
	// left to the general path, which counts it.
	if ((d[f_udp + 6] | d[f_udp + 7]) != 0 &&
	    !udp_rx_csum_ok(m, d + f_ip, 4, f_udp, ulen, e.view->ports[in_port].trust_udp_csum))
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

} // namespace l2tpx::dp::detail
