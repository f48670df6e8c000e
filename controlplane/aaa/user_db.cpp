#include "controlplane/aaa/user_db.hpp"

#include <fstream>
#include <sstream>

namespace l2tpx::cp::aaa {

std::string_view to_string(userdb_error_code e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case userdb_error_code::n:                                                                 \
		return #n;
		L2TPX_CP_USERDB_ERRORS(X)
#undef X
	}
	return "unknown";
}

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Next field of `line` from `pos`: plain or double-quoted. nullopt at end of line;
// sets `bad_quote` on an unterminated quote.
std::optional<std::string> next_field(std::string_view line, size_t &pos, bool &bad_quote) {
	while (pos < line.size() && blank(line[pos]))
		++pos;
	if (pos >= line.size() || line[pos] == '#')
		return std::nullopt;
	std::string out;
	if (line[pos] == '"') {
		++pos;
		while (pos < line.size() && line[pos] != '"') {
			if (line[pos] == '\\' && pos + 1 < line.size())
				++pos;
			out += line[pos++];
		}
		if (pos >= line.size()) {
			bad_quote = true;
			return std::nullopt;
		}
		++pos;
		return out;
	}
	while (pos < line.size() && !blank(line[pos]))
		out += line[pos++];
	return out;
}

} // namespace

result<user_db, userdb_error> user_db::parse(std::string_view text) {
	user_db db;
	unsigned lineno = 0;
	while (!text.empty()) {
		const size_t nl = text.find('\n');
		const std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
		++lineno;
		size_t pos = 0;
		bool bad_quote = false;
		auto user = next_field(line, pos, bad_quote);
		if (!user) {
			if (bad_quote)
				return unexpected(userdb_error{userdb_error_code::bad_quote, lineno});
			continue; // blank or comment
		}
		auto secret = next_field(line, pos, bad_quote);
		if (!secret)
			return unexpected(userdb_error{bad_quote ? userdb_error_code::bad_quote : userdb_error_code::missing_secret, lineno});
		user_entry e{std::move(*secret), std::nullopt};
		if (auto addr = next_field(line, pos, bad_quote)) {
			auto a = parse_ipv4(*addr);
			if (!a)
				return unexpected(userdb_error{userdb_error_code::bad_address, lineno});
			e.fixed_ipv4 = *a;
		}
		if (bad_quote)
			return unexpected(userdb_error{userdb_error_code::bad_quote, lineno});
		if (next_field(line, pos, bad_quote) || bad_quote)
			return unexpected(userdb_error{userdb_error_code::trailing_garbage, lineno});
		if (!db.users_.emplace(std::move(*user), std::move(e)).second)
			return unexpected(userdb_error{userdb_error_code::duplicate_user, lineno});
	}
	return db;
}

result<user_db, userdb_error> user_db::load_file(const std::string &path) {
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return unexpected(userdb_error{userdb_error_code::cannot_open, 0});
	std::ostringstream ss;
	ss << in.rdbuf();
	if (in.bad())
		return unexpected(userdb_error{userdb_error_code::cannot_open, 0});
	return parse(ss.str());
}

const user_entry *user_db::find(std::string_view user) const {
	auto it = users_.find(std::string(user));
	return it == users_.end() ? nullptr : &it->second;
}

} // namespace l2tpx::cp::aaa
