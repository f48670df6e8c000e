// call_table: the call bookkeeping of l2tpx-lac and l2tpx-gen, driven against a real LNS
// call manager over a simulated wire and clock (the dial loop's pump advances the clock).
#include "tools/gen/lac/call_table.hpp"

#include <gtest/gtest.h>

#include <map>

#include "controlplane/call_manager.hpp"

namespace l2tpx::gen {
namespace {

using namespace std::chrono_literals;

cp::ipv4_addr ip(const char *s) { return *cp::parse_ipv4(s); }

TEST(call_table, layout_assigns_tunnels_and_call_managers) {
	struct row {
		uint32_t sessions, per_tunnel, tunnels, lacs;
		std::vector<std::array<uint32_t, 3>> want; // tunnel_index, in_tunnel, lac per call
	};
	const std::vector<row> rows = {
	    {0, 1, 0, 1, {}},
	    {3, 1, 3, 1, {{{0, 0, 0}}, {{1, 0, 0}}, {{2, 0, 0}}}},
	    {5, 2, 3, 1, {{{0, 0, 0}}, {{0, 1, 0}}, {{1, 0, 0}}, {{1, 1, 0}}, {{2, 0, 0}}}},
	    {6, 2, 3, 2, {{{0, 0, 0}}, {{0, 1, 0}}, {{1, 0, 1}}, {{1, 1, 1}}, {{2, 0, 0}}, {{2, 1, 0}}}},
	    {4, 1, 4, 3, {{{0, 0, 0}}, {{1, 0, 1}}, {{2, 0, 2}}, {{3, 0, 0}}}},
	    // Degenerate layouts do not divide by zero: one call per tunnel, one call manager.
	    {2, 0, 0, 0, {{{0, 0, 0}}, {{1, 0, 0}}}},
	};
	for (const row &r : rows) {
		call_layout l;
		l.sessions = r.sessions;
		l.sessions_per_tunnel = r.per_tunnel;
		l.tunnels = r.tunnels;
		l.lacs = r.lacs;
		call_table t(l);
		ASSERT_EQ(t.size(), r.want.size()) << r.sessions;
		for (uint32_t i = 0; i < t.size(); ++i) {
			SCOPED_TRACE(testing::Message() << r.sessions << " sessions, call " << i);
			EXPECT_EQ(t[i].tunnel_index, r.want[i][0]);
			EXPECT_EQ(t[i].in_tunnel, r.want[i][1]);
			EXPECT_EQ(t[i].lac, r.want[i][2]);
			EXPECT_EQ(t[i].phase, call_phase::pending);
		}
		EXPECT_EQ(t.outstanding() + t.up() + t.failed() + t.tunnels_opened(), 0u);
	}
}

TEST(call_table, cause_text_vectors) {
	struct row {
		const char *what;
		uint16_t result, error;
		bool local;
		const char *want;
	};
	const row rows[] = {
	    {"call cleared: CDN", 3, 0, false, "call cleared: CDN result 3 error 0 (from LNS)"},
	    {"tunnel down: StopCCN", 2, 6, false, "tunnel down: StopCCN result 2 error 6 (from LNS)"},
	    {"tunnel down: StopCCN", 6, 0, true, "tunnel down: StopCCN result 6 error 0 (local)"},
	};
	for (const row &r : rows) {
		cp::disconnect_cause c;
		c.result = r.result;
		c.error = r.error;
		c.local = r.local;
		EXPECT_EQ(cause_text(r.what, c), r.want);
	}
	EXPECT_EQ(seconds(2'000'000'000, 1'000'000'000), 0.0);
	EXPECT_EQ(seconds(1'000'000'000, 3'500'000'000), 2.5);
	EXPECT_EQ(to_time_point(2'999'999'999).time_since_epoch().count(), 2999);
}

const cp::udp_endpoint lac_ep = cp::udp_endpoint::v4(cp::ipv4_addr{0xc0000201}, 1701);
const cp::udp_endpoint lac2_ep = cp::udp_endpoint::v4(cp::ipv4_addr{0xc0000203}, 1701);
const cp::udp_endpoint lns_ep = cp::udp_endpoint::v4(cp::ipv4_addr{0xc0000202}, 1701);

// A real LNS (CHAP/PAP against a user table, a 100.64.0.0/24 pool) and `lacs` LAC call
// managers, on one simulated wire: datagrams take 10 ms; `cut` loses everything.
struct lab {
	cp::timer_service ts;
	cp::seeded_random rng_lns{31}, rng_lac{32};
	cp::aaa::local_authenticator users{cp::aaa::user_db::parse("user1 pw\nuser2 pw\nuser3 pw\nuser4 pw\nuser5 pw\nuser6 pw\n").value()};
	cp::aaa::address_allocator pool;
	cp::null_dataplane dp_lns, dp_lac;
	std::unique_ptr<cp::call_manager> lns;
	std::vector<std::unique_ptr<cp::call_manager>> lacs;
	call_table table;
	std::map<uint32_t, std::string> failures;
	std::vector<uint32_t> dropped;
	bool cut = false;

	lab(uint32_t sessions, uint32_t per_tunnel, uint32_t n_lacs, const std::string &lac_password = "pw")
	    : table(layout(sessions, per_tunnel, n_lacs)) {
		pool.add_pool(cp::aaa::ipv4_pool::create("sub", ip("100.64.0.2"), ip("100.64.0.250")).value());
		cp::call_manager::config lc;
		lc.l2tp.local_role = cp::role::lns;
		lc.l2tp.local = lns_ep;
		lc.l2tp.tunnel.host_name = "lns1";
		lc.l2tp.tunnel.secrets.default_secret = "s";
		lc.ppp.lcp.require_auth = cp::ppp::auth_protocol::chap_md5;
		lc.ppp.ipcp.local = ip("100.64.0.1");
		lc.ppp.enable_ipv6cp = false;
		lns = std::make_unique<cp::call_manager>(ts, rng_lns, lc, &users, &pool, dp_lns, sender(lns_ep));
		for (uint32_t m = 0; m < n_lacs; ++m) {
			const cp::udp_endpoint self = m == 0 ? lac_ep : lac2_ep;
			cp::call_manager::config cc;
			cc.l2tp.local_role = cp::role::lac;
			cc.l2tp.local = self;
			cc.l2tp.tunnel.host_name = "lac";
			cc.l2tp.tunnel.secrets.default_secret = "s";
			cc.ppp.enable_ipv6cp = false;
			cc.ppp_for_call = [this, m, lac_password](const cp::session &s) {
				cp::ppp::ppp_link_config pc;
				pc.enable_ipv6cp = false;
				if (auto i = table.find(m, s.owner().local_id(), s.local_id()))
					pc.auth.user = "user" + std::to_string(*i + 1);
				pc.auth.secret = lac_password;
				return pc;
			};
			auto cm = std::make_unique<cp::call_manager>(ts, rng_lac, cc, nullptr, nullptr, dp_lac, sender(self));
			cm->on_network_up = [this, m](cp::session &s, cp::ppp::ppp_link &l) {
				(void)table.network_up(m, s, l.local_ipv4().value);
			};
			cm->on_link_finished = [this, m](cp::session_key k, cp::ppp::down_reason why) {
				uint32_t i = 0;
				if (table.link_finished(m, k, why, i) == link_end::went_down)
					dropped.push_back(i);
			};
			lacs.push_back(std::move(cm));
		}
		table.attach(lacs);
		table.on_fail([this](uint32_t i, const std::string &why) {
			EXPECT_TRUE(failures.emplace(i, why).second) << "call " << i << " failed twice";
		});
	}
	static call_layout layout(uint32_t sessions, uint32_t per_tunnel, uint32_t n_lacs) {
		call_layout l;
		l.sessions = sessions;
		l.sessions_per_tunnel = per_tunnel;
		l.tunnels = (sessions + per_tunnel - 1) / per_tunnel;
		l.lacs = n_lacs;
		l.lns = lns_ep;
		return l;
	}
	std::function<void(const cp::udp_endpoint &, std::span<const uint8_t>)> sender(cp::udp_endpoint self) {
		return [this, self](const cp::udp_endpoint &to, std::span<const uint8_t> d) {
			if (cut)
				return;
			std::vector<uint8_t> bytes(d.begin(), d.end());
			ts.arm(10ms, [this, self, to, bytes] {
				if (to == lns_ep)
					lns->receive(self, bytes);
				else
					for (uint32_t m = 0; m < lacs.size(); ++m)
						if ((m == 0 ? lac_ep : lac2_ep) == to)
							lacs[m]->receive(self, bytes);
			});
		};
	}
	std::vector<uint32_t> all() const {
		std::vector<uint32_t> v(table.size());
		for (uint32_t i = 0; i < v.size(); ++i)
			v[i] = i;
		return v;
	}
	// Dials every call; each loop iteration advances the simulated clock by 10 ms.
	dial_result dial(uint32_t cap, uint64_t timeout_ns, const std::atomic<bool> &stop) {
		dial_limits lim;
		lim.setup_rate = 1e9;
		lim.max_outstanding = cap;
		lim.timeout_ns = timeout_ns;
		max_seen = 0;
		return table.dial_all(all(), lim, stop, [this](bool) {
			max_seen = std::max(max_seen, table.outstanding());
			ts.advance(10ms);
		});
	}
	uint32_t max_seen = 0;
};

TEST(call_table, every_call_comes_up_under_the_outstanding_cap) {
	struct row {
		uint32_t sessions, per_tunnel, lacs, cap;
		uint32_t want_tunnels;
	};
	const row rows[] = {{1, 1, 1, 64, 1}, {4, 2, 1, 1, 2}, {6, 3, 2, 2, 2}, {5, 1, 2, 64, 5}};
	for (const row &r : rows) {
		SCOPED_TRACE(testing::Message() << r.sessions << " sessions, " << r.per_tunnel << " per tunnel, " << r.lacs
		                                << " LACs, cap " << r.cap);
		lab l(r.sessions, r.per_tunnel, r.lacs);
		const std::atomic<bool> stop{false};
		const dial_result d = l.dial(r.cap, 3'600'000'000'000ull, stop);
		EXPECT_FALSE(d.interrupted);
		EXPECT_EQ(d.dialled, r.sessions);
		EXPECT_TRUE(l.failures.empty()) << l.failures.begin()->second;
		EXPECT_EQ(l.table.up(), r.sessions);
		EXPECT_EQ(l.table.outstanding(), 0u);
		EXPECT_EQ(l.table.failed(), 0u);
		EXPECT_EQ(l.table.tunnels_opened(), r.want_tunnels);
		EXPECT_LE(l.max_seen, r.cap);
		EXPECT_NE(l.table.first_dial_ns(), 0u);
		EXPECT_GE(l.table.last_up_ns(), l.table.first_dial_ns());
		EXPECT_EQ(l.table.up_with_address(), l.all());
		for (uint32_t i = 0; i < l.table.size(); ++i) {
			const call &c = l.table[i];
			EXPECT_EQ(c.phase, call_phase::up);
			EXPECT_NE(c.address, 0u);
			EXPECT_NE(c.peer_tunnel, 0u);
			EXPECT_NE(c.peer_session, 0u);
			EXPECT_EQ(l.table.find(c.lac, c.tid, c.sid), i);
			EXPECT_FALSE(l.table.find(c.lac + 1, c.tid, c.sid) == i);
		}
		// Calls of one tunnel share it; the LNS saw one tunnel per tunnel index.
		size_t lns_tunnels = 0;
		l.lns->l2tp().for_each_tunnel([&](cp::tunnel &) { ++lns_tunnels; });
		EXPECT_EQ(lns_tunnels, r.want_tunnels);

		// The end: every tunnel closes cleanly; up calls go down, none fails.
		EXPECT_EQ(clear_all_tunnels(l.lacs, [&] { l.ts.advance(10ms); }, 3'600'000'000'000ull), r.want_tunnels);
		EXPECT_EQ(l.table.up(), 0u);
		EXPECT_EQ(l.dropped.size(), r.sessions);
		EXPECT_TRUE(l.failures.empty());
	}
}

TEST(call_table, failures_carry_their_reason) {
	struct row {
		const char *name;
		std::string password;
		bool cut;
		bool stop;
		uint64_t timeout_ns;
		std::string want; // every call's reason starts with this
		size_t want_dialled;
	};
	const row rows[] = {
	    {"CHAP refused", "wrong", false, false, 3'600'000'000'000ull, "PPP ", 3},
	    {"stopped before dialling", "pw", false, true, 3'600'000'000'000ull, "interrupted", 0},
	    // Rate 1e9, a deadline already passed: the first iteration dials up to the cap,
	    // then all of `todo` times out.
	    {"deadline", "pw", true, false, 0, "setup timeout", 2},
	};
	for (const row &r : rows) {
		SCOPED_TRACE(r.name);
		lab l(3, 3, 1, r.password);
		l.cut = r.cut;
		const std::atomic<bool> stop{r.stop};
		const dial_result d = l.dial(2, r.timeout_ns, stop);
		EXPECT_EQ(d.interrupted, r.stop);
		EXPECT_EQ(d.dialled, r.want_dialled);
		EXPECT_EQ(l.table.failed(), 3u);
		EXPECT_EQ(l.table.up(), 0u);
		EXPECT_EQ(l.table.outstanding(), 0u);
		ASSERT_EQ(l.failures.size(), 3u);
		for (auto &[i, why] : l.failures) {
			EXPECT_EQ(why.rfind(r.want, 0), 0u) << why;
			EXPECT_EQ(l.table[i].phase, call_phase::failed);
		}
		EXPECT_TRUE(l.table.up_with_address().empty());
	}
}

// check_dialing() reads why the L2TP side ended a call in setup: the LNS clears the
// tunnel (StopCCN) or the call (CDN) once the calls are placed, before PPP is up.
TEST(call_table, check_dialing_reports_the_l2tp_cause) {
	struct row {
		const char *name;
		bool whole_tunnel;
		uint16_t result;
		uint32_t want_failed;
		std::string want;
	};
	const row rows[] = {
	    {"StopCCN", true, 6, 2, "tunnel down: StopCCN result 6 error 0 (from LNS)"},
	    // The LAC's session is gone as soon as the CDN arrives: no cause left to read.
	    {"CDN", false, 3, 1, "call cleared"},
	};
	for (const row &r : rows) {
		SCOPED_TRACE(r.name);
		lab l(2, 2, 1);
		l.table.dial(0);
		l.table.dial(1);
		EXPECT_EQ(l.table.outstanding(), 2u);
		EXPECT_EQ(l.table.tunnels_opened(), 1u);
		// Until the LNS has both calls (ICRQ/ICRP/ICCN), before PPP is through.
		uint32_t lns_calls = 0;
		for (int step = 0; step < 20 && lns_calls < 2; ++step) {
			l.ts.advance(10ms);
			lns_calls = 0;
			l.lns->l2tp().for_each_tunnel([&](cp::tunnel &t) {
				t.for_each_session([&](cp::session &) { ++lns_calls; });
			});
		}
		ASSERT_EQ(lns_calls, 2u);
		l.table.check_dialing();
		EXPECT_EQ(l.table.failed(), 0u); // nothing ended yet
		cp::tunnel *lt = nullptr;
		l.lns->l2tp().for_each_tunnel([&](cp::tunnel &t) { lt = &t; });
		ASSERT_NE(lt, nullptr);
		if (r.whole_tunnel) {
			ASSERT_TRUE(l.lns->l2tp().clear_tunnel(lt->local_id(), r.result));
		} else {
			session_id_v2 first{};
			lt->for_each_session([&](cp::session &s) {
				if (!first)
					first = s.local_id();
			});
			ASSERT_TRUE(l.lns->l2tp().clear_session(lt->local_id(), first, r.result));
		}
		l.ts.advance(10ms); // the StopCCN/CDN reaches the LAC
		l.table.check_dialing();
		EXPECT_EQ(l.table.failed(), r.want_failed);
		EXPECT_EQ(l.table.outstanding(), 2u - r.want_failed);
		ASSERT_EQ(l.failures.size(), r.want_failed);
		for (auto &[i, why] : l.failures)
			EXPECT_EQ(why, r.want) << "call " << i;
	}
}

} // namespace
} // namespace l2tpx::gen

namespace l2tpx::gen {
namespace {

// Teardown pacing: every up call is cleared (LCP Terminate, CDN) with at most `cap` in
// flight, each seen down, and the LNS ends with no session; a rate that allows one call in
// the test's lifetime clears one and reports the others as "teardown timeout".
TEST(call_table, clear_all_respects_the_cap_and_reports_what_stayed_up) {
	struct row {
		uint32_t sessions, per_tunnel, cap;
		double rate;
		uint32_t want_cleared;
	};
	const row rows[] = {{6, 3, 2, 1e9, 6}, {5, 5, 1, 1e9, 5}, {4, 2, 64, 1e9, 4}, {4, 2, 64, 0.001, 1}};
	for (const row &r : rows) {
		SCOPED_TRACE(testing::Message() << r.sessions << " sessions, cap " << r.cap << ", rate " << r.rate);
		lab l(r.sessions, r.per_tunnel, 1);
		const std::atomic<bool> stop{false};
		l.dial(64, 3'600'000'000'000ull, stop);
		ASSERT_EQ(l.table.up(), r.sessions);
		clear_limits lim;
		lim.rate = r.rate;
		lim.max_outstanding = r.cap;
		lim.timeout_ns = r.rate < 1 ? 50'000'000ull : 3'600'000'000'000ull; // the short one: wall clock
		uint32_t max_clearing = 0;
		const clear_result c = l.table.clear_all(lim, stop, [&](bool) {
			max_clearing = std::max(max_clearing, l.table.clearing());
			l.ts.advance(10ms);
		});
		EXPECT_EQ(c.requested, r.sessions);
		EXPECT_EQ(c.cleared, r.want_cleared);
		EXPECT_EQ(c.failed, r.sessions - r.want_cleared);
		EXPECT_LE(max_clearing, r.cap);
		EXPECT_FALSE(c.interrupted);
		EXPECT_EQ(l.table.up(), r.sessions - r.want_cleared);
		EXPECT_EQ(l.table.clearing(), 0u);
		if (r.want_cleared < r.sessions) {
			ASSERT_EQ(c.failures.size(), 1u);
			EXPECT_EQ(c.failures.begin()->first, "teardown timeout");
			continue;
		}
		EXPECT_TRUE(c.failures.empty());
		EXPECT_GT(c.max_ms, 0.0);
		EXPECT_GE(c.max_ms, c.avg_ms);
		EXPECT_GE(c.last_down_ns, c.first_ns);
		// The LNS saw every call end (its CDNs and ours cross on the wire).
		l.ts.advance(1s);
		EXPECT_EQ(l.lns->link_count(), 0u);
		EXPECT_EQ(l.lns->counters().links_finished, r.sessions);
		// Nothing left to clear: an empty round.
		const clear_result again = l.table.clear_all(lim, stop, [&](bool) { l.ts.advance(10ms); });
		EXPECT_EQ(again.requested, 0u);
		EXPECT_EQ(again.cleared, 0u);
	}
}

} // namespace
} // namespace l2tpx::gen
