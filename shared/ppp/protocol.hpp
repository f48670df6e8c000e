// PPP protocol numbers (IANA "PPP DLL Protocol Numbers", RFC 1661 §2).
#pragma once

#include <cstdint>

namespace l2tpx::ppp {

namespace proto {
// Network layer (0x0xxx-0x3xxx)
inline constexpr uint16_t ipv4 = 0x0021;
inline constexpr uint16_t vj_compressed = 0x002d;   // Van Jacobson compressed TCP/IP
inline constexpr uint16_t vj_uncompressed = 0x002f; // Van Jacobson uncompressed TCP/IP
inline constexpr uint16_t multilink = 0x003d;       // RFC 1990
inline constexpr uint16_t ipv6 = 0x0057;
inline constexpr uint16_t compressed = 0x00fd;      // CCP-compressed datagram
inline constexpr uint16_t mpls_unicast = 0x0281;
inline constexpr uint16_t mpls_multicast = 0x0283;
// Network control (0x8xxx-0xbxxx)
inline constexpr uint16_t ipcp = 0x8021;
inline constexpr uint16_t ecp = 0x8053;
inline constexpr uint16_t ipv6cp = 0x8057;
inline constexpr uint16_t ccp = 0x80fd;
inline constexpr uint16_t mplscp = 0x8281;
// Link control (0xcxxx-0xfxxx)
inline constexpr uint16_t lcp = 0xc021;
inline constexpr uint16_t pap = 0xc023;
inline constexpr uint16_t lqr = 0xc025; // Link Quality Report
inline constexpr uint16_t bacp = 0xc02b;
inline constexpr uint16_t bap = 0xc02d;
inline constexpr uint16_t chap = 0xc223;
inline constexpr uint16_t eap = 0xc227;
} // namespace proto

// RFC 1661 §2: protocol values are odd (low bit of the low octet is 1) and the low bit of the
// high octet is 0.
constexpr bool is_valid_protocol(uint16_t p) noexcept { return (p & 0x0101) == 0x0001; }
// Network-layer datagrams (0x0xxx-0x3xxx), as opposed to control protocols.
constexpr bool is_network_layer(uint16_t p) noexcept { return p < 0x4000; }
// Network control protocols (0x8xxx-0xbxxx): a Protocol-Reject is expected when unsupported.
constexpr bool is_network_control(uint16_t p) noexcept { return p >= 0x8000 && p < 0xc000; }
// Link-layer control protocols (0xcxxx-0xfxxx): LCP, authentication, LQR.
constexpr bool is_link_control(uint16_t p) noexcept { return p >= 0xc000; }

// "lcp", "ipv4", ...; nullptr for a value not in the list above.
const char *protocol_name(uint16_t p) noexcept;

} // namespace l2tpx::ppp
