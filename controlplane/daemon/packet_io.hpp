// Pure packet handling between the rings and the protocol library, without DPDK: reading a
// punted frame (punt_meta + Ethernet frame) into the L2TP datagram and its UDP endpoints,
// and building the frame to inject for a datagram the library sends (IPv4/IPv6 + UDP with
// checksums, behind the Ethernet header learned from the peer's last punted frame).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "controlplane/core/ip.hpp"
#include "shared/base/result.hpp"
#include "shared/ring/packet_meta.hpp"

namespace l2tpx::cp::daemon {

#define L2TPX_CPD_PUNT_ERRORS(X)                                                                 \
	X(too_short, "shorter than its metadata")                                                  \
	X(bad_meta, "wrong magic or version")                                                      \
	X(bad_offsets, "offsets outside the frame or out of order")                                \
	X(not_udp, "not L2TP over UDP (L2TPv3 over IP)")                                            \
	X(bad_ip, "outer IP header inconsistent")                                                  \
	X(bad_udp, "UDP length inconsistent")                                                      \
	X(unsupported_version, "not L2TPv2")

enum class punt_error : uint8_t {
#define X(n, d) n,
	L2TPX_CPD_PUNT_ERRORS(X)
#undef X
};
inline constexpr unsigned punt_error_count = 0
#define X(n, d) +1
	L2TPX_CPD_PUNT_ERRORS(X)
#undef X
	;
std::string_view to_string(punt_error e) noexcept;

// A punted L2TP datagram, pointing into the frame.
struct punted_datagram {
	ring::punt_meta meta;
	udp_endpoint from;                 // the peer
	udp_endpoint to;                   // our address the peer sent to
	std::span<const uint8_t> datagram; // the UDP payload: the L2TP message
	std::span<const uint8_t> l2;       // the Ethernet header (with VLAN tags) as received
};

// `data`: what the punt mbuf holds, punt_meta first.
result<punted_datagram, punt_error> parse_punt(std::span<const uint8_t> data) noexcept;

// How to reach a peer on the wire: learned from its frames.
struct l2_route {
	uint16_t port = 0;
	uint16_t l2_len = 0;                 // 14, 18 (one VLAN tag) or 22 (two)
	std::array<uint8_t, 22> header{};    // Ethernet header to prepend, MACs already swapped
};
l2_route l2_route_from(const punted_datagram &p) noexcept;

inline constexpr size_t max_ip_header = 40;
inline constexpr size_t udp_header = 8;

// Writes IP + UDP + payload into `out`; returns the bytes written, 0 if `out` is too small,
// the payload too long, or the endpoints' families differ.
size_t build_udp_packet(const udp_endpoint &from, const udp_endpoint &to, std::span<const uint8_t> payload,
                        std::span<uint8_t> out, uint16_t ip_id) noexcept;

} // namespace l2tpx::cp::daemon
