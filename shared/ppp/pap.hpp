// Password Authentication Protocol (RFC 1334 §2), protocol 0xC023.
//
// Authenticate-Request:
//   | Code = 1 | Identifier | Length | Peer-ID Length | Peer-ID ... | Passwd-Length | Password ...
// Authenticate-Ack / Authenticate-Nak:
//   | Code = 2/3 | Identifier | Length | Msg-Length | Message ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/result.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/error.hpp"

namespace l2tpx::ppp::pap {

enum class code : uint8_t {
	authenticate_request = 1,
	authenticate_ack = 2,
	authenticate_nak = 3,
};

// "authenticate_request", ...; nullptr for other codes.
const char *to_string(code c) noexcept;

struct request_body {
	std::span<const uint8_t> peer_id;   // user name, not NUL-terminated
	std::span<const uint8_t> password;
};
// Code must be 1. Octets after the password (inside Length) are ignored.
result<request_body, error> parse_request(const control_view &v) noexcept;

struct reply_body {
	bool ack;                           // code 2 (ack) or 3 (nak)
	std::span<const uint8_t> message;
};
// Code must be 2 or 3. An Ack/Nak with no data at all (some peers omit Msg-Length) reads as
// an empty message.
result<reply_body, error> parse_reply(const control_view &v) noexcept;

// Return the packet length; 0 when `out` is too small or a field exceeds 255 octets.
size_t build_request(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> peer_id,
                     std::span<const uint8_t> password) noexcept;
size_t build_reply(std::span<uint8_t> out, bool ack, uint8_t identifier,
                   std::span<const uint8_t> message = {}) noexcept;

} // namespace l2tpx::ppp::pap
