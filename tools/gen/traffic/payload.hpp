// Test payload ("signature") carried at offset 0 of the UDP payload of every generated packet.
//
// Long form, 24 bytes, used when the UDP payload has room for it:
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |       magic 0x7A5E            |         compensation          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                           stream ID                           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  sequence number (64 bits)                    |
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |              TX timestamp (64 bits, clock ticks)              |
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Short form, 16 bytes, for frames too small for the long form (a 64-byte IPv4 frame has 18
// bytes of UDP payload): magic 0x7A53, compensation, stream ID, the low 32 bits of the
// sequence number and the low 32 bits of the timestamp. The receiver extends both to 64
// bits (extend_seq32 / extend_ts32 below).
//
// All fields are big-endian. Compensation makes the one's-complement sum of the signature's
// 16-bit words equal 0xFFFF (zero in one's-complement arithmetic): a packet template whose
// UDP checksum was computed once stays valid whatever stream, sequence and timestamp are
// written later, so the TX path never touches the checksum. The signature must start at an
// even offset from the UDP header (it does: offset 0 of the payload). The receiver checks
// the same sum, which together with the magic rejects random foreign packets with
// probability ~1 - 2^-32 (1 - 2^-16 once the magic matches) and detects a corrupted
// signature before it skews loss figures.
#pragma once

#include "shared/base/byteorder.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace l2tpx::gen {

inline constexpr uint16_t signature_magic_long = 0x7A5E;
inline constexpr uint16_t signature_magic_short = 0x7A53;
inline constexpr size_t signature_long_size = 24;
inline constexpr size_t signature_short_size = 16;

// Header bytes in front of the signature, per inner IP version (IP + UDP).
inline constexpr size_t inner_headers_v4 = 20 + 8;
inline constexpr size_t inner_headers_v6 = 40 + 8;

// The one's-complement sum of 16-bit words can be accumulated in wider words and folded
// at the end (RFC 1071): a 64-bit field contributes its two 32-bit halves.
inline uint64_t sum_words64(uint64_t v) noexcept { return (v >> 32) + (v & 0xFFFFFFFF); }
// Folds a sum of fewer than 2^32 terms below 2^32 each into 16 bits, without branches.
inline uint16_t fold_sum(uint64_t s) noexcept {
	s = (s & 0xFFFFFFFF) + (s >> 32);
	s = (s & 0xFFFF) + (s >> 16);
	s = (s & 0xFFFF) + (s >> 16);
	s = (s & 0xFFFF) + (s >> 16);
	return static_cast<uint16_t>(s);
}
// RFC 1071 one's-complement sum over a buffer (odd length padded with a zero byte), folded.
// For template building and tests; not used per packet.
uint16_t ones_complement_sum(std::span<const uint8_t> data, uint32_t initial = 0) noexcept;

// Writes the signature for `stream` at the start of `out`: the long form when out.size() >=
// 24, the short form when it is >= 16. Returns the bytes written, 0 when out is too short.
// A few dozen instructions, no branches beyond the form choice.
inline size_t write_signature(std::span<uint8_t> out, uint32_t stream, uint64_t seq, uint64_t tx_ts) noexcept {
	uint8_t *p = out.data();
	if (out.size() >= signature_long_size) {
		uint64_t s = uint64_t(signature_magic_long) + stream + sum_words64(seq) + sum_words64(tx_ts);
		store_be16(p, signature_magic_long);
		store_be16(p + 2, static_cast<uint16_t>(~fold_sum(s)));
		store_be32(p + 4, stream);
		store_be64(p + 8, seq);
		store_be64(p + 16, tx_ts);
		return signature_long_size;
	}
	if (out.size() >= signature_short_size) {
		uint32_t seq32 = static_cast<uint32_t>(seq), ts32 = static_cast<uint32_t>(tx_ts);
		uint64_t s = uint64_t(signature_magic_short) + stream + seq32 + ts32;
		store_be16(p, signature_magic_short);
		store_be16(p + 2, static_cast<uint16_t>(~fold_sum(s)));
		store_be32(p + 4, stream);
		store_be32(p + 8, seq32);
		store_be32(p + 12, ts32);
		return signature_short_size;
	}
	return 0;
}

enum class signature_status : uint8_t {
	ok,
	too_short,    // fewer bytes than the short form: a foreign packet
	bad_magic,    // neither magic: a foreign packet
	bad_checksum, // magic present but the word sum is wrong: a corrupted signature
};

struct signature {
	signature_status status = signature_status::too_short;
	bool short_form = false; // seq and tx_ts hold only their low 32 bits
	uint32_t stream = 0;
	uint64_t seq = 0;
	uint64_t tx_ts = 0;
};

// Reads and validates the signature at the start of a UDP payload.
inline signature read_signature(std::span<const uint8_t> in) noexcept {
	signature r;
	if (in.size() < signature_short_size)
		return r;
	const uint8_t *p = in.data();
	uint16_t magic = load_be16(p);
	uint64_t s = uint64_t(magic) + load_be16(p + 2);
	r.stream = load_be32(p + 4);
	s += r.stream;
	if (magic == signature_magic_long && in.size() >= signature_long_size) {
		r.seq = load_be64(p + 8);
		r.tx_ts = load_be64(p + 16);
		s += sum_words64(r.seq) + sum_words64(r.tx_ts);
	} else if (magic == signature_magic_short) {
		r.short_form = true;
		r.seq = load_be32(p + 8);
		r.tx_ts = load_be32(p + 12);
		s += r.seq + r.tx_ts;
	} else {
		r.status = magic == signature_magic_long ? signature_status::too_short : signature_status::bad_magic;
		return r;
	}
	r.status = fold_sum(s) == 0xFFFF ? signature_status::ok : signature_status::bad_checksum;
	return r;
}

// Extends a 32-bit sequence number to the 64-bit value closest to `reference` (the highest
// sequence number seen so far on the stream). Exact while reordering and loss bursts stay
// below 2^31 packets.
inline uint64_t extend_seq32(uint64_t reference, uint32_t low) noexcept {
	int32_t delta = static_cast<int32_t>(low - static_cast<uint32_t>(reference));
	if (delta < 0 && reference < uint64_t(-int64_t(delta)))
		return low; // would be below 0: the stream has not wrapped yet
	return reference + static_cast<uint64_t>(static_cast<int64_t>(delta));
}

// Extends a 32-bit TX timestamp to 64 bits using the RX time: the latest value <= rx_now
// with those low bits (a packet was sent before it was received). Exact while the one-way
// delay stays below 2^32 ticks (1.4 s at a 3 GHz TSC, 4.2 s in nanoseconds).
inline uint64_t extend_ts32(uint64_t rx_now, uint32_t low) noexcept {
	return rx_now - static_cast<uint32_t>(static_cast<uint32_t>(rx_now) - low);
}

// Minimum Ethernet frame size (header + FCS, no VLAN) that carries a signature of the
// given form after the inner IP and UDP headers.
constexpr size_t min_frame_size(int ip_version, bool long_form) noexcept {
	return 14 + (ip_version == 6 ? inner_headers_v6 : inner_headers_v4) +
	       (long_form ? signature_long_size : signature_short_size) + 4;
}

} // namespace l2tpx::gen
