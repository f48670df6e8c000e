#include "dataplane/path/path_test_util.hpp"
#include "shared/base/byteorder.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

namespace l2tpx::dp::test {

namespace {
rte_mempool *g_pool = nullptr;
std::atomic<unsigned> g_serial{0};

std::string unique(const char *what) {
	return std::string(what) + std::to_string(g_serial.fetch_add(1));
}
} // namespace

bool init_eal(const char *name) {
	std::string prefix = std::string("--file-prefix=l2tpx-dppath-test-") + name;
	std::vector<std::string> args = {"dppath-test", "--no-huge", "-m", "256", "--no-pci",
	                                 prefix, "--log-level=*:error", "--no-telemetry"};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
		std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return false;
	}
	g_pool = rte_pktmbuf_pool_create("dppath_test", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!g_pool) {
		std::fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return false;
	}
	return true;
}

rte_mempool *pool() { return g_pool; }

rte_mbuf *make_mbuf(std::span<const uint8_t> bytes, uint16_t port, uint16_t seg_size) {
	rte_mbuf *head = rte_pktmbuf_alloc(g_pool);
	if (!head)
		return nullptr;
	head->port = port;
	size_t off = 0;
	rte_mbuf *seg = head;
	do {
		size_t n = bytes.size() - off;
		const size_t room = rte_pktmbuf_tailroom(seg);
		if (seg_size && n > seg_size)
			n = seg_size;
		if (n > room)
			n = room;
		char *dst = rte_pktmbuf_append(seg, static_cast<uint16_t>(n));
		if (seg != head)
			head->pkt_len += static_cast<uint32_t>(n);
		if (n)
			std::memcpy(dst, bytes.data() + off, n);
		off += n;
		if (off < bytes.size()) {
			rte_mbuf *next = rte_pktmbuf_alloc(g_pool);
			if (!next) {
				rte_pktmbuf_free(head);
				return nullptr;
			}
			seg->next = next;
			head->nb_segs++;
			seg = next;
		}
	} while (off < bytes.size());
	return head;
}

std::vector<uint8_t> bytes_of(const rte_mbuf *m) {
	std::vector<uint8_t> out;
	for (const rte_mbuf *s = m; s; s = s->next) {
		const auto *p = rte_pktmbuf_mtod(s, const uint8_t *);
		out.insert(out.end(), p, p + s->data_len);
	}
	return out;
}

void *table_alloc(size_t bytes, bool eal) {
	// 64-byte aligned like the runtime's arrays: session records are alignas(64), and with
	// -march=native the compiler copies them with aligned 64-byte moves.
	void *p = nullptr;
	if (eal) {
		p = rte_zmalloc("dppath_test_table", bytes, 64);
	} else {
		const size_t rounded = (bytes + 63) & ~size_t{63};
		p = std::aligned_alloc(64, rounded ? rounded : 64);
		if (p)
			std::memset(p, 0, rounded);
	}
	if (!p) {
		std::fprintf(stderr, "cannot allocate %zu bytes of table memory (%s)\n", bytes, eal ? "EAL" : "heap");
		std::abort();
	}
	return p;
}
void table_free(void *p, bool eal) noexcept {
	if (eal)
		rte_free(p);
	else
		std::free(p);
}

test_tables::test_tables(uint32_t capacity, uint32_t punt_ring_size, bool routes, bool eal_memory)
    : sessions_(capacity, eal_memory), seq_(capacity, eal_memory), stats_(capacity, eal_memory),
      eal_memory_(eal_memory), eth_map_(4u * (vlan_untagged + 1), no_session) {
	if (routes) {
		rte_lpm_config c4{};
		c4.max_rules = 1u << 16;
		c4.number_tbl8s = 256;
		v4_ = rte_lpm_create(unique("t4_").c_str(), SOCKET_ID_ANY, &c4);
		rte_lpm6_config c6{};
		c6.max_rules = 1024;
		c6.number_tbl8s = 1024;
		v6_ = rte_lpm6_create(unique("t6_").c_str(), SOCKET_ID_ANY, &c6);
	}
	punt_ = rte_ring_create(unique("tp_").c_str(), punt_ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	neighbours_.reserve(64);
	view_.sessions = sessions_.data();
	view_.session_mask = capacity - 1;
	view_.seq = seq_.data();
	view_.sub_v4 = v4_;
	view_.sub_v6 = v6_;
	view_.eth_pw_map = eth_map_.data();
	view_.attach_slots = 4;
	view_.punt_ring = punt_;
}

test_tables::~test_tables() {
	for (rte_mbuf *m : drain_punts())
		rte_pktmbuf_free(m);
	rte_ring_free(punt_);
	rte_lpm_free(v4_);
	rte_lpm6_free(v6_);
}

uint32_t test_tables::add_session(const session_params &p) {
	session s;
	if (!build_session(p, s))
		return no_session;
	const uint32_t idx = session_index(s, view_.session_mask);
	sessions_[idx] = s;
	seq_[idx] = {};
	return idx;
}

bool test_tables::add_route_v4(uint32_t prefix, uint8_t len, uint32_t idx) {
	return v4_ && rte_lpm_add(v4_, prefix, len, idx) == 0;
}
void test_tables::use_direct_v4(uint32_t base, uint32_t size) {
	direct_ = std::make_unique<table_array<uint32_t>>(size, eal_memory_);
	std::fill_n(direct_->data(), size, no_session);
	view_.sub_v4_direct = direct_->data();
	view_.sub_v4_base = base;
	__atomic_store_n(&view_.sub_v4_direct_size, size, __ATOMIC_RELEASE);
}
bool test_tables::set_direct_v4(uint32_t addr, uint32_t idx) {
	const uint32_t off = addr - view_.sub_v4_base;
	if (!direct_ || off >= view_.sub_v4_direct_size)
		return false;
	(*direct_)[off] = idx;
	return true;
}
bool test_tables::add_route_v6(const uint8_t prefix[16], uint8_t len, uint32_t idx) {
	return v6_ && rte_lpm6_add(v6_, prefix, len, idx) == 0;
}
uint32_t test_tables::add_neighbour(const neighbour &n) {
	neighbours_.push_back(n);
	view_.neighbours = neighbours_.data();
	view_.neighbour_count = static_cast<uint32_t>(neighbours_.size());
	return view_.neighbour_count - 1;
}
void test_tables::map_attachment(uint8_t slot, uint16_t vlan, uint32_t idx) {
	eth_map_[static_cast<size_t>(slot) * (vlan_untagged + 1) + vlan] = idx;
}
void test_tables::set_port(uint16_t port, port_role role, uint16_t mtu, uint8_t slot) {
	view_.ports[port] = {role, slot, mtu, 0, 0}; // vlan, trust_udp_csum: set them on view() where a test needs them
}
std::vector<rte_mbuf *> test_tables::drain_punts() {
	std::vector<rte_mbuf *> out;
	void *obj;
	while (punt_ && rte_ring_dequeue(punt_, &obj) == 0)
		out.push_back(static_cast<rte_mbuf *>(obj));
	return out;
}

run_result run(const path_ctx &ctx, uint16_t in_port, std::vector<rte_mbuf *> pkts) {
	run_result r;
	burst_out out;
	for (size_t i = 0; i < pkts.size(); i += max_burst) {
		const auto n = static_cast<uint16_t>(std::min<size_t>(max_burst, pkts.size() - i));
		if (process_rx_burst(ctx, in_port, pkts.data() + i, n, out) != n)
			std::abort();
		r.tx.insert(r.tx.end(), out.tx, out.tx + out.n_tx);
		r.tx_port.insert(r.tx_port.end(), out.tx_port, out.tx_port + out.n_tx);
		r.punt.insert(r.punt.end(), out.punt, out.punt + out.n_punt);
		r.local.insert(r.local.end(), out.local, out.local + out.n_local);
		r.icmp.insert(r.icmp.end(), out.icmp, out.icmp + out.n_icmp);
		r.glean.insert(r.glean.end(), out.glean, out.glean + out.n_glean);
	}
	return r;
}

void free_all(run_result &r) {
	for (auto *v : {&r.tx, &r.punt, &r.local, &r.icmp, &r.glean})
		for (rte_mbuf *m : *v)
			rte_pktmbuf_free(m);
	r = {};
}

neighbour resolved_neighbour(const uint8_t dst_mac[6], const uint8_t src_mac[6], uint16_t port) {
	neighbour n{};
	std::memcpy(n.dst_mac, dst_mac, 6);
	std::memcpy(n.src_mac, src_mac, 6);
	n.port = port;
	n.valid = 1;
	return n;
}

void set_endpoints_v4(session_params &p, const uint8_t local_mac[6], const uint8_t peer_mac[6], uint32_t local_ip,
                      uint32_t peer_ip, uint16_t egress_port) {
	std::memcpy(p.local_mac, local_mac, 6);
	std::memcpy(p.peer_mac, peer_mac, 6);
	store_be32(p.local_addr, local_ip);
	store_be32(p.peer_addr, peer_ip);
	p.egress_port = egress_port;
}

} // namespace l2tpx::dp::test
