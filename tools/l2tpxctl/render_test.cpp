#include "tools/l2tpxctl/render.hpp"

#include <gtest/gtest.h>

namespace l2tpx::l2tpxctl {
namespace {

using mgmt::column_format;
using mgmt::json;

TEST(render, sessions_table_is_aligned) {
	mgmt::table t({{"id", "ID", column_format::number},
	               {"tunnel", "Tunnel", column_format::number},
	               {"peer", "Peer", column_format::address},
	               {"user", "User", column_format::text},
	               {"address", "Address", column_format::address},
	               {"state", "State", column_format::text},
	               {"uptime", "Uptime", column_format::duration},
	               {"rx_packets", "RX pkts", column_format::number},
	               {"rx_bytes", "RX bytes", column_format::bytes},
	               {"tx_packets", "TX pkts", column_format::number},
	               {"tx_bytes", "TX bytes", column_format::bytes}});
	ASSERT_TRUE(t.add_row({42, 7, "192.0.2.1:1701", "alice", "10.0.0.2", "established", 3725, 1200, 1536000, 10,
	                       512}));
	ASSERT_TRUE(t.add_row({4097, 7, "192.0.2.1:1701", "bob@example.net", nullptr, "auth", 5, 0, 0, 3, 90061}));
	EXPECT_EQ(render(t.to_json()),
	          "  ID  Tunnel  Peer            User             Address   State          Uptime  RX pkts  RX bytes  "
	          "TX pkts  TX bytes\n"
	          "  42       7  192.0.2.1:1701  alice            10.0.0.2  established  1h02m05s     1200   1.5 MiB  "
	          "     10     512 B\n"
	          "4097       7  192.0.2.1:1701  bob@example.net  -         auth               5s        0       0 B  "
	          "      3  88.0 KiB\n");
}

TEST(render, empty_table_prints_header_and_no_trailing_blanks) {
	auto j = json::parse(R"({"columns":["ID","State"],"rows":[]})");
	EXPECT_EQ(render(j), "ID  State\n");
	j = json::parse(R"({"columns":["Name","Long header"],"rows":[["a","b"]]})");
	EXPECT_EQ(render(j), "Name  Long header\na     b\n");
}

TEST(render, unknown_columns_and_formats_need_no_cli_change) {
	auto j = json::parse(
		R"({"columns":[{"key":"x","title":"X","format":"hologram"},{"key":"y"}],"rows":[[1,true],[null,[1,2]]]})");
	EXPECT_EQ(render(j), "X  y\n1  yes\n-  1, 2\n");
}

TEST(render, key_value_object) {
	json s = json::object();
	s["id"] = 42;
	s["user"] = "alice";
	s["established"] = true;
	s["address"] = nullptr;
	s["dns"] = json::array({"10.0.0.53", "10.0.0.54"});
	s["counters"] = {{"rx_packets", 10}, {"tx_packets", 12}};
	s["empty"] = json::object();
	EXPECT_EQ(render(s), "id:          42\n"
	                     "user:        alice\n"
	                     "established: yes\n"
	                     "address:     -\n"
	                     "dns:         10.0.0.53, 10.0.0.54\n"
	                     "counters:\n"
	                     "  rx_packets: 10\n"
	                     "  tx_packets: 12\n"
	                     "empty: -\n");
}

TEST(render, nested_table_and_list_of_objects) {
	json t = json::object();
	t["id"] = 7;
	t["sessions"] = json::parse(R"({"columns":["ID","User"],"rows":[[1,"a"],[22,"bb"]]})");
	t["peers"] = json::parse(R"([{"host":"a","port":1701},{"host":"b","port":1702}])");
	EXPECT_EQ(render(t), "id: 7\n"
	                     "sessions:\n"
	                     "  ID  User\n"
	                     "  1   a\n"
	                     "  22  bb\n"
	                     "peers:\n"
	                     "  - host: a\n"
	                     "    port: 1701\n"
	                     "  - host: b\n"
	                     "    port: 1702\n");
}

TEST(render, scalars_and_null) {
	EXPECT_EQ(render(json(nullptr)), "");
	EXPECT_EQ(render(json("session 42 cleared")), "session 42 cleared\n");
	EXPECT_EQ(render(json(1.5)), "1.5\n");
	EXPECT_EQ(render(json::array({"a", "b"})), "a\nb\n");
}

TEST(render, control_characters_are_escaped) {
	EXPECT_EQ(sanitize("ok\x1b[31mred\n"), "ok\\x1b[31mred\\x0a");
	auto j = json::parse(R"({"columns":["User"],"rows":[["evil\u001b]0;x\u0007"]]})");
	EXPECT_EQ(render(j), "User\nevil\\x1b]0;x\\x07\n");
	json k = {{"bad\tkey", 1}};
	EXPECT_EQ(render(k), "bad\\x09key: 1\n");
}

TEST(render, utf8_width) {
	EXPECT_EQ(display_width("bjørn"), 5u);
	auto j = json::parse(R"({"columns":["User","N"],"rows":[["bjørn",1],["al",2]]})");
	EXPECT_EQ(render(j), "User   N\nbjørn  1\nal     2\n");
}

struct duration_case {
	uint64_t secs;
	const char *text;
};

TEST(render, durations_and_bytes) {
	const duration_case d[] = {{0, "0s"}, {59, "59s"}, {60, "1m00s"}, {3599, "59m59s"}, {3600, "1h00m00s"},
	                           {86399, "23h59m59s"}, {86400, "1d00h00m00s"}, {1000000, "11d13h46m40s"}};
	for (const auto &c : d)
		EXPECT_EQ(format_duration(c.secs), c.text) << c.secs;
	EXPECT_EQ(format_bytes(0), "0 B");
	EXPECT_EQ(format_bytes(1023), "1023 B");
	EXPECT_EQ(format_bytes(1024), "1.0 KiB");
	EXPECT_EQ(format_bytes(1536), "1.5 KiB");
	EXPECT_EQ(format_bytes(5ull << 30), "5.0 GiB");
	EXPECT_EQ(format_bytes(UINT64_MAX), "16.0 EiB");
	EXPECT_EQ(format_value(json(-5), column_format::duration), "-5");
	EXPECT_EQ(format_value(json(90.7), column_format::duration), "1m30s");
	EXPECT_EQ(format_value(json("n/a"), column_format::bytes), "n/a");
}

} // namespace
} // namespace l2tpx::l2tpxctl
