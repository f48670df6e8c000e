// Human output of l2tpxctl, built generically from the result schema (shared/mgmt/schema.hpp):
// tables as aligned columns, objects as aligned "key: value" lines, nested objects indented.
// Control characters from the daemon (user names, host names sent by peers) are escaped,
// so a hostile peer cannot drive the operator's terminal.
#pragma once

#include "shared/mgmt/schema.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace l2tpx::l2tpxctl {

// Whole result, ending in '\n' unless empty (a null result prints nothing).
std::string render(const mgmt::json &result);
std::string render_table(const mgmt::json &table, size_t indent = 0);

// One cell or value: null "-", booleans yes/no, strings escaped, formats applied.
std::string format_value(const mgmt::json &v, mgmt::column_format f = mgmt::column_format::text);
// 3d04h05m06s; 0s.
std::string format_duration(uint64_t seconds);
// 512 B, 1.5 KiB, 12.3 MiB ...
std::string format_bytes(uint64_t bytes);
// Control characters (and DEL) replaced by \xNN; valid UTF-8 is kept.
std::string sanitize(std::string_view s);
// Terminal columns taken by a sanitized string (UTF-8 code points).
size_t display_width(std::string_view s);

} // namespace l2tpx::l2tpxctl
