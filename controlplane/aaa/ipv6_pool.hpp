// IPv6 prefix pools for subscribers (SLAAC over PPP, RFC 5072 §5 + RFC 4861): a pool is a
// prefix (2001:db8:100::/48) cut into prefixes of one assigned length (/64), one per
// subscriber, advertised in its Router Advertisements and installed as its downstream
// route. Prefixes never handed out go first, then released ones oldest first, so a prefix
// is not given to another subscriber right after its session ended.
#pragma once

#include <cstdint>
#include <string>

#include "controlplane/aaa/index_pool.hpp"
#include "controlplane/nd/nd_codec.hpp"

namespace l2tpx::cp::aaa {

class ipv6_pool {
public:
	// `prefix` with host bits zero, prefix.length <= assign_length <= 64, at most 2^24
	// assigned prefixes (bad_range otherwise).
	static result<ipv6_pool, pool_error> create(std::string name, const nd::ipv6_prefix &prefix, uint8_t assign_length);

	result<nd::ipv6_prefix, pool_error> allocate();
	// A specific prefix (fixed per user): must be one of this pool's assigned prefixes.
	result<void, pool_error> claim(const nd::ipv6_prefix &p);
	result<void, pool_error> release(const nd::ipv6_prefix &p);

	bool contains(const nd::ipv6_prefix &p) const noexcept;
	size_t size() const noexcept { return slots_.size(); }
	size_t available() const noexcept { return slots_.available(); }
	const std::string &name() const noexcept { return name_; }
	const nd::ipv6_prefix &prefix() const noexcept { return prefix_; }
	uint8_t assign_length() const noexcept { return assign_len_; }

private:
	ipv6_pool(std::string name, const nd::ipv6_prefix &prefix, uint8_t assign_length);
	nd::ipv6_prefix at(uint32_t index) const noexcept;
	uint32_t index_of(const nd::ipv6_prefix &p) const noexcept; // contains() first
	std::string name_;
	nd::ipv6_prefix prefix_;
	uint8_t assign_len_;
	index_pool slots_;
};

// Subscriber IPv6 prefixes from the first pool with room (index_pool.hpp).
using ipv6_allocator = pool_allocator<ipv6_pool, nd::ipv6_prefix>;

} // namespace l2tpx::cp::aaa
