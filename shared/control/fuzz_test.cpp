// Replays the fuzz seed corpus (fuzz_corpus/control) through the fuzz target as a unit test:
// the target aborts on any broken invariant, the sanitizer build catches memory errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

TEST(ControlFuzzCorpus, ReplaysEverySeed) {
	size_t n = 0;
	for (const auto &e : std::filesystem::directory_iterator(L2TPX_CONTROL_FUZZ_CORPUS)) {
		std::ifstream in(e.path(), std::ios::binary);
		std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		LLVMFuzzerTestOneInput(buf.data(), buf.size());
		// Every prefix too: the cheapest hostile inputs.
		for (size_t len = 0; len < buf.size(); ++len) {
			std::vector<uint8_t> prefix(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
			LLVMFuzzerTestOneInput(prefix.data(), prefix.size());
		}
		++n;
	}
	EXPECT_GE(n, 100u);
}

} // namespace
