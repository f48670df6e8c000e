// Challenge-Handshake Authentication Protocol (RFC 1994 §4), protocol 0xC223, and the
// CHAP-MD5 response (algorithm 5).
//
// Challenge / Response:
//   | Code = 1/2 | Identifier | Length | Value-Size | Value ... | Name ...
// Success / Failure:
//   | Code = 3/4 | Identifier | Length | Message ...
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/result.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/error.hpp"

namespace l2tpx::ppp::chap {

enum class code : uint8_t {
	challenge = 1,
	response = 2,
	success = 3,
	failure = 4,
};

// "challenge", ...; nullptr for other codes.
const char *to_string(code c) noexcept;

inline constexpr uint8_t algorithm_md5 = 5;
inline constexpr size_t md5_response_len = 16;
using md5_digest = std::array<uint8_t, md5_response_len>;

struct value_body {
	std::span<const uint8_t> value;  // challenge or response value, at least 1 octet
	std::span<const uint8_t> name;   // the rest of the packet: system or user name
};
// Code must be 1 (challenge) or 2 (response).
result<value_body, error> parse_value(const control_view &v) noexcept;

// Code must be 3 (success) or 4 (failure); the message is all of the data.
result<std::span<const uint8_t>, error> parse_message(const control_view &v) noexcept;

// Challenge or Response. Returns 0 when `out` is too small, `c` is not challenge/response, or
// the value is empty or longer than 255 octets.
size_t build_value(std::span<uint8_t> out, code c, uint8_t identifier, std::span<const uint8_t> value,
                   std::span<const uint8_t> name) noexcept;
// Success or Failure. Returns 0 when `out` is too small or `c` is not success/failure.
size_t build_message(std::span<uint8_t> out, code c, uint8_t identifier,
                     std::span<const uint8_t> message = {}) noexcept;

inline size_t build_challenge(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> challenge,
                              std::span<const uint8_t> name) noexcept {
	return build_value(out, code::challenge, identifier, challenge, name);
}
inline size_t build_response(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> response,
                             std::span<const uint8_t> name) noexcept {
	return build_value(out, code::response, identifier, response, name);
}
inline size_t build_success(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> message = {}) noexcept {
	return build_message(out, code::success, identifier, message);
}
inline size_t build_failure(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> message = {}) noexcept {
	return build_message(out, code::failure, identifier, message);
}

// RFC 1994 §2 with MD5: MD5(Identifier || secret || challenge). Computed with libcrypto;
// crypto_failure when it refuses MD5 (e.g. a FIPS-only provider).
result<md5_digest, error> md5_response(uint8_t identifier, std::span<const uint8_t> secret,
                                       std::span<const uint8_t> challenge) noexcept;
// Recomputes the expected response and compares it in constant time. False for a response of
// the wrong size or when libcrypto fails.
bool md5_verify(uint8_t identifier, std::span<const uint8_t> secret, std::span<const uint8_t> challenge,
                std::span<const uint8_t> response) noexcept;

} // namespace l2tpx::ppp::chap
