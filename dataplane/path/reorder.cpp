// Reorder buffers (reorder.hpp): holding out-of-order packets, releasing them in order.
#include "dataplane/path/reorder.hpp"

#include <atomic>

#include <rte_mbuf.h>

#include "dataplane/path/path_internal.hpp"

namespace l2tpx::dp {

namespace {

constexpr uint32_t tag_slot_bits = 20;

uint32_t seq_mask(uint32_t bits) noexcept { return (1u << bits) - 1; }

// Distance of ns ahead of next in serial-number arithmetic.
uint32_t ahead(uint32_t ns, uint32_t next, uint32_t bits) noexcept { return (ns - next) & seq_mask(bits); }

void recompute_deadline(reorder_slot &s) noexcept {
	uint64_t oldest = UINT64_MAX;
	for (uint8_t i = 0; i < s.count; i++)
		oldest = s.held[i].since < oldest ? s.held[i].since : oldest;
	s.deadline = oldest == UINT64_MAX ? UINT64_MAX : oldest + s.timeout;
}

void set_ready(reorder_pool &p, reorder_slot &s) noexcept {
	if (!s.ready && !s.skip)
		p.ready++;
	s.ready = true;
}

void clear_ready(reorder_pool &p, reorder_slot &s) noexcept {
	if ((s.ready || s.skip) && p.ready)
		p.ready--;
	s.ready = s.skip = false;
}

// The slot attached to session idx for this pool, if any (session_seq::reserved names it).
reorder_slot *attached(reorder_pool &p, const session_seq &st, uint32_t idx, uint32_t generation) noexcept {
	const uint32_t tag = std::atomic_ref<const uint32_t>(st.reserved).load(std::memory_order_relaxed);
	if (tag >> tag_slot_bits != p.owner + 1)
		return nullptr;
	const uint32_t i = tag & ((1u << tag_slot_bits) - 1);
	if (i >= p.slots.size())
		return nullptr;
	reorder_slot &s = p.slots[i];
	return s.session == idx && s.generation == generation && s.tag == tag ? &s : nullptr;
}

void detach(reorder_pool &p, reorder_slot &s, session_seq *st) noexcept {
	clear_ready(p, s);
	if (st) {
		uint32_t expected = s.tag; // the writer may have zeroed it (reinstall): leave that alone
		std::atomic_ref<uint32_t>(st->reserved).compare_exchange_strong(expected, 0, std::memory_order_relaxed);
	}
	const uint32_t i = static_cast<uint32_t>(&s - p.slots.data());
	const uint32_t last = p.active.back();
	p.active[s.active_pos] = last;
	p.slots[last].active_pos = s.active_pos;
	p.active.pop_back();
	s.session = no_session;
	s.count = 0;
	s.deadline = UINT64_MAX;
	p.free_list.push_back(i);
}

// Output of one released packet, as the burst loop sorts them.
void place(const path_ctx &c, uint16_t in_port, rte_mbuf *m, const detail::action &a, burst_out &out) noexcept {
	using detail::fate;
	switch (a.f) {
	case fate::tx:
		out.tx_port[out.n_tx] = a.port;
		out.tx[out.n_tx++] = m;
		c.counters->count(path_event::tx);
		break;
	case fate::punt:
		out.punt[out.n_punt++] = m;
		break;
	case fate::local:
		m->port = in_port;
		out.local[out.n_local++] = m;
		c.counters->count(path_event::local);
		break;
	case fate::drop:
		c.counters->count(a.why);
		rte_pktmbuf_free(m);
		break;
	case fate::icmp:
		c.counters->count(a.why);
		m->port = in_port;
		out.icmp[out.n_icmp++] = m;
		break;
	case fate::glean:
		c.counters->count(a.why);
		m->port = a.port;
		out.glean[out.n_glean++] = m;
		break;
	case fate::held: // cannot happen while releasing; never lose the mbuf
		c.counters->count(drop_reason::unknown_session);
		rte_pktmbuf_free(m);
		break;
	}
}

bool out_has_room(const burst_out &o) noexcept {
	return o.n_tx < max_burst && o.n_punt < max_burst && o.n_local < max_burst && o.n_icmp < max_burst &&
	       o.n_glean < max_burst;
}

// Releases the slot's packets that are in order (skipping the gap when it timed out or
// overflowed). Returns false when `out` filled up first.
bool drain(const path_ctx &c, reorder_pool &p, reorder_slot &s, burst_out &out, uint32_t &done) noexcept {
	const tables_view &v = *c.view;
	session_seq &st = v.seq[s.session];
	const session &rec = v.sessions[s.session];
	if (__atomic_load_n(&rec.state, __ATOMIC_ACQUIRE) != session_state::up || rec.generation != s.generation ||
	    std::atomic_ref<uint32_t>(st.reserved).load(std::memory_order_relaxed) != s.tag) {
		// The session went down or was rewritten: what it held is for nobody now.
		for (uint8_t i = 0; i < s.count; i++) {
			c.counters->count(drop_reason::unknown_session);
			rte_pktmbuf_free(s.held[i].m);
		}
		done += s.count;
		s.count = 0;
		detach(p, s, nullptr);
		return true;
	}
	if (s.ready || s.skip)
		p.ready--;
	bool skip = s.skip;
	s.ready = s.skip = false;
	path_ctx rc = c;
	rc.releasing = true;
	std::atomic_ref<uint32_t> next(st.rx_next);
	uint8_t head = 0;
	bool room = true;
	while (head < s.count) {
		if (!out_has_room(out)) {
			room = false;
			break;
		}
		const reorder_held &h = s.held[head];
		const uint32_t d = ahead(h.ns, next.load(std::memory_order_relaxed), s.bits);
		if (d != 0) {
			if (d >= (1u << (s.bits - 1))) { // behind: another worker accepted past it
				c.counters->count(drop_reason::seq_out_of_order);
				rte_pktmbuf_free(h.m);
				head++;
				done++;
				continue;
			}
			if (!skip && p.now < s.deadline)
				break; // still waiting for the gap
			c.counters->count(path_event::reorder_timeout);
			c.counters->count(path_event::seq_gap);
			next.store(h.ns, std::memory_order_relaxed);
			skip = false;
		}
		// In order now: through the access path, the sequence check bypassed (it sets rx_next).
		c.counters->count(path_event::reordered);
		place(c, h.in_port, h.m, detail::handle_access(rc, h.in_port, h.m), out);
		head++;
		done++;
		// The next gap is judged by the packets still held.
		uint64_t oldest = UINT64_MAX;
		for (uint8_t i = head; i < s.count; i++)
			oldest = s.held[i].since < oldest ? s.held[i].since : oldest;
		s.deadline = oldest == UINT64_MAX ? UINT64_MAX : oldest + s.timeout;
	}
	if (head) {
		for (uint8_t i = head; i < s.count; i++)
			s.held[i - head] = s.held[i];
		s.count = static_cast<uint8_t>(s.count - head);
	}
	if (s.count == 0) {
		detach(p, s, &st);
		return room;
	}
	recompute_deadline(s);
	if (!room) { // out is full: go on at the next call
		s.ready = true;
		s.skip = skip;
		p.ready++;
	}
	return room;
}

} // namespace

reorder_pool::~reorder_pool() { clear(); }

void reorder_pool::init(uint32_t capacity, uint32_t owner_index, uint64_t ticks_per_s) {
	clear();
	if (capacity > max_capacity)
		capacity = max_capacity;
	slots.assign(capacity, reorder_slot{});
	free_list.clear();
	free_list.reserve(capacity);
	for (uint32_t i = capacity; i-- > 0;)
		free_list.push_back(i);
	active.clear();
	active.reserve(capacity);
	owner = owner_index;
	hz = ticks_per_s ? ticks_per_s : 1;
	next_deadline = UINT64_MAX;
	ready = 0;
}

void reorder_pool::clear() noexcept {
	for (uint32_t i : active) {
		reorder_slot &s = slots[i];
		for (uint8_t k = 0; k < s.count; k++)
			rte_pktmbuf_free(s.held[k].m);
		s = reorder_slot{};
		free_list.push_back(i);
	}
	active.clear();
	ready = 0;
	next_deadline = UINT64_MAX;
}

uint32_t reorder_pool::held_packets() const noexcept {
	uint32_t n = 0;
	for (uint32_t i : active)
		n += slots[i].count;
	return n;
}

uint32_t reorder_service(const path_ctx &c, burst_out &out) noexcept {
	out.n_tx = out.n_punt = out.n_local = out.n_icmp = out.n_glean = 0;
	reorder_pool *p = c.reorder;
	if (!p || !p->due())
		return 0;
	uint32_t done = 0;
	uint64_t next_deadline = UINT64_MAX;
	bool room = true;
	for (size_t k = 0; k < p->active.size();) {
		reorder_slot &s = p->slots[p->active[k]];
		const size_t before = p->active.size();
		if (room && (s.ready || s.skip || p->now >= s.deadline))
			room = drain(c, *p, s, out, done);
		if (p->active.size() < before)
			continue; // detached: another slot moved into position k
		next_deadline = s.deadline < next_deadline ? s.deadline : next_deadline;
		k++;
	}
	p->next_deadline = next_deadline;
	return done;
}

namespace detail {

reorder_verdict reorder_rx(const path_ctx &c, const session &s, uint32_t idx, uint32_t ns, uint32_t bits,
                           rte_mbuf *m, uint16_t in_port) noexcept {
	session_seq &st = c.view->seq[idx];
	const uint32_t mask = seq_mask(bits);
	std::atomic_ref<uint32_t> valid(st.rx_valid), next(st.rx_next);
	if (c.releasing || !valid.load(std::memory_order_relaxed)) {
		valid.store(1, std::memory_order_relaxed);
		next.store((ns + 1) & mask, std::memory_order_relaxed);
		return reorder_verdict::deliver;
	}
	const uint32_t d = ahead(ns, next.load(std::memory_order_relaxed), bits);
	if (d >= (1u << (bits - 1)))
		return reorder_verdict::old;
	reorder_pool *p = c.reorder;
	reorder_slot *slot = p ? attached(*p, st, idx, s.generation) : nullptr;
	if (d == 0) {
		next.store((ns + 1) & mask, std::memory_order_relaxed);
		if (slot && slot->count && ahead(slot->held[0].ns, (ns + 1) & mask, bits) == 0)
			set_ready(*p, *slot); // the gap is filled: reorder_service() releases the rest after this burst
		return reorder_verdict::deliver;
	}
	// Ahead of the next expected Ns: hold it.
	if (!slot) {
		const bool owned_elsewhere = std::atomic_ref<uint32_t>(st.reserved).load(std::memory_order_relaxed) != 0;
		if (!p || p->free_list.empty() || owned_elsewhere) {
			// No buffer: as without reordering, the gap is accepted.
			c.counters->count(path_event::reorder_overflow);
			c.counters->count(path_event::seq_gap);
			next.store((ns + 1) & mask, std::memory_order_relaxed);
			return reorder_verdict::deliver;
		}
		const uint32_t i = p->free_list.back();
		p->free_list.pop_back();
		slot = &p->slots[i];
		slot->session = idx;
		slot->generation = s.generation;
		slot->tag = (p->owner + 1) << tag_slot_bits | i;
		slot->bits = static_cast<uint8_t>(bits);
		slot->count = 0;
		slot->ready = slot->skip = false;
		slot->timeout = p->hz * s.reorder_timeout_ms / 1000;
		slot->deadline = UINT64_MAX;
		slot->active_pos = static_cast<uint32_t>(p->active.size());
		p->active.push_back(i);
		std::atomic_ref<uint32_t>(st.reserved).store(slot->tag, std::memory_order_relaxed);
	}
	// Sorted insert by distance; a duplicate of a held Ns is old.
	uint8_t at = 0;
	while (at < slot->count) {
		const uint32_t dh = ahead(slot->held[at].ns, next.load(std::memory_order_relaxed), bits);
		if (dh == d)
			return reorder_verdict::old;
		if (dh > d)
			break;
		at++;
	}
	if (slot->count == reorder_depth) {
		c.counters->count(path_event::reorder_overflow);
		if (!slot->skip && !slot->ready)
			p->ready++;
		slot->skip = true; // give up on the gap at the next service
		return reorder_verdict::full;
	}
	for (uint8_t i = slot->count; i > at; i--)
		slot->held[i] = slot->held[i - 1];
	slot->held[at] = {m, p->now, ns, in_port};
	slot->count++;
	if (slot->deadline == UINT64_MAX) {
		slot->deadline = p->now + slot->timeout;
		if (slot->deadline < p->next_deadline)
			p->next_deadline = slot->deadline;
	}
	return reorder_verdict::held;
}

} // namespace detail

} // namespace l2tpx::dp
