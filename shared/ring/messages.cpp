#include "shared/ring/messages.hpp"

namespace l2tpx::ring {

const char *to_string(command_type t) noexcept {
	switch (t) {
#define L2TPX_X(name, desc)                                                                        \
	case command_type::name:                                                                       \
		return #name;
		L2TPX_RING_COMMANDS(L2TPX_X)
#undef L2TPX_X
	}
	return "?";
}

const char *to_string(status s) noexcept {
	switch (s) {
#define L2TPX_X(name, desc)                                                                        \
	case status::name:                                                                             \
		return #name;
		L2TPX_RING_STATUS(L2TPX_X)
#undef L2TPX_X
	}
	return "?";
}

const char *to_string(event_type t) noexcept {
	switch (t) {
#define L2TPX_X(name, desc)                                                                        \
	case event_type::name:                                                                         \
		return #name;
		L2TPX_RING_EVENTS(L2TPX_X)
#undef L2TPX_X
	}
	return "?";
}

} // namespace l2tpx::ring
