// An L2TPv2 tunnel (control connection): RFC 2661 §5 and §7.2, in the LNS or LAC role.
//
//   idle ─open/SCCRQ→ wait_ctl_reply ─SCCRP/SCCCN→ established        (we initiate)
//   idle ─SCCRQ/SCCRP→ wait_ctl_conn ─SCCCN→ established              (the peer initiates)
//   any ─StopCCN rx→ closed (linger, re-acking) → dead
//   any ─close/StopCCN tx→ closing (until acked or linger) → dead
//   any ─retransmission failure→ dead
//
// Transitions come from one table in tunnel.cpp. Messages arrive through the reliable
// transport (reliable_transport.hpp), so every handler sees them once and in order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controlplane/core/timer.hpp"
#include "controlplane/l2tp/l2tp_types.hpp"
#include "controlplane/l2tp/reliable_transport.hpp"
#include "controlplane/l2tp/session.hpp"
#include "shared/base/result.hpp"
#include "shared/control/message.hpp"
#include "shared/l2tp/l2tpv2.hpp"

namespace l2tpx::cp {

class endpoint;

#define L2TPX_CP_TUNNEL_STATES(X)                                                               \
	X(idle) X(wait_ctl_reply) X(wait_ctl_conn) X(established) X(closing) X(closed) X(dead)
enum class tunnel_state : uint8_t {
#define X(n) n,
	L2TPX_CP_TUNNEL_STATES(X)
#undef X
};
std::string_view to_string(tunnel_state s) noexcept;

#define L2TPX_CP_TUNNEL_EVENTS(X)                                                               \
	X(open) X(rx_sccrq) X(rx_sccrp) X(rx_scccn) X(rx_stopccn) X(rx_hello) X(rx_session_msg)      \
	X(close)
enum class tunnel_event : uint8_t {
#define X(n) n,
	L2TPX_CP_TUNNEL_EVENTS(X)
#undef X
};
std::string_view to_string(tunnel_event e) noexcept;

#define L2TPX_CP_CALL_ERRORS(X)                                                                 \
	X(tunnel_not_usable) /* closing or dead */                                             \
	X(wrong_role)        /* incoming calls start at the LAC, outgoing at the LNS */        \
	X(too_many_sessions)

enum class call_error : uint8_t {
#define X(n) n,
	L2TPX_CP_CALL_ERRORS(X)
#undef X
};
std::string_view to_string(call_error e) noexcept;

// What a control plane keeps of an established tunnel to continue it after a restart
// (restart_policy = "adopt", controlplane/daemon/state_store.hpp).
struct tunnel_snapshot {
	tunnel_id_v2 local;
	tunnel_id_v2 peer_id;
	udp_endpoint peer;
	std::string peer_host;
	uint16_t peer_rws = 4;
	uint16_t ns = 0, nr = 0, acked = 0; // sequence_mirror
};

class tunnel {
public:
	tunnel(endpoint &ep, tunnel_id_v2 local, udp_endpoint peer, std::string secret);
	~tunnel();
	tunnel(const tunnel &) = delete;
	tunnel &operator=(const tunnel &) = delete;

	// We initiate: SCCRQ.
	void open();
	// Continues an established tunnel of an earlier process (idle tunnels only): state
	// established, the peer's IDs and window, the transport from the saved Ns/Nr, and a
	// HELLO at once (unless `hello` is false: the caller closes it at once) so that the
	// peer's answer confirms the sequence state.
	void adopt(const tunnel_snapshot &s, bool hello = true);
	// An established session of that tunnel (no hooks fire: the caller sets up PPP).
	session *adopt_session(session_id_v2 local, session_id_v2 peer, call_params params);
	// Mirrors the transport's sequence state (see reliable_transport::set_mirror).
	void set_sequence_mirror(sequence_mirror *m) noexcept { transport_.set_mirror(m); }
	// A control packet from the peer (source already checked), header parsed.
	void receive(const l2tp::v2_header &h, std::span<const uint8_t> packet);
	// Tears the tunnel down with StopCCN (admin clear, shutdown).
	void close(uint16_t result, uint16_t error = 0, std::string_view message = {});

	// Calls. LAC: an incoming call (ICRQ). LNS: an outgoing call (OCRQ). On a tunnel still
	// being set up, the call starts when it is established.
	result<session *, call_error> place_call(call_params params);
	session *find_session(session_id_v2 local);
	size_t session_count() const noexcept { return sessions_.size(); }
	template <typename F> void for_each_session(F &&f) {
		for (auto &[id, s] : sessions_)
			f(*s);
	}

	tunnel_state state() const noexcept { return state_; }
	bool established() const noexcept { return state_ == tunnel_state::established; }
	bool half_open() const noexcept { return state_ == tunnel_state::wait_ctl_conn; }
	// StopCCN sent or received: kept only to acknowledge retransmissions until it dies.
	bool lingering() const noexcept { return state_ == tunnel_state::closing || state_ == tunnel_state::closed; }
	tunnel_id_v2 local_id() const noexcept { return local_; }
	tunnel_id_v2 peer_id() const noexcept { return peer_id_; }
	const udp_endpoint &peer() const noexcept { return peer_; }
	const std::string &peer_host_name() const noexcept { return peer_host_; }
	uint16_t peer_rws() const noexcept { return peer_rws_; }
	const disconnect_cause &cause() const noexcept { return cause_; }
	const reliable_transport &transport() const noexcept { return transport_; }
	time_point created() const noexcept { return created_; }
	std::optional<uint64_t> peer_tie_breaker() const noexcept { return peer_tie_breaker_; }
	endpoint &owner() const noexcept { return ep_; }

	// Used by sessions and the endpoint. Returns the Ns the message was given (nothing
	// when the tunnel is dead or the message could not be queued).
	std::optional<uint16_t> send_message(ctl::message &m, session_id_v2 peer_session);
	// Calls s.connect_sent() once the message with this Ns has been put on the wire (a
	// LAC must not start PPP while its ICCN still waits behind a closed send window: the
	// LNS would see LCP for a call it does not know yet). At once if already sent.
	void notify_when_sent(session &s, uint16_t ns);
	void session_established(session &s);
	void session_finished(session &s);
	// The peer's SCCRQ has been seen by the endpoint (its Assigned Tunnel ID is the key
	// for retransmitted SCCRQs).
	void set_peer_id(tunnel_id_v2 id) noexcept { peer_id_ = id; }
	void set_peer_port(uint16_t port) noexcept { peer_.port = port; }
	// Kills the tunnel without any message (tie-breaker loss, eviction of a half-open one).
	void abandon(std::string_view why);
	void reap_sessions();

private:
	struct transition;
	static const transition table[];

	void process(std::span<const uint8_t> packet);
	void dispatch(tunnel_event ev, const ctl::message *m);
	void on_open(const ctl::message *);
	void on_sccrq(const ctl::message *m);
	void on_sccrp(const ctl::message *m);
	void on_scccn(const ctl::message *m);
	void on_stopccn(const ctl::message *m);
	void on_hello(const ctl::message *);
	void on_close(const ctl::message *);

	bool learn_peer(const ctl::message &m); // Assigned Tunnel ID, Host Name, RWS
	void session_message(const l2tp::v2_header &h, const ctl::message &m);
	void decode_failure(const l2tp::v2_header &h, std::span<const uint8_t> body, const ctl::decode_error &e);
	void fail_protocol(uint16_t error, std::string_view message);
	void send_stopccn(uint16_t result, uint16_t error, std::string_view message);
	void become_established();
	void transmit(uint16_t ns, uint16_t nr, std::span<const uint8_t> msg);
	void notify_sent(); // connect_sent() for the sessions in sent_ready_
	void transport_failed();
	void die(const disconnect_cause &why);
	void teardown_sessions(const disconnect_cause &why);
	void add_hiding(ctl::message &m, ctl::encode_options &opt, std::vector<uint8_t> &rv);

	endpoint &ep_;
	bool reap_pending_ = false; // a session closed since the last reap_sessions()
	tunnel_id_v2 local_;
	tunnel_id_v2 peer_id_{};
	udp_endpoint peer_;
	std::string secret_;
	std::string peer_host_;
	uint16_t peer_rws_ = 4;
	std::optional<uint64_t> peer_tie_breaker_;
	tunnel_state state_ = tunnel_state::idle;
	time_point created_;
	reliable_transport transport_;
	timer linger_;
	timer sent_check_;                                   // runs the notifications below
	std::vector<std::pair<uint16_t, session_id_v2>> wait_sent_; // Ns not yet transmitted
	std::vector<session_id_v2> sent_ready_;              // transmitted, to notify
	std::vector<uint8_t> our_challenge_;  // sent in SCCRQ/SCCRP: the peer must answer it
	std::vector<uint8_t> peer_challenge_; // received: we answer it
	std::map<session_id_v2, std::unique_ptr<session>> sessions_;
	std::vector<session_id_v2> pending_calls_; // placed before the tunnel was up
	disconnect_cause cause_;
	bool processing_ = false;
};

} // namespace l2tpx::cp
