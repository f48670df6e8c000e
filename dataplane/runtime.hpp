// The dataplane process after EAL init: ports, packet pool, rings, tables, workers.
//
// Lcores: the main lcore runs the control loop (command ring, inject ring, frames for the
// dataplane itself, ARP, housekeeping). Each worker lcore polls its RX queues, hands each
// burst to the packet paths (dataplane/path), buffers TX per port and flushes on a TSC timer.
// With no worker lcores configured, the main lcore also polls the ports.
//
// Distribution: with RSS, every worker owns one RX queue of every port. A port with fewer
// RX queues than workers (most vdevs) is read by worker 0 alone, which spreads its packets
// over the workers' spread rings by a flow hash (software distribution).
// TX: one queue per lcore per port; a port with fewer TX queues shares them under a lock.
#pragma once

#include "dataplane/backoff.hpp"
#include "dataplane/lcore_stats.hpp"
#include "dataplane/neighbour.hpp"
#include "dataplane/path/path.hpp"
#include "dataplane/path/reorder.hpp"
#include "dataplane/tables.hpp"
#include "shared/config/config.hpp"

#include <rte_spinlock.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace l2tpx::dp {

inline constexpr unsigned max_workers = 64;
inline constexpr uint16_t tx_buffer_size = 64;

struct port_runtime {
	uint16_t id = 0;         // DPDK port id
	cfg::port_config conf;
	uint8_t mac[6] = {};
	uint16_t nb_rxq = 1;
	uint16_t nb_txq = 1;
	bool rss = false;        // one RX queue per worker
	bool shared_txq = false; // fewer TX queues than lcores: take txq_lock
	rte_spinlock_t txq_lock[max_workers + 1];
	bool found = false;      // the DPDK device exists (closed at teardown)
	bool started = false;
	// net_af_packet: the PMD's AF_PACKET sockets (one per queue pair), found by inode, whose
	// kernel PACKET_STATISTICS (frames dropped because the RX ring was full) DPDK 22.11's
	// PMD does not report. Summed by runtime::read_ring_stats(); see docs/dataplane.md.
	static constexpr unsigned max_ring_fds = 16;
	int ring_fds[max_ring_fds] = {};
	uint8_t n_ring_fds = 0;
	std::atomic<uint64_t> kernel_ring_drops{0};
	std::atomic<uint64_t> kernel_ring_packets{0};
};

struct rxq_ref {
	uint16_t port;
	uint16_t queue;
};

struct tx_buffer {
	uint16_t n;
	rte_mbuf *pkts[tx_buffer_size];
};

struct alignas(64) worker {
	unsigned lcore = 0;
	unsigned index = 0;        // 0..n-1; the RCU thread id
	bool is_main = false;      // the main lcore (control loop; a worker in single-lcore mode)
	bool polls = false;        // reads ports (false for a main lcore next to workers)
	rxq_ref rxq[max_ports * 2];
	uint16_t n_rxq = 0;
	bool spreads = false;      // software distributor (worker 0 when a port lacks RSS)
	rte_ring *spread_in = nullptr;
	uint16_t txq[max_ports] = {};
	tx_buffer tx[max_ports];
	uint64_t last_flush_tsc = 0;
	path_ctx ctx{};
	burst_out out{};
	reorder_pool *reorder = nullptr; // reorder buffers (dataplane/path/reorder.hpp); owned, polling lcores only
	session_stats *sstats = nullptr; // capacity entries
	path_counters counters{};
	lcore_stats stats{};
};

class runtime {
public:
	runtime() = default;
	runtime(const runtime &) = delete;
	runtime &operator=(const runtime &) = delete;
	~runtime();

	// After rte_eal_init. Ports named by the config must already be probed (EAL --vdev/-a,
	// or created by a test with rte_eth_from_rings under the devargs' device name).
	bool setup(const cfg::config &c, std::string &err);
	// Launches the workers and runs the control loop on the calling (main) lcore until
	// request_stop(). Returns after every worker has returned.
	void run();
	static void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
	static void clear_stop() noexcept { stop_.store(false, std::memory_order_relaxed); }
	static bool stopping() noexcept { return stop_.load(std::memory_order_relaxed); }
	// Stops the ports and frees everything; also run by the destructor.
	void teardown();

	// Used by workers, the control loop and telemetry.
	const cfg::config &conf() const noexcept { return conf_; }
	tables &tbl() noexcept { return *tables_; }
	neighbours &neigh() noexcept { return *neigh_; }
	const std::vector<port_runtime *> &ports() const noexcept { return ports_; }
	port_runtime *port_by_id(uint16_t id) noexcept;
	const std::vector<worker *> &workers() const noexcept { return workers_; }
	worker &main_worker() noexcept { return *main_; }
	rte_mempool *pool() noexcept { return pool_; }
	rte_ring *command_ring() noexcept { return cmd_ring_; }
	rte_ring *event_ring() noexcept { return evt_ring_; }
	rte_ring *punt_ring() noexcept { return punt_ring_; }
	rte_ring *inject_ring() noexcept { return inject_ring_; }
	rte_ring *local_ring() noexcept { return local_ring_; }
	// Packets that get an ICMP error (dataplane/icmp_error.hpp, the paths' hook): workers
	// enqueue, the main lcore builds and sends the errors.
	rte_ring *icmp_ring() noexcept { return icmp_ring_; }
	rte_rcu_qsbr *rcu() noexcept { return rcu_; }
	uint64_t tsc_hz() const noexcept { return hz_; }
	uint32_t boot_id() const noexcept { return boot_id_; }

	// Control-plane-side counters (main lcore only).
	struct control_stats {
		uint64_t commands = 0, command_errors = 0, bad_messages = 0, events = 0, event_ring_full = 0;
		uint64_t injected = 0, inject_dropped = 0, local_frames = 0, local_dropped = 0, echo_replies = 0;
		// Frames the paths could not send for want of a next hop on a connected prefix
		// (glean): sent here when the MAC was known by then, else resolution starts and the
		// frame is dropped.
		uint64_t glean_frames = 0, glean_forwarded = 0;
		// ICMP errors (icmp ring): sent; refused by the rate limit; not sent by the rules
		// (about an ICMP error, a fragment, a multicast source, ...); no next hop/mbuf/session.
		uint64_t icmp_errors_sent = 0, icmp_errors_limited = 0, icmp_errors_suppressed = 0,
		         icmp_errors_unsent = 0;
	} cstats;

	// Per-lcore loop pieces (worker.cpp).
	uint32_t poll_once(worker &w) noexcept;
	void flush_tx(worker &w, bool force) noexcept;
	bool send_one(worker &w, uint16_t port, rte_mbuf *m) noexcept; // buffered
	void tx_burst(worker &w, uint16_t port) noexcept;

	// Static sessions from the config (setup, and tests).
	bool install_static(std::string &err);

	// Adds the kernel's AF_PACKET ring counters (drops, packets) since the last read to each
	// net_af_packet port's totals (getsockopt PACKET_STATISTICS resets them). Runs every
	// second on an EAL alarm; callable from any thread (telemetry reads it before answering).
	void read_ring_stats() noexcept;
	static constexpr uint64_t ring_stats_period_us = 1000000; // the kernel's counters are 32 bits

private:
	bool setup_ports(std::string &err);
	bool setup_port(port_runtime &p, std::string &err);
	bool setup_rings(std::string &err);
	bool setup_workers(std::string &err);
	void find_ring_sockets(port_runtime &p);
	static void ring_stats_alarm(void *arg);
	int worker_main(worker &w);
	void control_loop();
	static int launch(void *arg);

	cfg::config conf_;
	std::vector<port_runtime *> ports_;
	port_runtime *by_id_[max_ports] = {};
	std::vector<worker *> workers_; // readers of the tables (RCU ids = index)
	worker *main_ = nullptr;        // main lcore (== workers_[0] in single-lcore mode)
	bool main_polls_ = false;
	rte_mempool *pool_ = nullptr;
	rte_ring *cmd_ring_ = nullptr, *evt_ring_ = nullptr, *punt_ring_ = nullptr, *inject_ring_ = nullptr,
	         *local_ring_ = nullptr, *icmp_ring_ = nullptr;
	std::vector<rte_ring *> spread_rings_;
	rte_rcu_qsbr *rcu_ = nullptr;
	std::unique_ptr<tables> tables_;
	std::unique_ptr<neighbours> neigh_;
	uint64_t hz_ = 1;
	uint32_t boot_id_ = 0;
	bool torn_down_ = false;
	std::atomic<bool> ring_alarm_{false}; // the ring-stats alarm is armed (cleared to stop it)
	rte_spinlock_t ring_stats_lock_ = RTE_SPINLOCK_INITIALIZER;
	static std::atomic<bool> stop_;
};

} // namespace l2tpx::dp
