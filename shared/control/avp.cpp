#include "shared/control/avp.hpp"

#include <cstring>

namespace l2tpx::ctl {

result<avp_view, error> parse_avp(std::span<const uint8_t> buf) noexcept {
	if (buf.size() < avp_header_len)
		return unexpected(error::avp_header_truncated);
	const uint8_t *p = buf.data();
	const uint16_t word = load_be16(p);
	if (word & avp_flags_reserved)
		return unexpected(error::avp_reserved_bits_set);
	const uint16_t len = word & avp_length_mask;
	if (len < avp_header_len)
		return unexpected(error::avp_length_too_short);
	if (len > buf.size())
		return unexpected(error::avp_length_overrun);
	avp_view v;
	v.mandatory = word & avp_flag_mandatory;
	v.hidden = word & avp_flag_hidden;
	v.length = len;
	v.vendor = load_be16(p + 2);
	v.type = load_be16(p + 4);
	v.value = buf.subspan(avp_header_len, len - avp_header_len);
	return v;
}

result<avp_view, error> avp_reader::next() noexcept {
	if (done())
		return unexpected(error::avp_header_truncated);
	auto r = parse_avp(buf_.subspan(pos_));
	if (!r) {
		pos_ = buf_.size();
		return r;
	}
	pos_ += r->length;
	return r;
}

std::span<uint8_t> avp_writer::reserve(uint16_t type, size_t value_len, bool mandatory, bool hidden,
				       uint16_t vendor) noexcept {
	if (!ok_)
		return {};
	if (value_len > avp_max_value_len) {
		fail(error::value_too_long);
		return {};
	}
	const size_t len = avp_header_len + value_len;
	if (out_.size() - pos_ < len) {
		fail(error::buffer_too_small);
		return {};
	}
	uint8_t *p = out_.data() + pos_;
	const uint16_t word = static_cast<uint16_t>((mandatory ? avp_flag_mandatory : 0) |
						    (hidden ? avp_flag_hidden : 0) | len);
	store_be16(p, word);
	store_be16(p + 2, vendor);
	store_be16(p + 4, type);
	pos_ += len;
	return {p + avp_header_len, value_len};
}

bool avp_writer::put(uint16_t type, std::span<const uint8_t> value, bool mandatory, bool hidden,
		     uint16_t vendor) noexcept {
	std::span<uint8_t> dst = reserve(type, value.size(), mandatory, hidden, vendor);
	if (!ok_)
		return false;
	if (!value.empty())
		std::memcpy(dst.data(), value.data(), value.size());
	return true;
}

bool avp_writer::put_u16(uint16_t type, uint16_t v, bool mandatory) noexcept {
	uint8_t b[2];
	store_be16(b, v);
	return put(type, b, mandatory);
}

bool avp_writer::put_u32(uint16_t type, uint32_t v, bool mandatory) noexcept {
	uint8_t b[4];
	store_be32(b, v);
	return put(type, b, mandatory);
}

bool avp_writer::put_u64(uint16_t type, uint64_t v, bool mandatory) noexcept {
	uint8_t b[8];
	store_be64(b, v);
	return put(type, b, mandatory);
}

} // namespace l2tpx::ctl
