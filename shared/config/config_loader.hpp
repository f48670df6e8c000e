// TOML loader for the dataplane configuration (config.hpp).
//
// Every error names the source, line, column and the dotted field ("port[1].mtu"). Top-level
// tables other than dataplane / port / static_tunnel / static_session are an error unless
// the caller registers them (the control plane registers its own section and parses it
// itself); unknown keys inside known tables are always an error (they are typos).
#pragma once

#include "shared/base/result.hpp"
#include "shared/config/config.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace l2tpx::cfg {

#define L2TPX_CFG_ERRORS(X)                                                                        \
	X(io, "cannot read file")                                                                      \
	X(syntax, "TOML syntax error")                                                                 \
	X(unknown_table, "unknown top-level table")                                                    \
	X(unknown_key, "unknown key")                                                                  \
	X(missing_key, "missing required key")                                                         \
	X(wrong_type, "wrong value type")                                                              \
	X(out_of_range, "value out of range")                                                          \
	X(bad_value, "invalid value")                                                                  \
	X(duplicate, "duplicate")                                                                      \
	X(bad_reference, "reference to an unknown or unsuitable item")

enum class errc : uint8_t {
#define L2TPX_X(name, text) name,
	L2TPX_CFG_ERRORS(L2TPX_X)
#undef L2TPX_X
};

const char *to_string(errc e) noexcept;

// Trivially copyable so it fits result<T, E>; texts are truncated to the buffers.
struct error {
	errc code = errc::bad_value;
	uint32_t line = 0;   // 1-based; 0 when unknown
	uint32_t column = 0; // 1-based; 0 when unknown
	char source[96]{};   // file name as given to the loader
	char field[96]{};    // dotted path, e.g. "port[0].addresses[1]"
	char detail[192]{};  // human explanation

	// "lns.toml:12:5: port[0].mtu: value out of range: must be 68..9600"
	std::string to_string() const;
};

// "file:line:col: field: what: detail", leaving out what is unknown or empty. Shared by
// every TOML loader of the project so that all config errors read the same.
std::string format_located_error(std::string_view source, uint32_t line, uint32_t column, std::string_view field,
                                 std::string_view what, std::string_view detail);

// Top-level tables of the control plane, which validates them itself
// (controlplane/daemon/daemon_config.cpp); the dataplane accepts them as not its own.
inline constexpr std::string_view controlplane_tables[] = {"controlplane", "lns", "lac", "pool"};

struct load_options {
	std::span<const std::string_view> extra_tables{}; // top-level tables owned by others
	std::string_view source_name = "<config>";
};

result<config, error> load_string(std::string_view toml_text, const load_options &opts = {});
result<config, error> load_file(const std::string &path, const load_options &opts = {});

// Parsers for the textual forms the loader accepts, exposed for the control plane and tools.
bool parse_ip(std::string_view s, ip_address &out) noexcept;      // "192.0.2.1", "2001:db8::1"
bool parse_prefix(std::string_view s, ip_prefix &out) noexcept;   // "192.0.2.1/24"
bool parse_mac(std::string_view s, mac_address &out) noexcept;    // "02:00:00:00:00:01"
bool parse_hex_bytes(std::string_view s, std::vector<uint8_t> &out); // "0x0102a0ff" or "0102a0ff"
std::string format_ip(const ip_address &a);

} // namespace l2tpx::cfg
