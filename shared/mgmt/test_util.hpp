// Test helpers for the management socket: a private temporary directory, a server run in
// a thread, and a raw socket connection for byte-level tests.
#pragma once

#include "shared/mgmt/server.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace l2tpx::mgmt::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class temp_dir {
public:
	temp_dir() {
		const char *base = std::getenv("TMPDIR");
		std::string tmpl = std::string(base && *base ? base : "/tmp") + "/l2tpx-mgmt-XXXXXX";
		if (::mkdtemp(tmpl.data()) != nullptr)
			path_ = tmpl;
	}
	~temp_dir() {
		std::error_code ec;
		if (!path_.empty())
			std::filesystem::remove_all(path_, ec);
	}
	temp_dir(const temp_dir &) = delete;
	temp_dir &operator=(const temp_dir &) = delete;
	const std::string &path() const { return path_; }
	std::string operator/(const std::string &name) const { return path_ + "/" + name; }

private:
	std::string path_;
};

// Runs server::poll_once in a thread until destroyed. The server must not be touched by
// the test thread while this runs.
class server_thread {
public:
	explicit server_thread(server &s) : thread_([this, &s] {
		while (!stop_.load())
			s.poll_once(10);
	}) {}
	~server_thread() { stop(); }
	void stop() {
		stop_.store(true);
		if (thread_.joinable())
			thread_.join();
	}

private:
	std::atomic<bool> stop_{false};
	std::thread thread_;
};

// A plain blocking connection with a receive timeout as a guard against hangs.
class raw_conn {
public:
	explicit raw_conn(const std::string &path) {
		fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sockaddr_un addr{};
		addr.sun_family = AF_UNIX;
		std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
		if (::connect(fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) != 0) {
			::close(fd_);
			fd_ = -1;
		}
	}
	~raw_conn() { close(); }
	raw_conn(const raw_conn &) = delete;
	raw_conn &operator=(const raw_conn &) = delete;
	bool ok() const { return fd_ >= 0; }
	void close() {
		if (fd_ >= 0)
			::close(fd_);
		fd_ = -1;
	}
	bool send(const std::string &data) {
		size_t off = 0;
		while (off < data.size()) {
			ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
			if (n <= 0)
				return false;
			off += static_cast<size_t>(n);
		}
		return true;
	}
	void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
	// Reads what is available without blocking; returns one complete line if there is one.
	std::optional<std::string> try_line() {
		drain();
		auto nl = buf_.find('\n');
		if (nl == std::string::npos)
			return std::nullopt;
		auto line = buf_.substr(0, nl);
		buf_.erase(0, nl + 1);
		return line;
	}
	bool eof() {
		drain();
		return eof_;
	}

private:
	void drain() {
		char chunk[65536];
		while (fd_ >= 0 && !eof_) {
			ssize_t n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
			if (n > 0)
				buf_.append(chunk, static_cast<size_t>(n));
			else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				eof_ = true;
			else
				break;
		}
	}
	int fd_ = -1;
	std::string buf_;
	bool eof_ = false;
};

// Drives the server until `done` holds; gives up after many rounds (a hang guard, not a
// timing assertion) and returns whether `done` held.
inline bool pump(server &s, const std::function<bool()> &done) {
	for (int i = 0; i < 1000; ++i) {
		if (done())
			return true;
		s.poll_once(10);
	}
	return done();
}

} // namespace l2tpx::mgmt::test
