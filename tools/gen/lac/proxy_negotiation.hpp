// Proxy LCP and proxy authentication from the LAC side (RFC 2661 §18, AVPs of §4.4.5): what
// a LAC that answered the user's PPP itself would put in its ICCN. The emulated LAC does
// not run that first negotiation over a wire; it writes down the outcome one would have
// had: the user's LCP Configure-Request (magic number, MRU when not 1500), the LAC's
// (authentication protocol, magic number), and the user's PAP password or CHAP Response to
// a random Challenge. The PPP client of the call then starts from the same values
// (ppp_link::start with these call_params: LCP Opened, authenticated).
#pragma once

#include <cstdint>
#include <string>

#include "controlplane/core/random.hpp"
#include "controlplane/l2tp/session.hpp"

namespace l2tpx::gen {

enum class proxy_method : uint8_t { pap, chap };

struct proxy_spec {
	bool lcp = false;                 // Initial Received / Last Sent / Last Received LCP CONFREQ
	bool auth = false;                // Proxy Authen Type/Name/Challenge/ID/Response (with lcp)
	proxy_method method = proxy_method::chap; // what the LAC's LCP asked of the user
	std::string user, secret;
	uint16_t user_mru = 1500;
};

// Proxy Authen Type values (RFC 2661 §4.4.5).
inline constexpr uint16_t proxy_authen_chap = 2;
inline constexpr uint16_t proxy_authen_pap = 3;

// Fills the proxy fields of `p` (others untouched). Without spec.lcp nothing is written.
// Returns false, leaving `p` untouched, when the CHAP Response cannot be computed (libcrypto
// refuses MD5) or a name or secret is too long for a PPP packet.
bool synthesise_proxy(const proxy_spec &spec, cp::random_source &rng, cp::call_params &p);

} // namespace l2tpx::gen
