// l2tpx-dp-bench: worker cores running the packet paths through DPDK ethdevs.
//
// The worker loop is the dataplane's: rte_eth_rx_burst -> process_rx_burst ->
// rte_eth_tx_burst -> flush_punts, on a net_ring port (rte_eth_from_rings) whose RX ring a
// feeder fills with pre-built frames, chosen uniformly at random over N sessions, and whose
// TX ring the feeder recycles. The feeder (mbuf reset + frame copy, like a NIC's DMA) and
// the punt ring drain (the control plane's job) are timed apart and not counted.
//
//   l2tpx-dp-bench [--sessions 1,1000,100000,1000000] [--scenarios all|name,...]
//                  [--packets N] [--huge] [--lpm] [--callgrind] [--rx-cksum-offload]
//                  [--lcore N] [--workers N]
//
// --huge: EAL memory in hugepages, and the session/seq/stats/direct-route arrays allocated
//   from it (rte_zmalloc), as the dataplane runtime does; default --no-huge, arrays on the heap.
// --lpm: subscriber /32s in an rte_lpm (O(N^2) to install) instead of the direct table.
// --workers N: N workers on lcores L..L+N-1 (L = --lcore), each with its own net_ring port, feeder, punt
//   ring, counters and session_stats array, sharing the session tables; "mpps" is the sum.
// --rx-cksum-offload: the feeder marks frames as a NIC with IPv4/L4 RX checksum offload
// would (RTE_MBUF_F_RX_IP_CKSUM_GOOD | _L4_CKSUM_GOOD); without it the path verifies the
// outer IPv4 header checksum in software, as it must on net_ring/net_null.
// Prints one JSON object per scenario per line (prefix "{"), everything else on stderr.
// --callgrind (one worker): small fixed packet count; under
//   valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=F
// the counts are dumped twice per scenario: "path <scenario> <sessions> <pkts>" covers
// process_rx_burst + flush_punts only, "worker ..." the whole worker step (rx, path, tx).
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <valgrind/callgrind.h>

#include "dataplane/path/path_test_util.hpp"
#include "dataplane/tables.hpp"
#include "shared/config/config.hpp"
#include "shared/ring/messages.hpp"
#include "shared/base/byteorder.hpp"

using namespace l2tpx;
using namespace l2tpx::dp;

namespace {

constexpr uint16_t burst = 32;
constexpr uint32_t lns_ip = 0xc0000201, lac_ip = 0xc6336402, core_ip = 0x08080808;
constexpr uint32_t sub_base = 0x64400000; // 100.64.0.0/10: room for 4M subscribers
constexpr uint32_t frame_stride = 128;
constexpr uint32_t ring_size = 1024;
constexpr uint32_t seq_len = 1u << 22; // pre-drawn session choices, reused cyclically

enum class family { v2, v3 };

struct scenario_def {
	const char *name;
	family fam;
	port_role role;
};

constexpr scenario_def scenarios[] = {
    {"v2_decap", family::v2, port_role::access},
    {"v2_decap_lso", family::v2, port_role::access},
    {"v2_encap", family::v2, port_role::core},
    {"v2_punt", family::v2, port_role::access},
    {"v3_decap", family::v3, port_role::access},
    {"v3_encap", family::v3, port_role::core},
    // testpmd's io forwarding on the same port: rx_burst -> tx_burst, no path (baseline).
    {"io_fwd", family::v2, port_role::unused},
};

// ---- frame building (setup only) ----

struct writer {
	uint8_t *p;
	uint32_t n = 0;
	void u8(uint8_t v) { p[n++] = v; }
	void u16(uint16_t v) { store_be16(p + n, v), n += 2; }
	void u32(uint32_t v) { store_be32(p + n, v), n += 4; }
};

uint16_t ip_csum(const uint8_t *h) {
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += load_be16(h + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return uint16_t(~s);
}

void eth(writer &w) {
	const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	std::memcpy(w.p + w.n, macs, 12), w.n += 12;
	w.u16(0x0800);
}
// IPv4 header with total length filled in later by close_ip().
uint32_t open_ip(writer &w, uint32_t src, uint32_t dst, uint8_t proto) {
	const uint32_t at = w.n;
	w.u16(0x4500), w.u16(0), w.u16(0), w.u16(0), w.u8(64), w.u8(proto), w.u16(0), w.u32(src), w.u32(dst);
	return at;
}
void close_ip(writer &w, uint32_t at) {
	store_be16(w.p + at + 2, uint16_t(w.n - at));
	store_be16(w.p + at + 10, ip_csum(w.p + at));
}
void payload(writer &w, uint32_t n) {
	std::memset(w.p + w.n, 0x5a, n), w.n += n;
}
// Inner IPv4/UDP packet from the subscriber (46 bytes: 64-byte Ethernet frames downstream).
void inner_up(writer &w, uint32_t sub) {
	const uint32_t ip = open_ip(w, sub, core_ip, 17);
	w.u16(4000), w.u16(4001), w.u16(8 + 18), w.u16(0);
	payload(w, 18);
	close_ip(w, ip);
}

struct session_ids {
	uint16_t tid, sid; // v2
	uint32_t sid3;     // v3
};
session_ids ids_of(uint32_t i) {
	const auto tid = uint16_t(1 + i / 65535), sid = uint16_t(1 + i % 65535);
	return {tid, sid, uint32_t(tid) << 16 | sid}; // v3: same table index as v2

}

// Builds the frame for session i; returns its length and the Ns offset (0 = none).
uint32_t build_frame(const char *sc, uint32_t i, uint8_t *out, uint32_t &ns_off) {
	writer w{out};
	const session_ids id = ids_of(i);
	const uint32_t sub = sub_base + i;
	const std::string_view name(sc);
	ns_off = 0;
	if (name == "v2_encap" || name == "v3_encap") {
		eth(w);
		const uint32_t ip = open_ip(w, core_ip, sub, 17);
		w.u16(4001), w.u16(4000), w.u16(8 + 18), w.u16(0);
		payload(w, 18);
		close_ip(w, ip);
		return w.n;
	}
	eth(w);
	const uint32_t ip = open_ip(w, lac_ip, lns_ip, 17);
	const uint32_t udp = w.n;
	w.u16(1701), w.u16(1701), w.u16(0), w.u16(0);
	const uint32_t l2tp = w.n;
	if (name == "v2_decap") {
		w.u16(0x0002), w.u16(id.tid), w.u16(id.sid), w.u16(0xff03), w.u16(0x0021);
		inner_up(w, sub);
	} else if (name == "v2_decap_lso") {
		// T=0 L=1 S=1 O=1, Ver 2; Length, IDs, Ns, Nr, Offset Size 2 + 2 pad bytes.
		w.u16(0x4a02), w.u16(0), w.u16(id.tid), w.u16(id.sid);
		ns_off = w.n;
		w.u16(0), w.u16(0), w.u16(2), w.u16(0);
		w.u16(0xff03), w.u16(0x0021);
		inner_up(w, sub);
		store_be16(w.p + l2tp + 2, uint16_t(w.n - l2tp));
	} else if (name == "v2_punt") {
		// Zero-length body (ZLB) control message: T L S, Ver 2.
		w.u16(0xc802), w.u16(12), w.u16(id.tid), w.u16(0), w.u16(1), w.u16(1);
	} else { // v3_decap: Session ID, 4-byte cookie, PPP
		w.u32(0x00030000), w.u32(id.sid3), w.u32(0xc0c0c0c0), w.u16(0xff03), w.u16(0x0021);
		inner_up(w, sub);
	}
	store_be16(w.p + udp + 4, uint16_t(w.n - udp));
	close_ip(w, ip);
	return w.n;
}

// ---- tables ----

uint32_t pow2_at_least(uint64_t n) {
	uint32_t c = 1;
	while (c < n)
		c <<= 1;
	return c;
}

// Both families use the same capacity and index layout (v2 (tunnel << 16 | session), v3
// the same number as its Session ID), so one subscriber table serves both. Tunnels 1..T
// need T << 16 slots: with the mask, tunnel T (a power of two) folds onto the unused
// tunnel 0, so 1M sessions (16 tunnels) fit 2^20 slots.
uint32_t capacity_for(uint32_t n) {
	return std::max<uint32_t>(1u << 16, pow2_at_least(uint64_t(ids_of(n - 1).tid) << 16));
}

// --lpm: subscriber /32s in an rte_lpm, as before the direct table. rte_lpm_add scans every
// rule of the same depth, so installing N /32 routes is O(N^2) (minutes at 1M).
rte_lpm *make_routes(uint32_t n) {
	static unsigned serial = 0;
	rte_lpm_config c{};
	c.max_rules = std::max(n, 1024u);
	c.number_tbl8s = std::max(n / 256 + 16, 256u);
	const std::string lname = "bench_lpm" + std::to_string(serial++);
	rte_lpm *lpm = rte_lpm_create(lname.c_str(), SOCKET_ID_ANY, &c);
	if (!lpm) {
		std::fprintf(stderr, "rte_lpm_create(%u rules): %s\n", n, rte_strerror(rte_errno));
		return nullptr;
	}
	const uint32_t mask = capacity_for(n) - 1;
	for (uint32_t i = 0; i < n; i++) {
		const session_ids id = ids_of(i);
		if (rte_lpm_add(lpm, sub_base + i, 32, session_index_v2(id.tid, id.sid, mask)) != 0) {
			std::fprintf(stderr, "rte_lpm_add %u: %s\n", i, rte_strerror(rte_errno));
			rte_lpm_free(lpm);
			return nullptr;
		}
	}
	return lpm;
}

// Sessions and their subscriber routes: the direct /32 table over the block of `capacity`
// addresses at sub_base (as the dataplane runtime chooses it), or `routes` (--lpm).
std::unique_ptr<test::test_tables> make_tables(family f, uint32_t n, uint16_t port, rte_lpm *routes, bool huge) {
	const uint32_t cap = capacity_for(n);
	auto t = std::make_unique<test::test_tables>(cap, ring_size, false, huge);
	tables_view &v = t->view();
	v.sub_v4 = routes;
	if (!routes)
		t->use_direct_v4(sub_base, cap);
	neighbour nb{};
	nb.port = port;
	nb.valid = 1;
	v.default_nh_v4 = t->add_neighbour(nb);
	for (uint32_t i = 0; i < n; i++) {
		const session_ids id = ids_of(i);
		session_params p;
		p.encap = f == family::v2 ? encap_kind::v2_udp4 : encap_kind::v3_udp4;
		p.local_tunnel_id = f == family::v2 ? id.tid : 1;
		p.local_session_id = f == family::v2 ? id.sid : id.sid3;
		p.peer_tunnel_id = 7;
		p.peer_session_id = f == family::v2 ? id.sid : id.sid3;
		p.egress_port = port;
		store_be32(p.local_addr, lns_ip);
		store_be32(p.peer_addr, lac_ip);
		if (f == family::v3) {
			p.rx_cookie_len = 4;
			std::memset(p.rx_cookie, 0xc0, 4);
			p.tx_cookie_len = 4;
			std::memset(p.tx_cookie, 0xc0, 4);
		}
		const uint32_t idx = t->add_session(p);
		if (idx == no_session || (!routes && !t->set_direct_v4(sub_base + i, idx))) {
			std::fprintf(stderr, "cannot install session %u\n", i);
			return nullptr;
		}
	}
	return t;
}

// ---- feeder: plays the NIC ----

struct feeder {
	std::vector<uint8_t> frames; // frame_stride bytes per session
	std::vector<uint16_t> lens;
	std::vector<uint32_t> choice; // uniform random session per packet
	std::vector<uint16_t> ns;     // next Ns per session (sequenced scenarios)
	uint32_t ns_off = 0;
	uint32_t pos = 0;
	uint64_t rx_flags = 0; // RX checksum offload results a NIC would report

	void build(const char *sc, uint32_t n, uint64_t seed) {
		frames.assign(size_t(n) * frame_stride, 0);
		lens.resize(n);
		for (uint32_t i = 0; i < n; i++)
			lens[i] = uint16_t(build_frame(sc, i, frames.data() + size_t(i) * frame_stride, ns_off));
		ns.assign(ns_off ? n : 0, 0);
		choice.resize(seq_len);
		uint64_t s = seed; // splitmix64
		for (uint32_t &c : choice) {
			uint64_t z = (s += 0x9e3779b97f4a7c15ull);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			c = uint32_t(((z ^ (z >> 31)) >> 32) * n >> 32);
		}
		pos = 0;
	}

	// Moves up to `want` mbufs (recycled from `back`, else from the pool) into `rx`.
	void fill(rte_mempool *mp, rte_ring *back, rte_ring *rx, uint32_t want) {
		rte_mbuf *m[burst];
		while (want) {
			const uint32_t k = std::min<uint32_t>(want, burst);
			unsigned got = rte_ring_dequeue_burst(back, reinterpret_cast<void **>(m), k, nullptr);
			if (got < k && rte_pktmbuf_alloc_bulk(mp, m + got, k - got) == 0)
				got = k;
			for (unsigned j = 0; j < got; j++) {
				rte_pktmbuf_reset(m[j]);
				const uint32_t i = choice[pos++ & (seq_len - 1)];
				const uint16_t len = lens[i];
				uint8_t *d = rte_pktmbuf_mtod(m[j], uint8_t *);
				std::memcpy(d, frames.data() + size_t(i) * frame_stride, frame_stride);
				if (ns_off)
					store_be16(d + ns_off, ns[i]++);
				m[j]->data_len = len;
				m[j]->pkt_len = len;
				m[j]->ol_flags = rx_flags;
			}
			const unsigned put = rte_ring_enqueue_burst(rx, reinterpret_cast<void **>(m), got, nullptr);
			if (put < got)
				rte_pktmbuf_free_bulk(m + put, got - put);
			if (got < k)
				return;
			want -= k;
		}
	}
};

// ---- measurement ----

struct options {
	std::vector<uint32_t> sessions{1, 1000, 100000, 1000000};
	std::vector<std::string> scenarios;
	uint64_t packets = 8u << 20;
	bool huge = false;
	bool callgrind = false;
	bool rx_cksum = false;
	bool lpm = false;
	unsigned lcore = 0;
	unsigned workers = 1;
	uint32_t install = 0; // --install N
};

struct measurement {
	double cycles_min = 0, cycles_median = 0;
	uint64_t packets = 0, handled = 0;
};

struct bench_port {
	uint16_t id;
	rte_ring *rx, *tx;
};

// One worker step over one burst. Returns packets received.
inline uint16_t worker_step(const path_ctx &ctx, const bench_port &bp, burst_out &out, uint64_t &handled,
                            bool path_only_collect, bool io_only) {
	rte_mbuf *pkts[burst];
	const uint16_t n = rte_eth_rx_burst(bp.id, 0, pkts, burst);
	if (io_only) {
		const uint16_t sent = rte_eth_tx_burst(bp.id, 0, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		handled += sent;
		return n;
	}
	if (path_only_collect)
		CALLGRIND_TOGGLE_COLLECT;
	process_rx_burst(ctx, bp.id, pkts, n, out);
	flush_punts(ctx, out);
	if (path_only_collect)
		CALLGRIND_TOGGLE_COLLECT;
	const uint16_t sent = rte_eth_tx_burst(bp.id, 0, out.tx, out.n_tx);
	if (sent < out.n_tx)
		rte_pktmbuf_free_bulk(out.tx + sent, out.n_tx - sent);
	if (out.n_local)
		rte_pktmbuf_free_bulk(out.local, out.n_local);
	handled += sent;
	return n;
}

// Punted mbufs go back to the feeder (the control plane would consume them).
uint64_t drain_punts(rte_ring *punt, rte_ring *back) {
	void *m[burst];
	uint64_t total = 0;
	unsigned k;
	while ((k = rte_ring_dequeue_burst(punt, m, burst, nullptr)) > 0) {
		const unsigned put = rte_ring_enqueue_burst(back, m, k, nullptr);
		if (put < k)
			rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf **>(m) + put, k - put);
		total += k;
	}
	return total;
}

// One worker: its own net_ring port, feeder, punt ring, counters and session_stats array;
// the session tables are shared (tables_view copied, punt ring replaced).
struct worker {
	unsigned lcore = 0;
	bench_port bp{};
	rte_ring *punt = nullptr;
	feeder fd;
	tables_view view{};
	path_counters counters{};
	std::unique_ptr<test::table_array<session_stats>> stats;
	measurement r;
	path_ctx ctx() { return {&view, &counters, stats ? stats->data() : nullptr}; }
};

measurement run_scenario(const scenario_def &sd, worker &w, rte_mempool *mp, const options &o, uint32_t sessions) {
	feeder &fd = w.fd;
	const bench_port &bp = w.bp;
	const path_ctx ctx = w.ctx();
	burst_out out;
	measurement r;
	uint64_t handled = 0;
	const bool io = sd.role == port_role::unused;
	auto one = [&](bool collect) {
		fd.fill(mp, bp.tx, bp.rx, burst);
		const uint16_t n = worker_step(ctx, bp, out, handled, collect, io);
		handled += drain_punts(w.punt, bp.tx);
		return n;
	};
	// Warm-up: one pass over the choice sequence's first 64k packets (caches, PLT).
	for (uint32_t i = 0; i < 2048; i++)
		one(false);
	handled = 0;
	if (o.callgrind) {
		const uint32_t bursts = 256;
		const std::string tag = std::string(sd.name) + " " + std::to_string(sessions) + " " +
		                        std::to_string(bursts * burst);
		CALLGRIND_ZERO_STATS;
		for (uint32_t i = 0; i < bursts; i++)
			r.packets += one(true);
		const std::string path_tag = "path " + tag, worker_tag = "worker " + tag;
		CALLGRIND_DUMP_STATS_AT(path_tag.c_str());
		for (uint32_t i = 0; i < bursts; i++) {
			fd.fill(mp, bp.tx, bp.rx, burst);
			CALLGRIND_TOGGLE_COLLECT;
			r.packets += worker_step(ctx, bp, out, handled, false, io);
			CALLGRIND_TOGGLE_COLLECT;
			handled += drain_punts(w.punt, bp.tx);
		}
		CALLGRIND_DUMP_STATS_AT(worker_tag.c_str());
		r.handled = handled;
		return r;
	}
	// Chunks of ~64k packets; the machine may be shared and preemption only adds time, so
	// the minimum over chunks is the cost, the median shows the noise.
	const uint32_t chunk_bursts = 2048;
	const uint64_t chunks = std::max<uint64_t>(4, o.packets / (uint64_t(chunk_bursts) * burst));
	std::vector<double> per_chunk;
	for (uint64_t c = 0; c < chunks; c++) {
		uint64_t cyc = 0, pk = 0;
		for (uint32_t b = 0; b < chunk_bursts; b++) {
			fd.fill(mp, bp.tx, bp.rx, burst);
			const uint64_t t0 = rte_rdtsc();
			pk += worker_step(ctx, bp, out, handled, false, io);
			cyc += rte_rdtsc() - t0;
			handled += drain_punts(w.punt, bp.tx);
		}
		per_chunk.push_back(double(cyc) / double(pk ? pk : 1));
		r.packets += pk;
	}
	std::sort(per_chunk.begin(), per_chunk.end());
	r.cycles_min = per_chunk.front();
	r.cycles_median = per_chunk[per_chunk.size() / 2];
	r.handled = handled;
	return r;
}

struct launch_args {
	const scenario_def *sd;
	worker *w;
	rte_mempool *mp;
	const options *o;
	uint32_t sessions;
};
int worker_main(void *arg) {
	auto *a = static_cast<launch_args *>(arg);
	a->w->r = run_scenario(*a->sd, *a->w, a->mp, *a->o, a->sessions);
	return 0;
}

// Creates net_ring port k with its rings, and the worker's punt ring.
bool make_port(unsigned k, rte_mempool *mp, worker &w) {
	const std::string sfx = std::to_string(k);
	w.bp.rx = rte_ring_create(("bench_rx" + sfx).c_str(), ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w.bp.tx = rte_ring_create(("bench_tx" + sfx).c_str(), ring_size * 4, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w.punt = rte_ring_create(("bench_punt" + sfx).c_str(), ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!w.bp.rx || !w.bp.tx || !w.punt) {
		std::fprintf(stderr, "rings: %s\n", rte_strerror(rte_errno));
		return false;
	}
	const int port = rte_eth_from_rings(("net_ring_bench" + sfx).c_str(), &w.bp.rx, 1, &w.bp.tx, 1, SOCKET_ID_ANY);
	const rte_eth_conf conf{};
	if (port < 0 || port >= max_ports || rte_eth_dev_configure(uint16_t(port), 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(uint16_t(port), 0, ring_size, SOCKET_ID_ANY, nullptr, mp) != 0 ||
	    rte_eth_tx_queue_setup(uint16_t(port), 0, ring_size, SOCKET_ID_ANY, nullptr) != 0 ||
	    rte_eth_dev_start(uint16_t(port)) != 0) {
		std::fprintf(stderr, "net_ring port: %s\n", rte_strerror(rte_errno));
		return false;
	}
	w.bp.id = uint16_t(port);
	return true;
}


// ---- --install N: session installs through a command ring while a worker forwards ----
//
// The dataplane's arrangement: a worker lcore forwards v2_decap traffic (1000 sessions)
// through the tables of dataplane/tables.cpp (the runtime's writer, hugepage or EAL
// memory); the main lcore runs the runtime's own command handling (dp::command_drain, as
// dataplane/control.cpp does: burst dequeue from the command ring, apply, one completion
// per command enqueued in bursts on the event ring); a plain thread plays the control
// plane: it builds the N add_session commands (and an add_tunnel per 65535 sessions)
// before the clock starts, enqueues them in bursts with at most `max_in_flight` commands
// unanswered, and reads every completion. Measured: installs per second on the main lcore
// (first dequeue to last completion sent, TSC), the same over the time spent inside the
// command handling only ("busy"), and the worker's cycles/packet before and during the
// churn.

ring::ip_addr v4addr(uint32_t host) {
	ring::ip_addr a{};
	a.family = 4;
	store_be32(a.bytes, host);
	return a;
}
ring::command tunnel_cmd(uint16_t tid, uint16_t port, uint32_t seq) {
	ring::command c = ring::make_command(ring::command_type::add_tunnel, seq);
	c.tunnel.version = 2;
	c.tunnel.enc = ring::encap::udp;
	c.tunnel.port = port;
	c.tunnel.local_tunnel_id = tid;
	c.tunnel.peer_tunnel_id = 7;
	c.tunnel.local_udp_port = c.tunnel.peer_udp_port = 1701;
	c.tunnel.local = v4addr(lns_ip);
	c.tunnel.peer = v4addr(lac_ip);
	return c;
}
ring::command session_cmd(uint32_t i, uint16_t port, uint32_t seq) {
	const session_ids id = ids_of(i);
	ring::command c = ring::make_command(ring::command_type::add_session, seq);
	ring::session_params &p = c.session;
	p.version = 2;
	p.enc = ring::encap::udp;
	p.pw_type = ring::pw::ppp;
	p.local_tunnel_id = id.tid;
	p.local_session_id = id.sid;
	p.peer_tunnel_id = 7;
	p.peer_session_id = id.sid;
	p.access_port = port;
	p.local_udp_port = p.peer_udp_port = 1701;
	p.local = v4addr(lns_ip);
	p.peer = v4addr(lac_ip);
	store_be32(p.subscriber_v4, sub_base + i);
	return c;
}
bool apply(dp::tables &tb, const ring::command &c) {
	const op_result r = c.hdr.type == uint16_t(ring::command_type::add_tunnel) ? tb.add_tunnel(c.tunnel)
	                                                                              : tb.add_session(c.session);
	if (r.st != ring::status::ok)
		std::fprintf(stderr, "command %u: %s\n", c.hdr.seq, r.detail.c_str());
	return r.st == ring::status::ok;
}

struct install_shared {
	std::atomic<int> phase{0}; // 0 warm-up, 1 no churn, 2 churn, 3 stop
	std::atomic<uint32_t> chunks[3]{};
	std::vector<double> per_chunk[3];
	uint64_t handled = 0, packets = 0;
	worker *w = nullptr;
	dp::tables *tb = nullptr;
	rte_mempool *mp = nullptr;
};
int install_worker(void *arg) {
	auto &sh = *static_cast<install_shared *>(arg);
	worker &w = *sh.w;
	const path_ctx ctx{&sh.tb->view(), &w.counters, w.stats->data()};
	burst_out out;
	uint64_t handled = 0;
	for (int ph; (ph = sh.phase.load(std::memory_order_acquire)) != 3;) {
		uint64_t cyc = 0, pk = 0;
		for (uint32_t b = 0; b < 2048; b++) {
			w.fd.fill(sh.mp, w.bp.tx, w.bp.rx, burst);
			const uint64_t t0 = rte_rdtsc();
			pk += worker_step(ctx, w.bp, out, handled, false, false);
			cyc += rte_rdtsc() - t0;
			handled += drain_punts(w.punt, w.bp.tx);
		}
		sh.packets += pk;
		if (sh.phase.load(std::memory_order_acquire) == ph) { // the whole chunk in one phase
			sh.per_chunk[ph].push_back(double(cyc) / double(pk ? pk : 1));
			sh.chunks[ph].fetch_add(1, std::memory_order_release);
		}
	}
	sh.handled = handled;
	return 0;
}

// The control plane of the install benchmark: sends `cmds` in bursts, at most
// max_in_flight unanswered, and checks every completion.
struct install_producer {
	static constexpr uint32_t cmd_ring_size = 8192, evt_ring_size = 16384, max_in_flight = 12288;
	const std::vector<ring::command> *cmds = nullptr;
	rte_ring *cmd = nullptr, *evt = nullptr;
	uint32_t completed = 0, ok_sessions = 0, failed = 0, other_events = 0;

	void run() {
		ring::event ev[64];
		size_t sent = 0;
		while (completed < cmds->size()) {
			bool progress = false;
			const size_t room = max_in_flight - (sent - completed);
			if (sent < cmds->size() && room > 0) {
				const unsigned want = unsigned(std::min<size_t>({32, cmds->size() - sent, room}));
				const unsigned n = rte_ring_enqueue_burst_elem(cmd, cmds->data() + sent, sizeof(ring::command), want, nullptr);
				sent += n;
				progress |= n != 0;
			}
			const unsigned m = rte_ring_dequeue_burst_elem(evt, ev, sizeof(ring::event), 64, nullptr);
			for (unsigned i = 0; i < m; i++) {
				const ring::event &e = ev[i];
				if (e.hdr.type != uint16_t(ring::event_type::completion)) {
					other_events++;
					continue;
				}
				completed++;
				if (e.done.result != ring::status::ok) {
					if (failed++ < 5)
						std::fprintf(stderr, "command %u: %s: %.64s\n", e.hdr.seq, ring::to_string(e.done.result),
						             e.done.detail);
				} else if (e.done.command == uint16_t(ring::command_type::add_session)) {
					ok_sessions++;
				}
			}
			progress |= m != 0;
			if (!progress)
				std::this_thread::yield(); // nothing to send or read: leave the core to the lcores
		}
	}
};

int run_install(const options &o, rte_mempool *mp, worker &w, double hz) {
	const uint32_t base = 1000, total = base + o.install;
	cfg::config c;
	c.dataplane.session_capacity = capacity_for(total);
	c.dataplane.tunnel_capacity = 1024;
	c.dataplane.route_capacity = 4096;
	const size_t rcu_size = rte_rcu_qsbr_get_memsize(4);
	auto *rcu = static_cast<rte_rcu_qsbr *>(rte_zmalloc("bench_rcu", rcu_size, RTE_CACHE_LINE_SIZE));
	std::string err;
	auto tb = std::make_unique<dp::tables>();
	if (!rcu || rte_rcu_qsbr_init(rcu, 4) != 0 || !tb->init(c, rcu, RTE_QSBR_THRID_INVALID, err)) {
		std::fprintf(stderr, "install tables: %s\n", err.empty() ? rte_strerror(rte_errno) : err.c_str());
		return 1;
	}
	dp::next_hop_resolver res;
	res.resolve = [](uint16_t, uint8_t, const uint8_t *, uint8_t mac[6]) {
		const uint8_t m[6] = {2, 0, 0, 0, 0, 2};
		std::memcpy(mac, m, 6);
		return true;
	};
	res.port_mac = [](uint16_t, uint8_t mac[6]) {
		const uint8_t m[6] = {2, 0, 0, 0, 0, 1};
		std::memcpy(mac, m, 6);
	};
	tb->set_resolver(std::move(res));
	static neighbour nb{};
	nb.port = w.bp.id;
	nb.valid = 1;
	tables_view &v = tb->mutable_view();
	v.ports[w.bp.id].role = port_role::access;
	v.punt_ring = w.punt;
	v.neighbours = &nb;
	v.neighbour_count = 1;
	v.default_nh_v4 = 0;
	uint32_t seq = 0;
	bool ok = true;
	for (uint32_t i = 0; i < base && ok; i++) {
		if (i % 65535 == 0)
			ok = apply(*tb, tunnel_cmd(ids_of(i).tid, w.bp.id, seq++));
		ok = ok && apply(*tb, session_cmd(i, w.bp.id, seq++));
	}
	rte_ring *cmd = rte_ring_create_elem("bench_cmd", sizeof(ring::command), install_producer::cmd_ring_size,
	                                     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	rte_ring *evt = rte_ring_create_elem("bench_evt", sizeof(ring::event), install_producer::evt_ring_size,
	                                     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!ok || !cmd || !evt) {
		std::fprintf(stderr, "install setup failed\n");
		return 1;
	}
	// The commands, built before the clock starts (the control plane's encoding is not
	// what is measured).
	std::vector<ring::command> cmds;
	cmds.reserve(o.install + o.install / 65535 + 1);
	for (uint32_t i = base, s = 1u << 20; i < total; i++) {
		if (i % 65535 == 0)
			cmds.push_back(tunnel_cmd(ids_of(i).tid, w.bp.id, s++));
		cmds.push_back(session_cmd(i, w.bp.id, s++));
	}
	w.counters = {};
	w.stats = std::make_unique<test::table_array<session_stats>>(c.dataplane.session_capacity, o.huge);
	w.fd.build("v2_decap", base, 0x4242);
	install_shared sh;
	sh.w = &w;
	sh.tb = tb.get();
	sh.mp = mp;
	if (rte_eal_remote_launch(install_worker, &sh, w.lcore) != 0) {
		std::fprintf(stderr, "cannot launch the worker on lcore %u\n", w.lcore);
		return 1;
	}
	const auto wait_chunks = [&](int ph, uint32_t n) {
		while (sh.chunks[ph].load(std::memory_order_acquire) < n)
			rte_pause();
	};
	wait_chunks(0, 2);
	sh.phase.store(1, std::memory_order_release);
	wait_chunks(1, 8);
	sh.phase.store(2, std::memory_order_release);
	install_producer prod;
	prod.cmds = &cmds;
	prod.cmd = cmd;
	prod.evt = evt;
	std::thread producer([&] { prod.run(); });
	// The main lcore: the runtime's command handling, commands_per_round as control.cpp.
	dp::command_drain drain(*tb, cmd, evt);
	uint32_t unexpected_cmds = 0;
	const auto other = [](void *ctx, const ring::command &) { ++*static_cast<uint32_t *>(ctx); };
	while (rte_ring_count(cmd) == 0)
		rte_pause();
	const uint64_t t0 = rte_rdtsc();
	uint64_t busy = 0;
	while (drain.counters().commands < cmds.size()) {
		const uint64_t a = rte_rdtsc();
		if (drain.run(64, other, &unexpected_cmds) != 0)
			busy += rte_rdtsc() - a;
		else
			std::this_thread::yield(); // the control plane shares this core: let it run (the
			                           // runtime's control loop backs off likewise)
	}
	const uint64_t t1 = rte_rdtsc();
	producer.join();
	// Keep the churn phase long enough to hold a few whole chunks.
	wait_chunks(2, std::max<uint32_t>(sh.chunks[2].load(), 1));
	sh.phase.store(3, std::memory_order_release);
	rte_eal_wait_lcore(w.lcore);
	uint64_t drops = 0;
	for (size_t d = 0; d < drop_reason_count; d++)
		drops += w.counters.drop[d];
	const auto best = [](std::vector<double> &x) {
		std::sort(x.begin(), x.end());
		return x.empty() ? 0.0 : x.front();
	};
	const auto median = [](const std::vector<double> &x) { return x.empty() ? 0.0 : x[x.size() / 2]; };
	const double quiet = best(sh.per_chunk[1]), churn = best(sh.per_chunk[2]);
	const double rate = o.install / (double(t1 - t0) / hz);
	const double busy_rate = busy ? o.install / (double(busy) / hz) : 0.0;
	const dp::command_counters &cc = drain.counters();
	ok = prod.failed == 0 && prod.ok_sessions == o.install && unexpected_cmds == 0 && cc.event_ring_full == 0 &&
	     drops == 0 && sh.handled == sh.packets && tb->session_count() == total;
	std::printf("{\"scenario\":\"install_v2\",\"sessions\":%u,\"workers\":1,\"installs\":%u,"
	            "\"install_rate_per_s\":%.0f,\"install_rate_busy_per_s\":%.0f,\"mpps\":%.2f,\"cycles_per_pkt\":%.1f,"
	            "\"cycles_per_pkt_median\":%.1f,\"mpps_no_churn\":%.2f,"
	            "\"cycles_per_pkt_no_churn\":%.1f,\"forwarding_ratio\":%.3f,\"churn_chunks\":%zu,\"tsc_hz\":%.0f,"
	            "\"packets\":%" PRIu64 ",\"ok\":%s}\n",
	            total, o.install, rate, busy_rate, churn > 0 ? hz / churn / 1e6 : 0.0, churn, median(sh.per_chunk[2]),
	            quiet > 0 ? hz / quiet / 1e6 : 0.0, quiet, churn > 0 && quiet > 0 ? quiet / churn : 0.0,
	            sh.per_chunk[2].size(), hz, sh.packets, ok ? "true" : "false");
	if (!ok)
		std::fprintf(stderr,
		             "install: %u failed, %u of %u sessions ok, %u unexpected, %" PRIu64 " events lost, %" PRIu64
		             " drops, %" PRIu64 " of %" PRIu64 " handled\n",
		             prod.failed, prod.ok_sessions, o.install, unexpected_cmds, cc.event_ring_full, drops, sh.handled,
		             sh.packets);
	tb.reset();
	rte_ring_free(cmd);
	rte_ring_free(evt);
	rte_free(rcu);
	return ok ? 0 : 1;
}

bool parse_list(const char *s, std::vector<uint32_t> &out) {
	out.clear();
	for (const char *p = s; *p;) {
		char *end;
		const unsigned long v = std::strtoul(p, &end, 10);
		if (end == p || v == 0 || v > 2000000)
			return false;
		out.push_back(uint32_t(v));
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return false;
	}
	return !out.empty();
}

int usage() {
	std::fprintf(stderr, "usage: l2tpx-dp-bench [--sessions N[,N...]] [--scenarios all|NAME[,NAME...]]\n"
	                     "                      [--packets N] [--huge] [--lpm] [--callgrind] [--rx-cksum-offload]\n"
	                     "                      [--lcore N] [--workers N] [--install N]\n"
	                     "scenarios:");
	for (const auto &s : scenarios)
		std::fprintf(stderr, " %s", s.name);
	std::fprintf(stderr, "\n");
	return 2;
}

} // namespace

int main(int argc, char **argv) {
	options o;
	for (int i = 1; i < argc; i++) {
		const std::string_view a(argv[i]);
		const bool has = i + 1 < argc;
		if (a == "--sessions" && has) {
			if (!parse_list(argv[++i], o.sessions))
				return usage();
		} else if (a == "--scenarios" && has) {
			std::string_view v(argv[++i]);
			while (!v.empty() && v != "all") {
				const size_t c = v.find(',');
				o.scenarios.emplace_back(v.substr(0, c));
				v = c == v.npos ? std::string_view{} : v.substr(c + 1);
			}
		} else if (a == "--packets" && has) {
			o.packets = std::strtoull(argv[++i], nullptr, 10);
		} else if (a == "--install" && has) {
			o.install = uint32_t(std::strtoul(argv[++i], nullptr, 10));
			if (o.install < 1 || o.install > 2000000)
				return usage();
		} else if (a == "--workers" && has) {
			o.workers = unsigned(std::strtoul(argv[++i], nullptr, 10));
			if (o.workers < 1 || o.workers > 16)
				return usage();
		} else if (a == "--lcore" && has) {
			o.lcore = unsigned(std::strtoul(argv[++i], nullptr, 10));
		} else if (a == "--huge") {
			o.huge = true;
		} else if (a == "--lpm") {
			o.lpm = true;
		} else if (a == "--rx-cksum-offload") {
			o.rx_cksum = true;
		} else if (a == "--callgrind") {
			o.callgrind = true;
		} else {
			return usage();
		}
	}
	for (const auto &name : o.scenarios)
		if (std::none_of(std::begin(scenarios), std::end(scenarios),
		                 [&](const scenario_def &s) { return name == s.name; }))
			return usage();
	const uint32_t max_sessions = *std::max_element(o.sessions.begin(), o.sessions.end());

	// EAL: the mbufs, rings and (--lpm) the LPM (64 MiB tbl24 + rules); with --huge also the
	// session, sequence, stats and direct-route arrays (244 bytes per slot), as the
	// dataplane runtime allocates them. Without --huge those arrays are on the heap.
	const std::string prefix = "--file-prefix=l2tpx-bench-" + std::to_string(getpid());
	if (o.callgrind)
		o.workers = 1;
	std::string lcores = "-l" + std::to_string(o.lcore);
	for (unsigned k = 1; k < o.workers + (o.install ? 1 : 0); k++)
		lcores += "," + std::to_string(o.lcore + k);
	const uint64_t table_mib =
	    o.huge ? (uint64_t(capacity_for(max_sessions)) * (sizeof(session) + sizeof(session_seq) + sizeof(session_stats) + 4)) >> 20
	           : 0;
	const std::string mem = std::to_string(256 + (o.lpm ? 128 + (max_sessions >> 10) : 0) + (table_mib ? table_mib + 64 : 0));
	std::vector<std::string> args = {"l2tpx-dp-bench", lcores, "-m", mem, "--no-pci", prefix,
	                                 "--log-level=*:error", "--no-telemetry"};
	// With hugepages, --in-memory: no runtime directory and no hugepage files left behind
	// when a run is killed (the pages are unlinked once mapped). EAL refuses it with
	// --no-huge (the callgrind runs), which leaves no files anyway.
	args.push_back(o.huge ? "--in-memory" : "--no-huge");
	std::vector<char *> eargv;
	for (auto &s : args)
		eargv.push_back(s.data());
	if (rte_eal_init(int(eargv.size()), eargv.data()) < 0) {
		std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	// The EAL leaves its runtime directory (/var/run/dpdk/<prefix>) behind: removed at exit.
	const std::string rundir = rte_eal_get_runtime_dir();
	rte_mempool *mp = rte_pktmbuf_pool_create("bench_pool", 8192 * o.workers - 1, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                          SOCKET_ID_ANY);
	if (!mp) {
		std::fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	std::vector<std::unique_ptr<worker>> workers;
	unsigned lc = rte_get_main_lcore();
	for (unsigned k = 0; k < o.workers; k++) {
		auto w = std::make_unique<worker>();
		w->lcore = k == 0 ? lc : (lc = rte_get_next_lcore(lc, 1, 0));
		if (!make_port(k, mp, *w))
			return 1;
		if (o.rx_cksum)
			w->fd.rx_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		workers.push_back(std::move(w));
	}
	if (o.install) {
		// The worker runs on the next lcore; the main lcore applies the commands.
		worker &w = *workers[0];
		w.lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
		const int irc = run_install(o, mp, w, double(rte_get_tsc_hz()));
		for (auto &wk : workers) {
			rte_eth_dev_stop(wk->bp.id);
			rte_eth_dev_close(wk->bp.id);
		}
		workers.clear();
		rte_eal_cleanup();
		std::error_code ec;
		std::filesystem::remove_all(rundir, ec);
		return irc;
	}
	std::fprintf(stderr, "TSC %" PRIu64 " Hz, %u worker(s) from lcore %u, burst %u, %s, net_ring ports%s\n",
	             rte_get_tsc_hz(), o.workers, o.lcore, burst, o.huge ? "hugepages" : "--no-huge",
	             o.callgrind ? ", callgrind mode" : "");

	int rc = 0;
	auto selected = [&](const scenario_def &sd) {
		return o.scenarios.empty() || std::find(o.scenarios.begin(), o.scenarios.end(), sd.name) != o.scenarios.end();
	};
	const bool any_encap = std::any_of(std::begin(scenarios), std::end(scenarios), [&](const scenario_def &sd) {
		return sd.role == port_role::core && selected(sd);
	});
	const double hz = double(rte_get_tsc_hz());
	uint32_t stats_cap = 0;
	for (const uint32_t n : o.sessions) {
		rte_lpm *routes = nullptr;
		if (any_encap && o.lpm) {
			const uint64_t t0 = rte_rdtsc();
			if (!(routes = make_routes(n)))
				return 1;
			std::fprintf(stderr, "%u subscriber routes: %.2f s\n", n, double(rte_rdtsc() - t0) / hz);
		}
		for (const family f : {family::v2, family::v3}) {
			std::unique_ptr<test::test_tables> tb;
			for (const scenario_def &sd : scenarios) {
				if (sd.fam != f || !selected(sd))
					continue;
				if (!tb) {
					const uint64_t t0 = rte_rdtsc();
					if (!(tb = make_tables(f, n, workers[0]->bp.id, routes, o.huge)))
						return 1;
					std::fprintf(stderr, "%s tables, %u sessions: %.2f s\n", f == family::v2 ? "v2" : "v3", n,
					             double(rte_rdtsc() - t0) / hz);
				}
				// Every worker: the same tables, its own port role, punt ring, counters, stats.
				launch_args la[16];
				for (unsigned k = 0; k < o.workers; k++) {
					worker &w = *workers[k];
					tb->set_port(w.bp.id, sd.role);
				}
				for (unsigned k = 0; k < o.workers; k++) {
					worker &w = *workers[k];
					w.view = tb->view();
					w.view.punt_ring = w.punt;
					w.counters = {};
					if (!w.stats || tb->view().session_mask + 1 != stats_cap)
						w.stats = std::make_unique<test::table_array<session_stats>>(tb->view().session_mask + 1, o.huge);
					w.fd.build(sd.name, n, 0x1234 + n + 7919 * k);
					la[k] = {&sd, &w, mp, &o, n};
				}
				stats_cap = tb->view().session_mask + 1;
				for (unsigned k = 1; k < o.workers; k++)
					if (rte_eal_remote_launch(worker_main, &la[k], workers[k]->lcore) != 0) {
						std::fprintf(stderr, "cannot launch worker %u on lcore %u\n", k, workers[k]->lcore);
						return 1;
					}
				worker_main(&la[0]);
				rte_eal_mp_wait_lcore();
				bool ok = true;
				double mpps = 0, cyc = 0, med = 0;
				uint64_t packets = 0;
				std::string per_worker;
				for (unsigned k = 0; k < o.workers; k++) {
					const worker &w = *workers[k];
					const measurement &r = w.r;
					uint64_t drops = 0;
					for (size_t d = 0; d < drop_reason_count; d++)
						drops += w.counters.drop[d];
					const bool wok = drops == 0 && r.handled == r.packets && r.packets > 0;
					if (!wok) {
						std::fprintf(stderr, "%s/%u worker %u: %" PRIu64 " of %" PRIu64 " packets forwarded/punted\n",
						             sd.name, n, k, r.handled, r.packets);
						for (size_t d = 0; d < drop_reason_count; d++)
							if (w.counters.drop[d])
								std::fprintf(stderr, "  drop %s: %" PRIu64 "\n", to_string(drop_reason(d)),
								             w.counters.drop[d]);
					}
					ok = ok && wok;
					packets += r.packets;
					if (!o.callgrind) {
						mpps += hz / r.cycles_min / 1e6;
						cyc += r.cycles_min / o.workers;
						med += r.cycles_median / o.workers;
						char b[32];
						std::snprintf(b, sizeof b, "%s%.2f", k ? "," : "", hz / r.cycles_min / 1e6);
						per_worker += b;
					}
				}
				if (!ok)
					rc = 1;
				if (o.callgrind)
					std::printf("{\"scenario\":\"%s\",\"sessions\":%u,\"workers\":1,\"mode\":\"callgrind\","
					            "\"packets\":%" PRIu64 ",\"ok\":%s}\n",
					            sd.name, n, packets, ok ? "true" : "false");
				else
					std::printf("{\"scenario\":\"%s\",\"sessions\":%u,\"workers\":%u,\"mpps\":%.2f,"
					            "\"mpps_per_worker\":[%s],\"cycles_per_pkt\":%.1f,\"cycles_per_pkt_median\":%.1f,"
					            "\"tsc_hz\":%.0f,\"packets\":%" PRIu64 ",\"ok\":%s}\n",
					            sd.name, n, o.workers, mpps, per_worker.c_str(), cyc, med, hz, packets,
					            ok ? "true" : "false");
				std::fflush(stdout);
			}
		}
		rte_lpm_free(routes);
	}
	for (auto &w : workers) {
		rte_eth_dev_stop(w->bp.id);
		rte_eth_dev_close(w->bp.id);
	}
	workers.clear();
	rte_eal_cleanup();
	std::error_code ec;
	std::filesystem::remove_all(rundir, ec);
	return rc;
}
