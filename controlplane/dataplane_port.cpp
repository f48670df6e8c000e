#include "controlplane/dataplane_port.hpp"

namespace l2tpx::cp {

std::string_view to_string(dp_error e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case dp_error::n:                                                                          \
		return #n;
		L2TPX_CP_DP_ERRORS(X)
#undef X
	}
	return "unknown";
}

result<void, dp_error> recording_dataplane::prepare_session(const session_install &s) {
	if (fail_next_prepare) {
		fail_next_prepare = false;
		return unexpected(dp_error::unavailable);
	}
	const session_key key{s.local_tunnel, s.local_session};
	if (sessions.contains(key) || !prepared.emplace(key, s).second)
		return unexpected(dp_error::duplicate);
	return {};
}

result<void, dp_error> recording_dataplane::install_session(const session_install &s) {
	if (fail_next_install) {
		fail_next_install = false;
		return unexpected(dp_error::unavailable);
	}
	if (sessions.size() >= capacity)
		return unexpected(dp_error::table_full);
	if (!sessions.emplace(session_key{s.local_tunnel, s.local_session}, s).second)
		return unexpected(dp_error::duplicate);
	prepared.erase(session_key{s.local_tunnel, s.local_session});
	installs.push_back(s);
	return {};
}

result<void, dp_error> recording_dataplane::update_session(const session_install &s) {
	auto it = sessions.find(session_key{s.local_tunnel, s.local_session});
	if (it == sessions.end())
		return unexpected(dp_error::unavailable);
	it->second = s;
	updates.push_back(s);
	return {};
}

void recording_dataplane::remove_session(tunnel_id_v2 t, session_id_v2 s) {
	prepared.erase(session_key{t, s});
	if (sessions.erase(session_key{t, s}))
		removals.emplace_back(t, s);
}

void recording_dataplane::remove_tunnel(tunnel_id_v2 t) {
	std::erase_if(prepared, [t](const auto &e) { return e.first.first == t; });
	for (auto it = sessions.begin(); it != sessions.end();) {
		if (it->first.first == t) {
			removals.push_back(it->first);
			it = sessions.erase(it);
		} else {
			++it;
		}
	}
}

} // namespace l2tpx::cp
