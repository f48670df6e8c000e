// ABI pinning of the ring messages: the control plane and the dataplane are separate
// binaries, so field offsets are part of the interface. A change here needs abi_version++.
#include "shared/ring/ring_names.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>

using namespace l2tpx::ring;

namespace {

TEST(ring_abi, header_offsets) {
	EXPECT_EQ(offsetof(command, hdr), 0u);
	EXPECT_EQ(offsetof(command, session), 8u);
	EXPECT_EQ(offsetof(event, done), 8u);
	EXPECT_EQ(offsetof(header, seq), 4u);
}

TEST(ring_abi, session_params_offsets) {
	EXPECT_EQ(offsetof(session_params, local_tunnel_id), 4u);
	EXPECT_EQ(offsetof(session_params, peer_session_id), 16u);
	EXPECT_EQ(offsetof(session_params, access_port), 20u);
	EXPECT_EQ(offsetof(session_params, local), 36u);
	EXPECT_EQ(offsetof(session_params, peer), 56u);
	EXPECT_EQ(offsetof(session_params, cookie_len), 76u);
	EXPECT_EQ(offsetof(session_params, cookie), 80u);
	EXPECT_EQ(offsetof(session_params, subscriber_v4), 96u);
	EXPECT_EQ(offsetof(session_params, framed_routes), 100u);
	EXPECT_EQ(offsetof(session_params, v6_prefix), 164u);
	EXPECT_EQ(offsetof(session_params, v6_delegated), 184u);
}

TEST(ring_abi, packet_meta_offsets) {
	EXPECT_EQ(offsetof(punt_meta, reason), 3u);
	EXPECT_EQ(offsetof(punt_meta, in_port), 4u);
	EXPECT_EQ(offsetof(punt_meta, tunnel_id), 20u);
	EXPECT_EQ(offsetof(punt_meta, session_index), 28u);
	EXPECT_EQ(offsetof(inject_meta, out_port), 4u);
	EXPECT_EQ(offsetof(inject_meta, session_index), 8u);
}

TEST(ring_abi, command_bytes_on_little_endian_host) {
	command c = make_command(command_type::add_session, 0x01020304);
	c.session.version = 3;
	c.session.local_session_id = 0xaabbccdd;
	uint8_t b[sizeof(command)];
	std::memcpy(b, &c, sizeof(c));
	const uint8_t expect_hdr[] = {abi_version, 0, uint8_t(command_type::add_session), 0, 4, 3, 2, 1};
	EXPECT_EQ(std::memcmp(b, expect_hdr, sizeof(expect_hdr)), 0);
	EXPECT_EQ(b[8], 3);
	const uint8_t sid[] = {0xdd, 0xcc, 0xbb, 0xaa};
	EXPECT_EQ(std::memcmp(b + 8 + 8, sid, 4), 0);
	for (size_t i = 8 + sizeof(session_params); i < sizeof(b); i++)
		EXPECT_EQ(b[i], 0) << i;
}

TEST(ring_names, to_string_tables) {
	EXPECT_STREQ(to_string(command_type::add_session), "add_session");
	EXPECT_STREQ(to_string(command_type::flush_sessions), "flush_sessions");
	EXPECT_STREQ(to_string(status::index_busy), "index_busy");
	EXPECT_STREQ(to_string(event_type::ready), "ready");
	EXPECT_STREQ(to_string(static_cast<command_type>(999)), "?");
	EXPECT_STREQ(to_string(static_cast<status>(999)), "?");
}

TEST(ring_names, fit_dpdk_name_limits) {
	for (const char *n : {command_ring_name, event_ring_name, punt_ring_name, inject_ring_name, pool_name})
		EXPECT_LE(std::string(n).size(), 26u) << n; // RTE_RING_NAMESIZE 32 minus "RG_" and NUL
}

} // namespace
