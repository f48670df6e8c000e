// PPP control packets (RFC 1661 §5): the layout LCP, IPCP, IPv6CP, CCP, PAP and CHAP share,
// configuration option lists (RFC 1661 §6) and the bodies common to LCP and every NCP.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Code      |  Identifier   |            Length             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |    Data ...
// +-+-+-+-+
//
// Length counts the whole packet. Octets past Length are padding and ignored (§5).
//
// Configuration option (§6), repeated in Configure-Request/Ack/Nak/Reject:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |    Length     |    Data ...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Length counts type and length octets, so it is at least 2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <type_traits>

#include "shared/base/result.hpp"
#include "shared/ppp/error.hpp"

namespace l2tpx::ppp {

inline constexpr size_t control_header_len = 4;
inline constexpr size_t option_header_len = 2;
inline constexpr size_t max_option_value_len = 255 - option_header_len;

// Codes of LCP (1-11, 12-13 from RFC 1570) and of the NCPs (1-7). PAP and CHAP number their
// codes on their own: see pap::code and chap::code.
enum class cp_code : uint8_t {
	configure_request = 1,
	configure_ack = 2,
	configure_nak = 3,
	configure_reject = 4,
	terminate_request = 5,
	terminate_ack = 6,
	code_reject = 7,
	protocol_reject = 8, // LCP only from here on
	echo_request = 9,
	echo_reply = 10,
	discard_request = 11,
	identification = 12, // RFC 1570
	time_remaining = 13, // RFC 1570
};

// "configure_request", ...; nullptr for a code outside 1-13.
const char *to_string(cp_code c) noexcept;
// Codes an NCP (IPCP, IPv6CP, CCP) understands; anything else is answered with Code-Reject.
constexpr bool is_ncp_code(uint8_t c) noexcept { return c >= 1 && c <= 7; }
// Codes LCP understands (1-11, and 12-13 from RFC 1570).
constexpr bool is_lcp_code(uint8_t c) noexcept { return c >= 1 && c <= 13; }
// Configure-Request/Ack/Nak/Reject: the data is an option list.
constexpr bool is_configure_code(uint8_t c) noexcept { return c >= 1 && c <= 4; }

struct control_view {
	uint8_t code;                     // raw: compare with cp_code, pap::code or chap::code
	uint8_t identifier;               // matches requests and replies
	uint16_t length;                  // from the header; 4 <= length <= buffer size
	std::span<const uint8_t> data;    // length - 4 octets after the header
	std::span<const uint8_t> packet;  // the whole packet (length octets), padding excluded
};

// Checks the header and the length field against the buffer. Trailing octets are padding.
result<control_view, error> parse_control(std::span<const uint8_t> buf) noexcept;

struct option_view {
	uint8_t type;
	std::span<const uint8_t> value; // length - 2 octets
	std::span<const uint8_t> raw;   // the whole option, to copy into a Nak or a Reject
};

// A validated option list: parse() checked every option's length, so iteration cannot fail.
// Holds a span into the packet; no copy, no allocation.
class option_list {
public:
	class iterator {
	public:
		using iterator_category = std::forward_iterator_tag;
		using value_type = option_view;
		using difference_type = std::ptrdiff_t;
		using pointer = void;
		using reference = option_view;

		iterator() = default;
		option_view operator*() const noexcept {
			size_t len = pos_[1];
			return option_view{pos_[0], std::span<const uint8_t>(pos_ + 2, len - 2),
			                   std::span<const uint8_t>(pos_, len)};
		}
		iterator &operator++() noexcept {
			pos_ += pos_[1];
			return *this;
		}
		iterator operator++(int) noexcept {
			iterator t = *this;
			++*this;
			return t;
		}
		bool operator==(const iterator &o) const noexcept { return pos_ == o.pos_; }

	private:
		friend class option_list;
		explicit iterator(const uint8_t *p) noexcept : pos_(p) {}
		const uint8_t *pos_ = nullptr;
	};

	option_list() = default;
	// Validates the data of a Configure-* packet: each option has length >= 2 within `data`.
	static result<option_list, error> parse(std::span<const uint8_t> data) noexcept;

	iterator begin() const noexcept { return iterator(bytes_.data()); }
	iterator end() const noexcept { return iterator(bytes_.data() + bytes_.size()); }
	size_t size() const noexcept { return count_; }
	bool empty() const noexcept { return count_ == 0; }
	std::span<const uint8_t> bytes() const noexcept { return bytes_; }

private:
	option_list(std::span<const uint8_t> b, size_t n) noexcept : bytes_(b), count_(n) {}
	std::span<const uint8_t> bytes_;
	size_t count_ = 0;
};

// The option list of a Configure-Request/Ack/Nak/Reject (check is_configure_code first).
inline result<option_list, error> parse_options(const control_view &v) noexcept { return option_list::parse(v.data); }

// Builds a control packet into a caller-provided buffer: the header first, then fields and
// options, then finish() writes the length. Any write that does not fit makes the writer fail
// for good; finish() then returns 0. Never allocates.
class packet_writer {
public:
	packet_writer(std::span<uint8_t> out, uint8_t code, uint8_t identifier) noexcept;
	template <typename E>
	        requires std::is_enum_v<E> && (sizeof(E) == 1)
	packet_writer(std::span<uint8_t> out, E code, uint8_t identifier) noexcept
	        : packet_writer(out, static_cast<uint8_t>(code), identifier) {}

	packet_writer &u8(uint8_t v) noexcept;
	packet_writer &u16(uint16_t v) noexcept;
	packet_writer &u32(uint32_t v) noexcept;
	packet_writer &u64(uint64_t v) noexcept;
	packet_writer &bytes(std::span<const uint8_t> b) noexcept;
	// Copies as much of `b` as keeps the packet within `max_packet_len` octets (Code-Reject and
	// Protocol-Reject truncate the rejected packet to the peer's MRU). The buffer must hold it.
	packet_writer &bytes_truncated(std::span<const uint8_t> b, size_t max_packet_len) noexcept;

	// One option: type, length = 2 + value size (the value must be at most 253 octets).
	packet_writer &option(uint8_t type, std::span<const uint8_t> value = {}) noexcept;
	packet_writer &option_u8(uint8_t type, uint8_t v) noexcept;
	packet_writer &option_u16(uint8_t type, uint16_t v) noexcept;
	packet_writer &option_u32(uint8_t type, uint32_t v) noexcept;
	packet_writer &option_u64(uint8_t type, uint64_t v) noexcept;
	// An option copied as received (option_view::raw): for Configure-Reject/Ack, which must
	// repeat options unchanged.
	packet_writer &option_raw(const option_view &o) noexcept { return bytes(o.raw); }
	template <typename E>
	        requires std::is_enum_v<E> && (sizeof(E) == 1)
	packet_writer &option(E type, std::span<const uint8_t> value = {}) noexcept {
		return option(static_cast<uint8_t>(type), value);
	}

	// Marks the packet as failed (a field the caller could not encode); finish() returns 0.
	packet_writer &fail() noexcept {
		ok_ = false;
		return *this;
	}
	bool ok() const noexcept { return ok_; }
	size_t size() const noexcept { return len_; }
	// Writes the length field; returns the packet length, or 0 if anything did not fit or the
	// packet would exceed 65535 octets.
	size_t finish() noexcept;

private:
	bool reserve(size_t n) noexcept;
	std::span<uint8_t> out_;
	size_t len_ = 0;
	bool ok_ = true;
};

// Generic packets every control protocol can send. Each returns the packet length, 0 when
// `out` is too small.
// Terminate-Request / Terminate-Ack (§5.5): free-form data.
size_t build_terminate(std::span<uint8_t> out, cp_code c, uint8_t identifier,
                       std::span<const uint8_t> data = {}) noexcept;

// Code-Reject (§5.6): the rejected packet (starting at its code), truncated so that the whole
// Code-Reject fits in `max_len` octets (the peer's MRU).
//   | Code = 7 | Identifier | Length | Rejected-Packet ...
struct code_reject_view {
	std::span<const uint8_t> rejected;   // as received, possibly truncated by the sender
	uint8_t rejected_code;                // first octet of the rejected packet
};
result<code_reject_view, error> parse_code_reject(const control_view &v) noexcept;
size_t build_code_reject(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> rejected,
                         size_t max_len = 1500) noexcept;

} // namespace l2tpx::ppp
