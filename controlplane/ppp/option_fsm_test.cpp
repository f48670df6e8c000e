#include "controlplane/ppp/option_fsm.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace l2tpx::cp::ppp {
namespace {

using namespace std::chrono_literals;
using E = fsm_event;
using S = fsm_state;

struct recorder : fsm_actions {
	std::vector<std::string> log;
	std::vector<uint8_t> ids;
	void this_layer_up() override { log.push_back("tlu"); }
	void this_layer_down() override { log.push_back("tld"); }
	void this_layer_started() override { log.push_back("tls"); }
	void this_layer_finished() override { log.push_back("tlf"); }
	void send_configure_request(uint8_t id) override { log.push_back("scr"), ids.push_back(id); }
	void send_configure_ack() override { log.push_back("sca"); }
	void send_configure_nak() override { log.push_back("scn"); }
	void send_terminate_request(uint8_t id) override { log.push_back("str"), ids.push_back(id); }
	void send_terminate_ack() override { log.push_back("sta"); }
	void send_code_reject() override { log.push_back("scj"); }
	void send_echo_reply() override { log.push_back("ser"); }
	std::string take() {
		std::string s;
		for (auto &l : log)
			s += (s.empty() ? "" : ",") + l;
		log.clear();
		return s;
	}
};

struct harness {
	timer_service ts;
	recorder rec;
	option_fsm fsm;
	explicit harness(fsm_config cfg = {}) : fsm(ts, cfg, rec) {}
};

fsm_config with_options(bool restart, bool passive) {
	fsm_config c;
	c.restart_option = restart;
	c.passive_option = passive;
	return c;
}

// Drives a fresh automaton into state `s` with ordinary events.
void reach(harness &h, S s) {
	auto seq = [&](std::initializer_list<E> evs) {
		for (E e : evs)
			h.fsm.handle(e);
	};
	switch (s) {
	case S::initial: break;
	case S::starting: seq({E::open}); break;
	case S::closed: seq({E::up}); break;
	case S::stopped: seq({E::open, E::up, E::to_minus}); break;
	case S::closing: seq({E::up, E::open, E::close}); break;
	case S::stopping: seq({E::open, E::up, E::rcr_plus, E::rca, E::rtr}); break;
	case S::req_sent: seq({E::open, E::up}); break;
	case S::ack_rcvd: seq({E::open, E::up, E::rca}); break;
	case S::ack_sent: seq({E::open, E::up, E::rcr_plus}); break;
	case S::opened: seq({E::open, E::up, E::rcr_plus, E::rca}); break;
	}
	ASSERT_EQ(h.fsm.state(), s);
	h.rec.take();
}

// RFC 1661 §4.1, transcribed cell by cell: "actions/next state", "-" for illegal events.
// The irc/zrc actions are internal and checked separately; they are left out here.
const char *const rfc_table[fsm_event_count][fsm_state_count] = {
	/* Up   */ {"/2", "scr/6", "-", "-", "-", "-", "-", "-", "-", "-"},
	/* Down */ {"-", "-", "/0", "tls/1", "/0", "/1", "/1", "/1", "/1", "tld/1"},
	/* Open */ {"tls/1", "/1", "scr/6", "/3", "/5", "/5", "/6", "/7", "/8", "/9"},
	/* Close*/ {"/0", "tlf/0", "/2", "/2", "/4", "/4", "str/4", "str/4", "str/4", "tld,str/4"},
	/* TO+  */ {"-", "-", "-", "-", "str/4", "str/5", "scr/6", "scr/6", "scr/8", "-"},
	/* TO-  */ {"-", "-", "-", "-", "tlf/2", "tlf/3", "tlf/3", "tlf/3", "tlf/3", "-"},
	/* RCR+ */ {"-", "-", "sta/2", "scr,sca/8", "/4", "/5", "sca/8", "sca,tlu/9", "sca/8", "tld,scr,sca/8"},
	/* RCR- */ {"-", "-", "sta/2", "scr,scn/6", "/4", "/5", "scn/6", "scn/7", "scn/6", "tld,scr,scn/6"},
	/* RCA  */ {"-", "-", "sta/2", "sta/3", "/4", "/5", "/7", "scr/6", "tlu/9", "tld,scr/6"},
	/* RCN  */ {"-", "-", "sta/2", "sta/3", "/4", "/5", "scr/6", "scr/6", "scr/8", "tld,scr/6"},
	/* RTR  */ {"-", "-", "sta/2", "sta/3", "sta/4", "sta/5", "sta/6", "sta/6", "sta/6", "tld,sta/5"},
	/* RTA  */ {"-", "-", "/2", "/3", "tlf/2", "tlf/3", "/6", "/6", "/8", "tld,scr/6"},
	/* RUC  */ {"-", "-", "scj/2", "scj/3", "scj/4", "scj/5", "scj/6", "scj/7", "scj/8", "scj/9"},
	/* RXJ+ */ {"-", "-", "/2", "/3", "/4", "/5", "/6", "/6", "/8", "/9"},
	/* RXJ- */ {"-", "-", "tlf/2", "tlf/3", "tlf/2", "tlf/3", "tlf/3", "tlf/3", "tlf/3", "tld,str/5"},
	/* RXR  */ {"-", "-", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "ser/9"},
};

TEST(option_fsm, every_cell_of_the_rfc1661_table) {
	for (unsigned e = 0; e < fsm_event_count; ++e) {
		for (unsigned s = 0; s < fsm_state_count; ++s) {
			harness h;
			reach(h, static_cast<S>(s));
			const uint64_t illegal_before = h.fsm.illegal_events();
			h.fsm.handle(static_cast<E>(e));
			std::string want = rfc_table[e][s];
			std::string got;
			if (h.fsm.illegal_events() != illegal_before) {
				got = "-";
				EXPECT_EQ(h.fsm.state(), static_cast<S>(s)) << "illegal events change nothing";
			} else {
				got = h.rec.take() + "/" + std::to_string(static_cast<unsigned>(h.fsm.state()));
			}
			EXPECT_EQ(got, want) << "event " << to_string(static_cast<E>(e)) << " in state "
			                     << to_string(static_cast<S>(s));
		}
	}
}

// The same table with the "r" and "p" options on: only the cells RFC 1661 marks change.
TEST(option_fsm, every_cell_with_the_restart_and_passive_options) {
	// Open: r = the plain transition, then Down and Up (RFC 1661 §4.3, Open event).
	const char *const open_r[fsm_state_count] = {"tls/1", "/1",     "scr/6", "tls,scr/6", "scr/6",
	                                             "scr/6", "/6",     "/7",    "/8",        "tld,scr/6"};
	// TO-: p = wait in Stopped without This-Layer-Finished (RFC 1661 §4.2, Stopped state).
	const char *const to_minus_p[fsm_state_count] = {"-", "-", "-", "-", "tlf/2", "tlf/3", "/3", "/3", "/3", "-"};
	for (unsigned e = 0; e < fsm_event_count; ++e) {
		for (unsigned s = 0; s < fsm_state_count; ++s) {
			harness h(with_options(true, true));
			reach(h, static_cast<S>(s));
			const uint64_t illegal_before = h.fsm.illegal_events();
			h.fsm.handle(static_cast<E>(e));
			std::string want = static_cast<E>(e) == E::open       ? open_r[s]
			                   : static_cast<E>(e) == E::to_minus ? to_minus_p[s]
			                                                      : rfc_table[e][s];
			std::string got;
			if (h.fsm.illegal_events() != illegal_before)
				got = "-";
			else
				got = h.rec.take() + "/" + std::to_string(static_cast<unsigned>(h.fsm.state()));
			EXPECT_EQ(got, want) << "event " << to_string(static_cast<E>(e)) << " in state "
			                     << to_string(static_cast<S>(s));
		}
	}
}

TEST(option_fsm, restart_option_renegotiates_an_open_link_with_a_fresh_counter) {
	harness h(with_options(true, false));
	reach(h, S::opened);
	h.fsm.open();
	EXPECT_EQ(h.rec.take(), "tld,scr");
	EXPECT_EQ(h.fsm.state(), S::req_sent);
	EXPECT_EQ(h.fsm.restart_counter(), 9); // irc (10), then one Configure-Request
	EXPECT_TRUE(h.fsm.restart_timer_running());
	h.fsm.handle(E::rcr_plus);
	h.fsm.handle(E::rca);
	EXPECT_EQ(h.rec.take(), "sca,tlu");
	EXPECT_TRUE(h.fsm.is_opened());
	// Without the option the same Open changes nothing.
	harness plain;
	reach(plain, S::opened);
	plain.fsm.open();
	EXPECT_EQ(plain.rec.take(), "");
	EXPECT_TRUE(plain.fsm.is_opened());
}

TEST(option_fsm, passive_option_waits_in_stopped_for_the_peer) {
	harness h(with_options(false, true));
	h.fsm.open();
	h.fsm.up();
	h.rec.take();
	h.ts.advance(30s); // ten Configure-Requests, no answer
	EXPECT_EQ(h.fsm.state(), S::stopped);
	EXPECT_EQ(h.rec.take(), "scr,scr,scr,scr,scr,scr,scr,scr,scr"); // no tlf: the link is kept
	EXPECT_FALSE(h.fsm.restart_timer_running());
	h.ts.advance(60s);
	EXPECT_EQ(h.rec.take(), ""); // silent while waiting
	// The peer wakes up: its Configure-Request restarts the negotiation (Stopped, RCR+).
	h.fsm.handle(E::rcr_plus);
	EXPECT_EQ(h.rec.take(), "scr,sca");
	EXPECT_EQ(h.fsm.state(), S::ack_sent);
	h.fsm.handle(E::rca);
	EXPECT_EQ(h.rec.take(), "tlu");
	EXPECT_TRUE(h.fsm.is_opened());
}

TEST(option_fsm, configure_requests_retransmitted_until_max_configure) {
	harness h;
	h.fsm.open();
	h.fsm.up();
	EXPECT_EQ(h.rec.take(), "tls,scr");
	for (int i = 1; i < 10; ++i) {
		h.ts.advance(2999ms);
		EXPECT_EQ(h.rec.take(), "");
		h.ts.advance(1ms);
		EXPECT_EQ(h.rec.take(), "scr") << "retransmission " << i;
	}
	EXPECT_EQ(h.fsm.restart_counter(), 0);
	h.ts.advance(3s);
	EXPECT_EQ(h.rec.take(), "tlf");
	EXPECT_EQ(h.fsm.state(), S::stopped);
	EXPECT_FALSE(h.fsm.restart_timer_running());
	// Each Configure-Request got a fresh identifier.
	ASSERT_EQ(h.rec.ids.size(), 10u);
	for (size_t i = 1; i < h.rec.ids.size(); ++i)
		EXPECT_NE(h.rec.ids[i], h.rec.ids[i - 1]);
	EXPECT_EQ(h.fsm.request_id(), h.rec.ids.back());
}

TEST(option_fsm, close_sends_max_terminate_requests_then_finishes) {
	harness h;
	reach(h, S::opened);
	EXPECT_FALSE(h.fsm.restart_timer_running());
	h.fsm.close();
	EXPECT_EQ(h.rec.take(), "tld,str");
	EXPECT_EQ(h.fsm.restart_counter(), 1);
	h.ts.advance(3s);
	EXPECT_EQ(h.rec.take(), "str");
	h.ts.advance(3s);
	EXPECT_EQ(h.rec.take(), "tlf");
	EXPECT_EQ(h.fsm.state(), S::closed);
}

TEST(option_fsm, terminate_ack_ends_closing_early) {
	harness h;
	reach(h, S::opened);
	h.fsm.close();
	h.rec.take();
	h.fsm.handle(E::rta);
	EXPECT_EQ(h.rec.take(), "tlf");
	EXPECT_EQ(h.fsm.state(), S::closed);
	EXPECT_FALSE(h.fsm.restart_timer_running());
}

TEST(option_fsm, peer_terminate_waits_one_restart_period) {
	harness h;
	reach(h, S::opened);
	h.fsm.handle(E::rtr);
	EXPECT_EQ(h.rec.take(), "tld,sta");
	EXPECT_EQ(h.fsm.state(), S::stopping);
	EXPECT_EQ(h.fsm.restart_counter(), 0); // zrc
	h.ts.advance(3s);
	EXPECT_EQ(h.rec.take(), "tlf");
	EXPECT_EQ(h.fsm.state(), S::stopped);
}

TEST(option_fsm, renegotiation_and_lower_layer_down) {
	harness h;
	reach(h, S::opened);
	h.fsm.handle(E::rcr_minus); // the peer renegotiates
	EXPECT_EQ(h.rec.take(), "tld,scr,scn");
	h.fsm.handle(E::rcr_plus);
	h.fsm.handle(E::rca);
	EXPECT_EQ(h.rec.take(), "sca,tlu");
	h.fsm.down();
	EXPECT_EQ(h.rec.take(), "tld");
	EXPECT_EQ(h.fsm.state(), S::starting);
	EXPECT_FALSE(h.fsm.restart_timer_running());
	h.fsm.up();
	EXPECT_EQ(h.rec.take(), "scr");
	EXPECT_EQ(h.fsm.restart_counter(), 9);
}

TEST(option_fsm, illegal_events_are_counted_not_applied) {
	harness h;
	h.fsm.handle(E::rca);
	h.fsm.handle(E::rcr_plus);
	EXPECT_EQ(h.fsm.illegal_events(), 2u);
	EXPECT_EQ(h.fsm.state(), S::initial);
	EXPECT_EQ(h.rec.take(), "");
	EXPECT_EQ(to_string(S::ack_rcvd), "ack_rcvd");
	EXPECT_EQ(to_string(E::rxj_minus), "rxj_minus");
}

} // namespace
} // namespace l2tpx::cp::ppp
