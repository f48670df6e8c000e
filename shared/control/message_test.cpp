// Typed messages against the vectors of gen_vectors.py: every message type, both versions,
// encode and decode, hidden and signed variants; every prefix of every vector fails cleanly.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "shared/control/avp.hpp"
#include "shared/control/control_test_util.hpp"
#include "shared/control/message.hpp"

namespace l2tpx::ctl {
namespace {

using test::from_hex;
using test::to_hex;

// ---- the tables ---------------------------------------------------------------------------

TEST(AvpTable, RowsAreConsistent) {
	std::set<uint16_t> seen;
	for (const avp_info &a : avp_table) {
		EXPECT_TRUE(seen.insert(a.type).second) << a.name;
		EXPECT_EQ(find_avp(vendor_ietf, a.type), &a);
		EXPECT_LE(a.min_len, a.max_len) << a.name;
		EXPECT_LE(a.max_len, avp_max_value_len) << a.name;
		EXPECT_STRNE(a.name, "");
	}
	// RFC 2661 types 0..39 are all there except the reserved 20.
	for (uint16_t t = 0; t <= 39; ++t)
		EXPECT_EQ(find_avp(vendor_ietf, t) != nullptr, t != 20) << t;
	for (uint16_t t = 59; t <= 76; ++t)
		EXPECT_EQ(find_avp(vendor_ietf, t) != nullptr, t != 67) << t;
	EXPECT_EQ(find_avp(9, 7), nullptr); // vendor AVPs are unknown
	EXPECT_EQ(find_avp(vendor_ietf, 200), nullptr);
	EXPECT_STREQ(avp_name(7), "Host Name");
	EXPECT_STREQ(avp_name(20), "unknown");
}

TEST(AvpTable, MandatoryInIsDerivedFromMessages) {
	uint32_t all = 0;
	for (const message_info &m : message_table)
		all |= uint32_t{1} << static_cast<uint16_t>(m.type);
	EXPECT_EQ(mandatory_in(avp_type::message_type, 2), all);
	EXPECT_EQ(mandatory_in(avp_type::message_type, 3), all);
	EXPECT_EQ(mandatory_in(avp_type::host_name, 2), (1u << 1) | (1u << 2));
	EXPECT_EQ(mandatory_in(avp_type::assigned_tunnel_id, 2), (1u << 1) | (1u << 2) | (1u << 4));
	EXPECT_EQ(mandatory_in(avp_type::assigned_tunnel_id, 3), 0u);
	EXPECT_EQ(mandatory_in(avp_type::router_id, 3), (1u << 1) | (1u << 2));
	EXPECT_EQ(mandatory_in(avp_type::vendor_name, 2), 0u);
}

TEST(MessageTable, NamesAndLookups) {
	EXPECT_STREQ(to_string(msg_type::sccrq), "SCCRQ");
	EXPECT_STREQ(to_string(msg_type::stopccn), "StopCCN");
	EXPECT_STREQ(to_string(msg_type::ack), "ACK");
	EXPECT_STREQ(to_string(msg_type::zlb), "ZLB");
	EXPECT_STREQ(to_string(static_cast<msg_type>(5)), "unknown");
	EXPECT_EQ(find_message(13), nullptr);
	EXPECT_EQ(find_message(1000), nullptr);
	for (const message_info &m : message_table)
		EXPECT_EQ(find_message(static_cast<uint16_t>(m.type)), &m);
}

// ---- one AVP at a time ----------------------------------------------------------------------

TEST(AvpValues, EncodeDecodeEveryKnownAvp) {
	std::set<uint16_t> covered;
	for (const auto &v : test::avp_vectors) {
		SCOPED_TRACE(avp_name(v.type));
		const auto t = static_cast<avp_type>(v.type);
		const avp_info *ai = find_avp(vendor_ietf, v.type);
		ASSERT_NE(ai, nullptr);
		EXPECT_EQ(ai->m_bit, v.m_bit);
		covered.insert(v.type);

		message m;
		test::set_canonical(m, t);
		uint8_t out[avp_max_value_len];
		auto n = encode_avp_value(t, m, out);
		ASSERT_TRUE(n) << to_string(n.error());
		const auto want = from_hex(v.value);
		EXPECT_EQ(to_hex({out, *n}), to_hex(want));

		message d;
		ASSERT_TRUE(decode_avp_value(t, want, d));
		EXPECT_TRUE(d.has(t));
		auto n2 = encode_avp_value(t, d, out);
		ASSERT_TRUE(n2);
		EXPECT_EQ(to_hex({out, *n2}), to_hex(want));

		// One byte short or long is refused when the type has a fixed size.
		if (ai->min_len == ai->max_len && !want.empty()) {
			EXPECT_FALSE(decode_avp_value(t, bytes(want).first(want.size() - 1), d));
			std::vector<uint8_t> longer = want;
			longer.push_back(0);
			EXPECT_FALSE(decode_avp_value(t, longer, d));
		}
	}
	// Every row of the table except Message Type (covered by every message) has a vector.
	EXPECT_EQ(covered.size() + 1, avp_table_size);
}

TEST(AvpValues, TypedFields) {
	message m;
	const auto rc = from_hex("0002 0006 6f6f7073");
	ASSERT_TRUE(decode_avp_value(avp_type::result_code, rc, m));
	EXPECT_EQ(m.result_code.result, 2);
	EXPECT_TRUE(m.result_code.has_error);
	EXPECT_EQ(m.result_code.error, 6);
	EXPECT_EQ(as_string(m.result_code.message), "oops");
	ASSERT_TRUE(decode_avp_value(avp_type::result_code, from_hex("0001"), m));
	EXPECT_EQ(m.result_code.result, 1);
	EXPECT_FALSE(m.result_code.has_error);
	EXPECT_TRUE(m.result_code.message.empty());
	EXPECT_EQ(decode_avp_value(avp_type::result_code, from_hex("000100"), m).error(), error::avp_bad_length);

	const auto q = from_hex("0010 11 6869");
	ASSERT_TRUE(decode_avp_value(avp_type::q931_cause_code, q, m));
	EXPECT_EQ(m.q931_cause_code.cause, 16);
	EXPECT_EQ(m.q931_cause_code.cause_msg, 0x11);
	EXPECT_EQ(as_string(m.q931_cause_code.advisory), "hi");

	ASSERT_TRUE(decode_avp_value(avp_type::call_errors,
				     from_hex("0000 00000001 00000002 00000003 00000004 00000005 00000006"), m));
	EXPECT_EQ(m.call_errors.crc_errors, 1u);
	EXPECT_EQ(m.call_errors.alignment_errors, 6u);
	ASSERT_TRUE(decode_avp_value(avp_type::accm, from_hex("0000 ffffffff 000a0000"), m));
	EXPECT_EQ(m.accm.send_accm, 0xffffffffu);
	EXPECT_EQ(m.accm.receive_accm, 0x000a0000u);

	ASSERT_TRUE(decode_avp_value(avp_type::tie_breaker, from_hex("0102030405060708"), m));
	EXPECT_EQ(m.tie_breaker, 0x0102030405060708ull);

	ASSERT_TRUE(decode_avp_value(avp_type::pw_capabilities, from_hex("0005 0004"), m));
	ASSERT_EQ(m.pw_capabilities.count, 2);
	EXPECT_EQ(m.pw_capabilities.items[0], 5);
	EXPECT_EQ(m.pw_capabilities.items[1], 4);
	EXPECT_EQ(decode_avp_value(avp_type::pw_capabilities, from_hex("000500"), m).error(), error::avp_bad_length);
	std::vector<uint8_t> many(2 * (u16_list_value::capacity + 1), 0);
	EXPECT_EQ(decode_avp_value(avp_type::pw_capabilities, many, m).error(), error::avp_list_too_long);

	EXPECT_EQ(decode_avp_value(avp_type::assigned_cookie, from_hex("0102030405"), m).error(), error::avp_bad_length);
	EXPECT_TRUE(decode_avp_value(avp_type::assigned_cookie, from_hex("01020304"), m));

	ASSERT_TRUE(decode_avp_value(avp_type::message_digest, from_hex("01" + std::string(40, '7')), m));
	EXPECT_EQ(m.message_digest.digest_type, 1);
	EXPECT_EQ(m.message_digest.digest.size(), 20u);
	EXPECT_EQ(decode_avp_value(avp_type::message_digest, from_hex("01" + std::string(32, '7')), m).error(),
		  error::avp_bad_length);
	EXPECT_EQ(decode_avp_value(avp_type::message_digest, from_hex("02" + std::string(32, '7')), m).error(),
		  error::avp_bad_value);

	ASSERT_TRUE(decode_avp_value(avp_type::failover_capability, from_hex("0003 00001388"), m));
	EXPECT_EQ(m.failover_capability.flags, 3);
	EXPECT_EQ(m.failover_capability.recovery_time, 5000u);
	EXPECT_TRUE(decode_avp_value(avp_type::sequencing_required, {}, m));
	EXPECT_TRUE(m.sequencing_required);
}

// ---- whole messages -------------------------------------------------------------------------

struct built {
	message m;
	control_header h;
	encode_options eo;
	decode_options dopt;
	digest_params dp;
	std::vector<uint8_t> secret, padding, local_nonce, remote_nonce;
	std::vector<uint8_t> scratch = std::vector<uint8_t>(65536);
};

void build(const test::message_vector &v, built &b) {
	b.secret.assign(test::vector_secret, test::vector_secret + std::strlen(test::vector_secret));
	b.padding = from_hex(v.padding);
	b.local_nonce = from_hex(v.local_nonce);
	b.remote_nonce = from_hex(v.remote_nonce);
	for (uint16_t t : test::parse_list(v.avps))
		test::set_canonical(b.m, static_cast<avp_type>(t));
	b.m.set_message_type(static_cast<msg_type>(v.msg_type));
	for (uint16_t t : test::parse_list(v.hidden))
		b.m.hide(static_cast<avp_type>(t));
	if (v.digest_algo >= 0)
		b.m.message_digest.digest_type = static_cast<uint8_t>(v.digest_algo);

	b.h.version = static_cast<uint8_t>(v.version);
	static const std::set<uint16_t> tunnel_msgs = {1, 2, 3, 4, 6, 20};
	b.h.tunnel_id = tunnel_id_v2(0x0102);
	b.h.session_id = session_id_v2(tunnel_msgs.count(v.msg_type) ? 0 : 0x0304);
	b.h.ccid = ccid_v3(0x0a0b0c0d);
	b.h.ns = v.ns;
	b.h.nr = static_cast<uint16_t>(v.ns + 1);
	b.h.v3_over_ip = v.over_ip;

	b.eo.version = b.h.version;
	b.eo.secret = b.secret;
	b.eo.hidden_padding = b.padding;
	b.dopt.secret = b.secret;
	b.dopt.scratch = b.scratch;
	b.dopt.v3_over_ip = v.over_ip;
	if (v.digest_algo >= 0) {
		const std::string_view ds = test::vector_digest_secret;
		auto k = derive_digest_key(static_cast<digest_algo>(v.digest_algo), as_bytes(ds));
		ASSERT_TRUE(k);
		b.dp.key = *k;
		b.dp.local_nonce = b.local_nonce;
		b.dp.remote_nonce = b.remote_nonce;
		b.eo.digest = &b.dp;
		b.dopt.digest = &b.dp;
		b.dopt.digest_required = true;
	}
}

class MessageVectors : public ::testing::TestWithParam<test::message_vector> {};

TEST_P(MessageVectors, EncodeMatchesReference) {
	const auto &v = GetParam();
	built b;
	build(v, b);
	std::vector<uint8_t> out(4096);
	auto n = encode_packet(b.h, b.m, b.eo, out);
	ASSERT_TRUE(n) << to_string(n.error());
	EXPECT_EQ(to_hex({out.data(), *n}), v.packet);
}

TEST_P(MessageVectors, DecodeAndReencode) {
	const auto &v = GetParam();
	built b;
	build(v, b);
	const auto pkt = from_hex(v.packet);
	message m;
	auto d = decode_packet(pkt, b.dopt, m);
	ASSERT_TRUE(d) << to_string(d.error().code) << " avp " << d.error().avp_type;
	EXPECT_FALSE(d->zlb);
	EXPECT_EQ(d->header.version, v.version);
	EXPECT_EQ(d->header.ns, v.ns);
	EXPECT_EQ(d->header.nr, v.ns + 1);
	if (v.version == 2) {
		EXPECT_EQ(d->header.tunnel_id, b.h.tunnel_id);
		EXPECT_EQ(d->header.session_id, b.h.session_id);
	} else {
		EXPECT_EQ(d->header.ccid, b.h.ccid);
		EXPECT_EQ(d->header.v3_over_ip, v.over_ip);
	}
	EXPECT_EQ(m.type(), static_cast<msg_type>(v.msg_type));
	avp_set want;
	for (uint16_t t : test::parse_list(v.avps))
		want.set(t);
	EXPECT_TRUE(m.present == want);
	avp_set want_hidden;
	for (uint16_t t : test::parse_list(v.hidden))
		want_hidden.set(t);
	EXPECT_TRUE(m.hidden == want_hidden);

	// The decoded typed values encode back to the same bytes (same header, same options).
	std::vector<uint8_t> out(4096);
	auto n = encode_packet(d->header, m, b.eo, out);
	ASSERT_TRUE(n) << to_string(n.error());
	EXPECT_EQ(to_hex({out.data(), *n}), v.packet);
}

TEST_P(MessageVectors, EveryPrefixFailsCleanly) {
	const auto &v = GetParam();
	built b;
	build(v, b);
	const auto pkt = from_hex(v.packet);
	for (size_t len = 0; len < pkt.size(); ++len) {
		std::vector<uint8_t> prefix(pkt.begin(), pkt.begin() + static_cast<std::ptrdiff_t>(len));
		message m;
		auto d = decode_packet(prefix, b.dopt, m);
		EXPECT_FALSE(d) << "prefix of " << len << " bytes decoded";
	}
	// Body prefixes (Length patched): must not crash; an AVP boundary may still be valid.
	const size_t lead = v.over_ip ? 4 : 0;
	const size_t body_at = lead + 12;
	for (size_t len = body_at; len < pkt.size(); ++len) {
		std::vector<uint8_t> cut(pkt.begin(), pkt.begin() + static_cast<std::ptrdiff_t>(len));
		const auto l = static_cast<uint16_t>(len - lead);
		cut[lead + 2] = static_cast<uint8_t>(l >> 8);
		cut[lead + 3] = static_cast<uint8_t>(l);
		message m;
		decode_options o = b.dopt;
		o.digest = nullptr;
		auto d = decode_packet(cut, o, m);
		if (d && len > body_at) {
			EXPECT_TRUE(m.has_message_type());
		}
	}
}

TEST_P(MessageVectors, CorruptionIsDetectedOrHarmless) {
	const auto &v = GetParam();
	built b;
	build(v, b);
	const auto pkt = from_hex(v.packet);
	const size_t lead = v.over_ip ? 4 : 0;
	for (size_t i = lead + 12; i < pkt.size(); ++i) {
		auto bad = pkt;
		bad[i] ^= 0x01;
		message m;
		auto d = decode_packet(bad, b.dopt, m);
		// With a digest every changed bit after the header must be caught.
		if (v.digest_algo >= 0) {
			EXPECT_FALSE(d) << "flip at " << i;
		}
	}
}

INSTANTIATE_TEST_SUITE_P(Vectors, MessageVectors, ::testing::ValuesIn(test::message_vectors),
			 [](const auto &info) { return std::string(info.param.name); });

TEST(MessageVectorsCoverage, EveryTypeBothVersions) {
	std::set<std::pair<int, uint16_t>> seen;
	for (const auto &v : test::message_vectors)
		seen.insert({v.version, v.msg_type});
	for (const message_info &m : message_table) {
		EXPECT_TRUE(seen.count({2, static_cast<uint16_t>(m.type)})) << m.short_name;
		EXPECT_TRUE(seen.count({3, static_cast<uint16_t>(m.type)})) << m.short_name;
	}
}

TEST(Messages, DecodedSccrqFields) {
	const test::message_vector *v = nullptr;
	for (const auto &x : test::message_vectors)
		if (std::string_view(x.name) == "v2_SCCRQ_hidden")
			v = &x;
	ASSERT_NE(v, nullptr);
	built b;
	build(*v, b);
	const auto pkt = from_hex(v->packet);
	message m;
	ASSERT_TRUE(decode_packet(pkt, b.dopt, m));
	EXPECT_EQ(m.protocol_version, 0x0100);
	EXPECT_EQ(as_string(m.host_name), "lns.example.net");
	EXPECT_EQ(m.framing_capabilities, 3u);
	EXPECT_EQ(m.assigned_tunnel_id, 0x1234);
	EXPECT_TRUE(m.hidden.test(avp_type::assigned_tunnel_id));
	EXPECT_EQ(as_string(m.vendor_name), "l2tpx");
	EXPECT_EQ(m.tie_breaker, 0x0102030405060708ull);
	EXPECT_EQ(m.receive_window_size, 8);
	EXPECT_EQ(as_string(m.challenge), "0123456789abcdef");
	EXPECT_EQ(m.failover_capability.recovery_time, 5000u);
}

TEST(Messages, SessionMessagesAndTypeAfterError) {
	EXPECT_TRUE(is_session_message(msg_type::icrq));
	EXPECT_TRUE(is_session_message(msg_type::cdn));
	EXPECT_TRUE(is_session_message(msg_type::sli));
	EXPECT_FALSE(is_session_message(msg_type::sccrq));
	EXPECT_FALSE(is_session_message(msg_type::hello));
	EXPECT_FALSE(is_session_message(msg_type::zlb));
	// ICRQ with an unknown mandatory AVP: the type is known, so the caller answers with CDN.
	const auto body = from_hex("8008 0000 0000 000a 8008 0000 00c8 0000");
	message m;
	auto r = decode_body(body, {}, m);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, error::unknown_mandatory_avp);
	EXPECT_EQ(m.type(), msg_type::icrq);
	EXPECT_TRUE(is_session_message(m.type()));
}

TEST(Messages, Zlb) {
	control_header h;
	h.tunnel_id = tunnel_id_v2(7);
	h.ns = 3;
	h.nr = 9;
	message m; // message_type zlb
	uint8_t out[64];
	auto n = encode_packet(h, m, {}, out);
	ASSERT_TRUE(n);
	EXPECT_EQ(to_hex({out, *n}), "c802000c0007000000030009");
	message d;
	auto r = decode_packet({out, *n}, {}, d);
	ASSERT_TRUE(r);
	EXPECT_TRUE(r->zlb);
	EXPECT_EQ(d.type(), msg_type::zlb);
	EXPECT_EQ(r->header.nr, 9);

	h.version = 3;
	h.ccid = ccid_v3(0x01020304);
	n = encode_packet(h, m, {}, out);
	ASSERT_TRUE(n);
	EXPECT_EQ(to_hex({out, *n}), "c803000c0102030400030009");
}

TEST(Messages, PacketLevelErrors) {
	message m;
	decode_options o;
	EXPECT_EQ(decode_packet(from_hex("0002 0001 0000"), o, m).error().code, error::not_control);
	EXPECT_EQ(decode_packet(from_hex("c801 000c 0001 0000 0000 0000"), o, m).error().code, error::bad_version);
	EXPECT_EQ(decode_packet(from_hex("c802 000c 0001"), o, m).error().code, error::bad_header);
	EXPECT_EQ(decode_packet(from_hex("8802 0001 0000 0000 0000"), o, m).error().code, error::bad_header);
	EXPECT_EQ(decode_packet({}, o, m).error().code, error::bad_header);
	o.v3_over_ip = true;
	EXPECT_EQ(decode_packet(from_hex("00000001 c803"), o, m).error().code, error::not_control);
}

} // namespace
} // namespace l2tpx::ctl
