// Setup and teardown of the dataplane: packet pool, rings, RCU, tables, ports, workers.
#include "dataplane/runtime.hpp"

#include "dataplane/icmp_error.hpp"
#include "shared/config/config_loader.hpp"

#include "dataplane/eal_args.hpp"
#include "dataplane/path/punt_meta.hpp"
#include "dataplane/telemetry.hpp"
#include "shared/ring/ring_names.hpp"

#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <spdlog/spdlog.h>

#include <dirent.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstdio>
#include <cstring>

namespace l2tpx::dp {

// The packet paths write dp::punt_meta; the control plane reads ring::punt_meta. Until the
// paths use the shared definition directly, keep the two layouts identical.
static_assert(sizeof(punt_meta) == sizeof(ring::punt_meta));
static_assert(offsetof(punt_meta, reason) == offsetof(ring::punt_meta, reason));
static_assert(offsetof(punt_meta, in_port) == offsetof(ring::punt_meta, in_port));
static_assert(offsetof(punt_meta, l2tp_offset) == offsetof(ring::punt_meta, l2tp_offset));
static_assert(offsetof(punt_meta, payload_length) == offsetof(ring::punt_meta, payload_length));
static_assert(offsetof(punt_meta, tunnel_id) == offsetof(ring::punt_meta, tunnel_id));
static_assert(offsetof(punt_meta, session_index) == offsetof(ring::punt_meta, session_index));
static_assert(punt_meta_magic == ring::punt_meta_magic && punt_meta_version == ring::punt_meta_version);
static_assert(uint8_t(punt_reason::unknown_session) == uint8_t(ring::punt_reason::unknown_session));

std::atomic<bool> runtime::stop_{false};

runtime::~runtime() { teardown(); }

port_runtime *runtime::port_by_id(uint16_t id) noexcept { return id < max_ports ? by_id_[id] : nullptr; }

namespace {

template <typename T> T *zalloc(const char *name) {
	void *p = rte_zmalloc(name, sizeof(T), alignof(T) > RTE_CACHE_LINE_SIZE ? alignof(T) : RTE_CACHE_LINE_SIZE);
	return p ? new (p) T() : nullptr;
}

bool find_port(const std::string &devargs, uint16_t &id) {
	const std::string name = port_device_name(devargs);
	if (rte_eth_dev_get_port_by_name(name.c_str(), &id) == 0)
		return true;
	// PCI addresses may be written without the domain ("01:00.0" is "0000:01:00.0").
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid) {
		char n[RTE_ETH_NAME_MAX_LEN];
		if (rte_eth_dev_get_name_by_port(pid, n) != 0)
			continue;
		std::string s(n);
		if (s == name || (s.size() > name.size() && s.compare(s.size() - name.size(), name.size(), name) == 0 &&
		                  s[s.size() - name.size() - 1] == ':')) {
			id = pid;
			return true;
		}
	}
	return false;
}

port_role to_path_role(cfg::port_role r) {
	switch (r) {
	case cfg::port_role::access: return port_role::access;
	case cfg::port_role::core: return port_role::core;
	case cfg::port_role::attachment: return port_role::attachment;
	}
	return port_role::unused;
}

} // namespace

bool runtime::setup(const cfg::config &c, std::string &err) {
	conf_ = c;
	hz_ = rte_get_tsc_hz();
	boot_id_ = static_cast<uint32_t>(rte_rand());
	const auto &d = conf_.dataplane;

	uint16_t max_mtu = 1500;
	for (const auto &p : conf_.ports)
		max_mtu = std::max(max_mtu, p.mtu);
	const uint16_t data_room = static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + std::max(2048, max_mtu + 64));
	pool_ = rte_pktmbuf_pool_create(ring::pool_name, d.mbuf_pool_size, d.mbuf_cache_size, 0, data_room,
	                                static_cast<int>(rte_socket_id()));
	if (!pool_) {
		err = std::string("cannot create the mbuf pool (") + std::to_string(d.mbuf_pool_size) +
		      " mbufs): " + rte_strerror(rte_errno);
		return false;
	}
	if (!setup_workers(err) || !setup_rings(err))
		return false;

	const unsigned readers = static_cast<unsigned>(workers_.size());
	const size_t sz = rte_rcu_qsbr_get_memsize(readers);
	rcu_ = static_cast<rte_rcu_qsbr *>(rte_zmalloc("l2tpx_rcu", sz, RTE_CACHE_LINE_SIZE));
	if (!rcu_ || rte_rcu_qsbr_init(rcu_, readers) != 0) {
		err = "cannot set up RCU";
		return false;
	}
	tables_ = std::make_unique<tables>();
	if (!tables_->init(conf_, rcu_, main_polls_ ? main_->index : RTE_QSBR_THRID_INVALID, err))
		return false;
	std::vector<session_stats *> arrays;
	for (worker *w : workers_) {
		w->sstats = static_cast<session_stats *>(
		    rte_zmalloc("l2tpx_sstats", sizeof(session_stats) * d.session_capacity, RTE_CACHE_LINE_SIZE));
		if (!w->sstats) {
			err = "cannot allocate per-lcore session counters";
			return false;
		}
		arrays.push_back(w->sstats);
	}
	tables_->set_stats_arrays(arrays);
	tables_->mutable_view().punt_ring = punt_ring_;
	tables_->mutable_view().punt_unknown_sessions = d.punt_unknown_sessions;

	if (!setup_ports(err))
		return false;

	std::vector<port_addrs> addrs;
	for (auto *p : ports_) {
		port_addrs a;
		a.port_id = p->id;
		a.role = p->conf.role;
		std::memcpy(a.mac, p->mac, 6);
		a.addresses = p->conf.addresses;
		a.gateway4 = p->conf.gateway4;
		a.gateway6 = p->conf.gateway6;
		a.vlan = p->conf.vlan; // ARP/ND accepted and sent with the port's tag; core next hops push it
		addrs.push_back(a);
	}
	neigh_ = std::make_unique<neighbours>();
	if (!neigh_->init(conf_, addrs, tables_->mutable_view(), pool_, err))
		return false;
	const unsigned self = main_polls_ ? main_->index : RTE_QSBR_THRID_INVALID;
	neigh_->send = [this](uint16_t port, rte_mbuf *m) { return send_one(*main_, port, m); };
	neigh_->synchronize = [this, self] { rte_rcu_qsbr_synchronize(rcu_, self); };
	neigh_->changed = [this](uint16_t port) { tables_->next_hop_changed(port); };
	tables_->set_resolver({[this](uint16_t port, uint8_t family, const uint8_t *peer, uint8_t mac[6]) {
		                       return neigh_->resolve(port, family, peer, mac);
	                       },
	                       [this](uint16_t port, uint8_t mac[6]) {
		                       if (auto *p = port_by_id(port))
			                       std::memcpy(mac, p->mac, 6);
	                       }});
	// Reorder buffers: a fixed pool per polling lcore (dataplane.reorder_buffers, at most
	// session_capacity; about 250 bytes each), allocated here only. Sessions beyond it are
	// sequenced without reordering (reorder_overflow); 0 turns reordering off.
	const uint32_t reorder_slots = std::min(conf_.dataplane.session_capacity, conf_.dataplane.reorder_buffers);
	for (worker *w : workers_) {
		w->reorder = new reorder_pool;
		w->reorder->init(reorder_slots, w->index, hz_);
		w->ctx = path_ctx{&tables_->view(), &w->counters, w->sstats, w->reorder};
	}
	if (!main_polls_)
		main_->ctx = path_ctx{&tables_->view(), &main_->counters, nullptr};

	if (!install_static(err))
		return false;
	bool ring_stats = false;
	for (auto *p : ports_)
		ring_stats |= p->n_ring_fds != 0;
	if (ring_stats) {
		ring_alarm_.store(true);
		if (rte_eal_alarm_set(ring_stats_period_us, ring_stats_alarm, this) != 0) {
			ring_alarm_.store(false);
			spdlog::warn("cannot arm the AF_PACKET ring statistics alarm: kernel ring drops are read on demand only");
		}
	}
	if (d.telemetry)
		register_telemetry(*this);
	spdlog::info("dataplane ready: {} port(s), {} worker(s){}, {} sessions capacity, boot id {:08x}", ports_.size(),
	             workers_.size(), main_polls_ ? " (main lcore polls)" : "", d.session_capacity, boot_id_);
	return true;
}

bool runtime::setup_workers(std::string &err) {
	const auto &d = conf_.dataplane;
	const unsigned main_lcore = rte_get_main_lcore();
	if (main_lcore != d.main_lcore)
		spdlog::warn("EAL main lcore is {}, config says {}: using {}", main_lcore, d.main_lcore, main_lcore);
	if (d.worker_lcores.size() > max_workers) {
		err = "at most " + std::to_string(max_workers) + " worker lcores";
		return false;
	}
	main_ = zalloc<worker>("l2tpx_worker");
	if (!main_) {
		err = "out of memory for lcore state";
		return false;
	}
	main_->lcore = main_lcore;
	main_->is_main = true;
	for (uint32_t lc : d.worker_lcores) {
		if (lc == main_lcore || !rte_lcore_is_enabled(lc)) {
			err = "worker lcore " + std::to_string(lc) + " is not an enabled EAL worker lcore (check -l/--lcores)";
			return false;
		}
		worker *w = zalloc<worker>("l2tpx_worker");
		if (!w) {
			err = "out of memory for lcore state";
			return false;
		}
		w->lcore = lc;
		w->index = static_cast<unsigned>(workers_.size());
		w->polls = true;
		workers_.push_back(w);
	}
	if (workers_.empty()) {
		main_polls_ = true;
		main_->polls = true;
		main_->index = 0;
		workers_.push_back(main_);
	}
	return true;
}

bool runtime::setup_rings(std::string &err) {
	const auto &d = conf_.dataplane;
	const int socket = static_cast<int>(rte_socket_id());
	struct spec {
		rte_ring **r;
		const char *name;
		uint32_t size;
		unsigned esize; // 0: pointer ring
		unsigned flags;
	} specs[] = {
	    {&cmd_ring_, ring::command_ring_name, d.command_ring_size, sizeof(ring::command), RING_F_SC_DEQ},
	    {&evt_ring_, ring::event_ring_name, d.event_ring_size, sizeof(ring::event), RING_F_SP_ENQ | RING_F_SC_DEQ},
	    {&punt_ring_, ring::punt_ring_name, d.punt_ring_size, 0, RING_F_SC_DEQ},
	    {&inject_ring_, ring::inject_ring_name, d.inject_ring_size, 0, RING_F_SC_DEQ},
	    {&local_ring_, "l2tpx_local", 1024, 0, RING_F_SC_DEQ},
	    {&icmp_ring_, icmp_ring_name, 256, 0, RING_F_SC_DEQ},
	};
	for (auto &s : specs) {
		*s.r = s.esize ? rte_ring_create_elem(s.name, s.esize, s.size, socket, s.flags)
		               : rte_ring_create(s.name, s.size, socket, s.flags);
		if (!*s.r) {
			err = std::string("cannot create ring ") + s.name + ": " + rte_strerror(rte_errno);
			return false;
		}
	}
	if (workers_.size() > 1) {
		for (worker *w : workers_) {
			const std::string name = "l2tpx_spread" + std::to_string(w->index);
			w->spread_in = rte_ring_create(name.c_str(), d.spread_ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!w->spread_in) {
				err = "cannot create ring " + name + ": " + rte_strerror(rte_errno);
				return false;
			}
			spread_rings_.push_back(w->spread_in);
		}
	}
	return true;
}

bool runtime::setup_ports(std::string &err) {
	auto &view = tables_->mutable_view();
	for (const auto &pc : conf_.ports) {
		auto *p = zalloc<port_runtime>("l2tpx_port");
		if (!p) {
			err = "out of memory";
			return false;
		}
		ports_.push_back(p);
		p->conf = pc;
		if (!find_port(pc.devargs, p->id)) {
			std::string known;
			uint16_t pid;
			RTE_ETH_FOREACH_DEV(pid) {
				char n[RTE_ETH_NAME_MAX_LEN];
				if (rte_eth_dev_get_name_by_port(pid, n) == 0)
					known += std::string(known.empty() ? "" : ", ") + n;
			}
			err = "port \"" + pc.name + "\": no DPDK device \"" + port_device_name(pc.devargs) +
			      "\" (is it bound to a DPDK driver / spelled as EAL names it?); devices: " +
			      (known.empty() ? "none" : known);
			return false;
		}
		p->found = true;
		if (p->id >= max_ports) {
			err = "port \"" + pc.name + "\": DPDK port id above " + std::to_string(max_ports);
			return false;
		}
		for (auto *q : ports_)
			if (q != p && q->id == p->id) {
				p->found = false; // closed once, through q
				err = "ports \"" + q->conf.name + "\" and \"" + pc.name + "\" are the same device";
				return false;
			}
		by_id_[p->id] = p;
		if (!setup_port(*p, err))
			return false;
		// vlan: the paths drop frames without the port's tag (wrong_vlan) and the session
		// templates of this port carry it (tables::build_record).
		// verify_udp_checksum: unset means yes, but not on net_af_packet (config.hpp says why).
		rte_eth_dev_info info{};
		const bool af_packet = rte_eth_dev_info_get(p->id, &info) == 0 && info.driver_name &&
		                       std::strcmp(info.driver_name, "net_af_packet") == 0;
		const bool trust = !pc.verify_udp_checksum.value_or(!af_packet);
		view.ports[p->id] = port_info{to_path_role(pc.role), 0, pc.mtu, pc.vlan, static_cast<uint8_t>(trust)};
		if (pc.role == cfg::port_role::attachment && !tables_->add_attachment_port(p->id, err))
			return false;
		if (pc.role == cfg::port_role::access || pc.role == cfg::port_role::core) {
			for (const auto &a : pc.addresses) {
				if (a.address.is_v4() && view.local_v4_count < max_local_addrs)
					std::memcpy(&view.local_v4[view.local_v4_count++], a.address.bytes.data(), 4);
				else if (a.address.is_v6() && view.local_v6_count < max_local_addrs)
					std::memcpy(view.local_v6[view.local_v6_count++], a.address.bytes.data(), 16);
				else
					spdlog::warn("port {}: more than {} local addresses of one family; L2TP to {} is not accepted",
					             pc.name, max_local_addrs, cfg::format_ip(a.address));
			}
		}
	}
	// Distribute RX queues: queue i of an RSS port -> worker i; single-queue ports -> worker 0.
	for (auto *p : ports_) {
		if (p->rss) {
			for (uint16_t q = 0; q < p->nb_rxq; q++) {
				worker *w = workers_[q % workers_.size()];
				w->rxq[w->n_rxq++] = {p->id, q};
			}
		} else {
			worker *w = workers_[0];
			w->rxq[w->n_rxq++] = {p->id, 0};
			if (workers_.size() > 1)
				w->spreads = true;
		}
	}
	// TX queues: one per lcore that transmits (workers, then the main lcore).
	for (auto *p : ports_) {
		std::vector<worker *> tx_lcores = workers_;
		if (!main_polls_)
			tx_lcores.push_back(main_);
		for (size_t i = 0; i < tx_lcores.size(); i++)
			tx_lcores[i]->txq[p->id] = static_cast<uint16_t>(i % p->nb_txq);
	}
	for (auto *p : ports_) {
		int rc = rte_eth_dev_start(p->id);
		if (rc != 0) {
			err = "port \"" + p->conf.name + "\": start failed: " + rte_strerror(-rc);
			return false;
		}
		p->started = true;
		find_ring_sockets(*p);
		if (p->conf.role == cfg::port_role::attachment || p->conf.mac)
			rte_eth_promiscuous_enable(p->id); // PW ports carry every frame; overridden MACs need it
		spdlog::info("port {} (dpdk {}, {}): {} rx / {} tx queues{}{}, mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}{}",
		             p->conf.name, p->id, cfg::to_string(p->conf.role), p->nb_rxq, p->nb_txq,
		             p->rss ? " rss" : " (software distribution)", p->shared_txq ? ", shared tx queues" : "",
		             p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5],
		             p->conf.vlan ? ", vlan " + std::to_string(p->conf.vlan) : std::string());
	}
	return true;
}

bool runtime::setup_port(port_runtime &p, std::string &err) {
	const auto &d = conf_.dataplane;
	const std::string &name = p.conf.name;
	rte_eth_dev_info info{};
	int rc = rte_eth_dev_info_get(p.id, &info);
	if (rc != 0) {
		err = "port \"" + name + "\": cannot read device info: " + rte_strerror(-rc);
		return false;
	}
	const uint16_t pollers = static_cast<uint16_t>(workers_.size());
	const uint16_t tx_lcores = static_cast<uint16_t>(pollers + (main_polls_ ? 0 : 1));
	const bool can_rss = info.max_rx_queues >= pollers;
	switch (d.dist) {
	case cfg::distribution::rss:
		if (!can_rss) {
			err = "port \"" + name + "\": distribution = \"rss\" needs " + std::to_string(pollers) + " RX queues, device has " +
			      std::to_string(info.max_rx_queues);
			return false;
		}
		p.rss = true;
		break;
	case cfg::distribution::software: p.rss = pollers == 1; break;
	case cfg::distribution::automatic:
		p.rss = pollers == 1 || (can_rss && info.flow_type_rss_offloads != 0);
		break;
	}
	p.nb_rxq = p.rss ? pollers : 1;
	p.nb_txq = std::min<uint16_t>(tx_lcores, std::max<uint16_t>(1, info.max_tx_queues));
	p.shared_txq = p.nb_txq < tx_lcores;
	for (auto &l : p.txq_lock)
		rte_spinlock_init(&l);

	rte_eth_conf ec{};
	if (p.nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	const uint64_t csum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	ec.rxmode.offloads = info.rx_offload_capa & csum;
	if (p.conf.mtu <= info.max_mtu && p.conf.mtu >= info.min_mtu)
		ec.rxmode.mtu = p.conf.mtu;
	else
		spdlog::warn("port {}: MTU {} outside the device's {}..{}: left at default", name, p.conf.mtu, info.min_mtu,
		             info.max_mtu);
	rc = rte_eth_dev_configure(p.id, p.nb_rxq, p.nb_txq, &ec);
	if (rc != 0) {
		err = "port \"" + name + "\": configure failed: " + rte_strerror(-rc);
		return false;
	}
	uint16_t nb_rxd = d.rx_descriptors, nb_txd = d.tx_descriptors;
	rte_eth_dev_adjust_nb_rx_tx_desc(p.id, &nb_rxd, &nb_txd);
	const int socket = rte_eth_dev_socket_id(p.id);
	for (uint16_t q = 0; q < p.nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p.id, q, nb_rxd, socket < 0 ? SOCKET_ID_ANY : unsigned(socket), nullptr, pool_);
		if (rc != 0) {
			err = "port \"" + name + "\": RX queue setup failed: " + rte_strerror(-rc);
			return false;
		}
	}
	for (uint16_t q = 0; q < p.nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(p.id, q, nb_txd, socket < 0 ? SOCKET_ID_ANY : unsigned(socket), nullptr);
		if (rc != 0) {
			err = "port \"" + name + "\": TX queue setup failed: " + rte_strerror(-rc);
			return false;
		}
	}
	if (p.conf.mac) {
		rte_ether_addr a;
		std::memcpy(a.addr_bytes, p.conf.mac->data(), 6);
		rc = rte_eth_dev_default_mac_addr_set(p.id, &a);
		if (rc != 0)
			spdlog::warn("port {}: cannot set MAC ({}); frames are sent with it anyway (promiscuous)", name,
			             rte_strerror(-rc));
		std::memcpy(p.mac, p.conf.mac->data(), 6);
	} else {
		rte_ether_addr a;
		rte_eth_macaddr_get(p.id, &a);
		if (rte_is_zero_ether_addr(&a)) { // e.g. net_ring: make up a locally administered one
			rte_eth_random_addr(a.addr_bytes);
			rte_eth_dev_default_mac_addr_set(p.id, &a);
			spdlog::warn("port {}: device has no MAC; using random {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} (set port.mac)",
			             name, a.addr_bytes[0], a.addr_bytes[1], a.addr_bytes[2], a.addr_bytes[3], a.addr_bytes[4],
			             a.addr_bytes[5]);
		}
		std::memcpy(p.mac, a.addr_bytes, 6);
	}
	return true;
}

// --- net_af_packet kernel ring drops ----------------------------------------------------------
//
// DPDK 22.11's af_packet PMD reports no imissed and no xstats: it never reads the sockets'
// PACKET_STATISTICS, where the kernel counts frames it dropped because the RX ring (the
// PMD's `framecnt` frames) was full. The sockets belong to this process: they are found as
// the packet sockets bound to the port's interface index (/proc/net/packet, same network
// namespace) whose inode is one of our file descriptors (/proc/self/fd). The kernel resets
// the 32-bit counters on each read, so they are read every second and summed in 64 bits.

void runtime::find_ring_sockets(port_runtime &p) {
	rte_eth_dev_info info{};
	if (rte_eth_dev_info_get(p.id, &info) != 0 || !info.driver_name ||
	    std::strcmp(info.driver_name, "net_af_packet") != 0 || info.if_index == 0)
		return;
	std::vector<unsigned long> inodes;
	if (std::FILE *f = std::fopen("/proc/net/packet", "r")) {
		char line[256];
		// sk RefCnt Type Proto Iface R Rmem User Inode
		while (std::fgets(line, sizeof(line), f)) {
			char sk[32];
			unsigned refcnt, type, proto, iface, running, rmem, user;
			unsigned long inode;
			if (std::sscanf(line, "%31s %u %u %x %u %u %u %u %lu", sk, &refcnt, &type, &proto, &iface, &running, &rmem,
			                &user, &inode) == 9 &&
			    iface == info.if_index)
				inodes.push_back(inode);
		}
		std::fclose(f);
	}
	if (DIR *dir = inodes.empty() ? nullptr : opendir("/proc/self/fd")) {
		while (dirent *e = readdir(dir)) {
			char path[300], target[64];
			std::snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
			const ssize_t n = readlink(path, target, sizeof(target) - 1);
			unsigned long inode;
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (std::sscanf(target, "socket:[%lu]", &inode) != 1 ||
			    std::find(inodes.begin(), inodes.end(), inode) == inodes.end())
				continue;
			tpacket_stats st{};
			socklen_t len = sizeof(st);
			const int fd = std::atoi(e->d_name);
			// The first read also clears what the kernel counted before the port started.
			if (p.n_ring_fds < port_runtime::max_ring_fds &&
			    getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
				p.ring_fds[p.n_ring_fds++] = fd;
		}
		closedir(dir);
	}
	if (p.n_ring_fds == 0)
		spdlog::warn("port {}: cannot find the AF_PACKET sockets of {} (interface index {}): kernel ring drops are "
		             "not counted", p.conf.name, info.driver_name, info.if_index);
	else
		spdlog::debug("port {}: {} AF_PACKET socket(s) for kernel ring statistics", p.conf.name, p.n_ring_fds);
}

void runtime::read_ring_stats() noexcept {
	rte_spinlock_lock(&ring_stats_lock_); // the alarm thread and telemetry may both call it
	for (auto *p : ports_)
		for (unsigned i = 0; i < p->n_ring_fds; i++) {
			tpacket_stats st{};
			socklen_t len = sizeof(st);
			if (getsockopt(p->ring_fds[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
				continue;
			p->kernel_ring_drops.fetch_add(st.tp_drops, std::memory_order_relaxed);
			p->kernel_ring_packets.fetch_add(st.tp_packets, std::memory_order_relaxed);
		}
	rte_spinlock_unlock(&ring_stats_lock_);
}

void runtime::ring_stats_alarm(void *arg) {
	auto *rt = static_cast<runtime *>(arg);
	if (!rt->ring_alarm_.load())
		return;
	rt->read_ring_stats();
	if (rte_eal_alarm_set(ring_stats_period_us, ring_stats_alarm, rt) != 0)
		rt->ring_alarm_.store(false);
}

bool runtime::install_static(std::string &err) {
	std::lock_guard lock(tables_->mutex());
	for (const auto &t : conf_.static_tunnels) {
		const cfg::port_config *pc = conf_.find_port(t.port);
		port_runtime *pr = nullptr;
		for (auto *p : ports_)
			if (p->conf.name == pc->name)
				pr = p;
		auto r = tables_->add_tunnel(static_tunnel_params(t, pr->id), true);
		if (r.st != ring::status::ok) {
			err = "static_tunnel " + std::to_string(t.tunnel_id) + " (line " + std::to_string(t.line) +
			      "): " + ring::to_string(r.st) + ": " + r.detail;
			return false;
		}
		// Its local UDP port takes L2TP too: add_tunnel() registers it.
	}
	for (const auto &s : conf_.static_sessions) {
		const cfg::static_tunnel *t = nullptr;
		for (const auto &st : conf_.static_tunnels)
			if (st.tunnel_id == s.tunnel_id)
				t = &st;
		uint16_t access = 0, attach = 0;
		for (auto *p : ports_) {
			if (p->conf.name == t->port)
				access = p->id;
			if (p->conf.name == s.attachment_port)
				attach = p->id;
		}
		auto r = tables_->add_session(static_session_params(s, *t, access, attach), true);
		if (r.st != ring::status::ok) {
			err = "static_session " + std::to_string(s.session_id) + " (line " + std::to_string(s.line) +
			      "): " + ring::to_string(r.st) + ": " + r.detail;
			if (r.st == ring::status::index_busy)
				err += " (session IDs of one table index: session_id & " +
				       std::to_string(tables_->session_capacity() - 1) + " must differ)";
			return false;
		}
		if (!r.detail.empty())
			spdlog::info("static_session {}: {}", s.session_id, r.detail);
	}
	return true;
}

void runtime::teardown() {
	if (torn_down_)
		return;
	torn_down_ = true;
	unregister_telemetry();
	if (ring_alarm_.exchange(false))
		rte_eal_alarm_cancel(ring_stats_alarm, this); // waits for a running callback
	for (auto *p : ports_) {
		p->n_ring_fds = 0; // the PMD closes its sockets when the port stops
		if (p->started) {
			rte_eth_dev_stop(p->id);
			p->started = false;
		}
		if (p->found)
			rte_eth_dev_close(p->id);
	}
	// Frames still held: TX buffers, rings.
	auto drain = [](rte_ring *r) {
		if (!r)
			return;
		void *m;
		while (rte_ring_dequeue(r, &m) == 0)
			rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
	};
	std::vector<worker *> all = workers_;
	if (main_ && !main_polls_)
		all.push_back(main_);
	for (worker *w : all) {
		for (auto &b : w->tx) {
			rte_pktmbuf_free_bulk(b.pkts, b.n);
			b.n = 0;
		}
		delete w->reorder; // frees the packets it still holds
		w->reorder = nullptr;
		w->ctx.reorder = nullptr;
	}
	drain(punt_ring_);
	drain(inject_ring_);
	drain(local_ring_);
	drain(icmp_ring_);
	for (rte_ring *r : spread_rings_) {
		drain(r);
		rte_ring_free(r);
	}
	spread_rings_.clear();
	// Freeing memory releases hugepages, and DPDK unmaps released pages in every attached
	// secondary too: a control plane still polling the rings would crash. Ask it first; it
	// answers once it no longer touches them (no secondary, or none that knows the
	// request: the call returns at once or after the timeout).
	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		rte_mp_msg req{};
		std::snprintf(req.name, sizeof(req.name), "%s", ring::detach_request_name);
		struct rte_mp_reply reply{};
		timespec ts{1, 0};
		if (rte_mp_request_sync(&req, &reply, &ts) == 0) {
			if (reply.nb_received > 0)
				spdlog::info("{} secondary process(es) detached", reply.nb_received);
			std::free(reply.msgs);
		}
	}
	neigh_.reset();
	tables_.reset();
	rte_ring_free(cmd_ring_);
	rte_ring_free(evt_ring_);
	rte_ring_free(punt_ring_);
	rte_ring_free(inject_ring_);
	rte_ring_free(local_ring_);
	rte_ring_free(icmp_ring_);
	cmd_ring_ = evt_ring_ = punt_ring_ = inject_ring_ = local_ring_ = icmp_ring_ = nullptr;
	for (worker *w : all) {
		rte_free(w->sstats);
		rte_free(w);
	}
	workers_.clear();
	main_ = nullptr;
	for (auto *p : ports_) {
		p->~port_runtime();
		rte_free(p);
	}
	ports_.clear();
	std::fill(std::begin(by_id_), std::end(by_id_), nullptr);
	rte_free(rcu_);
	rcu_ = nullptr;
	rte_mempool_free(pool_);
	pool_ = nullptr;
}

} // namespace l2tpx::dp
