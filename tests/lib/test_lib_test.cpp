#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "tests/lib/frame.hpp"
#include "tests/lib/oracle.hpp"
#include "tests/lib/pcap_file.hpp"

#include "shared/base/byteorder.hpp"

namespace l2tpx::testlib {
namespace {

std::vector<uint8_t> unhex(const std::string &s) {
	std::vector<uint8_t> out;
	for (size_t i = 0; i + 1 < s.size(); i += 2)
		out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
	return out;
}

std::vector<uint8_t> read_bytes(const std::string &path) {
	std::ifstream in(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A temporary file path removed when the test ends, pass or fail.
class temp_path {
public:
	temp_path() {
		char tmpl[] = "/tmp/l2tpx-test-lib-XXXXXX";
		const int fd = mkstemp(tmpl);
		EXPECT_GE(fd, 0);
		if (fd >= 0)
			close(fd);
		path_ = tmpl;
	}
	~temp_path() { std::remove(path_.c_str()); }
	const std::string &str() const { return path_; }

private:
	std::string path_;
};

// L2TPv2 Hello (control, L/S set) used as a payload; its content does not matter here.
const std::vector<uint8_t> hello = unhex("c80200140000000000010000800800000000000600");

// Reference frames produced by scapy 2.5 for the default frame_endpoints and `hello`.
const std::string scapy_udp4 = "020000000002020000000001080045000031000040004011ae94c6120001c612000206a506a5001d1e1c"
                               "c80200140000000000010000800800000000000600";
const std::string scapy_udp6 = "02000000000202000000000186dd60000000001d114020010db800000000000000000000000120010db8"
                               "00000000000000000000000206a506a5001d4ecfc80200140000000000010000800800000000000600";

frame_endpoints v6_endpoints() {
	frame_endpoints ep;
	ep.src_ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	ep.dst_ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	return ep;
}

TEST(pcap_file, round_trip_keeps_bytes_timestamps_and_linktype) {
	temp_path tmp;
	std::vector<pcap_packet> in = {
	    {1'700'000'000'123'456'000ULL, 0, hello},
	    {1'700'000'001'000'001'000ULL, 1500, {0xde, 0xad}}, // truncated capture: orig_len > caplen
	    {1'700'000'002'000'000'000ULL, 0, {}},              // empty packet
	};
	auto written = write_pcap(tmp.str(), in, linktype_raw);
	ASSERT_TRUE(written.has_value()) << describe(written.error());
	auto cap = read_pcap(tmp.str());
	ASSERT_TRUE(cap.has_value()) << describe(cap.error());
	EXPECT_EQ(cap->linktype, linktype_raw);
	ASSERT_EQ(cap->packets.size(), in.size());
	for (size_t i = 0; i < in.size(); i++) {
		EXPECT_EQ(cap->packets[i].ts_ns, in[i].ts_ns) << i;
		EXPECT_EQ(cap->packets[i].data, in[i].data) << i;
		EXPECT_EQ(cap->packets[i].orig_len, in[i].orig_len != 0 ? in[i].orig_len : in[i].data.size()) << i;
	}
}

TEST(pcap_file, writes_classic_pcap_bytes) {
	temp_path tmp;
	const std::vector<std::vector<uint8_t>> frames = {{0x01, 0x02, 0x03}, {0x04}};
	ASSERT_TRUE(write_pcap(tmp.str(), frames, linktype_ethernet, 1'000'000'000ULL).has_value());
	// Little-endian global header (magic a1b2c3d4, 2.4, snaplen 65535, Ethernet) then two
	// records at t = 1 s and 1.001 s.
	const std::vector<uint8_t> expect = unhex("d4c3b2a1020004000000000000000000ffff000001000000"
	                                          "01000000000000000300000003000000010203"
	                                          "01000000e80300000100000001000000" "04");
	EXPECT_EQ(read_bytes(tmp.str()), expect);
}

TEST(pcap_file, typed_errors) {
	auto missing = read_pcap("/nonexistent/l2tpx.pcap");
	ASSERT_FALSE(missing.has_value());
	EXPECT_EQ(missing.error().code, pcap_error::open_failed);
	EXPECT_NE(describe(missing.error()).find("/nonexistent/l2tpx.pcap"), std::string::npos);

	temp_path garbage;
	{
		std::ofstream out(garbage.str(), std::ios::binary);
		out << "this is not a capture file at all";
	}
	auto bad = read_pcap(garbage.str());
	ASSERT_FALSE(bad.has_value());
	EXPECT_EQ(bad.error().code, pcap_error::open_failed);

	const std::vector<std::vector<uint8_t>> frames = {hello};
	auto unwritable = write_pcap("/nonexistent/dir/out.pcap", frames);
	ASSERT_FALSE(unwritable.has_value());
	EXPECT_EQ(unwritable.error().code, pcap_error::write_failed);

	temp_path tmp;
	auto linktype = write_pcap(tmp.str(), frames, 0x7fff0000);
	ASSERT_FALSE(linktype.has_value());
	EXPECT_EQ(linktype.error().code, pcap_error::bad_linktype);

	const std::vector<std::vector<uint8_t>> huge = {std::vector<uint8_t>(pcap_snaplen + 1)};
	auto big = write_pcap(tmp.str(), huge);
	ASSERT_FALSE(big.has_value());
	EXPECT_EQ(big.error().code, pcap_error::packet_too_big);
}

TEST(pcap_file, truncated_record_is_a_read_error) {
	temp_path tmp;
	const std::vector<std::vector<uint8_t>> frames = {hello, hello};
	ASSERT_TRUE(write_pcap(tmp.str(), frames).has_value());
	auto bytes = read_bytes(tmp.str());
	ASSERT_GT(bytes.size(), 5u);
	bytes.erase(bytes.end() - 5, bytes.end()); // cut into the second packet's data
	{
		std::ofstream out(tmp.str(), std::ios::binary | std::ios::trunc);
		out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
	}
	auto cap = read_pcap(tmp.str());
	ASSERT_FALSE(cap.has_value());
	EXPECT_EQ(cap.error().code, pcap_error::read_failed);
}

TEST(frame_build, matches_scapy_reference_frames) {
	EXPECT_EQ(build_udp4_frame(frame_endpoints{}, hello), unhex(scapy_udp4));
	EXPECT_EQ(build_udp6_frame(v6_endpoints(), hello), unhex(scapy_udp6));
}

TEST(frame_build, inet_checksum_rfc1071_example) {
	// RFC 1071 section 3: the one's complement sum of these bytes is 0xddf2.
	EXPECT_EQ(inet_checksum(unhex("0001f203f4f5f6f7")), static_cast<uint16_t>(~0xddf2));
	EXPECT_EQ(inet_checksum(unhex("0001f203f4f5f6")), 0x2304);
}

struct locate_case {
	const char *name;
	std::vector<uint8_t> frame;
	int linktype;
	uint16_t port;
	bool ok;
	frame_error err;       // when !ok
	size_t offset, length; // when ok
	uint8_t ip_version;
	bool over_udp;
};

std::vector<uint8_t> with_byte(std::vector<uint8_t> f, size_t at, uint8_t v) {
	f[at] = v;
	return f;
}

std::vector<locate_case> locate_cases() {
	const auto v4 = unhex(scapy_udp4);
	const auto v6 = unhex(scapy_udp6);
	frame_endpoints tagged;
	tagged.vlan = 100;
	auto ephemeral = frame_endpoints{};
	ephemeral.src_port = 40000;
	auto other_ports = frame_endpoints{};
	other_ports.src_port = 5000;
	other_ports.dst_port = 5001;

	// IPv6 with a hop-by-hop options header (8 bytes: next=UDP, len=0, PadN) before UDP.
	auto hbh = v6;
	hbh[14 + 6] = 0; // next header: hop-by-hop
	hbh.insert(hbh.begin() + 54, {ip_proto_udp, 0, 1, 4, 0, 0, 0, 0});
	hbh[14 + 5] = static_cast<uint8_t>(hbh[14 + 5] + 8);
	// IPv6 with a fragment header.
	auto frag6 = v6;
	frag6[14 + 6] = 44;
	// Linux cooked capture: 16-byte header whose last two bytes are the protocol.
	auto sll = unhex("00000001000602000000000100000800");
	sll.insert(sll.end(), v4.begin() + 14, v4.end());
	// QinQ: an 802.1ad outer tag in front of the 802.1Q tag.
	auto qinq = build_udp4_frame(tagged, hello);
	qinq.insert(qinq.begin() + 12, {0x88, 0xa8, 0x00, 0x0a});
	// Raw IP.
	std::vector<uint8_t> raw(v4.begin() + 14, v4.end());
	// Ethernet padding after a short IP packet is ignored.
	auto padded = v4;
	padded.insert(padded.end(), 6, 0);

	const size_t l2tp4 = 14 + 20 + 8;
	const size_t l2tp6 = 14 + 40 + 8;
	return {
	    {"ipv4_udp", v4, linktype_ethernet, 1701, true, {}, l2tp4, hello.size(), 4, true},
	    {"ipv6_udp", v6, linktype_ethernet, 1701, true, {}, l2tp6, hello.size(), 6, true},
	    {"vlan", build_udp4_frame(tagged, hello), linktype_ethernet, 1701, true, {}, l2tp4 + 4, hello.size(), 4, true},
	    {"qinq", qinq, linktype_ethernet, 1701, true, {}, l2tp4 + 8, hello.size(), 4, true},
	    {"one_port_1701", build_udp4_frame(ephemeral, hello), linktype_ethernet, 1701, true, {}, l2tp4, hello.size(), 4, true},
	    {"any_port", build_udp4_frame(other_ports, hello), linktype_ethernet, 0, true, {}, l2tp4, hello.size(), 4, true},
	    {"l2tpv3_over_ip", build_l2tpip4_frame(frame_endpoints{}, hello), linktype_ethernet, 1701, true, {}, 14 + 20, hello.size(), 4, false},
	    {"ipv6_hop_by_hop", hbh, linktype_ethernet, 1701, true, {}, l2tp6 + 8, hello.size(), 6, true},
	    {"linux_sll", sll, linktype_linux_sll, 1701, true, {}, 16 + 20 + 8, hello.size(), 4, true},
	    {"raw_ip", raw, linktype_raw, 1701, true, {}, 20 + 8, hello.size(), 4, true},
	    {"ethernet_padding", padded, linktype_ethernet, 1701, true, {}, l2tp4, hello.size(), 4, true},
	    {"wrong_port", build_udp4_frame(other_ports, hello), linktype_ethernet, 1701, false, frame_error::wrong_port, 0, 0, 0, false},
	    {"empty", {}, linktype_ethernet, 1701, false, frame_error::truncated, 0, 0, 0, false},
	    {"short_ip", std::vector<uint8_t>(v4.begin(), v4.begin() + 30), linktype_ethernet, 1701, false, frame_error::truncated, 0, 0, 0, false},
	    {"ip_total_past_end", std::vector<uint8_t>(v4.begin(), v4.end() - 1), linktype_ethernet, 1701, false, frame_error::truncated, 0, 0, 0, false},
	    {"arp", with_byte(with_byte(v4, 12, 0x08), 13, 0x06), linktype_ethernet, 1701, false, frame_error::not_ip, 0, 0, 0, false},
	    {"ihl_too_small", with_byte(v4, 14, 0x44), linktype_ethernet, 1701, false, frame_error::bad_ip_header, 0, 0, 0, false},
	    {"version_mismatch", with_byte(v4, 14, 0x65), linktype_ethernet, 1701, false, frame_error::bad_ip_header, 0, 0, 0, false},
	    {"ipv4_more_fragments", with_byte(v4, 14 + 6, 0x20), linktype_ethernet, 1701, false, frame_error::ip_fragment, 0, 0, 0, false},
	    {"ipv4_fragment_offset", with_byte(v4, 14 + 7, 0x01), linktype_ethernet, 1701, false, frame_error::ip_fragment, 0, 0, 0, false},
	    {"ipv6_fragment", frag6, linktype_ethernet, 1701, false, frame_error::ip_fragment, 0, 0, 0, false},
	    {"tcp", with_byte(v4, 14 + 9, 6), linktype_ethernet, 1701, false, frame_error::not_l2tp, 0, 0, 0, false},
	    {"udp_length_too_big", with_byte(v4, 14 + 20 + 5, 0xff), linktype_ethernet, 1701, false, frame_error::bad_udp_length, 0, 0, 0, false},
	    {"udp_length_too_small", with_byte(v4, 14 + 20 + 5, 0x07), linktype_ethernet, 1701, false, frame_error::bad_udp_length, 0, 0, 0, false},
	    {"unsupported_linktype", v4, 105, 1701, false, frame_error::unsupported_linktype, 0, 0, 0, false},
	    {"raw_not_ip", {0x10, 0x00}, linktype_raw, 1701, false, frame_error::not_ip, 0, 0, 0, false},
	};
}

TEST(frame_locate, table) {
	for (const locate_case &c : locate_cases()) {
		SCOPED_TRACE(c.name);
		auto loc = locate_l2tp(c.frame, c.linktype, c.port);
		ASSERT_EQ(loc.has_value(), c.ok) << (loc ? "found" : to_string(loc.error()));
		if (!c.ok) {
			EXPECT_EQ(loc.error(), c.err) << to_string(loc.error());
			continue;
		}
		EXPECT_EQ(loc->offset, c.offset);
		EXPECT_EQ(loc->length, c.length);
		EXPECT_EQ(loc->ip_version, c.ip_version);
		EXPECT_EQ(loc->over_udp, c.over_udp);
		const auto payload = loc->payload(c.frame);
		EXPECT_EQ(std::vector<uint8_t>(payload.begin(), payload.end()), hello);
	}
}

TEST(frame_locate, reports_addresses_and_ports) {
	frame_endpoints ep;
	ep.src_port = 40000;
	const auto f = build_udp4_frame(ep, hello);
	auto loc = locate_l2tp(f);
	ASSERT_TRUE(loc.has_value());
	EXPECT_EQ(loc->src_port, 40000);
	EXPECT_EQ(loc->dst_port, 1701);
	EXPECT_EQ(loc->src[0], 198);
	EXPECT_EQ(loc->src[3], 1);
	EXPECT_EQ(loc->dst[3], 2);
}

TEST(frame_build, udp_checksum_verifies_over_pseudo_header) {
	// Odd payload lengths exercise the padding byte of the checksum.
	for (size_t len : {0u, 1u, 7u, 100u, 1401u}) {
		std::vector<uint8_t> payload(len);
		for (size_t i = 0; i < len; i++)
			payload[i] = static_cast<uint8_t>(i * 37 + 11);
		const auto f = build_udp4_frame(frame_endpoints{}, payload);
		auto loc = locate_l2tp(f);
		ASSERT_TRUE(loc.has_value()) << len;
		std::vector<uint8_t> pseudo = {198, 18, 0, 1, 198, 18, 0, 2, 0, ip_proto_udp,
		                               static_cast<uint8_t>((len + 8) >> 8), static_cast<uint8_t>(len + 8)};
		pseudo.insert(pseudo.end(), f.begin() + 34, f.end());
		if (len % 2)
			pseudo.push_back(0);
		EXPECT_EQ(inet_checksum(pseudo), 0) << len;
		// The IPv4 header checksum verifies too.
		EXPECT_EQ(inet_checksum(std::span<const uint8_t>(f.data() + 14, 20)), 0) << len;
	}
}

TEST(real_capture, every_frame_carries_l2tpv2_of_the_stated_length) {
	auto cap = read_pcap(L2TPX_TEST_DATA_DIR "/xl2tpd_l2tpns.pcap");
	ASSERT_TRUE(cap.has_value()) << describe(cap.error());
	EXPECT_EQ(cap->linktype, linktype_ethernet);
	ASSERT_GE(cap->packets.size(), 20u);
	for (size_t i = 0; i < cap->packets.size(); i++) {
		SCOPED_TRACE("frame " + std::to_string(i + 1));
		const auto &pkt = cap->packets[i];
		EXPECT_EQ(pkt.orig_len, pkt.data.size());
		auto loc = locate_l2tp(pkt.data);
		ASSERT_TRUE(loc.has_value()) << to_string(loc.error());
		const auto l2tp = loc->payload(pkt.data);
		ASSERT_GE(l2tp.size(), 6u);
		EXPECT_EQ(l2tp[1] & 0x0f, 2) << "L2TP version";
		EXPECT_EQ(loc->src_port, l2tp_udp_port);
		EXPECT_EQ(loc->dst_port, l2tp_udp_port);
		if (l2tp[0] & 0x40) { // L bit: the Length field covers the whole message
			EXPECT_EQ(load_be16(&l2tp[2]), l2tp.size());
		}
	}
	// The capture opens with xl2tpd's SCCRQ: control message, tunnel 0, session 0.
	auto first = locate_l2tp(cap->packets[0].data);
	ASSERT_TRUE(first.has_value());
	const auto sccrq = first->payload(cap->packets[0].data);
	EXPECT_EQ(load_be16(&sccrq[0]), 0xc802);
	EXPECT_EQ(load_be16(&sccrq[4]), 0);
	EXPECT_EQ(load_be16(&sccrq[6]), 0);
}

TEST(oracle, accepts_a_hello_and_rejects_a_lying_length) {
	if (!oracle_available())
		GTEST_SKIP() << "tshark or /usr/bin/python3 not installed";
	// L2TPv2 Hello: T, L, S set, length 20, tunnel 2, Ns 3, Nr 4, Message Type AVP = 6.
	const auto good = unhex("c802001400020000000300048008000000000006");
	std::vector<uint8_t> lying = good;
	lying[3] = 200; // Length field past the end of the datagram
	temp_path ok_pcap, bad_pcap;
	const std::vector<std::vector<uint8_t>> ok_frames = {build_udp4_frame(frame_endpoints{}, good)};
	const std::vector<std::vector<uint8_t>> bad_frames = {build_udp4_frame(frame_endpoints{}, lying)};
	ASSERT_TRUE(write_pcap(ok_pcap.str(), ok_frames).has_value());
	ASSERT_TRUE(write_pcap(bad_pcap.str(), bad_frames).has_value());

	const auto pass = run_tshark_check(ok_pcap.str());
	EXPECT_TRUE(pass.passed()) << pass.output;
	const auto fail = run_tshark_check(bad_pcap.str());
	EXPECT_TRUE(fail.rejected()) << fail.output;
	EXPECT_NE(fail.output.find("frame 1: "), std::string::npos) << fail.output;
}

} // namespace
} // namespace l2tpx::testlib
