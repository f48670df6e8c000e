#include "tests/dp_e2e/ring_cmd_parse.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <set>
#include <vector>

namespace l2tpx::test {

namespace {

struct word {
	std::string_view key, value;
};

bool split_words(std::string_view text, std::string_view &name, std::vector<word> &words, std::string &err) {
	size_t i = 0;
	auto next = [&](std::string_view &out) {
		while (i < text.size() && text[i] == ' ')
			i++;
		const size_t b = i;
		while (i < text.size() && text[i] != ' ')
			i++;
		out = text.substr(b, i - b);
		return !out.empty();
	};
	if (!next(name)) {
		err = "empty command";
		return false;
	}
	std::string_view w;
	while (next(w)) {
		const size_t eq = w.find('=');
		if (eq == std::string_view::npos || eq == 0 || eq + 1 == w.size()) {
			err = std::string(w) + ": expected key=value";
			return false;
		}
		words.push_back({w.substr(0, eq), w.substr(eq + 1)});
	}
	return true;
}

bool parse_uint(std::string_view v, uint64_t max, uint64_t &out) {
	int base = 10;
	if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v.remove_prefix(2);
	}
	uint64_t x = 0;
	auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x, base);
	if (ec != std::errc() || p != v.data() + v.size() || x > max)
		return false;
	out = x;
	return true;
}

bool parse_addr(std::string_view v, ring::ip_addr &out) {
	const std::string s(v);
	out = {};
	if (inet_pton(AF_INET, s.c_str(), out.bytes) == 1) {
		out.family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s.c_str(), out.bytes) == 1) {
		out.family = 6;
		return true;
	}
	return false;
}

bool parse_prefix(std::string_view v, ring::ip_addr &addr, uint8_t &len) {
	const size_t slash = v.find('/');
	if (slash == std::string_view::npos || !parse_addr(v.substr(0, slash), addr))
		return false;
	uint64_t l = 0;
	if (!parse_uint(v.substr(slash + 1), addr.family == 4 ? 32 : 128, l))
		return false;
	len = uint8_t(l);
	return true;
}

bool parse_mac(std::string_view v, uint8_t mac[6]) {
	if (v.size() != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		if (i > 0 && v[size_t(i) * 3 - 1] != ':')
			return false;
		uint8_t b = 0;
		auto [p, ec] = std::from_chars(v.data() + i * 3, v.data() + i * 3 + 2, b, 16);
		if (ec != std::errc() || p != v.data() + i * 3 + 2)
			return false;
		mac[i] = b;
	}
	return true;
}

// 4 or 8 bytes of hex, optional 0x.
bool parse_cookie(std::string_view v, uint8_t out[8], uint8_t &len) {
	if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		v.remove_prefix(2);
	if (v.size() != 8 && v.size() != 16)
		return false;
	len = uint8_t(v.size() / 2);
	for (size_t i = 0; i < len; i++) {
		auto [p, ec] = std::from_chars(v.data() + i * 2, v.data() + i * 2 + 2, out[i], 16);
		if (ec != std::errc() || p != v.data() + i * 2 + 2)
			return false;
	}
	return true;
}

class parser {
public:
	parser(std::vector<word> w) : words_(std::move(w)) {}

	// Every key must be consumed by the command's parser exactly once (routes excepted).
	bool finish(std::string &err) const {
		for (size_t i = 0; i < words_.size(); i++) {
			if (!used_.contains(i)) {
				err = std::string(words_[i].key) + ": unknown or repeated key for this command";
				return false;
			}
		}
		return err_.empty() ? true : (err = err_, false);
	}
	const std::string &error() const { return err_; }

	// Returns the value of `key` (first unused occurrence), or nullptr.
	const std::string_view *get(std::string_view key) {
		for (size_t i = 0; i < words_.size(); i++)
			if (words_[i].key == key && !used_.contains(i)) {
				used_.insert(i);
				return &words_[i].value;
			}
		return nullptr;
	}
	template <typename T> void num(std::string_view key, T &out, uint64_t max, bool required, uint64_t def = 0) {
		const auto *v = get(key);
		uint64_t x = def;
		if (!v) {
			if (required)
				fail(key, "missing");
		} else if (!parse_uint(*v, max, x)) {
			fail(key, "not a number in 0.." + std::to_string(max));
		}
		out = T(x);
	}
	void addr(std::string_view key, ring::ip_addr &out, bool required) {
		const auto *v = get(key);
		out = {};
		if (!v) {
			if (required)
				fail(key, "missing");
		} else if (!parse_addr(*v, out)) {
			fail(key, "not an IPv4 or IPv6 address");
		}
	}
	void fail(std::string_view key, const std::string &why) {
		if (err_.empty())
			err_ = std::string(key) + ": " + why;
	}

private:
	std::vector<word> words_;
	std::set<size_t> used_;
	std::string err_;
};

void parse_tunnel(parser &p, ring::tunnel_params &t) {
	p.num("version", t.version, 3, true);
	if (t.version != 2 && t.version != 3)
		p.fail("version", "must be 2 or 3");
	t.enc = ring::encap::udp;
	if (const auto *e = p.get("encap")) {
		if (*e == "ip")
			t.enc = ring::encap::ip;
		else if (*e != "udp")
			p.fail("encap", "must be udp or ip");
	}
	p.num("port", t.port, 0xffff, true);
	p.num("local_tunnel", t.local_tunnel_id, 0xffffffff, true);
	p.num("peer_tunnel", t.peer_tunnel_id, 0xffffffff, true);
	const bool udp = t.enc == ring::encap::udp;
	p.num("sport", t.local_udp_port, 0xffff, false, udp ? 1701 : 0);
	p.num("dport", t.peer_udp_port, 0xffff, false, udp ? 1701 : 0);
	p.addr("local", t.local, true);
	p.addr("peer", t.peer, true);
	if (t.local.family && t.peer.family && t.local.family != t.peer.family)
		p.fail("peer", "family differs from local");
}

void parse_session(parser &p, ring::session_params &s) {
	p.num("version", s.version, 3, true);
	if (s.version != 2 && s.version != 3)
		p.fail("version", "must be 2 or 3");
	s.enc = ring::encap::udp;
	if (const auto *e = p.get("encap")) {
		if (*e == "ip")
			s.enc = ring::encap::ip;
		else if (*e != "udp")
			p.fail("encap", "must be udp or ip");
	}
	s.pw_type = ring::pw::ppp;
	if (const auto *w = p.get("pw")) {
		if (*w == "eth")
			s.pw_type = ring::pw::eth;
		else if (*w == "eth_vlan")
			s.pw_type = ring::pw::eth_vlan;
		else if (*w != "ppp")
			p.fail("pw", "must be ppp, eth or eth_vlan");
	}
	if (const auto *f = p.get("flags")) {
		std::string_view rest = *f;
		while (!rest.empty()) {
			const size_t c = rest.find(',');
			const std::string_view one = rest.substr(0, c);
			rest = c == std::string_view::npos ? std::string_view{} : rest.substr(c + 1);
			if (one == "send_seq")
				s.flags |= ring::session_flag::send_seq;
			else if (one == "require_seq")
				s.flags |= ring::session_flag::require_seq;
			else if (one == "l2ss")
				s.flags |= ring::session_flag::l2ss;
			else if (one == "check_source")
				s.flags |= ring::session_flag::check_source;
			else
				p.fail("flags", "unknown flag '" + std::string(one) + "'");
		}
	}
	p.num("port", s.access_port, 0xffff, true);
	p.num("attach_port", s.attach_port, 0xffff, false);
	p.num("vlan", s.attach_vlan, 4095, false);
	p.num("local_tunnel", s.local_tunnel_id, 0xffffffff, true);
	p.num("local_session", s.local_session_id, 0xffffffff, true);
	p.num("peer_tunnel", s.peer_tunnel_id, 0xffffffff, true);
	p.num("peer_session", s.peer_session_id, 0xffffffff, true);
	p.num("mru", s.mru, 0xffff, false);
	p.num("mss", s.mss_clamp, 0xffff, false);
	p.num("reorder_timeout_ms", s.reorder_timeout_ms, 0xffff, false);
	const bool udp = s.enc == ring::encap::udp;
	p.num("sport", s.local_udp_port, 0xffff, false, udp ? 1701 : 0);
	p.num("dport", s.peer_udp_port, 0xffff, false, udp ? 1701 : 0);
	p.addr("local", s.local, true);
	p.addr("peer", s.peer, true);
	if (s.local.family && s.peer.family && s.local.family != s.peer.family)
		p.fail("peer", "family differs from local");
	if (const auto *c = p.get("cookie"); c && !parse_cookie(*c, s.cookie, s.cookie_len))
		p.fail("cookie", "must be 4 or 8 bytes of hex");
	if (const auto *c = p.get("peer_cookie"); c && !parse_cookie(*c, s.peer_cookie, s.peer_cookie_len))
		p.fail("peer_cookie", "must be 4 or 8 bytes of hex");
	ring::ip_addr sub{};
	p.addr("subscriber", sub, false);
	if (sub.family == 6)
		p.fail("subscriber", "must be an IPv4 address (IPv6: v6_prefix)");
	std::memcpy(s.subscriber_v4, sub.bytes, 4);
	while (const auto *r = p.get("route")) {
		ring::ip_addr a{};
		uint8_t len = 0;
		if (!parse_prefix(*r, a, len) || a.family != 4) {
			p.fail("route", "must be an IPv4 prefix a.b.c.d/len");
			break;
		}
		if (s.framed_route_count == ring::max_framed_routes) {
			p.fail("route", "at most " + std::to_string(ring::max_framed_routes) + " routes");
			break;
		}
		auto &fr = s.framed_routes[s.framed_route_count++];
		std::memcpy(fr.addr, a.bytes, 4);
		fr.length = len;
	}
	for (auto [key, dst] : {std::pair{"v6_prefix", &s.v6_prefix}, std::pair{"v6_delegated", &s.v6_delegated}}) {
		if (const auto *v = p.get(key)) {
			ring::ip_addr a{};
			uint8_t len = 0;
			if (!parse_prefix(*v, a, len) || a.family != 6 || len == 0)
				p.fail(key, "must be an IPv6 prefix with a length of 1..128");
			std::memcpy(dst->addr, a.bytes, 16);
			dst->length = len;
		}
	}
}

void parse_ref(parser &p, ring::session_ref &r, bool session_required, bool all_optional = false) {
	p.num("version", r.version, 3, !all_optional);
	if (!all_optional && r.version != 2 && r.version != 3)
		p.fail("version", "must be 2 or 3");
	p.num("local_tunnel", r.local_tunnel_id, 0xffffffff, !all_optional);
	p.num("local_session", r.local_session_id, 0xffffffff, session_required);
}

} // namespace

parse_result parse_ring_command(std::string_view text, uint32_t seq) {
	parse_result out;
	std::string_view name;
	std::vector<word> words;
	if (!split_words(text, name, words, out.error))
		return out;
	using ct = ring::command_type;
	static constexpr std::pair<std::string_view, ct> names[] = {
#define L2TPX_X(n, desc) {#n, ct::n},
	    L2TPX_RING_COMMANDS(L2TPX_X)
#undef L2TPX_X
	};
	const ct *type = nullptr;
	for (const auto &[n, t] : names)
		if (n == name)
			type = &t;
	if (!type) {
		out.error = std::string(name) + ": unknown command";
		return out;
	}
	out.cmd = ring::make_command(*type, seq);
	parser p(std::move(words));
	auto &c = out.cmd;
	switch (*type) {
	case ct::nop:
	case ct::hello:
	case ct::flush_sessions:
		break;
	case ct::add_tunnel:
	case ct::modify_tunnel:
		parse_tunnel(p, c.tunnel);
		break;
	case ct::remove_tunnel:
		p.num("version", c.tunnel.version, 3, true);
		if (c.tunnel.version != 2 && c.tunnel.version != 3)
			p.fail("version", "must be 2 or 3");
		p.num("local_tunnel", c.tunnel.local_tunnel_id, 0xffffffff, true);
		break;
	case ct::add_session:
	case ct::modify_session:
		parse_session(p, c.session);
		break;
	case ct::remove_session:
		p.num("version", c.session.version, 3, true);
		if (c.session.version != 2 && c.session.version != 3)
			p.fail("version", "must be 2 or 3");
		p.num("local_tunnel", c.session.local_tunnel_id, 0xffffffff, true);
		p.num("local_session", c.session.local_session_id, 0xffffffff, true);
		break;
	case ct::add_neighbour:
	case ct::remove_neighbour:
		p.num("port", c.neighbour.port, 0xffff, true);
		p.addr("address", c.neighbour.address, true);
		if (const auto *m = p.get("mac"); m && !parse_mac(*m, c.neighbour.mac))
			p.fail("mac", "must be xx:xx:xx:xx:xx:xx");
		else if (!m && *type == ct::add_neighbour)
			p.fail("mac", "missing");
		break;
	case ct::add_route:
	case ct::remove_route: {
		p.num("version", c.route.version, 3, true);
		if (c.route.version != 2 && c.route.version != 3)
			p.fail("version", "must be 2 or 3");
		p.num("local_tunnel", c.route.local_tunnel_id, 0xffffffff, true);
		p.num("local_session", c.route.local_session_id, 0xffffffff, true);
		const auto *v = p.get("prefix");
		if (!v)
			p.fail("prefix", "missing");
		else if (!parse_prefix(*v, c.route.prefix, c.route.length))
			p.fail("prefix", "must be an address/length");
		break;
	}
	case ct::get_session_counters:
		parse_ref(p, c.ref, true);
		break;
	case ct::dump_sessions:
		parse_ref(p, c.ref, false, true);
		break;
	}
	if (!p.finish(out.error))
		return out;
	out.ok = true;
	return out;
}

namespace {
std::string addr_string(const uint8_t *b, uint8_t family) {
	char buf[INET6_ADDRSTRLEN] = {};
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, b, buf, sizeof(buf));
	return buf;
}
} // namespace

std::string describe_event(const ring::event &e) {
	const std::string seq = " seq=" + std::to_string(e.hdr.seq);
	if (e.hdr.version != ring::abi_version)
		return "bad_version version=" + std::to_string(e.hdr.version) + seq;
	switch (static_cast<ring::event_type>(e.hdr.type)) {
	case ring::event_type::completion: {
		std::string detail(e.done.detail, strnlen(e.done.detail, sizeof(e.done.detail)));
		std::string s = "completion" + seq + " " + ring::to_string(static_cast<ring::command_type>(e.done.command)) +
		                " " + ring::to_string(e.done.result) + " index=" + std::to_string(e.done.index);
		if (!detail.empty())
			s += " detail=\"" + detail + "\"";
		return s;
	}
	case ring::event_type::ready:
		return "ready" + seq + " session_capacity=" + std::to_string(e.ready.session_capacity) +
		       " session_mask=" + std::to_string(e.ready.session_mask) +
		       " sessions_installed=" + std::to_string(e.ready.sessions_installed) +
		       " l2tp_udp_port=" + std::to_string(e.ready.l2tp_udp_port) +
		       " port_count=" + std::to_string(e.ready.port_count) + " boot_id=" + std::to_string(e.ready.boot_id);
	case ring::event_type::session_counters:
		return "session_counters" + seq + " version=" + std::to_string(e.counters.ref.version) +
		       " local_tunnel=" + std::to_string(e.counters.ref.local_tunnel_id) +
		       " local_session=" + std::to_string(e.counters.ref.local_session_id) +
		       " index=" + std::to_string(e.counters.index) + " rx_packets=" + std::to_string(e.counters.rx_packets) +
		       " rx_bytes=" + std::to_string(e.counters.rx_bytes) +
		       " tx_packets=" + std::to_string(e.counters.tx_packets) + " tx_bytes=" + std::to_string(e.counters.tx_bytes);
	case ring::event_type::session_entry: {
		const auto &p = e.entry.params;
		std::string s = "session_entry" + seq + " index=" + std::to_string(e.entry.index) +
		                " version=" + std::to_string(p.version) + " local_tunnel=" + std::to_string(p.local_tunnel_id) +
		                " local_session=" + std::to_string(p.local_session_id) +
		                " peer=" + addr_string(p.peer.bytes, p.peer.family);
		if (p.subscriber_v4[0] | p.subscriber_v4[1] | p.subscriber_v4[2] | p.subscriber_v4[3])
			s += " subscriber=" + addr_string(p.subscriber_v4, 4);
		return s;
	}
	}
	return "unknown_event type=" + std::to_string(e.hdr.type) + seq;
}

} // namespace l2tpx::test
