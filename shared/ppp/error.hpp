// Errors of the PPP codecs, from one X-macro list so each can be printed and counted.
#pragma once

#include <cstddef>
#include <cstdint>

// X(name, description)
#define L2TPX_PPP_ERRORS(X)                                                                         \
	X(frame_truncated, "frame shorter than its address/control and protocol fields")            \
	X(frame_bad_address_control, "address/control field is not FF 03")                          \
	X(frame_bad_protocol, "protocol field is not a valid (odd, low bit of high octet 0) value") \
	X(packet_truncated, "control packet shorter than its 4-byte header")                        \
	X(packet_bad_length, "control packet length field below 4")                                 \
	X(packet_length_overrun, "control packet length field beyond the buffer")                   \
	X(option_truncated, "fewer than 2 bytes left for an option header")                         \
	X(option_bad_length, "option length field below 2")                                         \
	X(option_overrun, "option length runs past the end of the packet")                          \
	X(option_bad_value, "option value has the wrong size for its type")                         \
	X(wrong_code, "packet code is not one the requested body parser handles")                   \
	X(body_truncated, "packet data shorter than the fields its code requires")                  \
	X(pap_bad_field_length, "PAP peer-id, password or message length runs past the packet")     \
	X(chap_bad_value_size, "CHAP value-size is 0 or runs past the packet")                      \
	X(crypto_failure, "libcrypto could not compute the digest")

namespace l2tpx::ppp {

enum class error : uint8_t {
#define L2TPX_PPP_ERROR_ENUM(name, desc) name,
	L2TPX_PPP_ERRORS(L2TPX_PPP_ERROR_ENUM)
#undef L2TPX_PPP_ERROR_ENUM
};

inline constexpr size_t error_count = 0
#define L2TPX_PPP_ERROR_COUNT(name, desc) +1
	L2TPX_PPP_ERRORS(L2TPX_PPP_ERROR_COUNT)
#undef L2TPX_PPP_ERROR_COUNT
	;

// Short name ("option_overrun"), stable: usable as a counter name. "unknown" when out of range.
const char *to_string(error e) noexcept;
// One-line human description.
const char *describe(error e) noexcept;

} // namespace l2tpx::ppp
