#include "tools/gen/traffic/scheduler.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <vector>

namespace l2tpx::gen {
namespace {

__extension__ using u128 = unsigned __int128;

struct stream_log {
	uint64_t sent = 0;
	uint64_t first_due = 0;
	uint64_t last_due = 0;
	std::map<uint16_t, uint64_t> sizes;
};

// Runs a scheduler on a simulated clock, polling every `step(rng)` ticks, until done.
template <typename Step>
std::vector<stream_log> run(scheduler &s, uint64_t t0, uint64_t duration, Step step, size_t out_size = 64,
                            std::vector<tx_item> *all = nullptr) {
	std::vector<stream_log> logs(s.stream_count());
	std::vector<tx_item> out(out_size);
	s.start(t0, duration);
	uint64_t now = t0;
	for (int guard = 0; !s.done(); guard++) {
		EXPECT_LT(guard, 100000000);
		size_t n = s.poll(now, out);
		for (size_t i = 0; i < n; i++) {
			const tx_item &it = out[i];
			stream_log &l = logs[it.stream];
			EXPECT_EQ(it.seq, l.sent) << "stream " << it.stream;
			EXPECT_LE(it.due, now);
			if (l.sent == 0) {
				l.first_due = it.due;
			}
			else {
				EXPECT_GE(it.due, l.last_due);
			}
			l.last_due = it.due;
			l.sent++;
			l.sizes[it.frame_size]++;
			if (all)
				all->push_back(it);
		}
		if (n < out.size())
			now += step();
	}
	return logs;
}

TEST(Scheduler, ExactPacketRate) {
	for (uint64_t hz : {1000000000ull, 2500000000ull, 2194917000ull}) {
		scheduler s({.hz = hz});
		const uint64_t rates[] = {1, 7, 1000, 333333, 100003};
		const uint16_t size64[] = {64};
		for (uint32_t i = 0; i < std::size(rates); i++)
			ASSERT_EQ(s.add_stream(i, s.add_profile({rate_unit::pps, rates[i]}, size64, 0)), int(i));
		std::mt19937_64 rng(hz);
		const uint64_t seconds = 3;
		std::vector<tx_item> all;
		auto logs = run(s, 12345, seconds * hz, [&] { return 1 + rng() % (hz / 20000); }, 64, &all);
		for (size_t i = 0; i < std::size(rates); i++) {
			EXPECT_EQ(logs[i].sent, rates[i] * seconds) << "hz " << hz << " rate " << rates[i];
			EXPECT_EQ(s.sent(i), rates[i] * seconds);
		}
		// Every packet k of stream i is due exactly floor(k * hz / rate) after its first.
		std::vector<uint64_t> k(std::size(rates), 0);
		for (const auto &it : all) {
			const uint64_t r = rates[it.stream];
			EXPECT_EQ(it.due - logs[it.stream].first_due, uint64_t(u128(k[it.stream]) * hz / r));
			k[it.stream]++;
		}
		EXPECT_EQ(s.counters().lag_resets, 0u);
		EXPECT_EQ(s.counters().packets, all.size());
	}
}

TEST(Scheduler, SentByAnyTimeIsExact) {
	// Bursty but accurate: after every poll the count equals the packets due so far.
	const uint64_t hz = 1000000000, r = 123457;
	scheduler s({.hz = hz});
	const uint16_t sz[] = {64};
	s.add_stream(0, s.add_profile({rate_unit::pps, r}, sz, 0));
	const uint64_t t0 = 1000;
	s.start(t0, 2 * hz);
	std::array<tx_item, 256> out;
	uint64_t sent = 0;
	std::mt19937_64 rng(7);
	for (uint64_t now = t0; now < t0 + 2 * hz; now += 1 + rng() % 300000) {
		sent += s.poll(now, out);
		const uint64_t x = now - t0;
		const uint64_t due = uint64_t((u128(x + 1) * r + hz - 1) / hz);
		ASSERT_EQ(sent, due) << now;
	}
}

TEST(Scheduler, ExactBitRateImix) {
	const uint64_t hz = 2400000000;
	const auto pattern = build_size_pattern(simple_imix());
	const rate r{rate_unit::bps, 100000000}; // 100 Mbit/s per stream
	const uint32_t overhead = ethernet_wire_overhead + 38; // e.g. L2TPv2 encapsulation upstream
	scheduler s({.hz = hz});
	const int prof = s.add_profile(r, pattern, overhead);
	for (uint32_t i = 0; i < 3; i++)
		s.add_stream(i, prof);
	const uint64_t seconds = 2;
	std::mt19937_64 rng(1);
	auto logs = run(s, 0, seconds * hz, [&] { return 1 + rng() % 50000; });

	// Independent count: packet k is sent iff the bits before it are below rate * duration.
	uint64_t bits = 0, expect = 0;
	std::map<uint16_t, uint64_t> expect_sizes;
	for (size_t k = 0; bits < r.value * seconds; k++) {
		const uint16_t size = pattern[k % pattern.size()];
		expect++;
		expect_sizes[size]++;
		bits += (uint64_t(size) + overhead) * 8;
	}
	for (const auto &l : logs) {
		EXPECT_EQ(l.sent, expect);
		EXPECT_EQ(l.sizes, expect_sizes);
	}
	// IMIX proportions hold over the whole run: 7:4:1 within one pattern cycle.
	const auto &sz = logs[0].sizes;
	const uint64_t cycles = expect / 12;
	EXPECT_GE(sz.at(64), cycles * 7);
	EXPECT_LE(sz.at(64), cycles * 7 + 7);
	EXPECT_GE(sz.at(594), cycles * 4);
	EXPECT_LE(sz.at(594), cycles * 4 + 4);
	EXPECT_GE(sz.at(1518), cycles);
	EXPECT_LE(sz.at(1518), cycles + 1);
	// Wire bits used stay within one packet of the target.
	EXPECT_LE(bits - r.value * seconds, (1518ull + overhead) * 8);
}

TEST(Scheduler, FixedSizeBitRateMatchesLineRateFormula) {
	// 10 Gbit/s of 64-byte frames: 10e9 / ((64 + 20) * 8) = 14880952.38 pps.
	const uint64_t hz = 1000000000;
	scheduler s({.hz = hz, .max_burst = 64});
	const uint16_t sz[] = {64};
	s.add_stream(0, s.add_profile({rate_unit::bps, 10000000000}, sz, ethernet_wire_overhead));
	auto logs = run(s, 0, hz, [] { return 5000; }, 512);
	EXPECT_EQ(logs[0].sent, 14880953u); // packets whose first bit starts before t = 1 s
}

TEST(Scheduler, ManyStreams) {
	const uint64_t hz = 1000000000;
	const uint32_t n = 100000;
	scheduler s({.hz = hz, .slots_log2 = 16, .max_burst = 8});
	const uint16_t sz[] = {64};
	const int prof = s.add_profile({rate_unit::pps, 10}, sz, 0);
	for (uint32_t i = 0; i < n; i++)
		s.add_stream(i, prof);
	auto logs = run(s, 0, hz, [] { return 10000; }, 512);
	uint64_t total = 0;
	for (const auto &l : logs) {
		ASSERT_EQ(l.sent, 10u);
		total += l.sent;
	}
	EXPECT_EQ(total, 1000000u);
	EXPECT_EQ(s.counters().lag_resets, 0u);
}

TEST(Scheduler, SmallOutputAndBurstCapLoseNothing) {
	const uint64_t hz = 1000000000;
	scheduler s({.hz = hz, .max_burst = 3, .max_lag = hz});
	const uint16_t sz[] = {64, 128};
	const int prof = s.add_profile({rate_unit::pps, 50000}, sz, 0);
	for (uint32_t i = 0; i < 20; i++)
		s.add_stream(i, prof);
	// Polls far apart (2 ms: 100 packets due per stream), output of 7 items: the backlog
	// drains over several polls without loss, duplication or reordering within a stream.
	auto logs = run(s, 0, hz / 10, [] { return 2000000; }, 7);
	for (const auto &l : logs) {
		EXPECT_EQ(l.sent, 5000u);
		EXPECT_EQ(l.sizes.at(64), 2500u);
		EXPECT_EQ(l.sizes.at(128), 2500u);
	}
}

TEST(Scheduler, LagResetInsteadOfLongBurst) {
	const uint64_t hz = 1000000000;
	scheduler s({.hz = hz, .max_burst = 1000000, .max_lag = hz / 100});
	const uint16_t sz[] = {64};
	s.add_stream(0, s.add_profile({rate_unit::pps, 1000}, sz, 0));
	s.start(0, hz);
	std::vector<tx_item> out(4096);
	EXPECT_EQ(s.poll(0, out), 1u);
	// Stalled for 500 ms: the stream is re-timed, not 500 packets at once.
	EXPECT_EQ(s.poll(hz / 2, out), 1u);
	EXPECT_EQ(s.counters().lag_resets, 1u);
	EXPECT_EQ(s.counters().lag_ticks, hz / 2 - hz / 1000);
	// Then it continues at its rate from there.
	EXPECT_EQ(s.poll(hz / 2 + hz / 1000, out), 1u);
	EXPECT_EQ(s.poll(hz / 2 + hz / 1000 + 1, out), 0u);
}

TEST(Scheduler, StaggeredStartEachRunsFullDuration) {
	const uint64_t hz = 1000000000;
	scheduler s({.hz = hz});
	const uint16_t sz[] = {64};
	const int prof = s.add_profile({rate_unit::pps, 100}, sz, 0);
	for (uint32_t i = 0; i < 4; i++)
		s.add_stream(i, prof);
	auto logs = run(s, 0, hz, [] { return 100000; });
	for (uint32_t i = 0; i < 4; i++) {
		EXPECT_EQ(logs[i].first_due, i * (hz / 100) / 4);
		EXPECT_EQ(logs[i].sent, 100u);
	}
}

TEST(Scheduler, BadSetup) {
	scheduler s;
	const uint16_t sz[] = {64};
	EXPECT_EQ(s.add_profile({rate_unit::pps, 0}, sz, 0), -1);
	EXPECT_EQ(s.add_profile({rate_unit::pps, 10}, {}, 0), -1);
	EXPECT_EQ(s.add_stream(1, 0), -1);
	s.start(0, 100);
	EXPECT_TRUE(s.done());
	std::array<tx_item, 4> out;
	EXPECT_EQ(s.poll(1000, out), 0u);
}

} // namespace
} // namespace l2tpx::gen
