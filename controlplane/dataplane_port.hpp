// What the control plane asks of the dataplane: install and remove subscriber sessions.
//
// The real implementation (l2tpx-controlplane) turns these into shared/ring commands; the
// null one accepts everything (for the LAC side of the generator when no dataplane is
// attached), the recording one keeps what is installed (tests).
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/core/ip.hpp"
#include "controlplane/nd/nd_codec.hpp"
#include "shared/base/ids.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::cp {

// Everything the dataplane needs to decapsulate and encapsulate one L2TPv2 session.
struct session_install {
	tunnel_id_v2 local_tunnel;   // our Tunnel ID: what the peer puts in its headers
	tunnel_id_v2 peer_tunnel;    // the peer's: what we put in ours
	session_id_v2 local_session;
	session_id_v2 peer_session;
	udp_endpoint local;          // our address/port for this tunnel
	udp_endpoint peer;           // the LAC's (or LNS's) address/port
	ipv4_addr subscriber_ipv4;   // IPCP address of the subscriber (0 if IPv6 only)
	uint64_t subscriber_ipv6_iid = 0; // IPv6CP interface identifier of the peer (0 if none)
	uint64_t local_ipv6_iid = 0;      // ours
	nd::ipv6_prefix subscriber_ipv6_prefix; // advertised in RAs, routed to the session (length 0: none)
	uint16_t mru = 1500;         // the peer's MRU: largest PPP frame we may send it
	bool sequencing = false;     // data messages carry Ns/Nr (Sequencing Required)
	bool pfc = false;            // the peer accepts Protocol-Field-Compression
	bool acfc = false;           // the peer accepts Address-and-Control-Field-Compression
};

using session_key = std::pair<tunnel_id_v2, session_id_v2>; // local IDs

#define L2TPX_CP_DP_ERRORS(X)                                                                   \
	X(table_full)                                                                          \
	X(duplicate)                                                                           \
	X(unavailable) /* the dataplane is not attached or its ring is full */

enum class dp_error : uint8_t {
#define X(n) n,
	L2TPX_CP_DP_ERRORS(X)
#undef X
};
std::string_view to_string(dp_error e) noexcept;

class dataplane_port {
public:
	virtual ~dataplane_port() = default;
	// The call is being answered (session_answered): the session exists but PPP has not
	// opened its network layer. A dataplane that drops data of unknown sessions learns it
	// here in a "control only" state (its PPP control frames reach the control plane, no
	// subscriber data passes). `s` has no subscriber address; the MRU and PPP options are
	// not negotiated yet. install_session() later completes it; remove_session() takes it
	// out whichever way the call ends. The default does nothing (a port that installs
	// sessions only when they are up).
	virtual result<void, dp_error> prepare_session(const session_install &) { return {}; }
	virtual result<void, dp_error> install_session(const session_install &s) = 0;
	// An installed session's parameters changed (IPv6CP opened after IPCP: its prefix is
	// added; IPv6CP closed: removed). Same local IDs. The default accepts and does nothing.
	virtual result<void, dp_error> update_session(const session_install &) { return {}; }
	// Idempotent: removing an absent session is not an error.
	virtual void remove_session(tunnel_id_v2 local_tunnel, session_id_v2 local_session) = 0;
	// Every session of the tunnel (StopCCN, tunnel failure).
	virtual void remove_tunnel(tunnel_id_v2 local_tunnel) = 0;
};

class null_dataplane final : public dataplane_port {
public:
	result<void, dp_error> install_session(const session_install &) override { return {}; }
	void remove_session(tunnel_id_v2, session_id_v2) override {}
	void remove_tunnel(tunnel_id_v2) override {}
};

class recording_dataplane final : public dataplane_port {
public:
	result<void, dp_error> prepare_session(const session_install &s) override;
	result<void, dp_error> install_session(const session_install &s) override;
	result<void, dp_error> update_session(const session_install &s) override;
	void remove_session(tunnel_id_v2 t, session_id_v2 s) override;
	void remove_tunnel(tunnel_id_v2 t) override;

	std::vector<session_install> updates; // history
	std::map<session_key, session_install> sessions;
	std::map<session_key, session_install> prepared; // control only, not installed yet
	std::vector<session_install> installs; // history
	std::vector<session_key> removals;     // history (sessions actually removed)
	size_t capacity = SIZE_MAX;
	bool fail_next_install = false;
	bool fail_next_prepare = false;
};

} // namespace l2tpx::cp
