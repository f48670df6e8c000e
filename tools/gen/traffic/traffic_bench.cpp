// Per-packet cost of the engine's hot paths: signature write, RX measurement, pacing.
// Prints nanoseconds per packet; no thresholds (machine-dependent). Run:
//   ninja -C build tools/gen/traffic/gen_traffic_bench && build/tools/gen/traffic/gen_traffic_bench
// One phase and a packet count (for perf stat or callgrind): gen_traffic_bench tx|rx|sched [packets]
#include "tools/gen/traffic/rx_stats.hpp"
#include "tools/gen/traffic/scheduler.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace l2tpx::gen;
using clock_type = std::chrono::steady_clock;

static double ns_per(clock_type::time_point t0, uint64_t n) {
	return double(std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count()) / double(n);
}

int main(int argc, char **argv) {
	const char *only = argc > 1 ? argv[1] : nullptr;
	auto run_phase = [&](const char *phase) { return only == nullptr || std::strcmp(only, phase) == 0; };
	const bool tx = run_phase("tx"), rx_phase = run_phase("rx"), sched_phase = run_phase("sched");
	const uint64_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000000;
	constexpr uint32_t streams = 1024;

	// TX: signature into a 64-byte IPv4 frame's payload (short form) and a 128-byte one (long).
	std::array<uint8_t, 18> small{};
	std::array<uint8_t, 74> large{};
	uint64_t sink = 0;
	auto t0 = clock_type::now();
	for (uint64_t i = 0; tx && i < n; i++) {
		sink += write_signature(small, uint32_t(i % streams), i, i * 3);
		sink += small[2];
	}
	if (tx)
		std::printf("write_signature short: %.2f ns/pkt\n", ns_per(t0, n));
	t0 = clock_type::now();
	for (uint64_t i = 0; tx && i < n; i++) {
		sink += write_signature(large, uint32_t(i % streams), i, i * 3);
		sink += large[2];
	}
	if (tx)
		std::printf("write_signature long:  %.2f ns/pkt\n", ns_per(t0, n));

	// RX: 1024 streams, packets in order, long form, in a 4 MiB ring of payloads.
	constexpr size_t ring = 65536;
	std::vector<std::array<uint8_t, 24>> payloads(ring);
	rx_recorder rx(streams, 2500000000);
	uint64_t seq[streams] = {};
	t0 = clock_type::now();
	for (uint64_t i = 0; rx_phase && i < n; i++) {
		auto &p = payloads[i % ring];
		const uint32_t s = uint32_t(i % streams);
		write_signature(p, s, seq[s]++, i * 100);
		rx.on_packet(p, i * 100 + 50000 + (i & 1023), 64);
	}
	if (rx_phase)
		std::printf("write + on_packet:     %.2f ns/pkt (%llu received)\n", ns_per(t0, n),
	            static_cast<unsigned long long>(rx.stream(0).received));

	// Pacing: 100k streams at 100 pps (10 Mpps) polled every simulated microsecond.
	scheduler sched({.hz = 1000000000});
	const uint16_t sz[] = {64};
	const int prof = sched.add_profile({rate_unit::pps, 100}, sz, 0);
	for (uint32_t i = 0; i < 100000; i++)
		sched.add_stream(i, prof);
	std::array<tx_item, 256> out;
	sched.start(0, n * 100); // 10 Mpps: n packets in n * 100 ns
	uint64_t packets = 0;
	t0 = clock_type::now();
	for (uint64_t now = 0; sched_phase && !sched.done(); now += 1000)
		for (size_t k; (k = sched.poll(now, out)) != 0;)
			packets += k;
	if (sched_phase)
		std::printf("scheduler, 100k streams: %.2f ns/pkt (%llu packets)\n", ns_per(t0, packets),
	            static_cast<unsigned long long>(packets));
	return sink == 42 ? 1 : 0;
}
