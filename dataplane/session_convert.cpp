#include "dataplane/session_convert.hpp"

#include <cstring>

namespace l2tpx::dp {

namespace {
uint32_t v4_host(const uint8_t *b) noexcept {
	return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}
} // namespace

bool to_build_params(const ring::session_params &p, uint32_t tunnel_index, uint32_t generation, session_params &out,
                     std::string &err) {
	// Checked first: `out` is left as it was on failure, and written in place (no copy) on
	// success (the table writer calls this once per install).
	const bool v6 = p.peer.family == 6;
	encap_kind encap;
	if (p.version == 2) {
		if (p.enc != ring::encap::udp) {
			err = "L2TPv2 runs over UDP only";
			return false;
		}
		encap = v6 ? encap_kind::v2_udp6 : encap_kind::v2_udp4;
	} else if (p.version == 3) {
		encap = p.enc == ring::encap::udp ? (v6 ? encap_kind::v3_udp6 : encap_kind::v3_udp4)
		                                 : (v6 ? encap_kind::v3_ip6 : encap_kind::v3_ip4);
	} else {
		err = "version must be 2 or 3";
		return false;
	}
	pw_type pw;
	switch (p.pw_type) {
	case ring::pw::ppp: pw = pw_type::ppp; break;
	case ring::pw::eth: pw = pw_type::eth; break;
	case ring::pw::eth_vlan: pw = pw_type::eth_vlan; break;
	default: err = "unknown pseudowire type"; return false;
	}
	out = session_params{};
	session_params &b = out;
	b.encap = encap;
	b.pw = pw;
	b.local_tunnel_id = p.local_tunnel_id;
	b.local_session_id = p.local_session_id;
	b.peer_tunnel_id = p.peer_tunnel_id;
	b.peer_session_id = p.peer_session_id;
	b.tunnel_index = tunnel_index;
	b.generation = generation;
	std::memcpy(b.local_addr, p.local.bytes, 16);
	std::memcpy(b.peer_addr, p.peer.bytes, 16);
	b.local_udp_port = p.local_udp_port;
	b.peer_udp_port = p.peer_udp_port;
	uint8_t f = 0;
	if (p.flags & ring::session_flag::send_seq)
		f |= session_flag::send_seq;
	if (p.flags & ring::session_flag::require_seq)
		f |= session_flag::require_seq | session_flag::check_seq;
	if (p.flags & ring::session_flag::l2ss)
		f |= session_flag::l2ss;
	if (p.flags & ring::session_flag::check_source)
		f |= session_flag::check_source;
	if (p.flags & ring::session_flag::control_only)
		f |= session_flag::control_only;
	b.flags = f;
	b.rx_cookie_len = p.cookie_len;
	std::memcpy(b.rx_cookie, p.cookie, sizeof(b.rx_cookie));
	b.tx_cookie_len = p.peer_cookie_len;
	std::memcpy(b.tx_cookie, p.peer_cookie, sizeof(b.tx_cookie));
	b.egress_port = p.access_port;
	b.attach_port = p.attach_port;
	b.attach_vlan = p.attach_vlan;
	b.subscriber_v4 = v4_host(p.subscriber_v4);
	b.mss_clamp = p.mss_clamp;
	b.reorder_timeout_ms = p.reorder_timeout_ms;
	return true;
}

ring::tunnel_params static_tunnel_params(const cfg::static_tunnel &t, uint16_t port_id) {
	ring::tunnel_params p{};
	p.version = 3;
	p.enc = t.encap == cfg::l2tp_encap::udp ? ring::encap::udp : ring::encap::ip;
	p.port = port_id;
	p.local_tunnel_id = t.tunnel_id;
	p.peer_tunnel_id = t.peer_tunnel_id;
	if (p.enc == ring::encap::udp) {
		p.local_udp_port = t.udp_sport;
		p.peer_udp_port = t.udp_dport;
	}
	p.local.family = t.local.family;
	std::memcpy(p.local.bytes, t.local.bytes.data(), 16);
	p.peer.family = t.remote.family;
	std::memcpy(p.peer.bytes, t.remote.bytes.data(), 16);
	return p;
}

ring::session_params static_session_params(const cfg::static_session &s, const cfg::static_tunnel &t,
                                           uint16_t access_port_id, uint16_t attach_port_id) {
	ring::session_params p{};
	const ring::tunnel_params tp = static_tunnel_params(t, access_port_id);
	p.version = 3;
	p.enc = tp.enc;
	p.pw_type = s.pw == cfg::pseudowire::eth ? ring::pw::eth : ring::pw::eth_vlan;
	p.flags = (s.seq_send ? ring::session_flag::send_seq : 0) | (s.seq_recv ? ring::session_flag::require_seq : 0) |
	          (s.l2spec == cfg::l2spec_type::default_ ? ring::session_flag::l2ss : 0);
	p.local_tunnel_id = t.tunnel_id;
	p.local_session_id = s.session_id;
	p.peer_tunnel_id = t.peer_tunnel_id;
	p.peer_session_id = s.peer_session_id;
	p.access_port = access_port_id;
	p.attach_port = attach_port_id;
	p.attach_vlan = s.vlan;
	p.local_udp_port = tp.local_udp_port;
	p.peer_udp_port = tp.peer_udp_port;
	p.local = tp.local;
	p.peer = tp.peer;
	p.cookie_len = static_cast<uint8_t>(s.cookie.size());
	if (!s.cookie.empty()) // data() of an empty vector may be null: memcpy(null) is UB
		std::memcpy(p.cookie, s.cookie.data(), s.cookie.size());
	p.peer_cookie_len = static_cast<uint8_t>(s.peer_cookie.size());
	if (!s.peer_cookie.empty())
		std::memcpy(p.peer_cookie, s.peer_cookie.data(), s.peer_cookie.size());
	p.reorder_timeout_ms = s.reorder_timeout_ms;
	return p;
}

} // namespace l2tpx::dp
