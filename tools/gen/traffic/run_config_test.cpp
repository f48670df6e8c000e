#include "tools/gen/traffic/run_config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace l2tpx::gen {
namespace {

result<run_config, config_error> parse(const std::string &text, std::vector<std::string> overrides = {}) {
	config_options o;
	o.source_name = "gen.toml";
	o.overrides = overrides;
	return parse_run_config(text, o);
}

TEST(RunConfig, FullExample) {
	auto r = parse(R"(
[traffic]
rate_total = "2.5Gbps"
imix = [ { size = 64, weight = 7 }, { size = 594, weight = 4 }, [1518, 1] ]
duration = "90s"
drain = "500ms"
direction = "up"
streams_per_session = 2
ip_version = 4
report_top = 5

[thresholds]
max_loss_percent = 0.01
min_sessions_up = 1000
max_p99_latency_us = 250
)");
	ASSERT_TRUE(r) << r.error().to_string();
	const traffic_config &t = r->traffic;
	EXPECT_FALSE(t.rate_per_stream);
	EXPECT_EQ(t.rate_total, (rate{rate_unit::bps, 2500000000}));
	EXPECT_EQ(t.sizes.mode, size_mode::imix);
	EXPECT_EQ(t.sizes.entries, simple_imix().entries);
	EXPECT_EQ(t.duration_ms, 90000u);
	EXPECT_EQ(t.drain_ms, 500u);
	EXPECT_EQ(t.direction, traffic_direction::up);
	EXPECT_EQ(t.streams_per_session, 2u);
	EXPECT_EQ(t.report_top, 5u);
	EXPECT_EQ(r->limits.max_loss_percent, 0.01);
	EXPECT_EQ(r->limits.min_sessions_up, 1000u);
	EXPECT_EQ(r->limits.max_p99_latency_us, 250.0);
}

TEST(RunConfig, Defaults) {
	auto r = parse("[traffic]\nrate_per_stream = 1000\n");
	ASSERT_TRUE(r) << r.error().to_string();
	EXPECT_EQ(r->traffic.rate_per_stream, (rate{rate_unit::pps, 1000}));
	EXPECT_EQ(r->traffic.sizes, size_spec{});
	EXPECT_EQ(r->traffic.duration_ms, 10000u);
	EXPECT_EQ(r->traffic.direction, traffic_direction::both);
	EXPECT_EQ(r->traffic.ip_version, 4);
	EXPECT_EQ(r->limits, thresholds{});
}

TEST(RunConfig, SizeForms) {
	auto a = parse("[traffic]\nrate_per_stream='1kpps'\nframe_size = 128\n");
	ASSERT_TRUE(a) << a.error().to_string();
	EXPECT_EQ(a->traffic.sizes, (size_spec{size_mode::fixed, {{128, 1}}}));
	auto b = parse("[traffic]\nrate_per_stream='1kpps'\nframe_sizes = [64, 128, 1518]\n");
	ASSERT_TRUE(b) << b.error().to_string();
	EXPECT_EQ(b->traffic.sizes, (size_spec{size_mode::list, {{64, 1}, {128, 1}, {1518, 1}}}));
	auto c = parse("[traffic]\nrate_per_stream='1kpps'\nimix = 'simple'\n");
	ASSERT_TRUE(c) << c.error().to_string();
	EXPECT_EQ(c->traffic.sizes, simple_imix());
	auto lag = parse("[traffic]\nrate_per_stream='1kpps'\nmax_lag = '250ms'\n");
	ASSERT_TRUE(lag);
	EXPECT_EQ(lag->traffic.max_lag_ms, 250u);
	EXPECT_FALSE(parse("[traffic]\nrate_per_stream='1kpps'\nmax_lag = 0\n"));
	auto d = parse("[traffic]\nrate_per_stream='1kpps'\nduration = 2.5\ndrain = 0\n");
	ASSERT_TRUE(d) << d.error().to_string();
	EXPECT_EQ(d->traffic.duration_ms, 2500u);
	EXPECT_EQ(d->traffic.drain_ms, 0u);
}

struct error_case {
	const char *name;
	std::string text;
	std::vector<std::string> overrides;
	config_errc code;
	const char *field;
	uint32_t line; // 0: not checked
};

TEST(RunConfig, Errors) {
	const error_case cases[] = {
	    {"syntax", "[traffic\n", {}, config_errc::syntax, "", 1},
	    {"no traffic", "[thresholds]\n", {}, config_errc::missing_key, "traffic", 0},
	    {"unknown table", "[traffic]\nrate_total=1\n[lac]\nx=1\n", {}, config_errc::unknown_table, "lac", 3},
	    {"unknown key", "[traffic]\nrate_total=1\nrtae=3\n", {}, config_errc::unknown_key, "traffic.rtae", 3},
	    {"no rate", "[traffic]\nduration='1s'\n", {}, config_errc::missing_key, "traffic.rate_per_stream", 0},
	    {"two rates", "[traffic]\nrate_total=1\nrate_per_stream=2\n", {}, config_errc::conflict, "traffic.rate_total", 0},
	    {"bad rate", "[traffic]\nrate_total='10 Mbps'\n", {}, config_errc::bad_value, "traffic.rate_total", 2},
	    {"rate type", "[traffic]\nrate_total=1.5\n", {}, config_errc::wrong_type, "traffic.rate_total", 2},
	    {"zero rate", "[traffic]\nrate_total=0\n", {}, config_errc::out_of_range, "traffic.rate_total", 2},
	    {"two sizes", "[traffic]\nrate_total=1\nframe_size=64\nimix='simple'\n", {}, config_errc::conflict,
	     "traffic.imix", 4},
	    {"size range", "[traffic]\nrate_total=1\nframe_size=9601\n", {}, config_errc::out_of_range,
	     "traffic.frame_size", 3},
	    {"small v4", "[traffic]\nrate_total=1\nframe_sizes=[64, 61]\n", {}, config_errc::out_of_range,
	     "traffic.frame_sizes[1]", 3},
	    {"small v6", "[traffic]\nrate_total=1\nip_version=6\nframe_size=64\n", {}, config_errc::out_of_range,
	     "traffic.frame_size", 4},
	    {"simple imix v6", "[traffic]\nrate_total=1\nip_version=6\nimix='simple'\n", {}, config_errc::out_of_range,
	     "traffic.imix", 4},
	    {"imix name", "[traffic]\nrate_total=1\nimix='complex'\n", {}, config_errc::bad_value, "traffic.imix", 3},
	    {"imix entry", "[traffic]\nrate_total=1\nimix=[{size=64}]\n", {}, config_errc::missing_key,
	     "traffic.imix[0].weight", 3},
	    {"imix key", "[traffic]\nrate_total=1\nimix=[{size=64, weight=1, wieght=2}]\n", {},
	     config_errc::unknown_key, "traffic.imix[0].wieght", 3},
	    {"imix zero weight", "[traffic]\nrate_total=1\nimix=[[64, 0]]\n", {}, config_errc::out_of_range,
	     "traffic.imix[0].weight", 3},
	    {"imix shape", "[traffic]\nrate_total=1\nimix=[64, 128]\n", {}, config_errc::wrong_type, "traffic.imix[0]", 3},
	    {"empty sizes", "[traffic]\nrate_total=1\nframe_sizes=[]\n", {}, config_errc::out_of_range,
	     "traffic.frame_sizes", 3},
	    {"duration", "[traffic]\nrate_total=1\nduration='10 s'\n", {}, config_errc::bad_value, "traffic.duration", 3},
	    {"duration zero", "[traffic]\nrate_total=1\nduration=0\n", {}, config_errc::out_of_range, "traffic.duration", 3},
	    {"direction", "[traffic]\nrate_total=1\ndirection='sideways'\n", {}, config_errc::bad_value,
	     "traffic.direction", 3},
	    {"streams", "[traffic]\nrate_total=1\nstreams_per_session=0\n", {}, config_errc::out_of_range,
	     "traffic.streams_per_session", 3},
	    {"ip version", "[traffic]\nrate_total=1\nip_version=5\n", {}, config_errc::out_of_range, "traffic.ip_version", 3},
	    {"loss range", "[traffic]\nrate_total=1\n[thresholds]\nmax_loss_percent=101\n", {}, config_errc::out_of_range,
	     "thresholds.max_loss_percent", 4},
	    {"loss type", "[traffic]\nrate_total=1\n[thresholds]\nmax_loss_percent='1%'\n", {}, config_errc::wrong_type,
	     "thresholds.max_loss_percent", 4},
	    {"sessions", "[traffic]\nrate_total=1\n[thresholds]\nmin_sessions_up=-1\n", {}, config_errc::out_of_range,
	     "thresholds.min_sessions_up", 4},
	    {"p99", "[traffic]\nrate_total=1\n[thresholds]\nmax_p99_latency_us=0\n", {}, config_errc::out_of_range,
	     "thresholds.max_p99_latency_us", 4},
	    {"threshold key", "[traffic]\nrate_total=1\n[thresholds]\nmax_loss=1\n", {}, config_errc::unknown_key,
	     "thresholds.max_loss", 4},
	    {"traffic not table", "traffic = 3\n", {}, config_errc::wrong_type, "traffic", 1},
	    {"override shape", "[traffic]\nrate_total=1\n", {"rate_total=5"}, config_errc::bad_override, "", 0},
	    {"override table", "[traffic]\nrate_total=1\n", {"lac.x=5"}, config_errc::unknown_table, "lac.x", 0},
	    {"override value", "[traffic]\nrate_total=1\n", {"traffic.duration=forever"}, config_errc::bad_value,
	     "traffic.duration", 0},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		auto r = parse(c.text, c.overrides);
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error().code, c.code) << r.error().to_string();
		EXPECT_STREQ(r.error().field, c.field) << r.error().to_string();
		if (c.line != 0) {
			EXPECT_EQ(r.error().line, c.line) << r.error().to_string();
		}
	}
}

TEST(RunConfig, ErrorText) {
	auto r = parse("[traffic]\nrate_total = 'fast'\n");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().to_string().substr(0, 46), "gen.toml:2:14: traffic.rate_total: invalid val");
	auto o = parse("[traffic]\nrate_total=1\n", {"traffic.duration=forever"});
	ASSERT_FALSE(o);
	EXPECT_EQ(std::string(o.error().source), "command line");
	EXPECT_EQ(o.error().to_string().substr(0, 45), "command line: traffic.duration: invalid value");
}

TEST(RunConfig, Overrides) {
	const std::string file = "[traffic]\nrate_per_stream='1kpps'\nimix='simple'\nduration='10s'\n"
	                         "[thresholds]\nmax_loss_percent=1\n";
	auto r = parse(file, {"traffic.rate_total=10Mbps", "traffic.frame_size=128", "traffic.duration=1m",
	                      "traffic.direction=down", "thresholds.max_loss_percent=0.5",
	                      "thresholds.max_p99_latency_us=100", "traffic.streams_per_session=4"});
	ASSERT_TRUE(r) << r.error().to_string();
	// The override of one rate (or size) key replaces whichever the file had.
	EXPECT_FALSE(r->traffic.rate_per_stream);
	EXPECT_EQ(r->traffic.rate_total, (rate{rate_unit::bps, 10000000}));
	EXPECT_EQ(r->traffic.sizes, (size_spec{size_mode::fixed, {{128, 1}}}));
	EXPECT_EQ(r->traffic.duration_ms, 60000u);
	EXPECT_EQ(r->traffic.direction, traffic_direction::down);
	EXPECT_EQ(r->traffic.streams_per_session, 4u);
	EXPECT_EQ(r->limits.max_loss_percent, 0.5);
	EXPECT_EQ(r->limits.max_p99_latency_us, 100.0);

	// TOML values: arrays and quoted strings.
	auto l = parse(file, {"traffic.frame_sizes=[100, 200]", "traffic.imix=\"simple\""});
	ASSERT_TRUE(l) << l.error().to_string();
	EXPECT_EQ(l->traffic.sizes, simple_imix());
	// Overrides create the table when the file has none (and it may have no [traffic]).
	auto e = parse("", {"traffic.rate_per_stream=5", "thresholds.min_sessions_up=3"});
	ASSERT_TRUE(e) << e.error().to_string();
	EXPECT_EQ(e->limits.min_sessions_up, 3u);
}

TEST(RunConfig, IpVersionBoth) {
	auto b = parse("[traffic]\nrate_total=1\nip_version='both'\nframe_size=82\n");
	ASSERT_TRUE(b) << b.error().to_string();
	EXPECT_EQ(b->traffic.ip_version, ip_version_both);
	EXPECT_TRUE(b->traffic.has_ipv4());
	EXPECT_TRUE(b->traffic.has_ipv6());
	// The command line's --ip-version both / 6 (a bare string, a TOML integer).
	auto o = parse("[traffic]\nrate_total=1\nframe_size=128\n", {"traffic.ip_version=both"});
	ASSERT_TRUE(o) << o.error().to_string();
	EXPECT_EQ(o->traffic.ip_version, ip_version_both);
	auto six = parse("[traffic]\nrate_total=1\nframe_size=128\n", {"traffic.ip_version=6"});
	ASSERT_TRUE(six) << six.error().to_string();
	EXPECT_EQ(six->traffic.ip_version, 6);
	EXPECT_FALSE(six->traffic.has_ipv4());
	auto four = parse("[traffic]\nrate_total=1\n");
	ASSERT_TRUE(four);
	EXPECT_FALSE(four->traffic.has_ipv6());
	// "both": every size must carry the IPv6 headers and the signature.
	auto small = parse("[traffic]\nrate_total=1\nip_version='both'\nframe_sizes=[82, 64]\n");
	ASSERT_FALSE(small);
	EXPECT_EQ(small.error().code, config_errc::out_of_range);
	EXPECT_STREQ(small.error().field, "traffic.frame_sizes[1]");
	auto word = parse("[traffic]\nrate_total=1\nip_version='ipv6'\n");
	ASSERT_FALSE(word);
	EXPECT_EQ(word.error().code, config_errc::bad_value);
	EXPECT_STREQ(word.error().field, "traffic.ip_version");
}

TEST(RunConfig, OptionNames) {
	EXPECT_STREQ(override_key_for_option("rate"), "traffic.rate_per_stream");
	EXPECT_STREQ(override_key_for_option("max-p99-us"), "thresholds.max_p99_latency_us");
	EXPECT_EQ(override_key_for_option("rates"), nullptr);
	EXPECT_EQ(override_key_for_option(""), nullptr);
}

TEST(RunConfig, ExtraTables) {
	const std::string_view extra[] = {"lac", "port"};
	config_options o;
	o.extra_tables = extra;
	auto r = parse_run_config("[lac]\nanything = 1\n[[port]]\nx=1\n[traffic]\nrate_total=1\n", o);
	EXPECT_TRUE(r) << r.error().to_string();
}

TEST(RunConfig, Duration) {
	const struct {
		const char *text;
		uint64_t ms;
	} ok[] = {{"10s", 10000}, {"500ms", 500}, {"2m", 120000}, {"1h", 3600000}, {"1.5s", 1500}, {"0.25m", 15000}};
	for (const auto &c : ok)
		EXPECT_EQ(parse_duration_ms(c.text), c.ms) << c.text;
	for (const char *bad : {"", "s", "10", "10 s", "1.0001s", "-1s", "1.5ms", "ten s", "1d"})
		EXPECT_FALSE(parse_duration_ms(bad)) << bad;
}

TEST(RunConfig, LoadFile) {
	auto missing = load_run_config("/nonexistent/gen.toml");
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().code, config_errc::io);
	const std::string path = testing::TempDir() + "gen_run_config_test.toml";
	{
		std::ofstream f(path);
		f << "[traffic]\nrate_per_stream = '10kpps'\nframe_size = 65536\n";
	}
	auto r = load_run_config(path);
	std::remove(path.c_str());
	ASSERT_FALSE(r);
	EXPECT_EQ(std::string(r.error().source), path);
	EXPECT_EQ(r.error().line, 3u);
	EXPECT_STREQ(r.error().field, "traffic.frame_size");
}

} // namespace
} // namespace l2tpx::gen
