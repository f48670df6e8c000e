#include "tests/lib/oracle.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#ifndef L2TPX_TSHARK_CHECK
#error "the build passes the path of tests/oracle/tshark_check.py as L2TPX_TSHARK_CHECK"
#endif

namespace l2tpx::testlib {

namespace {

// Single-quotes s for /bin/sh.
std::string sh_quote(const std::string &s) {
	std::string q = "'";
	for (char c : s) {
		if (c == '\'')
			q += "'\\''";
		else
			q += c;
	}
	return q + "'";
}

} // namespace

bool oracle_available() {
	return access("/usr/bin/python3", X_OK) == 0 &&
	       std::system("command -v tshark >/dev/null 2>&1") == 0;
}

oracle_verdict run_tshark_check(const std::string &pcap_path, const std::string &expect_json) {
	std::string cmd = "/usr/bin/python3 " + sh_quote(L2TPX_TSHARK_CHECK) + " " + sh_quote(pcap_path);
	if (!expect_json.empty())
		cmd += " --expect " + sh_quote(expect_json);
	cmd += " 2>&1";

	oracle_verdict v;
	FILE *p = popen(cmd.c_str(), "r");
	if (p == nullptr) {
		v.output = "popen failed: " + cmd;
		return v;
	}
	std::array<char, 4096> buf;
	size_t n;
	while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
		v.output.append(buf.data(), n);
	const int status = pclose(p);
	v.exit_code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
	return v;
}

} // namespace l2tpx::testlib
