#include "shared/mgmt/client.hpp"
#include "shared/mgmt/server.hpp"
#include "shared/mgmt/test_util.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace l2tpx::mgmt {
namespace {

using test::pump;
using test::raw_conn;
using test::server_thread;
using test::temp_dir;

class server_test : public testing::Test {
protected:
	void SetUp() override {
		ASSERT_FALSE(dir.path().empty());
		path = dir / "ctl.sock";
	}
	std::unique_ptr<server> open(server_options o = {}) {
		o.path = path;
		std::string error;
		auto s = server::open(std::move(o), error);
		EXPECT_TRUE(s) << error;
		if (s)
			register_handlers(*s);
		return s;
	}
	static void register_handlers(server &s) {
		s.add("echo", [](const json &args) -> outcome<json> { return json{{"args", args}}; });
		s.add("show session", [](const json &args) -> outcome<json> {
			auto id = uint_arg(args, "id", 1, 65535);
			if (!id)
				return id.error();
			if (id.value() != 42)
				return failure{errc::not_found, "no session " + std::to_string(id.value())};
			return json{{"id", 42}, {"user", "alice"}};
		});
		s.add("throw", [](const json &) -> outcome<json> { throw std::runtime_error("boom"); });
		s.add("big", [](const json &args) -> outcome<json> {
			return json{{"blob", std::string(args.value("size", size_t{0}), 'x')}};
		});
	}
	// Sends `line` on `c` and drives `s` until one answer comes back.
	static response ask(server &s, raw_conn &c, const std::string &line) {
		EXPECT_TRUE(c.send(line));
		std::optional<std::string> got;
		EXPECT_TRUE(pump(s, [&] { return (got = c.try_line()).has_value(); }));
		response r;
		if (got) {
			EXPECT_FALSE(parse_response(*got, r)) << *got;
		}
		return r;
	}

	temp_dir dir;
	std::string path;
};

TEST_F(server_test, socket_is_created_with_mode_0660) {
	auto s = open();
	ASSERT_TRUE(s);
	struct stat st;
	ASSERT_EQ(::stat(path.c_str(), &st), 0);
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0660u);
}

TEST_F(server_test, mode_is_configurable_and_parent_dir_created) {
	path = dir / "run/ctl.sock";
	server_options o;
	o.mode = 0600;
	auto s = open(o);
	ASSERT_TRUE(s);
	struct stat st;
	ASSERT_EQ(::stat(path.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(server_test, stale_socket_is_replaced) {
	{
		// A socket file left behind by a dead process: bound, never unlinked.
		int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
		sockaddr_un addr{};
		addr.sun_family = AF_UNIX;
		std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
		ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)), 0);
		::close(fd);
	}
	auto s = open();
	ASSERT_TRUE(s);
	raw_conn c(path);
	ASSERT_TRUE(c.ok());
	EXPECT_TRUE(ask(*s, c, R"({"v":1,"id":1,"cmd":"echo"})"
	                       "\n")
	                .ok);
}

TEST_F(server_test, live_socket_is_not_stolen) {
	auto a = open();
	ASSERT_TRUE(a);
	server_options o;
	o.path = path;
	std::string error;
	EXPECT_FALSE(server::open(o, error));
	EXPECT_NE(error.find("already listening"), std::string::npos) << error;
	raw_conn c(path);
	EXPECT_TRUE(ask(*a, c, "{\"v\":1,\"id\":1,\"cmd\":\"echo\"}\n").ok);
}

TEST_F(server_test, regular_file_is_not_replaced) {
	std::ofstream(path) << "keep me";
	server_options o;
	o.path = path;
	std::string error;
	EXPECT_FALSE(server::open(o, error));
	EXPECT_NE(error.find("not a socket"), std::string::npos) << error;
	struct stat st;
	ASSERT_EQ(::stat(path.c_str(), &st), 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(server_test, path_too_long_is_refused) {
	server_options o;
	o.path = dir / std::string(120, 'a');
	std::string error;
	EXPECT_FALSE(server::open(o, error));
	EXPECT_NE(error.find("longer than 107"), std::string::npos) << error;
}

TEST_F(server_test, destructor_unlinks_only_its_own_socket) {
	auto a = open();
	ASSERT_TRUE(a);
	a.reset();
	struct stat st;
	EXPECT_NE(::stat(path.c_str(), &st), 0);

	a = open();
	ASSERT_EQ(::unlink(path.c_str()), 0); // someone removed it and a new instance took the path
	auto b = open();
	ASSERT_TRUE(b);
	a.reset();
	EXPECT_EQ(::stat(path.c_str(), &st), 0);
	raw_conn c(path);
	EXPECT_TRUE(ask(*b, c, "{\"v\":1,\"id\":1,\"cmd\":\"echo\"}\n").ok);
}

TEST_F(server_test, duplicate_command_is_refused) {
	auto s = open();
	EXPECT_FALSE(s->add("echo", [](const json &) -> outcome<json> { return json(1); }));
	EXPECT_FALSE(s->add("", [](const json &) -> outcome<json> { return json(1); }));
	EXPECT_TRUE(s->has("show session"));
}

TEST_F(server_test, answers_results_and_errors) {
	auto s = open();
	raw_conn c(path);
	auto r = ask(*s, c, R"({"v":1,"id":11,"cmd":"show session","args":{"id":42}})"
	                    "\n");
	EXPECT_TRUE(r.ok);
	EXPECT_EQ(r.id, 11u);
	EXPECT_EQ(r.result["user"], "alice");

	r = ask(*s, c, R"({"v":1,"id":12,"cmd":"show session","args":{"id":7}})"
	               "\n");
	EXPECT_FALSE(r.ok);
	EXPECT_EQ(r.id, 12u);
	EXPECT_EQ(r.error_code, "not_found");
	EXPECT_EQ(r.error_message, "no session 7");

	r = ask(*s, c, R"({"v":1,"id":13,"cmd":"show session","args":{"id":"x"}})"
	               "\n");
	EXPECT_EQ(r.error_code, "invalid_argument");

	r = ask(*s, c, R"({"v":1,"id":14,"cmd":"show sesion"})"
	               "\n");
	EXPECT_EQ(r.id, 14u);
	EXPECT_EQ(r.error_code, "unknown_command");
	EXPECT_EQ(r.error_message, "unknown command 'show sesion'");

	r = ask(*s, c, R"({"v":1,"id":15,"cmd":"throw"})"
	               "\n");
	EXPECT_EQ(r.error_code, "internal");
	EXPECT_NE(r.error_message.find("boom"), std::string::npos);

	r = ask(*s, c, R"({"v":2,"id":16,"cmd":"echo"})"
	               "\n");
	EXPECT_EQ(r.error_code, "unsupported_version");

	EXPECT_EQ(s->stats().requests, 6u);
	EXPECT_EQ(s->stats().ok, 1u);
	EXPECT_EQ(s->stats().unknown_command, 1u);
	EXPECT_EQ(s->stats().handler_failures, 1u);
	EXPECT_EQ(s->stats().malformed, 1u);
	auto j = to_json(s->stats());
	EXPECT_EQ(j["requests"], 6);
	EXPECT_EQ(j["handler_failures"], 1);
	EXPECT_EQ(j.begin().key(), "accepted");
	EXPECT_EQ(j.size(), 12u);
}

TEST_F(server_test, garbage_gets_an_error_and_the_connection_survives) {
	auto s = open();
	raw_conn c(path);
	const std::string garbage[] = {
		"hello\n", "{\n", "\x01\x02\x03\xff\n", "[1,2]\n", std::string(200, '{') + "\n", "{\"v\":1,\"id\":9}\n",
	};
	for (const auto &g : garbage) {
		auto r = ask(*s, c, g);
		EXPECT_FALSE(r.ok);
		EXPECT_EQ(r.error_code, "bad_request") << g;
	}
	auto r = ask(*s, c, "\n\r\n{\"v\":1,\"id\":3,\"cmd\":\"echo\",\"args\":{\"a\":1}}\r\n");
	EXPECT_TRUE(r.ok);
	EXPECT_EQ(r.id, 3u);
	EXPECT_EQ(r.result["args"]["a"], 1);
	EXPECT_EQ(s->client_count(), 1u);
}

TEST_F(server_test, oversized_lines_are_refused_and_skipped) {
	server_options o;
	o.max_request_bytes = 1024;
	auto s = open(o);
	raw_conn c(path);

	// A line arriving in pieces, without newline past the limit: answered at once, and the
	// rest of it (however long) is skipped up to its newline.
	auto r = ask(*s, c, std::string(5000, 'a'));
	EXPECT_EQ(r.error_code, "request_too_large");
	EXPECT_FALSE(r.id);
	ASSERT_TRUE(c.send(std::string(100000, 'b')));
	r = ask(*s, c, "bbbb\n{\"v\":1,\"id\":2,\"cmd\":\"echo\"}\n");
	EXPECT_TRUE(r.ok);
	EXPECT_EQ(r.id, 2u);

	// A complete line over the limit, followed by a valid one in the same write.
	std::string big = R"({"v":1,"id":3,"cmd":"echo","args":{"pad":")" + std::string(2000, 'p') + "\"}}\n";
	r = ask(*s, c, big + "{\"v\":1,\"id\":4,\"cmd\":\"echo\"}\n");
	EXPECT_EQ(r.error_code, "request_too_large");
	std::optional<std::string> line;
	ASSERT_TRUE(pump(*s, [&] { return (line = c.try_line()).has_value(); }));
	ASSERT_FALSE(parse_response(*line, r));
	EXPECT_EQ(r.id, 4u);
	EXPECT_EQ(s->stats().oversized, 2u);

	// A line exactly at the limit is accepted.
	std::string prefix = R"({"v":1,"id":5,"cmd":"echo","args":{"pad":")";
	std::string exact = prefix + std::string(1024 - prefix.size() - 3, 'q') + "\"}}";
	ASSERT_EQ(exact.size(), 1024u);
	r = ask(*s, c, exact + "\n");
	EXPECT_TRUE(r.ok);
}

TEST_F(server_test, pipelined_requests_are_answered_in_order) {
	auto s = open();
	raw_conn c(path);
	std::string lines;
	for (int i = 1; i <= 20; ++i)
		lines += R"({"v":1,"id":)" + std::to_string(i) + R"(,"cmd":"echo"})" + "\n";
	ASSERT_TRUE(c.send(lines));
	for (uint64_t i = 1; i <= 20; ++i) {
		std::optional<std::string> line;
		ASSERT_TRUE(pump(*s, [&] { return (line = c.try_line()).has_value(); }));
		response r;
		ASSERT_FALSE(parse_response(*line, r));
		EXPECT_EQ(r.id, i);
	}
}

TEST_F(server_test, request_arriving_byte_by_byte) {
	auto s = open();
	raw_conn c(path);
	std::string line = "{\"v\":1,\"id\":77,\"cmd\":\"show session\",\"args\":{\"id\":42}}\n";
	for (char ch : line) {
		ASSERT_TRUE(c.send(std::string(1, ch)));
		s->poll_once(0);
	}
	std::optional<std::string> got;
	ASSERT_TRUE(pump(*s, [&] { return (got = c.try_line()).has_value(); }));
	response r;
	ASSERT_FALSE(parse_response(*got, r));
	EXPECT_TRUE(r.ok);
	EXPECT_EQ(r.id, 77u);
}

TEST_F(server_test, half_closed_client_gets_its_answer) {
	auto s = open();
	raw_conn c(path);
	ASSERT_TRUE(c.send("{\"v\":1,\"id\":1,\"cmd\":\"echo\"}\n"));
	c.shutdown_write();
	std::optional<std::string> line;
	ASSERT_TRUE(pump(*s, [&] { return (line = c.try_line()).has_value(); }));
	EXPECT_TRUE(pump(*s, [&] { return c.eof(); }));
	EXPECT_TRUE(pump(*s, [&] { return s->client_count() == 0; }));
	EXPECT_EQ(s->stats().disconnect_mid_request, 0u);
}

TEST_F(server_test, client_disconnecting_mid_request_is_cleaned_up) {
	auto s = open();
	{
		raw_conn c(path);
		ASSERT_TRUE(pump(*s, [&] { return s->client_count() == 1; }));
		ASSERT_TRUE(c.send(R"({"v":1,"id":1,"cmd":"ec)"));
		s->poll_once(0);
	}
	ASSERT_TRUE(pump(*s, [&] { return s->client_count() == 0; }));
	EXPECT_EQ(s->stats().disconnect_mid_request, 1u);

	// A client that vanishes with an unread answer pending does not disturb the server.
	{
		raw_conn c(path);
		ASSERT_TRUE(c.send(R"({"v":1,"id":1,"cmd":"big","args":{"size":4000000}})"
		                   "\n"));
		ASSERT_TRUE(pump(*s, [&] { return s->stats().ok == 1; }));
	}
	ASSERT_TRUE(pump(*s, [&] { return s->client_count() == 0; }));
	raw_conn c(path);
	EXPECT_TRUE(ask(*s, c, "{\"v\":1,\"id\":2,\"cmd\":\"echo\"}\n").ok);
}

TEST_F(server_test, fd_is_pollable) {
	auto s = open();
	raw_conn c(path);
	ASSERT_TRUE(c.send("{\"v\":1,\"id\":1,\"cmd\":\"echo\"}\n"));
	std::optional<std::string> line;
	for (int i = 0; i < 100 && !line; ++i) {
		pollfd p{s->fd(), POLLIN, 0};
		ASSERT_GE(::poll(&p, 1, 100), 0);
		if (p.revents & POLLIN)
			s->on_readable();
		line = c.try_line();
	}
	ASSERT_TRUE(line);
	EXPECT_EQ(s->on_readable(), 0u); // nothing left: returns without blocking
}

TEST_F(server_test, busy_when_full_of_active_clients) {
	server_options o;
	o.max_clients = 2;
	o.evict_idle_after = std::chrono::hours(1);
	auto s = open(o);
	raw_conn a(path), b(path);
	ASSERT_TRUE(pump(*s, [&] { return s->client_count() == 2; }));
	raw_conn c(path);
	std::optional<std::string> line;
	ASSERT_TRUE(pump(*s, [&] { return (line = c.try_line()).has_value(); }));
	response r;
	ASSERT_FALSE(parse_response(*line, r));
	EXPECT_EQ(r.error_code, "busy");
	EXPECT_TRUE(c.eof());
	EXPECT_EQ(s->stats().refused_busy, 1u);
	EXPECT_TRUE(ask(*s, a, "{\"v\":1,\"id\":1,\"cmd\":\"echo\"}\n").ok);
}

TEST_F(server_test, idle_client_is_evicted_for_a_new_one) {
	server_options o;
	o.max_clients = 2;
	o.evict_idle_after = std::chrono::milliseconds(0);
	auto s = open(o);
	raw_conn a(path);
	ASSERT_TRUE(pump(*s, [&] { return s->client_count() == 1; }));
	raw_conn b(path);
	ASSERT_TRUE(pump(*s, [&] { return s->client_count() == 2; }));
	raw_conn c(path);
	ASSERT_TRUE(pump(*s, [&] { return s->stats().evicted_idle == 1; }));
	EXPECT_TRUE(pump(*s, [&] { return a.eof(); }));
	EXPECT_TRUE(ask(*s, c, "{\"v\":1,\"id\":1,\"cmd\":\"echo\"}\n").ok);
}

TEST_F(server_test, out_of_descriptors_refuses_without_spinning) {
	auto s = open();
	ASSERT_TRUE(s);
	// In a child, so the descriptor limit does not touch the test process. The child reports
	// through its exit status only.
	pid_t pid = ::fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		raw_conn c(path); // queued in the listen backlog
		if (!c.ok())
			::_exit(10);
		int lowest_free = ::open("/dev/null", O_RDONLY);
		::close(lowest_free);
		rlimit lim{};
		::getrlimit(RLIMIT_NOFILE, &lim);
		lim.rlim_cur = static_cast<rlim_t>(lowest_free); // every further open() fails: EMFILE
		if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
			::_exit(11);
		s->poll_once(1000);
		if (s->stats().refused_no_fd != 1 || s->client_count() != 0)
			::_exit(12);
		if (s->on_readable() != 0) // nothing left pending: the loop does not spin
			::_exit(13);
		auto line = c.try_line();
		if (!line || line->find("\"busy\"") == std::string::npos || !c.eof())
			::_exit(14);
		::_exit(0);
	}
	int status = 0;
	ASSERT_EQ(::waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

// --- client ---

TEST_F(server_test, client_reports_daemon_not_running) {
	client cl({path, std::chrono::milliseconds(1000)});
	auto r = cl.call("show sessions");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, client_errc::not_running);
	EXPECT_EQ(cl.describe(r.error()), "cannot connect to " + path + ": is l2tpx-controlplane running?");

	// A stale socket file with nobody behind it reads the same.
	{
		int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
		sockaddr_un addr{};
		addr.sun_family = AF_UNIX;
		std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
		ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)), 0);
		::close(fd);
	}
	r = cl.call("show sessions");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, client_errc::not_running);

	client bad({dir / std::string(120, 'x'), std::chrono::milliseconds(1000)});
	ASSERT_FALSE(bad.connect());
}

TEST_F(server_test, client_calls_and_matches_ids) {
	auto s = open();
	server_thread t(*s);
	client cl({path, std::chrono::seconds(10)});
	for (int i = 0; i < 5; ++i) {
		auto r = cl.call("show session", {{"id", 42}});
		ASSERT_TRUE(r) << cl.describe(r.error());
		EXPECT_TRUE(r->ok);
		EXPECT_EQ(r->result["user"], "alice");
	}
	auto r = cl.call("show session", {{"id", 1}});
	ASSERT_TRUE(r);
	EXPECT_FALSE(r->ok);
	EXPECT_EQ(r->error_code, "not_found");
	EXPECT_TRUE(cl.connected()); // one connection for all calls
}

TEST_F(server_test, client_times_out_when_the_daemon_does_not_answer) {
	auto s = open(); // never polled: the kernel accepts the connection, nobody answers
	client cl({path, std::chrono::milliseconds(100)});
	auto r = cl.call("show sessions");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, client_errc::timeout);
	EXPECT_EQ(cl.describe(r.error()), "no answer from " + path + " within 0.1 s");
	EXPECT_FALSE(cl.connected());
}

TEST_F(server_test, client_limits_answer_size_and_gets_large_answers) {
	auto s = open();
	server_thread t(*s);
	client small({path, std::chrono::seconds(10), 1000});
	auto r = small.call("big", {{"size", 10000}});
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, client_errc::response_too_large);

	client cl({path, std::chrono::seconds(30)});
	auto big = cl.call("big", {{"size", 8 * 1024 * 1024}});
	ASSERT_TRUE(big) << cl.describe(big.error());
	EXPECT_EQ(big->result["blob"].get_ref<const std::string &>().size(), 8u * 1024 * 1024);
}

TEST_F(server_test, client_reconnects_after_the_daemon_restarts) {
	client cl({path, std::chrono::seconds(10)});
	{
		auto s = open();
		server_thread t(*s);
		ASSERT_TRUE(cl.call("echo"));
	}
	auto gone = cl.call("echo");
	ASSERT_FALSE(gone);
	auto s = open();
	server_thread t(*s);
	auto r = cl.call("echo");
	ASSERT_TRUE(r) << cl.describe(r.error());
	EXPECT_TRUE(r->ok);
}

TEST_F(server_test, concurrent_clients) {
	auto s = open();
	server_thread t(*s);
	constexpr int clients = 8, calls = 50;
	std::atomic<int> ok{0};
	std::vector<std::thread> threads;
	for (int i = 0; i < clients; ++i)
		threads.emplace_back([&, i] {
			client cl({path, std::chrono::seconds(20)});
			for (int j = 0; j < calls; ++j) {
				auto r = cl.call("echo", {{"client", i}, {"call", j}});
				if (r && r->ok && r->result["args"]["client"] == i && r->result["args"]["call"] == j)
					++ok;
			}
		});
	for (auto &th : threads)
		th.join();
	t.stop();
	EXPECT_EQ(ok.load(), clients * calls);
	EXPECT_EQ(s->stats().accepted, static_cast<uint64_t>(clients));
	EXPECT_EQ(s->stats().ok, static_cast<uint64_t>(clients * calls));
}

} // namespace
} // namespace l2tpx::mgmt
