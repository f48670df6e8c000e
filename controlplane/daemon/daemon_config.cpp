#include "controlplane/daemon/daemon_config.hpp"

#include "shared/base/byteorder.hpp"

#include <toml++/toml.h>

#include <grp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

namespace l2tpx::cp::daemon {

namespace {

void copy_text(char *dst, size_t cap, std::string_view s) {
	const size_t n = std::min(cap - 1, s.size());
	std::memcpy(dst, s.data(), n);
	dst[n] = '\0';
}

class parser {
public:
	explicit parser(std::string_view source) : source_(source) {}

	bool fail(cfg::errc code, const toml::source_region &where, std::string_view field, std::string_view detail) {
		err_ = cfg::error{};
		err_.code = code;
		err_.line = where.begin.line;
		err_.column = where.begin.column;
		copy_text(err_.source, sizeof(err_.source), source_);
		copy_text(err_.field, sizeof(err_.field), field);
		copy_text(err_.detail, sizeof(err_.detail), detail);
		return false;
	}
	bool fail(cfg::errc code, const toml::node &n, std::string_view field, std::string_view detail) {
		return fail(code, n.source(), field, detail);
	}
	const cfg::error &err() const noexcept { return err_; }

	bool run(const toml::table &root, daemon_config &out);

private:
	static std::string join(std::string_view path, std::string_view key) {
		return std::string(path) + '.' + std::string(key);
	}
	bool check_keys(const toml::table &t, std::string_view path, std::initializer_list<std::string_view> known) {
		for (auto &&[k, v] : t)
			if (std::find(known.begin(), known.end(), k.str()) == known.end())
				return fail(cfg::errc::unknown_key, v, join(path, k.str()), "not a key of this table");
		return true;
	}
	template <typename T>
	bool get_uint(const toml::table &t, std::string_view path, std::string_view key, T &out, uint64_t min, uint64_t max) {
		const toml::node *n = t.get(key);
		if (!n)
			return true;
		auto v = n->as_integer();
		if (!v)
			return fail(cfg::errc::wrong_type, *n, join(path, key), "expected an integer");
		const int64_t x = v->get();
		if (x < 0 || uint64_t(x) < min || uint64_t(x) > max)
			return fail(cfg::errc::out_of_range, *n, join(path, key),
			            "must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " + std::to_string(x));
		out = static_cast<T>(x);
		return true;
	}
	bool get_string(const toml::table &t, std::string_view path, std::string_view key, std::string &out,
	                bool required = false) {
		const toml::node *n = t.get(key);
		if (!n)
			return required ? fail(cfg::errc::missing_key, t, join(path, key), "required") : true;
		auto v = n->as_string();
		if (!v)
			return fail(cfg::errc::wrong_type, *n, join(path, key), "expected a string");
		out = v->get();
		return true;
	}
	// A group name or number; resolved now, so a typo is a configuration error.
	bool get_group(const toml::table &t, std::string_view path, std::string_view key, std::optional<uint32_t> &out) {
		const toml::node *n = t.get(key);
		if (!n)
			return true;
		if (auto i = n->as_integer()) {
			if (i->get() < 0 || i->get() > 0x7fffffff)
				return fail(cfg::errc::bad_value, *n, join(path, key), "a group number of 0..2147483647");
			out = static_cast<uint32_t>(i->get());
			return true;
		}
		auto v = n->as_string();
		if (!v)
			return fail(cfg::errc::wrong_type, *n, join(path, key), "expected a group name or number");
		const std::string name = v->get();
		std::vector<char> buf(16384);
		group g{};
		group *found = nullptr;
		if (name.empty() || getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found) != 0 || !found)
			return fail(cfg::errc::bad_value, *n, join(path, key), "no such group: \"" + name + "\"");
		out = static_cast<uint32_t>(found->gr_gid);
		return true;
	}
	bool get_bool(const toml::table &t, std::string_view path, std::string_view key, bool &out) {
		const toml::node *n = t.get(key);
		if (!n)
			return true;
		auto v = n->as_boolean();
		if (!v)
			return fail(cfg::errc::wrong_type, *n, join(path, key), "expected true or false");
		out = v->get();
		return true;
	}
	bool get_ipv4(const toml::table &t, std::string_view path, std::string_view key, cfg::ip_address &out,
	              bool required) {
		std::string s;
		if (!get_string(t, path, key, s, required))
			return false;
		if (!t.get(key))
			return true;
		return to_ipv4(*t.get(key), join(path, key), s, out);
	}
	bool to_ipv4(const toml::node &n, const std::string &field, const std::string &s, cfg::ip_address &out) {
		if (!cfg::parse_ip(s, out) || !out.is_v4())
			return fail(cfg::errc::bad_value, n, field, "expected an IPv4 address, got \"" + s + "\"");
		return true;
	}
	bool get_string_array(const toml::table &t, std::string_view path, std::string_view key,
	                      std::vector<std::string> &out) {
		const toml::node *n = t.get(key);
		if (!n)
			return true;
		auto a = n->as_array();
		if (!a)
			return fail(cfg::errc::wrong_type, *n, join(path, key), "expected an array of strings");
		out.clear();
		for (size_t i = 0; i < a->size(); i++) {
			auto s = (*a)[i].as_string();
			if (!s)
				return fail(cfg::errc::wrong_type, (*a)[i], join(path, key) + '[' + std::to_string(i) + ']',
				            "expected a string");
			out.push_back(s->get());
		}
		return true;
	}

	bool load_controlplane(const toml::table &t, controlplane_section &c);
	bool load_lns(const toml::table &t, lns_section &l);
	bool load_lac(const toml::table &t, const std::string &path, lac_peer &p);
	bool load_pool(const toml::table &t, const std::string &path, daemon_config &c);
	bool load_pool6(const toml::table &t, const std::string &path, pool6_section &p);
	bool validate(const toml::table &root, daemon_config &c);

	std::string source_;
	cfg::error err_{};
};

bool parser::load_controlplane(const toml::table &t, controlplane_section &c) {
	const std::string p = "controlplane";
	if (!check_keys(t, p,
	                {"log_level", "mgmt_socket", "mgmt_socket_mode", "mgmt_socket_group", "mgmt_readonly_socket",
	                 "mgmt_readonly_socket_mode", "mgmt_readonly_socket_group", "eal_args", "lcore", "idle_max_sleep_us",
	                 "shutdown_timeout_ms", "command_timeout_ms", "log_rate_per_s", "hello_interval_s",
	                 "retransmit_initial_ms", "retransmit_cap_ms", "max_retransmits", "receive_window", "max_tunnels",
	                 "max_tunnels_per_peer", "max_half_open", "max_half_open_per_peer", "max_sessions_per_tunnel",
	                 "restart_policy", "state_file"}))
		return false;
	if (const toml::node *n = t.get("restart_policy")) {
		std::string policy;
		if (!get_string(t, p, "restart_policy", policy))
			return false;
		if (policy == "flush")
			c.on_restart = restart_policy::flush;
		else if (policy == "adopt")
			c.on_restart = restart_policy::adopt;
		else
			return fail(cfg::errc::bad_value, *n, "controlplane.restart_policy", "one of flush, adopt");
	}
	if (!get_string(t, p, "state_file", c.state_file))
		return false;
	if (c.state_file.empty() || c.state_file.size() > 4000 || c.state_file.front() != '/')
		return fail(cfg::errc::bad_value, *t.get("state_file"), "controlplane.state_file", "an absolute file path");
	if (!get_string(t, p, "log_level", c.log_level))
		return false;
	static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
	if (std::find(std::begin(levels), std::end(levels), c.log_level) == std::end(levels))
		return fail(cfg::errc::bad_value, *t.get("log_level"), "controlplane.log_level",
		            "one of trace, debug, info, warn, error, critical, off");
	if (!get_string(t, p, "mgmt_socket", c.mgmt_socket))
		return false;
	if (c.mgmt_socket.empty() || c.mgmt_socket.size() > 100)
		return fail(cfg::errc::bad_value, *t.get("mgmt_socket"), "controlplane.mgmt_socket",
		            "a socket path of 1..100 characters");
	if (!get_group(t, p, "mgmt_socket_group", c.mgmt_socket_gid) ||
	    !get_group(t, p, "mgmt_readonly_socket_group", c.mgmt_readonly_socket_gid) ||
	    !get_string(t, p, "mgmt_readonly_socket", c.mgmt_readonly_socket) ||
	    !get_uint(t, p, "mgmt_readonly_socket_mode", c.mgmt_readonly_socket_mode, 0, 0777))
		return false;
	if (c.mgmt_readonly_socket.size() > 100 || c.mgmt_readonly_socket == c.mgmt_socket)
		return fail(cfg::errc::bad_value, *t.get("mgmt_readonly_socket"), "controlplane.mgmt_readonly_socket",
		            "a socket path of 1..100 characters, other than mgmt_socket (empty: none)");
	return get_uint(t, p, "mgmt_socket_mode", c.mgmt_socket_mode, 0, 0777) &&
	       get_string_array(t, p, "eal_args", c.eal_args) && get_uint(t, p, "lcore", c.lcore, 0, 1023) &&
	       get_uint(t, p, "idle_max_sleep_us", c.idle_max_sleep_us, 0, 100000) &&
	       get_uint(t, p, "shutdown_timeout_ms", c.shutdown_timeout_ms, 0, 60000) &&
	       get_uint(t, p, "command_timeout_ms", c.command_timeout_ms, 10, 60000) &&
	       get_uint(t, p, "log_rate_per_s", c.log_rate_per_s, 1, 100000) &&
	       get_uint(t, p, "hello_interval_s", c.hello_interval_s, 0, 3600) &&
	       get_uint(t, p, "retransmit_initial_ms", c.retransmit_initial_ms, 100, 10000) &&
	       get_uint(t, p, "retransmit_cap_ms", c.retransmit_cap_ms, 100, 60000) &&
	       get_uint(t, p, "max_retransmits", c.max_retransmits, 1, 32) &&
	       get_uint(t, p, "receive_window", c.receive_window, 1, 1024) &&
	       get_uint(t, p, "max_tunnels", c.max_tunnels, 1, 65535) &&
	       get_uint(t, p, "max_tunnels_per_peer", c.max_tunnels_per_peer, 1, 65535) &&
	       get_uint(t, p, "max_half_open", c.max_half_open, 1, 65535) &&
	       get_uint(t, p, "max_half_open_per_peer", c.max_half_open_per_peer, 1, 65535) &&
	       get_uint(t, p, "max_sessions_per_tunnel", c.max_sessions_per_tunnel, 1, 65535);
}

bool parser::load_lns(const toml::table &t, lns_section &l) {
	const std::string p = "lns";
	if (!check_keys(t, p,
	                {"host_name", "local_address", "tunnel_auth_required", "hide_avps", "authentication",
	                 "auth_fallback", "users_file", "gateway_address", "dns", "mru", "lcp_echo_interval_s",
	                 "lcp_echo_failures", "accept_proxy_lcp", "accept_proxy_auth", "enable_ipv6cp", "check_source",
	                 "mss_clamp", "data_reorder_timeout_ms", "ra_interval_s", "ra_router_lifetime_s",
	                 "ra_prefix_on_link", "ipv6_dns"}))
		return false;
	if (!get_string(t, p, "host_name", l.host_name))
		return false;
	if (l.host_name.empty() || l.host_name.size() > 253)
		return fail(cfg::errc::bad_value, *t.get("host_name"), "lns.host_name", "1..253 characters");
	if (const toml::node *n = t.get("local_address")) {
		cfg::ip_address a;
		std::string s;
		if (!get_string(t, p, "local_address", s))
			return false;
		if (!cfg::parse_ip(s, a))
			return fail(cfg::errc::bad_value, *n, "lns.local_address", "expected an IP address, got \"" + s + "\"");
		l.local_address = a;
	}
	std::string auth = "chap";
	if (!get_string(t, p, "authentication", auth))
		return false;
	if (auth == "chap")
		l.authentication = ppp_auth::chap;
	else if (auth == "pap")
		l.authentication = ppp_auth::pap;
	else if (auth == "none")
		l.authentication = ppp_auth::none;
	else
		return fail(cfg::errc::bad_value, *t.get("authentication"), "lns.authentication", "one of chap, pap, none");
	if (!get_bool(t, p, "tunnel_auth_required", l.tunnel_auth_required) || !get_bool(t, p, "hide_avps", l.hide_avps) ||
	    !get_bool(t, p, "auth_fallback", l.auth_fallback) || !get_string(t, p, "users_file", l.users_file) ||
	    !get_ipv4(t, p, "gateway_address", l.gateway_address, true) || !get_uint(t, p, "mru", l.mru, 576, 9000) ||
	    !get_uint(t, p, "lcp_echo_interval_s", l.lcp_echo_interval_s, 0, 3600) ||
	    !get_uint(t, p, "lcp_echo_failures", l.lcp_echo_failures, 1, 100) ||
	    !get_bool(t, p, "accept_proxy_lcp", l.accept_proxy_lcp) ||
	    !get_bool(t, p, "accept_proxy_auth", l.accept_proxy_auth) ||
	    !get_bool(t, p, "enable_ipv6cp", l.enable_ipv6cp) || !get_bool(t, p, "check_source", l.check_source) ||
	    !get_uint(t, p, "mss_clamp", l.mss_clamp, 0, 65535) ||
	    !get_uint(t, p, "data_reorder_timeout_ms", l.data_reorder_timeout_ms, 0, 65535))
		return false;
	std::vector<std::string> dns;
	if (!get_string_array(t, p, "dns", dns))
		return false;
	if (dns.size() > 2)
		return fail(cfg::errc::out_of_range, *t.get("dns"), "lns.dns", "at most two servers");
	for (size_t i = 0; i < dns.size(); i++) {
		cfg::ip_address a;
		if (!to_ipv4(*(*t.get("dns")->as_array())[i].as_string(), "lns.dns[" + std::to_string(i) + "]", dns[i], a))
			return false;
		l.dns.push_back(a);
	}
	if (l.authentication != ppp_auth::none && l.users_file.empty())
		return fail(cfg::errc::missing_key, t, "lns.users_file", "needed when authentication is not \"none\"");
	if (!get_uint(t, p, "ra_interval_s", l.ra_interval_s, 4, 1800) ||
	    !get_bool(t, p, "ra_prefix_on_link", l.ra_prefix_on_link))
		return false;
	if (const toml::node *n = t.get("ra_router_lifetime_s")) {
		uint32_t v = 0;
		if (!get_uint(t, p, "ra_router_lifetime_s", v, 0, 9000))
			return false;
		if (v != 0 && v < l.ra_interval_s) // RFC 4861 §6.2.1
			return fail(cfg::errc::out_of_range, *n, "lns.ra_router_lifetime_s", "0, or ra_interval_s..9000");
		l.ra_router_lifetime_s = v;
	}
	std::vector<std::string> dns6;
	if (!get_string_array(t, p, "ipv6_dns", dns6))
		return false;
	if (dns6.size() > 3)
		return fail(cfg::errc::out_of_range, *t.get("ipv6_dns"), "lns.ipv6_dns", "at most three servers");
	for (size_t i = 0; i < dns6.size(); i++) {
		cfg::ip_address a;
		if (!cfg::parse_ip(dns6[i], a) || !a.is_v6())
			return fail(cfg::errc::bad_value, (*t.get("ipv6_dns")->as_array())[i],
			            "lns.ipv6_dns[" + std::to_string(i) + "]", "expected an IPv6 address, got \"" + dns6[i] + "\"");
		l.ipv6_dns.push_back(a);
	}
	return true;
}

bool parser::load_lac(const toml::table &t, const std::string &p, lac_peer &lac) {
	lac.line = t.source().begin.line;
	if (!check_keys(t, p, {"address", "host_name", "secret"}))
		return false;
	std::string a;
	if (!get_string(t, p, "address", a, true) || !get_string(t, p, "host_name", lac.host_name) ||
	    !get_string(t, p, "secret", lac.secret))
		return false;
	if (!lac.secret.empty() && lac.host_name.empty())
		return fail(cfg::errc::missing_key, *t.get("secret"), join(p, "host_name"),
		            "a secret is chosen by the LAC's Host Name AVP: give host_name with it");
	if (a.find('/') == std::string::npos) {
		if (!cfg::parse_ip(a, lac.prefix.address))
			return fail(cfg::errc::bad_value, *t.get("address"), join(p, "address"), "expected an address or prefix");
		lac.prefix.length = lac.prefix.address.is_v4() ? 32 : 128;
	} else if (!cfg::parse_prefix(a, lac.prefix)) {
		return fail(cfg::errc::bad_value, *t.get("address"), join(p, "address"), "expected an address or prefix");
	}
	return true;
}

// An IPv6 pool: `prefix` cut into `assign_length` prefixes, one per subscriber.
bool parser::load_pool6(const toml::table &t, const std::string &p, pool6_section &pool) {
	pool.line = t.source().begin.line;
	if (!check_keys(t, p, {"name", "prefix", "assign_length"}) || !get_string(t, p, "name", pool.name, true))
		return false;
	std::string s;
	if (!get_string(t, p, "prefix", s))
		return false;
	const toml::node &n = *t.get("prefix");
	if (!cfg::parse_prefix(s, pool.prefix) || !pool.prefix.address.is_v6() || pool.prefix.length > 64)
		return fail(cfg::errc::bad_value, n, join(p, "prefix"), "expected an IPv6 prefix /0../64, got \"" + s + "\"");
	for (unsigned bit = pool.prefix.length; bit < 128; ++bit)
		if (pool.prefix.address.bytes[bit / 8] & (0x80u >> (bit % 8)))
			return fail(cfg::errc::bad_value, n, join(p, "prefix"), "host bits set in \"" + s + "\"");
	if (!get_uint(t, p, "assign_length", pool.assign_length, 1, 64))
		return false;
	if (pool.assign_length < pool.prefix.length || pool.assign_length - pool.prefix.length > 24)
		return fail(cfg::errc::out_of_range, t.get("assign_length") ? *t.get("assign_length") : n,
		            join(p, "assign_length"),
		            "must be from the prefix length to 24 bits more (at most 2^24 prefixes per pool)");
	return true;
}

bool parser::load_pool(const toml::table &t, const std::string &p, daemon_config &c) {
	if (const toml::node *px = t.get("prefix"); px && px->as_string() && px->as_string()->get().find(':') != std::string::npos)
		return load_pool6(t, p, c.pools6.emplace_back());
	pool_section &pool = c.pools.emplace_back();
	pool.line = t.source().begin.line;
	if (!check_keys(t, p, {"name", "first", "last", "prefix"}))
		return false;
	if (!get_string(t, p, "name", pool.name, true))
		return false;
	if (const toml::node *n = t.get("prefix")) {
		if (t.get("first") || t.get("last"))
			return fail(cfg::errc::bad_value, *n, join(p, "prefix"), "give either prefix or first/last");
		std::string s;
		cfg::ip_prefix px;
		if (!get_string(t, p, "prefix", s))
			return false;
		if (!cfg::parse_prefix(s, px) || !px.address.is_v4() || px.length < 8 || px.length > 30)
			return fail(cfg::errc::bad_value, *n, join(p, "prefix"), "expected an IPv4 prefix /8../30");
		// The network and broadcast addresses are left out.
		const uint32_t base = load_be32(px.address.bytes.data()) & (~0u << (32 - px.length));
		const uint32_t size = 1u << (32 - px.length);
		pool.first.family = pool.last.family = 4;
		store_be32(pool.first.bytes.data(), base + 1);
		store_be32(pool.last.bytes.data(), base + size - 2);
		return true;
	}
	if (!get_ipv4(t, p, "first", pool.first, true) || !get_ipv4(t, p, "last", pool.last, true))
		return false;
	if (load_be32(pool.first.bytes.data()) > load_be32(pool.last.bytes.data()))
		return fail(cfg::errc::bad_value, *t.get("last"), join(p, "last"), "last is below first");
	return true;
}

bool parser::validate(const toml::table &root, daemon_config &c) {
	if (!root.get("lns"))
		return fail(cfg::errc::missing_key, root, "lns", "an [lns] table is required");
	const toml::table &lns = *root.get("lns")->as_table();
	if (c.cp.retransmit_cap_ms < c.cp.retransmit_initial_ms)
		return fail(cfg::errc::bad_value, *root.get("controlplane"), "controlplane.retransmit_cap_ms",
		            "below retransmit_initial_ms");
	if (c.pools.empty() && c.pools6.empty())
		return fail(cfg::errc::missing_key, root, "pool", "at least one [[pool]] is needed to address subscribers");
	{
		// [[pool]] entries in file order, IPv4 and IPv6 alike.
		const toml::array &all = *root.get("pool")->as_array();
		std::vector<std::string> names;
		for (size_t i = 0; i < all.size(); i++) {
			const std::string name = all[i].as_table()->get("name")->as_string()->get();
			if (std::find(names.begin(), names.end(), name) != names.end())
				return fail(cfg::errc::duplicate, *all[i].as_table(), "pool[" + std::to_string(i) + "].name",
				            "pool \"" + name + "\" defined twice");
			names.push_back(name);
		}
	}
	if (!c.pools6.empty() && !c.lns.enable_ipv6cp)
		return fail(cfg::errc::bad_value, lns, "lns.enable_ipv6cp", "IPv6 [[pool]]s need enable_ipv6cp = true");
	if (c.dataplane.ports.empty())
		return fail(cfg::errc::missing_key, root, "port", "the dataplane has no [[port]]");
	const bool has_access = std::any_of(c.dataplane.ports.begin(), c.dataplane.ports.end(),
	                                    [](const cfg::port_config &p) { return p.role == cfg::port_role::access; });
	if (!has_access)
		return fail(cfg::errc::bad_reference, root, "port", "no [[port]] with role = \"access\"");
	const cfg::ip_address local = c.local_address();
	if (!local.family)
		return fail(cfg::errc::bad_reference, lns, "lns.local_address",
		            "no address given and the access port has no address");
	if (c.lns.local_address) {
		bool found = false;
		for (const auto &p : c.dataplane.ports)
			for (const auto &a : p.addresses)
				found |= p.role == cfg::port_role::access && a.address == *c.lns.local_address;
		if (!found)
			return fail(cfg::errc::bad_reference, *lns.get("local_address"), "lns.local_address",
			            "not an address of an access [[port]]");
	}
	if (c.lns.tunnel_auth_required)
		for (size_t i = 0; i < c.lacs.size(); i++)
			if (c.lacs[i].secret.empty())
				return fail(cfg::errc::missing_key, *(*root.get("lac")->as_array())[i].as_table(),
				            "lac[" + std::to_string(i) + "].secret", "tunnel_auth_required needs a secret per LAC");
	return true;
}

bool parser::run(const toml::table &root, daemon_config &out) {
	if (const toml::node *n = root.get("controlplane")) {
		if (!n->is_table())
			return fail(cfg::errc::wrong_type, *n, "controlplane", "expected a table [controlplane]");
		if (!load_controlplane(*n->as_table(), out.cp))
			return false;
	}
	if (const toml::node *n = root.get("lns")) {
		if (!n->is_table())
			return fail(cfg::errc::wrong_type, *n, "lns", "expected a table [lns]");
		if (!load_lns(*n->as_table(), out.lns))
			return false;
	}
	auto each = [&](std::string_view name, auto &&fn) {
		const toml::node *n = root.get(name);
		if (!n)
			return true;
		auto a = n->as_array();
		if (!a || !a->is_array_of_tables())
			return fail(cfg::errc::wrong_type, *n, name, "expected an array of tables [[" + std::string(name) + "]]");
		for (size_t i = 0; i < a->size(); i++)
			if (!fn(*(*a)[i].as_table(), std::string(name) + '[' + std::to_string(i) + ']'))
				return false;
		return true;
	};
	return each("lac",
	            [&](const toml::table &t, const std::string &p) { return load_lac(t, p, out.lacs.emplace_back()); }) &&
	       each("pool", [&](const toml::table &t, const std::string &p) { return load_pool(t, p, out); }) &&
	       validate(root, out);
}

} // namespace

bool prefix_contains(const cfg::ip_prefix &p, const cfg::ip_address &a) noexcept {
	if (p.address.family != a.family)
		return false;
	const unsigned bits = a.is_v4() ? 32 : 128;
	const unsigned len = std::min<unsigned>(p.length, bits);
	for (unsigned i = 0; i < len / 8; i++)
		if (p.address.bytes[i] != a.bytes[i])
			return false;
	if (len % 8) {
		const uint8_t mask = static_cast<uint8_t>(0xff << (8 - len % 8));
		if ((p.address.bytes[len / 8] & mask) != (a.bytes[len / 8] & mask))
			return false;
	}
	return true;
}

cfg::ip_address daemon_config::local_address() const {
	if (lns.local_address)
		return *lns.local_address;
	for (const auto &p : dataplane.ports)
		if (p.role == cfg::port_role::access && !p.addresses.empty())
			return p.addresses.front().address;
	return {};
}

uint16_t daemon_config::access_port() const {
	const cfg::ip_address local = local_address();
	for (size_t i = 0; i < dataplane.ports.size(); i++)
		for (const auto &a : dataplane.ports[i].addresses)
			if (dataplane.ports[i].role == cfg::port_role::access && a.address == local)
				return static_cast<uint16_t>(i);
	for (size_t i = 0; i < dataplane.ports.size(); i++)
		if (dataplane.ports[i].role == cfg::port_role::access)
			return static_cast<uint16_t>(i);
	return 0;
}

const lac_peer *daemon_config::find_lac(const cfg::ip_address &addr) const {
	const lac_peer *best = nullptr;
	for (const auto &l : lacs)
		if (prefix_contains(l.prefix, addr) && (!best || l.prefix.length > best->prefix.length))
			best = &l;
	return best;
}

namespace {
ipv4_addr to_v4(const cfg::ip_address &a) { return ipv4_addr{load_be32(a.bytes.data())}; }
} // namespace

call_manager::config daemon_config::library_config() const {
	call_manager::config c;
	endpoint_config &e = c.l2tp;
	e.local_role = role::lns;
	const cfg::ip_address local = local_address();
	if (local.is_v4()) {
		e.local = udp_endpoint::v4(to_v4(local), dataplane.dataplane.l2tp_udp_port);
	} else {
		std::copy(local.bytes.begin(), local.bytes.end(), e.local.addr.begin());
		e.local.v6 = true;
		e.local.port = dataplane.dataplane.l2tp_udp_port;
	}
	tunnel_config &t = e.tunnel;
	t.host_name = lns.host_name;
	t.vendor_name = "l2tpx";
	t.hide_avps = lns.hide_avps;
	t.max_sessions = cp.max_sessions_per_tunnel;
	t.secrets.require = lns.tunnel_auth_required;
	for (const auto &l : lacs)
		if (!l.host_name.empty() && !l.secret.empty())
			t.secrets.by_host.emplace(l.host_name, l.secret);
	t.transport.our_rws = cp.receive_window;
	t.transport.retransmit_initial = duration(cp.retransmit_initial_ms);
	t.transport.retransmit_cap = duration(cp.retransmit_cap_ms);
	t.transport.max_retries = cp.max_retransmits;
	t.transport.hello_interval = duration(uint64_t(cp.hello_interval_s) * 1000);
	e.limits.max_tunnels = cp.max_tunnels;
	e.limits.max_tunnels_per_peer = cp.max_tunnels_per_peer;
	e.limits.max_half_open = cp.max_half_open;
	e.limits.max_half_open_per_peer = cp.max_half_open_per_peer;

	ppp::ppp_link_config &p = c.ppp;
	p.server = true;
	p.lcp.mru = lns.mru;
	p.lcp.require_auth = lns.authentication == ppp_auth::chap  ? ppp::auth_protocol::chap_md5
	                     : lns.authentication == ppp_auth::pap ? ppp::auth_protocol::pap
	                                                           : ppp::auth_protocol::none;
	p.lcp.allow_auth_fallback = lns.auth_fallback;
	p.lcp.echo_interval = duration(uint64_t(lns.lcp_echo_interval_s) * 1000);
	p.lcp.echo_failures = lns.lcp_echo_failures;
	p.auth.name = lns.host_name;
	p.ipcp.local = to_v4(lns.gateway_address);
	if (!lns.dns.empty())
		p.ipcp.dns1 = to_v4(lns.dns[0]);
	if (lns.dns.size() > 1)
		p.ipcp.dns2 = to_v4(lns.dns[1]);
	p.enable_ipv6cp = lns.enable_ipv6cp;
	p.accept_proxy_lcp = lns.accept_proxy_lcp;
	p.accept_proxy_auth = lns.accept_proxy_auth;

	for (const pool6_section &ps : pools6) {
		nd::ipv6_prefix px;
		std::copy(ps.prefix.address.bytes.begin(), ps.prefix.address.bytes.end(), px.addr.begin());
		px.length = ps.prefix.length;
		if (auto pool = aaa::ipv6_pool::create(ps.name, px, ps.assign_length))
			c.ipv6_pools.push_back(std::move(*pool)); // the loader checked what create() checks
	}
	nd::ra_config &ra = c.ra;
	ra.max_interval = duration(uint64_t(lns.ra_interval_s) * 1000);
	ra.min_interval = std::max(duration(3000), ra.max_interval / 3);
	ra.router_lifetime_s = static_cast<uint16_t>(lns.ra_router_lifetime_s.value_or(std::min(3 * lns.ra_interval_s, 9000u)));
	ra.on_link = lns.ra_prefix_on_link;
	for (const cfg::ip_address &a : lns.ipv6_dns) {
		nd::ipv6_bytes b;
		std::copy(a.bytes.begin(), a.bytes.end(), b.begin());
		ra.dns.push_back(b);
	}
	return c;
}

result<daemon_config, cfg::error> load_string(std::string_view text, std::string_view source_name) {
	parser p(source_name);
	cfg::load_options opts;
	opts.extra_tables = own_tables;
	opts.source_name = source_name;
	auto dp = cfg::load_string(text, opts);
	if (!dp)
		return unexpected(dp.error());
	daemon_config c;
	c.dataplane = std::move(*dp);
	toml::table root;
	try {
		root = toml::parse(text, source_name);
	} catch (const toml::parse_error &e) {
		p.fail(cfg::errc::syntax, e.source(), "", e.description());
		return unexpected(p.err());
	}
	if (!p.run(root, c))
		return unexpected(p.err());
	return c;
}

result<daemon_config, cfg::error> load_file(const std::string &path) {
	std::ifstream f(path, std::ios::binary);
	if (!f) {
		cfg::error e{};
		e.code = cfg::errc::io;
		copy_text(e.source, sizeof(e.source), path);
		copy_text(e.detail, sizeof(e.detail), std::strerror(errno));
		return unexpected(e);
	}
	std::ostringstream ss;
	ss << f.rdbuf();
	if (f.bad() || ss.str().size() > (16u << 20)) {
		cfg::error e{};
		e.code = cfg::errc::io;
		copy_text(e.source, sizeof(e.source), path);
		copy_text(e.detail, sizeof(e.detail), "read error or file larger than 16 MiB");
		return unexpected(e);
	}
	return load_string(ss.str(), path);
}

} // namespace l2tpx::cp::daemon
