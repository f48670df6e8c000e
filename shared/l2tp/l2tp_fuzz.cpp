// Fuzz target for the L2TP header parsers (libFuzzer entry point; also built with
// tests/fuzz/replay_main.cpp as a corpus replayer). Every parser sees the whole input; a
// successful parse must describe bytes inside the input and, for L2TPv2, rebuild to the same
// header. Violations abort, which both libFuzzer and the replayer report.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shared/l2tp/l2tp.hpp"

namespace {

using namespace l2tpx::l2tp;

void require(bool ok) {
	if (!ok)
		std::abort();
}

bool inside(std::span<const uint8_t> part, std::span<const uint8_t> all) {
	return part.data() >= all.data() && part.data() + part.size() <= all.data() + all.size();
}

void check_v2(std::span<const uint8_t> in) {
	auto r = parse_v2(in);
	if (!r) {
		require(std::strcmp(to_string(r.error()), "unknown") != 0);
		return;
	}
	require(inside(r->payload, in));
	require(r->payload.data() == in.data() + r->header_len);
	require(r->header_len + r->payload.size() == (r->has_length() ? r->length : in.size()));
	v2_fields f;
	f.control = r->is_control();
	f.with_length = r->has_length();
	f.with_sequence = r->has_sequence();
	f.with_offset = r->has_offset();
	f.priority = r->has_priority();
	f.tunnel_id = r->tunnel_id;
	f.session_id = r->session_id;
	f.ns = r->ns;
	f.nr = r->nr;
	f.offset_size = r->offset_size;
	f.payload_len = static_cast<uint16_t>(r->payload.size());
	std::vector<uint8_t> out(r->header_len);
	require(build_v2(out, f) == r->header_len);
	const size_t fixed = r->header_len - r->offset_size;
	require(std::memcmp(out.data() + 2, in.data() + 2, fixed - 2) == 0);
}

void check_v3(std::span<const uint8_t> in) {
	static constexpr v3_session_params params[] = {{0, false}, {4, false}, {8, false},
						       {0, true},  {4, true},  {8, true}};
	for (const auto &sp : params) {
		for (auto r : {parse_v3_ip_data(in, sp), parse_v3_udp_data(in, sp)}) {
			if (!r)
				continue;
			require(r->session_id.value != 0);
			require(r->cookie.size() == sp.cookie_len && inside(r->cookie, in));
			require(inside(r->payload, in) && r->header_len + r->payload.size() == in.size());
		}
	}
	for (auto r : {parse_v3_udp_control(in), parse_v3_ip_control(in)}) {
		if (!r)
			continue;
		require(inside(r->payload, in));
		require(r->payload.size() + v3_control_header_len == r->length);
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	const std::span<const uint8_t> in(data, size);
	(void)classify_udp(in);
	(void)classify_ip(in);
	check_v2(in);
	check_v3(in);
	return 0;
}
