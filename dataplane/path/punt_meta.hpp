// Metadata in front of every punted frame: the shared definition from shared/ring (the
// control plane reads the same struct). A punted mbuf holds [punt_meta (32 bytes)]
// [original frame, from its Ethernet header]; offsets count from the first frame byte.
//
// How the paths fill it:
//   l2tp_control     payload_offset = the control header (L2TP header; after the zero
//                    Session ID over IP), session_index = no_session
//   ppp_control      payload_offset = the PPP frame (FF 03 included when present),
//                    ppp_protocol and session_index set. Also used for IPv6 packets from
//                    a subscriber to/from link-local or multicast addresses (RS, NS, DHCPv6):
//                    ppp_protocol = 0x0057 then.
//   unknown_session  payload_offset = after the L2TP header, session_index = no_session
#pragma once

#include "shared/ring/packet_meta.hpp"

namespace l2tpx::dp {

using ring::punt_meta;
using ring::punt_meta_magic;
using ring::punt_meta_version;
using ring::punt_reason;

} // namespace l2tpx::dp
