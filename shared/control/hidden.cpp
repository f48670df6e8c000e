#include "shared/control/hidden.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "shared/base/byteorder.hpp"
#include "shared/control/avp_table.hpp"

namespace l2tpx::ctl {

namespace {

constexpr size_t block = 16;

// MD5 over up to three parts, into out (16 bytes).
bool md5_parts(std::span<const uint8_t> a, std::span<const uint8_t> b, std::span<const uint8_t> c,
	       uint8_t *out) noexcept {
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == nullptr)
		return false;
	unsigned int n = 0;
	const bool ok = EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
			EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
			EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
			EVP_DigestUpdate(ctx, c.data(), c.size()) == 1 && EVP_DigestFinal_ex(ctx, out, &n) == 1 &&
			n == block;
	EVP_MD_CTX_free(ctx);
	return ok;
}

// XOR `in` (plain or hidden, same length as out) with the MD5 chain. The chain feeds on the
// hidden bytes: when hiding they are the output, when revealing the input.
bool apply_chain(uint16_t attribute_type, std::span<const uint8_t> secret, std::span<const uint8_t> random_vector,
		 std::span<const uint8_t> in, std::span<uint8_t> out, bool hiding) noexcept {
	uint8_t type_be[2];
	store_be16(type_be, attribute_type);
	uint8_t b[block];
	for (size_t off = 0; off < in.size(); off += block) {
		const bool ok = off == 0 ? md5_parts(type_be, secret, random_vector, b)
					 : md5_parts(secret, (hiding ? std::span<const uint8_t>(out) : in).subspan(off - block, block),
						     {}, b);
		if (!ok)
			return false;
		const size_t n = std::min(block, in.size() - off);
		for (size_t i = 0; i < n; ++i)
			out[off + i] = in[off + i] ^ b[i];
	}
	return true;
}

} // namespace

result<size_t, error> hide_value(uint16_t attribute_type, std::span<const uint8_t> secret,
				 std::span<const uint8_t> random_vector, std::span<const uint8_t> value,
				 std::span<const uint8_t> padding, std::span<uint8_t> out) noexcept {
	if (secret.empty())
		return unexpected(error::hidden_without_secret);
	if (random_vector.empty())
		return unexpected(error::hidden_without_random_vector);
	const size_t n = hidden_size(value.size(), padding.size());
	if (n > avp_max_value_len)
		return unexpected(error::value_too_long);
	if (out.size() < n)
		return unexpected(error::buffer_too_small);
	// Build the subformat in place, then encrypt it block by block in place: each block's
	// key stream depends only on the previous (already encrypted) block.
	uint8_t plain[avp_max_value_len];
	store_be16(plain, static_cast<uint16_t>(value.size()));
	if (!value.empty())
		std::memcpy(plain + 2, value.data(), value.size());
	if (!padding.empty())
		std::memcpy(plain + 2 + value.size(), padding.data(), padding.size());
	if (!apply_chain(attribute_type, secret, random_vector, {plain, n}, out.first(n), true))
		return unexpected(error::crypto_failure);
	return n;
}

result<std::span<const uint8_t>, error> unhide_value(uint16_t attribute_type, std::span<const uint8_t> secret,
						     std::span<const uint8_t> random_vector,
						     std::span<const uint8_t> hidden,
						     std::span<uint8_t> out) noexcept {
	if (secret.empty())
		return unexpected(error::hidden_without_secret);
	if (random_vector.empty())
		return unexpected(error::hidden_without_random_vector);
	if (hidden.size() < 2)
		return unexpected(error::hidden_bad_length);
	if (out.size() < hidden.size())
		return unexpected(error::hidden_scratch_exhausted);
	std::span<uint8_t> plain = out.first(hidden.size());
	if (!apply_chain(attribute_type, secret, random_vector, hidden, plain, false))
		return unexpected(error::crypto_failure);
	const size_t len = load_be16(plain.data());
	if (len > hidden.size() - 2)
		return unexpected(error::hidden_bad_length);
	return std::span<const uint8_t>(plain.subspan(2, len));
}

} // namespace l2tpx::ctl
