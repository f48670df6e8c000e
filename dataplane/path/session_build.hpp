// Builds a worker-visible session record, including its precomputed encapsulation
// template, from plain parameters. DPDK-free: used by the table writer (dpruntime),
// by tests and by tools. Not a hot-path function.
#pragma once

#include <cstdint>

#include "dataplane/path/session.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::dp {

#define L2TPX_SESSION_BUILD_ERRORS(X)                                                          \
	X(bad_version, "version must be 2 or 3, matching the encap kind")                      \
	X(bad_ids, "a v2 tunnel or session ID above 65535, or a zero local/peer session ID")  \
	X(bad_cookie, "cookie length not 0, 4 or 8, or a cookie on L2TPv2")                   \
	X(bad_pw, "pseudowire type not allowed for this version, or a VLAN out of 1..4094")  \
	X(bad_seq, "v3 sequencing without the L2-specific sublayer")                         \
	X(bad_vlan, "outer VLAN ID out of 1..4094")

enum class session_build_error : uint8_t {
#define X(name, desc) name,
	L2TPX_SESSION_BUILD_ERRORS(X)
#undef X
};
const char *to_string(session_build_error e) noexcept;

struct session_params {
	encap_kind encap = encap_kind::v2_udp4;
	pw_type pw = pw_type::ppp;
	uint32_t local_tunnel_id = 0;  // v2: 16 bits
	uint32_t local_session_id = 0; // v2: 16 bits; determines the table index
	uint32_t peer_tunnel_id = 0;
	uint32_t peer_session_id = 0;
	uint32_t tunnel_index = 0;
	uint32_t generation = 0;

	// Outer Ethernet/IP/UDP, network order for addresses.
	uint8_t local_mac[6] = {};
	uint8_t peer_mac[6] = {};      // next hop towards the peer
	uint16_t vlan = 0;             // 802.1Q VLAN on the access port; 0 = untagged
	uint8_t local_addr[16] = {};   // IPv4 in the first 4 bytes
	uint8_t peer_addr[16] = {};
	uint16_t local_udp_port = 1701;
	uint16_t peer_udp_port = 1701;
	uint8_t ttl = 64;
	uint8_t dscp = 0;

	// L2TP options.
	bool v2_length = false;        // send the L bit and Length field (L2TPv2)
	bool ppp_address_control = true; // send FF 03 before the PPP protocol
	uint8_t flags = 0;             // session_flag::*
	uint8_t rx_cookie_len = 0;
	uint8_t rx_cookie[8] = {};
	uint8_t tx_cookie_len = 0;
	uint8_t tx_cookie[8] = {};

	// Forwarding.
	uint16_t egress_port = 0;
	uint16_t attach_port = 0;
	uint16_t attach_vlan = 0;
	uint32_t subscriber_v4 = 0;    // host order
	uint16_t mss_clamp = 0;
	uint16_t reorder_timeout_ms = 0; // sequenced data: hold out-of-order packets this long (reorder.hpp)
};

// Fills `out` with state = up. The caller publishes it (see session.hpp).
result<void, session_build_error> build_session(const session_params &p, session &out) noexcept;

// Table index of a session (see session.hpp).
constexpr uint32_t session_index_v2(uint16_t tunnel_id, uint16_t session_id, uint32_t mask) noexcept {
	return ((static_cast<uint32_t>(tunnel_id) << 16) | session_id) & mask;
}
constexpr uint32_t session_index_v3(uint32_t session_id, uint32_t mask) noexcept { return session_id & mask; }
inline uint32_t session_index(const session &s, uint32_t mask) noexcept {
	return s.version == 2 ? session_index_v2(static_cast<uint16_t>(s.local_tunnel_id),
	                                         static_cast<uint16_t>(s.local_session_id), mask)
	                      : session_index_v3(s.local_session_id, mask);
}

} // namespace l2tpx::dp
