// Test support for the packet paths (not linked into the dataplane): EAL start-up for
// test binaries, mbufs from byte vectors, and a self-contained tables_view with owned
// session arrays, LPM tables and a punt ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dataplane/path/path.hpp"
#include "dataplane/path/session_build.hpp"

struct rte_mempool;

namespace l2tpx::dp::test {

// rte_eal_init with --no-huge -m 256 --no-pci --file-prefix l2tpx-dppath-test-<name>
// --log-level=*:error. Returns false (and prints why) on failure.
bool init_eal(const char *name);

rte_mempool *pool();

// An mbuf holding `bytes` received on `port`; with seg_size > 0 the data is split into a
// chain of segments of at most seg_size bytes. nullptr if the pool is empty.
rte_mbuf *make_mbuf(std::span<const uint8_t> bytes, uint16_t port = 0, uint16_t seg_size = 0);
std::vector<uint8_t> bytes_of(const rte_mbuf *m);

// Zeroed array of trivially copyable T, on the heap or (eal = true) from rte_zmalloc, i.e.
// hugepages when the EAL has them, as the dataplane runtime allocates its tables.
void *table_alloc(size_t bytes, bool eal);
void table_free(void *p, bool eal) noexcept;
template <typename T> class table_array {
public:
	table_array(size_t n, bool eal) : p_(static_cast<T *>(table_alloc(n * sizeof(T), eal))), eal_(eal) {}
	~table_array() { table_free(p_, eal_); }
	table_array(const table_array &) = delete;
	table_array &operator=(const table_array &) = delete;
	T *data() const noexcept { return p_; }
	T &operator[](size_t i) const noexcept { return p_[i]; }

private:
	T *p_;
	bool eal_;
};

class test_tables {
public:
	// Each rte_lpm takes 64 MiB (tbl24): pass routes = false for a second live instance.
	// eal_memory: session, sequence, stats and direct-route arrays from rte_zmalloc.
	explicit test_tables(uint32_t capacity = 1u << 16, uint32_t punt_ring_size = 256, bool routes = true,
	                     bool eal_memory = false);
	~test_tables();
	test_tables(const test_tables &) = delete;
	test_tables &operator=(const test_tables &) = delete;

	// Installs a session at its ID-derived index; returns the index (no_session on error).
	uint32_t add_session(const session_params &p);
	bool add_route_v4(uint32_t prefix_host_order, uint8_t len, uint32_t session_index);
	bool add_route_v6(const uint8_t prefix[16], uint8_t len, uint32_t session_index);
	// Direct /32 table (tables_view::sub_v4_direct) over [base, base + size), host order.
	void use_direct_v4(uint32_t base, uint32_t size);
	// Sets (or with no_session clears) the direct entry of addr; false outside the block.
	bool set_direct_v4(uint32_t addr, uint32_t session_index);
	// Adds a neighbour; returns its index.
	uint32_t add_neighbour(const neighbour &n);
	void map_attachment(uint8_t slot, uint16_t vlan_or_untagged, uint32_t session_index);
	void set_port(uint16_t port, port_role role, uint16_t mtu = 0, uint8_t attach_slot = 0);

	tables_view &view() { return view_; }
	path_counters &counters() { return counters_; }
	session_stats *stats() { return stats_.data(); }
	session_seq *seq() { return seq_.data(); }
	session *sessions() { return sessions_.data(); }
	path_ctx ctx() { return {&view_, &counters_, stats_.data()}; }
	rte_ring *punt_ring() { return punt_; }
	// Dequeues every punted mbuf (caller frees).
	std::vector<rte_mbuf *> drain_punts();

private:
	table_array<session> sessions_;
	table_array<session_seq> seq_;
	table_array<session_stats> stats_;
	std::unique_ptr<table_array<uint32_t>> direct_;
	bool eal_memory_;
	std::vector<neighbour> neighbours_;
	std::vector<uint32_t> eth_map_;
	rte_lpm *v4_ = nullptr;
	rte_lpm6 *v6_ = nullptr;
	rte_ring *punt_ = nullptr;
	tables_view view_;
	path_counters counters_{};
};

// A resolved neighbour (valid = 1, untagged) on `port`: frames go from src_mac to dst_mac.
neighbour resolved_neighbour(const uint8_t dst_mac[6], const uint8_t src_mac[6], uint16_t port);

// Outer endpoints of a session over IPv4: Ethernet MACs, addresses (host order) and the
// port towards the peer.
void set_endpoints_v4(session_params &p, const uint8_t local_mac[6], const uint8_t peer_mac[6], uint32_t local_ip,
                      uint32_t peer_ip, uint16_t egress_port);

// Runs one burst and returns it; the drops are already freed.
struct run_result {
	std::vector<rte_mbuf *> tx;
	std::vector<uint16_t> tx_port;
	std::vector<rte_mbuf *> punt;
	std::vector<rte_mbuf *> local;
	std::vector<rte_mbuf *> icmp;  // burst_out::icmp (ICMP error hook)
	std::vector<rte_mbuf *> glean; // burst_out::glean (unresolved on-link next hop)
};
run_result run(const path_ctx &ctx, uint16_t in_port, std::vector<rte_mbuf *> pkts);
void free_all(run_result &r);

} // namespace l2tpx::dp::test
