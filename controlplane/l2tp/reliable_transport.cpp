#include "controlplane/l2tp/reliable_transport.hpp"

#include <algorithm>

namespace l2tpx::cp {

namespace {
// a comes before b in the 16-bit sequence space (RFC 2661 §5.8: within 32767).
constexpr bool seq_before(uint16_t a, uint16_t b) noexcept { return static_cast<int16_t>(a - b) < 0; }
constexpr uint16_t seq_dist(uint16_t from, uint16_t to) noexcept { return static_cast<uint16_t>(to - from); }
} // namespace

std::string_view to_string(transport_error e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case transport_error::n:                                                                   \
		return #n;
		L2TPX_CP_TRANSPORT_ERRORS(X)
#undef X
	}
	return "unknown";
}

std::string_view to_string(rx_verdict v) noexcept {
	switch (v) {
#define X(n, ...)                                                                                  \
	case rx_verdict::n:                                                                        \
		return #n;
		L2TPX_CP_RX_VERDICTS(X)
#undef X
	}
	return "unknown";
}

reliable_transport::reliable_transport(timer_service &timers, const transport_config &cfg, hooks h)
    : timers_(timers), cfg_(cfg), hooks_(std::move(h)), retransmit_timer_(timers), ack_timer_(timers),
      hello_timer_(timers), ssthresh_(std::max<uint16_t>(cfg.peer_rws, 1)), rto_(cfg.retransmit_initial) {
	if (cfg_.peer_rws == 0)
		cfg_.peer_rws = 4;
	if (cfg_.our_rws == 0)
		cfg_.our_rws = 1;
	restart_hello();
}

void reliable_transport::set_peer_rws(uint16_t rws) {
	if (rws == 0)
		return;
	cfg_.peer_rws = rws;
	ssthresh_ = rws;
	cwnd_ = std::min(cwnd_, rws);
	pump();
}

uint16_t reliable_transport::send_window() const noexcept { return std::min(cwnd_, cfg_.peer_rws); }

result<uint16_t, transport_error> reliable_transport::send(std::vector<uint8_t> msg) {
	if (failed_ || stopped_)
		return unexpected(transport_error::failed);
	if (window_.size() >= cfg_.max_queued) {
		++stats_.tx_queue_full;
		return unexpected(transport_error::queue_full);
	}
	const uint16_t ns = next_ns_++;
	window_.push_back(entry{ns, 0, std::move(msg)});
	sync_mirror(); // before the message can reach the peer
	pump();
	return ns;
}

void reliable_transport::pump() {
	while (in_flight_ < window_.size() && in_flight_ < send_window()) {
		transmit(window_[in_flight_]);
		++in_flight_;
		if (in_flight_ > transmitted_) {
			transmitted_ = in_flight_;
			++stats_.tx_messages;
		} else {
			++stats_.tx_retransmits; // sent again after a timeout (go-back-N)
		}
		if (!retransmit_timer_.running())
			retransmit_timer_.start(rto_, [this] { on_retransmit_timeout(); });
	}
}

void reliable_transport::transmit(entry &e) {
	ack_timer_.stop(); // the message carries our current Nr
	unacked_rx_ = 0;
	if (hooks_.transmit)
		hooks_.transmit(e.ns, expected_, e.msg);
}

void reliable_transport::ack_now() {
	ack_timer_.stop();
	unacked_rx_ = 0;
	++stats_.tx_zlb;
	// A ZLB carries the Ns of the next message not yet transmitted.
	const uint16_t ns = in_flight_ < window_.size() ? window_[in_flight_].ns : next_ns_;
	if (hooks_.transmit)
		hooks_.transmit(ns, expected_, {});
}

void reliable_transport::schedule_ack() {
	// Half our window unacknowledged: the peer may be about to stall, ack at once.
	if (unacked_rx_ >= std::max<uint16_t>(cfg_.our_rws / 2, 1)) {
		ack_now();
		return;
	}
	if (!ack_timer_.running())
		ack_timer_.start(cfg_.ack_delay, [this] { ack_now(); });
}

void reliable_transport::restart_hello() {
	if (cfg_.hello_interval > duration::zero() && !stopped_ && !failed_)
		hello_timer_.start(cfg_.hello_interval, [this] { on_hello_timeout(); });
}

void reliable_transport::on_hello_timeout() {
	restart_hello();
	if (window_.empty()) {
		++stats_.hellos_due;
		if (hooks_.on_hello_due)
			hooks_.on_hello_due();
	}
}

void reliable_transport::process_ack(uint16_t nr) {
	const uint16_t una = window_.empty() ? next_ns_ : window_.front().ns;
	const uint16_t acked = seq_dist(una, nr);
	if (acked == 0 || window_.empty())
		return;
	resync_ = false;
	for (uint16_t i = 0; i < acked; ++i) {
		window_.pop_front();
		// After a timeout the peer may acknowledge first transmissions that did arrive:
		// beyond what is in flight now, up to what was ever transmitted.
		if (in_flight_ > 0)
			--in_flight_;
		--transmitted_;
		// Appendix A: slow start below ssthresh, then one step per window of acks.
		if (cwnd_ < ssthresh_) {
			++cwnd_;
		} else if (++ca_acks_ >= cwnd_) {
			ca_acks_ = 0;
			if (cwnd_ < cfg_.peer_rws)
				++cwnd_;
		}
	}
	sync_mirror();
	rto_ = cfg_.retransmit_initial;
	retransmit_timer_.stop();
	if (in_flight_ > 0)
		retransmit_timer_.start(rto_, [this] { on_retransmit_timeout(); });
	pump();
}

rx_verdict reliable_transport::receive(uint16_t ns, uint16_t nr, std::span<const uint8_t> msg) {
	if (failed_)
		return rx_verdict::dead;
	// Nr may acknowledge at most what we have transmitted; an older Nr (a retransmission
	// by the peer) is stale, not wrong.
	uint16_t una = window_.empty() ? next_ns_ : window_.front().ns;
	if (resync_ && filler_ && seq_before(nr, una) && !seq_before(nr, resync_low_)) {
		// Restored tunnel: the peer never got [nr, una) from the process that died. Fill
		// the gap (renumbering ours instead would clash with what the peer buffered of
		// them) and send everything again from its start.
		const uint16_t gap = seq_dist(nr, una);
		for (uint16_t i = gap; i > 0; --i)
			window_.push_front(entry{static_cast<uint16_t>(nr + i - 1), 0, filler_()});
		resync_ = false;
		++stats_.resyncs;
		in_flight_ = 0;
		transmitted_ = 0;
		retransmit_timer_.stop();
		rto_ = cfg_.retransmit_initial;
		sync_mirror();
		pump();
		una = window_.front().ns;
	}
	const bool stale = seq_before(nr, una);
	if (!stale && seq_dist(una, nr) > transmitted_) {
		++stats_.rx_bad_nr;
		return rx_verdict::bad_nr;
	}
	restart_hello();
	if (!stale)
		process_ack(nr);

	if (msg.empty()) {
		++stats_.rx_zlb;
		return rx_verdict::zlb;
	}
	if (seq_before(ns, expected_)) {
		++stats_.rx_duplicates;
		ack_now();
		return rx_verdict::duplicate;
	}
	const uint16_t ahead = seq_dist(expected_, ns);
	if (ahead >= cfg_.our_rws) {
		++stats_.rx_outside_window;
		return rx_verdict::outside_window;
	}
	if (ahead > 0) {
		if (reorder_.emplace(ns, std::vector<uint8_t>(msg.begin(), msg.end())).second)
			++stats_.rx_reordered;
		else
			++stats_.rx_duplicates;
		return rx_verdict::buffered;
	}
	++stats_.rx_messages;
	++unacked_rx_;
	delivered_.emplace_back(msg.begin(), msg.end());
	++expected_;
	for (auto it = reorder_.find(expected_); it != reorder_.end(); it = reorder_.find(expected_)) {
		++stats_.rx_messages;
		++unacked_rx_;
		delivered_.push_back(std::move(it->second));
		reorder_.erase(it);
		++expected_;
	}
	sync_mirror();
	schedule_ack();
	return rx_verdict::accepted;
}

std::optional<std::vector<uint8_t>> reliable_transport::pop() {
	if (delivered_.empty())
		return std::nullopt;
	auto m = std::move(delivered_.front());
	delivered_.pop_front();
	return m;
}

void reliable_transport::on_retransmit_timeout() {
	if (in_flight_ == 0 || failed_)
		return;
	entry &e = window_.front();
	if (e.retries >= cfg_.max_retries) {
		failed_ = true;
		ack_timer_.stop();
		hello_timer_.stop();
		if (hooks_.on_failure)
			hooks_.on_failure(); // last: may destroy *this
		return;
	}
	++e.retries;
	ssthresh_ = std::max<uint16_t>(cwnd_ / 2, 1);
	cwnd_ = 1;
	ca_acks_ = 0;
	++stats_.tx_retransmits;
	// Go back N: the messages sent after this one are presumed lost as well and go out again
	// as the window reopens (slow start), instead of one message per timeout — with k
	// messages lost in a burst, the tunnel would otherwise stall for k timeouts.
	in_flight_ = 1;
	transmit(e);
	rto_ = std::min(rto_ * 2, cfg_.retransmit_cap);
	retransmit_timer_.start(rto_, [this] { on_retransmit_timeout(); });
}

void reliable_transport::restore(uint16_t ns, uint16_t nr, uint16_t acked) {
	window_.clear();
	reorder_.clear();
	delivered_.clear();
	in_flight_ = transmitted_ = 0;
	next_ns_ = ns;
	expected_ = nr;
	// acked must not be after ns (a corrupt value would renumber forward): ignore it then.
	resync_ = acked != ns && seq_before(acked, ns) && seq_dist(acked, ns) <= cfg_.max_queued;
	resync_low_ = resync_ ? acked : ns;
	cwnd_ = 1;
	ca_acks_ = 0;
	unacked_rx_ = 0;
	rto_ = cfg_.retransmit_initial;
	retransmit_timer_.stop();
	ack_timer_.stop();
	restart_hello();
	sync_mirror();
}

void reliable_transport::stop() {
	stopped_ = true;
	retransmit_timer_.stop();
	hello_timer_.stop();
}

} // namespace l2tpx::cp
