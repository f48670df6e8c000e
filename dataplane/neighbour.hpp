// Neighbour table (ARP for IPv4, neighbour discovery for IPv6) for the dataplane's own
// addresses. Owned and written by the main lcore:
//   - answers ARP requests and neighbour solicitations for the dataplane's addresses and
//     learns the sender (RFC 826 merge; RFC 4861 7.2.3);
//   - resolves next hops (on-link address, else the port's gateway) on demand, retrying
//     every second, then every 5 s; dynamic entries are re-confirmed after
//     neighbour_timeout_s and deleted when a stale entry is not confirmed within another one;
//   - static neighbours from the config never age.
// Core-port entries also get a slot in the workers' neighbour array (tables_view::neighbours)
// and a /32 (/128) in core_v4 (core_v6); the port's gateway is the default next hop.
// A changed MAC gets a new slot; the old one is reused only after an RCU grace period.
#pragma once

#include "dataplane/path/tables_view.hpp"
#include "shared/config/config.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct rte_mbuf;
struct rte_mempool;

namespace l2tpx::dp {

struct port_addrs {
	uint16_t port_id = 0;
	cfg::port_role role = cfg::port_role::access;
	uint8_t mac[6] = {};
	std::vector<cfg::ip_prefix> addresses;
	std::optional<cfg::ip_address> gateway4, gateway6;
	// 802.1Q VLAN of the port's addresses (1..4094), 0 = untagged. ARP/ND frames are
	// accepted only with this tag (untagged when 0) and sent with it; core-port next hops
	// get it as the tag the workers push.
	uint16_t vlan = 0;
};

// The Ethernet header of a frame: optional single 802.1Q tag. False when shorter than the
// header or with more than one tag (0x8100/0x88a8/0x9100 inside a tag).
struct eth_header {
	uint16_t vlan = 0;      // 0 = untagged
	uint16_t ether_type = 0;
	uint16_t length = 14;   // 14 or 18
};
bool parse_eth_header(const uint8_t *frame, uint32_t len, eth_header &out) noexcept;

class neighbours {
public:
	enum class state : uint8_t { incomplete, reachable, stale, static_ };
	struct entry {
		uint16_t port = 0;
		uint8_t family = 4;
		uint8_t addr[16] = {};
		uint8_t mac[6] = {};
		state st = state::incomplete;
		uint8_t tries = 0;
		uint64_t confirmed_tsc = 0; // last reply/learn
		uint64_t next_tsc = 0;      // next request / timeout check
		uint32_t slot = UINT32_MAX; // index in the workers' array (core ports)
		bool gleaned = false;       // created by glean(): short-lived while unresolved
	};
	// A connected route: a core port's own prefix, routed by the workers to a "glean" slot
	// (valid = 0: the destination has no resolved /32 yet).
	struct connected {
		uint16_t port = 0;
		uint8_t family = 4;
		uint8_t length = 0;
		uint8_t addr[16] = {};
		uint32_t slot = UINT32_MAX;
	};

	static constexpr uint32_t slot_count = 4096;
	// Unresolved entries created by glean() at one time; more are refused (counted), so a
	// flood towards unused addresses of a connected prefix cannot fill the table.
	static constexpr uint32_t max_gleaning = 256;

	~neighbours();

	// `view` receives the neighbour array, core routes and default next hops.
	bool init(const cfg::config &c, const std::vector<port_addrs> &ports, tables_view &view, rte_mempool *pool,
	          std::string &err);

	// Hooks set by the runtime: transmit a frame on a port (main lcore queue), wait for an
	// RCU grace period, and "a next hop on this port changed".
	std::function<bool(uint16_t port, rte_mbuf *m)> send;
	std::function<void()> synchronize;
	std::function<void(uint16_t port)> changed;

	// Next-hop MAC for `addr` reached through `port`; false (and resolution started) if unknown.
	bool resolve(uint16_t port, uint8_t family, const uint8_t *addr, uint8_t mac_out[6]);
	// Handles an ARP frame (untagged or with one 802.1Q tag) received on `port` (consumes the mbuf).
	void input_arp(uint16_t port, rte_mbuf *m);
	// Handles an ICMPv6 neighbour solicitation/advertisement (untagged or one 802.1Q tag, no
	// extension headers); returns false (mbuf untouched) when `m` is not one.
	bool input_nd(uint16_t port, rte_mbuf *m);
	// A packet for `addr` reached a connected route's glean slot (or the runtime found no /32
	// for an on-link destination): starts resolution when `addr` is on-link on core port
	// `port` and not ours. Returns true with the MAC when it is already known. Bounded by
	// max_gleaning; such entries are deleted after the fast retries go unanswered.
	bool glean(uint16_t port, uint8_t family, const uint8_t *addr, uint8_t mac_out[6]);
	// Static entries from the control plane (add replaces a dynamic entry's MAC).
	bool add_static(uint16_t port, uint8_t family, const uint8_t *addr, const uint8_t mac[6]);
	bool remove_static(uint16_t port, uint8_t family, const uint8_t *addr);
	// Retries and aging; call periodically from the main lcore.
	void tick(uint64_t now_tsc);
	// The port's VLAN (port_addrs::vlan), 0 when untagged or unknown.
	uint16_t port_vlan(uint16_t port) const noexcept {
		const port_addrs *p = port_of(port);
		return p ? p->vlan : 0;
	}
	// One of our addresses of `family` on `port`, else on any port; nullptr if none.
	const uint8_t *address_of(uint16_t port, uint8_t family) const noexcept {
		for (int pass = 0; pass < 2; pass++)
			for (const auto &p : ports_)
				if (pass == 1 || p.port_id == port)
					for (const auto &a : p.addresses)
						if (a.address.family == family)
							return a.address.bytes.data();
		return nullptr;
	}
	// True if `addr` is one of the dataplane's own addresses on `port`.
	bool is_local(uint16_t port, uint8_t family, const uint8_t *addr) const noexcept;

	const std::vector<connected> &connected_routes() const noexcept { return connected_; }
	// On-link on `port` (inside one of its prefixes).
	bool on_link(uint16_t port, uint8_t family, const uint8_t *addr) const noexcept {
		const port_addrs *p = port_of(port);
		return p && on_link(*p, family, addr);
	}
	size_t size() const noexcept { return table_.size(); }
	const entry *find(uint16_t port, uint8_t family, const uint8_t *addr) const {
		auto it = table_.find(make_key(port, family, addr));
		return it == table_.end() ? nullptr : &it->second;
	}

	template <typename F> void for_each(F &&f) const {
		for (const auto &[k, e] : table_)
			f(e);
	}
	uint64_t requests_sent = 0, replies_sent = 0, learned = 0, bad_arp = 0, bad_nd = 0, expired = 0;
	uint64_t wrong_vlan = 0; // ARP/ND with a tag other than the port's (or tagged on an untagged port)
	uint64_t gleans = 0, glean_refused = 0, unresolved = 0;

private:
	using key = std::array<uint8_t, 19>; // port(2) family(1) address(16)
	struct key_hash {
		size_t operator()(const key &k) const noexcept {
			uint64_t h = 1469598103934665603ull;
			for (uint8_t b : k)
				h = (h ^ b) * 1099511628211ull;
			return h;
		}
	};
	static key make_key(uint16_t port, uint8_t family, const uint8_t *addr) noexcept;
	const port_addrs *port_of(uint16_t port) const noexcept;
	bool on_link(const port_addrs &p, uint8_t family, const uint8_t *addr, const uint8_t **src = nullptr) const noexcept;
	void send_request(entry &e, uint64_t now);
	void send_ns(entry &e, const port_addrs &p, bool unicast);
	void learn(uint16_t port, uint8_t family, const uint8_t *addr, const uint8_t *mac, bool create, uint64_t now);
	void set_mac(entry &e, const uint8_t mac[6], state st, uint64_t now);
	uint32_t alloc_slot(const entry &e);
	void publish_slot(entry &e, bool route);
	void release(entry &e);
	void add_connected(const port_addrs &p, const cfg::ip_prefix &a);
	bool is_gateway(const entry &e) const noexcept;
	void erase(std::unordered_map<key, entry, key_hash>::iterator it);

	std::vector<port_addrs> ports_;
	std::unordered_map<key, entry, key_hash> table_;
	tables_view *view_ = nullptr;
	rte_mempool *pool_ = nullptr;
	neighbour *slots_ = nullptr;
	std::vector<uint32_t> free_slots_;
	std::vector<connected> connected_;
	uint32_t gleaning_ = 0; // entries with gleaned && st == incomplete
	uint64_t hz_ = 1;
	uint64_t timeout_tsc_ = 0;
};

} // namespace l2tpx::dp
