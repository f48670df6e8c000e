// Byte-order helpers: unaligned big-endian loads and stores through memcpy.
// Never cast a packet buffer to a wider integer pointer; use these instead.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace l2tpx {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);

namespace detail {
template <typename T> constexpr T bswap_if_le(T v) noexcept {
	if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1)
		return v;
	else if constexpr (sizeof(T) == 2)
		return static_cast<T>(__builtin_bswap16(v));
	else if constexpr (sizeof(T) == 4)
		return static_cast<T>(__builtin_bswap32(v));
	else
		return static_cast<T>(__builtin_bswap64(v));
}
template <typename T> inline T load_be(const void *p) noexcept {
	T v;
	std::memcpy(&v, p, sizeof(v));
	return bswap_if_le(v);
}
template <typename T> inline void store_be(void *p, T v) noexcept {
	v = bswap_if_le(v);
	std::memcpy(p, &v, sizeof(v));
}
} // namespace detail

inline uint16_t load_be16(const void *p) noexcept { return detail::load_be<uint16_t>(p); }
inline uint32_t load_be32(const void *p) noexcept { return detail::load_be<uint32_t>(p); }
inline uint64_t load_be64(const void *p) noexcept { return detail::load_be<uint64_t>(p); }
inline void store_be16(void *p, uint16_t v) noexcept { detail::store_be(p, v); }
inline void store_be32(void *p, uint32_t v) noexcept { detail::store_be(p, v); }
inline void store_be64(void *p, uint64_t v) noexcept { detail::store_be(p, v); }

// Host <-> network conversions for values already in registers.
constexpr uint16_t hton16(uint16_t v) noexcept { return detail::bswap_if_le(v); }
constexpr uint32_t hton32(uint32_t v) noexcept { return detail::bswap_if_le(v); }
constexpr uint16_t ntoh16(uint16_t v) noexcept { return detail::bswap_if_le(v); }
constexpr uint32_t ntoh32(uint32_t v) noexcept { return detail::bswap_if_le(v); }

} // namespace l2tpx
