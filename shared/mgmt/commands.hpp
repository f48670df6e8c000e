// The commands l2tpx-controlplane serves on its management socket: wire names, arguments
// and result shapes. The daemon registers handlers under these names; l2tpxctl sends them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l2tpx::mgmt::cmd {

// Lists: table results (schema.hpp). Suggested columns are documented in
// docs/operations.md; the CLI prints whatever columns the daemon sends.
inline constexpr std::string_view show_tunnels = "show tunnels";   // args {}
inline constexpr std::string_view show_sessions = "show sessions"; // args {}, optional {"tunnel": id}
// Single objects: key/value results. "id" is a tunnel ID (16-bit for L2TPv2, 32-bit
// control connection ID for L2TPv3) or a session ID, as an unsigned integer.
inline constexpr std::string_view show_tunnel = "show tunnel";   // args {"id": uint32}
inline constexpr std::string_view show_session = "show session"; // args {"id": uint32}
// Tear down (StopCCN / CDN); result {"cleared": id} or not_found.
inline constexpr std::string_view clear_tunnel = "clear tunnel";   // args {"id": uint32}
inline constexpr std::string_view clear_session = "clear session"; // args {"id": uint32}
// Set a debug mask (debug_mask below); result {"id": id, "debug": "control,data"}.
inline constexpr std::string_view debug_tunnel = "debug tunnel";   // args {"id": uint32, "mask": uint32}
inline constexpr std::string_view debug_session = "debug session"; // args {"id": uint32, "mask": uint32}
// Counters (key/value, nested objects per area) and the running configuration.
inline constexpr std::string_view show_stats = "show stats";   // args {}
inline constexpr std::string_view show_config = "show config"; // args {}
// Re-read the users file (as SIGHUP); result {"users_file": path, "users": n}, or
// unavailable naming the file, line and reason (the previous users stay in force).
inline constexpr std::string_view reload = "reload"; // args {}
// {"name":"l2tpx-controlplane","version":"0.1.0","protocol":1, ...}
inline constexpr std::string_view version = "version"; // args {}

} // namespace l2tpx::mgmt::cmd

namespace l2tpx::mgmt {

// Debug flags of a tunnel or session. Bit positions follow the Linux kernel L2TP driver's
// L2TP_MSG_* flags (control 0x2, sequence 0x4, data 0x8); ppp is ours.
enum debug_flag : uint32_t {
	debug_control = 1u << 1,  // control messages and state changes
	debug_sequence = 1u << 2, // data sequence numbers, reordering, loss
	debug_data = 1u << 3,     // data packets (trace)
	debug_ppp = 1u << 4,      // PPP negotiation (LCP, auth, NCPs)
};
inline constexpr uint32_t debug_none = 0;
inline constexpr uint32_t debug_all = debug_control | debug_sequence | debug_data | debug_ppp;

// Parses "control,data", "control+ppp", "all", "none", "seq" (alias) or a number
// ("0x6", "6"). Names are case-insensitive. nullopt on an unknown name, an empty item or a
// number with bits outside debug_all.
std::optional<uint32_t> parse_debug_mask(std::string_view text);
// "control,sequence", "all", "none"; bits outside debug_all are appended as hex.
std::string format_debug_mask(uint32_t mask);

} // namespace l2tpx::mgmt
