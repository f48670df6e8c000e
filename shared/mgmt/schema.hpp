// Result schema shared by the daemon and l2tpxctl, so new columns and fields need no CLI
// change:
//   list   -> table:    {"columns":[{"key":"id","title":"ID","format":"number"},...],
//                        "rows":[[42,...],...]}
//   single -> object:   {"id":42,"tunnel":7,...} (members printed in order; nested objects
//                        indented; a member that is itself a table is printed as a table)
// A column may also be a bare string (key and title, format "text"). Row cells are
// scalars; null prints as "-".
#pragma once

#include "shared/mgmt/protocol.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpx::mgmt {

// X(name, description)
#define L2TPX_MGMT_COLUMN_FORMATS(X)                                              \
	X(text, "printed as is, left-aligned")                                       \
	X(number, "integer or decimal, right-aligned")                               \
	X(duration, "seconds, printed as 3d04h05m06s, right-aligned")                \
	X(bytes, "byte count, printed with binary units (12.3 MiB), right-aligned") \
	X(address, "IP address or address:port, left-aligned")

enum class column_format : uint8_t {
#define L2TPX_MGMT_FORMAT_ENUM(name, desc) name,
	L2TPX_MGMT_COLUMN_FORMATS(L2TPX_MGMT_FORMAT_ENUM)
#undef L2TPX_MGMT_FORMAT_ENUM
};

const char *to_string(column_format f) noexcept;
// Unknown names map to text, so an older CLI still prints a newer daemon's tables.
column_format column_format_from_string(std::string_view name) noexcept;

struct column {
	std::string key;   // stable machine name ("rx_bytes")
	std::string title; // header printed by the CLI ("RX bytes")
	column_format format = column_format::text;
};

// Builds a table result. Rows whose width differs from the column count are refused.
class table {
public:
	explicit table(std::vector<column> columns);
	bool add_row(std::vector<json> cells);
	size_t size() const noexcept { return rows_.size(); }
	json to_json() const;

private:
	std::vector<column> columns_;
	json rows_ = json::array();
};

// True when `j` has the table shape above: a "columns" array of strings or column objects
// and a "rows" array of arrays, each as wide as the columns.
bool is_table(const json &j);
// Reads the columns of a table (is_table(j) must hold).
std::vector<column> table_columns(const json &j);

} // namespace l2tpx::mgmt
