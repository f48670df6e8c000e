// What the daemon needs from the dataplane attachment, as an interface: the DPDK secondary
// (dpdk_attach.hpp) in the process, an in-memory loop in tests.
#pragma once

#include <functional>
#include <span>

#include "controlplane/daemon/ring_dataplane.hpp"
#include "shared/ring/packet_meta.hpp"

namespace l2tpx::cp::daemon {

class dataplane_io : public command_sink {
public:
	virtual bool poll_event(ring::event &e) = 0;
	// fn(punt_meta + frame) for up to `max` punted packets; returns how many were handled.
	virtual unsigned drain_punts(unsigned max, const std::function<void(std::span<const uint8_t>)> &fn) = 0;
	// Queues inject_meta + part1 + part2 on the inject ring; false when it could not.
	virtual bool inject(const ring::inject_meta &meta, std::span<const uint8_t> part1,
	                    std::span<const uint8_t> part2) = 0;
	// false once the dataplane process is gone: its rings must not be touched any more.
	virtual bool alive() { return true; }
};

} // namespace l2tpx::cp::daemon
