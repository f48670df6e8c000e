// An IPv4 address pool for IPCP: addresses handed out least-recently-released first, so an
// address is not reused at once by another subscriber; specific addresses can be claimed
// (fixed per-user addresses inside the pool range).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/core/ip.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::cp::aaa {

#define L2TPX_CP_POOL_ERRORS(X)                                                                 \
	X(bad_range)     /* first > last, or a range over 2^24 addresses */                     \
	X(exhausted)     /* no free address */                                                  \
	X(out_of_range)  /* address not in this pool */                                         \
	X(in_use)        /* claim of an address already handed out */                          \
	X(not_allocated) /* release of an address not handed out (double release) */

enum class pool_error : uint8_t {
#define X(n) n,
	L2TPX_CP_POOL_ERRORS(X)
#undef X
};
std::string_view to_string(pool_error e) noexcept;

class ipv4_pool {
public:
	// [first, last], both included. Network and broadcast addresses are the operator's
	// business: a pool is a plain range.
	static result<ipv4_pool, pool_error> create(std::string name, ipv4_addr first, ipv4_addr last);

	result<ipv4_addr, pool_error> allocate();
	result<void, pool_error> claim(ipv4_addr a);
	result<void, pool_error> release(ipv4_addr a);

	bool contains(ipv4_addr a) const noexcept { return a >= first_ && a <= last_; }
	bool in_use(ipv4_addr a) const noexcept { return contains(a) && used_[a.value - first_.value]; }
	size_t size() const noexcept { return used_.size(); }
	size_t available() const noexcept { return used_.size() - in_use_; }
	const std::string &name() const noexcept { return name_; }

private:
	ipv4_pool(std::string name, ipv4_addr first, ipv4_addr last);
	std::string name_;
	ipv4_addr first_, last_;
	std::vector<bool> used_;
	std::vector<bool> queued_;  // offset is in free_ (at most once)
	std::deque<uint32_t> free_; // offsets; may hold claimed ones, skipped on allocate
	size_t in_use_ = 0;
};

} // namespace l2tpx::cp::aaa
