#include "dataplane/neighbour.hpp"

#include "shared/base/byteorder.hpp"

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <netinet/in.h>
#include <cstring>

namespace l2tpx::dp {

namespace {
constexpr uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr uint8_t max_fast_tries = 3;

bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned len) noexcept {
	unsigned full = len / 8, rest = len % 8;
	if (std::memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}
} // namespace

bool parse_eth_header(const uint8_t *f, uint32_t len, eth_header &out) noexcept {
	if (len < 14)
		return false;
	uint16_t et = load_be16(f + 12);
	out = {};
	if (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ || et == 0x9100) {
		if (len < 18)
			return false;
		out.vlan = load_be16(f + 14) & 0x0fff;
		et = load_be16(f + 16);
		out.length = 18;
		if (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ || et == 0x9100)
			return false; // QinQ: not for the dataplane's own addresses
	}
	out.ether_type = et;
	return true;
}

namespace {
// Writes dst, src, optional 802.1Q tag and the EtherType; returns the header length.
uint16_t write_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t vlan, uint16_t ether_type) noexcept {
	std::memcpy(f, dst, 6);
	std::memcpy(f + 6, src, 6);
	if (vlan == 0) {
		store_be16(f + 12, ether_type);
		return 14;
	}
	store_be16(f + 12, RTE_ETHER_TYPE_VLAN);
	store_be16(f + 14, vlan & 0x0fff);
	store_be16(f + 16, ether_type);
	return 18;
}
} // namespace

neighbours::~neighbours() { rte_free(slots_); }

neighbours::key neighbours::make_key(uint16_t port, uint8_t family, const uint8_t *addr) noexcept {
	key k{};
	k[0] = static_cast<uint8_t>(port >> 8);
	k[1] = static_cast<uint8_t>(port);
	k[2] = family;
	std::memcpy(k.data() + 3, addr, family == 4 ? 4 : 16);
	return k;
}

const port_addrs *neighbours::port_of(uint16_t port) const noexcept {
	for (const auto &p : ports_)
		if (p.port_id == port)
			return &p;
	return nullptr;
}

bool neighbours::on_link(const port_addrs &p, uint8_t family, const uint8_t *addr, const uint8_t **src) const noexcept {
	for (const auto &a : p.addresses)
		if (a.address.family == family && prefix_match(a.address.bytes.data(), addr, a.length)) {
			if (src)
				*src = a.address.bytes.data();
			return true;
		}
	return false;
}

bool neighbours::is_local(uint16_t port, uint8_t family, const uint8_t *addr) const noexcept {
	const port_addrs *p = port_of(port);
	if (!p)
		return false;
	for (const auto &a : p->addresses)
		if (a.address.family == family && std::memcmp(a.address.bytes.data(), addr, family == 4 ? 4 : 16) == 0)
			return true;
	return false;
}

bool neighbours::init(const cfg::config &c, const std::vector<port_addrs> &ports, tables_view &view, rte_mempool *pool,
                      std::string &err) {
	ports_ = ports;
	view_ = &view;
	pool_ = pool;
	hz_ = rte_get_tsc_hz();
	timeout_tsc_ = hz_ * c.dataplane.neighbour_timeout_s;
	slots_ = static_cast<neighbour *>(rte_zmalloc("l2tpx_neigh", sizeof(neighbour) * slot_count, 64));
	if (!slots_) {
		err = "cannot allocate the neighbour array";
		return false;
	}
	for (uint32_t i = slot_count; i-- > 0;)
		free_slots_.push_back(i);
	view.neighbours = slots_;
	view.neighbour_count = slot_count;
	const uint64_t now = rte_get_tsc_cycles();
	for (size_t i = 0; i < c.ports.size() && i < ports.size(); i++) {
		const auto &pc = c.ports[i];
		const auto &pa = ports[i];
		for (const auto &n : pc.neighbours) {
			entry e;
			e.port = pa.port_id;
			e.family = n.address.family;
			std::memcpy(e.addr, n.address.bytes.data(), 16);
			e.st = state::static_;
			std::memcpy(e.mac, n.mac.data(), 6);
			e.confirmed_tsc = now;
			auto &slot = table_[make_key(e.port, e.family, e.addr)] = e;
			if (pa.role == cfg::port_role::core)
				publish_slot(slot, true);
		}
		// Connected routes: the port's own prefixes reach on-link hosts, not the gateway.
		if (pa.role == cfg::port_role::core)
			for (const auto &a : pa.addresses)
				add_connected(pa, a);
		// Resolve gateways from the start (the first tick sends the requests).
		for (const auto *gw : {pa.gateway4 ? &*pa.gateway4 : nullptr, pa.gateway6 ? &*pa.gateway6 : nullptr}) {
			if (!gw)
				continue;
			auto k = make_key(pa.port_id, gw->family, gw->bytes.data());
			if (table_.count(k))
				continue;
			entry e;
			e.port = pa.port_id;
			e.family = gw->family;
			std::memcpy(e.addr, gw->bytes.data(), gw->family == 4 ? 4 : 16);
			e.next_tsc = now;
			table_[k] = e;
		}
	}
	return true;
}

void neighbours::add_connected(const port_addrs &p, const cfg::ip_prefix &a) {
	const uint8_t family = a.address.family;
	if ((family == 4 && a.length >= 32) || (family == 6 && a.length >= 128) || (family != 4 && family != 6))
		return; // a host route has no on-link neighbours
	if (family == 6 && !view_->core_v6)
		return;
	if (free_slots_.empty())
		return;
	connected c;
	c.port = p.port_id;
	c.family = family;
	c.length = a.length;
	// The network address (host bits cleared).
	for (unsigned i = 0; i < (family == 4 ? 4u : 16u); i++) {
		const unsigned bits = a.length > i * 8 ? std::min(8u, a.length - i * 8) : 0;
		c.addr[i] = uint8_t(a.address.bytes[i] & uint8_t(bits ? 0xff << (8 - bits) : 0));
	}
	c.slot = free_slots_.back();
	free_slots_.pop_back();
	// valid stays 0: the workers do not send to it (the path gleans or drops no_neighbour).
	neighbour n{};
	std::memcpy(n.src_mac, p.mac, 6);
	n.port = p.port_id;
	n.vlan = p.vlan;
	n.valid = 0;
	slots_[c.slot] = n;
	const int rc = family == 4 ? rte_lpm_add(view_->core_v4, load_be32(c.addr), c.length, c.slot)
	                           : rte_lpm6_add(view_->core_v6, c.addr, c.length, c.slot);
	if (rc != 0) { // route table full: on-link hosts then follow the default route
		free_slots_.push_back(c.slot);
		return;
	}
	connected_.push_back(c);
}

uint32_t neighbours::alloc_slot(const entry &e) {
	if (free_slots_.empty())
		return UINT32_MAX;
	const uint32_t s = free_slots_.back();
	free_slots_.pop_back();
	neighbour n{};
	std::memcpy(n.dst_mac, e.mac, 6);
	if (const port_addrs *p = port_of(e.port))
		std::memcpy(n.src_mac, p->mac, 6);
	n.port = e.port;
	n.vlan = 0;
	if (const port_addrs *p = port_of(e.port))
		n.vlan = p->vlan;
	n.valid = 0;
	slots_[s] = n;
	std::atomic_ref<uint8_t>(slots_[s].valid).store(1, std::memory_order_release);
	return s;
}

// Points the core routes (and the default route, for a gateway) at a new slot for `e`.
void neighbours::publish_slot(entry &e, bool route) {
	const uint32_t old = e.slot;
	const uint32_t s = alloc_slot(e);
	if (s == UINT32_MAX)
		return; // full: traffic to it drops no_neighbour / no_route; entry stays usable for sessions
	e.slot = s;
	const port_addrs *p = port_of(e.port);
	if (route && p) {
		if (e.family == 4) {
			rte_lpm_add(view_->core_v4, load_be32(e.addr), 32, s);
			if (p->gateway4 && std::memcmp(p->gateway4->bytes.data(), e.addr, 4) == 0)
				std::atomic_ref<uint32_t>(view_->default_nh_v4).store(s, std::memory_order_release);
		} else {
			if (view_->core_v6)
				rte_lpm6_add(view_->core_v6, e.addr, 128, s);
			if (p->gateway6 && std::memcmp(p->gateway6->bytes.data(), e.addr, 16) == 0)
				std::atomic_ref<uint32_t>(view_->default_nh_v6).store(s, std::memory_order_release);
		}
	}
	if (old != UINT32_MAX) {
		if (synchronize)
			synchronize();
		std::atomic_ref<uint8_t>(slots_[old].valid).store(0, std::memory_order_release);
		free_slots_.push_back(old);
	}
}

void neighbours::release(entry &e) {
	if (e.slot == UINT32_MAX)
		return;
	const port_addrs *p = port_of(e.port);
	if (e.family == 4) {
		rte_lpm_delete(view_->core_v4, load_be32(e.addr), 32);
		if (p && p->gateway4 && std::memcmp(p->gateway4->bytes.data(), e.addr, 4) == 0)
			std::atomic_ref<uint32_t>(view_->default_nh_v4).store(UINT32_MAX, std::memory_order_release);
	} else if (view_->core_v6) {
		rte_lpm6_delete(view_->core_v6, e.addr, 128);
		if (p && p->gateway6 && std::memcmp(p->gateway6->bytes.data(), e.addr, 16) == 0)
			std::atomic_ref<uint32_t>(view_->default_nh_v6).store(UINT32_MAX, std::memory_order_release);
	}
	if (synchronize)
		synchronize();
	std::atomic_ref<uint8_t>(slots_[e.slot].valid).store(0, std::memory_order_release);
	free_slots_.push_back(e.slot);
	e.slot = UINT32_MAX;
}

void neighbours::set_mac(entry &e, const uint8_t mac[6], state st, uint64_t now) {
	const bool was_known = e.st != state::incomplete;
	const bool mac_changed = !was_known || std::memcmp(e.mac, mac, 6) != 0;
	if (!was_known && e.gleaned && gleaning_ > 0)
		gleaning_--;
	e.gleaned = false;
	std::memcpy(e.mac, mac, 6);
	if (e.st != state::static_)
		e.st = st;
	e.confirmed_tsc = now;
	e.tries = 0;
	e.next_tsc = now + timeout_tsc_;
	if (!mac_changed)
		return;
	learned++;
	const port_addrs *p = port_of(e.port);
	if (p && p->role == cfg::port_role::core)
		publish_slot(e, true);
	if (changed)
		changed(e.port);
}

bool neighbours::resolve(uint16_t port, uint8_t family, const uint8_t *addr, uint8_t mac_out[6]) {
	const port_addrs *p = port_of(port);
	if (!p)
		return false;
	const uint8_t *hop = addr;
	if (!on_link(*p, family, addr)) {
		const auto &gw = family == 4 ? p->gateway4 : p->gateway6;
		if (!gw)
			hop = addr; // no gateway: treat as on-link (proxy-ARP style networks)
		else
			hop = gw->bytes.data();
	}
	const key k = make_key(port, family, hop);
	auto it = table_.find(k);
	if (it != table_.end() && it->second.st != state::incomplete) {
		std::memcpy(mac_out, it->second.mac, 6);
		return true;
	}
	if (it != table_.end() && it->second.gleaned) {
		// Wanted by a session or the control plane now: keep retrying like any next hop.
		it->second.gleaned = false;
		if (gleaning_ > 0)
			gleaning_--;
	}
	if (it == table_.end() && (family == 4 || family == 6)) {
		entry e;
		e.port = port;
		e.family = family;
		std::memcpy(e.addr, hop, family == 4 ? 4 : 16);
		auto &ne = table_[k] = e;
		send_request(ne, rte_get_tsc_cycles());
	}
	return false;
}

bool neighbours::glean(uint16_t port, uint8_t family, const uint8_t *addr, uint8_t mac_out[6]) {
	const port_addrs *p = port_of(port);
	if (!p || p->role != cfg::port_role::core || (family != 4 && family != 6) || !on_link(*p, family, addr) ||
	    is_local(port, family, addr))
		return false;
	const key k = make_key(port, family, addr);
	auto it = table_.find(k);
	if (it != table_.end()) {
		if (it->second.st == state::incomplete)
			return false; // being resolved: its own timer asks again
		std::memcpy(mac_out, it->second.mac, 6);
		return true;
	}
	if (gleaning_ >= max_gleaning) {
		glean_refused++;
		return false;
	}
	entry e;
	e.port = port;
	e.family = family;
	std::memcpy(e.addr, addr, family == 4 ? 4 : 16);
	e.gleaned = true;
	auto &ne = table_[k] = e;
	gleaning_++;
	gleans++;
	send_request(ne, rte_get_tsc_cycles());
	return false;
}

void neighbours::erase(std::unordered_map<key, entry, key_hash>::iterator it) {
	if (it->second.gleaned && it->second.st == state::incomplete && gleaning_ > 0)
		gleaning_--;
	release(it->second);
	table_.erase(it);
}

void neighbours::send_request(entry &e, uint64_t now) {
	e.tries++;
	e.next_tsc = now + (e.tries <= max_fast_tries ? hz_ : 5 * hz_);
	if (!send || !pool_)
		return;
	const port_addrs *p = port_of(e.port);
	if (!p)
		return;
	if (e.family == 6) {
		send_ns(e, *p, e.st == state::stale || e.st == state::reachable);
		return;
	}
	const uint8_t *src = nullptr;
	if (!on_link(*p, 4, e.addr, &src)) {
		for (const auto &a : p->addresses)
			if (a.address.family == 4) {
				src = a.address.bytes.data();
				break;
			}
	}
	if (!src)
		return; // no IPv4 address on this port: cannot ask
	rte_mbuf *m = rte_pktmbuf_alloc(pool_);
	if (!m)
		return;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const bool unicast = e.st == state::stale || e.st == state::reachable;
	const uint16_t l2 = write_eth(f, unicast ? e.mac : broadcast, p->mac, p->vlan, RTE_ETHER_TYPE_ARP);
	auto *arp = reinterpret_cast<rte_arp_hdr *>(f + l2);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	std::memcpy(&arp->arp_data.arp_sha, p->mac, 6);
	std::memcpy(&arp->arp_data.arp_sip, src, 4);
	std::memset(&arp->arp_data.arp_tha, 0, 6);
	std::memcpy(&arp->arp_data.arp_tip, e.addr, 4);
	m->data_len = m->pkt_len = l2 + sizeof(rte_arp_hdr);
	if (send(e.port, m))
		requests_sent++;
}

void neighbours::input_arp(uint16_t port, rte_mbuf *m) {
	const port_addrs *p = port_of(port);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint32_t len = rte_pktmbuf_data_len(m);
	eth_header l2;
	if (!p || !parse_eth_header(f, len, l2) || len < uint32_t(l2.length) + sizeof(rte_arp_hdr) ||
	    l2.ether_type != RTE_ETHER_TYPE_ARP) {
		bad_arp++;
		rte_pktmbuf_free(m);
		return;
	}
	if (l2.vlan != p->vlan) {
		wrong_vlan++;
		rte_pktmbuf_free(m);
		return;
	}
	auto *arp = reinterpret_cast<rte_arp_hdr *>(f + l2.length);
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 || arp->arp_plen != 4 ||
	    (arp->arp_data.arp_sha.addr_bytes[0] & 1) != 0) {
		bad_arp++;
		rte_pktmbuf_free(m);
		return;
	}
	const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
	uint8_t sip[4], tip[4], sha[6];
	std::memcpy(sip, &arp->arp_data.arp_sip, 4);
	std::memcpy(tip, &arp->arp_data.arp_tip, 4);
	std::memcpy(sha, &arp->arp_data.arp_sha, 6);
	const uint64_t now = rte_get_tsc_cycles();
	const bool for_us = is_local(port, 4, tip);
	// RFC 826 merge: update a known sender; add it when the packet is for us.
	if (load_be32(sip) != 0)
		learn(port, 4, sip, sha, for_us, now);
	if (op == RTE_ARP_OP_REQUEST && for_us && send) {
		// Answer in place (the tag, if any, stays).
		std::memcpy(f, sha, 6);
		std::memcpy(f + 6, p->mac, 6);
		arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		std::memcpy(&arp->arp_data.arp_tha, sha, 6);
		std::memcpy(&arp->arp_data.arp_tip, sip, 4);
		std::memcpy(&arp->arp_data.arp_sha, p->mac, 6);
		std::memcpy(&arp->arp_data.arp_sip, tip, 4);
		m->data_len = m->pkt_len = l2.length + sizeof(rte_arp_hdr);
		if (send(port, m))
			replies_sent++;
		return;
	}
	rte_pktmbuf_free(m);
}

void neighbours::learn(uint16_t port, uint8_t family, const uint8_t *addr, const uint8_t *mac, bool create,
                       uint64_t now) {
	auto it = table_.find(make_key(port, family, addr));
	if (it != table_.end()) {
		set_mac(it->second, mac, state::reachable, now);
		return;
	}
	const port_addrs *p = port_of(port);
	if (!create || !p || !on_link(*p, family, addr))
		return;
	entry e;
	e.port = port;
	e.family = family;
	std::memcpy(e.addr, addr, family == 4 ? 4 : 16);
	auto &ne = table_[make_key(port, family, addr)] = e;
	set_mac(ne, mac, state::reachable, now);
}

namespace {
constexpr uint8_t nd_ns = 135, nd_na = 136;
constexpr uint8_t opt_src_ll = 1, opt_tgt_ll = 2;
constexpr size_t ip6_len = 40, nd_len = 24; // NS/NA: type..target

// Fills Ethernet + IPv6 + the first 24 bytes of an NS/NA, an 8-byte link-layer option,
// and the ICMPv6 checksum. Returns the frame length.
uint16_t build_nd(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint16_t vlan, const uint8_t *src_ip,
                  const uint8_t *dst_ip, uint8_t type, uint32_t flags, const uint8_t *target, uint8_t opt_type) {
	const uint16_t eth_len = write_eth(f, dst_mac, src_mac, vlan, RTE_ETHER_TYPE_IPV6);
	auto *ip = reinterpret_cast<rte_ipv6_hdr *>(f + eth_len);
	std::memset(ip, 0, ip6_len);
	ip->vtc_flow = rte_cpu_to_be_32(0x60000000);
	ip->payload_len = rte_cpu_to_be_16(nd_len + 8);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255;
	std::memcpy(ip->src_addr, src_ip, 16);
	std::memcpy(ip->dst_addr, dst_ip, 16);
	uint8_t *icmp = f + eth_len + ip6_len;
	std::memset(icmp, 0, nd_len + 8);
	icmp[0] = type;
	store_be32(icmp + 4, flags);
	std::memcpy(icmp + 8, target, 16);
	icmp[24] = opt_type;
	icmp[25] = 1;
	std::memcpy(icmp + 26, src_mac, 6);
	const uint16_t c = rte_ipv6_udptcp_cksum(ip, icmp);
	std::memcpy(icmp + 2, &c, 2);
	return static_cast<uint16_t>(eth_len + ip6_len + nd_len + 8);
}
} // namespace

static bool checksum_ok(const rte_ipv6_hdr *ip, const uint8_t *icmp, uint32_t plen) noexcept {
	uint32_t sum = uint32_t(rte_ipv6_phdr_cksum(ip, 0)) + rte_raw_cksum(icmp, plen);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

void neighbours::send_ns(entry &e, const port_addrs &p, bool unicast) {
	const uint8_t *src = nullptr;
	if (!on_link(p, 6, e.addr, &src))
		for (const auto &a : p.addresses)
			if (a.address.family == 6) {
				src = a.address.bytes.data();
				break;
			}
	if (!src)
		return; // no IPv6 address on this port
	uint8_t dst_ip[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, e.addr[13], e.addr[14], e.addr[15]};
	uint8_t dst_mac[6] = {0x33, 0x33, 0xff, e.addr[13], e.addr[14], e.addr[15]};
	if (unicast) {
		std::memcpy(dst_ip, e.addr, 16);
		std::memcpy(dst_mac, e.mac, 6);
	}
	rte_mbuf *m = rte_pktmbuf_alloc(pool_);
	if (!m)
		return;
	const uint16_t len =
	    build_nd(rte_pktmbuf_mtod(m, uint8_t *), dst_mac, p.mac, p.vlan, src, dst_ip, nd_ns, 0, e.addr, opt_src_ll);
	m->data_len = m->pkt_len = len;
	if (send(e.port, m))
		requests_sent++;
}

bool neighbours::input_nd(uint16_t port, rte_mbuf *m) {
	const uint32_t len = rte_pktmbuf_data_len(m);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	eth_header l2;
	if (!parse_eth_header(f, len, l2) || l2.ether_type != RTE_ETHER_TYPE_IPV6 || len < l2.length + ip6_len + nd_len)
		return false;
	const uint32_t eth_len = l2.length;
	const auto *ip = reinterpret_cast<const rte_ipv6_hdr *>(f + eth_len);
	const uint8_t *icmp = f + eth_len + ip6_len;
	const uint32_t plen = rte_be_to_cpu_16(ip->payload_len);
	if (ip->proto != IPPROTO_ICMPV6 || (icmp[0] != nd_ns && icmp[0] != nd_na))
		return false;
	const port_addrs *p = port_of(port);
	if (p && l2.vlan != p->vlan) {
		wrong_vlan++;
		rte_pktmbuf_free(m);
		return true;
	}
	// RFC 4861 7.1: hop limit 255, code 0, valid checksum, options of non-zero length.
	if (!p || ip->hop_limits != 255 || icmp[1] != 0 || plen < nd_len || eth_len + ip6_len + plen > len ||
	    !checksum_ok(ip, icmp, plen) || icmp[8] == 0xff /* multicast target */) {
		bad_nd++;
		rte_pktmbuf_free(m);
		return true;
	}
	const uint8_t *ll = nullptr; // link-layer address option (source for NS, target for NA)
	for (uint32_t off = nd_len; off + 8 <= plen;) {
		const uint32_t olen = uint32_t(icmp[off + 1]) * 8;
		if (olen == 0 || off + olen > plen) {
			bad_nd++;
			rte_pktmbuf_free(m);
			return true;
		}
		if (icmp[off] == (icmp[0] == nd_ns ? opt_src_ll : opt_tgt_ll) && olen >= 8)
			ll = icmp + off + 2;
		off += olen;
	}
	const uint8_t *target = icmp + 8;
	const uint64_t now = rte_get_tsc_cycles();
	static constexpr uint8_t unspecified[16] = {};
	const bool dad = std::memcmp(ip->src_addr, unspecified, 16) == 0;
	if (icmp[0] == nd_na) {
		if (ll)
			learn(port, 6, target, ll, false, now);
		rte_pktmbuf_free(m);
		return true;
	}
	const bool for_us = is_local(port, 6, target);
	if (ll && !dad)
		learn(port, 6, ip->src_addr, ll, for_us, now);
	if (!for_us || dad || !send) { // DAD probes for our address: we do not defend here
		rte_pktmbuf_free(m);
		return true;
	}
	uint8_t dst_mac[6], dst_ip[16], tgt[16];
	std::memcpy(dst_mac, ll ? ll : f + 6, 6);
	std::memcpy(dst_ip, ip->src_addr, 16);
	std::memcpy(tgt, target, 16);
	const uint16_t n =
	    build_nd(f, dst_mac, p->mac, p->vlan, tgt, dst_ip, nd_na, 0x60000000 /* S, O */, tgt, opt_tgt_ll);
	m->data_len = m->pkt_len = n;
	if (send(port, m))
		replies_sent++;
	return true;
}

bool neighbours::add_static(uint16_t port, uint8_t family, const uint8_t *addr, const uint8_t mac[6]) {
	if (!port_of(port) || (family != 4 && family != 6))
		return false;
	auto &e = table_[make_key(port, family, addr)];
	e.port = port;
	e.family = family;
	std::memcpy(e.addr, addr, family == 4 ? 4 : 16);
	const bool was_static = e.st == state::static_;
	if (!was_static && e.st != state::incomplete)
		e.st = state::reachable; // set_mac compares against the old MAC
	set_mac(e, mac, state::reachable, rte_get_tsc_cycles());
	e.st = state::static_;
	return true;
}

bool neighbours::remove_static(uint16_t port, uint8_t family, const uint8_t *addr) {
	auto it = table_.find(make_key(port, family, addr));
	if (it == table_.end() || it->second.st != state::static_)
		return false;
	erase(it);
	if (changed)
		changed(port);
	return true;
}

bool neighbours::is_gateway(const entry &e) const noexcept {
	const port_addrs *p = port_of(e.port);
	if (!p)
		return false;
	const auto &gw = e.family == 4 ? p->gateway4 : p->gateway6;
	return gw && std::memcmp(gw->bytes.data(), e.addr, e.family == 4 ? 4 : 16) == 0;
}

void neighbours::tick(uint64_t now) {
	std::vector<key> dead;
	for (auto &[k, e] : table_) {
		if (e.st == state::static_ || now < e.next_tsc)
			continue;
		switch (e.st) {
		case state::incomplete:
			if (e.gleaned && e.tries > max_fast_tries) {
				unresolved++; // nobody answered the fast retries: forget it (a new packet gleans again)
				dead.push_back(k);
			} else if (e.tries > max_fast_tries && now - e.confirmed_tsc > timeout_tsc_ && e.confirmed_tsc != 0 &&
			           !is_gateway(e)) {
				dead.push_back(k); // gateways are asked every 5 s for ever
			}
			else
				send_request(e, now);
			if (e.confirmed_tsc == 0)
				e.confirmed_tsc = now; // start of the resolution, for its expiry
			break;
		case state::reachable:
			e.st = state::stale;
			e.tries = 0;
			send_request(e, now);
			break;
		case state::stale:
			if (now - e.confirmed_tsc > 2 * timeout_tsc_ && !is_gateway(e)) {
				dead.push_back(k);
				break;
			}
			send_request(e, now);
			break;
		case state::static_:
			break;
		}
	}
	for (const key &k : dead) {
		auto it = table_.find(k);
		if (!it->second.gleaned)
			expired++;
		erase(it);
	}
}

} // namespace l2tpx::dp
