// PPP frame header as carried in L2TP (RFC 2661 §2, RFC 3931 §4.1): the HDLC flags, escapes and
// FCS are gone; what remains is the optional address/control pair and the protocol field.
//
//   +----------+----------+-------------------+-------------------------+
//   | Address  | Control  | Protocol          | Information ...         |
//   |  0xFF    |  0x03    | 1 (PFC) or 2 bytes|                         |
//   +----------+----------+-------------------+-------------------------+
//    absent when Address-and-Control-Field-Compression (ACFC, RFC 1661 §6.6) is in use
//
// A protocol field whose first octet is odd is one octet long (PFC, RFC 1661 §6.5): the high
// octet was 0x00 and has been elided. Receivers accept both forms whatever was negotiated.
// Parsing is unambiguous: 0x00FF is reserved ("compression inefficient"), so a leading 0xFF is
// always the address field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/byteorder.hpp"
#include "shared/base/result.hpp"
#include "shared/ppp/error.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::ppp {

inline constexpr uint8_t hdlc_address = 0xff;
inline constexpr uint8_t hdlc_control = 0x03; // Unnumbered Information

struct frame_view {
	uint16_t protocol;                 // full 16-bit value, also when sent compressed
	std::span<const uint8_t> payload;  // information field (and padding)
	uint8_t header_len;                // 1 to 4 bytes consumed before the payload
	bool address_control;              // FF 03 was present
	bool protocol_compressed;          // protocol field was 1 byte
};

// Parses the start of a PPP frame. Hot path: inline, no allocation.
inline result<frame_view, error> parse_frame(std::span<const uint8_t> buf) noexcept {
	size_t off = 0;
	bool ac = false;
	if (!buf.empty() && buf[0] == hdlc_address) {
		if (buf.size() < 2)
			return unexpected{error::frame_truncated};
		if (buf[1] != hdlc_control)
			return unexpected{error::frame_bad_address_control};
		off = 2;
		ac = true;
	}
	if (buf.size() <= off)
		return unexpected{error::frame_truncated};
	uint16_t protocol;
	bool compressed;
	if (buf[off] & 0x01) {
		protocol = buf[off];
		compressed = true;
		off += 1;
	} else {
		if (buf.size() < off + 2)
			return unexpected{error::frame_truncated};
		protocol = load_be16(buf.data() + off);
		if (!is_valid_protocol(protocol))
			return unexpected{error::frame_bad_protocol};
		compressed = false;
		off += 2;
	}
	return frame_view{protocol, buf.subspan(off), static_cast<uint8_t>(off), ac, compressed};
}

// What the peer agreed to receive (LCP options 7 and 8 it acknowledged).
struct frame_compression {
	bool acfc = false; // omit FF 03
	bool pfc = false;  // send protocols below 0x100 as one byte
};

// RFC 1661 §6.5/§6.6: LCP packets are always sent with FF 03 and a 2-byte protocol field, and
// only protocol values below 0x100 can be compressed.
constexpr size_t frame_header_len(uint16_t protocol, frame_compression c = {}) noexcept {
	if (protocol == proto::lcp)
		return 4;
	return (c.acfc ? 0 : 2) + ((c.pfc && protocol < 0x100) ? 1 : 2);
}

// Writes the frame header for `protocol` at the start of `out`. Returns the bytes written
// (0 when `out` is too small or `protocol` is not a valid protocol number).
inline size_t build_frame_header(std::span<uint8_t> out, uint16_t protocol, frame_compression c = {}) noexcept {
	if (!is_valid_protocol(protocol))
		return 0;
	size_t len = frame_header_len(protocol, c);
	if (out.size() < len)
		return 0;
	size_t off = 0;
	if (protocol == proto::lcp || !c.acfc) {
		out[0] = hdlc_address;
		out[1] = hdlc_control;
		off = 2;
	}
	if (len - off == 1)
		out[off] = static_cast<uint8_t>(protocol);
	else
		store_be16(out.data() + off, protocol);
	return len;
}

// Writes header + payload. Returns the total length, 0 when `out` is too small or the
// protocol is invalid. `payload` must not overlap `out`.
size_t build_frame(std::span<uint8_t> out, uint16_t protocol, std::span<const uint8_t> payload,
                   frame_compression c = {}) noexcept;

} // namespace l2tpx::ppp
