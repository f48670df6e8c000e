// L2TPv3 headers (RFC 3931): data (session) and control headers, over IP protocol 115 and
// over UDP; cookies of 0, 4 or 8 bytes; the default L2-Specific Sublayer (§4.6).
// Header-only and inline: the dataplane calls the data parsers per packet. No allocation, no
// exceptions; every read goes through load_be16/32() after a length check.
//
// Data parsing is two-step, because the cookie length and the sublayer are per-session
// parameters: parse_v3_*_session_id() gives the Session ID to look the session up, then
// parse_v3_*_data() with that session's v3_session_params gives cookie, sublayer and payload.
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

inline constexpr size_t v3_max_cookie_len = 8;

// Cookie lengths RFC 3931 §4.1 allows.
constexpr bool v3_cookie_len_valid(size_t len) noexcept { return len == 0 || len == 4 || len == 8; }

// A session's cookie (RFC 3931 §5.4.4, Assigned Cookie AVP): 0, 4 or 8 bytes.
struct v3_cookie {
	uint8_t len = 0;                       // 0, 4 or 8
	uint8_t bytes[v3_max_cookie_len] = {}; // first len bytes are used
};

// Per-session receive parameters, negotiated by the control plane.
struct v3_session_params {
	uint8_t cookie_len = 0; // 0, 4 or 8
	bool l2ss = false;      // default L2-Specific Sublayer present (L2-Specific Sublayer AVP = 1)
};

// ---------------------------------------------------------------------------------------
// Default L2-Specific Sublayer (RFC 3931 §4.6)
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |x|S|x|x|x|x|x|x|              Sequence Number                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

inline constexpr size_t v3_l2ss_len = 4;
inline constexpr uint32_t v3_l2ss_flag_s = 0x40000000; // S: Sequence Number is valid
inline constexpr uint32_t v3_l2ss_seq_mask = 0x00ffffff;

// Write the default sublayer word (x bits 0; seq truncated to 24 bits).
inline void write_v3_l2ss(std::span<uint8_t, v3_l2ss_len> out, bool sequenced, uint32_t seq) noexcept {
	store_be32(out.data(), (sequenced ? v3_l2ss_flag_s : 0) | (seq & v3_l2ss_seq_mask));
}

// A parsed L2TPv3 data header. Points into the parsed buffer; valid while that buffer lives.
struct v3_data_header {
	uint16_t flags = 0;               // UDP: first word as received (T=0, Ver=3); IP: 0
	session_id_v3 session_id{};
	std::span<const uint8_t> cookie;  // cookie_len bytes of the packet (empty when 0)
	bool has_l2ss = false;            // default sublayer present (from the params)
	bool l2ss_sequenced = false;      // sublayer S bit
	uint32_t l2ss_seq = 0;            // sublayer 24-bit Sequence Number
	uint32_t header_len = 0;          // bytes before the payload (sublayer included)
	std::span<const uint8_t> payload; // the tunnelled frame, to the end of the buffer
};

// ---------------------------------------------------------------------------------------
// Data over IP (RFC 3931 §4.1.1.1), after the IP header (protocol 115)
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                           Session ID                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Cookie (optional, maximum 64 bits)...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                                                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           L2-Specific Sublayer (optional, default §4.6)       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Session ID 0 means a control message follows (parse_v3_ip_control).

inline constexpr size_t v3_ip_session_header_len = 4;

namespace detail {
// Cookie and sublayer after the Session ID, which ends at `pos`.
inline result<v3_data_header, parse_error> parse_v3_session_tail(std::span<const uint8_t> buf, size_t pos,
								 v3_data_header h,
								 const v3_session_params &sp) noexcept {
	const size_t need = pos + sp.cookie_len + (sp.l2ss ? v3_l2ss_len : 0);
	if (buf.size() < need) [[unlikely]]
		return unexpected{parse_error::truncated};
	h.cookie = buf.subspan(pos, sp.cookie_len);
	pos += sp.cookie_len;
	if (sp.l2ss) {
		const uint32_t w = load_be32(buf.data() + pos);
		h.has_l2ss = true;
		h.l2ss_sequenced = (w & v3_l2ss_flag_s) != 0;
		h.l2ss_seq = w & v3_l2ss_seq_mask;
		pos += v3_l2ss_len;
	}
	h.header_len = static_cast<uint32_t>(pos);
	h.payload = buf.subspan(pos);
	return h;
}
} // namespace detail

// Step 1 over IP: the Session ID; not_data when it is 0 (a control message).
inline result<session_id_v3, parse_error> parse_v3_ip_session_id(std::span<const uint8_t> buf) noexcept {
	if (buf.size() < v3_ip_session_header_len) [[unlikely]]
		return unexpected{parse_error::truncated};
	const uint32_t sid = load_be32(buf.data());
	if (sid == 0) [[unlikely]]
		return unexpected{parse_error::not_data};
	return session_id_v3(sid);
}

// Step 2 over IP: the whole data header with the session's parameters.
inline result<v3_data_header, parse_error> parse_v3_ip_data(std::span<const uint8_t> buf,
							     const v3_session_params &sp) noexcept {
	if (!v3_cookie_len_valid(sp.cookie_len)) [[unlikely]]
		return unexpected{parse_error::bad_cookie_length};
	auto sid = parse_v3_ip_session_id(buf);
	if (!sid) [[unlikely]]
		return unexpected{sid.error()};
	v3_data_header h;
	h.session_id = *sid;
	return detail::parse_v3_session_tail(buf, v3_ip_session_header_len, h, sp);
}

// ---------------------------------------------------------------------------------------
// Data over UDP (RFC 3931 §4.1.2.1)
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |T|x|x|x|x|x|x|x|x|x|x|x|  Ver  |          Reserved             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Session ID                                    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Cookie (optional, maximum 64 bits)...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                                                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           L2-Specific Sublayer (optional, default §4.6)       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// T must be 0 (not_data otherwise), Ver 3; x bits and Reserved are ignored on receive and
// written as 0. Session ID 0 is reserved: bad_session_id.

inline constexpr size_t v3_udp_session_header_len = 8;

// Step 1 over UDP: the Session ID.
inline result<session_id_v3, parse_error> parse_v3_udp_session_id(std::span<const uint8_t> buf) noexcept {
	if (buf.size() < 2) [[unlikely]]
		return unexpected{parse_error::truncated};
	const uint16_t flags = load_be16(buf.data());
	if ((flags & version_mask) != version_v3) [[unlikely]]
		return unexpected{parse_error::bad_version};
	if (flags & flag_type) [[unlikely]]
		return unexpected{parse_error::not_data};
	if (buf.size() < v3_udp_session_header_len) [[unlikely]]
		return unexpected{parse_error::truncated};
	const uint32_t sid = load_be32(buf.data() + 4);
	if (sid == 0) [[unlikely]]
		return unexpected{parse_error::bad_session_id};
	return session_id_v3(sid);
}

// Step 2 over UDP: the whole data header with the session's parameters.
inline result<v3_data_header, parse_error> parse_v3_udp_data(std::span<const uint8_t> buf,
							      const v3_session_params &sp) noexcept {
	if (!v3_cookie_len_valid(sp.cookie_len)) [[unlikely]]
		return unexpected{parse_error::bad_cookie_length};
	auto sid = parse_v3_udp_session_id(buf);
	if (!sid) [[unlikely]]
		return unexpected{sid.error()};
	v3_data_header h;
	h.flags = load_be16(buf.data());
	h.session_id = *sid;
	return detail::parse_v3_session_tail(buf, v3_udp_session_header_len, h, sp);
}

// cookie_mismatch unless the received cookie equals the session's (same length and bytes).
inline result<void, parse_error> check_v3_cookie(const v3_data_header &h, const v3_cookie &expected) noexcept {
	if (h.cookie.size() != expected.len || expected.len > v3_max_cookie_len ||
	    (expected.len != 0 && std::memcmp(h.cookie.data(), expected.bytes, expected.len) != 0))
		return unexpected{parse_error::cookie_mismatch};
	return {};
}

// What to put in an L2TPv3 data header.
struct v3_data_fields {
	session_id_v3 session_id{};   // must not be 0
	v3_cookie cookie{};           // len 0, 4 or 8
	bool l2ss = false;            // append the default L2-Specific Sublayer
	bool l2ss_sequenced = false;  // its S bit
	uint32_t l2ss_seq = 0;        // its Sequence Number (low 24 bits are used)
};

constexpr size_t v3_ip_data_header_size(const v3_data_fields &f) noexcept {
	return v3_ip_session_header_len + f.cookie.len + (f.l2ss ? v3_l2ss_len : 0);
}
constexpr size_t v3_udp_data_header_size(const v3_data_fields &f) noexcept {
	return v3_udp_session_header_len + f.cookie.len + (f.l2ss ? v3_l2ss_len : 0);
}
// Offset of the sublayer word in a header built from these fields (per-packet back-patch).
constexpr size_t v3_ip_l2ss_offset(uint8_t cookie_len) noexcept { return v3_ip_session_header_len + cookie_len; }
constexpr size_t v3_udp_l2ss_offset(uint8_t cookie_len) noexcept { return v3_udp_session_header_len + cookie_len; }

namespace detail {
inline size_t build_v3_session_tail(uint8_t *p, size_t pos, const v3_data_fields &f) noexcept {
	std::memcpy(p + pos, f.cookie.bytes, f.cookie.len);
	pos += f.cookie.len;
	if (f.l2ss) {
		write_v3_l2ss(std::span<uint8_t, v3_l2ss_len>(p + pos, v3_l2ss_len), f.l2ss_sequenced, f.l2ss_seq);
		pos += v3_l2ss_len;
	}
	return pos;
}
} // namespace detail

// Write a data header for IP protocol 115. Returns the bytes written, or 0 when out is too
// small, the Session ID is 0 or the cookie length is not 0, 4 or 8.
inline size_t build_v3_ip_data(std::span<uint8_t> out, const v3_data_fields &f) noexcept {
	if (!v3_cookie_len_valid(f.cookie.len) || f.session_id.value == 0 || out.size() < v3_ip_data_header_size(f))
		return 0;
	store_be32(out.data(), f.session_id.value);
	return detail::build_v3_session_tail(out.data(), v3_ip_session_header_len, f);
}

// Write a data header for UDP. Same return convention as build_v3_ip_data.
inline size_t build_v3_udp_data(std::span<uint8_t> out, const v3_data_fields &f) noexcept {
	if (!v3_cookie_len_valid(f.cookie.len) || f.session_id.value == 0 || out.size() < v3_udp_data_header_size(f))
		return 0;
	store_be16(out.data(), version_v3);
	store_be16(out.data() + 2, 0);
	store_be32(out.data() + 4, f.session_id.value);
	return detail::build_v3_session_tail(out.data(), v3_udp_session_header_len, f);
}

// ---------------------------------------------------------------------------------------
// Control message header (RFC 3931 §3.2.1). Over UDP it starts the UDP payload; over IP
// (§4.1.1.2) it follows a 32-bit Session ID of 0:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      (over IP only)  Session ID = 0 (32 bits of zero)         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |T|L|x|x|S|x|x|x|x|x|x|x|  Ver  |             Length            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Control Connection ID                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Ns              |               Nr              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// T=1, L=1, S=1 are required (not_control, control_without_length, control_without_sequence);
// Ver 3; x bits ignored. Length counts from the T bit (the zero Session ID over IP is not
// included): beyond the buffer is truncated, below 12 is bad_length; bytes after Length are
// not part of the payload.

inline constexpr size_t v3_control_header_len = 12;                                     // from T bit
inline constexpr size_t v3_udp_control_header_len = v3_control_header_len;              // over UDP
inline constexpr size_t v3_ip_control_header_len = 4 + v3_control_header_len;           // over IP
inline constexpr size_t v3_control_length_offset = 2;                                   // from T bit

// A parsed L2TPv3 control header. Points into the parsed buffer.
struct v3_control_header {
	uint16_t flags = 0;               // first word as received
	uint16_t length = 0;              // Length field (from the T bit)
	ccid_v3 ccid{};                   // Control Connection ID (0 in an SCCRQ)
	uint16_t ns = 0;
	uint16_t nr = 0;
	uint32_t header_len = 0;          // 12 over UDP, 16 over IP
	std::span<const uint8_t> payload; // the AVPs, up to Length (empty for a ZLB)
};

// Control header over UDP.
inline result<v3_control_header, parse_error> parse_v3_udp_control(std::span<const uint8_t> buf) noexcept {
	const size_t n = buf.size();
	if (n < 2) [[unlikely]]
		return unexpected{parse_error::truncated};
	const uint8_t *p = buf.data();
	const uint16_t flags = load_be16(p);
	if ((flags & version_mask) != version_v3) [[unlikely]]
		return unexpected{parse_error::bad_version};
	if (!(flags & flag_type)) [[unlikely]]
		return unexpected{parse_error::not_control};
	if (!(flags & flag_length)) [[unlikely]]
		return unexpected{parse_error::control_without_length};
	if (!(flags & flag_sequence)) [[unlikely]]
		return unexpected{parse_error::control_without_sequence};
	if (n < v3_control_header_len) [[unlikely]]
		return unexpected{parse_error::truncated};
	v3_control_header h;
	h.flags = flags;
	h.length = load_be16(p + v3_control_length_offset);
	h.ccid = ccid_v3(load_be32(p + 4));
	h.ns = load_be16(p + 8);
	h.nr = load_be16(p + 10);
	if (h.length > n) [[unlikely]]
		return unexpected{parse_error::truncated};
	if (h.length < v3_control_header_len) [[unlikely]]
		return unexpected{parse_error::bad_length};
	h.header_len = v3_control_header_len;
	h.payload = buf.subspan(v3_control_header_len, h.length - v3_control_header_len);
	return h;
}

// Control header over IP: a zero Session ID, then the same header as over UDP.
inline result<v3_control_header, parse_error> parse_v3_ip_control(std::span<const uint8_t> buf) noexcept {
	if (buf.size() < v3_ip_session_header_len) [[unlikely]]
		return unexpected{parse_error::truncated};
	if (load_be32(buf.data()) != 0) [[unlikely]]
		return unexpected{parse_error::not_control};
	auto r = parse_v3_udp_control(buf.subspan(v3_ip_session_header_len));
	if (r)
		r->header_len += v3_ip_session_header_len;
	return r;
}

// What to put in an L2TPv3 control header.
struct v3_control_fields {
	ccid_v3 ccid{};           // the peer's Control Connection ID (0 for SCCRQ)
	uint16_t ns = 0;
	uint16_t nr = 0;
	uint16_t payload_len = 0; // AVP bytes after the header; Length = 12 + payload_len
};

// Write a control header over UDP (12 bytes). Returns 12, or 0 when out is too small or
// 12 + payload_len exceeds 65535.
inline size_t build_v3_udp_control(std::span<uint8_t> out, const v3_control_fields &f) noexcept {
	if (out.size() < v3_control_header_len || v3_control_header_len + f.payload_len > UINT16_MAX)
		return 0;
	uint8_t *p = out.data();
	store_be16(p, flag_type | flag_length | flag_sequence | version_v3);
	store_be16(p + 2, static_cast<uint16_t>(v3_control_header_len + f.payload_len));
	store_be32(p + 4, f.ccid.value);
	store_be16(p + 8, f.ns);
	store_be16(p + 10, f.nr);
	return v3_control_header_len;
}

// Write a control header over IP (zero Session ID + 12 bytes). Returns 16 or 0.
inline size_t build_v3_ip_control(std::span<uint8_t> out, const v3_control_fields &f) noexcept {
	if (out.size() < v3_ip_control_header_len)
		return 0;
	if (build_v3_udp_control(out.subspan(v3_ip_session_header_len), f) == 0)
		return 0;
	store_be32(out.data(), 0);
	return v3_ip_control_header_len;
}

// Back-patch Length once the whole message is in place. message spans the UDP payload
// (over UDP) or the IP payload (over IP, zero Session ID included). Returns false, writing
// nothing, when the message is shorter than its header, is not a control header, or its
// Length would exceed 65535.
inline bool set_v3_udp_control_length(std::span<uint8_t> message) noexcept {
	if (message.size() < v3_control_header_len || message.size() > UINT16_MAX)
		return false;
	if (!(load_be16(message.data()) & flag_type))
		return false;
	store_be16(message.data() + v3_control_length_offset, static_cast<uint16_t>(message.size()));
	return true;
}
inline bool set_v3_ip_control_length(std::span<uint8_t> message) noexcept {
	if (message.size() < v3_ip_control_header_len || load_be32(message.data()) != 0)
		return false;
	return set_v3_udp_control_length(message.subspan(v3_ip_session_header_len));
}

// One line for logs and tests.
std::string to_string(const v3_data_header &h);
std::string to_string(const v3_control_header &h);

} // namespace l2tpx::l2tp
