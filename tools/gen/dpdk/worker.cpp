#include "tools/gen/dpdk/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <array>

namespace l2tpx::gen::dpdk {

namespace {

constexpr uint16_t burst = 32;
constexpr int tx_retries = 64;

void add(std::atomic<uint64_t> &c, uint64_t v) noexcept {
	if (v)
		c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

// Sends n mbufs on (port, queue), retrying while the NIC makes progress; frees the rest.
uint16_t send_all(uint16_t port, uint16_t q, rte_mbuf **m, uint16_t n) noexcept {
	uint16_t done = 0;
	for (int tries = 0; done < n && tries < tx_retries; ++tries) {
		const uint16_t k = rte_eth_tx_burst(port, q, m + done, uint16_t(n - done));
		done = uint16_t(done + k);
		if (k == 0)
			rte_pause();
	}
	if (done < n)
		rte_pktmbuf_free_bulk(m + done, n - done);
	return done;
}

class worker {
public:
	explicit worker(worker_ctx &c) : c_(c) {}

	int run() {
		uint32_t idle = 0, sleep_us = 0;
		while (true) {
			const int cmd = c_.cmd.load(std::memory_order_acquire);
			if (cmd == int(worker_cmd::quit))
				break;
			if (cmd >= int(worker_cmd::traffic) && !measuring_started_)
				start_traffic();
			if (cmd >= int(worker_cmd::stop_measuring) && measuring_) {
				measuring_ = false;
				sending_ = false;
				c_.state.store(int(worker_state::stopped), std::memory_order_release);
			}
			uint32_t work = 0;
			if (c_.rx) {
				if (c_.rx_access)
					work += poll_rx(c_.access_port, true);
				if (c_.rx_core && c_.core_port != no_port)
					work += poll_rx(c_.core_port, false);
			}
			if (c_.send_ctl && c_.ctl_tx)
				work += send_control();
			if (sending_)
				work += send_traffic();
			if (work) {
				idle = 0;
				sleep_us = 0;
			} else if (++idle < 256) {
				rte_pause();
			} else {
				// Nothing due and nothing received: sleep, doubling up to the cap (a shorter
				// one while streams run, so that pacing stays within tens of microseconds;
				// the TX timestamp is taken at send, so latency is not affected).
				const uint32_t cap = sending_ ? c_.idle_max_sleep_us / 4 : c_.idle_max_sleep_us;
				sleep_us = sleep_us == 0 ? 1 : std::min(sleep_us * 2, cap);
				rte_delay_us_sleep(sleep_us);
			}
		}
		return 0;
	}

private:
	void start_traffic() {
		measuring_started_ = true;
		measuring_ = true;
		recorder_ = c_.recorder.get();
		if (c_.sched && c_.sched->stream_count() > 0) {
			c_.sched->start(rte_rdtsc(), c_.duration_ticks);
			sending_ = true;
			c_.state.store(int(worker_state::sending), std::memory_order_release);
		} else {
			c_.state.store(int(worker_state::tx_done), std::memory_order_release);
		}
	}

	uint32_t poll_rx(uint16_t port, bool access) {
		std::array<rte_mbuf *, burst> m;
		const uint16_t n = rte_eth_rx_burst(port, c_.rxq, m.data(), burst);
		if (n == 0)
			return 0;
		const uint64_t now = rte_rdtsc();
		uint64_t measured = 0, bytes = 0, other = 0;
		std::array<rte_mbuf *, burst> ctl;
		uint16_t nctl = 0;
		for (uint16_t i = 0; i < n; ++i) {
			rte_mbuf *b = m[i];
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
			const std::span<const uint8_t> f(rte_pktmbuf_mtod(b, const uint8_t *), rte_pktmbuf_data_len(b));
			const rx_frame r = !access ? classify_core(f, c_.traffic_port)
			                   : c_.pw  ? classify_access_pw(f, *c_.pw, c_.traffic_port)
			                            : classify_access(f, c_.l2tp_port, c_.traffic_port);
			switch (r.kind) {
			case rx_kind::measured:
				if (recorder_ && measuring_) {
					recorder_->on_packet(r.payload, now, r.frame_bytes);
					++measured;
					bytes += r.frame_bytes;
				}
				rte_pktmbuf_free(b);
				break;
			case rx_kind::arp:
			case rx_kind::nd:
			case rx_kind::l2tp_control:
				b->port = port;
				ctl[nctl++] = b;
				break;
			case rx_kind::other:
				++other;
				rte_pktmbuf_free(b);
				break;
			}
		}
		if (nctl) {
			const unsigned q = rte_ring_enqueue_burst(c_.ctl_rx, reinterpret_cast<void **>(ctl.data()), nctl, nullptr);
			if (q < nctl) {
				rte_pktmbuf_free_bulk(ctl.data() + q, nctl - q);
				add(c_.counters.ctl_ring_full, nctl - q);
			}
		}
		add(c_.counters.rx_measured, measured);
		add(c_.counters.rx_bytes, bytes);
		add(c_.counters.rx_other, other);
		return n;
	}

	uint32_t send_control() {
		std::array<rte_mbuf *, burst> m;
		const unsigned n = rte_ring_dequeue_burst(c_.ctl_tx, reinterpret_cast<void **>(m.data()), burst, nullptr);
		for (unsigned i = 0; i < n; ++i)
			add(c_.counters.ctl_sent, send_all(m[i]->port, c_.txq, &m[i], 1));
		return n;
	}

	uint32_t send_traffic() {
		const uint64_t now = rte_rdtsc();
		const size_t k = c_.sched->poll(now, items_);
		if (k == 0) {
			if (c_.sched->done()) {
				sending_ = false;
				c_.state.store(int(worker_state::tx_done), std::memory_order_release);
			}
			return 0;
		}
		std::array<rte_mbuf *, burst> m;
		if (rte_pktmbuf_alloc_bulk(c_.pool, m.data(), unsigned(k)) != 0) {
			add(c_.counters.alloc_failed, k); // the packets stay unsent: counted as TX loss
			return 1;
		}
		std::array<rte_mbuf *, burst> up, down;
		std::array<uint32_t, burst> up_id, down_id, up_len, down_len;
		uint16_t nu = 0, nd = 0;
		const uint64_t ts = rte_rdtsc();
		const auto &streams = c_.plan->streams;
		for (size_t i = 0; i < k; ++i) {
			const tx_item &it = items_[i];
			const stream_info &si = streams[it.stream];
			const bool is_up = si.dir == direction::up;
			tx_template &t = si.family == 6 ? (is_up ? c_.up6[si.session] : c_.down6[si.session])
			                                : (is_up ? c_.up[si.session] : c_.down[si.session]);
			rte_mbuf *b = m[i];
			const size_t len = packet_length(t, it.frame_size);
			char *p = rte_pktmbuf_append(b, uint16_t(len));
			// A session's data Ns is one sequence over both families: the IPv4 template holds it.
			const bool shared_ns = is_up && t.ns_offset && si.family == 6;
			if (shared_ns)
				t.ns = c_.up[si.session].ns;
			if (p == nullptr || fill_packet(t, {reinterpret_cast<uint8_t *>(p), len}, it.frame_size, it.stream, it.seq, ts) == 0) {
				rte_pktmbuf_free(b);
				add(c_.counters.tx_failed, 1);
				continue;
			}
			if (shared_ns)
				c_.up[si.session].ns = t.ns;
			if (is_up) {
				up_id[nu] = it.stream;
				up_len[nu] = uint32_t(len);
				up[nu++] = b;
			} else {
				down_id[nd] = it.stream;
				down_len[nd] = uint32_t(len);
				down[nd++] = b;
			}
		}
		const uint16_t su = nu ? send_all(c_.access_port, c_.txq, up.data(), nu) : 0;
		const uint16_t sd = nd ? send_all(c_.core_port, c_.txq, down.data(), nd) : 0;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < su; ++i) {
			c_.sent[up_id[i]]++;
			bytes += up_len[i];
		}
		for (uint16_t i = 0; i < sd; ++i) {
			c_.sent[down_id[i]]++;
			bytes += down_len[i];
		}
		add(c_.counters.tx_packets, uint64_t(su) + sd);
		add(c_.counters.tx_bytes, bytes);
		add(c_.counters.tx_failed, uint64_t(nu - su) + (nd - sd));
		return uint32_t(k);
	}

	worker_ctx &c_;
	rx_recorder *recorder_ = nullptr;
	bool measuring_started_ = false, measuring_ = false, sending_ = false;
	std::array<tx_item, burst> items_{};
};

} // namespace

int worker_main(void *arg) {
	worker w(*static_cast<worker_ctx *>(arg));
	return w.run();
}

} // namespace l2tpx::gen::dpdk
