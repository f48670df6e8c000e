#include "tools/gen/traffic/payload.hpp"

namespace l2tpx::gen {

uint16_t ones_complement_sum(std::span<const uint8_t> data, uint32_t initial) noexcept {
	uint64_t s = initial;
	size_t i = 0;
	for (; i + 1 < data.size(); i += 2)
		s += load_be16(data.data() + i);
	if (i < data.size())
		s += uint32_t(data[i]) << 8;
	return fold_sum(s);
}

} // namespace l2tpx::gen
