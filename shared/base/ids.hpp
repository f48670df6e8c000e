// Strong ID types: a tunnel ID cannot be passed where a session ID is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace l2tpx {

template <typename Tag, typename Rep> struct strong_id {
	Rep value{};
	constexpr strong_id() = default;
	constexpr explicit strong_id(Rep v) noexcept : value(v) {}
	constexpr auto operator<=>(const strong_id &) const = default;
	constexpr explicit operator bool() const noexcept { return value != 0; }
};

// L2TPv2: 16-bit IDs. L2TPv3: 32-bit control connection and session IDs.
using tunnel_id_v2 = strong_id<struct tunnel_id_v2_tag, uint16_t>;
using session_id_v2 = strong_id<struct session_id_v2_tag, uint16_t>;
using ccid_v3 = strong_id<struct ccid_v3_tag, uint32_t>;
using session_id_v3 = strong_id<struct session_id_v3_tag, uint32_t>;

} // namespace l2tpx

template <typename Tag, typename Rep> struct std::hash<l2tpx::strong_id<Tag, Rep>> {
	size_t operator()(const l2tpx::strong_id<Tag, Rep> &id) const noexcept { return std::hash<Rep>{}(id.value); }
};
