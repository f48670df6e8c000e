// Management socket server for l2tpx-controlplane: a non-blocking Unix stream socket that
// answers newline-delimited JSON requests (protocol.hpp) with registered handlers.
//
// Event-loop integration: the server keeps its listening socket and its clients in an
// internal epoll set. Put fd() into the daemon's poll/epoll set and call on_readable()
// when it is readable; it handles what is ready and returns without blocking. Tests (or a
// daemon without a loop) call poll_once(timeout_ms). Not thread-safe: use from one thread.
//
// Bounded memory: a request line longer than max_request_bytes is answered with
// request_too_large and skipped up to its newline; a client whose answer is not yet
// written is not read from until it is (no pipelining without bound).
#pragma once

#include "shared/mgmt/protocol.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace l2tpx::mgmt {

struct server_options {
	std::string path = std::string(default_socket_path);
	mode_t mode = 0660;              // socket file permissions
	std::optional<gid_t> group;      // chown the socket file to this group when set
	bool create_parent_dir = true;   // mkdir the socket's directory (0755) when missing
	size_t max_request_bytes = default_max_request_bytes;
	size_t max_clients = 32;
	// At max_clients, a new connection evicts the least recently active client if it has
	// been idle this long; otherwise the newcomer gets a `busy` error and is closed.
	std::chrono::milliseconds evict_idle_after{std::chrono::seconds(30)};
};

// Counters, for `show stats` and tests.
struct server_stats {
	uint64_t accepted = 0;             // connections accepted
	uint64_t refused_busy = 0;         // connections answered `busy` and closed
	uint64_t refused_no_fd = 0;        // connections refused (`busy`) for lack of descriptors
	uint64_t evicted_idle = 0;         // idle clients closed to make room
	uint64_t requests = 0;             // request lines handled (answered)
	uint64_t ok = 0;                   // answered with ok:true
	uint64_t malformed = 0;            // answered bad_request / unsupported_version
	uint64_t oversized = 0;            // answered request_too_large
	uint64_t unknown_command = 0;      // answered unknown_command
	uint64_t handler_failures = 0;     // handlers that threw (answered internal)
	uint64_t disconnect_mid_request = 0; // clients gone with a partial line buffered
	uint64_t write_errors = 0;         // clients closed because a write failed
};

// The counters as a key/value result, for a daemon's `show stats`.
json to_json(const server_stats &s);

class server {
public:
	// A handler gets the request's args (always an object) and returns a result or a
	// failure. Exceptions it throws are caught and answered as `internal`.
	using handler = std::function<outcome<json>(const json &args)>;

	// Creates the socket: refuses a path that exists and is not a socket, and a socket a
	// live server answers on; replaces a stale socket file. nullptr and `error` set (with
	// the path and the system's reason) on failure.
	static std::unique_ptr<server> open(server_options opts, std::string &error);
	~server();
	server(const server &) = delete;
	server &operator=(const server &) = delete;

	// Registers `cmd` (e.g. "show sessions"); false if it is already registered.
	bool add(std::string cmd, handler h);
	bool has(const std::string &cmd) const { return handlers_.count(cmd) != 0; }

	int fd() const noexcept { return epoll_fd_; }
	// Handles whatever is ready, without blocking; returns the number of events handled.
	size_t on_readable();
	// Waits up to timeout_ms (-1: forever) for activity, then handles it.
	size_t poll_once(int timeout_ms);

	size_t client_count() const noexcept { return clients_.size(); }
	const server_stats &stats() const noexcept { return stats_; }
	const std::string &path() const noexcept { return opts_.path; }

private:
	struct conn;
	explicit server(server_options opts);
	size_t handle_events(int timeout_ms);
	void accept_clients();
	void refuse(int fd, const std::string &why);
	bool make_room();
	void on_client_event(conn &c, uint32_t events);
	void read_client(conn &c);
	void process_lines(conn &c);
	std::string dispatch(std::string_view line);
	bool flush(conn &c);
	void update_interest(conn &c);
	void close_client(int fd);

	server_options opts_;
	int listen_fd_ = -1;
	int epoll_fd_ = -1;
	int spare_fd_ = -1; // released to refuse a connection cleanly when out of descriptors
	dev_t sock_dev_ = 0; // identity of the socket file we bound, so ~server only unlinks ours
	ino_t sock_ino_ = 0;
	std::unordered_map<std::string, handler> handlers_;
	std::unordered_map<int, std::unique_ptr<conn>> clients_;
	server_stats stats_;
};

} // namespace l2tpx::mgmt
