#include "controlplane/nd/router_advertiser.hpp"

#include <algorithm>
#include <array>

namespace l2tpx::cp::nd {

router_advertiser::router_advertiser(timer_service &timers, random_source &rng, const ra_config &cfg, send_fn send,
                                     ra_counters &counters)
    : timers_(timers), rng_(rng), cfg_(cfg), send_(std::move(send)), counters_(counters), periodic_(timers),
      solicited_(timers) {}

void router_advertiser::start(uint64_t local_iid, const ipv6_prefix &prefix, uint16_t mtu) {
	local_iid_ = local_iid;
	prefix_ = prefix;
	mtu_ = mtu;
	running_ = true;
	sent_any_ = false;
	initial_left_ = cfg_.initial_count;
	send_ra();
}

void router_advertiser::stop() noexcept {
	running_ = false;
	periodic_.stop();
	solicited_.stop();
}

duration router_advertiser::next_interval() {
	const auto lo = cfg_.min_interval.count(), hi = std::max(cfg_.max_interval.count(), lo);
	const uint64_t r = rng_.next<uint64_t>();
	duration d{lo + static_cast<duration::rep>(r % static_cast<uint64_t>(hi - lo + 1))};
	if (initial_left_ > 0) {
		--initial_left_;
		d = std::min(d, cfg_.initial_interval);
	}
	return d;
}

void router_advertiser::schedule_periodic() {
	periodic_.start(next_interval(), [this] { send_ra(); });
}

void router_advertiser::send_ra() {
	if (!running_)
		return;
	solicited_.stop();
	ra_params p;
	p.source = link_local(local_iid_);
	p.destination = all_nodes();
	p.router_lifetime_s = cfg_.router_lifetime_s;
	p.mtu = mtu_;
	p.prefix = prefix_;
	p.on_link = cfg_.on_link;
	p.valid_lifetime_s = cfg_.valid_lifetime_s;
	p.preferred_lifetime_s = std::min(cfg_.preferred_lifetime_s, cfg_.valid_lifetime_s);
	p.dns = cfg_.dns;
	// RFC 8106 §5.1: at least 3 × MaxRtrAdvInterval.
	p.dns_lifetime_s = static_cast<uint32_t>(3 * std::chrono::duration_cast<std::chrono::seconds>(cfg_.max_interval).count());
	std::array<uint8_t, 256> buf;
	const size_t n = build_ra(buf, p);
	if (n && send_) {
		++counters_.ra_sent;
		last_ra_ = timers_.now();
		sent_any_ = true;
		send_(std::span<const uint8_t>(buf.data(), n));
	}
	if (running_) // send_ may have ended the call
		schedule_periodic();
}

void router_advertiser::receive(std::span<const uint8_t> packet) {
	auto m = parse_nd(packet);
	if (!m) {
		if (m.error() == nd_error::not_icmpv6 || m.error() == nd_error::not_nd)
			++counters_.nd_ignored; // other link-scope traffic (MLD, DHCPv6): not ours to answer
		else
			++counters_.nd_invalid;
		return;
	}
	if (!running_) {
		++counters_.nd_ignored;
		return;
	}
	switch (m->type) {
	case icmp_type::router_solicitation: {
		++counters_.rs_received;
		const time_point now = timers_.now();
		if (!sent_any_ || now - last_ra_ >= cfg_.min_delay_between_ras) {
			++counters_.ra_solicited;
			send_ra();
		} else {
			++counters_.rs_rate_limited;
			if (!solicited_.running())
				solicited_.start(last_ra_ + cfg_.min_delay_between_ras - now, [this] {
					++counters_.ra_solicited;
					send_ra();
				});
		}
		return;
	}
	case icmp_type::neighbor_solicitation: {
		++counters_.ns_received;
		const ipv6_bytes ours = link_local(local_iid_);
		if (m->target != ours) {
			++counters_.nd_ignored; // the subscriber's own addresses (DAD) are its business
			return;
		}
		// §7.2.4: to the solicitation's source; DAD (from ::) to all nodes, S clear.
		const bool dad = is_unspecified(m->source);
		std::array<uint8_t, 64> buf;
		const size_t n = build_na(buf, ours, dad ? all_nodes() : m->source, ours, !dad, true);
		if (n && send_) {
			++counters_.na_sent;
			send_(std::span<const uint8_t>(buf.data(), n));
		}
		return;
	}
	default:
		++counters_.nd_ignored; // RA / NA from the subscriber: it is no router of ours
		return;
	}
}

} // namespace l2tpx::cp::nd
