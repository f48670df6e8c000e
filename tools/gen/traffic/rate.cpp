#include "tools/gen/traffic/rate.hpp"

#include <numeric>

namespace l2tpx::gen {

std::optional<rate> parse_rate(std::string_view s) noexcept {
	rate r;
	if (s.ends_with("pps")) {
		r.unit = rate_unit::pps;
		s.remove_suffix(3);
	} else if (s.ends_with("bps")) {
		r.unit = rate_unit::bps;
		s.remove_suffix(3);
	}
	uint64_t scale = 1;
	if (!s.empty()) {
		switch (s.back()) {
		case 'k': scale = 1000; break;
		case 'M': scale = 1000000; break;
		case 'G': scale = 1000000000; break;
		case 'T': scale = 1000000000000; break;
		default: break;
		}
		if (scale != 1)
			s.remove_suffix(1);
	}
	if (s.empty())
		return std::nullopt;
	const auto v = parse_scaled_decimal(s, scale, UINT64_MAX / scale / 2);
	if (!v)
		return std::nullopt;
	r.value = *v;
	if (r.value == 0 || r.value > (uint64_t(1) << 50))
		return std::nullopt;
	return r;
}

std::optional<uint64_t> parse_scaled_decimal(std::string_view s, uint64_t scale, uint64_t max_whole) noexcept {
	uint64_t whole = 0, frac = 0, frac_div = 1;
	bool dot = false, digits = false;
	for (char c : s) {
		if (c == '.' && !dot) {
			dot = true;
			continue;
		}
		if (c < '0' || c > '9')
			return std::nullopt;
		digits = true;
		if (!dot) {
			if (whole > (max_whole - uint64_t(c - '0')) / 10)
				return std::nullopt;
			whole = whole * 10 + uint64_t(c - '0');
		} else {
			if (frac_div >= 1000000000000)
				return std::nullopt;
			frac = frac * 10 + uint64_t(c - '0');
			frac_div *= 10;
		}
	}
	uint64_t scaled_whole, scaled_frac, v;
	if (!digits || __builtin_mul_overflow(frac, scale, &scaled_frac) || scaled_frac % frac_div != 0 ||
	    __builtin_mul_overflow(whole, scale, &scaled_whole) ||
	    __builtin_add_overflow(scaled_whole, scaled_frac / frac_div, &v))
		return std::nullopt;
	return v;
}

std::string format_rate(const rate &r) {
	static constexpr struct {
		uint64_t div;
		const char *prefix;
	} units[] = {{1000000000000, "T"}, {1000000000, "G"}, {1000000, "M"}, {1000, "k"}};
	std::string suffix = r.unit == rate_unit::pps ? "pps" : "bps";
	for (const auto &u : units) {
		if (r.value >= u.div && r.value % u.div == 0)
			return std::to_string(r.value / u.div) + u.prefix + suffix;
	}
	return std::to_string(r.value) + suffix;
}

size_spec simple_imix() { return size_spec{size_mode::imix, {{64, 7}, {594, 4}, {1518, 1}}}; }

std::vector<uint16_t> build_size_pattern(const size_spec &spec) {
	if (spec.entries.empty())
		return {};
	uint32_t g = 0;
	for (const auto &e : spec.entries) {
		if (e.weight == 0 || e.size == 0)
			return {};
		g = std::gcd(g, e.weight);
	}
	uint64_t total = 0;
	for (const auto &e : spec.entries)
		total += e.weight / g;
	if (total > max_pattern_length)
		return {};
	// Smooth weighted round robin: each step every entry gains its weight, the largest
	// current value is picked and loses the total.
	std::vector<int64_t> current(spec.entries.size(), 0);
	std::vector<uint16_t> out;
	out.reserve(total);
	for (uint64_t n = 0; n < total; n++) {
		size_t best = 0;
		for (size_t i = 0; i < spec.entries.size(); i++) {
			current[i] += spec.entries[i].weight / g;
			if (current[i] > current[best])
				best = i;
		}
		current[best] -= static_cast<int64_t>(total);
		out.push_back(spec.entries[best].size);
	}
	return out;
}

double mean_frame_size(const size_spec &spec) noexcept {
	double sum = 0, weights = 0;
	for (const auto &e : spec.entries) {
		sum += double(e.size) * e.weight;
		weights += e.weight;
	}
	return weights > 0 ? sum / weights : 0.0;
}

} // namespace l2tpx::gen
