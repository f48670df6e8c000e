// Byte vectors computed by scapy 2.5 (IPv6()/ICMPv6ND_*; checksums included), see the
// generator lines above each table.
#include "controlplane/nd/nd_codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace l2tpx::cp::nd {
namespace {

ipv6_bytes a6(const char *s) {
	ipv6_bytes a{};
	EXPECT_TRUE(parse_ipv6(s, a)) << s;
	return a;
}
ipv6_prefix p6(const char *s, uint8_t len) { return ipv6_prefix{a6(s), len}; }

// IPv6(src="fe80::1122:3344:5566:7788",dst="ff02::1",hlim=255)/ICMPv6ND_RA(chlim=64,prf=0,
// routerlifetime=1800)/ICMPv6NDOptMTU(mtu=1492)/ICMPv6NDOptPrefixInfo(prefixlen=64,L=0,A=1,
// validlifetime=2592000,preferredlifetime=604800,prefix="2001:db8:100:5::")/
// ICMPv6NDOptRDNSS(lifetime=1800,dns=["2001:db8::53"])
const std::vector<uint8_t> ra_full = {
	0x60,0x00,0x00,0x00,0x00,0x50,0x3a,0xff,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88,0xff,0x02,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01,0x86,0x00,0x90,0xf3,0x40,0x00,0x07,0x08,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x05,0x01,0x00,0x00,0x00,0x00,0x05,0xd4,0x03,0x04,0x40,0x40,0x00,0x27,0x8d,0x00,0x00,0x09,0x3a,0x80,0x00,0x00,0x00,0x00,0x20,0x01,0x0d,0xb8,0x01,0x00,0x00,0x05,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x19,0x03,0x00,0x00,0x00,0x00,0x07,0x08,0x20,0x01,0x0d,0xb8,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x53};
// IPv6(src="fe80::1",dst="ff02::1",hlim=255)/ICMPv6ND_RA(chlim=64,prf=0,routerlifetime=0)/
// ICMPv6NDOptPrefixInfo(prefixlen=56,L=1,A=1,validlifetime=300,preferredlifetime=200,
// prefix="2001:db8:ff00::")
const std::vector<uint8_t> ra_onlink = {
	0x60,0x00,0x00,0x00,0x00,0x30,0x3a,0xff,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01,0xff,0x02,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01,0x86,0x00,0xd1,0x9c,0x40,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x03,0x04,0x38,0xc0,0x00,0x00,0x01,0x2c,0x00,0x00,0x00,0xc8,0x00,0x00,0x00,0x00,0x20,0x01,0x0d,0xb8,0xff,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00};
// IPv6(src="fe80::1",dst="fe80::2",hlim=255)/ICMPv6ND_NA(R=1,S=1,O=1,tgt="fe80::1")
const std::vector<uint8_t> na_solicited = {
	0x60,0x00,0x00,0x00,0x00,0x18,0x3a,0xff,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x02,0x88,0x00,0x9c,0x25,0xe0,0x00,0x00,0x00,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01};
// IPv6(src="fe80::2",dst="ff02::2",hlim=255)/ICMPv6ND_RS()
const std::vector<uint8_t> rs = {
	0x60,0x00,0x00,0x00,0x00,0x08,0x3a,0xff,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x02,0xff,0x02,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x02,0x85,0x00,0x7d,0x35,0x00,0x00,0x00,0x00};
// IPv6(src="fe80::2",dst="fe80::1",hlim=255)/ICMPv6ND_NS(tgt="fe80::1")
const std::vector<uint8_t> ns = {
	0x60,0x00,0x00,0x00,0x00,0x18,0x3a,0xff,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x02,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01,0x87,0x00,0x7d,0x26,0x00,0x00,0x00,0x00,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01};
// IPv6(src="::",dst="ff02::1:ff00:1",hlim=255)/ICMPv6ND_NS(tgt="fe80::1")
const std::vector<uint8_t> ns_dad = {
	0x60,0x00,0x00,0x00,0x00,0x18,0x3a,0xff,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0xff,0x02,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01,0xff,0x00,0x00,0x01,0x87,0x00,0x7c,0x25,0x00,0x00,0x00,0x00,0xfe,0x80,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x01};

TEST(nd_codec, addresses) {
	EXPECT_EQ(link_local(0x1122334455667788ull), a6("fe80::1122:3344:5566:7788"));
	EXPECT_EQ(all_nodes(), a6("ff02::1"));
	EXPECT_EQ(all_routers(), a6("ff02::2"));
	EXPECT_EQ(solicited_node(a6("2001:db8::12:3456")), a6("ff02::1:ff12:3456"));
	EXPECT_TRUE(is_link_local(a6("febf::1")));
	EXPECT_FALSE(is_link_local(a6("fec0::1")));
	EXPECT_EQ(to_string(p6("2001:db8:100::", 48)), "2001:db8:100::/48");
	ipv6_bytes x{};
	for (const char *bad : {"", "2001:db8::g", "1.2.3.4", "2001:db8:::1", "2001:db8::1/64"})
		EXPECT_FALSE(parse_ipv6(bad, x)) << bad;
}

TEST(nd_codec, build_ra_matches_scapy) {
	const ipv6_bytes dns[] = {a6("2001:db8::53")};
	ra_params p;
	p.source = link_local(0x1122334455667788ull);
	p.destination = all_nodes();
	p.router_lifetime_s = 1800;
	p.mtu = 1492;
	p.prefix = p6("2001:db8:100:5::", 64);
	p.on_link = false;
	p.valid_lifetime_s = 2592000;
	p.preferred_lifetime_s = 604800;
	p.dns = dns;
	p.dns_lifetime_s = 1800;
	std::array<uint8_t, 256> out;
	const size_t n = build_ra(out, p);
	EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + n), ra_full);
	EXPECT_EQ(build_ra(std::span(out).first(n - 1), p), 0u); // too small
	// Parses back as a valid RA.
	auto m = parse_nd(ra_full);
	ASSERT_TRUE(m);
	EXPECT_EQ(m->type, icmp_type::router_advertisement);
	EXPECT_EQ(m->router_lifetime_s, 1800);

	ra_params q;
	q.source = a6("fe80::1");
	q.destination = all_nodes();
	q.router_lifetime_s = 0;
	q.prefix = p6("2001:db8:ff00::", 56);
	q.on_link = true;
	q.valid_lifetime_s = 300;
	q.preferred_lifetime_s = 200;
	const size_t k = build_ra(out, q);
	EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + k), ra_onlink);
}

TEST(nd_codec, build_ra_refuses_bad_parameters) {
	std::vector<ipv6_bytes> dns(9);
	ra_params p;
	p.dns = dns;
	std::array<uint8_t, 512> out;
	EXPECT_EQ(build_ra(out, p), 0u);
	ra_params q;
	q.prefix.length = 129;
	EXPECT_EQ(build_ra(out, q), 0u);
}

TEST(nd_codec, build_na_matches_scapy) {
	std::array<uint8_t, 64> out;
	const size_t n = build_na(out, a6("fe80::1"), a6("fe80::2"), a6("fe80::1"), true, true);
	EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + n), na_solicited);
	EXPECT_EQ(build_na(std::span(out).first(63), a6("fe80::1"), a6("fe80::2"), a6("fe80::1"), true, true), 0u);
}

TEST(nd_codec, parse_valid) {
	struct row {
		const std::vector<uint8_t> *pkt;
		uint8_t type;
		const char *src, *target;
	} rows[] = {
		{&rs, icmp_type::router_solicitation, "fe80::2", "::"},
		{&ns, icmp_type::neighbor_solicitation, "fe80::2", "fe80::1"},
		{&ns_dad, icmp_type::neighbor_solicitation, "::", "fe80::1"},
		{&na_solicited, icmp_type::neighbor_advertisement, "fe80::1", "fe80::1"},
	};
	for (const row &r : rows) {
		auto m = parse_nd(*r.pkt);
		ASSERT_TRUE(m) << int(r.type) << " " << to_string(m.error());
		EXPECT_EQ(m->type, r.type);
		EXPECT_EQ(m->source, a6(r.src));
		EXPECT_EQ(m->target, a6(r.target));
	}
	// PPP padding after the IPv6 payload is not part of the message.
	std::vector<uint8_t> padded = rs;
	padded.insert(padded.end(), {0, 0, 0});
	EXPECT_TRUE(parse_nd(padded));
}

TEST(nd_codec, parse_rejects) {
	struct row {
		const char *what;
		std::vector<uint8_t> pkt;
		nd_error err;
	};
	auto with = [](std::vector<uint8_t> p, size_t off, uint8_t v) {
		p[off] = v;
		return p;
	};
	std::vector<uint8_t> rs_opt = rs; // RS + option of length 0
	rs_opt[5] = 16;
	rs_opt.insert(rs_opt.end(), {1, 0, 0, 0, 0, 0, 0, 0});
	std::vector<uint8_t> rs_slla = rs; // RS from :: with a Source Link-Layer option
	for (size_t i = 8; i < 24; i++)
		rs_slla[i] = 0;
	rs_slla[5] = 16;
	rs_slla.insert(rs_slla.end(), {1, 1, 0, 0, 0, 0, 0, 0});
	rs_slla[42] = rs_slla[43] = 0;
	{
		ipv6_bytes s{}, d{};
		std::copy(rs_slla.begin() + 8, rs_slla.begin() + 24, s.begin());
		std::copy(rs_slla.begin() + 24, rs_slla.begin() + 40, d.begin());
		const uint16_t c = icmpv6_checksum(s, d, std::span(rs_slla).subspan(40));
		rs_slla[42] = static_cast<uint8_t>(c >> 8);
		rs_slla[43] = static_cast<uint8_t>(c);
	}
	std::vector<uint8_t> ns_mcast_target = ns;
	ns_mcast_target[48] = 0xff; // checksum now wrong too, but the target is checked after it
	const row rows[] = {
		{"empty", {}, nd_error::truncated},
		{"header only", std::vector<uint8_t>(rs.begin(), rs.begin() + 40), nd_error::truncated},
		{"payload length past the end", with(rs, 5, 9), nd_error::truncated},
		{"IPv4", with(rs, 0, 0x45), nd_error::not_ipv6},
		{"UDP", with(rs, 6, 17), nd_error::not_icmpv6},
		{"echo request", with(rs, 40, 128), nd_error::not_nd},
		{"hop limit 64", with(rs, 7, 64), nd_error::bad_hop_limit},
		{"code 1", with(rs, 41, 1), nd_error::bad_code},
		{"checksum", with(rs, 43, 0x36), nd_error::bad_checksum},
		{"NS too short", std::vector<uint8_t>{0x60,0,0,0,0,0x08,0x3a,0xff,0xfe,0x80,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0xfe,0x80,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0x87,0,0,0,0,0,0,0}, nd_error::truncated},
		{"option length 0", rs_opt, nd_error::bad_checksum},
		{"RS from :: with SLLA", rs_slla, nd_error::bad_source},
		{"NS multicast target", ns_mcast_target, nd_error::bad_checksum},
	};
	for (const row &r : rows) {
		auto m = parse_nd(r.pkt);
		ASSERT_FALSE(m) << r.what;
		EXPECT_EQ(m.error(), r.err) << r.what << ": " << to_string(m.error());
	}
}

// Options and targets checked once the checksum is right.
TEST(nd_codec, parse_rejects_after_checksum) {
	auto fix = [](std::vector<uint8_t> p) {
		ipv6_bytes s{}, d{};
		std::copy(p.begin() + 8, p.begin() + 24, s.begin());
		std::copy(p.begin() + 24, p.begin() + 40, d.begin());
		p[42] = p[43] = 0;
		const uint16_t c = icmpv6_checksum(s, d, std::span(p).subspan(40));
		p[42] = static_cast<uint8_t>(c >> 8);
		p[43] = static_cast<uint8_t>(c);
		return p;
	};
	std::vector<uint8_t> zero_opt = rs;
	zero_opt[5] = 16;
	zero_opt.insert(zero_opt.end(), {1, 0, 0, 0, 0, 0, 0, 0});
	EXPECT_EQ(parse_nd(fix(zero_opt)).error(), nd_error::bad_option);
	std::vector<uint8_t> long_opt = rs;
	long_opt[5] = 16;
	long_opt.insert(long_opt.end(), {1, 2, 0, 0, 0, 0, 0, 0});
	EXPECT_EQ(parse_nd(fix(long_opt)).error(), nd_error::bad_option);
	std::vector<uint8_t> mcast = ns;
	mcast[48] = 0xff;
	mcast[49] = 0x02;
	EXPECT_EQ(parse_nd(fix(mcast)).error(), nd_error::bad_target);
	std::vector<uint8_t> dad_wrong_dst = ns_dad;
	dad_wrong_dst[39] = 2;
	EXPECT_EQ(parse_nd(fix(dad_wrong_dst)).error(), nd_error::bad_source);
	std::vector<uint8_t> ra_global_src = ra_onlink;
	ra_global_src[8] = 0x20;
	EXPECT_EQ(parse_nd(fix(ra_global_src)).error(), nd_error::bad_source);
	EXPECT_TRUE(parse_nd(fix(rs)));
}

} // namespace
} // namespace l2tpx::cp::nd
