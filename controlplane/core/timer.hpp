// Abstract clock and one-shot timers for the control plane.
//
// Every protocol object takes a timer_service&: the process drives it from its event loop
// (advance_to(steady time) once per iteration), tests drive the very same implementation
// on a simulated clock, so retransmission and keepalive timing are checked exactly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

namespace l2tpx::cp {

using duration = std::chrono::milliseconds;
// Monotonic milliseconds since an arbitrary origin.
using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

using timer_handle = uint64_t; // 0 = none

// A deterministic timer queue: callbacks run from advance_to(), in deadline order,
// ties in arming order. Callbacks may arm and cancel timers (also their own).
class timer_service {
public:
	explicit timer_service(time_point start = time_point{}) : now_(start) {}
	timer_service(const timer_service &) = delete;
	timer_service &operator=(const timer_service &) = delete;

	time_point now() const noexcept { return now_; }
	timer_handle arm(duration after, std::function<void()> fn);
	void cancel(timer_handle h) noexcept;
	bool pending(timer_handle h) const noexcept { return index_.contains(h); }

	// Moves the clock forward to t (never backwards), running every timer due on the way
	// with now() equal to its deadline. Returns the number of callbacks run.
	unsigned advance_to(time_point t);
	unsigned advance(duration d) { return advance_to(now_ + d); }
	// Earliest deadline, or time_point::max() when nothing is armed.
	time_point next_deadline() const noexcept;
	size_t armed_count() const noexcept { return index_.size(); }

private:
	using key = std::pair<time_point, timer_handle>;
	time_point now_;
	timer_handle next_handle_ = 1;
	std::map<key, std::function<void()>> queue_;
	std::unordered_map<timer_handle, time_point> index_;
};

// RAII one-shot timer owned by a protocol object: re-arming replaces the pending
// deadline, destruction cancels it, so no callback can outlive its owner.
class timer {
public:
	explicit timer(timer_service &svc) noexcept : svc_(&svc) {}
	timer(const timer &) = delete;
	timer &operator=(const timer &) = delete;
	~timer() { stop(); }

	void start(duration after, std::function<void()> fn) {
		stop();
		handle_ = svc_->arm(after, std::move(fn));
	}
	void stop() noexcept {
		if (handle_)
			svc_->cancel(handle_);
		handle_ = 0;
	}
	bool running() const noexcept { return handle_ && svc_->pending(handle_); }
	timer_service &service() const noexcept { return *svc_; }

private:
	timer_service *svc_;
	timer_handle handle_ = 0;
};

} // namespace l2tpx::cp
