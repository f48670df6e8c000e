// Link Control Protocol (RFC 1661 §5-§6, RFC 1570): option decoding and LCP-only packets.
// The packet layout, option lists and the packet writer are in control.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/result.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/error.hpp"

namespace l2tpx::ppp::lcp {

enum class option_type : uint8_t {
	mru = 1,              // Maximum-Receive-Unit, 2 octets
	accm = 2,             // Async-Control-Character-Map (RFC 1662), 4 octets
	auth_protocol = 3,    // Authentication-Protocol, 2 octets + data (CHAP: algorithm)
	quality_protocol = 4, // Quality-Protocol, 2 octets + data
	magic_number = 5,     // 4 octets, never 0
	pfc = 7,              // Protocol-Field-Compression, no data
	acfc = 8,             // Address-and-Control-Field-Compression, no data
	callback = 13,        // RFC 1570 (decoded as unknown)
	mrru = 17,            // RFC 1990 Multilink (decoded as unknown)
	short_sequence = 18,  // RFC 1990 (decoded as unknown)
	endpoint_discriminator = 19, // RFC 1990 (decoded as unknown)
};

// "mru", ...; nullptr for types not in the list above.
const char *to_string(option_type t) noexcept;

inline constexpr uint16_t default_mru = 1500;
inline constexpr uint32_t default_accm = 0xffffffff;
// CHAP algorithm octet of the Authentication-Protocol option (RFC 1994 §3, RFC 2433, 2759).
inline constexpr uint8_t chap_md5 = 5;
inline constexpr uint8_t chap_mschap = 0x80;
inline constexpr uint8_t chap_mschap_v2 = 0x81;

// A decoded LCP option. Fields not used by `type` stay zero/empty. For a type this codec does
// not know, `known` is false and only `raw` and `value` are set: reject it with option_raw().
struct option {
	option_type type;
	std::span<const uint8_t> raw;           // the whole option as received
	std::span<const uint8_t> value;         // data after type and length
	bool known = false;                     // one of mru..acfc (1-5, 7, 8) and well formed
	uint16_t mru = 0;                       // mru
	uint32_t accm = 0;                      // accm
	uint16_t protocol = 0;                  // auth_protocol, quality_protocol
	std::span<const uint8_t> protocol_data; // octets after the protocol (CHAP: the algorithm)
	uint8_t chap_algorithm = 0;             // auth_protocol CHAP only
	uint32_t magic = 0;                     // magic_number (0 is decoded; the FSM must Nak it)
};

// Checks the size of known options: mru 4, accm 6, auth_protocol >= 4 (PAP exactly 4, CHAP
// exactly 5), quality_protocol >= 4, magic_number 6, pfc and acfc 2. A wrong size gives
// option_bad_value; unknown types always decode.
result<option, error> decode_option(const option_view &o) noexcept;

// Option writers for Configure-Request/Nak. They return the writer for chaining.
packet_writer &add_mru(packet_writer &w, uint16_t mru) noexcept;
packet_writer &add_accm(packet_writer &w, uint32_t accm) noexcept;
packet_writer &add_auth_pap(packet_writer &w) noexcept;
packet_writer &add_auth_chap(packet_writer &w, uint8_t algorithm = chap_md5) noexcept;
packet_writer &add_auth_protocol(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data = {}) noexcept;
packet_writer &add_quality_protocol(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data = {}) noexcept;
packet_writer &add_magic_number(packet_writer &w, uint32_t magic) noexcept;
packet_writer &add_pfc(packet_writer &w) noexcept;
packet_writer &add_acfc(packet_writer &w) noexcept;

// Echo-Request, Echo-Reply, Discard-Request (§5.8-§5.9) and Identification (RFC 1570 §2.1):
//   | Code | Identifier | Length | Magic-Number (4) | Data / Message ...
struct magic_body {
	uint32_t magic;                 // sender's magic number, 0 when not negotiated
	std::span<const uint8_t> data;  // echo data, or the Identification message
};
// Accepts codes 9, 10, 11 and 12; other codes give wrong_code.
result<magic_body, error> parse_magic_body(const control_view &v) noexcept;
// `c` must be echo_request, echo_reply, discard_request or identification (else returns 0).
size_t build_magic_body(std::span<uint8_t> out, cp_code c, uint8_t identifier, uint32_t magic,
                        std::span<const uint8_t> data = {}) noexcept;
inline size_t build_echo_request(std::span<uint8_t> out, uint8_t identifier, uint32_t magic,
                                 std::span<const uint8_t> data = {}) noexcept {
	return build_magic_body(out, cp_code::echo_request, identifier, magic, data);
}
// Replies to an Echo-Request: same identifier and data, our own magic number (§5.8).
inline size_t build_echo_reply(std::span<uint8_t> out, uint8_t identifier, uint32_t magic,
                               std::span<const uint8_t> data = {}) noexcept {
	return build_magic_body(out, cp_code::echo_reply, identifier, magic, data);
}

// Time-Remaining (RFC 1570 §2.2):
//   | Code = 13 | Identifier | Length | Magic-Number (4) | Seconds-Remaining (4) | Message ...
struct time_remaining_body {
	uint32_t magic;
	uint32_t seconds;               // 0xffffffff: no limit
	std::span<const uint8_t> message;
};
result<time_remaining_body, error> parse_time_remaining(const control_view &v) noexcept;
size_t build_time_remaining(std::span<uint8_t> out, uint8_t identifier, uint32_t magic, uint32_t seconds,
                            std::span<const uint8_t> message = {}) noexcept;

// Protocol-Reject (§5.7), sent when a frame arrives for a protocol we do not run:
//   | Code = 8 | Identifier | Length | Rejected-Protocol (2) | Rejected-Information ...
struct protocol_reject_body {
	uint16_t protocol;                      // the rejected protocol number
	std::span<const uint8_t> information;   // start of the rejected frame's information field
};
result<protocol_reject_body, error> parse_protocol_reject(const control_view &v) noexcept;
// The information is truncated so that the packet fits in `max_len` octets (the peer's MRU).
size_t build_protocol_reject(std::span<uint8_t> out, uint8_t identifier, uint16_t protocol,
                             std::span<const uint8_t> information, size_t max_len = default_mru) noexcept;

} // namespace l2tpx::ppp::lcp
