#include "dataplane/eal_args.hpp"

#include <algorithm>

namespace l2tpx::dp {

bool is_vdev(const std::string &devargs) { return devargs.rfind("net_", 0) == 0 || devargs.rfind("eth_", 0) == 0; }

std::string port_device_name(const std::string &devargs) { return devargs.substr(0, devargs.find(',')); }

namespace {
bool has_option(const std::vector<std::string> &args, std::initializer_list<const char *> names) {
	for (const auto &a : args)
		for (const char *n : names) {
			std::string_view s(a), name(n);
			if (s == name || (s.starts_with(name) && s.size() > name.size() && (s[name.size()] == '=' || name.size() == 2)))
				return true;
		}
	return false;
}
} // namespace

std::vector<std::string> build_eal_args(const cfg::config &c, const std::string &argv0,
                                        const std::vector<std::string> &cli_args) {
	const auto &d = c.dataplane;
	std::vector<std::string> extra = d.eal_args;
	extra.insert(extra.end(), cli_args.begin(), cli_args.end());

	std::vector<std::string> v{argv0, "--file-prefix=" + d.file_prefix, "--proc-type=primary"};
	if (!has_option(extra, {"-l", "-c", "--lcores"})) {
		std::string list = std::to_string(d.main_lcore);
		for (uint32_t w : d.worker_lcores)
			list += ',' + std::to_string(w);
		v.push_back("-l");
		v.push_back(list);
		v.push_back("--main-lcore=" + std::to_string(d.main_lcore));
	}
	bool any_pci = false;
	for (const auto &p : c.ports) {
		if (is_vdev(p.devargs)) {
			v.push_back("--vdev=" + p.devargs);
		} else {
			any_pci = true;
			v.push_back("-a");
			v.push_back(p.devargs);
		}
	}
	if (!any_pci && !has_option(extra, {"-a", "--allow", "-b", "--block", "--no-pci"}))
		v.push_back("--no-pci");
	if (!d.telemetry && !has_option(extra, {"--no-telemetry", "--telemetry"}))
		v.push_back("--no-telemetry");
	v.insert(v.end(), extra.begin(), extra.end());
	return v;
}

} // namespace l2tpx::dp
