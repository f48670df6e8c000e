#include "controlplane/daemon/packet_io.hpp"

#include <cstring>

#include "shared/base/byteorder.hpp"

namespace l2tpx::cp::daemon {

std::string_view to_string(punt_error e) noexcept {
	switch (e) {
#define X(n, d)                                                                                    \
	case punt_error::n:                                                                            \
		return #n;
		L2TPX_CPD_PUNT_ERRORS(X)
#undef X
	}
	return "?";
}

namespace {

constexpr uint8_t ipproto_udp = 17;

uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc = 0) noexcept {
	for (; n > 1; p += 2, n -= 2)
		acc += load_be16(p);
	if (n)
		acc += uint32_t(p[0]) << 8;
	return acc;
}

uint16_t fold(uint32_t acc) noexcept {
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return static_cast<uint16_t>(~acc);
}

} // namespace

result<punted_datagram, punt_error> parse_punt(std::span<const uint8_t> data) noexcept {
	punted_datagram r{};
	if (data.size() < sizeof(ring::punt_meta))
		return unexpected(punt_error::too_short);
	std::memcpy(&r.meta, data.data(), sizeof(r.meta));
	const ring::punt_meta &m = r.meta;
	if (m.magic != ring::punt_meta_magic || m.version != ring::punt_meta_version)
		return unexpected(punt_error::bad_meta);
	const std::span<const uint8_t> f = data.subspan(sizeof(ring::punt_meta));
	if (m.l3_offset < 14 || m.l3_offset > 22 || m.l4_offset <= m.l3_offset || m.l2tp_offset < m.l4_offset ||
	    m.l2tp_offset >= f.size())
		return unexpected(punt_error::bad_offsets);
	if (m.l2tp_offset != m.l4_offset + udp_header)
		return unexpected(punt_error::not_udp);
	if (m.l2tp_version != 2)
		return unexpected(punt_error::unsupported_version);
	const uint8_t *ip = f.data() + m.l3_offset;
	const size_t ip_room = f.size() - m.l3_offset;
	if (m.family == 4) {
		if (ip_room < 20 || (ip[0] >> 4) != 4 || ip[9] != ipproto_udp || m.l4_offset - m.l3_offset != (ip[0] & 15) * 4)
			return unexpected(punt_error::bad_ip);
		std::memcpy(r.from.addr.data(), ip + 12, 4);
		std::memcpy(r.to.addr.data(), ip + 16, 4);
	} else if (m.family == 6) {
		if (ip_room < 40 || (ip[0] >> 4) != 6 || ip[6] != ipproto_udp || m.l4_offset - m.l3_offset != 40)
			return unexpected(punt_error::bad_ip);
		std::memcpy(r.from.addr.data(), ip + 8, 16);
		std::memcpy(r.to.addr.data(), ip + 24, 16);
		r.from.v6 = r.to.v6 = true;
	} else {
		return unexpected(punt_error::bad_ip);
	}
	const uint8_t *udp = f.data() + m.l4_offset;
	const uint16_t udp_len = load_be16(udp + 4);
	if (udp_len < udp_header || size_t(m.l4_offset) + udp_len > f.size())
		return unexpected(punt_error::bad_udp);
	r.from.port = load_be16(udp);
	r.to.port = load_be16(udp + 2);
	r.datagram = f.subspan(m.l2tp_offset, udp_len - udp_header);
	r.l2 = f.subspan(0, m.l3_offset);
	return r;
}

l2_route l2_route_from(const punted_datagram &p) noexcept {
	l2_route r;
	r.port = p.meta.in_port;
	r.l2_len = static_cast<uint16_t>(p.l2.size());
	std::memcpy(r.header.data(), p.l2.data(), p.l2.size());
	// Destination: who sent it; source: the address it was sent to (ours).
	std::memcpy(r.header.data(), p.l2.data() + 6, 6);
	std::memcpy(r.header.data() + 6, p.l2.data(), 6);
	return r;
}

size_t build_udp_packet(const udp_endpoint &from, const udp_endpoint &to, std::span<const uint8_t> payload,
                        std::span<uint8_t> out, uint16_t ip_id) noexcept {
	if (from.v6 != to.v6)
		return 0;
	const size_t ip_len = from.v6 ? 40 : 20;
	const size_t total = ip_len + udp_header + payload.size();
	if (total > out.size() || udp_header + payload.size() > 0xffff || (!from.v6 && total > 0xffff))
		return 0;
	uint8_t *ip = out.data();
	uint8_t *udp = ip + ip_len;
	std::memcpy(udp + udp_header, payload.data(), payload.size());
	const uint16_t ulen = static_cast<uint16_t>(udp_header + payload.size());
	store_be16(udp, from.port);
	store_be16(udp + 2, to.port);
	store_be16(udp + 4, ulen);
	store_be16(udp + 6, 0);
	uint32_t acc;
	if (!from.v6) {
		ip[0] = 0x45;
		ip[1] = 0;
		store_be16(ip + 2, static_cast<uint16_t>(total));
		store_be16(ip + 4, ip_id);
		store_be16(ip + 6, 0x4000); // DF: control messages are small, never fragment
		ip[8] = 64;
		ip[9] = ipproto_udp;
		store_be16(ip + 10, 0);
		std::memcpy(ip + 12, from.addr.data(), 4);
		std::memcpy(ip + 16, to.addr.data(), 4);
		store_be16(ip + 10, fold(sum16(ip, 20)));
		acc = sum16(ip + 12, 8, ipproto_udp + ulen);
	} else {
		store_be32(ip, 0x60000000u);
		store_be16(ip + 4, ulen);
		ip[6] = ipproto_udp;
		ip[7] = 64;
		std::memcpy(ip + 8, from.addr.data(), 16);
		std::memcpy(ip + 24, to.addr.data(), 16);
		acc = sum16(ip + 8, 32, ipproto_udp + ulen);
	}
	uint16_t c = fold(sum16(udp, ulen, acc));
	store_be16(udp + 6, c == 0 ? 0xffff : c);
	return total;
}

} // namespace l2tpx::cp::daemon
