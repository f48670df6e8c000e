#include "dataplane/telemetry.hpp"
#include "shared/config/config_loader.hpp"

#include "dataplane/runtime.hpp"

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace l2tpx::dp {

namespace {

std::mutex g_mu;
runtime *g_rt = nullptr;
bool g_registered = false;

uint64_t rd(const uint64_t &v) noexcept { return __atomic_load_n(&v, __ATOMIC_RELAXED); }

path_counters sum_path(runtime &rt) {
	path_counters s{};
	auto add = [&](const worker *w) {
		for (size_t i = 0; i < path_event_count; i++)
			s.event[i] += rd(w->counters.event[i]);
		for (size_t i = 0; i < drop_reason_count; i++)
			s.drop[i] += rd(w->counters.drop[i]);
	};
	for (const worker *w : rt.workers())
		add(w);
	if (!rt.main_worker().polls)
		add(&rt.main_worker());
	return s;
}

lcore_stats sum_lcore(runtime &rt) {
	lcore_stats s{};
	auto add = [&](const worker *w) {
		for (size_t i = 0; i < lcore_counter_count; i++)
			s.c[i] += rd(w->stats.c[i]);
		for (size_t i = 0; i < max_ports; i++) {
			s.port_rx[i] += rd(w->stats.port_rx[i]);
			s.port_tx[i] += rd(w->stats.port_tx[i]);
			s.port_tx_drop[i] += rd(w->stats.port_tx_drop[i]);
		}
	};
	for (const worker *w : rt.workers())
		add(w);
	if (!rt.main_worker().polls)
		add(&rt.main_worker());
	return s;
}

const char *role_name(cfg::port_role r) { return cfg::to_string(r); }

int cmd_stats(const char *, const char *, rte_tel_data *d) {
	std::lock_guard g(g_mu);
	if (!g_rt)
		return -1;
	runtime &rt = *g_rt;
	rte_tel_data_start_dict(d);
	{
		std::lock_guard l(rt.tbl().mutex());
		rte_tel_data_add_dict_u64(d, "sessions", rt.tbl().session_count());
		rte_tel_data_add_dict_u64(d, "session_capacity", rt.tbl().session_capacity());
		rte_tel_data_add_dict_u64(d, "tunnels", rt.tbl().tunnel_count());
		const auto &c = rt.cstats;
		rte_tel_data_add_dict_u64(d, "commands", c.commands);
		rte_tel_data_add_dict_u64(d, "command_errors", c.command_errors);
		rte_tel_data_add_dict_u64(d, "bad_messages", c.bad_messages);
		rte_tel_data_add_dict_u64(d, "events", c.events);
		rte_tel_data_add_dict_u64(d, "event_ring_full", c.event_ring_full);
		rte_tel_data_add_dict_u64(d, "injected", c.injected);
		rte_tel_data_add_dict_u64(d, "inject_dropped", c.inject_dropped);
		rte_tel_data_add_dict_u64(d, "local_frames", c.local_frames);
		rte_tel_data_add_dict_u64(d, "local_dropped", c.local_dropped);
		rte_tel_data_add_dict_u64(d, "echo_replies", c.echo_replies);
		rte_tel_data_add_dict_u64(d, "arp_requests_sent", rt.neigh().requests_sent);
		rte_tel_data_add_dict_u64(d, "arp_replies_sent", rt.neigh().replies_sent);
		rte_tel_data_add_dict_u64(d, "neighbours_learned", rt.neigh().learned);
		rte_tel_data_add_dict_u64(d, "neighbours_expired", rt.neigh().expired);
		rte_tel_data_add_dict_u64(d, "bad_arp", rt.neigh().bad_arp);
		rte_tel_data_add_dict_u64(d, "bad_nd", rt.neigh().bad_nd);
		rte_tel_data_add_dict_u64(d, "neighbour_wrong_vlan", rt.neigh().wrong_vlan);
		rte_tel_data_add_dict_u64(d, "neighbour_gleans", rt.neigh().gleans);
		rte_tel_data_add_dict_u64(d, "neighbour_glean_refused", rt.neigh().glean_refused);
		rte_tel_data_add_dict_u64(d, "neighbours_unresolved", rt.neigh().unresolved);
		rte_tel_data_add_dict_u64(d, "glean_frames", c.glean_frames);
		rte_tel_data_add_dict_u64(d, "glean_forwarded", c.glean_forwarded);
		rte_tel_data_add_dict_u64(d, "icmp_errors_sent", c.icmp_errors_sent);
		rte_tel_data_add_dict_u64(d, "icmp_errors_limited", c.icmp_errors_limited);
		rte_tel_data_add_dict_u64(d, "icmp_errors_suppressed", c.icmp_errors_suppressed);
		rte_tel_data_add_dict_u64(d, "icmp_errors_unsent", c.icmp_errors_unsent);
	}
	const path_counters p = sum_path(rt);
	for (size_t i = 0; i < path_event_count; i++)
		rte_tel_data_add_dict_u64(d, to_string(static_cast<path_event>(i)), p.event[i]);
	rte_tel_data_add_dict_u64(d, "drops", p.total_drops());
	const lcore_stats l = sum_lcore(rt);
	for (size_t i = 0; i < lcore_counter_count; i++)
		rte_tel_data_add_dict_u64(d, to_string(static_cast<lcore_counter>(i)), l.c[i]);
	return 0;
}

int cmd_drops(const char *, const char *, rte_tel_data *d) {
	std::lock_guard g(g_mu);
	if (!g_rt)
		return -1;
	const path_counters p = sum_path(*g_rt);
	rte_tel_data_start_dict(d);
	for (size_t i = 0; i < drop_reason_count; i++)
		rte_tel_data_add_dict_u64(d, to_string(static_cast<drop_reason>(i)), p.drop[i]);
	return 0;
}

int cmd_ports(const char *, const char *, rte_tel_data *d) {
	std::lock_guard g(g_mu);
	if (!g_rt)
		return -1;
	runtime &rt = *g_rt;
	const lcore_stats l = sum_lcore(rt);
	rt.read_ring_stats();
	rte_tel_data_start_dict(d);
	for (const port_runtime *p : rt.ports()) {
		rte_tel_data *c = rte_tel_data_alloc();
		if (!c)
			return -1;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "port_id", p->id);
		rte_tel_data_add_dict_string(c, "role", role_name(p->conf.role));
		rte_tel_data_add_dict_string(c, "devargs", p->conf.devargs.c_str());
		char mac[24];
		std::snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1], p->mac[2], p->mac[3],
		              p->mac[4], p->mac[5]);
		rte_tel_data_add_dict_string(c, "mac", mac);
		rte_tel_data_add_dict_u64(c, "vlan", p->conf.vlan); // 802.1Q VLAN of the port, 0 = untagged
		rte_tel_data_add_dict_u64(c, "rx_queues", p->nb_rxq);
		rte_tel_data_add_dict_u64(c, "tx_queues", p->nb_txq);
		rte_tel_data_add_dict_string(c, "distribution", p->rss ? "rss" : "software");
		rte_tel_data_add_dict_u64(c, "rx_packets", l.port_rx[p->id]);
		rte_tel_data_add_dict_u64(c, "tx_packets", l.port_tx[p->id]);
		rte_tel_data_add_dict_u64(c, "tx_dropped", l.port_tx_drop[p->id]);
		rte_eth_stats st{};
		if (rte_eth_stats_get(p->id, &st) == 0) {
			rte_tel_data_add_dict_u64(c, "nic_ipackets", st.ipackets);
			rte_tel_data_add_dict_u64(c, "nic_opackets", st.opackets);
			rte_tel_data_add_dict_u64(c, "nic_ibytes", st.ibytes);
			rte_tel_data_add_dict_u64(c, "nic_obytes", st.obytes);
			rte_tel_data_add_dict_u64(c, "nic_imissed", st.imissed);
			rte_tel_data_add_dict_u64(c, "nic_ierrors", st.ierrors);
			rte_tel_data_add_dict_u64(c, "nic_oerrors", st.oerrors);
			rte_tel_data_add_dict_u64(c, "nic_rx_nombuf", st.rx_nombuf);
		}
		if (p->n_ring_fds) { // net_af_packet: the kernel's RX ring counters (PACKET_STATISTICS)
			rte_tel_data_add_dict_u64(c, "kernel_ring_drops", p->kernel_ring_drops.load(std::memory_order_relaxed));
			rte_tel_data_add_dict_u64(c, "kernel_ring_packets", p->kernel_ring_packets.load(std::memory_order_relaxed));
		}
		rte_eth_link link{};
		if (rte_eth_link_get_nowait(p->id, &link) == 0) {
			rte_tel_data_add_dict_string(c, "link", link.link_status ? "up" : "down");
			rte_tel_data_add_dict_u64(c, "speed_mbps", link.link_speed);
		}
		rte_tel_data_add_dict_container(d, p->conf.name.c_str(), c, 0);
	}
	return 0;
}

int cmd_lcores(const char *, const char *, rte_tel_data *d) {
	std::lock_guard g(g_mu);
	if (!g_rt)
		return -1;
	runtime &rt = *g_rt;
	rte_tel_data_start_dict(d);
	std::vector<const worker *> all(rt.workers().begin(), rt.workers().end());
	if (!rt.main_worker().polls)
		all.push_back(&rt.main_worker());
	for (const worker *w : all) {
		rte_tel_data *c = rte_tel_data_alloc();
		if (!c)
			return -1;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "role", w->is_main ? (w->polls ? "main+worker" : "main") : "worker");
		rte_tel_data_add_dict_u64(c, "rx_queues", w->n_rxq);
		for (size_t i = 0; i < lcore_counter_count; i++)
			rte_tel_data_add_dict_u64(c, to_string(static_cast<lcore_counter>(i)), rd(w->stats.c[i]));
		uint64_t rx = 0, tx = 0;
		for (size_t i = 0; i < max_ports; i++) {
			rx += rd(w->stats.port_rx[i]);
			tx += rd(w->stats.port_tx[i]);
		}
		rte_tel_data_add_dict_u64(c, "rx_packets", rx);
		rte_tel_data_add_dict_u64(c, "tx_packets", tx);
		char name[32];
		std::snprintf(name, sizeof(name), "lcore%u", w->lcore);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

std::string ip_text(const ring::ip_addr &a) {
	cfg::ip_address c;
	c.family = a.family;
	std::memcpy(c.bytes.data(), a.bytes, 16);
	return cfg::format_ip(c);
}

// The index parameter of /l2tpx/sessions,<index> and /l2tpx/tunnels,<index>: a whole
// number below 2^32 (a larger one must not wrap onto another entry).
bool parse_index(const char *params, uint32_t &idx) noexcept {
	if (*params < '0' || *params > '9')
		return false;
	errno = 0;
	char *end = nullptr;
	const unsigned long long v = std::strtoull(params, &end, 0);
	if (errno != 0 || !end || *end != '\0' || v >= UINT32_MAX)
		return false;
	idx = static_cast<uint32_t>(v);
	return true;
}

// d["indexes"]: the first RTE_TEL_MAX_ARRAY_ENTRIES indexes that for_each(f) gives f(index, entry).
template <typename ForEach> int add_indexes(rte_tel_data *d, ForEach &&for_each) {
	rte_tel_data *a = rte_tel_data_alloc();
	if (!a)
		return -1;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	unsigned n = 0;
	for_each([&](uint32_t idx, const auto &) {
		if (n++ < RTE_TEL_MAX_ARRAY_ENTRIES)
			rte_tel_data_add_array_u64(a, idx);
	});
	rte_tel_data_add_dict_container(d, "indexes", a, 0);
	return 0;
}

void add_counters(rte_tel_data *d, const session_stats &s) {
	rte_tel_data_add_dict_u64(d, "rx_packets", s.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", s.tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s.tx_bytes);
}

int cmd_sessions(const char *, const char *params, rte_tel_data *d) {
	std::lock_guard g(g_mu);
	if (!g_rt)
		return -1;
	runtime &rt = *g_rt;
	std::lock_guard l(rt.tbl().mutex());
	auto &t = rt.tbl();
	rte_tel_data_start_dict(d);
	if (params && *params) {
		uint32_t idx;
		const session_shadow *sh = parse_index(params, idx) ? t.shadow(idx) : nullptr;
		if (!sh)
			return -1;
		const auto &p = sh->params;
		rte_tel_data_add_dict_u64(d, "index", idx);
		rte_tel_data_add_dict_u64(d, "version", p.version);
		rte_tel_data_add_dict_u64(d, "local_tunnel_id", p.local_tunnel_id);
		rte_tel_data_add_dict_u64(d, "local_session_id", p.local_session_id);
		rte_tel_data_add_dict_u64(d, "peer_tunnel_id", p.peer_tunnel_id);
		rte_tel_data_add_dict_u64(d, "peer_session_id", p.peer_session_id);
		rte_tel_data_add_dict_string(d, "local", ip_text(p.local).c_str());
		rte_tel_data_add_dict_string(d, "peer", ip_text(p.peer).c_str());
		rte_tel_data_add_dict_u64(d, "access_port", p.access_port);
		rte_tel_data_add_dict_string(d, "pseudowire", p.pw_type == ring::pw::ppp ? "ppp" : p.pw_type == ring::pw::eth ? "eth" : "eth_vlan");
		rte_tel_data_add_dict_string(d, "state", sh->waiting_neighbour ? "waiting_neighbour" : "up");
		rte_tel_data_add_dict_string(d, "origin", sh->is_static ? "static" : "control_plane");
		if (p.subscriber_v4[0] | p.subscriber_v4[1] | p.subscriber_v4[2] | p.subscriber_v4[3]) {
			ring::ip_addr a{};
			a.family = 4;
			std::memcpy(a.bytes, p.subscriber_v4, 4);
			rte_tel_data_add_dict_string(d, "subscriber_v4", ip_text(a).c_str());
		}
		add_counters(d, t.sum_stats(static_cast<uint32_t>(idx)));
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "count", t.session_count());
	rte_tel_data_add_dict_u64(d, "capacity", t.session_capacity());
	return add_indexes(d, [&](auto &&f) { t.for_each_session(f); });
}

// /l2tpx/tunnels: count and indexes; /l2tpx/tunnels,<index>: one tunnel with its data
// counters (its live sessions' summed with those of the sessions it had, tables.hpp).
int cmd_tunnels(const char *, const char *params, rte_tel_data *d) {
	std::lock_guard g(g_mu);
	if (!g_rt)
		return -1;
	runtime &rt = *g_rt;
	std::lock_guard l(rt.tbl().mutex());
	auto &t = rt.tbl();
	rte_tel_data_start_dict(d);
	if (params && *params) {
		uint32_t idx;
		const tunnel_shadow *ts = parse_index(params, idx) ? t.tunnel_at(idx) : nullptr;
		if (!ts)
			return -1;
		const auto &p = ts->params;
		rte_tel_data_add_dict_u64(d, "index", idx);
		rte_tel_data_add_dict_u64(d, "version", p.version);
		rte_tel_data_add_dict_string(d, "encap", p.enc == ring::encap::ip ? "ip" : "udp");
		rte_tel_data_add_dict_u64(d, "local_tunnel_id", p.local_tunnel_id);
		rte_tel_data_add_dict_u64(d, "peer_tunnel_id", p.peer_tunnel_id);
		rte_tel_data_add_dict_string(d, "local", ip_text(p.local).c_str());
		rte_tel_data_add_dict_string(d, "peer", ip_text(p.peer).c_str());
		rte_tel_data_add_dict_u64(d, "local_udp_port", p.local_udp_port);
		rte_tel_data_add_dict_u64(d, "peer_udp_port", p.peer_udp_port);
		rte_tel_data_add_dict_u64(d, "access_port", p.port);
		rte_tel_data_add_dict_string(d, "origin", ts->is_static ? "static" : "control_plane");
		rte_tel_data_add_dict_u64(d, "sessions", ts->sessions);
		add_counters(d, t.tunnel_stats(static_cast<uint32_t>(idx)));
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "count", t.tunnel_count());
	return add_indexes(d, [&](auto &&f) { t.for_each_tunnel(f); });
}

int cmd_neighbours(const char *, const char *, rte_tel_data *d) {
	std::lock_guard g(g_mu);
	if (!g_rt)
		return -1;
	runtime &rt = *g_rt;
	std::lock_guard l(rt.tbl().mutex());
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	unsigned n = 0;
	rt.neigh().for_each([&](const neighbours::entry &e) {
		if (n++ >= RTE_TEL_MAX_ARRAY_ENTRIES)
			return;
		cfg::ip_address a;
		a.family = e.family;
		std::memcpy(a.bytes.data(), e.addr, 16);
		static constexpr const char *states[] = {"incomplete", "reachable", "stale", "static"};
		char buf[128];
		std::snprintf(buf, sizeof(buf), "port %u %s %02x:%02x:%02x:%02x:%02x:%02x %s", e.port, cfg::format_ip(a).c_str(),
		              e.mac[0], e.mac[1], e.mac[2], e.mac[3], e.mac[4], e.mac[5], states[static_cast<int>(e.st)]);
		rte_tel_data_add_array_string(d, buf);
	});
	return 0;
}

} // namespace

void register_telemetry(runtime &rt) {
	std::lock_guard g(g_mu);
	g_rt = &rt;
	if (g_registered)
		return; // DPDK cannot unregister: the callbacks stay, pointing at the current runtime
	g_registered = true;
	rte_telemetry_register_cmd("/l2tpx/stats", cmd_stats, "Dataplane totals. No parameters");
	rte_telemetry_register_cmd("/l2tpx/drops", cmd_drops, "Packets dropped, per reason. No parameters");
	rte_telemetry_register_cmd("/l2tpx/ports", cmd_ports, "Ports with their counters. No parameters");
	rte_telemetry_register_cmd("/l2tpx/lcores", cmd_lcores, "Per-lcore loop counters. No parameters");
	rte_telemetry_register_cmd("/l2tpx/sessions", cmd_sessions,
	                           "Session count and indexes; with a parameter: one session. Parameters: [index]");
	rte_telemetry_register_cmd("/l2tpx/tunnels", cmd_tunnels,
	                           "Tunnel count and indexes; with a parameter: one tunnel and its data counters. "
	                           "Parameters: [index]");
	rte_telemetry_register_cmd("/l2tpx/neighbours", cmd_neighbours, "ARP/ND entries. No parameters");
}

void unregister_telemetry() {
	std::lock_guard g(g_mu);
	g_rt = nullptr;
}

} // namespace l2tpx::dp
