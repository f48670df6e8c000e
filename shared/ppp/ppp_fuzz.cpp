// Fuzz target for the PPP codecs (libFuzzer entry point; also built with
// tests/fuzz/replay_main.cpp as a corpus replayer). The input is a PPP frame as carried in
// L2TP. Every parser that applies sees it; views must stay inside the input, and what parses
// must rebuild to the same bytes. Violations abort, which libFuzzer and the replayer report.
#include <array>
#include <cstdlib>
#include <cstring>

#include "shared/ppp/chap.hpp"
#include "shared/ppp/control.hpp"
#include "shared/ppp/frame.hpp"
#include "shared/ppp/ipcp.hpp"
#include "shared/ppp/ipv6cp.hpp"
#include "shared/ppp/lcp.hpp"
#include "shared/ppp/pap.hpp"

namespace {

using namespace l2tpx::ppp;

void require(bool ok) {
	if (!ok)
		std::abort();
}

bool inside(std::span<const uint8_t> part, std::span<const uint8_t> all) {
	return part.empty() || (part.data() >= all.data() && part.data() + part.size() <= all.data() + all.size());
}

bool same(std::span<const uint8_t> a, std::span<const uint8_t> b) {
	return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

void check_frame(std::span<const uint8_t> in) {
	auto f = parse_frame(in);
	if (!f) {
		require(std::strcmp(to_string(f.error()), "unknown") != 0);
		return;
	}
	require(inside(f->payload, in));
	require(f->header_len + f->payload.size() == in.size());
	// The header rebuilds to the same bytes (we never send LCP without FF 03).
	if (f->protocol != proto::lcp || f->address_control) {
		std::array<uint8_t, 4> hdr{};
		size_t n = build_frame_header(hdr, f->protocol, {!f->address_control, f->protocol_compressed});
		require(n == f->header_len && same(std::span(hdr).first(n), in.first(n)));
	}
}

void check_options(uint16_t protocol, const control_view &p) {
	auto opts = parse_options(p);
	if (!opts)
		return;
	// Options copied as received rebuild the packet byte for byte.
	std::array<uint8_t, 65536> out;
	packet_writer w(out, p.code, p.identifier);
	size_t count = 0;
	for (option_view o : *opts) {
		require(inside(o.raw, p.data) && o.raw.size() >= 2 && o.value.size() + 2 == o.raw.size());
		if (protocol == proto::lcp) {
			if (auto d = lcp::decode_option(o))
				require(inside(d->protocol_data, o.value));
		} else if (protocol == proto::ipcp) {
			if (auto d = ipcp::decode_option(o))
				require(inside(d->compression_data, o.value));
		} else if (protocol == proto::ipv6cp) {
			if (auto d = ipv6cp::decode_option(o))
				require(inside(d->compression_data, o.value));
		}
		w.option_raw(o);
		++count;
	}
	require(count == opts->size());
	size_t n = w.finish();
	require(n == p.length && same(std::span(out).first(n), p.packet));
}

void check_control(uint16_t protocol, std::span<const uint8_t> in) {
	auto p = parse_control(in);
	if (!p) {
		require(std::strcmp(to_string(p.error()), "unknown") != 0);
		return;
	}
	require(inside(p->packet, in) && inside(p->data, p->packet) && p->data.size() + 4 == p->length);
	if (is_configure_code(p->code))
		check_options(protocol, *p);
	if (auto b = parse_code_reject(*p))
		require(inside(b->rejected, in));
	if (auto b = lcp::parse_magic_body(*p))
		require(inside(b->data, in));
	if (auto b = lcp::parse_time_remaining(*p))
		require(inside(b->message, in));
	if (auto b = lcp::parse_protocol_reject(*p))
		require(inside(b->information, in));
	if (auto b = pap::parse_request(*p))
		require(inside(b->peer_id, in) && inside(b->password, in) && b->peer_id.size() < 256);
	if (auto b = pap::parse_reply(*p))
		require(inside(b->message, in));
	if (auto b = chap::parse_value(*p))
		require(!b->value.empty() && inside(b->value, in) && inside(b->name, in));
	if (auto b = chap::parse_message(*p))
		require(inside(*b, in));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	std::span<const uint8_t> in(data, size);
	check_frame(in);
	if (auto f = parse_frame(in); f && !is_network_layer(f->protocol))
		check_control(f->protocol, f->payload);
	// Also as a bare control packet (how the control plane sees a punted frame's payload).
	check_control(proto::lcp, in);
	return 0;
}
