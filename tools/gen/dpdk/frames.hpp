// The generator's frames, on plain byte spans (no DPDK, unit tested): ARP, the UDP/IPv4/
// Ethernet wrapping of control datagrams, the classification of received frames, and the
// per-session TX templates from which every traffic packet is built.
//
// Upstream (access port): Ethernet | IPv4 | UDP (LAC port -> LNS port) | L2TPv2 data
// header (T=0, L=0, S optional) | PPP FF 03 00 21 | inner IPv4 | UDP | signature | zeros;
// IPv6 streams: PPP FF 03 00 57 | inner IPv6 (subscriber's SLAAC address -> core) | UDP | ...
// Downstream (core port):  Ethernet | IPv4 or IPv6 (core address -> subscriber) | UDP | signature.
// Pseudowire runs (static L2TPv3, docs/generator.md "Pseudowires"), access port: Ethernet |
// IPv4 or IPv6 | UDP (optional) | L2TPv3 session header | cookie | L2-specific sublayer |
// inner Ethernet (802.1Q tag for eth_vlan) | inner IPv4 | UDP | signature | zeros; the core
// port sends and receives the inner Ethernet frames as they are.
// Frame sizes are those of the inner packet as an Ethernet frame with FCS (docs/generator.md):
// inner IPv4 total length = frame size - 18.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "shared/base/byteorder.hpp"
#include "tools/gen/dpdk/gen_config.hpp"
#include "tools/gen/traffic/payload.hpp"

namespace l2tpx::gen::dpdk {

inline constexpr uint16_t ethertype_ipv4 = 0x0800;
inline constexpr uint16_t ethertype_arp = 0x0806;
inline constexpr uint16_t ethertype_vlan = 0x8100;
inline constexpr uint16_t ethertype_ipv6 = 0x86DD;
inline constexpr uint8_t ipproto_l2tp = 115;
inline constexpr size_t eth_len = 14;
inline constexpr size_t ipv4_len = 20;
inline constexpr size_t ipv6_len = 40;
inline constexpr size_t udp_len = 8;
inline constexpr size_t ppp_len = 4; // FF 03 + protocol
inline constexpr uint16_t ppp_ipv4 = 0x0021, ppp_ipv6 = 0x0057;
inline constexpr mac broadcast_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Bytes the tunnel adds to an inner packet on the access port (outer IPv4, UDP, L2TP, PPP).
constexpr uint32_t upstream_overhead(bool data_sequence) noexcept {
	return uint32_t(ipv4_len + udp_len + 6 + (data_sequence ? 4 : 0) + ppp_len);
}

// RFC 1071 header checksum of an IPv4 header of 20 bytes (checksum field included as is).
uint16_t ipv4_header_checksum(const uint8_t *hdr) noexcept;

struct arp_packet {
	uint16_t op = 0; // 1 request, 2 reply
	mac sha{};
	uint32_t spa = 0;
	mac tha{};
	uint32_t tpa = 0;
};
// From the Ethernet header on; nullopt unless Ethernet/IPv4 ARP.
std::optional<arp_packet> parse_arp(std::span<const uint8_t> frame) noexcept;
// 42 bytes (60 with padding written as zeros); 0 when out is too small.
size_t build_arp(std::span<uint8_t> out, const mac &eth_dst, const arp_packet &a) noexcept;

struct udp_addrs {
	mac dst_mac{}, src_mac{};
	uint32_t src_ip = 0, dst_ip = 0; // host order
	uint16_t src_port = 0, dst_port = 0;
};
// Ethernet/IPv4/UDP around payload (UDP checksum 0: none, as L2TP over IPv4 allows).
size_t build_udp_frame(std::span<uint8_t> out, const udp_addrs &a, uint16_t ip_id, std::span<const uint8_t> payload) noexcept;

using ipv6_addr = std::array<uint8_t, 16>;

// IPv6 neighbour discovery (RFC 4861): a Neighbor Solicitation or Advertisement.
struct nd_packet {
	uint8_t type = 0;   // 135 NS, 136 NA
	mac eth_src{};
	ipv6_addr src{}, dst{}, target{};
	std::optional<mac> link_addr; // the source (NS) or target (NA) link-layer address option
};
inline constexpr uint8_t nd_solicit = 135, nd_advert = 136;
// From the Ethernet header on (one 802.1Q tag skipped); nullopt unless a valid NS/NA
// (hop limit 255, code 0, ICMPv6 checksum right).
std::optional<nd_packet> parse_nd(std::span<const uint8_t> frame) noexcept;
// A multicast NS for target from (src_mac, src_ip): 86 bytes; 0 when out is too small.
size_t build_neighbor_solicit(std::span<uint8_t> out, const mac &src_mac, const ipv6_addr &src_ip,
                              const ipv6_addr &target) noexcept;
// A solicited NA for target (our address) to (dst_mac, dst_ip): 86 bytes; 0 when too small.
size_t build_neighbor_advert(std::span<uint8_t> out, const mac &dst_mac, const ipv6_addr &dst_ip, const mac &src_mac,
                             const ipv6_addr &target) noexcept;

enum class rx_kind : uint8_t {
	other,        // not for us: counted
	arp,
	nd,           // an IPv6 NS/NA (pseudowire runs)
	l2tp_control, // a control message, or a PPP frame that is not IPv4 (LCP, IPCP, ...)
	measured,     // a traffic packet: payload = inner UDP payload
};

struct rx_frame {
	rx_kind kind = rx_kind::other;
	uint32_t src_ip = 0, dst_ip = 0;     // outer IPv4 (host order)
	uint16_t src_port = 0, dst_port = 0; // outer UDP
	std::span<const uint8_t> l2tp;        // l2tp_control: the UDP payload (the L2TP message)
	uint16_t ppp_protocol = 0;            // l2tp_control, data message: the PPP protocol (0 = control message)
	std::span<const uint8_t> ppp_info;    // its information field (e.g. an IPv6 packet for 0x0057)
	uint16_t tunnel = 0, session = 0;     // l2tp_control: the L2TP header's (our) IDs
	std::span<const uint8_t> payload;     // measured: inner UDP payload
	uint32_t frame_bytes = 0;            // measured: inner packet as an Ethernet frame with FCS
};

// Access port: ARP; UDP to l2tp_port carrying L2TPv2 (control, PPP control, PPP IPv4 or
// IPv6 with an inner UDP datagram to traffic_port: measured). Other PPP IPv6 (Router
// Advertisements) is l2tp_control, for the main lcore.
rx_frame classify_access(std::span<const uint8_t> frame, uint16_t l2tp_port, uint16_t traffic_port) noexcept;
// Core port: ARP; ND (an ICMPv6 NS/NA); IPv4 or IPv6 UDP to traffic_port.
rx_frame classify_core(std::span<const uint8_t> frame, uint16_t traffic_port) noexcept;

// SLAAC over PPP (RFC 5072 section 5, RFC 4861): the subscriber's Router Solicitation and
// the LNS's Router Advertisement, as IPv6 packets (the PPP information field).
// A Router Solicitation from fe80::<iid> to ff02::2 (hop limit 255, no option: PPP has no
// link-layer address): 48 bytes; 0 when out is too small.
size_t build_router_solicit(std::span<uint8_t> out, uint64_t iid) noexcept;
enum class ra_error : uint8_t {
	not_ra,      // a well-formed IPv6 packet that is not ICMPv6 type 134: not counted as invalid
	invalid,     // not IPv6, or fails RFC 4861 6.1.2 validation (hop limit, source, code, checksum, options)
	no_prefix,   // valid, but no Prefix Information with A=1 and a /64 (SLAAC needs one)
};
struct ra_prefix {
	ipv6_addr prefix{};         // the /64 (the low 64 bits zero)
	uint32_t valid_lifetime = 0, preferred_lifetime = 0;
	uint16_t router_lifetime = 0;
	uint16_t mtu = 0;           // the MTU option; 0 = none
	ipv6_addr router{};         // the RA's source (link-local)
};
// Reads an RA: the first autonomous /64 Prefix Information option with a non-zero valid
// lifetime. Returns false and sets err otherwise.
bool parse_router_advert(std::span<const uint8_t> ipv6_packet, ra_prefix &out, ra_error &err) noexcept;
// prefix (/64) + interface identifier.
ipv6_addr slaac_address(const ipv6_addr &prefix, uint64_t iid) noexcept;

// What the access port of a pseudowire run accepts: L2TPv3 over UDP to one of `udp_ports`
// or over IP (protocol 115) when `ip_encap`, IPv4 or IPv6, for a session of `sessions`
// (sorted by session_id, the cookie compared) carrying an inner Ethernet frame with an
// IPv4/UDP packet to the traffic port. Built once before the workers start.
struct pw_rx_session {
	uint32_t session_id = 0;
	uint8_t cookie_len = 0;
	std::array<uint8_t, 8> cookie{};
	bool l2spec = false;
};
struct pw_rx_table {
	std::vector<pw_rx_session> sessions; // sorted by session_id
	std::vector<uint16_t> udp_ports;
	bool ip_encap = false;
	const pw_rx_session *find(uint32_t session_id) const noexcept;
};
// ARP, ND, measured; anything else (control messages included) is `other`.
rx_frame classify_access_pw(std::span<const uint8_t> frame, const pw_rx_table &t, uint16_t traffic_port) noexcept;

// A per-session TX template: the headers up to the inner UDP header, with the fixed parts
// of the checksums summed once.
struct tx_template {
	std::array<uint8_t, 144> bytes{};
	uint16_t inner_ip = 0;  // offset of the inner IPv4 (or IPv6: inner_v6) header
	uint16_t outer_ip = 0;  // offset of the outer IPv4/IPv6 header (upstream); 0 = none
	uint16_t outer_udp = 0; // offset of the outer UDP header; 0 = none (L2TPv3 over IP)
	uint16_t ns_offset = 0; // offset of L2TP Ns (data sequencing); 0 = none
	bool outer_v6 = false;  // outer IPv6: payload length, UDP checksum computed per packet
	bool ns_l2ss = false;   // Ns is the 24-bit sequence of an L2TPv3 default sublayer
	bool inner_v6 = false;  // the inner packet is IPv6 (payload length; no header checksum)
	uint32_t ns = 0;        // next Ns
	uint32_t inner_udp_sum = 0; // pseudo header without length + ports (IPv4 or IPv6)
	uint32_t outer_ip_sum = 0;  // the outer IPv4 header's words, length and checksum 0
	uint32_t inner_ip_sum = 0;  // the inner IPv4 header's words, length and checksum 0
	uint32_t outer_udp_sum = 0; // outer IPv6: pseudo header addresses + next header + ports
};

struct upstream_params {
	mac lns_mac{}, lac_mac{};
	uint32_t lac_ip = 0, lns_ip = 0;
	uint16_t lac_port = 1701, lns_port = 1701;
	uint16_t tunnel = 0, session = 0; // the LNS's IDs (peer IDs)
	bool data_sequence = false;
	uint32_t subscriber_ip = 0, core_ip = 0;
	uint16_t traffic_port = 9000;
	bool v6 = false;                      // inner IPv6 (PPP 0x0057) between the addresses below
	ipv6_addr subscriber_ip6{}, core_ip6{};
};
tx_template build_upstream_template(const upstream_params &p) noexcept;

struct downstream_params {
	mac next_hop_mac{}, core_mac{};
	uint32_t core_ip = 0, subscriber_ip = 0;
	uint16_t traffic_port = 9000;
	bool v6 = false;                      // Ethernet | IPv6 between the addresses below
	ipv6_addr core_ip6{}, subscriber_ip6{};
};
tx_template build_downstream_template(const downstream_params &p) noexcept;

// A pseudowire's upstream (access port: L2TPv3 to the LNS) template.
struct pw_upstream_params {
	mac lns_mac{}, local_mac{};
	cfg::ip_address local, remote;      // same family
	bool udp = true;
	uint16_t sport = 1701, dport = 1701;
	uint32_t peer_session_id = 0;
	std::span<const uint8_t> peer_cookie; // 0, 4 or 8 bytes
	bool l2spec = true, seq = false;
	mac inner_dst{}, inner_src{};        // the inner frame (to the core port)
	uint16_t vlan = 0;                   // 802.1Q tag of the inner frame; 0 = untagged
	uint32_t src_ip = 0, dst_ip = 0;     // inner IPv4
	uint16_t traffic_port = 9000;
};
tx_template build_pw_upstream_template(const pw_upstream_params &p) noexcept;

// A pseudowire's downstream frame (core port, to the LNS's attachment port):
// Ethernet [802.1Q vlan] IPv4 UDP.
struct pw_downstream_params {
	mac dst{}, src{};
	uint16_t vlan = 0;
	uint32_t src_ip = 0, dst_ip = 0;
	uint16_t traffic_port = 9000;
};
tx_template build_pw_downstream_template(const pw_downstream_params &p) noexcept;

// The one's complement sum of n bytes as 16-bit big-endian words (a last odd byte padded).
uint32_t sum_words(const uint8_t *p, size_t n) noexcept;

// Smallest buffer for a packet of this inner frame size built from t.
inline size_t packet_length(const tx_template &t, uint16_t frame_size) noexcept {
	return t.inner_ip + size_t(frame_size) - 18;
}

// Writes one packet into out (packet_length() bytes; returns it, 0 if out is too short).
// Hot path: a copy of the headers, four length fields, the two IPv4 header checksums and
// the inner UDP checksum from their precomputed sums, the signature and zero padding.
inline size_t fill_packet(tx_template &t, std::span<uint8_t> out, uint16_t frame_size, uint32_t stream, uint64_t seq,
                          uint64_t tx_ts) noexcept {
	const size_t inner_len = size_t(frame_size) - 18;
	const size_t total = t.inner_ip + inner_len;
	const size_t ip_len = t.inner_v6 ? ipv6_len : ipv4_len;
	if (out.size() < total || inner_len < ip_len + udp_len + signature_short_size)
		return 0;
	uint8_t *p = out.data();
	std::memcpy(p, t.bytes.data(), size_t(t.inner_ip) + ip_len + udp_len);
	if (t.outer_ip) {
		uint8_t *o = p + t.outer_ip;
		if (t.outer_v6) {
			store_be16(o + 4, static_cast<uint16_t>(total - t.outer_ip - ipv6_len));
		} else {
			const uint16_t olen = static_cast<uint16_t>(total - t.outer_ip);
			store_be16(o + 2, olen);
			store_be16(o + 10, static_cast<uint16_t>(~fold_sum(uint64_t(t.outer_ip_sum) + olen)));
		}
		if (t.outer_udp)
			store_be16(p + t.outer_udp + 4, static_cast<uint16_t>(total - t.outer_udp));
		if (t.ns_offset) {
			if (t.ns_l2ss)
				store_be32(p + t.ns_offset, 0x40000000u | (t.ns++ & 0xFFFFFFu));
			else
				store_be16(p + t.ns_offset, static_cast<uint16_t>(t.ns++));
		}
	}
	uint8_t *ip = p + t.inner_ip;
	if (t.inner_v6) {
		store_be16(ip + 4, static_cast<uint16_t>(inner_len - ipv6_len));
	} else {
		store_be16(ip + 2, static_cast<uint16_t>(inner_len));
		store_be16(ip + 10, static_cast<uint16_t>(~fold_sum(uint64_t(t.inner_ip_sum) + inner_len)));
	}
	uint8_t *udp = ip + ip_len;
	const uint16_t ulen = static_cast<uint16_t>(inner_len - ip_len);
	store_be16(udp + 4, ulen);
	uint16_t sum = static_cast<uint16_t>(~fold_sum(uint64_t(t.inner_udp_sum) + 2u * ulen));
	store_be16(udp + 6, sum == 0 ? 0xFFFF : sum);
	const std::span<uint8_t> payload(udp + udp_len, ulen - udp_len);
	const size_t sig = write_signature(payload, stream, seq, tx_ts);
	std::memset(payload.data() + sig, 0, payload.size() - sig);
	if (t.outer_v6 && t.outer_udp) {
		// UDP over IPv6 needs its checksum (RFC 8200 8.1); past the signature all is zero.
		uint8_t *u = p + t.outer_udp;
		const uint32_t len = static_cast<uint32_t>(total - t.outer_udp);
		const uint32_t body = sum_words(u + udp_len, size_t(payload.data() + sig - (u + udp_len)));
		const uint16_t c = static_cast<uint16_t>(~fold_sum(uint64_t(t.outer_udp_sum) + 2u * len + body));
		store_be16(u + 6, c == 0 ? 0xFFFF : c);
	}
	return total;
}

} // namespace l2tpx::gen::dpdk
