#include "controlplane/aaa/address_pool.hpp"

namespace l2tpx::cp::aaa {

std::string_view to_string(pool_error e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case pool_error::n:                                                                        \
		return #n;
		L2TPX_CP_POOL_ERRORS(X)
#undef X
	}
	return "unknown";
}

result<ipv4_pool, pool_error> ipv4_pool::create(std::string name, ipv4_addr first, ipv4_addr last) {
	if (first > last || last.value - first.value >= (1u << 24))
		return unexpected(pool_error::bad_range);
	return ipv4_pool(std::move(name), first, last);
}

ipv4_pool::ipv4_pool(std::string name, ipv4_addr first, ipv4_addr last)
    : name_(std::move(name)), first_(first), last_(last), slots_(last.value - first.value + size_t{1}) {}

result<ipv4_addr, pool_error> ipv4_pool::allocate() {
	if (const auto off = slots_.allocate())
		return ipv4_addr{first_.value + *off};
	return unexpected(pool_error::exhausted);
}

result<void, pool_error> ipv4_pool::claim(ipv4_addr a) {
	if (!contains(a))
		return unexpected(pool_error::out_of_range);
	return slots_.claim(a.value - first_.value);
}

result<void, pool_error> ipv4_pool::release(ipv4_addr a) {
	if (!contains(a))
		return unexpected(pool_error::out_of_range);
	return slots_.release(a.value - first_.value);
}

std::optional<uint32_t> index_pool::allocate() noexcept {
	while (next_fresh_ < used_.size()) {
		const uint32_t i = next_fresh_++;
		if (!used_[i]) { // else claimed before it was ever handed out
			used_[i] = true;
			++in_use_;
			return i;
		}
	}
	while (!released_.empty()) {
		const uint32_t i = released_.front();
		released_.pop_front();
		queued_[i] = false;
		if (used_[i])
			continue; // claimed while queued
		used_[i] = true;
		++in_use_;
		return i;
	}
	return std::nullopt;
}

result<void, pool_error> index_pool::claim(uint32_t i) noexcept {
	if (used_[i])
		return unexpected(pool_error::in_use);
	used_[i] = true;
	++in_use_;
	return {};
}

result<void, pool_error> index_pool::release(uint32_t i) {
	if (!used_[i])
		return unexpected(pool_error::not_allocated);
	used_[i] = false;
	--in_use_;
	if (i < next_fresh_ && !queued_[i]) { // above next_fresh_: still comes in fresh order
		queued_[i] = true;
		released_.push_back(i);
	}
	return {};
}

} // namespace l2tpx::cp::aaa
