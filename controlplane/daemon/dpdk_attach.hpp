// The control plane's view of the running dataplane: EAL as a DPDK secondary process
// (same --file-prefix, --no-pci, one lcore), the four named rings and the packet pool
// (shared/ring/ring_names.hpp). The only file of the daemon that includes DPDK headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "controlplane/daemon/dataplane_io.hpp"
#include "shared/ring/packet_meta.hpp"

namespace l2tpx::cp::daemon {

struct attach_options {
	std::string file_prefix;
	uint32_t lcore = 0;
	std::vector<std::string> eal_args; // extra, after ours
	std::string program = "l2tpx-controlplane";
};

#define L2TPX_CPD_IO_COUNTERS(X)                                                                  \
	X(punts) X(punt_oversized) X(injects) X(inject_no_mbuf) X(inject_too_big) X(inject_ring_full) \
	X(events)

struct io_counters {
#define X(n) uint64_t n = 0;
	L2TPX_CPD_IO_COUNTERS(X)
#undef X
};

class dpdk_attachment final : public dataplane_io {
public:
	// Initialises EAL and looks everything up; nullptr with `error` set on failure.
	static std::unique_ptr<dpdk_attachment> attach(const attach_options &o, std::string &error);
	~dpdk_attachment() override; // rte_eal_cleanup()

	bool try_send(const ring::command &c) override;
	bool poll_event(ring::event &e) override;
	// Calls fn(data) for up to `max` punted packets (punt_meta + frame, contiguous), frees
	// them; returns the number handled.
	unsigned drain_punts(unsigned max, const std::function<void(std::span<const uint8_t>)> &fn) override;
	// Queues a packet on the inject ring: meta, then the parts concatenated. false when no
	// mbuf, too big, or the ring is full (counted).
	bool inject(const ring::inject_meta &meta, std::span<const uint8_t> part1,
	            std::span<const uint8_t> part2) override;
	// rte_eal_primary_proc_alive(): the primary holds a lock on its config file.
	bool alive() override;
	// The primary died: skip rte_eal_cleanup() (it would touch the shared memory).
	void abandon() noexcept { abandoned_ = true; }
	const io_counters &counters() const noexcept { return counters_; }

private:
	dpdk_attachment() = default;
	struct rings;
	std::unique_ptr<rings> r_;
	io_counters counters_;
	std::vector<uint8_t> scratch_;
	bool abandoned_ = false;
};

} // namespace l2tpx::cp::daemon
