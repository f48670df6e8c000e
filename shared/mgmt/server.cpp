#include "shared/mgmt/server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

namespace l2tpx::mgmt {

namespace {

constexpr size_t read_chunk = 16 * 1024;
constexpr int max_events = 64;
constexpr int max_accepts_per_event = 16;

std::string sys_reason(int err) { return std::strerror(err); }

bool fill_sockaddr(const std::string &path, sockaddr_un &addr) {
	std::memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (path.empty() || path.size() >= sizeof(addr.sun_path))
		return false;
	std::memcpy(addr.sun_path, path.data(), path.size());
	return true;
}

// True when a server accepts (or queues) connections on `path`.
bool socket_is_live(const sockaddr_un &addr) {
	int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int rc = ::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr));
	int err = errno;
	::close(fd);
	return rc == 0 || err == EAGAIN || err == EINPROGRESS;
}

std::string parent_dir(const std::string &path) {
	auto slash = path.rfind('/');
	if (slash == std::string::npos)
		return {};
	return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

struct server::conn {
	int fd;
	std::string in;          // bytes read, not yet processed
	std::string out;         // answers not yet written
	size_t out_off = 0;      // bytes of `out` already written
	bool discarding = false; // skipping the rest of an oversized line
	bool peer_done = false;  // the peer shut down its side: close once `out` is written
	uint32_t interest = 0;   // epoll events registered
	std::chrono::steady_clock::time_point last_active;
};

json to_json(const server_stats &s) {
	return {{"accepted", s.accepted},
	        {"refused_busy", s.refused_busy},
	        {"refused_no_fd", s.refused_no_fd},
	        {"evicted_idle", s.evicted_idle},
	        {"requests", s.requests},
	        {"ok", s.ok},
	        {"malformed", s.malformed},
	        {"oversized", s.oversized},
	        {"unknown_command", s.unknown_command},
	        {"handler_failures", s.handler_failures},
	        {"disconnect_mid_request", s.disconnect_mid_request},
	        {"write_errors", s.write_errors}};
}

server::server(server_options opts) : opts_(std::move(opts)) {}

std::unique_ptr<server> server::open(server_options opts, std::string &error) {
	std::unique_ptr<server> s(new server(std::move(opts)));
	const std::string &path = s->opts_.path;
	sockaddr_un addr;
	if (!fill_sockaddr(path, addr)) {
		error = "management socket path '" + path + "' is empty or longer than " +
		        std::to_string(sizeof(addr.sun_path) - 1) + " bytes";
		return nullptr;
	}

	auto dir = parent_dir(path);
	struct stat st;
	if (s->opts_.create_parent_dir && !dir.empty() && ::stat(dir.c_str(), &st) != 0) {
		if (errno != ENOENT || (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)) {
			error = "cannot create directory " + dir + " for the management socket: " + sys_reason(errno);
			return nullptr;
		}
	}

	if (::lstat(path.c_str(), &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			error = path + " exists and is not a socket; refusing to replace it";
			return nullptr;
		}
		if (socket_is_live(addr)) {
			error = "another server is already listening on " + path + " (is l2tpx-controlplane running?)";
			return nullptr;
		}
		if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
			error = "cannot remove stale socket " + path + ": " + sys_reason(errno);
			return nullptr;
		}
	}

	s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd_ < 0) {
		error = "cannot create management socket: " + sys_reason(errno);
		return nullptr;
	}
	if (::bind(s->listen_fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) != 0) {
		error = "cannot bind management socket " + path + ": " + sys_reason(errno);
		return nullptr;
	}
	// Permissions are set before listen(): until then every connect() is refused, so no
	// client can slip in under the umask's mode.
	if (::stat(path.c_str(), &st) == 0) {
		s->sock_dev_ = st.st_dev;
		s->sock_ino_ = st.st_ino;
	}
	if (::chmod(path.c_str(), s->opts_.mode) != 0) {
		error = "cannot set mode of " + path + ": " + sys_reason(errno);
		return nullptr;
	}
	if (s->opts_.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *s->opts_.group) != 0) {
		error = "cannot set group of " + path + ": " + sys_reason(errno);
		return nullptr;
	}
	if (::listen(s->listen_fd_, 16) != 0) {
		error = "cannot listen on " + path + ": " + sys_reason(errno);
		return nullptr;
	}

	s->spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC); // see accept_clients()
	s->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd_ < 0) {
		error = "epoll_create1: " + sys_reason(errno);
		return nullptr;
	}
	epoll_event ev{};
	ev.events = EPOLLIN;
	ev.data.fd = s->listen_fd_;
	if (::epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->listen_fd_, &ev) != 0) {
		error = "epoll_ctl: " + sys_reason(errno);
		return nullptr;
	}
	return s;
}

server::~server() {
	while (!clients_.empty())
		close_client(clients_.begin()->first);
	if (listen_fd_ >= 0) {
		::close(listen_fd_);
		struct stat st;
		// Unlink only the file we created: a newer instance may have replaced it.
		if (::lstat(opts_.path.c_str(), &st) == 0 && st.st_dev == sock_dev_ && st.st_ino == sock_ino_)
			::unlink(opts_.path.c_str());
	}
	if (epoll_fd_ >= 0)
		::close(epoll_fd_);
	if (spare_fd_ >= 0)
		::close(spare_fd_);
}

bool server::add(std::string cmd, handler h) {
	if (cmd.empty() || !h || handlers_.count(cmd))
		return false;
	handlers_.emplace(std::move(cmd), std::move(h));
	return true;
}

size_t server::on_readable() { return handle_events(0); }

size_t server::poll_once(int timeout_ms) { return handle_events(timeout_ms); }

size_t server::handle_events(int timeout_ms) {
	epoll_event events[max_events];
	int n = ::epoll_wait(epoll_fd_, events, max_events, timeout_ms);
	if (n <= 0)
		return 0; // timeout, or EINTR: the caller's loop comes back
	for (int i = 0; i < n; ++i) {
		int fd = events[i].data.fd;
		if (fd == listen_fd_) {
			accept_clients();
			continue;
		}
		// A client closed by an earlier event of this batch is gone from the map.
		auto it = clients_.find(fd);
		if (it != clients_.end())
			on_client_event(*it->second, events[i].events);
	}
	return static_cast<size_t>(n);
}

bool server::make_room() {
	if (clients_.size() < opts_.max_clients)
		return true;
	auto oldest = std::min_element(clients_.begin(), clients_.end(), [](const auto &a, const auto &b) {
		return a.second->last_active < b.second->last_active;
	});
	if (oldest == clients_.end())
		return false;
	auto idle = std::chrono::steady_clock::now() - oldest->second->last_active;
	if (idle < opts_.evict_idle_after || !oldest->second->out.empty())
		return false;
	++stats_.evicted_idle;
	close_client(oldest->first);
	return true;
}

void server::refuse(int fd, const std::string &why) {
	auto line = encode_error(std::nullopt, {errc::busy, why});
	// Best effort: a fresh socket buffer takes this short line without blocking.
	[[maybe_unused]] auto w = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
	::close(fd);
}

void server::accept_clients() {
	for (int i = 0; i < max_accepts_per_event; ++i) {
		int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
			// Out of descriptors: the pending connection would keep the listening socket
			// readable and spin the daemon's loop. Free the spare, take the connection,
			// refuse it, and take the spare back.
			::close(spare_fd_);
			fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd >= 0) {
				++stats_.refused_no_fd;
				refuse(fd, "management server is out of file descriptors");
			}
			spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (fd < 0)
			return; // EAGAIN, or a transient error (ECONNABORTED): retried on the next event
		if (!make_room()) {
			++stats_.refused_busy;
			refuse(fd, "too many management clients connected (" + std::to_string(opts_.max_clients) + ")");
			continue;
		}
		auto c = std::make_unique<conn>();
		c->fd = fd;
		c->interest = EPOLLIN;
		c->last_active = std::chrono::steady_clock::now();
		epoll_event ev{};
		ev.events = c->interest;
		ev.data.fd = fd;
		if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
			::close(fd);
			continue;
		}
		++stats_.accepted;
		clients_.emplace(fd, std::move(c));
	}
}

void server::on_client_event(conn &c, uint32_t events) {
	int fd = c.fd;
	c.last_active = std::chrono::steady_clock::now();
	if (events & EPOLLOUT) {
		if (!flush(c))
			return; // closed
		process_lines(c);
		if (clients_.count(fd) == 0)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (c.interest & EPOLLIN)
			read_client(c);
		else if (events & (EPOLLHUP | EPOLLERR)) {
			close_client(fd);
			return;
		}
	}
	if (clients_.count(fd))
		update_interest(c);
}

void server::read_client(conn &c) {
	char buf[read_chunk];
	ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (!c.in.empty())
			++stats_.disconnect_mid_request;
		close_client(c.fd);
		return;
	}
	if (n == 0) {
		// The peer is done sending: answer the complete lines it sent, then close. A partial
		// line left over is a request cut off mid-way.
		c.peer_done = true;
		process_lines(c);
		return;
	}
	size_t start = 0;
	if (c.discarding) {
		const char *nl = static_cast<const char *>(std::memchr(buf, '\n', static_cast<size_t>(n)));
		if (nl == nullptr)
			return;
		start = static_cast<size_t>(nl - buf) + 1;
		c.discarding = false;
	}
	c.in.append(buf + start, static_cast<size_t>(n) - start);
	process_lines(c);
}

void server::process_lines(conn &c) {
	int fd = c.fd;
	size_t pos = 0;
	// One answer at a time: stop while an answer is still waiting to be written.
	while (c.out.empty()) {
		auto nl = c.in.find('\n', pos);
		if (nl == std::string::npos)
			break;
		std::string_view line(c.in.data() + pos, nl - pos);
		pos = nl + 1;
		if (line.size() > opts_.max_request_bytes) {
			++stats_.requests;
			++stats_.oversized;
			c.out = encode_error(std::nullopt, {errc::request_too_large,
			                                    "request line longer than " +
			                                        std::to_string(opts_.max_request_bytes) + " bytes"});
		} else if (line.empty() || line == "\r") {
			continue; // blank lines are ignored (handy with socat)
		} else {
			c.out = dispatch(line);
		}
		if (!flush(c))
			return; // closed
	}
	c.in.erase(0, pos);

	if (c.out.empty() && c.in.find('\n') == std::string::npos && c.in.size() > opts_.max_request_bytes) {
		// No newline within the limit: answer now and skip the line's rest as it arrives.
		++stats_.requests;
		++stats_.oversized;
		c.in.clear();
		c.discarding = true;
		c.out = encode_error(std::nullopt, {errc::request_too_large, "request line longer than " +
		                                                                 std::to_string(opts_.max_request_bytes) +
		                                                                 " bytes"});
		if (!flush(c))
			return;
	}

	if (c.peer_done && c.out.empty() && c.in.find('\n') == std::string::npos) {
		if (!c.in.empty() && !c.discarding)
			++stats_.disconnect_mid_request;
		close_client(fd);
		return;
	}
	if (clients_.count(fd))
		update_interest(c);
}

std::string server::dispatch(std::string_view line) {
	++stats_.requests;
	request req;
	if (auto err = parse_request(line, req)) {
		++stats_.malformed;
		return encode_error(req.id, *err);
	}
	auto h = handlers_.find(req.cmd);
	if (h == handlers_.end()) {
		++stats_.unknown_command;
		return encode_error(req.id, {errc::unknown_command, "unknown command '" + req.cmd + "'"});
	}
	try {
		auto out = h->second(req.args);
		if (!out.ok())
			return encode_error(req.id, out.error());
		auto line_out = encode_result(req.id, out.value());
		++stats_.ok;
		return line_out;
	} catch (const std::exception &e) {
		++stats_.handler_failures;
		return encode_error(req.id, {errc::internal, "command '" + req.cmd + "' failed: " + e.what()});
	} catch (...) {
		++stats_.handler_failures;
		return encode_error(req.id, {errc::internal, "command '" + req.cmd + "' failed"});
	}
}

bool server::flush(conn &c) {
	while (c.out_off < c.out.size()) {
		ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true; // rest on EPOLLOUT
			++stats_.write_errors;
			close_client(c.fd);
			return false;
		}
		c.out_off += static_cast<size_t>(n);
	}
	c.out.clear();
	c.out.shrink_to_fit(); // a large answer's buffer is not kept per idle client
	c.out_off = 0;
	return true;
}

void server::update_interest(conn &c) {
	// Read only when nothing is waiting to be written and the peer still sends.
	uint32_t want = !c.out.empty() ? EPOLLOUT : (c.peer_done ? 0u : uint32_t{EPOLLIN});
	if (want == c.interest)
		return;
	epoll_event ev{};
	ev.events = want;
	ev.data.fd = c.fd;
	if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
		close_client(c.fd);
		return;
	}
	c.interest = want;
}

void server::close_client(int fd) {
	auto it = clients_.find(fd);
	if (it == clients_.end())
		return;
	::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
	::close(fd);
	clients_.erase(it);
}

} // namespace l2tpx::mgmt
