// End-to-end tests of the dataplane runtime inside one process: EAL with --no-huge, two
// net_ring ports (access, core) made from rings this test reads and writes, the control
// loop running on a thread (single-lcore mode), and the test acting as the control plane
// through the command/event rings. Exercises: command ring, tables + RCU, ARP, workers'
// paths, counters, install/remove while traffic flows.
#include "dataplane/frame_builders_test_util.hpp"
#include "dataplane/runtime.hpp"
#include "shared/config/config_loader.hpp"
#include "shared/ring/ring_names.hpp"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace l2tpx;

namespace {

using namespace dp::test_util;

const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0x01, 0xfe};
const uint8_t acc_ip[4] = {192, 0, 2, 1}, peer_ip[4] = {192, 0, 2, 2};
const uint8_t sub_ip[4] = {100, 64, 0, 7}, inet_ip[4] = {8, 8, 8, 8};

struct ports_fixture {
	rte_ring *acc_rx, *acc_tx, *core_rx, *core_tx;
	uint16_t acc = 0, core = 0;
};

class runtime_test : public ::testing::Test {
protected:
	static void SetUpTestSuite() {
		// Three lcores (main + 2 workers) as threads on the CPUs we have with L2TPX_TEST_WORKERS.
		ASSERT_GE(eal_start("runtime_test", "l2tpx-dpruntime-test-"), 0);
		const char *workers = worker_lcores_line();
		// rte_eth_from_rings names the device "net_ring_<name>".
		const int a = ring_port("t_acc_rx", "t_acc_tx", "acc", p_.acc_rx, p_.acc_tx);
		const int c = ring_port("t_core_rx", "t_core_tx", "core", p_.core_rx, p_.core_tx);
		ASSERT_GE(a, 0);
		ASSERT_GE(c, 0);
		p_.acc = uint16_t(a);
		p_.core = uint16_t(c);
		auto conf = cfg::load_string(std::string("[dataplane]\n") + workers + R"(
mbuf_pool_size = 8191
mbuf_cache_size = 64
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
idle_spin_polls = 64
idle_max_sleep_us = 100
[[port]]
name = "acc"
devargs = "net_ring_acc"
role = "access"
mac = "02:00:00:00:00:a1"
addresses = ["192.0.2.1/24", "2001:db8:1::1/64"]
[[port]]
name = "core"
devargs = "net_ring_core"
role = "core"
mac = "02:00:00:00:00:c1"
addresses = ["198.51.100.1/24"]
gateway = "198.51.100.254"
neighbours = [{ address = "198.51.100.254", mac = "02:00:00:00:01:fe" }]
)");
		ASSERT_TRUE(conf) << conf.error().to_string();
		ASSERT_NO_FATAL_FAILURE(start_runtime(rt_, thread_, *conf));
		pool_ = rt_->pool();
	}

	static void TearDownTestSuite() {
		stop_runtime(rt_, thread_);
	}

	void SetUp() override {
		ASSERT_NE(rt_, nullptr);
		drain(p_.acc_tx);
		drain(p_.core_tx);
		drain_events(*rt_);
		// Start every test without sessions or tunnels (also after a failed test).
		ASSERT_EQ(run(ring::make_command(ring::command_type::flush_sessions, 0)), ring::status::ok);
	}

	// Next frame on a port ring that is not an ARP request (retries may come any time).
	static bytes pop_not_arp_request(rte_ring *r) {
		for (;;) {
			bytes b = pop(r);
			if (b.size() < 22 || b[12] != 0x08 || b[13] != 0x06 || b[21] != 1)
				return b;
		}
	}

	static void push(rte_ring *r, const bytes &b) { dp::test_util::push(pool_, r, b); }

	// Next frame the dataplane sent on a port ring (empty when none arrives).
	static bytes pop(rte_ring *r) { return pop_frame(r).value_or(bytes{}); }

	uint32_t send(ring::command c) {
		c.hdr.seq = ++seq_;
		EXPECT_EQ(rte_ring_enqueue_elem(rt_->command_ring(), &c, sizeof(c)), 0);
		return c.hdr.seq;
	}

	ring::event next_event() {
		ring::event e{};
		EXPECT_TRUE(eventually([&] { return rte_ring_dequeue_elem(rt_->event_ring(), &e, sizeof(e)) == 0; }));
		return e;
	}

	ring::event completion(uint32_t seq) {
		for (;;) {
			ring::event e = next_event();
			if (e.hdr.seq == 0 && e.hdr.type == 0 && e.hdr.version == 0)
				return e; // timed out
			if (e.hdr.type == uint16_t(ring::event_type::completion) && e.hdr.seq == seq)
				return e;
		}
	}

	ring::status run(const ring::command &c) { return completion(send(c)).done.result; }

	static ring::command tunnel_cmd(ring::command_type t) {
		ring::command c = ring::make_command(t, 0);
		c.tunnel.version = 2;
		c.tunnel.enc = ring::encap::udp;
		c.tunnel.port = p_.acc;
		c.tunnel.local_tunnel_id = 10;
		c.tunnel.peer_tunnel_id = 30;
		c.tunnel.local_udp_port = 1701;
		c.tunnel.peer_udp_port = 1702;
		c.tunnel.local.family = c.tunnel.peer.family = 4;
		std::memcpy(c.tunnel.local.bytes, acc_ip, 4);
		std::memcpy(c.tunnel.peer.bytes, peer_ip, 4);
		return c;
	}

	static ring::command session_cmd(ring::command_type t, uint16_t sid = 20) {
		ring::command c = ring::make_command(t, 0);
		auto &s = c.session;
		s.version = 2;
		s.enc = ring::encap::udp;
		s.pw_type = ring::pw::ppp;
		s.local_tunnel_id = 10;
		s.local_session_id = sid;
		s.peer_tunnel_id = 30;
		s.peer_session_id = 40;
		s.access_port = p_.acc;
		s.local_udp_port = 1701;
		s.peer_udp_port = 1702;
		s.local.family = s.peer.family = 4;
		std::memcpy(s.local.bytes, acc_ip, 4);
		std::memcpy(s.peer.bytes, peer_ip, 4);
		std::memcpy(s.subscriber_v4, sub_ip, 4);
		return c;
	}

	static bytes downstream_packet() {
		return eth(rt_->port_by_id(p_.core)->mac, gw_mac, 0x0800, ipv4(inet_ip, sub_ip, 17, udp(53, 4000, bytes(20, 0xab))));
	}

	static bytes upstream_packet() {
		bytes l2tp{0x00, 0x02, 0x00, 10, 0x00, 20, 0xff, 0x03, 0x00, 0x21};
		const bytes inner = ipv4(sub_ip, inet_ip, 17, udp(4000, 53, bytes(10, 0xcd)));
		l2tp.insert(l2tp.end(), inner.begin(), inner.end());
		return eth(rt_->port_by_id(p_.acc)->mac, peer_mac, 0x0800, ipv4(peer_ip, acc_ip, 17, udp(1702, 1701, l2tp)));
	}

	static dp::path_counters counters() {
		dp::path_counters s{};
		for (const dp::worker *w : rt_->workers())
			for (size_t i = 0; i < dp::drop_reason_count; i++)
				s.drop[i] += __atomic_load_n(&w->counters.drop[i], __ATOMIC_RELAXED);
		return s;
	}

	static inline ports_fixture p_{};
	static inline dp::runtime *rt_ = nullptr;
	static inline rte_mempool *pool_ = nullptr;
	static inline std::thread thread_;
	uint32_t seq_ = 0;
};

TEST_F(runtime_test, hello_answers_ready_then_ok) {
	const uint32_t s = send(ring::make_command(ring::command_type::hello, 0));
	ring::event e = next_event();
	ASSERT_EQ(e.hdr.type, uint16_t(ring::event_type::ready));
	EXPECT_EQ(e.hdr.seq, s);
	EXPECT_EQ(e.ready.session_capacity, 1024u);
	EXPECT_EQ(e.ready.session_mask, 1023u);
	EXPECT_EQ(e.ready.l2tp_udp_port, 1701);
	EXPECT_EQ(e.ready.boot_id, rt_->boot_id());
	EXPECT_EQ(completion(s).done.result, ring::status::ok);
}

TEST_F(runtime_test, command_errors_are_typed) {
	ring::command c = ring::make_command(ring::command_type::nop, 0);
	c.hdr.version = 99;
	EXPECT_EQ(run(c), ring::status::bad_version);
	c = ring::make_command(ring::command_type::nop, 0);
	c.hdr.type = 999;
	EXPECT_EQ(run(c), ring::status::bad_command);
	// Session for a tunnel that is not installed.
	EXPECT_EQ(run(session_cmd(ring::command_type::add_session)), ring::status::not_found);
	ring::command g = ring::make_command(ring::command_type::get_session_counters, 0);
	g.ref = {2, {}, 10, 20};
	EXPECT_EQ(run(g), ring::status::not_found);
	ring::command t = tunnel_cmd(ring::command_type::add_tunnel);
	t.tunnel.port = p_.acc + 7; // no such port
	EXPECT_EQ(run(t), ring::status::no_port);
	ring::command s = session_cmd(ring::command_type::add_session);
	s.session.cookie_len = 4; // v2 has no cookies
	ASSERT_EQ(run(tunnel_cmd(ring::command_type::add_tunnel)), ring::status::ok);
	EXPECT_EQ(run(s), ring::status::bad_argument);
	EXPECT_EQ(run(tunnel_cmd(ring::command_type::add_tunnel)), ring::status::exists);
	// Two sessions whose IDs map to one index: (10 << 16 | 20) and (10 << 16 | 20 + 1024).
	ASSERT_EQ(run(session_cmd(ring::command_type::add_session, 20)), ring::status::ok);
	EXPECT_EQ(run(session_cmd(ring::command_type::add_session, 20)), ring::status::exists);
	EXPECT_EQ(run(session_cmd(ring::command_type::add_session, 20 + 1024)), ring::status::index_busy);
	EXPECT_EQ(run(tunnel_cmd(ring::command_type::remove_tunnel)), ring::status::in_use);
	EXPECT_EQ(run(session_cmd(ring::command_type::remove_session, 20)), ring::status::ok);
	EXPECT_EQ(run(tunnel_cmd(ring::command_type::remove_tunnel)), ring::status::ok);
	EXPECT_EQ(run(tunnel_cmd(ring::command_type::remove_tunnel)), ring::status::not_found);
}

TEST_F(runtime_test, session_lifecycle_with_arp_and_traffic) {
	ASSERT_EQ(run(tunnel_cmd(ring::command_type::add_tunnel)), ring::status::ok);
	const uint32_t s = send(session_cmd(ring::command_type::add_session));
	const ring::event done = completion(s);
	ASSERT_EQ(done.done.result, ring::status::ok) << done.done.detail;
	const uint32_t idx = done.done.index;
	EXPECT_EQ(idx, ((10u << 16) | 20u) & 1023u);
	// The peer's MAC is unknown: the dataplane asks for it.
	bytes req = pop(p_.acc_tx);
	ASSERT_EQ(req.size(), 42u);
	EXPECT_EQ(req[12], 0x08);
	EXPECT_EQ(req[13], 0x06);
	EXPECT_EQ(req[21], 1); // request
	EXPECT_EQ(std::memcmp(&req[38], peer_ip, 4), 0);
	// The peer asks for us: we answer, learn it, and the session comes up.
	const uint8_t zero[6] = {};
	push(p_.acc_rx, eth(req.data() + 6 /* to our MAC */, peer_mac, 0x0806,
	                    arp(1, peer_mac, peer_ip, zero, acc_ip)));
	bytes rep = pop_not_arp_request(p_.acc_tx);
	ASSERT_EQ(rep.size(), 42u);
	EXPECT_EQ(rep[21], 2); // reply
	EXPECT_EQ(std::memcmp(&rep[0], peer_mac, 6), 0);
	EXPECT_EQ(std::memcmp(&rep[28], acc_ip, 4), 0);
	ASSERT_TRUE(eventually([&] {
		std::lock_guard l(rt_->tbl().mutex());
		const auto *sh = rt_->tbl().shadow(idx);
		return sh && !sh->waiting_neighbour;
	}));

	// Downstream: core -> L2TPv2 towards the peer.
	push(p_.core_rx, downstream_packet());
	bytes out = pop_not_arp_request(p_.acc_tx);
	ASSERT_GE(out.size(), 14u + 20 + 8 + 6);
	EXPECT_EQ(std::memcmp(&out[0], peer_mac, 6), 0);
	EXPECT_EQ(std::memcmp(&out[14 + 16], peer_ip, 4), 0);
	EXPECT_EQ(out[14 + 9], 17);
	EXPECT_EQ(out[14 + 20 + 2] << 8 | out[14 + 20 + 3], 1702); // peer UDP port
	const size_t l2tp = 14 + 20 + 8;
	const size_t ids = l2tp + ((out[l2tp] & 0x40) ? 4 : 2) + ((out[l2tp] & 0x08) ? 0 : 0);
	EXPECT_EQ(out[ids] << 8 | out[ids + 1], 30);     // peer tunnel
	EXPECT_EQ(out[ids + 2] << 8 | out[ids + 3], 40); // peer session

	// Upstream: L2TPv2 from the peer -> inner IPv4 to the core gateway.
	push(p_.acc_rx, upstream_packet());
	bytes up = pop(p_.core_tx);
	ASSERT_GE(up.size(), 34u);
	EXPECT_EQ(std::memcmp(&up[0], gw_mac, 6), 0);
	EXPECT_EQ(std::memcmp(&up[14 + 16], inet_ip, 4), 0);

	ring::command g = ring::make_command(ring::command_type::get_session_counters, 0);
	g.ref = {2, {}, 10, 20};
	const uint32_t gs = send(g);
	ring::event ce = next_event();
	ASSERT_EQ(ce.hdr.type, uint16_t(ring::event_type::session_counters));
	EXPECT_EQ(ce.hdr.seq, gs);
	EXPECT_EQ(ce.counters.tx_packets, 1u);
	EXPECT_EQ(ce.counters.rx_packets, 1u);
	EXPECT_EQ(completion(gs).done.result, ring::status::ok);

	// Modify in place (new peer session ID): the next packet carries it.
	ring::command mod = session_cmd(ring::command_type::modify_session);
	mod.session.peer_session_id = 41;
	ASSERT_EQ(run(mod), ring::status::ok);
	push(p_.core_rx, downstream_packet());
	bytes out2 = pop_not_arp_request(p_.acc_tx);
	ASSERT_EQ(out2.size(), out.size());
	EXPECT_EQ(out2[ids + 2] << 8 | out2[ids + 3], 41);

	// Dump for a restarted control plane: one entry, then ok with the count.
	ring::command d = ring::make_command(ring::command_type::dump_sessions, 0);
	const uint32_t ds = send(d);
	ring::event de = next_event();
	ASSERT_EQ(de.hdr.type, uint16_t(ring::event_type::session_entry));
	EXPECT_EQ(de.entry.index, idx);
	EXPECT_EQ(de.entry.params.peer_session_id, 41u);
	ring::event dd = completion(ds);
	EXPECT_EQ(dd.done.result, ring::status::ok);
	EXPECT_EQ(dd.done.index, 1u);

	// The tunnel's counters are its sessions', also once a session is gone.
	const auto tunnel_counters = [] {
		std::lock_guard l(rt_->tbl().mutex());
		uint32_t ti = UINT32_MAX;
		rt_->tbl().for_each_tunnel([&](uint32_t i, const dp::tunnel_shadow &t) {
			if (t.params.local_tunnel_id == 10)
				ti = i;
		});
		return ti == UINT32_MAX ? dp::session_stats{~0ull, 0, 0, 0} : rt_->tbl().tunnel_stats(ti);
	};
	dp::session_stats ts = tunnel_counters();
	EXPECT_EQ(ts.rx_packets, 1u);
	EXPECT_EQ(ts.tx_packets, 2u);

	// Remove: final counters, then the route is gone (no_route).
	const uint32_t rs = send(session_cmd(ring::command_type::remove_session));
	ring::event fe = next_event();
	ASSERT_EQ(fe.hdr.type, uint16_t(ring::event_type::session_counters));
	EXPECT_EQ(fe.counters.rx_packets, 1u);
	EXPECT_EQ(fe.counters.tx_packets, 2u); // modify keeps the counters
	EXPECT_EQ(completion(rs).done.result, ring::status::ok);
	ts = tunnel_counters();
	EXPECT_EQ(ts.rx_packets, 1u) << "a removed session's counters stay in its tunnel's";
	EXPECT_EQ(ts.tx_packets, 2u);
	EXPECT_EQ(ts.tx_bytes, fe.counters.tx_bytes);
	ring::command mt = tunnel_cmd(ring::command_type::modify_tunnel);
	mt.tunnel.peer_udp_port = 1703;
	ASSERT_EQ(run(mt), ring::status::ok);
	ts = tunnel_counters();
	EXPECT_EQ(ts.rx_packets, 1u) << "modifying the tunnel keeps its removed sessions' counters";
	EXPECT_EQ(ts.tx_packets, 2u);
	const uint64_t before = counters()[dp::drop_reason::no_route];
	push(p_.core_rx, downstream_packet());
	EXPECT_TRUE(eventually([&] { return counters()[dp::drop_reason::no_route] == before + 1; }));
	EXPECT_EQ(rte_ring_count(p_.acc_tx), 0u);
	EXPECT_EQ(run(tunnel_cmd(ring::command_type::remove_tunnel)), ring::status::ok);
}

TEST_F(runtime_test, answers_ping_to_own_address) {
	bytes icmp{8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
	const uint16_t c = csum(icmp.data(), icmp.size());
	icmp[2] = uint8_t(c >> 8);
	icmp[3] = uint8_t(c);
	push(p_.acc_rx, eth(rt_->port_by_id(p_.acc)->mac, peer_mac, 0x0800, ipv4(peer_ip, acc_ip, 1, icmp)));
	bytes r = pop_not_arp_request(p_.acc_tx);
	ASSERT_EQ(r.size(), 14u + 20 + icmp.size());
	EXPECT_EQ(std::memcmp(&r[0], peer_mac, 6), 0);
	EXPECT_EQ(std::memcmp(&r[14 + 12], acc_ip, 4), 0);
	EXPECT_EQ(std::memcmp(&r[14 + 16], peer_ip, 4), 0);
	EXPECT_EQ(csum(&r[14], 20), 0); // valid IPv4 header checksum
	EXPECT_EQ(r[34], 0);            // echo reply
	EXPECT_EQ(csum(&r[34], icmp.size()), 0);
	EXPECT_EQ(std::memcmp(&r[34 + 4], &icmp[4], icmp.size() - 4), 0);
}

// ICMPv6 checksum over the pseudo-header and the message.
uint16_t icmp6_csum(const uint8_t *src, const uint8_t *dst, const bytes &msg) {
	bytes ph(src, src + 16);
	ph.insert(ph.end(), dst, dst + 16);
	const uint32_t len = uint32_t(msg.size());
	const uint8_t tail[8] = {uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len), 0, 0, 0, 58};
	ph.insert(ph.end(), tail, tail + 8);
	ph.insert(ph.end(), msg.begin(), msg.end());
	return csum(ph.data(), ph.size());
}

TEST_F(runtime_test, answers_neighbour_solicitation_and_learns) {
	const uint8_t ours[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const uint8_t peer6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	const uint8_t snm[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1};
	const uint8_t snm_mac[6] = {0x33, 0x33, 0xff, 0, 0, 1};
	bytes ns{135, 0, 0, 0, 0, 0, 0, 0};
	ns.insert(ns.end(), ours, ours + 16);
	ns.push_back(1); // source link-layer address option
	ns.push_back(1);
	ns.insert(ns.end(), peer_mac, peer_mac + 6);
	const uint16_t c = icmp6_csum(peer6, snm, ns);
	ns[2] = uint8_t(c >> 8);
	ns[3] = uint8_t(c);
	bytes ip6{0x60, 0, 0, 0, uint8_t(ns.size() >> 8), uint8_t(ns.size()), 58, 255};
	ip6.insert(ip6.end(), peer6, peer6 + 16);
	ip6.insert(ip6.end(), snm, snm + 16);
	ip6.insert(ip6.end(), ns.begin(), ns.end());
	push(p_.acc_rx, eth(snm_mac, peer_mac, 0x86dd, ip6));
	bytes na = pop_not_arp_request(p_.acc_tx);
	ASSERT_EQ(na.size(), 14u + 40 + 32);
	EXPECT_EQ(std::memcmp(&na[0], peer_mac, 6), 0);
	EXPECT_EQ(na[12] << 8 | na[13], 0x86dd);
	EXPECT_EQ(na[14 + 7], 255); // hop limit
	EXPECT_EQ(std::memcmp(&na[14 + 8], ours, 16), 0);
	EXPECT_EQ(std::memcmp(&na[14 + 24], peer6, 16), 0);
	const bytes msg(na.begin() + 54, na.end());
	EXPECT_EQ(msg[0], 136);
	EXPECT_EQ(msg[4], 0x60); // solicited + override
	EXPECT_EQ(std::memcmp(&msg[8], ours, 16), 0);
	EXPECT_EQ(msg[24], 2); // target link-layer address
	EXPECT_EQ(std::memcmp(&msg[26], rt_->port_by_id(p_.acc)->mac, 6), 0);
	EXPECT_EQ(icmp6_csum(ours, peer6, msg), 0);
	// The solicitor was learned.
	bool learned = false;
	{
		std::lock_guard l(rt_->tbl().mutex());
		rt_->neigh().for_each([&](const dp::neighbours::entry &e) {
			learned |= e.family == 6 && std::memcmp(e.addr, peer6, 16) == 0 && std::memcmp(e.mac, peer_mac, 6) == 0;
		});
	}
	EXPECT_TRUE(learned);
	// A solicitation with a bad checksum is counted, not answered.
	bytes bad = eth(snm_mac, peer_mac, 0x86dd, ip6);
	bad.back() ^= 1;
	const uint64_t before = rt_->neigh().bad_nd;
	push(p_.acc_rx, bad);
	EXPECT_TRUE(eventually([&] {
		std::lock_guard l(rt_->tbl().mutex());
		return rt_->neigh().bad_nd == before + 1;
	}));
}

TEST_F(runtime_test, install_and_remove_while_traffic_flows) {
	ring::command n = ring::make_command(ring::command_type::add_neighbour, 0);
	n.neighbour.port = p_.acc;
	std::memcpy(n.neighbour.mac, peer_mac, 6);
	n.neighbour.address.family = 4;
	std::memcpy(n.neighbour.address.bytes, peer_ip, 4);
	ASSERT_EQ(run(n), ring::status::ok);
	ASSERT_EQ(run(tunnel_cmd(ring::command_type::add_tunnel)), ring::status::ok);

	auto sum = [] {
		dp::path_counters c{};
		for (const dp::worker *w : rt_->workers())
			for (size_t i = 0; i < dp::path_event_count; i++)
				c.event[i] += __atomic_load_n(&w->counters.event[i], __ATOMIC_RELAXED);
		for (const dp::worker *w : rt_->workers())
			for (size_t i = 0; i < dp::drop_reason_count; i++)
				c.drop[i] += __atomic_load_n(&w->counters.drop[i], __ATOMIC_RELAXED);
		return c;
	};
	const dp::path_counters before = sum();
	constexpr uint64_t total = 20000;
	std::atomic<bool> done{false};
	uint64_t received = 0;
	auto collect = [&] {
		void *o;
		while (rte_ring_dequeue(p_.acc_tx, &o) == 0) {
			rte_pktmbuf_free(static_cast<rte_mbuf *>(o));
			received++;
		}
	};
	std::thread traffic([&] {
		const bytes pkt = downstream_packet();
		uint64_t sent = 0;
		while (sent < total) {
			rte_mbuf *m = rte_ring_count(p_.core_rx) > 2048 ? nullptr : rte_pktmbuf_alloc(pool_);
			if (m) {
				std::memcpy(rte_pktmbuf_append(m, uint16_t(pkt.size())), pkt.data(), pkt.size());
				if (rte_ring_enqueue(p_.core_rx, m) == 0)
					sent++;
				else
					rte_pktmbuf_free(m);
			}
			collect();
		}
		done = true;
	});
	unsigned cycles = 0;
	while (!done) {
		ASSERT_EQ(run(session_cmd(ring::command_type::add_session)), ring::status::ok);
		ASSERT_EQ(run(session_cmd(ring::command_type::remove_session)), ring::status::ok);
		cycles++;
	}
	traffic.join();
	// Every packet was received, and either encapsulated and sent, or dropped with a reason.
	ASSERT_TRUE(eventually([&] {
		collect();
		return sum()[dp::path_event::rx_core] - before[dp::path_event::rx_core] == total && rte_ring_count(p_.core_rx) == 0;
	}));
	usleep(10000);
	collect();
	const dp::path_counters after = sum();
	const uint64_t tx = after[dp::path_event::tx] - before[dp::path_event::tx];
	const uint64_t tx_full = after[dp::drop_reason::tx_full] - before[dp::drop_reason::tx_full];
	const uint64_t drops = after.total_drops() - before.total_drops();
	EXPECT_EQ(tx + drops - tx_full, total);
	EXPECT_EQ(received + tx_full, tx);
	std::printf("%u install/remove cycles; %lu of %lu packets encapsulated, %lu dropped\n", cycles,
	            static_cast<unsigned long>(tx), static_cast<unsigned long>(total), static_cast<unsigned long>(drops));
	EXPECT_GT(cycles, 0u);
	EXPECT_EQ(run(tunnel_cmd(ring::command_type::remove_tunnel)), ring::status::ok);
	ring::command rn = n;
	rn.hdr.type = uint16_t(ring::command_type::remove_neighbour);
	EXPECT_EQ(run(rn), ring::status::ok);
}

// Commands sent back to back are dequeued in bursts (command_drain): every command is
// answered, and the events come in command order, also around a command the runtime
// handles itself (hello) and one with a bad abi_version.
TEST_F(runtime_test, burst_of_commands_answered_in_order) {
	ASSERT_EQ(run(tunnel_cmd(ring::command_type::add_tunnel)), ring::status::ok);
	std::vector<uint32_t> seqs;
	uint32_t hello_seq = 0, bad_seq = 0;
	for (uint16_t sid = 1; sid <= 100; sid++) {
		ring::command c = session_cmd(ring::command_type::add_session, sid);
		c.session.subscriber_v4[3] = uint8_t(sid); // 100.64.0.<sid>: one /32 each
		seqs.push_back(send(c));
		if (sid == 40) {
			hello_seq = send(ring::make_command(ring::command_type::hello, 0));
			seqs.push_back(hello_seq);
		}
		if (sid == 70) {
			ring::command b = ring::make_command(ring::command_type::nop, 0);
			b.hdr.version = 77;
			bad_seq = send(b);
			seqs.push_back(bad_seq);
		}
	}
	size_t next = 0;
	bool ready_seen = false;
	while (next < seqs.size()) {
		const ring::event e = next_event();
		ASSERT_EQ(e.hdr.version, ring::abi_version) << "no event after completion " << next;
		if (e.hdr.type == uint16_t(ring::event_type::ready)) {
			EXPECT_EQ(e.hdr.seq, hello_seq);
			EXPECT_EQ(seqs[next], hello_seq) << "ready comes right before the hello's completion";
			ready_seen = true;
			continue;
		}
		ASSERT_EQ(e.hdr.type, uint16_t(ring::event_type::completion));
		ASSERT_EQ(e.hdr.seq, seqs[next]) << "completion " << next << " out of order";
		if (e.hdr.seq == bad_seq) {
			EXPECT_EQ(e.done.result, ring::status::bad_version);
			EXPECT_NE(std::string(e.done.detail).find("abi_version 77"), std::string::npos) << e.done.detail;
		} else {
			EXPECT_EQ(e.done.result, ring::status::ok) << e.done.detail;
		}
		next++;
	}
	EXPECT_TRUE(ready_seen);
	EXPECT_EQ(rt_->tbl().session_count(), 100u);
	// A failure's detail reaches the control plane (truncated to the field, NUL-terminated).
	ring::command dup = session_cmd(ring::command_type::add_session, 1);
	const ring::event e = completion(send(dup));
	EXPECT_EQ(e.done.result, ring::status::exists);
	EXPECT_STREQ(e.done.detail, "session exists");
}

// A second set of tables for tests that call the writer directly: its own RCU variable with
// one reader slot (no reader online until a test registers one), port 0 an access port.
struct own_tables {
	rte_rcu_qsbr *rcu = nullptr;
	std::unique_ptr<dp::tables> tb;
	explicit own_tables(const char *name) {
		cfg::config c;
		c.dataplane.session_capacity = 1024;
		c.dataplane.tunnel_capacity = 16;
		c.dataplane.route_capacity = 64;
		rcu = static_cast<rte_rcu_qsbr *>(rte_zmalloc(name, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE));
		if (!rcu || rte_rcu_qsbr_init(rcu, 1) != 0)
			return;
		auto t = std::make_unique<dp::tables>();
		std::string err;
		if (!t->init(c, rcu, RTE_QSBR_THRID_INVALID, err)) {
			ADD_FAILURE() << err;
			return;
		}
		t->mutable_view().ports[0].role = dp::port_role::access;
		tb = std::move(t);
	}
	~own_tables() {
		tb.reset(); // before its RCU variable
		rte_free(rcu);
	}
};

// Tunnels on their own local UDP port, static or through the ring, register that port with
// the paths for as long as one tunnel uses it (is_l2tp_udp_port(): the general path then
// takes L2TP there, V3OnAStaticTunnelsOwnUdpPort in dp_path shows the decapsulation).
TEST_F(runtime_test, tables_register_tunnel_udp_ports) {
	own_tables o("test_rcu_ports"); // no reader online: grace periods end at once
	ASSERT_TRUE(o.tb);
	dp::tables *tb = o.tb.get();
	const auto tunnel = [](uint32_t id, uint16_t port, ring::encap enc = ring::encap::udp) {
		ring::tunnel_params t{};
		t.version = 3;
		t.enc = enc;
		t.local_tunnel_id = id;
		t.peer_tunnel_id = id;
		t.local_udp_port = enc == ring::encap::udp ? port : 0;
		t.peer_udp_port = t.local_udp_port;
		t.local.family = t.peer.family = 4;
		std::memcpy(t.local.bytes, acc_ip, 4);
		std::memcpy(t.peer.bytes, peer_ip, 4);
		return t;
	};
	const dp::tables_view &v = tb->view();
	EXPECT_TRUE(v.is_l2tp_udp_port(1701));
	EXPECT_FALSE(v.is_l2tp_udp_port(5000));
	ASSERT_EQ(tb->add_tunnel(tunnel(1, 5000)).st, ring::status::ok);
	ASSERT_EQ(tb->add_tunnel(tunnel(2, 5000)).st, ring::status::ok);
	ASSERT_EQ(tb->add_tunnel(tunnel(3, 1701)).st, ring::status::ok);
	ASSERT_EQ(tb->add_tunnel(tunnel(4, 0, ring::encap::ip)).st, ring::status::ok);
	ASSERT_EQ(tb->add_tunnel(tunnel(5, 5000), true).st, ring::status::ok); // static
	EXPECT_TRUE(v.is_l2tp_udp_port(5000));
	EXPECT_FALSE(v.is_l2tp_udp_port(5001));
	EXPECT_FALSE(v.is_l2tp_udp_port(0));
	// The port stays while any tunnel uses it.
	ASSERT_EQ(tb->remove_tunnel(tunnel(1, 5000)).st, ring::status::ok);
	EXPECT_TRUE(v.is_l2tp_udp_port(5000));
	ASSERT_EQ(tb->modify_tunnel(tunnel(2, 5001)).st, ring::status::ok);
	EXPECT_TRUE(v.is_l2tp_udp_port(5000)); // still the static tunnel's
	EXPECT_TRUE(v.is_l2tp_udp_port(5001));
	ASSERT_EQ(tb->modify_tunnel(tunnel(2, 5001)).st, ring::status::ok); // same port again
	EXPECT_TRUE(v.is_l2tp_udp_port(5001));
	EXPECT_EQ(tb->flush_managed(), 0u); // the managed tunnels go, the static one stays
	EXPECT_FALSE(v.is_l2tp_udp_port(5001));
	EXPECT_TRUE(v.is_l2tp_udp_port(5000));
	EXPECT_TRUE(v.is_l2tp_udp_port(1701));
	// A failed add registers nothing.
	EXPECT_EQ(tb->add_tunnel(tunnel(5, 6000)).st, ring::status::exists);
	EXPECT_FALSE(v.is_l2tp_udp_port(6000));
}

// A second set of tables with its own RCU variable and one reader that is online and never
// reports a quiescent state (a worker stuck inside a burst): installing into a free slot
// must not wait for it; removing must (the reader may still hold the record), and the slot
// is reusable only after the reader has reported.
TEST_F(runtime_test, tables_install_into_free_slot_does_not_wait_removal_does) {
	own_tables o("test_rcu_blocked");
	ASSERT_TRUE(o.tb);
	dp::tables *tb = o.tb.get();
	rte_rcu_qsbr *rcu = o.rcu;
	ASSERT_EQ(rte_rcu_qsbr_thread_register(rcu, 0), 0);
	rte_rcu_qsbr_thread_online(rcu, 0); // the blocked reader: never quiescent until told

	dp::next_hop_resolver res;
	res.resolve = [](uint16_t, uint8_t, const uint8_t *, uint8_t mac[6]) {
		std::memcpy(mac, peer_mac, 6);
		return true;
	};
	res.port_mac = [](uint16_t, uint8_t mac[6]) { std::memset(mac, 0x02, 6); };
	tb->set_resolver(std::move(res));

	ring::tunnel_params t{};
	t.version = 2;
	t.enc = ring::encap::udp;
	t.port = 0;
	t.local_tunnel_id = 10;
	t.peer_tunnel_id = 30;
	t.local_udp_port = t.peer_udp_port = 1701;
	t.local.family = t.peer.family = 4;
	std::memcpy(t.local.bytes, acc_ip, 4);
	std::memcpy(t.peer.bytes, peer_ip, 4);
	ring::session_params s{};
	s.version = 2;
	s.enc = ring::encap::udp;
	s.pw_type = ring::pw::ppp;
	s.local_tunnel_id = 10;
	s.local_session_id = 20;
	s.peer_tunnel_id = 30;
	s.peer_session_id = 40;
	s.access_port = 0;
	s.local_udp_port = s.peer_udp_port = 1701;
	s.local = t.local;
	s.peer = t.peer;
	std::memcpy(s.subscriber_v4, sub_ip, 4);

	// Installs run on another thread so that a wrong wait shows as a failure, not a hang.
	const auto on_thread = [rcu](auto &&f) {
		std::atomic<bool> done{false};
		std::thread th([&] {
			f();
			done.store(true);
		});
		const bool finished = eventually([&] { return done.load(); });
		if (!finished)
			rte_rcu_qsbr_quiescent(rcu, 0); // unblock the writer before joining
		th.join();
		return finished;
	};
	dp::op_result r;
	ASSERT_TRUE(on_thread([&] { r = tb->add_tunnel(t); }));
	ASSERT_EQ(r.st, ring::status::ok) << r.detail;
	ASSERT_TRUE(on_thread([&] { r = tb->add_session(s); })) << "an install into a free slot waited for the reader";
	ASSERT_EQ(r.st, ring::status::ok) << r.detail;
	const uint32_t idx = r.index;
	const dp::session &rec = tb->view().sessions[idx];
	EXPECT_EQ(__atomic_load_n(&rec.state, __ATOMIC_ACQUIRE), dp::session_state::up);

	// Removal: the record goes down at once, then the writer waits for the reader. The
	// remover thread is joined before any assertion can return.
	std::atomic<bool> removed{false};
	dp::op_result rr;
	std::thread remover([&] {
		rr = tb->remove_session({2, {}, 10, 20});
		removed.store(true);
	});
	const bool went_down = eventually([&] {
		return removed.load() || __atomic_load_n(&rec.state, __ATOMIC_ACQUIRE) == dp::session_state::down;
	});
	// Down, and the reader has not reported: synchronize cannot have returned.
	const bool waited = !removed.load();
	const bool still_held = __atomic_load_n(&rec.state, __ATOMIC_ACQUIRE) != dp::session_state::free;
	rte_rcu_qsbr_quiescent(rcu, 0); // the reader leaves its burst
	const bool finished = eventually([&] { return removed.load(); });
	remover.join();
	EXPECT_TRUE(went_down);
	EXPECT_TRUE(waited) << "removal did not wait for the grace period";
	EXPECT_TRUE(still_held) << "slot freed before the reader reported";
	ASSERT_TRUE(finished);
	EXPECT_EQ(rr.st, ring::status::ok) << rr.detail;
	EXPECT_EQ(__atomic_load_n(&rec.state, __ATOMIC_ACQUIRE), dp::session_state::free);

	// The slot is free again: reinstalling does not wait, although the reader is still
	// online and has not reported since.
	ASSERT_TRUE(on_thread([&] { r = tb->add_session(s); }));
	EXPECT_EQ(r.st, ring::status::ok) << r.detail;
	EXPECT_EQ(r.index, idx);

	rte_rcu_qsbr_thread_offline(rcu, 0);
	rte_rcu_qsbr_thread_unregister(rcu, 0);
}

} // namespace
