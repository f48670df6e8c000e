// IPv6 Control Protocol (RFC 5072): option decoding and writers.
// IPv6CP uses codes 1-7 (cp_code) and the packet layout of control.hpp.
#pragma once

#include <cstdint>
#include <span>

#include "shared/base/result.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/error.hpp"

namespace l2tpx::ppp::ipv6cp {

enum class option_type : uint8_t {
	interface_identifier = 1, // 8 octets, the low 64 bits of the link-local address
	ipv6_compression = 2,     // protocol (2) + data (RFC 5072 §4.2)
};

// "interface_identifier", ...; nullptr for other types.
const char *to_string(option_type t) noexcept;

struct option {
	option_type type;
	std::span<const uint8_t> raw;               // the whole option as received
	std::span<const uint8_t> value;             // data after type and length
	bool known = false;                         // one of the types above and well formed
	uint64_t interface_id = 0;                  // interface_identifier, host order of the 8 octets
	uint16_t compression_protocol = 0;          // ipv6_compression
	std::span<const uint8_t> compression_data;  // ipv6_compression: octets after the protocol
};

// Sizes: interface_identifier 10, ipv6_compression >= 4; wrong sizes give option_bad_value.
result<option, error> decode_option(const option_view &o) noexcept;

packet_writer &add_interface_identifier(packet_writer &w, uint64_t interface_id) noexcept;
packet_writer &add_ipv6_compression(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data = {}) noexcept;

} // namespace l2tpx::ppp::ipv6cp
