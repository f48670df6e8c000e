// Corpus replayer: the same fuzz target built without libFuzzer runs every file of its seed
// corpus as an ordinary test (under g++ and under ASan/UBSan). Fails only by crashing or
// by a sanitizer report, exactly like a fuzzer would.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool run_file(const std::filesystem::path &p) {
	std::ifstream in(p, std::ios::binary);
	if (!in)
		return false;
	std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	// Copy into an exact-size heap buffer so ASan sees any read past the end.
	std::vector<uint8_t> exact(buf.begin(), buf.end());
	LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
	return true;
}

int main(int argc, char **argv) {
	size_t n = 0;
	for (int i = 1; i < argc; i++) {
		std::filesystem::path arg(argv[i]);
		std::error_code ec;
		if (std::filesystem::is_directory(arg, ec)) {
			for (const auto &e : std::filesystem::recursive_directory_iterator(arg))
				if (e.is_regular_file())
					n += run_file(e.path());
		} else if (!run_file(arg)) {
			std::fprintf(stderr, "replay: cannot read %s\n", argv[i]);
			return 1;
		}
	}
	// Every prefix of an empty input, too: the parsers must accept zero bytes.
	LLVMFuzzerTestOneInput(nullptr, 0);
	if (n == 0) {
		std::fprintf(stderr, "replay: no corpus files found\n");
		return 1;
	}
	std::printf("replayed %zu corpus files\n", n);
	return 0;
}
