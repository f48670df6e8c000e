// An IPv4 address pool for IPCP: never-used addresses first, then released ones oldest
// first, so an address is not reused at once by another subscriber; specific addresses can
// be claimed (fixed per-user addresses inside the pool range). index_pool.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "controlplane/aaa/index_pool.hpp"
#include "controlplane/core/ip.hpp"

namespace l2tpx::cp::aaa {

class ipv4_pool {
public:
	// [first, last], both included. Network and broadcast addresses are the operator's
	// business: a pool is a plain range.
	static result<ipv4_pool, pool_error> create(std::string name, ipv4_addr first, ipv4_addr last);

	result<ipv4_addr, pool_error> allocate();
	result<void, pool_error> claim(ipv4_addr a);
	result<void, pool_error> release(ipv4_addr a);

	bool contains(ipv4_addr a) const noexcept { return a >= first_ && a <= last_; }
	bool in_use(ipv4_addr a) const noexcept { return contains(a) && slots_.in_use(a.value - first_.value); }
	size_t size() const noexcept { return slots_.size(); }
	size_t available() const noexcept { return slots_.available(); }
	const std::string &name() const noexcept { return name_; }

private:
	ipv4_pool(std::string name, ipv4_addr first, ipv4_addr last);
	std::string name_;
	ipv4_addr first_, last_;
	index_pool slots_; // offset from first_
};

} // namespace l2tpx::cp::aaa
