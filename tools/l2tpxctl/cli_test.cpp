#include "tools/l2tpxctl/cli.hpp"

#include "shared/mgmt/commands.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace l2tpx::l2tpxctl {
namespace {

std::variant<invocation, usage_error> parse(std::initializer_list<std::string_view> args,
                                            const char *env = nullptr) {
	std::vector<std::string_view> v(args);
	return parse_args(v, env);
}

struct ok_case {
	std::vector<std::string_view> args;
	std::string_view cmd;
	const char *args_json;
};

TEST(cli, parses_every_command) {
	const ok_case cases[] = {
		{{"show", "tunnels"}, "show tunnels", "{}"},
		{{"show", "tunnel", "7"}, "show tunnel", R"({"id":7})"},
		{{"show", "sessions"}, "show sessions", "{}"},
		{{"show", "session", "42"}, "show session", R"({"id":42})"},
		{{"show", "session", "0x2a"}, "show session", R"({"id":42})"},
		{{"show", "session", "4294967295"}, "show session", R"({"id":4294967295})"},
		{{"clear", "tunnel", "1"}, "clear tunnel", R"({"id":1})"},
		{{"clear", "session", "65535"}, "clear session", R"({"id":65535})"},
		{{"debug", "tunnel", "3", "control,sequence"}, "debug tunnel", R"({"id":3,"mask":6})"},
		{{"debug", "session", "3", "all"}, "debug session", R"({"id":3,"mask":30})"},
		{{"debug", "session", "3", "none"}, "debug session", R"({"id":3,"mask":0})"},
		{{"debug", "session", "3", "ppp+data"}, "debug session", R"({"id":3,"mask":24})"},
		{{"show", "stats"}, "show stats", "{}"},
		{{"show", "config"}, "show config", "{}"},
		{{"reload"}, "reload", "{}"},
		{{"version"}, "version", "{}"},
		{{"SHOW", "Sessions"}, "show sessions", "{}"},
		{{"show sessions"}, "show sessions", "{}"},
		{{"show  session", "9"}, "show session", R"({"id":9})"},
	};
	for (const auto &c : cases) {
		auto r = parse_args(c.args, nullptr);
		ASSERT_TRUE(std::holds_alternative<invocation>(r)) << c.cmd << ": " << std::get<usage_error>(r).message;
		const auto &inv = std::get<invocation>(r);
		ASSERT_NE(inv.cmd, nullptr);
		EXPECT_EQ(inv.cmd->name, c.cmd);
		EXPECT_EQ(mgmt::dump(inv.args), c.args_json) << c.cmd;
		EXPECT_FALSE(inv.opts.json);
		EXPECT_EQ(inv.opts.socket_path, mgmt::default_socket_path);
		EXPECT_EQ(inv.opts.timeout, std::chrono::milliseconds(5000));
	}
}

TEST(cli, options) {
	auto r = parse({"--socket", "/tmp/x.sock", "--json", "--timeout", "0.25", "show", "stats"});
	ASSERT_TRUE(std::holds_alternative<invocation>(r));
	auto inv = std::get<invocation>(r);
	EXPECT_EQ(inv.opts.socket_path, "/tmp/x.sock");
	EXPECT_TRUE(inv.opts.json);
	EXPECT_EQ(inv.opts.timeout, std::chrono::milliseconds(250));

	r = parse({"show", "stats", "-s", "/a", "-j", "-t", "2", "--socket=/b", "--timeout=3"});
	ASSERT_TRUE(std::holds_alternative<invocation>(r));
	inv = std::get<invocation>(r);
	EXPECT_EQ(inv.opts.socket_path, "/b");
	EXPECT_EQ(inv.opts.timeout, std::chrono::seconds(3));

	r = parse({"show", "stats"}, "/env.sock");
	EXPECT_EQ(std::get<invocation>(r).opts.socket_path, "/env.sock");
	r = parse({"--socket", "/cli.sock", "show", "stats"}, "/env.sock");
	EXPECT_EQ(std::get<invocation>(r).opts.socket_path, "/cli.sock");

	for (auto h : {"-h", "--help"}) {
		r = parse({h});
		ASSERT_TRUE(std::holds_alternative<invocation>(r));
		EXPECT_TRUE(std::get<invocation>(r).opts.help);
	}
	r = parse({"show", "sesions", "--help"}); // help wins over a bad command
	EXPECT_TRUE(std::holds_alternative<invocation>(r));
}

struct error_case {
	std::vector<std::string_view> args;
	std::string message;
};

TEST(cli, usage_errors) {
	const error_case cases[] = {
		{{"show", "sesions"}, "unknown command 'show sesions'; did you mean 'show sessions'?"},
		{{"show", "sessoin", "5"}, "unknown command 'show sessoin'; did you mean 'show session'?"},
		{{"sho", "tunnels"}, "unknown command 'sho tunnels'; did you mean 'show tunnels'?"},
		{{"shwo", "stats"}, "unknown command 'shwo stats'; did you mean 'show stats'?"},
		{{"verison"}, "unknown command 'verison'; did you mean 'version'?"},
		{{"clear", "sesion", "4"}, "unknown command 'clear sesion'; did you mean 'clear session'?"},
		{{"frobnicate"}, "unknown command 'frobnicate'; run 'l2tpxctl --help' for the list of commands"},
		{{"reboot", "the", "box"}, "unknown command 'reboot the'; run 'l2tpxctl --help' for the list of commands"},
		{{}, "no command given; run 'l2tpxctl --help' for the list of commands"},
		{{"show"},
		 "incomplete command 'show'; expected one of:\n  l2tpxctl show tunnels\n  l2tpxctl show tunnel ID\n"
		 "  l2tpxctl show sessions\n  l2tpxctl show session ID\n  l2tpxctl show stats\n  l2tpxctl show config"},
		{{"show", "session"}, "'show session' needs a session ID\nusage: l2tpxctl show session ID"},
		{{"debug", "tunnel", "5"}, "'debug tunnel' needs a debug MASK\nusage: l2tpxctl debug tunnel ID MASK"},
		{{"show", "sessions", "5"}, "too many arguments for 'show sessions': '5'\nusage: l2tpxctl show sessions"},
		{{"show", "session", "abc"}, "invalid session ID 'abc': expected an integer 1..4294967295"},
		{{"show", "tunnel", "0"}, "invalid tunnel ID '0': expected an integer 1..4294967295"},
		{{"show", "tunnel", "4294967296"}, "invalid tunnel ID '4294967296': expected an integer 1..4294967295"},
		{{"show", "tunnel", "-1"}, "unknown option '-1'; run 'l2tpxctl --help' for usage"},
		{{"debug", "session", "1", "verbose"},
		 "invalid debug MASK 'verbose': expected a comma-separated list of control, sequence, data, ppp, or all, "
		 "none, or a number"},
		{{"--jsn", "show", "stats"}, "unknown option '--jsn'; did you mean '--json'?"},
		{{"--socket"}, "option '--socket' needs a value"},
		{{"--socket=", "version"}, "option '--socket' needs a non-empty path"},
		{{"--timeout", "0", "version"}, "invalid timeout '0': expected seconds, more than 0 and at most 3600"},
		{{"--timeout", "abc", "version"}, "invalid timeout 'abc': expected seconds, more than 0 and at most 3600"},
		{{"--timeout", "nan", "version"}, "invalid timeout 'nan': expected seconds, more than 0 and at most 3600"},
		{{"--timeout", "1e9", "version"}, "invalid timeout '1e9': expected seconds, more than 0 and at most 3600"},
	};
	for (const auto &c : cases) {
		auto r = parse_args(c.args, nullptr);
		ASSERT_TRUE(std::holds_alternative<usage_error>(r)) << c.message;
		EXPECT_EQ(std::get<usage_error>(r).message, c.message);
	}
}

TEST(cli, double_dash_ends_options) {
	auto r = parse({"--", "show", "sessions"});
	ASSERT_TRUE(std::holds_alternative<invocation>(r));
	r = parse({"--", "--json"});
	ASSERT_TRUE(std::holds_alternative<usage_error>(r));
}

TEST(cli, edit_distance) {
	EXPECT_EQ(edit_distance("", ""), 0u);
	EXPECT_EQ(edit_distance("abc", ""), 3u);
	EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
	EXPECT_EQ(edit_distance("show sesions", "show sessions"), 1u);
	EXPECT_EQ(edit_distance("shwo", "show"), 1u); // transposition counts once
	EXPECT_EQ(edit_distance("version", "version"), 0u);
}

TEST(cli, every_command_is_a_wire_command_and_has_help) {
	const std::string_view wire[] = {mgmt::cmd::show_tunnels, mgmt::cmd::show_tunnel,   mgmt::cmd::show_sessions,
	                                 mgmt::cmd::show_session, mgmt::cmd::clear_tunnel,  mgmt::cmd::clear_session,
	                                 mgmt::cmd::debug_tunnel, mgmt::cmd::debug_session, mgmt::cmd::show_stats,
	                                 mgmt::cmd::show_config,  mgmt::cmd::version,       "reload"};
	ASSERT_EQ(commands().size(), std::size(wire));
	auto help = usage_text();
	for (auto w : wire) {
		bool found = false;
		for (const auto &c : commands())
			found |= c.name == w;
		EXPECT_TRUE(found) << w;
		EXPECT_NE(help.find(std::string(w)), std::string::npos) << w;
	}
	// Each exact command name suggests itself (the suggestion threshold admits it).
	for (const auto &c : commands()) {
		std::string typed;
		std::vector<std::string> words;
		std::string name(c.name);
		size_t pos = 0, sp;
		while ((sp = name.find(' ', pos)) != std::string::npos) {
			words.push_back(name.substr(pos, sp - pos));
			pos = sp + 1;
		}
		words.push_back(name.substr(pos));
		EXPECT_EQ(closest_command(words, typed), &c);
	}
}

} // namespace
} // namespace l2tpx::l2tpxctl
