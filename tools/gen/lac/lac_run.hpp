// One run of the LAC emulator: the control-plane library (call_manager in the LAC role,
// null dataplane) on one kernel UDP socket; calls dialled under a cap on outstanding
// setups and a setup rate; ICMP echo through every session that came up; StopCCN for
// every tunnel at the end. Single-threaded: one poll loop drives the socket, the timers
// and the pacing.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "tools/gen/lac/lac_options.hpp"
#include "tools/gen/lac/lac_report.hpp"

namespace l2tpx::gen::lac {

struct run_outcome {
	std::vector<call_stats> calls;
	double setup_wall_s = 0;
	double traffic_s = 0;
	bool traffic = false;
	std::string fatal;           // socket errors: the run did not happen
	uint64_t tx_errors = 0;      // sendto failures (EAGAIN, ENOBUFS…)
	uint64_t rx_foreign = 0;     // data messages not matched to a call
	uint32_t tunnels_opened = 0;
	uint32_t tunnels_closed_clean = 0; // StopCCN acknowledged at the end
	bool interrupted = false;
};

// stop: set from a signal handler to end the run early (teardown still happens).
// report: called once the measurements are complete, before the teardown (and before
// holding the sessions with --hold); the tunnel teardown figures come after it.
run_outcome run_lac(const lac_options &o, const std::atomic<bool> &stop,
                    const std::function<void(const run_outcome &)> &report);

} // namespace l2tpx::gen::lac
