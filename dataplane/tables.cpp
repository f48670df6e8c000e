#include "dataplane/tables.hpp"
#include "shared/config/config_loader.hpp"

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

namespace l2tpx::dp {

namespace {

uint64_t tunnel_key(uint8_t version, uint32_t id) noexcept { return (uint64_t(version) << 32) | id; }

uint32_t v4_host(const uint8_t *b) noexcept {
	return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}

std::string addr_text(const ring::ip_addr &a, uint8_t len) {
	cfg::ip_address c;
	c.family = a.family;
	std::memcpy(c.bytes.data(), a.bytes, 16);
	return cfg::format_ip(c) + '/' + std::to_string(len);
}

bool valid_cookie_len(uint8_t n) noexcept { return n == 0 || n == 4 || n == 8; }

} // namespace

tables::~tables() {
	rte_lpm_free(view_.sub_v4);
	rte_lpm6_free(view_.sub_v6);
	rte_lpm_free(view_.core_v4);
	rte_lpm6_free(view_.core_v6);
	rte_free(sessions_mem_);
	rte_free(tunnels_mem_);
	rte_free(seq_mem_);
	rte_free(eth_pw_mem_);
	rte_free(sub_direct_mem_);
}

bool tables::init(const cfg::config &c, rte_rcu_qsbr *rcu, unsigned self_rcu_id, std::string &err) {
	const auto &d = c.dataplane;
	const uint32_t cap = d.session_capacity;
	rcu_ = rcu;
	self_rcu_id_ = self_rcu_id;
	route_capacity_ = d.route_capacity;
	sessions_mem_ = static_cast<session *>(rte_zmalloc("l2tpx_sessions", size_t(cap) * sizeof(session), 64));
	seq_mem_ = static_cast<session_seq *>(rte_zmalloc("l2tpx_seq", size_t(cap) * sizeof(session_seq), 64));
	tunnels_mem_ = static_cast<tunnel *>(rte_zmalloc("l2tpx_tunnels", size_t(d.tunnel_capacity) * sizeof(tunnel), 64));
	if (!sessions_mem_ || !seq_mem_ || !tunnels_mem_) {
		err = "cannot allocate session/tunnel tables for " + std::to_string(cap) + " sessions (" +
		      std::to_string((size_t(cap) * (sizeof(session) + sizeof(session_seq))) >> 20) + " MiB): not enough "
		      "hugepage memory";
		return false;
	}
	// Direct /32 table for subscriber addresses: one entry per session slot (4 bytes each).
	sub_direct_mem_ = static_cast<uint32_t *>(rte_malloc("l2tpx_sub4_direct", size_t(cap) * sizeof(uint32_t), 64));
	if (!sub_direct_mem_) {
		err = "cannot allocate the subscriber /32 table (" + std::to_string((size_t(cap) * 4) >> 20) +
		      " MiB): not enough hugepage memory";
		return false;
	}
	std::fill_n(sub_direct_mem_, cap, no_session);
	view_.sub_v4_direct = sub_direct_mem_;
	tunnels_.assign(d.tunnel_capacity, std::nullopt);
	v2_tunnel_slot_.assign(0x10000, UINT32_MAX);
	free_tunnel_slots_.reserve(d.tunnel_capacity);
	for (uint32_t i = d.tunnel_capacity; i-- > 0;)
		free_tunnel_slots_.push_back(i);

	// LPM names are global to the DPDK process: a second set of tables in one process (tests,
	// benchmarks) gets its own names.
	static std::atomic<unsigned> instances{0};
	const unsigned instance = instances.fetch_add(1, std::memory_order_relaxed);
	const auto lpm_name = [instance](const char *base) {
		return instance == 0 ? std::string(base) : std::string(base) + "_" + std::to_string(instance);
	};
	rte_lpm_config lc{};
	lc.max_rules = d.route_capacity;
	lc.number_tbl8s = std::max<uint32_t>(256, d.route_capacity / 8);
	view_.sub_v4 = rte_lpm_create(lpm_name("l2tpx_sub4").c_str(), SOCKET_ID_ANY, &lc);
	rte_lpm6_config l6{};
	l6.max_rules = d.route_capacity;
	l6.number_tbl8s = std::max<uint32_t>(1024, d.route_capacity / 4);
	view_.sub_v6 = rte_lpm6_create(lpm_name("l2tpx_sub6").c_str(), SOCKET_ID_ANY, &l6);
	lc.max_rules = 4096;
	lc.number_tbl8s = 256;
	view_.core_v4 = rte_lpm_create(lpm_name("l2tpx_core4").c_str(), SOCKET_ID_ANY, &lc);
	// Each LPM costs a 64 MiB first-level table: IPv6 core routes only when a core port has
	// IPv6 (a null table means "use the default next hop").
	bool core_v6 = false;
	for (const auto &p : c.ports)
		if (p.role == cfg::port_role::core)
			for (const auto &a : p.addresses)
				core_v6 |= a.address.is_v6();
	l6.max_rules = 4096;
	l6.number_tbl8s = 1024;
	if (core_v6)
		view_.core_v6 = rte_lpm6_create(lpm_name("l2tpx_core6").c_str(), SOCKET_ID_ANY, &l6);
	if (!view_.sub_v4 || !view_.sub_v6 || !view_.core_v4 || (core_v6 && !view_.core_v6)) {
		err = "cannot create LPM tables for " + std::to_string(d.route_capacity) + " routes: " +
		      rte_strerror(rte_errno);
		return false;
	}
	uint32_t attach = 0;
	for (const auto &p : c.ports)
		attach += p.role == cfg::port_role::attachment;
	if (attach != 0) {
		const size_t n = size_t(attach) * (vlan_untagged + 1);
		eth_pw_mem_ = static_cast<uint32_t *>(rte_malloc("l2tpx_ethpw", n * sizeof(uint32_t), 64));
		if (!eth_pw_mem_) {
			err = "cannot allocate the Ethernet pseudowire map";
			return false;
		}
		std::fill_n(eth_pw_mem_, n, no_session);
	}
	sessions_.reset(cap);
	view_.sessions = sessions_mem_;
	view_.session_mask = cap - 1;
	view_.seq = seq_mem_;
	view_.tunnels = tunnels_mem_;
	view_.tunnel_capacity = d.tunnel_capacity;
	view_.eth_pw_map = eth_pw_mem_;
	view_.attach_slots = 0;
	view_.l2tp_udp_port = d.l2tp_udp_port;
	return true;
}

bool tables::add_attachment_port(uint16_t port_id, std::string &err) {
	if (port_id >= max_ports || !eth_pw_mem_) {
		err = "attachment port " + std::to_string(port_id) + " out of range";
		return false;
	}
	attach_slot_of_port_[port_id] = static_cast<uint16_t>(view_.attach_slots);
	view_.ports[port_id].attach_slot = static_cast<uint8_t>(view_.attach_slots);
	view_.attach_slots++;
	return true;
}

uint32_t tables::index_of(uint8_t version, uint32_t tunnel_id, uint32_t session_id) const noexcept {
	return version == 2 ? session_index_v2(static_cast<uint16_t>(tunnel_id), static_cast<uint16_t>(session_id),
	                                       view_.session_mask)
	                    : session_index_v3(session_id, view_.session_mask);
}

uint32_t tables::find_session(const ring::session_ref &r) const noexcept {
	const uint32_t idx = index_of(r.version, r.local_tunnel_id, r.local_session_id);
	const session_shadow *sh = sessions_.find(idx);
	if (!sh)
		return UINT32_MAX;
	const auto &p = sh->params;
	if (p.version != r.version || p.local_session_id != r.local_session_id ||
	    (r.version == 2 && p.local_tunnel_id != r.local_tunnel_id))
		return UINT32_MAX;
	return idx;
}

const session_shadow *tables::shadow(uint32_t index) const noexcept { return sessions_.find(index); }

const tunnel_shadow *tables::tunnel_at(uint32_t index) const noexcept {
	return index < tunnels_.size() && tunnels_[index] ? &*tunnels_[index] : nullptr;
}

uint32_t tables::tunnel_slot(uint8_t version, uint32_t id) const noexcept {
	if (version == 2)
		return id <= 0xffff && !v2_tunnel_slot_.empty() ? v2_tunnel_slot_[id] : UINT32_MAX;
	auto it = tunnel_by_id_.find(tunnel_key(version, id));
	return it == tunnel_by_id_.end() ? UINT32_MAX : it->second;
}

static void add_stats(session_stats &to, const session_stats &x) noexcept {
	to.rx_packets += x.rx_packets;
	to.rx_bytes += x.rx_bytes;
	to.tx_packets += x.tx_packets;
	to.tx_bytes += x.tx_bytes;
}

session_stats tables::tunnel_stats(uint32_t tunnel_index) const noexcept {
	const tunnel_shadow *t = tunnel_at(tunnel_index);
	if (!t)
		return {};
	session_stats s = t->retired;
	sessions_.for_each([&](uint32_t idx, const session_shadow &sh) {
		if (sh.tunnel_index == tunnel_index)
			add_stats(s, sum_stats(idx));
	});
	return s;
}

// After the grace period that followed state=down and the route removal: the tunnel's
// session count and its retired counters, then the slot is free.
session_stats tables::release_session(uint32_t idx) {
	const session_stats last = sum_stats(idx);
	const uint32_t ti = sessions_.find(idx)->tunnel_index;
	if (ti < tunnels_.size() && tunnels_[ti]) {
		if (tunnels_[ti]->sessions > 0)
			tunnels_[ti]->sessions--;
		add_stats(tunnels_[ti]->retired, last);
	}
	sessions_.erase(idx);
	set_state(idx, session_state::free);
	return last;
}

session_stats tables::sum_stats(uint32_t index) const noexcept {
	session_stats s{};
	for (const session_stats *a : stats_) {
		if (!a)
			continue;
		const session_stats &x = a[index];
		s.rx_packets += __atomic_load_n(&x.rx_packets, __ATOMIC_RELAXED);
		s.rx_bytes += __atomic_load_n(&x.rx_bytes, __ATOMIC_RELAXED);
		s.tx_packets += __atomic_load_n(&x.tx_packets, __ATOMIC_RELAXED);
		s.tx_bytes += __atomic_load_n(&x.tx_bytes, __ATOMIC_RELAXED);
	}
	return s;
}

void tables::reset_counters(uint32_t index) noexcept {
	for (session_stats *a : stats_)
		if (a)
			a[index] = session_stats{};
	seq_mem_[index] = session_seq{};
}

void tables::set_state(uint32_t index, session_state st) noexcept {
	std::atomic_ref<session_state>(sessions_mem_[index].state).store(st, std::memory_order_release);
}

void tables::synchronize() noexcept { rte_rcu_qsbr_synchronize(rcu_, self_rcu_id_); }

// --- tunnels ---------------------------------------------------------------------------------

op_result tables::add_tunnel(const ring::tunnel_params &p, bool is_static) {
	if ((p.version != 2 && p.version != 3) || p.local_tunnel_id == 0 ||
	    (p.version == 2 && (p.local_tunnel_id > 0xffff || p.peer_tunnel_id > 0xffff)))
		return op_result::fail(ring::status::bad_argument, "version 2|3 and a non-zero local tunnel ID (16 bits in v2)");
	if ((p.local.family != 4 && p.local.family != 6) || p.local.family != p.peer.family)
		return op_result::fail(ring::status::bad_argument, "local and peer addresses of one family");
	if (p.port >= max_ports || (view_.ports[p.port].role != port_role::access && view_.ports[p.port].role != port_role::core))
		return op_result::fail(ring::status::no_port, "tunnel port must be an access or core port");
	const uint64_t key = tunnel_key(p.version, p.local_tunnel_id);
	if (tunnel_by_id_.count(key))
		return op_result::fail(ring::status::exists, "tunnel " + std::to_string(p.local_tunnel_id) + " exists");
	if (free_tunnel_slots_.empty())
		return op_result::fail(ring::status::table_full, "tunnel_capacity reached");
	const uint32_t idx = free_tunnel_slots_.back();
	free_tunnel_slots_.pop_back();
	tunnel t{};
	t.generation = ++generation_;
	t.state = session_state::up;
	t.version = p.version;
	t.family = p.local.family;
	t.local_tunnel_id = p.local_tunnel_id;
	t.peer_tunnel_id = p.peer_tunnel_id;
	t.local_udp_port = p.local_udp_port;
	t.peer_udp_port = p.peer_udp_port;
	t.port = p.port;
	std::memcpy(t.local_addr, p.local.bytes, 16);
	std::memcpy(t.peer_addr, p.peer.bytes, 16);
	tunnels_mem_[idx] = t;
	tunnels_[idx] = tunnel_shadow{p, 0, is_static};
	tunnel_count_++;
	ref_udp_port(p, +1);
	tunnel_by_id_[key] = idx;
	if (p.version == 2)
		v2_tunnel_slot_[p.local_tunnel_id] = idx;
	return {ring::status::ok, idx, {}};
}

void tables::ref_udp_port(const ring::tunnel_params &p, int delta) {
	if (p.enc != ring::encap::udp || p.local_udp_port == 0 || p.local_udp_port == view_.l2tp_udp_port)
		return;
	uint32_t &n = udp_port_refs_[p.local_udp_port];
	if (delta > 0 && n++ == 0)
		view_.set_extra_l2tp_udp_port(p.local_udp_port, true);
	else if (delta < 0 && n > 0 && --n == 0) {
		view_.set_extra_l2tp_udp_port(p.local_udp_port, false);
		udp_port_refs_.erase(p.local_udp_port);
	}
}

op_result tables::modify_tunnel(const ring::tunnel_params &p) {
	auto it = tunnel_by_id_.find(tunnel_key(p.version, p.local_tunnel_id));
	if (it == tunnel_by_id_.end())
		return op_result::fail(ring::status::not_found, "no such tunnel");
	if (p.local.family != p.peer.family || p.port >= max_ports)
		return op_result::fail(ring::status::bad_argument, "addresses of one family and a valid port");
	if (tunnels_[it->second]->is_static)
		return op_result::fail(ring::status::bad_argument, "static tunnels come from the config file");
	tunnel &t = tunnels_mem_[it->second];
	// Workers read tunnels only to fill punt metadata; a torn read there is harmless, but
	// keep the update ordered: fields first, generation last.
	t.peer_tunnel_id = p.peer_tunnel_id;
	t.peer_udp_port = p.peer_udp_port;
	t.local_udp_port = p.local_udp_port;
	t.port = p.port;
	std::memcpy(t.peer_addr, p.peer.bytes, 16);
	std::memcpy(t.local_addr, p.local.bytes, 16);
	std::atomic_ref<uint32_t>(t.generation).store(++generation_, std::memory_order_release);
	auto &sh = *tunnels_[it->second];
	ref_udp_port(p, +1); // before the old one goes: a port kept by both never flips
	ref_udp_port(sh.params, -1);
	sh.params = p; // sessions, is_static and retired counters stay
	return {ring::status::ok, it->second, {}};
}

op_result tables::remove_tunnel(const ring::tunnel_params &p) {
	auto it = tunnel_by_id_.find(tunnel_key(p.version, p.local_tunnel_id));
	if (it == tunnel_by_id_.end())
		return op_result::fail(ring::status::not_found, "no such tunnel");
	const uint32_t idx = it->second;
	if (tunnels_[idx]->is_static)
		return op_result::fail(ring::status::bad_argument, "static tunnels come from the config file");
	if (tunnels_[idx]->sessions != 0)
		return op_result::fail(ring::status::in_use, std::to_string(tunnels_[idx]->sessions) + " sessions still installed");
	std::atomic_ref<session_state>(tunnels_mem_[idx].state).store(session_state::free, std::memory_order_release);
	synchronize();
	ref_udp_port(tunnels_[idx]->params, -1);
	tunnels_mem_[idx] = tunnel{};
	tunnels_[idx].reset();
	tunnel_count_--;
	if (p.version == 2)
		v2_tunnel_slot_[p.local_tunnel_id] = UINT32_MAX;
	tunnel_by_id_.erase(it);
	free_tunnel_slots_.push_back(idx);
	return {ring::status::ok, idx, {}};
}

// --- sessions --------------------------------------------------------------------------------

op_result tables::check_session_params(const ring::session_params &p) const {
	using ring::status;
	if (p.version != 2 && p.version != 3)
		return op_result::fail(status::bad_argument, "version must be 2 or 3");
	if (p.local_session_id == 0 || p.peer_session_id == 0 || p.local_tunnel_id == 0)
		return op_result::fail(status::bad_argument, "zero tunnel or session ID");
	if (p.version == 2 && (p.local_tunnel_id > 0xffff || p.local_session_id > 0xffff || p.peer_tunnel_id > 0xffff ||
	                       p.peer_session_id > 0xffff))
		return op_result::fail(status::bad_argument, "L2TPv2 IDs are 16 bits");
	if (p.version == 2 && (p.enc != ring::encap::udp || p.pw_type != ring::pw::ppp || p.cookie_len || p.peer_cookie_len))
		return op_result::fail(status::bad_argument, "L2TPv2 sessions are PPP over UDP without cookies");
	if (!valid_cookie_len(p.cookie_len) || !valid_cookie_len(p.peer_cookie_len))
		return op_result::fail(status::bad_argument, "cookie length must be 0, 4 or 8");
	if ((p.local.family != 4 && p.local.family != 6) || p.local.family != p.peer.family)
		return op_result::fail(status::bad_argument, "local and peer addresses of one family");
	if (p.access_port >= max_ports ||
	    (view_.ports[p.access_port].role != port_role::access && view_.ports[p.access_port].role != port_role::core))
		return op_result::fail(status::no_port, "access_port is not an access or core port");
	if (p.pw_type == ring::pw::eth || p.pw_type == ring::pw::eth_vlan) {
		if (p.attach_port >= max_ports || view_.ports[p.attach_port].role != port_role::attachment)
			return op_result::fail(status::no_port, "attach_port is not an attachment port");
		if (p.pw_type == ring::pw::eth_vlan && (p.attach_vlan == 0 || p.attach_vlan > 4094))
			return op_result::fail(status::bad_argument, "attach_vlan must be 1..4094");
	} else if (p.pw_type != ring::pw::ppp) {
		return op_result::fail(status::bad_argument, "unknown pseudowire type");
	}
	if (p.framed_route_count > ring::max_framed_routes)
		return op_result::fail(status::bad_argument, "too many framed routes");
	for (uint8_t i = 0; i < p.framed_route_count; i++)
		if (p.framed_routes[i].length > 32)
			return op_result::fail(status::bad_argument, "framed route length above 32");
	if (p.v6_prefix.length > 128 || p.v6_delegated.length > 128)
		return op_result::fail(status::bad_argument, "IPv6 prefix length above 128");
	return {};
}

uint32_t tables::pw_slot(uint32_t, const ring::session_params &p) const noexcept {
	return uint32_t(attach_slot_of_port_[p.attach_port]) * (vlan_untagged + 1) +
	       (p.pw_type == ring::pw::eth_vlan ? p.attach_vlan : vlan_untagged);
}

op_result tables::build_record(uint32_t index, session_shadow &sh, bool *waiting) {
	session_params b;
	std::string err;
	if (!to_build_params(sh.params, sh.tunnel_index, ++generation_, b, err))
		return op_result::fail(ring::status::bad_argument, err);
	if (resolver_.port_mac)
		resolver_.port_mac(sh.params.access_port, b.local_mac);
	b.vlan = view_.ports[sh.params.access_port].vlan; // the access port's 802.1Q tag, 0 = none
	bool have_mac = resolver_.resolve &&
	                resolver_.resolve(sh.params.access_port, sh.params.peer.family, sh.params.peer.bytes, b.peer_mac);
	session rec; // build_session() writes every byte
	auto r = build_session(b, rec);
	if (!r)
		return op_result::fail(ring::status::bad_argument, to_string(r.error()));
	rec.state = session_state::down; // published separately
	sessions_mem_[index] = rec;
	*waiting = !have_mac;
	sh.waiting_neighbour = !have_mac;
	return {ring::status::ok, index, {}};
}

uint32_t *tables::direct_slot(uint32_t ip, bool choose) noexcept {
	const uint32_t cap = view_.session_mask + 1;
	if (!sub_direct_mem_)
		return nullptr;
	if (view_.sub_v4_direct_size == 0) {
		if (!choose)
			return nullptr;
		// The first /32 chooses the block: the aligned one of `capacity` addresses around it
		// (an address pool is normally one such block, or inside one).
		view_.sub_v4_base = ip & ~(cap - 1);
		__atomic_store_n(&view_.sub_v4_direct_size, cap, __ATOMIC_RELEASE);
	}
	const uint32_t off = ip - view_.sub_v4_base;
	return off < view_.sub_v4_direct_size ? sub_direct_mem_ + off : nullptr;
}

bool tables::route_add(const ring::ip_addr &a, uint8_t len, uint32_t index, std::string &err) {
	if (a.family == 4) {
		const uint32_t ip = v4_host(a.bytes) & (len == 0 ? 0 : ~uint32_t(0) << (32 - len));
		if (uint32_t *slot = len == 32 ? direct_slot(ip, true) : nullptr) {
			if (*slot != no_session && *slot != index) {
				err = "route " + addr_text(a, len) + " belongs to session index " + std::to_string(*slot);
				return false;
			}
			__atomic_store_n(slot, index, __ATOMIC_RELEASE);
			return true;
		}
		uint32_t nh = 0;
		if (rte_lpm_is_rule_present(view_.sub_v4, ip, len, &nh) == 1 && nh != index) {
			err = "route " + addr_text(a, len) + " belongs to session index " + std::to_string(nh);
			return false;
		}
		if (rte_lpm_add(view_.sub_v4, ip, len, index) != 0) {
			err = "cannot add route " + addr_text(a, len) + " (route table full)";
			return false;
		}
		return true;
	}
	if (a.family == 6) {
		uint32_t nh = 0;
		if (rte_lpm6_is_rule_present(view_.sub_v6, a.bytes, len, &nh) == 1 && nh != index) {
			err = "route " + addr_text(a, len) + " belongs to session index " + std::to_string(nh);
			return false;
		}
		if (rte_lpm6_add(view_.sub_v6, a.bytes, len, index) != 0) {
			err = "cannot add route " + addr_text(a, len) + " (route table full)";
			return false;
		}
		return true;
	}
	err = "route with no address family";
	return false;
}

void tables::route_del(const ring::ip_addr &a, uint8_t len) {
	if (a.family == 4) {
		const uint32_t ip = v4_host(a.bytes) & (len == 0 ? 0 : ~uint32_t(0) << (32 - len));
		if (uint32_t *slot = len == 32 ? direct_slot(ip, false) : nullptr)
			__atomic_store_n(slot, no_session, __ATOMIC_RELEASE);
		else
			rte_lpm_delete(view_.sub_v4, ip, len);
	}
	if (a.family == 6)
		rte_lpm6_delete(view_.sub_v6, a.bytes, len);
}

namespace {
// Every prefix a session's parameters route to it.
template <typename F> void each_route(const ring::session_params &p, F &&f) {
	ring::ip_addr a{};
	if (v4_host(p.subscriber_v4) != 0) {
		a.family = 4;
		std::memcpy(a.bytes, p.subscriber_v4, 4);
		f(a, uint8_t(32));
	}
	for (uint8_t i = 0; i < p.framed_route_count && i < ring::max_framed_routes; i++) {
		a = {};
		a.family = 4;
		std::memcpy(a.bytes, p.framed_routes[i].addr, 4);
		f(a, p.framed_routes[i].length);
	}
	for (const auto *pf : {&p.v6_prefix, &p.v6_delegated}) {
		if (pf->length == 0)
			continue;
		a = {};
		a.family = 6;
		std::memcpy(a.bytes, pf->addr, 16);
		f(a, pf->length);
	}
}
} // namespace

op_result tables::add_routes(uint32_t index, const ring::session_params &p) {
	// What each_route() can yield: the subscriber /32, the framed routes, two IPv6 prefixes
	// (a fixed array: an install allocates nothing here).
	std::pair<ring::ip_addr, uint8_t> added[1 + ring::max_framed_routes + 2];
	size_t n_added = 0;
	std::string err;
	bool ok = true;
	each_route(p, [&](const ring::ip_addr &a, uint8_t len) {
		if (!ok)
			return;
		if (n_added < std::size(added) && route_add(a, len, index, err))
			added[n_added++] = {a, len};
		else
			ok = false;
	});
	if (ok && (p.pw_type == ring::pw::eth || p.pw_type == ring::pw::eth_vlan)) {
		const uint32_t slot = pw_slot(index, p);
		if (eth_pw_mem_[slot] != no_session && eth_pw_mem_[slot] != index) {
			ok = false;
			err = "attachment port/VLAN already bound to session index " + std::to_string(eth_pw_mem_[slot]);
		} else {
			std::atomic_ref<uint32_t>(eth_pw_mem_[slot]).store(index, std::memory_order_release);
		}
	}
	if (!ok) {
		for (size_t i = 0; i < n_added; i++)
			route_del(added[i].first, added[i].second);
		return op_result::fail(ring::status::exists, err);
	}
	return {};
}

void tables::delete_routes(uint32_t index, const session_shadow &sh) {
	each_route(sh.params, [&](const ring::ip_addr &a, uint8_t len) { route_del(a, len); });
	for (const auto &[a, len] : sh.extra_routes)
		route_del(a, len);
	const auto &p = sh.params;
	if (p.pw_type == ring::pw::eth || p.pw_type == ring::pw::eth_vlan) {
		const uint32_t slot = pw_slot(index, p);
		if (eth_pw_mem_[slot] == index)
			std::atomic_ref<uint32_t>(eth_pw_mem_[slot]).store(no_session, std::memory_order_release);
	}
}

op_result tables::add_session(const ring::session_params &p, bool is_static) {
	if (auto r = check_session_params(p); r.st != ring::status::ok)
		return r;
	const uint32_t tunnel_idx = tunnel_slot(p.version, p.local_tunnel_id);
	if (tunnel_idx == UINT32_MAX)
		return op_result::fail(ring::status::not_found, "tunnel " + std::to_string(p.local_tunnel_id) + " not installed");
	const uint32_t idx = index_of(p.version, p.local_tunnel_id, p.local_session_id);
	if (const session_shadow *old = sessions_.find(idx)) {
		const auto &q = old->params;
		const bool same = q.version == p.version && q.local_session_id == p.local_session_id &&
		                  (p.version == 3 || q.local_tunnel_id == p.local_tunnel_id);
		return op_result::fail(same ? ring::status::exists : ring::status::index_busy,
		                       same ? "session exists" : "index " + std::to_string(idx) + " used by another session");
	}
	if (sessions_mem_[idx].state != session_state::free)
		return op_result::fail(ring::status::index_busy, "index " + std::to_string(idx) + " in grace period");
	// The shadow is written in place (no copy of the parameters) and erased again on failure.
	session_shadow &sh = sessions_.emplace(idx);
	sh.params = p;
	sh.is_static = is_static;
	sh.tunnel_index = tunnel_idx;
	bool waiting = false;
	if (auto r = build_record(idx, sh, &waiting); r.st != ring::status::ok) {
		sessions_.erase(idx);
		return r;
	}
	reset_counters(idx);
	if (auto r = add_routes(idx, p); r.st != ring::status::ok) {
		sessions_.erase(idx);
		set_state(idx, session_state::free);
		return r;
	}
	tunnels_[tunnel_idx]->sessions++;
	if (!waiting)
		set_state(idx, session_state::up);
	if (waiting)
		return {ring::status::ok, idx, "installed; waiting for the peer's next-hop MAC"};
	return {ring::status::ok, idx, {}};
}

op_result tables::modify_session(const ring::session_params &p) {
	if (auto r = check_session_params(p); r.st != ring::status::ok)
		return r;
	const uint32_t idx = find_session({p.version, {}, p.local_tunnel_id, p.local_session_id});
	if (idx == UINT32_MAX)
		return op_result::fail(ring::status::not_found, "no such session");
	session_shadow &sh = *sessions_.find(idx); // find_session() found it
	if (sh.params.local_tunnel_id != p.local_tunnel_id)
		return op_result::fail(ring::status::bad_argument, "a session cannot move to another tunnel");
	set_state(idx, session_state::down);
	delete_routes(idx, sh);
	synchronize();
	const ring::session_params old = sh.params;
	sh.params = p;
	bool waiting = false;
	op_result r = build_record(idx, sh, &waiting);
	if (r.st == ring::status::ok)
		r = add_routes(idx, p);
	if (r.st != ring::status::ok) { // restore the previous session
		sh.params = old;
		(void)build_record(idx, sh, &waiting);
		(void)add_routes(idx, old);
	}
	for (const auto &[a, len] : sh.extra_routes) {
		std::string err;
		(void)route_add(a, len, idx, err);
	}
	seq_mem_[idx] = session_seq{};
	if (!waiting)
		set_state(idx, session_state::up);
	if (r.st == ring::status::ok)
		r.index = idx;
	return r;
}

op_result tables::remove_session(const ring::session_ref &ref, session_stats *final) {
	const uint32_t idx = find_session(ref);
	if (idx == UINT32_MAX)
		return op_result::fail(ring::status::not_found, "no such session");
	const session_shadow &sh = *sessions_.find(idx); // find_session() found it
	set_state(idx, session_state::down);
	delete_routes(idx, sh);
	synchronize();
	const session_stats last = release_session(idx);
	if (final)
		*final = last;
	return {ring::status::ok, idx, {}};
}

op_result tables::add_route(const ring::route_params &p) {
	const uint32_t idx = find_session({p.version, {}, p.local_tunnel_id, p.local_session_id});
	if (idx == UINT32_MAX)
		return op_result::fail(ring::status::not_found, "no such session");
	if ((p.prefix.family == 4 && p.length > 32) || (p.prefix.family == 6 && p.length > 128) ||
	    (p.prefix.family != 4 && p.prefix.family != 6))
		return op_result::fail(ring::status::bad_argument, "bad prefix");
	std::string err;
	if (!route_add(p.prefix, p.length, idx, err))
		return op_result::fail(ring::status::exists, err);
	sessions_.find(idx)->extra_routes.emplace_back(p.prefix, p.length); // find_session() found it
	return {ring::status::ok, idx, {}};
}

op_result tables::remove_route(const ring::route_params &p) {
	const uint32_t idx = find_session({p.version, {}, p.local_tunnel_id, p.local_session_id});
	if (idx == UINT32_MAX)
		return op_result::fail(ring::status::not_found, "no such session");
	auto &routes = sessions_.find(idx)->extra_routes; // find_session() found it
	auto it = std::find_if(routes.begin(), routes.end(), [&](const auto &r) {
		return r.first.family == p.prefix.family && r.second == p.length && std::memcmp(r.first.bytes, p.prefix.bytes, 16) == 0;
	});
	if (it == routes.end())
		return op_result::fail(ring::status::not_found, "no such route on this session");
	route_del(p.prefix, p.length);
	routes.erase(it);
	return {ring::status::ok, idx, {}};
}

uint32_t tables::flush_managed() {
	std::vector<uint32_t> gone;
	sessions_.for_each([&](uint32_t idx, session_shadow &sh) {
		if (!sh.is_static) {
			set_state(idx, session_state::down);
			delete_routes(idx, sh);
			gone.push_back(idx);
		}
	});
	synchronize();
	for (uint32_t idx : gone)
		(void)release_session(idx);
	std::vector<ring::tunnel_params> tunnels;
	for (const auto &t : tunnels_)
		if (t && !t->is_static && t->sessions == 0)
			tunnels.push_back(t->params);
	for (const auto &t : tunnels)
		(void)remove_tunnel(t);
	return static_cast<uint32_t>(gone.size());
}

void tables::next_hop_changed(uint16_t port) {
	if (!resolver_.resolve)
		return;
	std::vector<uint32_t> stale;
	sessions_.for_each([&](uint32_t idx, session_shadow &sh) {
		if (sh.params.access_port != port)
			return;
		uint8_t mac[6];
		const bool have = resolver_.resolve(port, sh.params.peer.family, sh.params.peer.bytes, mac);
		if (sh.waiting_neighbour ? have : (have && std::memcmp(mac, sessions_mem_[idx].tmpl, 6) != 0))
			stale.push_back(idx);
	});
	if (stale.empty())
		return;
	bool any_up = false;
	for (uint32_t idx : stale)
		if (!sessions_.find(idx)->waiting_neighbour) {
			set_state(idx, session_state::down);
			any_up = true;
		}
	if (any_up)
		synchronize();
	for (uint32_t idx : stale) {
		bool waiting = false;
		if (build_record(idx, *sessions_.find(idx), &waiting).st == ring::status::ok && !waiting)
			set_state(idx, session_state::up);
	}
}

// --- command handling ------------------------------------------------------------------------

ring::event &command_drain::next_event() noexcept {
	if (queued_ == std::size(out_))
		flush();
	return out_[queued_++];
}

void command_drain::emit(const ring::event &e) noexcept { next_event() = e; }

void command_drain::complete(const ring::command &c, ring::status st, uint32_t index, std::string_view detail) noexcept {
	ring::event &e = next_event();
	e = ring::event{};
	e.hdr = {ring::abi_version, static_cast<uint16_t>(ring::event_type::completion), c.hdr.seq};
	e.done.command = c.hdr.type;
	e.done.result = st;
	e.done.index = index;
	const size_t n = std::min(detail.size(), sizeof(e.done.detail) - 1);
	std::memcpy(e.done.detail, detail.data(), n); // NUL-terminated: the event was zeroed
	if (st != ring::status::ok)
		counters_.command_errors++;
}

void command_drain::flush() noexcept {
	if (queued_ == 0)
		return;
	const unsigned sent = rte_ring_enqueue_burst_elem(events_, out_, sizeof(ring::event), queued_, nullptr);
	counters_.events += sent;
	counters_.event_ring_full += queued_ - sent;
	queued_ = 0;
}

bool command_drain::apply(const ring::command &c) {
	using ring::command_type;
	using ring::status;
	tables &t = tables_;
	op_result r;
	switch (static_cast<command_type>(c.hdr.type)) {
	case command_type::add_tunnel: r = t.add_tunnel(c.tunnel); break;
	case command_type::modify_tunnel: r = t.modify_tunnel(c.tunnel); break;
	case command_type::remove_tunnel: r = t.remove_tunnel(c.tunnel); break;
	case command_type::add_session: r = t.add_session(c.session); break;
	case command_type::modify_session: {
		const uint32_t idx =
		    t.find_session({c.session.version, {}, c.session.local_tunnel_id, c.session.local_session_id});
		if (idx != UINT32_MAX && t.shadow(idx)->is_static)
			r = op_result::fail(status::bad_argument, "static sessions come from the config file");
		else
			r = t.modify_session(c.session);
		break;
	}
	case command_type::remove_session: {
		const ring::session_ref ref{c.session.version, {}, c.session.local_tunnel_id, c.session.local_session_id};
		const uint32_t idx = t.find_session(ref);
		if (idx != UINT32_MAX && t.shadow(idx)->is_static) {
			r = op_result::fail(status::bad_argument, "static sessions come from the config file");
			break;
		}
		session_stats last{};
		r = t.remove_session(ref, &last);
		if (r.st == status::ok) { // its last counters, then the completion
			ring::event &e = next_event();
			e = ring::make_event(ring::event_type::session_counters, c.hdr.seq);
			e.counters.ref = ref;
			e.counters.index = r.index;
			e.counters.rx_packets = last.rx_packets;
			e.counters.rx_bytes = last.rx_bytes;
			e.counters.tx_packets = last.tx_packets;
			e.counters.tx_bytes = last.tx_bytes;
		}
		break;
	}
	case command_type::add_route: r = t.add_route(c.route); break;
	case command_type::remove_route: r = t.remove_route(c.route); break;
	case command_type::flush_sessions: {
		const uint32_t n = t.flush_managed();
		if (n)
			spdlog::info("flush_sessions: {} managed sessions removed", n);
		r.index = n;
		break;
	}
	default: return false;
	}
	if (r.st != status::ok)
		spdlog::debug("command {} seq {}: {}: {}", ring::to_string(command_type(c.hdr.type)), c.hdr.seq,
		              ring::to_string(r.st), r.detail);
	complete(c, r.st, r.index, r.detail);
	return true;
}

uint32_t command_drain::run(uint32_t max, other_fn other, void *ctx) {
	uint32_t done = 0;
	while (done < max) {
		const unsigned want = std::min<uint32_t>(burst, max - done);
		const unsigned n = rte_ring_dequeue_burst_elem(commands_, in_, sizeof(ring::command), want, nullptr);
		for (unsigned i = 0; i < n; i++) {
			const ring::command &c = in_[i];
			counters_.commands++;
			if (c.hdr.version != ring::abi_version) {
				counters_.bad_messages++;
				char d[64];
				const int k = std::snprintf(d, sizeof(d), "abi_version %u, dataplane speaks %u", unsigned(c.hdr.version),
				                            unsigned(ring::abi_version));
				complete(c, ring::status::bad_version, UINT32_MAX, std::string_view(d, k > 0 ? size_t(k) : 0));
				continue;
			}
			if (!apply(c)) {
				flush(); // keep the events in command order
				other(ctx, c);
			}
		}
		done += n;
		if (n < want)
			break;
	}
	flush();
	return done;
}

} // namespace l2tpx::dp
