// Error codes of the management protocol. Each has a stable wire name (the "code" of an
// error response) and a one-line description, from one X-macro list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

// X(name, description)
#define L2TPX_MGMT_ERRORS(X)                                                                  \
	X(bad_request, "request is not a JSON object with v, id and cmd of the right types")   \
	X(unsupported_version, "request protocol version is not one this server speaks")        \
	X(request_too_large, "request line is longer than the server accepts")                  \
	X(unknown_command, "no handler is registered for this command")                          \
	X(invalid_argument, "an argument is missing, of the wrong type or out of range")         \
	X(not_found, "the tunnel, session or object named does not exist")                       \
	X(unavailable, "the daemon cannot serve this command right now")                         \
	X(busy, "too many management clients are connected")                                     \
	X(internal, "the handler failed unexpectedly")

namespace l2tpx::mgmt {

enum class errc : uint8_t {
#define L2TPX_MGMT_ERROR_ENUM(name, desc) name,
	L2TPX_MGMT_ERRORS(L2TPX_MGMT_ERROR_ENUM)
#undef L2TPX_MGMT_ERROR_ENUM
};

inline constexpr size_t errc_count = 0
#define L2TPX_MGMT_ERROR_COUNT(name, desc) +1
	L2TPX_MGMT_ERRORS(L2TPX_MGMT_ERROR_COUNT)
#undef L2TPX_MGMT_ERROR_COUNT
	;

// Wire name ("not_found"); "unknown" when out of range.
const char *to_string(errc e) noexcept;
// One-line human description.
const char *describe(errc e) noexcept;
// Inverse of to_string(); nullopt for a name this build does not know.
std::optional<errc> errc_from_string(std::string_view name) noexcept;

} // namespace l2tpx::mgmt
