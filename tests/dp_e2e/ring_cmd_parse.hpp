// Text form of the command-ring messages (shared/ring/messages.hpp), for tests and lab
// scripts that install sessions in a running l2tpx-dataplane without a control plane
// (l2tpx-dp-ring, tests/dp_e2e). DPDK-free, unit tested in ring_cmd_parse_test.cpp.
//
// One command is one string: a command name, then `key=value` words separated by spaces:
//
//   add_tunnel version=2 port=0 local_tunnel=1000 peer_tunnel=2000 local=198.18.0.1
//              peer=198.18.0.2 [encap=udp|ip] [sport=1701] [dport=1701]
//   add_session version=2 port=0 local_tunnel=1000 local_session=7 peer_tunnel=2000
//              peer_session=9 local=... peer=... [sport=1701] [dport=1701] [encap=udp|ip]
//              [pw=ppp|eth|eth_vlan] [attach_port=N] [vlan=N] [subscriber=100.64.0.10]
//              [route=10.0.0.0/24]... (up to 8) [v6_prefix=2001:db8::/64]
//              [flags=send_seq,require_seq,l2ss,check_source] [mss=1400] [mru=1500]
//              [cookie=0a0b0c0d] [peer_cookie=0102030405060708]
//   modify_session (the same keys as add_session)
//   remove_session version=2 local_tunnel=1000 local_session=7
//   remove_tunnel  version=2 local_tunnel=1000
//   add_route / remove_route version=2 local_tunnel=1000 local_session=7 prefix=10.1.0.0/24
//   add_neighbour / remove_neighbour port=1 address=198.19.0.2 [mac=02:00:00:00:00:01]
//   get_session_counters version=2 local_tunnel=1000 local_session=7
//   dump_sessions [version=2 local_tunnel=1000]
//   hello | nop | flush_sessions
//
// Unknown commands or keys, missing required keys, malformed values and values out of
// range are errors naming the word at fault.
#pragma once

#include "shared/ring/messages.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace l2tpx::test {

struct parse_result {
	bool ok = false;
	std::string error; // when !ok: "word: why"
	ring::command cmd{};
};

// Parses one command; `seq` goes into the header.
parse_result parse_ring_command(std::string_view text, uint32_t seq);

// One line describing an event (completion, ready, counters, dump entry), for logs and for
// scripts to grep: e.g. "completion seq=3 add_session ok index=1031".
std::string describe_event(const ring::event &e);

} // namespace l2tpx::test
