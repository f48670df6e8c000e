// Control connection authentication.
//
// L2TPv2 tunnel authentication (RFC 2661 §4.2, §5.1.1): the Challenge Response AVP of an
// SCCRP or SCCCN is MD5(ID + secret + challenge), ID being the Message Type of the message
// that carries the response (2 for SCCRP, 3 for SCCCN) as one byte.
//
// L2TPv3 Message Digest (RFC 3931 §5.4.1, §4.3):
//   Shared-Key = HMAC-MD5(Key = shared secret, Data = 0x02)   (see derive_digest_key)
//   Digest     = HMAC_Hash(Key = Shared-Key, Data = local nonce + remote nonce + message)
// where "message" runs from the first byte of the L2TP control header (the T bit; after the
// 4-byte zero Session ID over IP) to the end, with the Digest field itself set to zeros, and
// the nonces are the Control Message Authentication Nonce values of both ends, the sender's
// first. An SCCRQ is signed with no nonce at all (the peer's is not known yet), as Wireshark
// checks it; every later message with both.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/result.hpp"
#include "shared/control/error.hpp"

namespace l2tpx::ctl {

using md5_digest = std::array<uint8_t, 16>;
inline constexpr size_t challenge_response_len = 16;

// MD5(response_type + secret + challenge). response_type is msg_type::sccrp or ::scccn.
result<md5_digest, error> challenge_response(uint8_t response_type, std::span<const uint8_t> secret,
					     std::span<const uint8_t> challenge) noexcept;

// True when response is the right Challenge Response (compared in constant time).
bool verify_challenge_response(uint8_t response_type, std::span<const uint8_t> secret,
			       std::span<const uint8_t> challenge, std::span<const uint8_t> response) noexcept;

// Digest Type of the Message Digest AVP.
enum class digest_algo : uint8_t {
	hmac_md5 = 0,
	hmac_sha1 = 1,
};
constexpr size_t digest_len(digest_algo a) noexcept { return a == digest_algo::hmac_md5 ? 16 : 20; }

// The derived Shared-Key (16 bytes for MD5, 20 for SHA-1).
struct digest_key {
	digest_algo algo = digest_algo::hmac_md5;
	std::array<uint8_t, 20> bytes{};
	uint8_t len = 0; // 16, or 20 for a SHA-1 derived key
	std::span<const uint8_t> view() const noexcept { return {bytes.data(), len}; }
};

// Shared-Key = HMAC-MD5(secret, 0x02), for both digest algorithms: what Wireshark's L2TPv3
// dissector computes (checked with tshark 4.0 on MD5 and SHA-1 signed messages), hence a
// 16-byte key also for HMAC-SHA-1.
result<digest_key, error> derive_digest_key(digest_algo algo, std::span<const uint8_t> secret) noexcept;

// Shared-Key = HMAC_Hash(secret, 0x02) with the given derivation hash: for a peer that
// derives the SHA-1 key with HMAC-SHA-1 (20 bytes) instead.
result<digest_key, error> derive_digest_key_with(digest_algo algo, digest_algo derivation,
						 std::span<const uint8_t> secret) noexcept;

// What signing and verifying a message needs.
struct digest_params {
	digest_key key;
	std::span<const uint8_t> local_nonce;  // nonce of the message's sender
	std::span<const uint8_t> remote_nonce; // nonce of its receiver
};

// HMAC over nonces + message with the digest_len() bytes at digest_offset taken as zeros.
// Writes digest_len(key.algo) bytes to out. Errors: buffer_too_small (out, or digest field
// beyond message), crypto_failure.
result<void, error> compute_message_digest(const digest_params &p, std::span<const uint8_t> message,
					   size_t digest_offset, std::span<uint8_t> out) noexcept;

// Find the Message Digest AVP in message (whose AVPs start at body_offset) and fill its
// Digest field. Errors: digest_missing, digest_bad_type, and the AVP walk's errors.
result<void, error> sign_message(const digest_params &p, std::span<uint8_t> message, size_t body_offset) noexcept;

// Check the Message Digest AVP of message. Errors: digest_missing, digest_bad_type (type
// other than key.algo's), digest_mismatch, and the AVP walk's errors.
result<void, error> verify_message(const digest_params &p, std::span<const uint8_t> message,
				   size_t body_offset) noexcept;

} // namespace l2tpx::ctl
