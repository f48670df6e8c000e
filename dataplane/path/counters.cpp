#include "dataplane/path/counters.hpp"

namespace l2tpx::dp {

namespace {
constexpr const char *drop_names[] = {
#define X(name, desc) #name,
#include "dataplane/path/drop_reasons.def"
#undef X
};
constexpr const char *drop_descs[] = {
#define X(name, desc) desc,
#include "dataplane/path/drop_reasons.def"
#undef X
};
constexpr const char *event_names[] = {
#define X(name, desc) #name,
#include "dataplane/path/counters.def"
#undef X
};
constexpr const char *event_descs[] = {
#define X(name, desc) desc,
#include "dataplane/path/counters.def"
#undef X
};
} // namespace

const char *to_string(drop_reason r) noexcept {
	const auto i = static_cast<size_t>(r);
	return i < drop_reason_count ? drop_names[i] : "?";
}
const char *to_string(path_event e) noexcept {
	const auto i = static_cast<size_t>(e);
	return i < path_event_count ? event_names[i] : "?";
}
const char *description(drop_reason r) noexcept {
	const auto i = static_cast<size_t>(r);
	return i < drop_reason_count ? drop_descs[i] : "?";
}
const char *description(path_event e) noexcept {
	const auto i = static_cast<size_t>(e);
	return i < path_event_count ? event_descs[i] : "?";
}
std::optional<drop_reason> drop_reason_from_string(std::string_view name) noexcept {
	for (size_t i = 0; i < drop_reason_count; i++)
		if (name == drop_names[i])
			return static_cast<drop_reason>(i);
	return std::nullopt;
}
std::optional<path_event> path_event_from_string(std::string_view name) noexcept {
	for (size_t i = 0; i < path_event_count; i++)
		if (name == event_names[i])
			return static_cast<path_event>(i);
	return std::nullopt;
}

} // namespace l2tpx::dp
