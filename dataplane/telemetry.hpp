// DPDK telemetry endpoints (dpdk-telemetry.py, or the socket in /run/dpdk/<prefix>/):
//   /l2tpx/stats       totals: sessions, tunnels, path events, lcore and control counters
//   /l2tpx/drops       one counter per drop reason (names from dataplane/path/drop_reasons.def)
//   /l2tpx/ports       per port: role, queues, our counters, ethdev counters
//   /l2tpx/lcores      per lcore: polls, sleeps, rx/tx
//   /l2tpx/sessions    capacity, count and the first indexes; ",<index>" for one session
//   /l2tpx/neighbours  ARP/ND entries
// Counters are per lcore and summed on read.
#pragma once

namespace l2tpx::dp {

class runtime;

void register_telemetry(runtime &rt);
void unregister_telemetry();

} // namespace l2tpx::dp
