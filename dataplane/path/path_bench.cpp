// Micro benchmark of the packet paths: cycles per packet for L2TPv2 decap, L2TPv2 encap
// and L2TPv3/UDP decap over many sessions, single core, no NIC. Each round restores the
// burst's frames (memcpy) before processing; the restore cost is measured alone and
// subtracted.
//
//   dp_path_bench [sessions=4096] [rounds=20000]
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/path/path_test_util.hpp"
#include "shared/base/byteorder.hpp"

using namespace l2tpx;
using namespace l2tpx::dp;
using bytes = std::vector<uint8_t>;

namespace {

constexpr uint16_t burst = 32;
constexpr uint32_t lns_ip = 0xc0000201, lac_ip = 0xc6336402;

void put16(bytes &b, uint16_t v) { b.push_back(uint8_t(v >> 8)), b.push_back(uint8_t(v)); }
void put32(bytes &b, uint32_t v) { put16(b, uint16_t(v >> 16)), put16(b, uint16_t(v)); }
uint16_t csum(const uint8_t *p, size_t n) {
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += load_be16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return uint16_t(~s);
}
bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const bytes &payload) {
	bytes h;
	put16(h, 0x4500), put16(h, uint16_t(20 + payload.size())), put16(h, 0), put16(h, 0);
	h.push_back(64), h.push_back(proto), put16(h, 0), put32(h, src), put32(h, dst);
	store_be16(h.data() + 10, csum(h.data(), 20));
	h.insert(h.end(), payload.begin(), payload.end());
	return h;
}
bytes udp(const bytes &payload) {
	bytes u;
	put16(u, 1701), put16(u, 1701), put16(u, uint16_t(8 + payload.size())), put16(u, 0);
	u.insert(u.end(), payload.begin(), payload.end());
	return u;
}
bytes eth(uint16_t type) {
	bytes e = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	put16(e, type);
	return e;
}
bytes cat(bytes a, const bytes &b) {
	a.insert(a.end(), b.begin(), b.end());
	return a;
}

struct scenario {
	const char *name;
	uint16_t port;
	std::vector<bytes> frames; // one per session, used round-robin
};

double measure(test::test_tables &t, const scenario &sc, uint32_t rounds, bool process) {
	rte_mbuf *pkts[burst];
	if (rte_pktmbuf_alloc_bulk(test::pool(), pkts, burst) != 0)
		return -1;
	burst_out out;
	uint64_t cycles = 0;
	size_t next = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		const uint64_t t0 = rte_rdtsc();
		for (uint16_t i = 0; i < burst; i++) {
			const bytes &f = sc.frames[next++ % sc.frames.size()];
			rte_mbuf *m = pkts[i];
			m->data_off = RTE_PKTMBUF_HEADROOM;
			m->data_len = uint16_t(f.size());
			m->pkt_len = uint32_t(f.size());
			m->ol_flags = 0;
			std::memcpy(rte_pktmbuf_mtod(m, void *), f.data(), f.size());
		}
		if (process)
			process_rx_burst(t.ctx(), sc.port, pkts, burst, out);
		cycles += rte_rdtsc() - t0;
		if (process && out.n_tx != burst) {
			std::fprintf(stderr, "%s: only %u of %u transmitted\n", sc.name, out.n_tx, burst);
			for (size_t d = 0; d < drop_reason_count; d++)
				if (t.counters().drop[d])
					std::fprintf(stderr, "  %s: %" PRIu64 "\n", to_string(drop_reason(d)), t.counters().drop[d]);
			return -1;
		}
	}
	rte_pktmbuf_free_bulk(pkts, burst);
	return double(cycles) / (double(rounds) * burst);
}

} // namespace

int main(int argc, char **argv) {
	const uint32_t sessions = argc > 1 ? uint32_t(std::atoi(argv[1])) : 4096;
	const uint32_t rounds = argc > 2 ? uint32_t(std::atoi(argv[2])) : 20000;
	if (sessions == 0 || sessions > 60000 || !test::init_eal("bench"))
		return 1;
	test::test_tables t(1u << 18); // v2 indexes 0x1xxxx (tunnel 1), v3 0x2xxxx
	t.set_port(0, port_role::access);
	t.set_port(1, port_role::core);
	neighbour n{};
	n.port = 1;
	n.valid = 1;
	t.view().default_nh_v4 = t.add_neighbour(n);

	scenario dec2{"v2 decap", 0, {}}, enc2{"v2 encap", 1, {}}, dec3{"v3/udp decap (4-byte cookie)", 0, {}};
	const bytes payload(64, 0x5a);
	for (uint32_t i = 0; i < sessions; i++) {
		const uint32_t sub = 0x64400000 + i;
		session_params p;
		p.encap = encap_kind::v2_udp4;
		p.local_tunnel_id = 1;
		p.local_session_id = 1 + i;
		p.peer_tunnel_id = 7;
		p.peer_session_id = 1 + i;
		store_be32(p.local_addr, lns_ip);
		store_be32(p.peer_addr, lac_ip);
		const uint32_t idx = t.add_session(p);
		t.add_route_v4(sub, 32, idx);
		p.encap = encap_kind::v3_udp4;
		p.local_session_id = 0x20000 + 1 + i;
		p.rx_cookie_len = 4;
		t.add_session(p);

		const bytes inner = ipv4(sub, 0x08080808, 17, payload);
		bytes l2;
		put16(l2, 0x0002), put16(l2, 1), put16(l2, uint16_t(1 + i)), put16(l2, 0xff03), put16(l2, 0x0021);
		dec2.frames.push_back(cat(eth(0x0800), ipv4(lac_ip, lns_ip, 17, udp(cat(l2, inner)))));
		bytes l3;
		put32(l3, 0x00030000), put32(l3, 0x20000 + 1 + i), put32(l3, 0), put16(l3, 0xff03), put16(l3, 0x0021);
		dec3.frames.push_back(cat(eth(0x0800), ipv4(lac_ip, lns_ip, 17, udp(cat(l3, inner)))));
		enc2.frames.push_back(cat(eth(0x0800), ipv4(0x08080808, sub, 17, payload)));
	}
	std::printf("sessions %u, burst %u, rounds %u, TSC %" PRIu64 " Hz\n", sessions, burst, rounds, rte_get_tsc_hz());
	for (const scenario *sc : {&dec2, &enc2, &dec3}) {
		measure(t, *sc, rounds / 10, true); // warm up
		// Minimum over chunks: the machine may be shared, and preemption only adds time.
		double base = 1e18, total = 1e18;
		for (int chunk = 0; chunk < 20; chunk++) {
			const double b = measure(t, *sc, rounds / 20, false);
			const double x = measure(t, *sc, rounds / 20, true);
			if (b < 0 || x < 0)
				return 1;
			base = std::min(base, b);
			total = std::min(total, x);
		}
		const double cpp = total - base;
		std::printf("%-30s %7.1f cycles/packet  (%.1f Mpps/core at this TSC)\n", sc->name, cpp,
		            double(rte_get_tsc_hz()) / cpp / 1e6);
	}
	return 0;
}
