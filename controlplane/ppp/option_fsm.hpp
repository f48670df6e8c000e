// The RFC 1661 §4 option negotiation automaton, shared by LCP, IPCP and IPv6CP.
//
// The automaton knows nothing about packets: a protocol classifies what it received into an
// event (RCR+ / RCR- / RCA / ...) and supplies the actions (send Configure-Request, ...).
// Transitions come from one table, copied from RFC 1661 §4.1; the Restart timer and the
// Restart counter (Max-Configure, Max-Terminate) are handled here, and so are the table's
// implementation options "r" (restart) and "p" (passive) when fsm_config enables them.
#pragma once

#include <cstdint>
#include <string_view>

#include "controlplane/core/timer.hpp"

namespace l2tpx::cp::ppp {

#define L2TPX_CP_FSM_STATES(X)                                                                  \
	X(initial) X(starting) X(closed) X(stopped) X(closing) X(stopping) X(req_sent) X(ack_rcvd)  \
	X(ack_sent) X(opened)

enum class fsm_state : uint8_t {
#define X(n) n,
	L2TPX_CP_FSM_STATES(X)
#undef X
};
inline constexpr unsigned fsm_state_count = 10;

// RFC 1661 §4.3 events.
#define L2TPX_CP_FSM_EVENTS(X)                                                                  \
	X(up)        /* lower layer is Up */                                                     \
	X(down)      /* lower layer is Down */                                                   \
	X(open)      /* administrative Open */                                                   \
	X(close)     /* administrative Close */                                                  \
	X(to_plus)   /* Timeout with counter > 0 */                                              \
	X(to_minus)  /* Timeout with counter expired */                                          \
	X(rcr_plus)  /* Receive-Configure-Request (Good) */                                      \
	X(rcr_minus) /* Receive-Configure-Request (Bad) */                                       \
	X(rca)       /* Receive-Configure-Ack */                                                 \
	X(rcn)       /* Receive-Configure-Nak/Rej */                                             \
	X(rtr)       /* Receive-Terminate-Request */                                             \
	X(rta)       /* Receive-Terminate-Ack */                                                 \
	X(ruc)       /* Receive-Unknown-Code */                                                  \
	X(rxj_plus)  /* Receive-Code-Reject (permitted) or Receive-Protocol-Reject */            \
	X(rxj_minus) /* Receive-Code-Reject (catastrophic) or Receive-Protocol-Reject */         \
	X(rxr)       /* Receive-Echo-Request, Echo-Reply or Discard-Request */

enum class fsm_event : uint8_t {
#define X(n) n,
	L2TPX_CP_FSM_EVENTS(X)
#undef X
};
inline constexpr unsigned fsm_event_count = 16;

std::string_view to_string(fsm_state s) noexcept;
std::string_view to_string(fsm_event e) noexcept;

// What a protocol does when the automaton asks. The response actions (sca, scn, sta, scj,
// ser) answer the packet being processed: the protocol prepared them while classifying it.
class fsm_actions {
public:
	virtual ~fsm_actions() = default;
	virtual void this_layer_up() = 0;       // tlu
	virtual void this_layer_down() = 0;     // tld
	virtual void this_layer_started() = 0;  // tls: the lower layer is needed
	virtual void this_layer_finished() = 0; // tlf: the lower layer is no longer needed
	virtual void send_configure_request(uint8_t identifier) = 0; // scr
	virtual void send_configure_ack() = 0;  // sca
	virtual void send_configure_nak() = 0;  // scn (Nak or Reject, as classified)
	virtual void send_terminate_request(uint8_t identifier) = 0; // str
	virtual void send_terminate_ack() = 0;  // sta
	virtual void send_code_reject() = 0;    // scj
	virtual void send_echo_reply() = 0;     // ser (only LCP's Echo-Request needs one)
};

struct fsm_config {
	duration restart_time{3000}; // RFC 1661 §4.6 default
	uint8_t max_configure = 10;
	uint8_t max_terminate = 2;
	uint8_t max_failure = 5;     // Naks before the protocol turns them into Rejects
	// RFC 1661 §4.1 "r" (restart option, §4.3 Open event): an Open in Stopped, Closing,
	// Stopping or Opened renegotiates the link — the table's transition, then Down and Up
	// (Opened → tld → Starting → irc, scr → Req-Sent; Closing first goes to Stopping).
	bool restart_option = false;
	// RFC 1661 §4.1 "p" (passive option, §4.2 Stopped state): when Max-Configure runs out in
	// Req-Sent, Ack-Rcvd or Ack-Sent, go to Stopped without This-Layer-Finished and wait
	// there for the peer's Configure-Request (like pppd's "passive").
	bool passive_option = false;
};

class option_fsm {
public:
	option_fsm(timer_service &timers, const fsm_config &cfg, fsm_actions &actions) noexcept
	    : cfg_(cfg), actions_(actions), restart_timer_(timers) {}
	option_fsm(const option_fsm &) = delete;
	option_fsm &operator=(const option_fsm &) = delete;

	void up() { handle(fsm_event::up); }
	void down() { handle(fsm_event::down); }
	void open() { handle(fsm_event::open); }
	void close() { handle(fsm_event::close); }
	// A classified received packet (rcr_plus ... rxr). Timer and lower-layer events are
	// accepted too, which tests use.
	void handle(fsm_event e);

	fsm_state state() const noexcept { return state_; }
	bool is_opened() const noexcept { return state_ == fsm_state::opened; }
	// Identifier of the Configure-Request / Terminate-Request most recently sent: a reply
	// with another identifier is discarded by the protocol before it reaches handle().
	uint8_t request_id() const noexcept { return request_id_; }
	uint8_t terminate_id() const noexcept { return terminate_id_; }
	uint8_t restart_counter() const noexcept { return restart_counter_; }
	bool restart_timer_running() const noexcept { return restart_timer_.running(); }
	const fsm_config &config() const noexcept { return cfg_; }
	uint64_t illegal_events() const noexcept { return illegal_events_; }

private:
	void apply(fsm_event e); // one table cell
	void on_timeout();

	fsm_config cfg_;
	fsm_actions &actions_;
	timer restart_timer_;
	fsm_state state_ = fsm_state::initial;
	uint8_t restart_counter_ = 0;
	uint8_t next_id_ = 1;
	uint8_t request_id_ = 0;
	uint8_t terminate_id_ = 0;
	uint64_t illegal_events_ = 0;
};

} // namespace l2tpx::cp::ppp
