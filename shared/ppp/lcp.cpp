#include "shared/ppp/lcp.hpp"

#include "shared/base/byteorder.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::ppp::lcp {

const char *to_string(option_type t) noexcept {
	switch (t) {
	case option_type::mru: return "mru";
	case option_type::accm: return "accm";
	case option_type::auth_protocol: return "auth_protocol";
	case option_type::quality_protocol: return "quality_protocol";
	case option_type::magic_number: return "magic_number";
	case option_type::pfc: return "pfc";
	case option_type::acfc: return "acfc";
	case option_type::callback: return "callback";
	case option_type::mrru: return "mrru";
	case option_type::short_sequence: return "short_sequence";
	case option_type::endpoint_discriminator: return "endpoint_discriminator";
	}
	return nullptr;
}

result<option, error> decode_option(const option_view &o) noexcept {
	option d{};
	d.type = static_cast<option_type>(o.type);
	d.raw = o.raw;
	d.value = o.value;
	const auto &v = o.value;
	switch (d.type) {
	case option_type::mru:
		if (v.size() != 2)
			return unexpected{error::option_bad_value};
		d.mru = load_be16(v.data());
		break;
	case option_type::accm:
		if (v.size() != 4)
			return unexpected{error::option_bad_value};
		d.accm = load_be32(v.data());
		break;
	case option_type::auth_protocol:
	case option_type::quality_protocol:
		if (v.size() < 2)
			return unexpected{error::option_bad_value};
		d.protocol = load_be16(v.data());
		d.protocol_data = v.subspan(2);
		if (d.type == option_type::auth_protocol) {
			if (d.protocol == proto::pap && !d.protocol_data.empty())
				return unexpected{error::option_bad_value};
			if (d.protocol == proto::chap) {
				if (d.protocol_data.size() != 1)
					return unexpected{error::option_bad_value};
				d.chap_algorithm = d.protocol_data[0];
			}
		}
		break;
	case option_type::magic_number:
		if (v.size() != 4)
			return unexpected{error::option_bad_value};
		d.magic = load_be32(v.data());
		break;
	case option_type::pfc:
	case option_type::acfc:
		if (!v.empty())
			return unexpected{error::option_bad_value};
		break;
	default:
		return d;
	}
	d.known = true;
	return d;
}

packet_writer &add_mru(packet_writer &w, uint16_t mru) noexcept {
	return w.option_u16(static_cast<uint8_t>(option_type::mru), mru);
}

packet_writer &add_accm(packet_writer &w, uint32_t accm) noexcept {
	return w.option_u32(static_cast<uint8_t>(option_type::accm), accm);
}

namespace {
// Authentication-Protocol and Quality-Protocol: type, length, protocol (2), data.
packet_writer &add_protocol_option(packet_writer &w, option_type t, uint16_t protocol,
                                   std::span<const uint8_t> data) noexcept {
	if (data.size() > max_option_value_len - 2)
		return w.fail();
	return w.u8(static_cast<uint8_t>(t))
	        .u8(static_cast<uint8_t>(option_header_len + 2 + data.size()))
	        .u16(protocol)
	        .bytes(data);
}
} // namespace

packet_writer &add_auth_protocol(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data) noexcept {
	return add_protocol_option(w, option_type::auth_protocol, protocol, data);
}

packet_writer &add_auth_pap(packet_writer &w) noexcept { return add_auth_protocol(w, proto::pap); }

packet_writer &add_auth_chap(packet_writer &w, uint8_t algorithm) noexcept {
	const uint8_t alg[1] = {algorithm};
	return add_auth_protocol(w, proto::chap, alg);
}

packet_writer &add_quality_protocol(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data) noexcept {
	return add_protocol_option(w, option_type::quality_protocol, protocol, data);
}

packet_writer &add_magic_number(packet_writer &w, uint32_t magic) noexcept {
	return w.option_u32(static_cast<uint8_t>(option_type::magic_number), magic);
}

packet_writer &add_pfc(packet_writer &w) noexcept { return w.option(option_type::pfc); }

packet_writer &add_acfc(packet_writer &w) noexcept { return w.option(option_type::acfc); }

result<magic_body, error> parse_magic_body(const control_view &v) noexcept {
	switch (static_cast<cp_code>(v.code)) {
	case cp_code::echo_request:
	case cp_code::echo_reply:
	case cp_code::discard_request:
	case cp_code::identification:
		break;
	default:
		return unexpected{error::wrong_code};
	}
	if (v.data.size() < 4)
		return unexpected{error::body_truncated};
	return magic_body{load_be32(v.data.data()), v.data.subspan(4)};
}

size_t build_magic_body(std::span<uint8_t> out, cp_code c, uint8_t identifier, uint32_t magic,
                        std::span<const uint8_t> data) noexcept {
	switch (c) {
	case cp_code::echo_request:
	case cp_code::echo_reply:
	case cp_code::discard_request:
	case cp_code::identification:
		break;
	default:
		return 0;
	}
	return packet_writer(out, c, identifier).u32(magic).bytes(data).finish();
}

result<time_remaining_body, error> parse_time_remaining(const control_view &v) noexcept {
	if (v.code != static_cast<uint8_t>(cp_code::time_remaining))
		return unexpected{error::wrong_code};
	if (v.data.size() < 8)
		return unexpected{error::body_truncated};
	return time_remaining_body{load_be32(v.data.data()), load_be32(v.data.data() + 4), v.data.subspan(8)};
}

size_t build_time_remaining(std::span<uint8_t> out, uint8_t identifier, uint32_t magic, uint32_t seconds,
                            std::span<const uint8_t> message) noexcept {
	return packet_writer(out, cp_code::time_remaining, identifier).u32(magic).u32(seconds).bytes(message).finish();
}

result<protocol_reject_body, error> parse_protocol_reject(const control_view &v) noexcept {
	if (v.code != static_cast<uint8_t>(cp_code::protocol_reject))
		return unexpected{error::wrong_code};
	if (v.data.size() < 2)
		return unexpected{error::body_truncated};
	return protocol_reject_body{load_be16(v.data.data()), v.data.subspan(2)};
}

size_t build_protocol_reject(std::span<uint8_t> out, uint8_t identifier, uint16_t protocol,
                             std::span<const uint8_t> information, size_t max_len) noexcept {
	if (max_len < control_header_len + 2)
		return 0;
	return packet_writer(out, cp_code::protocol_reject, identifier)
	        .u16(protocol)
	        .bytes_truncated(information, max_len)
	        .finish();
}

} // namespace l2tpx::ppp::lcp
