// The packet paths' hooks to the main lcore, end to end inside one process: EAL with
// --no-huge, two net_ring ports (access, core; MTU 1400 both) that this test reads and
// writes, the runtime's control loop on a thread, the test acting as the control plane.
//   - ICMP errors (docs/dataplane.md, "ICMP errors"): over-TTL and too-big packets in both
//     directions come back as Time Exceeded / Fragmentation Needed / ICMPv6 Time Exceeded /
//     Packet Too Big, upstream down the subscriber's own L2TP session, downstream out of the
//     core port to the source's next hop; the drop counters still count.
//   - Glean: the first packet to an unresolved on-link host of a core port sends an ARP
//     request at once (one per target), and traffic flows as soon as the host answers.
//   - Reorder buffer through the worker loop (real TSC): out-of-order packets of a session
//     with a reorder timeout leave in order; a gap that never fills is skipped.
#include "dataplane/frame_builders_test_util.hpp"
#include "dataplane/runtime.hpp"
#include "shared/config/config_loader.hpp"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace l2tpx;

namespace {

using namespace dp::test_util;

const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0x01, 0xfe};
const uint8_t host_mac[6] = {0x02, 0, 0, 0, 0x01, 0x09};
const uint8_t acc_ip[4] = {192, 0, 2, 1}, peer_ip[4] = {192, 0, 2, 2}, core_ip[4] = {198, 51, 100, 1};
const uint8_t sub_ip[4] = {100, 64, 0, 7}, inet_ip[4] = {8, 8, 8, 8}, host_ip[4] = {198, 51, 100, 9};
const uint8_t acc_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const uint8_t core_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const uint8_t sub_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
const uint8_t inet_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr uint16_t mtu = 1400;
constexpr uint16_t overhead = 20 + 8 + 6 + 4; // IPv4 + UDP + L2TPv2 + FF03 + PPP protocol

uint16_t be16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }

bool is_arp(const bytes &b) { return b.size() >= 42 && b[12] == 0x08 && b[13] == 0x06; }
// install_session()'s probes (downstream, 8 bytes of 0xee): with worker lcores some are
// still in flight when the session is seen up, so readers skip them.
const bytes probe_payload(8, 0xee);
bool is_probe(const bytes &b) {
	return b.size() > 8 && std::equal(b.end() - 8, b.end(), probe_payload.begin());
}

class path_hooks_test : public ::testing::Test {
protected:
	static void SetUpTestSuite() {
		// With L2TPX_TEST_WORKERS: main + 2 workers as threads on the CPUs we have.
		ASSERT_GE(eal_start("path_hooks_test", "l2tpx-dppath-icmp-"), 0);
		const std::string workers = worker_lcores_line();
		const int a = ring_port("ig_acc_rx", "ig_acc_tx", "igacc", acc_rx_, acc_tx_);
		const int c = ring_port("ig_core_rx", "ig_core_tx", "igcore", core_rx_, core_tx_);
		ASSERT_GE(a, 0);
		ASSERT_GE(c, 0);
		acc_ = uint16_t(a);
		core_ = uint16_t(c);
		auto conf = cfg::load_string("[dataplane]\n" + workers + R"(
mbuf_pool_size = 4095
mbuf_cache_size = 32
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
idle_spin_polls = 64
idle_max_sleep_us = 100
[[port]]
name = "acc"
devargs = "net_ring_igacc"
role = "access"
mtu = 1400
mac = "02:00:00:00:00:a1"
addresses = ["192.0.2.1/24", "2001:db8:1::1/64"]
[[port]]
name = "core"
devargs = "net_ring_igcore"
role = "core"
mtu = 1400
mac = "02:00:00:00:00:c1"
addresses = ["198.51.100.1/24", "2001:db8:c::1/64"]
gateway = "198.51.100.254"
gateway6 = "2001:db8:c::fe"
neighbours = [{ address = "198.51.100.254", mac = "02:00:00:00:01:fe" },
              { address = "2001:db8:c::fe", mac = "02:00:00:00:01:fe" }]
)");
		ASSERT_TRUE(conf) << conf.error().to_string();
		ASSERT_NO_FATAL_FAILURE(start_runtime(rt_, thread_, *conf));
	}

	static void TearDownTestSuite() {
		stop_runtime(rt_, thread_);
	}

	void SetUp() override {
		ASSERT_NE(rt_, nullptr);
		drain(acc_tx_);
		drain(core_tx_);
		drain_events(*rt_);
		ASSERT_EQ(run(ring::make_command(ring::command_type::flush_sessions, 0)), ring::status::ok);
	}

	static void push(rte_ring *r, const bytes &b) { dp::test_util::push(rt_->pool(), r, b); }
	// Next frame sent on a port ring, ARP skipped unless asked for; empty when none comes.
	static bytes pop(rte_ring *r, bool want_arp = false) {
		for (;;) {
			std::optional<bytes> b = pop_frame(r);
			if (!b)
				return {};
			if (is_arp(*b) == want_arp && !is_probe(*b))
				return *b;
		}
	}

	ring::status run(ring::command c) {
		c.hdr.seq = ++seq_;
		EXPECT_EQ(rte_ring_enqueue_elem(rt_->command_ring(), &c, sizeof(c)), 0);
		for (;;) {
			ring::event e{};
			if (!eventually([&] { return rte_ring_dequeue_elem(rt_->event_ring(), &e, sizeof(e)) == 0; }))
				return ring::status::internal;
			if (e.hdr.type == uint16_t(ring::event_type::completion) && e.hdr.seq == c.hdr.seq)
				return e.done.result;
		}
	}

	// Tunnel 10 / session 20 (peer 30 / 40) for subscriber 100.64.0.7 and 2001:db8:100::/64,
	// up once the peer's MAC is learnt.
	void install_session(uint16_t reorder_timeout_ms = 0) {
		ring::command t = ring::make_command(ring::command_type::add_tunnel, 0);
		t.tunnel.version = 2;
		t.tunnel.enc = ring::encap::udp;
		t.tunnel.port = acc_;
		t.tunnel.local_tunnel_id = 10;
		t.tunnel.peer_tunnel_id = 30;
		t.tunnel.local_udp_port = 1701;
		t.tunnel.peer_udp_port = 1702;
		t.tunnel.local.family = t.tunnel.peer.family = 4;
		std::memcpy(t.tunnel.local.bytes, acc_ip, 4);
		std::memcpy(t.tunnel.peer.bytes, peer_ip, 4);
		ASSERT_EQ(run(t), ring::status::ok);
		ring::command c = ring::make_command(ring::command_type::add_session, 0);
		auto &s = c.session;
		s.version = 2;
		s.enc = ring::encap::udp;
		s.pw_type = ring::pw::ppp;
		s.local_tunnel_id = 10;
		s.local_session_id = 20;
		s.peer_tunnel_id = 30;
		s.peer_session_id = 40;
		s.access_port = acc_;
		s.local_udp_port = 1701;
		s.peer_udp_port = 1702;
		s.local.family = s.peer.family = 4;
		std::memcpy(s.local.bytes, acc_ip, 4);
		std::memcpy(s.peer.bytes, peer_ip, 4);
		std::memcpy(s.subscriber_v4, sub_ip, 4);
		std::memcpy(s.v6_prefix.addr, sub_ip6, 8);
		s.v6_prefix.length = 64;
		s.reorder_timeout_ms = reorder_timeout_ms;
		ASSERT_EQ(run(c), ring::status::ok);
		const uint8_t zero[6] = {};
		const uint8_t *acc_mac = rt_->port_by_id(acc_)->mac;
		push(acc_rx_, eth(acc_mac, peer_mac, 0x0806, arp(1, peer_mac, peer_ip, zero, acc_ip)));
		// The session is up when a downstream packet comes out encapsulated.
		bool up = false;
		for (int tries = 0; tries < 500 && !up; tries++) {
			push(core_rx_, downstream(ipv4(inet_ip, sub_ip, 17, udp(53, 4000, probe_payload))));
			void *m = nullptr;
			for (int i = 0; i < 100 && rte_ring_dequeue(acc_tx_, &m) != 0; i++)
				usleep(100);
			if (!m)
				continue;
			auto *mb = static_cast<rte_mbuf *>(m);
			const uint8_t *d = rte_pktmbuf_mtod(mb, const uint8_t *);
			up = rte_pktmbuf_data_len(mb) > 42 && !is_arp(bytes(d, d + 42));
			rte_pktmbuf_free(mb);
		}
		ASSERT_TRUE(up) << "session never came up";
		drain(acc_tx_);
	}

	// True when nothing but ARP and probes was sent on the ring (drains it).
	static bool quiet(rte_ring *r) {
		void *m;
		bool ok = true;
		while (rte_ring_dequeue(r, &m) == 0) {
			auto *mb = static_cast<rte_mbuf *>(m);
			const bytes b(rte_pktmbuf_mtod(mb, uint8_t *), rte_pktmbuf_mtod(mb, uint8_t *) + rte_pktmbuf_data_len(mb));
			rte_pktmbuf_free(mb);
			ok = ok && (is_arp(b) || is_probe(b));
		}
		return ok;
	}
	static bytes downstream(const bytes &ip) {
		return eth(rt_->port_by_id(core_)->mac, gw_mac, (ip[0] >> 4) == 6 ? 0x86dd : 0x0800, ip);
	}
	static bytes upstream(const bytes &ip, int ns = -1) {
		bytes l2tp{0x00, 0x02, 0x00, 10, 0x00, 20, 0xff, 0x03, 0x00, uint8_t((ip[0] >> 4) == 6 ? 0x57 : 0x21)};
		if (ns >= 0) { // S bit: Ns, Nr after the IDs
			l2tp[0] = 0x08;
			l2tp.insert(l2tp.begin() + 6, {uint8_t(ns >> 8), uint8_t(ns), 0, 0});
		}
		l2tp.insert(l2tp.end(), ip.begin(), ip.end());
		return eth(rt_->port_by_id(acc_)->mac, peer_mac, 0x0800, ipv4(peer_ip, acc_ip, 17, udp(1702, 1701, l2tp)));
	}
	// The inner IP packet of an L2TPv2 frame we sent to the peer (plain header, FF03).
	static bytes inner_of(const bytes &f) {
		const size_t l2tp = 14 + 20 + 8;
		if (f.size() < l2tp + 10 || f[12] != 0x08 || f[13] != 0x00 || std::memcmp(&f[14 + 16], peer_ip, 4) != 0)
			return {};
		EXPECT_EQ(be16(&f[l2tp + 2]), 30);
		EXPECT_EQ(be16(&f[l2tp + 4]), 40);
		return bytes(f.begin() + l2tp + 10, f.end());
	}

	static dp::path_counters counters() {
		dp::path_counters s{};
		for (const dp::worker *w : rt_->workers())
			for (size_t i = 0; i < dp::drop_reason_count; i++)
				s.drop[i] += __atomic_load_n(&w->counters.drop[i], __ATOMIC_RELAXED);
		return s;
	}
	static uint64_t sent() { return __atomic_load_n(&rt_->cstats.icmp_errors_sent, __ATOMIC_RELAXED); }

	// Checks an ICMPv4 error: from `src` to `dst`, type/code, the 4 bytes after the
	// checksum, and the quote = the start of `offending` as it was received.
	static void check_icmp4(const bytes &ip, const uint8_t *src, const uint8_t *dst, uint8_t type, uint8_t code,
	                        uint32_t word, const bytes &offending) {
		ASSERT_GE(ip.size(), 28u + 20);
		EXPECT_EQ(ip[0], 0x45);
		EXPECT_EQ(ip[9], 1);
		EXPECT_EQ(fold(sum16(ip.data(), 20)), 0) << "IPv4 header checksum";
		EXPECT_EQ(std::memcmp(&ip[12], src, 4), 0);
		EXPECT_EQ(std::memcmp(&ip[16], dst, 4), 0);
		const size_t len = be16(&ip[2]);
		ASSERT_LE(len, ip.size());
		EXPECT_LE(len, 576u);
		EXPECT_EQ(ip[20], type);
		EXPECT_EQ(ip[21], code);
		EXPECT_EQ(uint32_t(be16(&ip[24])) << 16 | be16(&ip[26]), word);
		EXPECT_EQ(fold(sum16(&ip[20], len - 20)), 0) << "ICMP checksum";
		const size_t quote = len - 28;
		ASSERT_LE(quote, offending.size());
		EXPECT_TRUE(std::equal(ip.begin() + 28, ip.begin() + long(len), offending.begin())) << "quote";
	}
	static void check_icmp6(const bytes &ip, const uint8_t *src, const uint8_t *dst, uint8_t type, uint32_t word,
	                        const bytes &offending) {
		ASSERT_GE(ip.size(), 48u + 40);
		EXPECT_EQ(ip[0] >> 4, 6);
		EXPECT_EQ(ip[6], 58);
		EXPECT_EQ(std::memcmp(&ip[8], src, 16), 0);
		EXPECT_EQ(std::memcmp(&ip[24], dst, 16), 0);
		const size_t plen = be16(&ip[4]);
		ASSERT_LE(40 + plen, ip.size());
		EXPECT_EQ(ip[40], type);
		EXPECT_EQ(ip[41], 0);
		EXPECT_EQ(uint32_t(be16(&ip[44])) << 16 | be16(&ip[46]), word);
		const uint32_t pseudo = sum16(&ip[8], 32) + uint32_t(plen) + 58;
		EXPECT_EQ(fold(sum16(&ip[40], plen, pseudo)), 0) << "ICMPv6 checksum";
		ASSERT_LE(plen - 8, offending.size());
		EXPECT_TRUE(std::equal(ip.begin() + 48, ip.begin() + long(40 + plen), offending.begin())) << "quote";
	}

	static inline rte_ring *acc_rx_, *acc_tx_, *core_rx_, *core_tx_;
	static inline uint16_t acc_ = 0, core_ = 0;
	static inline dp::runtime *rt_ = nullptr;
	static inline std::thread thread_;
	uint32_t seq_ = 0;
};

TEST_F(path_hooks_test, upstream_ttl_exceeded_goes_back_down_the_session) {
	install_session();
	const uint64_t drops = counters()[dp::drop_reason::ttl_exceeded], before = sent();
	const bytes offending = ipv4(sub_ip, inet_ip, 17, udp(33434, 33434, bytes(12, 0x5a)), 1);
	push(acc_rx_, upstream(offending));
	const bytes err = inner_of(pop(acc_tx_));
	check_icmp4(err, acc_ip, sub_ip, 11, 0, 0, offending);
	EXPECT_EQ(counters()[dp::drop_reason::ttl_exceeded], drops + 1);
	EXPECT_EQ(sent(), before + 1);
	EXPECT_TRUE(quiet(core_tx_));
}

TEST_F(path_hooks_test, upstream_too_big_with_df_gets_fragmentation_needed) {
	install_session();
	const uint64_t drops = counters()[dp::drop_reason::too_big], before = sent();
	const bytes big = ipv4(sub_ip, inet_ip, 17, udp(4000, 53, bytes(mtu - 28 + 1, 0x11)), 64, true);
	push(acc_rx_, upstream(big));
	const bytes err = inner_of(pop(acc_tx_));
	check_icmp4(err, acc_ip, sub_ip, 3, 4, mtu, big);
	EXPECT_EQ(err.size(), 576u); // quote cut to fit 576 bytes (RFC 1812 4.3.2.3)
	// Without DF: dropped (no fragmentation here), no error.
	const bytes no_df = ipv4(sub_ip, inet_ip, 17, udp(4000, 53, bytes(mtu - 28 + 1, 0x11)), 64, false);
	push(acc_rx_, upstream(no_df));
	ASSERT_TRUE(eventually([&] { return counters()[dp::drop_reason::too_big] == drops + 2; }));
	// Exactly the MTU passes.
	push(acc_rx_, upstream(ipv4(sub_ip, inet_ip, 17, udp(4000, 53, bytes(mtu - 28, 0x11)), 64, true)));
	const bytes fwd = pop(core_tx_);
	EXPECT_EQ(fwd.size(), 14u + mtu);
	EXPECT_EQ(sent(), before + 1);
	EXPECT_TRUE(quiet(acc_tx_));
}

TEST_F(path_hooks_test, downstream_errors_go_to_the_source_through_the_core) {
	install_session();
	const uint64_t ttl = counters()[dp::drop_reason::ttl_exceeded], big = counters()[dp::drop_reason::too_big];
	const bytes expired = ipv4(inet_ip, sub_ip, 17, udp(53, 4000, bytes(30, 2)), 1);
	push(core_rx_, downstream(expired));
	bytes f = pop(core_tx_);
	ASSERT_GE(f.size(), 14u);
	EXPECT_EQ(std::memcmp(&f[0], gw_mac, 6), 0); // the source is reached through the gateway
	EXPECT_EQ(be16(&f[12]), 0x0800);
	check_icmp4(bytes(f.begin() + 14, f.end()), core_ip, inet_ip, 11, 0, 0, expired);

	// Encapsulated it would exceed the access port's MTU: the MTU left for inner packets is
	// reported, and the quote shows the packet as received (TTL not decremented).
	const bytes large = ipv4(inet_ip, sub_ip, 17, udp(53, 4000, bytes(mtu - overhead - 28 + 1, 3)), 64, true);
	push(core_rx_, downstream(large));
	f = pop(core_tx_);
	ASSERT_GE(f.size(), 14u);
	check_icmp4(bytes(f.begin() + 14, f.end()), core_ip, inet_ip, 3, 4, mtu - overhead, large);
	EXPECT_EQ(counters()[dp::drop_reason::ttl_exceeded], ttl + 1);
	EXPECT_EQ(counters()[dp::drop_reason::too_big], big + 1);
	EXPECT_TRUE(quiet(acc_tx_));
}

TEST_F(path_hooks_test, ipv6_time_exceeded_and_packet_too_big) {
	install_session();
	const bytes expired = ipv6(sub_ip6, inet_ip6, 17, udp(33434, 33434, bytes(16, 7)), 1);
	push(acc_rx_, upstream(expired));
	const bytes err = inner_of(pop(acc_tx_));
	check_icmp6(err, acc_ip6, sub_ip6, 3, 0, expired);

	const bytes large = ipv6(inet_ip6, sub_ip6, 17, udp(53, 4000, bytes(mtu - overhead - 48 + 1, 4)));
	push(core_rx_, downstream(large));
	const bytes f = pop(core_tx_);
	ASSERT_GE(f.size(), 14u);
	EXPECT_EQ(be16(&f[12]), 0x86dd);
	// IPv6 never reports less than 1280 (RFC 8201).
	check_icmp6(bytes(f.begin() + 14, f.end()), core_ip6, inet_ip6, 2, mtu - overhead, large);
}

TEST_F(path_hooks_test, no_error_about_an_icmp_error) {
	install_session();
	const uint64_t ttl = counters()[dp::drop_reason::ttl_exceeded];
	const uint64_t suppressed = __atomic_load_n(&rt_->cstats.icmp_errors_suppressed, __ATOMIC_RELAXED);
	bytes unreachable{3, 3, 0, 0, 0, 0, 0, 0};
	const bytes quoted = ipv4(sub_ip, inet_ip, 17, udp(1, 2, {}));
	unreachable.insert(unreachable.end(), quoted.begin(), quoted.end());
	push(core_rx_, downstream(ipv4(inet_ip, sub_ip, 1, unreachable, 1)));
	ASSERT_TRUE(eventually([&] {
		return __atomic_load_n(&rt_->cstats.icmp_errors_suppressed, __ATOMIC_RELAXED) == suppressed + 1;
	}));
	EXPECT_EQ(counters()[dp::drop_reason::ttl_exceeded], ttl + 1);
	EXPECT_TRUE(quiet(core_tx_));
}

TEST_F(path_hooks_test, first_packet_to_unresolved_on_link_host_asks_for_it) {
	install_session();
	const uint64_t nn = counters()[dp::drop_reason::no_neighbour];
	auto glean_frames = [] { return __atomic_load_n(&rt_->cstats.glean_frames, __ATOMIC_RELAXED); };
	const uint64_t frames = glean_frames();
	uint64_t gleans = 0;
	{
		std::lock_guard l(rt_->tbl().mutex());
		gleans = rt_->neigh().gleans;
	}
	const bytes pkt = ipv4(sub_ip, host_ip, 17, udp(4000, 7, bytes(10, 9)));
	push(acc_rx_, upstream(pkt));
	const bytes req = pop(core_tx_, true);
	ASSERT_EQ(req.size(), 42u);
	EXPECT_EQ(req[21], 1); // request
	EXPECT_EQ(std::memcmp(&req[28], core_ip, 4), 0);
	EXPECT_EQ(std::memcmp(&req[38], host_ip, 4), 0);
	EXPECT_EQ(counters()[dp::drop_reason::no_neighbour], nn + 1);
	// Further packets before the answer: no second request (the entry retries on its timer).
	push(acc_rx_, upstream(pkt));
	ASSERT_TRUE(eventually([&] { return counters()[dp::drop_reason::no_neighbour] == nn + 2; }));
	ASSERT_TRUE(eventually([&] { return glean_frames() == frames + 2; })); // both reached the main lcore
	{
		std::lock_guard l(rt_->tbl().mutex());
		EXPECT_EQ(rt_->neigh().gleans, gleans + 1); // one resolution (one request) for the target
	}
	EXPECT_TRUE(quiet(core_tx_));
	// The host answers: the next packet goes straight to it.
	push(core_rx_, eth(rt_->port_by_id(core_)->mac, host_mac, 0x0806,
	                   arp(2, host_mac, host_ip, rt_->port_by_id(core_)->mac, core_ip)));
	ASSERT_TRUE(eventually([&] {
		std::lock_guard l(rt_->tbl().mutex());
		const auto *e = rt_->neigh().find(core_, 4, host_ip);
		return e && e->st == dp::neighbours::state::reachable;
	}));
	push(acc_rx_, upstream(pkt));
	const bytes fwd = pop(core_tx_);
	ASSERT_EQ(fwd.size(), 14 + pkt.size());
	EXPECT_EQ(std::memcmp(&fwd[0], host_mac, 6), 0);
	EXPECT_EQ(std::memcmp(&fwd[6], rt_->port_by_id(core_)->mac, 6), 0);
	EXPECT_EQ(fwd[14 + 8], 63);
	EXPECT_EQ(counters()[dp::drop_reason::no_neighbour], nn + 2);
}

TEST_F(path_hooks_test, ipv6_first_packet_to_unresolved_on_link_host_sends_a_solicitation) {
	install_session();
	const uint64_t nn = counters()[dp::drop_reason::no_neighbour];
	uint8_t host6[16];
	std::memcpy(host6, core_ip6, 16);
	host6[15] = 0x09;
	push(acc_rx_, upstream(ipv6(sub_ip6, host6, 17, udp(4000, 7, bytes(10, 9)))));
	const bytes ns = pop(core_tx_);
	ASSERT_GE(ns.size(), 14u + 40 + 24);
	EXPECT_EQ(be16(&ns[12]), 0x86dd);
	const uint8_t mcast_mac[6] = {0x33, 0x33, 0xff, 0, 0, 0x09}; // solicited-node ff02::1:ff00:9
	EXPECT_EQ(std::memcmp(&ns[0], mcast_mac, 6), 0);
	EXPECT_EQ(ns[14 + 6], 58);
	EXPECT_EQ(ns[14 + 7], 255);
	EXPECT_EQ(ns[14 + 40], 135); // Neighbor Solicitation
	EXPECT_EQ(std::memcmp(&ns[14 + 40 + 8], host6, 16), 0);
	EXPECT_EQ(counters()[dp::drop_reason::no_neighbour], nn + 1);
}

TEST_F(path_hooks_test, reorder_buffer_releases_in_order_through_the_worker_loop) {
	install_session(20);
	// The inner UDP source port tells the packets apart.
	auto pkt = [](uint16_t mark) { return ipv4(sub_ip, inet_ip, 17, udp(mark, 53, bytes(6, 0x77))); };
	auto mark_of = [](const bytes &f) { return f.size() >= 14 + 22 ? be16(&f[14 + 20]) : 0; };
	for (uint16_t ns : {0, 2, 3, 1})
		push(acc_rx_, upstream(pkt(ns), ns));
	for (uint16_t want : {0, 1, 2, 3})
		EXPECT_EQ(mark_of(pop(core_tx_)), want);
	// A gap that never fills: 5 and 6 wait for 4, then go after the timeout, in order.
	push(acc_rx_, upstream(pkt(6), 6));
	push(acc_rx_, upstream(pkt(5), 5));
	EXPECT_EQ(mark_of(pop(core_tx_)), 5);
	EXPECT_EQ(mark_of(pop(core_tx_)), 6);
	dp::path_counters ev{};
	for (const dp::worker *w : rt_->workers())
		for (size_t i = 0; i < dp::path_event_count; i++)
			ev.event[i] += __atomic_load_n(&w->counters.event[i], __ATOMIC_RELAXED);
	EXPECT_EQ(ev[dp::path_event::reordered], 4u);
	EXPECT_EQ(ev[dp::path_event::reorder_timeout], 1u);
	// The late packet is too old now.
	push(acc_rx_, upstream(pkt(4), 4));
	push(acc_rx_, upstream(pkt(7), 7));
	EXPECT_EQ(mark_of(pop(core_tx_)), 7);
}

} // namespace
