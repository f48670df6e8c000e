// The poll loop of the worker lcores: RX burst -> packet paths -> per-port TX buffers,
// flushed when full, on a TSC timer and before sleeping; idle back-off; RCU quiescent state
// reported once per iteration (and offline while asleep).
#include "dataplane/runtime.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <unistd.h>

namespace l2tpx::dp {

const char *to_string(lcore_counter c) noexcept {
	switch (c) {
#define L2TPX_X(name, desc)                                                                        \
	case lcore_counter::name:                                                                      \
		return #name;
		L2TPX_LCORE_COUNTERS(L2TPX_X)
#undef L2TPX_X
	case lcore_counter::count_: break;
	}
	return "?";
}

void runtime::tx_burst(worker &w, uint16_t port) noexcept {
	tx_buffer &b = w.tx[port];
	if (b.n == 0)
		return;
	port_runtime *p = port_by_id(port);
	uint16_t sent = 0;
	if (p) {
		const uint16_t q = w.txq[port];
		if (p->shared_txq)
			rte_spinlock_lock(&p->txq_lock[q]);
		sent = rte_eth_tx_burst(port, q, b.pkts, b.n);
		if (p->shared_txq)
			rte_spinlock_unlock(&p->txq_lock[q]);
	}
	if (sent < b.n) {
		rte_pktmbuf_free_bulk(b.pkts + sent, b.n - sent);
		w.stats.port_tx_drop[port] += b.n - sent;
		w.counters.count(drop_reason::tx_full, b.n - sent);
	}
	w.stats.port_tx[port] += sent;
	b.n = 0;
}

bool runtime::send_one(worker &w, uint16_t port, rte_mbuf *m) noexcept {
	if (port >= max_ports) {
		rte_pktmbuf_free(m);
		return false;
	}
	tx_buffer &b = w.tx[port];
	b.pkts[b.n++] = m;
	if (b.n == tx_buffer_size)
		tx_burst(w, port);
	return true;
}

void runtime::flush_tx(worker &w, bool force) noexcept {
	const uint64_t now = rte_get_tsc_cycles();
	const uint64_t period = hz_ / 1000000 * conf_.dataplane.tx_flush_us;
	if (!force && now - w.last_flush_tsc < period)
		return;
	w.last_flush_tsc = now;
	for (auto *p : ports_)
		tx_burst(w, p->id);
}

namespace {

// Flow hash for software distribution: outer IP source and destination, so every packet of
// one L2TP tunnel (or to one subscriber from one source) stays on one worker, in order.
uint32_t flow_hash(const rte_mbuf *m) noexcept {
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	if (len < sizeof(rte_ether_hdr))
		return 0;
	uint32_t off = 12;
	uint16_t type = uint16_t(p[off] << 8 | p[off + 1]);
	for (int tags = 0; (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) && tags < 2; tags++) {
		off += 4;
		if (len < off + 2)
			return 0;
		type = uint16_t(p[off] << 8 | p[off + 1]);
	}
	off += 2;
	alignas(8) uint8_t addrs[32]; // rte_hash_crc loads 8 bytes at a time: hash an aligned copy
	if (type == RTE_ETHER_TYPE_IPV4 && len >= off + 20) {
		std::memcpy(addrs, p + off + 12, 8);
		return rte_hash_crc(addrs, 8, 0);
	}
	if (type == RTE_ETHER_TYPE_IPV6 && len >= off + 40) {
		std::memcpy(addrs, p + off + 8, 32);
		return rte_hash_crc(addrs, 32, 0);
	}
	return 0; // ARP and the like: worker 0
}

} // namespace

namespace {
// Hands the outputs of a burst on: TX buffers, the local ring (port: the input port, or
// no_port when the paths set m->port), the icmp ring, the punt ring.
constexpr uint16_t no_port = UINT16_MAX;
void dispatch(runtime &rt, worker &w, uint16_t port, burst_out &out) noexcept {
	for (uint16_t i = 0; i < out.n_tx; i++)
		rt.send_one(w, out.tx_port[i], out.tx[i]);
	out.n_tx = 0;
	if (out.n_local) {
		if (port != no_port)
			for (uint16_t i = 0; i < out.n_local; i++)
				out.local[i]->port = port; // not every PMD sets it (net_ring does not)
		const unsigned q = rte_ring_enqueue_burst(rt.local_ring(), reinterpret_cast<void **>(out.local), out.n_local, nullptr);
		if (q < out.n_local) {
			rte_pktmbuf_free_bulk(out.local + q, out.n_local - q);
			w.stats.count(lcore_counter::local_ring_full, out.n_local - q);
			w.counters.count(drop_reason::local_full, out.n_local - q);
		}
		w.stats.count(lcore_counter::local_to_main, q);
		out.n_local = 0;
	}
	if (out.n_icmp) {
		// Already counted under their drop reason; the main lcore builds the errors.
		const unsigned q = rte_ring_enqueue_burst(rt.icmp_ring(), reinterpret_cast<void **>(out.icmp), out.n_icmp, nullptr);
		if (q < out.n_icmp) {
			rte_pktmbuf_free_bulk(out.icmp + q, out.n_icmp - q);
			w.stats.count(lcore_counter::icmp_ring_full, out.n_icmp - q);
		}
		w.stats.count(lcore_counter::icmp_to_main, q);
		out.n_icmp = 0;
	}
	if (out.n_glean) {
		// Through the local ring, but only into its first half: a flood towards unused
		// on-link addresses must not crowd out the ARP replies and NAs that resolve them.
		rte_ring *r = rt.local_ring();
		const unsigned room = rte_ring_free_count(r) > rte_ring_get_capacity(r) / 2
		                          ? rte_ring_free_count(r) - rte_ring_get_capacity(r) / 2
		                          : 0;
		const unsigned want = out.n_glean < room ? out.n_glean : room;
		const unsigned q =
		    want ? rte_ring_enqueue_burst(r, reinterpret_cast<void **>(out.glean), want, nullptr) : 0;
		if (q < out.n_glean) {
			rte_pktmbuf_free_bulk(out.glean + q, out.n_glean - q);
			w.stats.count(lcore_counter::glean_ring_full, out.n_glean - q);
		}
		w.stats.count(lcore_counter::glean_to_main, q);
		out.n_glean = 0;
	}
	if (out.n_punt)
		flush_punts(w.ctx, out);
}

void process(runtime &rt, worker &w, uint16_t port, rte_mbuf **pkts, uint16_t n) noexcept {
	process_rx_burst(w.ctx, port, pkts, n, w.out);
	dispatch(rt, w, port, w.out);
}

// Packets from the spread ring may come from several ports: process runs of one port.
void process_mixed(runtime &rt, worker &w, rte_mbuf **pkts, uint16_t n) noexcept {
	uint16_t start = 0;
	for (uint16_t i = 1; i <= n; i++)
		if (i == n || pkts[i]->port != pkts[start]->port) {
			process(rt, w, pkts[start]->port, pkts + start, uint16_t(i - start));
			start = i;
		}
}
} // namespace

uint32_t runtime::poll_once(worker &w) noexcept {
	rte_mbuf *pkts[max_burst];
	uint32_t work = 0;
	if (w.reorder)
		w.reorder->now = rte_get_tsc_cycles(); // the reorder buffers' clock for this iteration
	const size_t nw = workers_.size();
	for (uint16_t i = 0; i < w.n_rxq; i++) {
		const rxq_ref r = w.rxq[i];
		const uint16_t n = rte_eth_rx_burst(r.port, r.queue, pkts, max_burst);
		if (n == 0)
			continue;
		work += n;
		w.stats.port_rx[r.port] += n;
		if (!w.spreads || nw < 2) {
			process(*this, w, r.port, pkts, n);
			continue;
		}
		port_runtime *p = port_by_id(r.port);
		if (p && p->rss) {
			process(*this, w, r.port, pkts, n);
			continue;
		}
		// Software distribution: keep our share, ring the rest to its worker.
		rte_mbuf *mine[max_burst];
		uint16_t n_mine = 0;
		for (uint16_t k = 0; k < n; k++) {
			pkts[k]->port = r.port; // the receiving worker groups by it
			const size_t t = flow_hash(pkts[k]) % nw;
			if (t == w.index) {
				mine[n_mine++] = pkts[k];
			} else if (rte_ring_enqueue(workers_[t]->spread_in, pkts[k]) == 0) {
				w.stats.count(lcore_counter::spread_out);
			} else {
				rte_pktmbuf_free(pkts[k]);
				w.stats.count(lcore_counter::spread_ring_full);
			}
		}
		if (n_mine)
			process(*this, w, r.port, mine, n_mine);
	}
	if (w.spread_in) {
		const unsigned n = rte_ring_dequeue_burst(w.spread_in, reinterpret_cast<void **>(pkts), max_burst, nullptr);
		if (n) {
			work += n;
			w.stats.count(lcore_counter::spread_in, n);
			process_mixed(*this, w, pkts, static_cast<uint16_t>(n));
		}
	}
	// Held out-of-order packets whose gap filled or whose time ran out (two compares when none).
	if (w.reorder && w.reorder->due()) {
		work += reorder_service(w.ctx, w.out);
		dispatch(*this, w, no_port, w.out);
	}
	flush_tx(w, false);
	w.stats.count(lcore_counter::polls);
	if (work)
		w.stats.count(lcore_counter::busy_polls);
	return work;
}

int runtime::worker_main(worker &w) {
	idle_backoff backoff(conf_.dataplane.backoff);
	rte_rcu_qsbr_thread_register(rcu_, w.index);
	rte_rcu_qsbr_thread_online(rcu_, w.index);
	while (!stopping()) {
		const uint32_t work = poll_once(w);
		rte_rcu_qsbr_quiescent(rcu_, w.index);
		switch (backoff.on_poll(work)) {
		case idle_backoff::action::none: break;
		case idle_backoff::action::pause: rte_pause(); break;
		case idle_backoff::action::sleep:
			flush_tx(w, true);
			rte_rcu_qsbr_thread_offline(rcu_, w.index);
			w.stats.count(lcore_counter::sleeps);
			usleep(backoff.sleep_us());
			rte_rcu_qsbr_thread_online(rcu_, w.index);
			break;
		}
	}
	flush_tx(w, true);
	rte_rcu_qsbr_thread_offline(rcu_, w.index);
	rte_rcu_qsbr_thread_unregister(rcu_, w.index);
	return 0;
}

int runtime::launch(void *arg) {
	auto *pair = static_cast<std::pair<runtime *, worker *> *>(arg);
	return pair->first->worker_main(*pair->second);
}

void runtime::run() {
	std::vector<std::pair<runtime *, worker *>> args;
	args.reserve(workers_.size());
	for (worker *w : workers_)
		if (!w->is_main)
			args.emplace_back(this, w);
	for (auto &a : args) {
		const int rc = rte_eal_remote_launch(launch, &a, a.second->lcore);
		if (rc != 0) {
			spdlog::error("cannot launch worker on lcore {}: {}", a.second->lcore, rte_strerror(-rc));
			request_stop();
		}
	}
	control_loop();
	for (auto &a : args)
		rte_eal_wait_lcore(a.second->lcore);
}

} // namespace l2tpx::dp
