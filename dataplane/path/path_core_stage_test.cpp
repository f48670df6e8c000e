// The core ports' AVX2 route stage (core_route4(), path_core.cpp) against the scalar
// lean_pre() it stands for, on random frames: lengths, segments, headroom, EtherType and
// IHL, TTL, the NIC's checksum flags, and header checksums that are valid, off by one,
// random, or the other zero. FastPathMatchesGeneralPathInCoreBursts cannot see a frame the
// vector checks decline wrongly (the general path then gives the same result), this can.
// The translation unit includes path_core.cpp to reach its internal functions.
#include "dataplane/path/path_core.cpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

using namespace l2tpx::dp;
using namespace l2tpx::dp::detail;

TEST(CoreRouteStage, VectorChecksMatchScalar) {
#if !defined(__AVX2__)
	GTEST_SKIP() << "built without AVX2: the scalar stages only";
#else
	std::mt19937_64 rng(42);
	static tables_view v{};
	path_ctx c{};
	c.view = &v;
	std::vector<uint8_t> bufs(4 * 2048);
	alignas(64) static rte_mbuf mb[4];
	rte_mbuf *pk[max_burst];
	uint64_t frames = 0, passing = 0, mismatches = 0;
	static uint32_t direct[4];
	for (int it = 0; it < 200000; it++) {
		for (int k = 0; k < 4; k++) {
			rte_mbuf *m = &mb[k];
			std::memset(static_cast<void *>(m), 0, sizeof(*m));
			m->buf_addr = bufs.data() + k * 2048;
			m->data_off = static_cast<uint16_t>(rng() % 4 == 0 ? rng() % 128 : 128);
			uint8_t *d = static_cast<uint8_t *>(m->buf_addr) + m->data_off;
			const uint32_t tot = rng() % 8 == 0 ? rng() % 100 : 20 + rng() % 80;
			const uint32_t len = rng() % 4 == 0 ? rng() % 140 : 14 + tot + (rng() % 3 == 0 ? rng() % 10 : 0);
			m->data_len = static_cast<uint16_t>(len);
			m->pkt_len = rng() % 16 == 0 ? len + 1 : len;
			const uint64_t flags[] = {0, 0, 0, RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD,
			                          RTE_MBUF_F_RX_IP_CKSUM_NONE, RTE_MBUF_F_RX_L4_CKSUM_BAD};
			m->ol_flags = flags[rng() % std::size(flags)];
			for (int b = 0; b < 64; b++)
				d[b] = static_cast<uint8_t>(rng());
			if (rng() % 8) {
				d[12] = 0x08, d[13] = 0, d[14] = 0x45;
			}
			d[16] = static_cast<uint8_t>(tot >> 8), d[17] = static_cast<uint8_t>(tot);
			if (rng() % 4 == 0) // extreme header bytes
				for (int b = 15; b < 34; b++)
					if (b != 16 && b != 17)
						d[b] = rng() % 2 ? 0xff : 0;
			d[24] = d[25] = 0;
			uint32_t s = 0;
			for (int b = 14; b < 34; b += 2)
				s += static_cast<uint32_t>(d[b] << 8 | d[b + 1]);
			while (s >> 16)
				s = (s & 0xffff) + (s >> 16);
			uint16_t ck = static_cast<uint16_t>(~s);
			switch (rng() % 8) {
			case 0: ck = static_cast<uint16_t>(ck + 1); break;
			case 1: ck = static_cast<uint16_t>(ck - 1); break;
			case 2: ck = static_cast<uint16_t>(rng()); break;
			case 3: ck = ck == 0xffff ? 0 : ck; break; // the other zero
			default: break;
			}
			d[24] = static_cast<uint8_t>(ck >> 8), d[25] = static_cast<uint8_t>(ck);
			pk[k] = m;
		}
		for (int k = 4; k < 8; k++)
			pk[k] = pk[k - 4];
		lean_state L(c, pk, 8, 0);
		L.size = 1, L.base = 0, L.local0 = 5;
		L.direct = direct;
		lean_vec_init(L);
		core_route4(L, pk, 0);
		for (int k = 0; k < 4; k++) {
			const int64_t want = lean_pre(pk[k], L.dp[k]);
			frames++;
			passing += want >= 0;
			if (want != L.pre[k] || L.dp[k] != rte_pktmbuf_mtod(pk[k], uint8_t *)) {
				if (mismatches++ < 5)
					ADD_FAILURE() << "iteration " << it << " lane " << k << ": scalar " << want << ", vector "
					              << L.pre[k];
			}
		}
	}
	EXPECT_EQ(mismatches, 0u);
	// The draw reaches both outcomes in earnest (not a test that cannot fail).
	EXPECT_GT(passing, frames / 10);
	EXPECT_LT(passing, frames / 2);
#endif
}

} // namespace
