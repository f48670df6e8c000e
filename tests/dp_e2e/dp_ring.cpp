// l2tpx-dp-ring: posts commands to a running l2tpx-dataplane through its command ring, as
// the control plane would, and waits for each completion. A DPDK secondary process with the
// dataplane's --file-prefix (the dataplane must run on hugepages: multi-process shares them).
//
//   l2tpx-dp-ring --file-prefix PREFIX [--timeout-ms N] COMMAND... [-- EAL_ARGS...]
//
// Each COMMAND is one argument in the text form of ring_cmd_parse.hpp, e.g.
//   "add_tunnel version=2 port=0 local_tunnel=1000 peer_tunnel=2000 local=198.18.0.1 peer=198.18.0.2"
// A command may start with "expect=STATUS " (e.g. "expect=exists add_session ..."): then
// that status, not ok, is the expected answer. Commands are sent in order, one at a time.
//
// One more command stands in for the packet paths' ICMP hook (dataplane/icmp_error.hpp):
//   "icmp_punt port=N kind=time_exceeded|too_big [mtu=N] [to_subscriber=0|1] packet=HEX"
// puts the IP packet HEX on the dataplane's l2tpx_icmp ring as a worker would (no
// completion: the dataplane answers with an ICMP error on the wire), and
//   "local_frame port=N frame=HEX"
// puts an Ethernet frame on the l2tpx_local ring as the paths do for frames for the runtime
// (e.g. a routed frame for an on-link host without a resolved next hop: the glean hook).
// Every event received is printed on stdout, one line each (describe_event()).
//
// Exit status: 0 every completion as expected; 1 a command was malformed or answered with
// another status; 2 EAL or ring lookup failed; 3 no completion within the timeout.
#include "dataplane/icmp_error.hpp"
#include "shared/ring/ring_names.hpp"
#include "tests/dp_e2e/ring_cmd_parse.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace l2tpx;

namespace {

void usage(const char *argv0) {
	std::fprintf(stderr,
	             "usage: %s --file-prefix PREFIX [--timeout-ms N] COMMAND... [-- EAL_ARGS...]\n"
	             "  COMMAND: \"[expect=STATUS] NAME key=value ...\" (see tests/dp_e2e/ring_cmd_parse.hpp)\n",
	             argv0);
}

struct planned {
	std::string text;
	ring::status expect = ring::status::ok;
	bool icmp = false;  // icmp_punt
	bool local = false; // local_frame
	uint16_t port = 0;
	uint32_t word = 0;
	std::vector<uint8_t> packet;
};

// "icmp_punt port=N kind=... [mtu=N] [to_subscriber=0|1] packet=HEX" -> p; false on error.
bool parse_icmp_punt(planned &p, std::string &err) {
	p.local = p.text.rfind("local_frame ", 0) == 0;
	std::string_view rest = std::string_view(p.text).substr(p.local ? 12 : 10);
	dp::icmp_error kind = dp::icmp_error::time_exceeded;
	bool have_kind = false, have_port = false, to_sub = false;
	unsigned long mtu = 0;
	while (!rest.empty()) {
		const size_t sp = rest.find(' ');
		const std::string w(rest.substr(0, sp));
		rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
		if (w.empty())
			continue;
		const size_t eq = w.find('=');
		const std::string k = w.substr(0, eq), v = eq == std::string::npos ? "" : w.substr(eq + 1);
		char *end = nullptr;
		if (k == "port") {
			p.port = uint16_t(std::strtoul(v.c_str(), &end, 10));
			have_port = end && *end == 0 && !v.empty();
		} else if (k == "kind" && (v == "time_exceeded" || v == "too_big")) {
			kind = v == "too_big" ? dp::icmp_error::too_big : dp::icmp_error::time_exceeded;
			have_kind = true;
		} else if (k == "mtu") {
			mtu = std::strtoul(v.c_str(), &end, 10);
			if (!end || *end || mtu > 0xffff)
				return err = "mtu: 0..65535", false;
		} else if (k == "to_subscriber" && (v == "0" || v == "1")) {
			to_sub = v == "1";
		} else if ((k == "packet" || (p.local && k == "frame")) && v.size() % 2 == 0 && !v.empty()) {
			for (size_t i = 0; i < v.size(); i += 2) {
				uint8_t b = 0;
				const auto [ptr, ec] = std::from_chars(v.data() + i, v.data() + i + 2, b, 16);
				if (ec != std::errc() || ptr != v.data() + i + 2)
					return err = "packet: not hex", false;
				p.packet.push_back(b);
			}
		} else {
			return err = w + ": unknown key or bad value", false;
		}
	}
	if (p.local) {
		if (!have_port || p.packet.empty())
			return err = "port and frame are required", false;
		return true;
	}
	if (!have_port || !have_kind || p.packet.empty())
		return err = "port, kind and packet are required", false;
	p.word = dp::icmp_punt_word(kind, uint16_t(mtu), to_sub);
	p.icmp = true;
	return true;
}

bool parse_status(std::string_view s, ring::status &out) {
#define L2TPX_X(n, desc)                                                                                              \
	if (s == #n) {                                                                                                     \
		out = ring::status::n;                                                                                     \
		return true;                                                                                               \
	}
	L2TPX_RING_STATUS(L2TPX_X)
#undef L2TPX_X
	return false;
}

} // namespace

int main(int argc, char **argv) {
	std::string prefix;
	long timeout_ms = 3000;
	std::vector<planned> plan;
	std::vector<std::string> eal_extra;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if (a == "--file-prefix" && i + 1 < argc) {
			prefix = argv[++i];
		} else if (a == "--timeout-ms" && i + 1 < argc) {
			timeout_ms = std::strtol(argv[++i], nullptr, 10);
		} else if (a == "-h" || a == "--help") {
			usage(argv[0]);
			return 0;
		} else if (a == "--") {
			for (i++; i < argc; i++)
				eal_extra.emplace_back(argv[i]);
		} else if (a.rfind("--", 0) == 0) {
			usage(argv[0]);
			return 1;
		} else {
			planned p;
			p.text = a;
			if (a.rfind("expect=", 0) == 0) {
				const size_t sp = a.find(' ');
				if (sp == std::string::npos || !parse_status(std::string_view(a).substr(7, sp - 7), p.expect)) {
					std::fprintf(stderr, "%s: expect=STATUS must name a ring status and precede a command\n",
					             a.c_str());
					return 1;
				}
				p.text = a.substr(sp + 1);
			}
			plan.push_back(std::move(p));
		}
	}
	if (prefix.empty() || plan.empty() || timeout_ms <= 0) {
		usage(argv[0]);
		return 1;
	}
	// Parse everything before attaching: a typo must not leave half a plan applied.
	const uint32_t seq0 = (uint32_t(getpid()) << 12) | 1;
	std::vector<ring::command> cmds;
	for (size_t i = 0; i < plan.size(); i++) {
		if (plan[i].text.rfind("icmp_punt ", 0) == 0 || plan[i].text.rfind("local_frame ", 0) == 0) {
			std::string err;
			if (!parse_icmp_punt(plan[i], err)) {
				std::fprintf(stderr, "command %zu (icmp_punt): %s\n", i + 1, err.c_str());
				return 1;
			}
			cmds.push_back(ring::command{});
			continue;
		}
		auto r = test::parse_ring_command(plan[i].text, seq0 + uint32_t(i));
		if (!r.ok) {
			std::fprintf(stderr, "command %zu (\"%s\"): %s\n", i + 1, plan[i].text.c_str(), r.error.c_str());
			return 1;
		}
		cmds.push_back(r.cmd);
	}

	std::vector<std::string> args{"l2tpx-dp-ring", "--proc-type=secondary", "--file-prefix=" + prefix,
	                              "--no-pci",      "-l",                    "0",
	                              "--no-telemetry", "--log-level=*:warning"};
	args.insert(args.end(), eal_extra.begin(), eal_extra.end());
	std::vector<char *> eal_argv;
	for (auto &a : args)
		eal_argv.push_back(a.data());
	eal_argv.push_back(nullptr);
	if (rte_eal_init(int(args.size()), eal_argv.data()) < 0) {
		std::fprintf(stderr, "EAL init as secondary (file prefix \"%s\") failed: %s\n", prefix.c_str(),
		             rte_strerror(rte_errno));
		return 2;
	}
	int rc = 0;
	rte_ring *cmd = rte_ring_lookup(ring::command_ring_name);
	rte_ring *evt = rte_ring_lookup(ring::event_ring_name);
	if (!cmd || !evt) {
		std::fprintf(stderr, "rings %s / %s not found: is l2tpx-dataplane running with file prefix \"%s\"?\n",
		             ring::command_ring_name, ring::event_ring_name, prefix.c_str());
		rte_eal_cleanup();
		return 2;
	}
	rte_ring *icmp = rte_ring_lookup(dp::icmp_ring_name);
	rte_ring *local = rte_ring_lookup("l2tpx_local");
	rte_mempool *pool = rte_mempool_lookup(ring::pool_name);
	for (size_t i = 0; i < cmds.size() && rc == 0; i++) {
		if (plan[i].icmp || plan[i].local) {
			rte_ring *to = plan[i].local ? local : icmp;
			rte_mbuf *m = (to && pool) ? rte_pktmbuf_alloc(pool) : nullptr;
			void *d = m && plan[i].packet.size() <= rte_pktmbuf_tailroom(m)
			              ? rte_pktmbuf_append(m, uint16_t(plan[i].packet.size()))
			              : nullptr;
			if (!d) {
				std::fprintf(stderr, "%s: no ring, pool or mbuf room\n", plan[i].local ? "local_frame" : "icmp_punt");
				rte_pktmbuf_free(m);
				rc = 2;
				break;
			}
			std::memcpy(d, plan[i].packet.data(), plan[i].packet.size());
			m->port = plan[i].port;
			m->hash.usr = plan[i].word;
			if (rte_ring_enqueue(to, m) != 0) {
				std::fprintf(stderr, "%s: the ring is full\n", plan[i].local ? "local_frame" : "icmp_punt");
				rte_pktmbuf_free(m);
				rc = 3;
				break;
			}
			std::printf("%s queued %zu bytes\n", plan[i].local ? "local_frame" : "icmp_punt", plan[i].packet.size());
			continue;
		}
		const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
		while (rte_ring_enqueue_elem(cmd, &cmds[i], sizeof(ring::command)) != 0) {
			if (std::chrono::steady_clock::now() > deadline) {
				std::fprintf(stderr, "command %zu: the command ring stayed full\n", i + 1);
				rc = 3;
				break;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
		}
		bool done = false;
		while (rc == 0 && !done) {
			ring::event e{};
			if (rte_ring_dequeue_elem(evt, &e, sizeof(e)) != 0) {
				if (std::chrono::steady_clock::now() > deadline) {
					std::fprintf(stderr, "command %zu (\"%s\"): no completion within %ld ms\n", i + 1,
					             plan[i].text.c_str(), timeout_ms);
					rc = 3;
				}
				std::this_thread::sleep_for(std::chrono::microseconds(200));
				continue;
			}
			std::printf("%s\n", test::describe_event(e).c_str());
			if (e.hdr.version == ring::abi_version && e.hdr.type == uint16_t(ring::event_type::completion) &&
			    e.hdr.seq == cmds[i].hdr.seq) {
				done = true;
				if (e.done.result != plan[i].expect) {
					std::fprintf(stderr, "command %zu (\"%s\"): %s, expected %s\n", i + 1, plan[i].text.c_str(),
					             ring::to_string(e.done.result), ring::to_string(plan[i].expect));
					rc = 1;
				}
			}
		}
	}
	std::fflush(stdout);
	rte_eal_cleanup();
	return rc;
}
