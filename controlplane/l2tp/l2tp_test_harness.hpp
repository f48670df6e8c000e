// Test harness: two endpoints (LAC and LNS) on a simulated wire and clock. Datagrams take
// `delay` to cross; a filter may drop or rewrite them; everything that crossed is recorded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/l2tp/endpoint.hpp"
#include "shared/control/message.hpp"
#include "shared/l2tp/l2tpv2.hpp"

namespace l2tpx::cp::test {

using namespace std::chrono_literals;

inline ipv4_addr ip4(uint32_t v) { return ipv4_addr{v}; }
inline const udp_endpoint lac_addr = udp_endpoint::v4(ip4(0xc0000201), 1701); // 192.0.2.1
inline const udp_endpoint lns_addr = udp_endpoint::v4(ip4(0xc0000202), 1701); // 192.0.2.2

struct datagram {
	time_point at;
	udp_endpoint from, to;
	std::vector<uint8_t> bytes;
};

// Control message type of a datagram (zlb for a ZLB, nullopt for data or garbage).
inline std::optional<ctl::msg_type> msg_type_of(const std::vector<uint8_t> &d) {
	auto h = l2tp::parse_v2(d);
	if (!h || !h->is_control())
		return std::nullopt;
	if (h->payload.empty())
		return ctl::msg_type::zlb;
	if (h->payload.size() < 8)
		return std::nullopt;
	return static_cast<ctl::msg_type>(load_be16(h->payload.data() + 6));
}

// Hand-built bytes: one AVP (IETF vendor) and a whole control packet.
inline std::vector<uint8_t> avp(uint16_t type, const std::vector<uint8_t> &value, bool m = true) {
	const size_t len = 6 + value.size();
	std::vector<uint8_t> a(len);
	a[0] = static_cast<uint8_t>((m ? 0x80 : 0) | (len >> 8));
	a[1] = static_cast<uint8_t>(len);
	a[4] = static_cast<uint8_t>(type >> 8);
	a[5] = static_cast<uint8_t>(type);
	for (size_t i = 0; i < value.size(); ++i)
		a[6 + i] = value[i];
	return a;
}

inline std::vector<uint8_t> control_packet(uint16_t tunnel, uint16_t session, uint16_t ns, uint16_t nr,
                                    std::initializer_list<std::vector<uint8_t>> avps) {
	std::vector<uint8_t> p{0xc8, 0x02, 0, 0, static_cast<uint8_t>(tunnel >> 8), static_cast<uint8_t>(tunnel),
	                       static_cast<uint8_t>(session >> 8), static_cast<uint8_t>(session),
	                       static_cast<uint8_t>(ns >> 8), static_cast<uint8_t>(ns), static_cast<uint8_t>(nr >> 8),
	                       static_cast<uint8_t>(nr)};
	for (const auto &a : avps)
		p.insert(p.end(), a.begin(), a.end());
	p[2] = static_cast<uint8_t>(p.size() >> 8);
	p[3] = static_cast<uint8_t>(p.size());
	return p;
}

struct events {
	std::vector<std::string> log;
	std::vector<disconnect_cause> tunnel_down, session_down;
	std::vector<session *> up_sessions;
	std::vector<std::vector<uint8_t>> frames;
};

struct side {
	std::unique_ptr<endpoint> ep;
	events ev;
};

struct two_ends {
	timer_service ts;
	seeded_random rng_lac{1}, rng_lns{2};
	side lac, lns;
	std::vector<datagram> wire;
	duration delay = 10ms;
	// Return false to drop a datagram.
	std::function<bool(datagram &)> filter;

	two_ends(endpoint_config lac_cfg = lac_default(), endpoint_config lns_cfg = lns_default()) {
		lac.ep = make(lac_cfg, rng_lac, lac, lac_addr, lns);
		lns.ep = make(lns_cfg, rng_lns, lns, lns_addr, lac);
	}
	static endpoint_config lac_default() {
		endpoint_config c;
		c.local_role = role::lac;
		c.local = lac_addr;
		c.tunnel.host_name = "lac1";
		return c;
	}
	static endpoint_config lns_default() {
		endpoint_config c;
		c.local_role = role::lns;
		c.local = lns_addr;
		c.tunnel.host_name = "lns1";
		return c;
	}

	std::unique_ptr<endpoint> make(const endpoint_config &cfg, random_source &rng, side &me, udp_endpoint self,
	                               side &other) {
		endpoint_hooks h;
		h.send = [this, self, &other](const udp_endpoint &to, std::span<const uint8_t> d) {
			datagram g{ts.now(), self, to, std::vector<uint8_t>(d.begin(), d.end())};
			if (filter && !filter(g))
				return;
			wire.push_back(g);
			ts.arm(delay, [&other, g] {
				if (other.ep)
					other.ep->receive(g.from, g.bytes);
			});
		};
		h.tunnel_up = [&me](tunnel &t) { me.ev.log.push_back("tunnel_up " + t.peer_host_name()); };
		h.tunnel_down = [&me](tunnel &, const disconnect_cause &c) {
			me.ev.log.push_back("tunnel_down " + std::to_string(c.result) + "/" + std::to_string(c.error));
			me.ev.tunnel_down.push_back(c);
		};
		h.session_up = [&me](session &s) {
			me.ev.log.push_back("session_up");
			me.ev.up_sessions.push_back(&s);
		};
		h.session_down = [&me](session &, const disconnect_cause &c) {
			me.ev.log.push_back("session_down " + std::to_string(c.result) + "/" + std::to_string(c.error));
			me.ev.session_down.push_back(c);
		};
		h.link_info = [&me](session &) { me.ev.log.push_back("link_info"); };
		h.ppp_frame = [&me](session &, std::span<const uint8_t> f) { me.ev.frames.emplace_back(f.begin(), f.end()); };
		return std::make_unique<endpoint>(ts, rng, cfg, std::move(h));
	}

	void run(duration d = 1s) { ts.advance(d); }

	std::vector<ctl::msg_type> types_from(const udp_endpoint &from, bool with_zlb = false) const {
		std::vector<ctl::msg_type> v;
		for (const auto &g : wire)
			if (g.from == from)
				if (auto t = msg_type_of(g.bytes); t && (with_zlb || *t != ctl::msg_type::zlb))
					v.push_back(*t);
		return v;
	}
	// Decodes the last datagram of this type (no hidden AVPs).
	std::optional<ctl::message> last(const udp_endpoint &from, ctl::msg_type t, std::vector<uint8_t> &keep) const {
		for (auto it = wire.rbegin(); it != wire.rend(); ++it) {
			if (it->from == from && msg_type_of(it->bytes) == t) {
				keep = it->bytes;
				ctl::message m;
				auto h = l2tp::parse_v2(keep);
				if (ctl::decode_body(h->payload, {}, m))
					return m;
				return std::nullopt;
			}
		}
		return std::nullopt;
	}
	tunnel *only_tunnel(side &s) {
		tunnel *t = nullptr;
		s.ep->for_each_tunnel([&](tunnel &x) { t = &x; });
		return t;
	}
};

} // namespace l2tpx::cp::test
