// Metadata carried with packets on the punt and inject rings. DPDK-free.
//
// Both rings carry rte_mbuf pointers from the dataplane's packet pool (pool_name in
// ring_names.hpp). The metadata is *prepended* to the frame in the mbuf's data area:
//
//   punt ring:   [punt_meta  (32 bytes)] [received frame, from its Ethernet header]
//   inject ring: [inject_meta (32 bytes)] [payload, see inject_kind]
//
// so a reader needs only rte_pktmbuf_mtod() and the data length: the metadata is the first
// 32 bytes, the frame follows. Offsets in punt_meta count from the first frame byte.
#pragma once

#include <cstdint>
#include <type_traits>

namespace l2tpx::ring {

enum class punt_reason : uint8_t {
	l2tp_control = 1,    // L2TP control message (v2 T=1, v3 T=1 over UDP, session 0 over IP)
	ppp_control = 2,     // PPP frame that is not IPv4/IPv6 data (LCP, IPCP, PAP, CHAP, ...)
	unknown_session = 3, // data for a session the dataplane does not know (when enabled)
};

inline constexpr uint16_t punt_meta_magic = 0x5054; // "PT"
inline constexpr uint8_t punt_meta_version = 1;

struct punt_meta {
	uint16_t magic;          // punt_meta_magic
	uint8_t version;         // punt_meta_version
	punt_reason reason;
	uint16_t in_port;        // DPDK port the frame arrived on
	uint8_t l2tp_version;    // 2 or 3
	uint8_t family;          // outer IP: 4 or 6
	uint16_t l3_offset;      // outer IP header
	uint16_t l4_offset;      // UDP header; for L2TPv3/IP the L2TP header
	uint16_t l2tp_offset;    // L2TP header
	uint16_t payload_offset; // first byte after the L2TP header (PPP for ppp_control)
	uint16_t payload_length; // bytes from payload_offset to the end of the L2TP payload
	uint16_t ppp_protocol;   // ppp_control: the PPP protocol; 0 otherwise
	uint32_t tunnel_id;      // v2 Tunnel ID / v3 local CCID when known (0 otherwise)
	uint32_t session_id;     // Session ID from the header (0 for control)
	uint32_t session_index;  // ppp_control: index of the session record; UINT32_MAX otherwise
};
static_assert(std::is_trivially_copyable_v<punt_meta>);
static_assert(sizeof(punt_meta) == 32);

enum class inject_kind : uint8_t {
	ethernet = 1, // payload is a complete Ethernet frame: sent as is on out_port
	ip = 2,       // payload is an IPv4/IPv6 packet: the dataplane adds the Ethernet header
	              // for its destination (neighbour table, gateway) and sends it on out_port
};

inline constexpr uint16_t inject_meta_magic = 0x494a; // "IJ"
inline constexpr uint8_t inject_meta_version = 1;

struct inject_meta {
	uint16_t magic;          // inject_meta_magic
	uint8_t version;         // inject_meta_version
	inject_kind kind;
	uint16_t out_port;       // DPDK port to send on
	uint16_t vlan;           // ip kind: 802.1Q VLAN to push; 0 = none
	uint32_t session_index;  // for accounting: counted as the session's tx; UINT32_MAX = none
	uint32_t cookie;         // opaque, for the control plane's tracing
	uint8_t reserved[16];
};
static_assert(std::is_trivially_copyable_v<inject_meta>);
static_assert(sizeof(inject_meta) == 32);

} // namespace l2tpx::ring
