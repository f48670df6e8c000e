// Table-driven checks of every packet kind and option against the scapy/hashlib vectors in
// test_vectors.hpp: parse the bytes and compare with the recipe; rebuild from the recipe and
// compare with the bytes.
#include <array>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "shared/base/byteorder.hpp"
#include "shared/ppp/chap.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/ipcp.hpp"
#include "shared/ppp/ipv6cp.hpp"
#include "shared/ppp/lcp.hpp"
#include "shared/ppp/pap.hpp"
#include "shared/ppp/protocol.hpp"
#include "shared/ppp/test_util.hpp"
#include "shared/ppp/test_vectors.hpp"

namespace l2tpx::ppp {
namespace {

using testing::same_bytes;
using testing::str;
using test_vectors::option_vector;

void check_lcp_option(const option_view &o, const option_vector &r) {
	auto d = lcp::decode_option(o);
	ASSERT_TRUE(d) << to_string(d.error());
	EXPECT_EQ(static_cast<uint8_t>(d->type), r.type);
	EXPECT_TRUE(same_bytes(d->raw, o.raw));
	switch (d->type) {
	case lcp::option_type::mru:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->mru, r.number);
		break;
	case lcp::option_type::accm:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->accm, r.number);
		break;
	case lcp::option_type::auth_protocol:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->protocol, r.number);
		if (d->protocol == proto::chap) {
			EXPECT_EQ(d->chap_algorithm, r.extra);
		}
		else {
			EXPECT_TRUE(same_bytes(d->protocol_data, r.data));
		}
		break;
	case lcp::option_type::quality_protocol:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->protocol, r.number);
		EXPECT_TRUE(same_bytes(d->protocol_data, r.data));
		break;
	case lcp::option_type::magic_number:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->magic, r.number);
		break;
	case lcp::option_type::pfc:
	case lcp::option_type::acfc:
		EXPECT_TRUE(d->known);
		EXPECT_TRUE(d->value.empty());
		break;
	default:
		EXPECT_FALSE(d->known);
		EXPECT_TRUE(same_bytes(d->value, r.data));
	}
}

void add_lcp_option(packet_writer &w, const option_vector &r) {
	switch (static_cast<lcp::option_type>(r.type)) {
	case lcp::option_type::mru: lcp::add_mru(w, static_cast<uint16_t>(r.number)); break;
	case lcp::option_type::accm: lcp::add_accm(w, static_cast<uint32_t>(r.number)); break;
	case lcp::option_type::auth_protocol:
		if (r.number == proto::chap)
			lcp::add_auth_chap(w, r.extra);
		else if (r.number == proto::pap)
			lcp::add_auth_pap(w);
		else
			lcp::add_auth_protocol(w, static_cast<uint16_t>(r.number), r.data);
		break;
	case lcp::option_type::quality_protocol:
		lcp::add_quality_protocol(w, static_cast<uint16_t>(r.number), r.data);
		break;
	case lcp::option_type::magic_number: lcp::add_magic_number(w, static_cast<uint32_t>(r.number)); break;
	case lcp::option_type::pfc: lcp::add_pfc(w); break;
	case lcp::option_type::acfc: lcp::add_acfc(w); break;
	default: w.option(r.type, r.data);
	}
}

void check_ipcp_option(const option_view &o, const option_vector &r) {
	auto d = ipcp::decode_option(o);
	ASSERT_TRUE(d) << to_string(d.error());
	EXPECT_EQ(static_cast<uint8_t>(d->type), r.type);
	switch (d->type) {
	case ipcp::option_type::ip_addresses:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->address, load_be32(r.data.data()));
		EXPECT_EQ(d->address2, load_be32(r.data.data() + 4));
		break;
	case ipcp::option_type::ip_compression:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->compression_protocol, r.number);
		EXPECT_TRUE(same_bytes(d->compression_data, r.data));
		break;
	case ipcp::option_type::ip_address:
	case ipcp::option_type::primary_dns:
	case ipcp::option_type::primary_nbns:
	case ipcp::option_type::secondary_dns:
	case ipcp::option_type::secondary_nbns:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->address, r.number);
		break;
	default:
		EXPECT_FALSE(d->known);
		EXPECT_TRUE(same_bytes(d->value, r.data));
	}
}

void add_ipcp_option(packet_writer &w, const option_vector &r) {
	auto a = static_cast<uint32_t>(r.number);
	switch (static_cast<ipcp::option_type>(r.type)) {
	case ipcp::option_type::ip_compression:
		ipcp::add_ip_compression(w, static_cast<uint16_t>(r.number), r.data);
		break;
	case ipcp::option_type::ip_address: ipcp::add_ip_address(w, a); break;
	case ipcp::option_type::primary_dns: ipcp::add_primary_dns(w, a); break;
	case ipcp::option_type::secondary_dns: ipcp::add_secondary_dns(w, a); break;
	case ipcp::option_type::primary_nbns: ipcp::add_primary_nbns(w, a); break;
	case ipcp::option_type::secondary_nbns: ipcp::add_secondary_nbns(w, a); break;
	default: w.option(r.type, r.data);
	}
}

void check_ipv6cp_option(const option_view &o, const option_vector &r) {
	auto d = ipv6cp::decode_option(o);
	ASSERT_TRUE(d) << to_string(d.error());
	EXPECT_EQ(static_cast<uint8_t>(d->type), r.type);
	switch (d->type) {
	case ipv6cp::option_type::interface_identifier:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->interface_id, r.number);
		break;
	case ipv6cp::option_type::ipv6_compression:
		EXPECT_TRUE(d->known);
		EXPECT_EQ(d->compression_protocol, r.number);
		EXPECT_TRUE(same_bytes(d->compression_data, r.data));
		break;
	default:
		EXPECT_FALSE(d->known);
		EXPECT_TRUE(same_bytes(d->value, r.data));
	}
}

void add_ipv6cp_option(packet_writer &w, const option_vector &r) {
	switch (static_cast<ipv6cp::option_type>(r.type)) {
	case ipv6cp::option_type::interface_identifier: ipv6cp::add_interface_identifier(w, r.number); break;
	case ipv6cp::option_type::ipv6_compression:
		ipv6cp::add_ipv6_compression(w, static_cast<uint16_t>(r.number), r.data);
		break;
	default: w.option(r.type, r.data);
	}
}

TEST(PppConfigure, ParsesScapyVectors) {
	for (const auto &v : test_vectors::configs) {
		SCOPED_TRACE(v.name);
		auto p = parse_control(v.raw);
		ASSERT_TRUE(p) << to_string(p.error());
		EXPECT_EQ(p->code, v.code);
		EXPECT_TRUE(is_configure_code(p->code));
		EXPECT_EQ(p->identifier, v.identifier);
		EXPECT_EQ(p->length, v.raw.size());
		EXPECT_EQ(p->packet.size(), v.raw.size());
		auto opts = parse_options(*p);
		ASSERT_TRUE(opts) << to_string(opts.error());
		ASSERT_EQ(opts->size(), v.options.size());
		size_t i = 0;
		for (option_view o : *opts) {
			SCOPED_TRACE(i);
			const auto &r = v.options[i++];
			EXPECT_EQ(o.type, r.type);
			EXPECT_EQ(o.raw.size(), o.value.size() + 2);
			if (v.protocol == proto::lcp)
				check_lcp_option(o, r);
			else if (v.protocol == proto::ipcp)
				check_ipcp_option(o, r);
			else
				check_ipv6cp_option(o, r);
		}
		EXPECT_EQ(i, v.options.size());
	}
}

TEST(PppConfigure, BuildsScapyVectors) {
	for (const auto &v : test_vectors::configs) {
		SCOPED_TRACE(v.name);
		std::array<uint8_t, 256> out{};
		packet_writer w(out, v.code, v.identifier);
		for (const auto &r : v.options) {
			if (v.protocol == proto::lcp)
				add_lcp_option(w, r);
			else if (v.protocol == proto::ipcp)
				add_ipcp_option(w, r);
			else
				add_ipv6cp_option(w, r);
		}
		size_t n = w.finish();
		ASSERT_EQ(n, v.raw.size());
		EXPECT_TRUE(same_bytes(std::span(out).first(n), v.raw));
	}
}

TEST(PppConfigure, RepeatsOptionsUnchangedInReject) {
	// Configure-Reject/Ack must repeat the received options byte for byte.
	for (const auto &v : test_vectors::configs) {
		SCOPED_TRACE(v.name);
		auto p = parse_control(v.raw);
		ASSERT_TRUE(p);
		auto opts = parse_options(*p);
		ASSERT_TRUE(opts);
		std::array<uint8_t, 256> out{};
		packet_writer w(out, cp_code::configure_reject, p->identifier);
		for (option_view o : *opts)
			w.option_raw(o);
		size_t n = w.finish();
		ASSERT_EQ(n, v.raw.size());
		EXPECT_EQ(out[0], static_cast<uint8_t>(cp_code::configure_reject));
		EXPECT_TRUE(same_bytes(std::span(out).subspan(1, n - 1), v.raw.subspan(1)));
	}
}

TEST(PppLcp, ParsesAndBuildsOtherPackets) {
	for (const auto &v : test_vectors::bodies) {
		SCOPED_TRACE(v.name);
		auto p = parse_control(v.raw);
		ASSERT_TRUE(p) << to_string(p.error());
		EXPECT_EQ(p->code, v.code);
		EXPECT_EQ(p->identifier, v.identifier);
		EXPECT_TRUE(is_lcp_code(p->code));
		std::array<uint8_t, 256> out{};
		size_t n = 0;
		switch (static_cast<cp_code>(v.code)) {
		case cp_code::terminate_request:
		case cp_code::terminate_ack:
			EXPECT_TRUE(same_bytes(p->data, v.data));
			n = build_terminate(out, static_cast<cp_code>(v.code), v.identifier, v.data);
			break;
		case cp_code::code_reject: {
			auto b = parse_code_reject(*p);
			ASSERT_TRUE(b) << to_string(b.error());
			EXPECT_EQ(b->rejected_code, v.number);
			EXPECT_TRUE(same_bytes(b->rejected, v.data));
			n = build_code_reject(out, v.identifier, v.data);
			break;
		}
		case cp_code::protocol_reject: {
			auto b = lcp::parse_protocol_reject(*p);
			ASSERT_TRUE(b) << to_string(b.error());
			EXPECT_EQ(b->protocol, v.number);
			EXPECT_TRUE(same_bytes(b->information, v.data));
			n = lcp::build_protocol_reject(out, v.identifier, static_cast<uint16_t>(v.number), v.data);
			break;
		}
		case cp_code::echo_request:
		case cp_code::echo_reply:
		case cp_code::discard_request: {
			auto b = lcp::parse_magic_body(*p);
			ASSERT_TRUE(b) << to_string(b.error());
			EXPECT_EQ(b->magic, v.number);
			EXPECT_TRUE(same_bytes(b->data, v.data));
			n = lcp::build_magic_body(out, static_cast<cp_code>(v.code), v.identifier, v.number, v.data);
			break;
		}
		default: FAIL() << "vector with unexpected code " << int(v.code);
		}
		ASSERT_EQ(n, v.raw.size());
		EXPECT_TRUE(same_bytes(std::span(out).first(n), v.raw));
	}
}

TEST(PppLcp, EchoHelpersAndRfc1570Packets) {
	std::array<uint8_t, 64> out{};
	const uint8_t echo_req[] = {0x09, 0x05, 0x00, 0x0a, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02};
	const uint8_t echo_rep[] = {0x0a, 0x05, 0x00, 0x0a, 0x12, 0x34, 0x56, 0x78, 0x01, 0x02};
	const uint8_t data[] = {0x01, 0x02};
	size_t n = lcp::build_echo_request(out, 5, 0xdeadbeef, data);
	EXPECT_TRUE(same_bytes(std::span(out).first(n), echo_req));
	n = lcp::build_echo_reply(out, 5, 0x12345678, data);
	EXPECT_TRUE(same_bytes(std::span(out).first(n), echo_rep));
	EXPECT_EQ(lcp::build_magic_body(out, cp_code::configure_request, 1, 0), 0u);

	// Identification (RFC 1570 §2.1): magic + message, as sent by Windows clients.
	const uint8_t ident[] = {0x0c, 0x02, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 'M', 'S', 'R', 'A', 'S', 'V', '5'};
	auto p = parse_control(ident);
	ASSERT_TRUE(p);
	auto b = lcp::parse_magic_body(*p);
	ASSERT_TRUE(b);
	EXPECT_EQ(b->magic, 0u);
	EXPECT_TRUE(same_bytes(b->data, str("MSRASV5")));
	n = lcp::build_magic_body(out, cp_code::identification, 2, 0, str("MSRASV5"));
	EXPECT_TRUE(same_bytes(std::span(out).first(n), ident));

	// Time-Remaining (RFC 1570 §2.2).
	const uint8_t tr[] = {0x0d, 0x03, 0x00, 0x0e, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x0e, 0x10, 'h', 'i'};
	p = parse_control(tr);
	ASSERT_TRUE(p);
	auto t = lcp::parse_time_remaining(*p);
	ASSERT_TRUE(t);
	EXPECT_EQ(t->magic, 0x01020304u);
	EXPECT_EQ(t->seconds, 3600u);
	EXPECT_TRUE(same_bytes(t->message, str("hi")));
	n = lcp::build_time_remaining(out, 3, 0x01020304, 3600, str("hi"));
	EXPECT_TRUE(same_bytes(std::span(out).first(n), tr));
}

TEST(PppLcp, RejectsTruncateToMru) {
	std::vector<uint8_t> big(2000, 0xab);
	big[0] = 14; // an unknown code
	std::array<uint8_t, 2100> out{};
	size_t n = build_code_reject(out, 9, big, 1500);
	ASSERT_EQ(n, 1500u);
	EXPECT_EQ(load_be16(out.data() + 2), 1500);
	EXPECT_EQ(out[4], 14);
	n = build_code_reject(out, 9, std::span(big).first(10), 1500);
	EXPECT_EQ(n, 14u);
	EXPECT_EQ(build_code_reject(out, 9, big, 4), 0u);
	EXPECT_EQ(build_code_reject(out, 9, {}, 1500), 0u);
	// A buffer smaller than the MRU-limited packet fails instead of truncating silently.
	EXPECT_EQ(build_code_reject(std::span(out).first(100), 9, big, 1500), 0u);

	n = lcp::build_protocol_reject(out, 4, proto::ccp, big, 64);
	ASSERT_EQ(n, 64u);
	EXPECT_EQ(load_be16(out.data() + 4), proto::ccp);
	n = lcp::build_protocol_reject(out, 4, proto::ccp, {}, 64);
	EXPECT_EQ(n, 6u);
	EXPECT_EQ(lcp::build_protocol_reject(out, 4, proto::ccp, big, 5), 0u);
}

TEST(PppPap, ParsesAndBuildsScapyVectors) {
	for (const auto &v : test_vectors::paps) {
		SCOPED_TRACE(v.name);
		auto p = parse_control(v.raw);
		ASSERT_TRUE(p) << to_string(p.error());
		EXPECT_EQ(p->code, v.code);
		EXPECT_EQ(p->identifier, v.identifier);
		std::array<uint8_t, 600> out{};
		size_t n;
		if (v.code == static_cast<uint8_t>(pap::code::authenticate_request)) {
			auto r = pap::parse_request(*p);
			ASSERT_TRUE(r) << to_string(r.error());
			EXPECT_TRUE(same_bytes(r->peer_id, v.field1));
			EXPECT_TRUE(same_bytes(r->password, v.field2));
			EXPECT_FALSE(pap::parse_reply(*p));
			n = pap::build_request(out, v.identifier, v.field1, v.field2);
		} else {
			auto r = pap::parse_reply(*p);
			ASSERT_TRUE(r) << to_string(r.error());
			EXPECT_EQ(r->ack, v.code == static_cast<uint8_t>(pap::code::authenticate_ack));
			EXPECT_TRUE(same_bytes(r->message, v.field1));
			EXPECT_FALSE(pap::parse_request(*p));
			n = pap::build_reply(out, r->ack, v.identifier, v.field1);
		}
		ASSERT_EQ(n, v.raw.size());
		EXPECT_TRUE(same_bytes(std::span(out).first(n), v.raw));
	}
}

TEST(PppPap, AcceptsReplyWithoutMsgLength) {
	const uint8_t ack[] = {0x02, 0x07, 0x00, 0x04};
	auto p = parse_control(ack);
	ASSERT_TRUE(p);
	auto r = pap::parse_reply(*p);
	ASSERT_TRUE(r);
	EXPECT_TRUE(r->ack);
	EXPECT_TRUE(r->message.empty());
}

TEST(PppPap, BuildersRejectOversizedFields) {
	std::vector<uint8_t> out(1024);
	std::vector<uint8_t> f255(255, 'a'), f256(256, 'a');
	EXPECT_EQ(pap::build_request(out, 1, f255, f255), 4u + 1 + 255 + 1 + 255);
	EXPECT_EQ(pap::build_request(out, 1, f256, {}), 0u);
	EXPECT_EQ(pap::build_request(out, 1, {}, f256), 0u);
	EXPECT_EQ(pap::build_reply(out, true, 1, f255), 4u + 1 + 255);
	EXPECT_EQ(pap::build_reply(out, false, 1, f256), 0u);
}

TEST(PppChap, ParsesAndBuildsScapyVectors) {
	for (const auto &v : test_vectors::chaps) {
		SCOPED_TRACE(v.name);
		auto p = parse_control(v.raw);
		ASSERT_TRUE(p) << to_string(p.error());
		EXPECT_EQ(p->code, v.code);
		EXPECT_EQ(p->identifier, v.identifier);
		std::array<uint8_t, 600> out{};
		size_t n;
		auto c = static_cast<chap::code>(v.code);
		if (c == chap::code::challenge || c == chap::code::response) {
			auto b = chap::parse_value(*p);
			ASSERT_TRUE(b) << to_string(b.error());
			EXPECT_TRUE(same_bytes(b->value, v.value));
			EXPECT_TRUE(same_bytes(b->name, v.who));
			EXPECT_FALSE(chap::parse_message(*p));
			n = chap::build_value(out, c, v.identifier, v.value, v.who);
		} else {
			auto m = chap::parse_message(*p);
			ASSERT_TRUE(m) << to_string(m.error());
			EXPECT_TRUE(same_bytes(*m, v.value));
			EXPECT_FALSE(chap::parse_value(*p));
			n = chap::build_message(out, c, v.identifier, v.value);
		}
		ASSERT_EQ(n, v.raw.size());
		EXPECT_TRUE(same_bytes(std::span(out).first(n), v.raw));
	}
}

TEST(PppChap, BuildersRejectBadArguments) {
	std::vector<uint8_t> out(1024);
	std::vector<uint8_t> v255(255, 1), v256(256, 1);
	EXPECT_EQ(chap::build_value(out, chap::code::challenge, 1, {}, {}), 0u);
	EXPECT_EQ(chap::build_value(out, chap::code::challenge, 1, v256, {}), 0u);
	EXPECT_EQ(chap::build_value(out, chap::code::response, 1, v255, str("n")), 4u + 1 + 255 + 1);
	EXPECT_EQ(chap::build_value(out, chap::code::success, 1, v255, {}), 0u);
	EXPECT_EQ(chap::build_message(out, chap::code::challenge, 1, {}), 0u);
	EXPECT_EQ(chap::build_message(out, chap::code::failure, 1, {}), 4u);
}

TEST(PppChap, NamedBuildersMatchVectors) {
	std::array<uint8_t, 128> out{};
	for (const auto &v : test_vectors::chaps) {
		SCOPED_TRACE(v.name);
		size_t n = 0;
		switch (static_cast<chap::code>(v.code)) {
		case chap::code::challenge: n = chap::build_challenge(out, v.identifier, v.value, v.who); break;
		case chap::code::response: n = chap::build_response(out, v.identifier, v.value, v.who); break;
		case chap::code::success: n = chap::build_success(out, v.identifier, v.value); break;
		case chap::code::failure: n = chap::build_failure(out, v.identifier, v.value); break;
		}
		ASSERT_EQ(n, v.raw.size());
		EXPECT_TRUE(same_bytes(std::span(out).first(n), v.raw));
	}
}

TEST(PppChap, Md5ResponsesMatchHashlib) {
	for (const auto &v : test_vectors::md5s) {
		SCOPED_TRACE(v.name);
		auto r = chap::md5_response(v.identifier, v.secret, v.challenge);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_TRUE(same_bytes(*r, v.response));
		EXPECT_TRUE(chap::md5_verify(v.identifier, v.secret, v.challenge, v.response));
		std::vector<uint8_t> wrong(v.response.begin(), v.response.end());
		wrong[15] ^= 1;
		EXPECT_FALSE(chap::md5_verify(v.identifier, v.secret, v.challenge, wrong));
		EXPECT_FALSE(chap::md5_verify(static_cast<uint8_t>(v.identifier + 1), v.secret, v.challenge, v.response));
		EXPECT_FALSE(chap::md5_verify(v.identifier, v.secret, v.challenge, v.response.first(15)));
	}
}

TEST(PppChap, Md5ResponseOfScapyResponseVector) {
	// The "response" packet vector carries MD5(0x21 || "secret" || challenge).
	const auto &challenge = test_vectors::chaps[0];
	const auto &response = test_vectors::chaps[1];
	ASSERT_STREQ(challenge.name, "challenge");
	ASSERT_STREQ(response.name, "response");
	EXPECT_TRUE(chap::md5_verify(challenge.identifier, str("secret"), challenge.value, response.value));
}

TEST(PppNames, CodesAndOptionTypes) {
	EXPECT_STREQ(to_string(cp_code::configure_request), "configure_request");
	EXPECT_STREQ(to_string(cp_code::time_remaining), "time_remaining");
	EXPECT_EQ(to_string(static_cast<cp_code>(0)), nullptr);
	EXPECT_STREQ(lcp::to_string(lcp::option_type::magic_number), "magic_number");
	EXPECT_EQ(lcp::to_string(static_cast<lcp::option_type>(99)), nullptr);
	EXPECT_STREQ(ipcp::to_string(ipcp::option_type::secondary_nbns), "secondary_nbns");
	EXPECT_STREQ(ipv6cp::to_string(ipv6cp::option_type::interface_identifier), "interface_identifier");
	EXPECT_STREQ(pap::to_string(pap::code::authenticate_nak), "authenticate_nak");
	EXPECT_STREQ(chap::to_string(chap::code::failure), "failure");
	EXPECT_TRUE(is_ncp_code(7));
	EXPECT_FALSE(is_ncp_code(8));
	EXPECT_FALSE(is_ncp_code(0));
	EXPECT_TRUE(is_lcp_code(13));
	EXPECT_FALSE(is_lcp_code(14));
}

TEST(PppErrors, EveryErrorHasAUniqueName) {
	std::vector<std::string> names;
	for (size_t i = 0; i < error_count; ++i) {
		auto e = static_cast<error>(i);
		std::string n = to_string(e);
		EXPECT_FALSE(n.empty());
		EXPECT_NE(n, "unknown");
		EXPECT_STRNE(describe(e), "unknown error");
		for (const auto &o : names)
			EXPECT_NE(o, n);
		names.push_back(n);
	}
	EXPECT_STREQ(to_string(static_cast<error>(error_count)), "unknown");
	EXPECT_STREQ(to_string(error::option_overrun), "option_overrun");
}

} // namespace
} // namespace l2tpx::ppp
