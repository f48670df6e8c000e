// TOML -> config structs, with validation. Errors carry line, column and field path.
#include "shared/config/config_loader.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <set>

namespace l2tpx::cfg {

const char *to_string(errc e) noexcept {
	switch (e) {
#define L2TPX_X(name, text)                                                                        \
	case errc::name:                                                                               \
		return text;
		L2TPX_CFG_ERRORS(L2TPX_X)
#undef L2TPX_X
	}
	return "?";
}

const char *to_string(port_role r) noexcept {
	switch (r) {
	case port_role::access: return "access";
	case port_role::core: return "core";
	case port_role::attachment: return "attachment";
	}
	return "?";
}

const char *to_string(distribution d) noexcept {
	switch (d) {
	case distribution::automatic: return "auto";
	case distribution::rss: return "rss";
	case distribution::software: return "software";
	}
	return "?";
}

std::string format_located_error(std::string_view source, uint32_t line, uint32_t column, std::string_view field,
                                 std::string_view what, std::string_view detail) {
	std::string s(source);
	if (line != 0) {
		s += ':' + std::to_string(line);
		if (column != 0)
			s += ':' + std::to_string(column);
	}
	s += ": ";
	if (!field.empty()) {
		s += field;
		s += ": ";
	}
	s += what;
	if (!detail.empty()) {
		s += ": ";
		s += detail;
	}
	return s;
}

std::string error::to_string() const {
	return format_located_error(source, line, column, field, cfg::to_string(code), detail);
}

bool parse_ip(std::string_view s, ip_address &out) noexcept {
	char buf[INET6_ADDRSTRLEN + 1];
	if (s.empty() || s.size() >= sizeof(buf))
		return false;
	std::memcpy(buf, s.data(), s.size());
	buf[s.size()] = '\0';
	ip_address a;
	if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
		a.family = 4;
	} else if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
		a.family = 6;
	} else {
		return false;
	}
	out = a;
	return true;
}

bool parse_prefix(std::string_view s, ip_prefix &out) noexcept {
	auto slash = s.find('/');
	if (slash == std::string_view::npos)
		return false;
	ip_prefix p;
	if (!parse_ip(s.substr(0, slash), p.address))
		return false;
	auto len = s.substr(slash + 1);
	if (len.empty() || len.size() > 3)
		return false;
	unsigned v = 0;
	for (char c : len) {
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + unsigned(c - '0');
	}
	if (v > (p.address.is_v4() ? 32u : 128u))
		return false;
	p.length = static_cast<uint8_t>(v);
	out = p;
	return true;
}

static int hex_nibble(char c) noexcept {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool parse_mac(std::string_view s, mac_address &out) noexcept {
	if (s.size() != 17)
		return false;
	mac_address m{};
	for (size_t i = 0; i < 6; i++) {
		int hi = hex_nibble(s[i * 3]), lo = hex_nibble(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-'))
			return false;
		m[i] = static_cast<uint8_t>(hi << 4 | lo);
	}
	out = m;
	return true;
}

bool parse_hex_bytes(std::string_view s, std::vector<uint8_t> &out) {
	if (s.starts_with("0x") || s.starts_with("0X"))
		s.remove_prefix(2);
	if (s.size() % 2 != 0)
		return false;
	std::vector<uint8_t> v;
	for (size_t i = 0; i < s.size(); i += 2) {
		int hi = hex_nibble(s[i]), lo = hex_nibble(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		v.push_back(static_cast<uint8_t>(hi << 4 | lo));
	}
	out = std::move(v);
	return true;
}

std::string format_ip(const ip_address &a) {
	char buf[INET6_ADDRSTRLEN] = "-";
	if (a.family == 4)
		inet_ntop(AF_INET, a.bytes.data(), buf, sizeof(buf));
	else if (a.family == 6)
		inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof(buf));
	return buf;
}

namespace {

void copy_text(char *dst, size_t cap, std::string_view src) {
	size_t n = std::min(cap - 1, src.size());
	std::memcpy(dst, src.data(), n);
	dst[n] = '\0';
}

bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::string idx(std::string_view base, size_t i) { return std::string(base) + '[' + std::to_string(i) + ']'; }

class loader {
public:
	explicit loader(const load_options &o) : opts_(o) { copy_text(err_.source, sizeof(err_.source), o.source_name); }

	bool fail(errc code, const toml::source_region &where, std::string_view field, std::string_view detail) {
		if (failed_)
			return false; // keep the first error
		failed_ = true;
		err_.code = code;
		err_.line = where.begin.line;
		err_.column = where.begin.column;
		copy_text(err_.field, sizeof(err_.field), field);
		copy_text(err_.detail, sizeof(err_.detail), detail);
		return false;
	}
	bool fail(errc code, const toml::node &n, std::string_view field, std::string_view detail) {
		return fail(code, n.source(), field, detail);
	}
	const error &err() const { return err_; }

	bool run(const toml::table &root, config &out);

private:
	bool check_keys(const toml::table &t, const std::string &path, std::initializer_list<std::string_view> known) {
		for (auto &&[k, v] : t) {
			if (std::find(known.begin(), known.end(), k.str()) == known.end())
				return fail(errc::unknown_key, v, path.empty() ? std::string(k.str()) : path + '.' + std::string(k.str()), "");
		}
		return true;
	}

	std::string field(const std::string &path, std::string_view key) { return path + '.' + std::string(key); }

	template <typename T>
	bool get_uint(const toml::table &t, const std::string &path, std::string_view key, T &out, uint64_t min, uint64_t max,
	              bool required = false) {
		const toml::node *n = t.get(key);
		if (!n)
			return required ? fail(errc::missing_key, t, field(path, key), "") : true;
		auto v = n->as_integer();
		if (!v)
			return fail(errc::wrong_type, *n, field(path, key), "expected an integer");
		int64_t x = v->get();
		if (x < 0 || uint64_t(x) < min || uint64_t(x) > max)
			return fail(errc::out_of_range, *n, field(path, key),
			            "must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " + std::to_string(x));
		out = static_cast<T>(x);
		return true;
	}

	bool get_string(const toml::table &t, const std::string &path, std::string_view key, std::string &out,
	                bool required = false) {
		const toml::node *n = t.get(key);
		if (!n)
			return required ? fail(errc::missing_key, t, field(path, key), "") : true;
		auto v = n->as_string();
		if (!v)
			return fail(errc::wrong_type, *n, field(path, key), "expected a string");
		out = v->get();
		return true;
	}

	bool get_bool(const toml::table &t, const std::string &path, std::string_view key, bool &out) {
		const toml::node *n = t.get(key);
		if (!n)
			return true;
		auto v = n->as_boolean();
		if (!v)
			return fail(errc::wrong_type, *n, field(path, key), "expected true or false");
		out = v->get();
		return true;
	}

	bool get_ip(const toml::table &t, const std::string &path, std::string_view key, ip_address &out, bool required) {
		std::string s;
		if (!get_string(t, path, key, s, required))
			return false;
		if (s.empty() && !t.get(key))
			return true;
		if (!parse_ip(s, out))
			return fail(errc::bad_value, *t.get(key), field(path, key), "not an IPv4 or IPv6 address: \"" + s + "\"");
		return true;
	}

	// One of a fixed set of words; returns the index into `words`.
	bool get_enum(const toml::table &t, const std::string &path, std::string_view key,
	              std::initializer_list<std::string_view> words, size_t &out) {
		std::string s;
		if (!get_string(t, path, key, s))
			return false;
		if (!t.get(key))
			return true;
		size_t i = 0;
		for (auto w : words) {
			if (w == s) {
				out = i;
				return true;
			}
			i++;
		}
		std::string allowed;
		for (auto w : words)
			allowed += (allowed.empty() ? "" : "|") + std::string(w);
		return fail(errc::bad_value, *t.get(key), field(path, key), "\"" + s + "\" is not one of " + allowed);
	}

	const toml::array *get_array(const toml::table &t, const std::string &path, std::string_view key) {
		const toml::node *n = t.get(key);
		if (!n)
			return nullptr;
		auto a = n->as_array();
		if (!a)
			fail(errc::wrong_type, *n, field(path, key), "expected an array");
		return a;
	}

	bool load_dataplane(const toml::table &t, dataplane_config &d);
	bool load_port(const toml::table &t, const std::string &path, port_config &p);
	bool load_tunnel(const toml::table &t, const std::string &path, static_tunnel &st);
	bool load_session(const toml::table &t, const std::string &path, static_session &ss);
	bool validate(const toml::table &root, config &c);

	const load_options &opts_;
	error err_{};
	bool failed_ = false;
};

bool loader::load_dataplane(const toml::table &t, dataplane_config &d) {
	const std::string p = "dataplane";
	if (!check_keys(t, p,
	                {"main_lcore", "worker_lcores", "eal_args", "file_prefix", "mbuf_pool_size", "mbuf_cache_size",
	                 "session_capacity", "tunnel_capacity", "route_capacity", "l2tp_udp_port", "command_ring_size",
	                 "event_ring_size", "punt_ring_size", "inject_ring_size", "spread_ring_size", "rx_descriptors",
	                 "tx_descriptors", "tx_flush_us", "idle_spin_polls", "idle_max_sleep_us", "distribution",
	                 "neighbour_timeout_s", "telemetry", "punt_unknown_sessions", "reorder_buffers"}))
		return false;
	constexpr uint64_t max_lcore = 1023;
	if (!get_uint(t, p, "main_lcore", d.main_lcore, 0, max_lcore))
		return false;
	if (auto a = get_array(t, p, "worker_lcores")) {
		std::set<uint32_t> seen{d.main_lcore};
		for (size_t i = 0; i < a->size(); i++) {
			auto v = (*a)[i].as_integer();
			if (!v || v->get() < 0 || v->get() > int64_t(max_lcore))
				return fail(errc::bad_value, (*a)[i], idx(p + ".worker_lcores", i), "expected an lcore id 0..1023");
			uint32_t lc = uint32_t(v->get());
			if (!seen.insert(lc).second)
				return fail(errc::duplicate, (*a)[i], idx(p + ".worker_lcores", i),
				            "lcore " + std::to_string(lc) + " is listed twice or is the main lcore");
			d.worker_lcores.push_back(lc);
		}
	} else if (failed_) {
		return false;
	}
	if (auto a = get_array(t, p, "eal_args")) {
		for (size_t i = 0; i < a->size(); i++) {
			auto v = (*a)[i].as_string();
			if (!v)
				return fail(errc::wrong_type, (*a)[i], idx(p + ".eal_args", i), "expected a string");
			d.eal_args.push_back(v->get());
		}
	} else if (failed_) {
		return false;
	}
	if (!get_string(t, p, "file_prefix", d.file_prefix))
		return false;
	if (d.file_prefix.empty() || d.file_prefix.size() > 32 ||
	    d.file_prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	        std::string::npos)
		return fail(errc::bad_value, *t.get("file_prefix"), p + ".file_prefix", "1..32 characters of [A-Za-z0-9_-]");
	bool ok = get_uint(t, p, "mbuf_pool_size", d.mbuf_pool_size, 1023, 1u << 26) &&
	          get_uint(t, p, "mbuf_cache_size", d.mbuf_cache_size, 0, 512) &&
	          get_uint(t, p, "session_capacity", d.session_capacity, 16, 1u << 21) &&
	          get_uint(t, p, "tunnel_capacity", d.tunnel_capacity, 16, 1u << 20) &&
	          get_uint(t, p, "route_capacity", d.route_capacity, 64, 1u << 24) &&
	          get_uint(t, p, "l2tp_udp_port", d.l2tp_udp_port, 1, 65535) &&
	          get_uint(t, p, "rx_descriptors", d.rx_descriptors, 32, 32768) &&
	          get_uint(t, p, "tx_descriptors", d.tx_descriptors, 32, 32768) &&
	          get_uint(t, p, "tx_flush_us", d.tx_flush_us, 1, 100000) &&
	          get_uint(t, p, "idle_spin_polls", d.backoff.spin_polls, 0, 1u << 30) &&
	          get_uint(t, p, "idle_max_sleep_us", d.backoff.max_sleep_us, 0, 1000000) &&
	          get_uint(t, p, "neighbour_timeout_s", d.neighbour_timeout_s, 1, 86400) &&
	          get_uint(t, p, "reorder_buffers", d.reorder_buffers, 0, 1u << 20) &&
	          get_bool(t, p, "telemetry", d.telemetry) &&
	          get_bool(t, p, "punt_unknown_sessions", d.punt_unknown_sessions);
	if (!ok)
		return false;
	if (!is_pow2(d.session_capacity)) // sessions are indexed by ID & (capacity - 1)
		return fail(errc::bad_value, *t.get("session_capacity"), p + ".session_capacity", "must be a power of two");
	struct ring_field {
		std::string_view key;
		uint32_t &v;
	} rings[] = {{"command_ring_size", d.command_ring_size},
	             {"event_ring_size", d.event_ring_size},
	             {"punt_ring_size", d.punt_ring_size},
	             {"inject_ring_size", d.inject_ring_size},
	             {"spread_ring_size", d.spread_ring_size}};
	for (auto &r : rings) {
		if (!get_uint(t, p, r.key, r.v, 64, 1u << 24))
			return false;
		if (!is_pow2(r.v))
			return fail(errc::bad_value, *t.get(r.key), field(p, r.key), "must be a power of two");
	}
	size_t dist = size_t(d.dist);
	if (!get_enum(t, p, "distribution", {"auto", "rss", "software"}, dist))
		return false;
	d.dist = distribution(dist);
	return true;
}

bool loader::load_port(const toml::table &t, const std::string &p, port_config &port) {
	port.line = t.source().begin.line;
	if (!check_keys(t, p,
	                {"name", "devargs", "role", "addresses", "mac", "mtu", "vlan", "verify_udp_checksum", "gateway", "gateway6",
	                 "neighbours"}))
		return false;
	if (!get_string(t, p, "name", port.name, true) || !get_string(t, p, "devargs", port.devargs, true))
		return false;
	if (port.name.empty() || port.name.size() > 31 ||
	    port.name.find_first_of(" \t\"'/,=") != std::string::npos)
		return fail(errc::bad_value, *t.get("name"), p + ".name", "1..31 characters, no spaces, quotes, '/', ',' or '='");
	if (port.devargs.empty())
		return fail(errc::bad_value, *t.get("devargs"), p + ".devargs", "must not be empty");
	size_t role = 0;
	if (!t.get("role"))
		return fail(errc::missing_key, t, p + ".role", "access|core|attachment");
	if (!get_enum(t, p, "role", {"access", "core", "attachment"}, role))
		return false;
	port.role = port_role(role);
	if (!get_uint(t, p, "mtu", port.mtu, 68, 9600))
		return false;
	// The port is an 802.1Q sub-interface: frames of this VLAN only, every frame sent tagged.
	// 0 (the default) is the untagged port. Attachment ports carry whole frames of any VLAN
	// (a session per VLAN is pseudowire = "eth_vlan").
	if (!get_uint(t, p, "vlan", port.vlan, 0, 4094))
		return false;
	if (port.vlan != 0 && port.role == port_role::attachment)
		return fail(errc::bad_value, *t.get("vlan"), p + ".vlan",
		            "attachment ports carry every VLAN; bind a VLAN with pseudowire = \"eth_vlan\" instead");
	if (t.get("verify_udp_checksum")) {
		bool v = true;
		if (!get_bool(t, p, "verify_udp_checksum", v))
			return false;
		port.verify_udp_checksum = v;
	}
	if (auto a = get_array(t, p, "addresses")) {
		for (size_t i = 0; i < a->size(); i++) {
			auto v = (*a)[i].as_string();
			ip_prefix pf;
			if (!v)
				return fail(errc::wrong_type, (*a)[i], idx(p + ".addresses", i), "expected \"address/length\"");
			if (!parse_prefix(v->get(), pf))
				return fail(errc::bad_value, (*a)[i], idx(p + ".addresses", i),
				            "not an address with prefix length: \"" + v->get() + "\"");
			port.addresses.push_back(pf);
		}
	} else if (failed_) {
		return false;
	}
	if (t.get("mac")) {
		std::string s;
		mac_address m{};
		if (!get_string(t, p, "mac", s))
			return false;
		if (!parse_mac(s, m) || (m[0] & 1) != 0)
			return fail(errc::bad_value, *t.get("mac"), p + ".mac", "not a unicast MAC aa:bb:cc:dd:ee:ff: \"" + s + "\"");
		port.mac = m;
	}
	ip_address gw;
	if (t.get("gateway")) {
		if (!get_ip(t, p, "gateway", gw, false))
			return false;
		if (!gw.is_v4())
			return fail(errc::bad_value, *t.get("gateway"), p + ".gateway", "must be IPv4 (use gateway6 for IPv6)");
		port.gateway4 = gw;
	}
	if (t.get("gateway6")) {
		if (!get_ip(t, p, "gateway6", gw, false))
			return false;
		if (!gw.is_v6())
			return fail(errc::bad_value, *t.get("gateway6"), p + ".gateway6", "must be IPv6");
		port.gateway6 = gw;
	}
	if (auto a = get_array(t, p, "neighbours")) {
		for (size_t i = 0; i < a->size(); i++) {
			const std::string np = idx(p + ".neighbours", i);
			auto nt = (*a)[i].as_table();
			if (!nt)
				return fail(errc::wrong_type, (*a)[i], np, "expected { address = \"...\", mac = \"...\" }");
			if (!check_keys(*nt, np, {"address", "mac"}))
				return false;
			static_neighbour n;
			std::string mac;
			if (!get_ip(*nt, np, "address", n.address, true) || !get_string(*nt, np, "mac", mac, true))
				return false;
			if (!parse_mac(mac, n.mac) || (n.mac[0] & 1) != 0)
				return fail(errc::bad_value, *nt->get("mac"), np + ".mac", "not a unicast MAC: \"" + mac + "\"");
			port.neighbours.push_back(n);
		}
	} else if (failed_) {
		return false;
	}
	return true;
}

bool loader::load_tunnel(const toml::table &t, const std::string &p, static_tunnel &st) {
	st.line = t.source().begin.line;
	if (!check_keys(t, p, {"tunnel_id", "peer_tunnel_id", "encap", "local", "remote", "udp_sport", "udp_dport", "port"}))
		return false;
	size_t encap = 0;
	if (!get_uint(t, p, "tunnel_id", st.tunnel_id, 1, UINT32_MAX, true) ||
	    !get_uint(t, p, "peer_tunnel_id", st.peer_tunnel_id, 1, UINT32_MAX, true) ||
	    !get_enum(t, p, "encap", {"udp", "ip"}, encap) || !get_ip(t, p, "local", st.local, true) ||
	    !get_ip(t, p, "remote", st.remote, true) || !get_string(t, p, "port", st.port))
		return false;
	st.encap = l2tp_encap(encap);
	if (st.local.family != st.remote.family)
		return fail(errc::bad_value, *t.get("remote"), p + ".remote", "local and remote must be the same address family");
	if (st.encap == l2tp_encap::ip && (t.get("udp_sport") || t.get("udp_dport")))
		return fail(errc::bad_value, t.get("udp_sport") ? *t.get("udp_sport") : *t.get("udp_dport"), p,
		            "udp_sport/udp_dport apply only to encap = \"udp\"");
	return get_uint(t, p, "udp_sport", st.udp_sport, 1, 65535) && get_uint(t, p, "udp_dport", st.udp_dport, 1, 65535);
}

bool loader::load_session(const toml::table &t, const std::string &p, static_session &ss) {
	ss.line = t.source().begin.line;
	if (!check_keys(t, p,
	                {"tunnel_id", "session_id", "peer_session_id", "cookie", "peer_cookie", "l2spec_type", "seq",
	                 "pseudowire", "attachment_port", "vlan", "reorder_timeout_ms"}))
		return false;
	if (!get_uint(t, p, "tunnel_id", ss.tunnel_id, 1, UINT32_MAX, true) ||
	    !get_uint(t, p, "session_id", ss.session_id, 1, UINT32_MAX, true) ||
	    !get_uint(t, p, "peer_session_id", ss.peer_session_id, 1, UINT32_MAX, true))
		return false;
	for (auto key : {std::string_view("cookie"), std::string_view("peer_cookie")}) {
		std::string s;
		if (!get_string(t, p, key, s))
			return false;
		if (!t.get(key))
			continue;
		std::vector<uint8_t> &dst = key == "cookie" ? ss.cookie : ss.peer_cookie;
		if (!parse_hex_bytes(s, dst) || (dst.size() != 4 && dst.size() != 8))
			return fail(errc::bad_value, *t.get(key), field(p, key), "4 or 8 bytes in hex, e.g. \"0x0a0b0c0d\"");
	}
	size_t l2spec = 1, seq = 0, pw = 0;
	if (!get_enum(t, p, "l2spec_type", {"none", "default"}, l2spec) ||
	    !get_enum(t, p, "seq", {"none", "send", "recv", "both"}, seq) ||
	    !get_enum(t, p, "pseudowire", {"eth", "eth_vlan"}, pw) ||
	    !get_string(t, p, "attachment_port", ss.attachment_port, true) || !get_uint(t, p, "vlan", ss.vlan, 1, 4094) ||
	    !get_uint(t, p, "reorder_timeout_ms", ss.reorder_timeout_ms, 0, 65535))
		return false;
	ss.l2spec = l2spec_type(l2spec);
	ss.seq_send = seq == 1 || seq == 3;
	ss.seq_recv = seq == 2 || seq == 3;
	ss.pw = pseudowire(pw);
	if ((ss.seq_send || ss.seq_recv) && ss.l2spec == l2spec_type::none)
		return fail(errc::bad_value, *t.get("seq"), p + ".seq", "sequencing needs l2spec_type = \"default\"");
	if (ss.reorder_timeout_ms != 0 && ss.l2spec == l2spec_type::none) // no Ns to reorder by
		return fail(errc::bad_value, *t.get("reorder_timeout_ms"), p + ".reorder_timeout_ms",
		            "reordering needs l2spec_type = \"default\"");
	if (ss.pw == pseudowire::eth_vlan && ss.vlan == 0)
		return fail(errc::missing_key, t, p + ".vlan", "pseudowire = \"eth_vlan\" needs a vlan 1..4094");
	if (ss.pw == pseudowire::eth && t.get("vlan"))
		return fail(errc::bad_value, *t.get("vlan"), p + ".vlan", "vlan applies only to pseudowire = \"eth_vlan\"");
	return true;
}

bool loader::validate(const toml::table &root, config &c) {
	// Where to point an error: the key's value if present, else the [[table]] header.
	auto region_of = [&](std::string_view table, size_t i, std::string_view key = {}) -> toml::source_region {
		if (auto a = root.get_as<toml::array>(table); a && i < a->size()) {
			if (auto t = (*a)[i].as_table(); t && !key.empty() && t->get(key))
				return t->get(key)->source();
			return (*a)[i].source();
		}
		return root.source();
	};
	auto &d = c.dataplane;
	// Ports: unique names and devargs, no address on two ports.
	std::set<std::string> names, devargs;
	for (size_t i = 0; i < c.ports.size(); i++) {
		const auto &pt = c.ports[i];
		if (!names.insert(pt.name).second)
			return fail(errc::duplicate, region_of("port", i, "name"), idx("port", i) + ".name", "port \"" + pt.name + "\" defined twice");
		if (!devargs.insert(pt.devargs).second)
			return fail(errc::duplicate, region_of("port", i, "devargs"), idx("port", i) + ".devargs", "device used by two ports");
		for (const auto &n : pt.neighbours) {
			bool on_link = false;
			for (const auto &a : pt.addresses)
				on_link |= a.address.family == n.address.family;
			if (!on_link)
				return fail(errc::bad_value, region_of("port", i, "neighbours"), idx("port", i) + ".neighbours",
				            "neighbour " + format_ip(n.address) + " has no address of its family on this port");
		}
	}
	if (c.ports.size() > 32)
		return fail(errc::out_of_range, root.source(), "port", "at most 32 ports");
	for (size_t i = 0; i < c.ports.size(); i++)
		for (size_t j = 0; j < c.ports.size(); j++)
			for (const auto &a : c.ports[i].addresses)
				for (const auto &b : c.ports[j].addresses)
					if ((i != j || &a != &b) && a.address == b.address)
						return fail(errc::duplicate, region_of("port", std::max(i, j), "addresses"), idx("port", std::max(i, j)) + ".addresses",
						            format_ip(a.address) + " is configured twice");
	// Static tunnels: unique IDs, local address must belong to the named (or some) port.
	std::set<uint32_t> tids;
	for (size_t i = 0; i < c.static_tunnels.size(); i++) {
		auto &st = c.static_tunnels[i];
		const std::string p = idx("static_tunnel", i);
		if (!tids.insert(st.tunnel_id).second)
			return fail(errc::duplicate, region_of("static_tunnel", i, "tunnel_id"), p + ".tunnel_id",
			            "tunnel_id " + std::to_string(st.tunnel_id) + " defined twice");
		const port_config *owner = nullptr;
		for (const auto &pt : c.ports)
			for (const auto &a : pt.addresses)
				if (a.address == st.local)
					owner = &pt;
		if (!st.port.empty()) {
			const port_config *named = c.find_port(st.port);
			if (!named)
				return fail(errc::bad_reference, region_of("static_tunnel", i, "port"), p + ".port", "no port named \"" + st.port + "\"");
			if (named != owner)
				return fail(errc::bad_reference, region_of("static_tunnel", i, "local"), p + ".local",
				            format_ip(st.local) + " is not an address of port \"" + st.port + "\"");
		} else if (!owner) {
			return fail(errc::bad_reference, region_of("static_tunnel", i, "local"), p + ".local",
			            format_ip(st.local) + " is not an address of any port");
		} else {
			st.port = owner->name;
		}
		if (c.find_port(st.port)->role == port_role::attachment)
			return fail(errc::bad_reference, region_of("static_tunnel", i, "port"), p + ".port",
			            "tunnels run over access or core ports, not attachment ports");
	}
	// Static sessions: known tunnel, unique session IDs, attachment port of the right role,
	// one session per (attachment port, vlan).
	std::set<uint32_t> sids;
	std::set<std::pair<std::string, uint32_t>> attach;
	for (size_t i = 0; i < c.static_sessions.size(); i++) {
		const auto &ss = c.static_sessions[i];
		const std::string p = idx("static_session", i);
		if (!tids.count(ss.tunnel_id))
			return fail(errc::bad_reference, region_of("static_session", i, "tunnel_id"), p + ".tunnel_id",
			            "no static_tunnel with tunnel_id " + std::to_string(ss.tunnel_id));
		if (!sids.insert(ss.session_id).second)
			return fail(errc::duplicate, region_of("static_session", i, "session_id"), p + ".session_id",
			            "session_id " + std::to_string(ss.session_id) + " defined twice");
		const port_config *ap = c.find_port(ss.attachment_port);
		if (!ap || ap->role != port_role::attachment)
			return fail(errc::bad_reference, region_of("static_session", i, "attachment_port"), p + ".attachment_port",
			            "\"" + ss.attachment_port + "\" is not a port with role = \"attachment\"");
		uint32_t vkey = ss.pw == pseudowire::eth_vlan ? ss.vlan : 0x10000u; // untagged: whole port
		for (const auto &[name, v] : attach)
			if (name == ss.attachment_port && (v == vkey || v == 0x10000u || vkey == 0x10000u))
				return fail(errc::duplicate, region_of("static_session", i, "attachment_port"), p + ".attachment_port",
				            "port \"" + ss.attachment_port + "\" (vlan " + std::to_string(ss.vlan) +
				                ") is already bound to another session");
		attach.insert({ss.attachment_port, vkey});
	}
	if (c.static_sessions.size() > d.session_capacity)
		return fail(errc::out_of_range, root.source(), "static_session", "more sessions than dataplane.session_capacity");
	if (c.static_tunnels.size() > d.tunnel_capacity)
		return fail(errc::out_of_range, root.source(), "static_tunnel", "more tunnels than dataplane.tunnel_capacity");
	return true;
}

bool loader::run(const toml::table &root, config &out) {
	static constexpr std::string_view own[] = {"dataplane", "port", "static_tunnel", "static_session"};
	for (auto &&[k, v] : root) {
		auto key = k.str();
		bool known = std::find(std::begin(own), std::end(own), key) != std::end(own) ||
		             std::find(opts_.extra_tables.begin(), opts_.extra_tables.end(), key) != opts_.extra_tables.end();
		if (!known)
			return fail(errc::unknown_table, v, key, "known: dataplane, port, static_tunnel, static_session");
	}
	if (const toml::node *n = root.get("dataplane")) {
		auto t = n->as_table();
		if (!t)
			return fail(errc::wrong_type, *n, "dataplane", "expected a table [dataplane]");
		if (!load_dataplane(*t, out.dataplane))
			return false;
	}
	auto each = [&](std::string_view name, auto &&fn) -> bool {
		const toml::node *n = root.get(name);
		if (!n)
			return true;
		auto a = n->as_array();
		if (!a || !a->is_array_of_tables())
			return fail(errc::wrong_type, *n, name, "expected an array of tables [[" + std::string(name) + "]]");
		for (size_t i = 0; i < a->size(); i++)
			if (!fn(*(*a)[i].as_table(), idx(name, i)))
				return false;
		return true;
	};
	bool ok = each("port",
	               [&](const toml::table &t, const std::string &p) {
		               out.ports.emplace_back();
		               return load_port(t, p, out.ports.back());
	               }) &&
	          each("static_tunnel",
	               [&](const toml::table &t, const std::string &p) {
		               out.static_tunnels.emplace_back();
		               return load_tunnel(t, p, out.static_tunnels.back());
	               }) &&
	          each("static_session", [&](const toml::table &t, const std::string &p) {
		          out.static_sessions.emplace_back();
		          return load_session(t, p, out.static_sessions.back());
	          });
	return ok && validate(root, out);
}

} // namespace

result<config, error> load_string(std::string_view toml_text, const load_options &opts) {
	loader l(opts);
	toml::table root;
	try {
		root = toml::parse(toml_text, opts.source_name);
	} catch (const toml::parse_error &e) {
		l.fail(errc::syntax, e.source(), "", e.description());
		return unexpected(l.err());
	}
	config c;
	if (!l.run(root, c))
		return unexpected(l.err());
	return c;
}

result<config, error> load_file(const std::string &path, const load_options &opts) {
	std::FILE *f = std::fopen(path.c_str(), "rb");
	load_options o = opts;
	o.source_name = path;
	if (!f) {
		error e{};
		e.code = errc::io;
		copy_text(e.source, sizeof(e.source), path);
		copy_text(e.detail, sizeof(e.detail), std::strerror(errno));
		return unexpected(e);
	}
	std::string text;
	char buf[65536];
	size_t n;
	while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
		text.append(buf, n);
	bool err = std::ferror(f) != 0;
	std::fclose(f);
	if (err || text.size() > (16u << 20)) {
		error e{};
		e.code = errc::io;
		copy_text(e.source, sizeof(e.source), path);
		copy_text(e.detail, sizeof(e.detail), err ? "read error" : "file larger than 16 MiB");
		return unexpected(e);
	}
	return load_string(text, o);
}

} // namespace l2tpx::cfg
