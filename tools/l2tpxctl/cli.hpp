// l2tpxctl command line: the command table, argument parsing and "did you mean"
// suggestions. Pure functions, unit-tested without a daemon.
#pragma once

#include "shared/mgmt/protocol.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace l2tpx::l2tpxctl {

enum class param : uint8_t { tunnel_id, session_id, debug_mask };

struct command_spec {
	std::string_view name;    // what the operator types, also the wire command
	std::vector<param> params; // positional parameters after the name
	std::string_view summary;  // one line for --help
};

// Every command, in --help order.
std::span<const command_spec> commands();
// "show session ID", "debug tunnel ID MASK".
std::string synopsis(const command_spec &c);

struct options {
	std::string socket_path;                 // --socket, else $L2TPX_SOCKET, else the default
	bool json = false;                       // --json
	std::chrono::milliseconds timeout{5000}; // --timeout, seconds
	bool help = false;                       // -h/--help
};

struct invocation {
	options opts;
	const command_spec *cmd = nullptr; // nullptr only with opts.help
	mgmt::json args = mgmt::json::object();
};

// A command line that cannot be run; l2tpxctl prints `message` and exits 2.
struct usage_error {
	std::string message;
};

// Parses argv[1..]. `env_socket` is $L2TPX_SOCKET (nullptr when unset).
std::variant<invocation, usage_error> parse_args(std::span<const std::string_view> args,
                                                 const char *env_socket = nullptr);

// Edit distance with adjacent transpositions (optimal string alignment).
size_t edit_distance(std::string_view a, std::string_view b);
// The command closest to what was typed, when close enough to be a typo; nullptr if none.
// `typed` receives the words the suggestion is compared with (for the message).
const command_spec *closest_command(std::span<const std::string> words, std::string &typed);

// Full --help text.
std::string usage_text();

} // namespace l2tpx::l2tpxctl
