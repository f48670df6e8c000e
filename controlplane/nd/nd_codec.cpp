#include "controlplane/nd/nd_codec.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "shared/base/byteorder.hpp"

namespace l2tpx::cp::nd {

std::string_view to_string(nd_error e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case nd_error::n:                                                                          \
		return #n;
		L2TPX_CP_ND_ERRORS(X)
#undef X
	}
	return "unknown";
}

ipv6_bytes link_local(uint64_t iid) noexcept {
	ipv6_bytes a{};
	a[0] = 0xfe;
	a[1] = 0x80;
	store_be64(a.data() + 8, iid);
	return a;
}

ipv6_bytes all_nodes() noexcept {
	ipv6_bytes a{};
	a[0] = 0xff;
	a[1] = 0x02;
	a[15] = 1;
	return a;
}

ipv6_bytes all_routers() noexcept {
	ipv6_bytes a = all_nodes();
	a[15] = 2;
	return a;
}

bool is_link_local(const ipv6_bytes &a) noexcept { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
bool is_multicast(const ipv6_bytes &a) noexcept { return a[0] == 0xff; }
bool is_unspecified(const ipv6_bytes &a) noexcept { return a == ipv6_bytes{}; }

ipv6_bytes solicited_node(const ipv6_bytes &a) noexcept {
	ipv6_bytes s{};
	s[0] = 0xff;
	s[1] = 0x02;
	s[11] = 0x01;
	s[12] = 0xff;
	s[13] = a[13];
	s[14] = a[14];
	s[15] = a[15];
	return s;
}

std::string to_string(const ipv6_bytes &a) {
	char buf[INET6_ADDRSTRLEN] = {};
	if (!inet_ntop(AF_INET6, a.data(), buf, sizeof(buf)))
		return "?";
	return buf;
}

std::string to_string(const ipv6_prefix &p) { return to_string(p.addr) + '/' + std::to_string(p.length); }

bool parse_ipv6(std::string_view s, ipv6_bytes &out) noexcept {
	char buf[INET6_ADDRSTRLEN];
	if (s.empty() || s.size() >= sizeof(buf))
		return false;
	std::memcpy(buf, s.data(), s.size());
	buf[s.size()] = 0;
	return inet_pton(AF_INET6, buf, out.data()) == 1;
}

uint16_t icmpv6_checksum(const ipv6_bytes &src, const ipv6_bytes &dst, std::span<const uint8_t> icmp) noexcept {
	uint64_t sum = 0;
	for (size_t i = 0; i < 16; i += 2)
		sum += load_be16(src.data() + i) + load_be16(dst.data() + i);
	sum += static_cast<uint32_t>(icmp.size()) >> 16;
	sum += static_cast<uint32_t>(icmp.size()) & 0xffff;
	sum += icmpv6_next_header;
	size_t i = 0;
	for (; i + 1 < icmp.size(); i += 2)
		sum += load_be16(icmp.data() + i);
	if (i < icmp.size())
		sum += static_cast<uint32_t>(icmp[i]) << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum & 0xffff);
}

namespace {

void write_ipv6_header(uint8_t *h, size_t payload_len, const ipv6_bytes &src, const ipv6_bytes &dst) noexcept {
	store_be32(h, 0x60000000u); // version 6, traffic class 0, flow label 0
	store_be16(h + 4, static_cast<uint16_t>(payload_len));
	h[6] = icmpv6_next_header;
	h[7] = nd_hop_limit;
	std::memcpy(h + 8, src.data(), 16);
	std::memcpy(h + 24, dst.data(), 16);
}

void finish_icmp(std::span<uint8_t> pkt, const ipv6_bytes &src, const ipv6_bytes &dst) noexcept {
	std::span<uint8_t> icmp = pkt.subspan(ipv6_header_len);
	store_be16(icmp.data() + 2, 0);
	store_be16(icmp.data() + 2, icmpv6_checksum(src, dst, icmp));
}

} // namespace

size_t build_ra(std::span<uint8_t> out, const ra_params &p) noexcept {
	if (p.dns.size() > 8 || p.prefix.length > 128)
		return 0;
	size_t icmp_len = 16;
	if (p.mtu)
		icmp_len += 8;
	if (p.prefix.length)
		icmp_len += 32;
	if (!p.dns.empty())
		icmp_len += 8 + 16 * p.dns.size();
	const size_t total = ipv6_header_len + icmp_len;
	if (out.size() < total)
		return 0;
	std::memset(out.data(), 0, total);
	write_ipv6_header(out.data(), icmp_len, p.source, p.destination);
	uint8_t *m = out.data() + ipv6_header_len;
	m[0] = icmp_type::router_advertisement;
	m[4] = p.cur_hop_limit;
	m[5] = static_cast<uint8_t>((p.managed ? 0x80 : 0) | (p.other ? 0x40 : 0));
	store_be16(m + 6, p.router_lifetime_s);
	store_be32(m + 8, p.reachable_time_ms);
	store_be32(m + 12, p.retrans_timer_ms);
	uint8_t *o = m + 16;
	if (p.mtu) {
		o[0] = option::mtu;
		o[1] = 1;
		store_be32(o + 4, p.mtu);
		o += 8;
	}
	if (p.prefix.length) {
		o[0] = option::prefix_information;
		o[1] = 4;
		o[2] = p.prefix.length;
		o[3] = static_cast<uint8_t>((p.on_link ? 0x80 : 0) | (p.autonomous ? 0x40 : 0));
		store_be32(o + 4, p.valid_lifetime_s);
		store_be32(o + 8, p.preferred_lifetime_s);
		std::memcpy(o + 16, p.prefix.addr.data(), 16);
		o += 32;
	}
	if (!p.dns.empty()) {
		o[0] = option::rdnss;
		o[1] = static_cast<uint8_t>(1 + 2 * p.dns.size());
		store_be32(o + 4, p.dns_lifetime_s);
		for (size_t i = 0; i < p.dns.size(); i++)
			std::memcpy(o + 8 + 16 * i, p.dns[i].data(), 16);
	}
	finish_icmp(out.first(total), p.source, p.destination);
	return total;
}

size_t build_na(std::span<uint8_t> out, const ipv6_bytes &src, const ipv6_bytes &dst, const ipv6_bytes &target,
                bool solicited, bool override_flag) noexcept {
	constexpr size_t icmp_len = 24;
	constexpr size_t total = ipv6_header_len + icmp_len;
	if (out.size() < total)
		return 0;
	std::memset(out.data(), 0, total);
	write_ipv6_header(out.data(), icmp_len, src, dst);
	uint8_t *m = out.data() + ipv6_header_len;
	m[0] = icmp_type::neighbor_advertisement;
	m[4] = static_cast<uint8_t>(0x80 | (solicited ? 0x40 : 0) | (override_flag ? 0x20 : 0));
	std::memcpy(m + 8, target.data(), 16);
	finish_icmp(out.first(total), src, dst);
	return total;
}

result<nd_message, nd_error> parse_nd(std::span<const uint8_t> packet) noexcept {
	if (packet.size() < ipv6_header_len)
		return unexpected(nd_error::truncated);
	const uint8_t *h = packet.data();
	if ((h[0] >> 4) != 6)
		return unexpected(nd_error::not_ipv6);
	const size_t payload_len = load_be16(h + 4);
	if (packet.size() < ipv6_header_len + payload_len)
		return unexpected(nd_error::truncated);
	if (h[6] != icmpv6_next_header)
		return unexpected(nd_error::not_icmpv6);
	nd_message m;
	std::memcpy(m.source.data(), h + 8, 16);
	std::memcpy(m.destination.data(), h + 24, 16);
	// Anything after the payload length (PPP padding) is not part of the message.
	const std::span<const uint8_t> icmp = packet.subspan(ipv6_header_len, payload_len);
	if (icmp.size() < 4)
		return unexpected(nd_error::truncated);
	m.type = icmp[0];
	size_t fixed = 0;
	switch (m.type) {
	case icmp_type::router_solicitation: fixed = 8; break;
	case icmp_type::router_advertisement: fixed = 16; break;
	case icmp_type::neighbor_solicitation:
	case icmp_type::neighbor_advertisement: fixed = 24; break;
	default: return unexpected(nd_error::not_nd);
	}
	if (h[7] != nd_hop_limit)
		return unexpected(nd_error::bad_hop_limit);
	if (icmp[1] != 0)
		return unexpected(nd_error::bad_code);
	if (icmp.size() < fixed)
		return unexpected(nd_error::truncated);
	if (icmpv6_checksum(m.source, m.destination, icmp) != 0)
		return unexpected(nd_error::bad_checksum);
	bool lladdr_option = false;
	for (size_t off = fixed; off < icmp.size();) {
		if (icmp.size() - off < 2 || icmp[off + 1] == 0 || icmp.size() - off < size_t{icmp[off + 1]} * 8)
			return unexpected(nd_error::bad_option);
		if (icmp[off] == option::source_lladdr)
			lladdr_option = true;
		off += size_t{icmp[off + 1]} * 8;
	}
	const bool unspecified_source = is_unspecified(m.source);
	switch (m.type) {
	case icmp_type::router_solicitation:
		if (unspecified_source && lladdr_option)
			return unexpected(nd_error::bad_source);
		break;
	case icmp_type::neighbor_solicitation:
		std::memcpy(m.target.data(), icmp.data() + 8, 16);
		if (is_multicast(m.target))
			return unexpected(nd_error::bad_target);
		// DAD (§7.1.1): from :: only to the target's solicited-node group, without SLLA.
		if (unspecified_source && (lladdr_option || m.destination != solicited_node(m.target)))
			return unexpected(nd_error::bad_source);
		break;
	case icmp_type::neighbor_advertisement:
		std::memcpy(m.target.data(), icmp.data() + 8, 16);
		if (is_multicast(m.target))
			return unexpected(nd_error::bad_target);
		break;
	case icmp_type::router_advertisement:
		if (!is_link_local(m.source))
			return unexpected(nd_error::bad_source);
		m.router_lifetime_s = load_be16(icmp.data() + 6);
		break;
	default: break;
	}
	return m;
}

} // namespace l2tpx::cp::nd
