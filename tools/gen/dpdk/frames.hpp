// The generator's frames, on plain byte spans (no DPDK, unit tested): ARP, the UDP/IPv4/
// Ethernet wrapping of control datagrams, the classification of received frames, and the
// per-session TX templates from which every traffic packet is built.
//
// Upstream (access port): Ethernet | IPv4 | UDP (LAC port -> LNS port) | L2TPv2 data
// header (T=0, L=0, S optional) | PPP FF 03 00 21 | inner IPv4 | UDP | signature | zeros.
// Downstream (core port):  Ethernet | IPv4 (core address -> subscriber) | UDP | signature.
// Frame sizes are those of the inner packet as an Ethernet frame with FCS (docs/generator.md):
// inner IPv4 total length = frame size - 18.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "shared/base/byteorder.hpp"
#include "tools/gen/dpdk/gen_config.hpp"
#include "tools/gen/traffic/payload.hpp"

namespace l2tpx::gen::dpdk {

inline constexpr uint16_t ethertype_ipv4 = 0x0800;
inline constexpr uint16_t ethertype_arp = 0x0806;
inline constexpr uint16_t ethertype_vlan = 0x8100;
inline constexpr size_t eth_len = 14;
inline constexpr size_t ipv4_len = 20;
inline constexpr size_t udp_len = 8;
inline constexpr size_t ppp_len = 4; // FF 03 + protocol
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

enum class rx_kind : uint8_t {
	other,        // not for us: counted
	arp,
	l2tp_control, // a control message, or a PPP frame that is not IPv4 (LCP, IPCP, ...)
	measured,     // a traffic packet: payload = inner UDP payload
};

struct rx_frame {
	rx_kind kind = rx_kind::other;
	uint32_t src_ip = 0, dst_ip = 0;     // outer IPv4 (host order)
	uint16_t src_port = 0, dst_port = 0; // outer UDP
	std::span<const uint8_t> l2tp;        // l2tp_control: the UDP payload (the L2TP message)
	std::span<const uint8_t> payload;     // measured: inner UDP payload
	uint32_t frame_bytes = 0;            // measured: inner packet as an Ethernet frame with FCS
};

// Access port: ARP; UDP to l2tp_port carrying L2TPv2 (control, PPP control, PPP IPv4 with
// an inner UDP datagram to traffic_port).
rx_frame classify_access(std::span<const uint8_t> frame, uint16_t l2tp_port, uint16_t traffic_port) noexcept;
// Core port: ARP; IPv4/UDP to traffic_port.
rx_frame classify_core(std::span<const uint8_t> frame, uint16_t traffic_port) noexcept;

// A per-session TX template: the headers up to the inner UDP header, with the fixed parts
// of the checksums summed once.
struct tx_template {
	std::array<uint8_t, 80> bytes{};
	uint16_t inner_ip = 0;  // offset of the inner IPv4 header
	uint16_t outer_ip = 0;  // offset of the outer IPv4 header (upstream); 0 = none
	uint16_t ns_offset = 0; // offset of L2TP Ns (data sequencing); 0 = none
	uint16_t ns = 0;        // next Ns
	uint32_t inner_udp_sum = 0; // pseudo header without length + ports
	uint32_t outer_ip_sum = 0;  // the outer IPv4 header's words, length and checksum 0
	uint32_t inner_ip_sum = 0;  // the inner IPv4 header's words, length and checksum 0
};

struct upstream_params {
	mac lns_mac{}, lac_mac{};
	uint32_t lac_ip = 0, lns_ip = 0;
	uint16_t lac_port = 1701, lns_port = 1701;
	uint16_t tunnel = 0, session = 0; // the LNS's IDs (peer IDs)
	bool data_sequence = false;
	uint32_t subscriber_ip = 0, core_ip = 0;
	uint16_t traffic_port = 9000;
};
tx_template build_upstream_template(const upstream_params &p) noexcept;

struct downstream_params {
	mac next_hop_mac{}, core_mac{};
	uint32_t core_ip = 0, subscriber_ip = 0;
	uint16_t traffic_port = 9000;
};
tx_template build_downstream_template(const downstream_params &p) noexcept;

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
	if (out.size() < total || inner_len < ipv4_len + udp_len + signature_short_size)
		return 0;
	uint8_t *p = out.data();
	std::memcpy(p, t.bytes.data(), size_t(t.inner_ip) + ipv4_len + udp_len);
	if (t.outer_ip) {
		uint8_t *o = p + t.outer_ip;
		const uint16_t olen = static_cast<uint16_t>(total - t.outer_ip);
		store_be16(o + 2, olen);
		store_be16(o + 10, static_cast<uint16_t>(~fold_sum(uint64_t(t.outer_ip_sum) + olen)));
		store_be16(o + ipv4_len + 4, static_cast<uint16_t>(total - t.outer_ip - ipv4_len));
		if (t.ns_offset)
			store_be16(p + t.ns_offset, t.ns++);
	}
	uint8_t *ip = p + t.inner_ip;
	store_be16(ip + 2, static_cast<uint16_t>(inner_len));
	store_be16(ip + 10, static_cast<uint16_t>(~fold_sum(uint64_t(t.inner_ip_sum) + inner_len)));
	uint8_t *udp = ip + ipv4_len;
	const uint16_t ulen = static_cast<uint16_t>(inner_len - ipv4_len);
	store_be16(udp + 4, ulen);
	uint16_t sum = static_cast<uint16_t>(~fold_sum(uint64_t(t.inner_udp_sum) + 2u * ulen));
	store_be16(udp + 6, sum == 0 ? 0xFFFF : sum);
	const std::span<uint8_t> payload(udp + udp_len, ulen - udp_len);
	const size_t sig = write_signature(payload, stream, seq, tx_ts);
	std::memset(payload.data() + sig, 0, payload.size() - sig);
	return total;
}

} // namespace l2tpx::gen::dpdk
