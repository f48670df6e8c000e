// Dataplane configuration: plain structs filled by the TOML loader (config_loader.hpp).
// No DPDK and no TOML types here, so the control plane, tools and tests can use them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace l2tpx::cfg {

// An IPv4 or IPv6 address in network byte order; IPv4 uses the first 4 bytes.
struct ip_address {
	uint8_t family = 0; // 4 or 6; 0 = unset
	std::array<uint8_t, 16> bytes{};
	bool is_v4() const noexcept { return family == 4; }
	bool is_v6() const noexcept { return family == 6; }
	bool operator==(const ip_address &) const = default;
};

struct ip_prefix {
	ip_address address;
	uint8_t length = 0;
	bool operator==(const ip_prefix &) const = default;
};

using mac_address = std::array<uint8_t, 6>;

// Idle back-off of a worker: spin `spin_polls` empty polls (rte_pause between them),
// then sleep, doubling from 1 µs up to `max_sleep_us`. Any received packet resets it.
struct idle_backoff {
	uint32_t spin_polls = 256;
	uint32_t max_sleep_us = 200; // 0 = never sleep (pure polling)
};

// How received packets reach the workers.
enum class distribution : uint8_t {
	automatic, // RSS where every port has enough queues, otherwise software
	rss,       // one RX queue per worker on every port; ports that cannot are an error
	software,  // the first worker reads every port and spreads by session hash over rings
};

struct dataplane_config {
	uint32_t main_lcore = 0;              // runs the control loop (commands, ARP, telemetry)
	std::vector<uint32_t> worker_lcores;  // empty: the main lcore also polls the ports
	std::vector<std::string> eal_args;    // extra EAL arguments, before command-line ones
	std::string file_prefix = "l2tpx";    // --file-prefix, shared with the control plane
	uint32_t mbuf_pool_size = 16383;      // mbufs in the packet pool (2^n - 1 is optimal)
	uint32_t mbuf_cache_size = 256;       // per-lcore mempool cache
	uint32_t session_capacity = 65536;    // max sessions, a power of two (up to 2M)
	uint32_t tunnel_capacity = 4096;      // max tunnels
	uint32_t route_capacity = 65536;      // max subscriber routes (IPv4 and IPv6 each)
	uint16_t l2tp_udp_port = 1701;        // L2TP UDP port of the dataplane's addresses
	uint32_t command_ring_size = 1024;    // control plane -> dataplane commands (2^n)
	uint32_t event_ring_size = 4096;      // dataplane -> control plane completions/events
	uint32_t punt_ring_size = 4096;       // punted packets (mbufs)
	uint32_t inject_ring_size = 4096;     // packets injected by the control plane (mbufs)
	uint32_t spread_ring_size = 4096;     // per-worker rings of software distribution
	uint16_t rx_descriptors = 1024;
	uint16_t tx_descriptors = 1024;
	uint32_t tx_flush_us = 100;           // max time a packet waits in a TX buffer
	idle_backoff backoff;
	distribution dist = distribution::automatic;
	uint32_t neighbour_timeout_s = 300;   // dynamic ARP/ND entries expire after this
	bool telemetry = true;                // register /l2tpx/... telemetry commands
	bool punt_unknown_sessions = false;   // data for unknown sessions: punt (true) or count+drop
	uint32_t reorder_buffers = 4096;      // reorder buffers per polling lcore (at most
	                                      // session_capacity are made; ~250 bytes each); 0 = none
};

enum class port_role : uint8_t { access, core, attachment };

struct static_neighbour {
	ip_address address;
	mac_address mac{};
};

struct port_config {
	std::string name;                     // operator's name, referenced by other sections
	std::string devargs;                  // "net_af_packet0,iface=veth0" or PCI "0000:01:00.0"
	port_role role = port_role::access;
	std::vector<ip_prefix> addresses;     // dataplane's own addresses on this port
	std::optional<mac_address> mac;       // override the port's MAC
	uint16_t mtu = 1500;
	uint16_t vlan = 0;                    // 802.1Q VLAN of the port (sub-interface); 0 = untagged
	// Verify non-zero UDP checksums of received L2TP the NIC gave no verdict on. Unset: yes,
	// except on net_af_packet ports (frames the kernel sent over a veth carry partial
	// checksums, and the PMD does not pass the kernel's "not ready" status on).
	std::optional<bool> verify_udp_checksum;
	std::optional<ip_address> gateway4;   // default IPv4 gateway reached through this port
	std::optional<ip_address> gateway6;   // default IPv6 gateway reached through this port
	std::vector<static_neighbour> neighbours;
	uint32_t line = 0;                    // source line of the [[port]] table
};

enum class l2tp_encap : uint8_t { udp, ip };
enum class l2spec_type : uint8_t { none, default_ };
enum class pseudowire : uint8_t { eth, eth_vlan };

// An unmanaged L2TPv3 tunnel, as `ip l2tp add tunnel`.
struct static_tunnel {
	uint32_t tunnel_id = 0;
	uint32_t peer_tunnel_id = 0;
	l2tp_encap encap = l2tp_encap::udp;
	ip_address local;
	ip_address remote;
	uint16_t udp_sport = 1701;
	uint16_t udp_dport = 1701;
	std::string port;                     // port name; derived from `local` when omitted
	uint32_t line = 0;
};

// An unmanaged L2TPv3 session, as `ip l2tp add session`.
struct static_session {
	uint32_t tunnel_id = 0;
	uint32_t session_id = 0;
	uint32_t peer_session_id = 0;
	std::vector<uint8_t> cookie;          // 0, 4 or 8 bytes expected on received packets
	std::vector<uint8_t> peer_cookie;     // 0, 4 or 8 bytes sent
	l2spec_type l2spec = l2spec_type::default_;
	bool seq_send = false;
	bool seq_recv = false;
	pseudowire pw = pseudowire::eth;
	std::string attachment_port;          // port with role = "attachment"
	uint16_t vlan = 0;                    // 1..4094 for eth_vlan
	uint16_t reorder_timeout_ms = 0;      // sequenced data: hold out-of-order packets this
	                                      // long (dataplane.reorder_buffers); 0 = drop them
	uint32_t line = 0;
};

struct config {
	dataplane_config dataplane;
	std::vector<port_config> ports;
	std::vector<static_tunnel> static_tunnels;
	std::vector<static_session> static_sessions;

	const port_config *find_port(std::string_view name) const noexcept {
		for (const auto &p : ports)
			if (p.name == name)
				return &p;
		return nullptr;
	}
};

const char *to_string(port_role r) noexcept;
const char *to_string(distribution d) noexcept;

} // namespace l2tpx::cfg
