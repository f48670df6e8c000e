#include "shared/control/auth.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>

#include "shared/base/byteorder.hpp"
#include "shared/control/avp.hpp"

namespace l2tpx::ctl {

namespace {

const char *hash_name(digest_algo a) noexcept { return a == digest_algo::hmac_md5 ? "MD5" : "SHA1"; }

// Incremental HMAC through the OpenSSL 3 EVP_MAC interface.
class hmac {
public:
	hmac(digest_algo algo, std::span<const uint8_t> key) noexcept {
		mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
		if (mac_ == nullptr)
			return;
		ctx_ = EVP_MAC_CTX_new(mac_);
		if (ctx_ == nullptr)
			return;
		char digest[8];
		const char *name = hash_name(algo);
		size_t i = 0;
		for (; name[i] != '\0' && i + 1 < sizeof(digest); ++i)
			digest[i] = name[i];
		digest[i] = '\0';
		OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
				       OSSL_PARAM_construct_end()};
		// A zero-length key is passed as a one-byte buffer of length 0: OpenSSL rejects null.
		static const uint8_t none = 0;
		ok_ = EVP_MAC_init(ctx_, key.empty() ? &none : key.data(), key.size(), params) == 1;
	}
	~hmac() {
		EVP_MAC_CTX_free(ctx_);
		EVP_MAC_free(mac_);
	}
	hmac(const hmac &) = delete;
	hmac &operator=(const hmac &) = delete;

	void update(std::span<const uint8_t> d) noexcept {
		if (ok_ && !d.empty())
			ok_ = EVP_MAC_update(ctx_, d.data(), d.size()) == 1;
	}
	bool final(std::span<uint8_t> out) noexcept {
		size_t n = 0;
		if (ok_)
			ok_ = EVP_MAC_final(ctx_, out.data(), &n, out.size()) == 1 && n == out.size();
		return ok_;
	}

private:
	EVP_MAC *mac_ = nullptr;
	EVP_MAC_CTX *ctx_ = nullptr;
	bool ok_ = false;
};

// The Message Digest AVP of a message: offset of its value (Digest Type byte) and length.
struct digest_location {
	size_t value_offset;
	size_t value_len;
};

result<digest_location, error> find_digest(std::span<const uint8_t> message, size_t body_offset) noexcept {
	if (body_offset > message.size())
		return unexpected(error::digest_missing);
	avp_reader r(message.subspan(body_offset));
	while (!r.done()) {
		const size_t at = r.offset();
		auto a = r.next();
		if (!a)
			return unexpected(a.error());
		if (a->vendor == vendor_ietf && a->type == static_cast<uint16_t>(avp_type::message_digest)) {
			if (a->hidden)
				return unexpected(error::avp_hidden_not_allowed);
			if (a->value.size() < 1)
				return unexpected(error::avp_bad_length);
			return digest_location{body_offset + at + avp_header_len, a->value.size()};
		}
	}
	return unexpected(error::digest_missing);
}

result<digest_algo, error> check_digest_type(uint8_t type, size_t value_len) noexcept {
	if (type > static_cast<uint8_t>(digest_algo::hmac_sha1))
		return unexpected(error::digest_bad_type);
	const auto algo = static_cast<digest_algo>(type);
	if (value_len != 1 + digest_len(algo))
		return unexpected(error::avp_bad_length);
	return algo;
}

} // namespace

result<md5_digest, error> challenge_response(uint8_t response_type, std::span<const uint8_t> secret,
					     std::span<const uint8_t> challenge) noexcept {
	md5_digest out{};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == nullptr)
		return unexpected(error::crypto_failure);
	unsigned int n = 0;
	const bool ok = EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
			EVP_DigestUpdate(ctx, &response_type, 1) == 1 &&
			EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
			EVP_DigestUpdate(ctx, challenge.data(), challenge.size()) == 1 &&
			EVP_DigestFinal_ex(ctx, out.data(), &n) == 1 && n == out.size();
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return unexpected(error::crypto_failure);
	return out;
}

bool verify_challenge_response(uint8_t response_type, std::span<const uint8_t> secret,
			       std::span<const uint8_t> challenge, std::span<const uint8_t> response) noexcept {
	if (response.size() != challenge_response_len)
		return false;
	auto expect = challenge_response(response_type, secret, challenge);
	return expect && CRYPTO_memcmp(expect->data(), response.data(), challenge_response_len) == 0;
}

result<digest_key, error> derive_digest_key_with(digest_algo algo, digest_algo derivation,
						 std::span<const uint8_t> secret) noexcept {
	const auto valid = [](digest_algo a) { return a == digest_algo::hmac_md5 || a == digest_algo::hmac_sha1; };
	if (!valid(algo) || !valid(derivation))
		return unexpected(error::digest_bad_type);
	digest_key k;
	k.algo = algo;
	k.len = static_cast<uint8_t>(digest_len(derivation));
	hmac h(derivation, secret);
	const uint8_t two = 2;
	h.update({&two, 1});
	if (!h.final({k.bytes.data(), k.len}))
		return unexpected(error::crypto_failure);
	return k;
}

result<digest_key, error> derive_digest_key(digest_algo algo, std::span<const uint8_t> secret) noexcept {
	return derive_digest_key_with(algo, digest_algo::hmac_md5, secret);
}

result<void, error> compute_message_digest(const digest_params &p, std::span<const uint8_t> message,
					   size_t digest_offset, std::span<uint8_t> out) noexcept {
	const size_t n = digest_len(p.key.algo);
	if (out.size() < n || digest_offset > message.size() || message.size() - digest_offset < n)
		return unexpected(error::buffer_too_small);
	static constexpr uint8_t zeros[20] = {};
	hmac h(p.key.algo, p.key.view());
	h.update(p.local_nonce);
	h.update(p.remote_nonce);
	h.update(message.first(digest_offset));
	h.update({zeros, n});
	h.update(message.subspan(digest_offset + n));
	if (!h.final(out.first(n)))
		return unexpected(error::crypto_failure);
	return {};
}

result<void, error> sign_message(const digest_params &p, std::span<uint8_t> message, size_t body_offset) noexcept {
	auto loc = find_digest(message, body_offset);
	if (!loc)
		return unexpected(loc.error());
	auto algo = check_digest_type(message[loc->value_offset], loc->value_len);
	if (!algo)
		return unexpected(algo.error());
	if (*algo != p.key.algo)
		return unexpected(error::digest_bad_type);
	uint8_t digest[20];
	const size_t n = digest_len(*algo);
	auto r = compute_message_digest(p, message, loc->value_offset + 1, {digest, n});
	if (!r)
		return r;
	std::copy_n(digest, n, message.begin() + static_cast<std::ptrdiff_t>(loc->value_offset + 1));
	return {};
}

result<void, error> verify_message(const digest_params &p, std::span<const uint8_t> message,
				   size_t body_offset) noexcept {
	auto loc = find_digest(message, body_offset);
	if (!loc)
		return unexpected(loc.error());
	auto algo = check_digest_type(message[loc->value_offset], loc->value_len);
	if (!algo)
		return unexpected(algo.error());
	if (*algo != p.key.algo)
		return unexpected(error::digest_bad_type);
	uint8_t digest[20];
	const size_t n = digest_len(*algo);
	auto r = compute_message_digest(p, message, loc->value_offset + 1, {digest, n});
	if (!r)
		return r;
	if (CRYPTO_memcmp(digest, message.data() + loc->value_offset + 1, n) != 0)
		return unexpected(error::digest_mismatch);
	return {};
}

} // namespace l2tpx::ctl
