// One PPP link over an L2TP session: LCP, then authentication, then IPCP and IPv6CP
// (RFC 1661 §3.2 phases), as server (LNS: terminates the subscriber) or client (LAC side
// of the traffic generator). Frames come in and go out through hooks; the owner installs
// the session in the dataplane on network_up and removes it on finished.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/aaa/aaa.hpp"
#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/ppp/auth.hpp"
#include "controlplane/ppp/lcp.hpp"
#include "controlplane/ppp/ncp.hpp"

namespace l2tpx::cp {
struct call_params;
}

namespace l2tpx::cp::ppp {

struct ppp_link_config {
	bool server = true;
	fsm_config fsm;
	lcp_config lcp;
	auth_config auth;
	ipcp_config ipcp;           // ipcp.server is set from `server`
	bool enable_ipcp = true;
	bool enable_ipv6cp = true;
	bool accept_proxy_lcp = false;  // server: start from the LAC's LCP (ICCN) when usable
	bool accept_proxy_auth = false; // server: check the LAC's captured credentials
};

#define L2TPX_CP_PPP_PHASES(X) X(dead) X(establish) X(authenticate) X(network) X(terminate)
enum class link_phase : uint8_t {
#define X(n) n,
	L2TPX_CP_PPP_PHASES(X)
#undef X
};
std::string_view to_string(link_phase p) noexcept;

#define L2TPX_CP_PPP_DOWN_REASONS(X)                                                            \
	X(peer_terminated)    /* LCP Terminate-Request from the peer */                        \
	X(admin_close)                                                                         \
	X(negotiation_failed) /* LCP never opened (Max-Configure) */                           \
	X(auth_failed)                                                                         \
	X(auth_timeout)                                                                        \
	X(echo_timeout)       /* dead peer: Echo-Requests unanswered */                         \
	X(looped_back)                                                                         \
	X(no_address)         /* pool exhausted or fixed address in use */                      \
	X(ncp_failed)         /* no network protocol could be opened */                         \
	X(lower_down)         /* the L2TP session or tunnel went away */

enum class down_reason : uint8_t {
#define X(n) n,
	L2TPX_CP_PPP_DOWN_REASONS(X)
#undef X
};
inline constexpr unsigned down_reason_count = 0
#define X(n) +1
	L2TPX_CP_PPP_DOWN_REASONS(X)
#undef X
	;
std::string_view to_string(down_reason r) noexcept;

// What a control plane keeps of a link whose network layer is up, to continue it after a
// restart (restart_policy = "adopt"). Never a secret.
struct link_snapshot {
	std::string user;
	uint16_t peer_mru = 1500;
	bool peer_pfc = false, peer_acfc = false;
	uint32_t our_magic = 0, peer_magic = 0;
	auth_protocol auth = auth_protocol::none; // what the peer authenticated with
	ipv4_addr peer_ipv4;                      // 0.0.0.0: IPCP was not opened
	bool ipv6cp_opened = false;
	uint64_t local_iid = 0, peer_iid = 0;
	duration echo_interval{10000};
	unsigned echo_failures = 3;
};

class ppp_link final : frame_sink, layer_events, lcp_observer {
public:
	struct hooks {
		std::function<void(std::span<const uint8_t> frame)> send; // FF 03, protocol, information
		std::function<void(ppp_link &)> network_up;               // once: IPCP Opened, or IPv6CP Opened with IPCP off or given up
		std::function<void(ppp_link &, down_reason)> finished;    // once; may destroy the link
	};

	// Server links need the authenticator and the address allocator; client links neither.
	ppp_link(timer_service &timers, random_source &rng, const ppp_link_config &cfg, aaa::authenticator *aaa,
	         aaa::address_allocator *addresses, hooks h);
	~ppp_link();
	ppp_link(const ppp_link &) = delete;
	ppp_link &operator=(const ppp_link &) = delete;

	// The L2TP session is up: start LCP (or jump over it with proxy LCP/auth from the ICCN).
	void start(const call_params *proxy = nullptr);
	void receive(std::span<const uint8_t> frame);
	// Server links: continues a link of an earlier control plane as it was (LCP Opened
	// with both magic numbers, authenticated, IPCP Opened with the address claimed from
	// the allocator, IPv6CP Opened when it was; LCP echo running), sending nothing and
	// firing no hook. False (and nothing changed) when the address cannot be claimed or
	// the link was started already.
	bool adopt(const link_snapshot &s);
	// The values adopt() needs, valid once the network layer is up.
	link_snapshot snapshot() const;
	// An observer of IPv6CP reaching or leaving Opened (not when adopt() restores it):
	// the daemon's state file records IPv6CP and the prefix that comes with it. Called
	// from inside receive() and timers, before the caller has acted on the change: it
	// must only take note (and must not destroy the link).
	void set_ipv6cp_observer(std::function<void()> fn) { ipv6cp_observer_ = std::move(fn); }
	// Admin clear: LCP Terminate-Request, finished() when done.
	void close(down_reason why = down_reason::admin_close);
	// The session is gone: stop at once, finished(lower_down) unless already finished.
	void lower_down();

	link_phase phase() const noexcept { return phase_; }
	bool network_is_up() const noexcept { return net_up_; }
	const std::string &user() const noexcept { return user_; }
	ipv4_addr peer_ipv4() const noexcept { return ipcp_.peer_address(); }
	ipv4_addr local_ipv4() const noexcept { return ipcp_.local_address(); }
	uint64_t peer_iid() const noexcept { return ipv6cp_.peer_iid(); }
	uint64_t local_iid() const noexcept { return ipv6cp_.local_iid(); }
	const lcp &lcp_layer() const noexcept { return lcp_; }
	const ipcp &ipcp_layer() const noexcept { return ipcp_; }
	const ipv6cp &ipv6cp_layer() const noexcept { return ipv6cp_; }
	bool proxy_used() const noexcept { return proxy_used_; }
	// The LAC's proxy authentication stood in for an exchange (server: checked instead of
	// a Challenge / waiting for a Request; client: nothing sent for it).
	bool proxy_auth_used() const noexcept { return proxy_auth_used_; }
	// Times LCP left Opened for a new negotiation (the peer's Configure-Request).
	unsigned lcp_renegotiations() const noexcept { return lcp_renegotiations_; }
	// PAP/CHAP frames we sent (client: Requests, Responses; server: Challenges, replies).
	unsigned auth_frames_sent() const noexcept { return auth_frames_sent_; }
	uint64_t rx_discarded() const noexcept { return rx_discarded_; }

private:
	// frame_sink
	void send_frame(uint16_t protocol, std::span<const uint8_t> info) override;
	// layer_events
	void layer_up(uint16_t protocol) override;
	void layer_down(uint16_t protocol) override;
	void layer_started(uint16_t) override {}
	void layer_finished(uint16_t protocol) override;
	// lcp_observer
	void peer_dead() override { close(down_reason::echo_timeout); }
	void looped_back() override { close(down_reason::looped_back); }
	void protocol_rejected(uint16_t protocol) override;

	bool start_proxied_client(const call_params &p);
	void authenticated(const aaa::auth_accept *accept);
	void enter_network();
	void finish(down_reason why);
	void release_address();

	timer_service &timers_;
	ppp_link_config cfg_;
	aaa::authenticator *aaa_;
	aaa::address_allocator *addresses_;
	hooks hooks_;
	std::function<void()> ipv6cp_observer_;
	lcp lcp_;
	ipcp ipcp_;
	ipv6cp ipv6cp_;
	std::unique_ptr<authenticator_side> auth_server_;
	std::unique_ptr<peer_side> auth_client_;
	link_phase phase_ = link_phase::dead;
	std::optional<down_reason> closing_reason_;
	std::optional<ipv4_addr> held_address_;
	std::string user_;
	bool net_up_ = false;
	bool finished_ = false;
	bool proxy_used_ = false;
	bool adopting_ = false; // adopt(): the layers' This-Layer-Up start nothing
	bool proxy_auth_used_ = false;
	uint16_t proxy_auth_type_ = 0; // Proxy Authen Type to use, from start() until LCP is up
	unsigned lcp_renegotiations_ = 0;
	unsigned auth_frames_sent_ = 0;
	bool ipcp_on_ = false, ipv6cp_on_ = false;
	uint64_t rx_discarded_ = 0;
};

} // namespace l2tpx::cp::ppp
