// IPv6 prefix pools for subscribers (SLAAC over PPP, RFC 5072 §5 + RFC 4861): a pool is a
// prefix (2001:db8:100::/48) cut into prefixes of one assigned length (/64), one per
// subscriber, advertised in its Router Advertisements and installed as its downstream
// route. Prefixes never handed out go first, then released ones oldest first, so a prefix
// is not given to another subscriber right after its session ended.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controlplane/aaa/address_pool.hpp"
#include "controlplane/nd/nd_codec.hpp"
#include "shared/base/result.hpp"

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
	size_t size() const noexcept { return used_.size(); }
	size_t available() const noexcept { return used_.size() - in_use_; }
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
	std::vector<bool> used_;
	std::vector<bool> queued_;  // index is in released_ (at most once)
	uint32_t next_fresh_ = 0;   // indexes below were handed out at least once (or skipped)
	std::deque<uint32_t> released_;
	size_t in_use_ = 0;
};

// Subscriber IPv6 prefixes from the first pool with room; a fixed prefix inside a pool is
// claimed from it, outside any pool tracked here so it is never given twice.
class ipv6_allocator {
public:
	void add_pool(ipv6_pool p) { pools_.push_back(std::move(p)); }
	result<nd::ipv6_prefix, pool_error> acquire(std::optional<nd::ipv6_prefix> fixed = std::nullopt);
	result<void, pool_error> release(const nd::ipv6_prefix &p);
	size_t available() const noexcept;
	bool empty() const noexcept { return pools_.empty(); }
	const std::vector<ipv6_pool> &pools() const noexcept { return pools_; }

private:
	std::vector<ipv6_pool> pools_;
	std::set<nd::ipv6_prefix> fixed_in_use_;
};

} // namespace l2tpx::cp::aaa
