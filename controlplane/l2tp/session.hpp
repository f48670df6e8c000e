// An L2TPv2 session (a call) inside a tunnel: RFC 2661 §7.4 (incoming calls: ICRQ, ICRP,
// ICCN), §7.3/§7.5 (outgoing calls: OCRQ, OCRP, OCCN), CDN, WEN and SLI.
//
// Transitions come from one table (session.cpp) of {state, event, handler}; an event with no
// row in the current state is a protocol error and disconnects the call (CDN result 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/l2tp/l2tp_types.hpp"
#include "shared/base/ids.hpp"
#include "shared/control/message.hpp"

namespace l2tpx::cp {

class tunnel;

#define L2TPX_CP_SESSION_STATES(X) X(idle) X(wait_reply) X(wait_connect) X(established) X(closed)
enum class session_state : uint8_t {
#define X(n) n,
	L2TPX_CP_SESSION_STATES(X)
#undef X
};
std::string_view to_string(session_state s) noexcept;

enum class call_direction : uint8_t { incoming, outgoing };

// What the call setup messages said about the call; WEN and SLI update it later.
struct call_params {
	uint32_t call_serial = 0;
	uint32_t bearer_type = 0;
	uint32_t framing_type = 1;        // synchronous
	uint32_t tx_connect_speed = 0;
	uint32_t rx_connect_speed = 0;
	uint32_t minimum_bps = 0, maximum_bps = 0;
	uint32_t physical_channel_id = 0;
	std::string calling_number, called_number, sub_address;
	bool sequencing_required = false; // data messages must carry Ns/Nr
	// Proxy LCP and authentication (ICCN, §4.4.5): what the LAC negotiated with the user.
	std::vector<uint8_t> initial_received_lcp_confreq, last_sent_lcp_confreq, last_received_lcp_confreq;
	bool has_proxy_auth = false;
	uint16_t proxy_authen_type = 0;   // 2 CHAP, 3 PAP, 4 none
	uint16_t proxy_authen_id = 0;
	std::string proxy_authen_name;
	std::vector<uint8_t> proxy_authen_challenge, proxy_authen_response;
	// SLI (§6.15) and WEN (§6.14).
	uint32_t send_accm = 0xffffffff, receive_accm = 0xffffffff;
	ctl::call_errors_value call_errors{};
	uint32_t wen_count = 0, sli_count = 0;
};

#define L2TPX_CP_SESSION_EVENTS(X)                                                              \
	X(open_incoming) X(open_outgoing) X(rx_icrq) X(rx_icrp) X(rx_iccn) X(rx_ocrq) X(rx_ocrp)      \
	X(rx_occn) X(rx_cdn) X(rx_wen) X(rx_sli)
enum class session_event : uint8_t {
#define X(n) n,
	L2TPX_CP_SESSION_EVENTS(X)
#undef X
};
std::string_view to_string(session_event e) noexcept;

class session {
public:
	session(tunnel &t, session_id_v2 local, call_direction dir, call_params params);
	session(const session &) = delete;
	session &operator=(const session &) = delete;

	// A decoded session message for this session (ICRQ/OCRQ: the one that created it).
	void handle(const ctl::message &m);
	// Starts the call from our side: ICRQ (LAC, incoming) or OCRQ (LNS, outgoing).
	void start();
	// Disconnects with a CDN (when the peer knows the call) and notifies the owner.
	void close(uint16_t result, uint16_t error = 0, std::string_view message = {});
	// WAN-Error-Notify (LAC → LNS) and Set-Link-Info, on an established call.
	bool send_wen(const ctl::call_errors_value &errors);
	bool send_sli(uint32_t send_accm, uint32_t receive_accm);
	// The tunnel went away: no CDN, just notify.
	void tunnel_down(const disconnect_cause &why);
	// LAC: our ICCN/OCCN has been put on the wire; the call is established (tunnel).
	void connect_sent();
	// An established call of an earlier process (tunnel::adopt_session): no hook fires.
	void adopt(session_id_v2 peer) noexcept {
		peer_ = peer;
		state_ = session_state::established;
	}

	session_state state() const noexcept { return state_; }
	session_id_v2 local_id() const noexcept { return local_; }
	session_id_v2 peer_id() const noexcept { return peer_; }
	call_direction direction() const noexcept { return dir_; }
	const call_params &params() const noexcept { return params_; }
	tunnel &owner() const noexcept { return tunnel_; }
	const disconnect_cause &cause() const noexcept { return cause_; }
	// Ns for the next data message we send ourselves when sequencing is required.
	uint16_t take_data_ns() noexcept { return data_ns_++; }

private:
	struct transition;
	static const transition table[];

	void dispatch(session_event ev, const ctl::message *m);
	void on_open_incoming(const ctl::message *);
	void on_open_outgoing(const ctl::message *);
	void on_icrq(const ctl::message *m);
	void on_icrp(const ctl::message *m);
	void on_iccn(const ctl::message *m);
	void on_ocrq(const ctl::message *m);
	void on_ocrp(const ctl::message *m);
	void on_occn(const ctl::message *m);
	void on_cdn(const ctl::message *m);
	void on_wen(const ctl::message *m);
	void on_sli(const ctl::message *m);

	void read_call_setup(const ctl::message &m);
	std::optional<uint16_t> send_connected(ctl::msg_type t); // ICCN or OCCN; its Ns
	void established();
	// Fires the session_answered hook; false when it closed the session.
	bool answered();
	void finish(const disconnect_cause &why);

	tunnel &tunnel_;
	session_id_v2 local_;
	session_id_v2 peer_{};
	call_direction dir_;
	session_state state_ = session_state::idle;
	call_params params_;
	disconnect_cause cause_;
	uint16_t data_ns_ = 0;
};

} // namespace l2tpx::cp
