// Messages exchanged between l2tpx-controlplane and l2tpx-dataplane through the named
// rte_rings the dataplane creates (ring_names.hpp). DPDK-free: the control plane builds and
// reads them without mbuf knowledge; tests and tools too.
//
// command ring (control plane -> dataplane): `command`, 256 bytes, copied by value
//   (rte_ring_create_elem with esize = sizeof(command); multi-producer, single consumer).
// event ring (dataplane -> control plane): `event`, 256 bytes, copied by value. Every
//   command gets exactly one completion (status ok or an error) with the command's seq,
//   except dump_sessions, which sends one session_entry per session then its completion.
//   Unsolicited events (ready, session_counters from a periodic export) carry seq 0.
//
// Every message starts with a header holding abi_version; a receiver drops (and counts)
// messages whose version it does not know. Fields are host byte order unless named *_be
// or holding raw address bytes (addresses are always network order bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace l2tpx::ring {

inline constexpr uint16_t abi_version = 1;

// An IPv4 or IPv6 address; IPv4 in bytes[0..3]. Network order.
struct ip_addr {
	uint8_t family;   // 4 or 6; 0 = none
	uint8_t reserved[3];
	uint8_t bytes[16];
};
static_assert(sizeof(ip_addr) == 20);

struct ipv4_prefix {
	uint8_t addr[4];  // network order
	uint8_t length;   // 0..32
	uint8_t reserved[3];
};
static_assert(sizeof(ipv4_prefix) == 8);

struct ipv6_prefix {
	uint8_t addr[16];
	uint8_t length;   // 0..128
	uint8_t reserved[3];
};
static_assert(sizeof(ipv6_prefix) == 20);

#define L2TPX_RING_COMMANDS(X)                                                                     \
	X(nop, "does nothing; answered with ok (liveness probe)")                                      \
	X(hello, "control plane attached; answered with a ready event, then ok")                                \
	X(add_tunnel, "install a tunnel (control connection) record")                                  \
	X(modify_tunnel, "change a tunnel's peer address/port")                                        \
	X(remove_tunnel, "remove a tunnel; its sessions must be removed first")                        \
	X(add_session, "install a session with its routes")                                            \
	X(modify_session, "replace a session's parameters (same local IDs)")                           \
	X(remove_session, "remove a session and its routes; final session_counters, then ok")                                           \
	X(add_neighbour, "static ARP/ND entry")                                                        \
	X(remove_neighbour, "remove a static ARP/ND entry")                                            \
	X(add_route, "extra subscriber prefix for an installed session")                              \
	X(remove_route, "remove a subscriber prefix")                                                  \
	X(get_session_counters, "one session_counters event for a session")                           \
	X(dump_sessions, "one session_entry event per installed session, then ok")                    \
	X(flush_sessions, "remove every managed session and tunnel (control plane restart)")

enum class command_type : uint16_t {
#define L2TPX_X(name, desc) name,
	L2TPX_RING_COMMANDS(L2TPX_X)
#undef L2TPX_X
};

#define L2TPX_RING_STATUS(X)                                                                       \
	X(ok, "done")                                                                                  \
	X(bad_version, "unknown abi_version")                                                          \
	X(bad_command, "unknown command type")                                                         \
	X(bad_argument, "a field is out of range or inconsistent")                                    \
	X(exists, "already installed")                                                                 \
	X(not_found, "no such tunnel/session/neighbour/route")                                         \
	X(index_busy, "the slot for these IDs is used by another session or still in grace period")   \
	X(table_full, "no room in the table")                                                          \
	X(no_port, "port index unknown or of the wrong role")                                          \
	X(in_use, "still referenced (tunnel with sessions)")                                           \
	X(internal, "dataplane error (see its log)")

enum class status : uint16_t {
#define L2TPX_X(name, desc) name,
	L2TPX_RING_STATUS(L2TPX_X)
#undef L2TPX_X
};

const char *to_string(command_type t) noexcept;
const char *to_string(status s) noexcept;

struct header {
	uint16_t version; // abi_version
	uint16_t type;    // command_type or event_type
	uint32_t seq;     // chosen by the control plane; echoed in the completion
};
static_assert(sizeof(header) == 8);

enum class encap : uint8_t { udp = 0, ip = 1 }; // L2TPv3 over IP: encap::ip
enum class pw : uint8_t { ppp = 0, eth = 1, eth_vlan = 2 };

// session_params::flags
namespace session_flag {
inline constexpr uint8_t send_seq = 0x01;     // put sequence numbers on sent data
inline constexpr uint8_t require_seq = 0x02;  // drop received data without them
inline constexpr uint8_t l2ss = 0x04;         // L2TPv3 default L2-specific sublayer
inline constexpr uint8_t check_source = 0x08; // drop upstream IPv4 not from the subscriber
// The session exists for its PPP control frames only (installed when the call is answered,
// before the NCPs open): the dataplane punts PPP control as usual but forwards no upstream
// IPv4 or IPv6 data (link-scope IPv6 is punted as usual). Cleared by modify_session once
// the subscriber is up. A dataplane that does not know the bit ignores it; the control
// plane then still sets check_source with subscriber 0.0.0.0, which blocks IPv4 only.
inline constexpr uint8_t control_only = 0x10;
} // namespace session_flag

// add_tunnel / modify_tunnel / remove_tunnel (remove uses version + local_tunnel_id only).
struct tunnel_params {
	uint8_t version;          // 2 or 3
	encap enc;
	uint16_t port;            // DPDK port index of the access port
	uint32_t local_tunnel_id; // v2: 16 bits; v3: local control connection ID
	uint32_t peer_tunnel_id;
	uint16_t local_udp_port;  // 0 for encap::ip
	uint16_t peer_udp_port;
	ip_addr local;
	ip_addr peer;
};
static_assert(sizeof(tunnel_params) == 56);

inline constexpr size_t max_framed_routes = 8;

// add_session / modify_session / remove_session (remove needs version and the local IDs).
// The dataplane stores the session at index ((tunnel << 16 | session) & mask) for v2 and
// (session & mask) for v3, mask = capacity - 1 (see the ready event); the control plane
// picks IDs whose slot is free, else it gets status::index_busy.
struct session_params {
	uint8_t version;           // 2 or 3
	encap enc;
	pw pw_type;
	uint8_t flags;             // session_flag::*
	uint32_t local_tunnel_id;
	uint32_t local_session_id;
	uint32_t peer_tunnel_id;
	uint32_t peer_session_id;
	uint16_t access_port;      // DPDK port the tunnel runs on
	uint16_t attach_port;      // Ethernet PWs: attachment port
	uint16_t attach_vlan;      // eth_vlan PWs
	uint16_t mru;              // negotiated MRU (informational; 0 = unknown)
	uint16_t mss_clamp;        // TCP MSS ceiling; 0 = off
	uint16_t reorder_timeout_ms;
	uint16_t local_udp_port;   // 0 for encap::ip
	uint16_t peer_udp_port;
	ip_addr local;
	ip_addr peer;
	uint8_t cookie_len;        // 0, 4 or 8: expected on received packets
	uint8_t peer_cookie_len;   // 0, 4 or 8: sent
	uint8_t framed_route_count;
	uint8_t reserved0;
	uint8_t cookie[8];
	uint8_t peer_cookie[8];
	uint8_t subscriber_v4[4];  // subscriber's /32, network order; 0.0.0.0 = none
	ipv4_prefix framed_routes[max_framed_routes];
	ipv6_prefix v6_prefix;     // subscriber IPv6 prefix (/64 from IPv6CP+RA); length 0 = none
	ipv6_prefix v6_delegated;  // DHCPv6-PD prefix; length 0 = none
};
static_assert(sizeof(session_params) == 204);

// add_neighbour / remove_neighbour
struct neighbour_params {
	uint16_t port;
	uint8_t mac[6];
	ip_addr address;
};
static_assert(sizeof(neighbour_params) == 28);

// add_route / remove_route: an extra subscriber prefix to an installed session.
struct route_params {
	uint8_t version;           // of the session: 2 or 3
	uint8_t reserved[3];
	uint32_t local_tunnel_id;
	uint32_t local_session_id;
	ip_addr prefix;            // family 4 or 6
	uint8_t length;
	uint8_t reserved1[3];
};
static_assert(sizeof(route_params) == 36);

// get_session_counters / dump_sessions filter (0 = all tunnels for dump_sessions)
struct session_ref {
	uint8_t version;
	uint8_t reserved[3];
	uint32_t local_tunnel_id;
	uint32_t local_session_id;
};
static_assert(sizeof(session_ref) == 12);

inline constexpr size_t message_size = 256;

struct command {
	header hdr;
	union {
		tunnel_params tunnel;
		session_params session;
		neighbour_params neighbour;
		route_params route;
		session_ref ref;
		uint8_t raw[message_size - sizeof(header)];
	};
};
static_assert(std::is_trivially_copyable_v<command>);
static_assert(sizeof(command) == message_size);

#define L2TPX_RING_EVENTS(X)                                                                       \
	X(completion, "answer to a command: status + seq")                                            \
	X(ready, "dataplane limits, answer to hello and sent once at start")                          \
	X(session_counters, "counter snapshot of one session")                                        \
	X(session_entry, "one installed session (dump_sessions)")

enum class event_type : uint16_t {
#define L2TPX_X(name, desc) name,
	L2TPX_RING_EVENTS(L2TPX_X)
#undef L2TPX_X
};
const char *to_string(event_type t) noexcept;

struct completion_body {
	uint16_t command;          // command_type answered
	status result;
	uint32_t index;            // session/tunnel index assigned (UINT32_MAX if none)
	char detail[64];           // NUL-terminated human explanation for errors
};
static_assert(sizeof(completion_body) == 72);

struct ready_body {
	uint32_t session_capacity; // power of two
	uint32_t session_mask;     // capacity - 1: index bits of the ID scheme
	uint32_t tunnel_capacity;
	uint32_t sessions_installed;
	uint16_t l2tp_udp_port;
	uint16_t port_count;
	uint32_t boot_id;          // random per dataplane start: detects restarts
	uint64_t tsc_hz;
};
static_assert(sizeof(ready_body) == 32);

struct session_counters_body {
	session_ref ref;
	uint32_t index;
	uint64_t rx_packets;       // from the peer, decapsulated
	uint64_t rx_bytes;
	uint64_t tx_packets;       // to the peer, encapsulated
	uint64_t tx_bytes;
};
static_assert(sizeof(session_counters_body) == 48);

struct session_entry_body {
	uint32_t index;
	uint32_t reserved;
	session_params params;     // as installed
};
static_assert(sizeof(session_entry_body) == 212);

struct event {
	header hdr;                // type = event_type; seq = the command's (0 if unsolicited)
	union {
		completion_body done;
		ready_body ready;
		session_counters_body counters;
		session_entry_body entry;
		uint8_t raw[message_size - sizeof(header)];
	};
};
static_assert(std::is_trivially_copyable_v<event>);
static_assert(sizeof(event) == message_size);

// Convenience constructors (zero everything, then fill the header).
inline command make_command(command_type t, uint32_t seq) noexcept {
	command c{};
	c.hdr = {abi_version, static_cast<uint16_t>(t), seq};
	return c;
}
inline event make_event(event_type t, uint32_t seq) noexcept {
	event e{};
	e.hdr = {abi_version, static_cast<uint16_t>(t), seq};
	return e;
}

} // namespace l2tpx::ring
