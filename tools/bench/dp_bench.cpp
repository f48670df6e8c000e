// l2tpx-dp-bench: one worker core running the packet paths through a DPDK ethdev.
//
// The worker loop is the dataplane's: rte_eth_rx_burst -> process_rx_burst ->
// rte_eth_tx_burst -> flush_punts, on a net_ring port (rte_eth_from_rings) whose RX ring a
// feeder fills with pre-built frames, chosen uniformly at random over N sessions, and whose
// TX ring the feeder recycles. The feeder (mbuf reset + frame copy, like a NIC's DMA) and
// the punt ring drain (the control plane's job) are timed apart and not counted.
//
//   l2tpx-dp-bench [--sessions 1,1000,100000,1000000] [--scenarios all|name,...]
//                  [--packets N] [--huge] [--callgrind] [--rx-cksum-offload] [--lcore N]
//
// --rx-cksum-offload: the feeder marks frames as a NIC with IPv4/L4 RX checksum offload
// would (RTE_MBUF_F_RX_IP_CKSUM_GOOD | _L4_CKSUM_GOOD); without it the path verifies the
// outer IPv4 header checksum in software, as it must on net_ring/net_null.
// Prints one JSON object per scenario per line (prefix "{"), everything else on stderr.
// --callgrind: small fixed packet count; under
//   valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=F
// the counts are dumped twice per scenario: "path <scenario> <sessions> <pkts>" covers
// process_rx_burst + flush_punts only, "worker ..." the whole worker step (rx, path, tx).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <valgrind/callgrind.h>

#include "dataplane/path/path_test_util.hpp"
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
// the same number as its Session ID), so one subscriber LPM serves both. rte_lpm_add
// scans every rule of the same depth: installing N /32 routes is O(N^2) (minutes at 1M),
// hence one LPM per session count, built only when an encap scenario runs.
uint32_t capacity_for(uint32_t n) {
	return pow2_at_least(uint64_t(ids_of(n - 1).tid + 1) << 16);
}

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

std::unique_ptr<test::test_tables> make_tables(family f, uint32_t n, uint16_t port, rte_lpm *routes) {
	auto t = std::make_unique<test::test_tables>(capacity_for(n), ring_size, false);
	tables_view &v = t->view();
	v.sub_v4 = routes;
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
		if (t->add_session(p) == no_session) {
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
	unsigned lcore = 0;
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

measurement run_scenario(const scenario_def &sd, test::test_tables &t, feeder &fd, const bench_port &bp, rte_mempool *mp,
                    const options &o, uint32_t sessions) {
	t.set_port(bp.id, sd.role);
	t.counters() = {};
	const path_ctx ctx = t.ctx();
	burst_out out;
	measurement r;
	uint64_t handled = 0;
	const bool io = sd.role == port_role::unused;
	auto one = [&](bool collect) {
		fd.fill(mp, bp.tx, bp.rx, burst);
		const uint16_t n = worker_step(ctx, bp, out, handled, collect, io);
		handled += drain_punts(t.punt_ring(), bp.tx);
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
			handled += drain_punts(t.punt_ring(), bp.tx);
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
			handled += drain_punts(t.punt_ring(), bp.tx);
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
	                     "                      [--packets N] [--huge] [--callgrind] [--rx-cksum-offload] [--lcore N]\n"
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
		} else if (a == "--lcore" && has) {
			o.lcore = unsigned(std::strtoul(argv[++i], nullptr, 10));
		} else if (a == "--huge") {
			o.huge = true;
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

	// EAL: the tables live on the heap; the EAL memory holds the LPM (64 MiB tbl24 + rules)
	// and the mbufs.
	const std::string prefix = "--file-prefix=l2tpx-bench-" + std::to_string(getpid());
	const std::string lcores = "-l" + std::to_string(o.lcore);
	const std::string mem = std::to_string(max_sessions > 200000 ? 768 : 512);
	std::vector<std::string> args = {"l2tpx-dp-bench", lcores, "-m", mem, "--no-pci", prefix,
	                                 "--log-level=*:error", "--no-telemetry"};
	if (!o.huge)
		args.push_back("--no-huge");
	std::vector<char *> eargv;
	for (auto &s : args)
		eargv.push_back(s.data());
	if (rte_eal_init(int(eargv.size()), eargv.data()) < 0) {
		std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	// The EAL leaves its runtime directory (/var/run/dpdk/<prefix>) behind: removed at exit.
	const std::string rundir = rte_eal_get_runtime_dir();
	rte_mempool *mp = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	bench_port bp{};
	bp.rx = rte_ring_create("bench_rx", ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	bp.tx = rte_ring_create("bench_tx", ring_size * 4, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!mp || !bp.rx || !bp.tx) {
		std::fprintf(stderr, "pool/rings: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	const int port = rte_eth_from_rings("net_ring_bench", &bp.rx, 1, &bp.tx, 1, SOCKET_ID_ANY);
	const rte_eth_conf conf{};
	if (port < 0 || port >= max_ports || rte_eth_dev_configure(uint16_t(port), 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(uint16_t(port), 0, ring_size, SOCKET_ID_ANY, nullptr, mp) != 0 ||
	    rte_eth_tx_queue_setup(uint16_t(port), 0, ring_size, SOCKET_ID_ANY, nullptr) != 0 ||
	    rte_eth_dev_start(uint16_t(port)) != 0) {
		std::fprintf(stderr, "net_ring port: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	bp.id = uint16_t(port);
	std::fprintf(stderr, "TSC %" PRIu64 " Hz, lcore %u, burst %u, %s, port %u (net_ring)%s\n", rte_get_tsc_hz(),
	             o.lcore, burst, o.huge ? "hugepages" : "--no-huge", bp.id, o.callgrind ? ", callgrind mode" : "");

	int rc = 0;
	feeder fd;
	if (o.rx_cksum)
		fd.rx_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	auto selected = [&](const scenario_def &sd) {
		return o.scenarios.empty() || std::find(o.scenarios.begin(), o.scenarios.end(), sd.name) != o.scenarios.end();
	};
	const bool any_encap = std::any_of(std::begin(scenarios), std::end(scenarios), [&](const scenario_def &sd) {
		return sd.role == port_role::core && selected(sd);
	});
	const double hz = double(rte_get_tsc_hz());
	for (const uint32_t n : o.sessions) {
		rte_lpm *routes = nullptr;
		if (any_encap) {
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
					if (!(tb = make_tables(f, n, bp.id, routes)))
						return 1;
					std::fprintf(stderr, "%s tables, %u sessions: %.2f s\n", f == family::v2 ? "v2" : "v3", n,
					             double(rte_rdtsc() - t0) / hz);
				}
				fd.build(sd.name, n, 0x1234 + n);
				const measurement r = run_scenario(sd, *tb, fd, bp, mp, o, n);
				const path_counters &pc = tb->counters();
				uint64_t drops = 0;
				for (size_t d = 0; d < drop_reason_count; d++)
					drops += pc.drop[d];
				const bool ok = drops == 0 && r.handled == r.packets && r.packets > 0;
				if (!ok) {
					rc = 1;
					std::fprintf(stderr, "%s/%u: %" PRIu64 " of %" PRIu64 " packets forwarded/punted\n", sd.name,
					             n, r.handled, r.packets);
					for (size_t d = 0; d < drop_reason_count; d++)
						if (pc.drop[d])
							std::fprintf(stderr, "  drop %s: %" PRIu64 "\n", to_string(drop_reason(d)),
							             pc.drop[d]);
				}
				if (o.callgrind)
					std::printf("{\"scenario\":\"%s\",\"sessions\":%u,\"workers\":1,\"mode\":\"callgrind\","
					            "\"packets\":%" PRIu64 ",\"ok\":%s}\n",
					            sd.name, n, r.packets, ok ? "true" : "false");
				else
					std::printf("{\"scenario\":\"%s\",\"sessions\":%u,\"workers\":1,\"mpps\":%.2f,"
					            "\"cycles_per_pkt\":%.1f,\"cycles_per_pkt_median\":%.1f,\"tsc_hz\":%.0f,"
					            "\"packets\":%" PRIu64 ",\"ok\":%s}\n",
					            sd.name, n, hz / r.cycles_min / 1e6, r.cycles_min, r.cycles_median, hz, r.packets,
					            ok ? "true" : "false");
				std::fflush(stdout);
			}
		}
		rte_lpm_free(routes);
	}
	rte_eth_dev_stop(bp.id);
	rte_eth_dev_close(bp.id);
	rte_eal_cleanup();
	std::error_code ec;
	std::filesystem::remove_all(rundir, ec);
	return rc;
}
