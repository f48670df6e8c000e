// Packet path tests over real mbufs (EAL with --no-huge): byte vectors in, bytes and
// counters (by name) out.
#include <gtest/gtest.h>

#include <cstring>
#include <algorithm>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/path/path_test_util.hpp"
#include "dataplane/path/punt_meta.hpp"
#include "shared/base/byteorder.hpp"

using namespace l2tpx;
using namespace l2tpx::dp;
using namespace l2tpx::dp::test;
using bytes = std::vector<uint8_t>;

namespace {

constexpr uint16_t access_port = 0, core_port = 1, attach_port = 2;
const uint8_t lns_mac[6] = {0x02, 0, 0, 0, 0, 0x01}, lac_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t core_mac[6] = {0x02, 0, 0, 0, 0, 0x11}, router_mac[6] = {0x02, 0, 0, 0, 0, 0x12};
constexpr uint32_t lns_ip = 0xc0000201, lac_ip = 0xc6336402, other_ip = 0xc6336463; // 192.0.2.1, 198.51.100.2/.99
constexpr uint32_t sub_ip = 0x6440000a, server_ip = 0x08080808;                     // 100.64.0.10, 8.8.8.8

bytes cat(std::initializer_list<bytes> parts) {
	bytes out;
	for (const auto &p : parts)
		out.insert(out.end(), p.begin(), p.end());
	return out;
}
bytes be16(uint16_t v) { return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; }
bytes be32(uint32_t v) { return cat({be16(static_cast<uint16_t>(v >> 16)), be16(static_cast<uint16_t>(v))}); }
bytes mac(const uint8_t m[6]) { return bytes(m, m + 6); }
bytes eth(const uint8_t dst[6], const uint8_t src[6], uint16_t type) { return cat({mac(dst), mac(src), be16(type)}); }

uint32_t sum16(const uint8_t *p, size_t n, uint32_t s = 0) {
	for (size_t i = 0; i + 1 < n; i += 2)
		s += load_be16(p + i);
	if (n & 1)
		s += static_cast<uint32_t>(p[n - 1]) << 8;
	return s;
}
uint16_t fold(uint32_t s) {
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(s);
}

bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const bytes &payload, uint8_t ttl = 64, uint16_t frag = 0) {
	bytes h = cat({{0x45, 0}, be16(static_cast<uint16_t>(20 + payload.size())), be16(0x1234), be16(frag),
	               {ttl, proto}, be16(0), be32(src), be32(dst)});
	const uint16_t ck = static_cast<uint16_t>(~fold(sum16(h.data(), 20)));
	h[10] = static_cast<uint8_t>(ck >> 8);
	h[11] = static_cast<uint8_t>(ck);
	return cat({h, payload});
}
bytes udp(uint16_t sp, uint16_t dp, const bytes &payload) {
	return cat({be16(sp), be16(dp), be16(static_cast<uint16_t>(8 + payload.size())), be16(0), payload});
}
// A subscriber datagram: IPv4/UDP with some payload.
bytes inner_v4(uint32_t src, uint32_t dst, uint8_t ttl = 64) {
	return ipv4(src, dst, 17, udp(5000, 53, {'h', 'e', 'l', 'l', 'o', '!'}), ttl);
}
// L2TPv2 data over UDP over IPv4 from the LAC to the LNS, as received on the access port.
// The LNS's and the LAC's IPv6 addresses (2001:db8::1, ::2), for the sessions over IPv6.
constexpr uint8_t lns_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr uint8_t lac_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
bytes from_lac(const bytes &l2tp, uint32_t src = lac_ip) {
	return cat({eth(lns_mac, lac_mac, 0x0800), ipv4(src, lns_ip, 17, udp(1701, 1701, l2tp))});
}
bytes v2_hdr(uint16_t tid, uint16_t sid) { return cat({be16(0x0002), be16(tid), be16(sid)}); }
bytes ppp(uint16_t proto) { return cat({{0xff, 0x03}, be16(proto)}); }

bool ipv4_csum_ok(const uint8_t *ip) { return fold(sum16(ip, (ip[0] & 0xf) * 4u)) == 0xffff; }

// Fixture: port 0 access, 1 core, 2 attachment; one L2TPv2 session (tunnel 1, session 2)
// for subscriber 100.64.0.10; the core next hop is neighbour 0.
class PathTest : public ::testing::Test {
protected:
	void SetUp() override {
		t.set_port(access_port, port_role::access);
		t.set_port(core_port, port_role::core);
		t.set_port(attach_port, port_role::attachment, 0, 0);
		t.view().default_nh_v4 = t.add_neighbour(resolved_neighbour(router_mac, core_mac, core_port));
		t.view().default_nh_v6 = t.view().default_nh_v4;
		idx = t.add_session(v2());
		ASSERT_NE(idx, no_session);
		ASSERT_TRUE(t.add_route_v4(sub_ip, 32, idx));
	}
	void TearDown() override { free_all(r); }

	static session_params v2() {
		session_params p;
		p.encap = encap_kind::v2_udp4;
		p.local_tunnel_id = 1;
		p.local_session_id = 2;
		p.peer_tunnel_id = 0x0a0a;
		p.peer_session_id = 0x0b0b;
		set_endpoints_v4(p, lns_mac, lac_mac, lns_ip, lac_ip, access_port);
		p.subscriber_v4 = sub_ip;
		p.flags = session_flag::check_source;
		return p;
	}

	// The v2() session over UDP/IPv6 (lns_ip6 <-> lac_ip6) as local session sid.
	static session_params v2_udp6(uint16_t sid) {
		session_params p = v2();
		p.encap = encap_kind::v2_udp6;
		p.local_session_id = sid;
		std::memcpy(p.local_addr, lns_ip6, 16);
		std::memcpy(p.peer_addr, lac_ip6, 16);
		return p;
	}

	// Runs frames through one port.
	void go(uint16_t port, std::initializer_list<bytes> frames, uint16_t seg_size = 0) {
		free_all(r);
		std::vector<rte_mbuf *> pkts;
		for (const auto &f : frames) {
			pkts.push_back(make_mbuf(f, port, seg_size));
			ASSERT_NE(pkts.back(), nullptr);
		}
		r = run(t.ctx(), port, pkts);
	}
	uint64_t drops(drop_reason d) { return t.counters()[d]; }
	uint64_t events(path_event e) { return t.counters()[e]; }

	// What one burst through one port produced, and the state of the `watched` sessions.
	struct burst_outcome {
		std::vector<bytes> tx, punt, local, icmp, glean;
		std::vector<uint16_t> tx_port;
		path_counters ctr{};
		std::vector<session_seq> seq;
		std::vector<session_stats> stats;
	};
	burst_outcome run_burst(uint16_t port, const std::vector<bytes> &frames, const std::vector<uint64_t> &ol,
	                        bool fast, const std::vector<uint32_t> &watched) {
		t.view().fast_path = fast;
		std::vector<rte_mbuf *> pkts;
		for (size_t k = 0; k < frames.size(); k++) {
			pkts.push_back(make_mbuf(frames[k], port));
			EXPECT_NE(pkts.back(), nullptr);
			pkts.back()->ol_flags = ol[k];
		}
		t.counters() = {};
		free_all(r);
		r = run(t.ctx(), port, pkts);
		burst_outcome o;
		const auto copy = [](const std::vector<rte_mbuf *> &from, std::vector<bytes> &to) {
			for (rte_mbuf *m : from)
				to.push_back(bytes_of(m));
		};
		copy(r.tx, o.tx);
		copy(r.punt, o.punt);
		copy(r.local, o.local);
		copy(r.icmp, o.icmp);
		copy(r.glean, o.glean);
		o.tx_port = r.tx_port;
		o.ctr = t.counters();
		for (uint32_t w : watched) {
			o.seq.push_back(t.seq()[w]);
			o.stats.push_back(t.stats()[w]);
		}
		return o;
	}
	// The burst through the general path, then through the fast path from the same sequence
	// and session-counter state: every output, counter and state must be the same (ASSERTs:
	// the caller returns on HasFatalFailure()). Returns the fast path's outcome.
	burst_outcome same_burst(uint16_t port, const std::vector<bytes> &frames, const std::vector<uint64_t> &ol,
	                         const std::vector<uint32_t> &watched, const std::string &where) {
		std::vector<session_seq> seq0;
		std::vector<session_stats> st0;
		for (uint32_t w : watched) {
			seq0.push_back(t.seq()[w]);
			st0.push_back(t.stats()[w]);
		}
		const burst_outcome slow = run_burst(port, frames, ol, false, watched);
		for (size_t k = 0; k < watched.size(); k++) {
			t.seq()[watched[k]] = seq0[k];
			t.stats()[watched[k]] = st0[k];
		}
		burst_outcome quick = run_burst(port, frames, ol, true, watched);
		[&] {
			ASSERT_EQ(quick.tx, slow.tx) << where;
			ASSERT_EQ(quick.tx_port, slow.tx_port) << where;
			ASSERT_EQ(quick.punt, slow.punt) << where;
			ASSERT_EQ(quick.local, slow.local) << where;
			ASSERT_EQ(quick.icmp, slow.icmp) << where;
			ASSERT_EQ(quick.glean, slow.glean) << where;
			for (size_t k = 0; k < path_event_count; k++)
				ASSERT_EQ(quick.ctr.event[k], slow.ctr.event[k]) << where << ", event " << to_string(path_event(k));
			for (size_t k = 0; k < drop_reason_count; k++)
				ASSERT_EQ(quick.ctr.drop[k], slow.ctr.drop[k]) << where << ", drop reason " << to_string(drop_reason(k));
			for (size_t k = 0; k < watched.size(); k++) {
				ASSERT_EQ(std::memcmp(&quick.seq[k], &slow.seq[k], sizeof(session_seq)), 0) << where;
				ASSERT_EQ(std::memcmp(&quick.stats[k], &slow.stats[k], sizeof(session_stats)), 0) << where;
			}
		}();
		return quick;
	}

	test_tables t;
	uint32_t idx = 0;
	run_result r;
};

// What the core router should receive for inner_v4(sub_ip, server_ip).
bytes upstream_expect() {
	bytes in = inner_v4(sub_ip, server_ip, 63);
	return cat({eth(router_mac, core_mac, 0x0800), in});
}

TEST_F(PathTest, V2DecapIpv4) {
	go(access_port, {from_lac(cat({v2_hdr(1, 2), ppp(0x0021), inner_v4(sub_ip, server_ip)}))});
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(r.tx_port[0], core_port);
	EXPECT_EQ(bytes_of(r.tx[0]), upstream_expect());
	EXPECT_EQ(events(path_event::decap_v2), 1u);
	EXPECT_EQ(t.counters().total_drops(), 0u);
	EXPECT_EQ(t.stats()[idx].rx_packets, 1u);
	EXPECT_EQ(t.stats()[idx].rx_bytes, inner_v4(sub_ip, server_ip).size());
}

struct v2_variant {
	const char *name;
	bytes header; // L2TP header + PPP header before the inner packet
};

TEST_F(PathTest, V2DecapHeaderVariants) {
	const bytes inner = inner_v4(sub_ip, server_ip);
	const auto len = [&](size_t hdr) { return be16(static_cast<uint16_t>(hdr + inner.size())); };
	const v2_variant cases[] = {
	    {"plain", cat({v2_hdr(1, 2), ppp(0x21)})},
	    {"no address/control", cat({v2_hdr(1, 2), be16(0x0021)})},
	    {"protocol field compressed", cat({v2_hdr(1, 2), {0xff, 0x03, 0x21}})},
	    {"PFC without address/control", cat({v2_hdr(1, 2), {0x21}})},
	    {"L", cat({be16(0x4002), len(12), be16(1), be16(2), ppp(0x21)})},
	    {"S", cat({be16(0x0802), be16(1), be16(2), be16(0), be16(0), ppp(0x21)})},
	    {"O size 0", cat({be16(0x0202), be16(1), be16(2), be16(0), ppp(0x21)})},
	    {"O size 3", cat({be16(0x0202), be16(1), be16(2), be16(3), {0xaa, 0xbb, 0xcc}, ppp(0x21)})},
	    {"P", cat({be16(0x0102), be16(1), be16(2), ppp(0x21)})},
	    {"L S O P", cat({be16(0x4b02), len(20), be16(1), be16(2), be16(7), be16(0), be16(2), {0, 0}, ppp(0x21)})},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		t.seq()[idx] = {};
		go(access_port, {from_lac(cat({c.header, inner}))});
		ASSERT_EQ(r.tx.size(), 1u);
		EXPECT_EQ(bytes_of(r.tx[0]), upstream_expect());
	}
	EXPECT_EQ(t.counters().total_drops(), 0u);
}

TEST_F(PathTest, V2LengthTrimsPaddingAndRejectsOverlong) {
	const bytes inner = inner_v4(sub_ip, server_ip);
	// Length covers header + inner; 5 bytes of trailing junk inside the UDP payload.
	go(access_port, {from_lac(cat({be16(0x4002), be16(static_cast<uint16_t>(12 + inner.size())), be16(1), be16(2),
	                               ppp(0x21), inner, {1, 2, 3, 4, 5}}))});
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(bytes_of(r.tx[0]), upstream_expect());
	go(access_port, {from_lac(cat({be16(0x4002), be16(static_cast<uint16_t>(13 + inner.size())), be16(1), be16(2),
	                               ppp(0x21), inner}))});
	EXPECT_TRUE(r.tx.empty());
	EXPECT_EQ(drops(drop_reason::bad_length), 1u);
}

TEST_F(PathTest, EthernetPaddingIsTrimmed) {
	// A short frame padded to 60 bytes + 4 junk bytes after the outer IP packet.
	bytes f = from_lac(cat({v2_hdr(1, 2), ppp(0x21), ipv4(sub_ip, server_ip, 17, {}, 64)}));
	f.resize(f.size() + 10, 0);
	go(access_port, {f});
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(bytes_of(r.tx[0]), cat({eth(router_mac, core_mac, 0x0800), ipv4(sub_ip, server_ip, 17, {}, 63)}));
}

TEST_F(PathTest, PuntsControlAndPppControl) {
	const bytes sccrq = cat({be16(0xc802), be16(12), be16(0), be16(0), be16(0), be16(0)});
	const bytes lcp = cat({v2_hdr(1, 2), ppp(0xc021), {1, 1, 0, 4}});
	go(access_port, {from_lac(sccrq), from_lac(lcp)});
	ASSERT_EQ(r.punt.size(), 2u);
	EXPECT_EQ(events(path_event::punt_l2tp_control), 1u);
	EXPECT_EQ(events(path_event::punt_ppp_control), 1u);
	punt_meta m0, m1;
	std::memcpy(&m0, rte_pktmbuf_mtod(r.punt[0], void *), sizeof(m0));
	std::memcpy(&m1, rte_pktmbuf_mtod(r.punt[1], void *), sizeof(m1));
	EXPECT_EQ(m0.magic, punt_meta_magic);
	EXPECT_EQ(m0.reason, punt_reason::l2tp_control);
	EXPECT_EQ(m0.l2tp_version, 2);
	EXPECT_EQ(m0.family, 4);
	EXPECT_EQ(m0.l3_offset, 14);
	EXPECT_EQ(m0.l4_offset, 34);
	EXPECT_EQ(m0.l2tp_offset, 42);
	EXPECT_EQ(m0.payload_length, sccrq.size());
	EXPECT_EQ(m0.session_index, no_session);
	// The frame after the metadata is unchanged.
	bytes rest = bytes_of(r.punt[0]);
	rest.erase(rest.begin(), rest.begin() + sizeof(punt_meta));
	EXPECT_EQ(rest, from_lac(sccrq));
	EXPECT_EQ(m1.reason, punt_reason::ppp_control);
	EXPECT_EQ(m1.ppp_protocol, 0xc021);
	EXPECT_EQ(m1.session_index, idx);
	EXPECT_EQ(m1.tunnel_id, 1u);
	EXPECT_EQ(m1.session_id, 2u);
	EXPECT_EQ(m1.payload_offset, 42 + 6);
}

TEST_F(PathTest, SubscriberIpv6LinkScopeIsPunted) {
	// Router Solicitation fe80::1 -> ff02::2 inside PPP (0x0057).
	bytes rs = cat({be32(0x60000000), be16(8), {58, 255}, {0xfe, 0x80}, bytes(13, 0), {1}, {0xff, 0x02}, bytes(13, 0), {2},
	                {133, 0, 0, 0, 0, 0, 0, 0}});
	go(access_port, {from_lac(cat({v2_hdr(1, 2), ppp(0x57), rs}))});
	ASSERT_EQ(r.punt.size(), 1u);
	EXPECT_EQ(events(path_event::punt_subscriber_local), 1u);
	EXPECT_EQ(events(path_event::punt_ppp_control), 0u);
	punt_meta m;
	std::memcpy(&m, rte_pktmbuf_mtod(r.punt[0], void *), sizeof(m));
	EXPECT_EQ(m.reason, punt_reason::ppp_control);
	EXPECT_EQ(m.ppp_protocol, 0x0057);
	EXPECT_EQ(m.session_index, idx);
	// A global-scope IPv6 packet is routed once its source routes back to the session
	// (check_source); before that it is spoofed.
	bytes g = rs;
	g[8] = 0x20, g[9] = 0x01, g[24] = 0x20, g[25] = 0x01;
	go(access_port, {from_lac(cat({v2_hdr(1, 2), ppp(0x57), g}))});
	EXPECT_EQ(r.tx.size(), 0u);
	EXPECT_EQ(drops(drop_reason::spoofed_source), 1u);
	const uint8_t prefix[16] = {0x20, 0x01};
	ASSERT_TRUE(t.add_route_v6(prefix, 16, idx));
	go(access_port, {from_lac(cat({v2_hdr(1, 2), ppp(0x57), g}))});
	EXPECT_EQ(r.tx.size(), 1u);
}

// A port on a VLAN (port_info::vlan, [[port]] vlan): frames whose outer tag carries the VID
// are handled (any TPID, PCP bits ignored, a second tag inside allowed); untagged,
// other-VLAN, inner-tag-only and runt frames are wrong_vlan; same with the fast path on or
// off. A core port on a VLAN likewise.
TEST_F(PathTest, VlanPortTakesOnlyItsTag) {
	const bytes good = from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}));
	const auto tagged = [](const bytes &f, std::initializer_list<bytes> tags) {
		bytes out(f.begin(), f.begin() + 12);
		for (const auto &tg : tags)
			out.insert(out.end(), tg.begin(), tg.end());
		out.insert(out.end(), f.begin() + 12, f.end());
		return out;
	};
	struct vlan_case {
		const char *name;
		bytes frame;
		bool forwarded;
	};
	const vlan_case cases[] = {
	    {"802.1Q 100", tagged(good, {cat({be16(0x8100), be16(100)})}), true},
	    {"802.1Q 100 with PCP 5", tagged(good, {cat({be16(0x8100), be16(0xa064)})}), true},
	    {"802.1ad 100, inner 7", tagged(good, {cat({be16(0x88a8), be16(100)}), cat({be16(0x8100), be16(7)})}), true},
	    {"untagged", good, false},
	    {"802.1Q 101", tagged(good, {cat({be16(0x8100), be16(101)})}), false},
	    {"outer 7, inner 100", tagged(good, {cat({be16(0x8100), be16(7)}), cat({be16(0x8100), be16(100)})}), false},
	    {"runt", bytes(good.begin(), good.begin() + 16), false},
	};
	t.view().ports[access_port].vlan = 100;
	for (const bool fast : {true, false}) {
		t.view().fast_path = fast;
		for (const auto &c : cases) {
			SCOPED_TRACE(std::string(c.name) + (fast ? ", fast path on" : ", fast path off"));
			t.counters() = path_counters{};
			t.seq()[idx] = {};
			go(access_port, {c.frame});
			ASSERT_EQ(r.tx.size(), c.forwarded ? 1u : 0u);
			if (c.forwarded) {
				EXPECT_EQ(bytes_of(r.tx[0]), upstream_expect());
			}
			EXPECT_EQ(drops(drop_reason::wrong_vlan), c.forwarded ? 0u : 1u);
			EXPECT_EQ(t.counters().total_drops(), c.forwarded ? 0u : 1u);
		}
	}
	t.view().fast_path = true;
	t.view().ports[core_port].vlan = 200;
	const bytes down = cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip)});
	t.counters() = path_counters{};
	go(core_port, {down, tagged(down, {cat({be16(0x8100), be16(200)})}), tagged(down, {cat({be16(0x8100), be16(201)})})});
	EXPECT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(events(path_event::encap_v2), 1u);
	EXPECT_EQ(drops(drop_reason::wrong_vlan), 2u);
}

TEST_F(PathTest, FlushPuntsCountsRingFull) {
	test_tables small(1u << 16, 4, false); // ring of 4 holds 3; no LPM (memory)
	small.set_port(access_port, port_role::access);
	const bytes ctl = from_lac(cat({be16(0xc802), be16(12), be16(0), be16(0), be16(0), be16(0)}));
	std::vector<rte_mbuf *> pkts;
	for (int i = 0; i < 5; i++)
		pkts.push_back(make_mbuf(ctl, access_port));
	burst_out o;
	EXPECT_EQ(process_rx_burst(small.ctx(), access_port, pkts.data(), 5, o), 5);
	ASSERT_EQ(o.n_punt, 5);
	EXPECT_EQ(flush_punts(small.ctx(), o), 3);
	EXPECT_EQ(o.n_punt, 0);
	EXPECT_EQ(small.counters()[drop_reason::punt_ring_full], 2u);
	const auto queued = small.drain_punts();
	EXPECT_EQ(queued.size(), 3u);
	for (rte_mbuf *m : queued)
		rte_pktmbuf_free(m);
}

TEST_F(PathTest, UnknownSessionDroppedOrPunted) {
	const bytes f = from_lac(cat({v2_hdr(1, 3), ppp(0x21), inner_v4(sub_ip, server_ip)}));
	go(access_port, {f});
	EXPECT_TRUE(r.tx.empty());
	EXPECT_EQ(drops(drop_reason::unknown_session), 1u);
	// Same slot (mask 0xffff ignores the tunnel ID's bits), other tunnel: still unknown.
	go(access_port, {from_lac(cat({v2_hdr(9, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}))});
	EXPECT_EQ(drops(drop_reason::unknown_session), 2u);
	t.view().punt_unknown_sessions = true;
	go(access_port, {f});
	ASSERT_EQ(r.punt.size(), 1u);
	EXPECT_EQ(events(path_event::punt_unknown_session), 1u);
}

struct drop_case {
	const char *name;
	uint16_t port;
	bytes frame;
	drop_reason want;
};

TEST_F(PathTest, DropReasons) {
	const bytes good = cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)});
	bytes bad_csum = from_lac(good);
	bad_csum[24] ^= 0x55;
	bytes frag = cat({eth(lns_mac, lac_mac, 0x0800), ipv4(lac_ip, lns_ip, 17, udp(1701, 1701, good), 64, 0x2000)});
	bytes short_ip = from_lac(good);
	short_ip.resize(40);
	const drop_case cases[] = {
	    {"truncated eth", access_port, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, drop_reason::truncated_eth},
	    {"three vlans", access_port,
	     cat({mac(lns_mac), mac(lac_mac), be16(0x88a8), be16(1), be16(0x8100), be16(2), be16(0x8100), be16(3),
	          be16(0x0800), bytes(40, 0)}),
	     drop_reason::too_many_vlans},
	    {"not ip", access_port, cat({eth(lns_mac, lac_mac, 0x88cc), bytes(46, 0)}), drop_reason::not_ip},
	    {"truncated ip", access_port, short_ip, drop_reason::truncated_ip},
	    {"bad ip header", access_port, cat({eth(lns_mac, lac_mac, 0x0800), {0x44}, bytes(40, 0)}), drop_reason::bad_ip_header},
	    {"bad ip csum", access_port, bad_csum, drop_reason::bad_ip_csum},
	    {"fragment", access_port, frag, drop_reason::ip_fragment},
	    {"not l2tp (udp 53)", access_port, cat({eth(lns_mac, lac_mac, 0x0800), ipv4(lac_ip, lns_ip, 17, udp(53, 53, good))}),
	     drop_reason::not_l2tp},
	    {"not l2tp (tcp)", access_port, cat({eth(lns_mac, lac_mac, 0x0800), ipv4(lac_ip, lns_ip, 6, bytes(20, 0))}),
	     drop_reason::not_l2tp},
	    {"truncated l2tp", access_port, from_lac({0x00}), drop_reason::truncated_l2tp},
	    {"truncated v2 header", access_port, from_lac(cat({be16(0x0002), be16(1)})), drop_reason::truncated_l2tp},
	    {"bad version", access_port, from_lac(cat({be16(0x0001), be16(1), be16(2)})), drop_reason::bad_version},
	    {"bad length", access_port, from_lac(cat({be16(0x4002), be16(3), be16(1), be16(2), ppp(0x21)})), drop_reason::bad_length},
	    {"offset beyond payload", access_port, from_lac(cat({be16(0x0202), be16(1), be16(2), be16(200), ppp(0x21)})),
	     drop_reason::truncated_l2tp},
	    {"wrong peer", access_port, from_lac(good, other_ip), drop_reason::wrong_peer},
	    {"no ppp", access_port, from_lac(v2_hdr(1, 2)), drop_reason::truncated_ppp},
	    {"spoofed source", access_port, from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip + 1, server_ip)})),
	     drop_reason::spoofed_source},
	    {"bad inner ip", access_port, from_lac(cat({v2_hdr(1, 2), ppp(0x21), {0x45, 0, 0, 10}})), drop_reason::bad_inner_ip},
	    {"ttl exceeded", access_port, from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip, 1)})),
	     drop_reason::ttl_exceeded},
	    {"multicast upstream", access_port, from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, 0xe00000fb)})),
	     drop_reason::not_routable},
	    {"broadcast upstream", access_port, from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, 0xffffffff)})),
	     drop_reason::not_routable},
	    {"no route downstream", core_port, cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip + 7)}),
	     drop_reason::no_route},
	    {"ttl exceeded downstream", core_port, cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip, 1)}),
	     drop_reason::ttl_exceeded},
	    {"not ip on core", core_port, cat({eth(core_mac, router_mac, 0x88cc), bytes(46, 0)}), drop_reason::not_ip},
	    {"no attachment", attach_port, cat({eth(lns_mac, lac_mac, 0x0800), bytes(46, 0)}), drop_reason::no_attachment},
	    {"unused port", 5, cat({eth(lns_mac, lac_mac, 0x0800), bytes(46, 0)}), drop_reason::port_unused},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		const uint64_t before = drops(c.want);
		const uint64_t total = t.counters().total_drops();
		go(c.port, {c.frame});
		EXPECT_TRUE(r.tx.empty());
		EXPECT_TRUE(r.punt.empty());
		EXPECT_EQ(drops(c.want), before + 1) << "want " << to_string(c.want);
		EXPECT_EQ(t.counters().total_drops(), total + 1);
	}
}

TEST_F(PathTest, LocalTraffic) {
	t.view().local_v4[0] = hton32(lns_ip);
	t.view().local_v4_count = 1;
	go(access_port, {cat({eth(lns_mac, lac_mac, 0x0806), bytes(28, 0)}),
	                 cat({eth(lns_mac, lac_mac, 0x0800), ipv4(lac_ip, lns_ip, 1, {8, 0, 0, 0, 0, 0, 0, 0})})});
	EXPECT_EQ(r.local.size(), 2u);
	// L2TP to an address that is not ours.
	go(access_port, {cat({eth(lns_mac, lac_mac, 0x0800),
	                      ipv4(lac_ip, other_ip, 17, udp(1701, 1701, cat({v2_hdr(1, 2), ppp(0x21)})))})});
	EXPECT_EQ(drops(drop_reason::not_local_address), 1u);
}

TEST_F(PathTest, V2EncapIpv4) {
	const bytes in = inner_v4(server_ip, sub_ip);
	go(core_port, {cat({eth(core_mac, router_mac, 0x0800), in})});
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(r.tx_port[0], access_port);
	const bytes fwd = inner_v4(server_ip, sub_ip, 63);
	bytes want = cat({eth(lac_mac, lns_mac, 0x0800),
	                  ipv4(lns_ip, lac_ip, 17, udp(1701, 1701, cat({v2_hdr(0x0a0a, 0x0b0b), ppp(0x21), fwd})))});
	// Our template sets DF and ID 0; patch the reference the same way.
	want[14 + 4] = 0;
	want[14 + 5] = 0;
	want[14 + 6] = 0x40;
	want[14 + 10] = want[14 + 11] = 0;
	const uint16_t ck = static_cast<uint16_t>(~fold(sum16(want.data() + 14, 20)));
	want[24] = static_cast<uint8_t>(ck >> 8);
	want[25] = static_cast<uint8_t>(ck);
	const bytes got = bytes_of(r.tx[0]);
	EXPECT_EQ(got, want);
	EXPECT_TRUE(ipv4_csum_ok(got.data() + 14));
	EXPECT_EQ(events(path_event::encap_v2), 1u);
	EXPECT_EQ(t.stats()[idx].tx_packets, 1u);
	EXPECT_EQ(t.stats()[idx].tx_bytes, in.size());
}

TEST_F(PathTest, V2EncapLengthAndSequence) {
	auto p = v2();
	p.v2_length = true;
	p.flags |= session_flag::send_seq;
	t.add_session(p);
	const bytes in = inner_v4(server_ip, sub_ip);
	go(core_port, {cat({eth(core_mac, router_mac, 0x0800), in}), cat({eth(core_mac, router_mac, 0x0800), in}),
	               cat({eth(core_mac, router_mac, 0x0800), in})});
	ASSERT_EQ(r.tx.size(), 3u);
	for (uint16_t i = 0; i < 3; i++) {
		const bytes got = bytes_of(r.tx[i]);
		const uint8_t *l2tp = got.data() + 42;
		EXPECT_EQ(load_be16(l2tp), 0x4802);
		EXPECT_EQ(load_be16(l2tp + 2), got.size() - 42);
		EXPECT_EQ(load_be16(l2tp + 4), 0x0a0a);
		EXPECT_EQ(load_be16(l2tp + 8), i) << "Ns";
		EXPECT_EQ(load_be16(l2tp + 10), 0) << "Nr";
		EXPECT_EQ(load_be16(got.data() + 38), got.size() - 34) << "UDP length";
		EXPECT_TRUE(ipv4_csum_ok(got.data() + 14));
	}
}

TEST_F(PathTest, V2ReceiveSequence) {
	auto p = v2();
	p.flags |= session_flag::require_seq;
	t.add_session(p);
	const bytes inner = inner_v4(sub_ip, server_ip);
	const auto with_ns = [&](uint16_t ns) {
		return from_lac(cat({be16(0x0802), be16(1), be16(2), be16(ns), be16(0), ppp(0x21), inner}));
	};
	go(access_port, {with_ns(5), with_ns(6), with_ns(6), with_ns(4), with_ns(10), with_ns(0x800b),
	                 from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner}))});
	EXPECT_EQ(r.tx.size(), 3u); // 5, 6, 10
	EXPECT_EQ(drops(drop_reason::seq_out_of_order), 3u); // 6 again, 4, 0x800b (half the space behind)
	EXPECT_EQ(drops(drop_reason::seq_missing), 1u);
	EXPECT_EQ(events(path_event::seq_gap), 1u);
	// Wrap-around: 0xffff then 0 are in order.
	t.seq()[idx] = {};
	go(access_port, {with_ns(0xffff), with_ns(0)});
	EXPECT_EQ(r.tx.size(), 2u);
}

// TCP SYN from the subscriber with MSS 1460 and a valid checksum.
bytes tcp_syn(uint32_t src, uint32_t dst, uint16_t mss) {
	bytes tcp = cat({be16(40000), be16(80), be32(1), be32(0), {0x60, 0x02}, be16(65535), be16(0), be16(0),
	                 {2, 4}, be16(mss)});
	bytes pseudo = cat({be32(src), be32(dst), {0, 6}, be16(static_cast<uint16_t>(tcp.size()))});
	const uint16_t ck = static_cast<uint16_t>(~fold(sum16(tcp.data(), tcp.size(), sum16(pseudo.data(), pseudo.size()))));
	tcp[16] = static_cast<uint8_t>(ck >> 8);
	tcp[17] = static_cast<uint8_t>(ck);
	return ipv4(src, dst, 6, tcp);
}

TEST_F(PathTest, MssClampBothWays) {
	auto p = v2();
	p.mss_clamp = 1400;
	t.add_session(p);
	go(access_port, {from_lac(cat({v2_hdr(1, 2), ppp(0x21), tcp_syn(sub_ip, server_ip, 1460)})),
	                 from_lac(cat({v2_hdr(1, 2), ppp(0x21), tcp_syn(sub_ip, server_ip, 1300)}))});
	ASSERT_EQ(r.tx.size(), 2u);
	bytes want = tcp_syn(sub_ip, server_ip, 1400);
	want[8] = 63;
	const uint16_t ck = static_cast<uint16_t>(~fold(sum16(want.data(), 10, sum16(want.data() + 12, 8))));
	want[10] = static_cast<uint8_t>(ck >> 8);
	want[11] = static_cast<uint8_t>(ck);
	EXPECT_EQ(bytes_of(r.tx[0]), cat({eth(router_mac, core_mac, 0x0800), want}));
	bytes unchanged = tcp_syn(sub_ip, server_ip, 1300);
	EXPECT_EQ(bytes_of(r.tx[1]).size(), 14 + unchanged.size());
	EXPECT_EQ(load_be16(bytes_of(r.tx[1]).data() + 14 + 20 + 22), 1300);
	EXPECT_EQ(events(path_event::mss_clamped), 1u);

	go(core_port, {cat({eth(core_mac, router_mac, 0x0800), tcp_syn(server_ip, sub_ip, 8960)})});
	ASSERT_EQ(r.tx.size(), 1u);
	const bytes got = bytes_of(r.tx[0]);
	const uint8_t *ip = got.data() + 52; // after the 52-byte v2/UDP/IPv4 template
	EXPECT_EQ(load_be16(ip + 20 + 22), 1400);
	// TCP checksum still valid over the pseudo header.
	bytes pseudo = cat({be32(server_ip), be32(sub_ip), {0, 6}, be16(24)});
	EXPECT_EQ(fold(sum16(ip + 20, 24, sum16(pseudo.data(), pseudo.size()))), 0xffff);
	EXPECT_EQ(events(path_event::mss_clamped), 2u);
}

session_params v3(encap_kind k, uint32_t sid, pw_type pw);

// Every truncation and many single-byte corruptions of valid frames, on every port role:
// each packet must end in exactly one output and the mbufs must stay consistent.
TEST_F(PathTest, MutatedFramesAreAccountedFor) {
	auto p3 = v3(encap_kind::v3_udp4, 0x00500005, pw_type::eth);
	p3.rx_cookie_len = 4;
	p3.flags = session_flag::l2ss | session_flag::require_seq;
	const uint32_t i3 = t.add_session(p3);
	t.map_attachment(0, vlan_untagged, i3);
	auto pm = v2();
	pm.local_session_id = 9;
	pm.mss_clamp = 1200;
	pm.flags = 0;
	t.add_session(pm);
	t.view().punt_unknown_sessions = true;
	const bytes inner = inner_v4(sub_ip, server_ip);
	const std::vector<std::pair<uint16_t, bytes>> corpus = {
	    {access_port, from_lac(cat({be16(0x4b02), be16(static_cast<uint16_t>(20 + inner.size())), be16(1), be16(2), be16(7),
	                                be16(0), be16(2), {0, 0}, ppp(0x21), inner}))},
	    {access_port, from_lac(cat({v2_hdr(1, 9), {0x21}, tcp_syn(sub_ip, server_ip, 1460)}))},
	    {access_port, from_lac(cat({be16(0x0003), be16(0), be32(0x00500005), {0, 0, 0, 0}, be32(0x40000001),
	                                eth(router_mac, core_mac, 0x0800), inner}))},
	    {access_port, from_lac(cat({be16(0xc802), be16(12), be16(0), be16(0), be16(0), be16(0)}))},
	    {core_port, cat({eth(core_mac, router_mac, 0x0800), tcp_syn(server_ip, sub_ip, 1460)})},
	    {attach_port, cat({mac(router_mac), mac(core_mac), be16(0x8100), be16(5), be16(0x0800), inner})},
	};
	uint64_t packets = 0;
	for (const auto &[port, good] : corpus) {
		std::vector<bytes> frames;
		for (size_t n = 0; n <= good.size(); n++)
			frames.emplace_back(good.begin(), good.begin() + static_cast<long>(n));
		for (size_t i = 0; i < good.size(); i++)
			for (uint8_t v : {uint8_t(0x00), uint8_t(0xff), uint8_t(good[i] ^ 0x01), uint8_t(good[i] + 0x40)}) {
				bytes f = good;
				f[i] = v;
				frames.push_back(f);
			}
		for (size_t i = 0; i < frames.size(); i += max_burst) {
			std::vector<rte_mbuf *> pkts;
			for (size_t j = i; j < frames.size() && j < i + max_burst; j++)
				pkts.push_back(make_mbuf(frames[j], port, (j & 1) ? 48 : 0));
			const uint64_t drops_before = t.counters().total_drops();
			free_all(r);
			r = run(t.ctx(), port, pkts);
			const uint64_t accounted = r.tx.size() + r.punt.size() + r.local.size() + (t.counters().total_drops() - drops_before);
			ASSERT_EQ(accounted, pkts.size()) << "port " << port << " frames " << i;
			for (rte_mbuf *m : r.tx) {
				ASSERT_EQ(rte_mbuf_check(m, 1, nullptr), 0);
				ASSERT_EQ(bytes_of(m).size(), rte_pktmbuf_pkt_len(m));
			}
			for (rte_mbuf *m : r.punt)
				ASSERT_EQ(rte_mbuf_check(m, 1, nullptr), 0);
			packets += pkts.size();
		}
	}
	free_all(r);
	EXPECT_GT(packets, 2000u);
	EXPECT_GT(events(path_event::decap_v2), 0u);
	EXPECT_GT(events(path_event::encap_v3), 0u);
}

TEST_F(PathTest, BurstLargerThanMaxIsPartlyConsumed) {
	std::vector<rte_mbuf *> pkts;
	for (int i = 0; i < max_burst + 3; i++)
		pkts.push_back(make_mbuf(cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip)}), core_port));
	burst_out o;
	EXPECT_EQ(process_rx_burst(t.ctx(), core_port, pkts.data(), static_cast<uint16_t>(pkts.size()), o), max_burst);
	EXPECT_EQ(o.n_tx, max_burst);
	for (uint16_t i = 0; i < o.n_tx; i++)
		rte_pktmbuf_free(o.tx[i]);
	EXPECT_EQ(process_rx_burst(t.ctx(), core_port, pkts.data() + max_burst, 3, o), 3);
	EXPECT_EQ(o.n_tx, 3);
	for (uint16_t i = 0; i < o.n_tx; i++)
		rte_pktmbuf_free(o.tx[i]);
}

TEST_F(PathTest, SegmentedPackets) {
	// Encap of a packet whose payload spans several segments works.
	const bytes in = ipv4(server_ip, sub_ip, 17, udp(1, 2, bytes(300, 0x5a)));
	go(core_port, {cat({eth(core_mac, router_mac, 0x0800), in})}, 128);
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_GT(r.tx[0]->nb_segs, 1);
	EXPECT_EQ(rte_pktmbuf_pkt_len(r.tx[0]), 52 + in.size());
	// Headers split across segments are refused, not misread.
	go(access_port, {from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}))}, 40);
	EXPECT_TRUE(r.tx.empty());
	EXPECT_EQ(drops(drop_reason::segmented_headers), 1u);
}

TEST_F(PathTest, NoNeighbourAndTooBig) {
	neighbour n{};
	n.port = core_port;
	t.view().default_nh_v4 = t.add_neighbour(n); // unresolved
	go(access_port, {from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}))});
	EXPECT_EQ(drops(drop_reason::no_neighbour), 1u);
	t.set_port(access_port, port_role::access, 100);
	go(core_port, {cat({eth(core_mac, router_mac, 0x0800), ipv4(server_ip, sub_ip, 17, udp(1, 2, bytes(100, 0)))})});
	EXPECT_EQ(drops(drop_reason::too_big), 1u);
}

TEST_F(PathTest, NicChecksumFlagsAndHeadroom) {
	const bytes f = from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}));
	rte_mbuf *m = make_mbuf(f, access_port);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	r = run(t.ctx(), access_port, {m});
	EXPECT_EQ(drops(drop_reason::bad_udp_csum), 1u);
	m = make_mbuf(f, access_port);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	r = run(t.ctx(), access_port, {m});
	EXPECT_EQ(drops(drop_reason::bad_ip_csum), 1u);
	// A NIC that vouches for the IP checksum is believed (no software check).
	bytes wrong = f;
	wrong[24] ^= 0x01;
	m = make_mbuf(wrong, access_port);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	r = run(t.ctx(), access_port, {m});
	EXPECT_EQ(r.tx.size(), 1u);
	free_all(r);

	// Downstream without headroom for the template.
	const bytes down = cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip)});
	m = rte_pktmbuf_alloc(pool());
	ASSERT_NE(m, nullptr);
	m->data_off = 0;
	std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(down.size())), down.data(), down.size());
	r = run(t.ctx(), core_port, {m});
	EXPECT_TRUE(r.tx.empty());
	EXPECT_EQ(drops(drop_reason::no_headroom), 1u);
	// Punting needs 32 bytes of headroom as well.
	const bytes ctl = from_lac(cat({be16(0xc802), be16(12), be16(0), be16(0), be16(0), be16(0)}));
	m = rte_pktmbuf_alloc(pool());
	m->data_off = 0;
	std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(ctl.size())), ctl.data(), ctl.size());
	r = run(t.ctx(), access_port, {m});
	EXPECT_TRUE(r.punt.empty());
	EXPECT_EQ(drops(drop_reason::no_headroom), 2u);
	EXPECT_EQ(events(path_event::punt_l2tp_control), 0u);
}

// Writes the UDP checksum of frame f (IP header at ip, IPv4 or IPv6) as a sender does.
bytes with_udp_csum(bytes f, uint32_t ip, bool v6) {
	const uint32_t l4 = ip + (v6 ? 40 : 20);
	const uint16_t ulen = load_be16(f.data() + l4 + 4);
	f[l4 + 6] = f[l4 + 7] = 0;
	const bytes pseudo = v6 ? cat({bytes(&f[ip + 8], &f[ip + 40]), be32(ulen), be32(17)})
	                        : cat({bytes(&f[ip + 12], &f[ip + 20]), be16(17), be16(ulen)});
	uint16_t c = static_cast<uint16_t>(~fold(sum16(f.data() + l4, ulen, sum16(pseudo.data(), pseudo.size()))));
	if (c == 0)
		c = 0xffff; // RFC 768: a computed 0 is sent as all ones
	f[l4 + 6] = uint8_t(c >> 8);
	f[l4 + 7] = uint8_t(c);
	return f;
}

// A UDP checksum is verified when the NIC gives no verdict, as the kernel does before L2TP
// sees a packet: IPv4 and IPv6, one segment or several, fast path on and off; zero means
// none was sent.
TEST_F(PathTest, UdpChecksumVerifiedOnReceive) {
	const bytes plain = from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}));
	const bytes good = with_udp_csum(plain, 14, false);
	ASSERT_NE(load_be16(good.data() + 40), 0);
	bytes bad = good;
	bad.back() ^= 0x40; // payload changed after the checksum was computed
	const bytes big_inner = ipv4(sub_ip, server_ip, 17, udp(5000, 53, bytes(300, 0x5a)));
	const bytes big = with_udp_csum(from_lac(cat({v2_hdr(1, 2), ppp(0x21), big_inner})), 14, false);
	bytes big_bad = big;
	big_bad[big_bad.size() - 100] ^= 0x01;
	const bytes ctl = with_udp_csum(from_lac(cat({be16(0xc802), be16(12), be16(1), be16(0), be16(0), be16(0)})), 14, false);
	bytes ctl_bad = ctl;
	ctl_bad[41] ^= 0x10;

	ASSERT_NE(t.add_session(v2_udp6(5)), no_session);
	const uint8_t *l6 = lns_ip6, *r6 = lac_ip6;
	const bytes u6 = udp(1701, 1701, cat({v2_hdr(1, 5), ppp(0x21), inner_v4(sub_ip, server_ip)}));
	const bytes v6_zero = cat({eth(lns_mac, lac_mac, 0x86dd), be32(0x60000000), be16(static_cast<uint16_t>(u6.size())),
	                           {17, 64}, bytes(r6, r6 + 16), bytes(l6, l6 + 16), u6});
	const bytes v6_good = with_udp_csum(v6_zero, 14, true);
	bytes v6_bad = v6_good;
	v6_bad[14 + 40 + 7] ^= 0x01; // the checksum's low byte

	for (const bool fast : {true, false}) {
		SCOPED_TRACE(fast ? "fast path" : "general path");
		t.view().fast_path = fast;
		t.counters() = {};
		go(access_port, {plain, good, bad});
		ASSERT_EQ(r.tx.size(), 2u);
		EXPECT_EQ(bytes_of(r.tx[0]), upstream_expect());
		EXPECT_EQ(bytes_of(r.tx[1]), upstream_expect());
		EXPECT_EQ(drops(drop_reason::bad_udp_csum), 1u);
		// The NIC's verdict is taken as it is: good stands for a checksum not looked at here.
		rte_mbuf *m = make_mbuf(bad, access_port);
		m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		free_all(r);
		r = run(t.ctx(), access_port, {m});
		EXPECT_EQ(r.tx.size(), 1u);
		// Several segments: the checksum covers them all.
		go(access_port, {big, big_bad}, 128);
		ASSERT_EQ(r.tx.size(), 1u);
		EXPECT_GT(load_be16(bytes_of(r.tx[0]).data() + 14 + 2), 300);
		EXPECT_EQ(drops(drop_reason::bad_udp_csum), 2u);
		// Control messages too, before they are punted.
		go(access_port, {ctl, ctl_bad});
		EXPECT_EQ(r.punt.size(), 1u);
		EXPECT_EQ(events(path_event::punt_l2tp_control), 1u);
		EXPECT_EQ(drops(drop_reason::bad_udp_csum), 3u);
		// IPv6: zero (RFC 6935 allows it for tunnels), correct, wrong.
		go(access_port, {v6_zero, v6_good, v6_bad});
		EXPECT_EQ(r.tx.size(), 2u);
		EXPECT_EQ(drops(drop_reason::bad_udp_csum), 4u);
		// A port told not to verify (verify_udp_checksum = false) takes them; the NIC's
		// "bad" still drops.
		t.view().ports[access_port].trust_udp_csum = 1;
		go(access_port, {bad, big_bad, ctl_bad, v6_bad});
		EXPECT_EQ(r.tx.size(), 3u);
		EXPECT_EQ(r.punt.size(), 1u);
		m = make_mbuf(good, access_port);
		m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
		free_all(r);
		r = run(t.ctx(), access_port, {m});
		EXPECT_TRUE(r.tx.empty());
		EXPECT_EQ(drops(drop_reason::bad_udp_csum), 5u);
		t.view().ports[access_port].trust_udp_csum = 0;
	}
}

// ---- L2TPv3 ----

session_params v3(encap_kind k, uint32_t sid, pw_type pw) {
	session_params p;
	p.encap = k;
	p.pw = pw;
	p.local_tunnel_id = 100;
	p.local_session_id = sid;
	p.peer_tunnel_id = 200;
	p.peer_session_id = 0x00c0ffee;
	set_endpoints_v4(p, lns_mac, lac_mac, lns_ip, lac_ip, access_port);
	p.attach_port = attach_port;
	return p;
}

TEST_F(PathTest, V3Ip6BothWays) {
	auto p = v3(encap_kind::v3_ip6, 0x00400004, pw_type::ppp);
	const uint8_t *l6 = lns_ip6, *p6 = lac_ip6;
	std::memcpy(p.local_addr, l6, 16);
	std::memcpy(p.peer_addr, p6, 16);
	p.tx_cookie_len = p.rx_cookie_len = 4;
	const uint8_t ck[4] = {9, 8, 7, 6};
	std::memcpy(p.rx_cookie, ck, 4);
	std::memcpy(p.tx_cookie, ck, 4);
	const uint32_t i6 = t.add_session(p);
	ASSERT_TRUE(t.add_route_v4(sub_ip + 2, 32, i6));
	const bytes inner = inner_v4(sub_ip, server_ip);
	const bytes ip6 = cat({be32(0x60000000), be16(static_cast<uint16_t>(8 + inner.size() + 4)), {115, 64}, bytes(p6, p6 + 16),
	                       bytes(l6, l6 + 16)});
	go(access_port, {cat({eth(lns_mac, lac_mac, 0x86dd), ip6, be32(0x00400004), {9, 8, 7, 6}, ppp(0x21), inner})});
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(bytes_of(r.tx[0]), upstream_expect());
	go(core_port, {cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip + 2)})});
	ASSERT_EQ(r.tx.size(), 1u);
	const bytes got = bytes_of(r.tx[0]);
	const bytes fwd = inner_v4(server_ip, sub_ip + 2, 63);
	const bytes want = cat({eth(lac_mac, lns_mac, 0x86dd), be32(0x60000000), be16(static_cast<uint16_t>(4 + 4 + 4 + fwd.size())),
	                        {115, 64}, bytes(l6, l6 + 16), bytes(p6, p6 + 16), be32(0x00c0ffee), {9, 8, 7, 6}, ppp(0x21), fwd});
	EXPECT_EQ(got, want);
}

TEST_F(PathTest, V3UdpCookieAndPpp) {
	auto p = v3(encap_kind::v3_udp4, 0x00100005, pw_type::ppp);
	p.rx_cookie_len = 4;
	const uint8_t ck[4] = {0xde, 0xad, 0xbe, 0xef};
	std::memcpy(p.rx_cookie, ck, 4);
	const uint32_t i3 = t.add_session(p);
	ASSERT_NE(i3, no_session);
	const bytes inner = inner_v4(sub_ip, server_ip);
	const auto pkt = [&](bytes cookie) {
		return from_lac(cat({be16(0x0003), be16(0), be32(0x00100005), cookie, ppp(0x21), inner}));
	};
	go(access_port, {pkt({0xde, 0xad, 0xbe, 0xef}), pkt({0xde, 0xad, 0xbe, 0xee})});
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(bytes_of(r.tx[0]), upstream_expect());
	EXPECT_EQ(drops(drop_reason::bad_cookie), 1u);
	EXPECT_EQ(events(path_event::decap_v3), 1u);
	// A v3/IP packet for a v3/UDP session is unknown.
	go(access_port, {cat({eth(lns_mac, lac_mac, 0x0800),
	                      ipv4(lac_ip, lns_ip, 115, cat({be32(0x00100005), {0xde, 0xad, 0xbe, 0xef}, ppp(0x21), inner}))})});
	EXPECT_EQ(drops(drop_reason::unknown_session), 1u);
}

TEST_F(PathTest, V3IpEthernetPseudowireBothWays) {
	auto p = v3(encap_kind::v3_ip4, 0x00200007, pw_type::eth);
	p.rx_cookie_len = 8;
	p.tx_cookie_len = 8;
	for (uint8_t i = 0; i < 8; i++) {
		p.rx_cookie[i] = static_cast<uint8_t>(i + 1);
		p.tx_cookie[i] = static_cast<uint8_t>(0xf0 + i);
	}
	p.flags = session_flag::l2ss | session_flag::send_seq;
	const uint32_t i3 = t.add_session(p);
	t.map_attachment(0, vlan_untagged, i3);
	const bytes frame = cat({eth(router_mac, core_mac, 0x0800), inner_v4(1, 2)});
	const bytes rx_cookie = {1, 2, 3, 4, 5, 6, 7, 8};
	go(access_port, {cat({eth(lns_mac, lac_mac, 0x0800),
	                      ipv4(lac_ip, lns_ip, 115, cat({be32(0x00200007), rx_cookie, be32(0x40000001), frame}))}),
	                 cat({eth(lns_mac, lac_mac, 0x0800), ipv4(lac_ip, lns_ip, 115, cat({be32(0), bytes(12, 0)}))})});
	ASSERT_EQ(r.tx.size(), 1u);
	EXPECT_EQ(r.tx_port[0], attach_port);
	EXPECT_EQ(bytes_of(r.tx[0]), frame);
	ASSERT_EQ(r.punt.size(), 1u); // session 0: control
	EXPECT_EQ(events(path_event::punt_l2tp_control), 1u);

	go(attach_port, {frame, frame});
	ASSERT_EQ(r.tx.size(), 2u);
	for (uint32_t n = 0; n < 2; n++) {
		const bytes got = bytes_of(r.tx[n]);
		bytes want = cat({eth(lac_mac, lns_mac, 0x0800),
		                  ipv4(lns_ip, lac_ip, 115,
		                       cat({be32(0x00c0ffee), {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7}, be32(0x40000000 | n), frame}))});
		EXPECT_EQ(bytes(got.begin() + 34, got.end()), bytes(want.begin() + 34, want.end()));
		EXPECT_TRUE(ipv4_csum_ok(got.data() + 14));
	}
	EXPECT_EQ(events(path_event::encap_v3), 2u);
}

TEST_F(PathTest, V3EthVlanAttachment) {
	auto p = v3(encap_kind::v3_udp4, 0x00300009, pw_type::eth_vlan);
	p.attach_vlan = 42;
	const uint32_t i3 = t.add_session(p);
	t.map_attachment(0, 42, i3);
	const bytes tagged = cat({mac(router_mac), mac(core_mac), be16(0x8100), be16(42), be16(0x0800), inner_v4(1, 2)});
	const bytes other = cat({mac(router_mac), mac(core_mac), be16(0x8100), be16(43), be16(0x0800), inner_v4(1, 2)});
	go(attach_port, {tagged, other});
	ASSERT_EQ(r.tx.size(), 1u);
	const bytes got = bytes_of(r.tx[0]);
	EXPECT_EQ(bytes(got.end() - static_cast<long>(tagged.size()), got.end()), tagged);
	EXPECT_EQ(load_be32(got.data() + 42 + 4), 0x00c0ffeeu);
	EXPECT_EQ(drops(drop_reason::no_attachment), 1u);
}

TEST_F(PathTest, V2OverIpv6EncapChecksum) {
	const uint32_t i6 = t.add_session(v2_udp6(5));
	ASSERT_TRUE(t.add_route_v4(sub_ip + 1, 32, i6));
	go(core_port, {cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip + 1)})});
	ASSERT_EQ(r.tx.size(), 1u);
	const bytes got = bytes_of(r.tx[0]);
	ASSERT_EQ(load_be16(got.data() + 12), 0x86dd);
	const uint8_t *ip6 = got.data() + 14;
	const uint16_t plen = load_be16(ip6 + 4);
	EXPECT_EQ(plen, got.size() - 54);
	bytes pseudo = cat({bytes(ip6 + 8, ip6 + 40), be32(plen), {0, 0, 0, 17}});
	EXPECT_EQ(fold(sum16(ip6 + 40, plen, sum16(pseudo.data(), pseudo.size()))), 0xffff);
	EXPECT_NE(load_be16(ip6 + 40 + 6), 0);
}

// Subscriber /32s in the direct table win over LPM prefixes; addresses outside the block or
// without an entry fall back to the LPM.
TEST_F(PathTest, DirectSubscriberTableBeforeLpm) {
	auto p2 = v2();
	p2.local_session_id = 3;
	p2.peer_session_id = 0x0c0c;
	const uint32_t idx2 = t.add_session(p2);
	ASSERT_NE(idx2, no_session);
	t.use_direct_v4(0x64400000, 1u << 16); // 100.64.0.0/16
	ASSERT_TRUE(t.set_direct_v4(sub_ip + 1, idx2));
	ASSERT_FALSE(t.set_direct_v4(0x64410000, idx2)); // outside the block
	ASSERT_TRUE(t.add_route_v4(sub_ip & 0xffffff00u, 24, idx)); // 100.64.0.0/24 -> session 1/2
	const auto peer_sid = [&](uint32_t dst) -> int {
		go(core_port, {cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, dst)})});
		if (r.tx.size() != 1)
			return -1;
		return load_be16(bytes_of(r.tx[0]).data() + 14 + 20 + 8 + 4);
	};
	EXPECT_EQ(peer_sid(sub_ip + 1), 0x0c0c); // direct
	EXPECT_EQ(peer_sid(sub_ip + 2), 0x0b0b); // no direct entry: the /24
	EXPECT_EQ(peer_sid(sub_ip), 0x0b0b);     // the fixture's /32 in the LPM
	t.view().fast_path = false;
	EXPECT_EQ(peer_sid(sub_ip + 1), 0x0c0c); // the general path uses the same lookup
	t.view().fast_path = true;
	ASSERT_TRUE(t.set_direct_v4(sub_ip + 1, no_session));
	EXPECT_EQ(peer_sid(sub_ip + 1), 0x0b0b);
	EXPECT_EQ(peer_sid(0x64500001), -1); // outside the block and every prefix
	EXPECT_EQ(drops(drop_reason::no_route), 1u);
}

// The fast path (fast_path.hpp) must decide exactly as the general parsers do: every frame
// of a mutated corpus goes through both, from the same table state, and the outcome, the
// output bytes, every counter, the sequence state and the session counters must match.
TEST_F(PathTest, FastPathMatchesGeneralPath) {
	auto pv3 = v3(encap_kind::v3_udp4, 0x00500005, pw_type::ppp);
	pv3.rx_cookie_len = 4;
	std::memcpy(pv3.rx_cookie, "\xc0\xc1\xc2\xc3", 4);
	pv3.subscriber_v4 = sub_ip + 3;
	const uint32_t i3 = t.add_session(pv3);
	ASSERT_NE(i3, no_session);
	ASSERT_TRUE(t.add_route_v4(sub_ip + 3, 32, i3));
	auto pm = v2();
	pm.local_session_id = 9;
	pm.mss_clamp = 1200;
	pm.flags = session_flag::check_seq | session_flag::require_seq;
	pm.subscriber_v4 = sub_ip + 9;
	const uint32_t i9 = t.add_session(pm);
	ASSERT_NE(i9, no_session);
	t.use_direct_v4(0x64400000, 1u << 16);
	ASSERT_TRUE(t.set_direct_v4(sub_ip + 9, i9));
	t.view().punt_unknown_sessions = true;
	const bytes inner = inner_v4(sub_ip, server_ip);
	const bytes corpus[] = {
	    from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner})),
	    from_lac(cat({v2_hdr(1, 2), be16(0x21), inner})),
	    from_lac(cat({be16(0x4b02), be16(static_cast<uint16_t>(20 + inner.size())), be16(1), be16(9), be16(7),
	                  be16(0), be16(2), {0, 0}, ppp(0x21), inner_v4(sub_ip + 9, server_ip)})),
	    from_lac(cat({be16(0x0802), be16(1), be16(9), be16(8), be16(0), ppp(0x21), tcp_syn(sub_ip + 9, server_ip, 1460)})),
	    from_lac(cat({be16(0x0003), be16(0), be32(0x00500005), {0xc0, 0xc1, 0xc2, 0xc3}, ppp(0x21),
	                  inner_v4(sub_ip + 3, server_ip)})),
	    from_lac(cat({be16(0xc802), be16(12), be16(1), be16(0), be16(0), be16(0)})),
	    from_lac(cat({be16(0xc803), be16(16), be32(0), be32(0), be32(0)})),
	    cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip)}),
	    cat({eth(core_mac, router_mac, 0x0800), tcp_syn(server_ip, sub_ip + 9, 1460)}),
	    cat({eth(core_mac, router_mac, 0x0800), inner_v4(server_ip, sub_ip + 3)}),
	};
	struct outcome {
		int fate = -1; // 0 tx, 1 punt, 2 local, 3 dropped
		uint16_t port = 0;
		bytes out;
		path_counters ctr{};
		std::vector<session_seq> seq;
		std::vector<session_stats> stats;
	};
	const uint32_t watched[] = {idx, i3, i9};
	const auto run_one = [&](const bytes &f, uint16_t port, uint64_t ol_flags, bool fast) {
		t.view().fast_path = fast;
		rte_mbuf *m = make_mbuf(f, port);
		EXPECT_NE(m, nullptr);
		m->ol_flags = ol_flags;
		t.counters() = {};
		free_all(r);
		r = run(t.ctx(), port, {m});
		outcome o;
		if (!r.tx.empty())
			o = {0, r.tx_port[0], bytes_of(r.tx[0]), {}, {}, {}};
		else if (!r.punt.empty())
			o = {1, 0, bytes_of(r.punt[0]), {}, {}, {}};
		else if (!r.local.empty())
			o = {2, 0, bytes_of(r.local[0]), {}, {}, {}};
		else
			o.fate = 3;
		o.ctr = t.counters();
		for (uint32_t w : watched) {
			o.seq.push_back(t.seq()[w]);
			o.stats.push_back(t.stats()[w]);
		}
		return o;
	};
	uint64_t frames = 0, forwarded = 0;
	for (const bytes &good : corpus) {
		const uint16_t port = good.size() > 12 && good[6] == core_mac[0] && good[11] == router_mac[5] ? core_port
		                                                                                               : access_port;
		std::vector<bytes> variants;
		for (size_t n = 0; n <= good.size(); n += (n < 70 ? 1 : 7))
			variants.emplace_back(good.begin(), good.begin() + static_cast<long>(n));
		for (size_t i = 0; i < good.size() && i < 96; i++)
			for (uint8_t v : {uint8_t(0x00), uint8_t(0x01), uint8_t(0xff), uint8_t(good[i] ^ 0x01), uint8_t(good[i] ^ 0x80),
			                  uint8_t(good[i] + 1), uint8_t(good[i] - 1)}) {
				bytes f = good;
				f[i] = v;
				variants.push_back(f);
			}
		bytes padded = good;
		padded.resize(good.size() + 9, 0xee);
		variants.push_back(padded);
		for (const bytes &f : variants)
			for (uint64_t ol : {uint64_t{0}, uint64_t{RTE_MBUF_F_RX_IP_CKSUM_GOOD}, uint64_t{RTE_MBUF_F_RX_IP_CKSUM_BAD},
			                    uint64_t{RTE_MBUF_F_RX_L4_CKSUM_BAD}}) {
				std::vector<session_seq> seq0;
				std::vector<session_stats> st0;
				for (uint32_t w : watched) {
					seq0.push_back(t.seq()[w]);
					st0.push_back(t.stats()[w]);
				}
				const outcome slow = run_one(f, port, ol, false);
				for (size_t k = 0; k < std::size(watched); k++) {
					t.seq()[watched[k]] = seq0[k];
					t.stats()[watched[k]] = st0[k];
				}
				const outcome quick = run_one(f, port, ol, true);
				const std::string where = "corpus frame of " + std::to_string(good.size()) + " bytes, variant of " +
				                          std::to_string(f.size()) + " bytes, ol_flags " + std::to_string(ol);
				ASSERT_EQ(quick.fate, slow.fate) << where;
				ASSERT_EQ(quick.port, slow.port) << where;
				ASSERT_EQ(quick.out, slow.out) << where;
				ASSERT_EQ(std::memcmp(&quick.ctr, &slow.ctr, sizeof(path_counters)), 0) << where;
				for (size_t k = 0; k < std::size(watched); k++) {
					ASSERT_EQ(std::memcmp(&quick.seq[k], &slow.seq[k], sizeof(session_seq)), 0) << where;
					ASSERT_EQ(std::memcmp(&quick.stats[k], &slow.stats[k], sizeof(session_stats)), 0) << where;
				}
				frames++;
				forwarded += quick.fate == 0;
			}
	}
	free_all(r);
	EXPECT_GT(frames, 10000u);
	EXPECT_GT(forwarded, 500u);
}

// Burst variant of FastPathMatchesGeneralPath for the access port: the lean path
// (path_access.cpp) and its prefetch pipeline run in bursts, so bursts of 32 frames drawn
// at random from every access layout (v2 with and without optional fields and FF 03, v3
// with 0/4/8-byte cookies, control messages, TTL 1, multicast, TCP to an MSS-clamped
// session, sequenced data with old and new Ns), each mutated at random (a byte of the
// headers changed, truncated, padded) and with random receive-checksum flags, go through
// the general path and the fast path from the same table state; later bursts with one
// local address configured, then a VLAN-tagged next hop, then a small MTU on the core
// port. Transmitted frames (bytes and ports, in order), punted, local, ICMP and glean
// frames, every counter, the sequence state and the session counters must be identical.
TEST_F(PathTest, FastPathMatchesGeneralPathInBursts) {
	struct v3s {
		uint32_t sid;
		uint8_t cookie_len;
		uint32_t sub;
	};
	const v3s v3_sessions[] = {{0x00500005, 4, sub_ip + 3}, {0x00500006, 8, sub_ip + 4}, {0x00500007, 0, sub_ip + 6}};
	const uint8_t cookie[8] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
	std::vector<uint32_t> watched = {idx};
	for (const v3s &d : v3_sessions) {
		auto p = v3(encap_kind::v3_udp4, d.sid, pw_type::ppp);
		p.rx_cookie_len = d.cookie_len;
		std::memcpy(p.rx_cookie, cookie, d.cookie_len);
		p.subscriber_v4 = d.sub;
		p.flags = session_flag::check_source;
		const uint32_t i = t.add_session(p);
		ASSERT_NE(i, no_session);
		ASSERT_TRUE(t.add_route_v4(d.sub, 32, i));
		watched.push_back(i);
	}
	auto pm = v2(); // sequenced, MSS clamped
	pm.local_session_id = 9;
	pm.mss_clamp = 1200;
	pm.flags = session_flag::check_seq | session_flag::require_seq | session_flag::check_source;
	pm.subscriber_v4 = sub_ip + 9;
	const uint32_t i9 = t.add_session(pm);
	ASSERT_NE(i9, no_session);
	ASSERT_TRUE(t.add_route_v4(sub_ip + 9, 32, i9));
	watched.push_back(i9);
	auto pp = v2(); // no source check
	pp.local_session_id = 5;
	pp.flags = 0;
	pp.subscriber_v4 = sub_ip + 5;
	const uint32_t i5 = t.add_session(pp);
	ASSERT_NE(i5, no_session);
	watched.push_back(i5);
	t.view().punt_unknown_sessions = true;

	std::mt19937_64 rng(0x6c65616e);
	const auto pick = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
	const auto lso = [&](uint16_t flags, uint16_t sid, uint32_t sub, uint16_t ns) {
		bytes h = be16(flags);
		if (flags & 0x4000)
			h = cat({h, be16(0)});
		h = cat({h, be16(1), be16(sid)});
		if (flags & 0x0800)
			h = cat({h, be16(ns), be16(0)});
		if (flags & 0x0200)
			h = cat({h, be16(2), {0xee, 0xee}});
		bytes l2tp = cat({h, ppp(0x21), inner_v4(sub, server_ip)});
		if (flags & 0x4000)
			store_be16(l2tp.data() + 2, static_cast<uint16_t>(l2tp.size()));
		return from_lac(l2tp);
	};
	const auto make = [&]() -> bytes {
		switch (pick(16)) {
		case 0:
		case 1:
			return from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}));
		case 2:
			return from_lac(cat({v2_hdr(1, 5), ppp(0x21), inner_v4(sub_ip + 77, server_ip)}));
		case 3:
			return from_lac(cat({v2_hdr(1, 2), be16(0x21), inner_v4(sub_ip, server_ip)}));
		case 4: { // v3, one of the cookie lengths
			const v3s &d = v3_sessions[pick(3)];
			return from_lac(cat({be16(0x0003), be16(0), be32(d.sid), bytes(cookie, cookie + d.cookie_len), ppp(0x21),
			                     inner_v4(d.sub, server_ip)}));
		}
		case 5: // sequenced, Ns near the expected one (old ones dropped)
			return lso(static_cast<uint16_t>(0x0802 | (pick(2) ? 0x4000 : 0) | (pick(2) ? 0x0200 : 0) |
			                                 (pick(2) ? 0x0100 : 0)),
			           9, sub_ip + 9, static_cast<uint16_t>(pick(8)));
		case 6:
			return lso(static_cast<uint16_t>(0x0002 | (pick(2) ? 0x4000 : 0) | (pick(2) ? 0x0200 : 0)), 5,
			           sub_ip + 5, 0);
		case 7:
			return from_lac(cat({be16(0xc802), be16(12), be16(1), be16(0), be16(0), be16(0)}));
		case 8:
			return from_lac(cat({be16(0xc803), be16(16), be32(0), be32(0), be32(0)}));
		case 9:
			return from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip, static_cast<uint8_t>(pick(3)))}));
		case 10:
			return from_lac(cat({v2_hdr(1, 5), ppp(0x21), inner_v4(sub_ip + 5, 0xe0000001 + pick(2) * 0x1fffffffu)}));
		case 11:
			return from_lac(cat({v2_hdr(1, 9), ppp(0x21), tcp_syn(sub_ip + 9, server_ip, 1460)}));
		case 12:
			return from_lac(cat({v2_hdr(1, 5), ppp(0x21), tcp_syn(sub_ip + 5, server_ip, 1460)}));
		case 13: // unknown session, or another's ID
			return from_lac(cat({v2_hdr(1, static_cast<uint16_t>(pick(12))), ppp(0x21), inner_v4(sub_ip, server_ip)}));
		default:
			return from_lac(cat({v2_hdr(1, 2), ppp(0x21), inner_v4(sub_ip, server_ip)}), pick(2) ? lac_ip : other_ip);
		}
	};
	const auto mutate = [&](bytes f) {
		switch (pick(9)) {
		case 0: // a header byte
		case 1: {
			const uint32_t at = pick(std::min<size_t>(f.size(), 96));
			const uint8_t vals[] = {0x00, 0x01, 0xff, static_cast<uint8_t>(f[at] ^ 0x01), static_cast<uint8_t>(f[at] ^ 0x80),
			                        static_cast<uint8_t>(f[at] + 1), static_cast<uint8_t>(f[at] - 1)};
			f[at] = vals[pick(std::size(vals))];
			break;
		}
		case 2: // truncated
			f.resize(pick(f.size() + 1));
			break;
		case 3: // a length field (IPv4, UDP, L2TP Length, inner IPv4 at 52 or 62) or ID byte +-1
		case 4: {
			const uint32_t at_list[] = {16, 17, 30, 33, 38, 39, 44, 45, 46, 47, 48, 49, 54, 55, 64, 65};
			const uint32_t at = at_list[pick(std::size(at_list))];
			if (at < f.size())
				f[at] = static_cast<uint8_t>(f[at] + (pick(2) ? 1 : -1));
			break;
		}
		case 5: // padded
			f.resize(f.size() + 1 + pick(24), 0xee);
			break;
		default:
			break;
		}
		return f;
	};
	const uint64_t flag_values[] = {0, 0, RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD,
	                                RTE_MBUF_F_RX_L4_CKSUM_BAD, RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD};
	uint64_t forwarded = 0, punted = 0;
	neighbour tagged = resolved_neighbour(router_mac, core_mac, core_port);
	tagged.vlan = 7;
	const uint32_t nb_tagged = t.add_neighbour(tagged);
	for (int b = 0; b < 400; b++) {
		if (b == 100) { // L2TP accepted on one local address only
			t.view().local_v4[0] = rte_cpu_to_be_32(lns_ip);
			t.view().local_v4_count = 1;
		}
		if (b == 200) // the next hop behind an 802.1Q tag: an 18-byte Ethernet header
			t.view().default_nh_v4 = nb_tagged;
		if (b == 300) // an MTU some inner packets exceed (the general path sends the ICMP error)
			t.set_port(core_port, port_role::core, 40);
		std::vector<bytes> frames;
		std::vector<uint64_t> ol;
		// Mostly 32 frames; every fourth burst 1 .. max_burst (the loops' tails and stages)
		const size_t size = b % 4 == 3 ? 1 + pick(max_burst) : 32;
		for (size_t k = 0; k < size; k++) {
			frames.push_back(pick(3) ? make() : mutate(make()));
			ol.push_back(flag_values[pick(std::size(flag_values))]);
		}
		const burst_outcome quick = same_burst(access_port, frames, ol, watched, "burst " + std::to_string(b));
		if (HasFatalFailure())
			return;
		forwarded += quick.tx.size();
		punted += quick.punt.size();
	}
	free_all(r);
	EXPECT_GT(forwarded, 3000u);
	EXPECT_GT(punted, 400u);
}

// Burst variant of FastPathMatchesGeneralPath for the core port: the lean encapsulation
// (fast_core.hpp) and its route and session prefetch stages (path_core.cpp) run over whole
// bursts, so bursts of 32 frames drawn at random go through the general path and the fast
// path from the same table state: subscribers in the direct /32 table (v2 with and without
// Length, v3 with 0/4/8-byte cookies, MSS clamped, sequenced, VLAN-tagged and IPv6-outer
// templates, a session behind a small MTU) and in the LPM, non-subscribers, a local
// address (one, then two configured), TTL 0/1/2, too big, IP options, fragments, TCP SYNs,
// ARP and IPv6, each mutated at random (a header byte, a length, truncated, padded) and
// with random receive-checksum flags. Transmitted frames (bytes and ports, in order),
// punted, local, ICMP and glean frames, every counter, the sequence state and the session
// counters must be identical.
TEST_F(PathTest, FastPathMatchesGeneralPathInCoreBursts) {
	constexpr uint16_t small_port = 3; // an access port with a 120-byte MTU
	t.set_port(small_port, port_role::access, 120);
	t.use_direct_v4(0x64400000, 1u << 16);
	std::vector<uint32_t> watched = {idx}; // sub_ip: an LPM route only
	std::vector<uint32_t> subs;
	const auto add = [&](session_params p, uint32_t sub) {
		p.subscriber_v4 = sub;
		const uint32_t i = t.add_session(p);
		ASSERT_NE(i, no_session);
		ASSERT_TRUE(t.set_direct_v4(sub, i));
		watched.push_back(i);
		subs.push_back(sub);
	};
	const auto v2s = [&](uint16_t sid) {
		auto p = v2();
		p.local_session_id = sid;
		p.flags = 0;
		return p;
	};
	add(v2s(20), sub_ip + 20);
	auto pl = v2s(21);
	pl.v2_length = true;
	pl.ppp_address_control = false;
	add(pl, sub_ip + 21);
	const uint8_t cookie[8] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
	for (uint8_t k = 0; k < 3; k++) {
		auto p = v3(encap_kind::v3_udp4, 0x00500010u + k, pw_type::ppp);
		p.tx_cookie_len = static_cast<uint8_t>(k * 4);
		std::memcpy(p.tx_cookie, cookie, p.tx_cookie_len);
		add(p, sub_ip + 22 + k);
	}
	auto pm = v2s(25);
	pm.mss_clamp = 1200;
	add(pm, sub_ip + 25);
	auto ps = v2s(26);
	ps.flags = session_flag::send_seq;
	add(ps, sub_ip + 26);
	auto pv = v2s(27);
	pv.vlan = 42;
	add(pv, sub_ip + 27);
	auto pt = v2s(28);
	pt.egress_port = small_port;
	add(pt, sub_ip + 28);
	auto p6 = v3(encap_kind::v3_udp6, 0x00500020, pw_type::ppp);
	const uint8_t *l6 = lns_ip6, *r6 = lac_ip6;
	std::memcpy(p6.local_addr, l6, 16);
	std::memcpy(p6.peer_addr, r6, 16);
	add(p6, sub_ip + 29);
	add(v2s(30), sub_ip + 30); // also a local address (below): local wins
	t.view().local_v4[0] = rte_cpu_to_be_32(sub_ip + 30);
	t.view().local_v4[1] = rte_cpu_to_be_32(sub_ip + 31);
	ASSERT_TRUE(t.set_direct_v4(sub_ip + 31, watched[1]));

	std::mt19937_64 rng(0x636f7265);
	const auto pick = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
	const auto core = [&](const bytes &ip) { return cat({eth(core_mac, router_mac, 0x0800), ip}); };
	const auto dst = [&]() -> uint32_t {
		switch (pick(8)) {
		case 0:
			return sub_ip; // LPM
		case 1:
			return sub_ip + 30 + pick(2); // local
		case 2:
			return sub_ip + 100 + pick(3); // in the direct block, no session
		case 3:
			return server_ip; // outside the block
		default:
			return subs[pick(subs.size())];
		}
	};
	const auto make = [&]() -> bytes {
		const uint32_t to = dst();
		switch (pick(12)) {
		case 0:
			return core(inner_v4(server_ip, to, static_cast<uint8_t>(pick(3))));
		case 1: // around the small port's MTU (outer length 120: 54 bytes of UDP payload), or larger
			return core(ipv4(server_ip, pick(2) ? sub_ip + 28 : to, 17,
			                 udp(53, 5000, bytes(pick(4) ? 50 + pick(10) : 40 + pick(80), 0x5a))));
		case 2: // DF or not, first fragment or later one
			return core(ipv4(server_ip, to, 17, udp(53, 5000, bytes(70, 0x5a)), 64,
			                 static_cast<uint16_t>(pick(2) ? 0x4000 : 0x2000 + pick(2) * 0x10)));
		case 3:
			return core(tcp_syn(server_ip, to, static_cast<uint16_t>(1100 + pick(400))));
		case 4: { // IP options (IHL 6)
			bytes ip = inner_v4(server_ip, to);
			ip.insert(ip.begin() + 20, {1, 1, 1, 0});
			ip[0] = 0x46;
			store_be16(ip.data() + 2, static_cast<uint16_t>(ip.size()));
			ip[10] = ip[11] = 0;
			const uint16_t ck = static_cast<uint16_t>(~fold(sum16(ip.data(), 24)));
			store_be16(ip.data() + 10, ck);
			return core(ip);
		}
		case 5:
			return cat({eth(core_mac, router_mac, 0x0806), bytes(28, 1)});
		case 6:
			return cat({eth(core_mac, router_mac, 0x86dd), be32(0x60000000), be16(8), {17, 64}, bytes(l6, l6 + 16),
			            bytes(r6, r6 + 16), udp(1, 2, {})});
		default:
			return core(inner_v4(server_ip, to));
		}
	};
	const auto mutate = [&](bytes f) {
		switch (pick(8)) {
		case 0:
		case 1: {
			const uint32_t at = pick(std::min<size_t>(f.size(), 60));
			const uint8_t vals[] = {0x00, 0x01, 0xff, static_cast<uint8_t>(f[at] ^ 0x01), static_cast<uint8_t>(f[at] ^ 0x80),
			                        static_cast<uint8_t>(f[at] + 1), static_cast<uint8_t>(f[at] - 1)};
			f[at] = vals[pick(std::size(vals))];
			break;
		}
		case 2:
			f.resize(pick(f.size() + 1));
			break;
		case 3: { // total length, TTL or checksum +-1
			const uint32_t at_list[] = {16, 17, 22, 24, 25};
			const uint32_t at = at_list[pick(std::size(at_list))];
			if (at < f.size())
				f[at] = static_cast<uint8_t>(f[at] + (pick(2) ? 1 : -1));
			break;
		}
		case 4:
			f.resize(f.size() + 1 + pick(24), 0xee);
			break;
		default:
			break;
		}
		return f;
	};
	const uint64_t flag_values[] = {0, 0, RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD,
	                                RTE_MBUF_F_RX_IP_CKSUM_NONE, RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD};
	uint64_t forwarded = 0, icmp = 0, local = 0;
	for (int b = 0; b < 400; b++) {
		t.view().local_v4_count = static_cast<uint8_t>(b < 200 ? 1 : 2); // one, then two local addresses
		std::vector<bytes> frames;
		std::vector<uint64_t> ol;
		const int count = b % 50 == 49 ? 1 + pick(12) : 32; // short bursts too (the stages' edges)
		for (int k = 0; k < count; k++) {
			frames.push_back(pick(3) ? make() : mutate(make()));
			ol.push_back(flag_values[pick(std::size(flag_values))]);
		}
		const burst_outcome quick = same_burst(core_port, frames, ol, watched, "burst " + std::to_string(b));
		if (HasFatalFailure())
			return;
		forwarded += quick.tx.size();
		icmp += quick.icmp.size();
		local += quick.local.size();
	}
	free_all(r);
	EXPECT_GT(forwarded, 3000u);
	EXPECT_GT(icmp, 100u);
	EXPECT_GT(local, 100u);
}

// A static L2TPv3 tunnel on a UDP port of its own (`udp_sport`, as `ip l2tp add tunnel ...
// udp_sport 5000`): L2TP to that port is decapsulated as on l2tp_udp_port (the fast path
// matches only the main port; the general path takes the rest); other ports stay not L2TP.
TEST_F(PathTest, V3OnAStaticTunnelsOwnUdpPort) {
	auto p = v3(encap_kind::v3_udp4, 0x00600005, pw_type::eth);
	const uint32_t i3 = t.add_session(p);
	ASSERT_NE(i3, no_session);
	t.map_attachment(0, vlan_untagged, i3);
	const bytes frame = cat({eth(router_mac, core_mac, 0x0800), inner_v4(1, 2)});
	const auto pkt = [&](uint16_t dport) {
		return cat({eth(lns_mac, lac_mac, 0x0800),
		            ipv4(lac_ip, lns_ip, 17, udp(6000, dport, cat({be16(0x0003), be16(0), be32(0x00600005), frame})))});
	};
	const struct {
		bool fast_path;
		bool extra_port; // 5000 registered
		uint32_t forwarded, not_l2tp;
	} cases[] = {{true, false, 1, 2}, {false, false, 1, 2}, {true, true, 2, 1}, {false, true, 2, 1}};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::Message() << "fast_path " << c.fast_path << " extra_port " << c.extra_port);
		t.view().fast_path = c.fast_path;
		if (c.extra_port)
			t.view().set_extra_l2tp_udp_port(5000);
		const uint64_t not_l2tp0 = drops(drop_reason::not_l2tp), v3_0 = events(path_event::decap_v3);
		go(access_port, {pkt(1701), pkt(5000), pkt(5001)});
		ASSERT_EQ(r.tx.size(), c.forwarded);
		for (uint32_t n = 0; n < c.forwarded; n++) {
			EXPECT_EQ(r.tx_port[n], attach_port);
			EXPECT_EQ(bytes_of(r.tx[n]), frame);
		}
		EXPECT_EQ(drops(drop_reason::not_l2tp) - not_l2tp0, c.not_l2tp);
		EXPECT_EQ(events(path_event::decap_v3) - v3_0, c.forwarded);
	}
	EXPECT_TRUE(t.view().is_l2tp_udp_port(1701));
	EXPECT_TRUE(t.view().is_l2tp_udp_port(5000));
	EXPECT_FALSE(t.view().is_l2tp_udp_port(5001));
	EXPECT_FALSE(t.view().is_l2tp_udp_port(4999));
}

} // namespace

int main(int argc, char **argv) {
	::testing::InitGoogleTest(&argc, argv);
	if (!init_eal("path"))
		return 1;
	return RUN_ALL_TESTS();
}
