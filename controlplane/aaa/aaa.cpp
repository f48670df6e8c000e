#include "controlplane/aaa/aaa.hpp"

#include "shared/ppp/chap.hpp"

namespace l2tpx::cp::aaa {

std::string_view to_string(auth_reject r) noexcept {
	switch (r) {
#define X(n)                                                                                       \
	case auth_reject::n:                                                                       \
		return #n;
		L2TPX_CP_AUTH_REJECTS(X)
#undef X
	}
	return "unknown";
}

result<local_authenticator, userdb_error> local_authenticator::from_file(const std::string &path) {
	auto db = user_db::load_file(path);
	if (!db)
		return unexpected(db.error());
	return local_authenticator(std::move(*db), path);
}

result<void, userdb_error> local_authenticator::reload() {
	auto db = user_db::load_file(path_);
	if (!db)
		return unexpected(db.error());
	db_ = std::move(*db);
	return {};
}

result<auth_accept, auth_reject> local_authenticator::authenticate(const auth_request &req) {
	const user_entry *u = db_.find(req.user);
	if (!u) {
		++rejected_;
		return unexpected(auth_reject::unknown_user);
	}
	const auto secret = std::span(reinterpret_cast<const uint8_t *>(u->secret.data()), u->secret.size());
	bool ok = false;
	switch (req.method) {
	case auth_method::pap: {
		// Constant-time over the stored secret's length.
		uint8_t diff = req.password.size() == secret.size() ? 0 : 1;
		for (size_t i = 0; i < secret.size(); ++i)
			diff |= static_cast<uint8_t>(secret[i] ^ (i < req.password.size() ? req.password[i] : 0));
		ok = diff == 0;
		break;
	}
	case auth_method::chap_md5: {
		auto want = ppp::chap::md5_response(req.chap_id, secret, req.challenge);
		if (!want) {
			++rejected_;
			return unexpected(auth_reject::backend_error);
		}
		uint8_t diff = req.response.size() == want->size() ? 0 : 1;
		for (size_t i = 0; i < want->size(); ++i)
			diff |= static_cast<uint8_t>((*want)[i] ^ (i < req.response.size() ? req.response[i] : 0));
		ok = diff == 0;
		break;
	}
	}
	if (!ok) {
		++rejected_;
		return unexpected(auth_reject::bad_credentials);
	}
	++accepted_;
	return auth_accept{u->fixed_ipv4};
}

} // namespace l2tpx::cp::aaa
