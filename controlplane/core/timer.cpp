#include "controlplane/core/timer.hpp"

namespace l2tpx::cp {

timer_handle timer_service::arm(duration after, std::function<void()> fn) {
	if (after < duration::zero())
		after = duration::zero();
	const timer_handle h = next_handle_++;
	const time_point at = now_ + after;
	queue_.emplace(key{at, h}, std::move(fn));
	index_.emplace(h, at);
	return h;
}

void timer_service::cancel(timer_handle h) noexcept {
	auto it = index_.find(h);
	if (it == index_.end())
		return;
	queue_.erase(key{it->second, h});
	index_.erase(it);
}

unsigned timer_service::advance_to(time_point t) {
	unsigned ran = 0;
	while (!queue_.empty()) {
		auto it = queue_.begin();
		if (it->first.first > t)
			break;
		now_ = std::max(now_, it->first.first);
		auto fn = std::move(it->second);
		index_.erase(it->first.second);
		queue_.erase(it);
		fn();
		++ran;
	}
	if (t > now_)
		now_ = t;
	return ran;
}

time_point timer_service::next_deadline() const noexcept {
	return queue_.empty() ? time_point::max() : queue_.begin()->first.first;
}

} // namespace l2tpx::cp
