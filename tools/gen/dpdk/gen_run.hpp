// One l2tpx-gen run on DPDK ports: EAL and ports, the worker lcores, and on the main
// lcore the LAC control plane (call_manager in the LAC role, one per LAC address), ARP,
// the setup / traffic / drain / report / hold / flap / teardown phases and the progress
// line. Also the --bench mode (TX only, no control plane).
#pragma once

#include <atomic>
#include <string>

#include "tools/gen/dpdk/gen_config.hpp"

namespace l2tpx::gen::dpdk {

// Exit status of a run.
enum exit_code : int {
	exit_pass = 0,    // every threshold met
	exit_fail = 1,    // a threshold missed, or no session came up
	exit_usage = 2,   // bad command line or run file
	exit_runtime = 3, // EAL, ports, neighbour resolution: the run could not happen
};

// stop: set from a signal handler; the run then tears down and reports what it has.
int run_generator(const gen_options &o, const std::string &argv0, const std::atomic<bool> &stop);

} // namespace l2tpx::gen::dpdk
