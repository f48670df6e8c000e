// Core port and attachment port receive paths: encapsulation towards the L2TP peer.
//   core:       IPv4/IPv6 packet -> subscriber route (LPM) -> session (PPP) -> template
//   attachment: Ethernet frame -> (port, VLAN) -> session (Ethernet PW) -> template
// The session template holds every outer header byte; per packet we patch the IP total
// length and checksum, the UDP length (and checksum over IPv6), the L2TPv2 Length, the
// sequence number and the PPP protocol.
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "dataplane/path/fast_path.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::dp::detail {

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
		if (!lookup_sub_v4(v, load_be32(p.d + l3.off + 16), hop))
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
		return icmp_hook(m, l3.off, icmp_error::time_exceeded, 0, false, drop_reason::ttl_exceeded);
	if (s->mss_clamp && mss_clamp_ip(p, l3, s->mss_clamp))
		c.counters->count(path_event::mss_clamped);
	rte_pktmbuf_adj(m, static_cast<uint16_t>(l3.off));
	if (excess)
		rte_pktmbuf_trim(m, static_cast<uint16_t>(excess));
	return encap_session(c, m, *s, idx, l3.end - l3.off, l3.family == 4 ? ppp::proto::ipv4 : ppp::proto::ipv6);
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
	return encap_session(c, m, *s, idx, p.len, 0);
}

} // namespace l2tpx::dp::detail
