#include "controlplane/ppp/option_fsm.hpp"

#include <array>

namespace l2tpx::cp::ppp {

namespace {

// Actions, in the order RFC 1661 lists them in a table cell.
enum act : uint16_t {
	none = 0,
	tlu = 1 << 0,
	tld = 1 << 1,
	tls = 1 << 2,
	tlf = 1 << 3,
	irc = 1 << 4,
	zrc = 1 << 5,
	scr = 1 << 6,
	sca = 1 << 7,
	scn = 1 << 8,
	str = 1 << 9,
	sta = 1 << 10,
	scj = 1 << 11,
	ser = 1 << 12,
	illegal = 1 << 15, // "-": cannot happen in this state
};

struct cell {
	uint16_t actions;
	fsm_state next;
};

using S = fsm_state;
constexpr cell x{illegal, S::initial}; // next is ignored for illegal events
constexpr cell c(uint16_t a, S s) { return cell{a, s}; }
constexpr cell c(S s) { return cell{none, s}; }

// RFC 1661 §4.1 state transition table: rows are events, columns states 0-9. The cells
// marked "r" (Open in Stopped, Closing, Stopping, Opened) and "p" (TO- in Req-Sent,
// Ack-Rcvd, Ack-Sent) hold the plain transition; option_fsm::handle() applies the restart
// and passive options on top when configured. "x" (crossed connection) needs nothing extra.
constexpr std::array<std::array<cell, fsm_state_count>, fsm_event_count> table{{
	// Initial       Starting               Closed                Stopped                       Closing            Stopping           Req-Sent                  Ack-Rcvd           Ack-Sent                  Opened
	/* up   */ {{c(S::closed), c(irc | scr, S::req_sent), x, x, x, x, x, x, x, x}},
	/* down */ {{x, x, c(S::initial), c(tls, S::starting), c(S::initial), c(S::starting), c(S::starting), c(S::starting), c(S::starting), c(tld, S::starting)}},
	/* open */ {{c(tls, S::starting), c(S::starting), c(irc | scr, S::req_sent), c(S::stopped), c(S::stopping), c(S::stopping), c(S::req_sent), c(S::ack_rcvd), c(S::ack_sent), c(S::opened)}},
	/* close*/ {{c(S::initial), c(tlf, S::initial), c(S::closed), c(S::closed), c(S::closing), c(S::closing), c(irc | str, S::closing), c(irc | str, S::closing), c(irc | str, S::closing), c(tld | irc | str, S::closing)}},
	/* TO+  */ {{x, x, x, x, c(str, S::closing), c(str, S::stopping), c(scr, S::req_sent), c(scr, S::req_sent), c(scr, S::ack_sent), x}},
	/* TO-  */ {{x, x, x, x, c(tlf, S::closed), c(tlf, S::stopped), c(tlf, S::stopped), c(tlf, S::stopped), c(tlf, S::stopped), x}},
	/* RCR+ */ {{x, x, c(sta, S::closed), c(irc | scr | sca, S::ack_sent), c(S::closing), c(S::stopping), c(sca, S::ack_sent), c(sca | tlu, S::opened), c(sca, S::ack_sent), c(tld | scr | sca, S::ack_sent)}},
	/* RCR- */ {{x, x, c(sta, S::closed), c(irc | scr | scn, S::req_sent), c(S::closing), c(S::stopping), c(scn, S::req_sent), c(scn, S::ack_rcvd), c(scn, S::req_sent), c(tld | scr | scn, S::req_sent)}},
	/* RCA  */ {{x, x, c(sta, S::closed), c(sta, S::stopped), c(S::closing), c(S::stopping), c(irc, S::ack_rcvd), c(scr, S::req_sent), c(irc | tlu, S::opened), c(tld | scr, S::req_sent)}},
	/* RCN  */ {{x, x, c(sta, S::closed), c(sta, S::stopped), c(S::closing), c(S::stopping), c(irc | scr, S::req_sent), c(scr, S::req_sent), c(irc | scr, S::ack_sent), c(tld | scr, S::req_sent)}},
	/* RTR  */ {{x, x, c(sta, S::closed), c(sta, S::stopped), c(sta, S::closing), c(sta, S::stopping), c(sta, S::req_sent), c(sta, S::req_sent), c(sta, S::req_sent), c(tld | zrc | sta, S::stopping)}},
	/* RTA  */ {{x, x, c(S::closed), c(S::stopped), c(tlf, S::closed), c(tlf, S::stopped), c(S::req_sent), c(S::req_sent), c(S::ack_sent), c(tld | scr, S::req_sent)}},
	/* RUC  */ {{x, x, c(scj, S::closed), c(scj, S::stopped), c(scj, S::closing), c(scj, S::stopping), c(scj, S::req_sent), c(scj, S::ack_rcvd), c(scj, S::ack_sent), c(scj, S::opened)}},
	/* RXJ+ */ {{x, x, c(S::closed), c(S::stopped), c(S::closing), c(S::stopping), c(S::req_sent), c(S::req_sent), c(S::ack_sent), c(S::opened)}},
	/* RXJ- */ {{x, x, c(tlf, S::closed), c(tlf, S::stopped), c(tlf, S::closed), c(tlf, S::stopped), c(tlf, S::stopped), c(tlf, S::stopped), c(tlf, S::stopped), c(tld | irc | str, S::stopping)}},
	/* RXR  */ {{x, x, c(S::closed), c(S::stopped), c(S::closing), c(S::stopping), c(S::req_sent), c(S::ack_rcvd), c(S::ack_sent), c(ser, S::opened)}},
}};

constexpr bool timer_state(S s) noexcept {
	return s == S::closing || s == S::stopping || s == S::req_sent || s == S::ack_rcvd || s == S::ack_sent;
}

} // namespace

std::string_view to_string(fsm_state s) noexcept {
	switch (s) {
#define X(n)                                                                                       \
	case fsm_state::n:                                                                         \
		return #n;
		L2TPX_CP_FSM_STATES(X)
#undef X
	}
	return "unknown";
}

std::string_view to_string(fsm_event e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case fsm_event::n:                                                                         \
		return #n;
		L2TPX_CP_FSM_EVENTS(X)
#undef X
	}
	return "unknown";
}

void option_fsm::handle(fsm_event e) {
	// "p": Max-Configure ran out while negotiating; wait passively in Stopped (no tlf).
	if (e == fsm_event::to_minus && cfg_.passive_option &&
	    (state_ == S::req_sent || state_ == S::ack_rcvd || state_ == S::ack_sent)) {
		state_ = S::stopped;
		restart_timer_.stop();
		return;
	}
	// "r": an Open where the table only stays (Stopped, Stopping, Opened) or goes to
	// Stopping (Closing) restarts the negotiation: the table's transition, then Down, Up.
	const bool restart = e == fsm_event::open && cfg_.restart_option &&
	                     (state_ == S::stopped || state_ == S::closing || state_ == S::stopping ||
	                      state_ == S::opened);
	apply(e);
	if (restart) {
		apply(fsm_event::down);
		apply(fsm_event::up);
	}
}

void option_fsm::apply(fsm_event e) {
	const cell &t = table[static_cast<unsigned>(e)][static_cast<unsigned>(state_)];
	if (t.actions & illegal) {
		++illegal_events_;
		return;
	}
	// The state changes before the actions run, so a callback that feeds another event
	// sees where this one went.
	state_ = t.next;
	if (!timer_state(state_))
		restart_timer_.stop();
	const uint16_t a = t.actions;
	// irc depends on what follows: Max-Terminate before a Terminate-Request.
	if (a & irc)
		restart_counter_ = (a & str) ? cfg_.max_terminate : cfg_.max_configure;
	if (a & zrc) {
		restart_counter_ = 0;
		restart_timer_.start(cfg_.restart_time, [this] { on_timeout(); });
	}
	if (a & tld)
		actions_.this_layer_down();
	if (a & tls)
		actions_.this_layer_started();
	if (a & scr) {
		if (restart_counter_ > 0)
			--restart_counter_;
		request_id_ = next_id_++;
		restart_timer_.start(cfg_.restart_time, [this] { on_timeout(); });
		actions_.send_configure_request(request_id_);
	}
	if (a & sca)
		actions_.send_configure_ack();
	if (a & scn)
		actions_.send_configure_nak();
	if (a & str) {
		if (restart_counter_ > 0)
			--restart_counter_;
		terminate_id_ = next_id_++;
		restart_timer_.start(cfg_.restart_time, [this] { on_timeout(); });
		actions_.send_terminate_request(terminate_id_);
	}
	if (a & sta)
		actions_.send_terminate_ack();
	if (a & scj)
		actions_.send_code_reject();
	if (a & ser)
		actions_.send_echo_reply();
	if (a & tlu)
		actions_.this_layer_up();
	if (a & tlf)
		actions_.this_layer_finished();
}

void option_fsm::on_timeout() { handle(restart_counter_ > 0 ? fsm_event::to_plus : fsm_event::to_minus); }

} // namespace l2tpx::cp::ppp
