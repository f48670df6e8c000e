// Conversions from control-plane / config descriptions of sessions to the builder
// parameters of dataplane/path (session_build.hpp). DPDK-free, unit tested without EAL.
#pragma once

#include "dataplane/path/session_build.hpp"
#include "shared/config/config.hpp"
#include "shared/ring/messages.hpp"

#include <string>

namespace l2tpx::dp {

// Converts a control-plane session description into dppath's builder parameters
// (everything but the MACs, which come from the neighbour table). DPDK-free.
bool to_build_params(const ring::session_params &p, uint32_t tunnel_index, uint32_t generation,
                     session_params &out, std::string &err);

// Converts the config's static L2TPv3 sessions to ring messages (tunnel + session).
ring::tunnel_params static_tunnel_params(const cfg::static_tunnel &t, uint16_t port_id);
ring::session_params static_session_params(const cfg::static_session &s, const cfg::static_tunnel &t,
                                           uint16_t access_port_id, uint16_t attach_port_id);

} // namespace l2tpx::dp
