// The protocol library's dataplane_port over the shared/ring command and event rings.
//
// install_session() becomes add_tunnel (first session of a tunnel) + add_session;
// remove_session() becomes remove_session, then remove_tunnel once the tunnel has no
// session left. Commands go out in order through a FIFO: when the command ring is full they
// wait here and are retried on the next pump(), never dropped. Every command gets exactly
// one completion (messages.hpp); a failed add_session is reported through on_install_failed
// so the daemon ends the call, and a command unanswered for `command_timeout` is counted
// and logged once. DPDK-free: the ring is behind command_sink, so tests use a fake.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include "controlplane/core/timer.hpp"
#include "controlplane/dataplane_port.hpp"
#include "shared/ring/messages.hpp"

namespace l2tpx::cp::daemon {

class command_sink {
public:
	virtual ~command_sink() = default;
	// false: the ring is full, try again later.
	virtual bool try_send(const ring::command &c) = 0;
};

struct ring_dataplane_settings {
	uint8_t session_flags = 0;  // ring::session_flag::* added to every session
	uint16_t mss_clamp = 0;
	duration command_timeout{2000};
	size_t max_queued = 65536;  // commands waiting for ring space; beyond, installs fail
	uint32_t first_seq = 1;     // random in the process: late completions of an earlier
	                            // control plane's commands must not match ours
	uint16_t reorder_timeout_ms = 0; // sessions with data sequencing: reorder buffer timeout
};

#define L2TPX_CPD_RING_COUNTERS(X)                                                               \
	X(commands_sent) X(ring_full_retries) X(completions_ok) X(completions_failed)               \
	X(completions_unmatched) X(command_timeouts) X(events_bad_version) X(events_unknown)          \
	X(install_failures) X(queue_overflow) X(preinstalls)

struct ring_counters {
#define X(n) uint64_t n = 0;
	L2TPX_CPD_RING_COUNTERS(X)
#undef X
};

class ring_dataplane final : public dataplane_port {
public:
	using port_lookup = std::function<uint16_t(const udp_endpoint &peer)>;

	ring_dataplane(command_sink &sink, timer_service &clock, ring_dataplane_settings s, port_lookup port_for);

	// Installs an answered L2TP session (ICRP) before PPP is up, so that the dataplane punts
	// its PPP control frames to us (it drops data for sessions it does not know): no
	// subscriber address, check_source and control_only on, so no upstream IPv4 (and, with a
	// dataplane that implements control_only, no IPv6) passes. install_session() then
	// completes it with modify_session. Fails (unavailable) only beyond max_queued.
	result<void, dp_error> prepare_session(const session_install &s) override;
	bool known(tunnel_id_v2 t, session_id_v2 s) const { return sessions_.contains(session_key{t, s}); }
	result<void, dp_error> install_session(const session_install &s) override;
	// modify_session with the new parameters (an installed session's IPv6 prefix).
	result<void, dp_error> update_session(const session_install &s) override;
	void remove_session(tunnel_id_v2 local_tunnel, session_id_v2 local_session) override;
	void remove_tunnel(tunnel_id_v2 local_tunnel) override;
	// A session an earlier control plane installed and this one adopted (restart_policy =
	// "adopt"): known as installed at `index`, its tunnel referenced; nothing is sent.
	// remove_session() later removes it (and the tunnel after its last session).
	void adopt(tunnel_id_v2 t, session_id_v2 s, uint32_t index);
	// Every session and tunnel installed through this port (exit).
	void remove_all();
	// The dataplane is gone: never touch the sink again (commands are discarded).
	void detach() noexcept {
		detached_ = true;
		queue_.clear();
	}

	// Sends a command outside the session bookkeeping (hello, dump, flush); returns its seq.
	uint32_t send(ring::command c);
	// Moves queued commands into the ring while it has room; checks for timeouts.
	// Returns the number of commands sent.
	unsigned pump();
	// An event from the dataplane. Completions are matched to their commands.
	void on_event(const ring::event &e);

	size_t queued() const noexcept { return queue_.size(); }
	size_t in_flight() const noexcept { return in_flight_.size(); }
	bool idle() const noexcept { return queue_.empty() && in_flight_.empty(); }
	size_t installed_sessions() const noexcept { return sessions_.size(); }
	size_t installed_tunnels() const noexcept { return tunnels_.size(); }
	// Dataplane index of an installed session (UINT32_MAX while unknown).
	uint32_t session_index(tunnel_id_v2 t, session_id_v2 s) const;
	const ring_counters &counters() const noexcept { return counters_; }
	uint64_t failures(ring::status st) const noexcept { return by_status_[static_cast<size_t>(st) & 15]; }

	// A session's add_session failed in the dataplane: end the call.
	std::function<void(tunnel_id_v2, session_id_v2, ring::status, const std::string &detail)> on_install_failed;
	// Every completion and other event, after bookkeeping (startup, ready, logging).
	std::function<void(const ring::event &)> on_other_event;
	// Errors worth a log line (the daemon rate-limits them).
	std::function<void(const std::string &)> on_error;

private:
	struct pending {
		ring::command cmd;
		time_point sent{};
		bool timed_out = false;
	};
	struct session_state {
		uint32_t index = UINT32_MAX;
		bool complete = false; // false: preinstalled, waiting for PPP
	};
	struct tunnel_state {
		unsigned sessions = 0;
	};
	void enqueue(ring::command c);
	void release_tunnel_ref(tunnel_id_v2 t);
	void add(const session_install &s, bool complete);
	void complete(const ring::event &e, const ring::command &c);
	void error(const std::string &s) {
		if (on_error)
			on_error(s);
	}

	command_sink &sink_;
	timer_service &clock_;
	ring_dataplane_settings settings_;
	port_lookup port_for_;
	uint32_t next_seq_ = 1;
	bool detached_ = false;
	std::deque<ring::command> queue_;
	std::map<uint32_t, pending> in_flight_;
	std::map<session_key, session_state> sessions_;
	std::map<tunnel_id_v2, tunnel_state> tunnels_;
	ring_counters counters_;
	uint64_t by_status_[16] = {};
};

// Session parameters for the ring from what the library installs.
// reorder_timeout_ms goes to sessions with data sequencing only (others keep the fast path).
ring::session_params to_ring(const session_install &s, uint16_t access_port, uint8_t flags, uint16_t mss_clamp,
                             uint16_t reorder_timeout_ms = 0);
ring::tunnel_params to_ring_tunnel(const session_install &s, uint16_t access_port);

} // namespace l2tpx::cp::daemon
