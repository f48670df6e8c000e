#include "shared/ppp/control.hpp"

#include <algorithm>

#include "shared/base/byteorder.hpp"

namespace l2tpx::ppp {

const char *to_string(cp_code c) noexcept {
	switch (c) {
	case cp_code::configure_request: return "configure_request";
	case cp_code::configure_ack: return "configure_ack";
	case cp_code::configure_nak: return "configure_nak";
	case cp_code::configure_reject: return "configure_reject";
	case cp_code::terminate_request: return "terminate_request";
	case cp_code::terminate_ack: return "terminate_ack";
	case cp_code::code_reject: return "code_reject";
	case cp_code::protocol_reject: return "protocol_reject";
	case cp_code::echo_request: return "echo_request";
	case cp_code::echo_reply: return "echo_reply";
	case cp_code::discard_request: return "discard_request";
	case cp_code::identification: return "identification";
	case cp_code::time_remaining: return "time_remaining";
	}
	return nullptr;
}

result<control_view, error> parse_control(std::span<const uint8_t> buf) noexcept {
	if (buf.size() < control_header_len)
		return unexpected{error::packet_truncated};
	uint16_t length = load_be16(buf.data() + 2);
	if (length < control_header_len)
		return unexpected{error::packet_bad_length};
	if (length > buf.size())
		return unexpected{error::packet_length_overrun};
	return control_view{buf[0], buf[1], length, buf.subspan(control_header_len, length - control_header_len),
	                    buf.first(length)};
}

result<option_list, error> option_list::parse(std::span<const uint8_t> data) noexcept {
	size_t off = 0;
	size_t count = 0;
	while (off < data.size()) {
		if (data.size() - off < option_header_len)
			return unexpected{error::option_truncated};
		size_t len = data[off + 1];
		if (len < option_header_len)
			return unexpected{error::option_bad_length};
		if (len > data.size() - off)
			return unexpected{error::option_overrun};
		off += len;
		++count;
	}
	return option_list(data, count);
}

packet_writer::packet_writer(std::span<uint8_t> out, uint8_t code, uint8_t identifier) noexcept : out_(out) {
	if (out_.size() < control_header_len) {
		ok_ = false;
		return;
	}
	out_[0] = code;
	out_[1] = identifier;
	out_[2] = 0;
	out_[3] = 0;
	len_ = control_header_len;
}

bool packet_writer::reserve(size_t n) noexcept {
	if (!ok_ || out_.size() - len_ < n)
		ok_ = false;
	return ok_;
}

packet_writer &packet_writer::u8(uint8_t v) noexcept {
	if (reserve(1))
		out_[len_++] = v;
	return *this;
}

packet_writer &packet_writer::u16(uint16_t v) noexcept {
	if (reserve(2)) {
		store_be16(out_.data() + len_, v);
		len_ += 2;
	}
	return *this;
}

packet_writer &packet_writer::u32(uint32_t v) noexcept {
	if (reserve(4)) {
		store_be32(out_.data() + len_, v);
		len_ += 4;
	}
	return *this;
}

packet_writer &packet_writer::u64(uint64_t v) noexcept {
	if (reserve(8)) {
		store_be64(out_.data() + len_, v);
		len_ += 8;
	}
	return *this;
}

packet_writer &packet_writer::bytes(std::span<const uint8_t> b) noexcept {
	if (reserve(b.size())) {
		std::copy(b.begin(), b.end(), out_.begin() + static_cast<std::ptrdiff_t>(len_));
		len_ += b.size();
	}
	return *this;
}

packet_writer &packet_writer::bytes_truncated(std::span<const uint8_t> b, size_t max_packet_len) noexcept {
	size_t room = max_packet_len > len_ ? max_packet_len - len_ : 0;
	return bytes(b.first(std::min(b.size(), room)));
}

packet_writer &packet_writer::option(uint8_t type, std::span<const uint8_t> value) noexcept {
	if (value.size() > max_option_value_len) {
		ok_ = false;
		return *this;
	}
	if (reserve(option_header_len + value.size())) {
		out_[len_] = type;
		out_[len_ + 1] = static_cast<uint8_t>(option_header_len + value.size());
		len_ += option_header_len;
		bytes(value);
	}
	return *this;
}

packet_writer &packet_writer::option_u8(uint8_t type, uint8_t v) noexcept {
	const uint8_t b[1] = {v};
	return option(type, b);
}

packet_writer &packet_writer::option_u16(uint8_t type, uint16_t v) noexcept {
	uint8_t b[2];
	store_be16(b, v);
	return option(type, b);
}

packet_writer &packet_writer::option_u32(uint8_t type, uint32_t v) noexcept {
	uint8_t b[4];
	store_be32(b, v);
	return option(type, b);
}

packet_writer &packet_writer::option_u64(uint8_t type, uint64_t v) noexcept {
	uint8_t b[8];
	store_be64(b, v);
	return option(type, b);
}

size_t packet_writer::finish() noexcept {
	if (!ok_ || len_ > 0xffff)
		return 0;
	store_be16(out_.data() + 2, static_cast<uint16_t>(len_));
	return len_;
}

size_t build_terminate(std::span<uint8_t> out, cp_code c, uint8_t identifier, std::span<const uint8_t> data) noexcept {
	if (c != cp_code::terminate_request && c != cp_code::terminate_ack)
		return 0;
	return packet_writer(out, c, identifier).bytes(data).finish();
}

result<code_reject_view, error> parse_code_reject(const control_view &v) noexcept {
	if (v.code != static_cast<uint8_t>(cp_code::code_reject))
		return unexpected{error::wrong_code};
	if (v.data.empty())
		return unexpected{error::body_truncated};
	return code_reject_view{v.data, v.data[0]};
}

size_t build_code_reject(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> rejected,
                         size_t max_len) noexcept {
	if (rejected.empty() || max_len <= control_header_len)
		return 0;
	return packet_writer(out, cp_code::code_reject, identifier).bytes_truncated(rejected, max_len).finish();
}

} // namespace l2tpx::ppp
