// Core port and attachment port receive paths: encapsulation towards the L2TP peer.
//   core:       IPv4/IPv6 packet -> subscriber route (LPM) -> session (PPP) -> template
//   attachment: Ethernet frame -> (port, VLAN) -> session (Ethernet PW) -> template
// The session template holds every outer header byte; per packet we patch the IP total
// length and checksum, the UDP length (and checksum over IPv6), the L2TPv2 Length, the
// sequence number and the PPP protocol.
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "dataplane/path/path_internal.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::dp::detail {

namespace {

// Prepends s's template in front of the payload that now starts the mbuf (payload_len
// bytes), patches it and returns the action. `ppp_proto` is ignored for Ethernet PWs.
action encap(const path_ctx &c, rte_mbuf *m, const session &s, uint32_t idx, uint32_t payload_len,
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
	std::memcpy(h, s.tmpl, l.len);

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

} // namespace

action handle_core(const path_ctx &c, rte_mbuf *m) noexcept {
	const tables_view &v = *c.view;
	const pkt p = make_pkt(m);
	drop_reason why{};
	l2_info l2{};
	if (!parse_l2(p, l2, why))
		return drop(why);
	l3_info l3{};
	uint32_t idx = no_session;
	if (l2.ethertype == eth_ipv4) {
		if (!parse_ipv4(p, l2.l3_off, p.len, true, l3, why))
			return drop(why);
		if (is_local(v, p, l3))
			return local();
		uint32_t hop;
		if (!v.sub_v4 || rte_lpm_lookup(v.sub_v4, load_be32(p.d + l3.off + 16), &hop) != 0)
			return drop(drop_reason::no_route);
		idx = hop;
	} else if (l2.ethertype == eth_ipv6) {
		if (!parse_ipv6(p, l2.l3_off, p.len, l3, why))
			return drop(why);
		if (is_nd(p, l3) || is_local(v, p, l3))
			return local();
		uint32_t hop;
		if (!v.sub_v6 || rte_lpm6_lookup(v.sub_v6, p.d + l3.off + 24, &hop) != 0)
			return drop(drop_reason::no_route);
		idx = hop;
	} else if (l2.ethertype == eth_arp) {
		return local();
	} else {
		return drop(drop_reason::not_ip);
	}
	if (idx > v.session_mask)
		return drop(drop_reason::session_mismatch);
	const session *s = live_session(v, idx);
	if (!s || s->pw != pw_type::ppp)
		return drop(drop_reason::session_mismatch);

	const uint32_t excess = p.len - l3.end;
	if (excess && excess > rte_pktmbuf_lastseg(m)->data_len)
		return drop(drop_reason::segmented_headers);
	if (!decrement_ttl(p.d + l3.off, l3.family))
		return drop(drop_reason::ttl_exceeded);
	if (s->mss_clamp && mss_clamp_ip(p, l3, s->mss_clamp))
		c.counters->count(path_event::mss_clamped);
	rte_pktmbuf_adj(m, static_cast<uint16_t>(l3.off));
	if (excess)
		rte_pktmbuf_trim(m, static_cast<uint16_t>(excess));
	return encap(c, m, *s, idx, l3.end - l3.off, l3.family == 4 ? ppp::proto::ipv4 : ppp::proto::ipv6);
}

action handle_attachment(const path_ctx &c, uint16_t in_port, rte_mbuf *m) noexcept {
	const tables_view &v = *c.view;
	const pkt p = make_pkt(m);
	drop_reason why{};
	l2_info l2{};
	if (!parse_l2(p, l2, why))
		return drop(why);
	const uint8_t slot = v.ports[in_port].attach_slot;
	if (!v.eth_pw_map || slot >= v.attach_slots)
		return drop(drop_reason::no_attachment);
	const uint32_t *row = v.eth_pw_map + static_cast<size_t>(slot) * (vlan_untagged + 1);
	uint32_t idx = row[l2.vlan];
	if (idx == no_session && l2.vlan != vlan_untagged)
		idx = row[vlan_untagged]; // whole-port session
	if (idx == no_session)
		return drop(drop_reason::no_attachment);
	if (idx > v.session_mask)
		return drop(drop_reason::session_mismatch);
	const session *s = live_session(v, idx);
	if (!s || s->pw == pw_type::ppp || s->attach_port != in_port)
		return drop(drop_reason::session_mismatch);
	return encap(c, m, *s, idx, p.len, 0);
}

} // namespace l2tpx::dp::detail
