#include "dataplane/path/session_build.hpp"

#include <cstring>

#include "shared/base/byteorder.hpp"

namespace l2tpx::dp {

const char *to_string(session_build_error e) noexcept {
	switch (e) {
#define X(name, desc)                                                                                \
	case session_build_error::name:                                                             \
		return #name;
		L2TPX_SESSION_BUILD_ERRORS(X)
#undef X
	}
	return "?";
}

namespace {

uint32_t sum16(const uint8_t *p, size_t n) noexcept {
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += load_be16(p + i);
	if (n & 1)
		s += static_cast<uint32_t>(p[n - 1]) << 8;
	return s;
}

bool cookie_len_ok(uint8_t n) noexcept { return n == 0 || n == 4 || n == 8; }

} // namespace

result<void, session_build_error> build_session(const session_params &p, session &out) noexcept {
	const bool v3 = is_v3(p.encap);
	const bool v6 = is_ipv6(p.encap);
	const bool udp = is_udp(p.encap);

	if (!v3 && (p.local_tunnel_id > 0xffff || p.local_session_id > 0xffff || p.peer_tunnel_id > 0xffff ||
	            p.peer_session_id > 0xffff))
		return unexpected(session_build_error::bad_ids);
	if (p.local_session_id == 0 || p.peer_session_id == 0)
		return unexpected(session_build_error::bad_ids);
	if (!cookie_len_ok(p.rx_cookie_len) || !cookie_len_ok(p.tx_cookie_len) ||
	    (!v3 && (p.rx_cookie_len || p.tx_cookie_len)))
		return unexpected(session_build_error::bad_cookie);
	if (!v3 && p.pw != pw_type::ppp)
		return unexpected(session_build_error::bad_pw);
	if (p.pw == pw_type::eth_vlan && (p.attach_vlan == 0 || p.attach_vlan > 4094))
		return unexpected(session_build_error::bad_pw);
	if (p.vlan > 4094)
		return unexpected(session_build_error::bad_vlan);
	if (v3 && (p.flags & (session_flag::send_seq | session_flag::require_seq)) && !(p.flags & session_flag::l2ss))
		return unexpected(session_build_error::bad_seq);

	std::memset(&out, 0, sizeof(out));
	out.generation = p.generation;
	out.state = session_state::up;
	out.version = v3 ? 3 : 2;
	out.encap = p.encap;
	out.pw = p.pw;
	out.local_tunnel_id = p.local_tunnel_id;
	out.local_session_id = p.local_session_id;
	out.peer_tunnel_id = p.peer_tunnel_id;
	out.peer_session_id = p.peer_session_id;
	out.tunnel_index = p.tunnel_index;
	out.subscriber_v4 = p.subscriber_v4;
	out.flags = v3 ? p.flags : static_cast<uint8_t>(p.flags & ~session_flag::l2ss);
	out.rx_cookie_len = p.rx_cookie_len;
	out.tx_cookie_len = p.tx_cookie_len;
	std::memcpy(out.rx_cookie, p.rx_cookie, p.rx_cookie_len);
	out.mss_clamp = p.pw == pw_type::ppp ? p.mss_clamp : 0;
	out.reorder_timeout_ms = p.reorder_timeout_ms;
	out.egress_port = p.egress_port;
	out.attach_port = p.attach_port;
	out.attach_vlan = p.attach_vlan;
	if (!is_ipv6(p.encap))
		std::memcpy(&out.peer_v4, p.peer_addr, 4);
	uint8_t key[4];
	if (v3) {
		store_be32(key, p.local_session_id);
	} else {
		store_be16(key, static_cast<uint16_t>(p.local_tunnel_id));
		store_be16(key + 2, static_cast<uint16_t>(p.local_session_id));
	}
	std::memcpy(&out.rx_key, key, 4);
	if ((out.flags & session_flag::control_only) || out.reorder_timeout_ms)
		out.rx_fast = 0; // no data forwarded yet, or the reorder buffer (general path only)
	else if (p.pw == pw_type::ppp && p.encap == encap_kind::v2_udp4)
		out.rx_fast = (out.flags & session_flag::require_seq) ? rx_fast::v2 : rx_fast::v2 | rx_fast::v2_noseq;
	else if (p.pw == pw_type::ppp && p.encap == encap_kind::v3_udp4 && !(out.flags & session_flag::l2ss))
		out.rx_fast = rx_fast::v3;

	uint8_t *t = out.tmpl;
	size_t o = 0;
	std::memcpy(t + o, p.peer_mac, 6);
	std::memcpy(t + o + 6, p.local_mac, 6);
	o += 12;
	if (p.vlan) {
		store_be16(t + o, 0x8100);
		store_be16(t + o + 2, p.vlan);
		o += 4;
	}
	store_be16(t + o, v6 ? 0x86dd : 0x0800);
	o += 2;

	template_layout &l = out.layout;
	l.ip_off = static_cast<uint8_t>(o);
	const uint8_t l4proto = udp ? 17 : 115;
	if (!v6) {
		t[o] = 0x45;
		t[o + 1] = static_cast<uint8_t>(p.dscp << 2);
		store_be16(t + o + 6, 0x4000); // DF: no fragmentation of the tunnel packets
		t[o + 8] = p.ttl;
		t[o + 9] = l4proto;
		std::memcpy(t + o + 12, p.local_addr, 4);
		std::memcpy(t + o + 16, p.peer_addr, 4);
		const uint32_t s = sum16(t + o, 20);
		l.ip_csum_base = static_cast<uint16_t>((s & 0xffff) + (s >> 16));
		out.tx_csum_base = static_cast<uint16_t>(~l.ip_csum_base);
		o += 20;
	} else {
		store_be32(t + o, 0x60000000u | (static_cast<uint32_t>(p.dscp) << 22));
		t[o + 6] = l4proto;
		t[o + 7] = p.ttl;
		std::memcpy(t + o + 8, p.local_addr, 16);
		std::memcpy(t + o + 24, p.peer_addr, 16);
		o += 40;
	}
	if (udp) {
		l.udp_off = static_cast<uint8_t>(o);
		store_be16(t + o, p.local_udp_port);
		store_be16(t + o + 2, p.peer_udp_port);
		o += 8;
	}
	l.l2tp_off = static_cast<uint8_t>(o);
	if (!v3) {
		uint16_t w = 0x0002;
		if (p.v2_length)
			w |= 0x4000;
		if (p.flags & session_flag::send_seq)
			w |= 0x0800;
		store_be16(t + o, w);
		o += 2;
		if (p.v2_length) {
			l.l2tp_len_off = static_cast<uint8_t>(o);
			o += 2;
		}
		store_be16(t + o, static_cast<uint16_t>(p.peer_tunnel_id));
		store_be16(t + o + 2, static_cast<uint16_t>(p.peer_session_id));
		o += 4;
		if (p.flags & session_flag::send_seq) {
			l.seq_off = static_cast<uint8_t>(o);
			o += 4; // Ns, Nr (Nr is reserved in data messages and sent as 0)
		}
	} else {
		if (udp) {
			store_be16(t + o, 0x0003);
			o += 4;
		}
		store_be32(t + o, p.peer_session_id);
		o += 4;
		std::memcpy(t + o, p.tx_cookie, p.tx_cookie_len);
		o += p.tx_cookie_len;
		if (p.flags & session_flag::l2ss) {
			l.seq_off = static_cast<uint8_t>(o);
			o += 4; // x S x x x x x x | Sequence Number (24): written per packet
		}
	}
	if (p.pw == pw_type::ppp) {
		if (p.ppp_address_control) {
			t[o] = 0xff;
			t[o + 1] = 0x03;
			o += 2;
		}
		l.ppp_proto_off = static_cast<uint8_t>(o);
		o += 2;
	}
	static_assert(18 + 40 + 8 + 8 + 8 + 4 + 2 + 2 <= max_template, "largest template: QinQ-free VLAN, IPv6, UDP, v3+cookie+L2SS, FF03, proto");
	l.len = static_cast<uint8_t>(o);
	// The core ports' lean encapsulation (fast_core.hpp): PPP, UDP over untagged IPv4, no
	// sequence number to write (a v3 L2SS without send_seq stays the template's zero word).
	if (p.pw == pw_type::ppp && udp && !v6 && !p.vlan && !(out.flags & session_flag::send_seq) &&
	    o <= max_lean_template) {
		l.tx_hlen = static_cast<uint8_t>(o - 14);
		out.tx_lean = static_cast<uint16_t>(l.tx_hlen | out.version << 8 |
		                                    (l.l2tp_len_off ? tx_lean_flag::l2tp_len : 0) |
		                                    (out.mss_clamp ? tx_lean_flag::mss : 0));
	}
	return {};
}

} // namespace l2tpx::dp
