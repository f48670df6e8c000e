#include "tools/gen/traffic/scheduler.hpp"

#include <algorithm>
#include <bit>

namespace l2tpx::gen {

scheduler::scheduler(const scheduler_options &opts) : opts_(opts) {
	if (opts_.hz == 0)
		opts_.hz = 1000000000;
	if (opts_.slot_shift == 0) {
		uint64_t per_us = std::max<uint64_t>(opts_.hz / 1000000, 1);
		opts_.slot_shift = static_cast<uint32_t>(std::bit_width(per_us) - 1);
	}
	opts_.slots_log2 = std::clamp<uint32_t>(opts_.slots_log2, 1, 24);
	if (opts_.max_burst == 0)
		opts_.max_burst = 1;
	if (opts_.max_lag == 0)
		opts_.max_lag = std::max<uint64_t>(opts_.hz / 100, 1);
	heads_.assign(size_t(1) << opts_.slots_log2, nil);
	slot_mask_ = heads_.size() - 1;
}

int scheduler::add_profile(const rate &r, std::span<const uint16_t> pattern, uint32_t wire_overhead) {
	if (pattern.empty() || r.value == 0)
		return -1;
	profile p;
	p.denom = r.value;
	p.sizes.assign(pattern.begin(), pattern.end());
	p.steps.reserve(pattern.size());
	for (uint16_t size : pattern) {
		uint64_t cost = r.unit == rate_unit::pps ? 1 : (uint64_t(size) + wire_overhead) * 8;
		uint64_t num = cost * opts_.hz;
		p.steps.push_back(step{num / p.denom, num % p.denom});
	}
	profiles_.push_back(std::move(p));
	return static_cast<int>(profiles_.size() - 1);
}

int scheduler::add_stream(uint32_t stream_id, int profile) {
	if (profile < 0 || size_t(profile) >= profiles_.size())
		return -1;
	stream s;
	s.id = stream_id;
	s.profile = static_cast<uint32_t>(profile);
	streams_.push_back(s);
	return static_cast<int>(streams_.size() - 1);
}

void scheduler::start(uint64_t now, uint64_t duration) {
	std::fill(heads_.begin(), heads_.end(), nil);
	cur_slot_ = now >> opts_.slot_shift;
	active_ = 0;
	const uint64_t n = streams_.size();
	for (uint32_t i = 0; i < n; i++) {
		stream &s = streams_[i];
		__extension__ using u128 = unsigned __int128;
		const uint64_t interval = profiles_[s.profile].steps[0].ticks;
		s.due = now + static_cast<uint64_t>(u128(interval) * i / n);
		s.rem = 0;
		s.end = s.due + duration;
		s.seq = 0;
		s.pos = 0;
		if (duration == 0)
			continue;
		insert(i, cur_slot_);
		active_++;
	}
}

void scheduler::insert(uint32_t s, uint64_t min_slot) noexcept {
	uint64_t slot = std::max(streams_[s].due >> opts_.slot_shift, min_slot);
	uint32_t &head = heads_[slot & slot_mask_];
	streams_[s].next = head;
	head = s;
}

scheduler::drain_result scheduler::drain(uint32_t s, uint64_t now, std::span<tx_item> out, size_t &n) noexcept {
	stream &st = streams_[s];
	const profile &pf = profiles_[st.profile];
	if (now > st.due && now - st.due > opts_.max_lag) {
		counters_.lag_resets++;
		counters_.lag_ticks += now - st.due;
		st.due = now;
		st.rem = 0;
	}
	uint32_t k = 0;
	drain_result res = drain_result::waiting;
	while (st.due <= now && st.due < st.end) {
		if (k == opts_.max_burst) {
			res = drain_result::capped;
			break;
		}
		if (n == out.size()) {
			res = drain_result::out_full;
			break;
		}
		out[n++] = tx_item{st.id, pf.sizes[st.pos], st.seq, st.due};
		st.seq++;
		k++;
		const step &sp = pf.steps[st.pos];
		st.due += sp.ticks;
		st.rem += sp.rem;
		if (st.rem >= pf.denom) {
			st.rem -= pf.denom;
			st.due++;
		}
		if (++st.pos == pf.sizes.size())
			st.pos = 0;
	}
	counters_.packets += k;
	if (st.due >= st.end)
		return drain_result::finished;
	return res;
}

size_t scheduler::poll(uint64_t now, std::span<tx_item> out) noexcept {
	size_t n = 0;
	const uint64_t now_slot = now >> opts_.slot_shift;
	if (active_ == 0 || now_slot < cur_slot_)
		return 0;
	// A full turn of the wheel visits every stream; older slots hold nothing else.
	if (now_slot - cur_slot_ > slot_mask_)
		cur_slot_ = now_slot - slot_mask_;
	for (;;) {
		uint32_t &head = heads_[cur_slot_ & slot_mask_];
		uint32_t h = head;
		head = nil;
		while (h != nil) {
			const uint32_t s = h;
			h = streams_[s].next;
			if (streams_[s].due > now) {
				insert(s, cur_slot_);
				continue;
			}
			switch (drain(s, now, out, n)) {
			case drain_result::finished:
				active_--;
				break;
			case drain_result::waiting:
				insert(s, cur_slot_);
				break;
			case drain_result::capped:
				// Still due: revisit at the latest slot of this poll, not in a passed one.
				insert(s, now_slot);
				break;
			case drain_result::out_full:
				insert(s, cur_slot_);
				while (h != nil) {
					const uint32_t t = h;
					h = streams_[t].next;
					insert(t, cur_slot_);
				}
				return n;
			}
		}
		if (cur_slot_ == now_slot)
			break;
		cur_slot_++;
	}
	return n;
}

} // namespace l2tpx::gen
