#include "controlplane/ppp/ppp_link.hpp"

#include <gtest/gtest.h>

#include "controlplane/l2tp/session.hpp"
#include "shared/ppp/chap.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/lcp.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::ppp {
namespace {

using namespace std::chrono_literals;
namespace proto = codec::proto;

ipv4_addr ip(const char *s) { return *parse_ipv4(s); }

// A PPP server (LNS) and client (LAC) wired back to back on a simulated clock.
struct pair_fixture {
	timer_service ts;
	seeded_random rng_s{11}, rng_c{12};
	aaa::local_authenticator users{aaa::user_db::parse("alice pw-a\nbob pw-b 10.9.9.9\n").value()};
	aaa::address_allocator pool;
	std::unique_ptr<ppp_link> server, client;
	std::vector<std::pair<bool, std::vector<uint8_t>>> wire; // (from server, frame)
	std::optional<down_reason> server_down, client_down;
	int server_up = 0, client_up = 0;
	bool cut = false;
	std::function<bool(bool from_server, std::span<const uint8_t>)> filter;

	pair_fixture() : pair_fixture(server_cfg(auth_protocol::chap_md5), client_cfg("alice", "pw-a")) {}
	explicit pair_fixture(ppp_link_config sc) : pair_fixture(sc, client_cfg("alice", "pw-a")) {}
	pair_fixture(ppp_link_config sc, ppp_link_config cc) {
		pool.add_pool(aaa::ipv4_pool::create("p", ip("100.64.0.10"), ip("100.64.0.11")).value());
		server = std::make_unique<ppp_link>(ts, rng_s, sc, &users, &pool, hooks(true));
		client = std::make_unique<ppp_link>(ts, rng_c, cc, nullptr, nullptr, hooks(false));
	}
	static ppp_link_config server_cfg(auth_protocol a) {
		ppp_link_config c;
		c.server = true;
		c.lcp.require_auth = a;
		c.ipcp.local = ip("100.64.0.1");
		c.ipcp.dns1 = ip("192.0.2.53");
		c.ipcp.dns2 = ip("192.0.2.54");
		return c;
	}
	static ppp_link_config client_cfg(std::string user, std::string pw) {
		ppp_link_config c;
		c.server = false;
		c.auth.user = std::move(user);
		c.auth.secret = std::move(pw);
		return c;
	}
	ppp_link::hooks hooks(bool is_server) {
		ppp_link::hooks h;
		h.send = [this, is_server](std::span<const uint8_t> f) {
			if (cut || (filter && !filter(is_server, f)))
				return;
			wire.emplace_back(is_server, std::vector<uint8_t>(f.begin(), f.end()));
			ts.arm(5ms, [this, is_server, b = std::vector<uint8_t>(f.begin(), f.end())] {
				auto &to = is_server ? client : server;
				if (to)
					to->receive(b);
			});
		};
		h.network_up = [this, is_server](ppp_link &) { ++(is_server ? server_up : client_up); };
		h.finished = [this, is_server](ppp_link &, down_reason r) { (is_server ? server_down : client_down) = r; };
		return h;
	}
	void start() {
		server->start();
		client->start();
	}
	size_t count(bool from_server, uint16_t protocol, uint8_t code) const {
		size_t n = 0;
		for (const auto &[s, f] : wire) {
			auto v = codec::parse_frame(f);
			if (s == from_server && v && v->protocol == protocol && !v->payload.empty() && v->payload[0] == code)
				++n;
		}
		return n;
	}
};

TEST(ppp_link, chap_ipcp_ipv6cp_up) {
	pair_fixture p;
	p.start();
	p.ts.advance(1s);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(p.client_up, 1);
	EXPECT_EQ(p.server->phase(), link_phase::network);
	EXPECT_EQ(p.server->user(), "alice");
	EXPECT_EQ(p.server->peer_ipv4(), ip("100.64.0.10"));
	EXPECT_EQ(p.client->local_ipv4(), ip("100.64.0.10"));
	EXPECT_EQ(p.client->peer_ipv4(), ip("100.64.0.1"));
	EXPECT_EQ(p.client->ipcp_layer().dns1(), ip("192.0.2.53"));
	EXPECT_EQ(p.client->ipcp_layer().dns2(), ip("192.0.2.54"));
	EXPECT_TRUE(p.server->ipv6cp_layer().fsm().is_opened());
	EXPECT_EQ(p.server->peer_iid(), p.client->local_iid());
	EXPECT_EQ(p.client->peer_iid(), p.server->local_iid());
	EXPECT_NE(p.server->peer_iid(), 0u);
	EXPECT_EQ(p.server->lcp_layer().peer_must_auth(), auth_protocol::chap_md5);
	EXPECT_EQ(p.server->lcp_layer().peer_magic(), p.client->lcp_layer().our_magic());
	EXPECT_EQ(p.pool.available(), 1u);
	EXPECT_EQ(p.count(true, proto::chap, 1), 1u) << "one Challenge";
	EXPECT_EQ(p.count(true, proto::chap, 3), 1u) << "one Success";
	EXPECT_EQ(p.count(true, proto::ipcp, 3), 1u) << "the client's 0.0.0.0 + DNS request Nak'd once";
}

TEST(ppp_link, pap_and_fixed_address) {
	pair_fixture p(pair_fixture::server_cfg(auth_protocol::pap), pair_fixture::client_cfg("bob", "pw-b"));
	p.start();
	p.ts.advance(1s);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(p.server->peer_ipv4(), ip("10.9.9.9"));
	EXPECT_EQ(p.pool.available(), 2u) << "fixed address outside the pool";
	EXPECT_EQ(p.count(false, proto::pap, 1), 1u);
	p.server->close();
	p.ts.advance(10s);
	EXPECT_EQ(p.server_down, down_reason::admin_close);
	EXPECT_EQ(p.client_down, down_reason::peer_terminated);
	// The fixed address can be used again.
	EXPECT_TRUE(p.pool.acquire(ip("10.9.9.9")));
}

TEST(ppp_link, chap_nak_falls_back_to_pap) {
	auto cc = pair_fixture::client_cfg("alice", "pw-a");
	cc.lcp.accept_chap = false;
	pair_fixture p(pair_fixture::server_cfg(auth_protocol::chap_md5), cc);
	p.start();
	p.ts.advance(1s);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(p.server->lcp_layer().peer_must_auth(), auth_protocol::pap);
}

TEST(ppp_link, authentication_failures) {
	struct row {
		auth_protocol a;
		const char *user, *pw;
	} rows[] = {{auth_protocol::pap, "alice", "wrong"}, {auth_protocol::chap_md5, "alice", "wrong"},
	            {auth_protocol::chap_md5, "mallory", "x"}, {auth_protocol::pap, "", ""}};
	for (const auto &r : rows) {
		pair_fixture p(pair_fixture::server_cfg(r.a), pair_fixture::client_cfg(r.user, r.pw));
		p.start();
		p.ts.advance(10s);
		EXPECT_EQ(p.server_down, down_reason::auth_failed) << r.user << "/" << r.pw;
		EXPECT_EQ(p.client_down, down_reason::auth_failed) << r.user << "/" << r.pw;
		EXPECT_EQ(p.server_up, 0);
		EXPECT_EQ(p.pool.available(), 2u);
	}
}

TEST(ppp_link, teardown_paths_release_the_address) {
	enum class how { client_close, server_close, lower_down, echo_timeout };
	for (how h : {how::client_close, how::server_close, how::lower_down, how::echo_timeout}) {
		pair_fixture p;
		p.start();
		p.ts.advance(1s);
		ASSERT_EQ(p.server_up, 1);
		ASSERT_EQ(p.pool.available(), 1u);
		switch (h) {
		case how::client_close: p.client->close(); break;
		case how::server_close: p.server->close(); break;
		case how::lower_down: p.server->lower_down(); break;
		case how::echo_timeout: p.cut = true; break; // the client vanishes
		}
		p.ts.advance(60s);
		ASSERT_TRUE(p.server_down) << static_cast<int>(h);
		const down_reason want[] = {down_reason::peer_terminated, down_reason::admin_close, down_reason::lower_down,
		                            down_reason::echo_timeout};
		EXPECT_EQ(*p.server_down, want[static_cast<int>(h)]);
		EXPECT_EQ(p.pool.available(), 2u) << "address back in the pool";
	}
}

TEST(ppp_link, echo_keeps_a_live_link_up) {
	pair_fixture p;
	p.start();
	p.ts.advance(300s);
	EXPECT_FALSE(p.server_down);
	EXPECT_GT(p.count(true, proto::lcp, 9), 20u);  // Echo-Requests
	EXPECT_GT(p.count(false, proto::lcp, 10), 20u); // Echo-Replies
	EXPECT_EQ(p.server->lcp_layer().echo_outstanding(), 0u);
}

TEST(ppp_link, pool_exhaustion_without_ipv6_fails_the_link) {
	auto sc = pair_fixture::server_cfg(auth_protocol::chap_md5);
	sc.enable_ipv6cp = false;
	pair_fixture p(sc);
	ASSERT_TRUE(p.pool.acquire());
	ASSERT_TRUE(p.pool.acquire());
	p.start();
	p.ts.advance(10s);
	EXPECT_EQ(p.server_down, down_reason::no_address);
}

// An IPv6-only subscriber: IPv6CP opens while IPCP is still negotiating, then IPCP
// gives up. The link is up (network_up once, when IPCP fails) and stays up.
TEST(ppp_link, ipv6cp_first_then_ipcp_max_configure_brings_network_up) {
	auto cc = pair_fixture::client_cfg("alice", "pw-a");
	cc.enable_ipcp = false;
	pair_fixture p(pair_fixture::server_cfg(auth_protocol::chap_md5), cc);
	// The client's Protocol-Reject of IPCP is lost: the server's IPCP runs to Max-Configure.
	p.filter = [](bool from_server, std::span<const uint8_t> f) {
		auto v = codec::parse_frame(f);
		return from_server || !v || v->protocol != proto::lcp || v->payload.empty() || v->payload[0] != 8;
	};
	p.start();
	p.ts.advance(1s);
	EXPECT_TRUE(p.server->ipv6cp_layer().fsm().is_opened());
	EXPECT_EQ(p.server_up, 0) << "held back while IPCP negotiates";
	p.ts.advance(60s);
	EXPECT_EQ(p.server->ipcp_layer().fsm().state(), fsm_state::stopped);
	EXPECT_TRUE(p.server->ipv6cp_layer().fsm().is_opened());
	EXPECT_EQ(p.server_up, 1);
	EXPECT_FALSE(p.server_down);
	EXPECT_EQ(p.server->phase(), link_phase::network);
	EXPECT_EQ(p.server->peer_iid(), p.client->local_iid());
	EXPECT_EQ(p.server->peer_ipv4(), ipv4_addr{}) << "no IPv4 address: IPv6 only";
	EXPECT_EQ(p.pool.available(), 2u) << "the address offered went back to the pool";
	EXPECT_EQ(p.server->snapshot().peer_ipv4, ipv4_addr{});
	EXPECT_TRUE(p.server->snapshot().ipv6cp_opened);
	p.ts.advance(60s);
	EXPECT_EQ(p.server_up, 1) << "once";
	EXPECT_FALSE(p.server_down);
}

TEST(ppp_link, ipv6cp_observer_sees_opened_and_closed) {
	pair_fixture p;
	int seen = 0;
	bool opened_at_call = false;
	p.server->set_ipv6cp_observer([&] {
		++seen;
		opened_at_call = p.server->ipv6cp_layer().fsm().is_opened();
	});
	p.start();
	p.ts.advance(1s);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(seen, 1);
	EXPECT_TRUE(opened_at_call);
	p.server->close();
	p.ts.advance(10s);
	EXPECT_EQ(p.server_down, down_reason::admin_close);
	EXPECT_EQ(seen, 2);
	EXPECT_FALSE(opened_at_call);
}

// IPCP was Opened (network_up, the address installed), then renegotiates and gives up
// while IPv6CP is Opened: the link stays and keeps its address (the dataplane still
// routes it) until it ends.
TEST(ppp_link, ipcp_failing_after_network_up_keeps_the_address) {
	pair_fixture p;
	p.start();
	p.ts.advance(1s);
	ASSERT_EQ(p.server_up, 1);
	ASSERT_TRUE(p.server->ipcp_layer().fsm().is_opened());
	const ipv4_addr a = p.server->peer_ipv4();
	ASSERT_EQ(p.pool.available(), 1u);
	// From now on the client's IPCP is lost; its Configure-Request restarts the server's.
	p.filter = [](bool from_server, std::span<const uint8_t> f) {
		auto v = codec::parse_frame(f);
		return from_server || !v || v->protocol != proto::ipcp;
	};
	const uint32_t v = a.value;
	const std::vector<uint8_t> req = {0xff, 0x03, 0x80, 0x21, 0x01, 0x55, 0x00, 0x0a, 0x03, 0x06,
	                                  static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
	                                  static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
	p.server->receive(req);
	EXPECT_FALSE(p.server->ipcp_layer().fsm().is_opened());
	p.ts.advance(60s);
	EXPECT_EQ(p.server->ipcp_layer().fsm().state(), fsm_state::stopped);
	EXPECT_TRUE(p.server->ipv6cp_layer().fsm().is_opened());
	EXPECT_FALSE(p.server_down);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(p.server->peer_ipv4(), a);
	EXPECT_EQ(p.pool.available(), 1u) << "still held";
	p.server->close();
	p.ts.advance(10s);
	EXPECT_EQ(p.pool.available(), 2u);
}

TEST(ppp_link, ipcp_protocol_rejected_with_ipv6cp_open_keeps_the_link) {
	auto cc = pair_fixture::client_cfg("alice", "pw-a");
	cc.enable_ipcp = false;
	pair_fixture p(pair_fixture::server_cfg(auth_protocol::chap_md5), cc);
	p.start();
	p.ts.advance(5s);
	EXPECT_GE(p.count(false, proto::lcp, 8), 1u) << "IPCP Protocol-Rejected";
	EXPECT_TRUE(p.server->ipv6cp_layer().fsm().is_opened());
	EXPECT_EQ(p.server_up, 1);
	EXPECT_FALSE(p.server_down);
	EXPECT_EQ(p.server->snapshot().peer_ipv4, ipv4_addr{});
	EXPECT_TRUE(p.server->snapshot().ipv6cp_opened);
	EXPECT_EQ(p.pool.available(), 2u);
}

// Neither NCP opens (IPCP rejected, IPv6CP unanswered): the link ends (ncp_failed) and
// never reports network_up.
TEST(ppp_link, ipcp_rejected_and_ipv6cp_max_configure_fail_the_link) {
	auto cc = pair_fixture::client_cfg("alice", "pw-a");
	cc.enable_ipcp = false;
	pair_fixture p(pair_fixture::server_cfg(auth_protocol::chap_md5), cc);
	p.filter = [](bool from_server, std::span<const uint8_t> f) {
		auto v = codec::parse_frame(f);
		return from_server || !v || v->protocol != proto::ipv6cp;
	};
	p.start();
	p.ts.advance(5s);
	EXPECT_EQ(p.server->ipcp_layer().fsm().state(), fsm_state::stopped);
	EXPECT_FALSE(p.server_down);
	p.ts.advance(60s);
	EXPECT_EQ(p.server_up, 0);
	EXPECT_EQ(p.server_down, down_reason::ncp_failed);
}

TEST(ppp_link, negotiation_timeout_when_peer_is_silent) {
	pair_fixture p;
	p.cut = true;
	p.server->start();
	p.ts.advance(29s);
	EXPECT_FALSE(p.server_down);
	p.ts.advance(2s);
	EXPECT_EQ(p.server_down, down_reason::negotiation_failed);
}

TEST(ppp_link, unknown_protocol_is_rejected_and_ncp_before_network_discarded) {
	pair_fixture p;
	p.server->start();
	// IPCP before LCP is up: silently discarded.
	const std::vector<uint8_t> ipcp{0xff, 0x03, 0x80, 0x21, 1, 1, 0, 4};
	p.server->receive(ipcp);
	EXPECT_EQ(p.server->rx_discarded(), 1u);
	p.client->start();
	p.ts.advance(1s);
	const std::vector<uint8_t> weird{0xff, 0x03, 0x80, 0x2b, 1, 1, 0, 4}; // IPXCP
	p.server->receive(weird);
	EXPECT_EQ(p.count(true, proto::lcp, 8), 1u) << "Protocol-Reject";
	// Garbage does not hurt.
	p.server->receive(std::vector<uint8_t>{0xff});
	p.server->receive(std::vector<uint8_t>{0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 200});
	EXPECT_EQ(p.server_up, 1);
	EXPECT_FALSE(p.server_down);
}

TEST(ppp_link, magic_number_collision_is_renegotiated) {
	// Both ends start with the same magic number (same seed): the server Naks and both pick
	// new numbers; the link still comes up.
	pair_fixture p;
	p.rng_c = seeded_random(11);
	p.client = std::make_unique<ppp_link>(p.ts, p.rng_c, pair_fixture::client_cfg("alice", "pw-a"), nullptr, nullptr,
	                                      p.hooks(false));
	ASSERT_EQ(p.client->lcp_layer().our_magic(), p.server->lcp_layer().our_magic());
	(void)p.rng_c.next<uint32_t>(); // from here on the two ends draw different numbers
	p.start();
	p.ts.advance(2s);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_NE(p.client->lcp_layer().our_magic(), p.server->lcp_layer().our_magic());
}

TEST(ppp_link, proxy_lcp_and_proxy_pap) {
	auto sc = pair_fixture::server_cfg(auth_protocol::pap);
	sc.accept_proxy_lcp = true;
	sc.accept_proxy_auth = true;
	pair_fixture p(sc);
	call_params cp;
	// LAC → user: MRU 1500, PAP, magic 0x11111111. User → LAC: magic 0x22222222, MRU 1400.
	cp.last_sent_lcp_confreq = {1, 1, 0, 18, 1, 4, 5, 0xdc, 3, 4, 0xc0, 0x23, 5, 6, 0x11, 0x11, 0x11, 0x11};
	cp.last_received_lcp_confreq = {1, 7, 0, 14, 1, 4, 5, 0x78, 5, 6, 0x22, 0x22, 0x22, 0x22};
	cp.has_proxy_auth = true;
	cp.proxy_authen_type = 3;
	cp.proxy_authen_name = "alice";
	cp.proxy_authen_response = {'p', 'w', '-', 'a'};
	p.server->start(&cp);
	EXPECT_TRUE(p.server->proxy_used());
	EXPECT_TRUE(p.server->lcp_layer().fsm().is_opened());
	EXPECT_EQ(p.server->lcp_layer().peer_mru(), 1400);
	EXPECT_EQ(p.server->lcp_layer().peer_magic(), 0x22222222u);
	EXPECT_EQ(p.server->lcp_layer().our_magic(), 0x11111111u);
	EXPECT_EQ(p.server->phase(), link_phase::network);
	EXPECT_EQ(p.count(true, proto::lcp, 1), 0u) << "no LCP negotiation";
	EXPECT_EQ(p.server->user(), "alice");
	// A wrong proxy password fails the call.
	pair_fixture q(sc);
	cp.proxy_authen_response = {'n', 'o'};
	q.server->start(&cp);
	q.ts.advance(10s);
	EXPECT_EQ(q.server_down, down_reason::auth_failed);
}

TEST(ppp_link, proxy_lcp_unusable_falls_back_to_negotiation) {
	auto sc = pair_fixture::server_cfg(auth_protocol::chap_md5);
	sc.accept_proxy_lcp = true;
	pair_fixture p(sc);
	call_params cp;
	cp.last_sent_lcp_confreq = {1, 1, 0, 3}; // malformed
	cp.last_received_lcp_confreq = {1, 1, 0, 4};
	p.server->start(&cp);
	p.client->start();
	p.ts.advance(1s);
	EXPECT_FALSE(p.server->proxy_used());
	EXPECT_EQ(p.server_up, 1);
}

// Proxy CHAP taken by the LNS, seen from both ends: the LNS checks the LAC's Challenge and
// Response instead of sending a Challenge; the client (the generator's PPP, started from the
// same AVPs, options without the LCP header as RFC 2661 §4.4.5 sends them) goes straight to
// IPCP. Nothing but the NCPs crosses the wire.
TEST(ppp_link, proxy_chap_from_both_ends_sends_no_lcp_and_no_challenge) {
	auto sc = pair_fixture::server_cfg(auth_protocol::chap_md5);
	sc.accept_proxy_lcp = true;
	sc.accept_proxy_auth = true;
	pair_fixture p(sc);
	call_params cp;
	cp.last_sent_lcp_confreq = {3, 5, 0xc2, 0x23, 5, 5, 6, 0x11, 0x11, 0x11, 0x11}; // LAC: CHAP-MD5, magic
	cp.last_received_lcp_confreq = {5, 6, 0x22, 0x22, 0x22, 0x22};                 // user: magic
	cp.initial_received_lcp_confreq = cp.last_received_lcp_confreq;
	cp.has_proxy_auth = true;
	cp.proxy_authen_type = 2;
	cp.proxy_authen_name = "alice";
	cp.proxy_authen_id = 7;
	cp.proxy_authen_challenge = {1, 2, 3, 4, 5, 6, 7, 8};
	const std::vector<uint8_t> secret{'p', 'w', '-', 'a'};
	auto resp = codec::chap::md5_response(7, secret, cp.proxy_authen_challenge);
	ASSERT_TRUE(resp.has_value());
	cp.proxy_authen_response.assign(resp->begin(), resp->end());
	p.client->start(&cp);
	p.server->start(&cp);
	p.ts.advance(1s);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(p.client_up, 1);
	EXPECT_TRUE(p.server->proxy_used() && p.server->proxy_auth_used());
	EXPECT_TRUE(p.client->proxy_used() && p.client->proxy_auth_used());
	EXPECT_EQ(p.server->lcp_layer().our_magic(), 0x11111111u);
	EXPECT_EQ(p.client->lcp_layer().our_magic(), 0x22222222u);
	EXPECT_EQ(p.client->lcp_layer().we_must_auth(), auth_protocol::chap_md5);
	EXPECT_EQ(p.count(true, proto::lcp, 1) + p.count(false, proto::lcp, 1), 0u);
	EXPECT_EQ(p.count(true, proto::chap, 1), 0u) << "no Challenge";
	EXPECT_EQ(p.server->auth_frames_sent() + p.client->auth_frames_sent(), 0u);
	EXPECT_EQ(p.client->local_ipv4(), p.server->peer_ipv4());
}

// The client started from proxy AVPs follows an LNS that renegotiates LCP (it sends a
// Configure-Request): LCP goes down and up once and CHAP runs for real.
TEST(ppp_link, proxied_client_follows_an_lns_that_renegotiates) {
	pair_fixture p; // the LNS does not take proxies
	call_params cp;
	cp.last_sent_lcp_confreq = {3, 5, 0xc2, 0x23, 5, 5, 6, 0x11, 0x11, 0x11, 0x11};
	cp.last_received_lcp_confreq = {5, 6, 0x22, 0x22, 0x22, 0x22};
	cp.has_proxy_auth = true;
	cp.proxy_authen_type = 2;
	p.client->start(&cp);
	p.server->start(&cp);
	p.ts.advance(5s);
	EXPECT_EQ(p.server_up, 1);
	EXPECT_EQ(p.client_up, 1);
	EXPECT_FALSE(p.server->proxy_used());
	EXPECT_TRUE(p.client->proxy_used());
	EXPECT_EQ(p.client->lcp_renegotiations(), 1u);
	EXPECT_EQ(p.count(false, proto::chap, 2), 1u) << "one Response";
}

} // namespace
} // namespace l2tpx::cp::ppp
