// The probe the LAC emulator sends through every session: an ICMP echo request inside a
// PPP frame, carrying a signature (magic, call index, send timestamp) that the echo reply
// brings back, so each reply is matched to its call and timed. Pure, unit tested.
//
//   PPP (RFC 1661)    FF 03 00 21                      address, control, protocol IPv4
//   IPv4 (RFC 791)    20 bytes, no options, TTL 64, protocol 1
//   ICMP (RFC 792)    type 8, code 0, checksum, identifier, sequence number
//   data              magic "L2LX" | call index (be32) | timestamp ns (be64) | pattern
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace l2tpx::gen::lac {

inline constexpr uint32_t echo_magic = 0x4c324c58; // "L2LX"
inline constexpr size_t echo_signature_bytes = 16;
inline constexpr size_t echo_frame_overhead = 4 + 20 + 8; // PPP + IPv4 + ICMP headers

struct echo_request {
	uint32_t src = 0, dst = 0; // IPv4, host order
	uint16_t ident = 0, sequence = 0;
	uint32_t call = 0;
	uint64_t timestamp_ns = 0;
	uint32_t payload_bytes = 56; // ICMP data, >= echo_signature_bytes
};

// Writes the PPP frame; returns its length, 0 when out is too small or payload_bytes is
// below the signature.
size_t build_echo_frame(const echo_request &req, std::span<uint8_t> out) noexcept;

struct echo_reply {
	uint32_t src = 0, dst = 0;
	uint32_t call = 0;
	uint64_t timestamp_ns = 0;
};

// A PPP frame received on a session (address/control and protocol compression
// accepted): the echo reply with our signature, or nullopt for anything else (not IPv4,
// not an echo reply, bad checksum, truncated, foreign).
std::optional<echo_reply> parse_echo_reply(std::span<const uint8_t> frame) noexcept;

uint16_t internet_checksum(std::span<const uint8_t> data) noexcept;

} // namespace l2tpx::gen::lac
