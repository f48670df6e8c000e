#include "tools/gen/dpdk/frames.hpp"

#include "shared/l2tp/l2tpv2.hpp"

namespace l2tpx::gen::dpdk {

uint16_t ipv4_header_checksum(const uint8_t *h) noexcept {
	uint32_t s = 0;
	for (size_t i = 0; i < ipv4_len; i += 2)
		s += load_be16(h + i);
	s -= load_be16(h + 10);
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return static_cast<uint16_t>(~s);
}

namespace {

void put_mac(uint8_t *p, const mac &m) noexcept { std::memcpy(p, m.data(), 6); }
// An Ethernet header: destination, source, type.
void put_ether(uint8_t *p, const mac &dst, const mac &src, uint16_t type) noexcept {
	put_mac(p, dst);
	put_mac(p + 6, src);
	store_be16(p + 12, type);
}
mac get_mac(const uint8_t *p) noexcept {
	mac m;
	std::memcpy(m.data(), p, 6);
	return m;
}

void write_ipv4(uint8_t *ip, uint16_t total, uint16_t id, uint8_t proto, uint32_t src, uint32_t dst) noexcept {
	ip[0] = 0x45;
	ip[1] = 0;
	store_be16(ip + 2, total);
	store_be16(ip + 4, id);
	store_be16(ip + 6, 0x4000); // DF
	ip[8] = 64;
	ip[9] = proto;
	store_be16(ip + 10, 0);
	store_be32(ip + 12, src);
	store_be32(ip + 16, dst);
}

// The IPv4 header starting at frame[off] (ihl, version, fragment checked): the L4 span.
std::span<const uint8_t> ipv4_l4(std::span<const uint8_t> f, size_t off, uint8_t &proto, uint32_t &src,
                                 uint32_t &dst) noexcept {
	if (f.size() < off + ipv4_len)
		return {};
	const uint8_t *ip = f.data() + off;
	const size_t ihl = size_t(ip[0] & 0x0F) * 4;
	const size_t total = load_be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < ipv4_len || total < ihl || f.size() < off + total)
		return {};
	if (load_be16(ip + 6) & 0x3FFF) // a fragment
		return {};
	proto = ip[9];
	src = load_be32(ip + 12);
	dst = load_be32(ip + 16);
	return f.subspan(off + ihl, total - ihl);
}

// Ethernet: the EtherType and the offset of the payload (one 802.1Q tag skipped).
bool ether(std::span<const uint8_t> f, uint16_t &type, size_t &off) noexcept {
	if (f.size() < eth_len)
		return false;
	type = load_be16(f.data() + 12);
	off = eth_len;
	if (type == ethertype_vlan) {
		if (f.size() < eth_len + 4)
			return false;
		type = load_be16(f.data() + 16);
		off += 4;
	}
	return true;
}

uint32_t sum32(uint32_t v) noexcept { return (v >> 16) + (v & 0xFFFF); }

// The 16-bit words of a 20-byte IPv4 header (length and checksum are 0 in templates).
uint32_t header_words(const uint8_t *h) noexcept {
	uint32_t s = 0;
	for (size_t i = 0; i < ipv4_len; i += 2)
		s += load_be16(h + i);
	return s;
}

} // namespace

std::optional<arp_packet> parse_arp(std::span<const uint8_t> f) noexcept {
	uint16_t type = 0;
	size_t off = 0;
	if (!ether(f, type, off) || type != ethertype_arp || f.size() < off + 28)
		return std::nullopt;
	const uint8_t *a = f.data() + off;
	if (load_be16(a) != 1 || load_be16(a + 2) != ethertype_ipv4 || a[4] != 6 || a[5] != 4)
		return std::nullopt;
	arp_packet r;
	r.op = load_be16(a + 6);
	r.sha = get_mac(a + 8);
	r.spa = load_be32(a + 14);
	r.tha = get_mac(a + 18);
	r.tpa = load_be32(a + 24);
	if (r.op != 1 && r.op != 2)
		return std::nullopt;
	return r;
}

size_t build_arp(std::span<uint8_t> out, const mac &eth_dst, const arp_packet &a) noexcept {
	if (out.size() < 60)
		return 0;
	uint8_t *p = out.data();
	std::memset(p, 0, 60);
	put_ether(p, eth_dst, a.sha, ethertype_arp);
	uint8_t *r = p + eth_len;
	store_be16(r, 1);
	store_be16(r + 2, ethertype_ipv4);
	r[4] = 6;
	r[5] = 4;
	store_be16(r + 6, a.op);
	put_mac(r + 8, a.sha);
	store_be32(r + 14, a.spa);
	put_mac(r + 18, a.tha);
	store_be32(r + 24, a.tpa);
	return 60;
}

size_t build_udp_frame(std::span<uint8_t> out, const udp_addrs &a, uint16_t ip_id, std::span<const uint8_t> payload) noexcept {
	const size_t total = eth_len + ipv4_len + udp_len + payload.size();
	if (out.size() < total || payload.size() > 65535 - ipv4_len - udp_len)
		return 0;
	uint8_t *p = out.data();
	put_ether(p, a.dst_mac, a.src_mac, ethertype_ipv4);
	uint8_t *ip = p + eth_len;
	write_ipv4(ip, static_cast<uint16_t>(total - eth_len), ip_id, 17, a.src_ip, a.dst_ip);
	store_be16(ip + 10, ipv4_header_checksum(ip));
	uint8_t *u = ip + ipv4_len;
	store_be16(u, a.src_port);
	store_be16(u + 2, a.dst_port);
	store_be16(u + 4, static_cast<uint16_t>(udp_len + payload.size()));
	store_be16(u + 6, 0);
	if (!payload.empty())
		std::memcpy(u + udp_len, payload.data(), payload.size());
	return total;
}

namespace {

// The inner IPv4/UDP packet of a PPP frame or a core-side frame.
bool measure_inner(std::span<const uint8_t> ipbuf, uint16_t traffic_port, rx_frame &r) noexcept {
	uint8_t proto = 0;
	uint32_t src = 0, dst = 0;
	std::span<const uint8_t> l4 = ipv4_l4(ipbuf, 0, proto, src, dst);
	if (proto != 17 || l4.size() < udp_len)
		return false;
	const size_t ulen = load_be16(l4.data() + 4);
	if (ulen < udp_len || ulen > l4.size() || load_be16(l4.data() + 2) != traffic_port)
		return false;
	r.kind = rx_kind::measured;
	r.payload = l4.subspan(udp_len, ulen - udp_len);
	r.frame_bytes = static_cast<uint32_t>(load_be16(ipbuf.data() + 2)) + 18;
	return true;
}

// The Ethernet header of a received frame: true with `off` at an IPv4 header; an ARP
// frame is marked as such, anything else is left `other`.
bool ipv4_frame(std::span<const uint8_t> f, rx_frame &r, size_t &off) noexcept {
	uint16_t type = 0;
	if (!ether(f, type, off))
		return false;
	if (type == ethertype_arp) {
		r.kind = rx_kind::arp;
		return false;
	}
	return type == ethertype_ipv4;
}

} // namespace

rx_frame classify_access(std::span<const uint8_t> f, uint16_t l2tp_port, uint16_t traffic_port) noexcept {
	rx_frame r;
	size_t off = 0;
	if (!ipv4_frame(f, r, off))
		return r;
	uint8_t proto = 0;
	std::span<const uint8_t> l4 = ipv4_l4(f, off, proto, r.src_ip, r.dst_ip);
	if (proto != 17 || l4.size() < udp_len)
		return r;
	r.src_port = load_be16(l4.data());
	r.dst_port = load_be16(l4.data() + 2);
	const size_t ulen = load_be16(l4.data() + 4);
	if (r.dst_port != l2tp_port || ulen < udp_len || ulen > l4.size())
		return r;
	const std::span<const uint8_t> msg = l4.subspan(udp_len, ulen - udp_len);
	auto h = l2tp::parse_v2(msg);
	if (!h)
		return r;
	if (!h->is_control()) {
		std::span<const uint8_t> ppp = h->payload;
		if (ppp.size() >= 2 && ppp[0] == 0xFF && ppp[1] == 0x03)
			ppp = ppp.subspan(2);
		uint16_t protocol = 0;
		if (!ppp.empty() && (ppp[0] & 1)) {
			protocol = ppp[0];
			ppp = ppp.subspan(1);
		} else if (ppp.size() >= 2) {
			protocol = load_be16(ppp.data());
			ppp = ppp.subspan(2);
		}
		if (protocol == 0x0021) {
			if (!measure_inner(ppp, traffic_port, r))
				r.kind = rx_kind::other;
			return r;
		}
	}
	r.kind = rx_kind::l2tp_control;
	r.l2tp = msg;
	return r;
}

rx_frame classify_core(std::span<const uint8_t> f, uint16_t traffic_port) noexcept {
	rx_frame r;
	size_t off = 0;
	if (ipv4_frame(f, r, off))
		measure_inner(f.subspan(off), traffic_port, r);
	return r;
}

namespace {

// Inner IPv4 + UDP header at t.bytes[t.inner_ip], lengths and checksums left 0.
void inner_headers(tx_template &t, uint32_t src, uint32_t dst, uint16_t port) noexcept {
	uint8_t *ip = t.bytes.data() + t.inner_ip;
	write_ipv4(ip, 0, 0, 17, src, dst);
	uint8_t *u = ip + ipv4_len;
	store_be16(u, port);
	store_be16(u + 2, port);
	// Pseudo header (addresses, protocol) and the ports; the length is added per packet.
	t.inner_udp_sum = sum32(src) + sum32(dst) + 17 + port + port;
}

} // namespace

tx_template build_upstream_template(const upstream_params &p) noexcept {
	tx_template t;
	uint8_t *b = t.bytes.data();
	put_ether(b, p.lns_mac, p.lac_mac, ethertype_ipv4);
	t.outer_ip = eth_len;
	write_ipv4(b + eth_len, 0, 0, 17, p.lac_ip, p.lns_ip);
	uint8_t *u = b + eth_len + ipv4_len;
	store_be16(u, p.lac_port);
	store_be16(u + 2, p.lns_port);
	uint8_t *l = u + udp_len;
	size_t n = 6;
	store_be16(l, static_cast<uint16_t>(l2tp::version_v2 | (p.data_sequence ? l2tp::flag_sequence : 0)));
	store_be16(l + 2, p.tunnel);
	store_be16(l + 4, p.session);
	if (p.data_sequence) {
		t.ns_offset = static_cast<uint16_t>(l + 6 - b);
		store_be16(l + 6, 0);
		store_be16(l + 8, 0);
		n += 4;
	}
	uint8_t *ppp = l + n;
	ppp[0] = 0xFF;
	ppp[1] = 0x03;
	store_be16(ppp + 2, 0x0021);
	t.inner_ip = static_cast<uint16_t>(ppp + ppp_len - b);
	inner_headers(t, p.subscriber_ip, p.core_ip, p.traffic_port);
	t.outer_ip_sum = header_words(b + t.outer_ip);
	t.inner_ip_sum = header_words(b + t.inner_ip);
	return t;
}

tx_template build_downstream_template(const downstream_params &p) noexcept {
	tx_template t;
	uint8_t *b = t.bytes.data();
	put_ether(b, p.next_hop_mac, p.core_mac, ethertype_ipv4);
	t.inner_ip = eth_len;
	inner_headers(t, p.core_ip, p.subscriber_ip, p.traffic_port);
	t.inner_ip_sum = header_words(b + t.inner_ip);
	return t;
}

} // namespace l2tpx::gen::dpdk
