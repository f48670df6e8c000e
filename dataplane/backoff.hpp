// Idle back-off of a polling loop: spin (pause) for a number of empty polls, then sleep,
// doubling the sleep from 1 µs up to a maximum. Work resets it. DPDK-free and clock-free:
// the caller does the pausing/sleeping, so the policy is unit tested without EAL.
#pragma once

#include "shared/config/config.hpp"

#include <cstdint>

namespace l2tpx::dp {

class idle_backoff {
public:
	explicit idle_backoff(const cfg::idle_backoff &c) noexcept : spin_polls_(c.spin_polls), max_sleep_us_(c.max_sleep_us) {}

	enum class action : uint8_t { none, pause, sleep };

	// Call once per loop iteration with the amount of work done (packets, messages).
	// Returns what to do before the next iteration; for sleep, sleep_us() says how long.
	action on_poll(uint32_t work) noexcept {
		if (work != 0) {
			empty_ = 0;
			sleep_us_ = 0;
			return action::none;
		}
		if (empty_ < spin_polls_) {
			empty_++;
			return action::pause;
		}
		if (max_sleep_us_ == 0)
			return action::pause;
		sleep_us_ = sleep_us_ == 0 ? 1 : (sleep_us_ * 2 > max_sleep_us_ ? max_sleep_us_ : sleep_us_ * 2);
		return action::sleep;
	}
	uint32_t sleep_us() const noexcept { return sleep_us_; }
	bool sleeping() const noexcept { return sleep_us_ != 0; }

private:
	uint32_t spin_polls_;
	uint32_t max_sleep_us_;
	uint32_t empty_ = 0;
	uint32_t sleep_us_ = 0;
};

} // namespace l2tpx::dp
