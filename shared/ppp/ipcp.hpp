// IP Control Protocol (RFC 1332, RFC 1877 for DNS/NBNS): option decoding and writers.
// IPCP uses codes 1-7 (cp_code) and the packet layout of control.hpp.
// IPv4 addresses are uint32_t in host byte order (0x0a000001 is 10.0.0.1).
#pragma once

#include <cstdint>
#include <span>

#include "shared/base/result.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/error.hpp"

namespace l2tpx::ppp::ipcp {

enum class option_type : uint8_t {
	ip_addresses = 1,     // deprecated (RFC 1172): source + destination, 8 octets
	ip_compression = 2,   // protocol (2) + data (VJ: max-slot-id, comp-slot-id)
	ip_address = 3,       // 4 octets; 0.0.0.0 asks the peer to assign one
	primary_dns = 129,    // RFC 1877
	primary_nbns = 130,
	secondary_dns = 131,
	secondary_nbns = 132,
};

// "ip_address", ...; nullptr for types not in the list above.
const char *to_string(option_type t) noexcept;

// Van Jacobson TCP/IP header compression, the value of the IP-Compression-Protocol option.
inline constexpr uint16_t compression_vj = 0x002d;

struct option {
	option_type type;
	std::span<const uint8_t> raw;               // the whole option as received
	std::span<const uint8_t> value;             // data after type and length
	bool known = false;                         // one of the types above and well formed
	uint32_t address = 0;                       // ip_address, dns, nbns; ip_addresses: source
	uint32_t address2 = 0;                      // ip_addresses: destination
	uint16_t compression_protocol = 0;          // ip_compression
	std::span<const uint8_t> compression_data;  // ip_compression: octets after the protocol
};

// Sizes: ip_addresses 10, ip_compression >= 4, ip_address/dns/nbns 6; wrong sizes give
// option_bad_value; unknown types decode with known = false.
result<option, error> decode_option(const option_view &o) noexcept;

packet_writer &add_ip_address(packet_writer &w, uint32_t address) noexcept;
packet_writer &add_ip_compression(packet_writer &w, uint16_t protocol, std::span<const uint8_t> data = {}) noexcept;
packet_writer &add_primary_dns(packet_writer &w, uint32_t address) noexcept;
packet_writer &add_secondary_dns(packet_writer &w, uint32_t address) noexcept;
packet_writer &add_primary_nbns(packet_writer &w, uint32_t address) noexcept;
packet_writer &add_secondary_nbns(packet_writer &w, uint32_t address) noexcept;
// Any of the 4-octet address options (ip_address, dns, nbns).
packet_writer &add_address_option(packet_writer &w, option_type t, uint32_t address) noexcept;

} // namespace l2tpx::ppp::ipcp
