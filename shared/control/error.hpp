// Errors of the L2TP control message codec, from one X-macro list so each can be printed
// and counted. The names are stable: the control plane uses them as counter names.
#pragma once

#include <cstddef>
#include <cstdint>

// X(name, description)
#define L2TPX_CTL_ERRORS(X)                                                                             \
	X(avp_header_truncated, "fewer than 6 bytes left for an AVP header")                               \
	X(avp_length_too_short, "AVP Length field below the 6-byte AVP header")                            \
	X(avp_length_overrun, "AVP Length field runs past the end of the message")                         \
	X(avp_reserved_bits_set, "one of the 4 reserved AVP flag bits is set")                             \
	X(avp_bad_length, "AVP value length is outside what its type allows")                              \
	X(avp_bad_value, "AVP value is malformed for its type")                                            \
	X(avp_list_too_long, "AVP carries more list items than the decoder stores")                       \
	X(avp_hidden_not_allowed, "H bit set on an AVP that must not be hidden")                           \
	X(avp_duplicate, "an AVP that may appear once appears twice")                                      \
	X(unknown_mandatory_avp, "unknown AVP with the M bit set: tear down (RFC 2661 4.1)")               \
	X(hidden_without_secret, "hidden AVP but no shared secret is configured")                          \
	X(hidden_without_random_vector, "hidden AVP not preceded by a Random Vector AVP")                  \
	X(hidden_bad_length, "hidden AVP original length runs past its hidden value")                      \
	X(hidden_scratch_exhausted, "decode scratch buffer too small for the unhidden values")             \
	X(empty_message, "control message body without any AVP")                                          \
	X(message_type_not_first, "first AVP is not the Message Type AVP")                                 \
	X(unknown_message_type, "unknown Message Type, M bit clear: ignore the message")                   \
	X(unknown_message_type_mandatory, "unknown Message Type with the M bit set: tear down")            \
	X(missing_mandatory_avp, "an AVP the message type requires is absent")                             \
	X(avp_not_allowed, "encoder asked to send an AVP that this message type does not carry")          \
	X(value_too_long, "encoder value does not fit the 10-bit AVP Length")                              \
	X(buffer_too_small, "output buffer too small for the encoded message")                             \
	X(bad_header, "L2TP control header invalid (see the l2tp parser)")                                 \
	X(not_control, "packet is a data message, not a control message")                                  \
	X(bad_version, "protocol version is neither 2 nor 3")                                              \
	X(digest_missing, "message carries no Message Digest AVP but one is required")                     \
	X(digest_params_missing, "message has a Message Digest AVP but no digest key was given")           \
	X(digest_bad_type, "Message Digest type is neither HMAC-MD5 (0) nor HMAC-SHA-1 (1)")               \
	X(digest_mismatch, "Message Digest does not match the message")                                    \
	X(crypto_failure, "libcrypto could not compute the digest")

namespace l2tpx::ctl {

enum class error : uint8_t {
#define L2TPX_CTL_ERROR_ENUM(name, desc) name,
	L2TPX_CTL_ERRORS(L2TPX_CTL_ERROR_ENUM)
#undef L2TPX_CTL_ERROR_ENUM
};

inline constexpr size_t error_count = 0
#define L2TPX_CTL_ERROR_COUNT(name, desc) +1
	L2TPX_CTL_ERRORS(L2TPX_CTL_ERROR_COUNT)
#undef L2TPX_CTL_ERROR_COUNT
	;

// Short name ("avp_length_overrun"), stable: usable as a counter name. "unknown" when out of
// range.
const char *to_string(error e) noexcept;
// One-line human description.
const char *describe(error e) noexcept;

// A decode failure with the AVP it is about (type 0 / vendor 0 when not about one AVP). For
// unknown_mandatory_avp the caller needs both to build the StopCCN / CDN it must send.
struct decode_error {
	error code;
	uint16_t avp_type = 0;
	uint32_t vendor = 0;
	uint16_t offset = 0; // byte offset of the AVP in the message body
};

} // namespace l2tpx::ctl
