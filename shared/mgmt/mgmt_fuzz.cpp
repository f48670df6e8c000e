// Fuzz target for the management protocol (libFuzzer entry point; also built with
// tests/fuzz/replay_main.cpp as a corpus replayer). The input is one line as a client or a
// daemon could send it. Nothing may throw or crash; what parses must re-encode and parse
// back to the same request; table and argument helpers must cope with any JSON shape.
#include "shared/mgmt/commands.hpp"
#include "shared/mgmt/protocol.hpp"
#include "shared/mgmt/schema.hpp"

#include <cstdlib>
#include <string_view>

namespace {

using namespace l2tpx::mgmt;

void require(bool ok) {
	if (!ok)
		std::abort();
}

void check_request(std::string_view line) {
	request req;
	auto err = parse_request(line, req);
	if (err) {
		require(!err->message.empty());
		require(!encode_error(req.id, *err).empty());
		return;
	}
	require(req.id.has_value() && !req.cmd.empty() && req.args.is_object());
	auto again = encode_request(*req.id, req.cmd, req.args);
	require(!again.empty() && again.back() == '\n');
	request back;
	require(!parse_request(std::string_view(again).substr(0, again.size() - 1), back));
	require(back.id == req.id && back.cmd == req.cmd && back.args == req.args);
	for (const char *key : {"id", "mask", "tunnel"}) {
		auto u = uint_arg(req.args, key, 1, UINT32_MAX);
		require(u.ok() ? u.value() >= 1 && u.value() <= UINT32_MAX : u.error().code == errc::invalid_argument);
		auto s = string_arg(req.args, key);
		require(s.ok() || s.error().code == errc::invalid_argument);
	}
}

void check_response(std::string_view line) {
	response r;
	if (parse_response(line, r))
		return;
	if (!r.ok) {
		require(!encode_error(r.id, {errc::internal, r.error_message}).empty());
		return;
	}
	if (is_table(r.result)) {
		auto cols = table_columns(r.result);
		require(cols.size() == r.result["columns"].size());
	}
	require(!dump(r.result).empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	std::string_view in(reinterpret_cast<const char *>(data), size);
	try {
		check_request(in);
		check_response(in);
		auto mask = parse_debug_mask(in);
		if (mask)
			require(parse_debug_mask(format_debug_mask(*mask)) == mask);
	} catch (...) {
		std::abort(); // nothing here may throw on hostile input
	}
	return 0;
}
