// Typed L2TP control messages: decode a message body (or a whole control packet) into a
// ctl::message holding the typed value of every known AVP, and encode a ctl::message into a
// body or a whole control packet, header included, for every message type in the table.
//
// Decoding allocates nothing and throws nothing: byte-string values point into the input,
// except unhidden values, which are written into the caller's scratch buffer. Keep both
// alive while you read the message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "shared/base/ids.hpp"
#include "shared/base/result.hpp"
#include "shared/control/auth.hpp"
#include "shared/control/avp_table.hpp"
#include "shared/control/error.hpp"

namespace l2tpx::ctl {

using bytes = std::span<const uint8_t>;

inline bytes as_bytes(std::string_view s) noexcept { return {reinterpret_cast<const uint8_t *>(s.data()), s.size()}; }
inline std::string_view as_string(bytes b) noexcept { return {reinterpret_cast<const char *>(b.data()), b.size()}; }

// Result Code AVP (RFC 2661 §4.4.2): result code, optional error code, optional message.
struct result_code_value {
	uint16_t result = 0;
	uint16_t error = 0;
	bool has_error = false; // error code present (always sent when message is non-empty)
	bytes message;
};

// Q.931 Cause Code AVP (RFC 2661 §4.4.5).
struct q931_value {
	uint16_t cause = 0;
	uint8_t cause_msg = 0;
	bytes advisory;
};

// Call Errors AVP (RFC 2661 §4.4.6).
struct call_errors_value {
	uint32_t crc_errors = 0;
	uint32_t framing_errors = 0;
	uint32_t hardware_overruns = 0;
	uint32_t buffer_overruns = 0;
	uint32_t timeout_errors = 0;
	uint32_t alignment_errors = 0;
};

// ACCM AVP (RFC 2661 §4.4.6).
struct accm_value {
	uint32_t send_accm = 0;
	uint32_t receive_accm = 0;
};

// Message Digest AVP (RFC 3931 §5.4.1). When encoding only digest_type matters: the digest
// field is written as zeros and filled by sign_message() / encode_packet().
struct message_digest_value {
	uint8_t digest_type = 0; // digest_algo
	bytes digest;
};

// Pseudowire Capabilities List AVP (RFC 3931 §5.4.3).
struct u16_list_value {
	static constexpr size_t capacity = 32;
	std::array<uint16_t, capacity> items{};
	uint8_t count = 0;
	bool push(uint16_t v) noexcept {
		if (count >= capacity)
			return false;
		items[count++] = v;
		return true;
	}
	std::span<const uint16_t> view() const noexcept { return {items.data(), count}; }
};

// Failover Capability AVP (RFC 4951 §4.1).
struct failover_cap_value {
	uint16_t flags = 0;         // C (0x0002: control channel failover), D (0x0001: data channel)
	uint32_t recovery_time = 0; // milliseconds
};

template <avp_datatype> struct value_of;
template <> struct value_of<avp_datatype::msg_type> { using type = msg_type; };
template <> struct value_of<avp_datatype::flag> { using type = bool; };
template <> struct value_of<avp_datatype::u16> { using type = uint16_t; };
template <> struct value_of<avp_datatype::u32> { using type = uint32_t; };
template <> struct value_of<avp_datatype::u64> { using type = uint64_t; };
template <> struct value_of<avp_datatype::bytes> { using type = bytes; };
template <> struct value_of<avp_datatype::result_code> { using type = result_code_value; };
template <> struct value_of<avp_datatype::q931_cause> { using type = q931_value; };
template <> struct value_of<avp_datatype::call_errors> { using type = call_errors_value; };
template <> struct value_of<avp_datatype::accm> { using type = accm_value; };
template <> struct value_of<avp_datatype::message_digest> { using type = message_digest_value; };
template <> struct value_of<avp_datatype::u16_list> { using type = u16_list_value; };
template <> struct value_of<avp_datatype::failover_cap> { using type = failover_cap_value; };

// A control message: its type and the typed value of every known AVP it carries. One
// member per row of the AVP table, named like the row (m.host_name, m.assigned_tunnel_id);
// `present` says which are set. Build one with the set_*() helpers, which also mark the AVP
// present; read one after decode with has_*() or has(avp_type).
//
//   ctl::message m;
//   m.set_message_type(ctl::msg_type::sccrq).set_protocol_version(0x0100)
//    .set_host_name(ctl::as_bytes("lns1")).set_framing_capabilities(3)
//    .set_assigned_tunnel_id(17);
struct message {
#define L2TPX_CTL_MESSAGE_MEMBER(id, num, name, dt, mn, mx, m, h, r)                                  \
	value_of<avp_datatype::dt>::type id{};                                                          \
	message &set_##id(value_of<avp_datatype::dt>::type v) noexcept {                                \
		id = v;                                                                                 \
		present.set(avp_type::id);                                                              \
		return *this;                                                                           \
	}                                                                                               \
	bool has_##id() const noexcept { return present.test(avp_type::id); }
	L2TPX_CTL_AVPS(L2TPX_CTL_MESSAGE_MEMBER)
#undef L2TPX_CTL_MESSAGE_MEMBER

	avp_set present; // known AVPs carried (decode) or to send (encode)
	avp_set hidden;  // decode: AVPs that arrived hidden; encode: AVPs to send hidden
	bytes body;      // decode: the whole body, to walk repeated or vendor AVPs (avp_reader)

	msg_type type() const noexcept { return message_type; }
	bool has(avp_type t) const noexcept { return present.test(t); }
	message &hide(avp_type t) noexcept {
		hidden.set(t);
		return *this;
	}
	message &clear(avp_type t) noexcept {
		present.reset(t);
		hidden.reset(t);
		return *this;
	}
};

// Result codes of StopCCN (RFC 2661 §4.4.2) and CDN, and general error codes.
namespace result_codes {
inline constexpr uint16_t stopccn_general_clear = 1;
inline constexpr uint16_t stopccn_general_error = 2;
inline constexpr uint16_t stopccn_already_exists = 3;
inline constexpr uint16_t stopccn_not_authorized = 4;
inline constexpr uint16_t stopccn_bad_protocol_version = 5;
inline constexpr uint16_t stopccn_shutting_down = 6;
inline constexpr uint16_t stopccn_fsm_error = 7;
inline constexpr uint16_t cdn_lost_carrier = 1;
inline constexpr uint16_t cdn_general_error = 2;
inline constexpr uint16_t cdn_admin = 3;
inline constexpr uint16_t cdn_no_facilities_temporary = 4;
inline constexpr uint16_t cdn_no_facilities_permanent = 5;
inline constexpr uint16_t cdn_invalid_destination = 6;
inline constexpr uint16_t cdn_no_carrier = 7;
inline constexpr uint16_t cdn_busy = 8;
inline constexpr uint16_t cdn_no_dial_tone = 9;
inline constexpr uint16_t cdn_timeout = 10;
inline constexpr uint16_t cdn_no_framing = 11;
inline constexpr uint16_t error_none = 0;
inline constexpr uint16_t error_no_control_connection = 1;
inline constexpr uint16_t error_bad_length = 2;
inline constexpr uint16_t error_bad_value = 3;
inline constexpr uint16_t error_no_resources = 4;
inline constexpr uint16_t error_bad_session_id = 5;
inline constexpr uint16_t error_vendor = 6;
inline constexpr uint16_t error_try_another = 7;
inline constexpr uint16_t error_unknown_mandatory_avp = 8;
} // namespace result_codes

struct decode_options {
	uint8_t version = 2;              // 2 (RFC 2661) or 3 (RFC 3931): selects required AVPs
	bytes secret;                     // tunnel secret, needed only for hidden AVPs
	std::span<uint8_t> scratch;       // receives unhidden values; body size is always enough
	const digest_params *digest = nullptr; // decode_packet(): verify the Message Digest
	bool digest_required = false;     // decode_packet(): a message without digest fails
	bool v3_over_ip = false;          // decode_packet(): L2TPv3 over IP (zero Session ID first)
};

// Decode a control message body (the AVPs after the L2TP header) into out, which is reset
// first. Checks, in order for each AVP: header and length (parse_avp), unknown AVPs
// (skipped, or unknown_mandatory_avp when M=1), hiding (avp_hidden_not_allowed,
// hidden_without_secret, hidden_without_random_vector), value length and layout
// (avp_bad_length, avp_bad_value), repetition (avp_duplicate); then that every AVP the
// message type requires for this version is present (missing_mandatory_avp, with its type).
// The first AVP must be Message Type (message_type_not_first); an unknown Message Type is
// unknown_message_type (M=0: ignore the message) or unknown_message_type_mandatory (M=1:
// tear the tunnel down). An empty body is empty_message (a ZLB has no body to decode).
// Message Type is decoded first, so after any later error out.message_type is already set:
// with is_session_message() the caller picks CDN or StopCCN for unknown_mandatory_avp.
result<void, decode_error> decode_body(bytes body, const decode_options &opt, message &out) noexcept;

struct encode_options {
	uint8_t version = 2;   // selects which AVPs are required / allowed
	bytes secret;          // needed when m.hidden is not empty
	bytes hidden_padding;  // appended to each hidden value (random bytes hide lengths)
	const digest_params *digest = nullptr; // encode_packet(): fill the Message Digest
};

// Encode m's AVPs (the message body) into out; returns the bytes written. Message Type
// goes first, then Message Digest, Random Vector and Control Message Authentication Nonce,
// then the rest by attribute type. Errors: missing_mandatory_avp, avp_not_allowed (an AVP
// the message type does not carry), avp_hidden_not_allowed, hidden_without_secret,
// hidden_without_random_vector, value_too_long, avp_bad_value (a value the RFC forbids, e.g.
// a Challenge Response that is not 16 bytes), buffer_too_small, unknown_message_type.
result<size_t, error> encode_body(const message &m, const encode_options &opt, std::span<uint8_t> out) noexcept;

// Encode the value of one known AVP from its member of m (no AVP header, never hidden);
// returns the value length. Errors: value_too_long, avp_bad_value (outside the table's
// min/max or the RFC's layout), buffer_too_small.
result<size_t, error> encode_avp_value(avp_type t, const message &m, std::span<uint8_t> out) noexcept;

// Decode one known AVP value (already unhidden) into its member of m and mark it present.
// Errors: avp_bad_length, avp_bad_value, avp_list_too_long.
result<void, error> decode_avp_value(avp_type t, bytes value, message &m) noexcept;

// The L2TP control header fields (RFC 2661 §3.1, RFC 3931 §3.2.1).
struct control_header {
	uint8_t version = 2;
	tunnel_id_v2 tunnel_id{};   // v2: the receiver's Tunnel ID
	session_id_v2 session_id{}; // v2: the receiver's Session ID (0 for tunnel messages)
	ccid_v3 ccid{};             // v3: the receiver's Control Connection ID
	uint16_t ns = 0;
	uint16_t nr = 0;
	bool v3_over_ip = false;    // v3: IP encapsulation, the header starts with a zero Session ID
};

// Encode a whole control packet (L2TP header + body) into out: the UDP payload, or for
// v3_over_ip the IP payload (zero Session ID first). With m.message_type == msg_type::zlb it writes a ZLB (header only).
// When m carries a Message Digest AVP, opt.digest must be set and the digest is filled in.
result<size_t, error> encode_packet(const control_header &h, const message &m, const encode_options &opt,
				    std::span<uint8_t> out) noexcept;

struct decoded_packet {
	control_header header;
	bool zlb = false;  // no body: out is left with message_type == msg_type::zlb
	bytes body;        // the AVPs
};

// Decode a control packet: a UDP payload, or with opt.v3_over_ip an IP protocol 115 payload.
// The version comes from the header (opt.version is ignored). Header problems
// are bad_header / not_control / bad_version; when opt.digest is set a present Message
// Digest is verified (digest_mismatch ...), and opt.digest_required makes its absence
// digest_missing. Then as decode_body().
result<decoded_packet, decode_error> decode_packet(bytes packet, const decode_options &opt, message &out) noexcept;

} // namespace l2tpx::ctl
