// Builds the EAL argument vector from the configuration and the command line. DPDK-free so
// it is unit tested without EAL.
#pragma once

#include "shared/config/config.hpp"

#include <string>
#include <vector>

namespace l2tpx::dp {

// True for devargs of a virtual device ("net_af_packet0,iface=veth0", "net_null0", ...):
// those are passed with --vdev, everything else (PCI/bus addresses) with -a.
bool is_vdev(const std::string &devargs);

// The device name DPDK registers the port under: devargs up to the first ','.
std::string port_device_name(const std::string &devargs);

// argv for rte_eal_init, argv[0] included:
//   argv0 --file-prefix=P --proc-type=primary [-l LIST --main-lcore=M] [--vdev=...|-a ...]...
//   [--no-pci] [--no-telemetry] <dataplane.eal_args...> <cli_args...>
// -l/--main-lcore are left out when the extra arguments set the lcores themselves
// (-l, -c, --lcores); --no-pci is added when no port is a PCI device and the extra
// arguments allow nothing themselves.
std::vector<std::string> build_eal_args(const cfg::config &c, const std::string &argv0,
                                        const std::vector<std::string> &cli_args);

} // namespace l2tpx::dp
