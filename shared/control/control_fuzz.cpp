// Fuzz target for the control message codec (libFuzzer entry point; also built with
// tests/fuzz/replay_main.cpp as a corpus replayer). The input is decoded as an L2TP control
// packet over UDP and over IP, and as a bare body for both versions, with a tunnel secret so
// hidden AVPs are revealed. Whatever decodes and encodes again must decode again to the same
// message type and AVP set. Violations abort, which both libFuzzer and the replayer report.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shared/control/message.hpp"

namespace {

using namespace l2tpx::ctl;

void require(bool ok) {
	if (!ok)
		std::abort();
}

const uint8_t secret[] = {'f', 'u', 'z', 'z'};
const uint8_t padding[] = {0x11, 0x22, 0x33};

void roundtrip(const decoded_packet &d, const message &m) {
	if (d.zlb)
		return;
	encode_options eo;
	eo.version = d.header.version;
	eo.secret = secret;
	eo.hidden_padding = padding;
	std::vector<uint8_t> out(70000);
	message copy = m;
	copy.clear(avp_type::message_digest); // no key here to sign with
	auto n = encode_packet(d.header, copy, eo, out);
	if (!n) {
		require(std::strcmp(to_string(n.error()), "unknown") != 0);
		return;
	}
	std::vector<uint8_t> scratch(*n);
	decode_options o;
	o.secret = secret;
	o.scratch = scratch;
	o.v3_over_ip = d.header.v3_over_ip;
	message again;
	auto r = decode_packet({out.data(), *n}, o, again);
	require(r.has_value());
	require(again.type() == copy.type());
	require(again.present == copy.present);
	require(again.hidden == (copy.hidden & copy.present));
}

void decode_as_packet(std::span<const uint8_t> in, bool over_ip) {
	std::vector<uint8_t> scratch(in.size());
	decode_options o;
	o.secret = secret;
	o.scratch = scratch;
	o.v3_over_ip = over_ip;
	message m;
	auto r = decode_packet(in, o, m);
	if (!r) {
		require(std::strcmp(to_string(r.error().code), "unknown") != 0);
		return;
	}
	require(r->body.data() >= in.data() && r->body.data() + r->body.size() <= in.data() + in.size());
	roundtrip(*r, m);
}

void decode_as_body(std::span<const uint8_t> in, uint8_t version) {
	std::vector<uint8_t> scratch(in.size());
	decode_options o;
	o.version = version;
	o.secret = secret;
	o.scratch = scratch;
	message m;
	auto r = decode_body(in, o, m);
	if (r)
		require(find_message(static_cast<uint16_t>(m.type())) != nullptr);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	const std::span<const uint8_t> in(data, size);
	decode_as_packet(in, false);
	decode_as_packet(in, true);
	decode_as_body(in, 2);
	decode_as_body(in, 3);
	return 0;
}
