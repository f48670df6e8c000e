// Proxy LCP / proxy authentication from the LAC side: the synthesised AVP values byte for
// byte, and the PPP client started from them against our LNS-side PPP (ppp_link server) in
// each of its configurations: proxy taken (no LCP or authentication on the wire), LCP taken
// but authentication redone (CHAP), LCP renegotiated, wrong credentials.
#include "tools/gen/lac/proxy_negotiation.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "controlplane/ppp/ppp_link.hpp"
#include "shared/ppp/chap.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/lcp.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::gen {
namespace {

using namespace std::chrono_literals;
namespace ppp = cp::ppp;
namespace proto = ::l2tpx::ppp::proto;
namespace lcpc = ::l2tpx::ppp::lcp;

struct opts {
	std::optional<uint16_t> mru;
	std::optional<uint32_t> magic;
	std::optional<uint16_t> auth;
	uint8_t chap_algorithm = 0;
	size_t count = 0;
};
opts decode(const std::vector<uint8_t> &options) {
	opts o;
	auto l = ::l2tpx::ppp::option_list::parse(options);
	EXPECT_TRUE(l.has_value());
	if (!l)
		return o;
	for (const auto &v : *l) {
		auto d = lcpc::decode_option(v);
		EXPECT_TRUE(d && d->known);
		if (!d)
			continue;
		++o.count;
		if (d->type == lcpc::option_type::mru)
			o.mru = d->mru;
		if (d->type == lcpc::option_type::magic_number)
			o.magic = d->magic;
		if (d->type == lcpc::option_type::auth_protocol) {
			o.auth = d->protocol;
			o.chap_algorithm = d->chap_algorithm;
		}
	}
	return o;
}

TEST(proxy_negotiation, synthesised_values) {
	struct row {
		proxy_spec spec;
		uint16_t lac_auth;   // protocol in the LAC's request
		uint16_t type;       // Proxy Authen Type, 0 = no proxy auth
		bool user_mru;
	};
	auto spec = [](bool auth, proxy_method m, uint16_t mru) {
		proxy_spec s;
		s.lcp = true;
		s.auth = auth;
		s.method = m;
		s.user = "user7@lab";
		s.secret = "pw-7";
		s.user_mru = mru;
		return s;
	};
	const std::vector<row> rows = {
	    {spec(true, proxy_method::chap, 1500), proto::chap, proxy_authen_chap, false},
	    {spec(true, proxy_method::pap, 1500), proto::pap, proxy_authen_pap, false},
	    {spec(false, proxy_method::chap, 1400), proto::chap, 0, true},
	    {spec(false, proxy_method::pap, 1500), proto::pap, 0, false},
	};
	for (const row &r : rows) {
		cp::seeded_random rng{42};
		cp::call_params p;
		p.calling_number = "7";
		ASSERT_TRUE(synthesise_proxy(r.spec, rng, p));
		EXPECT_EQ(p.calling_number, "7") << "other fields untouched";
		// Options only (RFC 2661 §4.4.5), no LCP header.
		const opts user = decode(p.last_received_lcp_confreq), lac = decode(p.last_sent_lcp_confreq);
		EXPECT_EQ(p.initial_received_lcp_confreq, p.last_received_lcp_confreq);
		EXPECT_EQ(user.count, r.user_mru ? 2u : 1u);
		EXPECT_EQ(user.mru.has_value(), r.user_mru);
		if (r.user_mru) {
			EXPECT_EQ(*user.mru, 1400);
		}
		ASSERT_TRUE(user.magic && lac.magic);
		EXPECT_NE(*user.magic, 0u);
		EXPECT_NE(*lac.magic, 0u);
		EXPECT_NE(*user.magic, *lac.magic);
		EXPECT_FALSE(user.auth);
		ASSERT_TRUE(lac.auth);
		EXPECT_EQ(*lac.auth, r.lac_auth);
		if (r.lac_auth == proto::chap) {
			EXPECT_EQ(lac.chap_algorithm, lcpc::chap_md5);
		}
		EXPECT_EQ(p.has_proxy_auth, r.type != 0);
		if (r.type == 0) {
			EXPECT_TRUE(p.proxy_authen_name.empty());
			continue;
		}
		EXPECT_EQ(p.proxy_authen_type, r.type);
		EXPECT_EQ(p.proxy_authen_name, "user7@lab");
		if (r.type == proxy_authen_pap) {
			EXPECT_TRUE(p.proxy_authen_challenge.empty());
			EXPECT_EQ(p.proxy_authen_response, (std::vector<uint8_t>{'p', 'w', '-', '7'}));
		} else {
			ASSERT_EQ(p.proxy_authen_challenge.size(), 16u);
			const std::vector<uint8_t> secret{'p', 'w', '-', '7'};
			auto want = ::l2tpx::ppp::chap::md5_response(uint8_t(p.proxy_authen_id), secret, p.proxy_authen_challenge);
			ASSERT_TRUE(want.has_value());
			EXPECT_EQ(p.proxy_authen_response, std::vector<uint8_t>(want->begin(), want->end()));
			EXPECT_LE(p.proxy_authen_id, 255);
		}
	}
}

TEST(proxy_negotiation, refused_inputs_leave_the_params_alone) {
	cp::seeded_random rng{1};
	proxy_spec s;
	cp::call_params p;
	ASSERT_TRUE(synthesise_proxy(s, rng, p)) << "no proxy asked: nothing to do";
	EXPECT_TRUE(p.last_sent_lcp_confreq.empty());
	EXPECT_FALSE(p.has_proxy_auth);
	s.lcp = s.auth = true;
	s.user = std::string(300, 'u');
	EXPECT_FALSE(synthesise_proxy(s, rng, p));
	EXPECT_TRUE(p.last_sent_lcp_confreq.empty());
	EXPECT_FALSE(p.has_proxy_auth);
}

// The LNS side (ppp_link server with the users file) and the generator's PPP client started
// from the synthesised proxy, back to back on a simulated clock.
struct proxied_pair {
	cp::timer_service ts;
	cp::seeded_random rng_s{21}, rng_c{22}, rng_lac{23};
	cp::aaa::local_authenticator users{cp::aaa::user_db::parse("user7@lab pw-7\n").value()};
	cp::aaa::address_allocator pool;
	std::unique_ptr<ppp::ppp_link> server, client;
	std::vector<std::pair<bool, std::vector<uint8_t>>> wire; // (from server, frame)
	std::optional<ppp::down_reason> server_down, client_down;
	int server_up = 0, client_up = 0;
	cp::call_params params;

	proxied_pair(bool accept_lcp, bool accept_auth, ppp::auth_protocol lns_auth, proxy_spec spec) {
		pool.add_pool(cp::aaa::ipv4_pool::create("p", *cp::parse_ipv4("100.64.0.10"), *cp::parse_ipv4("100.64.0.20"))
		                  .value());
		ppp::ppp_link_config sc;
		sc.server = true;
		sc.lcp.require_auth = lns_auth;
		sc.ipcp.local = *cp::parse_ipv4("100.64.0.1");
		sc.accept_proxy_lcp = accept_lcp;
		sc.accept_proxy_auth = accept_auth;
		ppp::ppp_link_config cc;
		cc.server = false;
		cc.auth.user = spec.user;
		cc.auth.secret = "pw-7"; // the user's real secret, whatever the proxy said
		server = std::make_unique<ppp::ppp_link>(ts, rng_s, sc, &users, &pool, hooks(true));
		client = std::make_unique<ppp::ppp_link>(ts, rng_c, cc, nullptr, nullptr, hooks(false));
		EXPECT_TRUE(synthesise_proxy(spec, rng_lac, params));
	}
	ppp::ppp_link::hooks hooks(bool is_server) {
		ppp::ppp_link::hooks h;
		h.send = [this, is_server](std::span<const uint8_t> f) {
			wire.emplace_back(is_server, std::vector<uint8_t>(f.begin(), f.end()));
			ts.arm(5ms, [this, is_server, b = std::vector<uint8_t>(f.begin(), f.end())] {
				auto &to = is_server ? client : server;
				if (to)
					to->receive(b);
			});
		};
		h.network_up = [this, is_server](ppp::ppp_link &) { ++(is_server ? server_up : client_up); };
		h.finished = [this, is_server](ppp::ppp_link &, ppp::down_reason r) {
			(is_server ? server_down : client_down) = r;
		};
		return h;
	}
	// As call_manager does: the LAC's client once its ICCN is sent, the LNS's once received.
	void start() {
		client->start(&params);
		server->start(&params);
	}
	size_t count(bool from_server, uint16_t protocol) const {
		size_t n = 0;
		for (const auto &[s, f] : wire) {
			auto v = ::l2tpx::ppp::parse_frame(f);
			n += s == from_server && v && v->protocol == protocol;
		}
		return n;
	}
};

proxy_spec user7(bool auth, proxy_method m) {
	proxy_spec s;
	s.lcp = true;
	s.auth = auth;
	s.method = m;
	s.user = "user7@lab";
	s.secret = "pw-7";
	return s;
}

TEST(proxy_negotiation, lns_takes_lcp_and_auth_nothing_on_the_wire_but_ncps) {
	for (proxy_method m : {proxy_method::chap, proxy_method::pap}) {
		const auto lns_auth = m == proxy_method::chap ? ppp::auth_protocol::chap_md5 : ppp::auth_protocol::pap;
		proxied_pair p(true, true, lns_auth, user7(true, m));
		p.start();
		p.ts.advance(1s);
		EXPECT_EQ(p.server_up, 1);
		EXPECT_EQ(p.client_up, 1);
		EXPECT_TRUE(p.server->proxy_used());
		EXPECT_TRUE(p.client->proxy_used());
		EXPECT_TRUE(p.client->proxy_auth_used());
		EXPECT_EQ(p.server->user(), "user7@lab");
		EXPECT_EQ(p.client->local_ipv4(), p.server->peer_ipv4());
		EXPECT_EQ(p.count(true, proto::lcp) + p.count(false, proto::lcp), 0u) << "no LCP";
		EXPECT_EQ(p.count(true, proto::chap) + p.count(false, proto::chap) + p.count(true, proto::pap) +
		              p.count(false, proto::pap),
		          0u)
		        << "no authentication";
		EXPECT_EQ(p.client->auth_frames_sent(), 0u);
		EXPECT_EQ(p.client->lcp_renegotiations(), 0u);
		// Both ends agree on the proxied options.
		EXPECT_EQ(p.server->lcp_layer().peer_magic(), p.client->lcp_layer().our_magic());
		EXPECT_EQ(p.client->lcp_layer().peer_magic(), p.server->lcp_layer().our_magic());
		EXPECT_EQ(p.client->lcp_layer().we_must_auth(), lns_auth);
		// LCP echo works on the proxied magic numbers.
		p.ts.advance(35s);
		EXPECT_FALSE(p.server_down.has_value());
		EXPECT_FALSE(p.client_down.has_value());
		EXPECT_GT(p.count(true, proto::lcp), 0u) << "the LNS's Echo-Requests";
	}
}

TEST(proxy_negotiation, lns_takes_lcp_but_challenges_again) {
	proxied_pair p(true, false, ppp::auth_protocol::chap_md5, user7(true, proxy_method::chap));
	p.start();
	p.ts.advance(4s); // the client's first IPCP request came before the LNS's network phase
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(p.client_up, 1);
	EXPECT_EQ(p.count(true, proto::lcp) + p.count(false, proto::lcp), 0u);
	EXPECT_EQ(p.count(true, proto::chap), 2u) << "Challenge, Success";
	EXPECT_EQ(p.client->auth_frames_sent(), 1u) << "one Response";
	EXPECT_EQ(p.server->user(), "user7@lab");
}

TEST(proxy_negotiation, lns_renegotiates_lcp_and_the_client_follows) {
	for (bool proxy_auth : {true, false}) {
		proxied_pair p(false, false, ppp::auth_protocol::pap, user7(proxy_auth, proxy_method::pap));
		p.start();
		p.ts.advance(4s); // the client's first IPCP request is discarded by the LNS (not in network)
		EXPECT_EQ(p.server_up, 1);
		EXPECT_EQ(p.client_up, 1);
		EXPECT_FALSE(p.server->proxy_used());
		EXPECT_TRUE(p.client->proxy_used());
		EXPECT_EQ(p.client->lcp_renegotiations(), 1u);
		EXPECT_GE(p.count(true, proto::lcp), 1u);
		EXPECT_GE(p.count(false, proto::lcp), 2u) << "the client's Ack and Request";
		// PAP for real after the renegotiation; with proxy LCP alone the client also sent one
		// at once (the LNS, still negotiating, ignored it).
		EXPECT_EQ(p.client->auth_frames_sent(), proxy_auth ? 1u : 2u);
		EXPECT_EQ(p.client->local_ipv4(), p.server->peer_ipv4());
	}
}

TEST(proxy_negotiation, wrong_proxied_password_fails_the_call) {
	proxy_spec s = user7(true, proxy_method::chap);
	s.secret = "not-pw-7";
	proxied_pair p(true, true, ppp::auth_protocol::chap_md5, s);
	p.start();
	p.ts.advance(10s);
	EXPECT_EQ(p.server_down, ppp::down_reason::auth_failed);
	EXPECT_EQ(p.client_down, ppp::down_reason::peer_terminated);
	EXPECT_EQ(p.server_up, 0);
}

} // namespace
} // namespace l2tpx::gen
