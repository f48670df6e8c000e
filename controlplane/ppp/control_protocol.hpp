// What LCP, IPCP and IPv6CP share: receiving control packets (RFC 1661 §5), classifying
// Configure-Requests into RCR+ / RCR- with the Ack, Nak or Reject to send, matching replies
// to our request, and driving the option_fsm. Each protocol supplies its options.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "controlplane/ppp/option_fsm.hpp"
#include "shared/ppp/control.hpp"

namespace l2tpx::cp::ppp {

namespace codec = ::l2tpx::ppp;

// The link below a control protocol: sends one PPP frame (protocol + information field).
class frame_sink {
public:
	virtual ~frame_sink() = default;
	virtual void send_frame(uint16_t protocol, std::span<const uint8_t> info) = 0;
};

// Layer events for the link orchestrator (tlu/tld/tls/tlf of each protocol).
class layer_events {
public:
	virtual ~layer_events() = default;
	virtual void layer_up(uint16_t protocol) = 0;
	virtual void layer_down(uint16_t protocol) = 0;
	virtual void layer_started(uint16_t protocol) = 0;
	virtual void layer_finished(uint16_t protocol) = 0;
};

enum class option_verdict : uint8_t { ack, nak, reject };

#define L2TPX_CP_CP_COUNTERS(X)                                                                 \
	X(rx_packets) X(rx_malformed) X(rx_stale_reply) X(rx_unknown_code) X(tx_packets)             \
	X(naks_sent) X(rejects_sent)

struct cp_counters {
#define X(n) uint64_t n = 0;
	L2TPX_CP_CP_COUNTERS(X)
#undef X
};

class control_protocol : public fsm_actions {
public:
	control_protocol(timer_service &timers, const fsm_config &cfg, uint16_t protocol, frame_sink &sink,
	                 layer_events &events);
	control_protocol(const control_protocol &) = delete;
	control_protocol &operator=(const control_protocol &) = delete;

	// The information field of a frame of this protocol.
	void receive(std::span<const uint8_t> packet);
	option_fsm &fsm() noexcept { return fsm_; }
	const option_fsm &fsm() const noexcept { return fsm_; }
	uint16_t protocol() const noexcept { return protocol_; }
	const cp_counters &counters() const noexcept { return counters_; }
	// Opened without a word (proxy LCP, a link adopted after a control-plane restart): the
	// automaton goes Open, Up, RCA, RCR+ with nothing sent; This-Layer-Up runs.
	void force_opened() {
		set_silent(true);
		fsm_.open();
		fsm_.up();
		fsm_.handle(fsm_event::rca);
		fsm_.handle(fsm_event::rcr_plus);
		set_silent(false);
	}

protected:
	// --- per protocol -------------------------------------------------------------------
	// Options of our Configure-Request.
	virtual void write_request(codec::packet_writer &w) = 0;
	// Start of the peer's Configure-Request: forget candidate values.
	virtual void begin_peer_request() {}
	// One option of the peer's request: ack it, or write our suggestion into nak and say nak,
	// or reject. After Max-Failure Naks in a row the base turns Naks into Rejects (§4.6).
	virtual option_verdict check_option(const codec::option_view &o, codec::packet_writer &nak) = 0;
	// After all options: options the peer must add (written into nak; return true if any).
	virtual bool demand_missing(codec::packet_writer &) { return false; }
	// The request we are about to Ack becomes the peer's configuration.
	virtual void commit_peer_request() {}
	// Our request was acknowledged / the peer Nak'd or Rejected some options.
	virtual void request_acked(const codec::option_list &) {}
	virtual void request_nakked(const codec::option_list &opts, bool reject) = 0;
	// Codes beyond 1-7 (LCP: Protocol-Reject, Echo, Discard ...). Return false for unknown.
	virtual bool extra_code(const codec::control_view &) { return false; }
	// Codes of this protocol that may be Code-Rejected without closing it (RXJ+).
	virtual bool reject_is_permitted(uint8_t code) const { return code > 7; }

	void send_packet(std::span<const uint8_t> p);
	// While silent, nothing is sent (proxy LCP: jump to Opened without a negotiation).
	void set_silent(bool s) noexcept { silent_ = s; }
	frame_sink &sink() noexcept { return sink_; }
	// The packet being processed (for Echo replies etc.).
	const codec::control_view &current() const noexcept { return current_; }

	// fsm_actions
	void this_layer_up() override { events_.layer_up(protocol_); }
	void this_layer_down() override { events_.layer_down(protocol_); }
	void this_layer_started() override { events_.layer_started(protocol_); }
	void this_layer_finished() override { events_.layer_finished(protocol_); }
	void send_configure_request(uint8_t id) override;
	void send_configure_ack() override { send_packet(reply_); }
	void send_configure_nak() override { send_packet(reply_); }
	void send_terminate_request(uint8_t id) override;
	void send_terminate_ack() override;
	void send_code_reject() override;
	void send_echo_reply() override {}

	cp_counters counters_;

private:
	void receive_configure_request(const codec::control_view &v);
	void receive_configure_reply(const codec::control_view &v);

	uint16_t protocol_;
	frame_sink &sink_;
	layer_events &events_;
	option_fsm fsm_;
	std::vector<uint8_t> last_request_; // options of our last Configure-Request
	std::vector<uint8_t> reply_;        // Ack / Nak / Reject prepared for sca / scn
	codec::control_view current_{};
	unsigned nak_count_ = 0;            // consecutive Naks we sent (Max-Failure)
	bool silent_ = false;
};

} // namespace l2tpx::cp::ppp
