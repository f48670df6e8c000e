#include "controlplane/core/ip.hpp"

#include <arpa/inet.h>

namespace l2tpx::cp {

std::optional<ipv4_addr> parse_ipv4(std::string_view s) noexcept {
	uint32_t v = 0;
	unsigned parts = 0;
	size_t i = 0;
	while (parts < 4) {
		unsigned octet = 0, digits = 0;
		while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			octet = octet * 10 + static_cast<unsigned>(s[i] - '0');
			++i, ++digits;
		}
		if (digits == 0 || digits > 3 || octet > 255)
			return std::nullopt;
		v = v << 8 | octet;
		if (++parts < 4) {
			if (i >= s.size() || s[i] != '.')
				return std::nullopt;
			++i;
		}
	}
	if (i != s.size())
		return std::nullopt;
	return ipv4_addr{v};
}

std::string to_string(ipv4_addr a) {
	return std::to_string(a.value >> 24) + '.' + std::to_string(a.value >> 16 & 0xff) + '.' +
	       std::to_string(a.value >> 8 & 0xff) + '.' + std::to_string(a.value & 0xff);
}

std::string to_string(const udp_endpoint &e) {
	char buf[INET6_ADDRSTRLEN] = {};
	inet_ntop(e.v6 ? AF_INET6 : AF_INET, e.addr.data(), buf, sizeof(buf));
	return e.v6 ? "[" + std::string(buf) + "]:" + std::to_string(e.port) : std::string(buf) + ":" + std::to_string(e.port);
}

} // namespace l2tpx::cp
