#include "shared/base/byteorder.hpp"
#include "shared/base/ids.hpp"
#include "shared/base/result.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

using namespace l2tpx;

TEST(byteorder, load_store_unaligned) {
	std::array<uint8_t, 16> b{};
	store_be16(&b[1], 0x1234);
	store_be32(&b[3], 0xdeadbeef);
	store_be64(&b[7], 0x0102030405060708ull);
	EXPECT_EQ(b[1], 0x12);
	EXPECT_EQ(b[2], 0x34);
	EXPECT_EQ(b[3], 0xde);
	EXPECT_EQ(b[6], 0xef);
	EXPECT_EQ(b[7], 0x01);
	EXPECT_EQ(b[14], 0x08);
	EXPECT_EQ(load_be16(&b[1]), 0x1234);
	EXPECT_EQ(load_be32(&b[3]), 0xdeadbeefu);
	EXPECT_EQ(load_be64(&b[7]), 0x0102030405060708ull);
	EXPECT_EQ(hton16(0x0102), ntoh16(0x0102));
}

enum class test_err : uint8_t { bad = 1 };

static result<std::string, test_err> half(int v) {
	if (v % 2)
		return unexpected{test_err::bad};
	return std::to_string(v / 2);
}

TEST(result, value_and_error) {
	auto a = half(8);
	ASSERT_TRUE(a);
	EXPECT_EQ(*a, "4");
	auto b = half(3);
	ASSERT_FALSE(b);
	EXPECT_EQ(b.error(), test_err::bad);
	b = a;
	ASSERT_TRUE(b);
	EXPECT_EQ(b.value(), "4");
	result<void, test_err> v;
	EXPECT_TRUE(v);
	result<void, test_err> e = unexpected{test_err::bad};
	EXPECT_FALSE(e);
}

TEST(ids, strong_types) {
	tunnel_id_v2 t{5};
	EXPECT_TRUE(t);
	EXPECT_FALSE(tunnel_id_v2{});
	EXPECT_LT(tunnel_id_v2{1}, t);
	static_assert(!std::is_convertible_v<tunnel_id_v2, session_id_v2>);
}
