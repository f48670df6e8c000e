// A real peer: an L2TPv2 control exchange captured from xl2tpd 1.3.18 acting as LAC with
// tunnel authentication (capture_xl2tpd.py). Every packet xl2tpd sent decodes; its Challenge
// Response to our challenge verifies; the SCCRP and ICRP that xl2tpd accepted are exactly
// what our encoder builds from typed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include "shared/control/auth.hpp"
#include "shared/control/avp.hpp"
#include "shared/control/control_test_util.hpp"
#include "shared/control/message.hpp"

namespace l2tpx::ctl {
namespace {

using test::from_hex;
using test::to_hex;

struct peer_packet {
	bool from_peer;
	const char *what;
	const char *hex;
};

#include "shared/control/xl2tpd_vectors.inc"

struct pcap_packet {
	const char *source;
	uint16_t msg_type; // 0: ZLB
	const char *hex;
};

#include "shared/control/l2tpns_vectors.inc"

struct decoded {
	std::vector<uint8_t> bytes;
	std::vector<uint8_t> scratch;
	decoded_packet pkt;
	message m;
};

void decode_all(std::vector<decoded> &out) {
	for (const auto &p : xl2tpd_packets) {
		decoded d;
		d.bytes = from_hex(p.hex);
		d.scratch.resize(d.bytes.size());
		decode_options o;
		o.secret = as_bytes(xl2tpd_secret);
		o.scratch = d.scratch;
		auto r = decode_packet(d.bytes, o, d.m);
		ASSERT_TRUE(r) << p.what << ": " << to_string(r.error().code) << " avp " << r.error().avp_type;
		d.pkt = *r;
		out.push_back(std::move(d)); // moving a vector keeps its buffer: the spans stay valid
	}
}

const message *find(const std::vector<decoded> &all, msg_type t, bool from_peer) {
	for (size_t i = 0; i < all.size(); ++i)
		if (all[i].m.type() == t && xl2tpd_packets[i].from_peer == from_peer)
			return &all[i].m;
	return nullptr;
}

TEST(Xl2tpd, EveryPacketDecodes) {
	std::vector<decoded> all;
	all.reserve(std::size(xl2tpd_packets));
	decode_all(all);
	ASSERT_EQ(all.size(), std::size(xl2tpd_packets));
	for (size_t i = 0; i < all.size(); ++i) {
		const bool zlb = std::string_view(xl2tpd_packets[i].what) == "ZLB";
		EXPECT_EQ(all[i].pkt.zlb, zlb) << i;
		if (xl2tpd_packets[i].from_peer && !zlb) {
			EXPECT_EQ(std::to_string(static_cast<int>(all[i].m.type())), xl2tpd_packets[i].what);
		}
	}
	for (msg_type t : {msg_type::sccrq, msg_type::scccn, msg_type::icrq, msg_type::iccn, msg_type::cdn,
			   msg_type::stopccn})
		EXPECT_NE(find(all, t, true), nullptr) << to_string(t);
}

TEST(Xl2tpd, TunnelAuthenticationBothWays) {
	std::vector<decoded> all;
	all.reserve(std::size(xl2tpd_packets));
	decode_all(all);
	const message *sccrq = find(all, msg_type::sccrq, true);
	const message *sccrp = find(all, msg_type::sccrp, false);
	const message *scccn = find(all, msg_type::scccn, true);
	ASSERT_TRUE(sccrq && sccrp && scccn);
	ASSERT_TRUE(sccrq->has_challenge());
	EXPECT_EQ(sccrq->protocol_version, 0x0100);
	// Our SCCRP answered xl2tpd's challenge (xl2tpd accepted it and sent SCCCN).
	EXPECT_TRUE(verify_challenge_response(2, as_bytes(xl2tpd_secret), sccrq->challenge, sccrp->challenge_response));
	// xl2tpd's SCCCN answers our challenge.
	ASSERT_TRUE(scccn->has_challenge_response());
	const auto ours = from_hex(xl2tpd_our_challenge);
	EXPECT_TRUE(verify_challenge_response(3, as_bytes(xl2tpd_secret), ours, scccn->challenge_response));
	EXPECT_FALSE(verify_challenge_response(3, as_bytes("other-secret"), ours, scccn->challenge_response));
}

TEST(Xl2tpd, OurEncoderBuildsWhatXl2tpdAccepted) {
	std::vector<decoded> all;
	all.reserve(std::size(xl2tpd_packets));
	decode_all(all);
	const message *sccrq = find(all, msg_type::sccrq, true);
	const message *icrq = find(all, msg_type::icrq, true);
	ASSERT_TRUE(sccrq && icrq);
	for (size_t i = 0; i < all.size(); ++i) {
		const std::string_view what = xl2tpd_packets[i].what;
		if (xl2tpd_packets[i].from_peer || (what != "SCCRP" && what != "ICRP"))
			continue;
		control_header h = all[i].pkt.header; // Ns/Nr as sent
		message m;
		auto resp = challenge_response(2, as_bytes(xl2tpd_secret), sccrq->challenge);
		ASSERT_TRUE(resp);
		const auto challenge = from_hex(xl2tpd_our_challenge);
		if (what == "SCCRP") {
			EXPECT_EQ(h.tunnel_id.value, sccrq->assigned_tunnel_id);
			m.set_message_type(msg_type::sccrp).set_protocol_version(0x0100).set_framing_capabilities(3);
			m.set_host_name(as_bytes("l2tpx-lns")).set_assigned_tunnel_id(xl2tpd_our_tunnel);
			m.set_receive_window_size(8).set_challenge(challenge).set_challenge_response(*resp);
		} else {
			EXPECT_EQ(h.session_id.value, icrq->assigned_session_id);
			m.set_message_type(msg_type::icrp).set_assigned_session_id(xl2tpd_our_session);
		}
		uint8_t out[512];
		auto n = encode_packet(h, m, {}, out);
		ASSERT_TRUE(n) << to_string(n.error());
		EXPECT_EQ(to_hex({out, *n}), xl2tpd_packets[i].hex) << what;
	}
}

TEST(Xl2tpd, SessionMessages) {
	std::vector<decoded> all;
	all.reserve(std::size(xl2tpd_packets));
	decode_all(all);
	const message *iccn = find(all, msg_type::iccn, true);
	const message *cdn = find(all, msg_type::cdn, true);
	const message *stop = find(all, msg_type::stopccn, true);
	ASSERT_TRUE(iccn && cdn && stop);
	EXPECT_TRUE(iccn->has_tx_connect_speed());
	EXPECT_TRUE(iccn->has_framing_type());
	EXPECT_EQ(cdn->assigned_session_id, find(all, msg_type::icrq, true)->assigned_session_id);
	EXPECT_GE(cdn->result_code.result, 1);
	EXPECT_EQ(stop->assigned_tunnel_id, find(all, msg_type::sccrq, true)->assigned_tunnel_id);
	EXPECT_EQ(stop->result_code.result, result_codes::stopccn_general_clear);
}

// xl2tpd (LAC, 198.18.0.2) and l2tpns 2.4.1 (LNS, 198.18.0.1) from tests/data/xl2tpd_l2tpns.pcap:
// every control message of both decodes, with the header fields and Message Type expected.
TEST(L2tpns, EveryControlMessageDecodes) {
	std::set<uint16_t> lns_types;
	for (const auto &p : l2tpns_packets) {
		const auto bytes = from_hex(p.hex);
		std::vector<uint8_t> scratch(bytes.size());
		decode_options o;
		o.scratch = scratch;
		message m;
		auto r = decode_packet(bytes, o, m);
		ASSERT_TRUE(r) << p.source << " type " << p.msg_type << ": " << to_string(r.error().code) << " avp "
			       << r.error().avp_type;
		EXPECT_EQ(r->zlb, p.msg_type == 0);
		EXPECT_EQ(static_cast<uint16_t>(m.type()), p.msg_type);
		if (std::string_view(p.source) == "198.18.0.1" && p.msg_type != 0)
			lns_types.insert(p.msg_type);
		if (m.type() == msg_type::sccrp) {
			EXPECT_TRUE(m.has_assigned_tunnel_id());
			EXPECT_FALSE(m.host_name.empty());
		}
	}
	// l2tpns sent SCCRP, ICRP, CDN and StopCCN.
	for (uint16_t t : {2, 11, 14, 4})
		EXPECT_TRUE(lns_types.count(t)) << t;
}

} // namespace
} // namespace l2tpx::ctl

namespace l2tpx::ctl {
namespace {

// The AVPs of a body as comparable tuples (M, H, vendor, type, value), in wire order.
std::vector<std::tuple<bool, bool, uint16_t, uint16_t, std::vector<uint8_t>>> avps_of(bytes body) {
	std::vector<std::tuple<bool, bool, uint16_t, uint16_t, std::vector<uint8_t>>> v;
	for (avp_reader r(body); !r.done();) {
		auto a = r.next();
		if (!a)
			break;
		v.emplace_back(a->mandatory, a->hidden, a->vendor, a->type,
		               std::vector<uint8_t>(a->value.begin(), a->value.end()));
	}
	return v;
}

struct reencode_result {
	size_t identical = 0, reordered = 0;
};

// Decode a captured packet, encode the decoded message with the captured header, and
// compare: byte-identical, or the same AVPs (flags and values) in another order — our
// encoder writes Message Type first and the rest by attribute type, peers use their own
// order. Anything else (an AVP lost, changed or added) fails.
void reencode(std::string_view what, const std::vector<uint8_t> &wire, bytes secret, reencode_result &res) {
	std::vector<uint8_t> scratch(wire.size());
	decode_options o;
	o.secret = secret;
	o.scratch = scratch;
	message m;
	auto d = decode_packet(wire, o, m);
	ASSERT_TRUE(d) << what;
	if (d->zlb)
		return;
	uint8_t out[2048];
	auto n = encode_packet(d->header, m, {}, out);
	ASSERT_TRUE(n) << what << ": " << to_string(n.error());
	const std::vector<uint8_t> again(out, out + *n);
	if (again == wire) {
		res.identical++;
		return;
	}
	std::vector<uint8_t> s2(again.size());
	decode_options o2;
	o2.scratch = s2;
	message m2;
	auto d2 = decode_packet(again, o2, m2);
	ASSERT_TRUE(d2) << what;
	auto a = avps_of(d->body), b = avps_of(d2->body);
	std::sort(a.begin(), a.end());
	std::sort(b.begin(), b.end());
	EXPECT_EQ(a, b) << what << ": re-encoded AVPs differ\n  captured " << to_hex(wire) << "\n  ours     "
	                << to_hex(again);
	EXPECT_EQ(again.size(), wire.size()) << what;
	res.reordered++;
}

TEST(RealPeers, EveryCapturedControlMessageReencodes) {
	reencode_result res;
	for (const auto &p : xl2tpd_packets)
		reencode(p.what, from_hex(p.hex), as_bytes(xl2tpd_secret), res);
	for (const auto &p : l2tpns_packets)
		reencode(p.source, from_hex(p.hex), {}, res);
	// Most of what real peers send is byte-identical once re-encoded.
	EXPECT_GT(res.identical, res.reordered);
	std::printf("re-encoded: %zu byte-identical, %zu with the same AVPs in our order\n", res.identical,
	            res.reordered);
}

} // namespace
} // namespace l2tpx::ctl
