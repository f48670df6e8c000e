#include "controlplane/aaa/ipv6_pool.hpp"

#include <gtest/gtest.h>

#include <set>

namespace l2tpx::cp::aaa {
namespace {

nd::ipv6_prefix p6(const char *s, uint8_t len) {
	nd::ipv6_prefix p;
	EXPECT_TRUE(nd::parse_ipv6(s, p.addr)) << s;
	p.length = len;
	return p;
}

TEST(ipv6_pool, create_checks_ranges) {
	struct row {
		const char *prefix;
		uint8_t len, assign;
		bool ok;
	} rows[] = {
		{"2001:db8:100::", 48, 64, true},  {"2001:db8:100::", 56, 64, true}, {"2001:db8::", 40, 64, true},
		{"2001:db8::", 39, 64, false},     // 2^25 prefixes
		{"2001:db8:100::", 64, 64, true},  {"2001:db8:100::", 48, 65, false},
		{"2001:db8:100::1", 48, 64, false}, // host bits set
		{"2001:db8:100::", 48, 56, true},
	};
	for (const row &r : rows) {
		auto p = ipv6_pool::create("p", p6(r.prefix, r.len), r.assign);
		EXPECT_EQ(p.has_value(), r.ok) << r.prefix << "/" << int(r.len) << " assign " << int(r.assign);
		if (p && r.ok) {
			EXPECT_EQ(p->size(), size_t{1} << (r.assign - r.len));
		}
	}
}

TEST(ipv6_pool, allocates_in_order_until_exhausted_then_oldest_released) {
	auto pool = ipv6_pool::create("p", p6("2001:db8:100::", 62), 64);
	ASSERT_TRUE(pool);
	std::vector<nd::ipv6_prefix> got;
	for (int i = 0; i < 4; i++) {
		auto a = pool->allocate();
		ASSERT_TRUE(a);
		got.push_back(*a);
	}
	EXPECT_EQ(got[0], p6("2001:db8:100::", 64));
	EXPECT_EQ(got[1], p6("2001:db8:100:1::", 64));
	EXPECT_EQ(got[3], p6("2001:db8:100:3::", 64));
	EXPECT_EQ(pool->available(), 0u);
	EXPECT_EQ(pool->allocate().error(), pool_error::exhausted);
	ASSERT_TRUE(pool->release(got[2]));
	ASSERT_TRUE(pool->release(got[0]));
	EXPECT_EQ(pool->release(got[0]).error(), pool_error::not_allocated); // double release
	EXPECT_EQ(pool->available(), 2u);
	EXPECT_EQ(*pool->allocate(), got[2]); // released first, handed out first
	EXPECT_EQ(*pool->allocate(), got[0]);
	EXPECT_EQ(pool->allocate().error(), pool_error::exhausted);
}

TEST(ipv6_pool, claim_and_ranges) {
	auto pool = ipv6_pool::create("p", p6("2001:db8:100::", 48), 64);
	ASSERT_TRUE(pool);
	EXPECT_TRUE(pool->claim(p6("2001:db8:100::", 64)));
	EXPECT_EQ(pool->claim(p6("2001:db8:100::", 64)).error(), pool_error::in_use);
	EXPECT_EQ(pool->claim(p6("2001:db8:101::", 64)).error(), pool_error::out_of_range);
	EXPECT_EQ(pool->claim(p6("2001:db8:100:1::", 56)).error(), pool_error::out_of_range); // wrong length
	EXPECT_EQ(pool->claim(p6("2001:db8:100:1::1", 64)).error(), pool_error::out_of_range); // host bits
	EXPECT_EQ(pool->release(p6("2001:db8:200::", 64)).error(), pool_error::out_of_range);
	// The claimed one is skipped by allocate.
	EXPECT_EQ(*pool->allocate(), p6("2001:db8:100:1::", 64));
	EXPECT_TRUE(pool->claim(p6("2001:db8:100:ffff::", 64)));
	EXPECT_EQ(pool->available(), 65536u - 3);
}

TEST(ipv6_allocator, pools_in_order_and_fixed_prefixes) {
	ipv6_allocator a;
	a.add_pool(*ipv6_pool::create("one", p6("2001:db8:1::", 63), 64));
	a.add_pool(*ipv6_pool::create("two", p6("2001:db8:2::", 63), 64));
	EXPECT_EQ(a.available(), 4u);
	std::set<nd::ipv6_prefix> seen;
	for (int i = 0; i < 4; i++) {
		auto p = a.acquire();
		ASSERT_TRUE(p);
		EXPECT_TRUE(seen.insert(*p).second);
	}
	EXPECT_TRUE(seen.contains(p6("2001:db8:2:1::", 64)));
	EXPECT_EQ(a.acquire().error(), pool_error::exhausted);
	// A fixed prefix outside every pool: once only.
	EXPECT_TRUE(a.acquire(p6("2001:db8:99::", 64)));
	EXPECT_EQ(a.acquire(p6("2001:db8:99::", 64)).error(), pool_error::in_use);
	EXPECT_TRUE(a.release(p6("2001:db8:99::", 64)));
	EXPECT_EQ(a.release(p6("2001:db8:99::", 64)).error(), pool_error::not_allocated);
	// Inside a pool: claimed from it.
	ASSERT_TRUE(a.release(p6("2001:db8:1::", 64)));
	EXPECT_EQ(a.available(), 1u);
	EXPECT_TRUE(a.acquire(p6("2001:db8:1::", 64)));
	EXPECT_EQ(a.available(), 0u);
}

} // namespace
} // namespace l2tpx::cp::aaa
