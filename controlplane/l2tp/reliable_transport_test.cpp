#include "controlplane/l2tp/reliable_transport.hpp"

#include <gtest/gtest.h>

#include <random>

namespace l2tpx::cp {
namespace {

using namespace std::chrono_literals;
using bytes = std::vector<uint8_t>;

struct wire_msg {
	time_point at;
	uint16_t ns, nr;
	bytes msg;
};

// One transport whose transmissions are recorded, driven by hand.
struct single {
	timer_service ts;
	std::vector<wire_msg> out;
	int failures = 0, hellos = 0;
	std::unique_ptr<reliable_transport> t;
	explicit single(transport_config cfg = {}) {
		t = std::make_unique<reliable_transport>(ts, cfg, reliable_transport::hooks{
			[this](uint16_t ns, uint16_t nr, std::span<const uint8_t> m) {
				out.push_back({ts.now(), ns, nr, bytes(m.begin(), m.end())});
			},
			[this] { ++failures; },
			[this] { ++hellos; }});
	}
	std::vector<bytes> drain() {
		std::vector<bytes> v;
		while (auto m = t->pop())
			v.push_back(std::move(*m));
		return v;
	}
};

bytes msg(uint8_t tag) { return bytes{tag, static_cast<uint8_t>(tag ^ 0xff)}; }

TEST(reliable_transport, first_message_and_delayed_zlb_ack) {
	single a;
	ASSERT_EQ(a.t->send(msg(1)).value(), 0);
	ASSERT_EQ(a.out.size(), 1u);
	EXPECT_EQ(a.out[0].ns, 0);
	EXPECT_EQ(a.out[0].nr, 0);

	single b;
	EXPECT_EQ(b.t->receive(0, 0, msg(1)), rx_verdict::accepted);
	EXPECT_EQ(b.drain(), std::vector<bytes>{msg(1)});
	EXPECT_TRUE(b.out.empty());
	b.ts.advance(99ms);
	EXPECT_TRUE(b.out.empty());
	b.ts.advance(1ms);
	ASSERT_EQ(b.out.size(), 1u);
	EXPECT_TRUE(b.out[0].msg.empty());
	EXPECT_EQ(b.out[0].ns, 0);
	EXPECT_EQ(b.out[0].nr, 1);
	EXPECT_EQ(b.t->stats().tx_zlb, 1u);

	EXPECT_EQ(a.t->receive(0, 1, {}), rx_verdict::zlb);
	EXPECT_TRUE(a.t->all_acked());
	a.ts.advance(60s);
	EXPECT_EQ(a.out.size(), 1u) << "acked: no retransmission";
}

TEST(reliable_transport, reply_piggybacks_the_ack) {
	single b;
	EXPECT_EQ(b.t->receive(0, 0, msg(1)), rx_verdict::accepted);
	ASSERT_TRUE(b.t->send(msg(2)));
	b.ts.advance(1s);
	ASSERT_EQ(b.out.size(), 2u) << "reply, then its retransmission; no ZLB";
	EXPECT_EQ(b.out[0].nr, 1);
	EXPECT_FALSE(b.out[0].msg.empty());
	EXPECT_EQ(b.t->stats().tx_zlb, 0u);
}

TEST(reliable_transport, retransmit_backoff_and_failure) {
	struct row {
		duration cap;
		unsigned retries;
		std::vector<int> tx_ms;
		int fail_ms;
	} rows[] = {
		{8s, 5, {0, 1000, 3000, 7000, 15000, 23000}, 31000},
		{4s, 4, {0, 1000, 3000, 7000, 11000}, 15000},
		{16s, 3, {0, 1000, 3000, 7000}, 15000},
	};
	for (const auto &r : rows) {
		transport_config cfg;
		cfg.retransmit_cap = r.cap;
		cfg.max_retries = r.retries;
		cfg.hello_interval = 0ms;
		single a(cfg);
		ASSERT_TRUE(a.t->send(msg(7)));
		a.ts.advance_to(time_point{duration{r.fail_ms - 1}});
		EXPECT_EQ(a.failures, 0);
		a.ts.advance(1ms);
		EXPECT_EQ(a.failures, 1);
		std::vector<int> got;
		for (const auto &w : a.out) {
			got.push_back(static_cast<int>(w.at.time_since_epoch().count()));
			EXPECT_EQ(w.ns, 0);
			EXPECT_EQ(w.msg, msg(7));
		}
		EXPECT_EQ(got, r.tx_ms);
		EXPECT_TRUE(a.t->failed());
		EXPECT_FALSE(a.t->send(msg(8)));
		EXPECT_EQ(a.t->receive(0, 0, msg(1)), rx_verdict::dead);
	}
}

TEST(reliable_transport, ack_resets_backoff) {
	single a;
	ASSERT_TRUE(a.t->send(msg(1)));
	a.ts.advance(3s); // retransmitted at 1 s and 3 s
	EXPECT_EQ(a.t->current_rto(), 4s);
	ASSERT_TRUE(a.t->send(msg(2))); // cwnd fell to 1: waits
	EXPECT_EQ(a.t->in_flight(), 1u);
	EXPECT_EQ(a.t->receive(0, 1, {}), rx_verdict::zlb);
	EXPECT_EQ(a.t->current_rto(), 1s);
	EXPECT_EQ(a.t->in_flight(), 1u);
	EXPECT_EQ(a.out.back().ns, 1);
	const auto sent = a.out.back().at;
	a.ts.advance(1s);
	EXPECT_EQ(a.out.back().at, sent + 1s) << "second message retransmitted after the initial timeout";
}

TEST(reliable_transport, duplicate_is_reacked_not_redelivered) {
	single b;
	EXPECT_EQ(b.t->receive(0, 0, msg(1)), rx_verdict::accepted);
	EXPECT_EQ(b.drain().size(), 1u);
	EXPECT_EQ(b.t->receive(0, 0, msg(1)), rx_verdict::duplicate);
	ASSERT_EQ(b.out.size(), 1u) << "immediate ZLB";
	EXPECT_TRUE(b.out[0].msg.empty());
	EXPECT_EQ(b.out[0].nr, 1);
	EXPECT_TRUE(b.drain().empty());
	EXPECT_EQ(b.t->stats().rx_duplicates, 1u);
}

TEST(reliable_transport, reordering_inside_window_is_buffered) {
	transport_config cfg;
	cfg.our_rws = 4;
	single b(cfg);
	EXPECT_EQ(b.t->receive(2, 0, msg(3)), rx_verdict::buffered);
	EXPECT_EQ(b.t->receive(1, 0, msg(2)), rx_verdict::buffered);
	EXPECT_EQ(b.t->receive(1, 0, msg(2)), rx_verdict::buffered);
	EXPECT_EQ(b.t->receive(4, 0, msg(5)), rx_verdict::outside_window);
	EXPECT_TRUE(b.drain().empty());
	EXPECT_EQ(b.t->receive(0, 0, msg(1)), rx_verdict::accepted);
	EXPECT_EQ(b.drain(), (std::vector<bytes>{msg(1), msg(2), msg(3)}));
	EXPECT_EQ(b.t->expected_ns(), 3);
	EXPECT_EQ(b.t->stats().rx_reordered, 2u);
	EXPECT_EQ(b.t->stats().rx_outside_window, 1u);
	b.ts.advance(100ms);
	ASSERT_EQ(b.out.size(), 1u);
	EXPECT_EQ(b.out[0].nr, 3);
}

TEST(reliable_transport, nr_for_unsent_messages_is_dropped_stale_nr_is_not) {
	single a;
	ASSERT_TRUE(a.t->send(msg(1)));
	EXPECT_EQ(a.t->receive(0, 2, msg(9)), rx_verdict::bad_nr);
	EXPECT_EQ(a.t->stats().rx_bad_nr, 1u);
	EXPECT_EQ(a.t->receive(0, 1, msg(9)), rx_verdict::accepted);
	EXPECT_TRUE(a.t->all_acked());
	// The peer retransmits its message with the Nr it had then (0): a duplicate, re-acked.
	EXPECT_EQ(a.t->receive(0, 0, msg(9)), rx_verdict::duplicate);
	EXPECT_EQ(a.t->stats().rx_bad_nr, 1u);
}

TEST(reliable_transport, respects_peer_window_and_slow_start) {
	transport_config cfg;
	cfg.peer_rws = 4;
	single a(cfg);
	for (uint8_t i = 0; i < 20; ++i)
		ASSERT_TRUE(a.t->send(msg(i)));
	// Appendix A: cwnd starts at 1.
	EXPECT_EQ(a.t->in_flight(), 1u);
	EXPECT_EQ(a.out.size(), 1u);
	struct step {
		uint16_t ack_through; // Nr the peer sends
		uint16_t cwnd, in_flight;
	} steps[] = {
		{1, 2, 2},  // slow start: +1 per ack
		{3, 4, 4},  // reaches ssthresh = peer window
		{7, 4, 4},  // capped by the peer's window
		{11, 4, 4},
	};
	for (const auto &s : steps) {
		EXPECT_EQ(a.t->receive(0, s.ack_through, {}), rx_verdict::zlb);
		EXPECT_EQ(a.t->cwnd(), s.cwnd) << "after ack " << s.ack_through;
		EXPECT_EQ(a.t->in_flight(), s.in_flight) << "after ack " << s.ack_through;
	}
	// 11 acknowledged + 4 in flight, never more than the peer's window ahead.
	ASSERT_EQ(a.out.size(), 15u);
	for (size_t i = 0; i < a.out.size(); ++i)
		EXPECT_EQ(a.out[i].ns, i);
}

TEST(reliable_transport, timeout_halves_ssthresh_then_congestion_avoidance) {
	transport_config cfg;
	cfg.peer_rws = 8;
	single a(cfg);
	for (uint8_t i = 0; i < 60; ++i)
		ASSERT_TRUE(a.t->send(msg(i)));
	uint16_t nr = 0;
	auto ack = [&](uint16_t n) {
		nr = static_cast<uint16_t>(nr + n);
		ASSERT_EQ(a.t->receive(0, nr, {}), rx_verdict::zlb);
	};
	ack(1), ack(1), ack(2), ack(4);
	EXPECT_EQ(a.t->cwnd(), 8);
	a.ts.advance(1s); // loss: timeout
	EXPECT_EQ(a.t->ssthresh(), 4);
	EXPECT_EQ(a.t->cwnd(), 1);
	ack(1), ack(1), ack(1);
	EXPECT_EQ(a.t->cwnd(), 4) << "slow start up to ssthresh";
	ack(1), ack(1), ack(1);
	EXPECT_EQ(a.t->cwnd(), 4) << "congestion avoidance: +1 per cwnd acks";
	ack(1);
	EXPECT_EQ(a.t->cwnd(), 5);
}

TEST(reliable_transport, timeout_goes_back_n_not_one_message_per_timeout) {
	transport_config cfg;
	cfg.peer_rws = 8;
	single a(cfg);
	for (uint8_t i = 0; i < 14; ++i)
		ASSERT_TRUE(a.t->send(msg(i)));
	uint16_t nr = 0;
	auto ack = [&](uint16_t n) {
		nr = static_cast<uint16_t>(nr + n);
		ASSERT_EQ(a.t->receive(0, nr, {}), rx_verdict::zlb);
	};
	ack(1), ack(1), ack(2), ack(4); // cwnd 8; Ns 8..13 in flight, all lost
	ASSERT_EQ(a.t->in_flight(), 6u);
	const size_t before = a.out.size();
	a.ts.advance(1s); // timeout: Ns 8 again, cwnd 1
	ack(1);           // Ns 8 arrives: cwnd 2, Ns 9 and 10 at once
	ack(2);           // cwnd 4: Ns 11..13
	std::vector<uint16_t> resent;
	for (size_t i = before; i < a.out.size(); ++i)
		resent.push_back(a.out[i].ns);
	EXPECT_EQ(resent, (std::vector<uint16_t>{8, 9, 10, 11, 12, 13})) << "within one timeout, not one per second";
	ack(3);
	EXPECT_EQ(a.t->in_flight(), 0u);
}

TEST(reliable_transport, ack_of_first_transmissions_after_a_timeout_is_accepted) {
	transport_config cfg;
	cfg.peer_rws = 8;
	single a(cfg);
	for (uint8_t i = 0; i < 5; ++i)
		ASSERT_TRUE(a.t->send(msg(i)));
	EXPECT_EQ(a.t->receive(0, 1, {}), rx_verdict::zlb); // cwnd 2: Ns 1, 2 out
	EXPECT_EQ(a.t->receive(0, 2, {}), rx_verdict::zlb); // cwnd 3: Ns 2..4 out
	a.ts.advance(1s);                                    // only Ns 2's ack was late
	// The peer had Ns 3 and 4 buffered: one ack covers all three, none is "unsent".
	EXPECT_EQ(a.t->receive(0, 5, {}), rx_verdict::zlb);
	EXPECT_EQ(a.t->in_flight(), 0u);
	EXPECT_EQ(a.t->stats().rx_bad_nr, 0u);
}

TEST(reliable_transport, queue_limit) {
	transport_config cfg;
	cfg.max_queued = 3;
	single a(cfg);
	for (uint8_t i = 0; i < 3; ++i)
		ASSERT_TRUE(a.t->send(msg(i)));
	auto r = a.t->send(msg(3));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error(), transport_error::queue_full);
	EXPECT_EQ(to_string(r.error()), "queue_full");
	EXPECT_EQ(a.t->stats().tx_queue_full, 1u);
}

TEST(reliable_transport, hello_after_idle_only) {
	transport_config cfg;
	cfg.hello_interval = 60s;
	single a(cfg);
	a.ts.advance(59s);
	EXPECT_EQ(a.t->receive(0, 0, msg(1)), rx_verdict::accepted); // peer traffic resets it
	a.ts.advance(59s);
	EXPECT_EQ(a.hellos, 0);
	a.ts.advance(1s);
	EXPECT_EQ(a.hellos, 1);
	a.ts.advance(60s);
	EXPECT_EQ(a.hellos, 2);
}

// Two transports over a simulated link that loses, duplicates and reorders.
struct sim_link {
	timer_service ts;
	std::mt19937 rng;
	double loss, dup;
	duration min_delay, jitter;
	std::unique_ptr<reliable_transport> end[2];
	std::vector<bytes> got[2];
	int failures = 0;

	sim_link(uint32_t seed, double loss_, double dup_, duration jitter_, transport_config cfg)
	    : rng(seed), loss(loss_), dup(dup_), min_delay(5ms), jitter(jitter_) {
		for (int i = 0; i < 2; ++i) {
			end[i] = std::make_unique<reliable_transport>(ts, cfg, reliable_transport::hooks{
				[this, i](uint16_t ns, uint16_t nr, std::span<const uint8_t> m) { wire(1 - i, ns, nr, m); },
				[this] { ++failures; }, {}});
		}
	}
	void wire(int to, uint16_t ns, uint16_t nr, std::span<const uint8_t> m) {
		std::uniform_real_distribution<double> u(0, 1);
		if (u(rng) < loss)
			return;
		int copies = u(rng) < dup ? 2 : 1;
		for (int c = 0; c < copies; ++c) {
			auto d = min_delay + duration{std::uniform_int_distribution<int>(0, static_cast<int>(jitter.count()))(rng)};
			ts.arm(d, [this, to, ns, nr, b = bytes(m.begin(), m.end())] {
				end[to]->receive(ns, nr, b);
				while (auto x = end[to]->pop())
					got[to].push_back(std::move(*x));
			});
		}
	}
};

TEST(reliable_transport, lossy_link_delivers_everything_once_in_order) {
	struct row {
		uint32_t seed;
		double loss, dup;
		int jitter_ms;
	} rows[] = {{1, 0.0, 0.0, 0}, {2, 0.2, 0.0, 0}, {3, 0.0, 0.3, 50}, {4, 0.25, 0.2, 300}, {5, 0.4, 0.1, 800}};
	for (const auto &r : rows) {
		transport_config cfg;
		cfg.max_retries = 20;
		cfg.peer_rws = 4;
		cfg.our_rws = 4;
		sim_link l(r.seed, r.loss, r.dup, duration{r.jitter_ms}, cfg);
		std::vector<bytes> sent[2];
		for (int i = 0; i < 200; ++i) {
			for (int e = 0; e < 2; ++e) {
				bytes m{static_cast<uint8_t>(e), static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8)};
				ASSERT_TRUE(l.end[e]->send(m));
				sent[e].push_back(m);
			}
			l.ts.advance(20ms);
		}
		l.ts.advance(3600s);
		EXPECT_EQ(l.failures, 0) << "seed " << r.seed;
		EXPECT_EQ(l.got[1], sent[0]) << "seed " << r.seed;
		EXPECT_EQ(l.got[0], sent[1]) << "seed " << r.seed;
		EXPECT_TRUE(l.end[0]->all_acked());
		EXPECT_TRUE(l.end[1]->all_acked());
	}
}

TEST(reliable_transport, sequence_numbers_wrap) {
	transport_config cfg;
	cfg.peer_rws = 16;
	cfg.our_rws = 16;
	cfg.hello_interval = 0ms;
	sim_link l(9, 0.0, 0.0, 0ms, cfg);
	size_t n = 70000;
	for (size_t i = 0; i < n; ++i) {
		ASSERT_TRUE(l.end[0]->send(bytes{static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i >> 16)}));
		if (i % 8 == 7)
			l.ts.advance(50ms);
	}
	l.ts.advance(10s);
	ASSERT_EQ(l.got[1].size(), n);
	for (size_t i = 0; i < n; ++i)
		ASSERT_EQ(l.got[1][i][0] | l.got[1][i][1] << 8 | l.got[1][i][2] << 16, static_cast<int>(i));
	EXPECT_EQ(l.end[0]->next_ns(), static_cast<uint16_t>(n));
	EXPECT_TRUE(l.end[0]->all_acked());
}

// --- restart_policy = "adopt": mirrored sequence state, restore, resync ----------------

TEST(reliable_transport, mirror_follows_every_send_ack_and_receive) {
	single a;
	sequence_mirror m{0xffff, 0xffff, 0xffff, 0};
	a.t->set_mirror(&m);
	EXPECT_EQ(m.ns, 0);
	EXPECT_EQ(m.nr, 0);
	EXPECT_EQ(m.acked, 0);
	ASSERT_TRUE(a.t->send(msg(1)));
	ASSERT_TRUE(a.t->send(msg(2)));
	EXPECT_EQ(m.ns, 2);
	EXPECT_EQ(m.acked, 0);
	EXPECT_EQ(a.t->receive(0, 1, msg(9)), rx_verdict::accepted);
	EXPECT_EQ(m.nr, 1);
	EXPECT_EQ(m.acked, 1);
	EXPECT_EQ(a.t->receive(1, 2, {}), rx_verdict::zlb);
	EXPECT_EQ(m.acked, 2);
	a.t->set_mirror(nullptr);
	ASSERT_TRUE(a.t->send(msg(3)));
	EXPECT_EQ(m.ns, 2) << "detached: no more stores";
}

// A peer that lived through our restart: the restored transport continues its numbering.
TEST(reliable_transport, restored_transport_continues_against_the_peer) {
	single old_lns, peer;
	sequence_mirror m{};
	old_lns.t->set_mirror(&m);
	// Some history: 5 messages each way, all acknowledged.
	for (uint8_t i = 0; i < 5; i++) {
		ASSERT_TRUE(old_lns.t->send(msg(i)));
		const wire_msg w = old_lns.out.back();
		ASSERT_EQ(peer.t->receive(w.ns, w.nr, w.msg), rx_verdict::accepted);
		peer.drain();
		ASSERT_TRUE(peer.t->send(msg(static_cast<uint8_t>(0x80 + i))));
		const wire_msg r = peer.out.back();
		ASSERT_EQ(old_lns.t->receive(r.ns, r.nr, r.msg), rx_verdict::accepted);
		old_lns.drain();
	}
	EXPECT_EQ(m.ns, 5);
	EXPECT_EQ(m.nr, 5);
	old_lns.t.reset(); // killed

	single lns;
	lns.t->restore(m.ns, m.nr, m.acked);
	ASSERT_TRUE(lns.t->send(msg(0x42))); // the HELLO
	ASSERT_EQ(lns.out.size(), 1u);
	EXPECT_EQ(lns.out[0].ns, 5);
	EXPECT_EQ(lns.out[0].nr, 5);
	EXPECT_EQ(peer.t->receive(lns.out[0].ns, lns.out[0].nr, lns.out[0].msg), rx_verdict::accepted);
	EXPECT_EQ(peer.drain(), std::vector<bytes>{msg(0x42)});
	peer.ts.advance(100ms); // its ZLB
	const wire_msg z = peer.out.back();
	EXPECT_TRUE(z.msg.empty());
	EXPECT_EQ(lns.t->receive(z.ns, z.nr, z.msg), rx_verdict::zlb);
	EXPECT_TRUE(lns.t->all_acked());
	// The peer's next message is in sequence for the restored side.
	ASSERT_TRUE(peer.t->send(msg(0x99)));
	const wire_msg n = peer.out.back();
	EXPECT_EQ(lns.t->receive(n.ns, n.nr, n.msg), rx_verdict::accepted);
	EXPECT_EQ(lns.drain(), std::vector<bytes>{msg(0x99)});
	EXPECT_EQ(lns.t->stats().rx_duplicates, 0u);
	EXPECT_EQ(peer.t->stats().rx_duplicates, 0u);
	EXPECT_EQ(lns.t->stats().resyncs, 0u);
}

// Killed with two messages in flight that the peer never got: the peer acks with the
// older Nr, the restored side fills the gap with two fillers (HELLOs in a tunnel) and the
// tunnel goes on; the HELLO the peer buffered beyond the gap keeps its number.
TEST(reliable_transport, restored_transport_fills_the_gap_the_peer_reports) {
	single lns, peer;
	lns.t->set_filler([] { return msg(0xf0); });
	// The peer has seen Ns 0..2 from the dead process; Ns 3 and 4 were lost with it.
	for (uint8_t i = 0; i < 3; i++)
		ASSERT_EQ(peer.t->receive(i, 0, msg(i)), rx_verdict::accepted);
	peer.drain();
	lns.t->restore(5, 0, 3);
	ASSERT_TRUE(lns.t->send(msg(0x42)));
	ASSERT_EQ(lns.out.back().ns, 5);
	EXPECT_EQ(peer.t->receive(5, 0, msg(0x42)), rx_verdict::buffered);
	// The peer's next message (here a reply; a ZLB would do the same) says Nr = 3.
	ASSERT_TRUE(peer.t->send(msg(0x77)));
	const wire_msg p = peer.out.back();
	EXPECT_EQ(p.nr, 3);
	size_t sent = lns.out.size(), heard = peer.out.size();
	EXPECT_EQ(lns.t->receive(p.ns, p.nr, p.msg), rx_verdict::accepted);
	EXPECT_EQ(lns.t->stats().resyncs, 1u);
	ASSERT_GT(lns.out.size(), sent);
	EXPECT_EQ(lns.out[sent].ns, 3) << "a filler with the first missing Ns";
	EXPECT_EQ(lns.out[sent].msg, msg(0xf0));
	EXPECT_EQ(lns.t->next_ns(), 6) << "ours keep their numbers";
	// Both sides talk until everything is acknowledged.
	std::vector<bytes> got;
	for (int round = 0; round < 40 && !(lns.t->all_acked() && peer.t->all_acked()); round++) {
		for (; sent < lns.out.size(); sent++)
			peer.t->receive(lns.out[sent].ns, lns.out[sent].nr, lns.out[sent].msg);
		for (auto &m : peer.drain())
			got.push_back(m);
		peer.ts.advance(100ms);
		for (; heard < peer.out.size(); heard++)
			lns.t->receive(peer.out[heard].ns, peer.out[heard].nr, peer.out[heard].msg);
		lns.drain();
		lns.ts.advance(100ms);
	}
	EXPECT_TRUE(lns.t->all_acked());
	EXPECT_EQ(got, (std::vector<bytes>{msg(0xf0), msg(0xf0), msg(0x42)})) << "the buffered HELLO once, after the gap";
	EXPECT_EQ(peer.t->expected_ns(), 6);
	EXPECT_EQ(lns.t->stats().rx_bad_nr, 0u);
	// The next message is in sequence for the peer.
	ASSERT_TRUE(lns.t->send(msg(0x55)));
	EXPECT_EQ(peer.t->receive(lns.out.back().ns, lns.out.back().nr, lns.out.back().msg), rx_verdict::accepted);
	EXPECT_EQ(peer.drain(), std::vector<bytes>{msg(0x55)});
}

// An Nr below the saved acknowledgement floor is a stale retransmission, not a resync.
TEST(reliable_transport, restore_resyncs_only_inside_the_saved_range) {
	single lns;
	lns.t->set_filler([] { return msg(0xf0); });
	lns.t->restore(10, 0, 10); // everything was acknowledged
	ASSERT_TRUE(lns.t->send(msg(1)));
	EXPECT_EQ(lns.t->receive(0, 8, msg(2)), rx_verdict::accepted);
	EXPECT_EQ(lns.t->stats().resyncs, 0u);
	EXPECT_EQ(lns.t->next_ns(), 11);
	EXPECT_FALSE(lns.t->all_acked());
	// A corrupt floor "after" ns is ignored.
	single other;
	other.t->set_filler([] { return msg(0xf0); });
	other.t->restore(10, 0, 20);
	ASSERT_TRUE(other.t->send(msg(1)));
	EXPECT_EQ(other.t->receive(0, 5, msg(2)), rx_verdict::accepted);
	EXPECT_EQ(other.t->stats().resyncs, 0u);
}

} // namespace
} // namespace l2tpx::cp
