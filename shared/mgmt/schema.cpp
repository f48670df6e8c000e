#include "shared/mgmt/schema.hpp"

#include <iterator>
#include <utility>

namespace l2tpx::mgmt {

namespace {
constexpr const char *format_names[] = {
#define L2TPX_MGMT_FORMAT_NAME(name, desc) #name,
	L2TPX_MGMT_COLUMN_FORMATS(L2TPX_MGMT_FORMAT_NAME)
#undef L2TPX_MGMT_FORMAT_NAME
};

bool is_column(const json &c) {
	if (c.is_string())
		return true;
	if (!c.is_object())
		return false;
	auto key = c.find("key");
	if (key == c.end() || !key->is_string())
		return false;
	auto title = c.find("title");
	auto format = c.find("format");
	return (title == c.end() || title->is_string()) && (format == c.end() || format->is_string());
}
} // namespace

const char *to_string(column_format f) noexcept {
	auto i = static_cast<size_t>(f);
	return i < std::size(format_names) ? format_names[i] : "text";
}

column_format column_format_from_string(std::string_view name) noexcept {
	for (size_t i = 0; i < std::size(format_names); ++i)
		if (name == format_names[i])
			return static_cast<column_format>(i);
	return column_format::text;
}

table::table(std::vector<column> columns) : columns_(std::move(columns)) {}

bool table::add_row(std::vector<json> cells) {
	if (cells.size() != columns_.size())
		return false;
	rows_.push_back(json(std::move(cells)));
	return true;
}

json table::to_json() const {
	json cols = json::array();
	for (const auto &c : columns_)
		cols.push_back({{"key", c.key}, {"title", c.title.empty() ? c.key : c.title}, {"format", to_string(c.format)}});
	return {{"columns", std::move(cols)}, {"rows", rows_}};
}

bool is_table(const json &j) {
	if (!j.is_object())
		return false;
	auto cols = j.find("columns");
	auto rows = j.find("rows");
	if (cols == j.end() || rows == j.end() || !cols->is_array() || !rows->is_array())
		return false;
	for (const auto &c : *cols)
		if (!is_column(c))
			return false;
	for (const auto &r : *rows)
		if (!r.is_array() || r.size() != cols->size())
			return false;
	return true;
}

std::vector<column> table_columns(const json &j) {
	std::vector<column> out;
	for (const auto &c : j.at("columns")) {
		if (c.is_string()) {
			out.push_back({c.get<std::string>(), c.get<std::string>(), column_format::text});
			continue;
		}
		column col;
		col.key = c.at("key").get<std::string>();
		auto title = c.find("title");
		col.title = title != c.end() ? title->get<std::string>() : col.key;
		auto format = c.find("format");
		col.format = format != c.end() ? column_format_from_string(format->get_ref<const std::string &>())
		                               : column_format::text;
		out.push_back(std::move(col));
	}
	return out;
}

} // namespace l2tpx::mgmt
