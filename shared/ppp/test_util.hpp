// Helpers shared by the PPP codec tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace l2tpx::ppp::testing {

inline std::string hex(std::span<const uint8_t> b) {
	static const char digits[] = "0123456789abcdef";
	std::string s;
	for (uint8_t c : b) {
		s += digits[c >> 4];
		s += digits[c & 15];
	}
	return s;
}

inline ::testing::AssertionResult same_bytes(std::span<const uint8_t> got, std::span<const uint8_t> want) {
	if (std::ranges::equal(got, want))
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure() << "got  " << hex(got) << "\nwant " << hex(want);
}

// True when `inner` lies within `outer` (parsers must never point outside their input).
inline bool within(std::span<const uint8_t> inner, std::span<const uint8_t> outer) {
	if (inner.empty())
		return true;
	return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

inline std::span<const uint8_t> str(const char *s) {
	return {reinterpret_cast<const uint8_t *>(s), std::char_traits<char>::length(s)};
}

} // namespace l2tpx::ppp::testing
