// Hidden AVPs (RFC 2661 §4.3; RFC 3931 §5.3 uses the same scheme).
//
// The hidden value is the "Hidden AVP Subformat"
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Length of Original Value |   Original Attribute Value ...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   ...                             |             Padding ...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// cut into 16-byte blocks p1..pn (the last may be shorter) and XORed with
//   b1 = MD5(Attribute Type (2 bytes) + secret + Random Vector),  c1 = p1 ^ b1
//   bi = MD5(secret + c(i-1)),                                   ci = pi ^ bi
// where Random Vector is the value of the closest Random Vector AVP before it in the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/result.hpp"
#include "shared/control/error.hpp"

namespace l2tpx::ctl {

// Bytes the hidden value takes for an original value of value_len and padding_len bytes.
constexpr size_t hidden_size(size_t value_len, size_t padding_len) noexcept { return 2 + value_len + padding_len; }

// Hide value: writes hidden_size(value.size(), padding.size()) bytes into out and returns
// that count. padding should be random bytes (it hides the value's length); it may be empty.
// Errors: hidden_without_secret (empty secret), hidden_without_random_vector (empty random
// vector), buffer_too_small, value_too_long (result over the 1017-byte AVP value limit),
// crypto_failure.
result<size_t, error> hide_value(uint16_t attribute_type, std::span<const uint8_t> secret,
				 std::span<const uint8_t> random_vector, std::span<const uint8_t> value,
				 std::span<const uint8_t> padding, std::span<uint8_t> out) noexcept;

// Reveal a hidden value. out receives the decrypted subformat (it needs hidden.size() bytes);
// the returned span is the original value inside out.
// Errors: hidden_without_secret, hidden_without_random_vector, hidden_bad_length (shorter
// than 2 bytes, or original length beyond the hidden bytes), hidden_scratch_exhausted (out
// too small), crypto_failure.
result<std::span<const uint8_t>, error> unhide_value(uint16_t attribute_type, std::span<const uint8_t> secret,
						     std::span<const uint8_t> random_vector,
						     std::span<const uint8_t> hidden,
						     std::span<uint8_t> out) noexcept;

} // namespace l2tpx::ctl
