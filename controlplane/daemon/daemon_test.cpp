// The daemon against an in-memory dataplane: a LAC built from the protocol library dials
// it through the punt and inject paths exactly as the rings carry them (punt_meta +
// Ethernet/IP/UDP frames in, inject_meta + frames out), the fake dataplane answers the
// commands, and the call ends up installed with a pool address; shutdown sends StopCCN
// and removes the session from the dataplane.
#include "controlplane/daemon/daemon.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <thread>
#include <vector>

#include "shared/base/byteorder.hpp"
#include "shared/control/message.hpp"
#include "shared/l2tp/l2tpv2.hpp"
#include "shared/mgmt/client.hpp"
#include "shared/mgmt/schema.hpp"

namespace l2tpx::cp::daemon {
namespace {

const udp_endpoint lac_addr = udp_endpoint::v4(*parse_ipv4("198.18.0.2"), 41000);
const udp_endpoint lns_addr = udp_endpoint::v4(*parse_ipv4("192.0.2.1"), 1701);

const char *config_text = R"([dataplane]
file_prefix = "t"
[[port]]
name = "access0"
devargs = "net_null0"
role = "access"
addresses = ["192.0.2.1/24"]
[controlplane]
mgmt_socket = "/nonexistent/never-opened.sock"
[lns]
host_name = "lns-test"
authentication = "chap"
users_file = "/nonexistent/users"
gateway_address = "100.64.0.1"
dns = ["192.0.2.53"]
[[lac]]
address = "198.18.0.0/24"
host_name = "lac-test"
secret = "tunnel-secret"
[[pool]]
name = "p"
first = "100.64.0.10"
last = "100.64.0.11"
)";

struct fake_dataplane : dataplane_io {
	std::deque<std::vector<uint8_t>> punts;
	std::deque<ring::event> events;
	std::vector<ring::command> commands;
	std::vector<std::pair<ring::inject_meta, std::vector<uint8_t>>> injected;
	std::vector<ring::session_params> sessions; // installed
	uint32_t next_index = 5;
	ring::status add_session_result = ring::status::ok;

	bool try_send(const ring::command &c) override {
		commands.push_back(c);
		const auto t = static_cast<ring::command_type>(c.hdr.type);
		ring::event done = ring::make_event(ring::event_type::completion, c.hdr.seq);
		done.done.command = c.hdr.type;
		done.done.result = ring::status::ok;
		done.done.index = 0;
		if (t == ring::command_type::hello) {
			ring::event r = ring::make_event(ring::event_type::ready, c.hdr.seq);
			r.ready.session_capacity = 1024;
			r.ready.boot_id = 42;
			events.push_back(r);
		} else if (t == ring::command_type::add_session) {
			done.done.result = add_session_result;
			if (add_session_result == ring::status::ok) {
				sessions.push_back(c.session);
				done.done.index = next_index++;
			}
		} else if (t == ring::command_type::modify_session) {
			for (auto &s : sessions)
				if (s.local_tunnel_id == c.session.local_tunnel_id && s.local_session_id == c.session.local_session_id)
					s = c.session;
		} else if (t == ring::command_type::remove_session) {
			std::erase_if(sessions, [&](const ring::session_params &s) {
				return s.local_tunnel_id == c.session.local_tunnel_id &&
				       s.local_session_id == c.session.local_session_id;
			});
		} else if (t == ring::command_type::dump_sessions) {
			// One session_entry per installed session (with the dump's seq), then ok.
			uint32_t i = 0;
			for (const auto &s : sessions) {
				ring::event en = ring::make_event(ring::event_type::session_entry, c.hdr.seq);
				en.entry.index = i++;
				en.entry.params = s;
				events.push_back(en);
			}
			done.done.index = i;
		} else if (t == ring::command_type::flush_sessions) {
			// Managed sessions only: static ones (L2TPv3 here) stay.
			done.done.index = static_cast<uint32_t>(
			    std::erase_if(sessions, [](const ring::session_params &s) { return s.version == 2; }));
		}
		events.push_back(done);
		return true;
	}
	bool poll_event(ring::event &e) override {
		if (events.empty())
			return false;
		e = events.front();
		events.pop_front();
		return true;
	}
	unsigned drain_punts(unsigned max, const std::function<void(std::span<const uint8_t>)> &fn) override {
		unsigned n = 0;
		while (n < max && !punts.empty()) {
			const auto p = std::move(punts.front());
			punts.pop_front();
			fn(p);
			n++;
		}
		return n;
	}
	bool inject(const ring::inject_meta &meta, std::span<const uint8_t> a, std::span<const uint8_t> b) override {
		std::vector<uint8_t> f(a.begin(), a.end());
		f.insert(f.end(), b.begin(), b.end());
		injected.emplace_back(meta, std::move(f));
		return true;
	}
	size_t count(ring::command_type t) const {
		size_t n = 0;
		for (const auto &c : commands)
			n += c.hdr.type == static_cast<uint16_t>(t);
		return n;
	}
};

// What the dataplane punts for a datagram from the LAC.
std::vector<uint8_t> punt_of(const udp_endpoint &from, const udp_endpoint &to, std::span<const uint8_t> d) {
	uint8_t ip[2048];
	const size_t n = build_udp_packet(from, to, d, ip, 1);
	ring::punt_meta m{};
	m.magic = ring::punt_meta_magic;
	m.version = ring::punt_meta_version;
	m.reason = ring::punt_reason::l2tp_control;
	m.l2tp_version = 2;
	m.family = 4;
	m.l3_offset = 14;
	m.l4_offset = 34;
	m.l2tp_offset = 42;
	const uint8_t eth[] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00};
	std::vector<uint8_t> out(sizeof(m) + sizeof(eth) + n);
	std::memcpy(out.data(), &m, sizeof(m));
	std::memcpy(out.data() + sizeof(m), eth, sizeof(eth));
	std::memcpy(out.data() + sizeof(m) + sizeof(eth), ip, n);
	return out;
}

struct rig {
	daemon_config cfg = load_string(config_text).value();
	fake_dataplane io;
	seeded_random rng_lns{1}, rng_lac{2};
	aaa::local_authenticator users{aaa::user_db::parse("alice pw-a\n").value()};
	std::unique_ptr<daemon> d;
	timer_service lac_clock;
	null_dataplane lac_dp;
	std::unique_ptr<call_manager> lac;
	std::vector<udp_endpoint> lac_sources; // where the LAC's datagrams claim to come from
	udp_endpoint lac_from = lac_addr;

	rig() {
		d = std::make_unique<daemon>(cfg, io, rng_lns, users);
		call_manager::config lc;
		lc.l2tp.local_role = role::lac;
		lc.l2tp.local = lac_addr;
		lc.l2tp.tunnel.host_name = "lac-test";
		lc.l2tp.tunnel.secrets.default_secret = "tunnel-secret";
		lc.ppp.auth.user = "alice";
		lc.ppp.auth.secret = "pw-a";
		lac_clock.advance_to(d->timers().now());
		lac = std::make_unique<call_manager>(lac_clock, rng_lac, lc, nullptr, nullptr, lac_dp,
		                                     [this](const udp_endpoint &to, std::span<const uint8_t> dg) {
			                                     EXPECT_EQ(to, lns_addr);
			                                     io.punts.push_back(punt_of(lac_from, to, dg));
		                                     });
	}
	// Delivers what the daemon injected to the LAC (UDP payload of the IP packet). As
	// Ethernet once the daemon learned the LAC's header from its frames; as IP before
	// (only a restarted daemon talks first: its StopCCN to an earlier instance's tunnel).
	bool allow_ip_inject = false;
	void deliver_injected() {
		auto out = std::move(io.injected);
		io.injected.clear();
		for (auto &[meta, frame] : out) {
			ASSERT_EQ(meta.magic, ring::inject_meta_magic);
			size_t l2 = 14;
			if (allow_ip_inject && meta.kind == ring::inject_kind::ip)
				l2 = 0;
			else
				ASSERT_EQ(meta.kind, ring::inject_kind::ethernet); // learned from the LAC's frames
			ASSERT_GE(frame.size(), l2 + 28u);
			if (l2) {
				EXPECT_EQ(frame[5], 0x02); // to the LAC's MAC
			}
			const uint8_t *ip = frame.data() + l2;
			udp_endpoint from = udp_endpoint::v4(ipv4_addr{load_be32(ip + 12)}, load_be16(ip + 20));
			EXPECT_EQ(from, lns_addr);
			lac->receive(from, std::span<const uint8_t>(ip + 28, frame.size() - l2 - 28));
		}
	}
	void run_for(duration total) {
		const time_point end = d->timers().now() + total;
		while (d->timers().now() < end) {
			const time_point t = d->timers().now() + duration(10);
			lac_clock.advance_to(t);
			d->poll(t);
			deliver_injected();
		}
	}
	tunnel *lac_tunnel() {
		tunnel *t = nullptr;
		lac->l2tp().for_each_tunnel([&](tunnel &x) { t = &x; });
		return t;
	}
};

TEST(daemon, attach_says_hello_dumps_and_flushes) {
	rig r;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	ASSERT_EQ(r.io.commands.size(), 3u);
	EXPECT_EQ(r.io.commands[0].hdr.type, uint16_t(ring::command_type::hello));
	EXPECT_EQ(r.io.commands[1].hdr.type, uint16_t(ring::command_type::dump_sessions));
	EXPECT_EQ(r.io.commands[2].hdr.type, uint16_t(ring::command_type::flush_sessions));
}

// --- restart (restart_policy = "flush") -------------------------------------------------

// What a daemon injected, as the L2TP header of the UDP payload (IP frames: no Ethernet
// header yet after a restart).
struct injected_l2tp {
	ring::inject_kind kind = ring::inject_kind::ip;
	uint16_t tunnel = 0, ns = 0, nr = 0;
	bool control = false, zlb = false;
	uint16_t type = 0; // Message Type, 0 for a ZLB
	std::vector<uint8_t> avps;
};
std::vector<injected_l2tp> decode_injected(const fake_dataplane &io) {
	std::vector<injected_l2tp> out;
	for (const auto &[meta, frame] : io.injected) {
		const size_t l2 = meta.kind == ring::inject_kind::ip ? 0 : 14;
		if (frame.size() < l2 + 28)
			continue;
		auto h = l2tp::parse_v2(std::span<const uint8_t>(frame).subspan(l2 + 28));
		if (!h)
			continue;
		injected_l2tp i;
		i.kind = meta.kind;
		i.tunnel = h->tunnel_id.value;
		i.ns = h->ns;
		i.nr = h->nr;
		i.control = h->is_control();
		i.zlb = h->payload.empty();
		i.type = h->payload.size() >= 8 ? load_be16(h->payload.data() + 6) : 0;
		i.avps.assign(h->payload.begin(), h->payload.end());
		out.push_back(std::move(i));
	}
	return out;
}

// A call up through the first daemon, which is then killed (-9: nothing removed), and a
// second daemon attached to the same dataplane.
struct restart_rig : rig {
	seeded_random rng_second{7};
	uint16_t lac_tunnel_id = 0;
	uint16_t old_lns_tunnel = 0;

	void call_up() {
		std::string err;
		ASSERT_TRUE(d->attach(err, duration(2000))) << err;
		auto t = lac->l2tp().open_tunnel(lns_addr);
		ASSERT_TRUE(t);
		ASSERT_TRUE((*t)->place_call(call_params{}));
		run_for(duration(3000));
		ASSERT_EQ(io.sessions.size(), 1u);
		ASSERT_EQ(d->calls().link_count(), 1u);
		ASSERT_NE(lac_tunnel(), nullptr);
		ASSERT_EQ(lac_tunnel()->state(), tunnel_state::established);
		lac_tunnel_id = lac_tunnel()->local_id().value;
		old_lns_tunnel = static_cast<uint16_t>(io.sessions[0].local_tunnel_id);
	}
	void kill_and_restart() {
		d->dataplane().detach(); // SIGKILL: the process removes nothing
		d.reset();
		io.commands.clear();
		io.injected.clear();
		d = std::make_unique<daemon>(cfg, io, rng_second, users);
		allow_ip_inject = true;
		std::string err;
		ASSERT_TRUE(d->attach(err, duration(2000))) << err;
	}
};

TEST(daemon_restart, flush_removes_the_old_sessions_and_sends_the_peer_a_stopccn) {
	restart_rig r;
	r.call_up();
	ring::session_params v3{}; // a static L2TPv3 session: not the control plane's
	v3.version = 3;
	v3.local_session_id = 77;
	r.io.sessions.push_back(v3);
	r.kill_and_restart();
	ASSERT_GE(r.io.commands.size(), 3u);
	EXPECT_EQ(r.io.commands[0].hdr.type, uint16_t(ring::command_type::hello));
	EXPECT_EQ(r.io.commands[1].hdr.type, uint16_t(ring::command_type::dump_sessions));
	EXPECT_EQ(r.io.commands[2].hdr.type, uint16_t(ring::command_type::flush_sessions));
	ASSERT_EQ(r.io.sessions.size(), 1u); // the static one is kept
	EXPECT_EQ(r.io.sessions[0].version, 3);
	EXPECT_EQ(r.d->counters().stale_sessions, 1u);
	EXPECT_EQ(r.d->counters().stale_sessions_removed, 1u);
	EXPECT_EQ(r.d->counters().stale_tunnels, 1u);
	EXPECT_EQ(r.d->counters().stale_stopccns, 1u);

	// The probe: StopCCN to the LAC's tunnel, Ns=0 Nr=0, sent as IP (no Ethernet header
	// learned yet), Assigned Tunnel ID = the old tunnel, result 2 / error 1.
	auto sent = decode_injected(r.io);
	ASSERT_EQ(sent.size(), 1u);
	EXPECT_EQ(sent[0].kind, ring::inject_kind::ip);
	EXPECT_TRUE(sent[0].control);
	EXPECT_EQ(sent[0].tunnel, r.lac_tunnel_id);
	EXPECT_EQ(sent[0].type, 4); // StopCCN
	EXPECT_EQ(sent[0].ns, 0);
	EXPECT_EQ(sent[0].nr, 0);
	ctl::message m;
	std::vector<uint8_t> scratch(1024);
	ASSERT_TRUE(ctl::decode_body(sent[0].avps, ctl::decode_options{2, {}, scratch}, m));
	EXPECT_EQ(m.assigned_tunnel_id, r.old_lns_tunnel);
	EXPECT_EQ(m.result_code.result, ctl::result_codes::stopccn_general_error);
	EXPECT_EQ(m.result_code.error, ctl::result_codes::error_no_control_connection);

	// The LAC acks the probe as a duplicate (ZLB with its Ns/Nr); the daemon answers with a
	// StopCCN in sequence, which the LAC accepts and acknowledges.
	const l2tp_counters before = r.lac->l2tp().counters();
	r.run_for(duration(300));
	EXPECT_EQ(r.lac->l2tp().counters().tunnels_closed, before.tunnels_closed + 1);
	ASSERT_NE(r.lac_tunnel(), nullptr);
	EXPECT_EQ(r.lac_tunnel()->state(), tunnel_state::closed);
	EXPECT_EQ(r.lac->link_count(), 0u);
	EXPECT_EQ(r.d->counters().stale_stopccns, 2u);
	EXPECT_EQ(r.d->counters().stale_tunnels_closed, 1u);
	EXPECT_EQ(r.d->counters().stale_tunnels_unanswered, 0u);
	// Once closed, the old tunnel's messages go to the library again (unknown there).
	const uint64_t unknown = r.d->calls().l2tp().counters().rx_unknown_tunnel;
	// A HELLO on the old tunnel: T/L/S, length 20, tunnel, session 0, Ns 9, Nr 9, Message Type 6.
	std::vector<uint8_t> hello = {0xc8, 0x02, 0x00, 20, 0, 0, 0, 0, 0, 9, 0, 9, 0x80, 8, 0, 0, 0, 0, 0, 6};
	store_be16(hello.data() + 4, r.old_lns_tunnel);
	r.io.punts.push_back(punt_of(lac_addr, lns_addr, hello));
	r.d->poll(r.d->timers().now() + duration(10));
	EXPECT_EQ(r.d->calls().l2tp().counters().rx_unknown_tunnel, unknown + 1);
	EXPECT_EQ(r.d->counters().stale_stopccns, 2u);
	// The new library never saw the old tunnel.
	EXPECT_EQ(r.d->calls().l2tp().tunnel_count(), 0u);
}

TEST(daemon_restart, a_lost_probe_is_answered_at_the_peers_next_control_message) {
	restart_rig r;
	r.call_up();
	r.kill_and_restart();
	r.io.injected.clear(); // the Ns=0 probe is lost
	// The LAC's next control message (its HELLO after 60 s idle, or the CDN when its LCP
	// echoes go unanswered) gets a StopCCN in sequence.
	r.run_for(duration(70000));
	ASSERT_NE(r.lac_tunnel(), nullptr);
	EXPECT_EQ(r.lac_tunnel()->state(), tunnel_state::closed);
	EXPECT_EQ(r.d->counters().stale_stopccns, 2u);
	EXPECT_EQ(r.d->counters().stale_tunnels_closed, 1u);
	EXPECT_EQ(r.d->calls().l2tp().tunnel_count(), 0u);
}

TEST(daemon_restart, the_peers_own_stopccn_is_acknowledged) {
	restart_rig r;
	r.call_up();
	r.kill_and_restart();
	r.io.injected.clear(); // probe lost
	ASSERT_TRUE(r.lac->l2tp().clear_tunnel(tunnel_id_v2{r.lac_tunnel_id}));
	const uint16_t lac_ns = static_cast<uint16_t>(r.lac_tunnel()->transport().next_ns() - 1);
	r.d->poll(r.d->timers().now() + duration(10));
	auto sent = decode_injected(r.io);
	ASSERT_EQ(sent.size(), 1u);
	EXPECT_TRUE(sent[0].zlb);
	EXPECT_EQ(sent[0].tunnel, r.lac_tunnel_id);
	EXPECT_EQ(sent[0].nr, static_cast<uint16_t>(lac_ns + 1));
	EXPECT_EQ(r.d->counters().stale_tunnels_closed, 1u);
	EXPECT_EQ(r.d->counters().stale_stopccns, 1u); // the probe only
	ASSERT_NE(r.lac_tunnel(), nullptr);
	EXPECT_EQ(r.lac_tunnel()->state(), tunnel_state::closing); // until its StopCCN is acked
	r.run_for(duration(100));
	// The ZLB acknowledged it: the closing tunnel is gone (not waiting for stop_linger).
	tunnel *t = r.lac_tunnel();
	EXPECT_TRUE(t == nullptr || t->state() == tunnel_state::dead);
}

TEST(daemon_restart, peers_that_never_answer_are_forgotten) {
	restart_rig r;
	r.call_up();
	r.kill_and_restart();
	time_point t = r.d->timers().now();
	for (int i = 0; i < 125; i++) {
		t += duration(1000);
		r.d->poll(t); // nothing reaches the LAC
	}
	EXPECT_EQ(r.d->counters().stale_tunnels_unanswered, 1u);
	EXPECT_EQ(r.d->counters().stale_tunnels_closed, 0u);
	EXPECT_EQ(r.d->counters().stale_stopccns, 1u);
}

// --- restart (restart_policy = "adopt") -------------------------------------------------

struct adopt_rig : restart_rig {
	std::string dir;
	adopt_rig() {
		char tmpl[] = "/tmp/l2tpx-adopt-XXXXXX";
		dir = mkdtemp(tmpl);
		cfg.cp.on_restart = restart_policy::adopt;
		cfg.cp.state_file = dir + "/state";
		d = std::make_unique<daemon>(cfg, io, rng_lns, users);
	}
	~adopt_rig() {
		d.reset();
		(void)std::remove(cfg.cp.state_file.c_str());
		(void)std::remove((cfg.cp.state_file + ".tmp").c_str());
		(void)rmdir(dir.c_str());
	}
	// As restart_rig::kill_and_restart, with the new daemon's clock first brought to the
	// LAC's (the simulated run of the first one put the LAC ahead of the steady clock the
	// new daemon starts from; the LAC's timers would stand still until it caught up).
	void kill_and_adopt() {
		d->dataplane().detach();
		d.reset();
		io.commands.clear();
		io.injected.clear();
		d = std::make_unique<daemon>(cfg, io, rng_second, users);
		d->timers().advance_to(lac_clock.now());
		allow_ip_inject = true;
		std::string err;
		ASSERT_TRUE(d->attach(err, duration(2000))) << err;
	}
	session *lac_session() {
		session *x = nullptr;
		if (tunnel *t = lac_tunnel())
			t->for_each_session([&](session &s) { x = &s; });
		return x;
	}
};

TEST(daemon_adopt, the_call_survives_a_kill_and_ends_normally_afterwards) {
	adopt_rig r;
	r.call_up();
	auto st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st) << to_string(st.error());
	ASSERT_EQ(st->tunnels.size(), 1u);
	ASSERT_EQ(st->sessions.size(), 1u);
	EXPECT_EQ(st->sessions[0].link.user, "alice");
	const ring::session_params installed = r.io.sessions[0];
	const uint16_t old_session = static_cast<uint16_t>(installed.local_session_id);
	ppp::ppp_link *old_link = r.d->calls().link(tunnel_id_v2{r.old_lns_tunnel}, session_id_v2{old_session});
	ASSERT_NE(old_link, nullptr);
	const ipv4_addr address = old_link->peer_ipv4();
	const uint32_t magic = old_link->lcp_layer().our_magic();
	const uint16_t lac_expects = r.lac_tunnel()->transport().expected_ns();
	const uint16_t lac_next = r.lac_tunnel()->transport().next_ns();

	r.kill_and_adopt();
	// hello, dump; no flush and no removal.
	EXPECT_EQ(r.io.count(ring::command_type::flush_sessions), 0u);
	EXPECT_EQ(r.io.count(ring::command_type::remove_session), 0u);
	EXPECT_EQ(r.io.count(ring::command_type::add_session), 0u);
	ASSERT_EQ(r.io.sessions.size(), 1u);
	EXPECT_EQ(r.d->counters().adopted_tunnels, 1u);
	EXPECT_EQ(r.d->counters().adopted_sessions, 1u);
	EXPECT_EQ(r.d->counters().adopt_removed_sessions, 0u);
	EXPECT_EQ(r.d->counters().state_file_errors, 0u);
	EXPECT_EQ(r.d->calls().l2tp().counters().tunnels_adopted, 1u);
	EXPECT_EQ(r.d->calls().counters().links_adopted, 1u);
	ppp::ppp_link *l = r.d->calls().link(tunnel_id_v2{r.old_lns_tunnel}, session_id_v2{old_session});
	ASSERT_NE(l, nullptr);
	EXPECT_EQ(l->peer_ipv4(), address);
	EXPECT_EQ(l->user(), "alice");
	EXPECT_EQ(l->lcp_layer().our_magic(), magic);
	EXPECT_EQ(r.d->dataplane().installed_sessions(), 1u);
	// The HELLO at once, numbered where the dead process stopped.
	auto sent = decode_injected(r.io);
	ASSERT_EQ(sent.size(), 1u);
	EXPECT_EQ(sent[0].type, 6);
	EXPECT_EQ(sent[0].tunnel, r.lac_tunnel_id);
	EXPECT_EQ(sent[0].ns, lac_expects);
	EXPECT_EQ(sent[0].nr, lac_next);
	// The state file was rewritten with the adopted call.
	st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 1u);
	EXPECT_EQ(st->tunnels.size(), 1u);

	// The LAC takes the HELLO in sequence; a minute of LCP echoes and HELLOs both ways
	// keeps everything up.
	const transport_stats lac_before = r.lac_tunnel()->transport().stats();
	r.run_for(duration(90000));
	ASSERT_NE(r.lac_tunnel(), nullptr);
	EXPECT_EQ(r.lac_tunnel()->state(), tunnel_state::established);
	EXPECT_GT(r.lac_tunnel()->transport().stats().rx_messages, lac_before.rx_messages);
	EXPECT_EQ(r.lac_tunnel()->transport().stats().rx_duplicates, lac_before.rx_duplicates);
	EXPECT_EQ(r.lac_tunnel()->transport().stats().rx_outside_window, 0u);
	EXPECT_EQ(r.lac_tunnel()->transport().stats().rx_bad_nr, 0u);
	EXPECT_EQ(r.lac->link_count(), 1u);
	ASSERT_EQ(r.d->calls().link_count(), 1u);
	EXPECT_LE(r.d->calls().link(tunnel_id_v2{r.old_lns_tunnel}, session_id_v2{old_session})->lcp_layer().echo_outstanding(),
	          1u);

	// Now the LAC hangs up (CDN): removed from the dataplane, forgotten in the state file.
	session *ls = r.lac_session();
	ASSERT_NE(ls, nullptr);
	ASSERT_TRUE(r.lac->l2tp().clear_session(tunnel_id_v2{r.lac_tunnel_id}, ls->local_id()));
	r.run_for(duration(500));
	EXPECT_EQ(r.io.sessions.size(), 0u);
	EXPECT_EQ(r.io.count(ring::command_type::remove_session), 1u);
	EXPECT_EQ(r.io.count(ring::command_type::remove_tunnel), 1u);
	EXPECT_EQ(r.d->calls().link_count(), 0u);
	st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 0u);
	EXPECT_EQ(st->tunnels.size(), 0u);
	// The address went back to the pool: the next call gets one (pool of two).
	ASSERT_TRUE(r.lac_tunnel()->place_call(call_params{}));
	r.run_for(duration(3000));
	ASSERT_EQ(r.d->calls().link_count(), 1u);
	ASSERT_TRUE(r.lac_tunnel()->place_call(call_params{}));
	r.run_for(duration(3000));
	EXPECT_EQ(r.d->calls().link_count(), 2u) << "both pool addresses free again";
}

// Every reconciliation outcome at once: adopted, dataplane only (same tunnel, unknown
// tunnel), mismatched, state only (same tunnel, a tunnel without sessions).
TEST(daemon_adopt, reconcile_table) {
	adopt_rig r;
	r.call_up();
	const ring::session_params good = r.io.sessions[0];
	auto st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	ASSERT_EQ(st->sessions.size(), 1u);
	const saved_session s_good = st->sessions[0];
	const saved_tunnel t_good = st->tunnels[0];
	// The dataplane also holds: another session of the tunnel (lost from the state), one
	// of an unknown tunnel, and one whose peer session disagrees with the state.
	ring::session_params dp_only = good;
	dp_only.local_session_id = 0x0101;
	dp_only.peer_session_id = 0x0202;
	ring::session_params foreign = good;
	foreign.local_tunnel_id = 999;
	foreign.local_session_id = 5;
	foreign.peer_tunnel_id = 555;
	ring::session_params mismatch = good;
	mismatch.local_session_id = 0x0303;
	mismatch.peer_session_id = 0x0404;
	r.io.sessions.push_back(dp_only);
	r.io.sessions.push_back(foreign);
	r.io.sessions.push_back(mismatch);
	// The state file also holds: the mismatched session (with peer session 0x0505), one
	// session of the tunnel the dataplane lost, and a tunnel 4321 with one session.
	r.d->dataplane().detach();
	r.d.reset();
	{
		std::string err;
		auto store = state_store::create(r.cfg.cp.state_file, 16, err);
		ASSERT_TRUE(store) << err;
		const uint32_t slot = store->put_tunnel(t_good);
		*store->mirror(slot) = sequence_mirror{t_good.t.ns, t_good.t.nr, t_good.t.acked, 0};
		store->put_session(s_good);
		saved_session m = s_good;
		m.session = 0x0303;
		m.peer_session = 0x0505;
		store->put_session(m);
		saved_session lost = s_good;
		lost.session = 0x0606;
		lost.peer_session = 0x0707;
		lost.link.peer_ipv4 = *parse_ipv4("100.64.0.11");
		store->put_session(lost);
		saved_tunnel other = t_good;
		other.t.local = tunnel_id_v2{4321};
		other.t.peer_id = tunnel_id_v2{77};
		other.t.ns = 40;
		other.t.nr = 30;
		other.t.acked = 40;
		const uint32_t o = store->put_tunnel(other);
		*store->mirror(o) = sequence_mirror{40, 30, 40, 0};
		saved_session os = s_good;
		os.tunnel = 4321;
		os.session = 9;
		store->put_session(os);
		ASSERT_TRUE(store->publish(err)) << err;
	}
	r.io.commands.clear();
	r.io.injected.clear();
	r.d = std::make_unique<daemon>(r.cfg, r.io, r.rng_second, r.users);
	r.d->timers().advance_to(r.lac_clock.now());
	r.allow_ip_inject = true;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;

	const daemon_counters &c = r.d->counters();
	EXPECT_EQ(c.adopted_tunnels, 1u);
	EXPECT_EQ(c.adopted_sessions, 1u);
	EXPECT_EQ(c.adopt_mismatches, 1u);
	EXPECT_EQ(c.adopt_removed_sessions, 3u);  // dp_only, foreign, mismatch
	EXPECT_EQ(c.adopt_forgotten_sessions, 3u); // mismatch's record, lost, tunnel 4321's
	EXPECT_EQ(c.adopt_forgotten_tunnels, 1u);  // 4321
	EXPECT_EQ(c.stale_tunnels, 1u);            // 999: unknown to the state, flushed style
	ASSERT_EQ(r.io.sessions.size(), 1u);
	EXPECT_EQ(r.io.sessions[0].local_session_id, good.local_session_id);
	EXPECT_EQ(r.io.count(ring::command_type::remove_session), 3u);
	EXPECT_EQ(r.io.count(ring::command_type::remove_tunnel), 1u); // 999
	EXPECT_EQ(r.io.count(ring::command_type::flush_sessions), 0u);

	// On the wire: a HELLO, then (once the LAC acknowledged it: the HELLO probes the
	// restored sequence state, nothing follows it before) 4 CDNs on the adopted tunnel
	// (dp_only, mismatch twice, lost); a StopCCN on 4321 with its saved numbers (never
	// acknowledged: nobody has that tunnel, it is retransmitted); the Ns=0 probe for 999.
	std::vector<injected_l2tp> sent;
	for (int i = 0; i < 200; i++) {
		r.d->poll(r.d->timers().now() + duration(10));
		auto v = decode_injected(r.io);
		sent.insert(sent.end(), v.begin(), v.end());
		r.lac_clock.advance_to(r.d->timers().now());
		r.deliver_injected();
	}
	size_t hellos = 0, cdns = 0, stopccns = 0;
	for (const auto &m : sent) {
		if (m.tunnel == r.lac_tunnel_id && m.type == 14)
			++cdns;
		if (m.type == 6)
			++hellos;
		if (m.type == 4) {
			++stopccns;
			if (m.tunnel == 77) {
				EXPECT_EQ(m.ns, 40); // no HELLO before it
				EXPECT_EQ(m.nr, 30);
			} else {
				EXPECT_EQ(m.tunnel, 555);
				EXPECT_EQ(m.ns, 0);
			}
		}
	}
	EXPECT_EQ(hellos, 1u);
	EXPECT_EQ(cdns, 4u);
	EXPECT_GE(stopccns, 2u);
	// The LAC drops the CDNs for sessions it does not have and keeps its call.
	r.run_for(duration(1000));
	EXPECT_EQ(r.lac->link_count(), 1u);
	EXPECT_EQ(r.d->calls().link_count(), 1u);
	ASSERT_NE(r.lac_tunnel(), nullptr);
	EXPECT_EQ(r.lac_tunnel()->state(), tunnel_state::established);
	st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 1u);
	EXPECT_EQ(st->tunnels.size(), 1u);
}

// Two recorded sessions claiming one address (a damaged file): the first is adopted, the
// second cannot claim its address and is removed, with a CDN to the peer.
TEST(daemon_adopt, a_session_whose_address_is_taken_is_removed) {
	adopt_rig r;
	r.call_up();
	const ring::session_params good = r.io.sessions[0];
	auto st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	ring::session_params twin = good;
	twin.local_session_id = 0x0909;
	twin.peer_session_id = 0x0a0a;
	r.io.sessions.push_back(twin);
	r.d->dataplane().detach();
	r.d.reset();
	{
		std::string err;
		auto store = state_store::create(r.cfg.cp.state_file, 16, err);
		ASSERT_TRUE(store) << err;
		const uint32_t slot = store->put_tunnel(st->tunnels[0]);
		const saved_tunnel &t = st->tunnels[0];
		*store->mirror(slot) = sequence_mirror{t.t.ns, t.t.nr, t.t.acked, 0};
		store->put_session(st->sessions[0]);
		saved_session s2 = st->sessions[0];
		s2.session = 0x0909;
		s2.peer_session = 0x0a0a;
		store->put_session(s2);
		ASSERT_TRUE(store->publish(err)) << err;
	}
	r.io.commands.clear();
	r.io.injected.clear();
	r.d = std::make_unique<daemon>(r.cfg, r.io, r.rng_second, r.users);
	r.d->timers().advance_to(r.lac_clock.now());
	r.allow_ip_inject = true;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	EXPECT_EQ(r.d->counters().adopted_sessions, 1u);
	EXPECT_EQ(r.d->counters().adopt_removed_sessions, 1u);
	EXPECT_EQ(r.io.count(ring::command_type::remove_session), 1u);
	EXPECT_EQ(r.io.count(ring::command_type::remove_tunnel), 0u);
	ASSERT_EQ(r.io.sessions.size(), 1u);
	EXPECT_EQ(r.io.sessions[0].local_session_id, good.local_session_id);
	EXPECT_EQ(r.d->calls().link_count(), 1u);
	r.run_for(duration(2000));
	EXPECT_EQ(r.lac->link_count(), 1u) << "the LAC's own call is untouched";
	st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 1u);
}

// IPv6: two calls with IPv6CP open, each holding a /64 of a /62 pool (4 prefixes). The
// state file records each prefix; after a kill the adopted calls claim the same prefixes
// again (pool down by two), and their next frames (LCP echoes for 90 s) bring no new
// prefix and no modify_session.
struct adopt_v6_rig : adopt_rig {
	adopt_v6_rig() {
		d.reset();
		const std::string state = cfg.cp.state_file;
		cfg = load_string(std::string(config_text) + "[[pool]]\nname = \"v6\"\nprefix = \"2001:db8:100::/62\"\n").value();
		cfg.cp.on_restart = restart_policy::adopt;
		cfg.cp.state_file = state;
		d = std::make_unique<daemon>(cfg, io, rng_lns, users);
	}
	void two_calls_up() {
		call_up();
		ASSERT_TRUE(lac_tunnel()->place_call(call_params{}));
		run_for(duration(3000));
		ASSERT_EQ(io.sessions.size(), 2u);
		ASSERT_EQ(d->calls().link_count(), 2u);
	}
	static nd::ipv6_prefix routed(const ring::session_params &p) {
		nd::ipv6_prefix r;
		std::memcpy(r.addr.data(), p.v6_prefix.addr, 16);
		r.length = p.v6_prefix.length;
		return r;
	}
	nd::ipv6_prefix assigned(const ring::session_params &p) {
		return d->calls().ipv6_prefix(tunnel_id_v2{static_cast<uint16_t>(p.local_tunnel_id)},
		                              session_id_v2{static_cast<uint16_t>(p.local_session_id)});
	}
};

TEST(daemon_adopt, ipv6_prefixes_are_recorded_and_claimed_again) {
	adopt_v6_rig r;
	r.two_calls_up();
	ASSERT_EQ(r.d->calls().ipv6_prefixes().available(), 2u);
	std::map<uint32_t, nd::ipv6_prefix> before; // by local session ID
	for (const ring::session_params &p : r.io.sessions) {
		const nd::ipv6_prefix a = r.assigned(p);
		ASSERT_EQ(a.length, 64);
		EXPECT_EQ(adopt_v6_rig::routed(p), a) << "the dataplane routes the assigned prefix";
		before[p.local_session_id] = a;
	}
	ASSERT_NE(before.begin()->second, before.rbegin()->second);
	auto st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	ASSERT_EQ(st->sessions.size(), 2u);
	for (const saved_session &s : st->sessions) {
		EXPECT_TRUE(s.link.ipv6cp_opened);
		EXPECT_EQ(s.ipv6_prefix, before[s.session]);
	}

	r.kill_and_adopt();
	EXPECT_EQ(r.d->counters().adopted_sessions, 2u);
	EXPECT_EQ(r.d->counters().adopt_mismatches, 0u);
	EXPECT_EQ(r.d->counters().adopt_removed_sessions, 0u);
	EXPECT_EQ(r.d->calls().ipv6_prefixes().available(), 2u) << "both prefixes claimed from the pool";
	for (const ring::session_params &p : r.io.sessions)
		EXPECT_EQ(r.assigned(p), before[p.local_session_id]);
	st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	ASSERT_EQ(st->sessions.size(), 2u);
	for (const saved_session &s : st->sessions)
		EXPECT_EQ(s.ipv6_prefix, before[s.session]) << "the rewritten file keeps the prefix";

	r.run_for(duration(90000));
	EXPECT_EQ(r.lac->link_count(), 2u);
	ASSERT_EQ(r.d->calls().link_count(), 2u);
	EXPECT_EQ(r.io.count(ring::command_type::modify_session), 0u) << "no new prefix, no modify storm";
	EXPECT_EQ(r.io.count(ring::command_type::remove_session), 0u);
	EXPECT_EQ(r.d->calls().ipv6_prefixes().available(), 2u);
	for (const ring::session_params &p : r.io.sessions) {
		EXPECT_EQ(r.assigned(p), before[p.local_session_id]);
		EXPECT_EQ(adopt_v6_rig::routed(p), before[p.local_session_id]);
	}
	// A call that ends returns its prefix; its record goes.
	session *ls = r.lac_session();
	ASSERT_NE(ls, nullptr);
	ASSERT_TRUE(r.lac->l2tp().clear_session(tunnel_id_v2{r.lac_tunnel_id}, ls->local_id()));
	r.run_for(duration(500));
	EXPECT_EQ(r.d->calls().link_count(), 1u);
	EXPECT_EQ(r.d->calls().ipv6_prefixes().available(), 3u);
	st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 1u);
}

// The dataplane routes another prefix than the state file records (or none): the session
// is not adopted (removed, CDN), the other one is.
TEST(daemon_adopt, an_ipv6_prefix_mismatch_removes_the_session) {
	adopt_v6_rig r;
	r.two_calls_up();
	const uint32_t changed = r.io.sessions[0].local_session_id;
	const uint32_t kept = r.io.sessions[1].local_session_id;
	r.io.sessions[0].v6_prefix.addr[7] ^= 0x40; // another /64
	r.kill_and_adopt();
	EXPECT_EQ(r.d->counters().adopted_sessions, 1u);
	EXPECT_EQ(r.d->counters().adopt_mismatches, 1u);
	ASSERT_EQ(r.io.sessions.size(), 1u);
	EXPECT_EQ(r.io.sessions[0].local_session_id, kept);
	EXPECT_NE(kept, changed);
	EXPECT_EQ(r.d->calls().ipv6_prefixes().available(), 3u) << "only the adopted call's prefix is claimed";
}

// IPv6CP opens after the session was recorded at IPCP time: the record is rewritten with
// the prefix once call_manager assigned it.
TEST(daemon_adopt, the_record_follows_ipv6cp_after_network_up) {
	adopt_v6_rig r;
	r.two_calls_up();
	const ring::session_params p = r.io.sessions[0];
	const tunnel_id_v2 t{static_cast<uint16_t>(p.local_tunnel_id)};
	const session_id_v2 sid{static_cast<uint16_t>(p.local_session_id)};
	const nd::ipv6_prefix first = r.assigned(p);
	ASSERT_EQ(first.length, 64);
	// The LAC's IPv6CP renegotiates: the LNS leaves Opened (prefix released, record
	// rewritten without it), then opens again (a prefix, the record rewritten with it).
	ppp::ppp_link *lac_link = nullptr;
	r.lac_tunnel()->for_each_session([&](session &s) {
		if (s.peer_id().value == p.local_session_id)
			lac_link = r.lac->link(r.lac_tunnel()->local_id(), s.local_id());
	});
	ASSERT_NE(lac_link, nullptr);
	ppp::ppp_link *lns_link = r.d->calls().link(t, sid);
	ASSERT_NE(lns_link, nullptr);
	// An IPv6CP Configure-Request from the LAC (its interface identifier) makes the LNS
	// leave Opened and renegotiate.
	std::vector<uint8_t> req = {0xff, 0x03, 0x80, 0x57, 0x01, 0x77, 0x00, 0x0e, 0x01, 0x0a};
	for (int i = 7; i >= 0; i--)
		req.push_back(static_cast<uint8_t>(lac_link->local_iid() >> (8 * i)));
	session *lac_s = nullptr;
	r.lac_tunnel()->for_each_session([&](session &s) {
		if (s.peer_id().value == p.local_session_id)
			lac_s = &s;
	});
	ASSERT_NE(lac_s, nullptr);
	r.lac->l2tp().send_ppp(*lac_s, req);
	bool saw_without = false;
	for (int i = 0; i < 300; i++) {
		r.run_for(duration(10));
		auto st = load_state(r.cfg.cp.state_file);
		ASSERT_TRUE(st);
		for (const saved_session &s : st->sessions)
			if (s.session == sid.value && s.ipv6_prefix.length == 0)
				saw_without = true;
	}
	EXPECT_TRUE(lns_link->ipv6cp_layer().fsm().is_opened());
	const nd::ipv6_prefix now = r.assigned(p);
	ASSERT_EQ(now.length, 64);
	EXPECT_TRUE(saw_without) << "left Opened: recorded without a prefix";
	auto st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	ASSERT_EQ(st->sessions.size(), 2u);
	for (const saved_session &s : st->sessions)
		if (s.session == sid.value) {
			EXPECT_TRUE(s.link.ipv6cp_opened);
			EXPECT_EQ(s.ipv6_prefix, now);
		}
	EXPECT_EQ(r.d->counters().state_full, 0u);
}

TEST(daemon_adopt, a_corrupt_state_file_falls_back_to_flush) {
	adopt_rig r;
	r.call_up();
	r.d->dataplane().detach();
	r.d.reset();
	{
		FILE *f = std::fopen(r.cfg.cp.state_file.c_str(), "r+b");
		ASSERT_NE(f, nullptr);
		std::fputs("garbage!", f); // the magic
		std::fclose(f);
	}
	r.io.commands.clear();
	r.io.injected.clear();
	r.d = std::make_unique<daemon>(r.cfg, r.io, r.rng_second, r.users);
	r.allow_ip_inject = true;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	EXPECT_EQ(r.d->counters().state_file_errors, 1u);
	EXPECT_EQ(r.io.count(ring::command_type::flush_sessions), 1u);
	EXPECT_EQ(r.d->counters().stale_sessions_removed, 1u);
	EXPECT_EQ(r.d->counters().adopted_sessions, 0u);
	EXPECT_TRUE(r.io.sessions.empty());
	// A fresh, empty file is in place for the next restart.
	auto st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st) << to_string(st.error());
	EXPECT_TRUE(st->sessions.empty());
}

TEST(daemon_adopt, a_clean_shutdown_leaves_nothing_to_adopt) {
	adopt_rig r;
	r.call_up();
	r.d->begin_shutdown();
	r.run_for(duration(1000));
	EXPECT_TRUE(r.d->shutdown_done());
	auto st = load_state(r.cfg.cp.state_file);
	ASSERT_TRUE(st);
	EXPECT_TRUE(st->sessions.empty());
	EXPECT_TRUE(st->tunnels.empty());
}

TEST(daemon, lac_call_is_installed_in_the_dataplane_and_shutdown_tears_it_down) {
	rig r;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	auto t = r.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	ASSERT_TRUE((*t)->place_call(call_params{}));
	r.run_for(duration(3000));

	ASSERT_EQ(r.io.sessions.size(), 1u);
	const ring::session_params &s = r.io.sessions[0];
	EXPECT_EQ(s.version, 2);
	EXPECT_EQ(s.subscriber_v4[0], 100);
	EXPECT_EQ(s.subscriber_v4[3], 10); // first pool address
	EXPECT_EQ(s.peer_udp_port, lac_addr.port);
	EXPECT_EQ(s.local_udp_port, 1701);
	EXPECT_EQ(s.peer_tunnel_id, r.lac_tunnel()->local_id().value);
	EXPECT_EQ(r.io.count(ring::command_type::add_tunnel), 1u);
	// Installed at ICRP without an address (PPP frames reach us), completed after IPCP.
	EXPECT_EQ(r.io.count(ring::command_type::add_session), 1u);
	EXPECT_EQ(r.io.count(ring::command_type::modify_session), 1u);
	EXPECT_TRUE(s.flags & ring::session_flag::check_source);
	EXPECT_EQ(r.d->calls().link_count(), 1u);
	EXPECT_EQ(r.d->counters().tx_via_ip, 0u);
	EXPECT_GT(r.d->counters().rx_datagrams, 5u);

	r.d->begin_shutdown();
	r.run_for(duration(1000));
	EXPECT_TRUE(r.d->shutdown_done());
	EXPECT_TRUE(r.io.sessions.empty());
	EXPECT_EQ(r.io.count(ring::command_type::remove_tunnel), 1u);
	EXPECT_EQ(r.lac->l2tp().counters().tunnels_closed, 1u);
}

TEST(daemon, peers_no_lac_admits_are_dropped_and_counted) {
	rig r;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	r.lac_from = udp_endpoint::v4(*parse_ipv4("203.0.113.9"), 1701);
	ASSERT_TRUE(r.lac->l2tp().open_tunnel(lns_addr));
	r.run_for(duration(100));
	EXPECT_GE(r.d->counters().rx_peer_not_allowed, 1u);
	EXPECT_EQ(r.d->counters().rx_datagrams, 0u);
	EXPECT_TRUE(r.io.injected.empty());
	EXPECT_EQ(r.d->calls().l2tp().tunnel_count(), 0u);
}

TEST(daemon, refused_install_ends_the_call) {
	rig r;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	auto t = r.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	ASSERT_TRUE((*t)->place_call(call_params{}));
	r.io.add_session_result = ring::status::index_busy;
	r.run_for(duration(3000));
	EXPECT_TRUE(r.io.sessions.empty());
	EXPECT_EQ(r.d->counters().install_failures, 1u);
	EXPECT_EQ(r.d->calls().link_count(), 0u);
	// The session is installed when the call is answered (ICRP): the refusal comes before
	// PPP starts and ends the call with a CDN; the tunnel stays.
	EXPECT_EQ(r.io.count(ring::command_type::add_session), 1u);
	EXPECT_EQ(r.io.count(ring::command_type::modify_session), 0u);
	ASSERT_NE(r.lac_tunnel(), nullptr);
	EXPECT_EQ(r.lac_tunnel()->session_count(), 0u);
	EXPECT_EQ(r.lac->l2tp().counters().sessions_closed, 1u);
	EXPECT_EQ(r.d->calls().l2tp().counters().sessions_closed, 1u);
	EXPECT_EQ(r.d->calls().counters().links_up, 0u);
}

TEST(daemon, session_is_in_the_dataplane_before_the_icrp_leaves) {
	rig r;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	auto t = r.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	ASSERT_TRUE((*t)->place_call(call_params{}));
	// Step by hand: each datagram from the LAC, then look at what the daemon did.
	bool saw_icrp = false;
	for (int step = 0; step < 400 && !saw_icrp; step++) {
		const time_point now = r.d->timers().now() + duration(10);
		r.lac_clock.advance_to(now);
		r.d->poll(now);
		for (auto &[meta, frame] : r.io.injected) {
			const uint8_t *l2tp = frame.data() + 14 + 28;
			const size_t len = frame.size() - 14 - 28;
			// Control message (T bit), first AVP = Message Type (value at 12 + 6): 11 = ICRP.
			if (len >= 20 && (l2tp[0] & 0x80) && load_be16(l2tp + 18) == 11) {
				saw_icrp = true;
				// add_tunnel + add_session already went into the command ring, control only.
				ASSERT_EQ(r.io.count(ring::command_type::add_session), 1u);
				EXPECT_EQ(r.io.count(ring::command_type::add_tunnel), 1u);
				const ring::session_params &s = r.io.sessions.at(0);
				EXPECT_TRUE(s.flags & ring::session_flag::control_only);
				EXPECT_TRUE(s.flags & ring::session_flag::check_source);
				EXPECT_EQ(s.subscriber_v4[0], 0);
				EXPECT_NE(s.peer_session_id, 0u);
				EXPECT_NE(s.local_session_id, 0u);
			}
		}
		r.deliver_injected();
	}
	ASSERT_TRUE(saw_icrp);
	r.run_for(duration(3000));
	ASSERT_EQ(r.io.sessions.size(), 1u);
	EXPECT_FALSE(r.io.sessions[0].flags & ring::session_flag::control_only);
	EXPECT_EQ(r.io.sessions[0].subscriber_v4[0], 100);
	EXPECT_EQ(r.d->calls().counters().dp_prepares, 1u);
	EXPECT_EQ(r.d->calls().counters().dp_installs, 1u);
}


TEST(daemon, shutdown_with_a_silent_lac_times_out_cleanly) {
	rig r;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	auto t = r.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	ASSERT_TRUE((*t)->place_call(call_params{}));
	r.run_for(duration(3000));
	ASSERT_EQ(r.io.sessions.size(), 1u);
	r.d->begin_shutdown();
	// The LAC is gone: nothing it would answer reaches the LNS.
	const time_point end = r.d->timers().now() + duration(40000);
	while (r.d->timers().now() < end) {
		r.d->poll(r.d->timers().now() + duration(10));
		r.io.injected.clear();
	}
	EXPECT_TRUE(r.io.sessions.empty());
	EXPECT_EQ(r.d->calls().l2tp().tunnel_count(), 0u);
	EXPECT_TRUE(r.d->shutdown_done());
	r.d.reset();
}


TEST(daemon, destroyed_while_tunnels_are_closing) {
	rig r;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	auto t = r.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	ASSERT_TRUE((*t)->place_call(call_params{}));
	r.run_for(duration(3000));
	r.d->begin_shutdown();
	r.d->poll(r.d->timers().now() + duration(10));
	EXPECT_FALSE(r.d->shutdown_done());
	r.d.reset();
}


TEST(daemon, management_commands_answer_from_live_state) {
	rig r;
	r.cfg.cp.mgmt_socket = "/tmp/l2tpx-cpd-test-" + std::to_string(getpid()) + ".sock";
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	ASSERT_TRUE(r.d->open_mgmt(err)) << err;
	auto t = r.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	ASSERT_TRUE((*t)->place_call(call_params{}));
	r.run_for(duration(3000));
	ASSERT_EQ(r.io.sessions.size(), 1u);
	const uint16_t lns_tunnel = static_cast<uint16_t>(r.io.sessions[0].local_tunnel_id);
	const uint16_t lns_session = static_cast<uint16_t>(r.io.sessions[0].local_session_id);

	std::vector<mgmt::response> answers;
	std::atomic<bool> done{false};
	std::thread client([&] {
		mgmt::client c(mgmt::client_options{r.cfg.cp.mgmt_socket, std::chrono::milliseconds(5000)});
		const std::pair<const char *, mgmt::json> calls[] = {
		    {"show tunnels", mgmt::json::object()},
		    {"show sessions", mgmt::json::object()},
		    {"show session", {{"id", lns_session}}},
		    {"show tunnel", {{"id", lns_tunnel}}},
		    {"show tunnel", {{"id", lns_tunnel ^ 1}}},
		    {"show session", {{"id", "x"}}},
		    {"debug tunnel", {{"id", lns_tunnel}, {"mask", 2}}},
		    {"show config", mgmt::json::object()},
		    {"version", mgmt::json::object()},
		    {"show stats", mgmt::json::object()},
		    {"clear tunnel", {{"id", lns_tunnel}}},
		};
		for (const auto &[cmd, args] : calls) {
			auto a = c.call(cmd, args);
			answers.push_back(a ? *a : mgmt::response{});
		}
		done = true;
	});
	time_point now = r.d->timers().now();
	for (int i = 0; i < 200000 && !done; i++) {
		now += duration(1);
		r.lac_clock.advance_to(now);
		r.d->poll(now);
		r.deliver_injected();
		usleep(50);
	}
	client.join();
	ASSERT_EQ(answers.size(), 11u);
	for (size_t i : {0, 1, 2, 3, 6, 7, 8, 9, 10})
		EXPECT_TRUE(answers[i].ok) << i << ": " << answers[i].error_code << " " << answers[i].error_message;
	ASSERT_TRUE(mgmt::is_table(answers[0].result));
	EXPECT_EQ(answers[0].result["rows"].size(), 1u);
	EXPECT_EQ(answers[0].result["rows"][0][0], lns_tunnel);
	ASSERT_TRUE(mgmt::is_table(answers[1].result));
	ASSERT_EQ(answers[1].result["rows"].size(), 1u);
	EXPECT_EQ(answers[1].result["rows"][0][6], "100.64.0.10");
	EXPECT_EQ(answers[2].result["ppp"]["user"], "alice");
	EXPECT_EQ(answers[2].result["dataplane_index"], 5);
	EXPECT_EQ(answers[3].result["state"], "established");
	EXPECT_EQ(answers[4].error_code, "not_found");
	EXPECT_EQ(answers[5].error_code, "invalid_argument");
	EXPECT_EQ(answers[6].result["debug"], "control");
	EXPECT_EQ(answers[7].result["pools"]["rows"][0][2], 1); // 2 addresses, 1 in use
	EXPECT_EQ(answers[7].result["restart_policy"], "flush");
	EXPECT_EQ(answers[8].result["name"], "l2tpx-controlplane");
	EXPECT_EQ(answers[9].result["calls"]["links_up"], 1);
	EXPECT_EQ(answers[9].result["dataplane"]["sessions_installed"], 1);
	EXPECT_EQ(answers[10].result["cleared"], lns_tunnel);
	r.run_for(duration(2000));
	EXPECT_TRUE(r.io.sessions.empty()); // the clear tore the call down
}

struct users_file {
	std::string path = "/tmp/l2tpx-cpd-users-" + std::to_string(getpid());
	~users_file() { std::remove(path.c_str()); }
	void write(const char *text) const {
		FILE *f = std::fopen(path.c_str(), "w");
		ASSERT_NE(f, nullptr);
		std::fputs(text, f);
		std::fclose(f);
	}
};

// A call from the rig's LAC (alice / pw-a); true when it reached the dataplane with an address.
bool call_comes_up(rig &r) {
	const size_t before = r.io.sessions.size();
	tunnel *t = r.lac_tunnel();
	if (t && t->established()) {
		if (!t->place_call(call_params{}))
			return false;
	} else {
		auto nt = r.lac->l2tp().open_tunnel(lns_addr);
		if (!nt || !(*nt)->place_call(call_params{}))
			return false;
	}
	r.run_for(duration(3000));
	return r.io.sessions.size() == before + 1 && r.io.sessions.back().subscriber_v4[0] == 100;
}

TEST(daemon, users_file_reload_takes_effect_and_keeps_the_old_users_on_error) {
	rig r;
	users_file f;
	f.write("alice other-password\n");
	r.cfg.lns.users_file = f.path;
	r.users = aaa::local_authenticator(aaa::user_db::parse("alice pw-a\n").value(), f.path);
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;

	// Loaded: alice's password changed, her next call fails authentication.
	auto n = r.d->reload_users();
	ASSERT_TRUE(n.ok) << n.message;
	EXPECT_EQ(n.users, 1u);
	EXPECT_FALSE(call_comes_up(r));
	EXPECT_GE(r.users.rejected(), 1u);

	// An invalid file: the error names the file and line; the previous users stay.
	f.write("alice pw-a\n# comment\ncarol\n");
	auto bad = r.d->reload_users();
	ASSERT_FALSE(bad.ok);
	EXPECT_EQ(bad.users, 1u);
	EXPECT_NE(bad.message.find(f.path + ":3:"), std::string::npos) << bad.message;
	EXPECT_NE(bad.message.find("missing_secret"), std::string::npos) << bad.message;
	EXPECT_NE(bad.message.find("previous 1 user(s) are kept"), std::string::npos) << bad.message;
	ASSERT_NE(r.users.db().find("alice"), nullptr);
	EXPECT_EQ(r.users.db().find("alice")->secret, "other-password");
	f.write("bob x\n");
	std::remove(f.path.c_str());
	EXPECT_FALSE(r.d->reload_users().ok); // unreadable: kept too
	EXPECT_EQ(r.users.db().size(), 1u);

	// A good file again: alice's calls come up with the new password.
	f.write("alice pw-a\nbob b\n");
	ASSERT_TRUE(r.d->reload_users().ok);
	EXPECT_EQ(r.users.db().size(), 2u);
	EXPECT_TRUE(call_comes_up(r));
	EXPECT_EQ(r.d->counters().users_reloads, 2u);
	EXPECT_EQ(r.d->counters().users_reload_failures, 2u);
}

TEST(daemon, sighup_flag_reloads_the_users_file) {
	rig r;
	users_file f;
	f.write("alice pw-a\nbob b\ncarol c\n");
	r.cfg.lns.users_file = f.path;
	r.users = aaa::local_authenticator(aaa::user_db::parse("alice pw-a\n").value(), f.path);
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	// run() re-reads the file first and clears the flag; stop is set, so it then returns
	// (no tunnel to wait for).
	volatile std::sig_atomic_t stop = 1, hup = 1;
	r.d->run(&stop, &hup);
	EXPECT_EQ(hup, 0);
	EXPECT_EQ(r.users.db().size(), 3u);
	EXPECT_EQ(r.d->counters().users_reloads, 1u);
}

TEST(daemon, reload_without_a_users_file_is_an_error) {
	rig r;
	r.cfg.lns.users_file.clear();
	auto res = r.d->reload_users();
	ASSERT_FALSE(res.ok);
	EXPECT_NE(res.message.find("no lns.users_file"), std::string::npos);
	EXPECT_EQ(r.users.db().size(), 1u);
}

TEST(daemon, reload_over_the_management_socket) {
	rig r;
	users_file f;
	f.write("alice pw-a\nbob b\n");
	r.cfg.lns.users_file = f.path;
	r.users = aaa::local_authenticator(aaa::user_db::parse("alice pw-a\n").value(), f.path);
	r.cfg.cp.mgmt_socket = "/tmp/l2tpx-cpd-test-reload-" + std::to_string(getpid()) + ".sock";
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	ASSERT_TRUE(r.d->open_mgmt(err)) << err;
	std::vector<mgmt::response> answers;
	std::atomic<int> step{0};
	std::thread client([&] {
		mgmt::client c(mgmt::client_options{r.cfg.cp.mgmt_socket, std::chrono::milliseconds(5000)});
		auto a = c.call("reload", mgmt::json::object());
		answers.push_back(a ? *a : mgmt::response{});
		step = 1;
		while (step != 2)
			usleep(100);
		a = c.call("reload", mgmt::json::object());
		answers.push_back(a ? *a : mgmt::response{});
		step = 3;
	});
	for (int i = 0; i < 200000 && step != 3; i++) {
		if (step == 1) {
			f.write("alice\n"); // invalid
			step = 2;
		}
		r.d->poll(r.d->timers().now() + duration(1));
		usleep(50);
	}
	client.join();
	ASSERT_EQ(answers.size(), 2u);
	EXPECT_TRUE(answers[0].ok) << answers[0].error_message;
	EXPECT_EQ(answers[0].result["users"], 2);
	EXPECT_FALSE(answers[1].ok);
	EXPECT_EQ(answers[1].error_code, "unavailable");
	EXPECT_NE(answers[1].error_message.find(":1: missing_secret"), std::string::npos) << answers[1].error_message;
	EXPECT_EQ(r.users.db().size(), 2u);
}

TEST(daemon, read_only_socket_serves_show_commands_and_refuses_the_rest) {
	rig r;
	const std::string base = "/tmp/l2tpx-cpd-test-authz-" + std::to_string(getpid());
	r.cfg.cp.mgmt_socket = base + "-admin.sock";
	r.cfg.cp.mgmt_socket_mode = 0640;
	r.cfg.cp.mgmt_socket_gid = static_cast<uint32_t>(getgid());
	r.cfg.cp.mgmt_readonly_socket = base + "-ro.sock";
	r.cfg.cp.mgmt_readonly_socket_mode = 0604;
	std::string err;
	ASSERT_TRUE(r.d->attach(err, duration(2000))) << err;
	ASSERT_TRUE(r.d->open_mgmt(err)) << err;
	struct stat st {};
	ASSERT_EQ(stat(r.cfg.cp.mgmt_socket.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0640u);
	EXPECT_EQ(st.st_gid, getgid());
	ASSERT_EQ(stat(r.cfg.cp.mgmt_readonly_socket.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0604u);
	auto t = r.lac->l2tp().open_tunnel(lns_addr);
	ASSERT_TRUE(t);
	r.run_for(duration(1000));
	tunnel *lns_tunnel = nullptr;
	r.d->calls().l2tp().for_each_tunnel([&](tunnel &x) { lns_tunnel = &x; });
	ASSERT_NE(lns_tunnel, nullptr);
	const uint16_t tid = lns_tunnel->local_id().value;

	std::vector<mgmt::response> ro, admin;
	std::atomic<bool> done{false};
	std::thread client([&] {
		mgmt::client c(mgmt::client_options{r.cfg.cp.mgmt_readonly_socket, std::chrono::milliseconds(5000)});
		const std::pair<const char *, mgmt::json> calls[] = {
		    {"show tunnels", mgmt::json::object()}, {"show stats", mgmt::json::object()},
		    {"version", mgmt::json::object()},      {"clear tunnel", {{"id", tid}}},
		    {"clear session", {{"id", 1}}},         {"debug tunnel", {{"id", tid}, {"mask", 2}}},
		    {"debug session", {{"id", 1}, {"mask", 2}}}, {"reload", mgmt::json::object()},
		};
		for (const auto &[cmd, args] : calls) {
			auto a = c.call(cmd, args);
			ro.push_back(a ? *a : mgmt::response{});
		}
		mgmt::client a(mgmt::client_options{r.cfg.cp.mgmt_socket, std::chrono::milliseconds(5000)});
		auto x = a.call("debug tunnel", {{"id", tid}, {"mask", 2}});
		admin.push_back(x ? *x : mgmt::response{});
		done = true;
	});
	time_point now = r.d->timers().now();
	for (int i = 0; i < 200000 && !done; i++) {
		now += duration(1);
		r.lac_clock.advance_to(now);
		r.d->poll(now);
		r.deliver_injected();
		usleep(50);
	}
	client.join();
	ASSERT_EQ(ro.size(), 8u);
	for (size_t i : {0, 1, 2})
		EXPECT_TRUE(ro[i].ok) << i << ": " << ro[i].error_message;
	EXPECT_EQ(ro[0].result["rows"].size(), 1u);
	EXPECT_TRUE(ro[1].result.contains("mgmt_readonly"));
	for (size_t i : {3, 4, 5, 6, 7}) {
		EXPECT_FALSE(ro[i].ok) << i;
		EXPECT_EQ(ro[i].error_code, "unavailable") << i;
		EXPECT_NE(ro[i].error_message.find("read-only management socket"), std::string::npos) << ro[i].error_message;
	}
	// Nothing changed: the tunnel is up and has no debug mask; the admin socket may set one.
	EXPECT_EQ(r.d->calls().l2tp().tunnel_count(), 1u);
	ASSERT_EQ(admin.size(), 1u);
	EXPECT_TRUE(admin[0].ok) << admin[0].error_message;
	EXPECT_EQ(r.d->debug_mask_tunnel(tid), 2u);
}

TEST(log_limiter, allows_a_burst_per_second_and_counts_the_rest) {
	log_limiter l(2);
	uint64_t sup = 99;
	time_point t{duration(5000)};
	EXPECT_TRUE(l.allow(t, sup));
	EXPECT_EQ(sup, 0u);
	EXPECT_TRUE(l.allow(t, sup));
	EXPECT_FALSE(l.allow(t, sup));
	EXPECT_FALSE(l.allow(t + duration(999), sup));
	EXPECT_TRUE(l.allow(t + duration(1000), sup));
	EXPECT_EQ(sup, 2u);
}

} // namespace
} // namespace l2tpx::cp::daemon
