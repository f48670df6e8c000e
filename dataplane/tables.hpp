// Session, tunnel and route tables: the memory behind tables_view, and their single writer.
//
// Only the main lcore calls the non-const methods. Workers read the arrays through
// tables_view without locks (see dataplane/path/session.hpp for the record protocol):
//   install:  write the record while its state is free/down, then store state=up (release)
//   remove:   store state=down, delete its routes, wait for an RCU grace period
//             (rte_rcu_qsbr_synchronize), then state=free: only then is the slot reusable
//   modify / next-hop change: down, grace period, rewrite, generation++, up.
// Session index = ((tunnel << 16) | session) & mask for L2TPv2, session & mask for L2TPv3;
// the control plane chooses IDs whose index is free (status::index_busy otherwise).
//
// The telemetry thread reads the shadow state under `mutex()`; the writer holds it while it
// applies a batch of changes.
#pragma once

#include "dataplane/path/session.hpp"
#include "dataplane/path/session_build.hpp"
#include "dataplane/path/tables_view.hpp"
#include "dataplane/session_convert.hpp"
#include "shared/config/config.hpp"
#include "shared/ring/messages.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct rte_rcu_qsbr;
struct rte_ring;

namespace l2tpx::dp {

// What the writer needs from the neighbour table to build a session's template.
struct next_hop_resolver {
	// MAC of the next hop towards `peer` (network-order bytes, IPv4 in the first 4) on
	// `port`, or false when unresolved (resolution is then started).
	std::function<bool(uint16_t port, uint8_t family, const uint8_t *peer, uint8_t mac_out[6])> resolve;
	// This port's own MAC.
	std::function<void(uint16_t port, uint8_t mac_out[6])> port_mac;
};

struct op_result {
	ring::status st = ring::status::ok;
	uint32_t index = UINT32_MAX;
	std::string detail;
	static op_result fail(ring::status s, std::string d) { return {s, UINT32_MAX, std::move(d)}; }
};

struct session_shadow {
	ring::session_params params; // as installed (or last modified)
	bool is_static = false;      // from the config file: kept by flush_sessions
	bool waiting_neighbour = false; // installed, record down until the peer's MAC is known
	uint32_t tunnel_index = UINT32_MAX;
	std::vector<std::pair<ring::ip_addr, uint8_t>> extra_routes; // add_route prefixes
};

// The session shadows, indexed by session index like the worker-visible records: chunks
// of 1024 slots, each allocated when its first session is installed and kept until the
// tables go, so installing or removing a session allocates nothing once its chunk exists
// (an unordered_map would allocate a node per install and rehash as it grows). Iterates
// in index order.
class shadow_store {
public:
	void reset(uint32_t capacity) {
		chunks_.clear();
		chunks_.resize((size_t(capacity) + chunk_size - 1) / chunk_size);
		count_ = 0;
	}
	uint32_t size() const noexcept { return count_; }
	session_shadow *find(uint32_t idx) noexcept {
		chunk *c = chunk_of(idx);
		return c && c->used[idx % chunk_size] ? c->at(idx % chunk_size) : nullptr;
	}
	const session_shadow *find(uint32_t idx) const noexcept { return const_cast<shadow_store *>(this)->find(idx); }
	// idx < capacity and not in use (checked by the caller).
	session_shadow &insert(uint32_t idx, session_shadow &&sh) {
		std::unique_ptr<chunk> &c = chunks_.at(idx / chunk_size);
		if (!c)
			c.reset(new chunk); // default-initialised: only used[] is zeroed
		session_shadow *slot = new (c->raw[idx % chunk_size]) session_shadow(std::move(sh));
		c->used[idx % chunk_size] = true;
		count_++;
		return *slot;
	}
	// insert() of a default shadow, filled in place by the caller.
	session_shadow &emplace(uint32_t idx) {
		std::unique_ptr<chunk> &c = chunks_.at(idx / chunk_size);
		if (!c)
			c.reset(new chunk);
		session_shadow *slot = new (c->raw[idx % chunk_size]) session_shadow;
		c->used[idx % chunk_size] = true;
		count_++;
		return *slot;
	}
	void erase(uint32_t idx) noexcept {
		chunk *c = chunk_of(idx);
		if (!c || !c->used[idx % chunk_size])
			return;
		c->at(idx % chunk_size)->~session_shadow();
		c->used[idx % chunk_size] = false;
		count_--;
	}
	// f(uint32_t index, session_shadow &) for every session, in index order; f must not
	// insert or erase.
	template <typename F> void for_each(F &&f) {
		for (size_t ci = 0; ci < chunks_.size(); ci++)
			if (chunk *c = chunks_[ci].get())
				for (uint32_t i = 0; i < chunk_size; i++)
					if (c->used[i])
						f(static_cast<uint32_t>(ci * chunk_size + i), *c->at(i));
	}
	template <typename F> void for_each(F &&f) const {
		const_cast<shadow_store *>(this)->for_each(
		    [&](uint32_t idx, session_shadow &sh) { f(idx, static_cast<const session_shadow &>(sh)); });
	}

private:
	static constexpr uint32_t chunk_size = 1024;
	// Slots are constructed on insert only: a new chunk costs one allocation, not 1024
	// constructions.
	struct chunk {
		alignas(session_shadow) unsigned char raw[chunk_size][sizeof(session_shadow)];
		bool used[chunk_size] = {};
		chunk() = default;
		chunk(const chunk &) = delete;
		chunk &operator=(const chunk &) = delete;
		~chunk() {
			for (uint32_t i = 0; i < chunk_size; i++)
				if (used[i])
					at(i)->~session_shadow();
		}
		session_shadow *at(uint32_t i) noexcept { return std::launder(reinterpret_cast<session_shadow *>(raw[i])); }
	};
	chunk *chunk_of(uint32_t idx) const noexcept {
		const size_t ci = idx / chunk_size;
		return ci < chunks_.size() ? chunks_[ci].get() : nullptr;
	}
	std::vector<std::unique_ptr<chunk>> chunks_;
	uint32_t count_ = 0;
};

struct tunnel_shadow {
	ring::tunnel_params params;
	uint32_t sessions = 0;
	bool is_static = false;
	session_stats retired{}; // the last counters of its sessions already removed
};

class tables {
public:
	tables() = default;
	tables(const tables &) = delete;
	tables &operator=(const tables &) = delete;
	~tables();

	// Allocates every table for the configured capacities (hugepage memory). `rcu` is the
	// QSBR variable the workers report to; `self_rcu_id` is the writer's own reader id when
	// the main lcore also processes packets (else RTE_QSBR_THRID_INVALID).
	bool init(const cfg::config &c, rte_rcu_qsbr *rcu, unsigned self_rcu_id, std::string &err);

	const tables_view &view() const noexcept { return view_; }
	tables_view &mutable_view() noexcept { return view_; } // setup only (ports, punt ring)
	uint32_t session_capacity() const noexcept { return view_.session_mask + 1; }
	uint32_t session_count() const noexcept { return sessions_.size(); }
	uint32_t tunnel_count() const noexcept { return tunnel_count_; }
	std::mutex &mutex() noexcept { return mu_; }

	void set_resolver(next_hop_resolver r) { resolver_ = std::move(r); }
	void set_stats_arrays(std::vector<session_stats *> per_lcore) { stats_ = std::move(per_lcore); }

	// Writer operations (main lcore). Each returns the status for the completion.
	op_result add_tunnel(const ring::tunnel_params &p, bool is_static = false);
	op_result modify_tunnel(const ring::tunnel_params &p);
	op_result remove_tunnel(const ring::tunnel_params &p);
	op_result add_session(const ring::session_params &p, bool is_static = false);
	op_result modify_session(const ring::session_params &p);
	// Removes; `final` receives the session's last counters.
	op_result remove_session(const ring::session_ref &r, session_stats *final = nullptr);
	op_result add_route(const ring::route_params &p);
	op_result remove_route(const ring::route_params &p);
	// Removes every non-static session and tunnel; returns how many sessions went.
	uint32_t flush_managed();

	// The next hop of `port` / `family` / address changed (resolved, new MAC): rebuilds the
	// templates of the sessions that use it, with one grace period for all of them.
	void next_hop_changed(uint16_t port);

	// Lookups for commands, telemetry and tests (take mutex() around them from other threads).
	uint32_t find_session(const ring::session_ref &r) const noexcept; // UINT32_MAX if none
	const session_shadow *shadow(uint32_t index) const noexcept;
	const tunnel_shadow *tunnel_at(uint32_t index) const noexcept;
	session_stats sum_stats(uint32_t index) const noexcept;
	// A tunnel's data counters: its installed sessions' (sum_stats) plus its removed ones'
	// (tunnel_shadow::retired). Walks the installed sessions: for telemetry, not per packet.
	session_stats tunnel_stats(uint32_t tunnel_index) const noexcept;
	template <typename F> void for_each_session(F &&f) const { sessions_.for_each(f); }
	// f(uint32_t index, const tunnel_shadow &) for every tunnel, in index order.
	template <typename F> void for_each_tunnel(F &&f) const {
		for (size_t i = 0; i < tunnels_.size(); i++)
			if (tunnels_[i])
				f(static_cast<uint32_t>(i), *tunnels_[i]);
	}

	// Ethernet pseudowire map: register an attachment port (setup).
	bool add_attachment_port(uint16_t port_id, std::string &err);

private:
	uint32_t index_of(uint8_t version, uint32_t tunnel_id, uint32_t session_id) const noexcept;
	op_result check_session_params(const ring::session_params &p) const;
	op_result build_record(uint32_t index, session_shadow &sh, bool *waiting);
	op_result add_routes(uint32_t index, const ring::session_params &p);
	void delete_routes(uint32_t index, const session_shadow &sh);
	bool route_add(const ring::ip_addr &a, uint8_t len, uint32_t index, std::string &err);
	void route_del(const ring::ip_addr &a, uint8_t len);
	// The direct /32 table entry of host-order address ip, or null when ip is outside its
	// block; `choose`: the first /32 ever installed sets the block.
	uint32_t *direct_slot(uint32_t ip, bool choose) noexcept;
	void set_state(uint32_t index, session_state st) noexcept;
	session_stats release_session(uint32_t index);
	void synchronize() noexcept;
	// Counts one tunnel more (+1) or less (-1) on p's local UDP port, when that is not
	// l2tp_udp_port, and sets its bit in the view's extra ports from the first to the last.
	void ref_udp_port(const ring::tunnel_params &p, int delta);
	void reset_counters(uint32_t index) noexcept;
	uint32_t pw_slot(uint32_t index, const ring::session_params &p) const noexcept;
	// Tunnel index of (version, local ID), UINT32_MAX if none: a direct array for L2TPv2's
	// 16-bit IDs (one load per install), the map for L2TPv3's 32-bit ones.
	uint32_t tunnel_slot(uint8_t version, uint32_t id) const noexcept;
	std::string name_ = "l2tpx";

	tables_view view_{};
	session *sessions_mem_ = nullptr;
	tunnel *tunnels_mem_ = nullptr;
	session_seq *seq_mem_ = nullptr;
	uint32_t *eth_pw_mem_ = nullptr;
	uint32_t *sub_direct_mem_ = nullptr; // view_.sub_v4_direct
	rte_rcu_qsbr *rcu_ = nullptr;
	unsigned self_rcu_id_ = 0;
	uint32_t generation_ = 0;
	uint32_t route_capacity_ = 0;
	uint16_t attach_slot_of_port_[max_ports] = {};

	shadow_store sessions_; // by session index
	std::vector<std::optional<tunnel_shadow>> tunnels_;          // by tunnel index (tunnel_capacity)
	uint32_t tunnel_count_ = 0;
	std::unordered_map<uint64_t, uint32_t> tunnel_by_id_;         // (version << 32 | local id) -> index
	std::vector<uint32_t> v2_tunnel_slot_;                        // L2TPv2 local tunnel ID -> index
	std::unordered_map<uint16_t, uint32_t> udp_port_refs_;        // tunnels per extra local UDP port
	std::vector<uint32_t> free_tunnel_slots_;
	std::vector<session_stats *> stats_;
	next_hop_resolver resolver_;
	std::mutex mu_;
};

// --- command handling ------------------------------------------------------------------------

// Counters of the command side; the runtime adds them to its control_stats.
struct command_counters {
	uint64_t commands = 0, command_errors = 0, bad_messages = 0, events = 0, event_ring_full = 0;
};

// The command side of the main lcore's loop (dataplane/control.cpp; also what the install
// benchmark runs): dequeues ring::command messages in bursts, applies the table commands
// (add / modify / remove of tunnels, sessions and routes, flush_sessions) and answers each
// with a completion. Events are queued here and enqueued in bursts, in command order: a
// command this class does not handle (hello, neighbours, counters, dumps) goes to `other`
// after the events queued before it are sent. A full event ring drops (and counts) events;
// it never blocks the writer.
class command_drain {
public:
	static constexpr unsigned burst = 32;
	// Handles a command that is not a table command (its abi_version has been checked); it
	// sends its events with emit() + flush() or complete().
	using other_fn = void (*)(void *ctx, const ring::command &c);

	command_drain(tables &t, rte_ring *commands, rte_ring *events) noexcept
	    : tables_(t), commands_(commands), events_(events) {}

	// Dequeues and handles up to `max` commands; returns how many were dequeued. Every
	// event queued is sent before it returns.
	uint32_t run(uint32_t max, other_fn other, void *ctx);
	// Queues one event (sent by flush(), or when the queue is full).
	void emit(const ring::event &e) noexcept;
	// Queues the completion of `c`.
	void complete(const ring::command &c, ring::status st, uint32_t index, std::string_view detail) noexcept;
	void flush() noexcept;
	command_counters &counters() noexcept { return counters_; }

private:
	// false: not a table command.
	bool apply(const ring::command &c);
	ring::event &next_event() noexcept;

	tables &tables_;
	rte_ring *commands_;
	rte_ring *events_;
	command_counters counters_;
	unsigned queued_ = 0;
	ring::event out_[2 * burst]; // a removal answers with its last counters and a completion
	ring::command in_[burst];
};

} // namespace l2tpx::dp
