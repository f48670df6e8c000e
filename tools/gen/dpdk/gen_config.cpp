#include "tools/gen/dpdk/gen_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "shared/config/config_loader.hpp"
#include "tools/gen/traffic/payload.hpp"

namespace l2tpx::gen::dpdk {

const char *to_string(ppp_auth a) noexcept {
	switch (a) {
	case ppp_auth::any: return "any";
	case ppp_auth::pap: return "pap";
	case ppp_auth::chap: return "chap";
	}
	return "?";
}

std::optional<mac> parse_mac(std::string_view s) noexcept {
	mac m{};
	if (s.size() != 17)
		return std::nullopt;
	for (size_t i = 0; i < 6; ++i) {
		if (i > 0 && s[i * 3 - 1] != ':')
			return std::nullopt;
		const char *b = s.data() + i * 3;
		auto [p, ec] = std::from_chars(b, b + 2, m[i], 16);
		if (ec != std::errc{} || p != b + 2)
			return std::nullopt;
	}
	return m;
}

std::optional<uint32_t> parse_ipv4(std::string_view s) noexcept {
	uint32_t v = 0;
	const char *p = s.data(), *end = s.data() + s.size();
	for (int i = 0; i < 4; ++i) {
		if (i > 0) {
			if (p == end || *p != '.')
				return std::nullopt;
			++p;
		}
		unsigned octet = 0;
		auto [q, ec] = std::from_chars(p, end, octet);
		if (ec != std::errc{} || q == p || q - p > 3 || octet > 255)
			return std::nullopt;
		v = v << 8 | octet;
		p = q;
	}
	if (p != end)
		return std::nullopt;
	return v;
}

std::string format_ipv4(uint32_t a) {
	char b[16];
	std::snprintf(b, sizeof b, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return b;
}

std::optional<ipv6_addr> parse_ipv6(std::string_view s) noexcept {
	cfg::ip_address a;
	if (!cfg::parse_ip(s, a) || !a.is_v6())
		return std::nullopt;
	return a.bytes;
}

std::string format_ipv6(const ipv6_addr &a) {
	cfg::ip_address ip;
	ip.family = 6;
	ip.bytes = a;
	return cfg::format_ip(ip);
}

std::string format_mac(const mac &m) {
	char b[18];
	std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return b;
}

namespace {

constexpr std::string_view placeholders[][2] = {
    {"{n}", "n"}, {"{session}", "n"}, {"{t}", "t"}, {"{tunnel}", "t"}, {"{s}", "s"}};

} // namespace

std::string check_credentials(std::string_view p) {
	for (size_t i = 0; i < p.size(); ++i) {
		if (p[i] == '}')
			return "unmatched '}' at offset " + std::to_string(i);
		if (p[i] != '{')
			continue;
		bool known = false;
		for (const auto &ph : placeholders)
			if (p.substr(i).starts_with(ph[0])) {
				i += ph[0].size() - 1;
				known = true;
				break;
			}
		if (!known)
			return "unknown placeholder at offset " + std::to_string(i) + " (use {n}, {session}, {t}, {tunnel}, {s})";
	}
	return {};
}

std::string expand_credentials(std::string_view p, uint32_t n, uint32_t t, uint32_t s) {
	std::string out;
	out.reserve(p.size() + 16);
	for (size_t i = 0; i < p.size(); ++i) {
		bool done = false;
		if (p[i] == '{')
			for (const auto &ph : placeholders)
				if (p.substr(i).starts_with(ph[0])) {
					const uint32_t v = ph[1] == "n" ? n : ph[1] == "t" ? t : s;
					out += std::to_string(v);
					i += ph[0].size() - 1;
					done = true;
					break;
				}
		if (!done)
			out += p[i];
	}
	return out;
}

namespace {

struct located_error {
	std::string text;
};

class toml_reader {
public:
	toml_reader(std::string_view source, gen_config &cfg) : source_(source), cfg_(cfg) {}

	std::string run(const toml::table &root) {
		try {
			if (auto *t = table(root, "access"))
				read_access(*t);
			if (auto *t = table(root, "core"))
				read_core(*t);
			if (auto *t = table(root, "sessions"))
				read_sessions(*t);
			for_each_table(root, "static_tunnel", [&](const toml::table &t, const std::string &f) { read_pw_tunnel(t, f); });
			for_each_table(root, "static_session", [&](const toml::table &t, const std::string &f) { read_pw_session(t, f); });
		} catch (const located_error &e) {
			return e.text;
		}
		return {};
	}
	bool sessions_set = false, tunnels_set = false, per_tunnel_set = false;

private:
	[[noreturn]] void fail(const toml::node *n, const std::string &field, const char *what, const std::string &detail) {
		uint32_t line = 0, col = 0;
		if (n) {
			line = n->source().begin.line;
			col = n->source().begin.column;
		}
		throw located_error{cfg::format_located_error(source_, line, col, field, what, detail)};
	}
	const toml::table *table(const toml::table &root, std::string_view name) {
		const toml::node *n = root.get(name);
		if (!n)
			return nullptr;
		if (!n->is_table())
			fail(n, std::string(name), "wrong value type", "expected a table");
		return n->as_table();
	}
	void keys(const toml::table &t, std::string_view tname, std::initializer_list<std::string_view> known) {
		for (const auto &[k, v] : t)
			if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
				std::string allowed;
				for (auto n : known)
					allowed += (allowed.empty() ? "" : ", ") + std::string(n);
				fail(&v, std::string(tname) + "." + std::string(k.str()), "unknown key", "known keys: " + allowed);
			}
	}
	std::string str(const toml::node &n, const std::string &f) {
		if (!n.is_string())
			fail(&n, f, "wrong value type", "expected a string");
		return std::string(n.as_string()->get());
	}
	uint64_t integer(const toml::node &n, const std::string &f, uint64_t lo, uint64_t hi) {
		if (!n.is_integer())
			fail(&n, f, "wrong value type", "expected an integer");
		const int64_t v = n.as_integer()->get();
		if (v < 0 || uint64_t(v) < lo || uint64_t(v) > hi)
			fail(&n, f, "value out of range", "must be " + std::to_string(lo) + ".." + std::to_string(hi));
		return uint64_t(v);
	}
	double number(const toml::node &n, const std::string &f, double lo, double hi) {
		double v = 0;
		if (n.is_integer())
			v = double(n.as_integer()->get());
		else if (n.is_floating_point())
			v = n.as_floating_point()->get();
		else
			fail(&n, f, "wrong value type", "expected a number");
		if (!(v >= lo && v <= hi))
			fail(&n, f, "value out of range", "must be " + std::to_string(lo) + ".." + std::to_string(hi));
		return v;
	}
	bool boolean(const toml::node &n, const std::string &f) {
		if (!n.is_boolean())
			fail(&n, f, "wrong value type", "expected true or false");
		return n.as_boolean()->get();
	}
	uint32_t ip(const toml::node &n, const std::string &f) {
		const std::string s = str(n, f);
		auto a = parse_ipv4(s);
		if (!a || *a == 0)
			fail(&n, f, "invalid value", "\"" + s + "\" is not an IPv4 address");
		return *a;
	}
	std::vector<uint32_t> ip_list(const toml::node &n, const std::string &f) {
		std::vector<uint32_t> out;
		if (n.is_string()) {
			out.push_back(ip(n, f));
			return out;
		}
		if (!n.is_array())
			fail(&n, f, "wrong value type", "expected an address or a list of addresses");
		const toml::array &a = *n.as_array();
		for (size_t i = 0; i < a.size(); ++i)
			out.push_back(ip(*a.get(i), f + "[" + std::to_string(i) + "]"));
		if (out.empty())
			fail(&n, f, "invalid value", "at least one address");
		return out;
	}
	mac mac_of(const toml::node &n, const std::string &f) {
		const std::string s = str(n, f);
		auto m = parse_mac(s);
		if (!m)
			fail(&n, f, "invalid value", "\"" + s + "\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
		return *m;
	}
	uint64_t duration(const toml::node &n, const std::string &f) {
		if (n.is_integer() || n.is_floating_point())
			return uint64_t(number(n, f, 0, 30.0 * 86400) * 1000.0 + 0.5);
		const std::string s = str(n, f);
		auto ms = parse_duration_ms(s);
		if (!ms)
			fail(&n, f, "invalid value", "\"" + s + "\" is not a duration (500ms, 10s, 2m, 1h)");
		return *ms;
	}

	template <typename F> void for_each_table(const toml::table &root, std::string_view name, F &&read) {
		const toml::node *n = root.get(name);
		if (!n)
			return;
		if (!n->is_array_of_tables())
			fail(n, std::string(name), "wrong value type", "expected [[" + std::string(name) + "]] tables");
		const toml::array &a = *n->as_array();
		for (size_t i = 0; i < a.size(); ++i)
			read(*a.get(i)->as_table(), std::string(name) + "[" + std::to_string(i) + "]");
	}
	cfg::ip_address any_ip(const toml::node &n, const std::string &f) {
		const std::string s = str(n, f);
		cfg::ip_address a;
		if (!cfg::parse_ip(s, a))
			fail(&n, f, "invalid value", "\"" + s + "\" is not an IPv4 or IPv6 address");
		return a;
	}
	void read_pw_tunnel(const toml::table &t, const std::string &p) {
		keys(t, p, {"tunnel_id", "peer_tunnel_id", "encap", "local", "remote", "udp_sport", "udp_dport"});
		pw_tunnel_config pt;
		bool have_id = false, have_local = false, have_remote = false;
		for (const auto &[k, v] : t) {
			const std::string f = p + "." + std::string(k.str());
			const std::string_view key = k.str();
			if (key == "tunnel_id") {
				pt.tunnel_id = uint32_t(integer(v, f, 1, 0xFFFFFFFFu));
				have_id = true;
			} else if (key == "peer_tunnel_id")
				pt.peer_tunnel_id = uint32_t(integer(v, f, 1, 0xFFFFFFFFu));
			else if (key == "encap") {
				const std::string e = str(v, f);
				if (e == "udp")
					pt.encap = cfg::l2tp_encap::udp;
				else if (e == "ip")
					pt.encap = cfg::l2tp_encap::ip;
				else
					fail(&v, f, "invalid value", "expected udp or ip");
			} else if (key == "local" || key == "remote") {
				(key == "local" ? pt.local : pt.remote) = any_ip(v, f);
				(key == "local" ? have_local : have_remote) = true;
			} else if (key == "udp_sport")
				pt.udp_sport = uint16_t(integer(v, f, 1, 65535));
			else if (key == "udp_dport")
				pt.udp_dport = uint16_t(integer(v, f, 1, 65535));
		}
		if (!have_id || !have_local || !have_remote)
			fail(&t, p, "missing key", "tunnel_id, local and remote are required");
		if (pt.local.family != pt.remote.family)
			fail(t.get("remote"), p + ".remote", "invalid value", "local and remote must be the same address family");
		if (cfg_.pw_tunnel(pt.tunnel_id))
			fail(t.get("tunnel_id"), p + ".tunnel_id", "duplicate", "tunnel_id " + std::to_string(pt.tunnel_id) + " given twice");
		cfg_.pw_tunnels.push_back(pt);
	}
	std::vector<uint8_t> cookie(const toml::node &n, const std::string &f) {
		const std::string s = str(n, f);
		std::vector<uint8_t> c;
		if (!cfg::parse_hex_bytes(s, c) || (c.size() != 4 && c.size() != 8))
			fail(&n, f, "invalid value", "\"" + s + "\" is not 4 or 8 bytes of hex (\"0x0a0b0c0d\")");
		return c;
	}
	void read_pw_session(const toml::table &t, const std::string &p) {
		keys(t, p, {"tunnel_id", "session_id", "peer_session_id", "cookie", "peer_cookie", "l2spec_type", "seq",
		            "pseudowire", "vlan"});
		pw_session_config ps;
		bool have_t = false, have_s = false, have_ps = false;
		for (const auto &[k, v] : t) {
			const std::string f = p + "." + std::string(k.str());
			const std::string_view key = k.str();
			if (key == "tunnel_id") {
				ps.tunnel_id = uint32_t(integer(v, f, 1, 0xFFFFFFFFu));
				have_t = true;
			} else if (key == "session_id") {
				ps.session_id = uint32_t(integer(v, f, 1, 0xFFFFFFFFu));
				have_s = true;
			} else if (key == "peer_session_id") {
				ps.peer_session_id = uint32_t(integer(v, f, 1, 0xFFFFFFFFu));
				have_ps = true;
			} else if (key == "cookie" || key == "peer_cookie")
				(key == "cookie" ? ps.cookie : ps.peer_cookie) = cookie(v, f);
			else if (key == "l2spec_type") {
				const std::string e = str(v, f);
				if (e != "none" && e != "default")
					fail(&v, f, "invalid value", "expected none or default");
				ps.l2spec = e == "default";
			} else if (key == "seq") {
				const std::string e = str(v, f);
				if (e != "none" && e != "send" && e != "recv" && e != "both")
					fail(&v, f, "invalid value", "expected none, send, recv or both");
				ps.seq_send = e == "send" || e == "both";
				ps.seq_recv = e == "recv" || e == "both";
			} else if (key == "pseudowire") {
				const std::string e = str(v, f);
				if (e != "eth" && e != "eth_vlan")
					fail(&v, f, "invalid value", "expected eth or eth_vlan");
				ps.eth_vlan = e == "eth_vlan";
			} else if (key == "vlan")
				ps.vlan = uint16_t(integer(v, f, 1, 4094));
		}
		if (!have_t || !have_s || !have_ps)
			fail(&t, p, "missing key", "tunnel_id, session_id and peer_session_id are required");
		if (!cfg_.pw_tunnel(ps.tunnel_id))
			fail(t.get("tunnel_id"), p + ".tunnel_id", "bad reference",
			     "no [[static_tunnel]] with tunnel_id " + std::to_string(ps.tunnel_id));
		if ((ps.seq_send || ps.seq_recv) && !ps.l2spec)
			fail(t.get("seq"), p + ".seq", "invalid value", "sequencing needs l2spec_type = \"default\"");
		if (ps.eth_vlan != (ps.vlan != 0))
			fail(&t, p, "invalid value", "pseudowire = \"eth_vlan\" and vlan go together");
		for (const auto &o : cfg_.pw_sessions) {
			if (o.session_id == ps.session_id)
				fail(t.get("session_id"), p + ".session_id", "duplicate",
				     "session_id " + std::to_string(ps.session_id) + " given twice");
			if (o.vlan == ps.vlan)
				fail(&t, p, "duplicate",
				     ps.vlan ? "vlan " + std::to_string(ps.vlan) + " given twice"
				             : std::string("more than one untagged (pseudowire = \"eth\") session"));
		}
		cfg_.pw_sessions.push_back(std::move(ps));
	}

	void read_access(const toml::table &t) {
		keys(t, "access", {"port", "mac", "lac_addresses", "prefix_len", "lns", "lns_port", "local_port", "gateway",
		                   "lns_mac", "mtu", "rx_queues"});
		access_config &a = cfg_.access;
		for (const auto &[k, v] : t) {
			const std::string f = "access." + std::string(k.str());
			const std::string_view key = k.str();
			if (key == "port")
				a.port = str(v, f);
			else if (key == "mac")
				a.local_mac = mac_of(v, f);
			else if (key == "lac_addresses")
				a.lac_addresses = ip_list(v, f);
			else if (key == "prefix_len")
				a.prefix_len = uint8_t(integer(v, f, 1, 32));
			else if (key == "lns")
				a.lns = ip(v, f);
			else if (key == "lns_port")
				a.lns_port = uint16_t(integer(v, f, 1, 65535));
			else if (key == "local_port")
				a.local_port = uint16_t(integer(v, f, 1, 65535));
			else if (key == "gateway")
				a.gateway = ip(v, f);
			else if (key == "lns_mac")
				a.lns_mac = mac_of(v, f);
			else if (key == "mtu")
				a.mtu = uint16_t(integer(v, f, 576, 9600));
			else if (key == "rx_queues")
				a.rx_queues = uint16_t(integer(v, f, 1, 128));
		}
	}
	void read_core(const toml::table &t) {
		keys(t, "core", {"port", "mac", "addresses", "prefix_len", "next_hop", "next_hop_mac", "address6", "next_hop6",
		                 "udp_port", "rx_queues"});
		core_config &c = cfg_.core;
		for (const auto &[k, v] : t) {
			const std::string f = "core." + std::string(k.str());
			const std::string_view key = k.str();
			if (key == "port")
				c.port = str(v, f);
			else if (key == "mac")
				c.local_mac = mac_of(v, f);
			else if (key == "addresses")
				c.addresses = ip_list(v, f);
			else if (key == "prefix_len")
				c.prefix_len = uint8_t(integer(v, f, 1, 32));
			else if (key == "next_hop")
				c.next_hop = ip(v, f);
			else if (key == "next_hop_mac")
				c.next_hop_mac = mac_of(v, f);
			else if (key == "address6" || key == "next_hop6") {
				const std::string a = str(v, f);
				auto a6 = parse_ipv6(a);
				if (!a6 || *a6 == ipv6_addr{} || (*a6)[0] == 0xff)
					fail(&v, f, "invalid value", "\"" + a + "\" is not a unicast IPv6 address");
				(key == "address6" ? c.address6 : c.next_hop6) = a6;
			} else if (key == "udp_port")
				c.udp_port = uint16_t(integer(v, f, 1, 65535));
			else if (key == "rx_queues")
				c.rx_queues = uint16_t(integer(v, f, 1, 128));
		}
	}
	void read_sessions(const toml::table &t) {
		keys(t, "sessions", {"tunnels", "sessions_per_tunnel", "sessions", "user", "password", "auth", "tunnel_secret",
		                     "hide_avps", "host_name", "setup_rate", "max_outstanding", "setup_timeout", "hold",
		                     "flap_cycles", "flap_down", "data_sequence", "ipv6cp", "proxy_lcp", "proxy_auth",
		                     "teardown_rate"});
		sessions_config &s = cfg_.sessions;
		for (const auto &[k, v] : t) {
			const std::string f = "sessions." + std::string(k.str());
			const std::string_view key = k.str();
			if (key == "tunnels") {
				s.tunnels = uint32_t(integer(v, f, 1, 65535));
				tunnels_set = true;
			} else if (key == "sessions_per_tunnel") {
				s.sessions_per_tunnel = uint32_t(integer(v, f, 1, 65535));
				per_tunnel_set = true;
			} else if (key == "sessions") {
				s.sessions = uint32_t(integer(v, f, 1, 4000000));
				sessions_set = true;
			} else if (key == "user" || key == "password") {
				std::string p = str(v, f);
				if (auto e = check_credentials(p); !e.empty())
					fail(&v, f, "invalid value", e);
				(key == "user" ? s.user : s.password) = std::move(p);
			} else if (key == "auth") {
				const std::string a = str(v, f);
				if (a == "any")
					s.auth = ppp_auth::any;
				else if (a == "pap")
					s.auth = ppp_auth::pap;
				else if (a == "chap")
					s.auth = ppp_auth::chap;
				else
					fail(&v, f, "invalid value", "expected any, pap or chap");
			} else if (key == "tunnel_secret")
				s.tunnel_secret = str(v, f);
			else if (key == "hide_avps")
				s.hide_avps = boolean(v, f);
			else if (key == "host_name")
				s.host_name = str(v, f);
			else if (key == "setup_rate")
				s.setup_rate = number(v, f, 0.001, 1e7);
			else if (key == "max_outstanding")
				s.max_outstanding = uint32_t(integer(v, f, 1, 1000000));
			else if (key == "setup_timeout")
				s.setup_timeout_ms = duration(v, f);
			else if (key == "hold")
				s.hold_ms = duration(v, f);
			else if (key == "flap_cycles")
				s.flap_cycles = uint32_t(integer(v, f, 0, 1000000));
			else if (key == "flap_down")
				s.flap_down_ms = duration(v, f);
			else if (key == "data_sequence")
				s.data_sequence = boolean(v, f);
			else if (key == "ipv6cp")
				s.enable_ipv6cp = boolean(v, f);
			else if (key == "proxy_lcp")
				s.proxy_lcp = boolean(v, f);
			else if (key == "proxy_auth")
				s.proxy_auth = boolean(v, f);
			else if (key == "teardown_rate")
				s.teardown_rate = number(v, f, 0, 1e7);
		}
	}

	std::string_view source_;
	gen_config &cfg_;
};

constexpr std::string_view own_tables[] = {"access", "core", "sessions", "static_tunnel", "static_session"};

} // namespace

std::string parse_gen_config(std::string_view text, std::string_view source, std::span<const std::string> overrides,
                             gen_config &cfg, config_given *given) {
	toml::table root;
	try {
		root = toml::parse(text, source);
	} catch (const toml::parse_error &e) {
		return cfg::format_located_error(source, e.source().begin.line, e.source().begin.column, "", "TOML syntax error",
		                                 std::string(e.description()));
	}
	toml_reader r(source, cfg);
	if (auto e = r.run(root); !e.empty())
		return e;
	if (given)
		*given = {r.sessions_set, r.tunnels_set, r.per_tunnel_set};
	config_options ro;
	ro.source_name = source;
	ro.extra_tables = own_tables;
	ro.overrides = overrides;
	auto run = parse_run_config(text, ro);
	if (!run)
		return run.error().to_string();
	cfg.run = *run;
	return {};
}

std::string usage(std::string_view program) {
	std::ostringstream o;
	o << "usage: " << program << " [options] [-- EAL arguments]\n"
	  << "Emulates LACs towards an LNS on a DPDK access port and sends/measures per-session traffic between\n"
	  << "it and a core port (docs/generator.md). Options override the run file's fields.\n"
	  << "  -c, --config FILE        run file (TOML: [access] [core] [sessions] [traffic] [thresholds];\n"
	  << "                           [[static_tunnel]] [[static_session]] for static L2TPv3 pseudowires)\n"
	  << " access port:\n"
	  << "  --access-port DEVARGS    e.g. net_af_packet0,iface=veth0 or 0000:3b:00.0\n"
	  << "  --lac ADDR               LAC source address (repeat for several LACs)\n"
	  << "  --lns ADDR  --lns-port N --local-port N  --gateway ADDR  --lns-mac MAC  --access-mac MAC\n"
	  << " core port:\n"
	  << "  --core-port DEVARGS  --core-address ADDR  --core-next-hop ADDR  --next-hop-mac MAC  --core-mac MAC\n"
	  << "  --core-address6 ADDR  --core-next-hop6 ADDR   (IPv6 streams: --ip-version 6|both)\n"
	  << " sessions:\n"
	  << "  --sessions N  --tunnels N  --sessions-per-tunnel N\n"
	  << "  --user PATTERN  --password PATTERN   ({n}/{session}, {t}/{tunnel}, {s} expanded per call)\n"
	  << "  --auth any|pap|chap  --secret S  --hide-avps  --host-name NAME\n"
	  << "  --setup-rate CPS  --max-outstanding N  --setup-timeout DUR  --hold DUR\n"
	  << "  --flap N  --flap-down DUR  --data-seq  --teardown-rate CPS\n"
	  << "  --proxy-lcp  --proxy-auth  --ipv6cp\n"
	  << " traffic and thresholds ([traffic]/[thresholds] keys):\n"
	  << "  --rate R  --rate-total R  --duration DUR  --drain DUR  --max-lag DUR  --frame-size N  --frame-sizes A,B,..\n"
	  << "  --imix simple  --direction up|down|both  --streams-per-session N  --ip-version 4|6|both  --max-loss PCT\n"
	  << "  --min-sessions-up N  --max-p99-us US  --set table.key=value\n"
	  << " output and modes:\n"
	  << "  --json PATH  --all-streams  --quiet  --bench  --bench-sessions N  --print-users  -h, --help\n";
	return o.str();
}

namespace {

bool read_file(const std::string &path, std::string &out) {
	std::ifstream f(path, std::ios::binary);
	if (!f)
		return false;
	std::ostringstream ss;
	ss << f.rdbuf();
	out = ss.str();
	return true;
}

template <typename T> bool to_uint(std::string_view s, T &out, uint64_t lo, uint64_t hi) {
	uint64_t v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi)
		return false;
	out = T(v);
	return true;
}

} // namespace

parse_outcome parse_args(std::span<const char *const> args) {
	parse_outcome r;
	gen_options &o = r.options;
	std::vector<std::string> overrides;
	std::vector<std::pair<std::string, std::string>> flags; // applied after the file
	const std::map<std::string_view, bool> own = {
	    {"--access-port", true}, {"--lac", true}, {"--lns", true}, {"--lns-port", true}, {"--local-port", true},
	    {"--gateway", true}, {"--lns-mac", true}, {"--access-mac", true}, {"--core-port", true},
	    {"--core-address", true}, {"--core-next-hop", true}, {"--next-hop-mac", true}, {"--core-mac", true},
	    {"--core-address6", true}, {"--core-next-hop6", true},
	    {"--sessions", true}, {"--tunnels", true}, {"--sessions-per-tunnel", true}, {"--user", true},
	    {"--password", true}, {"--auth", true}, {"--secret", true}, {"--hide-avps", false}, {"--host-name", true},
	    {"--setup-rate", true}, {"--max-outstanding", true}, {"--setup-timeout", true}, {"--hold", true},
	    {"--flap", true}, {"--flap-down", true}, {"--data-seq", false}, {"--teardown-rate", true},
	    {"--proxy-lcp", false}, {"--proxy-auth", false}, {"--ipv6cp", false}};
	for (size_t i = 0; i < args.size(); ++i) {
		const std::string_view a = args[i];
		auto value = [&](std::string &out) {
			if (i + 1 >= args.size()) {
				r.error = std::string(a) + ": missing value";
				return false;
			}
			out = args[++i];
			return true;
		};
		std::string v;
		if (a == "--") {
			for (++i; i < args.size(); ++i)
				o.eal_args.emplace_back(args[i]);
			break;
		} else if (a == "-h" || a == "--help") {
			r.help = true;
			return r;
		} else if (a == "-c" || a == "--config") {
			if (!value(o.config_path))
				return r;
		} else if (a == "--json") {
			if (!value(o.json_path))
				return r;
		} else if (a == "--quiet" || a == "-q") {
			o.quiet = true;
		} else if (a == "--all-streams") {
			o.all_streams = true;
		} else if (a == "--bench") {
			o.bench = true;
		} else if (a == "--print-users") {
			o.print_users = true;
		} else if (a == "--bench-sessions") {
			if (!value(v))
				return r;
			if (!to_uint(v, o.bench_sessions, 1, 1000000)) {
				r.error = "--bench-sessions: 1..1000000";
				return r;
			}
		} else if (a == "--set") {
			if (!value(v))
				return r;
			overrides.push_back(v);
		} else if (a.starts_with("--") && override_key_for_option(a.substr(2))) {
			if (!value(v))
				return r;
			std::string key = override_key_for_option(a.substr(2));
			if (a == "--frame-sizes")
				v = "[" + v + "]";
			overrides.push_back(key + "=" + v);
		} else if (auto it = own.find(a); it != own.end()) {
			if (it->second) {
				if (!value(v))
					return r;
			} else {
				v = "true";
			}
			flags.emplace_back(std::string(a), v);
		} else {
			r.error = "unknown option '" + std::string(a) + "'";
			return r;
		}
	}
	std::string text;
	std::string source = "command line";
	if (!o.config_path.empty()) {
		if (!read_file(o.config_path, text)) {
			r.error = o.config_path + ": cannot read file";
			return r;
		}
		source = o.config_path;
	}
	if (o.print_users) // needs the sessions only: a placeholder rate satisfies [traffic]
		overrides.push_back("traffic.rate_per_stream=1");
	config_given g;
	if (auto e = parse_gen_config(text, source, overrides, o.cfg, &g); !e.empty()) {
		r.error = e;
		return r;
	}
	gen_config &c = o.cfg;
	bool lac_reset = false;
	for (const auto &[f, val] : flags) {
		auto bad = [&](const char *what) {
			r.error = f + ": " + what + ", got \"" + val + "\"";
			return r;
		};
		auto addr = [&](uint32_t &out) {
			auto a = parse_ipv4(val);
			if (!a || *a == 0)
				return false;
			out = *a;
			return true;
		};
		auto dur = [&](uint64_t &out) {
			auto ms = parse_duration_ms(val);
			if (!ms) {
				uint64_t s = 0;
				if (!to_uint(val, s, 0, 30ull * 86400))
					return false;
				ms = s * 1000;
			}
			out = *ms;
			return true;
		};
		uint32_t a32 = 0;
		if (f == "--access-port")
			c.access.port = val;
		else if (f == "--core-port")
			c.core.port = val;
		else if (f == "--lac") {
			if (!addr(a32))
				return bad("expected an IPv4 address");
			if (!lac_reset)
				c.access.lac_addresses.clear();
			lac_reset = true;
			c.access.lac_addresses.push_back(a32);
		} else if (f == "--lns") {
			if (!addr(c.access.lns))
				return bad("expected an IPv4 address");
		} else if (f == "--gateway") {
			if (!addr(a32))
				return bad("expected an IPv4 address");
			c.access.gateway = a32;
		} else if (f == "--core-address") {
			if (!addr(a32))
				return bad("expected an IPv4 address");
			c.core.addresses = {a32};
		} else if (f == "--core-next-hop") {
			if (!addr(c.core.next_hop))
				return bad("expected an IPv4 address");
		} else if (f == "--core-address6" || f == "--core-next-hop6") {
			auto a6 = parse_ipv6(val);
			if (!a6 || *a6 == ipv6_addr{} || (*a6)[0] == 0xff)
				return bad("expected a unicast IPv6 address");
			(f == "--core-address6" ? c.core.address6 : c.core.next_hop6) = a6;
		} else if (f == "--lns-port") {
			if (!to_uint(val, c.access.lns_port, 1, 65535))
				return bad("expected 1..65535");
		} else if (f == "--local-port") {
			if (!to_uint(val, c.access.local_port, 1, 65535))
				return bad("expected 1..65535");
		} else if (f == "--lns-mac" || f == "--access-mac" || f == "--next-hop-mac" || f == "--core-mac") {
			auto m = parse_mac(val);
			if (!m)
				return bad("expected a MAC address");
			(f == "--lns-mac" ? c.access.lns_mac : f == "--access-mac" ? c.access.local_mac
			                                     : f == "--next-hop-mac" ? c.core.next_hop_mac
			                                                             : c.core.local_mac) = *m;
		} else if (f == "--sessions") {
			if (!to_uint(val, c.sessions.sessions, 1, 4000000))
				return bad("expected 1..4000000");
			g.sessions = true;
		} else if (f == "--tunnels") {
			if (!to_uint(val, c.sessions.tunnels, 1, 65535))
				return bad("expected 1..65535");
			g.tunnels = true;
		} else if (f == "--sessions-per-tunnel") {
			if (!to_uint(val, c.sessions.sessions_per_tunnel, 1, 65535))
				return bad("expected 1..65535");
			g.per_tunnel = true;
		} else if (f == "--user" || f == "--password") {
			if (auto e = check_credentials(val); !e.empty())
				return bad(e.c_str());
			(f == "--user" ? c.sessions.user : c.sessions.password) = val;
		} else if (f == "--auth") {
			if (val == "any")
				c.sessions.auth = ppp_auth::any;
			else if (val == "pap")
				c.sessions.auth = ppp_auth::pap;
			else if (val == "chap")
				c.sessions.auth = ppp_auth::chap;
			else
				return bad("expected any, pap or chap");
		} else if (f == "--secret")
			c.sessions.tunnel_secret = val;
		else if (f == "--hide-avps")
			c.sessions.hide_avps = true;
		else if (f == "--host-name")
			c.sessions.host_name = val;
		else if (f == "--setup-rate") {
			double d = 0;
			auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), d);
			if (ec != std::errc{} || p != val.data() + val.size() || !(d > 0 && d <= 1e7))
				return bad("expected calls per second, > 0");
			c.sessions.setup_rate = d;
		} else if (f == "--max-outstanding") {
			if (!to_uint(val, c.sessions.max_outstanding, 1, 1000000))
				return bad("expected 1..1000000");
		} else if (f == "--setup-timeout") {
			if (!dur(c.sessions.setup_timeout_ms))
				return bad("expected a duration");
		} else if (f == "--hold") {
			if (!dur(c.sessions.hold_ms))
				return bad("expected a duration");
		} else if (f == "--flap") {
			if (!to_uint(val, c.sessions.flap_cycles, 0, 1000000))
				return bad("expected 0..1000000");
		} else if (f == "--flap-down") {
			if (!dur(c.sessions.flap_down_ms))
				return bad("expected a duration");
		} else if (f == "--data-seq")
			c.sessions.data_sequence = true;
		else if (f == "--teardown-rate") {
			double d = 0;
			auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), d);
			if (ec != std::errc{} || p != val.data() + val.size() || !(d >= 0 && d <= 1e7))
				return bad("expected calls per second, >= 0 (0: all at once)");
			c.sessions.teardown_rate = d;
		} else if (f == "--proxy-lcp")
			c.sessions.proxy_lcp = true;
		else if (f == "--proxy-auth")
			c.sessions.proxy_auth = true;
		else if (f == "--ipv6cp")
			c.sessions.enable_ipv6cp = true;
	}
	// Sessions and tunnels: a total alone gives the tunnels; neither gives the product; both
	// (without sessions per tunnel) spread the sessions evenly over the tunnels.
	sessions_config &s = c.sessions;
	if (g.sessions && !g.tunnels)
		s.tunnels = (s.sessions + s.sessions_per_tunnel - 1) / s.sessions_per_tunnel;
	else if (!g.sessions)
		s.sessions = s.tunnels * s.sessions_per_tunnel;
	else if (!g.per_tunnel && s.tunnels <= s.sessions && (s.sessions + s.tunnels - 1) / s.tunnels <= 65535)
		s.sessions_per_tunnel = (s.sessions + s.tunnels - 1) / s.tunnels;
	if (!o.print_users)
		r.error = validate(o);
	return r;
}

namespace {

// A pseudowire run: static L2TPv3 sessions, no control connection, no LAC addresses.
std::string validate_pseudowires(gen_options &o) {
	gen_config &c = o.cfg;
	if (c.access.port.empty())
		return "access.port (--access-port) is required: it carries the L2TPv3 packets";
	if (c.core.port.empty())
		return "core.port (--core-port) is required: it faces the LNS's attachment port";
	if (c.core.addresses.empty())
		c.core.addresses = {0xC6130002}; // 198.19.0.2: the inner packets' far end
	if (c.run.traffic.ip_version != 4)
		return "traffic.ip_version: pseudowire and bench runs send IPv4 inner packets only";
	const cfg::ip_address *remote[2] = {nullptr, nullptr};
	for (const pw_tunnel_config &t : c.pw_tunnels) {
		const cfg::ip_address *&r = remote[t.remote.is_v6()];
		if (r && !(*r == t.remote))
			return "static_tunnel " + std::to_string(t.tunnel_id) + ": remote " + cfg::format_ip(t.remote) +
			       " differs from another tunnel's " + cfg::format_ip(*r) +
			       " (one LNS address per address family)";
		r = &t.remote;
	}
	const std::vector<uint16_t> sizes = build_size_pattern(c.run.traffic.sizes);
	for (const pw_session_config &s : c.pw_sessions) {
		const pw_tunnel_config *t = c.pw_tunnel(s.tunnel_id);
		if (t == nullptr)
			return "static_session " + std::to_string(s.session_id) + ": no static_tunnel " + std::to_string(s.tunnel_id);
		const uint32_t over = pw_overhead(*t, s);
		for (uint16_t size : sizes)
			if (size - 18u + over > c.access.mtu)
				return "frame size " + std::to_string(size) + " does not fit access.mtu " + std::to_string(c.access.mtu) +
				       " in session " + std::to_string(s.session_id) + " (" + std::to_string(over) +
				       " bytes of IP/L2TPv3/Ethernet)";
	}
	return {};
}

} // namespace

std::string validate(gen_options &o) {
	gen_config &c = o.cfg;
	sessions_config &s = c.sessions;
	if (!o.bench && c.pseudowires())
		return validate_pseudowires(o);
	if (!c.pw_tunnels.empty())
		return "[[static_tunnel]] without a [[static_session]]";
	if (o.bench) {
		if (c.access.port.empty())
			return "--bench needs an access port (--access-port net_null0)";
		if (c.access.lac_addresses.empty())
			c.access.lac_addresses = {0xC6120002}; // 198.18.0.2
		if (c.access.lns == 0)
			c.access.lns = 0xC6120001;
		if (c.core.addresses.empty())
			c.core.addresses = {0xC6130002};
		if (!c.access.lns_mac)
			c.access.lns_mac = mac{0x02, 0, 0, 0, 0, 1};
		if (c.run.traffic.ip_version != 4)
			return "traffic.ip_version: pseudowire and bench runs send IPv4 inner packets only";
		return {};
	}
	if (c.access.port.empty())
		return "access.port (--access-port) is required";
	if (c.access.lac_addresses.empty())
		return "access.lac_addresses (--lac) is required";
	if (c.access.lns == 0)
		return "access.lns (--lns) is required";
	if (c.core.port.empty())
		return "core.port (--core-port) is required: it receives the upstream traffic";
	if (c.core.addresses.empty())
		return "core.addresses (--core-address) is required";
	if (c.core.next_hop == 0)
		return "core.next_hop (--core-next-hop) is required: the LNS's core-side address";
	if (s.sessions > uint64_t(s.tunnels) * s.sessions_per_tunnel)
		return "sessions.sessions " + std::to_string(s.sessions) + " exceeds tunnels x sessions_per_tunnel (" +
		       std::to_string(uint64_t(s.tunnels) * s.sessions_per_tunnel) + ")";
	if (s.hide_avps && s.tunnel_secret.empty())
		return "sessions.hide_avps needs sessions.tunnel_secret";
	if (s.proxy_auth && !s.proxy_lcp)
		return "sessions.proxy_auth needs sessions.proxy_lcp (a LAC authenticates the user after LCP)";
	if (c.run.traffic.has_ipv6()) {
		// IPv6 streams: the subscribers' addresses come from IPv6CP + Router Advertisements.
		s.enable_ipv6cp = true;
		if (!c.core.address6)
			return "traffic.ip_version " + std::string(c.run.traffic.has_ipv4() ? "\"both\"" : "6") +
			       " needs core.address6 (--core-address6): the IPv6 streams' core endpoint";
		if (!c.core.next_hop6 && !c.core.next_hop_mac)
			return "traffic.ip_version " + std::string(c.run.traffic.has_ipv4() ? "\"both\"" : "6") +
			       " needs core.next_hop6 (--core-next-hop6): the LNS's core-side IPv6 address";
	}
	for (uint16_t size : build_size_pattern(c.run.traffic.sizes))
		if (size - 18u + 38u + (s.data_sequence ? 4u : 0u) > c.access.mtu)
			return "frame size " + std::to_string(size) + " does not fit access.mtu " + std::to_string(c.access.mtu) +
			       " once encapsulated (" + std::to_string(38 + (s.data_sequence ? 4 : 0)) + " bytes of L2TP/UDP/IP/PPP)";
	return {};
}

std::vector<std::string> build_eal_args(const gen_options &o, const std::string &argv0) {
	std::vector<std::string> a{argv0};
	bool any_pci = false;
	auto add_port = [&](const std::string &devargs) {
		if (devargs.empty())
			return;
		if (devargs.starts_with("net_")) {
			a.push_back("--vdev=" + devargs);
		} else {
			a.push_back("-a");
			a.push_back(devargs);
			any_pci = true;
		}
	};
	add_port(o.cfg.access.port);
	if (o.cfg.core.port != o.cfg.access.port)
		add_port(o.cfg.core.port);
	bool lcores = false, prefix = false, mem = false, pci_given = false;
	for (const std::string &e : o.eal_args) {
		a.push_back(e);
		const std::string_view v = e;
		lcores |= v == "-l" || v == "-c" || v.starts_with("--lcores") || (v.starts_with("-l") && v.size() > 2) ||
		          (v.starts_with("-c") && v.size() > 2);
		prefix |= v.starts_with("--file-prefix") || v == "--in-memory" || v == "--no-huge"; // no files to leave
		mem |= v == "-m" || (v.starts_with("-m") && v.size() > 2 && v[2] != '-') || v.starts_with("--socket-mem");
		pci_given |= v == "-a" || v == "-b" || v.starts_with("--allow") || v.starts_with("--block") || v == "--no-pci";
	}
	if (!lcores) {
		a.push_back("-l");
		a.push_back("0,1");
	}
	if (!prefix)
		a.push_back("--in-memory");
	if (!mem) {
		a.push_back("-m");
		a.push_back("256");
	}
	if (!any_pci && !pci_given)
		a.push_back("--no-pci");
	return a;
}

} // namespace l2tpx::gen::dpdk
