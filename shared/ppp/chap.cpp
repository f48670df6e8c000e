#include "shared/ppp/chap.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace l2tpx::ppp::chap {

const char *to_string(code c) noexcept {
	switch (c) {
	case code::challenge: return "challenge";
	case code::response: return "response";
	case code::success: return "success";
	case code::failure: return "failure";
	}
	return nullptr;
}

result<value_body, error> parse_value(const control_view &v) noexcept {
	if (v.code != static_cast<uint8_t>(code::challenge) && v.code != static_cast<uint8_t>(code::response))
		return unexpected{error::wrong_code};
	const auto &d = v.data;
	if (d.empty())
		return unexpected{error::body_truncated};
	size_t size = d[0];
	if (size == 0 || d.size() - 1 < size)
		return unexpected{error::chap_bad_value_size};
	return value_body{d.subspan(1, size), d.subspan(1 + size)};
}

result<std::span<const uint8_t>, error> parse_message(const control_view &v) noexcept {
	if (v.code != static_cast<uint8_t>(code::success) && v.code != static_cast<uint8_t>(code::failure))
		return unexpected{error::wrong_code};
	return v.data;
}

size_t build_value(std::span<uint8_t> out, code c, uint8_t identifier, std::span<const uint8_t> value,
                   std::span<const uint8_t> name) noexcept {
	if (c != code::challenge && c != code::response)
		return 0;
	if (value.empty() || value.size() > 255)
		return 0;
	return packet_writer(out, c, identifier).u8(static_cast<uint8_t>(value.size())).bytes(value).bytes(name).finish();
}

size_t build_message(std::span<uint8_t> out, code c, uint8_t identifier, std::span<const uint8_t> message) noexcept {
	if (c != code::success && c != code::failure)
		return 0;
	return packet_writer(out, c, identifier).bytes(message).finish();
}

result<md5_digest, error> md5_response(uint8_t identifier, std::span<const uint8_t> secret,
                                       std::span<const uint8_t> challenge) noexcept {
	md5_digest out{};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == nullptr)
		return unexpected{error::crypto_failure};
	unsigned int len = 0;
	bool ok = EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 && EVP_DigestUpdate(ctx, &identifier, 1) == 1 &&
	          EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
	          EVP_DigestUpdate(ctx, challenge.data(), challenge.size()) == 1 &&
	          EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return unexpected{error::crypto_failure};
	return out;
}

bool md5_verify(uint8_t identifier, std::span<const uint8_t> secret, std::span<const uint8_t> challenge,
                std::span<const uint8_t> response) noexcept {
	if (response.size() != md5_response_len)
		return false;
	auto expected = md5_response(identifier, secret, challenge);
	if (!expected)
		return false;
	return CRYPTO_memcmp(expected->data(), response.data(), md5_response_len) == 0;
}

} // namespace l2tpx::ppp::chap
