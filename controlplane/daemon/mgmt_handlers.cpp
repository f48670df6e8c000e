// Management socket handlers of l2tpx-controlplane (commands in shared/mgmt/commands.hpp),
// answered from the protocol library's live state.
#include <spdlog/spdlog.h>

#include "controlplane/daemon/daemon.hpp"
#include "shared/mgmt/commands.hpp"
#include "shared/mgmt/schema.hpp"
#include "shared/mgmt/server.hpp"

namespace l2tpx::cp::daemon {

namespace {

using mgmt::column;
using mgmt::column_format;
using mgmt::failure;
using mgmt::json;
using mgmt::outcome;

double seconds_since(time_point then, time_point now) {
	return static_cast<double>((now - then).count()) / 1000.0;
}

failure not_found(std::string what) { return failure{mgmt::errc::not_found, std::move(what)}; }

json tunnel_object(tunnel &t, time_point now) {
	json o = json::object();
	o["id"] = t.local_id().value;
	o["peer_id"] = t.peer_id().value;
	o["peer"] = to_string(t.peer());
	o["peer_host"] = t.peer_host_name();
	o["state"] = std::string(to_string(t.state()));
	o["sessions"] = t.session_count();
	o["uptime"] = seconds_since(t.created(), now);
	o["peer_rws"] = t.peer_rws();
	if (t.state() == tunnel_state::closed || t.state() == tunnel_state::closing || t.state() == tunnel_state::dead) {
		o["result"] = t.cause().result;
		o["error"] = t.cause().error;
		o["message"] = t.cause().message;
	}
	json tr = json::object();
	const transport_stats &s = t.transport().stats();
#define X(n) tr[#n] = s.n;
	L2TPX_CP_TRANSPORT_COUNTERS(X)
#undef X
	o["transport"] = tr;
	return o;
}

} // namespace

void daemon::register_mgmt(mgmt::server &srv, bool admin) {
	// Commands that change state (clear, debug, reload): on the read-only socket they are
	// answered with an error naming the admin socket.
	auto guarded = [&srv, admin](std::string_view cmd, mgmt::server::handler h) {
		if (admin) {
			srv.add(std::string(cmd), std::move(h));
			return;
		}
		srv.add(std::string(cmd), [c = std::string(cmd)](const json &) -> outcome<json> {
			return failure{mgmt::errc::unavailable,
			               "read-only management socket: \"" + c + "\" needs the admin socket (controlplane.mgmt_socket)"};
		});
	};
	auto lib = [this]() -> call_manager * { return calls_.get(); };
	auto unavailable = [] { return failure{mgmt::errc::unavailable, "shutting down"}; };

	srv.add(std::string(mgmt::cmd::version), [](const json &) -> outcome<json> {
		json o = json::object();
		o["name"] = "l2tpx-controlplane";
		o["version"] = "0.1.0";
		o["protocol"] = mgmt::protocol_version;
		o["ring_abi"] = ring::abi_version;
		return o;
	});

	srv.add(std::string(mgmt::cmd::show_tunnels), [=, this](const json &) -> outcome<json> {
		call_manager *cm = lib();
		if (!cm)
			return unavailable();
		mgmt::table tb({{"id", "Tunnel", column_format::number},
		                {"peer_id", "Peer tunnel", column_format::number},
		                {"peer", "Peer", column_format::address},
		                {"host", "Host name", column_format::text},
		                {"state", "State", column_format::text},
		                {"sessions", "Sessions", column_format::number},
		                {"uptime", "Up", column_format::duration}});
		const time_point now = timers_.now();
		cm->l2tp().for_each_tunnel([&](tunnel &t) {
			tb.add_row({t.local_id().value, t.peer_id().value, to_string(t.peer()), t.peer_host_name(),
			            std::string(to_string(t.state())), t.session_count(), seconds_since(t.created(), now)});
		});
		return tb.to_json();
	});

	srv.add(std::string(mgmt::cmd::show_sessions), [=, this](const json &args) -> outcome<json> {
		call_manager *cm = lib();
		if (!cm)
			return unavailable();
		std::optional<uint64_t> only;
		if (args.contains("tunnel")) {
			auto t = mgmt::uint_arg(args, "tunnel", 1, 65535);
			if (!t)
				return t.error();
			only = t.value();
		}
		mgmt::table tb({{"tunnel", "Tunnel", column_format::number},
		                {"id", "Session", column_format::number},
		                {"peer_id", "Peer session", column_format::number},
		                {"state", "State", column_format::text},
		                {"ppp", "PPP", column_format::text},
		                {"user", "User", column_format::text},
		                {"address", "Address", column_format::address},
		                {"uptime", "Up", column_format::duration}});
		const time_point now = timers_.now();
		cm->l2tp().for_each_tunnel([&](tunnel &t) {
			if (only && t.local_id().value != *only)
				return;
			t.for_each_session([&](session &s) {
				const ppp::ppp_link *l = cm->link(t.local_id(), s.local_id());
				auto up = up_since_.find(session_key{t.local_id(), s.local_id()});
				tb.add_row({t.local_id().value, s.local_id().value, s.peer_id().value,
				            std::string(to_string(s.state())), l ? json(std::string(ppp::to_string(l->phase()))) : json(),
				            l && !l->user().empty() ? json(l->user()) : json(),
				            l && l->network_is_up() ? json(to_string(l->peer_ipv4())) : json(),
				            up != up_since_.end() ? json(seconds_since(up->second, now)) : json()});
			});
		});
		return tb.to_json();
	});

	srv.add(std::string(mgmt::cmd::show_tunnel), [=, this](const json &args) -> outcome<json> {
		call_manager *cm = lib();
		if (!cm)
			return unavailable();
		auto id = mgmt::uint_arg(args, "id", 1, 65535);
		if (!id)
			return id.error();
		tunnel *t = cm->l2tp().find_tunnel(tunnel_id_v2{static_cast<uint16_t>(id.value())});
		if (!t)
			return not_found("no tunnel " + std::to_string(id.value()));
		json o = tunnel_object(*t, timers_.now());
		o["debug"] = mgmt::format_debug_mask(debug_mask_tunnel(t->local_id().value));
		return o;
	});

	// Session IDs are chosen per tunnel; "show session" takes an optional "tunnel" to pick
	// one when two tunnels use the same ID (else the first match is shown).
	auto find_session = [=](const json &args, tunnel *&tout) -> outcome<session *> {
		call_manager *cm = lib();
		if (!cm)
			return unavailable();
		auto id = mgmt::uint_arg(args, "id", 1, 65535);
		if (!id)
			return id.error();
		std::optional<uint64_t> tid;
		if (args.contains("tunnel")) {
			auto t = mgmt::uint_arg(args, "tunnel", 1, 65535);
			if (!t)
				return t.error();
			tid = t.value();
		}
		session *found = nullptr;
		cm->l2tp().for_each_tunnel([&](tunnel &t) {
			if (found || (tid && t.local_id().value != *tid))
				return;
			if (session *s = t.find_session(session_id_v2{static_cast<uint16_t>(id.value())})) {
				found = s;
				tout = &t;
			}
		});
		if (!found)
			return not_found("no session " + std::to_string(id.value()));
		return found;
	};

	srv.add(std::string(mgmt::cmd::show_session), [=, this](const json &args) -> outcome<json> {
		tunnel *t = nullptr;
		auto r = find_session(args, t);
		if (!r)
			return r.error();
		session &s = *r.value();
		const ppp::ppp_link *l = calls_->link(t->local_id(), s.local_id());
		json o = json::object();
		o["id"] = s.local_id().value;
		o["tunnel"] = t->local_id().value;
		o["peer_id"] = s.peer_id().value;
		o["peer_tunnel"] = t->peer_id().value;
		o["peer"] = to_string(t->peer());
		o["state"] = std::string(to_string(s.state()));
		o["direction"] = s.direction() == call_direction::incoming ? "incoming" : "outgoing";
		o["calling_number"] = s.params().calling_number;
		o["called_number"] = s.params().called_number;
		o["tx_connect_speed"] = s.params().tx_connect_speed;
		o["sequencing"] = s.params().sequencing_required;
		if (l) {
			json p = json::object();
			p["phase"] = std::string(ppp::to_string(l->phase()));
			p["user"] = l->user();
			p["address"] = l->network_is_up() ? json(to_string(l->peer_ipv4())) : json();
			p["peer_iid"] = l->peer_iid();
			const nd::ipv6_prefix v6 = calls_->ipv6_prefix(t->local_id(), s.local_id());
			p["ipv6_prefix"] = v6.length ? json(nd::to_string(v6)) : json();
			p["mru"] = l->lcp_layer().peer_mru();
			p["proxy_used"] = l->proxy_used();
			p["rx_discarded"] = l->rx_discarded();
			o["ppp"] = p;
		}
		const uint32_t idx = dp_.session_index(t->local_id(), s.local_id());
		o["dataplane_index"] = idx == UINT32_MAX ? json() : json(idx);
		auto up = up_since_.find(session_key{t->local_id(), s.local_id()});
		o["uptime"] = up != up_since_.end() ? json(seconds_since(up->second, timers_.now())) : json();
		auto dbg = debug_session_.find({t->local_id().value, s.local_id().value});
		o["debug"] = mgmt::format_debug_mask(dbg == debug_session_.end() ? 0 : dbg->second);
		return o;
	});

	guarded(mgmt::cmd::clear_tunnel, [=, this](const json &args) -> outcome<json> {
		call_manager *cm = lib();
		if (!cm)
			return unavailable();
		auto id = mgmt::uint_arg(args, "id", 1, 65535);
		if (!id)
			return id.error();
		if (!cm->l2tp().clear_tunnel(tunnel_id_v2{static_cast<uint16_t>(id.value())}))
			return not_found("no tunnel " + std::to_string(id.value()));
		spdlog::info("tunnel {} cleared by the operator", id.value());
		json o = json::object();
		o["cleared"] = id.value();
		return o;
	});

	guarded(mgmt::cmd::clear_session, [=, this](const json &args) -> outcome<json> {
		tunnel *t = nullptr;
		auto r = find_session(args, t);
		if (!r)
			return r.error();
		session &s = *r.value();
		const tunnel_id_v2 tid = t->local_id();
		const session_id_v2 sid = s.local_id();
		// PPP first (LCP Terminate, then CDN) when a link runs; else a plain CDN.
		if (!calls_->disconnect(tid, sid))
			calls_->l2tp().clear_session(tid, sid);
		spdlog::info("session {}/{} cleared by the operator", tid.value, sid.value);
		json o = json::object();
		o["cleared"] = sid.value;
		o["tunnel"] = tid.value;
		return o;
	});

	guarded(mgmt::cmd::debug_tunnel, [=, this](const json &args) -> outcome<json> {
		call_manager *cm = lib();
		if (!cm)
			return unavailable();
		auto id = mgmt::uint_arg(args, "id", 1, 65535);
		if (!id)
			return id.error();
		auto mask = mgmt::uint_arg(args, "mask", 0, mgmt::debug_all);
		if (!mask)
			return mask.error();
		if (!cm->l2tp().find_tunnel(tunnel_id_v2{static_cast<uint16_t>(id.value())}))
			return not_found("no tunnel " + std::to_string(id.value()));
		if (mask.value())
			debug_tunnel_[static_cast<uint16_t>(id.value())] = static_cast<uint32_t>(mask.value());
		else
			debug_tunnel_.erase(static_cast<uint16_t>(id.value()));
		json o = json::object();
		o["id"] = id.value();
		o["debug"] = mgmt::format_debug_mask(static_cast<uint32_t>(mask.value()));
		return o;
	});

	guarded(mgmt::cmd::debug_session, [=, this](const json &args) -> outcome<json> {
		tunnel *t = nullptr;
		auto r = find_session(args, t);
		if (!r)
			return r.error();
		auto mask = mgmt::uint_arg(args, "mask", 0, mgmt::debug_all);
		if (!mask)
			return mask.error();
		const std::pair<uint16_t, uint16_t> key{t->local_id().value, r.value()->local_id().value};
		if (mask.value())
			debug_session_[key] = static_cast<uint32_t>(mask.value());
		else
			debug_session_.erase(key);
		json o = json::object();
		o["id"] = key.second;
		o["tunnel"] = key.first;
		o["debug"] = mgmt::format_debug_mask(static_cast<uint32_t>(mask.value()));
		return o;
	});

	srv.add(std::string(mgmt::cmd::show_stats), [=, this](const json &) -> outcome<json> {
		call_manager *cm = lib();
		if (!cm)
			return unavailable();
		json o = json::object();
		o["uptime"] = seconds_since(started_, timers_.now());
		o["tunnels"] = cm->l2tp().tunnel_count();
		o["half_open"] = cm->l2tp().half_open_count();
		o["links"] = cm->link_count();
		o["addresses_free"] = pools_.available();
		o["ipv6_prefixes_free"] = cm->ipv6_prefixes().available();
		json l2tp = json::object();
		const l2tp_counters &lc = cm->l2tp().counters();
#define X(n, ...) l2tp[#n] = lc.n;
		L2TPX_CP_L2TP_COUNTERS(X)
#undef X
		o["l2tp"] = l2tp;
		json calls = json::object();
		const call_counters &cc = cm->counters();
#define X(n) calls[#n] = cc.n;
		L2TPX_CP_CALL_COUNTERS(X)
#undef X
		json down = json::object();
		for (unsigned i = 0; i < ppp::down_reason_count; i++)
			down[std::string(ppp::to_string(static_cast<ppp::down_reason>(i)))] = cc.down[i];
		calls["down"] = down;
		o["calls"] = calls;
		json d = json::object();
#define X(n) d[#n] = counters_.n;
		L2TPX_CPD_COUNTERS(X)
#undef X
		json pe = json::object();
		for (unsigned i = 0; i < punt_error_count; i++)
			pe[std::string(to_string(static_cast<punt_error>(i)))] = counters_.punt_errors[i];
		d["punt_errors"] = pe;
		o["daemon"] = d;
		json rg = json::object();
		const ring_counters &rc = dp_.counters();
#define X(n) rg[#n] = rc.n;
		L2TPX_CPD_RING_COUNTERS(X)
#undef X
		rg["queued"] = dp_.queued();
		rg["in_flight"] = dp_.in_flight();
		rg["sessions_installed"] = dp_.installed_sessions();
		rg["tunnels_installed"] = dp_.installed_tunnels();
		o["dataplane"] = rg;
		json aaa = json::object();
		aaa["users"] = auth_.db().size();
		aaa["accepted"] = auth_.accepted();
		aaa["rejected"] = auth_.rejected();
		o["aaa"] = aaa;
		auto socket_stats = [](const mgmt::server &sv) {
			const mgmt::server_stats &ms = sv.stats();
			json m = json::object();
			m["accepted"] = ms.accepted;
			m["requests"] = ms.requests;
			m["ok"] = ms.ok;
			m["malformed"] = ms.malformed;
			m["unknown_command"] = ms.unknown_command;
			return m;
		};
		o["mgmt"] = socket_stats(*mgmt_);
		if (mgmt_ro_)
			o["mgmt_readonly"] = socket_stats(*mgmt_ro_);
		return o;
	});

	// Re-reads the users file; the old users stay when the new file is invalid.
	guarded(mgmt::cmd::reload, [this](const json &) -> outcome<json> {
		users_reload r = reload_users();
		if (!r.ok)
			return failure{mgmt::errc::unavailable, r.message};
		json o = json::object();
		o["users_file"] = cfg_.lns.users_file;
		o["users"] = r.users;
		return o;
	});

	srv.add(std::string(mgmt::cmd::show_config), [this](const json &) -> outcome<json> {
		json o = json::object();
		o["file_prefix"] = cfg_.dataplane.dataplane.file_prefix;
		o["local"] = to_string(local_);
		o["access_port"] = cfg_.access_port();
		o["host_name"] = cfg_.lns.host_name;
		o["authentication"] = cfg_.lns.authentication == ppp_auth::chap  ? "chap"
		                      : cfg_.lns.authentication == ppp_auth::pap ? "pap"
		                                                                 : "none";
		o["tunnel_auth_required"] = cfg_.lns.tunnel_auth_required;
		o["hide_avps"] = cfg_.lns.hide_avps;
		o["users_file"] = cfg_.lns.users_file;
		o["hello_interval_s"] = cfg_.cp.hello_interval_s;
		o["lcp_echo_interval_s"] = cfg_.lns.lcp_echo_interval_s;
		o["lcp_echo_failures"] = cfg_.lns.lcp_echo_failures;
		o["accept_proxy_lcp"] = cfg_.lns.accept_proxy_lcp;
		o["accept_proxy_auth"] = cfg_.lns.accept_proxy_auth;
		o["restart_policy"] = to_string(cfg_.cp.on_restart);
		if (cfg_.cp.on_restart == restart_policy::adopt) {
			o["state_file"] = cfg_.cp.state_file;
			o["state_records"] = store_ ? store_->used() : 0;
			o["state_capacity"] = store_ ? store_->capacity() : 0;
		}
		mgmt::table pools({{"name", "Pool", column_format::text},
		                   {"size", "Size", column_format::number},
		                   {"free", "Free", column_format::number}});
		for (const auto &p : pools_.pools())
			pools.add_row({p.name(), p.size(), p.available()});
		o["pools"] = pools.to_json();
		mgmt::table lacs({{"address", "LAC address", column_format::address},
		                  {"host", "Host name", column_format::text},
		                  {"secret", "Secret", column_format::text}});
		for (const auto &l : cfg_.lacs)
			lacs.add_row({cfg::format_ip(l.prefix.address) + "/" + std::to_string(l.prefix.length), l.host_name,
			              l.secret.empty() ? "no" : "yes"});
		o["lacs"] = lacs.to_json();
		return o;
	});
}

bool daemon::open_mgmt(std::string &error) {
	mgmt::server_options o;
	o.path = cfg_.cp.mgmt_socket;
	o.mode = static_cast<mode_t>(cfg_.cp.mgmt_socket_mode);
	if (cfg_.cp.mgmt_socket_gid)
		o.group = static_cast<gid_t>(*cfg_.cp.mgmt_socket_gid);
	mgmt_ = mgmt::server::open(o, error);
	if (!mgmt_)
		return false;
	register_mgmt(*mgmt_, true);
	spdlog::info("management socket {} (mode {:o})", o.path, o.mode);
	if (!cfg_.cp.mgmt_readonly_socket.empty()) {
		mgmt::server_options r;
		r.path = cfg_.cp.mgmt_readonly_socket;
		r.mode = static_cast<mode_t>(cfg_.cp.mgmt_readonly_socket_mode);
		if (cfg_.cp.mgmt_readonly_socket_gid)
			r.group = static_cast<gid_t>(*cfg_.cp.mgmt_readonly_socket_gid);
		mgmt_ro_ = mgmt::server::open(r, error);
		if (!mgmt_ro_) {
			mgmt_.reset();
			return false;
		}
		register_mgmt(*mgmt_ro_, false);
		spdlog::info("read-only management socket {} (mode {:o})", r.path, r.mode);
	}
	return true;
}

} // namespace l2tpx::cp::daemon
