// The router side of IPv6 Neighbor Discovery for one PPP subscriber (RFC 4861 §6.2, RFC 5072
// §5): once IPv6CP is open and a prefix is assigned, Router Advertisements go out from
// fe80::<our interface identifier> to ff02::1 — a few at start (§6.2.4), then one every
// random interval in [min_interval, max_interval] — and every Router Solicitation is
// answered, at most one RA per min_delay_between_ras (§6.2.6: a later RS is answered when the
// delay has passed, never dropped). Neighbor Solicitations for our link-local address are
// answered with a Neighbor Advertisement so that the subscriber's NUD and DAD work.
//
// The owner hands in the IPv6 packets the dataplane punts for this session (link-scope
// source or destination) and sends what comes out inside PPP (protocol 0x0057).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/nd/nd_codec.hpp"

namespace l2tpx::cp::nd {

// RFC 4861 §6.2.1 router variables; defaults are the RFC's.
struct ra_config {
	duration max_interval{600000};    // MaxRtrAdvInterval, 4..1800 s
	duration min_interval{200000};    // MinRtrAdvInterval, 3 s..0.75 × max
	uint16_t router_lifetime_s = 1800; // AdvDefaultLifetime: 0, or max_interval..9000 s
	uint32_t valid_lifetime_s = 2592000;
	uint32_t preferred_lifetime_s = 604800;
	bool on_link = false;             // L flag of the prefix (see docs/controlplane.md)
	std::vector<ipv6_bytes> dns;      // RDNSS (RFC 8106), at most 3 here
	duration min_delay_between_ras{3000}; // MIN_DELAY_BETWEEN_RAS
	unsigned initial_count = 3;       // MAX_INITIAL_RTR_ADVERTISEMENTS
	duration initial_interval{16000}; // MAX_INITIAL_RTR_ADVERT_INTERVAL
};

#define L2TPX_CP_RA_COUNTERS(X)                                                                  \
	X(rs_received) X(ra_sent) X(ra_solicited) X(rs_rate_limited) X(ns_received) X(na_sent)        \
	X(nd_ignored) X(nd_invalid)

struct ra_counters {
#define X(n) uint64_t n = 0;
	L2TPX_CP_RA_COUNTERS(X)
#undef X
};

class router_advertiser {
public:
	using send_fn = std::function<void(std::span<const uint8_t> ipv6_packet)>;
	router_advertiser(timer_service &timers, random_source &rng, const ra_config &cfg, send_fn send,
	                  ra_counters &counters);
	router_advertiser(const router_advertiser &) = delete;
	router_advertiser &operator=(const router_advertiser &) = delete;

	// IPv6CP opened with our interface identifier `local_iid` and the subscriber was given
	// `prefix`: sends the first RA now and schedules the rest. `mtu`: the subscriber's MRU.
	void start(uint64_t local_iid, const ipv6_prefix &prefix, uint16_t mtu);
	// IPv6CP went down or the call ended: nothing more is sent.
	void stop() noexcept;
	bool running() const noexcept { return running_; }
	// An IPv6 packet (PPP 0x0057 information field) punted for this session.
	void receive(std::span<const uint8_t> packet);

	const ipv6_prefix &prefix() const noexcept { return prefix_; }
	ipv6_bytes address() const noexcept { return link_local(local_iid_); }

private:
	void send_ra();
	void schedule_periodic();
	duration next_interval();

	timer_service &timers_;
	random_source &rng_;
	const ra_config &cfg_;
	send_fn send_;
	ra_counters &counters_;
	timer periodic_, solicited_;
	uint64_t local_iid_ = 0;
	ipv6_prefix prefix_;
	uint16_t mtu_ = 0;
	bool running_ = false;
	bool sent_any_ = false;
	unsigned initial_left_ = 0;
	time_point last_ra_{};
};

} // namespace l2tpx::cp::nd
