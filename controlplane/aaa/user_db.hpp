// The local user database: one user a line, loaded from a file or a string, reloadable.
//
//   # comment
//   <user> <secret> [<ipv4-address>]
//
// Fields are separated by blanks; a secret in double quotes may contain blanks and \" \\.
// The optional address is the user's fixed address (IPCP offers it instead of a pool one).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controlplane/core/ip.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::cp::aaa {

struct user_entry {
	std::string secret;                  // PAP password / CHAP secret
	std::optional<ipv4_addr> fixed_ipv4; // from the third field
};

#define L2TPX_CP_USERDB_ERRORS(X)                                                               \
	X(cannot_open)      /* the file could not be read */                                    \
	X(missing_secret)   /* a line with a user and nothing else */                           \
	X(bad_quote)        /* unterminated quoted secret */                                    \
	X(bad_address)      /* third field is not a dotted-quad IPv4 address */                 \
	X(trailing_garbage) /* more than three fields */                                        \
	X(duplicate_user)   /* the same user twice */

enum class userdb_error_code : uint8_t {
#define X(n) n,
	L2TPX_CP_USERDB_ERRORS(X)
#undef X
};
std::string_view to_string(userdb_error_code e) noexcept;

struct userdb_error {
	userdb_error_code code;
	unsigned line; // 1-based; 0 for cannot_open
};

class user_db {
public:
	static result<user_db, userdb_error> parse(std::string_view text);
	static result<user_db, userdb_error> load_file(const std::string &path);

	const user_entry *find(std::string_view user) const;
	size_t size() const noexcept { return users_.size(); }

private:
	std::unordered_map<std::string, user_entry> users_;
};

} // namespace l2tpx::cp::aaa
