#include "controlplane/aaa/aaa.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdlib.h>
#include <unistd.h>

#include "controlplane/core/ip.hpp"
#include "shared/ppp/chap.hpp"

namespace l2tpx::cp::aaa {
namespace {

ipv4_addr ip(const char *s) { return *parse_ipv4(s); }
std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

TEST(ipv4, parse_and_format) {
	struct row {
		const char *text;
		bool ok;
		uint32_t value;
	} rows[] = {
		{"10.0.0.1", true, 0x0a000001}, {"255.255.255.255", true, 0xffffffff}, {"0.0.0.0", true, 0},
		{"256.0.0.1", false, 0},        {"10.0.0", false, 0},                  {"10.0.0.1.", false, 0},
		{"10.0.0.1 ", false, 0},        {"a.b.c.d", false, 0},                 {"", false, 0},
		{"1000.0.0.1", false, 0},       {"10..0.1", false, 0},
	};
	for (const auto &r : rows) {
		auto a = parse_ipv4(r.text);
		EXPECT_EQ(a.has_value(), r.ok) << r.text;
		if (a && r.ok) {
			EXPECT_EQ(a->value, r.value) << r.text;
			EXPECT_EQ(to_string(*a), r.text);
		}
	}
	EXPECT_EQ(to_string(udp_endpoint::v4(ip("192.0.2.1"), 1701)), "192.0.2.1:1701");
}

TEST(ipv4_pool, allocates_every_address_once_then_exhausts) {
	auto p = ipv4_pool::create("p", ip("10.0.0.1"), ip("10.0.0.4"));
	ASSERT_TRUE(p);
	std::vector<uint32_t> got;
	for (int i = 0; i < 4; ++i)
		got.push_back(p->allocate().value().value);
	EXPECT_EQ(got, (std::vector<uint32_t>{0x0a000001, 0x0a000002, 0x0a000003, 0x0a000004}));
	EXPECT_EQ(p->allocate().error(), pool_error::exhausted);
	EXPECT_EQ(p->available(), 0u);
	// Released addresses come back least-recently-released first.
	ASSERT_TRUE(p->release(ip("10.0.0.3")));
	ASSERT_TRUE(p->release(ip("10.0.0.1")));
	EXPECT_EQ(p->allocate().value(), ip("10.0.0.3"));
	EXPECT_EQ(p->allocate().value(), ip("10.0.0.1"));
}

TEST(ipv4_pool, claim_release_errors) {
	auto p = ipv4_pool::create("p", ip("10.0.0.1"), ip("10.0.0.3"));
	ASSERT_TRUE(p);
	EXPECT_EQ(ipv4_pool::create("bad", ip("10.0.0.3"), ip("10.0.0.1")).error(), pool_error::bad_range);
	ASSERT_TRUE(p->claim(ip("10.0.0.1")));
	EXPECT_EQ(p->claim(ip("10.0.0.1")).error(), pool_error::in_use);
	EXPECT_EQ(p->claim(ip("10.0.1.1")).error(), pool_error::out_of_range);
	EXPECT_EQ(p->allocate().value(), ip("10.0.0.2")) << "claimed address skipped";
	EXPECT_EQ(p->release(ip("10.0.0.3")).error(), pool_error::not_allocated);
	ASSERT_TRUE(p->release(ip("10.0.0.2")));
	EXPECT_EQ(p->release(ip("10.0.0.2")).error(), pool_error::not_allocated) << "double release";
	// Claim/release cycles do not grow the free list: still exactly 2 allocations possible.
	for (int i = 0; i < 100; ++i) {
		ASSERT_TRUE(p->release(ip("10.0.0.1")));
		ASSERT_TRUE(p->claim(ip("10.0.0.1")));
	}
	EXPECT_EQ(p->available(), 2u);
	EXPECT_TRUE(p->allocate());
	EXPECT_TRUE(p->allocate());
	EXPECT_FALSE(p->allocate());
	EXPECT_EQ(to_string(pool_error::exhausted), "exhausted");
}

TEST(user_db, parses_lines) {
	auto db = user_db::parse("# users\n"
	                         "alice  secret1\n"
	                         "\n"
	                         "bob \"pass word \\\" x\" 10.9.8.7   # fixed\n"
	                         "\tcarol\tc\r\n");
	ASSERT_TRUE(db) << to_string(db.error().code) << " line " << db.error().line;
	EXPECT_EQ(db->size(), 3u);
	EXPECT_EQ(db->find("alice")->secret, "secret1");
	EXPECT_FALSE(db->find("alice")->fixed_ipv4);
	EXPECT_EQ(db->find("bob")->secret, "pass word \" x");
	EXPECT_EQ(db->find("bob")->fixed_ipv4, ip("10.9.8.7"));
	EXPECT_EQ(db->find("carol")->secret, "c");
	EXPECT_EQ(db->find("dave"), nullptr);
}

TEST(user_db, rejects_bad_lines_with_line_number) {
	struct row {
		const char *text;
		userdb_error_code code;
		unsigned line;
	} rows[] = {
		{"alice\n", userdb_error_code::missing_secret, 1},
		{"a b\nalice \"open\n", userdb_error_code::bad_quote, 2},
		{"a b 10.0.0.300\n", userdb_error_code::bad_address, 1},
		{"a b 10.0.0.1 extra\n", userdb_error_code::trailing_garbage, 1},
		{"a b\n#\na c\n", userdb_error_code::duplicate_user, 3},
	};
	for (const auto &r : rows) {
		auto db = user_db::parse(r.text);
		ASSERT_FALSE(db) << r.text;
		EXPECT_EQ(db.error().code, r.code) << r.text;
		EXPECT_EQ(db.error().line, r.line) << r.text;
	}
	EXPECT_EQ(user_db::load_file("/nonexistent/users").error().code, userdb_error_code::cannot_open);
}

TEST(local_authenticator, pap_chap_and_reload) {
	char path[] = "/tmp/l2tpx-cp-users-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	close(fd);
	struct cleanup {
		const char *p;
		~cleanup() { std::remove(p); }
	} c{path};
	std::ofstream(path) << "alice s3cret 10.1.1.1\n";
	auto a = local_authenticator::from_file(path);
	ASSERT_TRUE(a);

	auth_request pap{auth_method::pap, "alice", bytes_of("s3cret"), 0, {}, {}};
	auto ok = a->authenticate(pap);
	ASSERT_TRUE(ok);
	EXPECT_EQ(ok->fixed_ipv4, ip("10.1.1.1"));
	for (const char *bad : {"s3cre", "s3cret!", "S3cret", ""}) {
		pap.password = bytes_of(bad);
		EXPECT_EQ(a->authenticate(pap).error(), auth_reject::bad_credentials) << bad;
	}
	pap.user = "mallory";
	EXPECT_EQ(a->authenticate(pap).error(), auth_reject::unknown_user);

	std::vector<uint8_t> challenge{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	auto resp = ppp::chap::md5_response(42, bytes_of("s3cret"), challenge);
	ASSERT_TRUE(resp);
	auth_request chap{auth_method::chap_md5, "alice", {}, 42, challenge, {resp->begin(), resp->end()}};
	EXPECT_TRUE(a->authenticate(chap));
	chap.chap_id = 43;
	EXPECT_EQ(a->authenticate(chap).error(), auth_reject::bad_credentials);
	chap.chap_id = 42;
	chap.response.pop_back();
	EXPECT_EQ(a->authenticate(chap).error(), auth_reject::bad_credentials);

	// Reload: new secret takes effect; a broken file keeps the old table.
	std::ofstream(path) << "alice n3w\n";
	ASSERT_TRUE(a->reload());
	pap = {auth_method::pap, "alice", bytes_of("n3w"), 0, {}, {}};
	EXPECT_TRUE(a->authenticate(pap));
	std::ofstream(path) << "alice\n";
	auto r = a->reload();
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, userdb_error_code::missing_secret);
	EXPECT_TRUE(a->authenticate(pap));
	EXPECT_EQ(a->accepted(), 4u);
}

TEST(address_allocator, fixed_inside_and_outside_pools) {
	address_allocator al;
	al.add_pool(ipv4_pool::create("a", ip("10.0.0.1"), ip("10.0.0.2")).value());
	al.add_pool(ipv4_pool::create("b", ip("10.0.1.1"), ip("10.0.1.1")).value());
	EXPECT_EQ(al.available(), 3u);
	EXPECT_EQ(al.acquire(ip("10.0.0.2")).value(), ip("10.0.0.2"));
	EXPECT_EQ(al.acquire(ip("10.0.0.2")).error(), pool_error::in_use);
	EXPECT_EQ(al.acquire(ip("192.0.2.9")).value(), ip("192.0.2.9"));
	EXPECT_EQ(al.acquire(ip("192.0.2.9")).error(), pool_error::in_use);
	EXPECT_EQ(al.acquire().value(), ip("10.0.0.1"));
	EXPECT_EQ(al.acquire().value(), ip("10.0.1.1")) << "spills into the next pool";
	EXPECT_EQ(al.acquire().error(), pool_error::exhausted);
	ASSERT_TRUE(al.release(ip("192.0.2.9")));
	EXPECT_EQ(al.release(ip("192.0.2.9")).error(), pool_error::not_allocated);
	ASSERT_TRUE(al.release(ip("10.0.0.1")));
	EXPECT_EQ(al.acquire().value(), ip("10.0.0.1"));
}

} // namespace
} // namespace l2tpx::cp::aaa
