#include "tools/gen/dpdk/frames.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "shared/l2tp/l2tpv2.hpp"

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

} // namespace
} // namespace l2tpx::gen::dpdk
