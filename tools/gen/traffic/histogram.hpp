// Log-linear latency histogram (the HdrHistogram layout): values below 2^SubBits get one
// bucket each; above, every power-of-two range [2^e, 2^(e+1)) is split into 2^SubBits equal
// buckets. A reported percentile is the highest value of its bucket, clamped to the exact
// min/max, so it is never below the true value and at most 2^-SubBits (relative) above it.
// Values >= 2^MaxBits land in an overflow bucket (reported as the exact max).
//
// Fixed memory, record() is a count-leading-zeros, two shifts and an increment; histograms
// with the same parameters merge by adding counts (per-core instances, merged on read).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace l2tpx::gen {

template <unsigned SubBits, unsigned MaxBits> class log_linear_histogram {
	static_assert(SubBits >= 1 && SubBits < MaxBits && MaxBits <= 63);

public:
	static constexpr size_t sub_count = size_t(1) << SubBits;
	static constexpr size_t bucket_count = (MaxBits - SubBits + 1) * sub_count + 1; // + overflow
	static constexpr uint64_t limit = uint64_t(1) << MaxBits;

	static constexpr size_t index_of(uint64_t v) noexcept {
		if (v < sub_count)
			return static_cast<size_t>(v);
		if (v >= limit)
			return bucket_count - 1;
		const unsigned e = static_cast<unsigned>(std::bit_width(v)) - 1; // >= SubBits
		const size_t sub = static_cast<size_t>(v >> (e - SubBits)) & (sub_count - 1);
		return ((e - SubBits + 1) << SubBits) | sub;
	}
	// Smallest and largest value that map to bucket i (i < bucket_count - 1).
	static constexpr uint64_t lowest_of(size_t i) noexcept {
		if (i < sub_count)
			return i;
		const size_t block = i >> SubBits;
		return uint64_t(sub_count + (i & (sub_count - 1))) << (block - 1);
	}
	static constexpr uint64_t highest_of(size_t i) noexcept {
		if (i < sub_count)
			return i;
		return lowest_of(i) + (uint64_t(1) << ((i >> SubBits) - 1)) - 1;
	}

	void record(uint64_t v) noexcept {
		counts_[index_of(v)]++;
		total_++;
		sum_ += v;
		min_ = std::min(min_, v);
		max_ = std::max(max_, v);
	}

	void merge(const log_linear_histogram &o) noexcept {
		for (size_t i = 0; i < bucket_count; i++)
			counts_[i] += o.counts_[i];
		total_ += o.total_;
		sum_ += o.sum_;
		min_ = std::min(min_, o.min_);
		max_ = std::max(max_, o.max_);
	}

	void reset() noexcept { *this = log_linear_histogram{}; }

	uint64_t count() const noexcept { return total_; }
	uint64_t min() const noexcept { return total_ ? min_ : 0; }
	uint64_t max() const noexcept { return max_; }
	uint64_t sum() const noexcept { return sum_; }
	double mean() const noexcept { return total_ ? double(sum_) / double(total_) : 0.0; }
	uint64_t bucket(size_t i) const noexcept { return counts_[i]; }

	// The value at quantile q in [0, 1]: the smallest recorded value v such that at least
	// ceil(q * count) values are <= v, up to the bucket resolution. 0 when empty.
	uint64_t percentile(double q) const noexcept {
		if (total_ == 0)
			return 0;
		q = std::clamp(q, 0.0, 1.0);
		uint64_t rank = static_cast<uint64_t>(std::ceil(q * double(total_)));
		rank = std::clamp<uint64_t>(rank, 1, total_);
		uint64_t seen = 0;
		for (size_t i = 0; i < bucket_count; i++) {
			seen += counts_[i];
			if (seen >= rank) {
				if (i == bucket_count - 1)
					return max_;
				return std::clamp(highest_of(i), min_, max_);
			}
		}
		return max_;
	}

private:
	// Summary first: record() touches this line and one bucket's.
	uint64_t total_ = 0;
	uint64_t sum_ = 0;
	uint64_t min_ = UINT64_MAX;
	uint64_t max_ = 0;
	std::array<uint64_t, bucket_count> counts_{};
};

// Latency in nanoseconds. Per stream: 1/8 resolution (12.5 %) up to 2^32 ns (4.3 s), 2 KiB.
// Totals: 1/128 resolution (0.8 %) up to 2^40 ns (18 min), 34 KiB.
using stream_latency_histogram = log_linear_histogram<3, 32>;
using total_latency_histogram = log_linear_histogram<7, 40>;

} // namespace l2tpx::gen
