// Roles, configuration, counters and hooks of the L2TPv2 control plane (tunnels and sessions).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/core/ip.hpp"
#include "controlplane/l2tp/reliable_transport.hpp"
#include "shared/base/ids.hpp"

namespace l2tpx::cp {

// LNS answers SCCRQ/ICRQ and sends OCRQ; LAC sends SCCRQ/ICRQ and answers OCRQ.
enum class role : uint8_t { lns, lac };
std::string_view to_string(role r) noexcept;

// Tunnel authentication secrets (RFC 2661 §5.1.1), per peer Host Name, else the default.
struct tunnel_secrets {
	std::map<std::string, std::string, std::less<>> by_host;
	std::string default_secret;   // empty: no secret for unlisted peers
	bool require = false;         // refuse peers we cannot challenge (no secret for them)

	std::string_view lookup(std::string_view host) const {
		auto it = by_host.find(host);
		return it != by_host.end() ? std::string_view(it->second) : std::string_view(default_secret);
	}
};

struct tunnel_config {
	std::string host_name = "l2tpx";
	std::string vendor_name = "l2tpx";
	uint32_t framing_capabilities = 3; // sync | async
	uint32_t bearer_capabilities = 0;
	uint16_t firmware_revision = 0x0100;
	transport_config transport;        // our_rws is advertised in Receive Window Size
	std::optional<uint64_t> tie_breaker; // sent in our SCCRQ (§4.4.3)
	tunnel_secrets secrets;
	bool hide_avps = false;            // hide session IDs and numbers when a secret exists
	duration stop_linger{31000};       // state kept after StopCCN to re-ack retransmissions
	uint16_t max_sessions = 4096;      // per tunnel
};

// Limits of one endpoint (all tunnels of this control plane).
struct endpoint_limits {
	size_t max_tunnels = 4096;
	size_t max_tunnels_per_peer = 64;    // per peer IP address
	size_t max_half_open = 256;          // tunnels waiting for SCCCN, all peers
	size_t max_half_open_per_peer = 4;
};

// Why a tunnel or session went down: what we sent or received in StopCCN / CDN.
struct disconnect_cause {
	uint16_t result = 0;
	uint16_t error = 0;
	std::string message;
	bool local = true; // we decided (false: the peer's StopCCN / CDN)
};

#define L2TPX_CP_L2TP_COUNTERS(X)                                                               \
	X(rx_packets)                                                                          \
	X(rx_malformed)           /* L2TP header does not parse */                             \
	X(rx_unsupported_version) /* L2TPv3 or other */                                        \
	X(rx_unknown_tunnel)      /* Tunnel ID we do not have */                               \
	X(rx_forged_source)       /* right Tunnel ID, wrong address/port */                    \
	X(rx_unknown_session)     /* data or session message for a session we do not have */  \
	X(rx_decode_error)        /* AVPs do not decode */                                     \
	X(rx_not_sccrq)           /* Tunnel ID 0 on something else than SCCRQ */               \
	X(rx_data_not_up)         /* data message for a session that is not established */     \
	X(sccrq_over_limit)       /* refused: tunnel limits */                                 \
	X(half_open_evicted)      /* half-open tunnel dropped to admit a newer SCCRQ */         \
	X(lingering_reclaimed)    /* closed tunnel dropped early: the tunnel table was full */ \
	X(auth_failed)            /* tunnel authentication failed */                           \
	X(tie_breaker_won)        /* the peer's SCCRQ lost to ours: ignored */                 \
	X(tie_breaker_lost)       /* ours lost (or tied): our tunnel abandoned */              \
	X(tunnels_created)                                                                     \
	X(tunnels_established)                                                                 \
	X(tunnels_closed)                                                                      \
	X(tunnel_transport_failures)                                                           \
	X(sessions_created)                                                                    \
	X(sessions_established)                                                                \
	X(sessions_closed)                                                                     \
	X(sessions_over_limit)                                                                 \
	X(tunnels_adopted)        /* continued from an earlier process (restart_policy adopt) */ \
	X(sessions_adopted)

struct l2tp_counters {
#define X(n, ...) uint64_t n = 0;
	L2TPX_CP_L2TP_COUNTERS(X)
#undef X
};

} // namespace l2tpx::cp
