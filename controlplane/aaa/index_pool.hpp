// What the IPv4 address pools and the IPv6 prefix pools share: a range of N slots
// (addresses, or prefixes of the assigned length) handed out by index, never-used slots
// first in order, then released ones oldest first, so a value is not given to another
// subscriber right after its session ended; specific slots can be claimed (fixed per-user
// values). And the allocator over several pools with fixed values outside every pool.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/result.hpp"

namespace l2tpx::cp::aaa {

#define L2TPX_CP_POOL_ERRORS(X)                                                                 \
	X(bad_range)     /* first > last, or a range over 2^24 values */                        \
	X(exhausted)     /* no free value */                                                    \
	X(out_of_range)  /* value not in this pool */                                           \
	X(in_use)        /* claim of a value already handed out */                              \
	X(not_allocated) /* release of a value not handed out (double release) */

enum class pool_error : uint8_t {
#define X(n) n,
	L2TPX_CP_POOL_ERRORS(X)
#undef X
};
std::string_view to_string(pool_error e) noexcept;

// Slots 0..size-1. Callers check the index range (out_of_range is theirs to report).
class index_pool {
public:
	explicit index_pool(size_t size) : used_(size, false), queued_(size, false) {}

	std::optional<uint32_t> allocate() noexcept;
	result<void, pool_error> claim(uint32_t i) noexcept;
	result<void, pool_error> release(uint32_t i);

	bool in_use(uint32_t i) const noexcept { return used_[i]; }
	size_t size() const noexcept { return used_.size(); }
	size_t available() const noexcept { return used_.size() - in_use_; }

private:
	std::vector<bool> used_;
	std::vector<bool> queued_;  // index is in released_ (at most once)
	uint32_t next_fresh_ = 0;   // indexes below were handed out at least once (or skipped)
	std::deque<uint32_t> released_;
	size_t in_use_ = 0;
};

// Values from the first pool with room; a fixed value inside a pool is claimed from it,
// outside every pool it is tracked here so two sessions never get the same one.
// Pool: contains(V), allocate() -> result<V>, claim(V), release(V), available().
template <typename Pool, typename V> class pool_allocator {
public:
	void add_pool(Pool p) { pools_.push_back(std::move(p)); }

	result<V, pool_error> acquire(std::optional<V> fixed = std::nullopt) {
		if (fixed) {
			for (auto &p : pools_)
				if (p.contains(*fixed)) {
					if (auto r = p.claim(*fixed); !r)
						return unexpected(r.error());
					return *fixed;
				}
			if (!fixed_in_use_.insert(*fixed).second)
				return unexpected(pool_error::in_use);
			return *fixed;
		}
		for (auto &p : pools_)
			if (auto r = p.allocate())
				return r;
		return unexpected(pool_error::exhausted);
	}

	result<void, pool_error> release(const V &v) {
		for (auto &p : pools_)
			if (p.contains(v))
				return p.release(v);
		if (fixed_in_use_.erase(v) == 0)
			return unexpected(pool_error::not_allocated);
		return {};
	}

	size_t available() const noexcept {
		size_t n = 0;
		for (const auto &p : pools_)
			n += p.available();
		return n;
	}
	bool empty() const noexcept { return pools_.empty(); }
	const std::vector<Pool> &pools() const noexcept { return pools_; }

private:
	std::vector<Pool> pools_;
	std::set<V> fixed_in_use_;
};

} // namespace l2tpx::cp::aaa
