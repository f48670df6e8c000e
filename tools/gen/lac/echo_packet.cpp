#include "tools/gen/lac/echo_packet.hpp"

#include "shared/base/byteorder.hpp"

namespace l2tpx::gen::lac {

uint16_t internet_checksum(std::span<const uint8_t> data) noexcept {
	uint32_t sum = 0;
	size_t i = 0;
	for (; i + 1 < data.size(); i += 2)
		sum += load_be16(data.data() + i);
	if (i < data.size())
		sum += uint32_t(data[i]) << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
}

size_t build_echo_frame(const echo_request &req, std::span<uint8_t> out) noexcept {
	if (req.payload_bytes < echo_signature_bytes)
		return 0;
	const size_t ip_len = 20 + 8 + size_t(req.payload_bytes);
	const size_t len = 4 + ip_len;
	if (out.size() < len || ip_len > 0xffff)
		return 0;
	uint8_t *p = out.data();
	p[0] = 0xff;
	p[1] = 0x03;
	store_be16(p + 2, 0x0021);
	uint8_t *ip = p + 4;
	ip[0] = 0x45;
	ip[1] = 0;
	store_be16(ip + 2, static_cast<uint16_t>(ip_len));
	store_be16(ip + 4, req.sequence);
	store_be16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = 1;
	store_be16(ip + 10, 0);
	store_be32(ip + 12, req.src);
	store_be32(ip + 16, req.dst);
	store_be16(ip + 10, internet_checksum({ip, 20}));
	uint8_t *icmp = ip + 20;
	icmp[0] = 8;
	icmp[1] = 0;
	store_be16(icmp + 2, 0);
	store_be16(icmp + 4, req.ident);
	store_be16(icmp + 6, req.sequence);
	uint8_t *d = icmp + 8;
	store_be32(d, echo_magic);
	store_be32(d + 4, req.call);
	store_be32(d + 8, static_cast<uint32_t>(req.timestamp_ns >> 32));
	store_be32(d + 12, static_cast<uint32_t>(req.timestamp_ns));
	for (size_t i = echo_signature_bytes; i < req.payload_bytes; ++i)
		d[i] = static_cast<uint8_t>(i);
	store_be16(icmp + 2, internet_checksum({icmp, 8 + size_t(req.payload_bytes)}));
	return len;
}

std::optional<echo_reply> parse_echo_reply(std::span<const uint8_t> f) noexcept {
	size_t off = 0;
	if (f.size() >= 2 && f[0] == 0xff && f[1] == 0x03)
		off = 2;
	// Protocol: one byte when compressed (odd low byte), else two.
	if (f.size() < off + 1)
		return std::nullopt;
	uint16_t proto;
	if (f[off] & 1) {
		proto = f[off];
		off += 1;
	} else {
		if (f.size() < off + 2)
			return std::nullopt;
		proto = load_be16(f.data() + off);
		off += 2;
	}
	if (proto != 0x0021)
		return std::nullopt;
	std::span<const uint8_t> ip = f.subspan(off);
	if (ip.size() < 20 || (ip[0] >> 4) != 4)
		return std::nullopt;
	const size_t ihl = size_t(ip[0] & 0x0f) * 4;
	const size_t total = load_be16(ip.data() + 2);
	if (ihl < 20 || total < ihl || total > ip.size() || ip[9] != 1)
		return std::nullopt;
	if ((load_be16(ip.data() + 6) & 0x3fff) != 0) // a fragment: not ours
		return std::nullopt;
	if (internet_checksum(ip.first(ihl)) != 0)
		return std::nullopt;
	std::span<const uint8_t> icmp = ip.subspan(ihl, total - ihl);
	if (icmp.size() < 8 + echo_signature_bytes || icmp[0] != 0 || icmp[1] != 0)
		return std::nullopt;
	if (internet_checksum(icmp) != 0)
		return std::nullopt;
	const uint8_t *d = icmp.data() + 8;
	if (load_be32(d) != echo_magic)
		return std::nullopt;
	echo_reply r;
	r.src = load_be32(ip.data() + 12);
	r.dst = load_be32(ip.data() + 16);
	r.call = load_be32(d + 4);
	r.timestamp_ns = (uint64_t(load_be32(d + 8)) << 32) | load_be32(d + 12);
	return r;
}

} // namespace l2tpx::gen::lac
