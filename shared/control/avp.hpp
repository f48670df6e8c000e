// AVP layer (RFC 2661 §4.1, RFC 3931 §5.1): walk the AVPs of a control message body and
// write AVPs into a buffer. Nothing here knows what an AVP means; see avp_table.hpp and
// message.hpp for that.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |M|H| rsvd  |      Length       |           Vendor ID           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Attribute Type        |        Attribute Value ...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                     [until Length is reached]...                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length (10 bits) counts the whole AVP, the 6-byte header included.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/base/byteorder.hpp"
#include "shared/base/result.hpp"
#include "shared/control/avp_table.hpp"
#include "shared/control/error.hpp"

namespace l2tpx::ctl {

inline constexpr uint16_t avp_flag_mandatory = 0x8000;
inline constexpr uint16_t avp_flag_hidden = 0x4000;
inline constexpr uint16_t avp_flags_reserved = 0x3c00;
inline constexpr uint16_t avp_length_mask = 0x03ff;

// One AVP as it is on the wire. value points into the parsed buffer (still hidden when
// hidden is true).
struct avp_view {
	bool mandatory = false;
	bool hidden = false;
	uint16_t length = 0; // whole AVP, header included
	uint16_t vendor = 0; // 0: IETF
	uint16_t type = 0;
	std::span<const uint8_t> value;
};

// Parse the AVP at the start of buf. Errors: avp_header_truncated, avp_reserved_bits_set,
// avp_length_too_short, avp_length_overrun.
result<avp_view, error> parse_avp(std::span<const uint8_t> buf) noexcept;

// Walks the AVPs of a message body: for (reader r(body); !r.done();) { auto a = r.next(); }
// After an error the reader stays done (no AVP after a broken one can be trusted).
class avp_reader {
public:
	explicit avp_reader(std::span<const uint8_t> body) noexcept : buf_(body) {}
	bool done() const noexcept { return pos_ >= buf_.size(); }
	size_t offset() const noexcept { return pos_; } // offset of the next AVP
	result<avp_view, error> next() noexcept;

private:
	std::span<const uint8_t> buf_;
	size_t pos_ = 0;
};

// Writes AVPs into a caller-provided buffer. Any write that does not fit marks the writer
// failed (ok() == false) and leaves the bytes already written untouched; later writes are
// ignored, so a sequence of puts needs one check at the end.
class avp_writer {
public:
	explicit avp_writer(std::span<uint8_t> out) noexcept : out_(out) {}

	// Raw AVP with an explicit header. The value must fit the 10-bit length (<= 1017 bytes).
	bool put(uint16_t type, std::span<const uint8_t> value, bool mandatory, bool hidden = false,
		 uint16_t vendor = vendor_ietf) noexcept;
	// Reserve an AVP whose value is written later through the returned span (empty when it
	// does not fit): used for Message Digest (filled after the whole message is built) and
	// for hidden values.
	std::span<uint8_t> reserve(uint16_t type, size_t value_len, bool mandatory, bool hidden = false,
				   uint16_t vendor = vendor_ietf) noexcept;
	bool put_u16(uint16_t type, uint16_t v, bool mandatory) noexcept;
	bool put_u32(uint16_t type, uint32_t v, bool mandatory) noexcept;
	bool put_u64(uint16_t type, uint64_t v, bool mandatory) noexcept;

	bool ok() const noexcept { return ok_; }
	error last_error() const noexcept { return err_; }
	size_t size() const noexcept { return pos_; }
	std::span<uint8_t> written() const noexcept { return out_.first(pos_); }

private:
	bool fail(error e) noexcept {
		if (ok_)
			err_ = e;
		ok_ = false;
		return false;
	}
	std::span<uint8_t> out_;
	size_t pos_ = 0;
	bool ok_ = true;
	error err_ = error::buffer_too_small;
};

} // namespace l2tpx::ctl
