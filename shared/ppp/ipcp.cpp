#include "shared/ppp/ipcp.hpp"

#include "shared/base/byteorder.hpp"

namespace l2tpx::ppp::ipcp {

const char *to_string(option_type t) noexcept {
	switch (t) {
	case option_type::ip_addresses: return "ip_addresses";
	case option_type::ip_compression: return "ip_compression";
	case option_type::ip_address: return "ip_address";
	case option_type::primary_dns: return "primary_dns";
	case option_type::primary_nbns: return "primary_nbns";
	case option_type::secondary_dns: return "secondary_dns";
	case option_type::secondary_nbns: return "secondary_nbns";
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
	case option_type::ip_addresses:
		if (v.size() != 8)
			return unexpected{error::option_bad_value};
		d.address = load_be32(v.data());
		d.address2 = load_be32(v.data() + 4);
		break;
	case option_type::ip_compression:
		if (v.size() < 2)
			return unexpected{error::option_bad_value};
		d.compression_protocol = load_be16(v.data());
		d.compression_data = v.subspan(2);
		break;
	case option_type::ip_address:
	case option_type::primary_dns:
	case option_type::primary_nbns:
	case option_type::secondary_dns:
	case option_type::secondary_nbns:
		if (v.size() != 4)
			return unexpected{error::option_bad_value};
		d.address = load_be32(v.data());
		break;
	default:
		return d;
	}
	d.known = true;
	return d;
}

packet_writer &add_address_option(packet_writer &w, option_type t, uint32_t address) noexcept {
	switch (t) {
	case option_type::ip_address:
	case option_type::primary_dns:
	case option_type::primary_nbns:
	case option_type::secondary_dns:
	case option_type::secondary_nbns:
		return w.option_u32(static_cast<uint8_t>(t), address);
	default:
		return w.fail();
	}
}

packet_writer &add_ip_address(packet_writer &w, uint32_t address) noexcept {
	return add_address_option(w, option_type::ip_address, address);
}

packet_writer &add_primary_dns(packet_writer &w, uint32_t address) noexcept {
	return add_address_option(w, option_type::primary_dns, address);
}

packet_writer &add_secondary_dns(packet_writer &w, uint32_t address) noexcept {
	return add_address_option(w, option_type::secondary_dns, address);
}

packet_writer &add_primary_nbns(packet_writer &w, uint32_t address) noexcept {
	return add_address_option(w, option_type::primary_nbns, address);
}

packet_writer &add_secondary_nbns(packet_writer &w, uint32_t address) noexcept {
	return add_address_option(w, option_type::secondary_nbns, address);
}

packet_writer &add_ip_compression(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data) noexcept {
	if (data.size() > max_option_value_len - 2)
		return w.fail();
	return w.u8(static_cast<uint8_t>(option_type::ip_compression))
	        .u8(static_cast<uint8_t>(option_header_len + 2 + data.size()))
	        .u16(protocol)
	        .bytes(data);
}

} // namespace l2tpx::ppp::ipcp
