// IPv6 Neighbor Discovery on a PPP link (RFC 4861, RFC 5072 §5, RDNSS RFC 8106): the
// packets an LNS exchanges with a subscriber once IPv6CP is open. Router Advertisements are
// built; Router and Neighbor Solicitations are parsed and validated (RFC 4861 §6.1.1,
// §7.1.1); Neighbor Advertisements answer solicitations for our link-local address.
//
// Every buffer is a whole IPv6 packet (the information field of a PPP 0x0057 frame). PPP has
// no link-layer addresses, so no Source/Target Link-Layer Address option is ever sent.
//
//   IPv6 header (40)         ICMPv6 Router Advertisement (type 134)
//   +-+-+-+-+-+-+-+-+-+-+    +--------+--------+-----------------+
//   |6| TC |  flow      |    |  134   |   0    |    checksum     |
//   | payload len | 58 |255  | cur hop| M O 0..|  router lifetime|
//   | source (fe80::iid) |   |          reachable time           |
//   | dest (ff02::1)     |   |          retrans timer            |
//   +-+-+-+-+-+-+-+-+-+-+    | options: MTU(5) Prefix Info(3) RDNSS(25) |
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shared/base/result.hpp"

namespace l2tpx::cp::nd {

using ipv6_bytes = std::array<uint8_t, 16>;

struct ipv6_prefix {
	ipv6_bytes addr{}; // host bits zero
	uint8_t length = 0; // 0 = none
	constexpr auto operator<=>(const ipv6_prefix &) const = default;
};

inline constexpr size_t ipv6_header_len = 40;
inline constexpr uint8_t icmpv6_next_header = 58;
inline constexpr uint8_t nd_hop_limit = 255;

namespace icmp_type {
inline constexpr uint8_t router_solicitation = 133;
inline constexpr uint8_t router_advertisement = 134;
inline constexpr uint8_t neighbor_solicitation = 135;
inline constexpr uint8_t neighbor_advertisement = 136;
} // namespace icmp_type

namespace option {
inline constexpr uint8_t source_lladdr = 1;
inline constexpr uint8_t target_lladdr = 2;
inline constexpr uint8_t prefix_information = 3;
inline constexpr uint8_t mtu = 5;
inline constexpr uint8_t rdnss = 25;
} // namespace option

// fe80::<iid>
ipv6_bytes link_local(uint64_t iid) noexcept;
// ff02::1 (all nodes), ff02::2 (all routers)
ipv6_bytes all_nodes() noexcept;
ipv6_bytes all_routers() noexcept;
bool is_link_local(const ipv6_bytes &a) noexcept;
bool is_multicast(const ipv6_bytes &a) noexcept;
bool is_unspecified(const ipv6_bytes &a) noexcept;
// ff02::1:ffXX:XXXX for `a` (RFC 4291 §2.7.1).
ipv6_bytes solicited_node(const ipv6_bytes &a) noexcept;
// RFC 5952 text (for logs and l2tpxctl): "2001:db8::/64".
std::string to_string(const ipv6_bytes &a);
std::string to_string(const ipv6_prefix &p);
// "2001:db8::1" (inet_pton rules); false on anything else.
bool parse_ipv6(std::string_view s, ipv6_bytes &out) noexcept;

// ICMPv6 checksum (RFC 4443 §2.3) over the pseudo-header and `icmp` with its checksum field
// as it is: 0 when `icmp` carries a correct checksum, the value to store when it holds 0.
uint16_t icmpv6_checksum(const ipv6_bytes &src, const ipv6_bytes &dst, std::span<const uint8_t> icmp) noexcept;

struct ra_params {
	ipv6_bytes source{};                 // our link-local address
	ipv6_bytes destination{};            // ff02::1, or the soliciting host
	uint8_t cur_hop_limit = 64;
	bool managed = false, other = false; // M, O: no DHCPv6 here
	uint16_t router_lifetime_s = 1800;   // 0: not a default router
	uint32_t reachable_time_ms = 0;      // 0: unspecified
	uint32_t retrans_timer_ms = 0;
	uint32_t mtu = 0;                    // MTU option; 0 = none
	ipv6_prefix prefix;                  // Prefix Information (length 0 = none)
	bool on_link = false;                // L flag
	bool autonomous = true;              // A flag
	uint32_t valid_lifetime_s = 2592000;
	uint32_t preferred_lifetime_s = 604800;
	std::span<const ipv6_bytes> dns;     // RDNSS (RFC 8106), at most 8 addresses
	uint32_t dns_lifetime_s = 0;
};

// Writes the whole IPv6 packet; returns its length, 0 when `out` is too small or the
// parameters are out of range (more than 8 DNS servers, prefix longer than 128).
size_t build_ra(std::span<uint8_t> out, const ra_params &p) noexcept;
// Neighbor Advertisement for `target` (RFC 4861 §7.2.4): R set (we are a router), S and O as
// given, no Target Link-Layer Address option (PPP).
size_t build_na(std::span<uint8_t> out, const ipv6_bytes &src, const ipv6_bytes &dst, const ipv6_bytes &target,
                bool solicited, bool override_flag) noexcept;

#define L2TPX_CP_ND_ERRORS(X)                                                                    \
	X(truncated)           /* shorter than its headers or its payload length */             \
	X(not_ipv6)            /* version field is not 6 */                                     \
	X(not_icmpv6)          /* next header is not ICMPv6 (extension headers included) */     \
	X(not_nd)              /* an ICMPv6 type other than RS / NS / RA / NA */                \
	X(bad_hop_limit)       /* ND requires 255 (off-link forgery, RFC 4861 §6.1.1) */         \
	X(bad_code)            /* ICMP code is not 0 */                                         \
	X(bad_checksum)                                                                         \
	X(bad_option)          /* an option with length 0 or past the end */                    \
	X(bad_target)          /* NS target is multicast */                                     \
	X(bad_source)          /* unspecified source with a link-layer option, or not allowed */

enum class nd_error : uint8_t {
#define X(n) n,
	L2TPX_CP_ND_ERRORS(X)
#undef X
};
inline constexpr unsigned nd_error_count = 0
#define X(n) +1
	L2TPX_CP_ND_ERRORS(X)
#undef X
	;
std::string_view to_string(nd_error e) noexcept;

// A validated RS, NS, RA or NA.
struct nd_message {
	uint8_t type = 0;
	ipv6_bytes source{}, destination{};
	ipv6_bytes target{};          // NS, NA
	uint16_t router_lifetime_s = 0; // RA
};

// Parses and validates an IPv6 packet carrying Neighbor Discovery (RFC 4861 §6.1.1 for RS,
// §7.1.1 for NS; RA and NA: hop limit, code, checksum, length, options).
result<nd_message, nd_error> parse_nd(std::span<const uint8_t> packet) noexcept;

} // namespace l2tpx::cp::nd
