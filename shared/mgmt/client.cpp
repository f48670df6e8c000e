#include "shared/mgmt/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <thread>

namespace l2tpx::mgmt {

namespace {

constexpr const char *client_error_names[] = {
#define L2TPX_MGMT_CLIENT_ERROR_NAME(name, desc) #name,
	L2TPX_MGMT_CLIENT_ERRORS(L2TPX_MGMT_CLIENT_ERROR_NAME)
#undef L2TPX_MGMT_CLIENT_ERROR_NAME
};

// Milliseconds left until `deadline`, rounded up, for poll(); 0 when past.
int ms_left(std::chrono::steady_clock::time_point deadline) {
	auto left = deadline - std::chrono::steady_clock::now();
	if (left <= std::chrono::steady_clock::duration::zero())
		return 0;
	auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
	return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

// Waits for `events` on fd until the deadline; 1 ready, 0 timeout, -1 error (errno set).
int wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
	while (true) {
		pollfd p{fd, events, 0};
		int rc = ::poll(&p, 1, ms_left(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		return rc;
	}
}

std::string seconds_text(std::chrono::milliseconds ms) {
	char buf[32];
	if (ms.count() % 1000 == 0)
		std::snprintf(buf, sizeof(buf), "%lld s", static_cast<long long>(ms.count() / 1000));
	else
		std::snprintf(buf, sizeof(buf), "%.3g s", static_cast<double>(ms.count()) / 1000.0);
	return buf;
}

} // namespace

const char *to_string(client_errc e) noexcept {
	auto i = static_cast<size_t>(e);
	return i < std::size(client_error_names) ? client_error_names[i] : "unknown";
}

client::client(client_options opts) : opts_(std::move(opts)) {}

client::~client() { close(); }

void client::close() noexcept {
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
	buf_.clear();
}

transport_error client::fail(client_errc code, int err) noexcept {
	close();
	return transport_error{code, err};
}

result<void, transport_error> client::connect() { return connect_until(clock::now() + opts_.timeout); }

result<void, transport_error> client::connect_until(clock::time_point deadline) {
	close();
	sockaddr_un addr;
	std::memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (opts_.path.empty() || opts_.path.size() >= sizeof(addr.sun_path))
		return unexpected(transport_error{client_errc::bad_path, 0});
	std::memcpy(addr.sun_path, opts_.path.data(), opts_.path.size());

	fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd_ < 0)
		return unexpected(fail(client_errc::connect_failed, errno));
	while (true) {
		if (::connect(fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) == 0)
			return {};
		int err = errno;
		switch (err) {
		case EINTR:
			continue;
		case EAGAIN: // the daemon's accept backlog is full: it is busy, retry until the deadline
			if (ms_left(deadline) == 0)
				return unexpected(fail(client_errc::timeout, err));
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
			continue;
		case EINPROGRESS: {
			int rc = wait_for(fd_, POLLOUT, deadline);
			if (rc == 0)
				return unexpected(fail(client_errc::timeout, 0));
			int so_err = 0;
			socklen_t len = sizeof(so_err);
			if (rc < 0 || ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_err, &len) != 0)
				return unexpected(fail(client_errc::connect_failed, errno));
			if (so_err == 0)
				return {};
			err = so_err;
			break;
		}
		default:
			break;
		}
		if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR)
			return unexpected(fail(client_errc::not_running, err));
		if (err == EACCES || err == EPERM)
			return unexpected(fail(client_errc::permission_denied, err));
		return unexpected(fail(client_errc::connect_failed, err));
	}
}

result<void, transport_error> client::send_all(std::string_view data, clock::time_point deadline) {
	while (!data.empty()) {
		ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			data.remove_prefix(static_cast<size_t>(n));
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return unexpected(fail(client_errc::connection_closed, errno));
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return unexpected(fail(client_errc::io_error, errno));
		int rc = wait_for(fd_, POLLOUT, deadline);
		if (rc == 0)
			return unexpected(fail(client_errc::timeout, 0));
		if (rc < 0)
			return unexpected(fail(client_errc::io_error, errno));
	}
	return {};
}

result<std::string, transport_error> client::read_line(clock::time_point deadline) {
	size_t scanned = 0;
	while (true) {
		auto nl = buf_.find('\n', scanned);
		if (nl != std::string::npos) {
			if (nl > opts_.max_response_bytes)
				return unexpected(fail(client_errc::response_too_large, 0));
			std::string line = buf_.substr(0, nl);
			buf_.erase(0, nl + 1);
			return line;
		}
		scanned = buf_.size();
		if (buf_.size() > opts_.max_response_bytes)
			return unexpected(fail(client_errc::response_too_large, 0));
		int rc = wait_for(fd_, POLLIN, deadline);
		if (rc == 0)
			return unexpected(fail(client_errc::timeout, 0));
		if (rc < 0)
			return unexpected(fail(client_errc::io_error, errno));
		char chunk[64 * 1024];
		ssize_t n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n == 0)
			return unexpected(fail(client_errc::connection_closed, 0));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			if (errno == ECONNRESET)
				return unexpected(fail(client_errc::connection_closed, errno));
			return unexpected(fail(client_errc::io_error, errno));
		}
		buf_.append(chunk, static_cast<size_t>(n));
	}
}

result<response, transport_error> client::call(std::string_view cmd, const json &args) {
	auto deadline = clock::now() + opts_.timeout;
	if (fd_ < 0)
		if (auto c = connect_until(deadline); !c)
			return unexpected(c.error());
	uint64_t id = next_id_++;
	if (auto s = send_all(encode_request(id, cmd, args), deadline); !s)
		return unexpected(s.error());
	auto line = read_line(deadline);
	if (!line)
		return unexpected(line.error());
	response r;
	if (parse_response(*line, r))
		return unexpected(fail(client_errc::bad_response, 0));
	// An answer to a line the server could not read carries a null id (errors only).
	if (r.id ? *r.id != id : r.ok)
		return unexpected(fail(client_errc::bad_response, 0));
	return r;
}

std::string client::describe(transport_error e) const {
	const std::string &p = opts_.path;
	auto reason = [&] { return e.sys_errno ? std::string(std::strerror(e.sys_errno)) : std::string(); };
	switch (e.code) {
	case client_errc::not_running:
		return "cannot connect to " + p + ": is l2tpx-controlplane running?";
	case client_errc::permission_denied:
		return "cannot connect to " + p + ": permission denied (run as root or as a member of the socket's group)";
	case client_errc::connect_failed:
		return "cannot connect to " + p + ": " + reason();
	case client_errc::bad_path:
		return "invalid socket path '" + p + "': empty or longer than 107 bytes";
	case client_errc::timeout:
		return "no answer from " + p + " within " + seconds_text(opts_.timeout);
	case client_errc::connection_closed:
		return p + " closed the connection before answering";
	case client_errc::io_error:
		return "I/O error on " + p + ": " + reason();
	case client_errc::response_too_large:
		return "answer from " + p + " is larger than " + std::to_string(opts_.max_response_bytes) + " bytes";
	case client_errc::bad_response:
		return "malformed answer from " + p;
	}
	return "error talking to " + p;
}

} // namespace l2tpx::mgmt
