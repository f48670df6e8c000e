// Command line of l2tpx-lac, the socket-based LAC emulator: what to dial, how fast, what
// traffic to send, and when the run counts as failed. Pure (no sockets), unit tested.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/core/ip.hpp"

namespace l2tpx::gen::lac {

enum class ppp_auth : uint8_t { any, pap, chap }; // what the LAC agrees to do when asked

struct lac_options {
	cp::ipv4_addr lns;                    // --lns (required)
	uint16_t lns_port = 1701;             // --lns-port
	cp::ipv4_addr local;                  // --local: bind address (0 = any)
	uint16_t local_port = 0;              // --local-port: 0 = ephemeral
	uint32_t tunnels = 10;                // --tunnels
	uint32_t sessions_per_tunnel = 100;   // --sessions-per-tunnel (the last tunnel may get fewer)
	uint32_t sessions = 1000;             // --sessions: total; default tunnels x sessions per tunnel
	std::string user_pattern = "user{n}@lab";  // --user: {n} {t} {s} expanded per call
	std::string password_pattern = "lab-pw";   // --password: same placeholders
	ppp_auth auth = ppp_auth::any;        // --auth any|pap|chap
	std::string tunnel_secret;            // --secret: tunnel authentication ("" = none)
	std::string host_name = "l2tpx-lac";  // --host-name
	uint32_t max_outstanding = 64;        // --max-outstanding: calls in setup at once
	double setup_rate = 200;              // --setup-rate: new calls per second
	double setup_timeout_s = 60;          // --setup-timeout: whole setup phase
	std::optional<cp::ipv4_addr> target;  // --target: ping destination (no traffic if unset)
	double duration_s = 10;               // --duration: traffic phase
	double pps_per_session = 10;          // --rate: echo requests per second per session
	uint32_t payload_bytes = 56;          // --payload: ICMP data bytes (>= 16: id + timestamp)
	double reply_wait_s = 1;              // --reply-wait: after the last request
	double max_loss_percent = 1;          // --max-loss
	std::string json_path;                // --json
	bool print_users = false;             // --print-users: users file lines, then exit
	bool hold = false;                    // --hold: keep the sessions up after the report until SIGINT/SIGTERM
	uint32_t total_sessions() const noexcept { return sessions; }
};

struct parse_outcome {
	lac_options options;
	std::string error; // empty on success
	bool help = false; // --help: print usage, exit 0
	bool ok() const noexcept { return error.empty(); }
};

// argv without the program name.
parse_outcome parse_args(std::span<const char *const> args);
std::string usage(std::string_view program);

// Checks a user/password pattern: only {n}, {t}, {s} placeholders; "" when fine.
std::string check_pattern(std::string_view pattern);
// n: call number from 1 over all tunnels; t: tunnel number from 1; s: call in tunnel from 1.
std::string expand_pattern(std::string_view pattern, uint32_t n, uint32_t t, uint32_t s);

} // namespace l2tpx::gen::lac
