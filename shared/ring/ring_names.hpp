// Names of the shared objects the dataplane (DPDK primary) creates and the control plane
// (DPDK secondary, same --file-prefix) looks up with rte_ring_lookup / rte_mempool_lookup.
// DPDK object names are at most 31 characters (RTE_RING_NAMESIZE - 1 with the "RG_" prefix).
#pragma once

#include "shared/ring/messages.hpp"
#include "shared/ring/packet_meta.hpp"

namespace l2tpx::ring {

// rte_ring of `command` elements (esize = sizeof(command)); many producers, one consumer.
inline constexpr const char *command_ring_name = "l2tpx_cmd";
// rte_ring of `event` elements (esize = sizeof(event)); one producer, one consumer.
inline constexpr const char *event_ring_name = "l2tpx_evt";
// rte_ring of rte_mbuf* with punt_meta prepended; many producers (workers), one consumer.
inline constexpr const char *punt_ring_name = "l2tpx_punt";
// rte_ring of rte_mbuf* with inject_meta prepended; many producers, one consumer.
inline constexpr const char *inject_ring_name = "l2tpx_inject";
// rte_mempool of packet mbufs; the control plane allocates inject mbufs from it.
inline constexpr const char *pool_name = "l2tpx_pkt";
// DPDK multi-process request (rte_mp_request_sync) the dataplane sends before it frees the
// objects above at exit: freeing releases their hugepages, which DPDK then unmaps in every
// attached secondary. The control plane answers once it no longer touches them.
inline constexpr const char *detach_request_name = "l2tpx_detach";

} // namespace l2tpx::ring
