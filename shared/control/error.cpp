#include "shared/control/error.hpp"

#include <iterator>

namespace l2tpx::ctl {

namespace {
constexpr const char *names[] = {
#define L2TPX_CTL_ERROR_NAME(name, desc) #name,
	L2TPX_CTL_ERRORS(L2TPX_CTL_ERROR_NAME)
#undef L2TPX_CTL_ERROR_NAME
};
constexpr const char *descriptions[] = {
#define L2TPX_CTL_ERROR_DESC(name, desc) desc,
	L2TPX_CTL_ERRORS(L2TPX_CTL_ERROR_DESC)
#undef L2TPX_CTL_ERROR_DESC
};
static_assert(std::size(names) == error_count);
} // namespace

const char *to_string(error e) noexcept {
	const auto i = static_cast<size_t>(e);
	return i < error_count ? names[i] : "unknown";
}

const char *describe(error e) noexcept {
	const auto i = static_cast<size_t>(e);
	return i < error_count ? descriptions[i] : "unknown error";
}

} // namespace l2tpx::ctl
