#include "tools/l2tpxctl/render.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace l2tpx::l2tpxctl {

namespace {

using mgmt::column_format;
using mgmt::json;

bool right_aligned(column_format f) {
	return f == column_format::number || f == column_format::duration || f == column_format::bytes;
}

bool is_scalar_list(const json &v) {
	return v.is_array() && std::all_of(v.begin(), v.end(), [](const json &e) { return e.is_primitive(); });
}

std::string pad(std::string_view s, size_t width, bool right) {
	size_t w = display_width(s);
	std::string fill(width > w ? width - w : 0, ' ');
	return right ? fill + std::string(s) : std::string(s) + fill;
}

void render_object(const json &obj, size_t indent, std::string &out);

// A member value that needs its own block below "key:" (object, table, list of objects).
bool is_block(const json &v) { return v.is_object() || (v.is_array() && !is_scalar_list(v)); }

void render_block(const json &v, size_t indent, std::string &out) {
	if (mgmt::is_table(v)) {
		out += render_table(v, indent);
	} else if (v.is_object()) {
		render_object(v, indent, out);
	} else {
		// A list of objects: "- " marks the start of each element.
		for (const auto &e : v) {
			std::string item;
			if (e.is_object() && !mgmt::is_table(e))
				render_object(e, indent + 2, item);
			else if (is_block(e))
				render_block(e, indent + 2, item);
			else
				item = std::string(indent + 2, ' ') + format_value(e) + "\n";
			if (item.size() >= indent + 2)
				item.replace(indent, 2, "- ");
			out += item;
		}
	}
}

void render_object(const json &obj, size_t indent, std::string &out) {
	size_t width = 0;
	for (auto it = obj.begin(); it != obj.end(); ++it)
		if (!is_block(it.value()))
			width = std::max(width, display_width(sanitize(it.key())) + 1);
	for (auto it = obj.begin(); it != obj.end(); ++it) {
		std::string key = sanitize(it.key()) + ":";
		const json &v = it.value();
		if (is_block(v)) {
			out += std::string(indent, ' ') + key + (v.empty() ? " -" : "") + "\n";
			if (!v.empty())
				render_block(v, indent + 2, out);
			continue;
		}
		out += std::string(indent, ' ') + pad(key, width, false) + " " + format_value(v) + "\n";
	}
}

} // namespace

std::string sanitize(std::string_view s) {
	std::string out;
	out.reserve(s.size());
	for (unsigned char c : s) {
		if (c < 0x20 || c == 0x7f) {
			char buf[8];
			std::snprintf(buf, sizeof(buf), "\\x%02x", c);
			out += buf;
		} else {
			out += static_cast<char>(c);
		}
	}
	return out;
}

size_t display_width(std::string_view s) {
	return static_cast<size_t>(
		std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string format_duration(uint64_t s) {
	char buf[64];
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	if (d > 0)
		std::snprintf(buf, sizeof(buf), "%llud%02lluh%02llum%02llus", static_cast<unsigned long long>(d),
		              static_cast<unsigned long long>(h), static_cast<unsigned long long>(m),
		              static_cast<unsigned long long>(sec));
	else if (h > 0)
		std::snprintf(buf, sizeof(buf), "%lluh%02llum%02llus", static_cast<unsigned long long>(h),
		              static_cast<unsigned long long>(m), static_cast<unsigned long long>(sec));
	else if (m > 0)
		std::snprintf(buf, sizeof(buf), "%llum%02llus", static_cast<unsigned long long>(m),
		              static_cast<unsigned long long>(sec));
	else
		std::snprintf(buf, sizeof(buf), "%llus", static_cast<unsigned long long>(sec));
	return buf;
}

std::string format_bytes(uint64_t b) {
	if (b < 1024)
		return std::to_string(b) + " B";
	static constexpr const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = static_cast<double>(b) / 1024.0;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < std::size(units)) {
		v /= 1024.0;
		++u;
	}
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
	return buf;
}

std::string format_value(const json &v, column_format f) {
	if (v.is_null())
		return "-";
	if (v.is_boolean())
		return v.get<bool>() ? "yes" : "no";
	if (v.is_string())
		return sanitize(v.get_ref<const std::string &>());
	if (v.is_number()) {
		bool whole = v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
		if (f == column_format::duration && (whole || (v.is_number_float() && v.get<double>() >= 0)))
			return format_duration(whole ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<double>()));
		if (f == column_format::bytes && whole)
			return format_bytes(v.get<uint64_t>());
		return mgmt::dump(v);
	}
	if (is_scalar_list(v)) {
		std::string out;
		for (const auto &e : v) {
			if (!out.empty())
				out += ", ";
			out += format_value(e, f);
		}
		return out.empty() ? "-" : out;
	}
	return sanitize(mgmt::dump(v));
}

std::string render_table(const json &t, size_t indent) {
	auto cols = mgmt::table_columns(t);
	const json &rows = t.at("rows");
	std::vector<std::vector<std::string>> cells;
	std::vector<size_t> width(cols.size());
	for (size_t c = 0; c < cols.size(); ++c)
		width[c] = display_width(sanitize(cols[c].title));
	for (const auto &r : rows) {
		auto &line = cells.emplace_back();
		for (size_t c = 0; c < cols.size(); ++c) {
			line.push_back(format_value(r[c], cols[c].format));
			width[c] = std::max(width[c], display_width(line.back()));
		}
	}
	auto emit = [&](auto &&cell_text) {
		std::string line(indent, ' ');
		for (size_t c = 0; c < cols.size(); ++c) {
			bool last = c + 1 == cols.size();
			bool right = right_aligned(cols[c].format);
			std::string text = cell_text(c);
			// No padding after a left-aligned last column: no trailing blanks.
			line += last && !right ? text : pad(text, width[c], right);
			if (!last)
				line += "  ";
		}
		return line + "\n";
	};
	std::string out = emit([&](size_t c) { return sanitize(cols[c].title); });
	for (const auto &line : cells)
		out += emit([&](size_t c) { return line[c]; });
	return out;
}

std::string render(const json &result) {
	if (result.is_null())
		return {};
	if (mgmt::is_table(result))
		return render_table(result);
	std::string out;
	if (result.is_object()) {
		render_object(result, 0, out);
	} else if (result.is_array() && !is_scalar_list(result)) {
		render_block(result, 0, out);
	} else if (result.is_array()) {
		for (const auto &e : result)
			out += format_value(e) + "\n";
	} else {
		out = format_value(result) + "\n";
	}
	return out;
}

} // namespace l2tpx::l2tpxctl
