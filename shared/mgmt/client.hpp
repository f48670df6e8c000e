// Management socket client (used by l2tpxctl): connects to the daemon's Unix socket and
// makes one call at a time, each bounded by a timeout. Never blocks without a deadline.
#pragma once

#include "shared/base/result.hpp"
#include "shared/mgmt/protocol.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// X(name, description)
#define L2TPX_MGMT_CLIENT_ERRORS(X)                                               \
	X(not_running, "nothing listens on the socket path")                         \
	X(permission_denied, "the socket exists but this user may not connect")      \
	X(connect_failed, "connect() failed for another reason")                     \
	X(bad_path, "the socket path is empty or too long for a Unix socket")        \
	X(timeout, "no complete answer before the deadline")                         \
	X(connection_closed, "the daemon closed the connection before answering")    \
	X(io_error, "a read or write on the socket failed")                          \
	X(response_too_large, "the answer is longer than max_response_bytes")        \
	X(bad_response, "the answer is not a well-formed response to this request")

namespace l2tpx::mgmt {

enum class client_errc : uint8_t {
#define L2TPX_MGMT_CLIENT_ERROR_ENUM(name, desc) name,
	L2TPX_MGMT_CLIENT_ERRORS(L2TPX_MGMT_CLIENT_ERROR_ENUM)
#undef L2TPX_MGMT_CLIENT_ERROR_ENUM
};

const char *to_string(client_errc e) noexcept;

// A transport failure: which, and the errno behind it (0 when none).
struct transport_error {
	client_errc code;
	int sys_errno;
};

struct client_options {
	std::string path = std::string(default_socket_path);
	std::chrono::milliseconds timeout{5000}; // per call, connecting included
	size_t max_response_bytes = default_max_response_bytes;
};

class client {
public:
	explicit client(client_options opts);
	~client();
	client(const client &) = delete;
	client &operator=(const client &) = delete;

	// Connects now (call() also connects on demand).
	result<void, transport_error> connect();
	// Sends one request and waits for its answer. The answer may be a daemon error
	// (response::ok false): that is not a transport error. After a transport error the
	// connection is closed; the next call reconnects.
	result<response, transport_error> call(std::string_view cmd, const json &args = json::object());
	void close() noexcept;
	bool connected() const noexcept { return fd_ >= 0; }

	// One sentence for an operator, naming the socket path, e.g.
	// "cannot connect to /run/l2tpx/controlplane.sock: is l2tpx-controlplane running?"
	std::string describe(transport_error e) const;
	const client_options &options() const noexcept { return opts_; }

private:
	using clock = std::chrono::steady_clock;
	result<void, transport_error> connect_until(clock::time_point deadline);
	result<void, transport_error> send_all(std::string_view data, clock::time_point deadline);
	result<std::string, transport_error> read_line(clock::time_point deadline);
	transport_error fail(client_errc code, int err) noexcept;

	client_options opts_;
	int fd_ = -1;
	uint64_t next_id_ = 1;
	std::string buf_; // bytes received beyond the last answer line
};

} // namespace l2tpx::mgmt
