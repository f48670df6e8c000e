// ICMP and ICMPv6 error messages the dataplane sends as a router would, built by the main
// lcore's "icmp" handler from a packet the paths gave up on (docs/dataplane.md, "ICMP
// errors"). DPDK-free: spans in, bytes out, no allocation, no exceptions.
//
//   - IPv4 Time Exceeded (type 11 code 0) when a forwarded packet's TTL would reach 0;
//   - IPv4 Destination Unreachable, Fragmentation Needed (type 3 code 4, RFC 1191) with the
//     next-hop MTU, for a DF packet larger than the egress MTU;
//   - ICMPv6 Time Exceeded (type 3 code 0) and Packet Too Big (type 2, RFC 8201).
//
// Rules (RFC 1812 4.3.2.7, RFC 4443 2.4(e)): no error about an ICMP(v6) error, about a
// non-first fragment, about a packet whose source is not a unicast host (0.0.0.0,
// 127/8, 224/4 and above, IPv6 ::, ::1, ff00::/8), nor — except Packet Too Big — about a
// packet sent to a multicast or broadcast address. The quote is the offending packet from
// its IP header, cut so the error fits 576 bytes (IPv4, RFC 1812 4.3.2.3) or 1280 bytes
// (IPv6, RFC 4443 2.4(c)); it is never longer than the packet's own length field says.
// Errors are rate-limited (token bucket) by the caller with icmp_rate_limiter.
#pragma once

#include "shared/base/byteorder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace l2tpx::dp {

enum class icmp_error : uint8_t {
	time_exceeded, // IPv4 type 11 / ICMPv6 type 3, code 0 (TTL / hop limit exceeded in transit)
	too_big,       // IPv4 type 3 code 4 (fragmentation needed, DF set) / ICMPv6 type 2
};

inline constexpr size_t icmp4_error_max = 576;
inline constexpr size_t icmp6_error_max = 1280;
inline constexpr uint8_t icmp_error_ttl = 64;

// Why no error is built (for counting), or ok.
enum class icmp_verdict : uint8_t {
	ok,
	truncated,       // the offending packet is shorter than its IP header
	not_ip,          // version is not 4/6, or a bad IHL
	about_icmp_error, // the offending packet is itself an ICMP(v6) error (or unparseable ICMP)
	fragment,        // IPv4 non-first fragment
	bad_source,      // source is not a unicast host address
	multicast_dest,  // destination multicast/broadcast (not for too_big)
	no_room,         // `out` is too small
};

struct icmp_build_result {
	icmp_verdict verdict = icmp_verdict::ok;
	size_t length = 0; // bytes written to `out` (the whole IP packet) when ok
};

// Definitions (header-only: used by the runtime and by DPDK-free tests) follow the class.

// Builds the IP packet carrying the error about `offending` (which starts at its IPv4 or
// IPv6 header) into `out`: source `our_addr` (4 or 16 bytes: the address of the port the
// offending packet arrived on), destination the offending packet's source. `mtu` is the
// next-hop MTU reported by too_big (IPv4: 16 bits; IPv6: at least 1280 is sent).
inline icmp_build_result build_icmp_error(icmp_error kind, std::span<const uint8_t> offending,
                                          std::span<const uint8_t> our_addr, uint32_t mtu,
                                          std::span<uint8_t> out) noexcept;

// Hand-over from the packet paths to the runtime (the "icmp hook", docs/dataplane.md): a
// packet that gets an error is enqueued on the runtime's `l2tpx_icmp` ring instead of being
// freed (it is still counted under its drop reason, ttl_exceeded or too_big), with
//   - the mbuf's data starting at the offending IP header, as received (TTL unchanged),
//   - m->port = the port it arrived on,
//   - m->hash.usr = icmp_punt_word(kind, mtu, to_subscriber): to_subscriber when the
//     offender is a subscriber (decapsulated upstream packet: the error goes back down its
//     session), false when it came from a core port (the error is routed out of that port).
// The paths collect such packets in burst_out::icmp; the worker enqueues them (lcore
// counter icmp_to_main) and frees what a full ring refuses (icmp_ring_full).
inline constexpr const char *icmp_ring_name = "l2tpx_icmp";
inline constexpr uint32_t icmp_punt_word(icmp_error kind, uint16_t mtu, bool to_subscriber) noexcept {
	return uint32_t(kind) | (to_subscriber ? 0x100u : 0u) | uint32_t(mtu) << 16;
}
struct icmp_punt {
	icmp_error kind;
	bool to_subscriber;
	uint16_t mtu;
};
inline constexpr icmp_punt decode_icmp_punt(uint32_t w) noexcept {
	return {static_cast<icmp_error>(w & 0xff), (w & 0x100u) != 0, uint16_t(w >> 16)};
}

// Token bucket: `rate` errors per second, bursts of up to `burst`. Time is the caller's
// clock in ticks of `hz` (the TSC on the dataplane); no syscalls.
class icmp_rate_limiter {
public:
	icmp_rate_limiter(uint32_t rate_per_s, uint32_t burst, uint64_t hz) noexcept
	    : rate_(rate_per_s), burst_(burst), hz_(hz ? hz : 1), tokens_(burst) {}
	// Takes one token if there is one.
	bool allow(uint64_t now) noexcept;
	uint64_t limited() const noexcept { return limited_; }

private:
	uint32_t rate_, burst_;
	uint64_t hz_;
	uint64_t tokens_;            // whole tokens
	uint64_t last_ = 0;          // time of the last refill
	uint64_t carry_ = 0;         // fractional tokens, in units of 1/hz
	bool started_ = false;
	uint64_t limited_ = 0;
};

// ---- definitions ----


inline const char *to_string(icmp_verdict v) noexcept {
	switch (v) {
	case icmp_verdict::ok: return "ok";
	case icmp_verdict::truncated: return "truncated";
	case icmp_verdict::not_ip: return "not_ip";
	case icmp_verdict::about_icmp_error: return "about_icmp_error";
	case icmp_verdict::fragment: return "fragment";
	case icmp_verdict::bad_source: return "bad_source";
	case icmp_verdict::multicast_dest: return "multicast_dest";
	case icmp_verdict::no_room: return "no_room";
	}
	return "?";
}

namespace icmp_detail {

inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum = 0) noexcept {
	for (; n >= 2; p += 2, n -= 2)
		sum += uint32_t(p[0]) << 8 | p[1];
	if (n)
		sum += uint32_t(p[0]) << 8;
	return sum;
}
inline uint16_t fold(uint32_t sum) noexcept {
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return uint16_t(~sum);
}

inline bool v4_bad_source(const uint8_t *a) noexcept {
	return a[0] == 0 || a[0] == 127 || a[0] >= 224; // this-net, loopback, multicast, class E, broadcast
}
inline bool v4_multicast_or_broadcast(const uint8_t *a) noexcept { return a[0] >= 224; }

inline bool v6_bad_source(const uint8_t *a) noexcept {
	static constexpr uint8_t zero[16] = {};
	if (a[0] == 0xff)
		return true; // multicast
	if (std::memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return true; // :: and ::1
	return false;
}

// Offending IPv6 packet carries an ICMPv6 error (type < 128) right after its fixed header,
// or after extension headers we can walk (hop-by-hop, routing, destination options).
inline bool v6_is_icmp_error(std::span<const uint8_t> p, size_t plen) noexcept {
	uint8_t next = p[6];
	size_t off = 40;
	const size_t end = std::min(p.size(), 40 + plen);
	for (int hops = 0; hops < 8; hops++) {
		if (next == 58) {
			if (off + 1 > end)
				return true; // cannot tell: be quiet
			return p[off] < 128;
		}
		if (next != 0 && next != 43 && next != 60)
			return false;
		if (off + 2 > end)
			return false;
		next = p[off];
		off += (size_t(p[off + 1]) + 1) * 8;
	}
	return false;
}

} // namespace icmp_detail

inline icmp_build_result build_icmp_error(icmp_error kind, std::span<const uint8_t> off,
                                          std::span<const uint8_t> our, uint32_t mtu,
                                          std::span<uint8_t> out) noexcept {
	using namespace icmp_detail;
	icmp_build_result r;
	if (off.empty()) {
		r.verdict = icmp_verdict::truncated;
		return r;
	}
	const unsigned version = off[0] >> 4;
	if (version == 4) {
		if (off.size() < 20) {
			r.verdict = icmp_verdict::truncated;
			return r;
		}
		const size_t ihl = size_t(off[0] & 0x0f) * 4;
		const size_t total = load_be16(off.data() + 2);
		if (ihl < 20 || total < ihl || our.size() != 4) {
			r.verdict = icmp_verdict::not_ip;
			return r;
		}
		if (off.size() < ihl) {
			r.verdict = icmp_verdict::truncated;
			return r;
		}
		if ((load_be16(off.data() + 6) & 0x1fff) != 0) {
			r.verdict = icmp_verdict::fragment;
			return r;
		}
		if (v4_bad_source(off.data() + 12)) {
			r.verdict = icmp_verdict::bad_source;
			return r;
		}
		if (kind == icmp_error::time_exceeded && v4_multicast_or_broadcast(off.data() + 16)) {
			r.verdict = icmp_verdict::multicast_dest;
			return r;
		}
		if (off[9] == 1) { // ICMP: only queries (echo, timestamp, ...) may get an error
			if (off.size() < ihl + 1) {
				r.verdict = icmp_verdict::about_icmp_error;
				return r;
			}
			const uint8_t t = off[ihl];
			if (!(t == 0 || t == 8 || t == 13 || t == 14 || t == 15 || t == 16 || t == 17 || t == 18)) {
				r.verdict = icmp_verdict::about_icmp_error;
				return r;
			}
		}
		const size_t quote = std::min({off.size(), total, icmp4_error_max - 20 - 8});
		const size_t len = 20 + 8 + quote;
		if (out.size() < len) {
			r.verdict = icmp_verdict::no_room;
			return r;
		}
		uint8_t *ip = out.data();
		ip[0] = 0x45;
		ip[1] = 0xc0; // DSCP CS6 (network control), as routers send ICMP
		store_be16(ip + 2, uint16_t(len));
		store_be16(ip + 4, 0);
		store_be16(ip + 6, 0);
		ip[8] = icmp_error_ttl;
		ip[9] = 1;
		store_be16(ip + 10, 0);
		std::memcpy(ip + 12, our.data(), 4);
		std::memcpy(ip + 16, off.data() + 12, 4);
		store_be16(ip + 10, fold(sum16(ip, 20)));
		uint8_t *icmp = ip + 20;
		if (kind == icmp_error::time_exceeded) {
			icmp[0] = 11;
			icmp[1] = 0;
			store_be32(icmp + 4, 0);
		} else {
			icmp[0] = 3;
			icmp[1] = 4;
			store_be16(icmp + 4, 0);
			store_be16(icmp + 6, uint16_t(std::min<uint32_t>(mtu, 0xffff)));
		}
		store_be16(icmp + 2, 0);
		std::memcpy(icmp + 8, off.data(), quote);
		store_be16(icmp + 2, fold(sum16(icmp, 8 + quote)));
		r.length = len;
		return r;
	}
	if (version == 6) {
		if (off.size() < 40) {
			r.verdict = icmp_verdict::truncated;
			return r;
		}
		if (our.size() != 16) {
			r.verdict = icmp_verdict::not_ip;
			return r;
		}
		const size_t plen = load_be16(off.data() + 4);
		if (v6_bad_source(off.data() + 8)) {
			r.verdict = icmp_verdict::bad_source;
			return r;
		}
		if (kind == icmp_error::time_exceeded && off[24] == 0xff) {
			r.verdict = icmp_verdict::multicast_dest;
			return r;
		}
		if (v6_is_icmp_error(off, plen)) {
			r.verdict = icmp_verdict::about_icmp_error;
			return r;
		}
		const size_t quote = std::min({off.size(), 40 + plen, icmp6_error_max - 40 - 8});
		const size_t len = 40 + 8 + quote;
		if (out.size() < len) {
			r.verdict = icmp_verdict::no_room;
			return r;
		}
		uint8_t *ip = out.data();
		store_be32(ip, 0x6c000000); // version 6, traffic class CS6
		store_be16(ip + 4, uint16_t(8 + quote));
		ip[6] = 58;
		ip[7] = icmp_error_ttl;
		std::memcpy(ip + 8, our.data(), 16);
		std::memcpy(ip + 24, off.data() + 8, 16);
		uint8_t *icmp = ip + 40;
		if (kind == icmp_error::time_exceeded) {
			icmp[0] = 3;
			icmp[1] = 0;
			store_be32(icmp + 4, 0);
		} else {
			icmp[0] = 2;
			icmp[1] = 0;
			store_be32(icmp + 4, std::max<uint32_t>(mtu, 1280));
		}
		store_be16(icmp + 2, 0);
		std::memcpy(icmp + 8, off.data(), quote);
		// Pseudo-header: source, destination, upper-layer length, next header.
		uint32_t s = sum16(ip + 8, 32);
		s += uint32_t(8 + quote);
		s += 58;
		store_be16(icmp + 2, fold(sum16(icmp, 8 + quote, s)));
		r.length = len;
		return r;
	}
	r.verdict = icmp_verdict::not_ip;
	return r;
}

inline bool icmp_rate_limiter::allow(uint64_t now) noexcept {
	if (!started_) {
		started_ = true;
		last_ = now;
	}
	if (now > last_) {
		// rate tokens per hz ticks; keep the remainder so slow rates still refill. The
		// elapsed time is capped at what fills the bucket, so the product cannot overflow.
		const uint64_t fill = hz_ * (uint64_t(burst_) + 1) / std::max<uint32_t>(rate_, 1) + hz_;
		const uint64_t units = std::min(now - last_, fill) * rate_ + carry_;
		const uint64_t add = units / hz_;
		carry_ = units % hz_;
		tokens_ = std::min<uint64_t>(burst_, tokens_ + add);
		if (tokens_ == burst_)
			carry_ = 0;
		last_ = now;
	}
	if (tokens_ == 0) {
		limited_++;
		return false;
	}
	tokens_--;
	return true;
}

} // namespace l2tpx::dp
