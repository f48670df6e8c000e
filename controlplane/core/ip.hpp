// Addresses as the control plane handles them: IPv4 in host order, endpoints of tunnels.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l2tpx::cp {

// An IPv4 address in host byte order (10.0.0.1 == 0x0a000001).
struct ipv4_addr {
	uint32_t value = 0;
	constexpr auto operator<=>(const ipv4_addr &) const = default;
	constexpr bool is_unspecified() const noexcept { return value == 0; }
};

// Dotted quad, nothing else: no shorthand forms, no trailing garbage.
std::optional<ipv4_addr> parse_ipv4(std::string_view s) noexcept;
std::string to_string(ipv4_addr a);

// A UDP endpoint of a tunnel: IPv4 or IPv6 address (network order octets) and port.
struct udp_endpoint {
	std::array<uint8_t, 16> addr{}; // IPv4 in the first 4 octets when !v6
	bool v6 = false;
	uint16_t port = 0;
	constexpr auto operator<=>(const udp_endpoint &) const = default;

	static constexpr udp_endpoint v4(ipv4_addr a, uint16_t port) noexcept {
		udp_endpoint e;
		e.addr[0] = static_cast<uint8_t>(a.value >> 24);
		e.addr[1] = static_cast<uint8_t>(a.value >> 16);
		e.addr[2] = static_cast<uint8_t>(a.value >> 8);
		e.addr[3] = static_cast<uint8_t>(a.value);
		e.port = port;
		return e;
	}
	constexpr ipv4_addr ipv4() const noexcept {
		return ipv4_addr{static_cast<uint32_t>(addr[0]) << 24 | static_cast<uint32_t>(addr[1]) << 16 |
		                 static_cast<uint32_t>(addr[2]) << 8 | addr[3]};
	}
};
std::string to_string(const udp_endpoint &e);

} // namespace l2tpx::cp
