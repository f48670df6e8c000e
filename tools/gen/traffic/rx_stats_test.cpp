#include "tools/gen/traffic/rx_stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace l2tpx::gen {
namespace {

struct expect_figures {
	uint64_t received, duplicates, reordered, late, lost;
};

// Feeds a sequence of sequence numbers on stream 0 (latency 1 us each) and checks figures.
void check_sequence(const std::vector<uint64_t> &seqs, uint64_t sent, const expect_figures &want) {
	rx_recorder rx(1, 1000000000);
	for (size_t i = 0; i < seqs.size(); i++)
		rx.record(0, seqs[i], i * 10, i * 10 + 1000, 64);
	const auto &st = rx.stream(0);
	EXPECT_EQ(st.received, want.received);
	EXPECT_EQ(st.duplicates, want.duplicates);
	EXPECT_EQ(st.reordered, want.reordered);
	EXPECT_EQ(st.late, want.late);
	EXPECT_EQ(st.lost(sent), want.lost);
	EXPECT_EQ(st.bytes, 64 * want.received);
}

std::vector<uint64_t> in_order(uint64_t n) {
	std::vector<uint64_t> v(n);
	for (uint64_t i = 0; i < n; i++)
		v[i] = i;
	return v;
}

TEST(RxStats, InOrder) { check_sequence(in_order(1000), 1000, {1000, 0, 0, 0, 0}); }

TEST(RxStats, DropEveryNth) {
	for (uint64_t nth : {2u, 3u, 10u, 100u, 1000u}) {
		std::vector<uint64_t> v;
		for (uint64_t i = 0; i < 10000; i++)
			if (i % nth != nth - 1)
				v.push_back(i);
		SCOPED_TRACE(nth);
		check_sequence(v, 10000, {10000 - 10000 / nth, 0, 0, 0, 10000 / nth});
	}
}

TEST(RxStats, GapLossVersusFinalLoss) {
	// Seqs 0..9, 5 and 9 dropped: the gap loss sees 5 only; the final loss (10 sent) both.
	rx_recorder rx(1, 1000000000);
	for (uint64_t s : {0, 1, 2, 3, 4, 6, 7, 8})
		rx.record(0, s, 0, 1, 64);
	EXPECT_EQ(rx.stream(0).gap_loss(), 1u);
	EXPECT_EQ(rx.stream(0).lost(10), 2u);
	// The gap filled later by a reordered packet is not a loss.
	rx.record(0, 5, 0, 1, 64);
	EXPECT_EQ(rx.stream(0).gap_loss(), 0u);
	EXPECT_EQ(rx.stream(0).lost(10), 1u);
	EXPECT_EQ(rx.stream(0).reordered, 1u);
}

TEST(RxStats, SwapAdjacentPairs) {
	std::vector<uint64_t> v;
	for (uint64_t i = 0; i < 1000; i += 2) {
		v.push_back(i + 1);
		v.push_back(i);
	}
	check_sequence(v, 1000, {1000, 0, 500, 0, 0});
}

TEST(RxStats, DuplicateEveryNth) {
	std::vector<uint64_t> v;
	for (uint64_t i = 0; i < 1000; i++) {
		v.push_back(i);
		if (i % 7 == 0)
			v.push_back(i);
	}
	const uint64_t dups = (999 / 7) + 1; // 0, 7, ..., 994
	check_sequence(v, 1000, {1000 + dups, dups, 0, 0, 0});
}

TEST(RxStats, DropSwapDuplicateCombined) {
	// Drop every 10th, swap adjacent survivors pairwise, duplicate every 13th delivered.
	std::vector<uint64_t> kept;
	for (uint64_t i = 0; i < 10000; i++)
		if (i % 10 != 9)
			kept.push_back(i);
	uint64_t swaps = 0;
	for (size_t i = 0; i + 1 < kept.size(); i += 2) {
		std::swap(kept[i], kept[i + 1]);
		swaps++;
	}
	std::vector<uint64_t> v;
	uint64_t dups = 0;
	for (size_t i = 0; i < kept.size(); i++) {
		v.push_back(kept[i]);
		if (i % 13 == 0) {
			v.push_back(kept[i]);
			dups++;
		}
	}
	check_sequence(v, 10000, {9000 + dups, dups, swaps, 0, 1000});
}

TEST(RxStats, WindowEdges) {
	// A packet delayed by exactly rx_window - 1 positions is still checked; rx_window: late.
	{
		std::vector<uint64_t> v;
		for (uint64_t i = 1; i < rx_window; i++)
			v.push_back(i);
		v.push_back(0); // d = rx_window - 1
		v.push_back(0); // now a duplicate
		check_sequence(v, rx_window, {rx_window + 1, 1, 1, 0, 0});
	}
	{
		std::vector<uint64_t> v;
		for (uint64_t i = 1; i <= rx_window; i++)
			v.push_back(i);
		v.push_back(0); // d = rx_window: beyond the bitmap
		check_sequence(v, rx_window + 1, {rx_window + 1, 0, 1, 1, 0});
	}
	// Jumps of every size keep the bitmap consistent.
	for (uint64_t jump : {1u, 63u, 64u, 65u, 127u, 128u, 200u, 253u, 256u, 1000u}) {
		SCOPED_TRACE(jump);
		std::vector<uint64_t> v{0, 1, 2, jump + 2, 1, 2, 0}; // 3 duplicates, or 3 late
		const bool in = jump + 2 < rx_window;
		check_sequence(v, jump + 3, {7, in ? 3u : 0u, in ? 0u : 3u, in ? 0u : 3u, in ? jump - 1 : jump - 4});
	}
}

TEST(RxStats, LatencyFigures) {
	rx_recorder rx(2, 2500000000, std::vector<uint8_t>{0, 1}); // 2.5 GHz TSC
	// Stream 0: latencies 1..1000 us in ticks; stream 1: constant 40 us.
	for (uint64_t i = 0; i < 1000; i++) {
		const uint64_t tx = 1000000 + i * 100000;
		rx.record(0, i, tx, tx + (i + 1) * 2500, 100);
		rx.record(1, i, tx, tx + 100000, 100);
	}
	const auto &a = rx.stream(0).latency;
	EXPECT_EQ(a.count(), 1000u);
	EXPECT_EQ(a.min(), 1000u);
	EXPECT_EQ(a.max(), 1000000u);
	EXPECT_DOUBLE_EQ(a.mean(), 500500.0);
	// p50 true value 500000 ns, p99 990000 ns; per-stream resolution is 1/8.
	EXPECT_GE(a.percentile(0.5), 500000u);
	EXPECT_LE(a.percentile(0.5), 500000u * 9 / 8);
	EXPECT_GE(a.percentile(0.99), 990000u);
	EXPECT_LE(a.percentile(0.99), 990000u * 9 / 8);
	const auto &b = rx.stream(1).latency;
	EXPECT_EQ(b.min(), 40000u);
	EXPECT_EQ(b.max(), 40000u);
	EXPECT_EQ(b.percentile(0.5), 40000u);
	EXPECT_EQ(b.percentile(0.99), 40000u);
	// Group totals, finer resolution (1/128).
	EXPECT_EQ(rx.group_latency(0).count(), 1000u);
	EXPECT_EQ(rx.group_latency(1).count(), 1000u);
	EXPECT_GE(rx.group_latency(0).percentile(0.99), 990000u);
	EXPECT_LE(rx.group_latency(0).percentile(0.99), 990000u + 990000u / 128);
	EXPECT_EQ(rx.group_latency(1).percentile(0.5), 40000u);
}

TEST(RxStats, ClockErrorsNotMeasured) {
	rx_recorder rx(1, 1000000000);
	rx.record(0, 0, 5000, 4000, 64);
	rx.record(0, 1, 5000, 6000, 64);
	EXPECT_EQ(rx.stream(0).received, 2u);
	EXPECT_EQ(rx.stream(0).clock_errors, 1u);
	EXPECT_EQ(rx.stream(0).latency.count(), 1u);
	EXPECT_EQ(rx.stream(0).latency.min(), 1000u);
}

TEST(RxStats, OnPacketCountsDropsByReason) {
	rx_recorder rx(4, 1000000000);
	std::vector<uint8_t> buf(40, 0);
	rx.on_packet(std::span<const uint8_t>(buf).first(10), 0, 64); // too short
	rx.on_packet(buf, 0, 64);                                     // no magic
	write_signature(buf, 2, 0, 100);
	buf[10] ^= 1;
	rx.on_packet(buf, 200, 64); // corrupt
	write_signature(buf, 4, 0, 100);
	rx.on_packet(buf, 200, 64); // stream 4 of 4
	write_signature(buf, 3, 0, 100);
	rx.on_packet(buf, 200, 64);
	EXPECT_EQ(rx.drops(rx_drop::foreign), 2u);
	EXPECT_EQ(rx.drops(rx_drop::corrupt), 1u);
	EXPECT_EQ(rx.drops(rx_drop::unknown_stream), 1u);
	EXPECT_EQ(rx.stream(3).received, 1u);
	EXPECT_EQ(rx.stream(3).latency.max(), 100u);
	EXPECT_STREQ(to_string(rx_drop::unknown_stream), "unknown_stream");
	EXPECT_STREQ(to_string(static_cast<rx_drop>(200)), "unknown");
}

TEST(RxStats, ShortFormExtendsAcrossWraps) {
	// Sequence numbers and timestamps crossing 2^32 on the wire in the short form.
	rx_recorder rx(1, 1000000000);
	std::array<uint8_t, 18> buf{};
	const uint64_t seq0 = 0xFFFFFF00, ts0 = 0xFFFFF000;
	// Sequence numbers below seq0 were "sent" but are not fed: a 0xFFFFFF00 packet start.
	for (uint64_t i = 0; i < 512; i++) {
		const uint64_t seq = seq0 + (i ^ 1); // swapped pairs
		const uint64_t tx = ts0 + i * 64;
		ASSERT_EQ(write_signature(buf, 0, seq, tx), signature_short_size);
		rx.on_packet(buf, tx + 777, 64);
	}
	const auto &st = rx.stream(0);
	EXPECT_EQ(st.received, 512u);
	EXPECT_EQ(st.highest, seq0 + 511);
	EXPECT_EQ(st.reordered, 256u);
	EXPECT_EQ(st.duplicates, 0u);
	EXPECT_EQ(st.latency.min(), 777u);
	EXPECT_EQ(st.latency.max(), 777u);
	EXPECT_EQ(st.lost(seq0 + 512), seq0);
}

TEST(RxStats, MergeAcrossCores) {
	// The same traffic, streams split across two recorders, merges to the same figures.
	rx_recorder one(3, 1000000000), a(3, 1000000000), b(3, 1000000000);
	std::mt19937_64 rng(3);
	for (uint64_t i = 0; i < 3000; i++) {
		const uint32_t stream = static_cast<uint32_t>(i % 3);
		const uint64_t seq = i / 3;
		if (seq % 17 == 5)
			continue; // lost
		const uint64_t lat = 1000 + rng() % 100000;
		one.record(stream, seq, i, i + lat, 64);
		(stream == 1 ? b : a).record(stream, seq, i, i + lat, 64);
		if (seq % 50 == 0) {
			one.record(stream, seq, i, i + lat, 64);
			(stream == 1 ? b : a).record(stream, seq, i, i + lat, 64);
		}
	}
	stream_rx_stats total_one, total_merged;
	for (size_t s = 0; s < 3; s++) {
		stream_rx_stats m = a.stream(s);
		m.merge(b.stream(s));
		EXPECT_EQ(m.received, one.stream(s).received);
		EXPECT_EQ(m.duplicates, one.stream(s).duplicates);
		EXPECT_EQ(m.highest, one.stream(s).highest);
		EXPECT_EQ(m.latency.percentile(0.99), one.stream(s).latency.percentile(0.99));
		EXPECT_EQ(m.lost(1000), one.stream(s).lost(1000));
		total_one.merge(one.stream(s));
		total_merged.merge(m);
	}
	EXPECT_EQ(total_one.received, total_merged.received);
	EXPECT_EQ(total_one.lost(3000), 3 * 59u); // seq % 17 == 5: 59 of each stream's 1000
}

// --- histogram ---

template <typename H> void check_layout() {
	uint64_t prev_high = 0;
	for (size_t i = 0; i + 1 < H::bucket_count; i++) {
		const uint64_t lo = H::lowest_of(i), hi = H::highest_of(i);
		ASSERT_LE(lo, hi);
		if (i > 0) {
			ASSERT_EQ(lo, prev_high + 1) << i; // contiguous, no gaps or overlaps
		}
		ASSERT_EQ(H::index_of(lo), i);
		ASSERT_EQ(H::index_of(hi), i);
		prev_high = hi;
	}
	EXPECT_EQ(prev_high + 1, H::limit);
	EXPECT_EQ(H::index_of(H::limit), H::bucket_count - 1);
	EXPECT_EQ(H::index_of(UINT64_MAX), H::bucket_count - 1);
}

TEST(Histogram, Layout) {
	check_layout<stream_latency_histogram>();
	check_layout<total_latency_histogram>();
	check_layout<log_linear_histogram<1, 10>>();
}

template <typename H> void check_accuracy(unsigned sub_bits, uint64_t seed) {
	std::mt19937_64 rng(seed);
	std::vector<uint64_t> values;
	H h;
	for (int i = 0; i < 20000; i++) {
		// Log-uniform over 1 ns .. 10 ms, plus some exact small values.
		const uint64_t v = static_cast<uint64_t>(std::exp(std::uniform_real_distribution<double>(0, 16.1)(rng)));
		values.push_back(v);
		h.record(v);
	}
	std::sort(values.begin(), values.end());
	for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0}) {
		const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * values.size())));
		const uint64_t exact = values[rank - 1];
		const uint64_t got = h.percentile(q);
		EXPECT_GE(got, exact) << q;
		EXPECT_LE(got, exact + (exact >> sub_bits)) << q;
	}
	EXPECT_EQ(h.min(), values.front());
	EXPECT_EQ(h.max(), values.back());
	EXPECT_EQ(h.percentile(1.0), values.back());
}

TEST(Histogram, PercentileAccuracy) {
	for (uint64_t seed : {1u, 2u, 3u}) {
		check_accuracy<stream_latency_histogram>(3, seed);
		check_accuracy<total_latency_histogram>(7, seed);
	}
}

TEST(Histogram, MergeEqualsCombined) {
	total_latency_histogram a, b, all;
	std::mt19937_64 rng(9);
	for (int i = 0; i < 5000; i++) {
		const uint64_t v = rng() % 5000000;
		(i % 3 ? a : b).record(v);
		all.record(v);
	}
	a.merge(b);
	EXPECT_EQ(a.count(), all.count());
	EXPECT_EQ(a.sum(), all.sum());
	EXPECT_EQ(a.min(), all.min());
	EXPECT_EQ(a.max(), all.max());
	for (size_t i = 0; i < total_latency_histogram::bucket_count; i++)
		ASSERT_EQ(a.bucket(i), all.bucket(i));
	EXPECT_EQ(a.percentile(0.99), all.percentile(0.99));
}

TEST(Histogram, EmptyAndOverflow) {
	stream_latency_histogram h;
	EXPECT_EQ(h.percentile(0.5), 0u);
	EXPECT_EQ(h.min(), 0u);
	EXPECT_EQ(h.mean(), 0.0);
	h.record(uint64_t(1) << 40); // beyond 2^32 ns
	h.record(5);
	EXPECT_EQ(h.percentile(1.0), uint64_t(1) << 40);
	EXPECT_EQ(h.percentile(0.5), 5u);
}

TEST(TickConverter, Conversions) {
	EXPECT_EQ(tick_converter(1000000000).to_ns(123456789), 123456789u);
	EXPECT_EQ(tick_converter(2500000000).to_ns(2500), 1000u);
	EXPECT_EQ(tick_converter(2500000000).to_ns(25000000000), 10000000000u); // 10 s
	const uint64_t ns = tick_converter(2194917000).to_ns(2194917000);
	EXPECT_EQ(ns, 1000000000u);
	EXPECT_EQ(tick_converter(3000000000).to_ns(1), 0u); // 0.33 ns rounds to 0
	EXPECT_EQ(tick_converter(3000000000).to_ns(2), 1u); // 0.67 ns rounds to 1
}

} // namespace
} // namespace l2tpx::gen
