// Errors of the L2TP header parsers, from one X-macro list so each can be printed and counted.
// The names are stable: the dataplane uses them as drop-counter names.
#pragma once

#include <cstddef>
#include <cstdint>

// X(name, description)
#define L2TPX_L2TP_PARSE_ERRORS(X)                                                                    \
	X(truncated, "buffer ends before a header field, the offset padding or the declared Length")      \
	X(bad_version, "Ver field is not the version this parser handles")                               \
	X(bad_length, "Length field is smaller than the header it describes")                            \
	X(control_without_length, "control message (T=1) with L=0")                                      \
	X(control_without_sequence, "control message (T=1) with S=0")                                    \
	X(control_with_offset, "L2TPv2 control message (T=1) with O=1")                                  \
	X(control_with_priority, "L2TPv2 control message (T=1) with P=1")                                \
	X(not_data, "data parser given a control message (T=1, or L2TPv3/IP Session ID 0)")              \
	X(not_control, "control parser given a data message (T=0, or L2TPv3/IP Session ID not 0)")       \
	X(bad_session_id, "L2TPv3 data message over UDP with Session ID 0")                              \
	X(bad_cookie_length, "session's cookie length is not 0, 4 or 8 (configuration error)")          \
	X(cookie_mismatch, "L2TPv3 cookie differs from the session's cookie")

namespace l2tpx::l2tp {

enum class parse_error : uint8_t {
#define L2TPX_L2TP_PARSE_ERROR_ENUM(name, desc) name,
	L2TPX_L2TP_PARSE_ERRORS(L2TPX_L2TP_PARSE_ERROR_ENUM)
#undef L2TPX_L2TP_PARSE_ERROR_ENUM
};

inline constexpr size_t parse_error_count = 0
#define L2TPX_L2TP_PARSE_ERROR_COUNT(name, desc) +1
	L2TPX_L2TP_PARSE_ERRORS(L2TPX_L2TP_PARSE_ERROR_COUNT)
#undef L2TPX_L2TP_PARSE_ERROR_COUNT
	;

// Short name ("truncated"), stable: usable as a counter name. "unknown" when out of range.
const char *to_string(parse_error e) noexcept;
// One-line human description.
const char *describe(parse_error e) noexcept;

} // namespace l2tpx::l2tp
