// The L2TPv2 endpoint: every tunnel of one control plane, the demultiplexing of received
// datagrams, tunnel admission (limits, half-open protection, tie-breaker) and the hooks
// through which calls reach PPP and packets reach the wire.
//
// Admission of an SCCRQ (Tunnel ID 0):
//   - a retransmitted SCCRQ (same peer address and Assigned Tunnel ID) goes to its tunnel;
//   - tie-breaker (§4.4.3): with our own SCCRQ outstanding to the same address and both
//     carrying a Tie Breaker, the lower value wins; on equality both are dropped;
//   - limits: tunnels in all, tunnels per peer address, half-open tunnels per peer address
//     (refused beyond). When all half-open slots are taken, the oldest half-open tunnel of
//     the peer holding the most is evicted, so a flood from some sources cannot lock out a
//     legitimate LAC: its SCCRQ always gets a slot and keeps it for a while.
// Once a tunnel is known, its packets are accepted only from the peer's address and port
// (while our SCCRQ is outstanding, the SCCRP may come from another port of that address).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/l2tp/l2tp_types.hpp"
#include "controlplane/l2tp/session.hpp"
#include "controlplane/l2tp/tunnel.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::cp {

struct endpoint_config {
	role local_role = role::lns;
	udp_endpoint local;      // our address and port, reported to the dataplane
	tunnel_config tunnel;
	endpoint_limits limits;
};

struct endpoint_hooks {
	// A UDP datagram (control or data message) to put on the wire.
	std::function<void(const udp_endpoint &to, std::span<const uint8_t> datagram)> send;
	std::function<void(tunnel &)> tunnel_up;
	std::function<void(tunnel &, const disconnect_cause &)> tunnel_down;
	std::function<void(session &)> session_up;
	// Both Session IDs are known and the peer may start sending data messages next: fired
	// just before the ICRP (LNS, incoming call), the OCRP (LAC, outgoing call) or the ICCN
	// (LAC, incoming call) is sent, and when an OCRP arrives (LNS, outgoing call). The
	// dataplane learns the session here, so the peer's first PPP frames are not lost.
	// Closing the session from the hook (session::close) answers with a CDN instead.
	std::function<void(session &)> session_answered;
	// Every session that ends, established or not.
	std::function<void(session &, const disconnect_cause &)> session_down;
	// SLI or WEN updated the session's call_params.
	std::function<void(session &)> link_info;
	// A PPP frame in a data message of an established session (address/control as sent).
	std::function<void(session &, std::span<const uint8_t> frame)> ppp_frame;
};

#define L2TPX_CP_OPEN_ERRORS(X) X(over_limit) X(no_ids)
enum class open_error : uint8_t {
#define X(n) n,
	L2TPX_CP_OPEN_ERRORS(X)
#undef X
};

class endpoint {
public:
	endpoint(timer_service &timers, random_source &rng, endpoint_config cfg, endpoint_hooks hooks);
	~endpoint();
	endpoint(const endpoint &) = delete;
	endpoint &operator=(const endpoint &) = delete;

	// A datagram received on our L2TP port.
	void receive(const udp_endpoint &from, std::span<const uint8_t> datagram);
	// Opens a tunnel to peer (SCCRQ). secret: for tunnel authentication ("" = the configured
	// default). Calls can be placed on it at once; they start when it is up.
	result<tunnel *, open_error> open_tunnel(const udp_endpoint &peer, std::string secret = {});
	// Continues an established tunnel of an earlier process (tunnel::adopt). no_ids when
	// its local ID is taken or 0.
	result<tunnel *, open_error> adopt_tunnel(const tunnel_snapshot &s, bool hello = true);
	// Admin clear: StopCCN (result 1, or as given) / CDN (result 3, administrative).
	bool clear_tunnel(tunnel_id_v2 id, uint16_t result = ctl::result_codes::stopccn_general_clear);
	bool clear_session(tunnel_id_v2 t, session_id_v2 s, uint16_t result = ctl::result_codes::cdn_admin);
	// Sends a PPP frame (starting with FF 03 or the protocol) on an established session.
	bool send_ppp(session &s, std::span<const uint8_t> frame);

	tunnel *find_tunnel(tunnel_id_v2 id);
	size_t tunnel_count() const noexcept { return tunnels_.size(); }
	size_t half_open_count() const noexcept;
	template <typename F> void for_each_tunnel(F &&f) {
		for (auto &[id, t] : tunnels_)
			f(*t);
	}
	const l2tp_counters &counters() const noexcept { return counters_; }

	// For tunnels and sessions.
	timer_service &timers() noexcept { return timers_; }
	random_source &rng() noexcept { return rng_; }
	const endpoint_config &config() const noexcept { return cfg_; }
	const endpoint_hooks &hooks() const noexcept { return hooks_; }
	l2tp_counters &counters_mut() noexcept { return counters_; }
	void send_datagram(const udp_endpoint &to, std::span<const uint8_t> d) {
		if (hooks_.send)
			hooks_.send(to, d);
	}
	session_id_v2 new_session_id(tunnel &t);
	// The dataplane stores v2 sessions at ((tunnel << 16) | session) & mask: new session IDs
	// avoid slots that another of our sessions already maps to. 0 = no constraint.
	void set_session_index_mask(uint32_t mask) noexcept { session_index_mask_ = mask; }
	void tunnel_dead(tunnel &t);
	// Erases dead tunnels and finished sessions. Runs after every receive() and from a
	// zero-delay timer when a tunnel dies on a timeout.
	void reap();

private:
	void receive_data(const udp_endpoint &from, const l2tp::v2_header &h);
	void receive_sccrq(const udp_endpoint &from, const l2tp::v2_header &h, std::span<const uint8_t> packet);
	bool admit(const udp_endpoint &from);
	tunnel_id_v2 new_tunnel_id();
	bool session_slot_free(tunnel_id_v2 tid, session_id_v2 sid);

	timer_service &timers_;
	random_source &rng_;
	endpoint_config cfg_;
	endpoint_hooks hooks_;
	std::map<tunnel_id_v2, std::unique_ptr<tunnel>> tunnels_;
	uint32_t session_index_mask_ = 0;
	l2tp_counters counters_;
	timer reap_timer_;
};

} // namespace l2tpx::cp
