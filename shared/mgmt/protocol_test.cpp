#include "shared/mgmt/commands.hpp"
#include "shared/mgmt/error.hpp"
#include "shared/mgmt/protocol.hpp"
#include "shared/mgmt/schema.hpp"

#include <gtest/gtest.h>

#include <string>

namespace l2tpx::mgmt {
namespace {

struct request_case {
	const char *name;
	std::string line;
	bool ok;
	errc code;                  // when !ok
	std::optional<uint64_t> id; // id expected in `out` either way
	const char *cmd;            // when ok
};

class parse_request_test : public testing::TestWithParam<request_case> {};

TEST_P(parse_request_test, vector) {
	const auto &c = GetParam();
	request req;
	auto err = parse_request(c.line, req);
	EXPECT_EQ(req.id, c.id);
	if (c.ok) {
		ASSERT_FALSE(err) << err->message;
		EXPECT_EQ(req.cmd, c.cmd);
		EXPECT_TRUE(req.args.is_object());
	} else {
		ASSERT_TRUE(err);
		EXPECT_EQ(to_string(err->code), std::string(to_string(c.code))) << err->message;
		EXPECT_FALSE(err->message.empty());
	}
}

const std::string deep = std::string(40, '[') + std::string(40, ']');

INSTANTIATE_TEST_SUITE_P(
	vectors, parse_request_test,
	testing::Values(
		request_case{"minimal", R"({"v":1,"id":1,"cmd":"show sessions"})", true, {}, 1, "show sessions"},
		request_case{"with_args", R"({"v":1,"id":7,"cmd":"show session","args":{"id":42}})", true, {}, 7,
	                 "show session"},
		request_case{"null_args", R"({"v":1,"id":0,"cmd":"version","args":null})", true, {}, 0, "version"},
		request_case{"crlf", "{\"v\":1,\"id\":3,\"cmd\":\"version\"}\r", true, {}, 3, "version"},
		request_case{"extra_fields_ignored", R"({"v":1,"id":4,"cmd":"version","trace":true})", true, {}, 4,
	                 "version"},
		request_case{"big_id", R"({"v":1,"id":18446744073709551615,"cmd":"version"})", true, {},
	                 UINT64_MAX, "version"},
		request_case{"not_json", "show sessions", false, errc::bad_request, std::nullopt, ""},
		request_case{"empty", "", false, errc::bad_request, std::nullopt, ""},
		request_case{"array", R"([1,2,3])", false, errc::bad_request, std::nullopt, ""},
		request_case{"truncated", R"({"v":1,"id":5,"cmd":"ver)", false, errc::bad_request, std::nullopt, ""},
		request_case{"missing_v", R"({"id":5,"cmd":"version"})", false, errc::bad_request, 5, ""},
		request_case{"v2", R"({"v":2,"id":5,"cmd":"version"})", false, errc::unsupported_version, 5, ""},
		request_case{"v_string", R"({"v":"1","id":5,"cmd":"version"})", false, errc::unsupported_version, 5, ""},
		request_case{"missing_id", R"({"v":1,"cmd":"version"})", false, errc::bad_request, std::nullopt, ""},
		request_case{"negative_id", R"({"v":1,"id":-1,"cmd":"version"})", false, errc::bad_request, std::nullopt,
	                 ""},
		request_case{"float_id", R"({"v":1,"id":1.5,"cmd":"version"})", false, errc::bad_request, std::nullopt,
	                 ""},
		request_case{"string_id", R"({"v":1,"id":"1","cmd":"version"})", false, errc::bad_request, std::nullopt,
	                 ""},
		request_case{"missing_cmd", R"({"v":1,"id":6})", false, errc::bad_request, 6, ""},
		request_case{"empty_cmd", R"({"v":1,"id":6,"cmd":""})", false, errc::bad_request, 6, ""},
		request_case{"cmd_number", R"({"v":1,"id":6,"cmd":5})", false, errc::bad_request, 6, ""},
		request_case{"args_array", R"({"v":1,"id":6,"cmd":"x","args":[1]})", false, errc::bad_request, 6, ""},
		request_case{"invalid_utf8", "{\"v\":1,\"id\":6,\"cmd\":\"\xff\xfe\"}", false, errc::bad_request,
	                 std::nullopt, ""},
		request_case{"too_deep", R"({"v":1,"id":6,"cmd":"x","args":{"a":)" + deep + "}}", false,
	                 errc::bad_request, std::nullopt, ""},
		request_case{"brackets_in_string_not_depth",
	                 R"({"v":1,"id":8,"cmd":"x","args":{"a":")" + std::string(100, '[') + R"("}})", true, {}, 8,
	                 "x"},
		request_case{"nul_byte", std::string("{\"v\":1,\"id\":6,\0\"cmd\":\"x\"}", 25), false, errc::bad_request,
	                 std::nullopt, ""}),
	[](const testing::TestParamInfo<request_case> &i) { return std::string(i.param.name); });

TEST(protocol, request_round_trip) {
	json args = {{"id", 42}, {"mask", 6}};
	auto line = encode_request(9, "debug tunnel", args);
	ASSERT_EQ(line.back(), '\n');
	EXPECT_EQ(line, "{\"v\":1,\"id\":9,\"cmd\":\"debug tunnel\",\"args\":{\"id\":42,\"mask\":6}}\n");
	request req;
	ASSERT_FALSE(parse_request(std::string_view(line).substr(0, line.size() - 1), req));
	EXPECT_EQ(req.id, 9u);
	EXPECT_EQ(req.cmd, "debug tunnel");
	EXPECT_EQ(req.args, args);
}

TEST(protocol, result_round_trip_keeps_member_order) {
	json result = json::object();
	result["zeta"] = 1;
	result["alpha"] = "two";
	auto line = encode_result(5, result);
	EXPECT_EQ(line, "{\"v\":1,\"id\":5,\"ok\":true,\"result\":{\"zeta\":1,\"alpha\":\"two\"}}\n");
	response r;
	ASSERT_FALSE(parse_response(line.substr(0, line.size() - 1), r));
	EXPECT_TRUE(r.ok);
	EXPECT_EQ(r.id, 5u);
	EXPECT_EQ(r.result.begin().key(), "zeta");
}

TEST(protocol, error_encoding) {
	auto line = encode_error(std::nullopt, {errc::not_found, "no session 42"});
	EXPECT_EQ(line,
	          "{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"no session 42\"}}\n");
	response r;
	ASSERT_FALSE(parse_response(line, r));
	EXPECT_FALSE(r.ok);
	EXPECT_FALSE(r.id);
	EXPECT_EQ(r.error_code, "not_found");
	EXPECT_EQ(r.error_message, "no session 42");
}

TEST(protocol, invalid_utf8_in_result_is_replaced_not_thrown) {
	json result = {{"user", std::string("bad\xff")}};
	std::string line;
	ASSERT_NO_THROW(line = encode_result(1, result));
	response r;
	ASSERT_FALSE(parse_response(line, r));
	EXPECT_EQ(r.result["user"], "bad\xEF\xBF\xBD");
}

TEST(protocol, malformed_responses) {
	const char *bad[] = {
		"", "nonsense", "[]", R"({"id":1,"ok":true})", R"({"v":2,"id":1,"ok":true})", R"({"v":1,"id":1})",
		R"({"v":1,"id":1,"ok":false})", R"({"v":1,"id":1,"ok":false,"error":{"message":"x"}})",
		R"({"v":1,"id":1,"ok":"yes"})",
	};
	for (const char *line : bad) {
		response r;
		EXPECT_TRUE(parse_response(line, r)) << line;
	}
}

TEST(protocol, error_names_round_trip) {
	for (size_t i = 0; i < errc_count; ++i) {
		auto e = static_cast<errc>(i);
		EXPECT_EQ(errc_from_string(to_string(e)), e);
		EXPECT_STRNE(describe(e), "unknown error");
	}
	EXPECT_FALSE(errc_from_string("no_such_code"));
	EXPECT_STREQ(to_string(static_cast<errc>(200)), "unknown");
}

TEST(protocol, uint_arg) {
	json args = {{"id", 42}, {"neg", -1}, {"str", "42"}, {"big", 70000}};
	auto ok = uint_arg(args, "id", 1, 65535);
	ASSERT_TRUE(ok);
	EXPECT_EQ(ok.value(), 42u);
	for (const char *key : {"neg", "str", "big", "missing"}) {
		auto r = uint_arg(args, key, 1, 65535);
		ASSERT_FALSE(r) << key;
		EXPECT_EQ(r.error().code, errc::invalid_argument);
		EXPECT_NE(r.error().message.find(key), std::string::npos);
	}
	EXPECT_FALSE(uint_arg(json::array(), "id"));
	EXPECT_TRUE(string_arg({{"name", "x"}}, "name"));
	EXPECT_FALSE(string_arg({{"name", 1}}, "name"));
}

struct mask_case {
	const char *text;
	std::optional<uint32_t> mask;
};

TEST(debug_mask, parse) {
	const mask_case cases[] = {
		{"none", 0},
		{"all", debug_all},
		{"control", debug_control},
		{"control,data", debug_control | debug_data},
		{"CONTROL+seq", debug_control | debug_sequence},
		{"sequence|ppp", debug_sequence | debug_ppp},
		{"0x6", 0x6},
		{"6", 0x6},
		{"30", debug_all},
		{"0", 0},
		{"", std::nullopt},
		{"contrl", std::nullopt},
		{"control,", std::nullopt},
		{",data", std::nullopt},
		{"0x1", std::nullopt},   // bit 0 is not a flag of ours
		{"0x100", std::nullopt}, // outside debug_all
		{"6x", std::nullopt},
		{"99999999999", std::nullopt},
	};
	for (const auto &c : cases)
		EXPECT_EQ(parse_debug_mask(c.text), c.mask) << c.text;
}

TEST(debug_mask, format) {
	EXPECT_EQ(format_debug_mask(0), "none");
	EXPECT_EQ(format_debug_mask(debug_all), "all");
	EXPECT_EQ(format_debug_mask(debug_control | debug_ppp), "control,ppp");
	EXPECT_EQ(format_debug_mask(debug_sequence | 0x100), "sequence,0x100");
	for (uint32_t m = 0; m <= debug_all; m += 2)
		EXPECT_EQ(parse_debug_mask(format_debug_mask(m)), m) << m;
}

TEST(schema, table_builder) {
	table t({{"id", "ID", column_format::number}, {"user", "User", column_format::text}, {"up", "", column_format::duration}});
	EXPECT_TRUE(t.add_row({1, "alice", 61}));
	EXPECT_FALSE(t.add_row({2, "bob"}));
	EXPECT_EQ(t.size(), 1u);
	auto j = t.to_json();
	EXPECT_EQ(dump(j), R"({"columns":[{"key":"id","title":"ID","format":"number"},)"
	                   R"({"key":"user","title":"User","format":"text"},)"
	                   R"({"key":"up","title":"up","format":"duration"}],"rows":[[1,"alice",61]]})");
	ASSERT_TRUE(is_table(j));
	auto cols = table_columns(j);
	ASSERT_EQ(cols.size(), 3u);
	EXPECT_EQ(cols[2].format, column_format::duration);
}

TEST(schema, is_table_shapes) {
	EXPECT_TRUE(is_table(json::parse(R"({"columns":["a","b"],"rows":[[1,2],[3,null]]})")));
	EXPECT_TRUE(is_table(json::parse(R"({"columns":[],"rows":[]})")));
	EXPECT_TRUE(is_table(json::parse(R"({"columns":[{"key":"a","format":"future_kind"}],"rows":[]})")));
	EXPECT_FALSE(is_table(json::parse(R"({"columns":["a","b"],"rows":[[1]]})")));
	EXPECT_FALSE(is_table(json::parse(R"({"columns":["a"],"rows":[1]})")));
	EXPECT_FALSE(is_table(json::parse(R"({"columns":[1],"rows":[]})")));
	EXPECT_FALSE(is_table(json::parse(R"({"columns":[{"title":"A"}],"rows":[]})")));
	EXPECT_FALSE(is_table(json::parse(R"({"rows":[]})")));
	EXPECT_FALSE(is_table(json::parse(R"([1,2])")));
	EXPECT_EQ(column_format_from_string("future_kind"), column_format::text);
	EXPECT_EQ(table_columns(json::parse(R"({"columns":[{"key":"a","format":"future_kind"}],"rows":[]})"))[0].title,
	          "a");
}

} // namespace
} // namespace l2tpx::mgmt
