// Randomness for IDs, challenges, magic numbers and Random Vectors. The process uses the
// kernel's CSPRNG (IDs must be unpredictable); tests inject a seeded generator so runs repeat.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace l2tpx::cp {

class random_source {
public:
	virtual ~random_source() = default;
	virtual void fill(std::span<uint8_t> out) = 0;

	template <typename T> T next() {
		T v{};
		fill(std::span(reinterpret_cast<uint8_t *>(&v), sizeof(v)));
		return v;
	}
};

// getrandom(2); aborts if the kernel refuses (nothing sane to do without entropy).
class system_random final : public random_source {
public:
	void fill(std::span<uint8_t> out) override;
};

// Deterministic, for tests and simulations only.
class seeded_random final : public random_source {
public:
	explicit seeded_random(uint64_t seed) : rng_(seed) {}
	void fill(std::span<uint8_t> out) override {
		for (auto &b : out)
			b = static_cast<uint8_t>(rng_());
	}

private:
	std::mt19937_64 rng_;
};

} // namespace l2tpx::cp
