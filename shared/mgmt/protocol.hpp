// Management protocol between l2tpx-controlplane and l2tpxctl: newline-delimited JSON
// over a Unix stream socket, one request line answered by one response line.
//
//   request:  {"v":1,"id":7,"cmd":"show session","args":{"id":42}}
//   success:  {"v":1,"id":7,"ok":true,"result":{...}}
//   failure:  {"v":1,"id":7,"ok":false,"error":{"code":"not_found","message":"..."}}
//
// The id is echoed so a client can match answers; it is null in the answer to a line
// whose id could not be read. Unknown top-level fields are ignored (forward compatible).
// See docs/operations.md for the schema of results.
#pragma once

#include "shared/mgmt/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace l2tpx::mgmt {

// Objects keep their members in insertion order, so tables and key/value results print
// in the order the daemon built them.
using json = nlohmann::ordered_json;

inline constexpr int protocol_version = 1;
inline constexpr std::string_view default_socket_path = "/run/l2tpx/controlplane.sock";
// Longest request line a server accepts, newline excluded.
inline constexpr size_t default_max_request_bytes = 64 * 1024;
// Longest response line a client accepts (a full session table fits).
inline constexpr size_t default_max_response_bytes = 64 * 1024 * 1024;
// Deepest nesting of arrays/objects accepted in a request.
inline constexpr size_t max_json_depth = 32;

// An error answer: a code from error.hpp and a human message.
struct failure {
	errc code;
	std::string message;
};

// A value or a failure; what handlers and parsers return on the control plane.
template <typename T> class outcome {
public:
	outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}
	outcome(failure f) : v_(std::in_place_index<1>, std::move(f)) {}
	bool ok() const noexcept { return v_.index() == 0; }
	explicit operator bool() const noexcept { return ok(); }
	T &value() & { return std::get<0>(v_); }
	const T &value() const & { return std::get<0>(v_); }
	T &&value() && { return std::get<0>(std::move(v_)); }
	const failure &error() const { return std::get<1>(v_); }

private:
	std::variant<T, failure> v_;
};

struct request {
	std::optional<uint64_t> id; // nullopt when the line carried no usable id
	std::string cmd;
	json args = json::object(); // always an object ({} when absent or null)
};

// Parses one request line ('\n' removed; one trailing '\r' is tolerated). On failure the
// returned value says why and `out.id` holds the id when it could be read. Never throws
// on bad input.
std::optional<failure> parse_request(std::string_view line, request &out);

struct response {
	std::optional<uint64_t> id;
	bool ok = false;
	json result;               // when ok
	std::string error_code;    // when !ok: wire name, possibly one this build does not know
	std::string error_message; // when !ok
};

// Parses one response line; on failure returns a description of what is wrong.
std::optional<std::string> parse_response(std::string_view line, response &out);

// Encoders; each returns one complete line including the trailing '\n'. Strings that are
// not valid UTF-8 are written with U+FFFD replacements rather than failing.
std::string encode_request(uint64_t id, std::string_view cmd, const json &args);
std::string encode_result(std::optional<uint64_t> id, const json &result);
std::string encode_error(std::optional<uint64_t> id, const failure &f);

// Compact, never-throwing serialisation used by the encoders.
std::string dump(const json &j, int indent = -1);

// Argument helpers for handlers: `args[key]` as an unsigned integer in [min, max], or an
// invalid_argument failure naming the key.
outcome<uint64_t> uint_arg(const json &args, std::string_view key, uint64_t min = 0,
                           uint64_t max = UINT64_MAX);
outcome<std::string> string_arg(const json &args, std::string_view key);

} // namespace l2tpx::mgmt
