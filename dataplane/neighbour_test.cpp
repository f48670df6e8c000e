// Unit tests of the neighbour table (dataplane/neighbour.hpp) with EAL in-process
// (--no-huge, no ports): frames go out through the `send` hook into a vector. Time is the
// TSC value passed to tick(), so aging needs no sleeping.
//   - ARP and ND on a VLAN port: tagged requests answered with the tag, untagged or
//     other-VLAN frames counted wrong_vlan; requests we send carry the tag; core next hops
//     get it as the tag to push.
//   - connected routes: a core port's prefix routes to a glean slot (valid 0), a learned
//     /32 wins, the gateway stays the default; glean() resolves on-link hosts, bounded.
//   - aging: reachable → stale (unicast re-confirmation) → deleted; static entries stay.
#include "dataplane/neighbour.hpp"
#include "shared/base/byteorder.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_mbuf.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace l2tpx;
using namespace l2tpx::dp;

namespace {

rte_mempool *g_pool = nullptr;

// ICMPv6 checksum of a 32-byte NS/NA (with one 8-byte option) is valid.
bool icmp6_ok(const uint8_t *ip6) {
	const auto *h = reinterpret_cast<const rte_ipv6_hdr *>(ip6);
	uint32_t sum = uint32_t(rte_ipv6_phdr_cksum(h, 0)) + rte_raw_cksum(ip6 + 40, 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

cfg::ip_prefix pfx(const char *a, uint8_t len) {
	cfg::ip_prefix p;
	if (inet_pton(AF_INET, a, p.address.bytes.data()) == 1) {
		p.address.family = 4;
	} else {
		EXPECT_EQ(inet_pton(AF_INET6, a, p.address.bytes.data()), 1) << a;
		p.address.family = 6;
	}
	p.length = len;
	return p;
}
std::array<uint8_t, 16> ip(const char *a) { return pfx(a, 0).address.bytes; }

constexpr uint8_t mac_access[6] = {0x02, 0, 0, 0, 0xaa, 0x01};
constexpr uint8_t mac_core[6] = {0x02, 0, 0, 0, 0xcc, 0x01};
constexpr uint8_t mac_peer[6] = {0x02, 0, 0, 0, 0x11, 0x22};
constexpr uint8_t mac_host[6] = {0x02, 0, 0, 0, 0x33, 0x44};

struct fixture : ::testing::Test {
	tables_view view{};
	rte_lpm *lpm = nullptr;
	rte_lpm6 *lpm6 = nullptr;
	neighbours n;
	std::vector<std::pair<uint16_t, std::vector<uint8_t>>> sent;
	cfg::config conf;
	uint64_t hz = rte_get_tsc_hz();

	// Port 0: access on VLAN 100 (192.0.2.1/24, 2001:db8::1/64); port 1: core, untagged,
	// 10.20.0.1/16 with gateway 10.20.0.254 and 2001:db8:c::1/64.
	void SetUp() override {
		static int seq = 0;
		const std::string name = "nt" + std::to_string(seq++);
		rte_lpm_config lc{};
		lc.max_rules = 1024;
		lc.number_tbl8s = 256;
		lpm = rte_lpm_create(name.c_str(), SOCKET_ID_ANY, &lc);
		ASSERT_NE(lpm, nullptr);
		rte_lpm6_config l6{};
		l6.max_rules = 1024;
		l6.number_tbl8s = 1024;
		lpm6 = rte_lpm6_create((name + "6").c_str(), SOCKET_ID_ANY, &l6);
		ASSERT_NE(lpm6, nullptr);
		view.core_v4 = lpm;
		view.core_v6 = lpm6;
		std::vector<port_addrs> ports(2);
		ports[0].port_id = 0;
		ports[0].role = cfg::port_role::access;
		std::memcpy(ports[0].mac, mac_access, 6);
		ports[0].addresses = {pfx("192.0.2.1", 24), pfx("2001:db8::1", 64)};
		ports[0].vlan = 100;
		ports[1].port_id = 1;
		ports[1].role = cfg::port_role::core;
		std::memcpy(ports[1].mac, mac_core, 6);
		ports[1].addresses = {pfx("10.20.0.1", 16), pfx("2001:db8:c::1", 64)};
		ports[1].gateway4 = pfx("10.20.0.254", 32).address;
		conf.ports.resize(2);
		cfg::static_neighbour sn;
		sn.address = pfx("10.20.0.9", 32).address;
		sn.mac = {0x02, 0, 0, 0, 0x99, 0x99};
		conf.ports[1].neighbours.push_back(sn);
		std::string err;
		ASSERT_TRUE(n.init(conf, ports, view, g_pool, err)) << err;
		n.send = [this](uint16_t port, rte_mbuf *m) {
			const auto *d = rte_pktmbuf_mtod(m, const uint8_t *);
			sent.emplace_back(port, std::vector<uint8_t>(d, d + rte_pktmbuf_data_len(m)));
			rte_pktmbuf_free(m);
			return true;
		};
		n.synchronize = [] {};
	}
	void TearDown() override {
		rte_lpm_free(lpm);
		rte_lpm6_free(lpm6);
	}

	rte_mbuf *frame(const std::vector<uint8_t> &bytes) {
		rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
		EXPECT_NE(m, nullptr);
		std::memcpy(rte_pktmbuf_append(m, uint16_t(bytes.size())), bytes.data(), bytes.size());
		return m;
	}
	static std::vector<uint8_t> eth(const uint8_t *dst, const uint8_t *src, uint16_t vlan, uint16_t type) {
		std::vector<uint8_t> f(dst, dst + 6);
		f.insert(f.end(), src, src + 6);
		if (vlan) {
			f.insert(f.end(), {0x81, 0x00, uint8_t(vlan >> 8), uint8_t(vlan)});
		}
		f.insert(f.end(), {uint8_t(type >> 8), uint8_t(type)});
		return f;
	}
	static std::vector<uint8_t> arp(uint16_t vlan, uint16_t op, const uint8_t *sha, const char *sip, const char *tip) {
		static constexpr uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		auto f = eth(bcast, sha, vlan, 0x0806);
		f.insert(f.end(), {0, 1, 8, 0, 6, 4, 0, uint8_t(op)});
		f.insert(f.end(), sha, sha + 6);
		auto s = ip(sip), t = ip(tip);
		f.insert(f.end(), s.begin(), s.begin() + 4);
		f.insert(f.end(), 6, 0);
		f.insert(f.end(), t.begin(), t.begin() + 4);
		return f;
	}
	// Neighbour solicitation from `src` (with a source link-layer option) for `target`.
	static std::vector<uint8_t> ns(uint16_t vlan, const uint8_t *smac, const char *src, const char *target) {
		static constexpr uint8_t mc[6] = {0x33, 0x33, 0xff, 0, 0, 1};
		auto f = eth(mc, smac, vlan, 0x86dd);
		const size_t ip_off = f.size();
		f.resize(ip_off + 40 + 32);
		uint8_t *h = f.data() + ip_off;
		h[0] = 0x60;
		store_be16(h + 4, 32);
		h[6] = 58;
		h[7] = 255;
		auto s = ip(src), t = ip(target);
		std::memcpy(h + 8, s.data(), 16);
		const uint8_t sn[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15]};
		std::memcpy(h + 24, sn, 16);
		uint8_t *icmp = h + 40;
		icmp[0] = 135;
		std::memcpy(icmp + 8, t.data(), 16);
		icmp[24] = 1;
		icmp[25] = 1;
		std::memcpy(icmp + 26, smac, 6);
		const uint16_t c = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr *>(h), icmp);
		std::memcpy(icmp + 2, &c, 2);
		return f;
	}
};

TEST(neighbour_l2, parse_eth_header) {
	const uint8_t untagged[14] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06};
	eth_header l;
	ASSERT_TRUE(parse_eth_header(untagged, 14, l));
	EXPECT_EQ(l.vlan, 0);
	EXPECT_EQ(l.ether_type, 0x0806);
	EXPECT_EQ(l.length, 14);
	EXPECT_FALSE(parse_eth_header(untagged, 13, l));
	const uint8_t tagged[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0x00, 0xe0, 0x64, 0x86, 0xdd};
	ASSERT_TRUE(parse_eth_header(tagged, 18, l));
	EXPECT_EQ(l.vlan, 100); // priority bits ignored
	EXPECT_EQ(l.ether_type, 0x86dd);
	EXPECT_EQ(l.length, 18);
	EXPECT_FALSE(parse_eth_header(tagged, 17, l));
	const uint8_t qinq[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00};
	EXPECT_FALSE(parse_eth_header(qinq, 18, l));
}

TEST_F(fixture, arp_on_a_vlan_port) {
	// Tagged request for our address: answered with the same tag, sender learned.
	n.input_arp(0, frame(arp(100, 1, mac_peer, "192.0.2.2", "192.0.2.1")));
	ASSERT_EQ(sent.size(), 1u);
	const auto &r = sent[0].second;
	ASSERT_EQ(r.size(), 18u + 28u);
	EXPECT_EQ(std::memcmp(r.data(), mac_peer, 6), 0);
	EXPECT_EQ(std::memcmp(r.data() + 6, mac_access, 6), 0);
	EXPECT_EQ(load_be16(r.data() + 12), 0x8100);
	EXPECT_EQ(load_be16(r.data() + 14), 100);
	EXPECT_EQ(load_be16(r.data() + 16), 0x0806);
	EXPECT_EQ(load_be16(r.data() + 18 + 6), 2); // reply
	EXPECT_EQ(std::memcmp(r.data() + 18 + 8, mac_access, 6), 0);
	EXPECT_EQ(n.replies_sent, 1u);
	uint8_t mac[6];
	const auto peer = ip("192.0.2.2");
	ASSERT_TRUE(n.resolve(0, 4, peer.data(), mac));
	EXPECT_EQ(std::memcmp(mac, mac_peer, 6), 0);

	// Untagged, or another VLAN, on the VLAN port: not ours.
	n.input_arp(0, frame(arp(0, 1, mac_host, "192.0.2.3", "192.0.2.1")));
	n.input_arp(0, frame(arp(101, 1, mac_host, "192.0.2.3", "192.0.2.1")));
	EXPECT_EQ(sent.size(), 1u);
	EXPECT_EQ(n.wrong_vlan, 2u);
	// Tagged on the untagged core port: not ours either.
	n.input_arp(1, frame(arp(100, 1, mac_host, "10.20.0.3", "10.20.0.1")));
	EXPECT_EQ(sent.size(), 1u);
	EXPECT_EQ(n.wrong_vlan, 3u);
	// Untagged on the core port: answered untagged.
	n.input_arp(1, frame(arp(0, 1, mac_host, "10.20.0.3", "10.20.0.1")));
	ASSERT_EQ(sent.size(), 2u);
	EXPECT_EQ(sent[1].second.size(), 14u + 28u);
	EXPECT_EQ(load_be16(sent[1].second.data() + 12), 0x0806);
	EXPECT_EQ(n.bad_arp, 0u);

	// Resolution on the VLAN port: a tagged broadcast request from our address.
	const auto other = ip("192.0.2.50");
	EXPECT_FALSE(n.resolve(0, 4, other.data(), mac));
	ASSERT_EQ(sent.size(), 3u);
	const auto &q = sent[2].second;
	ASSERT_EQ(q.size(), 18u + 28u);
	EXPECT_EQ(q[0], 0xff);
	EXPECT_EQ(load_be16(q.data() + 14), 100);
	EXPECT_EQ(load_be16(q.data() + 18 + 6), 1);
	EXPECT_EQ(std::memcmp(q.data() + 18 + 14, ip("192.0.2.1").data(), 4), 0);
	EXPECT_EQ(std::memcmp(q.data() + 18 + 24, other.data(), 4), 0);
	// Its tagged reply resolves it.
	n.input_arp(0, frame(arp(100, 2, mac_host, "192.0.2.50", "192.0.2.1")));
	ASSERT_TRUE(n.resolve(0, 4, other.data(), mac));
	EXPECT_EQ(std::memcmp(mac, mac_host, 6), 0);
}

TEST_F(fixture, nd_on_a_vlan_port) {
	rte_mbuf *m = frame(ns(100, mac_peer, "2001:db8::2", "2001:db8::1"));
	ASSERT_TRUE(n.input_nd(0, m));
	ASSERT_EQ(sent.size(), 1u);
	const auto &a = sent[0].second;
	ASSERT_EQ(a.size(), 18u + 40u + 32u);
	EXPECT_EQ(std::memcmp(a.data(), mac_peer, 6), 0);
	EXPECT_EQ(load_be16(a.data() + 14), 100);
	EXPECT_EQ(load_be16(a.data() + 16), 0x86dd);
	const auto *h = reinterpret_cast<const rte_ipv6_hdr *>(a.data() + 18);
	const uint8_t *icmp = a.data() + 18 + 40;
	EXPECT_EQ(icmp[0], 136);
	EXPECT_EQ(h->hop_limits, 255);
	EXPECT_TRUE(icmp6_ok(a.data() + 18));
	EXPECT_EQ(std::memcmp(icmp + 8, ip("2001:db8::1").data(), 16), 0);
	EXPECT_EQ(std::memcmp(icmp + 26, mac_access, 6), 0);
	uint8_t mac[6];
	const auto peer = ip("2001:db8::2");
	ASSERT_TRUE(n.resolve(0, 6, peer.data(), mac));
	EXPECT_EQ(std::memcmp(mac, mac_peer, 6), 0);

	// Untagged NS on the VLAN port: consumed, counted, not answered.
	EXPECT_TRUE(n.input_nd(0, frame(ns(0, mac_host, "2001:db8::3", "2001:db8::1"))));
	EXPECT_EQ(sent.size(), 1u);
	EXPECT_EQ(n.wrong_vlan, 1u);
	EXPECT_EQ(n.bad_nd, 0u);
	// Not ND at all (tagged IPv4): left to the caller.
	rte_mbuf *v4 = frame(eth(mac_access, mac_host, 100, 0x0800));
	EXPECT_FALSE(n.input_nd(0, v4));
	rte_pktmbuf_free(v4);

	// Resolution: a tagged NS to the solicited-node address.
	const auto other = ip("2001:db8::77");
	EXPECT_FALSE(n.resolve(0, 6, other.data(), mac));
	ASSERT_EQ(sent.size(), 2u);
	const auto &q = sent[1].second;
	ASSERT_EQ(q.size(), 18u + 40u + 32u);
	EXPECT_EQ(q[0], 0x33);
	EXPECT_EQ(q[5], 0x77);
	EXPECT_EQ(load_be16(q.data() + 14), 100);
	EXPECT_EQ(q[18 + 40], 135);
	EXPECT_TRUE(icmp6_ok(q.data() + 18));
}

TEST_F(fixture, connected_routes) {
	ASSERT_EQ(n.connected_routes().size(), 2u); // core IPv4 /16 and IPv6 /64; none for access
	uint32_t hop = 0;
	// An on-link host: the glean slot of the core port, not resolved.
	ASSERT_EQ(rte_lpm_lookup(lpm, load_be32(ip("10.20.3.4").data()), &hop), 0);
	EXPECT_EQ(hop, n.connected_routes()[0].slot);
	EXPECT_EQ(view.neighbours[hop].valid, 0);
	EXPECT_EQ(view.neighbours[hop].port, 1);
	EXPECT_EQ(std::memcmp(view.neighbours[hop].src_mac, mac_core, 6), 0);
	// Off-link: no route here (the path uses the gateway's default_nh_v4).
	EXPECT_NE(rte_lpm_lookup(lpm, load_be32(ip("8.8.8.8").data()), &hop), 0);
	uint32_t hop6 = 0;
	ASSERT_EQ(rte_lpm6_lookup(lpm6, ip("2001:db8:c::5").data(), &hop6), 0);
	EXPECT_EQ(hop6, n.connected_routes()[1].slot);
	// The static neighbour's /32 wins over the connected route.
	ASSERT_EQ(rte_lpm_lookup(lpm, load_be32(ip("10.20.0.9").data()), &hop), 0);
	EXPECT_EQ(view.neighbours[hop].valid, 1);
	EXPECT_EQ(view.neighbours[hop].dst_mac[4], 0x99);

	// glean(): the first packet starts resolution (one ARP request), the next ones do not.
	uint8_t mac[6];
	const auto h = ip("10.20.3.4");
	EXPECT_FALSE(n.glean(1, 4, h.data(), mac));
	EXPECT_FALSE(n.glean(1, 4, h.data(), mac));
	ASSERT_EQ(sent.size(), 1u);
	EXPECT_EQ(sent[0].first, 1);
	EXPECT_EQ(sent[0].second.size(), 14u + 28u);
	EXPECT_EQ(std::memcmp(sent[0].second.data() + 14 + 24, h.data(), 4), 0);
	EXPECT_EQ(n.gleans, 1u);
	// Not on-link, ours, or not a core port: nothing.
	EXPECT_FALSE(n.glean(1, 4, ip("8.8.8.8").data(), mac));
	EXPECT_FALSE(n.glean(1, 4, ip("10.20.0.1").data(), mac));
	EXPECT_FALSE(n.glean(0, 4, ip("192.0.2.9").data(), mac));
	EXPECT_EQ(sent.size(), 1u);
	// The reply: a /32 for the host (valid slot), glean() now gives the MAC.
	n.input_arp(1, frame(arp(0, 2, mac_host, "10.20.3.4", "10.20.0.1")));
	ASSERT_TRUE(n.glean(1, 4, h.data(), mac));
	EXPECT_EQ(std::memcmp(mac, mac_host, 6), 0);
	ASSERT_EQ(rte_lpm_lookup(lpm, load_be32(h.data()), &hop), 0);
	EXPECT_EQ(view.neighbours[hop].valid, 1);
	EXPECT_EQ(std::memcmp(view.neighbours[hop].dst_mac, mac_host, 6), 0);
	EXPECT_EQ(view.neighbours[hop].vlan, 0);
}

TEST_F(fixture, glean_is_bounded_and_unanswered_entries_go) {
	uint8_t mac[6];
	const size_t before = n.size();
	for (uint32_t i = 0; i < neighbours::max_gleaning + 50; i++) {
		uint8_t a[4] = {10, 20, uint8_t(100 + i / 250), uint8_t(1 + i % 250)};
		EXPECT_FALSE(n.glean(1, 4, a, mac));
	}
	EXPECT_EQ(n.gleans, neighbours::max_gleaning);
	EXPECT_EQ(n.glean_refused, 50u);
	EXPECT_EQ(n.size(), before + neighbours::max_gleaning);
	// Nobody answers: after the fast retries they are forgotten.
	uint64_t now = rte_get_tsc_cycles();
	for (int s = 0; s < 12; s++) {
		now += hz;
		n.tick(now);
	}
	EXPECT_EQ(n.unresolved, neighbours::max_gleaning);
	EXPECT_EQ(n.size(), before);
	uint8_t a[4] = {10, 20, 200, 1};
	EXPECT_FALSE(n.glean(1, 4, a, mac));
	EXPECT_EQ(n.gleans, neighbours::max_gleaning + 1);
	// A session asking for a gleaned address turns it into an ordinary next hop (kept).
	EXPECT_FALSE(n.resolve(1, 4, a, mac));
	for (int s = 0; s < 12; s++) {
		now += hz;
		n.tick(now);
	}
	EXPECT_NE(n.find(1, 4, a), nullptr);
}

TEST_F(fixture, aging_keeps_static_entries) {
	uint8_t mac[6];
	n.input_arp(1, frame(arp(0, 1, mac_host, "10.20.5.5", "10.20.0.1")));
	const auto host = ip("10.20.5.5");
	ASSERT_TRUE(n.resolve(1, 4, host.data(), mac));
	sent.clear();
	const uint64_t t0 = n.find(1, 4, host.data())->confirmed_tsc;
	const uint64_t timeout = hz * conf.dataplane.neighbour_timeout_s;
	// After the timeout: stale, re-confirmed by a unicast request.
	n.tick(t0 + timeout + 1);
	ASSERT_NE(n.find(1, 4, host.data()), nullptr);
	EXPECT_EQ(n.find(1, 4, host.data())->st, neighbours::state::stale);
	bool unicast = false;
	for (const auto &[port, f] : sent)
		if (port == 1 && std::memcmp(f.data(), mac_host, 6) == 0 && std::memcmp(f.data() + 14 + 24, host.data(), 4) == 0)
			unicast = true;
	EXPECT_TRUE(unicast);
	// Never confirmed: deleted after another timeout; its /32 goes back to the connected route.
	for (uint64_t t = t0 + timeout; t < t0 + 3 * timeout; t += timeout / 4)
		n.tick(t);
	EXPECT_EQ(n.find(1, 4, host.data()), nullptr);
	EXPECT_GE(n.expired, 1u);
	uint32_t hop = 0;
	ASSERT_EQ(rte_lpm_lookup(lpm, load_be32(host.data()), &hop), 0);
	EXPECT_EQ(hop, n.connected_routes()[0].slot);
	// The static neighbour and the gateway (kept and asked) are still there.
	const auto st = ip("10.20.0.9");
	ASSERT_NE(n.find(1, 4, st.data()), nullptr);
	EXPECT_EQ(n.find(1, 4, st.data())->st, neighbours::state::static_);
	EXPECT_NE(n.find(1, 4, ip("10.20.0.254").data()), nullptr);
}

} // namespace

int main(int argc, char **argv) {
	::testing::InitGoogleTest(&argc, argv);
	const std::string name = "l2tpx-neigh-" + std::to_string(getpid());
	const std::string prefix = "--file-prefix=" + name;
	std::vector<std::string> args{"neighbour_test", "--no-huge", "-m", "512", "--no-pci", "-l", "0",
	                              prefix, "--no-shconf", "--no-telemetry", "--log-level=*:error"};
	std::vector<char *> av;
	for (auto &a : args)
		av.push_back(a.data());
	if (rte_eal_init(int(av.size()), av.data()) < 0) {
		std::fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	g_pool = rte_pktmbuf_pool_create("neigh_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!g_pool) {
		std::fprintf(stderr, "no mbuf pool\n");
		return 1;
	}
	const int rc = RUN_ALL_TESTS();
	rte_mempool_free(g_pool);
	rte_eal_cleanup();
	std::error_code ec;
	std::filesystem::remove_all("/var/run/dpdk/" + name, ec); // EAL's runtime directory
	return rc;
}
