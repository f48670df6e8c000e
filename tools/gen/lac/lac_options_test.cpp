#include "tools/gen/lac/lac_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace l2tpx::gen::lac {
namespace {

parse_outcome parse(std::vector<const char *> v) { return parse_args(std::span<const char *const>(v.data(), v.size())); }

TEST(lac_options, defaults_with_only_the_lns) {
	auto r = parse({"--lns", "198.18.0.1"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_EQ(r.options.lns.value, 0xc6120001u);
	EXPECT_EQ(r.options.tunnels, 10u);
	EXPECT_EQ(r.options.sessions_per_tunnel, 100u);
	EXPECT_EQ(r.options.total_sessions(), 1000u);
	EXPECT_EQ(r.options.user_pattern, "user{n}@lab");
	EXPECT_EQ(r.options.lns_port, 1701);
	EXPECT_EQ(r.options.local_port, 0);
	EXPECT_FALSE(r.options.target.has_value());
	EXPECT_EQ(r.options.auth, ppp_auth::any);
}

TEST(lac_options, every_flag_both_spellings) {
	auto r = parse({"--lns=10.0.0.1", "--lns-port", "1702", "--local", "10.0.0.2", "--local-port=1701", "--tunnels",
	                "3", "--sessions-per-tunnel=7", "--user", "u{t}-{s}", "--password", "p{n}", "--auth", "pap",
	                "--secret", "s3", "--host-name", "lacx", "--max-outstanding", "5", "--setup-rate", "2.5",
	                "--setup-timeout", "9", "--target", "198.19.0.2", "--duration", "0.5", "--rate", "100",
	                "--payload", "100", "--reply-wait", "2", "--max-loss", "0", "--json", "/tmp/x.json"});
	ASSERT_TRUE(r.ok()) << r.error;
	const lac_options &o = r.options;
	EXPECT_EQ(o.lns.value, 0x0a000001u);
	EXPECT_EQ(o.lns_port, 1702);
	EXPECT_EQ(o.local.value, 0x0a000002u);
	EXPECT_EQ(o.local_port, 1701);
	EXPECT_EQ(o.total_sessions(), 21u);
	EXPECT_EQ(o.user_pattern, "u{t}-{s}");
	EXPECT_EQ(o.password_pattern, "p{n}");
	EXPECT_EQ(o.auth, ppp_auth::pap);
	EXPECT_EQ(o.tunnel_secret, "s3");
	EXPECT_EQ(o.host_name, "lacx");
	EXPECT_EQ(o.max_outstanding, 5u);
	EXPECT_DOUBLE_EQ(o.setup_rate, 2.5);
	EXPECT_DOUBLE_EQ(o.setup_timeout_s, 9);
	ASSERT_TRUE(o.target);
	EXPECT_EQ(o.target->value, 0xc6130002u);
	EXPECT_DOUBLE_EQ(o.duration_s, 0.5);
	EXPECT_DOUBLE_EQ(o.pps_per_session, 100);
	EXPECT_EQ(o.payload_bytes, 100u);
	EXPECT_DOUBLE_EQ(o.reply_wait_s, 2);
	EXPECT_DOUBLE_EQ(o.max_loss_percent, 0);
	EXPECT_EQ(o.json_path, "/tmp/x.json");
}

TEST(lac_options, bad_input_names_the_flag) {
	const struct {
		std::vector<const char *> args;
		const char *error_contains;
	} rows[] = {
	    {{}, "--lns is required"},
	    {{"--tunnels", "2"}, "--lns is required"},
	    {{"--lns", "1.2.3"}, "--lns: invalid value '1.2.3'"},
	    {{"--lns", "0.0.0.0"}, "--lns: invalid value"},
	    {{"--lns"}, "--lns: missing value"},
	    {{"--lns", "1.2.3.4", "--tunnels", "0"}, "--tunnels: invalid value '0'"},
	    {{"--lns", "1.2.3.4", "--tunnels", "12x"}, "--tunnels: invalid value"},
	    {{"--lns", "1.2.3.4", "--tunnels", "-1"}, "--tunnels: invalid value"},
	    {{"--lns", "1.2.3.4", "--sessions-per-tunnel", "4097"}, "--sessions-per-tunnel"},
	    {{"--lns", "1.2.3.4", "--lns-port", "0"}, "--lns-port"},
	    {{"--lns", "1.2.3.4", "--lns-port", "65536"}, "--lns-port"},
	    {{"--lns", "1.2.3.4", "--auth", "mschap"}, "--auth: invalid value 'mschap'"},
	    {{"--lns", "1.2.3.4", "--rate", "0"}, "--rate"},
	    {{"--lns", "1.2.3.4", "--rate", "nan"}, "--rate"},
	    {{"--lns", "1.2.3.4", "--duration", "-2"}, "--duration"},
	    {{"--lns", "1.2.3.4", "--payload", "15"}, "--payload"},
	    {{"--lns", "1.2.3.4", "--max-loss", "101"}, "--max-loss"},
	    {{"--lns", "1.2.3.4", "--user", "u{x}"}, "unknown placeholder '{x}'"},
	    {{"--lns", "1.2.3.4", "--user", "u{n"}, "unmatched '{'"},
	    {{"--lns", "1.2.3.4", "--password", "p}"}, "unmatched '}'"},
	    {{"--lns", "1.2.3.4", "--user", ""}, "--user: invalid value"},
	    {{"--lns", "1.2.3.4", "--json", ""}, "--json"},
	    {{"--lns", "1.2.3.4", "--bogus", "1"}, "unknown option '--bogus'"},
	    {{"--lns", "1.2.3.4", "stray"}, "unexpected argument 'stray'"},
	    {{"--lns", "1.2.3.4", "--tunnels", "4096", "--sessions-per-tunnel", "4096"}, "at most 1000000"},
	};
	for (const auto &row : rows) {
		auto r = parse(row.args);
		EXPECT_FALSE(r.ok());
		EXPECT_NE(r.error.find(row.error_contains), std::string::npos)
		    << "got '" << r.error << "', want '" << row.error_contains << "'";
	}
}

TEST(lac_options, help_and_print_users_need_no_lns) {
	EXPECT_TRUE(parse({"--help"}).help);
	EXPECT_TRUE(parse({"-h"}).help);
	auto r = parse({"--print-users", "--tunnels", "2"});
	ASSERT_TRUE(r.ok()) << r.error;
	EXPECT_TRUE(r.options.print_users);
}

TEST(lac_pattern, expansion) {
	const struct {
		const char *pattern;
		uint32_t n, t, s;
		const char *want;
	} rows[] = {
	    {"user{n}@lab", 1, 1, 1, "user1@lab"},
	    {"user{n}@lab", 1000, 10, 100, "user1000@lab"},
	    {"t{t}s{s}", 57, 2, 7, "t2s7"},
	    {"{n}{n}", 12, 1, 12, "1212"},
	    {"plain", 5, 1, 5, "plain"},
	    {"", 5, 1, 5, ""},
	    {"{n", 5, 1, 5, "{n"},
	    {"{x}", 5, 1, 5, "{x}"},
	    {"a{s}}", 5, 1, 4, "a4}"},
	};
	for (const auto &r : rows)
		EXPECT_EQ(expand_pattern(r.pattern, r.n, r.t, r.s), r.want) << r.pattern;
}

TEST(lac_pattern, check) {
	EXPECT_EQ(check_pattern("user{n}@lab"), "");
	EXPECT_EQ(check_pattern("{t}-{s}-{n}"), "");
	EXPECT_EQ(check_pattern("nothing"), "");
	EXPECT_NE(check_pattern("{}"), "");
	EXPECT_NE(check_pattern("{nn}"), "");
	EXPECT_NE(check_pattern("{n"), "");
	EXPECT_NE(check_pattern("n}"), "");
}

} // namespace
} // namespace l2tpx::gen::lac

namespace l2tpx::gen::lac {
namespace {

TEST(lac_options, total_sessions_spread_over_tunnels) {
	const struct {
		std::vector<const char *> args;
		uint32_t sessions, tunnels, per_tunnel;
	} rows[] = {
	    {{"--lns", "1.2.3.4", "--sessions", "1000"}, 1000, 10, 100},
	    {{"--lns", "1.2.3.4", "--sessions", "50"}, 50, 10, 5},
	    {{"--lns", "1.2.3.4", "--sessions", "50", "--tunnels", "1"}, 50, 1, 50},
	    {{"--lns", "1.2.3.4", "--sessions", "7"}, 7, 7, 1},
	    {{"--lns", "1.2.3.4", "--sessions", "101", "--tunnels", "2"}, 101, 2, 51},
	    {{"--lns", "1.2.3.4", "--sessions", "12", "--tunnels", "5"}, 12, 4, 3}, // 3+3+3+3: 4 tunnels suffice
	    {{"--lns", "1.2.3.4", "--tunnels", "3", "--sessions-per-tunnel", "4"}, 12, 3, 4},
	};
	for (const auto &row : rows) {
		auto r = parse(row.args);
		ASSERT_TRUE(r.ok()) << r.error;
		EXPECT_EQ(r.options.total_sessions(), row.sessions);
		EXPECT_EQ(r.options.tunnels, row.tunnels) << row.sessions;
		EXPECT_EQ(r.options.sessions_per_tunnel, row.per_tunnel) << row.sessions;
	}
	auto both = parse({"--lns", "1.2.3.4", "--sessions", "10", "--sessions-per-tunnel", "5"});
	EXPECT_NE(both.error.find("exclude each other"), std::string::npos);
	auto too_many = parse({"--lns", "1.2.3.4", "--sessions", "50000", "--tunnels", "2"});
	EXPECT_NE(too_many.error.find("raise --tunnels"), std::string::npos);
	EXPECT_TRUE(parse({"--lns", "1.2.3.4", "--hold"}).options.hold);
}

} // namespace
} // namespace l2tpx::gen::lac
