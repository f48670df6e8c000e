#include "shared/ppp/frame.hpp"

#include <algorithm>

namespace l2tpx::ppp {

size_t build_frame(std::span<uint8_t> out, uint16_t protocol, std::span<const uint8_t> payload,
                   frame_compression c) noexcept {
	size_t hdr = build_frame_header(out, protocol, c);
	if (hdr == 0 || out.size() - hdr < payload.size())
		return 0;
	std::copy(payload.begin(), payload.end(), out.begin() + static_cast<std::ptrdiff_t>(hdr));
	return hdr + payload.size();
}

} // namespace l2tpx::ppp
