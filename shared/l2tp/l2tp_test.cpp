// Tests for shared/l2tp: error names; replay of the fuzz target's seed corpus.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "shared/l2tp/l2tp.hpp"
#include "shared/l2tp/l2tp_test_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace l2tpx::l2tp {
namespace {

TEST(L2tpParseError, NamesAreUniqueLowercaseSnake) {
	std::set<std::string> seen;
	for (size_t i = 0; i < parse_error_count; ++i) {
		const std::string name = to_string(static_cast<parse_error>(i));
		ASSERT_NE(name, "unknown");
		EXPECT_TRUE(seen.insert(name).second) << name;
		for (char c : name)
			EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9')) << name;
		EXPECT_STRNE(describe(static_cast<parse_error>(i)), "unknown");
	}
	EXPECT_STREQ(to_string(static_cast<parse_error>(parse_error_count)), "unknown");
	EXPECT_STREQ(to_string(parse_error::truncated), "truncated");
	EXPECT_STREQ(to_string(parse_error::bad_version), "bad_version");
	EXPECT_STREQ(to_string(parse_error::bad_length), "bad_length");
}

// The fuzz target (l2tp_fuzz.cpp) aborts on any inconsistency; its seeds must all pass,
// each placed against a guard page.
TEST(L2tpFuzzCorpus, SeedsReplayCleanly) {
	test::guarded_buffer g;
	size_t files = 0;
	for (const auto &e : std::filesystem::directory_iterator(L2TPX_L2TP_FUZZ_CORPUS)) {
		if (!e.is_regular_file())
			continue;
		std::ifstream in(e.path(), std::ios::binary);
		ASSERT_TRUE(in) << e.path();
		const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		for (size_t n = 0; n <= bytes.size(); ++n) {
			auto span = g.place(std::span(bytes).first(n));
			EXPECT_EQ(LLVMFuzzerTestOneInput(span.data(), span.size()), 0);
		}
		++files;
	}
	EXPECT_GE(files, 20u);
}

} // namespace
} // namespace l2tpx::l2tp
