// Names and one-line descriptions for logs, counters and tests. Not used on the hot path.
#include <algorithm>
#include <cstdio>

#include "shared/l2tp/l2tp.hpp"

namespace l2tpx::l2tp {

const char *to_string(parse_error e) noexcept {
	switch (e) {
#define L2TPX_L2TP_PARSE_ERROR_NAME(name, desc)                                                               \
	case parse_error::name:                                                                              \
		return #name;
		L2TPX_L2TP_PARSE_ERRORS(L2TPX_L2TP_PARSE_ERROR_NAME)
#undef L2TPX_L2TP_PARSE_ERROR_NAME
	}
	return "unknown";
}

const char *describe(parse_error e) noexcept {
	switch (e) {
#define L2TPX_L2TP_PARSE_ERROR_DESC(name, desc)                                                               \
	case parse_error::name:                                                                              \
		return desc;
		L2TPX_L2TP_PARSE_ERRORS(L2TPX_L2TP_PARSE_ERROR_DESC)
#undef L2TPX_L2TP_PARSE_ERROR_DESC
	}
	return "unknown";
}

const char *to_string(packet_class c) noexcept {
	switch (c) {
	case packet_class::invalid:
		return "invalid";
	case packet_class::v2_data:
		return "v2_data";
	case packet_class::v2_control:
		return "v2_control";
	case packet_class::v3_data:
		return "v3_data";
	case packet_class::v3_control:
		return "v3_control";
	}
	return "unknown";
}

namespace {

std::string hex(std::span<const uint8_t> b) {
	static constexpr char digits[] = "0123456789abcdef";
	std::string s;
	s.reserve(b.size() * 2);
	for (uint8_t c : b) {
		s.push_back(digits[c >> 4]);
		s.push_back(digits[c & 0xf]);
	}
	return s;
}

template <typename... A> std::string fmt(const char *spec, A... args) {
	char buf[160];
	const int n = std::snprintf(buf, sizeof buf, spec, args...);
	return std::string(buf, n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof buf - 1));
}

} // namespace

std::string to_string(const v2_header &h) {
	std::string s = h.is_control() ? "v2 ctrl" : "v2 data";
	if (h.has_length())
		s += " L";
	if (h.has_sequence())
		s += " S";
	if (h.has_offset())
		s += " O";
	if (h.has_priority())
		s += " P";
	s += fmt(" tid=%u sid=%u", unsigned{h.tunnel_id.value}, unsigned{h.session_id.value});
	if (h.has_sequence())
		s += fmt(" ns=%u nr=%u", unsigned{h.ns}, unsigned{h.nr});
	if (h.has_length())
		s += fmt(" len=%u", unsigned{h.length});
	if (h.has_offset())
		s += fmt(" off=%u", unsigned{h.offset_size});
	s += fmt(" hdr=%u payload=%zu", unsigned{h.header_len}, h.payload.size());
	return s;
}

std::string to_string(const v3_data_header &h) {
	std::string s = fmt("v3 data sid=%u", unsigned{h.session_id.value});
	if (!h.cookie.empty())
		s += " cookie=" + hex(h.cookie);
	if (h.has_l2ss)
		s += h.l2ss_sequenced ? fmt(" l2ss seq=%u", unsigned{h.l2ss_seq}) : std::string(" l2ss");
	s += fmt(" hdr=%u payload=%zu", unsigned{h.header_len}, h.payload.size());
	return s;
}

std::string to_string(const v3_control_header &h) {
	return fmt("v3 ctrl ccid=%u ns=%u nr=%u len=%u hdr=%u payload=%zu", unsigned{h.ccid.value},
		      unsigned{h.ns}, unsigned{h.nr}, unsigned{h.length}, unsigned{h.header_len},
		      h.payload.size());
}

} // namespace l2tpx::l2tp
