// Access port receive path: L2TPv2 (RFC 2661 §3.1), L2TPv3 over UDP (RFC 3931 §4.1.2.1) and
// over IP (§4.1.1.1) data decapsulation; control traffic is punted.
//
// L2TPv2 data header:
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Tunnel ID           |           Session ID          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |             Ns (opt)          |             Nr (opt)          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |      Offset Size (opt)        |    Offset pad... (opt)
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// L2TPv3 data over UDP: |T|x|x|x|x|x|x|x|x|x|x|x|  Ver  | Reserved | Session ID (32) |
// Cookie (0/4/8) | L2-specific sublayer |x|S|x|x|x|x|x|x| Sequence Number (24) |.
// Over IP the header starts at Session ID (0 = control message).
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "dataplane/path/fast_path.hpp"
#include "dataplane/path/reorder.hpp"
#include "shared/l2tp/peek.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::dp::detail {

namespace {

struct l2tp_pos {
	uint32_t l4_off;   // UDP header, or L2TP header for v3/IP
	uint32_t l2tp_off; // L2TP header
	uint32_t end;      // end of the L2TP payload
};

action punt(const path_ctx &c, const pkt &p, uint16_t in_port, punt_reason why, const l3_info &l3,
            const l2tp_pos &pos, uint8_t version, uint32_t payload_off, uint32_t tid, uint32_t sid,
            uint16_t ppp_proto, uint32_t idx, bool subscriber_local = false) noexcept {
	char *h = rte_pktmbuf_prepend(p.m, sizeof(punt_meta));
	if (!h)
		return drop(drop_reason::no_headroom);
	write_punt_meta(reinterpret_cast<uint8_t *>(h),
	                {why, in_port, version, l3.family, static_cast<uint16_t>(l3.off),
	                 static_cast<uint16_t>(pos.l4_off), static_cast<uint16_t>(pos.l2tp_off),
	                 static_cast<uint16_t>(payload_off),
	                 static_cast<uint16_t>(pos.end > payload_off ? pos.end - payload_off : 0), ppp_proto, tid, sid,
	                 idx});
	c.counters->count(subscriber_local                   ? path_event::punt_subscriber_local
	                  : why == punt_reason::l2tp_control ? path_event::punt_l2tp_control
	                  : why == punt_reason::ppp_control  ? path_event::punt_ppp_control
	                                                     : path_event::punt_unknown_session);
	return punted();
}

// The session's peer must be the outer source: the peer address is the destination in the
// session's transmit template.
bool from_peer(const session &s, const pkt &p, const l3_info &l3) noexcept {
	if (is_ipv6(s.encap) != (l3.family == 6))
		return false;
	// Constant-size compares: the compiler inlines them (no memcmp call per packet).
	if (l3.family == 4)
		return std::memcmp(s.tmpl + s.layout.ip_off + 16, p.d + l3.off + 12, 4) == 0;
	return std::memcmp(s.tmpl + s.layout.ip_off + 24, p.d + l3.off + 8, 16) == 0;
}

// IPv6 from a subscriber that stays on the PPP link: link-local source (RS, NS) or a
// link-local or multicast destination (ff02::2, DHCPv6 ff02::1:2). The control plane answers.
bool ipv6_link_scope(const uint8_t *ip6) noexcept {
	const uint8_t *src = ip6 + 8, *dst = ip6 + 24;
	const auto link_local = [](const uint8_t *a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; };
	return dst[0] == 0xff || link_local(dst) || link_local(src);
}

bool cookie_ok(const session &s, const uint8_t *c) noexcept {
	switch (s.rx_cookie_len) {
	case 0:
		return true;
	case 4:
		return std::memcmp(c, s.rx_cookie, 4) == 0;
	case 8:
		return std::memcmp(c, s.rx_cookie, 8) == 0;
	default:
		return false;
	}
}

// session_flag::check_source: the inner source must resolve to this session in the
// downstream tables, i.e. be the subscriber's IPv4 address or lie inside one of its routed
// prefixes (framed routes, add_route, the IPv6 prefix and delegated prefix), by longest
// match as downstream traffic to it would be routed. IPv6 link-local sources stay on the
// PPP link (punted before this; accepted here too). The common case, the subscriber's own
// IPv4 address, is one compare; only a mismatch costs a table lookup.
bool source_allowed(const tables_view &v, const session &s, uint32_t idx, const uint8_t *ip, bool v6) noexcept {
	uint32_t hop;
	if (!v6) {
		const uint32_t src = load_be32(ip + 12);
		if (src == s.subscriber_v4 && src != 0)
			return true;
		return lookup_sub_v4(v, src, hop) && hop == idx;
	}
	const uint8_t *src = ip + 8;
	if (src[0] == 0xfe && (src[1] & 0xc0) == 0x80)
		return true;
	return v.sub_v6 && rte_lpm6_lookup(v.sub_v6, src, &hop) == 0 && hop == idx;
}

// Forwards an inner IPv4/IPv6 packet that starts at `ip_off` out of the core port.
action route_inner(const path_ctx &c, const pkt &p, const session &s, uint32_t idx, uint32_t ip_off,
                   uint32_t end, bool v6) noexcept {
	const tables_view &v = *c.view;
	l3_info in{};
	drop_reason why{};
	const bool ok = v6 ? parse_ipv6(p, ip_off, end, in, why, drop_reason::bad_inner_ip, drop_reason::bad_inner_ip)
	                   : parse_ipv4(p, ip_off, end, false, in, why, drop_reason::bad_inner_ip,
	                                drop_reason::bad_inner_ip);
	if (!ok)
		return drop(why);
	uint8_t *ip = p.d + ip_off;
	if ((s.flags & session_flag::check_source) && !source_allowed(v, s, idx, ip, v6))
		return drop(drop_reason::spoofed_source);
	if (!v6 && ((ip[16] & 0xf0) == 0xe0 || load_be32(ip + 16) == 0xffffffffu))
		return drop(drop_reason::not_routable); // no multicast routing; limited broadcast stays on the link

	uint32_t nh = UINT32_MAX;
	if (!v6) {
		uint32_t hop;
		if (v.core_v4 && rte_lpm_lookup(v.core_v4, load_be32(ip + 16), &hop) == 0)
			nh = hop;
		else
			nh = __atomic_load_n(&v.default_nh_v4, __ATOMIC_ACQUIRE); // the runtime repoints it live
	} else {
		uint32_t hop;
		if (v.core_v6 && rte_lpm6_lookup(v.core_v6, ip + 24, &hop) == 0)
			nh = hop;
		else
			nh = __atomic_load_n(&v.default_nh_v6, __ATOMIC_ACQUIRE);
	}
	if (nh >= v.neighbour_count)
		return drop(drop_reason::no_route);
	const neighbour &n = v.neighbours[nh];
	// valid is published last by the runtime. An unresolved slot of a core port (a connected
	// route's glean slot) still names the port and our MAC: the frame is built as usual and
	// handed to the main lcore, which starts resolution (fate::glean, counted no_neighbour).
	const bool resolved = __atomic_load_n(&n.valid, __ATOMIC_ACQUIRE) != 0;
	if (!resolved && (n.port >= max_ports || v.ports[n.port].role != port_role::core))
		return drop(drop_reason::no_neighbour);
	const uint32_t ip_len = in.end - in.off;
	if (n.port < max_ports && v.ports[n.port].mtu && ip_len > v.ports[n.port].mtu)
		return too_big_action(p.m, ip, ip_off, in.family, v.ports[n.port].mtu, true);
	const uint32_t eth_len = n.vlan ? 18 : 14;
	const uint32_t start = ip_off - eth_len;
	const uint32_t excess = p.len - in.end;
	if (excess && excess > rte_pktmbuf_lastseg(p.m)->data_len)
		return drop(drop_reason::segmented_headers);
	if (!decrement_ttl(ip, in.family))
		return icmp_hook(p.m, ip_off, icmp_error::time_exceeded, 0, true, drop_reason::ttl_exceeded);
	if (s.mss_clamp && mss_clamp_ip(p, in, s.mss_clamp))
		c.counters->count(path_event::mss_clamped);

	uint8_t *e = p.d + start;
	std::memcpy(e, n.dst_mac, 6);
	std::memcpy(e + 6, n.src_mac, 6);
	if (n.vlan) {
		store_be16(e + 12, eth_vlan);
		store_be16(e + 14, n.vlan);
	}
	store_be16(e + eth_len - 2, v6 ? eth_ipv6 : eth_ipv4);
	rte_pktmbuf_adj(p.m, static_cast<uint16_t>(start));
	if (excess)
		rte_pktmbuf_trim(p.m, static_cast<uint16_t>(excess));
	p.m->ol_flags = 0;
	if (!resolved)
		return {fate::glean, drop_reason::no_neighbour, n.port};
	if (c.stats) {
		c.stats[idx].rx_packets++;
		c.stats[idx].rx_bytes += ip_len;
	}
	return tx(n.port);
}

// After the L2TP header of a known session: PPP or Ethernet payload at `off`.
action deliver(const path_ctx &c, const pkt &p, uint16_t in_port, const session &s, uint32_t idx,
               const l3_info &l3, const l2tp_pos &pos, uint32_t off, uint32_t tid, uint32_t sid) noexcept {
	if (s.pw != pw_type::ppp) {
		// Ethernet pseudowire: the payload is a whole frame for the attachment port.
		if (pos.end - off < 14)
			return drop(drop_reason::truncated_eth);
		const uint32_t excess = p.len - pos.end;
		if (excess && excess > rte_pktmbuf_lastseg(p.m)->data_len)
			return drop(drop_reason::segmented_headers);
		rte_pktmbuf_adj(p.m, static_cast<uint16_t>(off));
		if (excess)
			rte_pktmbuf_trim(p.m, static_cast<uint16_t>(excess));
		p.m->ol_flags = 0;
		if (c.stats) {
			c.stats[idx].rx_packets++;
			c.stats[idx].rx_bytes += pos.end - off;
		}
		c.counters->count(path_event::decap_v3);
		return tx(s.attach_port);
	}
	// PPP: optional Address/Control (FF 03), then a 1-byte (PFC) or 2-byte protocol.
	uint32_t pp = off;
	if (pos.end - pp >= 2 && fits(p, pp + 2) && p.d[pp] == 0xff && p.d[pp + 1] == 0x03)
		pp += 2;
	if (pos.end - pp < 1)
		return drop(drop_reason::truncated_ppp);
	if (!fits(p, pp + 2))
		return drop(short_reason(p, pp + 2, drop_reason::truncated_ppp));
	uint16_t proto = p.d[pp];
	if (proto & 1) {
		pp += 1;
	} else {
		if (pos.end - pp < 2)
			return drop(drop_reason::truncated_ppp);
		proto = load_be16(p.d + pp);
		pp += 2;
	}
	if (proto != ppp::proto::ipv4 && proto != ppp::proto::ipv6)
		return punt(c, p, in_port, punt_reason::ppp_control, l3, pos, s.version, off, tid, sid, proto, idx);
	if (proto == ppp::proto::ipv6 && pos.end - pp >= 40 && fits(p, pp + 40) && ipv6_link_scope(p.d + pp))
		return punt(c, p, in_port, punt_reason::ppp_control, l3, pos, s.version, off, tid, sid, proto, idx, true);
	if (s.flags & session_flag::control_only)
		return drop(drop_reason::session_not_open);
	const action a = route_inner(c, p, s, idx, pp, pos.end, proto == ppp::proto::ipv6);
	if (a.f == fate::tx)
		c.counters->count(s.version == 2 ? path_event::decap_v2 : path_event::decap_v3);
	return a;
}

// The sequence check of a session with a reorder timeout (reorder.hpp): fate::tx means
// "in order, go on"; anything else is the packet's fate.
action reorder_check(const path_ctx &c, const session &s, uint32_t idx, uint32_t ns, uint32_t bits, rte_mbuf *m,
                     uint16_t in_port) noexcept {
	switch (reorder_rx(c, s, idx, ns, bits, m, in_port)) {
	case reorder_verdict::deliver: return tx(0);
	case reorder_verdict::held: return {fate::held, drop_reason::truncated_eth, 0};
	case reorder_verdict::old: return drop(drop_reason::seq_out_of_order);
	case reorder_verdict::full: return drop(drop_reason::reorder_full);
	}
	return drop(drop_reason::seq_out_of_order);
}

action unknown(const path_ctx &c, const pkt &p, uint16_t in_port, const l3_info &l3, const l2tp_pos &pos,
               uint8_t version, uint32_t payload_off, uint32_t tid, uint32_t sid) noexcept {
	if (!c.view->punt_unknown_sessions)
		return drop(drop_reason::unknown_session);
	return punt(c, p, in_port, punt_reason::unknown_session, l3, pos, version, payload_off, tid, sid, 0,
	            no_session);
}

action decap_v2(const path_ctx &c, const pkt &p, uint16_t in_port, const l3_info &l3, l2tp_pos pos) noexcept {
	const uint32_t o = pos.l2tp_off;
	const uint16_t w = load_be16(p.d + o);
	const uint32_t fixed = 6 + ((w & l2tp::flag_length) ? 2 : 0) + ((w & l2tp::flag_sequence) ? 4 : 0) +
	                       ((w & l2tp::flag_offset) ? 2 : 0);
	if (pos.end - o < fixed)
		return drop(drop_reason::truncated_l2tp);
	if (!fits(p, o + fixed))
		return drop(drop_reason::segmented_headers);
	uint32_t h = o + 2;
	if (w & l2tp::flag_length) {
		const uint32_t len = load_be16(p.d + h);
		if (len < fixed || len > pos.end - o)
			return drop(drop_reason::bad_length);
		pos.end = o + len; // anything after Length is padding
		h += 2;
	}
	const uint16_t tid = load_be16(p.d + h);
	const uint16_t sid = load_be16(p.d + h + 2);
	h += 4;
	uint32_t ns = 0;
	const bool has_seq = (w & l2tp::flag_sequence) != 0;
	if (has_seq) {
		ns = load_be16(p.d + h);
		h += 4;
	}
	if (w & l2tp::flag_offset) {
		const uint32_t pad = load_be16(p.d + h);
		h += 2 + pad;
		if (h > pos.end)
			return drop(drop_reason::truncated_l2tp);
	}

	const tables_view &v = *c.view;
	const uint32_t idx = session_index_v2(tid, sid, v.session_mask);
	const session *s = live_session(v, idx);
	if (!s || s->version != 2 || s->local_tunnel_id != tid || s->local_session_id != sid)
		return unknown(c, p, in_port, l3, pos, 2, h, tid, sid);
	if (!from_peer(*s, p, l3))
		return drop(drop_reason::wrong_peer);
	if (has_seq) {
		if (s->reorder_timeout_ms) {
			const action a = reorder_check(c, *s, idx, ns, 16, p.m, in_port);
			if (a.f != fate::tx)
				return a;
		} else if (!accept_seq(v.seq[idx], ns, 16, *c.counters)) {
			return drop(drop_reason::seq_out_of_order);
		}
	} else if (s->flags & session_flag::require_seq) {
		return drop(drop_reason::seq_missing);
	}
	return deliver(c, p, in_port, *s, idx, l3, pos, h, tid, sid);
}

// `o` points at the Session ID (after the 4-byte UDP flags word, or at the IP payload).
action decap_v3(const path_ctx &c, const pkt &p, uint16_t in_port, const l3_info &l3, const l2tp_pos &pos,
                uint32_t o, bool over_udp) noexcept {
	const tables_view &v = *c.view;
	const uint32_t sid = load_be32(p.d + o);
	const uint32_t idx = session_index_v3(sid, v.session_mask);
	const session *s = live_session(v, idx);
	if (!s || s->version != 3 || s->local_session_id != sid || is_udp(s->encap) != over_udp)
		return unknown(c, p, in_port, l3, pos, 3, o + 4, 0, sid);
	if (!from_peer(*s, p, l3))
		return drop(drop_reason::wrong_peer);
	uint32_t h = o + 4;
	const uint32_t need = s->rx_cookie_len + ((s->flags & session_flag::l2ss) ? 4u : 0u);
	if (pos.end - h < need)
		return drop(drop_reason::truncated_l2tp);
	if (!fits(p, h + need))
		return drop(drop_reason::segmented_headers);
	if (!cookie_ok(*s, p.d + h))
		return drop(drop_reason::bad_cookie);
	h += s->rx_cookie_len;
	if (s->flags & session_flag::l2ss) {
		const uint32_t word = load_be32(p.d + h);
		h += 4;
		if (word & 0x40000000u) {
			if (s->reorder_timeout_ms) {
				const action a = reorder_check(c, *s, idx, word & 0xffffffu, 24, p.m, in_port);
				if (a.f != fate::tx)
					return a;
			} else if (!accept_seq(v.seq[idx], word & 0xffffffu, 24, *c.counters)) {
				return drop(drop_reason::seq_out_of_order);
			}
		} else if (s->flags & session_flag::require_seq) {
			return drop(drop_reason::seq_missing);
		}
	}
	return deliver(c, p, in_port, *s, idx, l3, pos, h, s->local_tunnel_id, sid);
}


} // namespace

action handle_access(const path_ctx &c, uint16_t in_port, rte_mbuf *m) noexcept {
	const tables_view &v = *c.view;
	const pkt p = make_pkt(m);
	drop_reason why{};
	l2_info l2{};
	if (!parse_l2(p, l2, why))
		return drop(why);
	l3_info l3{};
	if (l2.ethertype == eth_ipv4) {
		if (!parse_ipv4(p, l2.l3_off, p.len, true, l3, why))
			return drop(why);
	} else if (l2.ethertype == eth_ipv6) {
		if (!parse_ipv6(p, l2.l3_off, p.len, l3, why))
			return drop(why);
		if (is_nd(p, l3))
			return local();
	} else if (l2.ethertype == eth_arp) {
		return local();
	} else {
		return drop(drop_reason::not_ip);
	}

	const uint32_t l4 = l3.off + l3.hdr_len;
	if (l3.proto == ipproto_udp) {
		if (!fits(p, l4 + 8))
			return drop(short_reason(p, l4 + 8, drop_reason::truncated_ip));
		if (!v.is_l2tp_udp_port(load_be16(p.d + l4 + 2))) // the main port, or a static tunnel's
			return is_local(v, p, l3) ? local() : drop(drop_reason::not_l2tp);
	} else if (l3.proto != ipproto_l2tp) {
		return is_local(v, p, l3) ? local() : drop(drop_reason::not_l2tp);
	}
	if (!accepts_l2tp(v, p, l3))
		return drop(drop_reason::not_local_address);
	if (l3.family == 4 && (load_be16(p.d + l3.off + 6) & 0x3fff))
		return drop(drop_reason::ip_fragment);

	if (l3.proto == ipproto_l2tp) {
		const l2tp_pos pos{l4, l4, l3.end};
		if (l3.end - l4 < 4)
			return drop(drop_reason::truncated_l2tp);
		if (!fits(p, l4 + 4))
			return drop(drop_reason::segmented_headers);
		if (load_be32(p.d + l4) == 0)
			return punt(c, p, in_port, punt_reason::l2tp_control, l3, pos, 3, l4 + 4, 0, 0, 0, no_session);
		return decap_v3(c, p, in_port, l3, pos, l4, false);
	}

	const uint32_t ulen = load_be16(p.d + l4 + 4);
	if (ulen < 8 || l4 + ulen > l3.end)
		return drop(drop_reason::truncated_l2tp);
	if (!udp_rx_csum_ok(m, p.d + l3.off, l3.family, l4, ulen, v.ports[in_port].trust_udp_csum))
		return drop(drop_reason::bad_udp_csum);
	const l2tp_pos pos{l4, l4 + 8, l4 + ulen};
	if (ulen < 8 + 2)
		return drop(drop_reason::truncated_l2tp);
	if (!fits(p, pos.l2tp_off + 2))
		return drop(drop_reason::segmented_headers);
	const uint16_t w = load_be16(p.d + pos.l2tp_off);
	const uint8_t ver = w & l2tp::version_mask;
	if (ver != l2tp::version_v2 && ver != l2tp::version_v3)
		return drop(drop_reason::bad_version);
	if (w & l2tp::flag_type) {
		uint32_t tid = 0;
		if (ver == l2tp::version_v2) {
			const uint32_t id_off = pos.l2tp_off + ((w & l2tp::flag_length) ? 4 : 2);
			if (fits(p, id_off + 2) && id_off + 2 <= pos.end)
				tid = load_be16(p.d + id_off);
		}
		return punt(c, p, in_port, punt_reason::l2tp_control, l3, pos, ver, pos.l2tp_off, tid, 0, 0, no_session);
	}
	if (ver == l2tp::version_v2)
		return decap_v2(c, p, in_port, l3, pos);
	if (pos.end - pos.l2tp_off < 8)
		return drop(drop_reason::truncated_l2tp);
	if (!fits(p, pos.l2tp_off + 8))
		return drop(drop_reason::segmented_headers);
	return decap_v3(c, p, in_port, l3, pos, pos.l2tp_off + 4, true);
}

} // namespace l2tpx::dp::detail
