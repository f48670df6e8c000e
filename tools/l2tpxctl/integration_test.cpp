// Runs the real l2tpxctl binary (path in $L2TPXCTL) against a mgmt::server with fake
// handlers, standing in for l2tpx-controlplane. Checks output and exit codes.
#include "shared/mgmt/commands.hpp"
#include "shared/mgmt/schema.hpp"
#include "shared/mgmt/server.hpp"
#include "shared/mgmt/test_util.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

extern char **environ;

namespace l2tpx::mgmt {
namespace {

struct run_result {
	int exit_code = -1;
	std::string out, err;
};

// Runs l2tpxctl with `args`; kills it if it has not finished after many poll rounds (a
// hang guard: the CLI's own --timeout is what the tests exercise).
run_result run_ctl(const std::vector<std::string> &args) {
	run_result r;
	const char *bin = std::getenv("L2TPXCTL");
	if (bin == nullptr || *bin == '\0') {
		ADD_FAILURE() << "L2TPXCTL is not set (run through meson test)";
		return r;
	}
	int out_pipe[2], err_pipe[2];
	if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
		ADD_FAILURE() << "pipe2 failed";
		return r;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	std::vector<char *> argv;
	std::string bin_s(bin);
	argv.push_back(bin_s.data());
	std::vector<std::string> copies(args);
	for (auto &a : copies)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	pid_t pid = -1;
	int rc = posix_spawn(&pid, bin, &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	::close(out_pipe[1]);
	::close(err_pipe[1]);
	if (rc != 0) {
		ADD_FAILURE() << "posix_spawn " << bin << ": " << std::strerror(rc);
		::close(out_pipe[0]);
		::close(err_pipe[0]);
		return r;
	}
	pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
	std::string *dst[2] = {&r.out, &r.err};
	int open_fds = 2;
	for (int round = 0; open_fds > 0 && round < 600; ++round) {
		if (::poll(fds, 2, 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; ++i) {
			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			char buf[4096];
			ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
			if (n > 0) {
				dst[i]->append(buf, static_cast<size_t>(n));
			} else if (n == 0 || errno != EINTR) {
				::close(fds[i].fd);
				fds[i].fd = -1;
				--open_fds;
			}
		}
	}
	if (open_fds > 0) {
		ADD_FAILURE() << "l2tpxctl did not finish; killed";
		::kill(pid, SIGKILL);
		for (auto &f : fds)
			if (f.fd >= 0)
				::close(f.fd);
	}
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

class l2tpxctl_test : public testing::Test {
protected:
	void SetUp() override {
		path = dir / "controlplane.sock";
		server_options o;
		o.path = path;
		std::string error;
		srv = server::open(o, error);
		ASSERT_TRUE(srv) << error;
		add_fake_handlers();
	}

	void add_fake_handlers() {
		srv->add(std::string(cmd::show_sessions), [this](const json &args) -> outcome<json> {
			record(cmd::show_sessions, args);
			table t({{"id", "ID", column_format::number},
			         {"tunnel", "Tunnel", column_format::number},
			         {"user", "User", column_format::text},
			         {"state", "State", column_format::text},
			         {"uptime", "Uptime", column_format::duration},
			         {"rx_bytes", "RX bytes", column_format::bytes}});
			t.add_row({42, 7, "alice", "established", 3725, 2048});
			t.add_row({1001, 7, "bob", "auth", 5, 0});
			return t.to_json();
		});
		srv->add(std::string(cmd::show_session), [this](const json &args) -> outcome<json> {
			record(cmd::show_session, args);
			auto id = uint_arg(args, "id", 1, UINT32_MAX);
			if (!id)
				return id.error();
			if (id.value() != 42)
				return failure{errc::not_found, "no session " + std::to_string(id.value())};
			json s = json::object();
			s["id"] = 42;
			s["tunnel"] = 7;
			s["user"] = "alice";
			s["state"] = "established";
			return s;
		});
		srv->add(std::string(cmd::debug_session), [this](const json &args) -> outcome<json> {
			record(cmd::debug_session, args);
			auto mask = uint_arg(args, "mask", 0, debug_all);
			if (!mask)
				return mask.error();
			return json{{"id", args["id"]}, {"debug", format_debug_mask(static_cast<uint32_t>(mask.value()))}};
		});
		srv->add(std::string(cmd::clear_tunnel), [this](const json &args) -> outcome<json> {
			record(cmd::clear_tunnel, args);
			return failure{errc::unavailable, "dataplane not attached"};
		});
		srv->add(std::string(cmd::version), [](const json &) -> outcome<json> {
			return json{{"name", "l2tpx-controlplane"}, {"version", "9.9.9"}, {"protocol", 1}};
		});
	}

	void record(std::string_view cmd, const json &args) {
		std::lock_guard lock(mu);
		calls.push_back(std::string(cmd) + " " + dump(args));
	}
	std::vector<std::string> recorded() {
		std::lock_guard lock(mu);
		return calls;
	}

	run_result ctl(std::vector<std::string> args) {
		args.insert(args.begin(), {"--socket", path, "--timeout", "20"});
		return run_ctl(args);
	}

	test::temp_dir dir;
	std::string path;
	std::unique_ptr<server> srv;
	std::mutex mu;
	std::vector<std::string> calls;
};

TEST_F(l2tpxctl_test, show_sessions_prints_an_aligned_table) {
	test::server_thread t(*srv);
	auto r = ctl({"show", "sessions"});
	EXPECT_EQ(r.exit_code, 0) << r.err;
	EXPECT_EQ(r.out, "  ID  Tunnel  User   State          Uptime  RX bytes\n"
	                 "  42       7  alice  established  1h02m05s   2.0 KiB\n"
	                 "1001       7  bob    auth               5s       0 B\n");
	EXPECT_EQ(r.err, "");
}

TEST_F(l2tpxctl_test, show_session_prints_key_values) {
	test::server_thread t(*srv);
	auto r = ctl({"show", "session", "42"});
	EXPECT_EQ(r.exit_code, 0) << r.err;
	EXPECT_EQ(r.out, "id:     42\ntunnel: 7\nuser:   alice\nstate:  established\n");
	t.stop();
	EXPECT_EQ(recorded(), std::vector<std::string>{"show session {\"id\":42}"});
}

TEST_F(l2tpxctl_test, json_output_is_the_raw_result) {
	test::server_thread t(*srv);
	auto r = ctl({"--json", "show", "sessions"});
	EXPECT_EQ(r.exit_code, 0) << r.err;
	auto j = json::parse(r.out, nullptr, false);
	ASSERT_FALSE(j.is_discarded()) << r.out;
	ASSERT_TRUE(is_table(j));
	EXPECT_EQ(j["rows"][0][2], "alice");
	EXPECT_EQ(j["columns"][4]["format"], "duration");
}

TEST_F(l2tpxctl_test, daemon_error_exits_1) {
	test::server_thread t(*srv);
	auto r = ctl({"show", "session", "7"});
	EXPECT_EQ(r.exit_code, 1);
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err, "l2tpxctl: show session: no session 7\n");

	r = ctl({"clear", "tunnel", "3"});
	EXPECT_EQ(r.exit_code, 1);
	EXPECT_EQ(r.err, "l2tpxctl: clear tunnel: dataplane not attached\n");

	r = ctl({"--json", "show", "session", "7"});
	EXPECT_EQ(r.exit_code, 1);
	auto j = json::parse(r.out, nullptr, false);
	EXPECT_EQ(j["error"]["code"], "not_found") << r.out;

	// A command the daemon has no handler for (an older daemon).
	r = ctl({"show", "stats"});
	EXPECT_EQ(r.exit_code, 1);
	EXPECT_EQ(r.err, "l2tpxctl: show stats: unknown command 'show stats'\n");
}

TEST_F(l2tpxctl_test, debug_mask_is_sent_as_bits) {
	test::server_thread t(*srv);
	auto r = ctl({"debug", "session", "42", "control,data"});
	EXPECT_EQ(r.exit_code, 0) << r.err;
	EXPECT_EQ(r.out, "id:    42\ndebug: control,data\n");
	t.stop();
	EXPECT_EQ(recorded(), std::vector<std::string>{"debug session {\"id\":42,\"mask\":10}"});
}

TEST_F(l2tpxctl_test, typo_exits_2_without_contacting_the_daemon) {
	test::server_thread t(*srv);
	auto r = ctl({"show", "sesions"});
	EXPECT_EQ(r.exit_code, 2);
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err, "l2tpxctl: unknown command 'show sesions'; did you mean 'show sessions'?\n");
	r = ctl({"show", "session", "x"});
	EXPECT_EQ(r.exit_code, 2);
	t.stop();
	EXPECT_TRUE(recorded().empty());
	EXPECT_EQ(srv->stats().accepted, 0u);
}

TEST_F(l2tpxctl_test, daemon_not_running_exits_1) {
	std::string missing = dir / "nothing.sock";
	auto r = run_ctl({"--socket", missing, "show", "sessions"});
	EXPECT_EQ(r.exit_code, 1);
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err, "l2tpxctl: cannot connect to " + missing + ": is l2tpx-controlplane running?\n");

	r = run_ctl({"--json", "--socket", missing, "show", "sessions"});
	EXPECT_EQ(r.exit_code, 1);
	auto j = json::parse(r.out, nullptr, false);
	EXPECT_EQ(j["error"]["code"], "not_running") << r.out;

	// The socket path also comes from $L2TPX_SOCKET.
	::setenv("L2TPX_SOCKET", missing.c_str(), 1);
	r = run_ctl({"show", "tunnels"});
	::unsetenv("L2TPX_SOCKET");
	EXPECT_EQ(r.exit_code, 1);
	EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(l2tpxctl_test, unresponsive_daemon_times_out) {
	// The server is not polled: the connection is queued by the kernel, nobody answers.
	auto r = run_ctl({"--socket", path, "--timeout", "0.2", "show", "sessions"});
	EXPECT_EQ(r.exit_code, 1);
	EXPECT_EQ(r.err, "l2tpxctl: no answer from " + path + " within 0.2 s\n");
}

TEST_F(l2tpxctl_test, version_and_help) {
	test::server_thread t(*srv);
	auto r = ctl({"version"});
	EXPECT_EQ(r.exit_code, 0) << r.err;
	EXPECT_NE(r.out.find("l2tpxctl "), std::string::npos);
	EXPECT_NE(r.out.find("l2tpx-controlplane 9.9.9 (protocol 1)\n"), std::string::npos) << r.out;

	r = ctl({"--json", "version"});
	EXPECT_EQ(r.exit_code, 0);
	auto j = json::parse(r.out, nullptr, false);
	EXPECT_EQ(j["daemon"]["version"], "9.9.9") << r.out;
	EXPECT_EQ(j["client"]["name"], "l2tpxctl");

	r = run_ctl({"--help"});
	EXPECT_EQ(r.exit_code, 0);
	EXPECT_NE(r.out.find("debug session ID MASK"), std::string::npos);
	r = run_ctl({});
	EXPECT_EQ(r.exit_code, 2);
}

} // namespace
} // namespace l2tpx::mgmt
