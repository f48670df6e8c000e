// Authentication and address assignment behind interfaces, so PPP does not care whether
// users come from the local file or (later) RADIUS.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/aaa/address_pool.hpp"
#include "controlplane/aaa/user_db.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::cp::aaa {

enum class auth_method : uint8_t { pap, chap_md5 };

struct auth_request {
	auth_method method = auth_method::pap;
	std::string user;
	std::vector<uint8_t> password;  // PAP
	uint8_t chap_id = 0;            // CHAP: identifier of the Challenge
	std::vector<uint8_t> challenge; // CHAP: the value we sent
	std::vector<uint8_t> response;  // CHAP: the peer's value
};

struct auth_accept {
	std::optional<ipv4_addr> fixed_ipv4; // the user's own address, if any
};

#define L2TPX_CP_AUTH_REJECTS(X)                                                                \
	X(unknown_user)                                                                        \
	X(bad_credentials)                                                                     \
	X(backend_error) /* e.g. libcrypto refused MD5 */

enum class auth_reject : uint8_t {
#define X(n) n,
	L2TPX_CP_AUTH_REJECTS(X)
#undef X
};
std::string_view to_string(auth_reject r) noexcept;

class authenticator {
public:
	virtual ~authenticator() = default;
	virtual result<auth_accept, auth_reject> authenticate(const auth_request &req) = 0;
};

// Users from a user_db file; reload() re-reads it and keeps the old table on error.
class local_authenticator final : public authenticator {
public:
	explicit local_authenticator(user_db db, std::string path = {}) : db_(std::move(db)), path_(std::move(path)) {}
	static result<local_authenticator, userdb_error> from_file(const std::string &path);

	result<auth_accept, auth_reject> authenticate(const auth_request &req) override;
	result<void, userdb_error> reload();
	const user_db &db() const noexcept { return db_; }
	uint64_t accepted() const noexcept { return accepted_; }
	uint64_t rejected() const noexcept { return rejected_; }

private:
	user_db db_;
	std::string path_;
	uint64_t accepted_ = 0, rejected_ = 0;
};

// Subscriber IPv4 addresses: fixed per-user addresses first, else the first pool with room
// (index_pool.hpp).
using address_allocator = pool_allocator<ipv4_pool, ipv4_addr>;

} // namespace l2tpx::cp::aaa
