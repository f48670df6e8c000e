// Runs every case folder of tests/pcap/cases (made by gen.py) through the packet paths:
// send.pcap in on the case's port, then the transmitted frames must equal expect.pcap byte
// for byte (and leave on tx_port), the punted frames must equal punt.pcap, every counter
// must equal counters.json (absent = 0), and tshark must decode the output (and the input,
// except for drop cases) without a Malformed marker or an expert warning/error
// (tests/oracle/tshark_check.py).
//
//   pcap_runner CASES_DIR SOURCE_ROOT OUT_DIR [gtest flags]
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <toml++/toml.h>

#include "dataplane/path/path_test_util.hpp"
#include "dataplane/path/punt_meta.hpp"

extern char **environ;

namespace fs = std::filesystem;
using namespace l2tpx::dp;
using bytes = std::vector<uint8_t>;

namespace {

std::string g_cases, g_root, g_out;

// ---- small readers ----

std::vector<bytes> read_pcap(const std::string &path, std::string &err) {
	std::vector<bytes> out;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path.c_str(), eb);
	if (!p) {
		err = eb;
		return out;
	}
	pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(p, &h, &d) == 1)
		out.emplace_back(d, d + h->caplen);
	pcap_close(p);
	return out;
}

bool write_pcap(const std::string &path, const std::vector<bytes> &frames) {
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dd = pcap_dump_open(p, path.c_str());
	if (!dd) {
		pcap_close(p);
		return false;
	}
	for (size_t i = 0; i < frames.size(); i++) {
		pcap_pkthdr h{};
		h.ts.tv_sec = 1700000000 + static_cast<long>(i / 1000);
		h.ts.tv_usec = static_cast<long>((i % 1000) * 1000);
		h.caplen = h.len = static_cast<uint32_t>(frames[i].size());
		pcap_dump(reinterpret_cast<u_char *>(dd), &h, frames[i].data());
	}
	pcap_dump_close(dd);
	pcap_close(p);
	return true;
}

// {"name": 123, ...}: the only JSON shape counters.json uses.
bool parse_flat_json(const std::string &text, std::map<std::string, uint64_t> &out) {
	size_t i = 0;
	const auto ws = [&] {
		while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
			i++;
	};
	ws();
	if (i >= text.size() || text[i++] != '{')
		return false;
	for (;;) {
		ws();
		if (i < text.size() && text[i] == '}')
			return true;
		if (i >= text.size() || text[i++] != '"')
			return false;
		const size_t e = text.find('"', i);
		if (e == std::string::npos)
			return false;
		std::string key = text.substr(i, e - i);
		i = e + 1;
		ws();
		if (i >= text.size() || text[i++] != ':')
			return false;
		ws();
		uint64_t v = 0;
		size_t digits = 0;
		while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
			v = v * 10 + static_cast<uint64_t>(text[i++] - '0');
			digits++;
		}
		if (!digits)
			return false;
		out[key] = v;
		ws();
		if (i < text.size() && text[i] == ',')
			i++;
	}
}

std::string slurp(const std::string &path) {
	std::ifstream f(path);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

std::string hex(const bytes &b) {
	std::string s;
	char buf[4];
	for (size_t i = 0; i < b.size(); i++) {
		std::snprintf(buf, sizeof(buf), "%02x", b[i]);
		s += buf;
		if (i % 16 == 15)
			s += '\n';
		else if (i % 2 == 1)
			s += ' ';
	}
	return s;
}

std::string first_diff(const bytes &got, const bytes &want) {
	size_t i = 0;
	while (i < got.size() && i < want.size() && got[i] == want[i])
		i++;
	return "sizes " + std::to_string(got.size()) + "/" + std::to_string(want.size()) + ", first difference at byte " +
	       std::to_string(i) + "\ngot:\n" + hex(got) + "\nwant:\n" + hex(want);
}

int run_command(const std::vector<std::string> &args, std::string &output) {
	const std::string log = g_out + "/.cmd.log";
	std::vector<char *> argv;
	for (const auto &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid;
	const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		output = std::string("cannot run ") + argv[0] + ": " + std::strerror(rc);
		return -1;
	}
	int status = 0;
	waitpid(pid, &status, 0);
	output = slurp(log);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- the fixture (fixture.toml) ----

bool parse_mac(const std::string &s, uint8_t out[6]) {
	unsigned v[6];
	if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		out[i] = static_cast<uint8_t>(v[i]);
	return true;
}
bool parse_ip(const std::string &s, uint8_t out[16], int &family) {
	std::memset(out, 0, 16);
	if (inet_pton(AF_INET, s.c_str(), out) == 1) {
		family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s.c_str(), out) == 1) {
		family = 6;
		return true;
	}
	return false;
}
bytes parse_hex(const std::string &s) {
	bytes b;
	for (size_t i = 0; i + 1 < s.size(); i += 2)
		b.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
	return b;
}

const std::map<std::string, encap_kind> encaps = {
    {"v2_udp4", encap_kind::v2_udp4}, {"v2_udp6", encap_kind::v2_udp6}, {"v3_udp4", encap_kind::v3_udp4},
    {"v3_udp6", encap_kind::v3_udp6}, {"v3_ip4", encap_kind::v3_ip4},   {"v3_ip6", encap_kind::v3_ip6}};
const std::map<std::string, pw_type> pws = {{"ppp", pw_type::ppp}, {"eth", pw_type::eth}, {"eth_vlan", pw_type::eth_vlan}};
const std::map<std::string, uint8_t> flag_names = {{"send_seq", session_flag::send_seq},
                                                   {"require_seq", session_flag::require_seq},
                                                   {"l2ss", session_flag::l2ss},
                                                   {"check_source", session_flag::check_source},
                                                   {"control_only", session_flag::control_only}};
const std::map<std::string, port_role> roles = {
    {"access", port_role::access}, {"core", port_role::core}, {"attachment", port_role::attachment}};

#define FIX_CHECK(cond, what)                                                                                  \
	do {                                                                                                   \
		if (!(cond)) {                                                                                 \
			err = what;                                                                            \
			return false;                                                                          \
		}                                                                                              \
	} while (0)

bool add_route(test::test_tables &t, const std::string &prefix, uint32_t idx, std::string &err) {
	const size_t slash = prefix.find('/');
	FIX_CHECK(slash != std::string::npos, "route without /len: " + prefix);
	uint8_t a[16];
	int fam;
	FIX_CHECK(parse_ip(prefix.substr(0, slash), a, fam), "bad route " + prefix);
	const auto len = static_cast<uint8_t>(std::stoi(prefix.substr(slash + 1)));
	const bool ok = fam == 4 ? t.add_route_v4((uint32_t{a[0]} << 24) | (a[1] << 16) | (a[2] << 8) | a[3], len, idx)
	                         : t.add_route_v6(a, len, idx);
	FIX_CHECK(ok, "cannot add route " + prefix);
	return true;
}

bool load_fixture(const std::string &path, test::test_tables &t, std::string &err) {
	toml::table f;
	try {
		f = toml::parse_file(path);
	} catch (const toml::parse_error &e) {
		err = std::string("fixture: ") + e.what();
		return false;
	}
	tables_view &v = t.view();
	v.l2tp_udp_port = static_cast<uint16_t>(f["l2tp_udp_port"].value_or(1701));
	if (auto *a = f["local_v4"].as_array())
		for (auto &e : *a) {
			uint8_t ip[16];
			int fam;
			FIX_CHECK(parse_ip(e.value_or(std::string()), ip, fam) && fam == 4, "bad local_v4");
			std::memcpy(&v.local_v4[v.local_v4_count++], ip, 4);
		}
	if (auto *a = f["local_v6"].as_array())
		for (auto &e : *a) {
			int fam;
			FIX_CHECK(parse_ip(e.value_or(std::string()), v.local_v6[v.local_v6_count], fam) && fam == 6, "bad local_v6");
			v.local_v6_count++;
		}
	if (auto *a = f["port"].as_array())
		for (auto &e : *a) {
			auto &p = *e.as_table();
			const auto role = roles.find(p["role"].value_or(std::string()));
			FIX_CHECK(role != roles.end(), "bad port role");
			const auto id = static_cast<uint16_t>(p["id"].value_or(0));
			FIX_CHECK(id < max_ports, "bad port id");
			t.set_port(id, role->second, static_cast<uint16_t>(p["mtu"].value_or(0)),
			           static_cast<uint8_t>(p["attach_slot"].value_or(0)));
			v.ports[id].vlan = static_cast<uint16_t>(p["vlan"].value_or(0)); // 802.1Q sub-interface
		}
	neighbour n{};
	FIX_CHECK(parse_mac(f["neighbour"]["dst_mac"].value_or(std::string()), n.dst_mac) &&
	              parse_mac(f["neighbour"]["src_mac"].value_or(std::string()), n.src_mac),
	          "bad neighbour");
	n.port = static_cast<uint16_t>(f["neighbour"]["port"].value_or(0));
	n.valid = 1;
	v.default_nh_v4 = v.default_nh_v6 = t.add_neighbour(n);

	const auto peer = f["peer"];
	session_params base;
	int fam;
	uint8_t l4[16], p4[16], l6[16], p6[16];
	FIX_CHECK(parse_mac(peer["local_mac"].value_or(std::string()), base.local_mac) &&
	              parse_mac(peer["peer_mac"].value_or(std::string()), base.peer_mac) &&
	              parse_ip(peer["local_v4"].value_or(std::string()), l4, fam) &&
	              parse_ip(peer["peer_v4"].value_or(std::string()), p4, fam) &&
	              parse_ip(peer["local_v6"].value_or(std::string()), l6, fam) &&
	              parse_ip(peer["peer_v6"].value_or(std::string()), p6, fam),
	          "bad [peer]");
	if (auto *a = f["session"].as_array())
		for (auto &e : *a) {
			auto &s = *e.as_table();
			const std::string name = s["name"].value_or(std::string("?"));
			session_params p = base;
			const auto enc = encaps.find(s["encap"].value_or(std::string()));
			FIX_CHECK(enc != encaps.end(), name + ": bad encap");
			p.encap = enc->second;
			const auto pw = pws.find(s["pw"].value_or(std::string("ppp")));
			FIX_CHECK(pw != pws.end(), name + ": bad pw");
			p.pw = pw->second;
			std::memcpy(p.local_addr, is_ipv6(p.encap) ? l6 : l4, 16);
			std::memcpy(p.peer_addr, is_ipv6(p.encap) ? p6 : p4, 16);
			p.local_tunnel_id = s["local_tunnel"].value_or(0u);
			p.local_session_id = s["local_session"].value_or(0u);
			p.peer_tunnel_id = s["peer_tunnel"].value_or(0u);
			p.peer_session_id = s["peer_session"].value_or(0u);
			p.v2_length = s["v2_length"].value_or(false);
			p.ppp_address_control = s["ppp_address_control"].value_or(true);
			p.mss_clamp = static_cast<uint16_t>(s["mss_clamp"].value_or(0));
			p.egress_port = static_cast<uint16_t>(s["egress_port"].value_or(0));
			FIX_CHECK(p.egress_port < max_ports, name + ": bad egress_port");
			p.vlan = v.ports[p.egress_port].vlan; // as tables::build_record: the access port's tag
			p.attach_port = static_cast<uint16_t>(s["attach_port"].value_or(0));
			p.attach_vlan = static_cast<uint16_t>(s["attach_vlan"].value_or(0));
			if (auto *fl = s["flags"].as_array())
				for (auto &x : *fl) {
					const auto it = flag_names.find(x.value_or(std::string()));
					FIX_CHECK(it != flag_names.end(), name + ": bad flag");
					p.flags |= it->second;
				}
			const bytes rxc = parse_hex(s["rx_cookie"].value_or(std::string()));
			const bytes txc = parse_hex(s["tx_cookie"].value_or(std::string()));
			FIX_CHECK(rxc.size() <= 8 && txc.size() <= 8, name + ": cookie too long");
			p.rx_cookie_len = static_cast<uint8_t>(rxc.size());
			p.tx_cookie_len = static_cast<uint8_t>(txc.size());
			std::copy(rxc.begin(), rxc.end(), p.rx_cookie);
			std::copy(txc.begin(), txc.end(), p.tx_cookie);
			if (auto sub = s["subscriber"].value<std::string>()) {
				uint8_t a[16];
				FIX_CHECK(parse_ip(*sub, a, fam) && fam == 4, name + ": bad subscriber");
				p.subscriber_v4 = (uint32_t{a[0]} << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
			}
			session probe;
			auto built = build_session(p, probe);
			FIX_CHECK(built.has_value(), name + ": " + (built ? "" : to_string(built.error())));
			const uint32_t idx = t.add_session(p);
			FIX_CHECK(t.sessions()[idx].generation == 0 && idx != no_session, name + ": not installed");
			if (auto *r = s["routes"].as_array())
				for (auto &x : *r)
					if (!add_route(t, x.value_or(std::string()), idx, err))
						return false;
			if (p.pw != pw_type::ppp) {
				const uint8_t slot = t.view().ports[p.attach_port].attach_slot;
				t.map_attachment(slot, p.pw == pw_type::eth_vlan ? p.attach_vlan : vlan_untagged, idx);
			}
		}
	if (auto *a = f["route"].as_array())
		for (auto &e : *a) {
			auto &r = *e.as_table();
			if (!add_route(t, r["prefix"].value_or(std::string()), r["index"].value_or(0u), err))
				return false;
		}
	return true;
}

// tests/oracle/tshark_check.py (or plain tshark when the oracle is absent): no Malformed
// marker, no expert item of warning severity or above, and L2TP present when asked.
void tshark_check(const std::string &pcap, bool need_l2tp, const std::vector<std::string> &prefs, const char *what) {
	const std::string script = g_root + "/tests/oracle/tshark_check.py";
	const bool have_script = fs::exists(script);
	std::vector<std::string> cmd;
	if (have_script) {
		cmd = {"/usr/bin/python3", script, pcap};
		if (!need_l2tp)
			cmd.push_back("--any-protocol");
	} else {
		cmd = {"/usr/bin/tshark", "-n", "-r", pcap, "-Y",
		       "_ws.malformed || _ws.expert.severity >= 0x00600000" + std::string(need_l2tp ? " || !l2tp" : "")};
	}
	for (const auto &p : prefs) {
		cmd.push_back("-o");
		cmd.push_back(p);
	}
	std::string output;
	const int rc = run_command(cmd, output);
	if (have_script)
		EXPECT_EQ(rc, 0) << "tshark oracle on the " << what << ":\n" << output;
	else
		EXPECT_TRUE(rc == 0 && output.find_first_not_of(" \n") == std::string::npos) << "tshark on the " << what << ":\n"
		                                                                                << output;
}

std::vector<std::string> case_names() {
	std::vector<std::string> names;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(g_cases, ec))
		if (e.is_directory() && fs::exists(e.path() / "send.pcap"))
			names.push_back(e.path().filename().string());
	std::sort(names.begin(), names.end());
	return names;
}

test::test_tables *g_tables = nullptr;

class PcapCase : public ::testing::TestWithParam<std::string> {};

TEST_P(PcapCase, Run) {
	const std::string name = GetParam();
	const std::string dir = g_cases + "/" + name;
	ASSERT_NE(g_tables, nullptr);
	test::test_tables &t = *g_tables;
	// Fresh mutable state; the sessions and routes are the fixture's.
	t.counters() = path_counters{};
	std::fill(t.seq(), t.seq() + t.view().session_mask + 1, session_seq{});
	std::fill(t.stats(), t.stats() + t.view().session_mask + 1, session_stats{});

	toml::table c;
	try {
		c = toml::parse_file(dir + "/case.toml");
	} catch (const toml::parse_error &e) {
		FAIL() << "case.toml: " << e.what();
	}
	const auto port = static_cast<uint16_t>(c["port"].value_or(0));
	const auto tx_port = static_cast<uint16_t>(c["tx_port"].value_or(0));
	RecordProperty("description", c["description"].value_or(std::string()));

	std::string err;
	const auto send = read_pcap(dir + "/send.pcap", err);
	ASSERT_TRUE(err.empty()) << err;
	const auto expect = read_pcap(dir + "/expect.pcap", err);
	ASSERT_TRUE(err.empty()) << err;
	const auto expect_punt = read_pcap(dir + "/punt.pcap", err);
	ASSERT_TRUE(err.empty()) << err;
	std::map<std::string, uint64_t> want_counters;
	ASSERT_TRUE(parse_flat_json(slurp(dir + "/counters.json"), want_counters)) << "counters.json";

	std::vector<rte_mbuf *> pkts;
	for (const auto &f : send) {
		pkts.push_back(test::make_mbuf(f, port));
		ASSERT_NE(pkts.back(), nullptr);
	}
	auto r = test::run(t.ctx(), port, pkts);
	std::vector<bytes> got, got_punt;
	for (size_t i = 0; i < r.tx.size(); i++) {
		got.push_back(test::bytes_of(r.tx[i]));
		EXPECT_EQ(r.tx_port[i], tx_port) << "tx frame " << i;
	}
	for (rte_mbuf *m : r.punt) {
		bytes b = test::bytes_of(m);
		ASSERT_GE(b.size(), sizeof(punt_meta));
		punt_meta meta;
		std::memcpy(&meta, b.data(), sizeof(meta));
		EXPECT_EQ(meta.magic, punt_meta_magic);
		EXPECT_EQ(meta.version, punt_meta_version);
		EXPECT_EQ(meta.in_port, port);
		got_punt.emplace_back(b.begin() + sizeof(punt_meta), b.end());
	}
	test::free_all(r);

	EXPECT_EQ(got.size(), expect.size()) << "transmitted frames";
	for (size_t i = 0; i < got.size() && i < expect.size(); i++)
		EXPECT_EQ(got[i], expect[i]) << "tx frame " << i << ": " << first_diff(got[i], expect[i]);
	EXPECT_EQ(got_punt.size(), expect_punt.size()) << "punted frames";
	for (size_t i = 0; i < got_punt.size() && i < expect_punt.size(); i++)
		EXPECT_EQ(got_punt[i], expect_punt[i]) << "punted frame " << i;

	for (size_t i = 0; i < path_event_count; i++) {
		const auto e = static_cast<path_event>(i);
		const auto it = want_counters.find(to_string(e));
		EXPECT_EQ(t.counters()[e], it == want_counters.end() ? 0 : it->second) << "counter " << to_string(e);
	}
	for (size_t i = 0; i < drop_reason_count; i++) {
		const auto d = static_cast<drop_reason>(i);
		const auto it = want_counters.find(to_string(d));
		EXPECT_EQ(t.counters()[d], it == want_counters.end() ? 0 : it->second) << "drop counter " << to_string(d);
	}
	for (const auto &[k, v] : want_counters)
		EXPECT_TRUE(path_event_from_string(k) || drop_reason_from_string(k)) << "unknown counter name " << k;

	// The produced output goes to OUT_DIR/<case>/out.pcap and through tshark; so does the
	// input (scapy's frames must be valid L2TP/PPP as an independent decoder sees them).
	const std::string out_dir = g_out + "/" + name;
	fs::create_directories(out_dir);
	ASSERT_TRUE(write_pcap(out_dir + "/out.pcap", got));
	std::vector<std::string> prefs;
	if (auto *a = c["tshark_prefs"].as_array())
		for (auto &p : *a)
			prefs.push_back(p.value_or(std::string()));
	const std::string oracle = c["oracle"].value_or(std::string("none"));
	if (oracle != "none" && !got.empty())
		tshark_check(out_dir + "/out.pcap", oracle == "l2tp", prefs, "output");
	if (c["send_oracle"].value_or(std::string("none")) != "none")
		tshark_check(dir + "/send.pcap", false, prefs, "input");
}

INSTANTIATE_TEST_SUITE_P(Cases, PcapCase, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string> &i) { return i.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PcapCase);

} // namespace

int main(int argc, char **argv) {
	// The case list is produced while InitGoogleTest registers the parameterized tests, so
	// the positional arguments are picked up first (gtest flags may come in any position).
	std::vector<std::string> pos;
	for (int i = 1; i < argc; i++)
		if (std::strncmp(argv[i], "--gtest", 7) != 0)
			pos.emplace_back(argv[i]);
	if (pos.size() < 3) {
		std::fprintf(stderr, "usage: %s CASES_DIR SOURCE_ROOT OUT_DIR [gtest flags]\n", argv[0]);
		return 2;
	}
	g_cases = pos[0];
	g_root = pos[1];
	g_out = pos[2];
	::testing::InitGoogleTest(&argc, argv);
	fs::create_directories(g_out);
	if (!test::init_eal("pcap"))
		return 1;
	test::test_tables tables;
	std::string err;
	if (!load_fixture(g_root + "/tests/pcap/fixture.toml", tables, err)) {
		std::fprintf(stderr, "fixture.toml: %s\n", err.c_str());
		return 1;
	}
	g_tables = &tables;
	return RUN_ALL_TESTS();
}
