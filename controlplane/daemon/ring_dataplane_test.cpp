#include "controlplane/daemon/ring_dataplane.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <vector>

namespace l2tpx::cp::daemon {
namespace {

using ring::command_type;

struct fake_ring : command_sink {
	size_t capacity = 1024;
	std::deque<ring::command> q;
	bool try_send(const ring::command &c) override {
		if (q.size() >= capacity)
			return false;
		q.push_back(c);
		return true;
	}
	std::vector<command_type> types() const {
		std::vector<command_type> t;
		for (const auto &c : q)
			t.push_back(static_cast<command_type>(c.hdr.type));
		return t;
	}
};

ring::event completion(const ring::command &c, ring::status st, uint32_t index = 0, const char *detail = "") {
	ring::event e = ring::make_event(ring::event_type::completion, c.hdr.seq);
	e.done.command = c.hdr.type;
	e.done.result = st;
	e.done.index = index;
	std::strncpy(e.done.detail, detail, sizeof(e.done.detail) - 1);
	return e;
}

session_install call(uint16_t t, uint16_t s) {
	session_install si;
	si.local_tunnel = tunnel_id_v2{t};
	si.peer_tunnel = tunnel_id_v2{static_cast<uint16_t>(t + 1000)};
	si.local_session = session_id_v2{s};
	si.peer_session = session_id_v2{static_cast<uint16_t>(s + 1000)};
	si.local = udp_endpoint::v4(*parse_ipv4("192.0.2.1"), 1701);
	si.peer = udp_endpoint::v4(*parse_ipv4("198.18.0.2"), 40000);
	si.subscriber_ipv4 = *parse_ipv4("100.64.0.10");
	si.mru = 1460;
	si.sequencing = true;
	return si;
}

struct fixture {
	fake_ring sink;
	timer_service clock;
	ring_dataplane dp{sink, clock, ring_dataplane_settings{ring::session_flag::check_source, 1400, duration(500), 64},
	                  [](const udp_endpoint &) { return uint16_t{2}; }};
	std::vector<std::pair<session_key, ring::status>> failed;
	std::vector<std::string> errors;
	fixture() {
		dp.on_install_failed = [this](tunnel_id_v2 t, session_id_v2 s, ring::status st, const std::string &) {
			failed.emplace_back(session_key{t, s}, st);
		};
		dp.on_error = [this](const std::string &e) { errors.push_back(e); };
	}
	// Answers every command in the ring with `st`.
	void answer_all(ring::status st = ring::status::ok) {
		while (!sink.q.empty()) {
			const ring::command c = sink.q.front();
			sink.q.pop_front();
			dp.on_event(completion(c, st, 77));
		}
	}
};

TEST(ring_dataplane, first_session_adds_the_tunnel_then_the_session) {
	fixture f;
	ASSERT_TRUE(f.dp.install_session(call(10, 20)));
	ASSERT_EQ(f.sink.types(), (std::vector{command_type::add_tunnel, command_type::add_session}));
	const ring::tunnel_params &t = f.sink.q[0].tunnel;
	EXPECT_EQ(t.version, 2);
	EXPECT_EQ(t.port, 2);
	EXPECT_EQ(t.local_tunnel_id, 10u);
	EXPECT_EQ(t.peer_tunnel_id, 1010u);
	EXPECT_EQ(t.peer_udp_port, 40000);
	EXPECT_EQ(t.peer.family, 4);
	EXPECT_EQ(t.peer.bytes[0], 198);
	const ring::session_params &s = f.sink.q[1].session;
	EXPECT_EQ(s.version, 2);
	EXPECT_EQ(s.pw_type, ring::pw::ppp);
	EXPECT_EQ(s.local_session_id, 20u);
	EXPECT_EQ(s.peer_session_id, 1020u);
	EXPECT_EQ(s.access_port, 2);
	EXPECT_EQ(s.mru, 1460);
	EXPECT_EQ(s.mss_clamp, 1400);
	EXPECT_EQ(s.flags, ring::session_flag::check_source | ring::session_flag::send_seq);
	EXPECT_EQ(s.subscriber_v4[0], 100);
	EXPECT_EQ(s.subscriber_v4[3], 10);
	EXPECT_NE(f.sink.q[0].hdr.seq, f.sink.q[1].hdr.seq);
	f.answer_all();
	EXPECT_EQ(f.dp.session_index(tunnel_id_v2{10}, session_id_v2{20}), 77u);
	EXPECT_TRUE(f.dp.idle());

	// A second session of the tunnel: no second add_tunnel. Removing both removes the tunnel.
	ASSERT_TRUE(f.dp.install_session(call(10, 21)));
	EXPECT_EQ(f.sink.types(), (std::vector{command_type::add_session}));
	EXPECT_FALSE(f.dp.install_session(call(10, 21))); // duplicate
	f.answer_all();
	f.dp.remove_session(tunnel_id_v2{10}, session_id_v2{20});
	EXPECT_EQ(f.sink.types(), (std::vector{command_type::remove_session}));
	f.dp.remove_session(tunnel_id_v2{10}, session_id_v2{20}); // idempotent
	f.dp.remove_session(tunnel_id_v2{10}, session_id_v2{21});
	EXPECT_EQ(f.sink.types(), (std::vector{command_type::remove_session, command_type::remove_session,
	                                       command_type::remove_tunnel}));
	f.answer_all();
	EXPECT_EQ(f.dp.installed_sessions(), 0u);
	EXPECT_EQ(f.dp.installed_tunnels(), 0u);
	EXPECT_TRUE(f.errors.empty());
}

TEST(ring_dataplane, remove_tunnel_removes_its_sessions_only) {
	fixture f;
	ASSERT_TRUE(f.dp.install_session(call(10, 1)));
	ASSERT_TRUE(f.dp.install_session(call(10, 2)));
	ASSERT_TRUE(f.dp.install_session(call(11, 1)));
	f.answer_all();
	f.dp.remove_tunnel(tunnel_id_v2{10});
	EXPECT_EQ(f.sink.types(), (std::vector{command_type::remove_session, command_type::remove_session,
	                                       command_type::remove_tunnel}));
	EXPECT_EQ(f.dp.installed_sessions(), 1u);
	EXPECT_EQ(f.dp.installed_tunnels(), 1u);
}

TEST(ring_dataplane, a_full_ring_delays_commands_in_order_never_drops_them) {
	fixture f;
	f.sink.capacity = 1;
	ASSERT_TRUE(f.dp.install_session(call(10, 1)));
	ASSERT_TRUE(f.dp.install_session(call(10, 2)));
	EXPECT_EQ(f.sink.q.size(), 1u);
	EXPECT_EQ(f.dp.queued(), 2u);
	EXPECT_GE(f.dp.counters().ring_full_retries, 1u);
	std::vector<command_type> seen;
	while (!f.sink.q.empty()) {
		seen.push_back(static_cast<command_type>(f.sink.q.front().hdr.type));
		f.answer_all();
		f.dp.pump();
	}
	EXPECT_EQ(seen, (std::vector{command_type::add_tunnel, command_type::add_session, command_type::add_session}));
	EXPECT_TRUE(f.dp.idle());
	EXPECT_EQ(f.dp.counters().commands_sent, 3u);
}

TEST(ring_dataplane, beyond_the_queue_bound_installs_fail_as_unavailable) {
	fixture f;
	f.sink.capacity = 0;
	size_t ok = 0;
	for (uint16_t i = 1; i <= 100; i++)
		if (f.dp.install_session(call(10, i)))
			ok++;
		else
			break;
	EXPECT_LT(ok, 64u);
	auto r = f.dp.install_session(call(10, 999));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error(), dp_error::unavailable);
	EXPECT_GE(f.dp.counters().queue_overflow, 1u);
}

TEST(ring_dataplane, refused_session_is_reported_and_its_tunnel_released) {
	fixture f;
	ASSERT_TRUE(f.dp.install_session(call(10, 1)));
	const ring::command add_tunnel = f.sink.q[0], add_session = f.sink.q[1];
	f.sink.q.clear();
	f.dp.on_event(completion(add_tunnel, ring::status::ok));
	f.dp.on_event(completion(add_session, ring::status::index_busy, UINT32_MAX, "index 1 used by another session"));
	ASSERT_EQ(f.failed.size(), 1u);
	EXPECT_EQ(f.failed[0].first, (session_key{tunnel_id_v2{10}, session_id_v2{1}}));
	EXPECT_EQ(f.failed[0].second, ring::status::index_busy);
	EXPECT_EQ(f.sink.types(), (std::vector{command_type::remove_tunnel}));
	EXPECT_EQ(f.dp.failures(ring::status::index_busy), 1u);
	ASSERT_EQ(f.errors.size(), 1u);
	EXPECT_NE(f.errors[0].find("index_busy"), std::string::npos);
	// The library's own remove afterwards is a no-op.
	f.dp.remove_session(tunnel_id_v2{10}, session_id_v2{1});
	EXPECT_EQ(f.sink.q.size(), 1u);
}

TEST(ring_dataplane, benign_completions_are_not_errors) {
	fixture f;
	ASSERT_TRUE(f.dp.install_session(call(10, 1)));
	f.sink.q.pop_front();
	f.dp.on_event(completion(ring::make_command(command_type::add_tunnel, 1), ring::status::exists));
	f.answer_all();
	f.dp.remove_session(tunnel_id_v2{10}, session_id_v2{1});
	f.answer_all(ring::status::not_found);
	EXPECT_TRUE(f.errors.empty());
	EXPECT_TRUE(f.failed.empty());
	EXPECT_EQ(f.dp.counters().completions_failed, 0u);
}

TEST(ring_dataplane, unanswered_commands_are_reported_once_and_strays_counted) {
	fixture f;
	const uint32_t seq = f.dp.send(ring::make_command(command_type::nop, 0));
	f.clock.advance(duration(499));
	f.dp.pump();
	EXPECT_TRUE(f.errors.empty());
	f.clock.advance(duration(1));
	f.dp.pump();
	f.dp.pump();
	EXPECT_EQ(f.errors.size(), 1u);
	EXPECT_EQ(f.dp.counters().command_timeouts, 1u);
	ring::event stray = ring::make_event(ring::event_type::completion, seq + 100);
	f.dp.on_event(stray);
	EXPECT_EQ(f.dp.counters().completions_unmatched, 1u);
	ring::event old = ring::make_event(ring::event_type::completion, seq);
	old.hdr.version = 99;
	f.dp.on_event(old);
	EXPECT_EQ(f.dp.counters().events_bad_version, 1u);
	f.answer_all();
	EXPECT_TRUE(f.dp.idle());
}

TEST(ring_dataplane, preinstalled_session_is_completed_by_modify) {
	fixture f;
	ASSERT_TRUE(f.dp.prepare_session(call(10, 1)));
	ASSERT_EQ(f.sink.types(), (std::vector{command_type::add_tunnel, command_type::add_session}));
	const ring::session_params &pre = f.sink.q[1].session;
	EXPECT_EQ(pre.subscriber_v4[0], 0);
	EXPECT_TRUE(pre.flags & ring::session_flag::check_source);
	EXPECT_TRUE(pre.flags & ring::session_flag::control_only); // no IPv6 either
	EXPECT_TRUE(f.dp.known(tunnel_id_v2{10}, session_id_v2{1}));
	ASSERT_TRUE(f.dp.prepare_session(call(10, 1))); // once
	EXPECT_EQ(f.sink.q.size(), 2u);
	f.answer_all();
	ASSERT_TRUE(f.dp.install_session(call(10, 1)));
	ASSERT_EQ(f.sink.types(), (std::vector{command_type::modify_session}));
	EXPECT_EQ(f.sink.q[0].session.subscriber_v4[0], 100);
	EXPECT_FALSE(f.sink.q[0].session.flags & ring::session_flag::control_only); // data passes now
	EXPECT_TRUE(f.sink.q[0].session.flags & ring::session_flag::check_source);
	EXPECT_FALSE(f.dp.install_session(call(10, 1)));
	// A refused modify takes the preinstalled session out and reports the call.
	const ring::command mod = f.sink.q[0];
	f.sink.q.clear();
	f.dp.on_event(completion(mod, ring::status::table_full));
	ASSERT_EQ(f.failed.size(), 1u);
	EXPECT_EQ(f.sink.types(), (std::vector{command_type::remove_session, command_type::remove_tunnel}));
	EXPECT_EQ(f.dp.installed_sessions(), 0u);
}

TEST(ring_dataplane, a_session_without_ipv4_never_passes_upstream_ipv4) {
	session_install v6only = call(10, 1);
	v6only.subscriber_ipv4 = ipv4_addr{};
	v6only.subscriber_ipv6_iid = 0x1234;
	EXPECT_TRUE(to_ring(v6only, 0, 0, 0).flags & ring::session_flag::check_source);
	EXPECT_FALSE(to_ring(call(10, 1), 0, 0, 0).flags & ring::session_flag::check_source); // operator's choice
}

TEST(ring_dataplane, reorder_timeout_goes_to_sequenced_sessions_only) {
	session_install unsequenced = call(10, 2);
	unsequenced.sequencing = false;
	EXPECT_EQ(to_ring(call(10, 1), 0, 0, 0, 120).reorder_timeout_ms, 120);
	EXPECT_EQ(to_ring(unsequenced, 0, 0, 0, 120).reorder_timeout_ms, 0); // keeps the fast path
	EXPECT_EQ(to_ring(call(10, 1), 0, 0, 0).reorder_timeout_ms, 0);

	// Through the settings: the add_session of an install, and the modify completing a preinstall.
	fake_ring sink;
	timer_service clock;
	ring_dataplane_settings st{};
	st.reorder_timeout_ms = 75;
	ring_dataplane dp{sink, clock, st, [](const udp_endpoint &) { return uint16_t{0}; }};
	ASSERT_TRUE(dp.install_session(call(10, 1)));
	ASSERT_TRUE(dp.prepare_session(call(10, 3)));
	ASSERT_TRUE(dp.install_session(call(10, 3)));
	ASSERT_TRUE(dp.install_session(unsequenced));
	ASSERT_EQ(sink.types(), (std::vector{command_type::add_tunnel, command_type::add_session, command_type::add_session,
	                                     command_type::modify_session, command_type::add_session}));
	EXPECT_EQ(sink.q[1].session.reorder_timeout_ms, 75);
	EXPECT_EQ(sink.q[3].session.local_session_id, 3u);
	EXPECT_EQ(sink.q[3].session.reorder_timeout_ms, 75);
	EXPECT_EQ(sink.q[4].session.reorder_timeout_ms, 0);
}

TEST(ring_dataplane, remove_all_empties_the_dataplane) {
	fixture f;
	ASSERT_TRUE(f.dp.prepare_session(call(10, 1)));
	ASSERT_TRUE(f.dp.install_session(call(11, 2)));
	f.answer_all();
	f.dp.remove_all();
	EXPECT_EQ(f.sink.types(), (std::vector{command_type::remove_session, command_type::remove_tunnel,
	                                       command_type::remove_session, command_type::remove_tunnel}));
	EXPECT_EQ(f.dp.installed_sessions(), 0u);
	EXPECT_EQ(f.dp.installed_tunnels(), 0u);
}

} // namespace
} // namespace l2tpx::cp::daemon
