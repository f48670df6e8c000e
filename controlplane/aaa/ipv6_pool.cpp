#include "controlplane/aaa/ipv6_pool.hpp"

namespace l2tpx::cp::aaa {

namespace {

bool host_bits_zero(const nd::ipv6_prefix &p) noexcept {
	for (unsigned bit = p.length; bit < 128; ++bit)
		if (p.addr[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

bool same_network(const nd::ipv6_bytes &a, const nd::ipv6_bytes &b, unsigned len) noexcept {
	for (unsigned bit = 0; bit < len; ++bit) {
		const uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
		if ((a[bit / 8] & m) != (b[bit / 8] & m))
			return false;
	}
	return true;
}

} // namespace

result<ipv6_pool, pool_error> ipv6_pool::create(std::string name, const nd::ipv6_prefix &prefix, uint8_t assign_length) {
	if (assign_length > 64 || prefix.length > assign_length || assign_length - prefix.length > 24 ||
	    !host_bits_zero(prefix))
		return unexpected(pool_error::bad_range);
	return ipv6_pool(std::move(name), prefix, assign_length);
}

ipv6_pool::ipv6_pool(std::string name, const nd::ipv6_prefix &prefix, uint8_t assign_length)
    : name_(std::move(name)), prefix_(prefix), assign_len_(assign_length),
      slots_(size_t{1} << (assign_length - prefix.length)) {}

nd::ipv6_prefix ipv6_pool::at(uint32_t index) const noexcept {
	nd::ipv6_prefix p = prefix_;
	p.length = assign_len_;
	// The index fills bits [prefix.length, assign_length), most significant first.
	const unsigned width = assign_len_ - prefix_.length;
	for (unsigned i = 0; i < width; ++i)
		if (index & (1u << (width - 1 - i))) {
			const unsigned bit = prefix_.length + i;
			p.addr[bit / 8] = static_cast<uint8_t>(p.addr[bit / 8] | (0x80u >> (bit % 8)));
		}
	return p;
}

uint32_t ipv6_pool::index_of(const nd::ipv6_prefix &p) const noexcept {
	const unsigned width = assign_len_ - prefix_.length;
	uint32_t index = 0;
	for (unsigned i = 0; i < width; ++i) {
		const unsigned bit = prefix_.length + i;
		index = (index << 1) | ((p.addr[bit / 8] >> (7 - bit % 8)) & 1u);
	}
	return index;
}

bool ipv6_pool::contains(const nd::ipv6_prefix &p) const noexcept {
	return p.length == assign_len_ && host_bits_zero(p) && same_network(p.addr, prefix_.addr, prefix_.length);
}

result<nd::ipv6_prefix, pool_error> ipv6_pool::allocate() {
	if (const auto i = slots_.allocate())
		return at(*i);
	return unexpected(pool_error::exhausted);
}

result<void, pool_error> ipv6_pool::claim(const nd::ipv6_prefix &p) {
	if (!contains(p))
		return unexpected(pool_error::out_of_range);
	return slots_.claim(index_of(p));
}

result<void, pool_error> ipv6_pool::release(const nd::ipv6_prefix &p) {
	if (!contains(p))
		return unexpected(pool_error::out_of_range);
	return slots_.release(index_of(p));
}

} // namespace l2tpx::cp::aaa
