// Hostile input: malformed lengths, every prefix of every valid packet, and seeded random
// mutations. Parsers must return a typed error or a view that stays inside the input.
#include <array>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "shared/base/byteorder.hpp"
#include "shared/ppp/chap.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/ipcp.hpp"
#include "shared/ppp/ipv6cp.hpp"
#include "shared/ppp/lcp.hpp"
#include "shared/ppp/pap.hpp"
#include "shared/ppp/test_util.hpp"
#include "shared/ppp/test_vectors.hpp"

namespace l2tpx::ppp {
namespace {

using testing::within;

// Runs every parser that applies to `buf` and checks that all views stay within it.
// Returns the first error seen (or nothing), so callers can assert on specific cases.
void parse_everything(std::span<const uint8_t> buf) {
	(void)parse_frame(buf);
	auto p = parse_control(buf);
	if (!p)
		return;
	ASSERT_TRUE(within(p->data, buf));
	ASSERT_TRUE(within(p->packet, buf));
	ASSERT_EQ(p->data.size() + 4, p->length);
	if (auto opts = parse_options(*p)) {
		size_t count = 0;
		for (option_view o : *opts) {
			ASSERT_TRUE(within(o.raw, p->data));
			ASSERT_GE(o.raw.size(), 2u);
			ASSERT_EQ(o.value.size() + 2, o.raw.size());
			if (auto d = lcp::decode_option(o)) {
				ASSERT_TRUE(within(d->value, buf));
				ASSERT_TRUE(within(d->protocol_data, buf));
			}
			if (auto d = ipcp::decode_option(o)) {
				ASSERT_TRUE(within(d->compression_data, buf));
			}
			if (auto d = ipv6cp::decode_option(o)) {
				ASSERT_TRUE(within(d->compression_data, buf));
			}
			++count;
		}
		ASSERT_EQ(count, opts->size());
	}
	if (auto b = parse_code_reject(*p)) {
		ASSERT_TRUE(within(b->rejected, buf));
	}
	if (auto b = lcp::parse_magic_body(*p)) {
		ASSERT_TRUE(within(b->data, buf));
	}
	if (auto b = lcp::parse_time_remaining(*p)) {
		ASSERT_TRUE(within(b->message, buf));
	}
	if (auto b = lcp::parse_protocol_reject(*p)) {
		ASSERT_TRUE(within(b->information, buf));
	}
	if (auto b = pap::parse_request(*p)) {
		ASSERT_TRUE(within(b->peer_id, buf));
		ASSERT_TRUE(within(b->password, buf));
	}
	if (auto b = pap::parse_reply(*p)) {
		ASSERT_TRUE(within(b->message, buf));
	}
	if (auto b = chap::parse_value(*p)) {
		ASSERT_FALSE(b->value.empty());
		ASSERT_TRUE(within(b->value, buf));
		ASSERT_TRUE(within(b->name, buf));
	}
	if (auto b = chap::parse_message(*p)) {
		ASSERT_TRUE(within(*b, buf));
	}
}

std::vector<std::span<const uint8_t>> all_packets() {
	std::vector<std::span<const uint8_t>> v;
	for (const auto &c : test_vectors::configs)
		v.push_back(c.raw);
	for (const auto &c : test_vectors::bodies)
		v.push_back(c.raw);
	for (const auto &c : test_vectors::paps)
		v.push_back(c.raw);
	for (const auto &c : test_vectors::chaps)
		v.push_back(c.raw);
	return v;
}

TEST(PppHostile, EveryPrefixOfEveryPacketFailsCleanly) {
	for (auto raw : all_packets()) {
		SCOPED_TRACE(testing::hex(raw));
		for (size_t n = 0; n < raw.size(); ++n) {
			std::vector<uint8_t> buf(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(n));
			auto p = parse_control(buf);
			ASSERT_FALSE(p) << n;
			EXPECT_EQ(p.error(), n < 4 ? error::packet_truncated : error::packet_length_overrun) << n;
			parse_everything(buf);
		}
	}
}

TEST(PppHostile, EveryPrefixWithPatchedLengthParsesOrFailsTyped) {
	// The prefix is made self-consistent (length field = prefix size): the body parsers see a
	// short body and must fail with a typed error or return in-bounds views.
	for (auto raw : all_packets()) {
		SCOPED_TRACE(testing::hex(raw));
		for (size_t n = 4; n < raw.size(); ++n) {
			std::vector<uint8_t> buf(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(n));
			store_be16(buf.data() + 2, static_cast<uint16_t>(n));
			auto p = parse_control(buf);
			ASSERT_TRUE(p);
			parse_everything(buf);
			if (is_configure_code(buf[0]) && !parse_options(*p)) {
				error e = parse_options(*p).error();
				EXPECT_TRUE(e == error::option_truncated || e == error::option_overrun) << to_string(e);
			}
		}
	}
}

TEST(PppHostile, ControlLengthField) {
	struct length_case {
		std::vector<uint8_t> bytes;
		error err;
	};
	const length_case bad[] = {
	        {{0x01, 0x01, 0x00, 0x00}, error::packet_bad_length},
	        {{0x01, 0x01, 0x00, 0x03}, error::packet_bad_length},
	        {{0x01, 0x01, 0x00, 0x05}, error::packet_length_overrun},
	        {{0x01, 0x01, 0xff, 0xff, 0x00}, error::packet_length_overrun},
	        {{0x01, 0x01, 0x00}, error::packet_truncated},
	};
	for (const auto &c : bad) {
		auto p = parse_control(c.bytes);
		ASSERT_FALSE(p);
		EXPECT_EQ(p.error(), c.err) << to_string(p.error());
	}
	// Octets past Length are padding (RFC 1661 §5).
	const uint8_t padded[] = {0x09, 0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0xee, 0xee};
	auto p = parse_control(padded);
	ASSERT_TRUE(p);
	EXPECT_EQ(p->length, 8);
	EXPECT_EQ(p->data.size(), 4u);
	EXPECT_EQ(p->packet.size(), 8u);
}

TEST(PppHostile, OptionListLengths) {
	struct list_case {
		const char *name;
		std::vector<uint8_t> data;
		bool ok;
		error err;
		size_t count;
	};
	const list_case cases[] = {
	        {"empty", {}, true, {}, 0},
	        {"lone type", {0x01}, false, error::option_truncated, 0},
	        {"length 0", {0x01, 0x00}, false, error::option_bad_length, 0},
	        {"length 1", {0x07, 0x01}, false, error::option_bad_length, 0},
	        {"length 0 after valid", {0x07, 0x02, 0x08, 0x00}, false, error::option_bad_length, 0},
	        {"overrun", {0x01, 0x04, 0x05}, false, error::option_overrun, 0},
	        {"overrun by one", {0x05, 0x06, 0x01, 0x02, 0x03}, false, error::option_overrun, 0},
	        {"length 255 short", {0x01, 0xff, 0x00}, false, error::option_overrun, 0},
	        {"trailing lone byte", {0x01, 0x04, 0x05, 0xdc, 0x07}, false, error::option_truncated, 0},
	        {"empty-value options", {0x07, 0x02, 0x08, 0x02}, true, {}, 2},
	        {"unknown type kept", {0xfe, 0x03, 0x42, 0x01, 0x04, 0x05, 0xdc}, true, {}, 2},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		auto l = option_list::parse(c.data);
		ASSERT_EQ(bool(l), c.ok);
		if (c.ok) {
			EXPECT_EQ(l->size(), c.count);
			EXPECT_EQ(l->empty(), c.count == 0);
			EXPECT_EQ(std::distance(l->begin(), l->end()), static_cast<std::ptrdiff_t>(c.count));
		} else {
			EXPECT_EQ(l.error(), c.err) << to_string(l.error());
		}
	}
}

struct option_case {
	const char *name;
	std::vector<uint8_t> raw; // type, length, value
	bool ok;
};

result<void, error> decode_one(uint16_t protocol, const std::vector<uint8_t> &raw) {
	auto l = option_list::parse(raw);
	if (!l)
		return unexpected{l.error()};
	option_view o = *l->begin();
	if (protocol == proto::lcp) {
		if (auto d = lcp::decode_option(o); !d)
			return unexpected{d.error()};
	} else if (protocol == proto::ipcp) {
		if (auto d = ipcp::decode_option(o); !d)
			return unexpected{d.error()};
	} else if (auto d = ipv6cp::decode_option(o); !d) {
		return unexpected{d.error()};
	}
	return {};
}

TEST(PppHostile, LcpOptionValueSizes) {
	const option_case cases[] = {
	        {"mru ok", {1, 4, 0x05, 0xdc}, true},
	        {"mru short", {1, 3, 0x05}, false},
	        {"mru long", {1, 5, 0x05, 0xdc, 0x00}, false},
	        {"mru empty", {1, 2}, false},
	        {"accm ok", {2, 6, 0, 0, 0, 0}, true},
	        {"accm short", {2, 4, 0, 0}, false},
	        {"auth no protocol", {3, 2}, false},
	        {"auth half protocol", {3, 3, 0xc0}, false},
	        {"auth pap ok", {3, 4, 0xc0, 0x23}, true},
	        {"auth pap with data", {3, 5, 0xc0, 0x23, 0x00}, false},
	        {"auth chap no algorithm", {3, 4, 0xc2, 0x23}, false},
	        {"auth chap ok", {3, 5, 0xc2, 0x23, 0x05}, true},
	        {"auth chap two bytes", {3, 6, 0xc2, 0x23, 0x05, 0x05}, false},
	        {"auth eap ok", {3, 4, 0xc2, 0x27}, true},
	        {"quality short", {4, 3, 0xc0}, false},
	        {"quality lqr", {4, 8, 0xc0, 0x25, 0, 0, 0, 100}, true},
	        {"magic ok", {5, 6, 1, 2, 3, 4}, true},
	        {"magic short", {5, 5, 1, 2, 3}, false},
	        {"magic long", {5, 7, 1, 2, 3, 4, 5}, false},
	        {"pfc ok", {7, 2}, true},
	        {"pfc with data", {7, 3, 0}, false},
	        {"acfc with data", {8, 4, 0, 0}, false},
	        {"unknown any size", {6, 3, 0}, true},
	        {"unknown empty", {200, 2}, true},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		auto r = decode_one(proto::lcp, c.raw);
		ASSERT_EQ(bool(r), c.ok);
		if (!c.ok) {
			EXPECT_EQ(r.error(), error::option_bad_value) << to_string(r.error());
		}
	}
}

TEST(PppHostile, IpcpAndIpv6cpOptionValueSizes) {
	const option_case ipcp_cases[] = {
	        {"address ok", {3, 6, 10, 0, 0, 1}, true},
	        {"address short", {3, 5, 10, 0, 0}, false},
	        {"address long", {3, 7, 10, 0, 0, 1, 0}, false},
	        {"dns empty", {129, 2}, false},
	        {"nbns short", {130, 4, 1, 1}, false},
	        {"dns2 ok", {131, 6, 1, 1, 1, 1}, true},
	        {"nbns2 long", {132, 10, 1, 1, 1, 1, 1, 1, 1, 1}, false},
	        {"addresses short", {1, 6, 1, 1, 1, 1}, false},
	        {"compression short", {2, 3, 0}, false},
	        {"compression bare", {2, 4, 0x00, 0x2d}, true},
	        {"unknown", {4, 3, 9}, true},
	};
	for (const auto &c : ipcp_cases) {
		SCOPED_TRACE(c.name);
		auto r = decode_one(proto::ipcp, c.raw);
		ASSERT_EQ(bool(r), c.ok);
		if (!c.ok) {
			EXPECT_EQ(r.error(), error::option_bad_value);
		}
	}
	const option_case ipv6cp_cases[] = {
	        {"ifid ok", {1, 10, 1, 2, 3, 4, 5, 6, 7, 8}, true},
	        {"ifid short", {1, 9, 1, 2, 3, 4, 5, 6, 7}, false},
	        {"ifid long", {1, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9}, false},
	        {"ifid empty", {1, 2}, false},
	        {"compression short", {2, 3, 0}, false},
	        {"unknown", {3, 2}, true},
	};
	for (const auto &c : ipv6cp_cases) {
		SCOPED_TRACE(c.name);
		auto r = decode_one(proto::ipv6cp, c.raw);
		ASSERT_EQ(bool(r), c.ok);
		if (!c.ok) {
			EXPECT_EQ(r.error(), error::option_bad_value);
		}
	}
}

struct body_case {
	const char *name;
	std::vector<uint8_t> bytes;
	error err;
};

TEST(PppHostile, PapBodies) {
	const body_case requests[] = {
	        {"no data", {0x01, 0x01, 0x00, 0x04}, error::body_truncated},
	        {"peer-id overrun", {0x01, 0x01, 0x00, 0x07, 0x05, 'a', 'b'}, error::pap_bad_field_length},
	        {"peer-id fills, no passwd-length", {0x01, 0x01, 0x00, 0x07, 0x02, 'a', 'b'}, error::body_truncated},
	        {"passwd overrun", {0x01, 0x01, 0x00, 0x08, 0x01, 'a', 0x02, 'p'}, error::pap_bad_field_length},
	        {"passwd 255 in short packet", {0x01, 0x01, 0x00, 0x07, 0x00, 0xff, 'p'}, error::pap_bad_field_length},
	        {"ack is not a request", {0x02, 0x01, 0x00, 0x05, 0x00}, error::wrong_code},
	};
	for (const auto &c : requests) {
		SCOPED_TRACE(c.name);
		auto p = parse_control(c.bytes);
		ASSERT_TRUE(p);
		auto r = pap::parse_request(*p);
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error(), c.err) << to_string(r.error());
	}
	const body_case replies[] = {
	        {"msg overrun", {0x02, 0x01, 0x00, 0x06, 0x05, 'o'}, error::pap_bad_field_length},
	        {"nak msg overrun", {0x03, 0x01, 0x00, 0x05, 0x01}, error::pap_bad_field_length},
	        {"request is not a reply", {0x01, 0x01, 0x00, 0x06, 0x00, 0x00}, error::wrong_code},
	        {"code 4", {0x04, 0x01, 0x00, 0x04}, error::wrong_code},
	};
	for (const auto &c : replies) {
		SCOPED_TRACE(c.name);
		auto p = parse_control(c.bytes);
		ASSERT_TRUE(p);
		auto r = pap::parse_reply(*p);
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error(), c.err) << to_string(r.error());
	}
	// Octets after the password inside Length are ignored.
	const uint8_t extra[] = {0x01, 0x01, 0x00, 0x09, 0x01, 'u', 0x01, 'p', 0xee};
	auto p = parse_control(extra);
	ASSERT_TRUE(p);
	auto r = pap::parse_request(*p);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->peer_id.size(), 1u);
	EXPECT_EQ(r->password.size(), 1u);
}

TEST(PppHostile, ChapBodies) {
	const body_case values[] = {
	        {"no data", {0x01, 0x01, 0x00, 0x04}, error::body_truncated},
	        {"value-size 0", {0x01, 0x01, 0x00, 0x06, 0x00, 'n'}, error::chap_bad_value_size},
	        {"value overrun", {0x02, 0x01, 0x00, 0x07, 0x10, 1, 2}, error::chap_bad_value_size},
	        {"value-size 255 short", {0x01, 0x01, 0x00, 0x05, 0xff}, error::chap_bad_value_size},
	        {"success is not a value", {0x03, 0x01, 0x00, 0x04}, error::wrong_code},
	        {"code 5", {0x05, 0x01, 0x00, 0x06, 0x01, 0x00}, error::wrong_code},
	};
	for (const auto &c : values) {
		SCOPED_TRACE(c.name);
		auto p = parse_control(c.bytes);
		ASSERT_TRUE(p);
		auto r = chap::parse_value(*p);
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error(), c.err) << to_string(r.error());
	}
	const uint8_t challenge[] = {0x01, 0x01, 0x00, 0x06, 0x01, 0x99};
	auto p = parse_control(challenge);
	ASSERT_TRUE(p);
	auto m = chap::parse_message(*p);
	ASSERT_FALSE(m);
	EXPECT_EQ(m.error(), error::wrong_code);
}

TEST(PppHostile, LcpBodies) {
	const body_case cases[] = {
	        {"echo without magic", {0x09, 0x01, 0x00, 0x07, 1, 2, 3}, error::body_truncated},
	        {"reply empty", {0x0a, 0x01, 0x00, 0x04}, error::body_truncated},
	        {"discard short", {0x0b, 0x01, 0x00, 0x05, 1}, error::body_truncated},
	        {"identification short", {0x0c, 0x01, 0x00, 0x06, 1, 2}, error::body_truncated},
	        {"configure is not echo", {0x01, 0x01, 0x00, 0x08, 1, 2, 3, 4}, error::wrong_code},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		auto p = parse_control(c.bytes);
		ASSERT_TRUE(p);
		auto r = lcp::parse_magic_body(*p);
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error(), c.err) << to_string(r.error());
	}
	auto expect_err = [](std::vector<uint8_t> bytes, auto parse, error want) {
		auto p = parse_control(bytes);
		ASSERT_TRUE(p);
		auto r = parse(*p);
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error(), want) << to_string(r.error());
	};
	expect_err({0x08, 0x01, 0x00, 0x05, 0x80}, lcp::parse_protocol_reject, error::body_truncated);
	expect_err({0x07, 0x01, 0x00, 0x06, 0x80, 0x21}, lcp::parse_protocol_reject, error::wrong_code);
	expect_err({0x0d, 0x01, 0x00, 0x0b, 1, 2, 3, 4, 5, 6, 7}, lcp::parse_time_remaining, error::body_truncated);
	expect_err({0x0c, 0x01, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8}, lcp::parse_time_remaining, error::wrong_code);
	expect_err({0x07, 0x01, 0x00, 0x04}, parse_code_reject, error::body_truncated);
	expect_err({0x08, 0x01, 0x00, 0x06, 0xc0, 0x21}, parse_code_reject, error::wrong_code);
}

TEST(PppHostile, WritersFailOnEveryTooSmallBuffer) {
	// Each builder, given every buffer size below what it needs, writes nothing.
	std::array<uint8_t, 64> full{};
	auto build_all = [](std::span<uint8_t> out) -> std::vector<size_t> {
		std::vector<size_t> n;
		packet_writer w(out, cp_code::configure_request, 1);
		lcp::add_mru(w, 1500);
		lcp::add_auth_chap(w);
		lcp::add_magic_number(w, 0x01020304);
		lcp::add_pfc(w);
		lcp::add_acfc(w);
		n.push_back(w.finish());
		packet_writer w2(out, cp_code::configure_nak, 1);
		ipcp::add_ip_address(w2, 0x0a000001);
		ipcp::add_primary_dns(w2, 0x08080808);
		ipv6cp::add_interface_identifier(w2, 1);
		n.push_back(w2.finish());
		const uint8_t val[] = {1, 2, 3, 4};
		n.push_back(pap::build_request(out, 1, val, val));
		n.push_back(pap::build_reply(out, true, 1, val));
		n.push_back(chap::build_value(out, chap::code::challenge, 1, val, val));
		n.push_back(chap::build_message(out, chap::code::success, 1, val));
		n.push_back(lcp::build_echo_request(out, 1, 2, val));
		n.push_back(lcp::build_time_remaining(out, 1, 2, 3, val));
		n.push_back(build_terminate(out, cp_code::terminate_request, 1, val));
		return n;
	};
	auto sizes = build_all(full);
	for (size_t s : sizes)
		ASSERT_GT(s, 0u);
	for (size_t k = 0; k < sizes.size(); ++k) {
		for (size_t len = 0; len < sizes[k]; ++len) {
			std::vector<uint8_t> small(len);
			EXPECT_EQ(build_all(small)[k], 0u) << "builder " << k << " buffer " << len;
		}
	}
}

TEST(PppHostile, WriterLimits) {
	std::vector<uint8_t> out(70000);
	std::vector<uint8_t> v253(253, 1), v254(254, 1);
	packet_writer w(out, cp_code::configure_request, 1);
	w.option(9, v253);
	EXPECT_TRUE(w.ok());
	w.option(9, v254);
	EXPECT_FALSE(w.ok());
	EXPECT_EQ(w.finish(), 0u);

	packet_writer w2(out, cp_code::configure_request, 1);
	lcp::add_auth_protocol(w2, proto::eap, std::span(v253).first(251));
	EXPECT_TRUE(w2.ok());
	lcp::add_auth_protocol(w2, proto::eap, std::span(v253).first(252));
	EXPECT_FALSE(w2.ok());

	packet_writer w3(out, cp_code::configure_request, 1);
	ipcp::add_address_option(w3, ipcp::option_type::ip_compression, 1);
	EXPECT_FALSE(w3.ok());

	// A packet of more than 65535 octets cannot be expressed.
	std::vector<uint8_t> big(65531, 0);
	packet_writer w4(out, cp_code::terminate_request, 1);
	w4.bytes(big);
	EXPECT_EQ(w4.finish(), 65535u);
	packet_writer w5(out, cp_code::terminate_request, 1);
	w5.bytes(big).u8(0);
	EXPECT_EQ(w5.finish(), 0u);

	EXPECT_EQ(build_terminate(out, cp_code::echo_request, 1), 0u);
	EXPECT_EQ(packet_writer(std::span(out).first(3), cp_code::terminate_request, 1).finish(), 0u);
}

TEST(PppHostile, SeededMutationsNeverEscapeTheBuffer) {
	// Deterministic: a fixed seed, so a failure reproduces.
	std::mt19937 rng(0x1661);
	auto packets = all_packets();
	for (const auto &f : test_vectors::frames)
		packets.push_back(f.raw);
	int parsed = 0, rejected = 0;
	for (int round = 0; round < 20000; ++round) {
		auto src = packets[rng() % packets.size()];
		std::vector<uint8_t> buf(src.begin(), src.end());
		int edits = 1 + static_cast<int>(rng() % 4);
		for (int e = 0; e < edits && !buf.empty(); ++e) {
			switch (rng() % 4) {
			case 0: buf[rng() % buf.size()] = static_cast<uint8_t>(rng()); break;
			case 1: buf.resize(rng() % (buf.size() + 1)); break;
			case 2: buf.push_back(static_cast<uint8_t>(rng())); break;
			case 3: if (buf.size() > 5) buf[5] = static_cast<uint8_t>(rng() % 4); break; // first option length
			}
		}
		(parse_control(buf) ? parsed : rejected)++;
		parse_everything(buf);
		if (::testing::Test::HasFatalFailure()) {
			ADD_FAILURE() << "round " << round << " input " << testing::hex(buf);
			return;
		}
	}
	// Both paths were exercised (fixed seed: these counts are deterministic).
	EXPECT_GT(parsed, 2000);
	EXPECT_GT(rejected, 2000);
}

} // namespace
} // namespace l2tpx::ppp
