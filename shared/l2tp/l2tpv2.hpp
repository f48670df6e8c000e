// L2TPv2 header (RFC 2661 §3.1): view parser, builder, size and back-patch helpers.
// Header-only and inline: the dataplane calls parse_v2() per packet. No allocation, no
// exceptions; every read goes through load_be16() after a length check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "shared/base/byteorder.hpp"
#include "shared/base/ids.hpp"
#include "shared/base/result.hpp"
#include "shared/l2tp/parse_error.hpp"
#include "shared/l2tp/peek.hpp"

namespace l2tpx::l2tp {

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Tunnel ID           |           Session ID          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |             Ns (opt)          |             Nr (opt)          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Offset Size (opt)        |    Offset pad... (opt)
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Rules enforced on receive (RFC 2661 §3.1):
// - Ver must be 2 (1 is L2F, 3 is L2TPv3): bad_version.
// - x bits are ignored (they MUST be 0 on send; build_v2() writes 0).
// - T=1 requires L=1 and S=1, and O=0, P=0.
// - Every optional field is length-checked before it is read: truncated.
// - With L=1: Length beyond the buffer is truncated; Length smaller than the header
//   (offset padding included) is bad_length; bytes after Length (link padding) are not
//   part of the payload. With L=0: offset padding beyond the buffer is truncated.

inline constexpr size_t v2_min_header_len = 6;  // flags + Tunnel ID + Session ID
inline constexpr size_t v2_max_fixed_len = 14;  // with Length, Ns/Nr and Offset Size
inline constexpr size_t v2_length_offset = 2;   // where Length sits when L=1
inline constexpr size_t v2_control_header_len = 12; // T=1: flags, Length, IDs, Ns, Nr

// A parsed L2TPv2 header. Points into the parsed buffer; valid while that buffer lives.
struct v2_header {
	uint16_t flags = 0;       // first word as received (T/L/S/O/P, reserved bits, Ver)
	uint16_t length = 0;      // Length field; 0 when L=0
	tunnel_id_v2 tunnel_id{};
	session_id_v2 session_id{};
	uint16_t ns = 0;          // Ns; 0 when S=0
	uint16_t nr = 0;          // Nr; 0 when S=0
	uint16_t offset_size = 0; // Offset Size; 0 when O=0
	uint32_t header_len = 0;  // bytes before the payload, offset padding included
	std::span<const uint8_t> payload; // after the header; ends at Length when L=1

	bool is_control() const noexcept { return flags & flag_type; }
	bool has_length() const noexcept { return flags & flag_length; }
	bool has_sequence() const noexcept { return flags & flag_sequence; }
	bool has_offset() const noexcept { return flags & flag_offset; }
	bool has_priority() const noexcept { return flags & flag_priority; }
};

// Parse an L2TPv2 header from the start of a UDP payload.
inline result<v2_header, parse_error> parse_v2(std::span<const uint8_t> buf) noexcept {
	const size_t n = buf.size();
	if (n < 2) [[unlikely]]
		return unexpected{parse_error::truncated};
	const uint8_t *p = buf.data();
	const uint16_t flags = load_be16(p);
	if ((flags & version_mask) != version_v2) [[unlikely]]
		return unexpected{parse_error::bad_version};
	if (flags & flag_type) {
		// Control: exactly L and S among L/S/O/P.
		if (!(flags & flag_length)) [[unlikely]]
			return unexpected{parse_error::control_without_length};
		if (!(flags & flag_sequence)) [[unlikely]]
			return unexpected{parse_error::control_without_sequence};
		if (flags & flag_offset) [[unlikely]]
			return unexpected{parse_error::control_with_offset};
		if (flags & flag_priority) [[unlikely]]
			return unexpected{parse_error::control_with_priority};
	}
	const size_t l = (flags >> 14) & 1u;
	const size_t s = (flags >> 11) & 1u;
	const size_t o = (flags >> 9) & 1u;
	const size_t fixed = v2_min_header_len + 2 * l + 4 * s + 2 * o;
	if (n < fixed) [[unlikely]]
		return unexpected{parse_error::truncated};

	v2_header h;
	h.flags = flags;
	const size_t ids = 2 + 2 * l;
	const size_t seq = ids + 4;
	const size_t off = seq + 4 * s;
	h.length = l ? load_be16(p + v2_length_offset) : 0;
	h.tunnel_id = tunnel_id_v2(load_be16(p + ids));
	h.session_id = session_id_v2(load_be16(p + ids + 2));
	h.ns = s ? load_be16(p + seq) : 0;
	h.nr = s ? load_be16(p + seq + 2) : 0;
	h.offset_size = o ? load_be16(p + off) : 0;
	const size_t header_len = fixed + h.offset_size;
	size_t end = n;
	if (l) {
		if (h.length > n) [[unlikely]]
			return unexpected{parse_error::truncated};
		if (h.length < header_len) [[unlikely]]
			return unexpected{parse_error::bad_length};
		end = h.length;
	} else if (header_len > n) [[unlikely]] {
		return unexpected{parse_error::truncated};
	}
	h.header_len = static_cast<uint32_t>(header_len);
	h.payload = buf.subspan(header_len, end - header_len);
	return h;
}

// What to put in an L2TPv2 header.
struct v2_fields {
	bool control = false;       // T
	bool with_length = false;   // L (required for control)
	bool with_sequence = false; // S (required for control)
	bool with_offset = false;   // O (data only)
	bool priority = false;      // P (data only)
	tunnel_id_v2 tunnel_id{};
	session_id_v2 session_id{};
	uint16_t ns = 0;
	uint16_t nr = 0;
	uint16_t offset_size = 0;   // O=1: zero bytes of padding after the Offset Size field
	uint16_t payload_len = 0;   // L=1: bytes after the header; Length = header + payload
};

// True when the flags are allowed by RFC 2661 §3.1 (control: L=1, S=1, O=0, P=0).
constexpr bool v2_fields_valid(const v2_fields &f) noexcept {
	return !f.control || (f.with_length && f.with_sequence && !f.with_offset && !f.priority);
}

// Header size for these fields, offset padding included: the headroom to reserve.
constexpr size_t v2_header_size(const v2_fields &f) noexcept {
	return v2_min_header_len + (f.with_length ? 2 : 0) + (f.with_sequence ? 4 : 0) +
	       (f.with_offset ? 2 + size_t{f.offset_size} : 0);
}

// Offset of Ns (Nr follows) in a header built with S=1: for per-packet back-patching.
constexpr size_t v2_sequence_offset(bool with_length) noexcept { return with_length ? 8 : 6; }

// Write the header into out. Returns the bytes written (v2_header_size(f)), or 0 when the
// fields break RFC 2661 (see v2_fields_valid), out is too small, or header + payload_len
// does not fit the 16-bit Length field.
inline size_t build_v2(std::span<uint8_t> out, const v2_fields &f) noexcept {
	const size_t size = v2_header_size(f);
	if (!v2_fields_valid(f) || out.size() < size)
		return 0;
	if (f.with_length && size + f.payload_len > UINT16_MAX)
		return 0;
	uint8_t *p = out.data();
	const uint16_t flags = static_cast<uint16_t>((f.control ? flag_type : 0) | (f.with_length ? flag_length : 0) |
						     (f.with_sequence ? flag_sequence : 0) |
						     (f.with_offset ? flag_offset : 0) |
						     (f.priority ? flag_priority : 0) | version_v2);
	store_be16(p, flags);
	size_t pos = 2;
	if (f.with_length) {
		store_be16(p + pos, static_cast<uint16_t>(size + f.payload_len));
		pos += 2;
	}
	store_be16(p + pos, f.tunnel_id.value);
	store_be16(p + pos + 2, f.session_id.value);
	pos += 4;
	if (f.with_sequence) {
		store_be16(p + pos, f.ns);
		store_be16(p + pos + 2, f.nr);
		pos += 4;
	}
	if (f.with_offset) {
		store_be16(p + pos, f.offset_size);
		pos += 2;
		std::memset(p + pos, 0, f.offset_size);
		pos += f.offset_size;
	}
	return pos;
}

// Back-patch Length once the whole message (header + payload) is in place: message is the
// L2TP message from its first byte to its last. Returns false (and writes nothing) when the
// header has L=0, message is shorter than 4 bytes, or longer than 65535.
inline bool set_v2_length(std::span<uint8_t> message) noexcept {
	if (message.size() < 4 || message.size() > UINT16_MAX)
		return false;
	if (!(load_be16(message.data()) & flag_length))
		return false;
	store_be16(message.data() + v2_length_offset, static_cast<uint16_t>(message.size()));
	return true;
}

// One line for logs and tests, e.g. "v2 ctrl L S tid=1 sid=0 ns=0 nr=1 len=20 hdr=12 payload=8".
std::string to_string(const v2_header &h);

} // namespace l2tpx::l2tp
