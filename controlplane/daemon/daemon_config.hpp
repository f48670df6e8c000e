// Configuration of l2tpx-controlplane: its own top-level TOML tables, read from the same
// file as the dataplane's (which skips them as extra tables, see shared/config):
//
//   [controlplane]  process: log level, management socket, EAL, idle back-off, transport
//                   (hello, retransmission, window) and limits
//   [lns]           LNS behaviour: host name, tunnel authentication, hidden AVPs, PPP
//                   (authentication, LCP echo, proxy LCP/auth), DNS, users file
//   [[lac]]         peers allowed to open tunnels (address/prefix, host name, secret)
//   [[pool]]        subscriber address pools: IPv4 ranges, or IPv6 prefixes cut into one
//                   prefix per subscriber (SLAAC, advertised in Router Advertisements)
//
// Errors use shared/config's error type: source, line, column and dotted field.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/call_manager.hpp"
#include "shared/base/result.hpp"
#include "shared/config/config.hpp"
#include "shared/config/config_loader.hpp"

namespace l2tpx::cp::daemon {

// The top-level tables this file format adds to the dataplane's.
inline constexpr std::span<const std::string_view> own_tables = cfg::controlplane_tables;

// What a starting control plane does with the L2TPv2 sessions an earlier instance left in
// the dataplane (dump_sessions at start-up).
enum class restart_policy : uint8_t {
	// Remove them (flush_sessions) and tell each old tunnel's peer with a StopCCN.
	flush,
	// Continue those recorded in the state file (tunnel, session, PPP link as they were);
	// remove the others one by one, as flush does; tell the peers of recorded ones that
	// the dataplane no longer holds (CDN / StopCCN). No usable state file: flush.
	adopt,
};
// The configuration value ("flush", "adopt").
inline const char *to_string(restart_policy p) noexcept {
	switch (p) {
	case restart_policy::flush: return "flush";
	case restart_policy::adopt: return "adopt";
	}
	return "?";
}

struct controlplane_section {
	std::string log_level = "info";               // trace, debug, info, warn, error, critical, off
	std::string mgmt_socket = "/run/l2tpx/controlplane.sock";
	uint32_t mgmt_socket_mode = 0660;
	// Group owning the socket file (name or number; unset: the process's group).
	std::optional<uint32_t> mgmt_socket_gid;
	// Optional second socket for monitoring: show and version commands only; clear, debug
	// and reload are refused there. Empty: none.
	std::string mgmt_readonly_socket;
	uint32_t mgmt_readonly_socket_mode = 0666;
	std::optional<uint32_t> mgmt_readonly_socket_gid;
	std::vector<std::string> eal_args;            // extra EAL arguments for the secondary
	uint32_t lcore = 0;                           // the secondary's single lcore (-l)
	uint32_t idle_max_sleep_us = 1000;            // longest idle sleep between ring polls
	uint32_t shutdown_timeout_ms = 5000;          // StopCCN acks and ring drain on exit
	uint32_t command_timeout_ms = 2000;           // a dataplane command unanswered this long is an error
	uint32_t log_rate_per_s = 20;                 // peer-triggered log lines per second and kind
	restart_policy on_restart = restart_policy::flush; // key restart_policy
	// restart_policy = "adopt": where tunnels and sessions are recorded to be continued by
	// the next instance (controlplane/daemon/state_store.hpp). tmpfs: survives a crash of
	// the process, not a reboot (the dataplane's sessions do not survive one either).
	std::string state_file = "/run/l2tpx/controlplane.state";
	// L2TP reliable transport (RFC 2661 §5.8).
	uint32_t hello_interval_s = 60;               // 0 disables
	uint32_t retransmit_initial_ms = 1000;
	uint32_t retransmit_cap_ms = 8000;
	uint32_t max_retransmits = 5;
	uint16_t receive_window = 8;
	// Limits.
	uint32_t max_tunnels = 4096;
	uint32_t max_tunnels_per_peer = 64;
	uint32_t max_half_open = 256;
	uint32_t max_half_open_per_peer = 4;
	uint16_t max_sessions_per_tunnel = 4096;
};

enum class ppp_auth : uint8_t { none, pap, chap };

struct lns_section {
	std::string host_name = "l2tpx";
	std::optional<cfg::ip_address> local_address; // default: first address of the first access port
	bool tunnel_auth_required = false;            // refuse LACs without a secret
	bool hide_avps = false;                       // hide AVPs toward peers with a secret
	ppp_auth authentication = ppp_auth::chap;     // what LCP asks the subscriber for
	bool auth_fallback = true;                    // offer PAP when CHAP is refused
	std::string users_file;                       // user database (controlplane/aaa/user_db.hpp)
	cfg::ip_address gateway_address;              // our IPCP address (required)
	std::vector<cfg::ip_address> dns;             // up to two, offered in IPCP
	uint16_t mru = 1500;
	uint32_t lcp_echo_interval_s = 10;            // 0 disables keepalives
	uint32_t lcp_echo_failures = 3;
	bool accept_proxy_lcp = false;                // start from the LAC's LCP (ICCN AVPs)
	bool accept_proxy_auth = false;               // accept the LAC's captured credentials
	bool enable_ipv6cp = true;
	bool check_source = true;                     // dataplane drops upstream IPv4 not from the subscriber
	uint16_t mss_clamp = 0;                       // TCP MSS ceiling installed per session; 0 = off
	uint16_t data_reorder_timeout_ms = 0;         // sessions with data sequencing: the dataplane holds
	                                              // out-of-order packets this long; 0 = drops them
	// IPv6 Router Advertisements (RFC 4861 §6.2.1; only with an IPv6 [[pool]]).
	uint32_t ra_interval_s = 600;                 // MaxRtrAdvInterval (MinRtrAdvInterval = a third)
	std::optional<uint32_t> ra_router_lifetime_s; // default 3 × ra_interval_s, at most 9000
	bool ra_prefix_on_link = false;               // L flag of the Prefix Information option
	std::vector<cfg::ip_address> ipv6_dns;        // up to three, RDNSS option (RFC 8106)
};

struct lac_peer {
	cfg::ip_prefix prefix;     // source addresses allowed
	std::string host_name;     // empty: any host name from these addresses
	std::string secret;        // tunnel secret; empty: none (refused when tunnel_auth_required)
	uint32_t line = 0;
};

struct pool_section {
	std::string name;
	cfg::ip_address first, last; // IPv4, inclusive
	uint32_t line = 0;
};

struct pool6_section {
	std::string name;
	cfg::ip_prefix prefix;     // IPv6, host bits zero
	uint8_t assign_length = 64; // each subscriber's prefix
	uint32_t line = 0;
};

struct daemon_config {
	cfg::config dataplane;     // the dataplane's sections (ports, file prefix)
	controlplane_section cp;
	lns_section lns;
	std::vector<lac_peer> lacs;
	std::vector<pool_section> pools;   // IPv4
	std::vector<pool6_section> pools6; // [[pool]] entries with an IPv6 prefix

	// The address the LNS answers from, and the DPDK port index it lives on (ports are
	// numbered in [[port]] order, as the dataplane probes them).
	cfg::ip_address local_address() const;
	uint16_t access_port() const;
	// The [[lac]] entry that admits `addr`, or nullptr.
	const lac_peer *find_lac(const cfg::ip_address &addr) const;
	// The protocol library's configuration from these sections.
	call_manager::config library_config() const;
};

result<daemon_config, cfg::error> load_string(std::string_view toml_text, std::string_view source_name = "<config>");
result<daemon_config, cfg::error> load_file(const std::string &path);

bool prefix_contains(const cfg::ip_prefix &p, const cfg::ip_address &a) noexcept;

} // namespace l2tpx::cp::daemon
