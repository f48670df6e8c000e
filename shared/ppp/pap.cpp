#include "shared/ppp/pap.hpp"

namespace l2tpx::ppp::pap {

const char *to_string(code c) noexcept {
	switch (c) {
	case code::authenticate_request: return "authenticate_request";
	case code::authenticate_ack: return "authenticate_ack";
	case code::authenticate_nak: return "authenticate_nak";
	}
	return nullptr;
}

result<request_body, error> parse_request(const control_view &v) noexcept {
	if (v.code != static_cast<uint8_t>(code::authenticate_request))
		return unexpected{error::wrong_code};
	const auto &d = v.data;
	if (d.empty())
		return unexpected{error::body_truncated};
	size_t id_len = d[0];
	if (d.size() - 1 < id_len)
		return unexpected{error::pap_bad_field_length};
	size_t off = 1 + id_len;
	if (d.size() <= off)
		return unexpected{error::body_truncated};
	size_t pw_len = d[off];
	if (d.size() - off - 1 < pw_len)
		return unexpected{error::pap_bad_field_length};
	return request_body{d.subspan(1, id_len), d.subspan(off + 1, pw_len)};
}

result<reply_body, error> parse_reply(const control_view &v) noexcept {
	bool ack;
	if (v.code == static_cast<uint8_t>(code::authenticate_ack))
		ack = true;
	else if (v.code == static_cast<uint8_t>(code::authenticate_nak))
		ack = false;
	else
		return unexpected{error::wrong_code};
	const auto &d = v.data;
	if (d.empty())
		return reply_body{ack, {}};
	size_t msg_len = d[0];
	if (d.size() - 1 < msg_len)
		return unexpected{error::pap_bad_field_length};
	return reply_body{ack, d.subspan(1, msg_len)};
}

size_t build_request(std::span<uint8_t> out, uint8_t identifier, std::span<const uint8_t> peer_id,
                     std::span<const uint8_t> password) noexcept {
	if (peer_id.size() > 255 || password.size() > 255)
		return 0;
	return packet_writer(out, code::authenticate_request, identifier)
	        .u8(static_cast<uint8_t>(peer_id.size()))
	        .bytes(peer_id)
	        .u8(static_cast<uint8_t>(password.size()))
	        .bytes(password)
	        .finish();
}

size_t build_reply(std::span<uint8_t> out, bool ack, uint8_t identifier, std::span<const uint8_t> message) noexcept {
	if (message.size() > 255)
		return 0;
	return packet_writer(out, ack ? code::authenticate_ack : code::authenticate_nak, identifier)
	        .u8(static_cast<uint8_t>(message.size()))
	        .bytes(message)
	        .finish();
}

} // namespace l2tpx::ppp::pap
