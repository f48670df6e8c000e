// Test-only helpers shared by the in-process dataplane tests that drive the runtime through
// net_ring ports (runtime_test.cpp, path_hooks_test.cpp): frame builders (Ethernet, IPv4,
// IPv6, UDP, ARP), the Internet checksum, a bounded wait, mbuf <-> bytes moves on the port
// rings, and the EAL arguments, start and stop of the runtime under test. Header-only;
// include it from test sources only.
#pragma once

#include "dataplane/runtime.hpp"
#include "shared/config/config.hpp"

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace l2tpx::dp::test_util {

using bytes = std::vector<uint8_t>;

// Waits for a condition; the bound only keeps a broken build from hanging the suite.
template <typename F> bool eventually(F &&f) {
	for (int i = 0; i < 200000; i++) {
		if (f())
			return true;
		usleep(50);
	}
	return false;
}

// One's-complement sum of 16-bit big-endian words (odd tail padded), unfolded.
inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t s = 0) {
	for (size_t i = 0; i + 1 < n; i += 2)
		s += uint32_t(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += uint32_t(p[n - 1] << 8);
	return s;
}
// Folds a sum16() and complements it: the Internet checksum.
inline uint16_t fold(uint32_t s) {
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(~s);
}
inline uint16_t csum(const uint8_t *p, size_t n) { return fold(sum16(p, n)); }

inline bytes eth(const uint8_t *dst, const uint8_t *src, uint16_t type, const bytes &payload) {
	bytes b(dst, dst + 6);
	b.insert(b.end(), src, src + 6);
	b.push_back(uint8_t(type >> 8));
	b.push_back(uint8_t(type));
	b.insert(b.end(), payload.begin(), payload.end());
	return b;
}

// IPv4 header (no options, valid checksum) + payload.
inline bytes ipv4(const uint8_t *src, const uint8_t *dst, uint8_t proto, const bytes &payload, uint8_t ttl = 64,
                  bool df = false) {
	bytes b(20, 0);
	const uint16_t len = uint16_t(20 + payload.size());
	b[0] = 0x45;
	b[2] = uint8_t(len >> 8);
	b[3] = uint8_t(len);
	b[6] = df ? 0x40 : 0;
	b[8] = ttl;
	b[9] = proto;
	std::memcpy(&b[12], src, 4);
	std::memcpy(&b[16], dst, 4);
	const uint16_t c = csum(b.data(), 20);
	b[10] = uint8_t(c >> 8);
	b[11] = uint8_t(c);
	b.insert(b.end(), payload.begin(), payload.end());
	return b;
}

inline bytes ipv6(const uint8_t *src, const uint8_t *dst, uint8_t next, const bytes &payload, uint8_t hlim = 64) {
	bytes b(40, 0);
	b[0] = 0x60;
	b[4] = uint8_t(payload.size() >> 8);
	b[5] = uint8_t(payload.size());
	b[6] = next;
	b[7] = hlim;
	std::memcpy(&b[8], src, 16);
	std::memcpy(&b[24], dst, 16);
	b.insert(b.end(), payload.begin(), payload.end());
	return b;
}

// UDP header with a zero checksum + payload.
inline bytes udp(uint16_t sport, uint16_t dport, const bytes &payload) {
	const uint16_t len = uint16_t(8 + payload.size());
	bytes b{uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), uint8_t(len >> 8), uint8_t(len), 0, 0};
	b.insert(b.end(), payload.begin(), payload.end());
	return b;
}

// ARP for IPv4 over Ethernet; op 1 request, 2 reply.
inline bytes arp(uint16_t op, const uint8_t *sha, const uint8_t *sip, const uint8_t *tha, const uint8_t *tip) {
	bytes b{0, 1, 8, 0, 6, 4, 0, uint8_t(op)};
	b.insert(b.end(), sha, sha + 6);
	b.insert(b.end(), sip, sip + 4);
	b.insert(b.end(), tha, tha + 6);
	b.insert(b.end(), tip, tip + 4);
	return b;
}

// Frees every mbuf waiting on a port ring.
inline void drain(rte_ring *r) {
	void *m;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
}

// Copies a frame into an mbuf from the pool and queues it on a port's RX ring.
inline void push(rte_mempool *pool, rte_ring *r, const bytes &b) {
	rte_mbuf *m = rte_pktmbuf_alloc(pool);
	ASSERT_NE(m, nullptr);
	std::memcpy(rte_pktmbuf_append(m, uint16_t(b.size())), b.data(), b.size());
	ASSERT_EQ(rte_ring_enqueue(r, m), 0);
}

// Next frame the dataplane sent on a port's TX ring; nullopt when none arrives in time.
inline std::optional<bytes> pop_frame(rte_ring *r) {
	void *m = nullptr;
	if (!eventually([&] { return rte_ring_dequeue(r, &m) == 0; }))
		return std::nullopt;
	auto *mb = static_cast<rte_mbuf *>(m);
	bytes b(rte_pktmbuf_mtod(mb, uint8_t *), rte_pktmbuf_mtod(mb, uint8_t *) + rte_pktmbuf_data_len(mb));
	rte_pktmbuf_free(mb);
	return b;
}

// EAL argv for an in-process test: --no-huge, 700 MiB, no PCI, a per-process file prefix,
// one lcore, or with L2TPX_TEST_WORKERS main + 2 workers as threads on CPUs 0-1.
inline std::vector<std::string> eal_args(const std::string &prog, const std::string &prefix_stem) {
	const std::string prefix = "--file-prefix=" + prefix_stem + std::to_string(getpid());
#if L2TPX_TEST_WORKERS
	return {prog, "--no-huge", "-m", "700", "--no-pci", prefix, "--lcores=(0-2)@(0-1)", "--main-lcore=0",
	        "--log-level=*:error"};
#else
	return {prog, "--no-huge", "-m", "700", "--no-pci", prefix, "-l", "0", "--log-level=*:error"};
#endif
}

// rte_eal_init() with eal_args(prog, prefix_stem); returns what it returns.
inline int eal_start(const std::string &prog, const std::string &prefix_stem) {
	std::vector<std::string> args = eal_args(prog, prefix_stem);
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	return rte_eal_init(int(argv.size()), argv.data());
}

// Two rings of 4096 (single producer and consumer) named rx_name and tx_name and a net_ring
// port over them, named "net_ring_<port_name>" for its devargs. Returns the port ID, or a
// negative value when the rings or the port cannot be made.
inline int ring_port(const char *rx_name, const char *tx_name, const char *port_name, rte_ring *&rx, rte_ring *&tx) {
	rx = rte_ring_create(rx_name, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx = rte_ring_create(tx_name, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	return rte_eth_from_rings(port_name, &rx, 1, &tx, 1, 0);
}

// The runtime config's worker_lcores line matching eal_args().
inline const char *worker_lcores_line() {
#if L2TPX_TEST_WORKERS
	return "worker_lcores = [1, 2]";
#else
	return "worker_lcores = []";
#endif
}

// rte_eal_cleanup() and removal of the EAL runtime folder of this process's --file-prefix.
inline void eal_cleanup() {
	const std::string dir = rte_eal_get_runtime_dir();
	rte_eal_cleanup();
	std::error_code ec;
	std::filesystem::remove_all(dir, ec);
}

// Sets a runtime up from `conf` and runs its control loop on `thread` (fatal failure when
// the setup fails; `rt` is set either way, stop_runtime() cleans up).
inline void start_runtime(runtime *&rt, std::thread &thread, const cfg::config &conf) {
	rt = new runtime;
	std::string err;
	ASSERT_TRUE(rt->setup(conf, err)) << err;
	runtime::clear_stop();
	thread = std::thread([r = rt] { r->run(); });
}

// Stops the control loop, joins its thread, destroys the runtime, then the EAL.
inline void stop_runtime(runtime *&rt, std::thread &thread) {
	runtime::request_stop();
	if (thread.joinable())
		thread.join();
	delete rt;
	rt = nullptr;
	eal_cleanup();
}

// Discards every event the runtime has queued for the control plane.
inline void drain_events(runtime &rt) {
	ring::event e;
	while (rte_ring_dequeue_elem(rt.event_ring(), &e, sizeof(e)) == 0) {
	}
}

} // namespace l2tpx::dp::test_util
