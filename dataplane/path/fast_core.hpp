// The core ports' fast path (see fast_path.hpp for the contract): untagged IPv4 to a PPP
// session, encapsulated from the session's template. Inlined into the core burst loop
// (path_core.cpp). Not a public header.
#pragma once

#include "dataplane/path/fast_path.hpp"

namespace l2tpx::dp::detail {

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
