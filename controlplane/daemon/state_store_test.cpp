// The state file: records written through the mapping read back field for field, the
// sequence mirror outside the checksum, and every kind of damage a crash or an operator
// can cause reported as a typed error (whole file) or an ignored record (one record).
#include "controlplane/daemon/state_store.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace l2tpx::cp::daemon {
namespace {

struct temp_dir {
	std::string path;
	temp_dir() {
		char tmpl[] = "/tmp/l2tpx-state-XXXXXX";
		path = mkdtemp(tmpl);
	}
	~temp_dir() {
		(void)std::remove((path + "/state").c_str());
		(void)std::remove((path + "/state.tmp").c_str());
		(void)rmdir(path.c_str());
	}
	std::string file() const { return path + "/state"; }
};

saved_tunnel sample_tunnel() {
	saved_tunnel t;
	t.t.local = tunnel_id_v2{0x1234};
	t.t.peer_id = tunnel_id_v2{0x0042};
	t.t.peer = udp_endpoint::v4(*parse_ipv4("198.51.100.7"), 1701);
	t.t.peer_host = "lac-east";
	t.t.peer_rws = 10;
	t.t.ns = 17;
	t.t.nr = 9;
	t.t.acked = 16;
	t.created_ms = 123456;
	return t;
}

saved_session sample_session() {
	saved_session s;
	s.tunnel = 0x1234;
	s.session = 0x0beef & 0xffff;
	s.peer_session = 77;
	s.sequencing = true;
	s.link.user = "alice@example";
	s.link.peer_mru = 1492;
	s.link.peer_pfc = true;
	s.link.peer_acfc = false;
	s.link.our_magic = 0x11223344;
	s.link.peer_magic = 0x55667788;
	s.link.auth = ppp::auth_protocol::chap_md5;
	s.link.peer_ipv4 = *parse_ipv4("100.64.0.10");
	s.link.ipv6cp_opened = true;
	s.link.local_iid = 0x0102030405060708ull;
	s.link.peer_iid = 0x1112131415161718ull;
	s.link.echo_interval = duration(7000);
	s.link.echo_failures = 4;
	s.up_since_ms = 99;
	s.ipv6_prefix.addr = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x42, 0x00, 0x07};
	s.ipv6_prefix.length = 64;
	return s;
}

std::vector<uint8_t> read_all(const std::string &p) {
	std::ifstream f(p, std::ios::binary);
	return {std::istreambuf_iterator<char>(f), {}};
}
void write_all(const std::string &p, const std::vector<uint8_t> &d) {
	std::ofstream f(p, std::ios::binary | std::ios::trunc);
	f.write(reinterpret_cast<const char *>(d.data()), static_cast<std::streamsize>(d.size()));
}

TEST(state_store, round_trip_of_tunnels_and_sessions) {
	temp_dir d;
	std::string err;
	auto s = state_store::create(d.file(), 8, err);
	ASSERT_TRUE(s) << err;
	const uint32_t ts = s->put_tunnel(sample_tunnel());
	const uint32_t ss = s->put_session(sample_session());
	ASSERT_NE(ts, state_store::none);
	ASSERT_NE(ss, state_store::none);
	EXPECT_EQ(s->used(), 2u);
	// Not visible under its name before publish().
	EXPECT_EQ(load_state(d.file()).error(), state_error::missing);
	ASSERT_TRUE(s->publish(err)) << err;
	// Ns/Nr move by plain stores, outside the checksum.
	s->mirror(ts)->ns = 40;
	s->mirror(ts)->nr = 41;
	s->mirror(ts)->acked = 39;

	auto st = load_state(d.file());
	ASSERT_TRUE(st);
	EXPECT_EQ(st->capacity, 8u);
	EXPECT_EQ(st->torn, 0u);
	EXPECT_EQ(st->corrupt, 0u);
	ASSERT_EQ(st->tunnels.size(), 1u);
	ASSERT_EQ(st->sessions.size(), 1u);
	const saved_tunnel &t = st->tunnels[0];
	const saved_tunnel want = sample_tunnel();
	EXPECT_EQ(t.t.local, want.t.local);
	EXPECT_EQ(t.t.peer_id, want.t.peer_id);
	EXPECT_EQ(t.t.peer, want.t.peer);
	EXPECT_EQ(t.t.peer_host, "lac-east");
	EXPECT_EQ(t.t.peer_rws, 10);
	EXPECT_EQ(t.t.ns, 40);
	EXPECT_EQ(t.t.nr, 41);
	EXPECT_EQ(t.t.acked, 39);
	EXPECT_EQ(t.created_ms, 123456);
	const saved_session &x = st->sessions[0];
	const saved_session w = sample_session();
	EXPECT_EQ(x.tunnel, w.tunnel);
	EXPECT_EQ(x.session, w.session);
	EXPECT_EQ(x.peer_session, 77);
	EXPECT_TRUE(x.sequencing);
	EXPECT_EQ(x.link.user, "alice@example");
	EXPECT_EQ(x.link.peer_mru, 1492);
	EXPECT_TRUE(x.link.peer_pfc);
	EXPECT_FALSE(x.link.peer_acfc);
	EXPECT_EQ(x.link.our_magic, 0x11223344u);
	EXPECT_EQ(x.link.peer_magic, 0x55667788u);
	EXPECT_EQ(x.link.auth, ppp::auth_protocol::chap_md5);
	EXPECT_EQ(x.link.peer_ipv4, w.link.peer_ipv4);
	EXPECT_TRUE(x.link.ipv6cp_opened);
	EXPECT_EQ(x.link.local_iid, w.link.local_iid);
	EXPECT_EQ(x.link.peer_iid, w.link.peer_iid);
	EXPECT_EQ(x.link.echo_interval, duration(7000));
	EXPECT_EQ(x.link.echo_failures, 4u);
	EXPECT_EQ(x.up_since_ms, 99);
	EXPECT_EQ(x.ipv6_prefix, w.ipv6_prefix);
	EXPECT_EQ(x.ipv6_prefix.length, 64);

	// Erased records are gone; the file is still valid.
	s->erase(ss);
	st = load_state(d.file());
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 0u);
	EXPECT_EQ(st->tunnels.size(), 1u);
	s->clear();
	st = load_state(d.file());
	ASSERT_TRUE(st);
	EXPECT_TRUE(st->tunnels.empty());
	EXPECT_EQ(s->used(), 0u);
}

TEST(state_store, survives_the_writer_without_a_close) {
	temp_dir d;
	std::string err;
	{
		auto s = state_store::create(d.file(), 4, err);
		ASSERT_TRUE(s && s->publish(err)) << err;
		s->put_session(sample_session());
		// The store goes away like a killed process's mapping: the file keeps the record.
	}
	auto st = load_state(d.file());
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 1u);
}

TEST(state_store, full_file_and_long_user_names_are_refused) {
	temp_dir d;
	std::string err;
	auto s = state_store::create(d.file(), 2, err);
	ASSERT_TRUE(s) << err;
	EXPECT_NE(s->put_session(sample_session()), state_store::none);
	EXPECT_NE(s->put_tunnel(sample_tunnel()), state_store::none);
	EXPECT_EQ(s->put_session(sample_session()), state_store::none);
	auto slot = s->put_tunnel(sample_tunnel());
	EXPECT_EQ(slot, state_store::none);
	EXPECT_EQ(s->mirror(slot), nullptr);
	s->clear();
	saved_session longname = sample_session();
	longname.link.user.assign(state_max_user + 1, 'u');
	EXPECT_EQ(s->put_session(longname), state_store::none);
	longname.link.user.assign(state_max_user, 'u');
	EXPECT_NE(s->put_session(longname), state_store::none);
}

// Damage to one record: that record is ignored and counted, the others load.
struct record_damage {
	const char *name;
	size_t offset; // within the second record (the session)
	uint8_t value;
	bool torn;     // expected: torn (else corrupt)
};

TEST(state_store, damaged_records_are_ignored_and_counted) {
	const record_damage cases[] = {
	    {"kind set to writing (crash mid-write)", 0, 1, true},
	    {"unknown kind", 3, 0x7f, false},
	    {"checksum flipped", 4, 0x00, false},
	    {"body byte flipped", 40, 0xa5, false},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		temp_dir d;
		std::string err;
		{
			auto s = state_store::create(d.file(), 4, err);
			ASSERT_TRUE(s && s->publish(err)) << err;
			ASSERT_EQ(s->put_tunnel(sample_tunnel()), 1u);
			ASSERT_EQ(s->put_session(sample_session()), 2u);
		}
		auto data = read_all(d.file());
		const size_t off = 2 * state_record_size + c.offset;
		if (c.offset == 0) {
			const uint32_t writing = 1;
			std::memcpy(&data[off], &writing, 4);
		} else {
			data[off] = static_cast<uint8_t>(data[off] ^ (c.value ? c.value : 0xff));
		}
		write_all(d.file(), data);
		auto st = load_state(d.file());
		ASSERT_TRUE(st);
		EXPECT_EQ(st->tunnels.size(), 1u);
		EXPECT_EQ(st->sessions.size(), 0u);
		EXPECT_EQ(st->torn, c.torn ? 1u : 0u);
		EXPECT_EQ(st->corrupt, c.torn ? 0u : 1u);
	}
}

TEST(state_store, impossible_values_with_a_valid_checksum_are_corrupt) {
	temp_dir d;
	std::string err;
	auto s = state_store::create(d.file(), 4, err);
	ASSERT_TRUE(s && s->publish(err)) << err;
	saved_session bad = sample_session();
	bad.peer_session = 0; // never a valid Session ID
	s->put_session(bad);
	bad = sample_session();
	bad.link.peer_mru = 10; // below the PPP minimum
	s->put_session(bad);
	auto st = load_state(d.file());
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 0u);
	EXPECT_EQ(st->corrupt, 2u);
}

// The IPv6 prefix: none without IPv6CP (not recorded), and impossible prefixes in a
// record with a valid checksum are corrupt.
TEST(state_store, ipv6_prefix_values) {
	temp_dir d;
	std::string err;
	auto s = state_store::create(d.file(), 4, err);
	ASSERT_TRUE(s && s->publish(err)) << err;
	saved_session no_v6 = sample_session();
	no_v6.link.ipv6cp_opened = false; // a prefix without IPv6CP is not recorded
	const uint32_t a = s->put_session(no_v6);
	saved_session none = sample_session();
	none.session = 2;
	none.ipv6_prefix = {};
	const uint32_t b = s->put_session(none);
	ASSERT_NE(a, state_store::none);
	ASSERT_NE(b, state_store::none);
	auto st = load_state(d.file());
	ASSERT_TRUE(st);
	ASSERT_EQ(st->sessions.size(), 2u);
	for (const saved_session &x : st->sessions)
		EXPECT_EQ(x.ipv6_prefix.length, 0u) << x.session;
	s.reset();

	// Tampered with, checksum fixed up: body at 16, in it the prefix at 184, its length at 200.
	const auto good = read_all(d.file());
	struct prefix_case {
		const char *name;
		size_t offset;
		uint8_t value;
	};
	const prefix_case cases[] = {
	        {"length over 128", 16 + 200, 129},
	        {"host bits set", 16 + 184 + 15, 1},
	};
	const size_t rec = static_cast<size_t>(b) * state_record_size;
	auto fix = [](std::vector<uint8_t> &v, size_t r) {
		const uint32_t crc = state_crc32(v.data() + r + 16, state_record_size - 16);
		std::memcpy(&v[r + 4], &crc, 4);
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		auto v = good;
		// Record b (no prefix, IPv6CP open) given a /64 first, then damaged.
		std::memcpy(&v[rec + 16 + 184], sample_session().ipv6_prefix.addr.data(), 16);
		v[rec + 16 + 200] = 64;
		fix(v, rec);
		write_all(d.file(), v);
		st = load_state(d.file());
		ASSERT_TRUE(st);
		ASSERT_EQ(st->sessions.size(), 2u) << "the /64 is valid";
		v[rec + c.offset] = c.value;
		fix(v, rec);
		write_all(d.file(), v);
		st = load_state(d.file());
		ASSERT_TRUE(st);
		EXPECT_EQ(st->sessions.size(), 1u);
		EXPECT_EQ(st->corrupt, 1u);
	}
	// A prefix in a record whose IPv6CP was not open: corrupt.
	auto v = good;
	const size_t ra = static_cast<size_t>(a) * state_record_size;
	v[ra + 16 + 200] = 64;
	fix(v, ra);
	write_all(d.file(), v);
	st = load_state(d.file());
	ASSERT_TRUE(st);
	EXPECT_EQ(st->sessions.size(), 1u);
	EXPECT_EQ(st->corrupt, 1u);
}

// Damage to the file: a typed error, the caller falls back to flush.
TEST(state_store, unusable_files_are_typed_errors) {
	temp_dir d;
	EXPECT_EQ(load_state(d.file()).error(), state_error::missing);
	EXPECT_EQ(load_state(d.path).error(), state_error::unreadable); // a directory

	std::string err;
	{
		auto s = state_store::create(d.file(), 4, err);
		ASSERT_TRUE(s && s->publish(err)) << err;
		s->put_tunnel(sample_tunnel());
	}
	const auto good = read_all(d.file());
	ASSERT_EQ(good.size(), 5 * state_record_size);

	struct file_case {
		const char *name;
		std::vector<uint8_t> data;
		state_error want;
	};
	std::vector<file_case> cases;
	cases.push_back({"empty", {}, state_error::truncated});
	cases.push_back({"header cut", std::vector<uint8_t>(good.begin(), good.begin() + 20), state_error::truncated});
	cases.push_back({"records cut", std::vector<uint8_t>(good.begin(), good.end() - 1), state_error::truncated});
	auto v = good;
	v[0] = 'X';
	cases.push_back({"magic", v, state_error::bad_magic});
	v = good;
	v[8] = 1; // version 1 (before the IPv6 prefix), header checksum fixed up below
	{
		const uint32_t crc = state_crc32(v.data(), 24);
		std::memcpy(&v[24], &crc, 4);
	}
	cases.push_back({"older version", v, state_error::wrong_version});
	v = good;
	v[8] = 3; // a later version
	{
		const uint32_t crc = state_crc32(v.data(), 24);
		std::memcpy(&v[24], &crc, 4);
	}
	cases.push_back({"later version", v, state_error::wrong_version});
	v = good;
	v[8] = 1; // version changed without fixing the checksum
	cases.push_back({"header checksum", v, state_error::bad_header});
	v = good;
	v[12] = 128; // record size 128
	{
		const uint32_t crc = state_crc32(v.data(), 24);
		std::memcpy(&v[24], &crc, 4);
	}
	cases.push_back({"record size", v, state_error::bad_header});
	cases.push_back({"text file", std::vector<uint8_t>(300, 'a'), state_error::bad_magic});
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		write_all(d.file(), c.data);
		auto st = load_state(d.file());
		ASSERT_FALSE(st);
		EXPECT_EQ(st.error(), c.want) << to_string(st.error());
	}
}

TEST(state_store, create_replaces_the_previous_file_only_on_publish) {
	temp_dir d;
	std::string err;
	{
		auto s = state_store::create(d.file(), 4, err);
		ASSERT_TRUE(s && s->publish(err)) << err;
		s->put_tunnel(sample_tunnel());
	}
	{
		auto s = state_store::create(d.file(), 4, err);
		ASSERT_TRUE(s) << err;
		// Abandoned before publish (a crash during start-up): the old file stays whole.
	}
	auto st = load_state(d.file());
	ASSERT_TRUE(st);
	EXPECT_EQ(st->tunnels.size(), 1u);
	struct stat sb {};
	EXPECT_NE(stat((d.file() + ".tmp").c_str(), &sb), 0); // the temporary file is removed
	EXPECT_FALSE(state_store::create("/nonexistent-dir/state", 4, err));
	EXPECT_FALSE(err.empty());
}

TEST(state_store, crc32_matches_the_standard_check_value) {
	const uint8_t check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
	EXPECT_EQ(state_crc32(check, sizeof(check)), 0xcbf43926u);
}

} // namespace
} // namespace l2tpx::cp::daemon
