// The generator's worker lcores. Worker w polls RX queue w of each port that has more
// than w queues (one queue: worker 0 alone; RSS: a worker per queue): it measures traffic
// packets into its own rx_recorder and hands ARP, ND and L2TP control frames (control
// messages and PPP frames other than IPv4) to the main lcore through the ctl_rx ring
// (multi-producer when several workers receive). Worker 0 also sends what the main lcore
// puts on the ctl_tx ring. Every worker w sends its share
// of the streams on TX queue w of each port, from per-session templates, paced by its
// scheduler. No allocation, exception or lock in the loop; idle back-off when there is
// nothing to do.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "tools/gen/dpdk/frames.hpp"
#include "tools/gen/traffic/rx_stats.hpp"
#include "tools/gen/traffic/scheduler.hpp"
#include "tools/gen/traffic/stream_plan.hpp"

struct rte_ring;
struct rte_mempool;

namespace l2tpx::gen::dpdk {

inline constexpr uint16_t no_port = 0xFFFF;

// Main -> worker commands (monotonic).
enum class worker_cmd : int { idle = 0, traffic = 1, stop_measuring = 2, quit = 3 };
// Worker -> main acknowledgements.
enum class worker_state : int { idle = 0, sending = 1, tx_done = 2, stopped = 3 };

struct alignas(64) worker_counters {
	std::atomic<uint64_t> tx_packets{0}, tx_bytes{0}; // traffic frames handed to the NIC
	std::atomic<uint64_t> tx_failed{0};               // refused by the NIC after retries
	std::atomic<uint64_t> alloc_failed{0};            // mbuf pool empty
	std::atomic<uint64_t> rx_measured{0}, rx_bytes{0};
	std::atomic<uint64_t> rx_other{0};                // not ARP, not L2TP control, not traffic
	std::atomic<uint64_t> ctl_ring_full{0};           // control frame dropped: ring full
	std::atomic<uint64_t> ctl_sent{0};
};

struct worker_ctx {
	uint32_t index = 0;
	uint16_t access_port = no_port, core_port = no_port;
	uint16_t txq = 0;
	bool rx = false;  // polls RX queue rxq of the ports below (worker 0 with one queue)
	uint16_t rxq = 0;
	bool rx_access = true, rx_core = true; // which ports have queue rxq
	bool send_ctl = false;                  // drains ctl_tx (worker 0 of a run, not a bench)
	const pw_rx_table *pw = nullptr;        // pseudowire run: how the access port is read
	rte_ring *ctl_rx = nullptr, *ctl_tx = nullptr;
	rte_mempool *pool = nullptr;
	uint16_t l2tp_port = 1701, traffic_port = 9000;
	uint32_t idle_max_sleep_us = 100;

	// Traffic, set by main before worker_cmd::traffic.
	std::unique_ptr<scheduler> sched;
	std::vector<tx_template> up;   // per plan session
	std::vector<tx_template> down; // per plan session
	std::vector<tx_template> up6, down6; // the same for IPv6 streams (empty without any)
	const stream_plan *plan = nullptr;
	std::vector<uint64_t> sent;    // per stream ID: frames the NIC accepted
	uint64_t duration_ticks = 0;
	std::unique_ptr<rx_recorder> recorder; // RX workers only

	std::atomic<int> cmd{0};
	std::atomic<int> state{0};
	worker_counters counters;
};

// The lcore entry point (arg: worker_ctx*).
int worker_main(void *arg);

} // namespace l2tpx::gen::dpdk
