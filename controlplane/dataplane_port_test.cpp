#include "controlplane/dataplane_port.hpp"

#include <gtest/gtest.h>

namespace l2tpx::cp {
namespace {

session_install sess(uint16_t t, uint16_t s) {
	session_install i;
	i.local_tunnel = tunnel_id_v2{t};
	i.local_session = session_id_v2{s};
	return i;
}

TEST(recording_dataplane, install_remove_and_errors) {
	recording_dataplane dp;
	dp.capacity = 3;
	ASSERT_TRUE(dp.install_session(sess(1, 1)));
	ASSERT_TRUE(dp.install_session(sess(1, 2)));
	EXPECT_EQ(dp.install_session(sess(1, 2)).error(), dp_error::duplicate);
	ASSERT_TRUE(dp.install_session(sess(2, 1)));
	EXPECT_EQ(dp.install_session(sess(2, 2)).error(), dp_error::table_full);
	dp.remove_session(tunnel_id_v2{1}, session_id_v2{1});
	dp.remove_session(tunnel_id_v2{1}, session_id_v2{1}); // idempotent
	dp.remove_tunnel(tunnel_id_v2{1});
	EXPECT_EQ(dp.sessions.size(), 1u);
	EXPECT_EQ(dp.removals.size(), 2u);
	dp.fail_next_install = true;
	EXPECT_EQ(dp.install_session(sess(3, 1)).error(), dp_error::unavailable);
	EXPECT_EQ(to_string(dp_error::table_full), "table_full");
	null_dataplane n;
	EXPECT_TRUE(n.install_session(sess(1, 1)));
	EXPECT_TRUE(n.install_session(sess(1, 1)));
}

} // namespace
} // namespace l2tpx::cp
