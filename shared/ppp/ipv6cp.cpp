#include "shared/ppp/ipv6cp.hpp"

#include "shared/base/byteorder.hpp"

namespace l2tpx::ppp::ipv6cp {

const char *to_string(option_type t) noexcept {
	switch (t) {
	case option_type::interface_identifier: return "interface_identifier";
	case option_type::ipv6_compression: return "ipv6_compression";
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
	case option_type::interface_identifier:
		if (v.size() != 8)
			return unexpected{error::option_bad_value};
		d.interface_id = load_be64(v.data());
		break;
	case option_type::ipv6_compression:
		if (v.size() < 2)
			return unexpected{error::option_bad_value};
		d.compression_protocol = load_be16(v.data());
		d.compression_data = v.subspan(2);
		break;
	default:
		return d;
	}
	d.known = true;
	return d;
}

packet_writer &add_interface_identifier(packet_writer &w, uint64_t interface_id) noexcept {
	return w.option_u64(static_cast<uint8_t>(option_type::interface_identifier), interface_id);
}

packet_writer &add_ipv6_compression(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data) noexcept {
	if (data.size() > max_option_value_len - 2)
		return w.fail();
	return w.u8(static_cast<uint8_t>(option_type::ipv6_compression))
	        .u8(static_cast<uint8_t>(option_header_len + 2 + data.size()))
	        .u16(protocol)
	        .bytes(data);
}

} // namespace l2tpx::ppp::ipv6cp
