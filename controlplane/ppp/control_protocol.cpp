#include "controlplane/ppp/control_protocol.hpp"

#include <algorithm>
#include <array>

namespace l2tpx::cp::ppp {

namespace {
constexpr size_t max_packet = 1500;
using codec::cp_code;
} // namespace

control_protocol::control_protocol(timer_service &timers, const fsm_config &cfg, uint16_t protocol, frame_sink &sink,
                                   layer_events &events)
    : protocol_(protocol), sink_(sink), events_(events), fsm_(timers, cfg, *this) {}

void control_protocol::send_packet(std::span<const uint8_t> p) {
	if (p.empty() || silent_)
		return;
	++counters_.tx_packets;
	sink_.send_frame(protocol_, p);
}

void control_protocol::send_configure_request(uint8_t id) {
	std::array<uint8_t, max_packet> buf;
	codec::packet_writer w(buf, cp_code::configure_request, id);
	write_request(w);
	const size_t n = w.finish();
	if (n == 0)
		return;
	last_request_.assign(buf.begin() + codec::control_header_len, buf.begin() + static_cast<std::ptrdiff_t>(n));
	send_packet(std::span(buf.data(), n));
}

void control_protocol::send_terminate_request(uint8_t id) {
	std::array<uint8_t, 8> buf;
	const size_t n = codec::build_terminate(buf, cp_code::terminate_request, id);
	send_packet(std::span(buf.data(), n));
}

void control_protocol::send_terminate_ack() {
	std::array<uint8_t, 8> buf;
	const size_t n = codec::build_terminate(buf, cp_code::terminate_ack, current_.identifier);
	send_packet(std::span(buf.data(), n));
}

void control_protocol::send_code_reject() {
	std::array<uint8_t, max_packet> buf;
	const size_t n = codec::build_code_reject(buf, current_.identifier, current_.packet, max_packet);
	send_packet(std::span(buf.data(), n));
}

void control_protocol::receive(std::span<const uint8_t> packet) {
	auto v = codec::parse_control(packet);
	if (!v) {
		++counters_.rx_malformed;
		return;
	}
	++counters_.rx_packets;
	current_ = *v;
	// RFC 1661 §4: packets received in Initial/Starting are silently discarded (the table's
	// illegal events).
	if (fsm_.state() == fsm_state::initial || fsm_.state() == fsm_state::starting)
		return;
	switch (v->code) {
	case static_cast<uint8_t>(cp_code::configure_request):
		return receive_configure_request(*v);
	case static_cast<uint8_t>(cp_code::configure_ack):
	case static_cast<uint8_t>(cp_code::configure_nak):
	case static_cast<uint8_t>(cp_code::configure_reject):
		return receive_configure_reply(*v);
	case static_cast<uint8_t>(cp_code::terminate_request):
		return fsm_.handle(fsm_event::rtr);
	case static_cast<uint8_t>(cp_code::terminate_ack):
		return fsm_.handle(fsm_event::rta);
	case static_cast<uint8_t>(cp_code::code_reject): {
		auto cr = codec::parse_code_reject(*v);
		if (!cr) {
			++counters_.rx_malformed;
			return;
		}
		return fsm_.handle(reject_is_permitted(cr->rejected_code) ? fsm_event::rxj_plus : fsm_event::rxj_minus);
	}
	default:
		if (extra_code(*v))
			return;
		++counters_.rx_unknown_code;
		return fsm_.handle(fsm_event::ruc);
	}
}

void control_protocol::receive_configure_request(const codec::control_view &v) {
	auto opts = codec::option_list::parse(v.data);
	if (!opts) {
		++counters_.rx_malformed;
		return;
	}
	begin_peer_request();
	std::array<uint8_t, max_packet> nak_buf, rej_buf;
	codec::packet_writer nak(nak_buf, cp_code::configure_nak, v.identifier);
	codec::packet_writer rej(rej_buf, cp_code::configure_reject, v.identifier);
	size_t naks = 0, rejects = 0;
	const bool force_reject = nak_count_ >= fsm_.config().max_failure;
	for (const auto &o : *opts) {
		option_verdict verdict = check_option(o, nak);
		// After Max-Failure Naks, Nak'd options are rejected instead (§4.6); whatever went
		// into the Nak is not sent since a Reject takes precedence.
		if (verdict == option_verdict::nak && force_reject)
			verdict = option_verdict::reject;
		if (verdict == option_verdict::reject) {
			rej.option_raw(o);
			++rejects;
		} else if (verdict == option_verdict::nak) {
			++naks;
		}
	}
	if (!rejects && !force_reject && demand_missing(nak))
		++naks;
	if (rejects) {
		const size_t n = rej.finish();
		reply_.assign(rej_buf.begin(), rej_buf.begin() + static_cast<std::ptrdiff_t>(n));
		++counters_.rejects_sent;
		fsm_.handle(fsm_event::rcr_minus);
	} else if (naks) {
		const size_t n = nak.finish();
		reply_.assign(nak_buf.begin(), nak_buf.begin() + static_cast<std::ptrdiff_t>(n));
		++counters_.naks_sent;
		++nak_count_;
		fsm_.handle(fsm_event::rcr_minus);
	} else {
		// Configure-Ack repeats the request's options unchanged.
		reply_.assign(v.packet.begin(), v.packet.end());
		reply_[0] = static_cast<uint8_t>(cp_code::configure_ack);
		nak_count_ = 0;
		commit_peer_request();
		fsm_.handle(fsm_event::rcr_plus);
	}
}

void control_protocol::receive_configure_reply(const codec::control_view &v) {
	if (v.identifier != fsm_.request_id()) {
		++counters_.rx_stale_reply;
		return; // §5.2: a reply to an older request is discarded
	}
	auto opts = codec::option_list::parse(v.data);
	if (!opts) {
		++counters_.rx_malformed;
		return;
	}
	if (v.code == static_cast<uint8_t>(cp_code::configure_ack)) {
		if (!std::equal(v.data.begin(), v.data.end(), last_request_.begin(), last_request_.end())) {
			++counters_.rx_malformed; // an Ack must repeat our options exactly
			return;
		}
		request_acked(*opts);
		return fsm_.handle(fsm_event::rca);
	}
	request_nakked(*opts, v.code == static_cast<uint8_t>(cp_code::configure_reject));
	fsm_.handle(fsm_event::rcn);
}

} // namespace l2tpx::cp::ppp
