#include "controlplane/daemon/packet_io.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <vector>

#include "shared/base/byteorder.hpp"

namespace l2tpx::cp::daemon {
namespace {

udp_endpoint v4(const char *a, uint16_t port) { return udp_endpoint::v4(*parse_ipv4(a), port); }

uint16_t ones_sum(const uint8_t *p, size_t n, uint32_t acc = 0) {
	for (; n > 1; p += 2, n -= 2)
		acc += load_be16(p);
	if (n)
		acc += uint32_t(p[0]) << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return static_cast<uint16_t>(acc);
}

// punt_meta + Ethernet (optionally one VLAN tag) + the IP/UDP packet.
std::vector<uint8_t> punt_frame(std::span<const uint8_t> ip_packet, bool v6, bool vlan, uint8_t l2tp_version = 2) {
	const uint16_t l3 = vlan ? 18 : 14;
	const uint16_t ip_len = v6 ? 40 : 20;
	ring::punt_meta m{};
	m.magic = ring::punt_meta_magic;
	m.version = ring::punt_meta_version;
	m.reason = ring::punt_reason::l2tp_control;
	m.in_port = 3;
	m.l2tp_version = l2tp_version;
	m.family = v6 ? 6 : 4;
	m.l3_offset = l3;
	m.l4_offset = l3 + ip_len;
	m.l2tp_offset = l3 + ip_len + 8;
	std::vector<uint8_t> out(sizeof(m));
	std::memcpy(out.data(), &m, sizeof(m));
	const uint8_t eth[] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
	out.insert(out.end(), eth, eth + 12);
	if (vlan) {
		const uint8_t tag[] = {0x81, 0x00, 0x00, 0x64};
		out.insert(out.end(), tag, tag + 4);
	}
	out.push_back(v6 ? 0x86 : 0x08);
	out.push_back(v6 ? 0xdd : 0x00);
	out.insert(out.end(), ip_packet.begin(), ip_packet.end());
	return out;
}

TEST(packet_io, ipv4_udp_packet_has_valid_checksums_and_parses_back) {
	const std::vector<uint8_t> payload{0xc8, 0x02, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
	uint8_t buf[256];
	const udp_endpoint lns = v4("192.0.2.1", 1701), lac = v4("198.18.0.2", 40000);
	const size_t n = build_udp_packet(lns, lac, payload, buf, 7);
	ASSERT_EQ(n, 20 + 8 + payload.size());
	EXPECT_EQ(ones_sum(buf, 20), 0xffff); // IPv4 header checksum
	uint8_t pseudo[12];
	std::memcpy(pseudo, buf + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	store_be16(pseudo + 10, static_cast<uint16_t>(8 + payload.size()));
	EXPECT_EQ(ones_sum(buf + 20, n - 20, ones_sum(pseudo, 12)), 0xffff); // UDP checksum
	EXPECT_EQ(load_be16(buf + 4), 7);

	for (bool vlan : {false, true}) {
		const auto f = punt_frame(std::span(buf, n), false, vlan);
		auto p = parse_punt(f);
		ASSERT_TRUE(p) << to_string(p.error());
		EXPECT_EQ(p->from, lns);
		EXPECT_EQ(p->to, lac);
		EXPECT_EQ(std::vector<uint8_t>(p->datagram.begin(), p->datagram.end()), payload);
		const l2_route r = l2_route_from(*p);
		EXPECT_EQ(r.port, 3);
		EXPECT_EQ(r.l2_len, vlan ? 18 : 14);
		// Reversed: to the sender (..:02) from us (..:01); the tag and EtherType kept.
		EXPECT_EQ(r.header[5], 0x02);
		EXPECT_EQ(r.header[11], 0x01);
		EXPECT_EQ(r.header[12], vlan ? 0x81 : 0x08);
	}
}

TEST(packet_io, ipv6_udp_packet_parses_back) {
	udp_endpoint a, b;
	a.v6 = b.v6 = true;
	a.addr[0] = b.addr[0] = 0x20;
	a.addr[15] = 1;
	b.addr[15] = 2;
	a.port = 1701;
	b.port = 1702;
	const std::vector<uint8_t> payload(30, 0xab);
	uint8_t buf[256];
	const size_t n = build_udp_packet(a, b, payload, buf, 0);
	ASSERT_EQ(n, 40 + 8 + 30u);
	EXPECT_NE(load_be16(buf + 46), 0); // the UDP checksum is mandatory over IPv6
	const auto f = punt_frame(std::span(buf, n), true, false);
	auto p = parse_punt(f);
	ASSERT_TRUE(p) << to_string(p.error());
	EXPECT_EQ(p->from, a);
	EXPECT_EQ(p->to, b);
	EXPECT_EQ(p->datagram.size(), 30u);
}

TEST(packet_io, build_refuses_what_does_not_fit) {
	uint8_t small[40];
	const std::vector<uint8_t> payload(20, 0);
	EXPECT_EQ(build_udp_packet(v4("10.0.0.1", 1), v4("10.0.0.2", 2), payload, small, 0), 0u);
	udp_endpoint six;
	six.v6 = true;
	uint8_t big[256];
	EXPECT_EQ(build_udp_packet(v4("10.0.0.1", 1), six, payload, big, 0), 0u);
}

TEST(packet_io, malformed_punts_are_typed_errors) {
	uint8_t buf[128];
	const std::vector<uint8_t> payload(12, 0);
	const size_t n = build_udp_packet(v4("10.0.0.1", 1701), v4("10.0.0.2", 1701), payload, buf, 0);
	const auto good = punt_frame(std::span(buf, n), false, false);
	ASSERT_TRUE(parse_punt(good));

	struct mutation {
		const char *name;
		std::function<void(std::vector<uint8_t> &)> f;
		punt_error want;
	};
	auto meta = [](std::vector<uint8_t> &v, auto &&edit) {
		ring::punt_meta m;
		std::memcpy(&m, v.data(), sizeof(m));
		edit(m);
		std::memcpy(v.data(), &m, sizeof(m));
	};
	const size_t ip = sizeof(ring::punt_meta) + 14;
	const mutation cases[] = {
	    {"short", [](auto &v) { v.resize(10); }, punt_error::too_short},
	    {"magic", [&](auto &v) { meta(v, [](auto &m) { m.magic = 0; }); }, punt_error::bad_meta},
	    {"version", [&](auto &v) { meta(v, [](auto &m) { m.version = 9; }); }, punt_error::bad_meta},
	    {"l2tp past end", [&](auto &v) { meta(v, [](auto &m) { m.l2tp_offset = 2000; }); }, punt_error::bad_offsets},
	    {"l3 inside eth", [&](auto &v) { meta(v, [](auto &m) { m.l3_offset = 4; }); }, punt_error::bad_offsets},
	    {"l4 before l3", [&](auto &v) { meta(v, [](auto &m) { m.l4_offset = 10; }); }, punt_error::bad_offsets},
	    {"v3 over ip", [&](auto &v) { meta(v, [](auto &m) { m.l2tp_offset = m.l4_offset; }); }, punt_error::not_udp},
	    {"l2tpv3", [&](auto &v) { meta(v, [](auto &m) { m.l2tp_version = 3; }); }, punt_error::unsupported_version},
	    {"family", [&](auto &v) { meta(v, [](auto &m) { m.family = 5; }); }, punt_error::bad_ip},
	    {"not udp", [&](auto &v) { v[ip + 9] = 6; }, punt_error::bad_ip},
	    {"ihl", [&](auto &v) { v[ip] = 0x46; }, punt_error::bad_ip},
	    {"udp length long", [&](auto &v) { store_be16(v.data() + ip + 24, 500); }, punt_error::bad_udp},
	    {"udp length short", [&](auto &v) { store_be16(v.data() + ip + 24, 4); }, punt_error::bad_udp},
	};
	for (const auto &c : cases) {
		auto v = good;
		c.f(v);
		auto r = parse_punt(v);
		ASSERT_FALSE(r) << c.name;
		EXPECT_EQ(r.error(), c.want) << c.name << ": " << to_string(r.error());
	}
}

} // namespace
} // namespace l2tpx::cp::daemon
