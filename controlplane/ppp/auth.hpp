// PPP authentication after LCP: PAP (RFC 1334) and CHAP-MD5 (RFC 1994), as authenticator
// (LNS: checks the peer against the AAA interface) or as peer (LAC / generator: proves a
// user name and secret).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controlplane/aaa/aaa.hpp"
#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/ppp/control_protocol.hpp"
#include "controlplane/ppp/lcp.hpp"

namespace l2tpx::cp::ppp {

struct auth_config {
	std::string name = "l2tpx";   // our name in CHAP Challenges
	std::string user, secret;     // as peer: what we prove
	duration retry{3000};         // Challenge / Authenticate-Request retransmission
	unsigned max_retries = 10;
	duration timeout{30000};      // authenticator: no answer in this time → failure
};

enum class auth_result : uint8_t { success, failure, timeout };

class authenticator_side {
public:
	// done(result, accept): accept is set on success.
	using done_fn = std::function<void(auth_result, const aaa::auth_accept *, const std::string &user)>;
	authenticator_side(timer_service &timers, random_source &rng, const auth_config &cfg, aaa::authenticator &aaa,
	                   frame_sink &sink, done_fn done);
	void start(auth_protocol p);
	// A PAP or CHAP frame's information field.
	void receive(uint16_t protocol, std::span<const uint8_t> packet);
	// Proxy authentication (ICCN): checks the LAC's captured credentials.
	bool check_proxy(uint16_t type, std::string_view name, std::span<const uint8_t> challenge, uint8_t id,
	                 std::span<const uint8_t> response);
	void stop();
	bool finished() const noexcept { return finished_; }

private:
	void send_challenge();
	void finish(auth_result r, const aaa::auth_accept *a);

	random_source &rng_;
	auth_config cfg_;
	aaa::authenticator &aaa_;
	frame_sink &sink_;
	done_fn done_;
	timer retry_, deadline_;
	auth_protocol proto_ = auth_protocol::none;
	std::vector<uint8_t> challenge_;
	uint8_t id_ = 0;
	unsigned tries_ = 0;
	bool finished_ = false;
	bool last_ok_ = false;
	std::string user_;
};

class peer_side {
public:
	using done_fn = std::function<void(auth_result)>;
	peer_side(timer_service &timers, const auth_config &cfg, frame_sink &sink, done_fn done);
	void start(auth_protocol p);
	void receive(uint16_t protocol, std::span<const uint8_t> packet);
	void stop();
	bool finished() const noexcept { return finished_; }

private:
	void send_pap();
	void send_response();
	void finish(auth_result r);

	auth_config cfg_;
	frame_sink &sink_;
	done_fn done_;
	timer retry_;
	auth_protocol proto_ = auth_protocol::none;
	uint8_t id_ = 0;
	unsigned tries_ = 0;
	bool finished_ = false;
	std::vector<uint8_t> response_; // CHAP Response, resent until answered
};

} // namespace l2tpx::cp::ppp
