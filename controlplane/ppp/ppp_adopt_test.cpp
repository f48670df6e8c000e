// ppp_link::adopt (restart_policy = "adopt"): a link continued by a new process from its
// snapshot answers and sends LCP echoes with the saved magic numbers, keeps its address
// claimed, and terminates like any other link.
#include <gtest/gtest.h>

#include "controlplane/ppp/ppp_link.hpp"
#include "shared/base/byteorder.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::ppp {
namespace {

using namespace std::chrono_literals;
namespace proto = codec::proto;

ipv4_addr ip(const char *s) { return *parse_ipv4(s); }

struct adopt_fixture {
	timer_service ts;
	seeded_random rng_s{21}, rng_c{22}, rng_new{23};
	aaa::local_authenticator users{aaa::user_db::parse("alice pw-a\n").value()};
	aaa::address_allocator pool, new_pool; // the restarted process starts with a fresh one
	std::unique_ptr<ppp_link> server, client;
	std::vector<std::pair<bool, std::vector<uint8_t>>> wire; // (from server, frame)
	std::optional<down_reason> server_down, client_down;

	adopt_fixture() {
		pool.add_pool(aaa::ipv4_pool::create("p", ip("100.64.0.10"), ip("100.64.0.11")).value());
		new_pool.add_pool(aaa::ipv4_pool::create("p", ip("100.64.0.10"), ip("100.64.0.11")).value());
		server = std::make_unique<ppp_link>(ts, rng_s, server_cfg(), &users, &pool, hooks(true));
		ppp_link_config cc;
		cc.server = false;
		cc.auth.user = "alice";
		cc.auth.secret = "pw-a";
		client = std::make_unique<ppp_link>(ts, rng_c, cc, nullptr, nullptr, hooks(false));
	}
	static ppp_link_config server_cfg() {
		ppp_link_config c;
		c.server = true;
		c.lcp.require_auth = auth_protocol::chap_md5;
		c.ipcp.local = ip("100.64.0.1");
		return c;
	}
	ppp_link::hooks hooks(bool is_server) {
		ppp_link::hooks h;
		h.send = [this, is_server](std::span<const uint8_t> f) {
			wire.emplace_back(is_server, std::vector<uint8_t>(f.begin(), f.end()));
			ts.arm(5ms, [this, is_server, b = std::vector<uint8_t>(f.begin(), f.end())] {
				auto &to = is_server ? client : server;
				if (to)
					to->receive(b);
			});
		};
		h.finished = [this, is_server](ppp_link &, down_reason r) { (is_server ? server_down : client_down) = r; };
		return h;
	}
	// LCP packets of `code` sent by the server since wire index `from`, with their magic.
	std::vector<uint32_t> lcp_magics(size_t from, uint8_t code) const {
		std::vector<uint32_t> out;
		for (size_t i = from; i < wire.size(); i++) {
			auto v = codec::parse_frame(wire[i].second);
			if (wire[i].first && v && v->protocol == proto::lcp && v->payload.size() >= 8 && v->payload[0] == code)
				out.push_back(load_be32(v->payload.data() + 4));
		}
		return out;
	}
};

TEST(ppp_adopt, continued_link_echoes_with_saved_magic_and_terminates) {
	adopt_fixture f;
	f.server->start();
	f.client->start();
	f.ts.advance(1s);
	ASSERT_TRUE(f.server->network_is_up());
	ASSERT_TRUE(f.client->network_is_up());
	const link_snapshot snap = f.server->snapshot();
	EXPECT_EQ(snap.user, "alice");
	EXPECT_EQ(snap.auth, auth_protocol::chap_md5);
	EXPECT_EQ(snap.peer_ipv4, ip("100.64.0.10"));
	EXPECT_NE(snap.our_magic, 0u);
	EXPECT_EQ(snap.peer_magic, f.client->lcp_layer().our_magic());
	EXPECT_EQ(snap.our_magic, f.client->lcp_layer().peer_magic());
	EXPECT_TRUE(snap.ipv6cp_opened);
	EXPECT_EQ(snap.local_iid, f.client->peer_iid());

	// The process dies: its link object vanishes without a word on the wire.
	auto dead = std::move(f.server);
	const size_t mark = f.wire.size();
	dead.reset();
	ASSERT_EQ(f.wire.size(), mark);

	f.server = std::make_unique<ppp_link>(f.ts, f.rng_new, adopt_fixture::server_cfg(), &f.users, &f.new_pool,
	                                      f.hooks(true));
	ASSERT_TRUE(f.server->adopt(snap));
	EXPECT_EQ(f.wire.size(), mark) << "adopting sends nothing";
	EXPECT_EQ(f.server->phase(), link_phase::network);
	EXPECT_TRUE(f.server->network_is_up());
	EXPECT_EQ(f.server->user(), "alice");
	EXPECT_EQ(f.server->peer_ipv4(), ip("100.64.0.10"));
	EXPECT_EQ(f.server->peer_iid(), snap.peer_iid);
	EXPECT_EQ(f.server->lcp_layer().our_magic(), snap.our_magic);
	EXPECT_TRUE(f.server->lcp_layer().fsm().is_opened());
	EXPECT_TRUE(f.server->ipcp_layer().fsm().is_opened());
	EXPECT_TRUE(f.server->ipv6cp_layer().fsm().is_opened());
	// The address is claimed in the new allocator: the other one is handed out next.
	auto next = f.new_pool.acquire();
	ASSERT_TRUE(next);
	EXPECT_EQ(*next, ip("100.64.0.11"));

	// Both sides keep echoing for a minute: nobody declares the other dead.
	f.ts.advance(60s);
	EXPECT_FALSE(f.server_down);
	EXPECT_FALSE(f.client_down);
	const auto requests = f.lcp_magics(mark, 9); // Echo-Request
	const auto replies = f.lcp_magics(mark, 10); // Echo-Reply
	EXPECT_GE(requests.size(), 5u);
	EXPECT_GE(replies.size(), 5u);
	for (uint32_t m : requests)
		EXPECT_EQ(m, snap.our_magic);
	for (uint32_t m : replies)
		EXPECT_EQ(m, snap.our_magic);
	EXPECT_LE(f.server->lcp_layer().echo_outstanding(), 1u);

	// The subscriber hangs up: Terminate, the link finishes and the address is free again.
	f.client->close(down_reason::admin_close);
	f.ts.advance(5s);
	ASSERT_TRUE(f.server_down);
	EXPECT_EQ(*f.server_down, down_reason::peer_terminated);
	auto again = f.new_pool.acquire(ip("100.64.0.10"));
	EXPECT_TRUE(again);
}

TEST(ppp_adopt, refused_when_the_address_is_taken_or_the_link_started) {
	adopt_fixture f;
	link_snapshot snap;
	snap.user = "alice";
	snap.our_magic = 1;
	snap.peer_magic = 2;
	snap.peer_ipv4 = ip("100.64.0.10");
	ASSERT_TRUE(f.new_pool.acquire(ip("100.64.0.10")));
	auto l = std::make_unique<ppp_link>(f.ts, f.rng_new, adopt_fixture::server_cfg(), &f.users, &f.new_pool,
	                                    f.hooks(true));
	EXPECT_FALSE(l->adopt(snap));
	EXPECT_FALSE(l->network_is_up());
	EXPECT_EQ(l->phase(), link_phase::dead);
	// Nothing was claimed by the failed attempt.
	ASSERT_TRUE(f.new_pool.acquire());
	EXPECT_FALSE(f.new_pool.acquire()) << "pool of two: one fixed above, one just now";

	auto started = std::make_unique<ppp_link>(f.ts, f.rng_new, adopt_fixture::server_cfg(), &f.users, &f.pool,
	                                          f.hooks(true));
	started->start();
	EXPECT_FALSE(started->adopt(snap));
	// No network layer at all: nothing to continue.
	link_snapshot none = snap;
	none.peer_ipv4 = ipv4_addr{};
	auto l2 = std::make_unique<ppp_link>(f.ts, f.rng_new, adopt_fixture::server_cfg(), &f.users, &f.pool,
	                                     f.hooks(true));
	EXPECT_FALSE(l2->adopt(none));
}

} // namespace
} // namespace l2tpx::cp::ppp
