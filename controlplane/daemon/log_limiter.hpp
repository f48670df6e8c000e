// Rate limit for log lines a peer can trigger: at most `per_second` lines per kind in each
// one-second window; the lines dropped are counted and reported with the next one allowed.
#pragma once

#include <cstdint>

#include "controlplane/core/timer.hpp"

namespace l2tpx::cp::daemon {

class log_limiter {
public:
	explicit log_limiter(uint32_t per_second) noexcept : per_second_(per_second) {}

	// true: log now; `suppressed` is how many were dropped since the last allowed line.
	bool allow(time_point now, uint64_t &suppressed) noexcept {
		if (now - window_ >= duration(1000)) {
			window_ = now;
			used_ = 0;
		}
		if (used_ >= per_second_) {
			++dropped_;
			return false;
		}
		++used_;
		suppressed = dropped_;
		dropped_ = 0;
		return true;
	}

private:
	uint32_t per_second_;
	time_point window_{};
	uint32_t used_ = 0;
	uint64_t dropped_ = 0;
};

} // namespace l2tpx::cp::daemon
