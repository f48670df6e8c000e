#include "controlplane/core/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace l2tpx::cp {

void system_random::fill(std::span<uint8_t> out) {
	size_t done = 0;
	while (done < out.size()) {
		const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			std::abort();
		}
		done += static_cast<size_t>(n);
	}
}

} // namespace l2tpx::cp
