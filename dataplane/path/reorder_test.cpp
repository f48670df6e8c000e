// Reorder buffers (reorder.hpp) through the access path, with a fake clock: the pool's
// `now` is set by the test (1 tick = 1 ms), never read from the TSC.
#include <gtest/gtest.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstring>
#include <vector>

#include "dataplane/path/path_test_util.hpp"
#include "dataplane/path/reorder.hpp"
#include "shared/base/byteorder.hpp"

namespace l2tpx::dp {
namespace {

using namespace test;
using bytes = std::vector<uint8_t>;

const uint8_t lns_mac[6] = {0x02, 0, 0, 0, 0, 0x01}, lac_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t core_mac[6] = {0x02, 0, 0, 0, 0, 0x03}, router_mac[6] = {0x02, 0, 0, 0, 0, 0x04};
constexpr uint32_t lns_ip = 0xc0000201, lac_ip = 0xc0000202, sub_ip = 0x6440000a, server_ip = 0x08080808;
constexpr uint16_t access_port = 0, core_port = 1;
constexpr uint16_t timeout_ms = 50;

void put16(bytes &b, uint16_t v) {
	b.push_back(uint8_t(v >> 8));
	b.push_back(uint8_t(v));
}
void put32(bytes &b, uint32_t v) {
	put16(b, uint16_t(v >> 16));
	put16(b, uint16_t(v));
}
uint16_t csum(const uint8_t *p, size_t n) {
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += load_be16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return uint16_t(~s);
}
bytes ipv4(uint32_t src, uint32_t dst, const bytes &udp_payload, uint16_t sport) {
	bytes b{0x45, 0};
	put16(b, uint16_t(28 + udp_payload.size()));
	put32(b, 0);
	b.push_back(64);
	b.push_back(17);
	put16(b, 0);
	put32(b, src);
	put32(b, dst);
	const uint16_t c = csum(b.data(), 20);
	b[10] = uint8_t(c >> 8);
	b[11] = uint8_t(c);
	put16(b, sport);
	put16(b, 53);
	put16(b, uint16_t(8 + udp_payload.size()));
	put16(b, 0);
	b.insert(b.end(), udp_payload.begin(), udp_payload.end());
	return b;
}
// L2TPv2 data with Ns from the LAC; the inner UDP source port carries `mark` so the test can
// tell the packets apart at the output.
bytes from_lac(uint16_t sid, uint16_t ns, uint16_t mark) {
	bytes l2{0x08, 0x02}; // S bit, version 2
	put16(l2, 1);
	put16(l2, sid);
	put16(l2, ns);
	put16(l2, 0);
	l2.insert(l2.end(), {0xff, 0x03, 0x00, 0x21});
	const bytes in = ipv4(sub_ip, server_ip, {'x', 'y'}, mark);
	l2.insert(l2.end(), in.begin(), in.end());
	bytes udp;
	put16(udp, 1701);
	put16(udp, 1701);
	put16(udp, uint16_t(8 + l2.size()));
	put16(udp, 0);
	udp.insert(udp.end(), l2.begin(), l2.end());
	bytes ip{0x45, 0};
	put16(ip, uint16_t(20 + udp.size()));
	put32(ip, 0);
	ip.push_back(64);
	ip.push_back(17);
	put16(ip, 0);
	put32(ip, lac_ip);
	put32(ip, lns_ip);
	const uint16_t c = csum(ip.data(), 20);
	ip[10] = uint8_t(c >> 8);
	ip[11] = uint8_t(c);
	bytes f(lns_mac, lns_mac + 6);
	f.insert(f.end(), lac_mac, lac_mac + 6);
	put16(f, 0x0800);
	f.insert(f.end(), ip.begin(), ip.end());
	f.insert(f.end(), udp.begin(), udp.end());
	return f;
}

class ReorderTest : public ::testing::Test {
protected:
	void SetUp() override {
		t.set_port(access_port, port_role::access);
		t.set_port(core_port, port_role::core);
		t.view().default_nh_v4 = t.add_neighbour(resolved_neighbour(router_mac, core_mac, core_port));
		idx = t.add_session(params(2));
		ASSERT_NE(idx, no_session);
		pool.init(16, 0, 1000);
		pool.now = 1000;
		avail = rte_mempool_avail_count(test::pool());
	}
	void TearDown() override {
		pool.clear();
		// Every mbuf came back: nothing leaked by holding, releasing or freeing.
		EXPECT_EQ(rte_mempool_avail_count(test::pool()), avail);
	}

	static session_params params(uint16_t sid) {
		session_params p;
		p.encap = encap_kind::v2_udp4;
		p.local_tunnel_id = 1;
		p.local_session_id = sid;
		p.peer_tunnel_id = 7;
		p.peer_session_id = 8;
		set_endpoints_v4(p, lns_mac, lac_mac, lns_ip, lac_ip, access_port);
		p.subscriber_v4 = sub_ip;
		p.reorder_timeout_ms = timeout_ms;
		return p;
	}
	path_ctx ctx() {
		path_ctx c = t.ctx();
		c.reorder = &pool;
		return c;
	}
	// Feeds frames (session `sid`, these Ns); returns the marks of what was forwarded.
	std::vector<uint16_t> rx(std::initializer_list<uint16_t> ns, uint16_t sid = 2) {
		std::vector<rte_mbuf *> pkts;
		for (uint16_t n : ns)
			pkts.push_back(make_mbuf(from_lac(sid, n, n), access_port));
		run_result r = run(ctx(), access_port, pkts);
		std::vector<uint16_t> marks = marks_of(r.tx.data(), r.tx.size());
		free_all(r);
		return marks;
	}
	// One reorder_service() call; the marks of what it forwarded.
	std::vector<uint16_t> service() {
		burst_out out;
		reorder_service(ctx(), out);
		std::vector<uint16_t> marks = marks_of(out.tx, out.n_tx);
		for (uint16_t i = 0; i < out.n_tx; i++)
			rte_pktmbuf_free(out.tx[i]);
		EXPECT_EQ(out.n_punt + out.n_local + out.n_icmp + out.n_glean, 0);
		return marks;
	}
	static std::vector<uint16_t> marks_of(rte_mbuf *const *m, size_t n) {
		std::vector<uint16_t> v;
		for (size_t i = 0; i < n; i++) {
			const bytes b = bytes_of(m[i]);
			EXPECT_GE(b.size(), 14u + 20 + 8);
			EXPECT_EQ(std::memcmp(b.data(), router_mac, 6), 0);
			v.push_back(b.size() >= 36 ? load_be16(b.data() + 34) : 0xffff);
		}
		return v;
	}
	uint64_t ev(path_event e) { return t.counters()[e]; }
	uint64_t dr(drop_reason d) { return t.counters()[d]; }
	using marks = std::vector<uint16_t>;

	test_tables t;
	reorder_pool pool;
	uint32_t idx = 0;
	unsigned avail = 0;
};

TEST_F(ReorderTest, SessionWithTimeoutSkipsTheFastPath) {
	EXPECT_EQ(t.sessions()[idx].reorder_timeout_ms, timeout_ms);
	EXPECT_EQ(t.sessions()[idx].rx_fast, 0);
}

TEST_F(ReorderTest, InOrderIsNotHeld) {
	EXPECT_EQ(rx({0, 1, 2}), (marks{0, 1, 2}));
	EXPECT_TRUE(pool.active.empty());
	EXPECT_FALSE(pool.due());
	EXPECT_EQ(ev(path_event::reordered), 0u);
	EXPECT_EQ(t.seq()[idx].rx_next, 3u);
}

TEST_F(ReorderTest, GapFilledReleasesInOrder) {
	EXPECT_EQ(rx({0, 2, 3}), (marks{0}));
	EXPECT_EQ(pool.held_packets(), 2u);
	EXPECT_EQ(t.seq()[idx].reserved >> 20, 1u); // owner 0 + 1
	EXPECT_FALSE(pool.due());
	EXPECT_EQ(service(), marks{}); // not due: nothing happens
	EXPECT_EQ(rx({1}), (marks{1}));
	EXPECT_TRUE(pool.due());
	EXPECT_EQ(service(), (marks{2, 3}));
	EXPECT_EQ(ev(path_event::reordered), 2u);
	EXPECT_EQ(ev(path_event::reorder_timeout), 0u);
	EXPECT_EQ(ev(path_event::seq_gap), 0u);
	EXPECT_TRUE(pool.active.empty());
	EXPECT_EQ(t.seq()[idx].reserved, 0u);
	EXPECT_EQ(t.seq()[idx].rx_next, 4u);
	EXPECT_EQ(t.stats()[idx].rx_packets, 4u);
	EXPECT_EQ(rx({4}), (marks{4}));
}

TEST_F(ReorderTest, HeldOutOfOrderAmongThemselves) {
	EXPECT_EQ(rx({10, 14, 12, 13}), (marks{10}));
	EXPECT_EQ(rx({11}), (marks{11}));
	EXPECT_EQ(service(), (marks{12, 13, 14}));
}

TEST_F(ReorderTest, TimeoutSkipsTheGap) {
	EXPECT_EQ(rx({0}), (marks{0}));
	pool.now = 2000;
	EXPECT_EQ(rx({3, 2}), marks{});
	pool.now = 2000 + timeout_ms - 1;
	EXPECT_FALSE(pool.due());
	EXPECT_EQ(service(), marks{});
	pool.now = 2000 + timeout_ms;
	EXPECT_TRUE(pool.due());
	EXPECT_EQ(service(), (marks{2, 3}));
	EXPECT_EQ(ev(path_event::reorder_timeout), 1u);
	EXPECT_EQ(ev(path_event::seq_gap), 1u);
	EXPECT_EQ(ev(path_event::reordered), 2u);
	// The skipped packet arrives after all: too late.
	EXPECT_EQ(rx({1}), marks{});
	EXPECT_EQ(dr(drop_reason::seq_out_of_order), 1u);
	EXPECT_FALSE(pool.due());
}

TEST_F(ReorderTest, TimeoutCountsFromTheOldestHeldPacket) {
	EXPECT_EQ(rx({0}), (marks{0}));
	pool.now = 2000;
	EXPECT_EQ(rx({2}), marks{});
	pool.now = 2040;
	EXPECT_EQ(rx({5}), marks{});
	pool.now = 2050; // 2 has waited 50 ms: skip 1; then 3..4 are missing and 5 waits on
	EXPECT_EQ(service(), (marks{2}));
	EXPECT_EQ(pool.held_packets(), 1u);
	pool.now = 2089;
	EXPECT_FALSE(pool.due());
	EXPECT_EQ(rx({3}), (marks{3})); // in order: straight through, 5 still waits for 4
	pool.now = 2090;
	EXPECT_TRUE(pool.due());
	EXPECT_EQ(service(), (marks{5}));
	EXPECT_EQ(ev(path_event::reorder_timeout), 2u);
	EXPECT_EQ(ev(path_event::reordered), 2u);
	EXPECT_TRUE(pool.active.empty());
}

TEST_F(ReorderTest, DuplicateOfHeldPacketIsOld) {
	EXPECT_EQ(rx({0, 2, 2}), (marks{0}));
	EXPECT_EQ(dr(drop_reason::seq_out_of_order), 1u);
	EXPECT_EQ(pool.held_packets(), 1u);
}

TEST_F(ReorderTest, FullBufferDropsAndSkipsTheGap) {
	EXPECT_EQ(rx({0, 2, 3, 4, 5, 6, 7, 8, 9}), (marks{0}));
	EXPECT_EQ(pool.held_packets(), uint32_t(reorder_depth));
	EXPECT_EQ(rx({10}), marks{});
	EXPECT_EQ(dr(drop_reason::reorder_full), 1u);
	EXPECT_EQ(ev(path_event::reorder_overflow), 1u);
	EXPECT_TRUE(pool.due()); // no waiting for the timeout
	EXPECT_EQ(service(), (marks{2, 3, 4, 5, 6, 7, 8, 9}));
	EXPECT_EQ(ev(path_event::reorder_timeout), 1u);
	EXPECT_EQ(rx({10, 11}), (marks{10, 11}));
}

TEST_F(ReorderTest, PoolExhaustedBehavesAsWithoutBuffer) {
	reorder_pool one;
	one.init(1, 0, 1000);
	pool.clear();
	const uint32_t other = t.add_session(params(3));
	ASSERT_NE(other, no_session);
	path_ctx c = t.ctx();
	c.reorder = &one;
	auto feed = [&](uint16_t sid, uint16_t ns) {
		run_result r = run(c, access_port, {make_mbuf(from_lac(sid, ns, ns), access_port)});
		const size_t n = r.tx.size();
		free_all(r);
		return n;
	};
	EXPECT_EQ(feed(2, 0), 1u);
	EXPECT_EQ(feed(2, 2), 0u); // held: takes the only buffer
	EXPECT_EQ(feed(3, 0), 1u);
	EXPECT_EQ(feed(3, 2), 1u); // no buffer left: accepted at once, gap counted
	EXPECT_EQ(ev(path_event::reorder_overflow), 1u);
	EXPECT_EQ(ev(path_event::seq_gap), 1u);
	EXPECT_EQ(t.seq()[other].rx_next, 3u);
	one.clear();
}

TEST_F(ReorderTest, SerialNumberWrap) {
	EXPECT_EQ(rx({65534}), (marks{65534}));
	EXPECT_EQ(rx({0, 1}), marks{});
	EXPECT_EQ(rx({65535}), (marks{65535}));
	EXPECT_EQ(service(), (marks{0, 1}));
	EXPECT_EQ(t.seq()[idx].rx_next, 2u);
}

TEST_F(ReorderTest, SessionGoneFreesWhatItHeld) {
	EXPECT_EQ(rx({0, 2, 3}), (marks{0}));
	t.sessions()[idx].state = session_state::down;
	pool.now += timeout_ms;
	EXPECT_EQ(service(), marks{});
	EXPECT_EQ(dr(drop_reason::unknown_session), 2u);
	EXPECT_TRUE(pool.active.empty());
	// Reinstalled (new generation): the old tag no longer matches, a new buffer is taken.
	t.sessions()[idx].state = session_state::up;
	t.sessions()[idx].generation++;
	t.seq()[idx] = session_seq{};
	EXPECT_EQ(rx({5, 7}), (marks{5}));
	EXPECT_EQ(pool.held_packets(), 1u);
}

TEST_F(ReorderTest, SessionWithoutTimeoutDropsOutOfOrder) {
	session_params p = params(4);
	p.reorder_timeout_ms = 0;
	const uint32_t plain = t.add_session(p);
	ASSERT_NE(plain, no_session);
	EXPECT_NE(t.sessions()[plain].rx_fast, 0);
	EXPECT_EQ(rx({0, 2, 1}, 4), (marks{0, 2}));
	EXPECT_EQ(dr(drop_reason::seq_out_of_order), 1u);
	EXPECT_TRUE(pool.active.empty());
}

} // namespace
} // namespace l2tpx::dp

int main(int argc, char **argv) {
	::testing::InitGoogleTest(&argc, argv);
	if (!l2tpx::dp::test::init_eal("reorder"))
		return 1;
	return RUN_ALL_TESTS();
}
