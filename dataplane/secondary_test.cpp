// The control plane's view: start l2tpx-dataplane (hugepages), attach to it as a DPDK
// secondary with the same --file-prefix, find the named rings and the packet pool, talk
// through the command/event rings and inject a frame. Skipped where no hugepages are free
// (multi-process needs shared hugepage memory).
#include "dataplane/test_process.hpp"
#include "shared/ring/ring_names.hpp"

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

using namespace l2tpx;

namespace {

long free_hugepages() {
	std::ifstream f("/proc/meminfo");
	std::string line;
	while (std::getline(f, line))
		if (line.rfind("HugePages_Free:", 0) == 0)
			return std::stol(line.substr(15));
	return 0;
}

// Removes what a run leaves behind, also when the test fails half-way (declared before the
// process, so it runs after the primary was killed).
struct leftovers {
	std::string prefix, conf;
	~leftovers() {
		std::error_code ec;
		std::filesystem::remove_all("/var/run/dpdk/" + prefix, ec);
		std::filesystem::remove(conf, ec);
		// The primary leaves its hugepage files for late secondaries: remove ours.
		for (const auto &f : std::filesystem::directory_iterator("/dev/hugepages", ec))
			if (f.path().filename().string().rfind(prefix + "map_", 0) == 0)
				std::filesystem::remove(f.path(), ec);
	}
};

template <typename F> bool eventually(F &&f) {
	for (int i = 0; i < 100000; i++) {
		if (f())
			return true;
		usleep(100);
	}
	return false;
}

TEST(dataplane_secondary, control_plane_attaches_by_ring_names) {
	if (free_hugepages() < 300)
		GTEST_SKIP() << "needs ~600 MiB of free 2 MiB hugepages for a primary + secondary";
	const std::string prefix = "l2tpx-dp-sec-" + std::to_string(getpid());
	const std::string conf = "/tmp/" + prefix + ".toml";
	leftovers cleanup{prefix, conf};
	std::ofstream(conf) << "[dataplane]\nworker_lcores = []\nfile_prefix = \"" << prefix << R"("
mbuf_pool_size = 2047
mbuf_cache_size = 32
session_capacity = 1024
tunnel_capacity = 64
route_capacity = 1024
idle_max_sleep_us = 1000
[[port]]
name = "access0"
devargs = "net_null0,no-rx=1"
role = "access"
addresses = ["192.0.2.1/24"]
)";
	dp::test::process primary({L2TPX_DATAPLANE_BIN, "-c", conf, "--", "--log-level=*:error"});
	ASSERT_TRUE(primary.wait_for("running")) << primary.log();

	const std::string fp = "--file-prefix=" + prefix;
	std::vector<std::string> args{"cp", "--proc-type=secondary", fp, "--no-pci", "-l", "0", "--log-level=*:error"};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	ASSERT_GE(rte_eal_init(int(argv.size()), argv.data()), 0);

	rte_ring *cmd = rte_ring_lookup(ring::command_ring_name);
	rte_ring *evt = rte_ring_lookup(ring::event_ring_name);
	rte_ring *punt = rte_ring_lookup(ring::punt_ring_name);
	rte_ring *inject = rte_ring_lookup(ring::inject_ring_name);
	rte_mempool *pool = rte_mempool_lookup(ring::pool_name);
	ASSERT_NE(cmd, nullptr);
	ASSERT_NE(evt, nullptr);
	ASSERT_NE(punt, nullptr);
	ASSERT_NE(inject, nullptr);
	ASSERT_NE(pool, nullptr);

	// The dataplane announced itself at start; hello asks again.
	ring::event e{};
	ASSERT_TRUE(eventually([&] { return rte_ring_dequeue_elem(evt, &e, sizeof(e)) == 0; }));
	EXPECT_EQ(e.hdr.type, uint16_t(ring::event_type::ready));
	const uint32_t boot = e.ready.boot_id;
	ring::command c = ring::make_command(ring::command_type::hello, 77);
	ASSERT_EQ(rte_ring_enqueue_elem(cmd, &c, sizeof(c)), 0);
	ASSERT_TRUE(eventually([&] { return rte_ring_dequeue_elem(evt, &e, sizeof(e)) == 0; }));
	EXPECT_EQ(e.hdr.type, uint16_t(ring::event_type::ready));
	EXPECT_EQ(e.hdr.seq, 77u);
	EXPECT_EQ(e.ready.boot_id, boot);
	EXPECT_EQ(e.ready.session_capacity, 1024u);
	ASSERT_TRUE(eventually([&] { return rte_ring_dequeue_elem(evt, &e, sizeof(e)) == 0; }));
	EXPECT_EQ(e.hdr.type, uint16_t(ring::event_type::completion));
	EXPECT_EQ(e.done.result, ring::status::ok);

	// Inject a frame: metadata prepended, from the dataplane's pool.
	rte_mbuf *m = rte_pktmbuf_alloc(pool);
	ASSERT_NE(m, nullptr);
	ring::inject_meta meta{};
	meta.magic = ring::inject_meta_magic;
	meta.version = ring::inject_meta_version;
	meta.kind = ring::inject_kind::ethernet;
	meta.out_port = 0;
	meta.session_index = UINT32_MAX;
	uint8_t *d = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, sizeof(meta) + 60));
	std::memcpy(d, &meta, sizeof(meta));
	std::memset(d + sizeof(meta), 0xff, 60);
	ASSERT_EQ(rte_ring_enqueue(inject, m), 0);
	ASSERT_TRUE(eventually([&] { return rte_ring_count(inject) == 0; }));

	rte_eal_cleanup();
	EXPECT_EQ(primary.stop(SIGTERM), 0) << primary.log();
}

} // namespace
