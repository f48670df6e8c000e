#include "tools/gen/traffic/run_config.hpp"

#include "shared/config/config_loader.hpp"

#include "tools/gen/traffic/payload.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace l2tpx::gen {

const char *to_string(config_errc e) noexcept {
	switch (e) {
#define L2TPX_X(name, text)                                                                        \
	case config_errc::name:                                                                        \
		return text;
		L2TPX_GEN_CONFIG_ERRORS(L2TPX_X)
#undef L2TPX_X
	}
	return "?";
}

const char *to_string(traffic_direction d) noexcept {
	switch (d) {
	case traffic_direction::up: return "up";
	case traffic_direction::down: return "down";
	case traffic_direction::both: return "both";
	}
	return "?";
}

std::string config_error::to_string() const {
	return cfg::format_located_error(source, line, column, field, gen::to_string(code), detail);
}

std::optional<uint64_t> parse_duration_ms(std::string_view s) noexcept {
	uint64_t scale_ms = 0; // milliseconds per unit
	if (s.ends_with("ms")) {
		scale_ms = 1;
		s.remove_suffix(2);
	} else if (s.ends_with("s")) {
		scale_ms = 1000;
		s.remove_suffix(1);
	} else if (s.ends_with("m")) {
		scale_ms = 60000;
		s.remove_suffix(1);
	} else if (s.ends_with("h")) {
		scale_ms = 3600000;
		s.remove_suffix(1);
	} else {
		return std::nullopt;
	}
	return parse_scaled_decimal(s, scale_ms, 1000000000); // fractions of a millisecond: nullopt
}

namespace {

struct option_key {
	const char *option;
	const char *key;
};
constexpr option_key option_keys[] = {
    {"rate", "traffic.rate_per_stream"},
    {"rate-total", "traffic.rate_total"},
    {"duration", "traffic.duration"},
    {"drain", "traffic.drain"},
    {"max-lag", "traffic.max_lag"},
    {"frame-size", "traffic.frame_size"},
    {"frame-sizes", "traffic.frame_sizes"},
    {"imix", "traffic.imix"},
    {"direction", "traffic.direction"},
    {"streams-per-session", "traffic.streams_per_session"},
    {"ip-version", "traffic.ip_version"},
    {"max-loss", "thresholds.max_loss_percent"},
    {"min-sessions-up", "thresholds.min_sessions_up"},
    {"max-p99-us", "thresholds.max_p99_latency_us"},
};

// Keys of which at most one may be set; an override of one removes the others.
const std::vector<std::vector<std::string_view>> exclusive_groups = {
    {"rate_per_stream", "rate_total"},
    {"frame_size", "frame_sizes", "imix"},
};

constexpr uint64_t max_duration_ms = 30ull * 24 * 3600 * 1000;

class loader {
public:
	explicit loader(const config_options &o) : opts_(o) {}

	result<run_config, config_error> run(std::string_view text) {
		toml::table root;
		try {
			root = toml::parse(text, opts_.source_name);
		} catch (const toml::parse_error &e) {
			fail(config_errc::syntax, &e.source(), "", std::string(e.description()));
			return unexpected(err_);
		}
		if (!apply_overrides(root) || !check_tables(root) || !read_traffic(root) || !read_thresholds(root))
			return unexpected(err_);
		return cfg_;
	}

	bool fail(config_errc code, const toml::source_region *where, std::string_view field, std::string detail) {
		err_ = config_error{};
		err_.code = code;
		bool from_cli = false;
		for (const auto &k : overridden_)
			if (field == k || (field.starts_with(k) && field.size() > k.size() &&
			                   (field[k.size()] == '[' || field[k.size()] == '.')))
				from_cli = true;
		const std::string source = from_cli ? "command line" : std::string(opts_.source_name);
		std::snprintf(err_.source, sizeof(err_.source), "%s", source.c_str());
		if (where != nullptr && !from_cli) {
			err_.line = where->begin.line;
			err_.column = where->begin.column;
		}
		std::snprintf(err_.field, sizeof(err_.field), "%.*s", int(field.size()), field.data());
		std::snprintf(err_.detail, sizeof(err_.detail), "%s", detail.c_str());
		return false;
	}
	const config_error &error() const { return err_; }

private:
	bool fail_at(config_errc code, const toml::node &n, std::string_view field, std::string detail) {
		return fail(code, &n.source(), field, std::move(detail));
	}

	bool apply_overrides(toml::table &root) {
		for (const std::string &ov : opts_.overrides) {
			const size_t eq = ov.find('=');
			const std::string key = ov.substr(0, eq);
			const size_t dot = key.find('.');
			if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == key.size() ||
			    key.find('.', dot + 1) != std::string::npos) {
				err_ = config_error{};
				return fail(config_errc::bad_override, nullptr, "", "expected table.key=value, got \"" + ov + "\"");
			}
			const std::string table = key.substr(0, dot), name = key.substr(dot + 1), value = ov.substr(eq + 1);
			if (table != "traffic" && table != "thresholds") {
				overridden_.insert(key);
				return fail(config_errc::unknown_table, nullptr, key, "overrides apply to [traffic] and [thresholds]");
			}
			toml::node_view existing = root[table];
			if (existing && !existing.is_table())
				return fail_at(config_errc::wrong_type, *existing.node(), table, "expected a table");
			if (!existing)
				root.insert(table, toml::table{});
			toml::table &t = *root[table].as_table();
			bool parsed = false;
			try {
				const std::string doc = "v = " + value;
				toml::table v = toml::parse(std::string_view(doc), std::string_view("command line"));
				if (v.size() == 1 && v.contains("v")) {
					t.insert_or_assign(name, *v.get("v"));
					parsed = true;
				}
			} catch (const toml::parse_error &) {
			}
			if (!parsed)
				t.insert_or_assign(name, value); // a bare string: 30s, simple, 10Mbps
			for (const auto &group : exclusive_groups)
				if (std::find(group.begin(), group.end(), name) != group.end())
					for (std::string_view other : group)
						if (other != name)
							t.erase(other);
			overridden_.insert(key);
		}
		return true;
	}

	bool check_tables(const toml::table &root) {
		for (const auto &[k, v] : root) {
			const std::string_view name = k.str();
			if (name == "traffic" || name == "thresholds") {
				if (!v.is_table())
					return fail_at(config_errc::wrong_type, v, name, "expected a table");
				continue;
			}
			if (std::find(opts_.extra_tables.begin(), opts_.extra_tables.end(), name) == opts_.extra_tables.end())
				return fail_at(config_errc::unknown_table, v, name, "expected [traffic] or [thresholds]");
		}
		return true;
	}

	bool check_keys(const toml::table &t, std::string_view table, std::initializer_list<std::string_view> known) {
		for (const auto &[k, v] : t) {
			if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
				std::string allowed;
				for (auto n : known)
					allowed += (allowed.empty() ? "" : ", ") + std::string(n);
				return fail_at(config_errc::unknown_key, v, std::string(table) + "." + std::string(k.str()),
				               "known keys: " + allowed);
			}
		}
		return true;
	}

	// Integer in [lo, hi].
	bool get_uint(const toml::node &n, const std::string &field, int64_t lo, int64_t hi, int64_t &out) {
		const auto v = n.value_exact<int64_t>();
		if (!v)
			return fail_at(config_errc::wrong_type, n, field, "expected an integer");
		if (*v < lo || *v > hi)
			return fail_at(config_errc::out_of_range, n, field,
			               "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::to_string(*v));
		out = *v;
		return true;
	}

	// Integer or float.
	bool get_number(const toml::node &n, const std::string &field, double &out) {
		if (const auto i = n.value_exact<int64_t>())
			out = double(*i);
		else if (const auto f = n.value_exact<double>())
			out = *f;
		else
			return fail_at(config_errc::wrong_type, n, field, "expected a number");
		return true;
	}

	bool get_rate(const toml::node &n, const std::string &field, std::optional<rate> &out) {
		if (const auto i = n.value_exact<int64_t>()) {
			if (*i <= 0)
				return fail_at(config_errc::out_of_range, n, field, "a rate must be positive");
			out = rate{rate_unit::pps, uint64_t(*i)};
			return true;
		}
		const auto s = n.value_exact<std::string>();
		if (!s)
			return fail_at(config_errc::wrong_type, n, field, "expected a rate such as \"10kpps\" or \"100Mbps\"");
		out = parse_rate(*s);
		if (!out)
			return fail_at(config_errc::bad_value, n, field,
			               "\"" + *s + "\" is not a rate: a positive number with pps or bps and an optional k/M/G/T "
			                           "prefix, e.g. \"10kpps\", \"2.5Gbps\"");
		return true;
	}

	bool get_duration(const toml::node &n, const std::string &field, bool allow_zero, uint64_t &out) {
		double seconds = 0;
		if (const auto s = n.value_exact<std::string>()) {
			const auto ms = parse_duration_ms(*s);
			if (!ms)
				return fail_at(config_errc::bad_value, n, field,
				               "\"" + *s + "\" is not a duration: a number with ms, s, m or h, e.g. \"30s\"");
			out = *ms;
		} else if (n.is_number()) {
			if (!get_number(n, field, seconds))
				return false;
			if (seconds < 0 || seconds * 1000 > double(max_duration_ms))
				return fail_at(config_errc::out_of_range, n, field, "must be 0..30 days");
			out = static_cast<uint64_t>(seconds * 1000 + 0.5);
		} else {
			return fail_at(config_errc::wrong_type, n, field, "expected a duration such as \"30s\" or a number of seconds");
		}
		if (out > max_duration_ms)
			return fail_at(config_errc::out_of_range, n, field, "must be at most 30 days");
		if (out == 0 && !allow_zero)
			return fail_at(config_errc::out_of_range, n, field, "must be positive");
		return true;
	}

	bool get_size(const toml::node &n, const std::string &field, uint16_t &out) {
		int64_t v = 0;
		if (!get_uint(n, field, 1, max_frame_size, v))
			return false;
		out = static_cast<uint16_t>(v);
		sized_fields_.push_back({&n, field});
		return true;
	}

	bool read_imix(const toml::node &n, traffic_config &tc) {
		if (const auto s = n.value_exact<std::string>()) {
			if (*s != "simple")
				return fail_at(config_errc::bad_value, n, "traffic.imix",
				               "\"" + *s + "\": expected \"simple\" (7 x 64, 4 x 594, 1 x 1518) or a list of "
				                           "{ size = N, weight = W }");
			tc.sizes = simple_imix();
			simple_imix_node_ = &n;
			return true;
		}
		const toml::array *a = n.as_array();
		if (a == nullptr)
			return fail_at(config_errc::wrong_type, n, "traffic.imix", "expected \"simple\" or an array");
		if (a->empty())
			return fail_at(config_errc::bad_value, n, "traffic.imix", "the list is empty");
		size_spec spec{size_mode::imix, {}};
		uint64_t weights = 0;
		for (size_t i = 0; i < a->size(); i++) {
			const toml::node &e = *a->get(i);
			const std::string f = "traffic.imix[" + std::to_string(i) + "]";
			const toml::node *size = nullptr, *weight = nullptr;
			if (const toml::table *t = e.as_table()) {
				if (!check_keys(*t, f, {"size", "weight"}))
					return false;
				size = t->get("size");
				weight = t->get("weight");
				if (size == nullptr)
					return fail_at(config_errc::missing_key, e, f + ".size", "each entry needs a size");
				if (weight == nullptr)
					return fail_at(config_errc::missing_key, e, f + ".weight", "each entry needs a weight");
			} else if (const toml::array *pair = e.as_array(); pair != nullptr && pair->size() == 2) {
				size = pair->get(0);
				weight = pair->get(1);
			} else {
				return fail_at(config_errc::wrong_type, e, f, "expected { size = N, weight = W } or [N, W]");
			}
			size_weight sw;
			int64_t w = 0;
			if (!get_size(*size, f + ".size", sw.size) || !get_uint(*weight, f + ".weight", 1, max_pattern_length, w))
				return false;
			sw.weight = static_cast<uint32_t>(w);
			weights += sw.weight;
			spec.entries.push_back(sw);
		}
		if (build_size_pattern(spec).empty())
			return fail_at(config_errc::out_of_range, n, "traffic.imix",
			               "weights (" + std::to_string(weights) + " in all, after dividing by their common divisor) must "
			               "add up to at most " + std::to_string(max_pattern_length));
		tc.sizes = std::move(spec);
		return true;
	}

	bool read_traffic(const toml::table &root) {
		const toml::table *t = root["traffic"].as_table();
		if (t == nullptr)
			return fail(config_errc::missing_key, nullptr, "traffic", "the [traffic] table is required");
		if (!check_keys(*t, "traffic",
		                {"rate_per_stream", "rate_total", "frame_size", "frame_sizes", "imix", "duration", "drain",
		                 "max_lag", "direction", "streams_per_session", "ip_version", "report_top"}))
			return false;
		traffic_config &tc = cfg_.traffic;

		const toml::node *per = t->get("rate_per_stream"), *total = t->get("rate_total");
		if (per && total)
			return fail_at(config_errc::conflict, *total, "traffic.rate_total", "set rate_per_stream or rate_total, not both");
		if (!per && !total)
			return fail(config_errc::missing_key, &t->source(), "traffic.rate_per_stream",
			            "set traffic.rate_per_stream or traffic.rate_total");
		if (per && !get_rate(*per, "traffic.rate_per_stream", tc.rate_per_stream))
			return false;
		if (total && !get_rate(*total, "traffic.rate_total", tc.rate_total))
			return false;

		const toml::node *fs = t->get("frame_size"), *fss = t->get("frame_sizes"), *imix = t->get("imix");
		if (int(fs != nullptr) + int(fss != nullptr) + int(imix != nullptr) > 1) {
			const toml::node *second = imix ? imix : fss;
			return fail_at(config_errc::conflict, *second, imix ? "traffic.imix" : "traffic.frame_sizes",
			               "set one of frame_size, frame_sizes, imix");
		}
		if (fs) {
			uint16_t size = 0;
			if (!get_size(*fs, "traffic.frame_size", size))
				return false;
			tc.sizes = size_spec{size_mode::fixed, {{size, 1}}};
		} else if (fss) {
			const toml::array *a = fss->as_array();
			if (a == nullptr)
				return fail_at(config_errc::wrong_type, *fss, "traffic.frame_sizes", "expected an array of frame sizes");
			if (a->empty() || a->size() > max_pattern_length)
				return fail_at(config_errc::out_of_range, *fss, "traffic.frame_sizes",
				               "must hold 1.." + std::to_string(max_pattern_length) + " sizes");
			size_spec spec{size_mode::list, {}};
			for (size_t i = 0; i < a->size(); i++) {
				uint16_t size = 0;
				if (!get_size(*a->get(i), "traffic.frame_sizes[" + std::to_string(i) + "]", size))
					return false;
				spec.entries.push_back({size, 1});
			}
			tc.sizes = std::move(spec);
		} else if (imix && !read_imix(*imix, tc)) {
			return false;
		}

		if (const toml::node *n = t->get("duration"); n && !get_duration(*n, "traffic.duration", false, tc.duration_ms))
			return false;
		if (const toml::node *n = t->get("drain"); n && !get_duration(*n, "traffic.drain", true, tc.drain_ms))
			return false;
		if (const toml::node *n = t->get("max_lag"); n && !get_duration(*n, "traffic.max_lag", false, tc.max_lag_ms))
			return false;
		if (const toml::node *n = t->get("direction")) {
			const auto s = n->value_exact<std::string>();
			if (!s)
				return fail_at(config_errc::wrong_type, *n, "traffic.direction", "expected \"up\", \"down\" or \"both\"");
			if (*s == "up")
				tc.direction = traffic_direction::up;
			else if (*s == "down")
				tc.direction = traffic_direction::down;
			else if (*s == "both")
				tc.direction = traffic_direction::both;
			else
				return fail_at(config_errc::bad_value, *n, "traffic.direction",
				               "\"" + *s + "\": expected \"up\", \"down\" or \"both\"");
		}
		int64_t v = 0;
		if (const toml::node *n = t->get("streams_per_session")) {
			if (!get_uint(*n, "traffic.streams_per_session", 1, 1024, v))
				return false;
			tc.streams_per_session = static_cast<uint32_t>(v);
		}
		if (const toml::node *n = t->get("report_top")) {
			if (!get_uint(*n, "traffic.report_top", 0, 100000, v))
				return false;
			tc.report_top = static_cast<uint32_t>(v);
		}
		const toml::node *ipv = t->get("ip_version");
		if (ipv) {
			if (const auto str = ipv->value_exact<std::string>(); str && *str == "both") {
				tc.ip_version = ip_version_both;
			} else if (ipv->is_string()) {
				return fail_at(config_errc::bad_value, *ipv, "traffic.ip_version",
				               "\"" + *str + "\": expected 4, 6 or \"both\"");
			} else {
				if (!get_uint(*ipv, "traffic.ip_version", 4, 6, v))
					return false;
				if (v == 5)
					return fail_at(config_errc::out_of_range, *ipv, "traffic.ip_version", "must be 4, 6 or \"both\"");
				tc.ip_version = static_cast<uint8_t>(v);
			}
		}

		// Every frame must carry the inner headers and at least the short signature.
		const int family = tc.has_ipv6() ? 6 : 4; // "both": every size must fit IPv6
		const uint16_t min_size = static_cast<uint16_t>(min_frame_size(family, false));
		const std::string why = "is below " + std::to_string(min_size) + ", the smallest IPv" +
		                        std::to_string(family) + "/UDP frame that carries the test signature";
		if (simple_imix_node_ != nullptr && tc.sizes.entries.front().size < min_size)
			return fail_at(config_errc::out_of_range, *simple_imix_node_, "traffic.imix",
			               "the simple IMIX's 64-byte frame " + why + ": list the sizes instead");
		for (const auto &[node, field] : sized_fields_) {
			const auto size = node->value_exact<int64_t>();
			if (size && *size < min_size)
				return fail_at(config_errc::out_of_range, *node, field, std::to_string(*size) + " " + why);
		}
		return true;
	}

	bool read_thresholds(const toml::table &root) {
		const toml::table *t = root["thresholds"].as_table();
		if (t == nullptr)
			return true;
		if (!check_keys(*t, "thresholds", {"max_loss_percent", "min_sessions_up", "max_p99_latency_us"}))
			return false;
		thresholds &th = cfg_.limits;
		double d = 0;
		if (const toml::node *n = t->get("max_loss_percent")) {
			if (!get_number(*n, "thresholds.max_loss_percent", d))
				return false;
			if (!(d >= 0 && d <= 100))
				return fail_at(config_errc::out_of_range, *n, "thresholds.max_loss_percent", "must be 0..100");
			th.max_loss_percent = d;
		}
		if (const toml::node *n = t->get("min_sessions_up")) {
			int64_t v = 0;
			if (!get_uint(*n, "thresholds.min_sessions_up", 0, UINT32_MAX, v))
				return false;
			th.min_sessions_up = static_cast<uint32_t>(v);
		}
		if (const toml::node *n = t->get("max_p99_latency_us")) {
			if (!get_number(*n, "thresholds.max_p99_latency_us", d))
				return false;
			if (!(d > 0 && d < 1e12))
				return fail_at(config_errc::out_of_range, *n, "thresholds.max_p99_latency_us", "must be positive");
			th.max_p99_latency_us = d;
		}
		return true;
	}

	const config_options &opts_;
	config_error err_;
	run_config cfg_;
	std::set<std::string> overridden_;
	std::vector<std::pair<const toml::node *, std::string>> sized_fields_;
	const toml::node *simple_imix_node_ = nullptr;
};

} // namespace

result<run_config, config_error> parse_run_config(std::string_view text, const config_options &opts) {
	loader l(opts);
	return l.run(text);
}

result<run_config, config_error> load_run_config(const std::string &path, const config_options &opts) {
	std::ifstream in(path, std::ios::binary);
	std::ostringstream ss;
	if (in)
		ss << in.rdbuf();
	if (!in || in.bad()) {
		config_error e;
		e.code = config_errc::io;
		std::snprintf(e.source, sizeof(e.source), "%s", path.c_str());
		std::snprintf(e.detail, sizeof(e.detail), "%s", std::strerror(errno));
		return unexpected(e);
	}
	config_options o = opts;
	if (o.source_name == "<config>")
		o.source_name = path;
	const std::string text = ss.str();
	return parse_run_config(text, o);
}

const char *override_key_for_option(std::string_view option) noexcept {
	for (const auto &ok : option_keys)
		if (option == ok.option)
			return ok.key;
	return nullptr;
}

} // namespace l2tpx::gen
