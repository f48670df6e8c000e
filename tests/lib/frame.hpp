// Test helper: find the L2TP bytes inside a captured frame (Ethernet with 802.1Q/802.1ad
// tags, Linux cooked capture or raw IP; IPv4 or IPv6; UDP or L2TPv3-over-IP), and build
// Ethernet/IP/UDP frames around an L2TP payload with correct lengths and checksums.
// This is a test helper, not the dataplane's classifier: it favours clarity over speed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "shared/base/result.hpp"
#include "tests/lib/pcap_file.hpp"

namespace l2tpx::testlib {

inline constexpr uint16_t l2tp_udp_port = 1701;
inline constexpr uint8_t ip_proto_udp = 17;
inline constexpr uint8_t ip_proto_l2tp = 115; // L2TPv3 directly over IP (RFC 3931 4.1.1)

#define L2TPX_FRAME_ERRORS(X)                                                                          \
	X(truncated)           /* a header runs past the end of the captured bytes */                   \
	X(unsupported_linktype) /* not Ethernet, Linux cooked or raw IP */                               \
	X(not_ip)              /* the link layer does not carry IPv4 or IPv6 */                           \
	X(bad_ip_header)       /* IP version, header length or total length is inconsistent */          \
	X(ip_fragment)         /* a fragment: the L2TP header is not (all) in this frame */             \
	X(not_l2tp)            /* neither UDP nor IP protocol 115 */                                      \
	X(wrong_port)          /* UDP, but neither port is the L2TP port asked for */                    \
	X(bad_udp_length)      /* the UDP length field disagrees with the IP payload */

enum class frame_error : uint8_t {
#define X(name) name,
	L2TPX_FRAME_ERRORS(X)
#undef X
};

const char *to_string(frame_error err) noexcept;

struct l2tp_location {
	size_t offset = 0;           // first byte of the L2TP header within the frame
	size_t length = 0;           // L2TP bytes (UDP payload, or IP payload for L2TPv3/IP)
	uint8_t ip_version = 0;      // 4 or 6
	bool over_udp = true;        // false: L2TPv3 over IP protocol 115
	uint16_t src_port = 0;       // UDP ports (0 for L2TPv3/IP)
	uint16_t dst_port = 0;
	std::array<uint8_t, 16> src{}; // IPv4 addresses use the first 4 bytes
	std::array<uint8_t, 16> dst{};

	std::span<const uint8_t> payload(std::span<const uint8_t> frame) const noexcept {
		return frame.subspan(offset, length);
	}
};

// Locates the L2TP payload. With udp_port 0 any UDP port is accepted.
result<l2tp_location, frame_error> locate_l2tp(std::span<const uint8_t> frame, int linktype = linktype_ethernet,
                                               uint16_t udp_port = l2tp_udp_port);

// Addresses of a frame to build. IPv4 addresses use the first 4 bytes of src_ip/dst_ip.
struct frame_endpoints {
	std::array<uint8_t, 6> src_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	std::array<uint8_t, 6> dst_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
	std::array<uint8_t, 16> src_ip{198, 18, 0, 1};
	std::array<uint8_t, 16> dst_ip{198, 18, 0, 2};
	uint16_t src_port = l2tp_udp_port;
	uint16_t dst_port = l2tp_udp_port;
	uint16_t vlan = 0; // 802.1Q tag when non-zero (VLAN ID, 1..4094)
};

// Ethernet [+ 802.1Q] + IPv4 (TTL 64, DF, no options) + UDP with a valid checksum.
std::vector<uint8_t> build_udp4_frame(const frame_endpoints &ep, std::span<const uint8_t> payload);
// Ethernet [+ 802.1Q] + IPv6 (hop limit 64) + UDP with a valid checksum.
std::vector<uint8_t> build_udp6_frame(const frame_endpoints &ep, std::span<const uint8_t> payload);
// Ethernet [+ 802.1Q] + IPv4 protocol 115 (L2TPv3 over IP, no UDP).
std::vector<uint8_t> build_l2tpip4_frame(const frame_endpoints &ep, std::span<const uint8_t> payload);

// The Internet checksum (RFC 1071) of data, starting from a partial sum.
uint16_t inet_checksum(std::span<const uint8_t> data, uint32_t sum = 0) noexcept;

} // namespace l2tpx::testlib
