// LCP (RFC 1661 §6): MRU, Magic-Number (loopback detection), Authentication-Protocol,
// PFC and ACFC; Echo-Request keepalives with dead-peer detection; Protocol-Reject.
#pragma once

#include <cstdint>
#include <optional>

#include "controlplane/core/random.hpp"
#include "controlplane/ppp/control_protocol.hpp"

namespace l2tpx::cp::ppp {

enum class auth_protocol : uint8_t { none, pap, chap_md5 };
std::string_view to_string(auth_protocol a) noexcept;

struct lcp_config {
	uint16_t mru = 1500;                          // ours, requested when not 1500
	auth_protocol require_auth = auth_protocol::none; // server: what we ask the peer to do
	bool allow_auth_fallback = true;              // server: offer PAP when CHAP is Nak'd
	bool accept_pap = true, accept_chap = true;   // client: what we agree to do
	bool request_pfc = false, request_acfc = false;
	duration echo_interval{10000};                // 0: no keepalive
	unsigned echo_failures = 3;                   // unanswered Echo-Requests → dead peer
	unsigned max_loopback = 5;                    // Magic-Number collisions → looped back
};

class lcp_observer {
public:
	virtual ~lcp_observer() = default;
	virtual void peer_dead() = 0;                       // echo timeout
	virtual void looped_back() = 0;
	virtual void protocol_rejected(uint16_t protocol) = 0;
};

class lcp final : public control_protocol {
public:
	lcp(timer_service &timers, random_source &rng, const fsm_config &fcfg, const lcp_config &cfg, frame_sink &sink,
	    layer_events &events, lcp_observer &obs);

	// Negotiated values, valid once opened.
	uint16_t peer_mru() const noexcept { return peer_mru_; }
	uint32_t our_magic() const noexcept { return our_magic_; }
	uint32_t peer_magic() const noexcept { return peer_magic_; }
	auth_protocol peer_must_auth() const noexcept { return want_auth_; }   // we authenticate the peer
	auth_protocol we_must_auth() const noexcept { return peer_auth_; }     // the peer authenticates us
	bool peer_pfc() const noexcept { return peer_pfc_; }
	bool peer_acfc() const noexcept { return peer_acfc_; }
	unsigned echo_outstanding() const noexcept { return echo_outstanding_; }
	// Sends Protocol-Reject for a frame of a protocol we do not run (only when opened).
	void reject_protocol(uint16_t protocol, std::span<const uint8_t> info);
	// Proxy LCP (RFC 2661 §18): starts Opened with the options the LAC negotiated, sending
	// nothing. `ours`: the CONFREQ of our side (LNS: Last Sent, the LAC's; PPP client: the
	// user's), `peers`: the other one. Returns false when they are unusable (unknown option,
	// an authentication we do not run, equal magic numbers): then negotiate normally.
	bool accept_proxy(std::span<const uint8_t> ours, std::span<const uint8_t> peers);
	void stop_echo() { echo_timer_.stop(); }
	// A link of an earlier control plane (restart_policy = "adopt"): Opened with these
	// negotiated values, nothing sent, Echo-Requests every `echo_interval` from now on.
	struct restored {
		uint16_t peer_mru = 1500;
		bool peer_pfc = false, peer_acfc = false;
		uint32_t our_magic = 0, peer_magic = 0;
		auth_protocol peer_must_auth = auth_protocol::none;
		duration echo_interval{10000};
		unsigned echo_failures = 3;
	};
	void restore(const restored &r);

private:
	void write_request(codec::packet_writer &w) override;
	void begin_peer_request() override;
	option_verdict check_option(const codec::option_view &o, codec::packet_writer &nak) override;
	void commit_peer_request() override;
	void request_nakked(const codec::option_list &opts, bool reject) override;
	bool extra_code(const codec::control_view &v) override;
	bool reject_is_permitted(uint8_t code) const override { return code > 7 && code != 8; }
	void send_echo_reply() override;
	void this_layer_up() override;
	void this_layer_down() override;
	void echo_tick();
	uint32_t new_magic();

	random_source &rng_;
	lcp_config cfg_;
	lcp_observer &obs_;
	timer echo_timer_;
	uint8_t echo_id_ = 0;
	unsigned echo_outstanding_ = 0;
	// Ours.
	uint32_t our_magic_ = 0;
	bool send_mru_, send_magic_ = true, send_pfc_, send_acfc_;
	auth_protocol want_auth_;
	unsigned loopbacks_ = 0;
	uint8_t next_protocol_reject_id_ = 1;
	// The peer's, candidate (during a request) and committed.
	struct peer_opts {
		uint16_t mru = 1500;
		uint32_t magic = 0;
		auth_protocol auth = auth_protocol::none;
		bool pfc = false, acfc = false;
	} cand_;
	uint16_t peer_mru_ = 1500;
	uint32_t peer_magic_ = 0;
	auth_protocol peer_auth_ = auth_protocol::none;
	bool peer_pfc_ = false, peer_acfc_ = false;
};

} // namespace l2tpx::cp::ppp
