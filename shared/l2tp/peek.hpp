// Fast classification of L2TP packets for the dataplane hot path: which version, data or
// control. Header-only, no allocation, reads at most the first 4 bytes.
//
// Over UDP every L2TP header (RFC 2661 §3.1, RFC 3931 §3.2.1 and §4.1.2.1) starts with
//
//    0                   1
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// (O and P exist only in L2TPv2; they are reserved bits in L2TPv3.)
// Over IP protocol 115 (RFC 3931 §4.1.1) a packet starts with a 32-bit Session ID; the value
// 0 announces a control message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/byteorder.hpp"

namespace l2tpx::l2tp {

// Bits of the first 16-bit word, as a host-order value from load_be16().
inline constexpr uint16_t flag_type = 0x8000;     // T: 1 = control message
inline constexpr uint16_t flag_length = 0x4000;   // L: Length field present
inline constexpr uint16_t flag_sequence = 0x0800; // S: Ns and Nr present
inline constexpr uint16_t flag_offset = 0x0200;   // O: Offset Size present (v2 only)
inline constexpr uint16_t flag_priority = 0x0100; // P: priority data (v2 only)
inline constexpr uint16_t version_mask = 0x000f;

inline constexpr uint8_t version_v2 = 2;
inline constexpr uint8_t version_v3 = 3;

// Well-known UDP port (RFC 2661 §8.1, RFC 3931 §4.1.2) and IP protocol (RFC 3931 §4.1.1).
inline constexpr uint16_t udp_port = 1701;
inline constexpr uint8_t ip_protocol = 115;

struct peek_info {
	uint8_t version; // Ver field, 0..15; 0 when fewer than 2 bytes
	bool control;    // T bit
};

// Version and T bit of an L2TP-over-UDP payload.
inline peek_info peek(std::span<const uint8_t> udp_payload) noexcept {
	if (udp_payload.size() < 2)
		return {0, false};
	const uint16_t w = load_be16(udp_payload.data());
	return {static_cast<uint8_t>(w & version_mask), (w & flag_type) != 0};
}

enum class packet_class : uint8_t {
	invalid,    // too short, or a version that is neither 2 nor 3
	v2_data,    // L2TPv2, T=0
	v2_control, // L2TPv2, T=1
	v3_data,    // L2TPv3, T=0 (UDP) or Session ID != 0 (IP)
	v3_control, // L2TPv3, T=1 (UDP) or Session ID == 0 (IP)
};

namespace detail {
// Indexed by (T << 4) | Ver.
inline constexpr packet_class udp_class_table[32] = {
	packet_class::invalid, packet_class::invalid,    packet_class::v2_data,    packet_class::v3_data,
	packet_class::invalid, packet_class::invalid,    packet_class::invalid,    packet_class::invalid,
	packet_class::invalid, packet_class::invalid,    packet_class::invalid,    packet_class::invalid,
	packet_class::invalid, packet_class::invalid,    packet_class::invalid,    packet_class::invalid,
	packet_class::invalid, packet_class::invalid,    packet_class::v2_control, packet_class::v3_control,
	packet_class::invalid, packet_class::invalid,    packet_class::invalid,    packet_class::invalid,
	packet_class::invalid, packet_class::invalid,    packet_class::invalid,    packet_class::invalid,
	packet_class::invalid, packet_class::invalid,    packet_class::invalid,    packet_class::invalid,
};
} // namespace detail

// Classify an L2TP-over-UDP payload (the bytes after the UDP header). Only the first word is
// looked at: the matching parse_*() still validates the rest.
inline packet_class classify_udp(std::span<const uint8_t> udp_payload) noexcept {
	if (udp_payload.size() < 2)
		return packet_class::invalid;
	const uint16_t w = load_be16(udp_payload.data());
	return detail::udp_class_table[((w >> 11) & 0x10) | (w & version_mask)];
}

// Classify an L2TPv3-over-IP payload (the bytes after the IP header, protocol 115).
inline packet_class classify_ip(std::span<const uint8_t> ip_payload) noexcept {
	if (ip_payload.size() < 4)
		return packet_class::invalid;
	return load_be32(ip_payload.data()) == 0 ? packet_class::v3_control : packet_class::v3_data;
}

const char *to_string(packet_class c) noexcept;

} // namespace l2tpx::l2tp
