#include "tools/gen/traffic/rx_stats.hpp"

#include <algorithm>
#include <cassert>

namespace l2tpx::gen {

const char *to_string(rx_drop d) noexcept {
	switch (d) {
#define L2TPX_X(name, desc)                                                                        \
	case rx_drop::name:                                                                            \
		return #name;
		L2TPX_GEN_RX_DROPS(L2TPX_X)
#undef L2TPX_X
	}
	return "unknown";
}

const char *describe(rx_drop d) noexcept {
	switch (d) {
#define L2TPX_X(name, desc)                                                                        \
	case rx_drop::name:                                                                            \
		return desc;
		L2TPX_GEN_RX_DROPS(L2TPX_X)
#undef L2TPX_X
	}
	return "unknown";
}

void stream_rx_stats::merge(const stream_rx_stats &o) noexcept {
	if (o.received != 0)
		highest = received != 0 ? std::max(highest, o.highest) : o.highest;
	received += o.received;
	duplicates += o.duplicates;
	reordered += o.reordered;
	late += o.late;
	bytes += o.bytes;
	clock_errors += o.clock_errors;
	latency.merge(o.latency);
}

tick_converter::tick_converter(uint64_t hz) noexcept {
	if (hz == 0)
		hz = 1000000000;
	__extension__ using u128 = unsigned __int128;
	mult = static_cast<uint64_t>(((u128(1000000000) << shift) + hz / 2) / hz);
}

rx_recorder::rx_recorder(size_t streams, uint64_t hz, std::span<const uint8_t> stream_group)
    : conv_(hz), streams_(streams) {
	for (size_t i = 0; i < streams && i < stream_group.size(); i++)
		streams_[i].group = static_cast<uint8_t>(std::min<size_t>(stream_group[i], rx_groups - 1));
}

void rx_recorder::record(uint32_t stream, uint64_t seq, uint64_t tx_ts, uint64_t rx_ts, uint32_t frame_bytes) noexcept {
	assert(stream < streams_.size());
	entry &e = streams_[stream];
	stream_rx_stats &st = e.stats;
	auto &w = e.window;
	// Circular bitmap (RFC 6479 style): bit (seq mod rx_window) says whether seq was received,
	// valid for the rx_window sequence numbers up to the highest. No shifting.
	auto bit_of = [](uint64_t seq) { return uint64_t(1) << (seq % 64); };
	auto word_of = [&w](uint64_t seq) -> uint64_t & { return w[(seq / 64) % (rx_window / 64)]; };

	if (st.received == 0 || seq > st.highest) {
		const uint64_t dist = st.received == 0 ? rx_window : seq - st.highest;
		if (dist >= rx_window) {
			w.fill(0);
		} else {
			// Forget the slots of the skipped (lost so far) sequence numbers.
			for (uint64_t s = st.highest + 1; s < seq; s++)
				word_of(s) &= ~bit_of(s);
		}
		word_of(seq) |= bit_of(seq);
		st.highest = seq;
	} else {
		const uint64_t d = st.highest - seq;
		if (d >= rx_window) {
			st.late++;
			st.reordered++;
		} else {
			uint64_t &word = word_of(seq);
			const uint64_t bit = bit_of(seq);
			if (word & bit) {
				st.received++;
				st.duplicates++;
				st.bytes += frame_bytes;
				return; // a duplicate is not measured for latency
			}
			word |= bit;
			st.reordered++;
		}
	}
	st.received++;
	st.bytes += frame_bytes;
	if (rx_ts < tx_ts) {
		st.clock_errors++;
		return;
	}
	const uint64_t ns = conv_.to_ns(rx_ts - tx_ts);
	st.latency.record(ns);
	totals_[e.group].record(ns);
}

} // namespace l2tpx::gen
