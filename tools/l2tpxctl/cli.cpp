#include "tools/l2tpxctl/cli.hpp"

#include "shared/mgmt/commands.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace l2tpx::l2tpxctl {

namespace {

using mgmt::json;

const std::vector<command_spec> &table() {
	static const std::vector<command_spec> t = {
		{mgmt::cmd::show_tunnels, {}, "list tunnels"},
		{mgmt::cmd::show_tunnel, {param::tunnel_id}, "show one tunnel in detail"},
		{mgmt::cmd::show_sessions, {}, "list sessions"},
		{mgmt::cmd::show_session, {param::session_id}, "show one session in detail"},
		{mgmt::cmd::clear_tunnel, {param::tunnel_id}, "tear a tunnel down (StopCCN) with all its sessions"},
		{mgmt::cmd::clear_session, {param::session_id}, "tear a session down (CDN)"},
		{mgmt::cmd::debug_tunnel, {param::tunnel_id, param::debug_mask}, "set the debug flags of a tunnel"},
		{mgmt::cmd::debug_session, {param::session_id, param::debug_mask}, "set the debug flags of a session"},
		{mgmt::cmd::show_stats, {}, "show counters"},
		{mgmt::cmd::show_config, {}, "show the running configuration"},
		{mgmt::cmd::reload, {}, "re-read the users file (the old users stay if it is invalid)"},
		{mgmt::cmd::version, {}, "show the versions of l2tpxctl and of the daemon"},
	};
	return t;
}

std::vector<std::string> split_words(std::string_view s) {
	std::vector<std::string> out;
	size_t pos = 0;
	while (pos < s.size()) {
		auto sp = s.find(' ', pos);
		out.emplace_back(s.substr(pos, sp == std::string_view::npos ? sp : sp - pos));
		if (sp == std::string_view::npos)
			break;
		pos = sp + 1;
	}
	return out;
}

std::string join(std::span<const std::string> words) {
	std::string out;
	for (const auto &w : words) {
		if (!out.empty())
			out += ' ';
		out += w;
	}
	return out;
}

std::string lower(std::string_view s) {
	std::string out(s);
	for (auto &c : out)
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	return out;
}

const char *param_name(param p) { return p == param::debug_mask ? "MASK" : "ID"; }

const char *param_what(param p) {
	switch (p) {
	case param::tunnel_id:
		return "tunnel ID";
	case param::session_id:
		return "session ID";
	case param::debug_mask:
		return "debug MASK";
	}
	return "argument";
}

// L2TP IDs are 16 bits (v2) or 32 bits (v3); 0 is reserved.
std::optional<uint32_t> parse_id(std::string_view s) {
	int base = 10;
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s.remove_prefix(2);
	}
	uint32_t v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
	if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0)
		return std::nullopt;
	return v;
}

std::optional<std::chrono::milliseconds> parse_timeout(const std::string &s) {
	if (s.empty())
		return std::nullopt;
	char *end = nullptr;
	double secs = std::strtod(s.c_str(), &end);
	if (end != s.c_str() + s.size() || !std::isfinite(secs) || secs <= 0 || secs > 3600)
		return std::nullopt;
	return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(secs * 1000)));
}

struct option_spec {
	std::string_view long_name;
	char short_name;
	bool takes_value;
};
constexpr option_spec option_table[] = {
	{"--socket", 's', true}, {"--json", 'j', false}, {"--timeout", 't', true}, {"--help", 'h', false}};

std::string unknown_option_message(std::string_view opt) {
	std::string msg = "unknown option '" + std::string(opt) + "'";
	std::string_view name = opt.substr(0, opt.find('='));
	size_t best = std::numeric_limits<size_t>::max();
	std::string_view best_name;
	for (const auto &o : option_table) {
		auto d = edit_distance(name, o.long_name);
		if (d < best) {
			best = d;
			best_name = o.long_name;
		}
	}
	if (best <= 2)
		msg += "; did you mean '" + std::string(best_name) + "'?";
	else
		msg += "; run 'l2tpxctl --help' for usage";
	return msg;
}

} // namespace

std::span<const command_spec> commands() { return table(); }

std::string synopsis(const command_spec &c) {
	std::string out(c.name);
	for (auto p : c.params)
		out += std::string(" ") + param_name(p);
	return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
	// Optimal string alignment: insert, delete, substitute, swap two adjacent characters.
	std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
	for (size_t i = 0; i <= a.size(); ++i)
		d[i][0] = i;
	for (size_t j = 0; j <= b.size(); ++j)
		d[0][j] = j;
	for (size_t i = 1; i <= a.size(); ++i)
		for (size_t j = 1; j <= b.size(); ++j) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
		}
	return d[a.size()][b.size()];
}

const command_spec *closest_command(std::span<const std::string> words, std::string &typed) {
	const command_spec *best = nullptr;
	size_t best_d = std::numeric_limits<size_t>::max();
	for (const auto &c : table()) {
		size_t k = std::min(words.size(), split_words(c.name).size());
		std::string t = lower(join(words.subspan(0, k)));
		size_t d = edit_distance(t, c.name);
		if (d < best_d) {
			best_d = d;
			best = &c;
			typed = join(words.subspan(0, k));
		}
	}
	if (best == nullptr || best_d > std::max<size_t>(1, best->name.size() / 4))
		return nullptr;
	return best;
}

std::variant<invocation, usage_error> parse_args(std::span<const std::string_view> args, const char *env_socket) {
	invocation inv;
	inv.opts.socket_path = env_socket && *env_socket ? env_socket : std::string(mgmt::default_socket_path);
	std::vector<std::string> words;
	bool options_done = false;
	for (size_t i = 0; i < args.size(); ++i) {
		std::string_view a = args[i];
		if (options_done || a.empty() || a[0] != '-' || a == "-") {
			// "show sessions" quoted as one argument works too.
			for (auto &w : split_words(a))
				if (!w.empty())
					words.push_back(std::move(w));
			continue;
		}
		if (a == "--") {
			options_done = true;
			continue;
		}
		const option_spec *opt = nullptr;
		std::optional<std::string> value;
		for (const auto &o : option_table) {
			if (a == o.long_name || (a.size() == 2 && a[1] == o.short_name)) {
				opt = &o;
				break;
			}
			if (o.takes_value && a.size() > o.long_name.size() && a.substr(0, o.long_name.size()) == o.long_name &&
			    a[o.long_name.size()] == '=') {
				opt = &o;
				value = std::string(a.substr(o.long_name.size() + 1));
				break;
			}
		}
		if (opt == nullptr)
			return usage_error{unknown_option_message(a)};
		if (opt->takes_value && !value) {
			if (i + 1 >= args.size())
				return usage_error{"option '" + std::string(a) + "' needs a value"};
			value = std::string(args[++i]);
		}
		switch (opt->short_name) {
		case 's':
			if (value->empty())
				return usage_error{"option '--socket' needs a non-empty path"};
			inv.opts.socket_path = *value;
			break;
		case 'j':
			inv.opts.json = true;
			break;
		case 't': {
			auto t = parse_timeout(*value);
			if (!t)
				return usage_error{"invalid timeout '" + *value + "': expected seconds, more than 0 and at most 3600"};
			inv.opts.timeout = *t;
			break;
		}
		case 'h':
			inv.opts.help = true;
			break;
		default:
			break;
		}
	}
	if (inv.opts.help)
		return inv;
	if (words.empty())
		return usage_error{"no command given; run 'l2tpxctl --help' for the list of commands"};

	// The longest command whose words start the positional arguments (case-insensitive).
	const command_spec *match = nullptr;
	size_t match_words = 0;
	for (const auto &c : table()) {
		auto cw = split_words(c.name);
		if (cw.size() > words.size() || cw.size() <= match_words)
			continue;
		bool eq = true;
		for (size_t i = 0; i < cw.size() && eq; ++i)
			eq = lower(words[i]) == cw[i];
		if (eq) {
			match = &c;
			match_words = cw.size();
		}
	}

	if (match == nullptr) {
		// Only a prefix of commands ("show", "debug"): list what could follow.
		std::vector<const command_spec *> continuations;
		for (const auto &c : table()) {
			auto cw = split_words(c.name);
			bool prefix = words.size() < cw.size();
			for (size_t i = 0; i < words.size() && prefix; ++i)
				prefix = lower(words[i]) == cw[i];
			if (prefix)
				continuations.push_back(&c);
		}
		if (!continuations.empty()) {
			std::string msg = "incomplete command '" + join(words) + "'; expected one of:";
			for (auto *c : continuations)
				msg += "\n  l2tpxctl " + synopsis(*c);
			return usage_error{msg};
		}
		std::string typed;
		if (auto *c = closest_command(words, typed))
			return usage_error{"unknown command '" + typed + "'; did you mean '" + std::string(c->name) + "'?"};
		return usage_error{"unknown command '" + join(std::span(words).subspan(0, std::min<size_t>(words.size(), 2))) +
		                   "'; run 'l2tpxctl --help' for the list of commands"};
	}

	std::span<const std::string> rest = std::span(words).subspan(match_words);
	if (rest.size() < match->params.size()) {
		std::string msg = "'" + std::string(match->name) + "' needs a " + param_what(match->params[rest.size()]);
		return usage_error{msg + "\nusage: l2tpxctl " + synopsis(*match)};
	}
	if (rest.size() > match->params.size())
		return usage_error{"too many arguments for '" + std::string(match->name) + "': '" +
		                   rest[match->params.size()] + "'\nusage: l2tpxctl " + synopsis(*match)};
	for (size_t i = 0; i < rest.size(); ++i) {
		param p = match->params[i];
		if (p == param::debug_mask) {
			auto m = mgmt::parse_debug_mask(rest[i]);
			if (!m)
				return usage_error{"invalid debug MASK '" + rest[i] +
				                   "': expected a comma-separated list of control, sequence, data, ppp, or all, "
				                   "none, or a number"};
			inv.args["mask"] = *m;
			continue;
		}
		auto id = parse_id(rest[i]);
		if (!id)
			return usage_error{"invalid " + std::string(param_what(p)) + " '" + rest[i] +
			                   "': expected an integer 1..4294967295"};
		inv.args["id"] = *id;
	}
	inv.cmd = match;
	return inv;
}

std::string usage_text() {
	std::string out = "usage: l2tpxctl [options] COMMAND\n\n"
	                  "Operator CLI of l2tpx-controlplane, over its management socket.\n\n"
	                  "Commands:\n";
	size_t width = 0;
	for (const auto &c : table())
		width = std::max(width, synopsis(c).size());
	for (const auto &c : table()) {
		auto s = synopsis(c);
		out += "  " + s + std::string(width - s.size() + 2, ' ') + std::string(c.summary) + "\n";
	}
	out += "\nOptions:\n"
	       "  -s, --socket PATH   management socket (default $L2TPX_SOCKET, else " +
	       std::string(mgmt::default_socket_path) +
	       ")\n"
	       "  -j, --json          print the daemon's result as JSON, for scripts\n"
	       "  -t, --timeout S     give up after S seconds (default 5)\n"
	       "  -h, --help          print this help\n"
	       "\nID is a tunnel or session ID (decimal or 0x hex). MASK is a comma-separated list of\n"
	       "control, sequence, data, ppp, or all, none, or a number (control=0x2, sequence=0x4,\n"
	       "data=0x8, ppp=0x10).\n"
	       "\nExit status: 0 success, 1 the daemon answered an error or could not be reached,\n"
	       "2 the command line is wrong.\n";
	return out;
}

} // namespace l2tpx::l2tpxctl
