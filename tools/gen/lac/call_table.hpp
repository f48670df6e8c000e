// The call bookkeeping both LAC emulators share (l2tpx-lac on a socket, l2tpx-gen on DPDK
// ports): one record per call, dialled under a setup rate and a cap on outstanding setups
// through the LAC-role call managers, with the reason of every failure. The call managers
// and their I/O stay with the program: the table reaches them through a span, indexed by
// call::lac (l2tpx-lac has one, l2tpx-gen one per LAC address). Single-threaded, control
// path only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/call_manager.hpp"

namespace l2tpx::gen {

// Monotonic clock in nanoseconds; seconds between two readings (0 when not after).
uint64_t now_ns();
double seconds(uint64_t from_ns, uint64_t to_ns);
cp::time_point to_time_point(uint64_t ns);

// "what result R error E (local|from LNS)": a CDN's or StopCCN's cause as a failure reason.
std::string cause_text(const char *what, const cp::disconnect_cause &c);

enum class call_phase : uint8_t { pending, dialing, up, failed, down };

struct call {
	uint32_t tunnel_index = 0; // 0-based over all tunnels
	uint32_t in_tunnel = 0;    // 0-based within the tunnel
	uint32_t lac = 0;          // index of the LAC address / call manager
	call_phase phase = call_phase::pending;
	tunnel_id_v2 tid{};
	session_id_v2 sid{};
	uint64_t dialled_ns = 0;
	double setup_ms = 0;
	uint32_t address = 0; // IPCP address, host order
	uint16_t peer_tunnel = 0, peer_session = 0;
	bool dropped_after_up = false; // set by the owner: an up call ended while not expected to
};

struct call_layout {
	uint32_t sessions = 0;
	uint32_t sessions_per_tunnel = 1; // calls k*n .. k*n+n-1 share tunnel k
	uint32_t tunnels = 0;
	uint32_t lacs = 1;                // tunnel k belongs to call manager k % lacs
	cp::udp_endpoint lns;             // where new tunnels go
};

struct dial_limits {
	double setup_rate = 200;      // calls per second
	uint32_t max_outstanding = 64; // calls in setup at once
	uint64_t timeout_ns = 0;      // the whole dialling round
};

struct dial_result {
	size_t dialled = 0;
	bool interrupted = false;
};

// Teardown pacing: calls cleared (LCP Terminate-Request, then CDN) at `rate` per second, at
// most `max_outstanding` cleared and not yet down at once.
struct clear_limits {
	double rate = 200;              // calls per second
	uint32_t max_outstanding = 64;
	uint64_t timeout_ns = 0;        // the whole round; calls still up then fail
};

struct clear_result {
	uint32_t requested = 0;   // calls up when the round began
	uint32_t cleared = 0;     // of those, cleared and seen down
	uint32_t failed = 0;      // of those, not down by the deadline (or no PPP link to clear)
	uint64_t first_ns = 0, last_down_ns = 0; // first clear, last of them down
	double avg_ms = 0, max_ms = 0;           // clear → down, per call
	bool interrupted = false;
	std::map<std::string, uint32_t> failures; // by reason
	double seconds() const noexcept { return last_down_ns > first_ns ? double(last_down_ns - first_ns) / 1e9 : 0; }
};

enum class link_end : uint8_t {
	ignored,   // not one of ours, or not dialing/up
	went_down, // was up, now down (the owner decides whether that was a drop)
	failed,    // was dialing, PPP ended it: failed with "PPP <reason>"
};

class call_table {
public:
	// Called once for every call that fails, with the reason.
	using fail_hook = std::function<void(uint32_t call, const std::string &why)>;
	// Called before a call is placed, to add to its ICRQ/ICCN parameters (proxy LCP and
	// authentication); a non-empty return fails the call with that reason.
	using setup_hook = std::function<std::string(uint32_t call, cp::call_params &p)>;

	explicit call_table(const call_layout &layout);

	// The call managers, indexed by call::lac; to be set before dialling and to outlive it.
	void attach(std::span<const std::unique_ptr<cp::call_manager>> managers) { cms_ = managers; }
	void on_fail(fail_hook h) { on_fail_ = std::move(h); }
	void on_setup(setup_hook h) { on_setup_ = std::move(h); }

	size_t size() const noexcept { return calls_.size(); }
	call &operator[](uint32_t i) { return calls_[i]; }
	const call &operator[](uint32_t i) const { return calls_[i]; }
	std::vector<call> &calls() noexcept { return calls_; }
	const std::vector<call> &calls() const noexcept { return calls_; }

	// The call placed as (tunnel, session) through call manager `lac`.
	std::optional<uint32_t> find(uint32_t lac, tunnel_id_v2 t, session_id_v2 s) const;

	// The call manager's on_network_up for a dialing call: now up with `address`; returns
	// the call, nullopt when the session is not a dialing call of ours.
	std::optional<uint32_t> network_up(uint32_t lac, const cp::session &s, uint32_t address);
	// The call manager's on_link_finished. lower_down on a dialing call is left to
	// check_dialing(), which reads the CDN/StopCCN cause.
	link_end link_finished(uint32_t lac, cp::session_key k, cp::ppp::down_reason why, uint32_t &call_index);

	void fail(uint32_t i, const std::string &why);
	// Opens the call's tunnel when it has none usable, then places the call.
	void dial(uint32_t i);
	// Fails the dialing calls whose L2TP side ended before PPP came up.
	void check_dialing();

	// Dials the pending calls of `todo` in order under the limits: pump(more) runs one loop
	// iteration of the owner's I/O (more: more calls may be dialled right away); tick(now,
	// dialled), when set, starts every iteration. At the deadline the calls of `todo` still
	// dialing or pending fail with "setup timeout"; on `stop` with "interrupted".
	dial_result dial_all(std::span<const uint32_t> todo, const dial_limits &lim, const std::atomic<bool> &stop,
	                     const std::function<void(bool more)> &pump,
	                     const std::function<void(uint64_t now, size_t dialled)> &tick = {});

	// Clears every call that is up under the limits (pump and stop as for dial_all); the
	// calls end up `down` as their links finish (link_finished, called by the owner).
	clear_result clear_all(const clear_limits &lim, const std::atomic<bool> &stop,
	                       const std::function<void(bool more)> &pump);

	// The calls that are up with an address, in call order.
	std::vector<uint32_t> up_with_address() const;

	uint32_t outstanding() const noexcept { return outstanding_; }
	uint32_t clearing() const noexcept { return clearing_; } // clear_all: cleared, not down yet
	uint32_t up() const noexcept { return up_; }
	uint32_t failed() const noexcept { return failed_; }
	uint32_t tunnels_opened() const noexcept { return tunnels_opened_; }
	// First dial and last setup completion of the current round (0: none).
	uint64_t first_dial_ns() const noexcept { return first_dial_ns_; }
	uint64_t last_up_ns() const noexcept { return last_up_ns_; }
	void restart_round() noexcept { first_dial_ns_ = last_up_ns_ = 0; }

private:
	cp::tunnel *usable_tunnel(uint32_t t, uint32_t lac);
	static uint64_t key(uint32_t lac, tunnel_id_v2 t, session_id_v2 s) {
		return uint64_t(lac) << 32 | uint32_t(t.value) << 16 | s.value;
	}

	std::span<const std::unique_ptr<cp::call_manager>> cms_;
	fail_hook on_fail_;
	setup_hook on_setup_;
	cp::udp_endpoint lns_;
	std::vector<call> calls_;
	std::vector<tunnel_id_v2> tunnels_;
	std::unordered_map<uint64_t, uint32_t> index_; // key(lac, tunnel, session) → call
	std::vector<uint64_t> cleared_ns_;             // clear_all: when each call was cleared (0: not)
	uint32_t clearing_ = 0;                        // cleared and not down yet
	uint64_t clear_done_ = 0, clear_sum_ns_ = 0, clear_max_ns_ = 0, clear_last_ns_ = 0;
	uint32_t outstanding_ = 0, up_ = 0, failed_ = 0, tunnels_opened_ = 0;
	uint64_t first_dial_ns_ = 0, last_up_ns_ = 0;
};

// Clears every tunnel of every call manager (StopCCN) and pumps until their StopCCNs are
// acknowledged or `timeout_ns` passes; returns how many closed cleanly.
uint32_t clear_all_tunnels(std::span<const std::unique_ptr<cp::call_manager>> managers,
                           const std::function<void()> &pump, uint64_t timeout_ns);

} // namespace l2tpx::gen
