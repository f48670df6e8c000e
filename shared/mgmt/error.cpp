#include "shared/mgmt/error.hpp"

#include <iterator>

namespace l2tpx::mgmt {

namespace {
constexpr const char *names[] = {
#define L2TPX_MGMT_ERROR_NAME(name, desc) #name,
	L2TPX_MGMT_ERRORS(L2TPX_MGMT_ERROR_NAME)
#undef L2TPX_MGMT_ERROR_NAME
};
constexpr const char *descriptions[] = {
#define L2TPX_MGMT_ERROR_DESC(name, desc) desc,
	L2TPX_MGMT_ERRORS(L2TPX_MGMT_ERROR_DESC)
#undef L2TPX_MGMT_ERROR_DESC
};
static_assert(std::size(names) == errc_count);
static_assert(std::size(descriptions) == errc_count);
} // namespace

const char *to_string(errc e) noexcept {
	auto i = static_cast<size_t>(e);
	return i < errc_count ? names[i] : "unknown";
}

const char *describe(errc e) noexcept {
	auto i = static_cast<size_t>(e);
	return i < errc_count ? descriptions[i] : "unknown error";
}

std::optional<errc> errc_from_string(std::string_view name) noexcept {
	for (size_t i = 0; i < errc_count; ++i)
		if (name == names[i])
			return static_cast<errc>(i);
	return std::nullopt;
}

} // namespace l2tpx::mgmt
