// l2tpxctl: operator CLI of l2tpx-controlplane. Sends one command over the management
// socket and prints the answer. Exit status: 0 success, 1 daemon error or unreachable,
// 2 bad command line.
#include "shared/mgmt/client.hpp"
#include "shared/mgmt/commands.hpp"
#include "tools/l2tpxctl/cli.hpp"
#include "tools/l2tpxctl/render.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#ifndef L2TPX_VERSION
#define L2TPX_VERSION "unknown"
#endif

namespace {

using l2tpx::mgmt::json;
namespace mgmt = l2tpx::mgmt;
namespace ctl = l2tpx::l2tpxctl;

constexpr int exit_ok = 0;
constexpr int exit_daemon = 1;
constexpr int exit_usage = 2;

void out(const std::string &s) { std::fwrite(s.data(), 1, s.size(), stdout); }

void err(const std::string &s) {
	std::string line = "l2tpxctl: " + s + "\n";
	std::fwrite(line.data(), 1, line.size(), stderr);
}

// Reports a failure: as {"error":{...}} on stdout with --json (scripts parse one stream),
// else as a message on stderr.
int fail(const ctl::options &o, const std::string &code, const std::string &message) {
	if (o.json)
		out(mgmt::dump(json{{"error", {{"code", code}, {"message", message}}}}, 2) + "\n");
	else
		err(message);
	return exit_daemon;
}

json client_version() {
	return {{"name", "l2tpxctl"}, {"version", L2TPX_VERSION}, {"protocol", mgmt::protocol_version}};
}

std::string version_line(const json &v) {
	auto str = [&](const char *k) {
		auto it = v.find(k);
		return it != v.end() && it->is_string() ? ctl::sanitize(it->get_ref<const std::string &>()) : std::string("?");
	};
	std::string line = str("name") + " " + str("version");
	auto p = v.find("protocol");
	if (p != v.end() && p->is_number_integer())
		line += " (protocol " + mgmt::dump(*p) + ")";
	return line + "\n";
}

int run(const ctl::invocation &inv) {
	const auto &o = inv.opts;
	mgmt::client cl({o.socket_path, o.timeout, mgmt::default_max_response_bytes});
	auto r = cl.call(inv.cmd->name, inv.args);
	bool is_version = inv.cmd->name == mgmt::cmd::version;
	if (is_version && !o.json)
		out(version_line(client_version()));
	if (!r)
		return fail(o, mgmt::to_string(r.error().code), cl.describe(r.error()));
	if (!r->ok)
		return fail(o, r->error_code,
		            std::string(inv.cmd->name) + ": " + (r->error_message.empty() ? r->error_code : r->error_message));
	if (o.json) {
		json result = is_version ? json{{"client", client_version()}, {"daemon", r->result}} : r->result;
		out(mgmt::dump(result, 2) + "\n");
	} else if (is_version && r->result.is_object() && r->result.contains("name")) {
		out(version_line(r->result));
	} else {
		out(ctl::render(r->result));
	}
	return exit_ok;
}

} // namespace

int main(int argc, char **argv) {
	try {
		std::vector<std::string_view> args(argv + 1, argv + argc);
		auto parsed = ctl::parse_args(args, std::getenv("L2TPX_SOCKET"));
		if (auto *u = std::get_if<ctl::usage_error>(&parsed)) {
			err(u->message);
			return exit_usage;
		}
		const auto &inv = std::get<ctl::invocation>(parsed);
		if (inv.opts.help) {
			out(ctl::usage_text());
			return exit_ok;
		}
		int rc = run(inv);
		if (std::fflush(stdout) != 0) {
			err("cannot write the output");
			return exit_daemon;
		}
		return rc;
	} catch (const std::exception &e) {
		err(std::string("unexpected error: ") + e.what());
		return exit_daemon;
	} catch (...) {
		err("unexpected error");
		return exit_daemon;
	}
}
