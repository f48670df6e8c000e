#include "tools/gen/lac/lac_options.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace l2tpx::gen::lac {

namespace {

template <typename T> bool parse_uint(std::string_view s, T lo, T hi, T &out) {
	uint64_t v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
		return false;
	out = static_cast<T>(v);
	return true;
}

bool parse_double(std::string_view s, double lo, double hi, double &out) {
	// from_chars for double needs gcc 11+; fine with g++ 12.
	double v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < lo || v > hi)
		return false;
	out = v;
	return true;
}

std::string bad(std::string_view flag, std::string_view value, std::string_view want) {
	return std::string(flag) + ": invalid value '" + std::string(value) + "' (" + std::string(want) + ")";
}

} // namespace

std::string check_pattern(std::string_view pattern) {
	for (size_t i = 0; i < pattern.size(); ++i) {
		if (pattern[i] == '}')
			return "unmatched '}' in '" + std::string(pattern) + "'";
		if (pattern[i] != '{')
			continue;
		const size_t close = pattern.find('}', i);
		if (close == std::string_view::npos)
			return "unmatched '{' in '" + std::string(pattern) + "'";
		const std::string_view name = pattern.substr(i + 1, close - i - 1);
		if (name != "n" && name != "t" && name != "s")
			return "unknown placeholder '{" + std::string(name) + "}' in '" + std::string(pattern) +
			       "' (use {n}, {t} or {s})";
		i = close;
	}
	return {};
}

std::string expand_pattern(std::string_view pattern, uint32_t n, uint32_t t, uint32_t s) {
	std::string out;
	out.reserve(pattern.size() + 8);
	for (size_t i = 0; i < pattern.size(); ++i) {
		if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}') {
			const char c = pattern[i + 1];
			if (c == 'n' || c == 't' || c == 's') {
				out += std::to_string(c == 'n' ? n : c == 't' ? t : s);
				i += 2;
				continue;
			}
		}
		out += pattern[i];
	}
	return out;
}

parse_outcome parse_args(std::span<const char *const> args) {
	parse_outcome r;
	lac_options &o = r.options;
	bool have_lns = false, have_total = false, have_per_tunnel = false;
	for (size_t i = 0; i < args.size(); ++i) {
		std::string_view flag = args[i] ? std::string_view(args[i]) : std::string_view();
		std::string_view value;
		bool has_inline = false;
		if (const size_t eq = flag.find('='); flag.starts_with("--") && eq != std::string_view::npos) {
			value = flag.substr(eq + 1);
			flag = flag.substr(0, eq);
			has_inline = true;
		}
		if (flag == "--help" || flag == "-h") {
			r.help = true;
			return r;
		}
		if (flag == "--print-users" || flag == "--hold") {
			(flag == "--hold" ? o.hold : o.print_users) = true;
			continue;
		}
		if (!flag.starts_with("--")) {
			r.error = "unexpected argument '" + std::string(flag) + "'";
			return r;
		}
		if (!has_inline) {
			if (i + 1 >= args.size() || !args[i + 1]) {
				r.error = std::string(flag) + ": missing value";
				return r;
			}
			value = args[++i];
		}
		auto fail = [&](std::string_view want) {
			r.error = bad(flag, value, want);
			return r;
		};
		if (flag == "--lns" || flag == "--local" || flag == "--target") {
			auto a = cp::parse_ipv4(value);
			if (!a || (flag != "--local" && a->is_unspecified()))
				return fail("an IPv4 address");
			if (flag == "--lns") {
				o.lns = *a;
				have_lns = true;
			} else if (flag == "--local") {
				o.local = *a;
			} else {
				o.target = *a;
			}
		} else if (flag == "--lns-port") {
			if (!parse_uint<uint16_t>(value, 1, 65535, o.lns_port))
				return fail("1..65535");
		} else if (flag == "--local-port") {
			if (!parse_uint<uint16_t>(value, 0, 65535, o.local_port))
				return fail("0..65535, 0 = ephemeral");
		} else if (flag == "--tunnels") {
			if (!parse_uint<uint32_t>(value, 1, 4096, o.tunnels))
				return fail("1..4096");
		} else if (flag == "--sessions-per-tunnel") {
			if (!parse_uint<uint32_t>(value, 1, 4096, o.sessions_per_tunnel))
				return fail("1..4096");
			have_per_tunnel = true;
		} else if (flag == "--sessions") {
			if (!parse_uint<uint32_t>(value, 1, 1000000, o.sessions))
				return fail("1..1000000");
			have_total = true;
		} else if (flag == "--user" || flag == "--password") {
			if (value.empty() || value.size() > 200)
				return fail("1..200 characters");
			if (auto e = check_pattern(value); !e.empty()) {
				r.error = std::string(flag) + ": " + e;
				return r;
			}
			(flag == "--user" ? o.user_pattern : o.password_pattern) = std::string(value);
		} else if (flag == "--auth") {
			if (value == "any")
				o.auth = ppp_auth::any;
			else if (value == "pap")
				o.auth = ppp_auth::pap;
			else if (value == "chap")
				o.auth = ppp_auth::chap;
			else
				return fail("any, pap or chap");
		} else if (flag == "--secret") {
			o.tunnel_secret = std::string(value);
		} else if (flag == "--host-name") {
			if (value.empty() || value.size() > 200)
				return fail("1..200 characters");
			o.host_name = std::string(value);
		} else if (flag == "--max-outstanding") {
			if (!parse_uint<uint32_t>(value, 1, 100000, o.max_outstanding))
				return fail("1..100000");
		} else if (flag == "--setup-rate") {
			if (!parse_double(value, 0.1, 1e6, o.setup_rate))
				return fail("calls per second, 0.1..1000000");
		} else if (flag == "--setup-timeout") {
			if (!parse_double(value, 1, 3600, o.setup_timeout_s))
				return fail("seconds, 1..3600");
		} else if (flag == "--duration") {
			if (!parse_double(value, 0, 86400, o.duration_s))
				return fail("seconds, 0..86400");
		} else if (flag == "--rate") {
			if (!parse_double(value, 0.01, 100000, o.pps_per_session))
				return fail("packets per second per session, 0.01..100000");
		} else if (flag == "--payload") {
			if (!parse_uint<uint32_t>(value, 16, 1400, o.payload_bytes))
				return fail("16..1400 bytes");
		} else if (flag == "--reply-wait") {
			if (!parse_double(value, 0, 60, o.reply_wait_s))
				return fail("seconds, 0..60");
		} else if (flag == "--max-loss") {
			if (!parse_double(value, 0, 100, o.max_loss_percent))
				return fail("percent, 0..100");
		} else if (flag == "--json") {
			if (value.empty())
				return fail("a file path");
			o.json_path = std::string(value);
		} else {
			r.error = "unknown option '" + std::string(flag) + "'";
			return r;
		}
	}
	if (have_total && have_per_tunnel) {
		r.error = "--sessions and --sessions-per-tunnel exclude each other";
		return r;
	}
	if (have_total) {
		// Spread over the tunnels, tunnel by tunnel; fewer tunnels when they would be empty.
		o.sessions_per_tunnel = (o.sessions + o.tunnels - 1) / o.tunnels;
		o.tunnels = (o.sessions + o.sessions_per_tunnel - 1) / o.sessions_per_tunnel;
		if (o.sessions_per_tunnel > 4096) {
			r.error = "--sessions " + std::to_string(o.sessions) + " needs more than 4096 sessions per tunnel: raise --tunnels";
			return r;
		}
	} else {
		if (uint64_t(o.tunnels) * o.sessions_per_tunnel > 1000000) {
			r.error = "--tunnels x --sessions-per-tunnel: at most 1000000 sessions";
			return r;
		}
		o.sessions = o.tunnels * o.sessions_per_tunnel;
	}
	if (!have_lns && !o.print_users)
		r.error = "--lns is required";
	return r;
}

std::string usage(std::string_view program) {
	return "usage: " + std::string(program) + R"( --lns ADDR [options]
Dials T tunnels x S sessions (L2TPv2, PPP with PAP/CHAP) to an LNS over a UDP socket,
pings a target through every session, prints a report, tears everything down.

  --lns ADDR               LNS address (required)      --lns-port N       (1701)
  --local ADDR             source address (any)        --local-port N     (0 = ephemeral)
  --tunnels T              (10)                        --sessions-per-tunnel S (100)
  --sessions N             total instead of T x S: spread over T tunnels, tunnel by tunnel
  --user PATTERN           (user{n}@lab)  {n} call 1..T*S, {t} tunnel 1..T, {s} call in tunnel 1..S
  --password PATTERN       (lab-pw)       same placeholders
  --auth any|pap|chap      what the LAC accepts (any)
  --secret S               tunnel secret (none)        --host-name NAME   (l2tpx-lac)
  --max-outstanding N      calls in setup at once (64) --setup-rate R     calls/s (200)
  --setup-timeout SEC      whole setup phase (60)
  --target ADDR            ICMP echo destination behind the LNS (no traffic if unset)
  --duration SEC           traffic phase (10)          --rate PPS         per session (10)
  --payload BYTES          ICMP data, 16..1400 (56)    --reply-wait SEC   (1)
  --max-loss PERCENT       fail above this loss (1)    --json PATH        JSON report
  --print-users            print users-file lines ("user password") for the pattern, exit
  --hold                   after the report keep the sessions up until SIGINT/SIGTERM
Exit status: 0 all sessions up and loss within --max-loss; 1 otherwise; 2 bad usage;
3 runtime error (socket).
)";
}

} // namespace l2tpx::gen::lac
