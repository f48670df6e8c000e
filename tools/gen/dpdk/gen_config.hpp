// The l2tpx-gen run file: [access], [core], [sessions] (this file) next to [traffic] and
// [thresholds] (tools/gen/traffic/run_config.hpp), and the command line that overrides
// the common fields. Pure (no DPDK), unit tested. Reference: docs/generator.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/config/config.hpp"
#include "tools/gen/traffic/run_config.hpp"

namespace l2tpx::gen::dpdk {

using mac = std::array<uint8_t, 6>;
using ipv6_addr = std::array<uint8_t, 16>;

// The access port: the LACs' side, facing the LNS.
struct access_config {
	std::string port;                   // DPDK devargs ("net_af_packet0,iface=veth0", PCI address)
	std::optional<mac> local_mac;       // use this source MAC instead of the port's
	std::vector<uint32_t> lac_addresses; // host order; tunnel t uses lac_addresses[t % n]
	uint8_t prefix_len = 24;            // on-link prefix of the LAC addresses
	uint32_t lns = 0;                   // the LNS address (tunnel peer)
	uint16_t lns_port = 1701;
	uint16_t local_port = 1701;         // the LACs' UDP port
	std::optional<uint32_t> gateway;    // next hop towards the LNS when it is not on-link
	std::optional<mac> lns_mac;         // static MAC of the next hop: no ARP
	uint16_t mtu = 1500;                // largest outer IP packet sent
	uint16_t rx_queues = 1;             // RX queues (RSS), polled by workers 0..n-1
};

// The core port: the network behind the LNS.
struct core_config {
	std::string port;                   // devargs; empty: no core port (upstream not received)
	std::optional<mac> local_mac;
	std::vector<uint32_t> addresses;    // answered for ARP; addresses[0] is the traffic endpoint
	uint8_t prefix_len = 24;
	uint32_t next_hop = 0;              // the LNS's core-side address (downstream next hop)
	std::optional<mac> next_hop_mac;    // static: no ARP (nor ND)
	std::optional<ipv6_addr> address6;  // IPv6 streams' core endpoint, answered for ND
	std::optional<ipv6_addr> next_hop6; // the LNS's core-side IPv6 address (resolved by ND)
	uint16_t udp_port = 9000;           // traffic UDP port, both ends
	uint16_t rx_queues = 1;             // RX queues (RSS), polled by workers 0..n-1
};

// Static L2TPv3 pseudowires ([[static_tunnel]] / [[static_session]], the keys of the
// dataplane's, seen from the generator: `local` is the generator, `remote` the LNS).
// When any session is given the run is a pseudowire run: no control connection, the
// access port carries L2TPv3 and the core port sends/receives the inner Ethernet frames.
struct pw_tunnel_config {
	uint32_t tunnel_id = 0;
	uint32_t peer_tunnel_id = 0;
	cfg::l2tp_encap encap = cfg::l2tp_encap::udp;
	cfg::ip_address local;              // the generator's address (answered for ARP/ND)
	cfg::ip_address remote;             // the LNS
	uint16_t udp_sport = 1701;          // the generator's UDP port
	uint16_t udp_dport = 1701;          // the LNS's UDP port
};

struct pw_session_config {
	uint32_t tunnel_id = 0;
	uint32_t session_id = 0;            // received: the LNS's peer_session_id
	uint32_t peer_session_id = 0;       // sent: the LNS's session_id
	std::vector<uint8_t> cookie;        // expected on received packets (0, 4 or 8 bytes)
	std::vector<uint8_t> peer_cookie;   // sent
	bool l2spec = true;                 // default L2-specific sublayer
	bool seq_send = false;              // Ns in the sublayer of sent packets
	bool seq_recv = false;              // accepted for symmetry: received Ns are not checked
	bool eth_vlan = false;              // pseudowire = "eth_vlan": frames tagged with `vlan`
	uint16_t vlan = 0;
};

enum class ppp_auth : uint8_t { any, pap, chap };
const char *to_string(ppp_auth a) noexcept;

struct sessions_config {
	uint32_t tunnels = 10;
	uint32_t sessions_per_tunnel = 100;
	uint32_t sessions = 1000;           // total (the last tunnel may get fewer)
	std::string user = "user{n}@lab";   // {n}/{session}, {t}/{tunnel}, {s} expanded per call
	std::string password = "lab-pw";
	ppp_auth auth = ppp_auth::any;      // what the PPP client agrees to when asked
	std::string tunnel_secret;          // tunnel authentication; "" = none
	bool hide_avps = false;             // hidden AVPs (needs tunnel_secret)
	std::string host_name = "l2tpx-gen";
	double setup_rate = 200;            // new calls per second
	uint32_t max_outstanding = 64;      // calls in setup at once
	uint64_t setup_timeout_ms = 60000;  // the whole setup phase
	uint64_t hold_ms = 0;               // sessions kept up after the traffic, before teardown
	uint32_t flap_cycles = 0;           // flap mode: down/up cycles after the traffic phase
	uint64_t flap_down_ms = 1000;       // time a flapped session stays down
	bool data_sequence = false;         // Ns/Nr in upstream data messages
	bool enable_ipv6cp = false;         // on by itself with IPv6 streams (traffic.ip_version 6 or "both")
	bool proxy_lcp = false;             // proxy LCP AVPs in the ICCN: the PPP client starts with LCP Opened
	bool proxy_auth = false;            // proxy authentication AVPs too (needs proxy_lcp)
	double teardown_rate = 0;           // calls cleared per second (end of run, flap); 0: all at once
};

// Bytes a pseudowire adds in front of the inner IPv4 packet on the access port, after the
// outer Ethernet header: outer IP, UDP, the L2TPv3 header, cookie, sublayer, inner Ethernet.
inline uint32_t pw_overhead(const pw_tunnel_config &t, const pw_session_config &s) noexcept {
	const bool udp = t.encap == cfg::l2tp_encap::udp;
	return (t.local.is_v6() ? 40u : 20u) + (udp ? 16u : 4u) + uint32_t(s.peer_cookie.size()) + (s.l2spec ? 4u : 0u) +
	       14u + (s.eth_vlan ? 4u : 0u);
}

struct gen_config {
	access_config access;
	core_config core;
	sessions_config sessions;
	run_config run;
	std::vector<pw_tunnel_config> pw_tunnels;
	std::vector<pw_session_config> pw_sessions;
	bool pseudowires() const noexcept { return !pw_sessions.empty(); }
	const pw_tunnel_config *pw_tunnel(uint32_t id) const noexcept {
		for (const auto &t : pw_tunnels)
			if (t.tunnel_id == id)
				return &t;
		return nullptr;
	}
};

// What the command line asked for besides the config.
struct gen_options {
	gen_config cfg;
	std::string config_path;
	std::string json_path;              // --json
	bool quiet = false;                 // --quiet: no progress line
	bool all_streams = false;           // --all-streams: every stream in the JSON
	bool bench = false;                 // --bench: TX-only throughput through the access port
	bool print_users = false;           // --print-users: "user password" lines for the LNS, then exit
	uint32_t bench_sessions = 1000;     // --bench-sessions
	std::vector<std::string> eal_args;  // after "--"
};

struct parse_outcome {
	gen_options options;
	std::string error; // empty on success
	bool help = false;
	bool ok() const noexcept { return error.empty(); }
};

// Which of sessions.sessions / sessions.tunnels the file set (the other is derived).
struct config_given {
	bool sessions = false, tunnels = false, per_tunnel = false;
};

// TOML text of a run file into cfg (the [traffic] overrides come from `overrides`).
// Returns "" or the error ("gen.toml:4:8: access.lns: invalid value: ...").
std::string parse_gen_config(std::string_view toml_text, std::string_view source, std::span<const std::string> overrides,
                             gen_config &cfg, config_given *given = nullptr);

// argv without the program name; reads the --config file.
parse_outcome parse_args(std::span<const char *const> args);
std::string usage(std::string_view program);

// Fills in the defaults that depend on other fields, checks the whole; "" when fine.
std::string validate(gen_options &o);

// Builds the EAL argv (argv0 first) from the options: the ports as --vdev (devargs
// starting with "net_") or -a, then the user's EAL arguments, then the defaults they did
// not set: -l 0,1, --in-memory (unless --file-prefix or --no-huge), -m 256 (unless -m or --socket-mem), --no-pci (no PCI port and no -a/-b given).
std::vector<std::string> build_eal_args(const gen_options &o, const std::string &argv0);

std::optional<mac> parse_mac(std::string_view s) noexcept;
std::optional<uint32_t> parse_ipv4(std::string_view s) noexcept; // host order
std::optional<ipv6_addr> parse_ipv6(std::string_view s) noexcept;
std::string format_ipv6(const ipv6_addr &a);
std::string format_ipv4(uint32_t a);
std::string format_mac(const mac &m);

// n: call number from 1 over all tunnels; t: tunnel from 1; s: call in its tunnel from 1.
// Placeholders: {n} (alias {session}), {t} ({tunnel}), {s}.
std::string expand_credentials(std::string_view pattern, uint32_t n, uint32_t t, uint32_t s);
std::string check_credentials(std::string_view pattern); // "" or what is wrong

} // namespace l2tpx::gen::dpdk
