#include "controlplane/daemon/dpdk_attach.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "shared/ring/ring_names.hpp"

namespace l2tpx::cp::daemon {

struct dpdk_attachment::rings {
	rte_ring *cmd = nullptr, *evt = nullptr, *punt = nullptr, *inject = nullptr;
	rte_mempool *pool = nullptr;
	bool eal = false;
};

namespace {

// The dataplane's detach request (ring::detach_request_name), answered from EAL's
// multi-process thread: 0 none, 1 asked (the main thread must stop touching the shared
// objects), 2 the main thread has seen it and will not touch them again.
std::atomic<int> g_detach{0};

int on_detach_request(const rte_mp_msg *msg, const void *peer) {
	int expected = 0;
	g_detach.compare_exchange_strong(expected, 1);
	// Wait (bounded) until the main thread is out of any ring or mempool call: it checks
	// the flag on entry to each. The dataplane frees nothing before this answer.
	for (int i = 0; i < 500 && g_detach.load() != 2; ++i)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	rte_mp_msg reply{};
	std::snprintf(reply.name, sizeof(reply.name), "%s", msg->name);
	return rte_mp_reply(&reply, static_cast<const char *>(peer));
}

// Every access to the shared objects starts here: false once the dataplane asked.
bool may_touch() noexcept {
	if (g_detach.load(std::memory_order_acquire) == 0)
		return true;
	g_detach.store(2, std::memory_order_release);
	return false;
}

} // namespace

std::unique_ptr<dpdk_attachment> dpdk_attachment::attach(const attach_options &o, std::string &error) {
	std::vector<std::string> args{o.program,
	                              "--proc-type=secondary",
	                              "--file-prefix=" + o.file_prefix,
	                              "--no-pci",
	                              "-l",
	                              std::to_string(o.lcore),
	                              "--no-telemetry"};
	args.insert(args.end(), o.eal_args.begin(), o.eal_args.end());
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	std::unique_ptr<dpdk_attachment> d(new dpdk_attachment());
	d->r_ = std::make_unique<rings>();
	if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
		error = std::string("EAL init as secondary (file prefix \"") + o.file_prefix + "\") failed: " +
		        (rte_errno ? rte_strerror(rte_errno) : "see the EAL messages above") +
		        "; is l2tpx-dataplane running with this file prefix?";
		return nullptr;
	}
	d->r_->eal = true;
	struct {
		const char *name;
		rte_ring **where;
	} const lookups[] = {{ring::command_ring_name, &d->r_->cmd},
	                     {ring::event_ring_name, &d->r_->evt},
	                     {ring::punt_ring_name, &d->r_->punt},
	                     {ring::inject_ring_name, &d->r_->inject}};
	for (const auto &l : lookups) {
		*l.where = rte_ring_lookup(l.name);
		if (!*l.where) {
			error = std::string("ring ") + l.name + " not found: the dataplane has not created it";
			return nullptr;
		}
	}
	d->r_->pool = rte_mempool_lookup(ring::pool_name);
	if (!d->r_->pool) {
		error = std::string("mempool ") + ring::pool_name + " not found";
		return nullptr;
	}
	if (rte_mp_action_register(ring::detach_request_name, on_detach_request) < 0 && rte_errno != EEXIST) {
		error = std::string("cannot register the multi-process action ") + ring::detach_request_name + ": " +
		        rte_strerror(rte_errno);
		return nullptr;
	}
	d->scratch_.resize(16384);
	return d;
}

dpdk_attachment::~dpdk_attachment() {
	if (r_ && r_->eal && !abandoned_)
		rte_eal_cleanup();
}

bool dpdk_attachment::alive() {
	return may_touch() && rte_eal_primary_proc_alive(nullptr) != 0;
}

bool dpdk_attachment::try_send(const ring::command &c) {
	if (!may_touch())
		return false;
	ring::command copy = c; // rte_ring_enqueue_elem takes a non-const pointer
	return rte_ring_enqueue_elem(r_->cmd, &copy, sizeof(copy)) == 0;
}

bool dpdk_attachment::poll_event(ring::event &e) {
	if (!may_touch())
		return false;
	if (rte_ring_dequeue_elem(r_->evt, &e, sizeof(e)) != 0)
		return false;
	++counters_.events;
	return true;
}

unsigned dpdk_attachment::drain_punts(unsigned max, const std::function<void(std::span<const uint8_t>)> &fn) {
	rte_mbuf *pkts[32];
	unsigned done = 0;
	while (done < max && may_touch()) {
		const unsigned want = std::min<unsigned>(32, max - done);
		const unsigned n = rte_ring_dequeue_burst(r_->punt, reinterpret_cast<void **>(pkts), want, nullptr);
		for (unsigned i = 0; i < n; i++) {
			rte_mbuf *m = pkts[i];
			++counters_.punts;
			const uint32_t len = rte_pktmbuf_pkt_len(m);
			if (len > scratch_.size()) {
				++counters_.punt_oversized;
			} else {
				const void *p = rte_pktmbuf_read(m, 0, len, scratch_.data());
				if (p)
					fn(std::span(static_cast<const uint8_t *>(p), len));
			}
			rte_pktmbuf_free(m);
		}
		done += n;
		if (n < want)
			break;
	}
	return done;
}

bool dpdk_attachment::inject(const ring::inject_meta &meta, std::span<const uint8_t> part1,
                             std::span<const uint8_t> part2) {
	if (!may_touch())
		return false;
	const size_t len = sizeof(meta) + part1.size() + part2.size();
	rte_mbuf *m = rte_pktmbuf_alloc(r_->pool);
	if (!m) {
		++counters_.inject_no_mbuf;
		return false;
	}
	if (len > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		++counters_.inject_too_big;
		return false;
	}
	auto *d = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
	std::memcpy(d, &meta, sizeof(meta));
	if (!part1.empty())
		std::memcpy(d + sizeof(meta), part1.data(), part1.size());
	if (!part2.empty())
		std::memcpy(d + sizeof(meta) + part1.size(), part2.data(), part2.size());
	if (rte_ring_enqueue(r_->inject, m) != 0) {
		rte_pktmbuf_free(m);
		++counters_.inject_ring_full;
		return false;
	}
	++counters_.injects;
	return true;
}

} // namespace l2tpx::cp::daemon
