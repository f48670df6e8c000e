// L2TPv2 header codec tests: literal RFC 2661 vectors, every flag combination, every error,
// builder round trips, Length back-patching, and vectors produced by scapy.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "shared/l2tp/l2tp_test_util.hpp"
#include "shared/l2tp/l2tpv2.hpp"

namespace l2tpx::l2tp {
namespace {

using test::encode_v2_ref;
using test::from_hex;
using test::to_hex;
using test::v2_ref;

// ---------------------------------------------------------------------------------------
// Literal vectors, written from the RFC 2661 §3.1 diagram.

struct v2_ok_case {
	const char *name;
	const char *hex;
	uint16_t flags;
	uint16_t length;
	uint16_t tid, sid, ns, nr, offset_size;
	uint32_t header_len;
	const char *payload_hex;
};

const v2_ok_case ok_cases[] = {
	{"data, no options", "0002 0001 0002 ff03c021", 0x0002, 0, 1, 2, 0, 0, 0, 6, "ff03c021"},
	{"data, empty payload", "0002 ffff fffe", 0x0002, 0, 0xffff, 0xfffe, 0, 0, 0, 6, ""},
	{"data L", "4002 000c 0001 0002 0021 4500", 0x4002, 12, 1, 2, 0, 0, 0, 8, "00214500"},
	{"data L, Length == header", "4002 0008 0001 0002", 0x4002, 8, 1, 2, 0, 0, 0, 8, ""},
	{"data L, bytes after Length are not payload", "4002 0009 0001 0002 21 eeee", 0x4002, 9, 1, 2, 0, 0, 0, 8,
	 "21"},
	{"data S", "0802 0001 0002 0010 0020 21", 0x0802, 0, 1, 2, 0x10, 0x20, 0, 10, "21"},
	{"data O size 0", "0202 0001 0002 0000 21", 0x0202, 0, 1, 2, 0, 0, 0, 8, "21"},
	{"data O size 1", "0202 0001 0002 0001 00 21", 0x0202, 0, 1, 2, 0, 0, 1, 9, "21"},
	{"data O size 7", "0202 0001 0002 0007 00000000000000 21", 0x0202, 0, 1, 2, 0, 0, 7, 15, "21"},
	{"data O padding is skipped whatever it holds", "0202 0001 0002 0002 abcd 21", 0x0202, 0, 1, 2, 0, 0, 2, 10,
	 "21"},
	{"data P", "0102 0001 0002 c021", 0x0102, 0, 1, 2, 0, 0, 0, 6, "c021"},
	{"data L S O P", "4b02 0013 0102 0304 0506 0708 0003 000000 ff03", 0x4b02, 19, 0x0102, 0x0304, 0x0506,
	 0x0708, 3, 17, "ff03"},
	{"control ZLB", "c802 000c 0001 0000 0003 0004", 0xc802, 12, 1, 0, 3, 4, 0, 12, ""},
	{"control SCCRQ start", "c802 0014 0000 0000 0000 0000 8008 0000 0000 0001", 0xc802, 20, 0, 0, 0, 0, 0, 12,
	 "8008000000000001"},
	{"data, all reserved bits set", "34f2 0001 0002 21", 0x34f2, 0, 1, 2, 0, 0, 0, 6, "21"},
	{"control, all reserved bits set", "fcf2 000c 0001 0000 0003 0004", 0xfcf2, 12, 1, 0, 3, 4, 0, 12, ""},
};

TEST(L2tpV2Parse, LiteralVectors) {
	for (const auto &c : ok_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		auto r = parse_v2(bytes);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->flags, c.flags);
		EXPECT_EQ(r->length, c.length);
		EXPECT_EQ(r->tunnel_id, tunnel_id_v2(c.tid));
		EXPECT_EQ(r->session_id, session_id_v2(c.sid));
		EXPECT_EQ(r->ns, c.ns);
		EXPECT_EQ(r->nr, c.nr);
		EXPECT_EQ(r->offset_size, c.offset_size);
		EXPECT_EQ(r->header_len, c.header_len);
		EXPECT_EQ(to_hex(r->payload), c.payload_hex);
		EXPECT_EQ(r->payload.data(), bytes.data() + c.header_len);
	}
}

struct v2_err_case {
	const char *name;
	const char *hex;
	parse_error err;
};

const v2_err_case err_cases[] = {
	{"empty", "", parse_error::truncated},
	{"one byte", "00", parse_error::truncated},
	{"Ver 0", "0000 0001 0002", parse_error::bad_version},
	{"Ver 1 (L2F)", "0001 0001 0002", parse_error::bad_version},
	{"Ver 3 (L2TPv3)", "0003 0000 0001", parse_error::bad_version},
	{"Ver 15", "000f 0001 0002", parse_error::bad_version},
	{"Ver 3 control", "c803 000c 0000 0000 0000 0000", parse_error::bad_version},
	{"bad version checked before truncation", "0001", parse_error::bad_version},
	{"T without L", "8802 0001 0000 0000 0000", parse_error::control_without_length},
	{"T without L and S", "8002 0001 0000", parse_error::control_without_length},
	{"T with L without S", "c002 0008 0001 0000", parse_error::control_without_sequence},
	{"T with O", "ca02 000e 0001 0000 0000 0000 0000", parse_error::control_with_offset},
	{"T with P", "c902 000c 0001 0000 0000 0000", parse_error::control_with_priority},
	{"T with O and P", "cb02 000e 0001 0000 0000 0000 0000", parse_error::control_with_offset},
	{"control checks before truncation", "8002", parse_error::control_without_length},
	// Truncated at each field boundary.
	{"data: flags only", "0002", parse_error::truncated},
	{"data: half Tunnel ID", "0002 00", parse_error::truncated},
	{"data: no Session ID", "0002 0001", parse_error::truncated},
	{"data: half Session ID", "0002 0001 00", parse_error::truncated},
	{"L: no Length", "4002", parse_error::truncated},
	{"L: half Length", "4002 00", parse_error::truncated},
	{"L: no Tunnel ID", "4002 0008", parse_error::truncated},
	{"L: no Session ID", "4002 0008 0001", parse_error::truncated},
	{"S: no Ns", "0802 0001 0002", parse_error::truncated},
	{"S: half Ns", "0802 0001 0002 00", parse_error::truncated},
	{"S: no Nr", "0802 0001 0002 0003", parse_error::truncated},
	{"S: half Nr", "0802 0001 0002 0003 00", parse_error::truncated},
	{"O: no Offset Size", "0202 0001 0002", parse_error::truncated},
	{"O: half Offset Size", "0202 0001 0002 00", parse_error::truncated},
	{"O: no padding", "0202 0001 0002 0001", parse_error::truncated},
	{"O: padding short by one", "0202 0001 0002 0007 000000000000", parse_error::truncated},
	{"O: huge Offset Size", "0202 0001 0002 ffff 0000", parse_error::truncated},
	{"S O: no Offset Size", "0a02 0001 0002 0003 0004", parse_error::truncated},
	{"control: no Nr", "c802 000c 0001 0000 0003", parse_error::truncated},
	// Length against the buffer and the header.
	{"Length beyond buffer", "4002 0009 0001 0002", parse_error::truncated},
	{"Length 65535", "4002 ffff 0001 0002 0000", parse_error::truncated},
	{"Length 0", "4002 0000 0001 0002", parse_error::bad_length},
	{"Length below header", "4002 0007 0001 0002 00", parse_error::bad_length},
	{"Length below header with S", "4802 000b 0001 0002 0003 0004 00", parse_error::bad_length},
	{"control Length below header", "c802 000b 0001 0000 0003 0004", parse_error::bad_length},
	{"Length ends inside offset padding", "4202 000b 0001 0002 0004 0000 0000 00", parse_error::bad_length},
	{"Length beyond buffer, padding too", "4202 0010 0001 0002 0004 0000", parse_error::truncated},
};

TEST(L2tpV2Parse, Errors) {
	for (const auto &c : err_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		auto r = parse_v2(bytes);
		ASSERT_FALSE(r) << to_string(*r);
		EXPECT_EQ(r.error(), c.err) << to_string(r.error());
	}
}

// ---------------------------------------------------------------------------------------
// Every combination of T, L, S, O, P, with offset sizes 0, 1, 7, with and without payload.

parse_error expected_control_error(const v2_ref &r) {
	if (!r.l)
		return parse_error::control_without_length;
	if (!r.s)
		return parse_error::control_without_sequence;
	if (r.o)
		return parse_error::control_with_offset;
	return parse_error::control_with_priority;
}

bool control_ok(const v2_ref &r) { return !r.t || (r.l && r.s && !r.o && !r.p); }

std::vector<v2_ref> all_combinations() {
	std::vector<v2_ref> out;
	for (unsigned bits = 0; bits < 32; ++bits) {
		for (uint16_t off : {0, 1, 7}) {
			if (!(bits & 8) && off != 0)
				continue; // offset size only exists with O
			for (size_t plen : {0, 3}) {
				v2_ref r;
				r.t = bits & 16;
				r.l = bits & 1;
				r.s = bits & 2;
				r.o = bits & 8;
				r.p = bits & 4;
				r.tid = static_cast<uint16_t>(0x1100 + bits);
				r.sid = static_cast<uint16_t>(0x2200 + off);
				r.ns = r.s ? 0x3344 : 0;
				r.nr = r.s ? 0x5566 : 0;
				r.off = off;
				for (size_t i = 0; i < plen; ++i)
					r.payload.push_back(static_cast<uint8_t>(0xa0 + i));
				out.push_back(r);
			}
		}
	}
	return out;
}

std::string describe_ref(const v2_ref &r) {
	return std::string("T=") + (r.t ? "1" : "0") + " L=" + (r.l ? "1" : "0") + " S=" + (r.s ? "1" : "0") +
	       " O=" + (r.o ? "1" : "0") + " P=" + (r.p ? "1" : "0") + " off=" + std::to_string(r.off) +
	       " payload=" + std::to_string(r.payload.size());
}

TEST(L2tpV2Parse, EveryFlagCombination) {
	const auto combos = all_combinations();
	ASSERT_EQ(combos.size(), (16u + 16u * 3u) * 2u);
	for (const auto &ref : combos) {
		SCOPED_TRACE(describe_ref(ref));
		const auto bytes = encode_v2_ref(ref);
		auto r = parse_v2(bytes);
		if (!control_ok(ref)) {
			ASSERT_FALSE(r);
			EXPECT_EQ(r.error(), expected_control_error(ref));
			continue;
		}
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->is_control(), ref.t);
		EXPECT_EQ(r->has_length(), ref.l);
		EXPECT_EQ(r->has_sequence(), ref.s);
		EXPECT_EQ(r->has_offset(), ref.o);
		EXPECT_EQ(r->has_priority(), ref.p);
		EXPECT_EQ(r->length, ref.l ? bytes.size() : 0u);
		EXPECT_EQ(r->tunnel_id.value, ref.tid);
		EXPECT_EQ(r->session_id.value, ref.sid);
		EXPECT_EQ(r->ns, ref.ns);
		EXPECT_EQ(r->nr, ref.nr);
		EXPECT_EQ(r->offset_size, ref.off);
		EXPECT_EQ(r->header_len, test::v2_ref_header_len(ref));
		EXPECT_EQ(std::vector<uint8_t>(r->payload.begin(), r->payload.end()), ref.payload);
	}
}

TEST(L2tpV2Parse, EveryPrefixOfEveryCombination) {
	for (const auto &ref : all_combinations()) {
		if (!control_ok(ref))
			continue;
		SCOPED_TRACE(describe_ref(ref));
		const auto bytes = encode_v2_ref(ref);
		const size_t hlen = test::v2_ref_header_len(ref);
		for (size_t n = 0; n < bytes.size(); ++n) {
			SCOPED_TRACE(n);
			const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
			auto r = parse_v2(prefix);
			if (n < hlen || ref.l) {
				// Short of the header, or short of the declared Length.
				ASSERT_FALSE(r);
				EXPECT_EQ(r.error(), parse_error::truncated);
			} else {
				ASSERT_TRUE(r) << to_string(r.error());
				EXPECT_EQ(r->payload.size(), n - hlen);
			}
		}
	}
}

TEST(L2tpV2Parse, ReservedBitsAreIgnored) {
	for (uint16_t x : {0x2000, 0x1000, 0x0400, 0x0080, 0x0040, 0x0020, 0x0010, 0x34f0}) {
		for (bool control : {false, true}) {
			SCOPED_TRACE(x);
			v2_ref ref;
			ref.t = control;
			ref.l = ref.s = control;
			ref.tid = 9;
			ref.sid = 10;
			ref.payload = {1, 2, 3};
			ref.reserved_bits = x;
			auto r = parse_v2(encode_v2_ref(ref));
			ASSERT_TRUE(r) << to_string(r.error());
			EXPECT_EQ(r->flags & 0x34f0, x);
			EXPECT_EQ(r->is_control(), control);
			EXPECT_EQ(r->tunnel_id.value, 9);
			EXPECT_EQ(r->payload.size(), 3u);
		}
	}
}

// ---------------------------------------------------------------------------------------
// Builder

v2_fields fields_of(const v2_ref &r) {
	v2_fields f;
	f.control = r.t;
	f.with_length = r.l;
	f.with_sequence = r.s;
	f.with_offset = r.o;
	f.priority = r.p;
	f.tunnel_id = tunnel_id_v2(r.tid);
	f.session_id = session_id_v2(r.sid);
	f.ns = r.ns;
	f.nr = r.nr;
	f.offset_size = r.off;
	f.payload_len = static_cast<uint16_t>(r.payload.size());
	return f;
}

TEST(L2tpV2Build, EveryCombinationMatchesReferenceAndRoundTrips) {
	for (const auto &ref : all_combinations()) {
		SCOPED_TRACE(describe_ref(ref));
		const v2_fields f = fields_of(ref);
		EXPECT_EQ(v2_header_size(f), test::v2_ref_header_len(ref));
		EXPECT_EQ(v2_fields_valid(f), control_ok(ref));
		std::array<uint8_t, 64> out;
		out.fill(0xee);
		const size_t n = build_v2(out, f);
		if (!control_ok(ref)) {
			EXPECT_EQ(n, 0u);
			for (uint8_t b : out)
				ASSERT_EQ(b, 0xee);
			continue;
		}
		ASSERT_EQ(n, test::v2_ref_header_len(ref));
		auto expect = encode_v2_ref(ref);
		expect.resize(n);
		EXPECT_EQ(to_hex(std::span(out).first(n)), to_hex(expect));
		EXPECT_EQ(out[n], 0xee) << "wrote past the header";

		// Round trip: header + payload parses back to the same fields.
		std::vector<uint8_t> msg(out.begin(), out.begin() + static_cast<ptrdiff_t>(n));
		msg.insert(msg.end(), ref.payload.begin(), ref.payload.end());
		auto r = parse_v2(msg);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->tunnel_id, f.tunnel_id);
		EXPECT_EQ(r->session_id, f.session_id);
		EXPECT_EQ(r->ns, f.ns);
		EXPECT_EQ(r->nr, f.nr);
		EXPECT_EQ(r->offset_size, f.offset_size);
		EXPECT_EQ(r->header_len, n);
		EXPECT_EQ(r->payload.size(), ref.payload.size());
	}
}

TEST(L2tpV2Build, TooSmallOutputWritesNothing) {
	v2_fields f;
	f.with_length = f.with_sequence = f.with_offset = true;
	f.offset_size = 5;
	const size_t need = v2_header_size(f);
	ASSERT_EQ(need, 19u);
	for (size_t n = 0; n < need; ++n) {
		std::vector<uint8_t> out(n, 0xee);
		EXPECT_EQ(build_v2(out, f), 0u) << n;
		for (uint8_t b : out)
			ASSERT_EQ(b, 0xee);
	}
	std::vector<uint8_t> out(need);
	EXPECT_EQ(build_v2(out, f), need);
}

TEST(L2tpV2Build, LengthMustFitSixteenBits) {
	v2_fields f;
	f.with_length = true;
	std::array<uint8_t, 8> out{};
	f.payload_len = static_cast<uint16_t>(UINT16_MAX - 8);
	ASSERT_EQ(build_v2(out, f), 8u);
	EXPECT_EQ(load_be16(out.data() + 2), UINT16_MAX);
	f.payload_len = static_cast<uint16_t>(UINT16_MAX - 7);
	EXPECT_EQ(build_v2(out, f), 0u);
	// Without L the payload length is not encoded and not limited.
	f.with_length = false;
	f.payload_len = UINT16_MAX;
	EXPECT_EQ(build_v2(out, f), 6u);
}

TEST(L2tpV2Build, SequenceOffsetPointsAtNs) {
	for (bool with_length : {false, true}) {
		v2_fields f;
		f.with_length = with_length;
		f.with_sequence = true;
		f.ns = 0x1234;
		f.nr = 0x5678;
		std::array<uint8_t, 16> out{};
		ASSERT_NE(build_v2(out, f), 0u);
		EXPECT_EQ(load_be16(out.data() + v2_sequence_offset(with_length)), 0x1234);
		EXPECT_EQ(load_be16(out.data() + v2_sequence_offset(with_length) + 2), 0x5678);
	}
}

TEST(L2tpV2Build, SetLengthBackPatches) {
	v2_fields f;
	f.control = f.with_length = f.with_sequence = true;
	f.tunnel_id = tunnel_id_v2(7);
	std::vector<uint8_t> msg(12 + 8, 0);
	ASSERT_EQ(v2_header_size(f), v2_control_header_len);
	ASSERT_EQ(build_v2(msg, f), 12u); // Length says 12: payload not known yet
	EXPECT_EQ(load_be16(msg.data() + 2), 12);
	ASSERT_TRUE(set_v2_length(msg));
	EXPECT_EQ(load_be16(msg.data() + 2), 20);
	auto r = parse_v2(msg);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->payload.size(), 8u);

	// No L bit: nothing to patch, nothing written.
	v2_fields d;
	std::vector<uint8_t> data(10, 0);
	ASSERT_EQ(build_v2(data, d), 6u);
	const auto before = data;
	EXPECT_FALSE(set_v2_length(data));
	EXPECT_EQ(data, before);

	std::vector<uint8_t> tiny = {0x40, 0x02, 0x00};
	EXPECT_FALSE(set_v2_length(tiny));
	std::vector<uint8_t> huge(UINT16_MAX + 1u, 0);
	huge[0] = 0x40;
	huge[1] = 0x02;
	EXPECT_FALSE(set_v2_length(huge));
	EXPECT_EQ(huge[2], 0);
}

// ---------------------------------------------------------------------------------------
// Cross-check with scapy (see gen_vectors.py).

struct scapy_case {
	const char *name;
	const char *hex;
	bool t, l, s, o, p;
	uint16_t tid, sid, ns, nr, offset_size;
	const char *payload_hex;
};

const scapy_case scapy_cases[] = {
#include "shared/l2tp/scapy_v2_vectors.inc"
};

TEST(L2tpV2Scapy, ParseAndBuildAgreeWithScapy) {
	ASSERT_GE(std::size(scapy_cases), 10u);
	for (const auto &c : scapy_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		const auto payload = from_hex(c.payload_hex);
		auto r = parse_v2(bytes);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->is_control(), c.t);
		EXPECT_EQ(r->has_length(), c.l);
		EXPECT_EQ(r->has_sequence(), c.s);
		EXPECT_EQ(r->has_offset(), c.o);
		EXPECT_EQ(r->has_priority(), c.p);
		EXPECT_EQ(r->tunnel_id.value, c.tid);
		EXPECT_EQ(r->session_id.value, c.sid);
		EXPECT_EQ(r->ns, c.ns);
		EXPECT_EQ(r->nr, c.nr);
		EXPECT_EQ(r->offset_size, c.offset_size);
		EXPECT_EQ(to_hex(r->payload), to_hex(payload));

		v2_fields f;
		f.control = c.t;
		f.with_length = c.l;
		f.with_sequence = c.s;
		f.with_offset = c.o;
		f.priority = c.p;
		f.tunnel_id = tunnel_id_v2(c.tid);
		f.session_id = session_id_v2(c.sid);
		f.ns = c.ns;
		f.nr = c.nr;
		f.offset_size = c.offset_size;
		f.payload_len = static_cast<uint16_t>(payload.size());
		std::vector<uint8_t> out(64);
		const size_t n = build_v2(out, f);
		ASSERT_EQ(n, r->header_len);
		out.resize(n);
		out.insert(out.end(), payload.begin(), payload.end());
		EXPECT_EQ(to_hex(out), c.hex);
	}
}

TEST(L2tpV2Format, ToString) {
	const auto bytes = from_hex("c802 0014 0001 0002 0003 0004 8008000000000001");
	auto r = parse_v2(bytes);
	ASSERT_TRUE(r);
	EXPECT_EQ(to_string(*r), "v2 ctrl L S tid=1 sid=2 ns=3 nr=4 len=20 hdr=12 payload=8");
	const auto data = from_hex("0302 0005 0006 0001 00 21");
	auto d = parse_v2(data);
	ASSERT_TRUE(d);
	EXPECT_EQ(to_string(*d), "v2 data O P tid=5 sid=6 off=1 hdr=9 payload=1");
}

} // namespace
} // namespace l2tpx::l2tp
