#include "tools/gen/dpdk/gen_run.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "controlplane/call_manager.hpp"
#include "shared/config/config_loader.hpp"
#include "shared/l2tp/l2tpv2.hpp"
#include "tools/gen/dpdk/worker.hpp"
#include "tools/gen/lac/call_table.hpp"
#include "tools/gen/lac/proxy_negotiation.hpp"
#include "tools/gen/traffic/report.hpp"

namespace l2tpx::gen::dpdk {

namespace {

// ---------------------------------------------------------------------------------------
// Ports

struct port_info {
	uint16_t id = no_port;
	mac addr{};
	std::string name;
};

bool find_port(const std::string &devargs, uint16_t &id) {
	const std::string name = devargs.substr(0, devargs.find(','));
	if (rte_eth_dev_get_port_by_name(name.c_str(), &id) == 0)
		return true;
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid) {
		char n[RTE_ETH_NAME_MAX_LEN];
		if (rte_eth_dev_get_name_by_port(pid, n) != 0)
			continue;
		const std::string s(n);
		if (s.size() > name.size() && s.compare(s.size() - name.size(), name.size(), name) == 0 &&
		    s[s.size() - name.size() - 1] == ':') {
			id = pid;
			return true;
		}
	}
	return false;
}

std::string setup_port(const std::string &devargs, const std::optional<mac> &want_mac, uint16_t txqs, rte_mempool *pool,
                       port_info &p, uint16_t rxqs = 1) {
	p.name = devargs.substr(0, devargs.find(','));
	if (!find_port(devargs, p.id))
		return "port " + p.name + ": not found (check the devargs and the EAL arguments)";
	rte_eth_dev_info info{};
	int rc = rte_eth_dev_info_get(p.id, &info);
	if (rc != 0)
		return "port " + p.name + ": cannot read device info: " + rte_strerror(-rc);
	if (info.max_tx_queues < txqs)
		return "port " + p.name + ": " + std::to_string(txqs) + " worker lcores need as many TX queues, the device has " +
		       std::to_string(info.max_tx_queues) + " (net_af_packet: add qpairs=N to its devargs)";
	if (info.max_rx_queues < rxqs)
		return "port " + p.name + ": rx_queues = " + std::to_string(rxqs) + " but the device has " +
		       std::to_string(info.max_rx_queues) + " RX queues (net_af_packet: qpairs=N in its devargs)";
	rte_eth_conf ec{};
	if (rxqs > 1 && info.flow_type_rss_offloads) {
		// RSS over addresses and ports where the device hashes itself (net_af_packet spreads
		// by its fanout hash and offers none).
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	rc = rte_eth_dev_configure(p.id, rxqs, txqs, &ec);
	if (rc != 0)
		return "port " + p.name + ": configure failed: " + rte_strerror(-rc);
	uint16_t nb_rxd = 1024, nb_txd = 1024;
	rte_eth_dev_adjust_nb_rx_tx_desc(p.id, &nb_rxd, &nb_txd);
	const int socket = rte_eth_dev_socket_id(p.id);
	const unsigned sock = socket < 0 ? unsigned(SOCKET_ID_ANY) : unsigned(socket);
	for (uint16_t q = 0; q < rxqs; ++q) {
		rc = rte_eth_rx_queue_setup(p.id, q, nb_rxd, sock, nullptr, pool);
		if (rc != 0)
			return "port " + p.name + ": RX queue setup failed: " + rte_strerror(-rc);
	}
	for (uint16_t q = 0; q < txqs; ++q) {
		rc = rte_eth_tx_queue_setup(p.id, q, nb_txd, sock, nullptr);
		if (rc != 0)
			return "port " + p.name + ": TX queue setup failed: " + rte_strerror(-rc);
	}
	rte_ether_addr a;
	if (want_mac) {
		std::memcpy(a.addr_bytes, want_mac->data(), 6);
		(void)rte_eth_dev_default_mac_addr_set(p.id, &a); // best effort: promiscuous anyway
	} else {
		rte_eth_macaddr_get(p.id, &a);
		if (rte_is_zero_ether_addr(&a)) {
			rte_eth_random_addr(a.addr_bytes);
			(void)rte_eth_dev_default_mac_addr_set(p.id, &a);
		}
	}
	std::memcpy(p.addr.data(), a.addr_bytes, 6);
	rc = rte_eth_dev_start(p.id);
	if (rc != 0)
		return "port " + p.name + ": start failed: " + rte_strerror(-rc);
	(void)rte_eth_promiscuous_enable(p.id);
	return {};
}

// ---------------------------------------------------------------------------------------
// The run

call_layout layout_of(const gen_config &c) {
	call_layout l;
	l.sessions = c.sessions.sessions;
	l.sessions_per_tunnel = c.sessions.sessions_per_tunnel;
	l.tunnels = c.sessions.tunnels;
	l.lacs = uint32_t(c.access.lac_addresses.size());
	l.lns = cp::udp_endpoint::v4(cp::ipv4_addr{c.access.lns}, c.access.lns_port);
	return l;
}

class generator {
	static constexpr uint64_t settle_ms = 200; // between the last session up and the first stream packet

public:
	generator(const gen_options &o, const std::atomic<bool> &stop)
	    : o_(o), c_(o.cfg), stop_(stop), calls_(layout_of(o.cfg)) {}
	~generator() { shutdown(); }

	int run(const std::string &argv0) {
		if (c_.pseudowires() && !o_.bench)
			prepare_pseudowires();
		if (!init_eal(argv0))
			return exit_runtime;
		if (o_.bench)
			return bench();
		if (c_.pseudowires())
			return run_pseudowires();
		if (!resolve_neighbours())
			return exit_runtime;
		make_call_managers();
		setup_phase();
		if (v6_streams())
			ipv6_phase();
		// A session is up for us when IPCP opens; an LNS installs the subscriber's route at
		// that moment and may apply it a little later (ours through its command ring). A
		// short pause keeps the first downstream packets of the last sessions out of that
		// window, which is setup, not forwarding, loss.
		hold(settle_ms, "settle");
		run_result rr;
		nlohmann::ordered_json extra;
		traffic_phase(rr);
		if (c_.sessions.flap_cycles && !stop_.load())
			flap_phase();
		// The report comes before the hold (tools/lab.sh --keep shows it while the sessions
		// stay up); the teardown's figures follow it and go into the JSON file.
		const int rc = print_report(rr);
		if (c_.sessions.hold_ms && !stop_.load()) {
			std::fprintf(stderr, "l2tpx-gen: holding the sessions; SIGINT or SIGTERM tears them down\n");
			hold(c_.sessions.hold_ms, "hold");
		}
		teardown_phase();
		if (teardown_)
			print_paced_teardown();
		std::printf("teardown: %u of %u tunnels closed cleanly (StopCCN acknowledged)\n", tunnels_closed_clean_,
		            calls_.tunnels_opened());
		std::fflush(stdout);
		if (!o_.json_path.empty()) {
			json_["setup"]["tunnels_closed_clean"] = tunnels_closed_clean_;
			std::ofstream f(o_.json_path);
			f << json_.dump(2) << "\n";
			if (!f)
				std::fprintf(stderr, "l2tpx-gen: cannot write %s\n", o_.json_path.c_str());
		}
		return rc;
	}

private:
	// ---------------------------------------------------------------- EAL, ports, workers
	bool init_eal(const std::string &argv0) {
		std::vector<std::string> args = build_eal_args(o_, argv0);
		std::vector<char *> argv;
		for (auto &a : args)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		if (rte_eal_init(int(args.size()), argv.data()) < 0) {
			std::fprintf(stderr, "l2tpx-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
			return false;
		}
		eal_up_ = true;
		hz_ = rte_get_tsc_hz();
		unsigned lc;
		std::vector<unsigned> lcores;
		RTE_LCORE_FOREACH_WORKER(lc) lcores.push_back(lc);
		if (lcores.empty()) {
			std::fprintf(stderr, "l2tpx-gen: needs a worker lcore besides the main one (e.g. -- -l 0,1)\n");
			return false;
		}
		const uint16_t data_room = uint16_t(RTE_PKTMBUF_HEADROOM + std::max<uint32_t>(2048, c_.access.mtu + 64u));
		pool_ = rte_pktmbuf_pool_create("gen_pool", 32767, 256, 0, data_room, int(rte_socket_id()));
		if (!pool_) {
			std::fprintf(stderr, "l2tpx-gen: mbuf pool: %s\n", rte_strerror(rte_errno));
			return false;
		}
		// Several RX queues: a worker per queue, so several producers on the control ring.
		const uint16_t rxqs = std::max(c_.access.rx_queues, c_.core.port.empty() ? uint16_t(1) : c_.core.rx_queues);
		if (rxqs > lcores.size()) {
			std::fprintf(stderr, "l2tpx-gen: %u RX queues need as many worker lcores (have %zu)\n", rxqs, lcores.size());
			return false;
		}
		ctl_rx_ = rte_ring_create("gen_ctl_rx", 4096, int(rte_socket_id()), (rxqs > 1 ? 0 : RING_F_SP_ENQ) | RING_F_SC_DEQ);
		ctl_tx_ = rte_ring_create("gen_ctl_tx", 4096, int(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!ctl_rx_ || !ctl_tx_) {
			std::fprintf(stderr, "l2tpx-gen: rings: %s\n", rte_strerror(rte_errno));
			return false;
		}
		const uint16_t txqs = uint16_t(lcores.size());
		if (auto e = setup_port(c_.access.port, c_.access.local_mac, txqs, pool_, access_, c_.access.rx_queues); !e.empty()) {
			std::fprintf(stderr, "l2tpx-gen: %s\n", e.c_str());
			return false;
		}
		if (!c_.core.port.empty()) {
			if (c_.core.port == c_.access.port) {
				std::fprintf(stderr, "l2tpx-gen: the access and core ports must differ\n");
				return false;
			}
			if (auto e = setup_port(c_.core.port, c_.core.local_mac, txqs, pool_, core_, c_.core.rx_queues); !e.empty()) {
				std::fprintf(stderr, "l2tpx-gen: %s\n", e.c_str());
				return false;
			}
		}
		for (uint32_t i = 0; i < lcores.size(); ++i) {
			auto w = std::make_unique<worker_ctx>();
			w->index = i;
			w->access_port = access_.id;
			w->core_port = core_.id;
			w->txq = uint16_t(i);
			w->rx = i < rxqs && !o_.bench;
			w->rxq = uint16_t(i);
			w->rx_access = i < c_.access.rx_queues;
			w->rx_core = i < c_.core.rx_queues;
			w->send_ctl = i == 0 && !o_.bench;
			w->pw = c_.pseudowires() ? &pw_rx_ : nullptr;
			w->ctl_rx = ctl_rx_;
			w->ctl_tx = ctl_tx_;
			w->pool = pool_;
			w->l2tp_port = c_.access.local_port;
			w->traffic_port = c_.core.udp_port;
			workers_.push_back(std::move(w));
		}
		launched_ = true; // from the first launch on, shutdown() stops and waits for them
		for (uint32_t i = 0; i < lcores.size(); ++i)
			if (rte_eal_remote_launch(worker_main, workers_[i].get(), lcores[i]) != 0) {
				std::fprintf(stderr, "l2tpx-gen: cannot launch a worker on lcore %u\n", lcores[i]);
				return false;
			}
		tty_ = !o_.quiet && ::isatty(2);
		return true;
	}

	void shutdown() {
		if (launched_) {
			for (auto &w : workers_)
				w->cmd.store(int(worker_cmd::quit), std::memory_order_release);
			rte_eal_mp_wait_lcore();
			launched_ = false;
		}
		cms_.clear(); // before the rings their send callbacks use
		if (!eal_up_)
			return;
		for (port_info *p : {&access_, &core_})
			if (p->id != no_port) {
				(void)rte_eth_dev_stop(p->id);
				(void)rte_eth_dev_close(p->id);
				p->id = no_port;
			}
		for (rte_ring *r : {ctl_rx_, ctl_tx_}) {
			if (!r)
				continue;
			void *m;
			while (rte_ring_dequeue(r, &m) == 0)
				rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
			rte_ring_free(r);
		}
		ctl_rx_ = ctl_tx_ = nullptr;
		// Workers' schedulers, templates and recorders are plain heap memory.
		workers_.clear();
		if (pool_)
			rte_mempool_free(pool_);
		pool_ = nullptr;
		rte_eal_cleanup();
		eal_up_ = false;
	}

	// ---------------------------------------------------------------- control frames
	void send_frame(uint16_t port, std::span<const uint8_t> f) {
		rte_mbuf *m = rte_pktmbuf_alloc(pool_);
		if (!m) {
			++ctl_tx_dropped_;
			return;
		}
		char *p = rte_pktmbuf_append(m, uint16_t(f.size()));
		if (!p) {
			rte_pktmbuf_free(m);
			++ctl_tx_dropped_;
			return;
		}
		std::memcpy(p, f.data(), f.size());
		m->port = port;
		if (rte_ring_enqueue(ctl_tx_, m) != 0) {
			rte_pktmbuf_free(m);
			++ctl_tx_dropped_;
		}
	}

	void send_arp(uint16_t port, const mac &src, uint16_t op, uint32_t spa, const mac &tha, uint32_t tpa,
	              const mac &eth_dst) {
		arp_packet a;
		a.op = op;
		a.sha = src;
		a.spa = spa;
		a.tha = tha;
		a.tpa = tpa;
		uint8_t f[60];
		if (size_t n = build_arp(f, eth_dst, a))
			send_frame(port, {f, n});
	}

	uint32_t access_next_hop() const { return c_.access.gateway.value_or(c_.pseudowires() ? pw_remote4_ : c_.access.lns); }

	void handle_arp(uint16_t port, const arp_packet &a) {
		const bool access = port == access_.id;
		const std::vector<uint32_t> &mine =
		    access ? (c_.pseudowires() ? pw_local4_ : c_.access.lac_addresses) : c_.core.addresses;
		const uint32_t nh = access ? access_next_hop() : c_.core.next_hop;
		std::optional<mac> &nh_mac = access ? access_nh_mac_ : core_nh_mac_;
		const bool is_static = access ? c_.access.lns_mac.has_value() : c_.core.next_hop_mac.has_value();
		if (a.spa == nh && !is_static)
			nh_mac = a.sha;
		if (a.op == 1 && std::find(mine.begin(), mine.end(), a.tpa) != mine.end()) {
			const mac &me = access ? access_.addr : core_.addr;
			send_arp(port, me, 2, a.tpa, a.sha, a.spa, a.sha);
		}
	}

	// Drains the control ring: ARP and L2TP control to the call managers.
	uint32_t drain_control() {
		std::array<rte_mbuf *, 64> m;
		const unsigned n = rte_ring_dequeue_burst(ctl_rx_, reinterpret_cast<void **>(m.data()), 64, nullptr);
		for (unsigned i = 0; i < n; ++i) {
			const std::span<const uint8_t> f(rte_pktmbuf_mtod(m[i], const uint8_t *), rte_pktmbuf_data_len(m[i]));
			const uint16_t port = m[i]->port;
			if (auto a = parse_arp(f)) {
				handle_arp(port, *a);
			} else if (auto nd = c_.pseudowires() || v6_streams() ? parse_nd(f) : std::nullopt) {
				handle_nd(port, *nd);
			} else if (port == access_.id) {
				const rx_frame r = classify_access(f, c_.access.local_port, c_.core.udp_port);
				if (r.kind == rx_kind::l2tp_control && r.src_ip == c_.access.lns) {
					auto it = std::find(c_.access.lac_addresses.begin(), c_.access.lac_addresses.end(), r.dst_ip);
					const uint32_t lac = uint32_t(it - c_.access.lac_addresses.begin());
					if (it != c_.access.lac_addresses.end() && r.ppp_protocol == ppp_ipv6 && v6_streams())
						receive_ipv6(lac, r);
					else if (it != c_.access.lac_addresses.end() && !cms_.empty())
						cms_[lac]->receive(cp::udp_endpoint::v4(cp::ipv4_addr{r.src_ip}, r.src_port), r.l2tp);
					else
						++ctl_foreign_;
				} else {
					++ctl_foreign_;
				}
			}
			rte_pktmbuf_free(m[i]);
		}
		return n;
	}

	// One main-loop iteration: control frames, timers; sleeps up to wait_us when idle.
	void pump(uint32_t wait_us = 1000) {
		if (timers_)
			timers_->advance_to(to_time_point(now_ns()));
		const uint32_t n = drain_control();
		if (timers_)
			timers_->advance_to(to_time_point(now_ns()));
		if (v6_streams() && !cms_.empty())
			solicit_routers();
		if (n == 0 && wait_us)
			rte_delay_us_sleep(wait_us);
		progress();
	}

	bool resolve_neighbours() {
		if (c_.access.lns_mac)
			access_nh_mac_ = c_.access.lns_mac;
		if (c_.core.next_hop_mac)
			core_nh_mac_ = core_nh6_mac_ = c_.core.next_hop_mac;
		const uint64_t start = now_ns();
		uint64_t last = 0;
		while (!stop_.load()) {
			const bool need_core = core_.id != no_port && !core_nh_mac_;
			const bool need_core6 = v6_streams() && !core_nh6_mac_;
			if (access_nh_mac_ && !need_core && !need_core6)
				return true;
			const uint64_t now = now_ns();
			if (now - start > 10'000'000'000ull)
				break;
			if (now - last > 500'000'000ull) {
				last = now;
				if (!access_nh_mac_)
					send_arp(access_.id, access_.addr, 1, c_.access.lac_addresses[0], mac{}, access_next_hop(),
					         broadcast_mac);
				if (need_core)
					send_arp(core_.id, core_.addr, 1, c_.core.addresses[0], mac{}, c_.core.next_hop, broadcast_mac);
				uint8_t f[128];
				if (need_core6)
					if (size_t n = build_neighbor_solicit(f, core_.addr, *c_.core.address6, *c_.core.next_hop6))
						send_frame(core_.id, {f, n});
			}
			pump(1000);
		}
		if (v6_streams() && !core_nh6_mac_)
			std::fprintf(stderr, "l2tpx-gen: no neighbour advertisement from %s on the core port (set core.next_hop_mac)\n",
			             format_ipv6(*c_.core.next_hop6).c_str());
		if (!access_nh_mac_)
			std::fprintf(stderr, "l2tpx-gen: no ARP reply from %s on the access port (set access.lns_mac)\n",
			             format_ipv4(access_next_hop()).c_str());
		if (core_.id != no_port && !core_nh_mac_)
			std::fprintf(stderr, "l2tpx-gen: no ARP reply from %s on the core port (set core.next_hop_mac)\n",
			             format_ipv4(c_.core.next_hop).c_str());
		return false;
	}

	// ---------------------------------------------------------------- sessions
	void make_call_managers() {
		const sessions_config &s = c_.sessions;
		timers_ = std::make_unique<cp::timer_service>(to_time_point(now_ns()));
		calls_.on_fail([this](uint32_t, const std::string &why) { failures_[why]++; });
		if (s.proxy_lcp)
			calls_.on_setup([this](uint32_t i, cp::call_params &p) { return proxy_for(i, p); });
		for (uint32_t lac = 0; lac < c_.access.lac_addresses.size(); ++lac) {
			const uint32_t addr = c_.access.lac_addresses[lac];
			cp::call_manager::config cfg;
			cfg.l2tp.local_role = cp::role::lac;
			cfg.l2tp.local = cp::udp_endpoint::v4(cp::ipv4_addr{addr}, c_.access.local_port);
			cfg.l2tp.tunnel.host_name = s.host_name;
			cfg.l2tp.tunnel.secrets.default_secret = s.tunnel_secret;
			cfg.l2tp.tunnel.hide_avps = s.hide_avps;
			cfg.l2tp.tunnel.max_sessions = uint16_t(std::min<uint32_t>(s.sessions_per_tunnel + 64, 65535));
			cfg.l2tp.limits.max_tunnels = s.tunnels + 16;
			cfg.l2tp.limits.max_tunnels_per_peer = s.tunnels + 16;
			cfg.ppp.enable_ipv6cp = s.enable_ipv6cp;
			cfg.ppp.lcp.accept_pap = s.auth != ppp_auth::chap;
			cfg.ppp.lcp.accept_chap = s.auth != ppp_auth::pap;
			base_ppp_ = cfg.ppp;
			cfg.ppp_for_call = [this, lac](const cp::session &ss) {
				cp::ppp::ppp_link_config pc = base_ppp_;
				if (auto i = calls_.find(lac, ss.owner().local_id(), ss.local_id())) {
					const call &c = calls_[*i];
					const uint32_t n = *i + 1, t = c.tunnel_index + 1, sn = c.in_tunnel + 1;
					pc.auth.user = expand_credentials(c_.sessions.user, n, t, sn);
					pc.auth.secret = expand_credentials(c_.sessions.password, n, t, sn);
				}
				return pc;
			};
			auto cm = std::make_unique<cp::call_manager>(
			    *timers_, rng_, cfg, nullptr, nullptr, dp_, [this, addr](const cp::udp_endpoint &to, std::span<const uint8_t> d) {
				    udp_addrs a;
				    a.dst_mac = access_nh_mac_.value_or(broadcast_mac);
				    a.src_mac = access_.addr;
				    a.src_ip = addr;
				    a.dst_ip = to.ipv4().value;
				    a.src_port = c_.access.local_port;
				    a.dst_port = to.port;
				    std::array<uint8_t, 2048> f;
				    if (size_t n = build_udp_frame(f, a, ip_id_++, d))
					    send_frame(access_.id, {f.data(), n});
				    else
					    ++ctl_tx_dropped_;
			    });
			cm->on_network_up = [this, lac](cp::session &ss, cp::ppp::ppp_link &l) {
				if (auto i = calls_.network_up(lac, ss, l.local_ipv4().value)) {
					++ups_since_tick_;
					note_proxy(l);
					if (v6_streams())
						v6_pending_add(*i);
				}
			};
			cm->on_link_finished = [this, lac](cp::session_key k, cp::ppp::down_reason why) {
				uint32_t i = 0;
				if (calls_.link_finished(lac, k, why, i) == link_end::went_down) {
					if (i < v6_.size()) {
						v6_have_ -= v6_[i].have;
						v6_[i] = v6_call{}; // a pending entry drops out at the next scan
					}
					++downs_since_tick_;
					if (!tearing_down_ && !flapping_)
						calls_[i].dropped_after_up = true;
				}
			};
			cms_.push_back(std::move(cm));
		}
		calls_.attach(cms_);
		v6_.assign(calls_.size(), v6_call{});
	}

	// Dials every pending call under the rate and the outstanding cap.
	void dial_all(const char *phase_name) {
		phase_ = phase_name;
		std::vector<uint32_t> todo;
		for (uint32_t i = 0; i < calls_.size(); ++i)
			if (calls_[i].phase == call_phase::pending)
				todo.push_back(i);
		dial_limits lim;
		lim.setup_rate = c_.sessions.setup_rate;
		lim.max_outstanding = c_.sessions.max_outstanding;
		lim.timeout_ns = c_.sessions.setup_timeout_ms * 1'000'000ull;
		if (calls_.dial_all(todo, lim, stop_, [this](bool more) { pump(more ? 100 : 1000); }).interrupted)
			interrupted_ = true;
	}

	void setup_phase() {
		dial_all("setup");
		setup_s_ = seconds(calls_.first_dial_ns(), calls_.last_up_ns());
		end_progress();
		std::fprintf(stderr, "l2tpx-gen: setup: %u of %zu sessions up in %.3f s (%.0f/s), %u failed, %u tunnels\n",
		             calls_.up(), calls_.size(), setup_s_, setup_s_ > 0 ? calls_.up() / setup_s_ : 0.0, calls_.failed(),
		             calls_.tunnels_opened());
	}

	// ---------------------------------------------------------------- IPv6 (SLAAC over PPP)
	// IPv6 streams (traffic.ip_version 6 or "both"): each session that opens IPv6CP sends a
	// Router Solicitation (RFC 4861 6.3.7: at most 3, 4 s apart) and forms its address from
	// the first Router Advertisement's autonomous /64 and its IPv6CP interface identifier.
	bool v6_streams() const noexcept { return !c_.pseudowires() && !o_.bench && c_.run.traffic.has_ipv6(); }

	static constexpr uint64_t rs_interval_ns = 4'000'000'000ull;
	static constexpr uint8_t max_rs = 3;

	// The call of an L2TP data message's (our) tunnel and session IDs.
	std::optional<uint32_t> call_of(uint32_t lac, uint16_t tunnel, uint16_t session) const {
		return calls_.find(lac, tunnel_id_v2{tunnel}, session_id_v2{session});
	}

	// An IPv6 packet from the LNS on a session: a Router Advertisement gives the address.
	void receive_ipv6(uint32_t lac, const rx_frame &r) {
		const std::optional<uint32_t> i = call_of(lac, r.tunnel, r.session);
		if (!i) {
			++v6_counters_.foreign;
			return;
		}
		ra_prefix ra;
		ra_error err = ra_error::not_ra;
		if (!parse_router_advert(r.ppp_info, ra, err)) {
			++(err == ra_error::not_ra ? v6_counters_.other : err == ra_error::invalid ? v6_counters_.ra_invalid
			                                                                          : v6_counters_.ra_no_prefix);
			return;
		}
		++v6_counters_.ra_received;
		if (ra.mtu && (v6_counters_.ra_mtu_min == 0 || ra.mtu < v6_counters_.ra_mtu_min))
			v6_counters_.ra_mtu_min = ra.mtu;
		const call &c = calls_[*i];
		if (c.phase != call_phase::up)
			return;
		const cp::ppp::ppp_link *l = cms_[c.lac]->link(c.tid, c.sid);
		if (!l || !l->ipv6cp_layer().fsm().is_opened() || l->local_iid() == 0)
			return; // no interface identifier yet: the next RA (or our RS) will do
		v6_call &v = v6_[*i];
		const ipv6_addr a = slaac_address(ra.prefix, l->local_iid());
		if (v.have && v.addr != a)
			++v6_counters_.prefix_changed; // streams keep the first address: counted, not followed
		if (!v.have) {
			v.have = true;
			v.addr = a;
			++v6_have_;
			++v6_counters_.learned;
			v6_last_learned_ns_ = now_ns();
		}
	}

	// A session just came up (IPCP): it solicits a router once its IPv6CP is Opened.
	void v6_pending_add(uint32_t i) {
		v6_call &v = v6_[i];
		v = v6_call{};
		v.pending = true;
		v.up_ns = now_ns();
		v6_pending_.push_back(i);
	}

	// Router Solicitations (an L2TP data message with PPP protocol 0x0057), every 20 ms for
	// the calls that came up and still need one: the first as soon as IPv6CP is Opened (as
	// a host does at link-up, even when an unsolicited RA was first), the next ones 4 s
	// apart while no RA gave an address. A call leaves the list when it is done, went down,
	// or its IPv6CP did not open within 30 s of IPCP; only those calls are visited.
	void solicit_routers() {
		const uint64_t now = now_ns();
		if (now - v6_last_scan_ns_ < 20'000'000ull || v6_pending_.empty())
			return;
		v6_last_scan_ns_ = now;
		size_t keep = 0;
		for (size_t k = 0; k < v6_pending_.size(); ++k) {
			const uint32_t i = v6_pending_[k];
			v6_call &v = v6_[i];
			const call &c = calls_[i];
			const bool done = (v.have && v.rs_sent > 0) || v.rs_sent >= max_rs;
			if (!v.pending || done || c.phase != call_phase::up || (v.rs_sent == 0 && now - v.up_ns > 30'000'000'000ull)) {
				v.pending = false;
				continue;
			}
			v6_pending_[keep++] = i;
			if (now < v.next_rs_ns)
				continue;
			const cp::ppp::ppp_link *l = cms_[c.lac]->link(c.tid, c.sid);
			if (!l || !l->ipv6cp_layer().fsm().is_opened() || l->local_iid() == 0)
				continue;
			send_router_solicit(c, l->local_iid());
			++v.rs_sent;
			v.next_rs_ns = now + rs_interval_ns;
		}
		v6_pending_.resize(keep);
	}

	void send_router_solicit(const call &c, uint64_t iid) {
		// L2TPv2 data header (T=0, no length, no sequence) | FF 03 00 57 | IPv6 RS.
		std::array<uint8_t, 6 + ppp_len + ipv6_len + 8> msg{};
		store_be16(msg.data(), l2tp::version_v2);
		store_be16(msg.data() + 2, c.peer_tunnel);
		store_be16(msg.data() + 4, c.peer_session);
		msg[6] = 0xFF;
		msg[7] = 0x03;
		store_be16(msg.data() + 8, ppp_ipv6);
		if (build_router_solicit(std::span<uint8_t>(msg).subspan(6 + ppp_len), iid) == 0)
			return;
		udp_addrs a;
		a.dst_mac = access_nh_mac_.value_or(broadcast_mac);
		a.src_mac = access_.addr;
		a.src_ip = c_.access.lac_addresses[c.lac];
		a.dst_ip = c_.access.lns;
		a.src_port = c_.access.local_port;
		a.dst_port = c_.access.lns_port;
		std::array<uint8_t, 128> f;
		if (size_t n = build_udp_frame(f, a, ip_id_++, msg)) {
			send_frame(access_.id, {f.data(), n});
			++v6_counters_.rs_sent;
		}
	}

	uint32_t ipv6_learned_calls() const { return v6_have_; }

	// After the setup: wait until every session up has its IPv6 address, or the
	// solicitations are spent (3 RS, 4 s apart, then 4 s more for a late RA).
	void ipv6_phase() {
		phase_ = "ipv6";
		const uint64_t t0 = now_ns();
		const uint64_t end = t0 + (max_rs + 1) * rs_interval_ns;
		while (now_ns() < end && !stop_.load() && ipv6_learned_calls() < calls_.up())
			pump(1000);
		end_progress();
		const uint32_t learned = ipv6_learned_calls();
		v6_phase_s_ = seconds(t0, v6_last_learned_ns_ > t0 ? v6_last_learned_ns_ : now_ns());
		std::fprintf(stderr,
		             "l2tpx-gen: ipv6: %u of %u sessions up formed an address from a Router Advertisement (%" PRIu64
		             " RS sent, %" PRIu64 " RA received)\n",
		             learned, calls_.up(), v6_counters_.rs_sent, v6_counters_.ra_received);
		// The inner IPv6 packet is the frame size - 18; IPv6 routers do not fragment.
		uint32_t largest = 0;
		for (uint16_t size : build_size_pattern(c_.run.traffic.sizes))
			largest = std::max<uint32_t>(largest, size - 18u);
		if (v6_counters_.ra_mtu_min && largest > v6_counters_.ra_mtu_min)
			std::fprintf(stderr,
			             "l2tpx-gen: warning: the LNS announces an IPv6 MTU of %u, the largest IPv6 packet of this run "
			             "is %u bytes: expect it to be dropped (Packet Too Big)\n",
			             v6_counters_.ra_mtu_min, largest);
	}

	void handle_core_nd(const nd_packet &n) {
		if (!v6_streams())
			return;
		if (c_.core.next_hop6 && !c_.core.next_hop_mac &&
		    ((n.type == nd_solicit && n.src == *c_.core.next_hop6) || (n.type == nd_advert && n.target == *c_.core.next_hop6)))
			core_nh6_mac_ = n.link_addr.value_or(n.eth_src);
		const ipv6_addr unspecified{};
		if (n.type == nd_solicit && n.src != unspecified && n.target == *c_.core.address6) {
			uint8_t f[128];
			if (size_t len = build_neighbor_advert(f, n.link_addr.value_or(n.eth_src), n.src, core_.addr, n.target))
				send_frame(core_.id, {f, len});
		}
	}

	// ---------------------------------------------------------------- traffic
	bool prepare_traffic(const std::vector<uint32_t> &up, run_result &rr) {
		const traffic_config &tc = c_.run.traffic;
		const bool v6 = v6_streams();
		auto plan = plan_streams(tc, uint32_t(up.size()));
		if (!plan) {
			std::fprintf(stderr, "l2tpx-gen: traffic plan: %s\n", to_string(plan.error()));
			return false;
		}
		plan_ = std::make_unique<stream_plan>(std::move(*plan));
		std::vector<stream_info> infos = plan_->streams;
		for (auto &s : infos)
			s.session = up[s.session]; // report the call number, not the index among those up
		rr.set_streams(std::move(infos));
		const bool up_dir = tc.direction != traffic_direction::down, down_dir = tc.direction != traffic_direction::up;
		const uint32_t W = uint32_t(workers_.size());
		std::vector<tx_template> ups(up.size()), downs(up.size()), ups6(v6 ? up.size() : 0), downs6(v6 ? up.size() : 0);
		for (size_t k = 0; k < up.size(); ++k) {
			const call &c = calls_[up[k]];
			upstream_params u;
			u.lns_mac = access_nh_mac_.value_or(broadcast_mac);
			u.lac_mac = access_.addr;
			u.lac_ip = c_.access.lac_addresses[c.lac];
			u.lns_ip = c_.access.lns;
			u.lac_port = c_.access.local_port;
			u.lns_port = c_.access.lns_port;
			u.tunnel = c.peer_tunnel;
			u.session = c.peer_session;
			u.data_sequence = c_.sessions.data_sequence;
			u.subscriber_ip = c.address;
			u.core_ip = c_.core.addresses.empty() ? 0 : c_.core.addresses[0];
			u.traffic_port = c_.core.udp_port;
			ups[k] = build_upstream_template(u);
			downstream_params d;
			d.next_hop_mac = core_nh_mac_.value_or(broadcast_mac);
			d.core_mac = core_.addr;
			d.core_ip = u.core_ip;
			d.subscriber_ip = c.address;
			d.traffic_port = c_.core.udp_port;
			downs[k] = build_downstream_template(d);
			if (!v6)
				continue;
			// IPv6: the subscriber's SLAAC address (RA prefix + IPv6CP interface identifier).
			u.v6 = d.v6 = true;
			u.subscriber_ip6 = d.subscriber_ip6 = v6_[up[k]].addr;
			u.core_ip6 = d.core_ip6 = *c_.core.address6;
			d.next_hop_mac = core_nh6_mac_.value_or(broadcast_mac);
			ups6[k] = build_upstream_template(u);
			downs6[k] = build_downstream_template(d);
		}
		for (uint32_t w = 0; w < W; ++w)
			arm_worker(w, tc, up_dir, down_dir && core_.id != no_port, ups, downs, ups6, downs6);
		return true;
	}

	// Worker w's share of plan_'s streams in each direction, the templates, the duration;
	// the RX worker gets a recorder.
	void arm_worker(uint32_t w, const traffic_config &tc, bool up_dir, bool down_dir, const std::vector<tx_template> &ups,
	                const std::vector<tx_template> &downs, const std::vector<tx_template> &ups6 = {},
	                const std::vector<tx_template> &downs6 = {}) {
		const uint32_t W = uint32_t(workers_.size());
		worker_ctx &x = *workers_[w];
		scheduler_options so;
		so.hz = hz_;
		so.max_lag = c_.run.traffic.max_lag_ms * hz_ / 1000;
		x.sched = std::make_unique<scheduler>(so);
		// A pseudowire run's bit rates count the first pseudowire's encapsulation.
		const uint32_t up_overhead =
		    c_.pseudowires() ? pw_overhead(*c_.pw_tunnel(c_.pw_sessions[0].tunnel_id), c_.pw_sessions[0])
		                     : upstream_overhead(c_.sessions.data_sequence);
		// Sequenced upstream (data Ns, or the L2TPv3 sublayer's): a session's Ns comes from one
		// template, so all of its upstream streams go to one worker (session % workers).
		const bool sequenced =
		    c_.pseudowires()
		        ? std::any_of(c_.pw_sessions.begin(), c_.pw_sessions.end(), [](const auto &s) { return s.seq_send; })
		        : c_.sessions.data_sequence;
		if (up_dir && sequenced && W > 1) {
			std::map<uint64_t, int> profiles;
			for (size_t id = 0; id < plan_->streams.size(); ++id) {
				const stream_info &si = plan_->streams[id];
				if (si.dir != direction::up || si.session % W != w)
					continue;
				const rate &r = plan_->rates[id];
				auto it = profiles.find(r.value);
				if (it == profiles.end())
					it = profiles.emplace(r.value, x.sched->add_profile(r, plan_->pattern, up_overhead + ethernet_wire_overhead))
					         .first;
				x.sched->add_stream(uint32_t(id), it->second);
			}
		} else if (up_dir) {
			assign_streams(*x.sched, *plan_, direction::up, w, W, up_overhead + ethernet_wire_overhead);
		}
		if (down_dir)
			assign_streams(*x.sched, *plan_, direction::down, w, W, ethernet_wire_overhead);
		x.up = ups;
		x.down = downs;
		x.up6 = ups6;
		x.down6 = downs6;
		x.plan = plan_.get();
		x.sent.assign(plan_->streams.size(), 0);
		x.duration_ticks = tc.duration_ms * hz_ / 1000;
		if (x.rx)
			x.recorder = std::make_unique<rx_recorder>(plan_->streams.size(), hz_, plan_->groups());
	}

	void traffic_phase(run_result &rr) {
		const traffic_config &tc = c_.run.traffic;
		rr.duration_s = double(tc.duration_ms) / 1000.0;
		if (c_.pseudowires()) { // static: every pseudowire is up from the start
			rr.sessions_requested = rr.sessions_up = uint32_t(c_.pw_sessions.size());
			if (stop_.load() || tc.duration_ms == 0 || !prepare_pw_traffic(rr))
				return;
		} else {
			rr.sessions_requested = uint32_t(calls_.size());
			std::vector<uint32_t> up = calls_.up_with_address();
			if (v6_streams()) // IPv6 streams run over the sessions that learned an address
				std::erase_if(up, [this](uint32_t i) { return !v6_[i].have; });
			rr.sessions_up = uint32_t(up.size());
			if (up.empty() || stop_.load() || tc.duration_ms == 0 || !prepare_traffic(up, rr))
				return;
		}
		traffic_ran_ = true;
		std::fprintf(stderr, "l2tpx-gen: traffic: %zu streams over %u %s for %.3f s (%s)\n", plan_->streams.size(),
		             rr.sessions_up, c_.pseudowires() ? "pseudowires" : "sessions", rr.duration_s,
		             to_string(tc.direction));
		phase_ = "traffic";
		snapshot_reset();
		const uint64_t t0 = now_ns();
		for (auto &w : workers_)
			w->cmd.store(int(worker_cmd::traffic), std::memory_order_release);
		auto all = [&](worker_state s) {
			for (auto &w : workers_)
				if (w->state.load(std::memory_order_acquire) < int(s))
					return false;
			return true;
		};
		// The schedulers end on their own after the duration; a stop ends the wait early.
		while (!all(worker_state::tx_done) && !stop_.load())
			pump(1000);
		traffic_s_ = seconds(t0, now_ns());
		phase_ = "drain";
		const uint64_t drain_end = now_ns() + tc.drain_ms * 1'000'000ull;
		while (now_ns() < drain_end && !stop_.load())
			pump(1000);
		for (auto &w : workers_)
			w->cmd.store(int(worker_cmd::stop_measuring), std::memory_order_release);
		while (!all(worker_state::stopped))
			pump(100);
		end_progress();
		interrupted_ = interrupted_ || stop_.load();
		for (auto &w : workers_) {
			for (size_t s = 0; s < w->sent.size(); ++s)
				rr.sent[s] += w->sent[s];
			if (w->recorder)
				rr.add_rx(*w->recorder);
			rr.tx_lag_resets += w->sched->counters().lag_resets;
		}
	}

	void hold(uint64_t ms, const char *what) {
		phase_ = what;
		const uint64_t end = now_ns() + ms * 1'000'000ull;
		while (now_ns() < end && !stop_.load())
			pump(1000);
		end_progress();
	}

	// Flap: every session that is up is brought down (LCP Terminate + CDN) and dialled again.
	void flap_phase() {
		flapping_ = true;
		for (uint32_t cycle = 0; cycle < c_.sessions.flap_cycles && !stop_.load(); ++cycle) {
			phase_ = "flap down";
			uint32_t downs = 0;
			if (c_.sessions.teardown_rate > 0) {
				const clear_result r = clear_calls("flap down");
				downs = r.cleared;
				flap_teardown_s_ += r.seconds();
				flap_teardown_failed_ += r.failed;
			} else {
				for (uint32_t i = 0; i < calls_.size(); ++i) {
					call &c = calls_[i];
					if (c.phase != call_phase::up)
						continue;
					if (cms_[c.lac]->disconnect(c.tid, c.sid))
						++downs;
				}
				const uint64_t wait_end = now_ns() + 10'000'000'000ull;
				while (calls_.up() > 0 && now_ns() < wait_end && !stop_.load())
					pump(1000);
			}
			hold(c_.sessions.flap_down_ms, "flap down");
			const uint32_t failed_before = calls_.failed();
			for (call &c : calls_.calls())
				if (c.phase == call_phase::down || c.phase == call_phase::up) {
					if (c.phase == call_phase::up) // did not go down in time
						continue;
					c.phase = call_phase::pending;
				}
			calls_.restart_round();
			dial_all("flap up");
			const double s = seconds(calls_.first_dial_ns(), calls_.last_up_ns());
			end_progress();
			std::fprintf(stderr, "l2tpx-gen: flap %u: %u down, %u up again in %.3f s, %u failed\n", cycle + 1, downs,
			             calls_.up(), s, calls_.failed() - failed_before);
			flap_cycles_done_ = cycle + 1;
			flap_setups_ += calls_.up();
			flap_setup_s_ += s;
		}
		flapping_ = false;
	}

	void teardown_phase() {
		tearing_down_ = true;
		phase_ = "teardown";
		if (c_.sessions.teardown_rate > 0 && !stop_.load())
			teardown_ = clear_calls("teardown");
		tunnels_closed_clean_ = clear_all_tunnels(cms_, [this] { pump(1000); }, 10'000'000'000ull);
		end_progress();
	}

	// Clears the calls that are up at sessions.teardown_rate with at most max_outstanding
	// in flight; the deadline leaves each call the LCP Terminate timeout and a margin.
	clear_result clear_calls(const char *phase_name) {
		phase_ = phase_name;
		clear_limits lim;
		lim.rate = c_.sessions.teardown_rate;
		lim.max_outstanding = c_.sessions.max_outstanding;
		lim.timeout_ns = (static_cast<uint64_t>(double(calls_.up()) / lim.rate) + 30) * 1'000'000'000ull;
		clear_result r = calls_.clear_all(lim, stop_, [this](bool more) { pump(more ? 100 : 1000); });
		end_progress();
		if (r.interrupted)
			interrupted_ = true;
		return r;
	}

	// Proxy LCP / authentication AVPs for call i's ICCN: what a LAC that negotiated with the
	// user would send (tools/gen/lac/proxy_negotiation.hpp).
	std::string proxy_for(uint32_t i, cp::call_params &p) {
		const call &c = calls_[i];
		const uint32_t n = i + 1, t = c.tunnel_index + 1, sn = c.in_tunnel + 1;
		proxy_spec ps;
		ps.lcp = true;
		ps.auth = c_.sessions.proxy_auth;
		ps.method = c_.sessions.auth == ppp_auth::pap ? proxy_method::pap : proxy_method::chap;
		ps.user = expand_credentials(c_.sessions.user, n, t, sn);
		ps.secret = expand_credentials(c_.sessions.password, n, t, sn);
		if (!synthesise_proxy(ps, rng_, p))
			return "proxy AVPs: cannot build them (user or password over 255 bytes, or MD5 refused)";
		return {};
	}

	// At network_up: did the LNS take the proxied LCP / authentication, or redo them?
	void note_proxy(const cp::ppp::ppp_link &l) {
		if (!c_.sessions.proxy_lcp)
			return;
		++proxy_.setups;
		if (l.proxy_used() && l.lcp_renegotiations() == 0)
			++proxy_.lcp_taken;
		else
			++proxy_.lcp_renegotiated;
		if (c_.sessions.proxy_auth) {
			if (l.proxy_auth_used() && l.auth_frames_sent() == 0)
				++proxy_.auth_taken;
			else
				++proxy_.auth_redone;
		}
	}

	void print_paced_teardown() {
		const clear_result &t = *teardown_;
		std::printf("teardown: %u of %u calls cleared at %.0f/s in %.3f s (%.1f/s), %u failed; clear to down avg %.1f ms, "
		            "max %.1f ms\n",
		            t.cleared, t.requested, c_.sessions.teardown_rate, t.seconds(),
		            t.seconds() > 0 ? t.cleared / t.seconds() : 0.0, t.failed, t.avg_ms, t.max_ms);
		for (auto &[why, n] : t.failures)
			std::printf("  %6u  %s\n", n, why.c_str());
		if (o_.json_path.empty())
			return;
		nlohmann::ordered_json j;
		j["rate"] = c_.sessions.teardown_rate;
		j["requested"] = t.requested;
		j["cleared"] = t.cleared;
		j["failed"] = t.failed;
		j["seconds"] = t.seconds();
		j["clears_per_s"] = t.seconds() > 0 ? t.cleared / t.seconds() : 0.0;
		j["avg_ms"] = t.avg_ms;
		j["max_ms"] = t.max_ms;
		nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
		for (auto &[why, n] : t.failures)
			reasons[why] = n;
		j["failures"] = reasons;
		json_["teardown"] = j;
	}

	// ---------------------------------------------------------------- progress and report
	struct snapshot {
		uint64_t tx = 0, tx_bytes = 0, rx = 0, rx_bytes = 0;
	};
	snapshot totals() const {
		snapshot s;
		for (auto &w : workers_) {
			s.tx += w->counters.tx_packets.load(std::memory_order_relaxed);
			s.tx_bytes += w->counters.tx_bytes.load(std::memory_order_relaxed);
			s.rx += w->counters.rx_measured.load(std::memory_order_relaxed);
			s.rx_bytes += w->counters.rx_bytes.load(std::memory_order_relaxed);
		}
		return s;
	}
	void snapshot_reset() {
		last_snap_ = totals();
		last_tick_ns_ = now_ns();
	}

	void progress() {
		const uint64_t now = now_ns();
		if (last_tick_ns_ == 0) {
			last_tick_ns_ = now;
			last_snap_ = totals();
			return;
		}
		if (now - last_tick_ns_ < 1'000'000'000ull)
			return;
		const double dt = seconds(last_tick_ns_, now);
		const snapshot s = totals();
		if (tty_) {
			const double txp = double(s.tx - last_snap_.tx) / dt, rxp = double(s.rx - last_snap_.rx) / dt;
			const double txb = double(s.tx_bytes - last_snap_.tx_bytes) * 8 / dt,
			             rxb = double(s.rx_bytes - last_snap_.rx_bytes) * 8 / dt;
			const double loss = s.tx ? 100.0 * (double(s.tx) - double(std::min(s.rx, s.tx))) / double(s.tx) : 0.0;
			if (o_.bench)
				std::fprintf(stderr, "\r\x1b[K%-9s TX %.3f Mpps %.3f Gbps", phase_, txp / 1e6, txb / 1e9);
			else
				std::fprintf(stderr,
				             "\r\x1b[K%-9s sessions %u up (+%.0f/s -%.0f/s) %u failed %u in setup | TX %.3f Mpps %.3f "
				             "Gbps | RX %.3f Mpps %.3f Gbps | loss %.3f%%",
				             phase_, calls_.up(), ups_since_tick_ / dt, downs_since_tick_ / dt, calls_.failed(),
				             calls_.outstanding(), txp / 1e6, txb / 1e9, rxp / 1e6, rxb / 1e9, loss);
			progress_shown_ = true;
		}
		ups_since_tick_ = downs_since_tick_ = 0;
		last_snap_ = s;
		last_tick_ns_ = now;
	}
	void end_progress() {
		if (progress_shown_)
			std::fputs("\n", stderr);
		progress_shown_ = false;
	}

	int print_report(run_result &rr) {
		thresholds th = c_.run.limits;
		report_ = build_report(rr, th, c_.run.traffic.report_top);
		std::string table = traffic_ran_ ? format_table(rr, report_) : std::string();
		bool pass = report_.pass;
		std::vector<std::string> extra_reasons;
		if (rr.sessions_up == 0) {
			extra_reasons.push_back("no session came up");
			pass = false;
		}
		if (interrupted_) {
			extra_reasons.push_back("interrupted");
			pass = false;
		}
		// Sessions and setup.
		if (c_.pseudowires())
			std::printf("pseudowires: %u static L2TPv3 sessions in %zu tunnels\n", rr.sessions_up, c_.pw_tunnels.size());
		else
			std::printf("sessions: %u requested, %u up, %u failed; setup %.3f s (%.1f/s); %u tunnels\n",
			            rr.sessions_requested, rr.sessions_up, calls_.failed(), setup_s_,
			            setup_s_ > 0 ? rr.sessions_up / setup_s_ : 0.0, calls_.tunnels_opened());
		if (!failures_.empty()) {
			std::printf("setup failures by reason:\n");
			for (auto &[why, n] : failures_)
				std::printf("  %6u  %s\n", n, why.c_str());
		}
		uint32_t dropped = 0;
		for (const call &c : calls_.calls())
			dropped += c.dropped_after_up;
		if (dropped)
			std::printf("sessions dropped by the LNS while up: %u\n", dropped);
		if (flap_cycles_done_)
			std::printf("flap: %u cycles, %" PRIu64 " setups in %.3f s (%.1f/s)\n", flap_cycles_done_, flap_setups_,
			            flap_setup_s_, flap_setup_s_ > 0 ? double(flap_setups_) / flap_setup_s_ : 0.0);
		if (flap_cycles_done_ && c_.sessions.teardown_rate > 0)
			std::printf("flap teardown: %.3f s in all at %.0f/s, %u failed\n", flap_teardown_s_,
			            c_.sessions.teardown_rate, flap_teardown_failed_);
		if (c_.sessions.proxy_lcp) {
			std::printf("proxy: LCP%s AVPs in %u setups: LCP taken by the LNS %u, renegotiated %u",
			            c_.sessions.proxy_auth ? " + authentication" : "", proxy_.setups, proxy_.lcp_taken,
			            proxy_.lcp_renegotiated);
			if (c_.sessions.proxy_auth)
				std::printf("; authentication taken %u, redone %u", proxy_.auth_taken, proxy_.auth_redone);
			std::printf("\n");
		}
		uint32_t v6_opened = 0, v6_sessions = 0;
		if (c_.sessions.enable_ipv6cp) {
			for (const call &c : calls_.calls()) {
				if (c.phase != call_phase::up)
					continue;
				++v6_sessions;
				const cp::ppp::ppp_link *l = cms_[c.lac]->link(c.tid, c.sid);
				if (l && l->ipv6cp_layer().fsm().is_opened() && l->local_iid() && l->peer_iid())
					++v6_opened;
			}
			std::printf("ipv6cp: interface identifiers negotiated on %u of %u sessions up\n", v6_opened, v6_sessions);
		}
		uint32_t v6_learned = 0;
		if (v6_streams()) {
			v6_learned = ipv6_learned_calls();
			std::printf("ipv6: addresses from Router Advertisements on %u of %u sessions up in %.3f s; RS sent %" PRIu64
			            ", RA received %" PRIu64 ", invalid %" PRIu64 ", without a /64 prefix %" PRIu64 "\n",
			            v6_learned, v6_sessions, v6_phase_s_, v6_counters_.rs_sent, v6_counters_.ra_received,
			            v6_counters_.ra_invalid, v6_counters_.ra_no_prefix);
		}
		const snapshot s = totals();
		uint64_t tx_failed = 0, alloc_failed = 0, rx_other = 0, ring_full = 0;
		for (auto &w : workers_) {
			tx_failed += w->counters.tx_failed.load();
			alloc_failed += w->counters.alloc_failed.load();
			rx_other += w->counters.rx_other.load();
			ring_full += w->counters.ctl_ring_full.load();
		}
		if (traffic_ran_) {
			std::printf("traffic: %.3f s, TX %" PRIu64 " frames (%" PRIu64 " bytes), NIC refused %" PRIu64
			            ", mbufs short %" PRIu64 "; RX not traffic %" PRIu64 "\n\n",
			            traffic_s_, s.tx, s.tx_bytes, tx_failed, alloc_failed, rx_other);
			std::fputs(table.c_str(), stdout);
		} else {
			std::printf("traffic: not run\n");
		}
		for (auto &r : extra_reasons)
			std::printf("  - %s\n", r.c_str());
		if (!traffic_ran_ || !extra_reasons.empty())
			std::printf("result: %s\n", pass ? "PASS" : "FAIL");
		std::fflush(stdout);
		if (!o_.json_path.empty()) {
			nlohmann::ordered_json j = to_json(rr, report_, th, o_.all_streams);
			nlohmann::ordered_json setup;
			setup["tunnels_opened"] = calls_.tunnels_opened();
			setup["tunnels_closed_clean"] = tunnels_closed_clean_;
			setup["failed"] = calls_.failed();
			setup["setup_s"] = setup_s_;
			setup["setups_per_s"] = setup_s_ > 0 ? rr.sessions_up / setup_s_ : 0.0;
			setup["dropped_after_up"] = dropped;
			nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
			for (auto &[why, n] : failures_)
				reasons[why] = n;
			setup["failures"] = reasons;
			if (flap_cycles_done_) {
				setup["flap_cycles"] = flap_cycles_done_;
				setup["flap_setups"] = flap_setups_;
				setup["flap_setup_s"] = flap_setup_s_;
				if (c_.sessions.teardown_rate > 0) {
					setup["flap_teardown_s"] = flap_teardown_s_;
					setup["flap_teardown_failed"] = flap_teardown_failed_;
				}
			}
			if (c_.sessions.proxy_lcp) {
				nlohmann::ordered_json p;
				p["auth"] = c_.sessions.proxy_auth;
				p["setups"] = proxy_.setups;
				p["lcp_taken"] = proxy_.lcp_taken;
				p["lcp_renegotiated"] = proxy_.lcp_renegotiated;
				if (c_.sessions.proxy_auth) {
					p["auth_taken"] = proxy_.auth_taken;
					p["auth_redone"] = proxy_.auth_redone;
				}
				setup["proxy"] = p;
			}
			if (c_.sessions.enable_ipv6cp)
				setup["ipv6cp"] = {{"sessions_up", v6_sessions}, {"opened", v6_opened}};
			if (v6_streams())
				setup["ipv6"] = {{"addresses", v6_learned},       {"learned", v6_counters_.learned},
				                 {"seconds", v6_phase_s_},
				                 {"rs_sent", v6_counters_.rs_sent}, {"ra_received", v6_counters_.ra_received},
				                 {"ra_invalid", v6_counters_.ra_invalid}, {"ra_no_prefix", v6_counters_.ra_no_prefix},
				                 {"prefix_changed", v6_counters_.prefix_changed}, {"other", v6_counters_.other},
				                 {"foreign", v6_counters_.foreign}, {"ra_mtu_min", v6_counters_.ra_mtu_min}};
			j["setup"] = setup;
			j["ports"] = {{"tx_frames", s.tx},         {"tx_bytes", s.tx_bytes},         {"tx_refused", tx_failed},
			              {"tx_no_mbuf", alloc_failed}, {"rx_measured", s.rx},            {"rx_not_traffic", rx_other},
			              {"control_ring_full", ring_full}, {"control_tx_dropped", ctl_tx_dropped_},
			              {"control_foreign", ctl_foreign_}};
			if (c_.access.rx_queues > 1 || c_.core.rx_queues > 1)
				for (auto &w : workers_)
					if (w->rx)
						j["ports"]["rx_measured_per_worker"].push_back(w->counters.rx_measured.load());
			j["result"]["pass"] = pass;
			for (auto &r : extra_reasons)
				j["result"]["reasons"].push_back(r);
			json_ = std::move(j); // written after the teardown
		}
		return pass ? exit_pass : exit_fail;
	}

	// ---------------------------------------------------------------- static pseudowires
	// A pseudowire run (docs/generator.md, "Pseudowires"): no control connection; the access
	// port carries L2TPv3 to and from the LNS, the core port the inner Ethernet frames to and
	// from its attachment port.
	void prepare_pseudowires() {
		for (const pw_tunnel_config &t : c_.pw_tunnels) {
			if (t.local.is_v6()) {
				ipv6_addr a;
				std::copy(t.local.bytes.begin(), t.local.bytes.end(), a.begin());
				if (std::find(pw_local6_.begin(), pw_local6_.end(), a) == pw_local6_.end())
					pw_local6_.push_back(a);
				ipv6_addr r;
				std::copy(t.remote.bytes.begin(), t.remote.bytes.end(), r.begin());
				pw_remote6_ = r; // validate(): one per family
			} else {
				const uint32_t a = load_be32(t.local.bytes.data());
				if (std::find(pw_local4_.begin(), pw_local4_.end(), a) == pw_local4_.end())
					pw_local4_.push_back(a);
				pw_remote4_ = load_be32(t.remote.bytes.data());
			}
			if (t.encap == cfg::l2tp_encap::ip)
				pw_rx_.ip_encap = true;
			else if (std::find(pw_rx_.udp_ports.begin(), pw_rx_.udp_ports.end(), t.udp_sport) == pw_rx_.udp_ports.end())
				pw_rx_.udp_ports.push_back(t.udp_sport);
		}
		for (const pw_session_config &s : c_.pw_sessions) {
			pw_rx_session r;
			r.session_id = s.session_id;
			r.cookie_len = uint8_t(s.cookie.size());
			std::copy(s.cookie.begin(), s.cookie.end(), r.cookie.begin());
			r.l2spec = s.l2spec;
			pw_rx_.sessions.push_back(r);
		}
		std::sort(pw_rx_.sessions.begin(), pw_rx_.sessions.end(),
		          [](const pw_rx_session &a, const pw_rx_session &b) { return a.session_id < b.session_id; });
	}

	int run_pseudowires() {
		if (!resolve_pw_neighbours())
			return exit_runtime;
		// The LNS has just heard our ARP/ND (or is about to ask): a static session there may
		// wait for our MAC before it takes data. One second of answering before the first
		// measured packet.
		hold(1000, "settle");
		run_result rr;
		traffic_phase(rr);
		const int rc = print_report(rr);
		if (!o_.json_path.empty()) {
			json_.erase("setup");
			nlohmann::ordered_json pws = nlohmann::ordered_json::array();
			for (const pw_session_config &s : c_.pw_sessions) {
				const pw_tunnel_config &t = *c_.pw_tunnel(s.tunnel_id);
				pws.push_back({{"session_id", s.session_id},
				               {"peer_session_id", s.peer_session_id},
				               {"encap", t.encap == cfg::l2tp_encap::udp ? "udp" : "ip"},
				               {"local", cfg::format_ip(t.local)},
				               {"remote", cfg::format_ip(t.remote)},
				               {"vlan", s.vlan}});
			}
			json_["pseudowires"] = pws;
			std::ofstream f(o_.json_path);
			f << json_.dump(2) << "\n";
			if (!f)
				std::fprintf(stderr, "l2tpx-gen: cannot write %s\n", o_.json_path.c_str());
		}
		return rc;
	}

	void handle_nd(uint16_t port, const nd_packet &n) {
		if (port == core_.id && port != no_port) {
			handle_core_nd(n);
			return;
		}
		if (port != access_.id)
			return;
		if (pw_remote6_ && !c_.access.lns_mac &&
		    ((n.type == nd_solicit && n.src == *pw_remote6_) || (n.type == nd_advert && n.target == *pw_remote6_)))
			access_nh6_mac_ = n.link_addr.value_or(n.eth_src);
		const ipv6_addr unspecified{};
		if (n.type == nd_solicit && n.src != unspecified &&
		    std::find(pw_local6_.begin(), pw_local6_.end(), n.target) != pw_local6_.end()) {
			uint8_t f[128];
			if (size_t len = build_neighbor_advert(f, n.link_addr.value_or(n.eth_src), n.src, access_.addr, n.target))
				send_frame(port, {f, len});
		}
	}

	// The LNS's MAC for each address family the tunnels use: ARP and ND (or access.lns_mac).
	bool resolve_pw_neighbours() {
		if (c_.access.lns_mac)
			access_nh_mac_ = access_nh6_mac_ = c_.access.lns_mac;
		const bool need4 = pw_remote4_ != 0, need6 = pw_remote6_.has_value();
		const uint64_t start = now_ns();
		uint64_t last = 0;
		while (!stop_.load()) {
			if ((!need4 || access_nh_mac_) && (!need6 || access_nh6_mac_))
				return true;
			const uint64_t now = now_ns();
			if (now - start > 10'000'000'000ull)
				break;
			if (now - last > 500'000'000ull) {
				last = now;
				if (need4 && !access_nh_mac_)
					send_arp(access_.id, access_.addr, 1, pw_local4_[0], mac{}, access_next_hop(), broadcast_mac);
				uint8_t f[128];
				if (need6 && !access_nh6_mac_)
					if (size_t n = build_neighbor_solicit(f, access_.addr, pw_local6_[0], *pw_remote6_))
						send_frame(access_.id, {f, n});
			}
			pump(1000);
		}
		if (need4 && !access_nh_mac_)
			std::fprintf(stderr, "l2tpx-gen: no ARP reply from %s on the access port (set access.lns_mac)\n",
			             format_ipv4(access_next_hop()).c_str());
		if (need6 && !access_nh6_mac_)
			std::fprintf(stderr, "l2tpx-gen: no neighbour advertisement from the IPv6 tunnel remote (set access.lns_mac)\n");
		return false;
	}

	bool prepare_pw_traffic(run_result &rr) {
		const traffic_config &tc = c_.run.traffic;
		const uint32_t n = uint32_t(c_.pw_sessions.size());
		auto plan = plan_streams(tc, n);
		if (!plan) {
			std::fprintf(stderr, "l2tpx-gen: traffic plan: %s\n", to_string(plan.error()));
			return false;
		}
		plan_ = std::make_unique<stream_plan>(std::move(*plan));
		std::vector<stream_info> infos = plan_->streams;
		for (auto &s : infos)
			s.session = c_.pw_sessions[s.session].session_id; // reported: the generator's session ID
		rr.set_streams(std::move(infos));
		std::vector<tx_template> ups(n), downs(n);
		const uint32_t core_ip = c_.core.addresses[0];
		for (uint32_t k = 0; k < n; ++k) {
			const pw_session_config &s = c_.pw_sessions[k];
			const pw_tunnel_config &t = *c_.pw_tunnel(s.tunnel_id);
			// The far side of the pseudowire: a made-up host per pseudowire (02:00:4c:33:k).
			const mac host{0x02, 0x00, 0x4c, 0x33, uint8_t(k >> 8), uint8_t(k)};
			const uint32_t host_ip = 0x64400000u + 10 + k; // 100.64.0.10 + k
			pw_upstream_params u;
			u.lns_mac = (t.local.is_v6() ? access_nh6_mac_ : access_nh_mac_).value_or(broadcast_mac);
			u.local_mac = access_.addr;
			u.local = t.local;
			u.remote = t.remote;
			u.udp = t.encap == cfg::l2tp_encap::udp;
			u.sport = t.udp_sport;
			u.dport = t.udp_dport;
			u.peer_session_id = s.peer_session_id;
			u.peer_cookie = s.peer_cookie;
			u.l2spec = s.l2spec;
			u.seq = s.seq_send;
			u.inner_dst = core_.addr;
			u.inner_src = host;
			u.vlan = s.vlan;
			u.src_ip = host_ip;
			u.dst_ip = core_ip;
			u.traffic_port = c_.core.udp_port;
			ups[k] = build_pw_upstream_template(u);
			pw_downstream_params d;
			d.dst = host;
			d.src = core_.addr;
			d.vlan = s.vlan;
			d.src_ip = core_ip;
			d.dst_ip = host_ip;
			d.traffic_port = c_.core.udp_port;
			downs[k] = build_pw_downstream_template(d);
		}
		const bool up_dir = tc.direction != traffic_direction::down, down_dir = tc.direction != traffic_direction::up;
		for (uint32_t w = 0; w < uint32_t(workers_.size()); ++w)
			arm_worker(w, tc, up_dir, down_dir, ups, downs);
		return true;
	}

	// ---------------------------------------------------------------- bench
	// TX only through the access port (net_null): fake sessions, upstream templates, the
	// same scheduler and fill path as a run; reports frames per second per worker.
	int bench() {
		const uint32_t n = o_.bench_sessions;
		run_result rr;
		traffic_config tc = c_.run.traffic;
		tc.direction = traffic_direction::up;
		auto plan = plan_streams(tc, n);
		if (!plan) {
			std::fprintf(stderr, "l2tpx-gen: traffic plan: %s\n", to_string(plan.error()));
			return exit_usage;
		}
		plan_ = std::make_unique<stream_plan>(std::move(*plan));
		std::vector<tx_template> ups(n);
		for (uint32_t k = 0; k < n; ++k) {
			upstream_params u;
			u.lns_mac = *c_.access.lns_mac;
			u.lac_mac = access_.addr;
			u.lac_ip = c_.access.lac_addresses[0];
			u.lns_ip = c_.access.lns;
			u.tunnel = uint16_t(1 + k / 1000);
			u.session = uint16_t(1 + k % 1000);
			u.data_sequence = c_.sessions.data_sequence;
			u.subscriber_ip = 0x64400000u + 10 + k;
			u.core_ip = c_.core.addresses[0];
			u.traffic_port = c_.core.udp_port;
			ups[k] = build_upstream_template(u);
		}
		const uint32_t W = uint32_t(workers_.size());
		for (uint32_t w = 0; w < W; ++w)
			arm_worker(w, tc, true, false, ups, {}); // no RX worker in a bench
		phase_ = "bench";
		const uint64_t t0 = now_ns();
		for (auto &w : workers_)
			w->cmd.store(int(worker_cmd::traffic), std::memory_order_release);
		auto done = [&] {
			for (auto &w : workers_)
				if (w->state.load(std::memory_order_acquire) < int(worker_state::tx_done))
					return false;
			return true;
		};
		while (!done() && !stop_.load())
			pump(1000);
		const double secs = seconds(t0, now_ns());
		end_progress();
		for (auto &w : workers_)
			w->cmd.store(int(worker_cmd::stop_measuring), std::memory_order_release);
		const std::vector<uint16_t> pattern = plan_->pattern;
		double mean = 0;
		for (uint16_t p : pattern)
			mean += p;
		mean /= double(pattern.size());
		std::printf("l2tpx-gen bench: %u sessions, %u worker(s), inner frames mean %.1f B (+%u B L2TP/PPP/UDP/IP), "
		            "%.3f s\n",
		            n, W, mean, upstream_overhead(c_.sessions.data_sequence), secs);
		std::printf("%-8s %14s %10s %10s %12s %10s\n", "worker", "frames", "Mpps", "Gbps(L1)", "lag resets", "no mbuf");
		nlohmann::ordered_json j;
		j["schema"] = "l2tpx-gen-bench/1";
		j["sessions"] = n;
		j["workers"] = W;
		j["mean_inner_frame"] = mean;
		j["data_sequence"] = c_.sessions.data_sequence;
		j["seconds"] = secs;
		uint64_t total = 0, total_bytes = 0;
		for (auto &w : workers_) {
			const uint64_t f = w->counters.tx_packets.load(), b = w->counters.tx_bytes.load();
			total += f;
			total_bytes += b;
			const double l1 = (double(b) + double(f) * 24) * 8 / secs / 1e9; // + FCS, preamble, IFG
			std::printf("%-8u %14" PRIu64 " %10.3f %10.3f %12" PRIu64 " %10" PRIu64 "\n", w->index, f,
			            double(f) / secs / 1e6, l1, w->sched->counters().lag_resets, w->counters.alloc_failed.load());
			j["per_worker_mpps"].push_back(double(f) / secs / 1e6);
		}
		const double l1 = (double(total_bytes) + double(total) * 24) * 8 / secs / 1e9;
		std::printf("%-8s %14" PRIu64 " %10.3f %10.3f\n", "total", total, double(total) / secs / 1e6, l1);
		j["frames"] = total;
		j["mpps"] = double(total) / secs / 1e6;
		j["gbps_l1"] = l1;
		std::printf("%s\n", j.dump().c_str());
		if (!o_.json_path.empty()) {
			std::ofstream f(o_.json_path);
			f << j.dump(2) << "\n";
		}
		return total > 0 ? exit_pass : exit_fail;
	}

	const gen_options &o_;
	const gen_config &c_;
	const std::atomic<bool> &stop_;
	bool eal_up_ = false, launched_ = false, tty_ = false, progress_shown_ = false;
	uint64_t hz_ = 1;
	rte_mempool *pool_ = nullptr;
	rte_ring *ctl_rx_ = nullptr, *ctl_tx_ = nullptr;
	port_info access_, core_;
	std::vector<std::unique_ptr<worker_ctx>> workers_;
	std::optional<mac> access_nh_mac_, core_nh_mac_;
	// Pseudowire runs: the tunnels' addresses, how workers read the access port, the LNS's
	// IPv6 MAC.
	pw_rx_table pw_rx_;
	std::vector<uint32_t> pw_local4_;
	std::vector<ipv6_addr> pw_local6_;
	uint32_t pw_remote4_ = 0;
	std::optional<ipv6_addr> pw_remote6_;
	std::optional<mac> access_nh6_mac_;
	// IPv6 streams over PPP: per call (index = call number - 1) the address learned, the
	// solicitations sent; the core port's IPv6 next hop.
	struct v6_call {
		bool have = false;     // addr formed from an RA
		bool pending = false;  // in v6_pending_
		ipv6_addr addr{};
		uint8_t rs_sent = 0;
		uint64_t next_rs_ns = 0, up_ns = 0;
	};
	std::vector<v6_call> v6_;
	std::vector<uint32_t> v6_pending_; // calls that may still send a solicitation
	uint32_t v6_have_ = 0;             // calls up with an address
	struct {
		uint64_t rs_sent = 0, ra_received = 0, ra_invalid = 0, ra_no_prefix = 0, learned = 0, prefix_changed = 0;
		uint64_t other = 0;   // other IPv6 from the LNS on a session (not an RA)
		uint64_t foreign = 0; // IPv6 for an unknown session
		uint32_t ra_mtu_min = 0; // the smallest MTU option seen (0: none)
	} v6_counters_;
	uint64_t v6_last_scan_ns_ = 0, v6_last_learned_ns_ = 0;
	double v6_phase_s_ = 0;
	std::optional<mac> core_nh6_mac_;
	uint16_t ip_id_ = 1;
	uint64_t ctl_tx_dropped_ = 0, ctl_foreign_ = 0;

	std::unique_ptr<cp::timer_service> timers_;
	cp::system_random rng_;
	cp::null_dataplane dp_;
	cp::ppp::ppp_link_config base_ppp_;
	std::vector<std::unique_ptr<cp::call_manager>> cms_;
	call_table calls_;
	std::map<std::string, uint32_t> failures_;
	uint32_t tunnels_closed_clean_ = 0;
	uint32_t ups_since_tick_ = 0, downs_since_tick_ = 0;
	double setup_s_ = 0, traffic_s_ = 0;
	bool tearing_down_ = false, flapping_ = false, interrupted_ = false, traffic_ran_ = false;
	uint32_t flap_cycles_done_ = 0;
	uint64_t flap_setups_ = 0;
	double flap_setup_s_ = 0;
	double flap_teardown_s_ = 0;
	uint32_t flap_teardown_failed_ = 0;
	std::optional<clear_result> teardown_; // paced teardown (sessions.teardown_rate)
	struct {
		uint32_t setups = 0, lcp_taken = 0, lcp_renegotiated = 0, auth_taken = 0, auth_redone = 0;
	} proxy_;
	const char *phase_ = "start";
	uint64_t last_tick_ns_ = 0;
	snapshot last_snap_;
	std::unique_ptr<stream_plan> plan_;
	gen::report report_;
	nlohmann::ordered_json json_;
};

} // namespace

int run_generator(const gen_options &o, const std::string &argv0, const std::atomic<bool> &stop) {
	generator g(o, stop);
	return g.run(argv0);
}

} // namespace l2tpx::gen::dpdk
