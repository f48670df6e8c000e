// Test helper: run the tshark oracle (tests/oracle/tshark_check.py) on a pcap from a C++
// test. Exit 0: tshark decodes every frame cleanly (and every expectation holds); 1: it
// found a problem (the output names frame and field); 2 or other: the check could not run.
#pragma once

#include <string>

namespace l2tpx::testlib {

struct oracle_verdict {
	int exit_code = -1;  // the script's exit status (-1: it could not be started)
	std::string output;  // its stdout and stderr, for the test's failure message

	bool passed() const noexcept { return exit_code == 0; }
	bool rejected() const noexcept { return exit_code == 1; }
};

// True when tshark and /usr/bin/python3 are installed (tests GTEST_SKIP otherwise).
bool oracle_available();

// Runs tshark_check.py on pcap_path, with --expect expect_json when not empty.
oracle_verdict run_tshark_check(const std::string &pcap_path, const std::string &expect_json = {});

} // namespace l2tpx::testlib
