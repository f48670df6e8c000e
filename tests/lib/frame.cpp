#include "tests/lib/frame.hpp"

#include <algorithm>

#include "shared/base/byteorder.hpp"

namespace l2tpx::testlib {

const char *to_string(frame_error err) noexcept {
	switch (err) {
#define X(name)                                                                                            \
	case frame_error::name:                                                                            \
		return #name;
		L2TPX_FRAME_ERRORS(X)
#undef X
	}
	return "unknown";
}

namespace {

constexpr uint16_t ethertype_ipv4 = 0x0800;
constexpr uint16_t ethertype_ipv6 = 0x86dd;
constexpr uint16_t ethertype_vlan = 0x8100;
constexpr uint16_t ethertype_qinq = 0x88a8;
constexpr uint16_t ethertype_qinq_old = 0x9100;

constexpr size_t eth_hlen = 14;
constexpr size_t vlan_hlen = 4;
constexpr size_t sll_hlen = 16;
constexpr size_t ipv4_min_hlen = 20;
constexpr size_t ipv6_hlen = 40;
constexpr size_t udp_hlen = 8;

// IPv6 extension headers we walk over (RFC 8200 4.1); the fragment header stops the walk.
constexpr uint8_t ip6_hop_by_hop = 0;
constexpr uint8_t ip6_routing = 43;
constexpr uint8_t ip6_fragment = 44;
constexpr uint8_t ip6_dest_opts = 60;

struct l3_start {
	size_t offset;
	uint16_t ethertype;
};

result<l3_start, frame_error> skip_link(std::span<const uint8_t> f, int linktype) {
	if (linktype == linktype_raw) {
		if (f.empty())
			return unexpected{frame_error::truncated};
		const uint8_t version = f[0] >> 4;
		if (version == 4)
			return l3_start{0, ethertype_ipv4};
		if (version == 6)
			return l3_start{0, ethertype_ipv6};
		return unexpected{frame_error::not_ip};
	}
	size_t off;
	if (linktype == linktype_ethernet)
		off = eth_hlen;
	else if (linktype == linktype_linux_sll)
		off = sll_hlen;
	else
		return unexpected{frame_error::unsupported_linktype};
	if (f.size() < off)
		return unexpected{frame_error::truncated};
	uint16_t type = load_be16(&f[off - 2]);
	while (type == ethertype_vlan || type == ethertype_qinq || type == ethertype_qinq_old) {
		if (f.size() < off + vlan_hlen)
			return unexpected{frame_error::truncated};
		type = load_be16(&f[off + 2]);
		off += vlan_hlen;
	}
	if (type != ethertype_ipv4 && type != ethertype_ipv6)
		return unexpected{frame_error::not_ip};
	return l3_start{off, type};
}

struct l4_start {
	size_t offset;
	size_t length; // bytes of IP payload, bounded by the IP length fields
	uint8_t proto;
};

result<l4_start, frame_error> parse_ipv4(std::span<const uint8_t> f, size_t off, l2tp_location &loc) {
	if (f.size() < off + ipv4_min_hlen)
		return unexpected{frame_error::truncated};
	const uint8_t *ip = &f[off];
	if ((ip[0] >> 4) != 4)
		return unexpected{frame_error::bad_ip_header};
	const size_t hlen = static_cast<size_t>(ip[0] & 0x0f) * 4;
	const size_t total = load_be16(ip + 2);
	if (hlen < ipv4_min_hlen || total < hlen)
		return unexpected{frame_error::bad_ip_header};
	if (f.size() < off + total)
		return unexpected{frame_error::truncated};
	const uint16_t frag = load_be16(ip + 6);
	if ((frag & 0x3fff) != 0) // MF set or a non-zero offset
		return unexpected{frame_error::ip_fragment};
	loc.ip_version = 4;
	std::copy_n(ip + 12, 4, loc.src.begin());
	std::copy_n(ip + 16, 4, loc.dst.begin());
	return l4_start{off + hlen, total - hlen, ip[9]};
}

result<l4_start, frame_error> parse_ipv6(std::span<const uint8_t> f, size_t off, l2tp_location &loc) {
	if (f.size() < off + ipv6_hlen)
		return unexpected{frame_error::truncated};
	const uint8_t *ip = &f[off];
	if ((ip[0] >> 4) != 6)
		return unexpected{frame_error::bad_ip_header};
	const size_t payload_len = load_be16(ip + 4);
	if (f.size() < off + ipv6_hlen + payload_len)
		return unexpected{frame_error::truncated};
	loc.ip_version = 6;
	std::copy_n(ip + 8, 16, loc.src.begin());
	std::copy_n(ip + 24, 16, loc.dst.begin());

	uint8_t next = ip[6];
	size_t pos = off + ipv6_hlen;
	const size_t end = pos + payload_len;
	while (next == ip6_hop_by_hop || next == ip6_routing || next == ip6_dest_opts) {
		if (end < pos + 8)
			return unexpected{frame_error::bad_ip_header};
		const size_t ext_len = (static_cast<size_t>(f[pos + 1]) + 1) * 8;
		if (end < pos + ext_len)
			return unexpected{frame_error::bad_ip_header};
		next = f[pos];
		pos += ext_len;
	}
	if (next == ip6_fragment)
		return unexpected{frame_error::ip_fragment};
	return l4_start{pos, end - pos, next};
}

} // namespace

result<l2tp_location, frame_error> locate_l2tp(std::span<const uint8_t> frame, int linktype, uint16_t udp_port) {
	auto link = skip_link(frame, linktype);
	if (!link)
		return unexpected{link.error()};

	l2tp_location loc;
	auto l4 = link->ethertype == ethertype_ipv4 ? parse_ipv4(frame, link->offset, loc)
	                                            : parse_ipv6(frame, link->offset, loc);
	if (!l4)
		return unexpected{l4.error()};

	if (l4->proto == ip_proto_l2tp) {
		loc.over_udp = false;
		loc.offset = l4->offset;
		loc.length = l4->length;
		return loc;
	}
	if (l4->proto != ip_proto_udp)
		return unexpected{frame_error::not_l2tp};
	if (l4->length < udp_hlen)
		return unexpected{frame_error::truncated};
	const uint8_t *udp = &frame[l4->offset];
	loc.src_port = load_be16(udp);
	loc.dst_port = load_be16(udp + 2);
	const size_t udp_len = load_be16(udp + 4);
	if (udp_len < udp_hlen || udp_len > l4->length)
		return unexpected{frame_error::bad_udp_length};
	if (udp_port != 0 && loc.src_port != udp_port && loc.dst_port != udp_port)
		return unexpected{frame_error::wrong_port};
	loc.over_udp = true;
	loc.offset = l4->offset + udp_hlen;
	loc.length = udp_len - udp_hlen;
	return loc;
}

uint16_t inet_checksum(std::span<const uint8_t> data, uint32_t sum) noexcept {
	size_t i = 0;
	for (; i + 1 < data.size(); i += 2)
		sum += load_be16(&data[i]);
	if (i < data.size())
		sum += static_cast<uint32_t>(data[i]) << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum & 0xffff);
}

namespace {

// Partial (not folded, not inverted) sum of a byte range, for pseudo-headers.
uint32_t partial_sum(std::span<const uint8_t> data) noexcept {
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < data.size(); i += 2)
		sum += load_be16(&data[i]);
	return sum; // callers pass even lengths
}

size_t put_ethernet(std::vector<uint8_t> &out, const frame_endpoints &ep, uint16_t ethertype) {
	out.insert(out.end(), ep.dst_mac.begin(), ep.dst_mac.end());
	out.insert(out.end(), ep.src_mac.begin(), ep.src_mac.end());
	uint8_t b[4];
	if (ep.vlan != 0) {
		store_be16(b, ethertype_vlan);
		store_be16(b + 2, static_cast<uint16_t>(ep.vlan & 0x0fff));
		out.insert(out.end(), b, b + 4);
	}
	store_be16(b, ethertype);
	out.insert(out.end(), b, b + 2);
	return out.size();
}

void put_ipv4(std::vector<uint8_t> &out, const frame_endpoints &ep, uint8_t proto, size_t payload_len) {
	const size_t at = out.size();
	out.resize(at + ipv4_min_hlen);
	uint8_t *ip = &out[at];
	ip[0] = 0x45;
	ip[1] = 0;
	store_be16(ip + 2, static_cast<uint16_t>(ipv4_min_hlen + payload_len));
	store_be16(ip + 4, 0);      // identification
	store_be16(ip + 6, 0x4000); // DF
	ip[8] = 64;
	ip[9] = proto;
	store_be16(ip + 10, 0);
	std::copy_n(ep.src_ip.begin(), 4, ip + 12);
	std::copy_n(ep.dst_ip.begin(), 4, ip + 16);
	store_be16(ip + 10, inet_checksum(std::span<const uint8_t>(ip, ipv4_min_hlen)));
}

void put_udp(std::vector<uint8_t> &out, const frame_endpoints &ep, std::span<const uint8_t> payload,
             uint32_t pseudo_sum) {
	const size_t at = out.size();
	const size_t udp_len = udp_hlen + payload.size();
	out.resize(at + udp_hlen);
	store_be16(&out[at], ep.src_port);
	store_be16(&out[at + 2], ep.dst_port);
	store_be16(&out[at + 4], static_cast<uint16_t>(udp_len));
	store_be16(&out[at + 6], 0);
	out.insert(out.end(), payload.begin(), payload.end());
	uint16_t csum = inet_checksum(std::span<const uint8_t>(&out[at], udp_len), pseudo_sum + static_cast<uint32_t>(udp_len) + ip_proto_udp);
	if (csum == 0)
		csum = 0xffff; // RFC 768: a computed zero is sent as all ones
	store_be16(&out[at + 6], csum);
}

} // namespace

std::vector<uint8_t> build_udp4_frame(const frame_endpoints &ep, std::span<const uint8_t> payload) {
	std::vector<uint8_t> out;
	out.reserve(eth_hlen + vlan_hlen + ipv4_min_hlen + udp_hlen + payload.size());
	put_ethernet(out, ep, ethertype_ipv4);
	put_ipv4(out, ep, ip_proto_udp, udp_hlen + payload.size());
	const uint32_t pseudo = partial_sum(std::span<const uint8_t>(ep.src_ip.data(), 4)) +
	                        partial_sum(std::span<const uint8_t>(ep.dst_ip.data(), 4));
	put_udp(out, ep, payload, pseudo);
	return out;
}

std::vector<uint8_t> build_udp6_frame(const frame_endpoints &ep, std::span<const uint8_t> payload) {
	std::vector<uint8_t> out;
	out.reserve(eth_hlen + vlan_hlen + ipv6_hlen + udp_hlen + payload.size());
	put_ethernet(out, ep, ethertype_ipv6);
	const size_t at = out.size();
	out.resize(at + ipv6_hlen);
	uint8_t *ip = &out[at];
	store_be32(ip, 0x60000000);
	store_be16(ip + 4, static_cast<uint16_t>(udp_hlen + payload.size()));
	ip[6] = ip_proto_udp;
	ip[7] = 64;
	std::copy(ep.src_ip.begin(), ep.src_ip.end(), ip + 8);
	std::copy(ep.dst_ip.begin(), ep.dst_ip.end(), ip + 24);
	const uint32_t pseudo = partial_sum(ep.src_ip) + partial_sum(ep.dst_ip);
	put_udp(out, ep, payload, pseudo);
	return out;
}

std::vector<uint8_t> build_l2tpip4_frame(const frame_endpoints &ep, std::span<const uint8_t> payload) {
	std::vector<uint8_t> out;
	out.reserve(eth_hlen + vlan_hlen + ipv4_min_hlen + payload.size());
	put_ethernet(out, ep, ethertype_ipv4);
	put_ipv4(out, ep, ip_proto_l2tp, payload.size());
	out.insert(out.end(), payload.begin(), payload.end());
	return out;
}

} // namespace l2tpx::testlib
