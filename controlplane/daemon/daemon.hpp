// l2tpx-controlplane assembled: the protocol library (call_manager: L2TP endpoint, PPP
// links, AAA) behind the dataplane's rings, the management socket, and the event loop.
//
// Loop, one iteration: advance the timers to the steady clock, drain the punt ring (L2TP
// messages, with PPP frames inside data messages, into the library), drain the event ring
// (command completions), push queued commands, serve the management socket. When an
// iteration finds nothing to do it sleeps (ppoll on the management socket) for a back-off
// that doubles from 10 µs to idle_max_sleep_us, never past the next timer deadline.
#pragma once

#include <array>
#include <csignal>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "controlplane/aaa/aaa.hpp"
#include "controlplane/call_manager.hpp"
#include "controlplane/core/random.hpp"
#include "controlplane/core/timer.hpp"
#include "controlplane/daemon/daemon_config.hpp"
#include "controlplane/daemon/dataplane_io.hpp"
#include "controlplane/daemon/log_limiter.hpp"
#include "controlplane/daemon/packet_io.hpp"
#include "controlplane/daemon/ring_dataplane.hpp"
#include "controlplane/daemon/state_store.hpp"
#include "shared/mgmt/commands.hpp"

namespace l2tpx::mgmt {
class server;
}

namespace l2tpx::cp::daemon {

// Management command that re-reads the users file (also SIGHUP). Kept for source
// compatibility; the name lives in shared/mgmt/commands.hpp (mgmt::cmd::reload).
inline constexpr std::string_view reload_command = mgmt::cmd::reload;

#define L2TPX_CPD_COUNTERS(X)                                                                     \
	X(rx_datagrams)        /* L2TP datagrams handed to the library */                         \
	X(rx_peer_not_allowed) /* from an address no [[lac]] admits */                            \
	X(rx_not_local)        /* sent to another address than the LNS's */                       \
	X(tx_datagrams)        /* datagrams injected */                                          \
	X(tx_via_ip)           /* injected as IP (no learned Ethernet header for the peer) */     \
	X(tx_build_failed)     /* datagram too large for a packet */                              \
	X(tx_inject_failed)    /* no mbuf or inject ring full */                                 \
	X(install_failures)    /* calls ended because the dataplane refused the session */        \
	X(users_reloads)       /* users file re-read (SIGHUP, reload command) */                  \
	X(users_reload_failures) /* ... and refused: the previous users were kept */              \
	X(stale_sessions)      /* L2TPv2 sessions an earlier control plane left (start-up dump) */ \
	X(stale_sessions_removed) /* ... removed from the dataplane (flush_sessions) */           \
	X(stale_tunnels)       /* their tunnels: each peer is sent a StopCCN */                   \
	X(stale_stopccns)      /* StopCCNs sent to those peers (probe + in-sequence answers) */    \
	X(stale_tunnels_closed) /* ... acknowledged by the peer, or it sent its own StopCCN */    \
	X(stale_tunnels_unanswered) /* ... forgotten after stale_tunnel_linger without either */  \
	X(adopted_tunnels)     /* restart_policy adopt: tunnels continued from the state file */ \
	X(adopted_sessions)    /* ... sessions continued (in the state file and the dataplane) */ \
	X(adopt_removed_sessions) /* ... in the dataplane only (or not adoptable): removed */     \
	X(adopt_forgotten_sessions) /* ... in the state file only: CDN to the peer */             \
	X(adopt_forgotten_tunnels)  /* ... tunnels in the state file with nothing adopted: StopCCN */ \
	X(adopt_mismatches)    /* ... state and dataplane disagree (IDs, peer, address): removed */ \
	X(state_records_torn)  /* state file records being written at the crash (ignored) */     \
	X(state_records_corrupt) /* ... with a bad checksum or impossible values (ignored) */    \
	X(state_file_errors)   /* unusable state file (fell back to flush) or write failures */  \
	X(state_full)          /* sessions not recorded: the state file is full */              \
	X(idle_sleeps)

struct daemon_counters {
#define X(n) uint64_t n = 0;
	L2TPX_CPD_COUNTERS(X)
#undef X
	uint64_t punt_errors[punt_error_count] = {};
};

class daemon {
public:
	// `io`, `cfg`, `rng` and `auth` must outlive the daemon. Its clock starts at steady_now().
	daemon(const daemon_config &cfg, dataplane_io &io, random_source &rng, aaa::local_authenticator &auth);
	~daemon();
	daemon(const daemon &) = delete;
	daemon &operator=(const daemon &) = delete;

	// Talks to the dataplane (hello, dump of installed sessions, flush of what cannot be
	// adopted), waiting at most `timeout` on the steady clock. false with `error` on failure.
	bool attach(std::string &error, duration timeout);
	// Opens the management socket (and the read-only one when configured); false with
	// `error` on failure.
	bool open_mgmt(std::string &error);
	// Runs until *stop is set, then tears tunnels down (StopCCN), waits for the peers' acks
	// and the dataplane's completions (shutdown_timeout_ms at most), and returns. When
	// `reload` is given, a non-zero *reload (SIGHUP) re-reads the users file and clears it.
	void run(const volatile std::sig_atomic_t *stop, volatile std::sig_atomic_t *reload = nullptr);
	// Re-reads lns.users_file. On success the new users authenticate from the next
	// PAP/CHAP exchange on (sessions up stay up); on error (unreadable file, bad line) the
	// previous users are kept and `message` names the file and line. Logged either way.
	struct users_reload {
		bool ok = false;
		size_t users = 0;    // users in force afterwards
		std::string message; // the error, or a summary
	};
	users_reload reload_users();
	// One loop iteration at steady time `now`; returns the work done (0: idle). Tests drive it.
	unsigned poll(time_point now);
	// Begins the shutdown (StopCCN on every tunnel); finished() once everything is acked.
	void begin_shutdown();
	bool shutdown_done() const;
	// The dataplane went away (or restarted): the process must exit without touching it.
	bool dataplane_lost() const noexcept { return fatal_; }

	call_manager &calls() noexcept { return *calls_; }
	ring_dataplane &dataplane() noexcept { return dp_; }
	timer_service &timers() noexcept { return timers_; }
	const daemon_counters &counters() const noexcept { return counters_; }
	uint32_t debug_mask_tunnel(uint16_t t) const;
	static time_point steady_now();

private:
	struct peer_key {
		std::array<uint8_t, 16> addr{};
		bool v6 = false;
		auto operator<=>(const peer_key &) const = default;
	};
	static peer_key key_of(const udp_endpoint &e);
	void handle_punt(std::span<const uint8_t> data);
	void send_datagram(const udp_endpoint &to, std::span<const uint8_t> datagram);
	uint16_t port_for(const udp_endpoint &peer) const;
	bool allowed(const udp_endpoint &from) const;
	template <typename... Args> void peer_log(int level, const char *fmt, Args &&...args);
	void register_mgmt(mgmt::server &srv, bool admin);
	void on_dp_event(const ring::event &e);
	void note_stale_session(const ring::session_entry_body &e);
	void stop_stale_tunnels();
	bool handle_stale_control(const udp_endpoint &from, std::span<const uint8_t> datagram);
	void send_stale_stopccn(uint16_t old_tunnel, uint16_t ns, uint16_t nr);
	void send_stale_zlb(uint16_t peer_tunnel, const udp_endpoint &to, uint16_t ns, uint16_t nr);
	void expire_stale_tunnels(time_point now);
	// restart_policy = "adopt" (docs/controlplane.md "Restart").
	void load_saved_state();
	bool open_store();
	void reconcile();
	void send_restart_cdn(tunnel &t, uint16_t local_session, uint16_t peer_session, std::string_view why);
	void record_session(session &s, ppp::ppp_link &l);
	void forget_session(session_key key);
	void record_tunnel(tunnel &t);
	void detach_store();

	enum class phase : uint8_t { hello, dump, flush, running };

	// A tunnel of an earlier control plane, learned from dump_sessions: its sessions are
	// flushed and its peer is told with StopCCNs. The first StopCCN goes out with Ns=0,
	// Nr=0 (the tunnel's sequence state died with the old process); for any tunnel past
	// its SCCRP that is a duplicate, which RFC 2661 §5.8 makes the peer acknowledge at
	// once with a ZLB carrying its Ns and Nr. Any control message from the peer on that
	// tunnel (that ZLB, a HELLO, a retransmission) is answered with a StopCCN in sequence
	// (Ns = its Nr, Nr = its Ns + 1); the peer's ack or its own StopCCN ends it.
	struct stale_tunnel {
		udp_endpoint peer;
		uint16_t peer_tunnel = 0;
		uint32_t sessions = 0;
		uint8_t stopccns = 0;           // sent so far (at most max_stale_stopccns)
		bool in_sequence = false;       // a StopCCN with the peer's Ns/Nr went out
		uint16_t in_sequence_ns = 0;    // ... with this Ns
	};
	static constexpr uint8_t max_stale_stopccns = 4;
	static constexpr duration stale_tunnel_linger{120000};
	void close_stale(std::map<uint16_t, stale_tunnel>::iterator it);

	const daemon_config &cfg_;
	dataplane_io &io_;
	timer_service timers_;
	random_source &rng_;
	aaa::local_authenticator &auth_;
	aaa::address_allocator pools_;
	ring_dataplane dp_;
	std::unique_ptr<call_manager> calls_;
	std::unique_ptr<mgmt::server> mgmt_;
	std::unique_ptr<mgmt::server> mgmt_ro_; // read-only socket (optional)
	udp_endpoint local_;
	std::map<peer_key, l2_route> routes_;
	std::map<uint16_t, uint32_t> debug_tunnel_;
	std::map<std::pair<uint16_t, uint16_t>, uint32_t> debug_session_;
	std::map<session_key, time_point> up_since_;
	daemon_counters counters_;
	log_limiter peer_limiter_;
	log_limiter dp_limiter_;
	time_point started_;
	time_point shutdown_deadline_{time_point::max()};
	bool shutting_down_ = false;
	uint16_t ip_id_ = 0;
	uint32_t idle_us_ = 0;
	uint32_t boot_id_ = 0;
	bool have_boot_id_ = false;
	ring::ready_body ready_{};
	phase phase_ = phase::hello;
	uint32_t startup_seq_ = 0;
	std::map<uint16_t, stale_tunnel> stale_; // by the old local tunnel ID
	std::optional<state_contents> saved_;             // read at start (adopt)
	std::vector<ring::session_entry_body> dumped_;    // dump_sessions (adopt)
	std::unique_ptr<state_store> store_;
	std::map<tunnel_id_v2, uint32_t> tunnel_slot_;    // state file records
	std::map<session_key, uint32_t> session_slot_;
	time_point stale_until_{};
	bool fatal_ = false;
	time_point next_alive_check_{};
	std::vector<uint8_t> tx_buf_;

	friend struct mgmt_handlers;
};

} // namespace l2tpx::cp::daemon
