// Worker-visible session and tunnel records. DPDK-free, trivially copyable, so the table
// writer (dpruntime), the control plane and tests can build them.
//
// Table contract (read by the workers without locks):
//  - sessions[] is an array of `capacity` records, capacity a power of two, mask = capacity-1.
//  - Session IDs are chosen by us (the LNS/LCCE), so records are indexed directly:
//      L2TPv2: index = ((local_tunnel_id << 16) | local_session_id) & mask
//      L2TPv3: index = local_session_id & mask
//    The control plane picks IDs whose index is free. The record's IDs are always verified,
//    so a packet whose IDs alias another session's slot is "unknown_session", never misrouted.
//  - The single writer never edits a record that is `up`: it sets state=down, waits for an
//    RCU grace period (rte_rcu_qsbr), rewrites, bumps `generation`, resets session_seq and
//    sets state=up with release order. Workers read `state` with acquire order first.
//  - Downstream routes (rte_lpm / rte_lpm6) map subscriber prefixes to session indexes.
//  - Mutable per-packet state lives outside the record: session_seq (shared, atomics) and
//    session_stats (one array per lcore), both indexed by the session index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace l2tpx::dp {

enum class session_state : uint8_t {
	free = 0, // slot unused
	down = 1, // being installed or torn down: packets are unknown_session
	up = 2,
};

// Outer encapsulation, fixed per session.
enum class encap_kind : uint8_t {
	v2_udp4, // L2TPv2 / UDP / IPv4
	v2_udp6, // L2TPv2 / UDP / IPv6
	v3_udp4, // L2TPv3 / UDP / IPv4
	v3_udp6, // L2TPv3 / UDP / IPv6
	v3_ip4,  // L2TPv3 / IP proto 115 / IPv4
	v3_ip6,  // L2TPv3 / IP proto 115 / IPv6
};
constexpr bool is_v3(encap_kind k) noexcept { return k >= encap_kind::v3_udp4; }
constexpr bool is_ipv6(encap_kind k) noexcept {
	return k == encap_kind::v2_udp6 || k == encap_kind::v3_udp6 || k == encap_kind::v3_ip6;
}
constexpr bool is_udp(encap_kind k) noexcept { return k != encap_kind::v3_ip4 && k != encap_kind::v3_ip6; }

// What the session carries.
enum class pw_type : uint8_t {
	ppp,      // PPP (L2TPv2, or L2TPv3 PW type 0x0007): IP routed to/from the core
	eth,      // L2TPv3 Ethernet PW (0x0005): whole attachment port <-> session
	eth_vlan, // L2TPv3 Ethernet VLAN PW (0x0004): attachment port + VLAN <-> session, tag kept
};

// session::flags
namespace session_flag {
inline constexpr uint8_t send_seq = 0x01;    // put Ns (v2) / L2SS S+seq (v3) on sent packets
inline constexpr uint8_t require_seq = 0x02; // drop received data without sequence numbers
inline constexpr uint8_t l2ss = 0x04;        // v3: default L2-specific sublayer present (4 bytes)
inline constexpr uint8_t check_seq = 0x08;   // drop received packets whose Ns goes backwards
inline constexpr uint8_t check_source = 0x10;// drop upstream whose source does not route back to the session
inline constexpr uint8_t control_only = 0x20;// call being set up: PPP control punted, no data forwarded
} // namespace session_flag

// session::rx_fast: receive layouts the fast path (fast_path.hpp) may handle for this
// session; derived by build_session() from the fields above, never set by hand.
namespace rx_fast {
inline constexpr uint8_t v2 = 0x01;       // L2TPv2 over UDP/IPv4, PPP
inline constexpr uint8_t v2_noseq = 0x02; // ... and data without Ns is accepted (no require_seq)
inline constexpr uint8_t v3 = 0x04;       // L2TPv3 over UDP/IPv4, PPP, no L2-specific sublayer
} // namespace rx_fast

inline constexpr size_t max_template = 96; // Eth + 2 VLAN + IPv6 + UDP + v3 hdr/cookie/L2SS + FF03 + proto
inline constexpr uint32_t no_session = UINT32_MAX;

// session::tx_lean bits above the template length and the version (bits 8..9).
namespace tx_lean_flag {
inline constexpr uint16_t l2tp_len = 0x0400; // L2TPv2 Length field present (layout.l2tp_len_off)
inline constexpr uint16_t mss = 0x0800;      // MSS clamp on (mss_clamp != 0)
} // namespace tx_lean_flag

// Offsets (into tmpl) of fields patched per packet; 0 means "absent" for optional ones
// (no field can live at offset 0: the Ethernet header is there).
struct template_layout {
	uint8_t len;           // bytes of tmpl prepended to each packet
	uint8_t ip_off;        // outer IPv4/IPv6 header
	uint8_t udp_off;       // UDP header; 0 for L2TPv3 over IP
	uint8_t l2tp_off;      // first byte of the L2TP header
	uint8_t l2tp_len_off;  // L2TPv2 Length field (L bit set); 0 = absent
	uint8_t seq_off;       // L2TPv2 Ns field, or L2TPv3 L2SS word; 0 = absent
	uint8_t ppp_proto_off; // 2-byte PPP protocol field (PPP PW); 0 for Ethernet PWs
	uint8_t tx_hlen;       // derived for the core ports' lean encapsulation (fast_core.hpp):
	                       // len - 14 when the template has the lean form (PPP, UDP over
	                       // untagged IPv4, no sequence number to write, at most
	                       // max_lean_template = 62 bytes),
	                       // so that an inner IPv4 packet of total length T becomes an outer
	                       // one of total length T + tx_hlen; 0: encap_session() only
	uint16_t ip_csum_base; // IPv4: one's-complement sum of the header with total length 0
	                       // and checksum 0 (host order); add the length, fold, invert
};
static_assert(sizeof(template_layout) == 10);

// The record the workers read. Line 0: everything the receive path checks.
// Lines 1-2: the transmit template (a lean one, at most max_lean_template bytes, in line 1
// with its checksum base) and its layout.
struct alignas(64) session {
	uint32_t generation;       // bumped by the writer each time the slot is (re)installed
	session_state state;       // read first, with acquire order
	uint8_t rx_fast;           // rx_fast::* : which fast-path receive layouts apply (derived);
	                           // beside state: the lean receive path reads both in one load
	uint8_t version;           // 2 or 3
	encap_kind encap;
	uint32_t local_tunnel_id;  // v2 Tunnel ID (16 bits) we assigned / v3 local CCID
	uint32_t local_session_id; // v2 Session ID (16 bits) / v3 Session ID we assigned
	uint32_t peer_tunnel_id;   // v2 peer Tunnel ID / v3 peer CCID
	uint32_t peer_session_id;  // put in sent packets
	uint32_t tunnel_index;     // index in tables_view::tunnels
	uint32_t subscriber_v4;    // subscriber IPv4 (host order), 0 = none
	uint8_t flags;             // session_flag::*
	uint8_t rx_cookie_len;     // 0, 4 or 8
	uint8_t tx_cookie_len;     // 0, 4 or 8 (the bytes themselves are in tmpl)
	pw_type pw;
	uint16_t mss_clamp;        // TCP MSS ceiling for PPP subscribers (IPv4 value); 0 = off
	uint16_t reorder_timeout_ms; // sequenced data: out-of-order packets wait this long in the
	                             // worker's reorder buffer (reorder.hpp); 0 = dropped at once
	uint16_t egress_port;      // access port the template's Ethernet header belongs to
	uint16_t attach_port;      // Ethernet PWs: attachment port
	uint16_t attach_vlan;      // eth_vlan PWs: VLAN ID on the attachment port
	uint16_t tx_lean;          // derived: the core ports' lean encapsulation (fast_core.hpp), 0
	                           // when the template is not of the lean form, else
	                           // layout.tx_hlen | version << 8 | tx_lean_flag::* ; with
	                           // egress_port, attach_port and attach_vlan it forms the 64-bit
	                           // key the lean tier caches its per-run values under
	uint8_t rx_cookie[8];      // expected cookie on received packets
	uint32_t peer_v4;          // IPv4 encaps: the peer's address as in the template (network
	                           // order bytes), so the receive path's source check stays in line 0
	uint32_t rx_key;           // the received ID word in memory order: v2 Tunnel ID + Session ID
	                           // (bytes 2..5 of a header without Length), v3 Session ID (derived)
	// --- line 1 ---
	uint16_t tx_csum_base;      // ~layout.ip_csum_base (IPv4), next to the template: the lean
	                            // encapsulation (fast_core.hpp) reads lines 0 and 1 only
	uint8_t tmpl[max_template]; // Ethernet + IP + UDP + L2TP (+cookie, +L2SS) (+FF03) + PPP proto
	// --- line 2 ---
	template_layout layout;
};
static_assert(std::is_trivially_copyable_v<session>);
static_assert(sizeof(session) <= 192, "worker-visible session record must fit 3 cache lines");
static_assert(offsetof(session, tx_csum_base) == 64, "receive fields in line 0, template after");
static_assert(offsetof(session, rx_fast) == offsetof(session, state) + 1, "one 16-bit load reads both");
inline constexpr size_t max_lean_template = 128 - 66; // a lean template ends in line 1
static_assert(offsetof(session, tmpl) + max_lean_template == 128);
static_assert(offsetof(session, tx_lean) == offsetof(session, egress_port) + 6 &&
                  offsetof(session, egress_port) % 8 == 0,
              "the lean tier's key: one aligned 64-bit word from egress_port to tx_lean");

// L2TP tunnel (control connection) as the dataplane knows it: enough to attribute punts
// and to answer for it; the workers only read it for punt metadata.
struct alignas(64) tunnel {
	uint32_t generation;
	session_state state;
	uint8_t version;  // 2 or 3
	uint8_t family;   // 4 or 6
	uint8_t reserved0;
	uint32_t local_tunnel_id;
	uint32_t peer_tunnel_id;
	uint16_t local_udp_port; // 0 for L2TPv3 over IP
	uint16_t peer_udp_port;
	uint16_t port;           // access port
	uint16_t reserved1;
	uint8_t local_addr[16];  // network order; IPv4 in the first 4 bytes
	uint8_t peer_addr[16];
};
static_assert(std::is_trivially_copyable_v<tunnel>);
static_assert(sizeof(tunnel) == 64);

// Sequence state, shared by the workers (accessed with std::atomic_ref, relaxed).
// The writer zeroes it when it installs a session.
struct alignas(16) session_seq {
	uint32_t tx_next;  // next Ns to send (16 bits used in v2, 24 in v3)
	uint32_t rx_next;  // next Ns expected
	uint32_t rx_valid; // 0 until the first sequenced packet is received
	uint32_t reserved; // reorder buffer attached (reorder.hpp): owner worker + slot; 0 = none
};
static_assert(sizeof(session_seq) == 16);

// Per-session counters: one array per lcore, summed on read.
struct session_stats {
	uint64_t rx_packets; // received from the peer (decapsulated)
	uint64_t rx_bytes;   // inner bytes (PPP payload or Ethernet frame)
	uint64_t tx_packets; // sent to the peer (encapsulated)
	uint64_t tx_bytes;   // inner bytes
};
static_assert(sizeof(session_stats) == 32);

} // namespace l2tpx::dp
