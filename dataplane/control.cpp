// The main lcore's control loop: commands from the control plane (the only writer of the
// tables), packets it injects, frames for the dataplane itself (ARP), neighbour timers.
// In single-lcore mode it also polls the ports.
#include "dataplane/runtime.hpp"

#include "dataplane/icmp_error.hpp"
#include "shared/base/byteorder.hpp"

#include "shared/ring/ring_names.hpp"

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <unistd.h>

namespace l2tpx::dp {

namespace {

constexpr unsigned commands_per_round = 64;
constexpr unsigned packets_per_round = 64;
// ICMP errors, all kinds together: like Linux's icmp_msgs_per_sec / icmp_msgs_burst.
constexpr uint32_t icmp_rate_per_s = 1000;
constexpr uint32_t icmp_burst = 50;

class controller {
public:
	explicit controller(runtime &rt)
	    : rt_(rt), drain_(rt.tbl(), rt.command_ring(), rt.event_ring()),
	      icmp_rl_(icmp_rate_per_s, icmp_burst, rt.tsc_hz()) {}

	uint32_t round();

private:
	bool emit(const ring::event &e);
	void complete(const ring::command &c, ring::status st, uint32_t index, const std::string &detail);
	void apply(const ring::command &c);
	uint32_t continue_dump();
	uint32_t commands();
	uint32_t local_frames();
	bool echo_reply(rte_mbuf *m);
	bool glean_frame(rte_mbuf *m);
	uint32_t icmp_errors();
	void icmp_error_for(rte_mbuf *m);
	uint32_t injected();
	ring::event ready_event(uint32_t seq);
	ring::event counters_event(uint32_t seq, uint32_t index, const ring::session_ref &ref, const session_stats &s);

	runtime &rt_;
	// Table commands, completions and the events of the commands below go through it (one
	// ordered stream of events); its counters are added to rt_.cstats after each round.
	command_drain drain_;
	struct dump_state {
		bool active = false;
		uint32_t seq = 0;
		uint32_t tunnel_filter = 0;
		uint8_t version_filter = 0;
		std::vector<uint32_t> pending;
		size_t next = 0;
		uint32_t sent = 0;
	} dump_;
	uint64_t last_tick_ = 0;
	icmp_rate_limiter icmp_rl_;
};

bool controller::emit(const ring::event &e) {
	const uint64_t full = drain_.counters().event_ring_full;
	drain_.emit(e);
	drain_.flush();
	return drain_.counters().event_ring_full == full;
}

void controller::complete(const ring::command &c, ring::status st, uint32_t index, const std::string &detail) {
	if (st != ring::status::ok)
		spdlog::debug("command {} seq {}: {}: {}", ring::to_string(ring::command_type(c.hdr.type)), c.hdr.seq,
		              ring::to_string(st), detail);
	drain_.complete(c, st, index, detail);
	drain_.flush();
}

ring::event controller::ready_event(uint32_t seq) {
	ring::event e = ring::make_event(ring::event_type::ready, seq);
	e.ready.session_capacity = rt_.tbl().session_capacity();
	e.ready.session_mask = rt_.tbl().session_capacity() - 1;
	e.ready.tunnel_capacity = rt_.conf().dataplane.tunnel_capacity;
	e.ready.sessions_installed = rt_.tbl().session_count();
	e.ready.l2tp_udp_port = rt_.conf().dataplane.l2tp_udp_port;
	e.ready.port_count = static_cast<uint16_t>(rt_.ports().size());
	e.ready.boot_id = rt_.boot_id();
	e.ready.tsc_hz = rt_.tsc_hz();
	return e;
}

ring::event controller::counters_event(uint32_t seq, uint32_t index, const ring::session_ref &ref,
                                       const session_stats &s) {
	ring::event e = ring::make_event(ring::event_type::session_counters, seq);
	e.counters.ref = ref;
	e.counters.index = index;
	e.counters.rx_packets = s.rx_packets;
	e.counters.rx_bytes = s.rx_bytes;
	e.counters.tx_packets = s.tx_packets;
	e.counters.tx_bytes = s.tx_bytes;
	return e;
}

// The commands command_drain leaves to the runtime: hello, neighbours, counters, dumps.
void controller::apply(const ring::command &c) {
	using ring::command_type;
	using ring::status;
	auto &t = rt_.tbl();
	op_result r;
	switch (static_cast<command_type>(c.hdr.type)) {
	case command_type::nop: break;
	case command_type::hello: emit(ready_event(c.hdr.seq)); break;
	case command_type::add_neighbour:
	case command_type::remove_neighbour: {
		const auto &n = c.neighbour;
		if ((n.address.family != 4 && n.address.family != 6) || !rt_.port_by_id(n.port)) {
			r = op_result::fail(status::bad_argument, "family 4|6 and a configured port");
			break;
		}
		const bool ok = static_cast<command_type>(c.hdr.type) == command_type::add_neighbour
		                    ? rt_.neigh().add_static(n.port, n.address.family, n.address.bytes, n.mac)
		                    : rt_.neigh().remove_static(n.port, n.address.family, n.address.bytes);
		if (!ok)
			r = op_result::fail(status::not_found, "no such static neighbour (or neighbour table full)");
		break;
	}
	case command_type::get_session_counters: {
		const uint32_t idx = t.find_session(c.ref);
		if (idx == UINT32_MAX) {
			r = op_result::fail(status::not_found, "no such session");
			break;
		}
		emit(counters_event(c.hdr.seq, idx, c.ref, t.sum_stats(idx)));
		r.index = idx;
		break;
	}
	case command_type::dump_sessions:
		if (dump_.active) {
			r = op_result::fail(status::in_use, "a dump is already running");
			break;
		}
		dump_ = {};
		dump_.active = true;
		dump_.seq = c.hdr.seq;
		dump_.tunnel_filter = c.ref.local_tunnel_id;
		dump_.version_filter = c.ref.version;
		t.for_each_session([&](uint32_t idx, const session_shadow &) { dump_.pending.push_back(idx); });
		std::sort(dump_.pending.begin(), dump_.pending.end());
		return; // completed by continue_dump()
	default: r = op_result::fail(status::bad_command, "unknown command type " + std::to_string(c.hdr.type)); break;
	}
	complete(c, r.st, r.index, r.detail);
}

uint32_t controller::continue_dump() {
	if (!dump_.active)
		return 0;
	auto &t = rt_.tbl();
	uint32_t n = 0;
	while (dump_.next < dump_.pending.size() && rte_ring_free_count(rt_.event_ring()) > 1 && n < 256) {
		const uint32_t idx = dump_.pending[dump_.next++];
		const session_shadow *sh = t.shadow(idx);
		if (!sh || (dump_.tunnel_filter && (sh->params.local_tunnel_id != dump_.tunnel_filter ||
		                                    sh->params.version != dump_.version_filter)))
			continue;
		ring::event e = ring::make_event(ring::event_type::session_entry, dump_.seq);
		e.entry.index = idx;
		e.entry.params = sh->params;
		emit(e);
		dump_.sent++;
		n++;
	}
	if (dump_.next >= dump_.pending.size() && rte_ring_free_count(rt_.event_ring()) > 0) {
		ring::command c = ring::make_command(ring::command_type::dump_sessions, dump_.seq);
		complete(c, ring::status::ok, dump_.sent, {});
		dump_ = {};
	}
	return n;
}

// Commands in bursts (command_drain); the table commands are applied there.
uint32_t controller::commands() {
	return drain_.run(
	    commands_per_round, [](void *self, const ring::command &c) { static_cast<controller *>(self)->apply(c); },
	    this);
}

uint32_t controller::local_frames() {
	rte_mbuf *pkts[packets_per_round];
	const unsigned n =
	    rte_ring_dequeue_burst(rt_.local_ring(), reinterpret_cast<void **>(pkts), packets_per_round, nullptr);
	for (unsigned i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		rt_.cstats.local_frames++;
		eth_header l2;
		if (parse_eth_header(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), l2) &&
		    l2.ether_type == RTE_ETHER_TYPE_ARP) {
			rt_.neigh().input_arp(m->port, m);
		} else if (rt_.neigh().input_nd(m->port, m)) {
			// consumed
		} else if (echo_reply(m)) {
			rt_.cstats.echo_replies++;
		} else if (glean_frame(m)) {
			// consumed
		} else {
			rt_.cstats.local_dropped++; // IPv6 ND, ICMP to us: not handled yet
			rte_pktmbuf_free(m);
		}
	}
	return n;
}

// ICMP echo request to one of our IPv4 addresses (untagged or with the port's VLAN tag,
// unfragmented): answered in place. Returns false (mbuf untouched) for anything else.
bool controller::echo_reply(rte_mbuf *m) {
	const uint32_t len = rte_pktmbuf_data_len(m);
	auto *p = rte_pktmbuf_mtod(m, uint8_t *);
	eth_header l2;
	if (!parse_eth_header(p, len, l2) || l2.ether_type != RTE_ETHER_TYPE_IPV4 || len < l2.length + 20u + 8u ||
	    l2.vlan != rt_.neigh().port_vlan(m->port))
		return false;
	uint8_t *ip = p + l2.length;
	const uint32_t ihl = uint32_t(ip[0] & 0x0f) * 4;
	const uint32_t tot = uint32_t(ip[2] << 8 | ip[3]);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl + 8 || l2.length + tot > len || ip[9] != 1 ||
	    (ip[6] & 0x3f) != 0 || ip[7] != 0 || !rt_.neigh().is_local(m->port, 4, ip + 16))
		return false;
	uint8_t *icmp = ip + ihl;
	if (icmp[0] != 8 || icmp[1] != 0)
		return false;
	uint8_t tmp[6];
	std::memcpy(tmp, p, 6);
	std::memcpy(p, p + 6, 6);
	std::memcpy(p + 6, tmp, 6);
	uint8_t a[4];
	std::memcpy(a, ip + 12, 4);
	std::memcpy(ip + 12, ip + 16, 4);
	std::memcpy(ip + 16, a, 4);
	ip[8] = 64;
	ip[10] = ip[11] = 0;
	const uint16_t ipc = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr *>(ip));
	std::memcpy(ip + 10, &ipc, 2);
	// Type 8 -> 0: incremental checksum update (RFC 1624).
	icmp[0] = 0;
	uint32_t c = uint32_t(icmp[2] << 8 | icmp[3]) + 0x0800;
	c = (c & 0xffff) + (c >> 16);
	icmp[2] = uint8_t(c >> 8);
	icmp[3] = uint8_t(c);
	m->data_len = m->pkt_len = l2.length + tot;
	return rt_.send_one(rt_.main_worker(), m->port, m);
}

// A routed IPv4/IPv6 frame for an on-link destination of a core port that has no resolved
// next hop yet: the paths hand it here with the Ethernet header written from the connected
// route's glean slot (our MAC as source, destination MAC unknown). Resolution starts; if the
// MAC is known by now the frame is sent, else dropped (the sender retransmits). Returns
// false (mbuf untouched) for frames that are not that.
bool controller::glean_frame(rte_mbuf *m) {
	const uint32_t len = rte_pktmbuf_data_len(m);
	auto *f = rte_pktmbuf_mtod(m, uint8_t *);
	const port_runtime *pr = rt_.port_by_id(m->port);
	eth_header l2;
	if (!pr || pr->conf.role != cfg::port_role::core || !parse_eth_header(f, len, l2) ||
	    std::memcmp(f + 6, pr->mac, 6) != 0)
		return false;
	const uint8_t *dst = nullptr;
	uint8_t family = 0;
	if (l2.ether_type == RTE_ETHER_TYPE_IPV4 && len >= l2.length + 20u && (f[l2.length] >> 4) == 4) {
		family = 4;
		dst = f + l2.length + 16;
	} else if (l2.ether_type == RTE_ETHER_TYPE_IPV6 && len >= l2.length + 40u && (f[l2.length] >> 4) == 6) {
		family = 6;
		dst = f + l2.length + 24;
	} else {
		return false;
	}
	if (rt_.neigh().is_local(m->port, family, dst) || !rt_.neigh().on_link(m->port, family, dst))
		return false;
	rt_.cstats.glean_frames++;
	uint8_t mac[6];
	if (rt_.neigh().glean(m->port, family, dst, mac)) {
		std::memcpy(f, mac, 6);
		rt_.cstats.glean_forwarded++;
		rt_.send_one(rt_.main_worker(), m->port, m);
		return true;
	}
	rte_pktmbuf_free(m);
	return true;
}

uint32_t controller::icmp_errors() {
	rte_mbuf *pkts[packets_per_round];
	const unsigned n =
	    rte_ring_dequeue_burst(rt_.icmp_ring(), reinterpret_cast<void **>(pkts), packets_per_round, nullptr);
	for (unsigned i = 0; i < n; i++)
		icmp_error_for(pkts[i]);
	return n;
}

// One packet from the paths' icmp hook (dataplane/icmp_error.hpp): builds the error and
// sends it towards the offender's source. Consumes the mbuf.
void controller::icmp_error_for(rte_mbuf *m) {
	auto &st = rt_.cstats;
	const icmp_punt w = decode_icmp_punt(m->hash.usr);
	const uint16_t in_port = m->port;
	const std::span<const uint8_t> offending(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
	const uint8_t family = offending.empty() ? 0 : offending[0] >> 4;
	const uint8_t *src = (family == 4 || family == 6) ? rt_.neigh().address_of(in_port, family) : nullptr;
	if (!src || (w.kind != icmp_error::time_exceeded && w.kind != icmp_error::too_big)) {
		st.icmp_errors_unsent++;
		rte_pktmbuf_free(m);
		return;
	}
	if (!icmp_rl_.allow(rte_get_tsc_cycles())) {
		st.icmp_errors_limited++;
		rte_pktmbuf_free(m);
		return;
	}
	rte_mbuf *e = rte_pktmbuf_alloc(rt_.pool());
	uint8_t *buf = e ? reinterpret_cast<uint8_t *>(rte_pktmbuf_append(e, icmp6_error_max)) : nullptr;
	if (!buf) {
		st.icmp_errors_unsent++;
		rte_pktmbuf_free(e);
		rte_pktmbuf_free(m);
		return;
	}
	const auto r = build_icmp_error(w.kind, offending, std::span<const uint8_t>(src, family == 4 ? 4 : 16), w.mtu,
	                                std::span<uint8_t>(buf, icmp6_error_max));
	rte_pktmbuf_free(m);
	if (r.verdict != icmp_verdict::ok) {
		st.icmp_errors_suppressed++;
		rte_pktmbuf_free(e);
		return;
	}
	rte_pktmbuf_trim(e, static_cast<uint16_t>(icmp6_error_max - r.length));
	uint8_t dst[16];
	std::memcpy(dst, buf + (family == 4 ? 16 : 24), family == 4 ? 4 : 16);
	const uint16_t et = family == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;

	if (!w.to_subscriber) {
		// Back out of the port the offender came in on, to its next hop there.
		uint8_t mac[6];
		const uint16_t vlan = rt_.neigh().port_vlan(in_port);
		const port_runtime *pr = rt_.port_by_id(in_port);
		auto *h = pr && rt_.neigh().resolve(in_port, family, dst, mac)
		              ? reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(e, vlan ? 18 : 14))
		              : nullptr;
		if (!h) {
			st.icmp_errors_unsent++; // resolution started; the offender's next packet gets one
			rte_pktmbuf_free(e);
			return;
		}
		std::memcpy(h, mac, 6);
		std::memcpy(h + 6, pr->mac, 6);
		if (vlan) {
			store_be16(h + 12, RTE_ETHER_TYPE_VLAN);
			store_be16(h + 14, vlan);
			store_be16(h + 16, et);
		} else {
			store_be16(h + 12, et);
		}
		st.icmp_errors_sent++;
		rt_.send_one(rt_.main_worker(), in_port, e);
		return;
	}
	// To a subscriber: down its session, through the core path's encapsulation, as if the
	// error had arrived on a core port (the session is found by the subscriber address).
	const port_runtime *core = nullptr;
	for (const port_runtime *p : rt_.ports())
		if (p->conf.role == cfg::port_role::core) {
			core = p;
			break;
		}
	const uint16_t core_vlan = core ? rt_.neigh().port_vlan(core->id) : 0;
	auto *h = core ? reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(e, core_vlan ? 18 : 14)) : nullptr;
	if (!h) {
		st.icmp_errors_unsent++;
		rte_pktmbuf_free(e);
		return;
	}
	std::memcpy(h, core->mac, 6);
	std::memcpy(h + 6, core->mac, 6);
	if (core_vlan) { // a core port on a VLAN takes only frames with its tag
		store_be16(h + 12, RTE_ETHER_TYPE_VLAN);
		store_be16(h + 14, core_vlan);
		store_be16(h + 16, et);
	} else {
		store_be16(h + 12, et);
	}
	e->port = core->id;
	burst_out out;
	process_rx_burst(rt_.main_worker().ctx, core->id, &e, 1, out);
	for (uint16_t i = 0; i < out.n_tx; i++) {
		st.icmp_errors_sent++;
		rt_.send_one(rt_.main_worker(), out.tx_port[i], out.tx[i]);
	}
	if (out.n_tx == 0)
		st.icmp_errors_unsent++; // no session for that address any more (counted by the path)
	rte_pktmbuf_free_bulk(out.local, out.n_local);
	rte_pktmbuf_free_bulk(out.punt, out.n_punt);
	rte_pktmbuf_free_bulk(out.icmp, out.n_icmp); // never an error about an error
	rte_pktmbuf_free_bulk(out.glean, out.n_glean);
}

uint32_t controller::injected() {
	rte_mbuf *pkts[packets_per_round];
	const unsigned n =
	    rte_ring_dequeue_burst(rt_.inject_ring(), reinterpret_cast<void **>(pkts), packets_per_round, nullptr);
	for (unsigned i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		ring::inject_meta meta;
		if (rte_pktmbuf_data_len(m) < sizeof(meta)) {
			rt_.cstats.inject_dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		std::memcpy(&meta, rte_pktmbuf_mtod(m, const void *), sizeof(meta));
		rte_pktmbuf_adj(m, sizeof(meta));
		if (meta.magic != ring::inject_meta_magic || meta.version != ring::inject_meta_version ||
		    !rt_.port_by_id(meta.out_port)) {
			rt_.cstats.inject_dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (meta.kind == ring::inject_kind::ip) {
			const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
			const uint32_t len = rte_pktmbuf_data_len(m);
			const uint8_t ver = len ? ip[0] >> 4 : 0;
			uint8_t mac[6];
			const bool ok = (ver == 4 && len >= 20) || (ver == 6 && len >= 40);
			// No tag asked for: the port's own VLAN, if it has one.
			const uint16_t vlan = meta.vlan ? meta.vlan : rt_.neigh().port_vlan(meta.out_port);
			const uint16_t eth_len = vlan ? 18 : 14;
			if (!ok || !rt_.neigh().resolve(meta.out_port, ver, ver == 4 ? ip + 16 : ip + 24, mac) ||
			    rte_pktmbuf_headroom(m) < eth_len) {
				rt_.cstats.inject_dropped++;
				rte_pktmbuf_free(m);
				continue;
			}
			auto *h = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, eth_len));
			std::memcpy(h, mac, 6);
			std::memcpy(h + 6, rt_.port_by_id(meta.out_port)->mac, 6);
			uint8_t *type = h + 12;
			if (vlan) {
				type[0] = 0x81;
				type[1] = 0x00;
				type[2] = static_cast<uint8_t>((vlan >> 8) & 0x0f);
				type[3] = static_cast<uint8_t>(vlan);
				type += 4;
			}
			const uint16_t et = ver == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;
			type[0] = static_cast<uint8_t>(et >> 8);
			type[1] = static_cast<uint8_t>(et);
		} else if (meta.kind != ring::inject_kind::ethernet) {
			rt_.cstats.inject_dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		rt_.cstats.injected++;
		rt_.send_one(rt_.main_worker(), meta.out_port, m);
	}
	return n;
}

uint32_t controller::round() {
	uint32_t work = 0;
	std::lock_guard lock(rt_.tbl().mutex());
	work += commands();
	work += continue_dump();
	work += local_frames();
	work += injected();
	work += icmp_errors();
	// The command side's counters, into the runtime's (read by telemetry under the mutex).
	command_counters &cc = drain_.counters();
	rt_.cstats.commands += cc.commands;
	rt_.cstats.command_errors += cc.command_errors;
	rt_.cstats.bad_messages += cc.bad_messages;
	rt_.cstats.events += cc.events;
	rt_.cstats.event_ring_full += cc.event_ring_full;
	cc = {};
	const uint64_t now = rte_get_tsc_cycles();
	if (now - last_tick_ > rt_.tsc_hz() / 10) {
		last_tick_ = now;
		rt_.neigh().tick(now);
	}
	return work;
}

} // namespace

void runtime::control_loop() {
	controller ctl(*this);
	{
		// Tell an already attached control plane that the dataplane (re)started.
		ring::event e = ring::make_event(ring::event_type::ready, 0);
		e.ready.session_capacity = tables_->session_capacity();
		e.ready.session_mask = tables_->session_capacity() - 1;
		e.ready.tunnel_capacity = conf_.dataplane.tunnel_capacity;
		e.ready.sessions_installed = tables_->session_count();
		e.ready.l2tp_udp_port = conf_.dataplane.l2tp_udp_port;
		e.ready.port_count = static_cast<uint16_t>(ports_.size());
		e.ready.boot_id = boot_id_;
		e.ready.tsc_hz = hz_;
		rte_ring_enqueue_elem(evt_ring_, &e, sizeof(e));
	}
	cfg::idle_backoff bc = conf_.dataplane.backoff;
	if (!main_polls_ && (bc.max_sleep_us == 0 || bc.max_sleep_us > 1000))
		bc.max_sleep_us = 1000; // the control loop need not spin, nor sleep long
	idle_backoff backoff(bc);
	worker &w = *main_;
	if (main_polls_) {
		rte_rcu_qsbr_thread_register(rcu_, w.index);
		rte_rcu_qsbr_thread_online(rcu_, w.index);
	}
	while (!stopping()) {
		uint32_t work = 0;
		if (main_polls_) {
			work += poll_once(w);
			rte_rcu_qsbr_quiescent(rcu_, w.index);
		}
		const uint32_t ctl_work = ctl.round();
		work += ctl_work;
		flush_tx(w, ctl_work != 0);
		switch (backoff.on_poll(work)) {
		case idle_backoff::action::none: break;
		case idle_backoff::action::pause: rte_pause(); break;
		case idle_backoff::action::sleep:
			flush_tx(w, true);
			if (main_polls_)
				rte_rcu_qsbr_thread_offline(rcu_, w.index);
			w.stats.count(lcore_counter::sleeps);
			usleep(backoff.sleep_us());
			if (main_polls_)
				rte_rcu_qsbr_thread_online(rcu_, w.index);
			break;
		}
	}
	flush_tx(w, true);
	if (main_polls_) {
		rte_rcu_qsbr_thread_offline(rcu_, w.index);
		rte_rcu_qsbr_thread_unregister(rcu_, w.index);
	}
	spdlog::info("dataplane stopping");
}

} // namespace l2tpx::dp
