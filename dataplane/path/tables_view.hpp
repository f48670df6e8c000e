// What the packet paths read: plain pointers and arrays that the dataplane runtime
// (dataplane/, "dpruntime") fills and keeps valid for an RCU grace period after a change.
// One tables_view may be shared by all workers; each worker passes its own counters and
// session_stats array to the path functions.
#pragma once

#include <cstdint>

#include "dataplane/path/session.hpp"

struct rte_lpm;
struct rte_lpm6;
struct rte_ring;

namespace l2tpx::dp {

inline constexpr uint16_t max_ports = 32; // == RTE_MAX_ETHPORTS of the Debian build (checked in path.cpp)
inline constexpr uint16_t max_local_addrs = 8;
inline constexpr uint16_t vlan_untagged = 4096; // eth_pw_map column for untagged frames

enum class port_role : uint8_t { unused = 0, access, core, attachment };

struct port_info {
	port_role role;
	uint8_t attach_slot; // attachment ports: row in eth_pw_map
	uint16_t mtu;        // egress IP MTU; 0 = unchecked
	uint16_t vlan;       // 802.1Q VLAN the port lives on (1..4094): frames whose outer tag is
	                     // another (or none) are dropped (wrong_vlan); 0 = untagged port, any
	                     // tag accepted. Ports with a VLAN skip the fast path (untagged only).
	uint8_t trust_udp_csum; // 1: a non-zero UDP checksum without a NIC verdict is not verified
	                        // (port verify_udp_checksum = false); 0: udp_rx_csum_ok() verifies it
};

// A next hop on a core port (or any port): the Ethernet header to write.
struct neighbour {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint16_t port;
	uint16_t vlan;  // 802.1Q VLAN ID to push; 0 = untagged
	uint8_t valid;  // 0: unresolved -> drop no_neighbour; written last (release), read with acquire
	uint8_t reserved[3];
};
static_assert(sizeof(neighbour) == 20);

struct tables_view {
	// Sessions (see session.hpp for the index scheme and the update protocol).
	const session *sessions = nullptr;
	uint32_t session_mask = 0;          // capacity - 1, capacity a power of two
	session_seq *seq = nullptr;         // capacity entries, shared by the workers
	const tunnel *tunnels = nullptr;    // for the control plane; workers do not need it
	uint32_t tunnel_capacity = 0;

	// Downstream: subscriber prefix -> session index (24-bit / 21-bit next hops).
	rte_lpm *sub_v4 = nullptr;
	rte_lpm6 *sub_v6 = nullptr;
	// Subscriber IPv4 /32s inside one aligned block of addresses (in practice the address
	// pool): sub_v4_direct[dst - sub_v4_base] is the session index or no_session. Looked up
	// before sub_v4 (a /32 is the longest match), which holds every other prefix. Installing
	// a /32 here is one store, where rte_lpm_add scans all rules of the same depth (O(N)
	// per add). sub_v4_direct_size is 0 until the writer chooses the block, then its size
	// (written after sub_v4_base, with release order; read with acquire before the base).
	const uint32_t *sub_v4_direct = nullptr;
	uint32_t sub_v4_base = 0; // host order
	uint32_t sub_v4_direct_size = 0;

	// Upstream: destination -> neighbour index. A null table (or a miss) uses the default.
	rte_lpm *core_v4 = nullptr;
	rte_lpm6 *core_v6 = nullptr;
	const neighbour *neighbours = nullptr;
	uint32_t neighbour_count = 0;
	uint32_t default_nh_v4 = UINT32_MAX; // UINT32_MAX: none -> no_route; may change live (atomic)
	uint32_t default_nh_v6 = UINT32_MAX;

	// Ethernet pseudowires: eth_pw_map[attach_slot * 4097 + vlan] = session index or
	// no_session; column vlan_untagged (4096) holds untagged frames and whole-port sessions.
	const uint32_t *eth_pw_map = nullptr;
	uint32_t attach_slots = 0;

	port_info ports[max_ports] = {};

	// Addresses L2TP is accepted on (network order). None configured: any address.
	uint32_t local_v4[max_local_addrs] = {};
	uint8_t local_v6[max_local_addrs][16] = {};
	uint8_t local_v4_count = 0;
	uint8_t local_v6_count = 0;

	uint16_t l2tp_udp_port = 1701;
	// Further UDP ports L2TP is taken on: the local ports of tunnels (static ones from the
	// config, or installed through the command ring) that differ from l2tp_udp_port, as
	// `ip l2tp` allows any port per tunnel. One bit per port, flipped by the table writer
	// (tables::add_tunnel() and friends keep a count per port) while workers read: relaxed
	// atomics, a packet racing the flip is taken or counted not_l2tp. The fast path matches
	// only l2tp_udp_port, so these packets take the general path (decap.cpp).
	uint64_t extra_l2tp_udp_ports[65536 / 64] = {};
	bool any_extra_l2tp_udp_port = false; // set with the first port, never cleared
	bool is_l2tp_udp_port(uint16_t port) const noexcept {
		return port == l2tp_udp_port || (__atomic_load_n(&any_extra_l2tp_udp_port, __ATOMIC_RELAXED) &&
		                                 (__atomic_load_n(&extra_l2tp_udp_ports[port >> 6], __ATOMIC_RELAXED) >>
		                                      (port & 63) & 1) != 0);
	}
	void set_extra_l2tp_udp_port(uint16_t port, bool on = true) noexcept {
		const uint64_t bit = uint64_t{1} << (port & 63);
		if (on) {
			__atomic_fetch_or(&extra_l2tp_udp_ports[port >> 6], bit, __ATOMIC_RELAXED);
			__atomic_store_n(&any_extra_l2tp_udp_port, true, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_and(&extra_l2tp_udp_ports[port >> 6], ~bit, __ATOMIC_RELAXED);
		}
	}
	// false: every packet goes through the general parsers, none through the fast path
	// (fast_path.hpp). For differential tests, and for bisecting a problem in the field.
	bool fast_path = true;
	bool punt_unknown_sessions = false; // false: count unknown_session and drop
	rte_ring *punt_ring = nullptr;      // mbufs with punt_meta prepended
};

} // namespace l2tpx::dp
