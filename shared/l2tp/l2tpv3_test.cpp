// L2TPv3 header codec tests: data over IP and UDP with cookies of 0/4/8 bytes and with or
// without the default L2-Specific Sublayer, control headers over IP and UDP, every error,
// builder round trips and Length back-patching. Vectors are written by hand from the
// RFC 3931 diagrams (scapy has no L2TPv3 layer).
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "shared/l2tp/l2tp_test_util.hpp"
#include "shared/l2tp/l2tpv3.hpp"

namespace l2tpx::l2tp {
namespace {

using test::from_hex;
using test::to_hex;

// ---------------------------------------------------------------------------------------
// Data, literal vectors

struct v3_data_case {
	const char *name;
	bool udp;
	const char *hex;
	v3_session_params params;
	uint32_t sid;
	const char *cookie_hex;
	bool l2ss_sequenced;
	uint32_t l2ss_seq;
	uint32_t header_len;
	const char *payload_hex;
};

const v3_data_case data_cases[] = {
	{"IP, no cookie", false, "00010203 ffff0800", {0, false}, 0x00010203, "", false, 0, 4, "ffff0800"},
	{"IP, empty payload", false, "ffffffff", {0, false}, 0xffffffff, "", false, 0, 4, ""},
	{"IP, cookie 4", false, "00000001 a1a2a3a4 0800", {4, false}, 1, "a1a2a3a4", false, 0, 8, "0800"},
	{"IP, cookie 8", false, "00000002 b1b2b3b4b5b6b7b8 0800", {8, false}, 2, "b1b2b3b4b5b6b7b8", false, 0, 12,
	 "0800"},
	{"IP, L2SS S=0", false, "00000003 00000000 0800", {0, true}, 3, "", false, 0, 8, "0800"},
	{"IP, L2SS S=1", false, "00000003 40123456 0800", {0, true}, 3, "", true, 0x123456, 8, "0800"},
	{"IP, L2SS x bits ignored", false, "00000003 bf000001 0800", {0, true}, 3, "", false, 1, 8, "0800"},
	{"IP, cookie 4 + L2SS", false, "00000004 c1c2c3c4 40ffffff 08", {4, true}, 4, "c1c2c3c4", true, 0xffffff, 12,
	 "08"},
	{"IP, cookie 8 + L2SS", false, "00000005 0102030405060708 40000001", {8, true}, 5, "0102030405060708", true, 1,
	 16, ""},
	{"UDP, no cookie", true, "00030000 00010203 ffff0800", {0, false}, 0x00010203, "", false, 0, 8, "ffff0800"},
	{"UDP, cookie 4", true, "00030000 00000001 a1a2a3a4 0800", {4, false}, 1, "a1a2a3a4", false, 0, 12, "0800"},
	{"UDP, cookie 8", true, "00030000 00000002 b1b2b3b4b5b6b7b8 0800", {8, false}, 2, "b1b2b3b4b5b6b7b8", false,
	 0, 16, "0800"},
	{"UDP, L2SS", true, "00030000 00000003 40000010 0800", {0, true}, 3, "", true, 16, 12, "0800"},
	{"UDP, cookie 8 + L2SS", true, "00030000 00000005 0102030405060708 00000007 aa", {8, true}, 5,
	 "0102030405060708", false, 7, 20, "aa"},
	{"UDP, reserved bits and field ignored", true, "7ff3ffff 00000009 0800", {0, false}, 9, "", false, 0, 8,
	 "0800"},
};

TEST(L2tpV3Data, LiteralVectors) {
	for (const auto &c : data_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		auto sid = c.udp ? parse_v3_udp_session_id(bytes) : parse_v3_ip_session_id(bytes);
		ASSERT_TRUE(sid) << to_string(sid.error());
		EXPECT_EQ(*sid, session_id_v3(c.sid));
		auto r = c.udp ? parse_v3_udp_data(bytes, c.params) : parse_v3_ip_data(bytes, c.params);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->session_id, session_id_v3(c.sid));
		EXPECT_EQ(to_hex(r->cookie), c.cookie_hex);
		EXPECT_EQ(r->has_l2ss, c.params.l2ss);
		EXPECT_EQ(r->l2ss_sequenced, c.l2ss_sequenced);
		EXPECT_EQ(r->l2ss_seq, c.l2ss_seq);
		EXPECT_EQ(r->header_len, c.header_len);
		EXPECT_EQ(to_hex(r->payload), c.payload_hex);
		EXPECT_EQ(r->payload.data(), bytes.data() + c.header_len);
		EXPECT_EQ(r->flags, c.udp ? load_be16(bytes.data()) : 0);
	}
}

struct v3_data_err_case {
	const char *name;
	bool udp;
	const char *hex;
	v3_session_params params;
	parse_error err;
};

const v3_data_err_case data_err_cases[] = {
	{"IP: empty", false, "", {0, false}, parse_error::truncated},
	{"IP: 3 bytes of Session ID", false, "000001", {0, false}, parse_error::truncated},
	{"IP: Session ID 0 is control", false, "00000000 c803000c", {0, false}, parse_error::not_data},
	{"IP: cookie 4 missing", false, "00000001", {4, false}, parse_error::truncated},
	{"IP: cookie 4 short", false, "00000001 a1a2a3", {4, false}, parse_error::truncated},
	{"IP: cookie 8 short", false, "00000001 a1a2a3a4a5a6a7", {8, false}, parse_error::truncated},
	{"IP: L2SS missing", false, "00000001", {0, true}, parse_error::truncated},
	{"IP: L2SS short", false, "00000001 400000", {0, true}, parse_error::truncated},
	{"IP: L2SS short after cookie", false, "00000001 a1a2a3a4 400000", {4, true}, parse_error::truncated},
	{"IP: cookie length 3", false, "00000001 a1a2a3a4", {3, false}, parse_error::bad_cookie_length},
	{"IP: cookie length 16", false, "00000001 a1a2a3a4", {16, false}, parse_error::bad_cookie_length},
	{"UDP: empty", true, "", {0, false}, parse_error::truncated},
	{"UDP: one byte", true, "00", {0, false}, parse_error::truncated},
	{"UDP: Ver 2", true, "00020000 00000001", {0, false}, parse_error::bad_version},
	{"UDP: Ver 0", true, "00000000 00000001", {0, false}, parse_error::bad_version},
	{"UDP: T=1 is control", true, "c803000c 00000001 00000000", {0, false}, parse_error::not_data},
	{"UDP: no Reserved", true, "0003", {0, false}, parse_error::truncated},
	{"UDP: no Session ID", true, "00030000", {0, false}, parse_error::truncated},
	{"UDP: half Session ID", true, "00030000 0000", {0, false}, parse_error::truncated},
	{"UDP: Session ID 0", true, "00030000 00000000 0800", {0, false}, parse_error::bad_session_id},
	{"UDP: cookie 8 short", true, "00030000 00000001 a1a2a3a4", {8, false}, parse_error::truncated},
	{"UDP: L2SS short", true, "00030000 00000001 40", {0, true}, parse_error::truncated},
	{"UDP: cookie length 1", true, "00030000 00000001 a1a2a3a4", {1, false}, parse_error::bad_cookie_length},
};

TEST(L2tpV3Data, Errors) {
	for (const auto &c : data_err_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		auto r = c.udp ? parse_v3_udp_data(bytes, c.params) : parse_v3_ip_data(bytes, c.params);
		ASSERT_FALSE(r) << to_string(*r);
		EXPECT_EQ(r.error(), c.err) << to_string(r.error());
	}
}

TEST(L2tpV3Data, SessionIdStepErrors) {
	EXPECT_EQ(parse_v3_ip_session_id(from_hex("000000")).error(), parse_error::truncated);
	EXPECT_EQ(parse_v3_ip_session_id(from_hex("00000000")).error(), parse_error::not_data);
	EXPECT_EQ(parse_v3_udp_session_id(from_hex("00")).error(), parse_error::truncated);
	EXPECT_EQ(parse_v3_udp_session_id(from_hex("0002 0000 0000 0001")).error(), parse_error::bad_version);
	EXPECT_EQ(parse_v3_udp_session_id(from_hex("8003")).error(), parse_error::not_data);
	EXPECT_EQ(parse_v3_udp_session_id(from_hex("0003 0000 0000 01")).error(), parse_error::truncated);
	EXPECT_EQ(parse_v3_udp_session_id(from_hex("0003 0000 0000 0000")).error(), parse_error::bad_session_id);
}

// Every cookie length x sublayer x S bit, over IP and UDP: reference bytes parse to the
// right fields, every prefix short of the header is truncated, the builder writes the same
// bytes.
TEST(L2tpV3Data, EveryCombinationParsesBuildsAndTruncates) {
	for (bool udp : {false, true}) {
		for (uint8_t clen : {0, 4, 8}) {
			for (int l2ss = 0; l2ss < 3; ++l2ss) { // none, S=0, S=1
				SCOPED_TRACE(std::string(udp ? "udp" : "ip") + " cookie=" + std::to_string(clen) +
					     " l2ss=" + std::to_string(l2ss));
				test::v3_data_ref ref;
				ref.udp = udp;
				ref.sid = 0xdeadbeef;
				for (uint8_t i = 0; i < clen; ++i)
					ref.cookie.push_back(static_cast<uint8_t>(0xc0 + i));
				ref.l2ss = l2ss != 0;
				ref.l2ss_s = l2ss == 2;
				ref.seq = 0xabcdef;
				ref.payload = {0x08, 0x00, 0x45};
				const auto bytes = test::encode_v3_data_ref(ref);
				const size_t hlen = bytes.size() - ref.payload.size();
				const v3_session_params sp{clen, ref.l2ss};

				auto r = udp ? parse_v3_udp_data(bytes, sp) : parse_v3_ip_data(bytes, sp);
				ASSERT_TRUE(r) << to_string(r.error());
				EXPECT_EQ(r->session_id.value, ref.sid);
				EXPECT_EQ(std::vector<uint8_t>(r->cookie.begin(), r->cookie.end()), ref.cookie);
				EXPECT_EQ(r->has_l2ss, ref.l2ss);
				EXPECT_EQ(r->l2ss_sequenced, ref.l2ss_s);
				EXPECT_EQ(r->l2ss_seq, ref.l2ss ? ref.seq : 0u);
				EXPECT_EQ(r->header_len, hlen);
				EXPECT_EQ(std::vector<uint8_t>(r->payload.begin(), r->payload.end()), ref.payload);

				for (size_t n = 0; n < bytes.size(); ++n) {
					const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
					auto p = udp ? parse_v3_udp_data(prefix, sp) : parse_v3_ip_data(prefix, sp);
					if (n < hlen) {
						ASSERT_FALSE(p) << n;
						EXPECT_EQ(p.error(), parse_error::truncated) << n;
					} else {
						ASSERT_TRUE(p) << n;
						EXPECT_EQ(p->payload.size(), n - hlen);
					}
				}

				v3_data_fields f;
				f.session_id = session_id_v3(ref.sid);
				f.cookie.len = clen;
				std::copy(ref.cookie.begin(), ref.cookie.end(), f.cookie.bytes);
				f.l2ss = ref.l2ss;
				f.l2ss_sequenced = ref.l2ss_s;
				f.l2ss_seq = ref.seq;
				EXPECT_EQ(udp ? v3_udp_data_header_size(f) : v3_ip_data_header_size(f), hlen);
				std::array<uint8_t, 32> out;
				out.fill(0xee);
				const size_t n = udp ? build_v3_udp_data(out, f) : build_v3_ip_data(out, f);
				ASSERT_EQ(n, hlen);
				EXPECT_EQ(to_hex(std::span(out).first(n)), to_hex(std::span(bytes).first(hlen)));
				EXPECT_EQ(out[n], 0xee);
				if (ref.l2ss) {
					const size_t at = udp ? v3_udp_l2ss_offset(clen) : v3_ip_l2ss_offset(clen);
					EXPECT_EQ(load_be32(out.data() + at) & v3_l2ss_seq_mask, ref.seq);
				}
			}
		}
	}
}

TEST(L2tpV3Data, BuilderRejectsBadFieldsAndSmallOutput) {
	v3_data_fields f;
	f.session_id = session_id_v3(1);
	f.cookie.len = 8;
	f.l2ss = true;
	const size_t need = v3_udp_data_header_size(f);
	ASSERT_EQ(need, 20u);
	for (size_t n = 0; n < need; ++n) {
		std::vector<uint8_t> out(n, 0xee);
		EXPECT_EQ(build_v3_udp_data(out, f), 0u);
		if (n < v3_ip_data_header_size(f)) {
			EXPECT_EQ(build_v3_ip_data(out, f), 0u);
		}
		for (uint8_t b : out)
			ASSERT_EQ(b, 0xee);
	}
	std::array<uint8_t, 32> out{};
	f.cookie.len = 3;
	EXPECT_EQ(build_v3_ip_data(out, f), 0u);
	EXPECT_EQ(build_v3_udp_data(out, f), 0u);
	f.cookie.len = 0;
	f.session_id = session_id_v3(0);
	EXPECT_EQ(build_v3_ip_data(out, f), 0u);
	EXPECT_EQ(build_v3_udp_data(out, f), 0u);
}

TEST(L2tpV3Data, L2ssWriterMasksSequence) {
	std::array<uint8_t, 4> w{};
	write_v3_l2ss(w, true, 0x12345678);
	EXPECT_EQ(to_hex(w), "40345678");
	write_v3_l2ss(w, false, 0x01000001);
	EXPECT_EQ(to_hex(w), "00000001");
}

TEST(L2tpV3Data, CookieCheck) {
	const auto bytes = from_hex("00000001 a1a2a3a4 0800");
	auto r = parse_v3_ip_data(bytes, {4, false});
	ASSERT_TRUE(r);
	v3_cookie good{4, {0xa1, 0xa2, 0xa3, 0xa4}};
	EXPECT_TRUE(check_v3_cookie(*r, good));
	v3_cookie bad_byte{4, {0xa1, 0xa2, 0xa3, 0xa5}};
	EXPECT_EQ(check_v3_cookie(*r, bad_byte).error(), parse_error::cookie_mismatch);
	v3_cookie longer{8, {0xa1, 0xa2, 0xa3, 0xa4, 0, 0, 0, 0}};
	EXPECT_EQ(check_v3_cookie(*r, longer).error(), parse_error::cookie_mismatch);
	v3_cookie none{};
	EXPECT_EQ(check_v3_cookie(*r, none).error(), parse_error::cookie_mismatch);

	auto plain = parse_v3_ip_data(bytes, {0, false});
	ASSERT_TRUE(plain);
	EXPECT_TRUE(check_v3_cookie(*plain, none));
	EXPECT_EQ(check_v3_cookie(*plain, good).error(), parse_error::cookie_mismatch);
}

// ---------------------------------------------------------------------------------------
// Control

struct v3_ctl_case {
	const char *name;
	bool ip;
	const char *hex;
	uint16_t flags, length;
	uint32_t ccid;
	uint16_t ns, nr;
	uint32_t header_len;
	const char *payload_hex;
};

const v3_ctl_case ctl_cases[] = {
	{"UDP SCCRQ", false, "c8030014 00000000 0000 0000 8008000000000001", 0xc803, 20, 0, 0, 0, 12,
	 "8008000000000001"},
	{"UDP ZLB", false, "c803000c 12345678 0005 0006", 0xc803, 12, 0x12345678, 5, 6, 12, ""},
	{"UDP, bytes after Length are not payload", false, "c803000d 00000001 0001 0002 aa bbcc", 0xc803, 13, 1, 1, 2,
	 12, "aa"},
	{"UDP, reserved bits ignored", false, "fff3000c 00000001 0001 0002", 0xfff3, 12, 1, 1, 2, 12, ""},
	{"IP SCCRQ", true, "00000000 c8030014 00000000 0000 0000 8008000000000001", 0xc803, 20, 0, 0, 0, 16,
	 "8008000000000001"},
	{"IP ZLB", true, "00000000 c803000c ffffffff ffff fffe", 0xc803, 12, 0xffffffff, 0xffff, 0xfffe, 16, ""},
};

TEST(L2tpV3Control, LiteralVectors) {
	for (const auto &c : ctl_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		auto r = c.ip ? parse_v3_ip_control(bytes) : parse_v3_udp_control(bytes);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->flags, c.flags);
		EXPECT_EQ(r->length, c.length);
		EXPECT_EQ(r->ccid, ccid_v3(c.ccid));
		EXPECT_EQ(r->ns, c.ns);
		EXPECT_EQ(r->nr, c.nr);
		EXPECT_EQ(r->header_len, c.header_len);
		EXPECT_EQ(to_hex(r->payload), c.payload_hex);
		EXPECT_EQ(r->payload.data(), bytes.data() + c.header_len);
	}
}

struct v3_ctl_err_case {
	const char *name;
	bool ip;
	const char *hex;
	parse_error err;
};

const v3_ctl_err_case ctl_err_cases[] = {
	{"UDP: empty", false, "", parse_error::truncated},
	{"UDP: one byte", false, "c8", parse_error::truncated},
	{"UDP: Ver 2", false, "c802000c 00000000 0000 0000", parse_error::bad_version},
	{"UDP: T=0", false, "4803000c 00000001 0000 0000", parse_error::not_control},
	{"UDP: L=0", false, "8803000c 00000001 0000 0000", parse_error::control_without_length},
	{"UDP: S=0", false, "c003000c 00000001 0000 0000", parse_error::control_without_sequence},
	{"UDP: no Length", false, "c803", parse_error::truncated},
	{"UDP: no CCID", false, "c803000c", parse_error::truncated},
	{"UDP: half CCID", false, "c803000c 0000", parse_error::truncated},
	{"UDP: no Ns", false, "c803000c 00000001", parse_error::truncated},
	{"UDP: no Nr", false, "c803000c 00000001 0000", parse_error::truncated},
	{"UDP: half Nr", false, "c803000c 00000001 0000 00", parse_error::truncated},
	{"UDP: Length beyond buffer", false, "c803000d 00000001 0000 0000", parse_error::truncated},
	{"UDP: Length below header", false, "c803000b 00000001 0000 0000 00", parse_error::bad_length},
	{"UDP: Length 0", false, "c8030000 00000001 0000 0000", parse_error::bad_length},
	{"IP: empty", true, "", parse_error::truncated},
	{"IP: 3 bytes", true, "000000", parse_error::truncated},
	{"IP: Session ID not 0", true, "00000001 c803000c 00000001 0000 0000", parse_error::not_control},
	{"IP: no control header", true, "00000000", parse_error::truncated},
	{"IP: half control header", true, "00000000 c803000c 0000", parse_error::truncated},
	{"IP: Ver 2", true, "00000000 c802000c 00000000 0000 0000", parse_error::bad_version},
	{"IP: T=0", true, "00000000 0803000c 00000000 0000 0000", parse_error::not_control},
	{"IP: Length counts from T, not from Session ID", true, "00000000 c8030010 00000001 0000 0000",
	 parse_error::truncated},
	{"IP: Length below header", true, "00000000 c8030008 00000001 0000 0000", parse_error::bad_length},
};

TEST(L2tpV3Control, Errors) {
	for (const auto &c : ctl_err_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		auto r = c.ip ? parse_v3_ip_control(bytes) : parse_v3_udp_control(bytes);
		ASSERT_FALSE(r) << to_string(*r);
		EXPECT_EQ(r.error(), c.err) << to_string(r.error());
	}
}

TEST(L2tpV3Control, BuildRoundTripAndPrefixes) {
	for (bool ip : {false, true}) {
		for (size_t plen : {0, 1, 8}) {
			SCOPED_TRACE(std::string(ip ? "ip" : "udp") + " payload=" + std::to_string(plen));
			test::v3_control_ref ref;
			ref.ip = ip;
			ref.ccid = 0x01020304;
			ref.ns = 0x0506;
			ref.nr = 0x0708;
			for (size_t i = 0; i < plen; ++i)
				ref.payload.push_back(static_cast<uint8_t>(i));
			const auto bytes = test::encode_v3_control_ref(ref);
			const size_t hlen = ip ? v3_ip_control_header_len : v3_udp_control_header_len;

			v3_control_fields f;
			f.ccid = ccid_v3(ref.ccid);
			f.ns = ref.ns;
			f.nr = ref.nr;
			f.payload_len = static_cast<uint16_t>(plen);
			std::array<uint8_t, 32> out;
			out.fill(0xee);
			const size_t n = ip ? build_v3_ip_control(out, f) : build_v3_udp_control(out, f);
			ASSERT_EQ(n, hlen);
			EXPECT_EQ(to_hex(std::span(out).first(n)), to_hex(std::span(bytes).first(hlen)));
			EXPECT_EQ(out[n], 0xee);

			auto r = ip ? parse_v3_ip_control(bytes) : parse_v3_udp_control(bytes);
			ASSERT_TRUE(r) << to_string(r.error());
			EXPECT_EQ(r->ccid, f.ccid);
			EXPECT_EQ(r->ns, f.ns);
			EXPECT_EQ(r->nr, f.nr);
			EXPECT_EQ(r->length, 12 + plen);
			EXPECT_EQ(r->payload.size(), plen);

			// Length covers the whole message, so every strict prefix is truncated.
			for (size_t k = 0; k < bytes.size(); ++k) {
				const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(k));
				auto p = ip ? parse_v3_ip_control(prefix) : parse_v3_udp_control(prefix);
				ASSERT_FALSE(p) << k;
				EXPECT_EQ(p.error(), parse_error::truncated) << k;
			}
		}
	}
}

TEST(L2tpV3Control, BuilderLimits) {
	v3_control_fields f;
	for (size_t n = 0; n < v3_ip_control_header_len; ++n) {
		std::vector<uint8_t> out(n, 0xee);
		if (n < v3_udp_control_header_len) {
			EXPECT_EQ(build_v3_udp_control(out, f), 0u);
		}
		EXPECT_EQ(build_v3_ip_control(out, f), 0u);
		for (uint8_t b : out)
			ASSERT_EQ(b, 0xee);
	}
	std::array<uint8_t, 16> out{};
	f.payload_len = UINT16_MAX - 12;
	ASSERT_EQ(build_v3_udp_control(out, f), 12u);
	EXPECT_EQ(load_be16(out.data() + 2), UINT16_MAX);
	f.payload_len = UINT16_MAX - 11;
	EXPECT_EQ(build_v3_udp_control(out, f), 0u);
	EXPECT_EQ(build_v3_ip_control(out, f), 0u);
}

TEST(L2tpV3Control, SetLengthBackPatches) {
	v3_control_fields f;
	f.ccid = ccid_v3(42);
	std::vector<uint8_t> udp(12 + 6, 0);
	ASSERT_EQ(build_v3_udp_control(udp, f), 12u);
	ASSERT_TRUE(set_v3_udp_control_length(udp));
	auto r = parse_v3_udp_control(udp);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->length, 18);
	EXPECT_EQ(r->payload.size(), 6u);

	std::vector<uint8_t> ip(16 + 6, 0);
	ASSERT_EQ(build_v3_ip_control(ip, f), 16u);
	ASSERT_TRUE(set_v3_ip_control_length(ip));
	auto q = parse_v3_ip_control(ip);
	ASSERT_TRUE(q);
	EXPECT_EQ(q->length, 18); // the zero Session ID is not counted
	EXPECT_EQ(q->payload.size(), 6u);

	// Data headers and short buffers are left alone.
	std::vector<uint8_t> data = from_hex("00030000 00000001 0000 0000 0000");
	const auto before = data;
	EXPECT_FALSE(set_v3_udp_control_length(data));
	EXPECT_EQ(data, before);
	std::vector<uint8_t> ipdata = from_hex("00000001 c803000c 00000001 0000 0000");
	EXPECT_FALSE(set_v3_ip_control_length(ipdata));
	std::vector<uint8_t> short_ctl = from_hex("c803000c 00000001 0000");
	EXPECT_FALSE(set_v3_udp_control_length(short_ctl));
}

// ---------------------------------------------------------------------------------------
// Cross-check with tshark (see gen_vectors.py): hand-built RFC 3931 headers, fields as
// tshark decodes them.

struct tshark_data_case {
	const char *name;
	bool udp;
	const char *hex;
	uint8_t cookie_len;
	bool l2ss;
	uint32_t sid;
	const char *cookie_hex;
	bool s_bit;
	uint32_t seq;
	const char *payload_hex;
};

const tshark_data_case tshark_data_cases[] = {
#include "shared/l2tp/tshark_v3_data_vectors.inc"
};

TEST(L2tpV3Tshark, DataAgreesWithTshark) {
	ASSERT_GE(std::size(tshark_data_cases), 10u);
	for (const auto &c : tshark_data_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		const v3_session_params sp{c.cookie_len, c.l2ss};
		auto r = c.udp ? parse_v3_udp_data(bytes, sp) : parse_v3_ip_data(bytes, sp);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->session_id.value, c.sid);
		EXPECT_EQ(to_hex(r->cookie), c.cookie_hex);
		EXPECT_EQ(r->l2ss_sequenced, c.s_bit);
		EXPECT_EQ(r->l2ss_seq, c.seq);
		EXPECT_EQ(to_hex(r->payload), c.payload_hex);

		v3_data_fields f;
		f.session_id = session_id_v3(c.sid);
		const auto cookie = from_hex(c.cookie_hex);
		f.cookie.len = static_cast<uint8_t>(cookie.size());
		std::copy(cookie.begin(), cookie.end(), f.cookie.bytes);
		f.l2ss = c.l2ss;
		f.l2ss_sequenced = c.s_bit;
		f.l2ss_seq = c.seq;
		std::vector<uint8_t> out(32);
		const size_t n = c.udp ? build_v3_udp_data(out, f) : build_v3_ip_data(out, f);
		ASSERT_EQ(n, r->header_len);
		out.resize(n);
		EXPECT_EQ(to_hex(out) + c.payload_hex, c.hex);
	}
}

struct tshark_control_case {
	const char *name;
	bool udp;
	const char *hex;
	uint32_t ccid;
	uint16_t ns, nr, length;
	size_t avp_len;
};

const tshark_control_case tshark_control_cases[] = {
#include "shared/l2tp/tshark_v3_control_vectors.inc"
};

TEST(L2tpV3Tshark, ControlAgreesWithTshark) {
	ASSERT_GE(std::size(tshark_control_cases), 4u);
	for (const auto &c : tshark_control_cases) {
		SCOPED_TRACE(c.name);
		const auto bytes = from_hex(c.hex);
		auto r = c.udp ? parse_v3_udp_control(bytes) : parse_v3_ip_control(bytes);
		ASSERT_TRUE(r) << to_string(r.error());
		EXPECT_EQ(r->ccid.value, c.ccid);
		EXPECT_EQ(r->ns, c.ns);
		EXPECT_EQ(r->nr, c.nr);
		EXPECT_EQ(r->length, c.length);
		EXPECT_EQ(r->payload.size(), c.avp_len);

		v3_control_fields f;
		f.ccid = ccid_v3(c.ccid);
		f.ns = c.ns;
		f.nr = c.nr;
		f.payload_len = static_cast<uint16_t>(c.avp_len);
		std::vector<uint8_t> out(16);
		const size_t n = c.udp ? build_v3_udp_control(out, f) : build_v3_ip_control(out, f);
		ASSERT_EQ(n, r->header_len);
		out.resize(n);
		EXPECT_EQ(to_hex(out) + to_hex(r->payload), c.hex);
	}
}

TEST(L2tpV3Format, ToString) {
	const auto d = from_hex("00000007 a1a2a3a4 40000009 0800");
	auto r = parse_v3_ip_data(d, {4, true});
	ASSERT_TRUE(r);
	EXPECT_EQ(to_string(*r), "v3 data sid=7 cookie=a1a2a3a4 l2ss seq=9 hdr=12 payload=2");
	const auto c = from_hex("c8030014 00000005 0001 0002 8008000000000001");
	auto q = parse_v3_udp_control(c);
	ASSERT_TRUE(q);
	EXPECT_EQ(to_string(*q), "v3 ctrl ccid=5 ns=1 nr=2 len=20 hdr=12 payload=8");
}

} // namespace
} // namespace l2tpx::l2tp
