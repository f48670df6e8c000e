// Memory-safety sweep: every parser is fed every prefix and every 1-byte mutation (all 256
// values at every position) of valid headers. Each input sits at the very end of a readable
// page followed by a PROT_NONE page, so a read past the span faults in any build; under the
// ASan flavour the same run also checks the copies the tests make. On success the views must
// lie inside the input and agree with each other, and v2 headers must rebuild to the same
// bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/l2tp/l2tp.hpp"
#include "shared/l2tp/l2tp_test_util.hpp"

namespace l2tpx::l2tp {
namespace {

using test::guarded_buffer;
using test::within;

constexpr v3_session_params all_params[] = {
	{0, false}, {4, false}, {8, false}, {0, true}, {4, true}, {8, true},
	{3, false}, // invalid cookie length: must be refused, never read
};

std::vector<std::vector<uint8_t>> corpus() {
	std::vector<std::vector<uint8_t>> out;
	for (unsigned bits = 0; bits < 32; ++bits) {
		for (uint16_t off : {0, 1, 7}) {
			if (!(bits & 8) && off != 0)
				continue;
			test::v2_ref r;
			r.t = bits & 16;
			r.l = bits & 1;
			r.s = bits & 2;
			r.o = bits & 8;
			r.p = bits & 4;
			r.tid = 0x0102;
			r.sid = 0x0304;
			r.ns = 5;
			r.nr = 6;
			r.off = off;
			r.payload = {0xff, 0x03};
			out.push_back(test::encode_v2_ref(r));
		}
	}
	for (bool udp : {false, true}) {
		for (uint8_t clen : {0, 4, 8}) {
			for (bool l2ss : {false, true}) {
				test::v3_data_ref r;
				r.udp = udp;
				r.sid = 0x01020304;
				r.cookie.assign(clen, 0x5a);
				r.l2ss = l2ss;
				r.l2ss_s = true;
				r.seq = 77;
				r.payload = {0x08, 0x00};
				out.push_back(test::encode_v3_data_ref(r));
			}
		}
	}
	for (bool ip : {false, true}) {
		test::v3_control_ref r;
		r.ip = ip;
		r.ccid = 9;
		r.payload = {0x80, 0x08, 0, 0, 0, 0, 0, 1};
		out.push_back(test::encode_v3_control_ref(r));
	}
	return out;
}

// Runs every parser on `in` and checks what a successful parse claims. Returns the number
// of successful parses (so the sweep can check it exercised both outcomes).
size_t check_all(std::span<const uint8_t> in) {
	size_t ok = 0;
	(void)peek(in);
	(void)classify_udp(in);
	(void)classify_ip(in);

	if (auto r = parse_v2(in)) {
		++ok;
		EXPECT_TRUE(within(r->payload, in));
		EXPECT_EQ(r->payload.data(), in.data() + r->header_len);
		EXPECT_LE(r->header_len + r->payload.size(), in.size());
		const size_t end = r->has_length() ? r->length : in.size();
		EXPECT_EQ(r->header_len + r->payload.size(), end);
		// Rebuild from the view: same bytes, except reserved bits and padding contents.
		v2_fields f;
		f.control = r->is_control();
		f.with_length = r->has_length();
		f.with_sequence = r->has_sequence();
		f.with_offset = r->has_offset();
		f.priority = r->has_priority();
		f.tunnel_id = r->tunnel_id;
		f.session_id = r->session_id;
		f.ns = r->ns;
		f.nr = r->nr;
		f.offset_size = r->offset_size;
		f.payload_len = static_cast<uint16_t>(r->payload.size());
		std::vector<uint8_t> out(r->header_len);
		EXPECT_EQ(build_v2(out, f), r->header_len);
		EXPECT_EQ(load_be16(out.data()), r->flags & 0xcb0f);
		const size_t fixed = r->header_len - r->offset_size;
		EXPECT_EQ(std::memcmp(out.data() + 2, in.data() + 2, fixed - 2), 0);
	}
	for (const auto &sp : all_params) {
		for (bool udp : {false, true}) {
			auto r = udp ? parse_v3_udp_data(in, sp) : parse_v3_ip_data(in, sp);
			auto sid = udp ? parse_v3_udp_session_id(in) : parse_v3_ip_session_id(in);
			if (!r)
				continue;
			++ok;
			EXPECT_TRUE(sid);
			if (sid) {
				EXPECT_EQ(*sid, r->session_id);
			}
			EXPECT_NE(r->session_id.value, 0u);
			EXPECT_EQ(r->cookie.size(), sp.cookie_len);
			EXPECT_TRUE(within(r->cookie, in));
			EXPECT_TRUE(within(r->payload, in));
			EXPECT_EQ(r->header_len + r->payload.size(), in.size());
			EXPECT_EQ(r->header_len, (udp ? 8u : 4u) + sp.cookie_len + (sp.l2ss ? 4u : 0u));
			EXPECT_LE(r->l2ss_seq, v3_l2ss_seq_mask);
		}
	}
	for (bool ip : {false, true}) {
		auto r = ip ? parse_v3_ip_control(in) : parse_v3_udp_control(in);
		if (!r)
			continue;
		++ok;
		EXPECT_TRUE(within(r->payload, in));
		EXPECT_EQ(r->header_len, ip ? 16u : 12u);
		EXPECT_EQ(r->payload.data(), in.data() + r->header_len);
		EXPECT_EQ(r->header_len + r->payload.size(), r->length + (ip ? 4u : 0u));
	}
	return ok;
}

TEST(L2tpBounds, EveryPrefixStaysInBounds) {
	guarded_buffer g;
	for (const auto &msg : corpus()) {
		for (size_t n = 0; n <= msg.size(); ++n) {
			SCOPED_TRACE(test::to_hex(std::span(msg).first(n)));
			auto in = g.place(std::span(msg).first(n));
			check_all(in);
			if (::testing::Test::HasFailure())
				return;
		}
	}
}

TEST(L2tpBounds, EveryOneByteMutationStaysInBounds) {
	guarded_buffer g;
	size_t inputs = 0, parsed = 0;
	for (const auto &msg : corpus()) {
		std::vector<uint8_t> m = msg;
		for (size_t pos = 0; pos < m.size(); ++pos) {
			const uint8_t orig = m[pos];
			for (unsigned v = 0; v < 256; ++v) {
				m[pos] = static_cast<uint8_t>(v);
				auto in = g.place(m);
				parsed += check_all(in);
				++inputs;
				if (::testing::Test::HasFailure()) {
					ADD_FAILURE() << "input " << test::to_hex(m);
					return;
				}
			}
			m[pos] = orig;
		}
	}
	// The sweep must exercise both outcomes a lot, or it proves little.
	EXPECT_GT(inputs, 200000u);
	EXPECT_GT(parsed, inputs / 4);
	RecordProperty("inputs", static_cast<int>(inputs));
	RecordProperty("parsed", static_cast<int>(parsed));
}

TEST(L2tpBounds, ClassifyMatchesParsers) {
	// classify_* agree with what the parsers accept, for every first word.
	std::vector<uint8_t> buf(32, 0);
	buf[7] = 1; // non-zero v3 Session ID over UDP
	for (unsigned w = 0; w < 0x10000; ++w) {
		buf[0] = static_cast<uint8_t>(w >> 8);
		buf[1] = static_cast<uint8_t>(w);
		const packet_class c = classify_udp(buf);
		const peek_info pk = peek(buf);
		EXPECT_EQ(pk.version, w & 0xf);
		EXPECT_EQ(pk.control, (w & 0x8000) != 0);
		const uint8_t ver = w & 0xf;
		const bool t = w & 0x8000;
		const packet_class want = ver == 2   ? (t ? packet_class::v2_control : packet_class::v2_data)
					  : ver == 3 ? (t ? packet_class::v3_control : packet_class::v3_data)
						     : packet_class::invalid;
		ASSERT_EQ(c, want) << std::hex << w;
		if (c == packet_class::v3_data) {
			EXPECT_TRUE(parse_v3_udp_data(buf, {}));
		}
		if (c != packet_class::v3_data) {
			EXPECT_FALSE(parse_v3_udp_data(buf, {}));
		}
		if (c != packet_class::v2_data && c != packet_class::v2_control) {
			EXPECT_FALSE(parse_v2(buf));
		}
		if (c != packet_class::v3_control) {
			EXPECT_FALSE(parse_v3_udp_control(buf));
		}
	}
	EXPECT_EQ(classify_udp(std::vector<uint8_t>{0x00}), packet_class::invalid);
	EXPECT_EQ(peek(std::vector<uint8_t>{0xc8}).version, 0);
	EXPECT_EQ(classify_ip(std::vector<uint8_t>{0, 0, 0}), packet_class::invalid);
	EXPECT_EQ(classify_ip(std::vector<uint8_t>{0, 0, 0, 0}), packet_class::v3_control);
	EXPECT_EQ(classify_ip(std::vector<uint8_t>{0, 0, 0, 1}), packet_class::v3_data);
	EXPECT_STREQ(to_string(packet_class::v3_control), "v3_control");
}

} // namespace
} // namespace l2tpx::l2tp
