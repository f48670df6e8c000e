#include "tools/gen/dpdk/frames.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "shared/config/config_loader.hpp"
#include "shared/l2tp/l2tpv2.hpp"
#include "shared/l2tp/l2tpv3.hpp"

namespace l2tpx::gen::dpdk {
namespace {

constexpr mac lns_mac{0x02, 0, 0, 0, 0, 1}, lac_mac{0x02, 0, 0, 0, 0, 2};

upstream_params up_params(bool seq) {
	upstream_params p;
	p.lns_mac = lns_mac;
	p.lac_mac = lac_mac;
	p.lac_ip = 0xC6120002;
	p.lns_ip = 0xC6120001;
	p.lac_port = 1701;
	p.lns_port = 1701;
	p.tunnel = 0x1234;
	p.session = 0xBEEF;
	p.data_sequence = seq;
	p.subscriber_ip = 0x6440000A;
	p.core_ip = 0xC6130002;
	p.traffic_port = 9000;
	return p;
}

// The UDP checksum of an IPv4/UDP packet verifies (sum over pseudo header + datagram = 0xFFFF).
bool udp_checksum_ok(const uint8_t *ip) {
	const uint16_t ulen = load_be16(ip + ipv4_len + 4);
	uint32_t pseudo = 0;
	for (int i = 12; i < 20; i += 2)
		pseudo += load_be16(ip + i);
	pseudo += 17 + ulen;
	const uint16_t s = ones_complement_sum({ip + ipv4_len, ulen}, pseudo);
	return s == 0xFFFF;
}

TEST(Frames, Ipv4HeaderChecksumOfKnownHeader) {
	// RFC 1071 example header (Wikipedia's): checksum 0xB861.
	const uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                       0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	EXPECT_EQ(ipv4_header_checksum(h), 0xB861);
}

TEST(Frames, UpstreamPacketLayoutAndChecksums) {
	for (bool seq : {false, true}) {
		tx_template t = build_upstream_template(up_params(seq));
		for (uint16_t size : {62, 64, 70, 128, 594, 1518}) {
			std::vector<uint8_t> buf(packet_length(t, size));
			const size_t n = fill_packet(t, buf, size, 77, 1000 + size, 123456789);
			ASSERT_EQ(n, buf.size());
			EXPECT_EQ(n, size - 18u + 14 + upstream_overhead(seq));
			const uint8_t *ip = buf.data() + eth_len;
			EXPECT_EQ(load_be16(ip + 2), n - eth_len);
			EXPECT_EQ(ipv4_header_checksum(ip), load_be16(ip + 10));
			EXPECT_EQ(load_be16(ip + 24), n - eth_len - ipv4_len); // outer UDP length
			auto h = l2tp::parse_v2({ip + 28, n - eth_len - 28});
			ASSERT_TRUE(h);
			EXPECT_FALSE(h->is_control());
			EXPECT_EQ(h->tunnel_id.value, 0x1234);
			EXPECT_EQ(h->session_id.value, 0xBEEF);
			EXPECT_EQ(h->has_sequence(), seq);
			ASSERT_GE(h->payload.size(), 4u);
			EXPECT_EQ(load_be32(h->payload.data()), 0xFF030021u);
			const uint8_t *inner = h->payload.data() + 4;
			EXPECT_EQ(load_be16(inner + 2), size - 18u);
			EXPECT_EQ(ipv4_header_checksum(inner), load_be16(inner + 10));
			EXPECT_EQ(load_be32(inner + 12), 0x6440000Au);
			EXPECT_EQ(load_be32(inner + 16), 0xC6130002u);
			EXPECT_TRUE(udp_checksum_ok(inner)) << "size " << size;

			const rx_frame r = classify_access(buf, 1701, 9000);
			ASSERT_EQ(r.kind, rx_kind::measured);
			EXPECT_EQ(r.frame_bytes, size);
			const signature sig = read_signature(r.payload);
			ASSERT_EQ(sig.status, signature_status::ok);
			EXPECT_EQ(sig.stream, 77u);
			EXPECT_EQ(sig.seq & 0xFFFFFFFF, 1000u + size);
		}
	}
}

TEST(Frames, DataSequenceNumbersIncrementPerPacket) {
	tx_template t = build_upstream_template(up_params(true));
	for (uint16_t ns = 0; ns < 3; ++ns) {
		std::vector<uint8_t> buf(packet_length(t, 64));
		ASSERT_NE(fill_packet(t, buf, 64, 0, ns, 0), 0u);
		auto h = l2tp::parse_v2({buf.data() + 42, buf.size() - 42});
		ASSERT_TRUE(h);
		EXPECT_EQ(h->ns, ns);
	}
}

TEST(Frames, DownstreamPacketIsPlainUdp) {
	downstream_params p;
	p.next_hop_mac = lns_mac;
	p.core_mac = lac_mac;
	p.core_ip = 0xC6130002;
	p.subscriber_ip = 0x6440000A;
	tx_template t = build_downstream_template(p);
	std::vector<uint8_t> buf(packet_length(t, 64));
	ASSERT_EQ(fill_packet(t, buf, 64, 5, 9, 10), 60u); // 64 minus FCS
	EXPECT_EQ(load_be32(buf.data() + 30), 0x6440000Au);
	EXPECT_TRUE(udp_checksum_ok(buf.data() + 14));
	const rx_frame r = classify_core(buf, 9000);
	ASSERT_EQ(r.kind, rx_kind::measured);
	EXPECT_EQ(r.frame_bytes, 64u);
	EXPECT_EQ(read_signature(r.payload).stream, 5u);
	EXPECT_EQ(classify_core(buf, 9001).kind, rx_kind::other);
}

TEST(Frames, TooSmallBufferOrFrameWritesNothing) {
	tx_template t = build_upstream_template(up_params(false));
	std::vector<uint8_t> buf(packet_length(t, 64) - 1);
	EXPECT_EQ(fill_packet(t, buf, 64, 0, 0, 0), 0u);
	std::vector<uint8_t> big(200);
	EXPECT_EQ(fill_packet(t, big, 40, 0, 0, 0), 0u); // no room for a signature
}

TEST(Frames, ArpRoundTrip) {
	arp_packet a;
	a.op = 1;
	a.sha = lac_mac;
	a.spa = 0xC6120002;
	a.tpa = 0xC6120001;
	uint8_t f[60];
	ASSERT_EQ(build_arp(f, broadcast_mac, a), 60u);
	auto p = parse_arp(f);
	ASSERT_TRUE(p);
	EXPECT_EQ(p->op, 1);
	EXPECT_EQ(p->sha, lac_mac);
	EXPECT_EQ(p->spa, 0xC6120002u);
	EXPECT_EQ(p->tpa, 0xC6120001u);
	EXPECT_EQ(classify_access(f, 1701, 9000).kind, rx_kind::arp);
	EXPECT_EQ(classify_core(f, 9000).kind, rx_kind::arp);
	f[21] = 3; // op 3: not ARP request/reply
	EXPECT_FALSE(parse_arp(f));
}

TEST(Frames, ControlMessagesAndPppControlGoToTheControlPlane) {
	const uint8_t sccrp_hdr[] = {0xC8, 0x02, 0x00, 0x0C, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
	const uint8_t lcp[] = {0x00, 0x02, 0x12, 0x34, 0x56, 0x78, 0xFF, 0x03, 0xC0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0};
	for (auto payload : {std::span<const uint8_t>(sccrp_hdr), std::span<const uint8_t>(lcp)}) {
		udp_addrs a;
		a.src_ip = 0xC6120001;
		a.dst_ip = 0xC6120002;
		a.src_port = 1701;
		a.dst_port = 1701;
		uint8_t f[128];
		const size_t n = build_udp_frame(f, a, 1, payload);
		ASSERT_NE(n, 0u);
		const rx_frame r = classify_access({f, n}, 1701, 9000);
		ASSERT_EQ(r.kind, rx_kind::l2tp_control);
		EXPECT_EQ(r.src_ip, 0xC6120001u);
		EXPECT_EQ(r.dst_ip, 0xC6120002u);
		EXPECT_EQ(r.src_port, 1701);
		EXPECT_EQ(r.l2tp.size(), payload.size());
		EXPECT_EQ(ipv4_header_checksum(f + 14), load_be16(f + 24));
		EXPECT_EQ(classify_access({f, n}, 1702, 9000).kind, rx_kind::other); // not our L2TP port
	}
}

TEST(Frames, TruncatedFramesAreOtherNeverRead) {
	tx_template t = build_upstream_template(up_params(true));
	std::vector<uint8_t> buf(packet_length(t, 128));
	fill_packet(t, buf, 128, 1, 2, 3);
	for (size_t len = 0; len < buf.size(); ++len) {
		std::vector<uint8_t> cut(buf.begin(), buf.begin() + long(len)); // exact size: ASan sees overreads
		const rx_frame r = classify_access(cut, 1701, 9000);
		EXPECT_NE(r.kind, rx_kind::measured) << len;
		(void)classify_core(cut, 9000);
		(void)parse_arp(cut);
	}
}

TEST(Frames, FragmentsAndNonUdpAreOther) {
	tx_template t = build_upstream_template(up_params(false));
	std::vector<uint8_t> buf(packet_length(t, 64));
	fill_packet(t, buf, 64, 1, 2, 3);
	std::vector<uint8_t> frag = buf;
	store_be16(frag.data() + 20, 0x2000); // MF
	EXPECT_EQ(classify_access(frag, 1701, 9000).kind, rx_kind::other);
	std::vector<uint8_t> tcp = buf;
	tcp[23] = 6;
	EXPECT_EQ(classify_access(tcp, 1701, 9000).kind, rx_kind::other);
}


// ---------------------------------------------------------------------------------------
// Pseudowires (static L2TPv3)

cfg::ip_address ip_of(const char *s) {
	cfg::ip_address a;
	EXPECT_TRUE(cfg::parse_ip(s, a)) << s;
	return a;
}

// The checksum of a UDP datagram over IPv6 verifies: pseudo header + datagram sum to 0xFFFF.
bool udp6_checksum_ok(const uint8_t *ip6) {
	const uint16_t ulen = load_be16(ip6 + ipv6_len + 4);
	uint64_t s = uint64_t(sum_words(ip6 + 8, 32)) + 17 + ulen + sum_words(ip6 + ipv6_len, ulen);
	return load_be16(ip6 + ipv6_len + 6) != 0 && fold_sum(s) == 0xFFFF;
}

struct pw_case {
	const char *name;
	bool v6, udp;
	std::vector<uint8_t> cookie;
	bool l2spec, seq;
	uint16_t vlan;
};

const std::vector<pw_case> pw_cases = {
    {"v4 udp no cookie", false, true, {}, false, false, 0},
    {"v4 udp cookie4 l2ss seq", false, true, {1, 2, 3, 4}, true, true, 0},
    {"v4 ip cookie8 vlan", false, false, {1, 2, 3, 4, 5, 6, 7, 8}, false, false, 42},
    {"v4 ip l2ss seq vlan", false, false, {}, true, true, 4094},
    {"v6 udp cookie8 l2ss seq vlan", true, true, {9, 8, 7, 6, 5, 4, 3, 2}, true, true, 43},
    {"v6 udp no cookie", true, true, {}, false, false, 0},
    {"v6 ip cookie4 l2ss", true, false, {0xa, 0xb, 0xc, 0xd}, true, false, 0},
};

pw_upstream_params pw_params(const pw_case &c) {
	pw_upstream_params p;
	p.lns_mac = lns_mac;
	p.local_mac = lac_mac;
	p.local = ip_of(c.v6 ? "2001:db8:5::2" : "192.0.2.2");
	p.remote = ip_of(c.v6 ? "2001:db8:5::1" : "192.0.2.1");
	p.udp = c.udp;
	p.sport = 1705;
	p.dport = 1701;
	p.peer_session_id = 0x01020304;
	p.peer_cookie = c.cookie;
	p.l2spec = c.l2spec;
	p.seq = c.seq;
	p.inner_dst = {0x02, 0, 0, 0, 0, 0x10};
	p.inner_src = {0x02, 0, 0, 0, 0, 0x11};
	p.vlan = c.vlan;
	p.src_ip = 0x6440000A;
	p.dst_ip = 0xC6130002;
	p.traffic_port = 9000;
	return p;
}

// The receive table of the generator itself for what it sends: a loopback check.
pw_rx_table rx_table_for(const pw_case &c) {
	pw_rx_table t;
	pw_rx_session s;
	s.session_id = 0x01020304;
	s.cookie_len = uint8_t(c.cookie.size());
	std::copy(c.cookie.begin(), c.cookie.end(), s.cookie.begin());
	s.l2spec = c.l2spec;
	t.sessions = {{7, 0, {}, false}, s, {0x7FFFFFFF, 0, {}, false}};
	t.udp_ports = {1701, 1705};
	t.ip_encap = !c.udp;
	return t;
}

mac mac_at(const uint8_t *p) {
	mac m;
	std::copy(p, p + 6, m.begin());
	return m;
}

TEST(FramesPw, UpstreamLayoutChecksumsAndLoopback) {
	for (const pw_case &c : pw_cases) {
		SCOPED_TRACE(c.name);
		pw_upstream_params params = pw_params(c);
		tx_template t = build_pw_upstream_template(params);
		pw_tunnel_config tc;
		tc.local = params.local;
		tc.encap = c.udp ? cfg::l2tp_encap::udp : cfg::l2tp_encap::ip;
		pw_session_config sc;
		sc.peer_cookie = c.cookie;
		sc.l2spec = c.l2spec;
		sc.eth_vlan = c.vlan != 0;
		uint32_t seq = 0;
		for (uint16_t size : {64, 65, 128, 1400}) {
			SCOPED_TRACE(size);
			std::vector<uint8_t> buf(packet_length(t, size));
			const size_t n = fill_packet(t, buf, size, 33, 500 + size, 987654321);
			ASSERT_EQ(n, buf.size());
			EXPECT_EQ(n, eth_len + pw_overhead(tc, sc) + size - 18u);
			EXPECT_EQ(load_be16(buf.data() + 12), c.v6 ? ethertype_ipv6 : ethertype_ipv4);
			const uint8_t *ip = buf.data() + eth_len;
			size_t l4 = 0;
			if (c.v6) {
				EXPECT_EQ(ip[0] >> 4, 6);
				EXPECT_EQ(load_be16(ip + 4), n - eth_len - ipv6_len);
				EXPECT_EQ(ip[6], c.udp ? 17 : 115);
				l4 = eth_len + ipv6_len;
			} else {
				EXPECT_EQ(load_be16(ip + 2), n - eth_len);
				EXPECT_EQ(ipv4_header_checksum(ip), load_be16(ip + 10));
				EXPECT_EQ(ip[9], c.udp ? 17 : 115);
				l4 = eth_len + ipv4_len;
			}
			const std::span<const uint8_t> after_ip(buf.data() + l4, n - l4);
			const l2tp::v3_session_params sp{uint8_t(c.cookie.size()), c.l2spec};
			l2tp::v3_data_header h;
			if (c.udp) {
				EXPECT_EQ(load_be16(after_ip.data()), 1705);
				EXPECT_EQ(load_be16(after_ip.data() + 2), 1701);
				EXPECT_EQ(load_be16(after_ip.data() + 4), after_ip.size());
				if (c.v6)
					EXPECT_TRUE(udp6_checksum_ok(ip));
				else
					EXPECT_EQ(load_be16(after_ip.data() + 6), 0); // none over IPv4
				auto r = l2tp::parse_v3_udp_data(after_ip.subspan(udp_len), sp);
				ASSERT_TRUE(r);
				h = *r;
			} else {
				auto r = l2tp::parse_v3_ip_data(after_ip, sp);
				ASSERT_TRUE(r);
				h = *r;
			}
			EXPECT_EQ(h.session_id.value, 0x01020304u);
			EXPECT_TRUE(std::equal(h.cookie.begin(), h.cookie.end(), c.cookie.begin(), c.cookie.end()));
			EXPECT_EQ(h.l2ss_sequenced, c.seq);
			if (c.seq) {
				EXPECT_EQ(h.l2ss_seq, seq++);
			}
			const uint8_t *e = h.payload.data();
			EXPECT_EQ(mac_at(e), params.inner_dst);
			EXPECT_EQ(mac_at(e + 6), params.inner_src);
			size_t eoff = 12;
			if (c.vlan) {
				EXPECT_EQ(load_be16(e + 12), ethertype_vlan);
				EXPECT_EQ(load_be16(e + 14), c.vlan);
				eoff += 4;
			}
			EXPECT_EQ(load_be16(e + eoff), ethertype_ipv4);
			const uint8_t *inner = e + eoff + 2;
			EXPECT_EQ(load_be16(inner + 2), size - 18u);
			EXPECT_EQ(ipv4_header_checksum(inner), load_be16(inner + 10));
			EXPECT_TRUE(udp_checksum_ok(inner));

			const rx_frame r = classify_access_pw(buf, rx_table_for(c), 9000);
			ASSERT_EQ(r.kind, rx_kind::measured);
			EXPECT_EQ(r.frame_bytes, size);
			const signature sig = read_signature(r.payload);
			ASSERT_EQ(sig.status, signature_status::ok);
			EXPECT_EQ(sig.stream, 33u);
		}
	}
}

TEST(FramesPw, ReceiveRejectsWhatIsNotOurs) {
	const pw_case &c = pw_cases[1]; // v4 udp, 4-byte cookie, sublayer
	tx_template t = build_pw_upstream_template(pw_params(c));
	std::vector<uint8_t> buf(packet_length(t, 128));
	ASSERT_NE(fill_packet(t, buf, 128, 1, 2, 3), 0u);
	const pw_rx_table table = rx_table_for(c);
	ASSERT_EQ(classify_access_pw(buf, table, 9000).kind, rx_kind::measured);
	const size_t l2tp = eth_len + ipv4_len + udp_len;
	struct mutation {
		const char *name;
		void (*apply)(std::vector<uint8_t> &, size_t);
	};
	const mutation cases[] = {
	    {"other UDP port", [](std::vector<uint8_t> &b, size_t) { store_be16(b.data() + 36, 1702); }},
	    {"control (T bit)", [](std::vector<uint8_t> &b, size_t o) { b[o] |= 0x80; }},
	    {"version 2", [](std::vector<uint8_t> &b, size_t o) { b[o + 1] = 2; }},
	    {"unknown session", [](std::vector<uint8_t> &b, size_t o) { store_be32(b.data() + o + 4, 0x01020305); }},
	    {"session 0", [](std::vector<uint8_t> &b, size_t o) { store_be32(b.data() + o + 4, 0); }},
	    {"wrong cookie", [](std::vector<uint8_t> &b, size_t o) { b[o + 11] ^= 1; }},
	    {"inner not IPv4", [](std::vector<uint8_t> &b, size_t o) { store_be16(b.data() + o + 16 + 12, 0x86DD); }},
	    {"inner UDP to another port", [](std::vector<uint8_t> &b, size_t o) { store_be16(b.data() + o + 30 + 22, 9001); }},
	};
	for (const mutation &m : cases) {
		std::vector<uint8_t> b = buf;
		m.apply(b, l2tp);
		EXPECT_EQ(classify_access_pw(b, table, 9000).kind, rx_kind::other) << m.name;
	}
	// Over IP while the table has no IP tunnel: other.
	tx_template ti = build_pw_upstream_template(pw_params(pw_cases[2]));
	std::vector<uint8_t> ib(packet_length(ti, 128));
	ASSERT_NE(fill_packet(ti, ib, 128, 1, 2, 3), 0u);
	pw_rx_table no_ip = rx_table_for(pw_cases[2]);
	ASSERT_EQ(classify_access_pw(ib, no_ip, 9000).kind, rx_kind::measured);
	no_ip.ip_encap = false;
	EXPECT_EQ(classify_access_pw(ib, no_ip, 9000).kind, rx_kind::other);
	// Every truncation of every case: never measured, never read past the end (ASan).
	for (const pw_case &pc : pw_cases) {
		tx_template tt = build_pw_upstream_template(pw_params(pc));
		std::vector<uint8_t> full(packet_length(tt, 100));
		ASSERT_NE(fill_packet(tt, full, 100, 1, 2, 3), 0u);
		const pw_rx_table tab = rx_table_for(pc);
		for (size_t len = 0; len < full.size(); ++len) {
			std::vector<uint8_t> cut(full.begin(), full.begin() + long(len));
			EXPECT_NE(classify_access_pw(cut, tab, 9000).kind, rx_kind::measured) << pc.name << " " << len;
			(void)parse_nd(cut);
		}
	}
}

TEST(FramesPw, RxTableFindsBySessionId) {
	pw_rx_table t;
	for (uint32_t id : {3u, 9u, 100u, 0xFFFFFFFFu})
		t.sessions.push_back({id, 0, {}, false});
	for (uint32_t id : {3u, 9u, 100u, 0xFFFFFFFFu}) {
		ASSERT_NE(t.find(id), nullptr) << id;
		EXPECT_EQ(t.find(id)->session_id, id);
	}
	for (uint32_t id : {0u, 4u, 99u, 101u, 0xFFFFFFFEu})
		EXPECT_EQ(t.find(id), nullptr) << id;
	EXPECT_EQ(pw_rx_table{}.find(1), nullptr);
}

TEST(FramesPw, DownstreamFrameWithAndWithoutTag) {
	for (uint16_t vlan : {0, 42}) {
		pw_downstream_params p;
		p.dst = {0x02, 0, 0x4c, 0x33, 0, 1};
		p.src = lac_mac;
		p.vlan = vlan;
		p.src_ip = 0xC6130002;
		p.dst_ip = 0x6440000B;
		tx_template t = build_pw_downstream_template(p);
		std::vector<uint8_t> buf(packet_length(t, 64));
		ASSERT_EQ(fill_packet(t, buf, 64, 4, 5, 6), 60u + (vlan ? 4 : 0));
		EXPECT_EQ(mac_at(buf.data()), p.dst);
		EXPECT_EQ(load_be16(buf.data() + 12), vlan ? ethertype_vlan : ethertype_ipv4);
		const uint8_t *ip = buf.data() + (vlan ? 18 : 14);
		EXPECT_EQ(load_be32(ip + 16), 0x6440000Bu);
		EXPECT_TRUE(udp_checksum_ok(ip));
		const rx_frame r = classify_core(buf, 9000); // one tag skipped
		ASSERT_EQ(r.kind, rx_kind::measured);
		EXPECT_EQ(r.frame_bytes, 64u);
		EXPECT_EQ(read_signature(r.payload).stream, 4u);
	}
}

// Neighbour discovery: byte for byte against scapy 2.5 (ICMPv6ND_NS/NA with the link-layer
// address options), then parsed back.
const std::vector<uint8_t> scapy_ns = {
    0x33, 0x33, 0xff, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00,
    0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x01,
    0x87, 0x00, 0x1c, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const std::vector<uint8_t> scapy_na = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00,
    0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x88, 0x00, 0x8a, 0x62, 0x60, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

ipv6_addr v6(const char *s) {
	const cfg::ip_address a = ip_of(s);
	ipv6_addr r;
	std::copy(a.bytes.begin(), a.bytes.end(), r.begin());
	return r;
}

TEST(FramesPw, NeighbourDiscoveryMatchesScapy) {
	std::vector<uint8_t> f(128);
	const size_t n = build_neighbor_solicit(f, lac_mac, v6("2001:db8:5::2"), v6("2001:db8:5::1"));
	ASSERT_EQ(n, scapy_ns.size());
	EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + long(n)), scapy_ns);
	const size_t m = build_neighbor_advert(f, lns_mac, v6("2001:db8:5::1"), lac_mac, v6("2001:db8:5::2"));
	ASSERT_EQ(m, scapy_na.size());
	EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + long(m)), scapy_na);
	EXPECT_EQ(build_neighbor_solicit({f.data(), 85}, lac_mac, v6("::2"), v6("::1")), 0u);

	auto ns = parse_nd(scapy_ns);
	ASSERT_TRUE(ns);
	EXPECT_EQ(ns->type, nd_solicit);
	EXPECT_EQ(ns->src, v6("2001:db8:5::2"));
	EXPECT_EQ(ns->target, v6("2001:db8:5::1"));
	EXPECT_EQ(ns->eth_src, lac_mac);
	ASSERT_TRUE(ns->link_addr);
	EXPECT_EQ(*ns->link_addr, lac_mac);
	auto na = parse_nd(scapy_na);
	ASSERT_TRUE(na);
	EXPECT_EQ(na->type, nd_advert);
	EXPECT_EQ(na->target, v6("2001:db8:5::2"));
	ASSERT_TRUE(na->link_addr);
	EXPECT_EQ(*na->link_addr, lac_mac);
	EXPECT_EQ(classify_access_pw(scapy_ns, pw_rx_table{}, 9000).kind, rx_kind::nd);
	EXPECT_EQ(classify_access_pw(scapy_na, pw_rx_table{}, 9000).kind, rx_kind::nd);
}

TEST(FramesPw, InvalidNeighbourDiscoveryIsRefused) {
	struct mutation {
		const char *name;
		size_t at;
		uint8_t value;
	};
	const mutation cases[] = {
	    {"hop limit 64", 21, 64},          {"code 1", 55, 1},          {"bad checksum", 56, 0x1d},
	    {"option length 0", 79, 0},        {"not ICMPv6", 20, 17},     {"router solicitation", 54, 133},
	    {"IPv4 ethertype", 12, 0x08},
	};
	for (const mutation &m : cases) {
		std::vector<uint8_t> b = scapy_ns;
		b[m.at] = m.value;
		EXPECT_FALSE(parse_nd(b)) << m.name;
	}
}

// ---------------------------------------------------------------- IPv6 over PPP (SLAAC)

// scapy: IPv6(src="fe80::211:2233:4455:6677", dst="ff02::2", hlim=255)/ICMPv6ND_RS()
const std::vector<uint8_t> scapy_rs = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x85, 0x00, 0xae, 0x26, 0x00, 0x00, 0x00, 0x00};
// scapy: IPv6(src="fe80::1:2:3:4", dst="ff02::1", hlim=255)/ICMPv6ND_RA(routerlifetime=90)/
// ICMPv6NDOptMTU(mtu=1460)/ICMPv6NDOptPrefixInfo(prefixlen=64, L=0, A=1, validlifetime=2592000,
// preferredlifetime=604800, prefix="2001:db8:100:2a::")/ICMPv6NDOptRDNSS(dns=["2001:db8:ffff::53"], lifetime=90)
// (what the LNS's router_advertiser sends: docs/controlplane.md)
const std::vector<uint8_t> scapy_ra = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x50, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x86, 0x00, 0xef, 0x8d, 0x00, 0x08, 0x00, 0x5a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0xb4, 0x03, 0x04, 0x40, 0x40, 0x00, 0x27, 0x8d, 0x00,
    0x00, 0x09, 0x3a, 0x80, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0x00, 0x2a, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5a, 0x20, 0x01, 0x0d, 0xb8,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53};

// The one's complement sum of an IPv6 packet's pseudo header (addresses, length, next header).
uint32_t pseudo_sum6(const uint8_t *ip, uint8_t next, size_t len) {
	return sum_words(ip + 8, 32) + next + uint32_t(len);
}
// Rewrites the ICMPv6 checksum of an IPv6 packet (after a mutation of its body).
void fix_icmp6(std::vector<uint8_t> &p) {
	const size_t len = p.size() - ipv6_len;
	store_be16(p.data() + ipv6_len + 2, 0);
	store_be16(p.data() + ipv6_len + 2,
	           static_cast<uint16_t>(~ones_complement_sum({p.data() + ipv6_len, len}, pseudo_sum6(p.data(), 58, len))));
}
ipv6_addr addr6_at(const uint8_t *p) {
	ipv6_addr a;
	std::memcpy(a.data(), p, a.size());
	return a;
}

TEST(FramesV6, RouterSolicitMatchesScapy) {
	std::vector<uint8_t> b(64);
	ASSERT_EQ(build_router_solicit(b, 0x0211223344556677ull), scapy_rs.size());
	b.resize(scapy_rs.size());
	EXPECT_EQ(b, scapy_rs);
	std::vector<uint8_t> small(47);
	EXPECT_EQ(build_router_solicit(small, 1), 0u);
}

TEST(FramesV6, RouterAdvertGivesThePrefix) {
	ra_prefix ra;
	ra_error err = ra_error::invalid;
	ASSERT_TRUE(parse_router_advert(scapy_ra, ra, err));
	EXPECT_EQ(ra.prefix, v6("2001:db8:100:2a::"));
	EXPECT_EQ(ra.valid_lifetime, 2592000u);
	EXPECT_EQ(ra.preferred_lifetime, 604800u);
	EXPECT_EQ(ra.router_lifetime, 90);
	EXPECT_EQ(ra.mtu, 1460);
	EXPECT_EQ(ra.router, v6("fe80::1:2:3:4"));
	EXPECT_EQ(slaac_address(ra.prefix, 0x0211223344556677ull), v6("2001:db8:100:2a:211:2233:4455:6677"));
}

TEST(FramesV6, RouterAdvertValidation) {
	struct mutation {
		const char *name;
		size_t at;
		uint8_t value;
		bool fix_checksum;
		ra_error want;
	};
	const mutation cases[] = {
	    {"hop limit 64", 7, 64, false, ra_error::invalid},
	    {"global source", 8, 0x20, true, ra_error::invalid},
	    {"code 1", 41, 1, true, ra_error::invalid},
	    {"bad checksum", 43, 0x8e, false, ra_error::invalid},
	    {"option length 0", 57, 0, true, ra_error::invalid},
	    {"option past the end", 97, 4, true, ra_error::invalid},
	    {"IPv4 packet", 0, 0x45, false, ra_error::invalid},
	    {"payload length past the end", 5, 0x51, false, ra_error::invalid},
	    {"not autonomous", 67, 0x80, true, ra_error::no_prefix},
	    {"a /48", 66, 48, true, ra_error::no_prefix},
	    {"valid lifetime 0", 71, 0, true, ra_error::no_prefix}, // bytes 68-70 cleared below
	    {"link-local prefix", 80, 0xfe, true, ra_error::no_prefix},
	    {"router solicitation", 40, 133, true, ra_error::not_ra},
	    {"UDP", 6, 17, false, ra_error::not_ra},
	};
	for (const mutation &m : cases) {
		std::vector<uint8_t> b = scapy_ra;
		b[m.at] = m.value;
		if (m.name == std::string("valid lifetime 0"))
			b[68] = b[69] = b[70] = 0;
		if (m.name == std::string("link-local prefix"))
			b[81] = 0x80;
		if (m.fix_checksum)
			fix_icmp6(b);
		ra_prefix ra;
		ra_error err = ra_error::not_ra;
		EXPECT_FALSE(parse_router_advert(b, ra, err)) << m.name;
		EXPECT_EQ(err, m.want) << m.name;
	}
	ra_prefix ra;
	ra_error err = ra_error::not_ra;
	EXPECT_FALSE(parse_router_advert({scapy_ra.data(), 39}, ra, err));
	EXPECT_EQ(err, ra_error::invalid);
	EXPECT_FALSE(parse_router_advert({scapy_ra.data(), 100}, ra, err)); // truncated
	EXPECT_EQ(err, ra_error::invalid);
}

upstream_params up6_params(bool seq) {
	upstream_params p = up_params(seq);
	p.v6 = true;
	p.subscriber_ip6 = v6("2001:db8:100:2a:211:2233:4455:6677");
	p.core_ip6 = v6("2001:db8:ffff::2");
	return p;
}

TEST(FramesV6, UpstreamIpv6OverPpp) {
	for (bool seq : {false, true}) {
		tx_template t = build_upstream_template(up6_params(seq));
		for (uint16_t size : {82, 90, 128, 594, 1518}) {
			std::vector<uint8_t> buf(packet_length(t, size));
			const size_t n = fill_packet(t, buf, size, 41, 7 + size, 987654321);
			ASSERT_EQ(n, buf.size());
			EXPECT_EQ(n, size - 18u + 14 + upstream_overhead(seq));
			const uint8_t *ip = buf.data() + eth_len;
			EXPECT_EQ(load_be16(ip + 2), n - eth_len);
			EXPECT_EQ(ipv4_header_checksum(ip), load_be16(ip + 10));
			auto h = l2tp::parse_v2({ip + 28, n - eth_len - 28});
			ASSERT_TRUE(h);
			EXPECT_EQ(h->has_sequence(), seq);
			ASSERT_GE(h->payload.size(), 4u);
			EXPECT_EQ(load_be32(h->payload.data()), 0xFF030057u);
			const uint8_t *inner = h->payload.data() + 4;
			EXPECT_EQ(inner[0] >> 4, 6);
			EXPECT_EQ(load_be16(inner + 4), size - 18u - ipv6_len);
			EXPECT_EQ(inner[6], 17);
			EXPECT_EQ(addr6_at(inner + 8), up6_params(seq).subscriber_ip6);
			EXPECT_EQ(addr6_at(inner + 24), v6("2001:db8:ffff::2"));
			EXPECT_TRUE(udp6_checksum_ok(inner)) << "size " << size;

			const rx_frame r = classify_access(buf, 1701, 9000);
			ASSERT_EQ(r.kind, rx_kind::measured);
			EXPECT_EQ(r.frame_bytes, size);
			const signature sig = read_signature(r.payload);
			ASSERT_EQ(sig.status, signature_status::ok);
			EXPECT_EQ(sig.stream, 41u);
			EXPECT_EQ(classify_access(buf, 1701, 9001).kind, rx_kind::l2tp_control); // IPv6, not ours: main lcore
		}
		std::vector<uint8_t> big(200);
		EXPECT_EQ(fill_packet(t, big, 81, 0, 0, 0), 0u); // no room for the short signature after IPv6/UDP
	}
}

TEST(FramesV6, DownstreamIpv6AndCoreNeighbourDiscovery) {
	downstream_params p;
	p.next_hop_mac = lns_mac;
	p.core_mac = lac_mac;
	p.v6 = true;
	p.core_ip6 = v6("2001:db8:ffff::2");
	p.subscriber_ip6 = v6("2001:db8:100:2a::1");
	tx_template t = build_downstream_template(p);
	for (uint16_t size : {82, 128, 1518}) {
		std::vector<uint8_t> buf(packet_length(t, size));
		ASSERT_EQ(fill_packet(t, buf, size, 5, 9, 10), size - 4u);
		EXPECT_EQ(load_be16(buf.data() + 12), ethertype_ipv6);
		EXPECT_TRUE(udp6_checksum_ok(buf.data() + eth_len));
		const rx_frame r = classify_core(buf, 9000);
		ASSERT_EQ(r.kind, rx_kind::measured);
		EXPECT_EQ(r.frame_bytes, size);
		EXPECT_EQ(read_signature(r.payload).stream, 5u);
		EXPECT_EQ(classify_core(buf, 9001).kind, rx_kind::other);
		std::vector<uint8_t> cut(buf.begin(), buf.end() - 1);
		EXPECT_EQ(classify_core(cut, 9000).kind, rx_kind::other);
	}
	EXPECT_EQ(classify_core(scapy_ns, 9000).kind, rx_kind::nd);
	EXPECT_EQ(classify_core(scapy_na, 9000).kind, rx_kind::nd);
}

TEST(FramesV6, RouterAdvertOnASessionGoesToTheMainLcore) {
	// Ethernet | IPv4 | UDP 1701 | L2TPv2 data (tunnel 0x1234, session 0xBEEF) | FF 03 00 57 | RA
	std::vector<uint8_t> msg = {0x00, 0x02, 0x12, 0x34, 0xBE, 0xEF, 0xFF, 0x03, 0x00, 0x57};
	msg.insert(msg.end(), scapy_ra.begin(), scapy_ra.end());
	udp_addrs a;
	a.dst_mac = lac_mac;
	a.src_mac = lns_mac;
	a.src_ip = 0xC6120001;
	a.dst_ip = 0xC6120002;
	a.src_port = a.dst_port = 1701;
	std::vector<uint8_t> f(256);
	const size_t n = build_udp_frame(f, a, 1, msg);
	ASSERT_NE(n, 0u);
	const rx_frame r = classify_access({f.data(), n}, 1701, 9000);
	ASSERT_EQ(r.kind, rx_kind::l2tp_control);
	EXPECT_EQ(r.ppp_protocol, ppp_ipv6);
	EXPECT_EQ(r.tunnel, 0x1234);
	EXPECT_EQ(r.session, 0xBEEF);
	EXPECT_EQ(std::vector<uint8_t>(r.ppp_info.begin(), r.ppp_info.end()), scapy_ra);
}

} // namespace
} // namespace l2tpx::gen::dpdk
