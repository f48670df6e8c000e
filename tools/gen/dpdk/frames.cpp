#include "tools/gen/dpdk/frames.hpp"

#include <algorithm>

#include "shared/l2tp/l2tpv2.hpp"
#include "shared/l2tp/l2tpv3.hpp"

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

void write_ipv6(uint8_t *ip, uint16_t payload_len, uint8_t next, uint8_t hop_limit, const uint8_t *src,
                const uint8_t *dst) noexcept {
	store_be32(ip, 0x60000000u);
	store_be16(ip + 4, payload_len);
	ip[6] = next;
	ip[7] = hop_limit;
	std::memcpy(ip + 8, src, 16);
	std::memcpy(ip + 24, dst, 16);
}

// The IPv6 pseudo header's addresses and next header, summed.
uint32_t pseudo6(const uint8_t *src, const uint8_t *dst, uint8_t next) noexcept {
	return sum_words(src, 16) + sum_words(dst, 16) + next;
}

// The IPv6 header at f[off] (no extension headers followed): the payload, next header.
std::span<const uint8_t> ipv6_l4(std::span<const uint8_t> f, size_t off, uint8_t &next) noexcept {
	if (f.size() < off + ipv6_len)
		return {};
	const uint8_t *ip = f.data() + off;
	const size_t plen = load_be16(ip + 4);
	if ((ip[0] >> 4) != 6 || f.size() < off + ipv6_len + plen)
		return {};
	next = ip[6];
	return f.subspan(off + ipv6_len, plen);
}


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

// The inner IPv6/UDP packet of a PPP frame or a core-side frame (no extension header).
bool measure_inner6(std::span<const uint8_t> ipbuf, uint16_t traffic_port, rx_frame &r) noexcept {
	uint8_t next = 0;
	std::span<const uint8_t> l4 = ipv6_l4(ipbuf, 0, next);
	if (next != 17 || l4.size() < udp_len)
		return false;
	const size_t ulen = load_be16(l4.data() + 4);
	if (ulen < udp_len || ulen > l4.size() || load_be16(l4.data() + 2) != traffic_port)
		return false;
	r.kind = rx_kind::measured;
	r.payload = l4.subspan(udp_len, ulen - udp_len);
	r.frame_bytes = static_cast<uint32_t>(load_be16(ipbuf.data() + 4) + ipv6_len) + 18;
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
		if (protocol == ppp_ipv4) {
			if (!measure_inner(ppp, traffic_port, r))
				r.kind = rx_kind::other;
			return r;
		}
		if (protocol == ppp_ipv6 && measure_inner6(ppp, traffic_port, r))
			return r;
		r.ppp_protocol = protocol;
		r.ppp_info = ppp;
	}
	r.kind = rx_kind::l2tp_control;
	r.l2tp = msg;
	r.tunnel = h->tunnel_id.value;
	r.session = h->session_id.value;
	return r;
}

rx_frame classify_core(std::span<const uint8_t> f, uint16_t traffic_port) noexcept {
	rx_frame r;
	size_t off = 0;
	uint16_t type = 0;
	if (ipv4_frame(f, r, off)) {
		measure_inner(f.subspan(off), traffic_port, r);
	} else if (r.kind == rx_kind::other && ether(f, type, off) && type == ethertype_ipv6) {
		uint8_t next = 0;
		const std::span<const uint8_t> l4 = ipv6_l4(f, off, next);
		if (next == 58 && !l4.empty() && (l4[0] == nd_solicit || l4[0] == nd_advert))
			r.kind = rx_kind::nd;
		else
			measure_inner6(f.subspan(off), traffic_port, r);
	}
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

// Inner IPv6 + UDP header at t.bytes[t.inner_ip], lengths and checksum left 0.
void inner_headers6(tx_template &t, const ipv6_addr &src, const ipv6_addr &dst, uint16_t port) noexcept {
	uint8_t *ip = t.bytes.data() + t.inner_ip;
	write_ipv6(ip, 0, 17, 64, src.data(), dst.data());
	uint8_t *u = ip + ipv6_len;
	store_be16(u, port);
	store_be16(u + 2, port);
	t.inner_v6 = true;
	t.inner_udp_sum = pseudo6(src.data(), dst.data(), 17) + port + port;
}

} // namespace

tx_template build_upstream_template(const upstream_params &p) noexcept {
	tx_template t;
	uint8_t *b = t.bytes.data();
	put_ether(b, p.lns_mac, p.lac_mac, ethertype_ipv4);
	t.outer_ip = eth_len;
	t.outer_udp = eth_len + ipv4_len;
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
	store_be16(ppp + 2, p.v6 ? ppp_ipv6 : ppp_ipv4);
	t.inner_ip = static_cast<uint16_t>(ppp + ppp_len - b);
	if (p.v6) {
		inner_headers6(t, p.subscriber_ip6, p.core_ip6, p.traffic_port);
	} else {
		inner_headers(t, p.subscriber_ip, p.core_ip, p.traffic_port);
		t.inner_ip_sum = header_words(b + t.inner_ip);
	}
	t.outer_ip_sum = header_words(b + t.outer_ip);
	return t;
}

tx_template build_downstream_template(const downstream_params &p) noexcept {
	tx_template t;
	uint8_t *b = t.bytes.data();
	put_ether(b, p.next_hop_mac, p.core_mac, p.v6 ? ethertype_ipv6 : ethertype_ipv4);
	t.inner_ip = eth_len;
	if (p.v6) {
		inner_headers6(t, p.core_ip6, p.subscriber_ip6, p.traffic_port);
	} else {
		inner_headers(t, p.core_ip, p.subscriber_ip, p.traffic_port);
		t.inner_ip_sum = header_words(b + t.inner_ip);
	}
	return t;
}

uint32_t sum_words(const uint8_t *p, size_t n) noexcept {
	uint64_t s = 0;
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		s += load_be16(p + i);
	if (i < n)
		s += uint32_t(p[i]) << 8;
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return uint32_t(s);
}

namespace {

// An Ethernet header with an optional 802.1Q tag: its length.
size_t put_ether_vlan(uint8_t *p, const mac &dst, const mac &src, uint16_t vlan, uint16_t type) noexcept {
	if (!vlan) {
		put_ether(p, dst, src, type);
		return eth_len;
	}
	put_ether(p, dst, src, ethertype_vlan);
	store_be16(p + 14, vlan);
	store_be16(p + 16, type);
	return eth_len + 4;
}

} // namespace

// The largest pseudowire template: Ethernet, IPv6, UDP, L2TPv3 header, 8-byte cookie,
// sublayer, tagged inner Ethernet, inner IPv4 and UDP.
static_assert(eth_len + ipv6_len + udp_len + 8 + 8 + 4 + eth_len + 4 + ipv4_len + udp_len <=
              std::tuple_size_v<decltype(tx_template::bytes)>);

tx_template build_pw_upstream_template(const pw_upstream_params &p) noexcept {
	tx_template t;
	uint8_t *b = t.bytes.data();
	const bool v6 = p.local.is_v6();
	put_ether(b, p.lns_mac, p.local_mac, v6 ? ethertype_ipv6 : ethertype_ipv4);
	t.outer_ip = eth_len;
	t.outer_v6 = v6;
	const uint8_t proto = p.udp ? 17 : ipproto_l2tp;
	size_t off = eth_len;
	if (v6) {
		write_ipv6(b + off, 0, proto, 64, p.local.bytes.data(), p.remote.bytes.data());
		off += ipv6_len;
	} else {
		write_ipv4(b + off, 0, 0, proto, load_be32(p.local.bytes.data()), load_be32(p.remote.bytes.data()));
		off += ipv4_len;
	}
	if (p.udp) {
		t.outer_udp = static_cast<uint16_t>(off);
		store_be16(b + off, p.sport);
		store_be16(b + off + 2, p.dport);
		off += udp_len;
		store_be16(b + off, l2tp::version_v3); // T=0: data
		store_be16(b + off + 2, 0);            // reserved
		off += 4;
		if (v6)
			t.outer_udp_sum = pseudo6(p.local.bytes.data(), p.remote.bytes.data(), 17) + p.sport + p.dport;
	}
	store_be32(b + off, p.peer_session_id);
	off += 4;
	const size_t cookie = std::min<size_t>(p.peer_cookie.size(), 8);
	if (cookie)
		std::memcpy(b + off, p.peer_cookie.data(), cookie);
	off += cookie;
	if (p.l2spec) {
		store_be32(b + off, 0);
		if (p.seq) {
			t.ns_offset = static_cast<uint16_t>(off);
			t.ns_l2ss = true;
		}
		off += 4;
	}
	off += put_ether_vlan(b + off, p.inner_dst, p.inner_src, p.vlan, ethertype_ipv4);
	t.inner_ip = static_cast<uint16_t>(off);
	inner_headers(t, p.src_ip, p.dst_ip, p.traffic_port);
	if (!v6)
		t.outer_ip_sum = header_words(b + t.outer_ip);
	t.inner_ip_sum = header_words(b + t.inner_ip);
	return t;
}

tx_template build_pw_downstream_template(const pw_downstream_params &p) noexcept {
	tx_template t;
	uint8_t *b = t.bytes.data();
	t.inner_ip = static_cast<uint16_t>(put_ether_vlan(b, p.dst, p.src, p.vlan, ethertype_ipv4));
	inner_headers(t, p.src_ip, p.dst_ip, p.traffic_port);
	t.inner_ip_sum = header_words(b + t.inner_ip);
	return t;
}

const pw_rx_session *pw_rx_table::find(uint32_t id) const noexcept {
	size_t lo = 0, hi = sessions.size();
	while (lo < hi) {
		const size_t mid = (lo + hi) / 2;
		if (sessions[mid].session_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sessions.size() && sessions[lo].session_id == id ? &sessions[lo] : nullptr;
}


std::optional<nd_packet> parse_nd(std::span<const uint8_t> f) noexcept {
	uint16_t type = 0;
	size_t off = 0;
	if (!ether(f, type, off) || type != ethertype_ipv6)
		return std::nullopt;
	uint8_t next = 0;
	const std::span<const uint8_t> icmp = ipv6_l4(f, off, next);
	const uint8_t *ip = f.data() + off;
	if (next != 58 || icmp.size() < 24 || ip[7] != 255 || icmp[1] != 0 ||
	    (icmp[0] != nd_solicit && icmp[0] != nd_advert))
		return std::nullopt;
	const uint64_t sum = uint64_t(pseudo6(ip + 8, ip + 24, 58)) + icmp.size() + sum_words(icmp.data(), icmp.size());
	if (fold_sum(sum) != 0xFFFF)
		return std::nullopt;
	nd_packet n;
	n.type = icmp[0];
	n.eth_src = get_mac(f.data() + 6);
	std::memcpy(n.src.data(), ip + 8, 16);
	std::memcpy(n.dst.data(), ip + 24, 16);
	std::memcpy(n.target.data(), icmp.data() + 8, 16);
	const uint8_t want = n.type == nd_solicit ? 1 : 2;
	for (size_t o = 24; o + 8 <= icmp.size();) {
		const size_t len = size_t(icmp[o + 1]) * 8;
		if (len == 0 || o + len > icmp.size())
			return std::nullopt; // RFC 4861: options of length 0 invalidate the packet
		if (icmp[o] == want)
			n.link_addr = get_mac(icmp.data() + o + 2);
		o += len;
	}
	return n;
}

namespace {

size_t build_nd(std::span<uint8_t> out, const mac &dst_mac, const mac &src_mac, const uint8_t *src_ip,
                const uint8_t *dst_ip, uint8_t type, uint32_t flags, const ipv6_addr &target, uint8_t opt) noexcept {
	constexpr size_t icmp_len = 32, total = eth_len + ipv6_len + icmp_len;
	if (out.size() < total)
		return 0;
	uint8_t *p = out.data();
	put_ether(p, dst_mac, src_mac, ethertype_ipv6);
	write_ipv6(p + eth_len, icmp_len, 58, 255, src_ip, dst_ip);
	uint8_t *icmp = p + eth_len + ipv6_len;
	std::memset(icmp, 0, icmp_len);
	icmp[0] = type;
	store_be32(icmp + 4, flags);
	std::memcpy(icmp + 8, target.data(), 16);
	icmp[24] = opt;
	icmp[25] = 1;
	put_mac(icmp + 26, src_mac);
	const uint64_t sum = uint64_t(pseudo6(src_ip, dst_ip, 58)) + icmp_len + sum_words(icmp, icmp_len);
	store_be16(icmp + 2, static_cast<uint16_t>(~fold_sum(sum)));
	return total;
}

} // namespace

size_t build_neighbor_solicit(std::span<uint8_t> out, const mac &src_mac, const ipv6_addr &src_ip,
                              const ipv6_addr &target) noexcept {
	const ipv6_addr dst{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target[13], target[14], target[15]};
	const mac dst_mac{0x33, 0x33, 0xff, target[13], target[14], target[15]};
	return build_nd(out, dst_mac, src_mac, src_ip.data(), dst.data(), nd_solicit, 0, target, 1);
}

size_t build_neighbor_advert(std::span<uint8_t> out, const mac &dst_mac, const ipv6_addr &dst_ip, const mac &src_mac,
                             const ipv6_addr &target) noexcept {
	// Solicited and Override; the target link-layer address option.
	return build_nd(out, dst_mac, src_mac, target.data(), dst_ip.data(), nd_advert, 0x60000000u, target, 2);
}

rx_frame classify_access_pw(std::span<const uint8_t> f, const pw_rx_table &t, uint16_t traffic_port) noexcept {
	rx_frame r;
	uint16_t type = 0;
	size_t off = 0;
	if (!ether(f, type, off))
		return r;
	uint8_t proto = 0;
	std::span<const uint8_t> l4;
	if (type == ethertype_arp) {
		r.kind = rx_kind::arp;
		return r;
	} else if (type == ethertype_ipv4) {
		l4 = ipv4_l4(f, off, proto, r.src_ip, r.dst_ip);
	} else if (type == ethertype_ipv6) {
		l4 = ipv6_l4(f, off, proto);
		if (proto == 58 && l4.size() >= 1 && (l4[0] == nd_solicit || l4[0] == nd_advert)) {
			r.kind = rx_kind::nd;
			return r;
		}
	} else {
		return r;
	}
	std::span<const uint8_t> v3; // from the Session ID on
	if (proto == 17 && l4.size() >= udp_len) {
		r.src_port = load_be16(l4.data());
		r.dst_port = load_be16(l4.data() + 2);
		const size_t ulen = load_be16(l4.data() + 4);
		if (ulen < udp_len + 8 || ulen > l4.size() ||
		    std::find(t.udp_ports.begin(), t.udp_ports.end(), r.dst_port) == t.udp_ports.end())
			return r;
		const uint16_t w = load_be16(l4.data() + udp_len);
		if ((w & l2tp::flag_type) || (w & l2tp::version_mask) != l2tp::version_v3)
			return r; // control (no control connection in a static run) or not v3
		v3 = l4.subspan(udp_len + 4, ulen - udp_len - 4);
	} else if (proto == ipproto_l2tp && t.ip_encap && l4.size() >= 4) {
		v3 = l4;
	} else {
		return r;
	}
	const pw_rx_session *s = t.find(load_be32(v3.data())); // session 0 (control) is never in the table
	if (!s)
		return r;
	const size_t hdr = 4 + size_t(s->cookie_len) + (s->l2spec ? 4 : 0);
	if (v3.size() < hdr || std::memcmp(v3.data() + 4, s->cookie.data(), s->cookie_len) != 0)
		return r;
	const std::span<const uint8_t> inner = v3.subspan(hdr);
	size_t ioff = 0;
	if (ether(inner, type, ioff) && type == ethertype_ipv4)
		measure_inner(inner.subspan(ioff), traffic_port, r);
	return r;
}

size_t build_router_solicit(std::span<uint8_t> out, uint64_t iid) noexcept {
	constexpr size_t icmp_len = 8, total = ipv6_len + icmp_len;
	if (out.size() < total)
		return 0;
	const ipv6_addr src = slaac_address(ipv6_addr{0xfe, 0x80}, iid);
	const ipv6_addr dst{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
	uint8_t *p = out.data();
	write_ipv6(p, icmp_len, 58, 255, src.data(), dst.data());
	uint8_t *icmp = p + ipv6_len;
	std::memset(icmp, 0, icmp_len);
	icmp[0] = 133; // Router Solicitation, code 0, reserved
	const uint64_t sum = uint64_t(pseudo6(src.data(), dst.data(), 58)) + icmp_len + sum_words(icmp, icmp_len);
	store_be16(icmp + 2, static_cast<uint16_t>(~fold_sum(sum)));
	return total;
}

ipv6_addr slaac_address(const ipv6_addr &prefix, uint64_t iid) noexcept {
	ipv6_addr a = prefix;
	store_be64(a.data() + 8, iid);
	return a;
}

bool parse_router_advert(std::span<const uint8_t> pkt, ra_prefix &out, ra_error &err) noexcept {
	err = ra_error::invalid;
	if (pkt.size() < ipv6_len || (pkt[0] >> 4) != 6 || pkt.size() < ipv6_len + load_be16(pkt.data() + 4))
		return false; // not an IPv6 packet at all
	uint8_t next = 0;
	const std::span<const uint8_t> icmp = ipv6_l4(pkt, 0, next);
	err = ra_error::not_ra;
	if (next != 58 || icmp.empty() || icmp[0] != 134)
		return false;
	err = ra_error::invalid;
	const uint8_t *ip = pkt.data();
	// RFC 4861 6.1.2: link-local source, hop limit 255, code 0, 16 bytes or more, checksum.
	if (ip[7] != 255 || ip[8] != 0xfe || (ip[9] & 0xc0) != 0x80 || icmp.size() < 16 || icmp[1] != 0)
		return false;
	const uint64_t sum = uint64_t(pseudo6(ip + 8, ip + 24, 58)) + icmp.size() + sum_words(icmp.data(), icmp.size());
	if (fold_sum(sum) != 0xFFFF)
		return false;
	ra_prefix r;
	std::memcpy(r.router.data(), ip + 8, 16);
	r.router_lifetime = load_be16(icmp.data() + 6);
	bool found = false;
	for (size_t o = 16; o < icmp.size();) {
		if (o + 2 > icmp.size())
			return false;
		const size_t len = size_t(icmp[o + 1]) * 8;
		if (len == 0 || o + len > icmp.size())
			return false; // an option of length 0 invalidates the packet
		const uint8_t *opt = icmp.data() + o;
		if (opt[0] == 3 && len == 32 && !found) { // Prefix Information (RFC 4861 4.6.2)
			const uint32_t valid = load_be32(opt + 4), preferred = load_be32(opt + 8);
			if (opt[2] == 64 && (opt[3] & 0x40) && valid != 0 && preferred <= valid &&
			    !(opt[16] == 0xfe && (opt[17] & 0xc0) == 0x80)) { // not link-local
				std::memcpy(r.prefix.data(), opt + 16, 8);
				r.valid_lifetime = valid;
				r.preferred_lifetime = preferred;
				found = true;
			}
		} else if (opt[0] == 5 && len == 8) { // MTU
			r.mtu = static_cast<uint16_t>(std::min<uint32_t>(load_be32(opt + 4), 65535));
		}
		o += len;
	}
	if (!found) {
		err = ra_error::no_prefix;
		return false;
	}
	out = r;
	return true;
}

} // namespace l2tpx::gen::dpdk
