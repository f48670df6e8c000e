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
    : name_(std::move(name)), first_(first), last_(last), used_(last.value - first.value + 1u, false),
      queued_(used_.size(), true) {
	for (uint32_t i = 0; i < used_.size(); ++i)
		free_.push_back(i);
}

result<ipv4_addr, pool_error> ipv4_pool::allocate() {
	while (!free_.empty()) {
		const uint32_t off = free_.front();
		free_.pop_front();
		queued_[off] = false;
		if (used_[off])
			continue; // claimed while queued
		used_[off] = true;
		++in_use_;
		return ipv4_addr{first_.value + off};
	}
	return unexpected(pool_error::exhausted);
}

result<void, pool_error> ipv4_pool::claim(ipv4_addr a) {
	if (!contains(a))
		return unexpected(pool_error::out_of_range);
	const uint32_t off = a.value - first_.value;
	if (used_[off])
		return unexpected(pool_error::in_use);
	used_[off] = true;
	++in_use_;
	return {};
}

result<void, pool_error> ipv4_pool::release(ipv4_addr a) {
	if (!contains(a))
		return unexpected(pool_error::out_of_range);
	const uint32_t off = a.value - first_.value;
	if (!used_[off])
		return unexpected(pool_error::not_allocated);
	used_[off] = false;
	--in_use_;
	if (!queued_[off]) {
		queued_[off] = true;
		free_.push_back(off);
	}
	return {};
}

} // namespace l2tpx::cp::aaa
