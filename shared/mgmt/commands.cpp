#include "shared/mgmt/commands.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace l2tpx::mgmt {

namespace {

struct flag_name {
	std::string_view name;
	uint32_t bits;
};
constexpr flag_name flag_names[] = {
	{"control", debug_control}, {"sequence", debug_sequence}, {"data", debug_data},
	{"ppp", debug_ppp},         {"seq", debug_sequence},     {"all", debug_all},
	{"none", debug_none},
};

bool iequal(std::string_view a, std::string_view b) {
	if (a.size() != b.size())
		return false;
	for (size_t i = 0; i < a.size(); ++i)
		if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
			return false;
	return true;
}

std::optional<uint32_t> parse_number(std::string_view s) {
	int base = 10;
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s.remove_prefix(2);
	}
	uint32_t v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
	if (ec != std::errc() || end != s.data() + s.size())
		return std::nullopt;
	return v;
}

} // namespace

std::optional<uint32_t> parse_debug_mask(std::string_view text) {
	if (text.empty())
		return std::nullopt;
	if (std::isdigit(static_cast<unsigned char>(text[0]))) {
		auto v = parse_number(text);
		if (!v || (*v & ~debug_all) != 0)
			return std::nullopt;
		return v;
	}
	uint32_t mask = 0;
	while (true) {
		auto sep = text.find_first_of(",+|");
		auto item = text.substr(0, sep);
		bool known = false;
		for (const auto &f : flag_names)
			if (iequal(item, f.name)) {
				mask |= f.bits;
				known = true;
				break;
			}
		if (!known)
			return std::nullopt;
		if (sep == std::string_view::npos)
			return mask;
		text.remove_prefix(sep + 1);
	}
}

std::string format_debug_mask(uint32_t mask) {
	if (mask == debug_none)
		return "none";
	if (mask == debug_all)
		return "all";
	std::string out;
	for (const auto &f : flag_names) {
		if (f.name == "seq" || f.name == "all" || f.name == "none" || (mask & f.bits) == 0)
			continue;
		if (!out.empty())
			out += ',';
		out += f.name;
	}
	if (uint32_t rest = mask & ~debug_all) {
		char buf[16];
		std::snprintf(buf, sizeof(buf), "0x%x", rest);
		if (!out.empty())
			out += ',';
		out += buf;
	}
	return out;
}

} // namespace l2tpx::mgmt
